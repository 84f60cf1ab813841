/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain layer's private header: the domain object, its sets of IOVA
 * extents (mappings and dirty ranges) and the page-size splitting of the
 * generic IOMMU API. Layer: domain, above group; it includes only the
 * public header and util. White-box tests may include it for the splitting.
 */
#ifndef TCE_DOMAIN_DOMAIN_H
#define TCE_DOMAIN_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce.h"
#include "util/lock.h"
#include "util/util.h"

/*
 * iommu_pgsize() of spec kernel.md §5: the page size to map next at @iova
 * -> @paddr with @size bytes left, over @bitmap (bit n: pages of 2^n), and
 * in *@count how many pages of it to map in a row before the alignment
 * allows a larger one. 0 when no supported size fits (unaligned input).
 */
uint64_t tce__domain_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			    uint64_t *count);

/* One extent [start, end) of IOVA; a mapping's paddr and prot, unused for dirty ranges. */
struct tce__dext {
	uint64_t start, end;
	uint64_t paddr;
	uint32_t prot;
};

/* Disjoint extents sorted by start, in an array grown by reservation. */
struct tce__dset {
	struct tce__dext *v;
	size_t n, cap;
};

/* Room for @extra more extents: 0 or -ENOMEM (nothing changed). */
int tce__dset_reserve(struct tce_ctx *ctx, struct tce__dset *s, size_t extra);
void tce__dset_fini(struct tce_ctx *ctx, struct tce__dset *s);
/* The first extent ending above @addr (s->n when none). */
size_t tce__dset_after(const struct tce__dset *s, uint64_t addr);
/* The extents overlapping [start, end). */
size_t tce__dset_count(const struct tce__dset *s, uint64_t start, uint64_t end);
/* Insert @e, disjoint from the others; room must be reserved. */
void tce__dset_insert(struct tce__dset *s, const struct tce__dext *e);
/*
 * Insert [start, end) merging with touching or overlapping extents: true.
 * When that needs an extent the set has no room for, the range joins its
 * nearest extent, widened over the gap between them (a superset, as a dirty
 * log may report a clean page but never drop a dirty one): false. The set
 * must have had room reserved once (cap > 0).
 */
bool tce__dset_add(struct tce__dset *s, uint64_t start, uint64_t end);
/* Remove [start, end) (mapping paddrs follow a trimmed start); one extent of room reserved. */
void tce__dset_remove(struct tce__dset *s, uint64_t start, uint64_t end);

/* A window of the domain: fixed placement, its table while a group is attached. */
struct tce__dwin {
	struct tce_domain *d;
	uint64_t start, size;
	uint32_t page_shift;
	uint32_t cfg_levels;         /* as configured: 0 = chosen at the first attach */
	uint32_t levels;             /* the table's, while it exists */
	struct tce_iommu_table *t;   /* NULL while no group is attached */
};

struct tce_domain {
	struct tce_ctx *ctx;
	struct tce__lock lock;   /* guards every field below */
	uint32_t nwin;
	struct tce__dwin win[2];
	uint64_t pgsizes;        /* bit n: a window of 2^n pages */
	struct tce_group **groups;
	uint32_t ngroups, galloc;
	struct tce__dset maps;   /* live mappings, one extent per map (trimmed by unmaps) */
	struct tce__dset dirty;  /* dirty ranges unmapped since the last read */
	/* Per operation, under the lock: what the release callback counts and records. */
	uint64_t released;       /* TCEs released */
	bool log_dirty;          /* record writable releases (not in a map's rollback) */
	bool dirty_off;          /* tce_domain_dirty_log(d, false): nothing is recorded */
	uint64_t run_start, run_end; /* the dirty run being gathered, [start, end) */
};

/* The release callback of the domain's tables (after the kill). */
void tce__domain_release(void *arg, uint64_t idx, uint64_t real, bool dirty);
/* Start and finish gathering releases (the dirty run flushed into the log). */
void tce__domain_gather(struct tce_domain *d, bool log_dirty);
void tce__domain_flush(struct tce_domain *d);
/* The window holding [iova, iova + size), or NULL (also for size 0 and wrap). */
struct tce__dwin *tce__domain_window(struct tce_domain *d, uint64_t iova, uint64_t size);
/* tce_domain_create()'s checks of @cfg: 0 or -EINVAL. */
int tce__domain_check_config(const struct tce_domain_config *cfg);

/*
 * For a caller that owns @g already (the VFIO container took it at
 * GROUP_SET_CONTAINER): tce_domain_attach() and tce_domain_detach() without
 * taking it from, or giving it back to, the kernel. Whoever attaches a
 * group this way detaches it this way before tce_domain_destroy().
 */
int tce__domain_attach_owned(struct tce_domain *d, struct tce_group *g);
/* Never fails for an attached group: with no room for the dirty log, the log is dropped. */
int tce__domain_detach_owned(struct tce_domain *d, struct tce_group *g);


/* Clear every mapping: TCEs cleared (released), the record emptied. */
void tce__domain_clear_all(struct tce_domain *d);

#endif /* TCE_DOMAIN_DOMAIN_H */
