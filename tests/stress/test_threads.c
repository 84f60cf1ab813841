/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Concurrency of the table layer (run under TSan by `make check-tsan`):
 * exchanges racing the installation of the levels they need, exchanges of
 * one entry from several threads (every value must be seen exactly once),
 * writers on disjoint ranges next to readers, writers racing on the
 * same leaves, whose occupancy summaries must stay exact, and tables made
 * and torn down on several threads through one context's level cache.
 */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "tt_table.h"

#define THREADS 4

struct race {
	struct tce_table *t;
	pthread_barrier_t *go;
	unsigned tid;
	uint64_t rounds;
	uint64_t stride;
	uint64_t *olds; /* same-entry test: old values seen */
	struct tce_ctx *ctx; /* churn test: the shared context */
	int errors;
};

/* Thread tid exchanges entries k * THREADS + tid of consecutive leaves at once. */
static void *racer(void *arg)
{
	struct race *r = arg;
	uint64_t k, a;
	enum tce_dir d;

	pthread_barrier_wait(r->go);
	for (k = 0; k < r->rounds; k++) {
		uint64_t idx = k * r->stride + r->tid;

		a = (idx + 1) << 12;
		d = TCE_DIR_BIDIRECTIONAL;
		if (tce_table_xchg(r->t, idx, &a, &d) || a != 0 || d != TCE_DIR_NONE)
			r->errors++;
	}
	return NULL;
}

static void run_threads(struct race *rs, void *(*fn)(void *))
{
	pthread_t th[THREADS];
	unsigned i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, fn, &rs[i]);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

/* Distinct values of idx >> shift over the indexes the racers touch (ascending). */
static uint64_t distinct_blocks(uint64_t stride, uint64_t rounds, unsigned shift)
{
	uint64_t k, t, n = 0, last = ~0ULL, b;

	for (k = 0; k < rounds; k++) {
		for (t = 0; t < THREADS; t++) {
			b = (k * stride + t) >> shift;
			n += b != last;
			last = b;
		}
	}
	return n;
}

/* One round on a fresh table: THREADS threads race to allocate the same levels. */
static void level_race_round(struct tce_ctx *ctx, uint64_t stride, uint64_t rounds)
{
	struct tce_table_config cfg = { .window_size = 1ULL << 40, .page_shift = 12, .levels = 3 };
	struct race rs[THREADS];
	pthread_barrier_t go;
	struct tce_table_stats st;
	struct tce_mem_stats ms;
	uint64_t k, i, v;
	unsigned t;

	REQUIRE(tce_table_create(ctx, &cfg, &rs[0].t) == 0);
	pthread_barrier_init(&go, NULL, THREADS);
	for (t = 0; t < THREADS; t++)
		rs[t] = (struct race){ .t = rs[0].t, .go = &go, .tid = t, .rounds = rounds,
				       .stride = stride };
	run_threads(rs, racer);
	for (t = 0; t < THREADS; t++)
		CHECK_EQ(rs[t].errors, 0);
	for (k = 0; k < rounds; k++) {
		for (t = 0; t < THREADS; t++) {
			i = k * stride + t;
			CHECK_RC(tce_table_get(rs[0].t, i, &v), 0);
			CHECK_EQ(v, ((i + 1) << 12) | 3);
		}
	}
	tce_table_stats(rs[0].t, &st);
	CHECK_EQ(st.populated, rounds * THREADS);
	/* Exactly one block per level slot: the losers freed theirs. */
	CHECK_EQ(st.levels_allocated, 1 + distinct_blocks(stride, rounds, 26) +
					  distinct_blocks(stride, rounds, 13));
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, st.levels_allocated + 1); /* levels and the table */
	tce_table_put(rs[0].t);
	pthread_barrier_destroy(&go);
}

static void xchg_races_level_allocation(void)
{
	struct tce_ctx *ctx;
	struct tce_mem_stats ms;
	unsigned r, nrounds = (unsigned)(40 * tt_scale());

	REQUIRE(tce_ctx_create(&ctx) == 0);
	for (r = 0; r < nrounds && !tt_failed(); r++) {
		level_race_round(ctx, 8192, 64);       /* every exchange needs a new leaf */
		level_race_round(ctx, 1ULL << 26, 3);  /* and a new middle level */
		level_race_round(ctx, THREADS, 2000);  /* neighbours in one leaf */
	}
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	tce_ctx_destroy(ctx);
}

