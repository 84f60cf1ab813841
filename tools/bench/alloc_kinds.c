/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalogue of allocator variants of `tce-bench alloc` (spec
 * performance.md §6.2) and what every benchmark does with one: create and
 * destroy it, pre-fill it with spread-out 1-page allocations, read a row's
 * ratios against the baselines, and bracket a timed loop for callgrind.
 * Layer: tools; uses <tce.h>, the harness and the report.
 */
#include <errno.h>
#include <stdio.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

#include "alloc.h"

const struct alloc_kind alloc_kinds[K_COUNT] = {
	[K_FLOOR] = { "FLOOR", &alloc_floor_ops, ALLOC_FLOOR, 0, false, false },
	[K_ONELOCK_MTX] = { "BL-ONELOCK-mtx", &alloc_onelock_ops, ALLOC_ONELOCK, 0, false, false },
	[K_ONELOCK_SPIN] = { "BL-ONELOCK-spin", &alloc_onelock_ops, ALLOC_ONELOCK, 0, false, true },
	[K_TREE_MTX] = { "BL-TREE-mtx", &alloc_tree_ops, ALLOC_TREE, 0, false, false },
	[K_TREE_SPIN] = { "BL-TREE-spin", &alloc_tree_ops, ALLOC_TREE, 0, false, true },
	[K_MAG_MTX] = { "BL-TREE+MAG-mtx", &alloc_mag_ops, ALLOC_TREE_MAG, 0, false, false },
	[K_MAG_SPIN] = { "BL-TREE+MAG-spin", &alloc_mag_ops, ALLOC_TREE_MAG, 0, false, true },
	[K_P4_MTX] = { "OURS-P4-mtx", &alloc_ours_ops, ALLOC_OURS, 4, false, false },
	[K_P4_SPIN] = { "OURS-P4-spin", &alloc_ours_ops, ALLOC_OURS, 4, false, true },
	[K_P16_MTX] = { "OURS-P16-mtx", &alloc_ours_ops, ALLOC_OURS, 16, false, false },
	[K_P16_SPIN] = { "OURS-P16-spin", &alloc_ours_ops, ALLOC_OURS, 16, false, true },
	[K_P16MAG_MTX] = { "OURS-P16+MAG-mtx", &alloc_ours_ops, ALLOC_OURS, 16, true, false },
	[K_P16MAG_SPIN] = { "OURS-P16+MAG-spin", &alloc_ours_ops, ALLOC_OURS, 16, true, true },
};

enum alloc_kind_id alloc_onelock_of(enum alloc_kind_id id)
{
	return alloc_kinds[id].spin ? K_ONELOCK_SPIN : K_ONELOCK_MTX;
}

enum alloc_kind_id alloc_tree_of(enum alloc_kind_id id)
{
	const struct alloc_kind *k = &alloc_kinds[id];
	bool mag = k->fam == ALLOC_TREE_MAG || k->cache;

	if (mag)
		return k->spin ? K_MAG_SPIN : K_MAG_MTX;
	return k->spin ? K_TREE_SPIN : K_TREE_MTX;
}

uint64_t alloc_ops_for(enum alloc_kind_id id, uint64_t ops)
{
	enum alloc_family fam = alloc_kinds[id].fam;

	if (fam == ALLOC_TREE || fam == ALLOC_TREE_MAG)
		ops /= 4;
	return ops ? ops : 1;
}

int alloc_inst_create(struct alloc_inst *in, enum alloc_kind_id id, const struct alloc_geom *g)
{
	int rc;

	in->k = &alloc_kinds[id];
	in->g = *g;
	rc = in->k->ops->create(in->k, g, &in->a);
	if (rc) {
		in->a = NULL;
		return alloc_fail(in->k->name, rc);
	}
	return 0;
}

void alloc_inst_destroy(struct alloc_inst *in)
{
	if (in->k && in->a)
		in->k->ops->destroy(in->a);
	in->a = NULL;
}

bool alloc_keep(uint64_t k, unsigned pct)
{
	return (k + 1) * pct / 100 > k * pct / 100;
}

int alloc_kept_runs(uint64_t entries, bool skip0, unsigned pct, uint64_t granule,
		    int (*fn)(void *arg, uint64_t rel, uint64_t n), void *arg)
{
	uint64_t k, nblocks = entries / granule, run = 0, start;
	int rc = 0;

	for (k = 0; k <= nblocks && !rc; k++) {
		if (k < nblocks && alloc_keep(k, pct)) {
			run++;
			continue;
		}
		start = (k - run) * granule;
		if (run && start == 0 && skip0)
			rc = run * granule > 1 ? fn(arg, 1, run * granule - 1) : 0;
		else if (run)
			rc = fn(arg, start, run * granule);
		run = 0;
	}
	return rc;
}

int alloc_prefill(struct alloc_inst *in, unsigned pct, uint64_t granule)
{
	struct alloc_req r = { .npages = 1, .cpu = -1 };
	uint64_t i, idx, skip = in->g.first_idx == 0; /* entry 0 is never handed out */
	int rc;

	if (in->k->ops->prefill) {
		rc = in->k->ops->prefill(in->a, pct, granule);
		return rc ? alloc_fail("pre-fill", rc) : 0;
	}

	for (i = skip; i < in->g.entries; i++) {
		rc = alloc_get(in, &r, &idx);
		if (rc)
			return alloc_fail("pre-fill: alloc", rc);
	}
	for (i = skip; i < in->g.entries; i++) {
		if (alloc_keep(i / granule, pct))
			continue;
		rc = alloc_put(in, 0, in->g.first_idx + i, 1);
		if (rc)
			return alloc_fail("pre-fill: free", rc);
	}
	return 0;
}

int alloc_fail(const char *what, int rc)
{
	fprintf(stderr, "tce-bench: alloc: %s: %s (%s)\n", what, tce_strerror(rc),
		tce_err_name(rc));
	return rc;
}

void alloc_ratios(struct bench_row *r, double floor_ns, double onelock_ns, double tree_ns)
{
	double ns = r->v ? r->v->sum.median : 0;

	if (floor_ns > 0)
		r->ratio = ns / floor_ns;
	if (onelock_ns > 0)
		bench_extra(r, "ratio_to_onelock", ns / onelock_ns);
	if (tree_ns > 0)
		bench_extra(r, "ratio_to_tree", ns / tree_ns);
}

bool alloc_callgrind;

void alloc_cg_start(void)
{
#ifdef HAVE_CALLGRIND
	if (alloc_callgrind)
		CALLGRIND_START_INSTRUMENTATION;
#endif
}

void alloc_cg_stop(const char *label)
{
#ifdef HAVE_CALLGRIND
	if (!alloc_callgrind)
		return;
	CALLGRIND_STOP_INSTRUMENTATION;
	CALLGRIND_DUMP_STATS_AT(label);
#else
	(void)label;
#endif
}
