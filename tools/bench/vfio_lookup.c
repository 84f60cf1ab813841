/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B7 through the container: the user address -> registered region lookup
 * with R = 1, 64 and 4096 regions of 2 MiB registered, hot (every call the
 * same address) and random (a fixed-seed sequence over all regions). The
 * lookup is private to the library, so it is measured as it is used: a
 * MAP_DMA of one 64 KiB page to a fresh entry, whose region lookup (a
 * binary search under the regions' read lock) is the only part that
 * depends on R; the entries are unmapped untimed after each batch. The
 * floor is a bare binary search over a sorted array of R pointers to
 * region records, the same addresses in the same order. Each R is its own
 * process on its own machine, so all twelve variants run interleaved.
 * Layer: tools; uses <tce.h> through vfio.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"

#define LK_REGION (2 * VB_MiB)
#define LK_NR 3
#define LK_OPS 4096u            /* MAPs per batch: distinct entries of the window */
#define LK_FLOOR_OPS (1u << 18) /* floor lookups per batch */
#define LK_SHIFT 16
#define LK_WINDOW VB_GiB
#define LK_KINDS 4

enum { L_HOT, L_RANDOM, L_FHOT, L_FRANDOM };

static const char *const lk_kind[LK_KINDS] = { "OURS-MAP1-hot", "OURS-MAP1-random",
					       "FLOOR-bsearch-hot", "FLOOR-bsearch-random" };

/* What the floor searches: as the library's region record, a pointer per region. */
struct lk_region {
	uint64_t ua, size;
	uint32_t page_shift;
	uint64_t mapped, used;
};

/* One R: its process and window, the addresses in call order, the floor's array. */
struct lk_set {
	uint32_t nregions;
	struct vb_os os;
	struct vb_client c;
	struct vb_win w;
	uint64_t *addr;            /* LK_OPS random addresses inside the regions */
	uint64_t hot;              /* the hot address */
	struct lk_region **sorted; /* the floor's array */
};

struct lk_arg {
	struct lk_set *s;
	bool random;
	char name[48];
};

struct lk_run {
	struct lk_set sets[LK_NR];
	struct lk_arg args[LK_NR][LK_KINDS];
	struct bench_variant v[LK_NR * LK_KINDS];
};

static uint64_t addr_of(const struct lk_arg *a, uint64_t k)
{
	return a->random ? a->s->addr[k % LK_OPS] : a->s->hot;
}

static int run_map1(void *arg, double *ns_per_op)
{
	const struct lk_arg *a = arg;
	const struct vb_win *w = &a->s->w;
	uint64_t k, t0, t1;
	long rc;

	t0 = bench_now_ns();
	for (k = 0; k < LK_OPS; k++) {
		rc = vb_map(&a->s->c, w->start + (k << LK_SHIFT), addr_of(a, k), 1ULL << LK_SHIFT);
		if (rc)
			return vb_fail("MAP_DMA of one page", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / LK_OPS;
	rc = vb_unmap(&a->s->c, w->start, (uint64_t)LK_OPS << LK_SHIFT);
	return rc ? vb_fail("UNMAP_DMA (untimed)", rc) : 0;
}

/* The region holding [ua, ua + size): the first one ending above @ua, if it starts at or below. */
static const struct lk_region *bsearch_region(struct lk_region *const *r, uint32_t n,
					      uint64_t ua, uint64_t size)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r[mid]->ua + r[mid]->size <= ua)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && r[lo]->ua <= ua && size <= r[lo]->size - (ua - r[lo]->ua))
		return r[lo];
	return NULL;
}

static int run_bsearch(void *arg, double *ns_per_op)
{
	const struct lk_arg *a = arg;
	uint64_t k, ua, t0, t1, sum = 0;
	const struct lk_region *r;

	t0 = bench_now_ns();
	for (k = 0; k < LK_FLOOR_OPS; k++) {
		ua = addr_of(a, k);
		BENCH_OPAQUE(ua);
		r = bsearch_region(a->s->sorted, a->s->nregions, ua, 1ULL << LK_SHIFT);
		if (!r)
			return vb_fail("the floor's search missed", -EPROTO);
		sum += r->page_shift;
		BENCH_OPAQUE(sum);
	}
	t1 = bench_now_ns();
	bench_sink += sum;
	*ns_per_op = (double)(t1 - t0) / LK_FLOOR_OPS;
	return 0;
}

