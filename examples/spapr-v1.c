/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VFIO sPAPR TCE v1 client, written against <linux/vfio.h> only, as QEMU
 * and older POWER programs drive a device on a host whose IOMMU groups offer
 * one fixed 32-bit DMA window: choose the v1 IOMMU, enable the container,
 * learn the window from GET_INFO, map a buffer with MAP_DMA (v1 pins the
 * pages itself: no REGISTER_MEMORY), then program the device through its
 * BAR0 with pread/pwrite of the registers (no mmap): one synchronous copy by
 * the CMD register and one by the DOORBELL with its MSI-X interrupt, check
 * the data, unmap, disable. Run it under tce-run: tce-run --machine legacy
 * ./spapr-v1 [BDF]. Exits 0 only when every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

/* The DMA-test device's BAR0 registers (docs/machine.md, "The DMA-test device"). */
#define REG_SRC 0x00
#define REG_DST 0x08
#define REG_LEN 0x10
#define REG_CMD 0x18
#define REG_STATUS 0x1c
#define REG_ID 0x28
#define REG_DOORBELL 0x30
#define DEVICE_ID_MAGIC 0x7ce5d0a1u
#define STATUS_DONE 1u
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define BUF_SIZE (1u << 20)
#define COPY_LEN (32u << 10)

static int failures;

/* One line of the account: what was checked and whether it held. */
static void check(int ok, const char *what)
{
	printf("%s  %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "spapr-v1: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The IOMMU group number of PCI device @bdf, from its sysfs iommu_group link. */
static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = 0;
	return atoi(basename(link));
}

/* Registers by pread/pwrite at BAR0's region offset (the device is little-endian, as x86). */
struct dev {
	int fd;
	uint64_t bar0, config;
};

static void wr64(struct dev *d, unsigned reg, uint64_t v)
{
	if (pwrite(d->fd, &v, 8, d->bar0 + reg) != 8)
		die("BAR0 write");
}

static void wr32(struct dev *d, unsigned reg, uint32_t v)
{
	if (pwrite(d->fd, &v, 4, d->bar0 + reg) != 4)
		die("BAR0 write");
}

static uint32_t rd32(struct dev *d, unsigned reg)
{
	uint32_t v;

	if (pread(d->fd, &v, 4, d->bar0 + reg) != 4)
		die("BAR0 read");
	return v;
}

static void program_copy(struct dev *d, uint64_t src, uint64_t dst, uint64_t len)
{
	wr64(d, REG_SRC, src);
	wr64(d, REG_DST, dst);
	wr64(d, REG_LEN, len);
}

/* Open the device, turn on decode and bus mastering, route MSI-X vector 0 to @efd. */
static void device_up(struct dev *d, int group, const char *bdf, int efd)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = { .set = { .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX, .start = 0,
			   .count = 1,
			   .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		  .fd = efd };
	uint16_t cmd;

	d->fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0)
		die("GROUP_GET_DEVICE_FD");
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		die("DEVICE_GET_REGION_INFO");
	d->bar0 = bar0.offset;
	d->config = cfg.offset;
	if (pread(d->fd, &cmd, 2, d->config + PCI_COMMAND) != 2)
		die("config read");
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(d->fd, &cmd, 2, d->config + PCI_COMMAND) != 2)
		die("config write");
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &irq))
		die("DEVICE_SET_IRQS");
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed);
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:01.0";
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct pollfd pfd;
	struct dev d;
	char path[64];
	int container, group, efd;
	uint64_t count, iova;
	uint8_t *buf;

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("/dev/vfio/vfio");
	check(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU) == 1,
	      "the container offers the sPAPR TCE v1 IOMMU");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("GROUP_SET_CONTAINER");

	/* v1: one IOMMU group, the platform's own 32-bit window, enabled before any map. */
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU))
		die("SET_IOMMU(v1) (is this the legacy machine? tce-run --machine legacy)");
	check(ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &map) < 0 && errno == ENOTTY,
	      "v1 has no memory preregistration (REGISTER_MEMORY: ENOTTY)");
	check(ioctl(container, VFIO_IOMMU_ENABLE) == 0, "IOMMU_ENABLE");
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info))
		die("SPAPR_TCE_GET_INFO");
	printf("      32-bit window [%#x, %#x), %u MiB; no dynamic windows (flags %#x)\n",
	       info.dma32_window_start, info.dma32_window_start + info.dma32_window_size,
	       info.dma32_window_size >> 20, info.flags);
	check(info.dma32_window_size >= BUF_SIZE && !(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW),
	      "GET_INFO: a 32-bit window and no DDW");

	/* v1 pins the buffer itself at MAP_DMA: any writable anonymous memory will do. */
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	iova = info.dma32_window_start + (16u << 20);
	map.vaddr = (uintptr_t)buf;
	map.iova = iova;
	map.size = BUF_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	check(ioctl(container, VFIO_IOMMU_MAP_DMA, &map) == 0, "MAP_DMA of 1 MiB at bus 16 MiB");

	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd");
	device_up(&d, group, bdf, efd);
	check(rd32(&d, REG_ID) == DEVICE_ID_MAGIC, "BAR0 by pread: the DMA-test device's ID");

	/* Copy 1: the CMD register copies at once, in the writing thread; no interrupt. */
	fill(buf, COPY_LEN, 7);
	program_copy(&d, iova, iova + BUF_SIZE / 2, COPY_LEN);
	wr32(&d, REG_CMD, 1);
	check(rd32(&d, REG_STATUS) == STATUS_DONE && !memcmp(buf, buf + BUF_SIZE / 2, COPY_LEN),
	      "CMD copy of 32 KiB by DMA: STATUS done, data verified");

	/* Copy 2: the DOORBELL hands the copy to the device's thread; MSI-X vector 0 says done. */
	fill(buf + COPY_LEN, COPY_LEN, 99);
	program_copy(&d, iova + COPY_LEN, iova + BUF_SIZE / 2 + COPY_LEN, COPY_LEN);
	wr32(&d, REG_DOORBELL, 1);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	check(poll(&pfd, 1, 5000) == 1 && read(efd, &count, 8) == 8,
	      "DOORBELL copy: the MSI-X completion interrupt arrived on the eventfd");
	check(rd32(&d, REG_STATUS) == STATUS_DONE &&
	      !memcmp(buf + COPY_LEN, buf + BUF_SIZE / 2 + COPY_LEN, COPY_LEN),
	      "DOORBELL copy of 32 KiB by DMA: data verified");

	close(d.fd);
	unmap.iova = iova;
	unmap.size = BUF_SIZE;
	check(ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) == 0, "UNMAP_DMA");
	check(ioctl(container, VFIO_IOMMU_DISABLE) == 0, "IOMMU_DISABLE");
	check(ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0 && errno == EPERM,
	      "MAP_DMA after DISABLE: EPERM");
	close(group);
	close(container);
	close(efd);
	munmap(buf, BUF_SIZE);
	printf("%s (%d failed)\n", failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}
