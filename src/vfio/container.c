/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container and its SPAPR TCE IOMMU state, as the kernel's
 * vfio_iommu_spapr_tce.c (spec kernel.md §8, vfio.md §1.3, §1.5) without its
 * bugs (DECISIONS 5-10): group attach and detach through the table-group
 * ops, SET_IOMMU by profile, windows (the pending default one, CREATE,
 * REMOVE), GET_INFO, v1's borrowed window and ENABLE, the release of the
 * IOMMU state, and the dispatch of the IOMMU requests (map and unmap:
 * map.c; registration: prereg.c; EEH: pe_op.c). Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"

/* ---- the caller's structs: never a byte past argsz ---- */

/* The first @minsz bytes of the struct at @arg, once its argsz says they are there. */
int tce__varg_in(struct tce_ctx *ctx, void *dst, const void *arg, size_t minsz,
		   const char *what)
{
	uint32_t argsz;

	if (!arg)
		return (int)vfio_refuse(ctx, -EFAULT, "the argument is not readable memory");
	memcpy(&argsz, arg, sizeof(argsz));
	if (argsz < minsz)
		return (int)vfio_refuse(ctx, -EINVAL, "argsz %u is below the %zu bytes of %s "
					"this request reads", argsz, minsz, what);
	memcpy(dst, arg, minsz);
	return 0;
}

/* ---- objects ---- */

