/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hardware model through <tce.h>: the permission matrix of device reads
 * and writes, PE isolation, EEH freezing and thawing, DMA split across
 * IOMMU pages and all or nothing, the powernv TCE cache that only a kill
 * refreshes, firmware window programming, and the DMA-test device (config
 * space, BAR0, copy engine).
 */
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

#define LIOBN0 0x80000000ULL
#define RAM_A 0x200000ULL
#define RAM_B 0x300000ULL

struct rig {
	struct tce_machine *m;
	struct tce_pci_dev *a, *b;
};

static int rig(struct rig *r, enum tce_platform p)
{
	int rc = tce_machine_create_default(p, &r->m);

	if (!rc)
		rc = tce_machine_find_device(r->m, "0000:00:01.0", &r->a);
	if (!rc)
		rc = tce_machine_find_device(r->m, "0000:00:02.0", &r->b);
	return rc;
}

static long put(struct rig *r, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	uint64_t args[9] = { liobn, ioba, tce };

	return tce_hv_hcall(r->m, TCE_H_PUT_TCE, args);
}

static uint8_t *ram(struct rig *r, uint64_t real, size_t len)
{
	return tce_machine_ram_ptr(r->m, real, len);
}

/* READ-only, WRITE-only and no permission, against device read and write. */
static void permission_matrix(void)
{
	static const struct { uint64_t perm; int read, write; } cases[] = {
		{ TCE_PCI_READ, 0, -EFAULT },
		{ TCE_PCI_WRITE, -EFAULT, 0 },
		{ TCE_PCI_READ | TCE_PCI_WRITE, 0, 0 },
		{ 0, -EFAULT, -EFAULT },
	};
	struct tce_fault f;
	struct rig r;
	uint8_t buf[16] = { 0 };
	unsigned i;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(put(&r, LIOBN0, 0x4000, RAM_A | cases[i].perm), TCE_H_SUCCESS);
		CHECK_RC(tce_dev_dma_read(r.a, 0x4010, buf, 8), cases[i].read);
		if (cases[i].read) {
			CHECK(tce_dev_eeh_frozen(r.a, &f));
			/* RAM_A without R/W is a poison value, stored as written (DECISIONS 22). */
			CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
			CHECK_EQ(f.bus_addr, 0x4010);
			CHECK(!f.write);
			CHECK(!strcmp(f.device, "0000:00:01.0"));
			tce_dev_eeh_thaw(r.a);
		}
		CHECK_RC(tce_dev_dma_write(r.a, 0x4010, buf, 8), cases[i].write);
		if (cases[i].write) {
			CHECK(tce_dev_eeh_frozen(r.a, &f));
			CHECK(f.write);
			tce_dev_eeh_thaw(r.a);
		}
		CHECK(!tce_dev_eeh_frozen(r.a, NULL));
	}
	tce_machine_destroy(r.m);
}

static void frozen_pe_refuses_dma(void)
{
	struct tce_fault f;
	struct rig r;
	uint8_t buf[8];

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	CHECK_EQ(put(&r, LIOBN0, 0x4000, RAM_A | 3), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(r.a, 0x9000, buf, 8), -EFAULT); /* no TCE */
	CHECK_RC(tce_dev_dma_read(r.a, 0x4000, buf, 8), -EIO);    /* frozen */
	CHECK_RC(tce_dev_dma_read(r.a, 1ULL << 40, buf, 8), -EIO);
	CHECK(tce_dev_eeh_frozen(r.a, &f));
	CHECK_EQ(f.bus_addr, 0x9000); /* the first fault is kept */
	tce_dev_eeh_thaw(r.a);
	CHECK_RC(tce_dev_dma_read(r.a, 0x4000, buf, 8), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 1ULL << 40, buf, 8), -EFAULT);
	CHECK(tce_dev_eeh_frozen(r.a, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_WINDOW);
	tce_dev_eeh_thaw(r.a);
	CHECK_RC(tce_dev_dma_read(r.a, 0x4000, buf, 0), -EINVAL);
	CHECK_RC(tce_dev_dma_read(r.a, ~0ULL - 2, buf, 8), -EINVAL);
	tce_machine_destroy(r.m);
}

