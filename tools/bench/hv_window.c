/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B5 "map a 16 GiB window": a DDW of 16 GiB (1 GiB in quick mode) created
 * with RTAS, then mapped whole by the guest's loop: fill the one 4 KiB list
 * page with 512 big-endian TCEs, call H_PUT_TCE_INDIRECT, next 512. Done for
 * 4 KiB pages (4 Mi TCEs) and 64 KiB pages (256 Ki TCEs); the window is
 * cleared with H_STUFF_TCE (untimed) before each mapping. The floor is the
 * same loop with the hcall replaced by the unvalidated store loop into a
 * plain array of the window's entries. Layer: tools; uses <tce.h> through hv.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

#define WIN_SHIFT 34       /* 16 GiB */
#define WIN_SHIFT_QUICK 30 /* 1 GiB */
#define WIN_TARGET_MS 50.0

struct win_arg {
	struct hv_env *e;
	struct hv_win w;
	uint64_t *flat; /* the floor's table: one entry per window entry */
};

static int run_map(void *arg, double *ns_per_op)
{
	const struct win_arg *a = arg;
	const struct hv_win *w = &a->w;
	uint64_t n = hv_entries(w), args[9] = { 0 }, i, t0, t1;
	long st;
	int rc = hv_clear(a->e, w, 0, n);

	if (!rc)
		rc = hv_expect_range(a->e, w, 0, n, false);
	if (rc)
		return rc;
	t0 = bench_now_ns();
	for (i = 0; i < n; i += TCE_INDIRECT_MAX) {
		hv_list_fill(a->e->list, w, i, TCE_INDIRECT_MAX);
		args[0] = w->liobn;
		args[1] = w->bus + (i << w->shift);
		args[2] = HV_LIST_REAL;
		args[3] = TCE_INDIRECT_MAX;
		st = tce_hv_hcall(a->e->m, TCE_H_PUT_TCE_INDIRECT, args);
		if (st)
			return hv_hfail("H_PUT_TCE_INDIRECT", st);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)n;
	return hv_expect_range(a->e, w, 0, n, true);
}

static int run_floor(void *arg, double *ns_per_op)
{
	const struct win_arg *a = arg;
	uint64_t n = hv_entries(&a->w), i, t0, t1;

	memset(a->flat, 0, n * sizeof(*a->flat)); /* untimed: cleared, as the window is */
	t0 = bench_now_ns();
	for (i = 0; i < n; i += TCE_INDIRECT_MAX) {
		hv_list_fill(a->e->list, &a->w, i, TCE_INDIRECT_MAX);
		hv_floor_store(a->flat + i, a->e->list, TCE_INDIRECT_MAX);
	}
	t1 = bench_now_ns();
	bench_sink += a->flat[n - 1];
	*ns_per_op = (double)(t1 - t0) / (double)n;
	return 0;
}

static void emit(const struct bench_opts *o, const struct win_arg *a,
		 const struct bench_variant *v, unsigned int i)
{
	uint64_t n = hv_entries(&a->w);
	double ms = v[i].sum.median * (double)n / 1e6;
	struct bench_row r;

	bench_row_init(&r, "hv.window", v[i].name, &v[i]);
	hv_win_params(&r, &a->w);
	bench_param_num(&r, "tces", (double)n);
	r.ratio = v[1].sum.median > 0 ? v[i].sum.median / v[1].sum.median : 0;
	bench_extra(&r, "ms_total", ms);
	bench_extra(&r, "ms_min", v[i].sum.min * (double)n / 1e6);
	if (i == 0 && a->w.bytes == 1ULL << WIN_SHIFT)
		bench_target(&r, "<=50ms total", ms <= WIN_TARGET_MS);
	bench_emit(o, &r);
}

/* One page size: create the DDW, run OURS and FLOOR interleaved, remove it. */
static int one_page_size(const struct bench_opts *o, struct hv_env *e, uint32_t shift,
			 uint32_t wshift)
{
	static const char *const names[2][2] = { { "OURS-INDIRECT-4K", "FLOOR-store-4K" },
						 { "OURS-INDIRECT-64K", "FLOOR-store-64K" } };
	struct win_arg a = { .e = e };
	struct bench_variant v[2] = {
		{ .name = names[shift != 12][0], .run = run_map, .arg = &a },
		{ .name = names[shift != 12][1], .run = run_floor, .arg = &a },
	};
	int rc, rc2;

	rc = hv_ddw_create(e, shift, wshift, &a.w);
	if (rc)
		return rc;
	a.flat = calloc(hv_entries(&a.w), sizeof(*a.flat));
	rc = a.flat ? bench_run_interleaved(v, 2, o->reps) : hv_fail("floor table", -ENOMEM);
	if (!rc) {
		emit(o, &a, v, 0);
		emit(o, &a, v, 1);
	}
	free(a.flat);
	rc2 = hv_ddw_remove(e, &a.w);
	return rc ? rc : rc2;
}

int hv_window(const struct bench_opts *o, struct hv_env *e)
{
	uint32_t wshift = o->quick ? WIN_SHIFT_QUICK : WIN_SHIFT;
	char title[320];
	int rc;

	snprintf(title, sizeof(title),
		 "hv.window: map a whole %llu GiB DDW (created with RTAS) with "
		 "H_PUT_TCE_INDIRECT, 512 TCEs a call;\n"
		 "   timed: the guest loop (fill the list page, hcall) over the window, "
		 "cleared before; ns per TCE, total in ms_total",
		 (unsigned long long)(1ULL << (wshift - 30)));
	bench_section(o, title, "ns/TCE");
	rc = one_page_size(o, e, 12, wshift);
	return rc ? rc : one_page_size(o, e, 16, wshift);
}
