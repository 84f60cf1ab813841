/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container and its SPAPR TCE IOMMU state, as the kernel's
 * vfio_iommu_spapr_tce.c (spec kernel.md §8, vfio.md §1.3, §1.5) without its
 * bugs (DECISIONS 5-10): group attach and detach through the table-group
 * ops, windows (the pending default one, CREATE, REMOVE), preregistered
 * memory, map and unmap by exchange with release after the kill, v1's
 * borrowed window and ENABLE, and EEH on every group. Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* An operation met the pending default window: make it and call again (no errno). */
#define NEED_DEFAULT (-4097L)

/* ---- the caller's structs: never a byte past argsz ---- */

/* The first @minsz bytes of the struct at @arg, once its argsz says they are there. */
static int arg_in(void *dst, const void *arg, size_t minsz)
{
	uint32_t argsz;

	if (!arg)
		return -EFAULT;
	memcpy(&argsz, arg, sizeof(argsz));
	if (argsz < minsz)
		return -EINVAL;
	memcpy(dst, arg, minsz);
	return 0;
}

/* ---- objects ---- */

struct tce__vcontainer *tce__vcontainer_new(struct tce_ctx *ctx)
{
	struct tce__vcontainer *c = tce__calloc(ctx, sizeof(*c));
	int i;

	if (!c)
		return NULL;
	c->o.kind = TCE_VFIO_CONTAINER;
	atomic_init(&c->o.refs, 1);
	c->ctx = ctx;
	if (tce__rwlock_init(&c->lock))
		goto fail;
	for (i = 0; i < 2; i++) {
		c->win[i].c = c;
		if (tce__lock_init(&c->win[i].lock, false)) {
			while (i--)
				tce__lock_fini(&c->win[i].lock);
			tce__rwlock_fini(&c->lock);
			goto fail;
		}
	}
	return c;
fail:
	tce__free(ctx, c, sizeof(*c));
	return NULL;
}

void tce__vcontainer_free(struct tce__vcontainer *c)
{
	tce__assert(!c->ngroups && !c->type);
	tce__lock_fini(&c->win[0].lock);
	tce__lock_fini(&c->win[1].lock);
	tce__rwlock_fini(&c->lock);
	tce__free(c->ctx, c->groups, c->galloc * sizeof(*c->groups));
	tce__free(c->ctx, c, sizeof(*c));
}

static struct tce_group *first_group(const struct tce__vcontainer *c)
{
	return c->ngroups ? c->groups[0]->g : NULL;
}

/* The mm whose memory and account this container uses: the owner, or the caller. */
static struct tce_vfio_mm *mm_of(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	return c->owner ? c->owner : caller;
}

/* The first call that needs a process makes the caller the owner (tce_iommu_mm_set). */
static void capture(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	if (!c->owner) {
		tce__vmm_get(caller);
		c->owner = caller;
	}
}

/* ---- release of replaced and cleared pages (after the kill) ---- */

/* v2: the entry's mirror names the user address, and so the region, it held a count on. */
static void release_v2(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct tce__vwin *w = arg;
	uint64_t *slot, ua;

	(void)real, (void)dirty; /* pinned memory is the process's own: nothing to dirty */
	if (tce_iommu_table_mirror_slot(w->t, idx, false, &slot))
		return;
	ua = be64toh(atomic_exchange((_Atomic uint64_t *)slot, 0));
	if (ua && w->c->owner)
		tce__mm_unmap_range(&w->c->owner->mem, ua, 1, w->info.page_shift);
}

/* ---- windows ---- */

static struct tce__vwin *window_of(struct tce__vcontainer *c, uint64_t iova)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct tce__vwin *w = &c->win[i];
		uint64_t entry = iova >> w->info.page_shift;

		if (w->t && entry >= w->info.first_idx && entry - w->info.first_idx < w->info.entries)
			return w;
	}
	return NULL;
}

