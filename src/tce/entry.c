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

/* Bits [@sh, @sh + @k) of a word (@k in 1..64). */
static uint64_t range_mask(uint64_t sh, uint64_t k)
{
	return (k == 64 ? ~0ULL : (1ULL << k) - 1) << sh;
}

/* A run of stored values: value, value + step, ... */
struct run_src {
	uint64_t value, step;
};

/*
 * Store @n values of @src in the leaf @block from @off, a 64-entry word of
 * the summary at a time: the stores, then the word's live bits. The old
 * values need no load: the summary already says which entries were live.
 * Context: takes the leaf's lock.
 */
static void leaf_write(const struct tce_table *t, uint64_t *block, uint64_t off, uint64_t n,
		       struct run_src *src)
{
	struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t end = off + n, k, i, v, bits;

	tce__sum_lock(s);
	for (; off < end; off += k) {
		k = tce__min_u64(end - off, 64 - off % 64);
		for (i = 0, bits = 0; i < k; i++) {
			v = src->value;
			src->value += src->step;
			tce__store_be(&block[off + i], v);
			bits |= (uint64_t)(v != 0) << i;
		}
		tce__sum_word_set(t, s, off / 64, range_mask(off % 64, k), bits << (off % 64));
	}
	tce__sum_unlock(s);
}

/*
 * Zero @n entries (a multiple of 4) with 8-byte atomic stores (never torn
 * for a concurrent reader), four a round: 0.95-1.04x memset on a dense
 * 16 Mi-entry window, 3-3.9x with one store a round.
 */
static void zero_run(uint64_t *p, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i += 4) {
		__atomic_store_n(&p[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 1], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 2], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 3], 0, __ATOMIC_RELAXED);
	}
}

/*
 * Zero the live entries of [off, off + n) in the leaf @block, found through
 * its summary: a leaf with none costs one load, a sparse one a store per
 * live entry, a full word of 64 the same stores as a memset.
 * tce-bench table.clear, before (a whole-leaf zeroing per populated leaf):
 * one entry per leaf 3.5-6.8 us an entry; see docs/performance.md G5 for after.
 * Context: takes the leaf's lock unless the leaf is empty.
 */
static void leaf_clear(const struct tce_table *t, uint64_t *block, uint64_t off, uint64_t n)
{
	struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t end = off + n, wi, last = (end - 1) / 64, bits, b, mask, live, cleared;
	bool dense;

	if (!tce__sum_live(s))
		return;
	tce__sum_lock(s);
	wi = off / 64;
	live = tce__sum_live(s);
	/* A whole leaf, at least half live: zero it all and reset the summary once. */
	dense = n == t->level_entries && live * 2 >= n;
	if (dense) {
		zero_run(block, n);
		tce__sum_reset(t, s);
		wi = last + 1;
	}
	/* Word by word through the summary, until the leaf's last live entry is gone. */
	for (; wi <= last; wi++) {
		if (!tce__sum_word(t, s, wi)) {
			wi = tce__sum_next(t, s, 1, wi);
			if (wi > last)
				break;
		}
		mask = range_mask(wi == off / 64 ? off % 64 : 0, 64) &
		       (wi == last ? range_mask(0, end - wi * 64) : ~0ULL);
		bits = tce__sum_word(t, s, wi) & mask;
		if (!bits)
			continue;
		cleared = 64;
		if (bits == ~0ULL)
			zero_run(&block[wi * 64], 64);
		else
			for (b = bits, cleared = 0; b; b &= b - 1, cleared++)
				__atomic_store_n(&block[wi * 64 + (uint64_t)__builtin_ctzll(b)], 0,
						 __ATOMIC_RELAXED);
		tce__sum_word_clear(t, s, wi, bits, cleared);
		live -= cleared;
		if (!live)
			break;
	}
	tce__sum_unlock(s);
}

/* Store tce, tce + step, ... in @n entries from @rel. */
static int set_range(struct tce_table *t, uint64_t rel, uint64_t n, uint64_t tce, uint64_t step)
{
	struct run_src src = { .value = tce, .step = step };
	uint64_t chunk;
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
		leaf_write(t, w.block, w.leaf - w.block, chunk, &src);
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
		leaf_clear(t, block, lo - base, hi - lo);
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
	return set_range(t, rel, npages, real_addr | tce_dir_to_perm(dir), 1ULL << t->page_shift);
}

