/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PE-level EEH through the firmware calls an OS uses, on both platforms:
 * the state machine of spec/vfio.md §1.5 (a DMA fault stops the PE, thawing
 * MMIO leaves STOPPED_DMA, thawing DMA makes it NORMAL, a hot or
 * fundamental reset reads RESET until deactivated, which resets the
 * functions), frozen reads all ones and dropped writes, the other PE
 * untouched; pseries RTAS argument and result counts (-3, nothing written
 * past the results asked for) and tokens read from /rtas; powernv error
 * injection that freezes at the next matching access only; fault points;
 * the machine's fault callback, told of each fault with what it met.
 */
#include <endian.h>
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define LIOBN0 0x80000000ULL
#define RAM_A 0x200000ULL
#define BUID_HI 0x08000000u
#define BUID_LO 0x20000000u
#define MEM_CMD (TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER)
#define CANARY 0xa5a5a5a5u

struct rig {
	enum tce_platform p;
	struct tce_machine *m;
	struct tce_pci_dev *a, *b; /* PE 0 and PE 1 */
	struct tce_table *t;       /* powernv: PE 0's slot 0 */
};

static const uint32_t cfg_of_pe[2] = { 0x0800, 0x1000 };

/* A machine where bus 0x1000 of PE 0 reaches RAM_A, read and write. */
static int rig(struct rig *r, enum tce_platform p)
{
	struct tce_table_config c = { .window_size = 1ULL << 24, .page_shift = 12, .levels = 1 };
	uint64_t args[9] = { LIOBN0, 0x1000, RAM_A | TCE_PCI_READ | TCE_PCI_WRITE };
	int rc;

	*r = (struct rig){ .p = p };
	rc = tce_machine_create_default(p, &r->m);
	if (!rc)
		rc = tce_machine_find_device(r->m, "0000:00:01.0", &r->a);
	if (!rc)
		rc = tce_machine_find_device(r->m, "0000:00:02.0", &r->b);
	if (!rc && p == TCE_PLATFORM_PSERIES)
		rc = tce_hv_hcall(r->m, TCE_H_PUT_TCE, args) == TCE_H_SUCCESS ? 0 : -EIO;
	if (!rc && p == TCE_PLATFORM_POWERNV) {
		rc = tce_table_create(tce_machine_ctx(r->m), &c, &r->t);
		if (!rc)
			rc = tce_table_set(r->t, 1, 1, RAM_A, TCE_DIR_BIDIRECTIONAL);
		if (!rc)
			rc = tce_fw_map_window(r->m, 0, 0, 0, r->t);
	}
	return rc;
}

static void unrig(struct rig *r)
{
	tce_table_put(r->t);
	tce_machine_destroy(r->m);
}

static int rtas(struct rig *r, uint32_t token, uint32_t nargs, const uint32_t *args,
		uint32_t nret, uint32_t *rets)
{
	CHECK_RC(tce_hv_rtas(r->m, token, nargs, args, nret, rets), 0);
	return (int32_t)rets[0];
}

/* The PE state as the kernel's eeh_pe_get_state() derives it. */
static int state(struct rig *r, unsigned pe)
{
	uint32_t a[3] = { cfg_of_pe[pe], BUID_HI, BUID_LO }, ret[4], f = 0;
	bool reset = false, mmio, dma;

	if (r->p == TCE_PLATFORM_PSERIES) {
		CHECK_EQ(rtas(r, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 4, ret), 0);
		CHECK_EQ(ret[2], TCE_RTAS_EEH_SUPPORTED);
		return (int)ret[1];
	}
	CHECK_RC(tce_fw_eeh_freeze_status(r->m, 0, pe, &f, &reset), 0);
	mmio = !(f & TCE_EEH_FROZEN_MMIO), dma = !(f & TCE_EEH_FROZEN_DMA);
	if (reset)
		return TCE_EEH_PE_STATE_RESET;
	if (mmio && dma)
		return TCE_EEH_PE_STATE_NORMAL;
	if (!mmio && !dma)
		return TCE_EEH_PE_STATE_STOPPED;
	return mmio ? TCE_EEH_PE_STATE_STOPPED_DMA : TCE_EEH_PE_STATE_UNAVAIL;
}

