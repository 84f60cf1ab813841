/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the generic IOMMU domain (tce_domain_*, docs/domain.md)
 * on powernv and pseries. The first two bytes pick the platform and the
 * domain's windows (one or two, 1 to 64 MiB of 4 KiB or 64 KiB pages); the
 * rest is a sequence of map, unmap, iova_to_phys, dirty_read, attach and
 * detach of the host's two groups, device DMA, and the fail-Nth countdown,
 * with addresses, sizes and prots that are often wrong. Memory is an
 * identity region of the machine over an arena of this process.
 *
 * A model of the mappings and the dirty log, one entry per 4 KiB of each
 * window, predicts what is certain: every -EINVAL of alignment, size and
 * aperture, -EEXIST for a busy range, -ENODEV without a group, -EBUSY and
 * -ENOENT of attach and detach, the unmapped bytes (never more than asked,
 * exactly the mapped ones), every translation, the dirty bitmap, and that a
 * failed call (an injected failure) changes nothing, or, for a pseries
 * unmap that failed part-way, only what it reports. A writable mapping in
 * the arena is reached by the device's DMA at the right bytes, a hole
 * faults. At the end the domain is destroyed, no group stays owned and
 * the context holds no allocation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <tce.h>
#include <tce/abi.h>
#include "fuzz_input.h"

#ifdef FUZZ_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define ARENA (8 * MiB)            /* the identity region, 2 MiB aligned */
#define UNIT 4096ull               /* the model's granule */
#define MAXWIN (64 * MiB)
#define MAXUNITS (MAXWIN / UNIT)
/*
 * The built-in machines have three groups; the model follows the first two
 * (dma-test 00:01.0 and the VF 00:02.0) and leaves the I/OAT channel's
 * (00:03.0, whose DMA faults recover without a freeze) alone.
 */
#define BUILTIN_GROUPS 3
#define NGROUPS 2
#define W1 (1ull << 59)

/* The model of one window: per 4 KiB, the real address and prot mapped (0: none), the log. */
struct mwin {
	uint64_t start, size, page;
	bool on;
	uint64_t paddr[MAXUNITS];
	uint8_t prot[MAXUNITS];
	uint8_t dirty[MAXUNITS];  /* unmapped writable since the last read */
	uint64_t high;            /* units touched this run (reset up to here) */
};

struct state {
	struct tce_ctx *ctx;
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_domain *d;
	bool pseries;
	struct tce_device *dev[NGROUPS];
	struct tce_group *g[NGROUPS];
	bool attached[NGROUPS];
	bool frozen[NGROUPS];       /* a DMA faulted: the PE may be frozen */
	uint32_t ngroups;
	uint64_t minpage;
	bool armed;
};

static struct state st;
static struct mwin win[2];
static uint8_t *blobs[2];
static size_t blob_size[2];
static uint8_t *arena;

static const char *const names[NGROUPS] = { "0000:00:01.0", "0000:00:02.0" };

/* ---- faults ---- */

static void before(void)
{
	st.armed = tce_ctx_fail_nth_armed(st.ctx);
}

static bool fired(void)
{
	return st.armed && !tce_ctx_fail_nth_armed(st.ctx);
}

/* ---- the model ---- */

/* The window holding all of [iova, iova + size), or NULL. */
static struct mwin *window_of(uint64_t iova, uint64_t size)
{
	int w;

	for (w = 0; w < 2; w++)
		if (win[w].on && iova >= win[w].start && iova - win[w].start < win[w].size &&
		    size <= win[w].size - (iova - win[w].start))
			return &win[w];
	return NULL;
}

static uint64_t unit_of(const struct mwin *w, uint64_t iova)
{
	return (iova - w->start) / UNIT;
}

static void touch(struct mwin *w, uint64_t end_unit)
{
	if (end_unit > w->high)
		w->high = end_unit;
}

static bool any_mapped(const struct mwin *w, uint64_t u, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (w->prot[u + i])
			return true;
	return false;
}

/* Unmap units [u, u + n) in the model, logging writable ones; the bytes that were mapped. */
static uint64_t model_unmap(struct mwin *w, uint64_t u, uint64_t n)
{
	uint64_t i, bytes = 0;

	for (i = u; i < u + n; i++) {
		if (!w->prot[i])
			continue;
		if (w->prot[i] & TCE_DOMAIN_WRITE)
			w->dirty[i] = 1;
		w->prot[i] = 0;
		bytes += UNIT;
	}
	return bytes;
}

