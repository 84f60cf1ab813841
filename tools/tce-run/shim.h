/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tce-run preload shim: what its files share. state.c holds the one
 * process-wide singleton (the machine, the OS, the VFIO process and the
 * table of emulated fds); testbed.c writes the sysfs and /dev/vfio tree the
 * path wrappers (paths.c) redirect into; fds.c wraps the fd-taking calls
 * (ioctl, close, dup, mmap, pread...). Compiled without
 * _FILE_OFFSET_BITS=64 so that both the plain and the 64-bit names can be
 * defined. Front end: includes the public header only.
 */
#ifndef TCE_RUN_SHIM_H
#define TCE_RUN_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tce.h>

/* The environment tce-run passes to the shim. */
#define SHIM_ENV_MACHINE "TCE_RUN_MACHINE"   /* powernv, pseries, legacy or a .dtb path */
#define SHIM_ENV_LOG "TCE_RUN_LOG"           /* a file for the log and the final report */
#define SHIM_ENV_EXPLAIN "TCE_RUN_EXPLAIN"   /* "1": explain refusals on stderr */
#define SHIM_ENV_STATS "TCE_RUN_STATS"       /* "1": the report on stderr at exit */
#define SHIM_ENV_TYPE1 "TCE_RUN_TYPE1"       /* "1": containers also offer Type1v2 */
#define SHIM_ENV_TESTBED "TCE_RUN_TESTBED"   /* set by the shim: its tree */

/* The major of the groups' character devices (the kernel's dynamic "vfio" major). */
#define SHIM_VFIO_GROUP_MAJOR 242u

/* The real libc function @name (NULL when this libc lacks it); REAL() finds it once per site. */
void *shim_real(const char *name);
#define REAL(name, type)                                                     \
	({                                                                   \
		static void *real_;                                          \
		void *r_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE);        \
		if (!r_) {                                                   \
			r_ = shim_real(#name);                               \
			__atomic_store_n(&real_, r_, __ATOMIC_RELEASE);      \
		}                                                            \
		(type)r_;                                                    \
	})

/* ---- state.c: the singleton ---- */

/*
 * Brings the machine up on first use. false when it failed, or while the
 * shim itself is running on this thread (between shim_enter() and
 * shim_leave(): calls into the library), when wrappers go straight to libc.
 */
bool shim_ready(void);
void shim_enter(void);
void shim_leave(void);
/* This process's pid, kept (a system call saved per access to the program's memory). */
pid_t shim_pid(void);
/* Up and not busy, without bringing it up (no emulated fd exists before). */
bool shim_live(void);
struct tce_vfio_mm *shim_mm(void);
struct tce_host *shim_host(void);
/* A new container file of shim_mm(), offering Type1 under --type1. */
int shim_open_container(void);
const char *shim_testbed(void);
void shim_lock(void);
void shim_unlock(void);

/* The group number of host group @g (its index), or -1. */
int shim_group_number(struct tce_group *g);

/* An emulated fd's object: its library file number and kind, or -1. Context: any. */
int shim_fd_lib(int fd, int *kind);
/* A new emulated real fd for library file @lib (memfd; @cloexec as O_CLOEXEC). */
int shim_fd_new(int lib, int kind, bool cloexec);
/* @newfd now names what @oldfd names (dup, dup2, dup3, F_DUPFD). */
void shim_fd_dup(int oldfd, int newfd);
/* @fd is open on the EEH break file (debugfs); is it? */
void shim_fd_mark_break(int fd);
bool shim_fd_is_break(int fd);
/* @fd was closed: the object goes with its last fd. */
void shim_fd_closed(int fd);

