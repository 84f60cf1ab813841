/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench vfio`: the VFIO SPAPR TCE v2 container through tce_vfio_ioctl()
 * (MAP and UNMAP per page, the UA -> region lookup, REGISTER of 16 GiB and
 * the release of a sparse 1 TiB window), each beside a floor doing the same
 * work without the container. This file holds what the sections share: the
 * OS and its machine, the client process and its ioctls, the arena and the
 * owner's table. Every helper checks what it gets and prints a failure.
 * Layer: tools; uses <tce.h> and <linux/vfio.h>.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include "bench_ctx.h"
#include "subcommands.h"
#include "vfio.h"

int vb_fail(const char *what, long rc)
{
	fprintf(stderr, "tce-bench: vfio: %s: %s (%s)\n", what, tce_strerror((int)rc),
		tce_err_name((int)rc));
	return rc < 0 ? (int)rc : -EPROTO;
}

const char *vb_platform_name(enum tce_platform p)
{
	return p == TCE_PLATFORM_POWERNV ? "powernv" : "pseries";
}

int vb_os_up(struct vb_os *os, enum tce_platform p)
{
	struct tce_device *d;
	int rc;

	memset(os, 0, sizeof(*os));
	os->platform = p;
	rc = tce_machine_create_default(p, &os->m);
	if (rc)
		return vb_fail("tce_machine_create_default", rc);
	tce_ctx_set_log(tce_machine_ctx(os->m), bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = tce_host_create(os->m, &os->h);
	if (rc)
		return vb_fail("tce_host_create", rc);
	rc = tce_host_find_device(os->h, VB_DEVICE, &d);
	if (rc)
		return vb_fail("tce_host_find_device " VB_DEVICE, rc);
	os->g = tce_device_group(d);
	return 0;
}

void vb_os_down(struct vb_os *os)
{
	tce_host_destroy(os->h);
	tce_machine_destroy(os->m);
	memset(os, 0, sizeof(*os));
}

int vb_arena_map(struct vb_arena *a, uint64_t bytes)
{
	memset(a, 0, sizeof(*a));
	a->map_bytes = bytes + 2 * VB_MiB;
	a->map = mmap(NULL, a->map_bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		return vb_fail("mmap of the arena", -ENOMEM);
	}
	a->ua = ((uint64_t)(uintptr_t)a->map + 2 * VB_MiB - 1) & ~(2 * VB_MiB - 1);
	a->bytes = bytes;
	return 0;
}

int vb_arena_region(struct vb_arena *a, struct vb_os *os)
{
	struct tce_mem_region r = { .real_start = a->ua, .size = a->bytes, .page_shift = 12 };
	int rc = tce_machine_add_region(os->m, &r);

	return rc ? vb_fail("tce_machine_add_region (identity)", rc) : 0;
}

void vb_arena_unmap(struct vb_arena *a, struct vb_os *os)
{
	if (os && os->m)
		tce_machine_remove_region(os->m, a->ua, a->bytes);
	if (a->map)
		munmap(a->map, a->map_bytes);
	memset(a, 0, sizeof(*a));
}

int vb_ioctl(struct vb_client *c, unsigned long req, void *arg, const char *what)
{
	long rc = tce_vfio_ioctl(c->mm, c->cfd, req, arg);

	return rc ? vb_fail(what, rc) : 0;
}

/* Open both files, set the group on the container, choose v2, decline the default window. */
static int client_open(struct vb_client *c)
{
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	long rc;

	c->cfd = tce_vfio_open_container(c->mm);
	if (c->cfd < 0)
		return vb_fail("open container", c->cfd);
	c->gfd = tce_vfio_open_group(c->mm, c->os->g);
	if (c->gfd < 0)
		return vb_fail("open group", c->gfd);
	rc = tce_vfio_ioctl(c->mm, c->gfd, VFIO_GROUP_SET_CONTAINER, &c->cfd);
	if (rc)
		return vb_fail("VFIO_GROUP_SET_CONTAINER", rc);
	rc = vb_ioctl(c, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_SPAPR_TCE_v2_IOMMU,
		      "VFIO_SET_IOMMU(SPAPR_TCE_v2)");
	return rc ? (int)rc : vb_ioctl(c, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, "TCE_REMOVE(0)");
}

int vb_client_up(struct vb_client *c, struct vb_os *os)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->os = os;
	c->cfd = c->gfd = -1;
	rc = tce_vfio_mm_create(tce_machine_ctx(os->m), NULL, &c->mm);
	if (rc)
		return vb_fail("tce_vfio_mm_create", rc);
	return client_open(c);
}

int vb_client_reopen(struct vb_client *c)
{
	return client_open(c);
}

int vb_client_close(struct vb_client *c)
{
	int rc = c->gfd >= 0 ? tce_vfio_close(c->mm, c->gfd) : 0;
	int rc2 = c->cfd >= 0 ? tce_vfio_close(c->mm, c->cfd) : 0;

	c->gfd = c->cfd = -1;
	return rc ? rc : rc2;
}

void vb_client_down(struct vb_client *c)
{
	tce_vfio_mm_destroy(c->mm); /* closes what is still open */
	memset(c, 0, sizeof(*c));
	c->cfd = c->gfd = -1;
}

int vb_create(struct vb_client *c, uint32_t shift, uint64_t bytes, uint32_t levels,
	      struct vb_win *w)
{
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = shift,
						  .window_size = bytes, .levels = levels };
	long rc = tce_vfio_ioctl(c->mm, c->cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr);

	if (rc)
		return (int)rc;
	*w = (struct vb_win){ .start = cr.start_addr, .bytes = bytes, .shift = shift,
			      .levels = levels };
	return 0;
}

int vb_remove(struct vb_client *c, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm), .start_addr = start };

	return vb_ioctl(c, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, "TCE_REMOVE");
}

static int prereg(struct vb_client *c, unsigned long req, uint64_t ua, uint64_t size,
		  const char *what)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r), .vaddr = ua,
						      .size = size };

	return vb_ioctl(c, req, &r, what);
}

int vb_register(struct vb_client *c, uint64_t ua, uint64_t size)
{
	return prereg(c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, ua, size, "REGISTER_MEMORY");
}

int vb_unregister(struct vb_client *c, uint64_t ua, uint64_t size)
{
	return prereg(c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, ua, size, "UNREGISTER_MEMORY");
}

long vb_map(struct vb_client *c, uint64_t iova, uint64_t ua, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = ua, .iova = iova, .size = size
	};

	return tce_vfio_ioctl(c->mm, c->cfd, VFIO_IOMMU_MAP_DMA, &m);
}

long vb_unmap(struct vb_client *c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return tce_vfio_ioctl(c->mm, c->cfd, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* The floor's release: a page leaves a TCE and nothing is done with it. */
static void release_nothing(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	(void)arg, (void)idx, (void)real, (void)dirty;
}

int vb_owned_up(struct vb_owned *f, struct vb_os *os, uint32_t num, uint32_t shift,
		uint64_t bytes, uint32_t levels)
{
	struct tce_window_req req = { .num = num, .page_shift = shift, .window_size = bytes,
				      .levels = levels };
	int rc;

	memset(f, 0, sizeof(*f));
	f->os = os;
	f->num = num;
	if (!tce_group_owned(os->g) && (rc = tce_group_take_ownership(os->g)))
		return rc;
	rc = tce_group_create_table(os->g, &req, &f->t);
	if (rc)
		return rc;
	tce_iommu_table_set_release(f->t, release_nothing, NULL);
	tce_iommu_table_info(f->t, &f->info);
	return tce_group_set_window(os->g, num, f->t);
}

void vb_owned_down(struct vb_owned *f)
{
	int rc;

	if (f->t) {
		rc = tce_group_unset_window(f->os->g, f->num);
		if (rc)
			vb_fail("tce_group_unset_window", rc);
		tce_iommu_table_put(f->t);
	}
	memset(f, 0, sizeof(*f));
}

void vb_os_give_back(struct vb_os *os)
{
	int rc;

	if (os->g && tce_group_owned(os->g) && (rc = tce_group_release_ownership(os->g)))
		vb_fail("tce_group_release_ownership", rc);
}

void vb_win_params(struct bench_row *r, uint64_t bytes, uint32_t shift, uint32_t levels)
{
	bench_param_num(r, "window_bytes", (double)bytes);
	bench_param_num(r, "page_shift", shift);
	bench_param_num(r, "levels", levels);
}

int bench_vfio(const struct bench_opts *o)
{
	int rc = vb_map_section(o, TCE_PLATFORM_POWERNV);

	if (!rc)
		rc = vb_map_section(o, TCE_PLATFORM_PSERIES);
	if (!rc)
		rc = vb_lookup_section(o);
	if (!rc)
		rc = vb_register_section(o);
	if (!rc)
		rc = vb_release_section(o);
	return rc;
}
