/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the util layer's private helpers (bitmaps, checked
 * arithmetic), linked from the internal static library, each checked
 * against a bit-by-bit reference over random ranges.
 */
#include <string.h>

#include "harness.h"
#include "util/arith.h"
#include "util/bitmap.h"

#define NBITS 1000

static bool ref[NBITS];
static uint64_t map[(NBITS + 63) / 64];

static void ref_apply(uint64_t start, uint64_t n, bool v)
{
	for (uint64_t i = start; i < start + n; i++)
		ref[i] = v;
}

static void random_ranges_agree(void)
{
	uint64_t seed = tt_seed(), i, start, n, w, want, got;

	memset(ref, 0, sizeof(ref));
	memset(map, 0, sizeof(map));
	for (i = 0; i < 20000 && !tt_failed(); i++) {
		start = tt_below(&seed, NBITS);
		n = tt_below(&seed, NBITS - start + 1);
		switch (tt_below(&seed, 5)) {
		case 0:
			tce__bitmap_set(map, start, n);
			ref_apply(start, n, true);
			break;
		case 1:
			tce__bitmap_clear(map, start, n);
			ref_apply(start, n, false);
			break;
		case 2:
			for (w = 0, want = 0; w < n; w++)
				want += ref[start + w];
			CHECK_EQ(tce__bitmap_weight(map, start, n), want);
			break;
		case 3:
			for (want = start; want < start + n && !ref[want]; want++)
				;
			got = tce__bitmap_next_set(map, start, start + n);
			CHECK_EQ(got, want == start + n ? TCE_BITMAP_NONE : want);
			break;
		default:
			for (want = start; want < start + n && ref[want]; want++)
				;
			got = tce__bitmap_next_zero(map, start, start + n);
			CHECK_EQ(got, want == start + n ? TCE_BITMAP_NONE : want);
			break;
		}
	}
	for (i = 0; i < NBITS; i++)
		CHECK_EQ(tce__bitmap_test(map, i), ref[i]);
}

/* The reference zero-area search: first aligned fit, bit by bit. */
static uint64_t ref_zero_area(uint64_t start, uint64_t end, uint64_t n, uint64_t align)
{
	uint64_t i, k;

	for (i = (start + align - 1) / align * align; i + n <= end; i += align) {
		for (k = 0; k < n && !ref[i + k]; k++)
			;
		if (k == n)
			return i;
	}
	return TCE_BITMAP_NONE;
}

static void zero_area_agrees(void)
{
	uint64_t seed = tt_seed() ^ 0x55, i, start, end, n, align;

	memset(ref, 0, sizeof(ref));
	memset(map, 0, sizeof(map));
	for (i = 0; i < 600; i++) {
		start = tt_below(&seed, NBITS);
		n = 1 + tt_below(&seed, 8);
		tce__bitmap_set(map, start, tce__min_u64(n, NBITS - start));
		ref_apply(start, tce__min_u64(n, NBITS - start), true);
	}
	for (i = 0; i < 20000 && !tt_failed(); i++) {
		start = tt_below(&seed, NBITS);
		end = start + tt_below(&seed, NBITS - start + 1);
		n = 1 + tt_below(&seed, 12);
		align = 1ULL << tt_below(&seed, 5);
		CHECK_EQ(tce__bitmap_find_zero_area(map, start, end, n, align - 1),
			 ref_zero_area(start, end, n, align));
	}
	CHECK_EQ(tce__bitmap_find_zero_area(map, 0, NBITS, 0, 0), TCE_BITMAP_NONE);
}

/*
 * A claim is all or nothing: it sets every bit of the range when none was
 * set, and otherwise leaves the whole map as it found it, whichever word of
 * a multi-word range holds the conflict. A release clears exactly its range.
 */
static void claim_all_or_nothing(void)
{
	uint64_t seed = tt_seed() ^ 0xc1a1, i, start, n, k;
	uint64_t before[sizeof(map) / sizeof(map[0])];
	bool free_range;

	memset(ref, 0, sizeof(ref));
	memset(map, 0, sizeof(map));
	for (i = 0; i < 20000 && !tt_failed(); i++) {
		start = tt_below(&seed, NBITS);
		n = 1 + tt_below(&seed, tce__min_u64(NBITS - start, 200));
		if (tt_below(&seed, 3) == 0) {
			tce__bitmap_release_atomic(map, start, n);
			ref_apply(start, n, false);
			continue;
		}
		for (k = 0, free_range = true; k < n; k++)
			free_range = free_range && !ref[start + k];
		memcpy(before, map, sizeof(map));
		CHECK_EQ(tce__bitmap_claim_atomic(map, start, n), free_range);
		if (free_range)
			ref_apply(start, n, true);
		else
			CHECK(memcmp(before, map, sizeof(map)) == 0);
	}
	for (i = 0; i < NBITS; i++)
		CHECK_EQ(tce__bitmap_test(map, i), ref[i]);

	/* The conflict in the third word of a range that starts mid-word. */
	memset(map, 0, sizeof(map));
	tce__bitmap_set(map, 140, 1);
	CHECK(!tce__bitmap_claim_atomic(map, 10, 200));
	CHECK_EQ(tce__bitmap_weight(map, 0, NBITS), 1);
	CHECK(tce__bitmap_test(map, 140));
}

static void arithmetic(void)
{
	uint64_t s;

	CHECK(tce__add_overflows(~0ULL, 1, &s));
	CHECK(!tce__add_overflows(~0ULL - 1, 1, &s));
	CHECK_EQ(s, ~0ULL);
	CHECK(tce__mul_overflows(1ULL << 32, 1ULL << 32, &s));
	CHECK(tce__range_inside(10, 5, 10, 15));
	CHECK(!tce__range_inside(10, 6, 10, 15));
	CHECK(!tce__range_inside(9, 1, 10, 15));
	CHECK(!tce__range_inside(10, 0, 10, 15));
	CHECK(!tce__range_inside(~0ULL, 2, 0, ~0ULL));
	CHECK(tce__is_pow2(1ULL << 63));
	CHECK(!tce__is_pow2(0));
	CHECK(!tce__is_pow2(6));
	CHECK_EQ(tce__ilog2(1ULL << 34), 34);
	CHECK_EQ(tce__ilog2(3), 1);
	CHECK_EQ(tce__low_mask(34), (1ULL << 34) - 1);
	CHECK_EQ(tce__low_mask(64), ~0ULL);
	CHECK_EQ(tce__div_round_up(~0ULL, 2), 1ULL << 63);
}

static const struct tt_case cases[] = {
	TT_CASE(random_ranges_agree),
	TT_CASE(zero_area_agrees),
	TT_CASE(claim_all_or_nothing),
	TT_CASE(arithmetic),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
