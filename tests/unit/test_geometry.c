/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table geometry on both host page sizes (DECISIONS 21): every level count
 * 1..5 over every page shift and window size on 4 KiB and 64 KiB hosts,
 * checked against the rule of spec kernel.md §3.1 written independently;
 * the charge (§3.4, with the mirror only when there is one) against a count
 * of the blocks a full table holds; the deepest table per page size; and
 * 4-level tables that really map and translate on a 4 KiB host.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"

static const uint32_t hosts[] = { 12, 16 };

/*
 * §3.1, as a statement about index bits: each level resolves
 * `bits` = max(ceil(entries_shift / levels), host_shift - 3) bits of the
 * entry (a level block is at least one host page of 8-byte entries), and
 * the address the whole tree reaches, levels * bits + page_shift, must stay
 * below 55 bits. Returns the expected result of create; *@bits is set.
 */
static int expect(uint32_t ps, uint32_t ws, uint32_t levels, uint32_t host, uint32_t *bits)
{
	uint32_t es = ws - ps, need = (es + levels - 1) / levels;

	*bits = need > host - 3 ? need : host - 3;
	if (ps < 12 || ps > 34 || levels < 1 || levels > 5 || ws < ps)
		return -EINVAL;
	return levels * *bits + ps < 55 ? 0 : -EINVAL;
}

/*
 * Bytes of a fully populated tree: at the leaves one block per
 * 2^bits entries (at least one), above them one block per 2^bits blocks
 * below (at least one), each block 2^(bits + 3) bytes.
 */
static uint64_t full_tree_bytes(uint32_t es, uint32_t levels, uint32_t bits)
{
	uint64_t below = 1ULL << es, blocks, total = 0;
	uint32_t i;

	for (i = 0; i < levels; i++) {
		blocks = (below + (1ULL << bits) - 1) >> bits;
		total += blocks << (bits + 3);
		below = blocks;
	}
	return total;
}

/* Create, granted geometry and charge for L 1..5 x P 12..34 x W x host x mirror. */
static void every_level_on_both_hosts(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_table *t;
	uint32_t h, ps, ws, lv, bits;
	uint64_t want_bytes;
	int want, rc;
	bool mirror;

	for (h = 0; h < 2; h++)
		for (lv = 1; lv <= 5; lv++)
			for (ps = 12; ps <= 34; ps++)
				for (ws = ps; ws < 64; ws++) {
					want = expect(ps, ws, lv, hosts[h], &bits);
					want_bytes = full_tree_bytes(ws - ps, lv, bits);
					mirror = (ws + lv) & 1;
					CHECK_EQ(tce_table_size_bytes_ext(ps, 1ULL << ws, lv, hosts[h], false),
						 want_bytes);
					CHECK_EQ(tce_table_size_bytes_ext(ps, 1ULL << ws, lv, hosts[h], true),
						 2 * want_bytes);
					if (!want && bits + 3 > 30)
						continue; /* sanitizers cannot reserve such a block */
					cfg = (struct tce_table_config){ .window_size = 1ULL << ws,
									 .page_shift = ps, .levels = lv,
									 .mirror = mirror,
									 .host_page_shift = hosts[h] };
					rc = tce_table_create(ctx, &cfg, &t);
					CHECK_RC(rc, want);
					if (rc)
						continue;
					CHECK_EQ(cfg.level_shift, bits + 3);
					CHECK_EQ(cfg.level_entries, 1ULL << bits);
					CHECK_EQ(cfg.host_page_shift, hosts[h]);
					CHECK_EQ(cfg.charged_bytes, want_bytes << mirror);
					tce_table_put(t);
				}
	tt_ctx_done(ctx);
}

/* The deepest table: 4 levels on 4 KiB hosts, 3 on 64 KiB hosts (4 KiB TCEs); 5 never. */
static void max_levels(void)
{
	uint32_t h, ps, ws, lv, bits, best;

	for (h = 0; h < 2; h++)
		for (ps = 12; ps <= 34; ps++) {
			best = 0;
			for (lv = 1; lv <= 5; lv++)
				for (ws = ps; ws < 64; ws++)
					if (!expect(ps, ws, lv, hosts[h], &bits))
						best = lv;
			CHECK_EQ(tce_table_max_levels(ps, hosts[h]), best);
		}
	CHECK_EQ(tce_table_max_levels(12, 12), 4);
	CHECK_EQ(tce_table_max_levels(12, 16), 3);
	CHECK_EQ(tce_table_max_levels(12, 0), 3);
	CHECK_EQ(tce_table_max_levels(16, 16), 2);  /* 13 * 3 + 16 = 55 */
	CHECK_EQ(tce_table_max_levels(18, 12), 4);  /* 9 * 4 + 18 = 54 */
	CHECK_EQ(tce_table_max_levels(19, 12), 3);
	CHECK_EQ(tce_table_max_levels(11, 12), 0);
	CHECK_EQ(tce_table_max_levels(35, 12), 0);
	CHECK_EQ(tce_table_max_levels(12, 13), 0);
}

