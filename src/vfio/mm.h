/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's preregistered memory for VFIO SPAPR TCE v2 (the kernel's
 * mm->context.iommu_group_mem_list, spec kernel.md §9): regions of user
 * addresses, each with its usable IOMMU page size, a "mapped" count that
 * every live TCE holds one of (plus a bias of 1), and a registration count.
 * Regions never overlap, so they are kept sorted by address and found by
 * binary search: a lookup is O(log R) where the kernel walks a list.
 * Layer: vfio. Includes util and the public header.
 *
 *  | kernel (iommu_api.c)   | here                   | errors                        |
 *  |------------------------|------------------------|-------------------------------|
 *  | mm_iommu_new           | tce__mm_new()          | -EINVAL overlap, -EFAULT not  |
 *  |                        |                        | writable memory, -ENOMEM      |
 *  | mm_iommu_get           | tce__mm_get()          | NULL: no exact match          |
 *  | mm_iommu_put           | tce__mm_put()          | -ENOENT, -EBUSY still mapped  |
 *  | mm_iommu_lookup        | tce__mm_lookup()       | NULL                          |
 *  | mm_iommu_ua_to_hpa     | tce__mm_ua_to_real()   | -EFAULT                       |
 *  | mm_iommu_mapped_inc/dec| tce__mm_mapped_inc/dec | -ENXIO once release started   |
 */
#ifndef TCE_VFIO_MM_H
#define TCE_VFIO_MM_H

#include <stdatomic.h>

#include "util/lock.h"
#include "util/util.h"

/*
 * What the memory behind [ua, ua + size) is, found without touching or
 * faulting a page (the default reads /proc/self/smaps): 0 with the
 * smallest backing page shift over the range when all of it is mapped
 * writable (@write) or readable (!@write); -EFAULT otherwise.
 */
typedef int (*tce__mm_probe_fn)(void *arg, uint64_t ua, uint64_t size, bool write,
				uint32_t *page_shift);

struct tce__mm_region {
	uint64_t ua, size;              /* bytes; immutable */
	uint32_t page_shift;            /* the usable IOMMU page shift; immutable */
	atomic_uint_fast64_t mapped;    /* 1 (the bias) + live TCEs; 0 once released */
	uint64_t used;                  /* registrations; guarded by the mm's lock */
};

struct tce__mm {
	struct tce_ctx *ctx;
	struct tce__rwlock lock;        /* guards the array and every region's @used */
	struct tce__mm_region **r;      /* sorted by ua, never overlapping */
	uint32_t n, alloc;
	uint32_t sys_page_shift;        /* the system page: alignment and accounting unit */
	uint64_t locked_pages, limit_pages; /* the locked_vm account and its limit (0: none) */
	tce__mm_probe_fn probe;
	void *probe_arg;
};

int tce__mm_init(struct tce__mm *mm, struct tce_ctx *ctx, uint32_t sys_page_shift,
		 uint64_t limit_bytes);
/* Frees every region (their TCEs must be gone). */
void tce__mm_fini(struct tce__mm *mm);

/*
 * The default probe: the kernel's PROCMAP_QUERY of /proc/self/maps (one
 * ioctl per VMA: permissions and page size), else, on kernels without it,
 * /proc/self/smaps (permissions and KernelPageSize, read up to the range:
 * the kernel walks every mapping's page tables before it, ~100 us).
 */
int tce__mm_probe_self(void *arg, uint64_t ua, uint64_t size, bool write, uint32_t *page_shift);
/* Each way alone; the query answers -ENOSYS where the kernel lacks it. */
int tce__mm_probe_query(uint64_t ua, uint64_t size, bool write, uint32_t *page_shift);
int tce__mm_probe_smaps(uint64_t ua, uint64_t size, bool write, uint32_t *page_shift);

/*
 * A new region (used 1, mapped 1): -EINVAL when it overlaps one, -EFAULT
 * when the memory is not all mapped writable, -ENOMEM when the account's
 * limit or memory refuses. The caller checked alignment, size and wrap.
 * Context: takes the lock for writing twice, probing the memory between.
 */
int tce__mm_new(struct tce__mm *mm, uint64_t ua, uint64_t size, struct tce__mm_region **out);

/*
 * The page size the memory behind [ua, ua + size) can back, as the probe
 * finds it (never below the system page): 0, or -EFAULT when it is not all
 * mapped writable (@write) or readable. Takes no lock.
 */
int tce__mm_backing(struct tce__mm *mm, uint64_t ua, uint64_t size, bool write,
		    uint32_t *page_shift);

/* The region of exactly [ua, ua + size) with one more registration, or NULL. */
struct tce__mm_region *tce__mm_get(struct tce__mm *mm, uint64_t ua, uint64_t size);

/*
 * One registration fewer; the last one frees the region when no TCE maps
 * it (-EBUSY, and the registration stays, when one does).
 */
int tce__mm_put(struct tce__mm *mm, struct tce__mm_region *r);

/* Whether a region overlaps [ua, ua + size). Context: takes the lock for reading. */
bool tce__mm_overlaps(struct tce__mm *mm, uint64_t ua, uint64_t size);

/* The region holding [ua, ua + size), or NULL. Context: takes the lock for reading. */
struct tce__mm_region *tce__mm_lookup(struct tce__mm *mm, uint64_t ua, uint64_t size);

/*
 * The real address of @ua in @r for an IOMMU page of @page_shift: -EFAULT
 * past the region's end or when the page is larger than the region's.
 * Identity model: the real address is the user address.
 */
int tce__mm_ua_to_real(const struct tce__mm_region *r, uint64_t ua, uint32_t page_shift,
		       uint64_t *real);

/* A TCE starts or stops referencing @r. inc: -ENXIO once the region is being freed. */
int tce__mm_mapped_inc(struct tce__mm_region *r);
void tce__mm_mapped_dec(struct tce__mm_region *r);

/*
 * The locked-memory account as a tce_account_fn (@arg: the mm): a charge
 * of delta_bytes >> sys_page_shift pages, -ENOMEM above the limit; a
 * refund of the same.
 */
int tce__mm_charge(void *arg, int64_t delta_bytes);
uint64_t tce__mm_locked_bytes(struct tce__mm *mm);

/*
 * @npages IOMMU pages of 2^@page_shift bytes from @ua start being mapped:
 * each takes one mapped count of the region it lies in. -EINVAL when a
 * page lies in no region or in one whose page size is smaller, -ENXIO when
 * its region is being freed; nothing is taken then. The regions looked at
 * cannot be freed meanwhile (the lock is held for reading throughout).
 */
int tce__mm_map_range(struct tce__mm *mm, uint64_t ua, uint64_t npages, uint32_t page_shift);
/* The reverse of a successful tce__mm_map_range() of the same pages. */
void tce__mm_unmap_range(struct tce__mm *mm, uint64_t ua, uint64_t npages, uint32_t page_shift);

#endif /* TCE_VFIO_MM_H */