/* A device of PE B never reaches PE A's mappings. */
static void pe_isolation(void)
{
	struct tce_fault f;
	struct rig r;
	uint8_t buf[8];

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	CHECK_EQ(put(&r, LIOBN0, 0x4000, RAM_A | 3), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(r.a, 0x4000, buf, 8), 0);
	CHECK_RC(tce_dev_dma_read(r.b, 0x4000, buf, 8), -EFAULT);
	CHECK(tce_dev_eeh_frozen(r.b, &f));
	CHECK(!strcmp(f.device, "0000:00:02.0"));
	CHECK(!tce_dev_eeh_frozen(r.a, NULL)); /* PE A is not touched */
	CHECK_RC(tce_dev_dma_read(r.a, 0x4000, buf, 8), 0);
	tce_machine_destroy(r.m);
}

/* DMA across pages lands in each page's real memory; a hole refuses it all. */
static void split_and_all_or_nothing(void)
{
	struct rig r;
	uint8_t src[3 * 4096], *a, *b;
	size_t i;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7);
	CHECK_EQ(put(&r, LIOBN0, 0x10000, RAM_A | 3), TCE_H_SUCCESS);
	CHECK_EQ(put(&r, LIOBN0, 0x11000, RAM_B | 3), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_write(r.a, 0x10800, src, 4096), 0);
	a = ram(&r, RAM_A, 4096);
	b = ram(&r, RAM_B, 4096);
	CHECK(!memcmp(a + 0x800, src, 0x800));
	CHECK(!memcmp(b, src + 0x800, 0x800));
	/* The third page is not mapped: nothing of the first two changes. */
	memset(a, 0, 4096);
	CHECK_RC(tce_dev_dma_write(r.a, 0x10000, src, sizeof(src)), -EFAULT);
	for (i = 0; i < 4096; i++)
		if (a[i])
			break;
	CHECK_EQ(i, 4096);
	tce_machine_destroy(r.m);
}

/* powernv: the OS owns the table; a change is seen only after a kill. */
static void tce_cache_staleness(void)
{
	struct tce_table_config cfg = { .window_size = 1ULL << 30, .page_shift = 12, .levels = 2 };
	struct tce_cache_stats st;
	struct tce_table *t;
	struct rig r;
	uint8_t buf[4];

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	REQUIRE(tce_table_create(tce_machine_ctx(r.m), &cfg, &t) == 0);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t), 0);
	memcpy(ram(&r, RAM_A, 4), "AAAA", 4);
	memcpy(ram(&r, RAM_B, 4), "BBBB", 4);
	CHECK_RC(tce_table_set(t, 5, 1, RAM_A, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), 0);
	CHECK(!memcmp(buf, "AAAA", 4));
	CHECK_RC(tce_table_set(t, 5, 1, RAM_B, TCE_DIR_TO_DEVICE), 0); /* no kill */
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), 0);
	CHECK(!memcmp(buf, "AAAA", 4)); /* the stale translation */
	tce_dev_cache_stats(r.a, &st);
	CHECK_EQ(st.hits, 1);
	CHECK_EQ(st.misses, 1);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 12, 0x4000, 1), 0); /* the page before: no effect */
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), 0);
	CHECK(!memcmp(buf, "AAAA", 4));
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 12, 0x5000, 1), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), 0);
	CHECK(!memcmp(buf, "BBBB", 4));
	/* Clearing without a kill keeps DMA working; the PE kill ends it. */
	CHECK_RC(tce_table_clear(t, 5, 1), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), 0);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 0, 0, 0), 0);
	CHECK_RC(tce_dev_dma_read(r.a, 0x5000, buf, 4), -EFAULT);
	tce_dev_cache_stats(r.a, &st);
	CHECK(st.kills >= 3);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, NULL), 0);
	tce_table_put(t);
	tce_machine_destroy(r.m);
}

