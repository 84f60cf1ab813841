/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the DMA API (tce_dma) over one plain table, with the
 * in-memory backend or a recording backend whose lazy flush is observed.
 * The input picks the window and the DMA configuration, then drives
 * map_page, unmap_page, map_sg, unmap_sg, alloc/free/map_coherent with
 * arbitrary and bogus arguments, and the fail-Nth countdown. A model knows
 * every live mapping: a successful map's TCEs hold the right real pages with
 * the right permission inside the mask, boundary and alignment it owes; an
 * exact unmap succeeds; anything else fails and changes no TCE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tce.h>
#include "fuzz_input.h"

/*
 * DECISIONS.md 24: an unmap or free that does not match one live mapping
 * exactly is refused with -EINVAL and changes nothing. Build with 0 to fuzz
 * a library that still accepts partial unmaps: the target then only issues
 * exact unmaps and unmaps of ranges no live mapping's allocation touches.
 */
#ifndef FUZZ_DMA_EXACT_UNMAP
#define FUZZ_DMA_EXACT_UNMAP 1
#endif

/* -DFUZZ_TRACE: print each call and its result (to read a crashing input). */
#ifdef FUZZ_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

#define MAX_ENTRIES (1u << 16)
#define MAX_MAPS 48
#define MAX_SG 80      /* above the library's 64 ranges kept on the stack */
#define MAX_SG_LISTS 6
#define HOST_SHIFT TCE_HOST_PAGE_SHIFT
#define COHERENT_MAX_BYTES (4ULL << 20) /* what the target lets alloc_coherent allocate */
#define CACHE_MAX_PAGES 32                /* the caches round requests up to here */

struct geometry {
	uint64_t bus, window;
	uint32_t shift, levels;
};

static const struct geometry geometries[] = {
	{ 0, 1ULL << 24, 12, 1 },          { 0, 1ULL << 28, 12, 2 },
	{ 1ULL << 32, 1ULL << 30, 16, 2 },  { 0, 1ULL << 31, 16, 1 },
	{ 1ULL << 40, 1ULL << 30, 21, 1 },  { 0, 1ULL << 34, 24, 1 },
	{ 0, 1ULL << 20, 12, 1 },          { 1ULL << 59, 1ULL << 28, 12, 3 },
};

enum kind { K_PAGE, K_SG, K_COH_ALLOC, K_COH_MAP };

struct sglist {
	bool used;
	unsigned nents, mapped;
	struct tce_sg e[MAX_SG];   /* the list as map_sg returned it */
	uint64_t bus[MAX_SG];      /* each element's bus address, rebuilt from the output */
};

struct mapping {
	enum kind kind;
	uint64_t real, size, bus; /* K_COH_ALLOC: real is the CPU address */
	enum tce_dir dir;
	struct sglist *sg;
};

struct state {
	struct tce_ctx *ctx;
	struct tce_table *t;
	struct tce_dma *d;
	struct tce_dma_config cfg; /* as granted */
	uint64_t first, entries;   /* the window in entries */
	uint32_t shift;
	bool lazy, cache, recording;
	uint64_t live;      /* non-zero entries of exp */
	uint32_t epoch;     /* lazy mode: flushes so far, plus one */
	bool bad_set, bad_clear; /* the recording backend saw a set over a TCE, a clear of none */
	unsigned nmaps;
	struct mapping map[MAX_MAPS];
	struct sglist sgl[MAX_SG_LISTS];
};

static uint64_t exp_tce[MAX_ENTRIES];  /* the model: expected TCE per entry */
static uint32_t stamp[MAX_ENTRIES];    /* lazy mode: epoch in which the entry was unmapped */
static struct state st;

/* ---- the recording backend: the table, with the contract checked ---- */

static int rec_set(void *arg, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir)
{
	struct state *s = arg;
	uint64_t i, v;

	for (i = 0; i < npages && i < s->entries; i++)
		if (!tce_table_get(s->t, idx + i, &v) && v)
			s->bad_set = true;
	return tce_table_set(s->t, idx, npages, real, dir);
}

static void rec_clear(void *arg, uint64_t idx, uint64_t npages)
{
	struct state *s = arg;
	uint64_t i, v;

	for (i = 0; i < npages && i < s->entries; i++)
		if (tce_table_get(s->t, idx + i, &v) || !v)
			s->bad_clear = true;
	tce_table_clear(s->t, idx, npages);
}

static void rec_flush(void *arg)
{
	((struct state *)arg)->epoch++;
}

static int rec_get(void *arg, uint64_t idx, uint64_t *tce)
{
	return tce_table_get(((struct state *)arg)->t, idx, tce);
}

