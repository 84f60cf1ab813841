/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host: booting the OS on a machine as Linux does, from the device tree
 * and the firmware calls (a group per PE with the platform's group ops, its
 * default window and kernel DMA object), kernel memory for DMA buffers and
 * hcall lists from the machine's own RAM, and lookups. Layer: group.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "group/group_int.h"
#include "util/arith.h"

#define KMEM_MAX (256ULL << 20)
#define LIST_BYTES (16 * TCE_INDIRECT_ALIGN)

/* Kernel memory: the top 1/16 of the machine's own RAM (at most 256 MiB), in 4 KiB pages. */
static int kmem_init(struct tce_host *h)
{
	struct tce_pool_config cfg = { .page_shift = 12, .nr_pools = 1, .no_large_pool = true };
	struct tce_machine_info mi;
	int rc;

	tce_machine_info(h->m, &mi);
	h->kmem_size = tce__min_u64(mi.ram_size / 16, KMEM_MAX) & ~0xfffULL;
	h->kmem_real = mi.ram_size - h->kmem_size;
	if (!mi.own_ram || h->kmem_size < 2 * LIST_BYTES)
		return -EOPNOTSUPP;
	h->kmem_host = tce_machine_ram_ptr(h->m, h->kmem_real, (size_t)h->kmem_size);
	if (!h->kmem_host)
		return -EOPNOTSUPP;
	cfg.first_idx = h->kmem_real >> 12;
	cfg.entries = h->kmem_size >> 12;
	rc = tce_pool_create(h->ctx, &cfg, &h->kmem);
	if (rc || h->of.platform != TCE_PLATFORM_PSERIES)
		return rc;
	rc = tce_host_alloc(h, LIST_BYTES, &h->lists_real, NULL);
	return rc ? rc : tce__pseries_lists_create(h->m, h->lists_real,
						   h->kmem_host + (h->lists_real - h->kmem_real),
						   &h->env.lists);
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

	if (!size || !real)
		return -EINVAL;
	if (size > h->kmem_size)
		return -ENOMEM;
	rc = tce_pool_alloc(h->kmem, &req, &idx);
	if (rc)
		return rc == -ENOSPC ? -ENOMEM : rc;
	rc = tce__records_add(&h->kmem_recs, idx << 12, size, 0, REC_KMEM);
	if (rc) {
		tce_pool_free(h->kmem, idx, req.npages);
		return rc;
	}
	*real = idx << 12;
	if (ptr)
		*ptr = h->kmem_host + (*real - h->kmem_real);
	return 0;
}

/* Exactly one allocation of tce_host_alloc(), same address and size (DECISIONS 24). */
int tce_host_free(struct tce_host *h, uint64_t real, uint64_t size)
{
	int rc = tce__records_take(&h->kmem_recs, real, size, 0, REC_KMEM);

	return rc ? rc : tce_pool_free(h->kmem, real >> 12, tce__div_round_up(size, 4096));
}

static int boot_group(struct tce_host *h, struct tce_group *g, const struct tce__pe_desc *pe)
{
	int rc;

	*g = (struct tce_group){ .h = h, .tg = { .ops = h->ops, .env = &h->env, .pe = *pe } };
	g->tg.lock = &g->rw;
	rc = tce__rwlock_init(&g->rw);
	if (!rc && (rc = tce__records_init(&g->kernel, h->ctx)))
		tce__rwlock_fini(&g->rw);
	if (rc)
		return rc;
	h->ngroups++;
	tce__write_lock(&g->rw);
	rc = g->tg.ops->probe(&g->tg);
	if (!rc)
		rc = g->tg.ops->boot(&g->tg);
	tce__write_unlock(&g->rw);
	return rc;
}

static int build_groups(struct tce_host *h)
{
	uint32_t i;
	int rc = 0;

	h->groups = tce__calloc(h->ctx, h->of.npes * sizeof(*h->groups));
	if (!h->groups)
		return -ENOMEM;
	for (i = 0; i < h->of.npes && !rc; i++)
		rc = boot_group(h, &h->groups[i], &h->of.pes[i]);
	return rc;
}

static struct tce_group *group_of(struct tce_host *h, uint32_t phb, uint32_t pe)
{
	uint32_t i;

	for (i = 0; i < h->ngroups; i++)
		if (h->groups[i].tg.pe.phb == phb && h->groups[i].tg.pe.pe == pe)
			return &h->groups[i];
	return NULL;
}

