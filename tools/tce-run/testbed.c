/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree the shim redirects /sys and /dev/vfio paths into (umockdev's
 * testbed idea): for each PCI function of the machine the sysfs directory
 * real VFIO clients read (vendor, device, class, numa_node, resource, the
 * iommu_group and driver links, with the kernel's relative link texts),
 * the IOMMU groups with their devices, the vfio modules, and placeholder
 * files for /dev/vfio/vfio and /dev/vfio/<N> (stat reports them as
 * character devices). A testbed is named after the process that made it,
 * so one left behind by a process that never ran its exit handlers (killed
 * by a signal, or ended by _exit()) is removed by the next shim to start.
 * Runs while the shim is busy: plain libc calls. Front end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_SIZEALIGN | the BAR's 64-bit type. */
#define RESOURCE_MEM64 0x140204ull
/* Where the emulated BARs appear to sit (a POWER PHB's 64-bit MMIO space). */
#define BAR_BASE 0x6000000000000ull

static int mkdirs(const char *path)
{
	char buf[2 * PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

/* "@dir/@name" into @out: -ENAMETOOLONG when it does not fit. */
static int join(char *out, size_t size, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + 1 + b + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, dir, a);
	out[a] = '/';
	memcpy(out + a + 1, name, b + 1);
	return 0;
}

static int put(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int put(const char *dir, const char *name, const char *fmt, ...)
{
	char path[2 * PATH_MAX];
	va_list ap;
	FILE *f;
	int rc;

	if (join(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	rc = fclose(f) ? -errno : 0;
	return rc;
}

static int link_at(const char *target, const char *dir, const char *name)
{
	char path[2 * PATH_MAX];

	if (join(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	return symlink(target, path) && errno != EEXIST ? -errno : 0;
}

static uint32_t cfg(struct tce_pci_dev *p, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	tce_dev_config_read(p, off, size, &v);
	return v;
}

/* The function's resource file: six BARs, the ROM and the six SR-IOV BARs. */
static int resource(const char *dir, struct tce_pci_dev *p, uint32_t index)
{
	char text[13 * 60], *t = text;
	uint64_t size, start;
	unsigned i;

	for (i = 0; i < 13; i++) {
		size = 0;
		if (i < 6)
			tce_dev_bar_size(p, i, &size);
		start = BAR_BASE + ((uint64_t)index << 32) + ((uint64_t)i << 24);
		t += sprintf(t, "0x%016llx 0x%016llx 0x%016llx\n",
			     (unsigned long long)(size ? start : 0),
			     (unsigned long long)(size ? start + size - 1 : 0),
			     (unsigned long long)(size ? RESOURCE_MEM64 : 0));
	}
	return put(dir, "resource", "%s", text);
}

static int device_dir(const char *root, struct tce_pci_dev *p, uint32_t index, int group)
{
	const char *bdf = tce_dev_name(p);
	char dev[2 * PATH_MAX], rel[PATH_MAX], at[2 * PATH_MAX];
	int rc;

	snprintf(rel, sizeof(rel), "devices/pci%.4s:00/%s", bdf, bdf);
	snprintf(dev, sizeof(dev), "%s/sys/%s", root, rel);
	rc = mkdirs(dev);
	rc = rc ? rc : put(dev, "vendor", "0x%04x\n", cfg(p, TCE_PCI_VENDOR_ID, 2));
	rc = rc ? rc : put(dev, "device", "0x%04x\n", cfg(p, TCE_PCI_DEVICE_ID, 2));
	rc = rc ? rc : put(dev, "subsystem_vendor", "0x%04x\n",
			   cfg(p, TCE_PCI_SUBSYSTEM_VENDOR_ID, 2));
	rc = rc ? rc : put(dev, "subsystem_device", "0x%04x\n", cfg(p, TCE_PCI_SUBSYSTEM_ID, 2));
	rc = rc ? rc : put(dev, "class", "0x%06x\n", cfg(p, TCE_PCI_CLASS_REVISION, 4) >> 8);
	rc = rc ? rc : put(dev, "numa_node", "0\n");
	rc = rc ? rc : resource(dev, p, index);
	rc = rc ? rc : link_at("../../../bus/pci/drivers/vfio-pci", dev, "driver");
	rc = rc ? rc : link_at("../../../bus/pci", dev, "subsystem");
	if (!rc && group >= 0) {
		snprintf(at, sizeof(at), "../../../kernel/iommu_groups/%d", group);
		rc = link_at(at, dev, "iommu_group");
		snprintf(at, sizeof(at), "%s/sys/kernel/iommu_groups/%d/devices", root, group);
		rc = rc ? rc : mkdirs(at);
		snprintf(rel, sizeof(rel), "../../../../devices/pci%.4s:00/%s", bdf, bdf);
		rc = rc ? rc : link_at(rel, at, bdf);
	}
	snprintf(at, sizeof(at), "%s/sys/bus/pci/devices", root);
	snprintf(rel, sizeof(rel), "../../../devices/pci%.4s:00/%s", bdf, bdf);
	rc = rc ? rc : link_at(rel, at, bdf);
	snprintf(at, sizeof(at), "%s/sys/bus/pci/drivers/vfio-pci", root);
	snprintf(rel, sizeof(rel), "../../../../devices/pci%.4s:00/%s", bdf, bdf);
	return rc ? rc : link_at(rel, at, bdf);
}

static int modules(const char *root)
{
	char dir[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s/sys/module/vfio/parameters", root);
	rc = mkdirs(dir);
	rc = rc ? rc : put(dir, "enable_unsafe_noiommu_mode", "N\n");
	snprintf(dir, sizeof(dir), "%s/sys/module/vfio_pci", root);
	rc = rc ? rc : mkdirs(dir);
	snprintf(dir, sizeof(dir), "%s/sys/module/vfio_iommu_spapr_tce", root);
	return rc ? rc : mkdirs(dir);
}

/* The group number of @p's IOMMU group, or -1 (a function with no host device). */
static int group_of(struct tce_host *h, struct tce_pci_dev *p)
{
	struct tce_device *d;

	if (tce_host_find_device(h, tce_dev_name(p), &d))
		return -1;
	return shim_group_number(tce_device_group(d));
}

int shim_testbed_build(const char *root, struct tce_machine *m, struct tce_host *h)
{
	struct tce_machine_info mi;
	struct tce_pci_dev *p;
	char dir[PATH_MAX], name[16];
	uint32_t i;
	int rc;

	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/drivers/vfio-pci", root);
	rc = mkdirs(dir);
	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices", root);
	rc = rc ? rc : mkdirs(dir);
	rc = rc ? rc : modules(root);
	snprintf(dir, sizeof(dir), "%s/sys/kernel/debug/powerpc", root);
	rc = rc ? rc : mkdirs(dir);
	rc = rc ? rc : put(dir, "eeh_dev_break", "%s", "");
	snprintf(dir, sizeof(dir), "%s/dev/vfio", root);
	rc = rc ? rc : mkdirs(dir);
	rc = rc ? rc : put(dir, "vfio", "%s", "");
	for (i = 0; !rc && i < tce_host_ngroups(h); i++) {
		snprintf(name, sizeof(name), "%u", i);
		rc = put(dir, name, "%s", "");
	}
	tce_machine_info(m, &mi);
	for (i = 0; !rc && i < mi.ndevs; i++) {
		if (tce_machine_device(m, i, &p))
			return -EINVAL;
		rc = device_dir(root, p, i, group_of(h, p));
	}
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path); /* best effort: the rest still goes */
	return 0;
}

void shim_testbed_remove(const char *dir)
{
	if (dir[0] == '/')
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The creator's pid of a testbed named tce-run.<pid>.<6 random characters>, or 0. */
static pid_t testbed_pid(const char *name)
{
	char *end;
	long pid;

	if (strncmp(name, "tce-run.", 8))
		return 0;
	pid = strtol(name + 8, &end, 10);
	if (pid <= 0 || end == name + 8 || *end != '.' || strlen(end) != 7)
		return 0;
	return (pid_t)pid;
}

void shim_testbed_reap(const char *tmp)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(tmp);
	pid_t pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid = testbed_pid(e->d_name);
		if (!pid || kill(pid, 0) == 0 || errno != ESRCH)
			continue; /* not a testbed, or its process lives (or is not ours to ask) */
		if (snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		shim_testbed_remove(path);
	}
	closedir(d);
}
