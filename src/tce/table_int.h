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
 * counters and check every level pointer (READ | WRITE, page aligned).
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
