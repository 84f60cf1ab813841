/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench dev`: device DMA as issue 12 goal G4 measures it, on the
 * built-in pseries machine. dev.copy: the DMA-test device's copy engine (a
 * CMD store, copied in the caller's thread) of 64 KiB against memcpy() of
 * the same 64 KiB between the same host buffers. dev.read8: an 8-byte
 * tce_dev_dma_read() on a TCE-cache hit against a raw load, and two devices
 * on two PEs of one PHB reading on two threads against one. dev.map: loads
 * through a tce_dev_dma_map() pointer against raw loads. The G4 goal
 * rows (bench_goal()) are computed from rows of the same run. Layer:
 * tools; uses <tce.h>, the harness, the report and alloc.h's two-thread
 * team and CPU-free check.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bench_ctx.h"
#include "harness.h"
#include "report.h"
#include "subcommands.h"

#define DV_LIOBN0 0x80000000ULL    /* PE 0's default window (device 00:01.0) */
#define DV_LIOBN1 0x80000100ULL    /* PE 1's (device 00:02.0) */
#define DV_COPY (64u << 10)        /* G4's copy size */
#define DV_SRC_BUS 0x100000ULL     /* bus = real in both windows */
#define DV_DST_BUS 0x200000ULL
#define DV_READ_BUS 0x300000ULL    /* PE 0's read page; PE 1's at + 4 KiB */
#define DV_WS_BUS 0x400000ULL      /* PE 0's working set: DV_WS_PAGES pages read in turn */
#define DV_WS_PAGES 16
#define DV_SCALING_GOAL 1.8        /* G4: two devices on two threads against one */

struct dv_env {
	struct tce_machine *m;
	struct tce_pci_dev *d[2];  /* 00:01.0 (PE 0), 00:02.0 (PE 1) */
	uint8_t *src, *dst;        /* host views of the copy's buffers */
	uint64_t *word[2];         /* host view of each device's read word */
	uint64_t *ws[DV_WS_PAGES]; /* host view of the working set's words, one a page */
	int instr_fd;              /* perf counter, < 0: none */
};

/* What the goal rows need, gathered by the sections. */
struct dv_goals {
	struct bench_variant copy, read1, read_ws, read2;
	double copy_ratio;             /* engine / memcpy, median of per-repetition ratios */
	double read_instr;             /* instructions per read, < 0: not counted */
	double read_ws_instr;          /* the same over 16 pages in turn */
	double scaling;                /* 2 devices 2 threads / 1 thread, paired */
	double floor_scaling;          /* the ALU floor's 2 threads / 1 thread, paired */
	double share[2][ALLOC_THREADS_MAX];
	bool cpus_free, have_scaling;
	struct bench_variant mapped;
	double map_ratio;              /* loads through the mapping / raw loads, paired */
	bool have_map;
};

static int dv_fail(const char *what, int rc)
{
	fprintf(stderr, "tce-bench: dev: %s: %s (%s)\n", what, tce_strerror(rc), tce_err_name(rc));
	return rc;
}

/* H_PUT_TCE @n pages from @bus of window @liobn to the same real addresses. */
static int dv_map(struct dv_env *e, uint64_t liobn, uint64_t bus, unsigned n, uint64_t perm)
{
	uint64_t a[9];
	unsigned i;

	for (i = 0; i < n; i++) {
		a[0] = liobn, a[1] = bus + ((uint64_t)i << 12);
		a[2] = a[1] | perm;
		if (tce_hv_hcall(e->m, TCE_H_PUT_TCE, a) != TCE_H_SUCCESS)
			return dv_fail("H_PUT_TCE", -EIO);
	}
	return 0;
}

static int dv_setup(struct dv_env *e)
{
	int rc = tce_machine_create_default(TCE_PLATFORM_PSERIES, &e->m);

	if (rc)
		return dv_fail("tce_machine_create_default", rc);
	tce_ctx_set_log(tce_machine_ctx(e->m), bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = tce_machine_find_device(e->m, "0000:00:01.0", &e->d[0]);
	if (!rc)
		rc = tce_machine_find_device(e->m, "0000:00:02.0", &e->d[1]);
	if (rc)
		return dv_fail("the DMA-test functions", rc);
	e->src = tce_machine_ram_ptr(e->m, DV_SRC_BUS, DV_COPY);
	e->dst = tce_machine_ram_ptr(e->m, DV_DST_BUS, DV_COPY);
	e->word[0] = tce_machine_ram_ptr(e->m, DV_READ_BUS, 8);
	e->word[1] = tce_machine_ram_ptr(e->m, DV_READ_BUS + 4096, 8);
	if (!e->src || !e->dst || !e->word[0] || !e->word[1])
		return dv_fail("RAM", -EFAULT);
	for (unsigned i = 0; i < DV_WS_PAGES; i++) {
		e->ws[i] = tce_machine_ram_ptr(e->m, DV_WS_BUS + ((uint64_t)i << 12) + 8 * i, 8);
		if (!e->ws[i])
			return dv_fail("RAM", -EFAULT);
		*e->ws[i] = 0x100 + i;
	}
	memset(e->src, 0x3c, DV_COPY);   /* pre-fault both buffers */
	memset(e->dst, 0, DV_COPY);
	*e->word[0] = 0x1111, *e->word[1] = 0x2222;
	rc = dv_map(e, DV_LIOBN0, DV_SRC_BUS, DV_COPY >> 12, TCE_PCI_READ);
	if (!rc)
		rc = dv_map(e, DV_LIOBN0, DV_DST_BUS, DV_COPY >> 12, TCE_PCI_WRITE);
	if (!rc)
		rc = dv_map(e, DV_LIOBN0, DV_READ_BUS, 1, TCE_PCI_READ);
	if (!rc)
		rc = dv_map(e, DV_LIOBN1, DV_READ_BUS + 4096, 1, TCE_PCI_READ);
	if (!rc)
		rc = dv_map(e, DV_LIOBN0, DV_WS_BUS, DV_WS_PAGES, TCE_PCI_READ);
	return rc;
}

/* ---- dev.copy: the copy engine against memcpy ---- */

struct copy_arg {
	struct dv_env *e;
	uint64_t ops;
};

static int run_engine(void *arg, double *ns_per_op)
{
	struct copy_arg *a = arg;
	uint64_t i, t0, t1, st = 0;
	int rc = 0;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops && !rc; i++)
		rc = tce_dev_bar_write(a->e->d[0], 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	t1 = bench_now_ns();
	if (!rc)
		rc = tce_dev_bar_read(a->e->d[0], 0, TCE_DT_REG_STATUS, 4, &st);
	if (rc || st != TCE_DT_STATUS_DONE)
		return dv_fail("the copy engine", rc ? rc : -EIO);
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int run_memcpy(void *arg, double *ns_per_op)
{
	struct copy_arg *a = arg;
	uint64_t i, t0, t1;
	uint8_t *dst = a->e->dst;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		BENCH_OPAQUE(dst);
		memcpy(dst, a->e->src, DV_COPY);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int dv_copy(const struct bench_opts *o, struct dv_env *e, struct dv_goals *g)
{
	struct copy_arg a = { .e = e, .ops = o->quick ? 64 : 4096 };
	struct bench_variant v[2] = {
		{ .name = "OURS-engine-64K", .run = run_engine, .arg = &a },
		{ .name = "FLOOR-memcpy-64K", .run = run_memcpy, .arg = &a },
	};
	struct bench_row r;
	unsigned i;
	int rc = tce_dev_config_write(e->d[0], TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);

	if (!rc)
		rc = tce_dev_bar_write(e->d[0], 0, TCE_DT_REG_SRC, 8, DV_SRC_BUS);
	if (!rc)
		rc = tce_dev_bar_write(e->d[0], 0, TCE_DT_REG_DST, 8, DV_DST_BUS);
	if (!rc)
		rc = tce_dev_bar_write(e->d[0], 0, TCE_DT_REG_LEN, 8, DV_COPY);
	if (rc)
		return dv_fail("programming the copy", rc);
	bench_section(o, "dev.copy: the DMA-test device's copy engine (a CMD store, copied in\n"
			 "   the caller's thread through the IOMMU) against memcpy() of the same\n"
			 "   64 KiB between the same host buffers; ns per copy", "ns/copy");
	rc = bench_run_interleaved(v, 2, o->reps);
	if (!rc && memcmp(e->src, e->dst, DV_COPY))
		return dv_fail("the destination differs from the source", -EPROTO);
	for (i = 0; i < 2 && !rc; i++) {
		bench_row_init(&r, "dev.copy", v[i].name, &v[i]);
		bench_param_num(&r, "size_bytes", DV_COPY);
		bench_param_json(&r, "ops", (double)a.ops);
		r.ratio = v[1].sum.median > 0 ? v[i].sum.median / v[1].sum.median : 0;
		if (v[i].sum.median > 0)
			bench_extra(&r, "gb_per_s", DV_COPY / v[i].sum.median);
		bench_emit(o, &r);
	}
	g->copy = v[0];
	g->copy_ratio = bench_paired_ratio(&v[0], &v[1]);
	return rc;
}

/* ---- dev.read8: an 8-byte DMA read on a TCE-cache hit ---- */

struct read_arg {
	struct dv_env *e;
	uint64_t ops;              /* per thread */
	unsigned threads;          /* OURS team variants: 1 or 2 devices, one thread each */
	uint64_t sum[2];           /* what each device read, summed */
	double instr;              /* OURS-dma8-hit: instructions per read, < 0: not counted */
	bool ws;                   /* device 00:01.0 reads the working set's pages in turn */
};

/* @ops 8-byte reads by device @tid of its word; their sum in *@sum. */
static int read_loop(struct dv_env *e, unsigned tid, uint64_t ops, uint64_t *sum)
{
	uint64_t i, v, s = 0, bus = DV_READ_BUS + (uint64_t)tid * 4096;
	int rc;

	for (i = 0; i < ops; i++) {
		rc = tce_dev_dma_read(e->d[tid], bus, &v, 8);
		if (rc)
			return dv_fail("tce_dev_dma_read", rc);
		s += v;
	}
	*sum = s;
	return 0;
}

/*
 * @ops 8-byte reads by 00:01.0 of the working set's words, a page at a time
 * in turn (every read a TCE-cache hit, no two in a row on one page); their
 * sum in *@sum. Not inlined: callgrind counts it by name (docs/performance.md
 * G4).
 */
static __attribute__((noinline)) int read_ws_loop(struct dv_env *e, uint64_t ops, uint64_t *sum)
{
	uint64_t i, v, s = 0, bus;
	int rc;

	for (i = 0; i < ops; i++) {
		bus = DV_WS_BUS + ((i % DV_WS_PAGES) << 12) + 8 * (i % DV_WS_PAGES);
		rc = tce_dev_dma_read(e->d[0], bus, &v, 8);
		if (rc)
			return dv_fail("tce_dev_dma_read", rc);
		s += v;
	}
	*sum = s;
	return 0;
}

static int run_read(void *arg, double *ns_per_op)
{
	struct read_arg *a = arg;
	uint64_t t0, t1, i0, i1;
	int rc;

	i0 = alloc_instr_read(a->e->instr_fd);
	t0 = bench_now_ns();
	rc = a->ws ? read_ws_loop(a->e, a->ops, &a->sum[0]) : read_loop(a->e, 0, a->ops, &a->sum[0]);
	t1 = bench_now_ns();
	i1 = alloc_instr_read(a->e->instr_fd);
	a->instr = a->e->instr_fd >= 0 ? (double)(i1 - i0) / (double)a->ops : -1;
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return rc;
}

static int run_load(void *arg, double *ns_per_op)
{
	struct read_arg *a = arg;
	uint64_t *const *ws = a->e->ws;
	const uint64_t *q = a->e->word[0];
	uint64_t i, s = 0, t0, t1;

	t0 = bench_now_ns();
	for (i = 0; !a->ws && i < a->ops; i++) {
		BENCH_OPAQUE(q);
		s += *q;
	}
	for (i = 0; a->ws && i < a->ops; i++) {
		q = ws[i % DV_WS_PAGES];
		BENCH_OPAQUE(q);
		s += *q;
	}
	t1 = bench_now_ns();
	a->sum[0] = s;
	bench_sink += s;
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int team_body(void *arg, unsigned tid, struct alloc_progress *p)
{
	struct read_arg *a = arg;
	int rc = read_loop(a->e, tid, a->ops, &a->sum[tid]);

	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return rc;
}

/* Devices 00:01.0 and (with 2 threads) 00:02.0, each on its own CPU: ns per read overall. */
static int run_team(void *arg, double *ns_per_op)
{
	struct read_arg *a = arg;
	struct alloc_team t = { .n = a->threads, .body = team_body, .arg = a };
	int rc = alloc_team_run(&t);

	*ns_per_op = (double)t.wall_ns / (double)(a->ops * a->threads);
	return rc;
}

static void read_row(const struct bench_opts *o, const struct bench_variant *v,
		     const struct read_arg *a, const struct bench_variant *floor)
{
	struct bench_row r;

	bench_row_init(&r, "dev.read8", v->name, v);
	r.threads = a->threads ? a->threads : 1;
	bench_param_num(&r, "devices", a->threads ? a->threads : 1);
	bench_param_num(&r, "len_bytes", 8);
	bench_param_json(&r, "ops", (double)a->ops);
	if (floor)
		r.ratio = floor->sum.median > 0 ? v->sum.median / floor->sum.median : 0;
	if (a->instr >= 0)
		bench_extra(&r, "instr_per_op", a->instr);
	bench_emit(o, &r);
}

static int dv_read(const struct bench_opts *o, struct dv_env *e, struct dv_goals *g)
{
	uint64_t ops = o->quick ? 1 << 12 : 1 << 20;
	struct read_arg a[6] = {
		{ .e = e, .ops = ops, .instr = -1 }, { .e = e, .ops = ops, .instr = -1 },
		{ .e = e, .ops = ops, .instr = -1, .ws = true },
		{ .e = e, .ops = ops, .instr = -1, .ws = true },
		{ .e = e, .ops = ops, .threads = 1, .instr = -1 },
		{ .e = e, .ops = ops, .threads = 2, .instr = -1 },
	};
	struct alloc_alu alu[2] = { { .threads = 1, .ops = ops }, { .threads = 2, .ops = ops } };
	struct bench_variant v[8] = {
		{ .name = "OURS-dma8-hit", .run = run_read, .arg = &a[0] },
		{ .name = "FLOOR-load", .run = run_load, .arg = &a[1] },
		{ .name = "OURS-dma8-hit-16pg", .run = run_read, .arg = &a[2] },
		{ .name = "FLOOR-load-16pg", .run = run_load, .arg = &a[3] },
		{ .name = "OURS-dma8-1dev-1T", .run = run_team, .arg = &a[4] },
		{ .name = "OURS-dma8-2dev-2T", .run = run_team, .arg = &a[5] },
		{ .name = "FLOOR-alu-1T", .run = alloc_alu_run, .arg = &alu[0] },
		{ .name = "FLOOR-alu-2T", .run = alloc_alu_run, .arg = &alu[1] },
	};
	int rc;

	e->instr_fd = alloc_instr_open();
	bench_section(o, "dev.read8: tce_dev_dma_read() of 8 bytes on a TCE-cache hit against a raw\n"
			 "   load of the same word: one page read again and again, and 16 pages\n"
			 "   read in turn (-16pg); one device on one thread against two devices\n"
			 "   (00:01.0 on PE 0, 00:02.0 on PE 1, one PHB) on CPUs 0 and 1, beside the\n"
			 "   same team running arithmetic alone (FLOOR-alu, 8 multiply-adds a round);\n"
			 "   ns per read (per round)",
		      "ns/read");
	g->cpus_free = alloc_cpus_free(g->share[0]);
	rc = bench_run_interleaved(v, 8, o->reps);
	g->cpus_free = alloc_cpus_free(g->share[1]) && g->cpus_free;
	if (!rc && (a[0].sum[0] != a[1].sum[0] || a[2].sum[0] != a[3].sum[0] ||
		    a[5].sum[0] != a[4].sum[0] || a[5].sum[1] != ops * *e->word[1]))
		return dv_fail("a read returned the wrong word", -EPROTO);
	if (rc)
		return rc;
	read_row(o, &v[0], &a[0], &v[1]);
	read_row(o, &v[1], &a[1], &v[1]);
	read_row(o, &v[2], &a[2], &v[3]);
	read_row(o, &v[3], &a[3], &v[3]);
	read_row(o, &v[4], &a[4], NULL);
	read_row(o, &v[5], &a[5], NULL);
	g->floor_scaling = alloc_alu_emit(o, "dev.read8", &v[6], alu);
	g->read1 = v[0];
	g->read_ws = v[2];
	g->read_ws_instr = a[2].instr;
	g->read2 = v[5];
	g->read_instr = a[0].instr;
	g->scaling = bench_paired_ratio(&v[4], &v[5]);
	g->have_scaling = true;
	bench_note(o, "  2 devices on 2 threads / 1 on 1, paired: %.2fx (FLOOR-alu %.2fx); CPU-free "
		      "check (CPU 0/1): before %.2f/%.2f, after %.2f/%.2f: %s", g->scaling,
		   g->floor_scaling, g->share[0][0], g->share[0][1], g->share[1][0], g->share[1][1],
		   g->cpus_free ? "free" : "busy");
	return 0;
}

/* ---- dev.map: loads through a translate-once mapping ---- */

struct map_arg {
	struct dv_env *e;
	const uint64_t *base;      /* the mapped pointer, or the raw buffer */
	struct tce_dev_map *map;   /* OURS: checked once a pass; NULL for the floor */
	uint64_t passes;           /* over the 64 KiB, 8 bytes a load */
	uint64_t sum;
};

static int run_loads(void *arg, double *ns_per_op)
{
	struct map_arg *a = arg;
	uint64_t words = DV_COPY / 8, p, i, s = 0, t0, t1;
	const uint64_t *q;

	t0 = bench_now_ns();
	for (p = 0; p < a->passes; p++) {
		if (a->map && !tce_dev_dma_map_valid(a->map))
			return dv_fail("the mapping was invalidated", -ESTALE);
		q = a->base;
		BENCH_OPAQUE(q);
		for (i = 0; i < words; i++)
			s += q[i];
	}
	t1 = bench_now_ns();
	a->sum = s;
	bench_sink += s;
	*ns_per_op = (double)(t1 - t0) / (double)(a->passes * words);
	return 0;
}

/* One tce_dev_dma_map() + tce_dev_dma_unmap() of the 64 KiB, per op. */
static int run_map_pair(void *arg, double *ns_per_op)
{
	struct map_arg *a = arg;
	struct tce_dev_map *map;
	uint64_t i, t0, t1;
	void *p;
	int rc = 0;

	t0 = bench_now_ns();
	for (i = 0; i < a->passes && !rc; i++) {
		rc = tce_dev_dma_map(a->e->d[0], DV_SRC_BUS, DV_COPY, false, &p, &map);
		if (!rc)
			tce_dev_dma_unmap(map);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)a->passes;
	return rc ? dv_fail("tce_dev_dma_map", rc) : 0;
}

static void map_row(const struct bench_opts *o, const struct bench_variant *v,
		    const struct bench_variant *floor, const char *unit)
{
	struct bench_row r;

	bench_row_init(&r, "dev.map", v->name, v);
	bench_param_num(&r, "size_bytes", DV_COPY);
	bench_param_str(&r, "per", unit);
	if (floor)
		r.ratio = floor->sum.median > 0 ? v->sum.median / floor->sum.median : 0;
	bench_emit(o, &r);
}

static int dv_mapped(const struct bench_opts *o, struct dv_env *e, struct dv_goals *g)
{
	uint64_t passes = o->quick ? 16 : 2048;
	struct map_arg a[3] = {
		{ .e = e, .passes = passes }, { .e = e, .base = (const uint64_t *)e->src,
						.passes = passes },
		{ .e = e, .passes = o->quick ? 64 : 1 << 14 },
	};
	struct bench_variant v[3] = {
		{ .name = "OURS-mapped-load", .run = run_loads, .arg = &a[0] },
		{ .name = "FLOOR-raw-load", .run = run_loads, .arg = &a[1] },
		{ .name = "OURS-map+unmap-64K", .run = run_map_pair, .arg = &a[2] },
	};
	void *p;
	int rc = tce_dev_dma_map(e->d[0], DV_SRC_BUS, DV_COPY, false, &p, &a[0].map);

	if (rc)
		return dv_fail("tce_dev_dma_map", rc);
	a[0].base = p;
	bench_section(o, "dev.map: 8-byte loads over 64 KiB through a tce_dev_dma_map() pointer\n"
			 "   (validity checked once a pass) against raw loads of the same buffer;\n"
			 "   ns per load, and one map+unmap of the 64 KiB in ns", "ns/op");
	rc = bench_run_interleaved(v, 3, o->reps);
	if (!rc && (a[0].sum != a[1].sum || p != (void *)e->src))
		rc = dv_fail("the mapping does not read the buffer", -EPROTO);
	tce_dev_dma_unmap(a[0].map);
	if (rc)
		return rc;
	map_row(o, &v[0], &v[1], "load");
	map_row(o, &v[1], &v[1], "load");
	map_row(o, &v[2], NULL, "map+unmap");
	g->mapped = v[0];
	g->map_ratio = bench_paired_ratio(&v[0], &v[1]);
	g->have_map = true;
	return 0;
}

/* ---- goal rows ---- */

/* The smallest CPU share the check measured (before and after, both CPUs). */
static double share_min(const double share[2][ALLOC_THREADS_MAX])
{
	double m = share[0][0];
	unsigned i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < ALLOC_THREADS_MAX; j++)
			m = share[i][j] < m ? share[i][j] : m;
	return m;
}

/*
 * A G4 goal row; @share: the CPU-free check's shares for a two-thread goal,
 * else NULL; @floor: the ALU floor's two-thread scaling beside it, < 0: none.
 */
static void goal_row(const struct bench_opts *o, const char *variant,
		     const struct bench_variant *v, unsigned threads, double ratio,
		     const char *goal, bool met, const char *why,
		     const double (*share)[ALLOC_THREADS_MAX], double floor)
{
	struct bench_row r;

	bench_row_init(&r, "dev.goals", variant, v);
	r.threads = threads;
	bench_param_num(&r, "threads", threads);
	if (share) /* the in-run CPU-free check this row was judged by */
		bench_extra(&r, "cpu_share_min", share_min(share));
	if (floor >= 0)
		bench_extra(&r, "floor_scaling", floor);
	bench_goal(&r, "G4", ratio, goal, met, why == NULL);
	if (why) {
		r.target = why;
		bench_param_str(&r, "goal", goal);
	}
	bench_emit(o, &r);
}

static void dv_goals(const struct bench_opts *o, const struct dv_goals *g)
{
	bench_section(o, "dev.goals: issue 12 G4, ratios from rows of this run", "ns/op");
	goal_row(o, "OURS-engine-64K", &g->copy, 1, g->copy_ratio,
		 "copy engine <=1.3x memcpy (64 KiB, paired)", g->copy_ratio <= 1.3, NULL, NULL, -1);
	if (!g->have_scaling)
		return;
	goal_row(o, "OURS-dma8-hit", &g->read1, 1, g->read_instr, "hit read <=100 instr",
		 g->read_instr >= 0 && g->read_instr <= 100,
		 g->read_instr < 0 ? "not judged: no perf counters (callgrind: docs/performance.md G4)"
				   : NULL, NULL, -1);
	goal_row(o, "OURS-dma8-hit-16pg", &g->read_ws, 1, g->read_ws_instr,
		 "hit read <=100 instr (16 pages in turn)",
		 g->read_ws_instr >= 0 && g->read_ws_instr <= 100,
		 g->read_ws_instr < 0 ? "not judged: no perf counters (callgrind: docs/performance.md "
					"G4)" : NULL, NULL, -1);
	goal_row(o, "OURS-dma8-2dev-2T", &g->read2, 2, g->scaling,
		 ">=1.8x 1 device (2 devices, 2 PEs, 2 threads)", g->scaling >= DV_SCALING_GOAL,
		 alloc_unjudged_2t(g->cpus_free, g->floor_scaling), g->share, g->floor_scaling);
	if (g->have_map)
		goal_row(o, "OURS-mapped-load", &g->mapped, 1, g->map_ratio,
			 "mapped load <=1.3x raw load (paired)", g->map_ratio <= 1.3, NULL, NULL, -1);
}

int bench_dev(const struct bench_opts *o)
{
	struct dv_env e = { .instr_fd = -1 };
	struct dv_goals g = { .read_instr = -1, .read_ws_instr = -1 };
	int rc = dv_setup(&e);

	if (!rc)
		rc = dv_copy(o, &e, &g);
	if (!rc)
		rc = dv_read(o, &e, &g);
	if (!rc)
		rc = dv_mapped(o, &e, &g);
	if (!rc)
		dv_goals(o, &g);
	if (e.instr_fd >= 0)
		close(e.instr_fd);
	tce_machine_destroy(e.m);
	return rc;
}
