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
#include <time.h>
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
	pid_t self;                    /* this process (a fork's child: its own) */
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_vfio_mm *mm;
	struct tce_vfio_mm_config mmcfg;  /* the process's page size and RLIMIT_MEMLOCK */
	char testbed[PATH_MAX];
	struct sfd *fds;               /* indexed by real fd */
	int nfds;
	uint32_t *libref;              /* real fds per library file number */
	int nlib;
	bool explain, stats, type1;
	FILE *log;
	struct timespec start;         /* when the program started (the shim was loaded) */
	/* The --stats counters: atomics, written by any thread without the lock. */
	_Atomic uint64_t count[ST_N];
	_Atomic uint64_t req_ok[SHIM_NREQ];
	_Atomic uint32_t req_err[SHIM_NREQ][SHIM_NERRNO]; /* [0]: errnos past the table */
	_Atomic uint64_t tces_mapped, tces_unmapped;
	_Atomic int64_t tces_live, tces_peak; /* mapped less unmapped; its most */
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
	atomic_fetch_add_explicit(&S.count[s], n, memory_order_relaxed);
}

void shim_count_request(int idx, long rc)
{
	if (idx < 0 || idx >= SHIM_NREQ)
		return;
	if (rc >= 0)
		atomic_fetch_add_explicit(&S.req_ok[idx], 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&S.req_err[idx][-rc < SHIM_NERRNO ? -rc : 0], 1,
					  memory_order_relaxed);
}

void shim_count_tces(bool map, uint64_t n)
{
	int64_t live, peak;

	if (!map) {
		atomic_fetch_add_explicit(&S.tces_unmapped, n, memory_order_relaxed);
		atomic_fetch_sub_explicit(&S.tces_live, (int64_t)n, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&S.tces_mapped, n, memory_order_relaxed);
	live = atomic_fetch_add_explicit(&S.tces_live, (int64_t)n, memory_order_relaxed) + (int64_t)n;
	peak = atomic_load_explicit(&S.tces_peak, memory_order_relaxed);
	while (live > peak && !atomic_compare_exchange_weak_explicit(&S.tces_peak, &peak, live,
								    memory_order_relaxed,
								    memory_order_relaxed))
		;
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
	S.self = getpid();
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

/* The run's clock starts as the program does; the machine comes up later, on first use. */
__attribute__((constructor)) static void shim_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &S.start);
}

