/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the VFIO SPAPR TCE container through tce_vfio_ioctl().
 * The first byte picks the host (powernv or pseries with the v2 container,
 * the legacy pseries profile with v1), the host page size, the process page
 * size, one or two processes (mms) and their locked-memory limit; the rest
 * is a sequence of opens, dup, share to the other mm, close and ioctls: every
 * container and group request (any number in 0x3b64..0x3b7a, random ones)
 * with hostile argsz, flags, sizes and addresses, in heap buffers no larger
 * than argsz says (ASan sees any byte read or written past it), device DMA,
 * and the fail-Nth countdown. Memory is an identity region of the machine,
 * plus a mapped buffer outside every region (its canary must never change),
 * an unmapped and a read-only range.
 *
 * A model of the files predicts what is certain: the lowest free file
 * number, each file's kind, the group files' containers (a group is owned
 * exactly while its file is set on a container), GET_STATUS, UNSET and
 * SET_CONTAINER's refusals, a container's type and owner process (-EINVAL
 * before SET_IOMMU, -EPERM for another process), SET_IOMMU by profile, the
 * device names, and that a failed call charges nothing. Every answer is 0,
 * a documented positive value or a documented errno. A successful MAP of
 * the identity region for reading and writing is reached by the device's
 * DMA, landing in the right bytes. After the sequence, closing every file
 * leaves no group owned and nothing charged, and the context holds what it
 * held before the first open.
 */
#include <errno.h>
#include <limits.h>
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
#else
#define TRACE(...) ((void)0)
#endif

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define ARENA (8 * MiB)        /* the identity region, 2 MiB aligned */
#define OUTSIDE (256 * KiB)    /* mapped, writable, in no region: a canary */
#define UNMAPPED (1 * MiB)     /* PROT_NONE */
#define RDONLY (256 * KiB)     /* PROT_READ */
#define NMM 2
#define MAXFD 24               /* file numbers the model follows per mm */
#define MAXOBJ 96
/*
 * The built-in machines have three groups; the model follows the first two
 * (dma-test 00:01.0 and the VF 00:02.0) and leaves the I/OAT channel's
 * (00:03.0, whose DMA faults recover without a freeze) alone.
 */
#define BUILTIN_GROUPS 3
#define NGROUPS 2
#define NMAPS 8
#define CANARY 0x5a

enum { P_POWERNV, P_PSERIES, P_LEGACY };
enum okind { O_FREE, O_CONT, O_GROUP, O_DEV };

/* The model of one open object (a container, group file or device file). */
struct obj {
	enum okind kind;
	int refs;           /* file numbers in any mm, attached groups, devices */
	/* container */
	int groups[NGROUPS]; /* attached group objects, in order */
	int ngroups;
	unsigned long type; /* 0 until SET_IOMMU */
	int owner;          /* the captured mm, or -1 */
	/* group file */
	int hg;             /* the host group */
	int cont;           /* the container object, or -1 */
	int ndevs;
	/* device file */
	int grp;
};

/* A successful MAP, for device DMA. */
struct vmap {
	bool used;
	int cont;
	uint64_t iova, vaddr, size;
	uint32_t flags;
};

struct state {
	struct tce_ctx *ctx;
	struct tce_machine *m;
	struct tce_host *h;
	int profile;
	struct tce_vfio_mm *mm[NMM];
	int nmm;
	int fds[NMM][MAXFD]; /* object index, or -1 */
	struct obj o[MAXOBJ];
	struct tce_group *g[NGROUPS];
	struct tce_device *dev[NGROUPS]; /* group i's one function */
	struct tce_group_info gi[NGROUPS];
	struct vmap maps[NMAPS];
	unsigned nextmap;
	bool injected;      /* an EEH injection succeeded: DMA may freeze at any access */
	bool armed;
	uint64_t live_base;
};

static struct state st;
static uint8_t *blobs[3];
static size_t blob_size[3];
static uint8_t *arena, *outside, *unmapped, *rdonly;

static const char *const names[NGROUPS] = { "0000:00:01.0", "0000:00:02.0" };

/* ---- fixtures kept across inputs ---- */

