/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: VFIO Type1 (v2, and v1 with its unmap rule) over a
 * domain (docs/vfio.md "Type1v2 over a domain"; DECISIONS 26) through
 * tce_vfio_ioctl() on containers opened
 * with TCE_VFIO_TYPE1. The first byte picks powernv or pseries, the host
 * and process page sizes, a locked-memory limit, dma_entry_limit and the
 * windows (chosen, or small explicit ones); the rest is a sequence of
 * container and group opens and closes, GROUP_SET/UNSET_CONTAINER,
 * CHECK_EXTENSION, SET_IOMMU of any type, GET_INFO, MAP_DMA, UNMAP_DMA and
 * DIRTY_PAGES with hostile argsz, flags, addresses, sizes and bitmaps, each
 * struct and bitmap in a heap buffer no larger than what the library may
 * touch (ASan sees a byte past it), device DMA and the fail-Nth countdown.
 * Memory is an identity region of the machine (the arena), plus a mapped
 * buffer in no region (a canary), an unmapped and a read-only range.
 *
 * A model of the files and of each container's mappings (iova, size,
 * vaddr, flags) predicts every answer: -EEXIST on overlap, -ENOSPC, the v2
 * rule's -EINVAL, the memory's -EFAULT and -ENOMEM (the account), the bytes
 * UNMAP writes back (UNMAP_ALL's total), GET_INFO's page sizes and
 * capability chain (DMA_AVAIL, IOVA_RANGE), the dirty bitmaps bit by bit,
 * the locked bytes (the sum of the live mappings) and the pinned pages.
 * A failed call changes nothing (an UNMAP failing part-way under a fault
 * removes a prefix of its mappings, which the account tells). The device's
 * DMA reaches a mapping at its bytes with its permissions, and faults
 * elsewhere. After the sequence every file is closed: no group owned,
 * nothing locked, the context as before, the canary intact.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include <tce.h>
#include "fuzz_input.h"

#ifdef FUZZ_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)

static void trace_log(void *arg, enum tce_log_level level, const char *msg)
{
	(void)arg, (void)level;
	fprintf(stderr, "    log: %s\n", msg);
}
#else
#define TRACE(...) ((void)0)
#endif

/*
 * FUZZ_TYPE1_SKIP_KNOWN=1 steers clear of the open defects (so that a run
 * finds others); each has its bug-* seed:
 * - bug-last-page-of-window: MAP_DMA of a range ending at a window's end is
 *   -EINVAL "not inside one IOVA range" (type1.c in_aperture() gives
 *   tce__range_inside() the window's last byte where it takes its end).
 */
#ifndef FUZZ_TYPE1_SKIP_KNOWN
#define FUZZ_TYPE1_SKIP_KNOWN 0
#endif

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define W1 (1ull << 59)
#define ARENA (8 * MiB)       /* the identity region, 2 MiB aligned */
#define OUTSIDE (256 * KiB)   /* mapped, writable, in no region: a canary */
#define UNMAPPED (1 * MiB)    /* PROT_NONE */
#define RDONLY (256 * KiB)    /* PROT_READ */
#define CANARY 0x5a
#define NCONT 2
/*
 * The built-in machines have three groups; the model follows the first two
 * (dma-test 00:01.0 and the VF 00:02.0) and leaves the I/OAT channel's
 * (00:03.0, whose DMA faults recover without a freeze) alone.
 */
#define BUILTIN_GROUPS 3
#define NGROUPS 2
#define MAXFD 8
#define MAXMAPS 48            /* mappings the model follows per container */
#define BITMAP_MAX (1ull << 28) /* the kernel's DIRTY_BITMAP_SIZE_MAX */
#define BITS_CAP (256 * KiB)  /* the largest bitmap the target allocates */
#define INFO_FULL 256         /* GET_INFO's buffer at most */
#define MAYBE 1               /* an answer the model cannot know (memory of unknown kind) */

enum ctype { T_NONE, T_TYPE1, T_SPAPR };
enum fdk { F_FREE, F_CONT, F_GROUP };
enum mem { M_ARENA, M_OUTSIDE, M_RDONLY, M_BAD, M_UNKNOWN };

struct t1map {
	uint64_t iova, size, vaddr;
	uint32_t flags; /* VFIO_DMA_MAP_FLAG_READ | _WRITE */
	bool torn;      /* a pseries unmap failed in it: some TCEs are gone (a retry finishes) */
};

/* The model of one container object. */
struct cont {
	bool alive;
	int fd;                  /* -1: closed, alive while a group holds it */
	int groups[NGROUPS];     /* attached, in order */
	int ngroups;
	enum ctype type;
	bool v1;                 /* T_TYPE1 set as VFIO_TYPE1_IOMMU: v1's unmap rule */
	struct t1map m[MAXMAPS]; /* sorted by iova */
	int n;
	bool tracking;
	/* Type1's geometry once set */
	int nwin;
	uint64_t wstart[2], wsize[2];
	uint32_t wshift[2];
	uint64_t pgsizes, pg;
};

struct grp {
	int fd;   /* -1: not open */
	int cont; /* the container slot, or -1 */
};

struct state {
	struct tce_ctx *ctx;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_vfio_mm *mm;
	bool pseries;
	uint32_t sys_shift;
	uint64_t limit; /* locked bytes allowed, 0 = none */
	struct tce_vfio_container_config cc;
	enum fdk fdkind[MAXFD];
	int fdidx[MAXFD];
	struct cont c[NCONT];
	struct grp g[NGROUPS];
	struct tce_group *hg[NGROUPS];
	struct tce_device *dev[NGROUPS];
	struct tce_group_info gi[NGROUPS];
	bool armed;
	/*
	 * pseries: a fault fired while SET_IOMMU(TYPE1v2) made or took back a
	 * DDW on the group. A failed create is remembered per PE (the kernel's
	 * failed-DDW list): -ENODEV from now on. A failed remove leaves the
	 * window with the hypervisor until the group goes back to the kernel:
	 * the next window 0 lands elsewhere (-EINVAL, or a smaller one).
	 */
	bool ddw_failed[NGROUPS], ddw_stale[NGROUPS];
	uint64_t live_base;
};

static struct state st;
static uint8_t *blobs[2];
static size_t blob_size[2];
static uint8_t *arena, *outside, *unmapped, *rdonly;

static const char *const names[NGROUPS] = { "0000:00:01.0", "0000:00:02.0" };

/* ---- fixtures kept across inputs ---- */

/*
 * The buffers sit low in the address space, first after the sanitizer's
 * shadow: the library pins by reading /proc/self/smaps up to the range,
 * and every mapping before it (the sanitizer's heap above all) costs.
 */
static uint8_t *next_va = (uint8_t *)(uintptr_t)0x110000000000ull;

static void *map_low(size_t size, int prot)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint8_t *p = mmap(next_va, size, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED || p != next_va) { /* taken: anywhere, 2 MiB aligned */
		p = mmap(NULL, size + 2 * MiB, prot, flags, -1, 0);
		ENSURE(p != MAP_FAILED);
		p = (uint8_t *)(((uintptr_t)p + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
	}
	/* A hole of at least 2 MiB after each: nothing else is mapped there. */
	next_va = (uint8_t *)(((uintptr_t)p + size + 4 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
	return p;
}

static void memory_once(void)
{
	if (arena)
		return;
	arena = map_low(ARENA, PROT_READ | PROT_WRITE);
	outside = map_low(OUTSIDE, PROT_READ | PROT_WRITE);
	unmapped = map_low(UNMAPPED, PROT_NONE);
	rdonly = map_low(RDONLY, PROT_READ);
	memset(outside, CANARY, OUTSIDE);
}

static void canary_intact(void)
{
	static uint8_t ref[OUTSIDE];

	if (!ref[0])
		memset(ref, CANARY, sizeof(ref));
	ENSURE(!memcmp(outside, ref, OUTSIDE));
}

/* ---- faults ---- */

static void before(void)
{
	st.armed = tce_ctx_fail_nth_armed(st.ctx);
}

static bool fired(void)
{
	return st.armed && !tce_ctx_fail_nth_armed(st.ctx);
}

static void check_errno(long rc)
{
	switch (rc) {
	case -EINVAL: case -EPERM: case -ENOTTY: case -EBADF: case -EFAULT: case -ENXIO:
	case -ENODEV: case -EBUSY: case -ENOENT: case -ENOMEM: case -ENOSPC: case -ERANGE:
	case -EIO: case -EEXIST:
		return;
	default:
		if (rc < 0)
			TRACE("  undocumented errno %ld\n", rc);
		ENSURE(rc >= 0);
	}
}

/* ---- the model's files ---- */

static int lowest_free(void)
{
	int fd;

	for (fd = 0; fd < MAXFD; fd++)
		if (st.fdkind[fd] == F_FREE)
			return fd;
	return -1;
}

/* The container slot file number @fd names, or -1. */
static int cont_at(int fd)
{
	return fd >= 0 && fd < MAXFD && st.fdkind[fd] == F_CONT ? st.fdidx[fd] : -1;
}

static bool any_spapr(void)
{
	int s;

	for (s = 0; s < NCONT; s++)
		if (st.c[s].alive && st.c[s].type == T_SPAPR)
			return true;
	return false;
}

/* Whether any live Type1 mapping holds memory of [va, va + size). */
static bool va_mapped(uint64_t va, uint64_t size)
{
	int s, i;

	for (s = 0; s < NCONT; s++)
		for (i = 0; st.c[s].type == T_TYPE1 && i < st.c[s].n; i++)
			if (st.c[s].m[i].vaddr < va + size && va < st.c[s].m[i].vaddr + st.c[s].m[i].size)
				return true;
	return false;
}

/* The container's state goes with its last group (docs/vfio.md "Release"). */
static void release(struct cont *c)
{
	c->type = T_NONE;
	c->n = 0;
	c->tracking = false;
}

static void drop_cont(int s)
{
	if (st.c[s].fd < 0 && !st.c[s].ngroups)
		st.c[s].alive = false;
}

static void detach(int gi)
{
	struct cont *c = &st.c[st.g[gi].cont];
	int k;

	for (k = 0; k < c->ngroups && c->groups[k] != gi; k++)
		;
	ENSURE(k < c->ngroups);
	st.ddw_stale[gi] = false; /* the group went back to the kernel */
	memmove(&c->groups[k], &c->groups[k + 1], (size_t)(c->ngroups - k - 1) * sizeof(int));
	if (!--c->ngroups)
		release(c);
	st.g[gi].cont = -1;
	drop_cont((int)(c - st.c));
}

/* ---- checks after every step ---- */

static void check_state(void)
{
	static const int kinds[] = { [F_CONT] = TCE_VFIO_CONTAINER, [F_GROUP] = TCE_VFIO_GROUP };
	static const int types[] = { [T_NONE] = 0, [T_TYPE1] = VFIO_TYPE1v2_IOMMU };
	uint64_t sum = 0;
	int fd, s, i;

	for (fd = 0; fd < MAXFD; fd++)
		ENSURE(tce_vfio_kind(st.mm, fd) == (st.fdkind[fd] == F_FREE ? -EBADF :
						    kinds[st.fdkind[fd]]));
	for (s = 0; s < NCONT; s++) {
		struct cont *c = &st.c[s];

		if (!c->alive)
			continue;
		if (c->fd >= 0 && c->type != T_SPAPR)
			ENSURE(tce_vfio_iommu_type(st.mm, c->fd) ==
			       (c->v1 && c->type == T_TYPE1 ? VFIO_TYPE1_IOMMU : types[c->type]));
		for (i = 0; c->type == T_TYPE1 && i < c->n; i++)
			sum += c->m[i].size;
	}
	for (i = 0; i < NGROUPS; i++) {
		bool attached = st.g[i].cont >= 0;

		if (!attached && tce_group_owned(st.hg[i]) && fired()) {
			/* The group layer's release failed under the fault: vfio only warns */
			TRACE("  group %d left owned by nobody; handed back\n", i);
			tce_ctx_set_fail_nth(st.ctx, 0);
			ENSURE(tce_group_release_ownership(st.hg[i]) == 0);
		}
		ENSURE(tce_group_owned(st.hg[i]) == attached);
	}
	if (any_spapr())
		return; /* an sPAPR container charges its own way (fuzz-vfio's business) */
	ENSURE(tce_vfio_mm_locked(st.mm) == sum);
	for (s = 0; s < NCONT; s++)
		for (i = 0; st.c[s].type == T_TYPE1 && i < st.c[s].n; i++)
			ENSURE(tce_vfio_mm_pinned(st.mm, st.c[s].m[i].vaddr, st.c[s].m[i].size));
}

/* ---- picking numbers off the input ---- */

/* The file an ioctl goes to: mostly a container's, sometimes any number. */
static int take_target(struct input *in)
{
	unsigned b = (unsigned)take(in, 1);
	int k, s;

	if (b >= 0xf8)
		return (int)(b - 0xf8);
	for (k = 0; k < NCONT; k++) {
		s = (int)((b + (unsigned)k) % NCONT);
		if (st.c[s].alive && st.c[s].fd >= 0)
			return st.c[s].fd;
	}
	return (int)(b % MAXFD);
}

/* A container slot with a Type1 geometry to aim at, or NULL. */
static const struct cont *aim(int fd)
{
	int s = cont_at(fd);

	return s >= 0 && st.c[s].type == T_TYPE1 ? &st.c[s] : NULL;
}

static uint64_t take_vaddr(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);
	uint64_t off = take(in, 2);

	switch (sel % 12) {
	case 0: case 1: case 2: case 3:
		return (uint64_t)arena + ((off << 16) % ARENA);
	case 4: case 5:
		return (uint64_t)arena + ((off << 12) % ARENA);
	case 6:
		return (uint64_t)outside + ((off << 12) % OUTSIDE);
	case 7:
		return (uint64_t)unmapped + ((off << 16) % UNMAPPED);
	case 8:
		return (uint64_t)rdonly + ((off << 12) % RDONLY);
	case 9:
		return (uint64_t)arena + (off % ARENA);
	case 10:
		return off << 16; /* low and most likely unmapped */
	default:
		return off << 48 | take(in, 6);
	}
}

static uint64_t take_size(struct input *in, const struct cont *c)
{
	static const uint64_t sizes[] = { 4 * KiB, 64 * KiB, 128 * KiB, 1 * MiB, 2 * MiB,
					  64 * KiB, 256 * KiB, 4 * KiB };
	unsigned sel = (unsigned)take(in, 1);

	if (sel < 0xb0)
		return sizes[sel % 8];
	if (sel < 0xd0 && c && c->n)
		return c->m[sel % (unsigned)c->n].size;
	if (sel < 0xe8)
		return (1 + take(in, 1)) << (sel & 1 ? 16 : 12);
	switch (sel) {
	case 0xe8: return 0;
	case 0xe9: return ~0ull - 0xfff;
	case 0xea: return ~0ull - 0xffff;
	case 0xeb: return ARENA;
	case 0xec: return c ? c->wsize[0] : 1ull << 47;
	case 0xed: return 1ull << 40;
	default: return take(in, 8);
	}
}

static uint64_t take_iova(struct input *in, const struct cont *c)
{
	unsigned sel = (unsigned)take(in, 1);
	uint64_t off = take(in, 1), end0 = c ? c->wsize[0] : 1ull << 43;
	const struct t1map *m;

	switch (sel % 10) {
	case 0: case 1: case 2:
		return off << 16;
	case 3:
		return off << 12;
	case 4: case 5:
		if (!c || !c->n)
			return off << 16;
		m = &c->m[off % (unsigned)c->n];
		switch (sel / 10 % 4) {
		case 0: return m->iova;
		case 1: return m->iova + m->size;           /* adjacent */
		case 2: return m->iova + (m->size >> 1);    /* inside */
		default: return m->iova - (64 * KiB);       /* before */
		}
	case 6:
		return W1 + (off << 16);
	case 7:
		return end0 - ((off + 1) << 16);
	case 8:
		return off << 12 | (take(in, 1) & 0xfff);
	default:
		return take(in, 8);
	}
}

/* argsz for a struct of @full bytes whose minimum is @minsz. */
static uint32_t take_argsz(struct input *in, uint32_t full, uint32_t minsz)
{
	unsigned sel = (unsigned)take(in, 1);

	switch (sel) {
	case 0xf0: return 0;
	case 0xf1: return 4;
	case 0xf2: return minsz - 1;
	case 0xf3: return minsz;
	case 0xf4: return 0xffffffffu;
	case 0xf5: return full + 1 + (uint32_t)take(in, 1);
	case 0xf6: return (uint32_t)take(in, 4);
	case 0xf7: return full - 8;
	default: return full;
	}
}

/* A heap copy of @val of the bytes argsz lets the library touch (NULL when asked). */
static void *arg_buf(struct input *in, void *val, uint32_t argsz, size_t full, size_t *len)
{
	void *p;

	if (take(in, 1) == 0xff) {
		*len = 0;
		return NULL;
	}
	*len = argsz < 4 ? 4 : argsz > full ? full : argsz;
	memcpy(val, &argsz, sizeof(argsz));
	p = malloc(*len);
	ENSURE(p);
	memcpy(p, val, *len);
	return p;
}

/* ---- the model's answers ---- */

/*
 * A range ending at 2^64 has iova + size 0 here, as in the kernel's
 * vfio_find_dma(): it overlaps nothing, and the aperture refuses it.
 */
static bool overlaps(const struct cont *c, uint64_t iova, uint64_t size)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->m[i].iova < iova + size && iova < c->m[i].iova + c->m[i].size)
			return true;
	return false;
}

/* The v2 rule: [iova, last] cuts a mapping. */
static bool bisects(const struct cont *c, uint64_t iova, uint64_t last)
{
	int i;

	for (i = 0; i < c->n; i++) {
		uint64_t a = c->m[i].iova, z = a + c->m[i].size - 1;

		if ((a < iova && iova <= z) || (a <= last && last < z))
			return true;
	}
	return false;
}

/* The window [iova, iova + size) lies in, or -1. */
static int window_of(const struct cont *c, uint64_t iova, uint64_t size)
{
	int w;

	for (w = 0; w < c->nwin; w++)
		if (iova >= c->wstart[w] && iova - c->wstart[w] < c->wsize[w] &&
		    size - 1 <= c->wstart[w] + c->wsize[w] - 1 - iova)
			return w;
	return -1;
}

/* Whether [iova, iova + size) ends where a window of @c ends. */
static bool ends_window(const struct cont *c, uint64_t iova, uint64_t size)
{
	int w = size ? window_of(c, iova, size) : -1;

	return w >= 0 && iova + size == c->wstart[w] + c->wsize[w];
}

static bool inside(uint64_t va, uint64_t size, const uint8_t *buf, uint64_t len)
{
	return va >= (uint64_t)buf && size <= len && va - (uint64_t)buf <= len - size;
}

static bool touches(uint64_t va, uint64_t size, const uint8_t *buf, uint64_t len)
{
	return va < (uint64_t)buf + len && (uint64_t)buf < va + size;
}

/* What the pinning of [va, va + size) meets. */
static enum mem classify(uint64_t va, uint64_t size, bool write)
{
	if (touches(va, size, unmapped, UNMAPPED))
		return M_BAD;
	if (inside(va, size, arena, ARENA))
		return M_ARENA;
	if (inside(va, size, outside, OUTSIDE))
		return M_OUTSIDE;
	if (touches(va, size, rdonly, RDONLY) && write)
		return M_BAD;
	if (inside(va, size, rdonly, RDONLY))
		return M_RDONLY;
	return M_UNKNOWN;
}

/* MAP_DMA's answer (docs/vfio.md, in the kernel's order), or MAYBE. */
static long map_expect(const struct cont *c, const struct vfio_iommu_type1_dma_map *p,
		       const void *arg)
{
	uint64_t pg = c->pg, end, wpg;
	enum mem k;
	int w;

	if (!arg)
		return -EFAULT;
	if (p->argsz < 32 || p->flags & ~7u || p->flags & VFIO_DMA_MAP_FLAG_VADDR ||
	    !(p->flags & 3) || !p->size || (p->size | p->iova | p->vaddr) & (pg - 1) ||
	    __builtin_add_overflow(p->iova, p->size - 1, &end) ||
	    __builtin_add_overflow(p->vaddr, p->size - 1, &end))
		return -EINVAL;
	if (overlaps(c, p->iova, p->size))
		return -EEXIST;
	if ((uint64_t)c->n >= (st.cc.dma_entry_limit ? st.cc.dma_entry_limit : 65535))
		return -ENOSPC;
	w = window_of(c, p->iova, p->size);
	if (w < 0)
		return -EINVAL;
	k = classify(p->vaddr, p->size, p->flags & VFIO_DMA_MAP_FLAG_WRITE);
	if (k == M_BAD)
		return -EFAULT;
	if (k == M_UNKNOWN)
		return MAYBE;
	if (st.limit && tce_vfio_mm_locked(st.mm) + p->size > st.limit)
		return -ENOMEM;
	wpg = 1ull << c->wshift[w];
	if ((p->iova | p->vaddr | p->size) & (wpg - 1))
		return -EINVAL; /* a piece smaller than the window's page */
	if (st.pseries && k != M_ARENA)
		return -EINVAL; /* the hypervisor takes only the machine's memory */
	return 0;
}

/* ---- device DMA ---- */

/* The device of a group on Type1 container @c, or NULL. */
static struct tce_pci_dev *t1_dev(const struct cont *c, unsigned pick)
{
	if (c->type != T_TYPE1 || !c->ngroups)
		return NULL;
	return tce_device_pci(st.dev[c->groups[pick % (unsigned)c->ngroups]]);
}

/* The mapping of @c holding [bus, bus + len), or NULL; *@any: one overlaps it. */
static const struct t1map *holding(const struct cont *c, uint64_t bus, size_t len, bool *any)
{
	int i;

	*any = false;
	for (i = 0; i < c->n; i++) {
		const struct t1map *m = &c->m[i];

		if (m->iova < bus + len && bus < m->iova + m->size) {
			*any = true;
			if (bus >= m->iova && bus + len <= m->iova + m->size)
				return m;
		}
	}
	return NULL;
}

/*
 * The device reads or writes [bus, bus + len): through a mapping of arena
 * memory with the permission it lands in the mapped bytes; without the
 * permission, or where nothing is mapped, it faults and moves nothing.
 */
static void dma_check(const struct cont *c, unsigned pick, uint64_t bus, size_t len, bool write)
{
	struct tce_pci_dev *pci = t1_dev(c, pick);
	uint8_t pat[16], back[16];
	const struct t1map *m;
	bool any, arena_m, ok;
	uint8_t *host = NULL;
	size_t i;
	int rc;

	if (!pci || bus + len < bus)
		return;
	m = holding(c, bus, len, &any);
	arena_m = m && inside(m->vaddr, m->size, arena, ARENA);
	if (arena_m)
		host = arena + (m->vaddr - (uint64_t)arena) + (bus - m->iova);
	for (i = 0; i < len; i++)
		pat[i] = (uint8_t)(bus + i * 37 + 1);
	if (host && !write)
		memcpy(pat, host, len);
	else if (host)
		memcpy(back, host, len); /* what a refused write must leave */
	tce_dev_eeh_thaw(pci);
	before();
	rc = write ? tce_dev_dma_write(pci, bus, pat, len) : tce_dev_dma_read(pci, bus, back, len);
	TRACE("  dma %s bus %#llx len %zu -> %d\n", write ? "write" : "read",
	      (unsigned long long)bus, len, rc);
	tce_dev_eeh_thaw(pci);
	canary_intact();
	if (fired())
		return;
	ENSURE(rc == 0 || rc == -EFAULT);
	if (!any) {
		ENSURE(rc == -EFAULT);
		return;
	}
	if (!m)
		return; /* over two mappings, or part of one */
	ok = m->flags & (write ? VFIO_DMA_MAP_FLAG_WRITE : VFIO_DMA_MAP_FLAG_READ);
	if (write && !(m->flags & VFIO_DMA_MAP_FLAG_WRITE))
		ENSURE(rc == -EFAULT);
	if (!arena_m) {
		ENSURE(rc == -EFAULT || !inside(m->vaddr, m->size, outside, OUTSIDE));
		return;
	}
	if (ok && !m->torn)
		ENSURE(rc == 0);
	if (write)
		ENSURE(!memcmp(host, rc ? back : pat, len));
	else if (!rc)
		ENSURE(!memcmp(back, host, len));
}

static void op_dma(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);
	const struct cont *c = &st.c[sel & 1];
	size_t len = 1 + take(in, 1) % 16;
	uint64_t bus;

	if (!c->alive || c->type != T_TYPE1)
		return;
	if (c->n && sel < 0xc0) {
		const struct t1map *m = &c->m[(sel >> 2) % (unsigned)c->n];

		bus = m->iova + take(in, 3) % (m->size - len + 1);
	} else {
		bus = take_iova(in, c);
	}
	dma_check(c, sel >> 1, bus, len, sel & 0x20);
}

