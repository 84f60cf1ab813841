/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The timed loops of `tce-bench shim`, written once and compiled twice: into
 * tce-bench, where they call tce_vfio_ioctl() in-process, and into the client
 * that tce-bench runs under tce-run, where they call the program's ioctl()
 * that the preload shim intercepts. Both sides therefore make exactly the
 * same requests with the same arguments in the same order; only the path of
 * the call differs. Layer: tools; uses <linux/vfio.h> and libc only (the
 * client is a third-party program as far as libtce is concerned).
 */
#ifndef TCE_BENCH_SHIM_LOOPS_H
#define TCE_BENCH_SHIM_LOOPS_H

#include <stdint.h>

/* Pages a call of the map rows, and the chunk loop's size (spec vfio.md, issue 11). */
#define SL_SIZES 3
#define SL_CHUNKS 16384u
#define SL_CHUNKS_QUICK 256u
#define SL_CHUNK_BYTES (64u << 10)
#define SL_PAGE_SHIFT 12u                /* the window's IOMMU page, 4 KiB */
#define SL_WINDOW_BYTES (4ull << 30)     /* one 1-level window at bus 0 */
#define SL_MAP_BYTES (1ull << 30)        /* registered once; the map rows' memory */
#define SL_T1_IOVA 0ull                  /* Type1: the domain's window 0 starts at bus 0 */

/*
 * How a loop reaches the container: @ioctl returns 0 (or a positive
 * answer) or a negative errno, as tce_vfio_ioctl() does.
 */
struct sl_target {
	long (*ioctl)(void *ctx, unsigned long req, void *arg);
	void *ctx;
	uint64_t win_start;  /* the window's first bus address (Type1: SL_T1_IOVA) */
	uint64_t map_ua;     /* SL_MAP_BYTES, registered (Type1: only mapped) */
	uint64_t chunk_ua;   /* SL_CHUNKS * SL_CHUNK_BYTES, not registered */
	const char *failed;  /* the request that failed, after an error */
};

/* CLOCK_MONOTONIC in ns. */
uint64_t sl_now_ns(void);

/*
 * @calls MAP_DMA calls of @n pages each, consecutive from the window's
 * start over the registered memory, timed into *@map_ns; then the same
 * ranges unmapped by @calls UNMAP_DMA calls, timed into *@unmap_ns.
 * Returns 0 or the first negative errno (t->failed names the request;
 * what was mapped is unmapped untimed).
 */
int sl_map_unmap(struct sl_target *t, uint64_t n, uint64_t calls, uint64_t *map_ns,
		 uint64_t *unmap_ns);

/*
 * The register+map loop of a POWER VFIO stress test: for each of @k chunks
 * of SL_CHUNK_BYTES, REGISTER_MEMORY then MAP_DMA of the chunk (timed into
 * *@setup_ns); then for each, UNMAP_DMA then UNREGISTER_MEMORY (timed into
 * *@teardown_ns). Returns 0 or the first negative errno (t->failed says
 * which; the run is not undone).
 */
int sl_chunks(struct sl_target *t, uint32_t k, uint64_t *setup_ns, uint64_t *teardown_ns);

#endif /* TCE_BENCH_SHIM_LOOPS_H */
