/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Operations on TCE entries by absolute index: get, set a range, clear a
 * range, exchange, translate, mirror slots and iteration over populated
 * entries. Ranges are checked in full before anything is touched; clearing
 * and iteration skip absent levels whole. Layer: table.
 */
#include <errno.h>

#include "tce/table_int.h"
#include "tce/table_raw.h"
#include "util/arith.h"

uint64_t tce_dir_to_perm(enum tce_dir dir)
{
	switch (dir) {
	case TCE_DIR_BIDIRECTIONAL:
		return TCE_PCI_READ | TCE_PCI_WRITE;
	case TCE_DIR_TO_DEVICE:
		return TCE_PCI_READ;
	case TCE_DIR_FROM_DEVICE:
		return TCE_PCI_WRITE;
	default:
		return 0;
	}
}

enum tce_dir tce_perm_to_dir(uint64_t tce)
{
	switch (tce & TCE_PERM_MASK) {
	case TCE_PCI_READ | TCE_PCI_WRITE:
		return TCE_DIR_BIDIRECTIONAL;
	case TCE_PCI_READ:
		return TCE_DIR_TO_DEVICE;
	case TCE_PCI_WRITE:
		return TCE_DIR_FROM_DEVICE;
	default:
		return TCE_DIR_NONE;
	}
}

static bool dir_valid(enum tce_dir dir)
{
	return (unsigned)dir <= TCE_DIR_NONE;
}

int tce_table_get(const struct tce_table *t, uint64_t idx, uint64_t *tce)
{
	uint64_t rel = idx - t->first_idx; /* wraps for idx < first_idx */
	const uint64_t *leaf;

	if (rel >= t->entries)
		return -EINVAL;
	leaf = tce__leaf_lookup(t, rel);
	*tce = leaf ? tce__load_be(leaf) : 0;
	return 0;
}

/* Allocate every level under [rel, rel + n) without writing any entry. */
static int prealloc_levels(struct tce_table *t, uint64_t rel, uint64_t n)
{
	uint64_t end = rel + n;
	struct tce__walk w;

	while (rel < end) {
		w = tce__table_walk(t, TCE_TREE_HW, rel, true);
		if (w.err)
			return w.err;
		rel += tce__leaf_span(t, rel);
	}
	return 0;
}

/* Write @n entries of one leaf block: value, value + step, ... */
static void fill_leaf(uint64_t *leaf, uint64_t n, uint64_t value, uint64_t step)
{
	uint64_t i;

	for (i = 0; i < n; i++, value += step)
		tce__store_be(&leaf[i], value);
}

/*
 * Zero @n entries with 8-byte atomic stores (never torn for a concurrent
 * reader), four a round. tce-bench table, 2-level 16 Mi-entry window: 1 %
 * populated (cache-resident leaves) 1.3-1.6x memset, down from 3-3.9x with
 * one store a round; 100 % populated 0.95-1.04x, down from 1.08-1.33x.
 */
