/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What both platforms share: the translation of hcall and RTAS statuses to
 * errno (the one place each is translated), and table references with the
 * refund of a table's accounting when the last one goes. Layer: platform.
 */
#include <errno.h>

#include "platform/platform.h"

int tce__hcall_errno(long status)
{
	switch (status) {
	case TCE_H_SUCCESS:
		return 0;
	case TCE_H_PARAMETER:
		return -EINVAL;
	case TCE_H_NOT_ENOUGH_RESOURCES:
		return -ENOMEM;
	case TCE_H_FUNCTION:
		return -EOPNOTSUPP;
	case TCE_H_BUSY:
		return -EBUSY;
	case TCE_H_PRIVILEGE:
		return -EPERM;
	default:
		return -EIO;
	}
}

int tce__rtas_errno(int status)
{
	switch (status) {
	case TCE_RTAS_SUCCESS:
		return 0;
	case TCE_RTAS_PARAM_ERROR:
		return -EINVAL;
	case TCE_RTAS_BUSY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

struct tce_iommu_table *tce__iotable_hold(struct tce_iommu_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void tce__iotable_put(struct tce_iommu_table *t)
{
	if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	t->ops->free(t);
	if (t->account && t->charged)
		t->account(t->account_arg, -(int64_t)t->charged);
	tce__lock_fini(&t->lock);
	tce__free(t->ctx, t, t->alloc_bytes);
}
