/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Wrappers of the fd-taking calls: an emulated fd's ioctl goes to
 * tce_vfio_ioctl() with its argument copied in and out as the kernel's
 * copy_from_user/copy_to_user would (a bad pointer is -EFAULT, never a
 * crash), its fd numbers translated; pread/pwrite/read/write/lseek and mmap
 * of device fds reach the device's regions; close and the dup family keep
 * the fd table true. Every other fd goes to libc untouched. Front end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "shim.h"

/* The most of a caller's struct copied in (argsz above this is not read further). */
#define ARG_MAX_COPY (64u << 10)
/* A device name is read up to a page, as strndup_user(). */
/* The first read of a struct argument: argsz and every sPAPR struct fit. */
#define HEAD_COPY 64u
#define NAME_MAX_COPY 4096u

/* ---- the caller's memory, as copy_from_user and copy_to_user see it ---- */

static int copy_in(void *dst, const void *src, size_t n)
{
	struct iovec l = { dst, n }, r = { (void *)src, n };

	return process_vm_readv(shim_pid(), &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

static int copy_out(void *dst, const void *src, size_t n)
{
	struct iovec l = { (void *)src, n }, r = { dst, n };

	return process_vm_writev(shim_pid(), &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

/* The bytes of [src, src + n) readable from the start: whole pages, then the rest. */
static size_t copy_in_prefix(void *dst, const void *src, size_t n)
{
	size_t done = 0, chunk;

	while (done < n) {
		chunk = 4096 - (((uintptr_t)src + done) & 4095);
		if (chunk > n - done)
			chunk = n - done;
		if (copy_in((char *)dst + done, (const char *)src + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

/* ---- ioctl ---- */

static bool is_type1(int type)
{
	return type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU;
}

static bool struct_request(int kind, unsigned long req)
{
	switch (kind) {
	case TCE_VFIO_CONTAINER:
		return req == VFIO_IOMMU_SPAPR_TCE_GET_INFO || req == VFIO_IOMMU_MAP_DMA ||
		       req == VFIO_IOMMU_UNMAP_DMA || req == VFIO_IOMMU_SPAPR_REGISTER_MEMORY ||
		       req == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY ||
		       req == VFIO_IOMMU_SPAPR_TCE_CREATE || req == VFIO_IOMMU_SPAPR_TCE_REMOVE ||
		       req == VFIO_EEH_PE_OP; /* DIRTY_PAGES is REGISTER_MEMORY's number */
	case TCE_VFIO_GROUP:
		return req == VFIO_GROUP_GET_STATUS;
	default:
		return req == VFIO_DEVICE_GET_INFO || req == VFIO_DEVICE_GET_REGION_INFO ||
		       req == VFIO_DEVICE_GET_IRQ_INFO || req == VFIO_DEVICE_SET_IRQS;
	}
}

/*
 * Type1's requests that carry a struct vfio_bitmap (UNMAP_DMA with
 * GET_DIRTY_BITMAP, DIRTY_PAGES with GET_BITMAP): where it lies in the
 * struct (after the 24 bytes both have before it), or 0 for none. @t1: the
 * container's type is Type1 (DIRTY_PAGES is REGISTER_MEMORY's number).
 */
#define BITMAP_AT 24u
static size_t bitmap_at(bool t1, unsigned long req, const uint8_t *s, size_t have)
{
	uint32_t argsz, flags;

	if (!t1 || have < 8)
		return 0;
	memcpy(&argsz, s, 4);
	memcpy(&flags, s + 4, 4);
	if (argsz < BITMAP_AT + sizeof(struct vfio_bitmap))
		return 0;
	if (req == VFIO_IOMMU_UNMAP_DMA && flags == VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return BITMAP_AT;
	if (req == VFIO_IOMMU_DIRTY_PAGES && flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)
		return BITMAP_AT;
	return 0;
}

/*
 * The bytes the kernel copies from the argument before it looks at argsz
 * (its minsz): fewer readable is -EFAULT. SET_IRQS then copies its data;
 * the dirty-bitmap requests their struct vfio_bitmap.
 */
static size_t min_copy(int kind, bool t1, unsigned long req, const uint8_t *hdr, size_t have)
{
	struct vfio_irq_set s;

	if (bitmap_at(t1, req, hdr, have))
		return BITMAP_AT + sizeof(struct vfio_bitmap);
	if (t1 && req == VFIO_IOMMU_DIRTY_PAGES)
		return 8;
	switch (kind == TCE_VFIO_DEVICE ? req | 1ul << 32 : req) {
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		return 16;
	case VFIO_IOMMU_MAP_DMA:
		return 32;
	case VFIO_IOMMU_UNMAP_DMA:
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
		return 24;
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
		return 40;
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		return 16;
	case VFIO_EEH_PE_OP:
		return 12;
	case VFIO_GROUP_GET_STATUS:
		return 8;
	case VFIO_DEVICE_GET_INFO | 1ul << 32:
	case VFIO_DEVICE_GET_IRQ_INFO | 1ul << 32:
		return 16;
	case VFIO_DEVICE_GET_REGION_INFO | 1ul << 32:
		return 32;
	case VFIO_DEVICE_SET_IRQS | 1ul << 32:
		if (have < sizeof(s))
			return sizeof(s);
		memcpy(&s, hdr, sizeof(s));
		return sizeof(s) + ((s.flags & VFIO_IRQ_SET_DATA_EVENTFD) ? 4ull * s.count :
				    (s.flags & VFIO_IRQ_SET_DATA_BOOL) ? s.count : 0);
	default:
		return 4;
	}
}

static long lib_ioctl(int lib, unsigned long req, void *arg)
{
	long rc;

	shim_enter();
	rc = tce_vfio_ioctl(shim_mm(), lib, req, arg);
	shim_leave();
	return rc;
}

/* Whether the caller may read and write each page of [p, p + len) (one byte a page). */
static bool accessible(uint64_t p, uint64_t len)
{
	uint64_t a = p & ~4095ull;
	uint8_t b;

	for (; a < p + len; a += 4096) {
		uint64_t at = a < p ? p : a;

		if (copy_in(&b, (void *)(uintptr_t)at, 1) || copy_out((void *)(uintptr_t)at, &b, 1))
			return false;
	}
	return true;
}

/*
 * A dirty bitmap the library writes in place: the caller's own memory when
 * all of it is accessible, else none (NULL: the library's -EFAULT, given
 * only when it has bits to write, as the kernel's copy_to_user()).
 */
static void vet_bitmap(uint8_t *s, size_t at)
{
	struct vfio_bitmap b;

	memcpy(&b, s + at, sizeof(b));
	if (b.data && b.size && b.size <= (1ull << 28) && accessible((uintptr_t)b.data, b.size))
		return;
	b.data = NULL;
	memcpy(s + at, &b, sizeof(b));
}

/* A struct argument: copied in (up to argsz), the request run, what changed copied out. */
static long struct_ioctl(int lib, int kind, unsigned long req, void *arg)
{
	uint8_t head[HEAD_COPY];
	uint32_t argsz;
	size_t n, got, h, bm;
	bool t1;
	uint8_t *in, *out;
	long rc;

	/* One read for argsz and a small struct: whatever lies before the page's end, up to 64 bytes. */
	h = 4096 - ((uintptr_t)arg & 4095);
	h = h < sizeof(head) ? h : sizeof(head);
	if (h < sizeof(argsz) || copy_in(head, arg, h)) {
		h = 0;
		if (copy_in(head, arg, sizeof(argsz)))
			return lib_ioctl(lib, req, NULL); /* -EFAULT, or an earlier errno */
	}
	memcpy(&argsz, head, sizeof(argsz));
	n = argsz < sizeof(argsz) ? sizeof(argsz) : argsz > ARG_MAX_COPY ? ARG_MAX_COPY : argsz;
	in = calloc(2, n);
	if (!in)
		return -ENOMEM;
	out = in + n;
	if (h >= n) {
		memcpy(in, head, n);
		got = n;
	} else {
		got = copy_in_prefix(in, arg, n);
	}
	t1 = kind == TCE_VFIO_CONTAINER &&
	     (req == VFIO_IOMMU_UNMAP_DMA || req == VFIO_IOMMU_DIRTY_PAGES) &&
	     is_type1(tce_vfio_iommu_type(shim_mm(), lib));
	if (got < n && got < min_copy(kind, t1, req, in, got)) {
		free(in); /* the kernel's copy_from_user() of what it needs would fail */
		return lib_ioctl(lib, req, NULL);
	}
	memcpy(out, in, n);
	bm = bitmap_at(t1, req, in, got);
	if (bm)
		vet_bitmap(out, bm);
	rc = lib_ioctl(lib, req, out);
	if (bm) /* the caller's pointer, not the one the library was given */
		memcpy(out + bm, in + bm, sizeof(struct vfio_bitmap));
	if (rc >= 0 && kind == TCE_VFIO_CONTAINER)
		shim_dma_done(lib, req, out);
	if (memcmp(in, out, n)) {
		size_t lo = 0, hi = n;

		while (in[lo] == out[lo])
			lo++;
		while (in[hi - 1] == out[hi - 1])
			hi--;
		if (copy_out((uint8_t *)arg + lo, out + lo, hi - lo) && rc >= 0)
			rc = -EFAULT;
	}
	free(in);
	return rc;
}

static long set_container(int lib, void *arg)
{
	int cfd, clib, kind;

	if (copy_in(&cfd, arg, sizeof(cfd)))
		return -EFAULT;
	clib = shim_fd_lib(cfd, &kind);
	if (clib < 0)
		return REAL(fcntl, int (*)(int, int, ...))(cfd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	return lib_ioctl(lib, VFIO_GROUP_SET_CONTAINER, &clib);
}

static long get_device_fd(int lib, const void *arg)
{
	char name[NAME_MAX_COPY];
	size_t n = copy_in_prefix(name, arg, sizeof(name));
	long rc;

	if (!memchr(name, 0, n))
		return n == sizeof(name) ? -EINVAL : -EFAULT;
	rc = lib_ioctl(lib, VFIO_GROUP_GET_DEVICE_FD, name);
	return rc < 0 ? rc : shim_fd_new((int)rc, TCE_VFIO_DEVICE, true); /* the kernel's O_CLOEXEC */
}

static long emulate(int lib, int kind, unsigned long req, void *arg)
{
	if (kind == TCE_VFIO_GROUP && req == VFIO_GROUP_SET_CONTAINER)
		return set_container(lib, arg);
	if (kind == TCE_VFIO_GROUP && req == VFIO_GROUP_GET_DEVICE_FD)
		return get_device_fd(lib, arg);
	if (struct_request(kind, req))
		return struct_ioctl(lib, kind, req, arg);
	return lib_ioctl(lib, req, arg); /* an integer argument, or a request the object lacks */
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int kind, lib;
	long rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	lib = shim_live() ? shim_fd_lib(fd, &kind) : -1;
	if (lib < 0)
		return REAL(ioctl, int (*)(int, unsigned long, ...))(fd, req, arg);
	rc = emulate(lib, kind, (uint32_t)req, arg);
	shim_count(ST_IOCTL, 1);
	if (kind == TCE_VFIO_CONTAINER &&
	    ((uint32_t)req == VFIO_IOMMU_GET_INFO || (uint32_t)req == VFIO_IOMMU_DIRTY_PAGES) &&
	    is_type1(tce_vfio_iommu_type(shim_mm(), lib)))
		shim_ioctl_done(SHIM_KIND_TYPE1, req, rc);
	else
		shim_ioctl_done(kind, req, rc);
	if (kind == TCE_VFIO_CONTAINER && rc >= 0 &&
	    (req == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY || req == VFIO_IOMMU_UNMAP_DMA))
		shim_release_kept(); /* memory the client unmapped while pinned may go now */
	if ((kind == TCE_VFIO_CONTAINER && req == VFIO_EEH_PE_OP) ||
	    (kind == TCE_VFIO_DEVICE && req == VFIO_DEVICE_RESET))
		shim_bars_sync();
	if (rc < 0) {
		shim_count(ST_IOCTL_FAILED, 1);
		errno = (int)-rc;
		return -1;
	}
	return (int)rc;
}

/* ---- close and the dup family ---- */

int close(int fd)
{
	int rc = REAL(close, int (*)(int))(fd);

	if (!rc || errno == EINTR)
		shim_fd_closed(fd);
	return rc;
}

int close_range(unsigned first, unsigned last, int flags)
{
	int rc = REAL(close_range, int (*)(unsigned, unsigned, int))(first, last, flags);
	unsigned fd;

	if (!rc && !(flags & CLOSE_RANGE_CLOEXEC))
		for (fd = first; fd <= last && fd < (1u << 20); fd++)
			shim_fd_closed((int)fd);
	return rc;
}

void closefrom(int low)
{
	close_range((unsigned)(low < 0 ? 0 : low), ~0u, 0);
}

int dup(int fd)
{
	int nfd = REAL(dup, int (*)(int))(fd);

	shim_fd_dup(fd, nfd);
	return nfd;
}

int dup2(int fd, int nfd)
{
	int rc = REAL(dup2, int (*)(int, int))(fd, nfd);

	if (rc >= 0 && fd != nfd)
		shim_fd_dup(fd, rc);
	return rc;
}

int dup3(int fd, int nfd, int flags)
{
	int rc = REAL(dup3, int (*)(int, int, int))(fd, nfd, flags);

	if (rc >= 0)
		shim_fd_dup(fd, rc);
	return rc;
}

#define FCNTL_WRAPPER(name)                                                        \
	int name(int fd, int cmd, ...)                                             \
	{                                                                          \
		va_list ap;                                                        \
		void *arg;                                                         \
		int rc;                                                            \
                                                                                   \
		va_start(ap, cmd);                                                 \
		arg = va_arg(ap, void *);                                          \
		va_end(ap);                                                        \
		rc = REAL(name, int (*)(int, int, ...))(fd, cmd, arg);             \
		if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))         \
			shim_fd_dup(fd, rc);                                       \
		return rc;                                                         \
	}

FCNTL_WRAPPER(fcntl)
FCNTL_WRAPPER(fcntl64)

/* ---- fstat: the nodes' character devices ---- */

static void patch_fstat(int fd, struct stat *st)
{
	int kind, lib = shim_fd_lib(fd, &kind);

	if (lib < 0 || kind == TCE_VFIO_DEVICE)
		return;
	st->st_mode = S_IFCHR | (kind == TCE_VFIO_CONTAINER ? 0666 : 0600);
	st->st_rdev = kind == TCE_VFIO_CONTAINER ? makedev(10, 196) : makedev(SHIM_VFIO_GROUP_MAJOR, 0);
}

int fstat(int fd, struct stat *st)
{
	int rc = REAL(fstat, int (*)(int, struct stat *))(fd, st);

	if (!rc && shim_live())
		patch_fstat(fd, st);
	return rc;
}

int fstat64(int fd, struct stat64 *st)
{
	int rc = REAL(fstat64, int (*)(int, struct stat64 *))(fd, st);

	if (!rc && shim_live())
		patch_fstat(fd, (struct stat *)st);
	return rc;
}

/* ---- device regions: pread, pwrite, read, write ---- */

/* The device file behind @fd, or -1. */
static int device_lib(int fd)
{
	int kind, lib = shim_live() ? shim_fd_lib(fd, &kind) : -1;

	return lib >= 0 && kind == TCE_VFIO_DEVICE ? lib : -1;
}

static ssize_t region_rw(int lib, void *buf, size_t len, uint64_t off, bool write)
{
	void *tmp = malloc(len ? len : 1);
	ssize_t rc;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	if (write && copy_in(tmp, buf, len)) {
		free(tmp);
		errno = EFAULT;
		return -1;
	}
	shim_enter();
	rc = tce_vfio_device_rw(shim_mm(), lib, off, tmp, len, write);
	shim_leave();
	if (rc > 0 && !write && copy_out(buf, tmp, (size_t)rc))
		rc = -EFAULT;
	free(tmp);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

#define PRW_WRAPPER(name, bufq, is_write)                                               \
	ssize_t name(int fd, bufq void *buf, size_t len, off_t off)                     \
	{                                                                               \
		int lib = device_lib(fd);                                               \
                                                                                        \
		if (lib < 0)                                                            \
			return REAL(name, ssize_t (*)(int, bufq void *, size_t, off_t))(fd, buf, \
										 len, off); \
		return region_rw(lib, (void *)buf, len, (uint64_t)off, is_write);       \
	}

PRW_WRAPPER(pread, , false)
PRW_WRAPPER(pwrite, const, true)

#define PRW64_WRAPPER(name, bufq, is_write)                                               \
	ssize_t name(int fd, bufq void *buf, size_t len, off64_t off)                     \
	{                                                                                 \
		int lib = device_lib(fd);                                                 \
                                                                                          \
		if (lib < 0)                                                              \
			return REAL(name, ssize_t (*)(int, bufq void *, size_t, off64_t))(fd, buf, \
										   len, off); \
		return region_rw(lib, (void *)buf, len, (uint64_t)off, is_write);         \
	}

PRW64_WRAPPER(pread64, , false)
PRW64_WRAPPER(pwrite64, const, true)

ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
	return pread(fd, buf, len < buflen ? len : buflen, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t off, size_t buflen)
{
	return pread64(fd, buf, len < buflen ? len : buflen, off);
}

/* read and write on a device fd use its file position (the memfd's, shared by dups). */
static ssize_t positioned(int fd, int lib, void *buf, size_t len, bool write)
{
	off_t pos = REAL(lseek, off_t (*)(int, off_t, int))(fd, 0, SEEK_CUR);
	ssize_t rc;

	if (pos < 0)
		return -1;
	rc = region_rw(lib, buf, len, (uint64_t)pos, write);
	if (rc > 0)
		REAL(lseek, off_t (*)(int, off_t, int))(fd, pos + rc, SEEK_SET);
	return rc;
}

ssize_t read(int fd, void *buf, size_t len)
{
	int lib = device_lib(fd);

	if (lib < 0)
		return REAL(read, ssize_t (*)(int, void *, size_t))(fd, buf, len);
	return positioned(fd, lib, buf, len, false);
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	return read(fd, buf, len < buflen ? len : buflen);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	int lib = device_lib(fd);

	if (lib < 0 && shim_fd_is_break(fd))
		return shim_eeh_break(buf, len);
	if (lib < 0)
		return REAL(write, ssize_t (*)(int, const void *, size_t))(fd, buf, len);
	return positioned(fd, lib, (void *)buf, len, true);
}

/* ---- mmap of a device's BAR ---- */

static void *map_bar(int lib, void *addr, size_t len, int prot, int flags, uint64_t off)
{
	void *bar, *at;
	int rc;

	if (!(flags & MAP_SHARED) || (flags & MAP_ANONYMOUS)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	shim_enter();
	rc = tce_vfio_device_mmap(shim_mm(), lib, off, len, &bar);
	shim_leave();
	if (rc) {
		errno = -rc;
		return MAP_FAILED;
	}
	(void)prot;
	at = mremap(bar, 0, len, MREMAP_MAYMOVE | ((flags & MAP_FIXED) ? MREMAP_FIXED : 0), addr);
	if (at != MAP_FAILED) {
		struct tce_device *d;

		shim_count(ST_BAR_MAPS, 1);
		shim_enter();
		rc = tce_vfio_device(shim_mm(), lib, &d);
		shim_leave();
		if (!rc)
			shim_bars_add(at, len, bar, tce_device_group(d));
	}
	return at;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int lib = (flags & MAP_ANONYMOUS) ? -1 : device_lib(fd);

	if (lib < 0)
		return REAL(mmap, void *(*)(void *, size_t, int, int, int, off_t))(addr, len, prot,
										    flags, fd, off);
	return map_bar(lib, addr, len, prot, flags, (uint64_t)off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	int lib = (flags & MAP_ANONYMOUS) ? -1 : device_lib(fd);

	if (lib < 0)
		return REAL(mmap64, void *(*)(void *, size_t, int, int, int, off64_t))(
			addr, len, prot, flags, fd, off);
	return map_bar(lib, addr, len, prot, flags, (uint64_t)off);
}