static const struct tce_dma_ops rec_ops = { rec_set, rec_clear, rec_flush, rec_get };

/* ---- arithmetic the model needs ---- */

static uint64_t pmask(void)
{
	return (1ULL << st.shift) - 1;
}

static uint64_t pages_of(uint64_t addr, uint64_t len)
{
	return ((addr & pmask()) + len + pmask()) >> st.shift;
}

static unsigned ilog2(uint64_t v)
{
	return 63 - (unsigned)__builtin_clzll(v);
}

/* get_order() of a coherent size in host pages; -1 when refused. */
static int coherent_order(uint64_t size)
{
	uint64_t pages = (size + (1ULL << HOST_SHIFT) - 1) >> HOST_SHIFT;
	unsigned order;

	if (!size || size > ~0ULL - (1ULL << HOST_SHIFT))
		return -1;
	order = pages <= 1 ? 0 : ilog2(pages - 1) + 1;
	return order < 13 ? (int)order : -1;
}

static unsigned iommu_order(uint64_t size)
{
	uint64_t pages = (size - 1) >> st.shift;

	return pages ? ilog2(pages) + 1 : 0;
}

static unsigned host_align(uint64_t real, uint64_t size)
{
	uint64_t host = 1ULL << HOST_SHIFT;

	return st.shift < HOST_SHIFT && size >= host && !(real & (host - 1)) ? HOST_SHIFT - st.shift
									     : 0;
}

static bool dir_ok(enum tce_dir dir)
{
	return dir == TCE_DIR_BIDIRECTIONAL || dir == TCE_DIR_TO_DEVICE || dir == TCE_DIR_FROM_DEVICE;
}

/* The real pages [real, real + npages pages) wrap the address space (the table refuses). */
static bool real_wraps(uint64_t real, uint64_t npages)
{
	uint64_t end;

	return npages > (~0ULL >> st.shift) ||
	       __builtin_add_overflow(real & ~pmask(), npages << st.shift, &end) || !end;
}

/*
 * Could an allocation of @npages entries aligned to 2^@align ever succeed in
 * this window? If not, -EINVAL and -ENOSPC are both acceptable.
 */
static bool possible(uint64_t npages, unsigned align)
{
	uint64_t b = st.cfg.seg_boundary >> st.shift, mask = st.cfg.dma_mask;
	uint64_t lim = st.first + st.entries;

	if (!npages || npages > st.entries || (b && npages > b) || align >= 63)
		return false;
	if (mask && (mask >> st.shift) + 1 < lim)
		lim = (mask >> st.shift) + 1;
	return lim > st.first && lim - st.first >= npages + (st.first == 0) + (1ULL << align) - 1;
}

/* ---- the model's view of the table ---- */

static uint64_t rel(uint64_t idx)
{
	return idx - st.first;
}

static void check_entry(uint64_t idx)
{
	uint64_t v = 1;

	ENSURE(tce_table_get(st.t, idx, &v) == 0);
	ENSURE(v == exp_tce[rel(idx)]);
}

/* Entries of [idx, idx + n) inside the window agree with the model (at most 64 looked at). */
static void check_around(uint64_t idx, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n && i < 64; i++)
		if (idx + i >= st.first && idx + i < st.first + st.entries)
			check_entry(idx + i);
}

/* Nothing changed: the count of live TCEs is the model's. */
static void check_count(void)
{
	struct tce_table_stats ts;

	tce_table_stats(st.t, &ts);
	ENSURE(ts.populated == st.live);
	ENSURE(!st.bad_set && !st.bad_clear);
}

/* Every entry and the allocator's own state. */
static void check_all(void)
{
	uint64_t i, v, n = 0;

	for (i = st.first; !tce_table_next(st.t, &i, &v); i++, n++)
		ENSURE(v && v == exp_tce[rel(i)]);
	ENSURE(n == st.live);
	ENSURE(tce_pool_check(tce_dma_pool(st.d), st.t) == 0);
	ENSURE(!st.bad_set && !st.bad_clear);
}

/* A new mapping of @npages from @idx to @real's pages for @dir: check what it owes, record it. */
static void take_range(uint64_t idx, uint64_t npages, unsigned align, uint64_t real,
		       enum tce_dir dir)
{
	uint64_t b = st.cfg.seg_boundary, last = idx + npages - 1, perm = tce_dir_to_perm(dir), i;

