/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO_EEH_PE_OP on every group of a container (vfio_spapr_ioctl_eeh_pe_op):
 * each op through the group EEH API, GET_STATE's state as the return value,
 * INJECT_ERR's argument checks. Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"

/* Why the group's EEH call failed. */
static long why_eeh(struct tce_ctx *ctx, long rc, const struct vfio_eeh_pe_op *op)
{
	if (rc >= 0)
		return rc;
	if (rc == -ERANGE)
		return vfio_refuse(ctx, rc, "pseries firmware injects only MMIO errors (functions "
				   "0, 1, 6 and 7), not function %u", op->err.func);
	if (rc == -ENOENT)
		return vfio_refuse(ctx, rc, "the firmware lacks the RTAS EEH call op %u needs",
				   op->op);
	if (rc == -EINVAL && op->op == VFIO_EEH_PE_INJECT_ERR)
		return vfio_refuse(ctx, rc, "error type %u or function %u is out of range",
				   op->err.type, op->err.func);
	return vfio_refuse(ctx, rc, "the PE's EEH op %u failed: %s", op->op, tce_strerror((int)rc));
}

/* The group's EEH call for @op. */
static long eeh_call(struct tce_group *g, const struct vfio_eeh_pe_op *op)
{
	uint32_t state;
	int rc;

	switch (op->op) {
	case VFIO_EEH_PE_DISABLE:
		return tce_group_eeh_disable(g);
	case VFIO_EEH_PE_ENABLE:
		return tce_group_eeh_enable(g);
	case VFIO_EEH_PE_UNFREEZE_IO:
		return tce_group_eeh_unfreeze_mmio(g);
	case VFIO_EEH_PE_UNFREEZE_DMA:
		return tce_group_eeh_unfreeze_dma(g);
	case VFIO_EEH_PE_GET_STATE:
		rc = tce_group_eeh_get_state(g, &state);
		return rc ? rc : (long)state;
	case VFIO_EEH_PE_RESET_DEACTIVATE:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_DEACTIVATE);
	case VFIO_EEH_PE_RESET_HOT:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_HOT);
	case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_FUNDAMENTAL);
	case VFIO_EEH_PE_CONFIGURE:
		return tce_group_eeh_configure(g);
	case VFIO_EEH_PE_INJECT_ERR:
		return tce_group_eeh_inject(g, op->err.type, op->err.func, op->err.addr,
					    op->err.mask);
	default:
		return -EINVAL; /* checked before the call */
	}
}

/* VFIO_EEH_PE_OP on one group (vfio_spapr_ioctl_eeh_pe_op). */
static long eeh_group(struct tce_ctx *ctx, struct tce_group *g, void *arg)
{
	struct vfio_eeh_pe_op op = { 0 };
	int rc = arg_in(ctx, &op, arg, struct vfio_eeh_pe_op, op);

	if (rc)
		return rc;
	if (op.flags)
		return vfio_refuse(ctx, -EINVAL, "flags %#x must be 0", op.flags);
	if (op.op > VFIO_EEH_PE_INJECT_ERR)
		return vfio_refuse(ctx, -EINVAL, "op %u is no VFIO_EEH_PE_* operation", op.op);
	if (op.op == VFIO_EEH_PE_INJECT_ERR) {
		rc = arg_in(ctx, &op, arg, struct vfio_eeh_pe_op, err);
		if (rc)
			return rc;
	}
	return why_eeh(ctx, eeh_call(g, &op), &op);
}


long tce__vc_eeh_pe_op(struct tce__vcontainer *c, void *arg)
{
	uint32_t i;
	long rc = 0;

	for (i = 0; i < c->ngroups && !rc; i++)
		rc = eeh_group(c->ctx, c->groups[i]->g, arg);
	return rc;
}
