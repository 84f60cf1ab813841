/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context: log routing, counted allocation, the cache of freed table
 * level blocks and the fail-Nth fault countdown that the fault suite
 * sweeps. Nothing here is global; every counter hangs off one context.
 * Layer: util.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/util.h"

/*
 * Under ASan a cached block is poisoned, so a use after its table's
 * teardown is still reported although the memory stays allocated.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TCE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TCE_ASAN 1
#endif
#endif
#ifdef TCE_ASAN
#include <sanitizer/asan_interface.h>
#define TCE_ASAN_ON 1
#define block_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define block_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define TCE_ASAN_ON 0
#define block_poison(p, n) ((void)(p), (void)(n))
#define block_unpoison(p, n) ((void)(p), (void)(n))
#endif

int tce_ctx_create(struct tce_ctx **out)
{
	struct tce_ctx *ctx = calloc(1, sizeof(*ctx));
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = pthread_mutex_init(&ctx->blocks.lock, NULL);
	if (rc) {
		free(ctx);
		return -rc;
	}
	ctx->blocks.max_bytes = TCE_LEVEL_CACHE_DEFAULT_BYTES;
	ctx->log_max = TCE_LOG_WARN;
	*out = ctx;
	return 0;
}

void tce_ctx_destroy(struct tce_ctx *ctx)
{
	if (!ctx)
		return;
	tce_ctx_set_level_cache(ctx, 0);
	pthread_mutex_destroy(&ctx->blocks.lock);
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
	out->cached_blocks = atomic_load(&c->blocks.cached_blocks);
	out->cached_bytes = atomic_load(&c->blocks.cached_bytes);
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

static void free_done_n(struct tce_ctx *ctx, uint64_t n, uint64_t bytes)
{
	atomic_fetch_sub_explicit(&ctx->live_allocs, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ctx->live_bytes, bytes, memory_order_relaxed);
}

static void free_done(struct tce_ctx *ctx, size_t size)
{
	free_done_n(ctx, 1, size);
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

/*
 * @size bytes of fresh zero pages aligned to @align (a power of two): mapped
 * with @align - one page to spare, the spare head and tail unmapped again.
 */
static void *aligned_pages_get(size_t size, size_t align)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), spare, head, len;
	char *p;

	spare = align > pg ? align - pg : 0;
	len = size ? (size + pg - 1) & ~(pg - 1) : pg; /* an empty block still owns a page */
	if (len < size || len + spare < len)
		return NULL;
	p = mmap(NULL, len + spare, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (size_t)(-(uintptr_t)p & (align - 1));
	if (head)
		munmap(p, head);
	if (spare > head)
		munmap(p + head + len, spare - head);
	return p + head;
}

/*
 * Zeroed memory aligned to @align. From 256 KiB up it is fresh pages, so a
 * large coherent DMA buffer costs a mapping and the pages its user touches,
 * not a memset of all of it. So is a block aligned beyond a page: the heap
 * would carve it from a block of size + align (ASan's allocator maps 2 x
 * align and writes the shadow of all of it, about 4 MiB a 64 KiB buffer
 * aligned to 16 MiB, and keeps that in its quarantine after the free).
 * Smaller ones come from the heap and are zeroed.
 */
#define ALIGNED_MMAP_MIN ((size_t)256 << 10)

static bool aligned_by_pages(size_t size, size_t align)
{
	return size >= ALIGNED_MMAP_MIN || align > (size_t)sysconf(_SC_PAGESIZE);
}

void *tce__aligned_zalloc(struct tce_ctx *ctx, size_t size, size_t align)
{
	void *p;

	if (!alloc_begin(ctx))
		return NULL;
	if (align < sizeof(void *) || (align & (align - 1)))
		p = NULL;
	else if (aligned_by_pages(size, align))
		p = aligned_pages_get(size, align);
	else if (posix_memalign(&p, align, size))
		p = NULL;
	else
		memset(p, 0, size);
	return alloc_done(ctx, p, size);
}

