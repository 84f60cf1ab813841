/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type1's VFIO_IOMMU_GET_INFO with its capability chain (MIGRATION,
 * DMA_AVAIL, IOVA_RANGE, in the kernel's order and layout) and
 * VFIO_IOMMU_DIRTY_PAGES (start, stop, get the bitmap), whose bits come
 * from the container's record of mappings: every page of a writable mapping
 * is dirty while the mapping lives (a TCE has no dirty bit, so the device
 * may have written any of them: the kernel's Type1 without dirty-tracking
 * hardware), and the record goes with its unmap. The caller's bitmap is
 * written word by word as the kernel's update_user_bitmap() does. Layer: vfio.
 */
#include <errno.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "util/bitmap.h"
#include "vfio/type1.h"

/* ---- GET_INFO ---- */

/* The capability chain, offsets counted from the start of the info struct. */
struct caps {
	uint8_t buf[128];
	size_t size;
	struct vfio_info_cap_header *last;
};

/* vfio_info_cap_add(): a zeroed capability of @size (rounded to 8 bytes) at the end. */
static void *cap_add(struct caps *c, size_t size, uint16_t id, uint16_t version)
{
	struct vfio_info_cap_header *h = (void *)(c->buf + c->size);

	size = (size + 7) & ~(size_t)7;
	memset(h, 0, size);
	h->id = id, h->version = version;
	if (c->last)
		c->last->next = (uint32_t)(sizeof(struct vfio_iommu_type1_info) + c->size);
	c->last = h;
	c->size += size;
	return h;
}

