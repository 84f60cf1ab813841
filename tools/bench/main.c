/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tce-bench: the benchmark binary of spec performance.md §6. It parses the
 * common options, pins itself to CPU 0, measures the in-run floors, runs one
 * subcommand and measures the floors again. A new benchmark is one more line
 * in subcommands[]. Layer: tools; uses <tce.h> through the subcommands only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floors.h"
#include "harness.h"
#include "report.h"
#include "subcommands.h"

struct subcommand {
	const char *name;
	const char *help;
	int (*run)(const struct bench_opts *o);
};

static const struct subcommand subcommands[] = {
	{ "table", "TCE table: tce_table_get() per level count against a flat array,\n"
		   "            create+destroy time and memory per window size, and\n"
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
};

#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tce-bench [--json] [--quick] [--reps N] [--callgrind] <subcommand>\n\n"
		   "subcommands:\n");
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\noptions:\n"
		   "  --json     one JSON object per line instead of a table\n"
		   "  --quick    tiny sizes and 1 repetition: a smoke run for CI and sanitizers\n"
		   "  --reps N   measured repetitions after the warm-up (default %d, max %d)\n"
		   "  --callgrind  alloc: only the 1-thread B1 loops, once, tiny op counts,\n"
		   "             instructions counted inside the loops (bench-instr.sh)\n"
		   "  --help     this text\n",
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

/*
 * Options may come before or after the subcommand. Returns 0, 1 for --help,
 * or -EINVAL after saying what was wrong.
 */
static int parse_args(int argc, char **argv, struct bench_opts *o, const char **cmd)
{
	bool reps_given = false;
	int i, rc = 0;

	for (i = 1; i < argc && !rc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (!strcmp(argv[i], "--quick")) {
			o->quick = true;
		} else if (!strcmp(argv[i], "--callgrind")) {
			o->callgrind = true;
			o->quick = true;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			rc = parse_reps(argv[++i], &o->reps);
			reps_given = true;
		} else if (!strncmp(argv[i], "--reps=", 7)) {
			rc = parse_reps(argv[i] + 7, &o->reps);
			reps_given = true;
		} else if (argv[i][0] != '-' && !*cmd) {
			*cmd = argv[i];
		} else {
			fprintf(stderr, "tce-bench: unexpected argument '%s'\n", argv[i]);
			rc = -EINVAL;
		}
	}
	if (!rc && !*cmd) {
		fprintf(stderr, "tce-bench: no subcommand given\n");
		rc = -EINVAL;
	}
	if (o->quick && !reps_given)
		o->reps = 1;
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

int main(int argc, char **argv)
{
	struct bench_opts o = { .reps = BENCH_REPS_DEFAULT };
	const struct subcommand *sc;
	const char *cmd = NULL;
	int rc;

	rc = parse_args(argc, argv, &o, &cmd);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc) {
		usage(stderr);
		return 2;
	}
	sc = find_subcommand(cmd);
	if (!sc) {
		fprintf(stderr, "tce-bench: unknown subcommand '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	return run(&o, sc) ? 1 : 0;
}
