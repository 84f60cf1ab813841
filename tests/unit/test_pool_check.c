/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator's checker, tce_pool_check(), white-box through the alloc
 * layer's private header: it passes on a healthy pool (caches in every slot
 * included), and each inconsistency it promises to find, made alone, gives
 * -EIO with an error logged: a parked or cached entry still mapped in the
 * table, a pool's free or parked count that disagrees with the bitmaps, a
 * parked entry not allocated, a hint out of its pool, a cached range the
 * bitmaps do not mark.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc/pool_int.h"
#include "harness.h"
#include "util/bitmap.h"
#include "tt_table.h"

struct log_record {
	int errors;
	char msg[256];
};

static void record_log(void *arg, enum tce_log_level level, const char *msg)
{
	struct log_record *r = arg;

	if (level == TCE_LOG_ERR) {
		r->errors++;
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	}
}

/* -EIO, and exactly one error logged for it. */
#define CHECK_FAILS(p, t, rec)                            \
	do {                                              \
		(rec)->errors = 0;                        \
		CHECK_RC(tce_pool_check((p), (t)), -EIO); \
		CHECK_EQ((rec)->errors, 1);               \
	} while (0)

static int alloc1(struct tce_pool *p, uint64_t *idx)
{
	struct tce_alloc_req req = { .npages = 1, .cpu = 0 };

	return tce_pool_alloc(p, &req, idx);
}

static void count_flush(void *arg)
{
	(*(int *)arg)++;
}

