/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pseries hypervisor's TCE hcalls, validated as KVM intends and with
 * DECISIONS.md's choices: unknown or disabled LIOBN, misaligned IOBA, a range
 * that leaves the window or wraps, a count of 0, a TCE with a permission
 * whose address part is not an aligned page wholly in the machine's
 * regions, all give H_PARAMETER and change nothing; multi-entry calls
 * validate every entry before applying any. A TCE is stored exactly as the guest wrote it (KVM's
 * kvmppc_tce_put): a value without READ or WRITE is a poison value, kept
 * with all its bits, that H_GET_TCE returns unchanged and device DMA
 * faults on. The hypervisor invalidates the PHB's TCE cache for every
 * entry it changes. Layer: fw.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "hw/hw_int.h"
#include "tce/table_raw.h"
#include "util/arith.h"

/* The window an hcall names, with a reference on its table. */
struct hv_win {
	struct tce__pe *pe;
	struct tce_table *t;
	uint64_t first_idx, entries;
	uint32_t shift;
};

static long hv_window(struct tce_machine *m, uint64_t liobn, struct hv_win *w)
{
	struct tce__slot *s;
	unsigned i;

	if (liobn >> 32)
		return TCE_H_PARAMETER;
	w->pe = tce__find_liobn(m, (uint32_t)liobn, &i);
	if (!w->pe)
		return TCE_H_PARAMETER;
	tce__lock(&w->pe->lock);
	s = &w->pe->slot[i];
	w->t = s->enabled ? tce_table_hold(s->table) : NULL;
	w->shift = s->page_shift;
	w->first_idx = s->bus_start >> s->page_shift;
	w->entries = s->size >> s->page_shift;
	tce__unlock(&w->pe->lock);
	return w->t ? TCE_H_SUCCESS : TCE_H_PARAMETER;
}

/* IOBA aligned, [ioba, +npages) inside the window, no wrap: the first entry. */
static long hv_range(const struct hv_win *w, uint64_t ioba, uint64_t npages, uint64_t *idx)
{
	uint64_t end;

	if (ioba & tce__low_mask(w->shift))
		return TCE_H_PARAMETER;
	*idx = ioba >> w->shift;
	if (!npages || *idx < w->first_idx || tce__add_overflows(*idx, npages, &end) ||
	    end - w->first_idx > w->entries)
		return TCE_H_PARAMETER;
	return TCE_H_SUCCESS;
}

/*
 * kvmppc_tce_validate(): a TCE without permission (a clear or a poison
 * value) is always accepted. With READ or WRITE, the address part (the TCE
 * without its two permission bits) must be aligned to the window's page,
 * so reserved bits 2..11 and address bits below the page are refused, and
 * the page must lie wholly in the machine's regions. (KVM answers
 * H_TOO_HARD and lets userspace decide; this hypervisor has no second
 * handler and answers H_PARAMETER.)
 */
static bool tce_valid(struct tce_machine *m, const struct hv_win *w, uint64_t tce)
{
	uint64_t addr = tce & ~TCE_PERM_MASK;

	if (!(tce & TCE_PERM_MASK))
		return true;
	if (addr & tce__low_mask(w->shift))
		return false;
	return tce__real_ok(m, addr, 1ULL << w->shift);
}

static void kill(const struct hv_win *w, uint64_t idx, uint64_t npages)
{
	tce__cache_kill_pages(w->pe, w->shift, idx, npages);
}

static long h_put_tce(struct tce_machine *m, const struct hv_win *w, uint64_t *args)
{
	uint64_t idx, tce;
	long rc = hv_range(w, args[1], 1, &idx);

	if (rc)
		return rc;
	if (!tce_valid(m, w, args[2]))
		return TCE_H_PARAMETER;
	tce = args[2];
	/* A clear allocates no level (KVM's kvmppc_tce_put): it cannot run out of memory. */
	rc = tce__table_fill_raw(w->t, idx, 1, tce) ? TCE_H_NOT_ENOUGH_RESOURCES : TCE_H_SUCCESS;
	if (!rc)
		kill(w, idx, 1);
	return rc;
}

static long h_get_tce(const struct hv_win *w, uint64_t *args)
{
	uint64_t idx, tce;
	long rc = hv_range(w, args[1], 1, &idx);

	if (rc)
		return rc;
	tce_table_get(w->t, idx, &tce);
	args[0] = tce;
	return TCE_H_SUCCESS;
}