/* One entry's exchange with its summary bit. Context: takes the leaf's lock. */
static uint64_t leaf_xchg(const struct tce_table *t, uint64_t *block, uint64_t off, uint64_t newv)
{
	struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t old, bit = 1ULL << (off % 64);

	tce__sum_lock(s);
	old = be64toh(__atomic_exchange_n(&block[off], htobe64(newv), __ATOMIC_ACQ_REL));
	tce__sum_word_set(t, s, off / 64, bit, newv ? bit : 0);
	tce__sum_unlock(s);
	return old;
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
	old = w.leaf ? leaf_xchg(t, w.block, w.leaf - w.block, newv) : 0;
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

/*
 * First live entry of the leaf @block in [off, off + n), relative to @off,
 * with its value, or n: the summary says where to look (an entry a racing
 * writer has just emptied is passed over).
 */
static uint64_t leaf_scan(const struct tce_table *t, const uint64_t *block, uint64_t off,
			  uint64_t n, uint64_t *tce)
{
	const struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t i = off;

	while ((i = tce__sum_next(t, s, 0, i)) < off + n) {
		*tce = tce__load_be(&block[i]);
		if (*tce)
			return i - off;
		i++;
	}
	return n;
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
		hit = leaf_scan(t, w.block, w.leaf - w.block, chunk, &value);
		if (hit < chunk) {
			*idx = t->first_idx + rel + hit;
			*tce = value;
			return 0;
		}
		rel += chunk;
	}
	return -ENOENT;
}

/* One leaf's part of a list store. */
struct list_part {
	uint64_t *block;
	uint64_t off, n;
};

/*
 * The full check of one host-order value, as struct tce__tce_check defines
 * it; the list store calls it only for values its mask check flagged.
 */
static bool tce_ok(const struct tce__tce_check *c, uint64_t tce)
{
	uint64_t addr = tce & ~TCE_PERM_MASK;

	if (!(tce & TCE_PERM_MASK))
		return true;
	if (addr & c->addr_mask)
		return false;
	if (c->fast_end >= c->page_bytes && addr <= c->fast_end - c->page_bytes)
		return true;
	return c->slow(c->arg, addr);
}

/*
 * The check as a mask on the big-endian value: a value with any bit of
 * @bad_be (address bits below the page, or at or above the largest power of
 * two within the fast range) needs the full check; every other value passes
 * it (a page below that power of two lies below fast_end), so the mask
 * accepts nothing tce_ok() refuses. It flags values without a permission
 * too (poison values with high bits), which the full check then accepts.
 */
static uint64_t list_bad_be(const struct tce__tce_check *c)
{
	uint64_t fast = 0, bad;

	if (c->fast_end >= c->page_bytes)
		fast = 1ULL << (63 - __builtin_clzll(c->fast_end));
	bad = (c->addr_mask | (fast ? ~(fast - 1) : ~0ULL)) & ~TCE_PERM_MASK;
	return htobe64(bad);
}

/* The permission bits as a big-endian value holds them, loaded on this host. */
#define PERM_BE (htobe64(TCE_PERM_MASK))

/*
 * What the copy of a list found: the OR of its values' flagged bits, and
 * the AND of their permission bits (not 0: every value has a permission bit
 * in common, so none is 0).
 */
struct list_scan {
	uint64_t flagged, common_perm;
};

/*
 * Copy @n big-endian values of the guest's list into @blk, reading each
 * once, and apply the mask check: no byte swap, no branch, so the compiler
 * vectorises it (an AND and an OR a value for the check, an AND for the
 * permission bits). The store pass stores from @blk, so a guest that
 * changes its list meanwhile cannot get an unchecked value stored.
 * tce-bench hv.hcall: with a live count and a permission test per value
 * ((x | -x) >> 63, three of them) this loop took twice the store loop's time.
 */
static inline struct list_scan list_copy_body(uint64_t *restrict blk, const uint64_t *restrict be,
						 uint64_t n, uint64_t bad_be)
{
	uint64_t i, v, flagged = 0, perm = PERM_BE;

	for (i = 0; i < n; i++) {
		v = be[i];
		blk[i] = v;
		flagged |= v & bad_be;
		perm &= v;
	}
	return (struct list_scan){ .flagged = flagged, .common_perm = perm };
}

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * The same loop in 32-byte vectors where the CPU has AVX2 (the build's
 * baseline has 16): 512 TCEs, the loop alone, same run: 93 ns with SSE2,
 * 42 ns with AVX2 (36 ns with AVX-512, not worth a third copy).
 */
__attribute__((target("avx2"))) static struct list_scan
list_copy_avx2(uint64_t *restrict blk, const uint64_t *restrict be, uint64_t n, uint64_t bad_be)
{
	return list_copy_body(blk, be, n, bad_be);
}

static struct list_scan list_copy(uint64_t *restrict blk, const uint64_t *restrict be, uint64_t n,
				  uint64_t bad_be)
{
	if (__builtin_cpu_supports("avx2"))
		return list_copy_avx2(blk, be, n, bad_be);
	return list_copy_body(blk, be, n, bad_be);
}
#else
static struct list_scan list_copy(uint64_t *restrict blk, const uint64_t *restrict be, uint64_t n,
				  uint64_t bad_be)
{
	return list_copy_body(blk, be, n, bad_be);
}
#endif

