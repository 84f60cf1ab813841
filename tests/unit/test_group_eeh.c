/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PE-level EEH on groups through <tce.h>, on the pseries, powernv and
 * legacy profiles: the state machine of spec vfio.md §1.5 (a DMA fault
 * stops the PE; unfreezing MMIO gives STOPPED_DMA, then DMA NORMAL; a reset
 * reads RESET until deactivated), what a frozen PE's functions read and
 * drop, the argument checks, each platform's injection policy (pseries: the
 * four MMIO functions at once, ERANGE for the rest; powernv: all twenty,
 * frozen at the next matching access), PE isolation, and a machine whose
 * firmware names no EEH call.
 */
#include <errno.h>
#include <libfdt.h>
#include <linux/vfio.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

enum kind { K_PSERIES, K_POWERNV, K_LEGACY };

struct os {
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *a, *b;
	struct tce_group *ga, *gb;
	uint64_t real, bus; /* a kernel page mapped for a, read-write */
};

static int up(struct os *o, enum kind k)
{
	struct tce_host_config cfg = { .profile = k == K_LEGACY ? TCE_OS_LEGACY : TCE_OS_DEFAULT };
	int rc = tce_machine_create_default(k == K_POWERNV ? TCE_PLATFORM_POWERNV
							   : TCE_PLATFORM_PSERIES, &o->m);

	if (!rc)
		rc = tce_host_create_config(o->m, &cfg, &o->h);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:01.0", &o->a);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:02.0", &o->b);
	if (rc)
		return rc;
	o->ga = tce_device_group(o->a), o->gb = tce_device_group(o->b);
	rc = tce_host_alloc(o->h, 4096, &o->real, NULL);
	return rc ? rc : tce_device_map_page(o->a, o->real, 4096, TCE_DIR_BIDIRECTIONAL, &o->bus);
}

static void down(struct os *o)
{
	CHECK_RC(tce_device_unmap_page(o->a, o->bus, 4096), 0);
	CHECK_RC(tce_host_free(o->h, o->real, 4096), 0);
	tce_host_destroy(o->h);
	tce_machine_destroy(o->m);
}

static uint32_t state(struct tce_group *g)
{
	uint32_t s = 99;

	CHECK_RC(tce_group_eeh_get_state(g, &s), 0);
	return s;
}

static uint32_t vendor(struct tce_device *d)
{
	uint32_t v = 0;

	CHECK_RC(tce_dev_config_read(tce_device_pci(d), TCE_PCI_VENDOR_ID, 2, &v), 0);
	return v;
}

static int dma(struct tce_device *d, uint64_t bus)
{
	uint8_t buf[8] = { 1, 2, 3 };

	return tce_dev_dma_write(tce_device_pci(d), bus, buf, sizeof(buf));
}

/* Fault, then unfreeze MMIO, then DMA: STOPPED, STOPPED_DMA, NORMAL. */
static void state_machine(enum kind k)
{
	uint64_t v;
	struct os o;

	REQUIRE(up(&o, k) == 0);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(dma(o.a, o.bus), 0);
	CHECK_RC(dma(o.a, o.bus + 0x100000), -EFAULT); /* not mapped: the PE stops */
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_STOPPED);
	CHECK_EQ(state(o.gb), TCE_EEH_PE_STATE_NORMAL); /* the other PE goes on */
	CHECK_EQ(vendor(o.a), 0xffff);
	CHECK_EQ(vendor(o.b), TCE_DT_VENDOR);
	CHECK_RC(tce_dev_bar_read(tce_device_pci(o.a), 0, TCE_DT_REG_ID, 4, &v), 0);
	CHECK_EQ(v, 0xffffffff);
	CHECK_RC(dma(o.a, o.bus), -EIO);
	CHECK_RC(tce_group_eeh_unfreeze_mmio(o.ga), 0);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_STOPPED_DMA);
	CHECK_EQ(vendor(o.a), TCE_DT_VENDOR);
	CHECK_RC(dma(o.a, o.bus), -EIO);
	CHECK_RC(tce_group_eeh_unfreeze_dma(o.ga), 0);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(dma(o.a, o.bus), 0);
	/* DMA first, then MMIO: the state in between is UNAVAIL (MMIO frozen, DMA not). */
	CHECK_RC(dma(o.a, o.bus + 0x100000), -EFAULT);
	CHECK_RC(tce_group_eeh_unfreeze_dma(o.ga), 0);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_UNAVAIL);
	CHECK_RC(tce_group_eeh_unfreeze_mmio(o.ga), 0);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(tce_group_eeh_enable(o.ga), 0);
	CHECK_RC(tce_group_eeh_disable(o.ga), 0);
	CHECK_RC(tce_group_eeh_configure(o.ga), 0);
	CHECK_RC(tce_group_eeh_get_state(o.ga, NULL), -EINVAL);
	down(&o);
}

