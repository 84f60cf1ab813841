/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the domain's paths on powernv and pseries: attach
 * (ownership, table creation, window programming), map (a range that
 * splits into several runs, so a failure part-way must roll back), unmap,
 * dirty_read and detach. Every fault point from the first until the call
 * succeeds without one firing: the call returns 0 or its documented errno,
 * a failure changes nothing (TCEs read back through the group's table,
 * iova_to_phys, the dirty log, ownership), and nothing leaks.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tt_domain.h"

#define KiB (1ull << 10)
#define MAP_IOVA 0x3000ull
#define MAP_SIZE 0x100000ull /* 13 x 4 KiB, 15 x 64 KiB, 3 x 4 KiB */

static const enum tce_platform plats[] = { TCE_PLATFORM_POWERNV, TCE_PLATFORM_PSERIES };

static struct tce_ctx *ctx_of(struct tt_dom *f)
{
	return tce_machine_ctx(f->o.m);
}

static bool is_io_error(int rc)
{
	return rc == -ENOMEM || rc == -EIO || rc == -EINVAL || rc == -ENODEV || rc == -ENOSPC;
}

/* Whether every 4 KiB TCE of the test range is @mapped (to arena + iova). */
static void check_range(struct tt_dom *f, bool mapped)
{
	uint64_t tce, phys, i;

	for (i = MAP_IOVA; i < MAP_IOVA + MAP_SIZE; i += 4 * KiB) {
		CHECK_RC(tt_dom_tce(f->g, 0, i, &tce), 0);
		CHECK_EQ(tce ? tce & ~0xfffull : 0, mapped ? (uint64_t)f->arena + i : 0);
		CHECK_RC(tce_domain_iova_to_phys(f->d, i, &phys), mapped ? 0 : -ENOENT);
	}
}

/*
 * After an unmap failed part-way: the record agrees with the table, page by
 * page (a cleared TCE no longer translates, a kept one still does), and the
 * cleared pages are the @got bytes reported.
 */
static void check_agree(struct tt_dom *f, uint64_t got)
{
	uint64_t tce, phys, i, cleared = 0;

	for (i = MAP_IOVA; i < MAP_IOVA + MAP_SIZE; i += 4 * KiB) {
		CHECK_RC(tt_dom_tce(f->g, 0, i, &tce), 0);
		CHECK_RC(tce_domain_iova_to_phys(f->d, i, &phys), tce ? 0 : -ENOENT);
		cleared += tce ? 0 : 4 * KiB;
	}
	CHECK_EQ(cleared, got);
}

static void attach_sweep(enum tce_platform p)
{
	struct tce_domain_info di;
	struct tt_dom f;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, false) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_attach(f.d, f.g);
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		tce_domain_info(f.d, &di);
		if (rc) {
			CHECK(is_io_error(rc));
			CHECK(!tce_group_owned(f.g));
			CHECK_EQ(di.ngroups, 0);
			CHECK_EQ(di.range[0].levels, 0);
			continue;
		}
		CHECK_EQ(di.ngroups, 1);
		CHECK_RC(tce_domain_map(f.d, MAP_IOVA, (uint64_t)f.arena + MAP_IOVA, MAP_SIZE,
					TCE_DOMAIN_READ), 0);
		check_range(&f, true);
		CHECK_RC(tce_domain_detach(f.d, f.g), 0);
		if (!tce_ctx_fail_nth_armed(ctx_of(&f)))
			continue;
		break; /* the fault point was never reached: the sweep is done */
	}
	tt_dom_teardown(&f);
}

