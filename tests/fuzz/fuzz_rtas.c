/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: sequences of RTAS calls (query, create, remove, reset,
 * the EEH calls and unknown tokens with arbitrary argument and result counts, config
 * addresses, BUIDs, page and window shifts, LIOBNs) on the built-in pseries
 * machine's three PEs (dma-test, the single-slot VF, the I/OAT channel). After every call the reported window count must match the
 * windows that hcalls can reach, created windows must be where create said
 * and empty, and a PE must never be left without any way back (reset always
 * restores the default window), and no call writes past the results it
 * was given.
 */
#include <stdlib.h>
#include <string.h>

#include <tce.h>
#include "fuzz_input.h"

#define NPES 3
#define NLIOBNS 5
static const uint32_t cfgs[NPES] = { 0x0800, 0x1000, 0x1800 };
/* The LIOBNs of each PE's slots: PE 1 (the VF) has one slot, the others two. */
static const uint32_t liobns[NLIOBNS] = { 0x80000000, 0x80000001, 0x80000100, 0x80000200,
					  0x80000201 };
static const unsigned liobn_pe[NLIOBNS] = { 0, 0, 1, 2, 2 };
static const unsigned slots[NPES] = { 2, 1, 2 };
static const uint32_t tokens[9] = { 0x2026, 0x2027, 0x2028, 0x2029, 0x2030,
				    0x2020, 0x2022, 0x2023, 0x2024 };

/* Windows of PE @pe that answer H_GET_TCE at their own first entry. */
static unsigned live_windows(struct tce_machine *m, unsigned pe)
{
	unsigned i, n = 0;

	for (i = 0; i < NLIOBNS; i++) {
		uint64_t a[9] = { liobns[i], 0 }, b[9] = { liobns[i], 1ULL << 59 };

		if (liobn_pe[i] != pe)
			continue;
		n += tce_hv_hcall(m, TCE_H_GET_TCE, a) == TCE_H_SUCCESS ||
		     tce_hv_hcall(m, TCE_H_GET_TCE, b) == TCE_H_SUCCESS;
	}
	return n;
}

static void check(struct tce_machine *m)
{
	uint32_t a[3], r[5];
	unsigned pe;

	for (pe = 0; pe < NPES; pe++) {
		a[0] = cfgs[pe], a[1] = 0x08000000, a[2] = 0x20000000;
		ENSURE(tce_hv_rtas(m, 0x2026, 3, a, 5, r) == 0 && r[0] == 0);
		ENSURE(r[1] + live_windows(m, pe) == slots[pe]);
	}
}

static void call(struct tce_machine *m, struct input *in)
{
	uint32_t token = tokens[take(in, 1) % 9], nargs = take(in, 1) % 7, nret = take(in, 1) % 8;
	uint32_t args[8], rets[8];
	unsigned i;

	for (i = 0; i < nargs; i++) {
		uint32_t sel = take(in, 1);

		args[i] = sel < 64 ? cfgs[sel % NPES] : sel < 128 ? liobns[sel % NLIOBNS]
			: sel < 160 ? 0x08000000 : sel < 192 ? 0x20000000 : take(in, 4);
	}
	if (token == 0x2027 && nargs == 5 && take(in, 1) < 200) {
		args[3] = 12 + take(in, 1) % 24;
		args[4] = args[3] + take(in, 1) % 40;
	}
	memset(rets, 0xa5, sizeof(rets));
	if (!nret) {
		ENSURE(tce_hv_rtas(m, token, nargs, args, nret, rets) == -22);
		return;
	}
	ENSURE(tce_hv_rtas(m, token, nargs, args, nret, rets) == 0);
	ENSURE((int32_t)rets[0] == 0 || (int32_t)rets[0] == -1 || (int32_t)rets[0] == -3);
	for (i = nret; i < 8; i++)
		ENSURE(rets[i] == 0xa5a5a5a5u); /* nothing written past the results asked for */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint32_t a[3] = { 0, 0x08000000, 0x20000000 }, r[1];
	struct tce_machine *m;
	unsigned pe;

	ENSURE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	while (in.n) {
		call(m, &in);
		check(m);
	}
	for (pe = 0; pe < NPES; pe++) {
		a[0] = cfgs[pe];
		ENSURE(tce_hv_rtas(m, 0x2029, 3, a, 1, r) == 0 && r[0] == 0);
	}
	check(m);
	tce_machine_destroy(m);
	return 0;
}
