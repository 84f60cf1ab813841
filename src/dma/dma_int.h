/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA API's private state and the helpers its two files share: the
 * window geometry, the backend wrapper that makes each backend call a fault
 * point, and range allocation and release. Layer: dma. Includes alloc, util
 * and the public header.
 */
#ifndef TCE_DMA_DMA_INT_H
#define TCE_DMA_DMA_INT_H

#include "alloc/alloc.h"
#include "util/util.h"

struct tce_dma {
	struct tce_ctx *ctx;
	struct tce_table *table;
	struct tce_pool *pool;
	const struct tce_dma_ops *ops;
	void *ops_arg;
	struct tce_dma_config cfg; /* granted; immutable */
	uint32_t page_shift;
	uint32_t host_shift;
};

/*
 * IOMMU pages touched by [addr, addr + len): iommu_num_pages(). @len >= 1
 * and addr + len must not wrap; the page count is computed from the last
 * byte so that a range ending near 2^64 does not wrap either.
 */
static inline uint64_t tce__dma_pages(uint64_t addr, uint64_t len, uint32_t shift)
{
	uint64_t off = addr & ((1ULL << shift) - 1);

	return ((off + len - 1) >> shift) + 1;
}

/*
 * Allocate @npages entries (aligned to 2^@align_order, continuing from
 * *@handle) and map them to @real's pages for @dir. On any failure nothing
 * stays allocated or mapped. Returns 0 and *@idx, or a negative errno.
 */
int tce__dma_map_range(struct tce_dma *d, uint64_t real, uint64_t npages, uint32_t align_order,
		       enum tce_dir dir, uint64_t *handle, uint64_t *idx);

/* Clear and free a live range; with @flush, flush when strict. */
void tce__dma_unmap_range(struct tce_dma *d, uint64_t idx, uint64_t npages, bool flush);

/* Validate, then unmap [bus, bus + size) (@flush as above). Returns 0 or -EINVAL. */
int tce__dma_unmap_bus(struct tce_dma *d, uint64_t bus, uint64_t size, bool flush);

/* In strict mode, flush now (after a batch of unmaps). */
void tce__dma_flush_strict(struct tce_dma *d);

/* The alignment order that maps a host page to an aligned TCE group, or 0. */
uint32_t tce__dma_host_align(const struct tce_dma *d, uint64_t real, uint64_t size);

#endif /* TCE_DMA_DMA_INT_H */
