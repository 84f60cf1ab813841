/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO SPAPR TCE container against a reference model written from
 * spec/vfio.md §1.3-1.5, spec/kernel.md §8-9 and DECISIONS 5-10, 19:
 * seeded random sequences of REGISTER/UNREGISTER, CREATE/REMOVE, MAP/UNMAP,
 * ENABLE/DISABLE and GET_INFO on powernv and pseries (v2) and the legacy
 * profile (v1). After every call the return value must be the model's, and
 * the container's state must be the model's: its windows and their entries
 * read back through the owned group's tables, the locked-memory bytes, and
 * (through UNREGISTER's -EBUSY) which regions TCEs still map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>
#include <tce/abi.h>

#include "harness.h"
#include "tt_vfio.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define ARENA TT_VFIO_ARENA
#define MARGIN (2 * MiB) /* writable, outside the machine, either side of the arena */
#define BAD (3 * MiB)    /* [0, 1M) writable, [1M, 2M) read-only, [2M, 3M) unmapped */
#define TRACK 2048       /* pages tracked at each end of a window */
#define MAXOP 512        /* pages of the largest MAP or UNMAP */
#define MAXREG 64

/* ---- the model ---- */

struct mregion {
	uint64_t ua, size;
	uint64_t mapped;     /* live TCEs in it (the kernel's mapped count less its bias) */
};

struct ment {
	uint64_t ua;         /* the page's user address */
	uint32_t flags;      /* VFIO_DMA_MAP_FLAG_READ/WRITE; 0: empty */
};

struct mwin {
	bool present;
	uint64_t start, size, charge;
	uint32_t ps, levels;
	struct ment *e;      /* every page, or TRACK at each end of a larger window */
};

struct model {
	bool v2, pseries, enabled, pending, owner;
	uint32_t sys_shift;
	uint64_t limit;      /* bytes; 0: none */
	uint64_t v1_locked;
	uint64_t undone;     /* failed requests that made the default window (for the report) */
	struct tce_group_info gi;
	struct mregion r[MAXREG];
	uint32_t nr;
	struct mwin w[2];
};

struct fx {
	struct tt_vfio v;
	uint8_t *bad;
	void *badmap;
	struct model m;
	uint64_t seed, step;
	const char *op;
	uint64_t ok[16], err[16][160]; /* answers by request and errno, to see the coverage */
};

static uint64_t wpages(const struct mwin *w)
{
	return w->size >> w->ps;
}

/* The model entry of page @k of @w, or NULL if the page is not tracked. */
static struct ment *ent(struct mwin *w, uint64_t k)
{
	uint64_t n = wpages(w);

	if (n <= 2 * TRACK || k < TRACK)
		return &w->e[k];
	if (k >= n - TRACK)
		return &w->e[TRACK + k - (n - TRACK)];
	return NULL;
}

static uint64_t tracked(const struct mwin *w)
{
	return wpages(w) <= 2 * TRACK ? wpages(w) : 2 * TRACK;
}

/* The page number of tracked slot @i. */
static uint64_t page_of(const struct mwin *w, uint64_t i)
{
	return wpages(w) <= 2 * TRACK || i < TRACK ? i : wpages(w) - 2 * TRACK + i;
}

static uint64_t pages_of(const struct model *m, uint64_t bytes)
{
	return bytes >> m->sys_shift;
}

/* The locked_vm account in bytes: whole system pages of each charge. */
static uint64_t locked(const struct model *m)
{
	uint64_t p = pages_of(m, m->v1_locked);
	uint32_t i;

	for (i = 0; i < m->nr; i++)
		p += pages_of(m, m->r[i].size);
	for (i = 0; i < 2; i++)
		if (m->w[i].present)
			p += pages_of(m, m->w[i].charge);
	return p << m->sys_shift;
}

static bool over_limit(const struct model *m, uint64_t bytes)
{
	return m->limit && (locked(m) >> m->sys_shift) + pages_of(m, bytes) >
			   (m->limit >> m->sys_shift);
}

static int region_at(const struct model *m, uint64_t ua, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < m->nr; i++)
		if (ua >= m->r[i].ua && ua + size <= m->r[i].ua + m->r[i].size)
			return (int)i;
	return -1;
}

/*
 * Memory the process has mapped writable: the arena with its margins either
 * side, and the bad area's first MiB with 2 MiB before it.
 */
static bool writable(const struct fx *f, uint64_t ua, uint64_t size)
{
	uint64_t a = (uint64_t)f->v.arena - MARGIN, b = (uint64_t)f->bad - 2 * MiB;

	if (ua + size < ua)
		return false;
	return (ua >= a && ua + size <= a + ARENA + 2 * MARGIN) ||
	       (ua >= b && ua + size <= b + 3 * MiB);
}

/* The machine reaches it: the identity region is the arena. */
static bool in_machine(const struct fx *f, uint64_t ua, uint64_t size)
{
	return ua >= (uint64_t)f->v.arena && ua + size <= (uint64_t)f->v.arena + ARENA;
}

static void set_entry(struct model *m, struct mwin *w, uint64_t k, uint64_t ua, uint32_t flags)
{
	struct ment *e = ent(w, k);
	int r;

	if (e->flags && m->v2 && (r = region_at(m, e->ua, 1ull << w->ps)) >= 0)
		m->r[r].mapped--;
	if (flags && m->v2 && (r = region_at(m, ua, 1ull << w->ps)) >= 0)
		m->r[r].mapped++;
	e->ua = flags ? ua : 0;
	e->flags = flags;
}