/* Clear every TCE of slot @num; pages go to the release callback. */
static int clear_window(struct tce__vcontainer *c, int num)
{
	struct tce__vwin *w = &c->win[num];

	if (!w->info.entries)
		return 0;
	return tce_iommu_table_clear(w->t, w->info.first_idx, w->info.entries);
}

/* Unset slot @num on every group, then free its table (the charge refunded). */
static void drop_window(struct tce__vcontainer *c, int num)
{
	struct tce__vwin *w = &c->win[num];
	uint32_t i;
	int rc;

	for (i = 0; i < c->ngroups; i++) {
		rc = tce_group_unset_window(c->groups[i]->g, (uint32_t)num);
		if (rc)
			tce__warn(c->ctx, "vfio: unset of window %d failed (%d)", num, rc);
	}
	tce_iommu_table_put(w->t);
	w->t = NULL;
	memset(&w->info, 0, sizeof(w->info));
}

/*
 * tce_iommu_create_window(): a table in the first free slot, set on every
 * group, charged to @m before allocation. Context: write lock held.
 */
static int create_window(struct tce__vcontainer *c, struct tce_vfio_mm *m, uint32_t ps,
			 uint64_t ws, uint32_t levels, uint64_t *start)
{
	struct tce_window_req req = { .page_shift = ps, .window_size = ws, .levels = levels,
				      .account = tce__mm_charge, .account_arg = &m->mem };
	struct tce_group_info gi;
	struct tce__vwin *w;
	uint32_t i;
	int rc;

	if (c->win[0].t && c->win[1].t)
		return -ENOSPC;
	req.num = c->win[0].t ? 1 : 0;
	w = &c->win[req.num];
	tce_group_info(first_group(c), &gi);
	if (ps >= 64 || !(gi.pgsizes & (1ull << ps)))
		return -EINVAL;
	rc = tce_group_create_table(first_group(c), &req, &w->t);
	if (rc)
		return rc;
	tce_iommu_table_info(w->t, &w->info);
	tce_iommu_table_set_release(w->t, release_v2, w);
	for (i = 0; i < c->ngroups && !rc; i++)
		rc = tce_group_set_window(c->groups[i]->g, req.num, w->t);
	if (rc) {
		drop_window(c, (int)req.num);
		return rc;
	}
	*start = w->info.first_idx << ps;
	return 0;
}

/* The default window on demand: 4 KiB pages over the 32-bit window, one level. */
static int create_default(struct tce__vcontainer *c, struct tce_vfio_mm *m)
{
	struct tce_group_info gi;
	uint64_t start;
	int rc;

	if (!c->ngroups)
		return -ENODEV;
	tce_group_info(first_group(c), &gi);
	rc = create_window(c, m, 12, gi.tce32_size, 1, &start);
	if (rc)
		return rc;
	if (start != gi.tce32_start)
		tce__warn(c->ctx, "vfio: default window at %#llx, not %#llx",
			  (unsigned long long)start, (unsigned long long)gi.tce32_start);
	c->def_window_pending = false;
	return 0;
}

/* tce_iommu_remove_window(): clear it once, unset it everywhere, free it. */
static int remove_window(struct tce__vcontainer *c, int num)
{
	int rc = clear_window(c, num);

	if (rc)
		return rc; /* what could not be cleared keeps its pages; a retry finishes */
	drop_window(c, num);
	return 0;
}

/*
 * Take back the default window the failing call made (it holds no TCE): a
 * failed call changes nothing (DECISIONS 19). Should its clear fail, the
 * window stays, no longer pending.
 */
static void undo_default(struct tce__vcontainer *c)
{
	if (!remove_window(c, 0))
		c->def_window_pending = true;
}

/* ---- groups ---- */