void tce__aligned_free(struct tce_ctx *ctx, void *p, size_t size, size_t align)
{
	if (!p)
		return;
	if (aligned_by_pages(size, align))
		munmap(p, size ? size : 1);
	else
		free(p);
	free_done(ctx, size);
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

/* Give a block of pages_get() back where it came from. */
static void pages_put(void *p, size_t size)
{
	if (size >= PAGES_MMAP_MIN)
		munmap(p, size);
	else
		free(p);
}

void tce__pages_free(struct tce_ctx *ctx, void *p, size_t size)
{
	if (!p)
		return;
	pages_put(p, size);
	free_done(ctx, size);
}

/*
 * The level-block cache. A table's teardown used to give every level block
 * back to the C library, which unmapped its pages: 8-17 us a 64 KiB leaf
 * (tce-bench table.clear OURS-sparse-teardown, issue 12), against the goal's
 * 50 ns an entry with one entry a leaf. Kept here instead, a block costs its
 * teardown a pointer stored in a bin, and the next table of the same shape
 * takes it back without a page fault. Bins hold pointers, not links through
 * the blocks: linking wrote a line of every block, about 50 ns a leaf.
 */
static bool cacheable(size_t size)
{
	return size > 0 && size < PAGES_MMAP_MIN;
}

/*
 * The bin of @size and @tag holding blocks, or with @claim a bin without
 * blocks set up for them; NULL if there is none. Context: the cache's lock.
 */
static struct tce__block_bin *bin_find(struct tce__block_cache *c, size_t size, uint32_t tag,
				       bool claim)
{
	struct tce__block_bin *b, *unused = NULL;
	unsigned int i;

	for (i = 0; i < TCE__BLOCK_BINS; i++) {
		b = &c->bins[i];
		if (b->count && b->size == size && b->tag == tag)
			return b;
		if (!b->count && (!unused || (b->size == size && b->tag == tag)))
			unused = b;
	}
	if (!claim || !unused)
		return NULL;
	unused->size = size;
	unused->tag = tag;
	return unused;
}

static void cache_count(struct tce__block_cache *c, uint64_t blocks, uint64_t bytes, bool add)
{
	if (add) {
		atomic_fetch_add_explicit(&c->cached_blocks, blocks, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->cached_bytes, bytes, memory_order_relaxed);
	} else {
		atomic_fetch_sub_explicit(&c->cached_blocks, blocks, memory_order_relaxed);
		atomic_fetch_sub_explicit(&c->cached_bytes, bytes, memory_order_relaxed);
	}
}

/* Room in @bin for @n more pointers; false if the C library has none. */
static bool bin_reserve(struct tce__block_bin *bin, uint64_t n)
{
	uint64_t cap = bin->cap ? bin->cap : 64;
	void **slots;

	if (bin->count + n <= bin->cap)
		return true;
	while (cap < bin->count + n)
		cap *= 2;
	slots = realloc(bin->slots, cap * sizeof(*slots));
	if (!slots)
		return false;
	bin->slots = slots;
	bin->cap = cap;
	return true;
}

/* How many of @n blocks of @size fit under the bound. Context: the cache's lock. */
static uint64_t cache_room(const struct tce__block_cache *c, size_t size, uint64_t n)
{
	uint64_t used = atomic_load_explicit(&c->cached_bytes, memory_order_relaxed);
	uint64_t room = c->max_bytes > used ? (c->max_bytes - used) / size : 0;

	return room < n ? room : n;
}

/* Keep as many of the @n blocks @p of @size as fit; returns how many (a prefix). */
static uint64_t cache_keep(struct tce__block_cache *c, void *const *p, uint64_t n, size_t size,
			   uint32_t tag)
{
	struct tce__block_bin *bin;
	uint64_t k = 0;

	if (!cacheable(size))
		return 0;
	pthread_mutex_lock(&c->lock);
	k = cache_room(c, size, n);
	bin = k ? bin_find(c, size, tag, true) : NULL;
	if (bin && bin_reserve(bin, k)) {
		for (uint64_t i = 0; TCE_ASAN_ON && i < k; i++)
			block_poison(p[i], size);
		memcpy(&bin->slots[bin->count], p, k * sizeof(*p));
		bin->count += k;
		cache_count(c, k, k * (uint64_t)size, true);
	} else {
		k = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return k;
}

/* A cached block of @size and @tag, or NULL. */
static void *cache_take(struct tce__block_cache *c, size_t size, uint32_t tag)
{
	struct tce__block_bin *bin;
	void *p = NULL;

	/* Unlocked peek: a block put meanwhile is only missed, never lost. */
	if (!cacheable(size) || !atomic_load_explicit(&c->cached_blocks, memory_order_relaxed))
		return NULL;
	pthread_mutex_lock(&c->lock);
	bin = bin_find(c, size, tag, false);
	if (bin) {
		p = bin->slots[--bin->count];
		cache_count(c, 1, size, false);
		block_unpoison(p, size);
	}
	pthread_mutex_unlock(&c->lock);
	return p;
}

void *tce__block_alloc(struct tce_ctx *ctx, size_t size, uint32_t tag, bool *reused)
{
	void *p;

	*reused = false;
	if (!alloc_begin(ctx))
		return NULL;
	p = cache_take(&ctx->blocks, size, tag);
	*reused = p != NULL;
	return alloc_done(ctx, p ? p : pages_get(size), size);
}

void tce__block_free(struct tce_ctx *ctx, void *p, size_t size, uint32_t tag)
{
	if (!p)
		return;
	free_done(ctx, size);
	if (!cache_keep(&ctx->blocks, &p, 1, size, tag))
		pages_put(p, size);
}

void tce__blocks_release(struct tce_ctx *ctx, struct tce__block_batch *b)
{
	uint64_t k, i;

	if (!b->n)
		return;
	free_done_n(ctx, b->n, b->n * (uint64_t)b->size);
	k = cache_keep(&ctx->blocks, b->p, b->n, b->size, b->tag);
	for (i = k; i < b->n; i++)
		pages_put(b->p[i], b->size);
	b->n = 0;
}

void tce__batch_add(struct tce_ctx *ctx, struct tce__block_batch *b, void *p)
{
	if (!cacheable(b->size)) {
		pages_put(p, b->size);
		free_done(ctx, b->size);
		return;
	}
	b->p[b->n++] = p;
	if (b->n == TCE__BATCH_MAX)
		tce__blocks_release(ctx, b);
}

/*
 * Free blocks, bin by bin, until the cache holds at most its bound; with a
 * bound of 0, free the bins' pointer arrays too. Context: the cache's lock
 * (only set_level_cache and destroy come here, so freeing under it is fine).
 */
static void cache_shrink(struct tce__block_cache *c)
{
	struct tce__block_bin *bin;
	unsigned int i;

	for (i = 0; i < TCE__BLOCK_BINS; i++) {
		bin = &c->bins[i];
		while (bin->count &&
		       atomic_load_explicit(&c->cached_bytes, memory_order_relaxed) > c->max_bytes) {
			block_unpoison(bin->slots[bin->count - 1], bin->size);
			pages_put(bin->slots[--bin->count], bin->size);
			cache_count(c, 1, bin->size, false);
		}
		if (!c->max_bytes) {
			free(bin->slots);
			bin->slots = NULL;
			bin->cap = 0;
		}
	}
}

uint64_t tce_ctx_set_level_cache(struct tce_ctx *ctx, uint64_t max_bytes)
{
	struct tce__block_cache *c = &ctx->blocks;
	uint64_t old;

	pthread_mutex_lock(&c->lock);
	old = c->max_bytes;
	c->max_bytes = max_bytes;
	cache_shrink(c);
	pthread_mutex_unlock(&c->lock);
	return old;
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
