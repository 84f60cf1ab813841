/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Type1v2 container under concurrent ioctls, on powernv and pseries: two
 * threads MAP and UNMAP their own ranges and check the device's DMA each
 * round, two race on one range (each MAP succeeds or meets the other's
 * mapping, -EEXIST; each exact UNMAP removes it or nothing; a range that
 * would cut it is -EINVAL), a fifth reads GET_INFO and the dirty bitmap
 * while tracking goes on and off. Afterwards the bytes the racing threads
 * mapped and unmapped agree, UNMAP_ALL removes exactly what is left, the
 * locked-memory account is back to 0 and closing leaves nothing owned or
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
#define SLICE (1 * MiB)        /* a disjoint thread's range (and memory) */
#define SHARED (512 * KiB)     /* the racing threads' range */
#define SHARED_IOVA (4 * MiB)
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

struct fx {
	struct tt_vfio v;
	uint64_t rounds;
	atomic_int errors;
	atomic_int first_line;
	atomic_uint_fast64_t raced_mapped, raced_unmapped; /* bytes, by the racing threads */
};

static void fail_at(struct fx *f, int line)
{
	int none = 0;

	atomic_fetch_add(&f->errors, 1);
	atomic_compare_exchange_strong(&f->first_line, &none, line);
}

#define fail(f) fail_at(f, __LINE__)

/* UNMAP_DMA of [iova, iova + size): its errno, the bytes written back in *@got. */
static long unmap(struct fx *f, uint64_t iova, uint64_t size, uint64_t *got)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };
	long rc = tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_UNMAP_DMA, &u);

	*got = u.size;
	return rc;
}

/* Window 0 of 1 GiB with 4 KiB pages on either platform: IOVAs are arena offsets. */
static int setup(struct fx *f, enum tce_platform p)
{
	struct tce_vfio_container_config cfg = {
		.flags = TCE_VFIO_TYPE1,
		.type1 = { .win = { { .size = 1ull << 30, .page_shift = 12 } } } };

	memset(f, 0, sizeof(*f));
	f->rounds = (uint64_t)(300 * tt_scale()) + 10;
	if (tt_vfio_boot(&f->v, p, NULL, 0) || tt_vfio_new_mm(&f->v, NULL))
		return -1;
	f->v.cfd = tce_vfio_open_container_config(f->v.mm, &cfg);
	f->v.gfd = tce_vfio_open_group(f->v.mm, f->v.g);
	if (f->v.cfd < 0 || f->v.gfd < 0)
		return -1;
	return tt_vfio_attach(&f->v, VFIO_TYPE1v2_IOMMU) ? -1 : 0;
}

/* ---- the threads ---- */

struct worker {
	struct fx *f;
	int id;
	pthread_t t;
};

/* The device writes a pattern at @iova and reads it back; it lands at arena offset @off. */
static void dma_check(struct fx *f, uint64_t iova, uint64_t off, uint64_t seed)
{
	if (tt_dma_roundtrip(f->v.o.a, iova, f->v.arena + off, seed))
		fail(f);
}

/* Threads 0 and 1: their own slice, their own memory. */
static void *disjoint(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t base = (uint64_t)w->id * SLICE, i, got;

	for (i = 0; i < f->rounds; i++) {
		uint64_t size = (1 + i % 16) * 64 * KiB, at = (i * 64 * KiB) % size;

		if (tt_vfio_map(&f->v, base, base, size, RW))
			fail(f);
		dma_check(f, base + at, base + at, i + (uint64_t)w->id);
		if (unmap(f, base, size, &got) || got != size)
			fail(f);
	}
	if (tt_vfio_map(&f->v, base, base, SLICE, RW)) /* left mapped for UNMAP_ALL */
		fail(f);
	return NULL;
}

