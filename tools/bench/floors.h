/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * In-run floors (spec performance.md §6.1 item 2): the bare machine kernels
 * that results are read against, measured at the start and again at the end
 * of every run because this VM's speed drifts between runs. Layer: tools;
 * uses the harness and the report only.
 */
#ifndef TCE_BENCH_FLOORS_H
#define TCE_BENCH_FLOORS_H

#include "harness.h"

/*
 * Measure and print the floors, labelled @when ("start", "end"): a hot
 * (L1) array load, memset bandwidth over a warm buffer, and the cost of one
 * clock_gettime(), and one call into libtce.so. Returns 0 or -ENOMEM.
 */
int bench_floors(const struct bench_opts *o, const char *when);

#endif /* TCE_BENCH_FLOORS_H */
