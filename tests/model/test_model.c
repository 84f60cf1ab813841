/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential test of the TCE table against the flat-array reference model:
 * seeded random sequences of set, clear, exchange, get, translate and next
 * over several geometries (1, 2 and 3 levels on 64 KiB hosts, 2, 3 and 4
 * levels on 4 KiB hosts, 4 KiB to 16 GiB pages), in-window and
 * out-of-window, millions of operations in all. Every call's result and
 * every touched entry must agree with the model. No geometry of 5 levels
 * passes the 55-bit rule on either host (test-unit-geometry proves it).
 */
#include <errno.h>

#include "harness.h"
#include "tce/table_int.h"
#include "tt_table.h"

struct geometry {
	uint64_t bus;
	uint64_t window;
	uint32_t shift;
	uint32_t levels;
	uint32_t host_shift; /* 0: the default, 64 KiB */
};

static const struct geometry geometries[] = {
	{ 0, 1ULL << 28, 12, 1, 0 },
	{ 0, 1ULL << 32, 12, 2, 0 },
	{ 1ULL << 59, 1ULL << 31, 12, 3, 0 },
	{ 1ULL << 59, 1ULL << 36, 16, 2, 0 },
	{ 1ULL << 59, 1ULL << 44, 34, 1, 0 },
	{ 1ULL << 40, 1ULL << 30, 21, 2, 0 },
	{ 1ULL << 59, 1ULL << 32, 12, 4, 12 },  /* 4 levels of 512 entries */
	{ 1ULL << 40, 1ULL << 38, 18, 4, 12 },  /* 4 * 9 + 18 = 54 bits */
	{ 0, 1ULL << 30, 12, 3, 12 },
	{ 1ULL << 59, 1ULL << 31, 16, 2, 12 },
};

struct run {
	struct tce_table *t;
	struct ref_table r;
	struct tce_table_config cfg;
	uint64_t seed;
};

/* An index: mostly near a few hot spots, sometimes anywhere, sometimes outside. */
static uint64_t pick_idx(struct run *x)
{
	uint64_t le = x->cfg.level_entries, n = x->cfg.entries, k = tt_below(&x->seed, 100);

	if (k < 4)
		return tt_rand(&x->seed);
	if (k < 8)
		return x->cfg.first_idx + n + tt_below(&x->seed, 4);
	if (k < 10)
		return x->cfg.first_idx - 1 - tt_below(&x->seed, 4);
	if (k < 30)
		return x->cfg.first_idx + tt_below(&x->seed, n);
	/* hot spots around leaf boundaries */
	k = tt_below(&x->seed, 8) * (n / 8) + (le < n ? le * tt_below(&x->seed, 3) : 0);
	k = (k + n - 4 + tt_below(&x->seed, 8)) % n;
	return x->cfg.first_idx + k;
}

static uint64_t pick_npages(struct run *x)
{
	uint64_t k = tt_below(&x->seed, 100);

	if (k < 2)
		return 0;
	if (k < 4)
		return tt_rand(&x->seed);
	if (k < 80)
		return 1 + tt_below(&x->seed, 16);
	return 1 + tt_below(&x->seed, 3 * x->cfg.level_entries);
}

static uint64_t pick_real(struct run *x)
{
	uint64_t page = 1ULL << x->cfg.page_shift, r = tt_rand(&x->seed);

	if (tt_below(&x->seed, 50) == 0)
		return r; /* usually misaligned */
	return tt_below(&x->seed, 20) == 0 ? ~0ULL - page + 1 : (r >> 20) << x->cfg.page_shift;
}

static enum tce_dir pick_dir(struct run *x)
{
	return (enum tce_dir)(tt_below(&x->seed, 40) == 0 ? 4 + tt_below(&x->seed, 3)
							   : tt_below(&x->seed, 4));
}

/* Compare [idx, idx + n) clipped to the window, at most 64 entries from each end. */
static void compare_range(struct run *x, uint64_t idx, uint64_t n)
{
	uint64_t lo = x->cfg.first_idx, hi = lo + x->cfg.entries, i, a, b, end;

	if (idx < lo || idx >= hi)
		return;
	end = n > hi - idx ? hi : idx + n;
	for (i = idx; i < end && !tt_failed(); i++) {
		if (i - idx == 64 && end - i > 64)
			i = end - 64;
		ref_get(&x->r, i, &a);
		CHECK_RC(tce_table_get(x->t, i, &b), 0);
		if (a != b)
			tt_fail(__FILE__, __LINE__, "entry 0x%" PRIx64 ": model 0x%" PRIx64
				" table 0x%" PRIx64, i, a, b);
	}
}

