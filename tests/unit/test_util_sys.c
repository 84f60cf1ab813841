/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The util layer against the C library it stands on. The binary is linked
 * with --wrap for the allocators, mmap and the pthread lock set-up calls,
 * so a test can make the C library fail, return what C permits (NULL for a
 * zero-size request) or count what was released. It checks that failures
 * are returned and counted, that memory goes back by the way it came, and
 * that a lock starts free whatever its memory held before, and that the
 * level-block cache keeps what fits under its bound and frees the rest.
 * Also the error names the layer keeps.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#ifdef NDEBUG
#define TT_DEBUG 0
#else
#define TT_DEBUG 1
#endif
#include "util/lock.h"
#include "util/util.h"
#include "vfio/mm.h"
#include "vfio/vfio_int.h"

void *__real_malloc(size_t size);
ssize_t __real_read(int fd, void *buf, size_t n);
int __real_open64(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
int __real_posix_memalign(void **out, size_t align, size_t size);
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_pthread_mutex_destroy(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a);
int __real_pthread_rwlock_destroy(pthread_rwlock_t *l);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **out, size_t align, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __wrap_pthread_mutex_destroy(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a);
int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *l);

/* What the wrappers do: the tests run on one thread and set these. */
static struct {
	bool fail_alloc;      /* the next malloc/calloc/posix_memalign/mmap fails */
	bool zero_null;       /* malloc(0) and calloc(_, 0) return NULL, as C allows */
	int fail_lock_init;   /* the next pthread_*_init returns this */
	int fail_lock_nth;    /* else the n-th pthread_*_init from now returns EAGAIN */
	bool fail_realloc;    /* the next realloc fails */
	void *pages[64];      /* blocks of posix_memalign not yet freed (the first 64) */
	int npages;
	void *memalign_block; /* the block posix_memalign handed out last */
	bool memalign_freed;  /* ... and that it came back through free */
	void *last_freed;     /* the last block free was given */
	void *mmap_block;     /* the region mmap handed out last */
	size_t mmap_len;
	bool mmap_unmapped;   /* ... and that all of it came back through munmap */
	uintptr_t gone[8][2]; /* its pieces unmapped so far: [start, end) */
	int ngone;
	int bad_munmaps;      /* munmap of what mmap did not hand out, or unmapped already */
	pthread_mutex_t *mutex_destroyed;
	int mutex_inits, mutex_destroys; /* successful calls */
	pthread_mutex_t *live[256];      /* mutexes set up and not destroyed */
	int nlive;
	int bad_destroys;                /* of a mutex not set up (or destroyed twice) */
	int bad_unlocks;                 /* unlocks of a mutex nobody held */
	pthread_rwlock_t *rwlock_destroyed;
	int read_eintr;       /* the next reads fail EINTR, this many */
	int read_err;         /* else the next read fails with this errno */
	bool read_eof;        /* else the next read finds the file's end */
	bool fail_shared_map; /* the next MAP_SHARED mmap fails */
	int fail_open;        /* the next open fails with this errno */
	int ioctl_err;        /* every ioctl fails with this errno (ENOTTY: one the kernel lacks) */
} w;

static bool take_fail(void)
{
	bool f = w.fail_alloc;

	w.fail_alloc = false;
	return f;
}

void *__wrap_malloc(size_t size)
{
	if (take_fail() || (size == 0 && w.zero_null))
		return NULL;
	return __real_malloc(size);
}

/* open() as the library calls it (64-bit offsets name it open64); no O_CREAT there. */
int __wrap_open64(const char *path, int flags, ...)
{
	if (w.fail_open) {
		errno = w.fail_open;
		w.fail_open = 0;
		return -1;
	}
	return __real_open64(path, flags);
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (w.ioctl_err) {
		errno = w.ioctl_err;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

int __wrap_open(const char *path, int flags, ...)
{
	return __wrap_open64(path, flags);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (w.read_eintr) {
		w.read_eintr--;
		errno = EINTR;
		return -1;
	}
	if (w.read_err) {
		errno = w.read_err;
		w.read_err = 0;
		return -1;
	}
	if (w.read_eof) {
		w.read_eof = false;
		return 0;
	}
	return __real_read(fd, buf, n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (take_fail() || ((n == 0 || size == 0) && w.zero_null))
		return NULL;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	bool f = w.fail_realloc;

	w.fail_realloc = false;
	return f ? NULL : __real_realloc(p, size);
}

void __wrap_free(void *p)
{
	int i;

	if (p && p == w.memalign_block)
		w.memalign_freed = true;
	w.last_freed = p;
	for (i = 0; p && i < w.npages; i++) {
		if (w.pages[i] == p) {
			w.pages[i] = w.pages[--w.npages];
			break;
		}
	}
	__real_free(p);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
	int rc;

	if (take_fail())
		return ENOMEM;
	rc = __real_posix_memalign(out, align, size);
	if (rc == 0) {
		w.memalign_block = *out;
		w.memalign_freed = false;
		if (w.npages < 64)
			w.pages[w.npages++] = *out;
	}
	return rc;
}

/* With 64-bit file offsets (meson's default) the header names mmap mmap64. */
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (take_fail() || (w.fail_shared_map && (flags & MAP_SHARED))) {
		w.fail_shared_map = false;
		return MAP_FAILED;
	}
	p = __real_mmap64(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED) {
		w.mmap_block = p;
		w.mmap_len = len;
		w.mmap_unmapped = false;
		w.ngone = 0;
	}
	return p;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return __wrap_mmap64(addr, len, prot, flags, fd, off);
}

/*
 * A piece of the last mapping may go back at a time (an aligned mapping
 * trims its head and tail), each page once; the mapping is gone when its
 * pieces cover it. Anything else is refused and counted: unmapping what mmap
 * did not give would corrupt the heap.
 */
int __wrap_munmap(void *addr, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)addr, b, m;
	size_t covered = 0;
	int i;

	m = (uintptr_t)w.mmap_block;
	b = a + ((len + pg - 1) & ~(pg - 1));
	if (!w.mmap_block || (a & (pg - 1)) || a < m || b <= a || b > m + w.mmap_len ||
	    w.ngone == 8) {
		w.bad_munmaps++;
		return 0;
	}
	for (i = 0; i < w.ngone; i++) {
		if (a < w.gone[i][1] && w.gone[i][0] < b) {
			w.bad_munmaps++;
			return 0;
		}
	}
	w.gone[w.ngone][0] = a;
	w.gone[w.ngone++][1] = b;
	for (i = 0; i < w.ngone; i++)
		covered += w.gone[i][1] - w.gone[i][0];
	w.mmap_unmapped = covered >= w.mmap_len;
	return __real_munmap(addr, len);
}

static int take_lock_fail(void)
{
	int rc = w.fail_lock_init;

	w.fail_lock_init = 0;
	if (!rc && w.fail_lock_nth && --w.fail_lock_nth == 0)
		rc = EAGAIN;
	return rc;
}

int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	int rc = take_lock_fail();

	if (!rc)
		rc = __real_pthread_mutex_init(m, a);
	w.mutex_inits += !rc;
	if (!rc && w.nlive < 256)
		w.live[w.nlive++] = m;
	return rc;
}