static int attach_group(struct tce__vcontainer *c, struct tce_group *g, uint32_t type,
			uint32_t attached)
{
	struct tce_group_info gi;
	uint32_t i;
	int rc = 0;

	tce_group_info(g, &gi);
	if (type == VFIO_SPAPR_TCE_v2_IOMMU) {
		if (!gi.dynamic_ops)
			return -EPERM;
		if (!gi.max_dynamic_windows)
			return -EINVAL;
	} else {
		if (gi.dynamic_ops)
			return -EPERM;
		if (attached)
			return -EBUSY;
	}
	if (attached && tce_group_host(g) != tce_group_host(c->groups[0]->g))
		return -EPERM; /* another platform's table group */
	if (type == VFIO_SPAPR_TCE_IOMMU) {
		struct tce_iommu_table *t;

		rc = tce_group_get_table(g, 0, &t);
		if (rc)
			return rc == -ENOENT ? -ENODEV : rc;
		c->win[0].t = t;
		c->win[0].borrowed = true;
		tce_iommu_table_info(c->win[0].t, &c->win[0].info);
		return 0;
	}
	for (i = 0; i < 2 && !rc; i++)
		if (c->win[i].t)
			rc = tce_group_set_window(g, i, c->win[i].t);
	if (rc) {
		for (i = 0; i < 2; i++)
			tce_group_unset_window(g, i);
		return rc;
	}
	if (!attached && !c->win[0].t)
		c->def_window_pending = true;
	return 0;
}

/* tce_iommu_detach_group(): every table cleared, then this group's windows unset. */
static void detach_group(struct tce__vcontainer *c, struct tce_group *g)
{
	int i, rc;

	for (i = 0; i < 2; i++) {
		struct tce__vwin *w = &c->win[i];

		if (!w->t)
			continue;
		rc = clear_window(c, i);
		if (rc)
			tce__warn(c->ctx, "vfio: clearing window %d failed (%d)", i, rc);
		if (w->borrowed) {
			tce_iommu_table_put(w->t);
			w->t = NULL, w->borrowed = false;
			memset(&w->info, 0, sizeof(w->info));
		} else {
			rc = tce_group_unset_window(g, (uint32_t)i);
			if (rc)
				tce__warn(c->ctx, "vfio: unset of window %d failed (%d)", i, rc);
		}
	}
}

/* The IOMMU state goes: tables freed, memory unregistered, charges refunded. */
static void release_state(struct tce__vcontainer *c)
{
	struct tce__mm *mem = c->owner ? &c->owner->mem : NULL;
	uint32_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		if (c->win[i].t)
			tce_iommu_table_put(c->win[i].t);
		c->win[i].t = NULL, c->win[i].borrowed = false;
		memset(&c->win[i].info, 0, sizeof(c->win[i].info));
	}
	for (i = 0; i < c->nprereg; i++) {
		rc = tce__mm_put(mem, c->prereg[i]);
		if (rc)
			tce__warn(c->ctx, "vfio: registered memory still busy (%d)", rc);
	}
	tce__free(c->ctx, c->prereg, c->palloc * sizeof(*c->prereg));
	c->prereg = NULL, c->nprereg = c->palloc = 0;
	if (c->v1_locked)
		tce__mm_charge(mem, -(int64_t)c->v1_locked);
	c->v1_locked = 0;
	if (c->owner)
		tce__vmm_put(c->owner);
	c->owner = NULL;
	c->type = 0;
	c->enabled = c->def_window_pending = false;
}

