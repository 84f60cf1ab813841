/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO container through tce_vfio_ioctl() on <linux/vfio.h>'s own
 * requests and structs, end to end on each profile: a client's sequence
 * (powernv and pseries v2: SET_IOMMU, GET_INFO, REGISTER, MAP, device DMA
 * through the window, UNMAP, UNREGISTER, close; legacy v1: ENABLE, MAP
 * pinning, DISABLE), each answer checked against spec/vfio.md §1, the
 * window tce_vfio_container_window() finds for an iova, and the state after
 * the last close: nothing owned, nothing charged, no leak.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_log.h"
#include "tt_vfio.h"

#define MiB (1ull << 20)

static const struct tce_host_config legacy = { .profile = TCE_OS_LEGACY };

/* The page shift of the container's window at @iova, or its negative errno. */
static int window_shift(struct tt_vfio *f, uint64_t iova)
{
	struct tce_iommu_table_info i;
	int rc = tce_vfio_container_window(f->mm, f->cfd, iova, &i);

	return rc ? rc : (int)i.page_shift;
}

static void attach(struct tt_vfio *f, unsigned long type)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	CHECK_RC(tt_vfio_io(f, f->gfd, VFIO_GROUP_GET_STATUS, &st), 0);
	CHECK_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	CHECK_RC(tt_vfio_io(f, f->gfd, VFIO_GROUP_SET_CONTAINER, &f->cfd), 0);
	CHECK_RC(tt_vfio_io(f, f->gfd, VFIO_GROUP_GET_STATUS, &st), 0);
	CHECK_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	CHECK_RC(tt_vfio_io(f, f->cfd, VFIO_SET_IOMMU, (void *)type), 0);
}

