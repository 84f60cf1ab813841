/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA-test device as a PCI device, through <tce.h> and <tce/abi.h>:
 * every config field and which bits are writable, the capability walk
 * (PCI Express with FLR, MSI-X), every BAR0 register, bus mastering gating
 * DMA, memory decode off as a master abort that freezes the PE, the
 * doorbell copy run by the device thread with its MSI-X message (once,
 * vector 0), a masked vector's PBA bit, the doorbell through the mapped
 * BAR, function-level reset (also while a copy is in flight), replacing
 * the MSI handler, fail-Nth over starting the device thread and over a
 * doorbell copy, and the per-function DMA byte counts.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define LIOBN0 0x80000000ULL
#define RAM_A 0x200000ULL
#define RAM_B 0x300000ULL
#define MEM_CMD (TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER)
#define MSIX_FLAGS (TCE_DT_CFG_MSIX_CAP + TCE_PCI_MSIX_FLAGS)
#define VEC0_CTRL (TCE_DT_MSIX_TABLE + TCE_PCI_MSIX_ENTRY_VECTOR_CTRL)

static struct tce_machine *machine(enum tce_platform p, struct tce_pci_dev **d)
{
	struct tce_machine *m = NULL;

	if (tce_machine_create_default(p, &m) || tce_machine_find_device(m, "0000:00:01.0", d)) {
		tce_machine_destroy(m);
		return NULL;
	}
	return m;
}

static uint32_t cfg(struct tce_pci_dev *d, uint32_t off, unsigned size)
{
	uint32_t v = 0xdeadbeef;

	CHECK_RC(tce_dev_config_read(d, off, size, &v), 0);
	return v;
}

static uint64_t reg(struct tce_pci_dev *d, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	CHECK_RC(tce_dev_bar_read(d, 0, off, size, &v), 0);
	return v;
}

static void wr(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t v)
{
	CHECK_RC(tce_dev_bar_write(d, 0, off, size, v), 0);
}

static void wcfg(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t v)
{
	CHECK_RC(tce_dev_config_write(d, off, size, v), 0);
}

/* pseries: bus 0x1000 reads RAM_A (READ), bus 0x2000 writes RAM_B (WRITE). */
static void map_two(struct tce_machine *m)
{
	uint64_t a[9] = { LIOBN0, 0x1000, RAM_A | TCE_PCI_READ };
	uint64_t b[9] = { LIOBN0, 0x2000, RAM_B | TCE_PCI_WRITE };

	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, a), TCE_H_SUCCESS);
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, b), TCE_H_SUCCESS);
}

static void program(struct tce_pci_dev *d, uint64_t src, uint64_t dst, uint64_t len)
{
	wr(d, TCE_DT_REG_SRC, 8, src);
	wr(d, TCE_DT_REG_DST, 8, dst);
	wr(d, TCE_DT_REG_LEN, 8, len);
}

/* Wait up to 5 s for @cond; the device thread polls at most every 1 ms. */
#define WAIT_FOR(cond)                                                     \
	do {                                                               \
		struct timespec ts_ = { 0, 1000000 };                     \
		int n_;                                                    \
		for (n_ = 0; n_ < 5000 && !(cond); n_++)                   \
			nanosleep(&ts_, NULL);                             \
	} while (0)