static void thaw(struct rig *r, unsigned pe, uint32_t what)
{
	uint32_t a[4] = { cfg_of_pe[pe], BUID_HI, BUID_LO,
			  what == TCE_EEH_FROZEN_MMIO ? TCE_RTAS_EEH_THAW_MMIO : TCE_RTAS_EEH_THAW_DMA };
	uint32_t ret[1];

	if (r->p == TCE_PLATFORM_PSERIES)
		CHECK_EQ(rtas(r, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), 0);
	else
		CHECK_RC(tce_fw_eeh_freeze_clear(r->m, 0, pe, what), 0);
}

/* kind TCE_EEH_RESET_DEACTIVATE deasserts. */
static void reset(struct rig *r, unsigned pe, uint32_t kind)
{
	uint32_t a[4] = { cfg_of_pe[pe], BUID_HI, BUID_LO, kind }, ret[1];

	if (r->p == TCE_PLATFORM_PSERIES)
		CHECK_EQ(rtas(r, TCE_RTAS_SET_SLOT_RESET, 4, a, 1, ret), 0);
	else
		CHECK_RC(tce_fw_eeh_reset(r->m, 0, pe, kind, kind != TCE_EEH_RESET_DEACTIVATE), 0);
}

static uint32_t cfg(struct tce_pci_dev *d, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	CHECK_RC(tce_dev_config_read(d, off, size, &v), 0);
	return v;
}

static uint64_t reg(struct tce_pci_dev *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	CHECK_RC(tce_dev_bar_read(d, 0, off, size, &v), 0);
	return v;
}

/* While frozen: every read is all ones, writes are dropped, DMA is refused. */
static void check_frozen_access(struct rig *r)
{
	uint8_t buf[8];

	CHECK_EQ(cfg(r->a, TCE_PCI_VENDOR_ID, 1), 0xff);
	CHECK_EQ(cfg(r->a, TCE_PCI_VENDOR_ID, 2), 0xffff);
	CHECK_EQ(cfg(r->a, TCE_PCI_VENDOR_ID, 4), 0xffffffff);
	CHECK_EQ(reg(r->a, TCE_DT_REG_ID, 4), 0xffffffff);
	CHECK_EQ(reg(r->a, TCE_DT_REG_SRC, 8), ~0ULL);
	CHECK_RC(tce_dev_config_write(r->a, TCE_PCI_COMMAND, 2, 0), 0);
	CHECK_RC(tce_dev_bar_write(r->a, 0, TCE_DT_REG_SRC, 8, 0x9999), 0);
	CHECK_RC(tce_dev_dma_read(r->a, 0x1000, buf, 8), -EIO);
	CHECK_EQ(cfg(r->b, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR); /* the other PE works */
}

static void check_stopped_and_thaw(struct rig *r)
{
	uint8_t buf[8];

	CHECK_RC(tce_dev_dma_read(r->a, 0x5000, buf, 8), -EFAULT); /* no TCE: a fault */
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_STOPPED);
	CHECK_EQ(state(r, 1), TCE_EEH_PE_STATE_NORMAL);
	check_frozen_access(r);
	thaw(r, 0, TCE_EEH_FROZEN_MMIO);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_STOPPED_DMA);
	CHECK_EQ(cfg(r->a, TCE_PCI_COMMAND, 2), MEM_CMD);   /* the write was dropped */
	CHECK_EQ(reg(r->a, TCE_DT_REG_SRC, 8), 0x1000);     /* so was this one */
	CHECK_RC(tce_dev_dma_read(r->a, 0x1000, buf, 8), -EIO);
	thaw(r, 0, TCE_EEH_FROZEN_DMA);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(tce_dev_dma_read(r->a, 0x1000, buf, 8), 0);
	CHECK(!tce_dev_eeh_frozen(r->a, NULL));
	/* DMA thawed first: MMIO still frozen, DMA enabled, the kernel's "unavailable". */
	CHECK_RC(tce_dev_dma_write(r->a, 0x6000, buf, 8), -EFAULT);
	thaw(r, 0, TCE_EEH_FROZEN_DMA);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_UNAVAIL);
	thaw(r, 0, TCE_EEH_FROZEN_MMIO);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_NORMAL);
}

