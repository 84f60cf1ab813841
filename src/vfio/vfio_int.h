/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO layer's objects: a process (struct tce_vfio_mm: open files,
 * preregistered memory, the locked-memory account), and the three kinds of
 * open file it can hold: containers with their SPAPR TCE IOMMU state, groups
 * and devices. Layer: vfio. Includes the group layer's cross-layer header,
 * util and the public header.
 *
 * References: an object lives while file numbers (in any mm) or other
 * objects hold it: a device file holds its group file, a group file set on a
 * container holds the container, a container whose IOMMU state captured an
 * mm holds that mm. Locks, outermost first: an mm's file lock (only to find
 * or install a file), a group file's lock, the container's lock (written
 * for state changes, read by map, unmap, info and EEH), a window's lock
 * (map and unmap of that window), then the table's and the group's own
 * locks, then the owner mm's region lock (never held while calling out).
 */
#ifndef TCE_VFIO_VFIO_INT_H
#define TCE_VFIO_VFIO_INT_H

#include <pthread.h>

#include <linux/vfio.h>

#include "domain/domain.h"
#include "vfio/mm.h"
#include "vfio/pins.h"

struct tce__vobj {
	atomic_uint refs;
	enum tce_vfio_kind kind;
};

struct tce_vfio_mm {
	struct tce_ctx *ctx;
	atomic_uint refs;             /* the process, plus each container state that captured it */
	struct tce__mm mem;           /* regions and the locked-memory account */
	struct tce__pins pins;        /* pages v1 maps pinned */
	struct tce__lock files_lock;  /* guards files and nfiles */
	struct tce__vobj **files;     /* indexed by file number; NULL: free */
	uint32_t nfiles;
};

/* One of a container's two window slots. */
struct tce__vwin {
	struct tce__vcontainer *c;
	struct tce__lock lock;        /* serialises map and unmap of the window */
	struct tce_iommu_table *t;    /* NULL: empty; written under the container's write lock */
	struct tce_iommu_table_info info;
	bool borrowed;                /* v1: the group's default window, not the container's */
};

struct tce__vgroup;
struct tce__vcontainer;

/* One Type1 mapping (the kernel's struct vfio_dma): its pages are pinned and charged. */
struct tce__t1map {
	uint64_t iova, size, vaddr;
	uint32_t prot;                /* TCE_DOMAIN_READ | TCE_DOMAIN_WRITE */
};

/* The Type1v2 IOMMU state of a container that offers it (type1.c). */
struct tce__vtype1 {
	bool offered;                 /* TCE_VFIO_TYPE1; fixed at open */
	uint32_t limit;               /* dma_entry_limit; fixed at open */
	struct tce_domain_config cfg; /* the windows asked for (all 0: chosen); fixed at open */
	/* While the type is a Type1 one (written under the container's write lock): */
	struct tce_domain *dom;
	bool v2;                      /* VFIO_TYPE1v2_IOMMU, not VFIO_TYPE1_IOMMU */
	uint64_t pgsizes;             /* what GET_INFO reports (sub-system pages hidden) */
	/* Guarded by lock (the kernel's iommu->lock), under the container's read lock: */
	struct tce__lock lock;
	struct tce__t1map *v;         /* sorted by iova, never overlapping */
	uint32_t n, cap;
	bool dirty_tracking;
};

struct tce__vcontainer {
	struct tce__vobj o;
	struct tce_ctx *ctx;
	struct tce__rwlock lock;
	struct tce__vgroup **groups;  /* set on this container, in order */
	uint32_t ngroups, galloc;
	/* The IOMMU state: type 0 until VFIO_SET_IOMMU, again after its last group leaves. */
	uint32_t type;                /* 0, VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,
				       * VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU */
	bool enabled;                 /* v1: ENABLE; v2: the first REGISTER_MEMORY */
	bool def_window_pending;
	struct tce_vfio_mm *owner;    /* the captured process (one reference), or NULL */
	uint64_t v1_locked;           /* bytes ENABLE charged */
	struct tce__vwin win[2];
	struct tce__mm_region **prereg; /* regions this container registered */
	uint32_t nprereg, palloc;
	struct tce__vtype1 t1;
};

struct tce__vgroup {
	struct tce__vobj o;
	struct tce_ctx *ctx;
	struct tce_group *g;
	struct tce__lock lock;        /* guards c and ndevs */
	struct tce__vcontainer *c;    /* one reference while set */
	uint32_t ndevs;               /* device files open */
	struct tce__vpci *pcis;       /* the functions they name */
};

