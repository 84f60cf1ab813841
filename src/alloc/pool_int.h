/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pooled allocator's private state, shared by its files: the bitmap and
 * its pools, parked frees waiting for a lazy flush, and the per-thread cache
 * layer. Layer: alloc. Includes util and the public header only.
 *
 * Layout of a window of E entries with N small pools (P = pool_entries, a
 * multiple of 64 so that no bitmap word is shared by two locks):
 *
 *  | range (window-relative)  | owner                          |
 *  |--------------------------|--------------------------------|
 *  | [i * P, (i + 1) * P)      | small pool i, 0 <= i < N        |
 *  | [N * P, E)                | the large pool (about E / 4)    |
 *
 * Bitmaps, one bit per entry:
 *
 *  | bitmap   | bit set when the entry is                  | written under          |
 *  |----------|--------------------------------------------|------------------------|
 *  | map      | allocated, reserved, parked or cached      | the owning pool's lock |
 *  | rsv      | reserved for good                          | every pool lock        |
 *  | parked   | freed, waiting for a lazy flush            | the owning pool's lock |
 *  | cached   | freed into a per-thread cache              | atomic RMW, no lock    |
 *
 * Readers that hold no lock (the cache's free validation) read words with
 * relaxed atomics, as every bitmap function does.
 */
#ifndef TCE_ALLOC_POOL_INT_H
#define TCE_ALLOC_POOL_INT_H

#include <stdatomic.h>

#include "util/lock.h"
#include "util/util.h"

#define TCE_POOLS_MAX 16
#define TCE_CACHE_CLASSES 6 /* 1, 2, 4, 8, 16, 32 pages */
#define TCE_CACHE_MAX_PAGES 32

/* The fields a one-page call reads share a cache line with the lock's word. */
struct tce__pool_range {
	uint64_t start, end;  /* relative; immutable */
	uint64_t hint;        /* guarded by lock */
	uint64_t free;        /* guarded by lock: zero bits of map in [start, end) */
	uint64_t parked;      /* guarded by lock: set bits of parked in [start, end) */
	uint64_t parked_gen;  /* guarded by lock: flush generation of the latest park */
	struct tce__lock lock;
} __attribute__((aligned(64)));

struct tce__cache; /* cache.c */

#define TCE__MOVED_SLOTS 32

struct tce_pool {
	struct tce_ctx *ctx;
	struct tce_pool_config cfg; /* granted; immutable */
	uint64_t entries;
	uint64_t *map;
	uint64_t *rsv;
	uint64_t *parked; /* NULL without a lazy flush */
	uint64_t *cached; /* NULL without caches */
	unsigned nr_pools;
	bool has_large;
	struct tce__pool_range pools[TCE_POOLS_MAX];
	struct tce__pool_range large;

	uint64_t pool_recip;            /* UINT64_MAX / pool_entries: pool_of without a divide */
	atomic_uint_fast64_t flush_gen; /* lazy flushes so far */
	/*
	 * Where a thread's one-page requests start since their home pool was
	 * busy, by thread: the top 48 bits of the thread key's hash, the home
	 * pool (bits 8-15) and the pool moved to (bits 0-7); 0 = none. Relaxed
	 * atomics: a stale or foreign value is only a different start.
	 */
	_Atomic uint64_t moved[TCE__MOVED_SLOTS];
	atomic_bool any_moved; /* a slot of moved was ever written: read them */
	struct tce__cache *cache;       /* NULL when caching is off */
};

/* Constraints of one request, in window-relative entries. */
struct tce__constraints {
	uint64_t npages;
	uint64_t limit;      /* entries at or above are out of the mask */
	uint64_t boundary;   /* pages; 0 = none */
	uint64_t align_mask; /* on the absolute entry */
	uint64_t first_idx;
};

/*
 * A number that tells the calling thread apart from every other live one,
 * for hashing to a home pool or a cache slot: the thread pointer where the
 * compiler reads it (one load, no call), else pthread_self().
 */
static inline uint64_t tce__thread_key(void)
{
#if defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
	return (uint64_t)(uintptr_t)__builtin_thread_pointer();
#define TCE__THREAD_KEY_DONE
#endif
#endif
#ifndef TCE__THREAD_KEY_DONE
	return (uint64_t)(uintptr_t)pthread_self();
#endif
#undef TCE__THREAD_KEY_DONE
}

/*
 * The allocator's locks: spinlocks when asked for, else word locks (one
 * atomic each way uncontended; waiters sleep), not pthread mutexes: a
 * mutex pair cost about 59 instructions more than a word (issue 12 G1).
 */
static inline enum tce__lock_kind tce__pool_lock_kind(const struct tce_pool *p)
{
	return p->cfg.spinlocks ? TCE__LOCK_SPIN : TCE__LOCK_WORD;
}

/* The pool that owns window-relative entry @rel. */
struct tce__pool_range *tce__pool_of(struct tce_pool *p, uint64_t rel);

/* Bit @i of @map, read as the bitmap functions read it (relaxed). */
static inline bool tce__bit(const uint64_t *map, uint64_t i)
{
	return (__atomic_load_n(&map[i / 64], __ATOMIC_RELAXED) >> (i % 64)) & 1;
}

/* Set or clear bit @i of @map; the caller holds the word's pool lock. */
static inline void tce__bit_put(uint64_t *map, uint64_t i, bool on)
{
	uint64_t w = __atomic_load_n(&map[i / 64], __ATOMIC_RELAXED), b = 1ULL << (i % 64);

	__atomic_store_n(&map[i / 64], on ? w | b : w & ~b, __ATOMIC_RELAXED);
}

/*
 * Allocate from the pools alone, in the pass order of spec kernel.md §2.3.
 * Returns 0 and *rel, or -ENOSPC. Context: takes pool locks one at a time.
 */
int tce__pools_alloc(struct tce_pool *p, const struct tce__constraints *c,
		     struct tce_alloc_req *req, uint64_t *rel);

/*
 * Validate a free of [rel, rel + n): inside one pool, not reserved, every
 * entry allocated and neither parked nor held by a cache.
 * Returns 0 or -EINVAL. Context: the lock of the owning pool.
 */
int tce__free_check(struct tce_pool *p, uint64_t rel, uint64_t n);

/* Return [rel, rel + n) to its pool (parked when there is a lazy flush). */
void tce__pools_release(struct tce_pool *p, uint64_t rel, uint64_t n);

/* Call the lazy flush and advance the generation. */
void tce__pool_flush(struct tce_pool *p);

/* True if [rel, rel + n) satisfies @c. */
bool tce__fits(const struct tce__constraints *c, uint64_t rel);

/* Cache layer (cache.c). */
int tce__cache_create(struct tce_pool *p);
void tce__cache_destroy(struct tce_pool *p);
/*
 * Pop a cached range for @c; 0 and *rel, or -ENOENT (none fits, or another
 * thread holds this thread's slot). Context: claims the slot; no waiting.
 */
int tce__cache_alloc(struct tce_pool *p, const struct tce__constraints *c, uint64_t *rel);
/*
 * tce_pool_alloc() of one page with no mask, boundary or alignment on a
 * caching pool: the magazine hit, else tce__pool_alloc_slow().
 */
int tce__cache_alloc_one(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx);
/* tce_pool_alloc() past its fast paths; @cache_tried: the cache missed. */
int tce__pool_alloc_slow(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx,
			 bool cache_tried);
/*
 * Push a freed range: 0 when cached; -EINVAL for a bad free; -EAGAIN when
 * the range must go back to the pools instead (too big, cache full).
 * Context: claims this thread's slot, or when another thread holds it the
 * next free one; waits only when every slot is held.
 */
int tce__cache_free(struct tce_pool *p, uint64_t rel, uint64_t n);
/*
 * tce_pool_free() of one page inside the window on a caching pool: pushed
 * into a magazine, checked a bit at a time, else tce__pool_free_one().
 */
int tce__cache_free_one(struct tce_pool *p, uint64_t idx, uint64_t rel);
/* tce_pool_free() of one page inside the window, into its pool. */
int tce__pool_free_one(struct tce_pool *p, uint64_t idx, uint64_t rel);
/* The error tce_pool_free() returns, logged, for a bad one-page free. */
int tce__pool_bad_free_one(struct tce_pool *p, uint64_t idx);
/* Return every cached range to the pools. */
void tce__cache_drain(struct tce_pool *p);
/* Counters and checks under the cache locks. */
void tce__cache_stats(struct tce_pool *p, struct tce_pool_stats *out);
int tce__cache_check(struct tce_pool *p, const struct tce_table *t);
/* Round a request size for the cache: a power of two up to 32, else unchanged. */
uint64_t tce__cache_round(const struct tce_pool *p, uint64_t npages);

#endif /* TCE_ALLOC_POOL_INT_H */
