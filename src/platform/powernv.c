/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The powernv platform's tables: the OS owns multi-level tables (the table
 * layer, with a mirror) and programs them into PE window slots with the
 * firmware call. The PHB requires READ with WRITE, so a FROM_DEVICE mapping
 * is written READ|WRITE. set and clear kill what they changed; exchange
 * does not (callers exchange a batch, kill once, then release). A table may
 * back windows of any number of PEs: kills fan out to every linked PE.
 * Layer: platform.
 */
#include <errno.h>
#include <string.h>

#include "platform/platform.h"
#include "util/arith.h"

/* W implies R in PowerNV hardware TCEs (spec kernel.md §10.1). */
static enum tce_dir hw_dir(enum tce_dir dir)
{
	return dir == TCE_DIR_FROM_DEVICE ? TCE_DIR_BIDIRECTIONAL : dir;
}

static void pnv_invalidate(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	unsigned i;

	tce__lock(&t->lock);
	for (i = 0; i < t->nlinks; i++)
		tce_fw_tce_kill(t->m, t->links[i].phb, t->links[i].pe, t->page_shift,
				idx << t->page_shift, npages);
	tce__unlock(&t->lock);
}

static int pnv_set(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
		   enum tce_dir dir)
{
	int rc = tce_table_set(t->table, idx, npages, real, hw_dir(dir));

	if (!rc)
		t->ops->invalidate(t, idx, npages);
	return rc;
}

static int pnv_xchg(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir)
{
	enum tce_dir d = hw_dir(*dir);
	int rc = tce_table_xchg(t->table, idx, real, &d);

	if (!rc)
		*dir = d;
	return rc;
}

static int pnv_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	int rc = tce_table_clear(t->table, idx, npages);

	t->ops->invalidate(t, idx, npages);
	return rc;
}

static int pnv_next(struct tce_iommu_table *t, uint64_t *idx, uint64_t end)
{
	uint64_t i = *idx, tce;

	if (tce_table_next(t->table, &i, &tce) || i >= end)
		return -ENOENT;
	*idx = i;
	return 0;
}

static int pnv_get(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce)
{
	return tce_table_get(t->table, idx, tce);
}

static int pnv_mirror_slot(struct tce_iommu_table *t, uint64_t idx, bool alloc, uint64_t **slot)
{
	return tce_table_mirror_slot(t->table, idx, alloc, slot);
}

static void pnv_free(struct tce_iommu_table *t)
{
	tce_table_put(t->table);
}

static const struct tce__table_ops powernv_ops = {
	.set = pnv_set,
	.xchg = pnv_xchg,
	.clear = pnv_clear,
	.next = pnv_next,
	.get = pnv_get,
	.invalidate = pnv_invalidate,
	.mirror_slot = pnv_mirror_slot,
	.free = pnv_free,
};

int tce__powernv_table(struct tce_machine *m, uint64_t bus_offset, uint64_t window_size,
		       uint32_t page_shift, uint32_t levels, uint32_t host_page_shift, bool mirror,
		       struct tce_iommu_table **out)
{
	struct tce_table_config cfg = { .bus_offset = bus_offset, .window_size = window_size,
					.page_shift = page_shift, .levels = levels, .mirror = mirror,
					.host_page_shift = host_page_shift };
	struct tce_ctx *ctx = tce_machine_ctx(m);
	struct tce_iommu_table *t = tce__calloc(ctx, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	*t = (struct tce_iommu_table){ .ops = &powernv_ops, .m = m, .ctx = ctx,
				    .alloc_bytes = sizeof(*t) };
	atomic_init(&t->refs, 1);
	tce__lock_init(&t->lock, false);
	tce__lock_init(&t->link_lock, false);
	rc = tce_table_create(ctx, &cfg, &t->table);
	if (rc) {
		tce__lock_fini(&t->lock);
		tce__lock_fini(&t->link_lock);
		tce__free(ctx, t, sizeof(*t));
		return rc;
	}
	t->bus_offset = bus_offset, t->window_size = window_size;
	t->first_idx = cfg.first_idx, t->entries = cfg.entries;
	t->page_shift = page_shift, t->levels = levels;
	*out = t;
	return 0;
}

/* Room for one more link. Context: t->lock. */
static int links_grow(struct tce_iommu_table *t)
{
	unsigned want = t->links_alloc ? t->links_alloc * 2 : 2;
	struct tce__link *l;

	if (t->nlinks < t->links_alloc)
		return 0;
	l = tce__malloc(t->ctx, want * sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (t->nlinks)
		memcpy(l, t->links, t->nlinks * sizeof(*l));
	tce__free(t->ctx, t->links, t->links_alloc * sizeof(*l));
	t->links = l;
	t->links_alloc = want;
	return 0;
}

int tce__powernv_link(struct tce_iommu_table *t, uint32_t phb, uint32_t pe, uint32_t slot)
{
	int rc;

	tce__assert(tce__lock_held(&t->link_lock));
	tce__lock(&t->lock);
	rc = links_grow(t);
	if (!rc)
		rc = tce_fw_map_window(t->m, phb, pe, slot, t->table);
	if (!rc)
		t->links[t->nlinks++] = (struct tce__link){ phb, pe };
	tce__unlock(&t->lock);
	return rc;
}

unsigned tce__powernv_unlink(struct tce_iommu_table *t, uint32_t phb, uint32_t pe)
{
	unsigned i, left;

	tce__assert(tce__lock_held(&t->link_lock));
	tce__lock(&t->lock);
	for (i = 0; i < t->nlinks; i++) {
		if (t->links[i].phb == phb && t->links[i].pe == pe) {
			t->links[i] = t->links[--t->nlinks];
			break;
		}
	}
	left = t->nlinks;
	tce__unlock(&t->lock);
	return left;
}
