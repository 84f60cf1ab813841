/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the TCE table layer through <tce.h>: every geometry rule and
 * its error, the size formula's worked examples, accounting, the entry
 * format with 64-bit masks, on-demand levels, exchange, mirror, iteration,
 * reference counting and out-of-window refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"

#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static void dir_perm_mapping(void)
{
	CHECK_EQ(tce_dir_to_perm(TCE_DIR_BIDIRECTIONAL), TCE_PCI_READ | TCE_PCI_WRITE);
	CHECK_EQ(tce_dir_to_perm(TCE_DIR_TO_DEVICE), TCE_PCI_READ);
	CHECK_EQ(tce_dir_to_perm(TCE_DIR_FROM_DEVICE), TCE_PCI_WRITE);
	CHECK_EQ(tce_dir_to_perm(TCE_DIR_NONE), 0);
	CHECK_EQ(tce_dir_to_perm((enum tce_dir)7), 0);
	CHECK_EQ(tce_perm_to_dir(0x1000 | 3), TCE_DIR_BIDIRECTIONAL);
	CHECK_EQ(tce_perm_to_dir(0x1000 | 1), TCE_DIR_TO_DEVICE);
	CHECK_EQ(tce_perm_to_dir(0x1000 | 2), TCE_DIR_FROM_DEVICE);
	CHECK_EQ(tce_perm_to_dir(0x1000), TCE_DIR_NONE);
	CHECK_EQ(TCE_PCI_READ, 1);
	CHECK_EQ(TCE_PCI_WRITE, 2);
}

static void error_names(void)
{
	CHECK(!strcmp(tce_err_name(-EINVAL), "EINVAL"));
	CHECK(!strcmp(tce_err_name(-ENOMEM), "ENOMEM"));
	CHECK(!strcmp(tce_err_name(-EOPNOTSUPP), "EOPNOTSUPP"));
	CHECK(!strcmp(tce_err_name(12345), "UNKNOWN"));
	CHECK(!strcmp(tce_strerror(-EINVAL), "invalid argument"));
	CHECK(!strcmp(tce_strerror(-99999), "unknown error"));
}

/*
 * The geometry rule written independently: expected result of create, and
 * in *block_shift the log2 bytes of a level block.
 */
static int expect_create(uint32_t ps, uint32_t window_shift, uint32_t levels,
			 uint32_t *block_shift)
{
	uint32_t es, per, ls;

	if (ps < 12 || ps > 34 || levels < 1 || levels > 5 || window_shift < ps)
		return -EINVAL;
	es = window_shift - ps;
	per = (es + levels - 1) / levels;
	ls = per + 3 > 16 ? per + 3 : 16;
	*block_shift = ls;
	return (uint64_t)(ls - 3) * levels + ps >= 55 ? -EINVAL : 0;
}

/*
 * Every page shift 12..34 with every level count over many window sizes.
 * Legal flat tables whose single block exceeds 1 GiB of address space are
 * left to edge_of_55_bits: sanitizer runtimes cannot reserve terabytes.
 */
static void every_shift_and_level(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint32_t ps, ws, lv, block_shift = 0;
	struct tce_table *t;
	int rc, want;

	for (ps = 11; ps <= 35; ps++) {
		for (lv = 0; lv <= 6; lv++) {
			for (ws = ps; ws <= 56 && ws < 64; ws += 3) {
				want = expect_create(ps, ws, lv, &block_shift);
				if (!want && block_shift > 30)
					continue;
				rc = tt_table(ctx, 0, 1ULL << ws, ps, lv, false, &t);
				CHECK_RC(rc, want);
				if (!rc)
					tce_table_put(t);
			}
		}
	}
	tt_ctx_done(ctx);
}

/* With 64 KiB host pages, 4 and 5 levels never pass the 55-bit rule. */
static void four_and_five_levels_refused(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint32_t ps, ws, lv;
	struct tce_table *t;

	for (lv = 4; lv <= 5; lv++)
		for (ps = 12; ps <= 34; ps++)
			for (ws = ps; ws < 64; ws++)
				CHECK_RC(tt_table(ctx, 0, 1ULL << ws, ps, lv, false, &t), -EINVAL);
	tt_ctx_done(ctx);
}

