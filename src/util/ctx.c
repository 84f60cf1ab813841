/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context: log routing, counted allocation and the fail-Nth fault
 * countdown that the fault suite sweeps. Nothing here is global; every
 * counter hangs off one context. Layer: util.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

int tce_ctx_create(struct tce_ctx **out)
{
	struct tce_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->log_max = TCE_LOG_WARN;
	*out = ctx;
	return 0;
}

void tce_ctx_destroy(struct tce_ctx *ctx)
{
	free(ctx);
}

void tce_ctx_set_log(struct tce_ctx *ctx, tce_log_fn fn, void *arg, enum tce_log_level max_level)
{
	ctx->log_fn = fn;
	ctx->log_arg = arg;
	ctx->log_max = max_level;
}

void tce_ctx_set_fail_nth(struct tce_ctx *ctx, uint64_t n)
{
	atomic_store(&ctx->fail_countdown, n);
}

bool tce_ctx_fail_nth_armed(const struct tce_ctx *ctx)
{
	return atomic_load(&((struct tce_ctx *)ctx)->fail_countdown) != 0;
}

void tce_ctx_mem_stats(const struct tce_ctx *ctx, struct tce_mem_stats *out)
{
	struct tce_ctx *c = (struct tce_ctx *)ctx;

	out->live_allocs = atomic_load(&c->live_allocs);
	out->live_bytes = atomic_load(&c->live_bytes);
	out->total_allocs = atomic_load(&c->total_allocs);
	out->failed_allocs = atomic_load(&c->failed_allocs);
}

bool tce__fault(struct tce_ctx *ctx)
{
	uint_fast64_t n = atomic_load_explicit(&ctx->fail_countdown, memory_order_relaxed);

	/* Decrement unless disarmed; the thread that takes it from 1 to 0 fails. */
	while (n != 0) {
		if (atomic_compare_exchange_weak(&ctx->fail_countdown, &n, n - 1))
			return n == 1;
	}
	return false;
}

/* Count one allocation attempt; false if it must fail. */
static bool alloc_begin(struct tce_ctx *ctx)
{
	if (tce__fault(ctx)) {
		atomic_fetch_add_explicit(&ctx->failed_allocs, 1, memory_order_relaxed);
		return false;
	}
	return true;
}

static void *alloc_done(struct tce_ctx *ctx, void *p, size_t size)
{
	if (!p) {
		atomic_fetch_add_explicit(&ctx->failed_allocs, 1, memory_order_relaxed);
		return NULL;
	}
	atomic_fetch_add_explicit(&ctx->live_allocs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ctx->live_bytes, size, memory_order_relaxed);
	atomic_fetch_add_explicit(&ctx->total_allocs, 1, memory_order_relaxed);
	return p;
}

static void free_done(struct tce_ctx *ctx, size_t size)
{
	atomic_fetch_sub_explicit(&ctx->live_allocs, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ctx->live_bytes, size, memory_order_relaxed);
}

void *tce__malloc(struct tce_ctx *ctx, size_t size)
{
	if (!alloc_begin(ctx))
		return NULL;
	return alloc_done(ctx, malloc(size ? size : 1), size);
}

void *tce__calloc(struct tce_ctx *ctx, size_t size)
{
	if (!alloc_begin(ctx))
		return NULL;
	return alloc_done(ctx, calloc(1, size ? size : 1), size);
}

void tce__free(struct tce_ctx *ctx, void *p, size_t size)
{
	if (!p)
		return;
	free(p);
	free_done(ctx, size);
}

/*
 * Blocks from 2 MiB up come straight from mmap, so a huge flat table costs
 * only the pages that are touched; smaller ones come from the heap, which
 * reuses memory instead of faulting fresh pages in.
 */
#define PAGES_MMAP_MIN ((size_t)2 << 20)
#define PAGES_ALIGN ((size_t)4096)

static void *pages_get(size_t size)
{
	void *p;

	if (size >= PAGES_MMAP_MIN) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	if (posix_memalign(&p, PAGES_ALIGN, size))
		return NULL;
	return memset(p, 0, size);
}

void *tce__pages_alloc(struct tce_ctx *ctx, size_t size)
{
	if (!alloc_begin(ctx))
		return NULL;
	return alloc_done(ctx, pages_get(size), size);
}

void *tce__aligned_zalloc(struct tce_ctx *ctx, size_t size, size_t align)
{
	void *p;

	if (!alloc_begin(ctx))
		return NULL;
	if (align < sizeof(void *) || posix_memalign(&p, align, size))
		p = NULL;
	return alloc_done(ctx, p ? memset(p, 0, size) : NULL, size);
}

void tce__aligned_free(struct tce_ctx *ctx, void *p, size_t size)
{
	tce__free(ctx, p, size);
}

void *tce__shared_pages_alloc(struct tce_ctx *ctx, size_t size)
{
	void *p;

	if (!alloc_begin(ctx))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return alloc_done(ctx, p == MAP_FAILED ? NULL : p, size);
}

void tce__shared_pages_free(struct tce_ctx *ctx, void *p, size_t size)
{
	if (!p)
		return;
	munmap(p, size);
	free_done(ctx, size);
}

void tce__pages_free(struct tce_ctx *ctx, void *p, size_t size)
{
	if (!p)
		return;
	if (size >= PAGES_MMAP_MIN)
		munmap(p, size);
	else
		free(p);
	free_done(ctx, size);
}

void tce__log(struct tce_ctx *ctx, enum tce_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ctx || !ctx->log_fn || level > ctx->log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_arg, level, msg);
}

long tce__refuse(struct tce_ctx *ctx, long err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!tce__log_on(ctx, TCE_LOG_NOTICE))
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_arg, TCE_LOG_NOTICE, msg);
	return err;
}

#ifndef NDEBUG
void tce__assert_fail(const char *expr, const char *file, int line)
{
	fprintf(stderr, "libtce: internal invariant failed: %s (%s:%d)\n", expr, file, line);
	abort();
}
#endif
