/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PEs and the PHB below them: window slots, the reset that restores the
 * default window, the device-side translate path with READ/WRITE
 * enforcement, the PHB's TCE cache that only a kill refreshes, and EEH: the
 * MMIO and DMA freezes, the PE reset, armed error injection that matches
 * accesses. Lock order: a function's lock, a PE's lock, then its PHB's cache
 * lock. Layer: hw.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/hw_int.h"
#include "util/arith.h"

void tce__slot_disable(struct tce__pe *pe, unsigned i)
{
	struct tce__slot *s = &pe->slot[i];

	if (s->table)
		tce_table_put(s->table);
	*s = (struct tce__slot){ 0 };
}

/* A hypervisor-owned table: sparse, as few levels as the geometry allows. */
int tce__hv_table(struct tce_ctx *ctx, uint64_t bus, uint64_t size, uint32_t shift,
		  struct tce_table **out)
{
	uint32_t levels = tce__ilog2(size) - shift > 20 ? 2 : 1;
	struct tce_table_config cfg;
	int rc = -EINVAL;

	for (; levels <= 3 && rc == -EINVAL; levels++) {
		cfg = (struct tce_table_config){ .bus_offset = bus, .window_size = size,
						 .page_shift = shift, .levels = levels };
		rc = tce_table_create(ctx, &cfg, out);
	}
	return rc;
}

/* Enable slot @i over [bus, bus + size) with a fresh hypervisor table. Context: PE lock. */
int tce__slot_enable_hv(struct tce__pe *pe, unsigned i, uint64_t bus, uint64_t size,
			uint32_t shift)
{
	struct tce__slot *s = &pe->slot[i];
	struct tce_table *t;
	int rc = tce__hv_table(pe->phb->m->ctx, bus, size, shift, &t);

	if (rc)
		return rc;
	*s = (struct tce__slot){ .enabled = true, .bus_start = bus, .size = size,
				 .page_shift = shift, .liobn = pe->def_liobn + i, .table = t };
	return 0;
}

int tce__pe_reset(struct tce__pe *pe)
{
	unsigned i;
	int rc = 0;

	tce__lock(&pe->lock);
	for (i = 0; i < TCE_MAX_WINDOWS; i++)
		tce__slot_disable(pe, i);
	if (pe->phb->m->platform == TCE_PLATFORM_PSERIES) {
		rc = tce__slot_enable_hv(pe, 0, pe->def_bus, pe->def_size, 12);
		pe->slot[0].is_default = !rc;
	}
	tce__cache_kill(pe, 0, 0, 0);
	tce__unlock(&pe->lock);
	return rc;
}

/* The enabled slot whose window holds @bus, or NULL. Context: PE lock. */
static struct tce__slot *slot_of(struct tce__pe *pe, uint64_t bus)
{
	unsigned i;

	if (pe->phb->m->platform == TCE_PLATFORM_POWERNV) {
		i = (bus & TCE_PNV_WINDOW1_BASE) ? 1 : 0;
		if (i >= pe->nslots)
			return NULL;
		return pe->slot[i].enabled && bus - pe->slot[i].bus_start < pe->slot[i].size
			       ? &pe->slot[i]
			       : NULL;
	}
	for (i = 0; i < pe->nslots; i++)
		if (pe->slot[i].enabled && bus >= pe->slot[i].bus_start &&
		    bus - pe->slot[i].bus_start < pe->slot[i].size)
			return &pe->slot[i];
	return NULL;
}

/*
 * ---- the TCE cache ----
 *
 * A hit takes no lock and writes nothing shared with other PEs: each set has
 * a sequence count that writers (a miss's fill, a kill), serialised by the
 * PHB's cache lock, make odd while they change the set's ways; a reader
 * loads the count, the ways (acquire loads, so the second load of the count
 * comes after them) and the count again, and retries if it changed or was
 * odd. The TCE a hit returns was in the set at one instant between the two
 * loads. Replacement is CLOCK (second chance): a fill sets the way's
 * reference bit, a hit sets it only when clear (so a hot entry's hits write
 * nothing), a fill's sweep clears it. Hits are counted per PE with relaxed
 * adds; misses and kills under the lock. Before, every hit took the
 * PHB-wide cache lock and wrote the LRU stamp and the hit counter, so two
 * devices' DMA serialised on one cache line (issue 12; docs/performance.md
 * G4 has the measurements).
 */

