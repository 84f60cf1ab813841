/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pages pinned by VFIO v1 maps, counted per IOMMU page (pins.c). Layer:
 * vfio. Includes util.
 */
#ifndef TCE_VFIO_PINS_H
#define TCE_VFIO_PINS_H

#include "util/lock.h"
#include "util/util.h"

struct tce__pin {
	uint64_t key;      /* the page's user address; UINT64_MAX: an empty slot */
	uint32_t shift;    /* its IOMMU page size */
	uint32_t count;    /* TCEs that map it */
};

struct tce__pins {
	struct tce_ctx *ctx;
	struct tce__lock lock; /* guards the rest */
	struct tce__pin *slot;
	uint32_t cap, n;       /* cap: a power of two, or 0 */
};

int tce__pins_init(struct tce__pins *p, struct tce_ctx *ctx);
void tce__pins_fini(struct tce__pins *p);
/* @npages pages of 2^@page_shift bytes from @ua pinned once more: 0, or -ENOMEM (nothing changed). */
int tce__pins_add(struct tce__pins *p, uint64_t ua, uint64_t npages, uint32_t page_shift);
/* The reverse of tce__pins_add() for the same pages. */
void tce__pins_drop(struct tce__pins *p, uint64_t ua, uint64_t npages, uint32_t page_shift);
/* Whether a pinned page overlaps [ua, ua + size). */
bool tce__pins_overlap(struct tce__pins *p, uint64_t ua, uint64_t size);

#endif /* TCE_VFIO_PINS_H */
