/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS side through <tce.h>, on both built-in machines: booting groups
 * and their default windows, kernel DMA with the DMA-test device, dynamic
 * windows for 64-bit devices (direct, dynamic, single-slot PEs, fallback on
 * failure), ownership hand-off and back (100 times, no leak, accounting back
 * to its start), table-group ops and their errors, clear-before-unset, a
 * powernv table shared by two PEs with kills fanned out, and a powernv
 * platform that skips its kills caught by the TCE cache.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_os.h"
#include "tt_table.h"

static void groups_boot(void)
{
	struct tce_group_info gi;
	struct tce_device *c = NULL;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_EQ(tce_host_ngroups(o.h), 3);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.tce32_start, 0);
	CHECK_EQ(gi.tce32_size, 2ULL << 30);
	CHECK_EQ(gi.pgsizes, 0x1211000);
	CHECK_EQ(gi.max_dynamic_windows, 2);
	CHECK_EQ(gi.max_levels, 1);
	tce_group_info(tce_device_group(o.b), &gi);
	CHECK_EQ(gi.tce32_size, 256ULL << 20);
	CHECK_EQ(gi.max_dynamic_windows, 1);
	/* The third group is the I/OAT channel's (PE 2): its own 2 GiB default window. */
	CHECK_RC(tce_host_find_device(o.h, "0000:00:03.0", &c), 0);
	REQUIRE(c != NULL);
	CHECK(tce_device_group(c) == tce_host_group(o.h, 2));
	tce_group_info(tce_device_group(c), &gi);
	CHECK_EQ(gi.tce32_start, 0);
	CHECK_EQ(gi.tce32_size, 2ULL << 30);
	CHECK_EQ(gi.max_dynamic_windows, 2);
	CHECK(tce_host_group(o.h, 3) == NULL);
	tt_os_shutdown(&o);
	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	CHECK_EQ(tce_host_ngroups(o.h), 3);
	CHECK(tce_host_group(o.h, 3) == NULL);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.pgsizes, (1ULL << 12) | (1ULL << 16) | (1ULL << 21) | (1ULL << 30));
	CHECK_EQ(gi.max_levels, 3); /* 64 KiB host pages: 4 levels break the 55-bit rule */
	CHECK_EQ(gi.max_dynamic_windows, 2);
	tt_os_shutdown(&o);
}

/*
 * The OS's host page size (DECISIONS 21): every level count on both hosts.
 * max_levels says what create_table really builds; table_size refuses
 * exactly what create_table refuses; the kernel's default window uses TCEs
 * of the host page.
 */
static void host_page_sizes(void)
{
	static const uint32_t hosts[2] = { 12, 16 };
	struct tce_device_dma_info di;
	struct tce_group_info gi;
	struct tce_iommu_table *t;
	struct tce_iommu_table_info ti;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *d;
	uint64_t bytes;
	unsigned k;
	uint32_t levels, shift;

	for (k = 0; k < 2; k++) {
		struct tce_host_config cfg = { .page_shift = hosts[k] };

		REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
		REQUIRE(tce_host_create_config(m, &cfg, &h) == 0);
		REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
		tce_group_info(tce_device_group(d), &gi);
		CHECK_EQ(gi.max_levels, hosts[k] == 12 ? 4 : 3);
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.page_shift, hosts[k]);
		REQUIRE(tce_group_take_ownership(tce_device_group(d)) == 0);
		for (shift = 12; shift <= 30; shift += shift == 12 ? 4 : shift == 16 ? 5 : 9) {
			for (levels = 1; levels <= 6; levels++) {
				struct tce_window_req req = { .num = 1, .page_shift = shift,
							      .window_size = 1ULL << 40, .levels = levels };
				int sz = tce_group_table_size(tce_device_group(d), shift, 1ULL << 40, levels,
							      &bytes);
				int rc = tce_group_create_table(tce_device_group(d), &req, &t);

				CHECK_RC(rc, sz);
				CHECK(levels <= gi.max_levels || rc == -EINVAL);
				if (rc)
					continue;
				tce_iommu_table_info(t, &ti);
				CHECK_EQ(ti.levels, levels);
				CHECK_RC(tce_iommu_table_update(t, ti.first_idx + ti.entries - 1, 1, 0x40000000,
								TCE_DIR_TO_DEVICE), 0);
				CHECK_RC(tce_group_set_window(tce_device_group(d), 1, t), 0);
				CHECK_RC(tce_group_unset_window(tce_device_group(d), 1), 0);
				tce_iommu_table_put(t);
			}
		}
		/* 4 levels of 4 KiB TCEs over 2^44 bytes: only on a 4 KiB host. */
		{
			struct tce_window_req req = { .num = 1, .page_shift = 12,
						      .window_size = 1ULL << 44, .levels = 4 };

			CHECK_RC(tce_group_create_table(tce_device_group(d), &req, &t),
				 hosts[k] == 12 ? 0 : -EINVAL);
			if (hosts[k] == 12)
				tce_iommu_table_put(t);
		}
		CHECK_RC(tce_group_release_ownership(tce_device_group(d)), 0);
		tce_host_destroy(h);
		tce_machine_destroy(m);
	}
}

