/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS side's argument and boundary rules through <tce.h>, each as
 * include/tce.h states it (the mutation run's survivors, issue 9): host
 * creation's arguments and its kernel-memory limits, the table-group ops'
 * slot and NULL checks, a positive accounting answer, the owner's entry
 * access outside its table, coherent buffers aligned to the window's IOMMU
 * page, and direct-mode records past the first table's size and after a
 * failed scatter list.
 */
#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <tce.h>

#include "harness.h"
#include "tt_os.h"
#include "tt_table.h"

/* tce_host_create_config(): -EINVAL for a NULL argument or a bad configuration. */
static void host_create_args(void)
{
	struct tce_host_config good = { .profile = TCE_OS_DEFAULT };
	struct tce_host_config bad_shift = { .profile = TCE_OS_DEFAULT, .page_shift = 13 };
	struct tce_host_config bad_profile = { .profile = (enum tce_os_profile)7 };
	struct tce_machine *m;
	struct tce_host *h = NULL;
	uint64_t before;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	before = tt_live(m);
	CHECK_RC(tce_host_create_config(NULL, &good, &h), -EINVAL);
	CHECK_RC(tce_host_create_config(m, NULL, &h), -EINVAL);
	CHECK_RC(tce_host_create_config(m, &good, NULL), -EINVAL);
	CHECK_RC(tce_host_create_config(m, &bad_shift, &h), -EINVAL);
	CHECK_RC(tce_host_create_config(m, &bad_profile, &h), -EINVAL);
	CHECK(h == NULL);
	CHECK_EQ(tt_live(m), before);
	tce_machine_destroy(m);
}

/*
 * Too little RAM for kernel memory (1 MiB: 64 KiB of it, less than the two
 * hcall list pages' worth the OS needs): -EOPNOTSUPP on either platform.
 */
static void host_too_little_ram(void)
{
	static char blob[1 << 16];
	static const enum tce_platform ps[2] = { TCE_PLATFORM_PSERIES, TCE_PLATFORM_POWERNV };
	fdt32_t ram[4] = { 0, 0, 0, cpu_to_fdt32(1 << 20) };
	struct tce_machine *m;
	struct tce_host *h = NULL;
	unsigned k;

	for (k = 0; k < 2; k++) {
		REQUIRE(tt_edit_tree(ps[k], blob, sizeof(blob)) == 0);
		REQUIRE(fdt_setprop(blob, fdt_path_offset(blob, "/memory@0"), "reg", ram, sizeof(ram)) ==
			0);
		REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
		CHECK_RC(tce_host_create(m, &h), -EOPNOTSUPP);
		tce_machine_destroy(m);
	}
}

/* Kernel memory is the top 1/16 of RAM, at most 256 MiB: all of it can be had at once. */
static void host_kmem_whole(void)
{
	uint64_t real, real2;
	uint8_t *p;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0); /* 4 GiB of RAM, no hcall lists */
	CHECK_RC(tce_host_alloc(o.h, (256ULL << 20) + 1, &real, NULL), -ENOMEM);
	REQUIRE(tce_host_alloc(o.h, 256ULL << 20, &real, (void **)&p) == 0);
	CHECK_EQ(real, (4ULL << 30) - (256ULL << 20));
	p[0] = 1, p[(256 << 20) - 1] = 2; /* host memory behind all of it */
	CHECK_RC(tce_host_alloc(o.h, 4096, &real2, NULL), -ENOMEM);
	CHECK_RC(tce_host_free(o.h, real, 256ULL << 20), 0);
	CHECK_RC(tce_host_alloc(o.h, 0, &real2, NULL), -EINVAL);
	CHECK_RC(tce_host_alloc(o.h, 4096, NULL, NULL), -EINVAL);
	tt_os_shutdown(&o);
}

