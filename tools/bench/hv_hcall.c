/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B5 (a), (b) and the 512-entry part of (c) on the default window: 512
 * H_PUT_TCE calls, one H_PUT_TCE_INDIRECT of 512 TCEs and one H_STUFF_TCE
 * clearing 512 mapped entries, in ns per TCE, against the unvalidated store
 * loop and memset. Every hcall's status is checked in the loop (one predicted
 * branch) and the table is read back with H_GET_TCE after each batch.
 * Layer: tools; uses <tce.h> through hv.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

#define HC_TCES TCE_INDIRECT_MAX
#define HC_HOT_FIRST 0ULL          /* entries the PUT and INDIRECT loops rewrite */
#define HC_STUFF_FIRST (1ULL << 16) /* first of the ranges STUFF clears */
#define HC_VARIANTS 5

enum { V_PUT, V_INDIRECT, V_STORE, V_STUFF, V_MEMSET };

/* One variant's work: @rounds of 512 TCEs from entry @first of @w. */
struct hc_arg {
	struct hv_env *e;
	const struct hv_win *w;
	uint64_t first;
	uint64_t rounds;
	void *buf; /* floors: the destination */
};

struct hc_run {
	struct hc_arg args[HC_VARIANTS];
	struct bench_variant v[HC_VARIANTS];
};

static double per_tce(uint64_t t0, uint64_t t1, uint64_t rounds)
{
	return (double)(t1 - t0) / (double)(rounds * HC_TCES);
}

static uint64_t ioba(const struct hv_win *w, uint64_t i)
{
	return w->bus + (i << w->shift);
}

static int run_put(void *arg, double *ns_per_op)
{
	const struct hc_arg *a = arg;
	const struct hv_win *w = a->w;
	uint64_t args[9] = { 0 }, r, k, t0, t1;
	long st;
	int rc = hv_clear(a->e, w, a->first, HC_TCES);

	if (rc)
		return rc;
	t0 = bench_now_ns();
	for (r = 0; r < a->rounds; r++) {
		for (k = a->first; k < a->first + HC_TCES; k++) {
			args[0] = w->liobn;
			args[1] = ioba(w, k);
			args[2] = hv_tce(w, k);
			st = tce_hv_hcall(a->e->m, TCE_H_PUT_TCE, args);
			if (st)
				return hv_hfail("H_PUT_TCE", st);
		}
	}
	t1 = bench_now_ns();
	*ns_per_op = per_tce(t0, t1, a->rounds);
	return hv_expect_range(a->e, w, a->first, HC_TCES, true);
}

