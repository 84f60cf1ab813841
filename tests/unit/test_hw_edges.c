/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The emulated machine at its edges, through <tce.h> (the mutation run's
 * survivors, issue 9): machine creation's size limit, the index checks of
 * the PHB, PE and device lookups, tree rules at their exact bounds (a 4 KiB
 * default window, page sizes from 12, an extension list that must name its
 * count), the log line a refused tree gets, config writes that touch only
 * the bytes they name, a reset of a function without an emulated device, and
 * a legal blob whose blocks are not in dtc's order.
 */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_os.h"

static const char *phb_path(enum tce_platform p)
{
	return p == TCE_PLATFORM_PSERIES ? "/pci@800000020000000" : "/pciex@3fffe40000000";
}

/* A blob above 1 MiB is refused, whatever it holds. */
static void create_size_limit(void)
{
	static char blob[(1 << 20) + 4096];
	struct tce_machine_config cfg = { .dtb = blob };
	struct tce_machine *m = NULL;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, 1 << 16) == 0);
	cfg.dtb_size = (1 << 20) + 1;
	CHECK_RC(tce_machine_create(&cfg, &m), -EINVAL);
	CHECK(m == NULL);
	cfg.dtb_size = 0;
	CHECK_RC(tce_machine_create(&cfg, &m), -EINVAL);
	cfg.dtb_size = 1 << 20;
	REQUIRE(tce_machine_create(&cfg, &m) == 0); /* 1 MiB itself is fine */
	tce_machine_destroy(m);
}

/* PHB, PE and device lookups: every valid index answers, the first invalid one is -EINVAL. */
static void lookups(void)
{
	struct tce_machine_info mi;
	struct tce_phb_info phb;
	struct tce_pe_info pe;
	struct tce_pci_dev *d;
	struct tce_machine *m;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	tce_machine_info(m, &mi);
	REQUIRE(mi.nphbs == 1 && mi.ndevs == 3);
	CHECK_RC(tce_machine_phb(m, 0, &phb), 0);
	CHECK_EQ(phb.npes, 3);
	CHECK_EQ(phb.max_levels, 5);
	CHECK_RC(tce_machine_phb(m, 1, &phb), -EINVAL);
	CHECK_RC(tce_machine_pe(m, 0, 1, &pe), 0);
	CHECK_EQ(pe.nslots, 1);                              /* the VF */
	CHECK_RC(tce_machine_pe(m, 0, 2, &pe), 0);
	CHECK_EQ(pe.num, 2);                                 /* the I/OAT channel */
	CHECK_EQ(pe.nslots, 2);
	CHECK_RC(tce_machine_pe(m, 0, 3, &pe), -EINVAL);
	CHECK_RC(tce_machine_pe(m, 1, 0, &pe), -EINVAL);
	CHECK_RC(tce_machine_device(m, 2, &d), 0);
	CHECK(!strcmp(tce_dev_name(d), "0000:00:03.0"));
	CHECK_RC(tce_machine_device(m, 3, &d), -EINVAL);
	tce_machine_destroy(m);
}

struct logbuf {
	char text[512];
	unsigned n;
};

static void keep_log(void *arg, enum tce_log_level level, const char *msg)
{
	struct logbuf *b = arg;

	(void)level;
	b->n++;
	strncat(b->text, msg, sizeof(b->text) - strlen(b->text) - 1);
}

/* Create a machine from @blob with a context that keeps its log. */
static int create_logged(void *blob, struct logbuf *log, struct tce_machine **m)
{
	struct tce_machine_config cfg = { .dtb = blob, .dtb_size = fdt_totalsize(blob) };
	struct tce_ctx *ctx;
	int rc = tce_ctx_create(&ctx);

	if (rc)
		return rc;
	memset(log, 0, sizeof(*log));
	tce_ctx_set_log(ctx, keep_log, log, TCE_LOG_DEBUG);
	cfg.ctx = ctx;
	rc = tce_machine_create(&cfg, m);
	if (rc)
		tce_ctx_destroy(ctx);
	return rc;
}

