/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device files: vfio-pci's device fd (spec vfio.md §1.6) over a machine's
 * PCI function: GET_INFO, the nine regions at offsets index << 40 (BARs,
 * ROM, config space, VGA) read and written as pread/pwrite do, interrupt
 * info and SET_IRQS routing MSI-X vectors, the error and request
 * interrupts to eventfds, and DEVICE_RESET as a function reset that keeps
 * the config vfio-pci restores. Layer: vfio.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "util/arith.h"
#include "vfio/vfio_int.h"


#define REGION_SHIFT 40
#define REGION_MASK ((1ull << REGION_SHIFT) - 1)

static uint32_t cfg(struct tce__vpci *vd, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	tce_dev_config_read(vd->pci, off, size, &v);
	return v;
}

/* The capability @id in the standard list, or 0. */
static uint32_t find_cap(struct tce__vpci *vd, uint8_t id)
{
	uint32_t pos = cfg(vd, TCE_PCI_CAPABILITY_LIST, 1) & ~3u;
	int guard = 48;

	if (!(cfg(vd, TCE_PCI_STATUS, 2) & TCE_PCI_STATUS_CAP_LIST))
		return 0;
	while (pos >= 0x40 && pos < 256 && guard--) {
		if (cfg(vd, pos, 1) == id)
			return pos;
		pos = cfg(vd, pos + 1, 1) & ~3u;
	}
	return 0;
}

int tce__vpci_open(struct tce__vpci *vd, struct tce_ctx *ctx, struct tce_device *d)
{
	uint32_t tbl, i;
	int rc;

	vd->ctx = ctx;
	vd->d = d;
	vd->pci = tce_device_pci(d);
	vd->irq_type = -1;
	vd->err_fd = vd->req_fd = -1;
	for (i = 0; i < 6; i++)
		tce_dev_bar_size(vd->pci, i, &vd->bar_size[i]);
	vd->cfg_size = find_cap(vd, TCE_PCI_CAP_ID_EXP) ? TCE_PCI_CFG_SPACE_EXP_SIZE
							: TCE_PCI_CFG_SPACE_SIZE;
	vd->msix_cap = find_cap(vd, TCE_PCI_CAP_ID_MSIX);
	if (vd->msix_cap) {
		vd->msix_count = (cfg(vd, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2) &
				  TCE_PCI_MSIX_FLAGS_QSIZE) + 1;
		tbl = cfg(vd, vd->msix_cap + TCE_PCI_MSIX_TABLE, 4);
		vd->msix_bar = tbl & 7;
		vd->msix_start = tbl & ~7u;
		vd->msix_end = vd->msix_start + (uint64_t)vd->msix_count * TCE_PCI_MSIX_ENTRY_SIZE;
	}
	vd->reset_works = cfg(vd, 0, 4) != 0xffffffffu; /* an emulated device, not an absent one */
	vd->intx = vd->reset_works && cfg(vd, TCE_PCI_INTERRUPT_PIN, 1) != 0;
	rc = tce__lock_init(&vd->lock, false);
	if (rc)
		return rc;
	tce_dev_reset(vd->pci); /* pci_try_reset_function(); a function without one: nothing */
	tce_dev_config_write(vd->pci, TCE_PCI_COMMAND, 2,
			     cfg(vd, TCE_PCI_COMMAND, 2) | TCE_PCI_COMMAND_MEMORY);
	return 0;
}

static int irq_count(struct tce__vpci *vd, uint32_t index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return vd->intx ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return 0; /* no MSI capability: the emulated functions use MSI-X */
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return (int)vd->msix_count;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return vd->cfg_size == TCE_PCI_CFG_SPACE_EXP_SIZE ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/* ---- MSI-X to eventfds ---- */

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return; /* a full counter: the reader is behind, as with the kernel's eventfd */
}

static void msi_handler(void *arg, unsigned vector)
{
	struct tce__vpci *vd = arg;

	tce__lock(&vd->lock);
	if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX && vector < vd->ntrigger)
		signal_fd(vd->trigger[vector]);
	tce__unlock(&vd->lock);
}