static void check_reset(struct rig *r, uint32_t kind)
{
	uint8_t buf[8];

	reset(r, 0, kind);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_RESET);
	CHECK_EQ(state(r, 1), TCE_EEH_PE_STATE_NORMAL);
	check_frozen_access(r);
	thaw(r, 0, TCE_EEH_FROZEN_MMIO); /* a thaw does not end a reset */
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_RESET);
	CHECK_EQ(cfg(r->a, TCE_PCI_VENDOR_ID, 4), 0xffffffff);
	reset(r, 0, TCE_EEH_RESET_DEACTIVATE);
	CHECK_EQ(state(r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(cfg(r->a, TCE_PCI_COMMAND, 2), 0); /* the function is at power-on */
	CHECK_RC(tce_dev_config_write(r->a, TCE_PCI_COMMAND, 2, MEM_CMD), 0);
	CHECK_EQ(reg(r->a, TCE_DT_REG_SRC, 8), 0);
	CHECK_RC(tce_dev_dma_read(r->a, 0x1000, buf, 8), 0);
	CHECK_RC(tce_dev_bar_write(r->a, 0, TCE_DT_REG_SRC, 8, 0x1000), 0);
}

static void state_machine(enum tce_platform p)
{
	uint32_t a[3] = { cfg_of_pe[0], BUID_HI, BUID_LO }, ret[1];
	struct rig r;

	REQUIRE(rig(&r, p) == 0);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(state(&r, 1), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2, MEM_CMD), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_SRC, 8, 0x1000), 0);
	check_stopped_and_thaw(&r);
	check_reset(&r, TCE_EEH_RESET_HOT);
	check_reset(&r, TCE_EEH_RESET_FUNDAMENTAL);
	/* Deactivating without a reset asserted thaws; it resets nothing. */
	reset(&r, 0, TCE_EEH_RESET_DEACTIVATE);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(reg(r.a, TCE_DT_REG_SRC, 8), 0x1000);
	if (p == TCE_PLATFORM_PSERIES)
		CHECK_EQ(rtas(&r, TCE_RTAS_CONFIGURE_PE, 3, a, 1, ret), 0);
	unrig(&r);
}

static void state_machine_pseries(void)
{
	state_machine(TCE_PLATFORM_PSERIES);
}

static void state_machine_powernv(void)
{
	state_machine(TCE_PLATFORM_POWERNV);
}

/* A call with @nargs and @nret: status -3 and nothing written past rets[0]. */
static void refused(struct rig *r, uint32_t token, uint32_t nargs, uint32_t nret)
{
	uint32_t a[8] = { cfg_of_pe[0], BUID_HI, BUID_LO, 0 }, ret[8];
	unsigned i;

	for (i = 0; i < 8; i++)
		ret[i] = CANARY;
	CHECK_EQ(rtas(r, token, nargs, a, nret, ret), TCE_RTAS_PARAM_ERROR);
	for (i = 1; i < 8; i++)
		CHECK_EQ(ret[i], CANARY);
}

