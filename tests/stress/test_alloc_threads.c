/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Concurrency of the allocator (run under TSan by `make check-tsan`): 2 to
 * 8 threads allocate and free mixed sizes at once, each claiming its ranges
 * in a shared atomic shadow so that any overlap between two live ranges is
 * caught; frees cross threads through a shared exchange slot; the checker
 * runs at the end. Configurations cover mutexes and spinlocks, caches and
 * lazy flush, and more threads than cache slots.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"
#include "tt_table.h"

#define ENTRIES (1 << 14)
#define HELD 64
#define THREADS_MAX 40 /* more than the cache's 32 slots: two threads must share one */

struct shared {
	struct tce_pool *p;
	uint64_t first;
	_Atomic uint8_t *shadow; /* 1 while an entry is live */
	_Atomic uint64_t handoff; /* a range (idx << 16 | npages) passed between threads */
	pthread_barrier_t go;
	uint64_t ops;
	_Atomic int errors;
	bool cache;
};

/* The size the pool really holds for a request (caches round up). */
static uint64_t held_size(const struct shared *s, uint64_t n)
{
	if (!s->cache || n > 32 || !(n & (n - 1)))
		return n;
	return 1ULL << (64 - __builtin_clzll(n));
}

struct worker {
	struct shared *s;
	unsigned tid;
	uint64_t idx[HELD], n[HELD];
	unsigned held;
};

static void claim(struct shared *s, uint64_t idx, uint64_t n, uint8_t want, uint8_t put)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint8_t exp = want;

		if (!atomic_compare_exchange_strong(&s->shadow[idx - s->first + i], &exp, put))
			atomic_fetch_add(&s->errors, 1);
	}
}

static void release(struct worker *w, uint64_t idx, uint64_t n)
{
	claim(w->s, idx, held_size(w->s, n), 1, 0);
	if (tce_pool_free(w->s->p, idx, n))
		atomic_fetch_add(&w->s->errors, 1);
}

static void step(struct worker *w, uint64_t *seed)
{
	struct tce_alloc_req req = { .npages = 1 + (tt_below(seed, 10) ? tt_below(seed, 4)
								   : tt_below(seed, 40)),
				     .cpu = -1 };
	uint64_t idx, k, v, n;

	if (w->held == HELD || (w->held && tt_below(seed, 2))) {
		k = tt_below(seed, w->held);
		idx = w->idx[k], n = w->n[k];
		w->idx[k] = w->idx[--w->held], w->n[k] = w->n[w->held];
		/* Pass it to whichever thread frees next; free what was passed. */
		v = atomic_exchange(&w->s->handoff, idx << 16 | n);
		if (v)
			release(w, v >> 16, v & 0xffff);
		return;
	}
	if (tce_pool_alloc(w->s->p, &req, &idx))
		return;
	claim(w->s, idx, held_size(w->s, req.npages), 0, 1);
	w->idx[w->held] = idx;
	w->n[w->held++] = req.npages;
}

static void *run_worker(void *p)
{
	struct worker *w = p;
	uint64_t seed = tt_seed() * 31 + w->tid, i;

	pthread_barrier_wait(&w->s->go);
	for (i = 0; i < w->s->ops; i++)
		step(w, &seed);
	while (w->held) {
		w->held--;
		release(w, w->idx[w->held], w->n[w->held]);
	}
	return NULL;
}

static void flush_count(void *arg)
{
	atomic_fetch_add((_Atomic uint64_t *)arg, 1);
}

static void run(unsigned threads, struct tce_pool_config cfg)
{
	struct tce_ctx *ctx = tt_ctx();
	struct shared s = { .ops = (uint64_t)(40000 * tt_scale()) };
	static struct worker args[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	struct tce_pool_stats st;
	_Atomic uint64_t flushes = 0;
	uint64_t v;
	unsigned i;

	cfg.flush_arg = (void *)&flushes;
	REQUIRE(tce_pool_create(ctx, &cfg, &s.p) == 0);
	s.first = cfg.first_idx;
	s.cache = cfg.cache;
	s.shadow = calloc(ENTRIES, 1);
	REQUIRE(s.shadow);
	pthread_barrier_init(&s.go, NULL, threads);
	for (i = 0; i < threads; i++) {
		args[i] = (struct worker){ .s = &s, .tid = i };
		pthread_create(&th[i], NULL, run_worker, &args[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	v = atomic_exchange(&s.handoff, 0);
	if (v)
		release(&args[0], v >> 16, v & 0xffff);
	CHECK_EQ(atomic_load(&s.errors), 0);
	CHECK_RC(tce_pool_check(s.p, NULL), 0);
	tce_pool_stats(s.p, &st);
	CHECK_EQ(st.allocated, 0);
	pthread_barrier_destroy(&s.go);
	tce_pool_destroy(s.p);
	free((void *)s.shadow);
	tt_ctx_done(ctx);
}

static void threads_2_to_8(void)
{
	struct tce_pool_config base = { .first_idx = 1ULL << 40, .entries = ENTRIES,
					.page_shift = 16, .nr_pools = 4 }, c;
	unsigned t, k;

	for (t = 2; t <= 8 && !tt_failed(); t *= 2) {
		for (k = 0; k < 4 && !tt_failed(); k++) {
			c = base;
			c.spinlocks = k & 1;
			c.cache = k & 2;
			c.lazy_flush = k == 1 || k == 2 ? flush_count : NULL;
			run(t, c);
		}
	}
}

/*
 * More threads than cache slots, so that some share a slot and find it held
 * by another (their allocations then go to the pools and their frees to
 * another slot), while allocations that fail drain every slot: no range is
 * handed out twice, and counters and bitmaps agree at the end.
 */
static void threads_share_slots(void)
{
	struct tce_pool_config c = { .first_idx = 1ULL << 40, .entries = ENTRIES,
				     .page_shift = 16, .nr_pools = 4, .cache = true };
	unsigned k;

	for (k = 0; k < 2 && !tt_failed(); k++) {
		c.lazy_flush = k ? flush_count : NULL;
		run(THREADS_MAX, c);
	}
}

static const struct tt_case cases[] = {
	TT_CASE(threads_2_to_8),
	TT_CASE(threads_share_slots),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
