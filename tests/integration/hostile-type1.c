/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hostile VFIO Type1v2 client, run under tce-run --type1: short argsz for
 * each Type1 request, unknown flags, misaligned, empty, wrapping and
 * out-of-aperture ranges, overlapping maps (EEXIST), unmaps that cut a
 * mapping (the v2 rule), UNMAP_FLAG_ALL with an address, bad argument
 * pointers (EFAULT, never a crash), GET_INFO into a struct too small for
 * its capabilities (nothing written past argsz), the dirty log's rules and
 * memory the process cannot pin as asked (EFAULT, nothing mapped). Each
 * errno is the kernel's (drivers/vfio/vfio_iommu_type1.c; spec/vfio.md §4).
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096u
#define RD VFIO_DMA_MAP_FLAG_READ
#define WR VFIO_DMA_MAP_FLAG_WRITE
#define RW (RD | WR)
#define CANARY 0xa5

/* GET_BITMAP's argument: the header and the range with its bitmap. */
struct dirty_get {
	struct vfio_iommu_type1_dirty_bitmap hdr;
	struct vfio_iommu_type1_dirty_bitmap_get get;
};

/* UNMAP_DMA with GET_DIRTY_BITMAP: the unmap and its bitmap in data[]. */
struct unmap_dirty {
	struct vfio_iommu_type1_dma_unmap u;
	struct vfio_bitmap b;
};

/* One Type1 container on DEV0 with its aperture; @x is an IOVA well inside the first range. */
struct t1 {
	struct vf v;
	struct ic_aperture ap;
	uint64_t x;
};

static void *anon(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A page the process may not read (PROT_NONE), kept for the run. */
static void *noaccess(void)
{
	static void *p;

	if (!p)
		p = anon(PAGE, PROT_NONE);
	return p;
}

static bool t1_setup(struct t1 *t)
{
	if (!ic_setup_type1(&t->v, DEV0) || !ic_type1_aperture(t->v.container, &t->ap))
		return false;
	if (t->ap.min_page != PAGE || t->ap.r[0].end - t->ap.r[0].start < (64u << 20))
		return false;
	t->x = (t->ap.r[0].start + (16u << 20)) & ~(uint64_t)((16u << 20) - 1);
	return true;
}

static int dirty_flags(struct vf *v, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flags };

	return ioctl(v->container, VFIO_IOMMU_DIRTY_PAGES, &d);
}

static struct dirty_get dirty_get(uint64_t iova, uint64_t size, uint64_t *bits, uint64_t bytes)
{
	return (struct dirty_get){
		.hdr = { .argsz = sizeof(struct dirty_get),
			 .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.get = { .iova = iova, .size = size,
			 .bitmap = { .pgsize = PAGE, .size = bytes, .data = (__u64 *)bits } },
	};
}

static struct unmap_dirty unmap_dirty(uint64_t iova, uint64_t size, uint64_t *bits,
				      uint64_t bytes)
{
	return (struct unmap_dirty){
		.u = { .argsz = sizeof(struct unmap_dirty),
		       .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, .iova = iova, .size = size },
		.b = { .pgsize = PAGE, .size = bytes, .data = (__u64 *)bits },
	};
}

/* What the container answers before and after SET_IOMMU(TYPE1v2); the sPAPR requests are gone. */
static void extensions(void)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	char junk[64] = { 0 };
	int c = open("/dev/vfio/vfio", O_RDWR);
	struct vf v;

	REQUIRE(c >= 0);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU), 1); /* still a POWER host */
	CHECK_EQ(ioctl(c, VFIO_CHECK_EXTENSION, 12345), 0);
	CHECK_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL); /* no group */
	CHECK_ERRNO(ioctl(c, VFIO_IOMMU_GET_INFO, &info), EINVAL);         /* no IOMMU */
	close(c);

	REQUIRE(ic_setup_type1(&v, DEV0));
	CHECK_EQ(ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	CHECK_EQ(ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	CHECK_EQ(ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	CHECK_ERRNO(ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL);
	CHECK_ERRNO(ioctl(v.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU), EINVAL);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_CREATE, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_TCE_REMOVE, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_EEH_PE_OP, junk), ENOTTY);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_ENABLE), ENOTTY);
	CHECK_OK(ioctl(v.container, VFIO_IOMMU_GET_INFO, &info));
	CHECK(ic_device(&v, DEV0)); /* a Type1 container gives device fds */
	ic_teardown(&v);
}

