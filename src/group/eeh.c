/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PE-level EEH on a group, as VFIO_EEH_PE_OP reaches the kernel's
 * eeh_pe_*() functions (spec vfio.md §1.5): the argument checks the kernel
 * makes before the platform's EEH ops, and the options the kernel answers
 * itself (enable, disable and configure change nothing on a modern
 * kernel). Layer: group.
 */
#include <errno.h>

#include "group/group_int.h"

int tce_group_eeh_enable(struct tce_group *g)
{
	(void)g; /* EEH is always on: eeh_pe_set_option(EEH_OPT_ENABLE) succeeds */
	return 0;
}

int tce_group_eeh_disable(struct tce_group *g)
{
	(void)g; /* eeh_pe_set_option(EEH_OPT_DISABLE) does nothing */
	return 0;
}

int tce_group_eeh_configure(struct tce_group *g)
{
	(void)g; /* eeh_pe_configure() returns 0 on modern kernels */
	return 0;
}

int tce_group_eeh_get_state(struct tce_group *g, uint32_t *state)
{
	int rc;

	if (!state)
		return -EINVAL;
	tce__read_lock(&g->rw);
	rc = g->tg.ops->eeh_get_state(&g->tg, state);
	tce__read_unlock(&g->rw);
	return rc;
}

static int thaw(struct tce_group *g, uint32_t what)
{
	int rc;

	tce__read_lock(&g->rw);
	rc = g->tg.ops->eeh_thaw(&g->tg, what);
	tce__read_unlock(&g->rw);
	return rc;
}

int tce_group_eeh_unfreeze_mmio(struct tce_group *g)
{
	return thaw(g, TCE_EEH_FROZEN_MMIO);
}

int tce_group_eeh_unfreeze_dma(struct tce_group *g)
{
	return thaw(g, TCE_EEH_FROZEN_DMA);
}

int tce_group_eeh_reset(struct tce_group *g, uint32_t kind)
{
	int rc;

	if (kind != TCE_EEH_RESET_DEACTIVATE && kind != TCE_EEH_RESET_HOT &&
	    kind != TCE_EEH_RESET_FUNDAMENTAL)
		return -EINVAL;
	tce__read_lock(&g->rw);
	rc = g->tg.ops->eeh_reset(&g->tg, kind);
	tce__read_unlock(&g->rw);
	return rc;
}

int tce_group_eeh_inject(struct tce_group *g, uint32_t type, uint32_t func, uint64_t addr,
			 uint64_t mask)
{
	int rc;

	if ((type != TCE_EEH_ERR_TYPE_32 && type != TCE_EEH_ERR_TYPE_64) || func > TCE_EEH_ERR_FUNC_MAX)
		return -EINVAL;
	tce__read_lock(&g->rw);
	rc = g->tg.ops->eeh_inject(&g->tg, type, func, addr, mask);
	tce__read_unlock(&g->rw);
	return rc;
}
