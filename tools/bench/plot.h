/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tce-bench --plot DIR: charts drawn from the rows of the same run. Each
 * emitted row is offered to the collector (bench_emit() does it); at the end
 * the collector writes, per chart, a .dat file and a gnuplot script into DIR
 * and runs gnuplot on it (PNG and SVG). Layer: tools; uses the report only.
 */
#ifndef TCE_BENCH_PLOT_H
#define TCE_BENCH_PLOT_H

#include "report.h"

struct bench_plot;

/*
 * Start collecting for DIR (created if missing, one level): records the
 * machine (CPU model, online CPUs, load average) and the date now, before
 * anything is measured. Returns 0 or a negative errno after saying why.
 */
int bench_plot_open(const char *dir, struct bench_plot **out);

/* Keep a copy of @r if a chart or the goal list uses it. Never fails: a
 * row that cannot be kept is counted and bench_plot_draw() reports it. */
void bench_plot_keep(struct bench_plot *p, const struct bench_row *r);

/*
 * Write every chart's .dat and .gp and goals.dat into DIR, then run gnuplot
 * (found in PATH) on each script. Returns 0 when all images were drawn or
 * gnuplot is absent (one line on stderr says the images were not drawn and
 * why), a negative errno when a file could not be written, the collector ran
 * out of memory or gnuplot failed.
 */
int bench_plot_draw(struct bench_plot *p, const struct bench_opts *o);

void bench_plot_free(struct bench_plot *p);

#endif /* TCE_BENCH_PLOT_H */
