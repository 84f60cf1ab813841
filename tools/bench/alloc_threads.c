/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Two-thread machinery of `tce-bench alloc` (spec performance.md §6.1 item
 * 4): the team runner (workers pinned to CPU 0 and 1, a spin barrier, a
 * fixed op count per worker, fairness read when the first worker finishes)
 * and the run's two-CPU floors: uncontended lock pairs, one-way cache-line
 * hand-off, fetch_add on own and shared lines, and the ALU floor that says
 * whether two threads can scale on these CPUs at all. Layer: tools.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "alloc_lock.h"

struct team_shared {
	struct alloc_team *t;
	atomic_uint ready;
	atomic_bool first_done;
	struct alloc_progress prog[ALLOC_THREADS_MAX];
	uint64_t t0[ALLOC_THREADS_MAX], t1[ALLOC_THREADS_MAX];
	uint64_t snap[ALLOC_THREADS_MAX];
	int rc[ALLOC_THREADS_MAX];
};

struct team_worker {
	struct team_shared *s;
	unsigned tid;
};

static void pin_to(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void barrier(struct team_shared *s)
{
	atomic_fetch_add_explicit(&s->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&s->ready, memory_order_acquire) < s->t->n)
		bl_cpu_relax();
}

static void *worker_main(void *arg)
{
	struct team_worker *w = arg;
	struct team_shared *s = w->s;
	struct alloc_team *t = s->t;
	unsigned i, tid = w->tid;
	int rc;

	pin_to(tid);
	rc = t->setup ? t->setup(t->arg, tid) : 0;
	barrier(s);
	s->t0[tid] = bench_now_ns();
	if (!rc)
		rc = t->body(t->arg, tid, &s->prog[tid]);
	s->t1[tid] = bench_now_ns();
	if (!atomic_exchange(&s->first_done, true)) {
		for (i = 0; i < t->n; i++)
			s->snap[i] = atomic_load_explicit(&s->prog[i].done, memory_order_relaxed);
	}
	if (t->teardown)
		t->teardown(t->arg, tid);
	s->rc[tid] = rc;
	return NULL;
}

static void team_results(struct alloc_team *t, const struct team_shared *s)
{
	uint64_t start = s->t0[0], end = s->t1[0], first = s->t1[0], lo, hi;
	unsigned i;

	lo = hi = s->snap[0];
	for (i = 1; i < t->n; i++) {
		start = s->t0[i] < start ? s->t0[i] : start;
		end = s->t1[i] > end ? s->t1[i] : end;
		first = s->t1[i] < first ? s->t1[i] : first;
		lo = s->snap[i] < lo ? s->snap[i] : lo;
		hi = s->snap[i] > hi ? s->snap[i] : hi;
	}
	t->wall_ns = end - start;
	t->first_ns = first - start;
	t->fairness = hi ? (double)lo / (double)hi : 1.0;
}

