/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Machines from device trees: the built-in pseries and powernv machines
 * (three PEs: dma-test, a VF, an I/OAT channel that recovers its DMA
 * faults), creation from blobs and .dtb files, the libtce,dma-fault
 * binding, device lookup, the memory model, and a long list of malformed
 * or hostile trees, each refused with -EINVAL and a log line naming the
 * node and property.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#ifndef TCE_SOURCE_DIR
#error "TCE_SOURCE_DIR must name the source tree"
#endif

static struct tce_machine *builtin(enum tce_platform p)
{
	struct tce_machine *m = NULL;

	CHECK_RC(tce_machine_create_default(p, &m), 0);
	return m;
}

/* A string property of node @path of @fdt equals @want. */
static bool prop_is(const void *fdt, const char *path, const char *name, const char *want)
{
	int len = 0;
	const char *v = fdt_getprop(fdt, fdt_path_offset(fdt, path), name, &len);

	return v && len == (int)strlen(want) + 1 && !memcmp(v, want, (size_t)len);
}

/* PE @num of PHB 0 into @out: 0, or -ENOENT when the PHB has no such PE. */
static int pe_of(struct tce_machine *m, uint32_t num, struct tce_pe_info *out)
{
	struct tce_phb_info phb;
	uint32_t j;

	CHECK_RC(tce_machine_phb(m, 0, &phb), 0);
	for (j = 0; j < phb.npes; j++)
		if (!tce_machine_pe(m, 0, j, out) && out->num == num)
			return 0;
	return -ENOENT;
}

/*
 * Both built-in machines: one PHB, three PEs, three functions: dma-test
 * 00:01.0 (PE 0), the VF 00:02.0 (PE 1) and the I/OAT channel 00:03.0
 * (PE 2, libtce,dma-fault = "recover", no faults yet); nothing at 00:04.0.
 */
static void builtin_topology(struct tce_machine *m, const char *phb_path)
{
	static const char *const names[] = { "0000:00:01.0", "0000:00:02.0", "0000:00:03.0" };
	char ioat[64];
	struct tce_machine_info mi;
	struct tce_phb_info phb;
	struct tce_pe_info pe;
	struct tce_pci_dev *d, *x;
	uint32_t i, v = 0;

	tce_machine_info(m, &mi);
	CHECK_EQ(mi.nphbs, 1);
	CHECK_EQ(mi.ndevs, 3);
	CHECK_RC(tce_machine_phb(m, 0, &phb), 0);
	CHECK_EQ(phb.npes, 3);
	for (i = 0; i < 3; i++) {
		CHECK_RC(tce_machine_find_device(m, names[i], &d), 0);
		CHECK(!strcmp(tce_dev_name(d), names[i]));
		CHECK_EQ(tce_dev_pe(d), i);
	}
	CHECK_RC(tce_machine_find_device(m, "0000:00:03.0", &d), 0);
	CHECK_RC(tce_dev_config_read(d, TCE_PCI_VENDOR_ID, 2, &v), 0);
	CHECK_EQ(v, TCE_IOAT_VENDOR);
	CHECK_RC(tce_dev_config_read(d, TCE_PCI_DEVICE_ID, 2, &v), 0);
	CHECK_EQ(v, TCE_IOAT_DEVICE);
	snprintf(ioat, sizeof(ioat), "%s/ioat@3", phb_path);
	CHECK(prop_is(tce_machine_fdt(m), ioat, "libtce,device", "ioat"));
	CHECK(prop_is(tce_machine_fdt(m), ioat, "libtce,dma-fault", "recover"));
	CHECK_RC(pe_of(m, 2, &pe), 0);
	CHECK_EQ(pe.def_size, 2ULL << 30);
	CHECK_EQ(pe.faults, 0);
	CHECK_EQ(pe.recovered, 0);
	CHECK_RC(tce_machine_find_device(m, "0000:00:04.0", &x), -ENODEV);
}