static int add_window(struct fx *f, uint32_t num, uint64_t start, uint64_t size, uint32_t ps,
		      uint32_t levels, uint64_t charge)
{
	struct mwin *w = &f->m.w[num];

	*w = (struct mwin){ .present = true, .start = start, .size = size, .ps = ps,
			    .levels = levels, .charge = charge };
	w->e = calloc(tracked(w), sizeof(*w->e));
	return w->e ? 0 : -ENOMEM;
}

static void drop_window(struct model *m, uint32_t num)
{
	struct mwin *w = &m->w[num];
	uint64_t i;

	for (i = 0; w->present && i < tracked(w); i++)
		if (w->e[i].flags)
			set_entry(m, w, page_of(w, i), 0, 0);
	free(w->e);
	*w = (struct mwin){ 0 };
}

static uint64_t table_bytes(struct fx *f, uint32_t ps, uint64_t ws, uint32_t levels, int *rc)
{
	uint64_t b = 0;

	*rc = tce_group_table_size(f->v.g, ps, ws, levels, &b);
	return b;
}

/*
 * A window in the first free slot (spec kernel.md §8.5, §6.2, §6.3 and
 * hypervisor.md §3.3): -ENOSPC, -EINVAL for a page size the group lacks or a
 * geometry, -ENOMEM over the limit, pseries -EPERM for slot 0 beside a DDW.
 * powernv places slot 0 at tce32_start and slot 1 at 2^59; pseries places a
 * default request (4 KiB pages, no larger than tce32) at tce32_start and a
 * DDW at 0 when no other window is active, else at 2^59.
 */
static int m_create_window(struct fx *f, uint32_t ps, uint64_t ws, uint32_t levels, uint64_t *start)
{
	struct model *m = &f->m;
	uint32_t num = !m->w[0].present ? 0 : !m->w[1].present ? 1 : 2;
	uint64_t charge;
	int rc;

	if (num == 2)
		return -ENOSPC;
	if (ps >= 64 || !(m->gi.pgsizes & (1ull << ps)))
		return -EINVAL;
	if (!ws || (ws & (ws - 1)) || ws < (1ull << ps) || !levels || levels > m->gi.max_levels)
		return -EINVAL;
	charge = table_bytes(f, ps, ws, levels, &rc);
	if (rc)
		return -EINVAL; /* powernv: a geometry the 55-bit rule refuses */
	if (over_limit(m, charge))
		return -ENOMEM;
	if (!m->pseries)
		*start = num ? 1ull << 59 : m->gi.tce32_start;
	else if (num == 0 && m->w[1].present)
		return -EPERM;
	else if (num == 0 && ps == 12 && ws <= m->gi.tce32_size)
		*start = m->gi.tce32_start;
	else
		*start = num == 1 && m->w[0].present ? 1ull << 59 : 0;
	if (add_window(f, num, *start, ws, ps, levels, charge))
		return -ENOMEM;
	return 0;
}

/* The pending default window: slot 0, 4 KiB pages, tce32_size, one level. */
static int m_materialise(struct fx *f, bool *made)
{
	uint64_t start;
	int rc;

	*made = false;
	if (!f->m.pending)
		return 0;
	rc = m_create_window(f, 12, f->m.gi.tce32_size, 1, &start);
	if (!rc)
		f->m.pending = false, *made = true;
	return rc;
}

/* A failed request changes nothing (DECISIONS 19): the default window is pending again. */
static void m_unmaterialise(struct model *m, bool made)
{
	if (made) {
		m->undone++;
		drop_window(m, 0);
		m->pending = true;
	}
}

static struct mwin *window_of(struct model *m, uint64_t iova, uint32_t *num)
{
	uint32_t i;

	for (i = 0; i < 2; i++)
		if (m->w[i].present && iova >= m->w[i].start && iova - m->w[i].start < m->w[i].size) {
			*num = i;
			return &m->w[i];
		}
	return NULL;
}

/* The window checks MAP and UNMAP share (DECISIONS 5, 6). */
static int m_range(struct model *m, uint64_t iova, uint64_t size, struct mwin **out)
{
	uint32_t num;
	struct mwin *w = window_of(m, iova, &num);
	uint64_t mask;

	if (!w)
		return -ENXIO;
	mask = (1ull << w->ps) - 1;
	if ((size & mask) || (iova & mask) || !size)
		return -EINVAL;
	if ((size >> w->ps) > wpages(w) - ((iova - w->start) >> w->ps))
		return -EINVAL;
	*out = w;
	return 0;
}

/* MAP's memory rules: v2 registered regions of large enough pages, v1 pinned pages. */
static int m_map_memory(struct fx *f, uint64_t vaddr, uint64_t size, uint32_t ps)
{
	struct model *m = &f->m;
	uint64_t off;

	if (m->v2) {
		for (off = 0; off < size; off += 1ull << ps)
			if (region_at(m, vaddr + off, 1ull << ps) < 0 || m->sys_shift < ps)
				return -EINVAL; /* normal memory: regions of system pages */
	} else if (!writable(f, vaddr, size)) {
		return -EFAULT; /* v1 pins each page writable */
	}
	if (m->pseries && !in_machine(f, vaddr, size))
		return -EINVAL; /* the hypervisor refuses a TCE to no memory */
	return 0;
}