static void config_fields(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = machine(TCE_PLATFORM_PSERIES, &d);
	uint32_t at, seen = 0, hops = 0, v;

	REQUIRE(m);
	CHECK_EQ(cfg(d, TCE_PCI_VENDOR_ID, 2), TCE_DT_VENDOR);
	CHECK_EQ(cfg(d, TCE_PCI_DEVICE_ID, 2), TCE_DT_DEVICE);
	CHECK_EQ(cfg(d, TCE_PCI_COMMAND, 2), 0);
	CHECK_EQ(cfg(d, TCE_PCI_STATUS, 2), TCE_PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg(d, TCE_PCI_CLASS_REVISION, 4), 0xff000001);
	CHECK_EQ(cfg(d, TCE_PCI_HEADER_TYPE, 1), 0);
	CHECK_EQ(cfg(d, TCE_PCI_BASE_ADDRESS_0, 4), TCE_PCI_BASE_ADDRESS_MEM_TYPE_64);
	for (at = 0x14; at < 0x28; at += 4)
		CHECK_EQ(cfg(d, at, 4), 0);
	CHECK_EQ(cfg(d, TCE_PCI_SUBSYSTEM_VENDOR_ID, 2), TCE_DT_VENDOR);
	CHECK_EQ(cfg(d, TCE_PCI_SUBSYSTEM_ID, 2), TCE_DT_DEVICE);
	CHECK_EQ(cfg(d, TCE_PCI_INTERRUPT_PIN, 1), 0); /* no INTx: MSI-X only */
	CHECK_EQ(cfg(d, 0x100, 4), 0);                 /* no extended capabilities */
	/* The capability walk a driver does. */
	for (at = cfg(d, TCE_PCI_CAPABILITY_LIST, 1); at && hops < 48; at = cfg(d, at + 1, 1), hops++)
		seen |= 1u << (cfg(d, at, 1) & 31);
	CHECK_EQ(seen, 1u << TCE_PCI_CAP_ID_EXP | 1u << (TCE_PCI_CAP_ID_MSIX & 31));
	CHECK_EQ(hops, 2);
	at = TCE_DT_CFG_EXP_CAP;
	CHECK_EQ(cfg(d, at + TCE_PCI_EXP_FLAGS, 2), 0x0002); /* version 2, endpoint */
	CHECK(cfg(d, at + TCE_PCI_EXP_DEVCAP, 4) & TCE_PCI_EXP_DEVCAP_FLR);
	CHECK_EQ(cfg(d, at + TCE_PCI_EXP_DEVCTL, 2), 0x2810);
	CHECK_EQ(cfg(d, at + TCE_PCI_EXP_LNKCAP, 4) & 0x3ff, 0x011); /* 2.5 GT/s, x1 */
	CHECK_EQ(cfg(d, at + TCE_PCI_EXP_LNKSTA, 2) & 0x3ff, 0x011); /* x1 */
	at = TCE_DT_CFG_MSIX_CAP;
	CHECK_EQ(cfg(d, at + TCE_PCI_MSIX_FLAGS, 2), TCE_DT_MSIX_VECTORS - 1); /* disabled */
	CHECK_EQ(cfg(d, at + TCE_PCI_MSIX_TABLE, 4), TCE_DT_MSIX_TABLE);     /* BIR 0 */
	CHECK_EQ(cfg(d, at + TCE_PCI_MSIX_PBA, 4), TCE_DT_MSIX_PBA);
	/* Writable bits, and only those. */
	wcfg(d, TCE_PCI_COMMAND, 2, 0xffff);
	CHECK_EQ(cfg(d, TCE_PCI_COMMAND, 2), MEM_CMD | TCE_PCI_COMMAND_INTX_DISABLE);
	wcfg(d, TCE_PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	wcfg(d, TCE_PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	CHECK_EQ(cfg(d, TCE_PCI_BASE_ADDRESS_0, 4), 0xffff0004); /* 64 KiB */
	CHECK_EQ(cfg(d, TCE_PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffff);
	wcfg(d, 0x18, 4, 0xffffffff);
	CHECK_EQ(cfg(d, 0x18, 4), 0); /* BAR2: not implemented */
	wcfg(d, MSIX_FLAGS, 2, 0xffff);
	CHECK_EQ(cfg(d, MSIX_FLAGS, 2), TCE_PCI_MSIX_FLAGS_ENABLE | TCE_PCI_MSIX_FLAGS_MASKALL |
					 (TCE_DT_MSIX_VECTORS - 1));
	wcfg(d, TCE_PCI_CLASS_REVISION, 4, 0);
	CHECK_EQ(cfg(d, TCE_PCI_CLASS_REVISION, 4), 0xff000001);
	CHECK_RC(tce_dev_config_read(d, 1, 2, &v), -EINVAL);
	CHECK_RC(tce_dev_config_write(d, 0, 8, 0), -EINVAL);
	tce_machine_destroy(m);
}

static void bar_registers(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = machine(TCE_PLATFORM_POWERNV, &d);
	unsigned v;

	REQUIRE(m);
	wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY);
	CHECK_EQ(reg(d, TCE_DT_REG_SRC, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_DST, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_LEN, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_CMD, 4), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_IDLE);
	CHECK_EQ(reg(d, TCE_DT_REG_FAULT, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
	CHECK_EQ(reg(d, TCE_DT_REG_DOORBELL, 4), 0);
	for (v = 0; v < TCE_DT_MSIX_VECTORS; v++) {
		CHECK_EQ(reg(d, TCE_DT_MSIX_TABLE + v * 16, 8), 0);
		CHECK_EQ(reg(d, TCE_DT_MSIX_TABLE + v * 16 + 8, 8), 1ULL << 32); /* masked */
	}
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 0);
	/* SRC, DST, LEN take every width; the bytes land little-endian. */
	wr(d, TCE_DT_REG_SRC, 8, 0x1122334455667788ULL);
	wr(d, TCE_DT_REG_SRC + 4, 4, 0xaabbccdd);
	wr(d, TCE_DT_REG_SRC, 1, 0x01);
	CHECK_EQ(reg(d, TCE_DT_REG_SRC, 8), 0xaabbccdd55667701ULL);
	CHECK_EQ(reg(d, TCE_DT_REG_SRC + 6, 2), 0xaabb);
	wr(d, TCE_DT_REG_DST, 8, 0x2000);
	wr(d, TCE_DT_REG_LEN, 2, 0x1234);
	CHECK_EQ(reg(d, TCE_DT_REG_DST, 8), 0x2000);
	CHECK_EQ(reg(d, TCE_DT_REG_LEN, 8), 0x1234);
	/* Read-only registers ignore writes; reserved space reads 0. */
	wr(d, TCE_DT_REG_STATUS, 4, 7);
	wr(d, TCE_DT_REG_FAULT, 8, 7);
	wr(d, TCE_DT_REG_ID, 4, 7);
	wr(d, TCE_DT_MSIX_PBA, 8, 7);
	wr(d, 0x1000, 8, 7);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_IDLE);
	CHECK_EQ(reg(d, TCE_DT_REG_FAULT, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 0);
	CHECK_EQ(reg(d, 0x1000, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_BAR0_SIZE - 8, 8), 0);
	/* MSI-X entries: address and data are kept; vector control keeps the mask bit only. */
	wr(d, TCE_DT_MSIX_TABLE + 16, 8, 0xfee0000012345678ULL);
	wr(d, TCE_DT_MSIX_TABLE + 16 + 8, 8, 0xfffffffe00000042ULL);
	CHECK_EQ(reg(d, TCE_DT_MSIX_TABLE + 16, 8), 0xfee0000012345678ULL);
	CHECK_EQ(reg(d, TCE_DT_MSIX_TABLE + 16 + 8, 8), 0x42);
	wr(d, TCE_DT_MSIX_TABLE + 16 + 12, 4, 0xffffffff);
	CHECK_EQ(reg(d, TCE_DT_MSIX_TABLE + 16 + 12, 4), 1);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK_RC(tce_dev_bar_read(d, 0, 4, 8, &(uint64_t){ 0 }), -EINVAL);
	CHECK_RC(tce_dev_bar_write(d, 2, 0, 4, 0), -EINVAL);
	tce_machine_destroy(m);
}

static uint64_t cmd_copy(struct tce_pci_dev *d, uint64_t src, uint64_t dst, uint64_t len);

static void bus_master_gates_dma(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = machine(TCE_PLATFORM_PSERIES, &d);

	REQUIRE(m);
	map_two(m);
	memcpy(tce_machine_ram_ptr(m, RAM_A, 8), "mastered", 8);
	wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY);
	program(d, 0x1000, 0x2000, 8);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_ERROR);
	CHECK(!memcmp(tce_machine_ram_ptr(m, RAM_B, 8), "\0\0\0\0\0\0\0\0", 8));
	CHECK(!tce_dev_eeh_frozen(d, NULL)); /* the device never put the DMA on the bus */
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_DONE);
	CHECK(!memcmp(tce_machine_ram_ptr(m, RAM_B, 8), "mastered", 8));
	/* LEN 0 and LEN above 1 MiB are errors without any DMA. */
	wr(d, TCE_DT_REG_LEN, 8, 0);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_ERROR);
	wr(d, TCE_DT_REG_LEN, 8, TCE_DT_MAX_COPY + 1);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_ERROR);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	/* A source or a destination running past the last bus address: the same. */
	CHECK_EQ(cmd_copy(d, ~0xfffULL, 0x2000, 0x2000), TCE_DT_STATUS_ERROR);
	CHECK_EQ(cmd_copy(d, 0x1000, ~0xfffULL, 0x2000), TCE_DT_STATUS_ERROR);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK(!memcmp(tce_machine_ram_ptr(m, RAM_B, 8), "mastered", 8));
	tce_machine_destroy(m);
}

