/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Result rows and their two renderings: an aligned table for a terminal and
 * one JSON object per line for scripts (spec performance.md §6.1 item 8).
 * A row is a measured variant with its ratio to the floor and its target, or
 * a refusal with the error name. Layer: tools; uses the harness only.
 */
#ifndef TCE_BENCH_REPORT_H
#define TCE_BENCH_REPORT_H

#include <stdbool.h>

#include "harness.h"

#define BENCH_FIELDS_MAX 8

/*
 * A named value: the string @str when set, else the number @num. A key
 * ending in "_bytes" is shown as a size on the terminal.
 */
struct bench_field {
	const char *key;
	const char *str;
	double num;
	bool json_only; /* left to the section title on the terminal */
};

struct bench_row {
	const char *bench;   /* "table.lookup" */
	const char *variant; /* "OURS-L2-seq", "FLOOR-seq" */
	unsigned int threads; /* workers the timing is over; 1 unless set */
	struct bench_field params[BENCH_FIELDS_MAX];
	unsigned int nparams;
	struct bench_field extras[BENCH_FIELDS_MAX]; /* top-level JSON fields */
	unsigned int nextras;
	const struct bench_variant *v; /* the timings; NULL for a refusal */
	int refused;                   /* negative errno of a refusal, else 0 */
	double ratio;                  /* to the same run's floor; < 0: none */
	const char *target;            /* NULL: no target */
	bool met;
	/* An issue-12 goal row (bench_goal()): its id, the ratio judged, whether judged. */
	const char *goal_id;           /* "G1".."G7"; NULL: not a goal row */
	double goal_ratio;
	bool judged;
};

/* Start a row with no params, extras, ratio or target. */
void bench_row_init(struct bench_row *r, const char *bench, const char *variant,
		    const struct bench_variant *v);
/*
 * Add a param (the JSON "params" object) or an extra (a top-level field).
 * Each returns the field; set its json_only to keep it off the terminal.
 */
struct bench_field *bench_param_str(struct bench_row *r, const char *key, const char *str);
struct bench_field *bench_param_num(struct bench_row *r, const char *key, double num);
struct bench_field *bench_extra(struct bench_row *r, const char *key, double num);

/* A param the terminal leaves out because the section title gives it. */
void bench_param_json(struct bench_row *r, const char *key, double num);

/* Set the target and whether it was met. */
void bench_target(struct bench_row *r, const char *target, bool met);

/*
 * Make @r the target row of goal @goal_id ("G1".."G7", numbered as issue 12
 * numbers them): @ratio is the number the goal is judged on, computed from
 * rows of the same run, @goal the goal as text ("<=1.5x BL-ONELOCK"), @met
 * whether it was met. @judged false (a two-thread goal while a CPU was
 * busy): the row says "not judged: CPU busy" and "met" is null. JSON:
 * "goal_id", "ratio", "goal", "met" (and "judged").
 */
void bench_goal(struct bench_row *r, const char *goal_id, double ratio, const char *goal,
		bool met, bool judged);

/* Terminal only: a titled section with column headings in @unit. */
void bench_section(const struct bench_opts *o, const char *title, const char *unit);

/* Terminal only: a free-form line. */
void bench_note(const struct bench_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print @r in the chosen format; with --plot, hand it to the chart collector too. */
void bench_emit(const struct bench_opts *o, const struct bench_row *r);

#endif /* TCE_BENCH_REPORT_H */
