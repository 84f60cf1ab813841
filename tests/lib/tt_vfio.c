/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VFIO test fixture and its ioctl helpers (tt_vfio.h). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_vfio.h"

#define ALIGN (2ull << 20)

/* The arena inside a fresh mapping, @margin bytes either side, and the machine's region over it. */
static int add_arena(struct tt_vfio *v, uint64_t margin)
{
	struct tce_mem_region r;
	uint64_t before;
	void *p;

	v->map_bytes = TT_VFIO_ARENA + 2 * margin + ALIGN;
	p = mmap(NULL, v->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	v->map = p;
	v->arena = (uint8_t *)((((uint64_t)p + ALIGN - 1) & ~(ALIGN - 1)) + margin);
	r = (struct tce_mem_region){ .real_start = (uint64_t)v->arena, .size = TT_VFIO_ARENA,
				     .page_shift = 12 };
	before = tt_live(v->o.m);
	if (tce_machine_add_region(v->o.m, &r))
		return -1;
	v->region = true;
	v->o.live_before += tt_live(v->o.m) - before; /* the region table stays allocated */
	return 0;
}

int tt_vfio_boot(struct tt_vfio *v, enum tce_platform p, const struct tce_host_config *hc,
		 uint64_t margin)
{
	memset(v, 0, sizeof(*v));
	v->cfd = v->gfd = -1;
	if (tt_os_boot_config(&v->o, p, hc))
		return -1;
	v->g = tce_device_group(v->o.a);
	return add_arena(v, margin);
}

int tt_vfio_new_mm(struct tt_vfio *v, const struct tce_vfio_mm_config *mc)
{
	return tce_vfio_mm_create(tce_machine_ctx(v->o.m), mc, &v->mm);
}

int tt_vfio_open_files(struct tt_vfio *v)
{
	v->cfd = tce_vfio_open_container(v->mm);
	v->gfd = tce_vfio_open_group(v->mm, v->g);
	return v->cfd < 0 || v->gfd < 0 ? -1 : 0;
}

int tt_vfio_setup(struct tt_vfio *v, enum tce_platform p, const struct tce_host_config *hc)
{
	if (tt_vfio_boot(v, p, hc, 0) || tt_vfio_new_mm(v, NULL))
		return -1;
	return tt_vfio_open_files(v);
}

void tt_vfio_teardown(struct tt_vfio *v)
{
	if (!v->o.m)
		return; /* the machine was never made: nothing else was */
	tce_vfio_mm_destroy(v->mm);
	v->mm = NULL;
	if (v->g)
		CHECK(!tce_group_owned(v->g));
	if (v->region)
		CHECK_RC(tce_machine_remove_region(v->o.m, (uint64_t)v->arena, TT_VFIO_ARENA), 0);
	if (v->map)
		munmap(v->map, v->map_bytes);
	tt_os_shutdown(&v->o);
}

long tt_vfio_io(struct tt_vfio *v, int fd, unsigned long req, void *arg)
{
	return tce_vfio_ioctl(v->mm, fd, req, arg);
}

long tt_vfio_attach(struct tt_vfio *v, unsigned long type)
{
	long rc = tt_vfio_io(v, v->gfd, VFIO_GROUP_SET_CONTAINER, &v->cfd);

	return rc ? rc : tt_vfio_io(v, v->cfd, VFIO_SET_IOMMU, (void *)type);
}

long tt_vfio_reg(struct tt_vfio *v, unsigned long req, uint64_t off, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r),
						      .vaddr = (uint64_t)v->arena + off,
						      .size = size };

	return tt_vfio_io(v, v->cfd, req, &r);
}

long tt_vfio_map(struct tt_vfio *v, uint64_t off, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uint64_t)v->arena + off, .iova = iova,
					      .size = size };

	return tt_vfio_io(v, v->cfd, VFIO_IOMMU_MAP_DMA, &m);
}

long tt_vfio_unmap(struct tt_vfio *v, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return tt_vfio_io(v, v->cfd, VFIO_IOMMU_UNMAP_DMA, &u);
}

long tt_vfio_create(struct tt_vfio *v, uint32_t page_shift, uint64_t size, uint32_t levels,
		    uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create c = { .argsz = sizeof(c), .page_shift = page_shift,
						 .window_size = size, .levels = levels };
	long rc = tt_vfio_io(v, v->cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &c);

	if (start)
		*start = c.start_addr;
	return rc;
}