static unsigned cache_set(uint32_t pe, uint64_t page)
{
	return (unsigned)(((page ^ ((uint64_t)pe << 40)) * 0x9e3779b97f4a7c15ULL) >> 58) %
	       TCE_CACHE_SETS;
}

static uint64_t ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

/* The way of @set holding @tag and @page, or -1. Context: cache lock, or inside a read section. */
static int set_find(struct tce__cache_set *set, uint64_t tag, uint64_t page)
{
	int w;

	for (w = 0; w < TCE_CACHE_WAYS; w++)
		if (ld(&set->w[w].tag) == tag && ld(&set->w[w].page) == page)
			return w;
	return -1;
}

/* Look @page up without the lock: true and *@tce on a hit. */
static bool set_read(struct tce__cache_set *set, uint64_t tag, uint64_t page, uint64_t *tce)
{
	uint64_t seq;
	int w;

	do {
		while ((seq = atomic_load_explicit(&set->seq, memory_order_acquire)) & 1)
			tce__cpu_relax();
		w = set_find(set, tag, page);
		if (w >= 0)
			*tce = ld(&set->w[w].tce);
	} while (atomic_load_explicit(&set->seq, memory_order_acquire) != seq);
	if (w >= 0 && !atomic_load_explicit(&set->w[w].ref, memory_order_relaxed))
		atomic_store_explicit(&set->w[w].ref, 1, memory_order_relaxed);
	return w >= 0;
}

/*
 * Count a hit of @pe. Every translation holds the PE's lock, so a relaxed
 * load and store suffice (no locked add: 32 of them were about a sixth of a
 * 64 KiB copy's translation); readers of the count take no lock.
 * Context: PE lock.
 */
static void count_hit(struct tce__pe *pe)
{
	uint64_t n = atomic_load_explicit(&pe->cache_hits, memory_order_relaxed);

	atomic_store_explicit(&pe->cache_hits, n + 1, memory_order_relaxed);
}

/* Open and close a change of @set's ways. Context: cache lock. */
static void set_write_begin(struct tce__cache_set *set)
{
	uint64_t seq = atomic_load_explicit(&set->seq, memory_order_relaxed);

	atomic_store_explicit(&set->seq, seq + 1, memory_order_relaxed);
}

static void set_write_end(struct tce__cache_set *set)
{
	uint64_t seq = atomic_load_explicit(&set->seq, memory_order_relaxed);

	atomic_store_explicit(&set->seq, seq + 1, memory_order_release);
}

/* Store a way's fields; release, so a reader that sees one sees the odd count. */
static void way_store(struct tce__cache_way *w, uint64_t tag, uint64_t page, uint64_t tce)
{
	atomic_store_explicit(&w->tag, 0, memory_order_release);
	atomic_store_explicit(&w->page, page, memory_order_release);
	atomic_store_explicit(&w->tce, tce, memory_order_release);
	atomic_store_explicit(&w->tag, tag, memory_order_release);
	atomic_store_explicit(&w->ref, 1, memory_order_relaxed);
}

/* CLOCK: an empty way, else the first from the hand without its reference bit. Context: cache lock. */
static unsigned set_victim(struct tce__cache_set *set)
{
	unsigned w;

	for (w = 0; w < TCE_CACHE_WAYS; w++)
		if (!atomic_load_explicit(&set->w[w].tag, memory_order_relaxed))
			return w;
	for (;;) {
		w = set->hand;
		set->hand = (uint8_t)((w + 1) % TCE_CACHE_WAYS);
		if (!atomic_load_explicit(&set->w[w].ref, memory_order_relaxed))
			return w;
		atomic_store_explicit(&set->w[w].ref, 0, memory_order_relaxed);
	}
}

/*
 * A miss: under the lock, look again (another thread may have filled it
 * meanwhile: then it is a hit), else fill.
 */
static uint64_t cache_fill(struct tce__pe *pe, struct tce__cache_set *set, uint64_t tag,
			   const struct tce__slot *s, uint64_t page)
{
	struct tce__tce_cache *c = &pe->phb->cache;
	uint64_t tce = 0;
	unsigned v;
	int w;

	tce__lock(&c->lock);
	w = set_find(set, tag, page);
	if (w >= 0) {
		tce = ld(&set->w[w].tce);
		tce__unlock(&c->lock);
		count_hit(pe);
		return tce;
	}
	c->st.misses++;
	tce_table_get(s->table, page, &tce);
	v = set_victim(set);
	set_write_begin(set);
	way_store(&set->w[v], tag, page, tce);
	set_write_end(set);
	pe->cache_sets |= 1ULL << (set - c->set);
	tce__unlock(&c->lock);
	return tce;
}

