/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pseries hypervisor through <tce.h>: the conformance vectors of
 * spec/hypervisor.md Appendix A as DECISIONS.md amends them (2 GiB default
 * window, full-range checks, misaligned IOBAs refused, all-or-nothing
 * multi-entry calls), a test per validation rule, and the RTAS DDW
 * sequences, on the built-in pseries machine.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

#define LIOBN0 0x80000000ULL
#define LIOBN1 0x80000001ULL
#define VF_LIOBN 0x80000100ULL
#define BUID_HI 0x08000000u
#define BUID_LO 0x20000000u
#define CFG_A 0x0800u /* PE 0: bus 0, device 1 */
#define CFG_B 0x1000u /* PE 1 (the VF): bus 0, device 2 */
#define WIN0 (2ULL << 30)
#define LIST 0x100000ULL /* a real address used for TCE lists */

static struct tce_machine *machine(void)
{
	struct tce_machine *m = NULL;

	CHECK_RC(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m), 0);
	return m;
}

static long hc(struct tce_machine *m, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
	       uint64_t a3, uint64_t *r4)
{
	uint64_t args[9] = { a0, a1, a2, a3 };
	long rc = tce_hv_hcall(m, op, args);

	if (r4)
		*r4 = args[0];
	return rc;
}

static uint64_t get_tce(struct tce_machine *m, uint64_t liobn, uint64_t ioba)
{
	uint64_t v = ~0ULL;

	CHECK_EQ(hc(m, TCE_H_GET_TCE, liobn, ioba, 0, 0, &v), TCE_H_SUCCESS);
	return v;
}

/* Write @n big-endian TCEs at real address LIST. */
static void put_list(struct tce_machine *m, const uint64_t *tces, unsigned n)
{
	uint64_t *p = tce_machine_ram_ptr(m, LIST, TCE_INDIRECT_ALIGN);
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = htobe64(tces[i]);
}

static int rtas(struct tce_machine *m, uint32_t token, uint32_t nargs, const uint32_t *args,
		uint32_t nret, uint32_t *rets)
{
	memset(rets, 0x5a, nret * sizeof(*rets));
	CHECK_RC(tce_hv_rtas(m, token, nargs, args, nret, rets), 0);
	return (int)rets[0];
}

static int query(struct tce_machine *m, uint32_t cfg, uint32_t nret, uint32_t *rets)
{
	uint32_t a[3] = { cfg, BUID_HI, BUID_LO };

	return rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, nret, rets);
}

static int create(struct tce_machine *m, uint32_t cfg, uint32_t shift, uint32_t wshift,
		  uint32_t *rets)
{
	uint32_t a[5] = { cfg, BUID_HI, BUID_LO, shift, wshift };

	return rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, rets);
}

static int remove_win(struct tce_machine *m, uint32_t liobn)
{
	uint32_t r[1];

	return rtas(m, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, r);
}

static int reset(struct tce_machine *m, uint32_t cfg)
{
	uint32_t a[3] = { cfg, BUID_HI, BUID_LO }, r[1];

	return rtas(m, TCE_RTAS_RESET_PE_DMA_WINDOWS, 3, a, 1, r);
}

static unsigned available(struct tce_machine *m, uint32_t cfg)
{
	uint32_t r[5];

	CHECK_EQ(query(m, cfg, 5, r), 0);
	return r[1];
}

