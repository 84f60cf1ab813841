/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtce: the POWER sPAPR TCE IOMMU in userspace C. This is the one public
 * header; PAPR numbers live in <tce/abi.h>, which it includes.
 *
 * Conventions (as in libuv):
 * - Every call that can fail returns 0 or a negative errno and writes its
 *   results through out-parameters. A call that fails changes nothing the
 *   caller can observe. tce_strerror() and tce_err_name() describe codes.
 * - Objects are created by the caller through tce_*_create() and released by
 *   the matching destroy/put call; the library never frees what it did not
 *   allocate.
 * - "Context:" says whether a call may block and which locks it takes.
 *
 * Glossary:
 *   IOBA   I/O bus address: what a device puts on the bus (also IOVA).
 *   TCE    translation control entry: one 64-bit entry mapping one IOMMU page
 *          of bus address to a real page with READ/WRITE permission.
 *   RPN    real page number: real address >> page_shift.
 *   LIOBN  logical I/O bus number: the hypervisor's name for one table.
 *   PE     partitionable endpoint: the unit of isolation; it has up to two
 *          DMA windows.
 *   window a range of bus addresses with one IOMMU page size, translated by
 *          one table.
 *   level  one tier of a multi-level table; non-leaf levels hold the address
 *          of the next level, leaves hold TCEs.
 *   entry  (idx) an absolute TCE number: bus address >> page_shift. A window
 *          starting at bus address B has entries [B >> shift, ...).
 *
 * Ranges: [start, end) is half-open; "last" is inclusive. Suffixes: _shift is
 * a log2, _pages a count of IOMMU pages, _bytes a byte count, _idx an entry.
 */
#ifndef TCE_H
#define TCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tce/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TCE_API __attribute__((visibility("default")))
#else
#define TCE_API
#endif

/*
 * The default host page shift of the emulated POWER kernel: 64 KiB, as
 * ppc64 Linux usually uses. A host may instead have 4 KiB pages (shift 12);
 * tables and the DMA API take the shift in their configs. Table levels are
 * at least one host page (spec kernel.md §3.1).
 */
#define TCE_HOST_PAGE_SHIFT 16

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * tce_strerror() - a one-line English description of a negative errno.
 * @err: a code a libtce call returned (0 gives "success").
 * Return: a static string, never NULL; unknown codes give "unknown error".
 * Context: any thread; pure, never blocks.
 */
TCE_API const char *tce_strerror(int err);

/*
 * tce_err_name() - the symbolic name of a negative errno ("EINVAL").
 * @err: a code a libtce call returned (0 gives "OK").
 * Return: a static string, never NULL; unknown codes give "UNKNOWN".
 * Context: any thread; pure, never blocks.
 */
TCE_API const char *tce_err_name(int err);

/* ------------------------------------------------------------------------ */
/* Context: logging, allocation accounting, fault injection                 */
/* ------------------------------------------------------------------------ */

struct tce_ctx;

/*
 * Log levels, numbered as syslog's. TCE_LOG_NOTICE carries the reason a
 * caller's request was refused: one message per refused VFIO request
 * ("vfio: " then the rule in words, naming the values involved), logged on
 * the calling thread just before the call returns its negative errno, so a
 * front end can pair it with that errno (tce-run --explain). Below the
 * default level (TCE_LOG_WARN): off unless asked for.
 */
enum tce_log_level {
	TCE_LOG_ERR = 3,
	TCE_LOG_WARN = 4,
	TCE_LOG_NOTICE = 5,
	TCE_LOG_INFO = 6,
	TCE_LOG_DEBUG = 7,
};

/*
 * A log callback receives one formatted message without a trailing newline.
 * It may be called from any thread that uses the context and must not call
 * back into libtce.
 */
typedef void (*tce_log_fn)(void *arg, enum tce_log_level level, const char *msg);

/*
 * tce_ctx_create() - create a context: the home of every other object. It
 * starts silent (no log callback) with fault injection disarmed and a
 * level cache of TCE_LEVEL_CACHE_DEFAULT_BYTES (tce_ctx_set_level_cache()).
 * @out: receives the context.
 * Return: 0, or -ENOMEM (or another negative errno if its lock cannot be
 * set up).
 * Context: any thread; allocates (with the C library's allocator, not a
 * fault point). The caller owns the context and destroys it with
 * tce_ctx_destroy() after every object created from it is released.
 */
TCE_API int tce_ctx_create(struct tce_ctx **out);

/*
 * tce_ctx_destroy() - release a context. NULL is accepted. It does not
 * check for objects still allocated from it (tce_ctx_mem_stats() shows
 * them): release every table, pool, DMA object, machine and host first.
 * It frees the level blocks cached for reuse (tce_ctx_set_level_cache()).
 * Context: the context must no longer be in use by any thread; never blocks.
 */
TCE_API void tce_ctx_destroy(struct tce_ctx *ctx);

/*
 * tce_ctx_set_log() - route messages at @max_level or more severe to @fn
 * (with @arg). A NULL @fn silences the context (the default).
 * Context: not safe against concurrent logging; set it before sharing @ctx.
 * @fn is then called on whichever thread logs, possibly with library locks
 * held, and must not call back into libtce.
 */
TCE_API void tce_ctx_set_log(struct tce_ctx *ctx, tce_log_fn fn, void *arg,
			     enum tce_log_level max_level);

/*
 * tce_ctx_set_fail_nth() - make the @n-th fault point reached from now on
 * fail, once. Fault points are every memory allocation the library makes and
 * every backend call; a failing allocation reports -ENOMEM. @n == 0 disarms.
 * Context: any thread; the countdown is atomic.
 */
TCE_API void tce_ctx_set_fail_nth(struct tce_ctx *ctx, uint64_t n);

/*
 * tce_ctx_fail_nth_armed() - whether a countdown set by
 * tce_ctx_set_fail_nth() has not fired yet. A fail-Nth sweep stops at the
 * first @n for which the operation completes with the countdown still armed.
 * Return: true while armed; false when disarmed or after it fired.
 * Context: any thread; one atomic load.
 */
TCE_API bool tce_ctx_fail_nth_armed(const struct tce_ctx *ctx);

/*
 * Memory the library holds on behalf of one context: what its objects use
 * (live_*) and, apart from that, the freed table level blocks it keeps for
 * the next table (cached_*; see tce_ctx_set_level_cache()). The process
 * holds live_bytes + cached_bytes.
 */
struct tce_mem_stats {
	uint64_t live_allocs;  /* allocations not yet freed */
	uint64_t live_bytes;   /* their bytes */
	uint64_t total_allocs; /* allocations since the context was created */
	uint64_t failed_allocs; /* allocations refused (fault injection or OOM) */
	uint64_t cached_blocks; /* freed level blocks kept for reuse */
	uint64_t cached_bytes;  /* their bytes (at most the cache's bound) */
};

/*
 * tce_ctx_mem_stats() - what the context's allocations currently hold,
 * written to @out.
 * Context: any thread; never blocks; the counters are read without a common
 * snapshot.
 */
TCE_API void tce_ctx_mem_stats(const struct tce_ctx *ctx, struct tce_mem_stats *out);

/* The level cache's bound when a context is created: 256 MiB. */
#define TCE_LEVEL_CACHE_DEFAULT_BYTES (256ULL << 20)

/*
 * tce_ctx_set_level_cache() - bound the context's cache of freed table
 * level blocks to @max_bytes. A table's teardown (its last
 * tce_table_put()) keeps its level blocks of less than 2 MiB in this cache
 * while they fit under the bound, and gives the rest back to the C library
 * or the kernel; a level allocated later by any table of the context takes
 * a cached block of its size first and zeroes what was live in it. Blocks
 * beyond a lowered bound are freed now; @max_bytes 0 empties the cache and
 * turns it off. Cached blocks are not in live_bytes but in cached_bytes of
 * tce_ctx_mem_stats(); tce_ctx_destroy() frees them.
 * Return: the previous bound.
 * Context: any thread; takes the cache's lock; may free memory.
 */
TCE_API uint64_t tce_ctx_set_level_cache(struct tce_ctx *ctx, uint64_t max_bytes);

/* ------------------------------------------------------------------------ */
/* Entries and directions                                                   */
/* ------------------------------------------------------------------------ */

/* DMA direction, numbered as Linux's enum dma_data_direction. */
enum tce_dir {
	TCE_DIR_BIDIRECTIONAL = 0, /* READ | WRITE */
	TCE_DIR_TO_DEVICE = 1,     /* READ: the device reads memory */
	TCE_DIR_FROM_DEVICE = 2,   /* WRITE: the device writes memory */
	TCE_DIR_NONE = 3,          /* no access */
};

/*
 * tce_dir_to_perm() - the TCE permission bits of a direction.
 * Return: BIDIRECTIONAL → R|W, TO_DEVICE → R, FROM_DEVICE → W, anything else
 * (NONE, out of range) → 0.
 * Context: any thread; pure.
 */
TCE_API uint64_t tce_dir_to_perm(enum tce_dir dir);

/*
 * tce_perm_to_dir() - the direction of a TCE, from its two permission bits
 * (the address bits are ignored).
 * Return: R&W → BIDIRECTIONAL, R → TO_DEVICE, W → FROM_DEVICE, neither →
 * NONE.
 * Context: any thread; pure.
 */
TCE_API enum tce_dir tce_perm_to_dir(uint64_t tce);

/* ------------------------------------------------------------------------ */
/* TCE tables                                                               */
/* ------------------------------------------------------------------------ */

struct tce_table;

/*
 * An accounting hook: charge (@delta_bytes > 0) or refund (< 0) memory
 * against a limit. A charge may fail with a negative errno (typically
 * -ENOMEM); a refund must succeed and its return value is ignored.
 */
typedef int (*tce_account_fn)(void *arg, int64_t delta_bytes);

/*
 * What a table is asked for, and what it was granted. Fields marked "in" are
 * read by tce_table_create(); fields marked "out" are written back on
 * success.
 */
struct tce_table_config {
	uint64_t bus_offset;  /* in: first bus address; page aligned */
	uint64_t window_size; /* in: bytes; a power of two, at least one page */
	uint32_t page_shift;  /* in: 12..34 */
	uint32_t levels;      /* in: 1..5 */
	bool mirror;          /* in: also keep a userspace-address mirror */
	/*
	 * in: the host's page shift, 12 (4 KiB) or 16 (64 KiB); 0 means
	 * TCE_HOST_PAGE_SHIFT. Level blocks are at least one host page.
	 * out: the shift used.
	 */
	uint32_t host_page_shift;
	tce_account_fn account; /* in: optional; charged before allocation */
	void *account_arg;      /* in: passed to @account */

	uint64_t first_idx;     /* out: bus_offset >> page_shift */
	uint64_t entries;       /* out: window_size >> page_shift */
	uint32_t level_shift;   /* out: log2 bytes of one level block */
	uint64_t level_entries; /* out: entries per level block */
	uint64_t charged_bytes; /* out: what @account was charged: the worst case of the
				 * trees allocated (times two only with @mirror) */
};

/*
 * tce_table_size_bytes_ext() - the worst-case bytes a table of this
 * geometry can allocate on a host of @host_page_shift (12 or 16; 0 =
 * TCE_HOST_PAGE_SHIFT): spec kernel.md §3.4's sum over the levels, doubled
 * when @mirror asks for the userspace-address mirror too. This is what
 * tce_table_create() charges for the same parameters.
 * Return: the byte count, or 0 for invalid parameters (levels outside 1..5,
 * a window that is not a power of two or smaller than one page, a page shift
 * outside 12..34, a host page shift other than 0, 12 or 16, or a size that
 * does not fit in 64 bits). The 55-bit rule of tce_table_create() is not
 * applied here.
 * Context: any; pure.
 */
TCE_API uint64_t tce_table_size_bytes_ext(uint32_t page_shift, uint64_t window_size,
					  uint32_t levels, uint32_t host_page_shift, bool mirror);

/*
 * tce_table_size_bytes() - the kernel's figure (spec kernel.md §3.4): the
 * worst case of a table and its mirror on 64 KiB host pages, that is
 * tce_table_size_bytes_ext(@page_shift, @window_size, @levels, 16, true).
 * Return: as tce_table_size_bytes_ext(): the byte count, or 0 for invalid
 * parameters.
 * Context: any; pure.
 */
TCE_API uint64_t tce_table_size_bytes(uint32_t page_shift, uint64_t window_size,
				      uint32_t levels);

/*
 * tce_table_max_levels() - the most levels tce_table_create() accepts for
 * some window of IOMMU pages of @page_shift on a host of @host_page_shift
 * (12 or 16; 0 = TCE_HOST_PAGE_SHIFT): the largest L <= 5 with
 * (host_page_shift - 3) * L + page_shift < 55, since a level block is at
 * least one host page. 3 for 4 KiB TCEs on 64 KiB pages, 4 on 4 KiB pages;
 * never 5. Whether a given window fits still depends on its size.
 * Return: 1..4, or 0 for a page shift outside 12..34 or a bad host shift.
 * Context: any; pure.
 */
TCE_API uint32_t tce_table_max_levels(uint32_t page_shift, uint32_t host_page_shift);

/*
 * tce_table_create() - create a table with only its top level allocated.
 * @ctx: the context that owns the table's memory.
 * @cfg: the request; its "out" fields are written on success.
 * @out: receives the table, holding one reference.
 * Return: 0; -EINVAL for a geometry outside the rules (page shift, levels,
 * window size, host page shift, alignment of the bus offset, a window that
 * overflows the bus, or (level_shift - 3) * levels + page_shift >= 55); the
 * charge's error if the accounting hook refuses (a positive value counts as
 * -ENOMEM); -ENOMEM if memory runs out (the charge is then refunded). The
 * charge is tce_table_size_bytes_ext() of the config: with a mirror only if
 * one is asked for.
 * Context: any thread; takes no lock; allocates; calls @cfg->account once
 * before allocating (and again to refund on failure). The caller owns the
 * reference and releases it with tce_table_put(); the last put refunds the
 * charge through the same hook, which must stay callable until then.
 */
TCE_API int tce_table_create(struct tce_ctx *ctx, struct tce_table_config *cfg,
			     struct tce_table **out);

/*
 * tce_table_hold() - take one more reference on @t (not NULL), to be
 * dropped with tce_table_put().
 * Return: @t.
 * Context: any thread; the count is atomic; never blocks. The caller must
 * already hold a reference.
 */
TCE_API struct tce_table *tce_table_hold(struct tce_table *t);

/*
 * tce_table_put() - drop a reference; the last one frees the table, walking
 * its populated levels only, and refunds the charge through the accounting
 * hook. NULL is accepted. Mirror slots and entries read from the table are
 * invalid once it is freed.
 * Context: any thread; the count is atomic. The last put must not race with
 * other calls on the table; it calls the accounting hook (debug builds first
 * run the table's checker).
 */
TCE_API void tce_table_put(struct tce_table *t);

/*
 * tce_table_get_config() - the granted geometry of @t (all fields of @out,
 * including the "out" ones; the accounting hook is reported as given).
 * Context: any thread; lock-free (the configuration never changes).
 */
TCE_API void tce_table_get_config(const struct tce_table *t, struct tce_table_config *out);

/*
 * tce_table_get() - read the TCE of entry @idx (host byte order).
 * Return: 0 with *@tce set (0 when the entry or its level is absent);
 * -EINVAL if @idx is outside the window.
 * Context: lock-free; never allocates.
 */
TCE_API int tce_table_get(const struct tce_table *t, uint64_t idx, uint64_t *tce);

/*
 * tce_table_set() - map @npages entries from @idx to consecutive real pages
 * from @real_addr with the permission of @dir. TCE_DIR_NONE clears instead.
 * Levels are allocated on demand before any entry is written.
 * Return: 0; -EINVAL if @npages is 0, the range leaves the window,
 * @real_addr is not aligned to the page or the real range wraps, or @dir is
 * not a direction; -ENOMEM if a level cannot be allocated, in which case no
 * entry was written (empty levels installed on the way stay allocated).
 * Context: takes the lock of each leaf it writes (writers of one leaf
 * serialise; readers never wait); may allocate.
 */
TCE_API int tce_table_set(struct tce_table *t, uint64_t idx, uint64_t npages,
			  uint64_t real_addr, enum tce_dir dir);

/*
 * tce_table_clear() - zero @npages entries from @idx. Absent levels are
 * skipped whole and each leaf's occupancy summary leads to its live
 * entries, so the cost follows the live entries (a leaf at least half
 * live is zeroed whole).
 * Return: 0; -EINVAL if @npages is 0 or the range leaves the window.
 * Context: takes the lock of each leaf holding live entries; never
 * allocates.
 */
