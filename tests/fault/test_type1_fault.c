/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the Type1v2 container's requests (TCE_VFIO_TYPE1):
 * SET_IOMMU, GET_INFO, first and later MAP_DMA, UNMAP_DMA of part and of
 * all, UNMAP_DMA with the dirty bitmap, DIRTY_PAGES START, GET_BITMAP and
 * STOP, and the group's release, on powernv and pseries. For each n, on a
 * fresh machine: the request answers as without the fault, or with an
 * errno and nothing observable changed (locked bytes, ownership, group
 * status, GET_INFO's page sizes, DMA_AVAIL and ranges, the TCEs of the
 * test ranges read through the group's table, the dirty bitmap and whether
 * tracking is on); the same request then succeeds with the faultless
 * answer and state; nothing leaks (the fixture's check). Two pseries
 * exceptions, both the hypervisor's: a clear that fails part-way (-EIO)
 * empties only some TCEs of a mapping that stays recorded, and a failed
 * DDW create is remembered for the PE (the kernel's failed_ddw_pdn list),
 * so SET_IOMMU may then answer -ENODEV.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_domain.h"
#include "tt_vfio.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define P64K (64 * KiB)
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define NPROBE 48 /* 4 KiB TCEs probed: [1 MiB, 1 MiB + 192 KiB) */

/* Every field 64 bits wide: no padding, so memcmp() compares exactly the fields. */
struct snap {
	uint64_t locked;
	uint64_t pinned;       /* bit k: the arena's k-th 256 KiB has a pinned page */
	int64_t owned;
	int64_t status_rc;
	uint64_t status;
	int64_t info_rc;
	uint64_t pgsizes;
	int64_t avail;
	uint64_t nr;
	uint64_t end0;
	uint64_t tce[NPROBE];  /* less the arena's address */
	uint64_t tce2;         /* the first TCE at 4 MiB */
	int64_t bm_rc;         /* GET_BITMAP over [0, 4 MiB): -EINVAL when not tracking */
	uint64_t bm;
	uint64_t out[2];       /* what the request wrote back (size, bitmap word) */
};

struct fx {
	struct tt_vfio v;
	uint64_t out[2];
};

static unsigned nfail;
#define FAULT_FAIL(...) (nfail++, tt_fail(__FILE__, __LINE__, __VA_ARGS__))

static long get_bitmap(struct fx *f, uint64_t iova, uint64_t size, uint64_t *bm)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap h;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} d = { .h = { .argsz = sizeof(d), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.g = { .iova = iova, .size = size,
		       .bitmap = { .pgsize = P64K, .size = 8, .data = (void *)bm } } };

	*bm = 0;
	return tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, &d);
}

static void take(struct fx *f, struct snap *s)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct tt_type1_info i;
	uint64_t t;

	memset(s, 0, sizeof(*s));
	s->locked = tce_vfio_mm_locked(f->v.mm);
	for (uint32_t k = 0; k < 32; k++)
		s->pinned |= (uint64_t)tce_vfio_mm_pinned(f->v.mm, (uint64_t)f->v.arena + k * 256 * KiB,
							   256 * KiB) << k;
	s->owned = tce_group_owned(f->v.g);
	s->status_rc = tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_GET_STATUS, &st);
	s->status = st.flags;
	s->info_rc = tt_vfio_type1_get(&f->v, &i);
	if (!s->info_rc) {
		s->pgsizes = i.pgsizes;
		s->avail = i.avail;
		s->nr = i.nr;
		s->end0 = i.r[0].end;
	}
	if (s->owned) {
		for (uint32_t k = 0; k < NPROBE; k++) {
			t = 0;
			tt_dom_tce(f->v.g, 0, 1 * MiB + k * 4 * KiB, &t);
			s->tce[k] = t ? t - (uint64_t)f->v.arena : 0;
		}
		t = 0;
		tt_dom_tce(f->v.g, 0, 4 * MiB, &t);
		s->tce2 = t ? t - (uint64_t)f->v.arena : 0;
	}
	s->bm_rc = s->info_rc ? -1 : get_bitmap(f, 0, 4 * MiB, &s->bm);
	s->out[0] = f->out[0];
	s->out[1] = f->out[1];
}

