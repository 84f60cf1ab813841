/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pseries table-group ops (spec kernel.md §6.3, the 2024 rework, minus
 * §10.2's bugs) and the RTAS DDW calls behind them: the default window of
 * ibm,dma-window, dynamic windows the hypervisor places, the kernel's own
 * dynamic window for 64-bit devices (§7.5: direct mapping of all RAM when
 * it fits, dynamic otherwise, the default window given up on a single-slot
 * PE, a failure remembered), and an owner's windows (a failed create
 * remembered per PE, as the kernel's failed-DDW list). Layer: platform.
 */
#include <errno.h>

#include "platform/platform.h"
#include "util/arith.h"

/* ---- RTAS, named by the PE's config address and BUID ---- */

static int rtas(struct tce__tg *tg, enum tce__ddw_call call, uint32_t *args, uint32_t nargs,
		uint32_t *rets, uint32_t nret)
{
	int rc;

	if (!tg->pe.tok[call])
		return -EOPNOTSUPP;
	rc = tce_hv_rtas(tg->env->m, tg->pe.tok[call], nargs, args, nret, rets);
	return rc ? rc : tce__rtas_errno((int32_t)rets[0]);
}

static int rtas_pe(struct tce__tg *tg, enum tce__ddw_call call, uint32_t *rets, uint32_t nret)
{
	uint32_t a[3] = { tg->pe.cfg_addr, (uint32_t)(tg->pe.buid >> 32), (uint32_t)tg->pe.buid };

	return rtas(tg, call, a, 3, rets, nret);
}

int tce__rtas_query(struct tce__tg *tg, uint32_t *avail, uint64_t *block, uint32_t *mask)
{
	uint32_t r[6];
	int rc = rtas_pe(tg, TCE_DDW_QUERY, r, tg->pe.query6 ? 6 : 5);

	if (rc)
		return rc;
	*avail = r[1];
	*block = tg->pe.query6 ? (uint64_t)r[2] << 32 | r[3] : r[2];
	*mask = tg->pe.query6 ? r[4] : r[3];
	return 0;
}

int tce__rtas_create(struct tce__tg *tg, uint32_t shift, uint32_t wshift, uint32_t *liobn,
		     uint64_t *bus)
{
	uint32_t a[5] = { tg->pe.cfg_addr, (uint32_t)(tg->pe.buid >> 32), (uint32_t)tg->pe.buid,
			  shift, wshift }, r[4];
	int rc = rtas(tg, TCE_DDW_CREATE, a, 5, r, 4);

	if (!rc)
		*liobn = r[1], *bus = (uint64_t)r[2] << 32 | r[3];
	return rc;
}

int tce__rtas_remove(struct tce__tg *tg, uint32_t liobn)
{
	uint32_t r[1];

	return rtas(tg, TCE_DDW_REMOVE, &liobn, 1, r, 1);
}

int tce__rtas_reset(struct tce__tg *tg)
{
	uint32_t r[1];
	int rc = rtas_pe(tg, TCE_DDW_RESET, r, 1);

	if (!rc)
		tg->default_removed = false;
	return rc;
}

uint64_t tce__ddw_mask_to_pgsizes(uint32_t mask)
{
	static const struct {
		uint32_t bit, shift;
	} map[] = { { TCE_DDW_PGSIZE_4K, 12 }, { TCE_DDW_PGSIZE_64K, 16 },
		    { TCE_DDW_PGSIZE_16M, 24 }, { TCE_DDW_PGSIZE_32M, 25 },
		    { TCE_DDW_PGSIZE_64M, 26 }, { TCE_DDW_PGSIZE_128M, 27 },
		    { TCE_DDW_PGSIZE_256M, 28 }, { TCE_DDW_PGSIZE_16G, 34 },
		    { TCE_DDW_PGSIZE_2M, 21 } };
	uint64_t out = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (mask & map[i].bit)
			out |= 1ULL << map[i].shift;
	return out;
}

/* ---- tables ---- */

int tce__pseries_default_table(struct tce__tg *tg, uint64_t entries, bool mirror,
			       struct tce_iommu_table **out)
{
	int rc = tce__pseries_table(tg->env->m, tg->env->lists, tg->pe.def_liobn, tg->pe.def_bus,
				    entries, 12, mirror, out);

	if (!rc)
		(*out)->is_default = true;
	return rc;
}

/*
 * The hypervisor restores the default window when the last other one goes;
 * with no window left on our side, remove it again so both views agree.
 */
static void sync_empty(struct tce__tg *tg)
{
	uint32_t avail, mask;
	uint64_t block;

	if (tg->tables[0] || tg->tables[1] || tce__rtas_query(tg, &avail, &block, &mask))
		return;
	if (avail < tg->pe.nslots && !tce__rtas_remove(tg, tg->pe.def_liobn))
		tg->default_removed = true;
}

/* A table over a window the hypervisor opened; the window is removed again on failure. */
static int ddw_table(struct tce__tg *tg, uint32_t shift, uint32_t wshift, bool mirror,
		     struct tce_iommu_table **out)
{
	uint32_t liobn;
	uint64_t bus;
	int rc = tce__rtas_create(tg, shift, wshift, &liobn, &bus);

	if (rc)
		return rc;
	rc = tce__pseries_table(tg->env->m, tg->env->lists, liobn, bus, 1ULL << (wshift - shift),
				shift, mirror, out);
	if (rc && !tce__rtas_remove(tg, liobn))
		sync_empty(tg);
	return rc;
}

/* ---- probe and boot ---- */

/*
 * The RTAS query says what an owner may create. A PE whose window node has
 * no DDW properties (or whose query fails) gets the legacy ops: its owner
 * borrows the default window, as kernels before the 2024 rework did.
 */
static int ps_probe(struct tce__tg *tg)
{
	uint32_t avail = 0, mask = 0;
	uint64_t block = 0;
	bool ddw = tg->pe.ddw && tg->pe.tok[TCE_DDW_RESET] &&
		   !tce__rtas_query(tg, &avail, &block, &mask);

	if (!ddw) {
		tg->ops = &tce__legacy_group_ops;
		return tg->ops->probe(tg);
	}
	tg->info = (struct tce_group_info){
		.phb = tg->pe.phb, .pe = tg->pe.pe,
		.tce32_start = tg->pe.def_bus, .tce32_size = tg->pe.def_size,
		.pgsizes = tce__ddw_mask_to_pgsizes(mask) | (1ULL << 12),
		.max_dynamic_windows = avail ? 2 : 1, .max_levels = 1, .dynamic_ops = true,
	};
	return 0;
}

static int ps_boot(struct tce__tg *tg)
{
	int rc;

	tce__tg_assert_write(tg);
	rc = tce__pseries_default_table(tg, tg->pe.def_size >> 12, false, &tg->tables[0]);
	return rc ? rc : tce__tg_dma(tg, tg->tables[0], &tg->dma32);
}

/* ---- windows ---- */

static int ps_unset_window(struct tce__tg *tg, uint32_t num)
{
	struct tce_iommu_table *t = tg->tables[num];
	int rc;

	tce__tg_assert_write(tg);
	if (!t)
		return 0;
	tce__iotable_detach(t);    /* the owner's calls end here */
	tce__iotable_clear_all(t); /* always before the window goes */
	rc = tce__rtas_remove(tg, t->liobn);
	if (t->is_default)
		tg->default_removed = true;
	tg->tables[num] = NULL;
	tce__iotable_put(t);
	sync_empty(tg);
	return rc;
}

static int ps_table_size(const struct tce__tg *tg, uint32_t page_shift, uint64_t window_size,
			 uint32_t levels, uint64_t *bytes)
{
	(void)tg, (void)levels;
	*bytes = window_size >> (page_shift - 3); /* flat, no mirror factor (§6.3) */
	return 0;
}

/* An owner's default request on slot 0 reopens the default window. */
static int owner_default(struct tce__tg *tg, const struct tce_window_req *req,
			 struct tce_iommu_table **t)
{
	int rc = tce__rtas_reset(tg);

	if (!rc)
		rc = tce__pseries_default_table(tg, req->window_size >> 12, true, t);
	if (rc && !tce__rtas_remove(tg, tg->pe.def_liobn))
		tg->default_removed = true; /* as the owner had it */
	return rc;
}

/* An owner's dynamic window; a hypervisor failure is remembered (not retried). */
static int owner_ddw(struct tce__tg *tg, const struct tce_window_req *req,
		     struct tce_iommu_table **t)
{
	uint32_t avail, mask, wshift = tce__ilog2(req->window_size);
	uint64_t block;
	int rc;

	if (!tg->pe.ddw || tg->owner_ddw_failed)
		return -ENODEV;
	rc = tce__rtas_query(tg, &avail, &block, &mask);
	if (!rc && wshift - req->page_shift < 64 && block < (1ULL << (wshift - req->page_shift)))
		return -EINVAL; /* "try a smaller window": not remembered */
	if (!rc)
		rc = ddw_table(tg, req->page_shift, wshift, true, t);
	if (rc && rc != -ENOMEM) {
		tg->owner_ddw_failed = true;
		rc = -ENODEV;
	}
	return rc;
}

static int ps_create_table(struct tce__tg *tg, const struct tce_window_req *req,
			   struct tce_iommu_table **t)
{
	bool def = req->num == 0 && req->page_shift == 12 && req->window_size <= tg->pe.def_size;
	int rc;

	tce__tg_assert_write(tg);
	if (req->num == 0 && tg->tables[1])
		return -EPERM; /* a reset would destroy the dynamic window */
	rc = def ? owner_default(tg, req, t) : owner_ddw(tg, req, t);
	if (!rc)
		tg->tables[req->num] = tce__iotable_hold(*t);
	return rc;
}

/* A pseries table serves only the PE it was opened for (§6.3). */
static int ps_set_window(struct tce__tg *tg, uint32_t num, struct tce_iommu_table *t)
{
	tce__tg_assert_write(tg);
	return tg->tables[num] == t ? 0 : -EPERM;
}

/* ---- ownership ---- */

static int ps_take(struct tce__tg *tg)
{
	int rc = 0, rc2;

	tce__tg_assert_write(tg);
	if (tg->ddw_mode != TCE_DMA_DEFAULT)
		rc = ps_unset_window(tg, tg->ddw_slot);
	tg->ddw_mode = TCE_DMA_DEFAULT;
	rc2 = tce__tg_unset_all(tg);
	return rc ? rc : rc2;
}

static int ps_restore_default(struct tce__tg *tg)
{
	int rc;

	tce__tg_assert_write(tg);
	tce__tg_kernel_dma_destroy(tg);
	tg->ddw_mode = TCE_DMA_DEFAULT;
	tce__tg_unset_all(tg);
	rc = tce__rtas_reset(tg);
	return rc ? rc : ps_boot(tg);
}

/* ---- the kernel's dynamic window (§7.5) ---- */

/* LoPAR query-mask bits to the largest page shift. */
static uint32_t largest_page(uint32_t mask)
{
	uint64_t shifts = tce__ddw_mask_to_pgsizes(mask);

	return shifts ? tce__ilog2(shifts) : 0;
}

static uint32_t log2_up(uint64_t x)
{
	return x <= 1 ? 0 : tce__ilog2(x - 1) + 1;
}

/* A single-slot PE gives up its default window (it must be idle). */
static int free_slot(struct tce__tg *tg, uint32_t *avail, uint64_t *block, uint32_t *mask)
{
	int rc;

	if (*avail)
		return 0;
	if (tce__tg_kernel_busy(tg))
		return -EBUSY;
	tce_dma_destroy(tg->dma32);
	tg->dma32 = NULL;
	rc = ps_unset_window(tg, 0);
	if (!rc)
		rc = tce__rtas_query(tg, avail, block, mask);
	return rc ? rc : *avail ? 0 : -ENOSPC;
}

/* Map all RAM with identity TCEs: bus = base + real. */
static int direct_map(struct tce__tg *tg, struct tce_iommu_table *t)
{
	uint64_t n = tce__div_round_up(tg->env->ram_size, 1ULL << t->page_shift);

	return t->ops->set(t, t->first_idx, n, 0, TCE_DIR_BIDIRECTIONAL);
}

static int open_window(struct tce__tg *tg, uint32_t shift, uint32_t wshift, bool direct)
{
	struct tce_iommu_table *t;
	uint32_t slot = tg->default_removed ? 0 : 1;
	int rc = ddw_table(tg, shift, wshift, false, &t);

	if (rc)
		return rc;
	tg->tables[slot] = t;
	tg->ddw_slot = slot, tg->ddw_base = t->bus_offset, tg->ddw_size = 1ULL << wshift;
	tg->ddw_mode = direct ? TCE_DMA_DIRECT : TCE_DMA_DYNAMIC;
	return direct ? direct_map(tg, t) : tce__tg_dma(tg, t, &tg->dma64);
}

static int enable(struct tce__tg *tg)
{
	uint32_t avail, mask, shift, ddw_shift, len;
	uint64_t block;
	int rc = tce__rtas_query(tg, &avail, &block, &mask);

	if (!rc)
		rc = free_slot(tg, &avail, &block, &mask);
	if (rc)
		return rc;
	shift = largest_page(mask);
	if (!shift || !block)
		return -EINVAL;
	ddw_shift = (uint32_t)tce__min_u64(log2_up(block) + shift, 63);
	len = log2_up(tg->env->ram_size);
	return open_window(tg, shift, ddw_shift >= len ? len : ddw_shift, ddw_shift >= len);
}

/* Back to the default window after a failure. */
static void fall_back(struct tce__tg *tg)
{
	tce_dma_destroy(tg->dma64);
	tg->dma64 = NULL;
	if (tg->ddw_mode != TCE_DMA_DEFAULT) {
		ps_unset_window(tg, tg->ddw_slot);
		tg->ddw_mode = TCE_DMA_DEFAULT;
	}
	if (tg->default_removed && !tce__rtas_reset(tg))
		ps_boot(tg);
	tg->ddw_failed = true;
}

static void ps_enable_ddw(struct tce__tg *tg)
{
	int rc;

	tce__tg_assert_write(tg);
	if (tg->ddw_failed || tg->ddw_mode != TCE_DMA_DEFAULT || !tg->pe.ddw)
		return;
	rc = enable(tg);
	if (rc) {
		tce__warn(tg->env->ctx, "DDW: PE %u stays on its default window: %s", tg->pe.pe,
			  tce_strerror(rc));
		fall_back(tg);
	}
}

const struct tce__group_ops tce__pseries_group_ops = {
	.probe = ps_probe,
	.boot = ps_boot,
	.table_size = ps_table_size,
	.create_table = ps_create_table,
	.set_window = ps_set_window,
	.unset_window = ps_unset_window,
	.take = ps_take,
	.restore_default = ps_restore_default,
	.enable_ddw = ps_enable_ddw,
	.eeh_thaw = tce__eeh_ps_thaw,
	.eeh_get_state = tce__eeh_ps_get_state,
	.eeh_reset = tce__eeh_ps_reset,
	.eeh_inject = tce__eeh_ps_inject,
};
