/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The loops both sides of `tce-bench shim` time (shim_loops.h): MAP_DMA and
 * UNMAP_DMA of N pages a call, and the 16,384-chunk register+map loop.
 * Each request's struct is built on the stack per call, as a client does.
 * Layer: tools; uses <linux/vfio.h> and libc only.
 */
#include <errno.h>
#include <time.h>

#include <linux/vfio.h>

#include "shim_loops.h"

uint64_t sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long map(struct sl_target *t, uint64_t iova, uint64_t ua, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = ua, .iova = iova, .size = size
	};
	long rc = t->ioctl(t->ctx, VFIO_IOMMU_MAP_DMA, &m);

	if (rc < 0)
		t->failed = "MAP_DMA";
	return rc < 0 ? rc : 0;
}

static long unmap(struct sl_target *t, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };
	long rc = t->ioctl(t->ctx, VFIO_IOMMU_UNMAP_DMA, &u);

	if (rc < 0)
		t->failed = "UNMAP_DMA";
	return rc < 0 ? rc : 0;
}

static long prereg(struct sl_target *t, unsigned long req, uint64_t ua, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r), .vaddr = ua,
						      .size = size };
	long rc = t->ioctl(t->ctx, req, &r);

	if (rc < 0)
		t->failed = req == VFIO_IOMMU_SPAPR_REGISTER_MEMORY ? "REGISTER_MEMORY" :
								      "UNREGISTER_MEMORY";
	return rc < 0 ? rc : 0;
}

int sl_map_unmap(struct sl_target *t, uint64_t n, uint64_t calls, uint64_t *map_ns,
		 uint64_t *unmap_ns)
{
	uint64_t k, step = n << SL_PAGE_SHIFT, t0, t1;
	long rc = 0;

	t0 = sl_now_ns();
	for (k = 0; k < calls && !rc; k++)
		rc = map(t, t->win_start + k * step, t->map_ua + k * step, step);
	t1 = sl_now_ns();
	if (rc) {
		if (k > 1)
			unmap(t, t->win_start, (k - 1) * step);
		return (int)rc;
	}
	*map_ns = t1 - t0;
	t0 = sl_now_ns();
	for (k = 0; k < calls && !rc; k++)
		rc = unmap(t, t->win_start + k * step, step);
	t1 = sl_now_ns();
	*unmap_ns = t1 - t0;
	return (int)rc;
}

int sl_chunks(struct sl_target *t, uint32_t k, uint64_t *setup_ns, uint64_t *teardown_ns)
{
	uint64_t i, off, t0, t1;
	long rc = 0;

	t0 = sl_now_ns();
	for (i = 0; i < k && !rc; i++) {
		off = i * SL_CHUNK_BYTES;
		rc = prereg(t, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, t->chunk_ua + off, SL_CHUNK_BYTES);
		if (!rc)
			rc = map(t, t->win_start + off, t->chunk_ua + off, SL_CHUNK_BYTES);
	}
	t1 = sl_now_ns();
	if (rc)
		return (int)rc;
	*setup_ns = t1 - t0;
	t0 = sl_now_ns();
	for (i = 0; i < k && !rc; i++) {
		off = i * SL_CHUNK_BYTES;
		rc = unmap(t, t->win_start + off, SL_CHUNK_BYTES);
		if (!rc)
			rc = prereg(t, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, t->chunk_ua + off,
				    SL_CHUNK_BYTES);
	}
	t1 = sl_now_ns();
	*teardown_ns = t1 - t0;
	return (int)rc;
}
