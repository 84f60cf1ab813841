/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The v1 pin counts (vfio/pins.h, white-box): random pins and unpins of
 * pages of several sizes against a flat reference of counts, with overlap
 * queries of random ranges after each step (deletion by backward shift
 * must keep every other key findable), and fail-Nth over the table's growth.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"
#include "vfio/pins.h"

#define PAGES 512u   /* the reference covers [BASE, BASE + PAGES 4 KiB pages) */
#define BASE 0x7f0000000000ull

static bool ref_overlap(const uint32_t *ref, uint64_t ua, uint64_t size)
{
	uint64_t p;

	for (p = 0; p < PAGES; p++) {
		uint64_t a = BASE + (p << 12);

		if (ref[p] && a < ua + size && ua < a + 4096)
			return true;
	}
	return false;
}

static void random_against_reference(void)
{
	struct tce_ctx *ctx = tt_ctx();
	static uint32_t ref[PAGES];
	struct tce__pins p;
	uint64_t seed = tt_seed(), step, first, n, i;

	memset(ref, 0, sizeof(ref));
	REQUIRE(tce__pins_init(&p, ctx) == 0);
	for (step = 0; step < 20000; step++) {
		first = tt_rand(&seed) % PAGES;
		n = 1 + tt_rand(&seed) % 8;
		if (first + n > PAGES)
			n = PAGES - first;
		if (tt_rand(&seed) % 2) {
			CHECK_RC(tce__pins_add(&p, BASE + (first << 12), n, 12), 0);
			for (i = 0; i < n; i++)
				ref[first + i]++;
		} else {
			for (i = 0; i < n && ref[first + i]; i++)
				;
			if (i < n)
				continue; /* unpin only what is pinned, as the release callback does */
			tce__pins_drop(&p, BASE + (first << 12), n, 12);
			for (i = 0; i < n; i++)
				ref[first + i]--;
		}
		first = tt_rand(&seed) % (PAGES << 12);
		n = 1 + tt_rand(&seed) % (16 << 12);
		if (tce__pins_overlap(&p, BASE + first, n) != ref_overlap(ref, BASE + first, n)) {
			CHECK(false);
			break;
		}
	}
	for (i = 0; i < PAGES; i++)
		while (ref[i]--)
			tce__pins_drop(&p, BASE + (i << 12), 1, 12);
	CHECK_EQ(p.n, 0);
	CHECK(!tce__pins_overlap(&p, BASE, PAGES << 12));
	tce__pins_fini(&p);
	tt_ctx_done(ctx);
}

/*
 * A few keys in a small table, pinned and unpinned many times: runs wrap
 * around the table's end often, so deletion's backward shift meets its
 * cyclic case; every key pinned must stay findable (the final drain finds
 * and drops each one) and never be found twice.
 */
static void small_table_wraps(void)
{
	enum { KEYS = 9 };
	struct tce_ctx *ctx = tt_ctx();
	uint32_t ref[KEYS] = { 0 };
	struct tce__pins p;
	uint64_t seed = tt_seed() ^ 0x5eed, step, k, live;

	REQUIRE(tce__pins_init(&p, ctx) == 0);
	for (step = 0; step < 60000 && !tt_failed(); step++) {
		k = tt_rand(&seed) % KEYS;
		if (tt_rand(&seed) % 2 || !ref[k]) {
			CHECK_RC(tce__pins_add(&p, BASE + (k << 12), 1, 12), 0);
			ref[k]++;
		} else {
			tce__pins_drop(&p, BASE + (k << 12), 1, 12);
			ref[k]--;
		}
		for (k = 0, live = 0; k < KEYS; k++)
			live += ref[k] != 0;
		CHECK_EQ(p.n, live);
		k = tt_rand(&seed) % KEYS;
		CHECK_EQ(tce__pins_overlap(&p, BASE + (k << 12), 1), ref[k] != 0);
	}
	for (k = 0; k < KEYS; k++)
		while (ref[k]--)
			tce__pins_drop(&p, BASE + (k << 12), 1, 12);
	CHECK_EQ(p.n, 0);
	CHECK(!tce__pins_overlap(&p, BASE, KEYS << 12));
	tce__pins_fini(&p);
	tt_ctx_done(ctx);
}

