/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tce-bench: the benchmark binary of spec performance.md §6. It parses the
 * common options, pins itself to CPU 0, and for each subcommand named
 * measures the in-run floors, runs it and measures the floors again; with
 * --plot it then draws the charts from the rows of that run. A new benchmark
 * is one more line in subcommands[]. Layer: tools; uses <tce.h> through the
 * subcommands only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floors.h"
#include "harness.h"
#include "plot.h"
#include "report.h"
#include "subcommands.h"

struct subcommand {
	const char *name;
	const char *help;
	int (*run)(const struct bench_opts *o);
};

static const struct subcommand subcommands[] = {
	{ "table", "TCE table: tce_table_get() per level count and working set (32 KiB\n"
		   "            to 16 MiB of TCEs) against a flat array, create+destroy\n"
		   "            time and memory per window size, and\n"
		   "            whole-window clear against memset (B6 lookups, B8)",
	  bench_table },
	{ "alloc", "DMA-address allocator: path length, 2-thread contention,\n"
		   "            multi-page/fragmentation and DMA map+unmap against FLOOR,\n"
		   "            BL-ONELOCK, BL-TREE and BL-TREE+MAG (B1-B4)",
	  bench_alloc },
	{ "hv", "pseries hypervisor: H_PUT_TCE x512, H_PUT_TCE_INDIRECT, H_STUFF_TCE\n"
		"            (512 and 1 Mi), mapping a 16 GiB DDW, and device DMA translate\n"
		"            (TCE cache hit/miss) against store, memset and load floors (B5, B6)",
	  bench_hv },
	{ "vfio", "VFIO SPAPR TCE v2 container: MAP/UNMAP_DMA per page (1, 512, 262144 a\n"
		  "            call; 4 KiB and 64 KiB windows; powernv and pseries), UA -> region\n"
		  "            lookup at 1, 64, 4096 regions, REGISTER of 16 GiB, release of a\n"
		  "            sparse 1 TiB window, against owned-table, bsearch and smaps floors\n"
		  "            (B7-B9)",
	  bench_vfio },
	{ "domain", "generic IOMMU domain (powernv): tce_domain_map/unmap per page (1 or one\n"
		    "            2 MiB piece, 512, 262144 a call; 4 KiB, 64 KiB and 2 MiB pieces\n"
		    "            over 64 KiB windows) against update/clear on an owned table",
	  bench_domain },
	{ "shim", "tce-run's preload shim: MAP_DMA+UNMAP_DMA of 1, 64, 512 pages a call\n"
		  "            by a client under tce-run against tce_vfio_ioctl() in-process\n"
		  "            (goal <= 1.2x at 512), and the 16,384-chunk register+map loop of a\n"
		  "            POWER VFIO stress test in ops/s on both (needs tce-run built)",
	  bench_shim },
	{ "ioat", "the emulated I/OAT (CBDMA) channel: rings of 64 B, 4 KiB and 64 KiB\n"
		  "            copies through the IOMMU against memcpy of the same bytes",
	  bench_ioat },
	{ "dev", "device DMA (issue 12 G4): the DMA-test copy engine against memcpy of\n"
		 "            64 KiB, an 8-byte read on a TCE-cache hit (1 and 2 devices on\n"
		 "            2 threads), loads through tce_dev_dma_map() against raw loads",
	  bench_dev },
};

#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))
#define CMDS_MAX 8

/* What --plot runs when no subcommand is named: the rows every chart draws. */
static const char *const plot_default[] = { "table", "alloc", "hv", "shim" };
#define NPLOT_DEFAULT (sizeof(plot_default) / sizeof(plot_default[0]))

/* The command line: options, the plot directory, the subcommands in order. */
struct cmdline {
	struct bench_opts o;
	const char *plot_dir;
	const char *cmds[CMDS_MAX];
	unsigned int ncmds;
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tce-bench [--json] [--quick] [--reps N] [--callgrind] <subcommand>...\n"
		   "       tce-bench [options] --plot DIR [<subcommand>...]\n\n"
		   "subcommands (several run one after the other, each between its floors):\n");
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\noptions:\n"
		   "  --json     one JSON object per line instead of a table\n"
		   "  --quick    tiny sizes and 1 repetition: a smoke run for CI and sanitizers\n"
		   "  --reps N   measured repetitions after the warm-up (default %d, max %d)\n"
		   "  --callgrind  alloc: only the 1-thread B1 loops, once, tiny op counts,\n"
		   "             instructions counted inside the loops (bench-instr.sh)\n"
		   "  --plot DIR charts from the rows of this run: per chart DIR/NAME.dat and\n"
		   "             NAME.gp, drawn by gnuplot (from PATH) as NAME.png (800x500)\n"
		   "             and NAME.svg; DIR/goals.dat lists the goal rows. Charts:\n"
		   "             alloc-threads-mtx, alloc-threads-spin, translate, clear,\n"
		   "             map-dma. With no subcommand it runs table, alloc, hv and shim.\n"
		   "             Without gnuplot the .dat and .gp files are still written, one\n"
		   "             line on stderr says the images were not drawn, exit status 0\n"
		   "  --help     this text\n"
		   "\nexit status: 0 done, 1 a benchmark, a file or gnuplot failed, 2 bad usage\n",
		BENCH_REPS_DEFAULT, BENCH_REPS_MAX);
}

