/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the context's level cache through <tce.h>: a table's
 * teardown leaves its level blocks there (counted as cached, not live), the
 * next table reuses them and reads all zeros however full they were, the
 * bound holds and lowering it frees, and a fail-Nth sweep over a warm cache
 * leaks nothing and never hands out a dirty block.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"

#define GiB (1ULL << 30)

/* 1 GiB of 4 KiB pages in 2 levels, with a mirror: 32 leaves of 8192 entries. */
static int make(struct tce_ctx *ctx, struct tce_table_config *cfg, struct tce_table **t)
{
	*cfg = (struct tce_table_config){ .bus_offset = GiB, .window_size = GiB,
					  .page_shift = 12, .levels = 2, .mirror = true };
	return tce_table_create(ctx, cfg, t);
}

/* Entries written in leaf @leaf: how full each of the first four leaves gets. */
static uint64_t fill_of(const struct tce_table_config *cfg, unsigned int leaf)
{
	static const uint64_t pct[] = { 0, 100, 51, 2 }; /* leaf 0: three entries */

	return leaf ? cfg->level_entries * pct[leaf] / 100 : 3;
}

/*
 * Leaves 0-3 populated sparse (first, middle and last entry), full, just
 * over half and 2 %, with mirror slots in leaves 0 and 1: both ways a leaf
 * is cleaned on reuse (its live entries, or whole), and the mirror's memset.
 */
static void dirty_leaves(struct tce_table *t, const struct tce_table_config *cfg)
{
	uint64_t le = cfg->level_entries, base = cfg->first_idx, *slot;
	unsigned int l;

	CHECK_RC(tce_table_set(t, base, 1, 0x1000, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_table_set(t, base + le / 2, 1, 0x2000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_set(t, base + le - 1, 1, 0x3000, TCE_DIR_FROM_DEVICE), 0);
	for (l = 1; l < 4; l++)
		CHECK_RC(tce_table_set(t, base + l * le, fill_of(cfg, l), 0x100000,
				       TCE_DIR_BIDIRECTIONAL), 0);
	for (l = 0; l < 2; l++) {
		REQUIRE(tce_table_mirror_slot(t, base + l * le + 7, true, &slot) == 0);
		__atomic_store_n(slot, 0x7fff0000ULL, __ATOMIC_RELAXED);
	}
}

/*
 * Every entry of leaves 0-3 reads 0 except entry @off of the first @marked
 * leaves, every mirror slot there reads 0, and next() finds only the marks.
 */
static void leaves_hold_only(struct tce_table *t, const struct tce_table_config *cfg,
			     uint64_t off, uint64_t marked)
{
	uint64_t le = cfg->level_entries, i, v, wrong = 0, *slot, idx, n = 0;

	for (i = 0; i < 4 * le; i++) {
		CHECK_RC(tce_table_get(t, cfg->first_idx + i, &v), 0);
		wrong += (v != 0) != (i % le == off && i / le < marked);
		if (tce_table_mirror_slot(t, cfg->first_idx + i, false, &slot) == 0)
			wrong += __atomic_load_n(slot, __ATOMIC_RELAXED) != 0;
	}
	CHECK_EQ(wrong, 0);
	for (idx = cfg->first_idx; !tce_table_next(t, &idx, &v) && idx < cfg->first_idx + 4 * le;
	     idx++, n++)
		CHECK_EQ(idx, cfg->first_idx + n * le + off);
	CHECK_EQ(n, marked);
}

/*
 * Teardown keeps every block (live goes to 0, cached counts them), and a new
 * table of the same shape takes them back: its leaves read all zeros, and
 * one entry written in each is all that next() and stats find.
 */
static void reused_blocks_read_zero(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_table_stats st;
	struct tce_mem_stats ms, ms2;
	struct tce_table *t;
	uint64_t blocks, le;
	unsigned int l;

	REQUIRE(make(ctx, &cfg, &t) == 0);
	le = cfg.level_entries;
	dirty_leaves(t, &cfg);
	tce_table_stats(t, &st);
	blocks = st.levels_allocated + st.mirror_levels_allocated;
	CHECK_EQ(blocks, 1 + 4 + 1 + 2);
	tce_table_put(t);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK_EQ(ms.live_bytes, 0);
	CHECK_EQ(ms.cached_blocks, blocks);
	CHECK(ms.cached_bytes >= blocks * (le * 8));

	/* The new table's tops and each leaf it needs come from the cache. */
	REQUIRE(make(ctx, &cfg, &t) == 0);
	for (l = 0; l < 4; l++)
		CHECK_RC(tce_table_set(t, cfg.first_idx + l * le + 5, 1, 0x5000,
				       TCE_DIR_TO_DEVICE), 0);
	tce_ctx_mem_stats(ctx, &ms2);
	CHECK_EQ(ms2.cached_blocks, blocks - 2 - 4);
	leaves_hold_only(t, &cfg, 5, 4);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 4);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/* The first reads of a table made of reused blocks, before anything is written. */
static void reused_blocks_read_zero_before_writes(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_table *t;
	uint64_t *slot, i, le;

	REQUIRE(make(ctx, &cfg, &t) == 0);
	dirty_leaves(t, &cfg);
	tce_table_put(t);
	REQUIRE(make(ctx, &cfg, &t) == 0);
	le = cfg.level_entries;
	/* Allocate the mirror leaves and TCE leaves again, without storing a TCE. */
	for (i = 0; i < 4; i++) {
		REQUIRE(tce_table_mirror_slot(t, cfg.first_idx + i * le, true, &slot) == 0);
		CHECK_RC(tce_table_set(t, cfg.first_idx + i * le, 1, 0, TCE_DIR_NONE), 0);
	}
	leaves_hold_only(t, &cfg, 0, 0);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/*
 * The bound: the default, what teardown keeps under a lower one, a bound of
 * exactly what is held keeps it all, lowering frees, 0 empties.
 */
static void bound_holds(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_mem_stats ms;
	struct tce_table *t;
	uint64_t bound = 200 * 1024, kept;

	CHECK_EQ(tce_ctx_set_level_cache(ctx, bound), TCE_LEVEL_CACHE_DEFAULT_BYTES);
	REQUIRE(make(ctx, &cfg, &t) == 0);
	dirty_leaves(t, &cfg); /* 8 blocks of 64 KiB or more */
	tce_table_put(t);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK(ms.cached_bytes <= bound);
	CHECK(ms.cached_blocks >= 2 && ms.cached_blocks <= 3);
	kept = ms.cached_bytes;
	CHECK_EQ(tce_ctx_set_level_cache(ctx, kept), bound); /* exactly what it holds: all stay */
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.cached_bytes, kept);
	CHECK_EQ(tce_ctx_set_level_cache(ctx, 70 * 1024), kept);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK(ms.cached_bytes <= 70 * 1024);
	CHECK_EQ(ms.cached_blocks, 1);
	CHECK_EQ(tce_ctx_set_level_cache(ctx, 0), 70 * 1024);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.cached_blocks, 0);
	CHECK_EQ(ms.cached_bytes, 0);
	/* Off: a teardown keeps nothing. */
	REQUIRE(make(ctx, &cfg, &t) == 0);
	dirty_leaves(t, &cfg);
	tce_table_put(t);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.cached_blocks, 0);
	CHECK_EQ(ms.live_allocs, 0);
	tt_ctx_done(ctx);
}

