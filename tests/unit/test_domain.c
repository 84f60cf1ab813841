/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain through its public API (docs/domain.md): configuration
 * refusals, attach and detach with ownership, the aperture and page sizes,
 * map and its refusals (alignment to the smallest page and to the window's
 * page, the aperture, overlap, prot), the TCEs read back through the
 * group's tables and device DMA through them, the unmap guarantee (never
 * more than asked: partial ranges, holes, repeats), the dirty log, and a
 * second group on each platform.
 */
#include <errno.h>
#include <string.h>

#include <tce/abi.h>

#include "harness.h"
#include "tt_domain.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)

static const enum tce_platform plats[] = { TCE_PLATFORM_POWERNV, TCE_PLATFORM_PSERIES };

static void test_create_refusals(void)
{
	struct tce_domain_config c;
	struct tce_domain *d = NULL;
	struct tce_mem_stats before, after;
	struct tce_ctx *ctx;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	tce_ctx_mem_stats(ctx, &before);
	c = tt_dom_config();
	CHECK_RC(tce_domain_create(NULL, &c, &d), -EINVAL);
	CHECK_RC(tce_domain_create(ctx, NULL, &d), -EINVAL);
	CHECK_RC(tce_domain_create(ctx, &c, NULL), -EINVAL);
	c.win[0].size = 0;
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[0].size = 3 * MiB;
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[1].size = 32 * KiB; /* below its 64 KiB page */
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[0].page_shift = 11;
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[0].page_shift = 35;
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[0].levels = 6;
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c = tt_dom_config(), c.win[1].size = 1ull << 63; /* 2^59 + 2^63 still fits */
	CHECK_RC(tce_domain_create(ctx, &c, &d), 0);
	tce_domain_destroy(d);
	c = tt_dom_config(), c.win[1].size = 0; /* a page shift without a window */
	CHECK_RC(tce_domain_create(ctx, &c, &d), -EINVAL);
	c.win[1].page_shift = 0;
	CHECK_RC(tce_domain_create(ctx, &c, &d), 0);
	tce_domain_destroy(d);
	tce_domain_destroy(NULL);
	tce_ctx_mem_stats(ctx, &after);
	CHECK_EQ(after.live_allocs, before.live_allocs);
	tce_ctx_destroy(ctx);
}

static void attach_info_on(enum tce_platform p)
{
	struct tce_domain_info di;
	struct tt_dom f;
	uint64_t tce;

	REQUIRE(tt_dom_setup(&f, p, NULL, false) == 0);
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 0);
	CHECK_EQ(di.nranges, 2);
	CHECK_EQ(di.pgsize_bitmap, (4 * KiB) | (64 * KiB));
	CHECK_EQ(di.range[0].start, 0);
	CHECK_EQ(di.range[1].start, TT_DOM_W1);
	CHECK_EQ(di.range[1].size, 1ull << 30);
	CHECK_EQ(di.range[0].levels, 0);
	CHECK_RC(tce_domain_map(f.d, 0, (uint64_t)f.arena, 4 * KiB, TCE_DOMAIN_READ), -ENODEV);
	CHECK_RC(tce_domain_attach(f.d, NULL), -EINVAL);
	CHECK_RC(tce_domain_attach(f.d, f.g), 0);
	CHECK(tce_group_owned(f.g));
	CHECK_RC(tce_domain_attach(f.d, f.g), -EBUSY);
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 1);
	CHECK(di.range[0].levels >= 1);
	CHECK(di.range[1].levels >= 1);
	CHECK_RC(tt_dom_tce(f.g, 0, 0, &tce), 0);
	CHECK_EQ(tce, 0);
	CHECK_RC(tt_dom_tce(f.g, 1, TT_DOM_W1, &tce), 0);
	CHECK_RC(tce_domain_detach(f.d, tce_device_group(f.o.b)), -ENOENT);
	CHECK_RC(tce_domain_detach(f.d, f.g), 0);
	CHECK(!tce_group_owned(f.g));
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 0);
	CHECK_EQ(di.range[0].levels, 0);
	tt_os_kernel_copy(&f.o, f.o.a, 8192); /* the kernel has its DMA back */
	CHECK_RC(tce_domain_attach(f.d, f.g), 0); /* again: new tables */
	tt_dom_teardown(&f);
}

