/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the Type1 files share (type1.c: life, MAP_DMA, UNMAP_DMA;
 * type1_info.c: GET_INFO, DIRTY_PAGES and the dirty bitmaps). Layer: vfio.
 * Includes the layer's own header.
 */
#ifndef TCE_VFIO_TYPE1_H
#define TCE_VFIO_TYPE1_H

#include "vfio/vfio_int.h"

/* The most bytes a dirty bitmap may have (the kernel's DIRTY_BITMAP_SIZE_MAX). */
#define TCE_T1_BITMAP_MAX (1ull << 28)

/* The smallest page GET_INFO reports: the unit of every Type1 range. */
static inline uint64_t tce__t1_page(const struct tce__vtype1 *t)
{
	return t->pgsizes & -t->pgsizes;
}

/* The first mapping ending above @iova (t->n when none). Context: t->lock held. */
uint32_t tce__t1_after(const struct tce__vtype1 *t, uint64_t iova);

/*
 * The v2 rule: [iova, last] may not cut a mapping (its first byte inside a
 * mapping that starts before it, its last inside one that ends after it).
 * Context: t->lock held.
 */
bool tce__t1_bisects(const struct tce__vtype1 *t, uint64_t iova, uint64_t last);

/*
 * verify_bitmap_size(): a bitmap of @bm_size bytes for @size bytes of
 * pages of @pgsize: 0 or -EINVAL (no page, no byte, above the maximum, too
 * small, @pgsize not a power of two).
 */
int tce__t1_bitmap_size(struct tce_ctx *ctx, uint64_t size, uint64_t pgsize, uint64_t bm_size);

/*
 * The dirty bits of mapping @m written into the caller's bitmap @user
 * (pages of the reported page size, bit 0 = @base) as the kernel's
 * update_user_bitmap() writes them: the words the mapping covers, bits
 * below it in its first word kept, bits past it in its last word cleared;
 * every page of a writable mapping set (also after an unmap that failed
 * part-way: the mapping lives, and the device may have written its pages
 * before their TCEs were cleared). 0, -EFAULT (@user NULL). Context:
 * t->lock held.
 */
int tce__t1_user_bits(struct tce__vcontainer *c, const struct tce__t1map *m, uint64_t base,
		      uint64_t *user);

/* type1_info.c */
long tce__t1_get_info(struct tce__vcontainer *c, void *arg);
long tce__t1_dirty_pages(struct tce__vcontainer *c, void *arg);

#endif /* TCE_VFIO_TYPE1_H */
