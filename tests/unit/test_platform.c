/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The platform layer through its own header: the three platforms' table
 * ops against a plain table (the oracle: the same random updates, clears
 * and exchanges, the same TCEs and the same released pages), the order of
 * exchange, kill and release (every release after a kill that covers its
 * entry), and a platform that skips its kills caught by the PHB's TCE
 * cache. Faults and observations are injected by wrapping a table's const
 * ops table, never by flags in the library.
 */
#include <errno.h>
#include <string.h>

#include "group/group_int.h"
#include "harness.h"
#include "tt_table.h"

/* ---- a wrapped ops table that records what the platform does ---- */

enum ev_kind { EV_XCHG, EV_KILL, EV_RELEASE };

struct ev {
	enum ev_kind kind;
	uint64_t idx, n, real;
	bool dirty;
};

#define MAX_EV 20000

static struct {
	const struct tce__table_ops *inner;
	struct ev ev[MAX_EV];
	unsigned nev;
	bool skip_kills;
} rec;

static void record(enum ev_kind k, uint64_t idx, uint64_t n, uint64_t real, bool dirty)
{
	if (rec.nev < MAX_EV)
		rec.ev[rec.nev++] = (struct ev){ k, idx, n, real, dirty };
}

static int w_xchg(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir)
{
	int rc = rec.inner->xchg(t, idx, real, dir);

	if (!rc)
		record(EV_XCHG, idx, 1, 0, false);
	return rc;
}

static void w_invalidate(struct tce_iommu_table *t, uint64_t idx, uint64_t npages)
{
	record(EV_KILL, idx, npages, 0, false);
	if (!rec.skip_kills)
		rec.inner->invalidate(t, idx, npages);
}

static struct tce__table_ops wrapped;

static void wrap(struct tce_iommu_table *t)
{
	rec.inner = t->ops;
	rec.nev = 0;
	rec.skip_kills = false;
	wrapped = *t->ops;
	wrapped.xchg = w_xchg;
	wrapped.invalidate = w_invalidate;
	t->ops = &wrapped;
}

static void unwrap(struct tce_iommu_table *t)
{
	t->ops = rec.inner;
}

static void on_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	(void)arg;
	record(EV_RELEASE, idx, 1, real, dirty);
}

/* Every release follows an exchange of its entry and then a kill that covers it. */
static void check_order(void)
{
	unsigned i, j;

	for (i = 0; i < rec.nev; i++) {
		bool xchg = false, killed = false;

		if (rec.ev[i].kind != EV_RELEASE)
			continue;
		for (j = 0; j < i; j++) {
			const struct ev *e = &rec.ev[j];

			if (e->kind == EV_XCHG && e->idx == rec.ev[i].idx)
				xchg = true, killed = false;
			else if (e->kind == EV_KILL && xchg && rec.ev[i].idx >= e->idx &&
				 rec.ev[i].idx - e->idx < e->n)
				killed = true;
		}
		if (!xchg || !killed) {
			tt_fail(__FILE__, __LINE__, "release of entry 0x%" PRIx64 " at event %u: %s",
				rec.ev[i].idx, i, xchg ? "before its kill" : "without an exchange");
			return;
		}
	}
}

static unsigned count(enum ev_kind k)
{
	unsigned i, n = 0;

	for (i = 0; i < rec.nev; i++)
		n += rec.ev[i].kind == k;
	return n;
}

/* ---- an owner's table on each platform ---- */

struct owner {
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_group *g;
	struct tce_device *d;
	struct tce_iommu_table *t;
	enum tce_os_profile profile;
};

enum kind { K_PSERIES, K_POWERNV, K_LEGACY, K_NKINDS };
static const char *const kind_name[] = { "pseries", "powernv", "legacy" };

