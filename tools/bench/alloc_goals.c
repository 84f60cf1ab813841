/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator goals of issue 12 (G1-G3) as target rows made with
 * bench_goal(), computed from rows of the same run: B1 hands in each case's
 * medians, B2 its paired repetitions, and the in-run checks decide what can
 * be judged: two-thread goals only when both CPUs were free (each of two
 * pinned spinners got >= 90 % of its wall time on CPU), instruction goals
 * only when perf counters can be read. Layer: tools; uses the report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define CASES_MAX 32
#define CPUFREE_NS 50000000ULL /* each spinner runs 50 ms of wall time */
#define CPUFREE_SHARE 0.9

/* What the goals are computed from; filled by B1 and B2, read at the end. */
struct goal_data {
	/* B1, one entry per case (size, fill, order). */
	double g1_time[CASES_MAX]; /* OURS-P16-mtx / BL-ONELOCK-mtx */
	double g1_mag[CASES_MAX];  /* OURS-P16+MAG-mtx / FLOOR */
	double g3_tree[CASES_MAX]; /* BL-TREE-mtx / OURS-P16-mtx */
	unsigned ncases;
	struct bench_variant ours1, mag1; /* the last case's, for the row's timing (copies) */
	double instr_ours, instr_mag;             /* net instructions/pair, < 0: not counted */
	/* B2. */
	bool have_b2, cpus_free;
	double floor_scaling; /* FLOOR-alu 2T / 1T beside B2, paired */
	double share[2][ALLOC_THREADS_MAX]; /* CPU share of each spinner, before and after */
	double scaling, fairness, same_vs_onelock, onelock_vs_disjoint, tree_vs_ours2;
	struct bench_variant ours2, same2; /* copies: B2's state is freed */
};

static struct goal_data gd = { .instr_ours = -1, .instr_mag = -1 };
static int perf_errno; /* why instructions are not counted */

/* ------------------------------------------------------------------------ */
/* Instruction counter                                                      */
/* ------------------------------------------------------------------------ */

int alloc_instr_open(void)
{
	struct perf_event_attr pe;
	long fd;

	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_HARDWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_HW_INSTRUCTIONS;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
	if (fd < 0) {
		perf_errno = errno;
		return -perf_errno;
	}
	return (int)fd;
}

