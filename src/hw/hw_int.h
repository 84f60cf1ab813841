/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine as the hw and fw layers see it: PHBs, PEs and their window
 * slots, the PHB's TCE cache, PCI functions and the memory model.
 * Layer: hw. Includes table, util and the public header.
 *
 *  machine ─┬─ real address space: RAM (region 0) + caller regions
 *           ├─ phb[i] ─┬─ TCE cache (sets × ways, killed by range or PE)
 *           │          └─ pe[j] ─── slot[0..1]: enabled, bus range, page shift,
 *           │                       LIOBN (pseries), table, EEH state
 *           └─ dev[k] ── PHB, PE, config space, emulated device state
 */
#ifndef TCE_HW_HW_INT_H
#define TCE_HW_HW_INT_H

#include <endian.h>
#include <pthread.h>
#include <sched.h>

#include "util/lock.h"
#include "util/util.h"

#define TCE_CACHE_SETS 64 /* at most 64: struct tce__pe's cache_sets has a bit a set */
#define TCE_CACHE_WAYS 4

/* One window slot (a TVE). Guarded by the PE's lock. */
struct tce__slot {
	bool enabled;
	bool is_default;       /* pseries: the window reset creates */
	bool real_mode;        /* powernv bypass: bus - bus_start is the real address */
	uint64_t bus_start;    /* bytes */
	uint64_t size;         /* bytes */
	uint32_t page_shift;
	uint32_t liobn;        /* pseries: the LIOBN of this slot */
	struct tce_table *table; /* holds a reference while enabled */
};

struct tce__phb;

/* An armed error injection: the next access matching func and addr/mask freezes the PE. */
struct tce__eeh_inject {
	bool armed;
	uint32_t type, func;
	uint64_t addr, mask;
};

/* What a PE sees of an access, for EEH injection matching. */
enum tce__access {
	TCE__ACC_MEM_LD, TCE__ACC_MEM_ST, TCE__ACC_CFG_LD, TCE__ACC_CFG_ST,
	TCE__ACC_DMA_RD, TCE__ACC_DMA_WR,
};

struct tce__pe {
	struct tce__phb *phb;
	uint32_t num;
	unsigned nslots;           /* 2, or 1 for an SR-IOV virtual function */
	struct tce__lock lock;     /* guards slots and the EEH state */
	_Atomic uint64_t cache_hits; /* TCE-cache hits of this PE's DMA: written under lock, read without */
	uint64_t cache_sets;       /* bit i: set i may hold a way of this PE (a superset); cache lock */
	struct tce_dev_map *maps;  /* live tce_dev_dma_map()s; guarded by the PHB's cache lock */
	struct tce__slot slot[TCE_MAX_WINDOWS];
	/* The default window the tree describes (pseries) or the 32-bit size (powernv). */
	uint32_t def_liobn;
	uint64_t def_bus, def_size;
	int dt_node;               /* the node that describes the default window */
	bool ddw;                  /* pseries: DDW offered (ibm,ddw-applicable on that node) */
	/* EEH (docs/machine.md): */
	bool frozen;               /* DMA frozen: device DMA is refused */
	bool mmio_frozen;          /* MMIO and config reads give all ones, writes are dropped */
	bool reset_active;         /* a hot or fundamental reset is asserted */
	struct tce__eeh_inject inj; /* powernv: armed error injection */
	struct tce_fault fault;    /* what froze the PE first */
	uint64_t faults;           /* every fault, recovered ones too */
	uint64_t recovered;        /* DMA faults the host recovered at once (libtce,dma-fault) */
	/*
	 * Bumped (release) by every kill of all the PE's entries (each change
	 * of a slot ends with one), freeze, reset and injection arming: a
	 * function's remembered translation made at an older value is stale
	 * (struct tce__dev_tlb). Read on every remembered DMA, so not on the
	 * line of the lock.
	 */
	_Alignas(64) _Atomic uint64_t gen;
};

/*
 * One way of a cache set. Its tag, page and TCE are written only under the
 * PHB's cache lock, between the two bumps of the set's sequence count, and
 * read without any lock (pe.c, "the TCE cache"); ref is the CLOCK reference
 * bit, set by a hit that finds it clear and cleared by the fill's sweep.
 */