/* Vectors 1-5: put and get, alignment, window end, LIOBN checks. */
static void put_get_vectors(void)
{
	struct tce_machine *m = machine();

	REQUIRE(m);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x1000, 0x2003, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0x1000), 0x2003);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x1fff, 0x3003, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x1000), 0x2003); /* never silently rounded */
	CHECK_EQ(hc(m, TCE_H_GET_TCE, LIOBN0, 0x1fff, 0, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, WIN0, 0x2003, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, WIN0 - 0x1000, 0x2003, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, 0x180000000ULL, 0, 0x2003, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, 0, 0x2003, 0, NULL), TCE_H_PARAMETER); /* off */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, 0xdead, 0, 0x2003, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, 0x24, LIOBN0, 0, 0, 0, NULL), TCE_H_FUNCTION);
	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, NULL), TCE_H_FUNCTION);
	/* A clear where no level exists allocates none: it cannot fail for memory (KVM). */
	{
		uint32_t r[4];
		uint64_t bus = (1ULL << 59) + (1ULL << 35); /* a 2-level window, an absent leaf */

		CHECK_EQ(create(m, CFG_A, 12, 40, r), 0);
		tce_ctx_set_fail_nth(tce_machine_ctx(m), 2); /* the hcall itself, then an allocation */
		CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0, 0, NULL), TCE_H_SUCCESS);
		CHECK(tce_ctx_fail_nth_armed(tce_machine_ctx(m)));
		tce_ctx_set_fail_nth(tce_machine_ctx(m), 2); /* a mapping does allocate */
		CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0x2003, 0, NULL), TCE_H_NOT_ENOUGH_RESOURCES);
		tce_ctx_set_fail_nth(tce_machine_ctx(m), 0);
		CHECK_EQ(get_tce(m, LIOBN1, bus), 0);
	}
	tce_machine_destroy(m);
}

/*
 * The TCE itself (kvmppc_tce_validate): with a permission, the address part
 * must be an aligned page of RAM, reserved bits included; without one,
 * anything goes. Whatever is accepted is stored as written (DECISIONS 22).
 */
static void tce_validation(void)
{
	struct tce_machine *m = machine();

	REQUIRE(m);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x5000 | 1, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0x5000 | 1);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x5000, 0, NULL), TCE_H_SUCCESS); /* poison */
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0x5000);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0, 0, NULL), TCE_H_SUCCESS); /* a clear */
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, (4ULL << 30) | 3, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, ((4ULL << 30) - 0x1000) | 3, 0, NULL),
		 TCE_H_SUCCESS);
	/* Reserved bits with a permission: the address is not page aligned. */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x5ffc | 2, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x5004 | 1, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0), ((4ULL << 30) - 0x1000) | 3); /* unchanged */
	/* Poison values keep every bit, reserved and address bits alike, even outside RAM. */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x1000, 0x5ffc, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0x1000), 0x5ffc);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x2000, 0xdeadbeefcafef00cULL, 0, NULL),
		 TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0x2000), 0xdeadbeefcafef00cULL);
	tce_machine_destroy(m);
}

/* A poison value gives the device no access: every DMA through it faults on permission. */
static void poison_faults_device_dma(void)
{
	struct tce_machine *m = machine();
	struct tce_pci_dev *d;
	struct tce_fault f;
	uint8_t buf[8] = { 0 };

	REQUIRE(m && tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x3000, 0x7ffc, 0, NULL), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x3010, buf, sizeof(buf)), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK_EQ(f.bus_addr, 0x3010);
	tce_dev_eeh_thaw(d);
	CHECK_RC(tce_dev_dma_write(d, 0x3010, buf, sizeof(buf)), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK(f.write);
	tce_dev_eeh_thaw(d);
	/* An empty entry is a missing TCE, not a permission fault. */
	CHECK_RC(tce_dev_dma_read(d, 0x4000, buf, sizeof(buf)), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_TCE);
	tce_machine_destroy(m);
}

/*
 * Every hcall that changes TCEs invalidates what the PHB's TCE cache holds
 * for them: a device that has just used an entry sees the new one at once,
 * after H_PUT_TCE, H_PUT_TCE_INDIRECT and H_STUFF_TCE alike.
 */
static void hcalls_kill_cached_tces(void)
{
	struct tce_machine *m = machine();
	struct tce_pci_dev *d;
	struct tce_fault f;
	uint64_t tce = 0x300000 | 3;
	uint8_t buf[4];

	REQUIRE(m && tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	memset(tce_machine_ram_ptr(m, 0x200000, 4096), 0xaa, 4096);
	memset(tce_machine_ram_ptr(m, 0x300000, 4096), 0xbb, 4096);
	memset(tce_machine_ram_ptr(m, 0x400000, 4096), 0xcc, 4096);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x5000, 0x200000 | 3, 0, NULL), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x5010, buf, sizeof(buf)), 0);
	CHECK_EQ(buf[0], 0xaa);
	put_list(m, &tce, 1);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0x5000, LIST, 1, NULL), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x5010, buf, sizeof(buf)), 0);
	CHECK_EQ(buf[0], 0xbb);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x5000, 0x400000 | 3, 0, NULL), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x5010, buf, sizeof(buf)), 0);
	CHECK_EQ(buf[0], 0xcc);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0x4000, 0, 4, NULL), TCE_H_SUCCESS);
	CHECK_RC(tce_dev_dma_read(d, 0x5010, buf, sizeof(buf)), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_TCE);
	tce_dev_eeh_thaw(d);
	tce_machine_destroy(m);
}