TCE_API int tce_table_clear(struct tce_table *t, uint64_t idx, uint64_t npages);

/*
 * tce_table_xchg() - atomically replace entry @idx.
 * @real_addr: in, the new real address (page aligned); out, the old one.
 * @dir: in, the new direction; out, the old one.
 * A TCE_DIR_NONE exchange on an absent level allocates nothing and returns
 * the old entry as address 0, TCE_DIR_NONE.
 * Return: 0; -EINVAL for an index outside the window, a misaligned address
 * or an invalid direction; -ENOMEM if a level cannot be allocated. On error
 * the outputs are untouched.
 * Context: takes the entry's leaf lock; may allocate. Does not invalidate
 * any TCE cache.
 */
TCE_API int tce_table_xchg(struct tce_table *t, uint64_t idx, uint64_t *real_addr,
			   enum tce_dir *dir);

/*
 * tce_table_translate() - the real address behind bus address @bus_addr
 * for a device access in direction @access (TO_DEVICE: the device reads
 * memory; FROM_DEVICE: it writes; BIDIRECTIONAL: both).
 * Return: 0 with *@real_addr set (page address plus the offset in the page);
 * -EINVAL if @bus_addr is outside the window or @access is not a direction;
 * -ENOENT if the entry is empty; -EACCES if it lacks the permission.
 * Context: lock-free; never allocates.
 */
TCE_API int tce_table_translate(const struct tce_table *t, uint64_t bus_addr,
				enum tce_dir access, uint64_t *real_addr);

/*
 * tce_table_mirror_slot() - the mirror slot of entry @idx, which holds a
 * big-endian userspace address. With @alloc, absent mirror levels are
 * allocated. Access the slot with atomic 64-bit loads and stores.
 * Return: 0 with *@slot set; -EINVAL if @idx is outside the window;
 * -EOPNOTSUPP if the table has no mirror; -ENOENT if the level is absent and
 * @alloc is false; -ENOMEM if a level cannot be allocated.
 * Context: lock-free. The slot lives as long as the table.
 */
TCE_API int tce_table_mirror_slot(struct tce_table *t, uint64_t idx, bool alloc,
				  uint64_t **slot);

/*
 * tce_table_next() - find the first populated entry at or after *@idx.
 * Return: 0 with *@idx and *@tce set; -ENOENT if there is none (the outputs
 * are untouched); -EINVAL if *@idx is outside the window.
 * Iterate with: for (i = first; !tce_table_next(t, &i, &v); i++) ...
 * Context: lock-free; skips absent levels whole and, inside a leaf, goes
 * to the next live entry by its occupancy summary.
 */
TCE_API int tce_table_next(const struct tce_table *t, uint64_t *idx, uint64_t *tce);

/* What a table holds. */
struct tce_table_stats {
	uint64_t populated;     /* non-zero leaf entries */
	uint64_t levels_allocated; /* level blocks of the TCE tree, top included */
	uint64_t mirror_levels_allocated; /* level blocks of the mirror */
	uint64_t bytes_allocated; /* bytes of both trees */
};

/*
 * tce_table_stats() - count what @t holds into @out; walks the populated
 * levels.
 * Context: lock-free; never allocates; counts taken while others write are
 * approximate.
 */
TCE_API void tce_table_stats(const struct tce_table *t, struct tce_table_stats *out);

/* ------------------------------------------------------------------------ */
/* The pooled DMA-address allocator                                         */
/* ------------------------------------------------------------------------ */

/*
 * One bitmap over a window, one bit per entry, split into pools that each
 * have their own lock and hint (spec kernel.md §2): N small pools over the
 * first three quarters and a large pool over the rest for requests above a
 * threshold. Optional per-thread caches of freed ranges sit in front.
 * Entries handed out are absolute (bus address >> page_shift).
 */
struct tce_pool;

/* Called before freed space is reused; see tce_pool_config.lazy_flush. */
typedef void (*tce_flush_fn)(void *arg);

struct tce_pool_config {
	uint64_t first_idx;   /* in: absolute entry of the window's first page */
	uint64_t entries;     /* in: entries in the window, at least 1 */
	uint32_t page_shift;  /* in: IOMMU page shift 12..34 (for masks and the 1 GiB rule) */
	uint32_t nr_pools;    /* in: 1..16; 0 = 4 if the window is >= 1 GiB, else 1 */
	uint64_t large_threshold; /* in: requests above it use the large pool; 0 = 15 */
	uint32_t block_pages; /* in: small-request hint rounding, a power of two; 0 = 16 */
	bool no_large_pool;   /* in: no large pool; the small pools cover everything */
	bool spinlocks;       /* in: pool locks are spinlocks instead of mutexes */
	bool cache;           /* in: per-thread caches of freed ranges of 1..32 pages */
	/*
	 * in: optional. With a callback, freed ranges are not reused until a
	 * flush that follows their free: frees are parked, and when an
	 * allocation wraps or fails a pass in a pool with parked frees the
	 * callback runs (with that pool's lock held, or a cache slot's lock for
	 * cached ranges) and the parked ranges become free. Without one, freed
	 * space is reusable at once (the backend invalidates on every clear).
	 */
	tce_flush_fn lazy_flush;
	void *flush_arg;

	uint64_t pool_entries;  /* out: entries in each small pool */
	uint64_t large_start;   /* out: first entry of the large pool (absolute) */
	uint64_t cache_limit;   /* out: most entries the caches may hold (entries / 8): each
				 * thread's slot up to cache_limit / 64, the shared depot up to
				 * cache_limit / 2 */
};

/* A request for bus space. */
struct tce_alloc_req {
	uint64_t npages;     /* entries wanted, at least 1 */
	uint64_t dma_mask;   /* highest bus address the device can reach; 0 = no limit */
	uint64_t boundary;   /* bytes; a power of two no allocation may span; 0 = none */
	uint32_t align_order; /* the first entry is a multiple of 2^align_order */
	int32_t cpu;         /* logical CPU whose pool to start in; -1 = hash the thread */
	uint64_t handle;     /* in/out: 0, or where the previous allocation ended (scatter lists) */
};

/*
 * tce_pool_create() - an allocator over @cfg->entries entries.
 * When the window starts at bus address 0, entry 0 is reserved so that bus
 * address 0 is never handed out.
 * @ctx: the context that owns the allocator's memory.
 * @cfg: the request; defaults are applied and the "out" fields written on
 * success. @cfg->lazy_flush, if set, must stay callable until the pool is
 * destroyed.
 * Return: 0 and the "out" fields; -EINVAL for a bad configuration (no
 * entries, a page shift outside 12..34, more than 16 pools, a block_pages
 * that is not a power of two, a window whose last bus address,
 * (first_idx + entries) << page_shift - 1, does not fit in 64 bits);
 * -ENOMEM (or a lock's initialisation error).
 * Context: any thread; allocates. The caller owns the pool and destroys it
 * with tce_pool_destroy().
 */
TCE_API int tce_pool_create(struct tce_ctx *ctx, struct tce_pool_config *cfg,
			    struct tce_pool **out);

/*
 * tce_pool_destroy() - release the allocator, with its bitmaps and caches.
 * NULL is accepted. Ranges still allocated, parked or cached are simply
 * forgotten; the lazy flush is not called.
 * Context: no other thread may use the pool; never blocks.
 */
TCE_API void tce_pool_destroy(struct tce_pool *p);

/*
 * tce_pool_reserve() - mark [idx, idx + npages) busy for good (an MMIO hole).
 * Return: 0; -EINVAL if the range leaves the window (or @npages is 0);
 * -EBUSY if part of it is allocated, reserved, parked or cached.
 * Context: takes every pool lock (in index order, then the large pool's);
 * never allocates.
 */
TCE_API int tce_pool_reserve(struct tce_pool *p, uint64_t idx, uint64_t npages);

/*
 * tce_pool_alloc() - allocate @req->npages consecutive entries that satisfy
 * every constraint of @req. With caches the request is rounded up to a
 * power of two (up to 32 pages); free the same count that was asked for.
 * Return: 0 with *@idx the first absolute entry (and req->handle set to the
 * end); -EINVAL for an impossible request (0 pages, more pages than the
 * boundary or the window, a mask below the window, a boundary that is not a
 * power of two or smaller than a page, an alignment order above 63); -ENOSPC
 * if no space is left after every pool was searched and every cache
 * drained.
 * Context: takes pool locks one at a time (with caches: the thread's cache
 * slot lock first, and on -ENOSPC every cache lock in turn); never
 * allocates; may call the lazy flush, with a pool's or a cache slot's lock
 * held.
 */
TCE_API int tce_pool_alloc(struct tce_pool *p, struct tce_alloc_req *req, uint64_t *idx);

/*
 * tce_pool_free() - free a range returned by tce_pool_alloc(). With a lazy
 * flush the range is parked until the next flush; with caches a small range
 * may go to the thread's cache.
 * Return: 0; -EINVAL if the range leaves the window, spans two pools,
 * touches a reserved range or holds entries that are not allocated (or are
 * already parked or cached: a double free); the error is logged and nothing
 * is changed.
 * Context: takes one pool lock, or a cache slot's lock (and, when its
 * magazine is full, the cache depot's lock or the pool locks of the ranges
 * it returns); never allocates, never calls the lazy flush.
 */
TCE_API int tce_pool_free(struct tce_pool *p, uint64_t idx, uint64_t npages);

/* What the allocator holds. */
struct tce_pool_stats {
	uint64_t allocated;  /* entries handed out and not freed (reserved excluded) */
	uint64_t reserved;   /* entries reserved */
	uint64_t parked;     /* freed entries waiting for a flush */
	uint64_t cached;     /* freed entries held in caches */
	uint64_t flushes;    /* lazy flush calls */
	uint64_t cache_hits; /* allocations served by a cache */
	uint64_t drains;     /* times the caches were drained to satisfy a request */
};

/*
 * tce_pool_stats() - the allocator's counters, written to @out.
 * Context: takes every pool lock (and cache lock) in turn, one at a time:
 * the counters are not one snapshot while others allocate; never allocates.
 */
TCE_API void tce_pool_stats(struct tce_pool *p, struct tce_pool_stats *out);

/*
 * tce_pool_check() - recompute the allocator's derived state: each pool's
 * free count is the number of zero bits in its range, hints are in bounds,
 * parked and cached ranges are allocated in the bitmap, and, when @t is not
 * NULL, no parked or cached entry is mapped in @t.
 * Return: 0, or -EIO after logging the first inconsistency.
 * Context: takes every lock in turn; for tests and debugging.
 */
TCE_API int tce_pool_check(struct tce_pool *p, const struct tce_table *t);

/* ------------------------------------------------------------------------ */
/* The DMA API                                                              */
/* ------------------------------------------------------------------------ */

/*
 * The OS DMA API over one window (spec kernel.md §2.6): a table, the pooled
 * allocator over it, and a backend that writes the TCEs. Addresses given to
 * map calls are real addresses; bus addresses come back.
 */
struct tce_dma;

/*
 * How TCEs are written. The in-memory backend (used when no ops are given)
 * writes the table directly; the pseries and powernv platforms bring their
 * own. Every call is a fault point.
 */
struct tce_dma_ops {
	/*
	 * Map @npages entries from absolute @idx to consecutive real pages from
	 * @real with the permission of @dir. Return 0 or a negative errno, in
	 * which case no entry of the range may be left mapped.
	 */
	int (*set)(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir);
	/* Clear @npages entries from @idx; the range was set earlier. */
	void (*clear)(void *arg, uint64_t idx, uint64_t npages);
	/* Optional: invalidate cached translations of cleared entries. */
	void (*flush)(void *arg);
	/*
	 * Optional: read one TCE. Not used by the DMA API itself, which
	 * records every mapping it makes.
	 */
	int (*get)(void *arg, uint64_t idx, uint64_t *tce);
};

struct tce_dma_config {
	/*
	 * in: the window (the DMA object holds a reference). NULL when the
	 * backend owns the table (a hypervisor's): @ops is then required and
	 * the window is @pool's first_idx, entries and page_shift.
	 */
	struct tce_table *table;
	const struct tce_dma_ops *ops;  /* in: NULL = the in-memory backend over @table */
	void *ops_arg;
	uint64_t dma_mask;     /* in: the device's DMA mask; 0 = all 64 bits */
	uint64_t seg_boundary; /* in: bytes, a power of two no segment spans; 0 = 4 GiB */
	uint64_t max_seg_size; /* in: largest merged scatter-list segment; 0 = 64 KiB */
	bool no_merge;         /* in: never merge scatter-list segments */
	bool strict;           /* in: flush after every unmap instead of before reuse */
	/*
	 * in: the host's page shift, 12 or 16; 0 = TCE_HOST_PAGE_SHIFT. It
	 * sets the TCE grouping of map_page and the unit of coherent buffers.
	 * out: the shift used.
	 */
	uint32_t host_page_shift;
	struct tce_pool_config pool; /* in/out: allocator settings; the window comes from @table */
};

/* One scatter-list element, as Linux's struct scatterlist sees it. */
struct tce_sg {
	uint64_t real;        /* in: real address of the buffer */
	uint64_t length;      /* in: bytes; 0 is skipped */
	uint64_t dma_address; /* out: bus address of output segment i */
	uint64_t dma_length;  /* out: its length; 0 terminates the output */
};

/*
 * The DMA API knows what it handed out (DECISIONS 24): every mapping is
 * recorded with its bus address, size and kind, and an unmap or free must
 * name one mapping exactly, with the call that undoes its kind; anything
 * else is -EINVAL, logged, and changes nothing. The record is split like
 * the allocator, one shard per pool with its own lock; adding a mapping may
 * allocate (so a map may fail with -ENOMEM), removing one never does.
 */

/*
 * tce_dma_create() - DMA API over @cfg->table (or a backend-owned window).
 * @cfg: the request; defaults are applied and the granted values written
 * back on success. @cfg->ops and @cfg->ops_arg must stay valid until the
 * DMA object is destroyed. Unless @cfg->strict, the backend's flush becomes
 * the allocator's lazy flush.
 * Return: 0; -EINVAL for a bad configuration (ops without set or clear,
 * neither a table nor ops with a valid pool window, a segment boundary that
 * is not a power of two or smaller than a page, a host page shift other
 * than 0, 12 or 16, or the allocator's own refusals); -ENOMEM.
 * Context: any thread; allocates. Takes a reference on @cfg->table, held
 * until destroy. Destroy with tce_dma_destroy().
 */
TCE_API int tce_dma_create(struct tce_ctx *ctx, struct tce_dma_config *cfg, struct tce_dma **out);

/*
 * tce_dma_destroy() - release the DMA object, its allocator and its record,
 * and drop its table reference. NULL is accepted. Mappings still live are
 * logged and unmapped (their TCEs cleared through the backend, so none
 * outlives the object) and coherent buffers still live are freed.
 * Context: no other thread may use @d; calls the backend's clear for what
 * was still mapped.
 */
TCE_API void tce_dma_destroy(struct tce_dma *d);

/*
 * tce_dma_pool() - the allocator behind @d, for statistics and checks
 * (tce_pool_stats(), tce_pool_check()). Allocating from it or freeing into
 * it bypasses the DMA API's record.
 * Return: the pool; it belongs to @d and lives until tce_dma_destroy().
 * Context: any thread; no lock.
 */
TCE_API struct tce_pool *tce_dma_pool(struct tce_dma *d);

/*
 * tce_dma_map_page() - map @size bytes at @real for @dir.
 * The bus address keeps the offset of @real within its IOMMU page. When the
 * IOMMU page is smaller than the host page and a page-aligned buffer of at
 * least one host page is mapped, the TCEs form an aligned group of a host
 * page. Return: 0 and *@bus; -EINVAL (size 0, TCE_DIR_NONE or an invalid
 * direction, a wrapping range); -ENOSPC; -ENOMEM (the mapping could not be
 * recorded); the backend's error (-EIO from a fault point).
 * Context: takes pool locks, then one record shard lock; may allocate (the
 * record grows); calls the backend's set (and its clear on failure), and
 * may call its flush as the lazy flush.
 */
TCE_API int tce_dma_map_page(struct tce_dma *d, uint64_t real, uint64_t size, enum tce_dir dir,
			     uint64_t *bus);

/*
 * tce_dma_unmap_page() - undo tce_dma_map_page() (or tce_dma_map_coherent())
 * with the @bus it returned and the @size it was given.
 * Return: 0; -EINVAL if no live mapping of that kind has exactly this bus
 * address and size (a part of one, a neighbour's, one already unmapped):
 * nothing is cleared, and the error is logged.
 * Context: one record shard lock, then pool locks; never allocates; calls
 * the backend's clear (and, with @strict, its flush).
 */
