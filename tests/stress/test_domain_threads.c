/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One domain of two windows under concurrent calls, on powernv and pseries
 * (docs/domain.md): two threads map and unmap their own slices of window 0
 * (each map translated and reached by device DMA, each unmap exactly the
 * mapped bytes), two map and unmap one shared range of window 0 and one of
 * window 1 from different memory (a map of a busy range is -EEXIST), while
 * a fifth reads and clears the dirty log and a sixth translates addresses
 * of every range (only ever a real address some thread mapped there).
 * Afterwards every live page translates and is reached by DMA, the unmap
 * of each window returns exactly the bytes the threads left mapped, the
 * dirty log then holds those pages once, and nothing leaks. Run under TSan
 * by `make check-tsan`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "harness.h"
#include "tt_domain.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define SLICE (1 * MiB)       /* a disjoint thread's range: iova = arena offset = id * SLICE */
#define SHARED (512 * KiB)    /* the overlapping threads' range in each window */
#define SH0 (4 * MiB)         /* its iova in window 0 */
#define SH1 TT_DOM_W1         /* its iova in window 1 */
#define OFF2 (2 * MiB)        /* thread 2's memory for it; thread 3's is OFF2 + SHARED */
#define PIECE (64 * KiB)
#define RW (TCE_DOMAIN_READ | TCE_DOMAIN_WRITE)
#define NBITS (8 * MiB / (4 * KiB)) /* the dirty bits of window 0's first 8 MiB */

struct fx {
	struct tt_dom d;
	uint64_t rounds;
	atomic_uint_fast64_t live[2]; /* bytes of the shared range of each window mapped now */
	atomic_int errors;
	atomic_int first_line;
	atomic_bool stop;
};

struct worker {
	struct fx *f;
	int id;
	pthread_t t;
};

/* A thread's failure: counted, the first one's line kept for the report. */
static void fail_at(struct fx *f, int line)
{
	int none = 0;

	atomic_fetch_add(&f->errors, 1);
	atomic_compare_exchange_strong(&f->first_line, &none, line);
}

#define fail(f) fail_at(f, __LINE__)

static uint64_t real(struct fx *f, uint64_t off)
{
	return (uint64_t)f->d.arena + off;
}

/* ---- the threads ---- */

/* The device writes a pattern at @iova and reads it back: it lands at arena offset @off. */
static void dma_check(struct fx *f, uint64_t iova, uint64_t off, uint64_t seed)
{
	if (tt_dma_roundtrip(f->d.o.a, iova, f->d.arena + off, seed))
		fail(f);
}

/* Threads 0 and 1: their own slice of window 0, their own memory, sizes of 4 KiB to 1 MiB. */
static void *disjoint(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t base = (uint64_t)w->id * SLICE, i, phys, got;

	for (i = 0; i < f->rounds; i++) {
		uint64_t size = (1 + (i * 7) % 256) * 4 * KiB, at = (i * 4 * KiB) % size;

		if (tce_domain_map(f->d.d, base, real(f, base), size, RW)) {
			fail(f);
			continue;
		}
		if (tce_domain_iova_to_phys(f->d.d, base + at + 12, &phys) ||
		    phys != real(f, base + at + 12))
			fail(f);
		dma_check(f, base + at, base + at, i + (uint64_t)w->id);
		if (tce_domain_map(f->d.d, base + at, real(f, base), 4 * KiB, RW) != -EEXIST)
			fail(f);
		/* two unmaps that together cover exactly the mapping */
		got = 0;
		if (tce_domain_unmap(f->d.d, base, at, &got) != (at ? 0 : -EINVAL) || got != at)
			fail(f);
		if (tce_domain_unmap(f->d.d, base + at, SLICE - at, &got) || got != size - at)
			fail(f);
	}
	if (tce_domain_map(f->d.d, base, real(f, base), SLICE, RW)) /* left for the checks after */
		fail(f);
	return NULL;
}

/* Map @size at @iova from arena @off: 0 or -EEXIST (the other thread holds part). */
static void shared_map(struct fx *f, int win, uint64_t iova, uint64_t off, uint64_t size)
{
	int rc = tce_domain_map(f->d.d, iova, real(f, off), size, RW);

	if (!rc)
		atomic_fetch_add(&f->live[win], size);
	else if (rc != -EEXIST)
		fail(f);
}

static void shared_unmap(struct fx *f, int win, uint64_t iova, uint64_t size)
{
	uint64_t got = ~0ull;

	if (tce_domain_unmap(f->d.d, iova, size, &got) || got > size || got % PIECE)
		fail(f);
	else
		atomic_fetch_sub(&f->live[win], got);
}

/*
 * Threads 2 and 3: the shared ranges, each from its own memory: the whole
 * range, a piece of it out and back (maybe the other thread's by then).
 */
