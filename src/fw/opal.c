/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The firmware calls a bare-metal (powernv) OS uses: program a PE's window
 * slot with an OS-owned table, or disable it (opal_pci_map_pe_dma_window),
 * and kill cached TCEs of a range or of a whole PE (opal_pci_tce_kill).
 * Slot 0 decodes bus addresses below 2^59, slot 1 from 2^59 up. Layer: fw.
 */
#include <errno.h>

#include "hw/hw_int.h"
#include "util/arith.h"

static struct tce__pe *fw_pe(struct tce_machine *m, uint32_t phb, uint32_t pe)
{
	if (m->platform != TCE_PLATFORM_POWERNV || phb >= m->nphbs)
		return NULL;
	return tce__phb_pe(&m->phbs[phb], pe);
}

/* The table's geometry suits slot @slot of a PHB. */
static bool table_fits(const struct tce__pe *pe, uint32_t slot, const struct tce_table_config *c)
{
	uint64_t end = c->bus_offset + c->window_size; /* no wrap: checked at creation */
	uint64_t lo = slot ? TCE_PNV_WINDOW1_BASE : 0, hi = lo + TCE_PNV_WINDOW1_BASE;

	return c->levels <= pe->phb->max_levels && (pe->phb->page_mask & (1ULL << c->page_shift)) &&
	       c->bus_offset >= lo && end <= hi;
}

int tce_fw_map_window(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t slot,
		      struct tce_table *t)
{
	struct tce__pe *pe;
	struct tce_table_config c;

	if (m->platform != TCE_PLATFORM_POWERNV)
		return -EOPNOTSUPP;
	pe = fw_pe(m, phb, pe_num);
	if (!pe || slot >= pe->nslots)
		return -EINVAL;
	if (t) {
		tce_table_get_config(t, &c);
		if (!table_fits(pe, slot, &c))
			return -EINVAL;
	}
	if (tce__fault(m->ctx))
		return -EIO;
	tce__lock(&pe->lock);
	tce__slot_disable(pe, slot);
	if (t)
		pe->slot[slot] = (struct tce__slot){ .enabled = true, .bus_start = c.bus_offset,
						     .size = c.window_size, .page_shift = c.page_shift,
						     .table = tce_table_hold(t) };
	tce__cache_kill(pe, 0, 0, 0);
	tce__unlock(&pe->lock);
	return 0;
}

int tce_fw_tce_kill(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t page_shift,
		    uint64_t bus_addr, uint64_t npages)
{
	struct tce__pe *pe;

	if (m->platform != TCE_PLATFORM_POWERNV)
		return -EOPNOTSUPP;
	pe = fw_pe(m, phb, pe_num);
	if (!pe || (npages && (page_shift < TCE_PAGE_SHIFT_MIN || page_shift > TCE_PAGE_SHIFT_MAX)))
		return -EINVAL;
	tce__lock(&pe->lock);
	tce__cache_kill(pe, npages ? page_shift : 0, bus_addr, npages);
	tce__unlock(&pe->lock);
	return 0;
}

int tce_fw_map_window_real(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t slot,
			   uint64_t bus_start, uint64_t size)
{
	uint64_t lo = slot ? TCE_PNV_WINDOW1_BASE : 0;
	struct tce__pe *pe;

	if (m->platform != TCE_PLATFORM_POWERNV)
		return -EOPNOTSUPP;
	pe = fw_pe(m, phb, pe_num);
	if (!pe || slot >= pe->nslots)
		return -EINVAL;
	if (size && (!tce__is_pow2(size) || bus_start < lo || bus_start - lo > TCE_PNV_WINDOW1_BASE ||
		     size > TCE_PNV_WINDOW1_BASE - (bus_start - lo)))
		return -EINVAL;
	if (tce__fault(m->ctx))
		return -EIO;
	tce__lock(&pe->lock);
	tce__slot_disable(pe, slot);
	if (size)
		pe->slot[slot] = (struct tce__slot){ .enabled = true, .real_mode = true,
						     .bus_start = bus_start, .size = size };
	tce__cache_kill(pe, 0, 0, 0);
	tce__unlock(&pe->lock);
	return 0;
}