int __wrap_pthread_mutex_destroy(pthread_mutex_t *m)
{
	int i;

	w.mutex_destroyed = m;
	w.mutex_destroys++;
	for (i = 0; i < w.nlive && w.live[i] != m; i++)
		;
	if (i == w.nlive)
		w.bad_destroys++;
	else
		w.live[i] = w.live[--w.nlive];
	return __real_pthread_mutex_destroy(m);
}

/* A default mutex the caller holds is busy to trylock; one nobody holds is taken. */
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_trylock(m) == 0)
		w.bad_unlocks++;
	return __real_pthread_mutex_unlock(m);
}

int __wrap_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	int rc = take_lock_fail();

	return rc ? rc : __real_pthread_rwlock_init(l, a);
}

int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	w.rwlock_destroyed = l;
	return __real_pthread_rwlock_destroy(l);
}

static void reset(void)
{
	memset(&w, 0, sizeof(w));
}

/* A context that cannot be allocated: -ENOMEM and *out untouched. */
static void ctx_create_fails(void)
{
	struct tce_ctx *ctx = (struct tce_ctx *)&w, *keep = ctx;

	reset();
	w.fail_alloc = true;
	CHECK_RC(tce_ctx_create(&ctx), -ENOMEM);
	CHECK(ctx == keep);
	REQUIRE(tce_ctx_create(&ctx) == 0);
	CHECK(ctx != keep);
	tce_ctx_destroy(ctx);
}

/* A machine read from a file without a caller's context: its own context may fail. */
static void machine_file_own_ctx_fails(void)
{
	struct tce_machine *m = (struct tce_machine *)&w, *keep = m;

	reset();
	w.fail_alloc = true;
	CHECK_RC(tce_machine_create_dtb_file("/nonexistent/x.dtb", NULL, &m), -ENOMEM);
	CHECK(m == keep);
	CHECK_RC(tce_machine_create_dtb_file("/nonexistent/x.dtb", NULL, &m), -ENOENT);
}

/*
 * A .dtb read through a C library whose reads fail: a file that ends before
 * the size it stated is -EIO, a read error its errno, and interrupted reads
 * are retried.
 */
static void machine_file_reads(void)
{
	struct tce_machine *m = NULL, *src = NULL;
	char path[] = "/tmp/libtce-test-XXXXXX";
	int fd = mkstemp(path);
	size_t size;

	REQUIRE(fd >= 0 && tce_machine_create_default(TCE_PLATFORM_PSERIES, &src) == 0);
	size = tce_machine_fdt_size(src);
	REQUIRE(write(fd, tce_machine_fdt(src), size) == (ssize_t)size);
	close(fd);
	reset();
	w.read_eof = true;
	CHECK_RC(tce_machine_create_dtb_file(path, NULL, &m), -EIO);
	CHECK(m == NULL);
	w.read_err = EACCES;
	CHECK_RC(tce_machine_create_dtb_file(path, NULL, &m), -EACCES);
	CHECK(m == NULL);
	w.read_eintr = 2;
	CHECK_RC(tce_machine_create_dtb_file(path, NULL, &m), 0);
	CHECK_EQ(w.read_eintr, 0);
	tce_machine_destroy(m);
	unlink(path);
	tce_machine_destroy(src);
}

/*
 * Shared pages (the DMA-test device's BAR, which its thread shares) that
 * mmap cannot give: the machine is refused with -ENOMEM and nothing leaks.
 */
static void shared_pages_fail(void)
{
	struct tce_machine *m = (struct tce_machine *)&w, *keep = m, *src;
	struct tce_machine_config cfg = { 0 };
	struct tce_mem_stats ms;
	struct tce_ctx *ctx;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &src) == 0);
	REQUIRE(tce_ctx_create(&ctx) == 0);
	cfg = (struct tce_machine_config){ .ctx = ctx, .dtb = tce_machine_fdt(src),
					   .dtb_size = tce_machine_fdt_size(src) };
	reset();
	w.fail_shared_map = true;
	CHECK_RC(tce_machine_create(&cfg, &m), -ENOMEM);
	CHECK(!w.fail_shared_map); /* the failure was met */
	CHECK(m == keep);
	tce_ctx_mem_stats(ctx, &ms);
	CHECK_EQ(ms.live_allocs, 0);
	CHECK_EQ(ms.failed_allocs, 1);
	tce_ctx_destroy(ctx);
	tce_machine_destroy(src);
}

