/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checkers debug builds run on put and on every group unlock, through
 * the layers' own headers: each passes on a healthy object and reports
 * -EIO once the derived state it recomputes is made inconsistent. Also
 * what the OS read from a tree (its RTAS query form).
 */
#include <errno.h>
#include <libfdt.h>

#include "group/group_int.h"
#include "harness.h"
#include "tce/table_int.h"
#include "tce/table_raw.h"
#include "tt_table.h"

/* Counts the error lines logged (a checker's report). */
static void count_errors(void *arg, enum tce_log_level level, const char *msg)
{
	(void)msg;
	if (level == TCE_LOG_ERR)
		(*(unsigned *)arg)++;
}

static void table_checker(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_table *t;
	uint64_t *slot, saved;
	unsigned errs = 0;

	REQUIRE(tt_table(ctx, 0, 1ULL << 32, 12, 2, true, &t) == 0);
	CHECK_RC(tce_table_set(t, 5, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_mirror_slot(t, 9000, true, &slot), 0);
	CHECK_RC(tce__table_check(t), 0);
	atomic_fetch_add(&t->levels_allocated, 1);
	tce_ctx_set_log(ctx, count_errors, &errs, TCE_LOG_ERR);
	CHECK_RC(tce__table_check(t), -EIO);
	CHECK_EQ(errs, 1); /* the report says what is wrong */
	tce_ctx_set_log(ctx, NULL, NULL, TCE_LOG_WARN);
	atomic_fetch_sub(&t->levels_allocated, 1);
	atomic_fetch_add(&t->mirror_levels_allocated, 1);
	CHECK_RC(tce__table_check(t), -EIO);
	atomic_fetch_sub(&t->mirror_levels_allocated, 1);
	saved = t->root[0];
	t->root[0] = htobe64(be64toh(saved) & ~TCE_PCI_WRITE); /* a level pointer without WRITE */
	CHECK_RC(tce__table_check(t), -EIO);
	t->root[0] = saved;
	CHECK_RC(tce__table_check(t), 0);
	{ /* entry 5's leaf summary: its live count, a word, a lock left held */
		const uint64_t *e = tce__leaf_lookup(t, 5);
		struct tce__leaf_sum *sum;

		REQUIRE(e != NULL);
		sum = tce__leaf_sum(t, e - 5);
		sum->live++;
		errs = 0;
		tce_ctx_set_log(ctx, count_errors, &errs, TCE_LOG_ERR);
		CHECK_RC(tce__table_check(t), -EIO);
		CHECK_EQ(errs, 2); /* the summary's report, then the table's */
		tce_ctx_set_log(ctx, NULL, NULL, TCE_LOG_WARN);
		sum->live--;
		sum->words[t->sum_off[0]] ^= 1ULL << 6;   /* entry 6 said live, but empty */
		CHECK_RC(tce__table_check(t), -EIO);
		sum->words[t->sum_off[0]] ^= 1ULL << 6;
		atomic_store(&sum->lock, 1);
		CHECK_RC(tce__table_check(t), -EIO);
		atomic_store(&sum->lock, 0);
		CHECK_RC(tce__table_check(t), 0);
	}
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/*
 * A leaf too large to read whole (a flat table of 2^18 entries) is checked
 * from the summary's side: a bit whose entry was emptied behind its back is
 * found even when the live count agrees.
 */
static void huge_leaf_summary_checker(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__leaf_sum *sum;
	struct tce_table *t;
	uint64_t *e, saved;

	REQUIRE(tt_table(ctx, 0, 1ULL << 30, 12, 1, false, &t) == 0);
	REQUIRE(t->level_entries > (1ULL << 16));
	CHECK_RC(tce_table_set(t, 5, 1, 0x1000, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_table_set(t, 70000, 1, 0x2000, TCE_DIR_FROM_DEVICE), 0);
	CHECK_RC(tce__table_check(t), 0);
	e = (uint64_t *)tce__leaf_lookup(t, 0);
	REQUIRE(e != NULL);
	sum = tce__leaf_sum(t, e);
	CHECK_EQ(sum->live, 2);
	saved = e[70000];
	e[70000] = 0;
	CHECK_RC(tce__table_check(t), -EIO);
	e[70000] = saved;
	sum->words[t->sum_off[0]] ^= 1ULL << 6; /* entry 6 said live, and counted so */
	sum->live++;
	CHECK_RC(tce__table_check(t), -EIO);
	sum->words[t->sum_off[0]] ^= 1ULL << 6;
	sum->live--;
	CHECK_RC(tce__table_check(t), 0);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/* The INDIRECT store refuses a count of 0 or past the list's limit itself, storing nothing. */
static void store_list_counts(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce__tce_check chk = { .addr_mask = ~0ULL, .page_bytes = 4096, .fast_end = ~0ULL };
	static uint64_t list[TCE__LIST_MAX + 1];
	struct tce_table *t;
	uint64_t bad = 7, v = 1;

	REQUIRE(tt_table(ctx, 0, 1ULL << 32, 12, 2, false, &t) == 0);
	CHECK_RC(tce__table_store_list(t, 0, 0, list, &chk, &bad), -EINVAL);
	CHECK_RC(tce__table_store_list(t, 0, TCE__LIST_MAX + 1, list, &chk, &bad), -EINVAL);
	CHECK_EQ(bad, 7);
	CHECK_RC(tce_table_get(t, 0, &v), 0);
	CHECK_EQ(v, 0);
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
#ifndef NDEBUG
	CHECK_RC(tce__group_check(g), -EIO); /* the lock is not held (tracked in debug builds) */
#endif
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK_RC(tce__iotable_check(t), 0);
	t->first_idx++;
	CHECK_RC(tce__iotable_check(t), -EIO);
	t->first_idx--;
	t->nlinks = t->links_alloc + 1;
	CHECK_RC(tce__iotable_check(t), -EIO);
	t->nlinks = 0;
	{ /* a page size past the largest, on an otherwise consistent geometry */
		uint32_t shift = t->page_shift;
		uint64_t entries = t->entries, window = t->window_size;

		t->page_shift = TCE_PAGE_SHIFT_MAX + 1, t->entries = 1, t->window_size = ~0ULL;
		CHECK_RC(tce__iotable_check(t), -EIO);
		t->page_shift = TCE_PAGE_SHIFT_MAX;
		CHECK_RC(tce__iotable_check(t), 0);
		t->page_shift = shift, t->entries = entries, t->window_size = window;
	}
	CHECK_RC(tce__iotable_check(t), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

/*
 * The kernel's powernv default window (docs/design.md): a 2-level table of
 * host-page TCEs (64 KiB) over the 32-bit window, in slot 0 (1 level where
 * the PHB takes no more).
 */
static void powernv_default_table(void)
{
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_iommu_table *t;

	static char tree[1 << 16];
	struct tce_machine *ref;
	uint32_t max;

	for (max = 1; max <= 3; max++) { /* a PHB of 1 level gets 1; of 2 or more, 2 */
		REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &ref) == 0);
		REQUIRE(fdt_open_into(tce_machine_fdt(ref), tree, sizeof(tree)) == 0);
		tce_machine_destroy(ref);
		fdt_setprop_u32(tree, fdt_path_offset(tree, "/pciex@3fffe40000000"), "libtce,max-levels",
				max);
		REQUIRE(tce_machine_create_dtb(tree, fdt_totalsize(tree), &m) == 0);
		REQUIRE(tce_host_create(m, &h) == 0);
		t = tce_host_group(h, 0)->tg.tables[0];
		REQUIRE(t != NULL);
		CHECK_EQ(t->levels, max == 1 ? 1 : 2);
		CHECK_EQ(t->page_shift, 16);
		CHECK_EQ(t->bus_offset, 0);
		CHECK_EQ(t->entries << t->page_shift, 2ULL << 30);
		tce_host_destroy(h);
		tce_machine_destroy(m);
	}
}

/* Hypervisor and RTAS statuses as errno: the one place each is translated. */
static void status_to_errno(void)
{
	CHECK_RC(tce__hcall_errno(TCE_H_SUCCESS), 0);
	CHECK_RC(tce__hcall_errno(TCE_H_PARAMETER), -EINVAL);
	CHECK_RC(tce__hcall_errno(TCE_H_NOT_ENOUGH_RESOURCES), -ENOMEM);
	CHECK_RC(tce__hcall_errno(TCE_H_FUNCTION), -EOPNOTSUPP);
	CHECK_RC(tce__hcall_errno(TCE_H_BUSY), -EBUSY);
	CHECK_RC(tce__hcall_errno(TCE_H_PRIVILEGE), -EPERM);
	CHECK_RC(tce__hcall_errno(TCE_H_HARDWARE), -EIO);
	CHECK_RC(tce__rtas_errno(TCE_RTAS_SUCCESS), 0);
	CHECK_RC(tce__rtas_errno(TCE_RTAS_PARAM_ERROR), -EINVAL);
	CHECK_RC(tce__rtas_errno(TCE_RTAS_BUSY), -EBUSY);
	CHECK_RC(tce__rtas_errno(TCE_RTAS_HW_ERROR), -EIO);
}

/*
 * What the OS read from the tree: the 6-output query where
 * ibm,ddw-extensions says so (the built-in tree), the 5-output one where
 * it does not (one extension, with or without a stray cell after it), and
 * the same dynamic window either way.
 */
static void query_outputs_from_tree(void)
{
	static char tree[1 << 16];
	fdt32_t ext[2] = { cpu_to_fdt32(1), cpu_to_fdt32(0x2029) };
	/* One extension (the reset) and a stray cell: the count says it is not the query form. */
	fdt32_t stray[3] = { cpu_to_fdt32(1), cpu_to_fdt32(0x2029), cpu_to_fdt32(1) };
	struct tce_machine *ref, *m;
	struct tce_host *h;
	struct tce_device *d;
	struct tce_device_dma_info di;
	unsigned k;

	for (k = 0; k < 3; k++) {
		REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
		REQUIRE(fdt_open_into(tce_machine_fdt(ref), tree, sizeof(tree)) == 0);
		tce_machine_destroy(ref);
		if (k)
			fdt_setprop(tree, fdt_path_offset(tree, "/pci@800000020000000"),
				    "ibm,ddw-extensions", k == 1 ? ext : stray,
				    k == 1 ? sizeof(ext) : sizeof(stray));
		REQUIRE(tce_machine_create_dtb(tree, fdt_totalsize(tree), &m) == 0);
		REQUIRE(tce_host_create(m, &h) == 0);
		REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
		CHECK_EQ(tce_device_group(d)->tg.pe.query6, k == 0);
		CHECK_EQ(tce_device_group(d)->tg.pe.tok[TCE_DDW_RESET], 0x2029);
		CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
		tce_device_dma_info(d, &di);
		CHECK_EQ(di.mode, TCE_DMA_DIRECT);
		CHECK_EQ(di.page_shift, 24);
		tce_host_destroy(h);
		tce_machine_destroy(m);
	}
}

static const struct tt_case cases[] = {
	TT_CASE(table_checker),
	TT_CASE(huge_leaf_summary_checker),
	TT_CASE(store_list_counts),
	TT_CASE(group_and_iotable_checkers),
	TT_CASE(query_outputs_from_tree),
	TT_CASE(powernv_default_table),
	TT_CASE(status_to_errno),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
