/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PE-level EEH as firmware offers it (docs/machine.md). powernv: OPAL-style
 * calls (freeze status, freeze clear, PE reset, error injection of any of
 * the 20 functions, which freezes the PE at the next matching access).
 * pseries: the RTAS calls ibm,set-eeh-option, ibm,read-slot-reset-state2,
 * ibm,set-slot-reset and ibm,configure-pe, with QEMU's argument and result
 * counts; a PE is named by a function's config address and the PHB's BUID.
 * The state lives in the hw layer's PEs. Layer: fw.
 */
#include <errno.h>

#include "fw/fw_int.h"

/* ---- powernv ---- */

/* The PE, or NULL; *@rc says why not. */
static struct tce__pe *pnv_pe(struct tce_machine *m, uint32_t phb, uint32_t pe, int *rc)
{
	struct tce__pe *p = NULL;

	*rc = -EOPNOTSUPP;
	if (m->platform != TCE_PLATFORM_POWERNV)
		return NULL;
	*rc = -EINVAL;
	if (phb < m->nphbs)
		p = tce__phb_pe(&m->phbs[phb], pe);
	if (p && tce__fault(m->ctx)) {
		*rc = -EIO;
		return NULL;
	}
	return p;
}

int tce_fw_eeh_freeze_status(struct tce_machine *m, uint32_t phb, uint32_t pe_num,
			     uint32_t *freeze, bool *reset_active)
{
	int rc;
	struct tce__pe *pe = pnv_pe(m, phb, pe_num, &rc);

	if (!pe)
		return rc;
	tce__lock(&pe->lock);
	if (freeze)
		*freeze = (pe->mmio_frozen ? TCE_EEH_FROZEN_MMIO : 0) |
			  (pe->frozen ? TCE_EEH_FROZEN_DMA : 0);
	if (reset_active)
		*reset_active = pe->reset_active;
	tce__unlock(&pe->lock);
	return 0;
}

int tce_fw_eeh_freeze_clear(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t what)
{
	struct tce__pe *pe;
	int rc;

	if (!what || (what & ~(TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA)))
		return m->platform == TCE_PLATFORM_POWERNV ? -EINVAL : -EOPNOTSUPP;
	pe = pnv_pe(m, phb, pe_num, &rc);
	if (!pe)
		return rc;
	tce__lock(&pe->lock);
	tce__pe_thaw(pe, what);
	tce__unlock(&pe->lock);
	return 0;
}

int tce_fw_eeh_reset(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t kind,
		     bool assert_reset)
{
	struct tce__pe *pe;
	int rc;

	if (assert_reset && kind != TCE_EEH_RESET_HOT && kind != TCE_EEH_RESET_FUNDAMENTAL)
		return m->platform == TCE_PLATFORM_POWERNV ? -EINVAL : -EOPNOTSUPP;
	pe = pnv_pe(m, phb, pe_num, &rc);
	if (!pe)
		return rc;
	tce__pe_eeh_reset(pe, assert_reset);
	return 0;
}

int tce_fw_eeh_inject(struct tce_machine *m, uint32_t phb, uint32_t pe_num, uint32_t type,
		      uint32_t func, uint64_t addr, uint64_t mask)
{
	struct tce__eeh_inject inj = { .type = type, .func = func, .addr = addr, .mask = mask };
	struct tce__pe *pe;
	int rc;

	if (type > TCE_EEH_ERR_TYPE_64 || func > TCE_EEH_ERR_FUNC_MAX)
		return m->platform == TCE_PLATFORM_POWERNV ? -EINVAL : -EOPNOTSUPP;
	pe = pnv_pe(m, phb, pe_num, &rc);
	if (!pe)
		return rc;
	tce__pe_inject(pe, &inj);
	return 0;
}

/* ---- pseries RTAS ---- */

enum { OPTION, STATE, RESET, CONFIGURE };

/* Argument count and the two result counts each call accepts (QEMU's). */
static const struct {
	uint32_t nargs, nret_lo, nret_hi;
} counts[] = {
	[OPTION] = { 4, 1, 1 }, [STATE] = { 3, 4, 5 }, [RESET] = { 4, 1, 1 }, [CONFIGURE] = { 3, 1, 1 },
};

int tce__rtas_eeh_call(const struct tce_machine *m, uint32_t token)
{
	int i;

	for (i = 0; i < 4; i++)
		if (m->eeh_token[i] && m->eeh_token[i] == token)
			return i;
	return -1;
}

/* ibm,set-eeh-option: enable and disable are accepted (EEH is always on). */
static int set_option(struct tce__pe *pe, uint32_t option)
{
	if (option > TCE_RTAS_EEH_THAW_DMA)
		return TCE_RTAS_PARAM_ERROR;
	tce__lock(&pe->lock);
	if (option == TCE_RTAS_EEH_THAW_MMIO)
		tce__pe_thaw(pe, TCE_EEH_FROZEN_MMIO);
	else if (option == TCE_RTAS_EEH_THAW_DMA)
		tce__pe_thaw(pe, TCE_EEH_FROZEN_DMA);
	tce__unlock(&pe->lock);
	return TCE_RTAS_SUCCESS;
}

static int read_state(struct tce__pe *pe, uint32_t nret, uint32_t *rets)
{
	tce__lock(&pe->lock);
	rets[1] = (uint32_t)tce__pe_eeh_state(pe);
	tce__unlock(&pe->lock);
	rets[2] = TCE_RTAS_EEH_SUPPORTED;
	rets[3] = TCE_RTAS_EEH_UNAVAIL_INFO;
	if (nret == 5)
		rets[4] = 0; /* recovery info */
	return TCE_RTAS_SUCCESS;
}

static int slot_reset(struct tce__pe *pe, uint32_t function)
{
	if (function != TCE_EEH_RESET_DEACTIVATE && function != TCE_EEH_RESET_HOT &&
	    function != TCE_EEH_RESET_FUNDAMENTAL)
		return TCE_RTAS_PARAM_ERROR;
	tce__pe_eeh_reset(pe, function != TCE_EEH_RESET_DEACTIVATE);
	return TCE_RTAS_SUCCESS;
}

int tce__rtas_eeh(struct tce_machine *m, int call, uint32_t nargs, const uint32_t *args,
		  uint32_t nret, uint32_t *rets)
{
	struct tce__pe *pe;

	if (nargs != counts[call].nargs || nret < counts[call].nret_lo || nret > counts[call].nret_hi)
		return TCE_RTAS_PARAM_ERROR;
	pe = tce__rtas_pe(m, args[0], args[1], args[2]);
	if (!pe)
		return TCE_RTAS_PARAM_ERROR;
	switch (call) {
	case OPTION: return set_option(pe, args[3]);
	case STATE: return read_state(pe, nret, rets);
	case RESET: return slot_reset(pe, args[3]);
	default: return TCE_RTAS_SUCCESS; /* ibm,configure-pe: nothing to configure */
	}
}