struct tce__cache_way {
	_Atomic uint64_t tag;   /* 0: empty; else TCE_CACHE_TAG(pe, page_shift) */
	_Atomic uint64_t page;  /* bus address >> page_shift */
	_Atomic uint64_t tce;
	_Atomic uint8_t ref;
};

#define TCE_CACHE_TAG(pe, shift) (1ULL << 63 | (uint64_t)(pe) << 8 | (shift))

struct tce__cache_set {
	_Atomic uint64_t seq;   /* odd while a writer changes the set's ways; never wraps */
	uint8_t hand;           /* CLOCK hand: the next way a fill considers; cache lock */
	struct tce__cache_way w[TCE_CACHE_WAYS];
};

struct tce__tce_cache {
	struct tce__lock lock; /* serialises writers (fill, kill) and guards st */
	struct tce__cache_set set[TCE_CACHE_SETS];
	struct tce_cache_stats st; /* misses and kills; hits are counted per PE */
	uint32_t nmaps;            /* translate-once maps on the PHB's PEs */
};

/*
 * A translate-once mapping (tce_dev_dma_map()): [bus, bus + len) of @pe's
 * bus space at @host. Linked on its PE's list (under the PHB's cache lock)
 * from before its translation until tce_dev_dma_unmap(); a kill that covers
 * a byte of it, a freeze or a reset of the PE clears @valid, for good.
 */
struct tce_dev_map {
	struct tce_machine *m;
	struct tce__pe *pe;
	uint64_t bus, len;
	void *host;
	_Atomic bool valid;
	struct tce_dev_map *prev, *next; /* the PE's list; cache lock */
};

struct tce__phb {
	struct tce_machine *m;
	uint32_t index;
	uint64_t buid;              /* pseries: reg; powernv: the opal PHB id */
	uint64_t page_mask;         /* bit n: pages of 2^n bytes may be used */
	uint64_t largest_block;     /* pseries: TCEs the largest DDW may have */
	uint32_t max_levels;        /* powernv: table levels the PHB walks */
	bool ddw;                   /* pseries: ibm,ddw-applicable present */
	uint32_t reset_token;       /* pseries: from ibm,ddw-extensions, 0 if none */
	struct tce__pe *pes;
	uint32_t npes;        /* initialised */
	uint32_t npes_alloc;  /* allocated */
	struct tce__tce_cache cache;
};

enum tce__dev_type { TCE_DEV_NONE, TCE_DEV_DMA_TEST, TCE_DEV_IOAT };

/*
 * The DMA-test device: BAR0 is page-aligned memory that holds the registers
 * (<tce/abi.h>), accessed with atomics because a client may map it; a
 * device thread, started by the first doorbell or mapping, performs
 * doorbell copies and raises MSI-X.
 */
struct tce__dmatest {
	uint8_t *bar;               /* TCE_DT_BAR0_SIZE bytes; registers little-endian */
	pthread_t thread;
	bool thread_started;        /* guarded by mtx; joined at machine destroy */
	pthread_mutex_t mtx;        /* guards everything below */
	pthread_cond_t cond;        /* kicks the thread; signals idle and handler return */
	bool stop;                  /* the thread exits */
	bool kick;                  /* a doorbell was written through tce_dev_bar_write() */
	bool busy;                  /* the thread is between taking a doorbell and publishing */
	unsigned quiesce;           /* resets in progress: take no doorbell */
	bool in_handler;            /* the MSI handler is running */
	tce_msi_fn msi_fn;
	void *msi_arg;
};

/*
 * The I/OAT channel's state behind its registers (ioat.c). Touched only by
 * the device thread during a round (dt.busy) and by a reset (quiesced), so
 * it needs no lock of its own; chain_written is set by tce_dev_bar_write().
 */
struct tce__ioat {
	uint8_t *bounce;            /* TCE_IOAT_CHUNK bytes: a copy's or fill's data */
	unsigned state;             /* TCE_IOAT_CHANSTS_* */
	bool latched;               /* cur holds the chain (false: ARMED, CHAINADDR not read yet) */
	uint16_t count;             /* the internal count DMACOUNT is compared with */
	uint16_t dmacount_seen;     /* the DMACOUNT store the channel last accepted */
	uint64_t cur;               /* bus address of the next descriptor */
	bool cur_from_chain;        /* cur is CHAINADDR (an alignment error is CHAIN_ADDR) */
	uint64_t chain_seen;        /* CHAINADDR when the chain was latched */
	uint64_t last_done;         /* bus address of the last completed descriptor, or 0 */
	_Atomic bool chain_written; /* CHAINADDR was stored through tce_dev_bar_write() */
};

