/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seeded random sequences of allocations and frees of mixed sizes and
 * constraints against the allocator oracle, over several configurations
 * (1, 4 and 16 pools; large pool on and off; caches on and off; lazy flush
 * on and off; windows at bus 0 and above). Every allocation must be valid,
 * every -ENOSPC justified, every bad free refused without effect, and the
 * checker must pass throughout.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "tt_alloc.h"
#include "tt_table.h"

struct live {
	uint64_t idx, npages;
};

struct model {
	struct tce_pool *p;
	struct alloc_oracle o;
	struct live *live;
	uint64_t nlive, cap, seed, enospc;
};

static uint64_t pick_size(struct model *m)
{
	uint64_t k = tt_below(&m->seed, 100);

	if (k < 70)
		return 1;
	if (k < 95)
		return 2 + tt_below(&m->seed, 15);
	return 17 + tt_below(&m->seed, 240);
}

static void pick_req(struct model *m, struct tce_alloc_req *req)
{
	uint64_t window_end = (m->o.cfg.first_idx + m->o.cfg.entries) << m->o.cfg.page_shift;

	*req = (struct tce_alloc_req){ .npages = pick_size(m), .cpu = -1 };
	if (tt_below(&m->seed, 4) == 0)
		req->cpu = (int32_t)tt_below(&m->seed, 64);
	if (tt_below(&m->seed, 8) == 0)
		req->dma_mask = (window_end >> (1 + tt_below(&m->seed, 3))) - 1;
	if (tt_below(&m->seed, 6) == 0)
		req->boundary = 1ULL << (m->o.cfg.page_shift + 8 + tt_below(&m->seed, 4));
	if (tt_below(&m->seed, 6) == 0)
		req->align_order = (uint32_t)tt_below(&m->seed, 5);
}

static void do_alloc(struct model *m)
{
	struct tce_alloc_req req;
	const char *why;
	uint64_t idx;
	int rc;

	pick_req(m, &req);
	rc = tce_pool_alloc(m->p, &req, &idx);
	if (rc == -ENOSPC) {
		m->enospc++;
		why = oracle_enospc(&m->o, &req);
	} else if (rc == -EINVAL) {
		why = req.dma_mask && (req.dma_mask >> m->o.cfg.page_shift) < m->o.cfg.first_idx
			      ? NULL
			      : "refused a valid request";
	} else {
		why = rc ? "unexpected error" : oracle_alloc(&m->o, &req, idx);
		if (!why)
			m->live[m->nlive++] = (struct live){ idx, req.npages };
	}
	if (why)
		tt_fail(__FILE__, __LINE__, "alloc of %" PRIu64 " pages (mask 0x%" PRIx64
			" boundary 0x%" PRIx64 " align %u) rc %d at 0x%" PRIx64 ": %s",
			req.npages, req.dma_mask, req.boundary, req.align_order, rc, idx, why);
}

static void bad_free(struct model *m, uint64_t idx, uint64_t npages)
{
	uint64_t rel = idx - m->o.cfg.first_idx, n = oracle_size(&m->o, npages), i;

	for (i = 0; i < n && rel + i < m->o.cfg.entries; i++)
		if (m->o.state[rel + i] != 1)
			break;
	if (i < n)
		CHECK_RC(tce_pool_free(m->p, idx, npages), -EINVAL);
}

static void do_free(struct model *m)
{
	uint64_t k;
	struct live l;

	if (!m->nlive)
		return;
	k = tt_below(&m->seed, m->nlive);
	l = m->live[k];
	if (tt_below(&m->seed, 50) == 0) {
		/*
		 * A bad free, shifted or too long: refused whenever it covers an
		 * entry that is not live (a bitmap cannot tell whose a live
		 * entry is, so a range of other live entries is not tried).
		 */
		bad_free(m, l.idx + 1, l.npages);
		bad_free(m, l.idx, oracle_size(&m->o, l.npages) + 1);
	}
	CHECK_RC(tce_pool_free(m->p, l.idx, l.npages), 0);
	oracle_free(&m->o, l.idx, l.npages);
	m->live[k] = m->live[--m->nlive];
	if (tt_below(&m->seed, 50) == 0)
		CHECK_RC(tce_pool_free(m->p, l.idx, l.npages), -EINVAL); /* double free */
}

static void flush_noop(void *arg)
{
	(*(uint64_t *)arg)++;
}

static void run(struct tce_pool_config cfg, uint64_t ops, uint64_t seed)
{
	struct tce_ctx *ctx = tt_ctx();
	struct model m = { .seed = seed, .cap = cfg.entries };
	struct tce_pool_stats st;
	uint64_t i, flushes = 0;

	if (cfg.lazy_flush)
		cfg.flush_arg = &flushes;
	REQUIRE(tce_pool_create(ctx, &cfg, &m.p) == 0);
	REQUIRE(oracle_init(&m.o, &cfg) == 0);
	m.live = calloc(m.cap, sizeof(*m.live));
	REQUIRE(m.live);
	for (i = 0; i < ops && !tt_failed(); i++) {
		/* Phases of filling and draining, so fill levels sweep 0..100 %. */
		if (tt_below(&m.seed, 100) < ((i / 5000) % 2 ? 30 : 70))
			do_alloc(&m);
		else
			do_free(&m);
		if (i % 4096 == 0)
			CHECK_RC(tce_pool_check(m.p, NULL), 0);
	}
	while (m.nlive && !tt_failed())
		do_free(&m);
	CHECK_RC(tce_pool_check(m.p, NULL), 0);
	tce_pool_stats(m.p, &st);
	CHECK_EQ(st.allocated, 0);
	CHECK(m.enospc > 0 || ops < 10000);
	tce_pool_destroy(m.p);
	oracle_fini(&m.o);
	free(m.live);
	tt_ctx_done(ctx);
}

static void configurations(void)
{
	uint64_t ops = (uint64_t)(60000 * tt_scale()), seed = tt_seed();
	struct tce_pool_config base = { .entries = 1 << 14, .page_shift = 16 }, c;
	unsigned k;

	for (k = 0; k < 16 && !tt_failed(); k++) {
		c = base;
		c.first_idx = k & 1 ? 0 : (1ULL << 59) >> 16;
		c.nr_pools = (k >> 1) % 3 == 0 ? 1 : (k >> 1) % 3 == 1 ? 4 : 16;
		c.no_large_pool = k & 4;
		c.cache = k & 8;
		c.lazy_flush = (k * 7) & 2 ? flush_noop : NULL;
		c.spinlocks = k & 2;
		run(c, ops, seed + k);
	}
}

static const struct tt_case cases[] = {
	TT_CASE(configurations),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