/* The library translates every unit of [u, u + n) as the model says. */
static void agree(struct mwin *w, uint64_t u, uint64_t n)
{
	uint64_t i, phys;
	int rc;

	for (i = u; i < u + n; i++) {
		rc = tce_domain_iova_to_phys(st.d, w->start + i * UNIT + (i & 0xfff), &phys);
		if (w->prot[i])
			ENSURE(rc == 0 && phys == w->paddr[i] + (i & 0xfff));
		else
			ENSURE(rc == -ENOENT);
	}
}

static bool in_arena(uint64_t paddr, uint64_t len)
{
	uint64_t a = (uint64_t)arena;

	return paddr >= a && paddr - a < ARENA && len <= ARENA - (paddr - a);
}

/* ---- picking numbers ---- */

static struct mwin *some_window(uint8_t sel)
{
	struct mwin *w = &win[sel & 1];

	return w->on ? w : &win[0];
}

/* An address: mostly a unit of a window (page-aligned or not), sometimes anything. */
static uint64_t pick_iova(struct input *in)
{
	uint8_t sel = (uint8_t)take(in, 1);
	struct mwin *w = some_window(sel);
	uint64_t a;

	if ((sel & 0xe0) == 0xe0)
		return take(in, 8);
	a = w->start + (take(in, 2) * UNIT) % w->size;
	if (sel & 2)
		a &= ~(w->page - 1);
	if ((sel & 0x1c) == 0x1c)
		a += take(in, 1) << (sel & 0x20 ? 12 : 0); /* past the end sometimes */
	return a;
}

/* A size: mostly a few pages of some window, sometimes anything. */
static uint64_t pick_size(struct input *in)
{
	uint8_t sel = (uint8_t)take(in, 1);

	switch (sel >> 6) {
	case 0:
	case 1:
		return (1 + take(in, 1) % 32) * (sel & 1 ? 64 * KiB : UNIT);
	case 2:
		return take(in, 2) * UNIT;
	default:
		return sel & 1 ? take(in, 8) : 1ull << (take(in, 1) % 64);
	}
}

static uint64_t pick_paddr(struct input *in)
{
	uint8_t sel = (uint8_t)take(in, 1);
	uint64_t a;

	if ((sel & 0xf0) == 0xf0)
		return take(in, 8);
	a = (uint64_t)arena + (take(in, 2) * UNIT) % ARENA;
	return sel & 1 ? a & ~(64 * KiB - 1) : a;
}

/* ---- the operations ---- */

static int expect_map(uint64_t iova, uint64_t paddr, uint64_t size, uint32_t prot,
		      struct mwin **wp)
{
	struct mwin *w;

	if (!prot || prot & ~(TCE_DOMAIN_READ | TCE_DOMAIN_WRITE))
		return -EINVAL;
	if (!st.ngroups)
		return -ENODEV;
	if ((iova | paddr | size) & (st.minpage - 1) || !size || paddr + size < paddr)
		return -EINVAL;
	w = window_of(iova, size);
	if (!w || (iova | paddr | size) & (w->page - 1))
		return -EINVAL;
	*wp = w;
	return any_mapped(w, unit_of(w, iova), size / UNIT) ? -EEXIST : 0;
}

static void op_map(struct input *in)
{
	uint64_t iova = pick_iova(in), size = pick_size(in), paddr = pick_paddr(in), i, u;
	uint32_t prot = (uint32_t)take(in, 1) % 5;
	struct mwin *w = NULL;
	int want = expect_map(iova, paddr, size, prot, &w), rc;

	TRACE("map %#llx %#llx %#llx %u: want %d\n", (unsigned long long)iova,
	      (unsigned long long)paddr, (unsigned long long)size, prot, want);
	before();
	rc = tce_domain_map(st.d, iova, paddr, size, prot);
	TRACE(" -> %d\n", rc);
	if (want) {
		ENSURE(rc == want);
		return;
	}
	u = unit_of(w, iova);
	if (rc) {
		/* an injected failure, or a real address the platform refuses */
		ENSURE(((rc == -ENOMEM || rc == -EIO) && fired()) ||
		       (rc == -EINVAL && !in_arena(paddr, size)));
		agree(w, u, size / UNIT);
		return;
	}
	for (i = 0; i < size / UNIT; i++) {
		w->paddr[u + i] = paddr + i * UNIT;
		w->prot[u + i] = (uint8_t)prot;
	}
	touch(w, u + size / UNIT);
	agree(w, u, size / UNIT < 4 ? size / UNIT : 4);
}