static int group_room(struct tce__vcontainer *c)
{
	uint32_t want = c->galloc ? c->galloc * 2 : 4;
	struct tce__vgroup **p;

	if (c->ngroups < c->galloc)
		return 0;
	p = tce__calloc(c->ctx, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (c->ngroups)
		memcpy(p, c->groups, c->ngroups * sizeof(*p));
	tce__free(c->ctx, c->groups, c->galloc * sizeof(*p));
	c->groups = p, c->galloc = want;
	return 0;
}

/*
 * Give @g back to the kernel. A failed release leaves the group owned and may
 * be retried (tce_group_release_ownership()); once the file lets go nobody
 * could, so it is retried here once before the group is given up as owned.
 */
static void give_back(struct tce__vcontainer *c, struct tce_group *g)
{
	int rc = tce_group_release_ownership(g);

	if (rc)
		rc = tce_group_release_ownership(g);
	if (rc)
		tce__warn(c->ctx, "vfio: giving a group back to the kernel failed (%d)", rc);
}

int tce__vcontainer_attach(struct tce__vcontainer *c, struct tce__vgroup *vg)
{
	int rc = tce_group_take_ownership(vg->g);

	if (rc)
		return rc;
	tce__write_lock(&c->lock);
	rc = group_room(c);
	if (!rc && c->type)
		rc = attach_group(c, vg->g, c->type, c->ngroups);
	if (!rc) {
		c->groups[c->ngroups++] = vg;
		tce__vobj_get(&c->o);
		vg->c = c;
	}
	tce__write_unlock(&c->lock);
	if (rc)
		give_back(c, vg->g);
	return rc;
}

void tce__vcontainer_detach(struct tce__vgroup *vg)
{
	struct tce__vcontainer *c = vg->c;
	uint32_t i;

	tce__write_lock(&c->lock);
	if (c->type)
		detach_group(c, vg->g);
	for (i = 0; i < c->ngroups && c->groups[i] != vg; i++)
		;
	tce__assert(i < c->ngroups);
	memmove(&c->groups[i], &c->groups[i + 1], (c->ngroups - i - 1) * sizeof(*c->groups));
	c->ngroups--;
	if (c->type && !c->ngroups)
		release_state(c);
	tce__write_unlock(&c->lock);
	give_back(c, vg->g);
	vg->c = NULL;
	tce__vobj_put(&c->o);
}

/* ---- container requests ---- */

/*
 * eeh_enabled(): the host's EEH works unless its firmware lacks the calls
 * (pseries without ibm,read-slot-reset-state2); a container without a
 * group cannot tell and answers as an EEH-capable host.
 */
static long eeh_enabled(struct tce__vcontainer *c)
{
	uint32_t state;
	long on = 1;

	tce__read_lock(&c->lock);
	if (c->ngroups && tce_group_eeh_get_state(first_group(c), &state) == -ENOENT)
		on = 0;
	tce__read_unlock(&c->lock);
	return on;
}

static long check_extension(struct tce__vcontainer *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_SPAPR_TCE_IOMMU:
	case VFIO_SPAPR_TCE_v2_IOMMU:
		return 1;
	case VFIO_EEH:
		return eeh_enabled(c);
	default:
		return 0;
	}
}

static long set_iommu(struct tce__vcontainer *c, unsigned long type)
{
	uint32_t i;
	int rc = 0;

	tce__write_lock(&c->lock);
	if (!c->ngroups || c->type)
		rc = -EINVAL;
	else if (type != VFIO_SPAPR_TCE_IOMMU && type != VFIO_SPAPR_TCE_v2_IOMMU)
		rc = -ENODEV;
	for (i = 0; !rc && i < c->ngroups; i++) {
		rc = attach_group(c, c->groups[i]->g, (uint32_t)type, i);
		if (rc) {
			while (i--)
				detach_group(c, c->groups[i]->g);
			release_state(c);
		}
	}
	if (!rc)
		c->type = (uint32_t)type;
	tce__write_unlock(&c->lock);
	return rc;
}

