/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RTAS dynamic-DMA-window calls of a pseries hypervisor (spec
 * hypervisor.md §3). A PE is named as pseries Linux names it: the config
 * address of one of its functions and the PHB's BUID. Where QEMU is lax,
 * libtce refuses with a parameter error (-3): a window whose TCE count does
 * not fit 32 bits or exceeds the largest block, page shifts outside the
 * PHB's mask. Placement (DECISIONS.md 13): a new window goes to bus 0 when
 * it overlaps no enabled window there, else to 2^59 when it overlaps none
 * there. The query advertises the largest block create accepts (a power of
 * two of at most 2^31 TCEs within the tree's largest block). Removing the last window
 * that is not the default restores the default; reset restores it and drops
 * every other window and every TCE. The EEH calls are in eeh.c. Layer: fw.
 */
#include <errno.h>

#include "fw/fw_int.h"
#include "util/arith.h"

enum { Q_TOK, C_TOK, R_TOK, X_TOK };

/* LoPAR query mask bits, by page shift. */
static const struct {
	uint32_t shift, bit;
} ddw_pages[] = {
	{ 12, TCE_DDW_PGSIZE_4K },    { 16, TCE_DDW_PGSIZE_64K },  { 24, TCE_DDW_PGSIZE_16M },
	{ 25, TCE_DDW_PGSIZE_32M },   { 26, TCE_DDW_PGSIZE_64M },  { 27, TCE_DDW_PGSIZE_128M },
	{ 28, TCE_DDW_PGSIZE_256M },  { 34, TCE_DDW_PGSIZE_16G },  { 21, TCE_DDW_PGSIZE_2M },
};

static uint32_t query_mask(uint64_t page_mask)
{
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < sizeof(ddw_pages) / sizeof(ddw_pages[0]); i++)
		if (page_mask & (1ULL << ddw_pages[i].shift))
			mask |= ddw_pages[i].bit;
	return mask;
}

struct tce__pe *tce__rtas_pe(struct tce_machine *m, uint32_t cfg_addr, uint32_t hi, uint32_t lo)
{
	uint64_t buid = (uint64_t)hi << 32 | lo;
	uint32_t i;

	if (cfg_addr & 0xff0000ffu)
		return NULL;
	for (i = 0; i < m->ndevs; i++) {
		struct tce_pci_dev *d = &m->devs[i];

		if (d->phb->buid == buid && d->bus == (uint8_t)(cfg_addr >> 16) &&
		    d->devfn == (uint8_t)(cfg_addr >> 8))
			return d->pe;
	}
	return NULL;
}

/* The PE named so, when it offers DDW. */
static struct tce__pe *find_pe(struct tce_machine *m, uint32_t cfg_addr, uint32_t hi,
			       uint32_t lo)
{
	struct tce__pe *pe = tce__rtas_pe(m, cfg_addr, hi, lo);

	return pe && pe->ddw ? pe : NULL;
}

static unsigned active(const struct tce__pe *pe)
{
	unsigned i, n = 0;

	for (i = 0; i < pe->nslots; i++)
		n += pe->slot[i].enabled;
	return n;
}

/*
 * The largest block create accepts: a window is a power of two of fewer
 * than 2^32 TCEs, at most the tree's largest block. Advertising exactly
 * that keeps a guest that asks for log2up(block) TCEs (Linux) from being
 * refused.
 */
static uint64_t creatable_block(const struct tce__phb *phb)
{
	uint64_t block = phb->largest_block < (1ULL << 31) ? phb->largest_block : 1ULL << 31;

	return 1ULL << tce__ilog2(block);
}

static int query(struct tce__pe *pe, uint32_t nret, uint32_t *rets)
{
	const struct tce__phb *phb = pe->phb;
	uint64_t block = creatable_block(phb);

	tce__lock(&pe->lock);
	rets[1] = pe->nslots - active(pe);
	tce__unlock(&pe->lock);
	if (nret == 5) {
		rets[2] = block > UINT32_MAX ? UINT32_MAX : (uint32_t)block;
		rets[3] = query_mask(phb->page_mask);
		rets[4] = 0;
	} else {
		rets[2] = (uint32_t)(block >> 32);
		rets[3] = (uint32_t)block;
		rets[4] = query_mask(phb->page_mask);
		rets[5] = 0;
	}
	return TCE_RTAS_SUCCESS;
}

/* Does [bus, bus + size) overlap an enabled window of @pe? Context: PE lock. */
static bool overlaps(const struct tce__pe *pe, uint64_t bus, uint64_t size)
{
	unsigned i;

	for (i = 0; i < pe->nslots; i++)
		if (pe->slot[i].enabled && bus < pe->slot[i].bus_start + pe->slot[i].size &&
		    pe->slot[i].bus_start < bus + size)
			return true;
	return false;
}

/*
 * Bus 0 when [0, size) is below 2^59 and free, else 2^59 when
 * [2^59, 2^59 + size) is free (QEMU's two addresses, never overlapping a
 * window that is there). Returns false when neither is. Context: PE lock.
 */
static bool placement(const struct tce__pe *pe, uint64_t size, uint64_t *bus)
{
	if (size <= TCE_PNV_WINDOW1_BASE && !overlaps(pe, 0, size)) {
		*bus = 0;
		return true;
	}
	*bus = TCE_PNV_WINDOW1_BASE;
	return size <= TCE_PNV_WINDOW1_BASE && !overlaps(pe, *bus, size);
}

