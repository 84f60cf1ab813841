/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MAP_DMA and UNMAP_DMA of the container (kernel.md §8.6): the full range
 * checks (DECISIONS 5, 6), v2's pages inside registered memory with the
 * mirror naming each page's user address, v1's pages pinned one by one, the
 * exchange of every entry, one kill, then the release of the old pages
 * (DECISIONS 10) through the callbacks here. Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"

/* v2: the entry's mirror names the user address, and so the region, it held a count on. */
void tce__vc_release_v2(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct tce__vwin *w = arg;
	uint64_t *slot, ua;

	(void)real, (void)dirty; /* pinned memory is the process's own: nothing to dirty */
	if (tce_iommu_table_mirror_slot(w->t, idx, false, &slot))
		return;
	ua = be64toh(atomic_exchange((_Atomic uint64_t *)slot, 0));
	if (ua && w->c->owner)
		tce__mm_unmap_range(&w->c->owner->mem, ua, 1, w->info.page_shift);
}

/* v1: the old page was pinned by its map; a user address is its own real address. */
void tce__vc_release_v1(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct tce__vwin *w = arg;

	(void)idx, (void)dirty;
	if (w->c->owner)
		tce__pins_drop(&w->c->owner->pins, real, 1, w->info.page_shift);
}

static int no_window(struct tce__vcontainer *c, const char *what, uint64_t addr)
{
	return (int)vfio_refuse(c->ctx, -ENXIO, "%s %#llx is in no DMA window; %s", what,
				(unsigned long long)addr, tce__vwindows(c).s);
}

static int misaligned(struct tce__vcontainer *c, const struct tce__vwin *w, const char *what,
		      uint64_t v)
{
	return (int)vfio_refuse(c->ctx, -EINVAL, "%s %#llx is not a multiple of the %s IOMMU "
				"page of window %s", what, (unsigned long long)v,
				tce__vsize(1ull << w->info.page_shift).s,
				tce__vwindow(&w->info).s);
}

/* The checks MAP and UNMAP share: the window, alignment, the range in full. */
static int dma_range(struct tce__vcontainer *c, uint64_t iova, uint64_t size,
		     struct tce__vwin **out, uint64_t *idx, uint64_t *n)
{
	struct tce__vwin *w = tce__vc_window(c, iova);
	uint64_t mask;

	if (!w)
		return no_window(c, "iova", iova);
	mask = (1ull << w->info.page_shift) - 1;
	if (iova & mask) /* DECISIONS 6: never the kernel's +1 */
		return misaligned(c, w, "iova", iova);
	if (size & mask)
		return misaligned(c, w, "size", size);
	if (!size) /* DECISIONS 5 */
		return (int)vfio_refuse(c->ctx, -EINVAL, "size is 0");
	*idx = iova >> w->info.page_shift;
	*n = size >> w->info.page_shift;
	if (*n > w->info.first_idx + w->info.entries - *idx) /* DECISIONS 5 */
		return (int)vfio_refuse(c->ctx, -EINVAL, "[%#llx, +%s) runs past the end of "
					"window %s", (unsigned long long)iova,
					tce__vsize(size).s, tce__vwindow(&w->info).s);
	*out = w;
	return 0;
}

static enum tce_dir dir_of(uint32_t flags)
{
	bool r = flags & VFIO_DMA_MAP_FLAG_READ, wr = flags & VFIO_DMA_MAP_FLAG_WRITE;

	return r && wr ? TCE_DIR_BIDIRECTIONAL : r ? TCE_DIR_TO_DEVICE :
	       wr ? TCE_DIR_FROM_DEVICE : TCE_DIR_NONE;
}

/* Why the table update (or its address mirror) failed. */
static int why_update(struct tce__vcontainer *c, int rc, uint64_t ua)
{
	if (rc == -ENOMEM)
		return (int)vfio_refuse(c->ctx, rc, "no memory for the window's table or its "
					"address mirror");
	if (rc == -EINVAL)
		return (int)vfio_refuse(c->ctx, rc, "the hypervisor refused a TCE: vaddr %#llx is "
					"no real address of this machine (H_PARAMETER)",
					(unsigned long long)ua);
	return (int)vfio_refuse(c->ctx, rc, "the platform could not write the TCEs: %s",
				tce_strerror(rc));
}

