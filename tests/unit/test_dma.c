/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the DMA API through <tce.h>: single pages with sub-page
 * offsets and host-page TCE groups, directions, validated unmaps, scatter
 * lists (merging, maximum segment size, segment boundary, terminator,
 * empty elements, unwinding on failure), coherent buffers, backend failures
 * and lazy versus strict flushing.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"

#define REAL 0x40000000ULL

/* A counting backend over a table that can be told to fail. */
struct backend {
	struct tce_table *t;
	unsigned sets, clears, flushes;
	unsigned fail_at; /* the n-th set fails with -EBUSY; 0 = never */
};

static int be_set(void *arg, uint64_t idx, uint64_t n, uint64_t real, enum tce_dir dir)
{
	struct backend *b = arg;

	if (++b->sets == b->fail_at)
		return -EBUSY;
	return tce_table_set(b->t, idx, n, real, dir);
}

static void be_clear(void *arg, uint64_t idx, uint64_t n)
{
	struct backend *b = arg;

	b->clears++;
	tce_table_clear(b->t, idx, n);
}

static void be_flush(void *arg)
{
	((struct backend *)arg)->flushes++;
}

static const struct tce_dma_ops be_ops = { .set = be_set, .clear = be_clear, .flush = be_flush };

struct fixture {
	struct tce_ctx *ctx;
	struct tce_table *t;
	struct tce_dma *d;
	struct backend be;
	struct tce_dma_config cfg;
};

static int setup(struct fixture *f, uint32_t shift, bool custom, bool strict)
{
	f->ctx = tt_ctx();
	if (tt_table(f->ctx, 0, 1ULL << 32, shift, 2, false, &f->t))
		return -1;
	f->be = (struct backend){ .t = f->t };
	f->cfg = (struct tce_dma_config){ .table = f->t, .strict = strict };
	if (custom) {
		f->cfg.ops = &be_ops;
		f->cfg.ops_arg = &f->be;
	}
	return tce_dma_create(f->ctx, &f->cfg, &f->d);
}

static void teardown(struct fixture *f)
{
	struct tce_table_stats st;

	CHECK_RC(tce_pool_check(tce_dma_pool(f->d), f->t), 0);
	tce_table_stats(f->t, &st);
	CHECK_EQ(st.populated, 0);
	tce_dma_destroy(f->d);
	tce_table_put(f->t);
	tt_ctx_done(f->ctx);
}

static uint64_t tce_at(struct fixture *f, uint64_t bus)
{
	uint64_t v = ~0ULL;

	CHECK_RC(tce_table_get(f->t, bus >> f->cfg.pool.page_shift, &v), 0);
	return v;
}

static void map_page_basics(void)
{
	struct fixture f;
	uint64_t bus, real;

	REQUIRE(setup(&f, 12, false, false) == 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL + 0x123, 0x2000, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_EQ(bus & 0xfff, 0x123);
	CHECK(bus >= 0x1000); /* bus address 0 is never handed out */
	CHECK_EQ(tce_at(&f, bus), REAL | TCE_PCI_READ);
	CHECK_EQ(tce_at(&f, bus + 0x2000), (REAL + 0x2000) | TCE_PCI_READ); /* 3 pages */
	CHECK_RC(tce_table_translate(f.t, bus + 0x1ff0, TCE_DIR_TO_DEVICE, &real), 0);
	CHECK_EQ(real, REAL + 0x123 + 0x1ff0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus + 0x1000, 0x2000), -EINVAL); /* not this mapping */
	CHECK_EQ(tce_at(&f, bus), REAL | TCE_PCI_READ);                   /* untouched */
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x2000), 0);
	CHECK_EQ(tce_at(&f, bus), 0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x2000), -EINVAL); /* twice */
	CHECK_RC(tce_dma_map_page(f.d, REAL, 0, TCE_DIR_TO_DEVICE, &bus), -EINVAL);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 8, TCE_DIR_NONE, &bus), -EINVAL);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 8, (enum tce_dir)7, &bus), -EINVAL);
	CHECK_RC(tce_dma_map_page(f.d, ~0ULL - 4, 8, TCE_DIR_TO_DEVICE, &bus), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, 1ULL << 40, 8), -EINVAL);
	teardown(&f);
}

static void directions(void)
{
	static const uint64_t perm[] = { 3, 1, 2 };
	struct fixture f;
	uint64_t bus;
	int dir;

	REQUIRE(setup(&f, 12, false, false) == 0);
	for (dir = 0; dir < 3; dir++) {
		CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, (enum tce_dir)dir, &bus), 0);
		CHECK_EQ(tce_at(&f, bus), REAL | perm[dir]);
		CHECK_RC(tce_dma_unmap_page(f.d, bus, 4096), 0);
	}
	teardown(&f);
}