static void destroy_logged(struct tce_machine *m)
{
	struct tce_ctx *ctx = tce_machine_ctx(m);

	tce_machine_destroy(m);
	tce_ctx_destroy(ctx);
}

/*
 * Tree rules at their bounds: a 4 KiB default window is the smallest
 * allowed; a page size of 2^11 is refused; an empty ibm,ddw-extensions is
 * refused (it must start with its count). A refused tree is logged with
 * the node, the property and what is wrong with it.
 */
static void tree_bounds(void)
{
	static char blob[1 << 16];
	fdt32_t win[5] = { cpu_to_fdt32(0x80000000), 0, 0, 0, cpu_to_fdt32(4096) };
	fdt32_t sizes[3] = { cpu_to_fdt32(11), cpu_to_fdt32(12), cpu_to_fdt32(16) };
	struct tce_pe_info pe;
	struct tce_machine *m = NULL;
	struct logbuf log;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,dma-window", win, sizeof(win)) == 0);
	REQUIRE(create_logged(blob, &log, &m) == 0);
	CHECK_RC(tce_machine_pe(m, 0, 0, &pe), 0);
	CHECK_EQ(pe.def_size, 4096);
	destroy_logged(m);

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,ddw-extensions", NULL, 0) == 0);
	CHECK_RC(create_logged(blob, &log, &m), -EINVAL);
	CHECK(log.n >= 1);
	CHECK(strstr(log.text, "ibm,ddw-extensions") != NULL);

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV)),
			    "ibm,supported-tce-sizes", sizes, sizeof(sizes)) == 0);
	CHECK_RC(create_logged(blob, &log, &m), -EINVAL);
	CHECK(strstr(log.text, "ibm,supported-tce-sizes") != NULL);
	CHECK(strstr(log.text, "pciex@3fffe40000000") != NULL); /* the node */
	CHECK(strstr(log.text, "11") != NULL);                  /* and the offending value */
}

/* A version-17 blob whose structure block ends off a 4-byte boundary is refused. */
static void blob_struct_end_unaligned(void)
{
	static char blob[1 << 16];
	struct tce_machine *m = NULL;
	struct logbuf log;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_version(blob) == 17);
	fdt_set_size_dt_struct(blob, fdt_size_dt_struct(blob) - 2);
	CHECK_RC(create_logged(blob, &log, &m), -EINVAL);
	CHECK(strstr(log.text, "(blob)") != NULL);
}

/*
 * A blob laid out as header, strings, reservation map, structure (legal: the
 * format fixes no order) is accepted, its strings block right at the header.
 */
static void blob_strings_first(void)
{
	static char src[1 << 16], blob[1 << 16];
	uint32_t hsize = 40, nstr, nrsv, nst, off;
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, src, sizeof(src)) == 0);
	REQUIRE(fdt_version(src) == 17);
	nstr = fdt_size_dt_strings(src), nst = fdt_size_dt_struct(src);
	nrsv = fdt_off_dt_struct(src) - fdt_off_mem_rsvmap(src);
	memcpy(blob, src, hsize);
	memcpy(blob + hsize, src + fdt_off_dt_strings(src), nstr);
	off = (hsize + nstr + 7) & ~7u;
	memcpy(blob + off, src + fdt_off_mem_rsvmap(src), nrsv);
	memcpy(blob + off + nrsv, src + fdt_off_dt_struct(src), nst);
	fdt_set_off_dt_strings(blob, hsize);
	fdt_set_off_mem_rsvmap(blob, off);
	fdt_set_off_dt_struct(blob, off + nrsv);
	fdt_set_totalsize(blob, off + nrsv + nst);
	REQUIRE(fdt_check_header(blob) == 0);
	CHECK_RC(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m), 0);
	if (!m)
		return;
	CHECK_RC(tce_machine_find_device(m, "0000:00:03.0", &d), 0);
	tce_machine_destroy(m);
}

