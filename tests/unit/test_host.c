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
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

struct os {
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *a, *b; /* PE 0, PE 1 (the VF) */
	uint64_t live_before;      /* allocations of the bare machine */
};

static uint64_t live(struct tce_machine *m)
{
	struct tce_mem_stats ms;

	tce_ctx_mem_stats(tce_machine_ctx(m), &ms);
	return ms.live_allocs;
}

static int boot_from(struct os *o, struct tce_machine *m)
{
	int rc;

	o->m = m;
	o->live_before = live(m);
	rc = tce_host_create(m, &o->h);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:01.0", &o->a);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:02.0", &o->b);
	return rc;
}

static int boot(struct os *o, enum tce_platform p)
{
	struct tce_machine *m;
	int rc = tce_machine_create_default(p, &m);

	return rc ? rc : boot_from(o, m);
}

static void shutdown(struct os *o)
{
	tce_host_destroy(o->h);
	CHECK_EQ(live(o->m), o->live_before);
	tce_machine_destroy(o->m);
}

/* Map a kernel buffer for @d, have the DMA-test device copy it, check, unmap. */
static void kernel_copy(struct os *o, struct tce_device *d, size_t len)
{
	struct tce_pci_dev *pci = tce_device_pci(d);
	uint64_t src, dst, bsrc, bdst, st = 0;
	uint8_t *ps, *pd;
	size_t i;

	REQUIRE(tce_host_alloc(o->h, len, &src, (void **)&ps) == 0);
	REQUIRE(tce_host_alloc(o->h, len, &dst, (void **)&pd) == 0);
	for (i = 0; i < len; i++)
		ps[i] = (uint8_t)(i * 13 + 1), pd[i] = 0;
	CHECK_RC(tce_device_map_page(d, src, len, TCE_DIR_TO_DEVICE, &bsrc), 0);
	CHECK_RC(tce_device_map_page(d, dst, len, TCE_DIR_FROM_DEVICE, &bdst), 0);
	tce_dev_config_write(pci, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_SRC, 8, bsrc);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_DST, 8, bdst);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_LEN, 8, len);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	tce_dev_bar_read(pci, 0, TCE_DT_REG_STATUS, 4, &st);
	CHECK_EQ(st, TCE_DT_STATUS_DONE);
	CHECK(!memcmp(ps, pd, len));
	CHECK_RC(tce_device_unmap_page(d, bsrc, len), 0);
	CHECK_RC(tce_device_unmap_page(d, bdst, len), 0);
	tce_host_free(o->h, src, len);
	tce_host_free(o->h, dst, len);
}

static void groups_boot(void)
{
	struct tce_group_info gi;
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_EQ(tce_host_ngroups(o.h), 2);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.tce32_start, 0);
	CHECK_EQ(gi.tce32_size, 2ULL << 30);
	CHECK_EQ(gi.pgsizes, 0x1211000);
	CHECK_EQ(gi.max_dynamic_windows, 2);
	CHECK_EQ(gi.max_levels, 1);
	tce_group_info(tce_device_group(o.b), &gi);
	CHECK_EQ(gi.tce32_size, 256ULL << 20);
	CHECK_EQ(gi.max_dynamic_windows, 1);
	CHECK(tce_host_group(o.h, 2) == NULL);
	shutdown(&o);
	REQUIRE(boot(&o, TCE_PLATFORM_POWERNV) == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.pgsizes, (1ULL << 12) | (1ULL << 16) | (1ULL << 21) | (1ULL << 30));
	CHECK_EQ(gi.max_levels, 5);
	CHECK_EQ(gi.max_dynamic_windows, 2);
	shutdown(&o);
}

static void kernel_dma(void)
{
	struct tce_device_dma_info di;
	enum tce_platform p;
	struct os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(boot(&o, p) == 0);
		tce_device_dma_info(o.a, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
		kernel_copy(&o, o.a, 3 * 4096 + 100);
		kernel_copy(&o, o.b, 70000);
		shutdown(&o);
	}
}

static void ddw_pseries(void)
{
	struct tce_device_dma_info di;
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, 0), -EINVAL);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_EQ(di.bus_start, 1ULL << 59); /* the default window keeps bus 0 */
	CHECK_EQ(di.size, 4ULL << 30);
	CHECK_EQ(di.page_shift, 24);           /* the largest page offered */
	kernel_copy(&o, o.a, 5000);
	/* The VF's single slot: its default window goes, the DDW lands at 0 in slot 0. */
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_EQ(di.bus_start, 0);
	CHECK_EQ(di.slot, 0);
	kernel_copy(&o, o.b, 5000);
	shutdown(&o);
}

