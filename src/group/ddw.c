/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's dynamic DMA windows for 64-bit devices (spec kernel.md §7.5,
 * pseries): query, give up the default window on a single-slot PE, pick the
 * largest page size, create a window of all RAM (direct mapping, identity
 * TCEs written with H_PUT_TCE_INDIRECT) or, when the hypervisor cannot give
 * that much, the largest it can (dynamic use through the allocator). Any
 * failure falls back to the default window, restored with reset when it
 * was removed, and is remembered for the PE (not retried, as the kernel's
 * failed list). On powernv the bypass window set at boot serves 64-bit
 * devices. Layer: group.
 */
#include <errno.h>

#include "group/group_int.h"
#include "util/arith.h"

/* LoPAR query-mask bits to page shifts, largest first. */
static uint32_t largest_page(uint32_t mask)
{
	static const struct {
		uint32_t bit, shift;
	} order[] = { { TCE_DDW_PGSIZE_16G, 34 }, { TCE_DDW_PGSIZE_256M, 28 },
		      { TCE_DDW_PGSIZE_128M, 27 }, { TCE_DDW_PGSIZE_64M, 26 },
		      { TCE_DDW_PGSIZE_32M, 25 }, { TCE_DDW_PGSIZE_16M, 24 },
		      { TCE_DDW_PGSIZE_2M, 21 }, { TCE_DDW_PGSIZE_64K, 16 },
		      { TCE_DDW_PGSIZE_4K, 12 } };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (mask & order[i].bit)
			return order[i].shift;
	return 0;
}

static uint32_t log2_up(uint64_t x)
{
	return x <= 1 ? 0 : tce__ilog2(x - 1) + 1;
}

/* A single-slot PE gives up its default window (it must be idle). */
static int free_slot(struct tce_group *g, uint32_t *avail, uint64_t *block, uint32_t *mask)
{
	int rc;

	if (*avail)
		return 0;
	if (tce__group_kernel_busy(g))
		return -EBUSY;
	tce_dma_destroy(g->dma32);
	g->dma32 = NULL;
	rc = tce__group_unset(g, 0);
	if (!rc)
		rc = tce__pseries_query(g, avail, block, mask);
	return rc ? rc : *avail ? 0 : -ENOSPC;
}

/* Map all RAM with identity TCEs: bus = base + real. */
static int direct_map(struct tce_group *g, struct tce_iommu_table *t)
{
	uint64_t n = tce__div_round_up(g->h->ram_size, 1ULL << t->page_shift);

	return t->ops->set(t, t->first_idx, n, 0, TCE_DIR_BIDIRECTIONAL);
}

static int open_window(struct tce_group *g, uint32_t shift, uint32_t wshift, bool direct)
{
	struct tce_iommu_table *t;
	uint32_t liobn, slot = g->default_removed ? 0 : 1;
	uint64_t bus;
	int rc = tce__pseries_create(g, shift, wshift, &liobn, &bus);

	if (rc)
		return rc;
	rc = tce__pseries_table(g->h->m, g->h->lists, liobn, bus, 1ULL << (wshift - shift), shift,
				false, &t);
	if (rc) {
		tce__pseries_remove(g, liobn);
		return rc;
	}
	g->tables[slot] = t;
	g->ddw_slot = slot, g->ddw_base = bus, g->ddw_size = 1ULL << wshift;
	g->ddw_mode = direct ? TCE_DMA_DIRECT : TCE_DMA_DYNAMIC;
	rc = direct ? direct_map(g, t) : tce__group_dma(g, t, &g->dma64);
	return rc;
}

static int enable(struct tce_group *g)
{
	uint32_t avail, mask, shift, ddw_shift, len;
	uint64_t block;
	int rc = tce__pseries_query(g, &avail, &block, &mask);

	if (!rc)
		rc = free_slot(g, &avail, &block, &mask);
	if (rc)
		return rc;
	shift = largest_page(mask);
	if (!shift || !block)
		return -EINVAL;
	ddw_shift = (uint32_t)tce__min_u64(log2_up(block) + shift, 63);
	len = log2_up(g->h->ram_size);
	return open_window(g, shift, ddw_shift >= len ? len : ddw_shift, ddw_shift >= len);
}

/* Back to the default window after a failure. */
static void fall_back(struct tce_group *g)
{
	tce_dma_destroy(g->dma64);
	g->dma64 = NULL;
	if (g->ddw_mode != TCE_DMA_DEFAULT) {
		tce__group_unset(g, g->ddw_slot);
		g->ddw_mode = TCE_DMA_DEFAULT;
	}
	if (g->default_removed && !tce__pseries_reset(g))
		tce__group_boot(g);
	g->ddw_failed = true;
}

void tce__group_enable_ddw(struct tce_group *g)
{
	int rc;

	if (g->h->platform != TCE_PLATFORM_PSERIES || g->owned || g->ddw_failed ||
	    g->ddw_mode != TCE_DMA_DEFAULT || !g->phb->ddw)
		return;
	rc = enable(g);
	if (rc) {
		tce__warn(g->h->ctx, "DDW: PE %u stays on its default window: %s", g->pe->num,
			  tce_strerror(rc));
		fall_back(g);
	}
}

bool tce__mask_is_64(const struct tce_host *h, uint64_t mask)
{
	if (h->platform == TCE_PLATFORM_POWERNV)
		return mask >= TCE_PNV_WINDOW1_BASE + h->ram_size - 1;
	return mask == UINT64_MAX;
}
