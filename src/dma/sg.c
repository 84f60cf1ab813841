/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scatter lists (ppc_iommu_map_sg): each non-empty element gets its own
 * range, allocated after the previous one when possible, and is merged into
 * the current output segment when the bus addresses are contiguous and the
 * merged segment stays within the maximum segment size, the segment
 * boundary (which the kernel does not re-check) and one pool. A failure
 * unwinds every range of the call, the failing one included (the kernel
 * leaks that one). With per-thread caches, ranges are rounded up in size,
 * so segments are never merged. Layer: dma.
 */
#include <errno.h>

#include "dma/dma_int.h"
#include "util/arith.h"

struct sg_range {
	uint64_t idx, npages;
};

struct sg_state {
	struct tce_dma *d;
	struct tce_sg *sg;
	unsigned out;        /* output segments so far */
	uint64_t seg_start;  /* bus address of the current output segment */
	uint64_t seg_end;    /* and its end */
	uint64_t seg_idx;    /* first entry of the current output segment */
	bool open;           /* an output segment is in progress */
};

/* May [bus, bus + len) extend the current output segment? */
static bool can_merge(const struct sg_state *s, uint64_t bus, uint64_t len)
{
	const struct tce_dma *d = s->d;
	uint64_t end, b = d->cfg.seg_boundary;

	if (!s->open || d->cfg.no_merge || tce__pool_rounds(d->pool) || bus != s->seg_end)
		return false;
	if (tce__add_overflows(bus, len, &end) || end - s->seg_start > d->cfg.max_seg_size)
		return false;
	if ((s->seg_start & ~(b - 1)) != ((end - 1) & ~(b - 1)))
		return false;
	return tce__pool_same(d->pool, s->seg_idx, (end - 1) >> d->page_shift);
}

static void emit(struct sg_state *s, uint64_t bus, uint64_t len)
{
	if (can_merge(s, bus, len)) {
		s->seg_end = bus + len;
		s->sg[s->out - 1].dma_length = s->seg_end - s->seg_start;
		return;
	}
	s->sg[s->out].dma_address = bus;
	s->sg[s->out].dma_length = len;
	s->out++;
	s->seg_start = bus;
	s->seg_end = bus + len;
	s->seg_idx = bus >> s->d->page_shift;
	s->open = true;
}

static void unwind(struct tce_dma *d, const struct sg_range *r, unsigned n)
{
	while (n--)
		tce__dma_unmap_range(d, r[n].idx, r[n].npages, false);
	tce__dma_flush_strict(d);
}

static int map_elements(struct sg_state *s, unsigned nents, enum tce_dir dir,
			struct sg_range *r, unsigned *nr)
{
	struct tce_dma *d = s->d;
	uint64_t handle = 0, real, len, npages, idx, end;
	unsigned i;
	int rc;

	for (i = 0; i < nents; i++) {
		real = s->sg[i].real, len = s->sg[i].length;
		if (!len) {
			s->open = false; /* an empty element breaks contiguity */
			continue;
		}
		if (tce__add_overflows(real, len, &end))
			return -EINVAL;
		npages = tce__dma_pages(real, len, d->page_shift);
		rc = tce__dma_map_range(d, real, npages, tce__dma_host_align(d, real, len), dir,
					&handle, &idx);
		if (rc)
			return rc;
		r[(*nr)++] = (struct sg_range){ idx, npages };
		emit(s, (idx << d->page_shift) | (real & tce__low_mask(d->page_shift)), len);
	}
	return 0;
}

/* Lists of up to this many elements keep their ranges on the stack. */
#define STACK_RANGES 64

int tce_dma_map_sg(struct tce_dma *d, struct tce_sg *sg, unsigned nents, enum tce_dir dir,
		   unsigned *mapped)
{
	struct sg_state s = { .d = d, .sg = sg };
	struct sg_range stack[STACK_RANGES], *r = stack;
	size_t bytes = 0;
	unsigned nr = 0;
	int rc;

	if (!nents || (dir != TCE_DIR_BIDIRECTIONAL && dir != TCE_DIR_TO_DEVICE &&
		       dir != TCE_DIR_FROM_DEVICE))
		return -EINVAL;
	if (nents > STACK_RANGES) {
		bytes = (size_t)nents * sizeof(struct sg_range);
		r = tce__malloc(d->ctx, bytes);
		if (!r)
			return -ENOMEM;
	}
	rc = map_elements(&s, nents, dir, r, &nr);
	if (!rc && !nr)
		rc = -EINVAL;
	if (rc)
		unwind(d, r, nr);
	if (r != stack)
		tce__free(d->ctx, r, bytes);
	if (rc)
		return rc;
	if (s.out < nents)
		sg[s.out].dma_length = 0;
	*mapped = s.out;
	return 0;
}

int tce_dma_unmap_sg(struct tce_dma *d, struct tce_sg *sg, unsigned nents)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < nents && sg[i].dma_length; i++)
		if (tce__dma_unmap_bus(d, sg[i].dma_address, sg[i].dma_length, false))
			rc = -EINVAL;
	tce__dma_flush_strict(d); /* once per list, as ppc_iommu_unmap_sg */
	return rc;
}