static void test_attach_info(void)
{
	for (size_t i = 0; i < 2; i++)
		attach_info_on(plats[i]);
}

/* TCE @idx of the 4 KiB window 0 points at @real with exactly @perm (powernv: W reads RW). */
static void check_tce(struct tt_dom *f, uint32_t slot, uint64_t iova, uint64_t real,
		      uint64_t perm, uint32_t shift)
{
	uint64_t tce = 0;

	CHECK_RC(tt_dom_tce(f->g, slot, iova, &tce), 0);
	CHECK_EQ(tce & ~((1ull << shift) - 1), real);
	CHECK_EQ(tce & TCE_PERM_MASK, perm);
}

static void map_basic_on(enum tce_platform p)
{
	struct tce_pci_dev *pci;
	uint64_t base, phys, i, got;
	uint8_t buf[256];
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	pci = tce_device_pci(f.o.a);
	tt_dom_enable_dma(f.o.a);
	base = (uint64_t)f.arena;
	/* window 0: 64 KiB is 16 TCEs of 4 KiB */
	CHECK_RC(tce_domain_map(f.d, 0x10000, base + 0x10000, 64 * KiB,
				TCE_DOMAIN_READ | TCE_DOMAIN_WRITE), 0);
	for (i = 0; i < 16; i++)
		check_tce(&f, 0, 0x10000 + i * 4 * KiB, base + 0x10000 + i * 4 * KiB,
			  TCE_PCI_READ | TCE_PCI_WRITE, 12);
	check_tce(&f, 0, 0x20000, 0, 0, 12);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x10123, &phys), 0);
	CHECK_EQ(phys, base + 0x10123);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x20000, &phys), -ENOENT);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x10000, NULL), -EINVAL);
	memset(buf, 0x5a, sizeof(buf));
	CHECK_RC(tce_dev_dma_write(pci, 0x10ff0, buf, 32), 0); /* across two TCEs */
	CHECK_EQ(f.arena[0x10ff0], 0x5a);
	CHECK_EQ(f.arena[0x1100f], 0x5a);
	CHECK_RC(tce_dev_dma_write(pci, 0x1fff0, buf, 32), -EFAULT); /* past the mapping */
	CHECK_EQ(f.arena[0x1fff0], 0);
	tce_dev_eeh_thaw(pci);
	f.arena[0x10000] = 0x77;
	CHECK_RC(tce_dev_dma_read(pci, 0x10000, buf, 1), 0);
	CHECK_EQ(buf[0], 0x77);
	/* read-only: the device cannot write */
	CHECK_RC(tce_domain_map(f.d, 0x40000, base + 0x40000, 4 * KiB, TCE_DOMAIN_READ), 0);
	check_tce(&f, 0, 0x40000, base + 0x40000, TCE_PCI_READ, 12);
	CHECK_RC(tce_dev_dma_write(pci, 0x40000, buf, 8), -EFAULT);
	tce_dev_eeh_thaw(pci);
	/* window 1: 128 KiB is 2 TCEs of 64 KiB */
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1, base + 0x100000, 128 * KiB, TCE_DOMAIN_WRITE), 0);
	check_tce(&f, 1, TT_DOM_W1, base + 0x100000,
		  p == TCE_PLATFORM_POWERNV ? TCE_PCI_READ | TCE_PCI_WRITE : TCE_PCI_WRITE, 16);
	check_tce(&f, 1, TT_DOM_W1 + 64 * KiB, base + 0x110000,
		  p == TCE_PLATFORM_POWERNV ? TCE_PCI_READ | TCE_PCI_WRITE : TCE_PCI_WRITE, 16);
	memset(buf, 0x5a, sizeof(buf));
	CHECK_RC(tce_dev_dma_write(pci, TT_DOM_W1 + 0x1fff8, buf, 8), 0);
	CHECK_EQ(f.arena[0x11fff8], 0x5a);
	/* refusals, each changing nothing */
	CHECK_RC(tce_domain_map(f.d, 0x18000, base, 4 * KiB, TCE_DOMAIN_READ), -EEXIST);
	CHECK_RC(tce_domain_map(f.d, 0x0f000, base, 8 * KiB, TCE_DOMAIN_READ), -EEXIST);
	CHECK_RC(tce_domain_map(f.d, 0x80000, base + 0x800, 4 * KiB, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80800, base, 4 * KiB, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80000, base, 2 * KiB, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80000, base, 0, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80000, base, 4 * KiB, 0), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80000, base, 4 * KiB, 4), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, (1ull << 30) - 4 * KiB, base, 8 * KiB, TCE_DOMAIN_READ),
		 -EINVAL); /* runs past window 0 */
	CHECK_RC(tce_domain_map(f.d, 1ull << 30, base, 4 * KiB, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, ~0ull - 4095, base, 8 * KiB, TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, 0x80000, ~0ull - 4095, 8 * KiB, TCE_DOMAIN_READ), -EINVAL);
	/* window 1 takes only whole 64 KiB pages: iova, paddr and size */
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1 + 0x101000, base, 64 * KiB, TCE_DOMAIN_READ),
		 -EINVAL);
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1 + 0x100000, base + 4 * KiB, 64 * KiB,
				TCE_DOMAIN_READ), -EINVAL);
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1 + 0x100000, base, 68 * KiB, TCE_DOMAIN_READ),
		 -EINVAL);
	check_tce(&f, 1, TT_DOM_W1 + 0x100000, 0, 0, 16);
	check_tce(&f, 0, 0x80000, 0, 0, 12);
	/* unmapping everything */
	CHECK_RC(tce_domain_unmap(f.d, 0, 1ull << 30, &got), 0);
	CHECK_EQ(got, 68 * KiB);
	CHECK_RC(tce_domain_unmap(f.d, TT_DOM_W1, 1ull << 30, &got), 0);
	CHECK_EQ(got, 128 * KiB);
	check_tce(&f, 0, 0x10000, 0, 0, 12);
	check_tce(&f, 1, TT_DOM_W1, 0, 0, 16);
	CHECK_RC(tce_dev_dma_read(pci, 0x10000, buf, 1), -EFAULT);
	tce_dev_eeh_thaw(pci);
	tt_dom_teardown(&f);
}