static void set_vector_mask(struct tce__vpci *vd, uint32_t v, bool masked)
{
	uint64_t off = vd->msix_start + (uint64_t)v * TCE_PCI_MSIX_ENTRY_SIZE +
		       TCE_PCI_MSIX_ENTRY_VECTOR_CTRL;

	tce_dev_bar_write(vd->pci, vd->msix_bar, off, 4,
			  masked ? TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/* vfio_msi_disable(): every vector off, MSI-X off, our eventfds closed. Context: lock held. */
static void msix_disable(struct tce__vpci *vd)
{
	uint32_t v;

	tce_dev_config_write(vd->pci, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2,
			     cfg(vd, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2) &
			     ~(uint32_t)TCE_PCI_MSIX_FLAGS_ENABLE);
	for (v = 0; v < vd->ntrigger; v++) {
		if (vd->trigger[v] >= 0)
			close(vd->trigger[v]);
		set_vector_mask(vd, v, true);
	}
	tce__free(vd->ctx, vd->trigger, vd->ntrigger * sizeof(*vd->trigger));
	vd->trigger = NULL;
	vd->ntrigger = 0;
	vd->irq_type = -1;
}

/* An eventfd of the caller's, duplicated for us: -EBADF, or -EINVAL when not an eventfd. */
static int take_eventfd(struct tce_ctx *ctx, int fd, int *out)
{
	char path[64], target[64];
	ssize_t n;

	if (fcntl(fd, F_GETFD) < 0)
		return (int)vfio_refuse(ctx, -EBADF, "eventfd %d is not open", fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return (int)vfio_refuse(ctx, -EBADF, "eventfd %d is not open", fd);
	target[n] = 0;
	if (strcmp(target, "anon_inode:[eventfd]"))
		return (int)vfio_refuse(ctx, -EINVAL, "fd %d is %s, not an eventfd", fd, target);
	*out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return *out < 0 ? -errno : 0;
}

/* vfio_msi_set_block(): eventfds for vectors [start, start + count); -1 turns one off. */
static int msix_set_block(struct tce__vpci *vd, uint32_t start, uint32_t count,
			  const int32_t *fds)
{
	int newfd[count ? count : 1];
	uint32_t i;
	int rc = 0;

	for (i = 0; i < count && !rc; i++) {
		newfd[i] = -1;
		if (fds[i] >= 0)
			rc = take_eventfd(vd->ctx, fds[i], &newfd[i]);
	}
	if (rc) {
		while (i--)
			if (newfd[i] >= 0)
				close(newfd[i]);
		return rc;
	}
	for (i = 0; i < count; i++) {
		if (vd->trigger[start + i] >= 0)
			close(vd->trigger[start + i]);
		vd->trigger[start + i] = newfd[i];
		set_vector_mask(vd, start + i, newfd[i] < 0);
	}
	return 0;
}

/* vfio_msi_enable(): MSI-X on with @nvec vectors, all masked until given an eventfd. */
static int msix_enable(struct tce__vpci *vd, uint32_t nvec)
{
	uint32_t v;

	vd->trigger = tce__malloc(vd->ctx, nvec * sizeof(*vd->trigger));
	if (!vd->trigger)
		return -ENOMEM;
	for (v = 0; v < nvec; v++)
		vd->trigger[v] = -1;
	vd->ntrigger = nvec;
	vd->irq_type = VFIO_PCI_MSIX_IRQ_INDEX;
	tce_dev_config_write(vd->pci, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2,
			     (cfg(vd, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2) |
			      TCE_PCI_MSIX_FLAGS_ENABLE) & ~(uint32_t)TCE_PCI_MSIX_FLAGS_MASKALL);
	return 0;
}

/* vfio_pci_set_msi_trigger() for MSI-X. Context: lock held. */
static int msix_trigger(struct tce__vpci *vd, uint32_t start, uint32_t count, uint32_t flags,
			const void *data)
{
	const uint8_t *bools = data;
	uint32_t i;
	int rc;

	if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX && !count &&
	    (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msix_disable(vd);
		return 0;
	}
	if (vd->irq_type != -1 && vd->irq_type != VFIO_PCI_MSIX_IRQ_INDEX)
		return (int)vfio_refuse(vd->ctx, -EINVAL, "another interrupt type (index %d) is on",
					vd->irq_type);
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX && start + count > vd->ntrigger)
			return (int)vfio_refuse(vd->ctx, -EINVAL, "MSI-X is on with %u vectors; "
						"vectors [%u, %u) are past them (turn MSI-X off "
						"to resize)", vd->ntrigger, start, start + count);
		if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX)
			return msix_set_block(vd, start, count, data);
		rc = msix_enable(vd, start + count);
		if (!rc && (rc = msix_set_block(vd, start, count, data)))
			msix_disable(vd);
		return rc;
	}
	if (vd->irq_type != VFIO_PCI_MSIX_IRQ_INDEX || start + count > vd->ntrigger)
		return (int)vfio_refuse(vd->ctx, -EINVAL, "triggering vectors [%u, %u) needs MSI-X "
					"on with them (it has %u)", start, start + count,
					vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX ? vd->ntrigger : 0);
	for (i = start; i < start + count; i++)
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || bools[i - start])
			signal_fd(vd->trigger[i]);
	return 0;
}