static void master_abort_freezes(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = machine(TCE_PLATFORM_PSERIES, &d);
	struct tce_fault f;

	REQUIRE(m);
	wcfg(d, TCE_PCI_BASE_ADDRESS_0, 4, 0x80000000);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 4), 0xffffffff); /* memory decode is off */
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_MASTER_ABORT);
	CHECK_EQ(f.bus_addr, 0x80000000 + TCE_DT_REG_ID);
	CHECK(!f.write);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 2), 0xffff);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 8), ~0ULL);
	CHECK_EQ(cfg(d, TCE_PCI_VENDOR_ID, 4), 0xffffffff); /* config space is frozen too */
	tce_dev_eeh_thaw(d);
	wr(d, TCE_DT_REG_SRC, 8, 0x1234); /* a store: frozen again, dropped */
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK(f.write);
	tce_dev_eeh_thaw(d);
	wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY);
	CHECK_EQ(reg(d, TCE_DT_REG_SRC, 8), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	tce_machine_destroy(m);
}

/* An MSI handler that counts messages and records the last vector. */
struct msi {
	atomic_uint count;
	atomic_uint vector;
	atomic_uint status; /* STATUS read inside the handler */
	struct tce_pci_dev *d;
};

static void on_msi(void *arg, unsigned vector)
{
	struct msi *s = arg;
	uint64_t st = 0;

	tce_dev_bar_read(s->d, 0, TCE_DT_REG_STATUS, 4, &st);
	atomic_store(&s->status, (unsigned)st);
	atomic_store(&s->vector, vector);
	atomic_fetch_add(&s->count, 1);
}

/* powernv with slot 0 mapping bus 0x1000 → RAM_A (read) and 0x2000 → RAM_B (write). */
static struct tce_machine *pnv_rig(struct tce_pci_dev **d, struct tce_table **t)
{
	struct tce_table_config c = { .window_size = 1ULL << 24, .page_shift = 12, .levels = 1 };
	struct tce_machine *m = machine(TCE_PLATFORM_POWERNV, d);

	if (!m)
		return NULL;
	if (tce_table_create(tce_machine_ctx(m), &c, t) || tce_fw_map_window(m, 0, 0, 0, *t) ||
	    tce_table_set(*t, 1, 1, RAM_A, TCE_DIR_TO_DEVICE) ||
	    tce_table_set(*t, 2, 1, RAM_B, TCE_DIR_FROM_DEVICE)) {
		tce_machine_destroy(m);
		return NULL;
	}
	wcfg(*d, TCE_PCI_COMMAND, 2, MEM_CMD);
	return m;
}

static void async_copy_raises_msix(void)
{
	struct msi s = { .count = 0 };
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_machine *m = pnv_rig(&d, &t);

	REQUIRE(m);
	s.d = d;
	memcpy(tce_machine_ram_ptr(m, RAM_A, 16), "through a thread", 16);
	CHECK_RC(tce_dev_set_msi_handler(d, on_msi, &s), 0);
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
	wr(d, VEC0_CTRL, 4, 0); /* unmask vector 0 */
	program(d, 0x1000, 0x2000, 16);
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(atomic_load(&s.count) > 0);
	CHECK_EQ(atomic_load(&s.count), 1);
	CHECK_EQ(atomic_load(&s.vector), TCE_DT_MSIX_VECTOR_DONE);
	CHECK_EQ(atomic_load(&s.status), TCE_DT_STATUS_DONE); /* visible before the message */
	CHECK(!memcmp(tce_machine_ram_ptr(m, RAM_B, 16), "through a thread", 16));
	CHECK_EQ(reg(d, TCE_DT_REG_DOORBELL, 4), 0); /* taken */
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 0);
	/* A faulting copy completes with ERROR and a message too. */
	program(d, 0x2000, 0x1000, 16);
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(atomic_load(&s.count) > 1);
	CHECK_EQ(atomic_load(&s.count), 2);
	CHECK_EQ(atomic_load(&s.status), 0xffffffff); /* the fault froze the PE's MMIO */
	tce_dev_eeh_thaw(d);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_ERROR);
	CHECK_EQ(reg(d, TCE_DT_REG_FAULT, 8), 0x2000);
	CHECK_RC(tce_dev_set_msi_handler(d, NULL, NULL), 0);
	tce_table_put(t);
	tce_machine_destroy(m);
	CHECK_EQ(atomic_load(&s.count), 2);
}