static void test_map_basic(void)
{
	for (size_t i = 0; i < 2; i++)
		map_basic_on(plats[i]);
}

static void unmap_guarantee_on(enum tce_platform p)
{
	uint64_t base, got = 1, phys;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	base = (uint64_t)f.arena;
	CHECK_RC(tce_domain_map(f.d, 0x100000, base, 64 * KiB, TCE_DOMAIN_READ), 0);
	CHECK_RC(tce_domain_map(f.d, 0x120000, base + 0x20000, 32 * KiB, TCE_DOMAIN_READ), 0);
	/* the middle of a mapping: that part only */
	CHECK_RC(tce_domain_unmap(f.d, 0x108000, 16 * KiB, &got), 0);
	CHECK_EQ(got, 16 * KiB);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x107000, &phys), 0);
	CHECK_EQ(phys, base + 0x7000);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x108000, &phys), -ENOENT);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x10b000, &phys), -ENOENT);
	CHECK_RC(tce_domain_iova_to_phys(f.d, 0x10c000, &phys), 0);
	CHECK_EQ(phys, base + 0xc000);
	check_tce(&f, 0, 0x10c000, base + 0xc000, TCE_PCI_READ, 12);
	check_tce(&f, 0, 0x10b000, 0, 0, 12);
	/* a hole: nothing, 0 bytes */
	CHECK_RC(tce_domain_unmap(f.d, 0x110000, 64 * KiB, &got), 0);
	CHECK_EQ(got, 0);
	/* across holes and both mappings: the live bytes, fewer than asked */
	CHECK_RC(tce_domain_unmap(f.d, 0xf0000, 0x40000, &got), 0);
	CHECK_EQ(got, 48 * KiB + 32 * KiB);
	check_tce(&f, 0, 0x100000, 0, 0, 12);
	check_tce(&f, 0, 0x127000, 0, 0, 12);
	/* symmetric calls: exactly the mapping */
	CHECK_RC(tce_domain_map(f.d, 0x200000, base, 2 * MiB, TCE_DOMAIN_WRITE), 0);
	CHECK_RC(tce_domain_map(f.d, 0x400000, base, 4 * KiB, TCE_DOMAIN_WRITE), 0);
	CHECK_RC(tce_domain_unmap(f.d, 0x200000, 2 * MiB, &got), 0);
	CHECK_EQ(got, 2 * MiB);
	check_tce(&f, 0, 0x400000, base, p == TCE_PLATFORM_POWERNV ? 3 : 2, 12);
	/* a 64 KiB TCE cannot be cut: refused, not widened */
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1, base, 128 * KiB, TCE_DOMAIN_READ), 0);
	CHECK_RC(tce_domain_unmap(f.d, TT_DOM_W1 + 4 * KiB, 4 * KiB, &got), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, TT_DOM_W1, 4 * KiB, &got), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, TT_DOM_W1 + 64 * KiB, 64 * KiB, &got), 0);
	CHECK_EQ(got, 64 * KiB);
	check_tce(&f, 1, TT_DOM_W1, base, TCE_PCI_READ, 16);
	/* refusals */
	CHECK_RC(tce_domain_unmap(f.d, 0x400000, 4 * KiB, NULL), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, 0x400000, 0, &got), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, 0x400800, 4 * KiB, &got), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, (1ull << 30) - 4 * KiB, 8 * KiB, &got), -EINVAL);
	CHECK_RC(tce_domain_unmap(f.d, 0, TT_DOM_W1 + 64 * KiB, &got), -EINVAL);
	check_tce(&f, 0, 0x400000, base, p == TCE_PLATFORM_POWERNV ? 3 : 2, 12);
	tt_dom_teardown(&f);
}