static void powernv_windows(void)
{
	struct tce_table_config c0 = { .window_size = 1ULL << 30, .page_shift = 16, .levels = 2 };
	struct tce_table_config c1 = { .bus_offset = 1ULL << 59, .window_size = 1ULL << 40,
				       .page_shift = 21, .levels = 2 };
	struct tce_table_config c34 = { .window_size = 1ULL << 40, .page_shift = 34, .levels = 1 };
	struct tce_table *t0, *t1, *t34;
	struct rig r;
	uint8_t buf[4];

	REQUIRE(rig(&r, TCE_PLATFORM_POWERNV) == 0);
	REQUIRE(tce_table_create(tce_machine_ctx(r.m), &c0, &t0) == 0);
	REQUIRE(tce_table_create(tce_machine_ctx(r.m), &c1, &t1) == 0);
	REQUIRE(tce_table_create(tce_machine_ctx(r.m), &c34, &t34) == 0);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 1, t0), -EINVAL);   /* slot 1 is at 2^59 */
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t1), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t34), -EINVAL);  /* 16 GiB pages unsupported */
	CHECK_RC(tce_fw_map_window(r.m, 0, 1, 1, t1), -EINVAL);   /* the VF has one slot */
	CHECK_RC(tce_fw_map_window(r.m, 0, 7, 0, t0), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 1, 0, 0, t0), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t0), 0);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 1, t1), 0);
	CHECK_RC(tce_table_set(t1, ((1ULL << 59) >> 21) + 3, 1, RAM_A & ~0x1fffffULL,
			       TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_dev_dma_read(r.a, (1ULL << 59) + 3 * (2 << 20) + 0x100, buf, 4), 0);
	CHECK_RC(tce_dev_dma_read(r.b, (1ULL << 59) + 3 * (2 << 20) + 0x100, buf, 4), -EFAULT);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 11, 0, 1), -EINVAL);
	tce_table_put(t0);
	tce_table_put(t1);
	tce_table_put(t34);
	tce_machine_destroy(r.m); /* drops the slots' references */
}

static uint32_t cfg_read(struct tce_pci_dev *d, uint32_t off, unsigned size)
{
	uint32_t v = 0xdeadbeef;

	CHECK_RC(tce_dev_config_read(d, off, size, &v), 0);
	return v;
}

static void dma_test_config_space(void)
{
	struct rig r;
	uint32_t v;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	CHECK_EQ(cfg_read(r.a, TCE_PCI_VENDOR_ID, 2), 0x7ce5);
	CHECK_EQ(cfg_read(r.a, TCE_PCI_DEVICE_ID, 2), 0x0001);
	CHECK(cfg_read(r.a, TCE_PCI_STATUS, 2) & TCE_PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_read(r.a, TCE_PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK_EQ(cfg_read(r.a, 0x40, 1), TCE_PCI_CAP_ID_EXP);
	CHECK_EQ(cfg_read(r.a, 0x41, 1), 0x80); /* then MSI-X, the last */
	CHECK_EQ(cfg_read(r.a, 0x80, 1), TCE_PCI_CAP_ID_MSIX);
	CHECK_EQ(cfg_read(r.a, 0x81, 1), 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_BASE_ADDRESS_0, 4, 0xffffffff), 0);
	CHECK_EQ(cfg_read(r.a, TCE_PCI_BASE_ADDRESS_0, 4), 0xffff0004); /* 64 KiB, 64-bit memory */
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_VENDOR_ID, 2, 0x1234), 0);
	CHECK_EQ(cfg_read(r.a, TCE_PCI_VENDOR_ID, 2), 0x7ce5); /* read-only */
	CHECK_RC(tce_dev_config_read(r.a, 4095, 2, &v), -EINVAL);
	CHECK_RC(tce_dev_config_read(r.a, 4096, 1, &v), -EINVAL);
	CHECK_RC(tce_dev_config_read(r.a, 2, 4, &v), -EINVAL);
	CHECK_RC(tce_dev_config_read(r.a, 0, 3, &v), -EINVAL);
	tce_machine_destroy(r.m);
}

