/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: sequences of TCE hcalls (put, get, stuff, indirect with
 * arbitrary LIOBNs, IOBAs, TCEs, counts and list addresses) and device DMA
 * on the built-in pseries machine, against a model of PE 0's default window
 * written from DECISIONS.md's rules: every status, every stored TCE and
 * every DMA result must agree.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <tce.h>
#include "fuzz_input.h"

#define LIOBN 0x80000000ULL
#define ENTRIES (1ULL << 19) /* 2 GiB of 4 KiB pages */
#define RAM (4ULL << 30)
#define LIST 0x7000ULL

static uint64_t model[ENTRIES];

/* An IOBA: mostly in the window, sometimes misaligned or outside. */
static uint64_t take_ioba(struct input *in)
{
	uint64_t sel = take(in, 1), v = take(in, 3);

	if (sel < 200)
		return (v % ENTRIES) << 12;
	if (sel < 220)
		return ((ENTRIES - 1 - v % 4) << 12) | (sel & 1 ? 0 : 0x800);
	return v * 0x1357;
}

static uint64_t take_tce(struct input *in)
{
	uint64_t sel = take(in, 1), page = take(in, 3) & 0xfffff;

	if (sel < 40)
		return 0;
	if (sel < 230)
		return (page << 12) | (sel & 3);
	return take(in, 8);
}

/*
 * The model's verdict on a TCE (KVM's validation): anything without a
 * permission; with one, a 4 KiB-aligned page of RAM and no reserved bits.
 * An accepted TCE is stored as written (DECISIONS 22).
 */
static bool tce_ok(uint64_t tce)
{
	uint64_t addr = tce & ~3ULL;

	if (!(tce & 3))
		return true;
	return !(addr & 0xfff) && addr < RAM;
}

static bool range_ok(uint64_t ioba, uint64_t n)
{
	return !(ioba & 0xfff) && n && (ioba >> 12) < ENTRIES && n <= ENTRIES - (ioba >> 12);
}

static void do_put(struct tce_machine *m, struct input *in)
{
	uint64_t ioba = take_ioba(in), tce = take_tce(in), a[9] = { LIOBN, ioba, tce };
	long want = range_ok(ioba, 1) && tce_ok(tce) ? TCE_H_SUCCESS : TCE_H_PARAMETER;

	ENSURE(tce_hv_hcall(m, TCE_H_PUT_TCE, a) == want);
	if (want == TCE_H_SUCCESS)
		model[ioba >> 12] = tce;
}

static void do_get(struct tce_machine *m, struct input *in)
{
	uint64_t ioba = take_ioba(in), a[9] = { LIOBN, ioba };
	long rc = tce_hv_hcall(m, TCE_H_GET_TCE, a);

	ENSURE(rc == (range_ok(ioba, 1) ? TCE_H_SUCCESS : TCE_H_PARAMETER));
	if (!rc)
		ENSURE(a[0] == model[ioba >> 12]);
}

static void do_stuff(struct tce_machine *m, struct input *in)
{
	uint64_t ioba = take_ioba(in), val = take(in, 1) & 0x7, n = take(in, 2), i, a[9];
	long want;

	if (val == 4)
		val = take(in, 8) & ~3ULL; /* a poison value */
	a[0] = LIOBN, a[1] = ioba, a[2] = val, a[3] = n;
	want = range_ok(ioba, n) && !(val & 3) ? TCE_H_SUCCESS : TCE_H_PARAMETER;

	ENSURE(tce_hv_hcall(m, TCE_H_STUFF_TCE, a) == want);
	for (i = 0; want == TCE_H_SUCCESS && i < n; i++)
		model[(ioba >> 12) + i] = val;
}

static void do_indirect(struct tce_machine *m, struct input *in)
{
	uint64_t ioba = take_ioba(in), n = take(in, 2) % 600, list = LIST, i, tces[600];
	uint64_t *ram = tce_machine_ram_ptr(m, LIST, 4096), a[9];
	bool ok = n && n <= 512 && range_ok(ioba, n);

	if (take(in, 1) == 0xff)
		list = take(in, 5);
	for (i = 0; i < n && i < 512; i++) {
		tces[i] = take_tce(in);
		ram[i] = htobe64(tces[i]);
		ok = ok && tce_ok(tces[i]);
	}
	ok = ok && list == LIST;
	a[0] = LIOBN, a[1] = ioba, a[2] = list, a[3] = n;
	if (list != LIST && !(list & 0xfff) && list + n * 8 <= RAM)
		return; /* another page of RAM: the model does not know its contents */
	ENSURE(tce_hv_hcall(m, TCE_H_PUT_TCE_INDIRECT, a) == (ok ? TCE_H_SUCCESS : TCE_H_PARAMETER));
	for (i = 0; ok && i < n; i++)
		model[(ioba >> 12) + i] = tces[i];
}

static void do_dma(struct tce_machine *m, struct tce_pci_dev *d, struct input *in)
{
	uint64_t ioba = take_ioba(in) | (take(in, 2) & 0xfff), tce;
	bool write = take(in, 1) & 1;
	uint8_t buf[16] = { 0 };
	int rc, want;

	if ((ioba >> 12) >= ENTRIES || (ioba & 0xfff) > 0x1000 - sizeof(buf))
		return;
	tce = model[ioba >> 12];
	want = (tce & (write ? 2 : 1)) ? 0 : -14;
	rc = write ? tce_dev_dma_write(d, ioba, buf, sizeof(buf))
		   : tce_dev_dma_read(d, ioba, buf, sizeof(buf));
	ENSURE(rc == want);
	tce_dev_eeh_thaw(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct tce_machine *m;
	struct tce_pci_dev *d;

	memset(model, 0, sizeof(model));
	ENSURE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	ENSURE(tce_machine_find_device(m, "0000:00:01.0", &d) == 0);
	while (in.n) {
		switch (take(&in, 1) % 6) {
		case 0: case 1: do_put(m, &in); break;
		case 2: do_get(m, &in); break;
		case 3: do_stuff(m, &in); break;
		case 4: do_indirect(m, &in); break;
		default: do_dma(m, d, &in); break;
		}
	}
	tce_machine_destroy(m);
	return 0;
}
