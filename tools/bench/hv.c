/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench hv`: builds the pseries machine, runs the hcall, big-clear,
 * whole-window and device-translate sections on it, and holds the helpers
 * they share: the list page, untimed mapping and clearing, H_GET_TCE checks
 * and the DDW RTAS calls. Every helper checks the status it gets and prints
 * a failure loudly. Layer: tools; uses <tce.h> only.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "hv.h"
#include "subcommands.h"
#include "bench_ctx.h"

void hv_list_fill(uint64_t *list, const struct hv_win *w, uint64_t first, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		list[k] = htobe64(hv_tce(w, first + k));
}

/*
 * Each TCE stored as the list holds it: the table is big-endian as the list
 * is and the hypervisor stores a TCE as written, so nothing is translated.
 * The stores are 8-byte atomic stores, four a round, as the table's own
 * store loop, because a table's entries are read by concurrent translations
 * (a memcpy may tear an entry). Before, each value was swapped to host
 * order and back one at a time: 0.55 ns a TCE, 3x this loop's 0.18, and
 * slower than the validated hcall once that stopped swapping.
 */
void hv_floor_store(uint64_t *dst, const uint64_t *list, unsigned int n)
{
	unsigned int k;

	for (k = 0; k + 4 <= n; k += 4) {
		__atomic_store_n(&dst[k], list[k], __ATOMIC_RELAXED);
		__atomic_store_n(&dst[k + 1], list[k + 1], __ATOMIC_RELAXED);
		__atomic_store_n(&dst[k + 2], list[k + 2], __ATOMIC_RELAXED);
		__atomic_store_n(&dst[k + 3], list[k + 3], __ATOMIC_RELAXED);
	}
	for (; k < n; k++)
		__atomic_store_n(&dst[k], list[k], __ATOMIC_RELAXED);
}

const char *hv_status_name(long status)
{
	switch (status) {
	case TCE_H_SUCCESS:
		return "H_SUCCESS";
	case TCE_H_BUSY:
		return "H_BUSY";
	case TCE_H_HARDWARE:
		return "H_HARDWARE";
	case TCE_H_FUNCTION:
		return "H_FUNCTION";
	case TCE_H_PRIVILEGE:
		return "H_PRIVILEGE";
	case TCE_H_PARAMETER:
		return "H_PARAMETER";
	case TCE_H_NOT_ENOUGH_RESOURCES:
		return "H_NOT_ENOUGH_RESOURCES";
	default:
		return "H_UNKNOWN";
	}
}

int hv_fail(const char *what, int rc)
{
	fprintf(stderr, "tce-bench: hv: %s: %s (%s)\n", what, tce_strerror(rc), tce_err_name(rc));
	return rc;
}

int hv_hfail(const char *what, long status)
{
	fprintf(stderr, "tce-bench: hv: %s: %s (%ld)\n", what, hv_status_name(status), status);
	return -EPROTO;
}

int hv_hcall(struct tce_machine *m, uint64_t opcode, uint64_t *args, const char *what)
{
	long st = tce_hv_hcall(m, opcode, args);

	return st == TCE_H_SUCCESS ? 0 : hv_hfail(what, st);
}

int hv_map(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n)
{
	uint64_t args[9] = { w->liobn }, done, k;
	int rc = 0;

	for (done = 0; done < n && !rc; done += k) {
		k = n - done < TCE_INDIRECT_MAX ? n - done : TCE_INDIRECT_MAX;
		hv_list_fill(e->list, w, first + done, (unsigned int)k);
		args[0] = w->liobn;
		args[1] = w->bus + ((first + done) << w->shift);
		args[2] = HV_LIST_REAL;
		args[3] = k;
		rc = hv_hcall(e->m, TCE_H_PUT_TCE_INDIRECT, args, "H_PUT_TCE_INDIRECT");
	}
	return rc;
}

int hv_clear(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n)
{
	uint64_t args[9] = { w->liobn, w->bus + (first << w->shift), 0, n };

	return hv_hcall(e->m, TCE_H_STUFF_TCE, args, "H_STUFF_TCE");
}

int hv_expect(struct hv_env *e, const struct hv_win *w, uint64_t i, uint64_t want)
{
	uint64_t args[9] = { w->liobn, w->bus + (i << w->shift) };
	int rc = hv_hcall(e->m, TCE_H_GET_TCE, args, "H_GET_TCE");

	if (rc || args[0] == want)
		return rc;
	fprintf(stderr, "tce-bench: hv: LIOBN 0x%" PRIx32 " entry %" PRIu64 ": TCE 0x%" PRIx64
		", expected 0x%" PRIx64 "\n", w->liobn, i, args[0], want);
	return -EPROTO;
}

int hv_expect_range(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n,
		    bool mapped)
{
	const uint64_t at[] = { first, first + n / 2, first + n - 1 };
	unsigned int k;
	int rc = 0;

	for (k = 0; k < 3 && !rc; k++)
		rc = hv_expect(e, w, at[k], mapped ? hv_tce(w, at[k]) : 0);
	return rc;
}

int hv_ddw_create(struct hv_env *e, uint32_t page_shift, uint32_t window_shift,
		  struct hv_win *out)
{
	const uint32_t args[5] = { HV_CFG_ADDR, (uint32_t)(HV_BUID >> 32), (uint32_t)HV_BUID,
				   page_shift, window_shift };
	uint32_t rets[4] = { 0 };
	int rc;

	rc = tce_hv_rtas(e->m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets);
	if (rc)
		return hv_fail("ibm,create-pe-dma-window", rc);
	if ((int32_t)rets[0] != TCE_RTAS_SUCCESS) {
		fprintf(stderr, "tce-bench: hv: ibm,create-pe-dma-window page shift %" PRIu32
			", window shift %" PRIu32 ": RTAS status %" PRId32 "\n", page_shift,
			window_shift, (int32_t)rets[0]);
		return -EPROTO;
	}
	*out = (struct hv_win){ .liobn = rets[1], .bus = (uint64_t)rets[2] << 32 | rets[3],
				.bytes = 1ULL << window_shift, .shift = page_shift };
	return 0;
}

int hv_ddw_remove(struct hv_env *e, const struct hv_win *w)
{
	uint32_t rets[1] = { 0 };
	int rc = tce_hv_rtas(e->m, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &w->liobn, 1, rets);

	if (rc)
		return hv_fail("ibm,remove-pe-dma-window", rc);
	if ((int32_t)rets[0] == TCE_RTAS_SUCCESS)
		return 0;
	fprintf(stderr, "tce-bench: hv: ibm,remove-pe-dma-window 0x%" PRIx32
		": RTAS status %" PRId32 "\n", w->liobn, (int32_t)rets[0]);
	return -EPROTO;
}

void hv_win_params(struct bench_row *r, const struct hv_win *w)
{
	bench_param_num(r, "window_bytes", (double)w->bytes);
	bench_param_num(r, "page_shift", w->shift);
	bench_param_json(r, "liobn", w->liobn);
}

/* The machine, its device and the list page; RAM must be the 4 GiB expected. */
static int setup(struct hv_env *e)
{
	int rc = tce_machine_create_default(TCE_PLATFORM_PSERIES, &e->m);

	if (rc)
		return hv_fail("tce_machine_create_default", rc);
	tce_ctx_set_log(tce_machine_ctx(e->m), bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = tce_machine_find_device(e->m, HV_DEVICE, &e->dev);
	if (rc)
		return hv_fail("tce_machine_find_device " HV_DEVICE, rc);
	if (!tce_machine_ram_ptr(e->m, HV_RAM_BYTES - 4096, 4096))
		return hv_fail("RAM smaller than 4 GiB", -ERANGE);
	e->list = tce_machine_ram_ptr(e->m, HV_LIST_REAL, TCE_INDIRECT_ALIGN);
	if (!e->list)
		return hv_fail("list page", -EFAULT);
	e->def = (struct hv_win){ .liobn = HV_DEF_LIOBN, .bus = 0, .bytes = HV_DEF_BYTES,
				  .shift = HV_DEF_SHIFT };
	return 0;
}

int bench_hv(const struct bench_opts *o)
{
	struct hv_env e = { 0 };
	int rc;

	rc = setup(&e);
	if (!rc)
		rc = hv_hcalls(o, &e);
	if (!rc)
		rc = hv_stuff_big(o, &e);
	if (!rc)
		rc = hv_window(o, &e);
	if (!rc)
		rc = hv_translate(o, &e);
	tce_machine_destroy(e.m);
	return rc;
}
