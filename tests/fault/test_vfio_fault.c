/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fail-Nth sweeps over the VFIO container's requests that allocate or call
 * the group's backend (opening files, SET_CONTAINER, SET_IOMMU, REGISTER,
 * CREATE with and without the pending default window, first, later and
 * replacing MAPs, UNMAP, REMOVE, ENABLE, GET_DEVICE_FD, UNSET_CONTAINER and
 * closing), on powernv and pseries (v2) and the legacy profile (v1). For
 * each n, on a fresh machine: the request answers as without the fault or
 * with an errno, a failure changes nothing (locked bytes, windows, entries,
 * GET_INFO, ownership; a probe MAP and UNMAP still work), a success leaves
 * what the faultless run leaves, and nothing leaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_vfio.h"

#define MiB (1ull << 20)
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define PROBE 8 /* entries compared at the start of each window */

struct fx {
	struct tt_vfio v;   /* v.mm is NULL once r_close_all() destroyed it */
	bool v2;
	int dfd;
};

struct snap {
	uint64_t locked;
	bool owned;
	int slot_rc[2];
	struct tce_iommu_table_info ti[2];
	uint64_t tce[2][PROBE];   /* less the arena's address */
	long info_rc;
	struct vfio_iommu_spapr_tce_info info;
	long status_rc;
	uint32_t status;
};

/* Failures recorded so far: a sweep stops at its first one, the next sweep goes on. */
static unsigned nfail;
#define FAULT_FAIL(...) (nfail++, tt_fail(__FILE__, __LINE__, __VA_ARGS__))

struct profile {
	const char *name;
	enum tce_platform p;
	bool legacy;
};

static const struct tce_host_config legacy_host = { .profile = TCE_OS_LEGACY };

/* The host, the arena and the process; no file open yet. */
static int setup(struct fx *f, const struct profile *pr)
{
	f->v2 = !pr->legacy;
	f->dfd = -1;
	if (tt_vfio_boot(&f->v, pr->p, pr->legacy ? &legacy_host : NULL, 0))
		return -1;
	return tt_vfio_new_mm(&f->v, NULL) ? -1 : 0;
}

static void take(struct fx *f, struct snap *s)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct tce_iommu_table *t;
	uint32_t i, k;

	memset(s, 0, sizeof(*s));
	s->locked = tce_vfio_mm_locked(f->v.mm);
	s->owned = tce_group_owned(f->v.g);
	for (i = 0; i < 2; i++) {
		s->slot_rc[i] = tce_group_get_table(f->v.g, i, &t);
		if (s->slot_rc[i])
			continue;
		tce_iommu_table_info(t, &s->ti[i]);
		for (k = 0; k < PROBE; k++) {
			tce_iommu_table_get(t, s->ti[i].first_idx + k, &s->tce[i][k]);
			if (s->tce[i][k]) /* relative to the arena: each run maps it elsewhere */
				s->tce[i][k] -= (uint64_t)f->v.arena;
		}
		tce_iommu_table_put(t);
	}
	s->info.argsz = sizeof(s->info);
	s->info_rc = f->v.cfd < 0 ? -EBADF :
		     tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &s->info);
	s->status_rc = f->v.gfd < 0 ? -EBADF :
		       tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_GET_STATUS, &st);
	s->status = st.flags;
}

static void same(const struct snap *a, const struct snap *b, const char *what, uint64_t n, long rc)
{
	uint32_t i, k;

	if (!memcmp(a, b, sizeof(*a)))
		return;
	for (i = 0; i < 2; i++)
		for (k = 0; k < PROBE; k++)
			if (a->tce[i][k] != b->tce[i][k])
				printf("# slot %u entry %u: 0x%" PRIx64 " / 0x%" PRIx64 "\n", i, k,
				       a->tce[i][k], b->tce[i][k]);
	if (memcmp(&a->ti, &b->ti, sizeof(a->ti)) || memcmp(&a->info, &b->info, sizeof(a->info)) ||
	    a->info_rc != b->info_rc || a->status_rc != b->status_rc || a->status != b->status)
		printf("# table info, GET_INFO or status differ\n");
	FAULT_FAIL("%s, fault %" PRIu64 ": rc %ld: state differs (locked 0x%" PRIx64
		" / 0x%" PRIx64 ", owned %d / %d, slots %d %d / %d %d)", what, n, rc, a->locked,
		b->locked, a->owned, b->owned, a->slot_rc[0], a->slot_rc[1], b->slot_rc[0],
		b->slot_rc[1]);
}

