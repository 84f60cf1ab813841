/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Create+destroy of windows from 2 GiB to 2^54 bytes, with the mirror on as
 * VFIO uses it: time per tce_table_create() + tce_table_put() pair, and the
 * memory one fresh table holds, as process RSS growth and as the library's
 * own accounting. The page faults of a fresh table's top levels are part of
 * what create costs. Geometries the 55-bit rule forbids (2^55 bytes, 4 and 5
 * levels) are attempted and their refusal printed. Layer: tools.
 */
#include <errno.h>
#include <stdio.h>

#include "table.h"

#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define DDW_BUS (1ULL << 59) /* where a 64-bit DMA window starts */
#define MEM_TABLES 16         /* tables alive at once for the RSS reading */

struct create_geom {
	const char *name;
	uint64_t bus_offset;
	uint64_t window_size;
	uint32_t page_shift;
	uint32_t levels;
};

static const struct create_geom legal[] = {
	{ "OURS-2G-4K-L1", 0, 2 * GiB, 12, 1 },
	{ "OURS-2G-4K-L2", 0, 2 * GiB, 12, 2 },
	{ "OURS-64G-64K-L2", DDW_BUS, 64 * GiB, 16, 2 },
	{ "OURS-64G-4K-L2", DDW_BUS, 64 * GiB, 12, 2 },
	{ "OURS-1T-4K-L3", DDW_BUS, TiB, 12, 3 },
	{ "OURS-1T-64K-L1", DDW_BUS, TiB, 16, 1 },
	{ "OURS-2^54-16M-L2", DDW_BUS, 1ULL << 54, 24, 2 },
	{ "OURS-2^54-16G-L1", DDW_BUS, 1ULL << 54, 34, 1 },
};

static const struct create_geom refused[] = {
	{ "OURS-1T-4K-L4", DDW_BUS, TiB, 12, 4 },
	{ "OURS-1T-4K-L5", DDW_BUS, TiB, 12, 5 },
	{ "OURS-2^55-16M-L2", DDW_BUS, 1ULL << 55, 24, 2 },
	{ "OURS-2^55-16G-L1", DDW_BUS, 1ULL << 55, 34, 1 },
	{ "OURS-2^55-4K-L3", DDW_BUS, 1ULL << 55, 12, 3 },
};

#define NLEGAL (sizeof(legal) / sizeof(legal[0]))
#define NREFUSED (sizeof(refused) / sizeof(refused[0]))

struct create_arg {
	struct tce_ctx *ctx;
	const struct create_geom *g;
	uint64_t iters;
};

/* What one fresh table holds, averaged over MEM_TABLES of them. */
struct create_mem {
	double rss_bytes;     /* growth of the process's resident set */
	double lib_bytes;     /* growth of the context's live_bytes */
	double table_bytes;   /* tce_table_stats() bytes_allocated */
	double charged_bytes; /* worst case the accounting hook is charged */
};

static struct tce_table_config geom_cfg(const struct create_geom *g)
{
	struct tce_table_config cfg = {
		.bus_offset = g->bus_offset,
		.window_size = g->window_size,
		.page_shift = g->page_shift,
		.levels = g->levels,
		.mirror = true,
	};

	return cfg;
}

static int run_create(void *arg, double *ns_per_op)
{
	const struct create_arg *a = arg;
	struct tce_table_config cfg;
	struct tce_table *t;
	uint64_t i, t0, t1;
	int rc;

	t0 = bench_now_ns();
	for (i = 0; i < a->iters; i++) {
		cfg = geom_cfg(a->g);
		rc = tce_table_create(a->ctx, &cfg, &t);
		if (rc)
			return table_fail("tce_table_create", rc);
		tce_table_put(t);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)a->iters;
	return 0;
}

/* Create MEM_TABLES tables of @g at once and read what they hold. */
static int measure_mem(struct tce_ctx *ctx, const struct create_geom *g, struct create_mem *m)
{
	struct tce_table *t[MEM_TABLES] = { NULL };
	struct tce_mem_stats before, after;
	struct tce_table_config cfg = geom_cfg(g);
	struct tce_table_stats st = { 0 };
	uint64_t rss0, rss1, bound;
	unsigned int i;
	int rc = 0;

	/* Fresh tables: no level block of an earlier table's, none in the heap's free lists. */
	bound = tce_ctx_set_level_cache(ctx, 0);
	bench_trim_heap();
	tce_ctx_mem_stats(ctx, &before);
	rss0 = bench_rss_bytes();
	for (i = 0; i < MEM_TABLES && !rc; i++)
		rc = tce_table_create(ctx, &cfg, &t[i]);
	rss1 = bench_rss_bytes();
	tce_ctx_mem_stats(ctx, &after);
	if (!rc)
		tce_table_stats(t[0], &st);
	for (i = 0; i < MEM_TABLES; i++)
		tce_table_put(t[i]);
	tce_ctx_set_level_cache(ctx, bound);
	if (rc)
		return table_fail("tce_table_create", rc);
	m->rss_bytes = ((double)rss1 - (double)rss0) / MEM_TABLES;
	m->lib_bytes = (double)(after.live_bytes - before.live_bytes) / MEM_TABLES;
	m->table_bytes = (double)st.bytes_allocated;
	m->charged_bytes = (double)cfg.charged_bytes;
	return 0;
}

/* Targets (spec §6.4 B8): create+destroy <= 1 ms, <= 1 MiB resident. */
static int emit_geom(const struct bench_opts *o, struct tce_ctx *ctx,
		     const struct bench_variant *v, const struct create_geom *g)
{
	struct tce_table_config cfg = geom_cfg(g);
	struct create_mem m = { 0 };
	struct bench_row r;
	int rc;

	rc = measure_mem(ctx, g, &m);
	if (rc)
		return rc;
	bench_row_init(&r, "table.create", g->name, v);
	table_geom_params(&r, &cfg);
	bench_extra(&r, "rss_bytes", m.rss_bytes);
	bench_extra(&r, "lib_bytes", m.lib_bytes);
	bench_extra(&r, "table_bytes", m.table_bytes);
	bench_extra(&r, "charged_bytes", m.charged_bytes);
	bench_target(&r, "<=1ms,<=1MiB RSS",
		     v->sum.median <= 1e6 && m.rss_bytes <= (double)(1 << 20));
	bench_emit(o, &r);
	return 0;
}

int table_create(const struct bench_opts *o, struct tce_ctx *ctx)
{
	struct create_arg args[NLEGAL];
	struct bench_variant v[NLEGAL] = { { 0 } };
	struct tce_table_config cfg;
	char title[160];
	unsigned int i;
	int rc;

	for (i = 0; i < NLEGAL; i++) {
		args[i] = (struct create_arg){ ctx, &legal[i], o->quick ? 20 : 1000 };
		v[i].name = legal[i].name;
		v[i].run = run_create;
		v[i].arg = &args[i];
	}
	snprintf(title, sizeof(title),
		 "table.create: tce_table_create()+tce_table_put(), mirror on, %llu pairs/batch; "
		 "memory per table over %d live tables", (unsigned long long)args[0].iters,
		 MEM_TABLES);
	bench_section(o, title, "ns/op");
	rc = bench_run_interleaved(v, NLEGAL, o->reps);
	for (i = 0; i < NLEGAL && !rc; i++)
		rc = emit_geom(o, ctx, &v[i], &legal[i]);
	for (i = 0; i < NREFUSED && !rc; i++) {
		cfg = geom_cfg(&refused[i]);
		rc = table_expect_refusal(o, ctx, "table.create", refused[i].name, &cfg);
	}
	return rc;
}
