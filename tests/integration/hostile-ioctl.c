/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hostile VFIO client, run under tce-run on every machine: the requests
 * of one fd kind sent to another, unknown requests, short argsz, NULL,
 * unmapped, unreadable and read-only argument pointers (the kernel's
 * copy_from_user/copy_to_user: EFAULT, never a crash), registration
 * conflicts, unregistering while mapped (EBUSY), a second open of a group
 * (EBUSY) and the group's own rules. Each errno is the kernel's
 * (spec/vfio.md §1.3-1.6, docs/vfio.md). Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096u

/* A page the process may not read (PROT_NONE), kept for the run. */
static void *noaccess(void)
{
	static void *p;

	if (!p)
		p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p;
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Before SET_IOMMU, the container knows three requests; everything else is EINVAL. */
static void container_before_iommu(void)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	int c = open("/dev/vfio/vfio", O_RDWR);

	REQUIRE(c >= 0);
	CHECK_EQ(ioctl(c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU), 1);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 0);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, 12345), 0);
	CHECK_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), EINVAL); /* no group */
	CHECK_ERRNO(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	CHECK_ERRNO(ioctl(c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &m), EINVAL);
	CHECK_ERRNO(ioctl(c, VFIO_GROUP_GET_STATUS, &m), EINVAL);
	CHECK_ERRNO(ioctl(c, VFIO_DEVICE_GET_INFO, &m), EINVAL);
	CHECK_ERRNO(ioctl(c, TCGETS, &m), EINVAL);
	close(c);
}

/* After SET_IOMMU, unknown requests go to the sPAPR backend: ENOTTY. */
static void container_after_iommu(void)
{
	struct vf v;
	char junk[64] = { 0 };

	REQUIRE(ic_setup(&v, DEV0));
	CHECK_ERRNO(ioctl(v.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), EINVAL);
	CHECK_ERRNO(ioctl(v.container, VFIO_GROUP_GET_STATUS, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_DEVICE_GET_INFO, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_DIRTY_PAGES + 100, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, TCGETS, junk), ENOTTY);
	if (v.v2) {
		CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_ENABLE), ENOTTY);
		CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_DISABLE), ENOTTY);
	} else {
		CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, junk), ENOTTY);
		CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_CREATE, junk), ENOTTY);
		CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_ENABLE), EBUSY);
	}
	ic_teardown(&v);
}

static void group_requests(void)
{
	struct vfio_group_status st = { .argsz = 7 };
	int g = ic_open_group(DEV0), c = open("/dev/vfio/vfio", O_RDWR), p[2];
	int bad = 1000;

	REQUIRE(g >= 0 && c >= 0 && !pipe(p));
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	st.argsz = sizeof(st);
	CHECK_OK(ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	CHECK_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	CHECK_ERRNO(ioctl(g, VFIO_GET_API_VERSION), ENOTTY);
	CHECK_ERRNO(ioctl(g, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), ENOTTY);
	CHECK_ERRNO(ioctl(g, VFIO_DEVICE_GET_INFO, &st), ENOTTY);
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_UNSET_CONTAINER), EINVAL); /* not set */
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, DEV0), EINVAL); /* no container */
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), EBADF);
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &p[0]), EINVAL); /* a pipe */
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &g), EINVAL);    /* a group */
	CHECK_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EINVAL); /* already set */
	CHECK_OK(ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	CHECK_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, DEV0), EINVAL); /* no IOMMU yet */
	CHECK_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	close(p[0]);
	close(p[1]);
	close(g);
	close(c);
}

static void group_device_names(void)
{
	struct vf v;
	int d;

	REQUIRE(ic_setup(&v, DEV0));
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, DEV1), ENODEV); /* another group's */
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, ""), ENODEV);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, NULL), EFAULT);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, noaccess()), EFAULT);
	d = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, DEV0);
	CHECK_OK(d);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY); /* a device is open */
	if (d >= 0)
		close(d);
	CHECK_OK(ioctl(v.group, VFIO_GROUP_UNSET_CONTAINER));
	ic_teardown(&v);
}

