/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The v2 container under concurrent ioctls, on powernv and pseries: four
 * threads MAP and UNMAP through tce_vfio_ioctl() (two on disjoint ranges of
 * window 0, checking their device DMA each round; two on one shared range
 * of window 0 and one of window 1), while a fifth registers and unregisters
 * other memory of the process and a sixth takes EEH actions on the PE
 * (GET_STATE, UNFREEZE, and on powernv INJECT). Every MAP and UNMAP must
 * succeed. Afterwards: every page still mapped is reached by the device's
 * DMA at the right bytes, the locked-memory account is what it was before
 * the threads started, the mapped region refuses UNREGISTER until it is
 * unmapped, and closing the files leaves nothing owned, charged or
 * allocated. Run under TSan by `make check-tsan`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_vfio.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define MAPPED (8 * MiB)       /* [0, 8 MiB) of the arena: registered once, mapped by threads */
#define CHUNK (1 * MiB)        /* [8, 16 MiB): registered and unregistered by a thread */
#define NCHUNKS 8
#define SLICE (1 * MiB)        /* a disjoint thread's range */
#define SHARED (512 * KiB)     /* the overlapping threads' range */
#define WIN1 (1ull << 59)
#define INJECT_BUS 0           /* the address the EEH thread's DMA-write injection matches */

struct fx {
	struct tt_vfio v;
	bool win1;                 /* the PE has a second window */
	uint64_t tce32;            /* the default window's start */
	uint64_t rounds;
	atomic_int errors;
	atomic_int first_line;       /* of the first failure in a thread */
	atomic_bool stop;
};

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define REG VFIO_IOMMU_SPAPR_REGISTER_MEMORY
#define UNREG VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY

static long eeh(struct fx *f, uint32_t op, uint32_t func)
{
	struct vfio_eeh_pe_op e = { .argsz = sizeof(e), .op = op,
				    .err = { .type = 0, .func = func, .addr = INJECT_BUS,
					     .mask = ~0ull } };

	return tt_vfio_io(&f->v, f->v.cfd, VFIO_EEH_PE_OP, &e);
}

/* A thread's failure: counted, the first one's line kept for the report. */
static void fail_at(struct fx *f, int line)
{
	int none = 0;

	atomic_fetch_add(&f->errors, 1);
	atomic_compare_exchange_strong(&f->first_line, &none, line);
}

#define fail(f) fail_at(f, __LINE__)

/* A host, an identity arena, a process with a v2 container and group 0 set on it. */
static int setup_plain(struct fx *f, enum tce_platform p)
{
	memset(f, 0, sizeof(*f));
	f->rounds = (uint64_t)(300 * tt_scale()) + 10;
	if (tt_vfio_setup(&f->v, p, NULL))
		return -1;
	return tt_vfio_attach(&f->v, VFIO_SPAPR_TCE_v2_IOMMU) ? -1 : 0;
}

/* setup_plain(), then two windows of our own and the memory threads map. */
static int setup(struct fx *f, enum tce_platform p)
{
	struct tce_group_info gi;
	uint64_t start;

	if (setup_plain(f, p) || tt_vfio_remove(&f->v, 0)) /* default declined */
		return -1;
	tce_group_info(f->v.g, &gi);
	if (tt_vfio_create(&f->v, 12, 256 * MiB, 1, &start) || start != 0)
		return -1;
	f->win1 = gi.max_dynamic_windows > 1;
	if (f->win1 && (tt_vfio_create(&f->v, 16, 1ull << 30, 1, &start) || start != WIN1))
		return -1;
	return tt_vfio_reg(&f->v, REG, 0, MAPPED) ? -1 : 0;
}

static void teardown(struct fx *f)
{
	CHECK_RC(tce_vfio_close(f->v.mm, f->v.gfd), 0);
	CHECK(!tce_group_owned(f->v.g));
	CHECK_EQ(tce_vfio_mm_locked(f->v.mm), 0);
	CHECK_RC(tce_vfio_close(f->v.mm, f->v.cfd), 0);
	tt_vfio_teardown(&f->v);
}

/* ---- the threads ---- */

struct worker {
	struct fx *f;
	int id;
	pthread_t t;
};

/*
 * The device writes a pattern at @iova and reads it back; it must land at
 * arena offset @off. A frozen PE (the EEH thread) may refuse with -EIO,
 * and the write at INJECT_BUS may meet the injected error (-EFAULT, which
 * freezes the PE): then nothing is checked.
 */
static void dma_check(struct fx *f, uint64_t iova, uint64_t off, uint64_t seed)
{
	struct tce_pci_dev *pci = tce_device_pci(f->v.o.a);
	uint8_t in[16], back[16];
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(seed * 31 + i);
	rc = tce_dev_dma_write(pci, iova, in, sizeof(in));
	if (rc == -EIO || (rc == -EFAULT && iova == INJECT_BUS))
		return;
	if (rc || memcmp(f->v.arena + off, in, sizeof(in))) {
		fail(f);
		return;
	}
	rc = tce_dev_dma_read(pci, iova, back, sizeof(back));
	if (rc != -EIO && (rc || memcmp(back, in, sizeof(in))))
		fail(f);
}

