/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO Type1v2 over a domain (drivers/vfio/vfio_iommu_type1.c; spec vfio.md
 * §4; DECISIONS 26), offered only by a container opened with
 * TCE_VFIO_TYPE1: SET_IOMMU makes a tce_domain over the container's groups
 * (its windows are the IOVA ranges), MAP_DMA pins the process's pages
 * (identity memory: the real address is the user address) and maps them
 * through the domain, UNMAP_DMA removes whole mappings only (the v2 rule)
 * and writes back what it removed. The mappings are the kernel's vfio_dma
 * records, a sorted array. GET_INFO and DIRTY_PAGES: type1_info.c. Layer:
 * vfio.
 */
#include <errno.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/type1.h"

#define T1_DEFAULT_LIMIT 65535u /* the kernel's dma_entry_limit */
#define T1_VA_SHIFT 47          /* a process's address space: the chosen window 0 */
#define T1_MIN_SHIFT 32         /* the smallest window 0 tried */

/* ---- state ---- */

int tce__t1_init(struct tce__vtype1 *t, const struct tce_vfio_container_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->limit = T1_DEFAULT_LIMIT;
	if (cfg) {
		t->offered = cfg->flags & TCE_VFIO_TYPE1;
		t->limit = cfg->dma_entry_limit ? cfg->dma_entry_limit : T1_DEFAULT_LIMIT;
		t->cfg = cfg->type1;
	}
	return tce__lock_init(&t->lock, false);
}

void tce__t1_fini(struct tce__vtype1 *t)
{
	tce__lock_fini(&t->lock);
}

long tce__t1_check_extension(const struct tce__vcontainer *c, unsigned long ext)
{
	(void)c;
	return ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU || ext == VFIO_UNMAP_ALL;
}

uint32_t tce__t1_after(const struct tce__vtype1 *t, uint64_t iova)
{
	uint32_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].iova + t->v[mid].size <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool tce__t1_bisects(const struct tce__vtype1 *t, uint64_t iova, uint64_t last)
{
	uint32_t i = tce__t1_after(t, iova);

	if (i < t->n && t->v[i].iova < iova)
		return true;
	i = tce__t1_after(t, last);
	return i < t->n && t->v[i].iova <= last && t->v[i].iova + t->v[i].size - 1 != last;
}

/* ---- the domain ---- */

/* A domain of @cfg on the container's first group, not logging dirty pages. */
static int make_domain(struct tce__vcontainer *c, const struct tce_domain_config *cfg,
		       struct tce_domain **out)
{
	struct tce_domain *d;
	int rc = tce_domain_create(c->ctx, cfg, &d);