/* Slot numbers and NULLs of the table-group ops (include/tce.h). */
static void tgops_args(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 1 };
	struct tce_iommu_table *t, *t2 = NULL;
	struct tce_group *g, *gb;
	enum tce_platform p;
	struct tt_os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_os_boot(&o, p) == 0);
		t2 = NULL;
		g = tce_device_group(o.a), gb = tce_device_group(o.b);
		REQUIRE(tce_group_take_ownership(g) == 0 && tce_group_take_ownership(gb) == 0);
		REQUIRE(tce_group_create_table(g, &req, &t) == 0);
		CHECK_RC(tce_group_set_window(g, 0, NULL), -EINVAL);
		CHECK_RC(tce_group_set_window(g, 2, t), -EINVAL);
		CHECK_RC(tce_group_set_window(gb, 1, t), -EINVAL); /* the VF has one slot */
		CHECK_RC(tce_group_set_window(g, 0, t), 0);
		CHECK_RC(tce_group_unset_window(g, TCE_MAX_WINDOWS), -EINVAL);
		CHECK_RC(tce_group_get_table(g, TCE_MAX_WINDOWS, &t2), -EINVAL);
		CHECK_RC(tce_group_get_table(g, 0, NULL), -EINVAL);
		CHECK(t2 == NULL);
		REQUIRE(tce_group_get_table(g, 0, &t2) == 0); /* the window is still set */
		CHECK(t2 == t);
		tce_iommu_table_put(t2);
		CHECK_RC(tce_group_unset_window(g, 0), 0);
		CHECK_RC(tce_group_get_table(g, 0, &t2), -ENOENT);
		tce_iommu_table_put(t);
		CHECK_RC(tce_group_release_ownership(g), 0);
		CHECK_RC(tce_group_release_ownership(gb), 0);
		tt_os_shutdown(&o);
	}
}

/* An accounting hook that answers with a positive value. */
static int positive_account(void *arg, int64_t delta)
{
	int *calls = arg;

	(*calls)++;
	return delta > 0 ? 1 : 0;
}

/* A positive answer of the accounting hook counts as -ENOMEM, as for tce_table_create(). */
static void account_positive_is_enomem(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 1,
				      .account = positive_account };
	struct tce_iommu_table *t = NULL;
	struct tce_group *g;
	int calls = 0;
	struct tt_os o;

	req.account_arg = &calls;
	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_group_take_ownership(g) == 0);
	CHECK_RC(tce_group_create_table(g, &req, &t), -ENOMEM);
	CHECK(t == NULL);
	CHECK_EQ(calls, 1); /* refused: nothing to refund */
	CHECK_RC(tce_group_release_ownership(g), 0);
	tt_os_shutdown(&o);
}

/*
 * The owner's entry access: indexes outside the table, bad directions and
 * unaligned addresses are refused and change nothing (pseries: a DDW of
 * 64 KiB pages; powernv: a slot-0 table of 64 KiB pages).
 */