/* The error and request interrupts: one eventfd each (vfio_pci_set_ctx_trigger_single). */
static int single_trigger(struct tce_ctx *ctx, int *slot, uint32_t count, uint32_t flags,
			  const void *data)
{
	int fd, nfd, rc;

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (count) {
			signal_fd(*slot);
			return 0;
		}
		if (*slot >= 0)
			close(*slot);
		*slot = -1;
		return 0;
	}
	if (!count)
		return (int)vfio_refuse(ctx, -EINVAL, "count 0 with BOOL or EVENTFD data");
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(const uint8_t *)data)
			signal_fd(*slot);
		return 0;
	}
	memcpy(&fd, data, sizeof(fd));
	if (fd == -1) {
		if (*slot >= 0)
			close(*slot);
		*slot = -1;
		return 0;
	}
	if (fd < 0)
		return (int)vfio_refuse(ctx, -EINVAL, "eventfd %d: -1 turns it off, other negative "
					"values are refused", fd);
	rc = take_eventfd(ctx, fd, &nfd);
	if (rc)
		return rc;
	if (*slot >= 0)
		close(*slot);
	*slot = nfd;
	return 0;
}


static long set_irqs(struct tce__vpci *vd, void *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count), size = 0;
	uint32_t action, max;
	struct vfio_irq_set hdr;
	long rc;

	rc = arg_in(vd->ctx, &hdr, arg, struct vfio_irq_set, count);
	if (rc)
		return rc;
	if (hdr.index >= VFIO_PCI_NUM_IRQS)
		return vfio_refuse(vd->ctx, -EINVAL, "irq index %u: vfio-pci has %u (0..%u)",
				   hdr.index, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_IRQS - 1);
	if (hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(uint32_t)(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return vfio_refuse(vd->ctx, -EINVAL, "start %u + count %u wraps, or flags %#x has "
				   "unknown bits", hdr.start, hdr.count, hdr.flags);
	max = (uint32_t)irq_count(vd, hdr.index);
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return vfio_refuse(vd->ctx, -EINVAL, "vectors [%u, %u) of irq index %u, which has "
				   "%u", hdr.start, hdr.start + hdr.count, hdr.index, max);
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return vfio_refuse(vd->ctx, -EINVAL, "flags %#x: the data type must be exactly one "
				   "of NONE, BOOL and EVENTFD", hdr.flags);
	}
	if (size && hdr.argsz - minsz < hdr.count * size)
		return vfio_refuse(vd->ctx, -EINVAL, "argsz %u holds no %u data entries of %zu "
				   "bytes after the %zu-byte header", hdr.argsz, hdr.count, size,
				   minsz);
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	rc = -ENOTTY; /* an action or index not emulated */
	tce__lock(&vd->lock);
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		const void *data = (const uint8_t *)arg + minsz;

		if (hdr.index == VFIO_PCI_MSIX_IRQ_INDEX)
			rc = msix_trigger(vd, hdr.start, hdr.count, hdr.flags, data);
		else if (hdr.index == VFIO_PCI_ERR_IRQ_INDEX)
			rc = single_trigger(vd->ctx, &vd->err_fd, hdr.count, hdr.flags, data);
		else if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX)
			rc = single_trigger(vd->ctx, &vd->req_fd, hdr.count, hdr.flags, data);
	}
	if (rc == -ENOTTY)
		vfio_refuse(vd->ctx, rc, "only ACTION_TRIGGER of MSI-X, ERR and REQ is emulated "
			    "(index %u, flags %#x)", hdr.index, hdr.flags);
	tce__unlock(&vd->lock);
	if (!rc && hdr.index == VFIO_PCI_MSIX_IRQ_INDEX)
		tce_dev_set_msi_handler(vd->pci, vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX ?
					msi_handler : NULL, vd);
	return rc;
}