static void *map_aligned(size_t size, size_t align, int prot)
{
	uint8_t *p = mmap(NULL, size + align, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);

	ENSURE(p != MAP_FAILED);
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

static void memory_once(void)
{
	if (arena)
		return;
	arena = map_aligned(ARENA, 2 * MiB, PROT_READ | PROT_WRITE);
	outside = map_aligned(OUTSIDE, 64 * KiB, PROT_READ | PROT_WRITE);
	unmapped = map_aligned(UNMAPPED, 64 * KiB, PROT_NONE);
	rdonly = map_aligned(RDONLY, 64 * KiB, PROT_READ);
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

/* ---- the model's files and objects ---- */

static int new_obj(enum okind kind)
{
	int i;

	for (i = 0; i < MAXOBJ; i++)
		if (st.o[i].kind == O_FREE) {
			memset(&st.o[i], 0, sizeof(st.o[i]));
			st.o[i].kind = kind;
			st.o[i].owner = st.o[i].cont = st.o[i].grp = -1;
			return i;
		}
	return -1;
}

static int lowest_free(int mm)
{
	int fd;

	for (fd = 0; fd < MAXFD; fd++)
		if (st.fds[mm][fd] < 0)
			return fd;
	return -1;
}

static bool room(int mm)
{
	return lowest_free(mm) >= 0 && new_obj(O_FREE) >= 0;
}

static int group_obj(int hg)
{
	int i;

	for (i = 0; i < MAXOBJ; i++)
		if (st.o[i].kind == O_GROUP && st.o[i].hg == hg)
			return i;
	return -1;
}

static void put_obj(int i);

/* The library's detach: the group leaves its container; the last group takes the state. */
static void detach(int gi)
{
	struct obj *g = &st.o[gi], *c = &st.o[g->cont];
	int k;

	for (k = 0; k < c->ngroups && c->groups[k] != gi; k++)
		;
	ENSURE(k < c->ngroups);
	memmove(&c->groups[k], &c->groups[k + 1], (size_t)(c->ngroups - k - 1) * sizeof(int));
	if (!--c->ngroups && c->type)
		c->type = 0, c->owner = -1;
	k = g->cont;
	g->cont = -1;
	put_obj(k);
}

static void put_obj(int i)
{
	struct obj *o = &st.o[i];

	ENSURE(o->refs > 0);
	if (--o->refs)
		return;
	if (o->kind == O_GROUP && o->cont >= 0)
		detach(i);
	if (o->kind == O_DEV) {
		st.o[o->grp].ndevs--;
		put_obj(o->grp);
	}
	o->kind = O_FREE;
}

static void install(int mm, int fd, int i)
{
	ENSURE(fd >= 0 && fd < MAXFD && st.fds[mm][fd] < 0);
	st.fds[mm][fd] = i;
	st.o[i].refs++;
}

static int obj_at(int mm, int fd)
{
	return fd >= 0 && fd < MAXFD ? st.fds[mm][fd] : -1;
}

/* ---- checks after every step ---- */

static void check_errno(long rc)
{
	switch (rc) {
	case -EINVAL: case -EPERM: case -ENOTTY: case -EBADF: case -EFAULT: case -ENXIO:
	case -ENODEV: case -EBUSY: case -ENOENT: case -ENOMEM: case -ENOSPC: case -ERANGE:
	case -EIO: case -EMFILE:
		return;
	default:
		if (rc < 0)
			TRACE("  undocumented errno %ld\n", rc);
		ENSURE(rc >= 0);
	}
}

static void check_files(void)
{
	static const int kinds[] = { [O_CONT] = TCE_VFIO_CONTAINER, [O_GROUP] = TCE_VFIO_GROUP,
				     [O_DEV] = TCE_VFIO_DEVICE };
	int m, fd, i;

	for (m = 0; m < st.nmm; m++)
		for (fd = 0; fd < MAXFD; fd++) {
			i = st.fds[m][fd];
			ENSURE(tce_vfio_kind(st.mm[m], fd) == (i < 0 ? -EBADF : kinds[st.o[i].kind]));
		}
	for (i = 0; i < NGROUPS; i++) {
		int gi = group_obj(i);
		bool attached = gi >= 0 && st.o[gi].cont >= 0;

		if (!attached && tce_group_owned(st.g[i]) && fired()) {
			/* The group layer's release failed under the fault: vfio only warns */
			TRACE("  group %d left owned by nobody; handed back\n", i);
			tce_ctx_set_fail_nth(st.ctx, 0);
			ENSURE(tce_group_release_ownership(st.g[i]) == 0);
		}
		ENSURE(tce_group_owned(st.g[i]) == attached);
	}
}

/* ---- picking numbers off the input ---- */

static int take_mm(struct input *in)
{
	return (int)(take(in, 1) % (unsigned)st.nmm);
}

/* Mostly an open file of @mm; sometimes any number. */
static int take_fd(struct input *in, int mm)
{
	static const int raw[] = { -1, INT_MIN, MAXFD, 65535, 65536, INT_MAX, 3, 0 };
	unsigned b = (unsigned)take(in, 1), n = 0, k;
	int fd;

	if (b >= 0xf8)
		return raw[b - 0xf8];
	for (fd = 0; fd < MAXFD; fd++)
		n += st.fds[mm][fd] >= 0;
	if (!n)
		return (int)(b % 8);
	k = b % n;
	for (fd = 0; fd < MAXFD; fd++)
		if (st.fds[mm][fd] >= 0 && !k--)
			return fd;
	return 0;
}

static uint64_t take_vaddr(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);
	uint64_t off = take(in, 2);

	switch (sel % 10) {
	case 0: case 1: case 2:
		return (uint64_t)arena + ((off << 16) % ARENA);
	case 3:
		return (uint64_t)arena + ((off << 12) % ARENA);
	case 4:
		return (uint64_t)arena + (off % ARENA);
	case 5:
		return (uint64_t)outside + ((off << 12) % OUTSIDE);
	case 6:
		return (uint64_t)unmapped + ((off << 16) % UNMAPPED);
	case 7:
		return (uint64_t)rdonly + ((off << 16) % RDONLY);
	case 8:
		return off << 16; /* low and most likely unmapped */
	default:
		return off << 48 | take(in, 6);
	}
}

static uint64_t take_size(struct input *in)
{
	static const uint64_t sizes[] = { 4 * KiB, 64 * KiB, 128 * KiB, 1 * MiB, 2 * MiB,
					  4 * MiB, ARENA, OUTSIDE };
	unsigned sel = (unsigned)take(in, 1);

	if (sel < 0xc0)
		return sizes[sel % 8];
	if (sel < 0xe0)
		return take(in, 1) << (sel & 1 ? 16 : 12);
	if (sel == 0xe0)
		return 0;
	if (sel == 0xe1)
		return ~0ull - 0xfff;
	return take(in, 8);
}

static uint64_t take_iova(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);
	uint64_t off = take(in, 2), base;

	switch (sel % 8) {
	case 0: case 1: case 2:
		base = st.gi[0].tce32_start, off <<= 12;
		break;
	case 3: case 4:
		base = 1ull << 59, off <<= 16;
		break;
	case 5:
		base = st.gi[0].tce32_start + st.gi[0].tce32_size, off = (off << 12) - 64 * KiB;
		break;
	case 6:
		base = 0, off = off << 12 | (take(in, 1) & 0xfff);
		break;
	default:
		return take(in, 8);
	}
	return base + off;
}

