/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's real address space as a set of regions: the rules and
 * errors of add, remove and find; identity regions over the test's own
 * malloc'ed buffers reached by device DMA on powernv and pseries; callback
 * regions (a VMM's guest RAM); a real address in no region refused by the
 * hypervisor and faulting device DMA without touching memory; DMA across two
 * adjacent regions; removal while another thread DMAs; fail-Nth over add.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define GiB (1ULL << 30)
#define RAM_SIZE (4 * GiB) /* the built-in machines */
#define LIOBN0 0x80000000ULL
#define LIOBN1 0x80000001ULL
#define RW (TCE_PCI_READ | TCE_PCI_WRITE)
#define BUF_SIZE (64 * 1024)

/* ---- helpers ---- */

/* A callback region's memory: @size bytes at @host behind real @real_start. */
struct backing {
	uint64_t real_start;
	uint8_t *host;
	size_t size;
};

static void *backing_mem(void *arg, uint64_t real, size_t len)
{
	struct backing *b = arg;
	uint64_t off = real - b->real_start;

	if (real < b->real_start || off > b->size || len > b->size - off)
		return NULL;
	return b->host + off;
}

static struct tce_mem_region cb_region(struct backing *b, uint32_t page_shift)
{
	return (struct tce_mem_region){ .real_start = b->real_start, .size = b->size,
					.page_shift = page_shift, .mem = backing_mem, .mem_arg = b };
}

/* A caller region without memory behind it (lookups only). */
static struct tce_mem_region plain(uint64_t start, uint64_t size, uint32_t shift)
{
	static struct backing none;

	return (struct tce_mem_region){ .real_start = start, .size = size, .page_shift = shift,
					.mem = backing_mem, .mem_arg = &none };
}

/*
 * A 64 KiB-aligned buffer filled with @fill, above the built-in RAM's real
 * range (else it would overlap the machine's RAM); NULL and a failure if not.
 */
static uint8_t *identity_buffer(size_t size, int fill)
{
	uint8_t *p = aligned_alloc(BUF_SIZE, size);

	if (!p || (uintptr_t)p < RAM_SIZE) {
		tt_fail(__FILE__, __LINE__, "no buffer above 4 GiB");
		free(p);
		return NULL;
	}
	memset(p, fill, size);
	return p;
}

static struct tce_mem_region identity(void *p, size_t size)
{
	return (struct tce_mem_region){ .real_start = (uintptr_t)p, .size = size, .page_shift = 12 };
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static struct tce_pci_dev *dev(struct tce_machine *m)
{
	struct tce_pci_dev *d = NULL;

	CHECK_RC(tce_machine_find_device(m, "0000:00:01.0", &d), 0);
	return d;
}

static long put_tce(struct tce_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	uint64_t args[9] = { liobn, ioba, tce };

	return tce_hv_hcall(m, TCE_H_PUT_TCE, args);
}

static uint64_t get_tce(struct tce_machine *m, uint64_t liobn, uint64_t ioba)
{
	uint64_t args[9] = { liobn, ioba };

	CHECK_EQ(tce_hv_hcall(m, TCE_H_GET_TCE, args), TCE_H_SUCCESS);
	return args[0];
}

/* A device DMA that must fault with @why, freezing the PE; thawed again. */
static void expect_fault(struct tce_pci_dev *d, int rc, enum tce_fault_reason why)
{
	struct tce_fault f;

	CHECK_RC(rc, -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, why);
	tce_dev_eeh_thaw(d);
}

/* powernv: a 1 GiB window of 2^@shift pages in slot 0 of PE 0. */
static struct tce_table *pnv_window(struct tce_machine *m, uint32_t shift)
{
	struct tce_table_config cfg = { .window_size = GiB, .page_shift = shift, .levels = 2 };
	struct tce_table *t = NULL;

	CHECK_RC(tce_table_create(tce_machine_ctx(m), &cfg, &t), 0);
	if (t)
		CHECK_RC(tce_fw_map_window(m, 0, 0, 0, t), 0);
	return t;
}

static void pnv_unmap(struct tce_machine *m, struct tce_table *t)
{
	CHECK_RC(tce_fw_map_window(m, 0, 0, 0, NULL), 0);
	tce_table_put(t);
}

/* ---- add, remove, find ---- */

static void field_errors(void)
{
	struct tce_machine *m = NULL;
	struct tce_mem_region r = plain(8 * GiB, 2ULL << 20, 21);

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	CHECK_RC(tce_machine_add_region(m, NULL), -EINVAL);
	r.page_shift = 11;
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL);
	r.page_shift = 35;
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL);
	r = plain(8 * GiB, 0, 12);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* empty */
	r = plain(8 * GiB, 4096 + 512, 12);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* not whole pages */
	r = plain(8 * GiB, 4096, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* smaller than its page */
	r = plain(8 * GiB + 4096, 2ULL << 20, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* start not on a 2 MiB page */
	r = plain(0ULL - (2ULL << 20), 4ULL << 20, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* wraps */
	r = plain(0ULL - 4096, 4096, 12);
	CHECK_RC(tce_machine_add_region(m, &r), -EINVAL); /* would end at 2^64 */
	r = plain(1ULL << 63, 1ULL << 34, 34);
	CHECK_RC(tce_machine_add_region(m, &r), 0);       /* 16 GiB pages are allowed */
	CHECK_RC(tce_machine_find_region(m, (1ULL << 63) + 5, &r), 0);
	CHECK_EQ(r.page_shift, 34);
	tce_machine_destroy(m);
}

static void overlaps(void)
{
	struct tce_machine *m = NULL;
	struct tce_machine_info mi;
	struct tce_mem_region r, got;
	uint64_t a = 16 * GiB, mib2 = 2ULL << 20;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	r = plain(0, mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* RAM */
	r = plain(RAM_SIZE - mib2, 2 * mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* RAM's last page */
	r = plain(RAM_SIZE, mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), 0);                 /* right after RAM */
	r = plain(a, 4 * mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), 0);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* the same again */
	r = plain(a + mib2, mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* inside */
	r = plain(a - mib2, 2 * mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* over its start */
	r = plain(a + 3 * mib2, 2 * mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* over its end */
	r = plain(a - mib2, 6 * mib2, 21);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* around it */
	r = plain(a + 4 * mib2 - 4096, 4096, 12);
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY);            /* its last 4 KiB */
	r = plain(a - 4096, 4096, 12);
	CHECK_RC(tce_machine_add_region(m, &r), 0);                 /* adjacent below */
	r = plain(a + 4 * mib2, 4096, 12);
	CHECK_RC(tce_machine_add_region(m, &r), 0);                 /* adjacent above */
	tce_machine_info(m, &mi);
	CHECK_EQ(mi.nregions, 4); /* the refused adds changed nothing */
	CHECK_RC(tce_machine_find_region(m, a + 4 * mib2 - 1, &got), 0);
	CHECK_EQ(got.real_start, a);
	CHECK_EQ(got.size, 4 * mib2);
	CHECK_RC(tce_machine_find_region(m, a - 1, &got), 0);
	CHECK_EQ(got.real_start, a - 4096);
	CHECK_EQ(got.page_shift, 12);
	tce_machine_destroy(m);
}

/* find reports RAM and each region with its page size; remove needs the exact range. */
static void find_and_remove(void)
{
	struct tce_machine *m = NULL;
	struct tce_machine_info mi;
	struct backing b = { .real_start = 8 * GiB, .size = 4ULL << 20 };
	struct tce_mem_region r, got;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	b.host = calloc(1, b.size);
	REQUIRE(b.host);
	tce_machine_info(m, &mi);
	CHECK(mi.own_ram);
	CHECK_EQ(mi.nregions, 0);
	CHECK_RC(tce_machine_find_region(m, 0, &got), 0);
	CHECK_EQ(got.real_start, 0);
	CHECK_EQ(got.size, RAM_SIZE);
	CHECK_EQ(got.page_shift, 12);
	REQUIRE(got.mem);
	CHECK(got.mem(got.mem_arg, 0x1000, 8) == tce_machine_ram_ptr(m, 0x1000, 8));
	CHECK_RC(tce_machine_find_region(m, RAM_SIZE - 1, &got), 0);
	CHECK_RC(tce_machine_find_region(m, RAM_SIZE, &got), -ENOENT);
	CHECK_RC(tce_machine_find_region(m, ~0ULL, &got), -ENOENT);

	r = cb_region(&b, 21); /* a hugetlb-backed client: 2 MiB pages */
	CHECK_RC(tce_machine_add_region(m, &r), 0);
	CHECK_RC(tce_machine_find_region(m, 8 * GiB + 12345, &got), 0);
	CHECK_EQ(got.real_start, 8 * GiB);
	CHECK_EQ(got.size, 4ULL << 20);
	CHECK_EQ(got.page_shift, 21);
	CHECK(got.mem == backing_mem && got.mem_arg == &b);
	CHECK_RC(tce_machine_find_region(m, 8 * GiB + (4ULL << 20), &got), -ENOENT);
	CHECK_RC(tce_machine_find_region(m, 8 * GiB - 1, &got), -ENOENT);
	CHECK(tce_machine_ram_ptr(m, 8 * GiB + 100, 8) == b.host + 100);
	CHECK(tce_machine_ram_ptr(m, 8 * GiB + b.size - 4, 8) == NULL); /* leaves the region */
	CHECK(tce_machine_ram_ptr(m, RAM_SIZE + 4096, 8) == NULL);      /* in no region */
	tce_machine_info(m, &mi);
	CHECK_EQ(mi.nregions, 1);

	CHECK_RC(tce_machine_remove_region(m, 8 * GiB, 2ULL << 20), -ENOENT);     /* part */
	CHECK_RC(tce_machine_remove_region(m, 8 * GiB + 4096, 4ULL << 20), -ENOENT);
	CHECK_RC(tce_machine_remove_region(m, 0, RAM_SIZE), -ENOENT);             /* RAM */
	CHECK_RC(tce_machine_find_region(m, 8 * GiB, &got), 0); /* still there */
	CHECK_RC(tce_machine_remove_region(m, 8 * GiB, 4ULL << 20), 0);
	CHECK_RC(tce_machine_remove_region(m, 8 * GiB, 4ULL << 20), -ENOENT);
	CHECK_RC(tce_machine_find_region(m, 8 * GiB, &got), -ENOENT);
	CHECK(tce_machine_ram_ptr(m, 8 * GiB + 100, 8) == NULL);
	tce_machine_destroy(m);
	free(b.host);
}

/* At most TCE_MAX_MEM_REGIONS caller regions; lookups find each of them. */
static void region_limit(void)
{
	struct tce_machine *m = NULL;
	struct tce_mem_region r, got;
	uint64_t i, base = 1ULL << 40;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	/* Added in an order that is not sorted: odd slots first, then even. */
	for (i = 0; i < TCE_MAX_MEM_REGIONS; i++) {
		uint64_t slot = i < TCE_MAX_MEM_REGIONS / 2 ? 2 * i + 1 : 2 * (i - TCE_MAX_MEM_REGIONS / 2);

		r = plain(base + slot * GiB, (slot + 1) << 12, 12);
		CHECK_RC(tce_machine_add_region(m, &r), 0);
	}
	r = plain(base + 100 * GiB, 4096, 12);
	CHECK_RC(tce_machine_add_region(m, &r), -ENOSPC);
	for (i = 0; i < TCE_MAX_MEM_REGIONS; i++) {
		CHECK_RC(tce_machine_find_region(m, base + i * GiB + (i << 12), &got), 0);
		CHECK_EQ(got.real_start, base + i * GiB);
		CHECK_RC(tce_machine_find_region(m, base + i * GiB + ((i + 1) << 12), &got), -ENOENT);
	}
	CHECK_RC(tce_machine_remove_region(m, base + 7 * GiB, 8 << 12), 0);
	CHECK_RC(tce_machine_add_region(m, &r), 0); /* room again */
	CHECK_RC(tce_machine_find_region(m, base + 7 * GiB, &got), -ENOENT);
	CHECK_RC(tce_machine_find_region(m, base + 8 * GiB, &got), 0);
	tce_machine_destroy(m);
}

/* ---- identity regions and device DMA ---- */

/* powernv: TCEs to the test's own buffer; DMA lands in it and reads from it. */
static void identity_powernv(void)
{
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	struct tce_table *t;
	uint8_t *buf = identity_buffer(BUF_SIZE, 0), in[6000], out[6000];
	uint64_t real = (uintptr_t)buf;
	struct tce_mem_region r = identity(buf, BUF_SIZE);
	size_t i;

	REQUIRE(buf && tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	d = dev(m);
	t = pnv_window(m, 12);
	REQUIRE(d && t);
	CHECK_RC(tce_machine_add_region(m, &r), 0);
	CHECK_RC(tce_table_set(t, 0x10, 2, real + 0x3000, TCE_DIR_BIDIRECTIONAL), 0);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 13 + 1);
	/* 6000 bytes from bus 0x10100: two IOMMU pages of the caller's buffer. */
	CHECK_RC(tce_dev_dma_write(d, 0x10100, in, sizeof(in)), 0);
	CHECK(!memcmp(buf + 0x3100, in, sizeof(in)));
	CHECK(all_bytes(buf, 0x3100, 0));
	memset(buf + 0x3100, 0x5a, 100);
	CHECK_RC(tce_dev_dma_read(d, 0x10100, out, sizeof(out)), 0);
	CHECK(all_bytes(out, 100, 0x5a));
	CHECK(!memcmp(out + 100, in + 100, sizeof(out) - 100));
	CHECK(tce_machine_ram_ptr(m, real + 10, 4) == buf + 10);
	pnv_unmap(m, t);
	tce_machine_destroy(m);
	free(buf);
}

/* powernv: a TCE to a real address in no region faults; nothing is copied. */
static void no_region_powernv(void)
{
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	struct tce_table *t;
	uint8_t *buf = identity_buffer(BUF_SIZE, 0x11), data[8192];
	uint64_t real = (uintptr_t)buf;
	struct tce_mem_region r = identity(buf, BUF_SIZE / 2);
	struct tce_fault f;

	REQUIRE(buf && tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	d = dev(m);
	t = pnv_window(m, 12);
	REQUIRE(d && t);
	memset(data, 0xee, sizeof(data));
	/* The buffer is not a region yet: its address is no memory of the machine. */
	CHECK_RC(tce_table_set(t, 0x20, 1, real, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_dev_dma_write(d, 0x20000, data, 16), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_BAD_REAL);
	CHECK_EQ(f.bus_addr, 0x20000);
	CHECK(f.write);
	CHECK_RC(tce_dev_dma_write(d, 0x20000, data, 16), -EIO); /* frozen */
	tce_dev_eeh_thaw(d);
	CHECK(all_bytes(buf, BUF_SIZE, 0x11));
	/* Only the first half is a region: a DMA into both halves is refused whole. */
	CHECK_RC(tce_machine_add_region(m, &r), 0);
	CHECK_RC(tce_table_set(t, 0x30, 2, real + BUF_SIZE / 2 - 4096, TCE_DIR_BIDIRECTIONAL), 0);
	expect_fault(d, tce_dev_dma_write(d, 0x30000, data, 8192), TCE_FAULT_BAD_REAL);
	expect_fault(d, tce_dev_dma_read(d, 0x30000, data, 8192), TCE_FAULT_BAD_REAL);
	CHECK(all_bytes(buf, BUF_SIZE, 0x11));
	CHECK(all_bytes(data, sizeof(data), 0xee));
	CHECK_RC(tce_dev_dma_write(d, 0x30000, data, 4096), 0); /* the half inside works */
	CHECK(all_bytes(buf + BUF_SIZE / 2 - 4096, 4096, 0xee));
	/* Removed: the TCE still points there, but DMA faults and touches nothing. */
	memset(buf, 0x11, BUF_SIZE);
	CHECK_RC(tce_machine_remove_region(m, real, BUF_SIZE / 2), 0);
	expect_fault(d, tce_dev_dma_write(d, 0x30000, data, 4096), TCE_FAULT_BAD_REAL);
	CHECK(all_bytes(buf, BUF_SIZE, 0x11));
	pnv_unmap(m, t);
	tce_machine_destroy(m);
	free(buf);
}

/* pseries: the hypervisor accepts TCEs into an identity region, and only there. */
static void identity_pseries(void)
{
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	uint8_t *buf = identity_buffer(BUF_SIZE, 0);
	uint64_t real = (uintptr_t)buf, *list, args[9];
	struct tce_mem_region r = identity(buf, BUF_SIZE);
	char got[16] = { 0 };
	struct tce_dev_map *map;
	void *p;

	REQUIRE(buf && tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	d = dev(m);
	REQUIRE(d);
	CHECK_EQ(put_tce(m, LIOBN0, 0x4000, real | RW), TCE_H_PARAMETER); /* not a region yet */
	CHECK_EQ(get_tce(m, LIOBN0, 0x4000), 0);
	CHECK_RC(tce_machine_add_region(m, &r), 0);
	CHECK_EQ(put_tce(m, LIOBN0, 0x4000, (real + 0x2000) | RW), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_write(d, 0x4010, "through the TCE", 16), 0);
	CHECK(!strcmp((char *)buf + 0x2010, "through the TCE"));
	CHECK_RC(tce_dev_dma_read(d, 0x4010, got, 16), 0);
	CHECK(!strcmp(got, "through the TCE"));
	/* A translate-once map refuses a caller region and keeps no lock (removal must not wait). */
	CHECK_RC(tce_dev_dma_map(d, 0x4010, 16, false, &p, &map), -EOPNOTSUPP);
	/* In no region: just past the buffer, and far above everything. */
	CHECK_EQ(put_tce(m, LIOBN0, 0x5000, (real + BUF_SIZE) | RW), TCE_H_PARAMETER);
	CHECK_EQ(put_tce(m, LIOBN0, 0x5000, (1ULL << 50) | RW), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x5000), 0);
	CHECK_EQ(put_tce(m, LIOBN0, 0x5000, real + BUF_SIZE), TCE_H_SUCCESS); /* a clear is fine */

	/* H_PUT_TCE_INDIRECT reads its list from the region; a bad entry refuses all. */
	list = (uint64_t *)(buf + 0x8000);
	list[0] = htobe64((real + 0x3000) | RW);
	list[1] = htobe64((real + BUF_SIZE) | RW);
	args[0] = LIOBN0, args[1] = 0x10000, args[2] = real + 0x8000, args[3] = 2;
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, args), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000), 0);
	list[1] = htobe64((real + 0x4000) | RW);
	args[0] = LIOBN0, args[1] = 0x10000, args[2] = real + 0x8000, args[3] = 2;
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, args), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0x11000), (real + 0x4000) | RW);
	args[0] = LIOBN0, args[1] = 0x10000, args[2] = real + BUF_SIZE, args[3] = 2;
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, args), TCE_H_PARAMETER); /* list in no region */

	/* After removal the stored TCE faults the device; new ones are refused. */
	memset(buf, 0, BUF_SIZE);
	CHECK_RC(tce_machine_remove_region(m, real, BUF_SIZE), 0);
	expect_fault(d, tce_dev_dma_write(d, 0x4010, "x", 1), TCE_FAULT_BAD_REAL);
	CHECK(all_bytes(buf, BUF_SIZE, 0));
	CHECK_EQ(put_tce(m, LIOBN0, 0x4000, real | RW), TCE_H_PARAMETER);
	tce_machine_destroy(m);
	free(buf);
}