	ENSURE(npages && idx >= st.first && last >= idx && last < st.first + st.entries);
	ENSURE(idx != 0);                                  /* bus address 0 is never handed out */
	ENSURE(!(idx & ((1ULL << align) - 1)));
	ENSURE(!st.cfg.dma_mask || ((last + 1) << st.shift) - 1 <= st.cfg.dma_mask);
	ENSURE((idx << st.shift) / b == (((last + 1) << st.shift) - 1) / b);
	for (i = 0; i < npages; i++) {
		ENSURE(exp_tce[rel(idx + i)] == 0);         /* no overlap with a live mapping */
		ENSURE(!st.lazy || stamp[rel(idx + i)] != st.epoch); /* not reused before a flush */
		exp_tce[rel(idx + i)] = ((real & ~pmask()) + (i << st.shift)) | perm;
		check_entry(idx + i);
	}
	st.live += npages;
}

/* Translation of the first byte: the real address, and the permission, as mapped. */
static void check_translate(uint64_t bus, uint64_t real, enum tce_dir dir)
{
	uint64_t r = 0;

	ENSURE(tce_table_translate(st.t, bus, dir, &r) == 0 && r == real);
	if (dir != TCE_DIR_BIDIRECTIONAL)
		ENSURE(tce_table_translate(st.t, bus, (enum tce_dir)(3 - dir), &r) == -EACCES);
}

static void drop_range(uint64_t idx, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++) {
		ENSURE(exp_tce[rel(idx + i)] != 0);
		exp_tce[rel(idx + i)] = 0;
		stamp[rel(idx + i)] = st.epoch;
		check_entry(idx + i);
	}
	st.live -= npages;
}

/* ---- live mappings ---- */

static struct mapping *add_map(enum kind k, uint64_t real, uint64_t size, uint64_t bus,
			       enum tce_dir dir)
{
	struct mapping *m = &st.map[st.nmaps++];

	*m = (struct mapping){ k, real, size, bus, dir, NULL };
	return m;
}

static void del_map(struct mapping *m)
{
	if (m->sg)
		m->sg->used = false;
	*m = st.map[--st.nmaps];
}

/* The allocation a range occupies: caches round small requests up to a power of two. */
static uint64_t footprint(uint64_t npages)
{
	if (!st.cache || npages > CACHE_MAX_PAGES)
		return npages;
	return 1ULL << (ilog2(npages) + ((npages & (npages - 1)) != 0));
}

static bool overlaps(uint64_t a, uint64_t na, uint64_t b, uint64_t nb)
{
	return a < b + nb && b < a + na;
}

/* Does [idx, idx + n) touch the allocation of any live mapping? */
static bool touches_live(uint64_t idx, uint64_t n)
{
	unsigned i, j;

	for (i = 0; i < st.nmaps; i++) {
		const struct mapping *m = &st.map[i];

		if (m->kind != K_SG) {
			if (overlaps(idx, n, m->bus >> st.shift, footprint(pages_of(m->bus, m->size))))
				return true;
			continue;
		}
		for (j = 0; j < m->sg->nents; j++)
			if (m->sg->e[j].length &&
			    overlaps(idx, n, m->sg->bus[j] >> st.shift,
				     footprint(pages_of(m->sg->bus[j], m->sg->e[j].length))))
				return true;
	}
	return false;
}

/*
 * May the target issue this unmap that matches no mapping? With exact
 * unmaps required, always; otherwise only when it touches no allocation.
 */
static bool may_unmap_bogus(uint64_t bus, uint64_t size)
{
	uint64_t idx = bus >> st.shift, n = pages_of(bus, size);

	if (FUZZ_DMA_EXACT_UNMAP || !size || bus + size < bus)
		return true;
	return !touches_live(idx, n ? n : 1) && !(idx == 0 && st.first == 0);
}

/* ---- choosing arguments ---- */

static enum tce_dir take_dir(struct input *in)
{
	static const enum tce_dir dirs[] = { TCE_DIR_BIDIRECTIONAL, TCE_DIR_TO_DEVICE,
					     TCE_DIR_FROM_DEVICE, TCE_DIR_BIDIRECTIONAL,
					     TCE_DIR_TO_DEVICE, TCE_DIR_FROM_DEVICE,
					     TCE_DIR_NONE, (enum tce_dir)7 };

	return dirs[take(in, 1) % 8];
}

static uint64_t take_real(struct input *in)
{
	uint64_t sel = take(in, 1);

	if (sel < 150)
		return take(in, 4) << 12 | (sel & 1 ? take(in, 2) & 0xfff : 0);
	if (sel < 220)
		return take(in, 3) << HOST_SHIFT;
	if (sel < 240)
		return take(in, 2) << 24;
	return ~0ULL - take(in, 3);
}