static void step_xchg(struct run *x, uint64_t idx)
{
	uint64_t ra = pick_real(x), rb = ra;
	enum tce_dir da = pick_dir(x), db = da;

	CHECK_RC(tce_table_xchg(x->t, idx, &ra, &da), ref_xchg(&x->r, idx, &rb, &db));
	CHECK_EQ(ra, rb);
	CHECK_EQ(da, db);
}

static void step_translate(struct run *x, uint64_t idx)
{
	uint64_t off = tt_below(&x->seed, 1ULL << x->cfg.page_shift), bus = (idx << x->cfg.page_shift) + off;
	enum tce_dir acc = (enum tce_dir)tt_below(&x->seed, 4);
	uint64_t tce = 0, real = 0, want_real = 0;
	int want;

	if ((idx << x->cfg.page_shift) >> x->cfg.page_shift != idx)
		return;
	want = ref_get(&x->r, idx, &tce);
	if (!want && acc == TCE_DIR_NONE)
		want = -EINVAL;
	else if (!want && !tce)
		want = -ENOENT;
	else if (!want && (tce & tce_dir_to_perm(acc)) != tce_dir_to_perm(acc))
		want = -EACCES;
	want_real = (tce >> x->cfg.page_shift << x->cfg.page_shift) + off;
	CHECK_RC(tce_table_translate(x->t, bus, acc, &real), want);
	if (!want)
		CHECK_EQ(real, want_real);
}

static void step_next(struct run *x, uint64_t idx)
{
	uint64_t ia = idx, ib = idx, va = 0, vb = 0;

	CHECK_RC(tce_table_next(x->t, &ia, &va), ref_next(&x->r, &ib, &vb));
	CHECK_EQ(ia, ib);
	CHECK_EQ(va, vb);
}

static void step(struct run *x)
{
	uint64_t idx = pick_idx(x), n, real;
	enum tce_dir dir;
	unsigned op = (unsigned)tt_below(&x->seed, 100);

	if (op < 35) {
		n = pick_npages(x), real = pick_real(x), dir = pick_dir(x);
		CHECK_RC(tce_table_set(x->t, idx, n, real, dir), ref_set(&x->r, idx, n, real, dir));
		compare_range(x, idx, n);
	} else if (op < 50) {
		n = pick_npages(x);
		CHECK_RC(tce_table_clear(x->t, idx, n), ref_clear(&x->r, idx, n));
		compare_range(x, idx, n);
	} else if (op < 75) {
		step_xchg(x, idx);
	} else if (op < 99) {
		step_translate(x, idx);
	} else if (tt_below(&x->seed, 20) == 0) {
		step_next(x, idx);
	}
}

/* Walk both with next() and compare the populated sets exactly. */
static void full_compare(struct run *x)
{
	uint64_t i = x->cfg.first_idx, v, n = 0, want;
	struct tce_table_stats st;

	for (; !tce_table_next(x->t, &i, &v) && !tt_failed(); i++, n++) {
		ref_get(&x->r, i, &want);
		if (v != want)
			tt_fail(__FILE__, __LINE__, "entry 0x%" PRIx64 " differs", i);
	}
	CHECK_EQ(n, ref_populated(&x->r));
	tce_table_stats(x->t, &st);
	CHECK_EQ(st.populated, n);
	CHECK_RC(tce__table_check(x->t), 0); /* every leaf's summary agrees with its entries */
}

static void run_geometry(const struct geometry *g, uint64_t ops, uint64_t seed)
{
	struct tce_ctx *ctx;
	struct run x = { .seed = seed };
	struct tce_mem_stats ms;
	uint64_t i;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	x.cfg = (struct tce_table_config){ .bus_offset = g->bus, .window_size = g->window,
					   .page_shift = g->shift, .levels = g->levels,
					   .host_page_shift = g->host_shift };
	REQUIRE(tce_table_create(ctx, &x.cfg, &x.t) == 0);
	REQUIRE(ref_init(&x.r, &x.cfg) == 0);
	for (i = 0; i < ops && !tt_failed(); i++) {
		step(&x);
		if (i % 100000 == 99999)
			full_compare(&x);
	}
	full_compare(&x);
	tce_table_put(x.t);
	ref_fini(&x.r);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	tce_ctx_destroy(ctx);
}

static void differential(void)
{
	uint64_t ops = (uint64_t)(600000 * tt_scale()), seed = tt_seed();
	size_t i;

	for (i = 0; i < sizeof(geometries) / sizeof(geometries[0]) && !tt_failed(); i++)
		run_geometry(&geometries[i], ops, seed + i);
}

static const struct tt_case cases[] = {
	TT_CASE(differential),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
