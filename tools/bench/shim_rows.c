/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rows of `tce-bench shim`. vfio.shim.map: MAP_DMA then UNMAP_DMA of
 * 1, 64 and 512 pages a call, on the library (LIB-n) and through tce-run's
 * shim (SHIM-n), interleaved in one run beside the client's system-call
 * floor; the target "SHIM within 1.2x of LIB at 512 pages a call". And
 * vfio.shim.chunks: the register+map loop of 16,384 chunks of 64 KiB and
 * its unmap+unregister teardown, on both sides, in operations (ioctls) per
 * second. Layer: tools; uses the harness, the report and shim.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "shim.h"

#define MR_PAGES (SL_MAP_BYTES >> SL_PAGE_SHIFT) /* pages a repetition: the map memory */
#define MR_PAGES_QUICK 4096u
#define MR_CALLS_MAX 16384u                      /* the 1-page rows map less */
#define MR_FLOOR_CALLS 100000u
#define MR_GOAL 1.2                              /* issue 11: SHIM <= 1.2x LIB at 512 */

static const uint64_t sizes[SL_SIZES] = { 1, 64, 512 };

/* One variant: the library or the shim side doing one loop; its own samples of the halves. */
struct sh_arg {
	struct sh_lib *l;
	struct sh_client *c;
	bool shim;
	uint64_t n, calls;   /* map rows: pages a call, calls; chunk rows: n = chunks */
	double a[BENCH_REPS_MAX], b[BENCH_REPS_MAX]; /* map/unmap or setup/teardown, ns per unit */
	unsigned int runs, nab;
	char name[32];
};

/* Keep the halves of every run but the harness's warm-up. */
static void keep(struct sh_arg *s, double a, double b)
{
	if (s->runs++ == 0 || s->nab >= BENCH_REPS_MAX)
		return;
	s->a[s->nab] = a;
	s->b[s->nab++] = b;
}

static double half_median(const double *x, unsigned int n)
{
	struct bench_summary sum;

	bench_summarize(x, n, &sum);
	return sum.median;
}

/* ---- vfio.shim.map ---- */

static int run_map(void *arg, double *ns_per_op)
{
	struct sh_arg *s = arg;
	uint64_t map_ns, unmap_ns, pages = s->n * s->calls;
	char cmd[64];
	int rc;

	if (s->shim) {
		snprintf(cmd, sizeof(cmd), "map %llu %llu", (unsigned long long)s->n,
			 (unsigned long long)s->calls);
		rc = sh_client_ask(s->c, cmd, &map_ns, &unmap_ns);
	} else {
		rc = sl_map_unmap(&s->l->t, s->n, s->calls, &map_ns, &unmap_ns);
		if (rc)
			fprintf(stderr, "tce-bench: shim: library %s: %s\n", s->l->t.failed,
				tce_strerror(rc));
	}
	if (rc)
		return rc;
	*ns_per_op = (double)(map_ns + unmap_ns) / (double)pages;
	keep(s, (double)map_ns / (double)pages, (double)unmap_ns / (double)pages);
	return 0;
}

/* The system calls the shim makes per ioctl, timed alone in the client. */
enum { FL_GETPPID, FL_READV, FL_FSTAT, FL_N };
static const char *const floor_kinds[FL_N] = { "getppid", "readv", "fstat" };

static int run_floor(void *arg, double *ns_per_op)
{
	struct sh_arg *s = arg;
	uint64_t ns, unused;
	char cmd[64];
	int rc;

	snprintf(cmd, sizeof(cmd), "floor %s %u", floor_kinds[s->calls], MR_FLOOR_CALLS);
	rc = sh_client_ask(s->c, cmd, &ns, &unused);
	if (!rc)
		*ns_per_op = (double)ns / MR_FLOOR_CALLS;
	return rc;
}

/* LIB-n, SHIM-n for each size, then the floors. */
#define MR_NV (2 * SL_SIZES + FL_N)
struct map_run {
	struct sh_arg args[MR_NV];
	struct bench_variant v[MR_NV];
};

static void map_setup(struct map_run *mr, const struct bench_opts *o, struct sh_lib *l,
		      struct sh_client *c)
{
	uint64_t pages = o->quick ? MR_PAGES_QUICK : MR_PAGES;
	unsigned int i;