static void map_sweep(enum tce_platform p)
{
	uint64_t bm[8], got;
	struct tt_dom f;
	bool armed;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		/* an unmap just before: the map's rollback must not log as the unmap did */
		CHECK_RC(tce_domain_map(f.d, 1ull << 22, (uint64_t)f.arena, 0x1000,
					TCE_DOMAIN_WRITE), 0);
		CHECK_RC(tce_domain_unmap(f.d, 1ull << 22, 0x1000, &got), 0);
		CHECK_RC(tce_domain_dirty_read(f.d, 1ull << 22, 0x1000, bm), 0);
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_map(f.d, MAP_IOVA, (uint64_t)f.arena + MAP_IOVA, MAP_SIZE,
				    TCE_DOMAIN_READ | TCE_DOMAIN_WRITE);
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		check_range(&f, rc == 0);
		if (rc) {
			CHECK(is_io_error(rc));
			/* the rollback logs nothing dirty */
			CHECK_RC(tce_domain_dirty_read(f.d, 0, 1ull << 21, bm), 0);
			for (int i = 0; i < 8; i++)
				CHECK_EQ(bm[i], 0);
			continue;
		}
		CHECK_RC(tce_domain_unmap(f.d, MAP_IOVA, MAP_SIZE, &got), 0);
		CHECK_EQ(got, MAP_SIZE);
		CHECK_RC(tce_domain_dirty_read(f.d, 0, 1ull << 21, bm), 0);
		if (armed)
			break;
	}
	tt_dom_teardown(&f);
}

/*
 * A map across a leaf block of window 0 (32 MiB of 4 KiB TCEs on a 64 KiB
 * host): its second run allocates the next leaf, so a failure there rolls
 * back TCEs the first run wrote. The rollback releases them without
 * logging, though the unmap just before it logged its own.
 */
static void map_leaf_sweep(enum tce_platform p)
{
	const uint64_t iova = (32ull << 20) - 0x3000, size = 0x13000;
	uint64_t bm[1], got;
	struct tt_dom f;
	bool armed;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		CHECK_RC(tce_domain_map(f.d, iova, (uint64_t)f.arena + 0x1000, 0x1000,
					TCE_DOMAIN_WRITE), 0);
		CHECK_RC(tce_domain_unmap(f.d, iova, 0x1000, &got), 0);
		CHECK_RC(tce_domain_dirty_read(f.d, iova, 0x1000, bm), 0);
		CHECK_EQ(bm[0], 1);
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_map(f.d, iova, (uint64_t)f.arena + (iova & 0x1fffff), size,
				    TCE_DOMAIN_READ | TCE_DOMAIN_WRITE);
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		if (rc) {
			CHECK(is_io_error(rc));
			CHECK_RC(tce_domain_dirty_read(f.d, iova, 0x1000, bm), 0);
			CHECK_EQ(bm[0], 0); /* the rollback logged nothing */
			continue;
		}
		CHECK_RC(tce_domain_unmap(f.d, iova, size, &got), 0);
		CHECK_EQ(got, size);
		if (armed)
			break;
		CHECK_RC(tce_domain_dirty_read(f.d, iova, 0x1000, bm), 0);
	}
	tt_dom_teardown(&f);
}

static void unmap_sweep(enum tce_platform p)
{
	uint64_t got, more;
	struct tt_dom f;
	bool armed;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		CHECK_RC(tce_domain_map(f.d, MAP_IOVA, (uint64_t)f.arena + MAP_IOVA, MAP_SIZE,
					TCE_DOMAIN_WRITE), 0);
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_unmap(f.d, 0, 1ull << 21, &got);
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		CHECK(got <= MAP_SIZE);
		if (rc == -ENOMEM) {
			CHECK_EQ(got, 0);
			check_range(&f, true);
		} else if (rc) {
			CHECK_RC(rc, -EIO); /* what was cleared is counted; a retry finishes */
			check_agree(&f, got);
		}
		CHECK_RC(tce_domain_unmap(f.d, 0, 1ull << 21, &more), 0);
		CHECK_EQ(got + more, MAP_SIZE);
		check_range(&f, false);
		if (!rc && armed)
			break;
	}
	tt_dom_teardown(&f);
}

/*
 * An unmap that starts and ends inside the mapping: the record keeps the
 * mapping's head and tail. When a clear fails part-way, the pieces it did
 * clear leave the record (each may split an extent), and so does everything
 * before the failure; the record must have room for every split, even when
 * nothing before the failure was cleared. Each fault point runs on a fresh
 * domain whose record is one short of full (7 extents: six small mappings
 * beside the big one), as the record never shrinks.
 */
#define MID_EXTRA 6
#define MID_EXTRA_IOVA 0x180000ull