static void v2_flow(enum tce_platform p)
{
	struct vfio_iommu_spapr_tce_info info;
	struct tce_group_info gi;
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, p, NULL) == 0);
	tce_group_info(f.g, &gi);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 1);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU), 0);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info),
		 -EINVAL); /* no IOMMU */
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, &f.cfd), 0);
	CHECK(tce_group_owned(f.g));
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_IOMMU), -EPERM);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), -ENODEV);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), -EINVAL);

	memset(&info, 0xa5, sizeof(info));
	info.argsz = 16;
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), 0);
	CHECK_EQ(info.dma32_window_size, gi.tce32_size);
	CHECK_EQ(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
	CHECK_EQ(info.ddw.levels, 0xa5a5a5a5u); /* not written past argsz */
	info.argsz = sizeof(info);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), 0);
	CHECK_EQ(info.ddw.pgsizes, gi.pgsizes);
	CHECK_EQ(info.ddw.levels, gi.max_levels);
	CHECK_EQ(info.ddw.max_dynamic_windows_supported, gi.max_dynamic_windows);

	CHECK_RC(tt_vfio_map(&f, 0, 0, 1 * MiB, VFIO_DMA_MAP_FLAG_READ), -EPERM); /* not enabled */
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 4 * MiB), 0);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 4 * MiB), -EBUSY);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 1 * MiB, 4 * MiB), -EINVAL);
	CHECK_EQ(tce_vfio_mm_locked(f.mm), 4 * MiB);
	CHECK(tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena, 1));
	CHECK(tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena + 4 * MiB - 1, 1));
	CHECK(tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena - 4096, 4097));
	CHECK(!tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena - 4096, 4096));
	CHECK(!tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena + 4 * MiB, 8 * MiB));
	CHECK(!tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena, 0));

	/* The first MAP makes the default window: 4 KiB pages at tce32_start. */
	CHECK_RC(window_shift(&f, gi.tce32_start), -ENXIO); /* still pending */
	CHECK_RC(tt_vfio_map(&f, 0, gi.tce32_start + 4096, 1 * MiB,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	CHECK_RC(window_shift(&f, gi.tce32_start + gi.tce32_size - 1), 12);
	CHECK_RC(window_shift(&f, gi.tce32_start + gi.tce32_size), -ENXIO);
	CHECK(tce_vfio_mm_locked(f.mm) > 4 * MiB); /* the default table is charged */
	CHECK_RC(tt_vfio_dma_rw(&f, gi.tce32_start + 4096 + 100, "through the window"), 0);
	CHECK(memcmp(f.arena + 100, "through the window", 18) == 0);
	CHECK_RC(tt_vfio_map(&f, 4 * MiB, gi.tce32_start, 4096, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	CHECK_RC(tt_vfio_map(&f, 0, gi.tce32_start + 2048, 4096, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	CHECK_RC(tt_vfio_map(&f, 0, gi.tce32_start, 0, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	CHECK_RC(tt_vfio_map(&f, 0, gi.tce32_start, 4096, 0), -EINVAL);
	CHECK_RC(tt_vfio_map(&f, 0, 1ull << 40, 4096, VFIO_DMA_MAP_FLAG_READ), -ENXIO);
	CHECK_RC(tt_vfio_map(&f, 0, gi.tce32_start + gi.tce32_size - 4096, 8192,
			     VFIO_DMA_MAP_FLAG_READ), -EINVAL); /* runs past the window */
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 4 * MiB), -EBUSY);
	CHECK_RC(tt_vfio_unmap(&f, gi.tce32_start + 4096, 1 * MiB), 0);
	CHECK(tt_vfio_dma_rw(&f, gi.tce32_start + 4096, "x") != 0); /* unmapped: a fault */
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 4 * MiB), 0);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 4 * MiB), -ENOENT);
	CHECK_RC(tt_vfio_io(&f, f.cfd, 0x3b00 + 100 + 30, NULL), -ENOTTY);
	tt_vfio_teardown(&f);
}

static void powernv_v2(void)
{
	v2_flow(TCE_PLATFORM_POWERNV);
}

static void pseries_v2(void)
{
	v2_flow(TCE_PLATFORM_PSERIES);
}

/* CREATE and REMOVE: declining the default window, slots, the 64-bit window. */
static void windows(void)
{
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = 16,
						  .window_size = 1ull << 30, .levels = 2 };
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct tce_iommu_table_info wi;
	uint64_t before;
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	CHECK_RC(window_shift(&f, 0), -ENXIO); /* no IOMMU type yet */
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm),
		 0); /* declines the default */
	CHECK_EQ(tce_vfio_mm_locked(f.mm), 0);
	CHECK_RC(window_shift(&f, 0), -ENXIO);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), 0);
	CHECK_EQ(cr.start_addr, 0);
	memset(&wi, 0xa5, sizeof(wi));
	CHECK_RC(tce_vfio_container_window(f.mm, f.cfd, (1ull << 30) - 1, &wi), 0);
	CHECK_EQ(wi.bus_offset, 0);
	CHECK_EQ(wi.window_size, 1ull << 30);
	CHECK_EQ(wi.page_shift, 16);
	CHECK_EQ(wi.entries, (1ull << 30) >> 16);
	CHECK_RC(window_shift(&f, 1ull << 30), -ENXIO);
	CHECK_RC(tce_vfio_container_window(f.mm, f.cfd, 0, NULL), -EINVAL);
	CHECK_RC(tce_vfio_container_window(f.mm, f.gfd, 0, &wi), -EINVAL); /* a group file */
	CHECK_RC(tce_vfio_container_window(f.mm, 999, 0, &wi), -EBADF);
	CHECK_RC(tce_vfio_container_window(NULL, f.cfd, 0, &wi), -EBADF);
	CHECK_RC(tce_vfio_iommu_type(f.mm, f.cfd), VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tce_vfio_iommu_type(f.mm, f.gfd), -EINVAL); /* a group file */
	CHECK_RC(tce_vfio_iommu_type(f.mm, 999), -EBADF);
	CHECK_RC(tce_vfio_iommu_type(NULL, f.cfd), -EBADF);
	before = tce_vfio_mm_locked(f.mm);
	CHECK(before > 0);
	cr.start_addr = 7;
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), 0);
	CHECK_EQ(cr.start_addr, 1ull << 59);
	CHECK_RC(window_shift(&f, (1ull << 59) + (1ull << 30) - 1), 16);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), -ENOSPC);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 8 * MiB), 0);
	CHECK_RC(tt_vfio_map(&f, 1 * MiB, (1ull << 59) + 64 * 1024, 1 * MiB,
			     VFIO_DMA_MAP_FLAG_READ), 0);
	CHECK_RC(tt_vfio_dma_rw(&f, (1ull << 59) + 64 * 1024, "wide"), -EFAULT); /* read only */
	rm.start_addr = (1ull << 59) + 12345; /* any address inside names the window */
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), 0);
	CHECK_RC(window_shift(&f, 1ull << 59), -ENXIO); /* removed */
	CHECK_RC(window_shift(&f, 0), 16);
	CHECK_EQ(tce_vfio_mm_locked(f.mm), before + 8 * MiB);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), -EINVAL);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 8 * MiB),
		 0); /* no TCE left */
	cr.flags = 1;
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	CHECK_EQ(tce_vfio_mm_locked(f.mm), 0);
	CHECK(!tce_group_owned(f.g));
	tt_vfio_teardown(&f);
}