static void op_unmap(struct input *in)
{
	uint64_t iova = pick_iova(in), size = pick_size(in), got = ~0ull, bytes, u, n, i;
	struct mwin *w = window_of(iova, size);
	bool bad = !size || !w || (iova | size) & (w->page - 1), null = !(take(in, 1) & 0x1f);
	int rc;

	TRACE("unmap %#llx %#llx\n", (unsigned long long)iova, (unsigned long long)size);
	before();
	rc = tce_domain_unmap(st.d, iova, size, null ? NULL : &got);
	TRACE(" -> %d %#llx\n", rc, (unsigned long long)got);
	if (bad || null) {
		ENSURE(rc == -EINVAL || (!st.ngroups && rc == -ENODEV));
		ENSURE(got == ~0ull || got == 0);
		return;
	}
	if (!st.ngroups) {
		ENSURE(rc == -ENODEV && (got == ~0ull || got == 0));
		return;
	}
	u = unit_of(w, iova);
	n = size / UNIT;
	if (!rc) {
		bytes = model_unmap(w, u, n);
		ENSURE(got == bytes && got <= size);
		return;
	}
	ENSURE(fired() && (rc == -ENOMEM || (rc == -EIO && st.pseries)));
	if (rc == -ENOMEM) {
		agree(w, u, n);
		return;
	}
	/* part-way: what is gone now was cleared, and *unmapped counts exactly that */
	ENSURE(got <= size);
	for (i = u, bytes = 0; i < u + n; i++) {
		uint64_t phys;

		if (w->prot[i] && tce_domain_iova_to_phys(st.d, w->start + i * UNIT, &phys) == -ENOENT)
			bytes += model_unmap(w, i, 1);
	}
	ENSURE(got == bytes);
	agree(w, u, n);
}

static void op_lookup(struct input *in)
{
	uint64_t iova = pick_iova(in), phys = 0;
	struct mwin *w = window_of(iova, 1);
	int rc = tce_domain_iova_to_phys(st.d, iova, &phys);
	uint64_t u;

	if (!w || !w->prot[unit_of(w, iova)]) {
		ENSURE(rc == -ENOENT);
		return;
	}
	u = unit_of(w, iova);
	ENSURE(rc == 0 && phys == w->paddr[u] + (iova - w->start) % UNIT);
	ENSURE(tce_domain_iova_to_phys(st.d, iova, NULL) == -EINVAL);
}

static bool dirty_now(const struct mwin *w, uint64_t u, uint64_t n)
{
	uint64_t i;

	for (i = u; i < u + n; i++)
		if (w->dirty[i] || w->prot[i] & TCE_DOMAIN_WRITE)
			return true;
	return false;
}

static void op_dirty(struct input *in)
{
	uint64_t iova = pick_iova(in), size = pick_size(in), guard = 0x5a5a5a5a5a5a5a5aull;
	struct mwin *w = window_of(iova, size);
	uint64_t *bm, nbits, i, u, per;
	int rc;

	if (!size || !w || (iova | size) & (st.minpage - 1)) {
		ENSURE(tce_domain_dirty_read(st.d, iova, size, &guard) == -EINVAL);
		ENSURE(guard == 0x5a5a5a5a5a5a5a5aull);
		return;
	}
	nbits = size / st.minpage;
	bm = malloc((nbits + 63) / 64 * 8);
	ENSURE(bm);
	memset(bm, 0xa5, (nbits + 63) / 64 * 8);
	before();
	rc = tce_domain_dirty_read(st.d, iova, size, bm);
	u = unit_of(w, iova);
	per = st.minpage / UNIT;
	if (rc) {
		ENSURE(rc == -ENOMEM && fired());
	} else {
		for (i = 0; i < nbits; i++)
			ENSURE(!!(bm[i / 64] >> (i % 64) & 1) == dirty_now(w, u + i * per, per));
		memset(&w->dirty[u], 0, size / UNIT);
	}
	free(bm);
}