static void builtin_pseries(void)
{
	struct tce_machine *m = builtin(TCE_PLATFORM_PSERIES);
	struct tce_pci_dev *a, *b, *x;
	struct tce_pe_info pe;
	const void *fdt;

	REQUIRE(m);
	CHECK_EQ(tce_machine_platform(m), TCE_PLATFORM_PSERIES);
	CHECK_RC(tce_machine_find_device(m, "0000:00:01.0", &a), 0);
	CHECK_RC(tce_machine_find_device(m, "0000:00:02.0", &b), 0);
	CHECK(!strcmp(tce_dev_name(a), "0000:00:01.0"));
	CHECK_EQ(tce_dev_pe(a), 0);
	CHECK_EQ(tce_dev_pe(b), 1);
	builtin_topology(m, "/pci@800000020000000");
	CHECK_RC(pe_of(m, 2, &pe), 0);
	CHECK_EQ(pe.def_liobn, 0x80000200);        /* the I/OAT's own default window */
	CHECK_EQ(pe.def_bus, 0);
	CHECK_RC(tce_machine_find_device(m, "0001:00:01.0", &x), -ENODEV);
	CHECK_RC(tce_machine_find_device(m, "0000:00:01", &x), -EINVAL);
	CHECK_RC(tce_machine_find_device(m, "0000:00:20.0", &x), -EINVAL);
	CHECK_RC(tce_machine_find_device(m, "0000:00:01.8", &x), -EINVAL);
	CHECK_RC(tce_machine_find_device(m, "zzzz:00:01.0", &x), -EINVAL);
	CHECK_RC(tce_machine_find_device(m, NULL, &x), -EINVAL);
	fdt = tce_machine_fdt(m);
	CHECK_EQ(fdt_check_full(fdt, tce_machine_fdt_size(m)), 0);
	CHECK(fdt_path_offset(fdt, "/pci@800000020000000") >= 0);
	/* 4 GiB of RAM: the last byte is memory, the next is not. */
	CHECK(tce_machine_ram_ptr(m, (4ULL << 30) - 1, 1) != NULL);
	CHECK(tce_machine_ram_ptr(m, (4ULL << 30) - 1, 2) == NULL);
	CHECK(tce_machine_ram_ptr(m, ~0ULL, 2) == NULL);
	CHECK(tce_machine_ram_ptr(m, 0, 0) == NULL);
	tce_machine_destroy(m);
}

static void builtin_powernv(void)
{
	struct tce_machine *m = builtin(TCE_PLATFORM_POWERNV);
	struct tce_pci_dev *b;

	REQUIRE(m);
	CHECK_EQ(tce_machine_platform(m), TCE_PLATFORM_POWERNV);
	CHECK_RC(tce_machine_find_device(m, "0000:00:02.0", &b), 0);
	CHECK_EQ(tce_dev_pe(b), 1);
	builtin_topology(m, "/pciex@3fffe40000000");
	tce_machine_destroy(m);
	CHECK_RC(tce_machine_create_default((enum tce_platform)7, &m), -EINVAL);
}

static void from_files(void)
{
	struct tce_machine *m = NULL, *src = builtin(TCE_PLATFORM_POWERNV);
	char path[] = "/tmp/libtce-test-XXXXXX";
	int fd = mkstemp(path);

	REQUIRE(src && fd >= 0);
	CHECK((size_t)write(fd, tce_machine_fdt(src), tce_machine_fdt_size(src)) ==
	      tce_machine_fdt_size(src));
	close(fd);
	CHECK_RC(tce_machine_create_dtb_file(path, NULL, &m), 0);
	if (m)
		CHECK_EQ(tce_machine_platform(m), TCE_PLATFORM_POWERNV);
	tce_machine_destroy(m);
	unlink(path);
	CHECK_RC(tce_machine_create_dtb_file("/nonexistent/x.dtb", NULL, &m), -ENOENT);
	CHECK_RC(tce_machine_create_dtb_file(TCE_SOURCE_DIR "/src", NULL, &m), -EISDIR);
	CHECK_RC(tce_machine_create_dtb_file("/dev/null", NULL, &m), -EINVAL);
	CHECK_RC(tce_machine_create_dtb_file(NULL, NULL, &m), -EINVAL);
	/* A .dts is source, not a blob: the library does not run dtc. */
	CHECK_RC(tce_machine_create_dtb_file(TCE_SOURCE_DIR "/src/hw/machines/pseries.dts", NULL, &m),
		 -EINVAL);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	CHECK_RC(tce_machine_create_dtb_file(path, NULL, &m), -EINVAL); /* empty */
	unlink(path);
	tce_machine_destroy(src);
}

/* Reading a .dtb allocates through the caller's context: every allocation may fail. */
static void dtb_file_fail_nth(void)
{
	struct tce_machine *m = NULL, *src = builtin(TCE_PLATFORM_PSERIES);
	struct tce_ctx *ctx = tt_ctx();
	char path[] = "/tmp/libtce-test-XXXXXX";
	int fd = mkstemp(path), rc = -1;
	uint64_t n;

	REQUIRE(src && fd >= 0);
	CHECK((size_t)write(fd, tce_machine_fdt(src), tce_machine_fdt_size(src)) ==
	      tce_machine_fdt_size(src));
	close(fd);
	for (n = 1; n < 100; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_machine_create_dtb_file(path, ctx, &m);
		if (tce_ctx_fail_nth_armed(ctx))
			break;
		CHECK_RC(rc, -ENOMEM);
		tt_no_leak(ctx);
	}
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_RC(rc, 0);
	CHECK(n > 2); /* the file buffer, then the machine */
	if (!rc)
		CHECK_EQ(tce_machine_ctx(m), ctx);
	tce_machine_destroy(m);
	tt_no_leak(ctx);
	unlink(path);
	tce_machine_destroy(src);
	tt_ctx_done(ctx);
}

/* ---- hostile trees ---- */

struct log_capture {
	char last[512];
	int n;
};