/* ---- callback regions ---- */

/* A VMM's machine: its callback backs RAM, another backs a region above it. */
static void vmm_callbacks(void)
{
	uint8_t *guest = calloc(1, 1 << 20), *high = calloc(1, 1 << 16);
	struct backing ram = { .real_start = 0, .host = guest, .size = 1 << 20 };
	struct backing hi = { .real_start = 6 * GiB, .host = high, .size = 1 << 16 };
	struct tce_machine_config cfg = { .mem = backing_mem, .mem_arg = &ram };
	struct tce_machine *ref = NULL, *m = NULL;
	struct tce_mem_region r = cb_region(&hi, 16), got;
	struct tce_machine_info mi;
	struct tce_pci_dev *d;

	REQUIRE(guest && high);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	cfg.dtb = tce_machine_fdt(ref), cfg.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&cfg, &m) == 0);
	d = dev(m);
	tce_machine_info(m, &mi);
	CHECK(!mi.own_ram);
	CHECK_EQ(mi.ram_size, RAM_SIZE);
	CHECK_RC(tce_machine_find_region(m, 0x1000, &got), 0);
	CHECK(got.mem == backing_mem && got.mem_arg == &ram);
	CHECK_EQ(got.size, RAM_SIZE);
	CHECK(tce_machine_ram_ptr(m, 0x1000, 8) == guest + 0x1000);
	CHECK(tce_machine_ram_ptr(m, 2ULL << 20, 8) == NULL); /* the VMM refuses it */
	r.real_start = 1ULL << 20, r.size = 1ULL << 20;
	CHECK_RC(tce_machine_add_region(m, &r), -EBUSY); /* RAM, even where the VMM has nothing */
	r = cb_region(&hi, 16);
	CHECK_RC(tce_machine_add_region(m, &r), 0);

	CHECK_EQ(put_tce(m, LIOBN0, 0x7000, 0x2000 | RW), TCE_H_SUCCESS);
	CHECK_EQ(put_tce(m, LIOBN0, 0x8000, (6 * GiB + 0x3000) | RW), TCE_H_SUCCESS);
	CHECK_EQ(put_tce(m, LIOBN0, 0x9000, (2ULL << 20) | RW), TCE_H_PARAMETER);
	CHECK_RC(tce_dev_dma_write(d, 0x7ffc, "guestHIGH", 9), 0);
	CHECK(!memcmp(guest + 0x2ffc, "gues", 4));
	CHECK(!memcmp(high + 0x3000, "tHIGH", 5));
	CHECK(all_bytes(high, 0x3000, 0));
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	free(guest);
	free(high);
}

