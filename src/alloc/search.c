/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation: turning a request into constraints, the constrained search of
 * one pool's bitmap range, and the pass order over the pools (spec
 * kernel.md §2.3): the starting pool from its hint, the same pool from its
 * start, every other small pool from its start, then the large pool. Unlike
 * the kernel, a search never leaves the range of the pool whose lock it
 * holds (the mask clamps each pool), every entry of a pool is usable, and a
 * boundary conflict jumps straight to the next legal start. Layer: alloc.
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

/* The pools a request visits, in order: returns how many. */
static unsigned pass_order(struct tce_pool *p, bool large, unsigned home,
			   struct tce__pool_range **order)
{
	unsigned i, n = 0;

	if (large)
		order[n++] = &p->large;
	for (i = 0; i < p->nr_pools; i++)
		order[n++] = &p->pools[(home + i) % p->nr_pools];
	if (!large && p->has_large)
		order[n++] = &p->large;
	return n;
}

/* The pool a thread or logical CPU starts in. */
static unsigned home_pool(const struct tce_pool *p, int32_t cpu)
{
	uint64_t key = cpu >= 0 ? (uint64_t)cpu : (uint64_t)(uintptr_t)pthread_self();

	return (unsigned)((key * 0x9e3779b97f4a7c15ULL) >> 32) % p->nr_pools;
}

int tce__pools_alloc(struct tce_pool *p, const struct tce__constraints *c,
		     struct tce_alloc_req *req, uint64_t *rel)
{
	struct tce__pool_range *order[TCE_POOLS_MAX + 1], *r;
	bool large = p->has_large && c->npages > p->cfg.large_threshold;
	unsigned i, n = pass_order(p, large, home_pool(p, req->cpu), order);
	uint64_t start, got;

	for (i = 0; i < n; i++) {
		r = order[i];
		tce__lock(&r->lock);
		start = r->start;
		if (i == 0) {
			start = r->hint;
			if (req->handle >= p->cfg.first_idx + r->start &&
			    req->handle < p->cfg.first_idx + r->end)
				start = req->handle - p->cfg.first_idx;
		}
		got = pass_search(p, r, start, c);
		if (got == TCE_BITMAP_NONE && i == 0 && start != r->start)
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

int tce_pool_alloc(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx)
{
	struct tce__constraints c;
	uint64_t rel;
	int rc = constraints_of(p, req, &c);

	if (rc)
		return rc;
	rc = p->cache ? tce__cache_alloc(p, &c, &rel) : -ENOENT;
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