static void kernel_dma(void)
{
	struct tce_device_dma_info di;
	enum tce_platform p;
	struct tt_os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_os_boot(&o, p) == 0);
		tce_device_dma_info(o.a, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
		tt_os_kernel_copy(&o, o.a, 3 * 4096 + 100);
		tt_os_kernel_copy(&o, o.b, 70000);
		tt_os_shutdown(&o);
	}
}

static void ddw_pseries(void)
{
	struct tce_device_dma_info di;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, 0), -EINVAL);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_EQ(di.bus_start, 1ULL << 59); /* the default window keeps bus 0 */
	CHECK_EQ(di.size, 4ULL << 30);
	CHECK_EQ(di.page_shift, 24);           /* the largest page offered */
	tt_os_kernel_copy(&o, o.a, 5000);
	/* The VF's single slot: its default window goes, the DDW lands at 0 in slot 0. */
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_EQ(di.bus_start, 0);
	CHECK_EQ(di.slot, 0);
	tt_os_kernel_copy(&o, o.b, 5000);
	tt_os_shutdown(&o);
}

/* A small largest block forces a dynamic window used through the allocator. */
static void ddw_dynamic(void)
{
	static char blob[1 << 16];
	struct tce_machine *ref, *m;
	struct tce_device_dma_info di;
	fdt32_t block[2] = { 0, cpu_to_fdt32(64) };
	struct tt_os o;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	REQUIRE(fdt_open_into(tce_machine_fdt(ref), blob, sizeof(blob)) == 0);
	tce_machine_destroy(ref);
	fdt_setprop(blob, fdt_path_offset(blob, "/pci@800000020000000"), "libtce,largest-block",
		    block, sizeof(block));
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DYNAMIC);
	CHECK_EQ(di.size, 1ULL << (6 + 24)); /* 64 TCEs of 16 MiB: 1 GiB, less than RAM */
	tt_os_kernel_copy(&o, o.a, 9000);
	tt_os_shutdown(&o);
}

/* RTAS create fails: the device stays on its default window; the failure is remembered. */
static void ddw_fallback(void)
{
	struct tce_device_dma_info di;
	struct tt_os o;
	int i;

	for (i = 0; i < 2; i++) {
		struct tce_device *d;

		REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
		d = i ? o.b : o.a;
		/* The query, then (VF) the remove and the second query, then the create. */
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), i ? 4 : 2);
		CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
		CHECK(!tce_ctx_fail_nth_armed(tce_machine_ctx(o.m)));
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
		CHECK(di.ddw_failed);
		CHECK_EQ(di.bus_start, 0);
		tt_os_kernel_copy(&o, d, 4096); /* the default window works (restored for the VF) */
		CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT); /* not retried */
		tt_os_shutdown(&o);
	}
}

static void powernv_bypass(void)
{
	struct tce_device_dma_info di;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, (1ULL << 60) - 1), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_BYPASS);
	CHECK_EQ(di.bus_start, 1ULL << 59);
	tt_os_kernel_copy(&o, o.a, 12345);
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DEFAULT); /* one slot: no bypass */
	tt_os_kernel_copy(&o, o.b, 4096);
	tt_os_shutdown(&o);
}

/* An owner's window: create, set, map by exchange, DMA, clear, unset. */
static void owner_cycle(struct tt_os *o, struct tce_device *d, struct tt_account *acct)
{
	struct tce_group *g = tce_device_group(d);
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1ULL << 28,
				      .levels = 1, .account = tt_account_fn, .account_arg = acct };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	uint64_t real, a;
	enum tce_dir dir = TCE_DIR_BIDIRECTIONAL;
	uint8_t *p, buf[4];

	REQUIRE(tce_host_alloc(o->h, 4096, &real, (void **)&p) == 0);
	memcpy(p, "OWN", 4);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	tce_iommu_table_info(t, &ti);
	a = real;
	CHECK_RC(tce_iommu_table_xchg(t, ti.first_idx + 3, &a, &dir), 0);
	CHECK_EQ(a, 0);
	CHECK_RC(tce_iommu_table_kill(t, ti.first_idx + 3, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(d), ti.bus_offset + 3 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "OWN", 4));
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	tce_iommu_table_put(t);
	tce_host_free(o->h, real, 4096);
}

