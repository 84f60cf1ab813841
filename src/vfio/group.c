/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Group files (/dev/vfio/<N>) and device files: the group requests of
 * vfio.md §1.4 (status, set and unset the container, get a device file by
 * name: spaces may follow it, anything else, a vf_token included, is refused
 * as vfio-pci refuses it for a function that is not a PF or a VF). Layer: vfio.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio.h>

#include "group/group.h"
#include "vfio/vfio_int.h"

/* strndup_user()'s limit for a device name: one page. */
#define NAME_MAX_BYTES 4096u

void tce__vgroup_release(struct tce__vgroup *vg)
{
	struct tce_ctx *ctx = vg->ctx;

	tce__lock(&vg->lock);
	if (vg->c)
		tce__vcontainer_detach(vg);
	tce__unlock(&vg->lock);
	tce__group_unclaim_file(vg->g);
	tce__lock_fini(&vg->lock);
	tce__free(ctx, vg, sizeof(*vg));
}

/* The last device file of a function closes it. Context: vg->lock held. */
static void pci_put(struct tce__vgroup *vg, struct tce__vpci *p)
{
	struct tce__vpci **pp;

	if (--p->opens)
		return;
	for (pp = &vg->pcis; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	tce__vpci_close(p);
	tce__free(vg->ctx, p, sizeof(*p));
}

/* The function @d opened once more (the first open enables it). Context: vg->lock held. */
static int pci_get(struct tce__vgroup *vg, struct tce_device *d, struct tce__vpci **out)
{
	struct tce__vpci *p;
	int rc;

	for (p = vg->pcis; p && p->d != d; p = p->next)
		;
	if (!p) {
		p = tce__calloc(vg->ctx, sizeof(*p));
		if (!p)
			return -ENOMEM;
		rc = tce__vpci_open(p, vg->ctx, d);
		if (rc) {
			tce__free(vg->ctx, p, sizeof(*p));
			return rc;
		}
		p->next = vg->pcis;
		vg->pcis = p;
	}
	p->opens++;
	*out = p;
	return 0;
}

void tce__vdevice_release(struct tce__vdevice *vd)
{
	struct tce__vgroup *vg = vd->vg;

	tce__lock(&vg->lock);
	pci_put(vg, vd->p);
	vg->ndevs--;
	tce__unlock(&vg->lock);
	tce__free(vg->ctx, vd, sizeof(*vd));
	tce__vobj_put(&vg->o);
}

static long get_status(struct tce__vgroup *vg, void *arg)
{
	struct vfio_group_status st;
	uint32_t argsz;

	if (!arg)
		return vfio_refuse(vg->ctx, -EFAULT, "the argument is not readable memory");
	memcpy(&argsz, arg, sizeof(argsz));
	if (argsz < sizeof(st))
		return vfio_refuse(vg->ctx, -EINVAL, "argsz %u is below the %zu bytes of struct "
				   "vfio_group_status", argsz, sizeof(st));
	memcpy(&st, arg, sizeof(st));
	st.flags = VFIO_GROUP_FLAGS_VIABLE; /* every device of a group is vfio's */
	tce__lock(&vg->lock);
	if (vg->c)
		st.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	tce__unlock(&vg->lock);
	memcpy(arg, &st, sizeof(st));
	return 0;
}

static long set_container(struct tce_vfio_mm *mm, struct tce__vgroup *vg, void *arg)
{
	struct tce__vobj *o;
	int fd;
	long rc;

	if (!arg)
		return vfio_refuse(vg->ctx, -EFAULT, "the argument is not readable memory");
	memcpy(&fd, arg, sizeof(fd));
	o = tce__vfile_get(mm, fd);
	if (!o)
		return vfio_refuse(vg->ctx, -EBADF, "the container fd is not open in this process");
	tce__lock(&vg->lock);
	if (vg->c)
		rc = vfio_refuse(vg->ctx, -EINVAL, "the group is already set on a container; "
				 "VFIO_GROUP_UNSET_CONTAINER first");
	else if (o->kind != TCE_VFIO_CONTAINER)
		rc = vfio_refuse(vg->ctx, -EINVAL, "the fd is a %s, not a container (open "
				 "/dev/vfio/vfio)", o->kind == TCE_VFIO_GROUP ? "group" : "device");
	else
		rc = tce__vcontainer_attach((struct tce__vcontainer *)o, vg);
	tce__unlock(&vg->lock);
	tce__vobj_put(o);
	return rc;
}

static long unset_container(struct tce__vgroup *vg)
{
	long rc = 0;

	tce__lock(&vg->lock);
	if (!vg->c)
		rc = vfio_refuse(vg->ctx, -EINVAL, "the group is not set on a container");
	else if (vg->ndevs)
		rc = vfio_refuse(vg->ctx, -EBUSY, "%u device fd%s of the group %s still open; "
				 "close %s first", vg->ndevs, vg->ndevs == 1 ? "" : "s",
				 vg->ndevs == 1 ? "is" : "are", vg->ndevs == 1 ? "it" : "them");
	else
		tce__vcontainer_detach(vg);
	tce__unlock(&vg->lock);
	return rc;
}

/*
 * The device of @vg named by @buf, as vfio-pci's match: the lower-case PCI
 * name, then optionally spaces and one "vf_token=<uuid>". 0 with *@out;
 * -ENODEV for no such device of this group; -EINVAL for a bad suffix, or
 * any token: vfio-pci accepts one only for a VF whose PF it drives or a PF
 * with VFs, and no function here is either (an LPAR sees its VF alone).
 */
static int find_device(struct tce__vgroup *vg, const char *buf, struct tce_device **out)
{
	char name[13];
	const char *rest;
	struct tce_device *d;
	size_t i;

	if (strnlen(buf, 13) < 12)
		return -ENODEV;
	memcpy(name, buf, 12);
	name[12] = 0;
	for (i = 0; i < 12; i++)
		if (name[i] >= 'A' && name[i] <= 'F')
			return -ENODEV; /* dev_name() is lower case */
	if (buf[12] && buf[12] != ' ')
		return -ENODEV;
	if (tce_host_find_device(tce_group_host(vg->g), name, &d) || tce_device_group(d) != vg->g)
		return -ENODEV;
	/*
	 * Anything but spaces after the name is -EINVAL, as vfio-pci's match
	 * gives for an unknown option, a malformed vf_token and a well-formed
	 * one alike here (vfio_pci_validate_vf_token()).
	 */
	for (rest = buf + 12; *rest == ' '; rest++)
		;
	if (*rest)
		return -EINVAL;
	*out = d;
	return 0;
}

/* Why find_device() refused the name @buf. */
static long why_no_device(struct tce__vgroup *vg, long rc, const char *buf)
{
	struct tce_group_info gi;

	tce_group_info(vg->g, &gi);
	if (rc == -ENODEV)
		return vfio_refuse(vg->ctx, rc, "\"%.40s\" is not a device of the group of PE %u "
				   "(names are dddd:bb:dd.f in lower case)", buf, gi.pe);
	return vfio_refuse(vg->ctx, rc, "\"%.100s\": only spaces may follow the device name, "
			   "and a vf_token is refused (no function here is a PF with VFs, nor a VF "
			   "of a vfio-pci PF)", buf);
}

static long get_device_fd(struct tce_vfio_mm *mm, struct tce__vgroup *vg, const char *buf)
{
	struct tce_ctx *ctx = vg->ctx;
	struct tce__vdevice *vd;
	struct tce_device *d;
	long rc;

	if (!buf)
		return vfio_refuse(ctx, -EFAULT, "the device name is not readable memory");
	if (strnlen(buf, NAME_MAX_BYTES) == NAME_MAX_BYTES)
		return vfio_refuse(ctx, -EINVAL, "the device name is 4096 bytes or longer");
	rc = find_device(vg, buf, &d);
	if (rc)
		return why_no_device(vg, rc, buf);
	tce__lock(&vg->lock);
	if (!vg->c || !vg->c->type) { /* no container, or no IOMMU on it */
		rc = vfio_refuse(ctx, -EINVAL, "%s; a device fd needs GROUP_SET_CONTAINER and "
				 "VFIO_SET_IOMMU first", !vg->c ? "the group is not set on a "
				 "container" : "its container has no IOMMU type yet");
		goto out;
	}
	vd = tce__calloc(ctx, sizeof(*vd));
	if (!vd) {
		rc = vfio_refuse(ctx, -ENOMEM, "no memory for the device fd");
		goto out;
	}
	rc = pci_get(vg, d, &vd->p);
	if (rc) {
		tce__free(ctx, vd, sizeof(*vd));
		rc = vfio_refuse(ctx, rc, "opening the function failed: %s", tce_strerror((int)rc));
		goto out;
	}
	vd->o.kind = TCE_VFIO_DEVICE;
	atomic_init(&vd->o.refs, 1);
	vd->vg = vg;
	tce__vobj_get(&vg->o);
	vg->ndevs++;
	tce__unlock(&vg->lock);
	rc = tce__vfile_install(mm, &vd->o);
	tce__vobj_put(&vd->o); /* on failure, this releases the device file */
	return rc < 0 ? vfio_refuse(ctx, rc, "no file number for the device fd: %s",
				    tce_strerror((int)rc)) : rc;
out:
	tce__unlock(&vg->lock);
	return rc;
}

long tce__vgroup_ioctl(struct tce_vfio_mm *mm, struct tce__vgroup *vg, unsigned long request,
		       void *arg)
{
	switch (request) {
	case VFIO_GROUP_GET_STATUS:
		return get_status(vg, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return set_container(mm, vg, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return unset_container(vg);
	case VFIO_GROUP_GET_DEVICE_FD:
		return get_device_fd(mm, vg, arg);
	default:
		return vfio_refuse(vg->ctx, -ENOTTY, "request %#lx is not a group request", request);
	}
}