/* The floor's records, allocated one by one as the library's are. */
static int floor_array(struct lk_set *s, uint64_t ua)
{
	uint32_t i;

	s->sorted = calloc(s->nregions, sizeof(*s->sorted));
	if (!s->sorted)
		return vb_fail("floor array", -ENOMEM);
	for (i = 0; i < s->nregions; i++) {
		s->sorted[i] = malloc(sizeof(**s->sorted));
		if (!s->sorted[i])
			return vb_fail("floor array", -ENOMEM);
		*s->sorted[i] = (struct lk_region){ .ua = ua + i * LK_REGION, .size = LK_REGION,
						    .page_shift = LK_SHIFT, .mapped = 1, .used = 1 };
	}
	return 0;
}

static void addresses(struct lk_set *s, uint64_t ua)
{
	uint64_t x = BENCH_SEED, k, region, page;

	for (k = 0; k < LK_OPS; k++) {
		region = s->nregions > 1 ? (bench_lcg(&x) >> 32) % s->nregions : 0;
		page = (bench_lcg(&x) >> 32) % (LK_REGION >> LK_SHIFT);
		s->addr[k] = ua + region * LK_REGION + (page << LK_SHIFT);
	}
	s->hot = ua + (s->nregions / 2) * LK_REGION;
}

/* A process with @s->nregions regions registered one by one, and a 64 KiB-page window. */
static int set_up(struct lk_set *s, struct vb_arena *a)
{
	uint32_t i;
	int rc = vb_os_up(&s->os, TCE_PLATFORM_POWERNV);

	if (!rc)
		rc = vb_arena_region(a, &s->os);
	if (!rc)
		rc = vb_client_up(&s->c, &s->os);
	for (i = 0; i < s->nregions && !rc; i++)
		rc = vb_register(&s->c, a->ua + i * LK_REGION, LK_REGION);
	if (!rc && (rc = vb_create(&s->c, LK_SHIFT, LK_WINDOW, 1, &s->w)))
		vb_fail("TCE_CREATE", rc);
	s->addr = rc ? NULL : calloc(LK_OPS, sizeof(*s->addr));
	if (!rc && !s->addr)
		rc = vb_fail("addresses", -ENOMEM);
	if (!rc)
		addresses(s, a->ua);
	return rc ? rc : floor_array(s, a->ua);
}

static void set_down(struct lk_set *s, struct vb_arena *a)
{
	uint32_t i;

	vb_client_down(&s->c);
	if (s->os.m)
		tce_machine_remove_region(s->os.m, a->ua, a->bytes);
	vb_os_down(&s->os);
	for (i = 0; s->sorted && i < s->nregions; i++)
		free(s->sorted[i]);
	free(s->sorted);
	free(s->addr);
}

static void variants(struct lk_run *lr)
{
	static int (*const run[LK_KINDS])(void *, double *) = { run_map1, run_map1, run_bsearch,
								run_bsearch };
	unsigned int i, k;

	for (i = 0; i < LK_NR; i++) {
		for (k = 0; k < LK_KINDS; k++) {
			struct lk_arg *a = &lr->args[i][k];
			struct bench_variant *v = &lr->v[i * LK_KINDS + k];

			a->s = &lr->sets[i];
			a->random = k == L_RANDOM || k == L_FRANDOM;
			snprintf(a->name, sizeof(a->name), "%s-R%u", lk_kind[k],
				 lr->sets[i].nregions);
			*v = (struct bench_variant){ .name = a->name, .run = run[k], .arg = a };
		}
	}
}

static double med(const struct lk_run *lr, unsigned int i, unsigned int k)
{
	return lr->v[i * LK_KINDS + k].sum.median;
}

