/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked arithmetic for every address boundary: additions that report
 * overflow, range checks on half-open ranges, powers of two and 64-bit masks.
 * Layer: util. Includes only the C library.
 */
#ifndef TCE_UTIL_ARITH_H
#define TCE_UTIL_ARITH_H

#include <stdbool.h>
#include <stdint.h>

/* True if a + b overflows 64 bits; otherwise *sum is a + b. */
static inline bool tce__add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

/* True if a * b overflows 64 bits; otherwise *prod is a * b. */
static inline bool tce__mul_overflows(uint64_t a, uint64_t b, uint64_t *prod)
{
	return __builtin_mul_overflow(a, b, prod);
}

/* True if [start, start + n) is non-empty and inside [lo, hi). */
static inline bool tce__range_inside(uint64_t start, uint64_t n, uint64_t lo, uint64_t hi)
{
	uint64_t end;

	if (n == 0 || start < lo || tce__add_overflows(start, n, &end))
		return false;
	return end <= hi;
}

static inline bool tce__is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* floor(log2(x)) for x > 0. */
static inline uint32_t tce__ilog2(uint64_t x)
{
	return 63u - (uint32_t)__builtin_clzll(x);
}

/* A mask of the low @shift bits, valid for shift 0..64. */
static inline uint64_t tce__low_mask(uint32_t shift)
{
	return shift >= 64 ? ~0ULL : (1ULL << shift) - 1;
}

static inline uint32_t tce__max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static inline uint64_t tce__min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t tce__max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ceil(a / b) for b > 0, without overflow. */
static inline uint64_t tce__div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

#endif /* TCE_UTIL_ARITH_H */
