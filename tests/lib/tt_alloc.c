/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator oracle: brute-force checks over a byte per entry.
 */
#include "tt_alloc.h"

#include <stdlib.h>

int oracle_init(struct alloc_oracle *o, const struct tce_pool_config *g)
{
	o->cfg = *g;
	o->state = calloc(g->entries, 1);
	if (o->state && g->first_idx == 0)
		o->state[0] = 2;
	return o->state ? 0 : -1;
}

void oracle_fini(struct alloc_oracle *o)
{
	free(o->state);
	o->state = NULL;
}

uint64_t oracle_size(const struct alloc_oracle *o, uint64_t n)
{
	uint64_t r = 1;

	if (!o->cfg.cache || n > 32)
		return n;
	while (r < n)
		r <<= 1;
	return r;
}

/* [s, e) of the pool holding relative entry @rel. */
static void pool_range(const struct alloc_oracle *o, uint64_t rel, uint64_t *s, uint64_t *e)
{
	uint64_t size = o->cfg.pool_entries, large = o->cfg.large_start - o->cfg.first_idx;
	uint64_t i;

	if (rel >= large) {
		*s = large;
		*e = o->cfg.entries;
		return;
	}
	i = rel / size;
	if (i >= o->cfg.nr_pools)
		i = o->cfg.nr_pools - 1;
	*s = i * size;
	*e = i + 1 == o->cfg.nr_pools ? large : (i + 1) * size;
}

/* Does [rel, rel + n) satisfy the request's constraints (not occupancy)? */
static const char *legal(const struct alloc_oracle *o, const struct tce_alloc_req *req,
			 uint64_t rel, uint64_t n)
{
	uint64_t abs = o->cfg.first_idx + rel, s, e, b;

	if (rel >= o->cfg.entries || n > o->cfg.entries - rel)
		return "outside the window";
	pool_range(o, rel, &s, &e);
	if (rel + n > e)
		return "spans two pools";
	if (req->dma_mask && abs + n - 1 > req->dma_mask >> o->cfg.page_shift)
		return "above the DMA mask";
	if (req->align_order && abs % (1ULL << req->align_order))
		return "misaligned";
	b = req->boundary >> o->cfg.page_shift;
	if (b && abs / b != (abs + n - 1) / b)
		return "spans a boundary";
	return NULL;
}

const char *oracle_alloc(struct alloc_oracle *o, const struct tce_alloc_req *req, uint64_t idx)
{
	uint64_t n = oracle_size(o, req->npages), rel = idx - o->cfg.first_idx, i;
	const char *why;

	if (idx < o->cfg.first_idx)
		return "below the window";
	why = legal(o, req, rel, n);
	if (why)
		return why;
	for (i = 0; i < n; i++)
		if (o->state[rel + i])
			return "overlaps a live or reserved entry";
	for (i = 0; i < n; i++)
		o->state[rel + i] = 1;
	return NULL;
}

const char *oracle_enospc(const struct alloc_oracle *o, const struct tce_alloc_req *req)
{
	uint64_t n = oracle_size(o, req->npages), rel, k;

	for (rel = 0; rel + n <= o->cfg.entries; rel++) {
		if (legal(o, req, rel, n))
			continue;
		for (k = 0; k < n && !o->state[rel + k]; k++)
			;
		if (k == n)
			return "failed although a pool has room";
	}
	return NULL;
}

void oracle_free(struct alloc_oracle *o, uint64_t idx, uint64_t npages)
{
	uint64_t i, n = oracle_size(o, npages);

	for (i = 0; i < n; i++)
		o->state[idx - o->cfg.first_idx + i] = 0;
}

void oracle_reserve(struct alloc_oracle *o, uint64_t idx, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		o->state[idx - o->cfg.first_idx + i] = 2;
}
