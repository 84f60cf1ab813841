/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy table-group ops (DECISIONS 13; spec vfio.md §1.5 "Legacy"):
 * a pseries LPAR whose kernel has no dynamic-window ops, as before the 2024
 * rework. The PE has one fixed 32-bit window of 4 KiB pages, the one
 * ibm,dma-window names; there is no DDW, for the kernel or for an owner.
 * An owner (VFIO v1) borrows that window: take stops the kernel's DMA API and
 * gives the owner a table of its own over it; release cuts the owner's
 * references off, clears what it left and gives the window back. Layer:
 * platform.
 */
#include <errno.h>

#include "platform/platform.h"

static int lg_probe(struct tce__tg *tg)
{
	if (tce_machine_platform(tg->env->m) != TCE_PLATFORM_PSERIES)
		return -EOPNOTSUPP;
	tg->info = (struct tce_group_info){
		.phb = tg->pe.phb, .pe = tg->pe.pe,
		.tce32_start = tg->pe.def_bus, .tce32_size = tg->pe.def_size,
		.pgsizes = 1ULL << 12, .max_dynamic_windows = 0, .max_levels = 1,
		.dynamic_ops = false,
	};
	tg->pe.ddw = false;
	return 0;
}

static int lg_boot(struct tce__tg *tg)
{
	int rc = 0;

	tce__tg_assert_write(tg);
	if (!tg->tables[0])
		rc = tce__pseries_default_table(tg, tg->pe.def_size >> 12, false, &tg->tables[0]);
	return rc ? rc : tce__tg_dma(tg, tg->tables[0], &tg->dma32);
}

static int lg_table_size(const struct tce__tg *tg, uint32_t page_shift, uint64_t window_size,
			 uint32_t levels, uint64_t *bytes)
{
	(void)tg, (void)page_shift, (void)window_size, (void)levels, (void)bytes;
	return -EPERM; /* no dynamic-window ops */
}

static int lg_create_table(struct tce__tg *tg, const struct tce_window_req *req,
			   struct tce_iommu_table **out)
{
	(void)tg, (void)req, (void)out;
	return -EPERM;
}

static int lg_set_window(struct tce__tg *tg, uint32_t num, struct tce_iommu_table *t)
{
	(void)tg, (void)num, (void)t;
	return -EPERM;
}

/*
 * The owner cannot unset (-EPERM before this is called) and the fixed
 * window stays: only host teardown comes here, after a take that may have
 * failed. Whoever holds the table is cut off and the window is emptied.
 */
static int lg_unset_window(struct tce__tg *tg, uint32_t num)
{
	tce__tg_assert_write(tg);
	if (num == 0 && tg->tables[0]) {
		tce__iotable_detach(tg->tables[0]);
		tce__iotable_clear_all(tg->tables[0]);
	}
	return 0;
}

/*
 * The owner borrows the window through a table object of its own over the
 * same LIOBN, which starts empty: the take fails unless the kernel's TCEs
 * were all cleared. Release detaches it (the owner's calls through a
 * reference it kept fail -ENODEV) and the kernel goes on with it, its record
 * of written chunks included, so what a failed clear left is cleared by the
 * next one.
 */
static int lg_take(struct tce__tg *tg)
{
	struct tce_iommu_table *t;
	int rc;

	tce__tg_assert_write(tg);
	if (!tg->tables[0])
		return -ENODEV;
	rc = tce__pseries_default_table(tg, tg->pe.def_size >> 12, false, &t);
	if (rc)
		return rc;
	tce__iotable_detach(tg->tables[0]); /* host teardown takes an owned group too */
	rc = tce__iotable_clear_all(tg->tables[0]); /* the kernel's TCEs, none in use */
	if (rc) { /* the owner would see what is left: the take fails */
		tce__iotable_put(t);
		return rc;
	}
	tce__iotable_put(tg->tables[0]);
	tg->tables[0] = t;
	return 0;
}

/*
 * The window stays, so what the owner left must go: a clear that fails
 * fails the release (the group stays owned, its table cut off; a retry
 * clears the rest).
 */
static int lg_restore_default(struct tce__tg *tg)
{
	struct tce_iommu_table *t = tg->tables[0];
	int rc = 0;

	tce__tg_assert_write(tg);
	tce__tg_kernel_dma_destroy(tg);
	if (t) {
		tce__iotable_detach(t); /* the owner's calls end before the clear */
		rc = tce__iotable_clear_all(t);
		if (rc)
			return rc;
		t->release = NULL, t->release_arg = NULL;
	}
	return lg_boot(tg);
}

static void lg_enable_ddw(struct tce__tg *tg)
{
	(void)tg; /* no dynamic windows: 64-bit devices use the 32-bit window */
}

const struct tce__group_ops tce__legacy_group_ops = {
	.probe = lg_probe,
	.boot = lg_boot,
	.table_size = lg_table_size,
	.create_table = lg_create_table,
	.set_window = lg_set_window,
	.unset_window = lg_unset_window,
	.take = lg_take,
	.restore_default = lg_restore_default,
	.enable_ddw = lg_enable_ddw,
	.eeh_thaw = tce__eeh_ps_thaw,
	.eeh_get_state = tce__eeh_ps_get_state,
	.eeh_reset = tce__eeh_ps_reset,
	.eeh_inject = tce__eeh_ps_inject,
};