static void ownership_100_times(void)
{
	struct tt_account acct = { 0 };
	enum tce_platform p;
	struct tt_os o;
	int i;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_os_boot(&o, p) == 0);
		for (i = 0; i < 100 && !tt_failed(); i++) {
			struct tce_group *g = tce_device_group(i % 2 ? o.b : o.a);
			uint64_t bus;

			CHECK_RC(tce_group_take_ownership(g), 0);
			CHECK_RC(tce_device_map_page(i % 2 ? o.b : o.a, 0x1000, 8, TCE_DIR_TO_DEVICE,
						     &bus), -EBUSY);
			owner_cycle(&o, i % 2 ? o.b : o.a, &acct);
			CHECK_RC(tce_group_release_ownership(g), 0);
			CHECK_EQ(acct.balance, 0);
		}
		tt_os_kernel_copy(&o, o.a, 4096);
		tt_os_kernel_copy(&o, o.b, 4096);
		CHECK(acct.charges >= 100);
		tt_os_shutdown(&o);
	}
}

static void ownership_errors(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 1 };
	struct tce_iommu_table *t, *t2;
	struct tce_group *g;
	uint64_t real, bus, bytes;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	CHECK_RC(tce_group_create_table(g, &req, &t), -EPERM); /* not owned */
	CHECK_RC(tce_group_release_ownership(g), -EINVAL);
	REQUIRE(tce_host_alloc(o.h, 4096, &real, NULL) == 0);
	CHECK_RC(tce_device_map_page(o.a, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_group_take_ownership(g), -EBUSY); /* the kernel still maps */
	CHECK_RC(tce_device_unmap_page(o.a, bus, 4096), 0);
	CHECK_RC(tce_group_take_ownership(g), 0);
	CHECK_RC(tce_group_take_ownership(g), -EBUSY);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), -EBUSY);
	CHECK_RC(tce_group_table_size(g, 12, 1 << 28, 2, &bytes), -EINVAL); /* pseries: 1 level */
	CHECK_RC(tce_group_table_size(g, 12, 3 << 28, 1, &bytes), -EINVAL);
	CHECK_RC(tce_group_table_size(g, 13, 1 << 28, 1, &bytes), -EINVAL);
	CHECK_RC(tce_group_table_size(g, 16, 1ULL << 32, 1, &bytes), 0);
	CHECK_EQ(bytes, (1ULL << 32) >> 13);
	req.num = 2;
	CHECK_RC(tce_group_create_table(g, &req, &t), -EINVAL);
	req.num = 1;
	req.page_shift = 16;
	req.window_size = 1ULL << 32;
	REQUIRE(tce_group_create_table(g, &req, &t) == 0); /* a DDW: placed at 0 (none there) */
	req.num = 0;
	req.page_shift = 12;
	req.window_size = 1 << 28;
	CHECK_RC(tce_group_create_table(g, &req, &t2), -EPERM); /* a reset would kill the DDW */
	CHECK_RC(tce_group_set_window(g, 0, t), -EPERM);       /* pseries: not this slot's */
	CHECK_RC(tce_group_set_window(g, 1, t), 0);
	CHECK_RC(tce_group_set_window(tce_device_group(o.b), 0, t), -EPERM);
	CHECK_RC(tce_group_release_ownership(g), 0); /* unsets what the owner left */
	tce_iommu_table_put(t);
	tt_os_kernel_copy(&o, o.a, 4096);
	tce_host_free(o.h, real, 4096);
	tt_os_shutdown(&o);
}

