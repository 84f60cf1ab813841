/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The harness proper: the clock, CPU pinning, resident-memory reads, the
 * statistics over repetitions and the interleaved runner. It knows nothing
 * about TCEs; each subcommand hands it variants to time. Layer: tools; uses
 * the C library only.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

volatile uint64_t bench_sink;

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

uint64_t bench_rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void bench_trim_heap(void)
{
	malloc_trim(0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile of sorted @s by linear interpolation (R type 7). */
static double quantile(const double *s, unsigned int n, double q)
{
	double pos = q * (double)(n - 1);
	unsigned int lo = (unsigned int)pos;

	if (lo + 1 >= n)
		return s[n - 1];
	return s[lo] + (pos - (double)lo) * (s[lo + 1] - s[lo]);
}

void bench_summarize(const double *samples, unsigned int n, struct bench_summary *out)
{
	double sorted[BENCH_REPS_MAX];

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	memcpy(sorted, samples, n * sizeof(*samples));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	out->median = quantile(sorted, n, 0.5);
	out->min = sorted[0];
	out->iqr = quantile(sorted, n, 0.75) - quantile(sorted, n, 0.25);
}

double bench_paired_ratio(const struct bench_variant *a, const struct bench_variant *b)
{
	double q[BENCH_REPS_MAX];
	struct bench_summary s;
	unsigned i, n = a->nsamples < b->nsamples ? a->nsamples : b->nsamples, k = 0;

	for (i = 0; i < n; i++)
		if (b->samples[i] > 0)
			q[k++] = a->samples[i] / b->samples[i];
	if (!k)
		return 0;
	bench_summarize(q, k, &s);
	return s.median;
}

/* One repetition over every variant; @keep says whether samples count. */
static int run_round(struct bench_variant *v, unsigned int nv, bool keep)
{
	double ns;
	unsigned int i;
	int rc;

	for (i = 0; i < nv; i++) {
		rc = v[i].run(v[i].arg, &ns);
		if (rc)
			return rc;
		if (keep && v[i].nsamples < BENCH_REPS_MAX)
			v[i].samples[v[i].nsamples++] = ns;
	}
	return 0;
}

int bench_run_interleaved(struct bench_variant *v, unsigned int nv, unsigned int reps)
{
	unsigned int r, i;
	int rc;

	for (i = 0; i < nv; i++)
		v[i].nsamples = 0;
	for (r = 0; r <= reps; r++) {
		rc = run_round(v, nv, r > 0);
		if (rc)
			return rc;
	}
	for (i = 0; i < nv; i++)
		bench_summarize(v[i].samples, v[i].nsamples, &v[i].sum);
	return 0;
}

const struct bench_variant *bench_find(const struct bench_variant *v, unsigned int nv,
				       const char *name)
{
	unsigned int i;

	for (i = 0; i < nv; i++) {
		if (!strcmp(v[i].name, name))
			return &v[i];
	}
	return NULL;
}