static int owner_up(struct owner *o, enum kind k)
{
	struct tce_window_req req = { .num = 0, .page_shift = 12, .window_size = 1 << 28,
				      .levels = 2 };
	struct tce_host_config cfg = { .profile = k == K_LEGACY ? TCE_OS_LEGACY : TCE_OS_DEFAULT };
	int rc;

	memset(o, 0, sizeof(*o));
	rc = tce_machine_create_default(k == K_POWERNV ? TCE_PLATFORM_POWERNV
						       : TCE_PLATFORM_PSERIES, &o->m);
	if (!rc)
		rc = tce_host_create_config(o->m, &cfg, &o->h);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:01.0", &o->d);
	if (rc)
		return rc;
	o->g = tce_device_group(o->d);
	rc = tce_group_take_ownership(o->g);
	if (rc)
		return rc;
	if (k == K_LEGACY)
		return tce_group_get_table(o->g, 0, &o->t);
	if (k == K_PSERIES)
		req.levels = 1;
	rc = tce_group_create_table(o->g, &req, &o->t);
	return rc ? rc : tce_group_set_window(o->g, 0, o->t);
}

static void owner_down(struct owner *o)
{
	tce_iommu_table_put(o->t);
	CHECK_RC(tce_group_release_ownership(o->g), 0);
	tce_host_destroy(o->h);
	tce_machine_destroy(o->m);
}

/* ---- the oracle ---- */

#define ORACLE_SPAN 2048 /* entries the random operations touch */

static struct {
	uint64_t released, dirty;
} tally;

static void count_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	(void)arg, (void)idx, (void)real;
	tally.released++;
	tally.dirty += dirty;
}

/*
 * One random sequence applied to a platform's table and to a plain
 * tce_table; @ref is the flat model (the TCE as the direction asks for it)
 * and predicts every release.
 */
struct subject {
	enum kind k;
	struct tce_iommu_table *t;
	struct tce_table *plain;
	uint64_t ref[ORACLE_SPAN];
	uint64_t first, want_released, want_dirty;
};

/* The model's TCE as the platform stores it: powernv writes W as R|W. */
static uint64_t as_stored(enum kind k, uint64_t tce)
{
	return k == K_POWERNV && (tce & TCE_PERM_MASK) == TCE_PCI_WRITE ? tce | TCE_PCI_READ : tce;
}

static void replace_ref(struct subject *s, uint64_t rel, uint64_t v, bool released)
{
	uint64_t old = as_stored(s->k, s->ref[rel]);

	if (released && (old & TCE_PERM_MASK)) {
		s->want_released++;
		s->want_dirty += (old & TCE_PCI_WRITE) != 0;
	}
	s->ref[rel] = v;
}

static void raw_xchg(struct subject *s, uint64_t rel, uint64_t real, enum tce_dir dir)
{
	uint64_t v = dir == TCE_DIR_NONE ? 0 : real, pv = v, want = as_stored(s->k, s->ref[rel]);
	enum tce_dir d = dir, pd = dir;

	CHECK_RC(tce_iommu_table_xchg(s->t, s->first + rel, &v, &d), 0);
	CHECK_RC(tce_table_xchg(s->plain, s->first + rel, &pv, &pd), 0);
	CHECK_EQ(v, want & ~0xfffULL);
	CHECK_EQ(tce_dir_to_perm(d), want & TCE_PERM_MASK);
	CHECK_EQ(pv, s->ref[rel] & ~0xfffULL);
	replace_ref(s, rel, dir == TCE_DIR_NONE ? 0 : real | tce_dir_to_perm(dir), false);
}

static void oracle_step(struct subject *s, uint64_t *rng)
{
	uint64_t rel = tt_below(rng, ORACLE_SPAN), n = 1 + tt_below(rng, 40), i;
	uint64_t real = (1 + tt_below(rng, 1 << 16)) << 12;
	enum tce_dir dir = (enum tce_dir)tt_below(rng, 4);

	n = rel + n > ORACLE_SPAN ? ORACLE_SPAN - rel : n;
	switch (tt_below(rng, 3)) {
	case 0: /* update: exchange, kill, release */
		CHECK_RC(tce_iommu_table_update(s->t, s->first + rel, n, real, dir), 0);
		if (dir == TCE_DIR_NONE)
			CHECK_RC(tce_table_clear(s->plain, s->first + rel, n), 0);
		else
			CHECK_RC(tce_table_set(s->plain, s->first + rel, n, real, dir), 0);
		for (i = 0; i < n; i++)
			replace_ref(s, rel + i, dir == TCE_DIR_NONE ? 0
						: (real + (i << 12)) | tce_dir_to_perm(dir), true);
		break;
	case 1: /* clear: released too */
		CHECK_RC(tce_iommu_table_clear(s->t, s->first + rel, n), 0);
		CHECK_RC(tce_table_clear(s->plain, s->first + rel, n), 0);
		for (i = 0; i < n; i++)
			replace_ref(s, rel + i, 0, true);
		break;
	default: /* a raw exchange returns the old entry and releases nothing */
		raw_xchg(s, rel, real, dir);
		break;
	}
}