/* A cached TCE, or a fresh one read from the slot's table and cached. Context: PE lock. */
static uint64_t cache_tce(struct tce__pe *pe, const struct tce__slot *s, uint64_t page)
{
	struct tce__cache_set *set = &pe->phb->cache.set[cache_set(pe->num, page)];
	uint64_t tag = TCE_CACHE_TAG(pe->num, s->page_shift), tce;

	if (set_read(set, tag, page, &tce)) {
		count_hit(pe);
		return tce;
	}
	return cache_fill(pe, set, tag, s, page);
}

bool tce__pe_tlb_stamp(struct tce__pe *pe, uint64_t bus, bool write, uint64_t real,
		       const _Atomic uint64_t **at, uint64_t *seq)
{
	static _Atomic uint64_t never_moves; /* bypass windows: stays 0 */
	uint64_t need = write ? TCE_PCI_WRITE : TCE_PCI_READ, mask, page, tag, tce, sq;
	struct tce__cache_set *set;
	struct tce__slot *s = slot_of(pe, bus);
	int w;

	tce__assert(tce__lock_held(&pe->lock));
	if (!s)
		return false;
	if (s->real_mode) {
		/* The window may be smaller than a page, or start inside one. */
		page = bus & ~0xfffULL;
		if (page < s->bus_start || s->size < 4096 || page - s->bus_start > s->size - 4096)
			return false;
		*at = &never_moves;
		*seq = 0;
		return true;
	}
	mask = tce__low_mask(s->page_shift);
	page = bus >> s->page_shift;
	set = &pe->phb->cache.set[cache_set(pe->num, page)];
	tag = TCE_CACHE_TAG(pe->num, s->page_shift);
	sq = atomic_load_explicit(&set->seq, memory_order_acquire);
	w = sq & 1 ? -1 : set_find(set, tag, page);
	if (w < 0)
		return false;
	tce = ld(&set->w[w].tce);
	if (atomic_load_explicit(&set->seq, memory_order_acquire) != sq || (tce & need) != need ||
	    ((tce & ~mask) | (bus & mask)) != real)
		return false;
	*at = &set->seq;
	*seq = sq;
	return true;
}

/*
 * Empty the ways of @set, cached for the PE of @tag, that @drop() selects.
 * Returns whether the set still holds a way of that PE. Context: cache lock.
 */
static bool set_kill(struct tce__cache_set *set, uint64_t tag,
		     bool (*drop)(uint64_t tag, uint64_t page, const void *arg), const void *arg)
{
	bool open = false, kept = false;
	unsigned w;

	for (w = 0; w < TCE_CACHE_WAYS; w++) {
		uint64_t t = atomic_load_explicit(&set->w[w].tag, memory_order_relaxed);

		if (!t || (t & ~0xffULL) != (tag & ~0xffULL))
			continue;
		if (!drop(t, atomic_load_explicit(&set->w[w].page, memory_order_relaxed), arg)) {
			kept = true;
			continue;
		}
		if (!open) {
			set_write_begin(set);
			open = true;
		}
		atomic_store_explicit(&set->w[w].tag, 0, memory_order_release);
	}
	if (open)
		set_write_end(set);
	return kept;
}

/*
 * set_kill() on set @i for @pe, keeping pe->cache_sets exact for that set:
 * its bit stays only while the set holds a way of the PE. Context: cache lock.
 */
static void pe_set_kill(struct tce__pe *pe, unsigned i,
			bool (*drop)(uint64_t tag, uint64_t page, const void *arg), const void *arg)
{
	if (!(pe->cache_sets >> i & 1))
		return;
	if (!set_kill(&pe->phb->cache.set[i], TCE_CACHE_TAG(pe->num, 0), drop, arg))
		pe->cache_sets &= ~(1ULL << i);
}

/* A kill's range, in pages of its page size: [lo, hi), or everything when !npages. */
struct kill_range {
	uint32_t page_shift;
	uint64_t lo, hi, npages;
};