	if (rc)
		return rc;
	tce_domain_dirty_log(d, false);
	rc = tce__domain_attach_owned(d, tce__vc_group0(c));
	if (rc) {
		tce_domain_destroy(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* The configured windows, or window 0 of 4 KiB pages as large as the group takes. */
static int first_domain(struct tce__vcontainer *c, struct tce_domain **out)
{
	struct tce_domain_config cfg = c->t1.cfg;
	uint32_t shift = T1_VA_SHIFT;
	int rc;

	if (cfg.win[0].size)
		return make_domain(c, &cfg, out);
	cfg.win[0] = (struct tce_domain_window){ .size = 1ull << shift, .page_shift = 12 };
	rc = make_domain(c, &cfg, out);
	while (rc == -EINVAL && shift > T1_MIN_SHIFT) {
		cfg.win[0].size = 1ull << --shift;
		rc = make_domain(c, &cfg, out);
	}
	return rc;
}

/* iommu->pgsize_bitmap: sizes below the system page hidden, the system page added. */
static uint64_t reported_pgsizes(uint64_t pgsizes, uint32_t sys_shift)
{
	uint64_t sys = 1ull << sys_shift;

	if (pgsizes & (sys - 1))
		pgsizes = (pgsizes & ~(sys - 1)) | sys;
	return pgsizes;
}

int tce__t1_set(struct tce__vcontainer *c, struct tce_vfio_mm *caller, uint32_t type)
{
	struct tce__vtype1 *t = &c->t1;
	struct tce_domain_info di;
	struct tce_domain *d;
	uint32_t i;
	int rc = first_domain(c, &d);

	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "no Type1 domain could be made on the first "
					"group: %s", tce_strerror(rc));
	for (i = 1; i < c->ngroups && !rc; i++)
		rc = tce__domain_attach_owned(d, c->groups[i]->g);
	if (rc) {
		uint32_t failed = i - 1;

		for (i = failed; i-- > 0;)
			tce__domain_detach_owned(d, c->groups[i]->g);
		tce_domain_destroy(d);
		return (int)vfio_refuse(c->ctx, rc, "the container's group %u cannot join the "
					"Type1 domain: %s%s", failed, tce_strerror(rc),
					rc == -EPERM ? " (a pseries window serves one PE)" : "");
	}
	tce_domain_info(d, &di);
	t->dom = d;
	t->v2 = type == VFIO_TYPE1v2_IOMMU;
	t->pgsizes = reported_pgsizes(di.pgsize_bitmap, caller->mem.sys_page_shift);
	tce__vc_capture(c, caller);
	return 0;
}

int tce__t1_attach(struct tce__vcontainer *c, struct tce_group *g)
{
	int rc = tce__domain_attach_owned(c->t1.dom, g);

	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "the group cannot join the container's Type1 "
					"domain: %s%s", tce_strerror(rc), rc == -EPERM ?
					" (a pseries window serves one PE)" : "");
	return 0;
}

/* The pages of @m unpinned and refunded to the owner. */
static void unpin(struct tce__vcontainer *c, const struct tce__t1map *m)
{
	struct tce__mm *mem = &c->owner->mem;

	tce__pins_drop(&c->owner->pins, m->vaddr, m->size >> mem->sys_page_shift,
		       mem->sys_page_shift);
	tce__mm_charge(mem, -(int64_t)m->size);
}

void tce__t1_detach(struct tce__vcontainer *c, struct tce_group *g, bool last)
{
	struct tce__vtype1 *t = &c->t1;
	uint32_t i;

	/* The last group's leaving clears every TCE (after the kill) and unsets the windows. */
	tce__domain_detach_owned(t->dom, g);
	if (!last)
		return;
	for (i = 0; i < t->n; i++)
		unpin(c, &t->v[i]);
	t->n = 0;
}

void tce__t1_release(struct tce__vcontainer *c)
{
	struct tce__vtype1 *t = &c->t1;

	tce_domain_destroy(t->dom);
	t->dom = NULL;
	tce__free(c->ctx, t->v, t->cap * sizeof(*t->v));
	t->v = NULL, t->n = t->cap = 0;
	t->pgsizes = 0;
	t->dirty_tracking = false;
}

int tce__t1_window(struct tce__vcontainer *c, uint64_t iova, struct tce_iommu_table_info *out)
{
	struct tce_domain_info di;
	uint32_t i;

	tce_domain_info(c->t1.dom, &di);
	for (i = 0; i < di.nranges; i++) {
		if (iova < di.range[i].start || iova - di.range[i].start >= di.range[i].size)
			continue;
		*out = (struct tce_iommu_table_info){
			.bus_offset = di.range[i].start, .window_size = di.range[i].size,
			.first_idx = di.range[i].start >> di.range[i].page_shift,
			.entries = di.range[i].size >> di.range[i].page_shift,
			.page_shift = di.range[i].page_shift, .levels = di.range[i].levels };
		return 0;
	}
	return -ENXIO;
}

/* ---- MAP_DMA ---- */

/* Whether [iova, iova + size) lies inside one of the domain's windows. */
static bool in_aperture(struct tce__vcontainer *c, uint64_t iova, uint64_t size)
{
	struct tce_domain_info di;
	uint32_t i;

	tce_domain_info(c->t1.dom, &di);
	for (i = 0; i < di.nranges; i++) {
		uint64_t at = iova - di.range[i].start; /* the range's last byte may be 2^64 - 1 */

		if (iova >= di.range[i].start && at < di.range[i].size &&
		    size <= di.range[i].size - at)
			return true;
	}
	return false;
}

static int map_room(struct tce__vcontainer *c)
{
	struct tce__vtype1 *t = &c->t1;
	uint32_t want = t->cap ? t->cap * 2 : 16;
	struct tce__t1map *v;

	if (t->n < t->cap)
		return 0;
	v = tce__calloc(c->ctx, want * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (t->n)
		memcpy(v, t->v, t->n * sizeof(*v));
	tce__free(c->ctx, t->v, t->cap * sizeof(*v));
	t->v = v, t->cap = want;
	return 0;
}

/* Pin (account, record) the pages of @m and map them: all or nothing. */
static int pin_and_map(struct tce__vcontainer *c, const struct tce__t1map *m)
{
	struct tce__mm *mem = &c->owner->mem;
	uint32_t ss = mem->sys_page_shift, backing;
	int rc;

	if (tce__mm_backing(mem, m->vaddr, m->size, m->prot & TCE_DOMAIN_WRITE, &backing))
		return (int)vfio_refuse(c->ctx, -EFAULT, "[%#llx, +%s) is not all mapped %s memory",
					(unsigned long long)m->vaddr, tce__vsize(m->size).s,
					m->prot & TCE_DOMAIN_WRITE ? "writable" : "readable");
	rc = tce__mm_charge(mem, (int64_t)m->size);
	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "pinning %s would lock memory over "
					"RLIMIT_MEMLOCK (%s, %s locked already)",
					tce__vsize(m->size).s,
					tce__vsize(mem->limit_pages << ss).s,
					tce__vsize(tce__mm_locked_bytes(mem)).s);
	rc = tce__pins_add(&c->owner->pins, m->vaddr, m->size >> ss, ss);
	if (!rc) {
		rc = tce_domain_map(c->t1.dom, m->iova, m->vaddr, m->size, m->prot);
		if (rc)
			tce__pins_drop(&c->owner->pins, m->vaddr, m->size >> ss, ss);
	}
	if (rc) {
		tce__mm_charge(mem, -(int64_t)m->size);
		return (int)vfio_refuse(c->ctx, rc, "mapping [%#llx, +%s) through the domain "
					"failed: %s", (unsigned long long)m->iova,
					tce__vsize(m->size).s, tce_strerror(rc));
	}
	return 0;
}

/* vfio_dma_do_map() after the argument checks. Context: t->lock held. */
static int map_locked(struct tce__vcontainer *c, const struct tce__t1map *m)
{
	struct tce__vtype1 *t = &c->t1;
	uint32_t i = tce__t1_after(t, m->iova);
	int rc;

	if (i < t->n && t->v[i].iova < m->iova + m->size)
		return (int)vfio_refuse(c->ctx, -EEXIST, "[%#llx, +%s) overlaps the mapping "
					"[%#llx, +%s)", (unsigned long long)m->iova,
					tce__vsize(m->size).s, (unsigned long long)t->v[i].iova,
					tce__vsize(t->v[i].size).s);
	if (t->n >= t->limit)
		return (int)vfio_refuse(c->ctx, -ENOSPC, "the container holds %u mappings, its "
					"limit (dma_entry_limit)", t->n);
	if (!in_aperture(c, m->iova, m->size))
		return (int)vfio_refuse(c->ctx, -EINVAL, "[%#llx, +%s) is not inside one IOVA "
					"range (the domain's windows; see GET_INFO's "
					"IOVA_RANGE)", (unsigned long long)m->iova,
					tce__vsize(m->size).s);
	rc = map_room(c);
	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "no memory to record the mapping");
	rc = pin_and_map(c, m);
	if (rc)
		return rc;
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = *m;
	t->n++;
	return 0;
}

