/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA API's record of what it handed out (DECISIONS 24): every live
 * mapping (a page, a coherent buffer, a scatter list with its segments and
 * ranges), keyed by its first entry, so that an unmap or free that does not
 * match one mapping exactly is refused before any TCE is touched.
 * Layer: dma.
 *
 * Structure: one open-addressing hash table per allocator pool (a shard),
 * each behind its own mutex. A mapping lives in the shard of the pool that
 * owns its first entry; no two live mappings share a first entry, because
 * the allocator hands each entry out once.
 *
 *  | operation | cost                                                      |
 *  |-----------|-----------------------------------------------------------|
 *  | add       | O(1) expected; doubling at 3/4 load rehashes the shard    |
 *  |           | (amortised over the adds before it), so a map may -ENOMEM |
 *  | take      | O(1) expected; linear probing with backward-shift         |
 *  |           | deletion leaves no tombstones, so millions of maps and    |
 *  |           | unmaps never slow the table down; never allocates         |
 *
 * Locking: a map takes its pool's lock (allocation), releases it, then the
 * shard's lock (add); an unmap takes the shard's lock (take), releases it,
 * then the pool's lock (free). The two are never held together, and two
 * threads in different pools share no lock, as with the allocator alone.
 * A shard is a mutex, not a spinlock, because a grow allocates and rehashes
 * under it. A shard keeps its size after the mappings go (its high-water
 * mark: 32 bytes a slot, at most 8/3 slots a mapping) until the DMA object
 * is destroyed.
 *
 * Rejected: a bitmap next to the allocator's marking where mappings start.
 * It needs no allocation on map, but it cannot hold a mapping's byte size,
 * its offset in the page or a scatter list's segments, so an unmap that
 * names the right pages with the wrong size would pass.
 */
#include <errno.h>
#include <inttypes.h>

#include "dma/dma_int.h"
#include "util/arith.h"
#include "util/lock.h"

#define SHARD_MIN_SHIFT 6 /* 64 slots on the first add */

struct tce__dma_shard {
	struct tce__lock lock;
	struct tce__dma_rec *slot; /* guarded by lock; 2^shift records, kind 0 = free */
	uint32_t shift;            /* guarded by lock; 0 before the first add */
	uint64_t count;            /* guarded by lock: records held */
} __attribute__((aligned(64)));

#define NO_SLOT UINT64_MAX

static uint64_t rec_key(const struct tce_dma *d, uint64_t bus)
{
	return bus >> d->page_shift;
}

/* Fibonacci hashing of the entry number into 2^shift slots. */
static uint64_t home_of(uint64_t key, uint32_t shift)
{
	return (key * 0x9e3779b97f4a7c15ULL) >> (64 - shift);
}

static struct tce__dma_shard *shard_of(struct tce_dma *d, uint64_t bus)
{
	return &d->shards[tce__pool_index(d->pool, rec_key(d, bus))];
}

/* Put @r in the first free slot from its home. Context: shard lock; room exists. */
static void place(const struct tce_dma *d, struct tce__dma_shard *sh, const struct tce__dma_rec *r)
{
	uint64_t mask = tce__low_mask(sh->shift), i = home_of(rec_key(d, r->bus), sh->shift);

	while (sh->slot[i].kind)
		i = (i + 1) & mask;
	sh->slot[i] = *r;
}

static size_t slots_bytes(uint32_t shift)
{
	return shift ? ((size_t)1 << shift) * sizeof(struct tce__dma_rec) : 0;
}

/* Double the shard (or create it). Context: shard lock. Returns 0 or -ENOMEM. */
static int grow(const struct tce_dma *d, struct tce__dma_shard *sh)
{
	struct tce__dma_shard old = *sh;
	uint64_t i;

	sh->shift = old.shift ? old.shift + 1 : SHARD_MIN_SHIFT;
	sh->slot = tce__calloc(d->ctx, slots_bytes(sh->shift));
	if (!sh->slot) {
		sh->slot = old.slot, sh->shift = old.shift;
		return -ENOMEM;
	}
	for (i = 0; old.shift && i < (1ULL << old.shift); i++)
		if (old.slot[i].kind)
			place(d, sh, &old.slot[i]);
	tce__free(d->ctx, old.slot, slots_bytes(old.shift));
	return 0;
}

int tce__dma_track_add(struct tce_dma *d, const struct tce__dma_rec *r)
{
	struct tce__dma_shard *sh = shard_of(d, r->bus);
	int rc = 0;

	tce__lock(&sh->lock);
	if ((sh->count + 1) * 4 > (sh->shift ? 3ULL << sh->shift : 0))
		rc = grow(d, sh);
	if (!rc) {
		place(d, sh, r);
		sh->count++;
	}
	tce__unlock(&sh->lock);
	return rc;
}

