/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B4 of spec performance.md §6.4: DMA map+unmap end to end through
 * tce_dma_map_page()/unmap_page() of 1 and 16 pages and tce_dma_map_sg()/
 * unmap_sg() of a 64-element list, over 4 GiB windows of 4 KiB pages at bus 0
 * whose tables have 1, 2 or 3 levels (4 and 5 are refused by the 55-bit rule
 * and printed so), lazy (flush before reuse) or strict (flush every unmap),
 * on 1 and 2 threads; and 1-page maps on a 2-level window at bus 4 GiB, to
 * show what starting at bus 0 costs. The backend forwards to
 * tce_table_set()/clear() and counts flush calls per worker. Each worker
 * keeps a FIFO of live mappings.
 * The FLOOR is the FLOOR bitmap plus plain stores into a flat TCE array.
 * Layer: tools; uses <tce.h> only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define DMA_ENTRIES (1ULL << 20) /* 4 GiB of 4 KiB pages */
#define DMA_LIVE 64              /* live page mappings per worker, a power of two */
#define DMA_SG_LIVE 4            /* live scatter lists per worker */
#define DMA_SG_NENTS 64
#define DMA_REAL_BASE (1ULL << 40)
#define DMA_REAL_MASK ((1ULL << 30) - 1) /* real addresses cycle through 1 GiB */
#define DMA_LEVELS 3
#define DMA_OPS 3
#define DMA_NV (DMA_OPS * (1 + 2 * DMA_LEVELS * 2))
#define DMA_HI_BUS (1ULL << 32) /* the comparison windows start at 4 GiB */
#define DMA_NV_ALL (DMA_NV + 2)

enum dma_op { OP_PAGE1, OP_PAGE16, OP_SG64 };
static const char *const op_name[DMA_OPS] = { "page1", "page16", "sg64" };
static const uint64_t op_pages[DMA_OPS] = { 1, 16, DMA_SG_NENTS };

/* Which worker this thread is, for the per-worker flush counters. */
static _Thread_local unsigned dma_tid;

/* The counting backend: TCEs go to the table, flushes are counted per worker. */
struct dma_backend {
	struct tce_table *t;
	struct {
		_Alignas(64) uint64_t n;
	} flushes[ALLOC_THREADS_MAX];
};

static int be_set(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	struct dma_backend *b = arg;

	return tce_table_set(b->t, idx, npages, real, dir);
}

static void be_clear(void *arg, uint64_t idx, uint64_t npages)
{
	struct dma_backend *b = arg;

	tce_table_clear(b->t, idx, npages);
}

static void be_flush(void *arg)
{
	struct dma_backend *b = arg;

	b->flushes[dma_tid].n++;
}

static const struct tce_dma_ops counting_ops = {
	.set = be_set,
	.clear = be_clear,
	.flush = be_flush,
};

/* One DMA object over its own table. */
struct dma_inst {
	struct dma_backend be;
	struct tce_dma *d;
	struct tce_dma_config cfg; /* granted */
	uint32_t levels;
	bool strict;
	bool hi; /* the window starts at DMA_HI_BUS, not at bus 0 */
};

/* A worker's live mappings, FIFO. */
struct dma_worker {
	_Alignas(64) uint64_t bus[DMA_LIVE];
	struct tce_sg sg[DMA_SG_LIVE][DMA_SG_NENTS];
	uint64_t last_idx, wraps, first_pool;
	uint64_t flush0, flush1; /* this worker's flush count around its timed loop */
};

struct dma_floor {
	struct alloc_inst in;
	uint64_t *tces;
};

struct dma_arg {
	struct dma_inst *di;    /* NULL: the FLOOR */
	struct dma_floor *fl;
	enum dma_op op;
	unsigned threads;
	uint64_t ops;           /* per worker */
	struct alloc_samples fair;
	uint64_t flushes, wraps, done; /* over every batch */
	bool same_pool;
	char name[24];
	struct dma_worker w[ALLOC_THREADS_MAX];
};

static int dma_fail(const char *what, int rc)
{
	return alloc_fail(what, rc);
}