/* Hot and fundamental resets: RESET until deactivated; functions back to power-on. */
static void resets(enum kind k)
{
	static const uint32_t kinds[2] = { TCE_EEH_RESET_HOT, TCE_EEH_RESET_FUNDAMENTAL };
	uint32_t cmd = 0;
	unsigned i;
	struct os o;

	REQUIRE(up(&o, k) == 0);
	CHECK_RC(tce_group_eeh_reset(o.ga, 2), -EINVAL);
	CHECK_RC(tce_group_eeh_reset(o.ga, 4), -EINVAL);
	for (i = 0; i < 2; i++) {
		CHECK_RC(tce_dev_config_write(tce_device_pci(o.a), TCE_PCI_COMMAND, 2,
					      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER), 0);
		CHECK_RC(tce_group_eeh_reset(o.ga, kinds[i]), 0);
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_RESET);
		CHECK_EQ(vendor(o.a), 0xffff);
		CHECK_RC(dma(o.a, o.bus), -EIO);
		CHECK_RC(tce_group_eeh_unfreeze_mmio(o.ga), 0); /* a thaw does not end a reset */
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_RESET);
		CHECK_RC(tce_group_eeh_reset(o.ga, TCE_EEH_RESET_DEACTIVATE), 0);
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
		CHECK_RC(tce_dev_config_read(tce_device_pci(o.a), TCE_PCI_COMMAND, 2, &cmd), 0);
		CHECK_EQ(cmd, 0); /* the function was reset */
		CHECK_RC(dma(o.a, o.bus), 0); /* the IOMMU's windows were not touched */
	}
	down(&o);
}

/* The argument checks of eeh_pe_inject_err(), then each platform's policy. */
static void inject(enum kind k)
{
	uint8_t buf[8];
	struct os o;
	uint32_t f;

	REQUIRE(up(&o, k) == 0);
	CHECK_RC(tce_group_eeh_inject(o.ga, 2, 0, 0, 0), -EINVAL);
	CHECK_RC(tce_group_eeh_inject(o.ga, 0, 20, 0, 0), -EINVAL);
	CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
	if (k != K_POWERNV) {
		for (f = 0; f <= TCE_EEH_ERR_FUNC_MAX; f++) {
			bool mmio = f == 0 || f == 1 || f == 6 || f == 7;

			CHECK_RC(tce_group_eeh_inject(o.ga, f & 1, f, 0, 0), mmio ? 0 : -ERANGE);
			CHECK_EQ(state(o.ga), mmio ? TCE_EEH_PE_STATE_STOPPED : TCE_EEH_PE_STATE_NORMAL);
			CHECK_EQ(state(o.gb), TCE_EEH_PE_STATE_NORMAL);
			CHECK_RC(tce_group_eeh_reset(o.ga, TCE_EEH_RESET_HOT), 0);
			CHECK_RC(tce_group_eeh_reset(o.ga, TCE_EEH_RESET_DEACTIVATE), 0);
		}
	} else {
		/* Armed: only the next matching access freezes the PE. */
		CHECK_RC(tce_group_eeh_inject(o.ga, TCE_EEH_ERR_TYPE_64, TCE_EEH_ERR_FUNC_DMA_RD_ADDR,
					      o.bus, ~0xfffULL), 0);
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
		CHECK_RC(dma(o.a, o.bus), 0); /* a write does not match a read function */
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_NORMAL);
		CHECK(tce_dev_dma_read(tce_device_pci(o.a), o.bus + 8, buf, 8) != 0);
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_STOPPED);
		CHECK_RC(tce_group_eeh_unfreeze_mmio(o.ga), 0);
		CHECK_RC(tce_group_eeh_unfreeze_dma(o.ga), 0);
		CHECK_RC(tce_dev_dma_read(tce_device_pci(o.a), o.bus + 8, buf, 8), 0); /* once */
		/* A config load function: the next config read freezes it. */
		CHECK_RC(tce_group_eeh_inject(o.ga, 0, TCE_EEH_ERR_FUNC_LD_CFG_ADDR, 0, 0), 0);
		CHECK_EQ(vendor(o.a), 0xffff);
		CHECK_EQ(state(o.ga), TCE_EEH_PE_STATE_STOPPED);
	}
	down(&o);
}

