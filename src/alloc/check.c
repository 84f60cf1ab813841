/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator's counters and its invariant checker, which recomputes
 * every derived number from the bitmaps (STYLE.md rule 10). Layer: alloc.
 */
#include <errno.h>
#include <inttypes.h>

#include "alloc/pool_int.h"
#include "util/bitmap.h"

static void range_stats(struct tce_pool *p, struct tce__pool_range *r,
			struct tce_pool_stats *out)
{
	uint64_t n = r->end - r->start;

	tce__lock(&r->lock);
	out->allocated += n - r->free - r->parked;
	out->parked += r->parked;
	tce__unlock(&r->lock);
}

void tce_pool_stats(struct tce_pool *p, struct tce_pool_stats *out)
{
	unsigned i;

	*out = (struct tce_pool_stats){ 0 };
	for (i = 0; i < p->nr_pools; i++)
		range_stats(p, &p->pools[i], out);
	range_stats(p, &p->large, out);
	if (p->cache)
		tce__cache_stats(p, out);
	out->reserved = tce__bitmap_weight(p->rsv, 0, p->entries);
	out->allocated -= out->reserved + out->cached;
	out->flushes = atomic_load(&p->flush_gen);
}

/* No parked entry may still be mapped in @t. */
static int check_parked_unmapped(struct tce_pool *p, struct tce__pool_range *r,
				 const struct tce_table *t)
{
	uint64_t i = r->start, tce;

	while ((i = tce__bitmap_next_set(p->parked, i, r->end)) != TCE_BITMAP_NONE) {
		if (tce_table_get(t, p->cfg.first_idx + i, &tce) || tce) {
			tce__err(p->ctx, "pool check: parked entry +%" PRIu64 " is mapped", i);
			return -EIO;
		}
		i++;
	}
	return 0;
}

/*
 * Some parked entry of @r is clear in the allocation bitmap or reserved: a
 * per-bit test, since counts can balance one such entry against another
 * allocated one. Pools start on a word (pool_int.h), so words are theirs.
 */
static bool parked_unallocated(const struct tce_pool *p, const struct tce__pool_range *r)
{
	uint64_t w, pk;

	for (w = r->start / 64; w < tce__bitmap_words(r->end); w++) {
		pk = __atomic_load_n(&p->parked[w], __ATOMIC_RELAXED);
		if (pk & (~__atomic_load_n(&p->map[w], __ATOMIC_RELAXED) |
			  __atomic_load_n(&p->rsv[w], __ATOMIC_RELAXED)))
			return true;
	}
	return false;
}

static int check_range(struct tce_pool *p, struct tce__pool_range *r, const struct tce_table *t)
{
	uint64_t n = r->end - r->start, used = tce__bitmap_weight(p->map, r->start, n);
	uint64_t parked = p->parked ? tce__bitmap_weight(p->parked, r->start, n) : 0;

	if (used + r->free != n || parked != r->parked) {
		tce__err(p->ctx, "pool check: pool at +%" PRIu64 " counts %" PRIu64 " free, %" PRIu64
			 " parked; bitmaps say %" PRIu64 ", %" PRIu64, r->start, r->free, r->parked,
			 n - used, parked);
		return -EIO;
	}
	if (r->hint > r->end + p->cfg.block_pages || r->hint < r->start) {
		tce__err(p->ctx, "pool check: hint %" PRIu64 " outside [%" PRIu64 ", %" PRIu64 "]",
			 r->hint, r->start, r->end);
		return -EIO;
	}
	if (parked && parked_unallocated(p, r)) {
		tce__err(p->ctx, "pool check: parked entries not allocated");
		return -EIO;
	}
	return p->parked && t ? check_parked_unmapped(p, r, t) : 0;
}

static int check_locked(struct tce_pool *p, struct tce__pool_range *r, const struct tce_table *t)
{
	int rc;

	tce__lock(&r->lock);
	rc = check_range(p, r, t);
	tce__unlock(&r->lock);
	return rc;
}

int tce_pool_check(struct tce_pool *p, const struct tce_table *t)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < p->nr_pools && !rc; i++)
		rc = check_locked(p, &p->pools[i], t);
	if (!rc)
		rc = check_locked(p, &p->large, t);
	if (!rc && p->cache)
		rc = tce__cache_check(p, t);
	return rc;
}
