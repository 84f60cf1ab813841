/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generic IOMMU API on the domain's windows (spec kernel.md §5):
 * map splits a range into the largest pages that fit and writes each piece
 * as TCEs of its window (a failure part-way unmaps what the call mapped);
 * unmap clears exactly the live TCEs of a range and counts them from the
 * release callback, so it never unmaps more than asked; iova_to_phys; and
 * reading the dirty log. Layer: domain; includes its own header, util and
 * the public API of the group layer.
 */
#include <errno.h>
#include <string.h>

#include <tce/abi.h>

#include "domain/domain.h"
#include "util/arith.h"

#define PROT_ALL (TCE_DOMAIN_READ | TCE_DOMAIN_WRITE)

static enum tce_dir dir_of(uint32_t prot)
{
	return prot == PROT_ALL ? TCE_DIR_BIDIRECTIONAL :
	       prot == TCE_DOMAIN_READ ? TCE_DIR_TO_DEVICE : TCE_DIR_FROM_DEVICE;
}

static uint64_t min_page(const struct tce_domain *d)
{
	return d->pgsizes & -d->pgsizes;
}

/* Clear [iova, iova + size) of @w's table (a range of whole pages), releases gathered. */
static int clear_range(struct tce__dwin *w, uint64_t iova, uint64_t size)
{
	return tce_iommu_table_clear(w->t, iova >> w->page_shift, size >> w->page_shift);
}

/* ---- map ---- */

/* The checks map makes before it touches anything. */
static int map_check(struct tce_domain *d, uint64_t iova, uint64_t paddr, uint64_t size,
		     uint32_t prot, struct tce__dwin **out)
{
	uint64_t mask = min_page(d) - 1, end, wmask;
	struct tce__dwin *w;

	if (!prot || (prot & ~PROT_ALL))
		return (int)tce__refuse(d->ctx, -EINVAL, "domain: prot %#x is not READ and/or "
					"WRITE", prot);
	if (!d->ngroups)
		return -ENODEV;
	if ((iova | paddr | size) & mask || !size || tce__add_overflows(paddr, size, &end))
		return (int)tce__refuse(d->ctx, -EINVAL, "domain: [%#llx, +%#llx) -> %#llx is not "
					"whole pages of %#llx", (unsigned long long)iova,
					(unsigned long long)size, (unsigned long long)paddr,
					(unsigned long long)(mask + 1));
	w = tce__domain_window(d, iova, size);
	if (!w)
		return (int)tce__refuse(d->ctx, -EINVAL, "domain: [%#llx, +%#llx) is not inside "
					"one window", (unsigned long long)iova,
					(unsigned long long)size);
	wmask = (1ull << w->page_shift) - 1;
	if ((iova | paddr | size) & wmask) /* some piece would be smaller than a TCE */
		return (int)tce__refuse(d->ctx, -EINVAL, "domain: [%#llx, +%#llx) -> %#llx "
					"splits into pages smaller than the window's %#llx",
					(unsigned long long)iova, (unsigned long long)size,
					(unsigned long long)paddr, (unsigned long long)(wmask + 1));
	if (tce__dset_count(&d->maps, iova, iova + size))
		return -EEXIST;
	*out = w;
	return 0;
}

/* Write the pieces of iommu_pgsize() one by one; *@done says how far it got. */
static int map_pieces(struct tce_domain *d, struct tce__dwin *w, uint64_t iova, uint64_t paddr,
		      uint64_t size, enum tce_dir dir, uint64_t *done)
{
	uint64_t pgsize, count, bytes;
	int rc;

	for (*done = 0; *done < size; *done += bytes) {
		pgsize = tce__domain_pgsize(d->pgsizes, iova + *done, paddr + *done,
					    size - *done, &count);
		tce__assert(pgsize >= (1ull << w->page_shift));
		bytes = pgsize * count;
		rc = tce_iommu_table_update(w->t, (iova + *done) >> w->page_shift,
					    bytes >> w->page_shift, paddr + *done, dir);
		if (rc)
			return rc;
	}
	return 0;
}