/* powernv: one table in two PEs; an owner's kill reaches both. */
static void powernv_shared_table(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_group *ga, *gb;
	struct tce_iommu_table *t;
	uint64_t real, a;
	enum tce_dir dir;
	uint8_t *p, buf[4];
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	ga = tce_device_group(o.a), gb = tce_device_group(o.b);
	REQUIRE(tce_group_take_ownership(ga) == 0 && tce_group_take_ownership(gb) == 0);
	REQUIRE(tce_group_create_table(ga, &req, &t) == 0);
	CHECK_RC(tce_group_set_window(ga, 0, t), 0);
	CHECK_RC(tce_group_set_window(gb, 0, t), 0);
	REQUIRE(tce_host_alloc(o.h, 8192, &real, (void **)&p) == 0);
	memcpy(p, "one", 4), memcpy(p + 4096, "two", 4);
	a = real, dir = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_iommu_table_xchg(t, 9, &a, &dir), 0);
	CHECK_RC(tce_iommu_table_kill(t, 9, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 9 * 4096, buf, 4), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.b), 9 * 4096, buf, 4), 0);
	a = real + 4096, dir = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_iommu_table_xchg(t, 9, &a, &dir), 0);
	CHECK_EQ(a, real);
	CHECK_RC(tce_iommu_table_kill(t, 9, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.b), 9 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "two", 4)); /* the kill reached PE 1 too */
	/* Leaving one PE keeps the TCEs: the other PE's DMA goes on (DECISIONS 23). */
	CHECK_RC(tce_group_unset_window(gb, 0), 0);
	CHECK_RC(tce_iommu_table_get(t, 9, &a), 0);
	CHECK_EQ(a, (real + 4096) | TCE_PCI_READ);
	memset(buf, 0, sizeof(buf));
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 9 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "two", 4));
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.b), 9 * 4096, buf, 4), -EFAULT);
	tce_dev_eeh_thaw(tce_device_pci(o.b));
	/* Leaving the last PE clears them before the window goes. */
	CHECK_RC(tce_group_unset_window(ga, 0), 0);
	CHECK_RC(tce_iommu_table_get(t, 9, &a), 0);
	CHECK_EQ(a, 0);
	CHECK_RC(tce_group_release_ownership(ga), 0);
	CHECK_RC(tce_group_release_ownership(gb), 0);
	tce_iommu_table_put(t);
	tce_host_free(o.h, real, 8192);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/* A powernv platform that forgets its kills is caught by the PHB's TCE cache. */
/*
 * pseries: unset clears before it removes. Make the RTAS remove fail (the
 * fault point after the one H_STUFF_TCE of the only written chunk): the
 * window is still there, and its TCE is already 0.
 */
static void pseries_clear_before_unset(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	struct tce_group *g;
	uint64_t a = 0x1000000, args[9];
	enum tce_dir dir = TCE_DIR_BIDIRECTIONAL;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	tce_iommu_table_info(t, &ti);
	CHECK_RC(tce_iommu_table_xchg(t, ti.first_idx + 4, &a, &dir), 0);
	args[0] = 0x80000000ULL, args[1] = (ti.first_idx + 4) << 16; /* the DDW took slot 0's LIOBN */
	CHECK_EQ(tce_hv_hcall(o.m, TCE_H_GET_TCE, args), TCE_H_SUCCESS);
	CHECK_EQ(args[0], 0x1000000 | 3);
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 2);
	CHECK_RC(tce_group_unset_window(g, 1), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 0);
	args[0] = 0x80000000ULL, args[1] = (ti.first_idx + 4) << 16;
	CHECK_EQ(tce_hv_hcall(o.m, TCE_H_GET_TCE, args), TCE_H_SUCCESS); /* still open... */
	CHECK_EQ(args[0], 0);                                            /* ...and cleared */
	CHECK_RC(tce_group_release_ownership(g), 0);
	tce_iommu_table_put(t);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/* Coherent buffers in kernel memory, in each mode a device can be in. */
static void coherent_buffers(void)
{
	enum tce_platform p;
	struct tt_os o;
	int k;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_os_boot(&o, p) == 0);
		for (k = 0; k < 2; k++) {
			uint64_t real, bus, v = 0x1122334455667788ULL, got = 0;
			uint8_t *cpu;
			size_t i;
			int zero = 1;

			if (k)
				CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
			CHECK_RC(tce_device_alloc_coherent(o.a, 100000, &real, (void **)&cpu, &bus), 0);
			for (i = 0; i < 100000; i++)
				zero &= cpu[i] == 0;
			CHECK(zero);
			if (!k)
				CHECK_EQ(bus % (128 << 10), 0); /* naturally aligned */
			CHECK_RC(tce_dev_dma_write(tce_device_pci(o.a), bus + 99992, &v, 8), 0);
			memcpy(&got, cpu + 99992, 8);
			CHECK_EQ(got, v);
			CHECK_RC(tce_device_free_coherent(o.a, 100000, real, bus), 0);
		}
		CHECK_RC(tce_device_alloc_coherent(o.a, 0, NULL, NULL, NULL), -EINVAL);
		tt_os_shutdown(&o);
	}
}



