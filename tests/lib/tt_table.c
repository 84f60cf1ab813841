/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The flat-array reference model of a TCE window and the accounting hook
 * used by the table tests. Deliberately naive: a plain array, full range
 * checks written out, no levels.
 */
#include "tt_table.h"

#include <errno.h>
#include <stdlib.h>

#include "harness.h"

int ref_init(struct ref_table *r, const struct tce_table_config *g)
{
	r->first_idx = g->first_idx;
	r->entries = g->entries;
	r->page_shift = g->page_shift;
	r->tce = calloc(g->entries, sizeof(uint64_t));
	return r->tce ? 0 : -ENOMEM;
}

void ref_fini(struct ref_table *r)
{
	free(r->tce);
	r->tce = NULL;
}

static bool in_window(const struct ref_table *r, uint64_t idx, uint64_t n)
{
	if (n == 0 || idx < r->first_idx)
		return false;
	if (idx - r->first_idx >= r->entries)
		return false;
	return n <= r->entries - (idx - r->first_idx);
}

static uint64_t perm(enum tce_dir dir)
{
	switch (dir) {
	case TCE_DIR_BIDIRECTIONAL:
		return 3;
	case TCE_DIR_TO_DEVICE:
		return 1;
	case TCE_DIR_FROM_DEVICE:
		return 2;
	default:
		return 0;
	}
}

int ref_set(struct ref_table *r, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	uint64_t page = 1ULL << r->page_shift, i;

	if ((unsigned)dir > TCE_DIR_NONE || !in_window(r, idx, npages))
		return -EINVAL;
	if (dir == TCE_DIR_NONE)
		return ref_clear(r, idx, npages);
	if (real % page || (npages - 1) > (UINT64_MAX - real) / page)
		return -EINVAL;
	for (i = 0; i < npages; i++)
		r->tce[idx - r->first_idx + i] = (real + i * page) | perm(dir);
	return 0;
}

int ref_clear(struct ref_table *r, uint64_t idx, uint64_t npages)
{
	uint64_t i;

	if (!in_window(r, idx, npages))
		return -EINVAL;
	for (i = 0; i < npages; i++)
		r->tce[idx - r->first_idx + i] = 0;
	return 0;
}

int ref_xchg(struct ref_table *r, uint64_t idx, uint64_t *real, enum tce_dir *dir)
{
	uint64_t page = 1ULL << r->page_shift, old, *slot;

	if ((unsigned)*dir > TCE_DIR_NONE || !in_window(r, idx, 1))
		return -EINVAL;
	if (*dir != TCE_DIR_NONE && *real % page)
		return -EINVAL;
	slot = &r->tce[idx - r->first_idx];
	old = *slot;
	*slot = *dir == TCE_DIR_NONE ? 0 : (*real | perm(*dir));
	*real = old / page * page;
	*dir = (old & 3) == 3 ? TCE_DIR_BIDIRECTIONAL
	       : (old & 1)    ? TCE_DIR_TO_DEVICE
	       : (old & 2)    ? TCE_DIR_FROM_DEVICE
			      : TCE_DIR_NONE;
	return 0;
}

int ref_get(const struct ref_table *r, uint64_t idx, uint64_t *tce)
{
	if (!in_window(r, idx, 1))
		return -EINVAL;
	*tce = r->tce[idx - r->first_idx];
	return 0;
}

int ref_next(const struct ref_table *r, uint64_t *idx, uint64_t *tce)
{
	uint64_t i;

	if (!in_window(r, *idx, 1))
		return -EINVAL;
	for (i = *idx - r->first_idx; i < r->entries; i++) {
		if (r->tce[i]) {
			*idx = r->first_idx + i;
			*tce = r->tce[i];
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t ref_populated(const struct ref_table *r)
{
	uint64_t i, n = 0;

	for (i = 0; i < r->entries; i++)
		n += r->tce[i] != 0;
	return n;
}

uint64_t ref_diff(const struct ref_table *r, const struct tce_table *t)
{
	uint64_t i, v, bad = 0;

	for (i = 0; i < r->entries; i++) {
		if (tce_table_get(t, r->first_idx + i, &v) || v != r->tce[i])
			bad++;
	}
	return bad;
}

int tt_account_fn(void *arg, int64_t delta)
{
	struct tt_account *a = arg;

	if (delta > 0 && a->limit && a->balance + delta > a->limit)
		return -ENOMEM;
	a->balance += delta;
	if (delta > 0)
		a->charges++;
	else
		a->refunds++;
	return 0;
}

int tt_table(struct tce_ctx *ctx, uint64_t bus, uint64_t window, uint32_t shift, uint32_t levels,
	     bool mirror, struct tce_table **out)
{
	struct tce_table_config cfg = {
		.bus_offset = bus,
		.window_size = window,
		.page_shift = shift,
		.levels = levels,
		.mirror = mirror,
	};

	return tce_table_create(ctx, &cfg, out);
}

struct tce_ctx *tt_ctx(void)
{
	struct tce_ctx *ctx = NULL;

	if (tce_ctx_create(&ctx))
		tt_fail(__FILE__, __LINE__, "tce_ctx_create failed");
	return ctx;
}

void tt_no_leak(struct tce_ctx *ctx)
{
	struct tce_mem_stats ms;

	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK_EQ(ms.live_bytes, 0);
}

void tt_ctx_done(struct tce_ctx *ctx)
{
	tt_no_leak(ctx);
	tce_ctx_destroy(ctx);
}

struct tce_machine *tt_machine(struct tce_ctx *ctx, enum tce_platform p)
{
	struct tce_machine *ref = NULL, *m = NULL;
	struct tce_machine_config cfg = { .ctx = ctx };

	if (tce_machine_create_default(p, &ref))
		return NULL;
	cfg.dtb = tce_machine_fdt(ref);
	cfg.dtb_size = tce_machine_fdt_size(ref);
	if (tce_machine_create(&cfg, &m))
		m = NULL;
	tce_machine_destroy(ref);
	return m;
}