/* The table's hash, as pins.c has it (white-box: to place keys at its end). */
static uint32_t home_of(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* The first page key from @from on whose home slot is @want. */
static uint64_t key_homed(uint64_t from, uint32_t cap, uint32_t want)
{
	uint64_t k = from;

	while (home_of(k, cap) != want)
		k += 4096;
	return k;
}

/*
 * Deletion at the table's last slot with the next key in slot 0 at its own
 * home: the key must stay where it is (its home is not cyclically before
 * the hole), and stay findable.
 */
static void erase_at_the_end(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__pins p;
	uint64_t a, c;

	REQUIRE(tce__pins_init(&p, ctx) == 0);
	REQUIRE(tce__pins_add(&p, BASE, 1, 12) == 0); /* makes the table */
	tce__pins_drop(&p, BASE, 1, 12);
	REQUIRE(p.cap >= 4);
	a = key_homed(BASE, p.cap, p.cap - 1);
	c = key_homed(BASE, p.cap, 0);
	CHECK_RC(tce__pins_add(&p, a, 1, 12), 0);
	CHECK_RC(tce__pins_add(&p, c, 1, 12), 0);
	tce__pins_drop(&p, a, 1, 12);
	CHECK(tce__pins_overlap(&p, c, 1));
	tce__pins_drop(&p, c, 1, 12); /* found, so dropped */
	CHECK_EQ(p.n, 0);
	CHECK(!tce__pins_overlap(&p, c, 1));
	tce__pins_fini(&p);
	tt_ctx_done(ctx);
}

static void large_pages_and_edges(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__pins p;

	REQUIRE(tce__pins_init(&p, ctx) == 0);
	CHECK(!tce__pins_overlap(&p, 0, ~0ull)); /* empty */
	tce__pins_drop(&p, BASE, 1, 12);          /* nothing pinned: nothing happens */
	CHECK_RC(tce__pins_add(&p, BASE, 2, 16), 0);
	CHECK(tce__pins_overlap(&p, BASE + 0x1ffff, 1));
	CHECK(!tce__pins_overlap(&p, BASE + 0x20000, 4096));
	CHECK(tce__pins_overlap(&p, BASE - 4096, 4097));
	CHECK(!tce__pins_overlap(&p, BASE - 4096, 4096));
	tce__pins_drop(&p, BASE, 1, 16);
	CHECK(!tce__pins_overlap(&p, BASE, 0x10000));
	CHECK(tce__pins_overlap(&p, BASE + 0x10000, 1));
	tce__pins_drop(&p, BASE + 0x10000, 1, 16);
	CHECK_EQ(p.n, 0);
	tce__pins_fini(&p);
	tt_ctx_done(ctx);
}

static void growth_fail_nth(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__pins p;
	uint64_t n;
	int rc = -1;

	REQUIRE(tce__pins_init(&p, ctx) == 0);
	CHECK_RC(tce__pins_add(&p, BASE, 20, 12), 0);
	for (n = 1; n < 10 && rc; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce__pins_add(&p, BASE + (1ull << 20), 100, 12); /* grows the table */
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK(rc == 0 || rc == -ENOMEM);
		if (rc) {
			CHECK_EQ(p.n, 20); /* nothing changed */
			CHECK(!tce__pins_overlap(&p, BASE + (1ull << 20), 100 << 12));
			CHECK(tce__pins_overlap(&p, BASE + (19 << 12), 1));
		}
	}
	CHECK_RC(rc, 0);
	CHECK(n > 2);
	tce__pins_drop(&p, BASE, 20, 12);
	tce__pins_drop(&p, BASE + (1ull << 20), 100, 12);
	CHECK_EQ(p.n, 0);
	tce__pins_fini(&p);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(random_against_reference), TT_CASE(small_table_wraps), TT_CASE(erase_at_the_end), TT_CASE(large_pages_and_edges),
	TT_CASE(growth_fail_nth),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