static bool in_range(uint64_t tag, uint64_t page, const void *arg)
{
	const struct kill_range *k = arg;
	uint32_t shift = (uint32_t)(tag & 0xff);
	uint64_t first, last;

	if (!k->npages)
		return true;
	/* The cached page's bytes, in units of the kill's page size. */
	first = (page << shift) >> k->page_shift;
	last = (((page + 1) << shift) - 1) >> k->page_shift;
	return first < k->hi && last >= k->lo;
}

/* ---- translate-once mappings ---- */

void tce__map_link(struct tce__pe *pe, struct tce_dev_map *map)
{
	tce__lock(&pe->phb->cache.lock);
	atomic_store_explicit(&map->valid, true, memory_order_relaxed);
	map->prev = NULL;
	map->next = pe->maps;
	if (pe->maps)
		pe->maps->prev = map;
	pe->maps = map;
	pe->phb->cache.nmaps++;
	tce__unlock(&pe->phb->cache.lock);
}

void tce__map_unlink(struct tce__pe *pe, struct tce_dev_map *map)
{
	tce__lock(&pe->phb->cache.lock);
	if (map->prev)
		map->prev->next = map->next;
	else
		pe->maps = map->next;
	if (map->next)
		map->next->prev = map->prev;
	pe->phb->cache.nmaps--;
	tce__unlock(&pe->phb->cache.lock);
}

static void map_invalidate(struct tce_dev_map *map)
{
	atomic_store_explicit(&map->valid, false, memory_order_release);
}

/* Invalidate the maps of @pe that a kill of @k covers. Context: cache lock. */
static void maps_kill(struct tce__pe *pe, const struct kill_range *k)
{
	struct tce_dev_map *map;
	uint64_t first, last;

	for (map = pe ? pe->maps : NULL; map; map = map->next) {
		first = map->bus >> k->page_shift;
		last = (map->bus + map->len - 1) >> k->page_shift;
		if (!k->npages || (first < k->hi && last >= k->lo))
			map_invalidate(map);
	}
}

void tce__maps_invalidate(struct tce__pe *pe)
{
	struct tce_dev_map *map;

	tce__lock(&pe->phb->cache.lock);
	for (map = pe->maps; map; map = map->next)
		map_invalidate(map);
	tce__unlock(&pe->phb->cache.lock);
}

/*
 * The end of a kill: the translate-once maps it covers. A function's
 * remembered translation of a killed page goes with its set's sequence
 * count, which the kill moved when it emptied the way; a kill of all the
 * PE's entries also moves the PE's generation (it follows a slot change).
 * Context: cache lock.
 */
static void kill_end(struct tce__pe *pe, const struct kill_range *k)
{
	if (pe->phb->cache.nmaps)
		maps_kill(pe, k);
	if (!k->npages)
		tce__pe_stale(pe);
}

/*
 * A kill looks only at the sets that may hold the PE's entries
 * (pe->cache_sets: set by a fill, cleared by a kill that leaves the set
 * without a way of the PE; a way evicted by another PE's fill leaves its
 * bit set until then). tce-bench hv.hcall, H_PUT_TCE_INDIRECT of 512 on a
 * PE with nothing cached: before (all 64 sets, 256 ways scanned) about 150
 * ns of the call; after: see docs/performance.md G6.
 */
static void kill_sets(struct tce__pe *pe, const struct kill_range *k)
{
	uint64_t sets;

	for (sets = pe->cache_sets; sets; sets &= sets - 1)
		pe_set_kill(pe, (unsigned)__builtin_ctzll(sets), in_range, k);
}

void tce__cache_kill(struct tce__pe *pe, uint32_t page_shift, uint64_t bus, uint64_t npages)
{
	struct tce__tce_cache *c = &pe->phb->cache;
	struct kill_range k = { .page_shift = page_shift, .lo = bus >> page_shift,
				.npages = npages };

	k.hi = npages > (UINT64_MAX >> page_shift) - k.lo ? UINT64_MAX >> page_shift
							  : k.lo + npages;
	tce__lock(&c->lock);
	c->st.kills++;
	kill_sets(pe, &k);
	kill_end(pe, &k);
	tce__unlock(&c->lock);
}

/* One page of one page size: a probe's match. @arg: { page, page_shift }. */
static bool is_page(uint64_t tag, uint64_t page, const void *arg)
{
	const uint64_t *want = arg;

	return page == want[0] && (tag & 0xff) == want[1];
}