/* EEH works for the group's owner (VFIO), and after release the kernel's DMA too. */
static void while_owned(enum kind k)
{
	struct os o;

	REQUIRE(up(&o, k) == 0);
	CHECK_RC(tce_device_unmap_page(o.a, o.bus, 4096), 0);
	CHECK_RC(tce_group_take_ownership(o.gb), 0);
	CHECK_RC(dma(o.b, 0x1000), -EFAULT); /* the owner has no window yet */
	CHECK_EQ(state(o.gb), TCE_EEH_PE_STATE_STOPPED);
	CHECK_RC(tce_group_eeh_reset(o.gb, TCE_EEH_RESET_HOT), 0);
	CHECK_RC(tce_group_eeh_reset(o.gb, TCE_EEH_RESET_DEACTIVATE), 0);
	CHECK_EQ(state(o.gb), TCE_EEH_PE_STATE_NORMAL);
	CHECK_RC(tce_group_release_ownership(o.gb), 0);
	CHECK_RC(tce_device_map_page(o.a, o.real, 4096, TCE_DIR_BIDIRECTIONAL, &o.bus), 0);
	down(&o);
}

/* A pseries machine whose /rtas names no EEH call: the kernel's missing eeh_ops. */
static void no_eeh_tokens(void)
{
	static char blob[1 << 16];
	static const char *const names[4] = { "ibm,set-eeh-option", "ibm,read-slot-reset-state2",
					       "ibm,set-slot-reset", "ibm,configure-pe" };
	struct tce_machine *ref, *m;
	struct tce_host *h;
	struct tce_device *d;
	uint32_t s;
	unsigned i;
	int rtas;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	REQUIRE(fdt_open_into(tce_machine_fdt(ref), blob, sizeof(blob)) == 0);
	tce_machine_destroy(ref);
	rtas = fdt_path_offset(blob, "/rtas");
	for (i = 0; i < 4; i++)
		fdt_delprop(blob, rtas, names[i]);
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tce_host_create(m, &h) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
	CHECK_RC(tce_group_eeh_get_state(tce_device_group(d), &s), -ENOENT);
	CHECK_RC(tce_group_eeh_unfreeze_dma(tce_device_group(d)), -ENOENT);
	CHECK_RC(tce_group_eeh_reset(tce_device_group(d), TCE_EEH_RESET_HOT), -ENOENT);
	CHECK_RC(tce_group_eeh_inject(tce_device_group(d), 0, 0, 0, 0), 0); /* OS-side: no RTAS */
	/* VFIO's CHECK_EXTENSION(VFIO_EEH) is the kernel's eeh_enabled(): 0 on this host. */
	{
		struct tce_vfio_mm *mm;
		int c, g;

		REQUIRE(tce_vfio_mm_create(tce_machine_ctx(m), NULL, &mm) == 0);
		c = tce_vfio_open_container(mm);
		g = tce_vfio_open_group(mm, tce_device_group(d));
		CHECK_RC(tce_vfio_ioctl(mm, c, VFIO_CHECK_EXTENSION, (void *)VFIO_EEH), 1);
		CHECK_RC(tce_vfio_ioctl(mm, g, VFIO_GROUP_SET_CONTAINER, &c), 0);
		CHECK_RC(tce_vfio_ioctl(mm, c, VFIO_CHECK_EXTENSION, (void *)VFIO_EEH), 0);
		tce_vfio_mm_destroy(mm);
	}
	tce_host_destroy(h);
	tce_machine_destroy(m);
}


static void state_machine_pseries(void) { state_machine(K_PSERIES); }
static void state_machine_powernv(void) { state_machine(K_POWERNV); }
static void state_machine_legacy(void) { state_machine(K_LEGACY); }
static void resets_pseries(void) { resets(K_PSERIES); }
static void resets_powernv(void) { resets(K_POWERNV); }
static void inject_pseries(void) { inject(K_PSERIES); }
static void inject_powernv(void) { inject(K_POWERNV); }
static void inject_legacy(void) { inject(K_LEGACY); }
static void while_owned_pseries(void) { while_owned(K_PSERIES); }
static void while_owned_powernv(void) { while_owned(K_POWERNV); }

static const struct tt_case cases[] = {
	TT_CASE(state_machine_pseries), TT_CASE(state_machine_powernv),
	TT_CASE(state_machine_legacy),  TT_CASE(resets_pseries),
	TT_CASE(resets_powernv),        TT_CASE(inject_pseries),
	TT_CASE(inject_powernv),        TT_CASE(inject_legacy),
	TT_CASE(while_owned_pseries),   TT_CASE(while_owned_powernv),
	TT_CASE(no_eeh_tokens),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