static uint64_t bar(struct tce_pci_dev *d, uint64_t off)
{
	uint64_t v = ~0ULL;

	CHECK_RC(tce_dev_bar_read(d, 0, off, 8, &v), 0);
	return v;
}

static uint64_t bar32(struct tce_pci_dev *d, uint64_t off)
{
	uint64_t v = ~0ULL;

	CHECK_RC(tce_dev_bar_read(d, 0, off, 4, &v), 0);
	return v;
}

static void dma_test_copy_engine(void)
{
	struct rig r;
	uint64_t v;

	REQUIRE(rig(&r, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY), 0);
	CHECK_EQ(bar32(r.a, TCE_DT_REG_ID), TCE_DT_ID_MAGIC);
	memcpy(ram(&r, RAM_A, 8), "payload!", 8);
	CHECK_EQ(put(&r, LIOBN0, 0x1000, RAM_A | 1), TCE_H_SUCCESS); /* the device reads it */
	CHECK_EQ(put(&r, LIOBN0, 0x2000, RAM_B | 2), TCE_H_SUCCESS); /* and writes here */
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_SRC, 8, 0x1000), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_DST, 8, 0x2000), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_LEN, 4, 8), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY), 0);
	CHECK_EQ(bar32(r.a, TCE_DT_REG_STATUS), TCE_DT_STATUS_ERROR); /* no bus mastering yet */
	CHECK(!memcmp(ram(&r, RAM_B, 8), "\0\0\0\0\0\0\0\0", 8));
	CHECK_RC(tce_dev_config_write(r.a, TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY), 0);
	CHECK_EQ(bar32(r.a, TCE_DT_REG_STATUS), TCE_DT_STATUS_DONE);
	CHECK_EQ(bar(r.a, TCE_DT_REG_CMD) >> 32, TCE_DT_STATUS_DONE); /* CMD reads 0, STATUS above */
	CHECK(!memcmp(ram(&r, RAM_B, 8), "payload!", 8));
	/* Copying the other way needs WRITE on 0x1000: a fault freezes the PE. */
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_SRC, 8, 0x2000), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_DST, 8, 0x1000), 0);
	CHECK_RC(tce_dev_bar_write(r.a, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY), 0);
	CHECK(tce_dev_eeh_frozen(r.a, NULL));
	CHECK_EQ(bar32(r.a, TCE_DT_REG_STATUS), 0xffffffff); /* MMIO is frozen too */
	tce_dev_eeh_thaw(r.a);
	CHECK_EQ(bar32(r.a, TCE_DT_REG_STATUS), TCE_DT_STATUS_ERROR);
	CHECK_EQ(bar(r.a, TCE_DT_REG_FAULT), 0x2000); /* reading a write-only TCE faulted first */
	CHECK_RC(tce_dev_bar_read(r.a, 1, 0, 8, &v), -EINVAL);
	CHECK_RC(tce_dev_bar_read(r.a, 0, TCE_DT_BAR0_SIZE, 4, &v), -EINVAL);
	CHECK_RC(tce_dev_bar_write(r.a, 0, 3, 4, 0), -EINVAL);
	tce_machine_destroy(r.m);
}

static const struct tt_case cases[] = {
	TT_CASE(permission_matrix),
	TT_CASE(frozen_pe_refuses_dma),
	TT_CASE(pe_isolation),
	TT_CASE(split_and_all_or_nothing),
	TT_CASE(tce_cache_staleness),
	TT_CASE(powernv_windows),
	TT_CASE(dma_test_config_space),
	TT_CASE(dma_test_copy_engine),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
