/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the OS side: host creation, every table-group op
 * (take and release ownership, create table, set and unset window) and DDW
 * enabling, on both platforms. Each failure returns an errno (never a
 * firmware or hypervisor status), leaves the group usable (release, then
 * kernel DMA works), refunds all accounting, and destroying everything
 * leaks nothing.
 */
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define MAX_POINTS 300

static bool errno_like(int rc)
{
	/* -ENODEV: a pseries owner's DDW the hypervisor failed (remembered, spec kernel.md §6.3). */
	return rc == 0 || rc == -ENOMEM || rc == -EIO || rc == -EINVAL || rc == -ENOSPC ||
	       rc == -ENODEV;
}

/* Host creation on each machine and profile (both host page sizes). */
static void sweep_host_create(void)
{
	static const struct {
		enum tce_platform p;
		struct tce_host_config cfg;
	} v[] = { { TCE_PLATFORM_PSERIES, { TCE_OS_DEFAULT, 0 } },
		  { TCE_PLATFORM_POWERNV, { TCE_OS_DEFAULT, 0 } },
		  { TCE_PLATFORM_POWERNV, { TCE_OS_DEFAULT, 12 } },
		  { TCE_PLATFORM_PSERIES, { TCE_OS_LEGACY, 12 } } };
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tce_ctx *ctx = tt_ctx();
		struct tce_machine *m = tt_machine(ctx, v[i].p);
		struct tce_mem_stats before, after;
		struct tce_host *h = NULL;
		uint64_t n;
		int rc = -1;

		REQUIRE(m);
		tce_ctx_mem_stats(ctx, &before);
		for (n = 1; n < MAX_POINTS && rc; n++) {
			tce_ctx_set_fail_nth(ctx, n);
			rc = tce_host_create_config(m, &v[i].cfg, &h);
			tce_ctx_set_fail_nth(ctx, 0);
			CHECK(errno_like(rc));
			if (rc) {
				tce_ctx_mem_stats(ctx, &after);
				CHECK_EQ(after.live_allocs, before.live_allocs);
			}
		}
		CHECK_RC(rc, 0);
		CHECK(n > 5);
		/* The host that finally boots is whole: the three PEs' groups, each device in its own. */
		CHECK_EQ(tce_host_ngroups(h), 3);
		{
			static const char *const names[] = { "0000:00:01.0", "0000:00:02.0",
							     "0000:00:03.0" };
			struct tce_device *d;
			unsigned j;

			for (j = 0; j < 3; j++) {
				CHECK_RC(tce_host_find_device(h, names[j], &d), 0);
				CHECK(tce_device_group(d) == tce_host_group(h, j));
			}
		}
		tce_host_destroy(h);
		tce_machine_destroy(m);
		tt_ctx_done(ctx);
	}
}

/* The machine's windows of the PE of @d, as the hardware holds them. */
static void pe_windows(struct tce_machine *m, struct tce_device *d, struct tce_pe_info *out)
{
	struct tce_group_info gi;

	tce_group_info(tce_device_group(d), &gi);
	memset(out, 0, sizeof(*out));
	CHECK_RC(tce_machine_pe(m, gi.phb, gi.pe, out), 0);
	out->frozen = false;
}

/* The whole owner sequence; returns the first error. */
static int owner_sequence(struct tce_machine *m, struct tce_device *d, struct tt_account *acct,
			  uint32_t num, uint32_t shift, uint64_t size)
{
	struct tce_group *g = tce_device_group(d);
	struct tce_window_req req = { .num = num, .page_shift = shift, .window_size = size,
				      .levels = 1, .account = tt_account_fn, .account_arg = acct };
	struct tce_iommu_table *t = NULL;
	uint64_t a = 0x1000000;
	enum tce_dir dir = TCE_DIR_BIDIRECTIONAL;
	struct tce_iommu_table_info ti;
	struct tce_pe_info before, after;
	int rc = tce_group_take_ownership(g);
	unsigned i;

	if (rc)
		return rc;
	pe_windows(m, d, &before);
	rc = tce_group_create_table(g, &req, &t);
	if (rc) { /* a failed create leaves no window behind */
		pe_windows(m, d, &after);
		for (i = 0; i < TCE_MAX_WINDOWS; i++)
			CHECK_EQ(after.slot[i].enabled, before.slot[i].enabled);
	}
	if (!rc)
		rc = tce_group_set_window(g, num, t);
	if (!rc) {
		tce_iommu_table_info(t, &ti);
		rc = tce_iommu_table_xchg(t, ti.first_idx + 1, &a, &dir);
	}
	if (!rc)
		rc = tce_group_unset_window(g, num);
	tce_iommu_table_put(t);
	return rc;
}

