/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tce-run: run an unmodified VFIO program on an emulated POWER machine. It
 * checks its own arguments and the machine, then executes the program with
 * the preload shim (libtce-preload.so) that gives it /dev/vfio, the sysfs
 * view of the machine's PCI functions and the sPAPR TCE IOMMU behind them.
 * Front end; docs/tce-run.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tce.h>

#include "shim.h"

#ifndef TCE_RUN_SHIM_INSTALLED
#define TCE_RUN_SHIM_INSTALLED "libtce-preload.so"
#endif

static const char usage[] =
	"usage: tce-run [--machine powernv|pseries|legacy|FILE.dtb|FILE.dts] [--log FILE]\n"
	"               [--explain] [--stats] [--type1] [--] PROGRAM [ARGS...]\n"
	"Runs PROGRAM with /dev/vfio and the PCI devices of an emulated POWER machine\n"
	"behind the sPAPR TCE IOMMU (default machine: powernv).\n"
	"  --machine M   the built-in powernv or pseries machine, pseries with the legacy\n"
	"                (VFIO v1) OS, or a device tree (.dts files are compiled with dtc)\n"
	"  --log FILE    append every refused ioctl, DMA fault and the final report to FILE\n"
	"  --explain     explain each refused ioctl and DMA fault on stderr\n"
	"  --stats       print what happened (ioctls, mappings, faults, EEH) at exit\n"
	"  --type1       also offer VFIO Type1v2 (a POWER kernel does not): x86 VFIO\n"
	"                programs then map through a generic IOMMU domain over TCE windows\n";

struct opts {
	const char *machine, *log;
	bool explain, stats, type1;
	char **argv;
};

static int fail(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "tce-run: ");
	fprintf(stderr, fmt, arg, why);
	fputc('\n', stderr);
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .machine = "powernv" };
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--explain")) {
			o->explain = true;
		} else if (!strcmp(a, "--stats")) {
			o->stats = true;
		} else if (!strcmp(a, "--type1")) {
			o->type1 = true;
		} else if (!strcmp(a, "--machine") || !strcmp(a, "--log")) {
			if (i + 1 == argc)
				return fail("%s needs a value%s", a, "");
			if (!strcmp(a, "--log"))
				o->log = argv[++i];
			else
				o->machine = argv[++i];
		} else {
			return fail("unknown option '%s'%s; see tce-run --help", a, "");
		}
	}
	if (i == argc)
		return fail("no program to run%s%s; see tce-run --help", "", "");
	o->argv = argv + i;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* dtc's first message line, read from @fd into @msg (the rest is dropped). */
static void first_line(int fd, char *msg, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char *nl;

	while (len + 1 < size && (n = read(fd, msg + len, size - 1 - len)) > 0) {
		len += (size_t)n;
		msg[len] = 0;
		if (strchr(msg, '\n'))
			break;
	}
	msg[len] = 0;
	nl = strchr(msg, '\n');
	if (nl)
		*nl = 0;
	while (read(fd, (char[256]){ 0 }, 256) > 0)
		;
}

/* Compile @dts with dtc into @out (a temporary .dtb); dtc's complaint in @msg. */
static int compile_dts(const char *dts, char *out, size_t size, char *msg, size_t msize)
{
	const char *tmp = getenv("TMPDIR");
	int fd, status, err[2];
	pid_t pid;

	snprintf(out, size, "%s/tce-run-XXXXXX.dtb", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemps(out, 4);
	if (fd < 0)
		return -errno;
	close(fd);
	if (pipe(err))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(err[1], 2);
		execlp("dtc", "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, dts, (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	first_line(err[0], msg, msize);
	close(err[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(out);
		return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EINVAL;
	}
	return 0;
}

/* The first error the machine's parser logged: what is wrong with the tree. */
static void first_error(void *arg, enum tce_log_level level, const char *msg)
{
	char *buf = arg;

	(void)level;
	if (!*buf)
		snprintf(buf, 256, "%s", msg);
}

/* The machine named on the command line, checked as the shim will build it. */
static int check_machine(const char *name, char *dtb, size_t size, const char **out)
{
	struct tce_machine *m;
	struct tce_ctx *ctx;
	char msg[256], why[300];
	int rc;

	*out = name;
	if (!strcmp(name, "powernv") || !strcmp(name, "pseries") || !strcmp(name, "legacy"))
		return 0;
	if (ends_with(name, ".dts")) {
		rc = compile_dts(name, dtb, size, msg, sizeof(msg));
		snprintf(why, sizeof(why), "dtc could not compile it%s%s", *msg ? ": " : "", msg);
		if (rc)
			return fail("machine %s: %s", name, rc == -ENOENT ?
				    "dtc could not be run (install device-tree-compiler)" : why);
		*out = dtb;
	}
	if (tce_ctx_create(&ctx))
		return fail("machine %s: %s", name, tce_strerror(-ENOMEM));
	*msg = '\0';
	tce_ctx_set_log(ctx, first_error, msg, TCE_LOG_ERR);
	rc = tce_machine_create_dtb_file(*out, ctx, &m);
	if (!rc)
		tce_machine_destroy(m);
	tce_ctx_destroy(ctx);
	snprintf(why, sizeof(why), "%s%s%s", tce_strerror(rc), *msg ? ": " : "", msg);
	return rc ? fail("machine %s: %s", name, why) : 0;
}

/* libtce-preload.so beside this executable (the build tree), else where it is installed. */
static void preload_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	if (getenv("TCE_RUN_SHIM")) {
		snprintf(buf, size, "%s", getenv("TCE_RUN_SHIM"));
		return;
	}
	if (n > 0) {
		self[n] = 0;
		snprintf(buf, size, "%s/libtce-preload.so", dirname(self));
		if (!stat(buf, &st))
			return;
	}
	snprintf(buf, size, "%s", TCE_RUN_SHIM_INSTALLED);
}

int main(int argc, char **argv)
{
	char dtb[PATH_MAX], shim[PATH_MAX], preload[2 * PATH_MAX];
	const char *machine, *old;
	struct opts o;
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc;
	rc = check_machine(o.machine, dtb, sizeof(dtb), &machine);
	if (rc)
		return rc;
	preload_path(shim, sizeof(shim));
	old = getenv("LD_PRELOAD");
	snprintf(preload, sizeof(preload), "%s%s%s", shim, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv(SHIM_ENV_MACHINE, machine, 1);
	if (o.log)
		setenv(SHIM_ENV_LOG, o.log, 1);
	if (o.explain)
		setenv(SHIM_ENV_EXPLAIN, "1", 1);
	if (o.stats)
		setenv(SHIM_ENV_STATS, "1", 1);
	if (o.type1)
		setenv(SHIM_ENV_TYPE1, "1", 1);
	execvp(o.argv[0], o.argv);
	fprintf(stderr, "tce-run: %s: %s\n", o.argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