/* A config write changes only the bytes it names. */
static void config_write_bytes(void)
{
	struct tce_machine *m;
	struct tce_pci_dev *d;
	uint32_t v = 0;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_machine_device(m, 0, &d) == 0);
	CHECK_RC(tce_dev_config_write(d, TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_INTX_DISABLE | TCE_PCI_COMMAND_MEMORY), 0);
	CHECK_RC(tce_dev_config_write(d, TCE_PCI_COMMAND, 1, TCE_PCI_COMMAND_MASTER), 0);
	CHECK_RC(tce_dev_config_read(d, TCE_PCI_COMMAND, 2, &v), 0);
	CHECK_EQ(v, TCE_PCI_COMMAND_INTX_DISABLE | TCE_PCI_COMMAND_MASTER);
	tce_machine_destroy(m);
}

/* tce_dev_reset() and tce_dev_set_msi_handler() of a function without an emulated device: -EINVAL. */
static void reset_plain_function(void)
{
	static char blob[1 << 16];
	struct tce_machine *m;
	struct tce_pci_dev *d;
	int node;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	node = fdt_path_offset(blob, "/pciex@3fffe40000000/vf@2");
	REQUIRE(node >= 0);
	REQUIRE(fdt_delprop(blob, node, "libtce,device") == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:02.0", &d) == 0);
	CHECK_RC(tce_dev_reset(d), -EINVAL);
	CHECK_RC(tce_dev_set_msi_handler(d, NULL, NULL), -EINVAL);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	CHECK_RC(tce_dev_reset(d), 0);
	tce_machine_destroy(m);
}

/*
 * Only a store of the copy bit to the doorbell starts the device thread, so
 * only that store can fail on it (-ENOMEM from an injected fault, nothing
 * stored); other stores, even of the same value, cannot.
 */
static void only_doorbell_starts_thread(void)
{
	struct tce_machine *m;
	struct tce_pci_dev *d;
	struct tce_ctx *ctx;
	uint64_t v = 0;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_machine_device(m, 0, &d) == 0);
	ctx = tce_machine_ctx(m);
	REQUIRE(tce_dev_config_write(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY) == 0);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce_dev_bar_write(d, 0, TCE_DT_REG_SRC, 8, TCE_DT_DOORBELL_COPY), 0);
	CHECK_RC(tce_dev_bar_write(d, 0, TCE_DT_REG_DOORBELL, 4, 0), 0);
	CHECK(tce_ctx_fail_nth_armed(ctx));
	CHECK_RC(tce_dev_bar_read(d, 0, TCE_DT_REG_SRC, 8, &v), 0);
	CHECK_EQ(v, (uint64_t)TCE_DT_DOORBELL_COPY);
	CHECK_RC(tce_dev_bar_write(d, 0, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY), -ENOMEM);
	CHECK(!tce_ctx_fail_nth_armed(ctx));
	CHECK_RC(tce_dev_bar_read(d, 0, TCE_DT_REG_STATUS, 4, &v), 0);
	CHECK_EQ(v, 0); /* the failed doorbell started nothing */
	tce_ctx_set_fail_nth(ctx, 0);
	tce_machine_destroy(m);
}

/* BAR0 past the MSI-X table's last entry holds nothing: a store there reads back 0. */
static void msix_table_end(void)
{
	uint64_t end = TCE_DT_MSIX_TABLE + TCE_DT_MSIX_VECTORS * TCE_PCI_MSIX_ENTRY_SIZE, v = 1;
	struct tce_machine *m;
	struct tce_pci_dev *d;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_machine_device(m, 0, &d) == 0);
	REQUIRE(tce_dev_config_write(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY) == 0);
	CHECK_RC(tce_dev_bar_write(d, 0, end - 8, 4, 0xfeedf00d), 0);
	CHECK_RC(tce_dev_bar_write(d, 0, end, 4, 0xdeadbeef), 0);
	CHECK_RC(tce_dev_bar_read(d, 0, end - 8, 4, &v), 0);
	CHECK_EQ(v, 0xfeedf00d); /* the last vector's message data */
	CHECK_RC(tce_dev_bar_read(d, 0, end, 4, &v), 0);
	CHECK_EQ(v, 0);
	tce_machine_destroy(m);
}