static void build_caps(struct tce__vcontainer *c, struct caps *caps)
{
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct tce_domain_info di;
	uint32_t i;

	mig = cap_add(caps, sizeof(*mig), VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	mig->pgsize_bitmap = tce__t1_page(&c->t1);
	mig->max_dirty_bitmap_size = TCE_T1_BITMAP_MAX;
	avail = cap_add(caps, sizeof(*avail), VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	tce__lock(&c->t1.lock);
	avail->avail = c->t1.limit - c->t1.n;
	tce__unlock(&c->t1.lock);
	tce_domain_info(c->t1.dom, &di);
	r = cap_add(caps, sizeof(*r) + di.nranges * sizeof(r->iova_ranges[0]),
		    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	r->nr_iovas = di.nranges;
	for (i = 0; i < di.nranges; i++) {
		r->iova_ranges[i].start = di.range[i].start;
		r->iova_ranges[i].end = di.range[i].start + di.range[i].size - 1;
	}
}

long tce__t1_get_info(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_type1_info info;
	struct caps caps = { .size = 0 };
	size_t copy;
	int rc;

	memset(&info, 0, sizeof(info)); /* cap_offset and the tail padding are written as 0 */
	rc = arg_in(c->ctx, &info, arg, struct vfio_iommu_type1_info, iova_pgsizes);
	if (rc)
		return rc;
	copy = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = c->t1.pgsizes;
	info.cap_offset = 0;
	build_caps(c, &caps);
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = (uint32_t)(sizeof(info) + caps.size);
	} else {
		memcpy((uint8_t *)arg + sizeof(info), caps.buf, caps.size);
		info.cap_offset = sizeof(info);
	}
	memcpy(arg, &info, copy);
	return 0;
}

/* ---- dirty bitmaps ---- */

int tce__t1_bitmap_size(struct tce_ctx *ctx, uint64_t size, uint64_t pgsize, uint64_t bm_size)
{
	uint64_t pages = tce__is_pow2(pgsize) ? size >> tce__ilog2(pgsize) : 0;

	if (!pages || !bm_size || bm_size > TCE_T1_BITMAP_MAX ||
	    bm_size < tce__div_round_up(pages, 64) * 8)
		return (int)vfio_refuse(ctx, -EINVAL, "a bitmap of %llu bytes for %#llx bytes of "
					"%#llx-byte pages: it needs one bit per page in whole "
					"64-bit words, at most %s", (unsigned long long)bm_size,
					(unsigned long long)size, (unsigned long long)pgsize,
					tce__vsize(TCE_T1_BITMAP_MAX).s);
	return 0;
}

int tce__t1_user_bits(struct tce__vcontainer *c, const struct tce__t1map *m, uint64_t base,
		      uint64_t *user)
{
	uint32_t rshift = tce__ilog2(tce__t1_page(&c->t1));
	uint64_t off = (m->iova - base) >> rshift, nbits = m->size >> rshift;
	uint64_t w0 = off / 64, w1 = (off + nbits - 1) / 64, w;

	tce__assert(tce__lock_held(&c->t1.lock));
	if (!user)
		return (int)vfio_refuse(c->ctx, -EFAULT, "the bitmap's data is not memory this "
					"process can write");
	user[w0] &= off % 64 ? tce__low_mask(off % 64) : 0;
	for (w = w0 + 1; w <= w1; w++)
		user[w] = 0;
	if (m->prot & TCE_DOMAIN_WRITE)
		tce__bitmap_set(user, off, nbits);
	return 0;
}

/* ---- DIRTY_PAGES ---- */

/*
 * START and STOP. The domain's own log of unmapped pages stays off (set so
 * at SET_IOMMU): an unmapped mapping takes its record with it, as the
 * kernel's vfio_dma bitmap goes with the vfio_dma, and UNMAP_DMA with
 * GET_DIRTY_BITMAP reads the bits before it clears anything.
 */
static void tracking(struct tce__vcontainer *c, bool on)
{
	tce__lock(&c->t1.lock);
	c->t1.dirty_tracking = on;
	tce__unlock(&c->t1.lock);
}

/* vfio_iova_dirty_bitmap(): every mapping inside the range, none cut. Context: t->lock held. */
static int get_bitmap_locked(struct tce__vcontainer *c,
			     const struct vfio_iommu_type1_dirty_bitmap_get *r)
{
	struct tce__vtype1 *t = &c->t1;
	uint64_t pg = tce__t1_page(t), last = r->iova + r->size - 1;
	uint32_t i;
	int rc = 0;

	tce__assert(tce__lock_held(&t->lock));
	if (r->bitmap.pgsize != pg || r->iova & (pg - 1) || !r->size || r->size & (pg - 1))
		return (int)vfio_refuse(c->ctx, -EINVAL, "GET_BITMAP needs iova and size nonzero "
					"multiples of, and a bitmap of, %s pages", tce__vsize(pg).s);
	if (!t->dirty_tracking)
		return (int)vfio_refuse(c->ctx, -EINVAL, "dirty tracking is not started "
					"(VFIO_IOMMU_DIRTY_PAGES_FLAG_START)");
	if (tce__t1_bisects(t, r->iova, last))
		return (int)vfio_refuse(c->ctx, -EINVAL, "[%#llx, +%s) cuts a mapping; GET_BITMAP "
					"covers whole mappings", (unsigned long long)r->iova,
					tce__vsize(r->size).s);
	for (i = tce__t1_after(t, r->iova); i < t->n && t->v[i].iova <= last && !rc; i++)
		rc = tce__t1_user_bits(c, &t->v[i], r->iova, (uint64_t *)(uintptr_t)r->bitmap.data);
	return rc;
}

static long get_bitmap(struct tce__vcontainer *c, const struct vfio_iommu_type1_dirty_bitmap *d,
		       const void *arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	struct vfio_iommu_type1_dirty_bitmap_get r;
	int rc;

	if (d->argsz < minsz + sizeof(r))
		return vfio_refuse(c->ctx, -EINVAL, "argsz %u leaves no room for the struct "
				   "vfio_iommu_type1_dirty_bitmap_get GET_BITMAP reads", d->argsz);
	memcpy(&r, (const uint8_t *)arg + minsz, sizeof(r));
	if (r.iova + r.size < r.iova)
		return vfio_refuse(c->ctx, -EINVAL, "iova %#llx + size %#llx wraps",
				   (unsigned long long)r.iova, (unsigned long long)r.size);
	rc = tce__t1_bitmap_size(c->ctx, r.size, r.bitmap.pgsize, r.bitmap.size);
	if (rc)
		return rc;
	tce__lock(&c->t1.lock);
	rc = get_bitmap_locked(c, &r);
	tce__unlock(&c->t1.lock);
	return rc;
}

long tce__t1_dirty_pages(struct tce__vcontainer *c, void *arg)
{
	const uint32_t mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap d;
	int rc = arg_in(c->ctx, &d, arg, struct vfio_iommu_type1_dirty_bitmap, flags);

	if (rc)
		return rc;
	if (d.flags & ~mask || !tce__is_pow2(d.flags))
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x: one of START (1), STOP (2), "
				   "GET_BITMAP (4)", d.flags);
	if (d.flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
		tracking(c, true);
	else if (d.flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)
		tracking(c, false);
	else
		return get_bitmap(c, &d, arg);
	return 0;
}