static uint64_t take_size(struct input *in)
{
	static const uint64_t odd[] = { 0, ~0ULL, 1ULL << 63, 1ULL << 32, (1ULL << 32) + 1, 64 << 10 };
	uint64_t sel = take(in, 1);

	if (sel < 150)
		return 1 + take(in, 3) % (8ULL << st.shift);
	if (sel < 200)
		return (1 + take(in, 1) % 64) << st.shift;
	if (sel < 230)
		return 1ULL << (take(in, 1) % 40);
	return odd[sel % 6];
}

/* An unmap target: a live mapping's, nudged or exact, or anything. */
static void take_unmap(struct input *in, uint64_t *bus, uint64_t *size)
{
	uint64_t sel = take(in, 1), page = 1ULL << st.shift;
	const struct mapping *m;

	if (!st.nmaps || sel >= 220) {
		*bus = (st.first << st.shift) + take(in, 4) * (sel & 1 ? 1 : page);
		*size = take_size(in);
		return;
	}
	m = &st.map[take(in, 1) % st.nmaps];
	*bus = m->kind == K_SG ? m->sg->e[0].dma_address : m->bus;
	*size = m->kind == K_SG ? m->sg->e[0].dma_length : m->size;
	switch (sel % 8) {
	case 0: *bus += page; break;
	case 1: *bus -= page; break;
	case 2: *size += 1; break;
	case 3: *size -= 1; break;
	case 4: *size += page; break;
	case 5: *size = *size > page ? *size - page : 0; break;
	default: break;
	}
}

/* ---- operations ---- */

/* The fail-Nth countdown fired during the last call. */
static bool fired(bool armed)
{
	return armed && !tce_ctx_fail_nth_armed(st.ctx);
}

/* A failed map: the error is one it may give, and nothing changed. */
static void map_failed(int rc, bool must_inval, bool may_inval, bool fault)
{
	if (must_inval) /* (map_sg may allocate before it finds the list empty) */
		ENSURE(rc == -EINVAL || (fault && rc == -ENOMEM));
	else
		ENSURE((rc == -EINVAL && may_inval) || rc == -ENOSPC ||
		       (fault && (rc == -ENOMEM || rc == -EIO)));
	check_count();
}

static void op_map_page(struct input *in)
{
	uint64_t real = take_real(in), size = take_size(in), bus = 0, npages;
	enum tce_dir dir = take_dir(in);
	bool armed = tce_ctx_fail_nth_armed(st.ctx), bad;
	unsigned align;
	int rc;

	if (st.nmaps == MAX_MAPS)
		return;
	bad = !size || !dir_ok(dir) || real + size < real;
	npages = bad ? 0 : pages_of(real, size);
	align = bad ? 0 : host_align(real, size);
	rc = tce_dma_map_page(st.d, real, size, dir, &bus);
	TRACE("map_page real %#llx size %#llx dir %d: %d bus %#llx\n", (unsigned long long)real,
	      (unsigned long long)size, dir, rc, (unsigned long long)bus);
	if (rc) {
		map_failed(rc, bad, !possible(npages, align) || real_wraps(real, npages), fired(armed));
		ENSURE(rc != -ENOSPC || st.live || st.cache || st.lazy || npages != 1 ||
		       st.cfg.dma_mask || !possible(npages, align));
		return;
	}
	ENSURE(!bad && (bus & pmask()) == (real & pmask()));
	take_range(bus >> st.shift, npages, align, real, dir);
	check_translate(bus, real, dir);
	add_map(K_PAGE, real, size, bus, dir);
}

static struct mapping *find_exact(uint64_t bus, uint64_t size)
{
	unsigned i;

	for (i = 0; i < st.nmaps; i++)
		if (st.map[i].kind != K_SG && st.map[i].bus == bus && st.map[i].size == size)
			return &st.map[i];
	return NULL;
}

/* Is (bus, size) one element or one output segment of a live scatter list? */
static bool is_sg_piece(uint64_t bus, uint64_t size)
{
	unsigned i, j;

	for (i = 0; i < st.nmaps; i++) {
		const struct sglist *l = st.map[i].sg;

		for (j = 0; l && j < l->nents; j++)
			if ((l->bus[j] == bus && l->e[j].length == size) ||
			    (j < l->mapped && l->e[j].dma_address == bus && l->e[j].dma_length == size))
				return true;
	}
	return false;
}

