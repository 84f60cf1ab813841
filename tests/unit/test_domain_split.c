/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain's page-size splitting (iommu_pgsize(), spec kernel.md §5)
 * against a brute-force reference: page by page, the largest size of the
 * bitmap that divides both the iova and the paddr and fits what is left.
 * Over random bitmaps, iova, paddr and sizes aligned to the smallest page,
 * the (pgsize, count) runs the splitter returns, expanded into pages, must
 * be exactly the reference's pages, and every run must be whole pages of a
 * supported size. White-box: the layer's header. Also the dirty log's
 * extent set when it is full.
 */
#include <string.h>

#include "domain/domain.h"
#include "harness.h"

#define MAXPAGES 4096

/* The reference: the page mapped at @iova -> @paddr with @left bytes left. */
static uint64_t ref_page(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t left)
{
	uint64_t best = 0;

	for (uint32_t b = 0; b < 64; b++) {
		uint64_t s = 1ull << b;

		if ((bitmap & s) && s <= left && !(iova % s) && !(paddr % s))
			best = s;
	}
	return best;
}

static uint64_t rand_bitmap(uint64_t *st)
{
	uint64_t bm = 0;
	uint32_t n = 1 + (uint32_t)tt_below(st, 4);

	while (n--)
		bm |= 1ull << (12 + tt_below(st, 14)); /* 4 KiB .. 32 MiB */
	return bm;
}

/* A random multiple of @min with a random tail of alignment. */
static uint64_t rand_addr(uint64_t *st, uint64_t min)
{
	uint64_t a = tt_rand(st) & ((1ull << 40) - 1);

	a &= ~(min - 1);
	if (tt_below(st, 3) == 0)
		a &= ~((1ull << (20 + tt_below(st, 8))) - 1); /* often well aligned */
	return a;
}

/* Compare one split against the reference; false on the first difference. */
static bool split_matches(uint64_t bm, uint64_t iova, uint64_t paddr, uint64_t size)
{
	uint64_t done = 0, count, pg, i;

	while (done < size) {
		pg = tce__domain_pgsize(bm, iova + done, paddr + done, size - done, &count);
		if (!pg || !(bm & pg) || !count || pg * count > size - done) {
			tt_fail(__FILE__, __LINE__, "bad run %#llx x %llu at %#llx of %#llx",
				(unsigned long long)pg, (unsigned long long)count,
				(unsigned long long)done, (unsigned long long)size);
			return false;
		}
		for (i = 0; i < count; i++, done += pg) {
			uint64_t want = ref_page(bm, iova + done, paddr + done, size - done);

			if (want != pg) {
				tt_fail(__FILE__, __LINE__, "bm %#llx iova %#llx paddr %#llx size "
					"%#llx: page %#llx at +%#llx, reference %#llx",
					(unsigned long long)bm, (unsigned long long)iova,
					(unsigned long long)paddr, (unsigned long long)size,
					(unsigned long long)pg, (unsigned long long)done,
					(unsigned long long)want);
				return false;
			}
		}
	}
	return true;
}

static void test_split_oracle(void)
{
	uint64_t st = tt_seed(), runs = (uint64_t)(20000 * tt_scale()) + 100;

	for (uint64_t r = 0; r < runs && !tt_failed(); r++) {
		uint64_t bm = rand_bitmap(&st), min = bm & -bm;
		uint64_t pages = 1 + tt_below(&st, MAXPAGES);
		uint64_t iova = rand_addr(&st, min), paddr = rand_addr(&st, min);

		if (tt_below(&st, 4) == 0) /* same offset in large pages: the large ones can be used */
			paddr = (paddr & ~((1ull << 26) - 1)) | (iova & ((1ull << 26) - 1));
		split_matches(bm, iova, paddr, pages * min);
	}
}

