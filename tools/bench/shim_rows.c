/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rows of `tce-bench shim`. vfio.shim.map: MAP_DMA then UNMAP_DMA of
 * 1, 64 and 512 pages a call, on the library (LIB-n) and through tce-run's
 * shim (SHIM-n), interleaved in one run beside the client's system-call
 * floor; the target "SHIM within 1.2x of LIB at 512 pages a call".
 * vfio.shim.type1: the same on a Type1v2 container (T1-LIB-n, T1-SHIM-n,
 * in the same interleaved run), its own 1.2x target, and Type1 LIB over
 * v2 LIB per size (vfio.shim.type1_vs_v2). And
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
#define MR_T1_CALLS_MAX 4096u /* Type1's: each MAP_DMA reads /proc/self/smaps (~0.1-0.4 ms) */
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

/*
 * LIB-n, SHIM-n for each size on the v2 sides, T1-LIB-n, T1-SHIM-n on the
 * Type1 sides, then the floors (timed in the v2 client).
 */
#define MR_MAPS (2 * SL_SIZES * SH_KINDS)
#define MR_NV (MR_MAPS + FL_N)
struct map_run {
	struct sh_arg args[MR_NV];
	struct bench_variant v[MR_NV];
};

/* The variant of @kind's size index @i on the library (LIB) or the shim side. */
static unsigned int mr_at(enum sh_kind kind, unsigned int i, bool shim)
{
	return (kind * SL_SIZES + i) * 2 + shim;
}

static enum sh_kind mr_kind(unsigned int at)
{
	return (enum sh_kind)(at / (2 * SL_SIZES));
}

static void map_setup(struct map_run *mr, const struct bench_opts *o, struct sh_lib *l,
		      struct sh_client *c)
{
	uint64_t pages = o->quick ? MR_PAGES_QUICK : MR_PAGES;
	unsigned int i;

	for (i = 0; i < MR_NV; i++) {
		struct sh_arg *s = &mr->args[i];
		enum sh_kind k = i < MR_MAPS ? mr_kind(i) : SH_V2;
		uint64_t n = i < MR_MAPS ? sizes[i / 2 % SL_SIZES] : 0;

		*s = (struct sh_arg){ .l = &l[k], .c = &c[k], .shim = i % 2, .n = n };
		if (n) {
			uint64_t most = k == SH_T1 ? MR_T1_CALLS_MAX : MR_CALLS_MAX;

			s->calls = pages / n < most ? pages / n : most;
			snprintf(s->name, sizeof(s->name), "%s%s-%llu", k == SH_T1 ? "T1-" : "",
				 s->shim ? "SHIM" : "LIB", (unsigned long long)n);
		} else {
			s->calls = i - MR_MAPS; /* the floor's kind */
			snprintf(s->name, sizeof(s->name), "FLOOR-%s", floor_kinds[s->calls]);
		}
		mr->v[i] = (struct bench_variant){ .name = s->name, .arg = s,
						   .run = n ? run_map : run_floor };
	}
}

static void map_params(struct bench_row *r, const struct sh_arg *s)
{
	bench_param_str(r, "platform", "powernv");
	bench_param_str(r, "container", s->l->kind == SH_T1 ? "type1v2" : "spapr_v2");
	if (s->l->kind == SH_V2)
		bench_param_num(r, "window_bytes", (double)SL_WINDOW_BYTES);
	bench_param_num(r, "page_shift", SL_PAGE_SHIFT);
	bench_param_num(r, "pages_per_call", (double)s->n);
	bench_param_json(r, "calls", (double)s->calls);
}

static double med(const struct map_run *mr, unsigned int at)
{
	return mr->v[at].sum.median;
}

