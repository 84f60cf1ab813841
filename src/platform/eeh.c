/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PE-level EEH as the two platforms' kernels do it (spec vfio.md §1.5;
 * Linux eeh-powernv.c and eeh_pseries.c): powernv through the OPAL-style
 * firmware calls (freeze status, freeze clear, reset, error injection that
 * arms the PHB); pseries through the RTAS EEH calls /rtas names, and an
 * error injected the way the 2024 pseries code does it: only the four MMIO
 * functions, by turning off a function's memory decode and loading from its
 * BAR, which freezes the PE at once. Layer: platform.
 */
#include <errno.h>
#include <stdio.h>

#include "platform/platform.h"

/* ---- pseries: RTAS ---- */

static int eeh_rtas(struct tce__tg *tg, enum tce__eeh_call call, uint32_t *extra,
		    uint32_t nextra, uint32_t *rets, uint32_t nret)
{
	uint32_t a[4] = { tg->pe.cfg_addr, (uint32_t)(tg->pe.buid >> 32), (uint32_t)tg->pe.buid };
	int rc;

	tce__tg_assert_held(tg);
	if (!tg->pe.eeh_tok[call])
		return -ENOENT; /* the firmware offers no such call: the kernel's missing eeh_ops */
	if (nextra)
		a[3] = extra[0];
	rc = tce_hv_rtas(tg->env->m, tg->pe.eeh_tok[call], 3 + nextra, a, nret, rets);
	return rc ? rc : tce__rtas_errno((int32_t)rets[0]);
}

int tce__eeh_ps_thaw(struct tce__tg *tg, uint32_t what)
{
	uint32_t opt = what == TCE_EEH_FROZEN_MMIO ? TCE_RTAS_EEH_THAW_MMIO : TCE_RTAS_EEH_THAW_DMA;
	uint32_t r[1];

	return eeh_rtas(tg, TCE_EEH_SET_OPTION, &opt, 1, r, 1);
}

/* PAPR's read-slot-reset-state2 states are the kernel's EEH_PE_STATE_* numbers. */
int tce__eeh_ps_get_state(struct tce__tg *tg, uint32_t *state)
{
	uint32_t r[4];
	int rc = eeh_rtas(tg, TCE_EEH_READ_STATE, NULL, 0, r, 4);

	if (rc)
		return rc;
	switch (r[1]) {
	case TCE_EEH_PE_STATE_NORMAL:
	case TCE_EEH_PE_STATE_RESET:
	case TCE_EEH_PE_STATE_STOPPED:
	case TCE_EEH_PE_STATE_STOPPED_DMA:
		*state = r[1];
		break;
	default:
		*state = TCE_EEH_PE_STATE_UNAVAIL;
		break;
	}
	return 0;
}

int tce__eeh_ps_reset(struct tce__tg *tg, uint32_t kind)
{
	uint32_t r[1];

	return eeh_rtas(tg, TCE_EEH_SET_RESET, &kind, 1, r, 1);
}

/* A function of the PE: its emulated device, found by its config address. */
static struct tce_pci_dev *fn_dev(struct tce__tg *tg, const struct tce__fn_desc *f)
{
	struct tce_pci_dev *d;
	char name[16];

	snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", f->phb, f->bus, f->devfn >> 3,
		 f->devfn & 7);
	return tce_machine_find_device(tg->env->m, name, &d) ? NULL : d;
}

/* Memory decode off, then a load from BAR 0: the PHB freezes the PE. */
static void mmio_error(struct tce_pci_dev *d)
{
	uint32_t cmd;
	uint64_t v;

	if (tce_dev_config_read(d, TCE_PCI_COMMAND, 2, &cmd))
		return;
	tce_dev_config_write(d, TCE_PCI_COMMAND, 2, cmd & ~TCE_PCI_COMMAND_MEMORY);
	tce_dev_bar_read(d, 0, 0, 4, &v);
}

int tce__eeh_ps_inject(struct tce__tg *tg, uint32_t type, uint32_t func, uint64_t addr,
		       uint64_t mask)
{
	const struct tce__of *of = tg->env->of;
	struct tce_pci_dev *d;
	uint32_t i;

	(void)type, (void)addr, (void)mask;
	if (func != TCE_EEH_ERR_FUNC_LD_MEM_ADDR && func != TCE_EEH_ERR_FUNC_LD_MEM_DATA &&
	    func != TCE_EEH_ERR_FUNC_ST_MEM_ADDR && func != TCE_EEH_ERR_FUNC_ST_MEM_DATA)
		return -ERANGE;
	for (i = 0; i < of->nfns; i++)
		if (of->fns[i].phb == tg->pe.phb && of->fns[i].pe == tg->pe.pe &&
		    (d = fn_dev(tg, &of->fns[i])))
			mmio_error(d);
	return 0;
}

/* ---- powernv: OPAL ---- */

int tce__eeh_pnv_thaw(struct tce__tg *tg, uint32_t what)
{
	return tce_fw_eeh_freeze_clear(tg->env->m, tg->pe.phb, tg->pe.pe, what);
}

/* The kernel's eeh_pe_get_state() from the PHB's freeze bits. */
int tce__eeh_pnv_get_state(struct tce__tg *tg, uint32_t *state)
{
	uint32_t freeze;
	bool reset;
	int rc = tce_fw_eeh_freeze_status(tg->env->m, tg->pe.phb, tg->pe.pe, &freeze, &reset);

	if (rc)
		return rc;
	if (reset)
		*state = TCE_EEH_PE_STATE_RESET;
	else if (!freeze)
		*state = TCE_EEH_PE_STATE_NORMAL;
	else if (freeze == (TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA))
		*state = TCE_EEH_PE_STATE_STOPPED;
	else if (freeze == TCE_EEH_FROZEN_DMA)
		*state = TCE_EEH_PE_STATE_STOPPED_DMA;
	else
		*state = TCE_EEH_PE_STATE_UNAVAIL;
	return 0;
}

int tce__eeh_pnv_reset(struct tce__tg *tg, uint32_t kind)
{
	return tce_fw_eeh_reset(tg->env->m, tg->pe.phb, tg->pe.pe, kind,
				kind != TCE_EEH_RESET_DEACTIVATE);
}

int tce__eeh_pnv_inject(struct tce__tg *tg, uint32_t type, uint32_t func, uint64_t addr,
			uint64_t mask)
{
	return tce_fw_eeh_inject(tg->env->m, tg->pe.phb, tg->pe.pe, type, func, addr, mask);
}