static void *overlapping(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t off = OFF2 + (uint64_t)(w->id - 2) * SHARED, i;
	const uint64_t iova[2] = { SH0, SH1 };
	int win;

	for (i = 0; i < f->rounds; i++) {
		uint64_t part = (i % (SHARED / PIECE)) * PIECE;

		for (win = 0; win < 2; win++) {
			shared_map(f, win, iova[win], off, SHARED);
			shared_unmap(f, win, iova[win] + part, PIECE);
			shared_map(f, win, iova[win] + part, off + part, PIECE);
			if (i % 5 == 4)
				shared_unmap(f, win, iova[win], SHARED);
		}
	}
	for (win = 0; win < 2; win++)
		shared_map(f, win, iova[win], off, SHARED);
	return NULL;
}

/* Thread 4: the dirty log of window 0's first 8 MiB and the shared range of window 1. */
static void *dirty_reader(void *arg)
{
	static const uint64_t guard = 0x5a5a5a5a5a5a5a5aull;
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t bm[NBITS / 64 + 1];
	uint64_t i;

	for (i = 0; !atomic_load(&f->stop); i++) {
		bm[NBITS / 64] = guard;
		if (tce_domain_dirty_read(f->d.d, 0, 8 * MiB, bm) || bm[NBITS / 64] != guard)
			fail(f);
		bm[SHARED / (4 * KiB) / 64] = guard;
		if (tce_domain_dirty_read(f->d.d, SH1, SHARED, bm) ||
		    bm[SHARED / (4 * KiB) / 64] != guard)
			fail(f);
	}
	return NULL;
}

/* Whether @phys is a real address some thread maps at @iova. */
static bool plausible(struct fx *f, uint64_t iova, uint64_t phys)
{
	uint64_t in;

	if (iova < 2 * SLICE)
		return phys == real(f, iova);
	in = iova - (iova >= SH1 ? SH1 : SH0);
	return phys == real(f, OFF2 + in) || phys == real(f, OFF2 + SHARED + in);
}

/* Thread 5: translations across the slices and both shared ranges. */
static void *translator(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	uint64_t i, iova, phys;
	int rc;

	for (i = 0; !atomic_load(&f->stop); i++) {
		switch (i % 3) {
		case 0:
			iova = (i * 4 * KiB + i % 4096) % (2 * SLICE);
			break;
		case 1:
			iova = SH0 + (i * 4 * KiB + i % 4096) % SHARED;
			break;
		default:
			iova = SH1 + (i * 4 * KiB + i % 65536) % SHARED;
			break;
		}
		rc = tce_domain_iova_to_phys(f->d.d, iova, &phys);
		if (rc != -ENOENT && (rc || !plausible(f, iova, phys)))
			fail(f);
	}
	return NULL;
}

/* ---- the checks after ---- */

/* Every page of [iova, iova + size) translates to arena offset off + (the same) and is reached. */
static void reached(struct fx *f, uint64_t iova, uint64_t off, uint64_t size, uint64_t page)
{
	struct tce_pci_dev *pci = tce_device_pci(f->d.o.a);
	uint64_t i, phys = 0;
	uint32_t v;

	for (i = 0; i < size; i += page) {
		CHECK_RC(tce_domain_iova_to_phys(f->d.d, iova + i + page - 1, &phys), 0);
		CHECK_EQ(phys, real(f, off + i + page - 1));
		v = (uint32_t)(iova + i) ^ 0x5eed;
		CHECK_RC(tce_dev_dma_write(pci, iova + i + 8, &v, sizeof(v)), 0);
		CHECK(!memcmp(f->d.arena + off + i + 8, &v, sizeof(v)));
	}
}

/*
 * The shared range at @iova, piece by piece: each live piece is one
 * thread's memory, reached; each hole faults. Returns the live pieces, bit
 * per piece.
 */
static unsigned shared_reached(struct fx *f, uint64_t iova, uint64_t page)
{
	struct tce_pci_dev *pci = tce_device_pci(f->d.o.a);
	uint64_t i, phys;
	unsigned live = 0;
	uint8_t b;

	for (i = 0; i < SHARED; i += PIECE) {
		if (tce_domain_iova_to_phys(f->d.d, iova + i, &phys) == -ENOENT) {
			CHECK_RC(tce_dev_dma_read(pci, iova + i, &b, 1), -EFAULT);
			continue;
		}
		CHECK(plausible(f, iova + i, phys));
		reached(f, iova + i, phys - real(f, 0), PIECE, page);
		live |= 1u << (i / PIECE);
	}
	return live;
}

static uint64_t bytes(unsigned pieces)
{
	return (uint64_t)__builtin_popcount(pieces) * PIECE;
}