/*
 * After any failure: release works, the kernel maps again, nothing is
 * charged, and the hardware holds exactly the windows it held at boot (no
 * window the hypervisor opened is left behind).
 */
static void recover(struct tce_machine *m, struct tce_group *g, struct tce_device *d,
		    struct tt_account *acct, const struct tce_pe_info *boot)
{
	struct tce_pe_info now;
	uint64_t bus;
	unsigned i;

	if (tce_group_owned(g))
		CHECK_RC(tce_group_release_ownership(g), 0);
	CHECK_EQ(acct->balance, 0);
	CHECK_RC(tce_device_map_page(d, 0x2000000, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
	pe_windows(m, d, &now);
	for (i = 0; i < TCE_MAX_WINDOWS; i++) {
		CHECK_EQ(now.slot[i].enabled, boot->slot[i].enabled);
		CHECK_EQ(now.slot[i].bus_start, boot->slot[i].bus_start);
		CHECK_EQ(now.slot[i].size, boot->slot[i].size);
	}
}

static void sweep_owner(enum tce_platform p, const char *dev, uint32_t num, uint32_t shift,
			uint64_t size)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_account acct = { 0 };
	uint64_t n;
	int rc = -1;

	bool armed = false;

	for (n = 1; n < MAX_POINTS && !armed && !tt_failed(); n++) {
		struct tce_machine *m = tt_machine(ctx, p);
		struct tce_host *h = NULL;
		struct tce_device *d;

		struct tce_pe_info boot;

		REQUIRE(m && tce_host_create(m, &h) == 0);
		REQUIRE(tce_host_find_device(h, dev, &d) == 0);
		pe_windows(m, d, &boot);
		tce_ctx_set_fail_nth(ctx, n);
		rc = owner_sequence(m, d, &acct, num, shift, size);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK(errno_like(rc));
		recover(m, tce_device_group(d), d, &acct, &boot);
		tce_host_destroy(h);
		tce_machine_destroy(m);
		tt_no_leak(ctx);
	}
	CHECK_RC(rc, 0);
	CHECK(n > 4);
	tt_ctx_done(ctx);
}

static void sweep_owner_pseries_default(void)
{
	sweep_owner(TCE_PLATFORM_PSERIES, "0000:00:01.0", 0, 12, 1 << 28);
}

static void sweep_owner_pseries_ddw(void)
{
	sweep_owner(TCE_PLATFORM_PSERIES, "0000:00:01.0", 1, 16, 1ULL << 32);
}

static void sweep_owner_pseries_vf(void)
{
	sweep_owner(TCE_PLATFORM_PSERIES, "0000:00:02.0", 0, 16, 1ULL << 30);
}

static void sweep_owner_powernv(void)
{
	sweep_owner(TCE_PLATFORM_POWERNV, "0000:00:01.0", 1, 16, 1ULL << 32);
}

/* DDW enabling under faults: the device ends on a working window, whichever. */
static void sweep_ddw(void)
{
	static const char *const devs[2] = { "0000:00:01.0", "0000:00:02.0" };
	unsigned k;

	for (k = 0; k < 2; k++) {
		struct tce_ctx *ctx = tt_ctx();
		struct tce_device_dma_info di = { 0 };
		bool armed = false;
		uint64_t n;

		for (n = 1; n < MAX_POINTS && !tt_failed(); n++) {
			struct tce_machine *m = tt_machine(ctx, TCE_PLATFORM_PSERIES);
			struct tce_host *h = NULL;
			struct tce_device *d;
			uint64_t bus;

			REQUIRE(m && tce_host_create(m, &h) == 0);
			REQUIRE(tce_host_find_device(h, devs[k], &d) == 0);
			tce_ctx_set_fail_nth(ctx, n);
			CHECK_RC(tce_device_set_dma_mask(d, ~0ULL), 0);
			armed = tce_ctx_fail_nth_armed(ctx);
			tce_ctx_set_fail_nth(ctx, 0);
			tce_device_dma_info(d, &di);
			CHECK(di.mode == TCE_DMA_DIRECT || (di.mode == TCE_DMA_DEFAULT && di.ddw_failed));
			CHECK_RC(tce_device_map_page(d, 0x3000000, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
			CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
			tce_host_destroy(h);
			tce_machine_destroy(m);
			tt_no_leak(ctx);
			if (armed)
				break;
		}
		CHECK(n > 3);
		tt_ctx_done(ctx);
	}
}

/*
 * Release (and take) under faults, then retried without: the retry
 * succeeds, the kernel maps again, and nothing leaks (a retried release
 * used to leak the kernel's DMA object of the first attempt).
 */
static void sweep_hand_off(enum tce_platform p, enum tce_os_profile profile, bool release)
{
	struct tce_host_config cfg = { .profile = profile };
	struct tce_ctx *ctx = tt_ctx();
	bool armed = false;
	uint64_t n;

	for (n = 1; n < MAX_POINTS && !armed && !tt_failed(); n++) {
		struct tce_machine *m = tt_machine(ctx, p);
		struct tce_host *h = NULL;
		struct tce_device *d;
		struct tce_group *g;
		uint64_t bus;
		int rc;

		REQUIRE(m && tce_host_create_config(m, &cfg, &h) == 0);
		REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
		g = tce_device_group(d);
		if (release) {
			REQUIRE(tce_group_take_ownership(g) == 0);
		} else { /* the kernel's table has a written chunk: take clears it */
			REQUIRE(tce_device_map_page(d, 0x2000000, 4096, TCE_DIR_TO_DEVICE, &bus) == 0);
			REQUIRE(tce_device_unmap_page(d, bus, 4096) == 0);
		}
		tce_ctx_set_fail_nth(ctx, n);
		rc = release ? tce_group_release_ownership(g) : tce_group_take_ownership(g);
		armed = tce_ctx_fail_nth_armed(ctx);
		tce_ctx_set_fail_nth(ctx, 0);
		CHECK(errno_like(rc));
		if (tce_group_owned(g))
			CHECK_RC(tce_group_release_ownership(g), 0);
		CHECK(!tce_group_owned(g));
		CHECK_RC(tce_device_map_page(d, 0x2000000, 4096, TCE_DIR_TO_DEVICE, &bus), 0);
		CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
		tce_host_destroy(h);
		tce_machine_destroy(m);
		tt_no_leak(ctx);
	}
	CHECK(armed);
	CHECK(n > 2); /* legacy take allocates the owner's table */
	tt_ctx_done(ctx);
}

static void sweep_release_powernv(void)
{
	sweep_hand_off(TCE_PLATFORM_POWERNV, TCE_OS_DEFAULT, true);
}

static void sweep_release_pseries(void)
{
	sweep_hand_off(TCE_PLATFORM_PSERIES, TCE_OS_DEFAULT, true);
}

static void sweep_release_legacy(void)
{
	sweep_hand_off(TCE_PLATFORM_PSERIES, TCE_OS_LEGACY, true);
}

static void sweep_take_all(void)
{
	sweep_hand_off(TCE_PLATFORM_POWERNV, TCE_OS_DEFAULT, false);
	sweep_hand_off(TCE_PLATFORM_PSERIES, TCE_OS_DEFAULT, false);
	sweep_hand_off(TCE_PLATFORM_PSERIES, TCE_OS_LEGACY, false);
}

/*
 * The kernel DMA API in direct and bypass modes under faults (its records
 * of mappings and of kernel memory allocate): each map fails whole with
 * -ENOMEM or succeeds and unmaps exactly; afterwards nothing is left
 * mapped (the owner can take the group) and nothing leaked.
 */
static int direct_ops(struct tce_host *h, struct tce_device *d)
{
	struct tce_sg sg[2] = { { .real = 0x10000, .length = 4096 }, { .real = 0x30000, .length = 8 } };
	uint64_t bus, real, cbus;
	unsigned n;
	void *cpu;
	int rc = tce_device_map_page(d, 0x20000, 4096, TCE_DIR_TO_DEVICE, &bus);

	if (rc)
		return rc;
	CHECK_RC(tce_device_unmap_page(d, bus, 4096), 0);
	rc = tce_device_map_sg(d, sg, 2, TCE_DIR_FROM_DEVICE, &n);
	if (rc)
		return rc;
	CHECK_RC(tce_device_unmap_sg(d, sg, n), 0);
	rc = tce_device_alloc_coherent(d, 4096, &real, &cpu, &cbus);
	if (rc)
		return rc;
	CHECK_RC(tce_device_free_coherent(d, 4096, real, cbus), 0);
	rc = tce_host_alloc(h, 100, &real, NULL);
	if (!rc)
		CHECK_RC(tce_host_free(h, real, 100), 0);
	return rc;
}

/*
 * A fail-Nth sweep of @ops on device 0000:00:01.0 of a fresh host on each
 * built-in machine (after @prepare, unarmed): each failure one of
 * @allowed, then @after checks the group is whole; nothing leaks; at least
 * @min_points fault points.
 */
struct sweep {
	int (*prepare)(struct tce_host *h, struct tce_device *d);
	int (*ops)(struct tce_host *h, struct tce_device *d);
	void (*after)(struct tce_host *h, struct tce_device *d);
	int allowed;
	uint64_t min_points;
};

static void sweep_run(const struct sweep *sw)
{
	static const enum tce_platform ps[2] = { TCE_PLATFORM_PSERIES, TCE_PLATFORM_POWERNV };
	unsigned k;

	for (k = 0; k < 2; k++) {
		struct tce_ctx *ctx = tt_ctx();
		bool armed = false;
		uint64_t n;
		int rc = -1;

		for (n = 1; n < MAX_POINTS && !armed && !tt_failed(); n++) {
			struct tce_machine *m = tt_machine(ctx, ps[k]);
			struct tce_host *h = NULL;
			struct tce_device *d;

			REQUIRE(m && tce_host_create(m, &h) == 0);
			REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
			REQUIRE(!sw->prepare || sw->prepare(h, d) == 0);
			tce_ctx_set_fail_nth(ctx, n);
			rc = sw->ops(h, d);
			armed = tce_ctx_fail_nth_armed(ctx);
			tce_ctx_set_fail_nth(ctx, 0);
			CHECK(rc == 0 || rc == sw->allowed);
			sw->after(h, d);
			tce_host_destroy(h);
			tce_machine_destroy(m);
			tt_no_leak(ctx);
		}
		CHECK_RC(rc, 0);
		CHECK(n > sw->min_points);
		tt_ctx_done(ctx);
	}
}

static int mask_64(struct tce_host *h, struct tce_device *d)
{
	(void)h;
	return tce_device_set_dma_mask(d, ~0ULL);
}

/* Nothing is left mapped: an owner can take the group. */
static void nothing_mapped(struct tce_host *h, struct tce_device *d)
{
	(void)h;
	CHECK_RC(tce_group_take_ownership(tce_device_group(d)), 0);
	CHECK_RC(tce_group_release_ownership(tce_device_group(d)), 0);
}

static void sweep_direct_dma(void)
{
	/* The records' first table is the one allocation of the sequence. */
	const struct sweep sw = { .prepare = mask_64, .ops = direct_ops, .after = nothing_mapped,
				  .allowed = -ENOMEM, .min_points = 2 };

	sweep_run(&sw);
}

/* The group's EEH ops: each firmware call a fault point (-EIO), recoverable. */
static int eeh_ops(struct tce_group *g)
{
	uint32_t st;
	int rc = tce_group_eeh_get_state(g, &st);

	if (!rc)
		rc = tce_group_eeh_inject(g, 0, TCE_EEH_ERR_FUNC_LD_MEM_ADDR, 0, 0);
	if (!rc)
		rc = tce_group_eeh_unfreeze_mmio(g);
	if (!rc)
		rc = tce_group_eeh_unfreeze_dma(g);
	if (!rc)
		rc = tce_group_eeh_reset(g, TCE_EEH_RESET_FUNDAMENTAL);
	if (!rc)
		rc = tce_group_eeh_reset(g, TCE_EEH_RESET_DEACTIVATE);
	return rc;
}

static int eeh_ops_dev(struct tce_host *h, struct tce_device *d)
{
	(void)h;
	return eeh_ops(tce_device_group(d));
}

/* Recover as a driver would: reset and deactivate; the PE is NORMAL again. */
static void eeh_recovered(struct tce_host *h, struct tce_device *d)
{
	uint32_t st = 99;

	(void)h;
	CHECK_RC(tce_group_eeh_reset(tce_device_group(d), TCE_EEH_RESET_HOT), 0);
	CHECK_RC(tce_group_eeh_reset(tce_device_group(d), TCE_EEH_RESET_DEACTIVATE), 0);
	CHECK_RC(tce_group_eeh_get_state(tce_device_group(d), &st), 0);
	CHECK_EQ(st, TCE_EEH_PE_STATE_NORMAL);
}

static void sweep_eeh(void)
{
	const struct sweep sw = { .ops = eeh_ops_dev, .after = eeh_recovered, .allowed = -EIO,
				  .min_points = 5 };

	sweep_run(&sw);
}

static const struct tt_case cases[] = {
	TT_CASE(sweep_host_create),
	TT_CASE(sweep_owner_pseries_default),
	TT_CASE(sweep_owner_pseries_ddw),
	TT_CASE(sweep_owner_pseries_vf),
	TT_CASE(sweep_owner_powernv),
	TT_CASE(sweep_ddw),
	TT_CASE(sweep_release_powernv),
	TT_CASE(sweep_release_pseries),
	TT_CASE(sweep_release_legacy),
	TT_CASE(sweep_take_all),
	TT_CASE(sweep_direct_dma),
	TT_CASE(sweep_eeh),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