static long map_dma(struct tce__vcontainer *c, void *arg)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map p;
	uint64_t pg = tce__t1_page(&c->t1), end;
	struct tce__t1map m;
	int rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_type1_dma_map, size);

	if (rc)
		return rc;
	if (p.flags & ~(rw | VFIO_DMA_MAP_FLAG_VADDR))
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x has bits other than READ (1), "
				   "WRITE (2) and VADDR (4)", p.flags);
	if (p.flags & VFIO_DMA_MAP_FLAG_VADDR)
		return vfio_refuse(c->ctx, -EINVAL, "VFIO_DMA_MAP_FLAG_VADDR needs "
				   "VFIO_UPDATE_VADDR, which this host does not offer");
	if (!(p.flags & rw))
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x allow neither READ nor WRITE",
				   p.flags);
	if (!p.size || (p.size | p.iova | p.vaddr) & (pg - 1))
		return vfio_refuse(c->ctx, -EINVAL, "iova %#llx, vaddr %#llx and size %#llx must "
				   "be nonzero multiples of the smallest IOMMU page, %s",
				   (unsigned long long)p.iova, (unsigned long long)p.vaddr,
				   (unsigned long long)p.size, tce__vsize(pg).s);
	if (tce__add_overflows(p.iova, p.size - 1, &end) ||
	    tce__add_overflows(p.vaddr, p.size - 1, &end))
		return vfio_refuse(c->ctx, -EINVAL, "iova %#llx or vaddr %#llx + size %s wraps",
				   (unsigned long long)p.iova, (unsigned long long)p.vaddr,
				   tce__vsize(p.size).s);
	m = (struct tce__t1map){ .iova = p.iova, .size = p.size, .vaddr = p.vaddr,
				 .prot = ((p.flags & VFIO_DMA_MAP_FLAG_READ) ? TCE_DOMAIN_READ : 0) |
					 ((p.flags & VFIO_DMA_MAP_FLAG_WRITE) ? TCE_DOMAIN_WRITE : 0) };
	tce__lock(&c->t1.lock);
	rc = map_locked(c, &m);
	tce__unlock(&c->t1.lock);
	return rc;
}