static void unmap_mid_sweep(enum tce_platform p)
{
	const uint64_t lo = MAP_IOVA + 0x5000, hi = MAP_IOVA + MAP_SIZE - 0x3000;
	uint64_t got, more, tce, phys, i, x;
	struct tt_dom f;
	bool armed = false;
	int rc = 0;

	for (uint64_t n = 1; n < 10000 && !tt_failed() && !(!rc && armed); n++) {
		REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
		for (x = 0; x < MID_EXTRA; x++) {
			i = MID_EXTRA_IOVA + 2 * x * 4 * KiB;
			CHECK_RC(tce_domain_map(f.d, i, (uint64_t)f.arena + i, 4 * KiB,
						TCE_DOMAIN_WRITE), 0);
		}
		CHECK_RC(tce_domain_map(f.d, MAP_IOVA, (uint64_t)f.arena + MAP_IOVA, MAP_SIZE,
					TCE_DOMAIN_WRITE), 0);
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_unmap(f.d, lo, hi - lo, &got);
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		if (rc == -ENOMEM) {
			CHECK_EQ(got, 0);
			check_range(&f, true);
		} else if (rc) {
			CHECK_RC(rc, -EIO);
			check_agree(&f, got);
		}
		CHECK_RC(tce_domain_unmap(f.d, lo, hi - lo, &more), 0);
		CHECK_EQ(got + more, hi - lo);
		for (i = MAP_IOVA; i < MAP_IOVA + MAP_SIZE; i += 4 * KiB) {
			bool kept = i < lo || i >= hi;

			CHECK_RC(tt_dom_tce(f.g, 0, i, &tce), 0);
			CHECK_EQ(tce ? tce & ~0xfffull : 0, kept ? (uint64_t)f.arena + i : 0);
			CHECK_RC(tce_domain_iova_to_phys(f.d, i, &phys), kept ? 0 : -ENOENT);
		}
		CHECK_RC(tce_domain_unmap(f.d, MAP_IOVA, MAP_SIZE, &more), 0);
		CHECK_EQ(more, MAP_SIZE - (hi - lo));
		check_range(&f, false);
		for (x = 0; x < MID_EXTRA; x++) {
			i = MID_EXTRA_IOVA + 2 * x * 4 * KiB;
			CHECK_RC(tce_domain_iova_to_phys(f.d, i, &phys), 0);
			CHECK_EQ(phys, (uint64_t)f.arena + i);
		}
		tt_dom_teardown(&f);
	}
}

static void dirty_sweep(enum tce_platform p)
{
	uint64_t bm[8], got;
	struct tt_dom f;
	bool armed;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		CHECK_RC(tce_domain_map(f.d, 0x10000, (uint64_t)f.arena, 0x8000, TCE_DOMAIN_WRITE), 0);
		CHECK_RC(tce_domain_unmap(f.d, 0x12000, 0x4000, &got), 0); /* splits the mapping */
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_dirty_read(f.d, 0x13000, 0x1000, bm); /* splits the log */
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		if (rc)
			CHECK_RC(rc, -ENOMEM);
		else
			CHECK_EQ(bm[0], 1);
		CHECK_RC(tce_domain_dirty_read(f.d, 0x10000, 0x8000, bm), 0);
		CHECK_EQ(bm[0], rc ? 0xff : 0xf7);
		CHECK_RC(tce_domain_unmap(f.d, 0, 1ull << 21, &got), 0);
		CHECK_RC(tce_domain_dirty_read(f.d, 0x10000, 0x8000, bm), 0);
		if (!rc && armed)
			break;
	}
	tt_dom_teardown(&f);
}

