/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A device's kernel DMA API: map and unmap pages and scatter lists through
 * the window its mask and its PE's state select (the default window, a
 * dynamic window, direct mapping or powernv bypass), refused while the
 * group has an external owner; setting the DMA mask; and the entry access
 * an owner uses on its tables. Layer: group.
 */
#include <errno.h>
#include <string.h>

#include "group/group_int.h"
#include "util/arith.h"

bool tce__mask_is_64(const struct tce_host *h, uint64_t mask)
{
	if (h->of.platform == TCE_PLATFORM_POWERNV)
		return mask >= TCE_PNV_WINDOW1_BASE + h->env.ram_size - 1;
	return mask == UINT64_MAX;
}

/* The device uses a 64-bit window: enable one first if it has none yet. */
static void want_ddw(struct tce_device *d)
{
	struct tce_group *g = d->g;

	if (!tce__mask_is_64(d->h, atomic_load(&d->dma_mask)))
		return;
	tce__read_lock(&g->rw);
	if (g->tg.ddw_mode != TCE_DMA_DEFAULT || g->tg.ddw_failed || g->owned || !g->tg.pe.ddw) {
		tce__read_unlock(&g->rw);
		return;
	}
	tce__read_unlock(&g->rw);
	tce__write_lock(&g->rw);
	if (!g->owned)
		g->tg.ops->enable_ddw(&g->tg);
	tce__write_unlock(&g->rw);
}

/*
 * The mode a device with @mask maps with: the 64-bit window when the mask
 * is 64-bit, or when the default window is gone (a single-slot PE gave it
 * to the DDW) and the mask still reaches the whole DDW. Context: rw held.
 */
static enum tce_dma_mode mode_for(const struct tce_device *d, uint64_t mask)
{
	const struct tce_group *g = d->g;

	if (g->owned)
		return TCE_DMA_OWNED;
	if (g->tg.ddw_mode != TCE_DMA_DEFAULT &&
	    (tce__mask_is_64(d->h, mask) ||
	     (!g->tg.dma32 && g->tg.ddw_base + g->tg.ddw_size - 1 <= mask)))
		return g->tg.ddw_mode;
	return TCE_DMA_DEFAULT;
}

/* The mode the device maps with. Context: rw held. */
static enum tce_dma_mode mode_of(struct tce_device *d)
{
	tce__assert(tce__rwlock_held(&d->g->rw));
	return mode_for(d, atomic_load(&d->dma_mask));
}

/*
 * A mask that would leave the device no window (its single slot holds a
 * DDW the mask cannot reach) is refused, as the kernel's dma_set_mask()
 * refuses what dma_supported() denies.
 */
int tce_device_set_dma_mask(struct tce_device *d, uint64_t mask)
{
	struct tce_group *g = d->g;
	int rc = 0;

	if (!mask)
		return -EINVAL;
	tce__read_lock(&g->rw);
	if (g->owned)
		rc = -EBUSY;
	else if (mode_for(d, mask) == TCE_DMA_DEFAULT && !g->tg.dma32 &&
		 g->tg.ddw_mode != TCE_DMA_DEFAULT)
		rc = -EIO;
	else
		atomic_store(&d->dma_mask, mask);
	tce__read_unlock(&g->rw);
	if (!rc)
		want_ddw(d);
	return rc;
}

void tce_device_dma_info(struct tce_device *d, struct tce_device_dma_info *out)
{
	struct tce_group *g = d->g;
	const struct tce_iommu_table *t;

	tce__read_lock(&g->rw);
	*out = (struct tce_device_dma_info){ .mode = mode_of(d), .ddw_failed = g->tg.ddw_failed };
	if (out->mode == TCE_DMA_DEFAULT && g->tg.tables[0]) {
		t = g->tg.tables[0];
		out->bus_start = t->bus_offset, out->size = t->entries << t->page_shift;
		out->page_shift = t->page_shift;
	} else if (out->mode != TCE_DMA_DEFAULT && out->mode != TCE_DMA_OWNED) {
		out->bus_start = g->tg.ddw_base, out->size = g->tg.ddw_size, out->slot = g->tg.ddw_slot;
		t = g->tg.tables[g->tg.ddw_slot];
		out->page_shift = out->mode == TCE_DMA_BYPASS ? 0 : t->page_shift;
	}
	tce__read_unlock(&g->rw);
}