/* Real pages of the cache-kill test: generation @g of bus page @i, its first byte marked. */
#define KILL_REAL(g, i) (0x10000000ULL * (1 + (g)) + ((uint64_t)(i) << 12))
#define KILL_MARK(g, i) ((uint8_t)((g) << 6 | ((i) & 0x3f)))

/* Map bus pages [first, first + n) of LIOBN0 to generation @g with one INDIRECT call. */
static void map_gen(struct tce_machine *m, unsigned g, unsigned first, unsigned n)
{
	uint64_t tces[512];
	unsigned i;

	for (i = 0; i < n; i++) {
		*(uint8_t *)tce_machine_ram_ptr(m, KILL_REAL(g, first + i), 1) = KILL_MARK(g, first + i);
		tces[i] = KILL_REAL(g, first + i) | 3;
	}
	put_list(m, tces, n);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, (uint64_t)first << 12, LIST, n, NULL),
		 TCE_H_SUCCESS);
}

/* The first byte @d reads at bus page @i. */
static uint8_t read_page(struct tce_pci_dev *d, uint64_t i)
{
	uint8_t b = 0;

	CHECK_RC(tce_dev_dma_read(d, i << 12, &b, 1), 0);
	return b;
}

/*
 * H_PUT_TCE_INDIRECT invalidates every cached translation of its range in
 * whichever set and way it sits, and only the PE's own: 256 pages are read
 * through the cache until it holds most of them; 8 of them are remapped
 * with a short call (a kill that leaves the PE's other entries in their
 * sets), then all 512 with one call; every page then reads its new memory,
 * while the VF's PE (PE 1) keeps its cached entry of the same bus page
 * (a hit, no miss).
 */
static void indirect_kills_cached_range(void)
{
	struct tce_machine *m = machine();
	struct tce_cache_stats a, b;
	struct tce_pci_dev *d, *vf;
	unsigned i;

	REQUIRE(m && tce_machine_find_device(m, "0000:00:01.0", &d) == 0 &&
		tce_machine_find_device(m, "0000:00:02.0", &vf) == 0);
	map_gen(m, 0, 0, 512);
	*(uint8_t *)tce_machine_ram_ptr(m, KILL_REAL(0, 600), 1) = 0x5a;
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, VF_LIOBN, 5 << 12, KILL_REAL(0, 600) | 1, 0, NULL),
		 TCE_H_SUCCESS);
	CHECK_EQ(read_page(vf, 5), 0x5a);
	for (i = 0; i < 256; i++)
		CHECK_EQ(read_page(d, i), KILL_MARK(0, i));
	tce_dev_cache_stats(d, &a);
	for (i = 0; i < 256; i++)
		read_page(d, i);
	tce_dev_cache_stats(d, &b);
	CHECK(b.hits - a.hits >= 160); /* most of the 256 ways hold pages of the range */
	map_gen(m, 1, 0, 8);
	map_gen(m, 2, 0, 512);
	tce_dev_cache_stats(d, &a);
	CHECK_EQ(read_page(vf, 5), 0x5a);
	tce_dev_cache_stats(d, &b);
	CHECK_EQ(b.misses, a.misses);
	CHECK_EQ(b.hits, a.hits + 1);
	for (i = 0; i < 512 && !tt_failed(); i++)
		CHECK_EQ(read_page(d, i), KILL_MARK(2, i));
	tce_machine_destroy(m);
}