	for (i = 0; i < MR_NV; i++) {
		struct sh_arg *s = &mr->args[i];
		uint64_t n = i < 2 * SL_SIZES ? sizes[i / 2] : 0;

		*s = (struct sh_arg){ .l = l, .c = c, .shim = i % 2, .n = n };
		if (n) {
			s->calls = pages / n < MR_CALLS_MAX ? pages / n : MR_CALLS_MAX;
			snprintf(s->name, sizeof(s->name), "%s-%llu", s->shim ? "SHIM" : "LIB",
				 (unsigned long long)n);
		} else {
			s->calls = i - 2 * SL_SIZES; /* the floor's kind */
			snprintf(s->name, sizeof(s->name), "FLOOR-%s", floor_kinds[s->calls]);
		}
		mr->v[i] = (struct bench_variant){ .name = s->name, .arg = s,
						   .run = n ? run_map : run_floor };
	}
}

static void map_params(struct bench_row *r, const struct sh_arg *s)
{
	bench_param_str(r, "platform", "powernv");
	bench_param_num(r, "window_bytes", (double)SL_WINDOW_BYTES);
	bench_param_num(r, "page_shift", SL_PAGE_SHIFT);
	bench_param_num(r, "pages_per_call", (double)s->n);
	bench_param_json(r, "calls", (double)s->calls);
}

/* Row @i (LIB-n or SHIM-n); a SHIM row's ratio is to LIB-n of the same run. */
static void map_emit(const struct bench_opts *o, struct map_run *mr, unsigned int i,
		     double syscalls_ns)
{
	const struct sh_arg *s = &mr->args[i];
	double m = mr->v[i].sum.median, lib = mr->v[i & ~1u].sum.median;
	double over = (m - lib) * (double)s->n / 2; /* per ioctl: a pair is two */
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.map", s->name, &mr->v[i]);
	map_params(&r, s);
	bench_extra(&r, "map_ns", half_median(s->a, s->nab));
	bench_extra(&r, "unmap_ns", half_median(s->b, s->nab));
	bench_extra(&r, "ioctl_ns", m * (double)s->n / 2);
	if (s->shim) {
		r.ratio = lib > 0 ? m / lib : 0;
		bench_extra(&r, "overhead_ns", over);
		bench_extra(&r, "syscalls_ns", syscalls_ns);
	}
	bench_emit(o, &r);
}

static void map_target(const struct bench_opts *o, struct map_run *mr)
{
	unsigned int i = 2 * (SL_SIZES - 1) + 1; /* SHIM-512 */
	double lib = mr->v[i - 1].sum.median, x = lib > 0 ? mr->v[i].sum.median / lib : 0;
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.target", "TARGET-512", &mr->v[i]);
	map_params(&r, &mr->args[i]);
	r.ratio = x; /* SHIM-512 over LIB-512, map+unmap */
	bench_extra(&r, "x_lib", x);
	bench_extra(&r, "goal", MR_GOAL);
	bench_target(&r, "<=1.2x LIB", x > 0 && x <= MR_GOAL);
	bench_emit(o, &r);
}

static double floor_med(const struct map_run *mr, unsigned int k)
{
	return mr->v[2 * SL_SIZES + k].sum.median;
}

/*
 * What the shim's own system calls cost per ioctl, from the floors: it
 * copies the argument in with two process_vm_readv() (argsz, then the
 * struct), each after a getpid(), and checks the fd's inode with fstat().
 */
static double shim_syscalls_ns(const struct map_run *mr)
{
	return 2 * floor_med(mr, FL_READV) + 2 * floor_med(mr, FL_GETPPID) +
	       floor_med(mr, FL_FSTAT);
}

static void floor_emit(const struct bench_opts *o, struct map_run *mr, unsigned int k,
		       double load0)
{
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.floor", mr->args[2 * SL_SIZES + k].name,
		       &mr->v[2 * SL_SIZES + k]);
	bench_param_json(&r, "calls", MR_FLOOR_CALLS);
	if (k == FL_READV)
		bench_param_num(&r, "copy_bytes", 32);
	if (k == FL_GETPPID) {
		bench_extra(&r, "loadavg_start", load0);
		bench_extra(&r, "loadavg_end", sh_loadavg());
	}
	bench_emit(o, &r);
}