/* The first value of @blk that fails the full check, or @n. */
static uint64_t list_first_bad(const uint64_t *blk, uint64_t n, const struct tce__tce_check *chk)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (!tce_ok(chk, be64toh(blk[i])))
			return i;
	return n;
}

/* The live bits of @k (1..64) values: bit i for value i not 0. */
static uint64_t live_bits(const uint64_t *blk, uint64_t k)
{
	uint64_t i, bits = 0;

	for (i = 0; i < k; i++)
		bits |= (uint64_t)(blk[i] != 0) << i;
	return bits;
}

/*
 * Store @n values of @src in @p with 8-byte atomic stores (never torn for a
 * concurrent reader), four a round, then the rest: 512 values take 93 ns,
 * 283 ns with one store a round (the loop alone, release build).
 */
static void copy_run(uint64_t *p, const uint64_t *src, uint64_t n)
{
	uint64_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		__atomic_store_n(&p[i], src[i], __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 1], src[i + 1], __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 2], src[i + 2], __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 3], src[i + 3], __ATOMIC_RELAXED);
	}
	for (; i < n; i++)
		__atomic_store_n(&p[i], src[i], __ATOMIC_RELAXED);
}

/*
 * Store checked values from @blk in one leaf's part, a 64-entry word of the
 * summary at a time: the stores, then the word's live bits (all set when
 * @all_live). Context: the leaf's lock.
 */
static void list_store(const struct tce_table *t, const struct list_part *p, const uint64_t *blk,
		       bool all_live)
{
	struct tce__leaf_sum *s = tce__leaf_sum(t, p->block);
	uint64_t off = p->off, end = p->off + p->n, k, bits, range, *e = p->block;

	for (; off < end; off += k, blk += k) {
		k = tce__min_u64(end - off, 64 - off % 64);
		copy_run(&e[off], blk, k);
		bits = (all_live ? range_mask(0, k) : live_bits(blk, k)) << (off % 64);
		range = range_mask(off % 64, k);
		if ((tce__sum_word(t, s, off / 64) & range) != bits) /* a remap keeps its bits */
			tce__sum_word_set(t, s, off / 64, range, bits);
	}
}

/* The leaf parts of [rel, rel + n), allocating levels: how many, or -ENOMEM. */
static int list_parts(struct tce_table *t, uint64_t rel, uint64_t n, struct list_part p[2])
{
	struct tce__walk w;
	int np = 0;

	while (n) {
		w = tce__table_walk(t, TCE_TREE_HW, rel, true);
		if (w.err)
			return w.err;
		p[np] = (struct list_part){ .block = w.block, .off = (uint64_t)(w.leaf - w.block),
					    .n = tce__min_u64(n, tce__leaf_span(t, rel)) };
		rel += p[np].n;
		n -= p[np++].n;
	}
	return np;
}

/*
 * Two passes: the whole list is copied and checked into a stack block
 * (vectorised; the rare flagged list gets the full check value by value),
 * then stored, so an invalid value stops the call before anything is
 * touched and nothing needs putting back.
 * tce-bench hv.hcall, H_PUT_TCE_INDIRECT of 512: before (copy the list,
 * validate, walk again to store) 5.6-6.4x the store floor; one checking
 * pass keeping the old entries for undo 2.9-3.7x; after: see
 * docs/performance.md G6.
 */
int tce__table_store_list(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *be_list,
			  const struct tce__tce_check *chk, uint64_t *bad)
{
	uint64_t blk[TCE__LIST_MAX], first_bad;
	struct list_scan scan;
	struct list_part p[2];
	int np, i;

	if (!n || n > TCE__LIST_MAX)
		return -EINVAL; /* defensive: the caller checks the count */
	scan = list_copy(blk, be_list, n, list_bad_be(chk));
	if (scan.flagged) {
		first_bad = list_first_bad(blk, n, chk);
		if (first_bad < n) {
			*bad = first_bad;
			return -EINVAL;
		}
	}
	np = list_parts(t, idx - t->first_idx, n, p); /* a leaf has at least 512 entries */
	if (np < 0)
		return np;
	for (i = 0; i < np; i++)
		tce__sum_lock(tce__leaf_sum(t, p[i].block));
	list_store(t, &p[0], blk, scan.common_perm != 0);
	if (np > 1)
		list_store(t, &p[1], blk + p[0].n, scan.common_perm != 0);
	for (i = np - 1; i >= 0; i--)
		tce__sum_unlock(tce__leaf_sum(t, p[i].block));
	return 0;
}

int tce__table_fill_raw(struct tce_table *t, uint64_t idx, uint64_t n, uint64_t value)
{
	if (!value)
		return tce_table_clear(t, idx, n);
	return set_range(t, idx - t->first_idx, n, value, 0);
}
