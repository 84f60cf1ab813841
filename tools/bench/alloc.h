/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of `tce-bench alloc` share (spec performance.md §6.2,
 * §6.4 B1-B4): one allocator-neutral request, the ops table every variant
 * (the FLOOR bitmap, the baselines and the library's allocator) sits behind,
 * the catalogue of variants, the two-thread team runner, the target log and
 * the callgrind hooks. Layer: tools; uses <tce.h>, the harness and the report.
 */
#ifndef TCE_BENCH_ALLOC_H
#define TCE_BENCH_ALLOC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <tce.h>

#include "harness.h"
#include "report.h"

#define ALLOC_THREADS_MAX 2
#define ALLOC_PAGE_SHIFT 12 /* 4 KiB IOMMU pages everywhere */

/* One request for bus space, in entries (absolute), whatever the allocator. */
struct alloc_req {
	uint64_t npages;
	uint64_t limit;       /* entries at or above are unreachable; 0 = none (a DMA mask) */
	uint64_t boundary;    /* entries, a power of two no range spans; 0 = none */
	uint32_t align_order; /* the first entry is a multiple of 2^align_order */
	int32_t cpu;          /* OURS: tce_alloc_req.cpu, -1 = hash the thread */
	unsigned tid;         /* the worker (= its CPU), < ALLOC_THREADS_MAX: per-CPU state */
};

/* The window an allocator covers, and the context the library uses. */
struct alloc_geom {
	struct tce_ctx *ctx;
	uint64_t first_idx;
	uint64_t entries;
	uint32_t page_shift;
};

enum alloc_family { ALLOC_FLOOR, ALLOC_ONELOCK, ALLOC_TREE, ALLOC_TREE_MAG, ALLOC_OURS };

struct alloc_kind;

/*
 * The seam every variant sits behind. create() builds an empty allocator
 * over @g; alloc() returns 0 and *idx or a negative errno (-ENOSPC when
 * full); free() returns a range alloc() handed out, from worker @tid; both
 * are thread-safe except for the FLOOR. Optional: cache_hits(), and
 * prefill(), a faster way to reach the state alloc_prefill() describes.
 */
struct alloc_ops {
	int (*create)(const struct alloc_kind *k, const struct alloc_geom *g, void **out);
	void (*destroy)(void *a);
	int (*alloc)(void *a, const struct alloc_req *r, uint64_t *idx);
	int (*free)(void *a, unsigned tid, uint64_t idx, uint64_t npages);
	uint64_t (*cache_hits)(void *a);
	int (*prefill)(void *a, unsigned pct, uint64_t granule);
};

struct alloc_kind {
	const char *name;     /* "OURS-P16+MAG-spin" */
	const struct alloc_ops *ops;
	enum alloc_family fam;
	uint32_t nr_pools;    /* OURS */
	bool cache;           /* OURS: per-thread caches */
	bool spin;            /* spinlocks instead of mutexes */
};

extern const struct alloc_ops alloc_floor_ops;
extern const struct alloc_ops alloc_onelock_ops;
extern const struct alloc_ops alloc_ours_ops;
extern const struct alloc_ops alloc_tree_ops;
extern const struct alloc_ops alloc_mag_ops;

/* The catalogue of §6.2, each locked variant with both lock flavours. */
enum alloc_kind_id {
	K_FLOOR,
	K_ONELOCK_MTX, K_ONELOCK_SPIN,
	K_TREE_MTX, K_TREE_SPIN,
	K_MAG_MTX, K_MAG_SPIN,
	K_P4_MTX, K_P4_SPIN,
	K_P16_MTX, K_P16_SPIN,
	K_P16MAG_MTX, K_P16MAG_SPIN,
	K_COUNT
};

extern const struct alloc_kind alloc_kinds[K_COUNT];

/* The BL-ONELOCK and BL-TREE(+MAG) of the same lock flavour as @id. */
enum alloc_kind_id alloc_onelock_of(enum alloc_kind_id id);
enum alloc_kind_id alloc_tree_of(enum alloc_kind_id id);

/* Tree variants run a quarter of the ops: they are ~30x slower per op. */
uint64_t alloc_ops_for(enum alloc_kind_id id, uint64_t ops);

/* One live allocator. */
struct alloc_inst {
	const struct alloc_kind *k;
	void *a;
	struct alloc_geom g;
};

int alloc_inst_create(struct alloc_inst *in, enum alloc_kind_id id, const struct alloc_geom *g);
void alloc_inst_destroy(struct alloc_inst *in); /* accepts a zeroed instance */

static inline int alloc_get(const struct alloc_inst *in, const struct alloc_req *r,
			    uint64_t *idx)
{
	return in->k->ops->alloc(in->a, r, idx);
}

static inline int alloc_put(const struct alloc_inst *in, unsigned tid, uint64_t idx,
			    uint64_t npages)
{
	return in->k->ops->free(in->a, tid, idx, npages);
}

/* True if block @k of a pattern that keeps @pct % of blocks, evenly spread, is kept. */
bool alloc_keep(uint64_t k, unsigned pct);

/*
 * Fill @pct % of an empty window with 1-page allocations spread out in blocks
 * of @granule entries: allocate every entry, then free the blocks the pattern
 * does not keep; or the allocator's own prefill() to the same effect.
 * Returns 0 or a negative errno after printing it.
 */
int alloc_prefill(struct alloc_inst *in, unsigned pct, uint64_t granule);

/*
 * Call @fn on every run [rel, rel + n) of kept blocks of a window of
 * @entries, entry 0 left out when @skip0; stops at the first error.
 */
int alloc_kept_runs(uint64_t entries, bool skip0, unsigned pct, uint64_t granule,
		    int (*fn)(void *arg, uint64_t rel, uint64_t n), void *arg);

/* Print "tce-bench: alloc: @what: <strerror> (<name>)"; returns @rc. */
int alloc_fail(const char *what, int rc);

/* Add ratio_to_floor (r->ratio) and ratio_to_onelock / ratio_to_tree extras. */
void alloc_ratios(struct bench_row *r, double floor_ns, double onelock_ns, double tree_ns);

/* BL-TREE as a library for BL-TREE+MAG (alloc_tree.c). */
struct bl_tree;
int bl_tree_create(const struct alloc_geom *g, bool spin, struct bl_tree **out);
void bl_tree_destroy(struct bl_tree *t);
int bl_tree_alloc(struct bl_tree *t, const struct alloc_req *r, uint64_t *idx);
int bl_tree_free(struct bl_tree *t, uint64_t idx, uint64_t npages);
/* Free @n ranges of @npages under one acquisition of the tree lock. */
void bl_tree_free_many(struct bl_tree *t, const uint64_t *idx, unsigned n, uint64_t npages);
/* The prefill() of both tree variants: one 1-page node per kept entry. */
int bl_tree_prefill(struct bl_tree *t, unsigned pct, uint64_t granule);

/* ------------------------------------------------------------------------ */
/* Two-thread teams (alloc_threads.c)                                       */
/* ------------------------------------------------------------------------ */

/* A worker's progress, on its own cache line. */
struct alloc_progress {
	atomic_uint_fast64_t done;
} __attribute__((aligned(64)));

/*
 * One timed run of @n workers pinned to CPU 0..n-1 (pinning failures are
 * ignored). Each runs setup() untimed, waits at a spin barrier, runs body()
 * timed, then teardown(). body() publishes its op count in @p now and then.
 * Out: the wall time from the first start to the last end, the time the
 * first worker to finish took, and fairness: the smallest op count any
 * worker had reached when the first one finished, over the largest.
 */
struct alloc_team {
	unsigned n;
	int (*setup)(void *arg, unsigned tid);
	int (*body)(void *arg, unsigned tid, struct alloc_progress *p);
	void (*teardown)(void *arg, unsigned tid);
	void *arg;
	uint64_t wall_ns;  /* out */
	uint64_t first_ns; /* out */
	double fairness;   /* out */
};

int alloc_team_run(struct alloc_team *t);

/* Per-batch values of a variant (fairness), the warm-up batch first. */
struct alloc_samples {
	double s[BENCH_REPS_MAX + 1];
	unsigned int n;
};

static inline void alloc_sample(struct alloc_samples *s, double v)
{
	if (s->n < BENCH_REPS_MAX + 1)
		s->s[s->n++] = v;
}

/* Median of the measured batches (the warm-up dropped); 0 if none. */
double alloc_samples_median(const struct alloc_samples *s);

/* In-run floors of two CPUs: one-way cache-line hand-off in ns. */
struct alloc_floors {
	double handoff_ns;
	double mutex_pair_ns; /* uncontended lock+unlock */
	double spin_pair_ns;
};

/* Lock pairs, hand-off and own/shared-line atomics; fills @f. */
int alloc_floors_run(const struct bench_opts *o, struct alloc_floors *f);

/* ------------------------------------------------------------------------ */
/* The benchmarks                                                           */
/* ------------------------------------------------------------------------ */

int alloc_b1(const struct bench_opts *o, struct tce_ctx *ctx, const struct alloc_floors *f);
int alloc_b2(const struct bench_opts *o, struct tce_ctx *ctx, const struct alloc_floors *f);
int alloc_b3(const struct bench_opts *o, struct tce_ctx *ctx);
int alloc_b4(const struct bench_opts *o, struct tce_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Targets of §6.4, reported and never asserted (alloc_targets.c)            */
/* ------------------------------------------------------------------------ */

/* Record one target with what was measured, for the closing summary. */
void alloc_target(const char *bench, const char *target, bool met, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record a target that this run cannot measure, with the reason. */
void alloc_target_na(const char *bench, const char *target, const char *why);

/* Print every recorded target (a table, or JSON lines) and forget them. */
void alloc_targets_print(const struct bench_opts *o);

/* ------------------------------------------------------------------------ */
/* Issue 12 goals G1-G3 (alloc_goals.c)                                      */
/* ------------------------------------------------------------------------ */

/*
 * A perf counter of this thread's user-space instructions: the fd, or a
 * negative errno when the machine has none (then the goal rows say so).
 */
int alloc_instr_open(void);
uint64_t alloc_instr_read(int fd); /* 0 when @fd < 0 or the read fails */

/*
 * The ALU floor (FLOOR-alu-1T/2T), a bench_variant run on the team runner:
 * each of @threads workers does @ops rounds of eight scalar multiply-adds
 * and no memory access; ns per round overall. Interleaved with two-thread
 * variants, its paired 2T/1T scaling says whether the CPUs under the guest
 * could scale at all during those rounds: the spinners of alloc_cpus_free()
 * see a vCPU run, not a host core it shares. Two-thread goals are judged
 * only when it reaches ALLOC_FLOOR_SCALING.
 */
struct alloc_alu {
	unsigned threads;
	uint64_t ops;
	uint64_t sum[ALLOC_THREADS_MAX];
};
int alloc_alu_run(void *arg, double *ns_per_op);
#define ALLOC_FLOOR_SCALING 1.8

/*
 * The rows of FLOOR-alu-1T (@v[0], @a[0]) and FLOOR-alu-2T (@v[1], @a[1])
 * under @bench, the 2-thread one with its paired scaling; returns that.
 */
double alloc_alu_emit(const struct bench_opts *o, const char *bench,
		      const struct bench_variant v[2], const struct alloc_alu a[2]);

/*
 * Why a two-thread goal row is not judged, else NULL: the spinners found a
 * CPU busy (!@cpus_free), or the ALU floor beside it scaled @floor, below
 * ALLOC_FLOOR_SCALING.
 */
const char *alloc_unjudged_2t(bool cpus_free, double floor);

/*
 * Two pinned spinners, one per CPU, 50 ms each: @share gets the part of its
 * wall time each spent on CPU. True if both got >= 90 %: the CPUs were free.
 */
bool alloc_cpus_free(double share[ALLOC_THREADS_MAX]);

/* One B1 case: @v holds K_COUNT kinds x @stride orders; @order is the case's. */
void alloc_goals_b1(const struct bench_variant *v, unsigned stride, unsigned order);
/* Net instructions per 1-page pair of OURS-P16-mtx and OURS-P16+MAG-mtx. */
void alloc_goals_instr(double ours, double mag);

/* What B2 measured for the goals; the variants' samples are paired by repetition. */
struct alloc_goals_b2_in {
	const struct bench_variant *ours_1t, *ours_2t, *ours_same, *onelock_2t, *tree_2t;
	double fairness; /* OURS disjoint */
	double floor_scaling; /* FLOOR-alu 2T / 1T, paired */
	double share[2][ALLOC_THREADS_MAX]; /* CPU-free check before and after */
	bool cpus_free;
};
void alloc_goals_b2(const struct alloc_goals_b2_in *in);

/* Print the goal rows (bench_goal()) of everything handed in, if any. */
void alloc_goals_print(const struct bench_opts *o);

/* ------------------------------------------------------------------------ */
/* Instruction counts (bench-instr.sh)                                      */
/* ------------------------------------------------------------------------ */

/* Under --callgrind: count instructions between start and stop only. */
extern bool alloc_callgrind;

void alloc_cg_start(void);
/* Stop counting and dump the counts labelled @label (no spaces). */
void alloc_cg_stop(const char *label);

#endif /* TCE_BENCH_ALLOC_H */
