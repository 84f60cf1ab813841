/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 10,000 random MAP_DMA/UNMAP_DMA calls (TCE_TEST_SCALE scales them) on a
 * Type1v2 container under tce-run --type1, each checked against a model of
 * the live mappings that the client keeps itself: a map overlapping a live
 * mapping is EEXIST, one leaving the IOVA ranges EINVAL; an unmap whose
 * first or last byte cuts a mapping is EINVAL and removes nothing (the v2
 * rule), any other removes the whole mappings inside and writes their
 * total back. Every few calls the device copies a page of a live mapping
 * (reads where READ is granted, writes where WRITE is); at the end
 * DMA_AVAIL counts the model's mappings and UNMAP_FLAG_ALL returns their
 * total. Prints TAP.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"

#define BUF_BYTES (4u << 20)  /* the memory mapped, at random offsets */
#define HOT_BYTES (8u << 20) /* the stretch of IOVA most calls aim at */
#define MAX_MAPS 2048
#define RD VFIO_DMA_MAP_FLAG_READ
#define WR VFIO_DMA_MAP_FLAG_WRITE

struct mapping {
	uint64_t iova, size, off; /* off: into the buffer */
	uint32_t perm;
};

static struct {
	struct vf v;
	struct ic_aperture ap;
	uint64_t page, hot, avail0;
	uint8_t *buf, *scratch;
	struct mapping m[MAX_MAPS]; /* m[0]: the device's scratch page, never unmapped at random */
	unsigned n;
	uint64_t rng;
	unsigned maps, eexist, outside, unmaps, bisected, empty, bad, reads, writes;
} S;

static uint64_t rnd(uint64_t n)
{
	return ic_rand(&S.rng) % n;
}

static bool overlaps(uint64_t iova, uint64_t size)
{
	unsigned i;

	for (i = 0; i < S.n; i++)
		if (S.m[i].iova < iova + size && iova < S.m[i].iova + S.m[i].size)
			return true;
	return false;
}

static bool inside_a_range(uint64_t iova, uint64_t size)
{
	unsigned i;

	for (i = 0; i < S.ap.n; i++)
		if (iova >= S.ap.r[i].start && iova <= S.ap.r[i].end &&
		    size - 1 <= S.ap.r[i].end - iova)
			return true;
	return false;
}

/* Whether a mapping holds @a without starting (@start) or ending (!@start) there. */
static bool cut_at(uint64_t a, bool start)
{
	unsigned i;

	for (i = 0; i < S.n; i++) {
		uint64_t last = S.m[i].iova + S.m[i].size - 1;

		if (a >= S.m[i].iova && a <= last && (start ? S.m[i].iova != a : last != a))
			return true;
	}
	return false;
}

/* The model's UNMAP_DMA: -1 for the v2 rule's EINVAL, else the bytes removed. */
static int64_t model_unmap(uint64_t iova, uint64_t size)
{
	uint64_t total = 0;
	unsigned i = 0;

	if (cut_at(iova, true) || cut_at(iova + size - 1, false))
		return -1;
	while (i < S.n) {
		if (S.m[i].iova < iova + size && iova < S.m[i].iova + S.m[i].size) {
			total += S.m[i].size;
			S.m[i] = S.m[--S.n];
		} else {
			i++;
		}
	}
	return (int64_t)total;
}

/* An IOVA for @size bytes: mostly in the hot stretch, else at an edge of a range. */
static uint64_t pick_iova(uint64_t size)
{
	const struct vfio_iova_range *r = &S.ap.r[rnd(S.ap.n)];
	int64_t k = (int64_t)rnd(9) - 4;

	if (rnd(8))
		return S.hot + rnd(HOT_BYTES / S.page) * S.page;
	if (rnd(2))
		return r->end + 1 - size + (uint64_t)k * S.page; /* k > 0: past the end */
	if (k < 0 && r->start < (uint64_t)-k * S.page)
		k = 0;
	return r->start + (uint64_t)k * S.page; /* k < 0: before the start */
}

static void random_map(void)
{
	uint64_t pages = 1 + rnd(32), size = pages * S.page;
	uint64_t off = rnd(BUF_BYTES / S.page - pages + 1) * S.page, iova = pick_iova(size);
	uint32_t perm = 1 + (uint32_t)rnd(3);
	int want = overlaps(iova, size) ? EEXIST : !inside_a_range(iova, size) ? EINVAL : 0;
	int r;

	if (S.n == MAX_MAPS)
		return;
	r = ic_map(&S.v, iova, S.buf + off, size, perm);
	if (!want && r == 0) {
		S.m[S.n++] = (struct mapping){ .iova = iova, .size = size, .off = off,
					       .perm = perm };
		S.maps++;
	} else if (want && r == -1 && errno == want) {
		S.eexist += want == EEXIST;
		S.outside += want == EINVAL;
	} else {
		ic_fail(__FILE__, __LINE__, "MAP_DMA [%#llx, +%#llx): got %d (%s), the model "
			"says %s", (unsigned long long)iova, (unsigned long long)size, r,
			r ? ic_errname(errno) : "success", want ? ic_errname(want) : "success");
	}
}