static void masked_vector_sets_pba(void)
{
	struct msi s = { .count = 0 };
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_machine *m = pnv_rig(&d, &t);

	REQUIRE(m);
	s.d = d;
	CHECK_RC(tce_dev_set_msi_handler(d, on_msi, &s), 0);
	program(d, 0x1000, 0x2000, 8);
	/* MSI-X disabled: no message, nothing pending. */
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(reg(d, TCE_DT_REG_STATUS, 4) == TCE_DT_STATUS_DONE);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_DONE);
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 0);
	/* Enabled, vector 0 masked (its power-on state): the PBA bit instead. */
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(reg(d, TCE_DT_MSIX_PBA, 8) != 0);
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 1);
	CHECK_EQ(atomic_load(&s.count), 0);
	/* The function mask holds it too; unmasking both sends it, once. */
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE | TCE_PCI_MSIX_FLAGS_MASKALL);
	wr(d, VEC0_CTRL, 4, 0);
	struct timespec ms5 = { 0, 5000000 };
	nanosleep(&ms5, NULL);
	CHECK_EQ(atomic_load(&s.count), 0);
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
	WAIT_FOR(atomic_load(&s.count) > 0);
	CHECK_EQ(atomic_load(&s.count), 1);
	CHECK_EQ(atomic_load(&s.vector), 0);
	CHECK_EQ(reg(d, TCE_DT_MSIX_PBA, 8), 0);
	nanosleep(&ms5, NULL);
	CHECK_EQ(atomic_load(&s.count), 1);
	tce_table_put(t);
	tce_machine_destroy(m);
}

static uint32_t mmio_ld32(void *bar, uint64_t off)
{
	return le32toh(__atomic_load_n((uint32_t *)((char *)bar + off), __ATOMIC_ACQUIRE));
}

static void mmio_st64(void *bar, uint64_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)((char *)bar + off), htole64(v), __ATOMIC_RELEASE);
}

static void doorbell_through_mapping(void)
{
	struct msi s = { .count = 0 };
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_machine *m = pnv_rig(&d, &t);
	size_t size = 0;
	void *bar = NULL;

	REQUIRE(m);
	s.d = d;
	CHECK_RC(tce_dev_bar_map(d, 1, &bar, &size), -EINVAL);
	CHECK_RC(tce_dev_bar_map(d, 0, &bar, &size), 0);
	REQUIRE(bar);
	CHECK_EQ(size, TCE_DT_BAR0_SIZE);
	CHECK_EQ((uintptr_t)bar & 4095, 0);
	CHECK_EQ(mmio_ld32(bar, TCE_DT_REG_ID), TCE_DT_ID_MAGIC);
	CHECK_RC(tce_dev_set_msi_handler(d, on_msi, &s), 0);
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
	__atomic_store_n((uint32_t *)((char *)bar + VEC0_CTRL), 0, __ATOMIC_RELEASE);
	memcpy(tce_machine_ram_ptr(m, RAM_A, 8), "mmapped!", 8);
	mmio_st64(bar, TCE_DT_REG_SRC, 0x1000);
	mmio_st64(bar, TCE_DT_REG_DST, 0x2000);
	mmio_st64(bar, TCE_DT_REG_LEN, 8);
	CHECK_EQ(reg(d, TCE_DT_REG_SRC, 8), 0x1000); /* the same registers */
	__atomic_store_n((uint32_t *)((char *)bar + TCE_DT_REG_DOORBELL), htole32(1),
			 __ATOMIC_RELEASE);
	WAIT_FOR(mmio_ld32(bar, TCE_DT_REG_STATUS) == TCE_DT_STATUS_DONE &&
		 atomic_load(&s.count) > 0);
	CHECK_EQ(mmio_ld32(bar, TCE_DT_REG_STATUS), TCE_DT_STATUS_DONE);
	CHECK_EQ(atomic_load(&s.count), 1);
	CHECK(!memcmp(tce_machine_ram_ptr(m, RAM_B, 8), "mmapped!", 8));
	/* A doorbell found while memory decode is off is a master abort. */
	wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MASTER);
	__atomic_store_n((uint32_t *)((char *)bar + TCE_DT_REG_DOORBELL), htole32(1),
			 __ATOMIC_RELEASE);
	WAIT_FOR(tce_dev_eeh_frozen(d, NULL));
	CHECK(tce_dev_eeh_frozen(d, NULL));
	CHECK_EQ(atomic_load(&s.count), 1);
	tce_table_put(t);
	tce_machine_destroy(m);
}

