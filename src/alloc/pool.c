/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pooled allocator's lifetime and bookkeeping: pool layout, reserved
 * ranges, validated frees (parked until a flush when there is a lazy flush),
 * counters and the invariant checker. The search lives in search.c and the
 * per-thread caches in cache.c. Layer: alloc.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/pool_int.h"
#include "util/arith.h"
#include "util/bitmap.h"

/*
 * Apply the defaults and check the request; fills nothing on error. The
 * window's end, as a bus address, must fit in 64 bits: end entry <=
 * 2^(64 - page_shift).
 */
static int config_grant(struct tce_pool_config *cfg)
{
	uint64_t end;

	if (!cfg->entries || cfg->page_shift < TCE_PAGE_SHIFT_MIN ||
	    cfg->page_shift > TCE_PAGE_SHIFT_MAX || cfg->nr_pools > TCE_POOLS_MAX ||
	    tce__add_overflows(cfg->first_idx, cfg->entries, &end) ||
	    end > 1ULL << (64 - cfg->page_shift) ||
	    (cfg->block_pages && !tce__is_pow2(cfg->block_pages)))
		return -EINVAL;
	if (!cfg->nr_pools)
		cfg->nr_pools = cfg->page_shift + tce__ilog2(cfg->entries) >= 30 ? 4 : 1;
	if (!cfg->large_threshold)
		cfg->large_threshold = 15;
	if (!cfg->block_pages)
		cfg->block_pages = 16;
	return 0;
}

/*
 * Split the window: small pools share three quarters (or all, without a
 * large pool) in sizes that are multiples of 64 entries; the large pool
 * takes the rest. A window too small for that gets one pool.
 */
static void layout(struct tce_pool *p)
{
	struct tce_pool_config *cfg = &p->cfg;
	uint64_t small = cfg->no_large_pool ? p->entries : p->entries * 3 / 4;
	uint64_t size = small / cfg->nr_pools / 64 * 64;
	unsigned i;

	if (!size) {
		cfg->nr_pools = 1;
		size = small / 64 * 64;
	}
	if (!size)
		size = p->entries;
	p->nr_pools = cfg->nr_pools;
	p->has_large = p->nr_pools * size < p->entries && !cfg->no_large_pool;
	for (i = 0; i < p->nr_pools; i++) {
		p->pools[i].start = p->pools[i].hint = i * size;
		p->pools[i].end = (i + 1) * size;
	}
	if (!p->has_large)
		p->pools[p->nr_pools - 1].end = p->entries;
	p->large.start = p->large.hint = p->has_large ? p->nr_pools * size : p->entries;
	p->large.end = p->entries;
	cfg->pool_entries = size;
	p->pool_recip = UINT64_MAX / size;
	cfg->large_start = cfg->first_idx + p->large.start;
	cfg->cache_limit = cfg->cache ? p->entries / 8 : 0;
}

static int init_locks(struct tce_pool *p)
{
	unsigned i;
	int rc = tce__lock_init_kind(&p->large.lock, tce__pool_lock_kind(p));

	if (rc)
		return rc; /* nothing set up: the large pool's lock failed first */
	for (i = 0; i < p->nr_pools; i++) {
		rc = tce__lock_init_kind(&p->pools[i].lock, tce__pool_lock_kind(p));
		if (rc)
			break;
	}
	if (!rc)
		return 0;
	while (i--)
		tce__lock_fini(&p->pools[i].lock);
	tce__lock_fini(&p->large.lock);
	return rc;
}

static void count_free(struct tce_pool *p)
{
	unsigned i;

	for (i = 0; i < p->nr_pools; i++)
		p->pools[i].free = p->pools[i].end - p->pools[i].start;
	p->large.free = p->large.end - p->large.start;
}

static void pool_free_mem(struct tce_pool *p)
{
	size_t bytes = tce__bitmap_words(p->entries) * sizeof(uint64_t);

	tce__free(p->ctx, p->map, bytes);
	tce__free(p->ctx, p->rsv, bytes);
	tce__free(p->ctx, p->parked, bytes);
	tce__free(p->ctx, p->cached, bytes);
	tce__free(p->ctx, p, sizeof(*p));
}

/* The bitmaps; on failure the caller frees what was allocated. */
static int pool_alloc_mem(struct tce_pool *p)
{
	size_t bytes = tce__bitmap_words(p->entries) * sizeof(uint64_t);

	p->map = tce__calloc(p->ctx, bytes);
	p->rsv = p->map ? tce__calloc(p->ctx, bytes) : NULL;
	if (!p->rsv)
		return -ENOMEM;
	if (p->cfg.lazy_flush && !(p->parked = tce__calloc(p->ctx, bytes)))
		return -ENOMEM;
	if (p->cfg.cache && !(p->cached = tce__calloc(p->ctx, bytes)))
		return -ENOMEM;
	return 0;
}

