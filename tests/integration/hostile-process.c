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
	CHECK_WHY(e == EPERM,
		  "after fork the child's MAP_DMA on the parent's container gets %s; the kernel "
		  "gives EPERM (the container's mm is the parent's)", e ? ic_errname(e) : "success");
	CHECK_OK(ic_unmap(&v, IOVA, SIZE)); /* the parent still owns it */
	ic_teardown(&v);
	munmap(buf, SIZE);
}

static void munmap_while_mapped(void)
{
	uint8_t *buf;
	struct vf v;

	REQUIRE(set_up(&v, &buf));
	memset(buf, 0x3c, 4096);
	/* The pages stay alive for the device, as pinned pages do (DECISIONS 25). */
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