/*
 * A DMA whose last byte is the last bus address is a device access like any
 * other: outside every window it faults and freezes the PE; one byte more
 * wraps and is refused with nothing recorded.
 */
static void dma_at_the_top(void)
{
	struct tce_machine *m;
	struct tce_pci_dev *d;
	uint8_t buf[8192] = { 0 };
	struct tce_fault f;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	REQUIRE(tce_machine_device(m, 0, &d) == 0);
	CHECK_RC(tce_dev_dma_read(d, UINT64_MAX, buf, 2), -EINVAL);
	CHECK_RC(tce_dev_dma_write(d, UINT64_MAX - 8190, buf, 8192), -EINVAL);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK_RC(tce_dev_dma_read(d, UINT64_MAX, buf, 1), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.bus_addr, UINT64_MAX);
	tce_dev_eeh_thaw(d);
	CHECK_RC(tce_dev_dma_write(d, UINT64_MAX - 8191, buf, 8192), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.bus_addr, UINT64_MAX - 8191);
	tce_machine_destroy(m);
}

/*
 * A pseries PE whose default window does not start at bus 0: a DDW that
 * fits below it goes to bus 0 in slot 1 (docs/machine.md), and the device's
 * DMA finds it by its range, not by bus bit 59 as on powernv.
 */
static void ddw_below_the_default(void)
{
	static char blob[1 << 16];
	uint32_t a[5] = { 0x0800, 0x08000000, 0x20000000, 12, 30 }, r[4];
	const uint32_t win[5] = { cpu_to_fdt32(0x80000000), 0, cpu_to_fdt32(0x80000000), 0,
				  cpu_to_fdt32(0x80000000) };
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	uint64_t h[9] = { 0 }, v = 0;
	uint8_t *ram;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,dma-window", win, sizeof(win)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, r), 0);
	CHECK_EQ((int32_t)r[0], TCE_RTAS_SUCCESS);
	CHECK_EQ(r[1], 0x80000001u);           /* slot 1 */
	CHECK_EQ((uint64_t)r[2] << 32 | r[3], 0); /* at bus 0, below the default at 2 GiB */
	ram = tce_machine_ram_ptr(m, 0x200000, 8);
	REQUIRE(ram);
	memcpy(ram, "slot one", 8);
	h[0] = r[1], h[1] = 0x1000, h[2] = 0x200000 | TCE_PCI_READ;
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, h), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, &v, 8), 0);
	CHECK(!memcmp(&v, "slot one", 8));
	tce_machine_destroy(m);
}

/* A powernv owner's 4 KiB-page window in slot 0 with entries 0..3 mapped to RAM. */
struct pnv_owner {
	struct tce_machine *m;
	struct tce_pci_dev *d;
	struct tce_table *t;
};

static int pnv_owner_up(struct pnv_owner *o)
{
	struct tce_table_config cfg = { .bus_offset = 0, .window_size = 1 << 24, .page_shift = 12,
					.levels = 1 };
	int rc = tce_machine_create_default(TCE_PLATFORM_POWERNV, &o->m);

	if (!rc)
		rc = tce_machine_device(o->m, 0, &o->d);
	if (!rc)
		rc = tce_table_create(tce_machine_ctx(o->m), &cfg, &o->t);
	if (!rc)
		rc = tce_fw_map_window(o->m, 0, 0, 0, o->t);
	if (!rc)
		rc = tce_table_set(o->t, 0, 4, 0x100000, TCE_DIR_BIDIRECTIONAL);
	return rc;
}

