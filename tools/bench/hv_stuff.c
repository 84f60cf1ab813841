/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B5 (c), the large part: one H_STUFF_TCE clearing 1 Mi mapped entries of a
 * DDW of 64 KiB pages and 2^36 bytes (64 Ki entries of 2^32 bytes in quick
 * mode), against one memset of the same bytes. The window is re-mapped with
 * H_PUT_TCE_INDIRECT (untimed) before every clear. And goal G5's sparse
 * case: one entry every 8192 mapped, one STUFF of the whole window, in ns
 * per populated entry. Also records that libtce's
 * H_STUFF_TCE refuses a mapping value, so the spec's "STUFF map" is not timed.
 * Layer: tools; uses <tce.h> through hv.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

#define SB_PAGE_SHIFT 16
#define SB_WINDOW_SHIFT 36
#define SB_WINDOW_SHIFT_QUICK 32

struct sb_arg {
	struct hv_env *e;
	struct hv_win w;
	unsigned char *buf; /* the floor's buffer, as many bytes as the table's entries */
};

static int run_stuff(void *arg, double *ns_per_op)
{
	struct sb_arg *a = arg;
	uint64_t n = hv_entries(&a->w), args[9] = { a->w.liobn, a->w.bus, 0, n }, t0, t1;
	long st;
	int rc = hv_map(a->e, &a->w, 0, n);

	if (!rc)
		rc = hv_expect_range(a->e, &a->w, 0, n, true);
	if (rc)
		return rc;
	t0 = bench_now_ns();
	st = tce_hv_hcall(a->e->m, TCE_H_STUFF_TCE, args);
	t1 = bench_now_ns();
	if (st)
		return hv_hfail("H_STUFF_TCE of the whole window", st);
	*ns_per_op = (double)(t1 - t0) / (double)n;
	return hv_expect_range(a->e, &a->w, 0, n, false);
}

/* Entries apart in the sparse case: one a leaf of 8192 (64 KiB host pages). */
#define SB_SPARSE_STRIDE 8192
#define G5_SPARSE_NS 50.0

/* Goal G5: one entry every SB_SPARSE_STRIDE mapped with H_PUT_TCE, one STUFF of the window. */
static int run_stuff_sparse(void *arg, double *ns_per_op)
{
	struct sb_arg *a = arg;
	uint64_t n = hv_entries(&a->w), args[9], i, t0, t1;
	long st;

	for (i = 0; i < n; i += SB_SPARSE_STRIDE) {
		uint64_t put[9] = { a->w.liobn, a->w.bus + (i << a->w.shift), hv_tce(&a->w, i) };

		if (hv_hcall(a->e->m, TCE_H_PUT_TCE, put, "H_PUT_TCE"))
			return -EPROTO;
	}
	args[0] = a->w.liobn, args[1] = a->w.bus, args[2] = 0, args[3] = n;
	t0 = bench_now_ns();
	st = tce_hv_hcall(a->e->m, TCE_H_STUFF_TCE, args);
	t1 = bench_now_ns();
	if (st)
		return hv_hfail("H_STUFF_TCE of a sparse window", st);
	*ns_per_op = (double)(t1 - t0) / (double)(n / SB_SPARSE_STRIDE);
	return hv_expect(a->e, &a->w, 0, 0);
}

static int run_memset(void *arg, double *ns_per_op)
{
	struct sb_arg *a = arg;
	uint64_t n = hv_entries(&a->w), t0, t1;

	memset(a->buf, 0xa5, n * TCE_ENTRY_SIZE); /* untimed: dirty, as a mapped table */
	t0 = bench_now_ns();
	memset(a->buf, 0, n * TCE_ENTRY_SIZE);
	t1 = bench_now_ns();
	bench_sink += a->buf[n];
	*ns_per_op = (double)(t1 - t0) / (double)n;
	return 0;
}

