/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS above the platforms: the host, its IOMMU groups (one per PE) and
 * devices. The group layer does locking, ownership and accounting; what a
 * PE's windows are and how they change is the platform's (its group ops).
 * Layer: group. Includes platform, dma, alloc, util and the public header;
 * never hw/.
 *
 * Locking: a group's rwlock guards its table group (windows, the kernel's
 * DMA objects) and ownership: the kernel DMA API takes it for reading (so
 * mappings on several threads run in parallel, each pool with its own
 * lock); ownership changes, window ops and DDW enabling take it for writing.
 */
#ifndef TCE_GROUP_GROUP_INT_H
#define TCE_GROUP_GROUP_INT_H

#include <stdatomic.h>

#include "group/group.h"
#include "group/record.h"
#include "platform/platform.h"

/* Kinds of the kernel DMA API's records (group/record.h). */
enum { REC_PAGE = 1, REC_SG = 2, REC_COHERENT = 3, REC_KMEM = 4 };

struct tce_group {
	struct tce_host *h;
	struct tce__rwlock rw;
	struct tce__tg tg;   /* guarded by rw */
	bool owned;          /* guarded by rw */
	/*
	 * The kernel DMA API's direct and bypass mappings and coherent buffers
	 * (its own lock; the group's rwlock is held for reading around it).
	 */
	struct tce__records kernel;
	atomic_bool file_open; /* a VFIO group file is open (group.h) */
};

struct tce_device {
	struct tce_host *h;
	struct tce_group *g;
	struct tce_pci_dev *pci;
	_Atomic uint64_t dma_mask;
};

struct tce_host {
	struct tce__env env;
	struct tce_machine *m;
	struct tce_ctx *ctx;
	const struct tce__group_ops *ops;
	struct tce__of of;
	struct tce_group *groups;
	uint32_t ngroups;
	struct tce_device *devs;
	uint32_t ndevs;
	uint64_t kmem_real, kmem_size;  /* kernel memory at the top of the machine's RAM */
	uint8_t *kmem_host;
	struct tce_pool *kmem;          /* its 4 KiB pages */
	struct tce__records kmem_recs;  /* what tce_host_alloc() handed out (real, size) */
	uint64_t lists_real;            /* pseries: the hcall list pages */
};

/* Kernel memory aligned to 2^@align_shift bytes (at least 4 KiB); see tce_host_alloc(). */
int tce__host_alloc_aligned(struct tce_host *h, uint64_t size, uint32_t align_shift,
			    uint64_t *real, void **ptr);

/* A device's mask covers every address the machine can produce. */
bool tce__mask_is_64(const struct tce_host *h, uint64_t mask);

/* The group's derived state is consistent. 0 or -EIO (logged). Context: rw held. */
int tce__group_check(struct tce_group *g);

#endif /* TCE_GROUP_GROUP_INT_H */