/* ------------------------------------------------------------------------ */
/* The library's loops                                                      */
/* ------------------------------------------------------------------------ */

static uint64_t real_of(uint64_t i, uint64_t bytes)
{
	return DMA_REAL_BASE + ((i * bytes) & DMA_REAL_MASK);
}

static int map_one(struct dma_arg *a, unsigned tid, uint64_t i, uint64_t *bus)
{
	uint64_t bytes = op_pages[a->op] << ALLOC_PAGE_SHIFT;
	struct dma_worker *w = &a->w[tid];
	int rc = tce_dma_map_page(a->di->d, real_of(i, bytes), bytes, TCE_DIR_BIDIRECTIONAL, bus);
	uint64_t idx = *bus >> ALLOC_PAGE_SHIFT;

	w->wraps += idx < w->last_idx;
	w->last_idx = idx;
	return rc;
}

static void sg_fill(struct tce_sg *sg, uint64_t i)
{
	unsigned j;

	for (j = 0; j < DMA_SG_NENTS; j++) {
		/* Every other real page: elements never merge in real memory. */
		sg[j] = (struct tce_sg){ .real = real_of(i * DMA_SG_NENTS + j, 2ULL << ALLOC_PAGE_SHIFT),
					 .length = 1ULL << ALLOC_PAGE_SHIFT };
	}
}

static int map_list(struct dma_arg *a, struct tce_sg *sg, uint64_t i)
{
	unsigned mapped;

	sg_fill(sg, i);
	return tce_dma_map_sg(a->di->d, sg, DMA_SG_NENTS, TCE_DIR_BIDIRECTIONAL, &mapped);
}

