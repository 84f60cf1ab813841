/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the OS layer on the built-in pseries or powernv machine,
 * or pseries with the legacy profile, on a 64 KiB or 4 KiB host page (the
 * input chooses). A host boots, then the input drives both groups:
 * ownership taken and released; tables created with arbitrary parameters,
 * set, unset and borrowed (get_table: legacy's one way to a window); an
 * owner's exchange, get, kill, clear and mirror slots;
 * the kernel's DMA API (pages, scatter lists, coherent buffers, DMA masks);
 * the DMA-test devices' DMA in between; and the fail-Nth countdown. A model
 * predicts the documented errors, what an exchange returns and where a
 * device's DMA lands; after teardown the context holds nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tce.h>
#include "fuzz_input.h"

#ifdef FUZZ_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

/*
 * Defects this target found, fixed since; their inputs stay in the corpus
 * (bug-*) as regression seeds. -DFUZZ_GROUP_SKIP_KNOWN=1 still steers clear
 * of them:
 * - a pseries single-slot PE whose device had a 64-bit mask gave its default
 *   window to the DDW; a narrower mask set later is accepted but leaves the
 *   device no window to map through (-ENODEV);
 * - in direct and bypass modes, map_page and map_sg accept TCE_DIR_NONE and
 *   invalid directions;
 * - powernv: a release whose kernel boot fails late (the bypass window) keeps
 *   the group owned, and the next release leaks the first attempt's DMA
 *   objects (so the countdown is disarmed before a powernv release);
 * - take_ownership succeeds while the kernel still has live mappings made in
 *   direct or bypass mode (only the allocator-backed windows are counted);
 * - powernv: unsetting a table from one PE (unset_window, release) clears its
 *   TCEs while another PE still uses it (DECISIONS.md 23: cleared once, when
 *   it leaves its last PE).
 */
#ifndef FUZZ_GROUP_SKIP_KNOWN
#define FUZZ_GROUP_SKIP_KNOWN 0
#endif

/*
 * The built-in machines have three groups; the model follows the first two
 * (dma-test 00:01.0 and the VF 00:02.0) and leaves the I/OAT channel's
 * (00:03.0, whose DMA faults recover without a freeze) alone.
 */
#define BUILTIN_GROUPS 3
#define NGROUPS 2
#define NSLOTS 2
#define MAX_TABLES 4
#define MAX_ENT 48
#define MAX_KMAPS 12
#define NBUF 4
#define BUF_BYTES (64u << 10)
#define OWNER_RAM (1ULL << 30)    /* owners map pages below this; kernel memory is above */
#define ACCOUNT_LIMIT (8ll << 20) /* table bytes an owner may be charged */

/* A table the owner holds a reference on. */
struct otable {
	struct tce_iommu_table *t;      /* NULL: unused */
	struct tce_iommu_table_info ti;
	bool in[NGROUPS][NSLOTS];       /* programmed in group g's slot s */
	bool gone;                      /* pseries: its window was removed; contents unknown */
	bool cut;                       /* pseries, legacy: cut off by an unset or release (-ENODEV) */
	unsigned nent;
	struct {
		uint64_t idx, tce;
		bool dirty;             /* changed since the last kill: a device may see either */
	} ent[MAX_ENT];
};

/*
 * else the index of an otable. SLOT_FRESH: legacy, the table object an owner
 * gets at take, not borrowed yet (empty: take cleared the window).
 */
enum { SLOT_EMPTY = -1, SLOT_OTHER = -2, SLOT_FRESH = -3 };

struct group_model {
	struct tce_group *g;
	struct tce_device *dev;         /* its one function */
	bool owned;
	bool unsure;                    /* a fault hit an ownership change: slots are not known */
	int slot[NSLOTS];
	struct tce_group_info info;
	uint32_t nslots;                /* its PE's window slots */
};

struct kmap {
	bool used;
	int grp;
	int kind;                       /* 0 page, 1 scatter list, 2 coherent */
	uint64_t real, size, bus;
	enum tce_dir dir;
	bool direct;                    /* made in direct or bypass mode */
	unsigned nents;
	struct tce_sg sg[4];
};

struct buf {
	uint64_t real;
	uint8_t *p;
};

struct state {
	struct tce_ctx *ctx;
	struct tce_machine *m;
	struct tce_host *h;
	bool pseries;                   /* pseries, either profile */
	bool legacy;                    /* the legacy profile: no dynamic-window ops */
	int64_t balance;                /* the owner's accounting */
	struct group_model gm[NGROUPS];
	struct otable ot[MAX_TABLES];
	struct kmap km[MAX_KMAPS];
	struct buf buf[NBUF];
	bool armed;                     /* the countdown was armed before this call */
};

static struct state st;
static uint8_t *blobs[3];    /* the built-in trees, by platform */
static size_t blob_size[3];

/* ---- helpers ---- */

static int account(void *arg, int64_t delta)
{
	int64_t *balance = arg;

	if (delta > 0 && *balance + delta > ACCOUNT_LIMIT)
		return -ENOMEM;
	*balance += delta;
	return 0;
}

static bool fired(void)
{
	return st.armed && !tce_ctx_fail_nth_armed(st.ctx);
}

static void before(void)
{
	st.armed = tce_ctx_fail_nth_armed(st.ctx);
}

/* An error a fault can cause: an allocation or a backend call (hcall, RTAS, firmware). */
static bool fault_err(int rc)
{
	return fired() && (rc == -ENOMEM || rc == -EIO || rc == -ENOSPC || rc == -EINVAL ||
			   rc == -EPERM || rc == -EBUSY || rc == -ENODEV);
}

static enum tce_dir take_dir(struct input *in)
{
	static const enum tce_dir dirs[] = { TCE_DIR_BIDIRECTIONAL, TCE_DIR_TO_DEVICE,
					     TCE_DIR_FROM_DEVICE, TCE_DIR_BIDIRECTIONAL,
					     TCE_DIR_TO_DEVICE, TCE_DIR_FROM_DEVICE,
					     TCE_DIR_NONE, (enum tce_dir)5 };

	return dirs[take(in, 1) % 8];
}

/*
 * The direction a TCE written for @d grants: on powernv W implies R (spec
 * kernel.md §10.1), so FROM_DEVICE is stored readable. pseries stores what
 * it is given (whether its kernel path should add R, as Linux does, is left
 * open: the checks below accept both).
 */
static enum tce_dir hw_dir(enum tce_dir d)
{
	return !st.pseries && d == TCE_DIR_FROM_DEVICE ? TCE_DIR_BIDIRECTIONAL : d;
}

static bool dir_ok(enum tce_dir d)
{
	return d == TCE_DIR_BIDIRECTIONAL || d == TCE_DIR_TO_DEVICE || d == TCE_DIR_FROM_DEVICE;
}

static struct group_model *take_group(struct input *in)
{
	return &st.gm[take(in, 1) % NGROUPS];
}

static int gidx(const struct group_model *g)
{
	return (int)(g - st.gm);
}

/* ---- the owner's tables ---- */

static struct otable *take_table(struct input *in)
{
	unsigned i, k = take(in, 1);

	for (i = 0; i < MAX_TABLES; i++)
		if (st.ot[(i + k) % MAX_TABLES].t)
			return &st.ot[(i + k) % MAX_TABLES];
	return NULL;
}

static bool table_linked(const struct otable *o)
{
	int g, s;

	for (g = 0; g < NGROUPS; g++)
		for (s = 0; s < NSLOTS; s++)
			if (o->in[g][s])
				return true;
	return false;
}

/* The model's entry for @idx, or NULL (the entry is then empty). */
static int ent_find(const struct otable *o, uint64_t idx)
{
	unsigned i;

	for (i = 0; i < o->nent; i++)
		if (o->ent[i].idx == idx)
			return (int)i;
	return -1;
}

static void forget_entries(struct otable *o)
{
	o->nent = 0;
}

/* Every entry the model knows reads back (when the model knows the contents). */
static void check_table(struct otable *o)
{
	uint64_t v;
	unsigned i;
	int rc;

	if (o->gone)
		return;
	for (i = 0; i < o->nent; i++) {
		before();
		rc = tce_iommu_table_get(o->t, o->ent[i].idx, &v);
		ENSURE(rc == 0 || fault_err(rc));
		ENSURE(rc || v == o->ent[i].tce);
	}
}

/*
 * A table left the slot (@g, @s): if it is in no slot now, its TCEs are gone.
 * @done: the unset or release succeeded (pseries and legacy cut the table off).
 */
static void table_unlinked(int g, int s, bool done)
{
	int k = st.gm[g].slot[s];
	struct otable *o;

	st.gm[g].slot[s] = SLOT_EMPTY;
	if (k < 0)
		return;
	o = &st.ot[k];
	o->in[g][s] = false;
	if (st.pseries)
		o->gone = true, o->cut |= done;
	if (!table_linked(o) || st.pseries || FUZZ_GROUP_SKIP_KNOWN)
		forget_entries(o);
}

/* The group's slots are not known any more (a fault during a hand-off). */
static void group_unsure(struct group_model *g)
{
	int s;

	g->owned = tce_group_owned(g->g);
	g->unsure = true;
	for (s = 0; s < NSLOTS; s++) {
		int k = g->slot[s];

		if (k >= 0) {
			st.ot[k].in[gidx(g)][s] = false;
			st.ot[k].gone = true; /* no longer trusted */
			forget_entries(&st.ot[k]);
		}
		g->slot[s] = SLOT_OTHER;
	}
}

/* ---- ownership ---- */

/* Does the kernel have live mappings on group @g (only direct-mode ones, with @direct)? */
static bool kernel_busy_as(int g, bool direct)
{
	unsigned i;

	for (i = 0; i < MAX_KMAPS; i++)
		if (st.km[i].used && st.km[i].grp == g && (!direct || st.km[i].direct))
			return true;
	return false;
}

static bool kernel_busy(int g)
{
	return kernel_busy_as(g, false);
}

static void op_take(struct input *in)
{
	struct group_model *g = take_group(in);
	int rc, s;

	if (FUZZ_GROUP_SKIP_KNOWN && kernel_busy_as(gidx(g), true))
		return;
	before();
	rc = tce_group_take_ownership(g->g);
	TRACE("take %d: %d\n", gidx(g), rc);
	if (g->owned || kernel_busy(gidx(g))) {
		ENSURE(rc == -EBUSY);
		return;
	}
	if (rc) {
		ENSURE(fault_err(rc));
		group_unsure(g);
		return;
	}
	g->owned = true, g->unsure = false;
	for (s = 0; s < NSLOTS; s++)
		g->slot[s] = SLOT_EMPTY;
	if (st.legacy)
		g->slot[0] = SLOT_FRESH;
}

static void op_release(struct input *in)
{
	struct group_model *g = take_group(in);
	int rc, s;

	if (FUZZ_GROUP_SKIP_KNOWN && !st.pseries)
		tce_ctx_set_fail_nth(st.ctx, 0);
	before();
	rc = tce_group_release_ownership(g->g);
	TRACE("release %d: %d\n", gidx(g), rc);
	if (!g->owned) {
		ENSURE(rc == -EINVAL);
		return;
	}
	for (s = 0; s < NSLOTS; s++)
		table_unlinked(gidx(g), s, !rc);
	if (rc) {
		ENSURE(fault_err(rc));
		group_unsure(g);
		return;
	}
	g->owned = false, g->unsure = false;
	for (s = 0; s < NSLOTS; s++)
		g->slot[s] = SLOT_OTHER; /* the kernel's windows */
}

/* ---- table-group ops ---- */

static void take_req(struct input *in, struct tce_window_req *req)
{
	static const uint32_t shifts[] = { 12, 16, 21, 24, 30, 34, 13, 0 };
	uint64_t sel = take(in, 1);

	req->num = sel & 0x80 ? (uint32_t)take(in, 1) : sel & 1;
	req->page_shift = sel & 0x40 ? (uint32_t)take(in, 1) % 40 : shifts[(sel >> 1) % 8];
	req->window_size = sel & 0x20 ? take(in, 8) : 1ULL << (take(in, 1) % 64);
	req->levels = take(in, 1) % 7;
	req->account = account;
	req->account_arg = &st.balance;
}

static struct otable *free_table(void)
{
	unsigned i;

	for (i = 0; i < MAX_TABLES; i++)
		if (!st.ot[i].t)
			return &st.ot[i];
	return NULL;
}

static void op_create(struct input *in)
{
	struct group_model *g = take_group(in);
	struct otable *o = free_table();
	struct tce_window_req req;
	struct tce_iommu_table *t = NULL;
	uint64_t bytes = 0;
	int64_t bal = st.balance;
	int rc, size_rc;

	take_req(in, &req);
	if (!o)
		return;
	size_rc = tce_group_table_size(g->g, req.page_shift, req.window_size, req.levels, &bytes);
	ENSURE(st.legacy ? size_rc == -EPERM : size_rc == 0 || size_rc == -EINVAL);
	before();
	rc = tce_group_create_table(g->g, &req, &t);
	TRACE("create %d num %u shift %u size %#llx levels %u: %d (size %d, %llu bytes)\n", gidx(g),
	      req.num, req.page_shift, (unsigned long long)req.window_size, req.levels, rc, size_rc,
	      (unsigned long long)bytes);
	if (rc) {
		ENSURE(st.balance == bal); /* refunded */
		if (st.legacy) /* the PE's two slots, then no dynamic-window ops */
			ENSURE(rc == (req.num >= g->nslots ? -EINVAL : -EPERM));
		else if (req.num >= g->info.max_dynamic_windows || size_rc)
			ENSURE(rc == -EINVAL || (!g->owned && rc == -EPERM));
		else if (!g->owned)
			ENSURE(rc == -EPERM || rc == -EINVAL);
		else if (g->unsure || fault_err(rc))
			return;
		else if (g->slot[req.num] != SLOT_EMPTY)
			ENSURE(rc == -EBUSY || rc == -EINVAL);
		else if ((int64_t)bytes > ACCOUNT_LIMIT - bal)
			ENSURE(rc == -ENOMEM);
		else /* the platform may refuse: no such page size or slot, hypervisor limits */
			ENSURE(rc == -EINVAL || rc == -EPERM || rc == -ENOSPC || rc == -EIO ||
			       rc == -ENODEV || rc == -ENOMEM);
		return;
	}
	ENSURE(!st.legacy && g->owned && size_rc == 0 && req.num < g->info.max_dynamic_windows &&
	       st.balance == bal + (int64_t)bytes);
	ENSURE(g->unsure || g->slot[req.num] == SLOT_EMPTY);
	memset(o, 0, sizeof(*o));
	o->t = t;
	tce_iommu_table_info(t, &o->ti);
	ENSURE(o->ti.page_shift == req.page_shift && o->ti.window_size == req.window_size &&
	       o->ti.entries && o->ti.first_idx == o->ti.bus_offset >> o->ti.page_shift);
	if (st.pseries) { /* the window is open at once */
		o->in[gidx(g)][req.num] = true;
		g->slot[req.num] = (int)(o - st.ot);
	}
}

static void op_set(struct input *in)
{
	struct group_model *g = take_group(in);
	uint32_t num = take(in, 1) % 3;
	struct otable *o = take_table(in);
	int rc, k;

	if (!o)
		return;
	k = (int)(o - st.ot);
	before();
	rc = tce_group_set_window(g->g, num, o->t);
	TRACE("set %d slot %u table %d: %d\n", gidx(g), num, k, rc);
	if (st.legacy) {
		ENSURE(rc == (num >= g->nslots ? -EINVAL : -EPERM));
		return;
	}
	if (num >= g->info.max_dynamic_windows) { /* the PE's window slots */
		ENSURE(rc == -EINVAL);
		return;
	}
	if (!g->owned) {
		ENSURE(rc == -EPERM || rc == -EINVAL);
		return;
	}
	if (g->unsure || fault_err(rc)) {
		if (!rc && num < NSLOTS && !st.pseries) {
			o->in[gidx(g)][num] = true; /* it is there now, whatever was before */
			g->slot[num] = k;
		}
		return;
	}
	if (num < NSLOTS && g->slot[num] == k) {
		ENSURE(rc == 0);
		return;
	}
	if (st.pseries || num >= NSLOTS) {
		ENSURE(rc == -EPERM || rc == -EINVAL);
		return;
	}
	if (g->slot[num] != SLOT_EMPTY) {
		ENSURE(rc == -EBUSY);
		return;
	}
	ENSURE(rc == 0 || rc == -EINVAL);
	if (!rc) {
		ENSURE((num == 1) == (o->ti.bus_offset >= (1ULL << 59))); /* the slot's half */
		o->in[gidx(g)][num] = true;
		g->slot[num] = k;
	}
}

static void op_unset(struct input *in)
{
	struct group_model *g = take_group(in);
	uint32_t num = take(in, 1) % 3;
	int rc;

	before();
	rc = tce_group_unset_window(g->g, num);
	TRACE("unset %d slot %u: %d\n", gidx(g), num, rc);
	if (num >= NSLOTS) {
		ENSURE(rc == -EINVAL);
		return;
	}
	if (!g->owned || st.legacy) { /* legacy: the fixed window stays */
		ENSURE(rc == -EPERM);
		return;
	}
	if (g->unsure) { /* a table the model follows there is unset (cut off on pseries) too */
		table_unlinked(gidx(g), num, !rc);
		if (rc)
			g->slot[num] = SLOT_OTHER;
		return;
	}
	ENSURE(rc == 0 || fault_err(rc));
	table_unlinked(gidx(g), num, !rc);
}

/*
 * Borrow the table in a slot: the one the owner created (pseries) or set
 * (powernv), or on legacy the fresh table object of the take, which the
 * model then follows as an owner's table.
 */
static void op_get_table(struct input *in)
{
	struct group_model *g = take_group(in);
	uint32_t num = take(in, 1) % 3;
	struct tce_iommu_table *t = NULL;
	struct otable *o;
	int rc, k;

	rc = tce_group_get_table(g->g, num, &t);
	TRACE("get_table %d slot %u: %d\n", gidx(g), num, rc);
	if (num >= NSLOTS) {
		ENSURE(rc == -EINVAL);
		return;
	}
	if (!g->owned) {
		ENSURE(rc == -EPERM);
		return;
	}
	k = g->slot[num];
	if (g->unsure || k == SLOT_OTHER) { /* whatever is there, out of the model's reach */
		ENSURE(rc == 0 || rc == -ENOENT);
		if (!rc)
			tce_iommu_table_put(t);
		return;
	}
	if (k == SLOT_EMPTY) {
		ENSURE(rc == -ENOENT);
		return;
	}
	ENSURE(rc == 0 && t);
	if (k >= 0) { /* the same object the model already follows */
		ENSURE(t == st.ot[k].t);
		tce_iommu_table_put(t);
		return;
	}
	o = free_table();
	if (!o) {
		tce_iommu_table_put(t);
		return;
	}
	memset(o, 0, sizeof(*o));
	o->t = t;
	tce_iommu_table_info(t, &o->ti);
	ENSURE(o->ti.bus_offset == g->info.tce32_start && o->ti.window_size == g->info.tce32_size &&
	       o->ti.page_shift == 12 && o->ti.first_idx == o->ti.bus_offset >> 12);
	o->in[gidx(g)][num] = true;
	g->slot[num] = (int)(o - st.ot);
}

static void op_put(struct input *in)
{
	struct otable *o = take_table(in);
	int g, s;

	if (!o)
		return;
	TRACE("put table %d\n", (int)(o - st.ot));
	for (g = 0; g < NGROUPS; g++)
		for (s = 0; s < NSLOTS; s++)
			if (o->in[g][s])
				st.gm[g].slot[s] = SLOT_OTHER; /* still there, out of our reach */
	tce_iommu_table_put(o->t);
	memset(o, 0, sizeof(*o));
}

/* ---- an owner's entries ---- */

static uint64_t take_idx(struct input *in, const struct otable *o)
{
	uint64_t sel = take(in, 1), v = take(in, 3);

	if (sel < 100 && o->nent)
		return o->ent[v % o->nent].idx;
	if (sel < 230)
		return o->ti.first_idx + v % (o->ti.entries < 4096 ? o->ti.entries : 4096);
	if (sel < 245)
		return o->ti.first_idx + o->ti.entries - 1 + sel % 3;
	return o->ti.first_idx - 1 - v % 4;
}

static bool idx_in(const struct otable *o, uint64_t idx, uint64_t n)
{
	return idx >= o->ti.first_idx && n <= o->ti.entries &&
	       idx - o->ti.first_idx <= o->ti.entries - n;
}


/* Record what an entry now holds; pseries kills as it writes (the hcall), powernv does not. */
static void set_entry(struct otable *o, uint64_t idx, uint64_t tce)
{
	int i = ent_find(o, idx);

	if (i < 0) {
		if (o->nent == MAX_ENT)
			return; /* cannot happen: callers make room first */
		i = (int)o->nent++;
		o->ent[i].idx = idx;
	}
	o->ent[i].tce = tce;
	o->ent[i].dirty = !st.pseries;
}

static void op_xchg(struct input *in)
{
	struct otable *o = take_table(in);
	uint64_t idx, real, new_real, want_old = 0, page, sel, v = 0;
	enum tce_dir dir, new_dir;
	int rc, i;

	if (!o)
		return;
	idx = take_idx(in, o);
	page = 1ULL << o->ti.page_shift;
	sel = take(in, 1);
	real = sel < 200 ? ((take(in, 3) << 12) % OWNER_RAM) & ~(page - 1)
			 : (sel < 230 ? take(in, 5) << 12 : take(in, 8));
	dir = take_dir(in);
	i = ent_find(o, idx);
	if (i < 0 && o->nent == MAX_ENT)
		return;
	if (i >= 0)
		want_old = o->ent[i].tce;
	new_real = real, new_dir = dir;
	before();
	rc = tce_iommu_table_xchg(o->t, idx, &real, &dir);
	TRACE("xchg %d idx %#llx real %#llx dir %d: %d old %#llx/%d\n", (int)(o - st.ot),
	      (unsigned long long)idx, (unsigned long long)new_real, new_dir, rc,
	      (unsigned long long)real, dir);
	if (!idx_in(o, idx, 1) || (unsigned)new_dir > TCE_DIR_NONE ||
	    (new_dir != TCE_DIR_NONE && (new_real & (page - 1)))) {
		ENSURE(rc == -EINVAL);
		return;
	}
	if (o->cut) { /* documented: it never reaches a window again */
		ENSURE(rc == -ENODEV && real == new_real && dir == new_dir);
		return;
	}
	if (rc) {
		/* a page that is not memory (the hypervisor checks), a removed window */
		ENSURE(rc == -EINVAL || fault_err(rc) || (o->gone && (rc == -EIO || rc == -ENODEV)));
		check_table(o);
		return;
	}
	if (o->gone)
		return;
	/* The old entry as it was: its page and its permission (none for an empty or poison TCE). */
	ENSURE(dir == tce_perm_to_dir(want_old) && real == (want_old & ~3ULL));
	if (new_dir == TCE_DIR_NONE) { /* stored empty, or (pseries) as a poison value: read it */
		rc = tce_iommu_table_get(o->t, idx, &v);
		if (rc && fault_err(rc)) { /* the armed countdown fired in this check's own H_GET_TCE */
			tce_ctx_set_fail_nth(st.ctx, 0);
			rc = tce_iommu_table_get(o->t, idx, &v);
		}
		ENSURE(rc == 0 && !(v & 3));
		set_entry(o, idx, v);
		return;
	}
	set_entry(o, idx, new_real | tce_dir_to_perm(hw_dir(new_dir)));
}

static void op_get(struct input *in)
{
	struct otable *o = take_table(in);
	uint64_t idx, v = 0;
	int rc, i;

	if (!o)
		return;
	idx = take_idx(in, o);
	before();
	rc = tce_iommu_table_get(o->t, idx, &v);
	if (!idx_in(o, idx, 1)) {
		ENSURE(rc == -EINVAL);
		return;
	}
	ENSURE(o->cut ? rc == -ENODEV : rc == 0 || fault_err(rc) || (o->gone && rc < 0));
	i = ent_find(o, idx);
	if (!rc && !o->gone)
		ENSURE(v == (i < 0 ? 0 : o->ent[i].tce));
}

static uint64_t take_count(struct input *in, const struct otable *o)
{
	uint64_t sel = take(in, 1);

	if (sel < 200)
		return 1 + sel % 16;
	if (sel < 240)
		return o->ti.entries;
	return take(in, 8);
}

static void op_kill_or_clear(struct input *in, bool clear)
{
	struct otable *o = take_table(in);
	uint64_t idx, n;
	unsigned i;
	int rc;

	if (!o)
		return;
	idx = take_idx(in, o), n = take_count(in, o);
	before();
	rc = clear ? tce_iommu_table_clear(o->t, idx, n) : tce_iommu_table_kill(o->t, idx, n);
	TRACE("%s %d idx %#llx n %#llx: %d\n", clear ? "clear" : "kill", (int)(o - st.ot),
	      (unsigned long long)idx, (unsigned long long)n, rc);
	if (!n || !idx_in(o, idx, n)) {
		ENSURE(rc == -EINVAL);
		return;
	}
	if (o->cut) /* kill is no call through the window: it is not refused */
		ENSURE(clear ? rc == -ENODEV : rc == 0);
	ENSURE(rc == 0 || fault_err(rc) || (o->gone && rc < 0));
	if (rc) {
		check_table(o);
		return;
	}
	for (i = 0; i < o->nent; i++)
		if (o->ent[i].idx >= idx && o->ent[i].idx - idx < n) {
			if (clear)
				o->ent[i].tce = 0;
			o->ent[i].dirty = false;
		}
	check_table(o);
}

static void op_mirror(struct input *in)
{
	struct otable *o = take_table(in);
	uint64_t idx, *slot = NULL;
	bool alloc = take(in, 1) & 1;
	int rc;

	if (!o)
		return;
	idx = take_idx(in, o);
	before();
	rc = tce_iommu_table_mirror_slot(o->t, idx, alloc, &slot);
	if (!idx_in(o, idx, 1)) {
		ENSURE(rc == -EINVAL);
		return;
	}
	ENSURE(rc == 0 || rc == -EOPNOTSUPP || (!alloc && rc == -ENOENT) || fault_err(rc) ||
	       (o->gone && rc < 0));
	if (!rc)
		__atomic_store_n(slot, idx, __ATOMIC_RELAXED);
}

/* ---- the kernel's DMA API ---- */

static struct kmap *free_kmap(void)
{
	unsigned i;

	for (i = 0; i < MAX_KMAPS; i++)
		if (!st.km[i].used)
			return &st.km[i];
	return NULL;
}

static struct kmap *take_kmap(struct input *in)
{
	unsigned i, k = take(in, 1);

	for (i = 0; i < MAX_KMAPS; i++)
		if (st.km[(i + k) % MAX_KMAPS].used)
			return &st.km[(i + k) % MAX_KMAPS];
	return NULL;
}

/* Host memory behind a real address of the machine's RAM (NULL outside it). */
static uint8_t *ram(uint64_t real, size_t len)
{
	return tce_machine_ram_ptr(st.m, real, len);
}

static bool may_read(enum tce_dir d)
{
	return d == TCE_DIR_BIDIRECTIONAL || d == TCE_DIR_TO_DEVICE;
}

static bool may_write(enum tce_dir d)
{
	return d == TCE_DIR_BIDIRECTIONAL || d == TCE_DIR_FROM_DEVICE;
}

/* A device access; a fault must freeze the PE, which is thawed for the next one. */
static int dev_dma(struct tce_pci_dev *pci, uint64_t bus, uint8_t *data, size_t len, bool write)
{
	int rc;

	before();
	rc = write ? tce_dev_dma_write(pci, bus, data, len) : tce_dev_dma_read(pci, bus, data, len);
	TRACE("dev %s %s bus %#llx len %zu: %d\n", tce_dev_name(pci), write ? "write" : "read",
	      (unsigned long long)bus, len, rc);
	ENSURE(rc == 0 || rc == -EFAULT || fault_err(rc) || (rc == -EINVAL && bus + len - 1 < bus));
	if (rc == -EFAULT)
		ENSURE(tce_dev_eeh_frozen(pci, NULL));
	tce_dev_eeh_thaw(pci);
	return rc;
}

/*
 * The device reads or writes @len bytes at @bus, which map real address
 * @real with direction @dir (@strict: a missing permission must fault).
 */
static void dma_check(struct tce_pci_dev *pci, uint64_t bus, uint64_t real, size_t len,
		      enum tce_dir dir, bool write, bool strict)
{
	uint8_t data[64] = { 0 }, *mem = ram(real, len);
	bool ok = write ? may_write(dir) : may_read(dir);
	size_t i;
	int rc;

	ENSURE(len && len <= sizeof(data));
	if (!mem) { /* a page that is not memory: the access faults */
		rc = dev_dma(pci, bus, data, len, write);
		ENSURE(!strict || rc == -EFAULT || fault_err(rc));
		return;
	}
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(bus + i * 7 + write), mem[i] = write ? 0 : data[i];
	if (!write)
		memset(data, 0, len);
	rc = dev_dma(pci, bus, data, len, write);
	if (rc && fault_err(rc))
		return;
	if (!ok) {
		ENSURE(!strict || rc == -EFAULT);
		return;
	}
	ENSURE(rc == 0);
	for (i = 0; i < len; i++)
		ENSURE(mem[i] == (uint8_t)(bus + i * 7 + write) && data[i] == mem[i]);
}

/* DMA through a kernel mapping of its buffer bytes. */
static void kmap_dma(struct kmap *k, struct input *in)
{
	struct tce_device_dma_info di;
	uint64_t bus = k->kind == 1 ? k->sg[0].dma_address : k->bus;
	uint64_t len = k->kind == 1 ? k->sg[0].length : k->size, off, n;
	struct group_model *g = &st.gm[k->grp];
	bool write = take(in, 1) & 1;

	if (!len)
		return;
	off = take(in, 2) % len;
	n = 1 + take(in, 1) % 64;
	if (n > len - off)
		n = len - off;
	tce_device_dma_info(g->dev, &di);
	dma_check(tce_device_pci(g->dev), bus + off, (k->kind == 1 ? k->sg[0].real : k->real) + off,
		  n, hw_dir(k->dir), write,
		  (di.mode == TCE_DMA_DEFAULT || di.mode == TCE_DMA_DYNAMIC) &&
			  !(st.pseries && k->dir == TCE_DIR_FROM_DEVICE));
}

/* A real range: inside a kernel buffer (DMA-checked), or anything. */
static bool take_real(struct input *in, uint64_t *real, uint64_t *size)
{
	uint64_t sel = take(in, 1), off;
	const struct buf *b = &st.buf[sel % NBUF];

	if (sel < 220) {
		off = take(in, 2) % BUF_BYTES;
		*real = b->real + off;
		*size = 1 + take(in, 2) % (BUF_BYTES - off);
		return true;
	}
	*real = take(in, 5) << 4;
	*size = sel < 250 ? 1 + take(in, 3) : take(in, 8);
	return false;
}

static void kernel_failed(const struct group_model *g, int rc, bool bad, bool in_ram)
{
	if (g->owned)
		ENSURE(rc == -EBUSY || (bad && rc == -EINVAL));
	else if (bad)
		ENSURE(rc == -EINVAL || fault_err(rc));
	else /* a range that is not RAM, or does not fit the window */
		ENSURE(fault_err(rc) || (!in_ram && (rc == -EINVAL || rc == -ENOSPC)));
}

/* FUZZ_GROUP_SKIP_KNOWN: no bad direction (a map may switch to a mode that does not check it). */
static bool skip_dir(enum tce_dir dir)
{
	return FUZZ_GROUP_SKIP_KNOWN && !dir_ok(dir);
}

/* In direct and bypass modes, bus = base + real. Returns whether the mode is one of them. */
static bool direct_check(const struct group_model *g, uint64_t real, uint64_t bus)
{
	struct tce_device_dma_info di;

	tce_device_dma_info(g->dev, &di);
	if (di.mode != TCE_DMA_DIRECT && di.mode != TCE_DMA_BYPASS)
		return false;
	ENSURE(bus == di.bus_start + real);
	return true;
}

static void op_map_page(struct input *in)
{
	struct group_model *g = take_group(in);
	struct kmap *k = free_kmap();
	uint64_t real, size, bus = 0;
	bool in_ram = take_real(in, &real, &size);
	enum tce_dir dir = take_dir(in);
	int rc;

	if (!k || skip_dir(dir))
		return;
	before();
	rc = tce_device_map_page(g->dev, real, size, dir, &bus);
	TRACE("map_page %d real %#llx size %#llx dir %d: %d bus %#llx\n", gidx(g),
	      (unsigned long long)real, (unsigned long long)size, dir, rc, (unsigned long long)bus);
	if (rc) {
		kernel_failed(g, rc, !size || !dir_ok(dir) || real + size < real, in_ram);
		return;
	}
	ENSURE(!g->owned && size && dir_ok(dir));
	*k = (struct kmap){ .used = true, .grp = gidx(g), .kind = 0, .real = real, .size = size,
			    .bus = bus, .dir = dir, .direct = direct_check(g, real, bus) };
	if (in_ram)
		kmap_dma(k, in);
}

static void op_map_sg(struct input *in)
{
	struct group_model *g = take_group(in);
	struct kmap *k = free_kmap();
	unsigned i, n = 1 + take(in, 1) % 4, mapped = 0;
	enum tce_dir dir = take_dir(in);
	struct tce_sg sg[4];
	uint64_t off;
	int rc;

	if (!k || skip_dir(dir))
		return;
	for (i = 0; i < n; i++) {
		const struct buf *b = &st.buf[(take(in, 1) + i) % NBUF];

		off = take(in, 2) % BUF_BYTES;
		sg[i] = (struct tce_sg){ .real = b->real + off,
					 .length = 1 + take(in, 2) % (BUF_BYTES - off) };
	}
	before();
	rc = tce_device_map_sg(g->dev, sg, n, dir, &mapped);
	TRACE("map_sg %d n %u dir %d: %d mapped %u\n", gidx(g), n, dir, rc, mapped);
	for (i = 0; i < n; i++)
		TRACE("  [%u] real %#llx len %#llx -> %#llx +%#llx\n", i,
		      (unsigned long long)sg[i].real, (unsigned long long)sg[i].length,
		      (unsigned long long)sg[i].dma_address, (unsigned long long)sg[i].dma_length);
	if (rc) {
		kernel_failed(g, rc, !dir_ok(dir), true); /* kernel buffers only */
		return;
	}
	ENSURE(!g->owned && dir_ok(dir) && mapped >= 1 && mapped <= n);
	ENSURE(sg[0].dma_length >= sg[0].length);
	*k = (struct kmap){ .used = true, .grp = gidx(g), .kind = 1, .dir = dir, .nents = n,
			    .direct = direct_check(g, sg[0].real, sg[0].dma_address) };
	memcpy(k->sg, sg, sizeof(sg));
	kmap_dma(k, in);
}

static void op_alloc_coherent(struct input *in)
{
	struct group_model *g = take_group(in);
	struct kmap *k = free_kmap();
	uint64_t sel = take(in, 1), size, real = 0, bus = 0;
	uint8_t *cpu = NULL;
	int rc;

	if (!k)
		return;
	size = sel < 240 ? 1 + take(in, 2) : (sel & 1 ? 0 : ~0ULL >> (sel % 8));
	before();
	rc = tce_device_alloc_coherent(g->dev, size, &real, (void **)&cpu, &bus);
	TRACE("alloc_coherent %d size %#llx: %d real %#llx bus %#llx\n", gidx(g),
	      (unsigned long long)size, rc, (unsigned long long)real, (unsigned long long)bus);
	if (rc) {
		ENSURE((g->owned && (rc == -EBUSY || rc == -EINVAL)) || rc == -EINVAL ||
		       rc == -ENOMEM || fault_err(rc));
		ENSURE(size && size <= (1 << 16) ? rc != -EINVAL : 1);
		return;
	}
	ENSURE(!g->owned && cpu == ram(real, size) && cpu[0] == 0 && cpu[size - 1] == 0);
	*k = (struct kmap){ .used = true, .grp = gidx(g), .kind = 2, .real = real, .size = size,
			    .bus = bus, .dir = TCE_DIR_BIDIRECTIONAL,
			    .direct = direct_check(g, real, bus) };
	kmap_dma(k, in);
}

static int kunmap(struct kmap *k, uint64_t bus, uint64_t size)
{
	struct tce_device *d = st.gm[k->grp].dev;

	if (k->kind == 1)
		return tce_device_unmap_sg(d, k->sg, k->nents);
	if (k->kind == 2)
		return tce_device_free_coherent(d, size, k->real, bus);
	return tce_device_unmap_page(d, bus, size);
}

static void op_unmap(struct input *in)
{
	struct kmap *k = take_kmap(in);
	uint64_t sel = take(in, 1);
	int rc;

	if (!k) { /* nothing mapped: any unmap is refused (direct modes keep no record) */
		struct group_model *g = take_group(in);
		struct tce_device_dma_info di;

		tce_device_dma_info(g->dev, &di);
		rc = tce_device_unmap_page(g->dev, take(in, 8), take(in, 1));
		ENSURE(rc == -EINVAL || (g->owned && rc == -EBUSY) ||
		       (!rc && (di.mode == TCE_DMA_DIRECT || di.mode == TCE_DMA_BYPASS)));
		return;
	}
	if (sel < 40 && k->kind != 1) {
		ENSURE(kunmap(k, k->bus, 0) == -EINVAL);
		return;
	}
	if (sel < 80)
		kmap_dma(k, in);
	rc = kunmap(k, k->bus, k->size);
	TRACE("unmap kind %d bus %#llx size %#llx: %d\n", k->kind, (unsigned long long)k->bus,
	      (unsigned long long)k->size, rc);
	ENSURE(rc == 0);
	k->used = false;
}

static void op_mask(struct input *in)
{
	static const uint64_t masks[] = { 0, 0xffffffffULL, ~0ULL, (1ULL << 60) - 1,
					  (1ULL << 40) - 1, 0xffffff };
	struct group_model *g = take_group(in);
	uint64_t mask = masks[take(in, 1) % 6];
	int rc;

	if (kernel_busy(gidx(g)))
		return; /* a driver sets its mask before it maps */
	if (FUZZ_GROUP_SKIP_KNOWN && st.pseries && g->info.max_dynamic_windows == 1 &&
	    mask != ~0ULL)
		return;
	before();
	rc = tce_device_set_dma_mask(g->dev, mask);
	TRACE("mask %d %#llx: %d\n", gidx(g), (unsigned long long)mask, rc);
	if (!mask)
		ENSURE(rc == -EINVAL);
	else if (g->owned)
		ENSURE(rc == -EBUSY);
	else /* -EIO: the mask cannot reach the DDW that holds the PE's only slot */
		ENSURE(rc == 0 || fault_err(rc) || (rc == -EIO && g->info.max_dynamic_windows == 1));
}

/* The DMA-test device's copy engine between two kernel mappings of its group. */
static void op_copy(struct input *in)
{
	struct kmap *a = take_kmap(in), *b = take_kmap(in);
	struct tce_pci_dev *pci;
	uint64_t len, status = 0;
	uint8_t *src, *dst;

	if (!a || !b || a == b || a->grp != b->grp || a->kind == 1 || b->kind == 1 ||
	    !may_read(a->dir) || !may_write(b->dir) || !(src = ram(a->real, a->size)) ||
	    !(dst = ram(b->real, b->size)))
		return;
	len = 1 + take(in, 2) % (a->size < b->size ? a->size : b->size);
	if (a->real < b->real + b->size && b->real < a->real + a->size)
		return; /* overlapping buffers */
	memset(src, (int)(len & 0xff) | 1, len);
	memset(dst, 0, len);
	pci = tce_device_pci(st.gm[a->grp].dev);
	tce_dev_config_write(pci, 4, 2, 0x6);
	tce_dev_bar_write(pci, 0, 0x00, 8, a->bus);
	tce_dev_bar_write(pci, 0, 0x08, 8, b->bus);
	tce_dev_bar_write(pci, 0, 0x10, 8, len);
	before();
	tce_dev_bar_write(pci, 0, 0x18, 4, 1);
	tce_dev_bar_read(pci, 0, 0x1c, 4, &status);
	tce_dev_eeh_thaw(pci);
	if (fired())
		return;
	ENSURE(status == 1 && !memcmp(src, dst, len));
}

/* ---- the device's DMA through an owner's windows ---- */

/* Is @bus inside a window the model says group @g has programmed? */
static struct otable *window_of(int g, uint64_t bus)
{
	int s;

	for (s = 0; s < NSLOTS; s++) {
		int k = st.gm[g].slot[s];

		if (k >= 0 && bus - st.ot[k].ti.bus_offset < st.ot[k].ti.window_size)
			return &st.ot[k];
	}
	return NULL;
}

/* Does group @g have a window whose table the model no longer follows (put, say)? */
static bool slot_unknown(const struct group_model *g)
{
	return g->slot[0] == SLOT_OTHER || g->slot[1] == SLOT_OTHER;
}

static void owner_dma(struct group_model *g, struct input *in)
{
	struct tce_pci_dev *pci = tce_device_pci(g->dev);
	int s = take(in, 1) % NSLOTS, k = g->slot[s], rc;
	uint64_t page, off, len, tce, real;
	bool write = take(in, 1) & 1;
	struct otable *o;
	uint8_t data[64] = { 0 };
	unsigned i;

	if (k < 0 || !st.ot[k].nent)
		return;
	o = &st.ot[k];
	i = take(in, 1) % o->nent;
	page = 1ULL << o->ti.page_shift;
	off = take(in, 4) % page;
	len = 1 + take(in, 1) % 64;
	if (len > page - off)
		len = page - off;
	tce = o->ent[i].tce;
	real = (tce & ~(page - 1)) + off;
	if (o->ent[i].dirty) { /* either translation may be served: only no crash */
		dev_dma(pci, (o->ent[i].idx << o->ti.page_shift) + off, data, len, write);
		return;
	}
	if ((tce & (write ? 2 : 1)) && ram(real, len)) {
		dma_check(pci, (o->ent[i].idx << o->ti.page_shift) + off, real, len,
			  tce_perm_to_dir(tce), write, true);
		return;
	}
	rc = dev_dma(pci, (o->ent[i].idx << o->ti.page_shift) + off, data, len, write);
	ENSURE(rc == -EFAULT || fault_err(rc));
}

static void op_dma(struct input *in)
{
	struct group_model *g = take_group(in);
	uint64_t sel = take(in, 1), bus, len;
	uint8_t data[16] = { 0 };
	struct kmap *k;
	int rc;

	if (g->owned && !g->unsure && sel < 160) {
		owner_dma(g, in);
		return;
	}
	if (!g->owned && sel < 160) {
		k = take_kmap(in);
		if (k && k->grp == gidx(g))
			kmap_dma(k, in);
		return;
	}
	bus = sel & 1 ? take(in, 8) : take(in, 4) << 12 | (sel & 2 ? 1ULL << 59 : 0);
	len = 1 + sel % 16;
	rc = dev_dma(tce_device_pci(g->dev), bus, data, len, sel & 4);
	if (g->owned && !g->unsure && !window_of(gidx(g), bus) && !slot_unknown(g) &&
	    !fault_err(rc) && bus + len - 1 >= bus)
		ENSURE(rc == -EFAULT); /* owned: only the owner's windows decode */
}

/* ---- the run ---- */

static void op_arm(struct input *in)
{
	uint64_t n = 1 + take(in, 1) % 24;

	TRACE("fail-nth %llu\n", (unsigned long long)n);
	tce_ctx_set_fail_nth(st.ctx, n);
}

static void run(struct input *in)
{
	while (in->n) {
		switch (take(in, 1) % 21) {
		case 0: op_take(in); break;
		case 1: op_release(in); break;
		case 2: case 3: op_create(in); break;
		case 4: op_set(in); break;
		case 5: op_unset(in); break;
		case 6: op_put(in); break;
		case 7: case 8: op_xchg(in); break;
		case 9: op_get(in); break;
		case 10: op_kill_or_clear(in, false); break;
		case 11: op_kill_or_clear(in, true); break;
		case 12: op_mirror(in); break;
		case 13: op_map_page(in); break;
		case 14: op_map_sg(in); break;
		case 15: op_alloc_coherent(in); break;
		case 16: op_unmap(in); break;
		case 17: op_mask(in); break;
		case 18: op_dma(in); break;
		case 19: op_get_table(in); break;
		default: (take(in, 1) & 1) ? op_arm(in) : op_copy(in); break;
		}
	}
}

static uint32_t pe_slots(const struct tce_group_info *gi)
{
	struct tce_pe_info pi;
	uint32_t j;

	for (j = 0; tce_machine_pe(st.m, gi->phb, j, &pi) == 0; j++)
		if (pi.num == gi->pe)
			return pi.nslots;
	ENSURE(0);
	return 0;
}

static bool boot(struct input *in)
{
	uint64_t sel = take(in, 1);
	int p = sel & 1 ? TCE_PLATFORM_POWERNV : TCE_PLATFORM_PSERIES;
	struct tce_host_config hc = { .profile = p == TCE_PLATFORM_PSERIES && (sel & 6) == 6
							 ? TCE_OS_LEGACY : TCE_OS_DEFAULT,
				      .page_shift = sel & 8 ? 12 : 0 };
	struct tce_machine_config cfg = { 0 };
	struct tce_machine *ref;
	unsigned i;

	if (!blobs[p]) {
		ENSURE(tce_machine_create_default((enum tce_platform)p, &ref) == 0);
		blob_size[p] = tce_machine_fdt_size(ref);
		blobs[p] = malloc(blob_size[p]);
		ENSURE(blobs[p]);
		memcpy(blobs[p], tce_machine_fdt(ref), blob_size[p]);
		tce_machine_destroy(ref);
	}
	ENSURE(tce_ctx_create(&st.ctx) == 0);
	cfg = (struct tce_machine_config){ .ctx = st.ctx, .dtb = blobs[p], .dtb_size = blob_size[p] };
	ENSURE(tce_machine_create(&cfg, &st.m) == 0);
	ENSURE(tce_host_create_config(st.m, &hc, &st.h) == 0 &&
	       tce_host_ngroups(st.h) == BUILTIN_GROUPS);
	st.pseries = p == TCE_PLATFORM_PSERIES;
	st.legacy = hc.profile == TCE_OS_LEGACY;
	TRACE("boot %s, host page shift %u\n",
	      st.legacy ? "legacy" : st.pseries ? "pseries" : "powernv", hc.page_shift ? 12 : 16);
	ENSURE(tce_host_find_device(st.h, "0000:00:01.0", &st.gm[0].dev) == 0);
	ENSURE(tce_host_find_device(st.h, "0000:00:02.0", &st.gm[1].dev) == 0);
	for (i = 0; i < NGROUPS; i++) {
		st.gm[i].g = tce_device_group(st.gm[i].dev);
		tce_group_info(st.gm[i].g, &st.gm[i].info);
		st.gm[i].nslots = pe_slots(&st.gm[i].info);
		st.gm[i].slot[0] = st.gm[i].slot[1] = SLOT_OTHER;
	}
	for (i = 0; i < NBUF; i++)
		ENSURE(tce_host_alloc(st.h, BUF_BYTES, &st.buf[i].real, (void **)&st.buf[i].p) == 0);
	return true;
}

/* Hand everything back; the kernel's DMA works again on both groups; nothing is left. */
static void teardown(void)
{
	struct tce_mem_stats ms;
	struct input none = { NULL, 0 };
	unsigned i;

	tce_ctx_set_fail_nth(st.ctx, 0);
	st.armed = false;
	for (i = 0; i < NGROUPS; i++)
		if (tce_group_owned(st.gm[i].g))
			ENSURE(tce_group_release_ownership(st.gm[i].g) == 0);
	for (i = 0; i < MAX_KMAPS; i++)
		if (st.km[i].used)
			ENSURE(kunmap(&st.km[i], st.km[i].bus, st.km[i].size) == 0);
	for (i = 0; i < MAX_TABLES; i++)
		tce_iommu_table_put(st.ot[i].t);
	ENSURE(st.balance == 0);
	for (i = 0; i < NGROUPS; i++) {
		struct kmap k = { .used = true, .grp = (int)i, .real = st.buf[0].real, .size = 4096,
				  .dir = TCE_DIR_BIDIRECTIONAL };

		ENSURE(tce_device_map_page(st.gm[i].dev, k.real, k.size, k.dir, &k.bus) == 0);
		kmap_dma(&k, &none);
		ENSURE(tce_device_unmap_page(st.gm[i].dev, k.bus, k.size) == 0);
	}
	for (i = 0; i < NBUF; i++)
		ENSURE(tce_host_free(st.h, st.buf[i].real, BUF_BYTES) == 0);
	tce_host_destroy(st.h);
	tce_machine_destroy(st.m);
	tce_ctx_mem_stats(st.ctx, &ms);
	ENSURE(ms.live_allocs == 0);
	tce_ctx_destroy(st.ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memset(&st, 0, sizeof(st));
	boot(&in);
	run(&in);
	teardown();
	return 0;
}