static void capture(void *arg, enum tce_log_level level, const char *msg)
{
	struct log_capture *c = arg;

	(void)level;
	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static char blob[1 << 16];

/* A copy of a built-in tree with room to edit it. */
static void *base_tree(enum tce_platform p)
{
	struct tce_machine *m = builtin(p);

	if (!m || fdt_open_into(tce_machine_fdt(m), blob, sizeof(blob)))
		tt_fail(__FILE__, __LINE__, "cannot copy the built-in tree");
	tce_machine_destroy(m);
	return blob;
}

/* Create from @fdt; expect -EINVAL and a message that names @node and @prop. */
static void expect_refused(const void *fdt, size_t size, const char *node, const char *prop)
{
	struct log_capture c = { 0 };
	struct tce_machine_config cfg = { .dtb = fdt, .dtb_size = size };
	struct tce_machine *m = NULL;
	struct tce_ctx *ctx;
	struct tce_mem_stats ms;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	tce_ctx_set_log(ctx, capture, &c, TCE_LOG_ERR);
	cfg.ctx = ctx;
	CHECK_RC(tce_machine_create(&cfg, &m), -EINVAL);
	if (node && !strstr(c.last, node))
		tt_fail(__FILE__, __LINE__, "log \"%s\" does not name %s", c.last, node);
	if (prop && !strstr(c.last, prop))
		tt_fail(__FILE__, __LINE__, "log \"%s\" does not name %s", c.last, prop);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	tce_ctx_destroy(ctx);
}

#define PHB "/pci@800000020000000"
#define FN1 PHB "/dma-test@1"
#define VF PHB "/vf@2"
#define IOAT PHB "/ioat@3"

static void set_cells(void *fdt, const char *path, const char *prop, const uint32_t *v,
		      unsigned n)
{
	fdt32_t be[16];
	unsigned i;

	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	if (fdt_setprop(fdt, fdt_path_offset(fdt, path), prop, be, (int)(n * 4)))
		tt_fail(__FILE__, __LINE__, "cannot set %s", prop);
}

static void refuse_cells(const char *path, const char *prop, const uint32_t *v, unsigned n)
{
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);

	set_cells(fdt, path, prop, v, n);
	expect_refused(fdt, fdt_totalsize(fdt), path, prop);
}

static void malformed_blobs(void)
{
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);
	static uint8_t junk[256];

	expect_refused(fdt, fdt_totalsize(fdt) - 8, NULL, "(blob)");
	memset(junk, 0xd0, sizeof(junk));
	expect_refused(junk, sizeof(junk), NULL, "(blob)");
	expect_refused(junk, 3, NULL, NULL);
	fdt_setprop_string(fdt, 0, "compatible", "ibm,pseries");
	expect_refused(fdt, fdt_totalsize(fdt), "/", "compatible");
}

/*
 * Create from a copy of @fdt with header words @off1 and @off2 set to @v1
 * and @v2 (@off2 may repeat @off1): 0 or -EINVAL, never a crash.
 */
static int with_header2(const void *fdt, size_t size, size_t off1, uint32_t v1, size_t off2,
			uint32_t v2)
{
	static uint8_t copy[sizeof(blob)];
	struct tce_machine *m = NULL;
	fdt32_t be1 = cpu_to_fdt32(v1), be2 = cpu_to_fdt32(v2);
	int rc;

	memcpy(copy, fdt, size);
	memcpy(copy + off2, &be2, sizeof(be2));
	memcpy(copy + off1, &be1, sizeof(be1));
	rc = tce_machine_create_dtb(copy, size, &m);
	if (rc != 0 && rc != -EINVAL)
		tt_fail(__FILE__, __LINE__, "header words %zu, %zu = 0x%x, 0x%x gave %d", off1, off2,
			v1, v2, rc);
	tce_machine_destroy(m);
	return rc;
}

static int with_header(const void *fdt, size_t size, size_t off, uint32_t v)
{
	return with_header2(fdt, size, off, v, off, v);
}

/* Header words (byte offsets of struct fdt_header). */
enum { H_MAGIC = 0, H_TOTAL = 4, H_STRUCT = 8, H_STRINGS = 12, H_RSV = 16, H_VERSION = 20,
       H_LAST_COMP = 24, H_STRINGS_SIZE = 32, H_STRUCT_SIZE = 36 };

/*
 * Format versions 0..20 on both built-in trees: versions before 16 are
 * refused (libfdt used to crash in fdt_check_full on 2..15), 16 and 17 are
 * read, later ones compatible with 16 are read too.
 */
static void header_versions(void)
{
	enum tce_platform p;
	uint32_t v;
	size_t size;
	void *fdt;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		fdt = base_tree(p);
		fdt_pack(fdt);
		size = fdt_totalsize(fdt);
		for (v = 0; v <= 20; v++) {
			if (with_header(fdt, size, H_VERSION, v) != (v < 16 ? -EINVAL : 0))
				tt_fail(__FILE__, __LINE__, "platform %d version %u", p, v);
			/* Compatible with itself only: this one crashed libfdt for 2..15. */
			if (with_header2(fdt, size, H_VERSION, v, H_LAST_COMP, v < 17 ? v : 17) !=
			    (v < 16 ? -EINVAL : 0))
				tt_fail(__FILE__, __LINE__, "platform %d version %u alone", p, v);
		}
		CHECK_RC(with_header(fdt, size, H_LAST_COMP, 17), 0);
		CHECK_RC(with_header(fdt, size, H_LAST_COMP, 18), -EINVAL); /* newer than 17 */
		CHECK_RC(with_header(fdt, size, H_LAST_COMP, 0xffffffff), -EINVAL);
	}
	fdt = base_tree(TCE_PLATFORM_PSERIES);
	fdt_set_version(fdt, 3);
	fdt_set_last_comp_version(fdt, 3);
	expect_refused(fdt, fdt_totalsize(fdt), NULL, "(blob)");
}