/* The legacy profile: one fixed window an owner borrows (VFIO v1); no DDW anywhere. */
static void legacy_profile(void)
{
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_window_req req = { .num = 1, .page_shift = 12, .window_size = 1 << 28, .levels = 1 };
	struct tce_iommu_table *t, *t2;
	struct tce_iommu_table_info ti;
	struct tce_device_dma_info di;
	struct tce_group_info gi;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *d;
	struct tce_group *g;
	uint64_t real, bus, bytes;
	uint8_t *p, buf[8];

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	CHECK_RC(tce_host_create_config(m, &cfg, &h), -EOPNOTSUPP);
	tce_machine_destroy(m);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	REQUIRE(tce_host_create_config(m, &cfg, &h) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
	g = tce_device_group(d);
	tce_group_info(g, &gi);
	CHECK(!gi.dynamic_ops);
	CHECK_EQ(gi.max_dynamic_windows, 0);
	CHECK_EQ(gi.pgsizes, 1ULL << 12);
	CHECK_EQ(gi.tce32_size, 1ULL << 31);
	CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
	tce_device_dma_info(d, &di);
	CHECK_EQ(di.mode, TCE_DMA_DEFAULT); /* no DDW on legacy */
	REQUIRE(tce_host_alloc(h, 8192, &real, (void **)&p) == 0);
	CHECK_RC(tce_device_map_page(d, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_group_take_ownership(g), -EBUSY); /* the kernel still maps */
	CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
	CHECK_RC(tce_group_get_table(g, 0, &t), -EPERM);
	CHECK_RC(tce_group_take_ownership(g), 0);
	CHECK_RC(tce_device_map_page(d, real, 4096, TCE_DIR_TO_DEVICE, &bus), -EBUSY);
	CHECK_RC(tce_group_table_size(g, 12, 1 << 28, 1, &bytes), -EPERM);
	CHECK_RC(tce_group_create_table(g, &req, &t), -EPERM);
	CHECK_RC(tce_group_get_table(g, 1, &t), -ENOENT);
	REQUIRE(tce_group_get_table(g, 0, &t) == 0);
	CHECK_RC(tce_group_set_window(g, 0, t), -EPERM);
	CHECK_RC(tce_group_unset_window(g, 0), -EPERM);
	tce_iommu_table_info(t, &ti);
	CHECK_EQ(ti.bus_offset, 0);
	CHECK_EQ(ti.entries, 1ULL << 19);
	CHECK_EQ(ti.page_shift, 12);
	memcpy(p, "legacy!", 8);
	CHECK_RC(tce_iommu_table_update(t, 33, 1, real, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(d), 33 << 12, buf, 8), 0);
	CHECK(!memcmp(buf, "legacy!", 8));
	/*
	 * Release clears what the owner left; the kernel maps again, and the
	 * table the owner still holds no longer reaches the kernel's window.
	 */
	CHECK_RC(tce_group_release_ownership(g), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(d), 33 << 12, buf, 8), -EFAULT);
	tce_dev_eeh_thaw(tce_device_pci(d));
	CHECK_RC(tce_iommu_table_get(t, 33, &bytes), -ENODEV);
	CHECK_RC(tce_iommu_table_update(t, 34, 1, real, TCE_DIR_TO_DEVICE), -ENODEV);
	CHECK_RC(tce_device_map_page(d, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_iommu_table_clear(t, 0, 1ULL << 19), -ENODEV);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(d), bus, buf, 8), 0);
	CHECK(!memcmp(buf, "legacy!", 8));
	CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
	/* The next owner gets a table of its own over the same, empty window. */
	CHECK_RC(tce_group_take_ownership(g), 0);
	REQUIRE(tce_group_get_table(g, 0, &t2) == 0);
	CHECK(t2 != t);
	CHECK_RC(tce_iommu_table_get(t2, 33, &bytes), 0);
	CHECK_EQ(bytes, 0);
	CHECK_RC(tce_iommu_table_get(t2, bus >> 12, &bytes), 0);
	CHECK_EQ(bytes, 0);
	tce_iommu_table_put(t2);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tce_iommu_table_put(t);
	tce_host_free(h, real, 8192);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

/* A pseries PE whose window node has no DDW properties gets the legacy ops. */
static void pseries_without_ddw(void)
{
	static char blob[1 << 16];
	struct tce_group_info gi;
	struct tce_iommu_table *t;
	struct tce_machine *m;
	struct tt_os o;
	int phb;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	phb = fdt_path_offset(blob, "/pci@800000020000000");
	fdt_delprop(blob, phb, "ibm,ddw-applicable");
	fdt_delprop(blob, phb, "ibm,ddw-extensions");
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK(!gi.dynamic_ops);
	tce_group_info(tce_device_group(o.b), &gi); /* the VF's node still has them */
	CHECK(gi.dynamic_ops);
	CHECK_EQ(gi.max_dynamic_windows, 1);
	{
		struct tce_device_dma_info di;

		CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0); /* the VF's DDW, in slot 0 */
		tce_device_dma_info(o.b, &di);
		CHECK_EQ(di.mode, TCE_DMA_DIRECT);
		CHECK_EQ(di.slot, 0);
		CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0); /* PE 0: none offered */
		tce_device_dma_info(o.a, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
		tt_os_kernel_copy(&o, o.b, 4096);
	}
	CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), 0);
	REQUIRE(tce_group_get_table(tce_device_group(o.a), 0, &t) == 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/* An owner's DDW the hypervisor failed is remembered; "too large" is not. */
static void owner_ddw_failed_remembered(void)
{
	struct tce_window_req big = { .num = 1, .page_shift = 12, .window_size = 1ULL << 44, .levels = 1 };
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32, .levels = 1,
				      .account = tt_account_fn };
	struct tt_account acct = { 0 };
	struct tce_iommu_table *t;
	struct tce_group *g;
	struct tt_os o;

	req.account_arg = &acct;
	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	CHECK_RC(tce_group_create_table(g, &big, &t), -EINVAL); /* 2^32 TCEs: above the largest block */
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 2); /* the query, then the create */
	CHECK_RC(tce_group_create_table(g, &req, &t), -ENODEV);
	CHECK(!tce_ctx_fail_nth_armed(tce_machine_ctx(o.m)));
	CHECK_EQ(acct.balance, 0);
	CHECK_RC(tce_group_create_table(g, &req, &t), -ENODEV); /* not retried */
	CHECK_EQ(acct.balance, 0);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
	/* A fresh host: "too large" first, then a good request succeeds. */
	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	CHECK_RC(tce_group_create_table(g, &big, &t), -EINVAL);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK(acct.balance > 0);
	CHECK_RC(tce_group_unset_window(g, 1), 0);
	tce_iommu_table_put(t);
	CHECK_EQ(acct.balance, 0);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/*
 * A VF's dynamic window at bus 0 that covers the PHB's 32-bit MMIO range
 * [2 GiB, 3.75 GiB): the kernel's DMA API never hands out those addresses.
 */
