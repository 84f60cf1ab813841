/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bitmap primitives over 64-bit words: range set and clear, population
 * counts and searches for set bits, zero bits and aligned zero runs. They
 * work a word at a time so their cost follows the range in words, not bits.
 * Words are read and written with relaxed atomic accesses, so a reader that
 * holds no lock never races a writer that holds the word's lock; the _atomic
 * functions also make the read-modify-write itself atomic. Layer: util.
 */
#include "util/bitmap.h"

#include "util/arith.h"

/* Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(uint32_t lo, uint32_t hi)
{
	return tce__low_mask(hi) & ~tce__low_mask(lo);
}

/* Apply fn to each word of [start, start + n) with the mask of its bits. */
#define FOR_EACH_WORD(start, n, w, mask, body)                                       \
	do {                                                                          \
		uint64_t pos_ = (start), end_ = (start) + (n);                            \
		while (pos_ < end_) {                                                     \
			uint64_t w = pos_ / 64;                                               \
			uint32_t lo_ = (uint32_t)(pos_ % 64);                                 \
			uint32_t hi_ = (uint32_t)tce__min_u64(64, end_ - w * 64);             \
			uint64_t mask = word_mask(lo_, hi_);                                  \
			body;                                                                 \
			pos_ = w * 64 + hi_;                                                  \
		}                                                                         \
	} while (0)

static inline uint64_t word_get(const uint64_t *map, uint64_t w)
{
	return __atomic_load_n(&map[w], __ATOMIC_RELAXED);
}

static inline void word_put(uint64_t *map, uint64_t w, uint64_t v)
{
	__atomic_store_n(&map[w], v, __ATOMIC_RELAXED);
}

void tce__bitmap_set(uint64_t *map, uint64_t start, uint64_t n)
{
	FOR_EACH_WORD(start, n, w, mask, word_put(map, w, word_get(map, w) | mask));
}

void tce__bitmap_clear(uint64_t *map, uint64_t start, uint64_t n)
{
	FOR_EACH_WORD(start, n, w, mask, word_put(map, w, word_get(map, w) & ~mask));
}

uint64_t tce__bitmap_weight(const uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t count = 0;

	FOR_EACH_WORD(start, n, w, mask,
		      count += (uint64_t)__builtin_popcountll(word_get(map, w) & mask));
	return count;
}

bool tce__bitmap_claim_atomic(uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t old;

	FOR_EACH_WORD(start, n, w, mask, {
		old = __atomic_fetch_or(&map[w], mask, __ATOMIC_ACQ_REL);
		if (old & mask) {
			/* Undo the bits this call set, this word included. */
			__atomic_fetch_and(&map[w], ~(mask & ~old), __ATOMIC_RELEASE);
			if (w * 64 > start)
				tce__bitmap_release_atomic(map, start, w * 64 - start);
			return false;
		}
	});
	return true;
}

void tce__bitmap_release_atomic(uint64_t *map, uint64_t start, uint64_t n)
{
	FOR_EACH_WORD(start, n, w, mask, __atomic_fetch_and(&map[w], ~mask, __ATOMIC_RELEASE));
}

bool tce__bitmap_range_zero(const uint64_t *map, uint64_t start, uint64_t n)
{
	return tce__bitmap_next_set(map, start, start + n) == TCE_BITMAP_NONE;
}

/* Shared search: @invert selects zero bits instead of set bits. */
static uint64_t find_next(const uint64_t *map, uint64_t start, uint64_t end, uint64_t invert)
{
	uint64_t w, word;

	if (start >= end)
		return TCE_BITMAP_NONE;
	w = start / 64;
	word = (word_get(map, w) ^ invert) & ~tce__low_mask((uint32_t)(start % 64));
	while (word == 0) {
		if (++w * 64 >= end)
			return TCE_BITMAP_NONE;
		word = word_get(map, w) ^ invert;
	}
	start = w * 64 + (uint64_t)__builtin_ctzll(word);
	return start < end ? start : TCE_BITMAP_NONE;
}

uint64_t tce__bitmap_next_set(const uint64_t *map, uint64_t start, uint64_t end)
{
	return find_next(map, start, end, 0);
}

uint64_t tce__bitmap_next_zero(const uint64_t *map, uint64_t start, uint64_t end)
{
	return find_next(map, start, end, ~0ULL);
}

uint64_t tce__bitmap_find_zero_area(const uint64_t *map, uint64_t start, uint64_t end,
				    uint64_t n, uint64_t align_mask)
{
	uint64_t idx = start, busy, last;

	if (n == 0)
		return TCE_BITMAP_NONE;
	for (;;) {
		idx = tce__bitmap_next_zero(map, idx, end);
		if (idx == TCE_BITMAP_NONE)
			return TCE_BITMAP_NONE;
		if (tce__add_overflows(idx, align_mask, &idx))
			return TCE_BITMAP_NONE;
		idx &= ~align_mask;
		if (tce__add_overflows(idx, n, &last) || last > end)
			return TCE_BITMAP_NONE;
		busy = tce__bitmap_next_set(map, idx, last);
		if (busy == TCE_BITMAP_NONE)
			return idx;
		idx = busy + 1;
	}
}
