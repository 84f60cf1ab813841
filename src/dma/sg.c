/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scatter lists (ppc_iommu_map_sg): each non-empty element gets its own
 * range, allocated after the previous one when possible, and is merged into
 * the current output segment when the bus addresses are contiguous and the
 * merged segment stays within the maximum segment size, the segment
 * boundary (which the kernel does not re-check) and one pool. A failure
 * unwinds every range of the call, the failing one included (the kernel
 * leaks that one). With per-thread caches, ranges are rounded up in size,
 * so segments are never merged. The list is recorded as mapped (its output
 * segments and the ranges behind them), and an unmap must present exactly
 * those segments (DECISIONS 24). Layer: dma.
 */
#include <errno.h>

#include "dma/dma_int.h"
#include "util/arith.h"

/* A range of entries one element was mapped into. */
struct sg_range {
	uint64_t idx, npages;
};

_Static_assert(sizeof(struct sg_range) == sizeof(struct tce__dma_span), "a range is a span");

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

/* Record the list as mapped: @s's output segments and the @nr ranges @r. */
static int record_list(struct tce_dma *d, const struct sg_state *s, const struct sg_range *r,
		       unsigned nr)
{
	struct tce__dma_sgrec *rec = tce__malloc(d->ctx, tce__dma_sgrec_bytes(s->out, nr));
	struct tce__dma_rec entry;
	unsigned i;

	if (!rec)
		return -ENOMEM;
	rec->nsegs = s->out, rec->nranges = nr;
	for (i = 0; i < s->out; i++)
		rec->span[i] = (struct tce__dma_span){ s->sg[i].dma_address, s->sg[i].dma_length };
	for (i = 0; i < nr; i++)
		rec->span[s->out + i] = (struct tce__dma_span){ r[i].idx, r[i].npages };
	entry = (struct tce__dma_rec){ .bus = s->sg[0].dma_address, .aux = (uintptr_t)rec,
				       .kind = TCE__DMA_SG };
	if (tce__dma_track_add(d, &entry)) {
		tce__dma_sgrec_free(d, rec);
		return -ENOMEM;
	}
	return 0;
}

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
	if (!rc)
		rc = record_list(d, &s, r, nr);
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

/* The output segments a caller presents to unmap. */
struct sg_want {
	const struct tce_sg *sg;
	unsigned n;
};

/* Are they exactly the segments of live list @r? */
static bool same_list(const struct tce__dma_rec *r, const void *arg)
{
	const struct sg_want *w = arg;
	const struct tce__dma_sgrec *rec = (const struct tce__dma_sgrec *)r->aux;
	unsigned i;

	if (r->kind != TCE__DMA_SG || rec->nsegs != w->n)
		return false;
	for (i = 0; i < w->n; i++)
		if (rec->span[i].a != w->sg[i].dma_address || rec->span[i].b != w->sg[i].dma_length)
			return false;
	return true;
}

int tce_dma_unmap_sg(struct tce_dma *d, struct tce_sg *sg, unsigned nents)
{
	struct sg_want want = { .sg = sg };
	struct tce__dma_sgrec *rec;
	struct tce__dma_rec got;
	unsigned i;

	while (want.n < nents && sg[want.n].dma_length)
		want.n++;
	if (!want.n || tce__dma_track_take(d, sg[0].dma_address, same_list, &want, &got)) {
		tce__err(d->ctx, "dma: unmap of a %u-segment list matches no mapping", want.n);
		return -EINVAL;
	}
	rec = (struct tce__dma_sgrec *)got.aux;
	for (i = 0; i < rec->nranges; i++)
		tce__dma_unmap_range(d, rec->span[rec->nsegs + i].a, rec->span[rec->nsegs + i].b,
				     false);
	tce__dma_flush_strict(d); /* once per list, as ppc_iommu_unmap_sg */
	tce__dma_sgrec_free(d, rec);
	return 0;
}
