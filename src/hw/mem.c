/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's real address space: region 0 is its RAM (its own, reserved
 * and untouched until used, or a VMM's callback), and up to 64 caller
 * regions sit above it in a sorted array guarded by a rwlock. Lookups turn a
 * real address into host memory one region at a time; a real address in no
 * region is never touched. Layer: hw.
 */
#include <errno.h>
#include <string.h>

#include "hw/hw_int.h"
#include "util/arith.h"

#define REGION_MIN_SHIFT 12
#define REGION_MAX_SHIFT 34
#define RAM_PAGE_SHIFT 12

/* The machine's own RAM as a memory model (what find_region reports for it). */
static void *ram_model(void *arg, uint64_t real, size_t len)
{
	struct tce_machine *m = arg;
	uint64_t end;

	if (tce__add_overflows(real, len, &end) || end > m->ram_size)
		return NULL;
	return m->ram + real;
}

/*
 * Writers must not starve behind a stream of DMA: on glibc a waiting writer
 * holds off new readers. That is safe because no thread ever takes the read
 * lock twice (callbacks must not call back into the machine).
 */
static int regions_lock_init(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;
	int rc;

	if (pthread_rwlockattr_init(&attr))
		return -ENOMEM;
#ifdef __GLIBC__
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	rc = pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return rc ? -ENOMEM : 0;
}

/* RAM is reserved, not touched: pages appear when DMA or a test writes them. */
int tce__mem_init(struct tce_machine *m, const struct tce_machine_config *cfg)
{
	if (regions_lock_init(&m->regions.lock))
		return -ENOMEM;
	m->regions_init = true;
	if (cfg->mem) {
		m->mem = cfg->mem;
		m->mem_arg = cfg->mem_arg;
		return 0;
	}
	m->ram = tce__pages_alloc(m->ctx, m->ram_size);
	if (!m->ram)
		return -ENOMEM;
	m->mem = ram_model;
	m->mem_arg = m;
	return 0;
}

void tce__mem_fini(struct tce_machine *m)
{
	tce__pages_free(m->ctx, m->ram, m->ram ? m->ram_size : 0);
	m->ram = NULL;
	if (!m->regions_init)
		return;
	tce__free(m->ctx, m->regions.r, (size_t)m->regions.cap * sizeof(*m->regions.r));
	pthread_rwlock_destroy(&m->regions.lock);
	m->regions_init = false;
}

/* Debug check that some thread holds the region lock (read or write). */
static __attribute__((unused)) bool regions_held(struct tce__regions *rs)
{
	if (pthread_rwlock_trywrlock(&rs->lock))
		return true;
	pthread_rwlock_unlock(&rs->lock);
	return false;
}

/* The number of regions starting at or below @real. Context: the region lock. */
static uint32_t regions_upto(const struct tce__regions *rs, uint64_t real)
{
	uint32_t lo = 0, hi = rs->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rs->r[mid].real_start <= real)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The caller region holding @real, or NULL. Context: the region lock. */
static const struct tce_mem_region *region_of(struct tce__regions *rs, uint64_t real)
{
	uint32_t i;

	tce__assert(regions_held(rs));
	i = regions_upto(rs, real);
	if (!i || real - rs->r[i - 1].real_start >= rs->r[i - 1].size)
		return NULL;
	return &rs->r[i - 1];
}

static void *region_mem(const struct tce_mem_region *r, uint64_t real, size_t len)
{
	return r->mem ? r->mem(r->mem_arg, real, len) : (void *)(uintptr_t)real;
}

void *tce__mem_piece(struct tce_machine *m, uint64_t real, uint64_t *len, bool *locked)
{
	const struct tce_mem_region *r;

	*len = tce__min_u64(*len, SIZE_MAX);
	if (real < m->ram_size) {
		*len = tce__min_u64(*len, m->ram_size - real);
		return m->ram ? m->ram + real : m->mem(m->mem_arg, real, (size_t)*len);
	}
	if (!*locked) {
		tce__regions_read_lock(m);
		*locked = true;
	}
	r = region_of(&m->regions, real);
	if (!r)
		return NULL;
	*len = tce__min_u64(*len, r->real_start + r->size - real);
	return region_mem(r, real, (size_t)*len);
}

/*
 * Every piece ends inside a region, and no region reaches 2^64, so real + piece
 * never wraps.
 */
bool tce__real_ok_slow(struct tce_machine *m, uint64_t real, uint64_t len)
{
	bool locked = false, ok = true;
	uint64_t piece;

	while (ok && len) {
		piece = len;
		ok = tce__mem_piece(m, real, &piece, &locked) != NULL;
		real += piece;
		len -= piece;
	}
	if (locked)
		tce__regions_read_unlock(m);
	return ok;
}