/* ---- ioctl arguments: a heap buffer of exactly the bytes argsz lets the library touch ---- */

struct arg {
	void *p;
	size_t len;
};

/* A struct of @full bytes whose minimum is @minsz; the input chooses argsz (or NULL). */
static struct arg take_struct(struct input *in, size_t full, size_t minsz, void *val)
{
	unsigned sel = (unsigned)take(in, 1);
	uint32_t argsz;
	struct arg a = { NULL, 0 };

	switch (sel) {
	case 0xf0: argsz = 0; break;
	case 0xf1: argsz = 4; break;
	case 0xf2: argsz = (uint32_t)minsz - 1; break;
	case 0xf3: argsz = (uint32_t)minsz; break;
	case 0xf4: argsz = 0xffffffffu; break;
	case 0xf5: argsz = (uint32_t)full + 1 + (uint32_t)take(in, 1); break;
	case 0xf6: argsz = (uint32_t)take(in, 4); break;
	case 0xff: return a; /* NULL */
	default: argsz = (uint32_t)full; break;
	}
	a.len = argsz < 4 ? 4 : argsz > full ? full : argsz;
	a.p = malloc(a.len);
	ENSURE(a.p);
	memcpy(val, &argsz, sizeof(argsz));
	memcpy(a.p, val, a.len);
	return a;
}

static uint32_t take_flags(struct input *in, uint32_t usual)
{
	unsigned sel = (unsigned)take(in, 1);

	if (sel < 0xe0)
		return sel % 4 == 3 ? usual : sel % 4 == 0 ? 0 : (sel % 4) & usual;
	return (uint32_t)take(in, 4);
}