/* A probe of a page's set costs about what a look at one set does. */
void tce__cache_kill_pages(struct tce__pe *pe, uint32_t page_shift, uint64_t page,
			   uint64_t npages)
{
	struct tce__tce_cache *c = &pe->phb->cache;
	struct kill_range k = { .page_shift = page_shift, .lo = page, .hi = page + npages,
				.npages = npages };
	uint64_t i, want[2];

	tce__lock(&c->lock);
	c->st.kills++;
	if (npages >= TCE_CACHE_SETS || npages >= (uint64_t)__builtin_popcountll(pe->cache_sets)) {
		kill_sets(pe, &k);
	} else {
		for (i = 0; i < npages; i++) {
			want[0] = page + i, want[1] = page_shift;
			pe_set_kill(pe, cache_set(pe->num, page + i), is_page, want);
		}
	}
	kill_end(pe, &k);
	tce__unlock(&c->lock);
}

void tce_dev_cache_stats(struct tce_pci_dev *d, struct tce_cache_stats *out)
{
	struct tce__phb *phb = d->phb;
	uint64_t hits = 0;
	uint32_t i;

	for (i = 0; i < phb->npes; i++)
		hits += atomic_load_explicit(&phb->pes[i].cache_hits, memory_order_relaxed);
	for (i = 0; i < phb->m->ndevs; i++)
		if (phb->m->devs[i].phb == phb)
			hits += atomic_load_explicit(&phb->m->devs[i].tlb_hits, memory_order_relaxed);
	tce__lock(&phb->cache.lock);
	*out = phb->cache.st;
	tce__unlock(&phb->cache.lock);
	out->hits = hits;
}

/* ---- faults, EEH and translation ---- */

/* What a fault met besides its address, for the fault callback. */
struct fault_at {
	bool dma, recovered;
	uint64_t tce, real;
};

static void tell(struct tce__pe *pe, const struct tce_fault *f, const struct fault_at *at)
{
	struct tce_machine *m = pe->phb->m;
	struct tce_fault_event ev;
	unsigned i;

	if (!m->fault_fn)
		return;
	ev = (struct tce_fault_event){ .fault = *f, .phb = pe->phb->index, .pe = pe->num,
				       .dma = at->dma, .recovered = at->recovered, .tce = at->tce, .real_addr = at->real,
				       .nslots = pe->nslots };
	for (i = 0; i < pe->nslots; i++)
		ev.slot[i] = (struct tce_window_info){ .enabled = pe->slot[i].enabled,
						       .real_mode = pe->slot[i].real_mode,
						       .bus_start = pe->slot[i].bus_start,
						       .size = pe->slot[i].size,
						       .page_shift = pe->slot[i].page_shift,
						       .liobn = pe->slot[i].liobn };
	m->fault_fn(m->fault_arg, &ev);
}

/*
 * Freeze MMIO and DMA; the first freeze records its cause; the machine's
 * fault callback hears of every fault. A DMA translation fault of a function
 * that reports its DMA errors itself (libtce,dma-fault = "recover") is
 * recovered at once: counted and told, the PE left running, so the error
 * the device latches reaches its driver (docs/machine.md EEH). Context: PE
 * lock.
 */
static void freeze(struct tce__pe *pe, const struct tce_pci_dev *d, uint64_t addr, bool write,
		   enum tce_fault_reason why, struct fault_at *at)
{
	struct tce_fault f = { .reason = why, .bus_addr = addr, .write = write };
	bool first = !pe->frozen && !pe->mmio_frozen;

	snprintf(f.device, sizeof(f.device), "%s", d->name);
	pe->faults++;
	if (at->dma && why != TCE_FAULT_INJECTED && d->recover_dma_faults) {
		pe->recovered++;
		at->recovered = true;
		tell(pe, &f, at);
		return;
	}
	pe->frozen = pe->mmio_frozen = true;
	tce__maps_invalidate(pe);
	tce__pe_stale(pe);
	if (first) {
		pe->fault = f;
		tce__warn(pe->phb->m->ctx, "EEH: PE %u frozen: %s at 0x%llx by %s (reason %d)",
			  pe->num, write ? "write" : "read", (unsigned long long)addr, d->name,
			  (int)why);
	}
	tell(pe, &f, at);
}

void tce__pe_fault_real(struct tce__pe *pe, const struct tce_pci_dev *d, uint64_t bus,
			bool write, uint64_t real)
{
	struct fault_at at = { .dma = true, .real = real };

	freeze(pe, d, bus, write, TCE_FAULT_BAD_REAL, &at);
}