static void rtas_counts_and_arguments(void)
{
	uint32_t a[4] = { cfg_of_pe[1], BUID_HI, BUID_LO, TCE_RTAS_EEH_ENABLE }, ret[8];
	struct rig r;
	unsigned i;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	refused(&r, TCE_RTAS_SET_EEH_OPTION, 3, 1);
	refused(&r, TCE_RTAS_SET_EEH_OPTION, 4, 2);
	refused(&r, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, 3);
	refused(&r, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, 6);
	refused(&r, TCE_RTAS_READ_SLOT_RESET_STATE2, 4, 4);
	refused(&r, TCE_RTAS_SET_SLOT_RESET, 3, 1);
	refused(&r, TCE_RTAS_SET_SLOT_RESET, 4, 2);
	refused(&r, TCE_RTAS_CONFIGURE_PE, 4, 1);
	refused(&r, TCE_RTAS_CONFIGURE_PE, 3, 2);
	refused(&r, 0x2021, 4, 2); /* ibm,get-config-addr-info2: not offered */
	/* Five results: recovery info 0, nothing beyond. */
	for (i = 0; i < 8; i++)
		ret[i] = CANARY;
	CHECK_EQ(rtas(&r, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 5, ret), 0);
	CHECK_EQ(ret[1], TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(ret[2], TCE_RTAS_EEH_SUPPORTED);
	CHECK_EQ(ret[3], TCE_RTAS_EEH_UNAVAIL_INFO);
	CHECK_EQ(ret[4], 0);
	CHECK_EQ(ret[5], CANARY);
	/* Enable and disable are accepted and change nothing. */
	CHECK_EQ(rtas(&r, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), 0);
	a[3] = TCE_RTAS_EEH_DISABLE;
	CHECK_EQ(rtas(&r, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), 0);
	CHECK_EQ(state(&r, 1), TCE_EEH_PE_STATE_NORMAL);
	a[3] = 4; /* no such option */
	CHECK_EQ(rtas(&r, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), TCE_RTAS_PARAM_ERROR);
	a[3] = 2; /* no such reset function */
	CHECK_EQ(rtas(&r, TCE_RTAS_SET_SLOT_RESET, 4, a, 1, ret), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(state(&r, 1), TCE_EEH_PE_STATE_NORMAL);
	/* Unknown functions and PHBs (00:03.0 is the I/OAT channel, 00:04.0 is empty). */
	a[0] = 0x2000;
	CHECK_EQ(rtas(&r, TCE_RTAS_CONFIGURE_PE, 3, a, 1, ret), TCE_RTAS_PARAM_ERROR);
	a[0] = 0x0801; /* register bits set */
	CHECK_EQ(rtas(&r, TCE_RTAS_CONFIGURE_PE, 3, a, 1, ret), TCE_RTAS_PARAM_ERROR);
	a[0] = cfg_of_pe[0], a[2] = 0x20000001;
	CHECK_EQ(rtas(&r, TCE_RTAS_CONFIGURE_PE, 3, a, 1, ret), TCE_RTAS_PARAM_ERROR);
	/* The OPAL-style calls do not exist on pseries. */
	CHECK_RC(tce_fw_eeh_freeze_status(r.m, 0, 0, NULL, NULL), -EOPNOTSUPP);
	CHECK_RC(tce_fw_eeh_freeze_clear(r.m, 0, 0, TCE_EEH_FROZEN_MMIO), -EOPNOTSUPP);
	CHECK_RC(tce_fw_eeh_reset(r.m, 0, 0, TCE_EEH_RESET_HOT, true), -EOPNOTSUPP);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 0, 0, 0, 0), -EOPNOTSUPP);
	unrig(&r);
}

static void powernv_arguments(void)
{
	uint32_t a[3] = { cfg_of_pe[0], BUID_HI, BUID_LO }, ret[4], f = 7;
	struct rig r;

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tce_hv_rtas(r.m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 4, ret), -EOPNOTSUPP);
	CHECK_RC(tce_fw_eeh_freeze_status(r.m, 1, 0, &f, NULL), -EINVAL);
	CHECK_RC(tce_fw_eeh_freeze_status(r.m, 0, 7, &f, NULL), -EINVAL);
	CHECK_EQ(f, 7);
	CHECK_RC(tce_fw_eeh_freeze_clear(r.m, 0, 0, 0), -EINVAL);
	CHECK_RC(tce_fw_eeh_freeze_clear(r.m, 0, 0, 4), -EINVAL);
	CHECK_RC(tce_fw_eeh_reset(r.m, 0, 0, 2, true), -EINVAL);
	CHECK_RC(tce_fw_eeh_reset(r.m, 0, 7, TCE_EEH_RESET_HOT, true), -EINVAL);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 2, 0, 0, 0), -EINVAL);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 0, 20, 0, 0), -EINVAL);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 9, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	unrig(&r);
}