static struct arg arg_map(struct input *in, struct vfio_iommu_type1_dma_map *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = take_flags(in, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if ((p->flags & 0xff) == 0)
		p->flags |= take(in, 1) & 3;
	p->vaddr = take_vaddr(in);
	p->iova = take_iova(in);
	p->size = take_size(in);
	return take_struct(in, sizeof(*p), 32, p);
}

static struct arg arg_unmap(struct input *in, struct vfio_iommu_type1_dma_unmap *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = take(in, 1) >= 0xf0 ? (uint32_t)take(in, 4) : 0;
	p->iova = take_iova(in);
	p->size = take_size(in);
	return take_struct(in, sizeof(*p), 24, p);
}

static struct arg arg_register(struct input *in, struct vfio_iommu_spapr_register_memory *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = take(in, 1) >= 0xf0 ? (uint32_t)take(in, 4) : 0;
	p->vaddr = take_vaddr(in);
	p->size = take_size(in);
	return take_struct(in, sizeof(*p), 24, p);
}

static struct arg arg_create(struct input *in, struct vfio_iommu_spapr_tce_create *p)
{
	static const uint32_t shifts[] = { 12, 16, 21, 24, 30, 34, 13, 64 };
	unsigned sel = (unsigned)take(in, 1);

	memset(p, 0, sizeof(*p));
	p->flags = take(in, 1) >= 0xf0 ? (uint32_t)take(in, 4) : 0;
	p->page_shift = sel < 0xf0 ? shifts[sel % 8] : (uint32_t)take(in, 4);
	sel = (unsigned)take(in, 1);
	p->window_size = sel < 0xf0 ? 1ull << (20 + sel % 24) : take(in, 8);
	p->levels = (uint32_t)take(in, 1) % 7;
	p->start_addr = 0xdeadbeef;
	return take_struct(in, sizeof(*p), 40, p);
}

static struct arg arg_remove(struct input *in, struct vfio_iommu_spapr_tce_remove *p)
{
	unsigned sel = (unsigned)take(in, 1);

	memset(p, 0, sizeof(*p));
	p->flags = sel >= 0xf0 ? (uint32_t)take(in, 4) : 0;
	p->start_addr = sel % 4 == 0 ? 0 : sel % 4 == 1 ? 1ull << 59 : take_iova(in);
	return take_struct(in, sizeof(*p), 16, p);
}

static struct arg arg_eeh(struct input *in, struct vfio_eeh_pe_op *p)
{
	unsigned sel = (unsigned)take(in, 1);

	memset(p, 0, sizeof(*p));
	p->flags = take(in, 1) >= 0xf0 ? (uint32_t)take(in, 4) : 0;
	p->op = sel < 0xf0 ? sel % 11 : (uint32_t)take(in, 4);
	p->err.type = (uint32_t)take(in, 1) % 3;
	p->err.func = (uint32_t)take(in, 1) % 22;
	p->err.addr = take(in, 1) << 12;
	p->err.mask = ~0ull << 12;
	return take_struct(in, sizeof(*p), 12, p);
}

static struct arg arg_info(struct input *in, struct vfio_iommu_spapr_tce_info *p)
{
	memset(p, 0xa5, sizeof(*p));
	return take_struct(in, sizeof(*p), 16, p);
}

static struct arg arg_status(struct input *in, struct vfio_group_status *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = (uint32_t)take(in, 1);
	return take_struct(in, sizeof(*p), 8, p);
}

/* What a device name is meant to be: its group's device (and which), or not. */
enum name_kind { N_OTHER, N_DEV0, N_DEV1 };

static char *take_name(struct input *in, enum name_kind *kind)
{
	static const char uuid[] = "0123abcd-4567-89ef-ABCD-0123456789ab";
	unsigned sel = (unsigned)take(in, 1), d = sel >> 4 & 1, n, i;
	char *s = calloc(1, 4200);

	ENSURE(s);
	*kind = N_OTHER;
	switch (sel % 9) {
	case 0: case 1:
		strcpy(s, names[d]);
		*kind = d ? N_DEV1 : N_DEV0;
		break;
	case 2:
		strcpy(s, names[d]);
		memset(s + 12, ' ', 1 + take(in, 1) % 4);
		*kind = d ? N_DEV1 : N_DEV0;
		break;
	case 3:
		strcpy(s, names[d]);
		strcat(s, " vf_token=");
		strcat(s, uuid);
		break;
	case 4:
		strcpy(s, names[d]);
		strcat(s, take(in, 1) & 1 ? "  vf_token=0123abcd-4567" : " vf_token=");
		break;
	case 5:
		break; /* empty */
	case 6:
		n = take(in, 1) & 1 ? 4096 : 4095; /* 4096 bytes without a NUL: -EINVAL */
		memset(s, 'a', n);
		break;
	case 7:
		strcpy(s, names[d]);
		s[take(in, 1) % 12] = (char)take(in, 1);
		break;
	default:
		n = (unsigned)take(in, 1) % 40;
		for (i = 0; i < n; i++)
			s[i] = (char)take(in, 1);
		break;
	}
	return s;
}

/* ---- requests ---- */

static const unsigned long requests[] = {
	VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
	VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA,
	VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_ENABLE,
	VFIO_IOMMU_DISABLE, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
	VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, VFIO_IOMMU_SPAPR_TCE_CREATE,
	VFIO_IOMMU_SPAPR_TCE_REMOVE, VFIO_EEH_PE_OP, VFIO_GROUP_GET_STATUS,
	VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD,
};

static unsigned long take_request(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);

	if (sel < 0xc0)
		return requests[sel % (sizeof(requests) / sizeof(requests[0]))];
	if (sel < 0xf8)
		return 0x3b64 + sel % 23;
	return (unsigned long)take(in, 4);
}

static unsigned long take_int_arg(struct input *in)
{
	static const unsigned long v[] = { VFIO_SPAPR_TCE_v2_IOMMU, VFIO_SPAPR_TCE_IOMMU,
					   VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, VFIO_EEH, 0,
					   VFIO_SPAPR_TCE_v2_IOMMU, VFIO_SPAPR_TCE_IOMMU };
	unsigned sel = (unsigned)take(in, 1);

	return sel < 0xf0 ? v[sel % 8] : (unsigned long)take(in, 8);
}