TCE_API int tce_dma_unmap_page(struct tce_dma *d, uint64_t bus, uint64_t size);

/*
 * tce_dma_map_sg() - map each element of @sg (zero-length ones skipped),
 * merging an element into the previous output segment when their bus
 * addresses are contiguous and the merged segment fits the maximum segment
 * size and does not span the segment boundary (nor two pools). Output
 * segment i is written to sg[i].dma_*; if fewer than @nents come out, the
 * next has dma_length 0.
 * Return: 0 and *@mapped output segments; -EINVAL (@nents 0, no non-empty
 * element, an element whose range wraps, bad direction); -ENOSPC, -ENOMEM
 * (including a list that could not be recorded) or the backend's error, in
 * which case everything this call mapped is unmapped again.
 * Context: as tce_dma_map_page(), once per element; allocates the list's
 * record (and, above 64 elements, a temporary array). Unmap the list with
 * tce_dma_unmap_sg().
 */
TCE_API int tce_dma_map_sg(struct tce_dma *d, struct tce_sg *sg, unsigned nents,
			   enum tce_dir dir, unsigned *mapped);

/*
 * tce_dma_unmap_sg() - unmap the output of tce_dma_map_sg(): the output
 * segments in @sg up to @nents or the first with dma_length 0 must be
 * exactly those one call produced, all of them.
 * Return: 0; -EINVAL otherwise (nothing is cleared; the error is logged).
 * Context: one record shard lock, then pool locks; never allocates; calls
 * the backend's clear per range (and, with @strict, its flush once).
 */
TCE_API int tce_dma_unmap_sg(struct tce_dma *d, struct tce_sg *sg, unsigned nents);

/*
 * tce_dma_alloc_coherent() - a zeroed buffer mapped BIDIRECTIONAL, its bus
 * address naturally aligned to its size rounded to a power of two. The real
 * address of the buffer is its host address (the identity memory model).
 * Return: 0, *@cpu and *@bus; -EINVAL for size 0 or above the kernel's limit
 * (an allocation order of 13 host pages or more); -ENOMEM (the buffer or its
 * record); -ENOSPC; the backend's error. On error nothing stays allocated.
 * Context: as tce_dma_map_page(); allocates the buffer from the context.
 * The buffer belongs to the DMA object; free it only with
 * tce_dma_free_coherent().
 */
TCE_API int tce_dma_alloc_coherent(struct tce_dma *d, uint64_t size, void **cpu, uint64_t *bus);

/*
 * tce_dma_free_coherent() - unmap and free a buffer of
 * tce_dma_alloc_coherent(), given the same @size, @cpu and @bus.
 * Return: 0; -EINVAL if they do not name one live coherent buffer exactly
 * (nothing is unmapped or freed, so the TCEs never outlive the memory).
 * Context: as tce_dma_unmap_page(). *@cpu is invalid once this returns 0.
 */
TCE_API int tce_dma_free_coherent(struct tce_dma *d, uint64_t size, void *cpu, uint64_t bus);

/*
 * tce_dma_map_coherent() - map an existing buffer at real address @real
 * (aligned to the IOMMU page) the way tce_dma_alloc_coherent() maps its
 * own: BIDIRECTIONAL, the bus address naturally aligned to @size rounded to
 * a power of two. Undo with tce_dma_unmap_page().
 * Return: 0 and *@bus; -EINVAL (size 0 or above the coherent limit, a
 * misaligned @real); -ENOSPC; -ENOMEM (the mapping could not be recorded);
 * the backend's error.
 * Context: as tce_dma_map_page(). The caller keeps owning the buffer and
 * must keep it until it is unmapped.
 */
TCE_API int tce_dma_map_coherent(struct tce_dma *d, uint64_t real, uint64_t size, uint64_t *bus);

/*
 * tce_dma_check() - recompute the DMA API's derived state: the allocator's
 * checker (tce_pool_check() with the table), and the entries the recorded
 * mappings hold equal to the entries the allocator has handed out.
 * Return: 0 and *@mappings, the live mappings; -EIO after logging the first
 * inconsistency. Context: takes every lock in turn; for tests and
 * debugging, with no map or unmap running.
 */
TCE_API int tce_dma_check(struct tce_dma *d, uint64_t *mappings);

/* ------------------------------------------------------------------------ */
/* The emulated machine                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A POWER machine below the OS, described by a flattened device tree: RAM,
 * PHBs whose PEs have one or two DMA window slots, a TCE cache per PHB,
 * PCI functions (emulated devices) and, on pseries, a hypervisor that owns
 * the TCE tables. Bindings: docs/machine.md.
 */
struct tce_machine;
struct tce_pci_dev;

enum tce_platform {
	TCE_PLATFORM_PSERIES = 1, /* an LPAR: hcalls and RTAS DDW */
	TCE_PLATFORM_POWERNV = 2, /* bare metal: OS-owned tables, firmware calls */
};

/*
 * The real address space. A machine's real addresses are a small set of
 * regions; a real address in no region is not memory (a device's DMA to it
 * faults with TCE_FAULT_BAD_REAL, an hcall naming it gets H_PARAMETER) and
 * the library never touches it.
 *
 *   region 0    [0, ram_size): the RAM the tree's memory node describes. By
 *               default the machine owns it (reserved, untouched until used);
 *               with tce_machine_config.mem a VMM's callback backs it instead.
 *   callers'    up to TCE_MAX_MEM_REGIONS regions above RAM added with
 *               tce_machine_add_region(): the identity model (real address =
 *               this process's virtual address, what tce-run uses) or a
 *               callback over a VMM's guest RAM.
 *
 * A memory model callback: the host memory behind [real, real + len), or
 * NULL when the range is not memory. The library asks only for ranges inside
 * one region and calls it with the region set's read lock (and possibly a
 * PE's lock) held: it must not call back into the machine.
 */
typedef void *(*tce_mem_fn)(void *arg, uint64_t real, size_t len);

struct tce_machine_config {
	struct tce_ctx *ctx;  /* in: NULL = the machine creates and owns one */
	const void *dtb;      /* in: the flattened device tree */
	size_t dtb_size;      /* in: its size in bytes */
	tce_mem_fn mem;       /* in: NULL = the machine owns the RAM the tree describes;
			       * else it backs [0, ram_size) and the machine owns no RAM */
	void *mem_arg;
};

/*
 * tce_machine_create() - a machine from a device tree blob (copied).
 * @cfg: the tree, the memory model and the context; @cfg->mem and its
 * argument must stay valid until the machine is destroyed.
 * Return: 0; -EINVAL for no blob, an empty one or one above 1 MiB, and for a
 * malformed or hostile tree (logged with the node and property); -ENOMEM
 * (including the context it could not create).
 * Context: any thread; allocates; reserves (does not touch) the RAM the tree
 * describes; starts no thread. The caller owns the machine and destroys it
 * with tce_machine_destroy(); a context given in @cfg must outlive it.
 */
TCE_API int tce_machine_create(const struct tce_machine_config *cfg, struct tce_machine **out);

/*
 * tce_machine_create_default() - the built-in machine of @platform, with a
 * context of its own (tce_machine_ctx()) that it destroys with it.
 * Return: 0; -EINVAL for a platform other than TCE_PLATFORM_PSERIES or
 * TCE_PLATFORM_POWERNV; -ENOMEM.
 * Context: as tce_machine_create(). Destroy with tce_machine_destroy().
 */
TCE_API int tce_machine_create_default(enum tce_platform platform, struct tce_machine **out);

/*
 * tce_machine_create_dtb() - a machine from the DTB blob @dtb of @size
 * bytes (copied), with a context of its own and the machine's own RAM.
 * Return: as tce_machine_create().
 * Context: as tce_machine_create(). Destroy with tce_machine_destroy().
 */
TCE_API int tce_machine_create_dtb(const void *dtb, size_t size, struct tce_machine **out);

/*
 * tce_machine_create_dtb_file() - a machine from a .dtb file (at most 1 MiB).
 * @ctx as in tce_machine_config (NULL: the machine creates and owns one);
 * the file is read into memory allocated through it. A .dts source must be
 * compiled first (tcectl runs dtc).
 * Return: 0; the errno of a file that cannot be opened or read (-ENOENT,
 * -EACCES, ...; -EIO if it ends early); -EISDIR for a directory; -EINVAL for
 * a NULL @path, an empty, oversized or not regular file and for a refused
 * tree; -ENOMEM.
 * Context: may block (file I/O); allocates. Destroy with
 * tce_machine_destroy().
 */
TCE_API int tce_machine_create_dtb_file(const char *path, struct tce_ctx *ctx,
					struct tce_machine **out);

/*
 * tce_machine_destroy() - release the machine (and its context if it owns
 * it). NULL is accepted. Device threads are stopped and joined first; the
 * machine's references on the tables programmed into its window slots are
 * dropped (a caller's table lives on until its own put). Every PCI function
 * pointer, mapped BAR and pointer into its RAM becomes invalid.
 * Context: may block (joins device threads); no other thread may use the
 * machine, and it must not be called from an MSI handler. Destroy every host
 * on the machine first and put every IOMMU table a host handed out.
 */
TCE_API void tce_machine_destroy(struct tce_machine *m);

/*
 * tce_machine_fdt() - the tree a guest would read: the machine's copy of
 * its blob.
 * Return: the blob; it belongs to the machine, must not be written, and
 * lives until tce_machine_destroy().
 * Context: any thread; no lock.
 */
TCE_API const void *tce_machine_fdt(const struct tce_machine *m);

/*
 * tce_machine_fdt_size() - the size of tce_machine_fdt()'s blob.
 * Return: its size in bytes.
 * Context: any thread; no lock.
 */
TCE_API size_t tce_machine_fdt_size(const struct tce_machine *m);

/*
 * tce_machine_ctx() - the machine's context (logging, fault injection):
 * the one given at creation, or the machine's own.
 * Return: the context; a context the machine owns lives until
 * tce_machine_destroy(), which destroys it.
 * Context: any thread; no lock.
 */
TCE_API struct tce_ctx *tce_machine_ctx(struct tce_machine *m);

/*
 * tce_machine_platform() - the platform the tree describes.
 * Return: TCE_PLATFORM_PSERIES or TCE_PLATFORM_POWERNV.
 * Context: any thread; no lock.
 */
TCE_API enum tce_platform tce_machine_platform(const struct tce_machine *m);

/*
 * tce_machine_find_device() - the PCI function at "DDDD:BB:DD.F" (the domain
 * is the PHB index; exactly 4, 2, 2 and 1 hex digits).
 * Return: 0 with *@out; -EINVAL for a NULL or malformed address; -ENODEV
 * when the tree has no such function.
 * Context: any thread; no lock. The function lives until
 * tce_machine_destroy().
 */
TCE_API int tce_machine_find_device(struct tce_machine *m, const char *pci_addr,
				    struct tce_pci_dev **out);

/* What a machine holds, for inspection (tcectl machine). */
struct tce_machine_info {
	enum tce_platform platform;
	uint64_t ram_size;   /* region 0: RAM at [0, ram_size) */
	bool own_ram;        /* the machine owns its RAM (no tce_machine_config.mem) */
	uint32_t nphbs, ndevs;
	uint32_t nregions;   /* caller regions added, RAM not counted */
};

struct tce_phb_info {
	uint32_t index, npes;
	uint64_t buid;          /* pseries BUID, powernv PHB id */
	uint64_t page_mask;     /* bit n: pages of 2^n bytes */
	uint64_t largest_block; /* pseries: TCEs of the largest DDW */
	uint32_t max_levels;
	bool ddw;               /* pseries: dynamic DMA windows offered */
};

struct tce_window_info {
	bool enabled, real_mode; /* real mode: the powernv bypass */
	uint64_t bus_start, size;
	uint32_t page_shift, liobn;
};

struct tce_pe_info {
	uint32_t num, nslots;
	bool frozen;
	uint32_t def_liobn;           /* pseries */
	uint64_t def_bus, def_size;   /* the default (32-bit) window the tree describes */
	struct tce_window_info slot[TCE_MAX_WINDOWS];
	uint64_t faults;              /* every fault of the PE so far, recovered ones too */
	uint64_t recovered;           /* DMA faults recovered at once (libtce,dma-fault "recover") */
};

/*
 * tce_machine_info() - what @m holds, written to @out.
 * Context: takes the region set's read lock (to count caller regions).
 */
TCE_API void tce_machine_info(const struct tce_machine *m, struct tce_machine_info *out);

/*
 * tce_machine_phb() - PHB @i (0 .. nphbs - 1), written to @out.
 * Return: 0; -EINVAL past the end.
 * Context: any thread; no lock (a PHB's description never changes).
 */
TCE_API int tce_machine_phb(struct tce_machine *m, uint32_t i, struct tce_phb_info *out);

/*
 * tce_machine_pe() - the @j-th PE of PHB @phb (an index, not the PE number),
 * with its window slots as programmed now, written to @out.
 * Return: 0; -EINVAL for a PHB or PE index past the end.
 * Context: takes the PE's lock; the slots may change once it is dropped.
 */
TCE_API int tce_machine_pe(struct tce_machine *m, uint32_t phb, uint32_t j, struct tce_pe_info *out);

/*
 * tce_machine_device() - PCI function @i (0 .. ndevs - 1) in *@out.
 * Return: 0; -EINVAL past the end.
 * Context: any thread; no lock. The function lives until
 * tce_machine_destroy().
 */
TCE_API int tce_machine_device(struct tce_machine *m, uint32_t i, struct tce_pci_dev **out);

/*
 * tce_machine_ram_ptr() - the host memory behind [real, real + len) when the
 * range lies inside ONE region (RAM or a caller region) and its memory model
 * accepts it.
 * Return: the pointer; NULL otherwise (len 0, a range in no region or
 * spanning two, a callback that refuses). It stays valid while the region
 * does (RAM: until tce_machine_destroy()).
 * Context: a range in RAM takes no lock; above RAM it takes the region set's
 * read lock for the lookup. Calls the region's memory model callback.
 */
TCE_API void *tce_machine_ram_ptr(struct tce_machine *m, uint64_t real_addr, size_t len);

/* The most caller regions a machine holds (RAM not counted). */
#define TCE_MAX_MEM_REGIONS 64

/*
 * One region of real addresses and the host memory behind it.
 * For a region backed by hugetlb pages, page_shift is the huge page's.
 */
struct tce_mem_region {
	uint64_t real_start;  /* first real address, aligned to 2^page_shift */
	uint64_t size;        /* bytes: a non-zero multiple of 2^page_shift; the
			       * region ends below 2^64 */
	uint32_t page_shift;  /* the backing page size, 12..34 */
	tce_mem_fn mem;       /* host memory of [real, real + len) inside the region;
			       * NULL = identity: real address == this process's
			       * virtual address */
	void *mem_arg;
};

/*
 * tce_machine_add_region() - add a caller region (copied) to @m's real
 * address space, above its RAM. From now on TCEs may point into it and
 * device DMA through them reaches its memory (for an identity region: the
 * caller's own buffers, which must stay mapped until the region is
 * removed). A callback region's @mem and @mem_arg must stay valid as long.
 * Return: 0; -EINVAL for bad fields (@r NULL, page_shift out of 12..34,
 * misaligned start, size 0 or not a multiple of the page size, a range
 * reaching 2^64, an identity range beyond this process's address space);
 * -EBUSY when it overlaps RAM or another region; -ENOSPC with
 * TCE_MAX_MEM_REGIONS regions already; -ENOMEM.
 * Context: takes the region set's write lock (waits for DMA in flight);
 * may allocate; must not be called from a memory model callback.
 */
TCE_API int tce_machine_add_region(struct tce_machine *m, const struct tce_mem_region *r);

/*
 * tce_machine_remove_region() - remove the caller region that starts at
 * @real_start and is @size bytes long. It returns only when no device DMA
 * and no hcall is using the region any more: after it returns the caller may
 * unmap or free the memory. TCEs that still point into the region stay in
 * their tables; a device DMA through them faults (TCE_FAULT_BAD_REAL).
 * Return: 0; -ENOENT when no caller region matches exactly (RAM is never a
 * caller region).
 * Context: takes the region set's write lock (may block while DMA is in
 * flight); must not be called from a memory model callback.
 */
TCE_API int tce_machine_remove_region(struct tce_machine *m, uint64_t real_start, uint64_t size);

/*
 * tce_machine_find_region() - the region holding @real, copied to @out. RAM
 * is reported as real_start 0, size ram_size, page_shift 12 and the callback
 * that gives its memory (the machine's own, or tce_machine_config.mem).
 * Return: 0; -ENOENT when @real is in no region.
 * Context: an address in RAM takes no lock; above RAM it takes the region
 * set's read lock. The copy may be stale once a region is removed.
 */