/* Every Type1 request with argsz 0 and one byte short of its minimum: EINVAL. */
static void short_argsz(void)
{
	struct t1 t;
	uint8_t *buf = anon(PAGE, PROT_READ | PROT_WRITE);
	uint64_t bits = 0;
	struct vfio_iommu_type1_info info;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_iommu_type1_dirty_bitmap start;
	struct dirty_get get;
	struct unmap_dirty ud;
	int i;

	REQUIRE(buf && t1_setup(&t));
	CHECK_OK(ic_map(&t.v, t.x, buf, PAGE, RW));
	CHECK_OK(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	for (i = 0; i < 2; i++) {
		info = (struct vfio_iommu_type1_info){ .argsz = i ? 15 : 0 };
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, &info), EINVAL);
		map = (struct vfio_iommu_type1_dma_map){ .argsz = i ? 31 : 0, .flags = RW,
			.vaddr = (uintptr_t)buf, .iova = t.x + PAGE, .size = PAGE };
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_MAP_DMA, &map), EINVAL);
		unmap = (struct vfio_iommu_type1_dma_unmap){ .argsz = i ? 23 : 0, .iova = t.x,
							     .size = PAGE };
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &unmap), EINVAL);
		start = (struct vfio_iommu_type1_dirty_bitmap){ .argsz = i ? 7 : 0,
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP };
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &start), EINVAL);
		/* GET_BITMAP needs its range (32 bytes more), UNMAP's bitmap 24 bytes more. */
		get = dirty_get(t.x, PAGE, &bits, 8);
		get.hdr.argsz = i ? sizeof(get) - 1 : 8;
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
		ud = unmap_dirty(t.x, PAGE, &bits, 8);
		ud.u.argsz = i ? sizeof(ud) - 1 : 24;
		CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EINVAL);
	}
	/* None of it changed anything: the mapping is there, tracking still on. */
	get = dirty_get(t.x, PAGE, &bits, 8);
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get));
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, RW), EEXIST);
	ic_teardown(&t.v);
	munmap(buf, PAGE);
}

/* Flags: unknown bits, no direction, VADDR with a direction, one dirty-log flag at a time. */
static void bad_flags(void)
{
	struct t1 t;
	uint8_t *buf = anon(PAGE, PROT_READ | PROT_WRITE);
	uint64_t got;

	REQUIRE(buf && t1_setup(&t));
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, 0), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, RW | 8), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, 1u << 31), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, RD | VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x, PAGE, 8, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
				   VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, &got), EINVAL);
	CHECK_ERRNO(dirty_flags(&t.v, 0), EINVAL);
	CHECK_ERRNO(dirty_flags(&t.v, 8), EINVAL);
	CHECK_ERRNO(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
				      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP), EINVAL);
	CHECK_ERRNO(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
				      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP), EINVAL);
	CHECK_OK(ic_map(&t.v, t.x, buf, PAGE, RD)); /* and nothing was mapped before */
	ic_teardown(&t.v);
	munmap(buf, PAGE);
}

/* A wrapping range: EINVAL, or EOVERFLOW on the newest kernels. */
#define CHECK_WRAP(call)                                                                 \
	do {                                                                             \
		long r_;                                                                 \
		errno = 0;                                                               \
		r_ = (long)(call);                                                       \
		CHECK_WHY(r_ == -1 && (errno == EINVAL || errno == EOVERFLOW),           \
			  "%s: got %ld (%s), want EINVAL or EOVERFLOW", #call, r_,       \
			  r_ ? ic_errname(errno) : "success");                           \
	} while (0)