/* A group file whose lock cannot be set up: -ENOMEM, no file number, the group still free to open. */
static void vfio_group_lock_fails(void)
{
	struct tce_machine *m;
	struct tce_vfio_mm *mm;
	struct tce_host *h;
	struct tce_group *g;
	int fd;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	REQUIRE(tce_host_create(m, &h) == 0);
	REQUIRE(tce_vfio_mm_create(tce_machine_ctx(m), NULL, &mm) == 0);
	g = tce_host_group(h, 0);
	reset();
	w.fail_lock_init = EAGAIN;
	CHECK_RC(tce_vfio_open_group(mm, g), -ENOMEM);
	CHECK_RC(tce_vfio_kind(mm, 0), -EBADF);
	fd = tce_vfio_open_group(mm, g);
	CHECK(fd >= 0);
	CHECK_RC(tce_vfio_kind(mm, fd), TCE_VFIO_GROUP);
	tce_vfio_mm_destroy(mm);
	tce_host_destroy(h);
	tce_machine_destroy(m);
}

/*
 * The page probe of Type1 MAP_DMA reads /proc/self/smaps: where it cannot
 * be opened (no /proc in a sandbox) no page can be shown mapped: -EFAULT.
 */
static void smaps_cannot_open(void)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint32_t shift = 0;

	page[0] = 1;
	CHECK_RC(tce__mm_probe_smaps((uintptr_t)page, sizeof(page), true, &shift), 0);
	CHECK(shift >= 12);
	reset();
	w.fail_open = ENOENT;
	shift = 0;
	CHECK_RC(tce__mm_probe_smaps((uintptr_t)page, sizeof(page), true, &shift), -EFAULT);
	CHECK_EQ(shift, 0);
}

/*
 * The default probe where PROCMAP_QUERY fails: a hole (ENOENT) is the
 * answer, -EFAULT; a kernel without it (ENOTTY, before 6.11) or a query
 * that failed otherwise (EINTR, EPERM) leaves the answer to smaps.
 */
static void probe_without_query(void)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	static const int errs[] = { ENOTTY, EINTR, EPERM };
	uint32_t shift = 0;
	unsigned i;

	page[0] = 1;
	reset();
	w.ioctl_err = ENOENT;
	CHECK_RC(tce__mm_probe_query((uintptr_t)page, sizeof(page), true, &shift), -EFAULT);
	CHECK_RC(tce__mm_probe_self(NULL, (uintptr_t)page, sizeof(page), true, &shift), -EFAULT);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		w.ioctl_err = errs[i];
		CHECK_RC(tce__mm_probe_query((uintptr_t)page, sizeof(page), true, &shift), -ENOSYS);
		shift = 0;
		CHECK_RC(tce__mm_probe_self(NULL, (uintptr_t)page, sizeof(page), true, &shift), 0);
		CHECK(shift >= 12);
		CHECK_RC(tce__mm_probe_self(NULL, 0x1000, 0x1000, true, &shift), -EFAULT);
	}
	reset();
}

/*
 * Sizes as the VFIO layer's reasons print them: whole KiB to EiB, else
 * decimal below 1 KiB and hex from there.
 */
static void vfio_size_text(void)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { 1000, "1000" }, { 1023, "1023" }, { 1024, "1 KiB" }, { 1536, "0x600" },
		{ 0x1001, "0x1001" }, { 3 << 20, "3 MiB" }, { 1ull << 30, "1 GiB" },
		{ 1ull << 63, "8 EiB" }, { ~0ull, "0xffffffffffffffff" },
		{ ~0ull << 10, "18014398509481983 KiB" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(tce__vsize(cases[i].bytes).s, cases[i].text))
			tt_fail(__FILE__, __LINE__, "%#llx as \"%s\", want \"%s\"",
				(unsigned long long)cases[i].bytes, tce__vsize(cases[i].bytes).s,
				cases[i].text);
}

static void check_failed(struct tce_ctx *ctx, uint64_t failed)
{
	struct tce_mem_stats st;

	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.failed_allocs, failed);
	CHECK_EQ(st.live_allocs, 0);
	CHECK_EQ(st.live_bytes, 0);
	CHECK_EQ(st.total_allocs, 0);
}

/* Each allocator returns NULL when the C library fails, and counts the failure. */
static void libc_failures_counted(void)
{
	struct tce_ctx *ctx;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	w.fail_alloc = true;
	CHECK(tce__malloc(ctx, 64) == NULL);
	check_failed(ctx, 1);
	w.fail_alloc = true;
	CHECK(tce__calloc(ctx, 64) == NULL);
	check_failed(ctx, 2);
	w.fail_alloc = true;
	CHECK(tce__aligned_zalloc(ctx, 64, 64) == NULL);
	check_failed(ctx, 3);
	w.fail_alloc = true;
	CHECK(tce__pages_alloc(ctx, 4096) == NULL);
	check_failed(ctx, 4);
	w.fail_alloc = true;
	CHECK(tce__pages_alloc(ctx, 4u << 20) == NULL);
	check_failed(ctx, 5);
	w.fail_alloc = true;
	CHECK(tce__aligned_zalloc(ctx, 4u << 20, 64u << 10) == NULL);
	check_failed(ctx, 6);
	tce_ctx_destroy(ctx);
}