TCE_API int tce_machine_find_region(struct tce_machine *m, uint64_t real,
				    struct tce_mem_region *out);

/* ------------------------------------------------------------------------ */
/* Device DMA, faults and EEH                                               */
/* ------------------------------------------------------------------------ */

/* Why a DMA was refused. */
enum tce_fault_reason {
	TCE_FAULT_NONE = 0,
	TCE_FAULT_NO_WINDOW = 1,  /* no enabled window contains the bus address */
	TCE_FAULT_NO_TCE = 2,     /* the TCE is empty */
	TCE_FAULT_PERMISSION = 3, /* the TCE lacks READ (device read) or WRITE */
	TCE_FAULT_BAD_REAL = 4,   /* the TCE points at a real address in no region */
	TCE_FAULT_FROZEN = 5,     /* the PE was frozen by an earlier fault */
	TCE_FAULT_INJECTED = 6,   /* an armed error injection matched the access */
	TCE_FAULT_MASTER_ABORT = 7, /* a BAR access while the function's memory decode was off */
};

/*
 * The first fault that froze a PE. For DMA, @bus_addr is the bus address
 * and @write a device write to memory; for an MMIO or config access (an
 * injection or a master abort), @bus_addr is the BAR address or the config
 * address (bus << 20 | devfn << 12 | offset) and @write a CPU store.
 */
struct tce_fault {
	enum tce_fault_reason reason;
	uint64_t bus_addr;
	bool write;
	char device[16];    /* "DDDD:BB:DD.F" */
};

/*
 * tce_dev_dma_read() - device @d reads @len bytes of memory at bus address
 * @bus_addr into @buf, through translation, split at IOMMU page boundaries,
 * all or nothing: every page is translated (each needing READ in its TCE)
 * before a byte is copied. A byte whose real address is in no region faults
 * the whole access with TCE_FAULT_BAD_REAL; an armed injection of a DMA
 * read function (tce_fw_eeh_inject()) that matches one of its pages faults
 * it with TCE_FAULT_INJECTED.
 * Return: 0; -EINVAL for len 0, above 1 GiB or a wrapping range; -EFAULT
 * when the access faults (the fault is recorded and the device's PE frozen,
 * or for a translation fault of a function with libtce,dma-fault =
 * "recover" only counted and reported; @buf untouched); -EIO when the PE is already DMA-frozen; -ENOMEM (a plan
 * of more than 16 pages is allocated).
 * Context: takes the PE's lock and, under it on a TCE-cache miss, the PHB's
 * TCE cache lock (a hit takes no lock); the region set's read lock from the
 * lookup of a caller region until the copy is done. An access inside one
 * 4 KiB page of the bus that repeats the function's previous page into the
 * machine's own RAM, with no kill, freeze or injection arming on the PHB
 * since, takes no lock at all (docs/machine.md). Calls the memory model
 * callback; never blocks otherwise.
 */
TCE_API int tce_dev_dma_read(struct tce_pci_dev *d, uint64_t bus_addr, void *buf, size_t len);

/*
 * tce_dev_dma_write() - device @d writes @len bytes from @buf to memory at
 * bus address @bus_addr: as tce_dev_dma_read(), with WRITE needed in every
 * TCE and nothing written unless every page translates.
 * Return: as tce_dev_dma_read() (on -EFAULT no byte of memory changed).
 * Context: as tce_dev_dma_read().
 */
TCE_API int tce_dev_dma_write(struct tce_pci_dev *d, uint64_t bus_addr, const void *buf,
			      size_t len);

/* What a function moved by device DMA since its machine was created. */
struct tce_dev_dma_stats {
	uint64_t read_bytes;   /* read from memory: tce_dev_dma_read() calls that returned 0 */
	uint64_t write_bytes;  /* written to memory: tce_dev_dma_write() calls that returned 0 */
};

/*
 * tce_dev_dma_stats() - the bytes @d's DMA moved, written to @out: every
 * access that succeeded, whoever issued it (the device's copy engine, or a
 * caller of tce_dev_dma_read() and tce_dev_dma_write()); an access that
 * failed moved nothing and is not counted. The counts only grow: neither a
 * function reset nor EEH recovery clears them. The two fields are read one
 * after the other, so a DMA running meanwhile may be in one and not yet in
 * the other.
 * Context: any thread; no lock (relaxed atomic loads).
 */
TCE_API void tce_dev_dma_stats(struct tce_pci_dev *d, struct tce_dev_dma_stats *out);

/* A translate-once mapping of device DMA (tce_dev_dma_map()); opaque. */
struct tce_dev_map;

/*
 * tce_dev_dma_map() - translate [@bus_addr, @bus_addr + @len) once, as
 * device @d's DMA would (for writing when @write, else for reading), and
 * give the host memory behind it, so that a device model can load or store
 * through *@host as often as it likes without translating again. Every page
 * is checked exactly as tce_dev_dma_read() (or _write()) checks it, faults
 * included: a page that cannot be translated records the fault and freezes
 * the PE (or, for a function with libtce,dma-fault = "recover", only counts
 * and reports it) and nothing is mapped. The range must translate to one
 * contiguous run of host memory in the machine's RAM (one IOMMU page always
 * does; several do when their TCEs point at consecutive real pages).
 *
 * The mapping stays *valid* until the next kill of the PHB's TCE cache that
 * covers any byte of the range (a powernv tce_fw_tce_kill() of those pages
 * or of the whole PE, an H_PUT_TCE / H_PUT_TCE_INDIRECT / H_STUFF_TCE that
 * changes one of its entries, a window change or removal, a DDW reset), a
 * freeze of the PE (any fault, an injection, a reset being asserted) or a
 * PE reset; a kill elsewhere leaves it valid. Once invalid it never becomes
 * valid again, even after a thaw: map again. tce_dev_dma_map_valid() says
 * which, cheaply; what the caller read or wrote through *@host while it was
 * valid was the memory the range mapped, as a DMA at that time would have.
 * After it turns invalid *@host still points at the same host memory (the
 * machine's RAM, or the memory model's), but that is no longer what the
 * range maps; the caller must stop using it. Accesses through *@host are
 * not counted in tce_dev_dma_stats(), are not seen by error injection, and
 * with @write false must only read.
 *
 * @d: the function whose DMA this is.
 * @bus_addr, @len: the range, 1 byte to 1 GiB, not wrapping.
 * @write: map for device writes to memory (needs WRITE in every TCE), else
 *   for reads (needs READ).
 * @host: out, the host address of @bus_addr.
 * @out: out, the mapping; the caller owns it and gives it back with
 *   tce_dev_dma_unmap() before the machine is destroyed.
 * Return: 0; -EINVAL for a NULL pointer, len 0, above 1 GiB or a wrapping
 * range (nothing translated); -EFAULT when a page faults (as a DMA would)
 * and -EIO when the PE is already DMA-frozen; -ERANGE when the range
 * translates to more than one run of host memory (use smaller ranges);
 * -EOPNOTSUPP when it lies in a caller region above RAM (its memory may be
 * removed: use tce_dev_dma_read()); -EAGAIN when kills of the range kept
 * racing the translation; -ENOMEM. On any error nothing is mapped and
 * *@host and *@out are unchanged.
 * Context: takes the PE's lock and, under it, the PHB's TCE cache lock;
 * calls the memory model callback; never blocks otherwise. Allocates.
 */
TCE_API int tce_dev_dma_map(struct tce_pci_dev *d, uint64_t bus_addr, size_t len, bool write,
			    void **host, struct tce_dev_map **out);

/*
 * tce_dev_dma_map_valid() - is @map still valid (see tce_dev_dma_map())?
 * An acquire load of one flag, no lock: check it before a batch of accesses
 * through the mapping (a kill that returned before the check is seen).
 * Return: true while valid; false once a kill of its range, a freeze or a
 * reset of its PE has invalidated it (for good).
 * Context: any thread, lock-free.
 */
TCE_API bool tce_dev_dma_map_valid(const struct tce_dev_map *map);

/*
 * tce_dev_dma_unmap() - give back @map (valid or not) and free it; NULL is
 * ignored. The host pointer it gave must not be used afterwards.
 * Return: nothing; it cannot fail.
 * Context: takes the PHB's TCE cache lock; never blocks.
 */
TCE_API void tce_dev_dma_unmap(struct tce_dev_map *map);

/*
 * tce_dev_name() - the function's PCI address, "DDDD:BB:DD.F".
 * Return: the name; it belongs to the machine and lives until
 * tce_machine_destroy().
 * Context: any thread; no lock.
 */
TCE_API const char *tce_dev_name(const struct tce_pci_dev *d);

/*
 * tce_dev_pe() - the number of the PE the function belongs to.
 * Return: the PE number (as the tree gives it, not an index).
 * Context: any thread; no lock.
 */
TCE_API uint32_t tce_dev_pe(const struct tce_pci_dev *d);

/*
 * EEH, per PE (docs/machine.md): a PE can be MMIO-frozen (config and BAR
 * reads of its functions give all ones, writes are dropped), DMA-frozen
 * (device DMA fails with -EIO) and in reset. A DMA fault, a master abort or
 * a matching injected error freezes both (a DMA translation fault of a
 * function with libtce,dma-fault = "recover" freezes nothing). The firmware calls below and the
 * RTAS EEH calls read and change that state.
 */

/*
 * tce_dev_eeh_frozen() - whether @d's PE is frozen (MMIO or DMA; a PE in
 * reset is frozen too) and, if @fault is not NULL, the fault that froze it
 * first (all zero when there is none).
 * Return: true while either freeze is set.
 * Context: takes the PE's lock; never blocks.
 */
TCE_API bool tce_dev_eeh_frozen(struct tce_pci_dev *d, struct tce_fault *fault);

/*
 * tce_dev_eeh_thaw() - clear both freezes of @d's PE and forget its fault.
 * It neither ends a reset in progress nor resets any function.
 * Context: takes the PE's lock; never blocks.
 */
TCE_API void tce_dev_eeh_thaw(struct tce_pci_dev *d);

/*
 * One fault as it happens, for a machine's fault callback: the fault (as
 * tce_dev_eeh_frozen() would record it if it is the PE's first), where, and
 * what translation met, with the PE's windows at that moment so the
 * callback can say why without calling back into the machine.
 */
struct tce_fault_event {
	struct tce_fault fault;   /* reason, bus (or MMIO/config) address, direction, device */
	uint32_t phb, pe;         /* the PHB's index and the PE's number */
	bool dma;                 /* a device DMA; false: a CPU MMIO or config access */
	bool recovered;           /* recovered at once: the PE was not frozen (libtce,dma-fault) */
	uint64_t tce;             /* TCE_FAULT_PERMISSION: the entry met; else 0 */
	uint64_t real_addr;       /* TCE_FAULT_BAD_REAL: the real address in no region */
	uint32_t nslots;          /* the PE's window slots (1 or 2) ... */
	struct tce_window_info slot[TCE_MAX_WINDOWS]; /* ... as programmed at the fault */
};

/*
 * A fault callback. It runs on the thread whose access faulted (a device
 * thread, or the caller of tce_dev_dma_read() and the like) with the PE's
 * lock held (and for TCE_FAULT_BAD_REAL the region set's read lock): it must
 * not call into the machine, its devices or the layers above, and should
 * return quickly. @ev lives only during the call.
 */
typedef void (*tce_fault_fn)(void *arg, const struct tce_fault_event *ev);

/*
 * tce_machine_set_fault_fn() - have @fn (with @arg) told of every fault of
 * @m's PEs as it happens: each DMA fault (no window, empty TCE, permission,
 * real address in no memory, a matching DMA injection), each MMIO or config
 * access that freezes a PE (injection, master abort), including faults of a
 * PE already frozen by an earlier one. A DMA refused because its PE is
 * already DMA-frozen (-EIO) is no new fault and is not reported. A NULL @fn
 * turns it off (the default).
 * Context: set it before devices run and DMA is issued (not safe against a
 * fault in progress on another thread); @arg must stay valid while set.
 */
TCE_API void tce_machine_set_fault_fn(struct tce_machine *m, tce_fault_fn fn, void *arg);

/* A PHB's TCE cache counters. */
struct tce_cache_stats {
	uint64_t hits, misses, kills;
};

/*
 * tce_dev_cache_stats() - the counters of the TCE cache of @d's PHB (shared
 * by every function of the PHB), written to @out: hits, misses (each
 * translation of a device DMA is one or the other) and kills (each
 * invalidation call). A hit takes no lock, so hits are counted per PE with
 * relaxed atomic adds and summed here; while DMA runs on other threads the
 * sum and the other two counters are each a recent value, not one snapshot.
 * Context: takes the PHB's TCE cache lock; never blocks.
 */
TCE_API void tce_dev_cache_stats(struct tce_pci_dev *d, struct tce_cache_stats *out);

/*
 * tce_dev_config_read() - read @size bytes (1, 2 or 4, aligned to itself) at
 * @off in the function's 4 KiB config space into *@val (little-endian, as
 * PCI). A function without an emulated device reads all ones everywhere
 * (a master abort, as an absent function). While the PE is
 * MMIO-frozen or in reset, reads give all ones. Config reads are what an
 * armed injection's CFG load functions match (tce_fw_eeh_inject()); a match
 * freezes the PE and the read gives all ones.
 * Return: 0; -EINVAL for a bad offset or size.
 * Context: takes the device's lock, then the PE's; never blocks.
 */
TCE_API int tce_dev_config_read(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t *val);

/*
 * tce_dev_config_write() - write @size bytes of @val at @off, as
 * tce_dev_config_read() reads them; only the bits the function implements
 * as writable change. While the PE is MMIO-frozen or in reset, or when an
 * armed CFG store injection matches, the write is dropped. Writing
 * TCE_PCI_EXP_DEVCTL_BCR_FLR to the PCI Express device control register
 * resets the function as tce_dev_reset() does. Writes to a function
 * without an emulated device are ignored.
 * Return: 0; -EINVAL for a bad offset or size.
 * Context: takes the device's lock, then the PE's; an FLR then waits for a
 * copy in flight (may block).
 */
TCE_API int tce_dev_config_write(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t val);

/*
 * tce_dev_bar_read() - an MMIO load of @size 1, 2, 4 or 8 bytes, aligned to
 * itself, at @off in BAR @bar into *@val (the DMA-test device and the I/OAT
 * channel have BAR0 only; their registers are in <tce/abi.h>, TCE_DT_* and
 * TCE_IOAT_*; offsets that hold no register read 0).
 * With the command register's memory decode off the access is a master
 * abort: the PE freezes and the read gives all ones. While the PE is
 * MMIO-frozen or in reset, or when an armed MEM load injection matches,
 * the read gives all ones.
 * Return: 0; -EINVAL for a function without that BAR, a bad offset or size.
 * Context: takes the device's lock, then the PE's; never blocks.
 */
TCE_API int tce_dev_bar_read(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
			     uint64_t *val);

/*
 * tce_dev_bar_write() - an MMIO store of @val, as tce_dev_bar_read() loads:
 * a master abort with memory decode off, dropped while the PE is MMIO-frozen
 * or in reset or when an armed MEM store injection matches. Writing CMD
 * copies at once in the caller's thread (ignored while a doorbell copy is
 * in flight); writing DOORBELL hands the copy to the device thread
 * (started on first use). A copy's result is in STATUS and FAULT, not in
 * the return value. On an I/OAT channel a store to a writable channel
 * register is stored (CHANERR: write 1 to clear; read-only registers
 * ignore it); the first store to a channel register (0x80 on) starts the
 * device thread, and a store to CHANCMD, DMACOUNT or CHAINADDR wakes it to
 * carry it out (docs/machine.md); a CHAINADDR store zeroes DMACOUNT at once.
 * Return: 0; -EINVAL for a function without that BAR, a bad offset or size;
 * -ENOMEM or -EAGAIN when a doorbell (or I/OAT channel) write cannot start
 * the device thread (nothing changed).
 * Context: takes the device's lock, then the PE's; a CMD copy runs under
 * the device's lock as device DMA (a read of the source then a write of the
 * destination, both translated under one hold of the PE's lock and copied
 * directly; a bounce buffer only when the host ranges overlap) and blocks
 * for it.
 * May start the device thread; never calls the MSI handler itself.
 */
TCE_API int tce_dev_bar_write(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
			      uint64_t val);