static void compare(struct subject *s)
{
	uint64_t i, got, plain;

	for (i = 0; i < ORACLE_SPAN && !tt_failed(); i++) {
		CHECK_RC(tce_iommu_table_get(s->t, s->first + i, &got), 0);
		CHECK_RC(tce_table_get(s->plain, s->first + i, &plain), 0);
		if (got != as_stored(s->k, s->ref[i]) || plain != s->ref[i])
			tt_fail(__FILE__, __LINE__,
				"%s: entry %" PRIu64 ": platform 0x%" PRIx64 ", plain 0x%" PRIx64
				", model 0x%" PRIx64, kind_name[s->k], i, got, plain, s->ref[i]);
	}
	CHECK_EQ(tally.released, s->want_released);
	CHECK_EQ(tally.dirty, s->want_dirty);
}

static void oracle(enum kind k)
{
	static struct subject s;
	struct tce_iommu_table_info ti;
	struct owner o;
	uint64_t rng = tt_seed() ^ (uint64_t)k, i, steps = (uint64_t)(3000 * tt_scale()) + 10;

	REQUIRE(owner_up(&o, k) == 0);
	tce_iommu_table_info(o.t, &ti);
	memset(&s, 0, sizeof(s));
	s.k = k, s.t = o.t, s.first = ti.first_idx;
	REQUIRE(tt_table(tce_machine_ctx(o.m), ti.bus_offset, 1ULL << 28, 12, 2, false,
			 &s.plain) == 0);
	tally.released = tally.dirty = 0;
	tce_iommu_table_set_release(o.t, count_release, NULL);
	for (i = 0; i < steps && !tt_failed(); i++)
		oracle_step(&s, &rng);
	compare(&s);
	/* Leaving the last PE clears the rest, and releases it. */
	for (i = 0; i < ORACLE_SPAN; i++)
		replace_ref(&s, i, 0, true);
	CHECK_RC(tce_group_unset_window(o.g, 0), k == K_LEGACY ? -EPERM : 0);
	if (k == K_LEGACY)
		CHECK_RC(tce_iommu_table_clear(o.t, s.first, ORACLE_SPAN), 0);
	CHECK_EQ(tally.released, s.want_released);
	tce_table_put(s.plain);
	owner_down(&o);
}

static void oracle_pseries(void)
{
	oracle(K_PSERIES);
}

static void oracle_powernv(void)
{
	oracle(K_POWERNV);
}

static void oracle_legacy(void)
{
	oracle(K_LEGACY);
}

/* ---- release order ---- */