/* A zero-size request is not out of memory, even where malloc(0) is NULL. */
static void zero_size_succeeds(void)
{
	struct tce_ctx *ctx;
	struct tce_mem_stats st;
	void *a, *b;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	w.zero_null = true;
	a = tce__malloc(ctx, 0);
	b = tce__calloc(ctx, 0);
	w.zero_null = false;
	CHECK(a != NULL);
	CHECK(b != NULL);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.failed_allocs, 0);
	tce__free(ctx, a, 0);
	tce__free(ctx, b, 0);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.live_allocs, 0);
	tce_ctx_destroy(ctx);
}

/*
 * Heap blocks: each allocation counts once in total_allocs and live, its
 * bytes in live_bytes, and its free hands that very block back to the C
 * library and uncounts it (total stays).
 */
static void heap_blocks_counted_and_freed(void)
{
	struct tce_ctx *ctx;
	struct tce_mem_stats st;
	void *a, *b;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	a = tce__malloc(ctx, 100);
	b = tce__calloc(ctx, 28);
	REQUIRE(a && b);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.total_allocs, 2);
	CHECK_EQ(st.live_allocs, 2);
	CHECK_EQ(st.live_bytes, 128);
	tce__free(ctx, a, 100);
	CHECK(w.last_freed == a);
	tce__free(ctx, b, 28);
	CHECK(w.last_freed == b);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.total_allocs, 2);
	CHECK_EQ(st.live_allocs, 0);
	CHECK_EQ(st.live_bytes, 0);
	CHECK_EQ(st.failed_allocs, 0);
	tce_ctx_destroy(ctx);
}

/*
 * Page blocks go back the way they came, at every size around the point
 * where they move from the heap to mmap: the freed block is the one handed
 * out and nothing is unmapped that was not mapped.
 */
static void pages_released_by_their_source(void)
{
	static const size_t sizes[] = { 4096, (2u << 20) - 4096, (2u << 20) - 1, 2u << 20,
					(2u << 20) + 4096 };
	struct tce_ctx *ctx;
	struct tce_mem_stats st;
	size_t i;
	void *p;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		reset();
		p = tce__pages_alloc(ctx, sizes[i]);
		REQUIRE(p != NULL);
		CHECK(((uintptr_t)p & 4095) == 0);
		CHECK(((unsigned char *)p)[sizes[i] - 1] == 0);
		CHECK(p == w.memalign_block || p == w.mmap_block);
		tce__pages_free(ctx, p, sizes[i]);
		CHECK_EQ(w.bad_munmaps, 0);
		if (p == w.memalign_block)
			CHECK(w.memalign_freed);
		else
			CHECK(w.mmap_unmapped);
	}
	/* The large ones are mapped: a huge flat table costs only touched pages. */
	reset();
	p = tce__pages_alloc(ctx, 2u << 20);
	CHECK(p != NULL && p == w.mmap_block);
	tce__pages_free(ctx, p, 2u << 20);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.live_allocs, 0);
	CHECK_EQ(st.live_bytes, 0);
	tce_ctx_destroy(ctx);
}

/* Bytes of the last mapping unmapped so far. */
static size_t gone_bytes(void)
{
	size_t n = 0;

	for (int i = 0; i < w.ngone; i++)
		n += w.gone[i][1] - w.gone[i][0];
	return n;
}

/*
 * Zeroed aligned blocks (coherent DMA buffers): below 256 KiB and aligned to
 * at most a page from the heap, the others (256 KiB and up, or aligned beyond
 * a page) fresh pages mapped with room to align and trimmed, at every
 * alignment up to one larger than the block. Each is aligned and zero, and
 * goes back whole, with nothing unmapped twice or outside it.
 */
static void aligned_blocks_released_by_their_source(void)
{
	static const size_t sizes[] = { 4096, (256u << 10) - 1, 256u << 10, (256u << 10) + 1,
					4u << 20 };
	static const size_t aligns[] = { 64, 4096, 64u << 10, 2u << 20, 16u << 20 };
	struct tce_ctx *ctx;
	struct tce_mem_stats st;
	size_t i, j, pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;
	bool heap;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			reset();
			p = tce__aligned_zalloc(ctx, sizes[i], aligns[j]);
			REQUIRE(p != NULL);
			CHECK(((uintptr_t)p & (aligns[j] - 1)) == 0);
			CHECK(p[0] == 0 && p[sizes[i] / 2] == 0 && p[sizes[i] - 1] == 0);
			memset(p, 0xa5, sizes[i]); /* all of it is the caller's */
			heap = sizes[i] < (256u << 10) && aligns[j] <= pg;
			if (heap) {
				CHECK((void *)p == w.memalign_block);
			} else {
				/* Only the block itself is left mapped. */
				CHECK((uintptr_t)p >= (uintptr_t)w.mmap_block);
				CHECK_EQ(gone_bytes(), w.mmap_len - ((sizes[i] + pg - 1) & ~(pg - 1)));
			}
			tce__aligned_free(ctx, p, sizes[i], aligns[j]);
			CHECK_EQ(w.bad_munmaps, 0);
			if (heap)
				CHECK(w.memalign_freed);
			else
				CHECK(w.mmap_unmapped);
		}
	}
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.live_allocs, 0);
	CHECK_EQ(st.live_bytes, 0);
	tce_ctx_destroy(ctx);
	/* An empty block aligned beyond a page owns a mapped page, and gives it back. */
	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	p = tce__aligned_zalloc(ctx, 0, 64u << 10);
	REQUIRE(p != NULL);
	CHECK(((uintptr_t)p & ((64u << 10) - 1)) == 0);
	CHECK_EQ(gone_bytes(), w.mmap_len - pg);
	CHECK(p[0] == 0); /* mapped */
	tce__aligned_free(ctx, p, 0, 64u << 10);
	CHECK_EQ(w.bad_munmaps, 0);
	CHECK(w.mmap_unmapped);
	tce_ctx_destroy(ctx);
	/* An alignment that is not a power of two is refused, and counted. */
	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	CHECK(tce__aligned_zalloc(ctx, 4u << 20, (64u << 10) + 4096) == NULL);
	CHECK(tce__aligned_zalloc(ctx, 4096, 96) == NULL);
	check_failed(ctx, 2);
	/* Sizes whose page rounding, or room to align, wraps: refused, nothing mapped. */
	CHECK(tce__aligned_zalloc(ctx, SIZE_MAX - 100, 64u << 10) == NULL);
	CHECK(tce__aligned_zalloc(ctx, SIZE_MAX - 2 * pg + 1, (size_t)1 << 40) == NULL);
	check_failed(ctx, 4);
	CHECK(w.mmap_block == NULL && w.memalign_block == NULL);
	tce_ctx_destroy(ctx);
}