void tce__vpci_close(struct tce__vpci *vd)
{
	tce_dev_set_msi_handler(vd->pci, NULL, NULL);
	tce__lock(&vd->lock);
	if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX)
		msix_disable(vd);
	if (vd->err_fd >= 0)
		close(vd->err_fd);
	if (vd->req_fd >= 0)
		close(vd->req_fd);
	tce__unlock(&vd->lock);
	tce__lock_fini(&vd->lock);
	tce_dev_reset(vd->pci); /* vfio_pci_core_disable(): the function stops */
}

/* ---- info ---- */

static long get_info(struct tce__vpci *vd, void *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	long rc = arg_in(vd->ctx, &info, arg, struct vfio_device_info, num_irqs);

	if (rc)
		return rc;
	info.flags = VFIO_DEVICE_FLAGS_PCI | (vd->reset_works ? VFIO_DEVICE_FLAGS_RESET : 0);
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	memcpy(arg, &info, minsz); /* the kernel copies back minsz without capabilities */
	return 0;
}

static long region_info(struct tce__vpci *vd, void *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	long rc = arg_in(vd->ctx, &info, arg, struct vfio_region_info, offset);

	if (rc)
		return rc;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return vfio_refuse(vd->ctx, -EINVAL, "region index %u: vfio-pci has %u (0..%u)",
				   info.index, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_REGIONS - 1);
	info.offset = (uint64_t)info.index << REGION_SHIFT;
	info.flags = 0;
	info.size = 0;
	info.cap_offset = 0;
	if (info.index <= VFIO_PCI_BAR5_REGION_INDEX) {
		info.size = vd->bar_size[info.index];
		if (info.size) {
			info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
			if (!(info.size & 0xfff))
				info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		}
	} else if (info.index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info.size = vd->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	} else if (info.index == VFIO_PCI_ROM_REGION_INDEX) {
		info.flags = 0; /* no expansion ROM: size 0 */
	}
	memcpy(arg, &info, minsz);
	return 0;
}

