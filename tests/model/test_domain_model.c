/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain against a model of its mappings (spec kernel.md §5, DECISIONS
 * 26, docs/domain.md): seeded random map and unmap on powernv and pseries
 * over the first 4 MiB of each window (4 KiB TCEs at 0, 64 KiB at 2^59),
 * with ranges, addresses and prots that are often wrong. After every call
 * the return value and unmapped bytes must be the model's (never more than
 * asked), and the entries read back through the group's table,
 * iova_to_phys and, now and then, device DMA through the TCEs must agree.
 */
#include <errno.h>
#include <string.h>

#include <tce/abi.h>

#include "harness.h"
#include "tt_domain.h"

#define KiB (1ull << 10)
#define SPAN (4ull << 20)         /* bytes tracked in each window */
#define UNITS (SPAN >> 12)        /* 4 KiB units */

struct mpage {
	uint64_t paddr;  /* 0: empty */
	uint32_t prot;
};

struct model {
	struct mpage p[2][UNITS]; /* per 4 KiB unit (window 1: every 16th is a TCE's start) */
};

static const uint64_t wstart[2] = { 0, TT_DOM_W1 };
static const uint32_t wshift[2] = { 12, 16 };

static int model_map(struct model *m, int w, uint64_t off, uint64_t paddr, uint64_t size,
		     uint32_t prot)
{
	uint64_t mask = (1ull << wshift[w]) - 1, u;

	if (!prot || prot > 3)
		return -EINVAL;
	if ((off | paddr | size) & mask || !size || off + size > SPAN)
		return -EINVAL;
	for (u = off >> 12; u < (off + size) >> 12; u++)
		if (m->p[w][u].paddr)
			return -EEXIST;
	for (u = off >> 12; u < (off + size) >> 12; u++)
		m->p[w][u] = (struct mpage){ paddr + (u << 12) - off, prot };
	return 0;
}

static int model_unmap(struct model *m, int w, uint64_t off, uint64_t size, uint64_t *bytes)
{
	uint64_t mask = (1ull << wshift[w]) - 1, u;

	*bytes = 0;
	if ((off | size) & mask || !size)
		return -EINVAL;
	for (u = off >> 12; u < (off + size) >> 12; u++) {
		*bytes += m->p[w][u].paddr ? 4 * KiB : 0;
		m->p[w][u].paddr = 0;
	}
	return 0;
}

static uint64_t perm_of(enum tce_platform p, uint32_t prot)
{
	uint64_t perm = (prot & TCE_DOMAIN_READ ? TCE_PCI_READ : 0) |
			(prot & TCE_DOMAIN_WRITE ? TCE_PCI_WRITE : 0);

	return p == TCE_PLATFORM_POWERNV && perm == TCE_PCI_WRITE ? TCE_PERM_MASK : perm;
}

/* Every TCE of the tracked spans and iova_to_phys against the model. */
static void check_all(struct tt_dom *f, struct model *m, enum tce_platform p)
{
	uint64_t tce, phys, u, iova;

	for (int w = 0; w < 2; w++)
		for (u = 0; u < UNITS && !tt_failed(); u += 1u << (wshift[w] - 12)) {
			const struct mpage *e = &m->p[w][u];

			iova = wstart[w] + (u << 12);
			CHECK_RC(tt_dom_tce(f->g, (uint32_t)w, iova, &tce), 0);
			CHECK_EQ(tce & ~((1ull << wshift[w]) - 1), e->paddr);
			CHECK_EQ(tce & TCE_PERM_MASK, e->paddr ? perm_of(p, e->prot) : 0);
			CHECK_RC(tce_domain_iova_to_phys(f->d, iova + 0x10, &phys),
				 e->paddr ? 0 : -ENOENT);
			if (e->paddr)
				CHECK_EQ(phys, e->paddr + 0x10);
		}
}