static void ddw_reserves_mmio32(void)
{
	static char blob[1 << 16];
	fdt32_t block[2] = { 0, cpu_to_fdt32(256) }, ram[4] = { 0, 0, cpu_to_fdt32(4), 0 };
	struct tce_device_dma_info di;
	struct tce_machine *m;
	uint64_t bus[256], n = 0, i;
	struct tt_os o;
	int rc = 0;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	fdt_setprop(blob, fdt_path_offset(blob, "/pci@800000020000000"), "libtce,largest-block",
		    block, sizeof(block));
	fdt_setprop(blob, fdt_path_offset(blob, "/memory@0"), "reg", ram, sizeof(ram));
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DYNAMIC);
	CHECK_EQ(di.bus_start, 0);
	CHECK_EQ(di.size, 1ULL << 32); /* 256 TCEs of 16 MiB */
	for (i = 0; i < 256 && !rc; i++) {
		rc = tce_device_map_page(o.b, i << 24, 1 << 24, TCE_DIR_BIDIRECTIONAL, &bus[n]);
		if (rc)
			break;
		if (bus[n] >= 0x80000000ULL && bus[n] < 0xf0000000ULL)
			tt_fail(__FILE__, __LINE__, "bus 0x%" PRIx64 " aliases MMIO", bus[n]);
		n++;
	}
	CHECK_RC(rc, -ENOSPC);
	CHECK_EQ(n, 256 - 1 - 112); /* entry 0 and the 112 entries of MMIO are never handed out */
	for (i = 0; i < n; i++)
		CHECK_RC(tce_device_unmap_page(o.b, bus[i], 1 << 24), 0);
	tt_os_shutdown(&o);
}