static long get_info(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_spapr_tce_info info;
	size_t minsz = offsetofend(struct vfio_iommu_spapr_tce_info, dma32_window_size);
	struct tce_group_info gi;
	int rc;

	if (!c->ngroups)
		return -ENXIO;
	rc = arg_in(&info, arg, minsz);
	if (rc)
		return rc;
	tce_group_info(first_group(c), &gi);
	info.dma32_window_start = (uint32_t)gi.tce32_start;
	info.dma32_window_size = (uint32_t)gi.tce32_size;
	info.flags = 0;
	memset(&info.ddw, 0, sizeof(info.ddw));
	if (c->type == VFIO_SPAPR_TCE_v2_IOMMU && gi.max_dynamic_windows) {
		info.flags = VFIO_IOMMU_SPAPR_INFO_DDW;
		info.ddw.pgsizes = gi.pgsizes;
		info.ddw.max_dynamic_windows_supported = gi.max_dynamic_windows;
		info.ddw.levels = gi.max_levels;
	}
	if (info.argsz >= offsetofend(struct vfio_iommu_spapr_tce_info, ddw))
		minsz = offsetofend(struct vfio_iommu_spapr_tce_info, ddw);
	memcpy(arg, &info, minsz);
	return 0;
}

/* The checks MAP and UNMAP share: the window, alignment, the range in full. */
static int dma_range(struct tce__vcontainer *c, uint64_t iova, uint64_t size,
		     struct tce__vwin **out, uint64_t *idx, uint64_t *n)
{
	struct tce__vwin *w = window_of(c, iova);
	uint64_t mask;

	if (!w)
		return -ENXIO;
	mask = (1ull << w->info.page_shift) - 1;
	if ((size & mask) || (iova & mask) || !size) /* DECISIONS 5, 6: never the kernel's +1 */
		return -EINVAL;
	*idx = iova >> w->info.page_shift;
	*n = size >> w->info.page_shift;
	if (*n > w->info.first_idx + w->info.entries - *idx)
		return -EINVAL; /* past the window's end (DECISIONS 5) */
	*out = w;
	return 0;
}

static enum tce_dir dir_of(uint32_t flags)
{
	bool r = flags & VFIO_DMA_MAP_FLAG_READ, wr = flags & VFIO_DMA_MAP_FLAG_WRITE;

	return r && wr ? TCE_DIR_BIDIRECTIONAL : r ? TCE_DIR_TO_DEVICE :
	       wr ? TCE_DIR_FROM_DEVICE : TCE_DIR_NONE;
}

/* v2: every page inside registered memory of large enough pages; the mirror names it. */
static int map_v2(struct tce__vcontainer *c, struct tce__vwin *w, uint64_t idx, uint64_t n,
		  uint64_t ua, enum tce_dir dir)
{
	struct tce__mm *mem = &c->owner->mem;
	uint32_t ps = w->info.page_shift;
	uint64_t i, *slot;
	int rc = tce__mm_map_range(mem, ua, n, ps);

	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++)
		rc = tce_iommu_table_mirror_slot(w->t, idx + i, true, &slot);
	if (!rc)
		rc = tce_iommu_table_update(w->t, idx, n, ua, dir);
	if (rc) {
		tce__mm_unmap_range(mem, ua, n, ps);
		return rc;
	}
	for (i = 0; i < n; i++) {
		tce_iommu_table_mirror_slot(w->t, idx + i, false, &slot);
		atomic_store((_Atomic uint64_t *)slot, htobe64(ua + (i << ps)));
	}
	return 0;
}

/* v1: each page pinned writable (the kernel always asks FOLL_WRITE), backed by pages as large. */
static int map_v1(struct tce__vcontainer *c, struct tce__vwin *w, uint64_t idx, uint64_t n,
		  uint64_t ua, enum tce_dir dir)
{
	uint32_t backing;

	if (tce__mm_backing(&c->owner->mem, ua, n << w->info.page_shift, &backing))
		return -EFAULT;
	if (backing < w->info.page_shift)
		return -EPERM;
	return tce_iommu_table_update(w->t, idx, n, ua, dir);
}