/*
 * Why tce__mm_map_range() refused [ua, ua + n pages): it walks the same
 * regions (found one lookup at a time) to name the first page it meets
 * that is outside them, straddles an end or lies in smaller pages.
 */
static int why_unregistered(struct tce__vcontainer *c, int rc, uint64_t ua, uint64_t n,
			    uint32_t ps)
{
	struct tce__mm *mem = &c->owner->mem;
	uint64_t at = ua, end = ua + (n << ps);
	struct tce__mm_region *r;

	if (rc == -ENXIO)
		return (int)vfio_refuse(c->ctx, rc, "the registered region holding vaddr %#llx is "
					"being unregistered", (unsigned long long)ua);
	if (rc != -EINVAL)
		return (int)vfio_refuse(c->ctx, rc, "mapping [%#llx, +%s) failed: %s",
					(unsigned long long)ua, tce__vsize(n << ps).s,
					tce_strerror(rc));
	while (at < end) {
		r = tce__mm_lookup(mem, at, 1);
		if (!r)
			return (int)vfio_refuse(c->ctx, rc, "vaddr %#llx is in no registered memory; "
						"VFIO_IOMMU_SPAPR_REGISTER_MEMORY must cover every "
						"page MAP_DMA maps", (unsigned long long)at);
		if (r->page_shift < ps)
			return (int)vfio_refuse(c->ctx, rc, "registered region [%#llx, +%s) takes "
						"IOMMU pages up to %s (its backing pages and "
						"alignment), smaller than the window's %s",
						(unsigned long long)r->ua, tce__vsize(r->size).s,
						tce__vsize(1ull << r->page_shift).s,
						tce__vsize(1ull << ps).s);
		at += ((r->ua + r->size - at) >> ps) << ps;
		if (at < end && at < r->ua + r->size)
			return (int)vfio_refuse(c->ctx, rc, "the %s IOMMU page at vaddr %#llx "
						"straddles the end of registered region "
						"[%#llx, +%s)", tce__vsize(1ull << ps).s,
						(unsigned long long)at, (unsigned long long)r->ua,
						tce__vsize(r->size).s);
	}
	return (int)vfio_refuse(c->ctx, rc, "[%#llx, +%s) is not all in registered memory",
				(unsigned long long)ua, tce__vsize(n << ps).s);
}

/* v2: every page inside registered memory of large enough pages; the mirror names it. */
static int map_v2(struct tce__vcontainer *c, struct tce__vwin *w, uint64_t idx, uint64_t n,
		  uint64_t ua, enum tce_dir dir)
{
	struct tce__mm *mem = &c->owner->mem;
	uint32_t ps = w->info.page_shift;
	uint64_t i, *slot;
	int rc = tce__mm_map_range(mem, ua, n, ps);

	if (rc)
		return why_unregistered(c, rc, ua, n, ps);
	for (i = 0; i < n && !rc; i++)
		rc = tce_iommu_table_mirror_slot(w->t, idx + i, true, &slot);
	if (!rc)
		rc = tce_iommu_table_update(w->t, idx, n, ua, dir);
	if (rc) {
		tce__mm_unmap_range(mem, ua, n, ps);
		return why_update(c, rc, ua);
	}
	for (i = 0; i < n; i++) {
		tce_iommu_table_mirror_slot(w->t, idx + i, false, &slot);
		atomic_store((_Atomic uint64_t *)slot, htobe64(ua + (i << ps)));
	}
	return 0;
}