/* On a 64 KiB-page window the address part of a permission TCE is 64 KiB aligned. */
static void large_page_validation(void)
{
	struct tce_machine *m = machine();
	uint64_t bus = (1ULL << 59) + 0x10000;
	uint32_t r[4];

	REQUIRE(m);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0x38000 | 3, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0x30ffc | 3, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0x30000 | 3, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN1, bus), 0x30000 | 3);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, bus, 0x38ffc, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN1, bus), 0x38ffc);
	tce_machine_destroy(m);
}

/* Vector 6-7: INDIRECT limits, all or nothing. */
static void indirect(void)
{
	struct tce_machine *m = machine();
	uint64_t tces[512], i;

	REQUIRE(m);
	for (i = 0; i < 512; i++)
		tces[i] = (0x10000000 + i * 0x1000) | 3;
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0, LIST, 513, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0, LIST + 8, 2, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0, LIST, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, WIN0 - 0x1000, LIST, 2, NULL),
		 TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, WIN0 - 0x1000), 0); /* nothing written */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0, 4ULL << 30, 2, NULL), TCE_H_PARAMETER);
	/* One bad entry refuses the whole list. */
	tces[300] = (8ULL << 30) | 3;
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0x10000, LIST, 512, NULL), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000), 0);
	tces[300] = 0x1ffc | 2; /* reserved bits with a permission */
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0x10000, LIST, 512, NULL), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000), 0);
	tces[300] = 0;
	tces[301] = 0xabcdeffc; /* poison, stored as written */
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, 0x10000, LIST, 512, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000 + 511 * 0x1000), tces[511]);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000 + 300 * 0x1000), 0);
	CHECK_EQ(get_tce(m, LIOBN0, 0x10000 + 301 * 0x1000), 0xabcdeffc);
	tce_machine_destroy(m);
}

/*
 * A refused list changes nothing: the hcall checks a private copy of the
 * whole list before it stores any of it, so a list over a leaf boundary
 * (entry 8192 starts a leaf of 512 or 8192 entries) whose entry 450 is
 * invalid leaves every entry, mapped before or empty, as it was; debug
 * builds check every leaf's summary against its entries when the machine goes.
 */
static void indirect_undo(void)
{
	struct tce_machine *m = machine();
	uint64_t tces[512], bus = 8092ULL << 12, i;

	REQUIRE(m);
	for (i = 0; i < 512; i++)
		tces[i] = i % 3 ? (0x10000000 + i * 0x1000) | 3 : 0;
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, bus, LIST, 512, NULL), TCE_H_SUCCESS);
	for (i = 0; i < 512; i++)
		tces[i] = (0x20000000 + i * 0x1000) | 1;
	tces[450] = (8ULL << 30) | 3;
	put_list(m, tces, 512);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE_INDIRECT, LIOBN0, bus, LIST, 512, NULL), TCE_H_PARAMETER);
	for (i = 0; i < 512 && !tt_failed(); i++)
		CHECK_EQ(get_tce(m, LIOBN0, bus + (i << 12)),
			 i % 3 ? (0x10000000 + i * 0x1000) | 3 : 0);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, bus, 0, 512, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, bus + (1 << 12)), 0);
	tce_machine_destroy(m);
}

/*
 * Vector 8: STUFF only clears or poisons, the whole range inside the
 * window; a count of 0 is H_PARAMETER (QEMU; docs/design.md).
 */
static void stuff(void)
{
	struct tce_machine *m = machine();
	uint64_t i;

	REQUIRE(m);
	for (i = 0; i < 4; i++)
		CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, i << 12, 0x9000 | 3, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0, (WIN0 >> 12) + 1, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0x1003, 4, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0x1000, 0, ~0ULL, NULL), TCE_H_PARAMETER);
	CHECK_EQ(get_tce(m, LIOBN0, 0x3000), 0x9003);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0x1000, 0, 3, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0x9003);
	CHECK_EQ(get_tce(m, LIOBN0, 0x3000), 0);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0, WIN0 >> 12, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0);
	/* A poison value lands, as written, in exactly the entries named. */
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0x1000, 0xbad0ffc, 3, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(get_tce(m, LIOBN0, i << 12), 0xbad0ffc);
	CHECK_EQ(get_tce(m, LIOBN0, 0x4000), 0);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0x5000, WIN0 >> 12, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, WIN0 - 0x1000), 0x5000);
	CHECK_EQ(hc(m, TCE_H_STUFF_TCE, LIOBN0, 0, 0, WIN0 >> 12, NULL), TCE_H_SUCCESS);
	CHECK_EQ(get_tce(m, LIOBN0, WIN0 - 0x1000), 0);
	tce_machine_destroy(m);
}

