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
 * the fast paths never allocate. Layer: alloc.
 */
#include <errno.h>

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
 * Counters live beside what they count, under the same lock, so the fast
 * paths share no cache line between threads (a global atomic counter made
 * two threads run at 0.9x one, tce-bench alloc B2). The bound: a slot holds
 * at most cache_limit / 64 entries, the depot cache_limit / 2, so all the
 * caches together hold at most cache_limit = entries / 8.
 */
struct cache_slot {
	struct tce__lock lock;
	struct magazine *loaded[TCE_CACHE_CLASSES]; /* guarded by lock */
	struct magazine *prev[TCE_CACHE_CLASSES];   /* guarded by lock */
	uint64_t cached, hits;                      /* guarded by lock */
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
	uint64_t key = (uint64_t)(uintptr_t)pthread_self();

	return &cc->slots[((key * 0x9e3779b97f4a7c15ULL) >> 40) % CACHE_SLOTS];
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

static void cache_fini_locks(struct tce__cache *cc, unsigned slots)
{
	while (slots--)
		tce__lock_fini(&cc->slots[slots].lock);
	tce__lock_fini(&cc->depot.lock);
}

int tce__cache_create(struct tce_pool *p)
{
	struct tce__cache *cc = tce__calloc(p->ctx, sizeof(*cc));
	unsigned s;
	int rc;

	if (!cc)
		return -ENOMEM;
	cc->nmags = (size_t)TCE_CACHE_CLASSES * (2 * CACHE_SLOTS + DEPOT_MAGS);
	cc->mags = tce__calloc(p->ctx, cc->nmags * sizeof(*cc->mags));
	rc = cc->mags ? tce__lock_init(&cc->depot.lock, p->cfg.spinlocks) : -ENOMEM;
	for (s = 0; s < CACHE_SLOTS && !rc; s++) {
		rc = tce__lock_init(&cc->slots[s].lock, p->cfg.spinlocks);
		if (rc)
			cache_fini_locks(cc, s);
	}
	if (rc) {
		tce__free(p->ctx, cc->mags, cc->nmags * sizeof(*cc->mags));
		tce__free(p->ctx, cc, sizeof(*cc));
		return rc;
	}
	cache_assign(cc);
	cc->slot_limit = p->cfg.cache_limit / (2 * CACHE_SLOTS);
	cc->depot_limit = p->cfg.cache_limit / 2;
	p->cache = cc;
	return 0;
}

void tce__cache_destroy(struct tce_pool *p)
{
	struct tce__cache *cc = p->cache;

	cache_fini_locks(cc, CACHE_SLOTS);
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

int tce__cache_alloc(struct tce_pool *p, const struct tce__constraints *c, uint64_t *rel)
{
	struct tce__cache *cc = p->cache;
	struct cache_slot *s = my_slot(cc);
	struct magazine *m;
	uint64_t gen;
	unsigned k;
	int i;

	if (c->npages > TCE_CACHE_MAX_PAGES)
		return -ENOENT;
	k = class_of(c->npages);
	tce__lock(&s->lock);
	i = slot_find(cc, s, k, c, &m);
	if (i >= 0) {
		*rel = mag_take(m, i, &gen);
		/* Freed since the last flush: stale translations may remain. */
		if (p->parked && gen == atomic_load_explicit(&p->flush_gen, memory_order_acquire))
			tce__pool_flush(p);
		tce__bitmap_release_atomic(p->cached, *rel, c->npages);
		s->cached -= c->npages;
		s->hits++;
	}
	tce__unlock(&s->lock);
	return i < 0 ? -ENOENT : 0;
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

int tce__cache_free(struct tce_pool *p, uint64_t rel, uint64_t n)
{
	struct tce__cache *cc = p->cache;
	struct cache_slot *s;
	unsigned k;
	int rc;

	if (n > TCE_CACHE_MAX_PAGES)
		return -EAGAIN;
	k = class_of(n);
	s = my_slot(cc);
	tce__lock(&s->lock);
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
	tce__unlock(&s->lock);
	return rc;
}

void tce__cache_drain(struct tce_pool *p)
{
	struct tce__cache *cc = p->cache;
	struct cache_depot *d = &cc->depot;
	unsigned s, k;

	for (s = 0; s < CACHE_SLOTS; s++) {
		tce__lock(&cc->slots[s].lock);
		for (k = 0; k < TCE_CACHE_CLASSES; k++) {
			empty_magazine(p, cc->slots[s].loaded[k], 1ULL << k);
			empty_magazine(p, cc->slots[s].prev[k], 1ULL << k);
		}
		cc->slots[s].cached = 0;
		tce__unlock(&cc->slots[s].lock);
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

/* Visit every cached range under its slot's or the depot's lock. */
static int cache_walk(struct tce_pool *p, range_fn fn, void *arg)
{
	struct tce__cache *cc = p->cache;
	unsigned s, k, i;
	int rc = 0;

	for (s = 0; s < CACHE_SLOTS && !rc; s++) {
		tce__lock(&cc->slots[s].lock);
		for (k = 0; k < TCE_CACHE_CLASSES && !rc; k++) {
			rc = walk_mag(p, cc->slots[s].loaded[k], k, fn, arg);
			if (!rc)
				rc = walk_mag(p, cc->slots[s].prev[k], k, fn, arg);
		}
		tce__unlock(&cc->slots[s].lock);
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

/* Entries the counters say the caches hold, and the hits; takes every lock in turn. */
static uint64_t counted(struct tce__cache *cc, uint64_t *hits)
{
	uint64_t total = 0;
	unsigned s;

	*hits = 0;
	for (s = 0; s < CACHE_SLOTS; s++) {
		tce__lock(&cc->slots[s].lock);
		total += cc->slots[s].cached;
		*hits += cc->slots[s].hits;
		tce__unlock(&cc->slots[s].lock);
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