/* The device of group @gi writes and reads at @iova: the model's answer. */
static void op_dma(struct input *in)
{
	int gi = (int)(take(in, 1) & 1);
	uint64_t iova = pick_iova(in) & ~7ull, v = take(in, 8), back = 0;
	struct tce_pci_dev *pci = tce_device_pci(st.dev[gi]);
	struct mwin *w = window_of(iova, 8);
	uint64_t u;
	int rc;

	if (!st.attached[gi] || !w)
		return;
	u = unit_of(w, iova);
	tce_dev_config_write(pci, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
	if (!w->prot[u]) {
		rc = tce_dev_dma_read(pci, iova, &back, sizeof(back));
		TRACE("dma %d %#llx hole -> %d\n", gi, (unsigned long long)iova, rc);
		ENSURE(rc == -EFAULT || (rc == -EIO && st.frozen[gi]));
		st.frozen[gi] = true; /* the fault may freeze the PE (EEH) */
		return;
	}
	if (!in_arena(w->paddr[u], UNIT))
		return;
	if (w->prot[u] & TCE_DOMAIN_WRITE) {
		rc = tce_dev_dma_write(pci, iova, &v, sizeof(v));
		TRACE("dma %d %#llx -> %#llx: %d\n", gi, (unsigned long long)iova,
		      (unsigned long long)(w->paddr[u] + iova % UNIT), rc);
		if (rc == -EIO && st.frozen[gi])
			return;
		ENSURE(rc == 0);
		ENSURE(!memcmp((void *)(w->paddr[u] + iova % UNIT), &v, sizeof(v)));
	}
	if (w->prot[u] & TCE_DOMAIN_READ) { /* write-only: the device may not read (pseries) */
		rc = tce_dev_dma_read(pci, iova, &back, sizeof(back));
		if (rc == -EIO && st.frozen[gi])
			return;
		ENSURE(rc == 0 && !memcmp((void *)(w->paddr[u] + iova % UNIT), &back, sizeof(back)));
	}
}

static void op_attach(struct input *in)
{
	int gi = (int)(take(in, 1) & 1), rc;
	struct tce_domain_info info;

	before();
	rc = tce_domain_attach(st.d, st.g[gi]);
	TRACE("attach %d -> %d\n", gi, rc);
	if (st.attached[gi]) {
		ENSURE(rc == -EBUSY);
		return;
	}
	if (st.pseries && st.ngroups && !fired())
		ENSURE(rc == -EPERM);
	tce_domain_info(st.d, &info);
	if (rc) {
		ENSURE(rc < 0 && !tce_group_owned(st.g[gi]) && info.ngroups == st.ngroups);
		return;
	}
	ENSURE(tce_group_owned(st.g[gi]) && info.ngroups == st.ngroups + 1);
	st.attached[gi] = true;
	st.ngroups++;
}

/* The last group leaves: the model's mappings are unmapped (writable ones logged). */
static void model_drop_all(void)
{
	int w;

	for (w = 0; w < 2; w++)
		if (win[w].on)
			model_unmap(&win[w], 0, win[w].high);
}

static void op_detach(struct input *in)
{
	int gi = (int)(take(in, 1) & 1), rc;
	struct tce_domain_info info;

	before();
	rc = tce_domain_detach(st.d, st.g[gi]);
	TRACE("detach %d -> %d\n", gi, rc);
	if (!st.attached[gi]) {
		ENSURE(rc == -ENOENT);
		return;
	}
	tce_domain_info(st.d, &info);
	if (rc && info.ngroups == st.ngroups) { /* nothing changed */
		ENSURE(rc == -ENOMEM && fired() && tce_group_owned(st.g[gi]));
		return;
	}
	ENSURE(info.ngroups == st.ngroups - 1);
	st.attached[gi] = false;
	if (!--st.ngroups)
		model_drop_all();
	if (rc) { /* off the domain, but not given back */
		ENSURE((rc == -EIO || rc == -ENOMEM) && fired() && tce_group_owned(st.g[gi]));
		ENSURE(tce_group_release_ownership(st.g[gi]) == 0);
	}
	ENSURE(!tce_group_owned(st.g[gi]));
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
		switch (take(in, 1) % 12) {
		case 0: case 1: case 2: op_map(in); break;
		case 3: case 4: op_unmap(in); break;
		case 5: op_lookup(in); break;
		case 6: op_dirty(in); break;
		case 7: op_dma(in); break;
		case 8: op_attach(in); break;
		case 9: op_detach(in); break;
		case 10: op_arm(in); break;
		default: tce_ctx_set_fail_nth(st.ctx, 0); break;
		}
	}
}

