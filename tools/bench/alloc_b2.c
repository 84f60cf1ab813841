/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B2 of spec performance.md §6.4: contention, 1 against 2 threads pinned to
 * CPU 0 and 1. Each worker runs the B1 FIFO loop (1-page pairs over its own
 * 256 live handles) for a fixed op count on a window of M entries half
 * filled; "xfree" has worker 0 allocate and worker 1 free through an SPSC
 * ring (the TX-completion pattern). For OURS the two workers' pools are
 * chosen through tce_alloc_req.cpu: "disjoint" (CPU ids probed to start in
 * different pools) or "same" (one CPU id for both). Fairness is the smaller
 * worker's op count, over the larger's, at the moment the first finished.
 * Layer: tools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_lock.h"

#define B2_LIVE 256
#define B2_RING 256 /* SPSC slots, a power of two */
#define B2_FILL 50
#define B2_FIRST (1ULL << 30)
#define B2_MAXV 48

enum b2_slot { S_1T, S_2T, S_SAME, S_XFREE, S_COUNT };
static const char *const b2_pools_name[S_COUNT] = { "-", "disjoint", "same", "disjoint" };

struct b2_ring {
	_Alignas(64) atomic_uint_fast64_t head; /* producer's */
	_Alignas(64) atomic_uint_fast64_t tail; /* consumer's */
	_Alignas(64) uint64_t slot[B2_RING];
};

struct b2_arg {
	const struct alloc_inst *in;
	enum alloc_kind_id id;
	enum b2_slot slot;
	unsigned threads;
	int32_t cpu[ALLOC_THREADS_MAX];
	uint64_t ops; /* per worker */
	struct alloc_samples fair;
	struct b2_ring ring;
	_Alignas(64) uint64_t live[ALLOC_THREADS_MAX][B2_LIVE];
};

struct b2_run {
	struct alloc_inst in[K_COUNT];
	struct b2_arg args[B2_MAXV];
	struct bench_variant v[B2_MAXV];
	int idx[K_COUNT][S_COUNT]; /* variant of a kind and slot, -1 if none */
	unsigned nv;
	struct alloc_alu alu[2];       /* FLOOR-alu on 1 and 2 threads */
	int alu_idx[2];                /* their variants, side by side */
	int32_t cpu_p4[2], cpu_p16[2]; /* disjoint CPU ids */
	uint64_t entries;              /* M, or S when quick */
};

static struct alloc_req b2_req(const struct b2_arg *a, unsigned tid)
{
	return (struct alloc_req){ .npages = 1, .cpu = a->cpu[tid], .tid = tid };
}

static int b2_setup(void *arg, unsigned tid)
{
	struct b2_arg *a = arg;
	struct alloc_req r = b2_req(a, tid);
	unsigned i;
	int rc;

	for (i = 0; i < B2_LIVE; i++) {
		rc = alloc_get(a->in, &r, &a->live[tid][i]);
		if (rc)
			return alloc_fail("b2: live handles", rc);
	}
	return 0;
}

static void b2_teardown(void *arg, unsigned tid)
{
	struct b2_arg *a = arg;
	unsigned i;

	for (i = 0; i < B2_LIVE; i++)
		alloc_put(a->in, tid, a->live[tid][i], 1);
}

