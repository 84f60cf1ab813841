/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INDIRECT list store (tce__table_store_list, table_raw.h) against a
 * reference written the obvious way: random lists and random check rules
 * (page sizes, fast ranges of any size, a slow callback) must store exactly
 * what the reference accepts, refuse at the reference's first invalid
 * value with the table unchanged, and keep every leaf summary exact. Also
 * a fail-Nth sweep of its level allocation. White-box: the table layer's
 * private headers.
 */
#include <endian.h>
#include <errno.h>

#include "harness.h"
#include "tce/table_int.h"
#include "tce/table_raw.h"
#include "tt_table.h"

#define SL_WINDOW (1ULL << 32)
#define SL_SHIFT 12

/* The slow callback's rule: pages inside [lo, hi) are accepted. */
struct slow_rule {
	uint64_t lo, hi, page_bytes, calls;
};

static bool slow_accept(void *arg, uint64_t addr)
{
	struct slow_rule *r = arg;

	r->calls++;
	return addr >= r->lo && addr < r->hi && r->hi - addr >= r->page_bytes;
}

/* The rule of struct tce__tce_check, from its definition, one value at a time. */
static bool ref_ok(const struct tce__tce_check *c, uint64_t v)
{
	uint64_t addr = v & ~(uint64_t)TCE_PERM_MASK;

	if (!(v & TCE_PERM_MASK))
		return true;
	if (addr & c->addr_mask)
		return false;
	if (c->fast_end >= c->page_bytes && addr <= c->fast_end - c->page_bytes)
		return true;
	return slow_accept(c->arg, addr);
}

/* A fast range end: none, tiny, a power of two, just off one, or anything. */
static uint64_t pick_fast_end(uint64_t *rng, uint64_t page)
{
	uint64_t p = 1ULL << (12 + tt_below(rng, 40));

	switch (tt_below(rng, 7)) {
	case 0:
		return 0;
	case 1:
		return page - 1;
	case 2:
		return p;
	case 3:
		return p + page;
	case 4:
		return p - 1;
	case 5:
		return ~0ULL;
	default:
		return tt_rand(rng) >> tt_below(rng, 40);
	}
}

/* An address near one of the rule's edges, or anywhere. */
static uint64_t pick_addr(uint64_t *rng, const struct tce__tce_check *c, const struct slow_rule *r)
{
	uint64_t fe = c->fast_end, pow2 = fe ? 1ULL << (63 - __builtin_clzll(fe)) : 0;
	uint64_t near[] = { fe, fe - c->page_bytes, pow2, pow2 - c->page_bytes, r->lo, r->hi,
			    r->hi - c->page_bytes, 0 };
	uint64_t a = near[tt_below(rng, 8)] + (tt_below(rng, 5) - 2) * c->page_bytes;

	if (tt_below(rng, 3) == 0)
		a = tt_rand(rng) >> tt_below(rng, 30);
	if (tt_below(rng, 8))
		a &= ~c->addr_mask; /* mostly aligned */
	return a & ~(uint64_t)TCE_PERM_MASK;
}

/* One list value: a clear, a poison value, or an address with permission bits. */
static uint64_t pick_value(uint64_t *rng, const struct tce__tce_check *c,
			   const struct slow_rule *r)
{
	switch (tt_below(rng, 10)) {
	case 0:
		return 0;
	case 1:
		return tt_rand(rng) & ~(uint64_t)TCE_PERM_MASK; /* poison */
	default:
		return pick_addr(rng, c, r) | (1 + tt_below(rng, 3));
	}
}

/* One random round: a list over [idx, idx + n), checked against the reference. */
static void one_round(struct tce_table *t, uint64_t *rng, uint64_t round)
{
	static uint64_t list[TCE__LIST_MAX], before[TCE__LIST_MAX];
	uint32_t shift = SL_SHIFT + (uint32_t)tt_below(rng, 23);
	struct slow_rule r = { .page_bytes = 1ULL << shift };
	struct tce__tce_check c = { .addr_mask = (1ULL << shift) - 1, .page_bytes = 1ULL << shift,
				    .slow = slow_accept, .arg = &r };
	uint64_t n = 1 + tt_below(rng, TCE__LIST_MAX), bad = ~0ULL, want_bad = n, i, v;
	/* Mostly across a leaf boundary (the store's two parts). */
	uint64_t idx = t->level_entries * (1 + tt_below(rng, 3)) - tt_below(rng, n + 1);
	int rc;

	c.fast_end = pick_fast_end(rng, c.page_bytes);
	r.lo = tt_rand(rng) >> tt_below(rng, 40);
	r.hi = r.lo + (tt_rand(rng) >> tt_below(rng, 64));
	if (r.hi < r.lo)
		r.hi = ~0ULL;
	for (i = 0; i < n; i++) {
		list[i] = htobe64(pick_value(rng, &c, &r));
		CHECK_RC(tce_table_get(t, idx + i, &before[i]), 0);
	}
	if (round % 4 == 0) /* a list of good values only */
		for (i = 0; i < n; i++)
			if (!ref_ok(&c, be64toh(list[i])))
				list[i] = htobe64(be64toh(list[i]) & ~(uint64_t)TCE_PERM_MASK);
	for (i = 0; i < n && want_bad == n; i++)
		if (!ref_ok(&c, be64toh(list[i])))
			want_bad = i;
	rc = tce__table_store_list(t, idx, n, list, &c, &bad);
	CHECK_RC(rc, want_bad < n ? -EINVAL : 0);
	if (want_bad < n)
		CHECK_EQ(bad, want_bad);
	for (i = 0; i < n && !tt_failed(); i++) {
		CHECK_RC(tce_table_get(t, idx + i, &v), 0);
		CHECK_EQ(v, want_bad < n ? before[i] : be64toh(list[i]));
	}
	CHECK_RC(tce__table_check(t), 0);
}