static void pnv_owner_down(struct pnv_owner *o)
{
	tce_fw_map_window(o->m, 0, 0, 0, NULL);
	tce_table_put(o->t);
	tce_machine_destroy(o->m);
}

/* The first byte past a powernv window is in no window; its last byte is in it. */
static void window_end(void)
{
	struct pnv_owner o;
	struct tce_fault f;
	uint8_t b;

	REQUIRE(pnv_owner_up(&o) == 0);
	CHECK_RC(tce_table_set(o.t, (1 << 12) - 1, 1, 0x200000, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_dev_dma_read(o.d, (1 << 24) - 1, &b, 1), 0);
	CHECK_RC(tce_dev_dma_read(o.d, 1 << 24, &b, 1), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(o.d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_WINDOW);
	CHECK_EQ(f.bus_addr, 1 << 24);
	tce_dev_eeh_thaw(o.d);
	pnv_owner_down(&o);
}

/*
 * A kill of one page leaves the PE's other cached pages cached: 64 pages
 * read (a pass over them all hits once warm), then for each page, kill it
 * alone: the next pass misses exactly once.
 */
static void kill_only_named_pages(void)
{
	struct tce_cache_stats before, after;
	struct pnv_owner o;
	uint64_t k, i;
	uint8_t b;

	REQUIRE(pnv_owner_up(&o) == 0);
	CHECK_RC(tce_table_set(o.t, 0, 64, 0x100000, TCE_DIR_BIDIRECTIONAL), 0);
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dev_dma_read(o.d, i << 12, &b, 1), 0);
	tce_dev_cache_stats(o.d, &before);
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dev_dma_read(o.d, i << 12, &b, 1), 0);
	tce_dev_cache_stats(o.d, &after);
	REQUIRE(after.misses == before.misses); /* all 64 fit the cache */
	for (k = 0; k < 64 && !tt_failed(); k++) {
		CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, k << 12, 1), 0);
		tce_dev_cache_stats(o.d, &before);
		for (i = 0; i < 64; i++)
			CHECK_RC(tce_dev_dma_read(o.d, i << 12, &b, 1), 0);
		tce_dev_cache_stats(o.d, &after);
		CHECK_EQ(after.misses - before.misses, 1); /* page k only */
	}
	pnv_owner_down(&o);
}

/* pseries: the hypervisor's H_PUT_TCE kills its one page; the PE's other cached pages stay. */
static void hcall_kills_its_page(void)
{
	struct tce_cache_stats before, after;
	struct tce_machine *m;
	struct tce_pci_dev *d;
	struct tce_pe_info pi;
	uint64_t args[9], k, i;
	uint8_t b;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	REQUIRE(tce_machine_device(m, 0, &d) == 0);
	REQUIRE(tce_machine_pe(m, 0, 0, &pi) == 0);
	for (i = 0; i < 64; i++) {
		args[0] = pi.def_liobn, args[1] = i << 12, args[2] = (0x100000 + (i << 12)) | 3;
		REQUIRE(tce_hv_hcall(m, TCE_H_PUT_TCE, args) == TCE_H_SUCCESS);
	}
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dev_dma_read(d, i << 12, &b, 1), 0);
	tce_dev_cache_stats(d, &before);
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dev_dma_read(d, i << 12, &b, 1), 0);
	tce_dev_cache_stats(d, &after);
	REQUIRE(after.misses == before.misses); /* all 64 fit the cache */
	for (k = 0; k < 64 && !tt_failed(); k++) {
		args[0] = pi.def_liobn, args[1] = k << 12, args[2] = (0x100000 + (k << 12)) | 3;
		REQUIRE(tce_hv_hcall(m, TCE_H_PUT_TCE, args) == TCE_H_SUCCESS);
		tce_dev_cache_stats(d, &before);
		for (i = 0; i < 64; i++)
			CHECK_RC(tce_dev_dma_read(d, i << 12, &b, 1), 0);
		tce_dev_cache_stats(d, &after);
		CHECK_EQ(after.misses - before.misses, 1); /* page k only */
	}
	tce_machine_destroy(m);
}