/* ---- the states a request starts from ---- */

static int p_none(struct fx *f)
{
	(void)f;
	return 0;
}

static int p_open(struct fx *f)
{
	return tt_vfio_open_files(&f->v);
}

static int p_set(struct fx *f)
{
	return p_open(f) ? -1
			 : (int)tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_SET_CONTAINER, &f->v.cfd);
}

static int p_iommu(struct fx *f)
{
	unsigned long type = f->v2 ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_SPAPR_TCE_IOMMU;

	return p_set(f) ? -1 : (int)tt_vfio_io(&f->v, f->v.cfd, VFIO_SET_IOMMU, (void *)type);
}

/* v2: 4 MiB registered; v1: enabled. The default window is still pending (v2). */
static int p_ready(struct fx *f)
{
	if (p_iommu(f))
		return -1;
	return (int)(f->v2 ? tt_vfio_reg(&f->v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 4 * MiB)
			   : tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_ENABLE, NULL));
}

static int p_declined(struct fx *f)
{
	return p_ready(f) ? -1 : (int)tt_vfio_remove(&f->v, 0);
}

/* Four pages mapped at the start of the default window. */
static int p_mapped(struct fx *f)
{
	return p_ready(f) ? -1 : (int)tt_vfio_map(&f->v, 0, 0, 4 << 12, VFIO_DMA_MAP_FLAG_READ);
}

/* v2: the default window declined, a 64 KiB-page window made and mapped. */
static int p_window(struct fx *f)
{
	if (p_declined(f) || tt_vfio_create(&f->v, 16, 1ull << 30, 1, NULL))
		return -1;
	return (int)tt_vfio_map(&f->v, 0, 0, 4 << 16, RW);
}

/* Both windows, mapped, a second region, a device file. */
static int p_full(struct fx *f)
{
	if (p_mapped(f))
		return -1;
	if (f->v2 && (tt_vfio_reg(&f->v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 8 * MiB, 1 * MiB) ||
		      tt_vfio_create(&f->v, 16, 1ull << 30, 1, NULL) ||
		      tt_vfio_map(&f->v, 8 * MiB, 1ull << 59, 2 << 16, VFIO_DMA_MAP_FLAG_READ)))
		return -1;
	f->dfd = (int)tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	return f->dfd < 0 ? -1 : 0;
}

/* ---- the requests ---- */

static long r_open_container(struct fx *f)
{
	return tce_vfio_open_container(f->v.mm);
}

static long r_open_group(struct fx *f)
{
	return tce_vfio_open_group(f->v.mm, f->v.g);
}

static long r_set_container(struct fx *f)
{
	return tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_SET_CONTAINER, &f->v.cfd);
}

static long r_set_iommu(struct fx *f)
{
	unsigned long type = f->v2 ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_SPAPR_TCE_IOMMU;

	return tt_vfio_io(&f->v, f->v.cfd, VFIO_SET_IOMMU, (void *)type);
}

static long r_register(struct fx *f)
{
	return tt_vfio_reg(&f->v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 8 * MiB, 2 * MiB);
}

static long r_unregister(struct fx *f)
{
	return tt_vfio_reg(&f->v, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 4 * MiB);
}

static long r_create(struct fx *f)
{
	return tt_vfio_create(&f->v, 16, 1ull << 30, 1, NULL);
}

static long r_map_first(struct fx *f)
{
	return tt_vfio_map(&f->v, 64 << 10, 0, 4 << 12, RW);
}

static long r_map_more(struct fx *f)
{
	return tt_vfio_map(&f->v, 1 * MiB, 4 << 12, 3 << 12, VFIO_DMA_MAP_FLAG_WRITE);
}

static long r_map_replace(struct fx *f)
{
	return tt_vfio_map(&f->v, 2 * MiB, 2 << 12, 4 << 12, RW);
}

static long r_map_wide(struct fx *f)
{
	return tt_vfio_map(&f->v, 1 * MiB, 2 << 16, 3 << 16, VFIO_DMA_MAP_FLAG_READ);
}

static long r_unmap(struct fx *f)
{
	return tt_vfio_unmap(&f->v, 1 << 12, 2 << 12);
}

static long r_unmap_wide(struct fx *f)
{
	return tt_vfio_unmap(&f->v, 0, 1ull << 30);
}