/* A live mapping other than the scratch page, in the hot stretch if @hot; -1 if none. */
static int pick_mapping(bool hot)
{
	unsigned tries;

	for (tries = 0; tries < 16 && S.n > 1; tries++) {
		unsigned i = 1 + (unsigned)rnd(S.n - 1);

		if (!hot || (S.m[i].iova >= S.hot && S.m[i].iova < S.hot + HOT_BYTES))
			return (int)i;
	}
	return -1;
}

/* The range of one unmap: a mapping exactly, a span of whole mappings, or anything. */
static void unmap_range(uint64_t *iova, uint64_t *size)
{
	int a = pick_mapping(false), b = pick_mapping(true), c = pick_mapping(true);
	unsigned mode = (unsigned)rnd(4);

	if (mode == 0 && a > 0) {
		*iova = S.m[a].iova;
		*size = S.m[a].size;
	} else if (mode == 1 && b > 0 && c > 0) {
		uint64_t lo = S.m[b].iova < S.m[c].iova ? S.m[b].iova : S.m[c].iova;
		uint64_t eb = S.m[b].iova + S.m[b].size, ec = S.m[c].iova + S.m[c].size;

		*iova = lo;
		*size = (eb > ec ? eb : ec) - lo;
	} else {
		*iova = S.hot + rnd(HOT_BYTES / S.page) * S.page;
		*size = (1 + rnd(32)) * S.page;
	}
}

static void random_unmap(void)
{
	uint64_t iova, size, got;
	int64_t want;
	int r;

	unmap_range(&iova, &size);
	want = model_unmap(iova, size);
	r = ic_unmap_type1(&S.v, iova, size, 0, &got);
	if (want < 0 && r == -1 && errno == EINVAL) {
		S.bisected++;
		return;
	}
	if (want >= 0 && r == 0 && got == (uint64_t)want) {
		S.unmaps++;
		S.empty += want == 0;
		return;
	}
	ic_fail(__FILE__, __LINE__, "UNMAP_DMA [%#llx, +%#llx): got %d (%s), size %#llx; the "
		"model says %s %#llx", (unsigned long long)iova, (unsigned long long)size, r,
		r ? ic_errname(errno) : "success", (unsigned long long)got,
		want < 0 ? "EINVAL (a mapping is cut)" : "success, size",
		(unsigned long long)(want < 0 ? 0 : want));
}

/* A call the kernel refuses with EINVAL whatever is mapped: misaligned, empty. */
static void bad_call(void)
{
	uint64_t iova = S.hot + rnd(HOT_BYTES / S.page) * S.page, half = S.page / 2, got;
	int r;

	switch (rnd(5)) {
	case 0:
		r = ic_map(&S.v, iova + half, S.buf, S.page, RD);
		break;
	case 1:
		r = ic_map(&S.v, iova, S.buf + half, S.page, RD);
		break;
	case 2:
		r = ic_map(&S.v, iova, S.buf, S.page + half, RD | WR);
		break;
	case 3:
		r = ic_map(&S.v, iova, S.buf, 0, RD);
		break;
	default:
		r = ic_unmap_type1(&S.v, iova, rnd(2) ? 0 : half, 0, &got);
		break;
	}
	if (r != -1 || errno != EINVAL)
		ic_fail(__FILE__, __LINE__, "a misaligned or empty call got %d (%s), want EINVAL",
			r, r ? ic_errname(errno) : "success");
	S.bad++;
}

/* The device copies one page of a live mapping to or from the scratch page. */
static void spot_check(void)
{
	int i = pick_mapping(false);
	uint64_t k, iova;
	uint8_t *mem;
	uint32_t st;

	if (i < 0)
		return;
	k = rnd(S.m[i].size / S.page);
	iova = S.m[i].iova + k * S.page;
	mem = S.buf + S.m[i].off + k * S.page;
	if (S.m[i].perm & RD) {
		memset(S.scratch, 0, S.page);
		st = ic_copy(&S.v, iova, S.m[0].iova, S.page);
		S.reads++;
	} else {
		memset(S.scratch, (int)(1 + rnd(255)), S.page);
		st = ic_copy(&S.v, S.m[0].iova, iova, S.page);
		S.writes++;
	}
	CHECK_WHY(st == DT_DONE && !memcmp(S.scratch, mem, S.page),
		  "device %s of iova %#llx (mapping [%#llx, +%#llx) perm %u): STATUS %#x, data %s",
		  S.m[i].perm & RD ? "read" : "write", (unsigned long long)iova,
		  (unsigned long long)S.m[i].iova, (unsigned long long)S.m[i].size, S.m[i].perm,
		  st, memcmp(S.scratch, mem, S.page) ? "wrong" : "right");
}

