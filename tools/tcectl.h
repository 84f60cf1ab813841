/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tcectl's shared helpers: the parts of the demo in other files.
 * Layer: front end; uses only <tce.h>.
 */
#ifndef TCECTL_H
#define TCECTL_H

#include <tce.h>

/* Print a failed step with its error; returns 1. */
int tcectl_fail(const char *step, int rc);

/* The machine part of the tour: pseries hcalls and RTAS, powernv firmware calls. */
int tcectl_demo_machine(void);

/*
 * A machine from a .dts file: dtc compiles it (-ENOENT when dtc cannot be
 * run, -EINVAL with a message on stderr when it refuses the source), then
 * tce_machine_create() with @ctx. A file that cannot be read gives its errno.
 */
int tcectl_load_dts(const char *path, struct tce_ctx *ctx, struct tce_machine **out);

/* The subcommands; each returns the process exit status. */
int tcectl_tour(void);
int tcectl_demo(int argc, char **argv);
int tcectl_machine(int argc, char **argv);

#endif /* TCECTL_H */