/* ---- UNMAP_DMA ---- */

/* Clear the TCEs of mapping @i (the kill, then their release); the record stays. */
static int clear_one(struct tce__vcontainer *c, uint32_t i)
{
	const struct tce__t1map *m = &c->t1.v[i];
	uint64_t got;
	int rc = tce_domain_unmap(c->t1.dom, m->iova, m->size, &got);

	if (rc)
		return (int)vfio_refuse(c->ctx, rc, "unmapping [%#llx, +%s) failed part-way: %s; "
					"the request's mappings stay, a retry finishes",
					(unsigned long long)m->iova, tce__vsize(m->size).s,
					tce_strerror(rc));
	return 0;
}

/* GET_DIRTY_BITMAP: the bits of mappings [i, j) in ascending order, as the kernel writes them. */
static int bits_of(struct tce__vcontainer *c, uint32_t i, uint32_t j, uint64_t base,
		   const struct vfio_bitmap *bm)
{
	int rc = 0;

	for (; i < j && !rc; i++)
		rc = tce__t1_user_bits(c, &c->t1.v[i], base, (uint64_t *)(uintptr_t)bm->data);
	return rc;
}

/* Records [i, j), all cleared, leave: pages unpinned, their bytes in *@unmapped. */
static void drop_records(struct tce__vcontainer *c, uint32_t i, uint32_t j, uint64_t *unmapped)
{
	struct tce__vtype1 *t = &c->t1;
	uint32_t k;

	for (k = i; k < j; k++) {
		unpin(c, &t->v[k]);
		*unmapped += t->v[k].size;
	}
	if (j > i) /* t->v may be NULL when nothing was ever mapped */
		memmove(&t->v[i], &t->v[j], (t->n - j) * sizeof(*t->v));
	t->n -= j - i;
}

/*
 * The end of the run of mappings from @i that an unmap of [iova, last]
 * removes: every one starting in it (v2, where none is cut). v1 takes what
 * the kernel's v1 takes, but never more than asked: it stops at once at a
 * mapping starting before the range (the kernel too: "unmapped" 0) and
 * short of one ending past it (the kernel removes that one whole; DECISIONS
 * 26). Context: t->lock held.
 */
static uint32_t removable_end(const struct tce__vtype1 *t, uint32_t i, uint64_t iova,
			      uint64_t last)
{
	uint32_t j = i;

	if (!t->v2 && i < t->n && t->v[i].iova < iova)
		return i;
	while (j < t->n && t->v[j].iova <= last &&
	       (t->v2 || t->v[j].iova + t->v[j].size - 1 <= last))
		j++;
	return j;
}

/*
 * vfio_dma_do_unmap() after the argument checks: the mappings inside the
 * range are cleared, and leave only once all are, so a platform failure
 * part-way (-EIO) removes nothing (what it cleared no longer translates; a
 * retry finishes). Context: t->lock held.
 */