/* Every hostile value of every header field is refused, and nothing crashes. */
static void header_fields(void)
{
	static const uint32_t vals[] = { 0, 1, 2, 3, 4, 7, 8, 36, 39, 40, 0x7f, 0x80, 0xfff,
					 0x1000, 0x7ffffffc, 0x80000000, 0xfffffff0, 0xfffffffc,
					 0xffffffff };
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);
	uint32_t st, st_size, str_size;
	size_t size, off, i;

	fdt_pack(fdt);
	size = fdt_totalsize(fdt);
	st = fdt_off_dt_struct(fdt);
	st_size = fdt_size_dt_struct(fdt), str_size = fdt_size_dt_strings(fdt);
	CHECK_RC(with_header(fdt, size, H_MAGIC, 0xd00dfeee), -EINVAL);
	CHECK_RC(with_header(fdt, size, H_TOTAL, (uint32_t)size + 4), -EINVAL); /* past the buffer */
	CHECK_RC(with_header(fdt, size, H_TOTAL, 39), -EINVAL);
	CHECK_RC(with_header(fdt, size, H_STRUCT, st + 2), -EINVAL);    /* misaligned */
	CHECK_RC(with_header(fdt, size, H_STRUCT, 0), -EINVAL);         /* the header */
	CHECK_RC(with_header(fdt, size, H_STRUCT, 16), -EINVAL);        /* the header */
	CHECK_RC(with_header(fdt, size, H_STRUCT_SIZE, st_size + 2), -EINVAL);
	CHECK_RC(with_header(fdt, size, H_STRUCT_SIZE, 0xfffffffc), -EINVAL); /* wraps 32 bits */
	CHECK_RC(with_header(fdt, size, H_STRUCT_SIZE, st_size + str_size), -EINVAL); /* over strings */
	CHECK_RC(with_header(fdt, size, H_STRINGS, st), -EINVAL);       /* inside the structure */
	CHECK_RC(with_header(fdt, size, H_STRINGS, (uint32_t)size), -EINVAL);
	CHECK_RC(with_header(fdt, size, H_STRINGS_SIZE, 0xffffffff), -EINVAL);
	CHECK_RC(with_header(fdt, size, H_STRINGS_SIZE, str_size + 1), -EINVAL); /* past the end */
	CHECK_RC(with_header(fdt, size, H_RSV, 44), -EINVAL);           /* misaligned */
	CHECK_RC(with_header(fdt, size, H_RSV, 32), -EINVAL);           /* the header */
	CHECK_RC(with_header(fdt, size, H_RSV, st), -EINVAL);           /* the structure */
	CHECK_RC(with_header(fdt, size, H_RSV, (uint32_t)size), -EINVAL); /* no terminator */
	/* Any value of any header word: 0 or -EINVAL (ASan checks the reads). */
	for (off = 0; off < 40; off += 4)
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
			with_header(fdt, size, off, vals[i]);
	/* Truncated buffers, down to nothing. */
	for (off = 1; off < 64; off++)
		expect_refused(fdt, off, NULL, NULL);
	expect_refused(fdt, size - 1, NULL, "(blob)");
	CHECK_RC(with_header(fdt, size, H_TOTAL, (uint32_t)size), 0);
}

static void bad_memory(void)
{
	static const uint32_t at1g[] = { 0, 0x40000000, 1, 0 }, huge[] = { 0, 0, 0x10000, 0 },
			      zero[] = { 0, 0, 0, 0 }, three[] = { 0, 0, 1 };

	refuse_cells("/memory@0", "reg", at1g, 4);
	refuse_cells("/memory@0", "reg", huge, 4);
	refuse_cells("/memory@0", "reg", zero, 4);
	refuse_cells("/memory@0", "reg", three, 3);
}

static void bad_dma_windows(void)
{
	static const uint32_t short_win[] = { 0x80000000, 0, 0, 0 },
			      not_pow2[] = { 0x80000000, 0, 0, 0, 0x30000000 },
			      above[] = { 0x80000000, 0x08000000, 0, 0, 0x10000000 },
			      unaligned[] = { 0x80000000, 0, 0x1000, 0, 0x10000000 },
			      dup_liobn[] = { 0x80000001, 0, 0, 0, 0x10000000 },
			      same_liobn[] = { 0x80000000, 0, 0, 0, 0x10000000 };

	refuse_cells(PHB, "ibm,dma-window", short_win, 4);
	refuse_cells(PHB, "ibm,dma-window", not_pow2, 5);
	refuse_cells(PHB, "ibm,dma-window", above, 5);
	refuse_cells(PHB, "ibm,dma-window", unaligned, 5);
	refuse_cells(VF, "ibm,dma-window", dup_liobn, 5);
	refuse_cells(VF, "ibm,dma-window", same_liobn, 5);
}

