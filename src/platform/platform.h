/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS platforms behind two const ops tables: per table (the kernel's
 * struct iommu_table_ops: set, exchange, clear, kill) and per table group
 * (a PE as the kernel's struct iommu_table_group sees it: boot, table size,
 * create table, set/unset window, take, restore default, enable DDW, EEH).
 * pseries writes TCEs with hcalls into tables the hypervisor owns and gets
 * windows from RTAS; powernv owns multi-level tables and programs them into
 * the PHB with firmware calls, killing the TCE cache itself; legacy keeps
 * one fixed 32-bit window that an owner borrows (VFIO v1). A platform knows
 * the machine only through the device tree (of.c) and the public firmware
 * calls, as Linux does. Layer: platform. Includes dma, alloc, table, util
 * and the public header; never hw/.
 */
#ifndef TCE_PLATFORM_PLATFORM_H
#define TCE_PLATFORM_PLATFORM_H

#include <stdatomic.h>

#include "util/lock.h"
#include "util/util.h"

struct tce_iommu_table;
struct tce__tg;

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * What a platform does to a table. Indexes are absolute entries; ranges were
 * checked against the window by the caller.
 */
struct tce__table_ops {
	/*
	 * Map @npages entries from @idx to the real pages from @real with @dir,
	 * and invalidate them. On error no entry of the range is left mapped.
	 * For the kernel's DMA API (no old page to release).
	 * Context: may block (pseries: a list page's lock; powernv: the link lock).
	 */
	int (*set)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
		   enum tce_dir dir);
	/*
	 * Atomically replace one entry; in/out as tce_table_xchg(). Does NOT
	 * invalidate: batch exchanges, call invalidate once, then release the
	 * old pages (DECISIONS 10). Context: pseries takes the table's lock
	 * around the H_GET_TCE/H_PUT_TCE pair; powernv is lock-free.
	 */
	int (*xchg)(struct tce_iommu_table *t, uint64_t idx, uint64_t *real, enum tce_dir *dir);
	/*
	 * Zero @npages entries from @idx and invalidate them. Goes on after an
	 * error and returns the first (pseries: a failed hcall); powernv: 0.
	 */
	int (*clear)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);
	/*
	 * The next entry at or after *@idx (below @end) that may be populated:
	 * 0 and *@idx set, or -ENOENT. Lets clears skip what was never mapped
	 * (powernv: absent levels; pseries: chunks never written).
	 */
	int (*next)(struct tce_iommu_table *t, uint64_t *idx, uint64_t end);
	/* One raw TCE (0 when empty). */
	int (*get)(struct tce_iommu_table *t, uint64_t idx, uint64_t *tce);
	/* Invalidate cached translations (powernv: every linked PE; pseries: nothing). */
	void (*invalidate)(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);
	/* The userspace-address mirror slot of @idx (big-endian), allocating with @alloc. */
	int (*mirror_slot)(struct tce_iommu_table *t, uint64_t idx, bool alloc, uint64_t **slot);
	/* Release what the platform allocated for the table (last reference). */
	void (*free)(struct tce_iommu_table *t);
};

/* A PE a table is programmed into (powernv can share one table between PEs). */
struct tce__link {
	uint32_t phb, pe;
};

struct tce_iommu_table {
	const struct tce__table_ops *ops;
	struct tce_machine *m;
	struct tce_ctx *ctx;
	uint64_t bus_offset, window_size;
	uint64_t first_idx, entries;  /* entries may be fewer than the window holds (pseries default) */
	uint32_t page_shift, levels;
	uint32_t liobn;               /* pseries */
	bool is_default;              /* pseries: the window ibm,dma-window names */
	bool detachable;              /* pseries: owner calls are gated (tce__iotable_enter) */
	atomic_uint calls;            /* owner calls in flight, and IOTABLE_GONE once detached */
	struct tce_table *table;      /* powernv: the OS-owned table (with its mirror) */
	uint64_t *mirror;             /* pseries: a flat array of big-endian user addresses */
	struct tce__lock lock;        /* pseries: the xchg pair; powernv: the links array */
	struct tce__lock link_lock;   /* powernv: serialises joining and leaving PEs */
	atomic_uint refs;
	uint64_t charged;             /* bytes charged through @account */
	tce_account_fn account;
	void *account_arg;
	/* The owner's release of replaced pages; written while no update runs. */
	tce_release_fn release;
	void *release_arg;
	struct tce__link *links;      /* guarded by lock */
	unsigned nlinks, links_alloc; /* guarded by lock */
	struct tce__pseries_lists *lists; /* pseries: the host's list pages */
	size_t alloc_bytes;           /* of this struct and what follows it */
};