static void owner_entry_args(void)
{
	struct tce_window_req req = { .page_shift = 16, .levels = 1 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	struct tce_group *g;
	uint64_t real, tce, end;
	enum tce_dir dir;
	enum tce_platform p;
	struct tt_os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		req.num = p == TCE_PLATFORM_PSERIES ? 1 : 0;
		req.window_size = p == TCE_PLATFORM_PSERIES ? 1ULL << 32 : 1ULL << 28;
		REQUIRE(tt_os_boot(&o, p) == 0);
		g = tce_device_group(o.a);
		REQUIRE(tce_group_take_ownership(g) == 0);
		REQUIRE(tce_group_create_table(g, &req, &t) == 0);
		CHECK_RC(tce_group_set_window(g, req.num, t), 0);
		tce_iommu_table_info(t, &ti);
		end = ti.first_idx + ti.entries;
		CHECK_RC(tce_iommu_table_update(t, ti.first_idx, 1, 0x20000, TCE_DIR_TO_DEVICE), 0);
		real = 0x10000, dir = (enum tce_dir)(TCE_DIR_NONE + 1);
		CHECK_RC(tce_iommu_table_xchg(t, ti.first_idx, &real, &dir), -EINVAL);
		real = 0x11000, dir = TCE_DIR_TO_DEVICE; /* not on a 64 KiB IOMMU page */
		CHECK_RC(tce_iommu_table_xchg(t, ti.first_idx, &real, &dir), -EINVAL);
		real = 0x10000, dir = TCE_DIR_TO_DEVICE;
		CHECK_RC(tce_iommu_table_xchg(t, end, &real, &dir), -EINVAL);
		CHECK_RC(tce_iommu_table_get(t, ti.first_idx, &tce), 0);
		CHECK_EQ(tce, 0x20000 | TCE_PCI_READ); /* none of the refused exchanges wrote */
		CHECK_RC(tce_iommu_table_kill(t, end, 1), -EINVAL);
		CHECK_RC(tce_iommu_table_kill(t, end - 1, 2), -EINVAL);
		CHECK_RC(tce_iommu_table_kill(t, end - 1, 1), 0);
		CHECK_RC(tce_iommu_table_clear(t, end - 1, 2), -EINVAL);
		CHECK_RC(tce_iommu_table_update(t, end, 1, 0x10000, TCE_DIR_TO_DEVICE), -EINVAL);
		CHECK_RC(tce_iommu_table_update(t, ti.first_idx, 1, 0x10000,
						(enum tce_dir)(TCE_DIR_NONE + 1)), -EINVAL);
		CHECK_RC(tce_iommu_table_update(t, ti.first_idx, 1, 0x11000, TCE_DIR_TO_DEVICE), -EINVAL);
		CHECK_RC(tce_iommu_table_get(t, end, &tce), -EINVAL);
		CHECK_RC(tce_iommu_table_get(t, ti.first_idx, &tce), 0);
		CHECK_EQ(tce, 0x20000 | TCE_PCI_READ);
		CHECK_RC(tce_group_unset_window(g, req.num), 0);
		tce_iommu_table_put(t);
		CHECK_RC(tce_group_release_ownership(g), 0);
		tt_os_shutdown(&o);
	}
}

/*
 * A coherent buffer's kernel memory is aligned to the window's IOMMU page:
 * a pseries dynamic window of 16 MiB pages (a small largest block), after a
 * small allocation has moved kernel memory off a 16 MiB boundary.
 */
static void coherent_page_aligned(void)
{
	static char blob[1 << 16];
	fdt32_t block[2] = { 0, cpu_to_fdt32(64) };
	struct tce_device_dma_info di;
	struct tce_machine *m;
	uint64_t small, real, bus;
	void *cpu;
	struct tt_os o;

	REQUIRE(tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) == 0);
	fdt_setprop(blob, fdt_path_offset(blob, "/pci@800000020000000"), "libtce,largest-block",
		    block, sizeof(block));
	REQUIRE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	REQUIRE(tce_device_set_dma_mask(o.a, ~0ULL) == 0);
	tce_device_dma_info(o.a, &di);
	REQUIRE(di.mode == TCE_DMA_DYNAMIC && di.page_shift == 24);
	REQUIRE(tce_host_alloc(o.h, 4096, &small, NULL) == 0);
	REQUIRE(tce_device_alloc_coherent(o.a, 4096, &real, &cpu, &bus) == 0);
	CHECK_EQ(real & ((1 << 24) - 1), 0);
	CHECK_EQ(bus & ((1 << 24) - 1), 0);
	CHECK_RC(tce_device_free_coherent(o.a, 4096, real, bus), 0);
	CHECK_RC(tce_host_free(o.h, small, 4096), 0);
	tt_os_shutdown(&o);
}

/*
 * Direct mode (a pseries DDW): more mappings than the first record table
 * holds, all live at once, each unmapped exactly once; then the group has
 * no kernel mapping left and can be handed to an owner.
 */
static void direct_many_mappings(void)
{
	uint64_t real, bus[40];
	unsigned i;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	REQUIRE(tce_device_set_dma_mask(o.a, ~0ULL) == 0);
	REQUIRE(tce_host_alloc(o.h, 40 * 4096, &real, NULL) == 0);
	for (i = 0; i < 40; i++)
		CHECK_RC(tce_device_map_page(o.a, real + i * 4096, 4096, TCE_DIR_TO_DEVICE, &bus[i]), 0);
	CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), -EBUSY);
	for (i = 0; i < 40; i++)
		CHECK_RC(tce_device_unmap_page(o.a, bus[i], 4096), 0);
	for (i = 0; i < 40; i++)
		CHECK_RC(tce_device_unmap_page(o.a, bus[i], 4096), -EINVAL);
	CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), 0);
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	CHECK_RC(tce_host_free(o.h, real, 40 * 4096), 0);
	tt_os_shutdown(&o);
}