static void legacy_v1(void)
{
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_PSERIES, &legacy) == 0);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, &f.cfd), 0);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), -EPERM);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_IOMMU), 0);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 4 * MiB), -ENOTTY);
	CHECK_RC(tt_vfio_map(&f, 0, 0, 4096, VFIO_DMA_MAP_FLAG_READ), -EPERM);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_ENABLE, NULL), 0);
	CHECK_RC(window_shift(&f, 8192), 12); /* the borrowed 32-bit window */
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_ENABLE, NULL), -EBUSY);
	CHECK(tce_vfio_mm_locked(f.mm) > 0);
	CHECK_RC(tt_vfio_map(&f, 0, 8192, 64 * 1024,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	CHECK_RC(tt_vfio_dma_rw(&f, 8192 + 8, "legacy"), 0);
	CHECK(memcmp(f.arena + 8, "legacy", 6) == 0);
	CHECK(tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena, 64 * 1024)); /* v1 pins each page */
	CHECK_RC(tt_vfio_unmap(&f, 8192, 64 * 1024), 0);
	CHECK(!tce_vfio_mm_pinned(f.mm, (uint64_t)f.arena, 64 * 1024)); /* released */
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_DISABLE, NULL), 0);
	CHECK_EQ(tce_vfio_mm_locked(f.mm), 0);
	tt_vfio_teardown(&f);
}


/*
 * A group joining a v2 container gets every window of it: the VF's PE
 * (one slot) cannot take a container's second window and is refused,
 * given back to the kernel; with one window it joins.
 */
static void second_group_windows(void)
{
	struct tce_group *gb;
	struct tt_vfio f;
	int bfd;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_create(&f, 16, 1ull << 30, 1, NULL), 0); /* the default and window 1 */
	gb = tce_device_group(f.o.b);
	bfd = tce_vfio_open_group(f.mm, gb);
	REQUIRE(bfd >= 0);
	CHECK_RC(tt_vfio_io(&f, bfd, VFIO_GROUP_SET_CONTAINER, &f.cfd), -EINVAL);
	CHECK(!tce_group_owned(gb));
	CHECK_RC(tt_vfio_remove(&f, 1ull << 59), 0);
	CHECK_RC(tt_vfio_io(&f, bfd, VFIO_GROUP_SET_CONTAINER, &f.cfd), 0);
	CHECK(tce_group_owned(gb));
	CHECK_RC(tce_vfio_close(f.mm, bfd), 0);
	CHECK(!tce_group_owned(gb));
	tt_vfio_teardown(&f);
}

/*
 * Two containers of one process registering the same range: the second
 * only counts another registration of the first's region. When its own
 * list cannot grow (fail-Nth), the count is given back: the first
 * container's UNREGISTER then frees the region and refunds it.
 */