/* Vector 10: query outputs. */
static void query_vectors(void)
{
	struct tce_machine *m = machine();
	uint32_t r[6], a[3] = { CFG_A, BUID_HI, BUID_LO + 1 };

	REQUIRE(m);
	CHECK_EQ(query(m, CFG_A, 5, r), 0);
	CHECK_EQ(r[1], 1);
	CHECK_EQ(r[2], 0x80000000);
	CHECK_EQ(r[3], 0x107);
	CHECK_EQ(r[4], 0);
	CHECK_EQ(query(m, CFG_A, 6, r), 0);
	CHECK_EQ(r[1], 1);
	CHECK_EQ(r[2], 0);
	CHECK_EQ(r[3], 0x80000000);
	CHECK_EQ(r[4], 0x107);
	CHECK_EQ(query(m, CFG_A, 4, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, 5, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(query(m, 0x1800, 5, r), 0);                    /* the I/OAT function (00:03.0) */
	CHECK_EQ(query(m, 0x2000, 5, r), TCE_RTAS_PARAM_ERROR); /* no such function (00:04.0) */
	CHECK_EQ(query(m, CFG_A | 1, 5, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 2, a, 5, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(rtas(m, 0x2030, 0, NULL, 1, r), TCE_RTAS_PARAM_ERROR); /* unknown token */
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, 0, r), -EINVAL);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, 5, NULL), -EINVAL);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, NULL, 5, r), -EINVAL);
	CHECK_EQ(query(m, CFG_B, 5, r), 0);
	CHECK_EQ(r[1], 0); /* the VF's single slot holds its default window */
	tce_machine_destroy(m);
}