static int unmap_locked(struct tce__vcontainer *c, const struct vfio_iommu_type1_dma_unmap *p,
			const struct vfio_bitmap *bm, uint64_t *unmapped)
{
	struct tce__vtype1 *t = &c->t1;
	bool all = p->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	uint64_t last = all ? UINT64_MAX : p->iova + p->size - 1;
	uint32_t i, j, k;
	int rc = 0;

	if (bm && (!t->dirty_tracking || bm->pgsize != tce__t1_page(t)))
		return (int)vfio_refuse(c->ctx, -EINVAL, "GET_DIRTY_BITMAP needs dirty tracking "
					"started and a bitmap of %s pages",
					tce__vsize(tce__t1_page(t)).s);
	if (!all && t->v2 && tce__t1_bisects(t, p->iova, last))
		return (int)vfio_refuse(c->ctx, -EINVAL, "[%#llx, +%s) cuts a mapping: Type1v2 "
					"unmaps whole mappings only", (unsigned long long)p->iova,
					tce__vsize(p->size).s);
	i = tce__t1_after(t, p->iova);
	j = removable_end(t, i, all ? 0 : p->iova, last);
	if (bm && j > i)
		rc = bits_of(c, i, j, p->iova, bm);
	/* From the top: the domain's record of mappings then shrinks at its end. */
	for (k = j; k > i && !rc; k--)
		rc = clear_one(c, k - 1);
	if (!rc)
		drop_records(c, i, j, unmapped);
	return rc;
}

/* The unmap's range: aligned, nonzero, no wrap; UNMAP_ALL with neither. */
static int unmap_range_ok(struct tce__vcontainer *c, const struct vfio_iommu_type1_dma_unmap *p)
{
	uint64_t pg = tce__t1_page(&c->t1), last;

	if (p->iova & (pg - 1))
		return (int)vfio_refuse(c->ctx, -EINVAL, "iova %#llx is not a multiple of the "
					"smallest IOMMU page, %s", (unsigned long long)p->iova,
					tce__vsize(pg).s);
	if (p->flags & VFIO_DMA_UNMAP_FLAG_ALL)
		return p->iova || p->size ? (int)vfio_refuse(c->ctx, -EINVAL, "UNMAP_FLAG_ALL "
							      "needs iova and size 0") : 0;
	if (!p->size || p->size & (pg - 1) || tce__add_overflows(p->iova, p->size - 1, &last))
		return (int)vfio_refuse(c->ctx, -EINVAL, "size %#llx must be a nonzero multiple of "
					"%s that does not wrap", (unsigned long long)p->size,
					tce__vsize(pg).s);
	return 0;
}

static long unmap_dma(struct tce__vcontainer *c, void *arg)
{
	const uint32_t mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL |
			      VFIO_DMA_UNMAP_FLAG_VADDR;
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap p;
	struct vfio_bitmap bm;
	bool want_bits;
	uint64_t unmapped = 0;
	int rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_type1_dma_unmap, size);

	if (rc)
		return rc;
	want_bits = p.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	if (p.flags & ~mask || (want_bits && (p.flags & ~VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)))
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x: GET_DIRTY_BITMAP (1), ALL (2) and "
				   "VADDR (4) are known, GET_DIRTY_BITMAP alone", p.flags);
	if (p.flags & VFIO_DMA_UNMAP_FLAG_VADDR)
		return vfio_refuse(c->ctx, -EINVAL, "VFIO_DMA_UNMAP_FLAG_VADDR needs "
				   "VFIO_UPDATE_VADDR, which this host does not offer");
	if (want_bits) {
		if (p.argsz < minsz + sizeof(bm))
			return vfio_refuse(c->ctx, -EINVAL, "argsz %u leaves no room for the "
					   "struct vfio_bitmap GET_DIRTY_BITMAP reads", p.argsz);
		memcpy(&bm, (const uint8_t *)arg + minsz, sizeof(bm));
		rc = tce__t1_bitmap_size(c->ctx, p.size, bm.pgsize, bm.size);
		if (rc)
			return rc;
	}
	rc = unmap_range_ok(c, &p);
	if (rc)
		return rc;
	tce__lock(&c->t1.lock);
	rc = unmap_locked(c, &p, want_bits ? &bm : NULL, &unmapped);
	tce__unlock(&c->t1.lock);
	if (rc)
		return rc;
	p.size = unmapped;
	memcpy(arg, &p, minsz);
	return 0;
}

/* ---- dispatch ---- */

long tce__t1_request(struct tce__vcontainer *c, struct tce_vfio_mm *caller,
		     unsigned long request, void *arg)
{
	(void)caller;
	switch (request) {
	case VFIO_IOMMU_GET_INFO:
		return tce__t1_get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(c, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return tce__t1_dirty_pages(c, arg);
	default:
		return vfio_refuse(c->ctx, -ENOTTY, "request %#lx is not one of "
				   "Type1's (GET_INFO, MAP_DMA, UNMAP_DMA, "
				   "DIRTY_PAGES)", request);
	}
}
