/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Translate-once device DMA mappings (tce_dev_dma_map()): the pointer is
 * the memory the bus range maps, for reading and for writing; translation
 * and permissions are checked as a DMA checks them, faults included; a kill
 * that covers the range (powernv kill, pseries H_PUT_TCE), a freeze or a
 * reset invalidates it and a kill elsewhere or of another PE does not; bad
 * arguments, ranges that are not one host run and allocation failures
 * change nothing and leak nothing. Also the function's last-page
 * translation that repeated one-page DMA uses: it sees every kill, freeze
 * and injection as the TCE cache does.
 */
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define LIOBN0 0x80000000ULL
#define RAM_A 0x200000ULL
#define RAM_B 0x300000ULL
/* src/hw: a function remembers 32 pages, the bus page's low bits choosing where */
#define TCE_DEV_TLB_WAYS_TEST 32

/* pseries machine on @ctx (NULL: its own) and device 00:01.0 of PE 0. */
static struct tce_machine *pseries(struct tce_ctx *ctx, struct tce_pci_dev **d)
{
	struct tce_machine *m = ctx ? tt_machine(ctx, TCE_PLATFORM_PSERIES) : NULL;

	if (!ctx && tce_machine_create_default(TCE_PLATFORM_PSERIES, &m))
		return NULL;
	if (!m || tce_machine_find_device(m, "0000:00:01.0", d)) {
		tce_machine_destroy(m);
		return NULL;
	}
	return m;
}

/* H_PUT_TCE bus page @bus of PE 0's default window -> @real with @perm. */
static void put(struct tce_machine *m, uint64_t bus, uint64_t real, uint64_t perm)
{
	uint64_t a[9] = { LIOBN0, bus, real | perm };

	CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, a), TCE_H_SUCCESS);
}

static uint8_t *ram(struct tce_machine *m, uint64_t real, size_t len)
{
	uint8_t *p = tce_machine_ram_ptr(m, real, len);

	CHECK(p != NULL);
	return p;
}

/* The pointer is the mapped memory: reads see it, writes land in it, across pages. */
static void pointer_is_the_memory(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = pseries(NULL, &d);
	struct tce_dev_map *rd, *wr, *big;
	uint8_t *a, *b, *h;
	void *p;
	unsigned i;

	REQUIRE(m);
	a = ram(m, RAM_A, 3 << 12);
	b = ram(m, RAM_B, 4096);
	for (i = 0; i < (3 << 12); i++)
		a[i] = (uint8_t)(i * 13 + 5);
	put(m, 0x1000, RAM_A, TCE_PCI_READ);
	put(m, 0x2000, RAM_A + 0x1000, TCE_PCI_READ);
	put(m, 0x3000, RAM_A + 0x2000, TCE_PCI_READ);
	put(m, 0x8000, RAM_B, TCE_PCI_WRITE);
	CHECK_RC(tce_dev_dma_map(d, 0x1010, 64, false, &p, &rd), 0);
	CHECK(p == a + 0x10);
	CHECK(!memcmp(p, a + 0x10, 64));
	CHECK(tce_dev_dma_map_valid(rd));
	CHECK_RC(tce_dev_dma_map(d, 0x8100, 256, true, &p, &wr), 0);
	memset(p, 0xab, 256);
	CHECK_EQ(b[0x100], 0xab);
	CHECK_EQ(b[0x1ff], 0xab);
	CHECK_EQ(b[0x200], 0);
	/* Three pages on consecutive real pages: one run. */
	CHECK_RC(tce_dev_dma_map(d, 0x1800, 0x2000, false, &p, &big), 0);
	h = p;
	CHECK(h == a + 0x800);
	CHECK(!memcmp(h, a + 0x800, 0x2000));
	tce_dev_dma_unmap(rd);
	tce_dev_dma_unmap(wr);
	tce_dev_dma_unmap(big);
	tce_dev_dma_unmap(NULL);
	tce_machine_destroy(m);
}

/*
 * Translation and permissions as a DMA: a WRITE-only page cannot be mapped
 * for reading (PERMISSION, the PE frozen), an empty one at all (NO_TCE); a
 * frozen PE refuses with -EIO; pages on separate host runs give -ERANGE
 * with no fault.
 */