static void release_order(enum kind k)
{
	struct tce_iommu_table_info ti;
	struct owner o;
	uint64_t base;

	REQUIRE(owner_up(&o, k) == 0);
	tce_iommu_table_info(o.t, &ti);
	base = ti.first_idx + 16;
	tce_iommu_table_set_release(o.t, on_release, NULL);
	wrap(o.t);
	CHECK_RC(tce_iommu_table_update(o.t, base, 100, 0x100000, TCE_DIR_FROM_DEVICE), 0);
	CHECK_EQ(count(EV_RELEASE), 0);
	CHECK_RC(tce_iommu_table_update(o.t, base + 50, 100, 0x200000, TCE_DIR_TO_DEVICE), 0);
	CHECK_EQ(count(EV_RELEASE), 50);
	CHECK_RC(tce_iommu_table_clear(o.t, base, 120), 0);
	CHECK_EQ(count(EV_RELEASE), 170);
	CHECK_RC(tce_iommu_table_update(o.t, base + 200, 3, 0x300000, TCE_DIR_BIDIRECTIONAL), 0);
	if (k == K_LEGACY) {
		CHECK_RC(tce_iommu_table_clear(o.t, ti.first_idx, ti.entries), 0);
	} else {
		CHECK_RC(tce_group_unset_window(o.g, 0), 0); /* its last PE: cleared, released */
	}
	CHECK_EQ(count(EV_RELEASE), 203);
	check_order();
	/* Dirty exactly when the device could write: the FROM_DEVICE pages. */
	for (unsigned i = 0; i < rec.nev; i++) {
		if (rec.ev[i].kind != EV_RELEASE)
			continue;
		if (rec.ev[i].real >= 0x100000 && rec.ev[i].real < 0x200000)
			CHECK(rec.ev[i].dirty);
		else if (rec.ev[i].real >= 0x200000 && rec.ev[i].real < 0x300000)
			CHECK(!rec.ev[i].dirty);
		else
			CHECK(rec.ev[i].dirty);
	}
	unwrap(o.t);
	owner_down(&o);
}

static void release_order_pseries(void)
{
	release_order(K_PSERIES);
}

static void release_order_powernv(void)
{
	release_order(K_POWERNV);
}

static void release_order_legacy(void)
{
	release_order(K_LEGACY);
}

/* A failed update changes nothing and releases nothing. */
static void update_fails_whole(void)
{
	struct tce_iommu_table_info ti;
	struct owner o;
	uint64_t n, i, tce;
	bool armed = false;
	int rc;

	REQUIRE(owner_up(&o, K_POWERNV) == 0);
	tce_iommu_table_info(o.t, &ti);
	tce_iommu_table_set_release(o.t, on_release, NULL);
	wrap(o.t);
	CHECK_RC(tce_iommu_table_update(o.t, ti.first_idx, 8, 0x500000, TCE_DIR_TO_DEVICE), 0);
	for (n = 1; !armed && n < 64 && !tt_failed(); n++) {
		rec.nev = 0;
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), n);
		/* 600 entries from entry 4: a stack of old TCEs is allocated, new leaves too. */
		rc = tce_iommu_table_update(o.t, ti.first_idx + 4, 600, 0x800000, TCE_DIR_BIDIRECTIONAL);
		armed = tce_ctx_fail_nth_armed(tce_machine_ctx(o.m));
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 0);
		if (!rc)
			break;
		CHECK_RC(rc, -ENOMEM);
		CHECK_EQ(count(EV_RELEASE), 0);
		for (i = 4; i < 604; i++) { /* every entry as it was: none exchanged, none rolled onto */
			CHECK_RC(tce_iommu_table_get(o.t, ti.first_idx + i, &tce), 0);
			CHECK_EQ(tce, i < 8 ? (0x500000 + (i << 12)) | TCE_PCI_READ : 0);
		}
	}
	CHECK(n > 1);
	CHECK_EQ(count(EV_RELEASE), 4);
	/*
	 * Across a leaf boundary (8192 entries of a 64 KiB level): two entries
	 * are exchanged, the new leaf cannot be allocated. Both go back, and a
	 * kill covers them (the PHB may have cached them meanwhile).
	 */
	rec.nev = 0;
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 1);
	rc = tce_iommu_table_update(o.t, ti.first_idx + 8190, 8, 0x900000, TCE_DIR_TO_DEVICE);
	tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 0);
	CHECK_RC(rc, -ENOMEM);
	for (i = 8190; i < 8198; i++) {
		CHECK_RC(tce_iommu_table_get(o.t, ti.first_idx + i, &tce), 0);
		CHECK_EQ(tce, 0);
	}
	CHECK_EQ(count(EV_RELEASE), 0);
	{
		bool covered = false;
		unsigned k;

		for (k = 0; k < rec.nev; k++)
			covered |= rec.ev[k].kind == EV_KILL && rec.ev[k].idx <= ti.first_idx + 8190 &&
				   rec.ev[k].idx + rec.ev[k].n >= ti.first_idx + 8192;
		CHECK(covered);
	}
	unwrap(o.t);
	CHECK_RC(tce_group_unset_window(o.g, 0), 0);
	owner_down(&o);
}

