/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread caches of freed ranges in front of the pools, in the spirit of
 * Linux iova.c's magazines: each thread hashes to a slot holding, per size
 * class (1, 2, 4, 8, 16, 32 pages), a loaded and a previous magazine; full
 * magazines move to a shared depot. A free goes to the freeing thread's
 * slot, so frees from other threads need no special path. Cached ranges stay
 * set in the pool bitmap and are marked in the cached bitmap; the total is
 * bounded by entries / 8, and every cache is drained back to the pools
 * before an allocation may fail. All magazines are allocated up front, so
 * the fast paths never allocate. A slot is not locked but claimed: one
 * compare-and-swap takes it and a release store gives it back. An
 * allocation that finds its slot held by another thread goes to the pools
 * instead of waiting (as Linux's per-CPU rcache runs with preemption off), a
 * free takes the next free slot; only drains, walks and counters (and a free
 * when all 32 slots are held) wait for a claim. Layer: alloc.
 */
#include <errno.h>
#include <sched.h>

#include "alloc/pool_int.h"
#include "util/arith.h"
#include "util/bitmap.h"

#define CACHE_SLOTS 32
#define MAG_SIZE 32
#define DEPOT_MAGS 16 /* full magazines per class in the depot */

struct magazine {
	uint32_t count;
	uint64_t rel[MAG_SIZE];
	uint64_t gen[MAG_SIZE]; /* flush generation when the range was freed */
};

/*
 * Counters live beside what they count, under the same claim, so the fast
 * paths share no cache line between threads (a global atomic counter made
 * two threads run at 0.9x one, tce-bench alloc B2). The bound: a slot holds
 * at most cache_limit / 64 entries, the depot cache_limit / 2, so all the
 * caches together hold at most cache_limit = entries / 8.
 */
struct cache_slot {
	atomic_uint claim;                          /* 1 while a thread holds the slot */
	struct magazine *loaded[TCE_CACHE_CLASSES]; /* guarded by claim */
	struct magazine *prev[TCE_CACHE_CLASSES];   /* guarded by claim */
	uint64_t cached, hits;                      /* guarded by claim */
	uint64_t limit; /* entries the slot may hold: slot_limit, here for the fast path */
} __attribute__((aligned(64)));

struct cache_depot {
	struct tce__lock lock;
	struct magazine *full[TCE_CACHE_CLASSES][DEPOT_MAGS]; /* guarded by lock */
	unsigned nfull[TCE_CACHE_CLASSES];
	struct magazine *empty[TCE_CACHE_CLASSES][DEPOT_MAGS];
	unsigned nempty[TCE_CACHE_CLASSES];
	uint64_t cached;                                      /* guarded by lock */
};

struct tce__cache {
	struct cache_slot slots[CACHE_SLOTS];
	struct cache_depot depot;
	struct magazine *mags; /* every magazine, one allocation */
	size_t nmags;
	uint64_t slot_limit, depot_limit; /* immutable */
	atomic_uint_fast64_t drains;
};

uint64_t tce__cache_round(const struct tce_pool *p, uint64_t npages)
{
	if (!p->cache || npages == 0 || npages > TCE_CACHE_MAX_PAGES)
		return npages;
	return 1ULL << (tce__ilog2(npages) + !tce__is_pow2(npages));
}

static unsigned class_of(uint64_t npages)
{
	return tce__ilog2(npages);
}

static struct cache_slot *my_slot(struct tce__cache *cc)
{
	return &cc->slots[((tce__thread_key() * 0x9e3779b97f4a7c15ULL) >> 40) % CACHE_SLOTS];
}

/*
 * Take @s if no thread holds it: one compare-and-swap with acquire, paired
 * with the release store of slot_put(), so the next holder sees everything
 * the last one wrote (ThreadSanitizer follows the same pair).
 */
static bool slot_try(struct cache_slot *s)
{
	unsigned free_ = 0;

	return atomic_compare_exchange_strong_explicit(&s->claim, &free_, 1, memory_order_acquire,
						       memory_order_relaxed);
}

static void slot_put(struct cache_slot *s)
{
	atomic_store_explicit(&s->claim, 0, memory_order_release);
}

/*
 * Take @s, waiting for its holder: for drains, walks and counters only,
 * which hold no pool or depot lock here, while a holder takes at most the
 * depot's and the pools' locks, so the wait always ends. A holder may be
 * running a lazy flush or have been preempted, hence the yield.
 */
static void slot_wait(struct cache_slot *s)
{
	unsigned spins = 0;

	while (!slot_try(s)) {
		while (atomic_load_explicit(&s->claim, memory_order_relaxed)) {
			if (++spins % 64 == 0)
				sched_yield();
			else
				tce__cpu_relax();
		}
	}
}

/*
 * A free whose slot @s another thread holds: the next slot that is free, so
 * that a free the bound admits is still cached, else (every slot held) @s
 * after waiting for it. Returns the slot taken.
 */
static __attribute__((noinline, cold)) struct cache_slot *slot_for_free(struct tce__cache *cc,
									struct cache_slot *s)
{
	unsigned home = (unsigned)(s - cc->slots), i;

	for (i = 1; i < CACHE_SLOTS; i++) {
		if (slot_try(&cc->slots[(home + i) % CACHE_SLOTS]))
			return &cc->slots[(home + i) % CACHE_SLOTS];
	}
	slot_wait(s);
	return s;
}

/* Hand out the magazines: two per slot and class, the rest to the depot. */
static void cache_assign(struct tce__cache *cc)
{
	size_t m = 0;
	unsigned s, k, i;

	for (s = 0; s < CACHE_SLOTS; s++) {
		for (k = 0; k < TCE_CACHE_CLASSES; k++) {
			cc->slots[s].loaded[k] = &cc->mags[m++];
			cc->slots[s].prev[k] = &cc->mags[m++];
		}
	}
	for (k = 0; k < TCE_CACHE_CLASSES; k++) {
		for (i = 0; i < DEPOT_MAGS; i++)
			cc->depot.empty[k][i] = &cc->mags[m++];
		cc->depot.nempty[k] = DEPOT_MAGS;
	}
}

int tce__cache_create(struct tce_pool *p)
{
	struct tce__cache *cc = tce__calloc(p->ctx, sizeof(*cc));
	int rc;

	if (!cc)
		return -ENOMEM;
	cc->nmags = (size_t)TCE_CACHE_CLASSES * (2 * CACHE_SLOTS + DEPOT_MAGS);
	cc->mags = tce__calloc(p->ctx, cc->nmags * sizeof(*cc->mags));
	rc = cc->mags ? tce__lock_init_kind(&cc->depot.lock, tce__pool_lock_kind(p)) : -ENOMEM;
	if (rc) {
		tce__free(p->ctx, cc->mags, cc->nmags * sizeof(*cc->mags));
		tce__free(p->ctx, cc, sizeof(*cc));
		return rc;
	}
	cache_assign(cc);
	cc->slot_limit = p->cfg.cache_limit / (2 * CACHE_SLOTS);
	for (unsigned s = 0; s < CACHE_SLOTS; s++)
		cc->slots[s].limit = cc->slot_limit;
	cc->depot_limit = p->cfg.cache_limit / 2;
	p->cache = cc;
	return 0;
}

void tce__cache_destroy(struct tce_pool *p)
{
	struct tce__cache *cc = p->cache;

	tce__lock_fini(&cc->depot.lock);
	tce__free(p->ctx, cc->mags, cc->nmags * sizeof(*cc->mags));
	tce__free(p->ctx, cc, sizeof(*cc));
	p->cache = NULL;
}

/* Return one cached range to its pool. Context: no pool lock held. */
static void uncache(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct tce__pool_range *r = tce__pool_of(p, rel);

	tce__lock(&r->lock);
	tce__bitmap_release_atomic(p->cached, rel, n);
	tce__pools_release(p, rel, n);
	tce__unlock(&r->lock);
}

/* Return a magazine's ranges of @n pages to the pools; the entries it held. */
static uint64_t empty_magazine(struct tce_pool *p, struct magazine *m, uint64_t n)
{
	uint64_t entries = m->count * n;

	while (m->count) {
		m->count--;
		uncache(p, m->rel[m->count], n);
	}
	return entries;
}

/* Index of the newest entry of @m that fits @c, or -1. */
static int mag_find(const struct magazine *m, const struct tce__constraints *c)
{
	int i;

	for (i = (int)m->count - 1; i >= 0; i--)
		if (tce__fits(c, m->rel[i]))
			return i;
	return -1;
}

static uint64_t mag_take(struct magazine *m, int i, uint64_t *gen)
{
	uint64_t rel = m->rel[i];

	*gen = m->gen[i];
	m->count--;
	m->rel[i] = m->rel[m->count];
	m->gen[i] = m->gen[m->count];
	return rel;
}

/* Swap the slot's empty loaded magazine for a full one from the depot. */
static bool depot_refill(struct tce__cache *cc, struct cache_slot *s, unsigned k)
{
	struct cache_depot *d = &cc->depot;
	bool ok = false;

	uint64_t moved;

	tce__lock(&d->lock);
	if (d->nfull[k] && d->nempty[k] < DEPOT_MAGS) {
		d->empty[k][d->nempty[k]++] = s->loaded[k];
		s->loaded[k] = d->full[k][--d->nfull[k]];
		moved = s->loaded[k]->count * (1ULL << k);
		d->cached -= moved;
		s->cached += moved;
		ok = true;
	}
	tce__unlock(&d->lock);
	return ok;
}

/* Find a fitting range in the slot, refilling from the depot once. */
static int slot_find(struct tce__cache *cc, struct cache_slot *s, unsigned k,
		     const struct tce__constraints *c, struct magazine **m)
{
	struct magazine *tmp;
	int i = mag_find(s->loaded[k], c);

	if (i < 0 && (i = mag_find(s->prev[k], c)) >= 0) {
		tmp = s->loaded[k];
		s->loaded[k] = s->prev[k];
		s->prev[k] = tmp;
	}
	if (i < 0 && s->loaded[k]->count == 0 && depot_refill(cc, s, k))
		i = mag_find(s->loaded[k], c);
	*m = s->loaded[k];
	return i;
}

/* A range freed at flush generation @gen is reused: flush first if none followed. */
static void reuse_flush(struct tce_pool *p, uint64_t gen)
{
	/* Freed since the last flush: stale translations may remain. */
	if (p->parked && gen == atomic_load_explicit(&p->flush_gen, memory_order_acquire))
		tce__pool_flush(p);
}

/* tce__cache_alloc() in a slot the caller holds. */
static __attribute__((noinline)) int slot_alloc(struct tce_pool *p, struct cache_slot *s,
						const struct tce__constraints *c, uint64_t *rel)
{
	unsigned k = class_of(c->npages);
	struct magazine *m;
	uint64_t gen;
	int i = slot_find(p->cache, s, k, c, &m);

	if (i < 0)
		return -ENOENT;
	*rel = mag_take(m, i, &gen);
	reuse_flush(p, gen);
	tce__bitmap_release_atomic(p->cached, *rel, c->npages);
	s->cached -= c->npages;
	s->hits++;
	return 0;
}

int tce__cache_alloc(struct tce_pool *p, const struct tce__constraints *c, uint64_t *rel)
{
	struct cache_slot *s = my_slot(p->cache);
	int rc;

	if (c->npages > TCE_CACHE_MAX_PAGES || !slot_try(s))
		return -ENOENT;
	rc = slot_alloc(p, s, c, rel);
	slot_put(s);
	return rc;
}

/* Hand out @rel, which left the cache, as tce_pool_alloc() does. */
static int alloc_done(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx, uint64_t rel)
{
	*idx = p->cfg.first_idx + rel;
	req->handle = *idx + 1;
	return 0;
}

/*
 * The one-page allocation when the loaded magazine is empty (the previous
 * one and the depot), or when a lazy flush may be due, in the slot held.
 */
static __attribute__((noinline)) int alloc_one_slow(struct tce_pool *p, struct cache_slot *s,
						    struct tce_alloc_req *req, uint64_t *idx)
{
	struct tce__constraints one = { .npages = 1, .limit = p->entries,
					.first_idx = p->cfg.first_idx };
	uint64_t rel;
	int rc = slot_alloc(p, s, &one, &rel);

	slot_put(s);
	if (rc)
		return tce__pool_alloc_slow(p, req, idx, true);
	return alloc_done(p, req, idx, rel);
}

/*
 * The magazine hit: claim the slot, pop the newest range, clear its cached
 * bit, count, give the slot back. No call on this path, so it saves no
 * registers; everything else runs out of line.
 */
int tce__cache_alloc_one(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx)
{
	struct cache_slot *s = my_slot(p->cache);
	struct magazine *m;
	uint64_t rel;

	if (!slot_try(s))
		return tce__pool_alloc_slow(p, req, idx, true);
	m = s->loaded[0];
	if (__builtin_expect(m->count == 0 || p->parked, 0))
		return alloc_one_slow(p, s, req, idx);
	rel = m->rel[--m->count];
	__atomic_fetch_and(&p->cached[rel / 64], ~(1ULL << (rel % 64)), __ATOMIC_RELEASE);
	s->cached--;
	s->hits++;
	slot_put(s);
	return alloc_done(p, req, idx, rel);
}

/* Move a full loaded magazine to the depot, or empty it into the pools. */
static void slot_make_room(struct tce_pool *p, struct cache_slot *s, unsigned k)
{
	struct tce__cache *cc = p->cache;
	struct cache_depot *d = &cc->depot;
	uint64_t full = MAG_SIZE * (1ULL << k);
	struct magazine *tmp;

	if (s->prev[k]->count == 0) {
		tmp = s->loaded[k];
		s->loaded[k] = s->prev[k];
		s->prev[k] = tmp;
		return;
	}
	tce__lock(&d->lock);
	if (d->nempty[k] && d->cached + full <= cc->depot_limit) {
		d->full[k][d->nfull[k]++] = s->loaded[k];
		s->loaded[k] = d->empty[k][--d->nempty[k]];
		d->cached += full;
		tmp = NULL;
	} else {
		tmp = s->loaded[k];
	}
	tce__unlock(&d->lock);
	s->cached -= full;
	if (tmp)
		empty_magazine(p, tmp, 1ULL << k);
}

/* A cached free must be as valid as a pool free; the claim catches doubles. */
static int cache_free_check(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	if (rel + n > tce__pool_of(p, rel)->end || !tce__bitmap_range_zero(p->rsv, rel, n) ||
	    tce__bitmap_next_zero(p->map, rel, rel + n) != TCE_BITMAP_NONE)
		return -EINVAL;
	if (p->parked && !tce__bitmap_range_zero(p->parked, rel, n))
		return -EINVAL;
	return 0;
}

/* tce__cache_free() in a slot the caller holds. */
static __attribute__((noinline)) int slot_free(struct tce_pool *p, struct cache_slot *s,
					       uint64_t rel, uint64_t n)
{
	struct tce__cache *cc = p->cache;
	unsigned k = class_of(n);
	int rc;

	if (s->loaded[k]->count == MAG_SIZE)
		slot_make_room(p, s, k);
	rc = -EAGAIN; /* over the slot's share of the bound: back to the pools */
	if (s->cached + n <= cc->slot_limit) {
		rc = -EINVAL; /* already cached: a double free */
		if (tce__bitmap_claim_atomic(p->cached, rel, n)) {
			rc = cache_free_check(p, rel, n);
			if (rc)
				tce__bitmap_release_atomic(p->cached, rel, n);
		}
	}
	if (!rc) {
		s->loaded[k]->rel[s->loaded[k]->count] = rel;
		s->loaded[k]->gen[s->loaded[k]->count++] =
			atomic_load_explicit(&p->flush_gen, memory_order_acquire);
		s->cached += n;
	}
	return rc;
}

int tce__cache_free(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct cache_slot *s = my_slot(p->cache);
	int rc;

	if (n > TCE_CACHE_MAX_PAGES)
		return -EAGAIN;
	if (!slot_try(s))
		s = slot_for_free(p->cache, s);
	rc = slot_free(p, s, rel, n);
	slot_put(s);
	return rc;
}

/*
 * cache_free_check() for one entry after claiming its cached bit, on a pool
 * without a lazy flush (nothing is parked): the bits of its word, no range
 * search. -EINVAL leaves the cached bit as it was.
 */
static int claim_one(struct tce_pool *p, uint64_t rel)
{
	uint64_t w = rel / 64, b = 1ULL << (rel % 64);

	if (__atomic_fetch_or(&p->cached[w], b, __ATOMIC_ACQ_REL) & b)
		return -EINVAL; /* already cached: a double free */
	if ((__atomic_load_n(&p->rsv[w], __ATOMIC_RELAXED) & b) ||
	    !(__atomic_load_n(&p->map[w], __ATOMIC_RELAXED) & b)) {
		__atomic_fetch_and(&p->cached[w], ~b, __ATOMIC_RELEASE);
		return -EINVAL;
	}
	return 0;
}

/* The rest of tce__cache_free_one(): a full magazine, the bound, a lazy flush. */
static __attribute__((noinline)) int free_one_slow(struct tce_pool *p, struct cache_slot *s,
						   uint64_t idx, uint64_t rel)
{
	int rc = slot_free(p, s, rel, 1);

	slot_put(s);
	if (rc == -EAGAIN)
		return tce__pool_free_one(p, idx, rel);
	return rc ? tce__pool_bad_free_one(p, idx) : 0;
}

/* The push of a one-page free; as the hit, no call on the path. */
int tce__cache_free_one(struct tce_pool *p, uint64_t idx, uint64_t rel)
{
	struct cache_slot *s = my_slot(p->cache);
	struct magazine *m;

	if (!slot_try(s))
		s = slot_for_free(p->cache, s);
	m = s->loaded[0];
	if (__builtin_expect(m->count == MAG_SIZE || s->cached >= s->limit || p->parked, 0))
		return free_one_slow(p, s, idx, rel);
	if (claim_one(p, rel)) {
		slot_put(s);
		return tce__pool_bad_free_one(p, idx);
	}
	m->rel[m->count++] = rel;
	s->cached++;
	slot_put(s);
	return 0;
}

void tce__cache_drain(struct tce_pool *p)
{
	struct tce__cache *cc = p->cache;
	struct cache_depot *d = &cc->depot;
	unsigned s, k;

	for (s = 0; s < CACHE_SLOTS; s++) {
		slot_wait(&cc->slots[s]);
		for (k = 0; k < TCE_CACHE_CLASSES; k++) {
			empty_magazine(p, cc->slots[s].loaded[k], 1ULL << k);
			empty_magazine(p, cc->slots[s].prev[k], 1ULL << k);
		}
		cc->slots[s].cached = 0;
		slot_put(&cc->slots[s]);
	}
	tce__lock(&d->lock);
	for (k = 0; k < TCE_CACHE_CLASSES; k++) {
		while (d->nfull[k]) {
			struct magazine *m = d->full[k][--d->nfull[k]];

			empty_magazine(p, m, 1ULL << k);
			d->empty[k][d->nempty[k]++] = m;
		}
	}
	d->cached = 0;
	tce__unlock(&d->lock);
	atomic_fetch_add_explicit(&cc->drains, 1, memory_order_relaxed);
}

typedef int (*range_fn)(struct tce_pool *p, uint64_t rel, uint64_t n, void *arg);

static int walk_mag(struct tce_pool *p, const struct magazine *m, unsigned k, range_fn fn,
		    void *arg)
{
	uint32_t j;
	int rc = 0;

	for (j = 0; j < m->count && !rc; j++)
		rc = fn(p, m->rel[j], 1ULL << k, arg);
	return rc;
}

/* Visit every cached range holding its slot or under the depot's lock. */
static int cache_walk(struct tce_pool *p, range_fn fn, void *arg)
{
	struct tce__cache *cc = p->cache;
	unsigned s, k, i;
	int rc = 0;

	for (s = 0; s < CACHE_SLOTS && !rc; s++) {
		slot_wait(&cc->slots[s]);
		for (k = 0; k < TCE_CACHE_CLASSES && !rc; k++) {
			rc = walk_mag(p, cc->slots[s].loaded[k], k, fn, arg);
			if (!rc)
				rc = walk_mag(p, cc->slots[s].prev[k], k, fn, arg);
		}
		slot_put(&cc->slots[s]);
	}
	tce__lock(&cc->depot.lock);
	for (k = 0; k < TCE_CACHE_CLASSES && !rc; k++)
		for (i = 0; i < cc->depot.nfull[k] && !rc; i++)
			rc = walk_mag(p, cc->depot.full[k][i], k, fn, arg);
	tce__unlock(&cc->depot.lock);
	return rc;
}

struct check_arg {
	const struct tce_table *t;
	uint64_t total;
};

/* A cached range is allocated and marked cached, and no TCE maps it. */
static int check_range(struct tce_pool *p, uint64_t rel, uint64_t n, void *arg)
{
	struct check_arg *a = arg;
	uint64_t i, tce;

	a->total += n;
	if (tce__bitmap_weight(p->map, rel, n) != n || tce__bitmap_weight(p->cached, rel, n) != n) {
		tce__err(p->ctx, "pool check: cached range at +%llu not marked",
			 (unsigned long long)rel);
		return -EIO;
	}
	for (i = 0; a->t && i < n; i++) {
		if (tce_table_get(a->t, p->cfg.first_idx + rel + i, &tce) || tce) {
			tce__err(p->ctx, "pool check: cached entry +%llu is mapped",
				 (unsigned long long)(rel + i));
			return -EIO;
		}
	}
	return 0;
}

/* Entries the counters say the caches hold, and the hits; takes every slot in turn. */
static uint64_t counted(struct tce__cache *cc, uint64_t *hits)
{
	uint64_t total = 0;
	unsigned s;

	*hits = 0;
	for (s = 0; s < CACHE_SLOTS; s++) {
		slot_wait(&cc->slots[s]);
		total += cc->slots[s].cached;
		*hits += cc->slots[s].hits;
		slot_put(&cc->slots[s]);
	}
	tce__lock(&cc->depot.lock);
	total += cc->depot.cached;
	tce__unlock(&cc->depot.lock);
	return total;
}

int tce__cache_check(struct tce_pool *p, const struct tce_table *t)
{
	struct check_arg a = { .t = t };
	uint64_t hits, want;
	int rc = cache_walk(p, check_range, &a);

	want = counted(p->cache, &hits);
	if (!rc && (a.total != want || want > p->cfg.cache_limit)) {
		tce__err(p->ctx, "pool check: caches hold %llu entries, counters say %llu (bound %llu)",
			 (unsigned long long)a.total, (unsigned long long)want,
			 (unsigned long long)p->cfg.cache_limit);
		rc = -EIO;
	}
	if (!rc && a.total != tce__bitmap_weight(p->cached, 0, p->entries)) {
		tce__err(p->ctx, "pool check: cached bitmap disagrees with the caches");
		rc = -EIO;
	}
	return rc;
}

void tce__cache_stats(struct tce_pool *p, struct tce_pool_stats *out)
{
	out->cached = counted(p->cache, &out->cache_hits);
	out->drains = atomic_load(&p->cache->drains);
}