static void device_requests(void)
{
	struct vfio_device_info info = { .argsz = 15 };
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = VFIO_PCI_NUM_REGIONS };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_NUM_IRQS };
	void *volatile null_buf = NULL; /* hidden from the compiler's nonnull check */
	struct vf v;

	REQUIRE(ic_setup(&v, DEV0) && ic_device(&v, DEV0));
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	info.argsz = sizeof(info);
	CHECK_OK(ioctl(v.device, VFIO_DEVICE_GET_INFO, &info));
	CHECK_EQ(info.num_regions, VFIO_PCI_NUM_REGIONS);
	CHECK_EQ(info.num_irqs, VFIO_PCI_NUM_IRQS);
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, &reg), EINVAL);
	reg.argsz = 31;
	reg.index = 0;
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, &reg), EINVAL);
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), EINVAL);
	CHECK_ERRNO(ioctl(v.device, VFIO_GET_API_VERSION), ENOTTY);
	CHECK_ERRNO(ioctl(v.device, VFIO_GROUP_GET_STATUS, &info), ENOTTY);
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_FEATURE + 10, &info), ENOTTY);
	CHECK_ERRNO(ioctl(v.device, TCGETS, &info), ENOTTY);
	/* Region accesses: past config space is EFAULT for the whole access; no region 9. */
	CHECK_ERRNO(pread(v.device, &info, 8, v.config + 4092), EFAULT);
	CHECK_ERRNO(pread(v.device, &info, 4, 9ull << 40), EINVAL);
	CHECK_ERRNO(pread(v.device, null_buf, 4, v.bar0 + REG_ID), EFAULT);
	CHECK_ERRNO(pread(v.device, noaccess(), 4, v.bar0 + REG_ID), EFAULT);
	ic_teardown(&v);
}

/* Every struct request of the container with argsz one byte short: EINVAL. */
static void short_argsz(void)
{
	static const struct {
		unsigned long req;
		uint32_t minsz;
	} reqs[] = {
		{ VFIO_IOMMU_SPAPR_TCE_GET_INFO, 16 }, { VFIO_IOMMU_MAP_DMA, 32 },
		{ VFIO_IOMMU_UNMAP_DMA, 24 },         { VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 24 },
		{ VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 24 }, { VFIO_IOMMU_SPAPR_TCE_CREATE, 40 },
		{ VFIO_IOMMU_SPAPR_TCE_REMOVE, 16 }, { VFIO_EEH_PE_OP, 12 },
	};
	uint8_t *buf = anon(2 * PAGE);
	uint32_t argsz;
	struct vf v;
	size_t i;

	REQUIRE(buf && ic_setup(&v, DEV0));
	REQUIRE(!v.v2 || !ic_register(&v, buf, PAGE)); /* enabled: MAP's argsz is checked */
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		bool v2only = reqs[i].req == VFIO_IOMMU_SPAPR_REGISTER_MEMORY ||
			      reqs[i].req == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY ||
			      reqs[i].req == VFIO_IOMMU_SPAPR_TCE_CREATE ||
			      reqs[i].req == VFIO_IOMMU_SPAPR_TCE_REMOVE;

		if (v2only && !v.v2)
			continue;
		memset(buf + PAGE, 0, 64);
		for (argsz = 0; argsz < reqs[i].minsz; argsz += reqs[i].minsz - 1) {
			memcpy(buf + PAGE, &argsz, 4);
			errno = 0;
			if (ioctl(v.container, reqs[i].req, buf + PAGE) != -1 || errno != EINVAL)
				ic_fail(__FILE__, __LINE__, "request %#lx argsz %u: %s, want EINVAL",
					reqs[i].req, argsz, ic_errname(errno));
		}
	}
	ic_teardown(&v);
}

/*
 * Each struct request with its argument NULL, unmapped, unreadable, or cut
 * by an unmapped page after its first bytes: EFAULT, and the client lives.
 */
