/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The powernv window firmware calls through <tce.h> on the built-in powernv
 * machine: tce_fw_map_window(), tce_fw_map_window_real() and
 * tce_fw_tce_kill(). Each refusal tce.h lists, made alone, with nothing
 * changed (the device's DMA still goes where it went); a fault point that
 * fails and changes nothing; and the PE's cached TCEs killed whenever a slot
 * is reprogrammed, so the device sees the new translation at once.
 */
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"

#define RAM_A 0x200000ULL
#define RAM_B 0x300000ULL
#define W1 TCE_PNV_WINDOW1_BASE

struct rig {
	struct tce_machine *m;
	struct tce_pci_dev *d; /* PE 0 of PHB 0 */
	struct tce_table *t0, *t1;
};

static struct tce_table *table(struct tce_machine *m, uint64_t bus, uint64_t page, uint64_t real)
{
	struct tce_table_config c = { .bus_offset = bus, .window_size = 1ULL << 24,
				      .page_shift = 12, .levels = 1 };
	struct tce_table *t = NULL;

	CHECK_RC(tce_table_create(tce_machine_ctx(m), &c, &t), 0);
	if (t)
		CHECK_RC(tce_table_set(t, (bus >> 12) + page, 1, real, TCE_DIR_BIDIRECTIONAL), 0);
	return t;
}

/* Slot 0: bus 0x1000 -> RAM_A; slot 1: bus W1 + RAM_A -> RAM_B. */
static int rig(struct rig *r)
{
	*r = (struct rig){ 0 };
	if (tce_machine_create_default(TCE_PLATFORM_POWERNV, &r->m) ||
	    tce_machine_find_device(r->m, "0000:00:01.0", &r->d))
		return -1;
	memset(tce_machine_ram_ptr(r->m, RAM_A, 4096), 0xaa, 4096);
	memset(tce_machine_ram_ptr(r->m, RAM_B, 4096), 0xbb, 4096);
	r->t0 = table(r->m, 0, 1, RAM_A);
	r->t1 = table(r->m, W1, RAM_A >> 12, RAM_B);
	if (!r->t0 || !r->t1)
		return -1;
	if (tce_fw_map_window(r->m, 0, 0, 0, r->t0) || tce_fw_map_window(r->m, 0, 0, 1, r->t1))
		return -1;
	return 0;
}

static void unrig(struct rig *r)
{
	tce_table_put(r->t0);
	tce_table_put(r->t1);
	tce_machine_destroy(r->m);
}

/* The first byte the device reads at @bus, or -1 for a failed DMA (then thawed). */
static int dev_read(struct rig *r, uint64_t bus)
{
	uint8_t b = 0;

	if (tce_dev_dma_read(r->d, bus, &b, 1)) {
		tce_dev_eeh_thaw(r->d);
		return -1;
	}
	return b;
}

/* Both slots translate as rigged. */
static void as_rigged(struct rig *r)
{
	CHECK_EQ(dev_read(r, 0x1010), 0xaa);
	CHECK_EQ(dev_read(r, W1 + RAM_A + 0x10), 0xbb);
}

static void refusals_change_nothing(void)
{
	struct tce_table *bad;
	struct rig r;

	REQUIRE(rig(&r) == 0);
	as_rigged(&r);
	/* Unknown PHB, PE and slot, for each call. */
	CHECK_RC(tce_fw_map_window(r.m, 1, 0, 0, r.t0), -EINVAL); /* the built-in tree has one PHB */
	CHECK_RC(tce_fw_map_window(r.m, 7, 0, 0, r.t1), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 0, 100000, 0, r.t1), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 1u << 24, 0, 0, r.t0), -EINVAL);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 2, r.t1), -EINVAL); /* t1 would fit a slot >= 1 */
	CHECK_RC(tce_fw_map_window_real(r.m, 7, 0, 1, W1, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 1u << 24, 0, 1, W1, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 100000, 1, W1, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 2, W1, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_tce_kill(r.m, 7, 0, 12, 0x1000, 1), -EINVAL);
	CHECK_RC(tce_fw_tce_kill(r.m, 1u << 24, 0, 12, 0x1000, 1), -EINVAL);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 100000, 12, 0x1000, 1), -EINVAL);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 11, 0x1000, 1), -EINVAL);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 35, 0x1000, 1), -EINVAL);
	/* A table in the other slot's half of the bus. */
	bad = table(r.m, W1, 0, RAM_A);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, bad), -EINVAL);
	tce_table_put(bad);
	/* Real mode: sizes that are not powers of two, ranges leaving the slot's half. */
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1, 3ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1 - 4096, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1 + (W1 - (1ULL << 29)), 1ULL << 30),
		 -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 0, W1, 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, 2 * W1 + (1ULL << 30), 1ULL << 30), -EINVAL);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 0, W1 + (1ULL << 30), 1ULL << 30), -EINVAL);
	as_rigged(&r);
	unrig(&r);
}

