/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every platform shares: the translation of hcall and RTAS statuses to
 * errno (the one place each is translated), table references with the
 * refund of a table's accounting when the last one goes, and the owner's
 * updates of a table: exchange a batch, kill once, then release the old
 * pages with their dirty bit (DECISIONS 10; the kernel's "Release replaced
 * TCE" order with SetPageDirty); the gate that detaches a table from its
 * owner when its window goes. Layer: platform.
 */
#include <errno.h>
#include <sched.h>

#include "platform/platform.h"
#include "util/arith.h"

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
	tce__assert(tce__iotable_check(t) == 0);
	t->ops->free(t);
	if (t->account && t->charged)
		t->account(t->account_arg, -(int64_t)t->charged);
	tce__free(t->ctx, t->links, t->links_alloc * sizeof(*t->links));
	tce__lock_fini(&t->lock);
	tce__lock_fini(&t->link_lock);
	tce__free(t->ctx, t, t->alloc_bytes);
}

#define IOTABLE_GONE (1u << 31) /* in calls: the table was detached */

int tce__iotable_enter(struct tce_iommu_table *t)
{
	if (!t->detachable)
		return 0;
	/* A plain look first: callers of a dead table never hold up a detach. */
	if (atomic_load_explicit(&t->calls, memory_order_relaxed) & IOTABLE_GONE)
		return -ENODEV;
	if (!(atomic_fetch_add(&t->calls, 1) & IOTABLE_GONE))
		return 0;
	atomic_fetch_sub(&t->calls, 1);
	return -ENODEV;
}

void tce__iotable_leave(struct tce_iommu_table *t)
{
	if (t->detachable)
		atomic_fetch_sub_explicit(&t->calls, 1, memory_order_release);
}

void tce__iotable_detach(struct tce_iommu_table *t)
{
	tce__assert(t->detachable);
	atomic_fetch_or(&t->calls, IOTABLE_GONE);
	while (atomic_load_explicit(&t->calls, memory_order_acquire) != IOTABLE_GONE)
		sched_yield();
}

int tce__iotable_check(struct tce_iommu_table *t)
{
	bool ok;

	tce__lock(&t->lock);
	ok = t->nlinks <= t->links_alloc && (t->links || !t->links_alloc) && t->entries &&
	     t->page_shift >= TCE_PAGE_SHIFT_MIN && t->page_shift <= TCE_PAGE_SHIFT_MAX &&
	     t->first_idx == t->bus_offset >> t->page_shift &&
	     t->entries <= t->window_size >> t->page_shift;
	tce__unlock(&t->lock);
	if (!ok)
		tce__err(t->ctx, "table check: LIOBN 0x%x at 0x%llx: links or geometry inconsistent",
			 t->liobn, (unsigned long long)t->bus_offset);
	return ok ? 0 : -EIO;
}

/* ---- owner updates: exchange, kill, release ---- */

/* One replaced entry. */
struct old_tce {
	uint64_t idx, real;
	enum tce_dir dir;
};

#define STACK_OLD 64
#define CLEAR_BATCH 256

static bool device_wrote(enum tce_dir dir)
{
	return dir == TCE_DIR_FROM_DEVICE || dir == TCE_DIR_BIDIRECTIONAL;
}

/* After the kill: each old page to the owner, dirty when the device could write it. */
static void release_all(struct tce_iommu_table *t, const struct old_tce *o, uint64_t n)
{
	uint64_t i;

	if (!t->release)
		return;
	for (i = 0; i < n; i++)
		if (o[i].dir != TCE_DIR_NONE)
			t->release(t->release_arg, o[i].idx, o[i].real, device_wrote(o[i].dir));
}

/* Put back the @n entries exchanged so far (their levels exist: cannot fail). */
static void roll_back(struct tce_iommu_table *t, const struct old_tce *o, uint64_t n)
{
	uint64_t i, real;
	enum tce_dir dir;

	for (i = 0; i < n; i++) {
		real = o[i].real, dir = o[i].dir;
		t->ops->xchg(t, o[i].idx, &real, &dir);
	}
	if (n)
		t->ops->invalidate(t, o[0].idx, n);
}

int tce__iotable_update(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
			enum tce_dir dir)
{
	struct old_tce stack[STACK_OLD], *o = stack;
	uint64_t i, step = 1ULL << t->page_shift;
	size_t bytes = 0;
	int rc = 0;

	if (npages > STACK_OLD) {
		bytes = npages * sizeof(*o);
		o = tce__malloc(t->ctx, bytes);
		if (!o)
			return -ENOMEM;
	}
	for (i = 0; i < npages && !rc; i++) {
		o[i] = (struct old_tce){ .idx = idx + i, .dir = dir,
					 .real = dir == TCE_DIR_NONE ? 0 : real + i * step };
		rc = t->ops->xchg(t, idx + i, &o[i].real, &o[i].dir);
	}
	if (rc) {
		roll_back(t, o, i - 1);
	} else {
		t->ops->invalidate(t, idx, npages);
		release_all(t, o, npages);
	}
	if (o != stack)
		tce__free(t->ctx, o, bytes);
	return rc;
}

/*
 * Exchange out up to CLEAR_BATCH populated entries of [*idx, end); kill;
 * release. An entry that cannot be exchanged stays; its error goes to *@rc.
 */
static void clear_batch(struct tce_iommu_table *t, uint64_t *idx, uint64_t end, int *rc)
{
	struct old_tce o[CLEAR_BATCH];
	uint64_t first = *idx, n = 0;
	int err;

	while (n < CLEAR_BATCH && *idx < end && !t->ops->next(t, idx, end)) {
		o[n] = (struct old_tce){ .idx = *idx, .dir = TCE_DIR_NONE };
		err = t->ops->xchg(t, *idx, &o[n].real, &o[n].dir);
		if (!err)
			n++;
		else if (!*rc)
			*rc = err;
		(*idx)++;
	}
	if (n)
		t->ops->invalidate(t, first, o[n - 1].idx + 1 - first);
	release_all(t, o, n);
	if (n < CLEAR_BATCH)
		*idx = end;
}

int tce__iotable_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	uint64_t end = idx + npages;
	int rc = 0;

	if (!t->release)
		return t->ops->clear(t, idx, npages);
	while (idx < end)
		clear_batch(t, &idx, end, &rc);
	return rc;
}

int tce__iotable_clear_all(struct tce_iommu_table *t)
{
	return tce__iotable_clear(t, t->first_idx, t->entries);
}