static void bad_pointers(void)
{
	static const unsigned long reqs[] = {
		VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA,
		VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
		VFIO_IOMMU_SPAPR_TCE_CREATE, VFIO_IOMMU_SPAPR_TCE_REMOVE, VFIO_EEH_PE_OP,
	};
	uint8_t *two = anon(2 * PAGE), *buf = anon(PAGE);
	void *ptrs[3] = { NULL, ic_unmapped_page(), noaccess() };
	struct vf v;
	size_t i, j;
	int rc;

	REQUIRE(two && buf && ic_setup(&v, DEV0));
	REQUIRE(!v.v2 || !ic_register(&v, buf, PAGE));
	munmap(two + PAGE, PAGE); /* a struct whose argsz is readable and the rest is not */
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		uint32_t *cut = (uint32_t *)(two + PAGE - 8);

		if (!v.v2 && reqs[i] != VFIO_IOMMU_SPAPR_TCE_GET_INFO && reqs[i] != VFIO_IOMMU_MAP_DMA &&
		    reqs[i] != VFIO_IOMMU_UNMAP_DMA && reqs[i] != VFIO_EEH_PE_OP)
			continue;
		for (j = 0; j < 3; j++) {
			errno = 0;
			if (ioctl(v.container, reqs[i], ptrs[j]) != -1 || errno != EFAULT)
				ic_fail(__FILE__, __LINE__, "request %#lx at %p: %s, want EFAULT",
					reqs[i], ptrs[j], ic_errname(errno));
		}
		cut[0] = 40;
		cut[1] = 0;
		errno = 0;
		rc = ioctl(v.container, reqs[i], cut);
		CHECK_WHY(rc == -1 && errno == EFAULT,
			  "a struct whose first 8 bytes are readable and the rest unmapped (argsz "
			  "40): request %#lx returned %d (%s); the kernel's copy_from_user of the "
			  "request's minimum size fails with EFAULT", reqs[i], rc,
			  rc < 0 ? ic_errname(errno) : "success");
	}
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_STATUS, NULL), EFAULT);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_GET_STATUS, noaccess()), EFAULT);
	CHECK_ERRNO(ioctl(v.group, VFIO_GROUP_SET_CONTAINER, NULL), EFAULT);
	REQUIRE(ic_device(&v, DEV0));
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_INFO, NULL), EFAULT);
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, ic_unmapped_page()), EFAULT);
	CHECK_ERRNO(ioctl(v.device, VFIO_DEVICE_SET_IRQS, noaccess()), EFAULT);
	ic_teardown(&v);
	munmap(two, PAGE);
	munmap(buf, PAGE);
}

/* GET_INFO into memory the client may read but not write: copy_to_user fails, EFAULT. */
static void readonly_result(void)
{
	struct vfio_iommu_spapr_tce_info *info = anon(PAGE);
	struct vf v;

	REQUIRE(info && ic_setup(&v, DEV0));
	info->argsz = sizeof(*info);
	mprotect(info, PAGE, PROT_READ);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, info), EFAULT);
	mprotect(info, PAGE, PROT_READ | PROT_WRITE);
	CHECK_OK(ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, info));
	CHECK(info->dma32_window_size != 0);
	ic_teardown(&v);
	munmap(info, PAGE);
}

/* v2 registration rules; UNREGISTER of a region TCEs still use is EBUSY (DECISIONS 7). */
static void registration(void)
{
	uint8_t *buf = anon(16 * PAGE);
	struct vf v;

	REQUIRE(buf && ic_setup(&v, DEV0));
	if (!v.v2) {
		ic_teardown(&v);
		return; /* v1 has no registration (container_after_iommu checks ENOTTY) */
	}
	CHECK_ERRNO(ic_unregister(&v, buf, 8 * PAGE), EPERM); /* no owner yet */
	CHECK_ERRNO(ic_register(&v, buf + 1, PAGE), EINVAL);
	CHECK_ERRNO(ic_register(&v, buf, 0), EINVAL);
	CHECK_ERRNO(ic_register(&v, ic_unmapped_page(), PAGE), EFAULT);
	CHECK_ERRNO(ic_register(&v, noaccess(), PAGE), EFAULT);
	CHECK_OK(ic_register(&v, buf, 8 * PAGE));
	CHECK_ERRNO(ic_register(&v, buf, 8 * PAGE), EBUSY);
	CHECK_ERRNO(ic_register(&v, buf + 4 * PAGE, 8 * PAGE), EINVAL); /* overlaps */
	CHECK_ERRNO(ic_unregister(&v, buf, 4 * PAGE), ENOENT);
	CHECK_ERRNO(ic_map(&v, 0x10000, buf + 8 * PAGE, PAGE, VFIO_DMA_MAP_FLAG_READ), EINVAL);
	CHECK_OK(ic_map(&v, 0x10000, buf, 8 * PAGE, VFIO_DMA_MAP_FLAG_READ));
	CHECK_ERRNO(ic_unregister(&v, buf, 8 * PAGE), EBUSY);
	CHECK_OK(ic_unmap(&v, 0x10000, 4 * PAGE));
	CHECK_ERRNO(ic_unregister(&v, buf, 8 * PAGE), EBUSY); /* half still mapped */
	CHECK_OK(ic_unmap(&v, 0x14000, 4 * PAGE));
	CHECK_OK(ic_unregister(&v, buf, 8 * PAGE));
	CHECK_ERRNO(ic_unregister(&v, buf, 8 * PAGE), ENOENT);
	ic_teardown(&v);
	munmap(buf, 16 * PAGE);
}