/* Fixed cases worked by hand: the runs iommu_pgsize() gives. */
static void test_split_cases(void)
{
	uint64_t bm = (1ull << 12) | (1ull << 16) | (1ull << 21), count;

	/* 4 KiB-aligned start: 4 KiB pages up to the 64 KiB boundary */
	CHECK_EQ(tce__domain_pgsize(bm, 0x3000, 0x3000, 0x400000, &count), 0x1000);
	CHECK_EQ(count, 13);
	/* then 64 KiB pages up to 2 MiB */
	CHECK_EQ(tce__domain_pgsize(bm, 0x10000, 0x10000, 0x400000, &count), 0x10000);
	CHECK_EQ(count, 31);
	CHECK_EQ(tce__domain_pgsize(bm, 0x200000, 0x200000, 0x400000, &count), 0x200000);
	CHECK_EQ(count, 2);
	/* iova and paddr differ within 64 KiB: 4 KiB pages throughout */
	CHECK_EQ(tce__domain_pgsize(bm, 0x10000, 0x11000, 0x400000, &count), 0x1000);
	CHECK_EQ(count, 0x400);
	/* no size fits: unaligned input */
	CHECK_EQ(tce__domain_pgsize(bm, 0x800, 0, 0x1000, &count), 0);
	CHECK_EQ(tce__domain_pgsize(bm, 0, 0, 0x800, &count), 0);
	CHECK_EQ(tce__domain_pgsize(bm, 0, 0, 0, &count), 0);
	/* zero addresses: the largest page that fits the size */
	CHECK_EQ(tce__domain_pgsize(bm, 0, 0, 0x230000, &count), 0x200000);
	CHECK_EQ(count, 1);
}

/*
 * A full extent set (the dirty log when a clear failed more often than its
 * room allows) takes a range it has no room for into its nearest extent,
 * widened over the gap, and says so; a range that touches or overlaps one
 * merges as ever, and so does one that exactly fills the gap between two
 * (the flush that lost a page before session 6 dropped it as "no room").
 * No page of any added range is ever left out.
 */
static void test_full_set_widens(void)
{
	struct tce_ctx *ctx = NULL;
	struct tce__dset s = { 0 };
	size_t n;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tce__dset_reserve(ctx, &s, 2) == 0);
	while (s.n < s.cap) /* extents at 0x10000 * (k + 1), 0x1000 long */
		CHECK(tce__dset_add(&s, 0x10000 * (s.n + 1), 0x10000 * (s.n + 1) + 0x1000));
	CHECK(tce__dset_add(&s, 0x11000, 0x12000)); /* touches extent 0: merges */
	CHECK_EQ(s.v[0].end, 0x12000);
	/* Nearer the extent after it: that one starts lower. */
	CHECK(!tce__dset_add(&s, 0x1e000, 0x1f000));
	CHECK_EQ(s.v[1].start, 0x1e000);
	CHECK_EQ(s.v[0].end, 0x12000);
	/* Nearer the extent before it: that one ends higher. */
	CHECK(!tce__dset_add(&s, 0x22000, 0x23000));
	CHECK_EQ(s.v[1].end, 0x23000);
	/* Before the first and past the last: the only neighbour. */
	CHECK(!tce__dset_add(&s, 0x1000, 0x2000));
	CHECK_EQ(s.v[0].start, 0x1000);
	CHECK(!tce__dset_add(&s, 0x10000 * (s.n + 5), 0x10000 * (s.n + 5) + 0x1000));
	CHECK_EQ(s.v[s.n - 1].end, 0x10000 * (s.n + 5) + 0x1000);
	CHECK_EQ(s.n, s.cap);
	for (size_t k = 1; k < s.n; k++)
		CHECK(s.v[k - 1].end < s.v[k].start);
	/*
	 * Exactly the gap between two extents, in a full set: it joins them
	 * (one extent fewer), so it needs no room and nothing is widened.
	 */
	{
		uint64_t lo = s.v[0].start, gap = s.v[0].end, gap_end = s.v[1].start,
			 hi = s.v[1].end;

		n = s.n;
		CHECK(tce__dset_add(&s, gap, gap_end));
		CHECK_EQ(s.n, n - 1);
		CHECK_EQ(s.v[0].start, lo);
		CHECK_EQ(s.v[0].end, hi);
	}
	/* A range over three extents and the gaps between them: one extent is left. */
	n = s.n;
	CHECK(tce__dset_add(&s, s.v[1].start + 1, s.v[3].end - 1));
	CHECK_EQ(s.n, n - 2);
	CHECK(s.v[1].end < s.v[2].start);
	tce__dset_fini(ctx, &s);
	tce_ctx_destroy(ctx);
}

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = {
		TT_CASE(test_split_cases), TT_CASE(test_split_oracle), TT_CASE(test_full_set_widens),
	};

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