static void shared_region_fail(void)
{
	struct tce_group *gb;
	uint64_t n;
	struct tt_vfio f;
	int c2, bfd;
	long rc;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	gb = tce_device_group(f.o.b);
	c2 = tce_vfio_open_container(f.mm);
	bfd = tce_vfio_open_group(f.mm, gb);
	REQUIRE(c2 >= 0 && bfd >= 0);
	CHECK_RC(tt_vfio_io(&f, bfd, VFIO_GROUP_SET_CONTAINER, &c2), 0);
	CHECK_RC(tt_vfio_io(&f, c2, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	for (n = 1; n < 100 && !tt_failed(); n++) {
		struct vfio_iommu_spapr_register_memory reg = {
			.argsz = sizeof(reg), .vaddr = (uintptr_t)f.arena, .size = 1 * MiB };
		bool armed;

		CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 1 * MiB), 0);
		tce_ctx_set_fail_nth(tce_machine_ctx(f.o.m), n);
		rc = tt_vfio_io(&f, c2, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg);
		armed = tce_ctx_fail_nth_armed(tce_machine_ctx(f.o.m));
		tce_ctx_set_fail_nth(tce_machine_ctx(f.o.m), 0);
		if (!rc)
			CHECK_RC(tt_vfio_io(&f, c2, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &reg), 0);
		else
			CHECK_RC(rc, -ENOMEM);
		CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 1 * MiB), 0);
		CHECK_EQ(tce_vfio_mm_locked(f.mm), 0); /* the region went with its last count */
		CHECK(!tce_vfio_mm_pinned(f.mm, (uintptr_t)f.arena, 1 * MiB));
		if (!rc && armed)
			break;
	}
	CHECK_RC(tce_vfio_close(f.mm, bfd), 0);
	CHECK_RC(tce_vfio_close(f.mm, c2), 0);
	tt_vfio_teardown(&f);
}

/*
 * A v2 MAP_DMA that fails part-way (fail-Nth: the address mirror's or the
 * table's levels) leaves its region with no page counted as mapped:
 * UNREGISTER then succeeds.
 */
static void failed_map_leaves_region_free(void)
{
	struct tt_vfio f;
	uint64_t n, start = 0;
	unsigned said = 0;
	struct tt_log log;
	long rc;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	/* A window of two levels, made first: the faults below meet the map's own levels. */
	CHECK_RC(tt_vfio_remove(&f, 0), 0);
	CHECK_RC(tt_vfio_create(&f, 16, 1ull << 34, 2, &start), 0);
	for (n = 1; n < 200 && !tt_failed(); n++) {
		bool armed;

		CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 1 * MiB), 0);
		tt_log_keep(tce_machine_ctx(f.o.m), &log, TCE_LOG_NOTICE);
		tce_ctx_set_fail_nth(tce_machine_ctx(f.o.m), n);
		rc = tt_vfio_map(&f, 0, start, 64 * 1024, VFIO_DMA_MAP_FLAG_READ);
		armed = tce_ctx_fail_nth_armed(tce_machine_ctx(f.o.m));
		tce_ctx_set_fail_nth(tce_machine_ctx(f.o.m), 0);
		tt_log_stop(tce_machine_ctx(f.o.m));
		said += !strcmp(log.last, "vfio: no memory for the window's table or its address "
					   "mirror");
		if (!rc)
			CHECK_RC(tt_vfio_unmap(&f, start, 64 * 1024), 0);
		else
			CHECK_RC(rc, -ENOMEM);
		CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 1 * MiB), 0);
		if (!rc && armed)
			break;
	}
	CHECK(n > 1 && n < 200); /* some failed, then one went through */
	CHECK(said >= 1);         /* and said why */
	tt_vfio_teardown(&f);
}