/* Random lists and rules: stored exactly when the reference accepts every value. */
static void matches_reference(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint64_t rng = tt_seed(), rounds = (uint64_t)(3000 * tt_scale()) + 20, k;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 0, SL_WINDOW, SL_SHIFT, 2, false, &t) == 0);
	for (k = 0; k < rounds && !tt_failed(); k++)
		one_round(t, &rng, k);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/*
 * A mapping value in the fast range's top page is accepted without the
 * slow callback, one past it is asked of the callback, and a misaligned
 * one is refused without it, on a fast range that is no power of two.
 */
static void fast_range_edges(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct slow_rule r = { .page_bytes = 4096 };
	struct tce__tce_check c = { .addr_mask = 4095, .page_bytes = 4096,
				    .fast_end = 3ULL << 30, .slow = slow_accept, .arg = &r };
	uint64_t list[2], bad = 7, v;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 0, SL_WINDOW, SL_SHIFT, 2, false, &t) == 0);
	list[0] = htobe64(((3ULL << 30) - 4096) | 3);
	list[1] = htobe64((2ULL << 30) | 1);
	CHECK_RC(tce__table_store_list(t, 10, 2, list, &c, &bad), 0);
	CHECK_EQ(r.calls, 0);
	CHECK_RC(tce_table_get(t, 10, &v), 0);
	CHECK_EQ(v, ((3ULL << 30) - 4096) | 3);
	list[1] = htobe64((3ULL << 30) | 2);
	CHECK_RC(tce__table_store_list(t, 10, 2, list, &c, &bad), -EINVAL);
	CHECK_EQ(bad, 1);
	CHECK_EQ(r.calls, 1);
	r.hi = 4ULL << 30;
	CHECK_RC(tce__table_store_list(t, 10, 2, list, &c, &bad), 0);
	CHECK_EQ(r.calls, 2);
	list[0] = htobe64(0x1800 | 3);
	CHECK_RC(tce__table_store_list(t, 10, 2, list, &c, &bad), -EINVAL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(r.calls, 2);
	CHECK_RC(tce_table_get(t, 11, &v), 0);
	CHECK_EQ(v, (3ULL << 30) | 2);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/* Every allocation of a list store over two absent leaves can fail: -ENOMEM, nothing stored. */
static void fail_nth_levels(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__tce_check c = { .addr_mask = 4095, .page_bytes = 4096, .fast_end = 1ULL << 32 };
	uint64_t list[TCE__LIST_MAX], bad, v, i, n, idx;
	struct tce_table *t;
	int rc;

	for (i = 0; i < TCE__LIST_MAX; i++)
		list[i] = htobe64((i << 12) | 3);
	for (n = 1; n < 16 && !tt_failed(); n++) {
		REQUIRE(tt_table(ctx, 0, SL_WINDOW, SL_SHIFT, 2, false, &t) == 0);
		idx = t->level_entries - 100;
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce__table_store_list(t, idx, TCE__LIST_MAX, list, &c, &bad);
		if (tce_ctx_fail_nth_armed(ctx)) {
			tce_ctx_set_fail_nth(ctx, 0);
			CHECK_RC(rc, 0);
			tce_table_put(t);
			break;
		}
		CHECK_RC(rc, -ENOMEM);
		for (i = 0; i < TCE__LIST_MAX; i++) {
			CHECK_RC(tce_table_get(t, idx + i, &v), 0);
			CHECK_EQ(v, 0);
		}
		CHECK_RC(tce__table_check(t), 0);
		tce_table_put(t);
	}
	CHECK(n > 1 && n < 16);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(matches_reference),
	TT_CASE(fast_range_edges),
	TT_CASE(fail_nth_levels),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