/* One IOMMU page over two adjacent regions with separate memory: split, or refused whole. */
static void adjacent_regions(void)
{
	uint8_t *lo_mem = calloc(1, 1 << 15), *hi_mem = calloc(1, 1 << 15), page[1 << 16];
	struct backing lo = { .real_start = 8 * GiB, .host = lo_mem, .size = 1 << 15 };
	struct backing hi = { .real_start = 8 * GiB + (1 << 15), .host = hi_mem, .size = 1 << 15 };
	struct tce_mem_region rlo = cb_region(&lo, 12), rhi = cb_region(&hi, 15);
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	struct tce_table *t;
	size_t i;

	REQUIRE(lo_mem && hi_mem);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	d = dev(m);
	t = pnv_window(m, 16);
	REQUIRE(d && t);
	CHECK_RC(tce_machine_add_region(m, &rlo), 0);
	CHECK_RC(tce_machine_add_region(m, &rhi), 0);
	CHECK_RC(tce_table_set(t, 3, 1, 8 * GiB, TCE_DIR_BIDIRECTIONAL), 0);
	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i ^ (i >> 8));
	CHECK_RC(tce_dev_dma_write(d, 3 << 16, page, sizeof(page)), 0);
	CHECK(!memcmp(lo_mem, page, 1 << 15));
	CHECK(!memcmp(hi_mem, page + (1 << 15), 1 << 15));
	memset(page, 0, sizeof(page));
	CHECK_RC(tce_dev_dma_read(d, (3 << 16) + 100, page, 1 << 15), 0); /* across the seam */
	CHECK(!memcmp(page, lo_mem + 100, (1 << 15) - 100));
	CHECK(!memcmp(page + (1 << 15) - 100, hi_mem, 100));
	/* Without the upper region, the same DMA faults and neither half is written. */
	CHECK_RC(tce_machine_remove_region(m, hi.real_start, hi.size), 0);
	memset(lo_mem, 0, 1 << 15);
	memset(page, 0x77, sizeof(page));
	expect_fault(d, tce_dev_dma_write(d, 3 << 16, page, sizeof(page)), TCE_FAULT_BAD_REAL);
	CHECK(all_bytes(lo_mem, 1 << 15, 0));
	pnv_unmap(m, t);
	tce_machine_destroy(m);
	free(lo_mem);
	free(hi_mem);
}

