/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the three parts of `tce-bench table` share: the sections themselves
 * (lookup, create/destroy, clear), populating a table, reporting a failed or
 * a refused library call, and the geometry params of a row. Layer: tools;
 * uses <tce.h>, the harness and the report.
 */
#ifndef TCE_BENCH_TABLE_H
#define TCE_BENCH_TABLE_H

#include <tce.h>

#include "harness.h"
#include "report.h"

/* Real address every populated range starts at: aligned for 16 GiB pages. */
#define TABLE_REAL_BASE (1ULL << 40)

/* Lookup ns/op via tce_table_get() per level count against a flat array. */
int table_lookup(const struct bench_opts *o, struct tce_ctx *ctx);

/* Create+destroy time and resident memory per window size. */
int table_create(const struct bench_opts *o, struct tce_ctx *ctx);

/* Whole-window clear of sparse and dense tables against memset. */
int table_clear(const struct bench_opts *o, struct tce_ctx *ctx);

/* Print "tce-bench: table: @what: <strerror> (<name>)"; returns @rc. */
int table_fail(const char *what, int rc);

/* Map @n entries from @idx, bidirectional, from TABLE_REAL_BASE. */
int table_populate(struct tce_table *t, uint64_t idx, uint64_t n);

/* Add window_bytes, page_shift and levels of @cfg to @r's params. */
void table_geom_params(struct bench_row *r, const struct tce_table_config *cfg);

/*
 * Try to create a table that the 55-bit rule forbids and print the refusal
 * as a row of @bench named @variant. Returns 0 if it was refused with
 * -EINVAL; any other outcome, an accepted table included, is a failure.
 */
int table_expect_refusal(const struct bench_opts *o, struct tce_ctx *ctx, const char *bench,
			 const char *variant, const struct tce_table_config *cfg);

#endif /* TCE_BENCH_TABLE_H */