/* ---- requests ---- */

/*
 * The answer to a request that is not the model's to predict: a number
 * that names no container (-EBADF, or a group's -ENOTTY), a container with
 * no type (-EINVAL) or an sPAPR one (any documented answer). True when so.
 */
static bool not_type1(int fd, long rc)
{
	int s = cont_at(fd);

	if (fd < 0 || fd >= MAXFD || st.fdkind[fd] == F_FREE) {
		ENSURE(rc == -EBADF);
		return true;
	}
	if (s < 0) {
		ENSURE(rc == -ENOTTY);
		return true;
	}
	if (st.c[s].type == T_NONE)
		ENSURE(rc == -EINVAL);
	return st.c[s].type != T_TYPE1;
}

static void insert_map(struct cont *c, const struct t1map *m)
{
	int i;

	for (i = 0; i < c->n && c->m[i].iova < m->iova; i++)
		;
	memmove(&c->m[i + 1], &c->m[i], (size_t)(c->n - i) * sizeof(*m));
	c->m[i] = *m;
	c->n++;
}

static uint32_t take_map_flags(struct input *in)
{
	static const uint32_t f[] = { 3, 3, 3, 1, 2, 3, 1, 3, 0, 4, 5, 7, 8, 0x103 };
	unsigned sel = (unsigned)take(in, 1);

	return sel < 0xf0 ? f[sel % 14] : (uint32_t)take(in, 4);
}

