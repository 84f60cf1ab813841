/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hostile clients' runner (TAP) and VFIO helpers.
 * libc and <linux/vfio.h> only: these programs stand for third-party VFIO
 * clients run under tce-run.
 */
#define _GNU_SOURCE
#include "client.h"

#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static bool case_failed;

void ic_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	case_failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

bool ic_failed(void)
{
	return case_failed;
}

const char *ic_errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

uint64_t ic_seed(void)
{
	const char *s = getenv("TCE_TEST_SEED");

	return s && *s ? strtoull(s, NULL, 0) : 0x7ce5eed;
}

double ic_scale(void)
{
	const char *s = getenv("TCE_TEST_SCALE");
	double v = s && *s ? strtod(s, NULL) : 1.0;

	return v > 0 ? v : 1.0;
}

int ic_main(const struct ic_case *cases, size_t n, int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	size_t i, run = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++)
		run += !filter || strstr(cases[i].name, filter);
	printf("1..%zu\n# seed %#" PRIx64 "\n", run, ic_seed());
	run = 0;
	for (i = 0; i < n; i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		case_failed = false;
		cases[i].fn();
		failed += case_failed;
		printf("%s %zu - %s\n", case_failed ? "not ok" : "ok", ++run, cases[i].name);
	}
	return failed ? 1 : 0;
}

/* ---- VFIO ---- */

int ic_group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	return atoi(basename(link));
}

int ic_open_group(const char *bdf)
{
	char path[64];
	int g = ic_group_of(bdf);

	if (g < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	return open(path, O_RDWR);
}

bool ic_setup(struct vf *v, const char *bdf)
{
	*v = (struct vf){ .container = -1, .group = -1, .device = -1 };
	v->container = open("/dev/vfio/vfio", O_RDWR);
	v->group = ic_open_group(bdf);
	if (v->container < 0 || v->group < 0 ||
	    ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return false;
	v->v2 = !ioctl(v->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
	if (!v->v2 && (ioctl(v->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU) ||
		       ioctl(v->container, VFIO_IOMMU_ENABLE)))
		return false;
	return true;
}

bool ic_device(struct vf *v, const char *bdf)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd = 0x6; /* memory decode, bus master */

	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0 || ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return false;
	v->bar0 = bar0.offset;
	v->config = cfg.offset;
	return pwrite(v->device, &cmd, 2, v->config + PCI_CMD) == 2;
}

void ic_teardown(struct vf *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

int ic_register(struct vf *v, void *va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r),
						       .vaddr = (uintptr_t)va, .size = size };

	return ioctl(v->container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &r);
}

int ic_unregister(struct vf *v, void *va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r),
						       .vaddr = (uintptr_t)va, .size = size };

	return ioctl(v->container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &r);
}

int ic_map(struct vf *v, uint64_t iova, void *va, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uintptr_t)va, .iova = iova, .size = size };

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m);
}

int ic_unmap(struct vf *v, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);
}

int ic_pe_op(struct vf *v, uint32_t op)
{
	struct vfio_eeh_pe_op pe = { .argsz = sizeof(pe), .op = op };

	return ioctl(v->container, VFIO_EEH_PE_OP, &pe);
}

uint32_t ic_rd32(struct vf *v, unsigned reg)
{
	uint32_t x = 0;

	return pread(v->device, &x, 4, v->bar0 + reg) == 4 ? x : 0xdeadbeef;
}

uint64_t ic_rd64(struct vf *v, unsigned reg)
{
	uint64_t x = 0;

	return pread(v->device, &x, 8, v->bar0 + reg) == 8 ? x : 0xdeadbeef;
}

void ic_wr64(struct vf *v, unsigned reg, uint64_t val)
{
	if (pwrite(v->device, &val, 8, v->bar0 + reg) != 8)
		ic_fail(__FILE__, __LINE__, "BAR0 write of %#x: %s", reg, ic_errname(errno));
}