/* Row @i (LIB-n or SHIM-n of its kind); a SHIM row's ratio is to LIB-n of the same kind. */
static void map_emit(const struct bench_opts *o, struct map_run *mr, unsigned int i,
		     double syscalls_ns)
{
	const struct sh_arg *s = &mr->args[i];
	double m = med(mr, i), lib = med(mr, i & ~1u);
	double over = (m - lib) * (double)s->n / 2; /* per ioctl: a pair is two */
	struct bench_row r;

	bench_row_init(&r, mr_kind(i) == SH_T1 ? "vfio.shim.type1" : "vfio.shim.map", s->name,
		       &mr->v[i]);
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

/*
 * Type1 LIB-n over v2 LIB-n: what the domain, the pinning and the probe of
 * the pages cost per page over preregistered memory (informational). The
 * extras split it into the halves and give the map half's extra per call.
 */
static void vs_v2_emit(const struct bench_opts *o, struct map_run *mr, unsigned int i)
{
	unsigned int t1 = mr_at(SH_T1, i, false), v2 = mr_at(SH_V2, i, false);
	const struct sh_arg *a = &mr->args[t1], *b = &mr->args[v2];
	double tm = half_median(a->a, a->nab), vm = half_median(b->a, b->nab);
	double tu = half_median(a->b, a->nab), vu = half_median(b->b, b->nab);
	char name[32];
	struct bench_row r;

	snprintf(name, sizeof(name), "T1/V2-LIB-%llu", (unsigned long long)a->n);
	bench_row_init(&r, "vfio.shim.type1_vs_v2", name, &mr->v[t1]);
	map_params(&r, a);
	r.ratio = med(mr, v2) > 0 ? med(mr, t1) / med(mr, v2) : 0;
	bench_extra(&r, "x_v2_map", vm > 0 ? tm / vm : 0);
	bench_extra(&r, "x_v2_unmap", vu > 0 ? tu / vu : 0);
	bench_extra(&r, "map_extra_ns_per_call", (tm - vm) * (double)a->n);
	bench_extra(&r, "unmap_extra_ns_per_call", (tu - vu) * (double)a->n);
	bench_emit(o, &r);
}

/* @kind's SHIM-512 over its LIB-512, map+unmap, against the goal. */
static void map_target(const struct bench_opts *o, struct map_run *mr, enum sh_kind kind)
{
	unsigned int i = mr_at(kind, SL_SIZES - 1, true);
	double lib = med(mr, i - 1), x = lib > 0 ? med(mr, i) / lib : 0;
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.target", kind == SH_T1 ? "T1-TARGET-512" : "TARGET-512",
		       &mr->v[i]);
	map_params(&r, &mr->args[i]);
	r.ratio = x;
	bench_extra(&r, "x_lib", x);
	bench_extra(&r, "goal", MR_GOAL);
	bench_target(&r, "<=1.2x LIB", x > 0 && x <= MR_GOAL);
	bench_emit(o, &r);
}

static double floor_med(const struct map_run *mr, unsigned int k)
{
	return med(mr, MR_MAPS + k);
}

/*
 * What the shim's own system calls cost per ioctl, from the floors: it
 * copies the argument in with one process_vm_readv() (argsz and the
 * struct together) and checks the fd's inode with fstat(); MAP_DMA and
 * UNMAP_DMA of both kinds write nothing back (no process_vm_writev).
 */
static double shim_syscalls_ns(const struct map_run *mr)
{
	return floor_med(mr, FL_READV) + floor_med(mr, FL_FSTAT);
}

static void floor_emit(const struct bench_opts *o, struct map_run *mr, unsigned int k,
		       double load0)
{
	struct bench_row r;

	bench_row_init(&r, "vfio.shim.floor", mr->args[MR_MAPS + k].name, &mr->v[MR_MAPS + k]);
	bench_param_json(&r, "calls", MR_FLOOR_CALLS);
	if (k == FL_READV)
		bench_param_num(&r, "copy_bytes", 32);
	if (k == FL_GETPPID) {
		bench_extra(&r, "loadavg_start", load0);
		bench_extra(&r, "loadavg_end", sh_loadavg());
	}
	bench_emit(o, &r);
}

/* The Type1 rows, after the v2 ones: their own section, beside the same floors. */
static void type1_emit(const struct bench_opts *o, struct map_run *mr, double syscalls_ns)
{
	unsigned int i;

	bench_section(o, "vfio.shim.type1 (powernv, Type1v2 container: the domain's default "
			 "window 0, 128 TiB of 4 KiB pages from bus 0;\n"
			 "   nothing registered: MAP_DMA probes and pins the pages):\n"
			 "   the same MAP_DMA then UNMAP_DMA of N pages a call, in the same "
			 "interleaved run as vfio.shim.map;\n"
			 "   T1-LIB = tce_vfio_ioctl() on a container opened with TCE_VFIO_TYPE1, "
			 "T1-SHIM = the client under tce-run --type1;\n"
			 "   ratio = T1-SHIM/T1-LIB; syscalls and floors as above;\n"
			 "   T1/V2-LIB-N: ratio = Type1 LIB over v2 LIB (the domain and the "
			 "pinning per MAP_DMA over preregistered memory)", "ns/page");
	for (i = 2 * SL_SIZES; i < MR_MAPS; i++)
		map_emit(o, mr, i, syscalls_ns);
	for (i = 0; i < SL_SIZES; i++)
		vs_v2_emit(o, mr, i);
	map_target(o, mr, SH_T1);
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
			 "   syscalls = what the shim's own system calls per ioctl cost alone (one "
			 "process_vm_readv + fstat);\n"
			 "   FLOOR-* = one such system call in the client, ns", "ns/page");
	map_setup(mr, o, l, c);
	rc = bench_run_interleaved(mr->v, MR_NV, o->reps);
	if (!rc) {
		for (i = 0; i < 2 * SL_SIZES; i++)
			map_emit(o, mr, i, shim_syscalls_ns(mr));
		for (i = 0; i < FL_N; i++)
			floor_emit(o, mr, i, load0);
		map_target(o, mr, SH_V2);
		type1_emit(o, mr, shim_syscalls_ns(mr));
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