/*
 * tce_dev_bar_map() - the memory behind BAR @bar, as an mmap of the BAR
 * would give it: *@ptr (page aligned, valid until the machine is destroyed)
 * and *@size (TCE_DT_BAR0_SIZE, TCE_IOAT_BAR0_SIZE). The registers live
 * there; access them with atomic (or volatile) little-endian loads and
 * stores of the register's width, as MMIO. The device thread polls the
 * mapped DOORBELL (an I/OAT channel's CHANCMD, DMACOUNT and CHAINADDR) and
 * the MSI-X vector controls: it notices a store within about 1 ms (about
 * 10 us while busy). Loads and stores through the mapping bypass
 * the checks of tce_dev_bar_read() and tce_dev_bar_write(): a store to a
 * read-only register changes what the mapping reads until the device next
 * writes it. A doorbell the thread finds there is checked as the store it
 * was: dropped while the PE is MMIO-frozen or in reset, a master abort
 * (the PE freezes) while memory decode is off. The memory is a shared
 * mapping: mremap(*@ptr, 0, size, MREMAP_MAYMOVE | MREMAP_FIXED, where)
 * gives a second view of it (what a client's mmap of the BAR gets).
 * Return: 0; -EINVAL for a function without that BAR; -ENOMEM or -EAGAIN
 * when the device thread cannot be started.
 * Context: takes the device thread's mutex; may start the device thread.
 */
TCE_API int tce_dev_bar_map(struct tce_pci_dev *d, unsigned bar, void **ptr, size_t *size);

/*
 * tce_dev_bar_size() - the size of BAR @bar of @d in *@size (0 when the
 * function has no such BAR).
 * Return: 0; -EINVAL for @bar above 5 or a NULL @size.
 * Context: any thread; no lock (the layout never changes).
 */
TCE_API int tce_dev_bar_size(const struct tce_pci_dev *d, unsigned bar, uint64_t *size);

/* An MSI-X message: called from the device thread with the vector number. */
typedef void (*tce_msi_fn)(void *arg, unsigned vector);

/*
 * tce_dev_set_msi_handler() - deliver @d's MSI-X messages to @fn (NULL:
 * messages are lost). A completed doorbell copy raises vector
 * TCE_DT_MSIX_VECTOR_DONE when MSI-X is enabled (an I/OAT channel raises
 * TCE_IOAT_MSIX_VECTOR for a descriptor with the interrupt flag and, when
 * CHANCTRL asks, on an error); while the vector or the
 * function is masked its PBA bit is set instead, and the message is sent
 * once it is unmasked. @fn runs in the device thread; it may access and
 * reset the device and set the handler, but must not destroy the machine.
 * When this returns (called from elsewhere), the previous handler is no
 * longer running. @arg is passed to @fn and must stay valid until the
 * handler is replaced or the machine destroyed.
 * Return: 0; -EINVAL for a function without MSI-X.
 * Context: takes the device thread's mutex; may block while the previous
 * handler runs (not when called from that handler).
 */
TCE_API int tce_dev_set_msi_handler(struct tce_pci_dev *d, tce_msi_fn fn, void *arg);

/*
 * tce_dev_reset() - a function-level reset: wait for an in-flight copy,
 * then put the registers, the MSI-X table (every vector masked) and config
 * space (command register cleared, BAR unassigned, MSI-X disabled) back to
 * their power-on state. A pending doorbell is dropped; the device thread
 * stays, idle (a mapping stays valid). The PE's EEH state is not changed.
 * Return: 0; -EINVAL for a function without an emulated device.
 * Context: may block until the copy in flight completes (not when called
 * from the MSI handler, on the device thread); then takes the device's
 * lock.
 */
TCE_API int tce_dev_reset(struct tce_pci_dev *d);

/* ------------------------------------------------------------------------ */
/* The hypervisor (pseries machines)                                        */
/* ------------------------------------------------------------------------ */

/*
 * tce_hv_hcall() - one TCE hcall (H_GET_TCE, H_PUT_TCE, H_STUFF_TCE,
 * H_PUT_TCE_INDIRECT). @args holds r4..r12 (at least 9 values), in and
 * out: H_GET_TCE writes the TCE to @args[0].
 * Return: the H_* status (<tce/abi.h>), never an errno: H_SUCCESS;
 * H_PARAMETER for a call the validation refuses (nothing changed);
 * H_NOT_ENOUGH_RESOURCES when a level of the hypervisor's table cannot be
 * allocated (nothing stored); H_HARDWARE from a fault point; H_FUNCTION for
 * an opcode that is not a TCE hcall, a NULL @args or a powernv machine.
 * Context: takes the window's PE lock briefly, then writes the table
 * lock-free and takes the PHB's TCE cache lock to kill what changed; the
 * region set's read lock while an INDIRECT list or a TCE's page above RAM
 * is checked or read (calling memory model callbacks); may allocate.
 */
TCE_API long tce_hv_hcall(struct tce_machine *m, uint64_t opcode, uint64_t *args);

/*
 * tce_hv_rtas() - one RTAS call: the DDW calls and the EEH calls whose
 * tokens the machine's tree names (<tce/abi.h> tables; docs/machine.md).
 * Writes the RTAS status to @rets[0] (-3, a parameter error, for an unknown
 * token or wrong argument or result counts, as QEMU; -1, a hardware error,
 * from a fault point) and never writes past @rets[@nret - 1].
 * Return: 0 once a status is written; -EINVAL when it cannot write one
 * (@rets NULL or @nret 0, or @args NULL with @nargs > 0); -EOPNOTSUPP on a
 * powernv machine.
 * Context: takes PE locks (and the PHB's TCE cache lock); creating or
 * resetting windows allocates tables; ibm,set-slot-reset deactivation
 * resets the PE's functions, taking their locks and waiting for in-flight
 * copies (may block).
 */
TCE_API int tce_hv_rtas(struct tce_machine *m, uint32_t token, uint32_t nargs,
			const uint32_t *args, uint32_t nret, uint32_t *rets);

/* ------------------------------------------------------------------------ */
/* Firmware calls (powernv machines)                                        */
/* ------------------------------------------------------------------------ */

/*
 * tce_fw_map_window() - program window slot @slot of PE @pe of PHB @phb with
 * the OS-owned table @t (slot 0 decodes bus addresses from the table's bus
 * offset, slot 1 from 2^59); @t == NULL disables the slot. The slot holds a
 * reference on the table until it is reprogrammed or the machine destroyed;
 * the slot's previous table loses that reference. The whole PE's TCE cache
 * entries are killed.
 * Return: 0; -EINVAL (bad PHB, PE number or slot, a table whose levels, page
 * size or bus placement the PHB does not support); -EOPNOTSUPP on pseries;
 * -EIO from a fault point (nothing changed).
 * Context: takes the PE's lock, then the PHB's TCE cache lock; never
 * allocates or blocks (dropping the last reference of the old table frees
 * it).
 */
TCE_API int tce_fw_map_window(struct tce_machine *m, uint32_t phb, uint32_t pe, uint32_t slot,
			      struct tce_table *t);

/*
 * tce_fw_map_window_real() - program slot @slot of PE @pe in real mode (the
 * powernv bypass window): bus addresses [@bus_start, @bus_start + @size)
 * reach real addresses from 0, read and write, with no table. @size 0
 * disables the slot. The slot's previous table loses its reference.
 * Return: 0; -EINVAL (bad ids or slot, a size that is not a power of two, a
 * range that leaves the slot's half of the bus); -EOPNOTSUPP on pseries;
 * -EIO from a fault point (nothing changed).
 * Context: takes the PE's lock, then the PHB's TCE cache lock; never
 * allocates or blocks.
 */
TCE_API int tce_fw_map_window_real(struct tce_machine *m, uint32_t phb, uint32_t pe,
				   uint32_t slot, uint64_t bus_start, uint64_t size);

/*
 * PE-level EEH, OPAL-style (powernv; -EOPNOTSUPP on pseries). Every call
 * returns -EINVAL for an unknown PHB or PE and is a fault point (-EIO).
 */

/*
 * tce_fw_eeh_freeze_status() - the PE's freeze bits (TCE_EEH_FROZEN_MMIO |
 * TCE_EEH_FROZEN_DMA) in *@freeze and whether a reset is asserted in
 * *@reset_active; either pointer may be NULL.
 * Return: 0; -EINVAL (unknown PHB or PE); -EOPNOTSUPP on pseries; -EIO.
 * Context: takes the PE's lock; never blocks.
 */
TCE_API int tce_fw_eeh_freeze_status(struct tce_machine *m, uint32_t phb, uint32_t pe,
				     uint32_t *freeze, bool *reset_active);

/*
 * tce_fw_eeh_freeze_clear() - clear freeze bits @what (a non-zero subset of
 * TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA). Clearing MMIO of a stopped PE
 * leaves it STOPPED_DMA; clearing the last bit forgets the recorded fault.
 * A reset in progress is not ended.
 * Return: 0; -EINVAL (bad @what, unknown PHB or PE); -EOPNOTSUPP on
 * pseries; -EIO.
 * Context: takes the PE's lock; never blocks.
 */
TCE_API int tce_fw_eeh_freeze_clear(struct tce_machine *m, uint32_t phb, uint32_t pe,
				    uint32_t what);

/*
 * tce_fw_eeh_reset() - assert (@assert_reset) a reset of @kind
 * (TCE_EEH_RESET_HOT or TCE_EEH_RESET_FUNDAMENTAL): the PE is frozen and
 * reads RESET; or deassert it (@kind ignored): after an asserted reset the
 * PE's functions return to their power-on state (tce_dev_reset()); in
 * either case the PE is thawed, NORMAL.
 * Return: 0; -EINVAL (another @kind when asserting, unknown PHB or PE);
 * -EOPNOTSUPP on pseries; -EIO.
 * Context: takes the PE's lock; deasserting takes each function's lock and
 * may block for in-flight copies.
 */
TCE_API int tce_fw_eeh_reset(struct tce_machine *m, uint32_t phb, uint32_t pe, uint32_t kind,
			     bool assert_reset);

/*
 * tce_fw_eeh_inject() - arm an error: the next access by or to a function of
 * the PE that matches @func (TCE_EEH_ERR_FUNC_*: MEM loads/stores are BAR
 * accesses at the BAR's address, CFG ones config accesses at bus << 20 |
 * devfn << 12 | offset, DMA reads/writes device DMA at the bus address; IO
 * functions never match, the functions have no IO BARs) and whose address
 * satisfies (addr & @mask) == (@addr & @mask) freezes the PE, once. @type
 * (TCE_EEH_ERR_TYPE_32 or _64) is recorded, not matched. A new injection
 * replaces an armed one.
 * Return: 0; -EINVAL for a type other than 0 or 1, a function above 19, an
 * unknown PHB or PE; -EOPNOTSUPP on pseries; -EIO.
 * Context: takes the PE's lock; never blocks.
 */
TCE_API int tce_fw_eeh_inject(struct tce_machine *m, uint32_t phb, uint32_t pe, uint32_t type,
			      uint32_t func, uint64_t addr, uint64_t mask);

/*
 * tce_fw_tce_kill() - invalidate the PHB's cached translations of PE @pe
 * for @npages IOMMU pages of @page_shift from @bus_addr, or, with @npages 0,
 * every entry of the PE.
 * Return: 0; -EINVAL (unknown PHB or PE, or with @npages a page shift
 * outside 12..34); -EOPNOTSUPP on pseries. It is not a fault point.
 * Context: takes the PE's lock, then the PHB's TCE cache lock; never blocks.
 */
TCE_API int tce_fw_tce_kill(struct tce_machine *m, uint32_t phb, uint32_t pe, uint32_t page_shift,
			    uint64_t bus_addr, uint64_t npages);

/* ------------------------------------------------------------------------ */
/* The OS: host, IOMMU groups, devices                                      */
/* ------------------------------------------------------------------------ */

/*
 * A host is the OS on a machine: pseries (an LPAR using the hypervisor) or
 * powernv (bare metal programming the PHB), as the machine's platform says.
 * It has one IOMMU group per PE and gives each device the kernel's DMA API
 * over its PE's current window. A group can be handed to an external owner
 * (VFIO) and back through its table-group ops.
 */
struct tce_host;
struct tce_group;
struct tce_device;
struct tce_iommu_table;

/* Which kernel the OS is (DECISIONS 13). */
enum tce_os_profile {
	TCE_OS_DEFAULT = 0, /* the machine's platform: pseries (2024 DDW ops) or powernv */
	TCE_OS_LEGACY = 1,  /* a pseries kernel without dynamic-window ops: one fixed 32-bit
			     * window an owner borrows (VFIO v1); needs a pseries machine */
};

struct tce_host_config {
	enum tce_os_profile profile; /* in */
	uint32_t page_shift;         /* in: the OS's host page size, 12 or 16; 0 = 16 */
};

/*
 * tce_host_create() - boot the OS on @m, learning the machine as Linux
 * does, from its device tree (PHBs, PEs, each PE's ibm,dma-window and the
 * DDW properties on the same node) and its firmware calls (the RTAS query
 * on pseries). Each PE becomes a group with its default window (pseries:
 * the one the tree names; powernv: the kernel default table in slot 0,
 * plus the bypass window in slot 1 on two-slot PEs) and a kernel DMA
 * object that never hands out the PHB's 32-bit MMIO range. Kernel memory
 * (DMA buffers, hcall lists) is the top 1/16 of the machine's own RAM, at
 * most 256 MiB. The kernel's direct mapping (pseries DDW) and the powernv
 * bypass cover [0, end of the tree's memory nodes): caller regions
 * (tce_machine_add_region) are reached only through an owner's windows.
 * @m must outlive the host.
 * Return: 0; -ENOMEM; -EOPNOTSUPP when the machine does not own its RAM
 * (a caller memory model) or has too little of it; -EINVAL for a tree the
 * OS cannot use (or a NULL argument); the platform's error (-EIO: the
 * hypervisor or firmware failed).
 * Context: may block; allocates; calls the hypervisor (RTAS, hcalls) or the
 * firmware (window programming) and takes each new group's lock for
 * writing. Destroy with tce_host_destroy(), which leaves the machine's
 * windows as the machine booted them.
 */
TCE_API int tce_host_create(struct tce_machine *m, struct tce_host **out);

/*
 * tce_host_create_config() - tce_host_create() with a profile and host page
 * size.
 * Return: 0; -EINVAL for a NULL argument or a bad configuration (an unknown
 * profile, a page shift other than 0, 12 or 16) and as tce_host_create();
 * -EOPNOTSUPP (the legacy profile on a powernv machine, a machine without
 * its own RAM); -ENOMEM; the platform's error.
 * Context: as tce_host_create(). Destroy with tce_host_destroy().
 */
TCE_API int tce_host_create_config(struct tce_machine *m, const struct tce_host_config *cfg,
				   struct tce_host **out);

/*
 * tce_host_destroy() - shut the OS down. NULL is accepted. Each group's
 * kernel DMA objects go (live kernel mappings are forgotten, logged) and
 * its windows are unset, an owner's included (their TCEs cleared, each old
 * page handed to the table's release callback); pseries PEs get their
 * default window back. Groups, devices and kernel memory allocations of
 * the host become invalid. An owner's table references stay valid until
 * put, but their windows are gone: put them before the machine is
 * destroyed.
 * Context: may block; takes each group's lock for writing; calls the
 * hypervisor or firmware and release callbacks. No other thread may use
 * the host, its groups or devices.
 */
TCE_API void tce_host_destroy(struct tce_host *h);

/*
 * tce_host_ngroups() - the number of IOMMU groups: one per PE of the tree.
 * Return: the count; it never changes.
 * Context: any thread; no lock.
 */
TCE_API uint32_t tce_host_ngroups(const struct tce_host *h);

/*
 * tce_host_group() - group @i (0 .. tce_host_ngroups() - 1).
 * Return: the group, or NULL past the end. It belongs to the host and lives
 * until tce_host_destroy().
 * Context: any thread; no lock.
 */
TCE_API struct tce_group *tce_host_group(struct tce_host *h, uint32_t i);

/*
 * tce_host_find_device() - the host's device for the PCI function at
 * "DDDD:BB:DD.F" (as tce_machine_find_device()).
 * Return: 0 with *@out; -EINVAL for a NULL or malformed address; -ENODEV
 * when there is no such function. The device lives until
 * tce_host_destroy().
 * Context: any thread; no lock.
 */
TCE_API int tce_host_find_device(struct tce_host *h, const char *pci_addr,
				 struct tce_device **out);

/*
 * tce_host_alloc() - kernel memory for DMA buffers: @size bytes (rounded up
 * to 4 KiB pages, 4 KiB aligned) of the machine's RAM, not zeroed.
 * @real: receives the real address (required).
 * @ptr: receives its host pointer; may be NULL.
 * Return: 0; -EINVAL for size 0 or a NULL @real; -ENOMEM when kernel memory
 * is exhausted or the allocation cannot be recorded.
 * Context: takes the kernel memory allocator's lock, then its record's
 * lock; may allocate. The memory is the caller's until tce_host_free() with
 * the same @real and @size, and at most until tce_host_destroy().
 */
