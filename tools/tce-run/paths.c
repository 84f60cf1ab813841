/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path wrappers: every libc entry point that takes a path (open, stat,
 * access, readlink, realpath, opendir and their 64-bit, *at, fortified and
 * pre-2.33 variants) sends the paths the shim owns into its testbed: all of
 * /dev/vfio, and of /sys the PCI bus, the PCI devices, the IOMMU groups and
 * the vfio modules. Opening /dev/vfio/vfio or /dev/vfio/<N> makes an
 * emulated fd; stat reports those nodes as the kernel's character devices.
 * Everything else goes to libc untouched. Front end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shim.h"

#define VFIO_MISC_MINOR 196u

static const char *const owned[] = {
	"/dev/vfio", "/sys/bus/pci", "/sys/devices/pci", "/sys/kernel/iommu_groups",
	"/sys/module/vfio", "/sys/module/vfio_pci", "/sys/module/vfio_iommu_spapr_tce",
	SHIM_EEH_BREAK,
};

/* An fd opened on the testbed's EEH break file is marked so that its writes freeze a PE. */
static int opened(const char *p, const char *path, int fd)
{
	if (fd >= 0 && p != path && !strcmp(path, SHIM_EEH_BREAK))
		shim_fd_mark_break(fd);
	return fd;
}

/* @path is @prefix or below it ("/sys/devices/pci" also takes "pci0000:00"). */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n))
		return false;
	return !path[n] || path[n] == '/' || !strcmp(prefix, "/sys/devices/pci");
}

const char *shim_path(const char *path, char *buf, size_t size)
{
	size_t i;

	if (!path || path[0] != '/')
		return path;
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		if (under(path, owned[i])) {
			if (!shim_ready())
				return path;
			if (snprintf(buf, size, "%s%s", shim_testbed(), path) >= (int)size)
				return path;
			return buf;
		}
	}
	return path;
}

/* What a testbed path under dev/vfio names: -1 not a node, 0 the container node, 1 + N a group. */
static int node_of(const char *tb)
{
	size_t n = strlen(shim_testbed());
	const char *rest;
	char *end;
	long g;

	if (tb == NULL || strncmp(tb, shim_testbed(), n) || strncmp(tb + n, "/dev/vfio/", 10))
		return -1;
	rest = tb + n + 10;
	if (!strcmp(rest, "vfio"))
		return 0;
	g = strtol(rest, &end, 10);
	return *rest && !*end && g >= 0 && g < (long)tce_host_ngroups(shim_host()) ? (int)g + 1 : -1;
}

static void patch_stat(const char *tb, struct stat *st)
{
	int node = node_of(tb);

	if (node < 0)
		return;
	st->st_mode = S_IFCHR | (node ? 0600 : 0666);
	st->st_rdev = node ? makedev(SHIM_VFIO_GROUP_MAJOR, node - 1) : makedev(10, VFIO_MISC_MINOR);
	st->st_size = 0;
}

/* Open an emulated node: the new fd, or -1 with errno; -2 when @tb is no node. */
static int open_node(const char *tb, int flags)
{
	int node = node_of(tb), lib;

	if (node < 0)
		return -2;
	shim_enter();
	lib = node ? tce_vfio_open_group(shim_mm(), tce_host_group(shim_host(), node - 1))
		   : shim_open_container();
	shim_leave();
	if (lib < 0) {
		errno = -lib;
		return -1;
	}
	lib = shim_fd_new(lib, node ? TCE_VFIO_GROUP : TCE_VFIO_CONTAINER, flags & O_CLOEXEC);
	if (lib < 0) {
		errno = -lib;
		return -1;
	}
	return lib;
}

/* ---- open ---- */

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN_WRAPPER(name)                                                          \
	int name(const char *path, int flags, ...)                                  \
	{                                                                           \
		char buf[PATH_MAX];                                                 \
		const char *p = shim_path(path, buf, sizeof(buf));                  \
		va_list ap;                                                         \
		mode_t mode;                                                        \
		int fd;                                                             \
                                                                                    \
		va_start(ap, flags);                                                \
		mode = mode_arg(flags, ap);                                         \
		va_end(ap);                                                         \
		if (p != path && (fd = open_node(p, flags)) != -2)                  \
			return fd;                                                  \
		return opened(p, path,                                              \
			      REAL(name, int (*)(const char *, int, ...))(p, flags, mode)); \
	}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

