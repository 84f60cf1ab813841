/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The platforms' group ops at their edges, through <tce.h> (the mutation
 * runs' survivors, issue 9): what the OS reads from trees that leave out
 * optional properties or carry unusual ones (no max-levels, no PHB ranges,
 * a DDW extension list with no entries, a zero RTAS token), the powernv
 * bypass window's geometry, powernv set-window rules for tables of another
 * PE, host or platform, and what the legacy profile reports.
 */
#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_log.h"
#include "tt_os.h"

static const char *phb_path(enum tce_platform p)
{
	return p == TCE_PLATFORM_PSERIES ? "/pci@800000020000000" : "/pciex@3fffe40000000";
}

/* Boot on the built-in tree of @p whose PHB lacks property @prop. */
static int boot_without(struct tt_os *o, enum tce_platform p, const char *prop)
{
	static char blob[1 << 16];
	struct tce_machine *m;
	int rc = tt_edit_tree(p, blob, sizeof(blob));

	if (!rc)
		rc = fdt_delprop(blob, fdt_path_offset(blob, phb_path(p)), prop);
	if (!rc)
		rc = tce_machine_create_dtb(blob, fdt_totalsize(blob), &m);
	return rc ? rc : tt_os_boot_from(o, m);
}

/*
 * powernv bypass (the kernel's pnv_pci_ioda2_set_bypass): slot 1 at 2^59 in
 * real mode over RAM rounded up to a power of two (4 GiB here).
 */
static void powernv_bypass_geometry(void)
{
	struct tce_device_dma_info di;
	struct tce_group_info gi;
	struct tce_pe_info pi;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_BYPASS);
	CHECK_EQ(di.slot, 1);
	CHECK_EQ(di.bus_start, 1ULL << 59);
	CHECK_EQ(di.size, 4ULL << 30);
	tce_group_info(tce_device_group(o.a), &gi);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	CHECK(pi.slot[1].enabled && pi.slot[1].real_mode);
	CHECK_EQ(pi.slot[1].bus_start, 1ULL << 59);
	CHECK_EQ(pi.slot[1].size, 4ULL << 30);
	CHECK(pi.slot[0].enabled && !pi.slot[0].real_mode);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/* A 3 GiB machine: the bypass covers 4 GiB, the next power of two. */
static void powernv_bypass_rounds_up(void)
{
	static char blob[1 << 16];
	fdt32_t ram[4] = { 0, 0, 0, cpu_to_fdt32(0xc0000000) };
	struct tce_device_dma_info di;
	struct tce_machine *m;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, "/memory@0"), "reg", ram, sizeof(ram)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_BYPASS);
	CHECK_EQ(di.size, 4ULL << 30);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/*
 * powernv set_window (include/tce.h): the slot's own table again is a
 * no-op; another table in a used slot is -EBUSY.
 */
static void powernv_set_window_busy(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_iommu_table *t, *t2;
	struct tce_group *g;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t2) == 0);
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	CHECK_RC(tce_group_set_window(g, 0, t2), -EBUSY);
	CHECK_RC(tce_group_unset_window(g, 0), 0); /* one set, however often: one unset */
	CHECK_RC(tce_group_set_window(g, 0, t2), 0);
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	tce_iommu_table_put(t2);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/* An owned group of the first PE of a host on @m with host page @shift. */
static int owned_host(struct tce_machine *m, uint32_t shift, struct tce_host **h,
		      struct tce_group **g)
{
	struct tce_host_config cfg = { .profile = TCE_OS_DEFAULT, .page_shift = shift };
	int rc = tce_host_create_config(m, &cfg, h);

	if (rc)
		return rc;
	*g = tce_host_group(*h, 0);
	return tce_group_take_ownership(*g);
}

/*
 * powernv set_window refuses tables the PE cannot take (-EINVAL): more
 * levels than it takes (a 4-level table of a 4 KiB-page host on a 64 KiB
 * one, which takes 3), a page size its PHB does not offer, a pseries table.
 */
static void powernv_set_window_foreign(void)
{
	static char blob[1 << 16];
	fdt32_t sizes[2] = { cpu_to_fdt32(12), cpu_to_fdt32(16) };
	struct tce_window_req deep = { .num = 0, .page_shift = 12, .window_size = 1ULL << 44,
				       .levels = 4 };
	struct tce_window_req big = { .num = 0, .page_shift = 21, .window_size = 1ULL << 31,
				      .levels = 1 };
	struct tce_window_req ps = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				     .levels = 1 };
	struct tce_machine *ma, *mb, *mc, *md;
	struct tce_host *ha, *hb, *hc, *hd;
	struct tce_group *ga, *gb, *gc, *gd;
	struct tce_iommu_table *t;
	struct tce_group_info gi;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &ma) == 0);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &mb) == 0);
	REQUIRE(owned_host(ma, 12, &ha, &ga) == 0);
	REQUIRE(owned_host(mb, 16, &hb, &gb) == 0);
	tce_group_info(gb, &gi);
	REQUIRE(gi.max_levels == 3);
	REQUIRE(tce_group_create_table(ga, &deep, &t) == 0);
	CHECK_RC(tce_group_set_window(gb, 0, t), -EINVAL);
	tce_iommu_table_put(t);
	/* A PHB that offers only 4 KiB and 64 KiB pages. */
	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV)),
			    "ibm,supported-tce-sizes", sizes, sizeof(sizes)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &mc) == 0);
	REQUIRE(owned_host(mc, 16, &hc, &gc) == 0);
	REQUIRE(tce_group_create_table(gb, &big, &t) == 0);
	CHECK_RC(tce_group_set_window(gc, 0, t), -EINVAL);
	tce_iommu_table_put(t);
	/* A pseries DDW's table. */
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &md) == 0);
	REQUIRE(owned_host(md, 16, &hd, &gd) == 0);
	REQUIRE(tce_group_create_table(gd, &ps, &t) == 0);
	CHECK_RC(tce_group_set_window(gb, 1, t), -EINVAL);
	CHECK_RC(tce_group_unset_window(gd, 1), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(ga), 0);
	CHECK_RC(tce_group_release_ownership(gb), 0);
	CHECK_RC(tce_group_release_ownership(gc), 0);
	CHECK_RC(tce_group_release_ownership(gd), 0);
	tce_host_destroy(ha), tce_host_destroy(hb), tce_host_destroy(hc), tce_host_destroy(hd);
	tce_machine_destroy(ma), tce_machine_destroy(mb), tce_machine_destroy(mc);
	tce_machine_destroy(md);
}