int tce_domain_map(struct tce_domain *d, uint64_t iova, uint64_t paddr, uint64_t size,
		   uint32_t prot)
{
	struct tce__dext e = { .start = iova, .end = iova + size, .paddr = paddr, .prot = prot };
	struct tce__dwin *w = NULL;
	uint64_t done;
	int rc;

	if (!d)
		return -EINVAL;
	tce__lock(&d->lock);
	rc = map_check(d, iova, paddr, size, prot, &w);
	if (!rc)
		rc = tce__dset_reserve(d->ctx, &d->maps, 1);
	if (!rc) {
		tce__domain_gather(d, false);
		rc = map_pieces(d, w, iova, paddr, size, dir_of(prot), &done);
		if (rc && done && clear_range(w, iova, done))
			tce__warn(d->ctx, "domain: rollback of [%#llx, +%#llx) failed",
				  (unsigned long long)iova, (unsigned long long)done);
		if (!rc)
			tce__dset_insert(&d->maps, &e);
	}
	tce__unlock(&d->lock);
	return rc;
}

/* ---- unmap ---- */

/*
 * A clear of [s, e) failed, after going on with the rest: the entries it
 * emptied (released) leave the record, the ones it could not stay. The
 * record may need room for more extents here (live entries scattered in
 * the piece); without it the rest stays recorded, and a retry of the unmap
 * ends it (clearing an empty entry releases nothing).
 */
static void drop_cleared(struct tce_domain *d, struct tce__dwin *w, uint64_t s, uint64_t e)
{
	uint64_t page = 1ull << w->page_shift, a, b, tce;

	for (a = s; a < e; a = b + page) {
		/* [a, b): the next run of empty entries */
		for (; a < e; a += page)
			if (!tce_iommu_table_get(w->t, a >> w->page_shift, &tce) &&
			    !(tce & TCE_PERM_MASK))
				break;
		for (b = a; b < e; b += page)
			if (tce_iommu_table_get(w->t, b >> w->page_shift, &tce) ||
			    (tce & TCE_PERM_MASK))
				break;
		if (a == b)
			return;
		if (tce__dset_reserve(d->ctx, &d->maps, 1)) {
			tce__warn(d->ctx, "domain: [%#llx, %#llx) cleared, still recorded",
				  (unsigned long long)a, (unsigned long long)e);
			return;
		}
		tce__dset_remove(&d->maps, a, b);
	}
}

/* Clear the parts of mappings inside [start, end); stops at the first failure. */
static int unmap_pieces(struct tce_domain *d, struct tce__dwin *w, uint64_t start, uint64_t end,
			uint64_t *cleared_to)
{
	size_t i = tce__dset_after(&d->maps, start);
	uint64_t s, e;
	int rc;

	*cleared_to = start;
	for (; i < d->maps.n && d->maps.v[i].start < end; i++) {
		s = tce__max_u64(start, d->maps.v[i].start);
		e = tce__min_u64(end, d->maps.v[i].end);
		rc = clear_range(w, s, e - s);
		if (rc) {
			drop_cleared(d, w, s, e);
			return rc;
		}
		*cleared_to = e;
	}
	*cleared_to = end;
	return 0;
}