static long map_dma(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_type1_dma_map p;
	struct tce__vwin *w;
	uint64_t idx, n, mask;
	int rc;

	if (!c->enabled)
		return -EPERM;
	rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_type1_dma_map, size));
	if (rc)
		return rc;
	if (p.flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (c->def_window_pending)
		return NEED_DEFAULT;
	w = window_of(c, p.iova);
	if (!w)
		return -ENXIO;
	mask = (1ull << w->info.page_shift) - 1;
	if ((p.size & mask) || (p.vaddr & mask) || dir_of(p.flags) == TCE_DIR_NONE)
		return -EINVAL;
	rc = dma_range(c, p.iova, p.size, &w, &idx, &n);
	if (rc)
		return rc;
	if (p.vaddr + p.size < p.vaddr)
		return -EINVAL;
	tce__lock(&w->lock);
	if (c->type == VFIO_SPAPR_TCE_v2_IOMMU)
		rc = map_v2(c, w, idx, n, p.vaddr, dir_of(p.flags));
	else
		rc = map_v1(c, w, idx, n, p.vaddr, dir_of(p.flags));
	tce__unlock(&w->lock);
	return rc;
}

static long unmap_dma(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_type1_dma_unmap p;
	struct tce__vwin *w;
	uint64_t idx, n;
	int rc;

	if (!c->enabled)
		return -EPERM;
	rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_type1_dma_unmap, size));
	if (rc)
		return rc;
	if (p.flags)
		return -EINVAL;
	if (c->def_window_pending)
		return NEED_DEFAULT;
	rc = dma_range(c, p.iova, p.size, &w, &idx, &n);
	if (rc)
		return rc;
	tce__lock(&w->lock);
	rc = tce_iommu_table_clear(w->t, idx, n);
	tce__unlock(&w->lock);
	return rc;
}

static bool holds(const struct tce__vcontainer *c, const struct tce__mm_region *r)
{
	uint32_t i;

	for (i = 0; i < c->nprereg; i++)
		if (c->prereg[i] == r)
			return true;
	return false;
}

static int prereg_room(struct tce__vcontainer *c)
{
	uint32_t want = c->palloc ? c->palloc * 2 : 8;
	struct tce__mm_region **p;

	if (c->nprereg < c->palloc)
		return 0;
	p = tce__malloc(c->ctx, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (c->nprereg)
		memcpy(p, c->prereg, c->nprereg * sizeof(*p));
	tce__free(c->ctx, c->prereg, c->palloc * sizeof(*p));
	c->prereg = p, c->palloc = want;
	return 0;
}

/* Page-aligned to the system page, non-empty, not wrapping. */
static bool mem_range_ok(const struct tce_vfio_mm *m, uint64_t vaddr, uint64_t size)
{
	uint64_t mask = (1ull << m->mem.sys_page_shift) - 1;

	return !((vaddr | size) & mask) && size && vaddr + size > vaddr;
}

static long register_memory(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg)
{
	struct vfio_iommu_spapr_register_memory p;
	struct tce_vfio_mm *m = mm_of(c, caller);
	struct tce__mm_region *r;
	int rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_spapr_register_memory, size));

	if (rc)
		return rc;
	if (p.flags || !mem_range_ok(m, p.vaddr, p.size))
		return -EINVAL;
	r = tce__mm_get(&m->mem, p.vaddr, p.size);
	if (r && holds(c, r)) {
		tce__mm_put(&m->mem, r);
		return -EBUSY;
	}
	rc = prereg_room(c);
	if (rc) {
		if (r)
			tce__mm_put(&m->mem, r); /* another container's: only the count drops */
		return rc;
	}
	if (!r && (rc = tce__mm_new(&m->mem, p.vaddr, p.size, &r)))
		return rc;
	c->prereg[c->nprereg++] = r;
	c->enabled = true;
	capture(c, caller);
	return 0;
}