/* File numbers: dup, share to another process, one open per group, kinds. */
static void files(void)
{
	struct tce_vfio_mm *other;
	struct tce_group *g;
	int d, o, ofd;
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	g = f.g;
	CHECK_RC(tce_vfio_mm_create(NULL, NULL, &other), -EINVAL);
	CHECK_RC(tce_vfio_mm_create(tce_machine_ctx(f.o.m), NULL, NULL), -EINVAL);
	CHECK_RC(tce_vfio_open_group(NULL, g), -EINVAL);
	CHECK_RC(tce_vfio_open_group(f.mm, NULL), -EINVAL);
	CHECK_RC(tce_vfio_kind(f.mm, f.cfd), TCE_VFIO_CONTAINER);
	CHECK_RC(tce_vfio_kind(f.mm, f.gfd), TCE_VFIO_GROUP);
	CHECK_RC(tce_vfio_kind(f.mm, 99), -EBADF);
	CHECK_RC(tce_vfio_kind(f.mm, -1), -EBADF);
	CHECK_RC(tce_vfio_open_group(f.mm, g), -EBUSY);
	d = tce_vfio_dup(f.mm, f.gfd);
	CHECK(d > f.gfd);
	CHECK_RC(tce_vfio_close(f.mm, f.gfd), 0);
	CHECK_RC(tce_vfio_close(f.mm, f.gfd), -EBADF);
	CHECK_RC(tce_vfio_open_group(f.mm, g), -EBUSY); /* the dup keeps it open */
	f.gfd = d;
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, NULL), -EFAULT);
	o = 77;
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, &o), -EBADF);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, &f.gfd),
		 -EINVAL); /* not a container */
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_SET_CONTAINER, &f.cfd),
		 -EINVAL); /* already set */

	/* Another process holding the same container: -EPERM once this one owns it. */
	REQUIRE(tce_vfio_mm_create(tce_machine_ctx(f.o.m), NULL, &other) == 0);
	ofd = tce_vfio_share(f.mm, f.cfd, other);
	CHECK(ofd >= 0);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 1 * MiB), 0);
	{
		struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };

		CHECK_RC(tce_vfio_ioctl(other, ofd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), -EPERM);
		CHECK_RC(tce_vfio_ioctl(other, ofd, 0x3b00 + 100 + 30, NULL), -EPERM);
		CHECK_RC(tce_vfio_ioctl(other, ofd, VFIO_CHECK_EXTENSION,
					(void *)VFIO_SPAPR_TCE_v2_IOMMU), 1);
	}
	tce_vfio_mm_destroy(other);
	{ /* the file table grows past its first 16 numbers and keeps the files it had */
		int fds[40], i;

		for (i = 0; i < 40; i++)
			fds[i] = tce_vfio_open_container(f.mm);
		for (i = 0; i < 40; i++) {
			CHECK(fds[i] >= 0);
			CHECK_RC(tce_vfio_kind(f.mm, fds[i]), TCE_VFIO_CONTAINER);
		}
		CHECK_RC(tce_vfio_kind(f.mm, f.gfd), TCE_VFIO_GROUP);
		for (i = 0; i < 40; i++)
			CHECK_RC(tce_vfio_close(f.mm, fds[i]), 0);
	}
	tt_vfio_teardown(&f);
}

/* GROUP_GET_DEVICE_FD: names as vfio-pci matches them; device files hold the group. */
static void devices(void)
{
	static char tok[] = "0000:00:01.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258";
	struct tce_device *d;
	int dev, dev2;
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0"),
		 -EINVAL); /* no container */
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, NULL), -EFAULT);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), -ENODEV);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:02.0"),
		 -ENODEV); /* PE 1 */
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0x"), -ENODEV);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0 junk"), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, tok),
		 -EINVAL); /* not a PF or VF */
	{
		static char name[4097];

		memset(name, 'x', 4095); /* under a page: looked up (and not found) */
		CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, name), -ENODEV);
		name[4095] = 'x'; /* a page or more: strndup_user() refuses it */
		CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, name), -EINVAL);
	}
	dev = (int)tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	CHECK(dev >= 0);
	dev2 = (int)tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0  ");
	CHECK(dev2 >= 0 && dev2 != dev);
	CHECK_RC(tce_vfio_kind(f.mm, dev), TCE_VFIO_DEVICE);
	CHECK_RC(tce_vfio_device(f.mm, dev, &d), 0);
	CHECK(d == f.o.a);
	CHECK_RC(tce_vfio_device(f.mm, f.gfd, &d), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY);
	CHECK_RC(tce_vfio_close(f.mm, dev2), 0);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY);
	CHECK_RC(tce_vfio_close(f.mm, f.gfd), 0); /* the device file keeps the group */
	CHECK(tce_group_owned(f.g));
	CHECK_RC(tce_vfio_open_group(f.mm, f.g), -EBUSY);
	CHECK_RC(tce_vfio_close(f.mm, dev), 0);
	CHECK(!tce_group_owned(f.g));
	f.gfd = tce_vfio_open_group(f.mm, f.g);
	CHECK(f.gfd >= 0);
	tt_vfio_teardown(&f);
}