static void op_map(struct input *in)
{
	struct vfio_iommu_type1_dma_map p = { 0 };
	int fd = take_target(in), s = cont_at(fd);
	const struct cont *c = aim(fd);
	uint64_t locked = tce_vfio_mm_locked(st.mm);
	unsigned pick, write;
	uint64_t off;
	size_t len;
	void *a;
	long want = 0, rc;

	p.flags = take_map_flags(in);
	p.vaddr = take_vaddr(in);
	p.iova = take_iova(in, c);
	p.size = take_size(in, c);
	if (classify(p.vaddr, p.size, true) == M_UNKNOWN && p.size > 16 * MiB)
		p.vaddr = (uint64_t)unmapped; /* pinning terabytes of this process: not here */
	p.argsz = take_argsz(in, sizeof(p), 32);
	a = arg_buf(in, &p, p.argsz, sizeof(p), &len);
	pick = (unsigned)take(in, 1), off = take(in, 3), write = (unsigned)take(in, 1) & 1;
	if (c && c->n == MAXMAPS)
		goto out;
	if (FUZZ_TYPE1_SKIP_KNOWN && c && ends_window(c, p.iova, p.size))
		goto out;
	if (c)
		want = map_expect(c, &p, a);
	before();
	rc = tce_vfio_ioctl(st.mm, fd, VFIO_IOMMU_MAP_DMA, a);
	TRACE("fd %d MAP iova %#llx size %#llx vaddr %#llx flags %#x argsz %u -> %ld (want %ld)%s\n",
	      fd, (unsigned long long)p.iova, (unsigned long long)p.size,
	      (unsigned long long)p.vaddr, p.flags, p.argsz, rc, want, fired() ? " (fault)" : "");
	check_errno(rc);
	if (not_type1(fd, rc))
		goto out;
	if (want != MAYBE && !fired())
		ENSURE(rc == want);
	if (want == MAYBE && !fired())
		ENSURE(rc == 0 || rc == -EFAULT || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		ENSURE(tce_vfio_mm_locked(st.mm) == locked);
		goto out;
	}
	ENSURE(want == 0 || want == MAYBE);
	ENSURE(tce_vfio_mm_locked(st.mm) == locked + p.size);
	insert_map(&st.c[s], &(struct t1map){ .iova = p.iova, .size = p.size, .vaddr = p.vaddr,
					 .flags = p.flags & 3 });
	dma_check(c, pick, p.iova + off % (p.size - 7), 8, write);
out:
	free(a);
}

