/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hostile VFIO client for the fd model, run under tce-run: the three fds
 * closed in every order (the device keeps its group and the group its
 * container, as the kernel's file references do; the group opens again
 * only once its last file is gone), dup, dup2, dup3 and fcntl(F_DUPFD,
 * F_DUPFD_CLOEXEC) of emulated fds, dup2 over an emulated fd, close-on-exec
 * flags, fstat of the nodes' fds, and fds that are closed. Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096u
#define BUF (64u * PAGE)
#define IOVA 0x200000u

static uint8_t *buf;

/* Register (v2) and map the buffer; the device then copies within it. */
static bool map_buf(struct vf *v)
{
	if (v->v2 && ic_register(v, buf, BUF))
		return false;
	return !ic_map(v, IOVA, buf, BUF, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

/* A device copy of one page to the next: STATUS done and the data arrived. */
static bool copy_works(struct vf *v)
{
	static uint8_t seed;
	unsigned i;

	seed++;
	for (i = 0; i < PAGE; i++)
		buf[i] = (uint8_t)(i ^ seed);
	memset(buf + PAGE, 0, PAGE);
	return ic_copy(v, IOVA, IOVA + PAGE, PAGE) == DT_DONE && !memcmp(buf, buf + PAGE, PAGE);
}

/* The group can be opened (its last file is gone): true, and closes it again. */
static bool group_free(const char *bdf)
{
	int g = ic_open_group(bdf);

	if (g < 0)
		return false;
	close(g);
	return true;
}

static void close_container_first(void)
{
	struct vf v;

	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	close(v.container);
	v.container = -1;
	CHECK(copy_works(&v)); /* the group holds the container and its mappings */
	close(v.group);
	v.group = -1;
	CHECK(copy_works(&v)); /* the device holds the group */
	CHECK_ERRNO(ic_open_group(DEV0), EBUSY);
	close(v.device);
	v.device = -1;
	CHECK(group_free(DEV0));
}

static void close_group_first(void)
{
	struct vf v;

	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	close(v.group);
	v.group = -1;
	CHECK_ERRNO(ic_open_group(DEV0), EBUSY);
	CHECK(copy_works(&v));
	close(v.device);
	v.device = -1;
	CHECK(group_free(DEV0));
	/* The container lost its last group: its IOMMU state went with it. */
	CHECK_ERRNO(ic_map(&v, IOVA, buf, PAGE, VFIO_DMA_MAP_FLAG_READ), EINVAL);
	ic_teardown(&v);
}

static void close_device_first(void)
{
	struct vf v;

	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	close(v.device);
	v.device = -1;
	CHECK_OK(ioctl(v.group, VFIO_GROUP_UNSET_CONTAINER)); /* no device open any more */
	close(v.group);
	v.group = -1;
	CHECK(group_free(DEV0));
	ic_teardown(&v);
}

static void device_last_after_both(void)
{
	struct vf v;

	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	close(v.group);
	close(v.container);
	v.group = v.container = -1;
	CHECK(copy_works(&v));
	close(v.device);
	v.device = -1;
	CHECK(group_free(DEV0));
	/* And the whole sequence works again from the start. */
	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	CHECK(copy_works(&v));
	ic_teardown(&v);
}

/* A dup'ed group fd keeps the group open; each dup flavour names the same file. */
static void dup_family(void)
{
	int g = ic_open_group(DEV0), d[4], p[2], i;
	struct vfio_group_status st = { .argsz = sizeof(st) };

	REQUIRE(g >= 0 && !pipe(p));
	d[0] = dup(g);
	d[1] = fcntl(g, F_DUPFD, 100);
	d[2] = fcntl(g, F_DUPFD_CLOEXEC, 200);
	d[3] = dup3(g, 300, O_CLOEXEC);
	CHECK(d[1] >= 100 && d[2] >= 200 && d[3] == 300);
	CHECK(!(fcntl(d[1], F_GETFD) & FD_CLOEXEC) && (fcntl(d[2], F_GETFD) & FD_CLOEXEC) &&
	      (fcntl(d[3], F_GETFD) & FD_CLOEXEC));
	close(g);
	for (i = 0; i < 4; i++) {
		CHECK_OK(ioctl(d[i], VFIO_GROUP_GET_STATUS, &st));
		CHECK_ERRNO(ic_open_group(DEV0), EBUSY);
		close(d[i]);
	}
	CHECK(group_free(DEV0));
	/* dup2 onto a number that names the group closes the group's file there. */
	g = ic_open_group(DEV0);
	REQUIRE(g >= 0);
	CHECK_EQ(dup2(p[0], g), g);
	CHECK(group_free(DEV0));
	CHECK_ERRNO(ioctl(g, VFIO_GROUP_GET_STATUS, &st), ENOTTY); /* a pipe now */
	close(g);
	close(p[1]);
	/* dup2 of a number onto itself changes nothing. */
	g = ic_open_group(DEV0);
	REQUIRE(g >= 0);
	CHECK_EQ(dup2(g, g), g);
	CHECK_OK(ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	close(g);
	CHECK(group_free(DEV0));
}

/* A dup'ed container serves the same IOMMU state; a dup'ed device the same function. */
static void dup_container_and_device(void)
{
	struct vf v, w;
	int c2, d2;

	REQUIRE(ic_setup(&v, DEV0) && map_buf(&v) && ic_device(&v, DEV0));
	c2 = dup(v.container);
	d2 = fcntl(v.device, F_DUPFD_CLOEXEC, 0);
	close(v.container);
	close(v.device);
	w = v;
	w.container = c2;
	w.device = d2;
	CHECK_OK(ic_unmap(&w, IOVA, BUF));
	CHECK_OK(ic_map(&w, IOVA, buf, BUF, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	CHECK(copy_works(&w));
	ic_teardown(&w);
	CHECK(group_free(DEV0));
}

/* The kernel's flags: device fds are O_CLOEXEC; nodes as opened; the nodes are chardevs. */
static void flags_and_fstat(void)
{
	struct vf v;
	struct stat st;
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	REQUIRE(c >= 0);
	CHECK(fcntl(c, F_GETFD) & FD_CLOEXEC);
	CHECK_OK(fstat(c, &st));
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 && minor(st.st_rdev) == 196);
	close(c);
	REQUIRE(ic_setup(&v, DEV0) && ic_device(&v, DEV0));
	CHECK(!(fcntl(v.container, F_GETFD) & FD_CLOEXEC));
	CHECK(fcntl(v.device, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(fcntl(v.container, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_OK(fstat(v.group, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(fcntl(v.device, F_GETFL) & O_ACCMODE, O_RDWR);
	ic_teardown(&v);
}

/* A closed emulated fd is a closed fd: EBADF, and its number is reused for anything. */
static void closed_fds(void)
{
	struct vf v;
	int c, n;

	REQUIRE(ic_setup(&v, DEV0));
	c = v.container;
	ic_teardown(&v);
	CHECK_ERRNO(ioctl(c, VFIO_GET_API_VERSION), EBADF);
	CHECK_ERRNO(close(c), EBADF);
	n = open("/dev/null", O_RDONLY);
	CHECK_EQ(n, c); /* lowest free number */
	CHECK_ERRNO(ioctl(n, VFIO_GET_API_VERSION), ENOTTY);
	close(n);
	CHECK(group_free(DEV0));
}

/* Many containers and groups opened and closed: nothing is left behind. */
static void churn(void)
{
	struct vf v;
	int i;

	for (i = 0; i < 200 && !ic_failed(); i++) {
		if (!ic_setup(&v, i & 1 ? DEV1 : DEV0)) {
			ic_fail(__FILE__, __LINE__, "setup %d: %s", i, ic_errname(errno));
			ic_teardown(&v);
			break;
		}
		if (i % 3 == 0 && !ic_device(&v, i & 1 ? DEV1 : DEV0))
			ic_fail(__FILE__, __LINE__, "device %d: %s", i, ic_errname(errno));
		ic_teardown(&v);
	}
	CHECK(group_free(DEV0) && group_free(DEV1));
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = {
		IC_CASE(close_container_first), IC_CASE(close_group_first),
		IC_CASE(close_device_first),    IC_CASE(device_last_after_both),
		IC_CASE(dup_family),            IC_CASE(dup_container_and_device),
		IC_CASE(flags_and_fstat),       IC_CASE(closed_fds),
		IC_CASE(churn),
	};

	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