static int create_checks(const struct tce__pe *pe, uint32_t shift, uint32_t wshift)
{
	if (shift < TCE_PAGE_SHIFT_MIN || shift > TCE_PAGE_SHIFT_MAX ||
	    !(pe->phb->page_mask & (1ULL << shift)) || wshift < shift || wshift > 63)
		return TCE_RTAS_PARAM_ERROR;
	if (wshift - shift >= 32 || (1ULL << (wshift - shift)) > pe->phb->largest_block)
		return TCE_RTAS_PARAM_ERROR;
	return TCE_RTAS_SUCCESS;
}

static int create(struct tce__pe *pe, uint32_t shift, uint32_t wshift, uint32_t *rets)
{
	uint64_t bus, size = 1ULL << (wshift < 64 ? wshift : 0);
	unsigned i;
	int rc = create_checks(pe, shift, wshift);

	if (rc)
		return rc;
	tce__lock(&pe->lock);
	for (i = 0; i < pe->nslots && pe->slot[i].enabled; i++)
		;
	if (i == pe->nslots)
		rc = TCE_RTAS_HW_ERROR; /* no free slot, as QEMU */
	else if (!placement(pe, size, &bus))
		rc = TCE_RTAS_PARAM_ERROR;
	else if ((rc = tce__slot_enable_hv(pe, i, bus, size, shift)))
		rc = rc == -ENOMEM ? TCE_RTAS_HW_ERROR : TCE_RTAS_PARAM_ERROR;
	if (!rc) {
		tce__cache_kill(pe, 0, 0, 0);
		rets[1] = pe->slot[i].liobn;
		rets[2] = (uint32_t)(bus >> 32);
		rets[3] = (uint32_t)bus;
	}
	tce__unlock(&pe->lock);
	return rc;
}

static int remove_window(struct tce_machine *m, uint32_t liobn)
{
	unsigned i;
	bool was_default, none_left;
	struct tce__pe *pe = tce__find_liobn(m, liobn, &i);

	if (!pe || !pe->ddw)
		return TCE_RTAS_PARAM_ERROR;
	tce__lock(&pe->lock);
	if (!pe->slot[i].enabled) {
		tce__unlock(&pe->lock);
		return TCE_RTAS_PARAM_ERROR;
	}
	was_default = pe->slot[i].is_default;
	tce__slot_disable(pe, i);
	tce__cache_kill(pe, 0, 0, 0);
	none_left = active(pe) == 0;
	tce__unlock(&pe->lock);
	if (none_left && !was_default)
		return tce__pe_reset(pe) ? TCE_RTAS_HW_ERROR : TCE_RTAS_SUCCESS;
	return TCE_RTAS_SUCCESS;
}

/* Which call a token is, or -1; and the argument and result counts it takes. */
static int call_of(const struct tce_machine *m, uint32_t token)
{
	int i;

	for (i = 0; i < 4; i++)
		if (m->rtas_token[i] && m->rtas_token[i] == token)
			return i;
	return -1;
}

static int dispatch(struct tce_machine *m, int call, uint32_t nargs, const uint32_t *args,
		    uint32_t nret, uint32_t *rets)
{
	struct tce__pe *pe = NULL;

	if (call == R_TOK)
		return nargs == 1 && nret == 1 ? remove_window(m, args[0]) : TCE_RTAS_PARAM_ERROR;
	if (nargs != (call == C_TOK ? 5u : 3u))
		return TCE_RTAS_PARAM_ERROR;
	if ((call == Q_TOK && nret != 5 && nret != 6) || (call == C_TOK && nret != 4) ||
	    (call == X_TOK && nret != 1))
		return TCE_RTAS_PARAM_ERROR;
	pe = find_pe(m, args[0], args[1], args[2]);
	if (!pe)
		return TCE_RTAS_PARAM_ERROR;
	if (call == Q_TOK)
		return query(pe, nret, rets);
	if (call == C_TOK)
		return create(pe, args[3], args[4], rets);
	return tce__pe_reset(pe) ? TCE_RTAS_HW_ERROR : TCE_RTAS_SUCCESS;
}

int tce_hv_rtas(struct tce_machine *m, uint32_t token, uint32_t nargs, const uint32_t *args,
		uint32_t nret, uint32_t *rets)
{
	int call, eeh;

	if (m->platform != TCE_PLATFORM_PSERIES)
		return -EOPNOTSUPP;
	if (!rets || !nret || (nargs && !args))
		return -EINVAL;
	call = call_of(m, token);
	eeh = call < 0 ? tce__rtas_eeh_call(m, token) : -1;
	if ((call < 0 && eeh < 0) || tce__fault(m->ctx)) {
		rets[0] = (uint32_t)(call < 0 && eeh < 0 ? TCE_RTAS_PARAM_ERROR : TCE_RTAS_HW_ERROR);
		return 0;
	}
	rets[0] = (uint32_t)(eeh >= 0 ? tce__rtas_eeh(m, eeh, nargs, args, nret, rets)
				      : dispatch(m, call, nargs, args, nret, rets));
	return 0;
}