/*
 * One entry of a function's remembered translations (a device IOTLB): a 4 KiB
 * page of bus space that a one-page DMA into the machine's own RAM reached,
 * and its host address. Filled under the PE's lock after a full
 * translation, read without any lock under its own sequence count. It
 * holds while the TCE-cache set its TCE was read from keeps the sequence
 * count it had then (every fill and kill that changes the set moves it, so
 * the entry lives exactly as long as the cached TCE) and while the PE's
 * generation is the one read before the translation (slots, freezes,
 * resets, injections). A bypass window's entry points at a count that
 * never moves: only the generation ends it.
 */
struct tce__dev_tlb {
	_Atomic uint32_t seq;       /* odd while being filled */
	_Atomic uint64_t set_seq;   /* *set when the TCE was read */
	_Atomic uint64_t key;       /* tlb_key(): 4 KiB bus page and direction; 0: empty */
	_Atomic uintptr_t host;     /* host address of that 4 KiB */
	_Atomic uintptr_t set;      /* the sequence count of the cache set (_Atomic uint64_t *) */
	_Atomic uint64_t gen;       /* the PE's generation before the translation */
};

/* Entries a function remembers, indexed by the bus page's low bits. */
#define TCE_DEV_TLB_ENTRIES 32

struct tce_pci_dev {
	struct tce_machine *m;
	struct tce__phb *phb;
	struct tce__pe *pe;
	uint8_t bus, devfn;
	enum tce__dev_type type;
	bool recover_dma_faults;    /* libtce,dma-fault = "recover" (docs/machine.md EEH) */
	char name[16];
	struct tce__lock lock; /* guards config and register side effects; order: lock, PE lock */
	uint8_t config[4096];
	struct tce__dmatest dt;     /* the BAR memory and device thread (both device kinds) */
	struct tce__ioat io;        /* TCE_DEV_IOAT only */
	/*
	 * Written by every DMA of this function, so on a cache line of their own
	 * (functions lie in one array): bytes of device DMA that succeeded
	 * (tce_dev_dma_stats()), relaxed adds, no lock.
	 */
	_Alignas(64) _Atomic uint64_t dma_read_bytes, dma_write_bytes;
	_Atomic uint64_t tlb_hits;  /* translations served by tlb: TCE-cache hits in the stats */
	struct tce__dev_tlb tlb[TCE_DEV_TLB_ENTRIES];
};

/*
 * The caller regions of the real address space, above RAM (mem.c). A
 * sorted array: a lookup is a binary search (at most 6 probes for the 64
 * regions allowed) and an add checks only its two neighbours for overlap.
 * The lock is a pthread rwlock (TSan understands it): readers are device DMA
 * (lookup through the end of the copy), hcalls reading an INDIRECT list,
 * tce__real_ok() and the find/ram_ptr calls; writers are add and remove.
 */
struct tce__regions {
	pthread_rwlock_t lock;      /* guards r[], n and cap */
	struct tce_mem_region *r;   /* r[0..n): sorted by real_start, disjoint, above RAM */
	uint32_t n, cap;
};

struct tce_machine {
	struct tce_ctx *ctx;
	bool own_ctx;
	/* The CPUs of the thread that made the machine: its device threads run there. */
	bool has_cpus;
	cpu_set_t cpus;
	enum tce_platform platform;
	void *fdt;
	size_t fdt_size;
	/* Region 0, [0, ram_size): fixed at creation, read without a lock. */
	uint8_t *ram;          /* the machine's own RAM, or NULL when mem is a caller's */
	uint64_t ram_size;
	tce_mem_fn mem;        /* the memory behind RAM: ours over ram, or the config's */
	void *mem_arg;
	struct tce__regions regions;
	bool regions_init;     /* regions.lock is initialised */
	struct tce__phb *phbs;
	uint32_t nphbs, nphbs_alloc;
	struct tce_pci_dev *devs;
	uint32_t ndevs, ndevs_alloc;
	uint32_t rtas_token[4]; /* query, create, remove, reset */
	uint32_t eeh_token[4];  /* set-eeh-option, read-slot-reset-state2, set-slot-reset,
				 * configure-pe; 0 when /rtas does not name the call */
	tce_fault_fn fault_fn;  /* told of each fault; set before devices run */
	void *fault_arg;
};