/* 4 KiB TCEs under 64 KiB host pages: a host page maps to 16 aligned TCEs. */
static void host_page_groups(void)
{
	struct fixture f;
	uint64_t bus[8], i;

	REQUIRE(setup(&f, 12, false, false) == 0);
	for (i = 0; i < 8; i++) {
		CHECK_RC(tce_dma_map_page(f.d, REAL + (i << 16), 1 << 16, TCE_DIR_BIDIRECTIONAL,
					  &bus[i]), 0);
		CHECK_EQ(bus[i] % (1 << 16), 0);
	}
	for (i = 0; i < 8; i++)
		CHECK_RC(tce_dma_unmap_page(f.d, bus[i], 1 << 16), 0);
	teardown(&f);
}

static void fill_sg(struct tce_sg *sg, unsigned n, uint64_t len)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sg[i] = (struct tce_sg){ .real = REAL + i * len, .length = len };
}

static void sg_merges_within_limits(void)
{
	struct fixture f;
	struct tce_sg sg[64];
	unsigned out, i;
	uint64_t total = 0;

	REQUIRE(setup(&f, 12, false, false) == 0);
	/* 64 page-sized elements: merged up to the 64 KiB maximum segment. */
	fill_sg(sg, 64, 4096);
	CHECK_RC(tce_dma_map_sg(f.d, sg, 64, TCE_DIR_TO_DEVICE, &out), 0);
	CHECK(out < 64);
	for (i = 0; i < out; i++) {
		CHECK(sg[i].dma_length <= 64 << 10);
		CHECK_EQ(sg[i].dma_address >> 32, (sg[i].dma_address + sg[i].dma_length - 1) >> 32);
		total += sg[i].dma_length;
	}
	CHECK_EQ(total, 64 * 4096);
	CHECK_EQ(sg[out].dma_length, 0); /* terminator */
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 64), 0);
	teardown(&f);
}

static void sg_respects_boundary_and_gaps(void)
{
	struct fixture f;
	struct tce_pool_stats st;
	struct tce_sg sg[16];
	unsigned out, i;

	f.ctx = tt_ctx();
	REQUIRE(tt_table(f.ctx, 0, 1ULL << 32, 12, 2, false, &f.t) == 0);
	f.cfg = (struct tce_dma_config){ .table = f.t, .seg_boundary = 1 << 15,
					 .max_seg_size = 1 << 20 };
	REQUIRE(tce_dma_create(f.ctx, &f.cfg, &f.d) == 0);
	fill_sg(sg, 16, 4096);
	sg[5].length = 0; /* breaks contiguity */
	CHECK_RC(tce_dma_map_sg(f.d, sg, 16, TCE_DIR_BIDIRECTIONAL, &out), 0);
	for (i = 0; i < out; i++) {
		uint64_t a = sg[i].dma_address, e = a + sg[i].dma_length - 1;

		CHECK_EQ(a >> 15, e >> 15); /* no merged segment spans 32 KiB */
	}
	CHECK(out >= 3);
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 16), 0);
	/* Only empty elements: nothing to map. */
	for (i = 0; i < 4; i++)
		sg[i].length = 0;
	CHECK_RC(tce_dma_map_sg(f.d, sg, 4, TCE_DIR_BIDIRECTIONAL, &out), -EINVAL);
	/* An element whose range wraps, after good ones: refused, and nothing stays mapped. */
	fill_sg(sg, 4, 4096);
	sg[3] = (struct tce_sg){ .real = ~0ULL - 4095, .length = 8192 };
	out = 77;
	CHECK_RC(tce_dma_map_sg(f.d, sg, 4, TCE_DIR_BIDIRECTIONAL, &out), -EINVAL);
	CHECK_EQ(out, 77);
	tce_pool_stats(tce_dma_pool(f.d), &st);
	CHECK_EQ(st.allocated, 0);
	teardown(&f);
}

static void sg_failure_unwinds(void)
{
	struct fixture f;
	struct tce_pool_stats st;
	struct tce_sg sg[8];
	unsigned out;

	REQUIRE(setup(&f, 12, true, false) == 0);
	fill_sg(sg, 8, 4096 + 8); /* unaligned lengths: 8 ranges */
	f.be.fail_at = 5;
	CHECK_RC(tce_dma_map_sg(f.d, sg, 8, TCE_DIR_TO_DEVICE, &out), -EBUSY);
	tce_pool_stats(tce_dma_pool(f.d), &st);
	CHECK_EQ(st.allocated, 0); /* the failing range too */
	CHECK_EQ(f.be.clears, 4);
	teardown(&f);
}