/* Threads 0 and 1: their own slice of window 0, their own memory. */
static void *disjoint(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t iova = (uint64_t)w->id * SLICE, off = (uint64_t)w->id * SLICE, i;

	for (i = 0; i < f->rounds; i++) {
		uint64_t size = (1 + i % 16) * 64 * KiB;

		if (tt_vfio_map(&f->v, off, iova, size, RW))
			fail(f);
		dma_check(f, iova + (i * 4096) % size, off + (i * 4096) % size, i + (uint64_t)w->id);
		if (tt_vfio_unmap(&f->v, iova, size))
			fail(f);
	}
	if (tt_vfio_map(&f->v, off, iova, SLICE, RW)) /* left mapped for the checks after */
		fail(f);
	return NULL;
}

/* Threads 2 and 3: one range of window 0 and one of window 1, from different memory. */
static void *overlapping(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	struct tt_vfio *v = &f->v;
	uint64_t off = 2 * SLICE + (uint64_t)(w->id - 2) * SHARED, i;

	for (i = 0; i < f->rounds; i++) {
		uint64_t part = (i % 4) * 64 * KiB;

		if (tt_vfio_map(v, off, 4 * SLICE, SHARED, RW) ||
		    tt_vfio_unmap(v, 4 * SLICE + part, 64 * KiB))
			fail(f);
		if (f->win1 && (tt_vfio_map(v, off, WIN1, SHARED, RW) ||
				tt_vfio_unmap(v, WIN1 + part, 64 * KiB)))
			fail(f);
	}
	if (tt_vfio_map(v, off, 4 * SLICE, SHARED, RW) ||
	    (f->win1 && tt_vfio_map(v, off, WIN1, SHARED, RW)))
		fail(f);
	return NULL;
}

/* Thread 4: other memory of the process, registered and unregistered. */
static void *registrar(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t i, k;

	for (i = 0; i < f->rounds / 4 + 1; i++) {
		for (k = 0; k < NCHUNKS; k++)
			if (tt_vfio_reg(&f->v, REG, MAPPED + k * CHUNK, CHUNK))
				fail(f);
		if (tt_vfio_reg(&f->v, REG, MAPPED, CHUNK) != -EBUSY ||
		    tt_vfio_reg(&f->v, REG, MAPPED - CHUNK, 2 * CHUNK) != -EINVAL ||
		    tt_vfio_reg(&f->v, UNREG, 0, CHUNK) != -ENOENT)
			fail(f);
		for (k = 0; k < NCHUNKS; k++)
			if (tt_vfio_reg(&f->v, UNREG, MAPPED + k * CHUNK, CHUNK))
				fail(f);
	}
	return NULL;
}

/* Thread 5: the PE's EEH state read, thawed, and (powernv) errors injected. */
static void *eeh_actions(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	bool powernv = tce_machine_platform(f->v.o.m) == TCE_PLATFORM_POWERNV;
	uint64_t i;
	long rc;

	for (i = 0; !atomic_load(&f->stop); i++) {
		rc = eeh(f, VFIO_EEH_PE_GET_STATE, 0);
		if (rc != 0 && rc != 2 && rc != 4 && rc != 5)
			fail(f);
		if (eeh(f, VFIO_EEH_PE_UNFREEZE_IO, 0) || eeh(f, VFIO_EEH_PE_UNFREEZE_DMA, 0))
			fail(f);
		/* MMIO loads never match device DMA; a DMA write does, and freezes the PE */
		if (powernv && eeh(f, VFIO_EEH_PE_INJECT_ERR, i % 8 ? TCE_EEH_ERR_FUNC_LD_MEM_ADDR :
						     TCE_EEH_ERR_FUNC_DMA_WR_ADDR))
			fail(f);
	}
	return NULL;
}

/* ---- the checks after ---- */

/* Every page of [iova, iova + size) reaches arena offset off + (same offset). */
static void reached(struct fx *f, uint64_t iova, uint64_t off, uint64_t size, uint64_t page)
{
	struct tce_pci_dev *pci = tce_device_pci(f->v.o.a);
	uint64_t i;
	uint32_t v;

	for (i = 0; i < size; i += page) {
		v = (uint32_t)(iova + i) ^ 0x5eed;
		CHECK_RC(tce_dev_dma_write(pci, iova + i + 8, &v, sizeof(v)), 0);
		CHECK(!memcmp(f->v.arena + off + i + 8, &v, sizeof(v)));
	}
}

/* The shared range holds one thread's mapping or the other's, whole. */
static void reached_either(struct fx *f, uint64_t iova, uint64_t page)
{
	uint64_t off2 = 2 * SLICE, off3 = 2 * SLICE + SHARED;
	uint32_t v = 0x1234;

	CHECK_RC(tce_dev_dma_write(tce_device_pci(f->v.o.a), iova, &v, sizeof(v)), 0);
	if (!memcmp(f->v.arena + off2, &v, sizeof(v)))
		reached(f, iova, off2, SHARED, page);
	else
		reached(f, iova, off3, SHARED, page);
}