/*
 * Optional powernv properties: without libtce,max-levels a PHB takes the
 * most levels there are (5, so a 64 KiB host offers 3); a VF's own
 * libtce,dma32-size sizes its default window.
 */
static void powernv_tree_defaults(void)
{
	struct tce_group_info gi;
	struct tt_os o;

	REQUIRE(boot_without(&o, TCE_PLATFORM_POWERNV, "libtce,max-levels") == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.max_levels, 3);
	CHECK_EQ(gi.tce32_size, 2ULL << 30);
	tce_group_info(tce_device_group(o.b), &gi);
	CHECK_EQ(gi.tce32_size, 256ULL << 20);
	tt_os_kernel_copy(&o, o.b, 4096);
	tt_os_shutdown(&o);
}

/* A PHB without ranges (no 32-bit MMIO to keep out of the DMA windows) boots and maps. */
static void phb_without_ranges(void)
{
	static char blob[1 << 16];
	enum tce_platform p;
	struct tce_machine *m;
	struct tt_os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_edit_tree(p, blob, sizeof(blob)) == 0);
		REQUIRE(fdt_delprop(blob, fdt_path_offset(blob, phb_path(p)), "ranges") == 0);
		REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
		REQUIRE(tt_os_boot_from(&o, m) == 0);
		tt_os_kernel_copy(&o, o.a, 4096);
		tt_os_kernel_copy(&o, o.b, 4096);
		tt_os_shutdown(&o);
	}
}

/*
 * ibm,ddw-extensions with no entries names no reset call: without it the
 * OS cannot give the default window back, so the PE gets the legacy ops.
 */
static void pseries_ddw_extensions_empty(void)
{
	static char blob[1 << 16];
	fdt32_t ext[1] = { 0 };
	struct tce_group_info gi;
	struct tce_machine *m;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,ddw-extensions", ext, sizeof(ext)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK(!gi.dynamic_ops);
	CHECK_EQ(gi.max_dynamic_windows, 0);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

static void count_warnings(void *arg, enum tce_log_level level, const char *msg)
{
	if (level <= TCE_LOG_WARN && strstr(msg, "DDW"))
		(*(unsigned *)arg)++;
}

/*
 * A zero ibm,create-pe-dma-window token (the call is not there): enabling
 * the 64-bit window fails (a warning says so), the device stays on its
 * default window and the failure is remembered; an owner's DDW is -ENODEV.
 */
static void pseries_no_create_token(void)
{
	static char blob[1 << 16];
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_device_dma_info di;
	struct tce_iommu_table *t = NULL;
	struct tce_machine *m;
	const fdt32_t *p;
	fdt32_t tok[3];
	unsigned warnings = 0;
	int node, len;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	node = fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES));
	p = fdt_getprop(blob, node, "ibm,ddw-applicable", &len);
	REQUIRE(p && len == 12);
	tok[0] = p[0], tok[1] = 0, tok[2] = p[2];
	REQUIRE(fdt_setprop(blob, node, "ibm,ddw-applicable", tok, sizeof(tok)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	tce_ctx_set_log(tce_machine_ctx(m), count_warnings, &warnings, TCE_LOG_WARN);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_ctx_set_log(tce_machine_ctx(m), NULL, NULL, TCE_LOG_WARN);
	CHECK(warnings >= 1); /* the fallback is reported, as the kernel warns */
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
	CHECK(di.ddw_failed);
	tt_os_kernel_copy(&o, o.a, 4096);
	REQUIRE(tce_group_take_ownership(tce_device_group(o.a)) == 0);
	CHECK_RC(tce_group_create_table(tce_device_group(o.a), &req, &t), -ENODEV);
	CHECK(t == NULL);
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/*
 * The VF's one slot holds its default window: a DDW would take it, which
 * cannot happen while the kernel still maps through it. A 64-bit mask set
 * then falls back (-EBUSY, reported) and the live mapping keeps working.
 */
static void single_slot_busy_keeps_default(void)
{
	struct tce_device_dma_info di;
	uint64_t real, bus, bus2;
	uint8_t *p, buf[8];
	struct tt_log log;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	REQUIRE(tce_host_alloc(o.h, 8192, &real, (void **)&p) == 0);
	memcpy(p, "in use!", 8);
	CHECK_RC(tce_device_map_page(o.b, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	tt_log_keep(tce_machine_ctx(o.m), &log, TCE_LOG_WARN);
	CHECK_RC(tce_device_set_dma_mask(o.b, ~0ULL), 0);
	tt_log_stop(tce_machine_ctx(o.m));
	CHECK_RC(tce_device_map_page(o.b, real + 4096, 4096, TCE_DIR_TO_DEVICE, &bus2), 0);
	CHECK(strstr(log.last, "stays on its default window") != NULL);
	CHECK(strstr(log.last, tce_strerror(-EBUSY)) != NULL);
	tce_device_dma_info(o.b, &di);
	CHECK_EQ(di.mode, TCE_DMA_DEFAULT);
	CHECK(di.ddw_failed);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.b), bus, buf, 8), 0);
	CHECK(!memcmp(buf, "in use!", 8));
	CHECK_RC(tce_device_unmap_page(o.b, bus2, 4096), 0);
	CHECK_RC(tce_device_unmap_page(o.b, bus, 4096), 0);
	tce_host_free(o.h, real, 8192);
	tt_os_shutdown(&o);
}

/* The legacy profile reports its one fixed window: 4 KiB pages, one level, no DDW. */
static void legacy_info(void)
{
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_group_info gi;
	struct tce_machine *m;
	struct tce_host *h;
	uint32_t i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	REQUIRE(tce_host_create_config(m, &cfg, &h) == 0);
	for (i = 0; i < tce_host_ngroups(h); i++) {
		tce_group_info(tce_host_group(h, i), &gi);
		CHECK_EQ(gi.max_levels, 1);
		CHECK_EQ(gi.pgsizes, 1ULL << 12);
		CHECK_EQ(gi.max_dynamic_windows, 0);
		CHECK(!gi.dynamic_ops);
	}
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

/* The built-in pseries machine with its PHB's largest block set to @block TCEs. */
static int pseries_block(uint32_t block, struct tce_machine **m)
{
	static char blob[1 << 16];
	fdt32_t cells[2] = { 0, cpu_to_fdt32(block) };
	int rc = tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob));

	if (!rc)
		rc = fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
				 "libtce,largest-block", cells, sizeof(cells));
	return rc ? rc : tce_machine_create_dtb(blob, fdt_totalsize(blob), m);
}