static long eeh(struct tt_vfio *f, uint32_t op, uint32_t argsz)
{
	struct vfio_eeh_pe_op e = { .argsz = argsz, .op = op,
				    .err = { .type = 0, .func = 0, .addr = 0, .mask = 0 } };

	return tt_vfio_io(f, f->cfd, VFIO_EEH_PE_OP, &e);
}

/* EEH_PE_OP on the container's group: state as the return value, freeze, thaw, reset. */
static void eeh_ops(void)
{
	struct tt_vfio f;
	char b;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_NORMAL);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 11), -EINVAL);
	CHECK_RC(eeh(&f, 10, 12), -EINVAL);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_ENABLE, 12), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_CONFIGURE, 12), 0);
	/* A DMA fault freezes the PE. */
	CHECK(tce_dev_dma_read(tce_device_pci(f.o.a), 0x1000, &b, 1) != 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_STOPPED);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_UNFREEZE_IO, 12), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_STOPPED_DMA);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_UNFREEZE_DMA, 12), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_NORMAL);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_RESET_HOT, 12), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_RESET);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_RESET_DEACTIVATE, 12), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 12), VFIO_EEH_PE_STATE_NORMAL);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_INJECT_ERR, 39), -EINVAL);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_INJECT_ERR, 40), 0);
	tt_vfio_teardown(&f);
}

/* Before SET_IOMMU: EINVAL for the driver's requests; after: ENOTTY for unknown ones. */
static void dispatch(void)
{
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_MAP_DMA, NULL), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_EEH_PE_OP, NULL), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), -EINVAL);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_SPAPR_TCE_IOMMU), 1);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_EEH), 1);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_IOMMU), 0);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)~0ul), 0);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_IOMMU_MAP_DMA, NULL), -ENOTTY);
	CHECK_RC(tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_STATUS, NULL), -EFAULT);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_ENABLE, NULL), -ENOTTY);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_GROUP_GET_STATUS, NULL), -ENOTTY);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_MAP_DMA, NULL), -EPERM); /* not enabled */
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, NULL), -EFAULT);
	CHECK_RC(tt_vfio_io(&f, f.cfd, VFIO_CHECK_EXTENSION, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 1);
	tt_vfio_teardown(&f);
}

static uint64_t bar_rd(struct tt_vfio *f, int dev, uint64_t off, size_t size)
{
	uint64_t v = 0;

	CHECK_RC(tce_vfio_device_rw(f->mm, dev, off, &v, size, false), (long)size);
	return v;
}

static void bar_wr(struct tt_vfio *f, int dev, uint64_t off, uint64_t v, size_t size)
{
	CHECK_RC(tce_vfio_device_rw(f->mm, dev, off, &v, size, true), (long)size);
}