static void function_level_reset(void)
{
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_machine *m = pnv_rig(&d, &t);
	uint32_t devctl = TCE_DT_CFG_EXP_CAP + TCE_PCI_EXP_DEVCTL;
	int round;

	REQUIRE(m);
	for (round = 0; round < 2; round++) {
		wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
		wcfg(d, TCE_PCI_BASE_ADDRESS_0, 4, 0x90000000);
		wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
		wcfg(d, devctl, 2, 0x0010);
		program(d, 0x1000, 0x2000, 8);
		wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
		wr(d, VEC0_CTRL, 4, 0);
		CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_DONE);
		if (round == 0)
			wcfg(d, devctl, 2, TCE_PCI_EXP_DEVCTL_BCR_FLR); /* FLR through config */
		else
			CHECK_RC(tce_dev_reset(d), 0);
		CHECK_EQ(cfg(d, TCE_PCI_COMMAND, 2), 0);
		CHECK_EQ(cfg(d, TCE_PCI_BASE_ADDRESS_0, 4), TCE_PCI_BASE_ADDRESS_MEM_TYPE_64);
		CHECK_EQ(cfg(d, MSIX_FLAGS, 2), TCE_DT_MSIX_VECTORS - 1);
		CHECK_EQ(cfg(d, devctl, 2), 0x2810); /* FLR reads 0 */
		wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY);
		CHECK_EQ(reg(d, TCE_DT_REG_SRC, 8), 0);
		CHECK_EQ(reg(d, TCE_DT_REG_LEN, 8), 0);
		CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_IDLE);
		CHECK_EQ(reg(d, TCE_DT_REG_ID, 4), TCE_DT_ID_MAGIC);
		CHECK_EQ(reg(d, VEC0_CTRL, 4), TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	tce_table_put(t);
	tce_machine_destroy(m);
}

/* A memory model that can hold a device's DMA until the test lets it go. */
struct gate {
	uint8_t *ram;
	atomic_bool armed, held, release;
};

static void *gated_mem(void *arg, uint64_t real, size_t len)
{
	struct gate *g = arg;
	struct timespec us100 = { 0, 100000 };

	if (real >= (1u << 24) || len > (1u << 24) - real)
		return NULL;
	if (atomic_exchange(&g->armed, false)) {
		atomic_store(&g->held, true);
		while (!atomic_load(&g->release))
			nanosleep(&us100, NULL);
	}
	return g->ram + real;
}

struct resetter {
	struct tce_pci_dev *d;
	atomic_bool done;
};

static void *do_reset(void *arg)
{
	struct resetter *r = arg;

	CHECK_RC(tce_dev_reset(r->d), 0);
	atomic_store(&r->done, true);
	return NULL;
}

static void reset_waits_for_copy_in_flight(void)
{
	static uint8_t ram[1 << 24];
	struct gate g = { .ram = ram };
	struct resetter r = { .done = false };
	struct tce_machine *ref, *m;
	struct tce_machine_config c = { .mem = gated_mem, .mem_arg = &g };
	struct tce_pci_dev *d;
	struct timespec ms20 = { 0, 20000000 };
	pthread_t th;
	size_t size;
	void *bar;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	map_two(m);
	memcpy(ram + RAM_A, "in flight", 9);
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	CHECK_RC(tce_dev_bar_map(d, 0, &bar, &size), 0);
	program(d, 0x1000, 0x2000, 9);
	atomic_store(&g.armed, true);
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(atomic_load(&g.held));
	REQUIRE(atomic_load(&g.held));
	CHECK_EQ(mmio_ld32(bar, TCE_DT_REG_STATUS), TCE_DT_STATUS_BUSY);
	r.d = d;
	REQUIRE(pthread_create(&th, NULL, do_reset, &r) == 0);
	nanosleep(&ms20, NULL);
	CHECK(!atomic_load(&r.done)); /* the reset waits for the copy */
	atomic_store(&g.release, true);
	pthread_join(th, NULL);
	CHECK(atomic_load(&r.done));
	CHECK(!memcmp(ram + RAM_B, "in flight", 9)); /* the copy completed first */
	CHECK_EQ(mmio_ld32(bar, TCE_DT_REG_STATUS), TCE_DT_STATUS_IDLE);
	CHECK_EQ(mmio_ld32(bar, TCE_DT_REG_SRC), 0);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
}

/* A handler that stays a while: replacing it waits until it has returned. */
struct slow {
	atomic_bool entered, finished;
};

static void slow_msi(void *arg, unsigned vector)
{
	struct slow *s = arg;
	struct timespec ms30 = { 0, 30000000 };

	atomic_store(&s->entered, true);
	nanosleep(&ms30, NULL);
	atomic_store(&s->finished, true);
}

static void replacing_the_handler_waits(void)
{
	struct slow s = { .entered = false };
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_machine *m = pnv_rig(&d, &t);

	REQUIRE(m);
	CHECK_RC(tce_dev_set_msi_handler(d, slow_msi, &s), 0);
	wcfg(d, MSIX_FLAGS, 2, TCE_PCI_MSIX_FLAGS_ENABLE);
	wr(d, VEC0_CTRL, 4, 0);
	program(d, 0x1000, 0x2000, 8);
	wr(d, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
	WAIT_FOR(atomic_load(&s.entered));
	CHECK(atomic_load(&s.entered));
	CHECK_RC(tce_dev_set_msi_handler(d, NULL, NULL), 0);
	CHECK(atomic_load(&s.finished));
	tce_table_put(t);
	tce_machine_destroy(m);
}

/* Starting the device thread is a fault point: a refused start changes nothing. */
static void fail_nth_thread_start(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine_config c = { .ctx = ctx };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d;
	size_t size;
	void *bar = NULL;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	wcfg(d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce_dev_bar_write(d, 0, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY), -ENOMEM);
	CHECK_EQ(reg(d, TCE_DT_REG_DOORBELL, 4), 0);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_IDLE);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce_dev_bar_map(d, 0, &bar, &size), -ENOMEM);
	CHECK(!bar);
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_RC(tce_dev_bar_map(d, 0, &bar, &size), 0);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce_dev_bar_map(d, 0, &bar, &size), 0); /* already running: no fault point */
	CHECK(tce_ctx_fail_nth_armed(ctx));
	tce_ctx_set_fail_nth(ctx, 0);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

