/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA API on one window (spec kernel.md §2.6): creation over a table
 * with the in-memory backend or a platform's, single-page map and unmap,
 * and coherent buffers. A backend failure frees the range it was given.
 * Every mapping is recorded (track.c), and an unmap or free must name one
 * exactly (its bus address, size and kind) before any TCE is cleared
 * (DECISIONS 24). Scatter lists are in sg.c. Layer: dma.
 */
#include <errno.h>

#include "dma/dma_int.h"
#include "util/arith.h"

#define DEFAULT_SEG_BOUNDARY (1ULL << 32) /* PCI devices: 4 GiB */
#define DEFAULT_MAX_SEG (64ULL << 10)   /* Linux's dma_get_max_seg_size() default */
#define COHERENT_MAX_ORDER 13           /* IOMAP_MAX_ORDER: order >= 13 is refused */

static int mem_set(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	return tce_table_set(arg, idx, npages, real, dir);
}

static void mem_clear(void *arg, uint64_t idx, uint64_t npages)
{
	tce_table_clear(arg, idx, npages);
}

static int mem_get(void *arg, uint64_t idx, uint64_t *tce)
{
	return tce_table_get(arg, idx, tce);
}

/* The in-memory backend: TCEs written straight into the table. */
static const struct tce_dma_ops mem_ops = { .set = mem_set, .clear = mem_clear, .get = mem_get };

/* The window: the table's, or, without one, the pool config's (a backend-owned table). */
static int window_of(const struct tce_dma_config *cfg, struct tce_table_config *tc)
{
	if (cfg->table) {
		tce_table_get_config(cfg->table, tc);
		return 0;
	}
	if (!cfg->ops || !cfg->pool.entries || cfg->pool.page_shift < TCE_PAGE_SHIFT_MIN ||
	    cfg->pool.page_shift > TCE_PAGE_SHIFT_MAX)
		return -EINVAL;
	*tc = (struct tce_table_config){ .first_idx = cfg->pool.first_idx,
					 .entries = cfg->pool.entries,
					 .page_shift = cfg->pool.page_shift };
	return 0;
}

static int config_grant(struct tce_dma_config *cfg, struct tce_table_config *tc)
{
	if (cfg->ops && (!cfg->ops->set || !cfg->ops->clear))
		return -EINVAL;
	if (cfg->seg_boundary && !tce__is_pow2(cfg->seg_boundary))
		return -EINVAL;
	if (window_of(cfg, tc))
		return -EINVAL;
	if (!cfg->seg_boundary)
		cfg->seg_boundary = DEFAULT_SEG_BOUNDARY;
	if (!cfg->max_seg_size)
		cfg->max_seg_size = DEFAULT_MAX_SEG;
	if (cfg->seg_boundary >> tc->page_shift == 0)
		return -EINVAL;
	if (!cfg->host_page_shift)
		cfg->host_page_shift = TCE_HOST_PAGE_SHIFT;
	if (cfg->host_page_shift != 12 && cfg->host_page_shift != 16)
		return -EINVAL;
	cfg->pool.first_idx = tc->first_idx;
	cfg->pool.entries = tc->entries;
	cfg->pool.page_shift = tc->page_shift;
	return 0;
}