/*
 * Direct mode: a coherent buffer is freed only with its own size, real and
 * bus address together; another live buffer's real address with this
 * buffer's bus address is refused and frees neither.
 */
static void coherent_free_exact(void)
{
	uint64_t real[10], bus[10];
	void *cpu;
	unsigned i, j;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	REQUIRE(tce_device_set_dma_mask(o.a, ~0ULL) == 0);
	for (i = 0; i < 10; i++)
		REQUIRE(tce_device_alloc_coherent(o.a, 4096, &real[i], &cpu, &bus[i]) == 0);
	for (i = 0; i < 10; i++)
		for (j = 0; j < 10; j++)
			if (i != j)
				CHECK_RC(tce_device_free_coherent(o.a, 4096, real[j], bus[i]), -EINVAL);
	for (i = 0; i < 10; i++)
		CHECK_RC(tce_device_free_coherent(o.a, 4096, real[i], bus[i]), 0);
	CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), 0);
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	tt_os_shutdown(&o);
}

/* Nothing was ever recorded: a free of a coherent buffer never handed out is refused. */
static void coherent_free_unknown(void)
{
	enum tce_platform p;
	struct tt_os o;

	for (p = TCE_PLATFORM_PSERIES; p <= TCE_PLATFORM_POWERNV; p++) {
		REQUIRE(tt_os_boot(&o, p) == 0);
		CHECK_RC(tce_device_free_coherent(o.a, 4096, 0x100000, 0x100000), -EINVAL);
		CHECK_RC(tce_host_free(o.h, 0x100000, 4096), -EINVAL);
		tt_os_shutdown(&o);
	}
}

/*
 * A direct scatter list whose record fails part-way (the record table must
 * grow for its second segment) leaves nothing mapped: the segments it
 * recorded are forgotten again, and once the pages mapped before it are
 * unmapped the group has no kernel mapping left.
 */
static void direct_sg_fails_midway(void)
{
	struct tce_sg sg[3];
	uint64_t real, bus[11];
	unsigned i, n = 0;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_PSERIES) == 0);
	REQUIRE(tce_device_set_dma_mask(o.a, ~0ULL) == 0);
	REQUIRE(tce_host_alloc(o.h, 16 * 4096, &real, NULL) == 0);
	/* 11 records: the 16-slot table grows when a 13th is added. */
	for (i = 0; i < 11; i++)
		REQUIRE(tce_device_map_page(o.a, real + i * 4096, 4096, TCE_DIR_TO_DEVICE, &bus[i]) == 0);
	memset(sg, 0, sizeof(sg));
	for (i = 0; i < 3; i++)
		sg[i].real = real + (12 + i) * 4096, sg[i].length = 4096;
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 1);
	CHECK_RC(tce_device_map_sg(o.a, sg, 3, TCE_DIR_TO_DEVICE, &n), -ENOMEM);
	CHECK(!tce_ctx_fail_nth_armed(tce_machine_ctx(o.m)));
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 0);
	for (i = 0; i < 11; i++)
		CHECK_RC(tce_device_unmap_page(o.a, bus[i], 4096), 0);
	CHECK_RC(tce_group_take_ownership(tce_device_group(o.a)), 0); /* nothing left behind */
	CHECK_RC(tce_group_release_ownership(tce_device_group(o.a)), 0);
	CHECK_RC(tce_host_free(o.h, real, 16 * 4096), 0);
	tt_os_shutdown(&o);
}

struct prober {
	struct tce_group *g;
	bool done;
};