TCE_API int tce_host_alloc(struct tce_host *h, uint64_t size, uint64_t *real, void **ptr);

/*
 * tce_host_free() - give back one allocation of tce_host_alloc(), named by
 * the @real address it returned and the @size it was given.
 * Return: 0; -EINVAL if no live allocation has exactly this address and
 * size (nothing is freed).
 * Context: takes the record's lock, then the allocator's; never allocates.
 */
TCE_API int tce_host_free(struct tce_host *h, uint64_t real, uint64_t size);


/* What a group (a PE) offers, as the kernel's iommu_table_group reports it. */
struct tce_group_info {
	uint32_t phb, pe;
	uint64_t tce32_start, tce32_size; /* the default window (bus start, bytes) */
	uint64_t pgsizes;                 /* bit n: IOMMU pages of 2^n bytes */
	uint32_t max_dynamic_windows;     /* windows an owner may create: 0, 1 or 2 */
	uint32_t max_levels;              /* table levels (pseries 1, powernv up to 5) */
	/*
	 * The group has the dynamic-window ops (create, set, unset: what VFIO
	 * v2 needs). false on the legacy profile: an owner borrows the default
	 * window with tce_group_get_table() (VFIO v1).
	 */
	bool dynamic_ops;
};

/*
 * tce_group_info() - what @g offers, written to @out.
 * Context: any thread; no lock (the information is fixed when the host
 * boots).
 */
TCE_API void tce_group_info(const struct tce_group *g, struct tce_group_info *out);

/* Table-group ops (spec kernel.md §6.2, §6.3, without §10.2's bugs). */

/*
 * tce_group_table_size() - the bytes tce_group_create_table() charges for a
 * window of these parameters, in *@bytes (pseries: the flat TCE array;
 * powernv: spec kernel.md §3.4 with the mirror, on the host's pages).
 * Return: 0; -EPERM (the legacy profile: no dynamic-window ops); -EINVAL if
 * it cannot create such a window (a page size the group does not offer, a
 * window that is not a power of two or smaller than a page, levels 0 or
 * above max_levels, powernv: a geometry the 55-bit rule refuses).
 * Context: any thread; takes no lock; pure.
 */
TCE_API int tce_group_table_size(struct tce_group *g, uint32_t page_shift, uint64_t window_size,
				 uint32_t levels, uint64_t *bytes);

struct tce_window_req {
	uint32_t num;          /* window slot 0 or 1 */
	uint32_t page_shift;
	uint64_t window_size;  /* bytes, a power of two */
	uint32_t levels;
	tce_account_fn account; /* optional: charged the table size before allocation */
	void *account_arg;
};

/*
 * tce_group_create_table() - a table for window @req->num, with a
 * userspace-address mirror. powernv: allocated, not yet programmed (slot 0
 * at the default window's start, slot 1 at 2^59). pseries: the window is
 * opened now (the default window again for a default request on slot 0,
 * else a DDW whose placement the hypervisor picks) and the group keeps it;
 * @out gets a reference. Accounting is refunded on every failure
 * and when the last reference is put.
 * Return: 0; -EINVAL (geometry, page size, levels; pseries: a window
 * larger than the hypervisor's largest block); -EPERM (not owned; the
 * legacy profile; pseries: a slot-0 window while a DDW exists); -EBUSY (the
 * slot is in use); -ENODEV (pseries: the hypervisor failed this PE's
 * dynamic window, now or earlier: the PE is not asked again, as the
 * kernel's failed-DDW list); -ENOMEM; -EIO (the hypervisor or firmware
 * failed); the accounting hook's error; -EINVAL also for a NULL @req or
 * @out or a slot number the PE does not have.
 * Context: takes the group's lock for writing; allocates; calls the
 * accounting hook under it; pseries: calls the hypervisor (RTAS). *@out is
 * the caller's reference, put with tce_iommu_table_put(); the group holds
 * its own only while the window is set (pseries: from now; powernv: from
 * tce_group_set_window()) until tce_group_unset_window().
 */
TCE_API int tce_group_create_table(struct tce_group *g, const struct tce_window_req *req,
				   struct tce_iommu_table **out);

/*
 * tce_group_set_window() - program slot @num of an owned group with @t.
 * pseries: @t must be the table create_table made for this group's slot,
 * already programmed (a no-op); powernv: any compatible table, which may
 * back several groups; setting the slot's own table again is a no-op.
 * Return: 0; -EINVAL (@num not a slot of the PE, @t NULL; powernv: a page
 * size or level count the PE does not take, a table of another platform, a
 * bus placement the slot does not decode); -EPERM (not owned; the legacy
 * profile; pseries: another table); -EBUSY (powernv: the slot holds another
 * table); -ENOMEM; -EIO (the firmware failed).
 * Context: takes the group's lock for writing; powernv: takes the table's
 * locks and calls the firmware (tce_fw_map_window()). On success the group
 * holds a reference on @t until the slot is unset.
 */
TCE_API int tce_group_set_window(struct tce_group *g, uint32_t num, struct tce_iommu_table *t);

/*
 * tce_group_unset_window() - clear every TCE of slot @num's table (pseries
 * always; powernv when this PE is the table's last), then disable the slot
 * and drop the group's reference (no-op when empty). Cleared pages go to
 * the table's release callback. pseries: the table is cut off first (calls
 * in flight through it finish; later ones fail -ENODEV), then the window is
 * removed (RTAS); when no window is left the hypervisor's default window is
 * removed too.
 * Return: 0; -EINVAL (@num above 1); -EPERM (not owned; the legacy
 * profile); the platform's error (-EIO, -EINVAL: the firmware or hypervisor
 * failed), in which case the slot is still left empty.
 * Context: takes the group's lock for writing; calls the hypervisor or
 * firmware and the release callback; pseries: waits for calls in flight
 * through the table.
 */
TCE_API int tce_group_unset_window(struct tce_group *g, uint32_t num);

/*
 * tce_group_take_ownership() - hand the PE to an external owner: the
 * kernel's DMA objects and windows go (TCEs cleared first), its devices'
 * DMA API refuses to map (-EBUSY).
 * Return: 0; -EBUSY if already owned or the kernel still has live mappings
 * or coherent buffers; -ENODEV (legacy: no default window); -ENOMEM
 * (legacy: the owner's table object); the platform's error (-EIO, -EINVAL:
 * the hypervisor or firmware failed), after which the
 * kernel's default configuration is restored; if even that fails the group
 * is left owned and must be released with tce_group_release_ownership().
 * Context: takes the group's lock for writing; calls the hypervisor or
 * firmware; legacy: allocates.
 */
TCE_API int tce_group_take_ownership(struct tce_group *g);

/*
 * tce_group_get_table() - a reference to the table in slot @num of an owned
 * group (what VFIO v1 borrows on the legacy profile: the default window).
 * Return: 0; -EINVAL (@num above 1, @out NULL); -EPERM (not owned); -ENOENT
 * (the slot is empty).
 * Context: takes the group's lock for reading; never blocks otherwise. Put
 * the reference with tce_iommu_table_put().
 */
TCE_API int tce_group_get_table(struct tce_group *g, uint32_t num, struct tce_iommu_table **out);

/*
 * tce_group_release_ownership() - give the PE back to the kernel: unset what
 * the owner left (TCEs cleared, old pages to the release callbacks), restore
 * the default window (pseries: an RTAS reset; powernv: and the bypass) and
 * the kernel's DMA.
 * Return: 0; -EINVAL if not owned; the platform's error (-EIO, -ENOMEM)
 * when the default configuration cannot be restored, or (legacy) what the
 * owner left cannot be cleared: the group then stays owned, without kernel
 * DMA, and the call may be retried.
 * Context: takes the group's lock for writing; allocates; calls the
 * hypervisor or firmware and release callbacks; waits for calls in flight
 * through the owner's pseries and legacy tables. Table references the owner
 * still holds stay valid until put; on pseries and legacy an xchg, get,
 * clear or update through them then fails -ENODEV (they never reach the
 * kernel's window; a kill or a mirror slot, which reach no window, still
 * succeed).
 */
TCE_API int tce_group_release_ownership(struct tce_group *g);

/*
 * tce_group_owned() - whether @g has an external owner.
 * Return: true while owned; the answer may be stale once it is returned.
 * Context: takes the group's lock for reading.
 */
TCE_API bool tce_group_owned(struct tce_group *g);

/*
 * PE-level EEH of a group (what VFIO_EEH_PE_OP does; spec vfio.md §1.5).
 * The state machine: a DMA fault, a master abort or an injected error
 * freezes MMIO and DMA (STOPPED); unfreezing MMIO gives STOPPED_DMA, then
 * unfreezing DMA NORMAL; a hot or fundamental reset freezes the PE and
 * reads RESET until deactivated, which resets its functions and gives
 * NORMAL. While MMIO is frozen, config and BAR reads of the PE's functions
 * return all ones and writes are dropped; while DMA is frozen, device DMA
 * fails. The calls that reach the PE take the group's lock for reading and
 * call the firmware (pseries and legacy: RTAS; powernv: the OPAL-style
 * calls); none needs the group to be owned.
 */

/*
 * tce_group_eeh_enable() - enable EEH on the PE: changes nothing, as a
 * modern kernel's eeh_pe_set_option(EEH_OPT_ENABLE) (EEH stays on).
 * Return: 0, always.
 * Context: any thread; no lock, no firmware call.
 */
TCE_API int tce_group_eeh_enable(struct tce_group *g);

/*
 * tce_group_eeh_disable() - as tce_group_eeh_enable(), for disabling: EEH
 * stays on.
 * Return: 0, always.
 * Context: any thread; no lock, no firmware call.
 */
TCE_API int tce_group_eeh_disable(struct tce_group *g);

/*
 * tce_group_eeh_configure() - configure the PE after a reset: nothing to
 * do, as a modern kernel's eeh_pe_configure().
 * Return: 0, always.
 * Context: any thread; no lock, no firmware call.
 */
TCE_API int tce_group_eeh_configure(struct tce_group *g);

/*
 * tce_group_eeh_get_state() - the PE's state in *@state: TCE_EEH_PE_STATE_
 * NORMAL, RESET, STOPPED, STOPPED_DMA or UNAVAIL (MMIO frozen, DMA not).
 * Return: 0; -EINVAL (@state NULL); -ENOENT (pseries: the firmware offers no
 * ibm,read-slot-reset-state2); -EIO (the firmware failed).
 * Context: takes the group's lock for reading; calls the firmware, which
 * takes the PE's lock; never blocks otherwise.
 */
TCE_API int tce_group_eeh_get_state(struct tce_group *g, uint32_t *state);

/*
 * tce_group_eeh_unfreeze_mmio() - thaw the PE's MMIO side (a STOPPED PE
 * becomes STOPPED_DMA). It does not end a reset.
 * Return: 0; -ENOENT (pseries: no ibm,set-eeh-option); -EIO (the firmware
 * failed).
 * Context: as tce_group_eeh_get_state().
 */
TCE_API int tce_group_eeh_unfreeze_mmio(struct tce_group *g);

/*
 * tce_group_eeh_unfreeze_dma() - as tce_group_eeh_unfreeze_mmio(), for the
 * DMA side (clearing the last freeze forgets the recorded fault).
 * Return: 0; -ENOENT (pseries: no ibm,set-eeh-option); -EIO.
 * Context: as tce_group_eeh_get_state().
 */
TCE_API int tce_group_eeh_unfreeze_dma(struct tce_group *g);

/*
 * tce_group_eeh_reset() - @kind TCE_EEH_RESET_HOT or _FUNDAMENTAL asserts
 * a reset (the PE freezes and reads RESET); TCE_EEH_RESET_DEACTIVATE ends
 * it (the PE's functions go back to power-on state, the PE to NORMAL).
 * Return: 0; -EINVAL for another @kind; -ENOENT (pseries: no
 * ibm,set-slot-reset); -EIO.
 * Context: takes the group's lock for reading; calls the firmware, which
 * takes the PE's and, when deactivating, the functions' locks; may block
 * for a device's copy in flight.
 */
TCE_API int tce_group_eeh_reset(struct tce_group *g, uint32_t kind);

/*
 * tce_group_eeh_inject() - inject an error of @type (TCE_EEH_ERR_TYPE_32
 * or _64) and function @func (TCE_EEH_ERR_FUNC_*, 0..19) at @addr under
 * @mask. powernv arms the PHB: the next access of a function of the PE
 * that matches freezes it. pseries (the 2024 kernel) accepts only the MMIO
 * functions LD/ST MEM ADDR/DATA (0, 1, 6, 7) and freezes the PE at once,
 * by turning off memory decode of each of its functions and loading from
 * BAR 0 (the address and mask are not used).
 * Return: 0; -EINVAL (type or function out of range); -ERANGE (pseries: not
 * an MMIO function); -EIO (powernv: the firmware failed).
 * Context: takes the group's lock for reading; powernv: calls the firmware
 * (the PE's lock); pseries: config and BAR accesses of the PE's functions
 * (their locks and the PE's). Never blocks otherwise.
 */
TCE_API int tce_group_eeh_inject(struct tce_group *g, uint32_t type, uint32_t func, uint64_t addr,
				 uint64_t mask);

/*
 * An owner's release of a page a TCE pointed at, called once per replaced or
 * cleared non-empty TCE, always after the TCE cache was killed for it
 * (DECISIONS 10): @idx the entry, @real the old page, @dirty when the old
 * direction let the device write the page (the kernel's SetPageDirty). It
 * runs on the thread that replaced or cleared the entry and must not call
 * back into the table's group.
 */
typedef void (*tce_release_fn)(void *arg, uint64_t idx, uint64_t real, bool dirty);

/* An IOMMU table as the owner of a window uses it. */
struct tce_iommu_table_info {
	uint64_t bus_offset, window_size;
	uint64_t first_idx, entries; /* the entries the owner may use */
	uint32_t page_shift, levels;
};

/*
 * tce_iommu_table_info() - the geometry of @t, written to @out.
 * Context: any thread; no lock (the geometry never changes).
 */
TCE_API void tce_iommu_table_info(const struct tce_iommu_table *t, struct tce_iommu_table_info *out);

/*
 * tce_iommu_table_put() - drop a reference of tce_group_create_table() or
 * tce_group_get_table(). NULL is accepted. The last one frees the table
 * (and its mirror) and refunds what create_table charged through the
 * accounting hook; it does not clear its TCEs (unset the window first).
 * Context: any thread; the count is atomic. The last put must not race with
 * other calls on the table; it calls the accounting hook.
 */
TCE_API void tce_iommu_table_put(struct tce_iommu_table *t);

/*
 * Entry access for an owner: indexes are absolute and checked against the
 * table's entries (which may be fewer than its window holds).
 */

/*
 * tce_iommu_table_xchg() - atomically replace entry @idx, without killing
 * cached translations: exchange a batch, tce_iommu_table_kill() it once,
 * then release the old pages (DECISIONS 10).
 * @real: in, the new real address (page aligned; ignored for
 * TCE_DIR_NONE); out, the old one.
 * @dir: in, the new direction; out, the old one (powernv: a FROM_DEVICE
 * entry reads back BIDIRECTIONAL, the PHB needing READ with WRITE).
 * Return: 0; -EINVAL (index outside, bad direction, misaligned @real;
 * pseries: the hypervisor refused the TCE, e.g. a page in no region);
 * -ENOMEM (a level cannot be allocated); -EIO (the hypervisor failed);
 * -ENODEV (pseries and legacy: the table was cut off from its window by an
 * unset, a release or host teardown; it never reaches a window opened later
 * under the same LIOBN, nor the kernel's). On error the entry and the
 * outputs are unchanged.
 * Context: pseries: H_GET_TCE then H_PUT_TCE under the table's lock (the
 * hypervisor kills its cache itself); powernv: lock-free, may allocate. The
 * release callback is not called.
 */
TCE_API int tce_iommu_table_xchg(struct tce_iommu_table *t, uint64_t idx, uint64_t *real,
				 enum tce_dir *dir);

/*
 * tce_iommu_table_kill() - invalidate cached translations of @npages
 * entries from @idx in every PE the table is programmed into.
 * Return: 0; -EINVAL if the range (or @npages 0) is outside the table.
 * Context: powernv: takes the table's lock and calls tce_fw_tce_kill() for
 * each linked PE; pseries: nothing to do. Never blocks otherwise.
 */
TCE_API int tce_iommu_table_kill(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);