static void checked_as_a_dma(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = pseries(NULL, &d);
	struct tce_dev_map *map = (struct tce_dev_map *)&map;
	struct tce_fault f;
	void *p = &p;

	REQUIRE(m);
	put(m, 0x1000, RAM_A, TCE_PCI_READ);
	put(m, 0x2000, RAM_B, TCE_PCI_WRITE | TCE_PCI_READ);
	put(m, 0x3000, RAM_A + 0x1000, TCE_PCI_WRITE);
	CHECK_RC(tce_dev_dma_map(d, 0x1f00, 0x200, false, &p, &map), -ERANGE);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK_RC(tce_dev_dma_map(d, 0x3000, 8, false, &p, &map), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK_EQ(f.bus_addr, 0x3000);
	CHECK(!f.write);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 8, false, &p, &map), -EIO);
	tce_dev_eeh_thaw(d);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 8, true, &p, &map), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK(f.write);
	tce_dev_eeh_thaw(d);
	CHECK_RC(tce_dev_dma_map(d, 0x5000, 8, false, &p, &map), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_TCE);
	CHECK(p == &p && map == (struct tce_dev_map *)&map); /* outputs untouched */
	tce_machine_destroy(m);
}

/* powernv: owned tables on PE 0 and PE 1, both mapping bus pages 0..15 to RAM_A.. */
struct pnv {
	struct tce_machine *m;
	struct tce_pci_dev *d[2];
	struct tce_table *t[2];
};

static int pnv_up(struct pnv *o)
{
	struct tce_table_config cfg = { .window_size = 1 << 24, .page_shift = 12, .levels = 1 };
	int rc = tce_machine_create_default(TCE_PLATFORM_POWERNV, &o->m);
	unsigned i;

	if (!rc)
		rc = tce_machine_find_device(o->m, "0000:00:01.0", &o->d[0]);
	if (!rc)
		rc = tce_machine_find_device(o->m, "0000:00:02.0", &o->d[1]);
	for (i = 0; i < 2 && !rc; i++) {
		rc = tce_table_create(tce_machine_ctx(o->m), &cfg, &o->t[i]);
		if (!rc)
			rc = tce_fw_map_window(o->m, 0, i, 0, o->t[i]);
		if (!rc)
			rc = tce_table_set(o->t[i], 0, 16, RAM_A, TCE_DIR_BIDIRECTIONAL);
	}
	return rc;
}

static void pnv_down(struct pnv *o)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		tce_fw_map_window(o->m, 0, i, 0, NULL);
		tce_table_put(o->t[i]);
	}
	tce_machine_destroy(o->m);
}

/*
 * powernv: only a kill covering a byte of the range invalidates: the pages
 * around it, another page size's kill that misses it and any kill of
 * another PE leave it valid; a kill of its last page, of a larger page
 * holding it, or of the whole PE ends it.
 */
static void kill_of_the_range_invalidates(void)
{
	struct tce_dev_map *map, *other;
	struct pnv o;
	void *p;

	REQUIRE(pnv_up(&o) == 0);
	CHECK_RC(tce_dev_dma_map(o.d[0], 0x5800, 0x1000, false, &p, &map), 0); /* pages 5, 6 */
	CHECK_RC(tce_dev_dma_map(o.d[1], 0x5800, 0x1000, false, &p, &other), 0);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, 0x4000, 1), 0);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, 0x7000, 4), 0);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 16, 0x10000, 1), 0); /* 64 KiB page 1 */
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 1, 0, 0, 0), 0);        /* all of PE 1 */
	CHECK(tce_dev_dma_map_valid(map));
	CHECK(!tce_dev_dma_map_valid(other));
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, 0x6000, 1), 0);
	CHECK(!tce_dev_dma_map_valid(map));
	tce_dev_dma_unmap(map);
	CHECK_RC(tce_dev_dma_map(o.d[0], 0x5800, 0x1000, false, &p, &map), 0);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 16, 0, 1), 0);        /* 64 KiB page 0 holds it */
	CHECK(!tce_dev_dma_map_valid(map));
	tce_dev_dma_unmap(map);
	CHECK_RC(tce_dev_dma_map(o.d[0], 0x5800, 0x1000, false, &p, &map), 0);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 0, 0, 0), 0);
	CHECK(!tce_dev_dma_map_valid(map));
	tce_dev_dma_unmap(map);
	tce_dev_dma_unmap(other);
	pnv_down(&o);
}

