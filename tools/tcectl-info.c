/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tcectl machine`: load a machine (built-in, a .dtb or a .dts) and print
 * its PHBs, PEs, window slots and devices, as text or one JSON object.
 * A malformed tree is reported with the library's own message (node and
 * property) and exit status 1. Layer: front end; uses only <tce.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcectl.h"

struct opts {
	const char *dtb, *dts;
	enum tce_platform platform;
	bool json;
};

static void print_err(void *arg, enum tce_log_level level, const char *msg)
{
	(void)arg, (void)level;
	fprintf(stderr, "tcectl: %s\n", msg);
}

static int parse(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .platform = TCE_PLATFORM_PSERIES };
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--dtb") && i + 1 < argc)
			o->dtb = argv[++i];
		else if (!strcmp(argv[i], "--dts") && i + 1 < argc)
			o->dts = argv[++i];
		else if (!strcmp(argv[i], "--platform") && i + 1 < argc && !strcmp(argv[i + 1], "pseries"))
			o->platform = TCE_PLATFORM_PSERIES, i++;
		else if (!strcmp(argv[i], "--platform") && i + 1 < argc && !strcmp(argv[i + 1], "powernv"))
			o->platform = TCE_PLATFORM_POWERNV, i++;
		else
			return -1;
	}
	return o->dtb && o->dts ? -1 : 0;
}

/* Load, with the library's messages about a refused tree on stderr. */
static int load(const struct opts *o, struct tce_ctx *ctx, struct tce_machine **m)
{
	struct tce_machine *ref = NULL;
	struct tce_machine_config cfg = { .ctx = ctx };
	int rc;

	if (o->dtb)
		return tce_machine_create_dtb_file(o->dtb, ctx, m);
	if (o->dts)
		return tcectl_load_dts(o->dts, ctx, m);
	rc = tce_machine_create_default(o->platform, &ref);
	if (rc)
		return rc;
	cfg.dtb = tce_machine_fdt(ref), cfg.dtb_size = tce_machine_fdt_size(ref);
	rc = tce_machine_create(&cfg, m);
	tce_machine_destroy(ref);
	return rc;
}

static const char *platform_name(enum tce_platform p)
{
	return p == TCE_PLATFORM_PSERIES ? "pseries" : "powernv";
}

static void print_window(const struct tce_window_info *w, unsigned i, bool json)
{
	if (json) {
		printf("%s{\"slot\":%u,\"enabled\":%s,\"real_mode\":%s,\"bus\":%" PRIu64
		       ",\"size\":%" PRIu64 ",\"page_shift\":%u,\"liobn\":%u}", i ? "," : "", i,
		       w->enabled ? "true" : "false", w->real_mode ? "true" : "false", w->bus_start,
		       w->size, w->page_shift, w->liobn);
		return;
	}
	if (!w->enabled)
		printf("      slot %u: off\n", i);
	else if (w->real_mode)
		printf("      slot %u: bypass, bus 0x%" PRIx64 " + real, %" PRIu64 " MiB\n", i,
		       w->bus_start, w->size >> 20);
	else
		printf("      slot %u: bus 0x%" PRIx64 ", %" PRIu64 " MiB of %u KiB pages, LIOBN 0x%x\n",
		       i, w->bus_start, w->size >> 20, 1u << (w->page_shift - 10), w->liobn);
}

static void print_pe(const struct tce_pe_info *pe, bool first, bool json)
{
	unsigned i;

	if (json)
		printf("%s{\"pe\":%u,\"slots\":%u,\"frozen\":%s,\"faults\":%" PRIu64
		       ",\"recovered\":%" PRIu64 ",\"windows\":[", first ? "" : ",", pe->num,
		       pe->nslots, pe->frozen ? "true" : "false", pe->faults, pe->recovered);
	else
		printf("    PE %u: %u window slot%s%s, default window %" PRIu64 " MiB at 0x%" PRIx64
		       "\n", pe->num, pe->nslots, pe->nslots > 1 ? "s" : "",
		       pe->nslots == 1 ? " (SR-IOV VF)" : "", pe->def_size >> 20, pe->def_bus);
	for (i = 0; i < pe->nslots; i++)
		print_window(&pe->slot[i], i, json);
	if (json)
		printf("]}");
}

static void print_phb(struct tce_machine *m, uint32_t i, bool json)
{
	struct tce_phb_info p;
	struct tce_pe_info pe;
	uint32_t j;

	tce_machine_phb(m, i, &p);
	if (json)
		printf("%s{\"phb\":%u,\"buid\":%" PRIu64 ",\"page_mask\":%" PRIu64
		       ",\"largest_block\":%" PRIu64 ",\"max_levels\":%u,\"ddw\":%s,\"pes\":[",
		       i ? "," : "", p.index, p.buid, p.page_mask, p.largest_block, p.max_levels,
		       p.ddw ? "true" : "false");
	else
		printf("  PHB %u: id 0x%" PRIx64 ", page sizes 0x%" PRIx64 ", %s\n", p.index, p.buid,
		       p.page_mask, p.ddw ? "dynamic windows offered" : "no dynamic windows");
	for (j = 0; j < p.npes; j++) {
		tce_machine_pe(m, i, j, &pe);
		print_pe(&pe, j == 0, json);
	}
	if (json)
		printf("]}");
}

/* What the function at config id @id (vendor | device << 16) emulates. */
static const char *device_kind(uint32_t id)
{
	if (id == (TCE_DT_VENDOR | TCE_DT_DEVICE << 16))
		return " (DMA-test)";
	if (id == (TCE_IOAT_VENDOR | TCE_IOAT_DEVICE << 16))
		return " (I/OAT DMA channel)";
	return id == 0xffffffff ? " (no emulated device)" : "";
}

static void print_devices(struct tce_machine *m, uint32_t n, bool json)
{
	struct tce_pci_dev *d;
	uint32_t i, id = 0;

	for (i = 0; i < n; i++) {
		tce_machine_device(m, i, &d);
		tce_dev_config_read(d, TCE_PCI_VENDOR_ID, 4, &id);
		if (json)
			printf("%s{\"device\":\"%s\",\"pe\":%u,\"id\":\"%04x:%04x\"}", i ? "," : "",
			       tce_dev_name(d), tce_dev_pe(d), id & 0xffff, id >> 16);
		else
			printf("  %s: PE %u, id %04x:%04x%s\n", tce_dev_name(d), tce_dev_pe(d), id & 0xffff,
			       id >> 16, device_kind(id));
	}
}

static void print_machine(struct tce_machine *m, bool json)
{
	struct tce_machine_info mi;
	uint32_t i;

	tce_machine_info(m, &mi);
	if (json)
		printf("{\"platform\":\"%s\",\"ram\":%" PRIu64 ",\"phbs\":[",
		       platform_name(mi.platform), mi.ram_size);
	else
		printf("%s machine, %" PRIu64 " MiB of RAM\n", platform_name(mi.platform),
		       mi.ram_size >> 20);
	for (i = 0; i < mi.nphbs; i++)
		print_phb(m, i, json);
	if (json)
		printf("],\"devices\":[");
	print_devices(m, mi.ndevs, json);
	if (json)
		printf("]}\n");
}

int tcectl_machine(int argc, char **argv)
{
	struct tce_machine *m;
	struct tce_ctx *ctx;
	struct opts o;
	int rc;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: tcectl machine [--dtb FILE | --dts FILE] "
				"[--platform pseries|powernv] [--json]\n");
		return 2;
	}
	if (tce_ctx_create(&ctx))
		return 1;
	tce_ctx_set_log(ctx, print_err, NULL, TCE_LOG_ERR);
	rc = load(&o, ctx, &m);
	if (rc) {
		fprintf(stderr, "tcectl: cannot load the machine: %s (%s)\n", tce_strerror(rc),
			tce_err_name(rc));
		tce_ctx_destroy(ctx);
		return 1;
	}
	print_machine(m, o.json);
	tce_machine_destroy(m);
	tce_ctx_destroy(ctx);
	return 0;
}