static void edge_of_55_bits(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;

	/* 2 levels, 4 KiB pages: 2^54 covers 2 * 21 + 12 = 54 bits, 2^55 needs 56. */
	CHECK_RC(tt_table(ctx, 0, 1ULL << 54, 12, 2, false, &t), 0);
	tce_table_put(t);
	CHECK_RC(tt_table(ctx, 0, 1ULL << 55, 12, 2, false, &t), -EINVAL);
	CHECK_RC(tt_table(ctx, 0, 1ULL << 55, 12, 1, false, &t), -EINVAL);
	/* 3 levels of 64 KiB blocks cover 39 bits: 15-bit pages fit, 16 do not. */
	CHECK_RC(tt_table(ctx, 0, 1ULL << 40, 15, 3, false, &t), 0);
	tce_table_put(t);
	CHECK_RC(tt_table(ctx, 0, 1ULL << 40, 16, 3, false, &t), -EINVAL);
	/* 16 GiB pages, flat: 20 entry bits + 34 = 54. */
	CHECK_RC(tt_table(ctx, 0, 1ULL << 54, 34, 1, false, &t), 0);
	tce_table_put(t);
	CHECK_RC(tt_table(ctx, 0, 1ULL << 55, 34, 1, false, &t), -EINVAL);
	tt_ctx_done(ctx);
}

static void bad_windows(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;

	CHECK_RC(tt_table(ctx, 0, 3 * GiB, 12, 1, false, &t), -EINVAL);
	CHECK_RC(tt_table(ctx, 0, GiB + 4096, 12, 1, false, &t), -EINVAL);
	CHECK_RC(tt_table(ctx, 0, 0, 12, 1, false, &t), -EINVAL);
	CHECK_RC(tt_table(ctx, 0, 2048, 12, 1, false, &t), -EINVAL);   /* below one page */
	CHECK_RC(tt_table(ctx, 0, 1ULL << 20, 21, 1, false, &t), -EINVAL);
	CHECK_RC(tt_table(ctx, 0x800, GiB, 12, 1, false, &t), -EINVAL); /* misaligned bus */
	CHECK_RC(tt_table(ctx, ~0ULL << 12, GiB, 12, 1, false, &t), -EINVAL); /* wraps */
	CHECK_RC(tt_table(ctx, (1ULL << 63) + (1ULL << 62), 1ULL << 62, 34, 2, false, &t), -EINVAL);
	/* The last window of the 64-bit bus is fine. */
	CHECK_RC(tt_table(ctx, ~0ULL - GiB + 1, GiB, 12, 1, false, &t), 0);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void size_formula(void)
{
	/* spec kernel.md §3.4 worked examples (64 KiB host pages). */
	CHECK_EQ(tce_table_size_bytes(12, 2 * GiB, 1), 8ULL << 20);
	CHECK_EQ(tce_table_size_bytes(12, 2 * GiB, 2), 2 * ((4ULL << 20) + (64 << 10)));
	/* A tiny window still costs one 4 KiB flat table per level, rounded to a block. */
	CHECK_EQ(tce_table_size_bytes(12, 1ULL << 16, 1), 2 * (64 << 10));
	/* 1 TiB, 4 KiB pages, 3 levels: 2 GiB leaves + 256 KiB + one 64 KiB block. */
	CHECK_EQ(tce_table_size_bytes(12, TiB, 3),
		 2 * ((2ULL << 30) + (256ULL << 10) + (64 << 10)));
	CHECK_EQ(tce_table_size_bytes(12, 2 * GiB, 0), 0);
	CHECK_EQ(tce_table_size_bytes(12, 2 * GiB, 6), 0);
	CHECK_EQ(tce_table_size_bytes(12, 3 * GiB, 1), 0);
	CHECK_EQ(tce_table_size_bytes(11, 2 * GiB, 1), 0);
	CHECK_EQ(tce_table_size_bytes(35, 1ULL << 40, 1), 0);
	CHECK_EQ(tce_table_size_bytes(21, 1ULL << 20, 1), 0);
	/* Not subject to the 55-bit rule. */
	CHECK(tce_table_size_bytes(12, 1ULL << 55, 1) != 0);
	CHECK(tce_table_size_bytes(12, 1ULL << 40, 5) != 0);
}

static void accounting(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	struct tce_table_config cfg = {
		.window_size = 2 * GiB, .page_shift = 12, .levels = 2, .mirror = true,
		.account = tt_account_fn, .account_arg = &acct,
	};
	struct tce_mem_stats ms;
	struct tce_table *t;

	CHECK_RC(tce_table_create(ctx, &cfg, &t), 0);
	CHECK_EQ(cfg.charged_bytes, tce_table_size_bytes(12, 2 * GiB, 2));
	CHECK_EQ(acct.balance, (int64_t)cfg.charged_bytes);
	tce_table_put(t);
	CHECK_EQ(acct.balance, 0);
	CHECK_EQ(acct.refunds, 1);

	/* A refused charge allocates nothing and is reported as given. */
	acct.limit = (int64_t)cfg.charged_bytes - 1;
	cfg.charged_bytes = 0;
	CHECK_RC(tce_table_create(ctx, &cfg, &t), -ENOMEM);
	CHECK_EQ(acct.balance, 0);
	CHECK_EQ(cfg.charged_bytes, 0); /* out fields untouched on failure */
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);

	/* A geometry error happens before any charge. */
	acct.limit = 0;
	cfg.levels = 5;
	CHECK_RC(tce_table_create(ctx, &cfg, &t), -EINVAL);
	CHECK_EQ(acct.charges, 1);
	tt_ctx_done(ctx);
}