/* pseries: H_PUT_TCE of one of its pages ends it; of another page it does not. */
static void hcall_of_the_range_invalidates(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = pseries(NULL, &d);
	struct tce_dev_map *map;
	void *p;

	REQUIRE(m);
	put(m, 0x1000, RAM_A, TCE_PCI_READ);
	put(m, 0x2000, RAM_A + 0x1000, TCE_PCI_READ);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 0x2000, false, &p, &map), 0);
	put(m, 0x3000, RAM_B, TCE_PCI_READ);
	CHECK(tce_dev_dma_map_valid(map));
	put(m, 0x2000, RAM_B, TCE_PCI_READ);
	CHECK(!tce_dev_dma_map_valid(map));
	tce_dev_dma_unmap(map);
	tce_machine_destroy(m);
}

/*
 * A freeze of the PE by another access's fault, or a PE reset, invalidates
 * it for good (a thaw does not bring it back); the other PE's maps stay.
 */
static void freeze_and_reset_invalidate(void)
{
	struct tce_dev_map *map, *other;
	struct pnv o;
	uint8_t b;
	void *p;

	REQUIRE(pnv_up(&o) == 0);
	CHECK_RC(tce_dev_dma_map(o.d[0], 0x1000, 8, false, &p, &map), 0);
	CHECK_RC(tce_dev_dma_map(o.d[1], 0x1000, 8, true, &p, &other), 0);
	CHECK_RC(tce_dev_dma_read(o.d[0], 0x100000, &b, 1), -EFAULT); /* no TCE */
	CHECK(!tce_dev_dma_map_valid(map));
	CHECK(tce_dev_dma_map_valid(other));
	tce_dev_eeh_thaw(o.d[0]);
	CHECK(!tce_dev_dma_map_valid(map));
	tce_dev_dma_unmap(map);
	CHECK_RC(tce_dev_dma_map(o.d[0], 0x1000, 8, false, &p, &map), 0);
	CHECK_RC(tce_fw_eeh_reset(o.m, 0, 0, TCE_EEH_RESET_HOT, true), 0);
	CHECK(!tce_dev_dma_map_valid(map));
	CHECK_RC(tce_fw_eeh_reset(o.m, 0, 0, 0, false), 0);
	CHECK(!tce_dev_dma_map_valid(map));
	CHECK(tce_dev_dma_map_valid(other));
	tce_dev_dma_unmap(map);
	tce_dev_dma_unmap(other);
	pnv_down(&o);
}

/* Bad arguments: -EINVAL, nothing translated (the cache untouched), outputs unchanged. */
static void bad_arguments(void)
{
	struct tce_pci_dev *d;
	struct tce_machine *m = pseries(NULL, &d);
	struct tce_dev_map *map = (struct tce_dev_map *)&map;
	struct tce_cache_stats before, after;
	void *p = &p;

	REQUIRE(m);
	put(m, 0x1000, RAM_A, TCE_PCI_READ);
	tce_dev_cache_stats(d, &before);
	CHECK_RC(tce_dev_dma_map(NULL, 0x1000, 8, false, &p, &map), -EINVAL);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 8, false, NULL, &map), -EINVAL);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 8, false, &p, NULL), -EINVAL);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, 0, false, &p, &map), -EINVAL);
	CHECK_RC(tce_dev_dma_map(d, 0x1000, (1u << 30) + 1, false, &p, &map), -EINVAL);
	CHECK_RC(tce_dev_dma_map(d, UINT64_MAX - 3, 8, false, &p, &map), -EINVAL);
	tce_dev_cache_stats(d, &after);
	CHECK_EQ(after.hits + after.misses, before.hits + before.misses);
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK(p == &p && map == (struct tce_dev_map *)&map);
	tce_machine_destroy(m);
}

/*
 * Fail-Nth over mapping 20 pages (the map and its plan are allocated): each
 * failure is -ENOMEM with nothing mapped, no fault and no leak.
 */