static long r_remove(struct fx *f)
{
	return tt_vfio_remove(&f->v, 0);
}

static long r_enable(struct fx *f)
{
	return tt_vfio_io(&f->v, f->v.cfd, VFIO_IOMMU_ENABLE, NULL);
}

static long r_device(struct fx *f)
{
	return tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
}

static long r_unset(struct fx *f)
{
	if (f->dfd >= 0 && tce_vfio_close(f->v.mm, f->dfd))
		return -EBADF;
	f->dfd = -1;
	return tt_vfio_io(&f->v, f->v.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL);
}

static long r_close_group(struct fx *f)
{
	long rc = 0;

	if (f->dfd >= 0)
		rc = tce_vfio_close(f->v.mm, f->dfd);
	if (!rc)
		rc = tce_vfio_close(f->v.mm, f->v.gfd);
	f->dfd = f->v.gfd = -1;
	return rc;
}

static long r_close_all(struct fx *f)
{
	tce_vfio_mm_destroy(f->v.mm);
	f->v.mm = NULL;
	return 0;
}

/* ---- the sweep ---- */

struct sweep {
	const char *name;
	int (*prep)(struct fx *f);
	long (*req)(struct fx *f);
	bool v1, v2;   /* on which profiles it runs */
	bool release;  /* a release path: it must succeed, leaving nothing behind */
	bool clears;   /* clears TCEs: a failure may have cleared some (see partial()) */
};

static const struct sweep sweeps[] = {
	{ "open_container", p_none, r_open_container, true, true, false, false },
	{ "open_group", p_none, r_open_group, true, true, false, false },
	{ "set_container", p_open, r_set_container, true, true, false, false },
	{ "set_iommu", p_set, r_set_iommu, true, true, false, false },
	{ "register", p_iommu, r_register, false, true, false, false },
	{ "register_more", p_ready, r_register, false, true, false, false },
	{ "create_pending", p_ready, r_create, false, true, false, false },
	{ "create", p_declined, r_create, false, true, false, false },
	{ "map_first", p_ready, r_map_first, false, true, false, false },
	{ "map_more", p_mapped, r_map_more, true, true, false, false },
	{ "map_replace", p_mapped, r_map_replace, true, true, false, false },
	{ "map_wide", p_window, r_map_wide, false, true, false, false },
	{ "unmap", p_mapped, r_unmap, true, true, false, true },
	{ "unmap_wide", p_window, r_unmap_wide, false, true, false, true },
	{ "unmap_pending", p_ready, r_unmap, false, true, false, false },
	{ "unregister", p_ready, r_unregister, false, true, false, false },
	{ "remove", p_window, r_remove, false, true, false, true },
	{ "enable", p_iommu, r_enable, true, false, false, false },
	{ "device_fd", p_iommu, r_device, true, true, false, false },
	{ "unset", p_full, r_unset, true, true, true, false },
	{ "close_group", p_full, r_close_group, true, true, true, false },
	{ "close_all", p_full, r_close_all, true, true, true, false },
};

/* After a failure the container still works: map a page of window 0 (or the default) and unmap it. */
static void probe(struct fx *f, const struct sweep *s, uint64_t n)
{
	struct snap st;
	uint64_t at, len;
	long rc;

	if (f->v.cfd < 0 || f->v.gfd < 0)
		return;
	take(f, &st);
	if (st.info_rc || (st.status & VFIO_GROUP_FLAGS_CONTAINER_SET) == 0)
		return;
	if (f->v2 && tt_vfio_reg(&f->v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 12 * MiB, 1 * MiB))
		return; /* not enabled then: REGISTER is what enables it */
	if (!f->v2 && !tce_vfio_mm_locked(f->v.mm))
		return; /* v1 not enabled */
	at = st.slot_rc[0] ? 0 : st.ti[0].bus_offset + (6ull << st.ti[0].page_shift);
	len = st.slot_rc[0] ? 4096 : 1ull << st.ti[0].page_shift;
	if (!st.slot_rc[0] || st.slot_rc[1]) {
		rc = tt_vfio_map(&f->v, 12 * MiB, at, len, VFIO_DMA_MAP_FLAG_READ);
		if (rc == -ENXIO && st.slot_rc[0])
			return; /* the default window was declined and slot 0 is empty */
		if (rc)
			FAULT_FAIL("%s, fault %" PRIu64 ": probe map %ld", s->name,
				n, rc);
		else if (tt_vfio_unmap(&f->v, at, len))
			FAULT_FAIL("%s, fault %" PRIu64 ": probe unmap", s->name, n);
	}
}