/* Threads 2 and 3: one range, each from its own memory; whole mappings only. */
static void *racing(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t off = 2 * MiB + (uint64_t)(w->id - 2) * SHARED, i, got;
	long rc;

	for (i = 0; i < f->rounds; i++) {
		rc = tt_vfio_map(&f->v, off, SHARED_IOVA, SHARED, RW);
		if (!rc)
			atomic_fetch_add(&f->raced_mapped, SHARED);
		else if (rc != -EEXIST)
			fail(f);
		rc = unmap(f, SHARED_IOVA + 64 * KiB, 64 * KiB, &got); /* would cut it, or a hole */
		if (rc != -EINVAL && (rc || got))
			fail(f);
		if (unmap(f, SHARED_IOVA, SHARED, &got) || (got && got != SHARED))
			fail(f);
		atomic_fetch_add(&f->raced_unmapped, got);
	}
	return NULL;
}

/* Thread 4: GET_INFO's DMA_AVAIL, and dirty bitmaps of whole-mapping ranges. */
static void *observer(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t bits[4] = { 0 }, i;

	for (i = 0; i < f->rounds / 4 + 1; i++) {
		struct vfio_iommu_type1_dirty_bitmap on = { .argsz = sizeof(on),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START }, off = on;
		uint8_t gb[sizeof(struct vfio_iommu_type1_dirty_bitmap) +
			   sizeof(struct vfio_iommu_type1_dirty_bitmap_get)];
		struct vfio_iommu_type1_dirty_bitmap *d = (void *)gb;
		struct vfio_iommu_type1_dirty_bitmap_get r = {
			.iova = 0, .size = 2 * MiB, /* the disjoint slices, never cut */
			.bitmap = { .pgsize = 64 * KiB, .size = sizeof(bits), .data = (void *)bits } };
		uint8_t ib[256];
		struct vfio_iommu_type1_info *info = (void *)ib;

		off.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
		info->argsz = sizeof(ib);
		if (tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_GET_INFO, info) || !info->cap_offset)
			fail(f);
		d->argsz = sizeof(gb), d->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
		memcpy(d->data, &r, sizeof(r));
		if (tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, &on) ||
		    tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, d) ||
		    tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, &off))
			fail(f);
	}
	return NULL;
}

static void run(enum tce_platform p)
{
	static void *(*const fn[])(void *) = { disjoint, disjoint, racing, racing, observer };
	struct worker w[5];
	struct fx f;
	uint64_t got, left;
	int i;

	REQUIRE(setup(&f, p) == 0);
	for (i = 0; i < 5; i++) {
		w[i] = (struct worker){ .f = &f, .id = i };
		REQUIRE(pthread_create(&w[i].t, NULL, fn[i], &w[i]) == 0);
	}
	for (i = 0; i < 5; i++)
		pthread_join(w[i].t, NULL);
	CHECK_EQ(atomic_load(&f.errors), 0);
	CHECK_EQ(atomic_load(&f.first_line), 0);
	left = atomic_load(&f.raced_mapped) - atomic_load(&f.raced_unmapped);
	CHECK(left == 0 || left == SHARED);
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), 2 * SLICE + left);
	{
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
							.flags = VFIO_DMA_UNMAP_FLAG_ALL };

		CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_UNMAP_DMA, &u), 0);
		got = u.size;
	}
	CHECK_EQ(got, 2 * SLICE + left);
	CHECK_EQ(tce_vfio_mm_locked(f.v.mm), 0);
	CHECK_RC(tce_vfio_close(f.v.mm, f.v.gfd), 0);
	CHECK(!tce_group_owned(f.v.g));
	CHECK_RC(tce_vfio_close(f.v.mm, f.v.cfd), 0);
	tt_vfio_teardown(&f.v);
}

static void test_powernv(void)
{
	run(TCE_PLATFORM_POWERNV);
}

static void test_pseries(void)
{
	run(TCE_PLATFORM_PSERIES);
}

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = { TT_CASE(test_powernv), TT_CASE(test_pseries) };

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