static uint64_t find(const struct tce_dma *d, const struct tce__dma_shard *sh, uint64_t key)
{
	uint64_t mask, i;

	if (!sh->shift)
		return NO_SLOT;
	mask = tce__low_mask(sh->shift);
	for (i = home_of(key, sh->shift); sh->slot[i].kind; i = (i + 1) & mask)
		if (rec_key(d, sh->slot[i].bus) == key)
			return i;
	return NO_SLOT;
}

/* Is @k cyclically in (@i, @j]? */
static bool between(uint64_t i, uint64_t k, uint64_t j)
{
	return i <= j ? (k > i && k <= j) : (k > i || k <= j);
}

/* Empty slot @i, moving back any later record of the run that may live there. */
static void remove_at(const struct tce_dma *d, struct tce__dma_shard *sh, uint64_t i)
{
	uint64_t mask = tce__low_mask(sh->shift), j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!sh->slot[j].kind)
			break;
		k = home_of(rec_key(d, sh->slot[j].bus), sh->shift);
		if (between(i, k, j))
			continue; /* its home lies after the hole: it stays */
		sh->slot[i] = sh->slot[j];
		i = j;
	}
	sh->slot[i] = (struct tce__dma_rec){ 0 };
	sh->count--;
}

int tce__dma_track_take(struct tce_dma *d, uint64_t bus, tce__dma_match_fn match,
			const void *arg, struct tce__dma_rec *out)
{
	struct tce__dma_shard *sh;
	uint64_t key = rec_key(d, bus), i;
	int rc = -EINVAL;

	if (key < d->cfg.pool.first_idx || key - d->cfg.pool.first_idx >= d->cfg.pool.entries)
		return -EINVAL;
	sh = shard_of(d, bus);
	tce__lock(&sh->lock);
	i = find(d, sh, key);
	if (i != NO_SLOT && match(&sh->slot[i], arg)) {
		*out = sh->slot[i];
		remove_at(d, sh, i);
		rc = 0;
	}
	tce__unlock(&sh->lock);
	return rc;
}

int tce__dma_track_init(struct tce_dma *d)
{
	unsigned i, n = tce__pool_count(d->pool);
	int rc = 0;

	d->shards = tce__calloc(d->ctx, n * sizeof(*d->shards));
	if (!d->shards)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++)
		rc = tce__lock_init(&d->shards[i].lock, false);
	if (!rc) {
		d->nshards = n;
		return 0;
	}
	while (--i)
		tce__lock_fini(&d->shards[i - 1].lock);
	tce__free(d->ctx, d->shards, n * sizeof(*d->shards));
	d->shards = NULL;
	return rc;
}

void tce__dma_sgrec_free(struct tce_dma *d, struct tce__dma_sgrec *s)
{
	tce__free(d->ctx, s, tce__dma_sgrec_bytes(s->nsegs, s->nranges));
}

void tce__dma_track_fini(struct tce_dma *d)
{
	struct tce__dma_shard *sh;
	uint64_t i, left = 0;
	unsigned k;

	for (k = 0; k < d->nshards; k++) {
		sh = &d->shards[k];
		for (i = 0; sh->shift && i < (1ULL << sh->shift); i++)
			if (sh->slot[i].kind)
				tce__dma_forget(d, &sh->slot[i]);
		left += sh->count;
		tce__free(d->ctx, sh->slot, slots_bytes(sh->shift));
		tce__lock_fini(&sh->lock);
	}
	if (left)
		tce__warn(d->ctx, "dma: destroyed with %" PRIu64 " mappings live", left);
	tce__free(d->ctx, d->shards, d->nshards * sizeof(*d->shards));
}

/* Entries the allocator holds for record @r. */
static uint64_t rec_entries(const struct tce_dma *d, const struct tce__dma_rec *r)
{
	const struct tce__dma_sgrec *s = (const struct tce__dma_sgrec *)r->aux;
	uint64_t n = 0;
	unsigned i;

	if (r->kind != TCE__DMA_SG)
		return tce__pool_rounded(d->pool, tce__dma_pages(r->bus, r->size, d->page_shift));
	for (i = 0; i < s->nranges; i++)
		n += tce__pool_rounded(d->pool, s->span[s->nsegs + i].b);
	return n;
}

void tce__dma_track_count(struct tce_dma *d, uint64_t *mappings, uint64_t *entries)
{
	struct tce__dma_shard *sh;
	uint64_t i;
	unsigned k;

	*mappings = *entries = 0;
	for (k = 0; k < d->nshards; k++) {
		sh = &d->shards[k];
		tce__lock(&sh->lock);
		*mappings += sh->count;
		for (i = 0; sh->shift && i < (1ULL << sh->shift); i++)
			if (sh->slot[i].kind)
				*entries += rec_entries(d, &sh->slot[i]);
		tce__unlock(&sh->lock);
	}
}