/* The device file: info, regions, config and BAR access, MSI-X to an eventfd, reset. */
static void device_file(void)
{
	const uint64_t cfg = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40, iova = 0x10000;
	struct vfio_device_info di = { .argsz = 16 };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq;
	struct pollfd pfd;
	uint64_t v, one;
	void *bar;
	int dev, efd, i;
	struct tt_vfio f;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	CHECK_RC(tt_vfio_reg(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 4 * MiB), 0);
	CHECK_RC(tt_vfio_map(&f, 0, iova, 1 * MiB,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	dev = (int)tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	REQUIRE(dev >= 0);

	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_INFO, &di), 0);
	CHECK_EQ(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	CHECK_EQ(di.num_regions, 9);
	CHECK_EQ(di.num_irqs, 5);
	di.argsz = 15;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	ri.index = 0;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	CHECK_EQ(ri.size, TCE_DT_BAR0_SIZE);
	CHECK_EQ(ri.offset, 0);
	CHECK_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			   VFIO_REGION_INFO_FLAG_MMAP);
	ri.index = 1;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	CHECK_EQ(ri.size, 0);
	CHECK_EQ(ri.flags, 0);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	CHECK_EQ(ri.size, 4096);
	CHECK_EQ(ri.offset, cfg);
	CHECK_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ri.index = 9;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
	CHECK_EQ(ii.count, TCE_DT_MSIX_VECTORS);
	CHECK_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
	CHECK_EQ(ii.count, 0);

	CHECK_EQ(bar_rd(&f, dev, cfg, 4), TCE_DT_VENDOR | TCE_DT_DEVICE << 16);
	CHECK_RC(tce_vfio_device_rw(f.mm, dev, cfg + 4092, &v, 8, false), -EFAULT);
	CHECK_EQ(bar_rd(&f, dev, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
	CHECK_EQ(bar_rd(&f, dev, TCE_DT_MSIX_TABLE, 4), 0xffffffffu); /* not through the BAR */
	CHECK_RC(tce_vfio_device_rw(f.mm, dev, TCE_DT_BAR0_SIZE - 4, &v, 8, false), 4);
	CHECK_RC(tce_vfio_device_rw(f.mm, dev, TCE_DT_BAR0_SIZE, &v, 8, false), -EINVAL);
	CHECK_RC(tce_vfio_device_rw(f.mm, dev, 1ull << 40, &v, 8, false), -EINVAL);
	CHECK_RC(tce_vfio_device_mmap(f.mm, dev, 0, TCE_DT_BAR0_SIZE, &bar), 0);
	CHECK_RC(tce_vfio_device_mmap(f.mm, dev, 4096, TCE_DT_BAR0_SIZE, &bar), -EINVAL);
	CHECK_RC(tce_vfio_device_mmap(f.mm, dev, cfg, 4096, &bar), -EINVAL);
	CHECK_RC(tce_vfio_device_mmap(f.mm, f.cfd, 0, 4096, &bar), -EINVAL); /* a container */
	CHECK_RC(tce_vfio_device_mmap(f.mm, f.gfd, 0, 4096, &bar), -EINVAL); /* a group */
	CHECK_RC(tce_vfio_device_mmap(f.mm, 999, 0, 4096, &bar), -EBADF);

	/* Bus mastering, an eventfd on the completion vector, a doorbell copy. */
	bar_wr(&f, dev, cfg + TCE_PCI_COMMAND, bar_rd(&f, dev, cfg + TCE_PCI_COMMAND, 2) |
	       TCE_PCI_COMMAND_MASTER, 2);
	efd = eventfd(0, EFD_NONBLOCK);
	REQUIRE(efd >= 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
				      .flags = VFIO_IRQ_SET_DATA_EVENTFD |
					       VFIO_IRQ_SET_ACTION_TRIGGER,
				      .start = 0, .count = 1 };
	irq.fd = efd;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s.count = 5;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq), -EINVAL); /* 4 vectors */
	irq.s.count = 1;
	irq.fd = 1; /* stdout is not an eventfd */
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq), -EINVAL);
	irq.fd = efd;
	/* MSI-X is on with one vector: triggering two is past them */
	irq.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.s.count = 2;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq), -EINVAL);
	irq.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.s.count = 1;
	/* the error interrupt: an eventfd, then a trigger with no data signals it */
	{
		int efd2 = eventfd(0, EFD_NONBLOCK);
		struct { struct vfio_irq_set s; int32_t fd; } e = {
			.s = { .argsz = sizeof(e), .index = VFIO_PCI_ERR_IRQ_INDEX,
			       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			       .start = 0, .count = 1 }, .fd = efd2 };

		REQUIRE(efd2 >= 0);
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &e), 0);
		e.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		e.s.argsz = sizeof(e.s);
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &e), 0);
		CHECK_RC(read(efd2, &one, 8), 8);
		CHECK_EQ(one, 1);
		e.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &e), -ENOTTY); /* not emulated */
		e.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		e.s.argsz = sizeof(e), e.fd = -1; /* off */
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &e), 0);
		close(efd2);
	}
	for (i = 0; i < 64; i++)
		f.arena[i] = (uint8_t)(i * 7);
	memset(f.arena + 4096, 0, 64);
	bar_wr(&f, dev, TCE_DT_REG_SRC, iova, 8);
	bar_wr(&f, dev, TCE_DT_REG_DST, iova + 4096, 8);
	bar_wr(&f, dev, TCE_DT_REG_LEN, 64, 8);
	bar_wr(&f, dev, TCE_DT_REG_DOORBELL, TCE_DT_DOORBELL_COPY, 4);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	CHECK_RC(poll(&pfd, 1, 5000), 1);
	CHECK_RC(read(efd, &one, 8), 8);
	CHECK_EQ(one, 1);
	CHECK(memcmp(f.arena, f.arena + 4096, 64) == 0);
	CHECK_EQ(bar_rd(&f, dev, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_DONE);

	/* Reset: the registers go back, the config vfio-pci restores stays. */
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_RESET, NULL), 0);
	CHECK_EQ(bar_rd(&f, dev, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_IDLE);
	CHECK(bar_rd(&f, dev, cfg + TCE_PCI_COMMAND, 2) & TCE_PCI_COMMAND_MASTER);
	irq.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.s.count = 0;
	CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq), 0);
	CHECK_RC(tt_vfio_io(&f, dev, 0x3b00 + 100 + 40, NULL), -ENOTTY);
	close(efd);
	CHECK_RC(tce_vfio_close(f.mm, dev), 0);
	tt_vfio_teardown(&f);
}

