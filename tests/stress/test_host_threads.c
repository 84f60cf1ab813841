/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel DMA on two threads (map a buffer, the device writes and reads it
 * through the IOMMU, unmap) on PE 0 while the main thread hands PE 1 to an
 * external owner and back, over and over; both platforms. Run under TSan by
 * `make check-tsan`. Every DMA must see its own data, every hand-off must
 * succeed, and nothing may leak.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

struct shared {
	struct tce_host *h;
	struct tce_device *d;
	uint64_t rounds;
	atomic_int errors;
};

static void one_dma(struct shared *s, uint64_t seed)
{
	uint64_t real, bus;
	uint8_t *p, in[64], out[64];
	unsigned i;

	if (tce_host_alloc(s->h, 8192, &real, (void **)&p)) {
		atomic_fetch_add(&s->errors, 1);
		return;
	}
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(seed + i);
	if (tce_device_map_page(s->d, real, 8192, TCE_DIR_BIDIRECTIONAL, &bus) ||
	    tce_dev_dma_write(tce_device_pci(s->d), bus + 100, in, sizeof(in)) ||
	    tce_dev_dma_read(tce_device_pci(s->d), bus + 100, out, sizeof(out)) ||
	    memcmp(in, out, sizeof(in)) || memcmp(p + 100, in, sizeof(in)) ||
	    tce_device_unmap_page(s->d, bus, 8192))
		atomic_fetch_add(&s->errors, 1);
	tce_host_free(s->h, real, 8192);
}

static void *kernel_dma(void *arg)
{
	struct shared *s = arg;
	uint64_t i;

	for (i = 0; i < s->rounds; i++)
		one_dma(s, i * 7 + (uint64_t)(uintptr_t)&i);
	return NULL;
}

static void hand_off(struct tce_host *h, struct tce_device *b)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 26,
				      .levels = 1 };
	struct tce_group *g = tce_device_group(b);
	struct tce_iommu_table *t;

	(void)h;
	CHECK_RC(tce_group_take_ownership(g), 0);
	if (!tce_group_create_table(g, &req, &t)) {
		CHECK_RC(tce_group_set_window(g, 0, t), 0);
		CHECK_RC(tce_group_unset_window(g, 0), 0);
		tce_iommu_table_put(t);
	} else {
		tt_fail(__FILE__, __LINE__, "create_table");
	}
	CHECK_RC(tce_group_release_ownership(g), 0);
}

static void run(enum tce_platform p)
{
	struct tce_machine *m;
	struct tce_device *b;
	struct shared s = { .rounds = (uint64_t)(2000 * tt_scale()) };
	struct tce_mem_stats before, after;
	pthread_t th[2];
	unsigned i;

	REQUIRE(tce_machine_create_default(p, &m) == 0);
	tce_ctx_mem_stats(tce_machine_ctx(m), &before);
	REQUIRE(tce_host_create(m, &s.h) == 0);
	REQUIRE(tce_host_find_device(s.h, "0000:00:01.0", &s.d) == 0);
	REQUIRE(tce_host_find_device(s.h, "0000:00:02.0", &b) == 0);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, kernel_dma, &s);
	for (i = 0; i < 50 && !tt_failed(); i++)
		hand_off(s.h, b);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&s.errors), 0);
	tce_host_destroy(s.h);
	tce_ctx_mem_stats(tce_machine_ctx(m), &after);
	CHECK_EQ(after.live_allocs, before.live_allocs);
	tce_machine_destroy(m);
}

static void pseries_dma_during_hand_off(void)
{
	run(TCE_PLATFORM_PSERIES);
}

static void powernv_dma_during_hand_off(void)
{
	run(TCE_PLATFORM_POWERNV);
}

/*
 * One powernv table behind both PEs: a thread keeps the device of PE 0
 * reading through it while the main thread joins PE 1 to the table and
 * leaves again, and a third thread keeps updating other entries with a
 * release callback. PE 0's DMA never fails and sees its data.
 */
struct shared_tab {
	struct tce_iommu_table *t;
	struct tce_pci_dev *dev;
	uint64_t real;
	atomic_bool stop;
	atomic_int errors;
	atomic_uint_fast64_t released;
};

static void *reader(void *arg)
{
	struct shared_tab *s = arg;
	uint8_t buf[8];

	while (!atomic_load(&s->stop))
		if (tce_dev_dma_read(s->dev, 3 << 12, buf, 8) || memcmp(buf, "shared!", 8))
			atomic_fetch_add(&s->errors, 1);
	return NULL;
}

static void on_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct shared_tab *s = arg;

	(void)idx, (void)real, (void)dirty;
	atomic_fetch_add(&s->released, 1);
}

static void *updater(void *arg)
{
	struct shared_tab *s = arg;
	uint64_t i;

	for (i = 0; i < 200 || !atomic_load(&s->stop); i++) /* each entry replaced at least twice */
		if (tce_iommu_table_update(s->t, 100 + i % 64, 1, s->real + 4096, TCE_DIR_FROM_DEVICE))
			atomic_fetch_add(&s->errors, 1);
	return NULL;
}

static void powernv_shared_table_churn(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 26, .levels = 2 };
	struct shared_tab s = { 0 };
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *a, *b;
	pthread_t th[2];
	uint8_t *p;
	unsigned i, rounds = (unsigned)(300 * tt_scale()) + 5;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_host_create(m, &h) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:01.0", &a) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:02.0", &b) == 0);
	REQUIRE(tce_group_take_ownership(tce_device_group(a)) == 0);
	REQUIRE(tce_group_take_ownership(tce_device_group(b)) == 0);
	REQUIRE(tce_group_create_table(tce_device_group(a), &req, &s.t) == 0);
	tce_iommu_table_set_release(s.t, on_release, &s);
	REQUIRE(tce_group_set_window(tce_device_group(a), 0, s.t) == 0);
	REQUIRE(tce_host_alloc(h, 8192, &s.real, (void **)&p) == 0);
	memcpy(p, "shared!", 8);
	REQUIRE(tce_iommu_table_update(s.t, 3, 1, s.real, TCE_DIR_TO_DEVICE) == 0);
	s.dev = tce_device_pci(a);
	pthread_create(&th[0], NULL, reader, &s);
	pthread_create(&th[1], NULL, updater, &s);
	for (i = 0; i < rounds && !tt_failed(); i++) {
		CHECK_RC(tce_group_set_window(tce_device_group(b), 0, s.t), 0);
		CHECK_RC(tce_group_unset_window(tce_device_group(b), 0), 0);
	}
	atomic_store(&s.stop, true);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECK_EQ(atomic_load(&s.errors), 0);
	CHECK(atomic_load(&s.released) > 0);
	CHECK_RC(tce_group_unset_window(tce_device_group(a), 0), 0);
	CHECK_RC(tce_group_release_ownership(tce_device_group(a)), 0);
	CHECK_RC(tce_group_release_ownership(tce_device_group(b)), 0);
	tce_iommu_table_put(s.t);
	tce_host_free(h, s.real, 8192);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

static const struct tt_case cases[] = {
	TT_CASE(pseries_dma_during_hand_off),
	TT_CASE(powernv_dma_during_hand_off),
	TT_CASE(powernv_shared_table_churn),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
