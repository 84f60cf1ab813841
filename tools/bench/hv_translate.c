/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * B6 through the machine: tce_dev_dma_read() of 8 bytes by the DMA-test
 * device on the default window, with the PHB's TCE cache hitting (one page
 * over and over) and missing (cycling over 64 Ki pages, far more than its
 * 64 sets x 4 ways), against a raw 8-byte load from the same host addresses
 * in the same order. Both sides sum what they read and the sums must agree;
 * the cache's own counters give the hit rate. Layer: tools; uses <tce.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "hv.h"

#define TR_PAGES (1ULL << 16)
#define TR_PAGES_QUICK (1ULL << 12)
#define TR_LEN 8

enum { TR_HIT, TR_MISS, TR_MODES };

struct tr_arg {
	struct hv_env *e;
	const unsigned char *host; /* host view of the real page entry 0 maps */
	uint64_t pages;            /* pages cycled over: a power of two */
	uint64_t ops;
	uint64_t sum;              /* out: the sum of what the last batch read */
	double hit_pct;            /* out, OURS: TCE cache hits in the last batch */
};

/* Byte offset of the word read in page @p: a different cache line per page. */
static uint64_t word_of(uint64_t p)
{
	return (p << HV_DEF_SHIFT) + ((p * 64) & 0xfc0);
}

static double hit_pct(const struct tce_cache_stats *b, const struct tce_cache_stats *a)
{
	uint64_t hits = a->hits - b->hits, all = hits + a->misses - b->misses;

	return all ? 100.0 * (double)hits / (double)all : 0;
}

static int run_ours(void *arg, double *ns_per_op)
{
	struct tr_arg *a = arg;
	uint64_t mask = a->pages - 1, i, v, sum = 0, t0, t1;
	struct tce_cache_stats before, after;
	int rc;

	tce_dev_cache_stats(a->e->dev, &before);
	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		rc = tce_dev_dma_read(a->e->dev, a->e->def.bus + word_of(i & mask), &v, TR_LEN);
		if (rc)
			return hv_fail("tce_dev_dma_read", rc);
		sum += v;
	}
	t1 = bench_now_ns();
	tce_dev_cache_stats(a->e->dev, &after);
	a->sum = sum;
	a->hit_pct = hit_pct(&before, &after);
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int run_floor(void *arg, double *ns_per_op)
{
	struct tr_arg *a = arg;
	uint64_t mask = a->pages - 1, i, sum = 0, t0, t1;
	const uint64_t *q;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		q = (const uint64_t *)(a->host + word_of(i & mask));
		BENCH_OPAQUE(q);
		sum += *q;
	}
	t1 = bench_now_ns();
	a->sum = sum;
	bench_sink += sum;
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

/* Map @pages entries and write a distinct word in each page (pre-faults RAM). */
static int prepare(struct hv_env *e, uint64_t pages, unsigned char **host)
{
	uint64_t p;
	int rc;

	*host = tce_machine_ram_ptr(e->m, HV_TARGET_REAL, pages << HV_DEF_SHIFT);
	if (!*host)
		return hv_fail("RAM for the DMA pages", -EFAULT);
	for (p = 0; p < pages; p++)
		*(uint64_t *)(*host + word_of(p)) = 0x5eed000000000000ULL + p * 0x9e3779b9ULL;
	rc = hv_map(e, &e->def, 0, pages);
	return rc ? rc : hv_expect_range(e, &e->def, 0, pages, true);
}

static void emit(const struct bench_opts *o, const struct tr_arg *args,
		 const struct bench_variant *v, unsigned int i)
{
	static const char *const modes[] = { "hit", "miss" };
	unsigned int mode = i / 2, floor = mode * 2 + 1;
	struct bench_row r;

	bench_row_init(&r, "hv.translate", v[i].name, &v[i]);
	bench_param_str(&r, "cache", modes[mode]);
	bench_param_num(&r, "pages", (double)args[i].pages);
	bench_param_num(&r, "len_bytes", TR_LEN);
	bench_param_json(&r, "ops", (double)args[i].ops);
	r.ratio = v[floor].sum.median > 0 ? v[i].sum.median / v[floor].sum.median : 0;
	if (i != floor) {
		bench_extra(&r, "cache_hit_pct", args[i].hit_pct);
		bench_target(&r, "<=1.3x load", r.ratio <= 1.3);
	}
	bench_emit(o, &r);
}

/* Each OURS batch read exactly what its floor loaded. */
static int check_sums(const struct tr_arg *args, const struct bench_variant *v)
{
	unsigned int i;

	for (i = 0; i < 2 * TR_MODES; i += 2) {
		if (args[i].sum == args[i + 1].sum)
			continue;
		fprintf(stderr, "tce-bench: hv: %s read sum 0x%" PRIx64 ", %s 0x%" PRIx64 "\n",
			v[i].name, args[i].sum, v[i + 1].name, args[i + 1].sum);
		return -EPROTO;
	}
	return 0;
}

static int measure(const struct bench_opts *o, struct hv_env *e, uint64_t pages, uint64_t ops)
{
	struct tr_arg args[2 * TR_MODES];
	struct bench_variant v[2 * TR_MODES] = {
		{ .name = "OURS-dma8-hit", .run = run_ours },
		{ .name = "FLOOR-load-hit", .run = run_floor },
		{ .name = "OURS-dma8-miss", .run = run_ours },
		{ .name = "FLOOR-load-miss", .run = run_floor },
	};
	unsigned char *host;
	unsigned int i;
	int rc = prepare(e, pages, &host);

	for (i = 0; i < 2 * TR_MODES; i++) {
		args[i] = (struct tr_arg){ .e = e, .host = host, .pages = i < 2 ? 1 : pages,
					   .ops = ops };
		v[i].arg = &args[i];
	}
	if (!rc)
		rc = bench_run_interleaved(v, 2 * TR_MODES, o->reps);
	if (!rc)
		rc = check_sums(args, v);
	for (i = 0; i < 2 * TR_MODES && !rc; i++)
		emit(o, args, v, i);
	return rc;
}

int hv_translate(const struct bench_opts *o, struct hv_env *e)
{
	uint64_t pages = o->quick ? TR_PAGES_QUICK : TR_PAGES, ops = o->quick ? 1 << 14 : 1 << 19;
	char title[240];

	snprintf(title, sizeof(title),
		 "hv.translate: tce_dev_dma_read() of %d bytes by " HV_DEVICE " on the "
		 "default window, TCE cache hit (1 page) and miss (%llu pages cycled);\n"
		 "   ns per read against a raw load of the same word (see libtce-call "
		 "in the floors)",
		 TR_LEN, (unsigned long long)pages);
	bench_section(o, title, "ns/read");
	return measure(o, e, pages, ops);
}
