/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench alloc`: the allocator benchmarks B1-B4 of spec performance.md
 * §6.4 against the baselines of §6.2, all in this process, each family's
 * variants interleaved, read against the run's floors (lock pairs, line
 * hand-off). Under --callgrind only the single-thread B1 loops run, once,
 * with tiny op counts and counted by callgrind. Layer: tools; uses <tce.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "alloc.h"
#include "subcommands.h"
#include "bench_ctx.h"

static int run_all(const struct bench_opts *o, struct tce_ctx *ctx)
{
	struct alloc_floors f;
	int rc = alloc_floors_run(o, &f);

	if (!rc)
		rc = alloc_b1(o, ctx, &f);
	if (alloc_callgrind)
		return rc;
	if (!rc)
		rc = alloc_b2(o, ctx, &f);
	if (!rc)
		rc = alloc_b3(o, ctx);
	if (!rc)
		rc = alloc_b4(o, ctx);
	return rc;
}

int bench_alloc(const struct bench_opts *o)
{
	struct tce_ctx *ctx;
	int rc;

	alloc_callgrind = o->callgrind;
	rc = tce_ctx_create(&ctx);
	if (rc)
		return alloc_fail("tce_ctx_create", rc);
	tce_ctx_set_log(ctx, bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = run_all(o, ctx);
	if (!rc)
		rc = bench_check_no_leak(ctx, "alloc");
	tce_ctx_destroy(ctx);
	if (!rc && !alloc_callgrind) {
		alloc_goals_print(o);
		alloc_targets_print(o);
	}
	return rc;
}
