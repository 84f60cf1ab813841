/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * REGISTER_MEMORY and UNREGISTER_MEMORY of a v2 container (kernel.md §8.3,
 * §9): the checks in the kernel's order, the process-wide regions shared
 * between its containers, the container's own list, and -EBUSY for a
 * region TCEs still map (DECISIONS 7). Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"

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

/* Page-aligned to the system page, non-empty, not wrapping: 0 or -EINVAL with its reason. */
static int mem_range_check(struct tce__vcontainer *c, const struct tce_vfio_mm *m,
			   const struct vfio_iommu_spapr_register_memory *p)
{
	uint64_t mask = (1ull << m->mem.sys_page_shift) - 1;

	if (p->flags)
		return (int)vfio_refuse(c->ctx, -EINVAL, "flags %#x must be 0", p->flags);
	if ((p->vaddr | p->size) & mask)
		return (int)vfio_refuse(c->ctx, -EINVAL, "vaddr %#llx and size %#llx must be "
					"multiples of the system page (%s)",
					(unsigned long long)p->vaddr, (unsigned long long)p->size,
					tce__vsize(mask + 1).s);
	if (!p->size)
		return (int)vfio_refuse(c->ctx, -EINVAL, "size is 0");
	if (p->vaddr + p->size <= p->vaddr)
		return (int)vfio_refuse(c->ctx, -EINVAL, "vaddr %#llx + size %s wraps",
					(unsigned long long)p->vaddr, tce__vsize(p->size).s);
	return 0;
}

/* Why the process could not register [vaddr, vaddr + size). */
static int why_register(struct tce__vcontainer *c, struct tce_vfio_mm *m, int rc,
			const struct vfio_iommu_spapr_register_memory *p)
{
	uint64_t limit = m->mem.limit_pages << m->mem.sys_page_shift;

	if (rc == -EFAULT)
		return (int)vfio_refuse(c->ctx, rc, "[%#llx, +%s) is not all mapped writable memory",
					(unsigned long long)p->vaddr, tce__vsize(p->size).s);
	if (rc == -EINVAL)
		return (int)vfio_refuse(c->ctx, rc, "[%#llx, +%s) overlaps memory this process "
					"registered already (regions must be disjoint, or the "
					"identical range)", (unsigned long long)p->vaddr,
					tce__vsize(p->size).s);
	if (rc == -ENOMEM && limit && p->size > limit - tce__min_u64(limit,
					tce__mm_locked_bytes(&m->mem)))
		return (int)vfio_refuse(c->ctx, rc, "registering %s would go over RLIMIT_MEMLOCK "
					"(%s, %s locked already)", tce__vsize(p->size).s,
					tce__vsize(limit).s,
					tce__vsize(tce__mm_locked_bytes(&m->mem)).s);
	return (int)vfio_refuse(c->ctx, rc, "registering [%#llx, +%s) failed: %s",
				(unsigned long long)p->vaddr, tce__vsize(p->size).s,
				tce_strerror(rc));
}

long tce__vc_register(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg)
{
	struct vfio_iommu_spapr_register_memory p;
	struct tce_vfio_mm *m = tce__vc_mm(c, caller);
	struct tce__mm_region *r;
	int rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_spapr_register_memory, size);

	if (!rc)
		rc = mem_range_check(c, m, &p);
	if (rc)
		return rc;
	r = tce__mm_get(&m->mem, p.vaddr, p.size);
	if (r && holds(c, r)) {
		tce__mm_put(&m->mem, r);
		return vfio_refuse(c->ctx, -EBUSY, "[%#llx, +%s) is already registered on this "
				   "container", (unsigned long long)p.vaddr, tce__vsize(p.size).s);
	}
	rc = prereg_room(c);
	if (rc) {
		if (r)
			tce__mm_put(&m->mem, r); /* another container's: only the count drops */
		return vfio_refuse(c->ctx, rc, "no memory for the container's list of regions");
	}
	if (!r && (rc = tce__mm_new(&m->mem, p.vaddr, p.size, &r)))
		return why_register(c, m, rc, &p);
	c->prereg[c->nprereg++] = r;
	c->enabled = true;
	tce__vc_capture(c, caller);
	return 0;
}

long tce__vc_unregister(struct tce__vcontainer *c, void *arg)
{
	struct vfio_iommu_spapr_register_memory p;
	uint32_t i;
	int rc;

	if (!c->owner)
		return vfio_refuse(c->ctx, -EPERM, "nothing was ever registered on this container "
				   "(it has no owner process yet)");
	rc = arg_in(c->ctx, &p, arg, struct vfio_iommu_spapr_register_memory, size);
	if (!rc)
		rc = mem_range_check(c, c->owner, &p);
	if (rc)
		return rc;
	for (i = 0; i < c->nprereg; i++)
		if (c->prereg[i]->ua == p.vaddr && c->prereg[i]->size == p.size)
			break;
	if (i == c->nprereg)
		return vfio_refuse(c->ctx, -ENOENT, "[%#llx, +%s) is not a range this container "
				   "registered (UNREGISTER takes exactly a range REGISTER got)",
				   (unsigned long long)p.vaddr, tce__vsize(p.size).s);
	rc = tce__mm_put(&c->owner->mem, c->prereg[i]);
	if (rc) /* TCEs still reference it: it stays (DECISIONS 7) */
		return vfio_refuse(c->ctx, rc, "TCEs still map pages of [%#llx, +%s); UNMAP_DMA "
				   "them first (the region is kept)", (unsigned long long)p.vaddr,
				   tce__vsize(p.size).s);
	c->prereg[i] = c->prereg[--c->nprereg];
	return 0;
}
