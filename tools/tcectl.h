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

/* The machine part of the demo: pseries hcalls and RTAS, powernv firmware calls. */
int tcectl_demo_machine(void);

#endif /* TCECTL_H */
