/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation: turning a request into constraints, the constrained search of
 * one pool's bitmap range, and the pass order over the pools (spec
 * kernel.md §2.3): the home pool, every other small pool in turn, then the
 * large pool (a large request starts there). Unlike the kernel, each pool is
 * searched from its hint and then from its start (the kernel searches the
 * other pools from their start only, which made filling a window one page
 * at a time quadratic: 3.3 s for 2 Mi entries in 4 pools, tce-bench alloc),
 * a search never leaves the range of the pool whose lock it holds (the mask
 * clamps each pool), every entry of a pool is usable, and a boundary conflict
 * jumps straight to the next legal start. Layer: alloc.
 */
#include <errno.h>

#include "alloc/pool_int.h"
#include "util/arith.h"
#include "util/bitmap.h"

bool tce__fits(const struct tce__constraints *c, uint64_t rel)
{
	uint64_t abs = c->first_idx + rel;

	if (rel + c->npages > c->limit || (abs & c->align_mask))
		return false;
	return !c->boundary || (abs & (c->boundary - 1)) + c->npages <= c->boundary;
}

/* The first legal start at or after relative @rel, or UINT64_MAX. */
static uint64_t next_legal(const struct tce__constraints *c, uint64_t rel)
{
	uint64_t abs = c->first_idx + rel, a;

	if (tce__add_overflows(abs, c->align_mask, &a))
		return UINT64_MAX;
	a &= ~c->align_mask;
	if (c->boundary && (a & (c->boundary - 1)) + c->npages > c->boundary) {
		if (tce__add_overflows(a | (c->boundary - 1), 1, &a))
			return UINT64_MAX;
	}
	return a - c->first_idx;
}

/* First fit of @c in [start, limit) of the bitmap, or TCE_BITMAP_NONE. */
static uint64_t area_search(const uint64_t *map, uint64_t start, uint64_t limit,
			    const struct tce__constraints *c)
{
	uint64_t idx = start, busy;

	for (;;) {
		idx = tce__bitmap_next_zero(map, idx, limit);
		if (idx == TCE_BITMAP_NONE)
			return TCE_BITMAP_NONE;
		idx = next_legal(c, idx);
		if (idx == UINT64_MAX || idx >= limit || limit - idx < c->npages)
			return TCE_BITMAP_NONE;
		busy = tce__bitmap_next_set(map, idx, idx + c->npages);
		if (busy == TCE_BITMAP_NONE)
			return idx;
		idx = busy + 1;
	}
}

/*
 * Parked frees of @r become free, after a flush unless one already followed
 * the latest of them. Context: @r's lock.
 */
static bool release_parked(struct tce_pool *p, struct tce__pool_range *r)
{
	uint64_t w, first, last;

	if (!r->parked)
		return false;
	if (atomic_load_explicit(&p->flush_gen, memory_order_acquire) == r->parked_gen)
		tce__pool_flush(p);
	first = r->start / 64;
	last = tce__bitmap_words(r->end);
	for (w = first; w < last; w++) {
		uint64_t pk = __atomic_load_n(&p->parked[w], __ATOMIC_RELAXED);

		if (!pk)
			continue;
		__atomic_store_n(&p->map[w], __atomic_load_n(&p->map[w], __ATOMIC_RELAXED) & ~pk,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&p->parked[w], 0, __ATOMIC_RELAXED);
	}
	r->free += r->parked;
	r->parked = 0;
	return true;
}

/* One pass in @r from @start (wrapping to the pool start). Context: @r's lock. */
static uint64_t pass_search(struct tce_pool *p, struct tce__pool_range *r, uint64_t start,
			    const struct tce__constraints *c)
{
	uint64_t limit = tce__min_u64(r->end, c->limit), n;

	if (r->start >= limit)
		return TCE_BITMAP_NONE;
	if (start >= limit || start < r->start) {
		start = r->start;
		release_parked(p, r);
	}
	n = r->free >= c->npages ? area_search(p->map, start, limit, c) : TCE_BITMAP_NONE;
	if (n == TCE_BITMAP_NONE && release_parked(p, r))
		n = area_search(p->map, r->start, limit, c);
	return n;
}

static void take(struct tce_pool *p, struct tce__pool_range *r, uint64_t n,
		 const struct tce__constraints *c, bool large)
{
	uint64_t end = n + c->npages, block = p->cfg.block_pages;

	tce__bitmap_set(p->map, n, c->npages);
	r->free -= c->npages;
	r->hint = large ? end : (end + block - 1) / block * block;
}

/* The number of pools a request visits. */
static unsigned pass_count(const struct tce_pool *p, bool large)
{
	return p->nr_pools + (large || p->has_large);
}