/* ---- dirty bitmaps ---- */

struct bits {
	uint64_t *data; /* what the library gets */
	size_t len;     /* bytes allocated */
	uint8_t *before;
};

/* The words the mappings of @c inside [base, last] cover, counted from @base (0: none). */
static uint64_t words_needed(const struct cont *c, uint64_t base, uint64_t last, uint64_t pg)
{
	uint64_t words = 0, w1;
	int i;

	for (i = 0; i < c->n; i++)
		if (c->m[i].iova >= base && c->m[i].iova <= last) {
			w1 = ((c->m[i].iova - base) / pg + c->m[i].size / pg - 1) / 64;
			if (w1 + 1 > words)
				words = w1 + 1;
		}
	return words;
}

/*
 * A struct vfio_bitmap for [iova, iova + size): its page size and size
 * hostile or right, its data NULL or a buffer of exactly the words the
 * mappings in the range cover (none: one byte), filled with a pattern.
 */
static void take_bitmap(struct input *in, const struct cont *c, uint64_t iova, uint64_t size,
			struct vfio_bitmap *bm, struct bits *b)
{
	unsigned sel = (unsigned)take(in, 1), fill = (unsigned)take(in, 1);
	uint64_t pg = c ? c->pg : 4096, pages, need, words = 0;

	switch (sel % 8) {
	case 5: bm->pgsize = pg << 1; break;
	case 6: bm->pgsize = pg == 4096 ? 65536 : 4096; break;
	case 7: bm->pgsize = sel & 0x80 ? 1 : take(in, 8); break;
	default: bm->pgsize = pg; break;
	}
	pages = bm->pgsize && !(bm->pgsize & (bm->pgsize - 1)) ? size / bm->pgsize : 0;
	need = (pages / 64 + (pages % 64 != 0)) * 8;
	switch (sel >> 3 & 7) {
	case 5: bm->size = need + 8; break;
	case 6: bm->size = need ? need - 8 : 0; break;
	case 7: bm->size = sel & 0x80 ? BITMAP_MAX + 8 : take(in, 4); break;
	default: bm->size = need; break;
	}
	memset(b, 0, sizeof(*b));
	bm->data = NULL;
	if (fill == 0xff)
		return;
	if (c && size && iova + size - 1 >= iova)
		words = words_needed(c, iova, iova + size - 1, pg);
	if (words * 8 > BITS_CAP)
		return;
	b->len = words ? words * 8 : 1;
	b->data = malloc(b->len);
	b->before = malloc(b->len);
	ENSURE(b->data && b->before);
	memset(b->data, (int)fill, b->len);
	memcpy(b->before, b->data, b->len);
	bm->data = (__u64 *)b->data;
}

static void free_bits(struct bits *b)
{
	free(b->data);
	free(b->before);
}

static bool v1_blocked(const struct cont *c, uint64_t iova);
static bool v1_stops_at(const struct cont *c, const struct t1map *m, uint64_t last);

/*
 * The bitmap after the mappings of @c inside [base, last] were reported, as
 * update_user_bitmap() writes it: per mapping, its first word's bits below
 * it kept, the rest of its words rewritten; a page dirty while a writable
 * mapping holds it (nothing else is logged: every unmap drops its record).
 * Reported are the mappings an unmap removes: under v1 none when one starts
 * before the range and reaches into it, and none from the first that ends
 * past it (DECISIONS 26). GET_BITMAP refuses a range that cuts a mapping, so
 * neither rule changes what it reports.
 */
static void check_bits(const struct cont *c, uint64_t base, uint64_t last, const struct bits *b)
{
	uint64_t *exp, pg = c->pg, off, nbits, w, k;
	int i;

	if (!b->data || b->len < 8)
		return;
	exp = malloc(b->len);
	ENSURE(exp);
	memcpy(exp, b->before, b->len);
	for (i = 0; i < c->n && !v1_blocked(c, base); i++) {
		const struct t1map *m = &c->m[i];

		if (m->iova < base || m->iova > last)
			continue;
		if (v1_stops_at(c, m, last))
			break;
		off = (m->iova - base) / pg, nbits = m->size / pg;
		exp[off / 64] &= off % 64 ? (1ull << (off % 64)) - 1 : 0;
		for (w = off / 64 + 1; w <= (off + nbits - 1) / 64; w++)
			exp[w] = 0;
		for (k = 0; (m->flags & VFIO_DMA_MAP_FLAG_WRITE) && k < nbits; k++)
			exp[(off + k) / 64] |= 1ull << ((off + k) % 64);
	}
	ENSURE(!memcmp(exp, b->data, b->len));
	free(exp);
}

/* verify_bitmap_size(): the bitmap fits the range's pages. */
static bool bitmap_ok(uint64_t size, const struct vfio_bitmap *bm)
{
	uint64_t pages = bm->pgsize && !(bm->pgsize & (bm->pgsize - 1)) ? size / bm->pgsize : 0;

	return pages && bm->size && bm->size <= BITMAP_MAX &&
	       bm->size >= (pages / 64 + (pages % 64 != 0)) * 8;
}

