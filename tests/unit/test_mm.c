/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Preregistered memory through the vfio layer's header (white-box; the
 * container that exposes it comes with the VFIO work): registration's
 * order of checks (account, pages, overlap) and its errors, the exact
 * refund, page sizes from the backing pages and the alignment, exact-match
 * get and put, the mapped protocol (an unregister of a region TCEs still
 * reference is -EBUSY and keeps it; a region being freed takes no new
 * TCE), lookups of every address against a brute-force reference at 1, 64
 * and 4096 regions, and fail-Nth over registration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "tt_table.h"
#include "vfio/mm.h"

/* A probe over a fake address space: writable below @limit, 2 MiB pages above @huge. */
struct fake {
	uint64_t limit, huge;
};

static int fake_probe(void *arg, uint64_t ua, uint64_t size, bool write, uint32_t *shift)
{
	const struct fake *f = arg;

	(void)write;

	if (ua + size > f->limit)
		return -EFAULT;
	*shift = ua >= f->huge ? 21 : 12;
	return 0;
}

static void setup(struct tce__mm *mm, struct tce_ctx *ctx, struct fake *f, uint64_t limit)
{
	REQUIRE(tce__mm_init(mm, ctx, 12, limit) == 0);
	mm->probe = fake_probe, mm->probe_arg = f;
}

static void register_rules(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct fake f = { .limit = 1ULL << 40, .huge = 1ULL << 32 };
	struct tce__mm mm;
	struct tce__mm_region *r, *r2;

	setup(&mm, ctx, &f, 1 << 24); /* 16 MiB may be locked */
	CHECK_RC(tce__mm_new(&mm, 0x100000, 0x100000, &r), 0);
	CHECK_EQ(r->page_shift, 12);
	CHECK_EQ(mm.locked_pages, 256);
	CHECK_RC(tce__mm_new(&mm, 0x180000, 0x100000, &r2), -EINVAL); /* overlaps */
	CHECK_RC(tce__mm_new(&mm, 0x000000, 0x100001000ULL, &r2), -ENOMEM); /* over the limit */
	CHECK_RC(tce__mm_new(&mm, (1ULL << 40) - 0x1000, 0x2000, &r2), -EFAULT); /* not mapped */
	CHECK_EQ(mm.locked_pages, 256); /* every failure refunded exactly */
	/* Order of checks: the account before the pages before overlap (the kernel's). */
	CHECK_RC(tce__mm_new(&mm, 0x100000, 0x1000000, &r2), -ENOMEM);
	CHECK_RC(tce__mm_new(&mm, (1ULL << 40) - 0x1000, 0x2000, &r2), -EFAULT);
	/* Huge pages: the backing page capped by the natural alignment. */
	CHECK_RC(tce__mm_new(&mm, 1ULL << 32, 1 << 22, &r2), 0);
	CHECK_EQ(r2->page_shift, 21);
	CHECK_RC(tce__mm_put(&mm, r2), 0);
	CHECK_RC(tce__mm_new(&mm, (1ULL << 32) + 0x10000, 1 << 22, &r2), 0);
	CHECK_EQ(r2->page_shift, 16);
	CHECK_RC(tce__mm_put(&mm, r2), 0);
	CHECK_EQ(mm.locked_pages, 256);
	/* Exact-match get: used counts registrations. */
	CHECK(tce__mm_get(&mm, 0x100000, 0x1000) == NULL);
	CHECK(tce__mm_get(&mm, 0x100000, 0x100000) == r);
	CHECK_RC(tce__mm_put(&mm, r), 0);
	CHECK(tce__mm_lookup(&mm, 0x100000, 1) == r); /* one registration left */
	CHECK_RC(tce__mm_put(&mm, r), 0);
	CHECK(tce__mm_lookup(&mm, 0x100000, 1) == NULL);
	CHECK_EQ(mm.locked_pages, 0);
	tce__mm_fini(&mm);
	tt_ctx_done(ctx);
}

static void mapped_protocol(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct fake f = { .limit = 1ULL << 40, .huge = 1ULL << 40 };
	struct tce__mm mm;
	struct tce__mm_region *r;
	uint64_t real;

	setup(&mm, ctx, &f, 0);
	REQUIRE(tce__mm_new(&mm, 0x10000, 0x10000, &r) == 0);
	CHECK_RC(tce__mm_mapped_inc(r), 0);
	CHECK_RC(tce__mm_mapped_inc(r), 0);
	CHECK_RC(tce__mm_put(&mm, r), -EBUSY); /* TCEs still reference it: kept */
	CHECK(tce__mm_lookup(&mm, 0x10000, 0x10000) == r);
	CHECK_RC(tce__mm_ua_to_real(r, 0x12345, 12, &real), 0);
	CHECK_EQ(real, 0x12345);
	CHECK_RC(tce__mm_ua_to_real(r, 0x20000, 12, &real), -EFAULT); /* past the end */
	CHECK_RC(tce__mm_ua_to_real(r, 0x10000, 12, &real), 0);
	CHECK_RC(tce__mm_ua_to_real(r, 0x10000, 16, &real), -EFAULT); /* 4 KiB pages behind it */
	tce__mm_mapped_dec(r);
	tce__mm_mapped_dec(r);
	tce__mm_mapped_dec(r); /* never below the bias */
	CHECK_EQ(atomic_load(&r->mapped), 1);
	CHECK_RC(tce__mm_put(&mm, r), 0);
	CHECK_EQ(mm.n, 0);
	tce__mm_fini(&mm);
	tt_ctx_done(ctx);
}

