/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of `tce-bench vfio` share (spec performance.md §6.4 B7-B9
 * on the VFIO SPAPR TCE v2 container): an emulated OS to open groups on, a
 * process (struct tce_vfio_mm) with one container and one group set up as
 * a client does it, the ioctl wrappers that check every answer outside the
 * timed loops, an untouched anonymous arena that is both the client's
 * memory and an identity region of the machine, and the owner's table that
 * is the floor of everything the container does. Layer: tools; uses
 * <tce.h>, <linux/vfio.h>, the harness and the report.
 */
#ifndef TCE_BENCH_VFIO_H
#define TCE_BENCH_VFIO_H

#include <tce.h>

#include "harness.h"
#include "report.h"

#define VB_MiB (1ULL << 20)
#define VB_GiB (1ULL << 30)
#define VB_TiB (1ULL << 40)
#define VB_DDW_BUS (1ULL << 59) /* where powernv puts window slot 1 */
#define VB_DEVICE "0000:00:01.0" /* PE 0 of both built-in machines */

/*
 * POWER9 KVM/VFIO, per TCE: mapping a guest's 100 GB DMA window took 10 s
 * after batching (Kardashevskiy 2019, spec performance.md §0), i.e. about
 * 1.6 Mi TCEs of 64 KiB in 10 s, about 6 us each.
 */
#define VB_ANCHOR_NS 6000.0

/* An OS on its own built-in machine, with the group of VB_DEVICE. */
struct vb_os {
	enum tce_platform platform;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_group *g;
};

/*
 * Untouched anonymous memory (MAP_NORESERVE, never written): the client's
 * buffers. @ua is 2 MiB aligned and @bytes long.
 */
struct vb_arena {
	void *map;
	uint64_t map_bytes;
	uint64_t ua, bytes;
};

/* A process with a v2 container and the group of @os set on it. */
struct vb_client {
	struct vb_os *os;
	struct tce_vfio_mm *mm;
	int cfd, gfd;
};

/* A window as VFIO_IOMMU_SPAPR_TCE_CREATE granted it. */
struct vb_win {
	uint64_t start, bytes;
	uint32_t shift, levels;
};

/* The floor: a table the caller owns directly (no container), set in slot @num. */
struct vb_owned {
	struct vb_os *os;
	struct tce_iommu_table *t;
	struct tce_iommu_table_info info;
	uint32_t num;
};

/* Print "tce-bench: vfio: @what: <strerror> (<name>)"; returns @rc. */
int vb_fail(const char *what, long rc);

/* "powernv" or "pseries". */
const char *vb_platform_name(enum tce_platform p);

/* Boot the OS on a new built-in machine of @p. vb_os_down() undoes it (also after a failure). */
int vb_os_up(struct vb_os *os, enum tce_platform p);
void vb_os_down(struct vb_os *os);

/*
 * Map @bytes of untouched memory, 2 MiB aligned; with @region, add it to
 * @os's machine as an identity region (4 KiB pages) so TCEs may point there.
 */
int vb_arena_map(struct vb_arena *a, uint64_t bytes);
int vb_arena_region(struct vb_arena *a, struct vb_os *os);
void vb_arena_unmap(struct vb_arena *a, struct vb_os *os);

/*
 * A new process on @os's machine with a container, the group set on it,
 * SPAPR_TCE_v2 chosen and the default window declined (REMOVE(0)), as
 * DPDK and QEMU start. vb_client_close() closes both files (the timed part
 * of a release), vb_client_reopen() opens new ones in the same process,
 * vb_client_down() also ends the process.
 */
int vb_client_up(struct vb_client *c, struct vb_os *os);
int vb_client_reopen(struct vb_client *c);
int vb_client_close(struct vb_client *c);
void vb_client_down(struct vb_client *c);

/* The ioctl @req on the container; a failure is printed as @what. */
int vb_ioctl(struct vb_client *c, unsigned long req, void *arg, const char *what);

/* VFIO_IOMMU_SPAPR_TCE_CREATE; the grant in *@w. Returns the errno unprinted. */
int vb_create(struct vb_client *c, uint32_t shift, uint64_t bytes, uint32_t levels,
	      struct vb_win *w);

/* VFIO_IOMMU_SPAPR_TCE_REMOVE of the window at @start; a failure is printed. */
int vb_remove(struct vb_client *c, uint64_t start);

/* REGISTER_MEMORY / UNREGISTER_MEMORY of [@ua, @ua + @size). */
int vb_register(struct vb_client *c, uint64_t ua, uint64_t size);
int vb_unregister(struct vb_client *c, uint64_t ua, uint64_t size);

/* MAP_DMA (read and write) and UNMAP_DMA, without printing. */
long vb_map(struct vb_client *c, uint64_t iova, uint64_t ua, uint64_t size);
long vb_unmap(struct vb_client *c, uint64_t iova, uint64_t size);

/*
 * Take @os's group (if not taken yet) and create and set slot @num with
 * this geometry, with a release callback that does nothing (so a clear
 * releases pages as the container's does). Returns the errno unprinted;
 * call vb_owned_down() then too. vb_owned_down() unsets the slot and drops
 * the table; vb_os_give_back() returns the group to the kernel.
 */
int vb_owned_up(struct vb_owned *f, struct vb_os *os, uint32_t num, uint32_t shift,
		uint64_t bytes, uint32_t levels);
void vb_owned_down(struct vb_owned *f);
void vb_os_give_back(struct vb_os *os);

/* Add window_bytes, page_shift and levels to @r's params. */
void vb_win_params(struct bench_row *r, uint64_t bytes, uint32_t shift, uint32_t levels);

/* The sections; each returns 0 or a negative errno after printing why. */
int vb_map_section(const struct bench_opts *o, enum tce_platform p);
int vb_lookup_section(const struct bench_opts *o);
int vb_register_section(const struct bench_opts *o);
int vb_release_section(const struct bench_opts *o);

#endif /* TCE_BENCH_VFIO_H */