static long irq_info(struct tce__vpci *vd, void *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	long rc = arg_in(vd->ctx, &info, arg, struct vfio_irq_info, count);

	if (rc)
		return rc;
	if (info.index >= VFIO_PCI_NUM_IRQS)
		return vfio_refuse(vd->ctx, -EINVAL, "irq index %u: vfio-pci has %u (0..%u)",
				   info.index, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_IRQS - 1);
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = (uint32_t)irq_count(vd, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	memcpy(arg, &info, minsz);
	return 0;
}

/* pci_try_reset_function(): the function resets; the config vfio-pci saved comes back. */
static long reset(struct tce__vpci *vd)
{
	uint32_t saved[16], off, msix = 0;

	if (!vd->reset_works)
		return vfio_refuse(vd->ctx, -EINVAL, "the function has no emulated device to reset");
	for (off = 0; off < 64; off += 4)
		saved[off / 4] = cfg(vd, off, 4);
	if (vd->msix_cap)
		msix = cfg(vd, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2);
	tce_dev_reset(vd->pci);
	for (off = 0x10; off < 0x28; off += 4)
		tce_dev_config_write(vd->pci, off, 4, saved[off / 4]);
	tce_dev_config_write(vd->pci, TCE_PCI_COMMAND, 2, saved[1] & 0xffff);
	if (vd->msix_cap)
		tce_dev_config_write(vd->pci, vd->msix_cap + TCE_PCI_MSIX_FLAGS, 2, msix);
	tce__lock(&vd->lock);
	if (vd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX) {
		uint32_t v;

		for (v = 0; v < vd->ntrigger; v++)
			set_vector_mask(vd, v, vd->trigger[v] < 0);
	}
	tce__unlock(&vd->lock);
	return 0;
}

long tce__vdevice_ioctl(struct tce__vdevice *file, unsigned long request, void *arg)
{
	struct tce__vpci *vd = file->p;

	switch (request) {
	case VFIO_DEVICE_GET_INFO:
		return get_info(vd, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(vd, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return irq_info(vd, arg);
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(vd, arg);
	case VFIO_DEVICE_RESET:
		return reset(vd);
	default:
		return vfio_refuse(vd->ctx, -ENOTTY, "request %#lx is not emulated on a device fd",
				   request);
	}
}

/* ---- regions: pread and pwrite ---- */

static int config_rw(struct tce__vpci *vd, uint64_t pos, uint8_t *buf, size_t len,
		     bool write)
{
	size_t done = 0;

	if (pos >= vd->cfg_size || len > vd->cfg_size - pos)
		return -EFAULT; /* the whole request fails past the config space */
	while (done < len) {
		uint32_t off = (uint32_t)(pos + done), v = 0;
		unsigned size = !(off & 3) && len - done >= 4 ? 4 : !(off & 1) && len - done >= 2 ? 2 : 1;

		if (write) {
			memcpy(&v, buf + done, size);
			tce_dev_config_write(vd->pci, off, size, le32toh(v));
		} else {
			tce_dev_config_read(vd->pci, off, size, &v);
			v = htole32(v);
			memcpy(buf + done, &v, size);
		}
		done += size;
	}
	return 0;
}

/* vfio_pci_bar_rw(): aligned 8, 4, 2, 1-byte accesses; the MSI-X table is not reachable. */
static ssize_t bar_rw(struct tce__vpci *vd, uint32_t bar, uint64_t pos, uint8_t *buf,
		      size_t len, bool write)
{
	uint64_t end = vd->bar_size[bar];
	size_t done = 0;

	if (!end || pos >= end)
		return -EINVAL;
	if (len > end - pos)
		len = (size_t)(end - pos);
	while (done < len) {
		uint64_t off = pos + done, v = 0;
		unsigned size = !(off & 7) && len - done >= 8 ? 8 : !(off & 3) && len - done >= 4 ? 4 :
				!(off & 1) && len - done >= 2 ? 2 : 1;

		if (vd->msix_count && bar == vd->msix_bar && off >= vd->msix_start &&
		    off < vd->msix_end) {
			size_t skip = (size_t)tce__min_u64(len - done, vd->msix_end - off);

			if (!write)
				memset(buf + done, 0xff, skip);
			done += skip;
			continue;
		}
		if (write) {
			memcpy(&v, buf + done, size);
			tce_dev_bar_write(vd->pci, bar, off, size, le64toh(v));
		} else {
			tce_dev_bar_read(vd->pci, bar, off, size, &v);
			v = htole64(v);
			memcpy(buf + done, &v, size);
		}
		done += size;
	}
	return (ssize_t)len;
}

static ssize_t device_rw(struct tce__vpci *vd, uint64_t offset, void *buf, size_t len,
			 bool write)
{
	uint64_t index = offset >> REGION_SHIFT, pos = offset & REGION_MASK;
	int rc;

	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return bar_rw(vd, (uint32_t)index, pos, buf, len, write);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		rc = config_rw(vd, pos, buf, len, write);
		return rc ? rc : (ssize_t)len;
	}
	return -EINVAL; /* no ROM, no VGA, no device-specific region */
}

ssize_t tce_vfio_device_rw(struct tce_vfio_mm *mm, int fd, uint64_t offset, void *buf, size_t len,
			   bool write)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	ssize_t rc;

	if (!o)
		return -EBADF;
	if (o->kind != TCE_VFIO_DEVICE)
		rc = -EINVAL;
	else if (!buf && len)
		rc = -EFAULT;
	else if (!len)
		rc = 0;
	else
		rc = device_rw(((struct tce__vdevice *)o)->p, offset, buf, len, write);
	tce__vobj_put(o);
	return rc;
}

int tce_vfio_device_mmap(struct tce_vfio_mm *mm, int fd, uint64_t offset, uint64_t len,
			 void **ptr)
{
	struct tce__vobj *o = mm ? tce__vfile_get(mm, fd) : NULL;
	struct tce__vpci *vd = o && o->kind == TCE_VFIO_DEVICE ? ((struct tce__vdevice *)o)->p : NULL;
	uint64_t index = offset >> REGION_SHIFT, pos = offset & REGION_MASK, phys;
	size_t size;
	void *bar;
	int rc = -EINVAL;

	if (!o)
		return -EBADF;
	if (vd && ptr && len && index <= VFIO_PCI_BAR5_REGION_INDEX &&
	    vd->bar_size[index] && !(vd->bar_size[index] & 0xfff) && !(pos & 0xfff)) {
		phys = (vd->bar_size[index] + 0xfff) & ~0xfffull;
		if (pos < phys && len <= phys - pos) {
			rc = tce_dev_bar_map(vd->pci, (unsigned)index, &bar, &size);
			if (!rc)
				*ptr = (uint8_t *)bar + pos;
		}
	}
	tce__vobj_put(o);
	return rc;
}
