/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS above the machine: the host, its IOMMU groups (one per PE) with
 * their windows, ownership and the kernel's DMA objects, and devices.
 * Layer: group. Includes platform, dma, alloc, hw, util and the public header.
 *
 * Locking: a group's rwlock guards its windows, ownership and DMA objects:
 * the kernel DMA API takes it for reading (so mappings on several threads
 * run in parallel, each pool with its own lock); ownership changes, window
 * ops and DDW enabling take it for writing.
 */
#ifndef TCE_GROUP_GROUP_INT_H
#define TCE_GROUP_GROUP_INT_H

#include <pthread.h>

#include "hw/hw_int.h"
#include "platform/platform.h"

struct tce_group {
	struct tce_host *h;
	struct tce__phb *phb;
	struct tce__pe *pe;
	pthread_rwlock_t rw;
	struct tce_group_info info;

	/* Guarded by rw. */
	struct tce_iommu_table *tables[TCE_MAX_WINDOWS];
	bool owned;
	bool default_removed;          /* pseries: the default window is gone */
	struct tce_dma *dma32;         /* kernel DMA on the default window */
	struct tce_dma *dma64;         /* kernel DMA on a dynamic window (DYNAMIC) */
	enum tce_dma_mode ddw_mode;    /* DEFAULT (none), DYNAMIC, DIRECT or BYPASS */
	uint32_t ddw_slot;
	uint64_t ddw_base, ddw_size;
	bool ddw_failed;
};

struct tce_device {
	struct tce_host *h;
	struct tce_group *g;
	struct tce_pci_dev *pci;
	_Atomic uint64_t dma_mask;
};

struct tce_host {
	struct tce_machine *m;
	struct tce_ctx *ctx;
	enum tce_platform platform;
	uint64_t ram_size;
	struct tce_group *groups;
	uint32_t ngroups, ngroups_alloc;
	struct tce_device *devs;
	uint32_t ndevs;
	uint64_t kmem_real, kmem_size;  /* kernel memory at the top of RAM */
	uint8_t *kmem_host;
	struct tce_pool *kmem;          /* its 4 KiB pages */
	uint64_t lists_real;            /* pseries: the hcall list pages */
	struct tce__pseries_lists *lists;
	_Atomic bool no_kill;           /* tests: powernv tables skip their kills */
};

/* Kernel memory aligned to 2^@align_shift bytes (at least 4 KiB); see tce_host_alloc(). */
int tce__host_alloc_aligned(struct tce_host *h, uint64_t size, uint32_t align_shift,
			    uint64_t *real, void **ptr);

/* The DMA backend over a platform table. */
extern const struct tce_dma_ops tce__iotable_dma_ops;

/* Build the kernel's default window and its DMA object. Context: rw for writing. */
int tce__group_boot(struct tce_group *g);

/*
 * Tear down the kernel's windows and DMA objects (TCEs cleared), going on
 * after an error; returns the first. Context: rw for writing.
 */
int tce__group_kernel_down(struct tce_group *g);

/* Enable a dynamic (or bypass) window for 64-bit devices. Context: rw for writing. */
void tce__group_enable_ddw(struct tce_group *g);

/* Kernel DMA objects that still have live mappings. Context: rw held. */
bool tce__group_kernel_busy(struct tce_group *g);

/* A DMA object over @t for the kernel's DMA API. */
int tce__group_dma(struct tce_group *g, struct tce_iommu_table *t, struct tce_dma **out);

/* A device's mask covers every address the machine can produce. */
bool tce__mask_is_64(const struct tce_host *h, uint64_t mask);

/* pseries RTAS on behalf of a group; errnos. Context: rw for writing. */
int tce__pseries_query(struct tce_group *g, uint32_t *avail, uint64_t *block, uint32_t *mask);
int tce__pseries_create(struct tce_group *g, uint32_t shift, uint32_t wshift, uint32_t *liobn,
			uint64_t *bus);
int tce__pseries_reset(struct tce_group *g);
int tce__pseries_remove(struct tce_group *g, uint32_t liobn);

/* Unset slot @num: clear its TCEs, then remove or disable the window. Context: rw for writing. */
int tce__group_unset(struct tce_group *g, uint32_t num);

#endif /* TCE_GROUP_GROUP_INT_H */
