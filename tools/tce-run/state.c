/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shim's process-wide singleton, and the only one in libtce (STYLE 8):
 * the emulated machine, its OS, the VFIO process (tce_vfio_mm) and the
 * table that maps each emulated real fd to a library file number. Brought
 * up on first use from the environment tce-run sets, torn down at exit
 * (groups go back to the kernel, the testbed is removed). Front end.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* The identity region: the process's addresses from 4 GiB (above the machine's RAM) to 2^47. */
#define IDENTITY_START (4ull << 30)
#define IDENTITY_END (1ull << 47)

/* Wrappers called while the shim itself runs (init, the library) go straight to libc. */
static __thread int busy;

/*
 * Which fds below MARKED may be ours (emulated or the EEH break file), read
 * without the lock: every read() and write() of the program asks, and the
 * answer for its own fds must cost a load, not a lock and an fstat.
 */
#define MARKED 65536
static _Atomic uint8_t marked[MARKED];

static void mark(int fd, bool on)
{
	if (fd >= 0 && fd < MARKED)
		atomic_store_explicit(&marked[fd], on, memory_order_release);
}

/* Not ours for sure (the locked table has the answer otherwise). */
static bool unmarked(int fd)
{
	return fd >= 0 && fd < MARKED && !atomic_load_explicit(&marked[fd], memory_order_acquire);
}

struct sfd {
	int lib;      /* -1: not ours (or the EEH break file) */
	bool brk;     /* an fd of /sys/kernel/debug/powerpc/eeh_dev_break */
	int kind;
	ino_t ino;    /* the memfd's inode, to notice a number reused behind our back */
};