int tce_dma_create(struct tce_ctx *ctx, struct tce_dma_config *cfg, struct tce_dma **out)
{
	struct tce_dma_config granted = *cfg;
	struct tce_table_config tc;
	struct tce_dma *d;
	int rc = config_grant(&granted, &tc);

	if (rc)
		return rc;
	d = tce__calloc(ctx, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = granted.ops ? granted.ops : &mem_ops;
	d->ops_arg = granted.ops ? granted.ops_arg : granted.table;
	if (!granted.strict && d->ops->flush) {
		granted.pool.lazy_flush = d->ops->flush;
		granted.pool.flush_arg = d->ops_arg;
	}
	d->ctx = ctx;
	rc = tce_pool_create(ctx, &granted.pool, &d->pool);
	if (!rc) {
		rc = tce__dma_track_init(d);
		if (rc)
			tce_pool_destroy(d->pool);
	}
	if (rc) {
		tce__free(ctx, d, sizeof(*d));
		return rc;
	}
	d->table = granted.table ? tce_table_hold(granted.table) : NULL;
	d->cfg = granted;
	d->page_shift = tc.page_shift;
	d->host_shift = granted.host_page_shift;
	*cfg = granted;
	*out = d;
	return 0;
}

void tce_dma_destroy(struct tce_dma *d)
{
	if (!d)
		return;
	tce__dma_track_fini(d);
	tce_pool_destroy(d->pool);
	tce_table_put(d->table);
	tce__free(d->ctx, d, sizeof(*d));
}

struct tce_pool *tce_dma_pool(struct tce_dma *d)
{
	return d->pool;
}

/* A backend call, and a fault point standing for a transient backend error. */
static int backend_set(struct tce_dma *d, uint64_t idx, uint64_t npages, uint64_t real,
		       enum tce_dir dir)
{
	if (tce__fault(d->ctx))
		return -EIO;
	return d->ops->set(d->ops_arg, idx, npages, real, dir);
}

int tce__dma_map_range(struct tce_dma *d, uint64_t real, uint64_t npages, uint32_t align_order,
		       enum tce_dir dir, uint64_t *handle, uint64_t *idx)
{
	struct tce_alloc_req req = { .npages = npages, .dma_mask = d->cfg.dma_mask,
				     .boundary = d->cfg.seg_boundary, .align_order = align_order,
				     .cpu = -1, .handle = *handle };
	uint64_t page_mask = tce__low_mask(d->page_shift);
	int rc = tce_pool_alloc(d->pool, &req, idx);

	if (rc)
		return rc;
	rc = backend_set(d, *idx, npages, real & ~page_mask, dir);
	if (rc) {
		tce_pool_free(d->pool, *idx, npages);
		tce__dbg(d->ctx, "dma: backend refused %llu entries: %d", (unsigned long long)npages,
			 rc);
		return rc;
	}
	*handle = req.handle;
	return 0;
}

void tce__dma_flush_strict(struct tce_dma *d)
{
	if (d->cfg.strict && d->ops->flush)
		d->ops->flush(d->ops_arg);
}

void tce__dma_unmap_range(struct tce_dma *d, uint64_t idx, uint64_t npages, bool flush)
{
	d->ops->clear(d->ops_arg, idx, npages);
	tce_pool_free(d->pool, idx, npages);
	if (flush)
		tce__dma_flush_strict(d);
}

/*
 * Record the mapping of [@bus, +@size) over @npages entries from @idx; if
 * it cannot be recorded, unmap it again. Returns 0 or -ENOMEM.
 */
static int record(struct tce_dma *d, uint32_t kind, uint64_t bus, uint64_t size, uintptr_t aux,
		  uint64_t idx, uint64_t npages)
{
	struct tce__dma_rec r = { .bus = bus, .size = size, .aux = aux, .kind = kind };
	int rc = tce__dma_track_add(d, &r);

	if (rc)
		tce__dma_unmap_range(d, idx, npages, true);
	return rc;
}

/* The caller names a page or coherent mapping: kind, bus, size (and buffer) all equal. */
static bool same_mapping(const struct tce__dma_rec *r, const void *arg)
{
	const struct tce__dma_rec *want = arg;

	return r->kind == want->kind && r->bus == want->bus && r->size == want->size &&
	       r->aux == want->aux;
}

/* Take the mapping @want names and unmap it; -EINVAL (logged) if there is none. */
static int unmap_exact(struct tce_dma *d, const struct tce__dma_rec *want)
{
	struct tce__dma_rec got;

	if (tce__dma_track_take(d, want->bus, same_mapping, want, &got)) {
		tce__err(d->ctx, "dma: unmap of [0x%llx, +0x%llx) matches no mapping",
			 (unsigned long long)want->bus, (unsigned long long)want->size);
		return -EINVAL;
	}
	tce__dma_unmap_range(d, got.bus >> d->page_shift,
			     tce__dma_pages(got.bus, got.size, d->page_shift), true);
	return 0;
}

uint32_t tce__dma_host_align(const struct tce_dma *d, uint64_t real, uint64_t size)
{
	uint64_t host_page = 1ULL << d->host_shift;

	if (d->page_shift < d->host_shift && size >= host_page && !(real & (host_page - 1)))
		return d->host_shift - d->page_shift;
	return 0;
}

static bool map_dir_valid(enum tce_dir dir)
{
	return dir == TCE_DIR_BIDIRECTIONAL || dir == TCE_DIR_TO_DEVICE ||
	       dir == TCE_DIR_FROM_DEVICE;
}

int tce_dma_map_page(struct tce_dma *d, uint64_t real, uint64_t size, enum tce_dir dir,
		     uint64_t *bus)
{
	uint64_t end, idx, handle = 0, npages, b;
	int rc;

	if (!size || !map_dir_valid(dir) || tce__add_overflows(real, size, &end))
		return -EINVAL;
	npages = tce__dma_pages(real, size, d->page_shift);
	rc = tce__dma_map_range(d, real, npages, tce__dma_host_align(d, real, size), dir, &handle,
				&idx);
	if (rc)
		return rc;
	b = (idx << d->page_shift) | (real & tce__low_mask(d->page_shift));
	rc = record(d, TCE__DMA_PAGE, b, size, 0, idx, npages);
	if (!rc)
		*bus = b;
	return rc;
}

int tce_dma_unmap_page(struct tce_dma *d, uint64_t bus, uint64_t size)
{
	struct tce__dma_rec want = { .bus = bus, .size = size, .kind = TCE__DMA_PAGE };

	return unmap_exact(d, &want);
}

/* Host pages of a coherent buffer, as a power of two: get_order(). */
static int coherent_order(const struct tce_dma *d, uint64_t size, uint32_t *order)
{
	uint64_t pages = tce__div_round_up(size, 1ULL << d->host_shift);

	*order = pages <= 1 ? 0 : tce__ilog2(pages - 1) + 1;
	return size && *order < COHERENT_MAX_ORDER ? 0 : -EINVAL;
}

/* get_iommu_order(): the buffer's bus alignment, naturally to its size. */
static uint32_t iommu_order(const struct tce_dma *d, uint64_t size)
{
	uint64_t pages = (size - 1) >> d->page_shift;

	return pages ? tce__ilog2(pages) + 1 : 0;
}

static size_t coherent_bytes(const struct tce_dma *d, uint32_t order)
{
	return (size_t)1 << (order + d->host_shift);
}

/* A coherent buffer starts on an IOMMU page and a host page. */
static size_t coherent_align(const struct tce_dma *d)
{
	return (size_t)1 << (d->page_shift > d->host_shift ? d->page_shift : d->host_shift);
}

/* Map a coherent buffer and record it as @kind (with @aux, the buffer of alloc_coherent). */
static int map_coherent(struct tce_dma *d, uint64_t real, uint64_t size, uint32_t kind,
			uintptr_t aux, uint64_t *bus)
{
	uint64_t handle = 0, idx, npages;
	uint32_t order;
	int rc = coherent_order(d, size, &order);

	if (rc || (real & tce__low_mask(d->page_shift)))
		return -EINVAL;
	npages = tce__dma_pages(0, size, d->page_shift);
	rc = tce__dma_map_range(d, real, npages, iommu_order(d, size), TCE_DIR_BIDIRECTIONAL,
				&handle, &idx);
	if (!rc)
		rc = record(d, kind, idx << d->page_shift, size, aux, idx, npages);
	if (!rc)
		*bus = idx << d->page_shift;
	return rc;
}

int tce_dma_map_coherent(struct tce_dma *d, uint64_t real, uint64_t size, uint64_t *bus)
{
	return map_coherent(d, real, size, TCE__DMA_PAGE, 0, bus);
}

int tce_dma_alloc_coherent(struct tce_dma *d, uint64_t size, void **cpu, uint64_t *bus)
{
	uint32_t order;
	size_t align;
	void *buf;
	int rc = coherent_order(d, size, &order);

	if (rc)
		return rc;
	align = coherent_align(d);
	buf = tce__aligned_zalloc(d->ctx, coherent_bytes(d, order), align);
	if (!buf)
		return -ENOMEM;
	rc = map_coherent(d, (uint64_t)(uintptr_t)buf, size, TCE__DMA_COHERENT, (uintptr_t)buf, bus);
	if (rc) {
		tce__aligned_free(d->ctx, buf, coherent_bytes(d, order), align);
		return rc;
	}
	*cpu = buf;
	return 0;
}

int tce_dma_free_coherent(struct tce_dma *d, uint64_t size, void *cpu, uint64_t bus)
{
	struct tce__dma_rec want = { .bus = bus, .size = size, .aux = (uintptr_t)cpu,
				     .kind = TCE__DMA_COHERENT };
	uint32_t order;
	int rc = coherent_order(d, size, &order);

	if (rc || !cpu)
		return -EINVAL;
	rc = unmap_exact(d, &want);
	if (!rc)
		tce__aligned_free(d->ctx, cpu, coherent_bytes(d, order), coherent_align(d));
	return rc;
}

void tce__dma_forget(struct tce_dma *d, const struct tce__dma_rec *r)
{
	const struct tce__dma_sgrec *s = (const struct tce__dma_sgrec *)r->aux;
	uint32_t order;
	unsigned i;

	if (r->kind == TCE__DMA_SG) {
		for (i = 0; i < s->nranges; i++)
			tce__dma_unmap_range(d, s->span[s->nsegs + i].a, s->span[s->nsegs + i].b, true);
		tce__dma_sgrec_free(d, (struct tce__dma_sgrec *)r->aux);
		return;
	}
	tce__dma_unmap_range(d, r->bus >> d->page_shift, tce__dma_pages(r->bus, r->size, d->page_shift),
			     true);
	if (r->kind == TCE__DMA_COHERENT && !coherent_order(d, r->size, &order))
		tce__aligned_free(d->ctx, (void *)r->aux, coherent_bytes(d, order),
				  coherent_align(d));
}

int tce_dma_check(struct tce_dma *d, uint64_t *mappings)
{
	struct tce_pool_stats st;
	uint64_t entries;
	int rc = tce_pool_check(d->pool, d->table);

	if (rc)
		return rc;
	tce__dma_track_count(d, mappings, &entries);
	tce_pool_stats(d->pool, &st);
	if (entries != st.allocated) {
		tce__err(d->ctx, "dma check: %llu mappings hold %llu entries, the allocator %llu",
			 (unsigned long long)*mappings, (unsigned long long)entries,
			 (unsigned long long)st.allocated);
		return -EIO;
	}
	return 0;
}