/* ---- a platform that skips its kills ---- */

/* A powernv platform without kills keeps serving the old TCE from the PHB's cache. */
static void powernv_missing_kill(void)
{
	struct owner o;
	struct tce_iommu_table_info ti;
	uint64_t real, idx;
	uint8_t *p, buf[4];

	REQUIRE(owner_up(&o, K_POWERNV) == 0);
	tce_iommu_table_info(o.t, &ti);
	idx = ti.first_idx + 7;
	REQUIRE(tce_host_alloc(o.h, 8192, &real, (void **)&p) == 0);
	memcpy(p, "AAA", 4), memcpy(p + 4096, "BBB", 4);
	CHECK_RC(tce_iommu_table_update(o.t, idx, 1, real, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.d), idx << 12, buf, 4), 0);
	CHECK(!memcmp(buf, "AAA", 4));
	wrap(o.t);
	rec.skip_kills = true;
	CHECK_RC(tce_iommu_table_update(o.t, idx, 1, real + 4096, TCE_DIR_TO_DEVICE), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.d), idx << 12, buf, 4), 0);
	CHECK(!memcmp(buf, "AAA", 4)); /* the stale translation */
	rec.skip_kills = false;
	CHECK_RC(tce_iommu_table_kill(o.t, idx, 1), 0);
	CHECK_RC(tce_dev_dma_read(tce_device_pci(o.d), idx << 12, buf, 4), 0);
	CHECK(!memcmp(buf, "BBB", 4));
	unwrap(o.t);
	CHECK_RC(tce_group_unset_window(o.g, 0), 0);
	tce_host_free(o.h, real, 8192);
	owner_down(&o);
}

/*
 * pseries: a clear whose hcall fails reports the error and keeps the entry
 * (and its page) for a retry, with and without a release callback.
 */
static void clear_failure_reported(void)
{
	struct tce_iommu_table_info ti;
	struct owner o;
	uint64_t tce;
	unsigned with;

	REQUIRE(owner_up(&o, K_PSERIES) == 0);
	tce_iommu_table_info(o.t, &ti);
	for (with = 0; with < 2; with++) {
		rec.nev = 0;
		tce_iommu_table_set_release(o.t, with ? on_release : NULL, NULL);
		CHECK_RC(tce_iommu_table_update(o.t, ti.first_idx + 3, 1, 0x7000, TCE_DIR_TO_DEVICE), 0);
		/*
		 * Without a callback the clear is one H_STUFF_TCE; with one, an
		 * H_GET_TCE per entry of the written chunk: fail entry 3's.
		 */
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), with ? 4 : 1);
		CHECK_RC(tce_iommu_table_clear(o.t, ti.first_idx, 8), -EIO);
		tce_ctx_set_fail_nth(tce_machine_ctx(o.m), 0);
		CHECK_RC(tce_iommu_table_get(o.t, ti.first_idx + 3, &tce), 0);
		CHECK_EQ(tce, 0x7000 | TCE_PCI_READ);
		CHECK_EQ(count(EV_RELEASE), 0);
		CHECK_RC(tce_iommu_table_clear(o.t, ti.first_idx, 8), 0);
		CHECK_RC(tce_iommu_table_get(o.t, ti.first_idx + 3, &tce), 0);
		CHECK_EQ(tce, 0);
		CHECK_EQ(count(EV_RELEASE), with);
	}
	CHECK_RC(tce_group_unset_window(o.g, 0), 0);
	owner_down(&o);
}

int main(int argc, char **argv)
{
	static const struct tt_case cases[] = {
		TT_CASE(oracle_pseries),        TT_CASE(oracle_powernv),
		TT_CASE(oracle_legacy),         TT_CASE(release_order_pseries),
		TT_CASE(release_order_powernv), TT_CASE(release_order_legacy),
		TT_CASE(update_fails_whole),    TT_CASE(powernv_missing_kill),
		TT_CASE(clear_failure_reported),
	};

	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
