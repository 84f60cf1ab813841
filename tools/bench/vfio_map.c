/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO_IOMMU_MAP_DMA and UNMAP_DMA per IOMMU page, at 1, 512 and 262144
 * pages a call, on a window of 4 KiB pages and one of 64 KiB pages created
 * with SPAPR_TCE_CREATE, over 16 GiB of registered, untouched memory. Each
 * repetition maps (or unmaps) the same 262144 pages as consecutive calls of
 * that size; the other half of the pair is done untimed. The floor is the
 * same work on a table of the same geometry that the caller owns directly
 * (tce_iommu_table_update() and tce_iommu_table_clear() with a release
 * callback), on a second machine: what the container adds is the ioctl
 * decode, the window and range checks, the region lookup with its mapped
 * counts, and the userspace-address mirror. Layer: tools; uses <tce.h>
 * through vfio.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"

#define MP_PAGES (1ULL << 18)      /* pages per repetition (and the largest call) */
#define MP_PAGES_QUICK (1ULL << 12)
#define MP_ARENA (16 * VB_GiB)     /* 2^18 pages of 64 KiB */
#define MP_SIZES 3
#define MP_KINDS 4

enum { K_MAP, K_UNMAP, K_UPDATE, K_CLEAR };

static const char *const kind_names[MP_KINDS] = { "OURS-MAP", "OURS-UNMAP", "FLOOR-update",
						  "FLOOR-clear" };

/* One variant: @calls calls of @n pages each, consecutive from the window's start. */
struct mp_arg {
	struct vb_client *c;
	struct vb_owned *f;
	const struct vb_win *w;
	uint64_t ua;
	uint64_t n, calls;
	char name[40];
};

struct mp_run {
	struct mp_arg args[MP_SIZES][MP_KINDS];
	struct bench_variant v[MP_SIZES * MP_KINDS];
};

static uint64_t total(const struct mp_arg *a)
{
	return a->n * a->calls;
}

static double per_page(uint64_t t0, uint64_t t1, const struct mp_arg *a)
{
	return (double)(t1 - t0) / (double)total(a);
}

static int map_all(const struct mp_arg *a)
{
	long rc = vb_map(a->c, a->w->start, a->ua, total(a) << a->w->shift);

	return rc ? vb_fail("MAP_DMA (untimed)", rc) : 0;
}

static int unmap_all(const struct mp_arg *a)
{
	long rc = vb_unmap(a->c, a->w->start, total(a) << a->w->shift);

	return rc ? vb_fail("UNMAP_DMA (untimed)", rc) : 0;
}

