/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the allocator and the DMA API: creating a pool with
 * caches and a lazy flush, creating a DMA object, mapping a page, a
 * scatter list and a coherent buffer. Every fault point (allocations, level
 * allocations inside the table, backend calls) fails in turn; each failure
 * must return its documented error and leave nothing allocated, mapped or
 * leaked, and the checker must pass.
 */
#include <errno.h>

#include "harness.h"
#include "tt_table.h"

#define MAX_POINTS 200

static void noop_flush(void *arg)
{
	(void)arg;
}

static void sweep_pool_create(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_pool_config cfg;
	struct tce_pool *p;
	uint64_t n;
	int rc;

	for (n = 1; n < MAX_POINTS; n++) {
		cfg = (struct tce_pool_config){ .first_idx = 0, .entries = 1 << 16, .page_shift = 12,
						.cache = true, .lazy_flush = noop_flush };
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_pool_create(ctx, &cfg, &p);
		if (tce_ctx_fail_nth_armed(ctx)) {
			CHECK_RC(rc, 0);
			break;
		}
		CHECK_RC(rc, -ENOMEM);
		tt_no_leak(ctx);
	}
	CHECK(n > 4); /* pool, 4 bitmaps, cache, magazines */
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tt_ctx_done(ctx);
}

struct rig {
	struct tce_ctx *ctx;
	struct tce_table *t;
	struct tce_dma *d;
};

static int rig_up(struct rig *r, bool cache)
{
	struct tce_dma_config cfg;

	r->ctx = tt_ctx();
	if (tt_table(r->ctx, 1ULL << 40, 1ULL << 36, 12, 3, false, &r->t))
		return -1;
	cfg = (struct tce_dma_config){ .table = r->t, .pool = { .cache = cache } };
	return tce_dma_create(r->ctx, &cfg, &r->d);
}

/* Nothing mapped or allocated; the checker agrees with the table. */
static void rig_clean(struct rig *r)
{
	struct tce_table_stats ts;
	struct tce_pool_stats ps;

	tce_table_stats(r->t, &ts);
	tce_pool_stats(tce_dma_pool(r->d), &ps);
	CHECK_EQ(ts.populated, 0);
	CHECK_EQ(ps.allocated, 0);
	CHECK_RC(tce_pool_check(tce_dma_pool(r->d), r->t), 0);
}

static void rig_down(struct rig *r)
{
	tce_ctx_set_fail_nth(r->ctx, 0);
	rig_clean(r);
	tce_dma_destroy(r->d);
	tce_table_put(r->t);
	tt_ctx_done(r->ctx);
}

static void sweep_dma_create(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_dma_config cfg;
	struct tce_table *t;
	struct tce_dma *d;
	uint64_t n;
	int rc;

	REQUIRE(tt_table(ctx, 0, 1ULL << 31, 12, 1, false, &t) == 0);
	for (n = 1; n < MAX_POINTS; n++) {
		cfg = (struct tce_dma_config){ .table = t, .pool = { .cache = true } };
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_dma_create(ctx, &cfg, &d);
		if (tce_ctx_fail_nth_armed(ctx))
			break;
		CHECK_RC(rc, -ENOMEM);
	}
	CHECK_RC(rc, 0);
	tce_ctx_set_fail_nth(ctx, 0);
	tce_dma_destroy(d);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/* One operation that maps then unmaps; returns the map's result. */
typedef int (*dma_op)(struct tce_dma *d);

static int op_page(struct tce_dma *d)
{
	uint64_t bus;
	int rc = tce_dma_map_page(d, 0x7000000, 3 << 16, TCE_DIR_FROM_DEVICE, &bus);

	if (!rc)
		CHECK_RC(tce_dma_unmap_page(d, bus, 3 << 16), 0);
	return rc;
}

static int op_sg_n(struct tce_dma *d, unsigned n)
{
	struct tce_sg sg[80];
	unsigned i, out;
	int rc;

	for (i = 0; i < n; i++)
		sg[i] = (struct tce_sg){ .real = 0x10000000 + (uint64_t)i * (1 << 20),
					 .length = i % 7 ? 5000 + i * 4096 : 0 };
	rc = tce_dma_map_sg(d, sg, n, TCE_DIR_BIDIRECTIONAL, &out);
	if (!rc)
		CHECK_RC(tce_dma_unmap_sg(d, sg, n), 0);
	return rc;
}

static int op_sg(struct tce_dma *d)
{
	return op_sg_n(d, 40);
}

/* Above 64 elements the ranges go to a temporary array: one more point, first. */
static int op_sg_long(struct tce_dma *d)
{
	return op_sg_n(d, 80);
}

static int op_coherent(struct tce_dma *d)
{
	uint64_t bus;
	void *cpu;
	int rc = tce_dma_alloc_coherent(d, 300 << 10, &cpu, &bus);

	if (!rc)
		CHECK_RC(tce_dma_free_coherent(d, 300 << 10, cpu, bus), 0);
	return rc;
}

/* Fail each point of @op in turn on a fresh rig; returns the points swept. */
static uint64_t sweep(dma_op op, bool cache)
{
	struct rig r;
	uint64_t n;
	int rc;

	for (n = 1; n < MAX_POINTS && !tt_failed(); n++) {
		if (rig_up(&r, cache)) {
			tt_fail(__FILE__, __LINE__, "rig");
			break;
		}
		tce_ctx_set_fail_nth(r.ctx, n);
		rc = op(r.d);
		if (tce_ctx_fail_nth_armed(r.ctx)) {
			CHECK_RC(rc, 0);
			rig_down(&r);
			break;
		}
		if (rc != -ENOMEM && rc != -EIO)
			tt_fail(__FILE__, __LINE__, "point %" PRIu64 ": %d", n, rc);
		rig_clean(&r);
		rig_down(&r);
	}
	return n;
}

static void sweep_map_page(void)
{
	CHECK(sweep(op_page, false) >= 3);
}

static void sweep_map_sg(void)
{
	CHECK(sweep(op_sg, false) > 30);
	CHECK(sweep(op_sg, true) > 30);
	CHECK(sweep(op_sg_long, false) > 70);
}

static void sweep_coherent(void)
{
	CHECK(sweep(op_coherent, false) >= 3);
}

static const struct tt_case cases[] = {
	TT_CASE(sweep_pool_create),
	TT_CASE(sweep_dma_create),
	TT_CASE(sweep_map_page),
	TT_CASE(sweep_map_sg),
	TT_CASE(sweep_coherent),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