static void op_unmap_page(struct input *in)
{
	uint64_t bus, size;
	struct mapping *m;

	take_unmap(in, &bus, &size);
	TRACE("unmap_page bus %#llx size %#llx\n", (unsigned long long)bus,
	      (unsigned long long)size);
	m = find_exact(bus, size);
	if (m && m->kind == K_COH_ALLOC)
		return; /* its buffer would leak: not an unmap this target makes */
	if (m) {
		ENSURE(tce_dma_unmap_page(st.d, bus, size) == 0);
		drop_range(bus >> st.shift, pages_of(bus, size));
		del_map(m);
		return;
	}
	/* An element of a scatter list on its own: whether it is "one mapping" is not settled. */
	if (is_sg_piece(bus, size) || !may_unmap_bogus(bus, size))
		return;
	ENSURE(tce_dma_unmap_page(st.d, bus, size) == -EINVAL);
	check_around(bus >> st.shift, pages_of(bus, size));
	check_count();
}

/* Rebuild each element's bus address from the output segments, checking the merge rules. */
static void sg_layout(struct sglist *l, enum tce_dir dir)
{
	uint64_t pos = 0, left = 0, seg_start = 0, b = st.cfg.seg_boundary;
	unsigned j, seg = 0, in_seg = 0;

	for (j = 0; j < l->nents; j++) {
		uint64_t len = l->e[j].length;

		if (!len)
			continue;
		if (!left) {
			ENSURE(seg < l->mapped);
			pos = seg_start = l->e[seg].dma_address, left = l->e[seg].dma_length;
			seg++, in_seg = 0;
		}
		ENSURE(left >= len && (pos & pmask()) == (l->e[j].real & pmask()));
		ENSURE(++in_seg == 1 || (!st.cfg.no_merge && !st.cache));
		l->bus[j] = pos;
		take_range(pos >> st.shift, pages_of(l->e[j].real, len),
			   host_align(l->e[j].real, len), l->e[j].real, dir);
		pos += len, left -= len;
		if (in_seg > 1) /* a merged segment keeps the maximum size and the boundary */
			ENSURE(pos - seg_start <= st.cfg.max_seg_size &&
			       seg_start / b == (pos - 1) / b);
	}
	ENSURE(seg == l->mapped && !left);
	ENSURE(l->mapped == l->nents || l->e[l->mapped].dma_length == 0);
}

static struct sglist *free_sglist(void)
{
	unsigned i;

	for (i = 0; i < MAX_SG_LISTS; i++)
		if (!st.sgl[i].used)
			return &st.sgl[i];
	return NULL;
}

static void op_map_sg(struct input *in)
{
	struct sglist *l = free_sglist();
	uint64_t sel = take(in, 1), npages;
	enum tce_dir dir = take_dir(in);
	bool armed = tce_ctx_fail_nth_armed(st.ctx), any = false, may_inval = !dir_ok(dir);
	unsigned j;
	int rc;

	if (!l || st.nmaps == MAX_MAPS)
		return;
	l->nents = sel < 240 ? sel % 9 : sel % 9 + 60 + take(in, 1) % (MAX_SG - 68);
	for (j = 0; j < l->nents; j++) {
		l->e[j] = (struct tce_sg){ .real = take_real(in), .length = take_size(in),
					   .dma_address = 0xdead, .dma_length = 0xbeef };
		if (j && take(in, 1) < 96) /* often right after the previous element */
			l->e[j].real = l->e[j - 1].real + l->e[j - 1].length;
		if (take(in, 1) < 32)
			l->e[j].length = 0;
		any = any || l->e[j].length;
		npages = pages_of(l->e[j].real, l->e[j].length);
		if (l->e[j].length && (l->e[j].real + l->e[j].length < l->e[j].real ||
				       !possible(npages, host_align(l->e[j].real, l->e[j].length)) ||
				       real_wraps(l->e[j].real, npages)))
			may_inval = true;
	}
	rc = tce_dma_map_sg(st.d, l->e, l->nents, dir, &l->mapped);
	TRACE("map_sg nents %u dir %d: %d mapped %u\n", l->nents, dir, rc, rc ? 0 : l->mapped);
	for (j = 0; j < l->nents; j++)
		TRACE("  [%u] real %#llx len %#llx -> %#llx +%#llx\n", j,
		      (unsigned long long)l->e[j].real, (unsigned long long)l->e[j].length,
		      (unsigned long long)l->e[j].dma_address, (unsigned long long)l->e[j].dma_length);
	if (rc) {
		map_failed(rc, !dir_ok(dir) || !any, may_inval, fired(armed));
		return;
	}
	ENSURE(dir_ok(dir) && any && l->mapped >= 1 && l->mapped <= l->nents);
	sg_layout(l, dir);
	l->used = true;
	add_map(K_SG, 0, 0, 0, dir)->sg = l;
}