static int loop_pages(struct dma_arg *a, unsigned tid, struct alloc_progress *p)
{
	uint64_t bytes = op_pages[a->op] << ALLOC_PAGE_SHIFT, *live = a->w[tid].bus, i, bus, old;

	for (i = 0; i < a->ops; i++) {
		if (map_one(a, tid, DMA_LIVE + i, &bus))
			return dma_fail("b4: tce_dma_map_page", -ENOSPC);
		old = live[i % DMA_LIVE];
		live[i % DMA_LIVE] = bus;
		if (tce_dma_unmap_page(a->di->d, old, bytes))
			return dma_fail("b4: tce_dma_unmap_page", -EINVAL);
		if (!(i & 255))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

static int loop_sg(struct dma_arg *a, unsigned tid, struct alloc_progress *p)
{
	struct tce_sg *sg;
	uint64_t i;
	int rc;

	for (i = 0; i < a->ops; i++) {
		sg = a->w[tid].sg[i % DMA_SG_LIVE];
		if (tce_dma_unmap_sg(a->di->d, sg, DMA_SG_NENTS))
			return dma_fail("b4: tce_dma_unmap_sg", -EINVAL);
		rc = map_list(a, sg, DMA_SG_LIVE + i);
		if (rc)
			return dma_fail("b4: tce_dma_map_sg", rc);
		if (!(i & 7))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The FLOOR: bitmap next-fit plus one store per TCE                        */
/* ------------------------------------------------------------------------ */

static int floor_map(struct dma_arg *a, uint64_t i, uint64_t *idx)
{
	struct alloc_req r = { .npages = op_pages[a->op], .cpu = -1 };
	uint64_t n = r.npages, real = real_of(i, n << ALLOC_PAGE_SHIFT), k;
	int rc = alloc_get(&a->fl->in, &r, idx);

	if (rc)
		return rc;
	for (k = 0; k < n; k++)
		a->fl->tces[*idx + k] = (real + (k << ALLOC_PAGE_SHIFT)) | TCE_PCI_READ | TCE_PCI_WRITE;
	return 0;
}

static void floor_unmap(struct dma_arg *a, uint64_t idx)
{
	uint64_t n = op_pages[a->op];

	memset(&a->fl->tces[idx], 0, n * sizeof(uint64_t));
	alloc_put(&a->fl->in, 0, idx, n);
}

static int loop_floor(struct dma_arg *a, unsigned tid, struct alloc_progress *p)
{
	uint64_t *live = a->w[0].bus, i, idx;

	for (i = 0; i < a->ops; i++) {
		if (floor_map(a, DMA_LIVE + i, &idx))
			return dma_fail("b4: FLOOR alloc", -ENOSPC);
		floor_unmap(a, live[i % DMA_LIVE]);
		live[i % DMA_LIVE] = idx;
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Set-up and tear-down of a worker's live mappings (untimed)               */
/* ------------------------------------------------------------------------ */

static int worker_setup(void *arg, unsigned tid)
{
	struct dma_arg *a = arg;
	struct dma_worker *w = &a->w[tid];
	unsigned i;
	int rc = 0;

	dma_tid = tid;
	w->last_idx = 0;
	for (i = 0; i < DMA_LIVE && !rc && !a->di; i++)
		rc = floor_map(a, i, &w->bus[i]);
	for (i = 0; i < DMA_LIVE && !rc && a->di && a->op != OP_SG64; i++)
		rc = map_one(a, tid, i, &w->bus[i]);
	for (i = 0; i < DMA_SG_LIVE && !rc && a->di && a->op == OP_SG64; i++)
		rc = map_list(a, w->sg[i], i);
	if (a->di)
		w->first_pool = (((a->op == OP_SG64 ? w->sg[0][0].dma_address : w->bus[0]) >>
				  ALLOC_PAGE_SHIFT) - a->di->cfg.pool.first_idx) /
				a->di->cfg.pool.pool_entries;
	w->wraps = 0;
	w->flush0 = a->di ? a->di->be.flushes[tid].n : 0;
	return rc ? dma_fail("b4: live mappings", rc) : 0;
}

static void worker_teardown(void *arg, unsigned tid)
{
	struct dma_arg *a = arg;
	struct dma_worker *w = &a->w[tid];
	unsigned i;

	w->flush1 = a->di ? a->di->be.flushes[tid].n : 0;
	for (i = 0; i < DMA_LIVE && !a->di; i++)
		floor_unmap(a, w->bus[i]);
	for (i = 0; i < DMA_LIVE && a->di && a->op != OP_SG64; i++)
		tce_dma_unmap_page(a->di->d, w->bus[i], op_pages[a->op] << ALLOC_PAGE_SHIFT);
	for (i = 0; i < DMA_SG_LIVE && a->di && a->op == OP_SG64; i++)
		tce_dma_unmap_sg(a->di->d, w->sg[i], DMA_SG_NENTS);
}

static int worker_body(void *arg, unsigned tid, struct alloc_progress *p)
{
	struct dma_arg *a = arg;

	if (!a->di)
		return loop_floor(a, tid, p);
	return a->op == OP_SG64 ? loop_sg(a, tid, p) : loop_pages(a, tid, p);
}

static int dma_batch(void *arg, double *ns_per_op)
{
	struct dma_arg *a = arg;
	struct alloc_team t = { .n = a->threads, .setup = worker_setup, .body = worker_body,
				.teardown = worker_teardown, .arg = a };
	unsigned i;
	int rc = alloc_team_run(&t);

	if (rc)
		return rc;
	for (i = 0; i < a->threads; i++)
		a->flushes += a->w[i].flush1 - a->w[i].flush0;
	a->wraps += a->w[0].wraps + (a->threads > 1 ? a->w[1].wraps : 0);
	a->done += a->ops * a->threads;
	a->same_pool = a->threads > 1 && a->w[0].first_pool == a->w[1].first_pool;
	alloc_sample(&a->fair, t.fairness);
	*ns_per_op = (double)t.wall_ns / (double)(a->ops * a->threads);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

static struct tce_table_config table_cfg(uint32_t levels, bool hi)
{
	return (struct tce_table_config){ .bus_offset = hi ? DMA_HI_BUS : 0,
					  .window_size = DMA_ENTRIES << ALLOC_PAGE_SHIFT,
					  .page_shift = ALLOC_PAGE_SHIFT, .levels = levels };
}

/* Every level is allocated up front: no timed region takes a page fault. */
static int dma_inst_create(struct dma_inst *di, struct tce_ctx *ctx, uint32_t levels, bool strict,
			   bool hi)
{
	struct tce_table_config tc = table_cfg(levels, hi);
	int rc = tce_table_create(ctx, &tc, &di->be.t);

	if (rc)
		return dma_fail("b4: tce_table_create", rc);
	rc = tce_table_set(di->be.t, tc.first_idx, tc.entries, DMA_REAL_BASE, TCE_DIR_BIDIRECTIONAL);
	if (!rc)
		rc = tce_table_clear(di->be.t, tc.first_idx, tc.entries);
	di->cfg = (struct tce_dma_config){ .table = di->be.t, .ops = &counting_ops,
					   .ops_arg = &di->be, .strict = strict };
	if (!rc)
		rc = tce_dma_create(ctx, &di->cfg, &di->d);
	di->levels = levels;
	di->strict = strict;
	di->hi = hi;
	return rc ? dma_fail("b4: tce_dma_create", rc) : 0;
}

static void dma_inst_destroy(struct dma_inst *di)
{
	tce_dma_destroy(di->d);
	tce_table_put(di->be.t);
	di->d = NULL;
	di->be.t = NULL;
}

static int floor_create(struct dma_floor *fl, struct tce_ctx *ctx)
{
	struct alloc_geom g = { ctx, 0, DMA_ENTRIES, ALLOC_PAGE_SHIFT };
	int rc = alloc_inst_create(&fl->in, K_FLOOR, &g);

	fl->tces = calloc(DMA_ENTRIES, sizeof(uint64_t));
	if (!rc && !fl->tces)
		rc = dma_fail("b4: FLOOR table", -ENOMEM);
	if (!rc)
		memset(fl->tces, 0xff, DMA_ENTRIES * sizeof(uint64_t)); /* pre-fault */
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The run: FLOOR, then levels x lazy/strict x threads, per op              */
/* ------------------------------------------------------------------------ */

struct dma_run {
	struct dma_inst di[DMA_LEVELS][2]; /* [levels - 1][strict] */
	struct dma_inst hi[2];             /* [strict]: 2 levels at bus 4 GiB */
	struct dma_floor fl;
	struct dma_arg args[DMA_NV_ALL];
	struct bench_variant v[DMA_NV_ALL];
	unsigned nv;
};

/* Variant index: per op, the FLOOR, then (levels, strict, threads). */
static unsigned vidx(enum dma_op op, uint32_t levels, bool strict, unsigned threads)
{
	unsigned per = 1 + 2 * DMA_LEVELS * 2;

	if (!levels)
		return op * per;
	return op * per + 1 + ((levels - 1) * 2 + strict) * 2 + (threads - 1);
}

static void add_arg(struct dma_run *run, enum dma_op op, uint32_t levels, bool strict,
		    unsigned threads, uint64_t ops)
{
	unsigned i = vidx(op, levels, strict, threads);
	struct dma_arg *a = &run->args[i];

	a->di = levels ? &run->di[levels - 1][strict] : NULL;
	a->fl = &run->fl;
	a->op = op;
	a->threads = threads;
	a->ops = ops;
	if (levels)
		snprintf(a->name, sizeof(a->name), "OURS-L%u-%s", levels, strict ? "strict" : "lazy");
	else
		snprintf(a->name, sizeof(a->name), "FLOOR");
	run->v[i] = (struct bench_variant){ .name = a->name, .run = dma_batch, .arg = a };
}

/* The bus-4-GiB comparison: 1 page, 2 levels, 1 thread, after the rest. */
static void add_hi(struct dma_run *run, bool strict, uint64_t ops)
{
	unsigned i = DMA_NV + strict;
	struct dma_arg *a = &run->args[i];

	*a = (struct dma_arg){ .di = &run->hi[strict], .fl = &run->fl, .op = OP_PAGE1,
			       .threads = 1, .ops = ops };
	snprintf(a->name, sizeof(a->name), "OURS-L2-%s@4G", strict ? "strict" : "lazy");
	run->v[i] = (struct bench_variant){ .name = a->name, .run = dma_batch, .arg = a };
}

static int dma_setup(struct dma_run *run, struct tce_ctx *ctx, uint64_t ops)
{
	static const uint64_t scale[DMA_OPS] = { 1, 2, 32 };
	uint32_t l;
	unsigned op, s, t;
	int rc = floor_create(&run->fl, ctx);

	for (l = 1; l <= DMA_LEVELS && !rc; l++)
		for (s = 0; s < 2 && !rc; s++)
			rc = dma_inst_create(&run->di[l - 1][s], ctx, l, s, false);
	for (s = 0; s < 2 && !rc; s++)
		rc = dma_inst_create(&run->hi[s], ctx, 2, s, true);
	for (op = 0; op < DMA_OPS && !rc; op++) {
		add_arg(run, op, 0, false, 1, ops / scale[op]);
		for (l = 1; l <= DMA_LEVELS; l++)
			for (s = 0; s < 2; s++)
				for (t = 1; t <= 2; t++)
					add_arg(run, op, l, s, t, ops / scale[op]);
	}
	add_hi(run, false, ops);
	add_hi(run, true, ops);
	run->nv = DMA_NV_ALL;
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Rows and targets                                                         */
/* ------------------------------------------------------------------------ */

static double med_of(const struct dma_run *run, enum dma_op op, uint32_t l, bool s, unsigned t)
{
	return run->v[vidx(op, l, s, t)].sum.median;
}

/*
 * Spec §6.4 B4: 1-page map+unmap <= 40 ns on one thread; each extra page
 * <= 2 ns; each extra level <= +2 ns; 2 threads >= 1.8x; lazy flushes
 * <= 1 per wrap of the allocation cursor.
 */
static void dma_targets(struct bench_row *r, const struct dma_run *run, const struct dma_arg *a)
{
	uint32_t l = a->di->levels;
	bool s = a->di->strict;
	double ns = r->v->sum.median, one = med_of(run, OP_PAGE1, l, s, 1), per_page, d;
	char what[96];

	if (a->threads == 2) {
		d = ns > 0 ? med_of(run, a->op, l, s, 1) / ns : 0;
		bench_target(r, ">=1.8x 1 thread", d >= 1.8);
		snprintf(what, sizeof(what), "%s %s: 2 threads >= 1.8x 1 thread", a->name, op_name[a->op]);
		alloc_target("B4", what, d >= 1.8, "%.2fx, fairness %.2f%s", d,
			     alloc_samples_median(&a->fair), a->same_pool ? ", workers in one pool" : "");
		return;
	}
	if (a->op == OP_PAGE16) {
		per_page = (ns - one) / 15;
		bench_target(r, "<=+2ns/page", per_page <= 2.0);
		snprintf(what, sizeof(what), "%s: each extra contiguous page <= 2 ns", a->name);
		alloc_target("B4", what, per_page <= 2.0, "%.2f ns/page (16 pages %.1f, 1 page %.1f)",
			     per_page, ns, one);
		return;
	}
	if (a->op != OP_PAGE1)
		return;
	snprintf(what, sizeof(what), "%s: 1-page map+unmap <= 40 ns, 1 thread", a->name);
	alloc_target("B4", what, ns <= 40.0, "%.1f ns", ns);
	if (l > 1) {
		d = ns - med_of(run, OP_PAGE1, l - 1, s, 1);
		bench_target(r, "<=+2ns/level", d <= 2.0);
		snprintf(what, sizeof(what), "%s: level %u adds <= 2 ns", a->name, l);
		alloc_target("B4", what, d <= 2.0, "%+.1f ns over %u levels", d, l - 1);
	} else {
		bench_target(r, "<=40ns", ns <= 40.0);
	}
	if (!s) {
		snprintf(what, sizeof(what), "%s: lazy flush calls <= 1 per allocation wrap", a->name);
		alloc_target("B4", what, a->flushes <= a->wraps, "%llu flushes, %llu wraps seen",
			     (unsigned long long)a->flushes, (unsigned long long)a->wraps);
	}
}

static void dma_emit(const struct bench_opts *o, const struct dma_run *run, unsigned i)
{
	const struct dma_arg *a = &run->args[i];
	const struct bench_variant *fl = &run->v[vidx(a->op, 0, false, 1)];
	struct bench_row r;

	bench_row_init(&r, "alloc.b4", a->name, &run->v[i]);
	r.threads = a->threads;
	bench_param_num(&r, "threads", a->threads);
	bench_param_str(&r, "op", op_name[a->op]);
	if (a->di)
		bench_param_json(&r, "levels", a->di->levels);
	alloc_ratios(&r, fl->sum.median, 0, 0);
	bench_extra(&r, "fairness", alloc_samples_median(&a->fair))->json_only = a->threads == 1;
	bench_extra(&r, "ns_per_page", run->v[i].sum.median / (double)op_pages[a->op]);
	if (a->di)
		bench_extra(&r, "flush_per_op", a->done ? (double)a->flushes / (double)a->done : 0);
	if (a->di)
		bench_extra(&r, "pool", (double)a->w[0].first_pool);
	if (a->threads == 2)
		bench_extra(&r, "same_pool", a->same_pool);
	if (a->di && a->di->hi)
		bench_param_str(&r, "bus", "4GiB");
	if (a->di && !a->di->hi)
		dma_targets(&r, run, a);
	else if (a->di)
		bench_target(&r, "<=40ns", r.v->sum.median <= 40.0);
	bench_emit(o, &r);
}

/* Levels 4 and 5 of the same window: the 55-bit rule must refuse them. */
static int emit_refusal(const struct bench_opts *o, struct tce_ctx *ctx, uint32_t levels)
{
	struct tce_table_config cfg = table_cfg(levels, false);
	struct tce_table *t = NULL;
	struct bench_row r;
	char name[16];
	int rc = tce_table_create(ctx, &cfg, &t);

	if (rc != -EINVAL) {
		tce_table_put(t);
		return dma_fail("b4: a table the 55-bit rule forbids was not refused",
				rc ? rc : -EPROTO);
	}
	snprintf(name, sizeof(name), "OURS-L%u", levels);
	bench_row_init(&r, "alloc.b4", name, NULL);
	bench_param_num(&r, "levels", levels);
	bench_param_num(&r, "window_bytes", (double)cfg.window_size);
	r.refused = rc;
	bench_emit(o, &r);
	return 0;
}

int alloc_b4(const struct bench_opts *o, struct tce_ctx *ctx)
{
	struct dma_run *run = calloc(1, sizeof(*run));
	uint64_t ops = o->quick ? 1 << 11 : 1 << 16;
	char title[220];
	unsigned i;
	uint32_t l;
	int rc;

	if (!run)
		return dma_fail("b4 state", -ENOMEM);
	rc = dma_setup(run, ctx, ops);
	snprintf(title, sizeof(title), "alloc.b4: DMA map+unmap, 4 GiB windows at bus 0 (@4G: at bus 4 GiB), 4 KiB pages, "
		 "%d live mappings/worker (sg: %d lists), %llu ops/worker/batch (16 pages /2, sg /32)",
		 DMA_LIVE, DMA_SG_LIVE, (unsigned long long)ops);
	bench_section(o, title, "ns/op");
	if (!rc)
		rc = bench_run_interleaved(run->v, run->nv, o->reps);
	for (i = 0; i < run->nv && !rc; i++)
		dma_emit(o, run, i);
	for (l = 4; l <= 5 && !rc; l++)
		rc = emit_refusal(o, ctx, l);
	for (l = 0; l < DMA_LEVELS; l++) {
		dma_inst_destroy(&run->di[l][0]);
		dma_inst_destroy(&run->di[l][1]);
	}
	dma_inst_destroy(&run->hi[0]);
	dma_inst_destroy(&run->hi[1]);
	alloc_inst_destroy(&run->fl.in);
	free(run->fl.tces);
	free(run);
	return rc;
}