static int m_map_checked(struct fx *f, uint64_t vaddr, uint64_t iova, uint64_t size,
			 uint32_t flags)
{
	struct model *m = &f->m;
	uint32_t num;
	struct mwin *w = window_of(m, iova, &num);
	uint64_t mask, k, first;
	int rc;

	if (!w)
		return -ENXIO;
	mask = (1ull << w->ps) - 1;
	if ((size & mask) || (vaddr & mask) || !(flags & 3))
		return -EINVAL;
	rc = m_range(m, iova, size, &w);
	if (rc)
		return rc;
	if (vaddr + size < vaddr)
		return -EINVAL;
	rc = m_map_memory(f, vaddr, size, w->ps);
	if (rc)
		return rc;
	first = (iova - w->start) >> w->ps;
	for (k = 0; k < size >> w->ps; k++)
		set_entry(m, w, first + k, vaddr + (k << w->ps), flags);
	return 0;
}

static int m_map(struct fx *f, uint32_t argsz, uint32_t flags, uint64_t vaddr, uint64_t iova,
		 uint64_t size)
{
	bool made;
	int rc;

	if (!f->m.enabled)
		return -EPERM;
	if (argsz < 32 || (flags & ~3u))
		return -EINVAL;
	rc = m_materialise(f, &made);
	if (rc)
		return rc;
	rc = m_map_checked(f, vaddr, iova, size, flags);
	if (rc)
		m_unmaterialise(&f->m, made);
	return rc;
}

static int m_unmap(struct fx *f, uint32_t argsz, uint32_t flags, uint64_t iova, uint64_t size)
{
	struct mwin *w;
	uint64_t k, first;
	bool made;
	int rc;

	if (!f->m.enabled)
		return -EPERM;
	if (argsz < 24 || flags)
		return -EINVAL;
	rc = m_materialise(f, &made);
	if (rc)
		return rc;
	rc = m_range(&f->m, iova, size, &w);
	if (rc) {
		m_unmaterialise(&f->m, made);
		return rc;
	}
	first = (iova - w->start) >> w->ps;
	for (k = 0; k < size >> w->ps; k++)
		set_entry(&f->m, w, first + k, 0, 0);
	return 0;
}

static bool sys_aligned_range(const struct model *m, uint64_t ua, uint64_t size)
{
	uint64_t mask = (1ull << m->sys_shift) - 1;

	return !((ua | size) & mask) && size && ua + size > ua;
}

static int m_register(struct fx *f, uint32_t argsz, uint32_t flags, uint64_t ua, uint64_t size)
{
	struct model *m = &f->m;
	uint32_t i;

	if (!m->v2)
		return -ENOTTY;
	if (argsz < 24 || flags || !sys_aligned_range(m, ua, size))
		return -EINVAL;
	for (i = 0; i < m->nr; i++)
		if (m->r[i].ua == ua && m->r[i].size == size)
			return -EBUSY; /* this container holds it already */
	if (over_limit(m, size))
		return -ENOMEM;
	if (!writable(f, ua, size))
		return -EFAULT;
	for (i = 0; i < m->nr; i++)
		if (ua < m->r[i].ua + m->r[i].size && m->r[i].ua < ua + size)
			return -EINVAL;
	if (m->nr == MAXREG)
		return 1; /* the generator keeps below this */
	m->r[m->nr++] = (struct mregion){ .ua = ua, .size = size };
	m->enabled = m->owner = true;
	return 0;
}

static int m_unregister(struct fx *f, uint32_t argsz, uint32_t flags, uint64_t ua, uint64_t size)
{
	struct model *m = &f->m;
	uint32_t i;

	if (!m->v2)
		return -ENOTTY;
	if (!m->owner)
		return -EPERM;
	if (argsz < 24 || flags || !sys_aligned_range(m, ua, size))
		return -EINVAL;
	for (i = 0; i < m->nr; i++)
		if (m->r[i].ua == ua && m->r[i].size == size)
			break;
	if (i == m->nr)
		return -ENOENT;
	if (m->r[i].mapped)
		return -EBUSY; /* DECISIONS 7: kept */
	m->r[i] = m->r[--m->nr];
	return 0;
}

static int m_create(struct fx *f, uint32_t argsz, uint32_t flags, uint32_t ps, uint64_t ws,
		    uint32_t levels, uint64_t *start)
{
	bool made;
	int rc;

	if (!f->m.v2)
		return -ENOTTY;
	if (argsz < 40 || flags)
		return -EINVAL;
	rc = m_materialise(f, &made);
	if (rc)
		return rc;
	rc = m_create_window(f, ps, ws, levels, start);
	if (rc)
		m_unmaterialise(&f->m, made);
	else
		f->m.owner = true;
	return rc;
}

static int m_remove(struct fx *f, uint32_t argsz, uint32_t flags, uint64_t start)
{
	struct model *m = &f->m;
	uint32_t num;

	if (!m->v2)
		return -ENOTTY;
	if (argsz < 16 || flags)
		return -EINVAL;
	if (m->pending && !start) {
		m->pending = false; /* the default window declined */
		m->owner = true;
		return 0;
	}
	if (!window_of(m, start, &num))
		return -EINVAL;
	drop_window(m, num);
	m->owner = true;
	return 0;
}

static int m_enable(struct fx *f)
{
	struct model *m = &f->m;

	if (m->v2)
		return -ENOTTY;
	if (m->enabled)
		return -EBUSY;
	if (!m->gi.tce32_size)
		return -EPERM;
	if (over_limit(m, m->gi.tce32_size))
		return -ENOMEM;
	m->v1_locked = m->gi.tce32_size;
	m->enabled = m->owner = true;
	return 0;
}