static void run(enum tce_platform p)
{
	void *(*fn[6])(void *) = { disjoint, disjoint, overlapping, overlapping, registrar,
				   eeh_actions };
	struct worker w[6];
	uint64_t locked;
	struct fx f;
	int i;

	REQUIRE(setup(&f, p) == 0);
	locked = tce_vfio_mm_locked(f.v.mm);
	for (i = 0; i < 6; i++) {
		w[i] = (struct worker){ .f = &f, .id = i };
		REQUIRE(pthread_create(&w[i].t, NULL, fn[i], &w[i]) == 0);
	}
	for (i = 0; i < 5; i++)
		pthread_join(w[i].t, NULL);
	atomic_store(&f.stop, true);
	pthread_join(w[5].t, NULL);
	if (atomic_load(&f.errors))
		tt_fail(__FILE__, atomic_load(&f.first_line), "%d failures in the threads",
			atomic_load(&f.errors));
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), locked);

	/* Thawed, with no injection left armed (an MMIO one replaces a DMA one). */
	CHECK_RC(eeh(&f, VFIO_EEH_PE_UNFREEZE_IO, 0), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_UNFREEZE_DMA, 0), 0);
	if (p == TCE_PLATFORM_POWERNV)
		CHECK_RC(eeh(&f, VFIO_EEH_PE_INJECT_ERR, TCE_EEH_ERR_FUNC_LD_MEM_ADDR), 0);
	CHECK_RC(eeh(&f, VFIO_EEH_PE_GET_STATE, 0), 0);
	reached(&f, 0, 0, SLICE, 4096);
	reached(&f, SLICE, SLICE, SLICE, 4096);
	reached_either(&f, 4 * SLICE, 4096);
	if (f.win1)
		reached_either(&f, WIN1, 64 * KiB);

	CHECK_RC(tt_vfio_reg(&f.v, UNREG, 0, MAPPED), -EBUSY);
	CHECK_RC(tt_vfio_unmap(&f.v, 0, 256 * MiB), 0);
	CHECK_RC(tt_vfio_reg(&f.v, UNREG, 0, MAPPED), f.win1 ? -EBUSY : 0);
	if (f.win1) {
		CHECK_RC(tt_vfio_unmap(&f.v, WIN1, 1ull << 30), 0);
		CHECK_RC(tt_vfio_reg(&f.v, UNREG, 0, MAPPED), 0);
	}
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), locked - MAPPED);
	teardown(&f);
}

/* Threads of first_maps(): each one's first MAP meets the pending default window. */
static void *first_map(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t at = f->tce32 + (uint64_t)w->id * SLICE;

	if (tt_vfio_map(&f->v, (uint64_t)w->id * SLICE, at, SLICE, RW))
		fail(f);
	dma_check(f, at + 4096, (uint64_t)w->id * SLICE + 4096, (uint64_t)w->id);
	return NULL;
}

/*
 * Four threads' first MAPs race to make the default window (the kernel makes
 * it without its lock): exactly one is made and charged, every MAP lands.
 */
static void first_maps(enum tce_platform p)
{
	struct tce_group_info gi;
	struct worker w[4];
	uint64_t table = 0;
	struct fx f;
	int i;

	REQUIRE(setup_plain(&f, p) == 0);
	tce_group_info(f.v.g, &gi);
	f.tce32 = gi.tce32_start;
	REQUIRE(tce_group_table_size(f.v.g, 12, gi.tce32_size, 1, &table) == 0);
	CHECK_RC(tt_vfio_reg(&f.v, REG, 0, MAPPED), 0);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .f = &f, .id = i };
		REQUIRE(pthread_create(&w[i].t, NULL, first_map, &w[i]) == 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(w[i].t, NULL);
	if (atomic_load(&f.errors))
		tt_fail(__FILE__, atomic_load(&f.first_line), "%d failures in the threads",
			atomic_load(&f.errors));
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), MAPPED + table);
	for (i = 0; i < 4; i++)
		reached(&f, f.tce32 + (uint64_t)i * SLICE, (uint64_t)i * SLICE, SLICE, 4096);
	CHECK_RC(tt_vfio_unmap(&f.v, f.tce32, 4 * SLICE), 0);
	CHECK_RC(tt_vfio_reg(&f.v, UNREG, 0, MAPPED), 0);
	CHECK_RC(tt_vfio_remove(&f.v, f.tce32), 0); /* the default window */
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), 0);
	teardown(&f);
}

static void powernv(void)
{
	run(TCE_PLATFORM_POWERNV);
}

static void powernv_first_maps(void)
{
	first_maps(TCE_PLATFORM_POWERNV);
}

static void pseries_first_maps(void)
{
	first_maps(TCE_PLATFORM_PSERIES);
}

static void pseries(void)
{
	run(TCE_PLATFORM_PSERIES);
}

static const struct tt_case cases[] = { TT_CASE(powernv), TT_CASE(pseries), TT_CASE(powernv_first_maps),
					TT_CASE(pseries_first_maps) };

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
