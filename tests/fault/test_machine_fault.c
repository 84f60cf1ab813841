/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the machine: creating the built-in machines, an
 * RTAS create (a new hypervisor table), an hcall that needs a new table
 * level, H_STUFF_TCE of a poison value over several new levels, a device
 * DMA and a DMA-test copy. Each failure reports its
 * documented error and leaves nothing leaked and nothing half-changed.
 */
#include <errno.h>
#include <string.h>

#include <tce.h>

#include "harness.h"
#include "tt_table.h"

#define MAX_POINTS 100

static void sweep_create(enum tce_platform p)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine *ref = NULL, *m = NULL;
	struct tce_machine_config cfg = { .ctx = ctx };
	uint64_t n;
	int rc;

	REQUIRE(tce_machine_create_default(p, &ref) == 0);
	cfg.dtb = tce_machine_fdt(ref);
	cfg.dtb_size = tce_machine_fdt_size(ref);
	for (n = 1; n < MAX_POINTS; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_machine_create(&cfg, &m);
		if (tce_ctx_fail_nth_armed(ctx))
			break;
		CHECK_RC(rc, -ENOMEM);
		tt_no_leak(ctx);
	}
	CHECK_RC(rc, 0);
	CHECK(n > 5);
	tce_ctx_set_fail_nth(ctx, 0);
	tce_machine_destroy(m);
	tce_machine_destroy(ref);
	tt_ctx_done(ctx);
}

static void sweep_create_pseries(void)
{
	sweep_create(TCE_PLATFORM_PSERIES);
}

static void sweep_create_powernv(void)
{
	sweep_create(TCE_PLATFORM_POWERNV);
}

/* An operation under fault injection, and the check of what it left. */
struct hv_op {
	bool (*run)(struct tce_machine *m);
	void (*verify)(struct tce_machine *m, bool ok);
};

static const uint32_t create_args[5] = { 0x800, 0x08000000, 0x20000000, 16, 40 };

/* RTAS create: a hardware error (-1) when the table cannot be allocated. */
static bool create_run(struct tce_machine *m)
{
	uint32_t r[4];

	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, create_args, 4, r), 0);
	CHECK(r[0] == 0 || (int32_t)r[0] == TCE_RTAS_HW_ERROR);
	return r[0] == 0;
}

static void create_verify(struct tce_machine *m, bool ok)
{
	uint32_t q[5];

	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, create_args, 5, q), 0);
	CHECK_EQ(q[0], 0);
	CHECK_EQ(q[1], ok ? 0 : 1); /* nothing half-created */
}

/* H_PUT_TCE deep in a DDW: H_HARDWARE or H_NOT_ENOUGH_RESOURCES, entry unchanged. */
static bool put_run(struct tce_machine *m)
{
	uint64_t args[9] = { 0x80000001ULL, (1ULL << 59) + (1ULL << 36), 0x10000 | 3 };
	long rc = tce_hv_hcall(m, TCE_H_PUT_TCE, args);

	CHECK(rc == TCE_H_SUCCESS || rc == TCE_H_HARDWARE || rc == TCE_H_NOT_ENOUGH_RESOURCES);
	return rc == TCE_H_SUCCESS;
}

static void put_verify(struct tce_machine *m, bool ok)
{
	uint64_t get[9] = { 0x80000001ULL, (1ULL << 59) + (1ULL << 36) };

	CHECK_EQ(tce_hv_hcall(m, TCE_H_GET_TCE, get), TCE_H_SUCCESS);
	CHECK_EQ(get[0], ok ? (0x10000 | 3) : 0);
}

/* H_STUFF_TCE of a poison value over many leaves of a DDW: all or nothing. */
#define STUFF_BUS ((1ULL << 59) + (1ULL << 30))
#define STUFF_COUNT (3ULL << 13) /* 3 leaf blocks of 8192 entries of 64 KiB pages */