/* Direct and bypass modes: bus = base + real, for RAM only. */
static int direct_bus(struct tce_device *d, uint64_t real, uint64_t size, uint64_t *bus)
{
	uint64_t end;

	if (!size || tce__add_overflows(real, size, &end) || end > d->h->env.ram_size)
		return -EINVAL;
	*bus = d->g->tg.ddw_base + real;
	return 0;
}

static bool in_ddw(const struct tce_group *g, uint64_t bus)
{
	return g->tg.ddw_mode != TCE_DMA_DEFAULT && bus - g->tg.ddw_base < g->tg.ddw_size;
}

/*
 * What the device maps through now: *@dma, or NULL for direct and bypass
 * modes (bus = base + real). -EBUSY while owned; -ENODEV without a window.
 * Context: rw held.
 */
static int route(struct tce_device *d, struct tce_dma **dma)
{
	tce__assert(tce__rwlock_held(&d->g->rw));
	switch (mode_of(d)) {
	case TCE_DMA_OWNED:
		return -EBUSY;
	case TCE_DMA_DIRECT:
	case TCE_DMA_BYPASS:
		*dma = NULL;
		return 0;
	case TCE_DMA_DYNAMIC:
		*dma = d->g->tg.dma64;
		return 0;
	default:
		*dma = d->g->tg.dma32;
		return *dma ? 0 : -ENODEV;
	}
}

int tce_device_map_page(struct tce_device *d, uint64_t real, uint64_t size, enum tce_dir dir,
			uint64_t *bus)
{
	struct tce_dma *dma;
	int rc;

	want_ddw(d);
	tce__read_lock(&d->g->rw);
	rc = route(d, &dma);
	if (!rc && dma)
		rc = tce_dma_map_page(dma, real, size, dir, bus);
	else if (!rc && (unsigned)dir >= TCE_DIR_NONE)
		rc = -EINVAL;
	else if (!rc && !(rc = direct_bus(d, real, size, bus)))
		rc = tce__records_add(&d->g->kernel, *bus, size, 0, REC_PAGE);
	tce__read_unlock(&d->g->rw);
	return rc;
}

int tce_device_unmap_page(struct tce_device *d, uint64_t bus, uint64_t size)
{
	struct tce_group *g = d->g;
	int rc;

	tce__read_lock(&g->rw);
	if (g->owned)
		rc = -EBUSY;
	else if (in_ddw(g, bus))
		rc = g->tg.dma64 ? tce_dma_unmap_page(g->tg.dma64, bus, size)
				 : tce__records_take(&g->kernel, bus, size, 0, REC_PAGE);
	else
		rc = g->tg.dma32 ? tce_dma_unmap_page(g->tg.dma32, bus, size) : -EINVAL;
	tce__read_unlock(&g->rw);
	return rc;
}

/* Forget the first @n direct segments of @sg again. */
static void direct_sg_forget(struct tce_group *g, const struct tce_sg *sg, unsigned n)
{
	while (n--)
		tce__records_take(&g->kernel, sg[n].dma_address, sg[n].dma_length, 0, REC_SG);
}

/* Direct and bypass scatter lists: one output segment per non-empty element. */
static int direct_sg(struct tce_device *d, struct tce_sg *sg, unsigned nents, unsigned *mapped)
{
	unsigned i, out = 0;
	uint64_t bus = 0;
	int rc = 0;

	for (i = 0; i < nents && !rc; i++)
		if (sg[i].length)
			rc = direct_bus(d, sg[i].real, sg[i].length, &bus);
	for (i = 0; i < nents && !rc; i++) {
		if (!sg[i].length)
			continue;
		direct_bus(d, sg[i].real, sg[i].length, &bus);
		sg[out].dma_address = bus, sg[out].dma_length = sg[i].length;
		rc = tce__records_add(&d->g->kernel, bus, sg[i].length, 0, REC_SG);
		out += !rc;
	}
	if (rc || !out) {
		direct_sg_forget(d->g, sg, out);
		return rc ? rc : -EINVAL;
	}
	if (out < nents)
		sg[out].dma_length = 0;
	*mapped = out;
	return 0;
}