/*
 * tce_iommu_table_get() - the raw TCE of entry @idx in *@tce (0 when empty;
 * pseries: as the hypervisor stored it, poison values included).
 * Return: 0; -EINVAL for an index outside the table; pseries: the
 * hypervisor's error (-EIO); -ENODEV once the table was cut off (pseries
 * and legacy, as tce_iommu_table_xchg()).
 * Context: pseries: one H_GET_TCE; powernv: a lock-free read.
 */
TCE_API int tce_iommu_table_get(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce);

/*
 * tce_iommu_table_clear() - empty @npages entries from @idx and kill them.
 * With a release callback, populated entries are exchanged in batches of
 * 256, each batch killed, then each old page released; without one, the
 * platform clears the range (pseries: H_STUFF_TCE, skipping chunks never
 * written).
 * Return: 0; -EINVAL if the range (or @npages 0) is outside the table;
 * -ENODEV (the table was cut off, as tce_iommu_table_xchg(); nothing is
 * cleared: the unset or release that cut it off clears the window); the
 * first hypervisor failure (-EIO), after going on with the rest: the
 * entries it could not clear keep their pages (nothing released for them),
 * so a retry finishes the job.
 * Context: calls the hypervisor (pseries; the xchg pairs under the table's
 * lock) or the firmware's kill (powernv, under the table's lock) and the
 * release callback.
 */
TCE_API int tce_iommu_table_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);

/*
 * tce_iommu_table_mirror_slot() - the mirror slot of entry @idx (a
 * big-endian userspace address), allocating an absent mirror level with
 * @alloc (pseries: a flat array, always present). Access the slot with
 * atomic 64-bit loads and stores.
 * Return: 0 with *@slot; -EINVAL for an index outside the table;
 * -EOPNOTSUPP if the table has no mirror (a kernel table); -ENOENT (powernv:
 * the level is absent and @alloc false); -ENOMEM.
 * Context: lock-free. The slot lives as long as the table.
 */
TCE_API int tce_iommu_table_mirror_slot(struct tce_iommu_table *t, uint64_t idx, bool alloc,
					uint64_t **slot);

/*
 * tce_iommu_table_set_release() - the callback that receives every page
 * this table's updates, clears and unsets replace (NULL: none), with @arg,
 * which must stay valid while it is set. Set it before the table is shared
 * between threads.
 * Context: not synchronised with updates: no update, clear or unset of the
 * table may run meanwhile.
 */
TCE_API void tce_iommu_table_set_release(struct tce_iommu_table *t, tce_release_fn fn, void *arg);

/*
 * tce_iommu_table_update() - point @npages entries from @idx at the pages
 * from @real with @dir (TCE_DIR_NONE clears them): every entry is exchanged,
 * the TCE cache is killed once, then each old page goes to the release
 * callback. Return: 0; -EINVAL (range outside the table, misaligned or
 * wrapping @real, bad direction); -ENOMEM; the platform's error (pseries:
 * -EIO; -ENODEV once the table was cut off, as tce_iommu_table_xchg()). On error
 * every entry is as it was and nothing is released.
 * Context: may block (pseries: hcalls under the table's lock; powernv:
 * firmware kills under it); allocates above 64 entries; calls the release
 * callback, after the kill.
 */
TCE_API int tce_iommu_table_update(struct tce_iommu_table *t, uint64_t idx, uint64_t npages,
				   uint64_t real, enum tce_dir dir);

/* How a device's DMA is translated at the moment. */
enum tce_dma_mode {
	TCE_DMA_DEFAULT = 0, /* the default (32-bit) window, through the allocator */
	TCE_DMA_DYNAMIC = 1, /* a dynamic window too small for all RAM, through the allocator */
	TCE_DMA_DIRECT = 2,  /* a dynamic window mapping all RAM: bus = base + real */
	TCE_DMA_BYPASS = 3,  /* powernv real-mode window: bus = 2^59 + real */
	TCE_DMA_OWNED = 4,   /* the group has an external owner: no kernel DMA */
};

struct tce_device_dma_info {
	enum tce_dma_mode mode;
	uint64_t bus_start, size; /* the window the device maps into */
	uint32_t page_shift, slot;
	bool ddw_failed;          /* enabling a dynamic window failed once (not retried) */
};

/*
 * tce_device_group() - the IOMMU group (PE) @d belongs to.
 * Return: the group; it lives until tce_host_destroy().
 * Context: any thread; no lock.
 */
TCE_API struct tce_group *tce_device_group(struct tce_device *d);

/*
 * tce_device_pci() - the machine's PCI function behind @d (for device DMA,
 * config and BAR access).
 * Return: the function; it lives until tce_machine_destroy().
 * Context: any thread; no lock.
 */
TCE_API struct tce_pci_dev *tce_device_pci(struct tce_device *d);

/*
 * tce_device_dma_info() - how @d's DMA is translated now, written to @out:
 * the mode its mask and its group select, and the window it maps into
 * (none while owned; page_shift 0 for the bypass).
 * Context: takes the group's lock for reading; the answer may be stale once
 * it is returned.
 */
TCE_API void tce_device_dma_info(struct tce_device *d, struct tce_device_dma_info *out);

/*
 * tce_device_set_dma_mask() - the driver's DMA mask (32 bits at boot). A
 * mask of 64 bits enables a dynamic window (pseries, spec kernel.md §7.5:
 * direct mapping of all RAM when the window covers it, dynamic otherwise; a
 * single-slot PE gives up its default window; a failure falls back to the
 * default window and is remembered: tce_device_dma_info().ddw_failed) or
 * the bypass window (powernv, when it covers RAM).
 * Return: 0, also when the dynamic window could not be enabled; -EINVAL for
 * mask 0; -EBUSY while the group is owned.
 * Context: takes the group's lock for reading, and for writing when it
 * enables a dynamic window: then allocates and calls the hypervisor (RTAS,
 * hcalls for the direct mapping); may block.
 */
TCE_API int tce_device_set_dma_mask(struct tce_device *d, uint64_t mask);

/*
 * The kernel DMA API of a device (see tce_dma_*): real addresses are the
 * machine's. In the default and dynamic modes mappings go through the
 * window's DMA object (the PHB's 32-bit MMIO range is never handed out); in
 * the direct and bypass modes the bus address is the window's base plus the
 * real address, for RAM only, and the mapping is recorded so that an unmap
 * must name it exactly (DECISIONS 24).
 */

/*
 * tce_device_map_page() - map @size bytes at real address @real for @dir,
 * as tce_dma_map_page(); a 64-bit mask first enables a dynamic window as
 * tce_device_set_dma_mask() does.
 * Return: 0 and *@bus; -EBUSY while the group is owned; -ENODEV when the
 * device's mode has no window (a 32-bit device on a PE that gave up its
 * default window); -EINVAL (size 0, bad direction, a wrapping range; direct
 * and bypass: a range beyond RAM); -ENOSPC; -ENOMEM; the platform's error
 * (-EIO, -EINVAL: the hypervisor refused).
 * Context: as tce_device_set_dma_mask() when it enables a window; then the
 * group's lock for reading, pool and record locks; calls the hypervisor
 * (pseries hcalls) or the firmware's TCE kill (powernv).
 */
TCE_API int tce_device_map_page(struct tce_device *d, uint64_t real, uint64_t size,
				enum tce_dir dir, uint64_t *bus);

/*
 * tce_device_unmap_page() - undo tce_device_map_page() with the @bus it
 * returned and the @size it was given.
 * Return: 0; -EBUSY while the group is owned; -EINVAL if no live mapping
 * has exactly this bus address and size (nothing is cleared).
 * Context: takes the group's lock for reading, record and pool locks;
 * calls the hypervisor or the firmware's TCE kill; never allocates.
 */
TCE_API int tce_device_unmap_page(struct tce_device *d, uint64_t bus, uint64_t size);

/*
 * tce_device_map_sg() - map a scatter list as tce_dma_map_sg() (direct and
 * bypass: one output segment per non-empty element, none merged); a 64-bit
 * mask first enables a dynamic window. Unmap with tce_device_unmap_sg().
 * Return: 0 and *@mapped; -EINVAL (@nents 0, no non-empty element, a
 * wrapping element; default and dynamic: a bad direction; direct and
 * bypass: an element beyond RAM); -EBUSY; -ENODEV; -ENOSPC; -ENOMEM; the
 * platform's error. On error nothing stays mapped.
 * Context: as tce_device_map_page(); allocates the list's record.
 */
TCE_API int tce_device_map_sg(struct tce_device *d, struct tce_sg *sg, unsigned nents,
			      enum tce_dir dir, unsigned *mapped);

/*
 * tce_device_unmap_sg() - unmap the output of tce_device_map_sg(): the
 * segments up to @nents or the first with dma_length 0 must be exactly
 * those one call produced.
 * Return: 0; -EINVAL (@sg NULL, @nents 0, an empty first segment, segments
 * that are not exactly one live list: nothing is cleared); -EBUSY while the
 * group is owned.
 * Context: as tce_device_unmap_page().
 */
TCE_API int tce_device_unmap_sg(struct tce_device *d, struct tce_sg *sg, unsigned nents);

/*
 * tce_device_alloc_coherent() - a zeroed buffer of kernel memory (the
 * machine's RAM, as tce_host_alloc(), aligned to the window's IOMMU page)
 * mapped for @d BIDIRECTIONAL, naturally aligned on the bus.
 * Return: 0 with its real address, host pointer and bus address (@real,
 * @cpu and @bus are all required); -EINVAL (size 0 or above 1 TiB, or above
 * the DMA object's coherent limit); -ENOMEM (kernel memory exhausted, or a
 * record); -ENOSPC; -EBUSY while the group is owned; -ENODEV; the
 * platform's error. On error nothing stays allocated or mapped.
 * Context: as tce_device_map_page(). The buffer is the caller's until
 * tce_device_free_coherent().
 */
TCE_API int tce_device_alloc_coherent(struct tce_device *d, uint64_t size, uint64_t *real,
				      void **cpu, uint64_t *bus);

/*
 * tce_device_free_coherent() - unmap and free a buffer of
 * tce_device_alloc_coherent(), given the same @size, @real and @bus.
 * Return: 0; -EBUSY while the group is owned; -EINVAL if they do not name
 * one live coherent buffer exactly (nothing is unmapped or freed); the
 * platform's error from the unmap.
 * Context: as tce_device_unmap_page(), then the kernel memory allocator's
 * locks. The host pointer is invalid once this returns 0.
 */
TCE_API int tce_device_free_coherent(struct tce_device *d, uint64_t size, uint64_t real,
				     uint64_t bus);


/*
 * tce_group_host() - the host @g belongs to.
 * Return: the host; it outlives the group.
 * Context: any thread; no lock.
 */
TCE_API struct tce_host *tce_group_host(const struct tce_group *g);

/* ------------------------------------------------------------------------ */
/* A generic IOMMU domain over TCE windows                                  */
/* ------------------------------------------------------------------------ */

/*
 * A domain is what the generic IOMMU API calls a paging domain (spec
 * kernel.md §5), built on the windows of owned groups: it attaches to one
 * or more groups of a host (taking them from the kernel) and owns one table
 * per window, set on every attached group. Its aperture is its windows
 * (window 0 at bus 0, window 1 at 2^59), its page-size bitmap the set of
 * the windows' page sizes. Sizes are in bytes; map() splits a range into
 * the largest supported pages that fit (iommu_pgsize()), each landing in
 * its window as TCEs of that window's page size.
 *
 * The guarantee on unmap: a TCE is the unit of a mapping, so the domain
 * never unmaps more than it is asked to. tce_domain_unmap() clears exactly
 * the live TCEs inside [iova, iova + size) and reports their bytes; calls
 * symmetric to maps unmap exactly what was mapped, and a range covering
 * part of a mapping unmaps that part only.
 *
 * The domain's mappings live while a group is attached: the tables are
 * made when the first group attaches and dropped (everything unmapped)
 * when the last one detaches. Pages leave a table only after the TCE cache
 * was killed for them (DECISIONS 10); a page whose TCE let the device
 * write is then recorded in the dirty log. See docs/domain.md.
 */
struct tce_domain;

/* The generic IOMMU API's prot flags (IOMMU_READ, IOMMU_WRITE). */
#define TCE_DOMAIN_READ 0x1u  /* the device may read the memory */
#define TCE_DOMAIN_WRITE 0x2u /* the device may write the memory */

/* One window of a domain: slot 0 at bus 0, slot 1 at bus 2^59. */
struct tce_domain_window {
	uint64_t size;       /* bytes, a power of two of at least one page; 0: no window */
	uint32_t page_shift; /* its IOMMU page, TCE_PAGE_SHIFT_MIN..MAX */
	uint32_t levels;     /* table levels; 0: the fewest whose blocks stay within 64 KiB
			      * (or the most the first group can create) */
};

struct tce_domain_config {
	struct tce_domain_window win[2]; /* win[0] required, win[1] optional */
};

/* What a domain is: its aperture as IOVA ranges and its page sizes. */
struct tce_domain_info {
	uint64_t pgsize_bitmap; /* bit n: pages of 2^n bytes (the windows' page sizes) */
	uint32_t nranges;       /* 1 or 2: the windows */
	uint32_t ngroups;       /* groups attached now */
	struct {
		uint64_t start, size; /* the IOVA range [start, start + size) */
		uint32_t page_shift;
		uint32_t levels;      /* the table's levels; 0 until a group is attached */
	} range[2];
};

/*
 * tce_domain_create() - a domain of @cfg's windows, with no group yet (its
 * mappings can be made once a group is attached).
 * Return: 0 with *@out; -EINVAL (a NULL argument; a window 0 of size 0; a
 * size that is not a power of two or smaller than its page; a page shift
 * out of range; levels above TCE_LEVELS_MAX; window 1 reaching 2^64);
 * -ENOMEM.
 * Context: allocates. The caller owns the domain: tce_domain_destroy().
 */
TCE_API int tce_domain_create(struct tce_ctx *ctx, const struct tce_domain_config *cfg,
			      struct tce_domain **out);

/*
 * tce_domain_destroy() - detach every group (as tce_domain_detach(), each
 * given back to the kernel) and free the domain. NULL is accepted.
 * Context: may block; takes the domain's lock and the groups' (as
 * detach). No other call on the domain may run or follow.
 */
TCE_API void tce_domain_destroy(struct tce_domain *d);

/*
 * tce_domain_attach() - take @g from the kernel (tce_group_take_ownership())
 * and set the domain's windows on it. The first group creates the tables
 * (one per window, on this group); each later one gets them set.
 * Return: 0; -EINVAL (NULL); -EBUSY (@g attached already; or owned, or the
 * kernel still maps through it: take_ownership's -EBUSY); -EPERM (@g of
 * another host than the attached groups; pseries: a second group, whose
 * hypervisor windows cannot hold another group's table); -ENOMEM; the
 * group's refusal of the windows (create_table, set_window: -EINVAL for a
 * page size, size or level count it does not take or a window it would
 * place elsewhere than the domain's aperture; -ENODEV; -EIO). On failure
 * @g is given back to the kernel and the domain is unchanged.
 * Context: takes the domain's lock, then the group's; allocates; calls the
 * hypervisor or firmware.
 */
TCE_API int tce_domain_attach(struct tce_domain *d, struct tce_group *g);

/*
 * tce_domain_detach() - unset the domain's windows on @g and give it back
 * to the kernel (tce_group_release_ownership()). Detaching the last group
 * unmaps everything first (pages released after the kill, writable ones
 * recorded in the dirty log) and drops the tables.
 * Return: 0; -EINVAL (NULL); -ENOENT (@g is not attached); -ENOMEM (no
 * room to record dirty pages: nothing changed). Once the group is off the
 * domain, a failure to give it back (-EIO, -ENOMEM) is returned too: @g
 * then stays owned and tce_group_release_ownership() may be retried.
 * Context: takes the domain's lock, then the group's; may block; calls the
 * hypervisor or firmware.
 */
TCE_API int tce_domain_detach(struct tce_domain *d, struct tce_group *g);

/*
 * tce_domain_info() - the domain's aperture, page sizes and groups in @out.
 * Context: takes the domain's lock.
 */
TCE_API void tce_domain_info(struct tce_domain *d, struct tce_domain_info *out);

/*
 * tce_domain_map() - map [@iova, @iova + @size) to real addresses from
 * @paddr with @prot (TCE_DOMAIN_READ and/or TCE_DOMAIN_WRITE). The range is
 * split as iommu_pgsize() does over the page-size bitmap: the largest page
 * that fits the alignment of iova | paddr and the remaining size, each
 * piece written as TCEs of its window's page.
 * Return: 0; -EINVAL (@iova, @paddr or @size not a multiple of the smallest
 * page; @size 0; a wrapping range; the range not inside one window; a
 * piece smaller than its window's page, i.e. iova, paddr or size not a
 * multiple of that window's page; @prot 0 or with other bits; pseries: a
 * real address the hypervisor refuses); -EEXIST (part of the range is
 * mapped already); -ENODEV (no group attached); -ENOMEM; -EIO (the
 * platform failed). A failure part-way unmaps what this call mapped and
 * changes nothing else (nothing enters the dirty log).
 * Context: takes the domain's lock; may block (hcalls, firmware kills);
 * allocates.
 */
