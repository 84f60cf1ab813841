/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small intrusive red-black tree with parent pointers, for the BL-TREE
 * baseline (Linux iova.c keeps its ranges in lib/rbtree.c; this is our own,
 * written from the textbook algorithm). The caller links a new node where
 * its own descent ended and calls rbt_insert_color(); ordering is the
 * caller's business. Layer: tools; the C library only.
 */
#ifndef TCE_BENCH_ALLOC_RBTREE_H
#define TCE_BENCH_ALLOC_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

struct rbt_node {
	struct rbt_node *parent, *left, *right;
	bool red;
};

struct rbt_root {
	struct rbt_node *node;
};

/* Attach @n as the child *@link of @parent (NULL for the root). */
static inline void rbt_link(struct rbt_node *n, struct rbt_node *parent,
			    struct rbt_node **link)
{
	n->parent = parent;
	n->left = n->right = NULL;
	*link = n;
}

/* Rebalance after rbt_link(). */
void rbt_insert_color(struct rbt_root *root, struct rbt_node *n);

/* Unlink @n and rebalance. */
void rbt_erase(struct rbt_root *root, struct rbt_node *n);

/* In-order neighbours; NULL past either end. */
struct rbt_node *rbt_prev(const struct rbt_node *n);
struct rbt_node *rbt_next(const struct rbt_node *n);
struct rbt_node *rbt_first(const struct rbt_root *root);

/* Debug: check the red-black rules; returns the black height or -1. */
int rbt_check(const struct rbt_node *n);

#endif /* TCE_BENCH_ALLOC_RBTREE_H */