/* Parse the tree into @m (dt.c). Returns 0 or -EINVAL/-ENOMEM; logs why. */
int tce__dt_parse(struct tce_machine *m);

/* PE @num of @phb, or NULL. */
struct tce__pe *tce__phb_pe(struct tce__phb *phb, uint32_t num);

/*
 * Translate one access of a device of @pe at @bus: the real address and the
 * bytes left in its IOMMU page. Records a fault and freezes the PE on
 * failure. Returns 0 or the fault reason. Context: the PE's lock.
 */
enum tce_fault_reason tce__pe_translate(struct tce__pe *pe, const struct tce_pci_dev *d,
					uint64_t bus, bool write, uint64_t *real, uint64_t *avail);

/*
 * tce__pe_translate(), then, for an access of @want bytes from @bus, the
 * following pages that are cached with the same permission and continue the
 * real addresses: *@avail may span several IOMMU pages. Context: PE lock.
 */
enum tce_fault_reason tce__pe_translate_run(struct tce__pe *pe, const struct tce_pci_dev *d,
					    uint64_t bus, uint64_t want, bool write, uint64_t *real,
					    uint64_t *avail);

/* ---- the real address space (mem.c) ---- */

/*
 * Set up the real address space once the tree gave ram_size: the region
 * lock, and RAM (reserved) unless @cfg supplies its memory. 0 or -ENOMEM;
 * tce__mem_fini() undoes whatever was done.
 */
int tce__mem_init(struct tce_machine *m, const struct tce_machine_config *cfg);
void tce__mem_fini(struct tce_machine *m);

/* The number of caller regions. Context: takes the read lock. */
uint32_t tce__regions_count(const struct tce_machine *m);

static inline void tce__regions_read_lock(struct tce_machine *m)
{
	pthread_rwlock_rdlock(&m->regions.lock);
}

static inline void tce__regions_read_unlock(struct tce_machine *m)
{
	pthread_rwlock_unlock(&m->regions.lock);
}

/*
 * The host memory at @real and, in *@len (in: at most; out: how many), the
 * bytes of [real, real + *len) that lie in the one region holding @real;
 * NULL when @real is in no region or its callback refuses. RAM needs no
 * lock. The first lookup above RAM takes the region set's read lock and sets
 * *@locked; the caller drops it (tce__regions_read_unlock) once it is done
 * with the memory. Context: never called with the write lock held.
 */
void *tce__mem_piece(struct tce_machine *m, uint64_t real, uint64_t *len, bool *locked);

/* Is every byte of [real, real + len) (len > 0) in some region? Takes and drops the read lock. */
bool tce__real_ok_slow(struct tce_machine *m, uint64_t real, uint64_t len);

/* tce__real_ok_slow() with the machine's own RAM checked inline: no lock, no call. */
static inline bool tce__real_ok(struct tce_machine *m, uint64_t real, uint64_t len)
{
	if (m->ram && real < m->ram_size && len <= m->ram_size - real)
		return true;
	return tce__real_ok_slow(m, real, len);
}

/*
 * Kill cached translations of @npages pages of @page_shift from page @page
 * of @pe (entries cached with that page size): probes only the sets those
 * pages hash to when they are fewer than the sets that may hold the PE's
 * entries, else looks at those sets (pe->cache_sets), never at another PE's.
 * Context: takes the PHB's cache lock (the PE's lock may be held).
 */
void tce__cache_kill_pages(struct tce__pe *pe, uint32_t page_shift, uint64_t page,
			   uint64_t npages);

/* Kill cached translations of @pe: @npages pages from @bus, or all when 0. Context: as above. */
void tce__cache_kill(struct tce__pe *pe, uint32_t page_shift, uint64_t bus, uint64_t npages);

/*
 * Translate-once mappings of a PE (pe.c): link a new one (valid) or unlink
 * one; invalidate every one of the PE (a freeze, a reset). Context: take
 * the PHB's cache lock; the invalidation may be called with the PE's lock.
 */
void tce__map_link(struct tce__pe *pe, struct tce_dev_map *map);
void tce__map_unlink(struct tce__pe *pe, struct tce_dev_map *map);
void tce__maps_invalidate(struct tce__pe *pe);