/* pseries: a 64 KiB TCE whose page spans two adjacent regions is valid; half of one is not. */
static void adjacent_regions_hcall(void)
{
	struct backing lo = { .real_start = 8 * GiB, .size = 1 << 15 };
	struct backing hi = { .real_start = 8 * GiB + (1 << 15), .size = 1 << 15 };
	struct tce_mem_region rlo = cb_region(&lo, 12), rhi = cb_region(&hi, 12);
	uint32_t a[5] = { 0x800, 0x08000000, 0x20000000, 16, 32 }, ret[4];
	struct tce_machine *m = NULL;
	uint64_t ddw = 1ULL << 59;

	lo.host = calloc(1, lo.size), hi.host = calloc(1, hi.size);
	REQUIRE(lo.host && hi.host);
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_EQ(ret[1], LIOBN1);
	CHECK_RC(tce_machine_add_region(m, &rlo), 0);
	CHECK_EQ(put_tce(m, LIOBN1, ddw, (8 * GiB) | RW), TCE_H_PARAMETER); /* half a page */
	CHECK_RC(tce_machine_add_region(m, &rhi), 0);
	CHECK_EQ(put_tce(m, LIOBN1, ddw, (8 * GiB) | RW), TCE_H_SUCCESS);
	tce_machine_destroy(m);
	free(lo.host);
	free(hi.host);
}

