/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VFIO sPAPR TCE v2 client, written against <linux/vfio.h> only, as DPDK
 * drives a device on POWER: find the device's IOMMU group in sysfs, open the
 * container and the group, choose the v2 IOMMU, decline the default window
 * and create one of its own, register and map a buffer, then program the
 * device through its mapped BAR0 to copy within the buffer by DMA, wait for
 * the completion interrupt on an eventfd, check the data, and undo it all.
 * Run it under tce-run on any Linux machine: tce-run ./spapr-v2 [BDF]
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
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

/* The DMA-test device's registers (BAR0), as its datasheet (docs/machine.md) gives them. */
#define REG_SRC 0x00
#define REG_DST 0x08
#define REG_LEN 0x10
#define REG_STATUS 0x1c
#define REG_DOORBELL 0x30
#define STATUS_DONE 1
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4

#define BUF_SIZE (2u << 20)
#define COPY_LEN (64u << 10)
#define BIG_COPY (1u << 20)   /* the device's largest copy */
#define ROUNDS 64

static int die(const char *what)
{
	fprintf(stderr, "spapr-v2: %s: %s\n", what, strerror(errno));
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

static void reg64(volatile uint8_t *bar, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(bar + off) = v; /* little-endian host */
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One device copy of @len bytes from @src to @dst (bus addresses), waited for on @efd. */
static int device_copy(volatile uint8_t *bar, int efd, uint64_t src, uint64_t dst, uint32_t len)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;

	reg64(bar, REG_SRC, src);
	reg64(bar, REG_DST, dst);
	reg64(bar, REG_LEN, len);
	*(volatile uint32_t *)(bar + REG_DOORBELL) = 1;
	if (poll(&pfd, 1, 5000) != 1 || read(efd, &count, 8) != 8)
		return -1;
	return *(volatile uint32_t *)(bar + REG_STATUS) == STATUS_DONE ? 0 : -1;
}

/*
 * The device's DMA rate through the TCE window beside memcpy of the same
 * bytes in this process: each round copies 1 MiB (the device: read through
 * its TCEs, write through them, then the completion interrupt).
 */
static void throughput(volatile uint8_t *bar, int efd, uint8_t *buf, uint64_t iova)
{
	double t0, dev, cpu;
	int i;

	t0 = now();
	for (i = 0; i < ROUNDS; i++)
		if (device_copy(bar, efd, iova, iova + BIG_COPY, BIG_COPY))
			die("a timed device copy failed");
	dev = now() - t0;
	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		memcpy(buf + BIG_COPY, buf, BIG_COPY);
		__asm__ volatile("" : : "r"(buf) : "memory");
	}
	cpu = now() - t0;
	printf("DMA through the TCE window: %.2f GB/s (memcpy of the same 1 MiB here: %.2f GB/s, "
	       "%.0f%%)\n", ROUNDS * (double)BIG_COPY / dev / 1e9,
	       ROUNDS * (double)BIG_COPY / cpu / 1e9, 100.0 * cpu / dev);
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:01.0";
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr) };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = 0 };
	struct vfio_region_info config = { .argsz = sizeof(config),
					   .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq;
	char path[64];
	int container, group, device, efd, i;
	uint16_t cmd;
	uint8_t *buf;
	volatile uint8_t *bar;
	struct pollfd pfd;
	uint64_t count;

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("/dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU) != 1)
		die("no sPAPR TCE v2 IOMMU");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU))
		die("SET_IOMMU");
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info))
		die("TCE_GET_INFO");
	printf("default window [%#x, +%#x), DDW page sizes %#llx, %u windows, %u levels\n",
	       info.dma32_window_start, info.dma32_window_size,
	       (unsigned long long)info.ddw.pgsizes, info.ddw.max_dynamic_windows_supported,
	       info.ddw.levels);

	/* Decline the default window; create a 1 GiB window of 4 KiB pages at bus 0. */
	rm.start_addr = info.dma32_window_start;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm))
		die("TCE_REMOVE");
	cr.page_shift = 12;
	cr.window_size = 1ull << 30;
	cr.levels = 1;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr) || cr.start_addr != 0)
		die("TCE_CREATE");

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	reg.vaddr = (uintptr_t)buf;
	reg.size = BUF_SIZE;
	if (ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg))
		die("REGISTER_MEMORY");
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x100000;
	map.size = BUF_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("MAP_DMA");

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		die("GET_DEVICE_FD");
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &config))
		die("GET_REGION_INFO");
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, bar0.offset);
	if (bar == MAP_FAILED)
		die("mmap BAR0");
	if (pread(device, &cmd, 2, config.offset + PCI_COMMAND) != 2)
		die("config read");
	cmd |= PCI_COMMAND_MASTER;
	if (pwrite(device, &cmd, 2, config.offset + PCI_COMMAND) != 2)
		die("config write");
	efd = eventfd(0, 0);
	irq.set = (struct vfio_irq_set){ .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
					.flags = VFIO_IRQ_SET_DATA_EVENTFD |
						 VFIO_IRQ_SET_ACTION_TRIGGER,
					.start = 0, .count = 1 };
	irq.fd = efd;
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, &irq))
		die("SET_IRQS");

	/* The device copies the first 64 KiB of the buffer to its second MiB, by DMA. */
	for (i = 0; i < (int)COPY_LEN; i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	reg64(bar, REG_SRC, map.iova);
	reg64(bar, REG_DST, map.iova + (1u << 20));
	reg64(bar, REG_LEN, COPY_LEN);
	*(volatile uint32_t *)(bar + REG_DOORBELL) = 1;
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1 || read(efd, &count, 8) != 8)
		die("waiting for the completion interrupt");
	if (*(volatile uint32_t *)(bar + REG_STATUS) != STATUS_DONE ||
	    memcmp(buf, buf + (1u << 20), COPY_LEN))
		die("the copy did not happen");
	printf("device copied %u KiB by DMA through the TCE window: data verified\n",
	       COPY_LEN >> 10);
	throughput(bar, efd, buf, map.iova);

	munmap((void *)bar, bar0.size);
	close(device);
	unmap.iova = map.iova;
	unmap.size = map.size;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		die("UNMAP_DMA");
	rm.start_addr = cr.start_addr;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm))
		die("TCE_REMOVE");
	if (ioctl(container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &reg))
		die("UNREGISTER_MEMORY");
	close(group);
	close(container);
	close(efd);
	printf("ok\n");
	return 0;
}