static bool same(const struct snap *a, const struct snap *b, const char *what, uint64_t n,
		 long rc)
{
	if (!memcmp(a, b, sizeof(*a)))
		return true;
	for (uint32_t k = 0; k < NPROBE; k++)
		if (a->tce[k] != b->tce[k])
			printf("# TCE %u: 0x%" PRIx64 " / 0x%" PRIx64 "\n", k, a->tce[k], b->tce[k]);
	if (a->tce2 != b->tce2 || a->status != b->status || a->out[1] != b->out[1] ||
	    a->pgsizes != b->pgsizes || a->nr != b->nr || a->end0 != b->end0)
		printf("# TCE at 4 MiB 0x%" PRIx64 " / 0x%" PRIx64 ", status %" PRIu64 " / %" PRIu64 ", bits 0x%" PRIx64
		       " / 0x%" PRIx64 ", GET_INFO differs %d\n", a->tce2, b->tce2, a->status,
		       b->status, a->out[1], b->out[1],
		       a->pgsizes != b->pgsizes || a->nr != b->nr || a->end0 != b->end0);
	FAULT_FAIL("%s, fault %" PRIu64 ": rc %ld: state differs (locked 0x%" PRIx64 " / 0x%" PRIx64
		   ", owned %" PRId64 " / %" PRId64 ", info %" PRId64 " / %" PRId64 ", avail %" PRId64
		   " / %" PRId64 ", tce[0] 0x%" PRIx64 " / 0x%" PRIx64 ", bitmap %" PRId64 " 0x%" PRIx64
		   " / %" PRId64 " 0x%" PRIx64
		   ", out 0x%" PRIx64 " / 0x%" PRIx64 ")", what, n, rc, a->locked, b->locked,
		   a->owned, b->owned, a->info_rc, b->info_rc, a->avail, b->avail, a->tce[0],
		   b->tce[0], a->bm_rc, a->bm, b->bm_rc, b->bm, a->out[0], b->out[0]);
	return false;
}

/* ---- the states a request starts from ---- */

static int p_set(struct fx *f)
{
	if (tt_vfio_open_type1(&f->v, NULL))
		return -1;
	return (int)tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_SET_CONTAINER, &f->v.cfd);
}

static int p_iommu(struct fx *f)
{
	return p_set(f) ? -1 : (int)tt_vfio_io(&f->v, f->v.cfd, VFIO_SET_IOMMU,
						(void *)VFIO_TYPE1v2_IOMMU);
}

/* [1 MiB, +128 KiB) RW and [1 MiB + 128 KiB, +64 KiB) read-only. */
static int p_mapped(struct fx *f)
{
	if (p_iommu(f) || tt_vfio_map(&f->v, 0, 1 * MiB, 128 * KiB, RW))
		return -1;
	return (int)tt_vfio_map(&f->v, 1 * MiB, 1 * MiB + 128 * KiB, P64K, VFIO_DMA_MAP_FLAG_READ);
}

static int p_tracking(struct fx *f)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d),
						   .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START };

	return p_mapped(f) ? -1 : (int)tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, &d);
}

/* ---- the requests ---- */