uint64_t alloc_instr_read(int fd)
{
	uint64_t v = 0;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

/* ------------------------------------------------------------------------ */
/* Were both CPUs free?                                                     */
/* ------------------------------------------------------------------------ */

struct spinner {
	unsigned cpu;
	double share;
};

static uint64_t ts_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Spin pinned to one CPU for CPUFREE_NS; the share of it spent on CPU. */
static void *spin_main(void *arg)
{
	struct spinner *s = arg;
	uint64_t w0, c0, w1, c1;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	w0 = ts_ns(CLOCK_MONOTONIC);
	c0 = ts_ns(CLOCK_THREAD_CPUTIME_ID);
	do
		w1 = ts_ns(CLOCK_MONOTONIC);
	while (w1 - w0 < CPUFREE_NS);
	c1 = ts_ns(CLOCK_THREAD_CPUTIME_ID);
	s->share = (double)(c1 - c0) / (double)(w1 - w0);
	return NULL;
}

bool alloc_cpus_free(double share[ALLOC_THREADS_MAX])
{
	struct spinner s[ALLOC_THREADS_MAX];
	pthread_t th[ALLOC_THREADS_MAX];
	bool started[ALLOC_THREADS_MAX] = { false }, free = true;
	unsigned i;

	for (i = 0; i < ALLOC_THREADS_MAX; i++) {
		s[i] = (struct spinner){ .cpu = i, .share = 0 };
		started[i] = pthread_create(&th[i], NULL, spin_main, &s[i]) == 0;
	}
	for (i = 0; i < ALLOC_THREADS_MAX; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		share[i] = s[i].share;
		free = free && share[i] >= CPUFREE_SHARE;
	}
	return free;
}

/* ------------------------------------------------------------------------ */
/* Inputs                                                                   */
/* ------------------------------------------------------------------------ */

void alloc_goals_b1(const struct bench_variant *v, unsigned stride, unsigned order)
{
	double ours = v[K_P16_MTX * stride + order].sum.median;
	double mag = v[K_P16MAG_MTX * stride + order].sum.median;
	double one = v[K_ONELOCK_MTX * stride + order].sum.median;
	double fl = v[K_FLOOR * stride + order].sum.median;
	double tree = v[K_TREE_MTX * stride + order].sum.median;

	if (gd.ncases >= CASES_MAX || ours <= 0 || mag <= 0 || one <= 0 || fl <= 0)
		return;
	gd.g1_time[gd.ncases] = ours / one;
	gd.g1_mag[gd.ncases] = mag / fl;
	gd.g3_tree[gd.ncases] = tree / ours;
	gd.ncases++;
	gd.ours1 = v[K_P16_MTX * stride + order];
	gd.mag1 = v[K_P16MAG_MTX * stride + order];
}

void alloc_goals_instr(double ours, double mag)
{
	gd.instr_ours = ours;
	gd.instr_mag = mag;
}

void alloc_goals_b2(const struct alloc_goals_b2_in *in)
{
	gd.have_b2 = true;
	gd.ours2 = *in->ours_2t;
	gd.same2 = *in->ours_same;
	gd.scaling = bench_paired_ratio(in->ours_1t, in->ours_2t);
	gd.fairness = in->fairness;
	gd.same_vs_onelock = bench_paired_ratio(in->ours_same, in->onelock_2t);
	gd.onelock_vs_disjoint = bench_paired_ratio(in->onelock_2t, in->ours_2t);
	gd.tree_vs_ours2 = bench_paired_ratio(in->tree_2t, in->ours_2t);
	memcpy(gd.share, in->share, sizeof(gd.share));
	gd.cpus_free = in->cpus_free;
	gd.floor_scaling = in->floor_scaling;
}

/* Why the two-thread goals are not judged, else NULL. */
static const char *unjudged_2t(void)
{
	return alloc_unjudged_2t(gd.cpus_free, gd.floor_scaling);
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                     */
/* ------------------------------------------------------------------------ */

static double median_of(const double *x, unsigned n)
{
	struct bench_summary s;

	if (!n)
		return 0;
	bench_summarize(x, n, &s);
	return s.median;
}

static double worst_of(const double *x, unsigned n, bool high)
{
	double w = n ? x[0] : 0;
	unsigned i;

	for (i = 1; i < n; i++)
		w = high ? (x[i] > w ? x[i] : w) : (x[i] < w ? x[i] : w);
	return w;
}

static void goal_row(const struct bench_opts *o, const char *id, const char *variant,
		     const struct bench_variant *v, unsigned threads, double ratio,
		     const char *goal, bool met, const char *why)
{
	struct bench_row r;

	bench_row_init(&r, "alloc.goals", variant, v);
	r.threads = threads;
	bench_param_num(&r, "threads", threads);
	if (threads > 1) { /* the in-run checks this row was judged by */
		bench_extra(&r, "cpu_share_min",
			    worst_of(&gd.share[0][0], 2 * ALLOC_THREADS_MAX, false));
		bench_extra(&r, "floor_scaling", gd.floor_scaling);
	}
	bench_goal(&r, id, ratio, goal, met, why == NULL);
	if (why) {
		r.target = why;
		bench_param_str(&r, "goal", goal);
	}
	bench_emit(o, &r);
}

static void g1_rows(const struct bench_opts *o)
{
	static char why[128];
	double t = median_of(gd.g1_time, gd.ncases), m = median_of(gd.g1_mag, gd.ncases);

	if (gd.instr_ours < 0)
		snprintf(why, sizeof(why), "not judged: no perf counters (perf_event_open: %s); bench-instr.sh counts",
			 strerror(perf_errno ? perf_errno : ENOSYS));
	goal_row(o, "G1", "OURS-P16-mtx", &gd.ours1, 1, gd.instr_ours,
		 "<=250 instr/alloc+free", gd.instr_ours >= 0 && gd.instr_ours <= 250,
		 gd.instr_ours < 0 ? why : NULL);
	goal_row(o, "G1", "OURS-P16-mtx", &gd.ours1, 1, t, "<=1.5x BL-ONELOCK (B1 median)",
		 t <= 1.5, NULL);
	goal_row(o, "G1", "OURS-P16+MAG-mtx", &gd.mag1, 1, gd.instr_mag, "hit <=60 instr",
		 gd.instr_mag >= 0 && gd.instr_mag <= 60, gd.instr_mag < 0 ? why : NULL);
	goal_row(o, "G1", "OURS-P16+MAG-mtx", &gd.mag1, 1, m, "hit <=1.0x FLOOR (B1 median)",
		 m <= 1.0, NULL);
	bench_note(o, "  G1 over %u B1 cases: worst OURS-P16-mtx/BL-ONELOCK-mtx %.2fx, worst "
		      "OURS-P16+MAG-mtx/FLOOR %.2fx", gd.ncases, worst_of(gd.g1_time, gd.ncases, true),
		   worst_of(gd.g1_mag, gd.ncases, true));
}

static void g2_rows(const struct bench_opts *o)
{
	const char *busy = unjudged_2t();

	goal_row(o, "G2", "OURS-P16-mtx", &gd.ours2, 2, gd.scaling,
		 ">=1.8x own 1T (disjoint, paired)", gd.scaling >= 1.8, busy);
	goal_row(o, "G2", "OURS-P16-mtx", &gd.ours2, 2, gd.fairness, "fairness >=0.9 (disjoint)",
		 gd.fairness >= 0.9, busy);
	goal_row(o, "G2", "OURS-P16-mtx", &gd.same2, 2, gd.same_vs_onelock,
		 "same pool <=1.0x BL-ONELOCK 2T", gd.same_vs_onelock <= 1.0, busy);
	goal_row(o, "G2", "OURS-P16-mtx", &gd.ours2, 2, gd.onelock_vs_disjoint,
		 ">=3x BL-ONELOCK 2T (disjoint)", gd.onelock_vs_disjoint >= 3.0, busy);
	bench_note(o, "  CPU-free check (share of wall time on CPU of a pinned spinner, CPU 0/1): "
		      "before B2 %.2f/%.2f, after %.2f/%.2f; >= %.2f each: %s",
		   gd.share[0][0], gd.share[0][1], gd.share[1][0], gd.share[1][1], CPUFREE_SHARE,
		   gd.cpus_free ? "free" : "busy");
	bench_note(o, "  FLOOR-alu beside B2: 2 threads / 1, paired, %.2fx: %s", gd.floor_scaling,
		   gd.floor_scaling >= ALLOC_FLOOR_SCALING ? "the CPUs scale"
							   : "below 1.8x, the CPUs do not scale");
}

static void g3_rows(const struct bench_opts *o)
{
	double t = median_of(gd.g3_tree, gd.ncases);

	goal_row(o, "G3", "OURS-P16-mtx", &gd.ours1, 1, t, ">=4x BL-TREE 1T (B1 median)", t >= 4.0,
		 NULL);
	if (gd.have_b2)
		goal_row(o, "G3", "OURS-P16-mtx", &gd.ours2, 2, gd.tree_vs_ours2,
			 ">=20x BL-TREE 2T (disjoint)", gd.tree_vs_ours2 >= 20.0,
			 unjudged_2t());
}

void alloc_goals_print(const struct bench_opts *o)
{
	if (!gd.ncases)
		return;
	bench_section(o, "alloc.goals: issue 12 G1-G3, ratios from rows of this run "
			 "(instructions net of the harness loop)", "ns/op");
	g1_rows(o);
	if (gd.have_b2)
		g2_rows(o);
	g3_rows(o);
}