/* Counters for --stats (each an atomic add; the report is printed at exit). */
enum shim_stat {
	ST_IOCTL, ST_IOCTL_FAILED,   /* emulated ioctls, and those refused */
	ST_DMA_FAULTS,               /* faults of device DMA (the machine's fault callback) */
	ST_DMA_RECOVERED,            /* of those, recovered at once (libtce,dma-fault "recover") */
	ST_MMIO_FAULTS,              /* MMIO and config accesses that froze a PE */
	ST_EEH,                      /* EEH_PE_OP calls that succeeded, eeh_dev_break writes */
	ST_BAR_MAPS,                 /* mmaps of a BAR */
	ST_N
};
void shim_count(enum shim_stat s, uint64_t n);
/* Slots of the per-request counts: the last one counts requests with no name. */
#define SHIM_NREQ 32
/* Errnos counted one by one per request (Linux's go to 133); others share slot 0. */
#define SHIM_NERRNO 134
/* Request slot @idx returned @rc (>= 0, or a negative errno). */
void shim_count_request(int idx, long rc);
/* @n IOMMU pages mapped by MAP_DMA (@map) or cleared by UNMAP_DMA. */
void shim_count_tces(bool map, uint64_t n);

/* A refused request, explained (with --explain and in the log). */
void shim_explain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- eeh_break.c ---- */

/* The path of the kernel's EEH debugfs file that freezes a function's PE. */
#define SHIM_EEH_BREAK "/sys/kernel/debug/powerpc/eeh_dev_break"
/* A write of "DDDD:BB:DD.F" to it: the bytes, or -1 with errno. */
ssize_t shim_eeh_break(const void *buf, size_t len);

/* ---- bars.c ---- */

/* The program mapped [addr, addr + len) of a BAR of @g's PE, backed by @bar. */
void shim_bars_add(void *addr, size_t len, void *bar, struct tce_group *g);
/* The program unmaps [addr, addr + len): true when it held a BAR mapping. */
bool shim_bars_remove(void *addr, size_t len);
/* Each mapping shows all ones exactly while its PE's MMIO is frozen. */
void shim_bars_sync(void);
/* PE @pe of PHB @phb just froze (the machine's fault callback, its PE lock held). */
void shim_bars_fault(uint32_t phb, uint32_t pe);
/* Stop the thread that follows freezes (at exit). */
void shim_bars_stop(void);

/* ---- memory.c ---- */

/* Unmap the ranges munmap or mremap left to the device once nothing registered covers them. */
void shim_release_kept(void);

/* ---- explain.c: --explain, the log, fault and EEH counts ---- */

/* A reason the library logged (TCE_LOG_NOTICE) on this thread during the current ioctl. */
void shim_notice(const char *msg);
/* An emulated ioctl returned @rc: count it (EEH ops) and explain a refusal. */
/*
 * The kind a Type1 container's requests are named under where their numbers
 * are the sPAPR ones (GET_INFO, DIRTY_PAGES): beside enum tce_vfio_kind.
 */
#define SHIM_KIND_TYPE1 16
void shim_ioctl_done(int kind, unsigned long req, long rc);
/* The machine's fault callback: count DMA faults and explain each fault. */
void shim_fault(void *arg, const struct tce_fault_event *ev);
/* The request's name on an fd of @kind ("MAP_DMA"), or NULL. */
const char *shim_request_name(int kind, unsigned long req);
/* The request's slot in the per-request counts, 0 .. SHIM_NREQ - 1 (the last: no name). */
int shim_request_index(int kind, unsigned long req);
/* The name of slot @idx, or NULL for an unused slot. */
const char *shim_request_label(int idx);
/* A MAP_DMA or UNMAP_DMA on container file @lib succeeded with the struct @arg: count its TCEs. */
void shim_dma_done(int lib, unsigned long req, const void *arg);

/* ---- testbed.c ---- */

/* Write the tree for machine @m and its OS @h under @dir: sys/... and dev/vfio/... 0 or -errno. */
int shim_testbed_build(const char *dir, struct tce_machine *m, struct tce_host *h);
/* Remove the testbed tree @dir (best effort; an absolute path only). */
void shim_testbed_remove(const char *dir);
/*
 * Remove the testbeds in @tmp left by processes that are gone (named
 * tce-run.<pid>.<6 random characters>, owned by this user, <pid> no longer running).
 */
void shim_testbed_reap(const char *tmp);

/* ---- paths.c ---- */

/*
 * The testbed path for @path in @buf when the shim owns it (/dev/vfio...,
 * the PCI and IOMMU-group parts of /sys), else @path itself.
 */
const char *shim_path(const char *path, char *buf, size_t size);

#endif /* TCE_RUN_SHIM_H */