/*
 * A PCI function opened through vfio-pci: one per function however many
 * device files name it (the kernel's open_count), kept on its group file.
 */
struct tce__vpci {
	struct tce__vpci *next;       /* the group file's list, guarded by its lock */
	uint32_t opens;               /* device files; guarded by the group file's lock */
	struct tce_ctx *ctx;
	struct tce_device *d;
	struct tce_pci_dev *pci;
	/* What vfio-pci learns at the first open: fixed afterwards. */
	uint32_t cfg_size;            /* 256 or 4096 (PCI Express) */
	uint32_t msix_cap, msix_count, msix_bar;
	uint64_t msix_start, msix_end; /* the MSI-X table inside its BAR */
	uint64_t bar_size[6];
	bool intx, reset_works;
	/* Interrupts (vfio_pci_intrs.c), guarded by lock. */
	struct tce__lock lock;
	int irq_type;                 /* -1 none, else the VFIO_PCI_*_IRQ_INDEX in use */
	int *trigger;                 /* MSI-X: one eventfd (ours, duplicated) per vector, or -1 */
	uint32_t ntrigger;
	int err_fd, req_fd;
};

struct tce__vdevice {
	struct tce__vobj o;
	struct tce__vgroup *vg;       /* one reference */
	struct tce__vpci *p;
};

/*
 * why.c: a refusal's reason. vfio_refuse() logs "vfio: " + the reason at
 * TCE_LOG_NOTICE and gives @err; its arguments are not even evaluated when
 * no callback takes notices, so an error path costs one test. The text
 * helpers return their words by value (a temporary that lives until the
 * end of the full expression: pass `.s` straight to vfio_refuse()).
 */
