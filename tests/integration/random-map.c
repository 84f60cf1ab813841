/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 10,000 random MAP_DMA/UNMAP_DMA calls (TCE_TEST_SCALE scales them) from a
 * client under tce-run, checked against a shadow model of the window that
 * the client keeps itself: each IOMMU page of a 512-page range of the
 * default window is empty or maps one page of a registered buffer with
 * READ, WRITE or both. MAP replaces silently, UNMAP of empty pages is
 * fine, a refused call (misaligned, past the window, outside the
 * registered buffer, no direction) changes nothing. The device checks
 * the model every few calls: a DMA read of a page (through the TCE)
 * returns the buffer page the model names, or faults when the model has
 * no READ there (powernv: WRITE implies READ); a DMA write lands where the model says, or faults without
 * WRITE. A fault is thawed and the walk goes on. Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096u
#define NPAGES 512u           /* the bus range walked: [BASE, BASE + NPAGES pages) */
#define NBUF 256u             /* pages of the registered buffer */
#define BASE 0x1000000u       /* bus address of the range */
#define SCRATCH (BASE + 2 * NPAGES * PAGE) /* a read-write page for the device's copies */
#define RD VFIO_DMA_MAP_FLAG_READ
#define WR VFIO_DMA_MAP_FLAG_WRITE

struct entry {
	int16_t page;  /* buffer page, -1: empty */
	uint8_t perm;  /* RD | WR */
};

static struct {
	struct vf v;
	uint8_t *buf, *scratch;
	struct entry model[NPAGES];
	uint64_t rng;
	unsigned maps, unmaps, refused, reads, writes, faults;
} S;

static void fill_page(unsigned page)
{
	memset(S.buf + (size_t)page * PAGE, (int)(page * 7 + 1), PAGE);
	S.buf[(size_t)page * PAGE] = (uint8_t)page;
	S.buf[(size_t)page * PAGE + 1] = (uint8_t)(page >> 8);
}

/* A random call the kernel must refuse; the model does not change. */
static void bad_call(void)
{
	uint64_t iova = BASE + ic_rand(&S.rng) % NPAGES * PAGE;
	int r;

	switch (ic_rand(&S.rng) % 5) {
	case 0:
		r = ic_map(&S.v, iova + 8, S.buf, PAGE, RD);
		break;
	case 1: /* v2: past the registration; v1: a misaligned address */
		r = ic_map(&S.v, iova, S.v.v2 ? S.buf + NBUF * PAGE : S.buf + 1, PAGE, RD);
		break;
	case 2:
		r = ic_map(&S.v, iova, S.buf, PAGE, 0);
		break;
	case 3:
		r = ic_unmap(&S.v, iova, PAGE / 2);
		break;
	default:
		r = ic_map(&S.v, 1ull << 40, S.buf, PAGE, RD);
		CHECK(r == -1 && errno == ENXIO);
		S.refused++;
		return;
	}
	if (r != -1 || errno != EINVAL)
		ic_fail(__FILE__, __LINE__, "a bad call got %d (%s), want EINVAL", r,
			ic_errname(errno));
	S.refused++;
}

static void random_map(void)
{
	unsigned n = 1 + ic_rand(&S.rng) % 16, i;
	unsigned at = ic_rand(&S.rng) % (NPAGES - n + 1), page = ic_rand(&S.rng) % (NBUF - n + 1);
	uint8_t perm = 1 + ic_rand(&S.rng) % 3;

	if (ic_map(&S.v, BASE + (uint64_t)at * PAGE, S.buf + (size_t)page * PAGE,
		   (uint64_t)n * PAGE, perm)) {
		ic_fail(__FILE__, __LINE__, "MAP of %u pages at %u: %s", n, at, ic_errname(errno));
		return;
	}
	for (i = 0; i < n; i++)
		S.model[at + i] = (struct entry){ .page = (int16_t)(page + i), .perm = perm };
	S.maps++;
}

static void random_unmap(void)
{
	unsigned n = 1 + ic_rand(&S.rng) % 32, i;
	unsigned at = ic_rand(&S.rng) % (NPAGES - n + 1);

	if (ic_unmap(&S.v, BASE + (uint64_t)at * PAGE, (uint64_t)n * PAGE)) {
		ic_fail(__FILE__, __LINE__, "UNMAP of %u pages at %u: %s", n, at, ic_errname(errno));
		return;
	}
	for (i = 0; i < n; i++)
		S.model[at + i] = (struct entry){ .page = -1 };
	S.unmaps++;
}

/* A DMA that must fault: the PE froze; thaw it. */
static void expect_fault(const char *what, unsigned at)
{
	if (ic_pe_op(&S.v, VFIO_EEH_PE_GET_STATE) != VFIO_EEH_PE_STATE_STOPPED)
		ic_fail(__FILE__, __LINE__, "%s of page %u did not freeze the PE", what, at);
	if (!ic_thaw(&S.v))
		ic_fail(__FILE__, __LINE__, "thaw after a %s fault of page %u", what, at);
	S.faults++;
}

