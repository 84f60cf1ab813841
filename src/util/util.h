/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library context as the layers above see it: allocation through the
 * context (counted, fault-injectable), fault points, logging and internal
 * assertions. Every layer includes this header; it includes only the public
 * header and the C library.
 */
#ifndef TCE_UTIL_UTIL_H
#define TCE_UTIL_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce.h"

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

/* Zeroed heap memory aligned to @align (a power of two); NULL on failure. */
void *tce__aligned_zalloc(struct tce_ctx *ctx, size_t size, size_t align);
void tce__aligned_free(struct tce_ctx *ctx, void *p, size_t size);

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

#endif /* TCE_UTIL_UTIL_H */
