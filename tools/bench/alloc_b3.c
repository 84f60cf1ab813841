/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B3 of spec performance.md §6.4: multi-page requests, alignment and
 * fragmentation. Churn: a window at bus 0 (M, and M2 where the 32-bit mask
 * cuts it; Mhi at bus 4 TiB for comparison) is filled to 75 or 90 % with a
 * size mix (70 % 1 page, 25 % 2-16, 5 % 17-256), then each op frees random
 * victims until the next request fits the fill and allocates it; cases add
 * alignment orders 0-4, a 4 GiB segment boundary, a 32-bit DMA mask or all
 * three. Reported: ns/op, the failure rate, failures while the reachable
 * free space was at least twice the request, and the largest free run left.
 * A size sweep times n-page alloc+free pairs against 1-page ones.
 * Layer: tools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"

#define B3_KINDS 5
#define B3_SWEEP_LIVE 16
#define B3_SWEEP_SIZES 7
#define B3_BATCH_NS 40000000ULL /* a churn batch stops after 40 ms */
#define B3_REPS_MAX 5            /* churn repetitions: fragmented states cost ms per op */
#define MASK32_LIMIT (1ULL << (32 - ALLOC_PAGE_SHIFT)) /* first entry above 0xffffffff */
#define BND4G (1ULL << (32 - ALLOC_PAGE_SHIFT))        /* 4 GiB in entries */

static const enum alloc_kind_id b3_kinds[B3_KINDS] = {
	K_FLOOR, K_P4_MTX, K_P16_MTX, K_ONELOCK_MTX, K_TREE_MTX,
};

struct b3_case {
	const char *name;
	const char *size;  /* "M": 4 GiB at bus 0; "M2": 8 GiB, where the mask cuts;
			      "Mhi": 4 GiB at bus 4 TiB, away from entry 0 */
	uint64_t entries;
	uint64_t first_idx;
	bool align, boundary, mask;
};

static const struct b3_case b3_cases[] = {
	{ "mix", "M", 1ULL << 20, 0, false, false, false },
	{ "align0-4", "M", 1ULL << 20, 0, true, false, false },
	{ "bnd4G", "M", 1ULL << 20, 0, false, true, false },
	{ "mask32", "M", 1ULL << 20, 0, false, false, true },
	{ "all", "M", 1ULL << 20, 0, true, true, true },
	{ "all", "M2", 1ULL << 21, 0, true, true, true },
	{ "mix", "Mhi", 1ULL << 20, 1ULL << 30, false, false, false },
	{ "align0-4", "Mhi", 1ULL << 20, 1ULL << 30, true, false, false },
};

#define B3_NCASES (sizeof(b3_cases) / sizeof(b3_cases[0]))

static const unsigned b3_fills[] = { 75, 90 };

/* One variant's churn state; live ranges packed as (entry << 16) | npages. */
struct b3_arg {
	const struct alloc_inst *in;
	enum alloc_kind_id id;
	const struct b3_case *c;
	uint64_t lo, hi; /* usable entries [lo, hi): below the mask, entry 0 excluded */
	uint64_t reach;  /* hi - lo */
	uint64_t target; /* live pages kept at most */
	uint64_t ops;       /* at most, per batch */
	uint64_t *live;
	uint64_t nlive, live_pages;
	uint64_t x; /* the LCG, carried from batch to batch */
	uint64_t attempts, fails, false_fails;
};

/* 70 % 1 page, 25 % 2-16, 5 % 17-256; alignment order 0-4 when @align. */
static void draw(struct b3_arg *a, struct alloc_req *r, bool align)
{
	uint64_t v = bench_lcg(&a->x) >> 32, pct = v % 100, rest = v / 100;

	if (pct < 70)
		r->npages = 1;
	else if (pct < 95)
		r->npages = 2 + rest % 15;
	else
		r->npages = 17 + rest % 240;
	r->align_order = align ? (uint32_t)((bench_lcg(&a->x) >> 40) % 5) : 0;
}

static int free_victim(struct b3_arg *a)
{
	uint64_t j = (bench_lcg(&a->x) >> 32) % a->nlive, h = a->live[j];

	a->live[j] = a->live[--a->nlive];
	a->live_pages -= h & 0xffff;
	return alloc_put(a->in, 0, h >> 16, h & 0xffff);
}

/* One request; a refusal is counted, not an error. */
static int try_alloc(struct b3_arg *a, const struct alloc_req *r)
{
	uint64_t idx;
	int rc = alloc_get(a->in, r, &idx);

	a->attempts++;
	if (rc == -ENOSPC) {
		a->fails++;
		a->false_fails += a->reach - a->live_pages >= 2 * r->npages;
		return 0;
	}
	if (rc)
		return alloc_fail(a->in->k->name, rc);
	a->live[a->nlive++] = idx << 16 | r->npages;
	a->live_pages += r->npages;
	return 0;
}