/* Unmap a direct scatter list: every output segment must be live, or nothing changes. */
static int direct_unsg(struct tce_group *g, const struct tce_sg *sg, unsigned nents)
{
	unsigned n;

	tce__assert(tce__rwlock_held(&g->rw));
	for (n = 0; n < nents && sg[n].dma_length; n++) {
		if (tce__records_take(&g->kernel, sg[n].dma_address, sg[n].dma_length, 0, REC_SG)) {
			while (n--) /* put back: cannot fail, the table only shrank */
				tce__records_add(&g->kernel, sg[n].dma_address, sg[n].dma_length, 0,
						 REC_SG);
			return -EINVAL;
		}
	}
	return 0;
}

int tce_device_map_sg(struct tce_device *d, struct tce_sg *sg, unsigned nents, enum tce_dir dir,
		      unsigned *mapped)
{
	struct tce_dma *dma;
	int rc;

	want_ddw(d);
	tce__read_lock(&d->g->rw);
	rc = route(d, &dma);
	if (!rc && dma)
		rc = tce_dma_map_sg(dma, sg, nents, dir, mapped);
	else if (!rc)
		rc = nents && sg && mapped && (unsigned)dir < TCE_DIR_NONE ? direct_sg(d, sg, nents, mapped)
									  : -EINVAL;
	tce__read_unlock(&d->g->rw);
	return rc;
}

int tce_device_unmap_sg(struct tce_device *d, struct tce_sg *sg, unsigned nents)
{
	struct tce_group *g = d->g;
	int rc = 0;

	if (!sg || !nents || !sg[0].dma_length)
		return -EINVAL;
	tce__read_lock(&g->rw);
	if (g->owned)
		rc = -EBUSY;
	else if (in_ddw(g, sg[0].dma_address))
		rc = g->tg.dma64 ? tce_dma_unmap_sg(g->tg.dma64, sg, nents) : direct_unsg(g, sg, nents);
	else
		rc = g->tg.dma32 ? tce_dma_unmap_sg(g->tg.dma32, sg, nents) : -EINVAL;
	tce__read_unlock(&g->rw);
	return rc;
}

/* ---- entry access for an owner ---- */

static bool in_table(const struct tce_iommu_table *t, uint64_t idx, uint64_t n)
{
	return tce__range_inside(idx, n, t->first_idx, t->first_idx + t->entries);
}

void tce_iommu_table_info(const struct tce_iommu_table *t, struct tce_iommu_table_info *out)
{
	*out = (struct tce_iommu_table_info){ .bus_offset = t->bus_offset,
					      .window_size = t->window_size,
					      .first_idx = t->first_idx, .entries = t->entries,
					      .page_shift = t->page_shift, .levels = t->levels };
}

void tce_iommu_table_put(struct tce_iommu_table *t)
{
	tce__iotable_put(t);
}

int tce_iommu_table_xchg(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir)
{
	int rc;

	if (!in_table(t, idx, 1) || (unsigned)*dir > TCE_DIR_NONE ||
	    (*dir != TCE_DIR_NONE && (*real & tce__low_mask(t->page_shift))))
		return -EINVAL;
	rc = tce__iotable_enter(t);
	if (rc)
		return rc;
	rc = t->ops->xchg(t, idx, real, dir);
	tce__iotable_leave(t);
	return rc;
}

int tce_iommu_table_kill(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	if (!in_table(t, idx, npages))
		return -EINVAL;
	t->ops->invalidate(t, idx, npages);
	return 0;
}

int tce_iommu_table_get(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce)
{
	int rc;

	if (!in_table(t, idx, 1))
		return -EINVAL;
	rc = tce__iotable_enter(t);
	if (rc)
		return rc;
	rc = t->ops->get(t, idx, tce);
	tce__iotable_leave(t);
	return rc;
}

int tce_iommu_table_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	int rc;

	if (!in_table(t, idx, npages))
		return -EINVAL;
	rc = tce__iotable_enter(t);
	if (rc)
		return rc;
	rc = tce__iotable_clear(t, idx, npages);
	tce__iotable_leave(t);
	return rc;
}