/* Turning MSI-X on needs memory: a failure is -ENOMEM and MSI-X stays off. */
static void msix_enable_fails(void)
{
	struct { struct vfio_irq_set s; int32_t fd; } irq = {
		.s = { .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       .start = 0, .count = 1 } };
	struct vfio_irq_set none = { .argsz = sizeof(none), .index = VFIO_PCI_MSIX_IRQ_INDEX,
				     .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				     .start = 0, .count = 1 };
	struct tce_ctx *ctx;
	struct tt_vfio f;
	uint64_t n;
	int dev;
	long rc;

	REQUIRE(tt_vfio_setup(&f, TCE_PLATFORM_POWERNV, NULL) == 0);
	attach(&f, VFIO_SPAPR_TCE_v2_IOMMU);
	ctx = tce_machine_ctx(f.o.m);
	dev = (int)tt_vfio_io(&f, f.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	REQUIRE(dev >= 0);
	irq.fd = eventfd(0, EFD_NONBLOCK);
	REQUIRE(irq.fd >= 0);
	for (n = 1; n < 50; n++) {
		bool armed;

		tce_ctx_set_fail_nth(ctx, n);
		rc = tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &irq);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		if (rc) {
			CHECK_RC(rc, -ENOMEM);
			CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &none), -EINVAL); /* off */
			continue;
		}
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &none), 0); /* on */
		if (armed)
			break;
		none.count = 0; /* off again */
		CHECK_RC(tt_vfio_io(&f, dev, VFIO_DEVICE_SET_IRQS, &none), 0);
		none.count = 1;
	}
	close(irq.fd);
	CHECK_RC(tce_vfio_close(f.mm, dev), 0);
	tt_vfio_teardown(&f);
}

static const struct tt_case cases[] = {
	TT_CASE(powernv_v2), TT_CASE(pseries_v2), TT_CASE(windows), TT_CASE(legacy_v1),
	TT_CASE(files),      TT_CASE(devices),    TT_CASE(eeh_ops), TT_CASE(dispatch),
	TT_CASE(device_file), TT_CASE(second_group_windows), TT_CASE(shared_region_fail),
	TT_CASE(msix_enable_fails),
	TT_CASE(failed_map_leaves_region_free),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
