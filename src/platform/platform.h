/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS's view of one DMA window's translation table (the kernel's struct
 * iommu_table) and the const ops table its two platforms implement: pseries
 * writes TCEs with hcalls into a table the hypervisor owns; powernv owns
 * multi-level tables and programs them into the PHB, killing the TCE cache
 * itself. Layer: platform. Includes fw, hw, table and util headers.
 */
#ifndef TCE_PLATFORM_PLATFORM_H
#define TCE_PLATFORM_PLATFORM_H

#include <stdatomic.h>

#include "util/lock.h"
#include "util/util.h"

#define TCE_TABLE_MAX_LINKS 16

struct tce_iommu_table;

/*
 * What a platform does to a table. Indexes are absolute entries, ranges were
 * checked against the window by the caller.
 */
struct tce__table_ops {
	/*
	 * Map @npages entries from @idx to the real pages from @real with @dir,
	 * and invalidate them. On error no entry of the range is left mapped.
	 * Context: may block (pseries: a list page's lock).
	 */
	int (*set)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
		   enum tce_dir dir);
	/*
	 * Atomically replace one entry; in/out as tce_table_xchg(). Does NOT
	 * invalidate: batch exchanges, call invalidate once, then release the
	 * old pages. Context: pseries takes the table's lock around the
	 * H_GET_TCE/H_PUT_TCE pair.
	 */
	int (*xchg)(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir);
	/* Zero @npages entries from @idx and invalidate them; never fails. */
	void (*clear)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);
	/*
	 * Zero every entry of the window and invalidate, at a cost that follows
	 * what was mapped (powernv: absent levels are skipped; pseries: chunks
	 * never written are skipped). Never fails.
	 */
	void (*clear_all)(struct tce_iommu_table *t);
	/* One raw TCE (0 when empty). */
	int (*get)(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce);
	/* Invalidate cached translations (powernv: every linked PE; pseries: nothing). */
	void (*invalidate)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);
	/* The userspace-address mirror slot of @idx (big-endian), allocating with @alloc. */
	int (*mirror_slot)(struct tce_iommu_table *t, uint64_t idx, bool alloc, uint64_t **slot);
	/* Release what the platform allocated for the table (last reference). */
	void (*free)(struct tce_iommu_table *t);
};

/* A PE that a powernv table is programmed into. */
struct tce__link {
	uint32_t phb, pe;
};

struct tce_iommu_table {
	const struct tce__table_ops *ops;
	struct tce_machine *m;
	struct tce_ctx *ctx;
	uint64_t bus_offset, window_size;
	uint64_t first_idx, entries;  /* entries may be fewer than the window holds (pseries default) */
	uint32_t page_shift, levels;
	uint32_t liobn;               /* pseries */
	struct tce_table *table;      /* powernv: the OS-owned table (with its mirror) */
	uint64_t *mirror;             /* pseries: a flat array of big-endian user addresses */
	struct tce__lock lock;        /* pseries: the xchg pair; powernv: links */
	atomic_uint refs;
	uint64_t charged;             /* bytes charged through @account */
	tce_account_fn account;
	void *account_arg;
	struct tce__link links[TCE_TABLE_MAX_LINKS];
	unsigned nlinks;              /* guarded by lock */
	struct tce__pseries_lists *lists; /* pseries: the host's list pages */
	size_t alloc_bytes;           /* of this struct and what follows it */
	const _Atomic bool *no_kill;  /* tests: when set, powernv skips its kills */
};

/* The H_* status of an hcall as an errno: the one place it is translated. */
int tce__hcall_errno(long status);

/* The RTAS status as an errno: the one place it is translated. */
int tce__rtas_errno(int status);

/* Per-thread list pages for H_PUT_TCE_INDIRECT, in the machine's RAM (pseries.c). */
struct tce__pseries_lists;
int tce__pseries_lists_create(struct tce_machine *m, uint64_t real, void *host,
			      struct tce__pseries_lists **out);
void tce__pseries_lists_destroy(struct tce_ctx *ctx, struct tce__pseries_lists *l);

/*
 * A pseries table over the hypervisor's window @liobn at @bus_offset, of
 * @entries entries of @page_shift (the window may be larger); with a flat
 * mirror when @mirror.
 */
int tce__pseries_table(struct tce_machine *m, struct tce__pseries_lists *lists, uint32_t liobn,
		       uint64_t bus_offset, uint64_t entries, uint32_t page_shift, bool mirror,
		       struct tce_iommu_table **out);

/* A powernv table of @levels levels at @bus_offset, with its mirror when @mirror. */
int tce__powernv_table(struct tce_machine *m, uint64_t bus_offset, uint64_t window_size,
		       uint32_t page_shift, uint32_t levels, bool mirror, struct tce_iommu_table **out);

/* powernv: program @t into slot @slot of PE @pe and link them, or unlink. */
int tce__powernv_link(struct tce_iommu_table *t, uint32_t phb, uint32_t pe, uint32_t slot);
void tce__powernv_unlink(struct tce_iommu_table *t, uint32_t phb, uint32_t pe);

struct tce_iommu_table *tce__iotable_hold(struct tce_iommu_table *t);
void tce__iotable_put(struct tce_iommu_table *t);

#endif /* TCE_PLATFORM_PLATFORM_H */