/* The request's argument, built from the input; its fields for the checks. */
struct call {
	unsigned long req;
	struct arg a;           /* a heap struct, or a.p NULL */
	void *arg;              /* what is passed */
	unsigned long ival;     /* CHECK_EXTENSION, SET_IOMMU */
	int cfd;                /* GROUP_SET_CONTAINER's number (when a.p) */
	char *name;
	enum name_kind nk;
	union {
		struct vfio_iommu_type1_dma_map map;
		struct vfio_iommu_type1_dma_unmap unmap;
		struct vfio_iommu_spapr_register_memory reg;
		struct vfio_iommu_spapr_tce_create cr;
		struct vfio_iommu_spapr_tce_remove rm;
		struct vfio_eeh_pe_op eeh;
		struct vfio_iommu_spapr_tce_info info;
		struct vfio_group_status gs;
		uint8_t raw[48];
	} u;
};

static void build(struct input *in, int mm, struct call *c)
{
	switch (c->req) {
	case VFIO_CHECK_EXTENSION:
	case VFIO_SET_IOMMU:
		c->ival = take_int_arg(in);
		c->arg = (void *)c->ival;
		return;
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO: c->a = arg_info(in, &c->u.info); break;
	case VFIO_IOMMU_MAP_DMA: c->a = arg_map(in, &c->u.map); break;
	case VFIO_IOMMU_UNMAP_DMA: c->a = arg_unmap(in, &c->u.unmap); break;
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: c->a = arg_register(in, &c->u.reg); break;
	case VFIO_IOMMU_SPAPR_TCE_CREATE: c->a = arg_create(in, &c->u.cr); break;
	case VFIO_IOMMU_SPAPR_TCE_REMOVE: c->a = arg_remove(in, &c->u.rm); break;
	case VFIO_EEH_PE_OP: c->a = arg_eeh(in, &c->u.eeh); break;
	case VFIO_GROUP_GET_STATUS: c->a = arg_status(in, &c->u.gs); break;
	case VFIO_GROUP_SET_CONTAINER:
		if (take(in, 1) == 0xff)
			break; /* NULL */
		c->cfd = take_fd(in, mm);
		c->a.len = sizeof(int);
		c->a.p = malloc(sizeof(int));
		ENSURE(c->a.p);
		memcpy(c->a.p, &c->cfd, sizeof(int));
		break;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (take(in, 1) != 0xff)
			c->name = take_name(in, &c->nk);
		c->arg = c->name;
		return;
	default:
		/* No argument this object knows: a harmless buffer all the same. */
		c->a.len = sizeof(c->u.raw);
		c->a.p = calloc(1, c->a.len);
		ENSURE(c->a.p);
		break;
	}
	c->arg = c->a.p;
}