static int m_disable(struct fx *f)
{
	if (f->m.v2)
		return -ENOTTY;
	f->m.enabled = false;
	f->m.v1_locked = 0;
	return 0;
}

/* ---- the fixture ---- */

struct profile {
	const char *name;
	enum tce_platform p;
	bool legacy;
	uint32_t sys_shift;
	int limit; /* 0: none; 1: about the arena and the default table; 2: tce32_size */
};

/* A new container with the group set on it and its IOMMU type: the model's start. */
static int open_files(struct fx *f)
{
	struct model *m = &f->m;
	int rc;

	drop_window(m, 0);
	drop_window(m, 1);
	m->enabled = m->owner = false;
	m->v1_locked = 0;
	m->nr = 0;
	if (tt_vfio_open_files(&f->v))
		return -1;
	rc = (int)tt_vfio_attach(&f->v, m->v2 ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_SPAPR_TCE_IOMMU);
	m->pending = m->v2; /* the first group attached: the default window is pending */
	if (!m->v2) /* v1 borrows the group's default window */
		rc = rc ? rc : add_window(f, 0, m->gi.tce32_start, m->gi.tce32_size, 12, 1, 0);
	return rc;
}

static const struct tce_host_config legacy_host = { .profile = TCE_OS_LEGACY };

/*
 * The bad area, 3 MiB after 2 writable MiB: [0, 1M) writable, [1M, 2M)
 * read-only, [2M, 3M) PROT_NONE (a hole that stays one: a munmap hole would
 * be reused by later mappings), outside the machine.
 */
static int map_bad(struct fx *f)
{
	f->badmap = mmap(NULL, 7 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->badmap == MAP_FAILED) {
		f->badmap = NULL;
		return -1;
	}
	f->bad = (uint8_t *)((((uint64_t)f->badmap + 2 * MiB - 1) & ~(2 * MiB - 1)) + 2 * MiB);
	return mprotect(f->bad + MiB, MiB, PROT_READ) || mprotect(f->bad + 2 * MiB, MiB, PROT_NONE);
}

static int setup(struct fx *f, const struct profile *pr)
{
	struct tce_vfio_mm_config mc = { .page_shift = pr->sys_shift };
	uint64_t def = 0;

	memset(f, 0, sizeof(*f));
	if (tt_vfio_boot(&f->v, pr->p, pr->legacy ? &legacy_host : NULL, MARGIN) || map_bad(f))
		return -1;
	tce_group_info(f->v.g, &f->m.gi);
	f->m.v2 = !pr->legacy;
	f->m.pseries = pr->p == TCE_PLATFORM_PSERIES;
	f->m.sys_shift = pr->sys_shift;
	if (f->m.v2 && tce_group_table_size(f->v.g, 12, f->m.gi.tce32_size, 1, &def))
		return -1;
	f->m.limit = pr->limit == 1 ? 6 * MiB + def : pr->limit == 2 ? f->m.gi.tce32_size : 0;
	mc.memlock_limit = f->m.limit;
	if (tt_vfio_new_mm(&f->v, &mc))
		return -1;
	return open_files(f);
}

static void teardown(struct fx *f)
{
	uint32_t i;

	for (i = 0; i < 2; i++)
		free(f->m.w[i].e);
	tt_vfio_teardown(&f->v);
	if (f->badmap)
		munmap(f->badmap, 7 * MiB);
}

static long io(struct fx *f, unsigned long req, void *arg)
{
	return tt_vfio_io(&f->v, f->v.cfd, req, arg);
}

/* ---- comparing the container with the model ---- */