long tt_vfio_remove(struct tt_vfio *v, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove r = { .argsz = sizeof(r), .start_addr = start };

	return tt_vfio_io(v, v->cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &r);
}

int tt_vfio_dma_rw(struct tt_vfio *v, uint64_t iova, const char *s)
{
	struct tce_pci_dev *pci = tce_device_pci(v->o.a);
	char back[64] = { 0 };
	size_t len = strlen(s);
	int rc;

	if (len > sizeof(back))
		return -EINVAL;
	rc = tce_dev_dma_write(pci, iova, s, len);
	if (!rc)
		rc = tce_dev_dma_read(pci, iova, back, len);
	return rc ? rc : memcmp(back, s, len) ? -EIO : 0;
}

/* ---- Type1 ---- */

int tt_vfio_open_type1(struct tt_vfio *v, const struct tce_vfio_container_config *cc)
{
	struct tce_vfio_container_config def = { .flags = TCE_VFIO_TYPE1 };

	v->cfd = tce_vfio_open_container_config(v->mm, cc ? cc : &def);
	v->gfd = tce_vfio_open_group(v->mm, v->g);
	return v->cfd < 0 || v->gfd < 0 ? -1 : 0;
}

int tt_vfio_setup_type1(struct tt_vfio *v, enum tce_platform p, const struct tce_vfio_mm_config *mc,
			const struct tce_vfio_container_config *cc)
{
	if (tt_vfio_boot(v, p, NULL, 0) || tt_vfio_new_mm(v, mc) || tt_vfio_open_type1(v, cc))
		return -1;
	return tt_vfio_attach(v, VFIO_TYPE1v2_IOMMU) ? -1 : 0;
}

long tt_vfio_unmap_got(struct tt_vfio *v, uint64_t iova, uint64_t size, uint32_t flags,
		       uint64_t *got)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova,
						.size = size };
	long rc = tt_vfio_io(v, v->cfd, VFIO_IOMMU_UNMAP_DMA, &u);

	*got = u.size;
	return rc;
}

/* Record capability @h (at @off of @len bytes) in @out: 0 or -EPROTO. */
static int read_cap(const uint8_t *buf, uint32_t off, uint32_t len, struct tt_type1_info *out)
{
	const struct vfio_info_cap_header *h = (const void *)(buf + off);
	const struct vfio_iommu_type1_info_cap_iova_range *ir = (const void *)h;
	const struct vfio_iommu_type1_info_cap_migration *mig = (const void *)h;
	const struct vfio_iommu_type1_info_dma_avail *da = (const void *)h;

	switch (h->id) {
	case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
		if (off + sizeof(*mig) > len)
			return -EPROTO;
		out->mig_pgsize = mig->pgsize_bitmap;
		out->mig_max = mig->max_dirty_bitmap_size;
		return 0;
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
		if (off + sizeof(*da) > len)
			return -EPROTO;
		out->avail = da->avail;
		return 0;
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
		if (off + sizeof(*ir) > len ||
		    off + sizeof(*ir) + (uint64_t)ir->nr_iovas * sizeof(ir->iova_ranges[0]) > len)
			return -EPROTO;
		out->nr = ir->nr_iovas;
		for (uint32_t i = 0; i < ir->nr_iovas && i < 4; i++) {
			out->r[i].start = ir->iova_ranges[i].start;
			out->r[i].end = ir->iova_ranges[i].end;
		}
		return 0;
	default:
		return -EPROTO;
	}
}

long tt_vfio_type1_get(struct tt_vfio *v, struct tt_type1_info *out)
{
	uint64_t words[64] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)words;
	const uint8_t *buf = (const uint8_t *)words;
	uint32_t off, hops = 0;
	long rc;

	memset(out, 0, sizeof(*out));
	out->avail = -1;
	info->argsz = sizeof(words);
	rc = tt_vfio_io(v, v->cfd, VFIO_IOMMU_GET_INFO, info);
	if (rc)
		return rc;
	out->flags = info->flags;
	out->pgsizes = info->iova_pgsizes;
	for (off = info->cap_offset; off; off = ((const struct vfio_info_cap_header *)(buf + off))->next) {
		if (off % 8 || off < sizeof(*info) || off + 8 > sizeof(words) || ++hops > 8)
			return -EPROTO;
		if (read_cap(buf, off, sizeof(words), out))
			return -EPROTO;
	}
	return 0;
}