/* SET_IOMMU's answer by profile when no fault fires (spec vfio.md §1.3, §1.5). */
static long set_iommu_expect(const struct obj *c, unsigned long type)
{
	int k;

	if (!c->ngroups || c->type)
		return -EINVAL;
	if (type != VFIO_SPAPR_TCE_IOMMU && type != VFIO_SPAPR_TCE_v2_IOMMU)
		return -ENODEV;
	for (k = 0; k < c->ngroups; k++) {
		const struct tce_group_info *gi = &st.gi[st.o[c->groups[k]].hg];

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

/* Is @rc what a container says, as far as the model knows? Updates the model. */
static void container_result(int mm, int ci, struct call *c, long rc)
{
	struct obj *o = &st.o[ci];

	switch (c->req) {
	case VFIO_GET_API_VERSION:
		ENSURE(rc == VFIO_API_VERSION);
		return;
	case VFIO_CHECK_EXTENSION:
		ENSURE(rc == (c->ival == VFIO_SPAPR_TCE_IOMMU || c->ival == VFIO_SPAPR_TCE_v2_IOMMU ||
			      c->ival == VFIO_EEH));
		return;
	case VFIO_SET_IOMMU:
		if (!fired())
			ENSURE(rc == set_iommu_expect(o, c->ival));
		if (!rc)
			o->type = c->ival;
		return;
	}
	if (!o->type) {
		ENSURE(rc == -EINVAL);
		return;
	}
	if (o->owner >= 0 && o->owner != mm) {
		ENSURE(rc == -EPERM);
		return;
	}
	if (rc > 0)
		ENSURE(c->req == VFIO_EEH_PE_OP && c->u.eeh.op == VFIO_EEH_PE_GET_STATE &&
		       (rc == 1 || rc == 2 || rc == 4 || rc == 5));
	if (rc)
		return;
	switch (c->req) {
	case VFIO_IOMMU_ENABLE:
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		if (o->owner < 0)
			o->owner = mm;
		break;
	case VFIO_EEH_PE_OP:
		if (c->u.eeh.op == VFIO_EEH_PE_INJECT_ERR)
			st.injected = true;
		break;
	}
}

static void group_result(int mm, int gi, struct call *c, long rc)
{
	struct obj *g = &st.o[gi];
	int ci, fd;

	switch (c->req) {
	case VFIO_GROUP_GET_STATUS:
		if (!c->a.p)
			ENSURE(rc == -EFAULT);
		else if (c->a.len < sizeof(struct vfio_group_status))
			ENSURE(rc == -EINVAL);
		else {
			ENSURE(rc == 0);
			memcpy(&c->u.gs, c->a.p, sizeof(c->u.gs));
			ENSURE(c->u.gs.flags == (VFIO_GROUP_FLAGS_VIABLE |
						 (g->cont >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0)));
		}
		return;
	case VFIO_GROUP_SET_CONTAINER:
		ci = c->a.p ? obj_at(mm, c->cfd) : -1;
		if (!c->a.p)
			ENSURE(rc == -EFAULT);
		else if (ci < 0)
			ENSURE(rc == -EBADF);
		else if (g->cont >= 0 || st.o[ci].kind != O_CONT)
			ENSURE(rc == -EINVAL);
		else if (!st.o[ci].type && !fired())
			ENSURE(rc == 0);
		if (rc)
			return;
		g->cont = ci;
		st.o[ci].groups[st.o[ci].ngroups++] = gi;
		st.o[ci].refs++;
		return;
	case VFIO_GROUP_UNSET_CONTAINER:
		ENSURE(rc == (g->cont < 0 ? -EINVAL : g->ndevs ? -EBUSY : 0));
		if (!rc)
			detach(gi);
		return;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (!c->name) {
			ENSURE(rc == -EFAULT);
			return;
		}
		if (c->nk == N_OTHER) {
			ENSURE(rc < 0);
			return;
		}
		if ((c->nk == N_DEV1) != (g->hg == 1))
			ENSURE(rc == -ENODEV);
		else if (g->cont < 0 || !st.o[g->cont].type)
			ENSURE(rc == -EINVAL);
		else if (!fired())
			ENSURE(rc >= 0);
		if (rc < 0)
			return;
		fd = lowest_free(mm);
		ENSURE(rc == fd);
		ci = new_obj(O_DEV);
		st.o[ci].grp = gi;
		g->ndevs++;
		g->refs++;
		install(mm, fd, ci);
		return;
	default:
		ENSURE(rc == -ENOTTY);
	}
}

/* The device of the first group on container @ci, or NULL. */
static struct tce_pci_dev *container_dev(int ci)
{
	if (ci < 0 || st.o[ci].kind != O_CONT || !st.o[ci].ngroups)
		return NULL;
	return tce_device_pci(st.dev[st.o[st.o[ci].groups[0]].hg]);
}

/*
 * A successful MAP of identity memory for reading and writing: the device
 * writes through the window into exactly those bytes and reads them back.
 */
static void map_reached(int ci, const struct vfio_iommu_type1_dma_map *p, struct input *in)
{
	struct tce_pci_dev *pci = container_dev(ci);
	uint64_t off = p->size > 8 ? take(in, 3) % (p->size - 8) : 0;
	uint8_t pat[8], back[8];
	unsigned i;

	if (!pci || st.injected || tce_dev_eeh_frozen(pci, NULL) ||
	    p->flags != (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) ||
	    p->vaddr < (uint64_t)arena || p->vaddr + p->size > (uint64_t)arena + ARENA)
		return;
	for (i = 0; i < 8; i++)
		pat[i] = (uint8_t)(off + i * 37 + 1);
	before();
	if (tce_dev_dma_write(pci, p->iova + off, pat, 8) && fired())
		return;
	ENSURE(!memcmp(arena + (p->vaddr - (uint64_t)arena) + off, pat, 8));
	ENSURE(tce_dev_dma_read(pci, p->iova + off, back, 8) == 0 || fired());
	ENSURE(fired() || !memcmp(back, pat, 8));
}

static void remember_map(int ci, const struct vfio_iommu_type1_dma_map *p)
{
	st.maps[st.nextmap++ % NMAPS] = (struct vmap){ .used = true, .cont = ci, .iova = p->iova,
						       .vaddr = p->vaddr, .size = p->size,
						       .flags = p->flags };
}

/*
 * A device fd's answer (spec vfio.md, the device fd). Its argument is the
 * zeroed buffer of a request the model has no builder for, so argsz is 0:
 * the info and SET_IRQS requests refuse it; a reset works on a function with
 * an emulated device and is -EINVAL on one without; the rest are not device
 * requests.
 */
static void device_result(const struct call *c, long rc)
{
	switch (c->req) {
	case VFIO_DEVICE_GET_INFO:
	case VFIO_DEVICE_GET_REGION_INFO:
	case VFIO_DEVICE_GET_IRQ_INFO:
	case VFIO_DEVICE_SET_IRQS:
		ENSURE(rc == -EINVAL);
		break;
	case VFIO_DEVICE_RESET:
		ENSURE(rc == 0 || rc == -EINVAL);
		break;
	default:
		ENSURE(rc == -ENOTTY);
	}
}

static void op_ioctl(struct input *in)
{
	int mm = take_mm(in), fd = take_fd(in, mm), oi = obj_at(mm, fd);
	struct call c = { .req = take_request(in) };
	uint64_t locked[NMM];
	long rc;
	int k;

	build(in, mm, &c);
	if (c.req == VFIO_GROUP_GET_DEVICE_FD && oi >= 0 && st.o[oi].kind == O_GROUP && !room(mm))
		goto out; /* the model follows MAXFD numbers */
	for (k = 0; k < st.nmm; k++)
		locked[k] = tce_vfio_mm_locked(st.mm[k]);
	before();
	rc = tce_vfio_ioctl(st.mm[mm], fd, c.req, c.arg);
	TRACE("mm%d fd %d ioctl %#lx -> %ld%s\n", mm, fd, c.req, rc, fired() ? " (fault)" : "");
	check_errno(rc);
	if (rc < 0)
		for (k = 0; k < st.nmm; k++)
			ENSURE(tce_vfio_mm_locked(st.mm[k]) == locked[k]); /* a failure charges nothing */
	if (oi < 0) {
		ENSURE(rc == -EBADF);
	} else if (st.o[oi].kind == O_CONT) {
		container_result(mm, oi, &c, rc);
		if (c.req == VFIO_IOMMU_MAP_DMA && !rc) {
			remember_map(oi, &c.u.map);
			map_reached(oi, &c.u.map, in);
		}
	} else if (st.o[oi].kind == O_GROUP) {
		group_result(mm, oi, &c, rc);
	} else {
		device_result(&c, rc);
	}
	if (c.a.p && c.req == VFIO_IOMMU_SPAPR_TCE_CREATE && !rc)
		ENSURE(c.a.len < 40 || ((struct vfio_iommu_spapr_tce_create *)c.a.p)->start_addr !=
		       0xdeadbeef);
out:
	free(c.a.p);
	free(c.name);
}

/* ---- files ---- */

static void op_open_container(struct input *in)
{
	int mm = take_mm(in), fd = lowest_free(mm), i, rc;

	if (!room(mm))
		return;
	before();
	rc = tce_vfio_open_container(st.mm[mm]);
	TRACE("mm%d open container -> %d\n", mm, rc);
	if (rc < 0) {
		ENSURE(rc == -ENOMEM && fired());
		return;
	}
	ENSURE(rc == fd);
	i = new_obj(O_CONT);
	install(mm, fd, i);
}

static void op_open_group(struct input *in)
{
	int mm = take_mm(in), hg = (int)(take(in, 1) % NGROUPS), fd = lowest_free(mm), i, rc;

	if (!room(mm))
		return;
	before();
	rc = tce_vfio_open_group(st.mm[mm], st.g[hg]);
	TRACE("mm%d open group %d -> %d\n", mm, hg, rc);
	if (rc == -ENOMEM && fired())
		return; /* the allocation comes before the group is claimed */
	if (group_obj(hg) >= 0) {
		ENSURE(rc == -EBUSY);
		return;
	}
	ENSURE(rc == fd);
	i = new_obj(O_GROUP);
	st.o[i].hg = hg;
	install(mm, fd, i);
}

static void op_share(struct input *in, bool dup)
{
	int from = take_mm(in), fd = take_fd(in, from), to = dup ? from : (from + 1) % st.nmm;
	int oi = obj_at(from, fd), nfd = lowest_free(to), rc;

	if (!room(to))
		return;
	before();
	rc = dup ? tce_vfio_dup(st.mm[from], fd) : tce_vfio_share(st.mm[from], fd, st.mm[to]);
	TRACE("mm%d %s fd %d to mm%d -> %d\n", from, dup ? "dup" : "share", fd, to, rc);
	if (oi < 0) {
		ENSURE(rc == -EBADF);
		return;
	}
	if (rc < 0) {
		ENSURE(rc == -ENOMEM && fired());
		return;
	}
	ENSURE(rc == nfd);
	install(to, nfd, oi);
}

static void op_close(struct input *in)
{
	int mm = take_mm(in), fd = take_fd(in, mm), oi = obj_at(mm, fd), rc;

	tce_ctx_set_fail_nth(st.ctx, 0); /* a close cannot fail; the group layer's release can */
	st.armed = false;
	rc = tce_vfio_close(st.mm[mm], fd);
	TRACE("mm%d close %d -> %d\n", mm, fd, rc);
	if (oi < 0) {
		ENSURE(rc == -EBADF);
		return;
	}
	ENSURE(rc == 0);
	st.fds[mm][fd] = -1;
	put_obj(oi);
}

/* ---- the device's DMA, anywhere ---- */

static void op_dma(struct input *in)
{
	unsigned sel = (unsigned)take(in, 1);
	struct tce_pci_dev *pci = tce_device_pci(st.dev[sel & 1]);
	const struct vmap *v = &st.maps[(sel >> 1) % NMAPS];
	uint64_t bus = v->used && sel < 0xc0 ? v->iova + take(in, 3) % v->size : take_iova(in);
	uint8_t buf[16] = { 0 };
	size_t len = 1 + take(in, 1) % 16;
	int rc;

	if (sel & 0x10) {
		tce_dev_eeh_thaw(pci);
		return;
	}
	before();
	rc = sel & 0x20 ? tce_dev_dma_write(pci, bus, buf, len) : tce_dev_dma_read(pci, bus, buf,
										    len);
	TRACE("dma %s dev %u bus %#llx -> %d\n", sel & 0x20 ? "write" : "read", sel & 1,
	      (unsigned long long)bus, rc);
	ENSURE(rc == 0 || rc == -EFAULT || rc == -EIO || (fired() && rc == -ENOMEM) ||
	       (rc == -EINVAL && bus + len - 1 < bus)); /* a wrapping range */
	canary_intact();
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
		case 0: op_open_container(in); break;
		case 1: op_open_group(in); break;
		case 2: op_share(in, true); break;
		case 3: op_share(in, false); break;
		case 4: op_close(in); break;
		case 12: op_dma(in); break;
		case 13: op_arm(in); break;
		default: op_ioctl(in); break;
		}
		check_files();
	}
}