/* A device write and read at a random tracked unit: allowed exactly as the TCE says. */
static void check_dma(struct tt_dom *f, struct model *m, uint64_t *st, enum tce_platform p)
{
	struct tce_pci_dev *pci = tce_device_pci(f->o.a);
	int w = (int)tt_below(st, 2);
	uint64_t u = tt_below(st, UNITS), iova = wstart[w] + (u << 12) + 8;
	const struct mpage *e = &m->p[w][u];
	uint64_t v = tt_rand(st), r = 0;
	bool readable = e->paddr && (perm_of(p, e->prot) & TCE_PCI_READ);

	CHECK_RC(tce_dev_dma_write(pci, iova, &v, 8), e->paddr && (e->prot & 2) ? 0 : -EFAULT);
	tce_dev_eeh_thaw(pci);
	if (e->paddr && (e->prot & 2))
		CHECK_EQ(*(uint64_t *)(e->paddr + 8), v);
	CHECK_RC(tce_dev_dma_read(pci, iova, &r, 8), readable ? 0 : -EFAULT);
	tce_dev_eeh_thaw(pci);
	if (readable)
		CHECK_EQ(r, *(uint64_t *)(e->paddr + 8));
}

/* A size in 4 KiB units, mostly small, sometimes large. */
static uint64_t rand_size(uint64_t *st)
{
	return (tt_below(st, 8) ? 1 + tt_below(st, 32) : 1 + tt_below(st, 512)) << 12;
}

static void run(enum tce_platform p, uint64_t steps)
{
	static struct model m;
	uint64_t st = tt_seed() ^ p, off, size, paddr, got, want;
	uint64_t maps = 0, unmapped = 0;
	struct tt_dom f;
	int w, rc;

	memset(&m, 0, sizeof(m));
	REQUIRE(tt_dom_setup(&f, p, NULL, true) == 0);
	tt_dom_enable_dma(f.o.a);
	for (uint64_t s = 0; s < steps && !tt_failed(); s++) {
		w = (int)tt_below(&st, 2);
		off = tt_below(&st, UNITS) << 12;
		if (tt_below(&st, 2))
			off &= ~0xffffull; /* often aligned for window 1 */
		size = rand_size(&st);
		if (tt_below(&st, 2))
			size = (size + 0xffff) & ~0xffffull;
		if (off + size > SPAN)
			size = SPAN - off;
		if (!size)
			size = 4 * KiB;
		if (tt_below(&st, 3)) {
			paddr = (uint64_t)f.arena + (tt_below(&st, (TT_DOM_ARENA - size) >> 12) << 12);
			if (tt_below(&st, 2))
				paddr &= ~0xffffull;
			uint32_t prot = (uint32_t)tt_below(&st, 5);
			rc = tce_domain_map(f.d, wstart[w] + off, paddr, size, prot);
			CHECK_RC(rc, model_map(&m, w, off, paddr, size, prot));
			maps += !rc;
		} else {
			rc = tce_domain_unmap(f.d, wstart[w] + off, size, &got);
			CHECK_RC(rc, model_unmap(&m, w, off, size, &want));
			CHECK_EQ(got, want);
			CHECK(got <= size);
			unmapped += got != 0;
		}
		if (s % 97 == 0)
			check_all(&f, &m, p);
		if (s % 7 == 0)
			check_dma(&f, &m, &st, p);
	}
	check_all(&f, &m, p);
	CHECK(maps > steps / 20 && unmapped > steps / 40); /* the sequence did real work */
	tt_dom_teardown(&f);
}

static void test_model_powernv(void)
{
	run(TCE_PLATFORM_POWERNV, (uint64_t)(3000 * tt_scale()) + 50);
}

static void test_model_pseries(void)
{
	run(TCE_PLATFORM_PSERIES, (uint64_t)(3000 * tt_scale()) + 50);
}

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = {
		TT_CASE(test_model_powernv), TT_CASE(test_model_pseries),
	};

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