/* pseries: @n pages from bus @bus map RAM from @real on, with @perm. */
static void map_run(struct tce_machine *m, uint64_t bus, uint64_t real, unsigned n, uint64_t perm)
{
	uint64_t a[9] = { LIOBN0 };
	unsigned i;

	for (i = 0; i < n; i++) {
		a[1] = bus + ((uint64_t)i << 12), a[2] = (real + ((uint64_t)i << 12)) | perm;
		CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, a), TCE_H_SUCCESS);
	}
}

/* Copy pages: 20 of them do not fit the engine's on-stack plans. */
#define BIG_PAGES 20
#define BIG_SRC 0x40000ULL
#define BIG_DST 0x80000ULL

/*
 * Fail-Nth over a doorbell copy of 20 pages: starting the thread, then the
 * engine's two plans (a copy of more than 16 pages allocates them; nothing
 * else is allocated when the ranges do not overlap).
 */
static void fail_nth_doorbell_copy(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine_config c = { .ctx = ctx };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d;
	uint64_t n, st = 0;
	int rc = -1;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	map_run(m, BIG_SRC, RAM_A, BIG_PAGES, TCE_PCI_READ);
	map_run(m, BIG_DST, RAM_B + (1 << 20), BIG_PAGES, TCE_PCI_WRITE);
	for (n = 1; n < 10; n++) {
		CHECK_RC(tce_dev_reset(d), 0);
		wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
		program(d, BIG_SRC, BIG_DST, BIG_PAGES << 12);
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_dev_bar_write(d, 0, TCE_DT_REG_DOORBELL, 4, TCE_DT_DOORBELL_COPY);
		if (rc) {
			CHECK_RC(rc, -ENOMEM);
			CHECK_EQ(reg(d, TCE_DT_REG_DOORBELL, 4), 0);
			continue;
		}
		WAIT_FOR((st = reg(d, TCE_DT_REG_STATUS, 4)) == TCE_DT_STATUS_DONE ||
			 st == TCE_DT_STATUS_ERROR);
		if (tce_ctx_fail_nth_armed(ctx))
			break;
		CHECK_EQ(st, TCE_DT_STATUS_ERROR); /* no plan: an error, not a fault */
		CHECK(!tce_dev_eeh_frozen(d, NULL));
	}
	CHECK_EQ(st, TCE_DT_STATUS_DONE);
	CHECK_EQ(n, 3); /* the thread, then the source's plan (copy_engine_plans_fail: the rest) */
	tce_ctx_set_fail_nth(ctx, 0);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

/* A CMD copy; its STATUS. */
static uint64_t cmd_copy(struct tce_pci_dev *d, uint64_t src, uint64_t dst, uint64_t len)
{
	program(d, src, dst, len);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	return reg(d, TCE_DT_REG_STATUS, 4);
}

/*
 * The copy engine needs no buffer for ranges that do not overlap in host
 * memory (up to 16 pages: no allocation at all), copies every byte across
 * IOMMU page boundaries, and copies overlapping host ranges as if it read
 * the whole source first: one run each by memmove, several through a
 * bounce buffer whose allocation failing writes nothing and freezes nothing.
 */
static void copy_engine_buffers(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine_config c = { .ctx = ctx };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d;
	static uint8_t want[16 << 12];
	uint8_t *a, *b;
	unsigned i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	a = tce_machine_ram_ptr(m, RAM_A, 16 << 12);
	b = tce_machine_ram_ptr(m, RAM_B, 16 << 12);
	REQUIRE(a && b);
	for (i = 0; i < (16 << 12); i++)
		a[i] = (uint8_t)(i * 7 + 1);
	/* Source pages in reverse order: every page a run of its own. */
	for (i = 0; i < 16; i++)
		map_run(m, BIG_SRC + ((uint64_t)i << 12), RAM_A + ((15ULL - i) << 12), 1,
			TCE_PCI_READ | TCE_PCI_WRITE);
	map_run(m, BIG_DST, RAM_B, 16, TCE_PCI_WRITE);
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_EQ(cmd_copy(d, BIG_SRC + 100, BIG_DST + 100, (16 << 12) - 200), TCE_DT_STATUS_DONE);
	CHECK(tce_ctx_fail_nth_armed(ctx)); /* nothing was allocated */
	tce_ctx_set_fail_nth(ctx, 0);
	for (i = 100; i < (16 << 12) - 100; i++)
		if (b[i] != a[((15 - (i >> 12)) << 12) + (i & 0xfff)])
			break;
	CHECK_EQ(i, (16 << 12) - 100);
	/* One run each, overlapping: bus 0x1000.. and 0x1000+64.. over the same RAM. */
	map_run(m, 0x1000, RAM_A, 2, TCE_PCI_READ | TCE_PCI_WRITE);
	memcpy(want, a, 8192);
	CHECK_EQ(cmd_copy(d, 0x1000, 0x1000 + 64, 8000), TCE_DT_STATUS_DONE);
	CHECK(!memcmp(a, want, 64));
	CHECK(!memcmp(a + 64, want, 8000));
	/* Several runs, overlapping (the reversed source onto itself, shifted). */
	map_run(m, BIG_DST, RAM_A, 16, TCE_PCI_WRITE);
	for (i = 0; i < 16; i++)
		memcpy(want + ((uint64_t)i << 12), a + ((15ULL - i) << 12), 4096);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_EQ(cmd_copy(d, BIG_SRC, BIG_DST + 8, (16 << 12) - 8), TCE_DT_STATUS_ERROR);
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK(!memcmp(a + 4096, want + 14 * 4096, 4096)); /* unchanged */
	CHECK_EQ(cmd_copy(d, BIG_SRC, BIG_DST + 8, (16 << 12) - 8), TCE_DT_STATUS_DONE);
	CHECK(!memcmp(a + 8, want, (16 << 12) - 8));
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

/*
 * Either plan of a 20-page CMD copy failing to allocate: STATUS ERROR,
 * nothing written, nothing counted, no fault; the third try copies.
 */
static void copy_engine_plans_fail(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine_config c = { .ctx = ctx };
	struct tce_machine *ref, *m;
	struct tce_dev_dma_stats st;
	struct tce_pci_dev *d;
	uint8_t *b;
	unsigned n;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	map_run(m, BIG_SRC, RAM_A, BIG_PAGES, TCE_PCI_READ);
	map_run(m, BIG_DST, RAM_B, BIG_PAGES, TCE_PCI_WRITE);
	memset(tce_machine_ram_ptr(m, RAM_A, 4096), 0x5a, 4096);
	b = tce_machine_ram_ptr(m, RAM_B, 4096);
	REQUIRE(b);
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	for (n = 1; n <= 2; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		CHECK_EQ(cmd_copy(d, BIG_SRC, BIG_DST, BIG_PAGES << 12), TCE_DT_STATUS_ERROR);
		CHECK(!tce_ctx_fail_nth_armed(ctx));
		CHECK(!tce_dev_eeh_frozen(d, NULL));
		CHECK_EQ(b[0], 0);
		tce_dev_dma_stats(d, &st);
		CHECK_EQ(st.read_bytes + st.write_bytes, 0);
	}
	tce_ctx_set_fail_nth(ctx, 3);
	CHECK_EQ(cmd_copy(d, BIG_SRC, BIG_DST, BIG_PAGES << 12), TCE_DT_STATUS_DONE);
	CHECK(tce_ctx_fail_nth_armed(ctx));
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_EQ(b[0], 0x5a);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

/*
 * A copy whose destination faults writes nothing and counts the read (as a
 * read then a write did); one whose source faults never translates the
 * destination: FAULT names the source.
 */
static void copy_engine_faults(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = machine(TCE_PLATFORM_PSERIES, &d);
	struct tce_dev_dma_stats st;
	struct tce_fault f;
	uint8_t *b;

	REQUIRE(m);
	map_two(m);
	b = tce_machine_ram_ptr(m, RAM_B, 4096);
	REQUIRE(b);
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	/* 0x2000 + 4 KiB is not mapped: the destination's second page faults. */
	program(d, 0x1000, 0x2f00, 512);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_TCE);
	CHECK_EQ(f.bus_addr, 0x3000);
	CHECK(f.write);
	CHECK_EQ(b[0xf00], 0);
	tce_dev_dma_stats(d, &st);
	CHECK_EQ(st.read_bytes, 512);
	CHECK_EQ(st.write_bytes, 0);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), 0xffffffff); /* MMIO frozen too */
	tce_dev_eeh_thaw(d);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_ERROR);
	program(d, 0x5000, 0x2000, 8);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.bus_addr, 0x5000);
	CHECK(!f.write);
	tce_dev_dma_stats(d, &st);
	CHECK_EQ(st.read_bytes, 512);
	tce_dev_eeh_thaw(d);
	CHECK_EQ(reg(d, TCE_DT_REG_FAULT, 8), 0x5000);
	tce_machine_destroy(m);
}