#define FAIL(f, fmt, ...)                                                                  \
	tt_fail(__FILE__, __LINE__, "step %" PRIu64 " (%s): " fmt, (f)->step, (f)->op,       \
		##__VA_ARGS__)

static uint64_t want_tce(const struct model *m, const struct ment *e, uint32_t ps)
{
	uint64_t t = e->ua & ~((1ull << ps) - 1);

	if (e->flags & VFIO_DMA_MAP_FLAG_READ)
		t |= TCE_PCI_READ;
	if (e->flags & VFIO_DMA_MAP_FLAG_WRITE)
		t |= m->pseries ? TCE_PCI_WRITE : TCE_PCI_WRITE | TCE_PCI_READ;
	return t;
}

static bool tce_matches(const struct model *m, const struct ment *e, uint32_t ps, uint64_t got)
{
	uint64_t want = want_tce(m, e, ps);

	if (e->flags == VFIO_DMA_MAP_FLAG_WRITE) /* pseries may add READ: W implies R in hardware */
		return got == want || got == (want | TCE_PCI_READ);
	return got == want;
}

/* Tracked pages [@from, @to) of window @num read back as the model says. */
static void check_entries(struct fx *f, uint32_t num, struct tce_iommu_table *t,
			  uint64_t from, uint64_t to)
{
	struct mwin *w = &f->m.w[num];
	uint64_t k, tce;
	struct ment *e;

	for (k = from; k < to && k < wpages(w); k++) {
		e = ent(w, k);
		if (!e)
			continue;
		if (tce_iommu_table_get(t, (w->start >> w->ps) + k, &tce)) {
			FAIL(f, "window %u page %" PRIu64 ": no entry", num, k);
			return;
		}
		if (!tce_matches(&f->m, e, w->ps, tce)) {
			FAIL(f, "window %u page %" PRIu64 ": tce 0x%" PRIx64 ", model 0x%" PRIx64, num,
			     k, tce, want_tce(&f->m, e, w->ps));
			return;
		}
	}
}

/* Windows as the model has them; entries of [@bus, @bus + @len) or, with @full, all tracked. */
static void check_state(struct fx *f, bool full, uint64_t bus, uint64_t len)
{
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	uint64_t got = tce_vfio_mm_locked(f->v.mm), i;
	uint32_t num;
	struct mwin *w;
	int rc;

	if (got != locked(&f->m))
		FAIL(f, "locked 0x%" PRIx64 ", model 0x%" PRIx64, got, locked(&f->m));
	for (num = 0; num < 2; num++) {
		w = &f->m.w[num];
		rc = tce_group_get_table(f->v.g, num, &t);
		if (rc != (w->present ? 0 : -ENOENT)) {
			FAIL(f, "slot %u: get_table %d, model %s", num, rc, w->present ? "set" : "empty");
			if (!rc)
				tce_iommu_table_put(t);
			continue;
		}
		if (rc)
			continue;
		tce_iommu_table_info(t, &ti);
		if (ti.bus_offset != w->start || ti.page_shift != w->ps ||
		    ti.first_idx != w->start >> w->ps || ti.entries != wpages(w) ||
		    (!f->m.pseries && f->m.v2 && ti.levels != w->levels))
			FAIL(f, "slot %u: bus 0x%" PRIx64 " shift %u entries 0x%" PRIx64
			     ", model 0x%" PRIx64 " %u 0x%" PRIx64, num, ti.bus_offset, ti.page_shift,
			     ti.entries, w->start, w->ps, wpages(w));
		else if (full)
			for (i = 0; i < tracked(w); i += TRACK)
				check_entries(f, num, t, page_of(w, i), page_of(w, i) + TRACK);
		else if (len && bus >= w->start && bus - w->start < w->size)
			check_entries(f, num, t, (bus - w->start) >> w->ps,
				      ((bus - w->start + len) >> w->ps) + 2);
		tce_iommu_table_put(t);
	}
}

/* Device DMA through one live entry of the arena: a read sees memory, a write lands. */
static void check_dma(struct fx *f)
{
	struct tce_pci_dev *d = tce_device_pci(f->v.o.a);
	uint64_t i, k, v = f->step * 0x9e3779b97f4a7c15ull, back = 0;
	struct mwin *w;
	struct ment *e;
	uint32_t num;

	for (num = 0; num < 2; num++) {
		w = &f->m.w[num];
		for (i = 0; w->present && i < tracked(w); i++) {
			e = &w->e[(i + f->step) % tracked(w)];
			if (!e->flags || !in_machine(f, e->ua, 8))
				continue;
			k = page_of(w, (i + f->step) % tracked(w));
			if (e->flags & VFIO_DMA_MAP_FLAG_WRITE) {
				CHECK_RC(tce_dev_dma_write(d, w->start + (k << w->ps) + 8, &v, 8), 0);
				CHECK(!memcmp((void *)(e->ua + 8), &v, 8));
			}
			if (e->flags & VFIO_DMA_MAP_FLAG_READ) {
				memcpy((void *)(e->ua + 16), &v, 8);
				CHECK_RC(tce_dev_dma_read(d, w->start + (k << w->ps) + 16, &back, 8), 0);
				CHECK_EQ(back, v);
			}
			break;
		}
	}
}

static const char *const opnames[] = { "MAP", "UNMAP", "REGISTER", "UNREGISTER", "CREATE",
					"REMOVE", "GET_INFO", "ENABLE", "DISABLE", "drain" };

static void expect(struct fx *f, long got, int want)
{
	uint32_t i;

	for (i = 0; i < 10 && strcmp(opnames[i], f->op); i++)
		;
	if (i < 10 && want <= 0 && want > -160)
		want ? f->err[i][-want]++ : f->ok[i]++;
	if (got != want)
		FAIL(f, "got %ld (%s), model %d (%s)", got, tce_err_name((int)got), want,
		     tce_err_name(want));
}

/* ---- the generator ---- */

static uint64_t rnd(struct fx *f, uint64_t n)
{
	return tt_below(&f->seed, n);
}

static uint32_t argsz_of(struct fx *f, uint32_t full)
{
	uint64_t k = rnd(f, 40);

	return k == 0 ? full - 1 : k == 1 ? full + 8 : full;
}

static uint64_t pick_ua_range(struct fx *f, uint64_t *size)
{
	uint64_t sp = 1ull << f->m.sys_shift, a = (uint64_t)f->v.arena, k = rnd(f, 20);
	struct mregion *r;

	if (f->m.nr && k < 4) { /* identical, or overlapping one */
		r = &f->m.r[rnd(f, f->m.nr)];
		*size = r->size;
		return k < 2 ? r->ua : k == 2 ? r->ua + sp : r->ua - sp;
	}
	if (k == 4) { /* misaligned or empty */
		*size = rnd(f, 2) ? 0 : 4 * sp;
		return a + (rnd(f, 2) ? sp / 2 : 0);
	}
	if (k == 5) { /* wraps */
		*size = 2 * sp;
		return -sp;
	}
	if (k == 6) { /* the bad area: writable, read-only, unmapped, or across */
		*size = (1 + rnd(f, 4)) * 256 * KiB;
		return (uint64_t)f->bad + rnd(f, 10) * 256 * KiB;
	}
	*size = rnd(f, 3) ? (1 + rnd(f, 32)) * sp : (1 + rnd(f, 4)) * MiB;
	a += rnd(f, 2) ? rnd(f, 16) * MiB : rnd(f, ARENA / sp) * sp;
	if (a + *size > (uint64_t)f->v.arena + ARENA)
		*size = (uint64_t)f->v.arena + ARENA - a;
	return a;
}

static void op_register(struct fx *f, bool unreg)
{
	struct vfio_iommu_spapr_register_memory p;
	uint64_t size, ua;
	int want;
	long rc;

	if (unreg && f->m.nr && rnd(f, 4)) {
		struct mregion *r = &f->m.r[rnd(f, f->m.nr)];

		ua = r->ua, size = r->size;
		if (!rnd(f, 6))
			size += 1ull << f->m.sys_shift; /* not the registered range: -ENOENT */
	} else {
		ua = pick_ua_range(f, &size);
	}
	if (!unreg && f->m.nr >= MAXREG - 1)
		return;
	p = (struct vfio_iommu_spapr_register_memory){ .argsz = argsz_of(f, sizeof(p)),
						       .flags = rnd(f, 50) ? 0 : 1, .vaddr = ua,
						       .size = size };
	f->op = unreg ? "UNREGISTER" : "REGISTER";
	if (getenv("TCE_TEST_TRACE"))
		printf("# %s ua 0x%" PRIx64 " (arena %+" PRId64 ", bad %+" PRId64 ") size 0x%" PRIx64
		       " argsz %u flags %u\n", unreg ? "unreg" : "reg", ua,
		       (int64_t)(ua - (uint64_t)f->v.arena), (int64_t)(ua - (uint64_t)f->bad), size,
		       p.argsz, p.flags);
	want = unreg ? m_unregister(f, p.argsz, p.flags, ua, size)
		     : m_register(f, p.argsz, p.flags, ua, size);
	rc = io(f, unreg ? VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY : VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
		&p);
	expect(f, rc, want);
	check_state(f, false, 0, 0);
}

/* A bus range of @pages pages in or around a window, or pending default window. */
static uint64_t pick_iova(struct fx *f, uint64_t *size)
{
	struct mwin dflt = { .present = true, .start = f->m.gi.tce32_start,
			     .size = f->m.gi.tce32_size, .ps = 12 };
	struct mwin *w = f->m.pending ? &dflt : &f->m.w[rnd(f, 2)];
	uint64_t n, k, iova;

	if (!w->present)
		w = f->m.w[0].present ? &f->m.w[0] : &f->m.w[1];
	if (!w->present || !rnd(f, 15)) { /* in no window, usually */
		*size = (1 + rnd(f, 4)) << 12;
		return rnd(f, 2) ? 1ull << 40 : (1ull << 59) + (1ull << 50);
	}
	n = rnd(f, 8) ? 1 + rnd(f, 16) : 1 + rnd(f, MAXOP);
	if (wpages(w) <= 2 * TRACK)
		k = rnd(f, wpages(w));
	else if (rnd(f, 2))
		k = rnd(f, TRACK - MAXOP);
	else
		k = wpages(w) - 1 - rnd(f, rnd(f, 2) ? TRACK : 32);
	if (k >= TRACK && n > 16)
		n = 16; /* near the end: small ranges, some past it */
	if (wpages(w) <= 2 * TRACK && k + n > wpages(w) && rnd(f, 2))
		n = wpages(w) - k;
	iova = w->start + (k << w->ps);
	*size = n << w->ps;
	k = rnd(f, 30);
	if (k == 0)
		iova += 1ull << (w->ps - 1); /* misaligned */
	else if (k == 1)
		*size += 1ull << (w->ps - 1);
	else if (k == 2)
		*size = 0;
	return iova;
}

static uint64_t pick_vaddr(struct fx *f, uint64_t iova, uint64_t size)
{
	uint32_t num;
	struct mwin *w = window_of(&f->m, iova, &num);
	uint64_t ps = w ? 1ull << w->ps : 4096, k = rnd(f, 20), a = (uint64_t)f->v.arena;
	struct mregion *r;

	if (k == 0)
		return a + ps / 2;                           /* misaligned */
	if (k == 1)
		return (uint64_t)f->bad + rnd(f, 3) * MiB;   /* writable, read-only, unmapped */
	if (k == 2)
		return -ps;                                  /* wraps */
	if (f->m.nr && k < 15) {
		r = &f->m.r[rnd(f, f->m.nr)];
		if (k == 14) /* up to the region's end and maybe past it */
			return r->ua + r->size - (size & ~(ps - 1)) + (rnd(f, 2) ? ps : 0);
		return r->ua + (rnd(f, r->size / ps + 1) * ps);
	}
	size = size < ARENA ? size : ARENA;
	return a + rnd(f, (ARENA - size) / ps + 1) * ps;
}

static uint32_t pick_flags(struct fx *f)
{
	static const uint32_t fl[] = { 1, 2, 3, 3, 1, 2, 3, 0, 4, 1 | 8 };

	return fl[rnd(f, rnd(f, 4) ? 7 : 10)];
}

static void op_map(struct fx *f)
{
	struct vfio_iommu_type1_dma_map p = { .argsz = argsz_of(f, sizeof(p)) };
	uint64_t size;
	int want;
	long rc;

	p.iova = pick_iova(f, &size);
	p.size = size;
	p.vaddr = pick_vaddr(f, p.iova, p.size);
	p.flags = pick_flags(f);
	f->op = "MAP";
	want = m_map(f, p.argsz, p.flags, p.vaddr, p.iova, p.size);
	rc = io(f, VFIO_IOMMU_MAP_DMA, &p);
	expect(f, rc, want);
	check_state(f, false, p.iova, p.size);
}

static void op_unmap(struct fx *f)
{
	struct vfio_iommu_type1_dma_unmap p = { .argsz = argsz_of(f, sizeof(p)),
						.flags = rnd(f, 50) ? 0 : 1 };
	uint64_t size;
	int want;
	long rc;

	p.iova = pick_iova(f, &size);
	p.size = size;
	f->op = "UNMAP";
	want = m_unmap(f, p.argsz, p.flags, p.iova, p.size);
	rc = io(f, VFIO_IOMMU_UNMAP_DMA, &p);
	expect(f, rc, want);
	check_state(f, false, p.iova, p.size);
}

static void op_create(struct fx *f)
{
	static const uint32_t shifts[] = { 12, 16, 12, 16, 21, 24, 30, 13, 64, 70 };
	struct vfio_iommu_spapr_tce_create p = { .argsz = argsz_of(f, sizeof(p)),
						 .flags = rnd(f, 50) ? 0 : 1 };
	uint64_t start = 0, k = rnd(f, 20);
	int want;
	long rc;

	p.page_shift = shifts[rnd(f, rnd(f, 4) ? 4 : 10)];
	p.window_size = p.page_shift < 64 ? (1ull << rnd(f, 19)) << p.page_shift : 1ull << 40;
	if (k == 0 && p.page_shift < 64)
		p.window_size += 1ull << p.page_shift; /* not a power of two */
	else if (k == 1 && p.page_shift < 64)
		p.window_size = 1ull << (p.page_shift - 1); /* below a page */
	p.levels = 1 + (uint32_t)rnd(f, f->m.gi.max_levels);
	if (k == 2)
		p.levels = rnd(f, 2) ? 0 : f->m.gi.max_levels + 1;
	if (!f->m.pseries && p.levels == 1 && p.window_size >> (p.page_shift & 63) > (1u << 18))
		p.levels = 2; /* one-level tables are allocated whole: keep them small */
	p.start_addr = 0x5a5a;
	f->op = "CREATE";
	want = m_create(f, p.argsz, p.flags, p.page_shift, p.window_size, p.levels, &start);
	rc = io(f, VFIO_IOMMU_SPAPR_TCE_CREATE, &p);
	expect(f, rc, want);
	if (!rc && !want && p.start_addr != start)
		FAIL(f, "start 0x%" PRIx64 ", model 0x%" PRIx64, (uint64_t)p.start_addr, start);
	check_state(f, true, 0, 0);
}

static void op_remove(struct fx *f)
{
	struct vfio_iommu_spapr_tce_remove p = { .argsz = argsz_of(f, sizeof(p)),
						 .flags = rnd(f, 50) ? 0 : 1 };
	struct mwin *w = &f->m.w[rnd(f, 2)];
	int want;
	long rc;

	if (w->present && rnd(f, 4))
		p.start_addr = w->start + (rnd(f, 2) ? rnd(f, w->size) : 0);
	else
		p.start_addr = rnd(f, 2) ? 0 : rnd(f, 2) ? 1ull << 59 : 1ull << 40;
	f->op = "REMOVE";
	want = m_remove(f, p.argsz, p.flags, p.start_addr);
	rc = io(f, VFIO_IOMMU_SPAPR_TCE_REMOVE, &p);
	expect(f, rc, want);
	check_state(f, true, 0, 0);
}

static void op_enable(struct fx *f, bool on)
{
	int want;

	f->op = on ? "ENABLE" : "DISABLE";
	want = on ? m_enable(f) : m_disable(f);
	expect(f, io(f, on ? VFIO_IOMMU_ENABLE : VFIO_IOMMU_DISABLE, NULL), want);
	check_state(f, false, 0, 0);
}

static void op_info(struct fx *f)
{
	static const uint32_t sizes[] = { 16, 32, 8, 15, 20, 31, 40 };
	struct vfio_iommu_spapr_tce_info in;
	uint8_t buf[sizeof(in) + 16];
	bool ddw = f->m.v2 && f->m.gi.max_dynamic_windows;
	uint32_t argsz = sizes[rnd(f, 7)], n = argsz < 16 ? 0 : argsz < 32 ? 16 : 32, i;
	long rc;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &argsz, 4);
	f->op = "GET_INFO";
	rc = io(f, VFIO_IOMMU_SPAPR_TCE_GET_INFO, buf);
	expect(f, rc, n ? 0 : -EINVAL);
	for (i = n; i < sizeof(buf); i++)
		if (buf[i] != 0xa5 && !(i < 4))
			FAIL(f, "argsz %u: byte %u written", argsz, i);
	if (!n)
		return;
	memcpy(&in, buf, sizeof(in));
	CHECK_EQ(in.flags, ddw ? VFIO_IOMMU_SPAPR_INFO_DDW : 0);
	CHECK_EQ(in.dma32_window_start, f->m.gi.tce32_start);
	CHECK_EQ(in.dma32_window_size, f->m.gi.tce32_size);
	if (n < 32)
		return;
	CHECK_EQ(in.ddw.pgsizes, ddw ? f->m.gi.pgsizes : 0);
	CHECK_EQ(in.ddw.max_dynamic_windows_supported, ddw ? f->m.gi.max_dynamic_windows : 0);
	CHECK_EQ(in.ddw.levels, ddw ? f->m.gi.max_levels : 0);
}