/* powernv injection: nothing freezes until the matching access, which freezes once. */
static void powernv_injection(void)
{
	const uint64_t bar = 0x80000000ULL;
	struct tce_fault f;
	struct rig r;
	uint8_t buf[8];

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_BASE_ADDRESS_0, 4, (uint32_t)bar), 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2, MEM_CMD), 0);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, TCE_EEH_ERR_TYPE_32, TCE_EEH_ERR_FUNC_LD_MEM_ADDR,
				   bar + TCE_DT_REG_ID, ~0ULL), 0);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL); /* armed, not frozen */
	CHECK_EQ(reg(r.a, TCE_DT_REG_SRC, 8), 0);        /* another address */
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_ID, 4, 0), 0); /* a store */
	CHECK_EQ(cfg(r.a, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR);     /* a config load */
	CHECK_RC(tce_dev_dma_read(r.a, 0x1000, buf, 8), 0);          /* DMA */
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(reg(r.a, TCE_DT_REG_ID, 4), 0xffffffff);            /* the matching load */
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_STOPPED);
	CHECK(tce_dev_eeh_frozen(r.a, &f));
	CHECK_EQ(f.reason, TCE_FAULT_INJECTED);
	CHECK_EQ(f.bus_addr, bar + TCE_DT_REG_ID);
	thaw(&r, 0, TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA);
	CHECK_EQ(reg(r.a, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);       /* fired once */
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	/* A DMA write function with mask 0: the next device write, not a read. */
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, TCE_EEH_ERR_TYPE_64, TCE_EEH_ERR_FUNC_DMA_WR_TARGET,
				   0, 0), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 0x1000, buf, 8), 0);
	CHECK_RC(tce_dev_dma_write(r.a, 0x1000, buf, 8), -EFAULT);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_STOPPED);
	thaw(&r, 0, TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA);
	/* A config store, at bus << 20 | devfn << 12 | offset. */
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 0, TCE_EEH_ERR_FUNC_ST_CFG_DATA,
				   0x08ULL << 12 | TCE_PCI_COMMAND, ~0ULL), 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_INTERRUPT_LINE, 1, 5), 0);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2, 0), 0);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_STOPPED);
	thaw(&r, 0, TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA);
	CHECK_EQ(cfg(r.a, TCE_PCI_COMMAND, 2), MEM_CMD); /* the faulting store was dropped */
	/* IO functions never match: the functions have no IO BARs. */
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 0, TCE_EEH_ERR_FUNC_LD_IO_ADDR, 0, 0), 0);
	CHECK_EQ(reg(r.a, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
	CHECK_EQ(cfg(r.a, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR);
	CHECK_RC(tce_dev_dma_read(r.a, 0x1000, buf, 8), 0);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	/* Injection on PE 1 leaves PE 0 alone. */
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 1, 0, TCE_EEH_ERR_FUNC_LD_CFG_ADDR, 0, 0), 0);
	CHECK_EQ(cfg(r.a, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR);
	CHECK_EQ(cfg(r.b, TCE_PCI_VENDOR_ID, 2), 0xffff);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(state(&r, 1), TCE_EEH_PE_STATE_STOPPED);
	unrig(&r);
}

/* pseries injects an MMIO error as the kernel does: memory decode off, then a load. */
static void pseries_mmio_injection(void)
{
	struct rig r;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MASTER), 0);
	CHECK_EQ(reg(r.a, TCE_DT_REG_ID, 4), 0xffffffff);
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_STOPPED);
	unrig(&r);
}

static char blob[1 << 16];

/* The built-in pseries tree with @prop of /rtas set to @token, or deleted (0). */
static int tree_with(const char *prop, uint32_t token, struct tce_machine **out)
{
	struct tce_machine *ref;
	fdt32_t v = cpu_to_fdt32(token);
	int rc, node;

	if (tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref))
		return -1;
	rc = fdt_open_into(tce_machine_fdt(ref), blob, sizeof(blob));
	tce_machine_destroy(ref);
	node = fdt_path_offset(blob, "/rtas");
	if (rc || node < 0)
		return -1;
	rc = token ? fdt_setprop(blob, node, prop, &v, sizeof(v)) : fdt_delprop(blob, node, prop);
	return rc ? -1 : tce_machine_create_dtb(blob, fdt_totalsize(blob), out);
}

