/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VFIO Type1v2 client, written against <linux/vfio.h> only, as DPDK sets
 * up DMA on x86: check the host offers Type1v2, find the device's IOMMU
 * group in sysfs, attach it to a container, read the IOMMU's page sizes and
 * capabilities (IOVA ranges, mappings available, dirty tracking), map a
 * source buffer the device may read and a destination it may write (at
 * their own virtual addresses when the IOVA ranges hold them), have the
 * device copy between them by DMA, check the data and undo it all. Run it
 * under tce-run on any Linux machine: tce-run --type1 ./type1 [BDF]
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

#define BUF_SIZE (1u << 20) /* each buffer: the device's largest copy */
#define COPY_LEN (64u << 10)
#define ROUNDS 64
#define MAX_RANGES 16

/* What VFIO_IOMMU_GET_INFO told: page sizes and the capabilities this client uses. */
struct iommu {
	uint64_t pgsizes, min_page;
	struct vfio_iova_range range[MAX_RANGES];
	uint32_t nr_ranges;
	int64_t dma_avail;           /* -1: not reported */
	uint64_t dirty_pgsizes;      /* 0: no migration capability */
	uint64_t dirty_bitmap_max;
};

/* A buffer mapped for the device: where it is here and at which IOVA. */
struct buffer {
	uint8_t *va;
	uint64_t iova, size;
};