int sh_map_section(const struct bench_opts *o, struct sh_lib *l, struct sh_client *c)
{
	struct map_run *mr = calloc(1, sizeof(*mr));
	double load0 = sh_loadavg();
	unsigned int i;
	int rc;

	if (!mr)
		return -ENOMEM;
	bench_note(o, "\nload average at start: %.2f (2 CPUs shared with other jobs)", load0);
	bench_section(o, "vfio.shim.map (powernv, v2 container, 4 GiB window of 4 KiB pages): "
			 "MAP_DMA then UNMAP_DMA of N pages a call;\n"
			 "   ns per page of the pair; LIB = tce_vfio_ioctl() in tce-bench, SHIM = "
			 "ioctl() of a client under tce-run\n"
			 "   (same machine, host pages, identity memory and calls); ratio = SHIM/LIB; "
			 "overhead = ns per ioctl;\n"
			 "   syscalls = what the shim's own system calls per ioctl cost alone (2 "
			 "process_vm_readv + 2 getpid + fstat);\n"
			 "   FLOOR-* = one such system call in the client, ns", "ns/page");
	map_setup(mr, o, l, c);
	rc = bench_run_interleaved(mr->v, MR_NV, o->reps);
	if (!rc) {
		for (i = 0; i < 2 * SL_SIZES; i++)
			map_emit(o, mr, i, shim_syscalls_ns(mr));
		for (i = 0; i < FL_N; i++)
			floor_emit(o, mr, i, load0);
		map_target(o, mr);
	}
	free(mr);
	return rc;
}

/* ---- vfio.shim.chunks ---- */

static int run_chunks(void *arg, double *ns_per_op)
{
	struct sh_arg *s = arg;
	uint64_t setup_ns, down_ns;
	char cmd[64];
	int rc;

	if (s->shim) {
		snprintf(cmd, sizeof(cmd), "chunks %llu", (unsigned long long)s->n);
		rc = sh_client_ask(s->c, cmd, &setup_ns, &down_ns);
	} else {
		rc = sl_chunks(&s->l->t, (uint32_t)s->n, &setup_ns, &down_ns);
		if (rc)
			fprintf(stderr, "tce-bench: shim: library %s: %s\n", s->l->t.failed,
				tce_strerror(rc));
	}
	if (rc)
		return rc;
	*ns_per_op = (double)(setup_ns + down_ns) / (double)s->n;
	keep(s, (double)setup_ns / (double)s->n, (double)down_ns / (double)s->n);
	return 0;
}

/* Two ioctls per chunk and per half: ops/s from ns per chunk. */
static double ops_per_s(double ns_per_chunk, double ioctls)
{
	return ns_per_chunk > 0 ? ioctls * 1e9 / ns_per_chunk : 0;
}

static void chunk_emit(const struct bench_opts *o, struct sh_arg *args,
		       struct bench_variant *v, unsigned int i)
{
	const struct sh_arg *s = &args[i];
	double m = v[i].sum.median, setup = half_median(s->a, s->nab);
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.chunks", s->name, &v[i]);
	bench_param_str(&r, "platform", "powernv");
	bench_param_num(&r, "chunks", (double)s->n);
	bench_param_num(&r, "chunk_bytes", SL_CHUNK_BYTES);
	bench_extra(&r, "loop_ops_per_s", ops_per_s(setup, 2));
	bench_extra(&r, "teardown_ops_per_s", ops_per_s(half_median(s->b, s->nab), 2));
	bench_extra(&r, "ops_per_s", ops_per_s(m, 4));
	bench_extra(&r, "register_map_ns", setup);
	if (s->shim)
		r.ratio = v[0].sum.median > 0 ? m / v[0].sum.median : 0;
	bench_emit(o, &r);
}

int sh_chunk_section(const struct bench_opts *o, struct sh_lib *l, struct sh_client *c)
{
	uint64_t k = o->quick ? SL_CHUNKS_QUICK : SL_CHUNKS;
	struct sh_arg *args = calloc(2, sizeof(*args));
	struct bench_variant v[2];
	unsigned int i;
	int rc;

	if (!args)
		return -ENOMEM;
	bench_section(o, "vfio.shim.chunks (powernv, v2): the register+map loop of a POWER VFIO "
			 "stress test: per chunk of 64 KiB\n"
			 "   REGISTER_MEMORY + MAP_DMA, then per chunk UNMAP_DMA + "
			 "UNREGISTER_MEMORY; ns per chunk (4 ioctls);\n"
			 "   ops = ioctls; ratio = SHIM/LIB", "ns/chunk");
	for (i = 0; i < 2; i++) {
		args[i] = (struct sh_arg){ .l = l, .c = c, .shim = i, .n = k };
		snprintf(args[i].name, sizeof(args[i].name), "%s-chunks", i ? "SHIM" : "LIB");
		v[i] = (struct bench_variant){ .name = args[i].name, .run = run_chunks,
					       .arg = &args[i] };
	}
	rc = bench_run_interleaved(v, 2, o->reps);
	for (i = 0; i < 2 && !rc; i++)
		chunk_emit(o, args, v, i);
	bench_note(o, "load average at end: %.2f", sh_loadavg());
	free(args);
	return rc;
}
