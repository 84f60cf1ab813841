/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The powernv (IODA2) table-group ops (spec kernel.md §6.2): the kernel's
 * default table in slot 0 and the real-mode bypass window in slot 1, an
 * owner's tables created unprogrammed and then set into any number of PEs,
 * and unset that clears a table's TCEs only when it leaves its last PE
 * (DECISIONS 23), so the other PEs' DMA goes on. Layer: platform.
 */
#include <errno.h>

#include "platform/platform.h"
#include "util/arith.h"

/*
 * The levels a table can really have (DECISIONS 21): the PHB's walk depth,
 * capped by the 55-bit rule for the group's smallest page on this host.
 */
static uint32_t creatable_levels(const struct tce__tg *tg)
{
	uint32_t shift = (uint32_t)__builtin_ctzll(tg->pe.page_mask | (1ULL << 63));
	uint32_t most = tce_table_max_levels(shift, tg->env->host_page_shift);

	return most < tg->pe.max_levels ? most : tg->pe.max_levels;
}

static int pnv_probe(struct tce__tg *tg)
{
	tg->info = (struct tce_group_info){
		.phb = tg->pe.phb, .pe = tg->pe.pe,
		.tce32_start = 0, .tce32_size = tg->pe.def_size,
		.pgsizes = tg->pe.page_mask, .max_dynamic_windows = tg->pe.nslots,
		.max_levels = creatable_levels(tg), .dynamic_ops = true,
	};
	return 0;
}

static int link(struct tce__tg *tg, uint32_t num, struct tce_iommu_table *t)
{
	int rc;

	tce__lock(&t->link_lock);
	rc = tce__powernv_link(t, tg->pe.phb, tg->pe.pe, num);
	tce__unlock(&t->link_lock);

	if (!rc)
		tg->tables[num] = tce__iotable_hold(t);
	return rc;
}

/*
 * The kernel default: the 32-bit window in host-page-sized TCEs (4 KiB if
 * the PHB does not offer them), 2 levels.
 */
static int default_window(struct tce__tg *tg)
{
	uint32_t host = tg->env->host_page_shift;
	uint32_t shift = (tg->info.pgsizes & (1ULL << host)) ? host : 12;
	uint32_t levels = tg->info.max_levels >= 2 ? 2 : 1;
	struct tce_iommu_table *t;
	int rc = tce__powernv_table(tg->env->m, 0, tg->pe.def_size, shift, levels, host, false, &t);

	if (rc)
		return rc;
	rc = link(tg, 0, t);
	tce__iotable_put(t);
	return rc ? rc : tce__tg_dma(tg, tg->tables[0], &tg->dma32);
}

/* Bypass: slot 1 in real mode over all RAM, for devices whose mask covers it. */
static int bypass(struct tce__tg *tg)
{
	uint64_t size = 1ULL << (tce__ilog2(tg->env->ram_size - 1) + 1);
	int rc;

	if (tg->pe.nslots < 2)
		return 0;
	rc = tce_fw_map_window_real(tg->env->m, tg->pe.phb, tg->pe.pe, 1, TCE_PNV_WINDOW1_BASE, size);
	if (!rc) {
		tg->ddw_mode = TCE_DMA_BYPASS;
		tg->ddw_slot = 1, tg->ddw_base = TCE_PNV_WINDOW1_BASE, tg->ddw_size = size;
	}
	return rc;
}

static int pnv_boot(struct tce__tg *tg)
{
	int rc;

	tce__tg_assert_write(tg);
	rc = default_window(tg);
	return rc ? rc : bypass(tg);
}

/* The kernel's geometry rule (spec kernel.md §3.1): can create_table build this? */
static bool creatable(uint32_t page_shift, uint64_t window_size, uint32_t levels, uint32_t host)
{
	uint32_t entries_shift = tce__ilog2(window_size) - page_shift;
	uint32_t level_shift = (entries_shift + levels - 1) / levels + 3;

	level_shift = level_shift > host ? level_shift : host;
	return (level_shift - 3) * levels + page_shift < TCE_ADDR_BITS_LIMIT;
}