/* Hits and misses since *@st, which is then updated. */
static void cache_delta(struct tce_pci_dev *d, struct tce_cache_stats *st, uint64_t hits,
			uint64_t misses)
{
	struct tce_cache_stats now;

	tce_dev_cache_stats(d, &now);
	CHECK_EQ(now.hits - st->hits, hits);
	CHECK_EQ(now.misses - st->misses, misses);
	*st = now;
}

/*
 * A DMA over several pages is translated page by page through the TCE
 * cache, however it is done: each page is one hit or one miss, a page the
 * cache has not seen is a miss even inside a run of cached ones, a page
 * whose TCE was changed and killed reads its new memory, and a page whose
 * TCE was changed without a kill (powernv) still reads the cached one.
 */
static void multi_page_dma_counts_each_page(void)
{
	struct tce_table_config cfg = { .window_size = 1 << 24, .page_shift = 12, .levels = 1 };
	struct tce_cache_stats st;
	struct tce_machine *m;
	struct tce_pci_dev *d;
	struct tce_table *t;
	struct tce_fault f;
	static uint8_t buf[4 << 12];
	uint8_t *a, *b;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	REQUIRE(tce_table_create(tce_machine_ctx(m), &cfg, &t) == 0);
	CHECK_RC(tce_fw_map_window(m, 0, 0, 0, t), 0);
	a = tce_machine_ram_ptr(m, RAM_A, 4 << 12);
	b = tce_machine_ram_ptr(m, RAM_B, 4096);
	REQUIRE(a && b);
	memset(a, 'a', 4 << 12);
	memset(b, 'b', 4096);
	CHECK_RC(tce_table_set(t, 16, 4, RAM_A, TCE_DIR_BIDIRECTIONAL), 0);
	tce_dev_cache_stats(d, &st);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	cache_delta(d, &st, 0, 4);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	cache_delta(d, &st, 4, 0);
	CHECK_RC(tce_fw_tce_kill(m, 0, 0, 12, 18 << 12, 1), 0);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	cache_delta(d, &st, 3, 1);
	/* Page 18 to RAM_B without a kill: the cached translation stays. */
	CHECK_RC(tce_table_set(t, 18, 1, RAM_B, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	CHECK_EQ(buf[2 << 12], 'a');
	CHECK_RC(tce_fw_tce_kill(m, 0, 0, 12, 18 << 12, 1), 0);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	cache_delta(d, &st, 7, 1);
	CHECK_EQ(buf[(2 << 12) - 1], 'a');
	CHECK_EQ(buf[2 << 12], 'b');
	CHECK_EQ(buf[(3 << 12) - 1], 'b');
	CHECK_EQ(buf[3 << 12], 'a');
	/*
	 * Page 18 back on RAM_A's run, page 19 READ only (both cached so): a
	 * write over the four faults at page 19's first byte.
	 */
	CHECK_RC(tce_table_set(t, 18, 1, RAM_A + (2 << 12), TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_table_set(t, 19, 1, RAM_A + (3 << 12), TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_fw_tce_kill(m, 0, 0, 12, 18 << 12, 2), 0);
	CHECK_RC(tce_dev_dma_read(d, 16 << 12, buf, sizeof(buf)), 0);
	cache_delta(d, &st, 2, 2);
	CHECK_RC(tce_dev_dma_write(d, 16 << 12, buf, sizeof(buf)), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK_EQ(f.bus_addr, 19 << 12);
	CHECK_EQ(a[0], 'a');
	CHECK_RC(tce_fw_map_window(m, 0, 0, 0, NULL), 0);
	tce_table_put(t);
	tce_machine_destroy(m);
}

static void dma_stats_are(struct tce_pci_dev *d, uint64_t rd, uint64_t wr_)
{
	struct tce_dev_dma_stats st = { 1, 1 };

	tce_dev_dma_stats(d, &st);
	CHECK_EQ(st.read_bytes, rd);
	CHECK_EQ(st.write_bytes, wr_);
}

/*
 * The DMA byte counts: each access that succeeded, by direction and
 * function, the copy engine's too; nothing for an access that faulted, met
 * a frozen PE, was refused or could not allocate its plan; a reset keeps them.
 */
static void dma_bytes_counted(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine_config c = { .ctx = ctx };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d, *other;
	uint64_t put[9] = { LIOBN0 };
	static uint8_t buf[20 << 12];
	unsigned i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:02.0", &other) == 0);
	map_two(m);
	for (i = 0; i < 20; i++) { /* bus 0x10000 + 80 KiB: READ of RAM_B + 1 MiB */
		put[1] = 0x10000 + ((uint64_t)i << 12);
		put[2] = (RAM_B + (1u << 20) + ((uint64_t)i << 12)) | TCE_PCI_READ;
		CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, put), TCE_H_SUCCESS);
	}
	dma_stats_are(d, 0, 0);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, buf, 100), 0);
	CHECK_RC(tce_dev_dma_write(d, 0x2000, buf, 50), 0);
	dma_stats_are(d, 100, 50);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, buf, 0), -EINVAL);
	/* All or nothing: the second page of this read is WRITE-only. */
	CHECK_RC(tce_dev_dma_read(d, 0x1f00, buf, 512), -EFAULT);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, buf, 8), -EIO); /* frozen by that fault */
	dma_stats_are(d, 100, 50);
	tce_dev_eeh_thaw(d);
	tce_ctx_set_fail_nth(ctx, 1); /* 20 pages: the plan is allocated */
	CHECK_RC(tce_dev_dma_read(d, 0x10000, buf, sizeof(buf)), -ENOMEM);
	tce_ctx_set_fail_nth(ctx, 0);
	dma_stats_are(d, 100, 50);
	CHECK_RC(tce_dev_dma_read(d, 0x10000, buf, sizeof(buf)), 0);
	dma_stats_are(d, 100 + sizeof(buf), 50);
	/* The copy engine: a read and a write of LEN each. */
	wcfg(d, TCE_PCI_COMMAND, 2, MEM_CMD);
	program(d, 0x1000, 0x2000, 64);
	wr(d, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	CHECK_EQ(reg(d, TCE_DT_REG_STATUS, 4), TCE_DT_STATUS_DONE);
	dma_stats_are(d, 164 + sizeof(buf), 114);
	CHECK_RC(tce_dev_reset(d), 0);
	dma_stats_are(d, 164 + sizeof(buf), 114);
	dma_stats_are(other, 0, 0);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(config_fields),
	TT_CASE(bar_registers),
	TT_CASE(bus_master_gates_dma),
	TT_CASE(master_abort_freezes),
	TT_CASE(async_copy_raises_msix),
	TT_CASE(masked_vector_sets_pba),
	TT_CASE(doorbell_through_mapping),
	TT_CASE(function_level_reset),
	TT_CASE(reset_waits_for_copy_in_flight),
	TT_CASE(replacing_the_handler_waits),
	TT_CASE(fail_nth_thread_start),
	TT_CASE(fail_nth_doorbell_copy),
	TT_CASE(copy_engine_buffers),
	TT_CASE(copy_engine_plans_fail),
	TT_CASE(copy_engine_faults),
	TT_CASE(multi_page_dma_counts_each_page),
	TT_CASE(dma_bytes_counted),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