#define vfio_refuse(ctx, err, fmt, ...)                                                 \
	(tce__log_on((ctx), TCE_LOG_NOTICE) ? tce__refuse((ctx), (err), "vfio: " fmt,   \
							   ##__VA_ARGS__)                \
					    : (long)(err))
struct tce__vword {
	char s[24];
};
struct tce__vwtext {
	char s[112];
};
struct tce__vtext {
	char s[240];
};
/* "4 KiB", "2 GiB", "24" (bytes), or hex when not a whole unit. */
struct tce__vword tce__vsize(uint64_t bytes);
/* A bus address: "0", "2^59" (powers of two from 4 GiB), else hex. */
struct tce__vword tce__vaddr(uint64_t addr);
/* "[2^59, 2^59 + 1 GiB) 64 KiB pages". */
struct tce__vwtext tce__vwindow(const struct tce_iommu_table_info *i);
/* "windows are A and B", "the only window is A", or that there is none. */
struct tce__vtext tce__vwindows(const struct tce__vcontainer *c);
/* "4 KiB, 64 KiB, 2 MiB" for a mask whose bit n is 2^n. */
struct tce__vtext tce__vpgsizes(uint64_t mask);

/* files.c */
void tce__vobj_get(struct tce__vobj *o);
void tce__vobj_put(struct tce__vobj *o);
/* Install @o (one new reference taken) at the lowest free number of @mm. */
int tce__vfile_install(struct tce_vfio_mm *mm, struct tce__vobj *o);
/* The object of file number @fd with one reference, or NULL. */
struct tce__vobj *tce__vfile_get(struct tce_vfio_mm *mm, int fd);
void tce__vmm_get(struct tce_vfio_mm *mm);
void tce__vmm_put(struct tce_vfio_mm *mm);

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* An operation met the pending default window: make it and call again (no errno). */
#define NEED_DEFAULT (-4097L)

/*
 * The first @minsz bytes of the caller's struct at @arg, once its argsz says
 * they are there (never a byte past argsz): -EFAULT, -EINVAL, with a reason.
 */
int tce__varg_in(struct tce_ctx *ctx, void *dst, const void *arg, size_t minsz, const char *what);
/* The struct @type up to and including @member. */
#define arg_in(ctx, dst, arg, type, member) \
	tce__varg_in((ctx), (dst), (arg), offsetofend(type, member), #type)

/* container.c: what the request files share. Context: the container's lock held. */
struct tce_group *tce__vc_group0(const struct tce__vcontainer *c);
/* The mm whose memory and account the container uses: the owner, or the caller. */
struct tce_vfio_mm *tce__vc_mm(struct tce__vcontainer *c, struct tce_vfio_mm *caller);
/* The first call that needs a process makes the caller the owner. */
void tce__vc_capture(struct tce__vcontainer *c, struct tce_vfio_mm *caller);
/* The window holding bus address @iova, or NULL. */
struct tce__vwin *tce__vc_window(struct tce__vcontainer *c, uint64_t iova);

/* map.c: MAP_DMA, UNMAP_DMA and the release callbacks they rely on. */
long tce__vc_map_dma(struct tce__vcontainer *c, void *arg);
long tce__vc_unmap_dma(struct tce__vcontainer *c, void *arg);
void tce__vc_release_v2(void *arg, uint64_t idx, uint64_t real, bool dirty);
void tce__vc_release_v1(void *arg, uint64_t idx, uint64_t real, bool dirty);

/* prereg.c: REGISTER_MEMORY and UNREGISTER_MEMORY (v2). */
long tce__vc_register(struct tce__vcontainer *c, struct tce_vfio_mm *caller, void *arg);
long tce__vc_unregister(struct tce__vcontainer *c, void *arg);

/* type1.c: the Type1v2 IOMMU (DECISIONS 26) over a domain. */
int tce__t1_init(struct tce__vtype1 *t, const struct tce_vfio_container_config *cfg);
void tce__t1_fini(struct tce__vtype1 *t);
/* CHECK_EXTENSION's Type1 answers for @ext: 1 or 0. */
long tce__t1_check_extension(const struct tce__vcontainer *c, unsigned long ext);
/* Whether IOMMU type @type is one of Type1's (served by type1.c). */
static inline bool tce__is_type1(uint32_t type)
{
	return type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU;
}
/* SET_IOMMU(@type, a Type1 one): the domain over every group. Context: write lock held. */
int tce__t1_set(struct tce__vcontainer *c, struct tce_vfio_mm *caller, uint32_t type);
/* Group @g joins (GROUP_SET_CONTAINER after SET_IOMMU). Context: write lock held. */
int tce__t1_attach(struct tce__vcontainer *c, struct tce_group *g);
/* Group @g leaves; the last takes every mapping with it. Context: write lock held. */
void tce__t1_detach(struct tce__vcontainer *c, struct tce_group *g, bool last);
/* The state goes with the type: the domain destroyed. Context: write lock held. */
void tce__t1_release(struct tce__vcontainer *c);
/* The Type1 driver's requests. Context: the container's read lock held. */
long tce__t1_request(struct tce__vcontainer *c, struct tce_vfio_mm *caller,
		     unsigned long request, void *arg);
/* The geometry of the domain's window holding @iova: 0 or -ENXIO. Context: lock held. */
int tce__t1_window(struct tce__vcontainer *c, uint64_t iova, struct tce_iommu_table_info *out);

/* pe_op.c: VFIO_EEH_PE_OP. */
long tce__vc_eeh_pe_op(struct tce__vcontainer *c, void *arg);

/* container.c: the container ioctls, and what the group file needs of them. */
struct tce__vcontainer *tce__vcontainer_new(struct tce_ctx *ctx,
					    const struct tce_vfio_container_config *cfg);
void tce__vcontainer_free(struct tce__vcontainer *c);
long tce__vcontainer_ioctl(struct tce_vfio_mm *mm, struct tce__vcontainer *c,
			   unsigned long request, void *arg);
/* Set @vg on @c (ownership taken): GROUP_SET_CONTAINER after the checks. */
int tce__vcontainer_attach(struct tce__vcontainer *c, struct tce__vgroup *vg);
/* Take @vg off its container and give its group back. Context: vg->lock held. */
void tce__vcontainer_detach(struct tce__vgroup *vg);

/* device.c */
/* The first device file of @d: learn the function, reset it, enable it. */
int tce__vpci_open(struct tce__vpci *p, struct tce_ctx *ctx, struct tce_device *d);
/* The last one closed: interrupts off, the function reset. */
void tce__vpci_close(struct tce__vpci *p);
long tce__vdevice_ioctl(struct tce__vdevice *vd, unsigned long request, void *arg);

/* group.c */
void tce__vgroup_release(struct tce__vgroup *vg);
void tce__vdevice_release(struct tce__vdevice *vd);
long tce__vgroup_ioctl(struct tce_vfio_mm *mm, struct tce__vgroup *vg, unsigned long request,
		       void *arg);

#endif /* TCE_VFIO_VFIO_INT_H */