static void row_params(struct bench_row *r, const struct lk_run *lr, unsigned int i,
		       unsigned int k)
{
	bench_param_num(r, "regions", lr->sets[i].nregions);
	bench_param_str(r, "mode", k == L_HOT || k == L_FHOT ? "hot" : "random");
	bench_param_json(r, "region_bytes", (double)LK_REGION);
	bench_param_json(r, "page_shift", LK_SHIFT);
}

static void emit(const struct bench_opts *o, const struct lk_run *lr, unsigned int i,
		 unsigned int k)
{
	unsigned int fk = k == L_HOT || k == L_FHOT ? L_FHOT : L_FRANDOM;
	double m = med(lr, i, k), m1 = med(lr, 0, k);
	struct bench_row r;

	bench_row_init(&r, "vfio.lookup", lr->args[i][k].name, &lr->v[i * LK_KINDS + k]);
	row_params(&r, lr, i, k);
	r.ratio = med(lr, i, fk) > 0 ? m / med(lr, i, fk) : 0;
	bench_extra(&r, "x_R1", m1 > 0 ? m / m1 : 0);
	bench_extra(&r, "minus_R1_ns", m - m1);
	bench_emit(o, &r);
}

/* The goal: at the largest R a hot lookup costs within 2x of R = 1 (spec §6.4 B7). */
static void emit_target(const struct bench_opts *o, const struct lk_run *lr)
{
	unsigned int last = LK_NR - 1;
	double x = med(lr, 0, L_HOT) > 0 ? med(lr, last, L_HOT) / med(lr, 0, L_HOT) : 0;
	double fx = med(lr, 0, L_FHOT) > 0 ? med(lr, last, L_FHOT) / med(lr, 0, L_FHOT) : 0;
	struct bench_row r;

	bench_row_init(&r, "vfio.lookup.target", "TARGET-hot", &lr->v[last * LK_KINDS + L_HOT]);
	row_params(&r, lr, last, L_HOT);
	r.ratio = x; /* here: to the same lookup at R = 1 */
	bench_extra(&r, "x_R1", x);
	bench_extra(&r, "minus_R1_ns", med(lr, last, L_HOT) - med(lr, 0, L_HOT));
	bench_extra(&r, "floor_x_R1", fx);
	bench_target(&r, "<=2x R=1", x <= 2.0);
	bench_emit(o, &r);
}

static int measure(const struct bench_opts *o, struct lk_run *lr, struct vb_arena *a)
{
	unsigned int i, k;
	int rc = 0;

	for (i = 0; i < LK_NR && !rc; i++)
		rc = set_up(&lr->sets[i], a);
	if (rc)
		return rc;
	variants(lr);
	rc = bench_run_interleaved(lr->v, LK_NR * LK_KINDS, o->reps);
	for (i = 0; i < LK_NR && !rc; i++)
		for (k = 0; k < LK_KINDS; k++)
			emit(o, lr, i, k);
	if (!rc)
		emit_target(o, lr);
	return rc;
}

int vb_lookup_section(const struct bench_opts *o)
{
	static const uint32_t full[LK_NR] = { 1, 64, 4096 }, quick[LK_NR] = { 1, 8, 64 };
	struct lk_run *lr = calloc(1, sizeof(*lr));
	struct vb_arena a;
	unsigned int i;
	int rc;

	if (!lr)
		return vb_fail("lookup state", -ENOMEM);
	for (i = 0; i < LK_NR; i++)
		lr->sets[i].nregions = o->quick ? quick[i] : full[i];
	bench_section(o, "vfio.lookup (powernv, v2): UA -> region with R regions of 2 MiB, "
			 "measured as MAP_DMA of one 64 KiB page to a fresh entry\n"
			 "   (the only R-dependent part of it); ns per MAP (OURS) or per search "
			 "(FLOOR: bare binary search over R sorted region pointers);\n"
			 "   ratio: OURS to FLOOR of the same R and mode; x_R1: to R = 1",
		      "ns/op");
	rc = vb_arena_map(&a, (uint64_t)lr->sets[LK_NR - 1].nregions * LK_REGION);
	if (!rc)
		rc = measure(o, lr, &a);
	for (i = 0; i < LK_NR; i++)
		set_down(&lr->sets[i], &a);
	vb_arena_unmap(&a, NULL);
	free(lr);
	return rc;
}
