/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench shim`: what a VFIO ioctl costs through tce-run's preload shim
 * against the same ioctl on the library directly (issue 11's measurement).
 * This file holds the two sides: the library side, a VFIO process inside
 * tce-bench set up exactly as the shim sets up its own, and the shim side,
 * tce-bench-shim-client run under tce-run and driven through pipes. The
 * sections (shim_rows.c) time the same loops on both in the same run. Both
 * sides come twice: with an sPAPR v2 container and with a Type1v2 one (the
 * library's TCE_VFIO_TYPE1, the client under tce-run --type1).
 * Layer: tools; uses <tce.h> and <linux/vfio.h>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "bench_ctx.h"
#include "report.h"
#include "shim.h"
#include "subcommands.h"

#ifndef TCE_BENCH_SHIM_CLIENT_INSTALLED
#define TCE_BENCH_SHIM_CLIENT_INSTALLED "tce-bench-shim-client"
#endif

#define SH_DEVICE "0000:00:01.0" /* PE 0 of the built-in powernv machine */
/* The shim's identity region (tools/tce-run/state.c): 4 GiB to 2^47, 4 KiB pages. */
#define SH_IDENTITY_START (4ull << 30)
#define SH_IDENTITY_END (1ull << 47)

static int sh_fail(const char *what, long rc)
{
	fprintf(stderr, "tce-bench: shim: %s: %s (%s)\n", what, tce_strerror((int)rc),
		tce_err_name((int)rc));
	return rc < 0 ? (int)rc : -EPROTO;
}

double sh_loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* ---- the library side ---- */

static long lib_ioctl(void *ctx, unsigned long req, void *arg)
{
	struct sh_lib *l = ctx;

	return tce_vfio_ioctl(l->mm, l->cfd, req, arg);
}

static void *arena(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The machine, OS and process as tce-run's shim builds them (its machine_up()). */
static int lib_process(struct sh_lib *l)
{
	uint32_t shift = sysconf(_SC_PAGESIZE) == 65536 ? 16 : 12;
	struct tce_host_config hc = { .page_shift = shift };
	struct tce_vfio_mm_config mc = { .page_shift = shift }; /* root: no limit */
	struct tce_mem_region r = { .real_start = SH_IDENTITY_START,
				    .size = SH_IDENTITY_END - SH_IDENTITY_START, .page_shift = 12 };
	int rc = tce_machine_create_default(TCE_PLATFORM_POWERNV, &l->m);

	if (rc)
		return sh_fail("tce_machine_create_default", rc);
	tce_ctx_set_log(tce_machine_ctx(l->m), bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = tce_host_create_config(l->m, &hc, &l->h);
	if (rc)
		return sh_fail("tce_host_create_config", rc);
	rc = tce_machine_add_region(l->m, &r);
	if (rc)
		return sh_fail("tce_machine_add_region (identity)", rc);
	rc = tce_vfio_mm_create(tce_machine_ctx(l->m), &mc, &l->mm);
	return rc ? sh_fail("tce_vfio_mm_create", rc) : 0;
}

static int lib_req(struct sh_lib *l, int fd, unsigned long req, void *arg, const char *what)
{
	long rc = tce_vfio_ioctl(l->mm, fd, req, arg);

	return rc < 0 ? sh_fail(what, rc) : 0;
}

/* Container and group as the client opens them; a Type1 container from the shim's options. */
static int lib_group(struct sh_lib *l, unsigned long type, const char *type_name)
{
	struct tce_vfio_container_config cfg = { .flags = l->kind == SH_T1 ? TCE_VFIO_TYPE1 : 0 };
	struct tce_device *d;
	int rc = tce_host_find_device(l->h, SH_DEVICE, &d);

	if (rc)
		return sh_fail("tce_host_find_device " SH_DEVICE, rc);
	l->cfd = tce_vfio_open_container_config(l->mm, &cfg);
	if (l->cfd < 0)
		return sh_fail("open container", l->cfd);
	l->gfd = tce_vfio_open_group(l->mm, tce_device_group(d));
	if (l->gfd < 0)
		return sh_fail("open group", l->gfd);
	rc = lib_req(l, l->gfd, VFIO_GROUP_SET_CONTAINER, &l->cfd, "GROUP_SET_CONTAINER");
	return rc ? rc : lib_req(l, l->cfd, VFIO_SET_IOMMU, (void *)(uintptr_t)type, type_name);
}

/* The client's own v2 setup (shim_client.c), on the library. */
static int lib_v2(struct sh_lib *l)
{
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = SL_PAGE_SHIFT,
						  .window_size = SL_WINDOW_BYTES, .levels = 1 };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg),
							.size = SL_MAP_BYTES };
	int rc = lib_group(l, VFIO_SPAPR_TCE_v2_IOMMU, "SET_IOMMU v2");

	if (!rc)
		rc = lib_req(l, l->cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, "SPAPR_TCE_REMOVE");
	if (!rc)
		rc = lib_req(l, l->cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr, "SPAPR_TCE_CREATE");
	if (rc)
		return rc;
	l->map_mem = arena(SL_MAP_BYTES);
	l->chunk_mem = arena((uint64_t)SL_CHUNKS * SL_CHUNK_BYTES);
	if (!l->map_mem || !l->chunk_mem)
		return sh_fail("mmap", -ENOMEM);
	reg.vaddr = (uintptr_t)l->map_mem;
	l->t = (struct sl_target){ .ioctl = lib_ioctl, .ctx = l, .win_start = cr.start_addr,
				   .map_ua = reg.vaddr, .chunk_ua = (uintptr_t)l->chunk_mem };
	return lib_req(l, l->cfd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg, "REGISTER_MEMORY");
}

/* The client's Type1 setup: the domain's window 0 from bus 0, nothing registered. */
static int lib_t1(struct sh_lib *l)
{
	int rc = lib_group(l, VFIO_TYPE1v2_IOMMU, "SET_IOMMU Type1v2");

	if (rc)
		return rc;
	l->map_mem = arena(SL_MAP_BYTES);
	if (!l->map_mem)
		return sh_fail("mmap", -ENOMEM);
	l->t = (struct sl_target){ .ioctl = lib_ioctl, .ctx = l, .win_start = SL_T1_IOVA,
				   .map_ua = (uintptr_t)l->map_mem };
	return 0;
}

int sh_lib_up(struct sh_lib *l, enum sh_kind kind)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->cfd = l->gfd = -1;
	rc = lib_process(l);
	return rc ? rc : kind == SH_T1 ? lib_t1(l) : lib_v2(l);
}

void sh_lib_down(struct sh_lib *l)
{
	tce_vfio_mm_destroy(l->mm); /* closes the files, drops the registered memory */
	tce_host_destroy(l->h);
	tce_machine_destroy(l->m);
	if (l->map_mem)
		munmap(l->map_mem, SL_MAP_BYTES);
	if (l->chunk_mem)
		munmap(l->chunk_mem, (uint64_t)SL_CHUNKS * SL_CHUNK_BYTES);
	memset(l, 0, sizeof(*l));
}

/* ---- the shim side ---- */

/* @name beside this executable, or in its parent directory; false if in neither. */
static bool beside_self(const char *name, char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;
	int len;

	if (n <= 0)
		return false;
	self[n] = 0;
	len = snprintf(buf, size, "%s/%s", dirname(self), name);
	if (len > 0 && (size_t)len < size && !stat(buf, &st))
		return true;
	len = snprintf(buf, size, "%s/../%s", self, name); /* dirname() cut self in place */
	return len > 0 && (size_t)len < size && !stat(buf, &st);
}

/* dl_iterate_phdr: the path of the libasan this process runs with, if any. */
static int find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (!strstr(info->dlpi_name, "/libasan.so"))
		return 0;
	snprintf(arg, PATH_MAX, "%s", info->dlpi_name);
	return 1;
}

/*
 * In a sanitizer build the shim links libasan, which must be first in the
 * client's library list: preload it before the shim, as
 * tests/integration/tce-run.sh does.
 */
static void asan_first(const char *tce_run)
{
	char asan[PATH_MAX] = "", shim[2 * PATH_MAX + 32], dir[PATH_MAX];

	if (getenv("TCE_RUN_SHIM") || !dl_iterate_phdr(find_asan, asan))
		return;
	snprintf(dir, sizeof(dir), "%s", tce_run);
	snprintf(shim, sizeof(shim), "%s %s/libtce-preload.so", asan, dirname(dir));
	setenv("TCE_RUN_SHIM", shim, 1);
}

/* The child: the pipes on stdin and stdout, then tce-run (--type1 for a Type1 client). */
static void exec_client(int in, int out, const char *tce_run, const char *client, bool t1)
{
	dup2(in, 0);
	dup2(out, 1);
	asan_first(tce_run);
	if (t1)
		execl(tce_run, "tce-run", "--machine", "powernv", "--type1", "--", client, "type1",
		      (char *)NULL);
	else
		execl(tce_run, "tce-run", "--machine", "powernv", "--", client, (char *)NULL);
	fprintf(stderr, "tce-bench: shim: cannot run %s: %s\n", tce_run, strerror(errno));
	_exit(127);
}

static int spawn(struct sh_client *c, const char *tce_run, const char *client, bool t1)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC))
		return sh_fail("pipe", -errno);
	if (pipe2(from, O_CLOEXEC)) {
		close(to[0]), close(to[1]);
		return sh_fail("pipe", -errno);
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0)
		exec_client(to[0], from[1], tce_run, client, t1);
	close(to[0]);
	close(from[1]);
	c->cmd = fdopen(to[1], "w");
	c->ans = fdopen(from[0], "r");
	if (c->pid < 0 || !c->cmd || !c->ans)
		return sh_fail("starting the client", -ENOMEM);
	return 0;
}

int sh_client_up(struct sh_client *c, enum sh_kind kind)
{
	char tce_run[PATH_MAX], client[PATH_MAX], line[160];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (!beside_self("tce-run", tce_run, sizeof(tce_run))) {
		fprintf(stderr, "tce-bench: shim: tce-run not found beside tce-bench\n");
		return -ENOENT;
	}
	if (!beside_self("tce-bench-shim-client", client, sizeof(client)))
		snprintf(client, sizeof(client), "%s", TCE_BENCH_SHIM_CLIENT_INSTALLED);
	if (spawn(c, tce_run, client, kind == SH_T1))
		return -EIO;
	if (!fgets(line, sizeof(line), c->ans) || strncmp(line, "ready", 5)) {
		fprintf(stderr, "tce-bench: shim: the client under tce-run did not start: %s",
			*line ? line : "no answer\n");
		return -EIO;
	}
	return 0;
}

void sh_client_down(struct sh_client *c)
{
	int status;

	if (c->cmd) {
		fprintf(c->cmd, "quit\n");
		fclose(c->cmd);
	}
	if (c->ans)
		fclose(c->ans);
	if (c->pid > 0)
		waitpid(c->pid, &status, 0);
	memset(c, 0, sizeof(*c));
}

int sh_client_ask(struct sh_client *c, const char *cmd, uint64_t *x, uint64_t *y)
{
	char line[160] = "", what[64] = "?";
	unsigned long long a, b;
	int e;

	if (fprintf(c->cmd, "%s\n", cmd) < 0 || fflush(c->cmd) ||
	    !fgets(line, sizeof(line), c->ans)) {
		fprintf(stderr, "tce-bench: shim: the client stopped answering (at '%s')\n", cmd);
		return -EIO;
	}
	if (sscanf(line, "ok %llu %llu", &a, &b) == 2) {
		*x = a, *y = b;
		return 0;
	}
	if (sscanf(line, "err %d %63s", &e, what) == 2)
		return sh_fail(what, -e);
	fprintf(stderr, "tce-bench: shim: the client said: %s", line);
	return -EPROTO;
}

static void sides_down(struct sh_lib *l, struct sh_client *c)
{
	sh_client_down(c);
	sh_lib_down(l);
}

/*
 * The Type1 sides go before the chunk loop: their memory (the domain's
 * tables, the pins' record) would lie in the library side's address space
 * below the chunks, where REGISTER_MEMORY's read of /proc/self/smaps walks.
 */
int bench_shim(const struct bench_opts *o)
{
	struct sh_client c[SH_KINDS] = { { .pid = -1 }, { .pid = -1 } };
	struct sh_lib l[SH_KINDS];
	int k, rc = 0;

	signal(SIGPIPE, SIG_IGN); /* a client that died is an error, not a signal */
	memset(l, 0, sizeof(l));
	for (k = 0; k < SH_KINDS && !rc; k++) {
		rc = sh_lib_up(&l[k], (enum sh_kind)k);
		if (!rc)
			rc = sh_client_up(&c[k], (enum sh_kind)k);
	}
	if (!rc)
		rc = sh_map_section(o, l, c);
	sides_down(&l[SH_T1], &c[SH_T1]);
	bench_trim_heap();
	if (!rc)
		rc = sh_chunk_section(o, &l[SH_V2], &c[SH_V2]);
	sides_down(&l[SH_V2], &c[SH_V2]);
	return rc;
}
