/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmarks' shared context helpers (bench_ctx.h). Layer: tools.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "bench_ctx.h"

void bench_log_stderr(void *arg, enum tce_log_level level, const char *msg)
{
	(void)arg;
	(void)level;
	fprintf(stderr, "libtce: %s\n", msg);
}

int bench_check_no_leak(struct tce_ctx *ctx, const char *what)
{
	struct tce_mem_stats st;

	tce_ctx_mem_stats(ctx, &st);
	if (st.live_allocs == 0 && st.live_bytes == 0)
		return 0;
	fprintf(stderr, "tce-bench: %s: %" PRIu64 " allocations (%" PRIu64
		" bytes) still live after everything was released\n", what, st.live_allocs,
		st.live_bytes);
	return -EPROTO;
}