/*
 * The @i-th pool a request visits: a large request starts in the large pool
 * and then walks the small ones from its home pool; a small request walks
 * the small pools from its home pool and ends in the large pool.
 */
static struct tce__pool_range *pool_at(struct tce_pool *p, bool large, unsigned home, unsigned i)
{
	unsigned k;

	if (large && i == 0)
		return &p->large;
	k = i - large;
	if (k == p->nr_pools)
		return &p->large;
	k += home;
	return &p->pools[k < p->nr_pools ? k : k - p->nr_pools];
}

/*
 * The pool a thread or logical CPU starts in: the top 32 bits of a
 * multiplicative hash scaled to nr_pools by a multiply, not a divide.
 */
static unsigned home_pool(const struct tce_pool *p, int32_t cpu)
{
	uint64_t key = cpu >= 0 ? (uint64_t)cpu : tce__thread_key();

	return (unsigned)((((key * 0x9e3779b97f4a7c15ULL) >> 32) * p->nr_pools) >> 32);
}

/* Where a pass in @r starts: the scatter-list handle in the home pool, else the hint. */
static uint64_t pass_start(const struct tce_pool *p, const struct tce__pool_range *r,
			   const struct tce_alloc_req *req, bool home)
{
	if (home && req->handle && req->handle >= p->cfg.first_idx + r->start &&
	    req->handle < p->cfg.first_idx + r->end)
		return req->handle - p->cfg.first_idx;
	return r->hint;
}

/* The thread's entry of p->moved: its hash's top 48 bits; the slot from its top 5. */
static uint64_t moved_key(void)
{
	return tce__thread_key() * 0x9e3779b97f4a7c15ULL;
}

static _Atomic uint64_t *moved_slot(struct tce_pool *p, uint64_t key)
{
	return &p->moved[key >> 59];
}

/* The pool the calling thread moved to from @home, else @home. */
static unsigned moved_start(struct tce_pool *p, unsigned home)
{
	uint64_t key = moved_key(), m = atomic_load_explicit(moved_slot(p, key), memory_order_relaxed);

	if (((m ^ ((key & ~0xffffULL) | (uint64_t)home << 8)) >> 8) == 0)
		return (unsigned)(m & 0xff); /* written by this pool: below nr_pools */
	return home;
}

int tce__pools_alloc(struct tce_pool *p, const struct tce__constraints *c,
		     struct tce_alloc_req *req, uint64_t *rel)
{
	bool large = p->has_large && c->npages > p->cfg.large_threshold;
	unsigned i, n = pass_count(p, large), home = home_pool(p, req->cpu);
	struct tce__pool_range *r;
	uint64_t start, got;

	/*
	 * A thread that moved starts its passes where it moved, so that the
	 * pool its one-page requests start in wraps there when its fast step
	 * runs out (else that step would fail from the pool's end every time).
	 */
	if (!large && atomic_load_explicit(&p->any_moved, memory_order_relaxed))
		home = moved_start(p, home);

	for (i = 0; i < n; i++) {
		r = pool_at(p, large, home, i);
		tce__lock(&r->lock);
		start = pass_start(p, r, req, i == 0);
		got = pass_search(p, r, start, c);
		if (got == TCE_BITMAP_NONE && start > r->start)
			got = pass_search(p, r, r->start, c);
		if (got != TCE_BITMAP_NONE) {
			take(p, r, got, c, large);
			tce__unlock(&r->lock);
			*rel = got;
			return 0;
		}
		tce__unlock(&r->lock);
	}
	return -ENOSPC;
}

/* Check a request and turn it into relative constraints. */
static int constraints_of(const struct tce_pool *p, const struct tce_alloc_req *req,
			  struct tce__constraints *c)
{
	uint32_t shift = p->cfg.page_shift;
	uint64_t max_idx;

	*c = (struct tce__constraints){ .npages = tce__cache_round(p, req->npages),
					.limit = p->entries, .first_idx = p->cfg.first_idx };
	if (!req->npages || c->npages > p->entries || req->align_order > 63)
		return -EINVAL;
	c->align_mask = tce__low_mask(req->align_order);
	if (req->dma_mask) {
		max_idx = req->dma_mask >> shift;
		if (max_idx < p->cfg.first_idx)
			return -EINVAL;
		c->limit = tce__min_u64(p->entries, max_idx - p->cfg.first_idx + 1);
	}
	if (req->boundary) {
		if (!tce__is_pow2(req->boundary) || req->boundary >> shift == 0)
			return -EINVAL;
		c->boundary = req->boundary >> shift;
		if (c->npages > c->boundary)
			return -EINVAL;
	}
	return 0;
}

