/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of `tce-bench shim` share: the two sides that run the same
 * loops (shim_loops.h). The library side is a VFIO process in tce-bench set
 * up as tce-run's shim sets up its own (the same built-in machine, host page
 * size, identity memory region and locked-memory limit), calling
 * tce_vfio_ioctl() directly. The shim side is tce-bench-shim-client run
 * under tce-run, driven through pipes. Each side exists for both container
 * types: sPAPR v2 and, under `tce-run --type1`, Type1v2. Layer: tools; uses
 * <tce.h>.
 */
#ifndef TCE_BENCH_SHIM_H
#define TCE_BENCH_SHIM_H

#include <stdio.h>
#include <sys/types.h>

#include <tce.h>

#include "harness.h"
#include "shim_loops.h"

/* The container types measured: sPAPR v2 (a POWER host's) and Type1v2 (tce-run --type1's). */
enum sh_kind { SH_V2, SH_T1, SH_KINDS };

/* The library side: machine, OS, process, container and group, the loops' target. */
struct sh_lib {
	enum sh_kind kind;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_vfio_mm *mm;
	int cfd, gfd;
	void *map_mem, *chunk_mem;
	struct sl_target t;
};

/* The shim side: the client's process and the two ends of its pipes. */
struct sh_client {
	pid_t pid;
	FILE *cmd; /* its stdin */
	FILE *ans; /* its stdout */
};

/*
 * Set up the library side with a container of @kind. sh_lib_down() undoes
 * it, also after a failure.
 */
int sh_lib_up(struct sh_lib *l, enum sh_kind kind);
void sh_lib_down(struct sh_lib *l);

/*
 * Start `tce-run --machine powernv -- tce-bench-shim-client` (both found
 * beside this executable, as tce-run finds its shim; for SH_T1
 * `tce-run --type1 ... -- tce-bench-shim-client type1`) and wait for
 * "ready". sh_client_down() says "quit" and reaps it. Returns 0 or a
 * negative errno after printing why.
 */
int sh_client_up(struct sh_client *c, enum sh_kind kind);
void sh_client_down(struct sh_client *c);

/*
 * Send @cmd (one line, no newline) and read the answer "ok X Y" into @x
 * and @y. Returns 0 or a negative errno after printing the client's error.
 */
int sh_client_ask(struct sh_client *c, const char *cmd, uint64_t *x, uint64_t *y);

/* The 1-minute load average (/proc/loadavg), -1 if unreadable. */
double sh_loadavg(void);

/*
 * The sections; each returns 0 or a negative errno after printing why. The
 * map section takes both kinds' sides (indexed by enum sh_kind) and times
 * them in one interleaved run; the chunk loop is sPAPR's only.
 */
int sh_map_section(const struct bench_opts *o, struct sh_lib *l, struct sh_client *c);
int sh_chunk_section(const struct bench_opts *o, struct sh_lib *l, struct sh_client *c);

#endif /* TCE_BENCH_SHIM_H */