int tce_domain_unmap(struct tce_domain *d, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	struct tce__dwin *w;
	uint64_t to;
	size_t k;
	int rc;

	if (!d || !unmapped)
		return -EINVAL;
	*unmapped = 0;
	tce__lock(&d->lock);
	w = tce__domain_window(d, iova, size);
	if (!d->ngroups)
		rc = -ENODEV;
	else if (!w || (iova | size) & ((1ull << w->page_shift) - 1))
		rc = (int)tce__refuse(d->ctx, -EINVAL, "domain: unmap [%#llx, +%#llx) is not "
				      "whole TCEs of one window", (unsigned long long)iova,
				      (unsigned long long)size);
	else
		rc = tce__dset_reserve(d->ctx, &d->maps, 1);
	k = rc ? 0 : tce__dset_count(&d->maps, iova, iova + size);
	if (!rc)
		rc = tce__dset_reserve(d->ctx, &d->dirty, k + 1);
	if (!rc) {
		tce__domain_gather(d, true);
		rc = unmap_pieces(d, w, iova, iova + size, &to);
		tce__domain_flush(d);
		tce__dset_remove(&d->maps, iova, to); /* what failed stays recorded: a retry ends it */
		*unmapped = d->released << w->page_shift;
	}
	tce__unlock(&d->lock);
	return rc;
}

/* Empty every window (the last group leaves). Context: the lock held, room reserved. */
void tce__domain_clear_all(struct tce_domain *d)
{
	size_t i;
	int rc;

	for (i = 0; i < d->maps.n; i++) {
		struct tce__dext *e = &d->maps.v[i];

		rc = clear_range(tce__domain_window(d, e->start, e->end - e->start), e->start,
				 e->end - e->start);
		if (rc) /* the unset that follows clears what is left */
			tce__warn(d->ctx, "domain: clearing [%#llx, %#llx) failed (%d)",
				  (unsigned long long)e->start, (unsigned long long)e->end, rc);
	}
	d->maps.n = 0;
}

/* ---- lookups ---- */

int tce_domain_iova_to_phys(struct tce_domain *d, uint64_t iova, uint64_t *phys)
{
	size_t i;
	int rc = -ENOENT;

	if (!d || !phys)
		return -EINVAL;
	tce__lock(&d->lock);
	i = tce__dset_after(&d->maps, iova);
	if (i < d->maps.n && d->maps.v[i].start <= iova) {
		*phys = d->maps.v[i].paddr + (iova - d->maps.v[i].start);
		rc = 0;
	}
	tce__unlock(&d->lock);
	return rc;
}

/* Set the bits of [s, e) ∩ [iova, iova + n pages) in @bitmap, pages of 2^@shift. */
static void mark(uint64_t *bitmap, uint64_t iova, uint64_t end, uint32_t shift, uint64_t s,
		 uint64_t e)
{
	uint64_t b;

	s = tce__max_u64(s, iova), e = tce__min_u64(e, end);
	for (b = (s - iova) >> shift; s < e; s += 1ull << shift, b++)
		bitmap[b / 64] |= 1ull << (b % 64);
}

int tce_domain_dirty_read(struct tce_domain *d, uint64_t iova, uint64_t size, uint64_t *bitmap)
{
	uint64_t end = iova + size, mp;
	uint32_t shift;
	size_t i;
	int rc = 0;

	if (!d || !bitmap)
		return -EINVAL;
	tce__lock(&d->lock);
	mp = min_page(d), shift = tce__ilog2(mp);
	if (!tce__domain_window(d, iova, size) || (iova | size) & (mp - 1))
		rc = -EINVAL;
	else
		rc = tce__dset_reserve(d->ctx, &d->dirty, 1);
	if (!rc) {
		memset(bitmap, 0, tce__div_round_up(size >> shift, 64) * 8);
		for (i = tce__dset_after(&d->dirty, iova); i < d->dirty.n &&
		     d->dirty.v[i].start < end; i++)
			mark(bitmap, iova, end, shift, d->dirty.v[i].start, d->dirty.v[i].end);
		for (i = tce__dset_after(&d->maps, iova); i < d->maps.n &&
		     d->maps.v[i].start < end; i++)
			if (d->maps.v[i].prot & TCE_DOMAIN_WRITE)
				mark(bitmap, iova, end, shift, d->maps.v[i].start,
				     d->maps.v[i].end);
		tce__dset_remove(&d->dirty, iova, end);
	}
	tce__unlock(&d->lock);
	return rc;
}
