/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the input is a geometry choice followed by a sequence of
 * table operations (set, clear, exchange, get, translate, next, mirror),
 * each applied to a TCE table and to the flat-array reference model. Any
 * disagreement in a return code, an output or an entry traps. The context's
 * fail-Nth countdown is driven from the input too, so -ENOMEM paths run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tce/table_int.h"
#include "tt_table.h"
#include "fuzz_input.h"

struct geometry {
	uint64_t bus, window;
	uint32_t shift, levels, host_shift; /* host_shift 0: 64 KiB */
};

static const struct geometry geometries[] = {
	{ 0, 1ULL << 24, 12, 1, 0 },          { 0, 1ULL << 30, 12, 2, 0 },
	{ 1ULL << 59, 1ULL << 30, 12, 3, 0 }, { 1ULL << 59, 1ULL << 33, 16, 2, 0 },
	{ 0, 1ULL << 44, 34, 1, 0 },          { 1ULL << 40, 1ULL << 30, 21, 2, 0 },
	{ 1ULL << 59, 1ULL << 30, 12, 4, 12 }, { 0, 1ULL << 28, 12, 3, 12 },
};

#define NGEOMETRIES (sizeof(geometries) / sizeof(geometries[0]))

struct state {
	struct tce_ctx *ctx;
	struct tce_table *t;
	struct ref_table r;
	struct tce_table_config cfg;
};

/* An index: relative to the window start, sometimes just outside it. */
static uint64_t take_idx(struct state *s, struct input *in)
{
	uint64_t sel = take(in, 1), v = take(in, 4);

	switch (sel & 3) {
	case 0:
		return s->cfg.first_idx + v % s->cfg.entries;
	case 1:
		return s->cfg.first_idx + s->cfg.entries - 1 - v % 8 + (sel >> 2) % 3;
	case 2:
		return s->cfg.first_idx - 1 - v % 4;
	default:
		return s->cfg.first_idx + (v % 64) * s->cfg.level_entries - 4 + (sel >> 2) % 8;
	}
}

static void check_entry(struct state *s, uint64_t idx)
{
	uint64_t a = 0, b = 0;
	int ra = tce_table_get(s->t, idx, &a), rb = ref_get(&s->r, idx, &b);

	ENSURE(ra == rb && a == b);
}

/* Apply set or clear; on -ENOMEM the model is left alone and nothing may differ. */
static void do_write(struct state *s, struct input *in, bool set)
{
	uint64_t idx = take_idx(s, in), n = take(in, 2) % 20000, real = take(in, 5) << 12;
	enum tce_dir dir = (enum tce_dir)(take(in, 1) % 5);
	int ra, rb;

	if (take(in, 1) == 0xff)
		real |= 0x800;
	ra = set ? tce_table_set(s->t, idx, n, real, dir) : tce_table_clear(s->t, idx, n);
	if (ra == -ENOMEM)
		return;
	rb = set ? ref_set(&s->r, idx, n, real, dir) : ref_clear(&s->r, idx, n);
	ENSURE(ra == rb);
	check_entry(s, idx);
	check_entry(s, idx + n - 1);
}

static void do_xchg(struct state *s, struct input *in)
{
	uint64_t idx = take_idx(s, in), a = take(in, 5) << 12, b;
	enum tce_dir da = (enum tce_dir)(take(in, 1) % 5), db = da;
	int ra;

	b = a;
	ra = tce_table_xchg(s->t, idx, &a, &da);
	if (ra == -ENOMEM) {
		ENSURE(a == b && da == db);
		return;
	}
	ENSURE(ra == ref_xchg(&s->r, idx, &b, &db));
	ENSURE(a == b && da == db);
}

static void do_read(struct state *s, struct input *in)
{
	uint64_t idx = take_idx(s, in), ia = idx, ib = idx, va = 0, vb = 0, *slot;

	check_entry(s, idx);
	ENSURE(tce_table_next(s->t, &ia, &va) == ref_next(&s->r, &ib, &vb));
	ENSURE(ia == ib && va == vb);
	if (tce_table_mirror_slot(s->t, idx, take(in, 1) & 1, &slot) == 0)
		__atomic_store_n(slot, idx, __ATOMIC_RELAXED);
}

static void run(struct state *s, struct input *in)
{
	while (in->n) {
		switch (take(in, 1) % 6) {
		case 0:
		case 1:
			do_write(s, in, true);
			break;
		case 2:
			do_write(s, in, false);
			break;
		case 3:
			do_xchg(s, in);
			break;
		case 4:
			do_read(s, in);
			break;
		default:
			tce_ctx_set_fail_nth(s->ctx, take(in, 1) % 4);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	const struct geometry *g = &geometries[take(&in, 1) % NGEOMETRIES];
	struct state s = { 0 };
	struct tce_mem_stats ms;
	uint64_t i, v;

	s.cfg = (struct tce_table_config){ .bus_offset = g->bus, .window_size = g->window,
					   .page_shift = g->shift, .levels = g->levels,
					   .host_page_shift = g->host_shift, .mirror = true };
	ENSURE(tce_ctx_create(&s.ctx) == 0);
	ENSURE(tce_table_create(s.ctx, &s.cfg, &s.t) == 0);
	ENSURE(ref_init(&s.r, &s.cfg) == 0);
	run(&s, &in);
	tce_ctx_set_fail_nth(s.ctx, 0);
	for (i = s.cfg.first_idx; !tce_table_next(s.t, &i, &v); i++)
		check_entry(&s, i);
	ENSURE(tce__table_check(s.t) == 0); /* the leaves' occupancy summaries too */
	tce_table_put(s.t);
	tce_ctx_mem_stats(s.ctx, &ms);
	ENSURE(ms.live_allocs == 0);
	tce_ctx_destroy(s.ctx);
	ref_fini(&s.r);
	return 0;
}