uint32_t ic_copy(struct vf *v, uint64_t src, uint64_t dst, uint64_t len)
{
	uint32_t one = 1;

	ic_wr64(v, REG_SRC, src);
	ic_wr64(v, REG_DST, dst);
	ic_wr64(v, REG_LEN, len);
	if (pwrite(v->device, &one, 4, v->bar0 + REG_CMD) != 4)
		ic_fail(__FILE__, __LINE__, "CMD write: %s", ic_errname(errno));
	return ic_rd32(v, REG_STATUS);
}

bool ic_thaw(struct vf *v)
{
	uint16_t cmd = 0x6;

	return !ic_pe_op(v, VFIO_EEH_PE_UNFREEZE_IO) && !ic_pe_op(v, VFIO_EEH_PE_UNFREEZE_DMA) &&
	       pwrite(v->device, &cmd, 2, v->config + PCI_CMD) == 2 &&
	       ic_pe_op(v, VFIO_EEH_PE_GET_STATE) == VFIO_EEH_PE_STATE_NORMAL;
}

bool ic_write_implies_read(void)
{
	const char *m = getenv("TCE_INTEG_MACHINE");

	if (!m) /* what tce-run tells its shim (its default is powernv) */
		m = getenv("TCE_RUN_MACHINE") ? getenv("TCE_RUN_MACHINE") : "powernv";

	return m && !strcmp(m, "powernv");
}

void *ic_unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
	return p;
}

/* ---- Type1v2 ---- */

bool ic_setup_type1(struct vf *v, const char *bdf)
{
	*v = (struct vf){ .container = -1, .group = -1, .device = -1 };
	v->container = open("/dev/vfio/vfio", O_RDWR);
	v->group = ic_open_group(bdf);
	if (v->container < 0 || v->group < 0 ||
	    ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return false;
	v->type1 = true;
	return true;
}

struct vfio_iommu_type1_info *ic_type1_info(int container)
{
	struct vfio_iommu_type1_info first = { .argsz = sizeof(first) }, *info;

	if (ioctl(container, VFIO_IOMMU_GET_INFO, &first))
		return NULL;
	if (first.argsz < sizeof(first))
		first.argsz = sizeof(first);
	info = calloc(1, first.argsz);
	if (!info)
		return NULL;
	info->argsz = first.argsz;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
		free(info);
		return NULL;
	}
	return info;
}

const struct vfio_info_cap_header *ic_type1_cap(const struct vfio_iommu_type1_info *info,
						uint16_t id)
{
	uint32_t off = info->flags & VFIO_IOMMU_INFO_CAPS ? info->cap_offset : 0, hops = 0;

	while (off) {
		const struct vfio_info_cap_header *h = (const void *)((const char *)info + off);

		if (off < sizeof(*info) || off % 8 || off > info->argsz - sizeof(*h) ||
		    ++hops > 16) {
			ic_fail(__FILE__, __LINE__, "capability chain: offset %u (hop %u) in a "
				"struct of %u bytes", off, hops, info->argsz);
			return NULL;
		}
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

bool ic_type1_aperture(int container, struct ic_aperture *a)
{
	struct vfio_iommu_type1_info *info = ic_type1_info(container);
	const struct vfio_iommu_type1_info_cap_iova_range *c;
	uint32_t i;

	*a = (struct ic_aperture){ 0 };
	if (!info)
		return false;
	c = (const void *)ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	a->min_page = info->iova_pgsizes & -info->iova_pgsizes;
	if (c) {
		a->n = c->nr_iovas < 8 ? c->nr_iovas : 8;
		for (i = 0; i < a->n; i++)
			a->r[i] = c->iova_ranges[i];
	}
	free(info);
	return a->n > 0 && a->min_page;
}

int ic_unmap_type1(struct vf *v, uint64_t iova, uint64_t size, uint32_t flags,
		   uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = flags,
						.iova = iova, .size = size };
	int r = ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);

	*unmapped = u.size;
	return r;
}