/* Both programming calls are fault points: -EIO and the slot as it was. */
static void fault_points_change_nothing(void)
{
	struct rig r;

	REQUIRE(rig(&r) == 0);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 1);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1, 1ULL << 30), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 1);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, NULL), -EIO);
	tce_ctx_set_fail_nth(tce_machine_ctx(r.m), 0);
	as_rigged(&r);
	unrig(&r);
}

/* pseries has no OPAL: every window call is -EOPNOTSUPP. */
static void pseries_has_no_opal(void)
{
	struct tce_machine *m;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	CHECK_RC(tce_fw_map_window(m, 0, 0, 0, NULL), -EOPNOTSUPP);
	CHECK_RC(tce_fw_map_window_real(m, 0, 0, 1, W1, 1ULL << 30), -EOPNOTSUPP);
	CHECK_RC(tce_fw_tce_kill(m, 0, 0, 12, 0, 1), -EOPNOTSUPP);
	tce_machine_destroy(m);
}

/* Reprogramming a slot kills the PE's cached TCEs: the device sees the new window at once. */
static void reprogramming_kills_cached_tces(void)
{
	struct tce_table *t;
	struct rig r;

	REQUIRE(rig(&r) == 0);
	as_rigged(&r); /* both translations now cached */
	/* Slot 0 to a table that sends bus 0x1000 to RAM_B. */
	t = table(r.m, 0, 1, RAM_B);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t), 0);
	CHECK_EQ(dev_read(&r, 0x1010), 0xbb);
	/* Slot 1 to real mode: bus W1 + RAM_A reaches real RAM_A. */
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1, 1ULL << 30), 0);
	CHECK_EQ(dev_read(&r, W1 + RAM_A + 0x10), 0xaa);
	/* Slot 0 disabled: nothing decodes there any more. */
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, NULL), 0);
	CHECK_EQ(dev_read(&r, 0x1010), -1);
	/* Slot 1 disabled too. */
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, 0, 0), 0);
	CHECK_EQ(dev_read(&r, W1 + RAM_A + 0x10), -1);
	tce_table_put(t);
	unrig(&r);
}

/* What each call accepts at the edges of its ranges. */
static void edges_accepted(void)
{
	struct tce_table *t;
	struct rig r;

	REQUIRE(rig(&r) == 0);
	/* Tables that end exactly where their slot's half of the bus ends. */
	t = table(r.m, W1 - (1ULL << 24), 0, RAM_A);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 0, t), 0);
	tce_table_put(t);
	t = table(r.m, 2 * W1 - (1ULL << 24), 0, RAM_A);
	CHECK_RC(tce_fw_map_window(r.m, 0, 0, 1, t), 0);
	tce_table_put(t);
	/* Real windows at the start of slot 0 and filling the rest of slot 1's half. */
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 0, 0, 1ULL << 30), 0);
	CHECK_EQ(dev_read(&r, RAM_A + 0x10), 0xaa);
	CHECK_RC(tce_fw_map_window_real(r.m, 0, 0, 1, W1 + W1 / 2, W1 / 2), 0);
	CHECK_EQ(dev_read(&r, W1 + W1 / 2 + RAM_B), 0xbb);
	/* Kills of the largest and smallest page shifts. */
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 34, 0, 1), 0);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 12, 0, 1), 0);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 40, 0, 0), 0); /* a whole-PE kill ignores the shift */
	unrig(&r);
}

/*
 * The OS owns a powernv table and writes it directly: the device keeps
 * using a cached TCE until the OS kills it, by range or for the whole PE.
 */
static void kill_makes_os_writes_visible(void)
{
	struct rig r;

	REQUIRE(rig(&r) == 0);
	as_rigged(&r);
	CHECK_RC(tce_table_set(r.t0, 1, 1, RAM_B, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_EQ(dev_read(&r, 0x1010), 0xaa); /* stale until killed */
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 12, 0x1000, 1), 0);
	CHECK_EQ(dev_read(&r, 0x1010), 0xbb);
	CHECK_RC(tce_table_set(r.t1, (W1 + RAM_A) >> 12, 1, RAM_A, TCE_DIR_BIDIRECTIONAL), 0);
	CHECK_EQ(dev_read(&r, W1 + RAM_A + 0x10), 0xbb);
	CHECK_RC(tce_fw_tce_kill(r.m, 0, 0, 12, 0, 0), 0);
	CHECK_EQ(dev_read(&r, W1 + RAM_A + 0x10), 0xaa);
	unrig(&r);
}

static const struct tt_case cases[] = {
	TT_CASE(refusals_change_nothing),
	TT_CASE(fault_points_change_nothing),
	TT_CASE(pseries_has_no_opal),
	TT_CASE(reprogramming_kills_cached_tces),
	TT_CASE(edges_accepted),
	TT_CASE(kill_makes_os_writes_visible),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
