/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the pooled allocator through <tce.h>: layout and defaults,
 * bus address 0, every entry usable, masks, boundaries, alignment, the
 * large pool, pass order and exhaustion, reservations, validated frees,
 * lazy flush and parked frees, and the cache layer's rounding, bound,
 * drain and held slots.
 */
#include <errno.h>

#include "harness.h"
#include "tt_table.h"

static struct tce_pool *pool(struct tce_ctx *ctx, struct tce_pool_config *cfg)
{
	struct tce_pool *p = NULL;

	CHECK_RC(tce_pool_create(ctx, cfg, &p), 0);
	return p;
}

static int alloc1(struct tce_pool *p, uint64_t npages, uint64_t *idx)
{
	struct tce_alloc_req req = { .npages = npages, .cpu = 0 };

	return tce_pool_alloc(p, &req, idx);
}

static void layout_and_defaults(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 19, .page_shift = 12 };
	struct tce_pool *p = pool(ctx, &cfg);

	CHECK_EQ(cfg.nr_pools, 4); /* 2 GiB window */
	CHECK_EQ(cfg.pool_entries, (1 << 19) * 3 / 4 / 4);
	CHECK_EQ(cfg.large_start, 4 * cfg.pool_entries);
	CHECK_EQ(cfg.large_threshold, 15);
	CHECK_EQ(cfg.block_pages, 16);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 1 << 17, .page_shift = 12 };
	p = pool(ctx, &cfg);
	CHECK_EQ(cfg.nr_pools, 1); /* 512 MiB */
	tce_pool_destroy(p);
	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 1 << 18, .page_shift = 12 };
	p = pool(ctx, &cfg);
	CHECK_EQ(cfg.nr_pools, 4); /* exactly 1 GiB: the kernel splits from there on */
	tce_pool_destroy(p);
	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = (1 << 18) - 1, .page_shift = 12 };
	p = pool(ctx, &cfg);
	CHECK_EQ(cfg.nr_pools, 1);
	tce_pool_destroy(p);
	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 100, .page_shift = 12,
					.nr_pools = 16 };
	p = pool(ctx, &cfg);
	CHECK_EQ(cfg.nr_pools, 1);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void bad_configs(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool *p;
	struct tce_pool_config cfg = { .entries = 0, .page_shift = 12 };

	CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	cfg = (struct tce_pool_config){ .entries = 64, .page_shift = 11 };
	CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	cfg = (struct tce_pool_config){ .entries = 64, .page_shift = 12, .nr_pools = 17 };
	CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	cfg = (struct tce_pool_config){ .entries = 64, .page_shift = 12, .block_pages = 3 };
	CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	cfg = (struct tce_pool_config){ .first_idx = ~0ULL, .entries = 2, .page_shift = 12 };
	CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	tt_ctx_done(ctx);
}

/*
 * Bus addresses must fit in 64 bits: for every page shift, a window ending
 * exactly at 2^64 is accepted and hands out addresses that survive the
 * shift; one entry more, or a first entry at 2^(64 - shift), is refused.
 */
static void bus_overflow(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_alloc_req req = { .npages = 1, .cpu = -1 };
	struct tce_pool_config cfg;
	struct tce_pool *p;
	uint64_t limit, idx;
	uint32_t shift;

	for (shift = TCE_PAGE_SHIFT_MIN; shift <= TCE_PAGE_SHIFT_MAX; shift++) {
		limit = 1ULL << (64 - shift); /* entries of the whole 64-bit bus */
		cfg = (struct tce_pool_config){ .first_idx = limit - 64, .entries = 64,
						.page_shift = shift };
		CHECK_RC(tce_pool_create(ctx, &cfg, &p), 0);
		if (!tt_failed()) {
			req.handle = 0, req.align_order = 5;
			CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
			CHECK_EQ((idx << shift) >> shift, idx);
			tce_pool_destroy(p);
		}
		cfg = (struct tce_pool_config){ .first_idx = limit - 64, .entries = 65,
						.page_shift = shift };
		CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
		cfg = (struct tce_pool_config){ .first_idx = limit, .entries = 1, .page_shift = shift };
		CHECK_RC(tce_pool_create(ctx, &cfg, &p), -EINVAL);
	}
	tt_ctx_done(ctx);
}