static void unmap_sg_exact(struct mapping *m)
{
	struct sglist *l = m->sg;
	unsigned j;

	ENSURE(tce_dma_unmap_sg(st.d, l->e, l->nents) == 0);
	for (j = 0; j < l->nents; j++)
		if (l->e[j].length)
			drop_range(l->bus[j] >> st.shift, pages_of(l->e[j].real, l->e[j].length));
	del_map(m);
}

/* A list that is not one live list's output: refused, nothing changed. */
static void unmap_sg_bogus(struct tce_sg *sg, unsigned n)
{
	unsigned j;

	for (j = 0; j < n && sg[j].dma_length; j++)
		if (is_sg_piece(sg[j].dma_address, sg[j].dma_length) && !FUZZ_DMA_EXACT_UNMAP)
			return;
	for (j = 0; j < n && sg[j].dma_length; j++)
		if (find_exact(sg[j].dma_address, sg[j].dma_length) ||
		    !may_unmap_bogus(sg[j].dma_address, sg[j].dma_length))
			return; /* another kind of mapping, or (not exact) one it may not make */
	if (j == 0)
		return; /* an empty list: whether that is an error is not settled */
	ENSURE(tce_dma_unmap_sg(st.d, sg, n) == -EINVAL);
	for (j = 0; j < n && sg[j].dma_length; j++)
		check_around(sg[j].dma_address >> st.shift,
			     pages_of(sg[j].dma_address, sg[j].dma_length));
	check_count();
}

/* Same segments as a live list? (A nudge can land on the identical list.) */
static bool same_output(const struct tce_sg *a, const struct sglist *l, unsigned n)
{
	unsigned j;

	for (j = 0; j < l->mapped; j++)
		if (j >= n || a[j].dma_address != l->e[j].dma_address ||
		    a[j].dma_length != l->e[j].dma_length)
			return false;
	return l->mapped == n || a[l->mapped].dma_length == 0;
}

static void op_unmap_sg(struct input *in)
{
	uint64_t sel = take(in, 1), page = 1ULL << st.shift;
	struct tce_sg sg[MAX_SG];
	struct mapping *m = NULL;
	unsigned i, n, k;

	for (i = 0; i < st.nmaps && !m; i++)
		if (st.map[(i + sel) % st.nmaps].kind == K_SG)
			m = &st.map[(i + sel) % st.nmaps];
	if (m && sel < 160) {
		unmap_sg_exact(m);
		return;
	}
	if (m && sel < 230) {
		n = m->sg->nents;
		memcpy(sg, m->sg->e, n * sizeof(sg[0]));
		k = take(in, 1) % m->sg->mapped;
		switch (sel % 4) {
		case 0: sg[k].dma_length = k ? 0 : sg[k].dma_length + 1; break;
		case 1: sg[k].dma_length += take(in, 1) % 2 ? page : 1; break;
		case 2: sg[k].dma_address += page; break;
		default: sg[k].dma_length -= sg[k].dma_length > 1 ? 1 : 0; break;
		}
		for (i = 0; i < st.nmaps; i++)
			if (st.map[i].kind == K_SG && same_output(sg, st.map[i].sg, n))
				return;
		unmap_sg_bogus(sg, n);
		return;
	}
	n = 1 + take(in, 1) % 4;
	for (i = 0; i < n; i++)
		take_unmap(in, &sg[i].dma_address, &sg[i].dma_length);
	for (i = 0; i < st.nmaps; i++) /* random segments can be exactly a live list's output */
		if (st.map[i].kind == K_SG && same_output(sg, st.map[i].sg, n))
			return;
	unmap_sg_bogus(sg, n);
}

static void op_alloc_coherent(struct input *in)
{
	uint64_t sel = take(in, 1), size, bus = 0, npages;
	uint64_t align_bytes = 1ULL << (st.shift > HOST_SHIFT ? st.shift : HOST_SHIFT);
	bool armed = tce_ctx_fail_nth_armed(st.ctx), bad;
	void *cpu = NULL;
	int rc;

	if (st.nmaps == MAX_MAPS)
		return;
	size = sel < 240 ? 1 + take(in, 3) % COHERENT_MAX_BYTES : take_size(in);
	if (size > COHERENT_MAX_BYTES && coherent_order(size) >= 0)
		return; /* valid but too big for the fuzzer's memory */
	bad = coherent_order(size) < 0;
	npages = bad ? 0 : pages_of(0, size);
	rc = tce_dma_alloc_coherent(st.d, size, &cpu, &bus);
	TRACE("alloc_coherent size %#llx: %d bus %#llx\n", (unsigned long long)size, rc,
	      (unsigned long long)bus);
	if (rc) {
		map_failed(rc, bad, !possible(npages, iommu_order(size)), fired(armed));
		return;
	}
	ENSURE(!bad && cpu && !((uintptr_t)cpu & (align_bytes - 1)) && !(bus & pmask()));
	ENSURE(((const uint8_t *)cpu)[0] == 0 && ((const uint8_t *)cpu)[size - 1] == 0);
	memset(cpu, 0xa5, size); /* ASan: the buffer holds @size bytes */
	take_range(bus >> st.shift, npages, iommu_order(size), (uintptr_t)cpu, TCE_DIR_BIDIRECTIONAL);
	add_map(K_COH_ALLOC, (uintptr_t)cpu, size, bus, TCE_DIR_BIDIRECTIONAL);
}