/* The H_* status of an hcall as an errno: the one place it is translated. */
int tce__hcall_errno(long status);

/* The RTAS status as an errno: the one place it is translated. */
int tce__rtas_errno(int status);

/* Per-thread list pages for H_PUT_TCE_INDIRECT, in the machine's RAM (pseries.c). */
struct tce__pseries_lists;
int tce__pseries_lists_create(struct tce_machine *m, uint64_t real, void *host,
			      struct tce__pseries_lists **out);
void tce__pseries_lists_destroy(struct tce_ctx *ctx, struct tce__pseries_lists *l);

/*
 * A pseries table over the hypervisor's window @liobn at @bus_offset, of
 * @entries entries of @page_shift (the window may be larger); with a flat
 * mirror when @mirror.
 */
int tce__pseries_table(struct tce_machine *m, struct tce__pseries_lists *lists, uint32_t liobn,
		       uint64_t bus_offset, uint64_t entries, uint32_t page_shift, bool mirror,
		       struct tce_iommu_table **out);

/*
 * An owner's call through the public tce_iommu_table_* entries of a
 * detachable table runs between enter and leave; enter is -ENODEV once the
 * table was detached. Detach (before its window goes or passes to another
 * user) waits for the calls in flight; the platform's own calls through the
 * ops still work afterwards. Other tables are never gated.
 */
int tce__iotable_enter(struct tce_iommu_table *t);
void tce__iotable_leave(struct tce_iommu_table *t);
void tce__iotable_detach(struct tce_iommu_table *t);

/* A powernv table of @levels levels at @bus_offset, with its mirror when @mirror. */
int tce__powernv_table(struct tce_machine *m, uint64_t bus_offset, uint64_t window_size,
		       uint32_t page_shift, uint32_t levels, uint32_t host_page_shift, bool mirror,
		       struct tce_iommu_table **out);

/*
 * powernv: program @t into slot @slot of PE @pe and link them (the link is
 * an allocation: -ENOMEM). Unlink returns the links left. Context: @t's
 * link_lock held (asserted in debug builds).
 */
int tce__powernv_link(struct tce_iommu_table *t, uint32_t phb, uint32_t pe, uint32_t slot);
unsigned tce__powernv_unlink(struct tce_iommu_table *t, uint32_t phb, uint32_t pe);

struct tce_iommu_table *tce__iotable_hold(struct tce_iommu_table *t);
void tce__iotable_put(struct tce_iommu_table *t);

/*
 * Replace @npages entries from @idx with the pages from @real (TCE_DIR_NONE
 * clears): exchange them all, kill once per batch, then release the old
 * pages through t->release (DECISIONS 10). On error nothing is changed.
 * Context: may block; calls the release callback.
 */
int tce__iotable_update(struct tce_iommu_table *t, uint64_t idx, uint64_t npages, uint64_t real,
			enum tce_dir dir);

/*
 * Clear a range (the whole window) and release what it held. Goes on after
 * an entry that cannot be cleared and returns the first error.
 */
int tce__iotable_clear(struct tce_iommu_table *t, uint64_t idx, uint64_t npages);
int tce__iotable_clear_all(struct tce_iommu_table *t);

/* The table's derived state is consistent (links, refs, geometry). 0 or -EIO. */
int tce__iotable_check(struct tce_iommu_table *t);

/* ------------------------------------------------------------------------ */
/* What the OS learns from the device tree (of.c)                           */
/* ------------------------------------------------------------------------ */

/* RTAS DDW calls, in the order of ibm,ddw-applicable then the reset extension. */
enum tce__ddw_call {
	TCE_DDW_QUERY = 0,
	TCE_DDW_CREATE = 1,
	TCE_DDW_REMOVE = 2,
	TCE_DDW_RESET = 3,
	TCE_DDW_NCALLS = 4,
};

/* RTAS EEH calls, as /rtas names them. */
enum tce__eeh_call {
	TCE_EEH_SET_OPTION = 0,
	TCE_EEH_READ_STATE = 1,
	TCE_EEH_SET_RESET = 2,
	TCE_EEH_CONFIGURE = 3,
	TCE_EEH_NCALLS = 4,
};