static void backend_failure_frees(void)
{
	struct fixture f;
	struct tce_pool_stats st;
	uint64_t bus;

	REQUIRE(setup(&f, 12, true, false) == 0);
	f.be.fail_at = 1;
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus), -EBUSY);
	tce_pool_stats(tce_dma_pool(f.d), &st);
	CHECK_EQ(st.allocated, 0);
	teardown(&f);
}

static void coherent(void)
{
	struct fixture f;
	uint8_t *cpu, *other;
	uint64_t bus, bus2, real;
	size_t i;
	int zero = 1;

	REQUIRE(setup(&f, 12, false, false) == 0);
	CHECK_RC(tce_dma_alloc_coherent(f.d, 100 << 10, (void **)&cpu, &bus), 0);
	for (i = 0; i < (100 << 10); i++)
		zero &= cpu[i] == 0;
	CHECK(zero);
	CHECK_EQ(bus % (128 << 10), 0); /* naturally aligned to 128 KiB */
	CHECK_RC(tce_table_translate(f.t, bus + 0x1234, TCE_DIR_FROM_DEVICE, &real), 0);
	CHECK_EQ(real, (uint64_t)(uintptr_t)cpu + 0x1234);
	CHECK_RC(tce_dma_alloc_coherent(f.d, 4096, (void **)&other, &bus2), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, cpu, bus2), -EINVAL); /* mismatched pair */
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, other, bus2), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 100 << 10, cpu, bus), 0);
	CHECK_RC(tce_dma_alloc_coherent(f.d, 0, (void **)&cpu, &bus), -EINVAL);
	/* Order 13 of 64 KiB pages (above 256 MiB) is refused, order 12 is not. */
	CHECK_RC(tce_dma_alloc_coherent(f.d, (256ULL << 20) + 1, (void **)&cpu, &bus), -EINVAL);
	teardown(&f);
}

/*
 * Coherent bus addresses are aligned to the size rounded up to a power of
 * two (get_iommu_order), wherever the pool's hint was left by odd-sized
 * streaming maps before them; bad coherent calls are refused and change
 * nothing.
 */
static void coherent_alignment_and_refusals(void)
{
	struct fixture f;
	uint64_t bus[8], sbus[8], cbus, k, pages;
	void *cpu;

	REQUIRE(setup(&f, 12, false, false) == 0);
	for (k = 0; k < 8; k++) {
		pages = 17 + 5 * k; /* large requests: the large pool, hint = end */
		CHECK_RC(tce_dma_map_page(f.d, 0x100000, pages << 12, TCE_DIR_TO_DEVICE, &sbus[k]), 0);
		CHECK_RC(tce_dma_map_coherent(f.d, 0x200000, 17 << 12, &bus[k]), 0);
		CHECK_EQ(bus[k] % (32 << 12), 0); /* 17 pages: order 5 */
	}
	CHECK_RC(tce_dma_map_coherent(f.d, 0x200800, 4096, &cbus), -EINVAL); /* misaligned */
	CHECK_RC(tce_dma_map_coherent(f.d, 0x200000, 0, &cbus), -EINVAL);
	CHECK_RC(tce_dma_alloc_coherent(f.d, 4096, &cpu, &cbus), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, NULL, cbus), -EINVAL);
	CHECK_RC(tce_dma_free_coherent(f.d, 0, cpu, cbus), -EINVAL);
	CHECK(tce_at(&f, cbus) != 0); /* still mapped */
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, cpu, cbus), 0);
	for (k = 0; k < 8; k++) {
		CHECK_RC(tce_dma_unmap_page(f.d, bus[k], 17 << 12), 0);
		CHECK_RC(tce_dma_unmap_page(f.d, sbus[k], (17 + 5 * k) << 12), 0);
	}
	teardown(&f);
}

static void count_errors(void *arg, enum tce_log_level level, const char *msg)
{
	(void)msg;
	if (level == TCE_LOG_ERR)
		(*(int *)arg)++;
}

/* tce.h: a refused unmap (page, scatter list, coherent buffer) is logged. */
static void refused_unmaps_logged(void)
{
	struct fixture f;
	struct tce_sg sg[4];
	uint64_t bus, cbus;
	unsigned out;
	int errors = 0;
	void *cpu;

	REQUIRE(setup(&f, 12, false, false) == 0);
	tce_ctx_set_log(f.ctx, count_errors, &errors, TCE_LOG_ERR);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 8192, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 4096), -EINVAL);
	CHECK_EQ(errors, 1);
	fill_sg(sg, 4, 4096);
	CHECK_RC(tce_dma_map_sg(f.d, sg, 4, TCE_DIR_TO_DEVICE, &out), 0);
	sg[0].dma_length += 4096;
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 4), -EINVAL);
	CHECK_EQ(errors, 2);
	sg[0].dma_length -= 4096;
	CHECK_RC(tce_dma_alloc_coherent(f.d, 4096, &cpu, &cbus), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, cpu, cbus + 4096), -EINVAL);
	CHECK_EQ(errors, 3);
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, cpu, cbus), 0);
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 4), 0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 8192), 0);
	CHECK_EQ(errors, 3);
	teardown(&f);
}

