/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pseries platform: TCEs of a table the hypervisor owns, written with
 * hcalls. set uses H_PUT_TCE for one entry and H_PUT_TCE_INDIRECT in chunks
 * of 512 from a per-thread list page in the machine's RAM; clear uses
 * H_STUFF_TCE in chunks of 512, skipping chunks never written (a bit per
 * chunk); exchange is H_GET_TCE then H_PUT_TCE under the table's lock. The
 * mirror is a flat array. Permissions are exactly the direction's (the
 * kernel's set path adds READ, and WRITE unless TO_DEVICE). Tables are
 * detachable (a removed window's table fails its owner's calls). Layer:
 * platform.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "platform/platform.h"
#include "util/arith.h"
#include "util/bitmap.h"

#define LIST_SLOTS 16
#define CHUNK TCE_INDIRECT_MAX

struct tce__pseries_lists {
	struct tce__lock lock[LIST_SLOTS];
	uint64_t real[LIST_SLOTS];
	uint64_t *host[LIST_SLOTS];
};

/* What a pseries table keeps beside the hypervisor's: written chunks. */
struct pseries_priv {
	uint64_t *dirty; /* bit c: chunk c (CHUNK entries) may hold TCEs */
	size_t dirty_bytes;
	size_t mirror_bytes;
};

int tce__pseries_lists_create(struct tce_machine *m, uint64_t real, void *host,
			      struct tce__pseries_lists **out)
{
	struct tce__pseries_lists *l = tce__calloc(tce_machine_ctx(m), sizeof(*l));
	unsigned i;

	if (!l)
		return -ENOMEM;
	for (i = 0; i < LIST_SLOTS; i++) {
		tce__lock_init(&l->lock[i], false);
		l->real[i] = real + i * TCE_INDIRECT_ALIGN;
		l->host[i] = (uint64_t *)((uint8_t *)host + i * TCE_INDIRECT_ALIGN);
	}
	*out = l;
	return 0;
}

void tce__pseries_lists_destroy(struct tce_ctx *ctx, struct tce__pseries_lists *l)
{
	unsigned i;

	if (!l)
		return;
	for (i = 0; i < LIST_SLOTS; i++)
		tce__lock_fini(&l->lock[i]);
	tce__free(ctx, l, sizeof(*l));
}

static unsigned my_list(void)
{
	uint64_t key = (uint64_t)(uintptr_t)pthread_self();

	return (unsigned)(((key * 0x9e3779b97f4a7c15ULL) >> 40) % LIST_SLOTS);
}

static struct pseries_priv *priv(struct tce_iommu_table *t)
{
	return (struct pseries_priv *)(t + 1);
}

static long hcall(struct tce_iommu_table *t, uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t *r4)
{
	uint64_t args[9] = { t->liobn, a1, a2, a3 };
	long rc = tce_hv_hcall(t->m, op, args);

	if (r4)
		*r4 = args[0];
	return rc;
}

static void mark_dirty(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	uint64_t first = (idx - t->first_idx) / CHUNK, last = (idx - t->first_idx + npages - 1) / CHUNK;

	for (; first <= last; first++)
		__atomic_fetch_or(&priv(t)->dirty[first / 64], 1ULL << (first % 64), __ATOMIC_RELAXED);
}

static bool chunk_dirty(struct tce_iommu_table *t, uint64_t c)
{
	return __atomic_load_n(&priv(t)->dirty[c / 64], __ATOMIC_RELAXED) & (1ULL << (c % 64));
}

/* H_STUFF_TCE(0) over [idx, idx + npages), one call per 512, whatever was written. */
static int stuff_zero(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	uint64_t n;
	long rc, first = TCE_H_SUCCESS;

	for (; npages; idx += n, npages -= n) {
		n = tce__min_u64(npages, CHUNK);
		rc = hcall(t, TCE_H_STUFF_TCE, idx << t->page_shift, 0, n, NULL);
		first = first == TCE_H_SUCCESS ? rc : first;
	}
	return tce__hcall_errno(first);
}

/*
 * Clear a range, skipping chunks never written; a chunk cleared whole is
 * marked clean again (not when its hcall failed). The first error.
 */
static int ps_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	uint64_t rel = idx - t->first_idx, end = rel + npages, c, lo, hi;
	int rc = 0, err;

	for (c = rel / CHUNK; c * CHUNK < end; c++) {
		if (!chunk_dirty(t, c))
			continue;
		lo = tce__max_u64(c * CHUNK, rel);
		hi = tce__min_u64((c + 1) * CHUNK, end);
		err = stuff_zero(t, t->first_idx + lo, hi - lo);
		rc = rc ? rc : err;
		if (!err && lo == c * CHUNK && (hi == (c + 1) * CHUNK || hi == t->entries))
			__atomic_fetch_and(&priv(t)->dirty[c / 64], ~(1ULL << (c % 64)),
					   __ATOMIC_RELAXED);
	}
	return rc;
}

/* The first entry at or after *@idx in a chunk that was written. */
static int ps_next(struct tce_iommu_table *t, uint64_t *idx, uint64_t end)
{
	uint64_t rel = *idx - t->first_idx, chunks = tce__div_round_up(t->entries, CHUNK);
	uint64_t c = tce__bitmap_next_set(priv(t)->dirty, rel / CHUNK, chunks);

	if (c == TCE_BITMAP_NONE || t->first_idx + c * CHUNK >= end)
		return -ENOENT;
	if (c * CHUNK > rel)
		*idx = t->first_idx + c * CHUNK;
	return 0;
}

