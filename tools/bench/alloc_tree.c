/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BL-TREE of spec performance.md §6.2: a range allocator in the style of
 * Linux drivers/iommu/iova.c without its caches. Allocated ranges are nodes
 * of a red-black tree under one global lock, each node malloc()ed outside
 * the lock; an allocation walks top-down (rb_prev) from a cached node below
 * the limit and takes the first gap that fits, retrying once from the limit
 * down to the cached node; frees look the range up and move the cached node
 * up when freeing at or above it. Differences from iova.c: one cached node
 * (no separate 32-bit one, no max32 fast fail), alignment by order rather
 * than by size, and segment boundaries are honoured. Layer: tools.
 */
#include <errno.h>
#include <stdlib.h>

#include "alloc.h"
#include "alloc_lock.h"
#include "alloc_rbtree.h"

#define NONE UINT64_MAX

/* One allocated range [lo, hi], inclusive as iova.c's pfn_lo/pfn_hi. */
struct tree_range {
	struct rbt_node rb; /* first: a node is its range */
	uint64_t lo, hi;
};

struct bl_tree {
	struct bl_lock lock;
	struct rbt_root root;        /* guarded by lock */
	struct rbt_node *cached;     /* guarded by lock: where walks start */
	struct tree_range anchor;    /* [NONE, NONE]: the top of every walk */
	uint64_t start, end;         /* usable entries [start, end) */
	uint64_t first, entries;     /* the window */
	struct tree_range *slab;     /* the pre-fill's nodes, one allocation */
	uint64_t nslab;
};

static struct tree_range *range_of(const struct rbt_node *n)
{
	return (struct tree_range *)n;
}

/* The highest legal start of @r's range ending at or below @high, or NONE. */
static uint64_t place(const struct alloc_req *r, uint64_t high)
{
	uint64_t n = r->npages, amask = (1ULL << r->align_order) - 1, s, b;

	if (high < n)
		return NONE;
	s = (high - n) & ~amask;
	if (r->boundary && (s & (r->boundary - 1)) + n > r->boundary) {
		b = (s + n - 1) & ~(r->boundary - 1); /* the boundary it spans */
		if (b < n)
			return NONE;
		s = (b - n) & ~amask;
	}
	return s;
}

/* The lowest range whose start is at or above @limit (the anchor at worst). */
static struct rbt_node *find_limit(const struct bl_tree *t, uint64_t limit)
{
	struct rbt_node *n = t->root.node, *best = (struct rbt_node *)&t->anchor.rb;