/* tce__trylock() takes a free lock of each kind, never a held one, and never waits. */
static void trylock_takes_only_a_free_lock(void)
{
	static const enum tce__lock_kind kinds[] = { TCE__LOCK_MUTEX, TCE__LOCK_SPIN,
						     TCE__LOCK_WORD };
	struct tce__lock l;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		reset();
		REQUIRE(tce__lock_init_kind(&l, kinds[i]) == 0);
		CHECK(tce__trylock(&l));
		CHECK(!TT_DEBUG || tce__lock_held(&l));
		CHECK(!tce__trylock(&l)); /* held, by this very thread too */
		tce__unlock(&l);
		CHECK(!TT_DEBUG || !tce__lock_held(&l));
		tce__lock(&l);
		CHECK(!tce__trylock(&l));
		tce__unlock(&l);
		CHECK(tce__trylock(&l));
		tce__unlock(&l);
		CHECK_EQ(w.bad_unlocks, 0);
		tce__lock_fini(&l);
	}
}

/* A lock set up over memory that held anything starts free and unowned. */
static void lock_starts_free(void)
{
	struct tce__lock l;
	bool spin;

	for (int i = 0; i < 2; i++) {
		spin = i == 1;
		reset();
		memset(&l, 0xa5, sizeof(l));
#ifndef NDEBUG
		atomic_store(&l.owner, (uintptr_t)pthread_self()); /* a lock this thread held */
#endif
		REQUIRE(tce__lock_init(&l, spin) == 0);
		CHECK(!TT_DEBUG || !tce__lock_held(&l)); /* release builds do not track owners */
		REQUIRE(atomic_load(&l.spin) == 0); /* else taking it would spin forever */
		tce__lock(&l);
		CHECK(tce__lock_held(&l));
		/* The spinlock is the one taken when asked for, else the mutex. */
		CHECK_EQ(atomic_load(&l.spin), spin);
		if (spin)
			CHECK_RC(pthread_mutex_trylock(&l.mutex), 0);
		else
			CHECK_RC(pthread_mutex_trylock(&l.mutex), EBUSY);
		if (spin)
			pthread_mutex_unlock(&l.mutex);
		tce__unlock(&l);
		CHECK(!TT_DEBUG || !tce__lock_held(&l)); /* release builds do not track owners */
		tce__lock_fini(&l);
		CHECK(w.mutex_destroyed == &l.mutex);
	}
}

struct word_user {
	struct tce__lock *l;
	long *counter; /* plain: only the lock keeps the threads apart */
	int rounds;
	int free_held;  /* holds during which the word read free (0) */
	atomic_int *go; /* NULL, or wait until it is set: the threads start together */
};

static void *word_lock_user(void *arg)
{
	struct word_user *u = arg;

	while (u->go && !atomic_load(u->go))
		tce__cpu_relax();
	for (int i = 0; i < u->rounds; i++) {
		tce__lock(u->l);
		long c = *u->counter;

		u->free_held += atomic_load(&u->l->spin) == 0; /* however it was taken, it reads held */
		for (int k = 0; k < 20; k++) /* a read-modify-write wide enough to be overtaken */
			tce__cpu_relax();
		*u->counter = c + 1;
		if (i % 64 == 0)
			sched_yield(); /* a long hold: the others spin out and sleep */
		tce__unlock(u->l);
	}
	return NULL;
}

/*
 * The word lock (the allocator's "mutex" flavour): one atomic each way when
 * free; a waiter that finds it held marks it 2 and sleeps, and the release
 * that sees the mark wakes it. Four threads then keep a plain counter exact
 * (ThreadSanitizer, under make check-tsan, sees the happens-before of the
 * atomics); the mutex and condition variable it sleeps on are set up and
 * torn down with it.
 */
static void word_lock_excludes(void)
{
	struct tce__lock l;
	struct word_user u[4];
	pthread_t th[4];
	long counter = 0;
	atomic_int go = 0;
	int i, polls;

	reset();
	memset(&l, 0xa5, sizeof(l));
	REQUIRE(tce__lock_init_kind(&l, TCE__LOCK_WORD) == 0);
	CHECK_EQ(w.mutex_inits, 1);
	CHECK_EQ(atomic_load(&l.spin), 0);
	tce__lock(&l);
	CHECK(tce__lock_held(&l));
	CHECK_EQ(atomic_load(&l.spin), 1); /* the word alone: the mutex is not taken */
	CHECK_RC(pthread_mutex_trylock(&l.mutex), 0);
	pthread_mutex_unlock(&l.mutex);
	u[0] = (struct word_user){ .l = &l, .counter = &counter, .rounds = 1 };
	REQUIRE(pthread_create(&th[0], NULL, word_lock_user, &u[0]) == 0);
	for (polls = 0; atomic_load(&l.spin) != 2 && polls < 100000; polls++)
		usleep(10);
	CHECK_EQ(atomic_load(&l.spin), 2); /* the waiter marked it and sleeps */
	CHECK_EQ(counter, 0);
	tce__unlock(&l); /* sees the mark: wakes it */
	pthread_join(th[0], NULL);
	CHECK_EQ(counter, 1);
	CHECK_EQ(atomic_load(&l.spin), 0);
	for (i = 0; i < 4; i++) {
		u[i] = (struct word_user){ .l = &l, .counter = &counter, .rounds = 20000, .go = &go };
		REQUIRE(pthread_create(&th[i], NULL, word_lock_user, &u[i]) == 0);
	}
	atomic_store(&go, 1);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(u[i].free_held, 0);
	}
	CHECK_EQ(counter, 1 + 4 * 20000);
	CHECK_EQ(atomic_load(&l.spin), 0);
	CHECK_EQ(w.bad_unlocks, 0);
	tce__lock_fini(&l);
	CHECK(w.mutex_destroyed == &l.mutex);
	CHECK_EQ(w.nlive, 0);
}

