/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process for VFIO (struct tce_vfio_mm) and its table of open files: file
 * numbers that name containers, groups and devices as a process's fds name
 * the kernel's files, with dup() and passing a file to another process.
 * An object goes with its last reference. Layer: vfio.
 */
#include <errno.h>
#include <string.h>

#include "group/group.h"
#include "vfio/vfio_int.h"

/* As many files as a process's default RLIMIT_NOFILE hard limit allows. */
#define MAX_FILES 65536u

void tce__vobj_get(struct tce__vobj *o)
{
	atomic_fetch_add(&o->refs, 1);
}

void tce__vobj_put(struct tce__vobj *o)
{
	if (atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	switch (o->kind) {
	case TCE_VFIO_CONTAINER:
		tce__vcontainer_free((struct tce__vcontainer *)o);
		break;
	case TCE_VFIO_GROUP:
		tce__vgroup_release((struct tce__vgroup *)o);
		break;
	case TCE_VFIO_DEVICE:
		tce__vdevice_release((struct tce__vdevice *)o);
		break;
	}
}

int tce_vfio_mm_create(struct tce_ctx *ctx, const struct tce_vfio_mm_config *cfg,
		       struct tce_vfio_mm **out)
{
	uint32_t shift = cfg && cfg->page_shift ? cfg->page_shift : 16;
	struct tce_vfio_mm *mm;

	if (!ctx || !out || (shift != 12 && shift != 16))
		return -EINVAL;
	mm = tce__calloc(ctx, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->ctx = ctx;
	atomic_init(&mm->refs, 1);
	if (tce__mm_init(&mm->mem, ctx, shift, cfg ? cfg->memlock_limit : 0)) {
		tce__free(ctx, mm, sizeof(*mm));
		return -ENOMEM;
	}
	if (tce__lock_init(&mm->files_lock, false)) {
		tce__mm_fini(&mm->mem);
		tce__free(ctx, mm, sizeof(*mm));
		return -ENOMEM;
	}
	if (tce__pins_init(&mm->pins, ctx)) {
		tce__lock_fini(&mm->files_lock);
		tce__mm_fini(&mm->mem);
		tce__free(ctx, mm, sizeof(*mm));
		return -ENOMEM;
	}
	*out = mm;
	return 0;
}

void tce__vmm_get(struct tce_vfio_mm *mm)
{
	atomic_fetch_add(&mm->refs, 1);
}

void tce__vmm_put(struct tce_vfio_mm *mm)
{
	if (atomic_fetch_sub(&mm->refs, 1) != 1)
		return;
	tce__pins_fini(&mm->pins);
	tce__lock_fini(&mm->files_lock);
	tce__mm_fini(&mm->mem);
	tce__free(mm->ctx, mm->files, mm->nfiles * sizeof(*mm->files));
	tce__free(mm->ctx, mm, sizeof(*mm));
}

void tce_vfio_mm_destroy(struct tce_vfio_mm *mm)
{
	uint32_t i;

	if (!mm)
		return;
	for (i = 0; i < mm->nfiles; i++)
		if (mm->files[i])
			tce_vfio_close(mm, (int)i);
	tce__vmm_put(mm);
}

bool tce_vfio_mm_pinned(struct tce_vfio_mm *mm, uint64_t ua, uint64_t size)
{
	return mm && (tce__mm_overlaps(&mm->mem, ua, size) ||
		      tce__pins_overlap(&mm->pins, ua, size));
}

uint64_t tce_vfio_mm_locked(struct tce_vfio_mm *mm)
{
	return tce__mm_locked_bytes(&mm->mem);
}

/* The lowest free number, growing the table. Context: files_lock held. */
static int free_number(struct tce_vfio_mm *mm)
{
	uint32_t i, want;
	struct tce__vobj **p;

	for (i = 0; i < mm->nfiles; i++)
		if (!mm->files[i])
			return (int)i;
	if (mm->nfiles == MAX_FILES)
		return -EMFILE;
	want = mm->nfiles ? mm->nfiles * 2 : 16;
	p = tce__calloc(mm->ctx, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (mm->nfiles)
		memcpy(p, mm->files, mm->nfiles * sizeof(*p));
	tce__free(mm->ctx, mm->files, mm->nfiles * sizeof(*p));
	mm->files = p;
	mm->nfiles = want;
	return (int)i;
}

int tce__vfile_install(struct tce_vfio_mm *mm, struct tce__vobj *o)
{
	int fd;

	tce__lock(&mm->files_lock);
	fd = free_number(mm);
	if (fd >= 0) {
		tce__vobj_get(o);
		mm->files[fd] = o;
	}
	tce__unlock(&mm->files_lock);
	return fd;
}

struct tce__vobj *tce__vfile_get(struct tce_vfio_mm *mm, int fd)
{
	struct tce__vobj *o = NULL;

	tce__lock(&mm->files_lock);
	if (fd >= 0 && (uint32_t)fd < mm->nfiles && (o = mm->files[fd]))
		tce__vobj_get(o);
	tce__unlock(&mm->files_lock);
	return o;
}

int tce_vfio_open_container(struct tce_vfio_mm *mm)
{
	struct tce_vfio_container_config cfg = { .flags = 0 };

	return tce_vfio_open_container_config(mm, &cfg);
}

/* The Type1 windows: all zero (chosen at SET_IOMMU) or what tce_domain_create() takes. */
static bool type1_windows_ok(const struct tce_domain_config *w)
{
	static const struct tce_domain_config zero;

	return !memcmp(w, &zero, sizeof(zero)) || !tce__domain_check_config(w);
}

int tce_vfio_open_container_config(struct tce_vfio_mm *mm,
				   const struct tce_vfio_container_config *cfg)
{
	struct tce__vcontainer *c;
	int fd;

	if (!mm || !cfg || cfg->flags & ~TCE_VFIO_TYPE1 || !type1_windows_ok(&cfg->type1))
		return -EINVAL;
	c = tce__vcontainer_new(mm->ctx, cfg);
	if (!c)
		return -ENOMEM;
	fd = tce__vfile_install(mm, &c->o);
	tce__vobj_put(&c->o); /* the file's reference is the only one */
	return fd;
}

int tce_vfio_open_group(struct tce_vfio_mm *mm, struct tce_group *g)
{
	struct tce__vgroup *vg;
	int fd;

	if (!mm || !g)
		return -EINVAL;
	vg = tce__calloc(mm->ctx, sizeof(*vg));
	if (!vg)
		return -ENOMEM;
	if (tce__lock_init(&vg->lock, false)) {
		tce__free(mm->ctx, vg, sizeof(*vg));
		return -ENOMEM;
	}
	if (!tce__group_claim_file(g)) {
		tce__lock_fini(&vg->lock);
		tce__free(mm->ctx, vg, sizeof(*vg));
		return -EBUSY;
	}
	vg->o.kind = TCE_VFIO_GROUP;
	atomic_init(&vg->o.refs, 1);
	vg->ctx = mm->ctx;
	vg->g = g;
	fd = tce__vfile_install(mm, &vg->o);
	tce__vobj_put(&vg->o);
	return fd;
}

int tce_vfio_close(struct tce_vfio_mm *mm, int fd)
{
	struct tce__vobj *o = NULL;

	if (!mm)
		return -EBADF;
	tce__lock(&mm->files_lock);
	if (fd >= 0 && (uint32_t)fd < mm->nfiles) {
		o = mm->files[fd];
		mm->files[fd] = NULL;
	}
	tce__unlock(&mm->files_lock);
	if (!o)
		return -EBADF;
	tce__vobj_put(o);
	return 0;
}

int tce_vfio_share(struct tce_vfio_mm *from, int fd, struct tce_vfio_mm *to)
{
	struct tce__vobj *o;
	int nfd;

	if (!from || !to)
		return -EINVAL;
	o = tce__vfile_get(from, fd);
	if (!o)
		return -EBADF;
	nfd = tce__vfile_install(to, o);
	tce__vobj_put(o);
	return nfd;
}

int tce_vfio_dup(struct tce_vfio_mm *mm, int fd)
{
	return mm ? tce_vfio_share(mm, fd, mm) : -EBADF;
}

int tce_vfio_kind(struct tce_vfio_mm *mm, int fd)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	int kind;

	if (!o)
		return -EBADF;
	kind = (int)o->kind;
	tce__vobj_put(o);
	return kind;
}

int tce_vfio_device(struct tce_vfio_mm *mm, int fd, struct tce_device **out)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	int rc = 0;

	if (!o)
		return -EBADF;
	if (!out || o->kind != TCE_VFIO_DEVICE)
		rc = -EINVAL;
	else
		*out = ((struct tce__vdevice *)o)->p->d;
	tce__vobj_put(o);
	return rc;
}

long tce_vfio_ioctl(struct tce_vfio_mm *mm, int fd, unsigned long request, void *arg)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	long rc;

	if (!o)
		return mm ? vfio_refuse(mm->ctx, -EBADF, "file %d is not open in this process", fd)
			  : -EBADF;
	switch (o->kind) {
	case TCE_VFIO_CONTAINER:
		rc = tce__vcontainer_ioctl(mm, (struct tce__vcontainer *)o, request, arg);
		break;
	case TCE_VFIO_GROUP:
		rc = tce__vgroup_ioctl(mm, (struct tce__vgroup *)o, request, arg);
		break;
	default:
		rc = tce__vdevice_ioctl((struct tce__vdevice *)o, request, arg);
		break;
	}
	tce__vobj_put(o);
	return rc;
}