/* Sizes and addresses: whole smallest pages, not empty, no wrap, inside one IOVA range. */
static void bad_ranges(void)
{
	struct t1 t;
	uint8_t *buf = anon(4 * PAGE, PROT_READ | PROT_WRITE);
	const struct vfio_iova_range *last;
	uint64_t got = 7, end;
	unsigned i;

	REQUIRE(buf && t1_setup(&t));
	last = &t.ap.r[t.ap.n - 1];
	CHECK_ERRNO(ic_map(&t.v, t.x + 8, buf, PAGE, RW), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf + 8, PAGE, RW), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE + 8, RW), EINVAL);
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, 0, RW), EINVAL);
	CHECK_WRAP(ic_map(&t.v, -(uint64_t)PAGE, buf, 2 * PAGE, RW));
	CHECK_WRAP(ic_map(&t.v, t.x, (void *)(uintptr_t)-(uint64_t)PAGE, 2 * PAGE, RW));
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x + 8, PAGE, 0, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x, PAGE + 8, 0, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x, 0, 0, &got), EINVAL);
	CHECK_WRAP(ic_unmap_type1(&t.v, -(uint64_t)PAGE, 2 * PAGE, 0, &got));
	/* The aperture: the last page of each range maps, a page past it or across does not. */
	for (i = 0; i < t.ap.n; i++) {
		end = t.ap.r[i].end + 1;
		CHECK_ERRNO(ic_map(&t.v, end - PAGE, buf, 2 * PAGE, RW), EINVAL);
		CHECK_OK(ic_map(&t.v, end - PAGE, buf, PAGE, RW));
		if (t.ap.r[i].start >= PAGE)
			CHECK_ERRNO(ic_map(&t.v, t.ap.r[i].start - PAGE, buf, PAGE, RW), EINVAL);
		if (end && (i + 1 == t.ap.n || t.ap.r[i + 1].start > end))
			CHECK_ERRNO(ic_map(&t.v, end, buf, PAGE, RW), EINVAL);
	}
	if (last->end < (uint64_t)1 << 62)
		CHECK_ERRNO(ic_map(&t.v, (uint64_t)1 << 62, buf, PAGE, RW), EINVAL);
	/* An unmap where nothing is mapped (even outside the aperture) is fine and says 0. */
	CHECK_OK(ic_unmap_type1(&t.v, t.x, 4 * PAGE, 0, &got));
	CHECK_EQ(got, 0);
	got = 7;
	CHECK_OK(ic_unmap_type1(&t.v, (uint64_t)1 << 62, PAGE, 0, &got));
	CHECK_EQ(got, 0);
	CHECK_OK(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, (uint64_t)t.ap.n * PAGE);
	ic_teardown(&t.v);
	munmap(buf, 4 * PAGE);
}

/* Overlaps are EEXIST; adjacent maps are fine; an unmap that cuts a mapping removes nothing. */
static void overlap_and_cut(void)
{
	struct t1 t;
	uint8_t *buf = anon(16 * PAGE, PROT_READ | PROT_WRITE);
	uint64_t x, got;

	REQUIRE(buf && t1_setup(&t));
	x = t.x;
	CHECK_OK(ic_map(&t.v, x, buf, 4 * PAGE, RW));                 /* A: [x, x+4) */
	CHECK_OK(ic_map(&t.v, x + 4 * PAGE, buf, 4 * PAGE, RD));      /* B: [x+4, x+8) */
	CHECK_OK(ic_map(&t.v, x - 2 * PAGE, buf, 2 * PAGE, WR));      /* C: [x-2, x) */
	CHECK_ERRNO(ic_map(&t.v, x, buf, 4 * PAGE, RW), EEXIST);      /* the same */
	CHECK_ERRNO(ic_map(&t.v, x + PAGE, buf, PAGE, RW), EEXIST);   /* inside A */
	CHECK_ERRNO(ic_map(&t.v, x - 4 * PAGE, buf, 16 * PAGE, RW), EEXIST); /* around all */
	CHECK_ERRNO(ic_map(&t.v, x + 7 * PAGE, buf, 2 * PAGE, RW), EEXIST);  /* B's tail */
	/* Cuts: the first or last byte inside a mapping that does not start or end there. */
	CHECK_ERRNO(ic_unmap_type1(&t.v, x + PAGE, 3 * PAGE, 0, &got), EINVAL);
	CHECK_EQ(got, 3 * PAGE); /* the kernel copies nothing back on failure */
	CHECK_ERRNO(ic_unmap_type1(&t.v, x, 2 * PAGE, 0, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, x + 2 * PAGE, 4 * PAGE, 0, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, x - PAGE, 5 * PAGE, 0, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, x - 8 * PAGE, 9 * PAGE, 0, &got), EINVAL);
	/* Whole mappings, with holes around them: removed, their total written back. */
	CHECK_OK(ic_unmap_type1(&t.v, x - 8 * PAGE, 12 * PAGE, 0, &got)); /* C and A */
	CHECK_EQ(got, 6 * PAGE);
	CHECK_OK(ic_map(&t.v, x, buf, PAGE, RW)); /* A's place is free again */
	CHECK_OK(ic_unmap_type1(&t.v, x, 8 * PAGE, 0, &got));            /* new A and B */
	CHECK_EQ(got, 5 * PAGE);
	CHECK_OK(ic_unmap_type1(&t.v, x - 8 * PAGE, 32 * PAGE, 0, &got));
	CHECK_EQ(got, 0);
	ic_teardown(&t.v);
	munmap(buf, 16 * PAGE);
}