/* Lookups of random ranges agree with a linear scan, at 1, 64 and 4096 regions. */
static void lookups_agree(void)
{
	static const uint32_t counts[3] = { 1, 64, 4096 };
	struct fake f = { .limit = 1ULL << 50, .huge = 1ULL << 50 };
	uint64_t rng = tt_seed();
	unsigned k, i, j;

	for (k = 0; k < 3; k++) {
		struct tce_ctx *ctx = tt_ctx();
		struct tce__mm mm;
		struct tce__mm_region *r;

		setup(&mm, ctx, &f, 0);
		for (i = 0; i < counts[k]; i++) { /* every other 64 KiB slot, in a shuffled order */
			uint64_t slot = (i * 2654435761u) % counts[k];

			REQUIRE(tce__mm_new(&mm, slot * 0x20000, 0x10000, &r) == 0);
		}
		for (j = 0; j < 20000 && !tt_failed(); j++) {
			uint64_t ua = tt_below(&rng, counts[k] * 0x20000ULL + 0x20000);
			uint64_t size = 1 + tt_below(&rng, 0x12000), slot = ua / 0x20000;
			bool in = ua % 0x20000 < 0x10000 && ua % 0x20000 + size <= 0x10000 &&
				  slot < counts[k];

			r = tce__mm_lookup(&mm, ua, size);
			CHECK(in ? r && r->ua == slot * 0x20000 : r == NULL);
		}
		tce__mm_fini(&mm);
		tt_ctx_done(ctx);
	}
}

/* A probe of this process's own memory. */
typedef int (*probe_fn)(uint64_t ua, uint64_t size, bool write, uint32_t *shift);

/* The process's open file descriptors. */
static unsigned open_fds(void)
{
	unsigned n = 0;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

/* The real probe, one way: permissions, holes and page size, no page touched. */
static void probe_way(probe_fn probe)
{
	unsigned fds = open_fds();

	uint8_t *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t shift = 0;

	unsigned char vec[256];
	unsigned i, resident = 0;

	REQUIRE(p != MAP_FAILED);
	CHECK_RC(probe((uintptr_t)p, 1 << 20, true, &shift), 0);
	CHECK_EQ(shift, 12);
	CHECK_RC(mincore(p, 1 << 20, vec), 0); /* registering touches and faults no page */
	for (i = 0; i < 256; i++)
		resident += vec[i] & 1;
	CHECK_EQ(resident, 0);
	CHECK_RC(mprotect(p + 0x40000, 0x1000, PROT_READ), 0);
	CHECK_RC(probe((uintptr_t)p, 1 << 20, true, &shift), -EFAULT); /* read-only page */
	CHECK_RC(probe((uintptr_t)p, 1 << 20, false, &shift), 0); /* readable */
	CHECK_RC(probe((uintptr_t)p, 0x40000, true, &shift), 0);
	CHECK_RC(probe((uintptr_t)p + 0x41000, 0x1000, true, &shift), 0); /* the next VMA alone */
	CHECK_RC(mprotect(p + 0x40000, 0x1000, PROT_NONE), 0);
	CHECK_RC(probe((uintptr_t)p, 1 << 20, false, &shift), -EFAULT); /* no access */
	CHECK_RC(munmap(p + 0x80000, 0x1000), 0);
	CHECK_RC(probe((uintptr_t)p + 0x50000, 0x40000, false, &shift), -EFAULT); /* hole */
	CHECK_RC(probe((uintptr_t)p + 0x81000, 0x1000, false, &shift), 0); /* past the hole */
	munmap(p, 1 << 20);
	CHECK_RC(probe((uintptr_t)p, 0x1000, false, &shift), -EFAULT);
	CHECK_RC(probe(~0ull - 0xfff, 0x1000, false, &shift), -EFAULT); /* past user space */
	CHECK_RC(probe(0x1000, ~0ull, false, &shift), -EFAULT);         /* wraps */
	CHECK_EQ(open_fds(), fds); /* every probe closed what it opened */
}

static int probe_default(uint64_t ua, uint64_t size, bool write, uint32_t *shift)
{
	return tce__mm_probe_self(NULL, ua, size, write, shift);
}

/*
 * The real probe: PROCMAP_QUERY where the kernel has it (asked about a
 * mapped page, so a query that fails on anything is not taken for a kernel
 * without it), smaps always, and the default.
 */
static void probe_self(void)
{
	uint32_t shift;

	if (tce__mm_probe_query((uintptr_t)&shift & ~4095ULL, 4096, false, &shift) != 0)
		printf("# PROCMAP_QUERY: not in this kernel (before 6.11); smaps is used\n");
	else
		probe_way(tce__mm_probe_query);
	probe_way(tce__mm_probe_smaps);
	probe_way(probe_default);
}

/* fail-Nth over registration: -ENOMEM, nothing registered, nothing accounted. */
static void register_fail_nth(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct fake f = { .limit = 1ULL << 40, .huge = 1ULL << 40 };
	struct tce__mm mm;
	struct tce__mm_region *r;
	uint64_t n;
	int rc = -1;

	setup(&mm, ctx, &f, 0);
	for (n = 1; n < 20 && rc; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce__mm_new(&mm, 0x40000, 0x10000, &r);
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK(rc == 0 || rc == -ENOMEM);
		if (rc) {
			CHECK_EQ(mm.n, 0);
			CHECK_EQ(mm.locked_pages, 0);
		}
	}
	CHECK_RC(rc, 0);
	CHECK(n > 2);
	CHECK_RC(tce__mm_put(&mm, r), 0);
	tce__mm_fini(&mm);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(register_rules), TT_CASE(mapped_protocol), TT_CASE(lookups_agree),
	TT_CASE(probe_self),     TT_CASE(register_fail_nth),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
