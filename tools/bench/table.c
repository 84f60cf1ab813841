/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench table`: runs the lookup, create/destroy and clear sections on
 * one context and checks afterwards that the library holds no memory any
 * more. Also the helpers the sections share. Layer: tools; uses <tce.h>
 * only, never the library's private headers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "subcommands.h"
#include "table.h"
#include "bench_ctx.h"

int table_fail(const char *what, int rc)
{
	fprintf(stderr, "tce-bench: table: %s: %s (%s)\n", what, tce_strerror(rc),
		tce_err_name(rc));
	return rc;
}

int table_populate(struct tce_table *t, uint64_t idx, uint64_t n)
{
	int rc = tce_table_set(t, idx, n, TABLE_REAL_BASE, TCE_DIR_BIDIRECTIONAL);

	return rc ? table_fail("tce_table_set", rc) : 0;
}

void table_geom_params(struct bench_row *r, const struct tce_table_config *cfg)
{
	bench_param_num(r, "window_bytes", (double)cfg->window_size);
	bench_param_num(r, "page_shift", cfg->page_shift);
	bench_param_num(r, "levels", cfg->levels);
}

int table_expect_refusal(const struct bench_opts *o, struct tce_ctx *ctx, const char *bench,
			 const char *variant, const struct tce_table_config *cfg)
{
	struct tce_table_config c = *cfg;
	struct tce_table *t;
	struct bench_row r;
	int rc;

	rc = tce_table_create(ctx, &c, &t);
	if (rc == 0) {
		tce_table_put(t);
		fprintf(stderr, "tce-bench: table: %s was accepted; the 55-bit rule forbids it\n",
			variant);
		return -EPROTO;
	}
	if (rc != -EINVAL)
		return table_fail("tce_table_create", rc);
	bench_row_init(&r, bench, variant, NULL);
	table_geom_params(&r, cfg);
	r.refused = rc;
	bench_emit(o, &r);
	return 0;
}

int bench_table(const struct bench_opts *o)
{
	struct tce_ctx *ctx;
	int rc;

	rc = tce_ctx_create(&ctx);
	if (rc)
		return table_fail("tce_ctx_create", rc);
	tce_ctx_set_log(ctx, bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = table_lookup(o, ctx);
	if (!rc)
		rc = table_create(o, ctx);
	if (!rc)
		rc = table_clear(o, ctx);
	if (!rc)
		rc = bench_check_no_leak(ctx, "table");
	tce_ctx_destroy(ctx);
	return rc;
}
