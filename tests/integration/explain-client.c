/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VFIO client that gets three things wrong on purpose, for
 * test-explain.sh to check what tce-run --explain says about each: MAP_DMA
 * before the container has an IOMMU type (EINVAL), MAP_DMA at an iova in no
 * window (ENXIO), and a device copy that writes into a buffer mapped READ
 * only (a DMA write fault that freezes the PE), then one EEH_PE_OP
 * GET_STATE. Written against <linux/vfio.h> only; each step checks the
 * errno the program receives. Prints "explain-client: ok" at the end.
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
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "client.h"

#define BDF "0000:00:01.0"
#define BUF_SIZE (2u << 20)
#define IOVA 0x100000u
/* Beside the DMA-test device's registers (client.h, docs/machine.md). */
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4

static void expect(const char *what, int rc, int want_errno)
{
	if (want_errno ? rc != -1 || errno != want_errno : rc < 0) {
		fprintf(stderr, "explain-client: %s: rc %d errno %d (%s), want errno %d\n", what,
			rc, rc < 0 ? errno : 0, rc < 0 ? strerror(errno) : "-", want_errno);
		exit(1);
	}
}

static int map(int container, void *buf, uint64_t iova, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uintptr_t)buf, .iova = iova,
					      .size = BUF_SIZE };

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

/* The device copies 4 KiB from IOVA to IOVA + 1 MiB: a DMA write into the READ-only map. */
static void copy(int device)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = 0 };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct timespec ms = { 0, 1000000 };
	volatile uint8_t *bar;
	uint32_t status = 0;
	uint16_t cmd;
	int i;

	expect("GET_REGION_INFO", ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar0), 0);
	expect("GET_REGION_INFO", ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg), 0);
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, bar0.offset);
	expect("mmap BAR0", bar == MAP_FAILED ? -1 : 0, 0);
	expect("config read", pread(device, &cmd, 2, cfg.offset + PCI_COMMAND) == 2 ? 0 : -1, 0);
	cmd |= PCI_COMMAND_MASTER;
	expect("config write", pwrite(device, &cmd, 2, cfg.offset + PCI_COMMAND) == 2 ? 0 : -1, 0);
	*(volatile uint64_t *)(bar + REG_SRC) = IOVA;
	*(volatile uint64_t *)(bar + REG_DST) = IOVA + (1u << 20);
	*(volatile uint64_t *)(bar + REG_LEN) = 4096;
	*(volatile uint32_t *)(bar + REG_DOORBELL) = 1;
	for (i = 0; i < 5000 && (status == 0 || status == 3); i++) {
		status = *(volatile uint32_t *)(bar + REG_STATUS); /* all ones once frozen */
		nanosleep(&ms, NULL);
	}
	munmap((void *)bar, bar0.size);
}

int main(void)
{
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	struct vfio_eeh_pe_op op = { .argsz = sizeof(op), .op = VFIO_EEH_PE_GET_STATE };
	int container = open("/dev/vfio/vfio", O_RDWR), group = ic_open_group(BDF), device;
	void *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	expect("open", container < 0 || group < 0 || buf == MAP_FAILED ? -1 : 0, 0);
	expect("MAP_DMA before SET_IOMMU", map(container, buf, IOVA, VFIO_DMA_MAP_FLAG_READ),
	       EINVAL);
	expect("GROUP_SET_CONTAINER", ioctl(group, VFIO_GROUP_SET_CONTAINER, &container), 0);
	expect("SET_IOMMU", ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	reg.vaddr = (uintptr_t)buf;
	reg.size = BUF_SIZE;
	expect("REGISTER_MEMORY", ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg), 0);
	expect("MAP_DMA in no window", map(container, buf, 0x1000000000ull,
					   VFIO_DMA_MAP_FLAG_READ), ENXIO);
	expect("MAP_DMA read only", map(container, buf, IOVA, VFIO_DMA_MAP_FLAG_READ), 0);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, BDF);
	expect("GET_DEVICE_FD", device, 0);
	copy(device);
	expect("EEH_PE_OP GET_STATE", ioctl(container, VFIO_EEH_PE_OP, &op) ==
	       VFIO_EEH_PE_STATE_STOPPED ? 0 : -1, 0);
	close(device);
	close(group);
	close(container);
	printf("explain-client: ok\n");
	return 0;
}