static void fail_nth_map(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_dev_map *map = NULL;
	struct tce_pci_dev *d;
	struct tce_machine *m;
	uint64_t n, i;
	void *p = NULL;
	int rc = -1;

	for (n = 1; n < 10 && rc; n++) {
		m = pseries(ctx, &d);
		REQUIRE(m);
		for (i = 0; i < 20; i++)
			put(m, 0x10000 + (i << 12), RAM_A + (i << 12), TCE_PCI_READ);
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_dev_dma_map(d, 0x10000, 20 << 12, false, &p, &map);
		CHECK(rc == 0 || rc == -ENOMEM);
		CHECK(rc == 0 || !tce_ctx_fail_nth_armed(ctx));
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK(!tce_dev_eeh_frozen(d, NULL));
		if (!rc) {
			CHECK(p == tce_machine_ram_ptr(m, RAM_A, 20 << 12));
			tce_dev_dma_unmap(map);
		}
		tce_machine_destroy(m);
		tt_no_leak(ctx);
	}
	CHECK_RC(rc, 0);
	CHECK_EQ(n, 4); /* the map, then its plan, failed once each */
	tt_ctx_done(ctx);
}

/* One 8-byte read of bus @bus by @d: 0 and the word, or the error. */
static int rd8(struct tce_pci_dev *d, uint64_t bus, uint64_t *v)
{
	*v = 0;
	return tce_dev_dma_read(d, bus, v, 8);
}

/*
 * Repeated one-page DMA (served from the function's last-page translation)
 * behaves exactly as the TCE cache does: a repeat is one hit; an unkilled
 * TCE change is not seen (as the cache), a kill of another page changes
 * nothing, a kill of the page is seen at once; a page read is not reused
 * for a write its TCE forbids; an armed injection, a freeze and another
 * device on the same PE each see their own translation.
 */
