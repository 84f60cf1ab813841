/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table-group ops and ownership (spec kernel.md §6.2-§6.4): the kernel's
 * default window at boot, create/set/unset of windows for an external owner,
 * and the hand-off between the kernel's DMA API and that owner. Every unset
 * clears the window's TCEs first (there is no other path to disable a
 * window). Errors are errnos; tables are freed and accounting refunded on
 * every error path. Layer: group.
 */
#include <errno.h>

#include "group/group_int.h"
#include "util/arith.h"

/* ---- pseries: RTAS on behalf of a group ---- */

/* The config address of a function of the group's PE (how RTAS names a PE). */
static uint32_t cfg_addr(const struct tce_group *g)
{
	const struct tce_machine *m = g->h->m;
	uint32_t i;

	for (i = 0; i < m->ndevs; i++)
		if (m->devs[i].pe == g->pe)
			return (uint32_t)m->devs[i].bus << 16 | (uint32_t)m->devs[i].devfn << 8;
	return 0;
}

static int rtas(struct tce_group *g, uint32_t which, uint32_t *args, uint32_t nargs,
		uint32_t *rets, uint32_t nret)
{
	int rc = tce_hv_rtas(g->h->m, g->h->m->rtas_token[which], nargs, args, nret, rets);

	return rc ? rc : tce__rtas_errno((int32_t)rets[0]);
}

/* Reset, query: the PE named by config address and BUID. */
static int rtas_pe(struct tce_group *g, uint32_t which, uint32_t *rets, uint32_t nret)
{
	uint32_t a[3] = { cfg_addr(g), (uint32_t)(g->phb->buid >> 32), (uint32_t)g->phb->buid };

	return rtas(g, which, a, 3, rets, nret);
}

int tce__pseries_query(struct tce_group *g, uint32_t *avail, uint64_t *block, uint32_t *mask)
{
	uint32_t r[5];
	int rc = rtas_pe(g, 0, r, 5);

	if (!rc)
		*avail = r[1], *block = r[2], *mask = r[3];
	return rc;
}

int tce__pseries_create(struct tce_group *g, uint32_t shift, uint32_t wshift, uint32_t *liobn,
			uint64_t *bus)
{
	uint32_t a[5] = { cfg_addr(g), (uint32_t)(g->phb->buid >> 32), (uint32_t)g->phb->buid,
			  shift, wshift }, r[4];
	int rc = rtas(g, 1, a, 5, r, 4);

	if (!rc)
		*liobn = r[1], *bus = (uint64_t)r[2] << 32 | r[3];
	return rc;
}

int tce__pseries_remove(struct tce_group *g, uint32_t liobn)
{
	uint32_t r[1];

	return rtas(g, 2, &liobn, 1, r, 1);
}

int tce__pseries_reset(struct tce_group *g)
{
	uint32_t r[1];
	int rc = rtas_pe(g, 3, r, 1);

	if (!rc)
		g->default_removed = false;
	return rc;
}

/* ---- boot and teardown of the kernel's windows ---- */

static int boot_pseries(struct tce_group *g)
{
	int rc = tce__pseries_table(g->h->m, g->h->lists, g->pe->def_liobn, g->pe->def_bus,
				    g->pe->def_size >> 12, 12, false, &g->tables[0]);

	return rc ? rc : tce__group_dma(g, g->tables[0], &g->dma32);
}

/* The powernv kernel default: the 32-bit window in 64 KiB pages (4 KiB if not offered), 2 levels. */
static int boot_powernv(struct tce_group *g)
{
	uint32_t shift = (g->info.pgsizes & (1ULL << 16)) ? 16 : 12;
	uint32_t levels = g->phb->max_levels >= 2 ? 2 : 1;
	struct tce_iommu_table *t = NULL;
	int rc = tce__powernv_table(g->h->m, 0, g->pe->def_size, shift, levels, false, &t);

	if (!rc) {
		t->no_kill = &g->h->no_kill;
		rc = tce__powernv_link(t, g->phb->index, g->pe->num, 0);
	}
	if (rc) {
		tce__iotable_put(t);
		return rc;
	}
	g->tables[0] = t;
	return tce__group_dma(g, t, &g->dma32);
}

/* powernv bypass: slot 1 in real mode over all RAM, for devices whose mask covers it. */
static int boot_bypass(struct tce_group *g)
{
	uint64_t size = 1ULL << (tce__ilog2(g->h->ram_size - 1) + 1);
	int rc;

	if (g->pe->nslots < 2)
		return 0;
	rc = tce_fw_map_window_real(g->h->m, g->phb->index, g->pe->num, 1, TCE_PNV_WINDOW1_BASE,
				    size);
	if (!rc) {
		g->ddw_mode = TCE_DMA_BYPASS;
		g->ddw_slot = 1, g->ddw_base = TCE_PNV_WINDOW1_BASE, g->ddw_size = size;
	}
	return rc;
}