/* Make every remembered translation of @pe's functions stale (struct tce__dev_tlb). */
static inline void tce__pe_stale(struct tce__pe *pe)
{
	atomic_fetch_add_explicit(&pe->gen, 1, memory_order_release);
}

/*
 * For a function remembering the one-page translation of @bus to @real
 * (@write: for a DMA write) just made: *@at gets the sequence count that
 * keeps it valid (the TCE-cache set holding its TCE, or a count that never
 * moves for a bypass window) and *@seq the even value at which that set
 * held a TCE giving this translation. False when no such instant was seen
 * (the way was replaced meanwhile), or for a bypass window that does not
 * hold the whole 4 KiB page of @bus: nothing to remember. Context: PE lock.
 */
bool tce__pe_tlb_stamp(struct tce__pe *pe, uint64_t bus, bool write, uint64_t real,
		       const _Atomic uint64_t **at, uint64_t *seq);

/* Reset a PE's slots to their state after machine reset (the default window on pseries). */
int tce__pe_reset(struct tce__pe *pe);

/* Disable slot @i of @pe, dropping its table. Context: the PE's lock. */
void tce__slot_disable(struct tce__pe *pe, unsigned i);

/* Find the PE and slot owning a pseries LIOBN. Context: none; returns with nothing locked. */
struct tce__pe *tce__find_liobn(struct tce_machine *m, uint32_t liobn, unsigned *slot);

/*
 * Record a DMA fault of @dev at @bus whose real address @real is in no
 * region (TCE_FAULT_BAD_REAL); the first fault freezes the PE.
 * Context: PE lock.
 */
void tce__pe_fault_real(struct tce__pe *pe, const struct tce_pci_dev *d, uint64_t bus,
			bool write, uint64_t real);

/* A sparse hypervisor-owned table for a window. */
int tce__hv_table(struct tce_ctx *ctx, uint64_t bus, uint64_t size, uint32_t shift,
		  struct tce_table **out);

/* Enable slot @i of @pe over a window with a fresh hypervisor table. Context: PE lock. */
int tce__slot_enable_hv(struct tce__pe *pe, unsigned i, uint64_t bus, uint64_t size,
			uint32_t shift);

/*
 * EEH (pe.c). An MMIO or config access by the CPU to a function of @pe of
 * kind @acc at @addr: an armed injection that matches, or @master_abort (a
 * BAR access with memory decode off), freezes the PE now. Returns false
 * when the access must not reach the function (the PE is MMIO-frozen or in
 * reset): reads give all ones, writes are dropped. Context: takes the PE lock.
 */
bool tce__pe_mmio(struct tce__pe *pe, const struct tce_pci_dev *d, enum tce__access acc,
		  uint64_t addr, bool master_abort);

/* The PE's state, TCE_EEH_PE_STATE_*. Context: the PE's lock. */
int tce__pe_eeh_state(const struct tce__pe *pe);

/* Clear freeze bits (TCE_EEH_FROZEN_*); a PE left with none forgets its fault. Context: PE lock. */
void tce__pe_thaw(struct tce__pe *pe, uint32_t what);

/*
 * Assert (hot or fundamental) or deassert a PE's reset. Asserting freezes
 * the PE; deasserting resets every function of the PE to its power-on state
 * (waiting for in-flight copies) and thaws it. Context: takes the PE's and
 * its functions' locks; may block.
 */
void tce__pe_eeh_reset(struct tce__pe *pe, bool assert_reset);

/* Arm an injection (checked by the caller). Context: takes the PE lock. */
void tce__pe_inject(struct tce__pe *pe, const struct tce__eeh_inject *inj);

/*
 * Set up an emulated function (dev.c): its lock, config space and, for the
 * DMA-test device, the BAR memory and thread state. Returns 0 or -ENOMEM
 * (nothing left to undo). tce__dev_fini() stops the device thread and
 * releases everything.
 */
int tce__dev_init(struct tce_pci_dev *d);
void tce__dev_fini(struct tce_pci_dev *d);

/*
 * Copy @len bytes of memory from bus address @src to @dst as device @d's
 * DMA: a read of the source then a write of the destination, all or
 * nothing (dev.c). Both ranges are translated under one hold of the PE's
 * lock (the source first: its fault stops before the destination is
 * translated), then the host chunks are copied pair by pair with no
 * intermediate buffer; host ranges that overlap are copied as if the whole
 * source were read first (memmove, or a bounce buffer). Counts the read once
 * the source translated and the write on success, as the two calls would.
 * Returns 0, -EINVAL, -EFAULT, -EIO (frozen) or -ENOMEM.
 */
