/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the three platforms' group ops share: the kernel's DMA object over a
 * platform table, with the PHB's 32-bit MMIO range reserved so the DMA API
 * never hands out a bus address that aliases MMIO (the kernel's
 * iommu_table_reserve_pages), and the teardown of the kernel's objects and
 * windows. Layer: platform.
 */
#include <errno.h>

#include "platform/platform.h"
#include "util/arith.h"

static int io_set(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	struct tce_iommu_table *t = arg;

	return t->ops->set(t, idx, npages, real, dir);
}

static void io_clear(void *arg, uint64_t idx, uint64_t npages)
{
	struct tce_iommu_table *t = arg;

	t->ops->clear(t, idx, npages); /* the kernel's unmap: an error is the hypervisor's to log */
}

static int io_get(void *arg, uint64_t idx, uint64_t *tce)
{
	struct tce_iommu_table *t = arg;

	return t->ops->get(t, idx, tce);
}

/* Platform set and clear invalidate themselves, so no flush op. */
static const struct tce_dma_ops iotable_dma_ops = { .set = io_set, .clear = io_clear,
						     .get = io_get };

/* Reserve the entries of @t that the PHB's 32-bit MMIO range covers. */
static int reserve_mmio32(const struct tce__tg *tg, struct tce_iommu_table *t,
			  struct tce_dma *dma)
{
	uint64_t lo = tg->pe.mmio32_start, hi, wlo = t->bus_offset;
	uint64_t whi = t->bus_offset + (t->entries << t->page_shift);

	if (!tg->pe.mmio32_size || tce__add_overflows(lo, tg->pe.mmio32_size, &hi))
		return 0;
	lo = tce__max_u64(lo, wlo), hi = tce__min_u64(hi, whi);
	if (lo >= hi)
		return 0;
	lo >>= t->page_shift;
	hi = tce__div_round_up(hi, 1ULL << t->page_shift);
	return tce_pool_reserve(tce_dma_pool(dma), lo, hi - lo);
}

int tce__tg_dma(struct tce__tg *tg, struct tce_iommu_table *t, struct tce_dma **out)
{
	struct tce_dma_config cfg = { .ops = &iotable_dma_ops, .ops_arg = t,
				      .host_page_shift = tg->env->host_page_shift,
				      .pool = { .first_idx = t->first_idx, .entries = t->entries,
						.page_shift = t->page_shift } };
	int rc = tce_dma_create(tg->env->ctx, &cfg, out);

	if (!rc && (rc = reserve_mmio32(tg, t, *out))) {
		tce_dma_destroy(*out);
		*out = NULL;
	}
	return rc;
}

static bool dma_busy(struct tce_dma *d)
{
	struct tce_pool_stats st;

	if (!d)
		return false;
	tce_pool_stats(tce_dma_pool(d), &st);
	return st.allocated != 0;
}

bool tce__tg_kernel_busy(struct tce__tg *tg)
{
	return dma_busy(tg->dma32) || dma_busy(tg->dma64);
}

void tce__tg_kernel_dma_destroy(struct tce__tg *tg)
{
	tce_dma_destroy(tg->dma64);
	tce_dma_destroy(tg->dma32);
	tg->dma64 = tg->dma32 = NULL;
}

int tce__tg_unset_all(struct tce__tg *tg)
{
	int rc = tg->ops->unset_window(tg, 0), rc2 = tg->ops->unset_window(tg, 1);

	return rc ? rc : rc2;
}