int tce__group_boot(struct tce_group *g)
{
	int rc;

	if (g->h->platform == TCE_PLATFORM_PSERIES)
		return boot_pseries(g);
	rc = boot_powernv(g);
	return rc ? rc : boot_bypass(g);
}

bool tce__group_kernel_busy(struct tce_group *g)
{
	struct tce_pool_stats st;
	bool busy = false;

	if (g->dma32) {
		tce_pool_stats(tce_dma_pool(g->dma32), &st);
		busy = st.allocated != 0;
	}
	if (g->dma64) {
		tce_pool_stats(tce_dma_pool(g->dma64), &st);
		busy = busy || st.allocated != 0;
	}
	return busy;
}

/*
 * The hypervisor restores the default window when the last other one goes;
 * with no window left on our side, remove it again so both views agree.
 */
static void pseries_sync_empty(struct tce_group *g)
{
	uint32_t avail, mask;
	uint64_t block;

	if (g->tables[0] || g->tables[1] || tce__pseries_query(g, &avail, &block, &mask))
		return;
	if (avail < g->pe->nslots && !tce__pseries_remove(g, g->pe->def_liobn))
		g->default_removed = true;
}

int tce__group_unset(struct tce_group *g, uint32_t num)
{
	struct tce_iommu_table *t = g->tables[num];
	int rc = 0;

	if (!t)
		return 0;
	t->ops->clear_all(t); /* always before the window goes */
	if (g->h->platform == TCE_PLATFORM_PSERIES) {
		rc = tce__pseries_remove(g, t->liobn);
		if (t->liobn == g->pe->def_liobn && t->bus_offset == g->pe->def_bus)
			g->default_removed = true;
		g->tables[num] = NULL;
		tce__iotable_put(t);
		pseries_sync_empty(g);
		return rc;
	} else {
		rc = tce_fw_map_window(g->h->m, g->phb->index, g->pe->num, num, NULL);
		tce__powernv_unlink(t, g->phb->index, g->pe->num);
	}
	g->tables[num] = NULL;
	tce__iotable_put(t);
	return rc;
}

int tce__group_kernel_down(struct tce_group *g)
{
	int rc = 0, rc2;

	tce_dma_destroy(g->dma64);
	tce_dma_destroy(g->dma32);
	g->dma64 = g->dma32 = NULL;
	if (g->ddw_mode == TCE_DMA_BYPASS)
		rc = tce_fw_map_window_real(g->h->m, g->phb->index, g->pe->num, 1, 0, 0);
	else if (g->ddw_mode != TCE_DMA_DEFAULT)
		rc = tce__group_unset(g, g->ddw_slot);
	g->ddw_mode = TCE_DMA_DEFAULT;
	rc2 = tce__group_unset(g, 0);
	return rc ? rc : rc2;
}

/* Back to what the kernel had at boot after a failed hand-off. */
static int kernel_up(struct tce_group *g)
{
	int rc = 0;

	tce__group_unset(g, 0);
	tce__group_unset(g, 1);
	if (g->h->platform == TCE_PLATFORM_PSERIES)
		rc = tce__pseries_reset(g);
	else
		tce_fw_map_window_real(g->h->m, g->phb->index, g->pe->num, 1, 0, 0);
	return rc ? rc : tce__group_boot(g);
}

/* ---- table-group ops for an owner ---- */

int tce_group_table_size(struct tce_group *g, uint32_t page_shift, uint64_t window_size,
			 uint32_t levels, uint64_t *bytes)
{
	if (page_shift < TCE_PAGE_SHIFT_MIN || page_shift > TCE_PAGE_SHIFT_MAX ||
	    !(g->info.pgsizes & (1ULL << page_shift)) || !tce__is_pow2(window_size) ||
	    tce__ilog2(window_size) < page_shift || !levels || levels > g->info.max_levels)
		return -EINVAL;
	if (g->h->platform == TCE_PLATFORM_PSERIES) {
		*bytes = window_size >> (page_shift - 3); /* flat, no mirror factor (§6.3) */
		return 0;
	}
	*bytes = tce_table_size_bytes(page_shift, window_size, levels);
	return *bytes ? 0 : -EINVAL;
}

/* pseries: reopen the default window (a default request on slot 0). */
static int pseries_default(struct tce_group *g, const struct tce_window_req *req,
			   struct tce_iommu_table **t)
{
	int rc = tce__pseries_reset(g);

	if (rc)
		return rc;
	return tce__pseries_table(g->h->m, g->h->lists, g->pe->def_liobn, g->pe->def_bus,
				  req->window_size >> 12, 12, true, t);
}

/* pseries: a dynamic window the hypervisor places. */
static int pseries_ddw(struct tce_group *g, const struct tce_window_req *req,
		       struct tce_iommu_table **t)
{
	uint32_t wshift = tce__ilog2(req->window_size), liobn;
	uint64_t bus;
	int rc;