/* A small largest block forces a dynamic window used through the allocator. */
static void ddw_dynamic(void)
{
	static char blob[1 << 16];
	struct tce_machine *ref, *m;
	struct tce_device_dma_info di;
	fdt32_t block[2] = { 0, cpu_to_fdt32(64) };
	struct os o;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	REQUIRE(fdt_open_into(tce_machine_fdt(ref), blob, sizeof(blob)) == 0);
	tce_machine_destroy(ref);
	fdt_setprop(blob, fdt_path_offset(blob, "/pci@800000020000000"), "libtce,largest-block",
		    block, sizeof(block));
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(boot_from(&o, m) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DYNAMIC);
	CHECK_EQ(di.size, 1ULL << (6 + 24)); /* 64 TCEs of 16 MiB: 1 GiB, less than RAM */
	kernel_copy(&o, o.a, 9000);
	shutdown(&o);
}

/* RTAS create fails: the device stays on its default window; the failure is remembered. */
static void ddw_fallback(void)
{
	struct tce_device_dma_info di;
	struct os o;
	int i;

	for (i = 0; i < 2; i++) {
		struct tce_device *d;

		REQUIRE(boot(&o, TCE_PLATFORM_PSERIES) == 0);
		d = i ? o.b : o.a;
		/* The query, then (VF) the remove and the second query, then the create. */
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), i ? 4 : 2);
		CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
		CHECK(!tce_ctx_fail_nth_armed(tce_machine_ctx(o.m)));
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
		CHECK(di.ddw_failed);
		CHECK_EQ(di.bus_start, 0);
		kernel_copy(&o, d, 4096); /* the default window works (restored for the VF) */
		CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.mode, TCE_DMA_DEFAULT); /* not retried */
		shutdown(&o);
	}
}

static void powernv_bypass(void)
{
	struct tce_device_dma_info di;
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, (1ULL << 60) - 1), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_BYPASS);
	CHECK_EQ(di.bus_start, 1ULL << 59);
	kernel_copy(&o, o.a, 12345);
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DEFAULT); /* one slot: no bypass */
	kernel_copy(&o, o.b, 4096);
	shutdown(&o);
}

/* An owner's window: create, set, map by exchange, DMA, clear, unset. */
static void owner_cycle(struct os *o, struct tce_device *d, struct tt_account *acct)
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
	struct os o;
	int i;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(boot(&o, p) == 0);
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
		kernel_copy(&o, o.a, 4096);
		kernel_copy(&o, o.b, 4096);
		CHECK(acct.charges >= 100);
		shutdown(&o);
	}
}

static void ownership_errors(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 1 };
	struct tce_iommu_table *t, *t2;
	struct tce_group *g;
	uint64_t real, bus, bytes;
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_PSERIES) == 0);
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
	kernel_copy(&o, o.a, 4096);
	tce_host_free(o.h, real, 4096);
	shutdown(&o);
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
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_POWERNV) == 0);
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
	/* Unsetting clears the table's TCEs first. */
	CHECK_RC(tce_group_unset_window(gb, 0), 0);
	CHECK_RC(tce_iommu_table_get(t, 9, &a), 0);
	CHECK_EQ(a, 0);
	CHECK_RC(tce_group_release_ownership(ga), 0);
	CHECK_RC(tce_group_release_ownership(gb), 0);
	tce_iommu_table_put(t);
	tce_host_free(o.h, real, 8192);
	kernel_copy(&o, o.a, 4096);
	shutdown(&o);
}

/* A powernv platform that forgets its kills is caught by the PHB's TCE cache. */
static void powernv_missing_kill(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_group *g;
	struct tce_iommu_table *t;
	uint64_t real, a;
	enum tce_dir dir;
	uint8_t *p, buf[4];
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_POWERNV) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	REQUIRE(tce_host_alloc(o.h, 8192, &real, (void **)&p) == 0);
	memcpy(p, "AAA", 4), memcpy(p + 4096, "BBB", 4);
	a = real, dir = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_iommu_table_xchg(t, 7, &a, &dir), 0);
	CHECK_RC(tce_iommu_table_kill(t, 7, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 7 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "AAA", 4));
	tce_host_debug_skip_kills(o.h, true);
	a = real + 4096, dir = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_iommu_table_xchg(t, 7, &a, &dir), 0);
	CHECK_RC(tce_iommu_table_kill(t, 7, 1), 0); /* skipped */
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 7 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "AAA", 4)); /* the stale translation */
	tce_host_debug_skip_kills(o.h, false);
	CHECK_RC(tce_iommu_table_kill(t, 7, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 7 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "BBB", 4));
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tce_iommu_table_put(t);
	tce_host_free(o.h, real, 8192);
	shutdown(&o);
}

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
	struct os o;

	REQUIRE(boot(&o, TCE_PLATFORM_PSERIES) == 0);
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
	kernel_copy(&o, o.a, 4096);
	shutdown(&o);
}

/* Coherent buffers in kernel memory, in each mode a device can be in. */
static void coherent_buffers(void)
{
	enum tce_platform p;
	struct os o;
	int k;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(boot(&o, p) == 0);
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
		shutdown(&o);
	}
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
	TT_CASE(powernv_missing_kill),
	TT_CASE(pseries_clear_before_unset),
	TT_CASE(coherent_buffers),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