/* Thread tid swaps values (tid, k) into one entry and records the old values. */
static void *same_entry(void *arg)
{
	struct race *r = arg;
	uint64_t k, a;
	enum tce_dir d;

	pthread_barrier_wait(r->go);
	for (k = 0; k < r->rounds; k++) {
		a = (((uint64_t)r->tid << 32) | (k + 1)) << 12;
		d = TCE_DIR_TO_DEVICE;
		if (tce_table_xchg(r->t, 4242, &a, &d))
			r->errors++;
		r->olds[k] = d == TCE_DIR_NONE ? 0 : a;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void xchg_one_entry_is_atomic(void)
{
	uint64_t rounds = (uint64_t)(50000 * tt_scale()), total = rounds * THREADS, i, v;
	uint64_t *seen = calloc(total + 1, sizeof(uint64_t));
	struct race rs[THREADS];
	struct tce_table *t;
	struct tce_ctx *ctx;
	pthread_barrier_t go;
	unsigned tid;

	REQUIRE(seen && tce_ctx_create(&ctx) == 0);
	REQUIRE(tt_table(ctx, 0, 1ULL << 36, 12, 2, false, &t) == 0);
	pthread_barrier_init(&go, NULL, THREADS);
	for (tid = 0; tid < THREADS; tid++)
		rs[tid] = (struct race){ .t = t, .go = &go, .tid = tid, .rounds = rounds,
					 .olds = seen + tid * rounds };
	run_threads(rs, same_entry);
	CHECK_RC(tce_table_get(t, 4242, &v), 0);
	seen[total] = v & ~0xfffULL;
	/* Every value written, plus the initial 0, appears exactly once. */
	qsort(seen, total + 1, sizeof(uint64_t), cmp_u64);
	CHECK_EQ(seen[0], 0);
	for (i = 1; i <= total && !tt_failed(); i++)
		if (seen[i] == seen[i - 1] || (seen[i] >> 12 & 0xffffffff) == 0)
			tt_fail(__FILE__, __LINE__, "value 0x%" PRIx64 " seen twice or corrupt",
				seen[i]);
	for (tid = 0; tid < THREADS; tid++)
		CHECK_EQ(rs[tid].errors, 0);
	pthread_barrier_destroy(&go);
	tce_table_put(t);
	tce_ctx_destroy(ctx);
	free(seen);
}

struct mixer {
	struct tce_table *t;
	unsigned tid;
	uint64_t ops;
	int errors;
};

/* Writers own [tid * 2^20, +2^20); every thread also reads everywhere. */
static void *mixed(void *arg)
{
	struct mixer *m = arg;
	uint64_t seed = tt_seed() + m->tid, k, base = (uint64_t)m->tid << 20, i, v;

	for (k = 0; k < m->ops; k++) {
		i = base + tt_below(&seed, 1 << 20);
		switch (tt_below(&seed, 5)) {
		case 0:
			m->errors += tce_table_set(m->t, i, 1 + tt_below(&seed, 8) % ((1 << 20) - (i - base)),
						   i << 12, TCE_DIR_TO_DEVICE) != 0;
			break;
		case 1:
			m->errors += tce_table_clear(m->t, i, 1) != 0;
			break;
		case 2:
			m->errors += tce_table_get(m->t, tt_below(&seed, 4 << 20), &v) != 0;
			break;
		case 3:
			v = tt_below(&seed, 4 << 20);
			if (!tce_table_get(m->t, v, &i) && i && (i & ~0xfffULL) != v << 12)
				m->errors++; /* a torn or foreign entry */
			break;
		default:
			v = tt_below(&seed, 4 << 20);
			m->errors += tce_table_next(m->t, &v, &i) == -22;
			break;
		}
	}
	return NULL;
}

static void writers_and_readers(void)
{
	struct mixer ms[THREADS];
	pthread_t th[THREADS];
	struct tce_table *t;
	struct tce_ctx *ctx;
	unsigned i;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tt_table(ctx, 0, 1ULL << 36, 12, 3, true, &t) == 0);
	for (i = 0; i < THREADS; i++) {
		ms[i] = (struct mixer){ .t = t, .tid = i, .ops = (uint64_t)(200000 * tt_scale()) };
		pthread_create(&th[i], NULL, mixed, &ms[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(ms[i].errors, 0);
	}
	tce_table_put(t);
	tce_ctx_destroy(ctx);
}

/*
 * Writers racing on the same two leaves (overlapping sets, clears and
 * exchanges of 1..100 entries): each leaf's occupancy summary must still
 * say exactly which entries are live, so next() (which follows the
 * summaries) finds exactly the entries stats() counts by reading them.
 */
struct overlap {
	struct tce_table *t;
	unsigned tid;
	uint64_t ops;
	int errors;
};

static void *overlap_writer(void *arg)
{
	struct overlap *o = arg;
	uint64_t seed = 0x5eed + o->tid, i, n, real;
	enum tce_dir dir;

	for (uint64_t k = 0; k < o->ops; k++) {
		i = 8192 - 600 + tt_below(&seed, 1200); /* around the leaf boundary at 8192 */
		n = 1 + tt_below(&seed, 100);
		switch (tt_below(&seed, 3)) {
		case 0:
			o->errors += tce_table_set(o->t, i, n, i << 12, TCE_DIR_BIDIRECTIONAL) != 0;
			break;
		case 1:
			o->errors += tce_table_clear(o->t, i, n) != 0;
			break;
		default:
			real = i << 12, dir = k & 1 ? TCE_DIR_NONE : TCE_DIR_TO_DEVICE;
			o->errors += tce_table_xchg(o->t, i, &real, &dir) != 0;
			break;
		}
	}
	return NULL;
}

static void summaries_exact_under_racing_writers(void)
{
	struct overlap os[THREADS];
	pthread_t th[THREADS];
	struct tce_table_stats st;
	struct tce_table *t;
	struct tce_ctx *ctx;
	uint64_t idx = 0, v, found = 0;
	unsigned i;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tt_table(ctx, 0, 1ULL << 30, 12, 2, false, &t) == 0);
	for (i = 0; i < THREADS; i++) {
		os[i] = (struct overlap){ .t = t, .tid = i, .ops = (uint64_t)(100000 * tt_scale()) };
		pthread_create(&th[i], NULL, overlap_writer, &os[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(os[i].errors, 0);
	}
	for (; !tce_table_next(t, &idx, &v); idx++)
		found++;
	tce_table_stats(t, &st);
	CHECK_EQ(found, st.populated);
	CHECK(found > 0);
	tce_table_put(t); /* debug builds: the table's checker, summaries included */
	tce_ctx_destroy(ctx);
}

/* The next value of a thread's generator. */
static uint64_t lcg(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

/*
 * Entries of leaf @l outside [off, off + len) that read non-zero, sampled:
 * what another thread's torn-down table would have left in a reused leaf.
 */
static int stale_entries(struct tce_table *t, uint64_t le, uint64_t l, uint64_t off,
			 uint64_t len, uint64_t *seed)
{
	uint64_t i, e, v;
	int bad = 0;

	for (i = 0; i < 64; i++) {
		e = lcg(seed) % le;
		if (e >= off && e < off + len)
			continue;
		bad += tce_table_get(t, l * le + e, &v) != 0 || v != 0;
	}
	return bad;
}

/*
 * Thread tid makes tables of its own on the shared context, writes a run
 * in each of eight leaves that may come from another thread's teardown,
 * checks that each leaf holds only its run, and tears the table down.
 */
static void *churner(void *arg)
{
	struct race *r = arg;
	struct tce_table_config cfg;
	struct tce_table *t;
	uint64_t k, l, le, idx, v, n, len, off[8], seed = r->tid + 1;

	pthread_barrier_wait(r->go);
	for (k = 0; k < r->rounds; k++) {
		cfg = (struct tce_table_config){ .window_size = 1ULL << 30, .page_shift = 12,
						 .levels = 2, .mirror = (k & 1) != 0 };
		if (tce_table_create(r->ctx, &cfg, &t)) {
			r->errors++;
			continue;
		}
		le = cfg.level_entries;
		for (l = 0, n = 0; l < 8; l++, n += len) {
			len = 1 + l * 600;
			off[l] = lcg(&seed) % (le - len);
			r->errors += tce_table_set(t, l * le + off[l], len, (l + 1) << 12,
						   TCE_DIR_TO_DEVICE) != 0;
		}
		for (l = 0; l < 8; l++)
			r->errors += stale_entries(t, le, l, off[l], 1 + l * 600, &seed);
		for (idx = 0; !tce_table_next(t, &idx, &v); idx++)
			n--;
		r->errors += n != 0;
		tce_table_put(t);
	}
	return NULL;
}

/* Tables made and torn down on THREADS threads share one context's level cache. */
static void tables_churn_one_context(void)
{
	struct tce_ctx *ctx;
	struct race rs[THREADS];
	pthread_barrier_t go;
	struct tce_mem_stats ms;
	unsigned t;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	pthread_barrier_init(&go, NULL, THREADS);
	for (t = 0; t < THREADS; t++)
		rs[t] = (struct race){ .go = &go, .tid = t, .rounds = (uint64_t)(60 * tt_scale()),
				       .ctx = ctx };
	run_threads(rs, churner);
	for (t = 0; t < THREADS; t++)
		CHECK_EQ(rs[t].errors, 0);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK(ms.cached_blocks > 0);
	pthread_barrier_destroy(&go);
	tce_ctx_destroy(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(summaries_exact_under_racing_writers),
	TT_CASE(tables_churn_one_context),
	TT_CASE(xchg_races_level_allocation),
	TT_CASE(xchg_one_entry_is_atomic),
	TT_CASE(writers_and_readers),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