/* A window at bus 0 never hands out entry 0; every other entry is usable. */
static void every_entry_usable(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 4096, .page_shift = 12,
				       .nr_pools = 4 };
	struct tce_pool *p = pool(ctx, &cfg);
	static uint8_t seen[4096];
	struct tce_pool_stats st;
	uint64_t idx, n = 0;

	while (alloc1(p, 1, &idx) == 0) {
		REQUIRE(idx < 4096 && !seen[idx]);
		seen[idx] = 1;
		n++;
	}
	CHECK_EQ(n, 4095);
	CHECK_EQ(seen[0], 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.allocated, 4095);
	CHECK_EQ(st.reserved, 1);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	/* At 2^59 entry "0" of the window is usable. */
	cfg = (struct tce_pool_config){ .first_idx = 1ULL << 47, .entries = 64, .page_shift = 12 };
	p = pool(ctx, &cfg);
	for (n = 0; alloc1(p, 1, &idx) == 0; n++)
		;
	CHECK_EQ(n, 64);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void constraints(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 20, .page_shift = 12 };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_alloc_req req;
	uint64_t idx, i;

	/* A 16 MiB mask: every allocation below 4096 entries, in any pool. */
	for (i = 0; i < 200; i++) {
		req = (struct tce_alloc_req){ .npages = 1 + i % 20, .dma_mask = (16 << 20) - 1,
					      .cpu = (int32_t)i };
		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
		CHECK(idx + 1 + i % 20 <= 4096);
	}
	/* Boundary: 64 KiB (16 pages); 5 pages never span one. */
	for (i = 0; i < 200; i++) {
		req = (struct tce_alloc_req){ .npages = 5, .boundary = 1 << 16, .cpu = 1 };
		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
		CHECK_EQ(idx / 16, (idx + 4) / 16);
	}
	/* Alignment. */
	for (i = 0; i < 100; i++) {
		req = (struct tce_alloc_req){ .npages = 3, .align_order = 5, .cpu = 2 };
		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
		CHECK_EQ(idx % 32, 0);
	}
	/* Impossible requests. */
	req = (struct tce_alloc_req){ .npages = 0 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	req = (struct tce_alloc_req){ .npages = 17, .boundary = 1 << 16 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	req = (struct tce_alloc_req){ .npages = 1, .boundary = 3 << 12 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	req = (struct tce_alloc_req){ .npages = 1, .boundary = 1 << 11 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	req = (struct tce_alloc_req){ .npages = 1, .align_order = 64 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	req = (struct tce_alloc_req){ .npages = (1 << 20) + 1 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	cfg = (struct tce_pool_config){ .first_idx = 1ULL << 47, .entries = 1 << 10, .page_shift = 12 };
	p = pool(ctx, &cfg);
	req = (struct tce_alloc_req){ .npages = 1, .dma_mask = 0xffffffff };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL); /* mask below the window */
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/* Logical CPUs 0..255 spread over the pools (a distribution check). */
static void cpu_hash_spreads(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 1ULL << 40, .entries = 1 << 20,
				       .page_shift = 12, .nr_pools = 4 };
	struct tce_pool *p = pool(ctx, &cfg);
	unsigned count[4] = { 0 }, k;
	uint64_t idx;

	for (k = 0; k < 256; k++) {
		struct tce_alloc_req req = { .npages = 1, .cpu = (int32_t)k };

		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
		count[(idx - cfg.first_idx) / cfg.pool_entries]++;
	}
	for (k = 0; k < 4; k++)
		CHECK(count[k] >= 40 && count[k] <= 90);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void large_pool_and_fallback(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 20, .page_shift = 12 };
	struct tce_pool *p = pool(ctx, &cfg);
	uint64_t idx, small_end = cfg.large_start, n;

	CHECK_RC(alloc1(p, 16, &idx), 0);
	CHECK(idx >= cfg.large_start);
	CHECK_RC(alloc1(p, 15, &idx), 0);
	CHECK(idx < cfg.large_start);
	/* Fill the large pool; large requests then fall back to small pools. */
	for (n = 0; alloc1(p, 1024, &idx) == 0 && idx >= small_end; n++)
		;
	CHECK(idx < small_end);
	CHECK_EQ(n, (cfg.entries - cfg.large_start) / 1024 - 1); /* 16 pages taken above */
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void frees_are_validated(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 12, .page_shift = 12,
				       .nr_pools = 2, .no_large_pool = true };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t a, b;

	CHECK_RC(alloc1(p, 8, &a), 0);
	CHECK_RC(tce_pool_free(p, a, 9), -EINVAL);       /* one more than allocated */
	CHECK_RC(tce_pool_free(p, 0, 1), -EINVAL);       /* reserved entry 0 */
	CHECK_RC(tce_pool_free(p, 4096, 1), -EINVAL);    /* outside */
	CHECK_RC(tce_pool_free(p, 4095, 2), -EINVAL);    /* runs out */
	CHECK_RC(tce_pool_free(p, ~0ULL, 2), -EINVAL);   /* wraps */
	CHECK_RC(tce_pool_free(p, 2047, 2), -EINVAL);    /* spans two pools */
	CHECK_RC(tce_pool_free(p, a, 8), 0);
	CHECK_RC(tce_pool_free(p, a, 8), -EINVAL);       /* double free */
	CHECK_RC(tce_pool_reserve(p, 100, 10), 0);
	CHECK_RC(tce_pool_reserve(p, 105, 10), -EBUSY);
	CHECK_RC(tce_pool_reserve(p, 4090, 10), -EINVAL);
	CHECK_RC(tce_pool_free(p, 100, 10), -EINVAL);
	CHECK_RC(alloc1(p, 1, &b), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.allocated, 1);
	CHECK_EQ(st.reserved, 11);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void count_flush(void *arg)
{
	(*(int *)arg)++;
}

/* With a lazy flush, freed entries wait for a flush before reuse. */
static void lazy_flush_parks_frees(void)
{
	struct tce_ctx *ctx = tt_ctx();
	int flushes = 0;
	struct tce_pool_config cfg = { .first_idx = 64, .entries = 256, .page_shift = 12,
				       .lazy_flush = count_flush, .flush_arg = &flushes };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t idx[256], n = 0, i, again;

	while (alloc1(p, 1, &idx[n]) == 0)
		n++;
	CHECK_EQ(n, 256);
	CHECK_EQ(flushes, 0);
	for (i = 0; i < n; i += 2)
		CHECK_RC(tce_pool_free(p, idx[i], 1), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.parked, 128);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	/*
	 * The next allocation fails a pass in its pool, flushes once and frees
	 * that pool's parked entries; the large pool's (entries 192..255) wait
	 * until a pass fails there, and need no second flush.
	 */
	CHECK_RC(alloc1(p, 1, &again), 0);
	CHECK_EQ(flushes, 1);
	tce_pool_stats(p, &st);
	CHECK_EQ(cfg.large_start, 64 + 192);
	CHECK_EQ(st.parked, 32);
	CHECK_EQ(st.flushes, 1);
	for (i = 1; i < 128; i++)
		CHECK_RC(alloc1(p, 1, &again), 0);
	CHECK_EQ(flushes, 1);
	CHECK_RC(alloc1(p, 1, &again), -ENOSPC);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void cache_rounds_bounds_and_drains(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 1 << 20, .entries = 1 << 16, .page_shift = 12,
				       .cache = true };
	struct tce_pool *p = pool(ctx, &cfg);
	static uint64_t all[1 << 16];
	struct tce_pool_stats st;
	uint64_t a, b, n = 0, i;

	CHECK_EQ(cfg.cache_limit, 8192);
	CHECK_RC(alloc1(p, 3, &a), 0); /* rounded to 4 */
	CHECK_RC(tce_pool_free(p, a, 3), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 4);
	CHECK_RC(tce_pool_free(p, a, 3), -EINVAL); /* double free into the cache */
	CHECK_RC(alloc1(p, 4, &b), 0);
	CHECK_EQ(b, a);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cache_hits, 1);
	CHECK_EQ(st.cached, 0);
	CHECK_RC(tce_pool_free(p, b, 4), 0);
	/* Fill everything, free it all from one thread: the caches keep a bounded share. */
	while (alloc1(p, 1, &all[n]) == 0)
		n++;
	CHECK_EQ(n, 1 << 16); /* the cached 4-page range was drained */
	for (i = 0; i < n; i++)
		CHECK_RC(tce_pool_free(p, all[i], 1), 0);
	tce_pool_stats(p, &st);
	CHECK(st.cached >= 64 && st.cached <= cfg.cache_limit / 64 + cfg.cache_limit / 2);
	CHECK_EQ(st.allocated, 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	/* The whole small pool: only possible once the caches are drained. */
	CHECK_EQ(cfg.large_start, (1 << 20) + 49152);
	CHECK_RC(alloc1(p, 49152, &a), 0);
	CHECK_EQ(a, 1 << 20);
	tce_pool_stats(p, &st);
	CHECK(st.drains >= 2);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * One thread's frees fill its slot's two magazines, then full magazines go
 * to the shared depot (within its bound, cache_limit / 2); when the slot
 * runs dry its allocations are served from the depot's magazines.
 */
static void cache_depot_round_trip(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 1 << 20, .entries = 1 << 16, .page_shift = 12,
				       .cache = true };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t idx[96], again[96], i, k;

	for (i = 0; i < 96; i++)
		CHECK_RC(alloc1(p, 1, &idx[i]), 0);
	for (i = 0; i < 96; i++)
		CHECK_RC(tce_pool_free(p, idx[i], 1), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 96); /* 64 in the slot, 32 in the depot: under both bounds */
	CHECK_EQ(st.allocated, 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	for (i = 0; i < 96; i++)
		CHECK_RC(alloc1(p, 1, &again[i]), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cache_hits, 96);
	CHECK_EQ(st.cached, 0);
	/* The very ranges freed came back, each once. */
	for (i = 0; i < 96; i++) {
		for (k = 0; k < 96 && again[k] != idx[i]; k++)
			;
		CHECK(k < 96);
	}
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * What the lazy flush below does when armed: allocate and free from the
 * thread whose cache slot is held (the flush runs inside a cache hit).
 */
struct reenter {
	struct tce_pool *p;
	bool armed;
	int flushes;
	uint64_t cached_idx, one, four;
	int rc_one, rc_four, rc_double, rc_free_one, rc_free_four;
};

static void reenter_flush(void *arg)
{
	struct reenter *r = arg;

	r->flushes++;
	if (!r->armed)
		return;
	r->armed = false;
	r->rc_one = alloc1(r->p, 1, &r->one);
	r->rc_four = alloc1(r->p, 4, &r->four);
	r->rc_double = tce_pool_free(r->p, r->cached_idx, 1); /* cached in the held slot */
	r->rc_free_one = tce_pool_free(r->p, r->one, 1);
	r->rc_free_four = tce_pool_free(r->p, r->four, 4);
}

/*
 * A thread whose cache slot is held (here by itself: a cache hit of a range
 * freed since the last flush runs the lazy flush while it holds the slot)
 * does not wait for it: its allocations come from the pools, distinct from
 * every cached and live range, its frees go to another slot and are still
 * cached (and still validated: a double free of a range cached in the held
 * slot is caught), and the counters and the checker agree afterwards.
 */
static void held_slot_falls_back(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct reenter r = { 0 };
	struct tce_pool_config cfg = { .first_idx = 1 << 20, .entries = 1 << 16, .page_shift = 12,
				       .cache = true, .lazy_flush = reenter_flush, .flush_arg = &r };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t a, b, got;

	r.p = p;
	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK_RC(alloc1(p, 1, &b), 0);
	CHECK_RC(tce_pool_free(p, b, 1), 0);
	CHECK_RC(tce_pool_free(p, a, 1), 0); /* the newest: the next hit */
	r.cached_idx = b;
	r.armed = true;
	CHECK_RC(alloc1(p, 1, &got), 0);
	CHECK_EQ(got, a);
	CHECK_EQ(r.flushes, 1); /* a was freed since the last flush */
	CHECK_RC(r.rc_one, 0);
	CHECK_RC(r.rc_four, 0);
	CHECK(r.one != a && r.one != b);
	CHECK(r.four + 4 <= a || r.four > a);
	CHECK(r.four + 4 <= b || r.four > b);
	CHECK(r.one < r.four || r.one >= r.four + 4);
	CHECK_RC(r.rc_double, -EINVAL);
	CHECK_RC(r.rc_free_one, 0);
	CHECK_RC(r.rc_free_four, 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 6); /* b in the held slot; one and four in another */
	CHECK_EQ(st.allocated, 1);
	CHECK_EQ(st.cache_hits, 1);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	/* This slot still holds b; the other slot keeps what it was given. */
	CHECK_RC(alloc1(p, 1, &got), 0);
	CHECK_EQ(got, b);
	CHECK_RC(tce_pool_free(p, got, 1), 0);
	CHECK_RC(tce_pool_free(p, a, 1), 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * A free into the cache is validated as a pool free is: each bad free
 * below fails for one reason only and changes nothing.
 */
/*
 * One-page frees take a path of their own (single-bit checks): each kind of
 * bad free is refused there and changes nothing, with and without a lazy
 * flush; and one-page allocations past the end of the home pool's hint still
 * wrap and fill every entry.
 */
static void one_page_frees_are_validated(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 12, .page_shift = 12,
				       .nr_pools = 1, .no_large_pool = true };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t a, b, n = 0;
	int flushes = 0;

	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK_RC(tce_pool_reserve(p, 200, 4), 0);
	CHECK_RC(tce_pool_free(p, 202, 1), -EINVAL);  /* inside a reservation */
	CHECK_RC(tce_pool_free(p, 300, 1), -EINVAL);  /* never allocated */
	CHECK_RC(tce_pool_free(p, a, 1), 0);
	CHECK_RC(tce_pool_free(p, a, 1), -EINVAL);    /* double free */
	CHECK_RC(tce_pool_free(p, 1 << 12, 1), -EINVAL);  /* just past the end (a whole map word) */
	CHECK_RC(tce_pool_free(p, UINT64_MAX, 1), -EINVAL);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.allocated, 0);
	CHECK_EQ(st.reserved, 5);
	/* The hint walks to the pool's end; the next ones wrap to its start. */
	while (alloc1(p, 1, &b) == 0)
		n++;
	CHECK_EQ(n, 4096 - 5);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);

	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 1 << 12, .page_shift = 12,
					.nr_pools = 1, .no_large_pool = true,
					.lazy_flush = count_flush, .flush_arg = &flushes };
	p = pool(ctx, &cfg);
	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK_RC(tce_pool_free(p, a, 1), 0);
	CHECK_RC(tce_pool_free(p, a, 1), -EINVAL);    /* parked: a double free */
	tce_pool_stats(p, &st);
	CHECK_EQ(st.parked, 1);
	CHECK_EQ(st.allocated, 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/* Without a large pool the last pool takes the remainder: its entries free and count there. */
static void last_pool_takes_the_rest(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 612, .page_shift = 12,
				       .nr_pools = 4, .no_large_pool = true };
	struct tce_pool *p = pool(ctx, &cfg);
	uint64_t a, n = 0;

	CHECK_EQ(cfg.pool_entries, 128);
	while (alloc1(p, 1, &a) == 0)
		n++;
	CHECK_EQ(n, 611);                               /* entry 0 is never handed out */
	CHECK_RC(tce_pool_free(p, 600, 1), 0);         /* past 4 x 128: the last pool's */
	CHECK_RC(tce_pool_free(p, 611, 1), 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK(a == 600 || a == 611);
	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK(a == 600 || a == 611);
	CHECK_RC(alloc1(p, 1, &a), -ENOSPC);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void cached_frees_are_validated(void)
{
	struct tce_ctx *ctx = tt_ctx();
	int flushes = 0;
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 1 << 12, .page_shift = 12,
				       .nr_pools = 2, .no_large_pool = true, .cache = true };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_pool_stats st;
	uint64_t a, idx[9], i, n = 0;

	CHECK_EQ(cfg.cache_limit, 512); /* a slot holds at most 8 entries */
	while (alloc1(p, 1, &a) == 0)
		n++;
	CHECK_EQ(n, 4095);
	/* Three pages at the window's end round to four, past it. */
	CHECK_RC(tce_pool_free(p, 4093, 3), -EINVAL);
	/* Both entries allocated, but the range spans the two pools. */
	CHECK_RC(tce_pool_free(p, 2047, 2), -EINVAL);
	/* Entry 0 of a window at bus 0: reserved (and set in the bitmap). */
	CHECK_RC(tce_pool_free(p, 0, 1), -EINVAL);
	/* A free entry: the 9th free finds the slot full and goes to the pool. */
	for (i = 0; i < 9; i++)
		CHECK_RC(tce_pool_free(p, 10 + i, 1), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 8);
	CHECK_RC(alloc1(p, 1, &a), 0); /* from the cache: the slot has room again */
	CHECK_EQ(a, 17);
	CHECK_RC(tce_pool_free(p, 18, 1), -EINVAL);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 7);
	CHECK_EQ(st.allocated, 4095 - 8);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);

	/* With a lazy flush the 9th free is parked; freeing it again is a double free. */
	cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 1 << 12, .page_shift = 12,
					.nr_pools = 2, .no_large_pool = true, .cache = true,
					.lazy_flush = count_flush, .flush_arg = &flushes };
	p = pool(ctx, &cfg);
	for (i = 0; i < 9; i++)
		CHECK_RC(alloc1(p, 1, &idx[i]), 0);
	for (i = 0; i < 9; i++)
		CHECK_RC(tce_pool_free(p, idx[i], 1), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 8);
	CHECK_EQ(st.parked, 1);
	CHECK_RC(alloc1(p, 1, &a), 0);
	CHECK_EQ(a, idx[7]);
	CHECK_RC(tce_pool_free(p, idx[8], 1), -EINVAL);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, 7);
	CHECK_EQ(st.parked, 1);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * spec kernel.md §2.3-2.4: a pass starts at the pool's hint and the hint is
 * not lowered on free, so space freed below it is reused only after a wrap.
 */
static void hint_not_lowered_on_free(void)
{
	static const uint64_t firsts[] = { 0, 1 << 20 };
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg;
	struct tce_pool *p;
	uint64_t a, b, c, d;
	size_t i;

	for (i = 0; i < 2; i++) {
		cfg = (struct tce_pool_config){ .first_idx = firsts[i], .entries = 1024,
						.page_shift = 12, .nr_pools = 1, .block_pages = 1 };
		p = pool(ctx, &cfg);
		CHECK_RC(alloc1(p, 1, &a), 0);
		CHECK_RC(alloc1(p, 1, &b), 0);
		CHECK_RC(alloc1(p, 1, &c), 0);
		CHECK_EQ(b, a + 1);
		CHECK_EQ(c, b + 1);
		CHECK_RC(tce_pool_free(p, a, 1), 0);
		CHECK_RC(alloc1(p, 1, &d), 0);
		CHECK_EQ(d, c + 1);
		tce_pool_destroy(p);
	}
	tt_ctx_done(ctx);
}


/* A logical CPU whose first allocation in a fresh pool of two lands in pool @home, or -1. */
static int32_t cpu_homed_in(struct tce_ctx *ctx, struct tce_pool_config *cfg, unsigned home)
{
	uint64_t half = cfg->entries / 2, idx;
	struct tce_alloc_req req;
	struct tce_pool *p;
	int32_t cpu;

	for (cpu = 0; cpu < 64; cpu++) {
		p = pool(ctx, cfg);
		req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu };
		idx = UINT64_MAX;
		CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
		tce_pool_destroy(p);
		if ((idx >= cfg->first_idx + half) == (home == 1))
			return cpu;
	}
	return -1;
}

/*
 * An aligned request whose pass from the hint finds nothing must not take
 * space outside the pool it searches: here the home pool (pool 1) has room
 * below its hint, and the window's first entry is unaligned so that an
 * aligned entry lies just above it, in pool 0.
 */
static void aligned_search_stays_in_pool(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 3, .entries = 4096, .page_shift = 12,
				       .nr_pools = 2, .no_large_pool = true, .block_pages = 1 };
	struct tce_alloc_req req = { .npages = 1 };
	struct tce_pool *p;
	uint64_t idx, i;
	int32_t cpu;

	cpu = cpu_homed_in(ctx, &cfg, 1); /* pool 1: entries 2048 + 3 and up */
	REQUIRE(cpu >= 0);
	p = pool(ctx, &cfg);
	for (i = 0; i < 2048; i++) {
		req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu };
		CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
		CHECK_EQ(idx, 3 + 2048 + i);
	}
	/* Two entries free at 3002 and 3003: take 3002, so the hint is 3003 (unaligned). */
	CHECK_RC(tce_pool_free(p, 3002, 2), 0);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 3002);
	/* Room below the hint, aligned: 2052. */
	CHECK_RC(tce_pool_free(p, 2052, 1), 0);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu, .align_order = 2 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 2052); /* the home pool wraps before the others are tried */
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * A scatter-list handle steers only the first pass, in the home pool (the
 * kernel's iommu_range_alloc: "pass == 0 && handle in the pool"): a handle
 * in the home pool is where the search starts; 0 or a handle in another
 * pool is not, and a pass in another pool starts at that pool's hint.
 */
static void handle_only_in_home_pool(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 3, .entries = 4096, .page_shift = 12,
				       .nr_pools = 2, .no_large_pool = true, .block_pages = 1 };
	struct tce_alloc_req req;
	struct tce_pool *p;
	uint64_t idx, i;
	int32_t cpu;

	cpu = cpu_homed_in(ctx, &cfg, 0); /* pool 0: entries 3 .. 2050 */
	REQUIRE(cpu >= 0);
	p = pool(ctx, &cfg);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu, .handle = 3 + 100 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 3 + 100); /* a handle in the home pool: the search starts there */
	req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu, .handle = 3 + 2048 + 500 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 3 + 101); /* a handle in another pool: the home pool's hint */
	for (i = 0; i < 2048; i++) { /* fill the home pool */
		req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu };
		if (tce_pool_alloc(p, &req, &idx) || idx >= 3 + 2048)
			break;
	}
	CHECK_EQ(idx, 3 + 2048); /* the first entry past the home pool: pool 1's start */
	req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu, .handle = 3 + 2048 + 500 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 3 + 2049); /* the second pass starts at pool 1's hint, not the handle */
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * Every allocation hands back, in the handle, where it ended (the next
 * scatter-list segment starts there), the one-page fast path too; and an
 * allocation may end exactly at a boundary: a request of the boundary's
 * whole size fits.
 */