	if (!g->phb->ddw)
		return -ENODEV;
	rc = tce__pseries_create(g, req->page_shift, wshift, &liobn, &bus);
	if (rc)
		return rc;
	rc = tce__pseries_table(g->h->m, g->h->lists, liobn, bus, 1ULL << (wshift - req->page_shift),
				req->page_shift, true, t);
	if (rc)
		tce__pseries_remove(g, liobn);
	return rc;
}

static int pseries_create(struct tce_group *g, const struct tce_window_req *req,
			  struct tce_iommu_table **t)
{
	bool def = req->num == 0 && req->page_shift == 12 && req->window_size <= g->info.tce32_size;
	int rc;

	if (req->num == 0 && g->tables[1])
		return -EPERM; /* a reset would destroy the dynamic window */
	rc = def ? pseries_default(g, req, t) : pseries_ddw(g, req, t);
	if (rc)
		return rc;
	g->tables[req->num] = tce__iotable_hold(*t);
	return 0;
}

static int powernv_create(struct tce_group *g, const struct tce_window_req *req,
			  struct tce_iommu_table **t)
{
	uint64_t bus = req->num ? TCE_PNV_WINDOW1_BASE : g->info.tce32_start;
	int rc = tce__powernv_table(g->h->m, bus, req->window_size, req->page_shift, req->levels,
				    true, t);

	if (!rc)
		(*t)->no_kill = &g->h->no_kill;
	return rc;
}

static int charge(const struct tce_window_req *req, uint64_t bytes)
{
	int rc;

	if (!req->account)
		return 0;
	rc = req->account(req->account_arg, (int64_t)bytes);
	return rc > 0 ? -ENOMEM : rc;
}

int tce_group_create_table(struct tce_group *g, const struct tce_window_req *req,
			   struct tce_iommu_table **out)
{
	struct tce_iommu_table *t = NULL;
	uint64_t bytes;
	int rc;

	if (req->num >= g->pe->nslots)
		return -EINVAL;
	rc = tce_group_table_size(g, req->page_shift, req->window_size, req->levels, &bytes);
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&g->rw);
	rc = !g->owned ? -EPERM : g->tables[req->num] ? -EBUSY : charge(req, bytes);
	if (!rc) {
		rc = g->h->platform == TCE_PLATFORM_PSERIES ? pseries_create(g, req, &t)
							    : powernv_create(g, req, &t);
		if (rc && req->account)
			req->account(req->account_arg, -(int64_t)bytes);
	}
	if (!rc) {
		t->account = req->account, t->account_arg = req->account_arg, t->charged = bytes;
		*out = t;
	}
	pthread_rwlock_unlock(&g->rw);
	return rc;
}

int tce_group_set_window(struct tce_group *g, uint32_t num, struct tce_iommu_table *t)
{
	int rc;

	if (num >= g->pe->nslots || !t)
		return -EINVAL;
	pthread_rwlock_wrlock(&g->rw);
	if (!g->owned)
		rc = -EPERM;
	else if (g->h->platform == TCE_PLATFORM_PSERIES)
		rc = g->tables[num] == t ? 0 : -EPERM;
	else if (g->tables[num])
		rc = g->tables[num] == t ? 0 : -EBUSY;
	else if (!(g->info.pgsizes & (1ULL << t->page_shift)) || t->levels > g->info.max_levels)
		rc = -EINVAL;
	else
		rc = tce__powernv_link(t, g->phb->index, g->pe->num, num);
	if (!rc && !g->tables[num])
		g->tables[num] = tce__iotable_hold(t);
	pthread_rwlock_unlock(&g->rw);
	return rc;
}

int tce_group_unset_window(struct tce_group *g, uint32_t num)
{
	int rc;

	if (num >= TCE_MAX_WINDOWS)
		return -EINVAL;
	pthread_rwlock_wrlock(&g->rw);
	rc = g->owned ? tce__group_unset(g, num) : -EPERM;
	pthread_rwlock_unlock(&g->rw);
	return rc;
}

int tce_group_take_ownership(struct tce_group *g)
{
	int rc = 0;

	pthread_rwlock_wrlock(&g->rw);
	if (g->owned || tce__group_kernel_busy(g))
		rc = -EBUSY;
	if (!rc)
		rc = tce__group_kernel_down(g);
	if (rc && rc != -EBUSY && kernel_up(g))
		g->owned = true; /* neither state could be reached: the owner must release */
	if (!rc)
		g->owned = true;
	pthread_rwlock_unlock(&g->rw);
	return rc;
}

int tce_group_release_ownership(struct tce_group *g)
{
	int rc = 0;

	pthread_rwlock_wrlock(&g->rw);
	if (!g->owned) {
		pthread_rwlock_unlock(&g->rw);
		return -EINVAL;
	}
	rc = kernel_up(g);
	g->owned = rc != 0;
	pthread_rwlock_unlock(&g->rw);
	return rc;
}

bool tce_group_owned(struct tce_group *g)
{
	bool owned;

	pthread_rwlock_rdlock(&g->rw);
	owned = g->owned;
	pthread_rwlock_unlock(&g->rw);
	return owned;
}