	while (n) {
		if (range_of(n)->lo >= limit) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/*
 * The top-down first-fit walk of iova.c's __alloc_and_insert_iova_range():
 * returns the start and, in *@prev, the node the new range goes below.
 */
static uint64_t walk(const struct bl_tree *t, const struct alloc_req *r, struct rbt_node **prev)
{
	uint64_t limit = r->limit && r->limit < t->end ? r->limit : t->end;
	uint64_t high = limit, low = t->start, lo, retry;
	struct rbt_node *curr = t->cached;

	retry = range_of(curr)->hi;
again:
	do {
		high = high < range_of(curr)->lo ? high : range_of(curr)->lo;
		lo = place(r, high);
		*prev = curr;
		curr = rbt_prev(curr);
	} while (curr && lo != NONE && lo >= low && lo <= range_of(curr)->hi);
	if (lo != NONE && lo >= low)
		return lo;
	if (low == t->start && retry < limit) {
		high = limit;
		low = retry + 1;
		curr = find_limit(t, limit);
		goto again;
	}
	return NONE;
}

/* Link @nr below @start, where the walk ended (iova_insert_rbtree()). */
static void insert_below(struct bl_tree *t, struct tree_range *nr, struct rbt_node *start)
{
	struct rbt_node *parent = NULL, **link = &start;

	while (*link) {
		parent = *link;
		link = nr->lo < range_of(parent)->lo ? &parent->left : &parent->right;
	}
	rbt_link(&nr->rb, parent, link);
	rbt_insert_color(&t->root, &nr->rb);
}

int bl_tree_alloc(struct bl_tree *t, const struct alloc_req *r, uint64_t *idx)
{
	struct tree_range *nr = malloc(sizeof(*nr));
	struct rbt_node *prev;
	uint64_t lo;

	if (!nr)
		return -ENOMEM;
	bl_lock(&t->lock);
	lo = walk(t, r, &prev);
	if (lo != NONE) {
		nr->lo = lo;
		nr->hi = lo + r->npages - 1;
		insert_below(t, nr, prev);
		t->cached = &nr->rb;
	}
	bl_unlock(&t->lock);
	if (lo == NONE) {
		free(nr);
		return -ENOSPC;
	}
	*idx = lo;
	return 0;
}

/* Pre-fill nodes live in the slab; every other node was malloc()ed alone. */
static void node_free(const struct bl_tree *t, struct tree_range *r)
{
	if (r < t->slab || r >= t->slab + t->nslab)
		free(r);
}

static struct tree_range *find(const struct bl_tree *t, uint64_t idx)
{
	struct rbt_node *n = t->root.node;

	while (n) {
		if (idx < range_of(n)->lo)
			n = n->left;
		else if (idx > range_of(n)->hi)
			n = n->right;
		else
			return range_of(n);
	}
	return NULL;
}

/* Unlink @r, moving the cached node up past it (__cached_rbnode_delete_update). */
static void remove_range(struct bl_tree *t, struct tree_range *r)
{
	if (r->lo >= range_of(t->cached)->lo)
		t->cached = rbt_next(&r->rb);
	rbt_erase(&t->root, &r->rb);
}

int bl_tree_free(struct bl_tree *t, uint64_t idx, uint64_t npages)
{
	struct tree_range *r;

	bl_lock(&t->lock);
	r = find(t, idx);
	if (r && r->lo == idx && r->hi - r->lo + 1 == npages)
		remove_range(t, r);
	else
		r = NULL;
	bl_unlock(&t->lock);
	if (!r)
		return -EINVAL;
	node_free(t, r);
	return 0;
}

void bl_tree_free_many(struct bl_tree *t, const uint64_t *idx, unsigned n, uint64_t npages)
{
	struct tree_range *r;
	unsigned i;

	bl_lock(&t->lock);
	for (i = 0; i < n; i++) {
		r = find(t, idx[i]);
		if (!r || r->lo != idx[i] || r->hi - r->lo + 1 != npages)
			continue;
		remove_range(t, r);
		node_free(t, r);
	}
	bl_unlock(&t->lock);
}

int bl_tree_create(const struct alloc_geom *g, bool spin, struct bl_tree **out)
{
	struct bl_tree *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	rc = bl_lock_init(&t->lock, spin);
	if (rc) {
		free(t);
		return rc;
	}
	t->anchor.lo = t->anchor.hi = NONE;
	rbt_link(&t->anchor.rb, NULL, &t->root.node);
	rbt_insert_color(&t->root, &t->anchor.rb);
	t->cached = &t->anchor.rb;
	t->start = g->first_idx ? g->first_idx : 1; /* bus address 0 is never handed out */
	t->end = g->first_idx + g->entries;
	t->first = g->first_idx;
	t->entries = g->entries;
	*out = t;
	return 0;
}

/* Post-order, so no node is read after it was freed. */
static void free_subtree(struct bl_tree *t, struct rbt_node *n)
{
	if (!n)
		return;
	free_subtree(t, n->left);
	free_subtree(t, n->right);
	if (n != &t->anchor.rb)
		node_free(t, range_of(n));
}

void bl_tree_destroy(struct bl_tree *t)
{
	free_subtree(t, t->root.node);
	free(t->slab);
	bl_lock_fini(&t->lock);
	free(t);
}

/* ------------------------------------------------------------------------ */
/* Pre-fill: the tree 1-page allocations would build, built at once         */
/* ------------------------------------------------------------------------ */

struct fill_nodes {
	struct tree_range *v;
	uint64_t n, first;
};

static int count_run(void *arg, uint64_t rel, uint64_t n)
{
	*(uint64_t *)arg += n;
	return 0;
}

static int fill_run(void *arg, uint64_t rel, uint64_t n)
{
	struct fill_nodes *f = arg;
	uint64_t i;

	for (i = 0; i < n; i++) {
		f->v[f->n].lo = f->v[f->n].hi = f->first + rel + i;
		f->n++;
	}
	return 0;
}

/*
 * A balanced subtree of the sorted @v[lo, hi), split at the middle, so leaves
 * sit at depths @maxd and @maxd + 1; colouring the nodes at depth @maxd red
 * and all others black satisfies the red-black rules.
 */
static struct rbt_node *build(struct tree_range *v, uint64_t lo, uint64_t hi, unsigned depth,
			      unsigned maxd, struct rbt_node *parent)
{
	uint64_t mid = lo + (hi - lo) / 2;
	struct rbt_node *n;

	if (lo >= hi)
		return NULL;
	n = &v[mid].rb;
	n->parent = parent;
	n->red = depth == maxd && maxd > 0;
	n->left = build(v, lo, mid, depth + 1, maxd, n);
	n->right = build(v, mid + 1, hi, depth + 1, maxd, n);
	return n;
}

/* The anchor goes last: rightmost, as every range lies below it. */
static void link_anchor(struct bl_tree *t)
{
	struct rbt_node *parent = NULL, **link = &t->root.node;

	while (*link) {
		parent = *link;
		link = &parent->right;
	}
	rbt_link(&t->anchor.rb, parent, link);
	rbt_insert_color(&t->root, &t->anchor.rb);
}

/*
 * Every kept entry becomes a 1-page node, as if allocated, built in O(n)
 * (16 Mi inserts and frees at size L took seconds per tree). The nodes come
 * from one slab, as iova.c's come from a kmem_cache. The tree must be empty.
 */
int bl_tree_prefill(struct bl_tree *t, unsigned pct, uint64_t granule)
{
	struct fill_nodes f = { .first = t->first };
	uint64_t count = 0;

	if (t->root.node != &t->anchor.rb || t->anchor.rb.left || t->slab)
		return -EBUSY;
	alloc_kept_runs(t->entries, t->first == 0, pct, granule, count_run, &count);
	if (!count)
		return 0;
	f.v = malloc(count * sizeof(*f.v));
	if (!f.v)
		return -ENOMEM;
	alloc_kept_runs(t->entries, t->first == 0, pct, granule, fill_run, &f);
	t->slab = f.v;
	t->nslab = f.n;
	t->root.node = build(f.v, 0, f.n, 0, 63 - (unsigned)__builtin_clzll(f.n), NULL);
	link_anchor(t);
	t->cached = &t->anchor.rb;
	/* Check the bulk build where it is cheap (a walk of 16 Mi nodes is not). */
	if (count <= 1ULL << 20 && rbt_check(t->root.node) < 0)
		return -EPROTO;
	return 0;
}

static int tree_prefill(void *a, unsigned pct, uint64_t granule)
{
	return bl_tree_prefill(a, pct, granule);
}

static int tree_create(const struct alloc_kind *k, const struct alloc_geom *g, void **out)
{
	return bl_tree_create(g, k->spin, (struct bl_tree **)out);
}

static void tree_destroy(void *a)
{
	bl_tree_destroy(a);
}

static int tree_alloc(void *a, const struct alloc_req *r, uint64_t *idx)
{
	return bl_tree_alloc(a, r, idx);
}

static int tree_free(void *a, unsigned tid, uint64_t idx, uint64_t npages)
{
	return bl_tree_free(a, idx, npages);
}

const struct alloc_ops alloc_tree_ops = {
	.create = tree_create,
	.destroy = tree_destroy,
	.alloc = tree_alloc,
	.free = tree_free,
	.prefill = tree_prefill,
};