static void lazy_and_strict_flush(void)
{
	struct fixture f;
	uint64_t bus[64], i, extra;

	REQUIRE(setup(&f, 12, true, true) == 0);
	for (i = 0; i < 10; i++) {
		CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus[0]), 0);
		CHECK_RC(tce_dma_unmap_page(f.d, bus[0], 4096), 0);
	}
	CHECK_EQ(f.be.flushes, 10); /* strict: one per unmap */
	teardown(&f);

	/* Lazy: a 256 KiB window (64 entries): flushes only when space is reused. */
	f.ctx = tt_ctx();
	REQUIRE(tt_table(f.ctx, 1ULL << 30, 1 << 18, 12, 1, false, &f.t) == 0);
	f.be = (struct backend){ .t = f.t };
	f.cfg = (struct tce_dma_config){ .table = f.t, .ops = &be_ops, .ops_arg = &f.be };
	REQUIRE(tce_dma_create(f.ctx, &f.cfg, &f.d) == 0);
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus[i]), 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &extra), -ENOSPC);
	for (i = 0; i < 64; i++)
		CHECK_RC(tce_dma_unmap_page(f.d, bus[i], 4096), 0);
	CHECK_EQ(f.be.flushes, 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus[0]), 0);
	CHECK_EQ(f.be.flushes, 1);
	CHECK_RC(tce_dma_unmap_page(f.d, bus[0], 4096), 0);
	teardown(&f);
}

static void bad_configs(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_dma_config cfg = { 0 };
	static const struct tce_dma_ops half = { .set = be_set };
	struct tce_table *t;
	struct tce_dma *d;

	CHECK_RC(tce_dma_create(ctx, &cfg, &d), -EINVAL);
	REQUIRE(tt_table(ctx, 0, 1ULL << 30, 16, 1, false, &t) == 0);
	cfg = (struct tce_dma_config){ .table = t, .ops = &half };
	CHECK_RC(tce_dma_create(ctx, &cfg, &d), -EINVAL);
	cfg = (struct tce_dma_config){ .table = t, .seg_boundary = 3 << 20 };
	CHECK_RC(tce_dma_create(ctx, &cfg, &d), -EINVAL);
	cfg = (struct tce_dma_config){ .table = t, .seg_boundary = 1 << 12 };
	CHECK_RC(tce_dma_create(ctx, &cfg, &d), -EINVAL); /* below one 64 KiB page */
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/*
 * A backend-owned window (no table): ops are required and the window is
 * the pool config's, with a page shift of 12..34 and at least one entry.
 */
static void backend_owned_windows(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct backend be = { 0 };
	struct tce_dma_config cfg;
	struct tce_dma *d;
	static const struct {
		bool ops;
		uint64_t entries;
		uint32_t shift;
		int rc;
	} cases[] = {
		{ false, 1024, 12, -EINVAL }, /* neither a table nor ops */
		{ true, 0, 12, -EINVAL },
		{ true, 1024, 11, -EINVAL },
		{ true, 1024, 35, -EINVAL },
		{ true, 1024, 64, -EINVAL }, /* no shift by it may happen */
		{ true, 1024, 12, 0 },
		{ true, 64, 34, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = (struct tce_dma_config){ .ops = cases[i].ops ? &be_ops : NULL, .ops_arg = &be,
					       .seg_boundary = 1ULL << 40,
					       .pool = { .first_idx = 1, .entries = cases[i].entries,
							 .page_shift = cases[i].shift } };
		d = NULL;
		CHECK_RC(tce_dma_create(ctx, &cfg, &d), cases[i].rc);
		if (cases[i].rc) {
			CHECK(d == NULL);
			continue;
		}
		CHECK_EQ(cfg.pool.entries, cases[i].entries);
		CHECK_EQ(cfg.pool.page_shift, cases[i].shift);
		CHECK_EQ(tce_dma_pool(d) != NULL, 1);
		tce_dma_destroy(d);
	}
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(map_page_basics),
	TT_CASE(directions),
	TT_CASE(host_page_groups),
	TT_CASE(sg_merges_within_limits),
	TT_CASE(sg_respects_boundary_and_gaps),
	TT_CASE(sg_failure_unwinds),
	TT_CASE(backend_failure_frees),
	TT_CASE(coherent),
	TT_CASE(coherent_alignment_and_refusals),
	TT_CASE(refused_unmaps_logged),
	TT_CASE(lazy_and_strict_flush),
	TT_CASE(bad_configs),
	TT_CASE(backend_owned_windows),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
