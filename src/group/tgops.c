/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table-group ops and ownership (spec kernel.md §6.2-§6.4) as the group
 * layer does them: the lock, the ownership state and the accounting around
 * the platform's ops. The platform decides what a window is; this file
 * decides who may change it, charges a table's size before it is created
 * and refunds it on every failure. Layer: group.
 */
#include <errno.h>

#include "group/group_int.h"
#include "util/arith.h"

int tce__group_check(struct tce_group *g)
{
	const struct tce__tg *tg = &g->tg;
	bool ok = tce__rwlock_held(&g->rw);
	unsigned i;

	ok = ok && !(g->owned && (tg->dma32 || tg->dma64));
	ok = ok && (tg->ddw_mode == TCE_DMA_DEFAULT || tg->ddw_slot < tg->pe.nslots);
	ok = ok && (tg->ddw_mode != TCE_DMA_DYNAMIC || tg->dma64);
	for (i = 0; i < TCE_MAX_WINDOWS; i++)
		ok = ok && (!tg->tables[i] || (i < tg->pe.nslots && atomic_load(&tg->tables[i]->refs) > 0));
	if (!ok)
		tce__err(g->h->ctx, "group check: PHB %u PE %u: windows, ownership or DMA objects inconsistent",
			 tg->pe.phb, tg->pe.pe);
	return ok ? 0 : -EIO;
}

/* Take the write lock; release it with unlock_checked(). */
static void wlock(struct tce_group *g)
{
	tce__write_lock(&g->rw);
}

static void unlock_checked(struct tce_group *g)
{
	tce__assert(tce__rwlock_held_write(&g->rw));
	tce__assert(tce__group_check(g) == 0);
	tce__write_unlock(&g->rw);
}

static bool geometry_ok(const struct tce_group *g, uint32_t page_shift, uint64_t window_size,
			uint32_t levels)
{
	const struct tce_group_info *i = &g->tg.info;

	return page_shift >= TCE_PAGE_SHIFT_MIN && page_shift <= TCE_PAGE_SHIFT_MAX &&
	       (i->pgsizes & (1ULL << page_shift)) && tce__is_pow2(window_size) &&
	       tce__ilog2(window_size) >= page_shift && levels && levels <= i->max_levels;
}

int tce_group_table_size(struct tce_group *g, uint32_t page_shift, uint64_t window_size,
			 uint32_t levels, uint64_t *bytes)
{
	if (!g->tg.info.dynamic_ops)
		return -EPERM;
	if (!geometry_ok(g, page_shift, window_size, levels))
		return -EINVAL;
	return g->tg.ops->table_size(&g->tg, page_shift, window_size, levels, bytes);
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

	if (!req || !out || req->num >= g->tg.pe.nslots)
		return -EINVAL;
	rc = tce_group_table_size(g, req->page_shift, req->window_size, req->levels, &bytes);
	if (rc)
		return rc;
	wlock(g);
	rc = !g->owned ? -EPERM : g->tg.tables[req->num] ? -EBUSY : charge(req, bytes);
	if (!rc) {
		rc = g->tg.ops->create_table(&g->tg, req, &t);
		if (rc && req->account)
			req->account(req->account_arg, -(int64_t)bytes);
	}
	if (!rc) {
		t->account = req->account, t->account_arg = req->account_arg, t->charged = bytes;
		*out = t;
	}
	unlock_checked(g);
	return rc;
}

int tce_group_set_window(struct tce_group *g, uint32_t num, struct tce_iommu_table *t)
{
	int rc;

	if (num >= g->tg.pe.nslots || !t)
		return -EINVAL;
	wlock(g);
	rc = g->owned ? g->tg.ops->set_window(&g->tg, num, t) : -EPERM;
	unlock_checked(g);
	return rc;
}

int tce_group_unset_window(struct tce_group *g, uint32_t num)
{
	int rc;

	if (num >= TCE_MAX_WINDOWS)
		return -EINVAL;
	wlock(g);
	rc = !g->owned ? -EPERM : !g->tg.info.dynamic_ops ? -EPERM
							  : g->tg.ops->unset_window(&g->tg, num);
	unlock_checked(g);
	return rc;
}

int tce_group_get_table(struct tce_group *g, uint32_t num, struct tce_iommu_table **out)
{
	int rc = 0;

	if (num >= TCE_MAX_WINDOWS || !out)
		return -EINVAL;
	tce__read_lock(&g->rw);
	if (!g->owned)
		rc = -EPERM;
	else if (!g->tg.tables[num])
		rc = -ENOENT;
	else
		*out = tce__iotable_hold(g->tg.tables[num]);
	tce__read_unlock(&g->rw);
	return rc;
}

int tce_group_take_ownership(struct tce_group *g)
{
	int rc = 0;

	wlock(g);
	if (g->owned || tce__tg_kernel_busy(&g->tg) || tce__records_count(&g->kernel))
		rc = -EBUSY;
	if (!rc) {
		tce__tg_kernel_dma_destroy(&g->tg);
		rc = g->tg.ops->take(&g->tg);
	}
	/* A failed hand-off goes back to the kernel's state; if even that fails the owner must release. */
	if (rc && rc != -EBUSY && g->tg.ops->restore_default(&g->tg))
		g->owned = true;
	if (!rc)
		g->owned = true;
	unlock_checked(g);
	return rc;
}

int tce_group_release_ownership(struct tce_group *g)
{
	int rc;

	wlock(g);
	if (!g->owned) {
		unlock_checked(g);
		return -EINVAL;
	}
	rc = g->tg.ops->restore_default(&g->tg);
	g->owned = rc != 0;
	if (rc)
		tce__tg_kernel_dma_destroy(&g->tg);
	unlock_checked(g);
	return rc;
}

bool tce_group_owned(struct tce_group *g)
{
	bool owned;

	tce__read_lock(&g->rw);
	owned = g->owned;
	tce__read_unlock(&g->rw);
	return owned;
}

struct tce_host *tce_group_host(const struct tce_group *g)
{
	return g->h;
}

bool tce__group_claim_file(struct tce_group *g)
{
	bool closed = false;

	return atomic_compare_exchange_strong(&g->file_open, &closed, true);
}

void tce__group_unclaim_file(struct tce_group *g)
{
	atomic_store(&g->file_open, false);
}

void tce_group_info(const struct tce_group *g, struct tce_group_info *out)
{
	*out = g->tg.info;
}