/* UNMAP_FLAG_ALL wants iova and size 0, removes everything and says how much. */
static void unmap_all(void)
{
	struct t1 t;
	uint8_t *buf = anon(16 * PAGE, PROT_READ | PROT_WRITE);
	uint64_t got;

	REQUIRE(buf && t1_setup(&t));
	CHECK_OK(ic_map(&t.v, t.x, buf, 4 * PAGE, RW));
	CHECK_OK(ic_map(&t.v, t.x + (1u << 20), buf, 8 * PAGE, RD));
	CHECK_OK(ic_map(&t.v, t.ap.r[0].start, buf, PAGE, WR));
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, 0, 4 * PAGE, VFIO_DMA_UNMAP_FLAG_ALL, &got), EINVAL);
	CHECK_ERRNO(ic_unmap_type1(&t.v, t.x, 4 * PAGE, VFIO_DMA_UNMAP_FLAG_ALL, &got), EINVAL);
	CHECK_OK(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, 13 * PAGE);
	CHECK_OK(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, 0);
	CHECK_OK(ic_map(&t.v, t.x, buf, 16 * PAGE, RW)); /* everything is free */
	ic_teardown(&t.v);
	munmap(buf, 16 * PAGE);
}

/*
 * Each Type1 request with its argument NULL, unmapped, unreadable, or cut
 * by an unmapped page after its first 8 bytes; GET_INFO into read-only
 * memory, and with capabilities that run into an unmapped page: EFAULT.
 */
static void bad_pointers(void)
{
	static const unsigned long reqs[] = { VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA,
					      VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_DIRTY_PAGES };
	uint8_t *two = anon(2 * PAGE, PROT_READ | PROT_WRITE);
	struct vfio_iommu_type1_info *full, *info;
	void *ptrs[3] = { NULL, ic_unmapped_page(), noaccess() };
	struct t1 t;
	size_t i, j;
	int rc;

	REQUIRE(two && t1_setup(&t));
	munmap(two + PAGE, PAGE);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		uint32_t *cut = (uint32_t *)(two + PAGE - 8);

		for (j = 0; j < 3; j++) {
			errno = 0;
			rc = ioctl(t.v.container, reqs[i], ptrs[j]);
			CHECK_WHY(rc == -1 && errno == EFAULT, "request %#lx at %p: %d (%s), want "
				  "EFAULT", reqs[i], ptrs[j], rc, rc ? ic_errname(errno) : "success");
		}
		cut[0] = 48;
		cut[1] = reqs[i] == VFIO_IOMMU_DIRTY_PAGES ? VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP
			 : reqs[i] == VFIO_IOMMU_MAP_DMA ? RW : 0;
		errno = 0;
		rc = ioctl(t.v.container, reqs[i], cut);
		CHECK_WHY(rc == -1 && errno == EFAULT, "a struct with 8 readable bytes (argsz 48): "
			  "request %#lx returned %d (%s), want EFAULT", reqs[i], rc,
			  rc ? ic_errname(errno) : "success");
	}
	/* GET_INFO whose capabilities do not fit the memory after it. */
	full = ic_type1_info(t.v.container);
	REQUIRE(full);
	info = (void *)(two + PAGE - sizeof(*info));
	*info = (struct vfio_iommu_type1_info){ .argsz = full->argsz };
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info), EFAULT);
	info->argsz = sizeof(*info);
	mprotect(two, PAGE, PROT_READ);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info), EFAULT);
	mprotect(two, PAGE, PROT_READ | PROT_WRITE);
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info)); /* 24 bytes fit */
	free(full);
	ic_teardown(&t.v);
	munmap(two, PAGE);
}

/* Whether @n bytes at @p all hold the canary. */
static bool canary_intact(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != CANARY)
			return false;
	return true;
}