static void init_once(void)
{
	const char *machine = getenv(SHIM_ENV_MACHINE), *logp = getenv(SHIM_ENV_LOG);
	int rc;

	S.pid = S.self = getpid();
	S.explain = getenv(SHIM_ENV_EXPLAIN) && !strcmp(getenv(SHIM_ENV_EXPLAIN), "1");
	S.stats = getenv(SHIM_ENV_STATS) && !strcmp(getenv(SHIM_ENV_STATS), "1");
	S.type1 = getenv(SHIM_ENV_TYPE1) && !strcmp(getenv(SHIM_ENV_TYPE1), "1");
	if (logp && *logp)
		S.log = fopen(logp, "ae");
	rc = machine_up(machine && *machine ? machine : "powernv");
	if (!rc) {
		const char *tmp = getenv("TMPDIR");

		tmp = tmp && *tmp ? tmp : "/tmp";
		shim_testbed_reap(tmp);
		/* mkdtemp() fills the six-character template at the end */
		snprintf(S.testbed, sizeof(S.testbed), "%s/tce-run.%d.XXXXXX", tmp, (int)S.pid);
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

pid_t shim_pid(void)
{
	return S.self;
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

int shim_open_container(void)
{
	struct tce_vfio_container_config cfg = { .flags = S.type1 ? TCE_VFIO_TYPE1 : 0 };

	return tce_vfio_open_container_config(S.mm, &cfg);
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

/* "64 KiB", "2 MiB" for whole units, else "100 bytes". */
static void bytes_text(uint64_t v, char *buf, size_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;

	while (u < 3 && v >= 1024 && !(v & 1023))
		v >>= 10, u++;
	if (u < 0)
		snprintf(buf, n, "%llu bytes", (unsigned long long)v);
	else
		snprintf(buf, n, "%llu %s", (unsigned long long)v, unit[u]);
}

static unsigned long long get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* " (EINVAL)" or " (EINVAL 2, ENXIO 1)": the errnos slot @i was refused with. */
static void errnos_text(int i, char *buf, size_t n)
{
	size_t len = 0;
	int e, kinds = 0;
	uint32_t c;

	for (e = 0; e < SHIM_NERRNO; e++)
		kinds += atomic_load_explicit(&S.req_err[i][e], memory_order_relaxed) != 0;
	buf[0] = 0;
	for (e = 1; e <= SHIM_NERRNO && len + 1 < n; e++) {
		c = atomic_load_explicit(&S.req_err[i][e % SHIM_NERRNO], memory_order_relaxed);
		if (!c)
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : " (",
					e < SHIM_NERRNO ? tce_err_name(-e) : "other");
		if (kinds > 1 && len + 1 < n)
			len += (size_t)snprintf(buf + len, n - len, " %u", c);
	}
	if (len && len + 1 < n)
		snprintf(buf + len, n - len, ")");
}

/* One line per request the program made: calls, and how many were refused with which errno. */
static void report_requests(FILE *out)
{
	unsigned long long ok, err;
	char errs[256];
	int i, e;

	for (i = 0; i < SHIM_NREQ; i++) {
		for (ok = get(&S.req_ok[i]), err = 0, e = 0; e < SHIM_NERRNO; e++)
			err += atomic_load_explicit(&S.req_err[i][e], memory_order_relaxed);
		if (!ok && !err)
			continue;
		errnos_text(i, errs, sizeof(errs));
		if (err)
			fprintf(out, "tce-run:     %-30s %llu, %llu refused%s\n",
				shim_request_label(i), ok + err, err, errs);
		else
			fprintf(out, "tce-run:     %-30s %llu\n", shim_request_label(i), ok);
	}
}

/* Bytes the machine's devices moved by DMA, read from memory and written to it. */
static void dma_bytes(uint64_t *rd, uint64_t *wr)
{
	struct tce_machine_info mi;
	struct tce_dev_dma_stats st;
	struct tce_pci_dev *d;
	uint32_t i;

	*rd = *wr = 0;
	tce_machine_info(S.m, &mi);
	for (i = 0; i < mi.ndevs; i++) {
		if (tce_machine_device(S.m, i, &d))
			continue;
		tce_dev_dma_stats(d, &st);
		*rd += st.read_bytes;
		*wr += st.write_bytes;
	}
}

static void report_dma(FILE *out, double secs)
{
	uint64_t rd, wr;
	char r[32], w[32];

	dma_bytes(&rd, &wr);
	bytes_text(rd, r, sizeof(r));
	bytes_text(wr, w, sizeof(w));
	fprintf(out, "tce-run:   DMA bytes   %s read, %s written by the devices, %.1f MB/s\n",
		r, w, secs > 0 ? (double)(rd + wr) / secs / 1e6 : 0.0);
}

/* What happened, a few lines prefixed "tce-run: " (docs/tce-run.md, --stats). */
static void report(FILE *out)
{
	struct timespec now;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - S.start.tv_sec) + (now.tv_nsec - S.start.tv_nsec) / 1e9;
	fprintf(out, "tce-run: stats of pid %d over %.3f s\n", (int)S.pid, secs);
	fprintf(out, "tce-run:   ioctls      %llu, %llu refused\n", get(&S.count[ST_IOCTL]),
		get(&S.count[ST_IOCTL_FAILED]));
	report_requests(out);
	fprintf(out, "tce-run:   TCEs        %llu mapped, %llu unmapped, peak %lld\n",
		get(&S.tces_mapped), get(&S.tces_unmapped),
		(long long)atomic_load_explicit(&S.tces_peak, memory_order_relaxed));
	report_dma(out, secs);
	fprintf(out, "tce-run:   faults      %llu DMA, %llu MMIO\n", get(&S.count[ST_DMA_FAULTS]),
		get(&S.count[ST_MMIO_FAULTS]));
	if (get(&S.count[ST_DMA_RECOVERED]))
		fprintf(out, "tce-run:   recovered   %llu DMA faults: the device reported each, its PE "
			"stayed up (libtce,dma-fault)\n", get(&S.count[ST_DMA_RECOVERED]));
	fprintf(out, "tce-run:   EEH ops     %llu\n", get(&S.count[ST_EEH]));
	fprintf(out, "tce-run:   BAR maps    %llu\n", get(&S.count[ST_BAR_MAPS]));
	fflush(out);
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
	shim_testbed_remove(S.testbed);
	if (S.log)
		fclose(S.log);
	busy--;
}