/*
 * v1's unmap (docs/vfio.md): a mapping that starts before @iova and reaches
 * it stops the unmap at once; so does, further on, one that ends past @last.
 */
static bool v1_blocked(const struct cont *c, uint64_t iova)
{
	int i;

	for (i = 0; c->v1 && i < c->n; i++)
		if (c->m[i].iova < iova && iova <= c->m[i].iova + c->m[i].size - 1)
			return true;
	return false;
}

static bool v1_stops_at(const struct cont *c, const struct t1map *m, uint64_t last)
{
	return c->v1 && m->iova + m->size - 1 > last;
}

/* Whether an unmap of [iova, last] removes a mapping of @c. */
static bool starts_in(const struct cont *c, uint64_t iova, uint64_t last)
{
	int i;

	if (v1_blocked(c, iova))
		return false;
	for (i = 0; i < c->n; i++)
		if (c->m[i].iova >= iova && c->m[i].iova <= last)
			return !v1_stops_at(c, &c->m[i], last);
	return false;
}

/* ---- UNMAP_DMA ---- */

/* struct vfio_iommu_type1_dma_unmap with the struct vfio_bitmap of GET_DIRTY_BITMAP. */
struct unmap_arg {
	struct {
		uint32_t argsz, flags;
		uint64_t iova, size;
	} u;
	struct vfio_bitmap bm;
};
_Static_assert(sizeof(struct vfio_iommu_type1_dma_unmap) == 24, "the unmap struct");

static long unmap_expect(const struct cont *c, const struct unmap_arg *p, const void *arg)
{
	uint64_t pg = c->pg, last;
	bool bits = p->u.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	bool all = p->u.flags & VFIO_DMA_UNMAP_FLAG_ALL;

	if (!arg)
		return -EFAULT;
	if (p->u.argsz < 24 || p->u.flags & ~7u || (bits && p->u.flags != 1) ||
	    p->u.flags & VFIO_DMA_UNMAP_FLAG_VADDR)
		return -EINVAL;
	if (bits && (p->u.argsz < 48 || !bitmap_ok(p->u.size, &p->bm)))
		return -EINVAL;
	if (p->u.iova & (pg - 1) || (all && (p->u.iova || p->u.size)))
		return -EINVAL;
	if (!all && (!p->u.size || p->u.size & (pg - 1) ||
		     __builtin_add_overflow(p->u.iova, p->u.size - 1, &last)))
		return -EINVAL;
	if (bits && (!c->tracking || p->bm.pgsize != pg))
		return -EINVAL;
	if (!all && !c->v1 && bisects(c, p->u.iova, last))
		return -EINVAL;
	if (bits && !p->bm.data && starts_in(c, p->u.iova, last))
		return -EFAULT;
	return 0;
}

/*
 * Take the mappings of @c that start in [iova, last] out, in order: all of
 * them, or (@prefix) the first ones whose sizes add up to @bytes. Then each
 * one's memory is no longer pinned unless another mapping holds it, and
 * the device's DMA to it faults.
 */
static uint64_t remove_range(struct cont *c, uint64_t iova, uint64_t last, uint64_t bytes,
			     bool prefix)
{
	struct t1map gone[MAXMAPS];
	uint64_t sum = 0;
	int i = 0, n = 0;

	while (i < c->n && !v1_blocked(c, iova)) {
		const struct t1map m = c->m[i];

		if (m.iova < iova || m.iova > last) {
			i++;
			continue;
		}
		if ((prefix && sum + m.size > bytes) || v1_stops_at(c, &m, last))
			break;
		sum += m.size;
		gone[n++] = m;
		memmove(&c->m[i], &c->m[i + 1], (size_t)(c->n - i - 1) * sizeof(m));
		c->n--;
	}
	for (i = 0; i < n; i++) {
		if (va_mapped(gone[i].vaddr, gone[i].size))
			ENSURE(tce_vfio_mm_pinned(st.mm, gone[i].vaddr, gone[i].size));
		else if (!any_spapr())
			ENSURE(!tce_vfio_mm_pinned(st.mm, gone[i].vaddr, gone[i].size));
		dma_check(c, (unsigned)(gone[i].vaddr >> 12), gone[i].iova, 8,
			  gone[i].vaddr & 0x1000);
	}
	return sum;
}

/*
 * Every mapping of @c starting in [iova, last], where an unmap failed
 * part-way: it clears from the top down, so any of them may be cleared,
 * whole or in part, while all stay recorded until a retry finishes.
 */
static void tear(struct cont *c, uint64_t iova, uint64_t last)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->m[i].iova >= iova && c->m[i].iova <= last)
			c->m[i].torn = true;
}

static uint32_t take_unmap_flags(struct input *in)
{
	static const uint32_t f[] = { 0, 0, 0, 0, 2, 1, 1, 3, 4, 5, 6, 8 };
	unsigned sel = (unsigned)take(in, 1);

	return sel < 0xf0 ? f[sel % 12] : (uint32_t)take(in, 4);
}