/* ---- boot and teardown ---- */

static void arena_once(void)
{
	uint8_t *p;

	if (arena)
		return;
	p = mmap(NULL, ARENA + 2 * MiB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ENSURE(p != MAP_FAILED);
	arena = (uint8_t *)(((uintptr_t)p + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
}

/* Window @w from config bits @b: on (w 0 always), 4 or 64 KiB pages, 1..64 MiB, levels. */
static void config_window(int w, uint8_t b, struct tce_domain_window *cw)
{
	struct mwin *m = &win[w];
	uint64_t hi = m->high;

	memset(m->prot, 0, hi);
	memset(m->dirty, 0, hi);
	m->high = 0;
	m->on = w == 0 || (b & 1);
	m->start = w ? W1 : 0;
	m->page = b & 2 ? 64 * KiB : 4 * KiB;
	m->size = MiB << ((b >> 2) & 7);
	if (m->size > MAXWIN)
		m->size = MAXWIN;
	*cw = (struct tce_domain_window){ .size = m->on ? m->size : 0,
					  .page_shift = !m->on ? 0 : b & 2 ? 16 : 12,
					  .levels = m->on && (b & 0x60) == 0x60 ? 1 + (b >> 7) : 0 };
}

static void boot(struct input *in)
{
	int pi = (int)(take(in, 1) & 1);
	enum tce_platform p = pi ? TCE_PLATFORM_PSERIES : TCE_PLATFORM_POWERNV;
	uint8_t b0 = (uint8_t)take(in, 1), b1 = (uint8_t)take(in, 1);
	struct tce_machine_config cfg;
	struct tce_domain_config dc;
	struct tce_mem_region r = { .real_start = (uint64_t)arena, .size = ARENA,
				    .page_shift = 16 };
	struct tce_machine *ref;
	int i;

	if (!blobs[pi]) {
		ENSURE(tce_machine_create_default(p, &ref) == 0);
		blob_size[pi] = tce_machine_fdt_size(ref);
		blobs[pi] = malloc(blob_size[pi]);
		ENSURE(blobs[pi]);
		memcpy(blobs[pi], tce_machine_fdt(ref), blob_size[pi]);
		tce_machine_destroy(ref);
	}
	st.pseries = pi;
	ENSURE(tce_ctx_create(&st.ctx) == 0);
	cfg = (struct tce_machine_config){ .ctx = st.ctx, .dtb = blobs[pi],
					   .dtb_size = blob_size[pi] };
	ENSURE(tce_machine_create(&cfg, &st.m) == 0);
	ENSURE(tce_host_create(st.m, &st.h) == 0 && tce_host_ngroups(st.h) == BUILTIN_GROUPS);
	ENSURE(tce_machine_add_region(st.m, &r) == 0);
	for (i = 0; i < NGROUPS; i++) {
		ENSURE(tce_host_find_device(st.h, names[i], &st.dev[i]) == 0);
		st.g[i] = tce_device_group(st.dev[i]);
	}
	memset(&dc, 0, sizeof(dc));
	config_window(0, b0, &dc.win[0]);
	config_window(1, b1, &dc.win[1]);
	st.minpage = win[0].page;
	if (win[1].on && win[1].page < st.minpage)
		st.minpage = win[1].page;
	ENSURE(tce_domain_create(st.ctx, &dc, &st.d) == 0);
	TRACE("boot %s w0 %#llx/%llu w1 %d %#llx/%llu\n", st.pseries ? "pseries" : "powernv",
	      (unsigned long long)win[0].size, (unsigned long long)win[0].page, win[1].on,
	      (unsigned long long)win[1].size, (unsigned long long)win[1].page);
}

static void teardown(void)
{
	struct tce_mem_stats ms;
	int i;

	tce_ctx_set_fail_nth(st.ctx, 0);
	tce_domain_destroy(st.d);
	for (i = 0; i < NGROUPS; i++)
		ENSURE(!tce_group_owned(st.g[i]));
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

	arena_once();
	memset(&st, 0, sizeof(st));
	boot(&in);
	run(&in);
	teardown();
	return 0;
}