/*
 * The kernel maps RAM directly when the largest block covers it (its
 * enable_ddw: direct unless largest block < 2^(len - page_shift)): 256
 * TCEs of 16 MiB cover 4 GiB of RAM exactly.
 */
static void pseries_block_covers_ram_exactly(void)
{
	struct tce_device_dma_info di;
	struct tce_machine *m;
	struct tt_os o;

	REQUIRE(pseries_block(256, &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	CHECK_RC(tce_device_set_dma_mask(o.a, ~0ULL), 0);
	tce_device_dma_info(o.a, &di);
	CHECK_EQ(di.mode, TCE_DMA_DIRECT);
	CHECK_EQ(di.size, 4ULL << 30);
	CHECK_EQ(di.page_shift, 24);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/* An owner's DDW as large as the largest block is granted; one TCE's worth more is not. */
static void pseries_owner_ddw_at_block(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 24, .window_size = 1ULL << 30,
				      .levels = 1 };
	struct tce_iommu_table *t = NULL;
	struct tce_iommu_table_info ti;
	struct tce_machine *m;
	struct tce_group *g;
	struct tt_os o;

	REQUIRE(pseries_block(64, &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	req.window_size = 1ULL << 31;
	CHECK_RC(tce_group_create_table(g, &req, &t), -EINVAL); /* 128 TCEs */
	req.window_size = 1ULL << 30;
	REQUIRE(tce_group_create_table(g, &req, &t) == 0); /* 64 TCEs: exactly the block */
	tce_iommu_table_info(t, &ti);
	CHECK_EQ(ti.entries, 64);
	CHECK_RC(tce_group_unset_window(g, 1), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/*
 * pseries create_table: a slot-0 request for 4 KiB pages within the
 * default window's size reopens the default window (all of it); the same
 * request for slot 1 is a DDW of the size asked for.
 */
static void pseries_default_request(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1ULL << 30,
				      .levels = 1 };
	struct tce_iommu_table *t;
	struct tce_group_info gi;
	struct tce_pe_info pi;
	struct tce_group *g;
	unsigned i, n;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	tce_group_info(g, &gi);
	REQUIRE(tce_group_take_ownership(g) == 0);
	req.window_size = gi.tce32_size; /* all of it still counts as the default */
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	for (i = n = 0; i < TCE_MAX_WINDOWS; i++)
		if (pi.slot[i].enabled) {
			n++;
			CHECK_EQ(pi.slot[i].liobn, pi.def_liobn);
			CHECK_EQ(pi.slot[i].bus_start, pi.def_bus);
			CHECK_EQ(pi.slot[i].size, pi.def_size); /* the whole default window */
		}
	CHECK_EQ(n, 1);
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	tce_iommu_table_put(t);
	req.num = 1, req.window_size = 1ULL << 30;
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	for (i = n = 0; i < TCE_MAX_WINDOWS; i++)
		if (pi.slot[i].enabled) {
			n++;
			CHECK_EQ(pi.slot[i].size, 1ULL << 30); /* the window asked for */
		}
	CHECK_EQ(n, 1);
	CHECK_RC(tce_group_unset_window(g, 1), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/*
 * pseries injection freezes the PE at once even when its driver has memory
 * decode on: the inject turns decode off itself, then loads from BAR 0.
 */
static void pseries_inject_with_decode_on(void)
{
	struct tce_fault f;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_dev_config_write(tce_device_pci(o.a), TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER), 0);
	CHECK_RC(tce_group_eeh_inject(tce_device_group(o.a), TCE_EEH_ERR_TYPE_32,
				      TCE_EEH_ERR_FUNC_LD_MEM_ADDR, 0, 0), 0);
	CHECK(tce_dev_eeh_frozen(tce_device_pci(o.a), &f));
	CHECK_EQ(f.reason, TCE_FAULT_MASTER_ABORT);
	CHECK(!tce_dev_eeh_frozen(tce_device_pci(o.b), &f)); /* the other PE goes on */
	tce_dev_eeh_thaw(tce_device_pci(o.a));
	tt_os_shutdown(&o);
}

/* A powernv PHB without ibm,supported-tce-sizes offers 4 KiB and 64 KiB pages. */
static void powernv_default_page_sizes(void)
{
	struct tce_group_info gi;
	struct tt_os o;

	REQUIRE(boot_without(&o, TCE_PLATFORM_POWERNV, "ibm,supported-tce-sizes") == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.pgsizes, (1ULL << 12) | (1ULL << 16));
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_shutdown(&o);
}

/*
 * 20 functions in 20 PEs (the OS's function and PE arrays grow past their
 * first size): the host boots them all and gives back every allocation.
 */
static void many_functions_no_leak(void)
{
	static char blob[1 << 17];
	struct tce_mem_stats before, after;
	struct tce_machine *m;
	struct tce_host *h;
	char name[32];
	uint32_t i;
	int phb, node;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	phb = fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV));
	/* After the built-in three (the I/OAT channel is 00:03.0, PE 2). */
	for (i = 0; i < 18; i++) {
		fdt32_t reg[5] = { cpu_to_fdt32((4 + i) << 11), 0, 0, 0, 0 };

		snprintf(name, sizeof(name), "dma-test@%x", 4 + i);
		node = fdt_add_subnode(blob, phb, name);
		REQUIRE(node >= 0);
		REQUIRE(fdt_setprop(blob, node, "reg", reg, sizeof(reg)) == 0);
		REQUIRE(fdt_setprop_string(blob, node, "libtce,device", "dma-test") == 0);
		REQUIRE(fdt_setprop_u32(blob, node, "libtce,pe", 3 + i) == 0);
	}
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	tce_ctx_mem_stats(tce_machine_ctx(m), &before);
	REQUIRE(tce_host_create(m, &h) == 0);
	CHECK_EQ(tce_host_ngroups(h), 21);
	tce_host_destroy(h);
	tce_ctx_mem_stats(tce_machine_ctx(m), &after);
	CHECK_EQ(after.live_allocs, before.live_allocs);
	CHECK_EQ(after.live_bytes, before.live_bytes);
	tce_machine_destroy(m);
}

/*
 * powernv: the kernel's map is followed by a kill, as its unmap is (the
 * kernel's tce_build then invalidate): the PHB cache counts both.
 */
static void powernv_kernel_map_kills(void)
{
	struct tce_cache_stats before, after;
	uint64_t real, bus;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	REQUIRE(tce_host_alloc(o.h, 4096, &real, NULL) == 0);
	tce_dev_cache_stats(tce_device_pci(o.a), &before);
	CHECK_RC(tce_device_map_page(o.a, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	tce_dev_cache_stats(tce_device_pci(o.a), &after);
	CHECK(after.kills > before.kills);
	before = after;
	CHECK_RC(tce_device_unmap_page(o.a, bus, 4096), 0);
	tce_dev_cache_stats(tce_device_pci(o.a), &after);
	CHECK(after.kills > before.kills);
	CHECK_RC(tce_host_free(o.h, real, 4096), 0);
	tt_os_shutdown(&o);
}

/*
 * pseries injection freezes every function of the PE and no other: PE 0
 * with 6 functions, 8 in the tree with the VF (PE 1) and the I/OAT channel
 * (PE 2) (the OS's function array exactly full).
 */
static void pseries_inject_whole_pe(void)
{
	static char blob[1 << 16];
	struct tce_machine *m;
	struct tce_pci_dev *pci;
	struct tce_fault f;
	char name[32];
	uint32_t i;
	int phb, node;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	phb = fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES));
	for (i = 0; i < 5; i++) {
		fdt32_t reg[5] = { cpu_to_fdt32((4 + i) << 11), 0, 0, 0, 0 };

		snprintf(name, sizeof(name), "dma-test@%x", 4 + i);
		node = fdt_add_subnode(blob, phb, name);
		REQUIRE(node >= 0);
		REQUIRE(fdt_setprop(blob, node, "reg", reg, sizeof(reg)) == 0);
		REQUIRE(fdt_setprop_string(blob, node, "libtce,device", "dma-test") == 0);
		REQUIRE(fdt_setprop_u32(blob, node, "libtce,pe", 0) == 0);
	}
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	CHECK_RC(tce_group_eeh_inject(tce_device_group(o.a), TCE_EEH_ERR_TYPE_32,
				      TCE_EEH_ERR_FUNC_ST_MEM_DATA, 0, 0), 0);
	for (i = 0; i < 8; i++) {
		REQUIRE(tce_machine_device(m, i, &pci) == 0);
		CHECK(tce_dev_eeh_frozen(pci, &f) == (tce_dev_pe(pci) == 0));
	}
	CHECK_RC(tce_machine_device(m, 8, &pci), -EINVAL);
	tce_dev_eeh_thaw(tce_device_pci(o.a));
	tt_os_shutdown(&o);
}

/*
 * powernv: one table in PE 0 and PE 1; PE 1 leaves. The owner's kills must
 * still reach PE 0 (the link that goes is PE 1's), and PE 0 leaving last
 * clears the table.
 */
static void powernv_shared_table_leave(void)
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
	CHECK_RC(tce_iommu_table_update(t, 9, 1, real, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 9 * 4096, buf, 4), 0); /* cached in PE 0 */
	CHECK_RC(tce_group_unset_window(gb, 0), 0);
	a = real + 4096, dir = TCE_DIR_TO_DEVICE;
	CHECK_RC(tce_iommu_table_xchg(t, 9, &a, &dir), 0);
	CHECK_RC(tce_iommu_table_kill(t, 9, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), 9 * 4096, buf, 4), 0);
	CHECK(!memcmp(buf, "two", 4));
	CHECK_RC(tce_group_unset_window(ga, 0), 0);
	CHECK_RC(tce_iommu_table_get(t, 9, &a), 0);
	CHECK_EQ(a, 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(ga), 0);
	CHECK_RC(tce_group_release_ownership(gb), 0);
	CHECK_RC(tce_host_free(o.h, real, 8192), 0);
	tt_os_shutdown(&o);
}

/* A powernv PHB that takes only 1-level tables: the kernel's default window uses one. */
static void powernv_one_level_phb(void)
{
	static char blob[1 << 16];
	struct tce_group_info gi;
	struct tce_machine *m;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop_u32(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV)),
				"libtce,max-levels", 1) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	CHECK_EQ(gi.max_levels, 1);
	tt_os_kernel_copy(&o, o.a, 4096);
	tt_os_kernel_copy(&o, o.b, 4096);
	tt_os_shutdown(&o);
}