static void op_unmap(struct input *in)
{
	struct unmap_arg p = { 0 };
	int fd = take_target(in), s = cont_at(fd);
	const struct cont *c = aim(fd);
	uint64_t locked = tce_vfio_mm_locked(st.mm), last, sum;
	struct bits b = { 0 };
	size_t len;
	uint8_t *a, *copy;
	long want = 0, rc;

	p.u.flags = take_unmap_flags(in);
	if (p.u.flags == VFIO_DMA_UNMAP_FLAG_ALL && take(in, 1) < 0xe0) {
		p.u.iova = p.u.size = 0;
	} else {
		p.u.iova = take_iova(in, c);
		p.u.size = take_size(in, c);
	}
	if (p.u.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		take_bitmap(in, c, p.u.iova, p.u.size, &p.bm, &b);
	p.u.argsz = take_argsz(in, sizeof(p), 24);
	a = arg_buf(in, &p, p.u.argsz, sizeof(p), &len);
	copy = a ? malloc(len) : NULL;
	if (a) {
		ENSURE(copy);
		memcpy(copy, a, len);
	}
	if (c)
		want = unmap_expect(c, &p, a);
	before();
	rc = tce_vfio_ioctl(st.mm, fd, VFIO_IOMMU_UNMAP_DMA, a);
	TRACE("fd %d UNMAP iova %#llx size %#llx flags %#x argsz %u bm %#llx/%llu/%p -> %ld "
	      "(want %ld)%s\n", fd, (unsigned long long)p.u.iova, (unsigned long long)p.u.size,
	      p.u.flags, p.u.argsz, (unsigned long long)p.bm.pgsize,
	      (unsigned long long)p.bm.size, (void *)p.bm.data, rc, want,
	      fired() ? " (fault)" : "");
	check_errno(rc);
	if (not_type1(fd, rc))
		goto out;
	if (!fired())
		ENSURE(rc == want);
	last = p.u.flags & VFIO_DMA_UNMAP_FLAG_ALL ? ~0ull : p.u.iova + p.u.size - 1;
	if (rc) {
		/* A fault part-way: the first mappings of the range are gone, the rest stay. */
		ENSURE(locked >= tce_vfio_mm_locked(st.mm));
		sum = locked - tce_vfio_mm_locked(st.mm);
		ENSURE(!sum || (fired() && want == 0));
		ENSURE(remove_range(&st.c[s], p.u.iova, last, sum, true) == sum);
		if (rc == -EIO && fired())
			tear(&st.c[s], p.u.iova, last);
		ENSURE(!a || !memcmp(a, copy, len)); /* size not written */
		goto out;
	}
	ENSURE(want == 0);
	if (p.u.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		check_bits(c, p.u.iova, last, &b);
	sum = remove_range(&st.c[s], p.u.iova, last, 0, false);
	ENSURE(tce_vfio_mm_locked(st.mm) == locked - sum);
	{
		struct vfio_iommu_type1_dma_unmap got;

		memcpy(&got, a, sizeof(got));
		ENSURE(got.size == sum);
		ENSURE(!memcmp(a, copy, 16)); /* argsz, flags and iova as they were */
		ENSURE(len <= 24 || !memcmp(a + 24, copy + 24, len - 24));
	}
out:
	free(a);
	free(copy);
	free_bits(&b);
}

/* ---- DIRTY_PAGES ---- */

/* struct vfio_iommu_type1_dirty_bitmap with its GET_BITMAP data. */
struct dirty_arg {
	struct {
		uint32_t argsz, flags;
	} d;
	struct vfio_iommu_type1_dirty_bitmap_get r;
};
_Static_assert(sizeof(struct vfio_iommu_type1_dirty_bitmap) == 8, "the dirty-pages struct");

static long dirty_expect(const struct cont *c, const struct dirty_arg *p, const void *arg)
{
	uint64_t pg = c->pg, iova = p->r.iova, size = p->r.size;

	if (!arg)
		return -EFAULT;
	if (p->d.argsz < 8 || p->d.flags & ~7u || !p->d.flags || p->d.flags & (p->d.flags - 1))
		return -EINVAL;
	if (p->d.flags != VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)
		return 0;
	if (p->d.argsz < 48 || iova + size < iova || !bitmap_ok(size, &p->r.bitmap))
		return -EINVAL;
	if (p->r.bitmap.pgsize != pg || iova & (pg - 1) || !size || size & (pg - 1) ||
	    !c->tracking || bisects(c, iova, iova + size - 1))
		return -EINVAL;
	if (!p->r.bitmap.data && starts_in(c, iova, iova + size - 1))
		return -EFAULT;
	return 0;
}

static void op_dirty(struct input *in)
{
	static const uint32_t f[] = { 1, 4, 4, 4, 2, 4, 0, 3, 5, 8 };
	struct dirty_arg p = { 0 };
	int fd = take_target(in), s = cont_at(fd);
	const struct cont *c = aim(fd);
	unsigned sel = (unsigned)take(in, 1);
	struct bits b = { 0 };
	size_t len;
	void *a;
	long want = 0, rc;

	p.d.flags = sel < 0xf0 ? f[sel % 10] : (uint32_t)take(in, 4);
	if (p.d.flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP) {
		if (c && c->n && take(in, 1) < 0x80) { /* every mapping */
			p.r.iova = c->m[0].iova;
			p.r.size = c->m[c->n - 1].iova + c->m[c->n - 1].size - p.r.iova;
		} else {
			p.r.iova = take_iova(in, c);
			p.r.size = take_size(in, c);
		}
		take_bitmap(in, c, p.r.iova, p.r.size, &p.r.bitmap, &b);
	}
	p.d.argsz = take_argsz(in, sizeof(p), 8);
	a = arg_buf(in, &p, p.d.argsz, sizeof(p), &len);
	if (c)
		want = dirty_expect(c, &p, a);
	before();
	rc = tce_vfio_ioctl(st.mm, fd, VFIO_IOMMU_DIRTY_PAGES, a);
	TRACE("fd %d DIRTY flags %#x iova %#llx size %#llx argsz %u -> %ld (want %ld)%s\n", fd,
	      p.d.flags, (unsigned long long)p.r.iova, (unsigned long long)p.r.size, p.d.argsz,
	      rc, want, fired() ? " (fault)" : "");
	check_errno(rc);
	if (not_type1(fd, rc))
		goto out;
	if (!fired())
		ENSURE(rc == want);
	if (rc)
		goto out;
	ENSURE(want == 0);
	if (p.d.flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
		st.c[s].tracking = true;
	else if (p.d.flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)
		st.c[s].tracking = false;
	else
		check_bits(c, p.r.iova, p.r.iova + p.r.size - 1, &b);
out:
	free(a);
	free_bits(&b);
}

/* ---- GET_INFO ---- */

/* The capability chain: MIGRATION, DMA_AVAIL, IOVA_RANGE at 24, each header 8-aligned. */
static void check_caps(const struct cont *c, const uint8_t *buf)
{
	struct vfio_iommu_type1_info_cap_migration mig;
	struct vfio_iommu_type1_info_dma_avail av;
	struct vfio_iommu_type1_info_cap_iova_range r;
	struct vfio_iova_range rg;
	uint32_t limit = st.cc.dma_entry_limit ? st.cc.dma_entry_limit : 65535;
	int w;

	memcpy(&mig, buf + 24, sizeof(mig));
	ENSURE(mig.header.id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION && mig.header.version == 1);
	ENSURE(mig.flags == 0 && mig.pgsize_bitmap == c->pg &&
	       mig.max_dirty_bitmap_size == BITMAP_MAX);
	ENSURE(mig.header.next == 24 + 32);
	memcpy(&av, buf + 56, sizeof(av));
	ENSURE(av.header.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL && av.header.version == 1);
	ENSURE(av.avail == limit - (uint32_t)c->n && av.header.next == 56 + 16);
	memcpy(&r, buf + 72, sizeof(r));
	ENSURE(r.header.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE && r.header.version == 1);
	ENSURE(r.header.next == 0 && r.nr_iovas == (uint32_t)c->nwin);
	for (w = 0; w < c->nwin; w++) {
		memcpy(&rg, buf + 72 + sizeof(r) + (size_t)w * sizeof(rg), sizeof(rg));
		ENSURE(rg.start == c->wstart[w] && rg.end == c->wstart[w] + c->wsize[w] - 1);
	}
}

static void op_info(struct input *in)
{
	uint8_t val[INFO_FULL], *a, *copy;
	struct vfio_iommu_type1_info info = { 0 };
	int fd = take_target(in);
	const struct cont *c = aim(fd);
	uint32_t argsz = 0, need = c ? 24 + 64 + 16 * (uint32_t)c->nwin : 120;
	unsigned sel = (unsigned)take(in, 1);
	size_t len, i;
	long rc;

	switch (sel % 8) {
	case 0: argsz = 24; break;
	case 1: argsz = need; break;
	case 2: argsz = need - 8; break;
	case 3: argsz = 16 + (uint32_t)take(in, 1) % 8; break;
	case 4: argsz = 15; break;
	case 5: argsz = (uint32_t)take(in, 4); break;
	case 6: argsz = need + (uint32_t)take(in, 1); break;
	default: argsz = 0xffffffffu; break;
	}
	memset(val, 0xa5, sizeof(val));
	a = arg_buf(in, val, argsz, sizeof(val), &len);
	copy = a ? malloc(len) : NULL;
	if (a) {
		ENSURE(copy);
		memcpy(copy, a, len);
	}
	before();
	rc = tce_vfio_ioctl(st.mm, fd, VFIO_IOMMU_GET_INFO, a);
	TRACE("fd %d GET_INFO argsz %u -> %ld\n", fd, argsz, rc);
	check_errno(rc);
	if (not_type1(fd, rc))
		goto out;
	ENSURE(rc == (!a ? -EFAULT : argsz < 16 ? -EINVAL : 0));
	if (rc) {
		ENSURE(!a || !memcmp(a, copy, len));
		goto out;
	}
	memcpy(&info, a, len < sizeof(info) ? len : sizeof(info));
	ENSURE(info.flags == (VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS));
	ENSURE(info.iova_pgsizes == c->pgsizes);
	if (argsz >= need) {
		ENSURE(info.argsz == argsz && info.cap_offset == 24);
		check_caps(c, a);
		for (i = need; i < len; i++)
			ENSURE(a[i] == 0xa5);
	} else {
		ENSURE(info.argsz == need);
		ENSURE(argsz < 24 || info.cap_offset == 0);
		for (i = argsz < 24 ? argsz : 24; i < len; i++)
			ENSURE(a[i] == 0xa5);
	}
out:
	free(a);
	free(copy);
}

/* ---- CHECK_EXTENSION and SET_IOMMU ---- */

static bool is_t1(unsigned long type)
{
	return type == VFIO_TYPE1v2_IOMMU || type == VFIO_TYPE1_IOMMU;
}

static void op_check_extension(struct input *in)
{
	static const unsigned long ext[] = { VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU,
					     VFIO_TYPE1v2_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_EEH,
					     VFIO_TYPE1_NESTING_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,
					     VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR,
					     0, 11 };
	int fd = take_target(in), s = cont_at(fd);
	unsigned sel = (unsigned)take(in, 1);
	unsigned long e = sel < 0xf0 ? ext[sel % 12] : (unsigned long)take(in, 8);
	long rc = tce_vfio_ioctl(st.mm, fd, VFIO_CHECK_EXTENSION, (void *)e);
	long want;

	TRACE("fd %d CHECK_EXTENSION %lu -> %ld\n", fd, e, rc);
	if (s < 0) {
		ENSURE(rc == (fd >= 0 && fd < MAXFD && st.fdkind[fd] == F_GROUP ? -ENOTTY : -EBADF));
		return;
	}
	switch (st.c[s].type) {
	case T_TYPE1:
		want = is_t1(e) || e == VFIO_UNMAP_ALL;
		break;
	case T_NONE:
		want = is_t1(e) || e == VFIO_UNMAP_ALL ||
		       e == VFIO_SPAPR_TCE_IOMMU || e == VFIO_SPAPR_TCE_v2_IOMMU || e == VFIO_EEH;
		break;
	default:
		want = e == VFIO_SPAPR_TCE_IOMMU || e == VFIO_SPAPR_TCE_v2_IOMMU || e == VFIO_EEH;
		break;
	}
	ENSURE(rc == want);
}

/* The windows cfg.type1 asks for. */
static uint32_t cfg_windows(void)
{
	return st.cc.type1.win[1].size ? 2 : 1;
}

/* SET_IOMMU's answer when no fault fires. */
static long set_expect(const struct cont *c, unsigned long type)
{
	int k;

	if (!c->ngroups || c->type != T_NONE)
		return -EINVAL;
	if (is_t1(type)) {
		for (k = 0; k < c->ngroups; k++) {
			if (k && st.pseries)
				return -EPERM; /* a pseries window serves one PE */
			if (st.gi[c->groups[k]].max_dynamic_windows < cfg_windows())
				return -EINVAL; /* a single-slot VF and two windows */
		}
		return 0;
	}
	if (type != VFIO_SPAPR_TCE_IOMMU && type != VFIO_SPAPR_TCE_v2_IOMMU)
		return -ENODEV;
	for (k = 0; k < c->ngroups; k++) {
		const struct tce_group_info *gi = &st.gi[c->groups[k]];

		if (type == VFIO_SPAPR_TCE_v2_IOMMU && !gi->dynamic_ops)
			return -EPERM;
		if (type == VFIO_SPAPR_TCE_v2_IOMMU && !gi->max_dynamic_windows)
			return -EINVAL;
		if (type == VFIO_SPAPR_TCE_IOMMU && gi->dynamic_ops)
			return -EPERM;
		if (type == VFIO_SPAPR_TCE_IOMMU && k)
			return -EBUSY;
	}
	return 0;
}

/* The windows Type1 makes: cfg.type1, or window 0 of 4 KiB pages as large as the host takes. */
static void expect_windows(struct cont *c)
{
	const struct tce_domain_config *w = &st.cc.type1;
	uint64_t dom = 0, sys = 1ull << st.sys_shift;
	int i;

	if (!w->win[0].size) {
		c->nwin = 1;
		c->wstart[0] = 0;
		c->wsize[0] = st.pseries ? 1ull << 43 : 1ull << 47;
		c->wshift[0] = 12;
	} else {
		c->nwin = w->win[1].size ? 2 : 1;
		for (i = 0; i < c->nwin; i++) {
			c->wstart[i] = i ? W1 : 0;
			c->wsize[i] = w->win[i].size;
			c->wshift[i] = w->win[i].page_shift;
		}
	}
	for (i = 0; i < c->nwin; i++)
		dom |= 1ull << c->wshift[i];
	if (dom & (sys - 1))
		dom = (dom & ~(sys - 1)) | sys;
	c->pgsizes = dom;
	c->pg = dom & -dom;
}

/* The windows a successful SET_IOMMU made, as the container tells them. */
static void check_windows(int fd, const struct cont *c)
{
	struct tce_iommu_table_info ti;
	int w;

	for (w = 0; w < c->nwin; w++) {
		ENSURE(tce_vfio_container_window(st.mm, fd, c->wstart[w], &ti) == 0);
		ENSURE(ti.bus_offset == c->wstart[w] && ti.window_size == c->wsize[w] &&
		       ti.page_shift == c->wshift[w]);
	}
	if (c->nwin == 1)
		ENSURE(tce_vfio_container_window(st.mm, fd, W1, &ti) == -ENXIO);
}

static void op_set_iommu(struct input *in)
{
	static const unsigned long types[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
					       VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
					       VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU,
					       VFIO_SPAPR_TCE_v2_IOMMU, VFIO_NOIOMMU_IOMMU,
					       VFIO_TYPE1_NESTING_IOMMU, 0 };
	int fd = take_target(in), s = cont_at(fd);
	unsigned sel = (unsigned)take(in, 1);
	unsigned long type = sel < 0xf0 ? types[sel % 10] : (unsigned long)take(in, 8);
	struct cont *c = s >= 0 ? &st.c[s] : NULL;
	long rc, want = c ? set_expect(c, type) : 0;
	bool odd;
	int g0;

	before();
	rc = tce_vfio_ioctl(st.mm, fd, VFIO_SET_IOMMU, (void *)type);
	TRACE("fd %d SET_IOMMU %lu -> %ld (want %ld)%s\n", fd, type, rc, want,
	      fired() ? " (fault)" : "");
	check_errno(rc);
	if (!c) {
		ENSURE(rc == (fd >= 0 && fd < MAXFD && st.fdkind[fd] == F_GROUP ? -ENOTTY : -EBADF));
		return;
	}
	g0 = c->ngroups ? c->groups[0] : 0;
	odd = is_t1(type) && c->ngroups && c->type == T_NONE &&
	      (st.ddw_failed[g0] || st.ddw_stale[g0]);
	if (fired() && st.pseries && is_t1(type) && c->ngroups) {
		st.ddw_failed[g0] = true;
		st.ddw_stale[g0] |= rc != 0;
	}
	if (!fired() && !(odd && (rc == -ENODEV || rc == -EINVAL)))
		ENSURE(rc == want);
	if (rc)
		return;
	ENSURE(want == 0);
	if (type != VFIO_TYPE1v2_IOMMU && type != VFIO_TYPE1_IOMMU) {
		c->type = T_SPAPR;
		return;
	}
	c->type = T_TYPE1;
	c->v1 = type == VFIO_TYPE1_IOMMU;
	c->n = 0;
	c->tracking = false;
	expect_windows(c);
	if ((fired() || odd) && !st.cc.type1.win[0].size) {
		struct tce_iommu_table_info ti; /* a smaller window 0 may have been made */

		ENSURE(tce_vfio_container_window(st.mm, fd, 0, &ti) == 0);
		c->wsize[0] = ti.window_size;
	}
	check_windows(fd, c);
}

/* ---- files ---- */

static void op_open_container(void)
{
	int fd = lowest_free(), s, rc;

	for (s = 0; s < NCONT && st.c[s].alive; s++)
		;
	if (s == NCONT || fd < 0)
		return;
	before();
	rc = tce_vfio_open_container_config(st.mm, &st.cc);
	TRACE("open container -> %d\n", rc);
	if (rc < 0) {
		ENSURE(rc == -ENOMEM && fired());
		return;
	}
	ENSURE(rc == fd);
	memset(&st.c[s], 0, sizeof(st.c[s]));
	st.c[s].alive = true;
	st.c[s].fd = fd;
	st.fdkind[fd] = F_CONT, st.fdidx[fd] = s;
}

static void op_open_group(struct input *in)
{
	int gi = (int)(take(in, 1) % NGROUPS), fd = lowest_free(), rc;

	if (fd < 0)
		return;
	before();
	rc = tce_vfio_open_group(st.mm, st.hg[gi]);
	TRACE("open group %d -> %d\n", gi, rc);
	if (rc == -ENOMEM && fired())
		return;
	if (st.g[gi].fd >= 0) {
		ENSURE(rc == -EBUSY);
		return;
	}
	ENSURE(rc == fd);
	st.g[gi].fd = fd;
	st.fdkind[fd] = F_GROUP, st.fdidx[fd] = gi;
}

static void op_close(struct input *in)
{
	int fd = (int)(take(in, 1) % (MAXFD + 1)), rc, i;

	tce_ctx_set_fail_nth(st.ctx, 0); /* a close cannot fail; the group layer's release can */
	st.armed = false;
	rc = tce_vfio_close(st.mm, fd);
	TRACE("close %d -> %d\n", fd, rc);
	if (fd >= MAXFD || st.fdkind[fd] == F_FREE) {
		ENSURE(rc == -EBADF);
		return;
	}
	ENSURE(rc == 0);
	i = st.fdidx[fd];
	if (st.fdkind[fd] == F_CONT) {
		st.c[i].fd = -1;
		drop_cont(i);
	} else {
		if (st.g[i].cont >= 0)
			detach(i);
		st.g[i].fd = -1;
	}
	st.fdkind[fd] = F_FREE;
}

static void op_set_container(struct input *in)
{
	int gi = (int)(take(in, 1) % NGROUPS), gfd = st.g[gi].fd;
	unsigned sel = (unsigned)take(in, 1);
	int cfd = sel >= 0xf0 ? (int)(sel - 0xf0) : take_target(in), s = cont_at(cfd);
	int *arg = sel == 0xff ? NULL : malloc(sizeof(int));
	long rc, want = 0;
	struct cont *c = s >= 0 ? &st.c[s] : NULL;

	if (gfd < 0)
		gfd = (int)(sel % MAXFD);
	if (arg)
		*arg = cfd;
	before();
	rc = tce_vfio_ioctl(st.mm, gfd, VFIO_GROUP_SET_CONTAINER, arg);
	TRACE("group fd %d SET_CONTAINER %d -> %ld%s\n", gfd, cfd, rc, fired() ? " (fault)" : "");
	check_errno(rc);
	free(arg);
	if (gfd >= MAXFD || st.fdkind[gfd] == F_FREE) {
		ENSURE(rc == -EBADF);
		return;
	}
	if (st.fdkind[gfd] == F_CONT) { /* an unknown request: -EINVAL before SET_IOMMU */
		ENSURE(rc == (st.c[st.fdidx[gfd]].type == T_NONE ? -EINVAL : -ENOTTY));
		return;
	}
	gi = st.fdidx[gfd];
	if (!arg)
		want = -EFAULT;
	else if (cfd < 0 || cfd >= MAXFD || st.fdkind[cfd] == F_FREE)
		want = -EBADF;
	else if (st.g[gi].cont >= 0 || !c)
		want = -EINVAL;
	else if (c->type == T_TYPE1 && st.pseries)
		want = -EPERM; /* a pseries window serves one PE */
	else if (c->type == T_TYPE1 && st.gi[gi].max_dynamic_windows < (uint32_t)c->nwin)
		want = -EINVAL; /* a single-slot VF and two windows */
	else if (c->type == T_SPAPR)
		want = MAYBE;
	if (want != MAYBE && !fired())
		ENSURE(rc == want);
	if (rc)
		return;
	ENSURE(want == 0 || want == MAYBE);
	c->groups[c->ngroups++] = gi;
	st.g[gi].cont = s;
}

static void op_unset_container(struct input *in)
{
	int gi = (int)(take(in, 1) % NGROUPS), gfd = st.g[gi].fd;
	long rc;

	if (gfd < 0)
		return;
	before();
	rc = tce_vfio_ioctl(st.mm, gfd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	TRACE("group fd %d UNSET_CONTAINER -> %ld%s\n", gfd, rc, fired() ? " (fault)" : "");
	ENSURE(rc == (st.g[gi].cont < 0 ? -EINVAL : 0));
	if (!rc)
		detach(gi);
}

static void op_arm(struct input *in)
{
	uint64_t n = 1 + take(in, 1) % 32;

	TRACE("fail-nth %llu\n", (unsigned long long)n);
	tce_ctx_set_fail_nth(st.ctx, n);
}

static void run(struct input *in)
{
	while (in->n) {
		switch (take(in, 1) % 16) {
		case 0: op_open_container(); break;
		case 1: op_open_group(in); break;
		case 2: op_close(in); break;
		case 3: op_set_container(in); break;
		case 4: op_unset_container(in); break;
		case 5: op_check_extension(in); break;
		case 6: op_set_iommu(in); break;
		case 7: op_info(in); break;
		case 8: case 9: case 10: op_map(in); break;
		case 11: case 12: op_unmap(in); break;
		case 13: op_dirty(in); break;
		case 14: op_dma(in); break;
		default: op_arm(in); break;
		}
		check_state();
	}
}

/* ---- one input ---- */

static void boot(struct input *in)
{
	static const uint64_t limits[] = { 0, 1 * MiB, 4 * MiB, 0 };
	unsigned cfgb = (unsigned)take(in, 1);
	int p = cfgb & 1 ? TCE_PLATFORM_PSERIES : TCE_PLATFORM_POWERNV;
	struct tce_host_config hc = { .profile = TCE_OS_DEFAULT, .page_shift = cfgb & 2 ? 16 : 12 };
	struct tce_vfio_mm_config mc = { .page_shift = cfgb & 4 ? 16 : 12,
					 .memlock_limit = limits[cfgb >> 3 & 3] };
	struct tce_mem_region r = { .real_start = (uint64_t)arena, .size = ARENA, .page_shift = 12 };
	struct tce_machine_config cfg = { 0 };
	struct tce_domain_config *w = &st.cc.type1;
	struct tce_machine *ref;
	struct tce_mem_stats ms;
	int i;

	st.pseries = cfgb & 1;
	st.sys_shift = mc.page_shift;
	st.limit = mc.memlock_limit;
	st.cc.flags = TCE_VFIO_TYPE1;
	st.cc.dma_entry_limit = cfgb & 0x20 ? 3 : 0;
	switch (cfgb >> 6) {
	case 1:
		w->win[0] = (struct tce_domain_window){ .size = 1 * GiB, .page_shift = 12 };
		break;
	case 2:
		w->win[0] = (struct tce_domain_window){ .size = 1 * GiB, .page_shift = 12 };
		w->win[1] = (struct tce_domain_window){ .size = 1 * GiB, .page_shift = 16 };
		break;
	case 3:
		w->win[0] = (struct tce_domain_window){ .size = 16 * MiB, .page_shift = 16 };
		w->win[1] = (struct tce_domain_window){ .size = 4 * GiB, .page_shift = 12 };
		break;
	}
	if (!blobs[st.pseries]) {
		ENSURE(tce_machine_create_default((enum tce_platform)p, &ref) == 0);
		blob_size[st.pseries] = tce_machine_fdt_size(ref);
		blobs[st.pseries] = malloc(blob_size[st.pseries]);
		ENSURE(blobs[st.pseries]);
		memcpy(blobs[st.pseries], tce_machine_fdt(ref), blob_size[st.pseries]);
		tce_machine_destroy(ref);
	}
	ENSURE(tce_ctx_create(&st.ctx) == 0);
#ifdef FUZZ_TRACE
	tce_ctx_set_log(st.ctx, trace_log, NULL, TCE_LOG_NOTICE);
#endif
	cfg = (struct tce_machine_config){ .ctx = st.ctx, .dtb = blobs[st.pseries],
					   .dtb_size = blob_size[st.pseries] };
	ENSURE(tce_machine_create(&cfg, &st.m) == 0);
	ENSURE(tce_host_create_config(st.m, &hc, &st.h) == 0);
	ENSURE(tce_host_ngroups(st.h) == BUILTIN_GROUPS);
	ENSURE(tce_machine_add_region(st.m, &r) == 0);
	for (i = 0; i < NGROUPS; i++) {
		ENSURE(tce_host_find_device(st.h, names[i], &st.dev[i]) == 0);
		st.hg[i] = tce_device_group(st.dev[i]);
		tce_group_info(st.hg[i], &st.gi[i]);
		st.g[i] = (struct grp){ .fd = -1, .cont = -1 };
	}
	tce_ctx_mem_stats(st.ctx, &ms);
	st.live_base = ms.live_allocs;
	ENSURE(tce_vfio_mm_create(st.ctx, &mc, &st.mm) == 0);
	TRACE("%s host shift %u mm shift %u limit %llu entries %u windows %d\n",
	      st.pseries ? "pseries" : "powernv", hc.page_shift, mc.page_shift,
	      (unsigned long long)mc.memlock_limit, st.cc.dma_entry_limit, cfgb >> 6);
}

/* Every file closed: nothing owned, nothing locked, nothing left. */
static void teardown(void)
{
	struct tce_mem_stats ms;
	int fd, i;

	tce_ctx_set_fail_nth(st.ctx, 0);
	for (fd = 0; fd < MAXFD; fd++)
		if (st.fdkind[fd] != F_FREE)
			ENSURE(tce_vfio_close(st.mm, fd) == 0);
	for (i = 0; i < NGROUPS; i++)
		ENSURE(!tce_group_owned(st.hg[i]));
	ENSURE(tce_vfio_mm_locked(st.mm) == 0);
	ENSURE(!tce_vfio_mm_pinned(st.mm, (uint64_t)arena, ARENA));
	tce_vfio_mm_destroy(st.mm);
	tce_ctx_mem_stats(st.ctx, &ms);
	ENSURE(ms.live_allocs == st.live_base);
	ENSURE(tce_machine_remove_region(st.m, (uint64_t)arena, ARENA) == 0);
	tce_host_destroy(st.h);
	tce_machine_destroy(st.m);
	tce_ctx_mem_stats(st.ctx, &ms);
	ENSURE(ms.live_allocs == 0);
	tce_ctx_destroy(st.ctx);
	canary_intact();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memory_once();
	memset(&st, 0, sizeof(st));
	boot(&in);
	run(&in);
	teardown();
	return 0;
}