static void bad_phb_properties(void)
{
	static const uint32_t ext[] = { 3, 0x2029 }, pages[] = { 0, 0x10000 },
			      pages_big[] = { 0x8, 0x1000 }, zero_block[] = { 0, 0 },
			      cells1[] = { 3 }, ac[] = { 2 }, ddw2[] = { 0x2026, 0x2027 };

	refuse_cells(PHB, "ibm,ddw-extensions", ext, 2);
	refuse_cells(PHB, "ibm,ddw-applicable", ddw2, 2);
	refuse_cells(PHB, "libtce,dma-page-sizes", pages, 2);
	refuse_cells(PHB, "libtce,dma-page-sizes", pages_big, 2);
	refuse_cells(PHB, "libtce,largest-block", zero_block, 2);
	refuse_cells(PHB, "ibm,#dma-size-cells", cells1, 1);
	refuse_cells(PHB, "#address-cells", ac, 1);
}

static void bad_functions(void)
{
	static const uint32_t reg4[] = { 0x800, 0, 0, 0 }, reg_bar[] = { 0x02000810, 0, 0, 0, 0 },
			      same[] = { 0x1000, 0, 0, 0, 0 }, pe_big[] = { 256 };
	void *fdt;

	refuse_cells(FN1, "reg", reg4, 4);
	refuse_cells(FN1, "reg", reg_bar, 5);
	fdt = base_tree(TCE_PLATFORM_PSERIES); /* the later of the two is named */
	set_cells(fdt, FN1, "reg", same, 5);
	expect_refused(fdt, fdt_totalsize(fdt), VF, "reg");
	refuse_cells(FN1, "libtce,pe", pe_big, 1);
	fdt = base_tree(TCE_PLATFORM_PSERIES);
	fdt_setprop_string(fdt, fdt_path_offset(fdt, FN1), "libtce,device", "nic");
	expect_refused(fdt, fdt_totalsize(fdt), FN1, "libtce,device");
	/* A VF and a normal function in one PE. */
	fdt = base_tree(TCE_PLATFORM_PSERIES);
	fdt_setprop_u32(fdt, fdt_path_offset(fdt, VF), "libtce,pe", 0);
	expect_refused(fdt, fdt_totalsize(fdt), NULL, "libtce,sriov-vf");
	/* A PHB without functions. */
	fdt = base_tree(TCE_PLATFORM_PSERIES);
	fdt_del_node(fdt, fdt_path_offset(fdt, IOAT));
	fdt_del_node(fdt, fdt_path_offset(fdt, VF));
	fdt_del_node(fdt, fdt_path_offset(fdt, FN1));
	expect_refused(fdt, fdt_totalsize(fdt), PHB, "(children)");
	/* A PE without a default window. */
	fdt = base_tree(TCE_PLATFORM_PSERIES);
	fdt_delprop(fdt, fdt_path_offset(fdt, PHB), "ibm,dma-window");
	expect_refused(fdt, fdt_totalsize(fdt), PHB, "ibm,dma-window");
}

/* Create from @fdt: it must be accepted. */
static void expect_accepted(const void *fdt)
{
	struct tce_machine *m = NULL;

	CHECK_RC(tce_machine_create_dtb(fdt, fdt_totalsize(fdt), &m), 0);
	tce_machine_destroy(m);
}

/* @node of a copy of @p's built-in tree with libtce,dma-fault = the @len bytes at @v. */
static void *with_dma_fault(enum tce_platform p, const char *node, const void *v, int len)
{
	void *fdt = base_tree(p);

	if (fdt_setprop(fdt, fdt_path_offset(fdt, node), "libtce,dma-fault", v, len))
		tt_fail(__FILE__, __LINE__, "cannot set libtce,dma-fault on %s", node);
	return fdt;
}

#define STR(s) s, (int)sizeof(s)

/*
 * libtce,dma-fault: "freeze" and "recover" on a function with an emulated
 * device, on either platform; any other value (another string, case, a
 * trailing byte, empty, a cell) and the property on a function without
 * libtce,device are refused naming the node and the property.
 */
