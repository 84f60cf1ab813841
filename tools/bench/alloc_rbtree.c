/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red-black insertion and deletion with rotations (Cormen et al., ch. 13),
 * with NULL leaves: deletion tracks the parent of the hole because the hole
 * itself may be NULL. Neighbour walks climb parent pointers, so rbt_prev()
 * is O(1) amortised as iova.c's rb_prev() is. Layer: tools.
 */
#include "alloc_rbtree.h"

/* Make @parent's link that pointed at @old point at @new. */
static void replace_child(struct rbt_root *root, struct rbt_node *parent, struct rbt_node *old,
			  struct rbt_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static void rotate_left(struct rbt_root *root, struct rbt_node *x)
{
	struct rbt_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
}

static void rotate_right(struct rbt_root *root, struct rbt_node *x)
{
	struct rbt_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
}

static bool is_red(const struct rbt_node *n)
{
	return n && n->red;
}

void rbt_insert_color(struct rbt_root *root, struct rbt_node *z)
{
	struct rbt_node *p, *g, *u;

	z->red = true;
	while ((p = z->parent) && p->red) {
		g = p->parent;
		u = p == g->left ? g->right : g->left;
		if (is_red(u)) {
			p->red = u->red = false;
			g->red = true;
			z = g;
			continue;
		}
		if (p == g->left && z == p->right) {
			rotate_left(root, p);
			p = z;
		} else if (p == g->right && z == p->left) {
			rotate_right(root, p);
			p = z;
		}
		p->red = false;
		g->red = true;
		if (p == g->left)
			rotate_right(root, g);
		else
			rotate_left(root, g);
		break; /* @p now tops the subtree, black */
	}
	root->node->red = false;
}

/* Put @v (possibly NULL) where @u hangs. */
static void transplant(struct rbt_root *root, struct rbt_node *u, struct rbt_node *v)
{
	replace_child(root, u->parent, u, v);
	if (v)
		v->parent = u->parent;
}

/* The sibling @w of the hole is black now; recolour or rotate once. */
static struct rbt_node *fix_left(struct rbt_root *root, struct rbt_node *xp)
{
	struct rbt_node *w = xp->right;

	if (w->red) {
		w->red = false;
		xp->red = true;
		rotate_left(root, xp);
		w = xp->right;
	}
	if (!is_red(w->left) && !is_red(w->right)) {
		w->red = true;
		return xp; /* the hole moves up */
	}
	if (!is_red(w->right)) {
		w->left->red = false;
		w->red = true;
		rotate_right(root, w);
		w = xp->right;
	}
	w->red = xp->red;
	xp->red = false;
	w->right->red = false;
	rotate_left(root, xp);
	return NULL; /* done */
}

static struct rbt_node *fix_right(struct rbt_root *root, struct rbt_node *xp)
{
	struct rbt_node *w = xp->left;

	if (w->red) {
		w->red = false;
		xp->red = true;
		rotate_right(root, xp);
		w = xp->left;
	}
	if (!is_red(w->left) && !is_red(w->right)) {
		w->red = true;
		return xp;
	}
	if (!is_red(w->left)) {
		w->right->red = false;
		w->red = true;
		rotate_left(root, w);
		w = xp->left;
	}
	w->red = xp->red;
	xp->red = false;
	w->left->red = false;
	rotate_right(root, xp);
	return NULL;
}

/* Restore the black height after removing a black node at @x under @xp. */
static void erase_fixup(struct rbt_root *root, struct rbt_node *x, struct rbt_node *xp)
{
	struct rbt_node *up;

	while (xp && !is_red(x)) {
		up = x == xp->left ? fix_left(root, xp) : fix_right(root, xp);
		if (!up) {
			x = root->node;
			break;
		}
		x = up;
		xp = up->parent;
	}
	if (x)
		x->red = false;
}

void rbt_erase(struct rbt_root *root, struct rbt_node *z)
{
	struct rbt_node *y = z, *x, *xp;
	bool removed_red = z->red;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = z->parent;
		transplant(root, z, x);
	} else {
		for (y = z->right; y->left; y = y->left)
			;
		removed_red = y->red;
		x = y->right;
		xp = y;
		if (y->parent != z) {
			xp = y->parent;
			transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	if (!removed_red)
		erase_fixup(root, x, xp);
}

struct rbt_node *rbt_next(const struct rbt_node *n)
{
	const struct rbt_node *p;

	if (n->right) {
		for (n = n->right; n->left; n = n->left)
			;
		return (struct rbt_node *)n;
	}
	while ((p = n->parent) && n == p->right)
		n = p;
	return (struct rbt_node *)p;
}

struct rbt_node *rbt_prev(const struct rbt_node *n)
{
	const struct rbt_node *p;

	if (n->left) {
		for (n = n->left; n->right; n = n->right)
			;
		return (struct rbt_node *)n;
	}
	while ((p = n->parent) && n == p->left)
		n = p;
	return (struct rbt_node *)p;
}

struct rbt_node *rbt_first(const struct rbt_root *root)
{
	struct rbt_node *n = root->node;

	while (n && n->left)
		n = n->left;
	return n;
}

int rbt_check(const struct rbt_node *n)
{
	int l, r;

	if (!n)
		return 1;
	if (n->red && (is_red(n->left) || is_red(n->right)))
		return -1;
	if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n))
		return -1;
	l = rbt_check(n->left);
	r = rbt_check(n->right);
	if (l < 0 || r < 0 || l != r)
		return -1;
	return l + !n->red;
}