int tce__dev_dma_copy(struct tce_pci_dev *d, uint64_t src, uint64_t dst, size_t len);

/* Reset a function to its power-on state, waiting for an in-flight copy. May block. */
int tce__dev_reset(struct tce_pci_dev *d);

/* BAR0's bus address and a 16-bit config register. Context: the device's lock. */
uint64_t tce__dev_bar0_addr(const struct tce_pci_dev *d);
uint32_t tce__dev_config16(const struct tce_pci_dev *d, uint32_t off);

/* An aligned access of 1, 2, 4 or 8 bytes inside [0, limit). */
static inline bool tce__access_ok(uint64_t off, unsigned size, uint64_t limit)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && off % size == 0 &&
	       off < limit && size <= limit - off;
}

/* All ones in @size bytes: what a failed read returns. */
static inline uint64_t tce__ones(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/*
 * The DMA-test device (dmatest.c). init: the BAR memory, power-on registers
 * and thread state (-ENOMEM; nothing to undo on failure); fini: stop and
 * join the thread, free. quiesce: wait until no copy is in flight and keep
 * the thread from taking a doorbell until resume. regs_init: power-on
 * registers, MSI-X table and PBA (device lock held, quiesced).
 */
int tce__dt_init(struct tce_pci_dev *d);
void tce__dt_fini(struct tce_pci_dev *d);
void tce__dt_quiesce(struct tce_pci_dev *d);
void tce__dt_resume(struct tce_pci_dev *d);
void tce__dt_regs_init(struct tce_pci_dev *d);

/* ---- BAR memory: atomic little-endian accesses (a client may map it) ---- */

static inline uint64_t tce__bar_load(const struct tce_pci_dev *d, uint64_t off, unsigned size)
{
	void *p = d->dt.bar + off;

	switch (size) {
	case 1: return __atomic_load_n((uint8_t *)p, __ATOMIC_ACQUIRE);
	case 2: return le16toh(__atomic_load_n((uint16_t *)p, __ATOMIC_ACQUIRE));
	case 4: return le32toh(__atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE));
	default: return le64toh(__atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE));
	}
}

static inline void tce__bar_store(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t v)
{
	void *p = d->dt.bar + off;

	switch (size) {
	case 1: __atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_RELEASE); break;
	case 2: __atomic_store_n((uint16_t *)p, htole16((uint16_t)v), __ATOMIC_RELEASE); break;
	case 4: __atomic_store_n((uint32_t *)p, htole32((uint32_t)v), __ATOMIC_RELEASE); break;
	default: __atomic_store_n((uint64_t *)p, htole64(v), __ATOMIC_RELEASE); break;
	}
}

/* Bytes of BAR0 and MSI-X vectors of a function with a BAR (0 for none). */
uint64_t tce__dev_bar0_size(const struct tce_pci_dev *d);
unsigned tce__dev_msix_vectors(const struct tce_pci_dev *d);

/*
 * The I/OAT channel (ioat.c). init: its bounce buffer (-ENOMEM); fini: frees
 * it. regs_init: the channel registers at power-on or after a function
 * reset (quiesced). readable: offsets that hold a channel register.
 * reg_store: a store through tce_dev_bar_write() that passed decode and
 * EEH (device lock); true if the device thread must look. round: one round
 * of the device thread (dt.busy set, mtx not held): commands, re-arming,
 * descriptors up to DMACOUNT; true if it did anything, *@irq when the
 * MSI-X vector is to be raised. quiet: what the thread watches while it
 * spins: false when a command waits, CHAINADDR was stored, or DMACOUNT or
 * CHAINADDR differ from *@seen (then updated); reads registers only.
 */
int tce__ioat_init(struct tce_pci_dev *d);
void tce__ioat_fini(struct tce_pci_dev *d);
void tce__ioat_regs_init(struct tce_pci_dev *d);
bool tce__ioat_readable(uint64_t off);
bool tce__ioat_reg_store(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t val);
bool tce__ioat_round(struct tce_pci_dev *d, bool *irq);
bool tce__ioat_quiet(struct tce_pci_dev *d, uint64_t *seen);

#endif /* TCE_HW_HW_INT_H */
