/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The emulated machine at its edges, through <tce.h> (the mutation run's
 * survivors, issue 9): machine creation's size limit, the index checks of
 * the PHB, PE and device lookups, tree rules at their exact bounds (a 4 KiB
 * default window, page sizes from 12, an extension list that must name its
 * count), the log line a refused tree gets, config writes that touch only
 * the bytes they name, and a reset of a function without an emulated device.
 */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

static const char *phb_path(enum tce_platform p)
{
	return p == TCE_PLATFORM_PSERIES ? "/pci@800000020000000" : "/pciex@3fffe40000000";
}

/* The built-in tree of @p, opened for edits into @blob. */
static int edit_tree(enum tce_platform p, void *blob, int size)
{
	struct tce_machine *ref;
	int rc = tce_machine_create_default(p, &ref);

	if (rc)
		return rc;
	rc = fdt_open_into(tce_machine_fdt(ref), blob, size);
	tce_machine_destroy(ref);
	return rc;
}

/* A blob above 1 MiB is refused, whatever it holds. */
static void create_size_limit(void)
{
	static char blob[(1 << 20) + 4096];
	struct tce_machine_config cfg = { .dtb = blob };
	struct tce_machine *m = NULL;

	REQUIRE(edit_tree(TCE_PLATFORM_PSERIES, blob, 1 << 16) == 0);
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
	REQUIRE(mi.nphbs == 1 && mi.ndevs == 2);
	CHECK_RC(tce_machine_phb(m, 0, &phb), 0);
	CHECK_EQ(phb.npes, 2);
	CHECK_EQ(phb.max_levels, 5);
	CHECK_RC(tce_machine_phb(m, 1, &phb), -EINVAL);
	CHECK_RC(tce_machine_pe(m, 0, 1, &pe), 0);
	CHECK_EQ(pe.nslots, 1);
	CHECK_RC(tce_machine_pe(m, 0, 2, &pe), -EINVAL);
	CHECK_RC(tce_machine_pe(m, 1, 0, &pe), -EINVAL);
	CHECK_RC(tce_machine_device(m, 1, &d), 0);
	CHECK_RC(tce_machine_device(m, 2, &d), -EINVAL);
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

	REQUIRE(edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,dma-window", win, sizeof(win)) == 0);
	REQUIRE(create_logged(blob, &log, &m) == 0);
	CHECK_RC(tce_machine_pe(m, 0, 0, &pe), 0);
	CHECK_EQ(pe.def_size, 4096);
	destroy_logged(m);

	REQUIRE(edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_PSERIES)),
			    "ibm,ddw-extensions", NULL, 0) == 0);
	CHECK_RC(create_logged(blob, &log, &m), -EINVAL);
	CHECK(log.n >= 1);
	CHECK(strstr(log.text, "ibm,ddw-extensions") != NULL);

	REQUIRE(edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, phb_path(TCE_PLATFORM_POWERNV)),
			    "ibm,supported-tce-sizes", sizes, sizeof(sizes)) == 0);
	CHECK_RC(create_logged(blob, &log, &m), -EINVAL);
	CHECK(strstr(log.text, "ibm,supported-tce-sizes") != NULL);
	CHECK(strstr(log.text, "pciex@3fffe40000000") != NULL); /* the node */
	CHECK(strstr(log.text, "11") != NULL);                  /* and the offending value */
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

/* tce_dev_reset() of a function without an emulated device: -EINVAL. */
static void reset_plain_function(void)
{
	static char blob[1 << 16];
	struct tce_machine *m;
	struct tce_pci_dev *d;
	int node;

	REQUIRE(edit_tree(TCE_PLATFORM_POWERNV, blob, sizeof(blob)) == 0);
	node = fdt_path_offset(blob, "/pciex@3fffe40000000/vf@2");
	REQUIRE(node >= 0);
	REQUIRE(fdt_delprop(blob, node, "libtce,device") == 0);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:02.0", &d) == 0);
	CHECK_RC(tce_dev_reset(d), -EINVAL);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	CHECK_RC(tce_dev_reset(d), 0);
	tce_machine_destroy(m);
}

static const struct tt_case cases[] = {
	TT_CASE(create_size_limit),
	TT_CASE(lookups),
	TT_CASE(tree_bounds),
	TT_CASE(config_write_bytes),
	TT_CASE(reset_plain_function),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