/*
 * A context destroyed with blocks in its cache frees them (the ASan build's
 * leak check sees it), and another context never takes them.
 */
static void caches_are_per_context(void)
{
	struct tce_ctx *a = tt_ctx(), *b = tt_ctx();
	struct tce_table_config cfg;
	struct tce_mem_stats ms;
	struct tce_table *t;

	REQUIRE(make(a, &cfg, &t) == 0);
	dirty_leaves(t, &cfg);
	tce_table_put(t);
	REQUIRE(make(b, &cfg, &t) == 0);
	dirty_leaves(t, &cfg);
	tce_ctx_mem_stats(b, &ms);
	CHECK_EQ(ms.cached_blocks, 0);
	tce_ctx_mem_stats(a, &ms);
	CHECK_EQ(ms.cached_blocks, 8);
	tce_table_put(t);
	tt_ctx_done(a);
	tt_ctx_done(b);
}

/*
 * Every allocation stays a fault point with a warm cache: creating a table
 * and writing six leaves (four of them cached, two fresh) fails at each
 * point with -ENOMEM, leaks nothing and leaves no block dirty; the blocks
 * a failed call took go back to the cache.
 */
static void fail_nth_over_a_warm_cache(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_mem_stats ms;
	struct tce_table *t = NULL;
	uint64_t n, l, fired = 0;
	bool armed = false, made;
	int rc;

	for (n = 1; n < 64 && !armed; n++) {
		REQUIRE(make(ctx, &cfg, &t) == 0);
		dirty_leaves(t, &cfg);
		tce_table_put(t);
		tce_ctx_set_fail_nth(ctx, n);
		rc = make(ctx, &cfg, &t);
		made = rc == 0;
		for (l = 0; !rc && l < 6; l++)
			rc = tce_table_set(t, cfg.first_idx + l * cfg.level_entries + 1, 1, 0x1000,
					   TCE_DIR_TO_DEVICE);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK_RC(rc, armed ? 0 : -ENOMEM);
		fired += !armed;
		if (made) {
			/* The leaves written before the failure, and nothing else. */
			leaves_hold_only(t, &cfg, 1, l > 4 ? 4 : (rc ? l - 1 : l));
			tce_table_put(t);
		}
		tce_ctx_mem_stats(ctx, &ms);
		CHECK_EQ(ms.live_allocs, 0);
		CHECK_EQ(ms.live_bytes, 0);
	}
	CHECK(armed);
	/* The table, its two tops and six leaves: a cached block is a fault point too. */
	CHECK_EQ(fired, 9);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(reused_blocks_read_zero),
	TT_CASE(reused_blocks_read_zero_before_writes),
	TT_CASE(bound_holds),
	TT_CASE(caches_are_per_context),
	TT_CASE(fail_nth_over_a_warm_cache),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
