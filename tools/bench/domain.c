/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench domain`: tce_domain_map() and tce_domain_unmap() per IOMMU
 * page on powernv, at 1 (or one piece), 64, 512 and 262144 pages a call, in a
 * domain of one 4 KiB window, of one 64 KiB window, and of a 64 KiB window
 * beside a 2 MiB one (so the splitting picks 2 MiB pieces, each written as
 * 32 TCEs of 64 KiB). Each repetition maps (or unmaps) the same 262144
 * pages from the window's start in consecutive calls; the other half of the
 * pair is untimed. Unmaps (and the floor's clears) go last call first: the
 * domain keeps its mappings in a sorted array, so removing the first of
 * 262144 one-page mappings moves all the others (8 MiB) and ascending
 * one-page unmaps cost about 0.4 ms each, quadratic in the count. The floor is the same work by tce_iommu_table_update()
 * and tce_iommu_table_clear() on a table of the domain's geometry (levels
 * as the domain chose them) that the caller owns, on a second machine: what
 * the domain adds is its checks, the splitting, the record of mappings and
 * the dirty log fed by the release callback. Layer: tools; uses <tce.h>
 * and the helpers of vfio.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subcommands.h"
#include "vfio.h"

#define DB_PAGES (1ULL << 18)      /* pages per repetition (and the largest call) */
#define DB_PAGES_QUICK (1ULL << 12)
#define DB_ARENA (16 * VB_GiB)     /* 2^18 pages of 64 KiB */
#define DB_SIZES 4
#define DB_KINDS 4
#define DB_PROT (TCE_DOMAIN_READ | TCE_DOMAIN_WRITE)

enum { K_MAP, K_UNMAP, K_UPDATE, K_CLEAR };

static const char *const kind_names[DB_KINDS] = { "OURS-MAP", "OURS-UNMAP", "FLOOR-update",
						  "FLOOR-clear" };

/* A domain's shape: window 0 of @shift, and window 1 of @big_shift when non-zero. */
struct db_geo {
	const char *name;
	uint32_t shift;
	uint64_t bytes;
	uint32_t big_shift;
	uint64_t first_call; /* the smallest call, in pages: 1, or one piece */
};

static const struct db_geo geos[] = {
	{ "4K", 12, 4 * VB_GiB, 0, 1 },
	{ "64K", 16, 32 * VB_GiB, 0, 1 },
	{ "64K-in-2M", 16, 32 * VB_GiB, 21, 32 },
};

/* One variant: @calls calls of @n pages each, consecutive from IOVA 0 (index first). */
struct db_arg {
	struct tce_domain *d;
	struct vb_owned *f;
	uint32_t shift;
	uint64_t ua, n, calls;
	char name[40];
};

struct db_run {
	struct db_arg args[DB_SIZES][DB_KINDS];
	struct bench_variant v[DB_SIZES * DB_KINDS];
};

static uint64_t total(const struct db_arg *a)
{
	return a->n * a->calls;
}

static double per_page(uint64_t t0, uint64_t t1, const struct db_arg *a)
{
	return (double)(t1 - t0) / (double)total(a);
}

static int unmap_call(const struct db_arg *a, uint64_t iova, uint64_t size, const char *what)
{
	uint64_t got;
	int rc = tce_domain_unmap(a->d, iova, size, &got);

	if (!rc && got != size)
		rc = -EIO;
	return rc ? vb_fail(what, rc) : 0;
}

static int run_map(void *arg, double *ns_per_op)
{
	const struct db_arg *a = arg;
	uint64_t k, step = a->n << a->shift, t0, t1;
	int rc;

	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = tce_domain_map(a->d, k * step, a->ua + k * step, step, DB_PROT);
		if (rc)
			return vb_fail("tce_domain_map", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	for (k = a->calls; k-- > 0;) /* as the timed unmaps do, last first */
		if ((rc = unmap_call(a, k * step, step, "tce_domain_unmap (untimed)")))
			return rc;
	return 0;
}

static int run_unmap(void *arg, double *ns_per_op)
{
	const struct db_arg *a = arg;
	uint64_t k, step = a->n << a->shift, t0, t1;
	int rc;

	for (k = 0; k < a->calls; k++) { /* the same mappings the timed unmaps meet */
		rc = tce_domain_map(a->d, k * step, a->ua + k * step, step, DB_PROT);
		if (rc)
			return vb_fail("tce_domain_map (untimed)", rc);
	}
	t0 = bench_now_ns();
	for (k = a->calls; k-- > 0;) {
		rc = unmap_call(a, k * step, step, "tce_domain_unmap");
		if (rc)
			return rc;
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	return 0;
}

static int run_update(void *arg, double *ns_per_op)
{
	const struct db_arg *a = arg;
	struct tce_iommu_table *t = a->f->t;
	uint64_t k, first = a->f->info.first_idx, t0, t1;
	int rc;

	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = tce_iommu_table_update(t, first + k * a->n, a->n,
					    a->ua + ((k * a->n) << a->shift),
					    TCE_DIR_BIDIRECTIONAL);
		if (rc)
			return vb_fail("tce_iommu_table_update", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	rc = tce_iommu_table_clear(t, first, total(a));
	return rc ? vb_fail("tce_iommu_table_clear (untimed)", rc) : 0;
}

static int run_clear(void *arg, double *ns_per_op)
{
	const struct db_arg *a = arg;
	struct tce_iommu_table *t = a->f->t;
	uint64_t k, first = a->f->info.first_idx, t0, t1;
	int rc;

	for (k = 0; k < a->calls; k++) { /* the same runs the timed clears meet */
		rc = tce_iommu_table_update(t, first + k * a->n, a->n,
					    a->ua + ((k * a->n) << a->shift),
					    TCE_DIR_BIDIRECTIONAL);
		if (rc)
			return vb_fail("tce_iommu_table_update (untimed)", rc);
	}
	t0 = bench_now_ns();
	for (k = a->calls; k-- > 0;) {
		rc = tce_iommu_table_clear(t, first + k * a->n, a->n);
		if (rc)
			return vb_fail("tce_iommu_table_clear", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	return 0;
}

static int (*const kind_run[DB_KINDS])(void *, double *) = { run_map, run_unmap, run_update,
							     run_clear };

static void setup(struct db_run *dr, const struct bench_opts *o, const struct db_geo *g,
		  struct tce_domain *d, struct vb_owned *f, uint64_t ua)
{
	uint64_t pages = o->quick ? DB_PAGES_QUICK : DB_PAGES;
	const uint64_t sizes[DB_SIZES] = { g->first_call, 64, 512, pages };
	unsigned int s, k;

	for (s = 0; s < DB_SIZES; s++) {
		for (k = 0; k < DB_KINDS; k++) {
			struct db_arg *a = &dr->args[s][k];
			struct bench_variant *v = &dr->v[s * DB_KINDS + k];

			*a = (struct db_arg){ .d = d, .f = f, .shift = g->shift, .ua = ua,
					      .n = sizes[s], .calls = pages / sizes[s] };
			snprintf(a->name, sizeof(a->name), "%s-%llu", kind_names[k],
				 (unsigned long long)sizes[s]);
			v->name = a->name;
			v->run = kind_run[k];
			v->arg = a;
		}
	}
}

static double med(const struct db_run *dr, unsigned int s, unsigned int k)
{
	return dr->v[s * DB_KINDS + k].sum.median;
}

static void emit(const struct bench_opts *o, const struct db_run *dr, const struct db_geo *g,
		 uint32_t levels, unsigned int s, unsigned int k)
{
	const struct db_arg *a = &dr->args[s][k];
	unsigned int fk = k == K_MAP || k == K_UPDATE ? K_UPDATE : K_CLEAR;
	double m = med(dr, s, k), pair = med(dr, s, K_MAP) + med(dr, s, K_UNMAP);
	double fpair = med(dr, s, K_UPDATE) + med(dr, s, K_CLEAR);
	uint32_t piece = g->big_shift && a->n % 32 == 0 ? g->big_shift : g->shift;
	struct bench_row r;

	bench_row_init(&r, "domain.map", a->name, &dr->v[s * DB_KINDS + k]);
	bench_param_str(&r, "platform", "powernv");
	bench_param_str(&r, "domain", g->name);
	vb_win_params(&r, g->bytes, g->shift, levels);
	bench_param_num(&r, "pages_per_call", (double)a->n);
	bench_param_json(&r, "piece_bytes", (double)(1ULL << piece));
	bench_param_json(&r, "calls", (double)a->calls);
	r.ratio = med(dr, s, fk) > 0 ? m / med(dr, s, fk) : 0;
	bench_extra(&r, "ns_per_call", m * (double)a->n);
	if (k == K_MAP) {
		bench_extra(&r, "map_unmap_ns", pair);
		bench_extra(&r, "x_floor_pair", fpair > 0 ? pair / fpair : 0);
	}
	bench_emit(o, &r);
}

/* A domain of @g with @os's group attached; *@levels as it chose them. */
static int domain_up(const struct db_geo *g, struct vb_os *os, struct tce_domain **d,
		     uint32_t *levels)
{
	struct tce_domain_config cfg = { .win = { { .size = g->bytes, .page_shift = g->shift } } };
	struct tce_domain_info di;
	int rc;

	if (g->big_shift)
		cfg.win[1] = (struct tce_domain_window){ .size = 64 * VB_GiB,
							 .page_shift = g->big_shift };
	rc = tce_domain_create(tce_machine_ctx(os->m), &cfg, d);
	if (rc)
		return vb_fail("tce_domain_create", rc);
	rc = tce_domain_attach(*d, os->g);
	if (rc)
		return vb_fail("tce_domain_attach", rc);
	tce_domain_info(*d, &di);
	*levels = di.range[0].levels;
	return 0;
}

/* One domain shape: the domain, the floor's owned table, all sizes interleaved. */
static int one_domain(const struct bench_opts *o, const struct db_geo *g, struct vb_os *os,
		      struct vb_os *fos, uint64_t ua)
{
	struct db_run *dr = calloc(1, sizeof(*dr));
	struct tce_domain *d = NULL;
	struct vb_owned f;
	uint32_t levels = 0;
	unsigned int s, k;
	int rc;

	memset(&f, 0, sizeof(f));
	if (!dr)
		return vb_fail("domain state", -ENOMEM);
	rc = domain_up(g, os, &d, &levels);
	if (!rc && (rc = vb_owned_up(&f, fos, 0, g->shift, g->bytes, levels)))
		vb_fail("the floor's owned table", rc);
	if (!rc) {
		setup(dr, o, g, d, &f, ua);
		rc = bench_run_interleaved(dr->v, DB_SIZES * DB_KINDS, o->reps);
	}
	for (s = 0; s < DB_SIZES && !rc; s++)
		for (k = 0; k < DB_KINDS; k++)
			emit(o, dr, g, levels, s, k);
	vb_owned_down(&f);
	vb_os_give_back(fos);
	tce_domain_destroy(d);
	free(dr);
	return rc;
}

static int domains(const struct bench_opts *o, struct vb_os *os, struct vb_os *fos,
		   uint64_t ua)
{
	char title[400];
	unsigned int i;
	int rc = 0;

	snprintf(title, sizeof(title),
		 "domain.map (powernv): tce_domain_map and tce_domain_unmap of %llu pages a "
		 "repetition, N pages a call, unmaps last call first\n"
		 "   (64K-in-2M: pieces of 2 MiB over 64 KiB TCEs);\n"
		 "   ns per IOMMU page; FLOOR = tce_iommu_table_update/clear on an owned table of "
		 "the same geometry",
		 (unsigned long long)(o->quick ? DB_PAGES_QUICK : DB_PAGES));
	bench_section(o, title, "ns/page");
	for (i = 0; i < sizeof(geos) / sizeof(geos[0]) && !rc; i++)
		rc = one_domain(o, &geos[i], os, fos, ua);
	return rc;
}

int bench_domain(const struct bench_opts *o)
{
	struct vb_os os, fos;
	struct vb_arena a;
	int rc;

	memset(&os, 0, sizeof(os));
	memset(&fos, 0, sizeof(fos));
	rc = vb_arena_map(&a, DB_ARENA);
	if (!rc)
		rc = vb_os_up(&os, TCE_PLATFORM_POWERNV);
	if (!rc)
		rc = vb_os_up(&fos, TCE_PLATFORM_POWERNV);
	if (!rc)
		rc = vb_arena_region(&a, &os);
	if (!rc)
		rc = vb_arena_region(&a, &fos);
	if (!rc)
		rc = domains(o, &os, &fos, a.ua);
	if (os.m)
		tce_machine_remove_region(os.m, a.ua, a.bytes);
	vb_arena_unmap(&a, &fos);
	vb_os_down(&fos);
	vb_os_down(&os);
	return rc;
}