/* Vectors 11-12: create. */
static void create_vectors(void)
{
	struct tce_machine *m = machine();
	uint32_t r[4];

	REQUIRE(m);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(r[1], LIOBN1);
	CHECK_EQ(r[2], 0x08000000);
	CHECK_EQ(r[3], 0);
	CHECK_EQ(available(m, CFG_A), 0);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), TCE_RTAS_HW_ERROR);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, (1ULL << 59) + 0x10000, 0x30000 | 3, 0, NULL),
		 TCE_H_SUCCESS);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, (1ULL << 59) + 0x1000, 0x30000 | 3, 0, NULL),
		 TCE_H_PARAMETER); /* 64 KiB pages: misaligned */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, (1ULL << 59) + 0x10000, 0x31000 | 3, 0, NULL),
		 TCE_H_PARAMETER); /* the page address is not 64 KiB aligned */
	CHECK_EQ(remove_win(m, LIOBN1), 0);
	CHECK_EQ(create(m, CFG_A, 13, 32, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(create(m, CFG_A, 16, 15, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(create(m, CFG_A, 12, 44, r), TCE_RTAS_PARAM_ERROR); /* 2^32 TCEs */
	CHECK_EQ(create(m, CFG_A, 12, 44, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(create(m, CFG_A, 16, 48, r), TCE_RTAS_PARAM_ERROR); /* above the largest block */
	CHECK_EQ(create(m, CFG_A, 99, 120, r), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(create(m, CFG_A, 21, 40, r), 0);                   /* 2 MiB pages */
	CHECK_EQ(available(m, CFG_A), 0);
	tce_machine_destroy(m);
}

/* Vectors 13-14: remove, and the default window coming back. */
static void remove_vectors(void)
{
	struct tce_machine *m = machine();
	uint32_t r[4];

	REQUIRE(m);
	CHECK_EQ(remove_win(m, LIOBN0), 0);
	CHECK_EQ(available(m, CFG_A), 2);
	CHECK_EQ(remove_win(m, LIOBN0), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(remove_win(m, 0xdead), TCE_RTAS_PARAM_ERROR);
	CHECK_EQ(reset(m, CFG_A), 0);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(r[1], LIOBN1);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x2003, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(remove_win(m, LIOBN0), 0);
	CHECK_EQ(available(m, CFG_A), 1);
	CHECK_EQ(remove_win(m, LIOBN1), 0);
	/* The last non-default window went: the default is back, empty. */
	CHECK_EQ(available(m, CFG_A), 1);
	CHECK_EQ(get_tce(m, LIOBN0, 0), 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, WIN0 - 0x1000, 0x2003, 0, NULL), TCE_H_SUCCESS);
	tce_machine_destroy(m);
}

/* Vectors 15-16: reset, and placement after the default was removed. */
static void reset_and_placement(void)
{
	struct tce_machine *m = machine();
	uint32_t r[4];

	REQUIRE(m);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0x5000, 0x2003, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN1, 1ULL << 59, 0x20000 | 3, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(reset(m, CFG_A), 0);
	CHECK_EQ(get_tce(m, LIOBN0, 0x5000), 0);
	CHECK_EQ(hc(m, TCE_H_GET_TCE, LIOBN1, 1ULL << 59, 0, 0, NULL), TCE_H_PARAMETER);
	CHECK_EQ(available(m, CFG_A), 1);
	/* No window at 0: a new one lands at 0, in the lowest free slot. */
	CHECK_EQ(remove_win(m, LIOBN0), 0);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(r[1], LIOBN0);
	CHECK_EQ(r[2], 0);
	CHECK_EQ(r[3], 0);
	CHECK_EQ(create(m, CFG_A, 16, 32, r), 0);
	CHECK_EQ(r[1], LIOBN1);
	CHECK_EQ(r[2], 0x08000000);
	/* A window at 0 larger than 2^59 cannot be placed. */
	CHECK_EQ(remove_win(m, LIOBN0), 0);
	CHECK_EQ(remove_win(m, LIOBN1), 0); /* the default is back */
	tce_machine_destroy(m);
}

/* The VF's PE has one slot: remove its default, create a DDW in its place. */
static void single_slot_vf(void)
{
	struct tce_machine *m = machine();
	uint32_t r[4];

	REQUIRE(m);
	CHECK_EQ(create(m, CFG_B, 16, 32, r), TCE_RTAS_HW_ERROR);
	CHECK_EQ(remove_win(m, VF_LIOBN), 0);
	CHECK_EQ(available(m, CFG_B), 1);
	CHECK_EQ(create(m, CFG_B, 16, 32, r), 0);
	CHECK_EQ(r[1], VF_LIOBN);
	CHECK_EQ(r[2], 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, VF_LIOBN, 0x10000, 0x40000 | 1, 0, NULL), TCE_H_SUCCESS);
	CHECK_EQ(reset(m, CFG_B), 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, VF_LIOBN, 0x10000000 - 0x1000, 0x2001, 0, NULL),
		 TCE_H_SUCCESS); /* the 256 MiB default of 4 KiB pages */
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, VF_LIOBN, 0x10000000, 0x2001, 0, NULL), TCE_H_PARAMETER);
	tce_machine_destroy(m);
}

static void powernv_has_no_hypervisor(void)
{
	struct tce_machine *m = NULL;
	uint32_t r[5], a[3] = { CFG_A, BUID_HI, BUID_LO };

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	CHECK_EQ(hc(m, TCE_H_PUT_TCE, LIOBN0, 0, 0x2003, 0, NULL), TCE_H_FUNCTION);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, 5, r), -EOPNOTSUPP);
	tce_machine_destroy(m);
}

static const struct tt_case cases[] = {
	TT_CASE(put_get_vectors),
	TT_CASE(tce_validation),
	TT_CASE(poison_faults_device_dma),
	TT_CASE(hcalls_kill_cached_tces),
	TT_CASE(indirect_kills_cached_range),
	TT_CASE(large_page_validation),
	TT_CASE(indirect),
	TT_CASE(indirect_undo),
	TT_CASE(stuff),
	TT_CASE(query_vectors),
	TT_CASE(create_vectors),
	TT_CASE(remove_vectors),
	TT_CASE(reset_and_placement),
	TT_CASE(single_slot_vf),
	TT_CASE(powernv_has_no_hypervisor),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