/* The B1 FIFO loop on this worker's handles. */
static int body_pairs(void *arg, unsigned tid, struct alloc_progress *p)
{
	struct b2_arg *a = arg;
	struct alloc_req r = b2_req(a, tid);
	uint64_t *live = a->live[tid], i, idx, old;

	for (i = 0; i < a->ops; i++) {
		if (alloc_get(a->in, &r, &idx))
			return alloc_fail("b2: alloc", -ENOSPC);
		old = live[i % B2_LIVE];
		live[i % B2_LIVE] = idx;
		if (alloc_put(a->in, tid, old, 1))
			return alloc_fail("b2: free", -EINVAL);
		if (!(i & 255))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

/* Worker 0: allocate and publish; it rereads the consumer's index only when full. */
static int xfree_produce(struct b2_arg *a, struct alloc_progress *p)
{
	struct b2_ring *q = &a->ring;
	struct alloc_req r = b2_req(a, 0);
	uint64_t i, idx, tail = 0;

	for (i = 0; i < a->ops; i++) {
		if (alloc_get(a->in, &r, &idx))
			return alloc_fail("b2 xfree: alloc", -ENOSPC);
		while (i - tail >= B2_RING) {
			tail = atomic_load_explicit(&q->tail, memory_order_acquire);
			if (i - tail >= B2_RING)
				bl_cpu_relax();
		}
		q->slot[i % B2_RING] = idx;
		atomic_store_explicit(&q->head, i + 1, memory_order_release);
		if (!(i & 255))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

/* Worker 1: free what worker 0 published, rereading its index only when empty. */
static int xfree_consume(struct b2_arg *a, struct alloc_progress *p)
{
	struct b2_ring *q = &a->ring;
	uint64_t i, head = 0;

	for (i = 0; i < a->ops; i++) {
		while (i >= head) {
			head = atomic_load_explicit(&q->head, memory_order_acquire);
			if (i >= head)
				bl_cpu_relax();
		}
		if (alloc_put(a->in, 1, q->slot[i % B2_RING], 1))
			return alloc_fail("b2 xfree: free", -EINVAL);
		atomic_store_explicit(&q->tail, i + 1, memory_order_release);
		if (!(i & 255))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

static int body_xfree(void *arg, unsigned tid, struct alloc_progress *p)
{
	return tid ? xfree_consume(arg, p) : xfree_produce(arg, p);
}

static int b2_batch(void *arg, double *ns_per_op)
{
	struct b2_arg *a = arg;
	struct alloc_team t = { .n = a->threads, .arg = a };
	uint64_t total;
	int rc;

	if (a->slot == S_XFREE) {
		t.body = body_xfree;
		atomic_store(&a->ring.head, 0);
		atomic_store(&a->ring.tail, 0);
		total = a->ops; /* one op = one alloc on 0 + its free on 1 */
	} else {
		t.setup = b2_setup;
		t.body = body_pairs;
		t.teardown = b2_teardown;
		total = a->ops * a->threads;
	}
	rc = alloc_team_run(&t);
	if (rc)
		return rc;
	alloc_sample(&a->fair, t.fairness);
	*ns_per_op = (double)t.wall_ns / (double)total;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Which CPU ids start in different pools                                   */
/* ------------------------------------------------------------------------ */

/* The pool a fresh allocator of @nr_pools hands @cpu's first page from. */
static int probe_pool(struct tce_ctx *ctx, uint64_t entries, uint32_t nr_pools, int32_t cpus[2])
{
	struct tce_pool_config cfg = { .first_idx = B2_FIRST, .entries = entries,
				       .page_shift = ALLOC_PAGE_SHIFT, .nr_pools = nr_pools };
	struct tce_alloc_req r = { .npages = 1 };
	uint64_t idx, pool0 = 0, pool;
	struct tce_pool *p;
	int32_t c;
	int rc = tce_pool_create(ctx, &cfg, &p);

	if (rc)
		return alloc_fail("b2 probe: tce_pool_create", rc);
	cpus[0] = 0;
	cpus[1] = -1;
	for (c = 0; c < 64 && cpus[1] < 0 && !rc; c++) {
		r.cpu = c;
		rc = tce_pool_alloc(p, &r, &idx);
		if (rc)
			break;
		pool = (idx - cfg.first_idx) / cfg.pool_entries;
		if (c == 0)
			pool0 = pool;
		else if (pool != pool0)
			cpus[1] = c;
		rc = tce_pool_free(p, idx, 1);
	}
	tce_pool_destroy(p);
	if (!rc && cpus[1] < 0)
		rc = -ESRCH;
	return rc ? alloc_fail("b2 probe: no two CPU ids in different pools", rc) : 0;
}

/* ------------------------------------------------------------------------ */
/* Variants                                                                 */
/* ------------------------------------------------------------------------ */

static void add_variant(struct b2_run *run, enum alloc_kind_id id, enum b2_slot slot,
			uint64_t ops)
{
	const struct alloc_kind *k = &alloc_kinds[id];
	const int32_t *cpus = k->nr_pools == 4 ? run->cpu_p4 : run->cpu_p16;
	struct b2_arg *a = &run->args[run->nv];

	a->in = &run->in[id];
	a->id = id;
	a->slot = slot;
	a->threads = slot == S_1T ? 1 : 2;
	a->cpu[0] = cpus[0];
	a->cpu[1] = slot == S_SAME ? cpus[0] : cpus[1];
	a->ops = alloc_ops_for(id, ops);
	run->v[run->nv] = (struct bench_variant){ .name = k->name, .run = b2_batch, .arg = a };
	run->idx[id][slot] = (int)run->nv++;
}

static bool has_same(enum alloc_kind_id id)
{
	return alloc_kinds[id].fam == ALLOC_OURS && !alloc_kinds[id].cache;
}

static int b2_setup_run(struct b2_run *run, struct tce_ctx *ctx, uint64_t ops)
{
	struct alloc_geom g = { ctx, B2_FIRST, run->entries, ALLOC_PAGE_SHIFT };
	unsigned id, s;
	int rc = probe_pool(ctx, run->entries, 4, run->cpu_p4);

	if (!rc)
		rc = probe_pool(ctx, run->entries, 16, run->cpu_p16);
	for (id = 0; id < K_COUNT; id++)
		for (s = 0; s < S_COUNT; s++)
			run->idx[id][s] = -1;
	for (id = 0; id < K_COUNT && !rc; id++) {
		rc = alloc_inst_create(&run->in[id], (enum alloc_kind_id)id, &g);
		if (!rc)
			rc = alloc_prefill(&run->in[id], B2_FILL, 1);
		if (rc)
			break;
		add_variant(run, (enum alloc_kind_id)id, S_1T, ops);
		if (id == K_FLOOR)
			continue; /* not thread-safe */
		add_variant(run, (enum alloc_kind_id)id, S_2T, ops);
		if (has_same((enum alloc_kind_id)id))
			add_variant(run, (enum alloc_kind_id)id, S_SAME, ops);
		add_variant(run, (enum alloc_kind_id)id, S_XFREE, ops);
	}
	for (s = 0; s < 2 && !rc; s++) { /* rounds of about OURS-P16's pairs */
		run->alu[s] = (struct alloc_alu){ .threads = s + 1, .ops = 4 * ops };
		run->v[run->nv] = (struct bench_variant){ .name = s ? "FLOOR-alu-2T" : "FLOOR-alu-1T",
							  .run = alloc_alu_run, .arg = &run->alu[s] };
		run->alu_idx[s] = (int)run->nv++;
	}
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Rows and targets                                                         */
/* ------------------------------------------------------------------------ */

static double med(const struct b2_run *run, enum alloc_kind_id id, enum b2_slot s)
{
	int i = run->idx[id][s];

	if (i < 0 && s == S_SAME)
		i = run->idx[id][S_2T];
	return i < 0 ? 0 : run->v[i].sum.median;
}

/*
 * Spec §6.4 B2: OURS-P16(+MAG) 2-thread aggregate >= 1.8x 1-thread with
 * fairness >= 0.9 and >= 3x BL-ONELOCK; cross-thread free <= 1.2 x + t1.
 */
static void b2_targets(struct bench_row *r, const struct b2_run *run, const struct b2_arg *a,
		       double scaling, double fair, const struct alloc_floors *f)
{
	const struct alloc_kind *k = &alloc_kinds[a->id];
	double ns = r->v->sum.median, t1 = med(run, a->id, S_1T);
	double g = med(run, alloc_onelock_of(a->id), a->slot), bound;
	char what[96];

	if (a->slot == S_XFREE && k->fam == ALLOC_OURS) {
		bound = 1.2 * f->handoff_ns + t1;
		bench_target(r, "<=1.2x+t1", ns <= bound);
		snprintf(what, sizeof(what), "%s: cross-thread free <= 1.2 x + t1", k->name);
		alloc_target("B2", what, ns <= bound, "%.1f ns/op vs %.1f (x %.1f, t1 %.1f)", ns,
			     bound, f->handoff_ns, t1);
	}
	if (a->slot == S_1T || a->slot == S_XFREE || k->fam != ALLOC_OURS || k->nr_pools != 16)
		return;
	bench_target(r, ">=1.8x,fair>=.9", scaling >= 1.8 && fair >= 0.9);
	snprintf(what, sizeof(what), "%s (%s pools): 2 threads >= 1.8x 1 thread, fairness >= 0.9",
		 k->name, b2_pools_name[a->slot]);
	alloc_target("B2", what, scaling >= 1.8 && fair >= 0.9, "%.2fx, fairness %.2f", scaling,
		     fair);
	snprintf(what, sizeof(what), "%s (%s pools): >= 3x BL-ONELOCK at 2 threads", k->name,
		 b2_pools_name[a->slot]);
	alloc_target("B2", what, g >= 3 * ns, "%.2fx (%.1f vs %.1f ns/op aggregate)",
		     ns > 0 ? g / ns : 0, ns, g);
}

static void b2_extras(struct bench_row *r, const struct b2_run *run, const struct b2_arg *a,
		      double *scaling, const struct alloc_floors *f)
{
	double ns = r->v->sum.median, t1 = med(run, a->id, S_1T);

	*scaling = ns > 0 ? t1 / ns : 0;
	if (a->slot == S_2T || a->slot == S_SAME) {
		bench_extra(r, "scaling", *scaling);
		/* Spec §6.3: shared-line transfers per op, k = (t2 - t1) / x. */
		bench_extra(r, "k_lines", f->handoff_ns > 0 ? (2 * ns - t1) / f->handoff_ns : 0);
	}
}

static void b2_emit(const struct bench_opts *o, const struct b2_run *run, unsigned i,
		    const struct alloc_floors *f)
{
	const struct b2_arg *a = &run->args[i];
	double fair = alloc_samples_median(&a->fair), scaling;
	struct bench_row r;

	bench_row_init(&r, "alloc.b2", run->v[i].name, &run->v[i]);
	r.threads = a->threads;
	bench_param_num(&r, "threads", a->threads);
	bench_param_str(&r, "mode", a->slot == S_XFREE ? "xfree" : "pairs");
	if (alloc_kinds[a->id].fam == ALLOC_OURS && alloc_kinds[a->id].nr_pools > 1)
		bench_param_str(&r, "pools", b2_pools_name[a->slot]);
	alloc_ratios(&r, med(run, K_FLOOR, S_1T),
		     a->id == K_FLOOR ? 0 : med(run, alloc_onelock_of(a->id), a->slot),
		     a->id == K_FLOOR ? 0 : med(run, alloc_tree_of(a->id), a->slot));
	bench_extra(&r, "fairness", fair);
	b2_extras(&r, run, a, &scaling, f);
	b2_targets(&r, run, a, scaling, fair, f);
	bench_emit(o, &r);
}

/* Hand the goals of issue 12 (G2, G3 at 2 threads) what this run measured. */
static void b2_goals(const struct b2_run *run, double share[2][ALLOC_THREADS_MAX], bool free,
		     double floor)
{
	struct alloc_goals_b2_in in = { .cpus_free = free };
	int o1 = run->idx[K_P16_MTX][S_1T], o2 = run->idx[K_P16_MTX][S_2T];
	int os = run->idx[K_P16_MTX][S_SAME], g2 = run->idx[K_ONELOCK_MTX][S_2T];
	int t2 = run->idx[K_TREE_MTX][S_2T];

	if (o1 < 0 || o2 < 0 || os < 0 || g2 < 0 || t2 < 0)
		return;
	in.ours_1t = &run->v[o1];
	in.ours_2t = &run->v[o2];
	in.ours_same = &run->v[os];
	in.onelock_2t = &run->v[g2];
	in.tree_2t = &run->v[t2];
	in.fairness = alloc_samples_median(&run->args[o2].fair);
	in.floor_scaling = floor;
	memcpy(in.share, share, sizeof(in.share));
	alloc_goals_b2(&in);
}

/* Every row of B2; returns FLOOR-alu's paired scaling. */
static double b2_emit_all(const struct bench_opts *o, const struct b2_run *run,
			  const struct alloc_floors *f)
{
	unsigned s, id;
	double floor;

	for (s = 0; s < S_COUNT; s++)
		for (id = 0; id < K_COUNT; id++)
			if (run->idx[id][s] >= 0)
				b2_emit(o, run, (unsigned)run->idx[id][s], f);
	floor = alloc_alu_emit(o, "alloc.b2", &run->v[run->alu_idx[0]], run->alu);
	bench_note(o, "  disjoint CPU ids: P4 %d,%d; P16 %d,%d (probed); same: both use the first",
		   run->cpu_p4[0], run->cpu_p4[1], run->cpu_p16[0], run->cpu_p16[1]);
	bench_note(o, "  ns/op is wall time over all ops of both workers (xfree: over pairs); "
		      "fairness = smaller/larger op count when the first worker finished");
	return floor;
}

int alloc_b2(const struct bench_opts *o, struct tce_ctx *ctx, const struct alloc_floors *f)
{
	struct b2_run *run = calloc(1, sizeof(*run));
	uint64_t ops = o->quick ? 1 << 12 : 1 << 18;
	double share[2][ALLOC_THREADS_MAX] = { { 0 } }, floor;
	bool free_before = false, free_after = false;
	char title[200];
	unsigned i;
	int rc;

	if (!run)
		return alloc_fail("b2 state", -ENOMEM);
	run->entries = o->quick ? 1ULL << 16 : 1ULL << 20;
	rc = b2_setup_run(run, ctx, ops);
	snprintf(title, sizeof(title), "alloc.b2: B1 FIFO loop on 1 and 2 threads (CPU 0, 1), size %s "
		 "%d%% pre-filled, %llu pairs/worker/batch (trees /4); xfree = alloc on 0, free on 1",
		 o->quick ? "S" : "M", B2_FILL, (unsigned long long)ops);
	bench_section(o, title, "ns/op");
	if (!rc) {
		free_before = alloc_cpus_free(share[0]);
		rc = bench_run_interleaved(run->v, run->nv, o->reps);
		free_after = alloc_cpus_free(share[1]);
	}
	if (!rc) {
		floor = b2_emit_all(o, run, f);
		b2_goals(run, share, free_before && free_after, floor);
	}
	for (i = 0; i < K_COUNT; i++)
		alloc_inst_destroy(&run->in[i]);
	free(run);
	bench_trim_heap();
	return rc;
}