static void handle_out_and_boundary_edge(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 4096, .page_shift = 12,
				       .nr_pools = 1, .no_large_pool = true, .block_pages = 1 };
	struct tce_alloc_req req;
	struct tce_pool *p = pool(ctx, &cfg);
	uint64_t idx;

	req = (struct tce_alloc_req){ .npages = 1, .cpu = 0 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(req.handle, idx + 1);
	req = (struct tce_alloc_req){ .npages = 3, .cpu = 0 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(req.handle, idx + 3);
	req = (struct tce_alloc_req){ .npages = 16, .boundary = 16 << 12, .cpu = 0 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx % 16, 0);
	req = (struct tce_alloc_req){ .npages = 4, .boundary = 16 << 12, .cpu = 0,
				      .handle = idx + 16 + 12 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx % 16, 12); /* [12, 16) of its 16-page block: it ends on the boundary */
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/* A cached range that ends exactly on a request's boundary serves it. */
static void cached_range_ends_on_boundary(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 0, .entries = 4096, .page_shift = 12,
				       .nr_pools = 1, .no_large_pool = true, .block_pages = 1,
				       .cache = true };
	struct tce_alloc_req req;
	struct tce_pool *p = pool(ctx, &cfg);
	uint64_t idx = 0, last = 0, i;

	for (i = 0; i < 32 && idx % 16 != 11; i++) { /* one page at a time up to entry 11 */
		req = (struct tce_alloc_req){ .npages = 1, .cpu = 0 };
		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
	}
	req = (struct tce_alloc_req){ .npages = 4, .cpu = 0 }; /* then [12, 16) */
	REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
	REQUIRE(idx % 16 == 12);
	last = idx;
	CHECK_RC(tce_pool_free(p, last, 4), 0);
	req = (struct tce_alloc_req){ .npages = 4, .boundary = 16 << 12, .cpu = 0 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, last);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/* A DMA mask reaches its last page: every entry up to mask >> page_shift is usable. */
static void mask_reaches_its_last_page(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 256, .entries = 1024, .page_shift = 12,
				       .nr_pools = 1 };
	struct tce_pool *p = pool(ctx, &cfg);
	struct tce_alloc_req req;
	uint64_t idx, n = 0, top = 0;

	for (;;) {
		req = (struct tce_alloc_req){ .npages = 1, .cpu = 0,
					      .dma_mask = (768ULL << 12) - 1 };
		if (tce_pool_alloc(p, &req, &idx))
			break;
		top = idx > top ? idx : top;
		n++;
	}
	CHECK_EQ(n, 768 - 256); /* entries 256..767 */
	CHECK_EQ(top, 767);
	tce_pool_destroy(p);
	/* A mask that reaches only the window's first page: that page. */
	p = pool(ctx, &cfg);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = 0, .dma_mask = (257ULL << 12) - 1 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), 0);
	CHECK_EQ(idx, 256);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = 0, .dma_mask = (256ULL << 12) - 1 };
	CHECK_RC(tce_pool_alloc(p, &req, &idx), -EINVAL); /* below the window */
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(layout_and_defaults),
	TT_CASE(bad_configs),
	TT_CASE(bus_overflow),
	TT_CASE(every_entry_usable),
	TT_CASE(constraints),
	TT_CASE(cpu_hash_spreads),
	TT_CASE(large_pool_and_fallback),
	TT_CASE(frees_are_validated),
	TT_CASE(lazy_flush_parks_frees),
	TT_CASE(cache_rounds_bounds_and_drains),
	TT_CASE(cache_depot_round_trip),
	TT_CASE(held_slot_falls_back),
	TT_CASE(one_page_frees_are_validated),
	TT_CASE(last_pool_takes_the_rest),
	TT_CASE(cached_frees_are_validated),
	TT_CASE(hint_not_lowered_on_free),
	TT_CASE(aligned_search_stays_in_pool),
	TT_CASE(handle_only_in_home_pool),
	TT_CASE(handle_out_and_boundary_edge),
	TT_CASE(cached_range_ends_on_boundary),
	TT_CASE(mask_reaches_its_last_page),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
