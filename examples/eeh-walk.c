/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An EEH walk-through for a VFIO sPAPR client, written against
 * <linux/vfio.h> only. It maps a buffer, makes the device DMA where it must
 * not (an unmapped bus address, then a read-only one), watches the PE freeze
 * (VFIO_EEH_PE_OP GET_STATE says STOPPED, config and BAR reads return all
 * ones, the device's FAULT register names the bus address), and recovers in
 * the two ways a driver can: thawing MMIO then DMA (UNFREEZE_IO,
 * UNFREEZE_DMA), or resetting the PE (RESET_HOT, RESET_DEACTIVATE,
 * CONFIGURE) and restoring the function's config. Last, it injects errors
 * with INJECT_ERR: an MMIO load error (every platform) and a DMA read error
 * (powernv; a pSeries hypervisor injects MMIO errors only, ERANGE). After
 * each recovery a copy must work again. v2 IOMMU, or v1 when the host
 * offers only that (QEMU's fallback). Run it under tce-run:
 * tce-run [--machine pseries|legacy] ./eeh-walk [BDF]. Exits 0 only when
 * every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define REG_FAULT 0x20
#define REG_ID 0x28
#define DEVICE_ID_MAGIC 0x7ce5d0a1u
#define STATUS_DONE 1u
#define STATUS_ERROR 2u
#define ALL_ONES 0xffffffffu /* what a load from a frozen PE returns */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* Linux's EEH_ERR_FUNC_* numbers and types for INJECT_ERR. */
#define EEH_ERR_TYPE_32 0
#define EEH_ERR_FUNC_LD_MEM_ADDR 0
#define EEH_ERR_FUNC_DMA_RD_ADDR 12

#define BUF_SIZE (1u << 20)
#define IOVA 0x100000u               /* the buffer's bus address: its first half read-write */
#define IOVA_RO (IOVA + BUF_SIZE / 2) /* its second half: the device may only read it */
#define IOVA_HOLE (64u << 20)         /* inside the 32-bit window, never mapped */
#define COPY_LEN 4096u

struct walk {
	int container, group, device;
	uint64_t bar0, config;
	uint8_t *buf;
	int failures;
};

static void check(struct walk *w, int ok, const char *what)
{
	printf("%s  %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		w->failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "eeh-walk: %s: %s\n", what, strerror(errno));
	exit(1);
}

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

/* ---- the PE, through the container ---- */

static int pe_op(struct walk *w, uint32_t op)
{
	struct vfio_eeh_pe_op pe = { .argsz = sizeof(pe), .op = op };

	return ioctl(w->container, VFIO_EEH_PE_OP, &pe);
}

static int pe_state(struct walk *w)
{
	return pe_op(w, VFIO_EEH_PE_GET_STATE);
}

static int pe_inject(struct walk *w, uint32_t func, uint64_t addr, uint64_t mask)
{
	struct vfio_eeh_pe_op pe = { .argsz = sizeof(pe), .op = VFIO_EEH_PE_INJECT_ERR,
				     .err = { .type = EEH_ERR_TYPE_32, .func = func,
					      .addr = addr, .mask = mask } };

	return ioctl(w->container, VFIO_EEH_PE_OP, &pe);
}

/* ---- the device: registers and config by pread/pwrite ---- */

static uint32_t bar_rd32(struct walk *w, unsigned reg)
{
	uint32_t v = 0;

	if (pread(w->device, &v, 4, w->bar0 + reg) != 4)
		die("BAR0 read");
	return v;
}

static uint64_t bar_rd64(struct walk *w, unsigned reg)
{
	uint64_t v = 0;

	if (pread(w->device, &v, 8, w->bar0 + reg) != 8)
		die("BAR0 read");
	return v;
}

static void bar_wr64(struct walk *w, unsigned reg, uint64_t v)
{
	if (pwrite(w->device, &v, 8, w->bar0 + reg) != 8)
		die("BAR0 write");
}

static uint16_t cfg_rd16(struct walk *w, unsigned off)
{
	uint16_t v = 0;

	if (pread(w->device, &v, 2, w->config + off) != 2)
		die("config read");
	return v;
}

static void enable_device(struct walk *w)
{
	uint16_t cmd = cfg_rd16(w, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	if (pwrite(w->device, &cmd, 2, w->config + PCI_COMMAND) != 2)
		die("config write");
}

/* A synchronous copy by the CMD register: the STATUS it ends with. */
static uint32_t copy(struct walk *w, uint64_t src, uint64_t dst)
{
	uint32_t one = 1;

	bar_wr64(w, REG_SRC, src);
	bar_wr64(w, REG_DST, dst);
	bar_wr64(w, REG_LEN, COPY_LEN);
	if (pwrite(w->device, &one, 4, w->bar0 + REG_CMD) != 4)
		die("BAR0 write");
	return bar_rd32(w, REG_STATUS);
}

/* A fresh pattern copied from the read-write half into the read-only half's neighbour. */
static int copy_works(struct walk *w)
{
	static unsigned seed;
	unsigned i;

	seed++;
	for (i = 0; i < COPY_LEN; i++)
		w->buf[i] = (uint8_t)(i * 13 + seed);
	memset(w->buf + COPY_LEN, 0, COPY_LEN);
	return copy(w, IOVA, IOVA + COPY_LEN) == STATUS_DONE &&
	       !memcmp(w->buf, w->buf + COPY_LEN, COPY_LEN);
}

/* The signs of a frozen PE that a driver sees. */
static void check_frozen(struct walk *w, const char *why)
{
	char line[160];

	snprintf(line, sizeof(line), "%s: GET_STATE says STOPPED", why);
	check(w, pe_state(w) == VFIO_EEH_PE_STATE_STOPPED, line);
	check(w, cfg_rd16(w, PCI_VENDOR_ID) == 0xffff && bar_rd32(w, REG_ID) == 0xffffffffu,
	      "    config and BAR reads return all ones");
}

/* ---- setting up: v2 (register, map in the default window) or v1 (enable, map) ---- */

static void map(struct walk *w, uint64_t iova, void *va, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uintptr_t)va, .iova = iova, .size = size };

	if (ioctl(w->container, VFIO_IOMMU_MAP_DMA, &m))
		die("MAP_DMA");
}

static void set_up(struct walk *w, const char *bdf)
{
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg), .size = BUF_SIZE };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	char path[64];
	int v2;

	w->container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
	w->group = open(path, O_RDWR);
	if (w->container < 0 || w->group < 0)
		die("open /dev/vfio");
	if (ioctl(w->group, VFIO_GROUP_SET_CONTAINER, &w->container))
		die("GROUP_SET_CONTAINER");
	if (ioctl(w->container, VFIO_CHECK_EXTENSION, VFIO_EEH) != 1) {
		printf("this host has no EEH for VFIO (CHECK_EXTENSION(VFIO_EEH) is 0)\n");
		exit(1);
	}
	v2 = !ioctl(w->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU);
	if (!v2 && (ioctl(w->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU) ||
		    ioctl(w->container, VFIO_IOMMU_ENABLE)))
		die("SET_IOMMU");
	w->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->buf == MAP_FAILED)
		die("mmap");
	reg.vaddr = (uintptr_t)w->buf;
	if (v2 && ioctl(w->container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg))
		die("REGISTER_MEMORY");
	map(w, IOVA, w->buf, BUF_SIZE / 2, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	map(w, IOVA_RO, w->buf + BUF_SIZE / 2, BUF_SIZE / 2, VFIO_DMA_MAP_FLAG_READ);
	printf("      %s IOMMU; bus [%#x, +512 KiB) read-write, [%#x, +512 KiB) read-only\n",
	       v2 ? "sPAPR TCE v2" : "sPAPR TCE v1", IOVA, IOVA_RO);

	w->device = ioctl(w->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (w->device < 0)
		die("GROUP_GET_DEVICE_FD");
	if (ioctl(w->device, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(w->device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		die("DEVICE_GET_REGION_INFO");
	w->bar0 = bar0.offset;
	w->config = cfg.offset;
	enable_device(w);
}

/* ---- the walk ---- */

static void thaw_in_two_steps(struct walk *w)
{
	check(w, copy(w, IOVA, IOVA_HOLE) == ALL_ONES,
	      "DMA write to an unmapped bus address: STATUS reads all ones at once");
	check_frozen(w, "the PE froze");
	check(w, pe_op(w, VFIO_EEH_PE_UNFREEZE_IO) == 0 &&
		 pe_state(w) == VFIO_EEH_PE_STATE_STOPPED_DMA,
	      "UNFREEZE_IO: MMIO back, DMA still stopped (STOPPED_DMA)");
	check(w, bar_rd32(w, REG_STATUS) == STATUS_ERROR && bar_rd64(w, REG_FAULT) == IOVA_HOLE,
	      "    BAR reads work again: STATUS error, FAULT names the unmapped bus address");
	check(w, copy(w, IOVA, IOVA + COPY_LEN) == STATUS_ERROR,
	      "    a copy while DMA is stopped ends in STATUS error");
	check(w, pe_op(w, VFIO_EEH_PE_UNFREEZE_DMA) == 0 && pe_state(w) == VFIO_EEH_PE_STATE_NORMAL,
	      "UNFREEZE_DMA: the PE is NORMAL");
	check(w, copy_works(w), "    a copy works again, data verified");
}

static void reset_the_pe(struct walk *w)
{
	check(w, copy(w, IOVA, IOVA_RO) == ALL_ONES,
	      "DMA write to a read-only bus address: STATUS reads all ones");
	check_frozen(w, "the PE froze");
	check(w, pe_op(w, VFIO_EEH_PE_RESET_HOT) == 0 && pe_state(w) == VFIO_EEH_PE_STATE_RESET,
	      "RESET_HOT: the PE is in RESET");
	check(w, pe_op(w, VFIO_EEH_PE_RESET_DEACTIVATE) == 0 &&
		 pe_state(w) == VFIO_EEH_PE_STATE_NORMAL,
	      "RESET_DEACTIVATE: the PE is NORMAL");
	check(w, pe_op(w, VFIO_EEH_PE_CONFIGURE) == 0, "CONFIGURE");
	check(w, (cfg_rd16(w, PCI_COMMAND) & PCI_COMMAND_MASTER) == 0,
	      "    the function was reset: bus mastering is off");
	enable_device(w);
	check(w, copy_works(w), "    with its config restored, a copy works again, data verified");
}

static void inject(struct walk *w)
{
	int rc;

	check(w, pe_inject(w, EEH_ERR_FUNC_LD_MEM_ADDR, 0, 0) == 0,
	      "INJECT_ERR: an MMIO load error on any address");
	(void)bar_rd32(w, REG_ID); /* the load it matches (a pSeries PE froze already) */
	check_frozen(w, "the PE froze at the load");
	check(w, pe_op(w, VFIO_EEH_PE_UNFREEZE_IO) == 0 && pe_op(w, VFIO_EEH_PE_UNFREEZE_DMA) == 0,
	      "UNFREEZE_IO, UNFREEZE_DMA");
	/*
	 * A pSeries kernel injects by turning the function's memory decode off and
	 * loading from its BAR; a driver restores its command register before
	 * using the BAR again, as after any EEH event.
	 */
	enable_device(w);
	check(w, copy_works(w), "    with decode and mastering restored, a copy works again");

	rc = pe_inject(w, EEH_ERR_FUNC_DMA_RD_ADDR, IOVA, ~0ull);
	if (rc < 0 && errno == ERANGE) {
		printf("      INJECT_ERR of a DMA error: ERANGE, this hypervisor injects MMIO errors"
		       " only (pSeries)\n");
		return;
	}
	check(w, rc == 0, "INJECT_ERR: a DMA read error at the buffer's bus address (powernv)");
	check(w, copy(w, IOVA, IOVA + COPY_LEN) == ALL_ONES,
	      "    the next copy reading it: STATUS reads all ones");
	check_frozen(w, "the PE froze at the DMA");
	check(w, pe_op(w, VFIO_EEH_PE_UNFREEZE_IO) == 0 && pe_op(w, VFIO_EEH_PE_UNFREEZE_DMA) == 0 &&
		 copy_works(w),
	      "UNFREEZE_IO, UNFREEZE_DMA: a copy works again (the injection fired once)");
}

int main(int argc, char **argv)
{
	struct walk w = { 0 };

	set_up(&w, argc > 1 ? argv[1] : "0000:00:01.0");
	check(&w, pe_state(&w) == VFIO_EEH_PE_STATE_NORMAL && copy_works(&w),
	      "the PE is NORMAL and a copy works, data verified");
	thaw_in_two_steps(&w);
	reset_the_pe(&w);
	inject(&w);
	close(w.device);
	close(w.group);
	close(w.container);
	munmap(w.buf, BUF_SIZE);
	printf("%s (%d failed)\n", w.failures ? "FAILED" : "ok", w.failures);
	return w.failures ? 1 : 0;
}
