/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library context as the layers above see it: allocation through the
 * context (counted, fault-injectable), fault points, logging and internal
 * assertions. Every layer includes this header; it includes only the public
 * header and the C library.
 */
#ifndef TCE_UTIL_UTIL_H
#define TCE_UTIL_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce.h"

/* Sizes of freed level blocks the context keeps at once (one bin a size and tag). */
#define TCE__BLOCK_BINS 8

/* The cached blocks of one size and tag: a stack of pointers (the blocks are not touched). */
struct tce__block_bin {
	size_t size;   /* of each block; the bin is free while count is 0 */
	uint32_t tag;  /* the owner's word for the state its blocks were left in */
	void **slots;  /* cap pointers, count of them used; C library memory */
	uint64_t count;
	uint64_t cap;
};

/*
 * Freed level blocks kept for reuse, at most max_bytes of them (the cache of
 * tce_ctx_set_level_cache()). lock guards every field; cached_* are also
 * read without it by tce_ctx_mem_stats().
 */
struct tce__block_cache {
	pthread_mutex_t lock;
	uint64_t max_bytes;
	atomic_uint_fast64_t cached_blocks;
	atomic_uint_fast64_t cached_bytes;
	struct tce__block_bin bins[TCE__BLOCK_BINS];
};

struct tce_ctx {
	/* Written before the context is shared; read without a lock. */
	tce_log_fn log_fn;
	void *log_arg;
	enum tce_log_level log_max;

	/* Fault injection: 0 disarmed, else the countdown to the failing point. */
	atomic_uint_fast64_t fail_countdown;

	/* Allocation counters, updated atomically by every allocation. */
	atomic_uint_fast64_t live_allocs;
	atomic_uint_fast64_t live_bytes;
	atomic_uint_fast64_t total_allocs;
	atomic_uint_fast64_t failed_allocs;

	struct tce__block_cache blocks;
};

/*
 * A fault point: returns true if the armed fail-Nth countdown fires here.
 * Every allocation calls it; backend calls in later layers call it too.
 */
bool tce__fault(struct tce_ctx *ctx);

/*
 * Heap allocation through the context: counted, and failing (NULL) when a
 * fault point fires. tce__free must be given the size that was allocated.
 */
void *tce__malloc(struct tce_ctx *ctx, size_t size);
void *tce__calloc(struct tce_ctx *ctx, size_t size);
void tce__free(struct tce_ctx *ctx, void *p, size_t size);

/*
 * Page-aligned zeroed memory from the kernel (mmap), whose pages become
 * resident only when touched: used for table levels. NULL on failure.
 */
void *tce__pages_alloc(struct tce_ctx *ctx, size_t size);
/*
 * Zeroed shared anonymous pages (a BAR a client maps: a second view of them
 * can be made with mremap(p, 0, ...)); freed with tce__shared_pages_free().
 */
void *tce__shared_pages_alloc(struct tce_ctx *ctx, size_t size);
void tce__shared_pages_free(struct tce_ctx *ctx, void *p, size_t size);
void tce__pages_free(struct tce_ctx *ctx, void *p, size_t size);

/*
 * Level blocks: page-aligned memory that a freed table's levels go back to
 * through the context's block cache. tce__block_alloc() is a fault point
 * like every allocation; it hands out a cached block of @size that was freed
 * with @tag (*@reused true: as it was freed, the caller cleans it) or else
 * fresh zeroed memory (*@reused false). tce__block_free() keeps @p in the
 * cache under @tag if it fits under the bound, or frees it; blocks of 2 MiB
 * and more are never cached.
 */
void *tce__block_alloc(struct tce_ctx *ctx, size_t size, uint32_t tag, bool *reused);
void tce__block_free(struct tce_ctx *ctx, void *p, size_t size, uint32_t tag);

/* Blocks a batch gathers before it enters the cache under one lock hold. */
#define TCE__BATCH_MAX 256

/* Freed blocks of one size and tag on their way into the cache. */
struct tce__block_batch {
	size_t size;
	uint32_t tag;
	uint32_t n;
	void *p[TCE__BATCH_MAX];
};

static inline void tce__batch_init(struct tce__block_batch *b, size_t size, uint32_t tag)
{
	b->size = size;
	b->tag = tag;
	b->n = 0;
}

/*
 * Free @p into batch @b without touching it; a full batch enters the cache
 * (tce__blocks_release), and a block too big for the cache is freed at once.
 */
void tce__batch_add(struct tce_ctx *ctx, struct tce__block_batch *b, void *p);

/*
 * Hand a batch to the cache under one lock hold: the blocks that fit under
 * the bound are kept, the rest are freed. The batch is empty afterwards.
 */
void tce__blocks_release(struct tce_ctx *ctx, struct tce__block_batch *b);

/*
 * Zeroed memory aligned to @align (a power of two); NULL on failure. Free
 * it with the same @size and @align.
 */
void *tce__aligned_zalloc(struct tce_ctx *ctx, size_t size, size_t align);
void tce__aligned_free(struct tce_ctx *ctx, void *p, size_t size, size_t align);

/* Log a printf-style message through the context's callback. */
void tce__log(struct tce_ctx *ctx, enum tce_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Would a message at @level reach the callback? (Build costly details only then.) */
static inline bool tce__log_on(const struct tce_ctx *ctx, enum tce_log_level level)
{
	return ctx && ctx->log_fn && level <= ctx->log_max;
}

/*
 * A request refused: log why at TCE_LOG_NOTICE and return @err, so an error
 * return reads `return tce__refuse(ctx, -EINVAL, "...", ...)`. Formats
 * nothing when no callback takes notices.
 */
long tce__refuse(struct tce_ctx *ctx, long err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define tce__err(ctx, ...) tce__log((ctx), TCE_LOG_ERR, __VA_ARGS__)
#define tce__warn(ctx, ...) tce__log((ctx), TCE_LOG_WARN, __VA_ARGS__)
#define tce__dbg(ctx, ...) tce__log((ctx), TCE_LOG_DEBUG, __VA_ARGS__)

/*
 * Internal invariants only (never input a caller can supply). Active in
 * builds without NDEBUG.
 */
#ifdef NDEBUG
#define tce__assert(cond) ((void)0)
#else
void tce__assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define tce__assert(cond) ((cond) ? (void)0 : tce__assert_fail(#cond, __FILE__, __LINE__))
#endif

/*
 * On code that only checks invariants for tce__assert (a table walk that
 * recounts what the table keeps): no coverage instrumentation, so a fuzz
 * build neither spends its time tracing the checker's loops nor counts its
 * edges as reached library behaviour. Other builds: no effect.
 */
#if defined(__clang__)
#define TCE_CHECKER __attribute__((no_sanitize("coverage")))
#else
#define TCE_CHECKER
#endif

#endif /* TCE_UTIL_UTIL_H */
