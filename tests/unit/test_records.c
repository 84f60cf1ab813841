/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * White-box tests of the OS's records (src/group/record.h): a counted
 * multiset of (start, size, aux, kind) where only an exact match of all four
 * counts, kept across the table's growth, starting empty whatever the
 * memory held, and safe under its lock from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "group/record.h"
#include "harness.h"

static struct tce_ctx *new_ctx(void)
{
	struct tce_ctx *ctx = NULL;

	if (tce_ctx_create(&ctx))
		tt_fail(__FILE__, __LINE__, "tce_ctx_create");
	return ctx;
}

static void done(struct tce__records *r, struct tce_ctx *ctx)
{
	struct tce_mem_stats ms;

	tce__records_fini(r);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK_EQ(ms.live_bytes, 0);
	tce_ctx_destroy(ctx);
}

/* init makes an empty set whatever the struct held before. */
static void init_from_garbage(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;

	memset(&r, 0xa5, sizeof(r));
	REQUIRE(tce__records_init(&r, ctx) == 0);
	CHECK_EQ(tce__records_count(&r), 0);
	CHECK(!tce__records_has(&r, 0, 4096, 0, 1));
	CHECK_RC(tce__records_take(&r, 0, 4096, 0, 1), -EINVAL);
	CHECK_RC(tce__records_add(&r, 0, 4096, 0, 1), 0);
	CHECK_RC(tce__records_take(&r, 0, 4096, 0, 1), 0);
	done(&r, ctx);
}

/* Every field must match: start, size, kind and aux (a coherent buffer's real address). */
static void exact_match_only(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;
	uint64_t i;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	/* 12 records of one size and kind: the first table (16 slots) at its fullest. */
	for (i = 0; i < 12; i++)
		REQUIRE(tce__records_add(&r, i << 20, 4096, 0x1000 + i, 3) == 0);
	for (i = 0; i < 12; i++) {
		CHECK(tce__records_has(&r, i << 20, 4096, 0x1000 + i, 3));
		CHECK(!tce__records_has(&r, i << 20, 4096, 0x9000 + i, 3)); /* another aux */
		CHECK(!tce__records_has(&r, i << 20, 4096, 0x1000 + i, 2)); /* another kind */
		CHECK(!tce__records_has(&r, i << 20, 8192, 0x1000 + i, 3)); /* another size */
		CHECK_RC(tce__records_take(&r, i << 20, 4096, 0x9000 + i, 3), -EINVAL);
	}
	for (i = 12; i < 200; i++) /* other starts, the same size, kind and aux */
		CHECK(!tce__records_has(&r, i << 20, 4096, 0x1000 + i % 12, 3));
	CHECK_EQ(tce__records_count(&r), 12);
	for (i = 0; i < 12; i++)
		CHECK_RC(tce__records_take(&r, i << 20, 4096, 0x1000 + i, 3), 0);
	CHECK_EQ(tce__records_count(&r), 0);
	done(&r, ctx);
}

/* A multiset: the same record twice is taken twice, not a third time. */
static void counted(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	CHECK_RC(tce__records_add(&r, 0x5000, 100, 0, 1), 0);
	CHECK_RC(tce__records_add(&r, 0x5000, 100, 0, 1), 0);
	CHECK_EQ(tce__records_count(&r), 2);
	CHECK_RC(tce__records_take(&r, 0x5000, 100, 0, 1), 0);
	CHECK(tce__records_has(&r, 0x5000, 100, 0, 1));
	CHECK_RC(tce__records_take(&r, 0x5000, 100, 0, 1), 0);
	CHECK(!tce__records_has(&r, 0x5000, 100, 0, 1));
	CHECK_RC(tce__records_take(&r, 0x5000, 100, 0, 1), -EINVAL);
	done(&r, ctx);
}

/*
 * The table doubles at 3/4 load (record.h), keeping every record: 12 fit
 * the first 16 slots, the 13th doubles it; 1000 later every one is still
 * there, and all go again.
 */