static int run_indirect(void *arg, double *ns_per_op)
{
	const struct hc_arg *a = arg;
	const struct hv_win *w = a->w;
	uint64_t args[9] = { 0 }, r, t0, t1;
	long st;
	int rc = hv_clear(a->e, w, a->first, HC_TCES);

	if (rc)
		return rc;
	hv_list_fill(a->e->list, w, a->first, HC_TCES);
	t0 = bench_now_ns();
	for (r = 0; r < a->rounds; r++) {
		args[0] = w->liobn;
		args[1] = ioba(w, a->first);
		args[2] = HV_LIST_REAL;
		args[3] = HC_TCES;
		st = tce_hv_hcall(a->e->m, TCE_H_PUT_TCE_INDIRECT, args);
		if (st)
			return hv_hfail("H_PUT_TCE_INDIRECT", st);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_tce(t0, t1, a->rounds);
	return hv_expect_range(a->e, w, a->first, HC_TCES, true);
}

/* FLOOR: the same list page stored into a plain array (hv_floor_store), no hypervisor. */
static int run_store(void *arg, double *ns_per_op)
{
	const struct hc_arg *a = arg;
	uint64_t *dst = a->buf, r, t0, t1;

	hv_list_fill(a->e->list, a->w, a->first, HC_TCES);
	t0 = bench_now_ns();
	for (r = 0; r < a->rounds; r++)
		hv_floor_store(dst, a->e->list, HC_TCES);
	t1 = bench_now_ns();
	bench_sink += dst[HC_TCES / 2];
	*ns_per_op = per_tce(t0, t1, a->rounds);
	return 0;
}

/* @rounds H_STUFF_TCE calls, each clearing its own 512 mapped entries. */
static int run_stuff(void *arg, double *ns_per_op)
{
	const struct hc_arg *a = arg;
	const struct hv_win *w = a->w;
	uint64_t args[9] = { 0 }, n = a->rounds * HC_TCES, r, t0, t1;
	long st;
	int rc = hv_map(a->e, w, a->first, n);

	if (!rc)
		rc = hv_expect_range(a->e, w, a->first, n, true);
	if (rc)
		return rc;
	t0 = bench_now_ns();
	for (r = 0; r < a->rounds; r++) {
		args[0] = w->liobn;
		args[1] = ioba(w, a->first + r * HC_TCES);
		args[2] = 0;
		args[3] = HC_TCES;
		st = tce_hv_hcall(a->e->m, TCE_H_STUFF_TCE, args);
		if (st)
			return hv_hfail("H_STUFF_TCE", st);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_tce(t0, t1, a->rounds);
	return hv_expect_range(a->e, w, a->first, n, false);
}

/* FLOOR: memset of 4 KiB pieces of a dirty buffer, one call per piece. */
static int run_memset(void *arg, double *ns_per_op)
{
	const struct hc_arg *a = arg;
	unsigned char *buf = a->buf, *p;
	uint64_t r, t0, t1;

	memset(buf, 0xa5, a->rounds * HC_TCES * TCE_ENTRY_SIZE); /* untimed: dirty, as mapped */
	t0 = bench_now_ns();
	for (r = 0; r < a->rounds; r++) {
		p = buf + r * HC_TCES * TCE_ENTRY_SIZE;
		BENCH_OPAQUE(p);
		memset(p, 0, HC_TCES * TCE_ENTRY_SIZE);
	}
	t1 = bench_now_ns();
	bench_sink += buf[HC_TCES];
	*ns_per_op = per_tce(t0, t1, a->rounds);
	return 0;
}

/*
 * Rounds of 512 TCEs per batch, full mode: a batch takes 0.1-40 ms
 * here. STUFF clears 768 distinct ranges, entries 64 Ki to 448 Ki of the
 * 512 Ki-entry window; quick mode runs 16 rounds of everything.
 */
static const struct {
	const char *name;
	int (*run)(void *, double *);
	uint64_t first;
	uint64_t rounds;
} layout[HC_VARIANTS] = {
	[V_PUT] = { "OURS-PUT_TCEx512", run_put, HC_HOT_FIRST, 256 },
	[V_INDIRECT] = { "OURS-INDIRECT-512", run_indirect, HC_HOT_FIRST, 1024 },
	[V_STORE] = { "FLOOR-store-512", run_store, HC_HOT_FIRST, 4096 },
	[V_STUFF] = { "OURS-STUFF-512", run_stuff, HC_STUFF_FIRST, 768 },
	[V_MEMSET] = { "FLOOR-memset-512", run_memset, HC_STUFF_FIRST, 768 },
};

#define HC_QUICK_ROUNDS 16

static void setup(struct hc_run *hr, struct hv_env *e, bool quick, void *store, void *dirty)
{
	unsigned int i;

	for (i = 0; i < HC_VARIANTS; i++) {
		hr->args[i] = (struct hc_arg){ .e = e, .w = &e->def, .first = layout[i].first,
					       .rounds = quick ? HC_QUICK_ROUNDS : layout[i].rounds };
		hr->v[i].name = layout[i].name;
		hr->v[i].run = layout[i].run;
		hr->v[i].arg = &hr->args[i];
	}
	hr->args[V_STORE].buf = store;
	hr->args[V_MEMSET].buf = dirty;
}

static double med(const struct hc_run *hr, unsigned int i)
{
	return hr->v[i].sum.median;
}

/*
 * Targets (spec §6.4 B5): 512 PUT_TCE within 2x of INDIRECT; STUFF clear
 * <= 1 ns per TCE. INDIRECT is issue 12's goal G6, <= 2x the store loop
 * (the spec's own mark, <= 10 ns and <= 1.5x, is stricter).
 */
static void set_target(struct bench_row *r, const struct hc_run *hr, unsigned int i)
{
	double m = med(hr, i);

	if (i == V_PUT) {
		bench_extra(r, "x_indirect", m / med(hr, V_INDIRECT));
		bench_target(r, "<=2x INDIRECT", m <= 2.0 * med(hr, V_INDIRECT));
	} else if (i == V_INDIRECT) {
		bench_goal(r, "G6", r->ratio, "INDIRECT <=2x FLOOR-store", r->ratio <= 2.0, true);
	} else if (i == V_STUFF) {
		bench_target(r, "<=1ns/TCE", m <= 1.0);
	}
}

static void emit_variant(const struct bench_opts *o, const struct hc_run *hr, unsigned int i)
{
	static const unsigned int floor_of[HC_VARIANTS] = { V_STORE, V_STORE, V_STORE, V_MEMSET,
							    V_MEMSET };
	struct bench_row r;

	bench_row_init(&r, "hv.hcall", hr->v[i].name, &hr->v[i]);
	hv_win_params(&r, hr->args[i].w);
	bench_param_num(&r, "tces", HC_TCES);
	bench_param_json(&r, "rounds", (double)hr->args[i].rounds);
	r.ratio = med(hr, floor_of[i]) > 0 ? med(hr, i) / med(hr, floor_of[i]) : 0;
	bench_extra(&r, "ns_per_call", med(hr, i) * (i == V_PUT ? 1 : HC_TCES));
	set_target(&r, hr, i);
	bench_emit(o, &r);
}

static int measure(const struct bench_opts *o, struct hc_run *hr)
{
	unsigned int i;
	int rc;

	bench_section(o, "hv.hcall: TCE hcalls on the default window (LIOBN 0x80000000, 4 KiB "
			 "pages), 512 TCEs per round, hot;\n"
			 "   ns per TCE; PUT/INDIRECT rewrite entries 0..511, each STUFF call "
			 "clears its own mapped 512-entry range",
		      "ns/TCE");
	rc = bench_run_interleaved(hr->v, HC_VARIANTS, o->reps);
	for (i = 0; i < HC_VARIANTS && !rc; i++)
		emit_variant(o, hr, i);
	return rc;
}

int hv_hcalls(const struct bench_opts *o, struct hv_env *e)
{
	uint64_t rounds = o->quick ? HC_QUICK_ROUNDS : layout[V_MEMSET].rounds;
	struct hc_run *hr = calloc(1, sizeof(*hr));
	uint64_t *store = calloc(HC_TCES, sizeof(*store));
	unsigned char *dirty = malloc(rounds * HC_TCES * TCE_ENTRY_SIZE);
	int rc = -ENOMEM;

	if (hr && store && dirty) {
		setup(hr, e, o->quick, store, dirty);
		rc = measure(o, hr);
	} else {
		hv_fail("hcall state", rc);
	}
	free(dirty);
	free(store);
	free(hr);
	return rc;
}