/* An entry freed (parked or cached) while the table still maps it. */
static void freed_but_mapped(bool cache)
{
	struct tce_ctx *ctx = tt_ctx();
	struct log_record rec = { 0 };
	int flushes = 0;
	struct tce_table *t;
	struct tce_pool_config cfg = { .first_idx = 1 << 16, .entries = 1 << 16, .page_shift = 12,
				       .block_pages = 1, .cache = cache };
	struct tce_pool *p;
	struct tce_pool_stats st;
	uint64_t a, b;

	if (!cache) {
		cfg.lazy_flush = count_flush;
		cfg.flush_arg = &flushes;
	}
	tce_ctx_set_log(ctx, record_log, &rec, TCE_LOG_ERR);
	REQUIRE(tt_table(ctx, (uint64_t)1 << 28, (uint64_t)1 << 29, 12, 2, false, &t) == 0);
	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	CHECK_RC(alloc1(p, &a), 0);
	CHECK_RC(alloc1(p, &b), 0);
	REQUIRE(b == a + 1); /* block_pages 1: no hint rounding */
	CHECK_RC(tce_table_set(t, a, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_set(t, b, 1, 0x2000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_pool_check(p, t), 0); /* allocated and mapped: fine */
	/* a freed and unmapped beside b, allocated and mapped: fine too. */
	CHECK_RC(tce_table_clear(t, a, 1), 0);
	CHECK_RC(tce_pool_free(p, a, 1), 0);
	CHECK_RC(tce_pool_check(p, t), 0);
	/* b freed while still mapped. */
	CHECK_RC(tce_pool_free(p, b, 1), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(cache ? st.cached : st.parked, 2);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	CHECK_FAILS(p, t, &rec);
	CHECK_RC(tce_table_clear(t, b, 1), 0);
	CHECK_RC(tce_pool_check(p, t), 0);
	CHECK_EQ(flushes, 0);
	tce_pool_destroy(p);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void parked_but_mapped(void)
{
	freed_but_mapped(false);
}

static void cached_but_mapped(void)
{
	freed_but_mapped(true);
}

/* Each pool counter made wrong alone, then put back. */
static void counters_disagree(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct log_record rec = { 0 };
	int flushes = 0;
	struct tce_pool_config cfg = { .first_idx = 1 << 16, .entries = 1 << 16, .page_shift = 12,
				       .nr_pools = 2, .lazy_flush = count_flush,
				       .flush_arg = &flushes };
	struct tce_pool *p;
	struct tce__pool_range *r;
	uint64_t a, b, saved;

	tce_ctx_set_log(ctx, record_log, &rec, TCE_LOG_ERR);
	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	CHECK_RC(alloc1(p, &a), 0);
	CHECK_RC(alloc1(p, &b), 0);
	CHECK_RC(tce_pool_free(p, b, 1), 0); /* parked */
	r = tce__pool_of(p, a - cfg.first_idx);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	r->free++;
	CHECK_FAILS(p, NULL, &rec);
	r->free--;
	r->parked++;
	CHECK_FAILS(p, NULL, &rec);
	r->parked--;
	/* The parked entry no longer allocated in the bitmap (free count kept in step). */
	tce__bitmap_clear(p->map, b - cfg.first_idx, 1);
	r->free++;
	CHECK_FAILS(p, NULL, &rec);
	tce__bitmap_set(p->map, b - cfg.first_idx, 1);
	r->free--;
	/* A hint may run up to a block past the end of its pool, no further, nor before it. */
	r = &p->pools[1];
	saved = r->hint;
	r->hint = r->end + cfg.block_pages;
	CHECK_RC(tce_pool_check(p, NULL), 0);
	r->hint++;
	CHECK_FAILS(p, NULL, &rec);
	r->hint = r->start - 1;
	CHECK_FAILS(p, NULL, &rec);
	r->hint = saved;
	/* The large pool too: the check covers every range. */
	p->large.free--;
	CHECK_FAILS(p, NULL, &rec);
	p->large.free++;
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * Many threads, alive together, each free one range into their cache slot,
 * so that (whatever the slot hash) the slots are spread; the checker, which
 * must walk every slot and the depot, finds the pool healthy and the counts
 * agree.
 */
#define NTHREADS 256

struct cache_thread {
	struct tce_pool *p;
	uint64_t idx;
	pthread_barrier_t *freed, *done;
	int rc;
};

static void *free_one(void *arg)
{
	struct cache_thread *c = arg;

	c->rc = tce_pool_free(c->p, c->idx, 1);
	pthread_barrier_wait(c->freed);
	pthread_barrier_wait(c->done);
	return NULL;
}

static void check_walks_every_slot(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 1 << 20, .entries = 1 << 20, .page_shift = 12,
				       .cache = true };
	static struct cache_thread c[NTHREADS];
	static pthread_t tid[NTHREADS];
	pthread_barrier_t freed, done;
	pthread_attr_t attr;
	struct tce_pool_stats st;
	struct tce_pool *p;
	int i, started = 0;

	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	pthread_barrier_init(&freed, NULL, NTHREADS + 1);
	pthread_barrier_init(&done, NULL, NTHREADS + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 16);
	for (i = 0; i < NTHREADS; i++) {
		c[i] = (struct cache_thread){ .p = p, .freed = &freed, .done = &done };
		CHECK_RC(alloc1(p, &c[i].idx), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&tid[i], &attr, free_one, &c[i]) == 0)
			started++;
	REQUIRE(started == NTHREADS); /* else the barriers never open */
	pthread_barrier_wait(&freed);
	for (i = 0; i < NTHREADS; i++)
		CHECK_RC(c[i].rc, 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cached, NTHREADS);
	CHECK_EQ(st.allocated, 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	pthread_barrier_wait(&done);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&freed);
	pthread_barrier_destroy(&done);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

struct held_alloc {
	struct tce_pool *p;
	int32_t cpu;
	uint64_t idx;
	int rc;
};

static void *alloc_cpu(void *arg)
{
	struct held_alloc *h = arg;
	struct tce_alloc_req req = { .npages = 1, .cpu = h->cpu };

	h->rc = tce_pool_alloc(h->p, &req, &h->idx);
	return NULL;
}

/* Whether @tid ended within @secs seconds (the caller joins it either way). */
static bool joined_within(pthread_t tid, int secs)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	return pthread_timedjoin_np(tid, NULL, &until) == 0;
}

/*
 * A one-page request whose home pool another holder has locked starts in
 * the next small pool when that one is free (the last pool's next is pool
 * 0); when both are held it waits for its home pool. Alone, it goes home.
 */
static void held_home_pool_spills_to_next(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .entries = 4096, .page_shift = 12, .nr_pools = 4,
				       .no_large_pool = true, .block_pages = 1 };
	struct held_alloc h = { 0 };
	struct tce_alloc_req req;
	struct tce_pool *p;
	unsigned home, next, seen = 0;
	bool joined;
	pthread_t tid;
	uint64_t idx;
	int32_t cpu;

	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	REQUIRE(p->nr_pools == 4 && p->pools[1].start == 1024);
	for (cpu = 0; cpu < 256 && seen != 0xf; cpu++) {
		req = (struct tce_alloc_req){ .npages = 1, .cpu = cpu };
		REQUIRE(tce_pool_alloc(p, &req, &idx) == 0);
		home = (unsigned)(idx / 1024);
		next = (home + 1) % 4;
		if (seen >> home & 1) {
			CHECK_RC(tce_pool_free(p, idx, 1), 0);
			continue;
		}
		seen |= 1u << home;
		/*
		 * Each request runs on a new thread, which may get a thread
		 * pointer an earlier one had, and with it that thread's
		 * remembered move (p->moved): forget those, as for new threads.
		 */
		memset((void *)p->moved, 0, sizeof(p->moved));
		tce__lock(&p->pools[home].lock);
		h = (struct held_alloc){ .p = p, .cpu = cpu };
		REQUIRE(pthread_create(&tid, NULL, alloc_cpu, &h) == 0);
		joined = joined_within(tid, 5); /* not waiting for the held home pool */
		CHECK(joined);
		tce__unlock(&p->pools[home].lock);
		if (!joined)
			pthread_join(tid, NULL);
		CHECK_RC(h.rc, 0);
		CHECK_EQ(h.idx / 1024, next);
		tce__lock(&p->pools[home].lock);
		/* Both held: it waits for home, and takes an entry there. */
		memset((void *)p->moved, 0, sizeof(p->moved));
		tce__lock(&p->pools[next].lock);
		h = (struct held_alloc){ .p = p, .cpu = cpu };
		REQUIRE(pthread_create(&tid, NULL, alloc_cpu, &h) == 0);
		usleep(2000); /* home first: however late the thread starts, next stays held */
		tce__unlock(&p->pools[home].lock);
		tce__unlock(&p->pools[next].lock);
		pthread_join(tid, NULL);
		CHECK_RC(h.rc, 0);
		CHECK_EQ(h.idx / 1024, home);
	}
	CHECK_EQ(seen, 0xf);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

/*
 * A thread whose one-page requests found their home pool held keeps
 * starting in the pool it moved to, once the home pool is free again too;
 * another home, and another pool (even at the same address: the record is
 * the pool's), start at home.
 */
struct moved_run {
	struct tce_pool *p;
	int32_t cpu, other_cpu; /* two CPU ids of different home pools */
	unsigned home;
	uint64_t first, again, other, fresh;
	uint64_t past_full, refound; /* the moved pool full: the next request; after a free */
	int rc;
};

static void *moved_thread(void *arg)
{
	struct moved_run *m = arg;
	struct tce_alloc_req req = { .npages = 1, .cpu = m->cpu };
	uint64_t idx;
	int rc;

	tce__lock(&m->p->pools[m->home].lock); /* as another thread would hold it */
	rc = tce_pool_alloc(m->p, &req, &m->first);
	tce__unlock(&m->p->pools[m->home].lock);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = m->cpu };
	rc = rc ? rc : tce_pool_alloc(m->p, &req, &m->again);
	req = (struct tce_alloc_req){ .npages = 1, .cpu = m->other_cpu };
	rc = rc ? rc : tce_pool_alloc(m->p, &req, &m->other);
	if (!rc) { /* fill the pool moved to; then one of its entries comes free */
		static uint64_t got[1100];
		unsigned n = 0, i;
		uint64_t moved_to = m->first / 1024;

		do {
			req = (struct tce_alloc_req){ .npages = 1, .cpu = m->cpu };
			rc = tce_pool_alloc(m->p, &req, &got[n]);
		} while (!rc && got[n++] / 1024 == moved_to && n < 1100);
		m->past_full = rc ? 0 : got[n - 1];
		rc = rc ? rc : tce_pool_free(m->p, got[0], 1);
		req = (struct tce_alloc_req){ .npages = 1, .cpu = m->cpu };
		rc = rc ? rc : tce_pool_alloc(m->p, &req, &m->refound);
		got[0] = m->refound;
		for (i = 0; i < n && !rc; i++)
			rc = tce_pool_free(m->p, got[i], 1);
	}
	rc = rc ? rc : tce_pool_free(m->p, m->first, 1);
	rc = rc ? rc : tce_pool_free(m->p, m->again, 1);
	rc = rc ? rc : tce_pool_free(m->p, m->other, 1);
	if (!rc) { /* the same address may come back for the next pool: it starts at home */
		struct tce_pool_config cfg = m->p->cfg;
		struct tce_ctx *ctx = m->p->ctx;

		tce_pool_destroy(m->p);
		rc = tce_pool_create(ctx, &cfg, &m->p);
		req = (struct tce_alloc_req){ .npages = 1, .cpu = m->cpu };
		rc = rc ? rc : tce_pool_alloc(m->p, &req, &idx);
		m->fresh = rc ? 0 : idx;
		if (!rc)
			rc = tce_pool_free(m->p, idx, 1);
	}
	m->rc = rc;
	return NULL;
}

static void moved_start_remembered(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .entries = 4096, .page_shift = 12, .nr_pools = 4,
				       .no_large_pool = true, .block_pages = 1 };
	struct tce_alloc_req req = { .npages = 1, .cpu = 5 };
	struct moved_run m = { .cpu = 5 };
	unsigned other_home = 0;
	pthread_t tid;
	uint64_t idx;

	REQUIRE(tce_pool_create(ctx, &cfg, &m.p) == 0);
	REQUIRE(tce_pool_alloc(m.p, &req, &idx) == 0);
	m.home = (unsigned)(idx / 1024);
	REQUIRE(tce_pool_free(m.p, idx, 1) == 0);
	for (m.other_cpu = 6; m.other_cpu < 64; m.other_cpu++) {
		req = (struct tce_alloc_req){ .npages = 1, .cpu = m.other_cpu };
		REQUIRE(tce_pool_alloc(m.p, &req, &idx) == 0);
		REQUIRE(tce_pool_free(m.p, idx, 1) == 0);
		other_home = (unsigned)(idx / 1024);
		if (other_home != m.home)
			break;
	}
	REQUIRE(other_home != m.home);
	REQUIRE(pthread_create(&tid, NULL, moved_thread, &m) == 0);
	pthread_join(tid, NULL);
	CHECK_RC(m.rc, 0);
	CHECK_EQ(m.first / 1024, (m.home + 1) % 4);
	CHECK_EQ(m.again / 1024, (m.home + 1) % 4); /* remembered, the home pool free */
	CHECK_EQ(m.other / 1024, other_home);
	CHECK_EQ(m.fresh / 1024, m.home); /* the new pool: home */
	/* Full, the pool moved to hands on to the next in the pass order from it, not home. */
	CHECK_EQ(m.past_full / 1024, (m.home + 2) % 4);
	CHECK_EQ(m.refound / 1024, (m.home + 1) % 4); /* and wraps there for a freed entry */
	CHECK_RC(tce_pool_check(m.p, NULL), 0);
	tce_pool_destroy(m.p);
	tt_ctx_done(ctx);
}

/* A cached range that the bitmaps do not mark as allocated and cached. */
/* Sixteen pools, the most there can be: each range is counted once. */
static void sixteen_pools_counted_once(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg = { .first_idx = 1 << 16, .entries = 1 << 16, .page_shift = 12,
				       .nr_pools = 16 };
	struct tce_alloc_req req = { .npages = 100, .cpu = 0 };
	struct tce_pool_stats st;
	struct tce_pool *p;
	uint64_t a;

	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	CHECK_RC(tce_pool_alloc(p, &req, &a), 0);
	CHECK(a >= cfg.large_start); /* above the threshold: the large pool */
	req.npages = 1;
	CHECK_RC(tce_pool_alloc(p, &req, &a), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.allocated, 101);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static void cached_not_marked(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct log_record rec = { 0 };
	struct tce_pool_config cfg = { .first_idx = 1 << 16, .entries = 1 << 16, .page_shift = 12,
				       .cache = true };
	struct tce_pool *p;
	struct tce__pool_range *r;
	uint64_t a, rel;

	tce_ctx_set_log(ctx, record_log, &rec, TCE_LOG_ERR);
	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	CHECK_RC(alloc1(p, &a), 0);
	CHECK_RC(tce_pool_free(p, a, 1), 0);
	rel = a - cfg.first_idx;
	r = tce__pool_of(p, rel);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	/* Free in the bitmap, the pool's count in step: only the cache's walk can see it. */
	tce__bitmap_clear(p->map, rel, 1);
	r->free++;
	CHECK_FAILS(p, NULL, &rec);
	tce__bitmap_set(p->map, rel, 1);
	r->free--;
	tce__bitmap_clear(p->cached, rel, 1);
	CHECK_FAILS(p, NULL, &rec);
	tce__bitmap_set(p->cached, rel, 1);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(parked_but_mapped),
	TT_CASE(cached_but_mapped),
	TT_CASE(counters_disagree),
	TT_CASE(cached_not_marked),
	TT_CASE(sixteen_pools_counted_once),
	TT_CASE(check_walks_every_slot),
	TT_CASE(held_home_pool_spills_to_next),
	TT_CASE(moved_start_remembered),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