int tce_iommu_table_update(struct tce_iommu_table *t, uint64_t idx, uint64_t npages,
			   uint64_t real, enum tce_dir dir)
{
	uint64_t end;
	int rc;

	if (!in_table(t, idx, npages) || (unsigned)dir > TCE_DIR_NONE)
		return -EINVAL;
	if (dir != TCE_DIR_NONE && ((real & tce__low_mask(t->page_shift)) ||
				    tce__add_overflows(real, npages << t->page_shift, &end) ||
				    npages > (UINT64_MAX >> t->page_shift)))
		return -EINVAL;
	rc = tce__iotable_enter(t);
	if (rc)
		return rc;
	rc = tce__iotable_update(t, idx, npages, real, dir);
	tce__iotable_leave(t);
	return rc;
}

void tce_iommu_table_set_release(struct tce_iommu_table *t, tce_release_fn fn, void *arg)
{
	t->release = fn;
	t->release_arg = arg;
}

int tce_iommu_table_mirror_slot(struct tce_iommu_table *t, uint64_t idx, bool alloc,
				uint64_t **slot)
{
	return in_table(t, idx, 1) ? t->ops->mirror_slot(t, idx, alloc, slot) : -EINVAL;
}

/* log2 of the IOMMU page of the device's current window (12 in direct modes). */
static uint32_t coherent_shift(struct tce_device *d)
{
	struct tce_device_dma_info di;

	tce_device_dma_info(d, &di);
	return di.page_shift > 12 ? di.page_shift : 12;
}

/* Unmap a coherent buffer's bus range (direct modes: nothing to clear). Context: rw held. */
static int unmap_coherent(struct tce_group *g, uint64_t bus, uint64_t size)
{
	tce__assert(tce__rwlock_held(&g->rw));
	if (in_ddw(g, bus))
		return g->tg.dma64 ? tce_dma_unmap_page(g->tg.dma64, bus, size) : 0;
	return g->tg.dma32 ? tce_dma_unmap_page(g->tg.dma32, bus, size) : -EINVAL;
}

/* Map a coherent buffer in the device's current mode. Context: rw held. */
static int map_coherent(struct tce_device *d, uint64_t real, uint64_t size, uint64_t *bus)
{
	struct tce_dma *dma;
	int rc = route(d, &dma);

	if (rc)
		return rc;
	return dma ? tce_dma_map_coherent(dma, real, size, bus) : direct_bus(d, real, size, bus);
}

int tce_device_alloc_coherent(struct tce_device *d, uint64_t size, uint64_t *real, void **cpu,
			      uint64_t *bus)
{
	int rc;

	if (!size || size > (1ULL << 40) || !real || !cpu || !bus)
		return -EINVAL;
	want_ddw(d);
	rc = tce__host_alloc_aligned(d->h, size, coherent_shift(d), real, cpu);
	if (rc)
		return rc;
	memset(*cpu, 0, size);
	tce__read_lock(&d->g->rw);
	rc = map_coherent(d, *real, size, bus);
	if (!rc && (rc = tce__records_add(&d->g->kernel, *bus, size, *real, REC_COHERENT)))
		unmap_coherent(d->g, *bus, size);
	tce__read_unlock(&d->g->rw);
	if (rc)
		tce_host_free(d->h, *real, size);
	return rc;
}

int tce_device_free_coherent(struct tce_device *d, uint64_t size, uint64_t real, uint64_t bus)
{
	struct tce_group *g = d->g;
	int rc;

	tce__read_lock(&g->rw);
	if (g->owned)
		rc = -EBUSY;
	else if (!tce__records_has(&g->kernel, bus, size, real, REC_COHERENT))
		rc = -EINVAL; /* not one buffer exactly as alloc_coherent handed it out */
	else if (!(rc = unmap_coherent(g, bus, size)))
		tce__records_take(&g->kernel, bus, size, real, REC_COHERENT);
	tce__read_unlock(&g->rw);
	return rc ? rc : tce_host_free(d->h, real, size);
}