/* Set-up failures are returned; tear-down releases what set-up took. */
static void lock_setup_and_teardown(void)
{
	struct tce__lock l;
	struct tce__rwlock rw;

	reset();
	w.fail_lock_init = EAGAIN;
	CHECK_RC(tce__lock_init(&l, false), -EAGAIN);
	w.fail_lock_init = EAGAIN;
	CHECK(tce__rwlock_init(&rw) < 0);

	REQUIRE(tce__rwlock_init(&rw) == 0);
	CHECK(!TT_DEBUG || !tce__rwlock_held(&rw));
	tce__write_lock(&rw);
	CHECK(tce__rwlock_held_write(&rw));
	tce__write_unlock(&rw);
	tce__read_lock(&rw);
	CHECK(tce__rwlock_held(&rw));
	tce__read_unlock(&rw);
	CHECK(!TT_DEBUG || !tce__rwlock_held(&rw));
	tce__rwlock_fini(&rw);
	CHECK(w.rwlock_destroyed == &rw.rw);
}

/* The error names and texts as tce.h documents them, 0 and unknown codes included. */
static void error_names(void)
{
	CHECK(strcmp(tce_err_name(0), "OK") == 0);
	CHECK(strcmp(tce_strerror(0), "success") == 0);
	CHECK(strcmp(tce_err_name(-EPERM), "EPERM") == 0);
	CHECK(strcmp(tce_err_name(-EINVAL), "EINVAL") == 0);
	CHECK(strcmp(tce_err_name(-ETIMEDOUT), "ETIMEDOUT") == 0);
	CHECK(strcmp(tce_strerror(-ENOMEM), "out of memory") == 0);
	CHECK(strcmp(tce_err_name(EINVAL), "UNKNOWN") == 0); /* codes are negative */
	CHECK(strcmp(tce_err_name(-4095), "UNKNOWN") == 0);
	CHECK(strcmp(tce_strerror(-4095), "unknown error") == 0);
}

/*
 * The allocator's locking, single-threaded so it is exact: every mutex it
 * sets up is destroyed with the pool, and every unlock releases a mutex the
 * code took. The sequence runs the cache's depot both ways (a full magazine
 * moved there, a dry slot refilled from it).
 */
static void pool_locks_balanced(void)
{
	struct tce_pool_config cfg = { .first_idx = 1 << 20, .entries = 1 << 16,
				       .page_shift = 12, .cache = true };
	struct tce_alloc_req req = { .npages = 1, .cpu = 0 };
	struct tce_pool_stats st;
	struct tce_pool *p;
	struct tce_ctx *ctx;
	uint64_t idx[96], i;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tce_pool_create(ctx, &cfg, &p) == 0);
	CHECK(w.mutex_inits >= 3); /* the pool's two locks and the cache's depot (slots are claimed) */
	CHECK_RC(tce_pool_reserve(p, cfg.first_idx + 60000, 4), 0); /* takes every pool lock */
	for (i = 0; i < 96; i++)
		CHECK_RC(tce_pool_alloc(p, &req, &idx[i]), 0);
	for (i = 0; i < 96; i++)
		CHECK_RC(tce_pool_free(p, idx[i], 1), 0);
	for (i = 0; i < 96; i++)
		CHECK_RC(tce_pool_alloc(p, &req, &idx[i]), 0);
	tce_pool_stats(p, &st);
	CHECK_EQ(st.cache_hits, 96);
	CHECK_RC(tce_pool_check(p, NULL), 0);
	tce_pool_destroy(p);
	tce_ctx_destroy(ctx); /* the context's own (level cache) mutex too */
	CHECK_EQ(w.bad_unlocks, 0);
	CHECK_EQ(w.mutex_destroys, w.mutex_inits);
	CHECK_EQ(w.bad_destroys, 0);
	CHECK_EQ(w.nlive, 0);
}

/* A DMA object over a table: its record shards' mutexes are destroyed with it too. */
static void dma_locks_balanced(void)
{
	struct tce_table_config tc = { .bus_offset = 1ULL << 32, .window_size = 1ULL << 30,
				       .page_shift = 12, .levels = 2 };
	struct tce_dma_config cfg;
	struct tce_table *t;
	struct tce_dma *d;
	struct tce_ctx *ctx;
	uint64_t bus;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tce_table_create(ctx, &tc, &t) == 0);
	cfg = (struct tce_dma_config){ .table = t, .pool = { .nr_pools = 4, .cache = true } };
	REQUIRE(tce_dma_create(ctx, &cfg, &d) == 0);
	CHECK_RC(tce_dma_map_page(d, 0x100000, 8192, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_dma_unmap_page(d, bus, 8192), 0);
	tce_dma_destroy(d);
	tce_table_put(t);
	tce_ctx_destroy(ctx); /* the context's own (level cache) mutex too */
	CHECK(w.mutex_inits > 5); /* at least the pools' and the shards' */
	CHECK_EQ(w.bad_unlocks, 0);
	CHECK_EQ(w.mutex_destroys, w.mutex_inits);
	CHECK_EQ(w.bad_destroys, 0);
	CHECK_EQ(w.nlive, 0);
}