/* v1: each page pinned writable (the kernel always asks FOLL_WRITE), backed by pages as large. */
static int map_v1(struct tce__vcontainer *c, struct tce__vwin *w, uint64_t idx, uint64_t n,
		  uint64_t ua, enum tce_dir dir)
{
	uint32_t backing;
	int rc;

	if (tce__mm_backing(&c->owner->mem, ua, n << w->info.page_shift, true, &backing))
		return (int)vfio_refuse(c->ctx, -EFAULT, "[%#llx, +%s) is not all mapped writable "
					"memory (v1 pins every page for writing)",
					(unsigned long long)ua, tce__vsize(n << w->info.page_shift).s);
	if (backing < w->info.page_shift)
		return (int)vfio_refuse(c->ctx, -EPERM, "vaddr %#llx is backed by %s pages, smaller "
					"than the window's %s IOMMU page", (unsigned long long)ua,
					tce__vsize(1ull << backing).s,
					tce__vsize(1ull << w->info.page_shift).s);
	rc = tce__pins_add(&c->owner->pins, ua, n, w->info.page_shift);
	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "no memory to record the pinned pages");
	rc = tce_iommu_table_update(w->t, idx, n, ua, dir);
	if (rc)
		tce__pins_drop(&c->owner->pins, ua, n, w->info.page_shift);
	return rc ? why_update(c, rc, ua) : 0;
}

/* MAP or UNMAP before the container is enabled. */
static long not_enabled(struct tce__vcontainer *c)
{
	if (c->type == VFIO_SPAPR_TCE_v2_IOMMU)
		return vfio_refuse(c->ctx, -EPERM, "no memory is registered on this container yet; "
				   "a v2 container maps only after "
				   "VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
	return vfio_refuse(c->ctx, -EPERM, "the container is not enabled; VFIO_IOMMU_ENABLE must "
			   "come before MAP_DMA and UNMAP_DMA");
}

long tce__vc_map_dma(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_type1_dma_map p;
	struct tce__vwin *w;
	uint64_t idx, n, mask;
	int rc;

	if (!c->enabled)
		return not_enabled(c);
	rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_type1_dma_map, size);
	if (rc)
		return rc;
	if (p.flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x has bits other than READ (1) and "
				   "WRITE (2)", p.flags);
	if (c->def_window_pending)
		return NEED_DEFAULT;
	w = tce__vc_window(c, p.iova);
	if (!w)
		return no_window(c, "iova", p.iova);
	mask = (1ull << w->info.page_shift) - 1;
	if (p.size & mask)
		return misaligned(c, w, "size", p.size);
	if (p.vaddr & mask)
		return misaligned(c, w, "vaddr", p.vaddr);
	if (dir_of(p.flags) == TCE_DIR_NONE)
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x allow neither READ nor WRITE", p.flags);
	rc = dma_range(c, p.iova, p.size, &w, &idx, &n);
	if (rc)
		return rc;
	if (p.vaddr + p.size < p.vaddr)
		return vfio_refuse(c->ctx, -EINVAL, "vaddr %#llx + size %s wraps",
				   (unsigned long long)p.vaddr, tce__vsize(p.size).s);
	tce__lock(&w->lock);
	if (c->type == VFIO_SPAPR_TCE_v2_IOMMU)
		rc = map_v2(c, w, idx, n, p.vaddr, dir_of(p.flags));
	else
		rc = map_v1(c, w, idx, n, p.vaddr, dir_of(p.flags));
	tce__unlock(&w->lock);
	return rc;
}

long tce__vc_unmap_dma(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_type1_dma_unmap p;
	struct tce__vwin *w;
	uint64_t idx, n;
	int rc;

	if (!c->enabled)
		return not_enabled(c);
	rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_type1_dma_unmap, size);
	if (rc)
		return rc;
	if (p.flags)
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x must be 0", p.flags);
	if (c->def_window_pending)
		return NEED_DEFAULT;
	rc = dma_range(c, p.iova, p.size, &w, &idx, &n);
	if (rc)
		return rc;
	tce__lock(&w->lock);
	rc = tce_iommu_table_clear(w->t, idx, n);
	tce__unlock(&w->lock);
	if (rc)
		return vfio_refuse(c->ctx, rc, "clearing the TCEs failed: %s; the entries not "
				   "cleared keep their pages, a retry finishes", tce_strerror(rc));
	return 0;
}
