/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of `tce-bench hv` share (spec performance.md §6.4 B5, B6):
 * the built-in pseries machine with its DMA-test device, the hcall and RTAS
 * wrappers that check every status outside the timed loops, the guest's
 * H_PUT_TCE_INDIRECT list page, and the unvalidated store loop that is the
 * floor of every mapping. Layer: tools; uses <tce.h>, the harness and the report.
 */
#ifndef TCE_BENCH_HV_H
#define TCE_BENCH_HV_H

#include <tce.h>

#include "harness.h"
#include "report.h"

/*
 * The built-in pseries machine (docs/machine.md): 4 GiB of RAM at real 0,
 * PHB BUID 0x0800000020000000, PE 0 with device 0000:00:01.0 whose config
 * address is 0x0800, a 2 GiB default window of 4 KiB pages at bus 0.
 */
#define HV_RAM_BYTES (1ULL << 32)
#define HV_BUID 0x0800000020000000ULL
#define HV_CFG_ADDR 0x0800u
#define HV_DEVICE "0000:00:01.0"
#define HV_DEF_LIOBN 0x80000000u
#define HV_DEF_BYTES (1ULL << 31)
#define HV_DEF_SHIFT 12

/* Real addresses the benchmark uses: the guest's list page, then mapped pages. */
#define HV_LIST_REAL (1ULL << 20)
#define HV_TARGET_REAL (1ULL << 30)

#define HV_PERM_RW (TCE_PCI_READ | TCE_PCI_WRITE)

/* A DMA window as the guest sees it. */
struct hv_win {
	uint32_t liobn;
	uint64_t bus;      /* first bus address */
	uint64_t bytes;    /* window size */
	uint32_t shift;    /* IOMMU page shift */
};

/* The machine and what every section needs of it. */
struct hv_env {
	struct tce_machine *m;
	struct tce_pci_dev *dev;
	struct hv_win def;   /* the default window */
	uint64_t *list;      /* host view of the list page at HV_LIST_REAL */
};

/* Entries of a window. */
static inline uint64_t hv_entries(const struct hv_win *w)
{
	return w->bytes >> w->shift;
}

/*
 * The TCE of window entry @i (relative): real pages from HV_TARGET_REAL,
 * wrapping inside RAM, so a window larger than RAM maps each page again.
 */
static inline uint64_t hv_tce(const struct hv_win *w, uint64_t i)
{
	return ((HV_TARGET_REAL + (i << w->shift)) & (HV_RAM_BYTES - 1)) | HV_PERM_RW;
}

/*
 * Write the big-endian TCEs of entries [@first, @first + @n) of @w into
 * @list, one scalar store each, as a pseries guest fills its list page.
 */
void hv_list_fill(uint64_t *list, const struct hv_win *w, uint64_t first, unsigned int n);

/*
 * The FLOOR of a table write: store @n big-endian TCEs of @list in @dst as
 * they are, one load and one 8-byte atomic store each, no validation.
 */
void hv_floor_store(uint64_t *dst, const uint64_t *list, unsigned int n);

/* The symbolic name of an H_* status ("H_PARAMETER"). */
const char *hv_status_name(long status);

/* Print "tce-bench: hv: @what: <strerror> (<name>)"; returns @rc. */
int hv_fail(const char *what, int rc);

/* Print "tce-bench: hv: @what: <H_* name> (<status>)"; returns -EPROTO. */
int hv_hfail(const char *what, long status);

/* One hcall; any status but H_SUCCESS is printed as a failure of @what. */
int hv_hcall(struct tce_machine *m, uint64_t opcode, uint64_t *args, const char *what);

/*
 * Map entries [@first, @first + @n) of @w (relative) to hv_tce() with
 * H_PUT_TCE_INDIRECT calls of up to 512 through the list page. Untimed.
 */
int hv_map(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n);

/* Clear entries [@first, @first + @n) of @w with one H_STUFF_TCE. Untimed. */
int hv_clear(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n);

/* H_GET_TCE of entry @i of @w must read @want; prints what it read if not. */
int hv_expect(struct hv_env *e, const struct hv_win *w, uint64_t i, uint64_t want);

/* Entries @first, the middle one and the last of @n read hv_tce(), or 0 when !@mapped. */
int hv_expect_range(struct hv_env *e, const struct hv_win *w, uint64_t first, uint64_t n,
		    bool mapped);

/* Create a DDW of 2^@page_shift pages and 2^@window_shift bytes with RTAS. */
int hv_ddw_create(struct hv_env *e, uint32_t page_shift, uint32_t window_shift,
		  struct hv_win *out);

/* Remove the DDW @w with RTAS. */
int hv_ddw_remove(struct hv_env *e, const struct hv_win *w);

/* Add window_bytes, page_shift and (JSON only) liobn of @w to @r's params. */
void hv_win_params(struct bench_row *r, const struct hv_win *w);

/* The sections; each returns 0 or a negative errno after printing why. */
int hv_hcalls(const struct bench_opts *o, struct hv_env *e);
int hv_stuff_big(const struct bench_opts *o, struct hv_env *e);
int hv_window(const struct bench_opts *o, struct hv_env *e);
int hv_translate(const struct bench_opts *o, struct hv_env *e);

#endif /* TCE_BENCH_HV_H */