/* The device reads page @at: the model's buffer page, or a fault. */
static void dma_read(unsigned at)
{
	struct entry e = S.model[at];
	uint32_t st = ic_copy(&S.v, BASE + (uint64_t)at * PAGE, SCRATCH, PAGE);

	S.reads++;
	if (e.page < 0 || !(e.perm & RD || ic_write_implies_read())) {
		if (st != 0xffffffffu)
			ic_fail(__FILE__, __LINE__, "read of page %u (empty or write-only): STATUS %u",
				at, st);
		expect_fault("read", at);
		return;
	}
	if (st != DT_DONE || memcmp(S.scratch, S.buf + (size_t)e.page * PAGE, PAGE))
		ic_fail(__FILE__, __LINE__, "read of page %u (buffer page %d): STATUS %u, data %s",
			at, e.page, st,
			memcmp(S.scratch, S.buf + (size_t)e.page * PAGE, PAGE) ? "wrong" : "right");
}

/* The device writes page @at: into the model's buffer page, or a fault and no change. */
static void dma_write(unsigned at)
{
	struct entry e = S.model[at];
	uint32_t st;

	memset(S.scratch, 0xa5, PAGE);
	st = ic_copy(&S.v, SCRATCH, BASE + (uint64_t)at * PAGE, PAGE);
	S.writes++;
	if (e.page < 0 || !(e.perm & WR)) {
		if (st != 0xffffffffu)
			ic_fail(__FILE__, __LINE__, "write of page %u (empty or read-only): STATUS %u",
				at, st);
		if (e.page >= 0 && S.buf[(size_t)e.page * PAGE + 2] == 0xa5)
			ic_fail(__FILE__, __LINE__, "a refused write changed buffer page %d", e.page);
		expect_fault("write", at);
		return;
	}
	if (st != DT_DONE || memcmp(S.scratch, S.buf + (size_t)e.page * PAGE, PAGE))
		ic_fail(__FILE__, __LINE__, "write of page %u (buffer page %d): STATUS %u", at,
			e.page, st);
	fill_page((unsigned)e.page);
}

static void spot_check(void)
{
	unsigned at = ic_rand(&S.rng) % NPAGES;

	if (ic_rand(&S.rng) & 1)
		dma_read(at);
	else
		dma_write(at);
}

static bool set_up(void)
{
	unsigned i;

	S.rng = ic_seed();
	S.buf = mmap(NULL, (NBUF + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	S.scratch = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (S.buf == MAP_FAILED || S.scratch == MAP_FAILED || !ic_setup(&S.v, DEV0))
		return false;
	for (i = 0; i < NBUF; i++)
		fill_page(i);
	for (i = 0; i < NPAGES; i++)
		S.model[i].page = -1;
	if (S.v.v2 && (ic_register(&S.v, S.buf, NBUF * PAGE) || ic_register(&S.v, S.scratch, PAGE)))
		return false;
	return !ic_map(&S.v, SCRATCH, S.scratch, PAGE, RD | WR) && ic_device(&S.v, DEV0);
}

static void random_calls(void)
{
	unsigned calls = (unsigned)(10000 * ic_scale()), i;

	REQUIRE(set_up());
	for (i = 0; i < calls && !ic_failed(); i++) {
		unsigned r = ic_rand(&S.rng) % 20;

		if (r < 10)
			random_map();
		else if (r < 18)
			random_unmap();
		else
			bad_call();
		if (i % 8 == 7)
			spot_check();
	}
	printf("# %u calls: %u maps, %u unmaps, %u refused; %u DMA reads, %u writes, %u faults\n",
	       i, S.maps, S.unmaps, S.refused, S.reads, S.writes, S.faults);
}

/* Every page of the range, read by the device, is what the model says. */
static void final_sweep(void)
{
	unsigned i;

	REQUIRE(S.v.device >= 0);
	for (i = 0; i < NPAGES && !ic_failed(); i++)
		dma_read(i);
	CHECK_OK(ic_unmap(&S.v, BASE, NPAGES * PAGE));
	for (i = 0; i < NPAGES; i++)
		S.model[i].page = -1;
	for (i = 0; i < 16 && !ic_failed(); i++)
		dma_read((unsigned)(ic_rand(&S.rng) % NPAGES));
	CHECK_OK(ic_unmap(&S.v, SCRATCH, PAGE));
	if (S.v.v2) {
		CHECK_OK(ic_unregister(&S.v, S.buf, NBUF * PAGE));
		CHECK_OK(ic_unregister(&S.v, S.scratch, PAGE));
	}
	ic_teardown(&S.v);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = { IC_CASE(random_calls), IC_CASE(final_sweep) };

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
