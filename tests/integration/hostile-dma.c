/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A client whose device DMAs where it must not, under tce-run: to an
 * unmapped bus address, a write to a read-only mapping, a read from a
 * write-only one, a page just unmapped. Each must freeze the PE (EEH:
 * GET_STATE STOPPED, loads all ones, the FAULT register naming the bus
 * address after UNFREEZE_IO), leave the memory untouched and leave another
 * PE working; a thaw brings the device back. Also the mapped-BAR path: the
 * doorbell through the mapping with the MSI-X eventfd, and loads through
 * the mapping while frozen. Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096u
#define BUF (32u * PAGE)
#define IOVA 0x400000u
#define RO (IOVA + BUF)        /* the next 8 pages: device reads only */
#define WO (RO + 8 * PAGE)     /* then 8 pages the device may only write */
#define HOLE (IOVA + (64u << 20))

static uint8_t *buf, *ro, *wo;

static bool set_up(struct vf *v, const char *bdf)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

	if (!ic_setup(v, bdf))
		return false;
	if (v->v2 && (ic_register(v, buf, BUF) || ic_register(v, ro, 8 * PAGE) ||
		      ic_register(v, wo, 8 * PAGE)))
		return false;
	return !ic_map(v, IOVA, buf, BUF, rw) &&
	       !ic_map(v, RO, ro, 8 * PAGE, VFIO_DMA_MAP_FLAG_READ) &&
	       !ic_map(v, WO, wo, 8 * PAGE, VFIO_DMA_MAP_FLAG_WRITE) && ic_device(v, bdf);
}

