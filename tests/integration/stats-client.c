/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VFIO client whose every count is known, for test-stats.sh to check
 * what tce-run --stats reports: on a v2 container it declines the
 * default window and creates two of 256 MiB with 4 KiB pages (at 0 and
 * 2^59; page tables and registered memory stay under the usual 8 MiB
 * RLIMIT_MEMLOCK), maps 1 MiB in the first (256 TCEs) and 2 MiB in the
 * second (512), unmaps 1 MiB of the second (256), has the device copy
 * 8 KiB and 16 KiB by DMA, makes three refused calls (a misaligned
 * UNMAP_DMA, a third window, an unknown request), unmaps the rest, maps
 * and unmaps 1 MiB once more (the peak stays 768 of 1024 mapped), then
 * freezes the PE through eeh_dev_break (an MMIO fault and an EEH
 * operation) and asks its state (EEH_PE_OP). A window of larger pages
 * would need memory backed by pages as large (hugetlbfs), which a test
 * machine may not have. Written against <linux/vfio.h> only; each step checks the
 * errno the program receives. Prints "stats-client: ok" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "client.h"

#define BDF "0000:00:01.0"
#define BUF_SIZE (4u << 20)
#define IOVA32 0x100000ull
#define IOVA64 (1ull << 59)
/* Beside the DMA-test device's registers (client.h, docs/machine.md). */
#define CMD_COPY 1
#define STATUS_DONE 1
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4

static void expect(const char *what, long rc, int want_errno)
{
	if (want_errno ? rc != -1 || errno != want_errno : rc < 0) {
		fprintf(stderr, "stats-client: %s: rc %ld errno %d (%s), want errno %d\n", what,
			rc, rc < 0 ? errno : 0, rc < 0 ? strerror(errno) : "-", want_errno);
		exit(1);
	}
}

static int map(int container, void *buf, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .vaddr = (uintptr_t)buf,
					      .iova = iova, .size = size,
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE };

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/*
 * The device copies @len bytes from @src to @dst (bus addresses): the
 * registers through the mapped BAR, then CMD through pwrite, which copies
 * before it returns.
 */
static void copy(int device, uint64_t bar_off, volatile uint8_t *bar, uint64_t src, uint64_t dst,
		 uint64_t len)
{
	uint32_t go = CMD_COPY;

	*(volatile uint64_t *)(bar + REG_SRC) = src;
	*(volatile uint64_t *)(bar + REG_DST) = dst;
	*(volatile uint64_t *)(bar + REG_LEN) = len;
	expect("CMD", pwrite(device, &go, 4, (off_t)(bar_off + REG_CMD)) == 4 ? 0 : -1, 0);
	expect("copy done", *(volatile uint32_t *)(bar + REG_STATUS) == STATUS_DONE ? 0 : -1, 0);
}

/* BAR0 mapped, bus mastering on. */
static volatile uint8_t *device_bar(int device, size_t *size, uint64_t *off)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = 0 };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	void *bar;
	uint16_t cmd;

	expect("GET_REGION_INFO", ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar0), 0);
	expect("GET_REGION_INFO", ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg), 0);
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, bar0.offset);
	expect("mmap BAR0", bar == MAP_FAILED ? -1 : 0, 0);
	expect("config read", pread(device, &cmd, 2, cfg.offset + PCI_COMMAND) == 2 ? 0 : -1, 0);
	cmd |= PCI_COMMAND_MASTER;
	expect("config write", pwrite(device, &cmd, 2, cfg.offset + PCI_COMMAND) == 2 ? 0 : -1, 0);
	*size = bar0.size;
	*off = bar0.offset;
	return bar;
}

static void eeh_break(void)
{
	int fd = open("/sys/kernel/debug/powerpc/eeh_dev_break", O_WRONLY);

	expect("open eeh_dev_break", fd, 0);
	expect("write eeh_dev_break", write(fd, BDF, strlen(BDF)) == (ssize_t)strlen(BDF) ? 0 : -1,
	       0);
	close(fd);
}

int main(void)
{
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = 12,
						  .window_size = 256u << 20, .levels = 1 };
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_eeh_pe_op op = { .argsz = sizeof(op), .op = VFIO_EEH_PE_GET_STATE };
	int container = open("/dev/vfio/vfio", O_RDWR), group = ic_open_group(BDF), device;
	uint8_t *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	volatile uint8_t *bar;
	size_t bar_size;
	uint64_t bar_off;

	expect("open", container < 0 || group < 0 || buf == MAP_FAILED ? -1 : 0, 0);
	expect("GROUP_SET_CONTAINER", ioctl(group, VFIO_GROUP_SET_CONTAINER, &container), 0);
	expect("SET_IOMMU", ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	reg.vaddr = (uintptr_t)buf;
	reg.size = BUF_SIZE;
	expect("REGISTER_MEMORY", ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg), 0);
	expect("TCE_REMOVE the default window", ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm),
	       0);
	expect("TCE_CREATE at 0", ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), 0);
	expect("the first window at 0", cr.start_addr == 0 ? 0 : -1, 0);
	expect("MAP_DMA 1 MiB at 1 MiB", map(container, buf, IOVA32, 1u << 20), 0);
	expect("TCE_CREATE at 2^59", ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), 0);
	expect("the second window at 2^59", cr.start_addr == IOVA64 ? 0 : -1, 0);
	expect("MAP_DMA 2 MiB at 2^59", map(container, buf + (2u << 20), IOVA64, 2u << 20), 0);
	expect("UNMAP_DMA 1 MiB at 2^59", unmap(container, IOVA64, 1u << 20), 0);

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, BDF);
	expect("GET_DEVICE_FD", device, 0);
	bar = device_bar(device, &bar_size, &bar_off);
	memset(buf, 0x5a, 8192);
	copy(device, bar_off, bar, IOVA32, IOVA32 + (512u << 10), 8192);
	copy(device, bar_off, bar, IOVA64 + (1u << 20), IOVA32, 16384);
	expect("copies landed", buf[(512u << 10) + 8191] == 0x5a ? 0 : -1, 0);

	expect("UNMAP_DMA misaligned", unmap(container, IOVA64 + (1u << 20), 100), EINVAL);
	expect("TCE_CREATE a third window", ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr),
	       ENOSPC);
	expect("an unknown request", ioctl(container, _IO(VFIO_TYPE, VFIO_BASE + 99)), ENOTTY);
	expect("UNMAP_DMA the rest at 1 MiB", unmap(container, IOVA32, 1u << 20), 0);
	expect("UNMAP_DMA the rest at 2^59", unmap(container, IOVA64 + (1u << 20), 1u << 20), 0);
	expect("MAP_DMA 1 MiB again", map(container, buf, IOVA32, 1u << 20), 0);
	expect("UNMAP_DMA it", unmap(container, IOVA32, 1u << 20), 0);

	eeh_break();
	expect("EEH_PE_OP GET_STATE", ioctl(container, VFIO_EEH_PE_OP, &op) ==
	       VFIO_EEH_PE_STATE_STOPPED ? 0 : -1, 0);
	munmap((void *)bar, bar_size);
	close(device);
	close(group);
	close(container);
	printf("stats-client: ok\n");
	return 0;
}