static void repeated_page_sees_kills(void)
{
	struct tce_cache_stats st, now;
	struct tce_fault f;
	struct pnv o;
	uint64_t v, w = 7;

	REQUIRE(pnv_up(&o) == 0);
	*(uint64_t *)ram(o.m, RAM_A + 0x5008, 8) = 0xaaaa;
	*(uint64_t *)ram(o.m, RAM_B + 0x8, 8) = 0xbbbb;
	CHECK_RC(tce_table_set(o.t[0], 5, 1, RAM_A + 0x5000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	tce_dev_cache_stats(o.d[0], &st);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_EQ(v, 0xaaaa);
	tce_dev_cache_stats(o.d[0], &now);
	CHECK_EQ(now.hits - st.hits, 1);
	CHECK_EQ(now.misses, st.misses);
	/* Changed without a kill: still the old page; a kill elsewhere: still. */
	CHECK_RC(tce_table_set(o.t[0], 5, 1, RAM_B, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_EQ(v, 0xaaaa);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, 0x7000, 1), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_EQ(v, 0xaaaa);
	CHECK_RC(tce_fw_tce_kill(o.m, 0, 0, 12, 0x5000, 1), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_EQ(v, 0xbbbb);
	/* The page is READ only: a write after the reads faults. */
	CHECK_RC(tce_dev_dma_write(o.d[0], 0x5008, &w, 8), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(o.d[0], &f));
	CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	CHECK_EQ(*(uint64_t *)ram(o.m, RAM_B + 0x8, 8), 0xbbbb);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), -EIO); /* frozen */
	tce_dev_eeh_thaw(o.d[0]);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	/* An armed DMA-read injection matching the page fires on the next read. */
	CHECK_RC(tce_fw_eeh_inject(o.m, 0, 0, TCE_EEH_ERR_TYPE_64, TCE_EEH_ERR_FUNC_DMA_RD_ADDR,
				   0x5000, ~0xfffULL), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(o.d[0], &f));
	CHECK_EQ(f.reason, TCE_FAULT_INJECTED);
	tce_dev_eeh_thaw(o.d[0]);
	/*
	 * Armed for one word of a page: reads of the page's other words while
	 * armed are not remembered, so the next read of that word still fires.
	 */
	CHECK_RC(tce_fw_eeh_inject(o.m, 0, 0, TCE_EEH_ERR_TYPE_64, TCE_EEH_ERR_FUNC_DMA_RD_ADDR,
				   0x5010, ~0ULL), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_RC(rd8(o.d[0], 0x5010, &v), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(o.d[0], &f));
	CHECK_EQ(f.reason, TCE_FAULT_INJECTED);
	tce_dev_eeh_thaw(o.d[0]);
	/* Device 00:02.0 (PE 1) reads its own table at the same bus address. */
	CHECK_RC(rd8(o.d[1], 0x5008, &v), 0);
	CHECK_EQ(v, 0xaaaa);
	CHECK_RC(rd8(o.d[0], 0x5008, &v), 0);
	CHECK_EQ(v, 0xbbbb);
	pnv_down(&o);
}

/*
 * A function remembers many pages, each exactly as long as the TCE cache
 * keeps its TCE: a page read again is a hit, and an unkilled TCE change is
 * still not seen; once other pages' fills have evicted its TCE from the
 * cache, the next read goes to the table and sees the change (the pages
 * read meanwhile never share the remembered page's entry, so only the
 * cache's eviction can end it).
 */
static void remembered_pages_follow_the_cache(void)
{
	const uint64_t page = 5, n = 1024, alt = RAM_A + n * 4096; /* past the n pages */
	struct tce_cache_stats st, now;
	struct pnv o;
	uint64_t v, i;

	REQUIRE(pnv_up(&o) == 0);
	CHECK_RC(tce_table_set(o.t[0], 0, n, RAM_A, TCE_DIR_TO_DEVICE), 0);
	for (i = 0; i < n; i++)
		*(uint64_t *)ram(o.m, RAM_A + i * 4096 + 8, 8) = 0x1000 + i;
	*(uint64_t *)ram(o.m, alt + 8, 8) = 0xbbbb;
	for (i = 0; i < 32; i++) { /* 32 pages: each read twice, the second a hit */
		CHECK_RC(rd8(o.d[0], i * 4096 + 8, &v), 0);
		CHECK_EQ(v, 0x1000 + i);
	}
	tce_dev_cache_stats(o.d[0], &st);
	for (i = 0; i < 32; i++) {
		CHECK_RC(rd8(o.d[0], i * 4096 + 8, &v), 0);
		CHECK_EQ(v, 0x1000 + i);
	}
	tce_dev_cache_stats(o.d[0], &now);
	CHECK_EQ(now.hits - st.hits, 32);
	CHECK_EQ(now.misses, st.misses);
	/* Changed without a kill: the old page, however often it is read. */
	CHECK_RC(tce_table_set(o.t[0], page, 1, alt, TCE_DIR_TO_DEVICE), 0);
	for (i = 0; i < 3; i++) {
		CHECK_RC(rd8(o.d[0], page * 4096 + 8, &v), 0);
		CHECK_EQ(v, 0x1000 + page);
	}
	/* 992 other pages, none remembered where the page is: the cache evicts it. */
	for (i = 32; i < n; i++) {
		if (i % TCE_DEV_TLB_WAYS_TEST == page % TCE_DEV_TLB_WAYS_TEST)
			continue;
		CHECK_RC(rd8(o.d[0], i * 4096 + 8, &v), 0);
		CHECK_EQ(v, 0x1000 + i);
	}
	tce_dev_cache_stats(o.d[0], &st);
	CHECK_RC(rd8(o.d[0], page * 4096 + 8, &v), 0);
	CHECK_EQ(v, 0xbbbb);
	tce_dev_cache_stats(o.d[0], &now);
	CHECK_EQ(now.misses - st.misses, 1);
	pnv_down(&o);
}

/*
 * A bypass window's page is remembered too, until the slot changes: a read
 * after the window is gone faults as one outside any window.
 */
static void bypass_page_ends_with_the_slot(void)
{
	const uint64_t base = TCE_PNV_WINDOW1_BASE;
	struct tce_fault f;
	struct pnv o;
	uint64_t v;

	REQUIRE(pnv_up(&o) == 0);
	*(uint64_t *)ram(o.m, RAM_A + 8, 8) = 0xaaaa;
	CHECK_RC(tce_fw_map_window_real(o.m, 0, 0, 1, base, 1ULL << 32), 0);
	CHECK_RC(rd8(o.d[0], base + RAM_A + 8, &v), 0);
	CHECK_RC(rd8(o.d[0], base + RAM_A + 8, &v), 0);
	CHECK_EQ(v, 0xaaaa);
	CHECK_RC(tce_fw_map_window_real(o.m, 0, 0, 1, 0, 0), 0);
	CHECK_RC(rd8(o.d[0], base + RAM_A + 8, &v), -EFAULT);
	REQUIRE(tce_dev_eeh_frozen(o.d[0], &f));
	CHECK_EQ(f.reason, TCE_FAULT_NO_WINDOW);
	pnv_down(&o);
}

/*
 * A bypass window smaller than a page (16 bytes at the start of a page, or
 * at 0x100 of it) is never remembered for the whole page: after reads
 * inside it, reads of the same page outside it still fault (and touch
 * nothing before RAM), as does a read running past its end.
 */
static void bypass_window_inside_a_page(void)
{
	const uint64_t base = TCE_PNV_WINDOW1_BASE;
	static const struct {
		uint64_t start, in, out;
	} c[] = {
		{ 0, 0x8, 0x900 }, { 0, 0x8, 0x10 }, { 0, 0x8, 0xc },
		{ 0x100, 0x108, 0x900 }, { 0x100, 0x108, 0x0 }, { 0x100, 0x108, 0x10c },
	};
	struct tce_fault f;
	struct pnv o;
	uint64_t v, i;

	REQUIRE(pnv_up(&o) == 0);
	*(uint64_t *)ram(o.m, 8, 8) = 0x5555;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CHECK_RC(tce_fw_map_window_real(o.m, 0, 0, 1, base + c[i].start, 16), 0);
		CHECK_RC(rd8(o.d[0], base + c[i].in, &v), 0); /* real 8 */
		CHECK_RC(rd8(o.d[0], base + c[i].in, &v), 0);
		CHECK_EQ(v, 0x5555);
		CHECK_RC(rd8(o.d[0], base + c[i].out, &v), -EFAULT);
		REQUIRE(tce_dev_eeh_frozen(o.d[0], &f));
		CHECK_EQ(f.reason, TCE_FAULT_NO_WINDOW);
		tce_dev_eeh_thaw(o.d[0]);
	}
	pnv_down(&o);
}

static unsigned mem_calls;

static void *counting_mem(void *arg, uint64_t real, size_t len)
{
	uint8_t *ram = arg;

	mem_calls++;
	return real < (1u << 24) && len <= (1u << 24) - real ? ram + real : NULL;
}

/* A caller's memory model is asked for every DMA, however often the page repeats. */
static void memory_model_asked_every_time(void)
{
	static uint8_t mem[1 << 24];
	struct tce_machine_config c = { .mem = counting_mem, .mem_arg = mem };
	struct tce_machine *ref, *m;
	struct tce_pci_dev *d;
	uint64_t v;
	unsigned i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	c.dtb = tce_machine_fdt(ref), c.dtb_size = tce_machine_fdt_size(ref);
	REQUIRE(tce_machine_create(&c, &m) == 0);
	REQUIRE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	put(m, 0x1000, RAM_A, TCE_PCI_READ);
	mem_calls = 0;
	for (i = 0; i < 5; i++)
		CHECK_RC(rd8(d, 0x1000, &v), 0);
	CHECK_EQ(mem_calls, 5);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
}

static const struct tt_case cases[] = {
	TT_CASE(pointer_is_the_memory),
	TT_CASE(checked_as_a_dma),
	TT_CASE(kill_of_the_range_invalidates),
	TT_CASE(hcall_of_the_range_invalidates),
	TT_CASE(freeze_and_reset_invalidate),
	TT_CASE(bad_arguments),
	TT_CASE(fail_nth_map),
	TT_CASE(repeated_page_sees_kills),
	TT_CASE(remembered_pages_follow_the_cache),
	TT_CASE(bypass_page_ends_with_the_slot),
	TT_CASE(bypass_window_inside_a_page),
	TT_CASE(memory_model_asked_every_time),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
