/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tcectl's .dts loader: dtc compiles the source into a pipe (no temporary
 * file) and the blob becomes a machine through tce_machine_create(). The
 * library itself reads only blobs; running programs is the front end's job.
 * Layer: front end; uses only <tce.h> and POSIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcectl.h"

#define MAX_DTB (1u << 20)

/* The child: dtc compiling @dts to a blob on @out, its messages discarded. */
static void exec_dtc(const char *dts, int out)
{
	int null = open("/dev/null", O_WRONLY);

	if (null >= 0)
		dup2(null, STDERR_FILENO);
	dup2(out, STDOUT_FILENO);
	execlp("dtc", "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", dts, (char *)NULL);
	_exit(127);
}

/* Read at most MAX_DTB bytes of the blob; -EINVAL if there are more. */
static int read_blob(int fd, void *buf, size_t *size)
{
	ssize_t got;

	*size = 0;
	while ((got = read(fd, (char *)buf + *size, MAX_DTB - *size)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		*size += (size_t)got;
		if (*size == MAX_DTB)
			return -EINVAL;
	}
	return 0;
}

/*
 * Compile @dts with dtc into @buf (MAX_DTB bytes). -ENOENT when dtc cannot be
 * run, -EINVAL when it refuses the source.
 */
static int run_dtc(const char *dts, void *buf, size_t *size)
{
	int fds[2], status, rc;
	pid_t pid;

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		exec_dtc(dts, fds[1]);
	}
	close(fds[1]);
	rc = pid < 0 ? -errno : read_blob(fds[0], buf, size);
	close(fds[0]);
	if (pid < 0)
		return rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return !rc && WIFEXITED(status) && WEXITSTATUS(status) == 0 && *size ? rc : -EINVAL;
}

int tcectl_load_dts(const char *path, struct tce_ctx *ctx, struct tce_machine **out)
{
	struct tce_machine_config cfg = { .ctx = ctx };
	void *buf;
	int rc;

	if (access(path, R_OK))
		return -errno;
	buf = malloc(MAX_DTB);
	if (!buf)
		return -ENOMEM;
	rc = run_dtc(path, buf, &cfg.dtb_size);
	if (rc == -EINVAL)
		fprintf(stderr, "tcectl: device tree: %s: dtc could not compile it\n", path);
	if (!rc) {
		cfg.dtb = buf;
		rc = tce_machine_create(&cfg, out);
	}
	free(buf);
	return rc;
}
