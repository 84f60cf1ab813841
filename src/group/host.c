/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host: booting the OS on a machine (a group per PE with its default
 * window and kernel DMA object, the powernv bypass window), kernel memory
 * for DMA buffers and hcall lists, and lookups. Layer: group.
 */
#include <errno.h>
#include <string.h>

#include "group/group_int.h"
#include "util/arith.h"

#define KMEM_MAX (256ULL << 20)
#define LIST_BYTES (16 * TCE_INDIRECT_ALIGN)

static int io_set(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	struct tce_iommu_table *t = arg;

	return t->ops->set(t, idx, npages, real, dir);
}

static void io_clear(void *arg, uint64_t idx, uint64_t npages)
{
	struct tce_iommu_table *t = arg;

	t->ops->clear(t, idx, npages);
}

static int io_get(void *arg, uint64_t idx, uint64_t *tce)
{
	struct tce_iommu_table *t = arg;

	return t->ops->get(t, idx, tce);
}

/* Platform set and clear invalidate themselves, so no flush op. */
const struct tce_dma_ops tce__iotable_dma_ops = { .set = io_set, .clear = io_clear, .get = io_get };

int tce__group_dma(struct tce_group *g, struct tce_iommu_table *t, struct tce_dma **out)
{
	struct tce_dma_config cfg = { .ops = &tce__iotable_dma_ops, .ops_arg = t,
				      .pool = { .first_idx = t->first_idx, .entries = t->entries,
						.page_shift = t->page_shift } };

	return tce_dma_create(g->h->ctx, &cfg, out);
}

/* Kernel memory: the top 1/16 of RAM (at most 256 MiB), in 4 KiB pages. */
static int kmem_init(struct tce_host *h)
{
	struct tce_pool_config cfg = { .page_shift = 12, .nr_pools = 1, .no_large_pool = true };
	int rc;

	h->kmem_size = tce__min_u64(h->ram_size / 16, KMEM_MAX) & ~0xfffULL;
	h->kmem_real = h->ram_size - h->kmem_size;
	h->kmem_host = tce_machine_ram_ptr(h->m, h->kmem_real, (size_t)h->kmem_size);
	if (h->kmem_size < 2 * LIST_BYTES || !h->kmem_host || !h->m->ram)
		return -EOPNOTSUPP;
	cfg.first_idx = h->kmem_real >> 12;
	cfg.entries = h->kmem_size >> 12;
	rc = tce_pool_create(h->ctx, &cfg, &h->kmem);
	if (rc || h->platform != TCE_PLATFORM_PSERIES)
		return rc;
	rc = tce_host_alloc(h, LIST_BYTES, &h->lists_real, NULL);
	return rc ? rc : tce__pseries_lists_create(h->m, h->lists_real,
						   h->kmem_host + (h->lists_real - h->kmem_real),
						   &h->lists);
}

int tce_host_alloc(struct tce_host *h, uint64_t size, uint64_t *real, void **ptr)
{
	return tce__host_alloc_aligned(h, size, 0, real, ptr);
}

int tce__host_alloc_aligned(struct tce_host *h, uint64_t size, uint32_t align_shift,
			    uint64_t *real, void **ptr)
{
	struct tce_alloc_req req = { .npages = tce__div_round_up(size, 4096), .cpu = -1,
				     .align_order = align_shift > 12 ? align_shift - 12 : 0 };
	uint64_t idx;
	int rc;

	if (!size)
		return -EINVAL;
	rc = tce_pool_alloc(h->kmem, &req, &idx);
	if (rc)
		return rc == -ENOSPC ? -ENOMEM : rc;
	*real = idx << 12;
	if (ptr)
		*ptr = h->kmem_host + (*real - h->kmem_real);
	return 0;
}

int tce_host_free(struct tce_host *h, uint64_t real, uint64_t size)
{
	if (!size || (real & 0xfff))
		return -EINVAL;
	return tce_pool_free(h->kmem, real >> 12, tce__div_round_up(size, 4096));
}

static void group_info(struct tce_group *g)
{
	struct tce__phb *phb = g->phb;
	bool pseries = g->h->platform == TCE_PLATFORM_PSERIES;

	g->info = (struct tce_group_info){
		.phb = phb->index, .pe = g->pe->num,
		.tce32_start = pseries ? g->pe->def_bus : 0, .tce32_size = g->pe->def_size,
		.pgsizes = pseries ? (phb->ddw ? phb->page_mask : 0) | (1ULL << 12) : phb->page_mask,
		.max_dynamic_windows = pseries && !phb->ddw ? 0 : g->pe->nslots,
		.max_levels = pseries ? 1 : phb->max_levels,
	};
}

