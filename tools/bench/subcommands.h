/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entry points of the tce-bench subcommands, one per benchmark family of
 * spec performance.md §6.4. Each runs its variants with the shared harness,
 * prints its rows and returns 0, or a negative errno after printing what
 * failed. Layer: tools.
 */
#ifndef TCE_BENCH_SUBCOMMANDS_H
#define TCE_BENCH_SUBCOMMANDS_H

#include "harness.h"

/* table: lookup per level count, create/destroy per window, clear (B6, B8). */
int bench_table(const struct bench_opts *o);

/* alloc: the DMA-address allocator against its baselines (B1-B4). */
int bench_alloc(const struct bench_opts *o);

/* hv: the pseries hypervisor's TCE hcalls, a whole-window map and device translate (B5, B6). */
int bench_hv(const struct bench_opts *o);

/* vfio: the SPAPR TCE v2 container's map, lookup, registration and release (B7-B9). */
int bench_vfio(const struct bench_opts *o);

/* domain: the generic IOMMU domain's map and unmap per page against an owned table (issue 13). */
int bench_domain(const struct bench_opts *o);

/* shim: a VFIO ioctl through tce-run's preload shim against the library directly (issue 11). */
int bench_shim(const struct bench_opts *o);

/* ioat: copies of 64 B, 4 KiB and 64 KiB by the emulated I/OAT channel against memcpy (issue 14). */
int bench_ioat(const struct bench_opts *o);

/* dev: device DMA against memcpy and loads, and issue 12's G4 goal rows (devdma.c). */
int bench_dev(const struct bench_opts *o);

#endif /* TCE_BENCH_SUBCOMMANDS_H */
