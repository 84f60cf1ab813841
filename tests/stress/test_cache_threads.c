/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PHB's TCE cache read without a lock (run under TSan by `make
 * check-tsan`): on a powernv machine, a writer moves PE 0's bus page 0 from
 * one RAM page to the next (each page holds its own index), killing it in
 * the cache each time and then publishing the round; device 00:01.0 (PE 0)
 * reads bus page 0 and 64 fixed pages, device 00:02.0 (PE 1) cycles over
 * 256 pages of its own window (fills and evictions in every set). A read of
 * bus 0 that starts after round k was published must return k or later
 * (no stale translation survives a kill), every fixed page its own index,
 * and the cache's hits and misses must add up to the translations made.
 * The same on pseries for the kill after H_PUT_TCE_INDIRECT of 512 TCEs.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <tce.h>

#include "harness.h"

#define PAGES 256
#define RAM_BASE 0x1000000ULL   /* page k: RAM_BASE + k * 4 KiB holds k */
#define ROUNDS (PAGES - 1)

struct shared {
	struct tce_machine *m;
	struct tce_pci_dev *d[2];
	struct tce_table *t[2];
	_Atomic uint64_t round;  /* bus 0 of PE 0 maps page round (or later) */
	_Atomic bool done;
	_Atomic int errors;
	_Atomic uint64_t reads;  /* translations made by both readers */
	_Atomic uint64_t acked;  /* the last round device 0 read bus 0 after */
};

static void bad(struct shared *s)
{
	atomic_fetch_add(&s->errors, 1);
}

static void *writer(void *arg)
{
	struct shared *s = arg;
	uint64_t k;

	for (k = 1; k <= ROUNDS; k++) {
		if (tce_table_set(s->t[0], 0, 1, RAM_BASE + (k << 12), TCE_DIR_BIDIRECTIONAL) ||
		    tce_fw_tce_kill(s->m, 0, 0, 12, 0, 1))
			bad(s);
		atomic_store_explicit(&s->round, k, memory_order_release);
		while (atomic_load_explicit(&s->acked, memory_order_acquire) < k)
			sched_yield();
	}
	atomic_store_explicit(&s->done, true, memory_order_release);
	return NULL;
}

/* Device 0: bus 0 against the published round, and fixed pages 1..64. */
static void *reader0(void *arg)
{
	struct shared *s = arg;
	uint64_t v, k, n = 0, i = 0;

	while (!atomic_load_explicit(&s->done, memory_order_acquire)) {
		k = atomic_load_explicit(&s->round, memory_order_acquire);
		if (tce_dev_dma_read(s->d[0], 0, &v, 8) || v < k || v > ROUNDS)
			bad(s);
		i = i % 64 + 1;
		if (tce_dev_dma_read(s->d[0], i << 12, &v, 8) || v != 128 + i)
			bad(s);
		n += 2;
		atomic_store_explicit(&s->acked, k, memory_order_release);
	}
	atomic_fetch_add(&s->reads, n);
	return NULL;
}

/* Device 1: its 256 pages in turn, each holding its index. */
static void *reader1(void *arg)
{
	struct shared *s = arg;
	uint64_t v, n = 0, i = 0;

	while (!atomic_load_explicit(&s->done, memory_order_acquire)) {
		i = (i + 97) % PAGES;
		if (tce_dev_dma_read(s->d[1], i << 12, &v, 8) || v != i)
			bad(s);
		n++;
	}
	atomic_fetch_add(&s->reads, n);
	return NULL;
}

/* PE @pe's window 0: a 16 MiB table; its pages 0..@n map RAM pages @first... */
static int window(struct shared *s, unsigned pe, uint64_t first, uint64_t n)
{
	struct tce_table_config cfg = { .window_size = 1 << 24, .page_shift = 12, .levels = 1 };
	int rc = tce_table_create(tce_machine_ctx(s->m), &cfg, &s->t[pe]);

	if (!rc)
		rc = tce_fw_map_window(s->m, 0, pe, 0, s->t[pe]);
	if (!rc)
		rc = tce_table_set(s->t[pe], 0, n, RAM_BASE + (first << 12), TCE_DIR_BIDIRECTIONAL);
	return rc;
}

static void lock_free_hits_see_every_kill(void)
{
	struct shared s = { 0 };
	struct tce_cache_stats before, after;
	pthread_t th[3];
	uint64_t k, *p;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &s.m) == 0);
	REQUIRE(tce_machine_find_device(s.m, "0000:00:01.0", &s.d[0]) == 0);
	REQUIRE(tce_machine_find_device(s.m, "0000:00:02.0", &s.d[1]) == 0);
	for (k = 0; k < PAGES; k++) {
		p = tce_machine_ram_ptr(s.m, RAM_BASE + (k << 12), 8);
		REQUIRE(p);
		*p = k;
	}
	REQUIRE(window(&s, 1, 0, PAGES) == 0);
	/* PE 0: bus 0 -> page 0, bus pages 1..64 -> pages 129..192. */
	REQUIRE(window(&s, 0, 0, 1) == 0);
	REQUIRE(tce_table_set(s.t[0], 1, 64, RAM_BASE + (129 << 12), TCE_DIR_BIDIRECTIONAL) == 0);
	tce_dev_cache_stats(s.d[0], &before);
	REQUIRE(pthread_create(&th[0], NULL, writer, &s) == 0);
	REQUIRE(pthread_create(&th[1], NULL, reader0, &s) == 0);
	REQUIRE(pthread_create(&th[2], NULL, reader1, &s) == 0);
	for (k = 0; k < 3; k++)
		pthread_join(th[k], NULL);
	tce_dev_cache_stats(s.d[1], &after);
	CHECK_EQ(atomic_load(&s.errors), 0);
	CHECK_EQ((after.hits - before.hits) + (after.misses - before.misses), atomic_load(&s.reads));
	CHECK(after.kills - before.kills >= ROUNDS);
	for (k = 0; k < 2; k++) {
		CHECK_RC(tce_fw_map_window(s.m, 0, (uint32_t)k, 0, NULL), 0);
		tce_table_put(s.t[k]);
	}
	tce_machine_destroy(s.m);
}

/*
 * pseries: the hypervisor's kill after H_PUT_TCE_INDIRECT, which looks only
 * at the sets that may hold the PE's entries. Round k maps bus pages
 * 0..511 of PE 0 with one call to the k-th of three sets of RAM pages, each
 * holding k (written before the call); device 00:01.0 reads the same 128
 * pages (cached in sets all over the cache) every time, and each read after
 * round k was published must give k or later; device 00:02.0 (PE 1) reads
 * 64 fixed pages of its own, filling ways in the same sets.
 */
#define HV_LIOBN0 0x80000000ULL
#define HV_LIOBN_VF 0x80000100ULL
#define HV_LIST 0x100000ULL
#define HV_SET(k, i) (0x10000000ULL + ((k) % 3) * 0x200000ULL + ((uint64_t)(i) << 12))
#define HV_VF(i) (0x20000000ULL + ((uint64_t)(i) << 12))

static long hv_indirect(struct tce_machine *m, uint64_t liobn, uint64_t ioba, uint64_t n)
{
	uint64_t args[9] = { liobn, ioba, HV_LIST, n };

	return tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, args);
}

/* Map @n pages from bus 0 of @liobn to real pages @real(k, i) with one call. */
static long hv_map_set(struct tce_machine *m, uint64_t liobn, uint64_t k, bool vf, uint64_t n)
{
	uint64_t *list = tce_machine_ram_ptr(m, HV_LIST, 4096), i;

	for (i = 0; i < n; i++)
		list[i] = htobe64((vf ? HV_VF(i) : HV_SET(k, i)) | 3);
	return hv_indirect(m, liobn, 0, n);
}

static uint64_t hv_rounds(void)
{
	return 24 + (uint64_t)(100 * tt_scale());
}

static void *hv_writer(void *arg)
{
	struct shared *s = arg;
	uint64_t k, i, n = hv_rounds();

	for (k = 1; k <= n; k++) {
		for (i = 0; i < 512; i++)
			*(uint64_t *)tce_machine_ram_ptr(s->m, HV_SET(k, i), 8) = k;
		if (hv_map_set(s->m, HV_LIOBN0, k, false, 512))
			bad(s);
		atomic_store_explicit(&s->round, k, memory_order_release);
		while (atomic_load_explicit(&s->acked, memory_order_acquire) < k)
			sched_yield();
	}
	atomic_store_explicit(&s->done, true, memory_order_release);
	return NULL;
}

/* Device 0: the same 128 pages (every 4th) each time, against the round. */
static void *hv_reader0(void *arg)
{
	struct shared *s = arg;
	uint64_t v, k, n = 0, j;

	while (!atomic_load_explicit(&s->done, memory_order_acquire)) {
		k = atomic_load_explicit(&s->round, memory_order_acquire);
		for (j = 0; j < 512; j += 4)
			if (tce_dev_dma_read(s->d[0], j << 12, &v, 8) || v < k)
				bad(s);
		n += 128;
		atomic_store_explicit(&s->acked, k, memory_order_release);
	}
	atomic_fetch_add(&s->reads, n);
	return NULL;
}

/* Device 1 (PE 1): 64 of its pages in turn, each holding 1000 + its index. */
static void *hv_reader1(void *arg)
{
	struct shared *s = arg;
	uint64_t v, n = 0, i = 0;

	while (!atomic_load_explicit(&s->done, memory_order_acquire)) {
		i = (i + 7) % 64;
		if (tce_dev_dma_read(s->d[1], i << 12, &v, 8) || v != 1000 + i)
			bad(s);
		n++;
	}
	atomic_fetch_add(&s->reads, n);
	return NULL;
}

static void hv_indirect_kills_under_hits(void)
{
	struct shared s = { 0 };
	pthread_t th[3];
	uint64_t k;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &s.m) == 0);
	REQUIRE(tce_machine_find_device(s.m, "0000:00:01.0", &s.d[0]) == 0);
	REQUIRE(tce_machine_find_device(s.m, "0000:00:02.0", &s.d[1]) == 0);
	for (k = 0; k < PAGES; k++)
		*(uint64_t *)tce_machine_ram_ptr(s.m, HV_VF(k), 8) = 1000 + k;
	for (k = 0; k < 512; k++)
		*(uint64_t *)tce_machine_ram_ptr(s.m, HV_SET(0, k), 8) = 0;
	REQUIRE(hv_map_set(s.m, HV_LIOBN_VF, 0, true, PAGES) == TCE_H_SUCCESS);
	REQUIRE(hv_map_set(s.m, HV_LIOBN0, 0, false, 512) == TCE_H_SUCCESS);
	REQUIRE(pthread_create(&th[0], NULL, hv_writer, &s) == 0);
	REQUIRE(pthread_create(&th[1], NULL, hv_reader0, &s) == 0);
	REQUIRE(pthread_create(&th[2], NULL, hv_reader1, &s) == 0);
	for (k = 0; k < 3; k++)
		pthread_join(th[k], NULL);
	CHECK_EQ(atomic_load(&s.errors), 0);
	CHECK(atomic_load(&s.reads) > 0);
	tce_machine_destroy(s.m);
}

static const struct tt_case cases[] = {
	TT_CASE(lock_free_hits_see_every_kill),
	TT_CASE(hv_indirect_kills_under_hits),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
