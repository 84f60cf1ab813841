/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fixture the VFIO tests share: a host booted on a built-in machine (or
 * the legacy profile), a 16 MiB arena of the test's memory that is an
 * identity region of the machine, a tce_vfio_mm with a container and a group
 * file, torn down with a leak check; and the small ioctl helpers whose
 * addresses are arena offsets. Type1 containers (TCE_VFIO_TYPE1) have their
 * own set-up and a GET_INFO reader. Built on tt_os.h.
 */
#ifndef TCE_TESTS_TT_VFIO_H
#define TCE_TESTS_TT_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tce.h>

#include "tt_os.h"

#define TT_VFIO_ARENA (16ull << 20) /* bytes, 2 MiB aligned */

struct tt_vfio {
	struct tt_os o;
	struct tce_group *g;     /* the group of o.a (PE 0) */
	struct tce_vfio_mm *mm;  /* NULL until tt_vfio_new_mm(); set it NULL after destroying it */
	uint8_t *arena;          /* TT_VFIO_ARENA bytes, the machine's identity region */
	void *map;               /* the mapping the arena lies in (see tt_vfio_boot()) */
	size_t map_bytes;
	bool region;             /* the arena is a region of the machine */
	int cfd, gfd;            /* the container and group files; -1: not open */
};

/*
 * Boot a host configured by @hc (NULL: the defaults; &{ .profile =
 * TCE_OS_LEGACY } for v1) on the built-in machine of @p, and map the arena
 * with @margin writable bytes (a multiple of 2 MiB) on each side of it, the
 * margins outside the machine. No process or file yet. Returns 0 or -1;
 * tt_vfio_teardown() undoes whatever part was done.
 */
int tt_vfio_boot(struct tt_vfio *v, enum tce_platform p, const struct tce_host_config *hc,
		 uint64_t margin);

/* The process, made with @mc (NULL: the defaults). Returns 0 or the library's error. */
int tt_vfio_new_mm(struct tt_vfio *v, const struct tce_vfio_mm_config *mc);

/* Open a container and the group of o.a. Returns 0 or -1 (either failed). */
int tt_vfio_open_files(struct tt_vfio *v);

/* tt_vfio_boot() without margins, tt_vfio_new_mm(NULL), tt_vfio_open_files(). 0 or -1. */
int tt_vfio_setup(struct tt_vfio *v, enum tce_platform p, const struct tce_host_config *hc);

/*
 * Destroy the process (closing its files), check the group is the kernel's
 * again, remove the region, unmap the arena, and shut down with the leak
 * check of tt_os_shutdown().
 */
void tt_vfio_teardown(struct tt_vfio *v);

/* tce_vfio_ioctl() on @fd of the fixture's process. */
long tt_vfio_io(struct tt_vfio *v, int fd, unsigned long req, void *arg);

/* GROUP_SET_CONTAINER, then SET_IOMMU of @type: 0 or the first error. */
long tt_vfio_attach(struct tt_vfio *v, unsigned long type);

/* VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY (@req) of arena [@off, @off + @size) on the container. */
long tt_vfio_reg(struct tt_vfio *v, unsigned long req, uint64_t off, uint64_t size);

/* MAP_DMA of arena offset @off at @iova, @size bytes, VFIO_DMA_MAP_FLAG_* @flags. */
long tt_vfio_map(struct tt_vfio *v, uint64_t off, uint64_t iova, uint64_t size, uint32_t flags);

/* UNMAP_DMA of [@iova, @iova + @size). */
long tt_vfio_unmap(struct tt_vfio *v, uint64_t iova, uint64_t size);

/* SPAPR_TCE_CREATE; the window's start through @start when not NULL. */
long tt_vfio_create(struct tt_vfio *v, uint32_t page_shift, uint64_t size, uint32_t levels,
		    uint64_t *start);

/* SPAPR_TCE_REMOVE of the window at @start (0 declines a pending default window). */
long tt_vfio_remove(struct tt_vfio *v, uint64_t start);

/*
 * The device of o.a writes the bytes of @s at @iova and reads them back:
 * 0, its DMA error, or -EIO when the bytes read differ.
 */
int tt_vfio_dma_rw(struct tt_vfio *v, uint64_t iova, const char *s);

/* ---- Type1 (TCE_VFIO_TYPE1) ---- */

/* Open a container with @cc (NULL: TCE_VFIO_TYPE1, default windows), the group of o.a: 0 or -1. */
int tt_vfio_open_type1(struct tt_vfio *v, const struct tce_vfio_container_config *cc);

/*
 * tt_vfio_boot() without margins, tt_vfio_new_mm(@mc), tt_vfio_open_type1(@cc),
 * then tt_vfio_attach(VFIO_TYPE1v2_IOMMU): 0 or -1.
 */
int tt_vfio_setup_type1(struct tt_vfio *v, enum tce_platform p, const struct tce_vfio_mm_config *mc,
			const struct tce_vfio_container_config *cc);

/* UNMAP_DMA of [@iova, @iova + @size) with @flags; the size written back in *@got. */
long tt_vfio_unmap_got(struct tt_vfio *v, uint64_t iova, uint64_t size, uint32_t flags,
		       uint64_t *got);

/* What VFIO_IOMMU_GET_INFO (with room for every capability) reports. */
struct tt_type1_info {
	uint32_t flags;
	uint64_t pgsizes;            /* iova_pgsizes */
	uint64_t mig_pgsize, mig_max; /* the MIGRATION capability; 0 when absent */
	int64_t avail;               /* DMA_AVAIL; -1 when absent */
	uint32_t nr;                 /* IOVA_RANGE's ranges (at most 4 kept) */
	struct {
		uint64_t start, end; /* end inclusive */
	} r[4];
};

/*
 * GET_INFO on the container, its capability chain read into @out: 0, the
 * request's error, or -EPROTO for a malformed chain.
 */
long tt_vfio_type1_get(struct tt_vfio *v, struct tt_type1_info *out);

#endif /* TCE_TESTS_TT_VFIO_H */