static void tokens_from_the_tree(void)
{
	uint32_t a[4] = { cfg_of_pe[0], BUID_HI, BUID_LO, TCE_RTAS_EEH_THAW_MMIO }, ret[4];
	struct tce_machine *m = NULL;

	CHECK_RC(tree_with("ibm,set-eeh-option", 0, &m), 0);
	if (m) {
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), 0);
		CHECK_EQ((int32_t)ret[0], TCE_RTAS_PARAM_ERROR); /* unknown call */
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 4, ret), 0);
		CHECK_EQ(ret[0], 0);
		tce_machine_destroy(m);
	}
	m = NULL;
	CHECK_RC(tree_with("ibm,set-eeh-option", 0x3000, &m), 0); /* a token of its own */
	if (m) {
		CHECK_RC(tce_hv_rtas(m, 0x3000, 4, a, 1, ret), 0);
		CHECK_EQ(ret[0], 0);
		tce_machine_destroy(m);
	}
	CHECK_RC(tree_with("ibm,set-slot-reset", 0x2026, &m), -EINVAL); /* the DDW query's */
	CHECK_RC(tree_with("ibm,configure-pe", 0x2022, &m), -EINVAL);   /* another EEH call's */
	CHECK_RC(tree_with("ibm,configure-pe", 0xffffffff, &m), 0);
	tce_machine_destroy(m);
}

/* Every firmware call is a fault point: -EIO (OPAL-style) or -1 (RTAS), nothing changed. */
static void fault_points(void)
{
	uint32_t a[4] = { cfg_of_pe[0], BUID_HI, BUID_LO, TCE_EEH_RESET_HOT }, ret[4], f;
	struct tce_machine *m;
	struct rig r;

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 1);
	CHECK_RC(tce_fw_eeh_reset(r.m, 0, 0, TCE_EEH_RESET_HOT, true), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 1);
	CHECK_RC(tce_fw_eeh_inject(r.m, 0, 0, 0, TCE_EEH_ERR_FUNC_LD_CFG_ADDR, 0, 0), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 1);
	CHECK_RC(tce_fw_eeh_freeze_status(r.m, 0, 0, &f, NULL), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 0);
	CHECK_EQ(cfg(r.a, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR); /* no injection armed */
	CHECK_EQ(state(&r, 0), TCE_EEH_PE_STATE_NORMAL);
	unrig(&r);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	tce_ctx_set_fail_nth(tce_machine_ctx(m), 1);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_SET_SLOT_RESET, 4, a, 1, ret), 0);
	CHECK_EQ((int32_t)ret[0], TCE_RTAS_HW_ERROR);
	tce_ctx_set_fail_nth(tce_machine_ctx(m), 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 4, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_EQ(ret[1], TCE_EEH_PE_STATE_NORMAL); /* the failed reset did nothing */
	tce_machine_destroy(m);
}

struct heard {
	unsigned n;
	struct tce_fault_event last;
};

static void hear(void *arg, const struct tce_fault_event *ev)
{
	struct heard *h = arg;

	h->n++;
	h->last = *ev;
}

/* One DMA of @len bytes at @bus by @d that must fault; the event it gave. */
static const struct tce_fault_event *dma_fault(struct heard *h, struct tce_pci_dev *d,
					       uint64_t bus, bool write)
{
	uint8_t buf[8] = { 0 };
	unsigned before = h->n;

	CHECK_RC(write ? tce_dev_dma_write(d, bus, buf, sizeof(buf))
		       : tce_dev_dma_read(d, bus, buf, sizeof(buf)), -EFAULT);
	CHECK_EQ(h->n, before + 1);
	CHECK(tce_dev_eeh_frozen(d, NULL));
	return &h->last;
}