static void dma_fault_property(void)
{
	static const struct { const char *v; int len; } bad[] = {
		{ STR("Recover") }, { STR("freeze ") }, { STR("") }, { "recover\0", 9 },
		{ "freeze", 6 }, { "\0\0\0\1", 4 }, { STR("thaw") },
	};
	const char *pnv_ioat = "/pciex@3fffe40000000/ioat@3";
	unsigned i;
	void *fdt;

	expect_accepted(with_dma_fault(TCE_PLATFORM_PSERIES, FN1, STR("recover")));
	expect_accepted(with_dma_fault(TCE_PLATFORM_PSERIES, FN1, STR("freeze")));
	expect_accepted(with_dma_fault(TCE_PLATFORM_PSERIES, IOAT, STR("freeze")));
	expect_accepted(with_dma_fault(TCE_PLATFORM_POWERNV, pnv_ioat, STR("freeze")));
	fdt = base_tree(TCE_PLATFORM_PSERIES);          /* absent: the default */
	CHECK_EQ(fdt_delprop(fdt, fdt_path_offset(fdt, IOAT), "libtce,dma-fault"), 0);
	expect_accepted(fdt);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fdt = with_dma_fault(TCE_PLATFORM_PSERIES, IOAT, bad[i].v, bad[i].len);
		expect_refused(fdt, fdt_totalsize(fdt), IOAT, "libtce,dma-fault");
	}
	fdt = with_dma_fault(TCE_PLATFORM_POWERNV, pnv_ioat, STR("halt"));
	expect_refused(fdt, fdt_totalsize(fdt), pnv_ioat, "libtce,dma-fault");
	/* A function without an emulated device does no DMA: either value is refused. */
	for (i = 0; i < 2; i++) {
		fdt = i ? with_dma_fault(TCE_PLATFORM_PSERIES, FN1, STR("freeze")) :
			  with_dma_fault(TCE_PLATFORM_PSERIES, FN1, STR("recover"));
		CHECK_EQ(fdt_delprop(fdt, fdt_path_offset(fdt, FN1), "libtce,device"), 0);
		expect_refused(fdt, fdt_totalsize(fdt), FN1, "libtce,dma-fault");
	}
}

static void bad_powernv(void)
{
	static const uint32_t sizes[] = { 12, 40 }, levels[] = { 6 }, d32[] = { 0, 0x30000000 };
	const char *phb = "/pciex@3fffe40000000";
	void *fdt = base_tree(TCE_PLATFORM_POWERNV);

	set_cells(fdt, phb, "ibm,supported-tce-sizes", sizes, 2);
	expect_refused(fdt, fdt_totalsize(fdt), phb, "ibm,supported-tce-sizes");
	fdt = base_tree(TCE_PLATFORM_POWERNV);
	set_cells(fdt, phb, "libtce,max-levels", levels, 1);
	expect_refused(fdt, fdt_totalsize(fdt), phb, "libtce,max-levels");
	fdt = base_tree(TCE_PLATFORM_POWERNV);
	set_cells(fdt, phb, "libtce,dma32-size", d32, 2);
	expect_refused(fdt, fdt_totalsize(fdt), phb, "libtce,dma32-size");
	fdt = base_tree(TCE_PLATFORM_POWERNV);
	fdt_delprop(fdt, fdt_path_offset(fdt, phb), "ibm,opal-phbid");
	expect_refused(fdt, fdt_totalsize(fdt), phb, "ibm,opal-phbid");
}

/*
 * Add a second PHB @name to @fdt: pseries with BUID @id and a default window
 * of LIOBN @liobn, or powernv with OPAL PHB id @id; one DMA-test function at
 * 00:01.0 (the address the first PHB's function has: domains differ).
 */
static void add_phb(void *fdt, enum tce_platform p, const char *name, uint64_t id, uint32_t liobn)
{
	uint32_t win[5] = { liobn, 0, 0, 0, 0x10000000 }, reg[4] = { (uint32_t)(id >> 32),
								   (uint32_t)id, 0, 0 };
	uint32_t fn_reg[5] = { 0x800, 0, 0, 0, 0 }, phbid[2] = { (uint32_t)(id >> 32), (uint32_t)id };
	char path[64], fn[80];
	int node = fdt_add_subnode(fdt, 0, name);

	if (node < 0)
		tt_fail(__FILE__, __LINE__, "cannot add %s", name);
	snprintf(path, sizeof(path), "/%s", name);
	snprintf(fn, sizeof(fn), "%s/f@1", path);
	fdt_setprop_string(fdt, node, "device_type", p == TCE_PLATFORM_PSERIES ? "pci" : "pciex");
	fdt_setprop_u32(fdt, node, "#address-cells", 3);
	fdt_setprop_u32(fdt, node, "#size-cells", 2);
	if (p == TCE_PLATFORM_PSERIES) {
		set_cells(fdt, path, "reg", reg, 4);
		set_cells(fdt, path, "ibm,dma-window", win, 5);
	} else {
		set_cells(fdt, path, "ibm,opal-phbid", phbid, 2);
	}
	node = fdt_add_subnode(fdt, fdt_path_offset(fdt, path), "f@1");
	set_cells(fdt, fn, "reg", fn_reg, 5);
	fdt_setprop_string(fdt, node, "libtce,device", "dma-test");
}

static void accepted(const void *fdt)
{
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;

	CHECK_RC(tce_machine_create_dtb(fdt, fdt_totalsize(fdt), &m), 0);
	if (m)
		CHECK_RC(tce_machine_find_device(m, "0001:00:01.0", &d), 0);
	tce_machine_destroy(m);
}