static struct {
	pthread_mutex_t lock;          /* guards everything below but the counters */
	pthread_once_t once;
	bool ready;
	pid_t pid;                     /* the process that built the state */
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_vfio_mm *mm;
	struct tce_vfio_mm_config mmcfg;  /* the process's page size and RLIMIT_MEMLOCK */
	char testbed[PATH_MAX];
	struct sfd *fds;               /* indexed by real fd */
	int nfds;
	uint32_t *libref;              /* real fds per library file number */
	int nlib;
	bool explain, stats;
	FILE *log;
	_Atomic uint64_t count[ST_N];
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

void *shim_real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void shim_lock(void)
{
	pthread_mutex_lock(&S.lock);
}

void shim_unlock(void)
{
	pthread_mutex_unlock(&S.lock);
}

void shim_count(enum shim_stat s, uint64_t n)
{
	atomic_fetch_add(&S.count[s], n);
}

void shim_explain(const char *fmt, ...)
{
	va_list ap;

	if (S.explain) {
		va_start(ap, fmt);
		fputs("tce-run: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	if (S.log) {
		va_start(ap, fmt);
		vfprintf(S.log, fmt, ap);
		fputc('\n', S.log);
		va_end(ap);
		fflush(S.log);
	}
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	if (!S.log)
		return;
	va_start(ap, fmt);
	vfprintf(S.log, fmt, ap);
	va_end(ap);
	fflush(S.log);
}

/* The library's own messages go to the log; a refusal's reason to explain.c. */
static void lib_log(void *arg, enum tce_log_level level, const char *msg)
{
	(void)arg;
	if (level == TCE_LOG_NOTICE)
		shim_notice(msg);
	else
		logf_("libtce: %s\n", msg);
}

static int machine_up(const char *what)
{
	struct tce_host_config cfg = { .page_shift = sysconf(_SC_PAGESIZE) == 65536 ? 16 : 12 };
	struct tce_mem_region r = { .real_start = IDENTITY_START,
				    .size = IDENTITY_END - IDENTITY_START, .page_shift = 12 };
	struct tce_vfio_mm_config mc = { .page_shift = cfg.page_shift };
	struct rlimit rl;
	int rc;

	if (!strcmp(what, "powernv"))
		rc = tce_machine_create_default(TCE_PLATFORM_POWERNV, &S.m);
	else if (!strcmp(what, "pseries") || !strcmp(what, "legacy"))
		rc = tce_machine_create_default(TCE_PLATFORM_PSERIES, &S.m);
	else
		rc = tce_machine_create_dtb_file(what, NULL, &S.m);
	if (rc)
		return rc;
	tce_ctx_set_log(tce_machine_ctx(S.m), lib_log, NULL,
			S.explain || S.log ? TCE_LOG_NOTICE : TCE_LOG_WARN);
	tce_machine_set_fault_fn(S.m, shim_fault, NULL);
	if (!strcmp(what, "legacy"))
		cfg.profile = TCE_OS_LEGACY;
	rc = tce_host_create_config(S.m, &cfg, &S.h);
	if (!rc)
		rc = tce_machine_add_region(S.m, &r);
	/* RLIMIT_MEMLOCK is the account's limit; root has CAP_IPC_LOCK. */
	if (geteuid() && !getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY)
		mc.memlock_limit = rl.rlim_cur ? rl.rlim_cur : 1;
	S.mmcfg = mc;
	if (!rc)
		rc = tce_vfio_mm_create(tce_machine_ctx(S.m), &mc, &S.mm);
	return rc;
}

/* ---- fork: the child is another process (the kernel's mm rule) ---- */

static void fork_prepare(void)
{
	pthread_mutex_lock(&S.lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&S.lock);
}

/*
 * The child holds the same files as another process: each is shared into a
 * new mm, so a container the parent owns answers the child -EPERM. The
 * parent's copy of the state stays in the child's memory, unused; the child
 * tears nothing down at exit (the device threads did not survive the fork).
 */
static void fork_child(void)
{
	struct tce_vfio_mm *mm;
	int fd, *map = NULL;

	pthread_mutex_init(&S.lock, NULL);
	if (!S.ready)
		return;
	busy++;
	if (tce_vfio_mm_create(tce_machine_ctx(S.m), &S.mmcfg, &mm))
		goto fail;
	map = malloc((size_t)(S.nlib ? S.nlib : 1) * sizeof(*map));
	if (!map)
		goto fail;
	for (fd = 0; fd < S.nlib; fd++)
		map[fd] = S.libref[fd] ? tce_vfio_share(S.mm, fd, mm) : -1;
	memset(S.libref, 0, (size_t)S.nlib * sizeof(*S.libref));
	for (fd = 0; fd < S.nfds; fd++) {
		int lib = S.fds[fd].lib;

		if (lib < 0)
			continue;
		S.fds[fd].lib = map[lib];
		if (map[lib] >= 0 && map[lib] < S.nlib)
			S.libref[map[lib]]++;
		else
			S.fds[fd].lib = -1;
	}
	free(map);
	S.mm = mm;
	busy--;
	return;
fail:
	free(map);
	S.ready = false; /* the child runs without the shim's devices */
	busy--;
}

static void init_once(void)
{
	const char *machine = getenv(SHIM_ENV_MACHINE), *logp = getenv(SHIM_ENV_LOG);
	int rc;

	S.pid = getpid();
	S.explain = getenv(SHIM_ENV_EXPLAIN) && !strcmp(getenv(SHIM_ENV_EXPLAIN), "1");
	S.stats = getenv(SHIM_ENV_STATS) && !strcmp(getenv(SHIM_ENV_STATS), "1");
	if (logp && *logp)
		S.log = fopen(logp, "ae");
	rc = machine_up(machine && *machine ? machine : "powernv");
	if (!rc) {
		const char *tmp = getenv("TMPDIR");

		snprintf(S.testbed, sizeof(S.testbed), "%s/tce-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		rc = mkdtemp(S.testbed) ? shim_testbed_build(S.testbed, S.m, S.h) : -errno;
	}
	if (rc) {
		fprintf(stderr, "tce-run: cannot bring up the machine: %s\n", tce_strerror(rc));
		return;
	}
	setenv(SHIM_ENV_TESTBED, S.testbed, 1);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	S.ready = true;
}


void shim_enter(void)
{
	busy++;
}

void shim_leave(void)
{
	busy--;
}

bool shim_ready(void)
{
	if (busy)
		return false;
	busy++;
	pthread_once(&S.once, init_once);
	busy--;
	return S.ready;
}

bool shim_live(void)
{
	return S.ready && !busy;
}

struct tce_vfio_mm *shim_mm(void)
{
	return S.mm;
}

struct tce_host *shim_host(void)
{
	return S.h;
}

const char *shim_testbed(void)
{
	return S.testbed;
}

int shim_group_number(struct tce_group *g)
{
	uint32_t i;

	for (i = 0; i < tce_host_ngroups(S.h); i++)
		if (tce_host_group(S.h, i) == g)
			return (int)i;
	return -1;
}

/* ---- emulated fds ---- */

static ino_t inode_of(int fd)
{
	struct stat st;

	return syscall(SYS_fstat, fd, &st) ? 0 : st.st_ino;
}

/* The library file @lib loses one real fd; the last closes it. Context: lock held. */
static void lib_unref(int lib)
{
	if (lib < S.nlib && S.libref[lib] && --S.libref[lib] == 0) {
		busy++;
		tce_vfio_close(S.mm, lib);
		busy--;
	}
}

/* Forget @fd. Context: lock held. */
static void forget(int fd)
{
	int lib = S.fds[fd].lib;

	S.fds[fd].lib = -1;
	if (!S.fds[fd].brk)
		mark(fd, false);
	lib_unref(lib);
}

int shim_fd_lib(int fd, int *kind)
{
	int lib = -1;

	if (fd < 0 || !S.ready || busy || unmarked(fd))
		return -1;
	shim_lock();
	if (fd < S.nfds && S.fds[fd].lib >= 0) {
		if (inode_of(fd) == S.fds[fd].ino) {
			lib = S.fds[fd].lib;
			*kind = S.fds[fd].kind;
		} else {
			forget(fd); /* closed behind our back (close_range, a raw syscall) */
		}
	}
	shim_unlock();
	return lib;
}

static bool grow(void **p, int *n, int want, size_t elem, int fill)
{
	int cap = *n ? *n : 64;
	void *q;

	while (cap <= want)
		cap *= 2;
	if (cap == *n)
		return true;
	q = realloc(*p, (size_t)cap * elem);
	if (!q)
		return false;
	memset((char *)q + (size_t)*n * elem, fill, (size_t)(cap - *n) * elem);
	*p = q;
	*n = cap;
	return true;
}

/* Record @fd as a real fd of @lib. Context: lock held. */
static bool record(int fd, int lib, int kind)
{
	if (!grow((void **)&S.fds, &S.nfds, fd, sizeof(*S.fds), 0xff) ||
	    !grow((void **)&S.libref, &S.nlib, lib, sizeof(*S.libref), 0))
		return false;
	if (S.fds[fd].lib >= 0)
		forget(fd);
	S.fds[fd] = (struct sfd){ .lib = lib, .kind = kind, .ino = inode_of(fd) };
	S.libref[lib]++;
	mark(fd, true);
	return true;
}

int shim_fd_new(int lib, int kind, bool cloexec)
{
	static const char *const names[] = { "", "vfio-container", "vfio-group", "vfio-device" };
	int fd = memfd_create(names[kind], cloexec ? MFD_CLOEXEC : 0);

	if (fd < 0) {
		int e = errno;

		busy++;
		tce_vfio_close(S.mm, lib);
		busy--;
		return -e;
	}
	shim_lock();
	if (!record(fd, lib, kind)) {
		busy++;
		tce_vfio_close(S.mm, lib);
		busy--;
		shim_unlock();
		syscall(SYS_close, fd);
		return -ENOMEM;
	}
	shim_unlock();
	return fd;
}

void shim_fd_dup(int oldfd, int newfd)
{
	if (!S.ready || busy || oldfd < 0 || newfd < 0 || (unmarked(oldfd) && unmarked(newfd)))
		return;
	shim_lock();
	if (newfd < S.nfds && S.fds[newfd].lib >= 0)
		forget(newfd); /* dup2 over one of ours closed it */
	if (oldfd < S.nfds && S.fds[oldfd].lib >= 0)
		record(newfd, S.fds[oldfd].lib, S.fds[oldfd].kind);
	shim_unlock();
}

void shim_fd_mark_break(int fd)
{
	if (!S.ready || fd < 0)
		return;
	shim_lock();
	if (grow((void **)&S.fds, &S.nfds, fd, sizeof(*S.fds), 0xff)) {
		if (S.fds[fd].lib >= 0)
			forget(fd);
		S.fds[fd] = (struct sfd){ .lib = -1, .brk = true, .ino = inode_of(fd) };
		mark(fd, true);
	}
	shim_unlock();
}

bool shim_fd_is_break(int fd)
{
	bool brk = false;

	if (fd < 0 || !S.ready || busy || unmarked(fd))
		return false;
	shim_lock();
	if (fd < S.nfds && S.fds[fd].brk) {
		brk = inode_of(fd) == S.fds[fd].ino;
		S.fds[fd].brk = brk;
		mark(fd, brk || S.fds[fd].lib >= 0);
	}
	shim_unlock();
	return brk;
}

void shim_fd_closed(int fd)
{
	if (!S.ready || busy || fd < 0 || unmarked(fd))
		return;
	shim_lock();
	if (fd < S.nfds && S.fds[fd].lib >= 0)
		forget(fd);
	if (fd < S.nfds && S.fds[fd].brk) {
		S.fds[fd].brk = false;
		mark(fd, false);
	}
	shim_unlock();
}

/* ---- exit ---- */

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) ? 0 : 0; /* best effort: the rest still goes */
}

/* The testbed goes with the process that made it (no shell: children inherit the shim). */
static void remove_tree(const char *dir)
{
	if (dir[0] == '/')
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void report(FILE *out)
{
	fprintf(out, "tce-run: %llu ioctls (%llu refused), %llu IOMMU pages mapped, "
		"%llu DMA faults, %llu EEH operations\n",
		(unsigned long long)S.count[ST_IOCTL], (unsigned long long)S.count[ST_IOCTL_FAILED],
		(unsigned long long)S.count[ST_MAPPED_PAGES],
		(unsigned long long)S.count[ST_DMA_FAULTS], (unsigned long long)S.count[ST_EEH]);
}

__attribute__((destructor)) static void shim_fini(void)
{
	if (!S.ready || S.pid != getpid())
		return;
	shim_bars_stop();
	busy++;
	fflush(stdout); /* the program's output first, then the report */
	if (S.stats)
		report(stderr);
	if (S.log)
		report(S.log);
	tce_vfio_mm_destroy(S.mm);
	tce_host_destroy(S.h);
	tce_machine_destroy(S.m);
	S.ready = false;
	remove_tree(S.testbed);
	if (S.log)
		fclose(S.log);
	busy--;
}
