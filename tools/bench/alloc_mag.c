/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BL-TREE+MAG of spec performance.md §6.2: BL-TREE with the per-CPU
 * magazine layer of Linux iova.c (the "rcache", after Bonwick's magazines).
 * Requests of up to 32 pages are rounded up to a power of two (size classes
 * of order 0..5) and allocated size-aligned. Per worker (= pinned CPU) and
 * class there is a loaded and a previous magazine of 127 ranges under a
 * per-CPU lock; full magazines go to a shared depot of at most 32 per class
 * (the original MAX_GLOBAL_MAGS; a full depot sends the magazine back to the
 * tree). An allocation that fails flushes every cache into the tree and
 * retries once. Frees are not validated, as free_iova_fast() does not.
 * Layer: tools.
 */
#include <errno.h>
#include <stdlib.h>

#include "alloc.h"
#include "alloc_lock.h"

#define MAG_SIZE 127 /* count + 127 entries = 1 KiB */
#define MAG_CLASSES 6 /* 1..32 pages */
#define DEPOT_MAX 32

struct mag {
	uint64_t size;
	uint64_t pfn[MAG_SIZE];
};

struct cpu_cache {
	struct bl_lock lock;
	struct mag *loaded, *prev; /* guarded by lock */
} __attribute__((aligned(64)));

struct rcache {
	struct bl_lock lock; /* guards the depot */
	unsigned depot_size;
	struct mag *depot[DEPOT_MAX];
	struct cpu_cache cpu[ALLOC_THREADS_MAX];
};

struct tree_mag {
	struct bl_tree *t;
	struct rcache rc[MAG_CLASSES];
	atomic_uint_fast64_t hits;
};

/* Cacheable sizes round up to a power of two; others are left alone. */
static uint64_t mag_round(uint64_t n)
{
	if (n <= 1 || n > (1U << (MAG_CLASSES - 1)))
		return n;
	return 1ULL << (64 - __builtin_clzll(n - 1));
}

static unsigned class_of(uint64_t n)
{
	return (unsigned)__builtin_ctzll(n);
}

/* Pop the newest range that ends below @limit (iova_magazine_pop()). */
static bool mag_pop(struct mag *m, uint64_t limit, uint64_t n, uint64_t *pfn)
{
	uint64_t i = m->size;

	while (i && m->pfn[i - 1] + n > limit)
		i--;
	if (!i)
		return false;
	*pfn = m->pfn[i - 1];
	m->pfn[i - 1] = m->pfn[--m->size];
	return true;
}

/*
 * __iova_rcache_get(): pop from the loaded magazine if it holds anything,
 * else from the previous one (swapped in), else from a depot magazine that
 * replaces the empty loaded one; only that one magazine is searched.
 */
static bool cache_get(struct rcache *rc, unsigned tid, uint64_t limit, uint64_t n,
		      uint64_t *pfn)
{
	struct cpu_cache *c = &rc->cpu[tid];
	struct mag *tmp, *old = NULL;
	bool has = true, got = false;

	bl_lock(&c->lock);
	if (!c->loaded->size && c->prev->size) {
		tmp = c->loaded;
		c->loaded = c->prev;
		c->prev = tmp;
	} else if (!c->loaded->size) {
		bl_lock(&rc->lock);
		has = rc->depot_size > 0;
		if (has) {
			old = c->loaded;
			c->loaded = rc->depot[--rc->depot_size];
		}
		bl_unlock(&rc->lock);
	}
	if (has)
		got = mag_pop(c->loaded, limit, n, pfn);
	bl_unlock(&c->lock);
	free(old);
	return got;
}

/* Push a full @m to the depot, or return it for freeing to the tree. */
static struct mag *depot_push(struct rcache *rc, struct mag *m)
{
	bl_lock(&rc->lock);
	if (rc->depot_size < DEPOT_MAX) {
		rc->depot[rc->depot_size++] = m;
		m = NULL;
	}
	bl_unlock(&rc->lock);
	return m;
}

/* __iova_rcache_insert(): false when the range must go to the tree. */
static bool cache_put(struct tree_mag *tm, struct rcache *rc, unsigned tid, uint64_t pfn,
		      uint64_t n)
{
	struct cpu_cache *c = &rc->cpu[tid];
	struct mag *tmp, *fresh, *spill = NULL;
	bool ok = true;

	bl_lock(&c->lock);
	if (c->loaded->size == MAG_SIZE && c->prev->size < MAG_SIZE) {
		tmp = c->loaded;
		c->loaded = c->prev;
		c->prev = tmp;
	} else if (c->loaded->size == MAG_SIZE) {
		fresh = calloc(1, sizeof(*fresh));
		if (fresh) {
			spill = depot_push(rc, c->loaded);
			c->loaded = fresh;
		}
		ok = fresh != NULL;
	}
	if (ok)
		c->loaded->pfn[c->loaded->size++] = pfn;
	bl_unlock(&c->lock);
	if (spill) {
		bl_tree_free_many(tm->t, spill->pfn, (unsigned)spill->size, n);
		free(spill);
	}
	return ok;
}

/* Every cached range back to the tree (free_cpu_cached_iovas + global). */
static void flush_all(struct tree_mag *tm)
{
	struct rcache *rc;
	unsigned k, c;
	uint64_t n;

	for (k = 0; k < MAG_CLASSES; k++) {
		rc = &tm->rc[k];
		n = 1ULL << k;
		for (c = 0; c < ALLOC_THREADS_MAX; c++) {
			bl_lock(&rc->cpu[c].lock);
			bl_tree_free_many(tm->t, rc->cpu[c].loaded->pfn, (unsigned)rc->cpu[c].loaded->size, n);
			bl_tree_free_many(tm->t, rc->cpu[c].prev->pfn, (unsigned)rc->cpu[c].prev->size, n);
			rc->cpu[c].loaded->size = rc->cpu[c].prev->size = 0;
			bl_unlock(&rc->cpu[c].lock);
		}
		bl_lock(&rc->lock);
		while (rc->depot_size) {
			struct mag *m = rc->depot[--rc->depot_size];

			bl_tree_free_many(tm->t, m->pfn, (unsigned)m->size, n);
			free(m);
		}
		bl_unlock(&rc->lock);
	}
}

/* alloc_iova_fast(): the cache, else the tree size-aligned, else flush and retry. */
static int mag_alloc(void *a, const struct alloc_req *r, uint64_t *idx)
{
	struct tree_mag *tm = a;
	struct alloc_req rr = *r;
	uint64_t limit = r->limit ? r->limit : UINT64_MAX;
	bool cacheable;
	int rc;

	rr.npages = mag_round(r->npages);
	cacheable = rr.npages <= (1U << (MAG_CLASSES - 1)) && !r->boundary;
	if (cacheable && rr.align_order <= class_of(rr.npages) &&
	    cache_get(&tm->rc[class_of(rr.npages)], r->tid, limit, rr.npages, idx)) {
		atomic_fetch_add_explicit(&tm->hits, 1, memory_order_relaxed);
		return 0;
	}
	if (cacheable && rr.align_order < class_of(rr.npages))
		rr.align_order = class_of(rr.npages);
	rc = bl_tree_alloc(tm->t, &rr, idx);
	if (rc == -ENOSPC) {
		flush_all(tm);
		rc = bl_tree_alloc(tm->t, &rr, idx);
	}
	return rc;
}

static int mag_free(void *a, unsigned tid, uint64_t idx, uint64_t npages)
{
	struct tree_mag *tm = a;
	uint64_t n = mag_round(npages);

	if (n <= (1U << (MAG_CLASSES - 1)) && cache_put(tm, &tm->rc[class_of(n)], tid, idx, n))
		return 0;
	return bl_tree_free(tm->t, idx, n);
}

static void mag_destroy(void *a)
{
	struct tree_mag *tm = a;
	unsigned k, c;

	for (k = 0; k < MAG_CLASSES; k++) {
		for (c = 0; c < ALLOC_THREADS_MAX; c++) {
			free(tm->rc[k].cpu[c].loaded);
			free(tm->rc[k].cpu[c].prev);
			bl_lock_fini(&tm->rc[k].cpu[c].lock);
		}
		while (tm->rc[k].depot_size)
			free(tm->rc[k].depot[--tm->rc[k].depot_size]);
		bl_lock_fini(&tm->rc[k].lock);
	}
	if (tm->t)
		bl_tree_destroy(tm->t);
	free(tm);
}

static int rcache_init(struct rcache *rc, bool spin)
{
	unsigned c;
	int rc_ = bl_lock_init(&rc->lock, spin);

	for (c = 0; c < ALLOC_THREADS_MAX && !rc_; c++) {
		rc_ = bl_lock_init(&rc->cpu[c].lock, spin);
		rc->cpu[c].loaded = calloc(1, sizeof(struct mag));
		rc->cpu[c].prev = calloc(1, sizeof(struct mag));
		if (!rc_ && (!rc->cpu[c].loaded || !rc->cpu[c].prev))
			rc_ = -ENOMEM;
	}
	return rc_;
}

static int mag_create(const struct alloc_kind *k, const struct alloc_geom *g, void **out)
{
	struct tree_mag *tm = calloc(1, sizeof(*tm));
	unsigned c;
	int rc = tm ? 0 : -ENOMEM;

	for (c = 0; c < MAG_CLASSES && !rc; c++)
		rc = rcache_init(&tm->rc[c], k->spin);
	if (!rc)
		rc = bl_tree_create(g, k->spin, &tm->t);
	if (rc) {
		if (tm)
			mag_destroy(tm);
		return rc;
	}
	*out = tm;
	return 0;
}

static int mag_prefill(void *a, unsigned pct, uint64_t granule)
{
	struct tree_mag *tm = a;

	return bl_tree_prefill(tm->t, pct, granule);
}

static uint64_t mag_hits(void *a)
{
	struct tree_mag *tm = a;

	return atomic_load(&tm->hits);
}

const struct alloc_ops alloc_mag_ops = {
	.create = mag_create,
	.destroy = mag_destroy,
	.alloc = mag_alloc,
	.free = mag_free,
	.cache_hits = mag_hits,
	.prefill = mag_prefill,
};