static void step(struct fx *f)
{
	uint64_t k = rnd(f, 100);

	if (k < 35)
		op_map(f);
	else if (k < 52)
		op_unmap(f);
	else if (k < 66)
		op_register(f, false);
	else if (k < 76)
		op_register(f, true);
	else if (k < 82)
		op_create(f);
	else if (k < 88)
		op_remove(f);
	else if (k < 91)
		op_info(f);
	else if (k < 96)
		op_enable(f, true);
	else
		op_enable(f, false);
	if (f->step % 64 == 0) {
		f->op = "check";
		check_state(f, true, 0, 0);
		check_dma(f);
	}
}

/* Empty everything through the container, the model saying what each call answers. */
static void drain(struct fx *f)
{
	struct vfio_iommu_spapr_register_memory p = { .argsz = sizeof(p) };
	uint32_t num;

	f->op = "drain";
	for (num = 0; num < 2 && f->m.v2; num++) {
		struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };

		if (!f->m.w[num].present)
			continue;
		/* Each region still mapped refuses to go first. */
		if (f->m.nr) {
			p.vaddr = f->m.r[0].ua, p.size = f->m.r[0].size;
			expect(f, io(f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &p),
			       m_unregister(f, p.argsz, 0, p.vaddr, p.size));
		}
		rm.start_addr = f->m.w[num].start;
		expect(f, io(f, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), m_remove(f, rm.argsz, 0,
									     rm.start_addr));
		check_state(f, true, 0, 0);
	}
	while (f->m.nr) {
		p.vaddr = f->m.r[0].ua, p.size = f->m.r[0].size;
		expect(f, io(f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &p), 0);
		if (m_unregister(f, p.argsz, 0, p.vaddr, p.size))
			break;
	}
	check_state(f, true, 0, 0);
}

