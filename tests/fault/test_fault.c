/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the table layer: every allocation that creation,
 * set, exchange and mirror access make is failed in turn. Each failure must
 * report -ENOMEM, leave every entry as it was (checked against the model),
 * leak nothing and leave the accounting balance where it started.
 */
#include <errno.h>

#include "harness.h"
#include "tt_table.h"

#define MAX_POINTS 64

static void sweep_create(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	struct tce_table_config cfg;
	struct tce_table *t = NULL;
	uint64_t n;
	int rc;

	for (n = 1; n < MAX_POINTS; n++) {
		cfg = (struct tce_table_config){ .window_size = 1ULL << 40, .page_shift = 12,
						 .levels = 3, .mirror = true,
						 .account = tt_account_fn, .account_arg = &acct };
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_table_create(ctx, &cfg, &t);
		if (tce_ctx_fail_nth_armed(ctx)) {
			CHECK_RC(rc, 0);
			break;
		}
		CHECK_RC(rc, -ENOMEM);
		CHECK_EQ(cfg.entries, 0);
		CHECK_EQ(acct.balance, 0);
		tt_no_leak(ctx);
	}
	CHECK(n == 4); /* the struct, the TCE top level, the mirror top level */
	tce_ctx_set_fail_nth(ctx, 0);
	tce_table_put(t);
	CHECK_EQ(acct.balance, 0);
	tt_no_leak(ctx);
	tce_ctx_destroy(ctx);
}

/* Window-relative layout: 2^28 entries, 8192 per block, 2^26 per middle block. */
#define SET_START ((1ULL << 26) - 8192 - 100)
#define SET_PAGES (8192ULL + 300)
#define SET_REAL 0x40000000ULL
#define XCHG_IDX ((1ULL << 27) + 5)

/* A table with ten entries mapped in its first leaf. */
static int prepare(struct tce_ctx *ctx, struct tt_account *acct, struct tce_table **t)
{
	struct tce_table_config cfg = { .window_size = 1ULL << 40, .page_shift = 12, .levels = 3,
					.mirror = true, .account = tt_account_fn,
					.account_arg = acct };
	int rc = tce_table_create(ctx, &cfg, t);

	if (rc)
		return rc;
	return tce_table_set(*t, 100, 10, 0x100000, TCE_DIR_TO_DEVICE);
}

/* The populated entries are exactly the ten of prepare() plus @extra from SET_START. */
static void check_entries(const struct tce_table *t, uint64_t extra)
{
	struct tce_table_stats st;
	uint64_t i = 0, v, n = 0, want;

	for (; !tce_table_next(t, &i, &v) && n < 20; i++, n++) {
		if (i >= SET_START)
			break;
		CHECK_EQ(i, 100 + n);
		CHECK_EQ(v, (0x100000 + n * 4096) | TCE_PCI_READ);
	}
	CHECK_EQ(n, 10);
	tce_table_stats(t, &st);
	CHECK_EQ(st.populated, 10 + extra);
	if (!extra)
		return;
	want = (SET_REAL + (SET_PAGES - 1) * 4096) | TCE_PCI_READ | TCE_PCI_WRITE;
	CHECK_RC(tce_table_get(t, SET_START + SET_PAGES - 1, &v), 0);
	CHECK_EQ(v, want);
}

static void finish(struct tce_ctx *ctx, struct tt_account *acct, struct tce_table *t)
{
	tce_ctx_set_fail_nth(ctx, 0);
	tce_table_put(t);
	CHECK_EQ(acct->balance, 0);
	tt_no_leak(ctx);
}

/* The operation under test; returns its result and the entries it adds. */
typedef int (*fault_op)(struct tce_table *t, uint64_t *added);

static int op_set_wide(struct tce_table *t, uint64_t *added)
{
	*added = SET_PAGES;
	return tce_table_set(t, SET_START, SET_PAGES, SET_REAL, TCE_DIR_BIDIRECTIONAL);
}

static int op_xchg(struct tce_table *t, uint64_t *added)
{
	uint64_t a = 0x777000, v;
	enum tce_dir d = TCE_DIR_FROM_DEVICE;
	int rc = tce_table_xchg(t, XCHG_IDX, &a, &d);

	*added = 1;
	if (!rc) {
		CHECK_EQ(a, 0);
		CHECK_EQ(d, TCE_DIR_NONE);
		CHECK_RC(tce_table_get(t, XCHG_IDX, &v), 0);
		CHECK_EQ(v, 0x777000 | TCE_PCI_WRITE);
		CHECK_RC(tce_table_clear(t, XCHG_IDX, 1), 0);
		*added = 0;
	} else {
		CHECK_EQ(a, 0x777000); /* outputs untouched */
		CHECK_EQ(d, TCE_DIR_FROM_DEVICE);
	}
	return rc;
}

static int op_mirror(struct tce_table *t, uint64_t *added)
{
	uint64_t *slot = NULL;
	int rc = tce_table_mirror_slot(t, XCHG_IDX, true, &slot);

	*added = 0;
	CHECK(rc ? slot == NULL : slot != NULL);
	return rc;
}

/* Fail each fault point of @op in turn; returns the first n that succeeded. */
static uint64_t sweep(fault_op op)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	struct tce_table *t;
	uint64_t n, added;
	int rc;

	for (n = 1; n < MAX_POINTS && !tt_failed(); n++) {
		if (prepare(ctx, &acct, &t)) {
			tt_fail(__FILE__, __LINE__, "prepare failed");
			break;
		}
		tce_ctx_set_fail_nth(ctx, n);
		rc = op(t, &added);
		if (tce_ctx_fail_nth_armed(ctx)) {
			CHECK_RC(rc, 0);
			check_entries(t, added);
			finish(ctx, &acct, t);
			break;
		}
		CHECK_RC(rc, -ENOMEM);
		check_entries(t, 0);
		finish(ctx, &acct, t);
	}
	tce_ctx_destroy(ctx);
	return n;
}

static void sweep_set(void)
{
	/* two leaves under the first middle block, a second middle block, its leaf */
	CHECK_EQ(sweep(op_set_wide), 5);
}

static void sweep_xchg(void)
{
	CHECK_EQ(sweep(op_xchg), 3); /* middle and leaf, then success */
}

static void sweep_mirror(void)
{
	CHECK_EQ(sweep(op_mirror), 3);
}

static const struct tt_case cases[] = {
	TT_CASE(sweep_create),
	TT_CASE(sweep_set),
	TT_CASE(sweep_xchg),
	TT_CASE(sweep_mirror),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