static void detach_sweep(enum tce_platform p)
{
	struct tce_domain_info di;
	uint64_t bm[8];
	struct tt_dom f;
	bool armed;
	int rc;

	REQUIRE(tt_dom_setup(&f, p, NULL, false) == 0);
	for (uint64_t n = 1; n < 10000 && !tt_failed(); n++) {
		CHECK_RC(tce_domain_attach(f.d, f.g), 0);
		CHECK_RC(tce_domain_map(f.d, MAP_IOVA, (uint64_t)f.arena + MAP_IOVA, MAP_SIZE,
					TCE_DOMAIN_WRITE), 0);
		tce_ctx_set_fail_nth(ctx_of(&f), n);
		rc = tce_domain_detach(f.d, f.g);
		armed = tce_ctx_fail_nth_armed(ctx_of(&f));
		tce_ctx_set_fail_nth(ctx_of(&f), 0);
		tce_domain_info(f.d, &di);
		if (rc == -ENOMEM && di.ngroups) { /* nothing changed */
			check_range(&f, true);
			CHECK_RC(tce_domain_detach(f.d, f.g), 0);
		} else if (rc) { /* off the domain, still owned: the release may be retried */
			CHECK(is_io_error(rc));
			CHECK_EQ(di.ngroups, 0);
			CHECK(tce_group_owned(f.g));
			CHECK_RC(tce_group_release_ownership(f.g), 0);
		}
		CHECK(!tce_group_owned(f.g));
		CHECK_RC(tce_domain_dirty_read(f.d, 0, 1ull << 21, bm), 0);
		if (!rc && armed)
			break;
	}
	tt_dom_teardown(&f);
}

/*
 * The dirty log's growth. The sweeps above never reach it: by the time
 * their fault point comes the log already has its room. Here the log is
 * filled until a call must grow it, every call runs with its first fault
 * point armed, and the one whose allocation fails must return -ENOMEM and
 * change nothing (docs/domain.md: room is reserved before any TCE changes).
 */
#define LOG_N 80   /* one-page mappings, a page apart: one log extent each */
#define RD_N 40    /* three-page mappings, a page apart: split by reading the middle */
#define PG (4 * KiB)

/* Whether an allocation failed since @before was taken. */
static bool alloc_failed_since(struct tce_ctx *ctx, const struct tce_mem_stats *before)
{
	struct tce_mem_stats after;

	tce_ctx_mem_stats(ctx, &after);
	return after.failed_allocs > before->failed_allocs;
}

/* @iova is still mapped writable to arena + iova. */
static void check_mapped(struct tt_dom *f, uint64_t iova)
{
	uint64_t tce, phys;

	CHECK_RC(tt_dom_tce(f->g, 0, iova, &tce), 0);
	CHECK_EQ(tce & ~0xfffull, (uint64_t)f->arena + iova);
	CHECK_RC(tce_domain_iova_to_phys(f->d, iova, &phys), 0);
	CHECK_EQ(phys, (uint64_t)f->arena + iova);
}

/* Unmap page @iova with the first fault point armed; 1 when its allocation failed. */
static int unmap_armed(struct tt_dom *f, uint64_t iova)
{
	struct tce_mem_stats before;
	uint64_t got = ~0ull, more;
	int rc;

	tce_ctx_mem_stats(ctx_of(f), &before);
	tce_ctx_set_fail_nth(ctx_of(f), 1);
	rc = tce_domain_unmap(f->d, iova, PG, &got);
	tce_ctx_set_fail_nth(ctx_of(f), 0);
	if (alloc_failed_since(ctx_of(f), &before)) {
		struct tce_mem_stats now;

		CHECK_RC(rc, -ENOMEM);
		CHECK_EQ(got, 0);
		check_mapped(f, iova);
		tce_ctx_mem_stats(ctx_of(f), &now);
		CHECK_EQ(now.live_allocs, before.live_allocs);
		CHECK_RC(tce_domain_unmap(f->d, iova, PG, &got), 0);
		CHECK_EQ(got, PG);
		return 1;
	}
	if (rc) { /* a backend call failed instead: counted, a retry finishes */
		CHECK(is_io_error(rc) && rc != -ENOMEM);
		CHECK_RC(tce_domain_unmap(f->d, iova, PG, &more), 0);
		CHECK_EQ(got + more, PG);
	} else {
		CHECK_EQ(got, PG);
	}
	return 0;
}