static void report(struct fx *f, const struct profile *pr)
{
	char line[1024];
	uint32_t i, e;
	int n;

	for (i = 0; i < 10; i++) {
		n = snprintf(line, sizeof(line), "# %s %s: ok %" PRIu64, pr->name, opnames[i],
			     f->ok[i]);
		for (e = 1; e < 160 && n < 900; e++)
			if (f->err[i][e])
				n += snprintf(line + n, sizeof(line) - (size_t)n, ", %s %" PRIu64,
					      tce_err_name(-(int)e), f->err[i][e]);
		if (getenv("TCE_TEST_VERBOSE"))
			printf("%s\n", line);
	}
	if (getenv("TCE_TEST_VERBOSE"))
		printf("# %s: %" PRIu64 " failed requests made the default window\n", pr->name,
		       f->m.undone);
}

/*
 * The files go, in one of three orders, with whatever state the episode
 * left: the group is detached, its windows go, the container is released,
 * nothing stays charged and the group is the kernel's again.
 */
static void close_files(struct fx *f)
{
	uint64_t how = rnd(f, 3);

	f->op = "close";
	if (how == 0)
		CHECK_RC(tce_vfio_close(f->v.mm, f->v.cfd), 0); /* the group keeps it alive */
	if (how == 1)
		CHECK_RC(tce_vfio_ioctl(f->v.mm, f->v.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	if (how == 1) {
		CHECK_EQ(tce_vfio_mm_locked(f->v.mm), 0);
		CHECK(!tce_group_owned(f->v.g));
	}
	CHECK_RC(tce_vfio_close(f->v.mm, f->v.gfd), 0);
	CHECK(!tce_group_owned(f->v.g));
	CHECK_EQ(tce_vfio_mm_locked(f->v.mm), 0);
	if (how)
		CHECK_RC(tce_vfio_close(f->v.mm, f->v.cfd), 0);
	CHECK_EQ(tce_vfio_mm_locked(f->v.mm), 0);
}

/* Episodes of random requests, each on a new container, some drained, all closed. */
static void run(const struct profile *pr, uint64_t seed)
{
	uint64_t steps = (uint64_t)(3000 * tt_scale()) + 100, end;
	struct fx f;

	REQUIRE(setup(&f, pr) == 0);
	f.seed = seed;
	for (f.step = 1; f.step <= steps && !tt_failed();) {
		if (f.step > 1)
			REQUIRE(open_files(&f) == 0);
		f.op = "open";
		check_state(&f, true, 0, 0);
		end = f.step + 100 + rnd(&f, 600);
		for (; f.step < end && f.step <= steps && !tt_failed(); f.step++)
			step(&f);
		if (!tt_failed() && rnd(&f, 2))
			drain(&f);
		close_files(&f);
	}
	report(&f, pr);
	teardown(&f);
}

static const struct profile profiles[] = {
	{ "powernv", TCE_PLATFORM_POWERNV, false, 16, 1 },
	{ "pseries", TCE_PLATFORM_PSERIES, false, 16, 1 },
	{ "legacy", TCE_PLATFORM_PSERIES, true, 12, 2 },
	{ "powernv-4k", TCE_PLATFORM_POWERNV, false, 12, 0 },
};

static void powernv_v2(void)
{
	run(&profiles[0], tt_seed());
}

static void pseries_v2(void)
{
	run(&profiles[1], tt_seed() + 1);
}

static void legacy_v1(void)
{
	run(&profiles[2], tt_seed() + 2);
}

static void powernv_v2_4k(void)
{
	run(&profiles[3], tt_seed() + 3);
}

static const struct tt_case cases[] = {
	TT_CASE(powernv_v2), TT_CASE(pseries_v2), TT_CASE(legacy_v1), TT_CASE(powernv_v2_4k),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
