/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCE table lifetime and structure: creation with accounting charged before
 * allocation, the on-demand level walk with compare-and-swap installation,
 * reference counting, and freeing and counting over populated levels only.
 * Level blocks come from and go back to the context's block cache (util),
 * so a teardown stores a pointer a block and the next table reuses them.
 * Layer: table.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "tce/table_int.h"
#include "util/arith.h"

static uint64_t encode_level(const uint64_t *block)
{
	return (uint64_t)(uintptr_t)block | TCE_PCI_READ | TCE_PCI_WRITE;
}

/* Bytes of a block at @depth of @tree: TCE leaves carry their summary. */
static size_t block_size(const struct tce_table *t, enum tce__tree tree, uint32_t depth)
{
	return tree == TCE_TREE_HW && depth == 0 ? t->leaf_bytes : t->block_bytes;
}

static bool is_leaf(enum tce__tree tree, uint32_t depth)
{
	return tree == TCE_TREE_HW && depth == 0;
}

static uint32_t block_tag(enum tce__tree tree, uint32_t depth)
{
	return is_leaf(tree, depth) ? TCE__BLOCK_TAG_LEAF : TCE__BLOCK_TAG_ANY;
}

/*
 * A zeroed block for @depth of @tree: fresh, or one a torn-down table left in
 * the context's cache, cleaned as its tag says (table_int.h). NULL on -ENOMEM.
 */
static uint64_t *level_alloc(struct tce_table *t, enum tce__tree tree, uint32_t depth)
{
	size_t bytes = block_size(t, tree, depth);
	bool reused;
	uint64_t *block = tce__block_alloc(t->ctx, bytes, block_tag(tree, depth), &reused);

	if (block && reused) {
		if (is_leaf(tree, depth))
			tce__sum_scrub(t, block);
		else
			memset(block, 0, bytes);
	}
	return block;
}

/* Give one unpublished or torn-down block to the context's cache. */
static void level_free(struct tce_table *t, enum tce__tree tree, uint32_t depth, uint64_t *block)
{
	tce__block_free(t->ctx, block, block_size(t, tree, depth), block_tag(tree, depth));
}

static atomic_uint_fast64_t *level_counter(struct tce_table *t, enum tce__tree tree)
{
	return tree == TCE_TREE_HW ? &t->levels_allocated : &t->mirror_levels_allocated;
}

/*
 * Install a fresh zeroed block of @depth in the empty non-leaf @slot (a
 * zeroed summary is an empty, unlocked one). The release ordering of the CAS
 * publishes the zeroed block to acquiring readers. Returns the slot's
 * host-order value afterwards (ours or the winner's), 0 on -ENOMEM.
 */
