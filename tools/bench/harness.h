/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The measurement harness every tce-bench subcommand shares (spec
 * performance.md §6.1): options, the monotonic clock, a fixed-seed PRNG, CPU
 * pinning, resident-memory reads and the runner that times variants
 * interleaved (A, B, C, A, B, C ...) after one discarded warm-up repetition.
 * Layer: tools; uses the C library only.
 */
#ifndef TCE_BENCH_HARNESS_H
#define TCE_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_REPS_DEFAULT 11
#define BENCH_REPS_MAX 101

struct bench_plot;

/* What the command line asked for. */
struct bench_opts {
	bool json;         /* one JSON object per line instead of a table */
	bool quick;        /* tiny sizes and one repetition: a smoke run */
	unsigned int reps; /* measured repetitions, after one warm-up */
	bool callgrind;    /* alloc: single-thread loops once, for instruction counts */
	struct bench_plot *plot; /* --plot: every emitted row is offered to it; NULL: off */
};

/* Median, minimum and interquartile range of one variant's samples (ns). */
struct bench_summary {
	double median;
	double min;
	double iqr;
};

/*
 * One variant of an interleaved run. @run does any untimed preparation,
 * times one batch around the measured work only and writes its cost in ns
 * per op. It returns 0 or a negative errno, which stops the whole run.
 */
struct bench_variant {
	const char *name;
	int (*run)(void *arg, double *ns_per_op);
	void *arg;
	double samples[BENCH_REPS_MAX];
	unsigned int nsamples;
	struct bench_summary sum;
};

/* Loaded values end here so that no timed load can be optimised away. */
extern volatile uint64_t bench_sink;

/*
 * Keep @v in a register at this point of the loop: the compiler can neither
 * drop the work that produced it nor vectorise the loop around it.
 */
#define BENCH_OPAQUE(v) __asm__ volatile("" : "+r"(v))

/* The fixed seed of every random order; no run ever seeds from the clock. */
#define BENCH_SEED 0x9e3779b97f4a7c15ULL

/*
 * One step of a 64-bit LCG (Knuth's MMIX constants). Use its top bits:
 * bench_lcg(&x) >> (64 - k) is a k-bit index. Costs one multiply and add.
 */
static inline uint64_t bench_lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x;
}

/* CLOCK_MONOTONIC in ns; call it around batches only (it costs ~28 ns). */
uint64_t bench_now_ns(void);

/* Pin the calling thread to CPU 0. Returns 0 or a positive errno. */
int bench_pin_cpu0(void);

/* Resident bytes of this process (/proc/self/statm), 0 if unreadable. */
uint64_t bench_rss_bytes(void);

/* Hand freed heap memory back to the kernel so RSS deltas mean something. */
void bench_trim_heap(void);

/* Median, minimum and IQR (linear-interpolated quartiles) of @n samples. */
void bench_summarize(const double *samples, unsigned int n, struct bench_summary *out);

/*
 * The median over repetitions of @a's sample over @b's, paired by repetition
 * (a burst of load then hits both sides of each ratio); 0 without a pair.
 */
double bench_paired_ratio(const struct bench_variant *a, const struct bench_variant *b);

/*
 * Run @nv variants interleaved: one warm-up repetition (discarded), then
 * @reps measured ones; then summarise each variant. Returns the first
 * variant's error, 0 if all succeeded.
 */
int bench_run_interleaved(struct bench_variant *v, unsigned int nv, unsigned int reps);

/* A variant by name in @v, or NULL. */
const struct bench_variant *bench_find(const struct bench_variant *v, unsigned int nv,
				       const char *name);

#endif /* TCE_BENCH_HARNESS_H */