/* GET_INFO with argsz below what its capabilities need: 16 bytes, 24 bytes, never more. */
static void info_short(void)
{
	uint8_t buf[512];
	struct vfio_iommu_type1_info *info = (void *)buf;
	uint32_t need;
	struct t1 t;

	REQUIRE(t1_setup(&t));
	memset(buf, CANARY, sizeof(buf));
	info->argsz = 15;
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info), EINVAL);
	CHECK(canary_intact(buf + 4, sizeof(buf) - 4));

	info->argsz = 16;
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info));
	need = info->argsz;
	CHECK(need > sizeof(*info) && need <= sizeof(buf));
	CHECK_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	CHECK(info->iova_pgsizes & PAGE);
	CHECK_WHY(canary_intact(buf + 16, sizeof(buf) - 16), "GET_INFO with argsz 16 wrote past it");

	memset(buf, CANARY, sizeof(buf));
	info->argsz = 24;
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info));
	CHECK_EQ(info->argsz, need);
	CHECK_EQ(info->cap_offset, 0); /* the capabilities did not fit */
	CHECK_WHY(canary_intact(buf + 24, sizeof(buf) - 24), "GET_INFO with argsz 24 wrote past it");

	/* Room for them, and 64 bytes more: argsz stays as given, nothing past the chain. */
	memset(buf, CANARY, sizeof(buf));
	REQUIRE(need + 64 <= sizeof(buf));
	info->argsz = need + 64;
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_GET_INFO, info));
	CHECK_EQ(info->argsz, need + 64);
	CHECK_EQ(info->cap_offset, sizeof(*info));
	CHECK_WHY(canary_intact(buf + need, sizeof(buf) - need), "GET_INFO wrote past its chain");
	ic_teardown(&t.v);
}

static void check_ranges(const struct vfio_iommu_type1_info_cap_iova_range *c, uint32_t room)
{
	uint32_t i;

	REQUIRE(c->nr_iovas >= 1 && c->nr_iovas <= (room - sizeof(*c)) / sizeof(c->iova_ranges[0]));
	for (i = 0; i < c->nr_iovas; i++) {
		const struct vfio_iova_range *r = &c->iova_ranges[i];

		CHECK_WHY(r->start < r->end && !(r->start % PAGE) && !((r->end + 1) % PAGE),
			  "IOVA range %u [%#llx, %#llx] is not whole pages", i,
			  (unsigned long long)r->start, (unsigned long long)r->end);
		CHECK_WHY(!i || r->start > c->iova_ranges[i - 1].end,
			  "IOVA range %u is not after the one before it", i);
	}
}

/* The full answer: page sizes, IOVA_RANGE, MIGRATION, DMA_AVAIL (which counts mappings). */
static void info_caps(void)
{
	const struct vfio_iommu_type1_info_cap_migration *mig;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	const struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info *info, *after;
	uint8_t *buf = anon(4 * PAGE, PROT_READ | PROT_WRITE);
	struct t1 t;

	REQUIRE(buf && t1_setup(&t));
	info = ic_type1_info(t.v.container);
	REQUIRE(info);
	CHECK_EQ(info->cap_offset, sizeof(*info));
	ranges = (const void *)ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	mig = (const void *)ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	avail = (const void *)ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	REQUIRE(ranges && mig && avail);
	CHECK(ranges->header.version == 1 && mig->header.version == 1 &&
	      avail->header.version == 1);
	check_ranges(ranges, info->argsz - (uint32_t)((const uint8_t *)ranges - (uint8_t *)info));
	CHECK_EQ(mig->pgsize_bitmap, info->iova_pgsizes & -info->iova_pgsizes);
	CHECK(mig->max_dirty_bitmap_size > 0);
	CHECK(avail->avail > 0);
	CHECK_OK(ic_map(&t.v, t.x, buf, PAGE, RD));
	CHECK_OK(ic_map(&t.v, t.x + PAGE, buf + PAGE, 3 * PAGE, WR));
	after = ic_type1_info(t.v.container);
	REQUIRE(after);
	avail = (const void *)ic_type1_cap(after, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	REQUIRE(avail);
	CHECK_EQ(avail->avail + 2, ((const struct vfio_iommu_type1_info_dma_avail *)
				    ic_type1_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL))->avail);
	free(info);
	free(after);
	ic_teardown(&t.v);
	munmap(buf, 4 * PAGE);
}