/* PHBs need the PCI binding's cells: a PHB without them is refused. */
static void phb_cells_required(void)
{
	static const char *const phbs[] = { PHB, "/pciex@3fffe40000000" };
	static const char *const props[] = { "#address-cells", "#size-cells" };
	unsigned i, j;
	void *fdt;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			fdt = base_tree(i ? TCE_PLATFORM_POWERNV : TCE_PLATFORM_PSERIES);
			fdt_delprop(fdt, fdt_path_offset(fdt, phbs[i]), props[j]);
			expect_refused(fdt, fdt_totalsize(fdt), phbs[i], props[j]);
		}
}

/*
 * Two PHBs: ids and LIOBNs unique in the machine, PCI addresses unique per
 * PHB only. The new PHB comes first in the tree, so the built-in one is named.
 */
static void duplicate_ids(void)
{
	static const uint32_t reg_4k[] = { 0x08000000, 0x20000000, 0, 0x1000 };
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);

	add_phb(fdt, TCE_PLATFORM_PSERIES, "pci@800000030000000", 0x0800000030000000ULL, 0x90000000);
	accepted(fdt);
	fdt = base_tree(TCE_PLATFORM_PSERIES); /* the same BUID */
	add_phb(fdt, TCE_PLATFORM_PSERIES, "pci@2", 0x0800000020000000ULL, 0x90000000);
	expect_refused(fdt, fdt_totalsize(fdt), PHB, "reg");
	fdt = base_tree(TCE_PLATFORM_PSERIES); /* inside the first PHB's registers */
	set_cells(fdt, PHB, "reg", reg_4k, 4);
	add_phb(fdt, TCE_PLATFORM_PSERIES, "pci@2", 0x0800000020000800ULL, 0x90000000);
	expect_refused(fdt, fdt_totalsize(fdt), PHB, "reg");
	fdt = base_tree(TCE_PLATFORM_PSERIES); /* a LIOBN of the first PHB's PE 0 (its DDW) */
	add_phb(fdt, TCE_PLATFORM_PSERIES, "pci@2", 0x0800000030000000ULL, 0x80000001);
	expect_refused(fdt, fdt_totalsize(fdt), PHB, "ibm,dma-window");
	fdt = base_tree(TCE_PLATFORM_POWERNV);
	add_phb(fdt, TCE_PLATFORM_POWERNV, "pciex@1", 1, 0);
	accepted(fdt);
	fdt = base_tree(TCE_PLATFORM_POWERNV);
	add_phb(fdt, TCE_PLATFORM_POWERNV, "pciex@1", 0, 0);
	expect_refused(fdt, fdt_totalsize(fdt), "/pciex@3fffe40000000", "ibm,opal-phbid");
}

/* A two-slot PE whose default LIOBN is the last one has no LIOBN for its second window. */
static void liobn_wraps(void)
{
	static const uint32_t last[] = { 0xffffffff, 0, 0, 0, 0x80000000 };

	refuse_cells(PHB, "ibm,dma-window", last, 5);
}

/* The largest block a tree sets is enforced by create. */
static void largest_block_from_tree(void)
{
	static const uint32_t block[] = { 0, 1 << 20 };
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);
	uint32_t a[5] = { 0x800, 0x08000000, 0x20000000, 16, 37 }, r[4];
	struct tce_machine *m = NULL;

	set_cells(fdt, PHB, "libtce,largest-block", block, 2);
	REQUIRE(tce_machine_create_dtb(fdt, fdt_totalsize(fdt), &m) == 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, r), 0);
	CHECK_EQ((int32_t)r[0], TCE_RTAS_PARAM_ERROR); /* 2^21 TCEs */
	a[4] = 36;
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, r), 0);
	CHECK_EQ(r[0], 0);
	tce_machine_destroy(m);
}


/* The query advertises exactly the largest window create accepts. */
static void query_block_is_creatable(void)
{
	static const struct {
		uint32_t hi, lo;     /* libtce,largest-block */
		uint32_t advertised; /* what the 6-output query says */
	} v[] = { { 1, 0, 1u << 31 }, { 0, 1u << 31, 1u << 31 }, { 0, 100, 64 }, { 0, 1, 1 } };
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		void *fdt = base_tree(TCE_PLATFORM_PSERIES);
		uint32_t block[2] = { v[i].hi, v[i].lo }, q[3] = { 0x800, 0x08000000, 0x20000000 };
		uint32_t a[5] = { 0x800, 0x08000000, 0x20000000, 12, 0 }, r[6];
		struct tce_machine *m = NULL;

		set_cells(fdt, PHB, "libtce,largest-block", block, 2);
		REQUIRE(tce_machine_create_dtb(fdt, fdt_totalsize(fdt), &m) == 0);
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, q, 6, r), 0);
		CHECK_EQ(r[2], 0);
		CHECK_EQ(r[3], v[i].advertised);
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, q, 5, r), 0);
		CHECK_EQ(r[2], v[i].advertised);
		/* What Linux asks for: log2up(block) TCEs of 4 KiB. */
		a[4] = 12 + (uint32_t)__builtin_ctz(v[i].advertised);
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, r), 0);
		CHECK_EQ(r[0], 0);
		tce_machine_destroy(m);
	}
}

