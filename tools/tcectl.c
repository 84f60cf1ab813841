/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tcectl: the command-line front end. `demo` runs the main job (the OS on
 * both built-in machines: kernel DMA, dynamic windows, hand-off to an
 * external owner and back), `machine` prints what a machine holds, `tour`
 * walks through the layers one at a time. Layer: front end; uses only
 * <tce.h>.
 */
#include <stdio.h>
#include <string.h>

#include "tcectl.h"

int tcectl_fail(const char *step, int rc)
{
	fprintf(stderr, "tcectl: %s: %s (%s)\n", step, tce_strerror(rc), tce_err_name(rc));
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tcectl demo [--json]\n"
		   "       tcectl machine [--dtb FILE | --dts FILE] [--platform pseries|powernv] [--json]\n"
		   "       tcectl tour\n"
		   "  demo     the OS on both built-in machines: kernel DMA from two threads\n"
		   "           through the DMA-test device, a dynamic window for a 64-bit\n"
		   "           device, a PE handed to an external owner and back, the same\n"
		   "           for the SR-IOV virtual function; exits non-zero if a check fails\n"
		   "  machine  the PHBs, PEs, windows and devices of a machine\n"
		   "  tour     tables, the DMA API and the bare machines, layer by layer\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "demo"))
		return tcectl_demo(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "machine"))
		return tcectl_machine(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "tour"))
		return tcectl_tour();
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