static bool stuff_run(struct tce_machine *m)
{
	uint64_t args[9] = { 0x80000001ULL, STUFF_BUS - 0x10000, 0xdead0000ULL, STUFF_COUNT };
	long rc = tce_hv_hcall(m, TCE_H_STUFF_TCE, args);

	CHECK(rc == TCE_H_SUCCESS || rc == TCE_H_HARDWARE || rc == TCE_H_NOT_ENOUGH_RESOURCES);
	return rc == TCE_H_SUCCESS;
}

static void stuff_verify(struct tce_machine *m, bool ok)
{
	uint64_t i, args[9];

	for (i = 0; i < STUFF_COUNT; i += 4095) {
		args[0] = 0x80000001ULL, args[1] = STUFF_BUS - 0x10000 + (i << 16);
		CHECK_EQ(tce_hv_hcall(m, TCE_H_GET_TCE, args), TCE_H_SUCCESS);
		CHECK_EQ(args[0], ok ? 0xdead0000ULL : 0);
	}
}

static void sweep_hv(const struct hv_op *op, bool with_ddw)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine *m;
	uint32_t r[4];
	uint64_t n;
	bool ok = false;

	for (n = 1; n < MAX_POINTS && !ok && !tt_failed(); n++) {
		m = tt_machine(ctx, TCE_PLATFORM_PSERIES);
		REQUIRE(m);
		if (with_ddw)
			CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, create_args, 4, r), 0);
		tce_ctx_set_fail_nth(ctx, n);
		ok = op->run(m);
		tce_ctx_set_fail_nth(ctx, 0);
		op->verify(m, ok);
		tce_machine_destroy(m);
		tt_no_leak(ctx);
	}
	CHECK(ok);
	CHECK(n > 2); /* at least one failure was injected */
	tt_ctx_done(ctx);
}

static void sweep_rtas_create(void)
{
	static const struct hv_op op = { create_run, create_verify };

	sweep_hv(&op, false);
}

static void sweep_hcall(void)
{
	static const struct hv_op op = { put_run, put_verify };

	sweep_hv(&op, true);
}

/* A DMA over more pages than fit the device's on-stack plan allocates one. */
#define DMA_PAGES 40

static void sweep_stuff_poison(void)
{
	static const struct hv_op op = { stuff_run, stuff_verify };

	sweep_hv(&op, true);
}

static void sweep_device_dma(void)
{
	struct tce_ctx *ctx = tt_ctx();
	static uint8_t buf[DMA_PAGES << 12];
	uint64_t n, i, args[9];
	struct tce_pci_dev *d;
	struct tce_machine *m;
	int rc = -1;

	for (n = 1; n < MAX_POINTS && rc; n++) {
		m = tt_machine(ctx, TCE_PLATFORM_PSERIES);
		REQUIRE(m && tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
		for (i = 0; i < DMA_PAGES; i++) {
			args[0] = 0x80000000ULL, args[1] = (1 + i) << 12, args[2] = 0x200000 | 3;
			CHECK_EQ(tce_hv_hcall(m, TCE_H_PUT_TCE, args), TCE_H_SUCCESS);
		}
		tce_ctx_set_fail_nth(ctx, n);
		rc = tce_dev_dma_read(d, 0x1000, buf, sizeof(buf));
		CHECK(rc == 0 || rc == -ENOMEM);
		CHECK(!tce_dev_eeh_frozen(d, NULL)); /* running out of memory is not a DMA fault */
		tce_ctx_set_fail_nth(ctx, 0);
		tce_machine_destroy(m);
		tt_no_leak(ctx);
	}
	CHECK_RC(rc, 0);
	CHECK(n > 2); /* the plan's allocation failed once */
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(sweep_create_pseries),
	TT_CASE(sweep_create_powernv),
	TT_CASE(sweep_rtas_create),
	TT_CASE(sweep_hcall),
	TT_CASE(sweep_stuff_poison),
	TT_CASE(sweep_device_dma),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
