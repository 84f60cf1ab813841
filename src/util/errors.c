/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names and descriptions of the negative errno values the library returns.
 * The table is the library's own so that messages do not depend on the C
 * library's locale. Layer: util.
 */
#include <errno.h>
#include <stddef.h>

#include "tce.h"

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
	{ 0, "OK", "success" },
	{ EPERM, "EPERM", "operation not permitted" },
	{ ENOENT, "ENOENT", "no such entry" },
	{ EIO, "EIO", "input/output error" },
	{ ENXIO, "ENXIO", "no such device or address" },
	{ E2BIG, "E2BIG", "argument list too long" },
	{ EBADF, "EBADF", "bad file descriptor" },
	{ EAGAIN, "EAGAIN", "resource temporarily unavailable" },
	{ ENOMEM, "ENOMEM", "out of memory" },
	{ EACCES, "EACCES", "permission denied" },
	{ EFAULT, "EFAULT", "bad address" },
	{ EBUSY, "EBUSY", "resource busy" },
	{ EEXIST, "EEXIST", "already exists" },
	{ ENODEV, "ENODEV", "no such device" },
	{ EISDIR, "EISDIR", "is a directory" },
	{ EMFILE, "EMFILE", "too many open files" },
	{ EINVAL, "EINVAL", "invalid argument" },
	{ ENOSPC, "ENOSPC", "no space left" },
	{ ENOTTY, "ENOTTY", "inappropriate ioctl for device" },
	{ ERANGE, "ERANGE", "result out of range" },
	{ ENOSYS, "ENOSYS", "function not available" },
	{ EOVERFLOW, "EOVERFLOW", "value too large" },
	{ EOPNOTSUPP, "EOPNOTSUPP", "operation not supported" },
	{ ETIMEDOUT, "ETIMEDOUT", "timed out" },
};

static const struct err_entry *find(int err)
{
	size_t i;

	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (-err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *tce_strerror(int err)
{
	const struct err_entry *e = find(err);

	return e ? e->text : "unknown error";
}

const char *tce_err_name(int err)
{
	const struct err_entry *e = find(err);

	return e ? e->name : "UNKNOWN";
}