static void growth_keeps_records(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;
	uint64_t i;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	for (i = 0; i < 12; i++)
		REQUIRE(tce__records_add(&r, i * 4096, 4096, 0, 1) == 0);
	CHECK_EQ(r.shift, 4);
	REQUIRE(tce__records_add(&r, 12 * 4096, 4096, 0, 1) == 0);
	CHECK_EQ(r.shift, 5);
	for (i = 13; i < 1000; i++)
		REQUIRE(tce__records_add(&r, i * 4096, 4096, 0, 1) == 0);
	CHECK_EQ(tce__records_count(&r), 1000);
	for (i = 0; i < 1000; i++)
		CHECK(tce__records_has(&r, i * 4096, 4096, 0, 1));
	for (i = 0; i < 1000; i += 2) /* backward-shift deletion keeps the others findable */
		CHECK_RC(tce__records_take(&r, i * 4096, 4096, 0, 1), 0);
	for (i = 0; i < 1000; i++)
		CHECK(tce__records_has(&r, i * 4096, 4096, 0, 1) == (i % 2 == 1));
	for (i = 1; i < 1000; i += 2)
		CHECK_RC(tce__records_take(&r, i * 4096, 4096, 0, 1), 0);
	CHECK_EQ(tce__records_count(&r), 0);
	done(&r, ctx);
}

/*
 * Random sets at the highest load of the smallest table (12 in 16 slots),
 * taken in random order: runs of colliding records wrap past the table's
 * end, and every deletion inside a wrapped run must keep the rest of the
 * run findable.
 */
static void wrapped_runs_survive_deletion(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;
	uint64_t key[12], x = 0x9e3779b97f4a7c15ULL, t;
	bool gone[12];
	unsigned round, i, j, wrapped = 0;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	for (round = 0; round < 2000; round++) {
		for (i = 0; i < 12; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			key[i] = x & ~0xfffULL;
			gone[i] = false;
			REQUIRE(tce__records_add(&r, key[i], 4096, 0, 1) == 0);
		}
		REQUIRE(r.shift == 4);
		wrapped += r.slot[0].kind && r.slot[15].kind;
		for (i = 11; i > 0; i--) { /* a random order of taking */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			j = (unsigned)(x % (i + 1));
			t = key[i], key[i] = key[j], key[j] = t;
		}
		for (i = 0; i < 12; i++) {
			CHECK_RC(tce__records_take(&r, key[i], 4096, 0, 1), 0);
			gone[i] = true;
			for (j = 0; j < 12; j++)
				if (tce__records_has(&r, key[j], 4096, 0, 1) == gone[j])
					tt_fail(__FILE__, __LINE__, "round %u: record %u %s after taking %u",
						round, j, gone[j] ? "still there" : "lost", i);
		}
		CHECK_EQ(tce__records_count(&r), 0);
	}
	CHECK(wrapped > 100); /* the case this is about happened */
	done(&r, ctx);
}

/* A failed growth changes nothing. */
static void growth_fails_cleanly(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;
	uint64_t i;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce__records_add(&r, 0, 4096, 0, 1), -ENOMEM);
	CHECK_EQ(tce__records_count(&r), 0);
	for (i = 0; i < 12; i++)
		REQUIRE(tce__records_add(&r, i * 4096, 4096, 0, 1) == 0);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce__records_add(&r, 12 * 4096, 4096, 0, 1), -ENOMEM);
	CHECK_EQ(tce__records_count(&r), 12);
	for (i = 0; i < 12; i++)
		CHECK_RC(tce__records_take(&r, i * 4096, 4096, 0, 1), 0);
	done(&r, ctx);
}

struct worker {
	struct tce__records *r;
	uint64_t base;
	int errors;
};

/* Add and take this thread's own records, the table growing and shrinking under it. */
static void *churn(void *arg)
{
	struct worker *w = arg;
	uint64_t round, i;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < 64; i++)
			w->errors += tce__records_add(w->r, w->base + i * 4096, 4096, round, 1) != 0;
		for (i = 0; i < 64; i++)
			w->errors += tce__records_take(w->r, w->base + i * 4096, 4096, round, 1) != 0;
	}
	return NULL;
}

/* Two threads on one set: the lock keeps every add and take exact. */
static void two_threads(void)
{
	struct tce_ctx *ctx = new_ctx();
	struct tce__records r;
	struct worker w[2];
	pthread_t th[2];
	int i;

	REQUIRE(tce__records_init(&r, ctx) == 0);
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker){ .r = &r, .base = (uint64_t)(i + 1) << 32 };
		REQUIRE(pthread_create(&th[i], NULL, churn, &w[i]) == 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].errors, 0);
	}
	CHECK_EQ(tce__records_count(&r), 0);
	done(&r, ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(init_from_garbage),
	TT_CASE(exact_match_only),
	TT_CASE(counted),
	TT_CASE(growth_keeps_records),
	TT_CASE(wrapped_runs_survive_deletion),
	TT_CASE(growth_fails_cleanly),
	TT_CASE(two_threads),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
