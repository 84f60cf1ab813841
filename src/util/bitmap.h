/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bitmaps of 64-bit words, bit i at word i / 64, bit i % 64. Ranges are
 * [start, start + n). Words are accessed with relaxed atomics; only the
 * _atomic functions are safe against concurrent writers of the same word,
 * the others need the caller's lock.
 * Layer: util. Includes only the C library.
 */
#ifndef TCE_UTIL_BITMAP_H
#define TCE_UTIL_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCE_BITMAP_NONE UINT64_MAX

static inline size_t tce__bitmap_words(uint64_t nbits)
{
	return (size_t)((nbits + 63) / 64);
}

static inline bool tce__bitmap_test(const uint64_t *map, uint64_t bit)
{
	return (__atomic_load_n(&map[bit / 64], __ATOMIC_RELAXED) >> (bit % 64)) & 1;
}

void tce__bitmap_set(uint64_t *map, uint64_t start, uint64_t n);
void tce__bitmap_clear(uint64_t *map, uint64_t start, uint64_t n);

/*
 * Set every bit of [start, start + n) if none was set, atomically per word;
 * otherwise change nothing and return false.
 */
bool tce__bitmap_claim_atomic(uint64_t *map, uint64_t start, uint64_t n);
/* Clear [start, start + n) with atomic read-modify-writes. */
void tce__bitmap_release_atomic(uint64_t *map, uint64_t start, uint64_t n);

/* Number of set bits in [start, start + n). */
uint64_t tce__bitmap_weight(const uint64_t *map, uint64_t start, uint64_t n);

/* First set (or zero) bit in [start, end), or TCE_BITMAP_NONE. */
uint64_t tce__bitmap_next_set(const uint64_t *map, uint64_t start, uint64_t end);
uint64_t tce__bitmap_next_zero(const uint64_t *map, uint64_t start, uint64_t end);

/* True if every bit of [start, start + n) is zero. */
bool tce__bitmap_range_zero(const uint64_t *map, uint64_t start, uint64_t n);

/*
 * First run of @n zero bits inside [start, end) whose first index is a
 * multiple of @align_mask + 1 (a power of two), or TCE_BITMAP_NONE.
 */
uint64_t tce__bitmap_find_zero_area(const uint64_t *map, uint64_t start, uint64_t end,
				    uint64_t n, uint64_t align_mask);

#endif /* TCE_UTIL_BITMAP_H */