/* One powernv table backs 24 PEs (no fixed cap); each leaves in turn; the last clears it. */
static void powernv_table_many_pes(void)
{
	static char blob[1 << 17];
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_iommu_table *t;
	struct tce_machine *m;
	struct tce_host *h;
	uint64_t real, tce;
	uint8_t *p, buf[4];
	uint32_t i, n;
	int phb, node;
	char name[32];

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	phb = fdt_path_offset(blob, "/pciex@3fffe40000000");
	/* After the built-in three (the I/OAT channel is 00:03.0, PE 2). */
	for (i = 0; i < 22; i++) {
		fdt32_t reg[5] = { cpu_to_fdt32((4 + i) << 11), 0, 0, 0, 0 };

		snprintf(name, sizeof(name), "dma-test@%x", 4 + i);
		node = fdt_add_subnode(blob, phb, name);
		REQUIRE(node >= 0);
		fdt_setprop(blob, node, "reg", reg, sizeof(reg));
		fdt_setprop_string(blob, node, "libtce,device", "dma-test");
		fdt_setprop_u32(blob, node, "libtce,pe", 3 + i);
	}
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tce_host_create(m, &h) == 0);
	n = tce_host_ngroups(h);
	CHECK_EQ(n, 25);
	for (i = 0; i < n; i++)
		REQUIRE(tce_group_take_ownership(tce_host_group(h, i)) == 0);
	REQUIRE(tce_group_create_table(tce_host_group(h, 0), &req, &t) == 0);
	for (i = 0; i < n; i++)
		CHECK_RC(tce_group_set_window(tce_host_group(h, i), 0, t), 0);
	REQUIRE(tce_host_alloc(h, 4096, &real, (void **)&p) == 0);
	memcpy(p, "all", 4);
	CHECK_RC(tce_iommu_table_update(t, 5, 1, real, TCE_DIR_TO_DEVICE), 0);
	for (i = 0; i < n; i++) {
		struct tce_pci_dev *pci;

		REQUIRE(tce_machine_device(m, i, &pci) == 0);
		CHECK_RC(tce_dev_dma_read(pci, 5 << 12, buf, 4), 0);
		CHECK(!memcmp(buf, "all", 4));
		if (i + 1 < n) {
			CHECK_RC(tce_group_unset_window(tce_host_group(h, i), 0), 0);
			CHECK_RC(tce_iommu_table_get(t, 5, &tce), 0);
			CHECK(tce != 0); /* still in use by the PEs that remain */
		}
	}
	CHECK_RC(tce_group_unset_window(tce_host_group(h, n - 1), 0), 0);
	CHECK_RC(tce_iommu_table_get(t, 5, &tce), 0);
	CHECK_EQ(tce, 0);
	for (i = 0; i < n; i++)
		CHECK_RC(tce_group_release_ownership(tce_host_group(h, i)), 0);
	tce_iommu_table_put(t);
	tce_host_free(h, real, 4096);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}


/*
 * DECISIONS 24 in the direct and bypass modes, where no allocator remembers
 * a mapping: unmaps and frees must match one mapping exactly; kernel memory
 * frees too. A live direct mapping keeps the group from its owner.
 */
static void direct_exact_unmaps(void)
{
	static const enum tce_platform ps[2] = { TCE_PLATFORM_PSERIES, TCE_PLATFORM_POWERNV };
	struct tce_device_dma_info di;
	struct tce_sg sg[3];
	uint64_t bus, bus2, real, creal, cbus;
	unsigned k, n;
	uint8_t *cpu;
	struct tt_os o;

	for (k = 0; k < 2; k++) {
		REQUIRE(tt_os_boot(&o, ps[k]) == 0);
		CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
		tce_device_dma_info(o.a, &di);
		CHECK(di.mode == TCE_DMA_DIRECT || di.mode == TCE_DMA_BYPASS);
		CHECK_RC(tce_host_alloc(o.h, UINT64_MAX, &real, NULL), -ENOMEM); /* as the header says */
		CHECK_RC(tce_host_alloc(o.h, 0, &real, NULL), -EINVAL);
		REQUIRE(tce_host_alloc(o.h, 3 * 4096, &real, NULL) == 0);
		CHECK_RC(tce_host_free(o.h, real, 4096), -EINVAL);     /* part of it */
		CHECK_RC(tce_host_free(o.h, real + 4096, 8192), -EINVAL);
		CHECK_RC(tce_device_map_page(o.a, real, 8192, TCE_DIR_TO_DEVICE, &bus), 0);
		CHECK_RC(tce_device_map_page(o.a, real, 8192, TCE_DIR_TO_DEVICE, &bus2), 0);
		CHECK_EQ(bus, bus2);
		CHECK_RC(tce_device_map_page(o.a, real, 4096, TCE_DIR_NONE, &bus2), -EINVAL);
		CHECK_RC(tce_device_map_page(o.a, real, 0, TCE_DIR_TO_DEVICE, &bus2), -EINVAL);
		CHECK_RC(tce_device_map_page(o.a, (4ULL << 30) - 4096, 8192, TCE_DIR_TO_DEVICE, &bus2),
			 -EINVAL); /* runs past RAM: the direct mapping covers RAM only */
		CHECK_RC(tce_device_map_page(o.a, ~0ULL - 100, 4096, TCE_DIR_TO_DEVICE, &bus2), -EINVAL);
		CHECK_RC(tce_device_unmap_page(o.a, bus, 4096), -EINVAL);   /* partial */
		CHECK_RC(tce_device_unmap_page(o.a, bus, 12288), -EINVAL);  /* too much */
		CHECK_RC(tce_device_unmap_page(o.a, bus + 4096, 4096), -EINVAL);
		CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), -EBUSY);
		CHECK_RC(tce_device_unmap_page(o.a, bus, 8192), 0);
		CHECK_RC(tce_device_unmap_page(o.a, bus, 8192), 0);         /* mapped twice */
		CHECK_RC(tce_device_unmap_page(o.a, bus, 8192), -EINVAL);   /* not a third time */
		/* Scatter lists: every output segment, or nothing. */
		memset(sg, 0, sizeof(sg));
		sg[0].real = real, sg[0].length = 4096;
		sg[1].real = real + 8192, sg[1].length = 100;
		CHECK_RC(tce_device_map_sg(o.a, sg, 2, TCE_DIR_BIDIRECTIONAL, &n), 0);
		CHECK_EQ(n, 2);
		sg[1].dma_length = 99;
		CHECK_RC(tce_device_unmap_sg(o.a, sg, 2), -EINVAL);
		CHECK_RC(tce_device_unmap_sg(o.a, sg, 0), -EINVAL);
		sg[1].dma_length = 100;
		CHECK_RC(tce_device_unmap_sg(o.a, sg, 2), 0);
		CHECK_RC(tce_device_unmap_sg(o.a, sg, 2), -EINVAL);
		/* Coherent buffers: the same size, real and bus. */
		REQUIRE(tce_device_alloc_coherent(o.a, 8192, &creal, (void **)&cpu, &cbus) == 0);
		CHECK_RC(tce_device_free_coherent(o.a, 4096, creal, cbus), -EINVAL);
		CHECK_RC(tce_device_free_coherent(o.a, 8192, creal + 4096, cbus), -EINVAL);
		CHECK_RC(tce_device_unmap_page(o.a, cbus, 8192), -EINVAL); /* not a page mapping */
		memset(cpu, 0xaa, 8192); /* still ours: ASan would catch a freed buffer */
		CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), cbus, sg, 8), 0);
		CHECK_RC(tce_device_free_coherent(o.a, 8192, creal, cbus), 0);
		CHECK_RC(tce_device_free_coherent(o.a, 8192, creal, cbus), -EINVAL);
		CHECK_RC(tce_host_free(o.h, real, 3 * 4096), 0);
		CHECK_RC(tce_host_free(o.h, real, 3 * 4096), -EINVAL);
		CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), 0);
		CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
		tt_os_shutdown(&o);
	}
}