/* H_STUFF_TCE with READ|WRITE must be refused (and change nothing) or work. */
static int note_stuff_map(const struct bench_opts *o, struct hv_env *e, const struct hv_win *w)
{
	uint64_t args[9] = { w->liobn, w->bus, hv_tce(w, 0), TCE_INDIRECT_MAX };
	long st = tce_hv_hcall(e->m, TCE_H_STUFF_TCE, args);
	int rc = hv_expect(e, w, 0, st ? 0 : hv_tce(w, 0));

	bench_note(o, "   H_STUFF_TCE with a mapping value (READ|WRITE): %s; %s",
		   hv_status_name(st),
		   st ? "libtce's STUFF only clears, so \"STUFF map\" is not timed"
		      : "it maps (not timed here)");
	return rc ? rc : hv_clear(e, w, 0, TCE_INDIRECT_MAX);
}

static void emit(const struct bench_opts *o, const struct sb_arg *a,
		 const struct bench_variant *v, unsigned int i)
{
	uint64_t n = hv_entries(&a->w);
	struct bench_row r;

	bench_row_init(&r, "hv.stuff", v[i].name, &v[i]);
	hv_win_params(&r, &a->w);
	if (i == 2) {
		bench_param_num(&r, "tces", (double)(n / SB_SPARSE_STRIDE));
		bench_param_str(&r, "populated", "1/8192");
		r.ratio = v[i].sum.median / G5_SPARSE_NS;
		bench_goal(&r, "G5", r.ratio, "sparse STUFF <=50ns/entry", r.ratio <= 1.0, true);
		bench_emit(o, &r);
		return;
	}
	bench_param_num(&r, "tces", (double)n);
	r.ratio = v[1].sum.median > 0 ? v[i].sum.median / v[1].sum.median : 0;
	bench_extra(&r, "us_per_call", v[i].sum.median * (double)n / 1e3);
	if (i == 0)
		bench_target(&r, "<=1ns/TCE", v[i].sum.median <= 1.0);
	else
		bench_extra(&r, "gb_per_s", v[i].sum.median > 0 ? 8.0 / v[i].sum.median : 0);
	bench_emit(o, &r);
}

static int measure(const struct bench_opts *o, struct sb_arg *a)
{
	struct bench_variant v[] = {
		{ .name = "OURS-STUFF-1Mi", .run = run_stuff, .arg = a },
		{ .name = "FLOOR-memset-1Mi", .run = run_memset, .arg = a },
		{ .name = "OURS-STUFF-sparse", .run = run_stuff_sparse, .arg = a },
	};
	char title[200];
	int rc;

	if (o->quick) {
		v[0].name = "OURS-STUFF-64Ki";
		v[1].name = "FLOOR-memset-64Ki";
	}
	snprintf(title, sizeof(title),
		 "hv.stuff: one H_STUFF_TCE clearing all %llu mapped entries of a DDW "
		 "(64 KiB pages, 2^%u bytes, LIOBN 0x%x); ns per TCE",
		 (unsigned long long)hv_entries(&a->w), (unsigned)__builtin_ctzll(a->w.bytes),
		 a->w.liobn);
	bench_section(o, title, "ns/TCE");
	rc = note_stuff_map(o, a->e, &a->w);
	if (!rc)
		rc = bench_run_interleaved(v, 3, o->reps);
	if (!rc) {
		emit(o, a, v, 0);
		emit(o, a, v, 1);
		emit(o, a, v, 2);
	}
	return rc;
}

int hv_stuff_big(const struct bench_opts *o, struct hv_env *e)
{
	uint32_t wshift = o->quick ? SB_WINDOW_SHIFT_QUICK : SB_WINDOW_SHIFT;
	struct sb_arg a = { .e = e };
	int rc, rc2;

	rc = hv_ddw_create(e, SB_PAGE_SHIFT, wshift, &a.w);
	if (rc)
		return rc;
	a.buf = malloc(hv_entries(&a.w) * TCE_ENTRY_SIZE);
	rc = a.buf ? measure(o, &a) : hv_fail("memset buffer", -ENOMEM);
	free(a.buf);
	rc2 = hv_ddw_remove(e, &a.w);
	return rc ? rc : rc2;
}