int tce_pool_create(struct tce_ctx *ctx, struct tce_pool_config *cfg, struct tce_pool **out)
{
	struct tce_pool_config granted = *cfg;
	struct tce_pool *p;
	int rc = config_grant(&granted);

	if (rc)
		return rc;
	p = tce__calloc(ctx, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->cfg = granted;
	p->entries = granted.entries;
	layout(p);
	rc = pool_alloc_mem(p);
	if (!rc)
		rc = init_locks(p);
	if (rc) {
		pool_free_mem(p);
		return rc;
	}
	count_free(p);
	rc = p->cfg.cache ? tce__cache_create(p) : 0;
	if (!rc && p->cfg.first_idx == 0)
		rc = tce_pool_reserve(p, 0, 1);
	if (rc) {
		tce_pool_destroy(p);
		return rc;
	}
	*cfg = p->cfg;
	*out = p;
	return 0;
}

void tce_pool_destroy(struct tce_pool *p)
{
	unsigned i;

	if (!p)
		return;
	if (p->cache)
		tce__cache_destroy(p);
	for (i = 0; i < p->nr_pools; i++)
		tce__lock_fini(&p->pools[i].lock);
	tce__lock_fini(&p->large.lock);
	pool_free_mem(p);
}

/*
 * rel / pool_entries by a multiply: the reciprocal's quotient is exact or
 * one short (rel < 2^63), and one step fixes it. A divide cost ~20 % of a
 * 1-page free (tce-bench alloc B1).
 */
struct tce__pool_range *tce__pool_of(struct tce_pool *p, uint64_t rel)
{
	uint64_t size = p->cfg.pool_entries, q;

	if (rel >= p->large.start)
		return &p->large;
	q = (uint64_t)(((unsigned __int128)rel * p->pool_recip) >> 64);
	q += (q + 1) * size <= rel;
	return &p->pools[tce__min_u64(q, p->nr_pools - 1)];
}

/* Lock every pool, in index order then the large pool. */
static void lock_all(struct tce_pool *p)
{
	unsigned i;

	for (i = 0; i < p->nr_pools; i++)
		tce__lock(&p->pools[i].lock);
	tce__lock(&p->large.lock);
}

static void unlock_all(struct tce_pool *p)
{
	unsigned i;

	tce__unlock(&p->large.lock);
	for (i = p->nr_pools; i--;)
		tce__unlock(&p->pools[i].lock);
}

#ifndef NDEBUG
/* Does this thread hold the lock of every pool [rel, rel + n) touches? (for debug asserts) */
static bool range_locked(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct tce__pool_range *r;

	for (; n; n -= tce__min_u64(n, r->end - rel), rel = r->end) {
		r = tce__pool_of(p, rel);
		if (!tce__lock_held(&r->lock))
			return false;
	}
	return true;
}
#endif

/* Count the entries of [rel, rel + n) per owning pool as allocated. Context: those pools' locks. */
static void take_range(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct tce__pool_range *r;
	uint64_t end = rel + n, chunk;

	tce__assert(range_locked(p, rel, n));
	tce__bitmap_set(p->map, rel, n);
	while (rel < end) {
		r = tce__pool_of(p, rel);
		chunk = tce__min_u64(end, r->end) - rel;
		r->free -= chunk;
		rel += chunk;
	}
}

int tce_pool_reserve(struct tce_pool *p, uint64_t idx, uint64_t npages)
{
	uint64_t rel = idx - p->cfg.first_idx;
	int rc = -EBUSY;

	if (idx < p->cfg.first_idx || !tce__range_inside(rel, npages, 0, p->entries))
		return -EINVAL;
	lock_all(p);
	if (tce__bitmap_range_zero(p->map, rel, npages)) {
		tce__bitmap_set(p->rsv, rel, npages);
		take_range(p, rel, npages);
		rc = 0;
	}
	unlock_all(p);
	return rc;
}

void tce__pool_flush(struct tce_pool *p)
{
	p->cfg.lazy_flush(p->cfg.flush_arg);
	atomic_fetch_add_explicit(&p->flush_gen, 1, memory_order_acq_rel);
}

void tce__pools_release(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct tce__pool_range *r = tce__pool_of(p, rel);

	tce__assert(tce__lock_held(&r->lock));
	if (p->parked) {
		tce__bitmap_set(p->parked, rel, n);
		r->parked += n;
		r->parked_gen = atomic_load_explicit(&p->flush_gen, memory_order_acquire);
		return;
	}
	tce__bitmap_clear(p->map, rel, n);
	r->free += n;
}

int tce__free_check(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	if (rel + n > tce__pool_of(p, rel)->end || !tce__bitmap_range_zero(p->rsv, rel, n))
		return -EINVAL;
	if (tce__bitmap_next_zero(p->map, rel, rel + n) != TCE_BITMAP_NONE)
		return -EINVAL;
	if (p->parked && !tce__bitmap_range_zero(p->parked, rel, n))
		return -EINVAL;
	if (p->cached && !tce__bitmap_range_zero(p->cached, rel, n))
		return -EINVAL;
	return 0;
}

/*
 * tce__free_check() and tce__pools_release() for one entry, a bit at a time
 * instead of a range search per bitmap. Context: @r's lock.
 */
static int free_one_locked(struct tce_pool *p, struct tce__pool_range *r, uint64_t rel)
{
	uint64_t w = rel / 64, b = 1ULL << (rel % 64);
	uint64_t m = __atomic_load_n(&p->map[w], __ATOMIC_RELAXED);

	if ((__atomic_load_n(&p->rsv[w], __ATOMIC_RELAXED) & b) || !(m & b) ||
	    (p->parked && tce__bit(p->parked, rel)) || (p->cached && tce__bit(p->cached, rel)))
		return -EINVAL;
	if (p->parked) {
		tce__bit_put(p->parked, rel, true);
		r->parked++;
		r->parked_gen = atomic_load_explicit(&p->flush_gen, memory_order_acquire);
		return 0;
	}
	__atomic_store_n(&p->map[w], m & ~b, __ATOMIC_RELAXED);
	r->free++;
	return 0;
}

/* A free of a range, or any free when the caches are on. */
static __attribute__((noinline)) int free_slow(struct tce_pool *p, uint64_t idx, uint64_t npages)
{
	struct tce__pool_range *r;
	uint64_t rel = idx - p->cfg.first_idx;
	int rc;

	if (idx < p->cfg.first_idx || !tce__range_inside(rel, npages, 0, p->entries)) {
		tce__err(p->ctx, "pool: free of [0x%" PRIx64 ", +%" PRIu64 ") outside the window",
			 idx, npages);
		return -EINVAL;
	}
	npages = tce__cache_round(p, npages);
	if (rel + npages > p->entries) {
		tce__err(p->ctx, "pool: free of [0x%" PRIx64 ", +%" PRIu64 ") (rounded) leaves the window",
			 idx, npages);
		return -EINVAL;
	}
	if (p->cache) {
		rc = tce__cache_free(p, rel, npages);
		if (rc != -EAGAIN)
			goto out;
	}
	r = tce__pool_of(p, rel);
	tce__lock(&r->lock);
	rc = tce__free_check(p, rel, npages);
	if (!rc)
		tce__pools_release(p, rel, npages);
	tce__unlock(&r->lock);
out:
	if (rc)
		tce__err(p->ctx, "pool: bad free of [0x%" PRIx64 ", +%" PRIu64 ")", idx, npages);
	return rc;
}

__attribute__((noinline, cold)) int tce__pool_bad_free_one(struct tce_pool *p, uint64_t idx)
{
	tce__err(p->ctx, "pool: bad free of [0x%" PRIx64 ", +1)", idx);
	return -EINVAL;
}

static inline int pool_free_one(struct tce_pool *p, uint64_t idx, uint64_t rel)
{
	struct tce__pool_range *r = tce__pool_of(p, rel);
	int rc;

	tce__lock(&r->lock);
	rc = free_one_locked(p, r, rel);
	tce__unlock(&r->lock);
	return rc ? tce__pool_bad_free_one(p, idx) : 0;
}

int tce__pool_free_one(struct tce_pool *p, uint64_t idx, uint64_t rel)
{
	return pool_free_one(p, idx, rel);
}

int tce_pool_free(struct tce_pool *p, uint64_t idx, uint64_t npages)
{
	uint64_t rel = idx - p->cfg.first_idx;

	if (npages != 1 || idx < p->cfg.first_idx || rel >= p->entries)
		return free_slow(p, idx, npages);
	if (p->cache)
		return tce__cache_free_one(p, idx, rel);
	return pool_free_one(p, idx, rel);
}

unsigned tce__pool_count(const struct tce_pool *p)
{
	return p->nr_pools + 1;
}

unsigned tce__pool_index(const struct tce_pool *p, uint64_t idx)
{
	struct tce_pool *w = (struct tce_pool *)p;
	const struct tce__pool_range *r = tce__pool_of(w, idx - p->cfg.first_idx);

	return r == &p->large ? p->nr_pools : (unsigned)(r - p->pools);
}

uint64_t tce__pool_rounded(const struct tce_pool *p, uint64_t npages)
{
	return tce__cache_round(p, npages);
}

bool tce__pool_same(const struct tce_pool *p, uint64_t a, uint64_t b)
{
	struct tce_pool *w = (struct tce_pool *)p;

	return tce__pool_of(w, a - p->cfg.first_idx) == tce__pool_of(w, b - p->cfg.first_idx);
}

bool tce__pool_rounds(const struct tce_pool *p)
{
	return p->cache != NULL;
}