static uint64_t dma_avail(void)
{
	struct vfio_iommu_type1_info *info = ic_type1_info(S.v.container);
	const struct vfio_iommu_type1_info_dma_avail *c;
	uint64_t n = ~0ull;

	if (!info)
		return n;
	c = (const void *)ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (c)
		n = c->avail;
	free(info);
	return n;
}

static bool set_up(void)
{
	uint64_t i, size;

	S.rng = ic_seed();
	S.buf = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (S.buf == MAP_FAILED || !ic_setup_type1(&S.v, DEV0) ||
	    !ic_type1_aperture(S.v.container, &S.ap))
		return false;
	S.page = S.ap.min_page;
	size = S.ap.r[0].end - S.ap.r[0].start;
	if (S.page > 64 * 1024 || size < 4 * (uint64_t)HOT_BYTES)
		return false;
	/* The hot stretch in the middle of the first range, the scratch page below it. */
	S.hot = (S.ap.r[0].start + size / 2) & ~(uint64_t)(HOT_BYTES - 1);
	S.scratch = mmap(NULL, S.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (S.scratch == MAP_FAILED)
		return false;
	for (i = 0; i < BUF_BYTES; i++)
		S.buf[i] = (uint8_t)(i * 13 + (i >> 12));
	S.avail0 = dma_avail();
	S.m[0] = (struct mapping){ .iova = S.hot - 2 * S.page, .size = S.page, .perm = RD | WR };
	S.n = 1;
	return !ic_map(&S.v, S.m[0].iova, S.scratch, S.page, RD | WR) && ic_device(&S.v, DEV0);
}

static void random_calls(void)
{
	unsigned calls = (unsigned)(10000 * ic_scale()), i;
	uint64_t live = 0;

	REQUIRE(set_up());
	printf("# aperture: %u range(s), the first [%#llx, %#llx]; page %llu; hot stretch at "
	       "%#llx\n", S.ap.n, (unsigned long long)S.ap.r[0].start,
	       (unsigned long long)S.ap.r[0].end, (unsigned long long)S.page,
	       (unsigned long long)S.hot);
	for (i = 0; i < calls && !ic_failed(); i++) {
		unsigned r = (unsigned)rnd(20);

		if (r < 13)
			random_map();
		else if (r < 19)
			random_unmap();
		else
			bad_call();
		if (i % 16 == 15)
			spot_check();
		live += S.n - 1;
	}
	printf("# %u calls (%.1f live on average): %u maps, %u EEXIST, %u outside the ranges; %u unmaps (%u of nothing), "
	       "%u cutting a mapping; %u misaligned; %u DMA reads, %u writes; %u live\n", i,
	       i ? (double)live / i : 0.0, S.maps, S.eexist, S.outside, S.unmaps, S.empty, S.bisected, S.bad, S.reads,
	       S.writes, S.n);
	/* A run that never met a rule has not tested it. */
	CHECK(S.eexist > 0 && S.outside > 0 && S.bisected > 0 && S.empty > 0);
	CHECK(S.reads > 0 && S.writes > 0);
}

/* DMA_AVAIL counts the model's mappings; UNMAP_ALL removes them all and says how much. */
static void unmap_all(void)
{
	uint64_t total = 0, got = 0;
	unsigned i;

	REQUIRE(S.v.device >= 0);
	CHECK_EQ(dma_avail(), S.avail0 - S.n); /* avail0: before the scratch page was mapped */
	for (i = 0; i < S.n; i++)
		total += S.m[i].size;
	CHECK_OK(ic_unmap_type1(&S.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, total);
	S.n = 0;
	CHECK_EQ(dma_avail(), S.avail0);
	CHECK_OK(ic_unmap_type1(&S.v, S.hot, HOT_BYTES, 0, &got));
	CHECK_EQ(got, 0);
	CHECK_OK(ic_unmap_type1(&S.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, 0);
	ic_teardown(&S.v);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = { IC_CASE(random_calls), IC_CASE(unmap_all) };

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
