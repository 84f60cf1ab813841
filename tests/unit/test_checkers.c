/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checkers debug builds run on put and on every group unlock, through
 * the layers' own headers: each passes on a healthy object and reports
 * -EIO once the derived state it recomputes is made inconsistent.
 */
#include <errno.h>

#include "group/group_int.h"
#include "harness.h"
#include "tce/table_int.h"
#include "tt_table.h"

static void table_checker(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;
	uint64_t *slot, saved;

	REQUIRE(tt_table(ctx, 0, 1ULL << 32, 12, 2, true, &t) == 0);
	CHECK_RC(tce_table_set(t, 5, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_mirror_slot(t, 9000, true, &slot), 0);
	CHECK_RC(tce__table_check(t), 0);
	atomic_fetch_add(&t->levels_allocated, 1);
	CHECK_RC(tce__table_check(t), -EIO);
	atomic_fetch_sub(&t->levels_allocated, 1);
	atomic_fetch_add(&t->mirror_levels_allocated, 1);
	CHECK_RC(tce__table_check(t), -EIO);
	atomic_fetch_sub(&t->mirror_levels_allocated, 1);
	saved = t->root[0];
	t->root[0] = htobe64(be64toh(saved) & ~TCE_PCI_WRITE); /* a level pointer without WRITE */
	CHECK_RC(tce__table_check(t), -EIO);
	t->root[0] = saved;
	CHECK_RC(tce__table_check(t), 0);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

static void group_and_iotable_checkers(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_group *g;
	struct tce_iommu_table *t;
	struct tce_dma *dma;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_host_create(m, &h) == 0);
	g = tce_host_group(h, 0);
	tce__write_lock(&g->rw);
	CHECK_RC(tce__group_check(g), 0);
	g->owned = true; /* owned while the kernel's DMA object exists */
	CHECK_RC(tce__group_check(g), -EIO);
	g->owned = false;
	dma = g->tg.dma64;
	g->tg.ddw_mode = TCE_DMA_DYNAMIC; /* dynamic without its DMA object */
	CHECK_RC(tce__group_check(g), -EIO);
	g->tg.ddw_mode = TCE_DMA_BYPASS;
	g->tg.dma64 = dma;
	CHECK_RC(tce__group_check(g), 0);
	tce__write_unlock(&g->rw);
	CHECK_RC(tce__group_check(g), -EIO); /* the lock is not held */
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK_RC(tce__iotable_check(t), 0);
	t->first_idx++;
	CHECK_RC(tce__iotable_check(t), -EIO);
	t->first_idx--;
	t->nlinks = t->links_alloc + 1;
	CHECK_RC(tce__iotable_check(t), -EIO);
	t->nlinks = 0;
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

static const struct tt_case cases[] = {
	TT_CASE(table_checker),
	TT_CASE(group_and_iotable_checkers),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
