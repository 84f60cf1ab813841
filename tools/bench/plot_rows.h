/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inside of tce-bench --plot: the copies of the rows kept for the
 * charts, the collector that holds them, and the table of charts, each
 * saying which rows it draws, how they group into series and what x is.
 * Shared by plot.c (collecting), plot_charts.c (the charts) and plot_gp.c
 * (the .dat and .gp files, gnuplot). Layer: tools.
 */
#ifndef TCE_BENCH_PLOT_ROWS_H
#define TCE_BENCH_PLOT_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "plot.h"

#define PLOT_NAME_MAX 40

/* A copied param: the string @str when @is_str, else @num. */
struct plot_field {
	char key[24];
	char str[PLOT_NAME_MAX];
	double num;
	bool is_str;
};

/* One emitted row, copied: its strings may live on the emitter's stack. */
struct plot_row {
	char bench[PLOT_NAME_MAX];
	char variant[PLOT_NAME_MAX];
	unsigned int threads;
	struct plot_field params[BENCH_FIELDS_MAX];
	unsigned int nparams;
	bool timed;            /* median, min, max hold the timings */
	double median, min, max; /* ns per op over the measured repetitions */
	/* A goal row (bench_goal()). */
	char goal_id[8];
	char goal[224];
	double goal_ratio;
	bool judged, met;
};

struct bench_plot {
	char *dir;
	char machine[256]; /* "CPU model, N CPUs, load a b c at start" */
	char date[64];
	struct plot_row *rows;
	size_t nrows, cap;
	unsigned int dropped; /* rows not kept for want of memory */
};

/* The param @key of @r, or NULL. */
const struct plot_field *plot_param(const struct plot_row *r, const char *key);
/* The numeric param @key in *@out: true if present and numeric. */
bool plot_num(const struct plot_row *r, const char *key, double *out);
/* The string param @key, or NULL when absent or numeric. */
const char *plot_str(const struct plot_row *r, const char *key);

/* The series a point belongs to: rows of one group and qualifier form a line. */
struct plot_key {
	char group[PLOT_NAME_MAX];
	char qual[64]; /* shown after the variant names, "" for none */
};

#define PLOT_KEYS_MAX 2

struct plot_chart {
	const char *name;   /* file stem: NAME.dat, NAME.gp, NAME.png, NAME.svg */
	const char *needs;  /* the subcommands whose rows it draws */
	const char *what;   /* the title's first line */
	const char *xlabel;
	const char *ylabel;
	bool logx, logy;
	bool throughput;    /* y is 1000 / ns per op (Mops/s), else ns per op */
	const char *extra;  /* more gnuplot settings (tics, ranges) */
	const char *more;   /* appended to the plot command: reference lines */
	/* Whether @r is drawn, and if so its x and series (returns 0..PLOT_KEYS_MAX). */
	unsigned int (*place)(const struct plot_row *r, double *x, struct plot_key *keys);
};

extern const struct plot_chart plot_charts[];
extern const unsigned int plot_ncharts;

/* Whether any chart draws @r. */
bool plot_row_used(const struct plot_row *r);

#endif /* TCE_BENCH_PLOT_ROWS_H */