void tce_machine_set_fault_fn(struct tce_machine *m, tce_fault_fn fn, void *arg)
{
	m->fault_fn = fn;
	m->fault_arg = arg;
}

/* The access kind each injection function matches; -1: never (IO). */
static const signed char inject_access[TCE_EEH_ERR_FUNC_MAX + 1] = {
	TCE__ACC_MEM_LD, TCE__ACC_MEM_LD, -1, -1, TCE__ACC_CFG_LD, TCE__ACC_CFG_LD,
	TCE__ACC_MEM_ST, TCE__ACC_MEM_ST, -1, -1, TCE__ACC_CFG_ST, TCE__ACC_CFG_ST,
	TCE__ACC_DMA_RD, TCE__ACC_DMA_RD, TCE__ACC_DMA_RD, TCE__ACC_DMA_RD,
	TCE__ACC_DMA_WR, TCE__ACC_DMA_WR, TCE__ACC_DMA_WR, TCE__ACC_DMA_WR,
};

/* Does the armed injection match this access? It fires once. Context: PE lock. */
static bool inject_fires(struct tce__pe *pe, enum tce__access acc, uint64_t addr)
{
	const struct tce__eeh_inject *i = &pe->inj;

	if (!i->armed || inject_access[i->func] != (signed char)acc ||
	    (addr & i->mask) != (i->addr & i->mask))
		return false;
	pe->inj.armed = false;
	return true;
}

void tce__pe_inject(struct tce__pe *pe, const struct tce__eeh_inject *inj)
{
	tce__lock(&pe->lock);
	pe->inj = *inj;
	pe->inj.armed = true;
	tce__pe_stale(pe); /* injection is matched on the full translation only */
	tce__unlock(&pe->lock);
}

bool tce__pe_mmio(struct tce__pe *pe, const struct tce_pci_dev *d, enum tce__access acc,
		  uint64_t addr, bool master_abort)
{
	bool store = acc == TCE__ACC_MEM_ST || acc == TCE__ACC_CFG_ST, ok;

	tce__lock(&pe->lock);
	if (!pe->mmio_frozen && !pe->reset_active) {
		struct fault_at at = { 0 };

		if (inject_fires(pe, acc, addr))
			freeze(pe, d, addr, store, TCE_FAULT_INJECTED, &at);
		else if (master_abort)
			freeze(pe, d, addr, store, TCE_FAULT_MASTER_ABORT, &at);
	}
	ok = !pe->mmio_frozen && !pe->reset_active;
	tce__unlock(&pe->lock);
	return ok;
}

int tce__pe_eeh_state(const struct tce__pe *pe)
{
	if (pe->reset_active)
		return TCE_EEH_PE_STATE_RESET;
	if (!pe->frozen)
		return pe->mmio_frozen ? TCE_EEH_PE_STATE_UNAVAIL : TCE_EEH_PE_STATE_NORMAL;
	return pe->mmio_frozen ? TCE_EEH_PE_STATE_STOPPED : TCE_EEH_PE_STATE_STOPPED_DMA;
}

void tce__pe_thaw(struct tce__pe *pe, uint32_t what)
{
	if (what & TCE_EEH_FROZEN_MMIO)
		pe->mmio_frozen = false;
	if (what & TCE_EEH_FROZEN_DMA)
		pe->frozen = false;
	if (!pe->frozen && !pe->mmio_frozen)
		pe->fault = (struct tce_fault){ 0 };
}

void tce__pe_eeh_reset(struct tce__pe *pe, bool assert_reset)
{
	struct tce_machine *m = pe->phb->m;
	bool was_active;
	uint32_t i;

	tce__lock(&pe->lock);
	was_active = pe->reset_active;
	if (assert_reset) {
		pe->reset_active = pe->frozen = pe->mmio_frozen = true;
		tce__maps_invalidate(pe);
		tce__pe_stale(pe);
	}
	tce__unlock(&pe->lock);
	if (assert_reset)
		return;
	for (i = 0; was_active && i < m->ndevs; i++)
		if (m->devs[i].pe == pe)
			tce__dev_reset(&m->devs[i]);
	tce__lock(&pe->lock);
	pe->reset_active = false;
	tce__pe_thaw(pe, TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA);
	tce__unlock(&pe->lock);
}