static int run_map(void *arg, double *ns_per_op)
{
	const struct mp_arg *a = arg;
	uint64_t k, step = a->n << a->w->shift, t0, t1;
	long rc;

	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = vb_map(a->c, a->w->start + k * step, a->ua + k * step, step);
		if (rc)
			return vb_fail("MAP_DMA", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	return unmap_all(a);
}

static int run_unmap(void *arg, double *ns_per_op)
{
	const struct mp_arg *a = arg;
	uint64_t k, step = a->n << a->w->shift, t0, t1;
	long rc = map_all(a);

	if (rc)
		return (int)rc;
	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = vb_unmap(a->c, a->w->start + k * step, step);
		if (rc)
			return vb_fail("UNMAP_DMA", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	return 0;
}

static int run_update(void *arg, double *ns_per_op)
{
	const struct mp_arg *a = arg;
	struct tce_iommu_table *t = a->f->t;
	uint64_t k, first = a->f->info.first_idx, t0, t1;
	int rc;

	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = tce_iommu_table_update(t, first + k * a->n, a->n,
					    a->ua + ((k * a->n) << a->w->shift),
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
	const struct mp_arg *a = arg;
	struct tce_iommu_table *t = a->f->t;
	uint64_t k, first = a->f->info.first_idx, t0, t1;
	int rc = tce_iommu_table_update(t, first, total(a), a->ua, TCE_DIR_BIDIRECTIONAL);

	if (rc)
		return vb_fail("tce_iommu_table_update (untimed)", rc);
	t0 = bench_now_ns();
	for (k = 0; k < a->calls; k++) {
		rc = tce_iommu_table_clear(t, first + k * a->n, a->n);
		if (rc)
			return vb_fail("tce_iommu_table_clear", rc);
	}
	t1 = bench_now_ns();
	*ns_per_op = per_page(t0, t1, a);
	return 0;
}

static int (*const kind_run[MP_KINDS])(void *, double *) = { run_map, run_unmap, run_update,
							     run_clear };

static void setup(struct mp_run *mr, const struct bench_opts *o, struct vb_client *c,
		  struct vb_owned *f, const struct vb_win *w, uint64_t ua)
{
	uint64_t pages = o->quick ? MP_PAGES_QUICK : MP_PAGES;
	const uint64_t sizes[MP_SIZES] = { 1, 512, pages };
	unsigned int s, k;

	for (s = 0; s < MP_SIZES; s++) {
		for (k = 0; k < MP_KINDS; k++) {
			struct mp_arg *a = &mr->args[s][k];
			struct bench_variant *v = &mr->v[s * MP_KINDS + k];

			*a = (struct mp_arg){ .c = c, .f = f, .w = w, .ua = ua, .n = sizes[s],
					      .calls = pages / sizes[s] };
			snprintf(a->name, sizeof(a->name), "%s-%llu", kind_names[k],
				 (unsigned long long)sizes[s]);
			v->name = a->name;
			v->run = kind_run[k];
			v->arg = a;
		}
	}
}

static double med(const struct mp_run *mr, unsigned int s, unsigned int k)
{
	return mr->v[s * MP_KINDS + k].sum.median;
}

static void emit(const struct bench_opts *o, const struct mp_run *mr, enum tce_platform p,
		 unsigned int s, unsigned int k)
{
	const struct mp_arg *a = &mr->args[s][k];
	unsigned int fk = k == K_MAP || k == K_UPDATE ? K_UPDATE : K_CLEAR;
	double m = med(mr, s, k), pair = med(mr, s, K_MAP) + med(mr, s, K_UNMAP);
	double fpair = med(mr, s, K_UPDATE) + med(mr, s, K_CLEAR);
	struct bench_row r;

	bench_row_init(&r, "vfio.map", a->name, &mr->v[s * MP_KINDS + k]);
	bench_param_str(&r, "platform", vb_platform_name(p));
	vb_win_params(&r, a->w->bytes, a->w->shift, a->w->levels);
	bench_param_num(&r, "pages_per_call", (double)a->n);
	bench_param_json(&r, "calls", (double)a->calls);
	r.ratio = med(mr, s, fk) > 0 ? m / med(mr, s, fk) : 0;
	bench_extra(&r, "ns_per_call", m * (double)a->n);
	if (k == K_MAP) {
		bench_extra(&r, "map_unmap_ns", pair);
		bench_extra(&r, "x_floor_pair", fpair > 0 ? pair / fpair : 0);
		bench_extra(&r, "anchor_ns", VB_ANCHOR_NS);
		bench_extra(&r, "anchor_over_ours", m > 0 ? VB_ANCHOR_NS / m : 0);
	}
	bench_emit(o, &r);
}

/* One window: created in the container and on the floor's machine, all sizes interleaved. */
static int one_window(const struct bench_opts *o, struct vb_client *c, struct vb_os *fos,
		      uint64_t ua, uint32_t shift, uint64_t bytes)
{
	struct mp_run *mr = calloc(1, sizeof(*mr));
	struct vb_owned f;
	struct vb_win w;
	struct bench_row r;
	unsigned int s, k;
	int rc;

	if (!mr)
		return vb_fail("map state", -ENOMEM);
	rc = vb_create(c, shift, bytes, 1, &w);
	if (rc) { /* a window this platform cannot give: say so, do not stop */
		bench_row_init(&r, "vfio.map", shift == 12 ? "OURS-4K" : "OURS-64K", NULL);
		bench_param_str(&r, "platform", vb_platform_name(c->os->platform));
		vb_win_params(&r, bytes, shift, 1);
		r.refused = rc;
		bench_emit(o, &r);
		free(mr);
		return 0;
	}
	rc = vb_owned_up(&f, fos, 0, shift, bytes, 1);
	if (rc)
		vb_fail("the floor's owned table", rc);
	if (!rc) {
		setup(mr, o, c, &f, &w, ua);
		rc = bench_run_interleaved(mr->v, MP_SIZES * MP_KINDS, o->reps);
	}
	for (s = 0; s < MP_SIZES && !rc; s++)
		for (k = 0; k < MP_KINDS; k++)
			emit(o, mr, c->os->platform, s, k);
	vb_owned_down(&f);
	if (!rc)
		rc = vb_remove(c, w.start);
	free(mr);
	return rc;
}

static int windows(const struct bench_opts *o, struct vb_client *c, struct vb_os *fos,
		   struct vb_arena *a)
{
	char title[400];
	int rc;

	snprintf(title, sizeof(title),
		 "vfio.map (%s, v2 container): MAP_DMA and UNMAP_DMA of %llu pages a repetition, "
		 "N pages a call, 1-level window;\n"
		 "   ns per IOMMU page; FLOOR = tce_iommu_table_update/clear on an owned table of "
		 "the same geometry;\n"
		 "   anchor: POWER9 KVM/VFIO maps about %.0f us per TCE (100 GB in 10 s)",
		 vb_platform_name(c->os->platform),
		 (unsigned long long)(o->quick ? MP_PAGES_QUICK : MP_PAGES), VB_ANCHOR_NS / 1e3);
	bench_section(o, title, "ns/page");
	rc = vb_register(c, a->ua, a->bytes);
	if (!rc)
		rc = one_window(o, c, fos, a->ua, 12, 4 * VB_GiB);
	if (!rc)
		rc = one_window(o, c, fos, a->ua, 16, 32 * VB_GiB);
	return rc;
}

int vb_map_section(const struct bench_opts *o, enum tce_platform p)
{
	struct vb_os os, fos;
	struct vb_arena a;
	struct vb_client c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&os, 0, sizeof(os));
	memset(&fos, 0, sizeof(fos));
	rc = vb_arena_map(&a, MP_ARENA);
	if (!rc)
		rc = vb_os_up(&os, p);
	if (!rc)
		rc = vb_os_up(&fos, p);
	if (!rc)
		rc = vb_arena_region(&a, &os);
	if (!rc)
		rc = vb_arena_region(&a, &fos);
	if (!rc)
		rc = vb_client_up(&c, &os);
	if (!rc)
		rc = windows(o, &c, &fos, &a);
	vb_client_down(&c);
	vb_os_give_back(&fos);
	if (os.m)
		tce_machine_remove_region(os.m, a.ua, a.bytes);
	vb_arena_unmap(&a, &fos);
	vb_os_down(&fos);
	vb_os_down(&os);
	return rc;
}