static int die(const char *what)
{
	fprintf(stderr, "type1: %s: %s\n", what, strerror(errno));
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

/* The container, checked to offer Type1v2; exits 2 when the host offers none. */
static int open_container(void)
{
	int container = open("/dev/vfio/vfio", O_RDWR);

	if (container < 0)
		die("/dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("VFIO API version");
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		fprintf(stderr, "type1: this host offers no VFIO Type1 IOMMU "
				"(CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU) is 0); a POWER host has "
				"sPAPR TCE only: `tce-run --type1` offers Type1v2 over its "
				"TCE windows\n");
		exit(2);
	}
	return container;
}

/* Open @bdf's group, check it is viable, attach it to @container and choose Type1v2. */
static int attach_group(int container, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("SET_IOMMU(VFIO_TYPE1v2_IOMMU)");
	return group;
}

/*
 * VFIO_IOMMU_GET_INFO as DPDK and QEMU ask it: once with the bare struct,
 * which tells the size the capabilities need, then again with that much room.
 */
static struct vfio_iommu_type1_info *get_info(int container)
{
	struct vfio_iommu_type1_info first = { .argsz = sizeof(first) }, *info;

	if (ioctl(container, VFIO_IOMMU_GET_INFO, &first))
		die("IOMMU_GET_INFO");
	if (first.argsz < sizeof(first))
		first.argsz = sizeof(first);
	info = calloc(1, first.argsz);
	if (!info)
		die("calloc");
	info->argsz = first.argsz;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
		die("IOMMU_GET_INFO with the capabilities' room");
	if (info->argsz > first.argsz) {
		errno = EPROTO;
		die("IOMMU_GET_INFO asked for more room the second time");
	}
	return info;
}

static void take_ranges(struct iommu *io, const struct vfio_info_cap_header *h)
{
	const struct vfio_iommu_type1_info_cap_iova_range *c = (const void *)h;
	uint32_t i;

	io->nr_ranges = c->nr_iovas < MAX_RANGES ? c->nr_iovas : MAX_RANGES;
	for (i = 0; i < io->nr_ranges; i++)
		io->range[i] = c->iova_ranges[i];
}

static void take_cap(struct iommu *io, const struct vfio_info_cap_header *h)
{
	const struct vfio_iommu_type1_info_cap_migration *mig = (const void *)h;
	const struct vfio_iommu_type1_info_dma_avail *avail = (const void *)h;

	switch (h->id) {
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
		take_ranges(io, h);
		break;
	case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
		io->dirty_pgsizes = mig->pgsize_bitmap;
		io->dirty_bitmap_max = mig->max_dirty_bitmap_size;
		break;
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
		io->dma_avail = avail->avail;
		break;
	default: /* a capability this client does not know: skipped */
		break;
	}
}

/* Walk the capability chain from cap_offset; each offset is from the start of @info. */
static void read_iommu(int container, struct iommu *io)
{
	struct vfio_iommu_type1_info *info = get_info(container);
	uint32_t off, hops = 0;

	*io = (struct iommu){ .dma_avail = -1 };
	if (!(info->flags & VFIO_IOMMU_INFO_PGSIZES) || !info->iova_pgsizes) {
		errno = EPROTO;
		die("IOMMU_GET_INFO gave no page sizes");
	}
	io->pgsizes = info->iova_pgsizes;
	io->min_page = info->iova_pgsizes & -info->iova_pgsizes;
	off = info->flags & VFIO_IOMMU_INFO_CAPS ? info->cap_offset : 0;
	while (off) {
		const struct vfio_info_cap_header *h = (const void *)((char *)info + off);

		if (off < sizeof(*info) || off > info->argsz - sizeof(*h) || ++hops > 64) {
			errno = EPROTO;
			die("IOMMU_GET_INFO's capability chain leaves the struct");
		}
		take_cap(io, h);
		off = h->next;
	}
	free(info);
}

static void print_iommu(const struct iommu *io)
{
	uint32_t i;

	printf("IOMMU page sizes %#llx (smallest %llu KiB), %u IOVA range%s:",
	       (unsigned long long)io->pgsizes, (unsigned long long)io->min_page >> 10,
	       io->nr_ranges, io->nr_ranges == 1 ? "" : "s");
	for (i = 0; i < io->nr_ranges; i++)
		printf(" [%#llx, %#llx]", (unsigned long long)io->range[i].start,
		       (unsigned long long)io->range[i].end);
	printf("\n");
	if (io->dma_avail >= 0)
		printf("DMA mappings available: %lld\n", (long long)io->dma_avail);
	if (io->dirty_pgsizes)
		printf("dirty page tracking: page sizes %#llx, bitmaps up to %llu bytes\n",
		       (unsigned long long)io->dirty_pgsizes,
		       (unsigned long long)io->dirty_bitmap_max);
}

/* @size bytes of fresh memory aligned to @align (a power of two). */
static uint8_t *alloc_aligned(uint64_t size, uint64_t align)
{
	uint64_t extra = align > 4096 ? align : 0;
	uint8_t *p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *q;

	if (p == MAP_FAILED)
		die("mmap");
	q = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (q > p)
		munmap(p, q - p);
	if (extra - (uint64_t)(q - p))
		munmap(q + size, extra - (q - p));
	return q;
}

/* The range holding all of [@start, @start + @size), or NULL. */
static const struct vfio_iova_range *range_holding(const struct iommu *io, uint64_t start,
						   uint64_t size)
{
	uint32_t i;

	for (i = 0; i < io->nr_ranges; i++)
		if (start >= io->range[i].start && start <= io->range[i].end &&
		    size - 1 <= io->range[i].end - start)
			return &io->range[i];
	return NULL;
}

/*
 * The IOVAs: the buffers' own addresses when the IOMMU can translate them
 * (IOVA-as-VA, DPDK's choice), else consecutive IOVAs from the start of the
 * first range large enough for both.
 */
static void choose_iovas(const struct iommu *io, struct buffer *src, struct buffer *dst)
{
	const struct vfio_iova_range *r;
	uint64_t base;
	uint32_t i;

	if (range_holding(io, (uintptr_t)src->va, src->size) &&
	    range_holding(io, (uintptr_t)dst->va, dst->size)) {
		src->iova = (uintptr_t)src->va;
		dst->iova = (uintptr_t)dst->va;
		printf("IOVA as VA: the buffers' addresses lie inside the IOVA ranges\n");
		return;
	}
	for (i = 0; i < io->nr_ranges; i++) {
		r = &io->range[i];
		base = (r->start + io->min_page - 1) & -io->min_page;
		if (base < r->start || !range_holding(io, base, src->size + dst->size))
			continue;
		src->iova = base;
		dst->iova = base + src->size;
		printf("IOVA from the start of range [%#llx, %#llx]: the buffers' addresses lie "
		       "outside the IOVA ranges\n", (unsigned long long)r->start,
		       (unsigned long long)r->end);
		return;
	}
	errno = ENOSPC;
	die("no IOVA range holds the buffers");
}

static void map_buffer(int container, const struct buffer *b, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map), .flags = flags,
						.vaddr = (uintptr_t)b->va, .iova = b->iova,
						.size = b->size };

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("MAP_DMA");
}

/* UNMAP_DMA with @flags: the size the kernel wrote back (what it unmapped). */
static uint64_t unmap(int container, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = flags,
						.iova = iova, .size = size };

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))
		die("UNMAP_DMA");
	return u.size;
}