void *tce_machine_ram_ptr(struct tce_machine *m, uint64_t real_addr, size_t len)
{
	uint64_t got = len;
	bool locked = false;
	void *p;

	if (!len)
		return NULL;
	p = tce__mem_piece(m, real_addr, &got, &locked);
	if (locked)
		tce__regions_read_unlock(m);
	return got == len ? p : NULL;
}

/* ---- adding and removing caller regions ---- */

/* The fields alone: -EINVAL, or -EBUSY when the region overlaps RAM. */
static int region_check(const struct tce_machine *m, const struct tce_mem_region *r)
{
	uint64_t end;

	if (!r || r->page_shift < REGION_MIN_SHIFT || r->page_shift > REGION_MAX_SHIFT || !r->size ||
	    ((r->real_start | r->size) & tce__low_mask(r->page_shift)) ||
	    tce__add_overflows(r->real_start, r->size, &end))
		return -EINVAL;
	if (!r->mem && (uint64_t)(uintptr_t)(end - 1) != end - 1)
		return -EINVAL; /* identity: the range must be this process's addresses */
	return r->real_start < m->ram_size ? -EBUSY : 0;
}

/* Where @r goes in the sorted array, or -EBUSY if a neighbour overlaps it. Context: write lock. */
static int region_slot(const struct tce__regions *rs, const struct tce_mem_region *r, uint32_t *at)
{
	uint32_t i = regions_upto(rs, r->real_start);
	const struct tce_mem_region *prev = i ? &rs->r[i - 1] : NULL;

	if (prev && r->real_start - prev->real_start < prev->size)
		return -EBUSY;
	if (i < rs->n && rs->r[i].real_start - r->real_start < r->size)
		return -EBUSY;
	*at = i;
	return 0;
}

/* Room for one more region: the array doubles from 4 up to 64. Context: write lock. */
static int regions_reserve(struct tce_ctx *ctx, struct tce__regions *rs)
{
	uint32_t cap = rs->cap ? rs->cap * 2 : 4;
	struct tce_mem_region *r;

	if (rs->n < rs->cap)
		return 0;
	if (rs->n == TCE_MAX_MEM_REGIONS)
		return -ENOSPC;
	if (cap > TCE_MAX_MEM_REGIONS)
		cap = TCE_MAX_MEM_REGIONS;
	r = tce__malloc(ctx, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (rs->n)
		memcpy(r, rs->r, rs->n * sizeof(*r));
	tce__free(ctx, rs->r, (size_t)rs->cap * sizeof(*r));
	rs->r = r;
	rs->cap = cap;
	return 0;
}

int tce_machine_add_region(struct tce_machine *m, const struct tce_mem_region *r)
{
	struct tce__regions *rs = &m->regions;
	uint32_t at;
	int rc = region_check(m, r);

	if (rc)
		return rc;
	pthread_rwlock_wrlock(&rs->lock);
	rc = region_slot(rs, r, &at);
	if (!rc)
		rc = regions_reserve(m->ctx, rs);
	if (!rc) {
		memmove(&rs->r[at + 1], &rs->r[at], (rs->n - at) * sizeof(*r));
		rs->r[at] = *r;
		rs->n++;
	}
	pthread_rwlock_unlock(&rs->lock);
	return rc;
}

/* Taking the write lock waits for every reader: no DMA into the region is left in flight. */
int tce_machine_remove_region(struct tce_machine *m, uint64_t real_start, uint64_t size)
{
	struct tce__regions *rs = &m->regions;
	uint32_t i;
	int rc = -ENOENT;

	pthread_rwlock_wrlock(&rs->lock);
	i = regions_upto(rs, real_start);
	if (i && rs->r[i - 1].real_start == real_start && rs->r[i - 1].size == size) {
		memmove(&rs->r[i - 1], &rs->r[i], (rs->n - i) * sizeof(*rs->r));
		rs->n--;
		rc = 0;
	}
	pthread_rwlock_unlock(&rs->lock);
	return rc;
}

int tce_machine_find_region(struct tce_machine *m, uint64_t real, struct tce_mem_region *out)
{
	const struct tce_mem_region *r;
	int rc = -ENOENT;

	if (real < m->ram_size) {
		*out = (struct tce_mem_region){ .real_start = 0, .size = m->ram_size,
						.page_shift = RAM_PAGE_SHIFT, .mem = m->mem,
						.mem_arg = m->mem_arg };
		return 0;
	}
	tce__regions_read_lock(m);
	r = region_of(&m->regions, real);
	if (r) {
		*out = *r;
		rc = 0;
	}
	tce__regions_read_unlock(m);
	return rc;
}

/* The number of caller regions (for tce_machine_info). */
uint32_t tce__regions_count(const struct tce_machine *m)
{
	pthread_rwlock_t *lock = (pthread_rwlock_t *)&m->regions.lock;
	uint32_t n;

	pthread_rwlock_rdlock(lock);
	n = m->regions.n;
	pthread_rwlock_unlock(lock);
	return n;
}