/* MAP and UNMAP argument rules (DECISIONS 5, 6: EINVAL, never the kernel's +1). */
static void map_rules(void)
{
	uint8_t *buf = anon(16 * PAGE);
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	uint64_t end;
	struct vf v;

	REQUIRE(buf && ic_setup(&v, DEV0));
	REQUIRE(!ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info));
	end = (uint64_t)info.dma32_window_start + info.dma32_window_size;
	if (v.v2) {
		CHECK_ERRNO(ic_map(&v, 0, buf, PAGE, rw), EPERM); /* nothing registered */
		REQUIRE(!ic_register(&v, buf, 16 * PAGE));
	}
	CHECK_ERRNO(ic_map(&v, 0x10000, buf, PAGE, 0), EINVAL);
	CHECK_ERRNO(ic_map(&v, 0x10000, buf, PAGE, rw | 4), EINVAL);
	CHECK_ERRNO(ic_map(&v, 0x10001, buf, PAGE, rw), EINVAL);
	CHECK_ERRNO(ic_map(&v, 0x10000, buf + 1, PAGE, rw), EINVAL);
	CHECK_ERRNO(ic_map(&v, 0x10000, buf, PAGE + 1, rw), EINVAL);
	CHECK_ERRNO(ic_map(&v, 0x10000, buf, 0, rw), EINVAL);
	CHECK_ERRNO(ic_map(&v, end - PAGE, buf, 2 * PAGE, rw), EINVAL); /* runs past the end */
	CHECK_ERRNO(ic_map(&v, end, buf, PAGE, rw), ENXIO);
	CHECK_ERRNO(ic_map(&v, 1ull << 40, buf, PAGE, rw), ENXIO);
	CHECK_ERRNO(ic_unmap(&v, 0x10001, PAGE), EINVAL);
	CHECK_ERRNO(ic_unmap(&v, 0x10000, 0), EINVAL);
	CHECK_ERRNO(ic_unmap(&v, end, PAGE), ENXIO);
	CHECK_OK(ic_unmap(&v, 0x10000, PAGE)); /* never mapped: fine */
	CHECK_OK(ic_map(&v, end - PAGE, buf, PAGE, rw));
	CHECK_OK(ic_map(&v, end - PAGE, buf + PAGE, PAGE, VFIO_DMA_MAP_FLAG_READ)); /* replaces */
	CHECK_OK(ic_unmap(&v, end - PAGE, PAGE));
	if (v.v2)
		CHECK_OK(ic_unregister(&v, buf, 16 * PAGE));
	ic_teardown(&v);
	munmap(buf, 16 * PAGE);
}

/* One open of a group at a time; a closed group opens again; unknown groups do not exist. */
static void double_open(void)
{
	int g = ic_open_group(DEV0), g1 = ic_open_group(DEV1);

	REQUIRE(g >= 0);
	CHECK_ERRNO(ic_open_group(DEV0), EBUSY);
	CHECK_OK(g1); /* another group is independent */
	close(g);
	g = ic_open_group(DEV0);
	CHECK_OK(g);
	CHECK_ERRNO(open("/dev/vfio/4096", O_RDWR), ENOENT);
	CHECK_ERRNO(open("/dev/vfio/noiommu-0", O_RDWR), ENOENT);
	if (g >= 0)
		close(g);
	if (g1 >= 0)
		close(g1);
}

/* v1: one group per container (EBUSY); v2: compatible groups share a container. */
static void second_group(void)
{
	struct vf v;
	int g1 = ic_open_group(DEV1);

	REQUIRE(g1 >= 0 && ic_setup(&v, DEV0));
	if (v.v2)
		CHECK_OK(ioctl(g1, VFIO_GROUP_SET_CONTAINER, &v.container));
	else
		CHECK_ERRNO(ioctl(g1, VFIO_GROUP_SET_CONTAINER, &v.container), EBUSY);
	close(g1);
	ic_teardown(&v);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = {
		IC_CASE(container_before_iommu), IC_CASE(container_after_iommu),
		IC_CASE(group_requests),         IC_CASE(group_device_names),
		IC_CASE(device_requests),        IC_CASE(short_argsz),
		IC_CASE(bad_pointers),           IC_CASE(readonly_result),
		IC_CASE(registration),           IC_CASE(map_rules),
		IC_CASE(double_open),            IC_CASE(second_group),
	};

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
