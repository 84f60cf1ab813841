/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FLOOR of spec performance.md §6.2: a bare bitmap next-fit allocator, one
 * thread, no lock, no pools, no validation of frees, the hint put exactly
 * where the last allocation ended. It honours the same constraints as the
 * others (alignment, boundary, limit) with a word-at-a-time scan, so B3 can
 * read multi-page costs against it too. BL-ONELOCK (issue 12) is the same
 * bitmap under one lock of the variant's flavour, taken once by every alloc
 * and once by every free, and nothing else: the one-lock baseline.
 * Layer: tools; the C library only.
 */
#include <errno.h>
#include <stdlib.h>

#include "alloc.h"
#include "alloc_lock.h"

#define NONE UINT64_MAX

struct floor_bm {
	struct bl_lock lock; /* BL-ONELOCK only */
	bool locked;
	uint64_t *map;
	uint64_t first, entries;
	uint64_t hint; /* relative */
};

/* First zero bit in [start, end), or NONE. */
static uint64_t next_zero(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t w = start / 64, word;

	if (start >= end)
		return NONE;
	word = ~map[w] & (~0ULL << (start % 64));
	while (!word) {
		if (++w * 64 >= end)
			return NONE;
		word = ~map[w];
	}
	start = w * 64 + (uint64_t)__builtin_ctzll(word);
	return start < end ? start : NONE;
}

/* First set bit in [start, end), or NONE. */
static uint64_t next_set(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t w = start / 64, word;

	if (start >= end)
		return NONE;
	word = map[w] & (~0ULL << (start % 64));
	while (!word) {
		if (++w * 64 >= end)
			return NONE;
		word = map[w];
	}
	start = w * 64 + (uint64_t)__builtin_ctzll(word);
	return start < end ? start : NONE;
}

/* The first start at or after @rel that is aligned and within one boundary. */
static uint64_t legal(const struct floor_bm *f, const struct alloc_req *r, uint64_t rel)
{
	uint64_t abs = f->first + rel, amask = (1ULL << r->align_order) - 1;

	abs = (abs + amask) & ~amask;
	if (r->boundary && (abs & (r->boundary - 1)) + r->npages > r->boundary)
		abs = (abs | (r->boundary - 1)) + 1;
	return abs - f->first;
}

static uint64_t search(const struct floor_bm *f, const struct alloc_req *r, uint64_t start,
		       uint64_t end)
{
	uint64_t idx = start, busy;

	for (;;) {
		idx = next_zero(f->map, idx, end);
		if (idx == NONE)
			return NONE;
		idx = legal(f, r, idx);
		if (idx >= end || end - idx < r->npages)
			return NONE;
		busy = next_set(f->map, idx, idx + r->npages);
		if (busy == NONE)
			return idx;
		idx = busy + 1;
	}
}

/* Set or clear [rel, rel + n) a word at a time. */
static void set_range(uint64_t *map, uint64_t rel, uint64_t n, bool on)
{
	uint64_t end = rel + n, w, lo, hi, mask;

	while (rel < end) {
		w = rel / 64;
		lo = rel % 64;
		hi = end - w * 64 < 64 ? end - w * 64 : 64;
		mask = (hi == 64 ? ~0ULL : (1ULL << hi) - 1) & ~((1ULL << lo) - 1);
		map[w] = on ? map[w] | mask : map[w] & ~mask;
		rel = w * 64 + hi;
	}
}

/* The probe's kernel: one page, no constraint, next zero bit from the hint. */
static bool floor_alloc_one(struct floor_bm *f, uint64_t *idx)
{
	uint64_t got = next_zero(f->map, f->hint, f->entries);

	if (got == NONE)
		got = next_zero(f->map, 0, f->hint);
	if (got == NONE)
		return false;
	f->map[got / 64] |= 1ULL << (got % 64);
	f->hint = got + 1;
	*idx = f->first + got;
	return true;
}

static int floor_alloc(void *arg, const struct alloc_req *r, uint64_t *idx)
{
	struct floor_bm *f = arg;
	uint64_t end = f->entries, got;

	if (r->npages == 1 && !r->limit && !r->boundary && !r->align_order)
		return floor_alloc_one(f, idx) ? 0 : -ENOSPC;

	if (r->limit && r->limit - f->first < end)
		end = r->limit - f->first;
	got = search(f, r, f->hint < end ? f->hint : 0, end);
	if (got == NONE)
		got = search(f, r, 0, end);
	if (got == NONE)
		return -ENOSPC;
	set_range(f->map, got, r->npages, true);
	f->hint = got + r->npages;
	*idx = f->first + got;
	return 0;
}

static int floor_free(void *arg, unsigned tid, uint64_t idx, uint64_t npages)
{
	struct floor_bm *f = arg;
	uint64_t rel = idx - f->first;

	if (npages == 1)
		f->map[rel / 64] &= ~(1ULL << (rel % 64));
	else
		set_range(f->map, rel, npages, false);
	return 0;
}

static int floor_create(const struct alloc_kind *k, const struct alloc_geom *g, void **out)
{
	struct floor_bm *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->map = calloc((g->entries + 63) / 64, sizeof(uint64_t));
	if (!f->map) {
		free(f);
		return -ENOMEM;
	}
	f->locked = k->fam == ALLOC_ONELOCK;
	rc = bl_lock_init(&f->lock, k->spin);
	if (rc) {
		free(f->map);
		free(f);
		return rc;
	}
	f->first = g->first_idx;
	f->entries = g->entries;
	if (g->first_idx == 0)
		f->map[0] = 1; /* bus address 0 is never handed out, as in the library */
	*out = f;
	return 0;
}

static void floor_destroy(void *arg)
{
	struct floor_bm *f = arg;

	bl_lock_fini(&f->lock);
	free(f->map);
	free(f);
}

static int onelock_alloc(void *arg, const struct alloc_req *r, uint64_t *idx)
{
	struct floor_bm *f = arg;
	int rc;

	bl_lock(&f->lock);
	rc = floor_alloc(f, r, idx);
	bl_unlock(&f->lock);
	return rc;
}

static int onelock_free(void *arg, unsigned tid, uint64_t idx, uint64_t npages)
{
	struct floor_bm *f = arg;

	bl_lock(&f->lock);
	floor_free(f, tid, idx, npages);
	bl_unlock(&f->lock);
	return 0;
}

const struct alloc_ops alloc_floor_ops = {
	.create = floor_create,
	.destroy = floor_destroy,
	.alloc = floor_alloc,
	.free = floor_free,
};

const struct alloc_ops alloc_onelock_ops = {
	.create = floor_create,
	.destroy = floor_destroy,
	.alloc = onelock_alloc,
	.free = onelock_free,
};
