/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-tree test harness: each test binary lists its cases and runs them
 * with tt_main(), which prints TAP ("ok 3 - name") so that meson and the
 * summary script count individual cases. CHECK macros record a failure with
 * its location and let the case continue; REQUIRE stops the case.
 */
#ifndef TCE_TESTS_HARNESS_H
#define TCE_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tt_case {
	const char *name;
	void (*fn)(void);
};

#define TT_CASE(fn) { #fn, fn }

/* Run @n cases; argv[1], if given, selects cases whose name contains it. */
int tt_main(const struct tt_case *cases, size_t n, int argc, char **argv);

/* Record a failure of the running case. */
void tt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True once the running case has failed (to stop long loops early). */
bool tt_failed(void);

/* The seed of randomized tests: TCE_TEST_SEED or a fixed default. */
uint64_t tt_seed(void);

/* A scale factor for long tests: TCE_TEST_SCALE (default 1; sanitizer runs lower it). */
double tt_scale(void);

/* splitmix64: a small deterministic PRNG. */
static inline uint64_t tt_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static inline uint64_t tt_below(uint64_t *state, uint64_t n)
{
	return tt_rand(state) % n;
}

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			tt_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);   \
	} while (0)

#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                         \
		if (a_ != b_)                                                            \
			tt_fail(__FILE__, __LINE__, "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, \
				#a, #b, a_, b_);                                         \
	} while (0)

/* An int return code, printed by name on mismatch. */
#define CHECK_RC(expr, want)                                                        \
	do {                                                                        \
		int got_ = (expr), want_ = (want);                                  \
		if (got_ != want_)                                                  \
			tt_fail(__FILE__, __LINE__, "%s: got %d (%s), want %d (%s)", \
				#expr, got_, tce_err_name(got_), want_,             \
				tce_err_name(want_));                               \
	} while (0)

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			tt_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);   \
			return;                                              \
		}                                                            \
	} while (0)

#endif /* TCE_TESTS_HARNESS_H */