#define OPENAT_WRAPPER(name)                                                             \
	int name(int dirfd, const char *path, int flags, ...)                            \
	{                                                                                \
		char buf[PATH_MAX];                                                      \
		const char *p = shim_path(path, buf, sizeof(buf));                       \
		va_list ap;                                                              \
		mode_t mode;                                                             \
		int fd;                                                                  \
                                                                                         \
		va_start(ap, flags);                                                     \
		mode = mode_arg(flags, ap);                                              \
		va_end(ap);                                                              \
		if (p != path && (fd = open_node(p, flags)) != -2)                       \
			return fd;                                                       \
		return opened(p, path, REAL(name, int (*)(int, const char *, int, ...))( \
						dirfd, p, flags, mode));                 \
	}

OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode)
{
	return open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* fopen of an emulated node: a stream on its fd, as the kernel's file would give. */
static FILE *fopen_node(const char *p, const char *mode)
{
	int flags = strchr(mode, '+') ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
	int fd = open_node(p, flags | (strchr(mode, 'e') ? O_CLOEXEC : 0));

	if (fd == -2)
		return (FILE *)-1;
	return fd < 0 ? NULL : fdopen(fd, mode);
}

typedef FILE *(*fopen_fn)(const char *, const char *);
typedef FILE *(*freopen_fn)(const char *, const char *, FILE *);

/* fopen of an owned path: an emulated node, or the testbed's file through @real. */
static FILE *fopen_path(const char *path, const char *mode, fopen_fn real)
{
	char buf[PATH_MAX];
	const char *p = shim_path(path, buf, sizeof(buf));
	FILE *f;

	if (p != path && (f = fopen_node(p, mode)) != (FILE *)-1)
		return f;
	return real(p, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return fopen_path(path, mode, REAL(fopen, fopen_fn));
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen_path(path, mode, REAL(fopen64, fopen_fn));
}

FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	char buf[PATH_MAX];

	return REAL(freopen, freopen_fn)(shim_path(path, buf, sizeof(buf)), mode, stream);
}

FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	char buf[PATH_MAX];

	return REAL(freopen64, freopen_fn)(shim_path(path, buf, sizeof(buf)), mode, stream);
}

/* ---- stat ---- */

#define STAT_WRAPPER(name, st_t)                                              \
	int name(const char *path, struct st_t *st)                           \
	{                                                                     \
		char buf[PATH_MAX];                                           \
		const char *p = shim_path(path, buf, sizeof(buf));            \
		int rc = REAL(name, int (*)(const char *, struct st_t *))(p, st); \
                                                                              \
		if (!rc && p != path)                                         \
			patch_stat(p, (struct stat *)st);                     \
		return rc;                                                    \
	}

STAT_WRAPPER(stat, stat)
STAT_WRAPPER(stat64, stat64)
STAT_WRAPPER(lstat, stat)
STAT_WRAPPER(lstat64, stat64)

#define FSTATAT_WRAPPER(name, st_t)                                                          \
	int name(int dirfd, const char *path, struct st_t *st, int flags)                    \
	{                                                                                    \
		char buf[PATH_MAX];                                                          \
		const char *p = shim_path(path, buf, sizeof(buf));                           \
		int rc = REAL(name, int (*)(int, const char *, struct st_t *, int))(dirfd, p, st, \
										     flags);  \
                                                                                             \
		if (!rc && p != path)                                                        \
			patch_stat(p, (struct stat *)st);                                    \
		return rc;                                                                   \
	}

FSTATAT_WRAPPER(fstatat, stat)
FSTATAT_WRAPPER(fstatat64, stat64)

/* glibc before 2.33: the versioned stat entry points. */
#define XSTAT_WRAPPER(name, st_t)                                                        \
	int name(int ver, const char *path, struct st_t *st);                            \
	int name(int ver, const char *path, struct st_t *st)                             \
	{                                                                                \
		char buf[PATH_MAX];                                                      \
		const char *p = shim_path(path, buf, sizeof(buf));                       \
		int (*real)(int, const char *, struct st_t *) =                          \
			REAL(name, int (*)(int, const char *, struct st_t *));           \
		int rc;                                                                  \
                                                                                         \
		if (!real) {                                                             \
			errno = ENOSYS;                                                  \
			return -1;                                                       \
		}                                                                        \
		rc = real(ver, p, st);                                                   \
		if (!rc && p != path)                                                    \
			patch_stat(p, (struct stat *)st);                                \
		return rc;                                                               \
	}

XSTAT_WRAPPER(__xstat, stat)
XSTAT_WRAPPER(__xstat64, stat64)
XSTAT_WRAPPER(__lxstat, stat)
XSTAT_WRAPPER(__lxstat64, stat64)