/*
 * The dirty log: GET_BITMAP only while tracking, with the reported page
 * size, a bitmap large enough and a range that cuts no mapping; a bad
 * bitmap pointer is EFAULT; the page the device wrote reads dirty, both
 * from GET_BITMAP and from UNMAP_DMA with GET_DIRTY_BITMAP.
 */
static void dirty_pages(void)
{
	uint8_t *buf = anon(16 * PAGE, PROT_READ | PROT_WRITE);
	uint8_t *scratch = anon(PAGE, PROT_READ | PROT_WRITE);
	uint64_t *ro = anon(PAGE, PROT_READ), bits = 0, got;
	struct dirty_get get;
	struct unmap_dirty ud;
	uint64_t x, s;
	struct t1 t;

	REQUIRE(buf && scratch && ro && t1_setup(&t));
	x = t.x;
	s = x + (1u << 20);
	REQUIRE(!ic_map(&t.v, x, buf, 16 * PAGE, RW) && !ic_map(&t.v, s, scratch, PAGE, RW));
	REQUIRE(ic_device(&t.v, DEV0));
	get = dirty_get(x, 16 * PAGE, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL); /* not tracking */
	ud = unmap_dirty(x, 16 * PAGE, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EINVAL);
	CHECK_OK(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)); /* stopping nothing: fine */
	CHECK_OK(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	CHECK_OK(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START)); /* again: fine */

	memset(scratch, 0x5a, PAGE);
	CHECK_EQ(ic_copy(&t.v, s, x + 3 * PAGE, PAGE), DT_DONE);
	CHECK_EQ(buf[3 * PAGE + 17], 0x5a);

	get.get.bitmap.pgsize = 2 * PAGE;
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	get = dirty_get(x, 16 * PAGE, &bits, 1); /* 16 pages need a u64 */
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	get = dirty_get(x + 8, 16 * PAGE, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	get = dirty_get(x, 0, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	get = dirty_get(x + PAGE, 15 * PAGE, &bits, 8); /* cuts the mapping */
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	get = dirty_get(x, 16 * PAGE, ic_unmapped_page(), 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EFAULT);
	get = dirty_get(x, 16 * PAGE, noaccess(), 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EFAULT);
	get = dirty_get(x, 16 * PAGE, ro, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EFAULT);
	get = dirty_get(x, 16 * PAGE, &bits, 8);
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get));
	CHECK_WHY(bits & (1u << 3), "the page the device wrote is not dirty: bitmap %#llx",
		  (unsigned long long)bits);

	/* UNMAP_DMA with GET_DIRTY_BITMAP: the same rules; a bad bitmap keeps the mapping. */
	CHECK_EQ(ic_copy(&t.v, s, x + 5 * PAGE, PAGE), DT_DONE);
	ud = unmap_dirty(x, 16 * PAGE, &bits, 8);
	ud.b.pgsize = 2 * PAGE;
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EINVAL);
	ud = unmap_dirty(x, 16 * PAGE, &bits, 1);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EINVAL);
	ud = unmap_dirty(x, 16 * PAGE, ic_unmapped_page(), 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EFAULT);
	CHECK_ERRNO(ic_map(&t.v, x, buf, PAGE, RW), EEXIST); /* still mapped */
	bits = 0;
	ud = unmap_dirty(x, 16 * PAGE, &bits, 8);
	CHECK_OK(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud));
	CHECK_EQ(ud.u.size, 16 * PAGE);
	CHECK_WHY(bits & (1u << 5), "UNMAP's bitmap misses the page the device wrote: %#llx",
		  (unsigned long long)bits);

	CHECK_OK(dirty_flags(&t.v, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	get = dirty_get(s, PAGE, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_DIRTY_PAGES, &get), EINVAL);
	ud = unmap_dirty(s, PAGE, &bits, 8);
	CHECK_ERRNO(ioctl(t.v.container, VFIO_IOMMU_UNMAP_DMA, &ud), EINVAL);
	CHECK_OK(ic_unmap_type1(&t.v, s, PAGE, 0, &got));
	CHECK_EQ(got, PAGE);
	ic_teardown(&t.v);
	munmap(buf, 16 * PAGE);
	munmap(scratch, PAGE);
	munmap(ro, PAGE);
}