/* A new window never overlaps one that is there: 0 if free, else 2^59. */
static void placement_avoids_overlap(void)
{
	static const uint32_t win[5] = { 0x80000000, 0, 0x80000000, 0, 0x80000000 };
	void *fdt = base_tree(TCE_PLATFORM_PSERIES);
	uint32_t a[5] = { 0x800, 0x08000000, 0x20000000, 16, 32 }, r[4];
	uint32_t small[5] = { 0x800, 0x08000000, 0x20000000, 16, 30 }, lio;
	struct tce_machine *m = NULL;
	struct tce_pe_info pi;

	/* The PHB's default window at [2 GiB, 4 GiB). */
	set_cells(fdt, PHB, "ibm,dma-window", win, 5);
	REQUIRE(tce_machine_create_dtb(fdt, fdt_totalsize(fdt), &m) == 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, r), 0);
	CHECK_EQ(r[0], 0);
	CHECK_EQ((uint64_t)r[2] << 32 | r[3], 1ULL << 59); /* 4 GiB at 0 would overlap it */
	lio = r[1];
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &lio, 1, r), 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, small, 4, r), 0);
	CHECK_EQ(r[0], 0);
	CHECK_EQ((uint64_t)r[2] << 32 | r[3], 0); /* 1 GiB at 0 fits below it */
	CHECK_RC(tce_machine_pe(m, 0, 0, &pi), 0);
	CHECK(pi.slot[0].enabled && pi.slot[1].enabled);
	tce_machine_destroy(m);
}

/* A function with no emulated device reads all ones at every offset; writes go nowhere. */
static void absent_function(void)
{
	static char tree[1 << 16];
	fdt32_t reg[5] = { cpu_to_fdt32(7 << 11), 0, 0, 0, 0 };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d;
	uint32_t off, v;
	int node;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &ref) == 0);
	REQUIRE(fdt_open_into(tce_machine_fdt(ref), tree, sizeof(tree)) == 0);
	tce_machine_destroy(ref);
	node = fdt_add_subnode(tree, fdt_path_offset(tree, "/pciex@3fffe40000000"), "empty@7");
	REQUIRE(node >= 0);
	fdt_setprop(tree, node, "reg", reg, sizeof(reg));
	REQUIRE(tce_machine_create_dtb(tree, fdt_totalsize(tree), &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:07.0", &d) == 0);
	CHECK_RC(tce_dev_config_write(d, TCE_PCI_COMMAND, 2, 0x6), 0);
	for (off = 0; off < 4096; off += 4) {
		CHECK_RC(tce_dev_config_read(d, off, 4, &v), 0);
		if (v != 0xffffffff) {
			tt_fail(__FILE__, __LINE__, "config 0x%x reads 0x%x", off, v);
			break;
		}
	}
	CHECK_RC(tce_dev_config_read(d, 0x41, 1, &v), 0);
	CHECK_EQ(v, 0xff);
	tce_machine_destroy(m);
}


/* PCI addresses are exactly "DDDD:BB:DD.F" in hex digits: no sign, space, 0x or other case of form. */
static void pci_addresses(void)
{
	static const char *const bad[] = {
		"+000:00:01.0", " 000:00:01.0", "0000:+0:01.0", "0000:00:+1.0", "0000:00:01.+",
		"0X00:00:01.0", "000x:00:01.0", "0000:00:01.0 ", "0000:00:01", "0000-00:01.0",
		"0000:00:20.0", "0000:00:01.8", "", "00000:0:01.0", "-000:00:01.0",
	};
	struct tce_machine *m;
	struct tce_pci_dev *d;
	unsigned i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tce_machine_find_device(m, bad[i], &d) != -EINVAL)
			tt_fail(__FILE__, __LINE__, "\"%s\" was not refused", bad[i]);
	CHECK_RC(tce_machine_find_device(m, NULL, &d), -EINVAL);
	CHECK_RC(tce_machine_find_device(m, "0000:00:01.0", &d), 0);
	CHECK_RC(tce_machine_find_device(m, "0000:00:1F.7", &d), -ENODEV); /* upper case is hex */
	CHECK_RC(tce_machine_find_device(m, "0001:00:01.0", &d), -ENODEV);
	tce_machine_destroy(m);
}

static const struct tt_case cases[] = {
	TT_CASE(builtin_pseries),
	TT_CASE(builtin_powernv),
	TT_CASE(from_files),
	TT_CASE(dtb_file_fail_nth),
	TT_CASE(malformed_blobs),
	TT_CASE(header_versions),
	TT_CASE(header_fields),
	TT_CASE(bad_memory),
	TT_CASE(bad_dma_windows),
	TT_CASE(bad_phb_properties),
	TT_CASE(bad_functions),
	TT_CASE(dma_fault_property),
	TT_CASE(bad_powernv),
	TT_CASE(largest_block_from_tree),
	TT_CASE(query_block_is_creatable),
	TT_CASE(placement_avoids_overlap),
	TT_CASE(absent_function),
	TT_CASE(pci_addresses),
	TT_CASE(phb_cells_required),
	TT_CASE(duplicate_ids),
	TT_CASE(liobn_wraps),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