/* A function of the tree as a device of the host (its emulated PCI function, if any). */
static int add_device(struct tce_host *h, const struct tce__fn_desc *f)
{
	char name[16];
	struct tce_pci_dev *pci;

	snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", f->phb, f->bus, f->devfn >> 3,
		 f->devfn & 7);
	if (tce_machine_find_device(h->m, name, &pci))
		return -EINVAL;
	h->devs[h->ndevs++] = (struct tce_device){ .h = h, .pci = pci,
						   .g = group_of(h, f->phb, f->pe),
						   .dma_mask = 0xffffffffULL };
	return 0;
}

static int build_devices(struct tce_host *h)
{
	uint32_t i;
	int rc = 0;

	h->devs = tce__calloc(h->ctx, h->of.nfns * sizeof(*h->devs));
	if (!h->devs)
		return -ENOMEM;
	for (i = 0; i < h->of.nfns && !rc; i++)
		rc = add_device(h, &h->of.fns[i]);
	return rc;
}

/* Leave a group as the machine booted it: no OS window, the pseries default restored. */
static void teardown_group(struct tce_group *g)
{
	tce__write_lock(&g->rw);
	tce__tg_kernel_dma_destroy(&g->tg);
	if (g->tg.ops->take(&g->tg) == 0 && g->h->of.platform == TCE_PLATFORM_PSERIES &&
	    g->tg.info.dynamic_ops)
		tce__rtas_reset(&g->tg);
	tce__tg_unset_all(&g->tg);
	if (g->tg.tables[0]) { /* legacy keeps its window through take */
		tce__iotable_put(g->tg.tables[0]);
		g->tg.tables[0] = NULL;
	}
	tce__write_unlock(&g->rw);
	tce__rwlock_fini(&g->rw);
	tce__records_fini(&g->kernel);
}

void tce_host_destroy(struct tce_host *h)
{
	uint32_t i;

	if (!h)
		return;
	for (i = 0; i < h->ngroups; i++)
		teardown_group(&h->groups[i]);
	tce__free(h->ctx, h->groups, h->of.npes * sizeof(*h->groups));
	tce__free(h->ctx, h->devs, h->devs ? h->of.nfns * sizeof(*h->devs) : 0);
	tce__pseries_lists_destroy(h->ctx, h->env.lists);
	tce_pool_destroy(h->kmem);
	tce__records_fini(&h->kmem_recs);
	tce__of_free(h->ctx, &h->of);
	tce__free(h->ctx, h, sizeof(*h));
}

static const struct tce__group_ops *ops_of(enum tce_platform p, enum tce_os_profile profile)
{
	if (profile == TCE_OS_LEGACY)
		return &tce__legacy_group_ops;
	return p == TCE_PLATFORM_PSERIES ? &tce__pseries_group_ops : &tce__powernv_group_ops;
}

static int check_config(const struct tce_host_config *cfg)
{
	if (cfg->profile != TCE_OS_DEFAULT && cfg->profile != TCE_OS_LEGACY)
		return -EINVAL;
	if (cfg->page_shift && cfg->page_shift != 12 && cfg->page_shift != 16)
		return -EINVAL;
	return 0;
}

int tce_host_create_config(struct tce_machine *m, const struct tce_host_config *cfg,
			   struct tce_host **out)
{
	struct tce_host *h;
	int rc;

	if (!m || !cfg || !out || check_config(cfg))
		return -EINVAL;
	h = tce__calloc(tce_machine_ctx(m), sizeof(*h));
	if (!h)
		return -ENOMEM;
	*h = (struct tce_host){ .m = m, .ctx = tce_machine_ctx(m) };
	rc = tce__records_init(&h->kmem_recs, h->ctx);
	if (rc) {
		tce__free(h->ctx, h, sizeof(*h));
		return rc;
	}
	rc = tce__of_scan(m, &h->of);
	h->ops = ops_of(h->of.platform, cfg->profile);
	h->env = (struct tce__env){ .m = m, .ctx = h->ctx, .ram_size = h->of.ram_size,
				    .host_page_shift = cfg->page_shift ? cfg->page_shift : 16,
				    .of = &h->of };
	if (!rc)
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

int tce_host_create(struct tce_machine *m, struct tce_host **out)
{
	struct tce_host_config cfg = { .profile = TCE_OS_DEFAULT };

	return tce_host_create_config(m, &cfg, out);
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

struct tce_group *tce_device_group(struct tce_device *d)
{
	return d->g;
}

struct tce_pci_dev *tce_device_pci(struct tce_device *d)
{
	return d->pci;
}