/*
 * A Type1 domain's windows without configured levels get the fewest levels
 * whose blocks stay within 64 KiB, as far as the PE takes: both 1 GiB
 * windows (4 KiB and 64 KiB pages) need 2; a PHB that takes 1 gets 1, one
 * that takes 2 or 3 gets 2.
 */
static void domain_levels_within_phb(void)
{
	static char blob[1 << 16];
	struct tce_domain_config cfg = {
		.win = { { .size = 1ull << 30, .page_shift = 12 },
			 { .size = 1ull << 30, .page_shift = 16 } } };
	struct tce_domain_info di;
	struct tce_domain *d;
	struct tce_machine *m;
	struct tt_os o;
	uint32_t max;

	for (max = 1; max <= 3; max++) {
		REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
		REQUIRE(fdt_setprop_u32(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV)),
					"libtce,max-levels", max) == 0);
		REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
		REQUIRE(tt_os_boot_from(&o, m) == 0);
		REQUIRE(tce_domain_create(tce_machine_ctx(m), &cfg, &d) == 0);
		CHECK_RC(tce_domain_attach(d, tce_device_group(o.a)), 0);
		tce_domain_info(d, &di);
		CHECK_EQ(di.range[0].levels, max < 2 ? max : 2);
		CHECK_EQ(di.range[1].levels, max < 2 ? max : 2);
		tce_domain_destroy(d);
		tt_os_shutdown(&o);
	}
}

