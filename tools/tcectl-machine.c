/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine part of `tcectl demo`: on the built-in pseries machine, a
 * guest's view (RTAS query and create of a dynamic window, TCEs written with
 * H_PUT_TCE_INDIRECT, the DMA-test device copying through them, a refused
 * access freezing the PE); on the built-in powernv machine, an OS table
 * programmed into a window slot and the TCE cache that only a kill
 * refreshes. Layer: front end; uses only <tce.h>.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcectl.h"

#define CFG 0x0800u
#define BUID_HI 0x08000000u
#define BUID_LO 0x20000000u
#define SRC_REAL 0x10000000ULL
#define DST_REAL 0x20000000ULL
#define LIST_REAL 0x7000ULL

static int ddw(struct tce_machine *m, uint32_t *liobn, uint64_t *bus)
{
	uint32_t q[3] = { CFG, BUID_HI, BUID_LO }, c[5] = { CFG, BUID_HI, BUID_LO, 16, 32 }, r[6];

	tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, q, 5, r);
	printf("    ibm,query-pe-dma-window: status %d, %u window(s) available, largest block %u, "
	       "page mask 0x%x\n", (int32_t)r[0], r[1], r[2], r[3]);
	tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, c, 4, r);
	if (r[0])
		return tcectl_fail("create-pe-dma-window", -22);
	*liobn = r[1];
	*bus = (uint64_t)r[2] << 32 | r[3];
	printf("    ibm,create-pe-dma-window(64 KiB pages, 4 GiB): LIOBN 0x%x at bus 0x%" PRIx64 "\n",
	       *liobn, *bus);
	return 0;
}

/* Map two 64 KiB pages with one H_PUT_TCE_INDIRECT: SRC read-only, DST write-only. */
static int map(struct tce_machine *m, uint32_t liobn, uint64_t bus)
{
	uint64_t *list = tce_machine_ram_ptr(m, LIST_REAL, 16);
	uint64_t args[9] = { liobn, bus, LIST_REAL, 2 };
	long rc;

	list[0] = htobe64(SRC_REAL | TCE_PCI_READ);
	list[1] = htobe64(DST_REAL | TCE_PCI_WRITE);
	rc = tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, args);
	printf("    H_PUT_TCE_INDIRECT(2 TCEs) -> %ld; bus 0x%" PRIx64 " reads real 0x%llx, bus 0x%"
	       PRIx64 " writes real 0x%llx\n", rc, bus, SRC_REAL, bus + 0x10000, DST_REAL);
	return rc ? tcectl_fail("H_PUT_TCE_INDIRECT", -22) : 0;
}

/* pseries RTAS on PE 0: set-eeh-option @option, or (@option < 0) the PE state. */
static int32_t eeh(struct tce_machine *m, int option)
{
	uint32_t a[4] = { CFG, BUID_HI, BUID_LO, (uint32_t)option }, r[4] = { 0 };

	if (option < 0) {
		tce_hv_rtas(m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 4, r);
		return r[0] ? (int32_t)r[0] : (int32_t)r[1];
	}
	tce_hv_rtas(m, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, r);
	return (int32_t)r[0];
}