/* Memory the kernel cannot pin as asked: EFAULT, and nothing stays mapped. */
static void bad_memory(void)
{
	uint8_t *ro = anon(2 * PAGE, PROT_READ), *half = anon(2 * PAGE, PROT_READ | PROT_WRITE);
	struct t1 t;
	uint64_t got;

	REQUIRE(ro && half && t1_setup(&t));
	munmap(half + PAGE, PAGE);
	CHECK_ERRNO(ic_map(&t.v, t.x, ic_unmapped_page(), PAGE, RD), EFAULT);
	CHECK_ERRNO(ic_map(&t.v, t.x, noaccess(), PAGE, RD), EFAULT);
	CHECK_ERRNO(ic_map(&t.v, t.x, ro, PAGE, WR), EFAULT);
	CHECK_ERRNO(ic_map(&t.v, t.x, ro, 2 * PAGE, RW), EFAULT);
	CHECK_ERRNO(ic_map(&t.v, t.x, half, 2 * PAGE, RD), EFAULT); /* its second page is gone */
	CHECK_OK(ic_unmap_type1(&t.v, t.x, 2 * PAGE, 0, &got));
	CHECK_EQ(got, 0); /* nothing was left mapped */
	CHECK_OK(ic_map(&t.v, t.x, ro, 2 * PAGE, RD)); /* the device may read read-only memory */
	CHECK_OK(ic_map(&t.v, t.x + 2 * PAGE, half, PAGE, RW));
	CHECK_OK(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, 3 * PAGE);
	ic_teardown(&t.v);
	munmap(ro, 2 * PAGE);
	munmap(half, PAGE);
}