static struct mapping *pick(enum kind k, uint64_t sel)
{
	unsigned i;

	for (i = 0; i < st.nmaps; i++)
		if (st.map[(i + sel) % st.nmaps].kind == k)
			return &st.map[(i + sel) % st.nmaps];
	return NULL;
}

static void op_free_coherent(struct input *in)
{
	uint64_t sel = take(in, 1), page = 1ULL << st.shift, size, bus, cpu;
	struct mapping *m = pick(sel & 1 ? K_COH_ALLOC : K_COH_MAP, take(in, 1));
	bool refused_anyway = true; /* refused even by a library without exact unmaps */

	if (!m)
		return;
	size = m->size, bus = m->bus, cpu = m->real;
	if (m->kind == K_COH_ALLOC && (sel < 128 || sel % 6 == 5)) {
		ENSURE(tce_dma_free_coherent(st.d, size, (void *)(uintptr_t)cpu, bus) == 0);
		drop_range(bus >> st.shift, pages_of(0, size));
		del_map(m);
		return;
	}
	switch (sel % 6) {
	case 0: cpu += page; break; /* the buffer check sees another address */
	case 1: bus += page, refused_anyway = m->kind == K_COH_ALLOC; break;
	case 2: cpu = 0; break;
	case 3: size = 0; break;
	case 4: size += 1, refused_anyway = false; break;
	default: refused_anyway = false; break; /* a mapped buffer it did not allocate */
	}
	if (!refused_anyway && !FUZZ_DMA_EXACT_UNMAP)
		return;
	ENSURE(tce_dma_free_coherent(st.d, size, (void *)(uintptr_t)cpu, bus) == -EINVAL);
	check_around(m->bus >> st.shift, pages_of(0, m->size));
	check_count();
}

static void op_map_coherent(struct input *in)
{
	uint64_t real = take_real(in), size = take_size(in), bus = 0, npages;
	bool armed = tce_ctx_fail_nth_armed(st.ctx), bad;
	int rc;

	if (st.nmaps == MAX_MAPS)
		return;
	if (take(in, 1) < 200)
		real &= ~pmask();
	bad = coherent_order(size) < 0 || (real & pmask());
	npages = bad ? 0 : pages_of(0, size);
	rc = tce_dma_map_coherent(st.d, real, size, &bus);
	TRACE("map_coherent real %#llx size %#llx: %d bus %#llx\n", (unsigned long long)real,
	      (unsigned long long)size, rc, (unsigned long long)bus);
	if (rc) {
		map_failed(rc, bad, !possible(npages, iommu_order(size)) || real_wraps(real, npages),
			   fired(armed));
		return;
	}
	ENSURE(!bad && !(bus & pmask()));
	take_range(bus >> st.shift, npages, iommu_order(size), real, TCE_DIR_BIDIRECTIONAL);
	check_translate(bus, real, TCE_DIR_BIDIRECTIONAL);
	add_map(K_COH_MAP, real, size, bus, TCE_DIR_BIDIRECTIONAL);
}

static void arm(struct input *in)
{
	uint64_t n = 1 + take(in, 1) % 8;

	TRACE("fail-nth %llu\n", (unsigned long long)n);
	tce_ctx_set_fail_nth(st.ctx, n);
}

static void run(struct input *in)
{
	unsigned ops = 0;

	while (in->n) {
		switch (take(in, 1) % 10) {
		case 0: case 1: op_map_page(in); break;
		case 2: op_unmap_page(in); break;
		case 3: op_map_sg(in); break;
		case 4: op_unmap_sg(in); break;
		case 5: op_alloc_coherent(in); break;
		case 6: op_free_coherent(in); break;
		case 7: op_map_coherent(in); break;
		case 8: arm(in); break;
		default: check_all(); break;
		}
		if (++ops % 64 == 0)
			check_all();
	}
}