static void *probe_lock(void *arg)
{
	struct prober *p = arg;

	tce_group_owned(p->g); /* takes the group's lock for reading */
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Another thread can take @g's lock now: the last call gave it back. */
static bool lock_free(struct tce_group *g)
{
	struct prober p = { .g = g };
	struct timespec ts = { 0, 1000000 };
	pthread_t th;
	int i;

	if (pthread_create(&th, NULL, probe_lock, &p))
		return false;
	for (i = 0; i < 5000 && !__atomic_load_n(&p.done, __ATOMIC_ACQUIRE); i++)
		nanosleep(&ts, NULL);
	if (!__atomic_load_n(&p.done, __ATOMIC_ACQUIRE)) {
		pthread_detach(th); /* blocked for good: the test fails, the process ends */
		return false;
	}
	pthread_join(th, NULL);
	return true;
}

/*
 * Every table-group op gives the group's lock back, on success and on
 * error (glibc lets the thread that holds a write lock take it again
 * without blocking, so only another thread sees a lock left held).
 */
static void ops_release_the_lock(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_iommu_table *t, *t2;
	struct tce_group *g;
	struct tt_os o;

	REQUIRE(tt_os_boot(&o, TCE_PLATFORM_POWERNV) == 0);
	g = tce_device_group(o.a);
	CHECK_RC(tce_group_take_ownership(g), 0);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_take_ownership(g), -EBUSY);
	REQUIRE(lock_free(g));
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_create_table(g, &req, &t2), -EBUSY);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_get_table(g, 0, &t2), 0);
	REQUIRE(lock_free(g));
	tce_iommu_table_put(t2);
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_set_window(g, 1, t), -EINVAL); /* a table at bus 0: not where slot 1 decodes */
	REQUIRE(lock_free(g));
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_release_ownership(g), -EINVAL);
	REQUIRE(lock_free(g));
	CHECK_RC(tce_group_unset_window(g, 0), -EPERM);
	REQUIRE(lock_free(g));
	tt_os_shutdown(&o);
}

static void count_errors(void *arg, enum tce_log_level level, const char *msg)
{
	(void)msg;
	if (level <= TCE_LOG_ERR)
		(*(unsigned *)arg)++;
}

/* A healthy run (boot, kernel DMA, an owner's window, release) logs no error. */
static void healthy_logs_no_error(void)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28, .levels = 2 };
	struct tce_iommu_table *t;
	struct tce_machine *m;
	struct tce_group *g;
	uint64_t real, bus;
	unsigned errors = 0;
	struct tt_os o;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	tce_ctx_set_log(tce_machine_ctx(m), count_errors, &errors, TCE_LOG_ERR);
	REQUIRE(tt_os_boot_from(&o, m) == 0);
	g = tce_device_group(o.a);
	REQUIRE(tce_host_alloc(o.h, 4096, &real, NULL) == 0);
	CHECK_RC(tce_device_map_page(o.a, real, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_device_unmap_page(o.a, bus, 4096), 0);
	REQUIRE(tce_group_take_ownership(g) == 0);
	REQUIRE(tce_group_create_table(g, &req, &t) == 0);
	CHECK_RC(tce_group_set_window(g, 0, t), 0);
	CHECK_RC(tce_group_unset_window(g, 0), 0);
	tce_iommu_table_put(t);
	CHECK_RC(tce_group_release_ownership(g), 0);
	CHECK_RC(tce_host_free(o.h, real, 4096), 0);
	CHECK_EQ(errors, 0);
	tt_os_shutdown(&o);
}

static const struct tt_case cases[] = {
	TT_CASE(host_create_args),
	TT_CASE(host_too_little_ram),
	TT_CASE(host_kmem_whole),
	TT_CASE(tgops_args),
	TT_CASE(account_positive_is_enomem),
	TT_CASE(owner_entry_args),
	TT_CASE(coherent_page_aligned),
	TT_CASE(direct_many_mappings),
	TT_CASE(coherent_free_unknown),
	TT_CASE(coherent_free_exact),
	TT_CASE(direct_sg_fails_midway),
	TT_CASE(ops_release_the_lock),
	TT_CASE(healthy_logs_no_error),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