static void test_unmap_guarantee(void)
{
	for (size_t i = 0; i < 2; i++)
		unmap_guarantee_on(plats[i]);
}

static uint64_t popcount_bits(const uint64_t *b, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

static void dirty_on(enum tce_platform p)
{
	uint64_t bm[8], base, got; /* 512 pages of 4 KiB: 2 MiB */
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	base = (uint64_t)f.arena;
	CHECK_RC(tce_domain_map(f.d, 0x200000, base, 32 * KiB, TCE_DOMAIN_READ | TCE_DOMAIN_WRITE),
		 0);
	CHECK_RC(tce_domain_map(f.d, 0x300000, base, 16 * KiB, TCE_DOMAIN_READ), 0);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xff); /* mapped writable: may be written */
	CHECK_EQ(popcount_bits(bm, 8), 8);
	CHECK_RC(tce_domain_unmap(f.d, 0x200000, 16 * KiB, &got), 0);
	CHECK_RC(tce_domain_unmap(f.d, 0x300000, 16 * KiB, &got), 0); /* read-only: clean */
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xff); /* 4 released dirty + 4 still mapped */
	CHECK_EQ(popcount_bits(bm, 8), 8);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xf0); /* the released ones were cleared by the read */
	CHECK_RC(tce_domain_unmap(f.d, 0x204000, 16 * KiB, &got), 0);
	/* a part of the range: only its bits read and cleared */
	CHECK_RC(tce_domain_dirty_read(f.d, 0x206000, 8 * KiB, bm), 0);
	CHECK_EQ(bm[0], 0x3);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0x30);
	CHECK_EQ(popcount_bits(bm, 8), 2);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(popcount_bits(bm, 8), 0);
	/* window 1: a 64 KiB TCE is 16 bits of the smallest page */
	CHECK_RC(tce_domain_map(f.d, TT_DOM_W1 + 0x10000, base, 64 * KiB, TCE_DOMAIN_WRITE), 0);
	CHECK_RC(tce_domain_unmap(f.d, TT_DOM_W1, 1ull << 30, &got), 0);
	CHECK_EQ(got, 64 * KiB);
	CHECK_RC(tce_domain_dirty_read(f.d, TT_DOM_W1, 128 * KiB, bm), 0);
	CHECK_EQ(bm[0], 0xffff0000);
	/* refusals */
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, NULL), -EINVAL);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200800, 4 * KiB, bm), -EINVAL);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 0, bm), -EINVAL);
	CHECK_RC(tce_domain_dirty_read(f.d, 1ull << 30, 4 * KiB, bm), -EINVAL);
	/* the last detach unmaps: writable pages go to the log */
	CHECK_RC(tce_domain_map(f.d, 0x200000, base, 8 * KiB, TCE_DOMAIN_WRITE), 0);
	CHECK_RC(tce_domain_detach(f.d, f.g), 0);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0x3);
	tt_dom_teardown(&f);
}