/* ---- concurrency ---- */

struct dma_loop {
	struct tce_pci_dev *d;
	atomic_bool stop;
	atomic_ulong ok, faulted;
};

/* Write through the identity region while it comes and goes; thaw after each fault. */
static void *dma_thread(void *arg)
{
	struct dma_loop *l = arg;
	uint8_t data[8192];

	memset(data, 0xab, sizeof(data));
	while (!atomic_load(&l->stop)) {
		int rc = tce_dev_dma_write(l->d, 0x40000, data, sizeof(data));

		if (!rc) {
			atomic_fetch_add(&l->ok, 1);
			continue;
		}
		atomic_fetch_add(&l->faulted, 1);
		tce_dev_eeh_thaw(l->d);
	}
	return NULL;
}

/*
 * Once tce_machine_remove_region() returns no DMA touches the memory: the
 * test then writes the buffer itself (TSan sees any racing DMA) and checks
 * that no DMA wrote it while the region was away.
 */
static void remove_during_dma(void)
{
	uint8_t *buf = identity_buffer(BUF_SIZE, 0);
	struct tce_mem_region r = identity(buf, BUF_SIZE);
	struct dma_loop l = { 0 };
	struct tce_machine *m = NULL;
	struct tce_table *t;
	pthread_t th;
	unsigned long i, rounds = (unsigned long)(200 * tt_scale()) + 20, seen;

	REQUIRE(buf && tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	l.d = dev(m);
	t = pnv_window(m, 12);
	REQUIRE(l.d && t);
	CHECK_RC(tce_table_set(t, 0x40, 2, (uintptr_t)buf, TCE_DIR_BIDIRECTIONAL), 0);
	REQUIRE(pthread_create(&th, NULL, dma_thread, &l) == 0);
	for (i = 0; i < rounds && !tt_failed(); i++) {
		CHECK_RC(tce_machine_add_region(m, &r), 0);
		seen = atomic_load(&l.ok);
		while (atomic_load(&l.ok) == seen)
			sched_yield();
		CHECK_RC(tce_machine_remove_region(m, r.real_start, r.size), 0);
		memset(buf, 0, 8192);
		seen = atomic_load(&l.faulted);
		while (atomic_load(&l.faulted) < seen + 2)
			sched_yield();
		CHECK(all_bytes(buf, 8192, 0));
	}
	atomic_store(&l.stop, true);
	pthread_join(th, NULL);
	CHECK(atomic_load(&l.ok) >= rounds);
	pnv_unmap(m, t);
	tce_machine_destroy(m);
	free(buf);
}

/* ---- fault injection ---- */

/* Every allocation of an add may fail: -ENOMEM, nothing added, nothing leaked. */
static void add_fail_nth(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine *m = tt_machine(ctx, TCE_PLATFORM_POWERNV);
	struct tce_mem_region r, got;
	struct tce_mem_stats before, after;
	struct tce_machine_info mi;
	uint64_t i, n, points = 0;
	int rc;

	REQUIRE(m);
	/* Five adds: the array is allocated and then grown on the way. */
	for (i = 0; i < 5; i++) {
		r = plain((i + 8) * GiB, 4096, 12);
		for (n = 1; n < 20; n++) {
			tce_ctx_mem_stats(ctx, &before);
			tce_ctx_set_fail_nth(ctx, n);
			rc = tce_machine_add_region(m, &r);
			if (tce_ctx_fail_nth_armed(ctx))
				break;
			points++;
			CHECK_RC(rc, -ENOMEM);
			CHECK_RC(tce_machine_find_region(m, r.real_start, &got), -ENOENT);
			tce_ctx_mem_stats(ctx, &after);
			CHECK_EQ(after.live_allocs, before.live_allocs);
			CHECK_EQ(after.live_bytes, before.live_bytes);
		}
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK_RC(rc, 0);
		tce_machine_info(m, &mi);
		CHECK_EQ(mi.nregions, i + 1);
	}
	CHECK(points >= 1); /* else the sweep covered nothing */
	for (i = 0; i < 5; i++)
		CHECK_RC(tce_machine_find_region(m, (i + 8) * GiB, &got), 0);
	tce_machine_destroy(m);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(field_errors),
	TT_CASE(overlaps),
	TT_CASE(find_and_remove),
	TT_CASE(region_limit),
	TT_CASE(identity_powernv),
	TT_CASE(no_region_powernv),
	TT_CASE(identity_pseries),
	TT_CASE(vmm_callbacks),
	TT_CASE(adjacent_regions),
	TT_CASE(adjacent_regions_hcall),
	TT_CASE(remove_during_dma),
	TT_CASE(add_fail_nth),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