static const struct subcommand *find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < NSUBCOMMANDS; i++) {
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	}
	return NULL;
}

static int parse_reps(const char *s, unsigned int *reps)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > BENCH_REPS_MAX) {
		fprintf(stderr, "tce-bench: --reps wants 1..%d, not '%s'\n", BENCH_REPS_MAX, s);
		return -EINVAL;
	}
	*reps = (unsigned int)n;
	return 0;
}

static int add_cmd(struct cmdline *c, const char *name)
{
	if (c->ncmds == CMDS_MAX) {
		fprintf(stderr, "tce-bench: at most %d subcommands at once\n", CMDS_MAX);
		return -EINVAL;
	}
	c->cmds[c->ncmds++] = name;
	return 0;
}

/* One option at argv[*i] (it may take argv[*i + 1]). Returns 0 or -EINVAL. */
static int parse_opt(int argc, char **argv, int *i, struct cmdline *c, bool *reps_given)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--json")) {
		c->o.json = true;
	} else if (!strcmp(a, "--quick")) {
		c->o.quick = true;
	} else if (!strcmp(a, "--callgrind")) {
		c->o.callgrind = true;
		c->o.quick = true;
	} else if ((!strcmp(a, "--reps") && *i + 1 < argc) || !strncmp(a, "--reps=", 7)) {
		*reps_given = true;
		return parse_reps(a[6] == '=' ? a + 7 : argv[++*i], &c->o.reps);
	} else if (!strcmp(a, "--plot") && *i + 1 < argc) {
		c->plot_dir = argv[++*i];
	} else if (!strncmp(a, "--plot=", 7) && a[7]) {
		c->plot_dir = a + 7;
	} else {
		fprintf(stderr, "tce-bench: unexpected argument '%s'\n", a);
		return -EINVAL;
	}
	return 0;
}

/*
 * Options may come before or after the subcommands. Returns 0, 1 for --help,
 * or -EINVAL after saying what was wrong.
 */
static int parse_args(int argc, char **argv, struct cmdline *c)
{
	bool reps_given = false;
	unsigned int k;
	int i, rc = 0;

	for (i = 1; i < argc && !rc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (argv[i][0] != '-')
			rc = add_cmd(c, argv[i]);
		else
			rc = parse_opt(argc, argv, &i, c, &reps_given);
	}
	if (!rc && !c->ncmds && c->plot_dir) {
		for (k = 0; k < NPLOT_DEFAULT; k++)
			c->cmds[c->ncmds++] = plot_default[k];
	}
	if (!rc && !c->ncmds) {
		fprintf(stderr, "tce-bench: no subcommand given\n");
		rc = -EINVAL;
	}
	if (c->o.quick && !reps_given)
		c->o.reps = 1;
	return rc;
}

/* Floors, the subcommand, floors again; stops at the first failure. */
static int run(const struct bench_opts *o, const struct subcommand *sc)
{
	int rc, pin = bench_pin_cpu0();

	bench_note(o, "tce-bench %s: %u repetitions after 1 discarded warm-up, interleaved",
		   sc->name, o->reps);
	if (pin)
		bench_note(o, "could not pin to CPU 0: %s", strerror(pin));
	else
		bench_note(o, "pinned to CPU 0");
	if (o->quick)
		bench_note(o, "quick mode: tiny sizes, numbers are not meaningful");
	rc = bench_floors(o, "start");
	if (!rc)
		rc = sc->run(o);
	if (!rc)
		rc = bench_floors(o, "end");
	if (rc == -ENOMEM)
		fprintf(stderr, "tce-bench: out of memory\n");
	return rc;
}

/* Every named subcommand exists; says which does not. */
static int check_cmds(const struct cmdline *c)
{
	unsigned int i;

	for (i = 0; i < c->ncmds; i++) {
		if (!find_subcommand(c->cmds[i])) {
			fprintf(stderr, "tce-bench: unknown subcommand '%s'\n", c->cmds[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* The subcommands in order, stopping at the first failure; then the charts. */
static int run_all(struct cmdline *c)
{
	unsigned int i;
	int rc = 0;

	if (c->plot_dir)
		rc = bench_plot_open(c->plot_dir, &c->o.plot);
	for (i = 0; i < c->ncmds && !rc; i++)
		rc = run(&c->o, find_subcommand(c->cmds[i]));
	if (!rc && c->o.plot)
		rc = bench_plot_draw(c->o.plot, &c->o);
	bench_plot_free(c->o.plot);
	return rc;
}

int main(int argc, char **argv)
{
	struct cmdline c = { .o = { .reps = BENCH_REPS_DEFAULT } };
	int rc;

	rc = parse_args(argc, argv, &c);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (!rc)
		rc = check_cmds(&c);
	if (rc) {
		usage(stderr);
		return 2;
	}
	return run_all(&c) ? 1 : 0;
}