static struct alloc_req b3_req(const struct b3_arg *a)
{
	return (struct alloc_req){ .cpu = -1, .boundary = a->c->boundary ? BND4G : 0,
				   .limit = a->c->mask ? MASK32_LIMIT : 0 };
}

static int b3_batch(void *arg, double *ns_per_op)
{
	struct b3_arg *a = arg;
	struct alloc_req r = b3_req(a);
	uint64_t i, t0, t1;
	int rc = 0;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops && !rc; i++) {
		/* A pathological case must not stall the run: time-box the batch. */
		if (!(i & 63) && i && bench_now_ns() - t0 > B3_BATCH_NS)
			break;
		draw(a, &r, a->c->align);
		while (a->live_pages + r.npages > a->target && !rc)
			rc = free_victim(a);
		if (!rc)
			rc = try_alloc(a, &r);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)i;
	return rc;
}

/*
 * Fill to the target with the mix, no frees and no alignment; the churn
 * brings alignment in. (On a window at bus 0 the library searches pool 0
 * from its start on every call, because a zero tce_alloc_req.handle reads as
 * "continue at entry 0"; an aligned fill of M then takes it ~10 s.)
 * Stops after 64 refusals.
 */
static int b3_fill(struct b3_arg *a)
{
	struct alloc_req r = b3_req(a);
	uint64_t refused = 0;
	int rc = 0;

	while (!rc && refused < 64) {
		draw(a, &r, false);
		if (a->live_pages + r.npages > a->target)
			break;
		rc = try_alloc(a, &r);
		refused = a->fails;
	}
	a->attempts = a->fails = a->false_fails = 0;
	return rc;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* The largest run of entries in [lo, hi) no live range covers. */
static uint64_t largest_free_run(const struct b3_arg *a)
{
	uint64_t *s = malloc((a->nlive + 1) * sizeof(*s)), i, pos = a->lo, best = 0, lo;

	if (!s)
		return 0;
	for (i = 0; i < a->nlive; i++)
		s[i] = a->live[i];
	qsort(s, a->nlive, sizeof(*s), cmp_u64);
	for (i = 0; i <= a->nlive; i++) {
		lo = i < a->nlive ? s[i] >> 16 : a->hi;
		if (lo > a->hi)
			lo = a->hi;
		if (lo > pos && lo - pos > best)
			best = lo - pos;
		if (i < a->nlive && (s[i] >> 16) + (s[i] & 0xffff) > pos)
			pos = (s[i] >> 16) + (s[i] & 0xffff);
	}
	free(s);
	return best;
}

/* ------------------------------------------------------------------------ */
/* Churn rows                                                               */
/* ------------------------------------------------------------------------ */

struct b3_run {
	struct alloc_inst in[B3_KINDS];
	struct b3_arg args[B3_KINDS];
	struct bench_variant v[B3_KINDS];
};

static void churn_target(struct bench_row *r, const struct b3_arg *a, unsigned fill)
{
	char what[120];

	if (alloc_kinds[a->id].fam != ALLOC_OURS)
		return;
	bench_target(r, "0 false fails", a->false_fails == 0);
	snprintf(what, sizeof(what), "%s %s %s fill %u%%: no failure while free >= 2x request",
		 alloc_kinds[a->id].name, a->c->size, a->c->name, fill);
	alloc_target("B3", what, a->false_fails == 0, "%llu of %llu requests failed so",
		     (unsigned long long)a->false_fails, (unsigned long long)a->attempts);
}

static void churn_emit(const struct bench_opts *o, const struct b3_run *run, unsigned i,
		       unsigned fill)
{
	const struct b3_arg *a = &run->args[i];
	struct bench_row r;

	bench_row_init(&r, "alloc.b3", run->v[i].name, &run->v[i]);
	bench_param_str(&r, "size", a->c->size);
	bench_param_str(&r, "case", a->c->name);
	bench_param_num(&r, "fill_pct", fill);
	alloc_ratios(&r, run->v[0].sum.median, i ? run->v[3].sum.median : 0,
		     i ? run->v[4].sum.median : 0);
	bench_extra(&r, "fairness", 1.0)->json_only = true;
	bench_extra(&r, "fail_pct", a->attempts ? 100.0 * (double)a->fails / (double)a->attempts : 0);
	bench_extra(&r, "false_fails", (double)a->false_fails);
	bench_extra(&r, "free_run", (double)largest_free_run(a));
	churn_target(&r, a, fill);
	bench_emit(o, &r);
}

static int churn_setup(struct b3_run *run, struct tce_ctx *ctx, const struct b3_case *c,
		       unsigned fill, uint64_t ops)
{
	struct alloc_geom g = { ctx, c->first_idx, c->entries, ALLOC_PAGE_SHIFT };
	uint64_t lo = c->first_idx ? c->first_idx : 1, hi = c->first_idx + c->entries;
	unsigned i;
	int rc = 0;

	for (i = 0; i < B3_KINDS && !rc; i++) {
		struct b3_arg *a = &run->args[i];

		rc = alloc_inst_create(&run->in[i], b3_kinds[i], &g);
		if (c->mask && hi > MASK32_LIMIT)
			hi = MASK32_LIMIT;
		*a = (struct b3_arg){ .in = &run->in[i], .id = b3_kinds[i], .c = c, .lo = lo, .hi = hi,
				      .reach = hi - lo, .target = (hi - lo) * fill / 100,
				      .ops = alloc_ops_for(b3_kinds[i], ops),
				      .x = BENCH_SEED };
		a->live = malloc((a->target + 1) * sizeof(*a->live));
		if (!rc && !a->live)
			rc = alloc_fail("b3 handles", -ENOMEM);
		if (!rc)
			rc = b3_fill(a);
		run->v[i] = (struct bench_variant){ .name = alloc_kinds[b3_kinds[i]].name,
						    .run = b3_batch, .arg = a };
	}
	return rc;
}

static int churn_one(const struct bench_opts *o, struct tce_ctx *ctx, const struct b3_case *c,
		     unsigned fill, uint64_t ops)
{
	struct b3_run *run = calloc(1, sizeof(*run));
	unsigned i;
	int rc;

	if (!run)
		return alloc_fail("b3 state", -ENOMEM);
	rc = churn_setup(run, ctx, c, fill, ops);
	if (!rc)
		rc = bench_run_interleaved(run->v, B3_KINDS,
					   o->reps < B3_REPS_MAX ? o->reps : B3_REPS_MAX);
	for (i = 0; i < B3_KINDS && !rc; i++)
		churn_emit(o, run, i, fill);
	for (i = 0; i < B3_KINDS; i++) {
		alloc_inst_destroy(&run->in[i]);
		free(run->args[i].live);
	}
	free(run);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Size sweep: n-page pairs against 1-page pairs                            */
/* ------------------------------------------------------------------------ */

static const uint64_t sweep_sizes[B3_SWEEP_SIZES] = { 1, 2, 8, 15, 16, 64, 256 };

struct sweep_arg {
	const struct alloc_inst *in;
	enum alloc_kind_id id;
	uint64_t npages, ops;
	uint64_t live[B3_SWEEP_LIVE];
};

struct sweep_run {
	struct alloc_inst in[B3_KINDS];
	struct sweep_arg args[B3_KINDS * B3_SWEEP_SIZES];
	struct bench_variant v[B3_KINDS * B3_SWEEP_SIZES];
};

static int sweep_loop(struct sweep_arg *a, const struct alloc_req *r)
{
	uint64_t i, j, idx, x = BENCH_SEED;

	for (i = 0; i < a->ops; i++) {
		if (alloc_get(a->in, r, &idx))
			return alloc_fail("b3 sweep: alloc", -ENOSPC);
		j = bench_lcg(&x) >> (64 - __builtin_ctz(B3_SWEEP_LIVE));
		if (alloc_put(a->in, 0, a->live[j], a->npages))
			return alloc_fail("b3 sweep: free", -EINVAL);
		a->live[j] = idx;
	}
	return 0;
}

static int sweep_batch(void *arg, double *ns_per_op)
{
	struct sweep_arg *a = arg;
	struct alloc_req r = { .npages = a->npages, .cpu = -1 };
	uint64_t t0, t1, i;
	int rc = 0;

	for (i = 0; i < B3_SWEEP_LIVE && !rc; i++)
		rc = alloc_get(a->in, &r, &a->live[i]);
	if (rc)
		return alloc_fail("b3 sweep: live handles", rc);
	t0 = bench_now_ns();
	rc = sweep_loop(a, &r);
	t1 = bench_now_ns();
	for (i = 0; i < B3_SWEEP_LIVE && !rc; i++)
		rc = alloc_put(a->in, 0, a->live[i], a->npages);
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return rc;
}

static void sweep_emit(const struct bench_opts *o, const struct sweep_run *run, unsigned k,
		       unsigned s)
{
	const struct sweep_arg *a = &run->args[k * B3_SWEEP_SIZES + s];
	const struct bench_variant *v = &run->v[k * B3_SWEEP_SIZES + s];
	double one = run->v[k * B3_SWEEP_SIZES].sum.median, x1 = one > 0 ? v->sum.median / one : 0;
	struct bench_row r;
	char what[96];

	bench_row_init(&r, "alloc.b3.sizes", v->name, v);
	bench_param_num(&r, "npages", (double)a->npages);
	alloc_ratios(&r, run->v[s].sum.median, k ? run->v[3 * B3_SWEEP_SIZES + s].sum.median : 0,
		     k ? run->v[4 * B3_SWEEP_SIZES + s].sum.median : 0);
	bench_extra(&r, "fairness", 1.0)->json_only = true;
	bench_extra(&r, "x_1page", x1);
	if (alloc_kinds[a->id].fam == ALLOC_OURS && a->npages > 1 && a->npages <= 16) {
		bench_target(&r, "<=2x 1-page", x1 <= 2.0);
		snprintf(what, sizeof(what), "%s: %llu pages <= 2x the 1-page cost",
			 alloc_kinds[a->id].name, (unsigned long long)a->npages);
		alloc_target("B3", what, x1 <= 2.0, "%.2fx (%.1f vs %.1f ns)", x1, v->sum.median, one);
	}
	bench_emit(o, &r);
}

static int sweep_setup(struct sweep_run *run, struct tce_ctx *ctx, uint64_t entries,
		       uint64_t ops)
{
	struct alloc_geom g = { ctx, 1ULL << 30, entries, ALLOC_PAGE_SHIFT };
	unsigned k, s, i;
	int rc = 0;

	for (k = 0; k < B3_KINDS && !rc; k++) {
		rc = alloc_inst_create(&run->in[k], b3_kinds[k], &g);
		if (!rc)
			rc = alloc_prefill(&run->in[k], entries > 1ULL << 16 ? 75 : 50, 1024);
		for (s = 0; s < B3_SWEEP_SIZES; s++) {
			i = k * B3_SWEEP_SIZES + s;
			run->args[i] = (struct sweep_arg){ .in = &run->in[k], .id = b3_kinds[k],
							   .npages = sweep_sizes[s],
							   .ops = alloc_ops_for(b3_kinds[k], ops) };
			run->v[i] = (struct bench_variant){ .name = alloc_kinds[b3_kinds[k]].name,
							    .run = sweep_batch, .arg = &run->args[i] };
		}
	}
	return rc;
}

static int sweep(const struct bench_opts *o, struct tce_ctx *ctx, uint64_t ops)
{
	struct sweep_run *run = calloc(1, sizeof(*run));
	unsigned k, s;
	int rc;

	if (!run)
		return alloc_fail("b3 sweep state", -ENOMEM);
	bench_section(o, o->quick ? "alloc.b3.sizes: n-page alloc+free pairs, random order over 16 "
			 "live handles, size S 50% pre-filled in 1024-entry blocks" :
			 "alloc.b3.sizes: n-page alloc+free pairs, random order over 16 live "
			 "handles, size M 75% pre-filled in 1024-entry blocks", "ns/op");
	rc = sweep_setup(run, ctx, o->quick ? 1ULL << 16 : 1ULL << 20, ops);
	if (!rc)
		rc = bench_run_interleaved(run->v, B3_KINDS * B3_SWEEP_SIZES, o->reps);
	for (s = 0; s < B3_SWEEP_SIZES && !rc; s++)
		for (k = 0; k < B3_KINDS; k++)
			sweep_emit(o, run, k, s);
	for (k = 0; k < B3_KINDS; k++)
		alloc_inst_destroy(&run->in[k]);
	free(run);
	return rc;
}

/* Quick runs keep the cases without the mask's window on S (64 Ki entries). */
static bool quick_case(const struct bench_opts *o, unsigned c, struct b3_case *out)
{
	*out = b3_cases[c];
	if (!o->quick)
		return true;
	out->size = "S";
	out->entries = 1ULL << 16;
	return c == 0 || c == 4;
}

int alloc_b3(const struct bench_opts *o, struct tce_ctx *ctx)
{
	uint64_t ops = o->quick ? 1 << 11 : 1 << 15;
	struct b3_case cs;
	char title[200];
	unsigned c, f;
	int rc = 0;

	snprintf(title, sizeof(title), "alloc.b3: churn with the size mix at bus 0, up to %llu "
		 "requests or 40 ms per batch (trees /4), at most %d reps; M = 4 GiB, M2 = 8 GiB "
		 "(the mask cuts it)", (unsigned long long)ops, B3_REPS_MAX);
	bench_section(o, title, "ns/op");
	for (c = 0; c < B3_NCASES && !rc; c++)
		for (f = 0; f < 2 && !rc && quick_case(o, c, &cs); f++)
			rc = churn_one(o, ctx, &cs, b3_fills[f], ops);
	bench_note(o, "  fail_pct: refused requests; false_fails: refused while the reachable free "
		      "space was >= 2x the request; free_run: largest free run at the end (entries)");
	if (!rc)
		rc = sweep(o, ctx, ops * 2);
	alloc_target_na("B3", "no more than 2 extra pools visited on average at 90% fill",
			"the public API does not expose pools visited per request");
	return rc;
}
