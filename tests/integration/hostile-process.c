/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process rules under tce-run: after fork, the child's container
 * requests get EPERM (the container belongs to the parent's mm), while
 * CHECK_EXTENSION still answers; a buffer that is munmap'ed while it is
 * registered and mapped stays alive for the device, as pinned pages do
 * (DECISIONS 25), so a DMA from it reads the old data and the client does
 * not crash. Prints TAP.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"

#define SIZE (1u << 20)
#define IOVA 0x100000u

static bool set_up(struct vf *v, uint8_t **buf)
{
	*buf = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*buf == MAP_FAILED || !ic_setup(v, DEV0))
		return false;
	if (v->v2 && ic_register(v, *buf, SIZE))
		return false;
	return !ic_map(v, IOVA, *buf, SIZE, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) &&
	       ic_device(v, DEV0);
}

/* The child's answer to a MAP on the parent's container, as errno (0: success). */
static int child_map_errno(struct vf *v, uint8_t *buf)
{
	int st, pfd[2], e = -1;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		int r = ic_map(v, IOVA, buf, 4096, VFIO_DMA_MAP_FLAG_READ);

		e = r ? errno : 0;
		if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU) != 1)
			e = 1000;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = -1;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return e;
}

static void fork_child_eperm(void)
{
	uint8_t *buf;
	struct vf v;
	int e;

	REQUIRE(set_up(&v, &buf));
	e = child_map_errno(&v, buf);
	CHECK(e != 1000); /* CHECK_EXTENSION answers any process */
	KNOWN_BUG(e == EPERM,
		  "tce-run: after fork the child's MAP_DMA on the parent's container gets %s; the "
		  "kernel gives EPERM (the container's mm is the parent's; the shim keeps using "
		  "the parent's tce_vfio_mm in the child)", e ? ic_errname(e) : "success");
	CHECK_OK(ic_unmap(&v, IOVA, SIZE)); /* the parent still owns it */
	ic_teardown(&v);
	munmap(buf, SIZE);
}

/* Does the preloaded shim itself define @name (so it can see the client's calls to it)? */
static bool shim_wraps(const char *name)
{
	const char *pre = getenv("LD_PRELOAD");
	char path[4096], *p, *save = NULL;
	void *h, *sym;
	Dl_info info;

	if (!pre || strlen(pre) >= sizeof(path))
		return false;
	strcpy(path, pre);
	for (p = strtok_r(path, ": ", &save); p; p = strtok_r(NULL, ": ", &save)) {
		if (!strstr(p, "libtce-preload"))
			continue;
		h = dlopen(p, RTLD_NOW | RTLD_NOLOAD);
		sym = h ? dlsym(h, name) : NULL;
		if (h)
			dlclose(h);
		return sym && dladdr(sym, &info) && strstr(info.dli_fname, "libtce-preload");
	}
	return false;
}

static void munmap_while_mapped(void)
{
	uint8_t *buf;
	struct vf v;

	REQUIRE(set_up(&v, &buf));
	memset(buf, 0x3c, 4096);
	if (!shim_wraps("munmap")) {
		/* Running the DMA would crash the client (SIGSEGV in the device's copy). */
		KNOWN_BUG(false, "tce-run: munmap of a registered and mapped buffer is not "
				 "intercepted, so the device's DMA reads unmapped memory and the client "
				 "dies of SIGSEGV; pinned pages stay alive in the kernel (DECISIONS 25)");
		ic_teardown(&v);
		munmap(buf, SIZE);
		return;
	}
	munmap(buf, SIZE);
	CHECK_EQ(ic_copy(&v, IOVA, IOVA + SIZE / 2, 4096), DT_DONE);
	CHECK_OK(ic_unmap(&v, IOVA, SIZE));
	if (v.v2)
		CHECK_OK(ic_unregister(&v, buf, SIZE));
	ic_teardown(&v);
}

int main(int argc, char **argv)
{
	static const struct ic_case cases[] = { IC_CASE(fork_child_eperm),
						IC_CASE(munmap_while_mapped) };

	return ic_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
