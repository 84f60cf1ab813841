/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain's bookkeeping: the generic IOMMU API's page-size splitting
 * (iommu_pgsize(), spec kernel.md §5) and sorted sets of disjoint IOVA
 * extents, used for the live mappings and for the dirty log. Every change
 * of a set runs on room reserved beforehand, so it cannot fail once the
 * TCEs have changed. Layer: domain; includes its own header and util.
 */
#include <errno.h>
#include <string.h>

#include "domain/domain.h"
#include "util/arith.h"

/* Bits 0..n of a 64-bit mask. */
static uint64_t bits_upto(uint32_t n)
{
	return n >= 63 ? ~0ull : (2ull << n) - 1;
}

/* Index of the highest set bit of a non-zero @x. */
static uint32_t fls_idx(uint64_t x)
{
	return 63u - (uint32_t)__builtin_clzll(x);
}

uint64_t tce__domain_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			    uint64_t *count)
{
	uint64_t merge = iova | paddr, cand, next_set, pgsize, next, offset;
	uint32_t idx;

	if (!size)
		return 0;
	cand = bitmap & bits_upto(fls_idx(size));
	if (merge)
		cand &= bits_upto((uint32_t)__builtin_ctzll(merge));
	if (!cand)
		return 0;
	idx = fls_idx(cand);
	pgsize = 1ull << idx;
	next_set = idx >= 63 ? 0 : bitmap & ~bits_upto(idx);
	if (next_set) {
		next = 1ull << __builtin_ctzll(next_set);
		if (!((iova ^ paddr) & (next - 1))) {
			offset = next - (merge & (next - 1));
			if (offset + next > offset && offset + next <= size)
				size = offset;
		}
	}
	*count = size >> idx;
	return pgsize;
}

/* ---- extent sets ---- */

int tce__dset_reserve(struct tce_ctx *ctx, struct tce__dset *s, size_t extra)
{
	size_t want = s->cap ? s->cap : 8;
	struct tce__dext *v;

	if (s->n + extra <= s->cap)
		return 0;
	while (want < s->n + extra)
		want *= 2;
	v = tce__malloc(ctx, want * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (s->n)
		memcpy(v, s->v, s->n * sizeof(*v));
	tce__free(ctx, s->v, s->cap * sizeof(*v));
	s->v = v, s->cap = want;
	return 0;
}

void tce__dset_fini(struct tce_ctx *ctx, struct tce__dset *s)
{
	tce__free(ctx, s->v, s->cap * sizeof(*s->v));
	memset(s, 0, sizeof(*s));
}

size_t tce__dset_after(const struct tce__dset *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

size_t tce__dset_count(const struct tce__dset *s, uint64_t start, uint64_t end)
{
	size_t i = tce__dset_after(s, start), n = 0;

	for (; i < s->n && s->v[i].start < end; i++)
		n++;
	return n;
}

/* Open a gap of @k entries at @i (room reserved). */
static void open_gap(struct tce__dset *s, size_t i, size_t k)
{
	tce__assert(s->n + k <= s->cap);
	memmove(&s->v[i + k], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->n += k;
}

static void close_gap(struct tce__dset *s, size_t i, size_t k)
{
	memmove(&s->v[i], &s->v[i + k], (s->n - i - k) * sizeof(*s->v));
	s->n -= k;
}

void tce__dset_insert(struct tce__dset *s, const struct tce__dext *e)
{
	size_t i = tce__dset_after(s, e->start);

	tce__assert(i == s->n || s->v[i].start >= e->end);
	open_gap(s, i, 1);
	s->v[i] = *e;
}

/*
 * A full set takes [start, end) into its nearest extent, widened over the
 * gap between them (nothing overlaps: the extent before ends below @start,
 * the one after starts above @end).
 */
static void widen_nearest(struct tce__dset *s, size_t i, uint64_t start, uint64_t end)
{
	bool left = i > 0 && (i == s->n || start - s->v[i - 1].end <= s->v[i].start - end);

	if (left)
		s->v[i - 1].end = end;
	else
		s->v[i].start = start;
}

bool tce__dset_add(struct tce__dset *s, uint64_t start, uint64_t end)
{
	size_t i = start ? tce__dset_after(s, start - 1) : 0, j = i;

	tce__assert(s->cap > 0);
	while (j < s->n && s->v[j].start <= end) {
		start = tce__min_u64(start, s->v[j].start);
		end = tce__max_u64(end, s->v[j].end);
		j++;
	}
	if (j == i && s->n == s->cap) {
		widen_nearest(s, i, start, end);
		return false;
	}
	if (j == i) {
		open_gap(s, i, 1);
	} else if (j > i + 1) {
		close_gap(s, i + 1, j - i - 1);
	}
	s->v[i] = (struct tce__dext){ .start = start, .end = end };
	return true;
}

/*
 * Take [start, end) out of the set with one move of the entries after it
 * (not one per extent removed: a wide unmap over N mappings stays O(N)).
 * The first and last extents it touches keep their parts outside it; a
 * range inside one extent splits it in two (room reserved beforehand).
 */
void tce__dset_remove(struct tce__dset *s, uint64_t start, uint64_t end)
{
	size_t i = tce__dset_after(s, start), j = i, keep = 0;
	struct tce__dext part[2];

	if (start >= end) /* nothing to take: an extent around @start stays whole */
		return;
	while (j < s->n && s->v[j].start < end)
		j++;
	if (i == j)
		return;
	if (s->v[i].start < start) {
		part[keep] = s->v[i];
		part[keep++].end = start;
	}
	if (s->v[j - 1].end > end) {
		part[keep] = s->v[j - 1];
		part[keep].start = end;
		part[keep++].paddr = s->v[j - 1].paddr + (end - s->v[j - 1].start);
	}
	if (keep > j - i)
		open_gap(s, j, keep - (j - i));
	else if (keep < j - i)
		close_gap(s, i + keep, (j - i) - keep);
	memcpy(&s->v[i], part, keep * sizeof(*part));
}
