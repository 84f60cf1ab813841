/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Concurrency of the DMA API's mapping record (run under TSan by `make
 * check-tsan`): 2 and 4 threads map pages and scatter lists on one DMA
 * object and unmap them in random order, while trying wrong-size unmaps of
 * their own and of other threads' live mappings, which must all be refused
 * without disturbing anything. Every exact unmap must succeed once; at the
 * end the checker must find no mapping and the table no TCE. Configurations
 * cover mutexes and spinlocks in the allocator, with and without caches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"
#include "tt_table.h"

#define HELD 32
#define REAL 0x40000000ULL

struct shared {
	struct tce_dma *d;
	_Atomic uint64_t published; /* bus << 24 | size of some thread's live page mapping */
	pthread_barrier_t go;
	uint64_t ops;
	_Atomic int errors;
};

struct held {
	bool sg;
	uint64_t bus, size; /* a page mapping (size even, so size + 1 matches nothing) */
	struct tce_sg list[6];
	unsigned nents;
};

struct worker {
	struct shared *s;
	uint64_t seed;
	struct held h[HELD];
	unsigned n;
};

static void bad(struct worker *w)
{
	atomic_fetch_add(&w->s->errors, 1);
}

static void map_one(struct worker *w)
{
	struct held *h = &w->h[w->n];
	unsigned i, out;

	h->sg = tt_below(&w->seed, 3) == 0;
	if (!h->sg) {
		h->size = 2 * (1 + tt_below(&w->seed, 6000));
		if (tce_dma_map_page(w->s->d, REAL + tt_below(&w->seed, 1 << 20), h->size,
				     TCE_DIR_TO_DEVICE, &h->bus)) {
			bad(w);
			return;
		}
		if (h->bus < (1ULL << 40) && h->size < (1 << 24))
			atomic_store(&w->s->published, h->bus << 24 | h->size);
	} else {
		h->nents = 2 + (unsigned)tt_below(&w->seed, 5);
		for (i = 0; i < h->nents; i++)
			h->list[i] = (struct tce_sg){ .real = REAL + (i << 12),
						      .length = 4096 + 8 * tt_below(&w->seed, 2) };
		if (tce_dma_map_sg(w->s->d, h->list, h->nents, TCE_DIR_BIDIRECTIONAL, &out)) {
			bad(w);
			return;
		}
	}
	w->n++;
}

static void unmap_one(struct worker *w)
{
	unsigned k = (unsigned)tt_below(&w->seed, w->n);
	struct held *h = &w->h[k];

	if (h->sg) {
		if (h->list[1].dma_length && /* two segments or more: one alone is not the list */
		    tce_dma_unmap_sg(w->s->d, h->list, 1) != -EINVAL)
			bad(w);
		if (tce_dma_unmap_sg(w->s->d, h->list, h->nents))
			bad(w);
	} else {
		if (tce_dma_unmap_page(w->s->d, h->bus, h->size - 2) != -EINVAL)
			bad(w);
		if (tce_dma_unmap_page(w->s->d, h->bus, h->size))
			bad(w);
	}
	w->h[k] = w->h[--w->n];
}

/* A wrong-size unmap of whatever another thread published: never accepted. */
static void poke_foreign(struct worker *w)
{
	uint64_t p = atomic_load(&w->s->published);

	if (p && tce_dma_unmap_page(w->s->d, p >> 24, (p & 0xffffff) + 1) != -EINVAL)
		bad(w);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t i;

	pthread_barrier_wait(&w->s->go);
	for (i = 0; i < w->s->ops; i++) {
		if (w->n < HELD && (w->n == 0 || tt_below(&w->seed, 2)))
			map_one(w);
		else
			unmap_one(w);
		if (i % 7 == 0)
			poke_foreign(w);
	}
	while (w->n)
		unmap_one(w);
	return NULL;
}

static void run_config(unsigned nthreads, bool cache, bool spin)
{
	struct tce_ctx *ctx = tt_ctx();
	struct shared s = { .ops = (uint64_t)(40000 * tt_scale()) };
	struct tce_dma_config cfg;
	struct worker w[4];
	pthread_t th[4];
	struct tce_table *t;
	struct tce_table_stats st;
	uint64_t live = ~0ULL, seed = tt_seed();
	unsigned i;

	REQUIRE(tt_table(ctx, 0, 1ULL << 30, 12, 2, false, &t) == 0);
	cfg = (struct tce_dma_config){ .table = t, .pool = { .cache = cache, .spinlocks = spin } };
	REQUIRE(tce_dma_create(ctx, &cfg, &s.d) == 0);
	pthread_barrier_init(&s.go, NULL, nthreads);
	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .s = &s, .seed = seed + i * 7919 };
		REQUIRE(pthread_create(&th[i], NULL, run, &w[i]) == 0);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&s.go);
	CHECK_EQ(atomic_load(&s.errors), 0);
	CHECK_RC(tce_dma_check(s.d, &live), 0);
	CHECK_EQ(live, 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 0);
	tce_dma_destroy(s.d);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void two_threads(void)
{
	run_config(2, false, false);
}

static void four_threads_spinlocks(void)
{
	run_config(4, false, true);
}

static void four_threads_caches(void)
{
	run_config(4, true, false);
}

static const struct tt_case cases[] = {
	TT_CASE(two_threads),
	TT_CASE(four_threads_spinlocks),
	TT_CASE(four_threads_caches),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