/* §3.4 with the mirror (an owner's table has one), on this host's pages. */
static int pnv_table_size(const struct tce__tg *tg, uint32_t page_shift, uint64_t window_size,
			  uint32_t levels, uint64_t *bytes)
{
	uint32_t host = tg->env->host_page_shift;

	if (!creatable(page_shift, window_size, levels, host))
		return -EINVAL;
	*bytes = tce_table_size_bytes_ext(page_shift, window_size, levels, host, true);
	return *bytes ? 0 : -EINVAL;
}

static int pnv_create_table(struct tce__tg *tg, const struct tce_window_req *req,
			    struct tce_iommu_table **t)
{
	uint64_t bus = req->num ? TCE_PNV_WINDOW1_BASE : tg->info.tce32_start;

	tce__tg_assert_write(tg);
	return tce__powernv_table(tg->env->m, bus, req->window_size, req->page_shift, req->levels,
				  tg->env->host_page_shift, true, t);
}

static int pnv_set_window(struct tce__tg *tg, uint32_t num, struct tce_iommu_table *t)
{
	tce__tg_assert_write(tg);
	if (tg->tables[num])
		return tg->tables[num] == t ? 0 : -EBUSY;
	if (!(tg->info.pgsizes & (1ULL << t->page_shift)) || t->levels > tg->info.max_levels ||
	    !t->table)
		return -EINVAL;
	return link(tg, num, t);
}

/*
 * Leave the table: clear it first when this PE is its last (the kills still
 * reach this PE), then disable the slot and unlink.
 */
static int pnv_unset_window(struct tce__tg *tg, uint32_t num)
{
	struct tce_iommu_table *t = tg->tables[num];
	int rc;

	tce__tg_assert_write(tg);
	if (!t)
		return 0;
	tce__lock(&t->link_lock);
	if (t->nlinks == 1)
		tce__iotable_clear_all(t);
	rc = tce_fw_map_window(tg->env->m, tg->pe.phb, tg->pe.pe, num, NULL);
	tce__powernv_unlink(t, tg->pe.phb, tg->pe.pe);
	tce__unlock(&t->link_lock);
	tg->tables[num] = NULL;
	tce__iotable_put(t);
	return rc;
}

static int bypass_off(struct tce__tg *tg)
{
	int rc = 0;

	if (tg->ddw_mode == TCE_DMA_BYPASS)
		rc = tce_fw_map_window_real(tg->env->m, tg->pe.phb, tg->pe.pe, 1, 0, 0);
	tg->ddw_mode = TCE_DMA_DEFAULT;
	return rc;
}

static int pnv_take(struct tce__tg *tg)
{
	int rc, rc2;

	tce__tg_assert_write(tg);
	rc = bypass_off(tg);
	rc2 = tce__tg_unset_all(tg);
	return rc ? rc : rc2;
}

static int pnv_restore_default(struct tce__tg *tg)
{
	tce__tg_kernel_dma_destroy(tg);
	tce__tg_unset_all(tg);

	tce__tg_assert_write(tg);
	if (tg->pe.nslots > 1)
		tce_fw_map_window_real(tg->env->m, tg->pe.phb, tg->pe.pe, 1, 0, 0);
	tg->ddw_mode = TCE_DMA_DEFAULT;
	return pnv_boot(tg);
}

/* The bypass window set at boot serves 64-bit devices. */
static void pnv_enable_ddw(struct tce__tg *tg)
{
	(void)tg;
}

const struct tce__group_ops tce__powernv_group_ops = {
	.probe = pnv_probe,
	.boot = pnv_boot,
	.table_size = pnv_table_size,
	.create_table = pnv_create_table,
	.set_window = pnv_set_window,
	.unset_window = pnv_unset_window,
	.take = pnv_take,
	.restore_default = pnv_restore_default,
	.enable_ddw = pnv_enable_ddw,
	.eeh_thaw = tce__eeh_pnv_thaw,
	.eeh_get_state = tce__eeh_pnv_get_state,
	.eeh_reset = tce__eeh_pnv_reset,
	.eeh_inject = tce__eeh_pnv_inject,
};