/* Unmap everything the model knows, exactly; the window must end empty. */
static void teardown(void)
{
	struct tce_pool_stats ps;

	tce_ctx_set_fail_nth(st.ctx, 0);
	while (st.nmaps) {
		struct mapping *m = &st.map[st.nmaps - 1];

		if (m->kind == K_SG) {
			unmap_sg_exact(m);
			continue;
		}
		ENSURE((m->kind == K_COH_ALLOC ? tce_dma_free_coherent(st.d, m->size,
							(void *)(uintptr_t)m->real, m->bus)
					      : tce_dma_unmap_page(st.d, m->bus, m->size)) == 0);
		drop_range(m->bus >> st.shift, pages_of(m->bus, m->size));
		del_map(m);
	}
	check_all();
	tce_pool_stats(tce_dma_pool(st.d), &ps);
	ENSURE(ps.allocated == 0);
}

/* ---- configuration ---- */

static const uint64_t boundaries[] = { 0, 1ULL << 16, 1ULL << 20, 1ULL << 24, 1ULL << 32,
				       3 << 12, 1ULL << 12, 1ULL << 40 };
static const uint64_t max_segs[] = { 0, 4096, 1ULL << 16, 1ULL << 20, 1ULL << 30, 1, 8192, ~0ULL };

static uint64_t take_mask(struct input *in, const struct tce_table_config *tc)
{
	uint64_t start = tc->bus_offset, end = start + tc->window_size;

	switch (take(in, 1) % 6) {
	case 0: return 0;
	case 1: return 0xffffffffULL;
	case 2: return end - 1;
	case 3: return start + tc->window_size / 2 - 1;
	case 4: return start + (16ULL << tc->page_shift) - 1;
	default: return start ? start - 1 : 0xfff;
	}
}

/* The configuration from the input; false when tce_dma_create refused it (as it must). */
static bool setup(struct input *in)
{
	const struct geometry *g = &geometries[take(in, 1) % 8];
	struct tce_table_config tc = { .bus_offset = g->bus, .window_size = g->window,
				       .page_shift = g->shift, .levels = g->levels };
	uint64_t flags = take(in, 1), sel = take(in, 1);
	struct tce_dma_config c = { 0 };
	int rc;

	ENSURE(tce_table_create(st.ctx, &tc, &st.t) == 0);
	st.first = tc.first_idx, st.entries = tc.entries, st.shift = tc.page_shift;
	c.table = st.t;
	c.strict = flags & 1, c.no_merge = flags & 2, c.pool.cache = flags & 4;
	c.pool.no_large_pool = flags & 8;
	st.recording = flags & 16;
	c.ops = st.recording ? &rec_ops : NULL;
	c.ops_arg = &st;
	c.pool.nr_pools = flags & 32 ? 1 + (sel >> 6) * 5 : 0;
	c.pool.large_threshold = flags & 64 ? 1 + take(in, 1) % 64 : 0;
	c.seg_boundary = boundaries[sel % 8];
	c.max_seg_size = max_segs[(sel >> 3) % 8];
	c.dma_mask = take_mask(in, &tc);
	rc = tce_dma_create(st.ctx, &c, &st.d);
	TRACE("window %#llx +%#llx shift %u; strict %d no_merge %d cache %d no_large %d rec %d "
	      "pools %u large %llu boundary %#llx max_seg %#llx mask %#llx: %d\n",
	      (unsigned long long)g->bus, (unsigned long long)g->window, g->shift, c.strict,
	      c.no_merge, c.pool.cache, c.pool.no_large_pool, st.recording, c.pool.nr_pools,
	      (unsigned long long)c.pool.large_threshold, (unsigned long long)c.seg_boundary,
	      (unsigned long long)c.max_seg_size, (unsigned long long)c.dma_mask, rc);
	if (rc) {
		ENSURE(rc == -EINVAL && ((c.seg_boundary & (c.seg_boundary - 1)) ||
					 c.seg_boundary < (1ULL << tc.page_shift)));
		return false;
	}
	st.cfg = c;
	st.cache = c.pool.cache;
	st.lazy = st.recording && !c.strict;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct tce_mem_stats ms;

	memset(&st, 0, sizeof(st));
	st.epoch = 1;
	ENSURE(tce_ctx_create(&st.ctx) == 0);
	if (setup(&in)) {
		memset(exp_tce, 0, st.entries * sizeof(exp_tce[0]));
		memset(stamp, 0, st.entries * sizeof(stamp[0]));
		run(&in);
		teardown();
		tce_dma_destroy(st.d);
	}
	tce_table_put(st.t);
	tce_ctx_mem_stats(st.ctx, &ms);
	ENSURE(ms.live_allocs == 0);
	tce_ctx_destroy(st.ctx);
	return 0;
}