/* The DMA @src -> @dst faults: frozen, nothing written, FAULT names @fault; thawed again. */
static void expect_fault(struct vf *v, uint64_t src, uint64_t dst, uint64_t fault, uint8_t *at)
{
	uint8_t before[PAGE];

	if (at)
		memcpy(before, at, PAGE);
	memset(buf, 0x5a, PAGE);
	CHECK_EQ(ic_copy(v, src, dst, PAGE), 0xffffffffu); /* STATUS from a frozen PE */
	CHECK_EQ(ic_pe_op(v, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	CHECK_EQ(ic_rd32(v, REG_ID), 0xffffffffu);
	CHECK_OK(ic_pe_op(v, VFIO_EEH_PE_UNFREEZE_IO));
	CHECK_EQ(ic_pe_op(v, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED_DMA);
	CHECK_EQ(ic_rd32(v, REG_STATUS), DT_ERROR);
	CHECK_EQ(ic_rd64(v, REG_FAULT), fault);
	CHECK(ic_thaw(v));
	if (at)
		CHECK(!memcmp(before, at, PAGE));
	CHECK_EQ(ic_copy(v, IOVA, IOVA + PAGE, PAGE), DT_DONE);
}

static void to_unmapped(void)
{
	struct vf v;

	REQUIRE(set_up(&v, DEV0));
	expect_fault(&v, IOVA, HOLE, HOLE, NULL);
	expect_fault(&v, HOLE + PAGE, IOVA, HOLE + PAGE, NULL);
	ic_teardown(&v);
}

static void permissions(void)
{
	struct vf v;

	REQUIRE(set_up(&v, DEV0));
	memset(ro, 0x11, 8 * PAGE);
	CHECK_EQ(ic_copy(&v, RO, IOVA + PAGE, PAGE), DT_DONE); /* reading read-only memory */
	CHECK_EQ(buf[PAGE], 0x11);
	expect_fault(&v, IOVA, RO + PAGE, RO + PAGE, ro + PAGE); /* writing it */
	CHECK_EQ(ic_copy(&v, IOVA, WO, PAGE), DT_DONE);         /* writing write-only memory */
	CHECK_EQ(wo[0], 0x5a);
	if (ic_write_implies_read()) /* the powernv PHB's rule */
		CHECK_EQ(ic_copy(&v, WO + PAGE, IOVA + PAGE, PAGE), DT_DONE);
	else
		expect_fault(&v, WO + PAGE, IOVA + PAGE, WO + PAGE, NULL); /* reading it */
	ic_teardown(&v);
}

/* A copy that crosses from a mapped page into an unmapped one moves no byte. */
static void straddling_and_unmapped(void)
{
	struct vf v;

	REQUIRE(set_up(&v, DEV0));
	memset(buf + 2 * PAGE, 0, 2 * PAGE);
	CHECK_EQ(ic_copy(&v, IOVA, RO + 7 * PAGE + PAGE / 2, PAGE), 0xffffffffu);
	CHECK_EQ(ic_pe_op(&v, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	CHECK(ic_thaw(&v));
	CHECK_OK(ic_unmap(&v, IOVA + 3 * PAGE, PAGE));
	expect_fault(&v, IOVA, IOVA + 3 * PAGE, IOVA + 3 * PAGE, buf + 3 * PAGE);
	ic_teardown(&v);
}

/* One PE's freeze leaves another PE's DMA alone. */
static void other_pe_unaffected(void)
{
	struct vf a, b;

	REQUIRE(set_up(&a, DEV0));
	b = (struct vf){ .container = -1, .group = -1, .device = -1 };
	REQUIRE(ic_setup(&b, DEV1) && (!b.v2 || !ic_register(&b, buf, BUF)) /* the same region, shared */ &&
		!ic_map(&b, IOVA, buf + BUF / 2, BUF / 2,
			VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) &&
		ic_device(&b, DEV1));
	CHECK_EQ(ic_copy(&a, IOVA, HOLE, PAGE), 0xffffffffu);
	CHECK_EQ(ic_pe_op(&a, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	CHECK_EQ(ic_pe_op(&b, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	CHECK_EQ(ic_copy(&b, IOVA, IOVA + PAGE, PAGE), DT_DONE);
	CHECK(ic_thaw(&a));
	ic_teardown(&b);
	ic_teardown(&a);
}

/* The doorbell through a mapped BAR0, completion on the MSI-X eventfd; loads while frozen. */
static void mapped_bar(void)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq;
	struct pollfd pfd;
	volatile uint8_t *bar;
	uint64_t n;
	struct vf v;
	int efd = eventfd(0, EFD_CLOEXEC);

	REQUIRE(efd >= 0 && set_up(&v, DEV0));
	irq.set = (struct vfio_irq_set){ .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
					 .flags = VFIO_IRQ_SET_DATA_EVENTFD |
						  VFIO_IRQ_SET_ACTION_TRIGGER,
					 .count = 1 };
	irq.fd = efd;
	CHECK_OK(ioctl(v.device, VFIO_DEVICE_SET_IRQS, &irq));
	bar = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED, v.device, (off_t)v.bar0);
	REQUIRE(bar != MAP_FAILED);
	CHECK_ERRNO(mmap(NULL, 0x10000, PROT_READ, MAP_PRIVATE, v.device, (off_t)v.bar0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 0x20000, PROT_READ, MAP_SHARED, v.device, (off_t)v.bar0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ, MAP_SHARED, v.device, (off_t)v.config), EINVAL);
	CHECK_EQ(*(volatile uint32_t *)(bar + REG_ID), DT_ID);
	memset(buf, 0x77, PAGE);
	*(volatile uint64_t *)(bar + REG_SRC) = IOVA;
	*(volatile uint64_t *)(bar + REG_DST) = IOVA + 2 * PAGE;
	*(volatile uint64_t *)(bar + REG_LEN) = PAGE;
	*(volatile uint32_t *)(bar + REG_DOORBELL) = 1;
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 5000) == 1 && read(efd, &n, 8) == 8);
	CHECK_EQ(*(volatile uint32_t *)(bar + REG_STATUS), DT_DONE);
	CHECK_EQ(buf[2 * PAGE + 17], 0x77);
	/* Frozen: the spec has loads through the mapping return all ones (the shim swaps it). */
	CHECK_EQ(ic_copy(&v, IOVA, HOLE, PAGE), 0xffffffffu);
	CHECK_WHY(*(volatile uint32_t *)(bar + REG_ID) == 0xffffffffu,
		  "a load through a mapped BAR0 of a frozen PE returns the register (%#x), not "
		  "all ones", *(volatile uint32_t *)(bar + REG_ID));
	CHECK(ic_thaw(&v));
	CHECK_EQ(*(volatile uint32_t *)(bar + REG_ID), DT_ID);
	munmap((void *)bar, 0x10000);
	close(efd);
	ic_teardown(&v);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = {
		IC_CASE(to_unmapped), IC_CASE(permissions), IC_CASE(straddling_and_unmapped),
		IC_CASE(other_pe_unaffected), IC_CASE(mapped_bar),
	};
	int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;

	buf = mmap(NULL, BUF, prot, flags, -1, 0);
	ro = mmap(NULL, 8 * PAGE, prot, flags, -1, 0);
	wo = mmap(NULL, 8 * PAGE, prot, flags, -1, 0);
	if (buf == MAP_FAILED || ro == MAP_FAILED || wo == MAP_FAILED)
		return 1;
	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
