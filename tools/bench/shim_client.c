/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tce-bench-shim-client: the shim side of `tce-bench shim`. tce-bench runs
 * it under tce-run with pipes on its stdin and stdout. It sets up as a
 * DPDK-style v2 client does (group from sysfs, container, SPAPR_TCE_v2, the
 * default window declined, one window of 4 KiB pages created, the map
 * memory registered), or with the argument "type1" (under tce-run --type1)
 * as a Type1 client does (container, TYPE1v2_IOMMU, the map memory only
 * mapped: MAP_DMA pins it), says "ready", then runs each command it reads
 * and answers with its timings in ns:
 *
 *   map N CALLS   -> ok MAP_NS UNMAP_NS     (sl_map_unmap)
 *   chunks K      -> ok SETUP_NS TEARDOWN_NS (sl_chunks; v2 only)
 *   floor K N     -> ok NS 0                 (N system calls of kind K: getppid, or
 *                                            readv (process_vm_readv of 32 bytes of
 *                                            its own memory) or fstat (of a memfd), the
 *                                            calls the shim makes per ioctl)
 *   quit
 *
 * A failure answers "err ERRNO REQUEST". Written against <linux/vfio.h> and
 * libc only, like any program tce-run runs. Layer: tools.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "shim_loops.h"

#define DEVICE "0000:00:01.0"

static long container_ioctl(void *ctx, unsigned long req, void *arg)
{
	int rc = ioctl(*(int *)ctx, req, arg);

	return rc < 0 ? -errno : rc;
}

static int fail(const char *what)
{
	printf("err %d %s\n", errno, what);
	fflush(stdout);
	return 1;
}

/* The IOMMU group of DEVICE, from its sysfs link; -1 with errno. */
static int group_number(void)
{
	char link[PATH_MAX];
	ssize_t n = readlink("/sys/bus/pci/devices/" DEVICE "/iommu_group", link,
			     sizeof(link) - 1);

	if (n < 0)
		return -1;
	link[n] = 0;
	return atoi(basename(link));
}

/* Untouched anonymous memory, as the library side's. */
static uint64_t arena(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? 0 : (uint64_t)(uintptr_t)p;
}

/* Container and group as a client opens them, the IOMMU type set, the map memory mapped. */
static int open_group(int *cfd, unsigned long type, struct sl_target *t)
{
	char path[64];
	int gfd, g = group_number();

	if (g < 0)
		return fail("iommu_group");
	*cfd = open("/dev/vfio/vfio", O_RDWR);
	if (*cfd < 0)
		return fail("/dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	gfd = open(path, O_RDWR);
	if (gfd < 0)
		return fail(path);
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, cfd))
		return fail("GROUP_SET_CONTAINER");
	if (ioctl(*cfd, VFIO_SET_IOMMU, type))
		return fail("SET_IOMMU");
	t->map_ua = arena(SL_MAP_BYTES);
	if (!t->map_ua)
		return fail("mmap");
	t->ioctl = container_ioctl;
	t->ctx = cfd;
	return 0;
}

/* A v2 client: one window, the map memory registered. */
static int setup_v2(int *cfd, struct sl_target *t)
{
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = SL_PAGE_SHIFT,
						  .window_size = SL_WINDOW_BYTES, .levels = 1 };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg),
							.size = SL_MAP_BYTES };

	if (open_group(cfd, VFIO_SPAPR_TCE_v2_IOMMU, t))
		return 1;
	if (ioctl(*cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm))
		return fail("SPAPR_TCE_REMOVE");
	if (ioctl(*cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr))
		return fail("SPAPR_TCE_CREATE");
	t->chunk_ua = arena((uint64_t)SL_CHUNKS * SL_CHUNK_BYTES);
	if (!t->chunk_ua)
		return fail("mmap");
	reg.vaddr = t->map_ua;
	if (ioctl(*cfd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg))
		return fail("REGISTER_MEMORY");
	t->win_start = cr.start_addr;
	return 0;
}

/* A Type1 client: maps from the domain's bus address 0, nothing registered. */
static int setup_t1(int *cfd, struct sl_target *t)
{
	if (open_group(cfd, VFIO_TYPE1v2_IOMMU, t))
		return 1;
	t->win_start = SL_T1_IOVA;
	return 0;
}

enum floor_kind { F_GETPPID, F_READV, F_FSTAT, F_NONE };

static enum floor_kind floor_kind(const char *name)
{
	static const char *const names[F_NONE] = { "getppid", "readv", "fstat" };
	int k;

	for (k = 0; k < F_NONE && strcmp(names[k], name); k++)
		;
	return (enum floor_kind)k;
}

/* @n system calls of @kind, timed; 0 when @kind is none of them. */
static uint64_t floor_syscalls(enum floor_kind kind, uint64_t n)
{
	uint64_t i, t0, src[4] = { 1, 2, 3, 4 }, dst[4];
	struct iovec l = { dst, sizeof(dst) }, r = { src, sizeof(src) };
	pid_t pid = getpid();
	struct stat st;
	int fd = kind == F_NONE ? -1 : memfd_create("floor", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	t0 = sl_now_ns();
	for (i = 0; i < n; i++) {
		if (kind == F_GETPPID)
			getppid();
		else if (kind == F_READV)
			process_vm_readv(pid, &l, 1, &r, 1, 0);
		else
			syscall(SYS_fstat, fd, &st);
	}
	t0 = sl_now_ns() - t0;
	close(fd);
	return t0;
}

/* One command line: answered on stdout. Returns 1 on "quit". */
static int command(struct sl_target *t, const char *line)
{
	unsigned long long a, b;
	uint64_t x = 0, y = 0;
	char kind[16];
	int rc = 0;

	t->failed = "command";
	if (sscanf(line, "map %llu %llu", &a, &b) == 2)
		rc = sl_map_unmap(t, a, b, &x, &y);
	else if (sscanf(line, "chunks %llu", &a) == 1 && a <= SL_CHUNKS && t->chunk_ua)
		rc = sl_chunks(t, (uint32_t)a, &x, &y);
	else if (sscanf(line, "floor %15s %llu", kind, &a) == 2)
		rc = (x = floor_syscalls(floor_kind(kind), a)) ? 0 : -EINVAL;
	else if (!strncmp(line, "quit", 4))
		return 1;
	else
		rc = -EINVAL;
	if (rc)
		printf("err %d %s\n", -rc, t->failed);
	else
		printf("ok %llu %llu\n", (unsigned long long)x, (unsigned long long)y);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	bool t1 = argc > 1 && !strcmp(argv[1], "type1");
	struct sl_target t = { 0 };
	char line[128];
	int cfd;

	if (t1 ? setup_t1(&cfd, &t) : setup_v2(&cfd, &t))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		if (command(&t, line))
			break;
	return 0;
}