/*
 * The small pool a one-page request starts in when another thread holds
 * the lock of the pool it would start in (@start): the next small pool if
 * that one is free, else @start once its holder lets go; its lock taken.
 * The move is remembered in the pool for the calling thread (p->moved), so
 * its next requests start there: two threads with one home pool keep
 * apart for good, their frees too (each frees into the pool it allocated
 * from), instead of meeting again on every request (issue 12 G2). A
 * request alone in its pool goes where the pass order says.
 */
static __attribute__((noinline)) struct tce__pool_range *start_busy(struct tce_pool *p,
								    uint64_t key, unsigned home,
								    unsigned start)
{
	struct tce__pool_range *r = &p->pools[start], *next;
	unsigned to = start + 1 < p->nr_pools ? start + 1 : 0;

	if (p->nr_pools > 1) {
		next = &p->pools[to];
		if (tce__trylock(&next->lock)) {
			atomic_store_explicit(moved_slot(p, key),
					      (key & ~0xffffULL) | (uint64_t)home << 8 | to,
					      memory_order_relaxed);
			if (!atomic_load_explicit(&p->any_moved, memory_order_relaxed))
				atomic_store_explicit(&p->any_moved, true, memory_order_relaxed);
			return next;
		}
	}
	tce__lock(&r->lock);
	return r;
}

/*
 * The common request, one page with no mask, boundary, alignment or handle:
 * the first free entry from the home pool's hint to the pool's end, the
 * first step of the full pass order, without building constraints or
 * searching for runs. False when that step finds nothing (the full order
 * then wraps, releases parked frees and walks the other pools).
 */
static bool alloc_one_fast(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *rel)
{
	unsigned home = home_pool(p, req->cpu), start = home;
	uint64_t got = TCE_BITMAP_NONE, block = p->cfg.block_pages, w, word = 0, old = 0;
	struct tce__pool_range *r;

	if (__builtin_expect(atomic_load_explicit(&p->any_moved, memory_order_relaxed), 0))
		start = moved_start(p, home);
	r = &p->pools[start];
	if (!tce__trylock(&r->lock))
		r = start_busy(p, moved_key(), home, start);
	if (r->free && r->hint >= r->start && r->hint < r->end) {
		w = r->hint / 64;
		old = __atomic_load_n(&p->map[w], __ATOMIC_RELAXED);
		word = ~old & (~0ULL << (r->hint % 64));
		while (!word && ++w * 64 < r->end) {
			old = __atomic_load_n(&p->map[w], __ATOMIC_RELAXED);
			word = ~old;
		}
		if (word && w * 64 + (uint64_t)__builtin_ctzll(word) < r->end)
			got = w * 64 + (uint64_t)__builtin_ctzll(word);
	}
	if (got != TCE_BITMAP_NONE) {
		__atomic_store_n(&p->map[w], old | (word & -word), __ATOMIC_RELAXED);
		r->free--;
		r->hint = (got + block) & ~(block - 1);
	}
	tce__unlock(&r->lock);
	*rel = got;
	return got != TCE_BITMAP_NONE;
}

/* Every other request, and a one-page one the fast path could not serve. */
__attribute__((noinline)) int tce__pool_alloc_slow(struct tce_pool *p, struct tce_alloc_req *req,
						       uint64_t *idx, bool cache_tried)
{
	struct tce__constraints c;
	uint64_t rel;
	int rc = constraints_of(p, req, &c);

	if (rc)
		return rc;
	rc = p->cache && !cache_tried ? tce__cache_alloc(p, &c, &rel) : -ENOENT;
	if (rc)
		rc = tce__pools_alloc(p, &c, req, &rel);
	if (rc == -ENOSPC && p->cache) {
		tce__cache_drain(p);
		rc = tce__pools_alloc(p, &c, req, &rel);
	}
	if (rc)
		return rc;
	*idx = p->cfg.first_idx + rel;
	req->handle = *idx + c.npages;
	return 0;
}

/* The home pool's first step, else the full order. */
static __attribute__((noinline)) int alloc_one(struct tce_pool *p, struct tce_alloc_req *req,
					       uint64_t *idx)
{
	uint64_t rel;

	if (!alloc_one_fast(p, req, &rel))
		return tce__pool_alloc_slow(p, req, idx, false);
	*idx = p->cfg.first_idx + rel;
	req->handle = *idx + 1;
	return 0;
}

/*
 * One page with no mask, boundary or alignment: the magazine hit when the
 * pool caches (a scatter-list handle does not matter to a cache), else the
 * home pool's first step when there is no handle either. Each path is its
 * own function, so the magazine hit saves no registers for the others.
 */
int tce_pool_alloc(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx)
{
	if (req->npages == 1 && !(req->dma_mask | req->boundary | req->align_order)) {
		if (p->cache)
			return tce__cache_alloc_one(p, req, idx);
		if (!req->handle)
			return alloc_one(p, req, idx);
	}
	return tce__pool_alloc_slow(p, req, idx, false);
}