static void granted_config(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg = {
		.bus_offset = 1ULL << 59, .window_size = 64 * GiB, .page_shift = 16, .levels = 2,
	}, back;
	struct tce_table *t;

	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	CHECK_EQ(cfg.first_idx, (1ULL << 59) >> 16);
	CHECK_EQ(cfg.entries, 1ULL << 20);
	CHECK_EQ(cfg.level_shift, 16);
	CHECK_EQ(cfg.level_entries, 8192);
	tce_table_get_config(t, &back);
	CHECK(!memcmp(&cfg, &back, sizeof(cfg)));
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void out_of_window(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint64_t first = (1ULL << 59) >> 12, n = 1ULL << 18, v = 0x5a5a, *slot;
	struct tce_table_stats st;
	enum tce_dir d = TCE_DIR_BIDIRECTIONAL;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 1ULL << 59, GiB, 12, 2, true, &t) == 0);
	CHECK_RC(tce_table_set(t, first, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_get(t, first - 1, &v), -EINVAL);
	CHECK_RC(tce_table_get(t, first + n, &v), -EINVAL);
	CHECK_EQ(v, 0x5a5a);
	CHECK_RC(tce_table_get(t, 0, &v), -EINVAL);
	CHECK_RC(tce_table_set(t, first + n - 1, 2, 0x2000, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_table_set(t, first - 1, 2, 0x2000, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_table_set(t, first, 0, 0x2000, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_table_set(t, first + 5, ~0ULL, 0x2000, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_table_set(t, ~0ULL, 1, 0x2000, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_table_clear(t, first + n - 1, 2), -EINVAL);
	CHECK_RC(tce_table_clear(t, first, 0), -EINVAL);
	CHECK_RC(tce_table_clear(t, first, ~0ULL), -EINVAL);
	CHECK_RC(tce_table_xchg(t, first + n, &v, &d), -EINVAL);
	CHECK_RC(tce_table_translate(t, (first + n) << 12, TCE_DIR_TO_DEVICE, &v), -EINVAL);
	CHECK_RC(tce_table_translate(t, 0, TCE_DIR_TO_DEVICE, &v), -EINVAL);
	CHECK_RC(tce_table_mirror_slot(t, first + n, true, &slot), -EINVAL);
	v = first + n;
	CHECK_RC(tce_table_next(t, &v, &v), -EINVAL);
	/* Nothing changed: one entry, one leaf. */
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 1);
	CHECK_EQ(st.levels_allocated, 2);
	CHECK_EQ(st.mirror_levels_allocated, 1);
	CHECK_RC(tce_table_get(t, first, &v), 0);
	CHECK_EQ(v, 0x1000 | TCE_PCI_READ);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void set_rejects_bad_input(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_stats st;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 0, GiB, 16, 2, false, &t) == 0);
	CHECK_RC(tce_table_set(t, 1, 1, 0x1000, TCE_DIR_TO_DEVICE), -EINVAL); /* misaligned */
	CHECK_RC(tce_table_set(t, 1, 1, 0x10000, (enum tce_dir)4), -EINVAL);
	CHECK_RC(tce_table_set(t, 1, 1, 0x10000, (enum tce_dir)-1), -EINVAL);
	CHECK_RC(tce_table_set(t, 1, 2, ~0ULL << 16, TCE_DIR_TO_DEVICE), -EINVAL); /* wraps */
	CHECK_RC(tce_table_set(t, 1, 1, ~0ULL << 16, TCE_DIR_TO_DEVICE), 0);        /* last page */
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 1);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/* 16 GiB pages: addresses above 32 bits and offsets inside the page. */
static void sixteen_gib_pages(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint64_t page = 1ULL << 34, real = 5 * page, v, out;
	enum tce_dir d = TCE_DIR_BIDIRECTIONAL;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 0, 1ULL << 44, 34, 1, false, &t) == 0);
	CHECK_RC(tce_table_set(t, 3, 2, real, TCE_DIR_FROM_DEVICE), 0);
	CHECK_RC(tce_table_get(t, 4, &v), 0);
	CHECK_EQ(v, (real + page) | TCE_PCI_WRITE);
	CHECK_RC(tce_table_translate(t, 4 * page + 0x3fffffff8ULL, TCE_DIR_FROM_DEVICE, &out), 0);
	CHECK_EQ(out, real + page + 0x3fffffff8ULL);
	CHECK_RC(tce_table_translate(t, 4 * page, TCE_DIR_TO_DEVICE, &out), -EACCES);
	CHECK_RC(tce_table_set(t, 0, 1, 1ULL << 33, TCE_DIR_TO_DEVICE), -EINVAL);
	out = 7 * page;
	CHECK_RC(tce_table_xchg(t, 3, &out, &d), 0);
	CHECK_EQ(out, real);
	CHECK_EQ(d, TCE_DIR_FROM_DEVICE);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void levels_on_demand(void)
{
	struct tce_ctx *ctx = tt_ctx();
	uint64_t le, v;
	struct tce_table_stats st;
	struct tce_table_config cfg = { .window_size = TiB, .page_shift = 12, .levels = 3 };
	struct tce_table *t;

	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	le = cfg.level_entries;
	tce_table_stats(t, &st);
	CHECK_EQ(st.levels_allocated, 1);
	CHECK_EQ(st.mirror_levels_allocated, 0);
	/* Clearing and reading never allocate. */
	CHECK_RC(tce_table_clear(t, 0, cfg.entries), 0);
	CHECK_RC(tce_table_set(t, 12345, 99, 0, TCE_DIR_NONE), 0);
	CHECK_RC(tce_table_get(t, cfg.entries - 1, &v), 0);
	CHECK_EQ(v, 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.levels_allocated, 1);
	/* One write: one block per level below the top. */
	CHECK_RC(tce_table_set(t, 5, 1, 0x7000, TCE_DIR_BIDIRECTIONAL), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.levels_allocated, 3);
	CHECK_EQ(st.bytes_allocated, 3 * (1ULL << cfg.level_shift));
	/* A range across a leaf boundary adds exactly one leaf. */
	CHECK_RC(tce_table_set(t, le - 2, 4, 0x10000, TCE_DIR_TO_DEVICE), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.levels_allocated, 4);
	CHECK_EQ(st.populated, 5);
	CHECK_RC(tce_table_get(t, le + 1, &v), 0);
	CHECK_EQ(v, 0x13000 | TCE_PCI_READ);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void clear_skips_and_is_exact(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg = { .window_size = TiB, .page_shift = 12, .levels = 3 };
	struct tce_table_stats st;
	struct tce_table *t;
	uint64_t le, v;

	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	le = cfg.level_entries;
	CHECK_RC(tce_table_set(t, 3 * le - 1, 3, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_set(t, 1000 * le + 7, 1, 0x9000, TCE_DIR_TO_DEVICE), 0);
	/* An unaligned clear starting in an absent leaf must not skip past 3*le - 1. */
	CHECK_RC(tce_table_clear(t, le + 17, 2 * le - 18), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 4);
	CHECK_RC(tce_table_get(t, 3 * le - 1, &v), 0);
	CHECK_EQ(v, 0x1000 | 1);
	CHECK_RC(tce_table_clear(t, le + 17, 2 * le - 17), 0);
	CHECK_RC(tce_table_get(t, 3 * le - 1, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_RC(tce_table_get(t, 3 * le, &v), 0);
	CHECK_EQ(v, 0x2000 | 1);
	/* Skipping the absent leaf at le + 17 must stop at 2 * le, not 2 * le + 17. */
	CHECK_RC(tce_table_set(t, 2 * le + 5, 1, 0x5000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_clear(t, le + 17, le), 0);
	CHECK_RC(tce_table_get(t, 2 * le + 5, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_RC(tce_table_clear(t, 0, cfg.entries), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 0);
	/* A set with TCE_DIR_NONE clears its range (tce.h), and only it; real_addr is ignored. */
	CHECK_RC(tce_table_set(t, le - 2, 6, 0x10000, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_table_set(t, le - 1, 4, 0x123, TCE_DIR_NONE), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 2);
	CHECK_RC(tce_table_get(t, le - 2, &v), 0);
	CHECK_EQ(v, 0x10000 | 3);
	CHECK_RC(tce_table_get(t, le, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_RC(tce_table_get(t, le + 3, &v), 0);
	CHECK_EQ(v, 0x15000 | 3);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void exchange(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_stats st;
	struct tce_table *t;
	enum tce_dir d;
	uint64_t a, v;

	REQUIRE(tt_table(ctx, 0, TiB, 12, 3, false, &t) == 0);
	/* NONE on an absent level: old is 0/NONE and nothing is allocated. */
	a = 0xdead000;
	d = TCE_DIR_NONE;
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), 0);
	CHECK_EQ(a, 0);
	CHECK_EQ(d, TCE_DIR_NONE);
	tce_table_stats(t, &st);
	CHECK_EQ(st.levels_allocated, 1);
	/* Map, replace, clear. */
	a = 0x5000, d = TCE_DIR_FROM_DEVICE;
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), 0);
	CHECK_EQ(a, 0);
	CHECK_EQ(d, TCE_DIR_NONE);
	a = 0x6000, d = TCE_DIR_BIDIRECTIONAL;
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), 0);
	CHECK_EQ(a, 0x5000);
	CHECK_EQ(d, TCE_DIR_FROM_DEVICE);
	a = 0x1234, d = TCE_DIR_NONE; /* the address of a clear is ignored */
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), 0);
	CHECK_EQ(a, 0x6000);
	CHECK_EQ(d, TCE_DIR_BIDIRECTIONAL);
	CHECK_RC(tce_table_get(t, 77, &v), 0);
	CHECK_EQ(v, 0);
	/* Errors leave the outputs untouched. */
	a = 0x6001, d = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), -EINVAL);
	CHECK_EQ(a, 0x6001);
	CHECK_EQ(d, TCE_DIR_TO_DEVICE);
	d = (enum tce_dir)9;
	CHECK_RC(tce_table_xchg(t, 77, &a, &d), -EINVAL);
	CHECK_EQ(d, 9);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void mirror_slots(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_stats st;
	uint64_t *slot, *again;
	struct tce_table *t;

	REQUIRE(tt_table(ctx, 0, TiB, 12, 3, false, &t) == 0);
	CHECK_RC(tce_table_mirror_slot(t, 1, true, &slot), -EOPNOTSUPP);
	tce_table_put(t);
	REQUIRE(tt_table(ctx, 0, TiB, 12, 3, true, &t) == 0);
	CHECK_RC(tce_table_mirror_slot(t, 1ULL << 27, false, &slot), -ENOENT);
	CHECK_RC(tce_table_mirror_slot(t, 1ULL << 27, true, &slot), 0);
	CHECK_EQ(*slot, 0);
	__atomic_store_n(slot, __builtin_bswap64(0x7fff12340000ULL), __ATOMIC_RELAXED);
	CHECK_RC(tce_table_mirror_slot(t, 1ULL << 27, false, &again), 0);
	CHECK(again == slot);
	CHECK_EQ(__builtin_bswap64(*again), 0x7fff12340000ULL);
	tce_table_stats(t, &st);
	CHECK_EQ(st.mirror_levels_allocated, 3);
	CHECK_EQ(st.levels_allocated, 1); /* the TCE tree is independent */
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void iteration(void)
{
	struct tce_ctx *ctx = tt_ctx();
	static const uint64_t at[] = { 0, 1, 8191, 8192, 9000, 1ULL << 26, (1ULL << 28) - 1 };
	struct tce_table *t;
	uint64_t i, v, k = 0;

	REQUIRE(tt_table(ctx, 1ULL << 40, TiB, 12, 3, false, &t) == 0);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		CHECK_RC(tce_table_set(t, (1ULL << 28) + at[i], 1, at[i] << 12, TCE_DIR_TO_DEVICE), 0);
	for (i = 1ULL << 28; !tce_table_next(t, &i, &v); i++, k++) {
		REQUIRE(k < sizeof(at) / sizeof(at[0]));
		CHECK_EQ(i, (1ULL << 28) + at[k]);
		CHECK_EQ(v, (at[k] << 12) | 1);
	}
	CHECK_EQ(k, sizeof(at) / sizeof(at[0]));
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void translate(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;
	uint64_t r;

	REQUIRE(tt_table(ctx, 1ULL << 59, GiB, 16, 2, false, &t) == 0);
	CHECK_RC(tce_table_set(t, ((1ULL << 59) >> 16) + 2, 1, 0xabc0000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x2fffe, TCE_DIR_TO_DEVICE, &r), 0);
	CHECK_EQ(r, 0xabcfffe);
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x20000, TCE_DIR_FROM_DEVICE, &r), -EACCES);
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x20000, TCE_DIR_BIDIRECTIONAL, &r), -EACCES);
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x30000, TCE_DIR_TO_DEVICE, &r), -ENOENT);
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x20000, TCE_DIR_NONE, &r), -EINVAL);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void references(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	struct tce_table_config cfg = { .window_size = GiB, .page_shift = 12, .levels = 2,
					.account = tt_account_fn, .account_arg = &acct };
	struct tce_table *t;
	uint64_t v;

	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	CHECK(tce_table_hold(t) == t);
	tce_table_put(t);
	CHECK_RC(tce_table_set(t, 1, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_get(t, 1, &v), 0);
	CHECK_EQ(acct.balance, (int64_t)cfg.charged_bytes);
	tce_table_put(t);
	CHECK_EQ(acct.balance, 0);
	tce_table_put(NULL);
	tt_ctx_done(ctx);
}

static void huge_sparse_windows_are_cheap(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_mem_stats ms;
	struct tce_table *t;

	/* The largest legal window: only the top levels exist after creation. */
	REQUIRE(tt_table(ctx, 1ULL << 59, 1ULL << 54, 24, 2, true, &t) == 0);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK(ms.live_bytes <= (1ULL << 20));
	CHECK_RC(tce_table_set(t, ((1ULL << 59) >> 24) + (1ULL << 29), 1, 1ULL << 24,
			       TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_clear(t, (1ULL << 59) >> 24, 1ULL << 30), 0);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void fail_nth_counts_points(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;

	tce_ctx_set_fail_nth(ctx, 2);
	CHECK(tce_ctx_fail_nth_armed(ctx));
	CHECK_RC(tt_table(ctx, 0, GiB, 12, 2, false, &t), -ENOMEM); /* struct ok, top fails */
	CHECK(!tce_ctx_fail_nth_armed(ctx));
	CHECK_RC(tt_table(ctx, 0, GiB, 12, 2, false, &t), 0);
	tce_table_put(t);
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK(!tce_ctx_fail_nth_armed(ctx));
	tt_ctx_done(ctx);
}

struct log_record {
	int calls;
	enum tce_log_level level;
	char msg[256];
};

static void record_log(void *arg, enum tce_log_level level, const char *msg)
{
	struct log_record *r = arg;

	r->calls++;
	r->level = level;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static void log_callback(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct log_record rec = { 0 };
	struct tce_table *t;

	/* Refused geometries are logged at debug level: silent at WARN. */
	tce_ctx_set_log(ctx, record_log, &rec, TCE_LOG_WARN);
	CHECK_RC(tt_table(ctx, 0, 3 * GiB, 12, 1, false, &t), -EINVAL);
	CHECK_EQ(rec.calls, 0);
	tce_ctx_set_log(ctx, record_log, &rec, TCE_LOG_DEBUG);
	CHECK_RC(tt_table(ctx, 0, 3 * GiB, 12, 1, false, &t), -EINVAL);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(rec.level, TCE_LOG_DEBUG);
	CHECK(strstr(rec.msg, "window 0xc0000000") != NULL);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(dir_perm_mapping),
	TT_CASE(error_names),
	TT_CASE(every_shift_and_level),
	TT_CASE(four_and_five_levels_refused),
	TT_CASE(edge_of_55_bits),
	TT_CASE(bad_windows),
	TT_CASE(size_formula),
	TT_CASE(accounting),
	TT_CASE(granted_config),
	TT_CASE(out_of_window),
	TT_CASE(set_rejects_bad_input),
	TT_CASE(sixteen_gib_pages),
	TT_CASE(levels_on_demand),
	TT_CASE(clear_skips_and_is_exact),
	TT_CASE(exchange),
	TT_CASE(mirror_slots),
	TT_CASE(iteration),
	TT_CASE(translate),
	TT_CASE(references),
	TT_CASE(huge_sparse_windows_are_cheap),
	TT_CASE(fail_nth_counts_points),
	TT_CASE(log_callback),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