/*
 * @bm holds dirty bits (4 KiB each) from @iova for @n pages: set exactly
 * for the slices (when @slices) and the pieces of the shared range at @sh
 * in @live.
 */
static void bits(const uint64_t *bm, uint64_t iova, uint64_t n, bool slices, uint64_t sh,
		 unsigned live)
{
	uint64_t i, a, wrong = 0;
	bool want;

	for (i = 0; i < n; i++) {
		a = iova + i * 4 * KiB;
		want = (slices && a < 2 * SLICE) ||
		       (a >= sh && a < sh + SHARED && (live >> ((a - sh) / PIECE) & 1));
		if (!!(bm[i / 64] >> (i % 64) & 1) != want)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
}

static void run(enum tce_platform p)
{
	void *(*fn[6])(void *) = { disjoint, disjoint, overlapping, overlapping, dirty_reader,
				   translator };
	static uint64_t bm[NBITS / 64];
	struct worker w[6];
	unsigned live0, live1;
	uint64_t got;
	struct fx f;
	int i;

	memset(&f, 0, sizeof(f));
	f.rounds = (uint64_t)(300 * tt_scale()) + 10;
	REQUIRE(tt_dom_setup(&f.d, p, NULL, true) == 0);
	tt_dom_enable_dma(f.d.o.a);
	for (i = 0; i < 6; i++) {
		w[i] = (struct worker){ .f = &f, .id = i };
		REQUIRE(pthread_create(&w[i].t, NULL, fn[i], &w[i]) == 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(w[i].t, NULL);
	atomic_store(&f.stop, true);
	for (i = 4; i < 6; i++)
		pthread_join(w[i].t, NULL);
	if (atomic_load(&f.errors))
		tt_fail(__FILE__, atomic_load(&f.first_line), "%d failures in the threads",
			atomic_load(&f.errors));

	reached(&f, 0, 0, 2 * SLICE, 4 * KiB);
	live0 = shared_reached(&f, SH0, 4 * KiB);
	live1 = shared_reached(&f, SH1, PIECE);
	CHECK_EQ(bytes(live0), atomic_load(&f.live[0]));
	CHECK_EQ(bytes(live1), atomic_load(&f.live[1]));
	CHECK(live0 && live1); /* the last whole map of one thread or the other landed */

	/* The log once read: what is mapped writable now. */
	CHECK_RC(tce_domain_dirty_read(f.d.d, 0, 8 * MiB, bm), 0);
	CHECK_RC(tce_domain_dirty_read(f.d.d, 0, 8 * MiB, bm), 0);
	bits(bm, 0, NBITS, true, SH0, live0);
	CHECK_RC(tce_domain_dirty_read(f.d.d, SH1, SHARED, bm), 0);
	CHECK_RC(tce_domain_dirty_read(f.d.d, SH1, SHARED, bm), 0);
	bits(bm, SH1, SHARED / (4 * KiB), false, SH1, live1);

	/* The whole of each window: exactly what is live, released dirty once. */
	got = ~0ull;
	CHECK_RC(tce_domain_unmap(f.d.d, 0, 1ull << 30, &got), 0);
	CHECK_EQ(got, 2 * SLICE + bytes(live0));
	got = ~0ull;
	CHECK_RC(tce_domain_unmap(f.d.d, SH1, 1ull << 30, &got), 0);
	CHECK_EQ(got, bytes(live1));
	CHECK_RC(tce_domain_iova_to_phys(f.d.d, 0, &got), -ENOENT);
	CHECK_RC(tce_domain_iova_to_phys(f.d.d, SH1, &got), -ENOENT);
	CHECK_RC(tce_domain_dirty_read(f.d.d, 0, 8 * MiB, bm), 0);
	bits(bm, 0, NBITS, true, SH0, live0);
	CHECK_RC(tce_domain_dirty_read(f.d.d, 0, 8 * MiB, bm), 0);
	bits(bm, 0, NBITS, false, SH0, 0);
	CHECK_RC(tce_domain_dirty_read(f.d.d, SH1, SHARED, bm), 0);
	bits(bm, SH1, SHARED / (4 * KiB), false, SH1, live1);
	CHECK_RC(tce_domain_dirty_read(f.d.d, SH1, SHARED, bm), 0);
	bits(bm, SH1, SHARED / (4 * KiB), false, SH1, 0);
	CHECK_RC(tce_domain_unmap(f.d.d, 0, 1ull << 30, &got), 0);
	CHECK_EQ(got, 0);
	tt_dom_teardown(&f.d);
}

static void powernv(void)
{
	run(TCE_PLATFORM_POWERNV);
}

static void pseries(void)
{
	run(TCE_PLATFORM_PSERIES);
}

static const struct tt_case cases[] = { TT_CASE(powernv), TT_CASE(pseries) };

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