static uint64_t install_level(struct tce_table *t, enum tce__tree tree, uint64_t *slot,
			      uint32_t depth)
{
	uint64_t *block = level_alloc(t, tree, depth);
	uint64_t expected = 0, mine;

	if (!block)
		return 0;
	mine = htobe64(encode_level(block));
	if (__atomic_compare_exchange_n(slot, &expected, mine, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		atomic_fetch_add_explicit(level_counter(t, tree), 1, memory_order_relaxed);
		return be64toh(mine);
	}
	level_free(t, tree, depth, block);
	return be64toh(expected);
}

struct tce__walk tce__table_walk(struct tce_table *t, enum tce__tree tree, uint64_t rel,
				 bool alloc)
{
	struct tce__walk w = { 0 };
	uint64_t *block = tree == TCE_TREE_HW ? t->root : t->mirror_root;
	uint64_t mask = t->level_entries - 1;
	uint32_t depth;

	for (depth = t->levels - 1; depth > 0; depth--) {
		uint32_t shift = depth * t->level_bits;
		uint64_t *slot = &block[(rel >> shift) & mask];
		uint64_t e = be64toh(__atomic_load_n(slot, __ATOMIC_ACQUIRE));

		if (!e && alloc)
			e = install_level(t, tree, slot, depth - 1);
		if (!e) {
			w.absent_shift = shift;
			w.err = alloc ? -ENOMEM : 0;
			return w;
		}
		block = tce__level_block(e);
	}
	w.block = block;
	w.leaf = &block[rel & mask];
	return w;
}

/* A teardown's freed blocks: TCE leaves, and the other blocks (one size). */
struct teardown {
	struct tce__block_batch leaves;
	struct tce__block_batch others;
};

/*
 * Free a block and, above the leaves (@depth > 0), every block below it:
 * into @td's batches, without touching a leaf (its summary cleans it on reuse).
 */
static void free_tree(struct tce_table *t, enum tce__tree tree, uint64_t *block, uint32_t depth,
		      struct teardown *td)
{
	uint64_t i, e;

	if (depth > 0) {
		for (i = 0; i < t->level_entries; i++) {
			e = be64toh(block[i]);
			if (e & TCE_PERM_MASK)
				free_tree(t, tree, tce__level_block(e), depth - 1, td);
		}
	}
	tce__batch_add(t->ctx, is_leaf(tree, depth) ? &td->leaves : &td->others, block);
}

static void refund(const struct tce_table_config *cfg)
{
	if (cfg->account)
		cfg->account(cfg->account_arg, -(int64_t)cfg->charged_bytes);
}

static void table_free(struct tce_table *t)
{
	struct tce_ctx *ctx = t->ctx;
	struct teardown td;

	tce__batch_init(&td.leaves, t->leaf_bytes, TCE__BLOCK_TAG_LEAF);
	tce__batch_init(&td.others, t->block_bytes, TCE__BLOCK_TAG_ANY);
	if (t->root)
		free_tree(t, TCE_TREE_HW, t->root, t->levels - 1, &td);
	if (t->mirror_root)
		free_tree(t, TCE_TREE_MIRROR, t->mirror_root, t->levels - 1, &td);
	tce__blocks_release(ctx, &td.leaves);
	tce__blocks_release(ctx, &td.others);
	refund(&t->cfg);
	tce__free(ctx, t, sizeof(*t));
}

static int charge(const struct tce_table_config *cfg)
{
	int rc;

	if (!cfg->account)
		return 0;
	rc = cfg->account(cfg->account_arg, (int64_t)cfg->charged_bytes);
	return rc > 0 ? -ENOMEM : rc;
}

static void table_init(struct tce_table *t, struct tce_ctx *ctx,
		       const struct tce_table_config *cfg)
{
	t->ctx = ctx;
	t->cfg = *cfg;
	t->first_idx = cfg->first_idx;
	t->entries = cfg->entries;
	t->page_shift = cfg->page_shift;
	t->levels = cfg->levels;
	t->level_bits = cfg->level_shift - 3;
	t->level_entries = cfg->level_entries;
	t->block_bytes = (size_t)1 << cfg->level_shift;
	tce__sum_shape(t);
	atomic_init(&t->refs, 1);
}

/* Allocate the top levels; on failure the caller frees what was allocated. */
static int alloc_roots(struct tce_table *t)
{
	t->root = level_alloc(t, TCE_TREE_HW, t->levels - 1);
	if (!t->root)
		return -ENOMEM;
	t->levels_allocated = 1;
	if (!t->cfg.mirror)
		return 0;
	t->mirror_root = level_alloc(t, TCE_TREE_MIRROR, t->levels - 1);
	if (!t->mirror_root)
		return -ENOMEM;
	t->mirror_levels_allocated = 1;
	return 0;
}

int tce_table_create(struct tce_ctx *ctx, struct tce_table_config *cfg, struct tce_table **out)
{
	struct tce_table_config granted = *cfg;
	struct tce_table *t;
	int rc;

	rc = tce__table_geometry(&granted);
	if (rc) {
		tce__dbg(ctx, "table: refused geometry bus 0x%llx window 0x%llx shift %u levels %u",
			 (unsigned long long)cfg->bus_offset, (unsigned long long)cfg->window_size,
			 cfg->page_shift, cfg->levels);
		return rc;
	}
	rc = charge(&granted);
	if (rc)
		return rc;
	t = tce__calloc(ctx, sizeof(*t));
	if (!t) {
		refund(&granted);
		return -ENOMEM;
	}
	table_init(t, ctx, &granted);
	rc = alloc_roots(t);
	if (rc) {
		table_free(t);
		return rc;
	}
	*cfg = granted;
	*out = t;
	return 0;
}

struct tce_table *tce_table_hold(struct tce_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

/*
 * Blocks of a tree under @block (itself included); *@bad counts malformed
 * level pointers and, with @sums, leaves whose summary disagrees with them.
 */
TCE_CHECKER
static uint64_t count_blocks(const struct tce_table *t, const uint64_t *block, uint32_t depth,
			     bool sums, uint64_t *bad)
{
	uint64_t i, e, n = 1;

	if (!depth && sums && !tce__sum_check(t, block))
		(*bad)++;
	for (i = 0; depth && i < t->level_entries; i++) {
		e = tce__load_be(&block[i]);
		if (!e)
			continue;
		if ((e & TCE_PERM_MASK) != TCE_PERM_MASK || (e & 0xffc))
			(*bad)++;
		else
			n += count_blocks(t, tce__level_block(e), depth - 1, sums, bad);
	}
	return n;
}

TCE_CHECKER
int tce__table_check(const struct tce_table *t)
{
	uint64_t bad = 0, hw = count_blocks(t, t->root, t->levels - 1, true, &bad), mirror = 0;

	if (t->mirror_root)
		mirror = count_blocks(t, t->mirror_root, t->levels - 1, false, &bad);
	if (!bad && hw == atomic_load(&t->levels_allocated) &&
	    mirror == atomic_load(&t->mirror_levels_allocated))
		return 0;
	tce__err(t->ctx, "table check: %" PRIu64 " malformed level pointers or summaries; %" PRIu64
		 " blocks against %" PRIu64 " counted, mirror %" PRIu64 " against %" PRIu64,
		 bad, hw, (uint64_t)atomic_load(&t->levels_allocated), mirror,
		 (uint64_t)atomic_load(&t->mirror_levels_allocated));
	return -EIO;
}

void tce_table_put(struct tce_table *t)
{
	if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
		tce__assert(tce__table_check(t) == 0);
		table_free(t);
	}
}

void tce_table_get_config(const struct tce_table *t, struct tce_table_config *out)
{
	*out = t->cfg;
}

/* Non-zero leaf entries under @block that lie inside the window. */
static uint64_t count_populated(const struct tce_table *t, const uint64_t *block,
				uint32_t depth, uint64_t first_rel)
{
	uint64_t i, n = 0, span = 1ULL << (depth * t->level_bits), e;

	for (i = 0; i < t->level_entries && first_rel + i * span < t->entries; i++) {
		e = be64toh(__atomic_load_n(&block[i], __ATOMIC_ACQUIRE));
		if (!e)
			continue;
		n += depth ? count_populated(t, tce__level_block(e), depth - 1, first_rel + i * span)
			   : 1;
	}
	return n;
}

void tce_table_stats(const struct tce_table *t, struct tce_table_stats *out)
{
	struct tce_table *w = (struct tce_table *)t;

	out->populated = count_populated(t, t->root, t->levels - 1, 0);
	out->levels_allocated = atomic_load(&w->levels_allocated);
	out->mirror_levels_allocated = atomic_load(&w->mirror_levels_allocated);
	out->bytes_allocated =
		(out->levels_allocated + out->mirror_levels_allocated) * (uint64_t)t->block_bytes;
}
