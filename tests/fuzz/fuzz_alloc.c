/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the input picks an allocator configuration (pools,
 * large pool, caches, lazy flush, window start) and drives allocations with
 * arbitrary constraints, frees of live ranges, bogus frees and
 * reservations against the allocator oracle. A wrong allocation, an
 * unjustified -ENOSPC, an accepted bogus free or a failing checker traps.
 */
#include <errno.h>
#include <stdlib.h>

#include "tt_alloc.h"
#include "fuzz_input.h"

#define MAX_LIVE 512

struct state {
	struct tce_pool *p;
	struct alloc_oracle o;
	uint64_t idx[MAX_LIVE], npages[MAX_LIVE];
	unsigned nlive;
};

static void flush_noop(void *arg)
{
	(void)arg;
}

static void do_alloc(struct state *s, struct input *in)
{
	uint64_t sel = take(in, 1), idx = 0;
	struct tce_alloc_req req = { .npages = 1 + take(in, 1) % (sel & 1 ? 300 : 8),
				     .cpu = (int32_t)(take(in, 1) % 40) - 8 };
	int rc;

	if (sel & 2)
		req.dma_mask = take(in, 5) << 12 | 0xfff;
	if (sel & 4)
		req.boundary = 1ULL << (take(in, 1) % 40);
	if (sel & 8)
		req.align_order = (uint32_t)(take(in, 1) % 70);
	rc = tce_pool_alloc(s->p, &req, &idx);
	if (rc == -ENOSPC) {
		ENSURE(!oracle_enospc(&s->o, &req));
	} else if (rc == 0) {
		ENSURE(!oracle_alloc(&s->o, &req, idx));
		if (s->nlive < MAX_LIVE) {
			s->idx[s->nlive] = idx;
			s->npages[s->nlive++] = req.npages;
		} else {
			ENSURE(tce_pool_free(s->p, idx, req.npages) == 0);
			oracle_free(&s->o, idx, req.npages);
		}
	} else {
		ENSURE(rc == -EINVAL);
	}
}

static void do_free(struct state *s, struct input *in)
{
	unsigned k;

	if (!s->nlive)
		return;
	k = (unsigned)(take(in, 2) % s->nlive);
	ENSURE(tce_pool_free(s->p, s->idx[k], s->npages[k]) == 0);
	oracle_free(&s->o, s->idx[k], s->npages[k]);
	s->idx[k] = s->idx[--s->nlive];
	s->npages[k] = s->npages[s->nlive];
}

/* A free of any range: accepted only if the oracle says it is all live. */
static void do_bogus_free(struct state *s, struct input *in)
{
	uint64_t idx = s->o.cfg.first_idx + take(in, 2) % (s->o.cfg.entries + 4) - 2;
	uint64_t n = take(in, 1) % 40, i, rel = idx - s->o.cfg.first_idx;
	bool all_live = n && idx >= s->o.cfg.first_idx && rel < s->o.cfg.entries &&
			oracle_size(&s->o, n) <= s->o.cfg.entries - rel;

	for (i = 0; all_live && i < oracle_size(&s->o, n); i++)
		all_live = s->o.state[rel + i] == 1;
	if (!all_live)
		ENSURE(tce_pool_free(s->p, idx, n) == -EINVAL);
}

static void do_reserve(struct state *s, struct input *in)
{
	uint64_t idx = s->o.cfg.first_idx + take(in, 2) % s->o.cfg.entries, n = 1 + take(in, 1) % 8;
	uint64_t rel = idx - s->o.cfg.first_idx, i;
	bool free_run = n <= s->o.cfg.entries - rel;
	int rc = tce_pool_reserve(s->p, idx, n);

	for (i = 0; free_run && i < n; i++)
		free_run = s->o.state[rel + i] == 0;
	if (rc == 0)
		oracle_reserve(&s->o, idx, n);
	/* Parked and cached entries are busy to a reservation. */
	ENSURE(rc == 0 ? free_run : rc == -EBUSY || (rc == -EINVAL && rel + n > s->o.cfg.entries));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint64_t sel = take(&in, 1);
	struct tce_pool_config cfg = { .entries = 64 + take(&in, 2) % 4000, .page_shift = 12,
				       .nr_pools = (uint32_t)(sel % 17), .no_large_pool = sel & 32,
				       .cache = sel & 64, .spinlocks = sel & 16,
				       .lazy_flush = sel & 128 ? flush_noop : NULL };
	struct tce_ctx *ctx;
	struct state *s = calloc(1, sizeof(*s));
	unsigned op = 0;

	cfg.first_idx = take(&in, 1) & 1 ? 0 : 1ULL << 40;
	ENSURE(s && tce_ctx_create(&ctx) == 0);
	ENSURE(tce_pool_create(ctx, &cfg, &s->p) == 0);
	ENSURE(oracle_init(&s->o, &cfg) == 0);
	while (in.n) {
		switch (take(&in, 1) % 8) {
		case 0: case 1: case 2:
			do_alloc(s, &in);
			break;
		case 3: case 4:
			do_free(s, &in);
			break;
		case 5:
			do_bogus_free(s, &in);
			break;
		case 6:
			do_reserve(s, &in);
			break;
		default:
			ENSURE(tce_pool_check(s->p, NULL) == 0);
			break;
		}
		op++;
	}
	ENSURE(tce_pool_check(s->p, NULL) == 0);
	tce_pool_destroy(s->p);
	oracle_fini(&s->o);
	tce_ctx_destroy(ctx);
	free(s);
	return 0;
}