/* The device fd with BAR0 mapped, bus mastering on and MSI-X vector 0 on @efd. */
static int open_device(int group, const char *bdf, int efd, volatile uint8_t **bar,
		       uint64_t *bar_size)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0), .index = 0 };
	struct vfio_region_info config = { .argsz = sizeof(config),
					   .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq;
	int device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	uint16_t cmd;

	if (device < 0)
		die("GET_DEVICE_FD");
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &config))
		die("GET_REGION_INFO");
	*bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, bar0.offset);
	if (*bar == MAP_FAILED)
		die("mmap BAR0");
	*bar_size = bar0.size;
	if (pread(device, &cmd, 2, config.offset + PCI_COMMAND) != 2)
		die("config read");
	cmd |= PCI_COMMAND_MASTER;
	if (pwrite(device, &cmd, 2, config.offset + PCI_COMMAND) != 2)
		die("config write");
	irq.set = (struct vfio_irq_set){ .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
					.flags = VFIO_IRQ_SET_DATA_EVENTFD |
						 VFIO_IRQ_SET_ACTION_TRIGGER,
					.start = 0, .count = 1 };
	irq.fd = efd;
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, &irq))
		die("SET_IRQS");
	return device;
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

/* One device copy of @len bytes from @src to @dst (IOVAs), waited for on @efd. */
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

/* The device copies the source's first 64 KiB to the destination; the data must match. */
static void verified_copy(volatile uint8_t *bar, int efd, const struct buffer *src,
			  const struct buffer *dst)
{
	uint32_t i;

	for (i = 0; i < COPY_LEN; i++)
		src->va[i] = (uint8_t)(i * 31 + 7);
	memset(dst->va, 0, COPY_LEN);
	if (device_copy(bar, efd, src->iova, dst->iova, COPY_LEN))
		die("the device copy failed");
	if (memcmp(src->va, dst->va, COPY_LEN)) {
		errno = EIO;
		die("the copy did not happen");
	}
	printf("device copied %u KiB by DMA through the Type1 IOMMU: data verified\n",
	       COPY_LEN >> 10);
}

/*
 * The device's DMA rate through the IOMMU beside memcpy of the same bytes
 * in this process: each round copies 1 MiB (the device reads the source
 * through its mapping, writes the destination, then raises the interrupt).
 */
static void throughput(volatile uint8_t *bar, int efd, const struct buffer *src,
		       const struct buffer *dst)
{
	double t0, dev, cpu;
	int i;

	t0 = now();
	for (i = 0; i < ROUNDS; i++)
		if (device_copy(bar, efd, src->iova, dst->iova, BUF_SIZE))
			die("a timed device copy failed");
	dev = now() - t0;
	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		memcpy(dst->va, src->va, BUF_SIZE);
		__asm__ volatile("" : : "r"(dst->va) : "memory");
	}
	cpu = now() - t0;
	printf("DMA through the Type1 IOMMU: %.2f GB/s (memcpy of the same 1 MiB here: "
	       "%.2f GB/s, %.0f%%)\n", ROUNDS * (double)BUF_SIZE / dev / 1e9,
	       ROUNDS * (double)BUF_SIZE / cpu / 1e9, 100.0 * cpu / dev);
}

/* Unmap the destination alone, then everything: each written-back size must match. */
static void unmap_all(int container, const struct buffer *src, const struct buffer *dst)
{
	uint64_t n = unmap(container, dst->iova, dst->size, 0);

	if (n != dst->size) {
		errno = EPROTO;
		die("UNMAP_DMA of the destination unmapped another size");
	}
	printf("UNMAP_DMA of the destination: %llu KiB unmapped\n", (unsigned long long)n >> 10);
	n = unmap(container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	if (n != src->size) {
		errno = EPROTO;
		die("UNMAP_DMA(VFIO_DMA_UNMAP_FLAG_ALL) unmapped another size");
	}
	printf("UNMAP_DMA(VFIO_DMA_UNMAP_FLAG_ALL): %llu KiB unmapped\n",
	       (unsigned long long)n >> 10);
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:01.0";
	struct buffer src = { .size = BUF_SIZE }, dst = { .size = BUF_SIZE };
	int container, group, device, efd;
	volatile uint8_t *bar;
	uint64_t bar_size;
	struct iommu io;

	container = open_container();
	group = attach_group(container, bdf);
	read_iommu(container, &io);
	print_iommu(&io);
	if (BUF_SIZE % io.min_page) {
		errno = EINVAL;
		die("the buffers are not whole IOMMU pages");
	}
	src.va = alloc_aligned(src.size, io.min_page);
	dst.va = alloc_aligned(dst.size, io.min_page);
	choose_iovas(&io, &src, &dst);
	map_buffer(container, &src, VFIO_DMA_MAP_FLAG_READ);
	map_buffer(container, &dst, VFIO_DMA_MAP_FLAG_WRITE);

	efd = eventfd(0, 0);
	if (efd < 0)
		die("eventfd");
	device = open_device(group, bdf, efd, &bar, &bar_size);
	verified_copy(bar, efd, &src, &dst);
	throughput(bar, efd, &src, &dst);
	munmap((void *)bar, bar_size);
	close(device);

	unmap_all(container, &src, &dst);
	close(group);
	close(container);
	close(efd);
	printf("ok\n");
	return 0;
}
