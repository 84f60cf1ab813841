/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run-wide floors: a sequential load over a 4 KiB array that stays in
 * L1, memset of a pre-faulted buffer larger than L2 (in ns per 8-byte entry
 * and GB/s, the unit of a TCE clear), one clock_gettime() call and the
 * smallest call into the shared library. They are
 * timed interleaved like any variant. Layer: tools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tce.h>

#include "floors.h"
#include "report.h"

#define HOT_ENTRIES 512 /* 4 KiB: L1 resident */

struct floor_load {
	uint64_t *arr;
	uint64_t ops;
};

struct floor_memset {
	unsigned char *buf;
	size_t bytes;
};

static int run_load_hot(void *arg, double *ns_per_op)
{
	struct floor_load *a = arg;
	uint64_t i, sum = 0, t0, t1;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		sum += a->arr[i & (HOT_ENTRIES - 1)];
		BENCH_OPAQUE(sum);
	}
	t1 = bench_now_ns();
	bench_sink += sum;
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int run_memset(void *arg, double *ns_per_op)
{
	struct floor_memset *a = arg;
	uint64_t t0, t1;

	memset(a->buf, 0xa5, a->bytes); /* untimed: warm and dirty, as a table is */
	t0 = bench_now_ns();
	memset(a->buf, 0, a->bytes);
	t1 = bench_now_ns();
	bench_sink += a->buf[a->bytes / 2];
	*ns_per_op = (double)(t1 - t0) / (double)(a->bytes / 8);
	return 0;
}

/*
 * The smallest call into libtce.so (through the PLT, as every API call is):
 * the part of a lookup that no table layout can remove.
 */
static int run_libcall(void *arg, double *ns_per_op)
{
	struct floor_load *a = arg;
	uint64_t i, sum = 0, t0, t1, dir = TCE_DIR_TO_DEVICE;

	BENCH_OPAQUE(dir);
	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		sum += tce_dir_to_perm((enum tce_dir)dir);
		BENCH_OPAQUE(sum);
	}
	t1 = bench_now_ns();
	bench_sink += sum;
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

static int run_clock(void *arg, double *ns_per_op)
{
	uint64_t n = *(uint64_t *)arg, i, t0, t1, sum = 0;

	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		sum += bench_now_ns();
	t1 = bench_now_ns();
	bench_sink += sum;
	*ns_per_op = (double)(t1 - t0) / (double)n;
	return 0;
}

static void emit_floor(const struct bench_opts *o, const struct bench_variant *v,
		       const char *when, double bytes)
{
	struct bench_row r;

	bench_row_init(&r, "floor", v->name, v);
	bench_param_str(&r, "when", when);
	r.ratio = 1.0;
	if (bytes > 0) {
		bench_param_num(&r, "buffer_bytes", bytes);
		bench_param_str(&r, "op", "8B-entry");
		bench_extra(&r, "gb_per_s", v->sum.median > 0 ? 8.0 / v->sum.median : 0);
	}
	bench_emit(o, &r);
}

int bench_floors(const struct bench_opts *o, const char *when)
{
	struct floor_load load = { .ops = o->quick ? 1 << 16 : 1 << 24 };
	struct floor_memset ms = { .bytes = o->quick ? 1 << 20 : 64 << 20 };
	uint64_t clock_ops = o->quick ? 1 << 10 : 1 << 17;
	struct bench_variant v[] = {
		{ .name = "load-hot", .run = run_load_hot, .arg = &load },
		{ .name = "memset", .run = run_memset, .arg = &ms },
		{ .name = "clock_gettime", .run = run_clock, .arg = &clock_ops },
		{ .name = "libtce-call", .run = run_libcall, .arg = &load },
	};
	char title[64];
	int rc = -ENOMEM;

	load.arr = calloc(HOT_ENTRIES, sizeof(*load.arr));
	ms.buf = malloc(ms.bytes);
	if (load.arr && ms.buf) {
		snprintf(title, sizeof(title), "floors (%s of run)", when);
		bench_section(o, title, "ns/op");
		rc = bench_run_interleaved(v, 4, o->reps);
	}
	if (!rc) {
		emit_floor(o, &v[0], when, 0);
		emit_floor(o, &v[1], when, (double)ms.bytes);
		emit_floor(o, &v[2], when, 0);
		emit_floor(o, &v[3], when, 0);
	}
	free(load.arr);
	free(ms.buf);
	return rc;
}