/* The machine's fault callback hears each fault with what translation met. */
static void fault_callback(void)
{
	const struct tce_fault_event *ev;
	struct heard h = { 0 };
	struct tce_fault first;
	uint8_t buf[8];
	struct rig r;

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	tce_machine_set_fault_fn(r.m, hear, &h);
	CHECK_RC(tce_dev_dma_read(r.a, 0x1000, buf, sizeof(buf)), 0);
	CHECK_EQ(h.n, 0);
	ev = dma_fault(&h, r.a, 0x3000, true); /* an empty TCE */
	CHECK_EQ(ev->fault.reason, TCE_FAULT_NO_TCE);
	CHECK_EQ(ev->fault.bus_addr, 0x3000);
	CHECK(ev->fault.write && ev->dma);
	CHECK(strcmp(ev->fault.device, "0000:00:01.0") == 0);
	CHECK_EQ(ev->phb, 0);
	CHECK_EQ(ev->pe, tce_dev_pe(r.a));
	CHECK_EQ(ev->tce, 0);
	CHECK_EQ(ev->nslots, 2);
	CHECK(ev->slot[0].enabled && !ev->slot[1].enabled);
	CHECK_EQ(ev->slot[0].size, 1ULL << 24);
	CHECK_EQ(ev->slot[0].page_shift, 12);
	CHECK_RC(tce_dev_dma_read(r.a, 0x1000, buf, sizeof(buf)), -EIO); /* frozen: no new fault */
	CHECK_EQ(h.n, 1);
	tce_dev_eeh_thaw(r.a);

	CHECK_RC(tce_table_set(r.t, 2, 1, RAM_A + 0x1000, TCE_DIR_TO_DEVICE), 0);
	ev = dma_fault(&h, r.a, 0x2008, true); /* READ only */
	CHECK_EQ(ev->fault.reason, TCE_FAULT_PERMISSION);
	CHECK_EQ(ev->tce, (RAM_A + 0x1000) | TCE_PCI_READ);
	CHECK_EQ(ev->fault.bus_addr, 0x2008);
	thaw(&r, 0, TCE_EEH_FROZEN_DMA);
	ev = dma_fault(&h, r.a, 0x2000, true); /* still MMIO-frozen: heard all the same */
	CHECK_EQ(h.n, 3);
	CHECK(tce_dev_eeh_frozen(r.a, &first));
	CHECK_EQ(first.reason, TCE_FAULT_PERMISSION); /* the first is what froze it */
	tce_dev_eeh_thaw(r.a);

	ev = dma_fault(&h, r.a, 1ULL << 59, false); /* slot 1 is not enabled */
	CHECK_EQ(ev->fault.reason, TCE_FAULT_NO_WINDOW);
	CHECK(!ev->fault.write);
	tce_dev_eeh_thaw(r.a);
	CHECK_RC(tce_table_set(r.t, 4, 1, 1ULL << 45, TCE_DIR_BIDIRECTIONAL), 0);
	ev = dma_fault(&h, r.a, 0x4010, false); /* a real address in no region */
	CHECK_EQ(ev->fault.reason, TCE_FAULT_BAD_REAL);
	CHECK_EQ(ev->real_addr, (1ULL << 45) + 0x10);
	tce_dev_eeh_thaw(r.a);

	ev = dma_fault(&h, r.b, 0x1000, true); /* the other PE, no window of its own */
	CHECK_EQ(ev->pe, tce_dev_pe(r.b));
	CHECK_EQ(ev->fault.reason, TCE_FAULT_NO_WINDOW);
	tce_dev_eeh_thaw(r.b);

	tce_machine_set_fault_fn(r.m, NULL, NULL);
	CHECK_RC(tce_dev_dma_write(r.a, 0x5000, buf, sizeof(buf)), -EFAULT);
	CHECK_EQ(h.n, 6);
	unrig(&r);
}

static const struct tt_case cases[] = {
	TT_CASE(state_machine_pseries),
	TT_CASE(state_machine_powernv),
	TT_CASE(rtas_counts_and_arguments),
	TT_CASE(powernv_arguments),
	TT_CASE(powernv_injection),
	TT_CASE(pseries_mmio_injection),
	TT_CASE(tokens_from_the_tree),
	TT_CASE(fault_points),
	TT_CASE(fault_callback),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