TCE_API int tce_domain_map(struct tce_domain *d, uint64_t iova, uint64_t paddr, uint64_t size,
			   uint32_t prot);

/*
 * tce_domain_unmap() - unmap the live TCEs in [@iova, @iova + @size), with
 * their bytes in *@unmapped. The guarantee: never more than asked (never
 * above @size, never outside the range); holes are skipped, a mapping
 * partly inside loses that part only.
 * Return: 0; -EINVAL (@unmapped NULL; @size 0; @iova or @size not a
 * multiple of the window's page; a wrapping range or one not inside one
 * window); -ENODEV (no group attached); -ENOMEM (no room to record the
 * split or the dirty pages: nothing changed); -EIO (pseries: the hypervisor
 * failed): *@unmapped counts what was cleared, the rest stays mapped and a
 * retry finishes.
 * Context: takes the domain's lock; may block; allocates.
 */
TCE_API int tce_domain_unmap(struct tce_domain *d, uint64_t iova, uint64_t size,
			     uint64_t *unmapped);

/*
 * tce_domain_iova_to_phys() - the real address @iova translates to.
 * Return: 0 with *@phys; -ENOENT (not mapped); -EINVAL (@phys NULL).
 * Context: takes the domain's lock; never blocks otherwise.
 */
TCE_API int tce_domain_iova_to_phys(struct tce_domain *d, uint64_t iova, uint64_t *phys);

/*
 * tce_domain_dirty_read() - read and clear the dirty log of [@iova, @iova +
 * @size) into @bitmap, one bit per page of the domain's smallest page size
 * (bit i of word i / 64 for the page at @iova + i pages). A page is dirty
 * when a writable mapping of it was unmapped since the last read, or when
 * it is mapped writable now (a TCE has no dirty bit, so the device may
 * have written it: what the kernel's Type1 reports without dirty-tracking
 * hardware). Reading clears the first kind only.
 * Return: 0; -EINVAL (@bitmap NULL; @size 0; @iova or @size not a multiple
 * of the smallest page; the range not inside one window); -ENOMEM
 * (nothing read or cleared).
 * Context: takes the domain's lock; allocates.
 */
TCE_API int tce_domain_dirty_read(struct tce_domain *d, uint64_t iova, uint64_t size,
				  uint64_t *bitmap);

/*
 * tce_domain_dirty_log() - whether unmapped writable pages enter the dirty
 * log (@on, the default from creation) or not; either way the log is
 * emptied, so a log turned on holds only what is unmapped from now on
 * (what VFIO_IOMMU_DIRTY_PAGES_FLAG_START needs). Pages mapped writable
 * still read dirty (tce_domain_dirty_read()).
 * Context: takes the domain's lock.
 */
TCE_API void tce_domain_dirty_log(struct tce_domain *d, bool on);

/* ------------------------------------------------------------------------ */
/* VFIO: the SPAPR TCE container (v1 and v2)                                */
/* ------------------------------------------------------------------------ */

/*
 * The kernel's VFIO SPAPR TCE container (drivers/vfio/vfio_iommu_spapr_tce.c
 * with arch/powerpc/mm/book3s64/iommu_api.c), driven by the requests and
 * structs of <linux/vfio.h> through one decoder, tce_vfio_ioctl(). The
 * objects are those of a process using VFIO:
 *
 *   mm          a process: its table of open files (numbers like fds), its
 *               preregistered memory (shared by every container it owns)
 *               and its locked-memory account with a limit (RLIMIT_MEMLOCK);
 *   container   what opening /dev/vfio/vfio gives; an IOMMU type is set on
 *               it (VFIO_SET_IOMMU) once a group is attached;
 *   group       what opening /dev/vfio/<N> gives: one IOMMU group of a host,
 *               open in at most one file at a time;
 *   device      what VFIO_GROUP_GET_DEVICE_FD gives: vfio-pci's device fd
 *               (info, regions read and written, interrupts to eventfds,
 *               reset), one function opened however many files name it.
 *
 * Profiles follow the group (tce_group_info().dynamic_ops): groups with
 * dynamic-window ops (powernv, pseries with DDW) take SPAPR_TCE_v2 only,
 * legacy groups SPAPR_TCE (v1) only; the other type gets -EPERM. Memory is
 * the identity model (DECISIONS 25): a registered or mapped user address is
 * its own real address, so the machine must reach it (an identity region,
 * tce_machine_add_region()) for device DMA to land there, and on pseries
 * for MAP_DMA itself (the hypervisor refuses a TCE to memory it does not
 * have: -EINVAL). Every rule and errno: docs/vfio.md.
 */
struct tce_vfio_mm;

struct tce_vfio_mm_config {
	uint32_t page_shift;    /* the system page size, 12 or 16; 0 = 16 (a ppc64 host) */
	uint64_t memlock_limit; /* bytes of locked memory allowed (RLIMIT_MEMLOCK);
				 * 0 = unlimited (CAP_IPC_LOCK) */
};

/* What a file number names. */
enum tce_vfio_kind {
	TCE_VFIO_CONTAINER = 1,
	TCE_VFIO_GROUP = 2,
	TCE_VFIO_DEVICE = 3,
};

/*
 * tce_vfio_mm_create() - a process for VFIO: no open file, no registered
 * memory, nothing charged. @cfg may be NULL (64 KiB pages, no limit).
 * Return: 0 with *@out; -EINVAL (NULL @ctx or @out, a page shift other than
 * 0, 12 or 16); -ENOMEM.
 * Context: allocates. Destroy with tce_vfio_mm_destroy().
 */
TCE_API int tce_vfio_mm_create(struct tce_ctx *ctx, const struct tce_vfio_mm_config *cfg,
			       struct tce_vfio_mm **out);

/*
 * tce_vfio_mm_destroy() - the process exits: every file it has open is
 * closed (as tce_vfio_close()). NULL is accepted. Containers another mm
 * still has open (tce_vfio_share()) live on; the preregistered memory of
 * this mm goes with the last container that holds it.
 * Context: as tce_vfio_close() for each file; no other thread may use @mm.
 */
TCE_API void tce_vfio_mm_destroy(struct tce_vfio_mm *mm);

/*
 * tce_vfio_mm_locked() - the bytes @mm's locked-memory account holds:
 * registered memory, the tables of windows its containers created and v1's
 * enabled 32-bit windows, counted in whole system pages as locked_vm.
 * Return: the bytes (a multiple of the system page).
 * Context: takes the mm's lock for reading.
 */
TCE_API uint64_t tce_vfio_mm_locked(struct tce_vfio_mm *mm);

/*
 * tce_vfio_mm_pinned() - whether any of [@ua, @ua + @size) is memory the
 * kernel would keep pinned for @mm: registered (v2) or mapped by a v1 TCE.
 * A front end keeps such memory alive for the device even when the process
 * unmaps it.
 * Return: true when registered memory or a v1-mapped page overlaps the range.
 * Context: takes the mm's region lock for reading, then its pin lock.
 */
TCE_API bool tce_vfio_mm_pinned(struct tce_vfio_mm *mm, uint64_t ua, uint64_t size);

/*
 * tce_vfio_open_container() - open /dev/vfio/vfio: a new container, with no
 * group and no IOMMU type.
 * Return: the new file number (the lowest free, >= 0); -EINVAL for a NULL
 * @mm; -ENOMEM; -EMFILE when 65536 files are open.
 * Context: takes the mm's file lock; allocates.
 */
TCE_API int tce_vfio_open_container(struct tce_vfio_mm *mm);

/* A container's options (tce_vfio_open_container_config()). */
#define TCE_VFIO_TYPE1 0x1u /* offer VFIO_TYPE1v2_IOMMU over a domain (DECISIONS 26) */

struct tce_vfio_container_config {
	uint32_t flags;           /* 0 or TCE_VFIO_TYPE1 */
	uint32_t dma_entry_limit; /* Type1: mappings at most (DMA_AVAIL); 0 = 65535, the
				   * kernel's dma_entry_limit */
	/*
	 * Type1: the domain's windows (tce_domain_create()). All zero: window 0
	 * at bus 0 with 4 KiB pages covering a process's address space (2^47
	 * bytes), or, where the first group cannot create that, the largest
	 * power of two down to 4 GiB it can.
	 */
	struct tce_domain_config type1;
};

/*
 * tce_vfio_open_container_config() - tce_vfio_open_container() with
 * options: TCE_VFIO_TYPE1 makes the container a host that also offers VFIO
 * Type1v2 (CHECK_EXTENSION answers VFIO_TYPE1v2_IOMMU and VFIO_UNMAP_ALL;
 * VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU) makes a tce_domain of @cfg->type1 over
 * the container's groups). Without it (or with tce_vfio_open_container())
 * the container is a faithful POWER host: no Type1 (answers 0, SET_IOMMU of
 * a Type1 type is -ENODEV). The Type1 requests and their errnos are in
 * docs/vfio.md.
 * Return: as tce_vfio_open_container(); -EINVAL also for a NULL @cfg, other
 * flags, or type1 windows tce_domain_create() would refuse.
 * Context: as tce_vfio_open_container().
 */
TCE_API int tce_vfio_open_container_config(struct tce_vfio_mm *mm,
					   const struct tce_vfio_container_config *cfg);

/*
 * tce_vfio_open_group() - open /dev/vfio/<N> for the group @g: taking it
 * from the kernel (tce_group_take_ownership()) waits for
 * VFIO_GROUP_SET_CONTAINER.
 * Return: the new file number; -EINVAL for a NULL argument; -EBUSY when
 * the group is open already (in any mm); -ENOMEM; -EMFILE.
 * Context: takes the mm's file lock; allocates.
 */
TCE_API int tce_vfio_open_group(struct tce_vfio_mm *mm, struct tce_group *g);

/*
 * tce_vfio_close() - close file number @fd. The object goes with its last
 * reference: a group's last reference (file numbers, device files)
 * detaches it from its container (clearing the container's tables and
 * unsetting its windows on it) and gives it back to the kernel; a
 * container's last (file numbers, attached groups) releases its IOMMU
 * state.
 * Return: 0; -EBADF when @fd is not open in @mm.
 * Context: takes the mm's file lock, then, for the last reference, the
 * object's locks; calls the group's ops.
 */
TCE_API int tce_vfio_close(struct tce_vfio_mm *mm, int fd);

/*
 * tce_vfio_dup() - a second file number for the object @fd names (dup()).
 * Return: the new number; -EBADF; -ENOMEM; -EMFILE.
 * Context: takes the mm's file lock.
 */
TCE_API int tce_vfio_dup(struct tce_vfio_mm *mm, int fd);

/*
 * tce_vfio_share() - give the object @fd names in @from a file number in
 * @to (a file passed to another process, or inherited across fork): the
 * same container or group, used as another process. A container owned by
 * one mm answers -EPERM to the other (spec kernel.md §8.3).
 * Return: the number in @to; -EBADF; -EINVAL for a NULL mm; -ENOMEM;
 * -EMFILE.
 * Context: takes @from's file lock, then @to's.
 */
TCE_API int tce_vfio_share(struct tce_vfio_mm *from, int fd, struct tce_vfio_mm *to);

/*
 * tce_vfio_kind() - what file number @fd of @mm names.
 * Return: TCE_VFIO_CONTAINER, _GROUP or _DEVICE; -EBADF.
 * Context: takes the mm's file lock.
 */
TCE_API int tce_vfio_kind(struct tce_vfio_mm *mm, int fd);

/*
 * tce_vfio_ioctl() - the ioctl @request on file number @fd, as @mm's
 * process calls it, with the argument of <linux/vfio.h>: a pointer to the
 * request's struct (argsz first), a pointer to an int (GROUP_SET_CONTAINER),
 * a NUL-terminated name (GROUP_GET_DEVICE_FD) or a plain integer cast to a
 * pointer (CHECK_EXTENSION, SET_IOMMU). Dispatch is by the kind of file,
 * then by the container's IOMMU type; no byte past the caller's argsz is
 * read or written.
 * Return: what the kernel's ioctl returns, as a negative errno on failure:
 * a value >= 0 (0; an extension's answer; the EEH state of GET_STATE; the
 * new file number of GET_DEVICE_FD); -EBADF (@fd not open); -EFAULT (a
 * NULL pointer argument); -ENOTTY or -EINVAL for a request the object
 * does not know, as the kernel; every request's errno is in docs/vfio.md.
 * A request that fails changes nothing.
 * Context: takes the mm's file lock to find the file, then the object's
 * locks; map and unmap run in parallel with each other (one lock per
 * window); may block and allocate; calls the group's ops, the hypervisor
 * or firmware.
 */
TCE_API long tce_vfio_ioctl(struct tce_vfio_mm *mm, int fd, unsigned long request, void *arg);

/*
 * tce_vfio_iommu_type() - the IOMMU type set on container file @fd of @mm:
 * VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU, VFIO_TYPE1v2_IOMMU, or 0
 * before VFIO_SET_IOMMU (and again once its last group has left). Some
 * requests share a number (VFIO_IOMMU_SPAPR_REGISTER_MEMORY is
 * VFIO_IOMMU_DIRTY_PAGES): the type says which one a container serves.
 * Return: the type; -EBADF (@fd not open); -EINVAL (not a container).
 * Context: takes the container's lock for reading.
 */
TCE_API int tce_vfio_iommu_type(struct tce_vfio_mm *mm, int fd);

/*
 * tce_vfio_container_window() - the geometry of the DMA window of container
 * file @fd that holds bus address @iova, written to @out (bus_offset,
 * window_size, the entries the container may use, page_shift, levels): a
 * window CREATE made, the default one once it exists, or v1's borrowed
 * 32-bit window. A front end learns from it how many IOMMU pages a MAP_DMA
 * or UNMAP_DMA of @iova covers.
 * Return: 0; -EBADF (@fd not open in @mm, NULL @mm); -EINVAL (@out NULL,
 * not a container file); -ENXIO when no window of the container holds
 * @iova (none set up yet: no IOMMU type, the default window still pending).
 * Context: takes the mm's file lock, then the container's lock for reading;
 * never blocks otherwise. The window may be removed once it returns.
 */
TCE_API int tce_vfio_container_window(struct tce_vfio_mm *mm, int fd, uint64_t iova,
				      struct tce_iommu_table_info *out);

/*
 * tce_vfio_device_rw() - pread (@write false) or pwrite on a device file at
 * @offset: region index << 40 | offset in the region, as vfio-pci. BARs:
 * aligned accesses of 8, 4, 2 and 1 bytes, cut at the BAR's end; the MSI-X
 * table reads all ones and takes no write. Config space: as the function's
 * config space, the whole request inside it.
 * Return: the bytes done (fewer past a BAR's end, 0 for @len 0); -EBADF;
 * -EINVAL (not a device file, a region without data: ROM, VGA, an absent
 * BAR, an offset past a BAR's end); -EFAULT (a config access running past
 * the config space, @buf NULL).
 * Context: takes the mm's file lock, then the function's (device and PE)
 * locks; a BAR write may start a copy (see tce_dev_bar_write()).
 */
TCE_API ssize_t tce_vfio_device_rw(struct tce_vfio_mm *mm, int fd, uint64_t offset, void *buf,
				   size_t len, bool write);

/*
 * tce_vfio_device_mmap() - the memory an mmap of @len bytes at @offset of a
 * device file maps: a BAR whose size is a whole number of 4 KiB pages,
 * from a page-aligned offset, staying inside the BAR rounded up to pages.
 * Return: 0 with *@ptr (valid until the machine goes); -EBADF; -EINVAL
 * (not a device file, a region that cannot be mapped, bounds, @len 0,
 * @ptr NULL); as tce_dev_bar_map().
 * Context: takes the mm's file lock; may start the device thread.
 */
TCE_API int tce_vfio_device_mmap(struct tce_vfio_mm *mm, int fd, uint64_t offset, uint64_t len,
				 void **ptr);

/*
 * tce_vfio_device() - the host device a TCE_VFIO_DEVICE file names.
 * Return: 0 with *@out; -EBADF; -EINVAL (@out NULL, or not a device file).
 * Context: takes the mm's file lock. The device lives until its host goes.
 */
TCE_API int tce_vfio_device(struct tce_vfio_mm *mm, int fd, struct tce_device **out);

#ifdef __cplusplus
}
#endif

#endif /* TCE_H */