int alloc_team_run(struct alloc_team *t)
{
	struct team_shared s;
	struct team_worker w[ALLOC_THREADS_MAX];
	pthread_t th[ALLOC_THREADS_MAX];
	unsigned i, started = 0;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.t = t;
	for (i = 0; i < t->n; i++) {
		w[i] = (struct team_worker){ &s, i };
		rc = -pthread_create(&th[i], NULL, worker_main, &w[i]);
		if (rc) {
			/* Let the started ones pass the barrier with nobody to wait for. */
			atomic_fetch_add(&s.ready, t->n - i);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (rc)
		return alloc_fail("pthread_create", rc);
	team_results(t, &s);
	for (i = 0; i < t->n && !rc; i++)
		rc = s.rc[i];
	return rc;
}

double alloc_samples_median(const struct alloc_samples *s)
{
	struct bench_summary sum;

	if (s->n == 0)
		return 0;
	if (s->n == 1)
		return s->s[0];
	bench_summarize(s->s + 1, s->n - 1, &sum);
	return sum.median;
}

/* ------------------------------------------------------------------------ */
/* Two-CPU floors                                                           */
/* ------------------------------------------------------------------------ */

struct floor_arg {
	uint64_t ops;
	struct bl_lock lock;
	_Alignas(64) atomic_uint_fast64_t shared;
	_Alignas(64) atomic_uint_fast64_t own[ALLOC_THREADS_MAX * 8]; /* one line apart */
	struct alloc_samples fair;
};

static int run_lock_pair(void *arg, double *ns_per_op)
{
	struct floor_arg *a = arg;
	uint64_t i, t0, t1;

	t0 = bench_now_ns();
	for (i = 0; i < a->ops; i++) {
		bl_lock(&a->lock);
		BENCH_OPAQUE(i);
		bl_unlock(&a->lock);
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)a->ops;
	return 0;
}

/* Ping-pong: worker t waits for its turn (shared % 2 == t), then passes it on. */
static int body_handoff(void *arg, unsigned tid, struct alloc_progress *p)
{
	struct floor_arg *a = arg;
	uint64_t i, v;

	for (i = 0; i < a->ops; i++) {
		while (((v = atomic_load_explicit(&a->shared, memory_order_acquire)) & 1) != tid)
			bl_cpu_relax();
		atomic_store_explicit(&a->shared, v + 1, memory_order_release);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

static int body_atomic(void *arg, unsigned tid, struct alloc_progress *p, bool own)
{
	struct floor_arg *a = arg;
	atomic_uint_fast64_t *c = own ? &a->own[tid * 8] : &a->shared;
	uint64_t i;

	for (i = 0; i < a->ops; i++) {
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
		if (!(i & 255))
			atomic_store_explicit(&p->done, i, memory_order_relaxed);
	}
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

static int body_own(void *arg, unsigned tid, struct alloc_progress *p)
{
	return body_atomic(arg, tid, p, true);
}

static int body_shared(void *arg, unsigned tid, struct alloc_progress *p)
{
	return body_atomic(arg, tid, p, false);
}

/* A two-worker floor; @per is ops counted per worker (2 for a hand-off). */
static int run_team_floor(struct floor_arg *a, int (*body)(void *, unsigned,
							   struct alloc_progress *),
			  double *ns_per_op)
{
	struct alloc_team t = { .n = 2, .body = body, .arg = a };
	int rc;

	atomic_store(&a->shared, 0);
	rc = alloc_team_run(&t);
	if (rc)
		return rc;
	alloc_sample(&a->fair, t.fairness);
	*ns_per_op = (double)t.wall_ns / (double)(2 * a->ops);
	return 0;
}

static int run_handoff(void *arg, double *ns)
{
	return run_team_floor(arg, body_handoff, ns);
}

static int run_own(void *arg, double *ns)
{
	return run_team_floor(arg, body_own, ns);
}

static int run_shared(void *arg, double *ns)
{
	return run_team_floor(arg, body_shared, ns);
}

static void emit_floor(const struct bench_opts *o, const struct bench_variant *v,
		       unsigned threads, const struct alloc_samples *fair, const char *op)
{
	struct bench_row r;

	bench_row_init(&r, "alloc.floor", v->name, v);
	r.threads = threads;
	bench_param_num(&r, "threads", threads);
	bench_param_str(&r, "op", op);
	r.ratio = 1.0;
	bench_extra(&r, "fairness", fair ? alloc_samples_median(fair) : 1.0)->json_only =
		threads == 1;
	bench_emit(o, &r);
}

enum { F_MUTEX, F_SPIN, F_HANDOFF, F_OWN, F_SHARED, F_COUNT };

static int floors_init(struct floor_arg *a, uint64_t ops)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < F_COUNT && !rc; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].ops = i == F_HANDOFF ? ops / 16 : ops;
		rc = bl_lock_init(&a[i].lock, i == F_SPIN);
	}
	return rc;
}

int alloc_floors_run(const struct bench_opts *o, struct alloc_floors *f)
{
	static struct floor_arg a[F_COUNT];
	struct bench_variant v[F_COUNT] = {
		{ .name = "FLOOR-mutex-pair", .run = run_lock_pair, .arg = &a[F_MUTEX] },
		{ .name = "FLOOR-spin-pair", .run = run_lock_pair, .arg = &a[F_SPIN] },
		{ .name = "FLOOR-handoff", .run = run_handoff, .arg = &a[F_HANDOFF] },
		{ .name = "FLOOR-atomic-own", .run = run_own, .arg = &a[F_OWN] },
		{ .name = "FLOOR-atomic-shared", .run = run_shared, .arg = &a[F_SHARED] },
	};
	unsigned i;
	int rc = floors_init(a, o->quick || alloc_callgrind ? 1 << 12 : 1 << 21);

	if (rc)
		return alloc_fail("lock init", rc);
	bench_section(o, "alloc.floor: uncontended lock+unlock pairs (1 thread), one-way line "
			 "hand-off and fetch_add on own/shared lines (2 threads, aggregate)", "ns/op");
	rc = bench_run_interleaved(v, F_COUNT, o->reps);
	if (rc)
		return rc;
	emit_floor(o, &v[F_MUTEX], 1, NULL, "lock+unlock");
	emit_floor(o, &v[F_SPIN], 1, NULL, "lock+unlock");
	emit_floor(o, &v[F_HANDOFF], 2, &a[F_HANDOFF].fair, "one-way-handoff");
	emit_floor(o, &v[F_OWN], 2, &a[F_OWN].fair, "fetch_add-own-line");
	emit_floor(o, &v[F_SHARED], 2, &a[F_SHARED].fair, "fetch_add-shared-line");
	f->mutex_pair_ns = v[F_MUTEX].sum.median;
	f->spin_pair_ns = v[F_SPIN].sum.median;
	f->handoff_ns = v[F_HANDOFF].sum.median;
	for (i = 0; i < F_COUNT; i++)
		bl_lock_fini(&a[i].lock);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The ALU floor                                                            */
/* ------------------------------------------------------------------------ */

/*
 * @ops rounds of eight independent scalar multiply-adds from @seed, touching
 * no memory: bound by the core's own width, as the allocator's and the
 * device's hot paths are, so nothing but the CPUs under the two threads
 * limits how it scales.
 */
static uint64_t alu_loop(uint64_t ops, uint64_t seed)
{
	uint64_t x[8], i, s = 0;
	unsigned k;

	for (k = 0; k < 8; k++)
		x[k] = seed + k;
	for (i = 0; i < ops; i++) {
		for (k = 0; k < 8; k++) {
			x[k] = x[k] * 0x9e3779b97f4a7c15ULL + k;
			BENCH_OPAQUE(x[k]); /* scalar: no vector multiply */
		}
	}
	for (k = 0; k < 8; k++)
		s += x[k];
	return s;
}

static int alu_body(void *arg, unsigned tid, struct alloc_progress *p)
{
	struct alloc_alu *a = arg;

	a->sum[tid] = alu_loop(a->ops, tid);
	atomic_store_explicit(&p->done, a->ops, memory_order_relaxed);
	return 0;
}

int alloc_alu_run(void *arg, double *ns_per_op)
{
	struct alloc_alu *a = arg;
	struct alloc_team t = { .n = a->threads, .body = alu_body, .arg = a };
	int rc = alloc_team_run(&t);

	bench_sink += a->sum[0];
	*ns_per_op = (double)t.wall_ns / (double)(a->ops * a->threads);
	return rc;
}

double alloc_alu_emit(const struct bench_opts *o, const char *bench,
		      const struct bench_variant v[2], const struct alloc_alu a[2])
{
	double scaling = bench_paired_ratio(&v[0], &v[1]);
	struct bench_row r;
	unsigned i;

	for (i = 0; i < 2; i++) {
		bench_row_init(&r, bench, v[i].name, &v[i]);
		r.threads = a[i].threads;
		bench_param_num(&r, "threads", a[i].threads);
		bench_param_str(&r, "mode", "8 muladds");
		bench_param_json(&r, "ops", (double)a[i].ops);
		if (i)
			bench_extra(&r, "scaling", scaling);
		bench_emit(o, &r);
	}
	return scaling;
}

const char *alloc_unjudged_2t(bool cpus_free, double floor)
{
	if (!cpus_free)
		return "not judged: CPU busy";
	if (floor < ALLOC_FLOOR_SCALING)
		return "not judged: the CPUs do not scale (FLOOR-alu below 1.8x)";
	return NULL;
}