static long r_set_iommu(struct fx *f)
{
	return tt_vfio_io(&f->v, f->v.cfd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
}

static long r_info(struct fx *f)
{
	struct tt_type1_info i;
	long rc = tt_vfio_type1_get(&f->v, &i);

	f->out[0] = i.pgsizes;
	f->out[1] = (uint64_t)i.avail;
	return rc;
}

/* 4 MiB of 4 KiB TCEs from an unaligned-to-2M address: several runs of the domain. */
static long r_map(struct fx *f)
{
	return tt_vfio_map(&f->v, 4 * MiB + P64K, 4 * MiB, 1 * MiB, RW);
}

static long r_map_first(struct fx *f)
{
	return tt_vfio_map(&f->v, 0, 1 * MiB, 128 * KiB, RW);
}

static long r_unmap(struct fx *f)
{
	return tt_vfio_unmap_got(&f->v, 0, 1 * MiB + 128 * KiB, 0, &f->out[0]);
}

static long r_unmap_all(struct fx *f)
{
	return tt_vfio_unmap_got(&f->v, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &f->out[0]);
}

static long r_unmap_bitmap(struct fx *f)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} u = { .u = { .argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		       .iova = 1 * MiB, .size = 1 * MiB },
		.b = { .pgsize = P64K, .size = 8, .data = (void *)&f->out[1] } };
	long rc;

	f->out[1] = 0;
	rc = tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_UNMAP_DMA, &u);
	f->out[0] = u.u.size;
	return rc;
}

static long r_dirty(struct fx *f, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flag };

	return tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_DIRTY_PAGES, &d);
}