/* DMA_AVAIL's count, or ~0 when GET_INFO or the capability is missing. */
static uint64_t dma_avail(int container)
{
	struct vfio_iommu_type1_info *info = ic_type1_info(container);
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

/*
 * DMA_AVAIL mappings fill the container (the kernel's dma_entry_limit):
 * then a new map is ENOSPC, after the overlap check (EEXIST) and before
 * the range check (ENOSPC, not EINVAL); an unmap makes room again.
 */
static void entry_limit(void)
{
	uint8_t *buf = anon(PAGE, PROT_READ | PROT_WRITE);
	uint64_t avail, i, got;
	struct t1 t;

	if (ic_scale() < 1) { /* the sanitizer builds: 65535 maps and their removal take minutes */
		printf("# entry_limit runs at TCE_TEST_SCALE 1 or more\n");
		munmap(buf, PAGE);
		return;
	}
	REQUIRE(buf && t1_setup(&t));
	avail = dma_avail(t.v.container);
	REQUIRE(avail > 0 && avail <= 1u << 20);
	REQUIRE(t.ap.r[0].end - t.x >= 2 * avail * PAGE);
	for (i = 0; i < avail && !ic_failed(); i++)
		if (ic_map(&t.v, t.x + 2 * i * PAGE, buf, PAGE, RD))
			ic_fail(__FILE__, __LINE__, "map %llu of %llu: %s", (unsigned long long)i,
				(unsigned long long)avail, ic_errname(errno));
	REQUIRE(!ic_failed());
	CHECK_EQ(dma_avail(t.v.container), 0);
	CHECK_ERRNO(ic_map(&t.v, t.x + PAGE, buf, PAGE, RD), ENOSPC);  /* a free gap */
	CHECK_ERRNO(ic_map(&t.v, t.x, buf, PAGE, RD), EEXIST);         /* overlap first */
	CHECK_ERRNO(ic_map(&t.v, (uint64_t)1 << 62, buf, PAGE, RD), ENOSPC); /* before the range */
	CHECK_OK(ic_unmap_type1(&t.v, t.x, PAGE, 0, &got));
	CHECK_OK(ic_map(&t.v, t.x + PAGE, buf, PAGE, RD));
	CHECK_OK(ic_unmap_type1(&t.v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, avail * PAGE);
	CHECK_EQ(dma_avail(t.v.container), avail);
	ic_teardown(&t.v);
	munmap(buf, PAGE);
}

/* Whether the machine under test is pseries (TCE_INTEG_MACHINE, else tce-run's). */
static bool on_pseries(void)
{
	const char *m = getenv("TCE_INTEG_MACHINE");

	if (!m)
		m = getenv("TCE_RUN_MACHINE");
	return m && !strcmp(m, "pseries");
}

/*
 * Groups: a second group shares the container's mappings (powernv: one
 * table backs every PE) or is refused (pseries: the hypervisor's windows
 * belong to one PE, EPERM, docs/domain.md); the container outlives its fd
 * while a group holds it; with its last group gone it has no IOMMU, and a
 * new SET_IOMMU starts afresh.
 */
static void groups(void)
{
	uint8_t *buf = anon(4 * PAGE, PROT_READ | PROT_WRITE);
	struct vf v, w = { .container = -1, .group = -1, .device = -1 };
	uint64_t got, avail0;

	REQUIRE(buf && ic_setup_type1(&v, DEV0));
	avail0 = dma_avail(v.container);
	CHECK_OK(ic_map(&v, 0x100000, buf, 4 * PAGE, RW));
	w.group = ic_open_group(DEV1);
	REQUIRE(w.group >= 0);
	if (on_pseries()) {
		CHECK_ERRNO(ioctl(w.group, VFIO_GROUP_SET_CONTAINER, &v.container), EPERM);
	} else {
		CHECK_OK(ioctl(w.group, VFIO_GROUP_SET_CONTAINER, &v.container));
		REQUIRE(ic_device(&w, DEV1));
		memset(buf, 0x33, PAGE);
		CHECK_EQ(ic_copy(&w, 0x100000, 0x100000 + PAGE, PAGE), DT_DONE);
		CHECK_EQ(buf[PAGE + 9], 0x33);
		close(w.device);
		CHECK_OK(ioctl(w.group, VFIO_GROUP_UNSET_CONTAINER));
	}
	close(w.group);

	/* The container's fd closed: the group holds it, the mapping still translates. */
	REQUIRE(ic_device(&v, DEV0));
	close(v.container);
	v.container = -1;
	memset(buf, 0x44, PAGE);
	CHECK_EQ(ic_copy(&v, 0x100000, 0x100000 + 2 * PAGE, PAGE), DT_DONE);
	CHECK_EQ(buf[2 * PAGE + 9], 0x44);
	ic_teardown(&v);

	/* The last group leaves: no IOMMU; attached again, SET_IOMMU starts afresh. */
	REQUIRE(ic_setup_type1(&v, DEV0));
	CHECK_OK(ic_map(&v, 0x100000, buf, 4 * PAGE, RW));
	CHECK_OK(ioctl(v.group, VFIO_GROUP_UNSET_CONTAINER));
	CHECK_ERRNO(ic_map(&v, 0x200000, buf, PAGE, RW), EINVAL);
	CHECK_ERRNO(ioctl(v.container, VFIO_IOMMU_GET_INFO, buf), EINVAL);
	CHECK_OK(ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container));
	CHECK_OK(ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	CHECK_OK(ic_unmap_type1(&v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got));
	CHECK_EQ(got, 0); /* the old mapping went with the old IOMMU */
	CHECK_EQ(dma_avail(v.container), avail0);
	CHECK_OK(ic_map(&v, 0x100000, buf, 4 * PAGE, RW));
	ic_teardown(&v);
	munmap(buf, 4 * PAGE);
}

/* The process that set the IOMMU owns the container: a forked child's MAP and UNMAP are EPERM. */
static void forked_child(void)
{
	uint8_t *buf = anon(PAGE, PROT_READ | PROT_WRITE);
	uint64_t got;
	int status = -1;
	struct vf v;
	pid_t pid;

	REQUIRE(buf && ic_setup_type1(&v, DEV0));
	CHECK_OK(ic_map(&v, 0x100000, buf, PAGE, RW));
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		bad |= ic_map(&v, 0x200000, buf, PAGE, RW) != -1 || errno != EPERM;
		bad |= ic_unmap_type1(&v, 0x100000, PAGE, 0, &got) != -1 || errno != EPERM;
		_exit(bad);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_WHY(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the child's MAP or UNMAP was not EPERM (status %#x)", status);
	CHECK_OK(ic_unmap_type1(&v, 0x100000, PAGE, 0, &got));
	CHECK_EQ(got, PAGE); /* the child removed nothing */
	ic_teardown(&v);
	munmap(buf, PAGE);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = {
		IC_CASE(extensions),   IC_CASE(short_argsz), IC_CASE(bad_flags),
		IC_CASE(bad_ranges),   IC_CASE(overlap_and_cut), IC_CASE(unmap_all),
		IC_CASE(bad_pointers), IC_CASE(info_short),  IC_CASE(info_caps),
		IC_CASE(dirty_pages),  IC_CASE(bad_memory),  IC_CASE(groups),
		IC_CASE(forked_child), IC_CASE(entry_limit),
	};

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