static long unregister_memory(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_spapr_register_memory p;
	uint32_t i;
	int rc;

	if (!c->owner)
		return -EPERM;
	rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_spapr_register_memory, size));
	if (rc)
		return rc;
	if (p.flags || !mem_range_ok(c->owner, p.vaddr, p.size))
		return -EINVAL;
	for (i = 0; i < c->nprereg; i++)
		if (c->prereg[i]->ua == p.vaddr && c->prereg[i]->size == p.size)
			break;
	if (i == c->nprereg)
		return -ENOENT;
	rc = tce__mm_put(&c->owner->mem, c->prereg[i]);
	if (rc)
		return rc; /* TCEs still reference it: it stays (DECISIONS 7) */
	c->prereg[i] = c->prereg[--c->nprereg];
	return 0;
}

static long enable(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	struct tce_vfio_mm *m = mm_of(c, caller);
	struct tce_group_info gi;
	int rc;

	if (c->enabled)
		return -EBUSY;
	if (!c->ngroups)
		return -ENODEV;
	tce_group_info(first_group(c), &gi);
	if (!gi.tce32_size)
		return -EPERM;
	rc = tce__mm_charge(&m->mem, (int64_t)gi.tce32_size);
	if (rc)
		return rc;
	c->v1_locked = gi.tce32_size;
	c->enabled = true;
	capture(c, caller);
	return 0;
}

static long disable(struct tce__vcontainer *c)
{
	if (c->enabled) {
		tce__mm_charge(&c->owner->mem, -(int64_t)c->v1_locked);
		c->v1_locked = 0;
		c->enabled = false;
	}
	return 0;
}

static long tce_create(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg)
{
	struct vfio_iommu_spapr_tce_create p;
	struct tce_vfio_mm *m = mm_of(c, caller);
	bool made_default = false;
	uint64_t start;
	int rc;

	if (!c->ngroups)
		return -ENXIO;
	rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_spapr_tce_create, start_addr));
	if (rc)
		return rc;
	if (p.flags)
		return -EINVAL;
	if (c->def_window_pending) {
		rc = create_default(c, m);
		if (rc)
			return rc;
		made_default = true;
	}
	rc = create_window(c, m, p.page_shift, p.window_size, p.levels, &start);
	if (rc) {
		if (made_default)
			undo_default(c);
		return rc;
	}
	p.start_addr = start;
	memcpy(arg, &p, offsetofend(struct vfio_iommu_spapr_tce_create, start_addr));
	capture(c, caller);
	return 0;
}

static long tce_remove(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg)
{
	struct vfio_iommu_spapr_tce_remove p;
	struct tce__vwin *w;
	int rc;

	if (!c->ngroups)
		return -ENXIO;
	rc = arg_in(&p, arg, offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr));
	if (rc)
		return rc;
	if (p.flags)
		return -EINVAL;
	if (c->def_window_pending && !p.start_addr) {
		c->def_window_pending = false; /* the default window declined */
		capture(c, caller);
		return 0;
	}
	w = window_of(c, p.start_addr);
	if (!w)
		return -EINVAL;
	rc = remove_window(c, (int)(w - c->win));
	if (!rc)
		capture(c, caller);
	return rc;
}

/* VFIO_EEH_PE_OP on one group (vfio_spapr_ioctl_eeh_pe_op). */
static long eeh_group(struct tce_group *g, void *arg)
{
	struct vfio_eeh_pe_op op;
	uint32_t state;
	int rc = arg_in(&op, arg, offsetofend(struct vfio_eeh_pe_op, op));

	if (rc)
		return rc;
	if (op.flags)
		return -EINVAL;
	switch (op.op) {
	case VFIO_EEH_PE_DISABLE:
		return tce_group_eeh_disable(g);
	case VFIO_EEH_PE_ENABLE:
		return tce_group_eeh_enable(g);
	case VFIO_EEH_PE_UNFREEZE_IO:
		return tce_group_eeh_unfreeze_mmio(g);
	case VFIO_EEH_PE_UNFREEZE_DMA:
		return tce_group_eeh_unfreeze_dma(g);
	case VFIO_EEH_PE_GET_STATE:
		rc = tce_group_eeh_get_state(g, &state);
		return rc ? rc : (long)state;
	case VFIO_EEH_PE_RESET_DEACTIVATE:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_DEACTIVATE);
	case VFIO_EEH_PE_RESET_HOT:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_HOT);
	case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		return tce_group_eeh_reset(g, TCE_EEH_RESET_FUNDAMENTAL);
	case VFIO_EEH_PE_CONFIGURE:
		return tce_group_eeh_configure(g);
	case VFIO_EEH_PE_INJECT_ERR:
		rc = arg_in(&op, arg, offsetofend(struct vfio_eeh_pe_op, err));
		if (rc)
			return rc;
		return tce_group_eeh_inject(g, op.err.type, op.err.func, op.err.addr, op.err.mask);
	default:
		return -EINVAL;
	}
}

