/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The paths a VFIO client reads, as the kernel would give them, checked
 * under tce-run: /dev/vfio (a directory listing vfio and the groups, the
 * nodes character devices), /sys/bus/pci/devices/<bdf> (a link to the
 * device's directory with vendor, device, class, the iommu_group link of
 * the form ../../../kernel/iommu_groups/N and driver -> vfio-pci), and
 * /sys/kernel/iommu_groups/<N>/devices. Through stat, lstat, access,
 * readlink, realpath, opendir+readdir, scandir, open+read and fopen.
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "client.h"

#define SYSDEV "/sys/bus/pci/devices/"

/* Does directory @path list @name? (opendir + readdir) */
static bool lists(const char *path, const char *name)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while ((e = readdir(d)))
		found |= !strcmp(e->d_name, name);
	closedir(d);
	return found;
}

static bool link_is(const char *path, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = 0;
	if (strcmp(buf, want))
		printf("# readlink %s: '%s', want '%s'\n", path, buf, want);
	return !strcmp(buf, want);
}

static bool file_is(const char *path, const char *want)
{
	char buf[256] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || strcmp(buf, want))
		printf("# %s: '%s', want '%s'\n", path, buf, want);
	return n >= 0 && !strcmp(buf, want);
}

static void dev_vfio(void)
{
	struct stat st;
	char name[32];
	int g = ic_group_of(DEV0);

	CHECK_OK(stat("/dev/vfio", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat("/dev/vfio/", &st));
	CHECK_OK(stat("/dev/vfio/vfio", &st));
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 && minor(st.st_rdev) == 196);
	CHECK_OK(lstat("/dev/vfio/vfio", &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_OK(access("/dev/vfio/vfio", R_OK | W_OK));
	REQUIRE(g >= 0);
	snprintf(name, sizeof(name), "/dev/vfio/%d", g);
	CHECK_OK(stat(name, &st));
	CHECK(S_ISCHR(st.st_mode) && minor(st.st_rdev) == (unsigned)g);
	CHECK_OK(access(name, F_OK));
	CHECK_ERRNO(stat("/dev/vfio/4096", &st), ENOENT);
	CHECK_ERRNO(access("/dev/vfio/4096", F_OK), ENOENT);
	CHECK(lists("/dev/vfio", "vfio"));
	snprintf(name, sizeof(name), "%d", g);
	CHECK(lists("/dev/vfio", name));
	CHECK(lists("/dev/vfio", "."));
}

static void pci_device_dir(void)
{
	struct stat st;

	CHECK(lists("/sys/bus/pci/devices", DEV0) && lists("/sys/bus/pci/devices", DEV1));
	CHECK_OK(lstat(SYSDEV DEV0, &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK(link_is(SYSDEV DEV0, "../../../devices/pci0000:00/" DEV0));
	CHECK_OK(stat(SYSDEV DEV0, &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat(SYSDEV DEV0 "/", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(access(SYSDEV DEV0, F_OK));
	CHECK(file_is(SYSDEV DEV0 "/vendor", "0x7ce5\n"));
	CHECK(file_is(SYSDEV DEV0 "/device", "0x0001\n"));
	CHECK(file_is(SYSDEV DEV0 "/class", "0xff0000\n"));
	CHECK(file_is(SYSDEV DEV0 "/numa_node", "0\n"));
	CHECK_OK(access(SYSDEV DEV0 "/resource", R_OK));
	CHECK(lists(SYSDEV DEV0, "iommu_group") && lists(SYSDEV DEV0, "driver") &&
	      lists(SYSDEV DEV0, "vendor"));
	CHECK_ERRNO(stat(SYSDEV "0000:00:09.0", &st), ENOENT);
	CHECK_ERRNO(access(SYSDEV DEV0 "/sriov_numvfs_nonesuch", F_OK), ENOENT);
}

static void iommu_group_link(void)
{
	char want[64], path[PATH_MAX], *real;
	struct stat st;
	int g = ic_group_of(DEV0);

	REQUIRE(g >= 0);
	snprintf(want, sizeof(want), "../../../kernel/iommu_groups/%d", g);
	CHECK(link_is(SYSDEV DEV0 "/iommu_group", want));
	CHECK(strlen(want) <= 49);
	CHECK_OK(lstat(SYSDEV DEV0 "/iommu_group", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(stat(SYSDEV DEV0 "/iommu_group", &st)); /* through the link */
	CHECK(S_ISDIR(st.st_mode));
	real = realpath(SYSDEV DEV0 "/iommu_group", NULL);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d", g);
	CHECK(real && !strcmp(real, path));
	if (real && strcmp(real, path))
		printf("# realpath: %s, want %s\n", real, path);
	free(real);
	real = realpath(SYSDEV DEV0, NULL);
	CHECK(real && !strcmp(real, "/sys/devices/pci0000:00/" DEV0));
	free(real);
	CHECK(ic_group_of(DEV1) >= 0 && ic_group_of(DEV1) != g); /* one PE each */
}

static void driver_link(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(SYSDEV DEV0 "/driver", buf, sizeof(buf) - 1);
	struct stat st;

	REQUIRE(n > 0);
	buf[n] = 0;
	CHECK(!strcmp(buf, "../../../bus/pci/drivers/vfio-pci"));
	CHECK(!strcmp(strrchr(buf, '/'), "/vfio-pci"));
	CHECK_OK(stat(SYSDEV DEV0 "/driver", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK(lists("/sys/bus/pci/drivers/vfio-pci", DEV0));
}

static void iommu_groups_dir(void)
{
	char dir[96], want[96], ent[160];
	struct dirent **list;
	int g = ic_group_of(DEV0), n, i, found = 0;

	REQUIRE(g >= 0);
	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%d/devices", g);
	CHECK(lists(dir, DEV0));
	CHECK(!lists(dir, DEV1));
	snprintf(ent, sizeof(ent), "%s/%s", dir, DEV0);
	snprintf(want, sizeof(want), "../../../../devices/pci0000:00/%s", DEV0);
	CHECK(link_is(ent, want));
	snprintf(ent, sizeof(ent), "%s/%s/vendor", dir, DEV0);
	CHECK(file_is(ent, "0x7ce5\n"));
	n = scandir(dir, &list, NULL, alphasort);
	CHECK(n >= 3);
	for (i = 0; i < n; i++) {
		found += !strcmp(list[i]->d_name, DEV0);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	CHECK_EQ(found, 1);
	snprintf(dir, sizeof(dir), "%d", g);
	CHECK(lists("/sys/kernel/iommu_groups", dir));
}

/* fopen, openat and the fortified/64-bit names reach the same tree; /dev/vfio/vfio by openat. */
static void other_entry_points(void)
{
	char line[32] = { 0 };
	FILE *f = fopen(SYSDEV DEV0 "/vendor", "re");
	int c;

	REQUIRE(f);
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "0x7ce5\n"));
	fclose(f);
	c = openat(AT_FDCWD, "/dev/vfio/vfio", O_RDWR);
	CHECK_OK(c);
	CHECK_EQ(ioctl(c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	close(c);
	c = open64("/dev/vfio/vfio", O_RDWR);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU), 1);
	close(c);
	CHECK_OK(faccessat(AT_FDCWD, SYSDEV DEV0 "/iommu_group", F_OK, 0));
}

/* Paths the shim does not own are libc's: the real /proc and /sys outside its parts. */
static void untouched_paths(void)
{
	struct stat st;
	char buf[PATH_MAX];

	CHECK_OK(stat("/proc/self", &st));
	CHECK(readlink("/proc/self/exe", buf, sizeof(buf)) > 0);
	CHECK_OK(stat("/", &st));
	CHECK_ERRNO(stat("/dev/vfio-not", &st), ENOENT);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = {
		IC_CASE(dev_vfio),         IC_CASE(pci_device_dir),     IC_CASE(iommu_group_link),
		IC_CASE(driver_link),      IC_CASE(iommu_groups_dir),   IC_CASE(other_entry_points),
		IC_CASE(untouched_paths),
	};

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