/*
 * H_STUFF_TCE: only values without READ or WRITE (a clear, or a poison
 * value stored as written in every entry), any count inside the window.
 * Zero skips absent levels; a poison value needs every level of the range,
 * and when one cannot be allocated nothing is stored.
 */
static long h_stuff_tce(const struct hv_win *w, uint64_t *args)
{
	uint64_t idx;
	long rc = hv_range(w, args[1], args[3], &idx);

	if (rc)
		return rc;
	if (args[2] & TCE_PERM_MASK)
		return TCE_H_PARAMETER;
	if (tce__table_fill_raw(w->t, idx, args[3], args[2]))
		return TCE_H_NOT_ENOUGH_RESOURCES;
	kill(w, idx, args[3]);
	return TCE_H_SUCCESS;
}

/* The check of a mapping TCE's page above the machine's own RAM, under the read lock. */
struct list_check {
	struct tce_machine *m;
	uint64_t page_bytes;
	bool locked; /* the region set's read lock is held (the list's, or taken here) */
};

static bool page_in_regions(void *arg, uint64_t addr)
{
	struct list_check *c = arg;
	uint64_t len = c->page_bytes, piece;

	while (len) {
		piece = len;
		if (!tce__mem_piece(c->m, addr, &piece, &c->locked))
			return false;
		addr += piece;
		len -= piece;
	}
	return true;
}

/*
 * H_PUT_TCE_INDIRECT: the guest's list is read once where it lies (inside
 * one region: it is aligned to 4 KiB, regions to their pages), under the
 * region set's read lock when above RAM, into the store's private copy;
 * every TCE of the copy is validated as tce_valid() does before any is
 * stored, so an invalid one changes nothing.
 */
static long h_put_tce_indirect(struct tce_machine *m, const struct hv_win *w, uint64_t *args)
{
	struct list_check lc = { .m = m, .page_bytes = 1ULL << w->shift };
	struct tce__tce_check chk = { .addr_mask = tce__low_mask(w->shift),
				      .page_bytes = 1ULL << w->shift,
				      .fast_end = m->ram ? m->ram_size : 0,
				      .slow = page_in_regions, .arg = &lc };
	uint64_t idx, count = args[3], got = count * 8, bad;
	const uint64_t *list;
	long rc;
	int err;

	if (!count || count > TCE_INDIRECT_MAX || (args[2] & (TCE_INDIRECT_ALIGN - 1)))
		return TCE_H_PARAMETER;
	rc = hv_range(w, args[1], count, &idx);
	if (rc)
		return rc;
	list = tce__mem_piece(m, args[2], &got, &lc.locked);
	if (!list || got != count * 8)
		err = -EINVAL;
	else
		err = tce__table_store_list(w->t, idx, count, list, &chk, &bad);
	if (lc.locked)
		tce__regions_read_unlock(m);
	if (err)
		return err == -ENOMEM ? TCE_H_NOT_ENOUGH_RESOURCES : TCE_H_PARAMETER;
	kill(w, idx, count);
	return TCE_H_SUCCESS;
}

long tce_hv_hcall(struct tce_machine *m, uint64_t opcode, uint64_t *args)
{
	struct hv_win w;
	long rc;

	if (m->platform != TCE_PLATFORM_PSERIES || !args ||
	    (opcode != TCE_H_GET_TCE && opcode != TCE_H_PUT_TCE && opcode != TCE_H_STUFF_TCE &&
	     opcode != TCE_H_PUT_TCE_INDIRECT))
		return TCE_H_FUNCTION;
	if (tce__fault(m->ctx))
		return TCE_H_HARDWARE;
	rc = hv_window(m, args[0], &w);
	if (rc)
		return rc;
	switch (opcode) {
	case TCE_H_GET_TCE:
		rc = h_get_tce(&w, args);
		break;
	case TCE_H_PUT_TCE:
		rc = h_put_tce(m, &w, args);
		break;
	case TCE_H_STUFF_TCE:
		rc = h_stuff_tce(&w, args);
		break;
	default:
		rc = h_put_tce_indirect(m, &w, args);
		break;
	}
	tce_table_put(w.t);
	return rc;
}