/* H_PUT_TCE_INDIRECT chunks from one list page; clears what it wrote on failure. */
static int put_indirect(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t tce)
{
	struct tce__pseries_lists *l = t->lists;
	uint64_t step = 1ULL << t->page_shift, done = 0, n = 0, i;
	unsigned s = my_list();
	long rc = TCE_H_SUCCESS;

	tce__lock(&l->lock[s]);
	for (; done < npages && rc == TCE_H_SUCCESS; done += n) {
		n = tce__min_u64(npages - done, CHUNK);
		for (i = 0; i < n; i++)
			l->host[s][i] = htobe64(tce + (done + i) * step);
		rc = hcall(t, TCE_H_PUT_TCE_INDIRECT, (idx + done) << t->page_shift, l->real[s], n,
			   NULL);
	}
	tce__unlock(&l->lock[s]);
	if (rc != TCE_H_SUCCESS && done > n)
		stuff_zero(t, idx, done - n);
	return tce__hcall_errno(rc);
}

static int ps_set(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
		  enum tce_dir dir)
{
	uint64_t perm = tce_dir_to_perm(dir);

	if (!perm)
		return stuff_zero(t, idx, npages);
	mark_dirty(t, idx, npages);
	if (npages == 1)
		return tce__hcall_errno(hcall(t, TCE_H_PUT_TCE, idx << t->page_shift, real | perm, 0,
					      NULL));
	return put_indirect(t, idx, npages, real | perm);
}

static int ps_get(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce)
{
	return tce__hcall_errno(hcall(t, TCE_H_GET_TCE, idx << t->page_shift, 0, 0, tce));
}

static int ps_xchg(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir)
{
	uint64_t old, perm = tce_dir_to_perm(*dir);
	long rc;

	if (perm)
		mark_dirty(t, idx, 1);
	tce__lock(&t->lock);
	rc = hcall(t, TCE_H_GET_TCE, idx << t->page_shift, 0, 0, &old);
	if (rc == TCE_H_SUCCESS && (perm || old)) /* clearing an empty entry writes nothing */
		rc = hcall(t, TCE_H_PUT_TCE, idx << t->page_shift, perm ? *real | perm : 0, 0, NULL);
	tce__unlock(&t->lock);
	if (rc != TCE_H_SUCCESS)
		return tce__hcall_errno(rc);
	*real = old & ~tce__low_mask(t->page_shift);
	*dir = tce_perm_to_dir(old);
	return 0;
}

static void ps_invalidate(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	(void)t, (void)idx, (void)npages; /* the hypervisor invalidates in every hcall */
}

static int ps_mirror_slot(struct tce_iommu_table *t, uint64_t idx, bool alloc, uint64_t **slot)
{
	(void)alloc;
	if (!t->mirror)
		return -EOPNOTSUPP;
	*slot = &t->mirror[idx - t->first_idx];
	return 0;
}

static void ps_free(struct tce_iommu_table *t)
{
	tce__pages_free(t->ctx, t->mirror, priv(t)->mirror_bytes);
	tce__free(t->ctx, priv(t)->dirty, priv(t)->dirty_bytes);
}

static const struct tce__table_ops pseries_ops = {
	.set = ps_set,
	.xchg = ps_xchg,
	.clear = ps_clear,
	.next = ps_next,
	.get = ps_get,
	.invalidate = ps_invalidate,
	.mirror_slot = ps_mirror_slot,
	.free = ps_free,
};

static int alloc_priv(struct tce_iommu_table *t, bool mirror)
{
	struct pseries_priv *p = priv(t);

	p->dirty_bytes = tce__bitmap_words(tce__div_round_up(t->entries, CHUNK)) * 8;
	p->dirty = tce__calloc(t->ctx, p->dirty_bytes);
	if (!p->dirty)
		return -ENOMEM;
	if (!mirror)
		return 0;
	p->mirror_bytes = (t->entries * 8 + 4095) & ~(size_t)4095;
	t->mirror = tce__pages_alloc(t->ctx, p->mirror_bytes);
	return t->mirror ? 0 : -ENOMEM;
}

int tce__pseries_table(struct tce_machine *m, struct tce__pseries_lists *lists, uint32_t liobn,
		       uint64_t bus_offset, uint64_t entries, uint32_t page_shift, bool mirror,
		       struct tce_iommu_table **out)
{
	struct tce_ctx *ctx = tce_machine_ctx(m);
	struct tce_iommu_table *t = tce__calloc(ctx, sizeof(*t) + sizeof(struct pseries_priv));
	int rc;

	if (!t)
		return -ENOMEM;
	*t = (struct tce_iommu_table){ .ops = &pseries_ops, .m = m, .ctx = ctx, .liobn = liobn,
				    .bus_offset = bus_offset, .window_size = entries << page_shift,
				    .first_idx = bus_offset >> page_shift, .entries = entries,
				    .page_shift = page_shift, .levels = 1, .lists = lists,
				    .detachable = true,
				    .alloc_bytes = sizeof(*t) + sizeof(struct pseries_priv) };
	atomic_init(&t->refs, 1);
	tce__lock_init(&t->lock, false);
	tce__lock_init(&t->link_lock, false);
	rc = alloc_priv(t, mirror);
	if (rc) {
		tce__iotable_put(t);
		return rc;
	}
	*out = t;
	return 0;
}