/* Host page shifts other than 0, 12 and 16 are refused everywhere. */
static void bad_host_shifts(void)
{
	static const uint32_t bad[] = { 1, 11, 13, 14, 15, 17, 21, 64, 0xffffffff };
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg;
	struct tce_table *t;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = (struct tce_table_config){ .window_size = 1ULL << 30, .page_shift = 12,
						 .levels = 2, .host_page_shift = bad[i] };
		CHECK_RC(tce_table_create(ctx, &cfg, &t), -EINVAL);
		CHECK_EQ(tce_table_size_bytes_ext(12, 1ULL << 30, 2, bad[i], true), 0);
		CHECK_EQ(tce_table_max_levels(12, bad[i]), 0);
	}
	/* 0 is the default, 64 KiB; the old call is the mirrored 64 KiB figure. */
	cfg = (struct tce_table_config){ .window_size = 1ULL << 31, .page_shift = 12, .levels = 2 };
	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	CHECK_EQ(cfg.host_page_shift, 16);
	CHECK_EQ(cfg.level_shift, 16);
	tce_table_put(t);
	CHECK_EQ(tce_table_size_bytes(12, 1ULL << 31, 2),
		 tce_table_size_bytes_ext(12, 1ULL << 31, 2, 16, true));
	CHECK_EQ(tce_table_size_bytes(12, 1ULL << 31, 2), 2 * ((4ULL << 20) + (64 << 10)));
	tt_ctx_done(ctx);
}

/*
 * A table without a mirror is charged for its one tree, and a full table
 * allocates exactly what it was charged (small windows, both hosts, 1..4
 * levels where they fit).
 */
static void charge_is_what_is_allocated(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	struct tce_table_config cfg;
	struct tce_table_stats st;
	struct tce_table *t;
	uint64_t i, *slot, step;
	uint32_t h, lv, ws, bits;
	bool mirror;

	for (h = 0; h < 2; h++)
		for (lv = 1; lv <= 4; lv++)
			for (ws = 12 + 9; ws <= 12 + 20; ws += 11)
				for (mirror = false; ; mirror = true) {
					if (expect(12, ws, lv, hosts[h], &bits))
						break;
					cfg = (struct tce_table_config){
						.window_size = 1ULL << ws, .page_shift = 12, .levels = lv,
						.mirror = mirror, .host_page_shift = hosts[h],
						.account = tt_account_fn, .account_arg = &acct };
					REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
					CHECK_EQ(acct.balance, (int64_t)cfg.charged_bytes);
					step = cfg.level_entries; /* one entry per leaf block fills every level */
					for (i = 0; i < cfg.entries; i += step) {
						CHECK_RC(tce_table_set(t, i, 1, i << 12, TCE_DIR_TO_DEVICE), 0);
						if (mirror)
							CHECK_RC(tce_table_mirror_slot(t, i, true, &slot), 0);
					}
					tce_table_stats(t, &st);
					CHECK_EQ(st.bytes_allocated, cfg.charged_bytes);
					tce_table_put(t);
					CHECK_EQ(acct.balance, 0);
					if (mirror)
						break;
				}
	tt_ctx_done(ctx);
}

/* 4-level tables on a 4 KiB host map, translate and walk like any other. */
static void four_levels_on_4k_host(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table_config cfg = { .bus_offset = 1ULL << 59, .window_size = 1ULL << 48,
					.page_shift = 12, .levels = 4, .mirror = true,
					.host_page_shift = 12 };
	uint64_t first = (1ULL << 59) >> 12, last, real, idx, tce, *slot;
	struct tce_table_stats st;
	struct tce_table *t;

	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	CHECK_EQ(cfg.level_shift, 12);
	CHECK_EQ(cfg.level_entries, 512);
	last = first + cfg.entries - 1;
	CHECK_RC(tce_table_set(t, first, 1, 0x1000, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_RC(tce_table_set(t, last, 1, 0x2000, TCE_DIR_FROM_DEVICE), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 2);
	CHECK_EQ(st.levels_allocated, 1 + 2 * 3); /* the top, then a chain of 3 per entry */
	CHECK_RC(tce_table_translate(t, (1ULL << 59) + 0x10, TCE_DIR_TO_DEVICE, &real), 0);
	CHECK_EQ(real, 0x1010);
	CHECK_RC(tce_table_translate(t, last << 12, TCE_DIR_TO_DEVICE, &real), -EACCES);
	CHECK_RC(tce_table_translate(t, last << 12, TCE_DIR_FROM_DEVICE, &real), 0);
	CHECK_EQ(real, 0x2000);
	idx = first + 1;
	CHECK_RC(tce_table_next(t, &idx, &tce), 0);
	CHECK_EQ(idx, last);
	CHECK_RC(tce_table_mirror_slot(t, last, true, &slot), 0);
	CHECK_RC(tce_table_clear(t, first, cfg.entries), 0);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 0);
	tce_table_put(t);
	/* One more bit of window needs 10 bits a level: 4 * 10 + 12 = 52 still fits; 19-bit pages do not. */
	cfg = (struct tce_table_config){ .window_size = 1ULL << 49, .page_shift = 12, .levels = 4,
					 .host_page_shift = 12 };
	REQUIRE(tce_table_create(ctx, &cfg, &t) == 0);
	CHECK_EQ(cfg.level_shift, 13);
	tce_table_put(t);
	cfg = (struct tce_table_config){ .window_size = 1ULL << 40, .page_shift = 19, .levels = 4,
					 .host_page_shift = 12 };
	CHECK_RC(tce_table_create(ctx, &cfg, &t), -EINVAL);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(every_level_on_both_hosts),
	TT_CASE(max_levels),
	TT_CASE(bad_host_shifts),
	TT_CASE(charge_is_what_is_allocated),
	TT_CASE(four_levels_on_4k_host),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