static void log_unmap_sweep(enum tce_platform p)
{
	uint64_t bm[3], i, hits = 0;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (i = 0; i < LOG_N; i++)
		CHECK_RC(tce_domain_map(f.d, 2 * i * PG, (uint64_t)f.arena + 2 * i * PG, PG,
					TCE_DOMAIN_WRITE), 0);
	for (i = 0; i < LOG_N && !tt_failed(); i++)
		if (unmap_armed(&f, 2 * i * PG) && i)
			hits++; /* the log held i extents: a growth that must keep them */
	CHECK(hits > 0);
	/* no extent lost by a failed or a successful growth, none added by a failure */
	CHECK_RC(tce_domain_dirty_read(f.d, 0, 2 * LOG_N * PG, bm), 0);
	for (i = 0; i < 2 * LOG_N; i++)
		CHECK_EQ((bm[i / 64] >> (i % 64)) & 1, (i & 1) ? 0 : 1);
	CHECK_RC(tce_domain_dirty_read(f.d, 0, 2 * LOG_N * PG, bm), 0);
	CHECK_EQ(bm[0] | bm[1] | bm[2], 0);
	tt_dom_teardown(&f);
}

/* Read the middle page of mapping @i's log extent with the first fault point armed. */
static int read_armed(struct tt_dom *f, uint64_t i)
{
	uint64_t bm[1] = { ~0ull }, iova = 4 * i * PG + PG;
	struct tce_mem_stats before, now;
	int rc;

	tce_ctx_mem_stats(ctx_of(f), &before);
	tce_ctx_set_fail_nth(ctx_of(f), 1);
	rc = tce_domain_dirty_read(f->d, iova, PG, bm);
	tce_ctx_set_fail_nth(ctx_of(f), 0);
	if (!alloc_failed_since(ctx_of(f), &before)) {
		CHECK_RC(rc, 0);
		CHECK_EQ(bm[0], 1);
		return 0;
	}
	CHECK_RC(rc, -ENOMEM);
	CHECK_EQ(bm[0], ~0ull); /* nothing read */
	tce_ctx_mem_stats(ctx_of(f), &now);
	CHECK_EQ(now.live_allocs, before.live_allocs);
	CHECK_RC(tce_domain_dirty_read(f->d, iova, PG, bm), 0);
	CHECK_EQ(bm[0], 1); /* nothing cleared */
	return 1;
}

static void log_read_sweep(enum tce_platform p)
{
	uint64_t bm[3], got, i, hits = 0;
	struct tt_dom f;

	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	for (i = 0; i < RD_N; i++) {
		CHECK_RC(tce_domain_map(f.d, 4 * i * PG, (uint64_t)f.arena + 4 * i * PG, 3 * PG,
					TCE_DOMAIN_READ | TCE_DOMAIN_WRITE), 0);
		CHECK_RC(tce_domain_unmap(f.d, 4 * i * PG, 3 * PG, &got), 0);
		CHECK_EQ(got, 3 * PG);
	}
	for (i = 0; i < RD_N && !tt_failed(); i++)
		hits += (uint64_t)read_armed(&f, i); /* each read splits one extent in two */
	CHECK(hits > 0);
	CHECK_RC(tce_domain_dirty_read(f.d, 0, 4 * RD_N * PG, bm), 0);
	for (i = 0; i < 4 * RD_N; i++)
		CHECK_EQ((bm[i / 64] >> (i % 64)) & 1, (i % 4 == 0 || i % 4 == 2) ? 1 : 0);
	tt_dom_teardown(&f);
}

#define SWEEP(name)                                   \
	static void test_##name(void)                 \
	{                                             \
		for (size_t i = 0; i < 2; i++)        \
			name##_sweep(plats[i]);       \
	}

SWEEP(attach)
SWEEP(map)
SWEEP(unmap)
SWEEP(unmap_mid)
SWEEP(dirty)
SWEEP(map_leaf)
SWEEP(detach)
SWEEP(log_unmap)
SWEEP(log_read)

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = {
		TT_CASE(test_attach), TT_CASE(test_map), TT_CASE(test_map_leaf), TT_CASE(test_unmap),
		TT_CASE(test_unmap_mid), TT_CASE(test_dirty),
		TT_CASE(test_detach), TT_CASE(test_log_unmap), TT_CASE(test_log_read),
	};

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