/*
 * Extend a translation of @bus (real @real, @avail bytes to its page's end)
 * over the next pages of slot @s while fewer than @want bytes are covered,
 * each cached (a hit: no fill), with the permission @need and the next real
 * page: what translating them one by one would give, without the checks
 * that cannot change under the PE's lock (frozen, the slot; the caller
 * checked that no injection is armed). A page that is not cached or would
 * not extend the run is left for the next translation, which counts it.
 * Measured: a 64 KiB copy translated its 32 pages at about 165 instructions
 * each, 1.3x memcpy's time (docs/performance.md G4). Context: PE lock.
 */
static uint64_t extend_run(struct tce__pe *pe, const struct tce__slot *s, uint64_t bus,
			   uint64_t real, uint64_t avail, uint64_t want, uint64_t need)
{
	uint64_t psize = 1ULL << s->page_shift, next = bus + avail, page, tce;
	uint64_t tag = TCE_CACHE_TAG(pe->num, s->page_shift);
	struct tce__cache_set *set;

	while (avail < want && next - s->bus_start < s->size) {
		page = next >> s->page_shift;
		set = &pe->phb->cache.set[cache_set(pe->num, page)];
		if (!set_read(set, tag, page, &tce) || (tce & need) != need ||
		    (tce & ~(psize - 1)) != real + avail)
			break;
		count_hit(pe);
		avail += psize;
		next += psize;
	}
	return avail;
}

enum tce_fault_reason tce__pe_translate_run(struct tce__pe *pe, const struct tce_pci_dev *d,
					    uint64_t bus, uint64_t want, bool write, uint64_t *real,
					    uint64_t *avail)
{
	uint64_t need = write ? TCE_PCI_WRITE : TCE_PCI_READ;
	enum tce_fault_reason why = tce__pe_translate(pe, d, bus, write, real, avail);
	const struct tce__slot *s;

	if (why || *avail >= want || pe->inj.armed)
		return why;
	s = slot_of(pe, bus);
	if (!s->real_mode)
		*avail = extend_run(pe, s, bus, *real, *avail, want, need);
	return why;
}

enum tce_fault_reason tce__pe_translate(struct tce__pe *pe, const struct tce_pci_dev *d,
					uint64_t bus, bool write, uint64_t *real, uint64_t *avail)
{
	uint64_t need = write ? TCE_PCI_WRITE : TCE_PCI_READ, mask, tce = 0;
	struct fault_at at = { .dma = true };
	struct tce__slot *s;
	enum tce_fault_reason why = TCE_FAULT_NONE;

	if (pe->frozen)
		return TCE_FAULT_FROZEN;
	if (inject_fires(pe, write ? TCE__ACC_DMA_WR : TCE__ACC_DMA_RD, bus)) {
		freeze(pe, d, bus, write, TCE_FAULT_INJECTED, &at);
		return TCE_FAULT_INJECTED;
	}
	s = slot_of(pe, bus);
	if (!s) {
		why = TCE_FAULT_NO_WINDOW;
	} else if (s->real_mode) {
		*real = bus - s->bus_start;
		*avail = s->size - *real;
	} else {
		mask = tce__low_mask(s->page_shift);
		tce = cache_tce(pe, s, bus >> s->page_shift);
		why = !tce ? TCE_FAULT_NO_TCE : (tce & need) != need ? TCE_FAULT_PERMISSION
								      : TCE_FAULT_NONE;
		*real = (tce & ~mask) | (bus & mask);
		*avail = mask + 1 - (bus & mask);
	}
	if (why) {
		at.tce = why == TCE_FAULT_PERMISSION ? tce : 0;
		freeze(pe, d, bus, write, why, &at);
	}
	return why;
}

bool tce_dev_eeh_frozen(struct tce_pci_dev *d, struct tce_fault *fault)
{
	bool frozen;

	tce__lock(&d->pe->lock);
	frozen = d->pe->frozen || d->pe->mmio_frozen;
	if (fault)
		*fault = d->pe->fault;
	tce__unlock(&d->pe->lock);
	return frozen;
}

void tce_dev_eeh_thaw(struct tce_pci_dev *d)
{
	tce__lock(&d->pe->lock);
	tce__pe_thaw(d->pe, TCE_EEH_FROZEN_MMIO | TCE_EEH_FROZEN_DMA);
	tce__unlock(&d->pe->lock);
}