#define FXSTATAT_WRAPPER(name, st_t)                                                       \
	int name(int ver, int dirfd, const char *path, struct st_t *st, int flags);        \
	int name(int ver, int dirfd, const char *path, struct st_t *st, int flags)         \
	{                                                                                  \
		char buf[PATH_MAX];                                                        \
		const char *p = shim_path(path, buf, sizeof(buf));                         \
		int (*real)(int, int, const char *, struct st_t *, int) =                  \
			REAL(name, int (*)(int, int, const char *, struct st_t *, int));   \
		int rc;                                                                    \
                                                                                           \
		if (!real) {                                                               \
			errno = ENOSYS;                                                    \
			return -1;                                                         \
		}                                                                          \
		rc = real(ver, dirfd, p, st, flags);                                       \
		if (!rc && p != path)                                                      \
			patch_stat(p, (struct stat *)st);                                  \
		return rc;                                                                 \
	}

FXSTATAT_WRAPPER(__fxstatat, stat)
FXSTATAT_WRAPPER(__fxstatat64, stat64)

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	char buf[PATH_MAX];
	const char *p = shim_path(path, buf, sizeof(buf));
	int rc = REAL(statx, int (*)(int, const char *, int, unsigned, struct statx *))(
		dirfd, p, flags, mask, stx);
	struct stat st = { 0 };

	if (!rc && p != path && node_of(p) >= 0) {
		patch_stat(p, &st);
		stx->stx_mode = (uint16_t)st.st_mode;
		stx->stx_rdev_major = major(st.st_rdev);
		stx->stx_rdev_minor = minor(st.st_rdev);
		stx->stx_size = 0;
	}
	return rc;
}

/* ---- access, readlink, realpath, opendir ---- */

int access(const char *path, int mode)
{
	char buf[PATH_MAX];

	return REAL(access, int (*)(const char *, int))(shim_path(path, buf, sizeof(buf)), mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char buf[PATH_MAX];

	return REAL(faccessat, int (*)(int, const char *, int, int))(
		dirfd, shim_path(path, buf, sizeof(buf)), mode, flags);
}

int euidaccess(const char *path, int mode)
{
	char buf[PATH_MAX];

	return REAL(euidaccess, int (*)(const char *, int))(shim_path(path, buf, sizeof(buf)),
							     mode);
}

int eaccess(const char *path, int mode)
{
	return euidaccess(path, mode);
}

ssize_t readlink(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];

	return REAL(readlink, ssize_t (*)(const char *, char *, size_t))(
		shim_path(path, buf, sizeof(buf)), out, size);
}

ssize_t readlinkat(int dirfd, const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];

	return REAL(readlinkat, ssize_t (*)(int, const char *, char *, size_t))(
		dirfd, shim_path(path, buf, sizeof(buf)), out, size);
}

ssize_t __readlink_chk(const char *path, char *out, size_t size, size_t outlen);
ssize_t __readlink_chk(const char *path, char *out, size_t size, size_t outlen)
{
	return readlink(path, out, size < outlen ? size : outlen);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *out, size_t size, size_t outlen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *out, size_t size, size_t outlen)
{
	return readlinkat(dirfd, path, out, size < outlen ? size : outlen);
}

/* A resolved testbed path back to the path the program believes in. */
static char *strip_testbed(char *r)
{
	size_t n;

	if (!r || !shim_live())
		return r;
	n = strlen(shim_testbed());
	if (!strncmp(r, shim_testbed(), n) && r[n] == '/')
		memmove(r, r + n, strlen(r + n) + 1);
	return r;
}

char *realpath(const char *path, char *resolved)
{
	char buf[PATH_MAX];

	return strip_testbed(REAL(realpath, char *(*)(const char *, char *))(
		shim_path(path, buf, sizeof(buf)), resolved));
}

char *__realpath_chk(const char *path, char *resolved, size_t len);
char *__realpath_chk(const char *path, char *resolved, size_t len)
{
	(void)len;
	return realpath(path, resolved);
}

char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}

DIR *opendir(const char *path)
{
	char buf[PATH_MAX];

	return REAL(opendir, DIR *(*)(const char *))(shim_path(path, buf, sizeof(buf)));
}

typedef int (*filter_fn)(const struct dirent *);
typedef int (*compar_fn)(const struct dirent **, const struct dirent **);

int scandir(const char *path, struct dirent ***list, filter_fn filter, compar_fn compar)
{
	char buf[PATH_MAX];

	return REAL(scandir, int (*)(const char *, struct dirent ***, filter_fn, compar_fn))(
		shim_path(path, buf, sizeof(buf)), list, filter, compar);
}

typedef int (*filter64_fn)(const struct dirent64 *);
typedef int (*compar64_fn)(const struct dirent64 **, const struct dirent64 **);

int scandir64(const char *path, struct dirent64 ***list, filter64_fn filter, compar64_fn compar)
{
	char buf[PATH_MAX];

	return REAL(scandir64, int (*)(const char *, struct dirent64 ***, filter64_fn,
				       compar64_fn))(shim_path(path, buf, sizeof(buf)), list,
						     filter, compar);
}