struct tce__vcontainer *tce__vcontainer_new(struct tce_ctx *ctx,
					    const struct tce_vfio_container_config *cfg)
{
	struct tce__vcontainer *c = tce__calloc(ctx, sizeof(*c));
	int i;

	if (!c)
		return NULL;
	c->o.kind = TCE_VFIO_CONTAINER;
	atomic_init(&c->o.refs, 1);
	c->ctx = ctx;
	if (tce__t1_init(&c->t1, cfg))
		goto fail;
	if (tce__rwlock_init(&c->lock)) {
		tce__t1_fini(&c->t1);
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		c->win[i].c = c;
		if (tce__lock_init(&c->win[i].lock, false)) {
			while (i--)
				tce__lock_fini(&c->win[i].lock);
			tce__rwlock_fini(&c->lock);
			tce__t1_fini(&c->t1);
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
	tce__t1_fini(&c->t1);
	tce__free(c->ctx, c->groups, c->galloc * sizeof(*c->groups));
	tce__free(c->ctx, c, sizeof(*c));
}

struct tce_group *tce__vc_group0(const struct tce__vcontainer *c)
{
	return c->ngroups ? c->groups[0]->g : NULL;
}

/* The mm whose memory and account this container uses: the owner, or the caller. */
struct tce_vfio_mm *tce__vc_mm(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	return c->owner ? c->owner : caller;
}

/* The first call that needs a process makes the caller the owner (tce_iommu_mm_set). */
void tce__vc_capture(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	if (!c->owner) {
		tce__vmm_get(caller);
		c->owner = caller;
	}
}

/* ---- release of replaced and cleared pages (after the kill) ---- */

/* ---- windows ---- */

struct tce__vwin *tce__vc_window(struct tce__vcontainer *c, uint64_t iova)
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

/* Why the group refused a window's table. */
static int why_create_table(struct tce__vcontainer *c, int rc, const struct tce_window_req *req,
			    const struct tce_group_info *gi, struct tce_vfio_mm *m)
{
	if (rc == -EINVAL)
		return (int)vfio_refuse(c->ctx, rc, "PE %u refused a window of %s with %s pages "
					"and %u levels: the size must be a power of two of at least "
					"one page, levels 1..%u, and the table's geometry within the "
					"platform's limits", gi->pe, tce__vsize(req->window_size).s,
					tce__vsize(1ull << req->page_shift).s, req->levels,
					gi->max_levels);
	if (rc == -ENOMEM && m->mem.limit_pages)
		return (int)vfio_refuse(c->ctx, rc, "the window's table would lock memory over "
					"RLIMIT_MEMLOCK (%s, %s locked already), or no memory",
					tce__vsize(m->mem.limit_pages << m->mem.sys_page_shift).s,
					tce__vsize(tce__mm_locked_bytes(&m->mem)).s);
	return (int)vfio_refuse(c->ctx, rc, "PE %u could not create a window of %s with %s "
				"pages: %s", gi->pe, tce__vsize(req->window_size).s,
				tce__vsize(1ull << req->page_shift).s, tce_strerror(rc));
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
		return (int)vfio_refuse(c->ctx, -ENOSPC, "both DMA window slots are in use; %s",
					tce__vwindows(c).s);
	req.num = c->win[0].t ? 1 : 0;
	w = &c->win[req.num];
	tce_group_info(tce__vc_group0(c), &gi);
	if (ps >= 64 || !(gi.pgsizes & (1ull << ps)))
		return (int)vfio_refuse(c->ctx, -EINVAL, "page_shift %u is not an IOMMU page size "
					"of PE %u (it offers %s)", ps, gi.pe,
					tce__vpgsizes(gi.pgsizes).s);
	rc = tce_group_create_table(tce__vc_group0(c), &req, &w->t);
	if (rc)
		return why_create_table(c, rc, &req, &gi, m);
	tce_iommu_table_info(w->t, &w->info);
	tce_iommu_table_set_release(w->t, tce__vc_release_v2, w);
	for (i = 0; i < c->ngroups && !rc; i++)
		rc = tce_group_set_window(c->groups[i]->g, req.num, w->t);
	if (rc) {
		drop_window(c, (int)req.num);
		return (int)vfio_refuse(c->ctx, rc, "setting window %u on PE %u failed: %s",
					req.num, gi.pe, tce_strerror(rc));
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
		return (int)vfio_refuse(c->ctx, -ENODEV, "no group on this container");
	tce_group_info(tce__vc_group0(c), &gi);
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

	if (rc) /* what could not be cleared keeps its pages; a retry finishes */
		return (int)vfio_refuse(c->ctx, rc, "clearing window %d failed: %s; it is kept, "
					"a retry finishes", num, tce_strerror(rc));
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
			return (int)vfio_refuse(c->ctx, -EPERM, "PE %u has no dynamic DMA windows "
						"(legacy profile): it takes VFIO_SPAPR_TCE_IOMMU (v1), "
						"not v2", gi.pe);
		if (!gi.max_dynamic_windows)
			return (int)vfio_refuse(c->ctx, -EINVAL, "PE %u offers no window an owner "
						"may create, which VFIO_SPAPR_TCE_v2_IOMMU needs",
						gi.pe);
	} else {
		if (gi.dynamic_ops)
			return (int)vfio_refuse(c->ctx, -EPERM, "PE %u has dynamic DMA windows: "
						"this host takes VFIO_SPAPR_TCE_v2_IOMMU, not v1",
						gi.pe);
		if (attached)
			return (int)vfio_refuse(c->ctx, -EBUSY, "a v1 container takes one group "
						"and has one already (PE %u cannot join)", gi.pe);
	}
	if (attached && tce_group_host(g) != tce_group_host(c->groups[0]->g))
		return (int)vfio_refuse(c->ctx, -EPERM, "PE %u belongs to another host than the "
					"container's first group", gi.pe);
	if (type == VFIO_SPAPR_TCE_IOMMU) {
		struct tce_iommu_table *t;

		rc = tce_group_get_table(g, 0, &t);
		if (rc)
			return (int)vfio_refuse(c->ctx, rc == -ENOENT ? -ENODEV : rc, "PE %u has no "
						"default window v1 could use: %s", gi.pe,
						tce_strerror(rc));
		c->win[0].t = t;
		c->win[0].borrowed = true;
		tce_iommu_table_set_release(t, tce__vc_release_v1, &c->win[0]);
		tce_iommu_table_info(c->win[0].t, &c->win[0].info);
		return 0;
	}
	for (i = 0; i < 2 && !rc; i++)
		if (c->win[i].t)
			rc = tce_group_set_window(g, i, c->win[i].t);
	if (rc) {
		for (i = 0; i < 2; i++)
			tce_group_unset_window(g, i);
		return (int)vfio_refuse(c->ctx, rc, "setting the container's windows on PE %u "
					"failed: %s", gi.pe, tce_strerror(rc));
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
			tce_iommu_table_set_release(w->t, NULL, NULL);
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

	if (tce__is_type1(c->type))
		tce__t1_release(c);
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
	uint32_t want = c->galloc ? c->galloc * 2 : 1; /* most containers have one group */
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
		return (int)vfio_refuse(c->ctx, rc, "taking the group from the kernel failed: %s%s",
					tce_strerror(rc), rc == -EBUSY ? " (the kernel's driver "
					"still has DMA mappings on it)" : "");
	tce__write_lock(&c->lock);
	rc = group_room(c);
	if (!rc && tce__is_type1(c->type))
		rc = tce__t1_attach(c, vg->g);
	else if (!rc && c->type)
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
	if (tce__is_type1(c->type))
		tce__t1_detach(c, vg->g, c->ngroups == 1);
	else if (c->type)
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
	if (c->ngroups && tce_group_eeh_get_state(tce__vc_group0(c), &state) == -ENOENT)
		on = 0;
	tce__read_unlock(&c->lock);
	return on;
}

/*
 * The kernel asks the container's IOMMU driver once a type is set, and any
 * driver before: the sPAPR driver, and Type1 where the container offers it.
 */
static long check_extension(struct tce__vcontainer *c, unsigned long ext)
{
	uint32_t type;

	tce__read_lock(&c->lock);
	type = c->type;
	tce__read_unlock(&c->lock);
	if (tce__is_type1(type))
		return tce__t1_check_extension(c, ext);
	if (!type && c->t1.offered && tce__t1_check_extension(c, ext))
		return 1;
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

/* The name of IOMMU type @type, for reasons. */
static const char *type_name(unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU: return "VFIO_TYPE1_IOMMU";
	case VFIO_SPAPR_TCE_IOMMU: return "VFIO_SPAPR_TCE_IOMMU";
	case VFIO_TYPE1v2_IOMMU: return "VFIO_TYPE1v2_IOMMU";
	case VFIO_DMA_CC_IOMMU: return "VFIO_DMA_CC_IOMMU";
	case VFIO_EEH: return "VFIO_EEH";
	case VFIO_TYPE1_NESTING_IOMMU: return "VFIO_TYPE1_NESTING_IOMMU";
	case VFIO_SPAPR_TCE_v2_IOMMU: return "VFIO_SPAPR_TCE_v2_IOMMU";
	case VFIO_NOIOMMU_IOMMU: return "VFIO_NOIOMMU_IOMMU";
	default: return "an unknown type";
	}
}

/* Why SET_IOMMU cannot start. */
static int set_iommu_refused(struct tce__vcontainer *c, unsigned long type)
{
	if (!c->ngroups)
		return (int)vfio_refuse(c->ctx, -EINVAL, "no group is set on this container; "
					"VFIO_GROUP_SET_CONTAINER must come before VFIO_SET_IOMMU");
	if (c->type)
		return (int)vfio_refuse(c->ctx, -EINVAL, "the IOMMU type is already set (%s)",
					type_name(c->type));
	if (c->t1.offered)
		return (int)vfio_refuse(c->ctx, -ENODEV, "type %lu (%s) is not offered: this "
					"container has VFIO_TYPE1_IOMMU (1), VFIO_SPAPR_TCE_IOMMU "
					"(2), VFIO_TYPE1v2_IOMMU (3) and VFIO_SPAPR_TCE_v2_IOMMU (7)",
					type, type_name(type));
	return (int)vfio_refuse(c->ctx, -ENODEV, "type %lu (%s) is not offered: this POWER "
				"host has VFIO_SPAPR_TCE_IOMMU (2) and VFIO_SPAPR_TCE_v2_IOMMU (7)%s",
				type, type_name(type), type == VFIO_TYPE1v2_IOMMU ||
				type == VFIO_TYPE1_IOMMU ? "; tce-run --type1 (TCE_VFIO_TYPE1) "
				"offers Type1" : "");
}

static bool offered(const struct tce__vcontainer *c, unsigned long type)
{
	return type == VFIO_SPAPR_TCE_IOMMU || type == VFIO_SPAPR_TCE_v2_IOMMU ||
	       ((type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU) && c->t1.offered);
}

static long set_iommu(struct tce__vcontainer *c, struct tce_vfio_mm *caller, unsigned long type)
{
	uint32_t i;
	int rc = 0;

	tce__write_lock(&c->lock);
	if (!c->ngroups || c->type || !offered(c, type))
		rc = set_iommu_refused(c, type);
	if (!rc && (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU)) {
		rc = tce__t1_set(c, caller, (uint32_t)type);
		if (!rc)
			c->type = (uint32_t)type;
		tce__write_unlock(&c->lock);
		return rc;
	}
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
		return vfio_refuse(c->ctx, -ENXIO, "no group on this container");
	rc = arg_in(c->ctx, &info, arg, struct vfio_iommu_spapr_tce_info, dma32_window_size);
	if (rc)
		return rc;
	tce_group_info(tce__vc_group0(c), &gi);
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

static long enable(struct tce__vcontainer *c, struct tce_vfio_mm *caller)
{
	struct tce_vfio_mm *m = tce__vc_mm(c, caller);
	struct tce_group_info gi;
	int rc;

	if (c->enabled)
		return vfio_refuse(c->ctx, -EBUSY, "the container is already enabled");
	if (!c->ngroups)
		return vfio_refuse(c->ctx, -ENODEV, "no group on this container");
	tce_group_info(tce__vc_group0(c), &gi);
	if (!gi.tce32_size)
		return vfio_refuse(c->ctx, -EPERM, "PE %u's 32-bit window has size 0", gi.pe);
	rc = tce__mm_charge(&m->mem, (int64_t)gi.tce32_size);
	if (rc)
		return vfio_refuse(c->ctx, rc, "ENABLE locks the 32-bit window's %s, over "
				   "RLIMIT_MEMLOCK (%s, %s locked already)",
				   tce__vsize(gi.tce32_size).s,
				   tce__vsize(m->mem.limit_pages << m->mem.sys_page_shift).s,
				   tce__vsize(tce__mm_locked_bytes(&m->mem)).s);
	c->v1_locked = gi.tce32_size;
	c->enabled = true;
	tce__vc_capture(c, caller);
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
	struct tce_vfio_mm *m = tce__vc_mm(c, caller);
	bool made_default = false;
	uint64_t start;
	int rc;

	if (!c->ngroups)
		return vfio_refuse(c->ctx, -ENXIO, "no group on this container");
	rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_spapr_tce_create, start_addr);
	if (rc)
		return rc;
	if (p.flags)
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x must be 0", p.flags);
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
	tce__vc_capture(c, caller);
	return 0;
}

static long tce_remove(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg)
{
	struct vfio_iommu_spapr_tce_remove p;
	struct tce__vwin *w;
	int rc;

	if (!c->ngroups)
		return vfio_refuse(c->ctx, -ENXIO, "no group on this container");
	rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_spapr_tce_remove, start_addr);
	if (rc)
		return rc;
	if (p.flags)
		return vfio_refuse(c->ctx, -EINVAL, "flags %#x must be 0", p.flags);
	if (c->def_window_pending && !p.start_addr) {
		c->def_window_pending = false; /* the default window declined */
		tce__vc_capture(c, caller);
		return 0;
	}
	w = tce__vc_window(c, p.start_addr);
	if (!w)
		return vfio_refuse(c->ctx, -EINVAL, "start_addr %#llx is in no DMA window; %s",
				   (unsigned long long)p.start_addr, tce__vwindows(c).s);
	rc = remove_window(c, (int)(w - c->win));
	if (!rc)
		tce__vc_capture(c, caller);
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

static long other_process(struct tce__vcontainer *c)
{
	return vfio_refuse(c->ctx, -EPERM, "this container belongs to another process (the first "
			   "to register memory, enable or change a window; after fork the child "
			   "cannot use its parent's)");
}

/* A request of the other sPAPR type (ENABLE/DISABLE are v1's; the rest v2's). */
static long wrong_type(struct tce__vcontainer *c)
{
	return vfio_refuse(c->ctx, -ENOTTY, "the request is not one of %s",
			   type_name(c->type));
}

static long no_type(struct tce__vcontainer *c)
{
	return vfio_refuse(c->ctx, -EINVAL, "no IOMMU type set on this container; "
			   "VFIO_SET_IOMMU must follow GROUP_SET_CONTAINER");
}

/* The IOMMU driver's requests (tce_iommu_ioctl). Context: the container's lock held. */
static long iommu_request(struct tce__vcontainer *c, struct tce_vfio_mm *caller,
			  unsigned long request, void *arg)
{
	bool v2 = c->type == VFIO_SPAPR_TCE_v2_IOMMU;

	if (c->owner && c->owner != caller)
		return other_process(c);
	if (tce__is_type1(c->type))
		return tce__t1_request(c, caller, request, arg);
	switch (request) {
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		return get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return tce__vc_map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return tce__vc_unmap_dma(c, arg);
	case VFIO_IOMMU_ENABLE:
		return v2 ? wrong_type(c) : enable(c, caller);
	case VFIO_IOMMU_DISABLE:
		return v2 ? wrong_type(c) : disable(c);
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
		return v2 ? tce__vc_register(c, caller, arg) : wrong_type(c);
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
		return v2 ? tce__vc_unregister(c, arg) : wrong_type(c);
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
		return v2 ? tce_create(c, caller, arg) : wrong_type(c);
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		return v2 ? tce_remove(c, caller, arg) : wrong_type(c);
	case VFIO_EEH_PE_OP:
		return tce__vc_eeh_pe_op(c, arg);
	default:
		return vfio_refuse(c->ctx, -ENOTTY, "request %#lx is not a container request",
				   request);
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
	bool made = false;
	long rc = 0;

	tce__write_lock(&c->lock);
	if (!c->type) {
		rc = no_type(c);
	} else if (c->owner && c->owner != caller) {
		rc = other_process(c);
	} else if (c->def_window_pending) {
		made = true;
		rc = create_default(c, tce__vc_mm(c, caller));
	}
	if (!rc)
		rc = iommu_request(c, caller, request, arg);
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
		return set_iommu(c, mm, (unsigned long)arg);
	}
	if (write)
		tce__write_lock(&c->lock);
	else
		tce__read_lock(&c->lock);
	rc = c->type ? iommu_request(c, mm, request, arg) : no_type(c);
	if (write)
		tce__write_unlock(&c->lock);
	else
		tce__read_unlock(&c->lock);
	return rc == NEED_DEFAULT ? with_default(c, mm, request, arg) : rc;
}

/* ---- inspection ---- */

int tce_vfio_iommu_type(struct tce_vfio_mm *mm, int fd)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	struct tce__vcontainer *c = (struct tce__vcontainer *)o;
	int type;

	if (!o)
		return -EBADF;
	if (o->kind != TCE_VFIO_CONTAINER) {
		tce__vobj_put(o);
		return -EINVAL;
	}
	tce__read_lock(&c->lock);
	type = (int)c->type;
	tce__read_unlock(&c->lock);
	tce__vobj_put(o);
	return type;
}

int tce_vfio_container_window(struct tce_vfio_mm *mm, int fd, uint64_t iova,
			      struct tce_iommu_table_info *out)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	struct tce__vcontainer *c = (struct tce__vcontainer *)o;
	struct tce__vwin *w;
	int rc = 0;

	if (!o)
		return -EBADF;
	if (!out || o->kind != TCE_VFIO_CONTAINER) {
		tce__vobj_put(o);
		return -EINVAL;
	}
	tce__read_lock(&c->lock);
	w = tce__vc_window(c, iova);
	if (w)
		*out = w->info;
	else if (tce__is_type1(c->type))
		rc = tce__t1_window(c, iova, out);
	else
		rc = -ENXIO;
	tce__read_unlock(&c->lock);
	tce__vobj_put(o);
	return rc;
}