static long eeh_pe_op(struct tce__vcontainer *c, void *arg)
{
	uint32_t i;
	long rc = 0;

	for (i = 0; i < c->ngroups && !rc; i++)
		rc = eeh_group(c->groups[i]->g, arg);
	return rc;
}

static bool needs_write(unsigned long request)
{
	switch (request) {
	case VFIO_IOMMU_ENABLE:
	case VFIO_IOMMU_DISABLE:
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		return true;
	default:
		return false;
	}
}

/* The IOMMU driver's requests (tce_iommu_ioctl). Context: the container's lock held. */
static long iommu_request(struct tce__vcontainer *c, struct tce_vfio_mm *caller,
			  unsigned long request, void *arg)
{
	bool v2 = c->type == VFIO_SPAPR_TCE_v2_IOMMU;

	if (c->owner && c->owner != caller)
		return -EPERM; /* another process's container */
	switch (request) {
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		return get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(c, arg);
	case VFIO_IOMMU_ENABLE:
		return v2 ? -ENOTTY : enable(c, caller);
	case VFIO_IOMMU_DISABLE:
		return v2 ? -ENOTTY : disable(c);
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
		return v2 ? register_memory(c, caller, arg) : -ENOTTY;
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
		return v2 ? unregister_memory(c, arg) : -ENOTTY;
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
		return v2 ? tce_create(c, caller, arg) : -ENOTTY;
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		return v2 ? tce_remove(c, caller, arg) : -ENOTTY;
	case VFIO_EEH_PE_OP:
		return eeh_pe_op(c, arg);
	default:
		return -ENOTTY;
	}
}

/*
 * MAP or UNMAP met the pending default window under the read lock: make it
 * and run the request under the write lock, so that no other call can use
 * the window before the request's answer is known. A request that fails
 * then takes the window back (the kernel keeps it; DECISIONS 19).
 */
static long with_default(struct tce__vcontainer *c, struct tce_vfio_mm *caller,
			 unsigned long request, void *arg)
{
	bool made;
	long rc;

	tce__write_lock(&c->lock);
	made = c->type && c->def_window_pending && (!c->owner || c->owner == caller);
	rc = made ? create_default(c, mm_of(c, caller)) : 0;
	if (!rc)
		rc = c->type ? iommu_request(c, caller, request, arg) : -EINVAL;
	if (made && rc < 0 && !c->def_window_pending)
		undo_default(c);
	tce__write_unlock(&c->lock);
	return rc;
}

long tce__vcontainer_ioctl(struct tce_vfio_mm *mm, struct tce__vcontainer *c,
			   unsigned long request, void *arg)
{
	bool write = needs_write(request);
	long rc;

	switch (request) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return check_extension(c, (unsigned long)arg);
	case VFIO_SET_IOMMU:
		return set_iommu(c, (unsigned long)arg);
	}
	if (write)
		tce__write_lock(&c->lock);
	else
		tce__read_lock(&c->lock);
	rc = c->type ? iommu_request(c, mm, request, arg) : -EINVAL;
	if (write)
		tce__write_unlock(&c->lock);
	else
		tce__read_unlock(&c->lock);
	return rc == NEED_DEFAULT ? with_default(c, mm, request, arg) : rc;
}