static int build_groups(struct tce_host *h)
{
	uint32_t i, j, n = 0;
	int rc = 0;

	for (i = 0; i < h->m->nphbs; i++)
		n += h->m->phbs[i].npes;
	h->groups = tce__calloc(h->ctx, n * sizeof(*h->groups));
	if (!h->groups)
		return -ENOMEM;
	h->ngroups_alloc = n;
	for (i = 0; i < h->m->nphbs && !rc; i++) {
		for (j = 0; j < h->m->phbs[i].npes && !rc; j++) {
			struct tce_group *g = &h->groups[h->ngroups];

			*g = (struct tce_group){ .h = h, .phb = &h->m->phbs[i], .pe = &h->m->phbs[i].pes[j] };
			if (pthread_rwlock_init(&g->rw, NULL))
				return -ENOMEM;
			h->ngroups++;
			group_info(g);
			pthread_rwlock_wrlock(&g->rw);
			rc = tce__group_boot(g);
			pthread_rwlock_unlock(&g->rw);
		}
	}
	return rc;
}

static struct tce_group *group_of(struct tce_host *h, const struct tce__pe *pe)
{
	uint32_t i;

	for (i = 0; i < h->ngroups; i++)
		if (h->groups[i].pe == pe)
			return &h->groups[i];
	return NULL;
}

static int build_devices(struct tce_host *h)
{
	uint32_t i;

	h->devs = tce__calloc(h->ctx, h->m->ndevs * sizeof(*h->devs));
	if (!h->devs)
		return -ENOMEM;
	for (i = 0; i < h->m->ndevs; i++) {
		h->devs[i] = (struct tce_device){ .h = h, .pci = &h->m->devs[i],
						  .g = group_of(h, h->m->devs[i].pe),
						  .dma_mask = 0xffffffffULL };
		h->ndevs++;
	}
	return 0;
}

void tce_host_destroy(struct tce_host *h)
{
	uint32_t i;

	if (!h)
		return;
	for (i = 0; i < h->ngroups; i++) {
		struct tce_group *g = &h->groups[i];

		/* Leave the machine as it booted: no OS window, pseries default restored. */
		pthread_rwlock_wrlock(&g->rw);
		tce__group_unset(g, 0);
		tce__group_unset(g, 1);
		tce__group_kernel_down(g);
		if (h->platform == TCE_PLATFORM_PSERIES)
			tce__pseries_reset(g);
		pthread_rwlock_unlock(&g->rw);
		pthread_rwlock_destroy(&g->rw);
	}
	tce__free(h->ctx, h->groups, sizeof(*h->groups) * h->ngroups_alloc);
	tce__free(h->ctx, h->devs, h->devs ? h->m->ndevs * sizeof(*h->devs) : 0);
	tce__pseries_lists_destroy(h->ctx, h->lists);
	tce_pool_destroy(h->kmem);
	tce__free(h->ctx, h, sizeof(*h));
}

int tce_host_create(struct tce_machine *m, struct tce_host **out)
{
	struct tce_host *h = tce__calloc(m->ctx, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	*h = (struct tce_host){ .m = m, .ctx = m->ctx, .platform = m->platform,
				.ram_size = m->ram_size };
	rc = kmem_init(h);
	if (!rc)
		rc = build_groups(h);
	if (!rc)
		rc = build_devices(h);
	if (rc) {
		tce_host_destroy(h);
		return rc;
	}
	*out = h;
	return 0;
}

uint32_t tce_host_ngroups(const struct tce_host *h)
{
	return h->ngroups;
}

struct tce_group *tce_host_group(struct tce_host *h, uint32_t i)
{
	return i < h->ngroups ? &h->groups[i] : NULL;
}

int tce_host_find_device(struct tce_host *h, const char *pci_addr, struct tce_device **out)
{
	struct tce_pci_dev *p;
	uint32_t i;
	int rc = tce_machine_find_device(h->m, pci_addr, &p);

	if (rc)
		return rc;
	for (i = 0; i < h->ndevs; i++) {
		if (h->devs[i].pci == p) {
			*out = &h->devs[i];
			return 0;
		}
	}
	return -ENODEV;
}

void tce_group_info(const struct tce_group *g, struct tce_group_info *out)
{
	*out = g->info;
}

struct tce_group *tce_device_group(struct tce_device *d)
{
	return d->g;
}

struct tce_pci_dev *tce_device_pci(struct tce_device *d)
{
	return d->pci;
}

void tce_host_debug_skip_kills(struct tce_host *h, bool skip)
{
	atomic_store(&h->no_kill, skip);
}
