/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TCE table as the table layer sees it: geometry, the two trees (TCEs
 * and the userspace-address mirror) and the walk that allocates levels on
 * demand. Layer: table. Includes util and the public header only.
 *
 * Level geometry (spec kernel.md §3.1), for window W, page shift P, L levels:
 *
 *  | quantity        | value                                              |
 *  |-----------------|----------------------------------------------------|
 *  | entries_shift   | log2(W) - P                                        |
 *  | level_shift     | max(ceil(entries_shift / L) + 3, host page shift)  |
 *  |                 | (the config's: 12 or 16)                           |
 *  | level block     | 2^level_shift bytes = 2^(level_shift-3) entries    |
 *  | refused when    | (level_shift - 3) * L + P >= 55                    |
 *
 * Every block of both trees has the same size. An entry index rel (relative
 * to the window) selects, at non-leaf depth d (L-1 at the top, 1 just above
 * the leaves), slot (rel >> (d * level_bits)) & (level_entries - 1).
 * Non-leaf slots hold big-endian (block address | READ | WRITE); 0 = absent.
 */
#ifndef TCE_TCE_TABLE_INT_H
#define TCE_TCE_TABLE_INT_H

#include <endian.h>
#include <stdatomic.h>

#include "util/util.h"

/* Tiers of a leaf's occupancy summary: enough for 2^60 entries a leaf. */
#define TCE_SUM_TIERS_MAX 10

struct tce_table {
	struct tce_ctx *ctx;
	struct tce_table_config cfg; /* granted; immutable after creation */

	uint64_t first_idx;     /* absolute entry of the window's first page */
	uint64_t entries;       /* entries in the window */
	uint32_t page_shift;
	uint32_t levels;
	uint32_t level_bits;    /* log2(level_entries) */
	uint64_t level_entries;
	size_t block_bytes;     /* bytes of every level block */

	/* Top levels; lower levels hang off them, installed by CAS. */
	uint64_t *root;
	uint64_t *mirror_root;  /* NULL without a mirror */

	/*
	 * Every leaf block of the TCE tree is followed by its occupancy summary
	 * (struct tce__leaf_sum); these give its shape, the same for every leaf.
	 * Tier 0 has a bit per entry, tier k + 1 a bit per word of tier k; the
	 * last tier is one word.
	 */
	uint32_t sum_tiers;
	uint64_t sum_off[TCE_SUM_TIERS_MAX];  /* first word of each tier */
	uint64_t sum_bits[TCE_SUM_TIERS_MAX]; /* bits of each tier */
	size_t leaf_bytes;                    /* block_bytes + the summary */

	atomic_uint refs;
	atomic_uint_fast64_t levels_allocated;        /* TCE tree blocks */
	atomic_uint_fast64_t mirror_levels_allocated; /* mirror blocks */
};

/* Which tree a walk descends. */
enum tce__tree { TCE_TREE_HW, TCE_TREE_MIRROR };

/*
 * Result of a walk: the leaf slot of an entry, or, when a level is absent,
 * log2 of the entries the absent slot covers so a caller can skip them.
 */
struct tce__walk {
	uint64_t *block; /* the leaf block holding @leaf */
	uint64_t *leaf;
	uint32_t absent_shift;
	int err; /* -ENOMEM when an allocating walk failed */
};

/*
 * Find the leaf slot of window-relative entry @rel in @tree. With @alloc,
 * absent levels are allocated and installed (the loser of a race frees its
 * block). Context: lock-free.
 */
struct tce__walk tce__table_walk(struct tce_table *t, enum tce__tree tree, uint64_t rel,
				 bool alloc);

/*
 * A leaf's occupancy summary, placed right after the leaf block in the same
 * allocation. It says exactly which entries are live (non-zero) so that a
 * clear, a walk for the next entry and a teardown visit only those:
 *
 *  | field   | meaning                                                 |
 *  |---------|---------------------------------------------------------|
 *  | lock    | serialises the leaf's writers (a spinlock that yields); |
 *  |         | readers of entries (the device) never take it           |
 *  | live    | live entries of the leaf                                |
 *  | words[] | tier 0: bit i = entry i live; tier k + 1: bit j = word  |
 *  |         | j of tier k non-zero; the top tier first (sum_off)      |
 *
 * Every store that can make an entry live or empty holds the lock and
 * updates the summary with it; the fields are read and written with relaxed
 * atomics, so a lock-free reader (tce_table_next) may read them too, seeing a
 * state at most as old as a racing write.
 */
struct tce__leaf_sum {
	atomic_int lock;
	uint32_t pad;
	uint64_t live;
	uint64_t words[];
};

static inline struct tce__leaf_sum *tce__leaf_sum(const struct tce_table *t, const uint64_t *block)
{
	return (struct tce__leaf_sum *)((uintptr_t)block + t->block_bytes);
}

/*
 * Tags under which a table's freed level blocks wait in the context's block
 * cache (tce__block_free), saying how a reused one is cleaned:
 *
 *  | tag  | blocks                     | left as               | cleaned on reuse  |
 *  |------|----------------------------|-----------------------|-------------------|
 *  | LEAF | TCE leaves (with summary)  | torn down: the        | its live entries, |
 *  |      |                            | summary agrees with   | found through the |
 *  |      |                            | the entries, unlocked | summary; summary  |
 *  |      |                            |                       | reset             |
 *  | ANY  | non-leaf and mirror blocks | anything              | zeroed whole      |
 *
 * A leaf's summary shape follows from its size, so blocks of one bin share it.
 */
#define TCE__BLOCK_TAG_ANY 1
#define TCE__BLOCK_TAG_LEAF 2

/*
 * Make a torn-down leaf taken back from the cache read all zeros: zero the
 * entries its summary says are live (all of them when it is half live or
 * more) and reset the summary. Context: the leaf is not yet published.
 */
void tce__sum_scrub(const struct tce_table *t, uint64_t *block);

/* Shape the summary of @t's leaves (sum_* and leaf_bytes); needs level_entries. */
void tce__sum_shape(struct tce_table *t);

void tce__sum_lock(struct tce__leaf_sum *s);

static inline void tce__sum_unlock(struct tce__leaf_sum *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/*
 * Word @wi of tier 0 changes: the bits of @range become @bits (a subset of
 * @range). Keeps live and the upper tiers exact. Context: the leaf's lock.
 */
void tce__sum_word_set(const struct tce_table *t, struct tce__leaf_sum *s, uint64_t wi,
		       uint64_t range, uint64_t bits);

/*
 * Word @wi of tier 0 loses @bits, @n of them, all set: tce__sum_word_set()
 * for a clear, without counting the bits again. Context: the leaf's lock.
 */
void tce__sum_word_clear(const struct tce_table *t, struct tce__leaf_sum *s, uint64_t wi,
			 uint64_t bits, uint64_t n);

/* Every entry of the leaf was emptied: all words and live to 0. Context: the leaf's lock. */
void tce__sum_reset(const struct tce_table *t, struct tce__leaf_sum *s);

/* The first set bit at or after @bit of tier @k, or UINT64_MAX. Any context. */
uint64_t tce__sum_next(const struct tce_table *t, const struct tce__leaf_sum *s, uint32_t k,
		       uint64_t bit);

/* Tier-0 word @wi (relaxed). */
static inline uint64_t tce__sum_word(const struct tce_table *t, const struct tce__leaf_sum *s,
				     uint64_t wi)
{
	return __atomic_load_n(&s->words[t->sum_off[0] + wi], __ATOMIC_RELAXED);
}

static inline uint64_t tce__sum_live(const struct tce__leaf_sum *s)
{
	return __atomic_load_n(&s->live, __ATOMIC_RELAXED);
}

/*
 * The summary of @block agrees with its entries (tier 0 = the live entries,
 * every upper bit = its word non-zero, nothing set past a tier's end, live =
 * the count, unlocked). Leaves above 64 Ki entries are checked from the
 * summary's side only (every set bit leads to a live entry), so the check
 * never reads a huge flat table whole. false after logging. Context: no
 * writer may run.
 */
bool tce__sum_check(const struct tce_table *t, const uint64_t *block);

/* The block a non-leaf entry (host order) points at. */
static inline uint64_t *tce__level_block(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & ~TCE_PERM_MASK);
}

/*
 * Read-only walk of the TCE tree: the leaf slot of @rel, or NULL when a
 * level is absent. Inline because it is the whole cost of a lookup.
 */
static inline const uint64_t *tce__leaf_lookup(const struct tce_table *t, uint64_t rel)
{
	const uint64_t *block = t->root;
	uint64_t mask = t->level_entries - 1, e;
	uint32_t shift = (t->levels - 1) * t->level_bits;

	for (; shift; shift -= t->level_bits) {
		e = be64toh(__atomic_load_n(&block[(rel >> shift) & mask], __ATOMIC_ACQUIRE));
		if (!e)
			return NULL;
		block = tce__level_block(e);
	}
	return &block[rel & mask];
}

/* Entries from @rel to the end of its leaf block. */
static inline uint64_t tce__leaf_span(const struct tce_table *t, uint64_t rel)
{
	return t->level_entries - (rel & (t->level_entries - 1));
}

/* Window-relative entry of absolute @idx, if [idx, idx + n) is inside. */
static inline bool tce__table_rel(const struct tce_table *t, uint64_t idx, uint64_t n,
				  uint64_t *rel)
{
	uint64_t end;

	if (n == 0 || idx < t->first_idx || __builtin_add_overflow(idx, n, &end) ||
	    end - t->first_idx > t->entries)
		return false;
	*rel = idx - t->first_idx;
	return true;
}

/*
 * The table's checker: recount the blocks of both trees against the
 * counters, check every level pointer (READ | WRITE, page aligned) and that
 * every leaf's occupancy summary agrees with its entries (tce__sum_check).
 * 0, or -EIO after logging. Debug builds run it on the last put.
 * Context: no writer may run.
 */
int tce__table_check(const struct tce_table *t);

/* Geometry check shared by creation; fills the "out" fields of @cfg. */
int tce__table_geometry(struct tce_table_config *cfg);

static inline uint64_t tce__load_be(const uint64_t *slot)
{
	return be64toh(__atomic_load_n(slot, __ATOMIC_RELAXED));
}

static inline void tce__store_be(uint64_t *slot, uint64_t v)
{
	__atomic_store_n(slot, htobe64(v), __ATOMIC_RELAXED);
}

#endif /* TCE_TCE_TABLE_INT_H */