/* powernv take hands the PE over without its bypass: slot 1 off, DMA there faults. */
static void powernv_take_drops_bypass(void)
{
	struct tce_group_info gi;
	struct tce_pe_info pi;
	uint8_t b;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	tce_group_info(tce_device_group(o.a), &gi);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	REQUIRE(pi.slot[1].enabled && pi.slot[1].real_mode);
	REQUIRE(tce_group_take_ownership(tce_device_group(o.a)) == 0);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	CHECK(!pi.slot[0].enabled);
	CHECK(!pi.slot[1].enabled);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), (1ULL << 59) + 0x1000, &b, 1), -EFAULT);
	tce_dev_eeh_thaw(tce_device_pci(o.a));
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	REQUIRE(tce_machine_pe(o.m, gi.phb, gi.pe, &pi) == 0);
	CHECK(pi.slot[1].enabled && pi.slot[1].real_mode); /* back with the kernel */
	tt_os_shutdown(&o);
}

static void count_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	(void)idx, (void)real, (void)dirty;
	(*(unsigned *)arg)++;
}

/*
 * pseries: an owner's clear of whole 512-entry chunks stops at the end of
 * its range, even when the next chunk holds TCEs; a kernel table has no
 * mirror (-EOPNOTSUPP).
 */
static void pseries_clear_stops_at_end(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	struct tce_group *g;
	struct tce_host *h;
	struct tce_device *d;
	uint64_t tce, *slot;
	unsigned released = 0;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	tce_iommu_table_info(t, &ti);
	slot = NULL;
	CHECK_RC(tce_iommu_table_mirror_slot(t, ti.first_idx + 7, false, &slot), 0); /* flat mirror */
	CHECK(slot != NULL);
	tce_iommu_table_set_release(t, count_release, &released);
	CHECK_RC(tce_iommu_table_update(t, ti.first_idx + 3, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_update(t, ti.first_idx + TCE_INDIRECT_MAX, 1, 0x2000000,
					TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_clear(t, ti.first_idx, TCE_INDIRECT_MAX), 0);
	CHECK_EQ(released, 1);
	CHECK_RC(tce_iommu_table_get(t, ti.first_idx + 3, &tce), 0);
	CHECK_EQ(tce, 0);
	CHECK_RC(tce_iommu_table_get(t, ti.first_idx + TCE_INDIRECT_MAX, &tce), 0);
	CHECK_EQ(tce, 0x2000000 | TCE_PCI_READ); /* the next chunk: untouched */
	/* The same without a release callback (the platform's own clear). */
	tce_iommu_table_set_release(t, NULL, NULL);
	CHECK_RC(tce_iommu_table_update(t, ti.first_idx + 3, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_clear(t, ti.first_idx, TCE_INDIRECT_MAX), 0);
	CHECK_RC(tce_iommu_table_get(t, ti.first_idx + 3, &tce), 0);
	CHECK_EQ(tce, 0);
	CHECK_RC(tce_iommu_table_get(t, ti.first_idx + TCE_INDIRECT_MAX, &tce), 0);
	CHECK_EQ(tce, 0x2000000 | TCE_PCI_READ);
	CHECK_RC(tce_group_unset_window(g, 1), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
	/* The legacy owner's borrowed kernel table. */
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &o.m) == 0);
	REQUIRE(tce_host_create_config(o.m, &cfg, &h) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
	REQUIRE(tce_group_take_ownership(tce_device_group(d)) == 0);
	REQUIRE(tce_group_get_table(tce_device_group(d), 0, &t) == 0);
	CHECK_RC(tce_iommu_table_mirror_slot(t, 5, true, &slot), -EOPNOTSUPP);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(tce_device_group(d)), 0);
	tce_host_destroy(h);
	tce_machine_destroy(o.m);
}

/* Run @rc's call with at most @calls backend calls allowed: more fail the test. */
#define AT_MOST_CALLS(ctx, calls, call)                                          \
	do {                                                                     \
		tce_ctx_set_fail_nth(ctx, (calls) + 1);                          \
		CHECK_RC(call, 0);                                               \
		CHECK(tce_ctx_fail_nth_armed(ctx));                              \
		tce_ctx_set_fail_nth(ctx, 0);                                    \
	} while (0)

/*
 * pseries: a clear calls the hypervisor only for the 512-entry chunks that
 * were written since they were last cleared whole (issue 12 G5): one
 * H_STUFF_TCE for an entry at the end of a chunk (not the next chunk too),
 * none once that chunk was cleared; a chunk cleared only in part keeps the
 * rest of its entries for the next clear. With a release callback, the walk
 * over written chunks never strays past the range (a written chunk after it
 * is left alone) and does not walk a range with no written chunk.
 */
static void pseries_clear_follows_written_chunks(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	struct tce_group *g;
	struct tce_ctx *ctx;
	unsigned released = 0;
	uint64_t tce, c, base;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	ctx = tce_machine_ctx(o.m);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	tce_iommu_table_info(t, &ti);
	c = TCE_INDIRECT_MAX, base = ti.first_idx;
	REQUIRE(ti.entries >= 16 * c);
	/* The last entry of chunk 4: one H_STUFF_TCE, then none. */
	CHECK_RC(tce_iommu_table_update(t, base + 5 * c - 1, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	AT_MOST_CALLS(ctx, 1, tce_iommu_table_clear(t, base, ti.entries));
	CHECK_RC(tce_iommu_table_get(t, base + 5 * c - 1, &tce), 0);
	CHECK_EQ(tce, 0);
	AT_MOST_CALLS(ctx, 0, tce_iommu_table_clear(t, base, ti.entries));
	/* Chunk 2 cleared in part: its other entry goes with the next clear. */
	CHECK_RC(tce_iommu_table_update(t, base + 2 * c, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_update(t, base + 2 * c + 10, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_clear(t, base + 2 * c, 5), 0);
	CHECK_RC(tce_iommu_table_get(t, base + 2 * c + 10, &tce), 0);
	CHECK_EQ(tce, 0x1000000 | TCE_PCI_READ);
	CHECK_RC(tce_iommu_table_clear(t, base, ti.entries), 0);
	CHECK_RC(tce_iommu_table_get(t, base + 2 * c + 10, &tce), 0);
	CHECK_EQ(tce, 0);
	/* With a release callback: only chunk 7 written. */
	tce_iommu_table_set_release(t, count_release, &released);
	CHECK_RC(tce_iommu_table_update(t, base + 7 * c, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
	AT_MOST_CALLS(ctx, 0, tce_iommu_table_clear(t, base + 6 * c, 10));
	AT_MOST_CALLS(ctx, 0, tce_iommu_table_clear(t, base, 6 * c));
	CHECK_EQ(released, 0);
	CHECK_RC(tce_iommu_table_get(t, base + 7 * c, &tce), 0);
	CHECK_EQ(tce, 0x1000000 | TCE_PCI_READ);
	CHECK_RC(tce_iommu_table_clear(t, base + 7 * c, 1), 0);
	CHECK_EQ(released, 1);
	tce_iommu_table_set_release(t, NULL, NULL);
	CHECK_RC(tce_group_unset_window(g, 1), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/*
 * pseries kernel DMA of 3 MiB of 4 KiB pages (H_PUT_TCE_INDIRECT, several
 * 512-entry lists) maps all of it: the device reads its first and last
 * bytes.
 */
static void pseries_kernel_map_many_chunks(void)
{
	uint64_t real, bus, v = 0x5566778899aabbccULL, got = 0;
	uint8_t *p;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	REQUIRE(tce_host_alloc(o.h, 3 << 20, &real, (void **)&p) == 0);
	memcpy(p, &v, 8), memcpy(p + (3 << 20) - 8, &v, 8);
	CHECK_RC(tce_device_map_page(o.a, real, 3 << 20, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), bus, &got, 8), 0);
	CHECK_EQ(got, v);
	got = 0;
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), bus + (3 << 20) - 8, &got, 8), 0);
	CHECK_EQ(got, v);
	CHECK_RC(tce_device_unmap_page(o.a, bus, 3 << 20), 0);
	CHECK_RC(tce_host_free(o.h, real, 3 << 20), 0);
	tt_os_shutdown(&o);
}

/*
 * pseries: a table the owner still holds after its window was removed never
 * reaches the hypervisor again, even when a new window in the same slot has
 * the same LIOBN and bus offset (fuzz-group, 285,909 executions): every call
 * through it fails -ENODEV and the new window stays empty. Removed by unset,
 * and by release of ownership then a new take.
 */
static void pseries_stale_table(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_iommu_table_info ti, ti2;
	struct tce_iommu_table *t, *t2;
	uint64_t real, tce;
	enum tce_dir dir;
	struct tce_group *g;
	struct tt_os o;
	int round;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	tce_iommu_table_info(t, &ti);
	for (round = 0; round < 2; round++) {
		if (round == 0) {
			CHECK_RC(tce_group_unset_window(g, 1), 0);
		} else {
			CHECK_RC(tce_group_release_ownership(g), 0);
			REQUIRE(tce_group_take_ownership(g) == 0);
		}
		REQUIRE(tce_group_create_table(g, &req, &t2) == 0);
		tce_iommu_table_info(t2, &ti2);
		CHECK_EQ(ti2.bus_offset, ti.bus_offset);
		real = 0x1000000, dir = TCE_DIR_BIDIRECTIONAL;
		CHECK_RC(tce_iommu_table_xchg(t, ti.first_idx + 4, &real, &dir), -ENODEV);
		CHECK_EQ(real, 0x1000000);
		CHECK_RC(tce_iommu_table_update(t, ti.first_idx + 5, 3, 0x1000000,
						TCE_DIR_TO_DEVICE), -ENODEV);
		CHECK_RC(tce_iommu_table_get(t, ti.first_idx + 4, &tce), -ENODEV);
		CHECK_RC(tce_iommu_table_clear(t, ti.first_idx, 8), -ENODEV);
		CHECK_RC(tce_iommu_table_get(t2, ti.first_idx + 4, &tce), 0);
		CHECK_EQ(tce, 0);
		CHECK_RC(tce_iommu_table_get(t2, ti.first_idx + 6, &tce), 0);
		CHECK_EQ(tce, 0);
		/* The new table works; the stale one did not clear it. */
		real = 0x2000000, dir = TCE_DIR_TO_DEVICE;
		CHECK_RC(tce_iommu_table_xchg(t2, ti.first_idx + 4, &real, &dir), 0);
		CHECK_RC(tce_iommu_table_clear(t, ti.first_idx + 4, 1), -ENODEV);
		CHECK_RC(tce_iommu_table_get(t2, ti.first_idx + 4, &tce), 0);
		CHECK_EQ(tce, 0x2000000 | TCE_PCI_READ);
		CHECK_RC(tce_group_unset_window(g, 1), 0);
		tce_iommu_table_put(t);
		t = t2;
	}
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

struct writer {
	struct tce_iommu_table *t;
	uint64_t idx;
	atomic_bool started, stop;
	unsigned ok;
};

/*
 * Exchange one entry until a call fails; the last call starts after the
 * main thread said stop (its window was removed by then).
 */
static void *stale_writer(void *arg)
{
	struct writer *w = arg;
	uint64_t real;
	enum tce_dir dir;
	bool last;
	int rc;

	do {
		last = atomic_load(&w->stop);
		real = 0x1000000, dir = TCE_DIR_BIDIRECTIONAL;
		rc = tce_iommu_table_xchg(w->t, w->idx, &real, &dir);
		w->ok += rc == 0;
		atomic_store(&w->started, true);
	} while (!rc && !last);
	return (void *)(intptr_t)rc;
}

/*
 * pseries: unset waits for a call in flight on the table; once it returns,
 * no call through the table succeeds, so a window opened next in the slot
 * never sees the writer's entry.
 */
static void pseries_stale_table_racing_writer(void)
{
	struct tce_window_req req = { .num = 1, .page_shift = 16, .window_size = 1ULL << 32,
				      .levels = 1 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t2;
	struct writer w = { 0 };
	struct tce_group *g;
	struct tt_os o;
	pthread_t th;
	void *res;
	uint64_t tce;
	int i;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	for (i = 0; i < 20; i++) {
		REQUIRE(tce_group_create_table(g, &req, &w.t) == 0);
		tce_iommu_table_info(w.t, &ti);
		w.idx = ti.first_idx + (uint64_t)i;
		atomic_store(&w.started, false);
		atomic_store(&w.stop, false);
		REQUIRE(pthread_create(&th, NULL, stale_writer, &w) == 0);
		while (!atomic_load(&w.started))
			sched_yield();
		CHECK_RC(tce_group_unset_window(g, 1), 0);
		REQUIRE(tce_group_create_table(g, &req, &t2) == 0);
		atomic_store(&w.stop, true);
		pthread_join(th, &res);
		CHECK_EQ((intptr_t)res, -ENODEV);
		CHECK_RC(tce_iommu_table_get(t2, w.idx, &tce), 0);
		CHECK_EQ(tce, 0);
		CHECK_RC(tce_group_unset_window(g, 1), 0);
		tce_iommu_table_put(t2);
		tce_iommu_table_put(w.t);
	}
	CHECK(w.ok > 0);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/* Populated entries of the pseries window @liobn of @entries 4 KiB pages from bus 0. */
static uint64_t populated(struct tce_machine *m, uint64_t liobn, uint64_t entries)
{
	uint64_t i, n = 0, args[9];

	for (i = 0; i < entries; i++) {
		args[0] = liobn, args[1] = i << 12;
		if (tce_hv_hcall(m, TCE_H_GET_TCE, args) != TCE_H_SUCCESS)
			return UINT64_MAX;
		n += args[0] != 0;
	}
	return n;
}

/*
 * pseries kernel DMA that fails part-way through its H_PUT_TCE_INDIRECT
 * chunks leaves no TCE behind: the chunks already written are cleared
 * before the error returns (the DMA layer frees the range as it stands).
 */
static void pseries_failed_map_leaves_nothing(void)
{
	struct tce_group_info gi;
	uint64_t real, bus, n, entries;
	struct tce_ctx *ctx;
	struct tt_os o;
	bool armed = false;
	int rc;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	ctx = tce_machine_ctx(o.m);
	tce_group_info(tce_device_group(o.a), &gi);
	REQUIRE(gi.tce32_start == 0);
	entries = gi.tce32_size >> 12;
	REQUIRE(tce_host_alloc(o.h, 3 << 20, &real, NULL) == 0);
	REQUIRE(populated(o.m, 0x80000000ULL, entries) == 0);
	for (n = 1; !armed && !tt_failed(); n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_device_map_page(o.a, real, 3 << 20, TCE_DIR_TO_DEVICE, &bus);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		if (!rc) {
			CHECK(armed);
			CHECK_RC(tce_device_unmap_page(o.a, bus, 3 << 20), 0);
		} else {
			CHECK(rc == -EIO || rc == -ENOMEM);
		}
		CHECK_EQ(populated(o.m, 0x80000000ULL, entries), 0);
	}
	CHECK(n > 3); /* the DMA layer's fault point and two INDIRECT chunks at least */
	CHECK_RC(tce_host_free(o.h, real, 3 << 20), 0);
	tt_os_shutdown(&o);
}

/*
 * legacy: a writer racing the release through the owner's table: once the
 * release returns, no call through that table succeeds and the window the
 * kernel uses again holds nothing of the owner's.
 */
static void legacy_release_racing_writer(void)
{
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_group_info gi;
	struct writer w = { 0 };
	struct tce_group *g;
	struct tt_os o;
	pthread_t th;
	void *res;
	int i;

	REQUIRE(tt_os_boot_config(&o, TCE_PLATFORM_PSERIES, &cfg) == 0);
	g = tce_device_group(o.a);
	tce_group_info(g, &gi);
	for (i = 0; i < 10; i++) {
		REQUIRE(tce_group_take_ownership(g) == 0);
		REQUIRE(tce_group_get_table(g, 0, &w.t) == 0);
		w.idx = 16 + (uint64_t)i;
		atomic_store(&w.started, false);
		atomic_store(&w.stop, false);
		REQUIRE(pthread_create(&th, NULL, stale_writer, &w) == 0);
		while (!atomic_load(&w.started))
			sched_yield();
		CHECK_RC(tce_group_release_ownership(g), 0);
		atomic_store(&w.stop, true);
		pthread_join(th, &res);
		CHECK_EQ((intptr_t)res, -ENODEV);
		CHECK_EQ(populated(o.m, 0x80000000ULL, gi.tce32_size >> 12), 0);
		tce_iommu_table_put(w.t);
	}
	CHECK(w.ok > 0);
	tt_os_shutdown(&o);
}

/*
 * legacy: a release whose clear of the owner's TCEs fails fails (the group
 * stays owned, the owner's table cut off), and a retry clears the rest; a
 * release that succeeds leaves the window empty. Two 512-entry chunks hold
 * TCEs, so the clear fails part-way at some fault point.
 */
static void legacy_release_clear_fails(void)
{
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_iommu_table *t;
	struct tce_group_info gi;
	struct tce_group *g;
	struct tce_ctx *ctx;
	struct tt_os o;
	bool armed = false, failed_once = false;
	uint64_t n, tce;
	int rc;

	REQUIRE(tt_os_boot_config(&o, TCE_PLATFORM_PSERIES, &cfg) == 0);
	ctx = tce_machine_ctx(o.m);
	g = tce_device_group(o.a);
	tce_group_info(g, &gi);
	for (n = 1; !armed && !tt_failed(); n++) {
		REQUIRE(tce_group_take_ownership(g) == 0);
		REQUIRE(tce_group_get_table(g, 0, &t) == 0);
		CHECK_RC(tce_iommu_table_update(t, 3, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
		CHECK_RC(tce_iommu_table_update(t, 3 + TCE_INDIRECT_MAX, 1, 0x1000000,
						TCE_DIR_TO_DEVICE), 0);
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_group_release_ownership(g);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		if (rc) {
			failed_once = true;
			CHECK(tce_group_owned(g));
			CHECK_RC(tce_iommu_table_get(t, 3, &tce), -ENODEV);
			CHECK_RC(tce_group_release_ownership(g), 0);
		}
		CHECK(!tce_group_owned(g));
		CHECK_EQ(populated(o.m, 0x80000000ULL, gi.tce32_size >> 12), 0);
		tce_iommu_table_put(t);
	}
	CHECK(failed_once);
	tt_os_shutdown(&o);
}

/*
 * legacy: destroying the host cuts off a table the owner still holds and
 * leaves the window empty, as the machine booted it; also when the take
 * that teardown starts with fails (its first fault point, the new table).
 */
static void legacy_teardown_cuts_off_owner(void)
{
	struct tce_host_config cfg = { .profile = TCE_OS_LEGACY };
	struct tce_iommu_table *t;
	struct tce_group_info gi;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *d;
	uint64_t real, tce;
	enum tce_dir dir;
	int fail;

	for (fail = 0; fail <= 1; fail++) {
		REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
		REQUIRE(tce_host_create_config(m, &cfg, &h) == 0);
		REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
		tce_group_info(tce_device_group(d), &gi);
		REQUIRE(tce_group_take_ownership(tce_device_group(d)) == 0);
		REQUIRE(tce_group_get_table(tce_device_group(d), 0, &t) == 0);
		CHECK_RC(tce_iommu_table_update(t, 7, 1, 0x1000000, TCE_DIR_TO_DEVICE), 0);
		tce_ctx_set_fail_nth(tce_machine_ctx(m), (uint64_t)fail);
		tce_host_destroy(h);
		CHECK(!fail || !tce_ctx_fail_nth_armed(tce_machine_ctx(m)));
		tce_ctx_set_fail_nth(tce_machine_ctx(m), 0);
		CHECK_EQ(populated(m, 0x80000000ULL, gi.tce32_size >> 12), 0);
		real = 0x1000000, dir = TCE_DIR_TO_DEVICE;
		CHECK_RC(tce_iommu_table_xchg(t, 7, &real, &dir), -ENODEV);
		CHECK_RC(tce_iommu_table_get(t, 7, &tce), -ENODEV);
		tce_iommu_table_put(t);
		tce_machine_destroy(m);
	}
}

/*
 * The owner's entry points check their arguments before the platform sees
 * them (powernv, whose table stores what it is given): to TCE_DIR_NONE the
 * real address is ignored, whatever it is, and the entry empties; a real
 * direction with a misaligned address, or a direction past TCE_DIR_NONE,
 * is -EINVAL and changes nothing.
 */
static void table_entry_arguments(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1ULL << 30,
				      .levels = 1 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	struct tce_group *g;
	uint64_t real, tce, i;
	enum tce_dir dir;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	tce_iommu_table_info(t, &ti);
	i = ti.first_idx + 2;
	CHECK_RC(tce_iommu_table_update(t, i, 1, 0x1000000, TCE_DIR_BIDIRECTIONAL), 0);
	real = 0x1000123, dir = TCE_DIR_BIDIRECTIONAL;
	CHECK_RC(tce_iommu_table_xchg(t, i, &real, &dir), -EINVAL);
	CHECK_RC(tce_iommu_table_update(t, i, 1, 0x1000123, TCE_DIR_TO_DEVICE), -EINVAL);
	CHECK_RC(tce_iommu_table_update(t, i, 1, 0x1000000, TCE_DIR_NONE + 1), -EINVAL);
	CHECK_RC(tce_iommu_table_get(t, i, &tce), 0);
	CHECK_EQ(tce, 0x1000000 | TCE_PCI_READ | TCE_PCI_WRITE);
	real = 0x123, dir = TCE_DIR_NONE;
	CHECK_RC(tce_iommu_table_xchg(t, i, &real, &dir), 0);
	CHECK_EQ(real, 0x1000000);
	CHECK_EQ(dir, TCE_DIR_BIDIRECTIONAL);
	CHECK_RC(tce_iommu_table_get(t, i, &tce), 0);
	CHECK_EQ(tce, 0);
	CHECK_RC(tce_iommu_table_update(t, i + 1, 2, 0x2000000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_iommu_table_update(t, i + 1, 2, 0x555, TCE_DIR_NONE), 0);
	CHECK_RC(tce_iommu_table_get(t, i + 2, &tce), 0);
	CHECK_EQ(tce, 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

static const struct tt_case cases[] = {
	TT_CASE(powernv_bypass_geometry),
	TT_CASE(powernv_bypass_rounds_up),
	TT_CASE(powernv_set_window_busy),
	TT_CASE(powernv_set_window_foreign),
	TT_CASE(powernv_tree_defaults),
	TT_CASE(phb_without_ranges),
	TT_CASE(pseries_ddw_extensions_empty),
	TT_CASE(pseries_no_create_token),
	TT_CASE(single_slot_busy_keeps_default),
	TT_CASE(legacy_info),
	TT_CASE(pseries_block_covers_ram_exactly),
	TT_CASE(pseries_owner_ddw_at_block),
	TT_CASE(pseries_default_request),
	TT_CASE(pseries_inject_with_decode_on),
	TT_CASE(powernv_default_page_sizes),
	TT_CASE(many_functions_no_leak),
	TT_CASE(powernv_kernel_map_kills),
	TT_CASE(pseries_inject_whole_pe),
	TT_CASE(powernv_shared_table_leave),
	TT_CASE(powernv_one_level_phb),
	TT_CASE(powernv_take_drops_bypass),
	TT_CASE(pseries_clear_stops_at_end),
	TT_CASE(pseries_kernel_map_many_chunks),
	TT_CASE(pseries_clear_follows_written_chunks),
	TT_CASE(pseries_failed_map_leaves_nothing),
	TT_CASE(domain_levels_within_phb),
	TT_CASE(table_entry_arguments),
	TT_CASE(pseries_stale_table),
	TT_CASE(pseries_stale_table_racing_writer),
	TT_CASE(legacy_release_racing_writer),
	TT_CASE(legacy_release_clear_fails),
	TT_CASE(legacy_teardown_cuts_off_owner),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