/*
 * Every mutex set-up of a DMA object's creation failing in turn (pool,
 * cache slots and depot, record shards): the call fails, and every mutex
 * set up before the failure is destroyed and every byte freed.
 */
static void dma_create_lock_failures(void)
{
	struct tce_table_config tc = { .bus_offset = 1ULL << 32, .window_size = 1ULL << 30,
				       .page_shift = 12, .levels = 2 };
	struct tce_dma_config cfg;
	struct tce_mem_stats st;
	struct tce_table *t;
	struct tce_dma *d;
	struct tce_ctx *ctx;
	int n, rc = -1;

	REQUIRE(tce_ctx_create(&ctx) == 0);
	REQUIRE(tce_table_create(ctx, &tc, &t) == 0);
	for (n = 1; n < 100 && rc; n++) {
		reset();
		w.fail_lock_nth = n;
		cfg = (struct tce_dma_config){ .table = t, .pool = { .nr_pools = 4, .cache = true } };
		rc = tce_dma_create(ctx, &cfg, &d);
		if (!rc) {
			CHECK(w.fail_lock_nth > 0); /* succeeded only once no set-up failed */
			tce_dma_destroy(d);
		} else {
			CHECK(rc < 0);
		}
		CHECK_EQ(w.mutex_destroys, w.mutex_inits);
		CHECK_EQ(w.bad_destroys, 0);
		CHECK_EQ(w.nlive, 0);
	}
	CHECK(n > 11); /* 5 pool locks, the cache's depot lock, 5 shards */
	w.fail_lock_nth = 0;
	tce_table_put(t);
	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.live_allocs, 0);
	tce_ctx_destroy(ctx);
}

/*
 * The pseries EEH RTAS calls on a PE take and release its lock: every unlock
 * releases a mutex the call took (the PE of config address 0x0800 on the
 * built-in tree's PHB).
 */
static void eeh_rtas_locks(void)
{
	uint32_t a[4] = { 0x0800, 0x08000000u, 0x20000000u, TCE_RTAS_EEH_ENABLE }, ret[5];
	static const uint32_t options[] = { TCE_RTAS_EEH_ENABLE, TCE_RTAS_EEH_THAW_MMIO,
					    TCE_RTAS_EEH_THAW_DMA };
	struct tce_machine *m;
	size_t i;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	reset();
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 5, ret), 0);
	CHECK_EQ(ret[0], 0);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		a[3] = options[i];
		CHECK_RC(tce_hv_rtas(m, TCE_RTAS_SET_EEH_OPTION, 4, a, 1, ret), 0);
		CHECK_EQ(ret[0], 0);
	}
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_READ_SLOT_RESET_STATE2, 3, a, 5, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_EQ(ret[1], TCE_EEH_PE_STATE_NORMAL);
	CHECK_EQ(w.bad_unlocks, 0);
	tce_machine_destroy(m);
}

/* The DDW RTAS calls (query, create, remove, reset) take and release the PE's lock. */
static void ddw_rtas_locks(void)
{
	uint32_t a[5] = { 0x0800, 0x08000000u, 0x20000000u, 16, 32 }, ret[6], liobn;
	struct tce_machine *m;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &m) == 0);
	reset();
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, a, 5, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, ret), 0);
	CHECK_EQ(ret[0], 0);
	liobn = ret[1];
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, a, 4, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_RC(tce_hv_rtas(m, TCE_RTAS_RESET_PE_DMA_WINDOWS, 3, a, 1, ret), 0);
	CHECK_EQ(ret[0], 0);
	CHECK_EQ(w.bad_unlocks, 0);
	tce_machine_destroy(m);
}

/* The powernv window calls take and release the PE's lock. */
static void opal_window_locks(void)
{
	struct tce_machine *m;

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	reset();
	CHECK_RC(tce_fw_map_window_real(m, 0, 0, 1, TCE_PNV_WINDOW1_BASE, 1ULL << 30), 0);
	CHECK_RC(tce_fw_tce_kill(m, 0, 0, 12, 0x1000, 4), 0);
	CHECK_RC(tce_fw_map_window_real(m, 0, 0, 1, 0, 0), 0);
	CHECK_RC(tce_fw_map_window(m, 0, 0, 0, NULL), 0);
	CHECK_EQ(w.bad_unlocks, 0);
	tce_machine_destroy(m);
}

/* A context whose cache mutex cannot be set up: the error, and nothing left allocated. */
static void ctx_create_lock_fails(void)
{
	struct tce_ctx *ctx = NULL;

	reset();
	w.fail_lock_init = EAGAIN;
	CHECK_RC(tce_ctx_create(&ctx), -EAGAIN);
	CHECK(ctx == NULL);
	CHECK_EQ(w.nlive, 0);
}

/* Free @n blocks of @size under @tag into the cache through one batch. */
static void release_blocks(struct tce_ctx *ctx, void **p, unsigned int n, size_t size,
			   uint32_t tag)
{
	static struct tce__block_batch b; /* 2 KiB: off the stack */
	unsigned int i;

	tce__batch_init(&b, size, tag);
	for (i = 0; i < n; i++)
		tce__batch_add(ctx, &b, p[i]);
	tce__blocks_release(ctx, &b);
	CHECK_EQ(b.n, 0);
}