/* ---- one input ---- */

static void boot(struct input *in)
{
	unsigned cfgb = (unsigned)take(in, 1);
	int profile = (cfgb & 3) == 3 ? P_POWERNV : (int)(cfgb & 3);
	int p = profile == P_POWERNV ? TCE_PLATFORM_POWERNV : TCE_PLATFORM_PSERIES;
	/*
	 * Never unlimited: a 1-level table of 2^30 entries would be charged and
	 * then scanned whole when its window goes (tens of seconds).
	 */
	static const uint64_t limits[] = { 64 * MiB, 4 * MiB, 16 * MiB, 32 * MiB };
	struct tce_host_config hc = { .profile = profile == P_LEGACY ? TCE_OS_LEGACY : TCE_OS_DEFAULT,
				      .page_shift = cfgb & 4 ? 12 : 16 };
	struct tce_vfio_mm_config mc = { .page_shift = cfgb & 8 ? 12 : 16,
					 .memlock_limit = limits[cfgb >> 5 & 3] };
	struct tce_mem_region r = { .real_start = (uint64_t)arena, .size = ARENA, .page_shift = 12 };
	struct tce_machine_config cfg = { 0 };
	struct tce_machine *ref;
	struct tce_mem_stats ms;
	int i;

	st.profile = profile;
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
	ENSURE(tce_host_create_config(st.m, &hc, &st.h) == 0);
	ENSURE(tce_host_ngroups(st.h) == BUILTIN_GROUPS);
	ENSURE(tce_machine_add_region(st.m, &r) == 0);
	for (i = 0; i < NGROUPS; i++) {
		ENSURE(tce_host_find_device(st.h, names[i], &st.dev[i]) == 0);
		st.g[i] = tce_device_group(st.dev[i]);
		tce_group_info(st.g[i], &st.gi[i]);
	}
	st.nmm = cfgb & 16 ? 2 : 1;
	tce_ctx_mem_stats(st.ctx, &ms);
	st.live_base = ms.live_allocs;
	for (i = 0; i < st.nmm; i++)
		ENSURE(tce_vfio_mm_create(st.ctx, &mc, &st.mm[i]) == 0);
	memset(st.fds, -1, sizeof(st.fds));
	TRACE("profile %d host shift %u mm shift %u limit %llu, %d mm\n", st.profile,
	      hc.page_shift, mc.page_shift, (unsigned long long)mc.memlock_limit, st.nmm);
}

/* Every file closed: nothing owned, nothing charged, nothing left. */
static void teardown(void)
{
	struct tce_mem_stats ms;
	int m, fd, i;

	tce_ctx_set_fail_nth(st.ctx, 0);
	for (m = 0; m < st.nmm; m++)
		for (fd = 0; fd < MAXFD; fd++)
			if (st.fds[m][fd] >= 0) {
				ENSURE(tce_vfio_close(st.mm[m], fd) == 0);
				i = st.fds[m][fd];
				st.fds[m][fd] = -1;
				put_obj(i);
			}
	for (i = 0; i < MAXOBJ; i++)
		ENSURE(st.o[i].kind == O_FREE);
	for (i = 0; i < NGROUPS; i++)
		ENSURE(!tce_group_owned(st.g[i]));
	for (m = 0; m < st.nmm; m++) {
		ENSURE(tce_vfio_mm_locked(st.mm[m]) == 0);
		tce_vfio_mm_destroy(st.mm[m]);
	}
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