/* tce_domain_dirty_log(): off, unmapped pages are not logged; either switch empties the log. */
static void dirty_switch(enum tce_platform p)
{
	uint64_t bm[8], base, got;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	base = (uint64_t)f.arena;
	CHECK_RC(tce_domain_map(f.d, 0x200000, base, 32 * KiB, TCE_DOMAIN_WRITE), 0);
	CHECK_RC(tce_domain_unmap(f.d, 0x200000, 8 * KiB, &got), 0); /* logged: on by default */
	tce_domain_dirty_log(f.d, false);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xfc); /* the log was emptied; the mapped pages still read dirty */
	CHECK_RC(tce_domain_unmap(f.d, 0x202000, 8 * KiB, &got), 0);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xf0); /* off: the unmapped pages are not logged */
	tce_domain_dirty_log(f.d, true);
	CHECK_RC(tce_domain_unmap(f.d, 0x204000, 8 * KiB, &got), 0);
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0xf0); /* on again: logged from now on */
	CHECK_RC(tce_domain_unmap(f.d, 0x206000, 8 * KiB, &got), 0);
	tce_domain_dirty_log(f.d, true); /* on while on: still empties */
	CHECK_RC(tce_domain_dirty_read(f.d, 0x200000, 2 * MiB, bm), 0);
	CHECK_EQ(bm[0], 0);
	tt_dom_teardown(&f);
}

static void test_dirty_log(void)
{
	for (size_t i = 0; i < 2; i++) {
		dirty_on(plats[i]);
		dirty_switch(plats[i]);
	}
}