/* A DMA fault that freezes a PE is logged (warning) with the PE and the device. */
static void freeze_logged(void)
{
	struct pnv_owner o;
	struct logbuf log = { 0 };
	uint8_t b;

	REQUIRE(pnv_owner_up(&o) == 0);
	tce_ctx_set_log(tce_machine_ctx(o.m), keep_log, &log, TCE_LOG_WARN);
	CHECK_RC(tce_dev_dma_read(o.d, 8 << 12, &b, 1), -EFAULT); /* no TCE */
	CHECK(log.n >= 1);
	CHECK(strstr(log.text, "PE 0") != NULL);
	CHECK(strstr(log.text, "0000:00:01.0") != NULL);
	tce_ctx_set_log(tce_machine_ctx(o.m), NULL, NULL, TCE_LOG_WARN);
	tce_dev_eeh_thaw(o.d);
	pnv_owner_down(&o);
}

/*
 * An ibm,ddw-extensions of one extension names the reset's token (count 1,
 * the token, nothing after it): the machine answers that token and no
 * longer the built-in one.
 */
static void reset_token_of_one_extension(void)
{
	static char blob[1 << 16];
	fdt32_t ext[2] = { cpu_to_fdt32(1), cpu_to_fdt32(0x7777) };
	uint32_t args[3] = { 0x800, 0x08000000, 0x20000000 }, ret[1];
	struct tce_machine *m;
	int node;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	for (node = fdt_next_node(blob, -1, NULL); node >= 0; node = fdt_next_node(blob, node, NULL))
		if (fdt_getprop(blob, node, "ibm,ddw-extensions", NULL))
			REQUIRE(fdt_setprop(blob, node, "ibm,ddw-extensions", ext, sizeof(ext)) == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	ret[0] = 99;
	CHECK_RC(tce_hv_rtas(m, 0x7777, 3, args, 1, ret), 0);
	CHECK_EQ(ret[0], 0);
	ret[0] = 99;
	CHECK_RC(tce_hv_rtas(m, 0x2029, 3, args, 1, ret), 0);
	CHECK(ret[0] != 0);
	tce_machine_destroy(m);
}

/* libtce,device names a device exactly: a string of another length or content is refused. */
static void device_name_exact(void)
{
	static const char *const bad[] = { "abcd", "ioatx", "dma-tesT" };
	static const char nul_tail[] = "ioat\0x"; /* "ioat", then more after its NUL */
	static char blob[1 << 16];
	struct tce_machine *m;
	int node;
	size_t i;

	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
		node = fdt_path_offset(blob, "/pci@800000020000000/dma-test@1");
		REQUIRE(node >= 0);
		if (i < sizeof(bad) / sizeof(bad[0]))
			REQUIRE(fdt_setprop_string(blob, node, "libtce,device", bad[i]) == 0);
		else
			REQUIRE(fdt_setprop(blob, node, "libtce,device", nul_tail,
					    sizeof(nul_tail)) == 0);
		m = NULL;
		CHECK_RC(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m), -EINVAL);
		CHECK(m == NULL);
	}
}

static const struct tt_case cases[] = {
	TT_CASE(reset_token_of_one_extension),
	TT_CASE(device_name_exact),
	TT_CASE(create_size_limit),
	TT_CASE(lookups),
	TT_CASE(tree_bounds),
	TT_CASE(blob_struct_end_unaligned),
	TT_CASE(blob_strings_first),
	TT_CASE(config_write_bytes),
	TT_CASE(reset_plain_function),
	TT_CASE(only_doorbell_starts_thread),
	TT_CASE(msix_table_end),
	TT_CASE(dma_at_the_top),
	TT_CASE(ddw_below_the_default),
	TT_CASE(window_end),
	TT_CASE(kill_only_named_pages),
	TT_CASE(freeze_logged),
	TT_CASE(hcall_kills_its_page),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