static void check_cached(struct tce_ctx *ctx, uint64_t blocks, uint64_t bytes, uint64_t live)
{
	struct tce_mem_stats st;

	tce_ctx_mem_stats(ctx, &st);
	CHECK_EQ(st.cached_blocks, blocks);
	CHECK_EQ(st.cached_bytes, bytes);
	CHECK_EQ(st.live_allocs, live);
}

/*
 * The cache keeps what fits under its bound and frees the rest; a block
 * comes back only for its own size and tag, as it was freed, not zeroed;
 * taking one is still a fault point; a context's destroy frees the blocks.
 */
static void block_cache_bound_and_tags(void)
{
	struct tce_ctx *ctx;
	void *p[4], *q;
	bool reused;
	int i;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	CHECK_EQ(tce_ctx_set_level_cache(ctx, 3 * 4096 + 100), TCE_LEVEL_CACHE_DEFAULT_BYTES);
	for (i = 0; i < 4; i++) {
		p[i] = tce__block_alloc(ctx, 4096, 1, &reused);
		REQUIRE(p[i] != NULL);
		CHECK(!reused);
		memset(p[i], 0xab, 4096);
	}
	CHECK_EQ(w.npages, 4);
	release_blocks(ctx, p, 4, 4096, 1);
	check_cached(ctx, 3, 3 * 4096, 0);
	CHECK_EQ(w.npages, 3); /* the one over the bound went back to the C library */
	/* Another tag or size: fresh and zeroed. */
	q = tce__block_alloc(ctx, 4096, 2, &reused);
	CHECK(q != NULL && !reused && ((unsigned char *)q)[4095] == 0);
	tce__block_free(ctx, q, 4096, 2); /* no room: freed */
	CHECK_EQ(w.npages, 3);
	/* A fault point fires before the cache is looked at. */
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK(tce__block_alloc(ctx, 4096, 1, &reused) == NULL);
	check_cached(ctx, 3, 3 * 4096, 0);
	/* Its own tag: one of the freed blocks, as it was left. */
	q = tce__block_alloc(ctx, 4096, 1, &reused);
	CHECK(reused);
	CHECK(q == p[0] || q == p[1] || q == p[2] || q == p[3]);
	CHECK(((unsigned char *)q)[0] == 0xab && ((unsigned char *)q)[4095] == 0xab);
	check_cached(ctx, 2, 2 * 4096, 1);
	tce__block_free(ctx, q, 4096, 1);
	check_cached(ctx, 3, 3 * 4096, 0);
	tce_ctx_destroy(ctx);
	CHECK_EQ(w.npages, 0);
	CHECK_EQ(w.nlive, 0);
}

/*
 * Blocks of 2 MiB and more are never cached (unmapped at once), a ninth
 * size finds no bin, and a pointer array that cannot grow frees the batch:
 * nothing is lost and the counts stay exact.
 */
static void block_cache_refusals(void)
{
	struct tce_ctx *ctx;
	void *p[TCE__BLOCK_BINS + 1], *big;
	bool reused;
	unsigned int i;

	reset();
	REQUIRE(tce_ctx_create(&ctx) == 0);
	big = tce__block_alloc(ctx, 2u << 20, 1, &reused);
	REQUIRE(big != NULL && big == w.mmap_block);
	release_blocks(ctx, &big, 1, 2u << 20, 1);
	CHECK(w.mmap_unmapped);
	check_cached(ctx, 0, 0, 0);
	for (i = 0; i <= TCE__BLOCK_BINS; i++) {
		p[i] = tce__block_alloc(ctx, 4096 * (i + 1), 1, &reused);
		REQUIRE(p[i] != NULL);
	}
	for (i = 0; i <= TCE__BLOCK_BINS; i++)
		tce__block_free(ctx, p[i], 4096 * (i + 1), 1);
	check_cached(ctx, TCE__BLOCK_BINS, 4096ULL * TCE__BLOCK_BINS * (TCE__BLOCK_BINS + 1) / 2,
		     0);
	CHECK_EQ(w.npages, TCE__BLOCK_BINS);
	tce_ctx_set_level_cache(ctx, 0);
	CHECK_EQ(w.npages, 0);
	tce_ctx_set_level_cache(ctx, 1 << 20);
	p[0] = tce__block_alloc(ctx, 8192, 3, &reused);
	REQUIRE(p[0] != NULL);
	w.fail_realloc = true;
	release_blocks(ctx, p, 1, 8192, 3);
	check_cached(ctx, 0, 0, 0);
	CHECK_EQ(w.npages, 0);
	tce_ctx_destroy(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(error_names),
	TT_CASE(ctx_create_fails),
	TT_CASE(machine_file_own_ctx_fails),
	TT_CASE(machine_file_reads),
	TT_CASE(shared_pages_fail),
	TT_CASE(vfio_group_lock_fails),
	TT_CASE(smaps_cannot_open),
	TT_CASE(probe_without_query),
	TT_CASE(vfio_size_text),
	TT_CASE(libc_failures_counted),
	TT_CASE(zero_size_succeeds),
	TT_CASE(heap_blocks_counted_and_freed),
	TT_CASE(pages_released_by_their_source),
	TT_CASE(aligned_blocks_released_by_their_source),
	TT_CASE(ctx_create_lock_fails),
	TT_CASE(block_cache_bound_and_tags),
	TT_CASE(block_cache_refusals),
	TT_CASE(lock_starts_free),
	TT_CASE(trylock_takes_only_a_free_lock),
	TT_CASE(lock_setup_and_teardown),
	TT_CASE(word_lock_excludes),
	TT_CASE(pool_locks_balanced),
	TT_CASE(dma_locks_balanced),
	TT_CASE(dma_create_lock_failures),
	TT_CASE(eeh_rtas_locks),
	TT_CASE(ddw_rtas_locks),
	TT_CASE(opal_window_locks),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