struct tce__pe_desc {
	uint32_t phb, pe;             /* PHB index (the PCI domain) and PE number */
	uint64_t buid;                /* pseries: the PHB's reg; powernv: ibm,opal-phbid */
	uint32_t cfg_addr;            /* bus << 16 | devfn << 8 of the PE's first function */
	uint32_t nslots;              /* 1 for an SR-IOV virtual function's PE, else 2 */
	uint32_t def_liobn;           /* pseries: from ibm,dma-window */
	uint64_t def_bus, def_size;   /* pseries: the default window; powernv: 0, the 32-bit size */
	uint64_t page_mask;           /* powernv: ibm,supported-tce-sizes (bit n: 2^n bytes) */
	uint32_t max_levels;          /* powernv: libtce,max-levels */
	bool ddw;                     /* pseries: ibm,ddw-applicable on the window's node */
	uint32_t tok[TCE_DDW_NCALLS]; /* RTAS tokens (0: the call is not offered) */
	bool query6;                  /* ibm,ddw-extensions[2] == 1: the 6-output query */
	uint32_t eeh_tok[TCE_EEH_NCALLS]; /* pseries: the /rtas EEH tokens (0: not offered) */
	uint64_t mmio32_start, mmio32_size; /* the PHB's 32-bit MMIO range on the bus */
};

struct tce__fn_desc {
	uint32_t phb, pe;
	uint8_t bus, devfn;
};

struct tce__of {
	enum tce_platform platform;
	uint64_t ram_size;            /* what the memory nodes describe */
	struct tce__pe_desc *pes;
	uint32_t npes, pes_alloc;
	struct tce__fn_desc *fns;
	uint32_t nfns, fns_alloc;
};

/* Read the PEs and functions of @m's tree. 0, -EINVAL (a tree the OS cannot use) or -ENOMEM. */
int tce__of_scan(struct tce_machine *m, struct tce__of *out);
void tce__of_free(struct tce_ctx *ctx, struct tce__of *of);

/* ------------------------------------------------------------------------ */
/* Table groups                                                             */
/* ------------------------------------------------------------------------ */

/* What every group of a host shares. */
struct tce__env {
	struct tce_machine *m;
	struct tce_ctx *ctx;
	uint64_t ram_size;            /* the DDW direct mapping covers [0, ram_size) */
	uint32_t host_page_shift;     /* 12 or 16 */
	const struct tce__of *of;     /* what the tree says (every PE's functions) */
	struct tce__pseries_lists *lists; /* pseries: hcall list pages */
};

/*
 * One PE as the OS drives it: its windows and the kernel's DMA objects.
 * Every field is guarded by the owning group's rwlock (written with it held
 * for writing; the kernel DMA API reads with it held for reading).
 */
struct tce__tg {
	struct tce__rwlock *lock;      /* the owning group's rwlock (asserted by the ops) */
	const struct tce__group_ops *ops;
	const struct tce__env *env;
	struct tce__pe_desc pe;
	struct tce_group_info info;
	struct tce_iommu_table *tables[TCE_MAX_WINDOWS];
	struct tce_dma *dma32;         /* kernel DMA on the default window */
	struct tce_dma *dma64;         /* kernel DMA on a dynamic window (DYNAMIC) */
	enum tce_dma_mode ddw_mode;    /* DEFAULT (none), DYNAMIC, DIRECT or BYPASS */
	uint32_t ddw_slot;
	uint64_t ddw_base, ddw_size;
	bool ddw_failed;               /* the kernel's DDW failed: not retried */
	bool owner_ddw_failed;         /* pseries: an owner's DDW create failed: not retried */
	bool default_removed;          /* pseries: the default window is gone */
};

/*
 * A platform's table-group ops (spec kernel.md §6). Every op runs with the
 * group's rwlock held for writing, except table_size (no lock) and the
 * EEH ops (held for reading). Errors are errnos; an op that fails leaves
 * the group as it found it unless it says otherwise.
 */