/* powernv: one table backs both PEs; the VF's single-slot PE refuses a second window. */
static void test_second_group_powernv(void)
{
	struct tce_domain_config c = tt_dom_config();
	struct tce_group *gb;
	struct tce_domain_info di;
	uint64_t base, got;
	struct tt_dom f;
	uint8_t v = 0;

	REQUIRE(tt_dom_setup(&f, TCE_PLATFORM_POWERNV, NULL, true) == 0);
	gb = tce_device_group(f.o.b);
	base = (uint64_t)f.arena;
	CHECK_RC(tce_domain_map(f.d, 0x1000, base, 4 * KiB, TCE_DOMAIN_READ), 0);
	CHECK(tce_domain_attach(f.d, gb) < 0);
	CHECK(!tce_group_owned(gb));
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 1);
	tt_dom_teardown(&f);

	c.win[1].size = 0, c.win[1].page_shift = 0, c.win[0].size = 256 * MiB;
	REQUIRE(tt_dom_setup(&f, TCE_PLATFORM_POWERNV, &c, true) == 0);
	gb = tce_device_group(f.o.b);
	base = (uint64_t)f.arena;
	CHECK_RC(tce_domain_map(f.d, 0x1000, base, 4 * KiB, TCE_DOMAIN_READ), 0);
	CHECK_RC(tce_domain_attach(f.d, gb), 0);
	CHECK_RC(tce_domain_map(f.d, 0x2000, base + 0x2000, 4 * KiB, TCE_DOMAIN_READ), 0);
	f.arena[0x2000] = 0x42;
	tt_dom_enable_dma(f.o.b);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(f.o.b), 0x2000, &v, 1), 0);
	CHECK_EQ(v, 0x42);
	check_tce(&f, 0, 0x1000, base, TCE_PCI_READ, 12);
	CHECK_RC(tce_domain_detach(f.d, f.g), 0); /* b keeps the mappings */
	CHECK_RC(tce_dev_dma_read(tce_device_pci(f.o.b), 0x1000, &v, 1), 0);
	CHECK_RC(tce_domain_unmap(f.d, 0, 256 * MiB, &got), 0);
	CHECK_EQ(got, 8 * KiB);
	CHECK_RC(tce_domain_detach(f.d, gb), 0);
	CHECK(!tce_group_owned(gb));
	tt_dom_teardown(&f);
}

/* Refusals of attach and detach: NULL, another host's group, a group not attached. */
static void test_attach_refusals(void)
{
	struct tce_machine *m2;
	struct tce_host *h2;
	struct tce_group *other;
	struct tce_domain_info di;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, TCE_PLATFORM_POWERNV, NULL, true) == 0);
	CHECK_RC(tce_domain_attach(NULL, f.g), -EINVAL);
	CHECK_RC(tce_domain_attach(f.d, NULL), -EINVAL);
	CHECK_RC(tce_domain_detach(NULL, f.g), -EINVAL);
	CHECK_RC(tce_domain_detach(f.d, NULL), -EINVAL);
	CHECK_RC(tce_domain_attach(f.d, f.g), -EBUSY);
	CHECK_RC(tce_domain_detach(f.d, tce_device_group(f.o.b)), -ENOENT);
	CHECK(!tce_group_owned(tce_device_group(f.o.b)));
	/* a group of another host: -EPERM, given back, the domain unchanged */
	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m2) == 0);
	REQUIRE(tce_host_create(m2, &h2) == 0);
	other = tce_host_group(h2, 0);
	CHECK_RC(tce_domain_attach(f.d, other), -EPERM);
	CHECK(!tce_group_owned(other));
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 1);
	CHECK_RC(tce_domain_map(f.d, 0x1000, (uint64_t)f.arena, 4 * KiB, TCE_DOMAIN_READ), 0);
	tce_host_destroy(h2);
	tce_machine_destroy(m2);
	tt_dom_teardown(&f);
}

/* pseries: the hypervisor's windows belong to one PE: a second group is refused. */
static void test_second_group_pseries(void)
{
	struct tce_domain_info di;
	struct tce_group *gb;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, TCE_PLATFORM_PSERIES, NULL, true) == 0);
	gb = tce_device_group(f.o.b);
	CHECK(tce_domain_attach(f.d, gb) < 0);
	CHECK(!tce_group_owned(gb));
	tce_domain_info(f.d, &di);
	CHECK_EQ(di.ngroups, 1);
	CHECK_RC(tce_domain_map(f.d, 0x1000, (uint64_t)f.arena, 4 * KiB, TCE_DOMAIN_READ), 0);
	tt_dom_teardown(&f);
}

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = {
		TT_CASE(test_create_refusals), TT_CASE(test_attach_info), TT_CASE(test_map_basic),
		TT_CASE(test_unmap_guarantee), TT_CASE(test_dirty_log),
		TT_CASE(test_second_group_powernv), TT_CASE(test_second_group_pseries),
		TT_CASE(test_attach_refusals),
	};

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