static void copy(struct tce_machine *m, struct tce_pci_dev *d, uint64_t src, uint64_t dst,
		 uint64_t len)
{
	uint64_t status = 0, fault = 0;

	tce_dev_bar_write(d, 0, TCE_DT_REG_SRC, 8, src);
	tce_dev_bar_write(d, 0, TCE_DT_REG_DST, 8, dst);
	tce_dev_bar_write(d, 0, TCE_DT_REG_LEN, 8, len);
	tce_dev_bar_write(d, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	tce_dev_bar_read(d, 0, TCE_DT_REG_STATUS, 4, &status);
	printf("    DMA-test copy 0x%" PRIx64 " -> 0x%" PRIx64 " (%" PRIu64 " bytes): ", src, dst, len);
	if (status == TCE_DT_STATUS_DONE) {
		printf("done\n");
		return;
	}
	printf("STATUS reads 0x%" PRIx64 ": PE state %d (stopped)\n", status, eeh(m, -1));
	eeh(m, TCE_RTAS_EEH_THAW_MMIO);
	tce_dev_bar_read(d, 0, TCE_DT_REG_STATUS, 4, &status);
	tce_dev_bar_read(d, 0, TCE_DT_REG_FAULT, 8, &fault);
	printf("    ibm,set-eeh-option(thaw MMIO): PE state %d; STATUS %s, FAULT bus 0x%" PRIx64 "\n",
	       eeh(m, -1), status == TCE_DT_STATUS_ERROR ? "error" : "?", fault);
}

static int pseries(void)
{
	struct tce_machine *m;
	struct tce_pci_dev *d;
	static const char *const why[] = { "none", "no window", "no TCE", "missing permission",
					   "not memory", "frozen", "injected", "master abort" };
	struct tce_fault f;
	uint32_t liobn = 0;
	uint64_t bus = 0;
	int rc;

	printf("pseries machine: PHB 0x0800000020000000, PE 0 = 0000:00:01.0 (DMA-test)\n");
	rc = tce_machine_create_default(TCE_PLATFORM_PSERIES, &m);
	if (rc)
		return tcectl_fail("machine", rc);
	rc = tce_machine_find_device(m, "0000:00:01.0", &d);
	if (!rc)
		rc = ddw(m, &liobn, &bus);
	if (!rc)
		rc = map(m, liobn, bus);
	if (!rc) {
		memcpy(tce_machine_ram_ptr(m, SRC_REAL, 32), "hello through the POWER IOMMU", 30);
		tce_dev_config_write(d, TCE_PCI_COMMAND, 2,
				     TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
		copy(m, d, bus, bus + 0x10000, 30);
		printf("    real 0x%llx now holds \"%s\"\n", DST_REAL,
		       (char *)tce_machine_ram_ptr(m, DST_REAL, 32));
		copy(m, d, bus + 0x10000, bus, 30);
		tce_dev_eeh_frozen(d, &f);
		eeh(m, TCE_RTAS_EEH_THAW_DMA);
		printf("    EEH: PE 0 was frozen by the %s at bus 0x%" PRIx64 " (%s); "
		       "ibm,set-eeh-option(thaw DMA): PE state %d\n", f.write ? "write" : "read",
		       f.bus_addr, (unsigned)f.reason < 8 ? why[f.reason] : "?", eeh(m, -1));
	}
	tce_machine_destroy(m);
	return rc;
}

static int powernv(void)
{
	struct tce_table_config cfg = { .window_size = 1ULL << 30, .page_shift = 16, .levels = 2 };
	struct tce_cache_stats st;
	struct tce_machine *m;
	struct tce_pci_dev *d;
	struct tce_table *t;
	char buf[8] = { 0 };
	int rc;

	printf("powernv machine: the OS owns the table and programs window slot 0 of PE 0\n");
	rc = tce_machine_create_default(TCE_PLATFORM_POWERNV, &m);
	if (rc)
		return tcectl_fail("machine", rc);
	tce_machine_find_device(m, "0000:00:01.0", &d);
	rc = tce_table_create(tce_machine_ctx(m), &cfg, &t);
	if (!rc)
		rc = tce_fw_map_window(m, 0, 0, 0, t);
	if (!rc) {
		memcpy(tce_machine_ram_ptr(m, SRC_REAL, 4), "old", 4);
		memcpy(tce_machine_ram_ptr(m, DST_REAL, 4), "new", 4);
		tce_table_set(t, 1, 1, SRC_REAL, TCE_DIR_TO_DEVICE);
		tce_dev_dma_read(d, 0x10000, buf, 4);
		printf("    device reads bus 0x10000: \"%s\"\n", buf);
		tce_table_set(t, 1, 1, DST_REAL, TCE_DIR_TO_DEVICE);
		tce_dev_dma_read(d, 0x10000, buf, 4);
		printf("    TCE changed, no kill: the PHB's cache still gives \"%s\"\n", buf);
		tce_fw_tce_kill(m, 0, 0, 16, 0x10000, 1);
		tce_dev_dma_read(d, 0x10000, buf, 4);
		tce_dev_cache_stats(d, &st);
		printf("    after the kill: \"%s\" (cache: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
		       " kills)\n", buf, st.hits, st.misses, st.kills);
		tce_table_put(t);
	}
	tce_machine_destroy(m);
	return rc ? tcectl_fail("powernv", rc) : 0;
}

int tcectl_demo_machine(void)
{
	int rc = pseries();

	printf("\n");
	return rc ? rc : powernv();
}