static void zero_leaf(uint64_t *leaf, uint64_t n)
{
	uint64_t i = 0;

	for (; i + 4 <= n; i += 4) {
		__atomic_store_n(&leaf[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&leaf[i + 1], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&leaf[i + 2], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&leaf[i + 3], 0, __ATOMIC_RELAXED);
	}
	for (; i < n; i++)
		__atomic_store_n(&leaf[i], 0, __ATOMIC_RELAXED);
}

static int set_range(struct tce_table *t, uint64_t rel, uint64_t n, uint64_t tce)
{
	uint64_t step = 1ULL << t->page_shift, chunk;
	struct tce__walk w;
	int rc;

	/* Allocate first so that a failure leaves every entry as it was. */
	if (n > tce__leaf_span(t, rel)) {
		rc = prealloc_levels(t, rel, n);
		if (rc)
			return rc;
	}
	while (n) {
		w = tce__table_walk(t, TCE_TREE_HW, rel, true);
		if (w.err)
			return w.err;
		chunk = tce__min_u64(n, tce__leaf_span(t, rel));
		fill_leaf(w.leaf, chunk, tce, step);
		tce += chunk * step;
		rel += chunk;
		n -= chunk;
	}
	return 0;
}

/*
 * Zero the entries of [lo, hi) under @block, which covers window-relative
 * entries from @base at @depth levels above the leaves. Absent slots are
 * skipped with one load each, so the cost follows the populated leaves and
 * the slots of the non-leaf blocks in range, not the window.
 */
static void clear_tree(uint64_t *block, const struct tce_table *t, uint32_t depth,
		       uint64_t base, uint64_t lo, uint64_t hi)
{
	uint32_t shift = depth * t->level_bits;
	uint64_t i, last, child, e;

	if (depth == 0) {
		zero_leaf(&block[lo - base], hi - lo);
		return;
	}
	last = (hi - 1 - base) >> shift;
	for (i = (lo - base) >> shift; i <= last; i++) {
		e = be64toh(__atomic_load_n(&block[i], __ATOMIC_ACQUIRE));
		if (!e)
			continue;
		child = base + (i << shift);
		clear_tree(tce__level_block(e), t, depth - 1, child, lo > child ? lo : child,
			   tce__min_u64(hi, child + (1ULL << shift)));
	}
}

static void clear_range(struct tce_table *t, uint64_t rel, uint64_t n)
{
	clear_tree(t->root, t, t->levels - 1, 0, rel, rel + n);
}

int tce_table_clear(struct tce_table *t, uint64_t idx, uint64_t npages)
{
	uint64_t rel;

	if (!tce__table_rel(t, idx, npages, &rel))
		return -EINVAL;
	clear_range(t, rel, npages);
	return 0;
}

/* The real range [real, real + npages pages) is aligned and does not wrap. */
static bool real_range_valid(const struct tce_table *t, uint64_t real, uint64_t npages)
{
	uint64_t span, last;

	if (real & tce__low_mask(t->page_shift))
		return false;
	if (tce__mul_overflows(npages - 1, 1ULL << t->page_shift, &span))
		return false;
	return !tce__add_overflows(real, span, &last);
}

int tce_table_set(struct tce_table *t, uint64_t idx, uint64_t npages, uint64_t real_addr,
		  enum tce_dir dir)
{
	uint64_t rel;

	if (!dir_valid(dir) || !tce__table_rel(t, idx, npages, &rel))
		return -EINVAL;
	if (dir == TCE_DIR_NONE) {
		clear_range(t, rel, npages);
		return 0;
	}
	if (!real_range_valid(t, real_addr, npages))
		return -EINVAL;
	return set_range(t, rel, npages, real_addr | tce_dir_to_perm(dir));
}

int tce_table_xchg(struct tce_table *t, uint64_t idx, uint64_t *real_addr, enum tce_dir *dir)
{
	uint64_t rel, newv = 0, old;
	struct tce__walk w;

	if (!dir_valid(*dir) || !tce__table_rel(t, idx, 1, &rel))
		return -EINVAL;
	if (*dir != TCE_DIR_NONE) {
		if (*real_addr & tce__low_mask(t->page_shift))
			return -EINVAL;
		newv = *real_addr | tce_dir_to_perm(*dir);
	}
	w = tce__table_walk(t, TCE_TREE_HW, rel, newv != 0);
	if (w.err)
		return w.err;
	old = w.leaf ? be64toh(__atomic_exchange_n(w.leaf, htobe64(newv), __ATOMIC_ACQ_REL)) : 0;
	*real_addr = old & ~tce__low_mask(t->page_shift);
	*dir = tce_perm_to_dir(old);
	return 0;
}

int tce_table_translate(const struct tce_table *t, uint64_t bus_addr, enum tce_dir access,
			uint64_t *real_addr)
{
	uint64_t need = tce_dir_to_perm(access), tce, page_mask = tce__low_mask(t->page_shift);
	int rc;

	if (!need)
		return -EINVAL;
	rc = tce_table_get(t, bus_addr >> t->page_shift, &tce);
	if (rc)
		return rc;
	if (!tce)
		return -ENOENT;
	if ((tce & need) != need)
		return -EACCES;
	*real_addr = (tce & ~page_mask) | (bus_addr & page_mask);
	return 0;
}

int tce_table_mirror_slot(struct tce_table *t, uint64_t idx, bool alloc, uint64_t **slot)
{
	struct tce__walk w;
	uint64_t rel;

	if (!tce__table_rel(t, idx, 1, &rel))
		return -EINVAL;
	if (!t->mirror_root)
		return -EOPNOTSUPP;
	w = tce__table_walk(t, TCE_TREE_MIRROR, rel, alloc);
	if (w.err)
		return w.err;
	if (!w.leaf)
		return -ENOENT;
	*slot = w.leaf;
	return 0;
}

/* First non-zero entry of a leaf in [0, n) with its value, or n. */
static uint64_t leaf_scan(const uint64_t *leaf, uint64_t n, uint64_t *tce)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		*tce = tce__load_be(&leaf[i]);
		if (*tce)
			break;
	}
	return i;
}

int tce_table_next(const struct tce_table *t, uint64_t *idx, uint64_t *tce)
{
	struct tce_table *w_t = (struct tce_table *)t;
	uint64_t rel, chunk, hit, value;
	struct tce__walk w;

	if (!tce__table_rel(t, *idx, 1, &rel))
		return -EINVAL;
	while (rel < t->entries) {
		w = tce__table_walk(w_t, TCE_TREE_HW, rel, false);
		if (!w.leaf) {
			rel = (rel | tce__low_mask(w.absent_shift)) + 1;
			continue;
		}
		chunk = tce__min_u64(t->entries - rel, tce__leaf_span(t, rel));
		hit = leaf_scan(w.leaf, chunk, &value);
		if (hit < chunk) {
			*idx = t->first_idx + rel + hit;
			*tce = value;
			return 0;
		}
		rel += chunk;
	}
	return -ENOENT;
}

/* Store @tces[i] (or @value when @tces is NULL) in @n entries from absolute @idx. */
static int store_run(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *tces,
		     uint64_t value)
{
	uint64_t rel = idx - t->first_idx, i = 0, chunk, k;
	struct tce__walk w;
	int rc = 0;

	/* One leaf block: its walk allocates before any store; else allocate all first. */
	if (n > tce__leaf_span(t, rel))
		rc = prealloc_levels(t, rel, n);
	while (!rc && i < n) {
		w = tce__table_walk(t, TCE_TREE_HW, rel + i, true);
		if (w.err)
			return w.err;
		chunk = tce__min_u64(n - i, tce__leaf_span(t, rel + i));
		for (k = 0; k < chunk; k++, i++)
			tce__store_be(&w.leaf[k], tces ? tces[i] : value);
	}
	return rc;
}

int tce__table_store_raw(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *tces)
{
	return store_run(t, idx, n, tces, 0);
}

int tce__table_fill_raw(struct tce_table *t, uint64_t idx, uint64_t n, uint64_t value)
{
	if (!value)
		return tce_table_clear(t, idx, n);
	return store_run(t, idx, n, NULL, value);
}
