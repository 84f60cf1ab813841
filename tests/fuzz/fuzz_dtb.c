/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: arbitrary bytes as a device tree blob. Creation must
 * either refuse with -EINVAL (or -ENOMEM) or build a machine whose devices,
 * hcalls, RTAS calls and DMA then work without crashing; nothing may leak.
 */
#include <stdlib.h>

#include <tce.h>
#include "fuzz_input.h"

/* Exercise a machine that the tree described. */
static void poke(struct tce_machine *m)
{
	uint32_t a[5] = { 0x0800, 0x08000000, 0x20000000, 16, 30 }, r[6];
	uint64_t h[9] = { 0x80000000ULL, 0x1000, 0x2003 };
	struct tce_pci_dev *d;
	uint8_t buf[8];

	tce_hv_rtas(m, 0x2026, 3, a, 6, r);
	tce_hv_rtas(m, 0x2027, 5, a, 4, r);
	tce_hv_hcall(m, TCE_H_PUT_TCE, h);
	if (tce_machine_find_device(m, "0000:00:01.0", &d) == 0) {
		tce_dev_dma_read(d, 0x1000, buf, sizeof(buf));
		tce_dev_eeh_thaw(d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tce_machine_config cfg = { .dtb = data, .dtb_size = size };
	struct tce_mem_stats ms;
	struct tce_machine *m;
	struct tce_ctx *ctx;
	int rc;

	ENSURE(tce_ctx_create(&ctx) == 0);
	cfg.ctx = ctx;
	rc = tce_machine_create(&cfg, &m);
	ENSURE(rc == 0 || rc == -22 || rc == -12);
	if (!rc) {
		poke(m);
		tce_machine_destroy(m);
	}
	tce_ctx_mem_stats(ctx, &ms);
	ENSURE(ms.live_allocs == 0);
	tce_ctx_destroy(ctx);
	return 0;
}