struct tce__group_ops {
	/* Fill tg->info (pseries: with the RTAS query). Context: boot. */
	int (*probe)(struct tce__tg *tg);
	/*
	 * The kernel's default configuration: the default window and its DMA
	 * object (powernv: plus the bypass window on two-slot PEs). Called at
	 * boot and by restore_default on a group with no kernel DMA object.
	 */
	int (*boot)(struct tce__tg *tg);
	/* Bytes create_table charges for this geometry; -EINVAL if it cannot create one. */
	int (*table_size)(const struct tce__tg *tg, uint32_t page_shift, uint64_t window_size,
			  uint32_t levels, uint64_t *bytes);
	/*
	 * A table for slot req->num with a mirror. powernv: allocated, not
	 * programmed. pseries: the window is opened now and tables[num] keeps
	 * it. The caller checked the slot number and charged the size.
	 */
	int (*create_table)(struct tce__tg *tg, const struct tce_window_req *req,
			    struct tce_iommu_table **out);
	/* Program slot @num with @t; tables[num] takes a reference on success. */
	int (*set_window)(struct tce__tg *tg, uint32_t num, struct tce_iommu_table *t);
	/*
	 * Disable slot @num and drop tables[num] (no-op when empty). The table's
	 * TCEs are cleared (and released) first when this was its last PE.
	 * Goes on after a firmware error and returns it.
	 */
	int (*unset_window)(struct tce__tg *tg, uint32_t num);
	/*
	 * Hand the PE to an owner: the kernel's windows go (TCEs cleared
	 * first); the kernel's DMA objects are already destroyed.
	 */
	int (*take)(struct tce__tg *tg);
	/* Back to the kernel's default configuration after an owner or a failed take. */
	int (*restore_default)(struct tce__tg *tg);
	/* A 64-bit window for the kernel's DMA API; a failure falls back and is remembered. */
	void (*enable_ddw)(struct tce__tg *tg);
	/*
	 * EEH (spec vfio.md §1.5), with the group's lock held for reading.
	 * Thaw MMIO or DMA (TCE_EEH_FROZEN_MMIO or _DMA). -ENOENT when the
	 * firmware offers no EEH call for it.
	 */
	int (*eeh_thaw)(struct tce__tg *tg, uint32_t what);
	/* The PE's state as TCE_EEH_PE_STATE_*. */
	int (*eeh_get_state)(struct tce__tg *tg, uint32_t *state);
	/* TCE_EEH_RESET_DEACTIVATE, _HOT or _FUNDAMENTAL (the caller checked @kind). */
	int (*eeh_reset)(struct tce__tg *tg, uint32_t kind);
	/*
	 * Inject an error; the caller checked type 0/1 and function 0..19.
	 * The platform's policy: pseries accepts the MMIO functions 0, 1, 6, 7
	 * and freezes at once (-ERANGE otherwise); powernv arms all 20.
	 */
	int (*eeh_inject)(struct tce__tg *tg, uint32_t type, uint32_t func, uint64_t addr,
			  uint64_t mask);
};

/* The pseries and powernv EEH ops (eeh.c); legacy uses pseries'. */
int tce__eeh_ps_thaw(struct tce__tg *tg, uint32_t what);
int tce__eeh_ps_get_state(struct tce__tg *tg, uint32_t *state);
int tce__eeh_ps_reset(struct tce__tg *tg, uint32_t kind);
int tce__eeh_ps_inject(struct tce__tg *tg, uint32_t type, uint32_t func, uint64_t addr,
		       uint64_t mask);
int tce__eeh_pnv_thaw(struct tce__tg *tg, uint32_t what);
int tce__eeh_pnv_get_state(struct tce__tg *tg, uint32_t *state);
int tce__eeh_pnv_reset(struct tce__tg *tg, uint32_t kind);
int tce__eeh_pnv_inject(struct tce__tg *tg, uint32_t type, uint32_t func, uint64_t addr,
			uint64_t mask);

extern const struct tce__group_ops tce__pseries_group_ops;
extern const struct tce__group_ops tce__powernv_group_ops;
extern const struct tce__group_ops tce__legacy_group_ops;

/* Debug builds: the group's lock is held for writing (group ops) or at all (EEH ops). */
static inline void tce__tg_assert_write(struct tce__tg *tg)
{
	tce__assert(tce__rwlock_held_write(tg->lock));
}

static inline void tce__tg_assert_held(struct tce__tg *tg)
{
	tce__assert(tce__rwlock_held(tg->lock));
}

/* The kernel's DMA object over @t (MMIO32 reserved when the window covers it). */
int tce__tg_dma(struct tce__tg *tg, struct tce_iommu_table *t, struct tce_dma **out);

/* The kernel's DMA objects have live mappings. */
bool tce__tg_kernel_busy(struct tce__tg *tg);

/* Destroy the kernel's DMA objects (they must be idle). */
void tce__tg_kernel_dma_destroy(struct tce__tg *tg);

/* Unset both slots with the platform's op; the first error. */
int tce__tg_unset_all(struct tce__tg *tg);

/* pseries RTAS on behalf of a group (pseries_group.c); errnos. */
int tce__rtas_query(struct tce__tg *tg, uint32_t *avail, uint64_t *block, uint32_t *mask);
int tce__rtas_create(struct tce__tg *tg, uint32_t shift, uint32_t wshift, uint32_t *liobn,
		     uint64_t *bus);
int tce__rtas_remove(struct tce__tg *tg, uint32_t liobn);
int tce__rtas_reset(struct tce__tg *tg);

/* The default window of ibm,dma-window as a table of @entries 4 KiB entries. */
int tce__pseries_default_table(struct tce__tg *tg, uint64_t entries, bool mirror,
			       struct tce_iommu_table **out);

/* LoPAR query-mask bits as a mask of page shifts (bit n: 2^n bytes). */
uint64_t tce__ddw_mask_to_pgsizes(uint32_t mask);

#endif /* TCE_PLATFORM_PLATFORM_H */