static long r_start(struct fx *f)
{
	return r_dirty(f, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static long r_stop(struct fx *f)
{
	return r_dirty(f, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

static long r_get_bitmap(struct fx *f)
{
	return get_bitmap(f, 1 * MiB, 1 * MiB, &f->out[1]);
}

static long r_close_group(struct fx *f)
{
	long rc = tce_vfio_close(f->v.mm, f->v.gfd);

	f->v.gfd = -1;
	return rc;
}

/* ---- the sweep ---- */

struct sweep {
	const char *name;
	int (*prep)(struct fx *f);
	long (*req)(struct fx *f);
	bool release; /* must succeed whatever fails */
	bool clears;  /* clears TCEs: a pseries -EIO may leave some cleared (partial()) */
};

static const struct sweep sweeps[] = {
	{ "set_iommu", p_set, r_set_iommu, false, false },
	{ "get_info", p_mapped, r_info, false, false },
	{ "map_first", p_iommu, r_map_first, false, false },
	{ "map", p_mapped, r_map, false, false },
	{ "map_tracking", p_tracking, r_map, false, false },
	{ "unmap", p_mapped, r_unmap, false, true },
	{ "unmap_all", p_mapped, r_unmap_all, false, true },
	{ "unmap_tracking", p_tracking, r_unmap, false, true },
	{ "unmap_bitmap", p_tracking, r_unmap_bitmap, false, true },
	{ "dirty_start", p_mapped, r_start, false, false },
	{ "get_bitmap", p_tracking, r_get_bitmap, false, false },
	{ "dirty_stop", p_tracking, r_stop, true, false },
	{ "close_group", p_tracking, r_close_group, true, false },
};

static bool allowed(long rc)
{
	return rc == -ENOMEM || rc == -EIO || rc == -ENODEV || rc == -EINVAL || rc == -EFAULT ||
	       rc == -ENOSPC;
}

static int setup(struct fx *f, enum tce_platform p)
{
	memset(f, 0, sizeof(*f));
	if (tt_vfio_boot(&f->v, p, NULL, 0))
		return -1;
	return tt_vfio_new_mm(&f->v, NULL) ? -1 : 0;
}

/*
 * A pseries clear that failed part-way: every probed TCE is as before or
 * empty, nothing else changed (the mapping stays recorded and charged).
 */
static bool partial(const struct snap *before, struct snap *after, const char *what,
		    uint64_t n, long rc)
{
	for (uint32_t k = 0; k < NPROBE; k++)
		if (!after->tce[k])
			after->tce[k] = before->tce[k];
	after->bm_rc = before->bm_rc; /* the bitmap reads the record, which is unchanged */
	after->bm = before->bm;
	return same(before, after, what, n, rc);
}

/*
 * The same request after the failure: the faultless answer and state. After
 * a partial clear, the dirty bits it returns are a subset of the faultless
 * ones: a page whose TCE went, and whose bit a GET_BITMAP since reported,
 * cannot have been written since.
 */
static void retry(struct fx *f, enum tce_platform p, const struct sweep *s, uint64_t n,
		  long want, const struct snap *ok, bool was_partial)
{
	struct snap after;
	long rc = s->req(f);

	take(f, &after);
	if (was_partial && !(after.out[1] & ~ok->out[1]))
		after.out[1] = ok->out[1];
	if (rc == -ENODEV && p == TCE_PLATFORM_PSERIES && s->req == r_set_iommu)
		return; /* the hypervisor's failure is remembered for the PE */
	if (rc != want)
		FAULT_FAIL("%s, fault %" PRIu64 ": the retry gave %ld, want %ld", s->name, n, rc,
			   want);
	else
		same(ok, &after, s->name, n, rc);
}

/* One run with the n-th fault point failing (0: none): 1 when the sweep is done. */
static int one(enum tce_platform p, const struct sweep *s, uint64_t n, long want, struct snap *ok)
{
	struct snap before, after;
	unsigned failed = nfail;
	struct tce_ctx *ctx;
	struct fx f;
	bool armed;
	long rc;

	if (setup(&f, p) || s->prep(&f)) {
		FAULT_FAIL("%s: set-up failed", s->name);
		tt_vfio_teardown(&f.v);
		return 1;
	}
	ctx = tce_machine_ctx(f.v.o.m);
	take(&f, &before);
	tce_ctx_set_fail_nth(ctx, n);
	rc = s->req(&f);
	armed = tce_ctx_fail_nth_armed(ctx);
	tce_ctx_set_fail_nth(ctx, 0);
	take(&f, &after);
	if (!n) {
		memcpy(ok, &after, sizeof(after));
	} else if (rc == want) {
		same(ok, &after, s->name, n, rc);
	} else if (s->release || !allowed(rc)) {
		FAULT_FAIL("%s, fault %" PRIu64 ": %ld (%s), want %ld", s->name, n, rc,
			   tce_err_name((int)rc), want);
	} else {
		/* a failure changed nothing (what it wrote back aside) ... */
		after.out[0] = before.out[0];
		after.out[1] = before.out[1];
		bool part = s->clears && rc == -EIO && p == TCE_PLATFORM_PSERIES;

		if (part ? partial(&before, &after, s->name, n, rc)
			 : same(&before, &after, s->name, n, rc))
			retry(&f, p, s, n, want, ok, part); /* ... and the request then works */
	}
	tt_vfio_teardown(&f.v);
	return armed || nfail != failed ? 1 : 0;
}

static void sweep_platform(enum tce_platform p, const char *pname)
{
	struct snap ok;
	uint64_t n;
	long want;

	for (uint32_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
		const struct sweep *s = &sweeps[i];
		struct fx f;

		if (setup(&f, p) || s->prep(&f)) {
			FAULT_FAIL("%s: set-up failed", s->name);
			tt_vfio_teardown(&f.v);
			return;
		}
		want = s->req(&f);
		tt_vfio_teardown(&f.v);
		if (want < 0)
			FAULT_FAIL("%s: fails without a fault: %ld", s->name, want);
		one(p, s, 0, want, &ok);
		for (n = 1; n < 100000 && !one(p, s, n, want, &ok); n++)
			;
		if (getenv("TCE_TEST_VERBOSE"))
			printf("# %s %s: %" PRIu64 " faults, answer %ld\n", pname, s->name, n - 1,
			       want);
	}
}

static void powernv(void)
{
	sweep_platform(TCE_PLATFORM_POWERNV, "powernv");
}

static void pseries(void)
{
	sweep_platform(TCE_PLATFORM_PSERIES, "pseries");
}

static const struct tt_case cases[] = {
	TT_CASE(powernv),
	TT_CASE(pseries),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