/*
 * A VF gave its only slot to a DDW: a narrower mask that still reaches the
 * whole DDW maps through it; one that cannot is refused (-EIO), as the
 * kernel's dma_set_mask() refuses what dma_supported() denies, and the
 * device keeps its mask and window.
 */
static void vf_narrow_mask(void)
{
	struct tce_device_dma_info di;
	uint64_t bus;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	REQUIRE(di.mode == TCE_DMA_DIRECT && di.slot == 0 && di.bus_start == 0);
	CHECK_EQ(di.size, 4ULL << 30);
	CHECK_RC(tce_device_set_dma_mask(o.b, 0xffffffffULL), 0); /* reaches [0, 4 GiB) */
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_RC(tce_device_map_page(o.b, 0x123000, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_EQ(bus, 0x123000);
	CHECK_RC(tce_device_unmap_page(o.b, bus, 4096), 0);
	CHECK_RC(tce_device_set_dma_mask(o.b, 0xffffff), -EIO);  /* 16 MiB: no window */
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);                       /* unchanged */
	tt_os_kernel_copy(&o, o.b, 4096);
	/* PE 0 keeps its default window: any mask is fine there. */
	CHECK_RC(tce_device_set_dma_mask(o.a, 0xffffff), 0);
	tt_os_shutdown(&o);
}

static const struct tt_case cases[] = {
	TT_CASE(groups_boot),
	TT_CASE(kernel_dma),
	TT_CASE(ddw_pseries),
	TT_CASE(ddw_dynamic),
	TT_CASE(ddw_fallback),
	TT_CASE(powernv_bypass),
	TT_CASE(ownership_100_times),
	TT_CASE(ownership_errors),
	TT_CASE(powernv_shared_table),
	TT_CASE(pseries_clear_before_unset),
	TT_CASE(coherent_buffers),
	TT_CASE(host_page_sizes),
	TT_CASE(direct_exact_unmaps),
	TT_CASE(vf_narrow_mask),
	TT_CASE(legacy_profile),
	TT_CASE(pseries_without_ddw),
	TT_CASE(owner_ddw_failed_remembered),
	TT_CASE(ddw_reserves_mmio32),
	TT_CASE(powernv_table_many_pes),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
