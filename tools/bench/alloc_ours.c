/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's pooled allocator behind the benchmark's ops table: OURS-P4,
 * OURS-P16 and OURS-P16+MAG call tce_pool_alloc()/tce_pool_free() directly.
 * (The one-lock baseline is BL-ONELOCK, the FLOOR bitmap under one lock, in
 * alloc_floor.c: wrapping this allocator in a second lock made a baseline
 * that did more work than what it was compared with.) Layer: tools; <tce.h>.
 */
#include <errno.h>
#include <stdlib.h>

#include "alloc.h"

struct ours {
	struct tce_pool *p;
	uint32_t shift;
	uint64_t first, entries;
};

static void to_tce_req(const struct ours *o, const struct alloc_req *r,
		       struct tce_alloc_req *t)
{
	*t = (struct tce_alloc_req){ .npages = r->npages, .align_order = r->align_order,
				     .cpu = r->cpu };
	if (r->limit)
		t->dma_mask = (r->limit << o->shift) - 1;
	if (r->boundary)
		t->boundary = r->boundary << o->shift;
}

static int ours_alloc(void *arg, const struct alloc_req *r, uint64_t *idx)
{
	struct ours *o = arg;
	struct tce_alloc_req t;

	to_tce_req(o, r, &t);
	return tce_pool_alloc(o->p, &t, idx);
}

static int ours_free(void *arg, unsigned tid, uint64_t idx, uint64_t npages)
{
	struct ours *o = arg;

	(void)tid;
	return tce_pool_free(o->p, idx, npages);
}

static void ours_destroy(void *arg)
{
	struct ours *o = arg;

	tce_pool_destroy(o->p);
	free(o);
}

static int ours_create(const struct alloc_kind *k, const struct alloc_geom *g, void **out)
{
	struct tce_pool_config cfg = {
		.first_idx = g->first_idx,
		.entries = g->entries,
		.page_shift = g->page_shift,
		.nr_pools = k->nr_pools,
		.spinlocks = k->spin,
		.cache = k->cache,
	};
	struct ours *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	o->shift = g->page_shift;
	o->first = g->first_idx;
	o->entries = g->entries;
	rc = tce_pool_create(g->ctx, &cfg, &o->p);
	if (rc) {
		ours_destroy(o);
		return rc;
	}
	*out = o;
	return 0;
}

static uint64_t ours_cache_hits(void *arg)
{
	struct ours *o = arg;
	struct tce_pool_stats st;

	tce_pool_stats(o->p, &st);
	return st.cache_hits;
}

static int reserve_run(void *arg, uint64_t rel, uint64_t n)
{
	struct ours *o = arg;

	return tce_pool_reserve(o->p, o->first + rel, n);
}

/*
 * The pre-fill reserves the kept runs: to the search and to frees a reserved
 * entry is an allocated one. Filling a window one page at a time through
 * tce_pool_alloc() is quadratic once the home pool is full (the next pool is
 * searched from its start on every call: 2 Mi entries, 4 pools, 1.6 us per
 * page on average against 33 ns with one pool).
 */
static int ours_prefill(void *arg, unsigned pct, uint64_t granule)
{
	struct ours *o = arg;

	return alloc_kept_runs(o->entries, o->first == 0, pct, granule, reserve_run, o);
}

const struct alloc_ops alloc_ours_ops = {
	.create = ours_create,
	.destroy = ours_destroy,
	.alloc = ours_alloc,
	.free = ours_free,
	.cache_hits = ours_cache_hits,
	.prefill = ours_prefill,
};