/*
 * A clear that fails part-way (tce_iommu_table_clear(): a hypervisor call
 * failed) leaves the entries it could not clear with their pages and the
 * others empty, charges and windows unchanged; the same request again
 * finishes the job and leaves what the faultless run leaves.
 */
static void partial(struct fx *f, const struct sweep *s, uint64_t n, struct snap *before,
		    struct snap *after, const struct snap *ok)
{
	uint32_t i, k;
	long rc;

	for (i = 0; i < 2; i++)
		for (k = 0; k < PROBE; k++)
			if (!after->tce[i][k])
				after->tce[i][k] = before->tce[i][k];
	same(before, after, s->name, n, 0);
	rc = s->req(f);
	take(f, after);
	if (rc)
		FAULT_FAIL("%s, fault %" PRIu64 ": the retry gave %ld", s->name, n, rc);
	else
		same(ok, after, s->name, n, rc);
}

static bool allowed(long rc)
{
	return rc == -ENOMEM || rc == -EIO || rc == -ENODEV || rc == -EINVAL || rc == -EFAULT;
}

/* One request under the n-th fault: 1 when the countdown stayed armed (the sweep is done). */
static int one(const struct profile *pr, const struct sweep *s, uint64_t n, long want,
	       struct snap *ok)
{
	struct snap before, after;
	unsigned failed = nfail;
	struct tce_ctx *ctx;
	struct fx f;
	bool armed;
	long rc;

	if (setup(&f, pr) || s->prep(&f)) {
		FAULT_FAIL("%s: set-up failed", s->name);
		return 1;
	}
	ctx = tce_machine_ctx(f.v.o.m);
	take(&f, &before);
	tce_ctx_set_fail_nth(ctx, n);
	rc = s->req(&f);
	armed = tce_ctx_fail_nth_armed(ctx);
	tce_ctx_set_fail_nth(ctx, 0);
	if (f.v.mm)
		take(&f, &after);
	if (!n) {
		*ok = after;
	} else if (rc == want) {
		if (f.v.mm)
			same(ok, &after, s->name, n, rc);
	} else if (s->release || !allowed(rc)) {
		FAULT_FAIL("%s, fault %" PRIu64 ": %ld (%s), want %ld", s->name, n,
			rc, tce_err_name((int)rc), want);
	} else if (s->clears) {
		partial(&f, s, n, &before, &after, ok);
	} else {
		same(&before, &after, s->name, n, rc);
		probe(&f, s, n);
	}
	tt_vfio_teardown(&f.v);
	return armed || nfail != failed ? 1 : 0;
}

static void sweep_profile(const struct profile *pr)
{
	uint32_t i;
	uint64_t n;
	struct snap ok;
	long want;

	for (i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
		const struct sweep *s = &sweeps[i];
		struct fx f;

		if (!(pr->legacy ? s->v1 : s->v2))
			continue;
		/* The answer without a fault. */
		if (setup(&f, pr) || s->prep(&f)) {
			FAULT_FAIL("%s: set-up failed", s->name);
			tt_vfio_teardown(&f.v);
			return;
		}
		want = s->req(&f);
		tt_vfio_teardown(&f.v);
		one(pr, s, 0, want, &ok);
		for (n = 1; n < 100000 && !one(pr, s, n, want, &ok); n++)
			;
		if (getenv("TCE_TEST_VERBOSE"))
			printf("# %s %s: %" PRIu64 " faults, answer %ld\n", pr->name, s->name, n - 1,
			       want);
	}
}

static const struct profile profiles[] = {
	{ "powernv", TCE_PLATFORM_POWERNV, false },
	{ "pseries", TCE_PLATFORM_PSERIES, false },
	{ "legacy", TCE_PLATFORM_PSERIES, true },
};

static void powernv(void)
{
	sweep_profile(&profiles[0]);
}

static void pseries(void)
{
	sweep_profile(&profiles[1]);
}

static void legacy(void)
{
	sweep_profile(&profiles[2]);
}

static const struct tt_case cases[] = {
	TT_CASE(powernv), TT_CASE(pseries), TT_CASE(legacy),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
