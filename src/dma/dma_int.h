/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA API's private state and the helpers its files share: the window
 * geometry, the backend wrapper that makes each backend call a fault point,
 * range allocation and release, and the record of live mappings (track.c).
 * Layer: dma. Includes alloc, util and the public header.
 */
#ifndef TCE_DMA_DMA_INT_H
#define TCE_DMA_DMA_INT_H

#include "alloc/alloc.h"
#include "util/util.h"

struct tce__dma_shard; /* track.c */

struct tce_dma {
	struct tce_ctx *ctx;
	struct tce_table *table;
	struct tce_pool *pool;
	const struct tce_dma_ops *ops;
	void *ops_arg;
	struct tce_dma_config cfg; /* granted; immutable */
	uint32_t page_shift;
	uint32_t host_shift;
	struct tce__dma_shard *shards; /* live mappings, one shard per pool; immutable pointer */
	unsigned nshards;
};

/* What a live mapping is, and so which call may undo it. */
enum tce__dma_kind {
	TCE__DMA_PAGE = 1,     /* map_page, map_coherent: undone by unmap_page */
	TCE__DMA_COHERENT = 2, /* alloc_coherent: undone by free_coherent */
	TCE__DMA_SG = 3,       /* map_sg: undone by unmap_sg */
};

/* One live mapping. */
struct tce__dma_rec {
	uint64_t bus;   /* the bus address handed out (a scatter list: its first segment's) */
	uint64_t size;  /* the bytes mapped, as asked (a scatter list: 0) */
	uintptr_t aux;  /* coherent: the buffer; scatter list: its struct tce__dma_sgrec */
	uint32_t kind;  /* enum tce__dma_kind; 0 marks a free slot */
};

/* Two numbers: a segment's bus address and bytes, or a range's first entry and pages. */
struct tce__dma_span {
	uint64_t a, b;
};

/* A scatter list as mapped: its output segments, then the ranges behind them. */
struct tce__dma_sgrec {
	unsigned nsegs, nranges;
	struct tce__dma_span span[]; /* nsegs segments, then nranges ranges */
};

static inline size_t tce__dma_sgrec_bytes(unsigned nsegs, unsigned nranges)
{
	return sizeof(struct tce__dma_sgrec) +
	       ((size_t)nsegs + nranges) * sizeof(struct tce__dma_span);
}

void tce__dma_sgrec_free(struct tce_dma *d, struct tce__dma_sgrec *s);

/*
 * A mapping still live when its DMA object is destroyed: clear its TCEs
 * (no TCE may outlive the object and point at memory freed with it) and,
 * for a coherent buffer, free the buffer. Context: destroy only.
 */
void tce__dma_forget(struct tce_dma *d, const struct tce__dma_rec *r);

/* Set up and tear down the record (fini frees scatter-list records still held). */
int tce__dma_track_init(struct tce_dma *d);
void tce__dma_track_fini(struct tce_dma *d);

/* Record a new mapping. Returns 0 or -ENOMEM. Context: one shard lock; may allocate. */
int tce__dma_track_add(struct tce_dma *d, const struct tce__dma_rec *r);

/* Does live mapping @r match what the caller names in @arg? */
typedef bool (*tce__dma_match_fn)(const struct tce__dma_rec *r, const void *arg);

/*
 * Remove and return the mapping whose first entry is @bus's, if @match
 * accepts it. Returns 0, or -EINVAL (no such mapping, or no match: nothing
 * is changed). Context: one shard lock; never allocates.
 */
int tce__dma_track_take(struct tce_dma *d, uint64_t bus, tce__dma_match_fn match,
			const void *arg, struct tce__dma_rec *out);

/* Live mappings and the allocator entries they hold. Context: each shard lock in turn. */
void tce__dma_track_count(struct tce_dma *d, uint64_t *mappings, uint64_t *entries);

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


/* In strict mode, flush now (after a batch of unmaps). */
void tce__dma_flush_strict(struct tce_dma *d);

/* The alignment order that maps a host page to an aligned TCE group, or 0. */
uint32_t tce__dma_host_align(const struct tce_dma *d, uint64_t real, uint64_t size);

#endif /* TCE_DMA_DMA_INT_H */
