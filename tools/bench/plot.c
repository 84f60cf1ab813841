/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector of tce-bench --plot: it records the machine and the date
 * when the run starts and keeps a copy of every row a chart draws and of
 * every goal row, so the charts come from the rows of the same run. Drawing
 * is plot_gp.c's. Layer: tools; uses the report and the C library only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plot_rows.h"

/* Whether @line is "KEY<blanks>: value". */
static bool is_key(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n))
		return false;
	return line[n + strspn(line + n, " \t")] == ':';
}

/* The first "model name" (x86, Arm) or "cpu" (POWER) line of /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len)
{
	static const char *const keys[] = { "model name", "cpu" };
	char line[256], *val;
	unsigned int k;
	FILE *f;

	snprintf(buf, len, "unknown CPU");
	for (k = 0; k < 2; k++) {
		f = fopen("/proc/cpuinfo", "r");
		if (!f)
			return;
		while (fgets(line, sizeof(line), f)) {
			if (!is_key(line, keys[k]))
				continue;
			val = strchr(line, ':') + 1;
			val += strspn(val, " \t");
			val[strcspn(val, "\n")] = '\0';
			snprintf(buf, len, "%s", val);
			fclose(f);
			return;
		}
		fclose(f);
	}
}

static void describe_machine(struct bench_plot *p)
{
	double load[3] = { -1, -1, -1 };
	char cpu[160];
	time_t now = time(NULL);
	struct tm tm;

	cpu_model(cpu, sizeof(cpu));
	if (getloadavg(load, 3) != 3)
		load[0] = load[1] = load[2] = -1;
	snprintf(p->machine, sizeof(p->machine), "%s, %ld CPUs, load %.2f %.2f %.2f at start",
		 cpu, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	if (localtime_r(&now, &tm))
		strftime(p->date, sizeof(p->date), "%Y-%m-%d %H:%M %Z", &tm);
}

int bench_plot_open(const char *dir, struct bench_plot **out)
{
	struct bench_plot *p;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "tce-bench: --plot: cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->dir = strdup(dir);
	if (!p || !p->dir) {
		free(p);
		fprintf(stderr, "tce-bench: --plot: out of memory\n");
		return -ENOMEM;
	}
	describe_machine(p);
	*out = p;
	return 0;
}

static void copy_field(struct plot_field *to, const struct bench_field *from)
{
	snprintf(to->key, sizeof(to->key), "%s", from->key);
	to->is_str = from->str != NULL;
	if (to->is_str)
		snprintf(to->str, sizeof(to->str), "%s", from->str);
	to->num = from->num;
}

/* Largest of @v's samples: the slowest repetition. */
static double max_sample(const struct bench_variant *v)
{
	double max = v->sum.min;
	unsigned int i;

	for (i = 0; i < v->nsamples; i++)
		max = v->samples[i] > max ? v->samples[i] : max;
	return max;
}

static void copy_row(struct plot_row *to, const struct bench_row *r)
{
	unsigned int i;

	memset(to, 0, sizeof(*to));
	snprintf(to->bench, sizeof(to->bench), "%s", r->bench);
	snprintf(to->variant, sizeof(to->variant), "%s", r->variant);
	to->threads = r->threads;
	for (i = 0; i < r->nparams && i < BENCH_FIELDS_MAX; i++)
		copy_field(&to->params[i], &r->params[i]);
	to->nparams = i;
	to->timed = r->v && !r->refused && r->v->nsamples;
	if (to->timed) {
		to->median = r->v->sum.median;
		to->min = r->v->sum.min;
		to->max = max_sample(r->v);
	}
	if (r->goal_id) {
		snprintf(to->goal_id, sizeof(to->goal_id), "%s", r->goal_id);
		snprintf(to->goal, sizeof(to->goal), "%s", r->target ? r->target : "");
		/* a row not judged carries the reason as its target, the goal as a param */
		for (i = 0; !r->judged && i < r->nparams; i++)
			if (r->params[i].key && !strcmp(r->params[i].key, "goal") && r->params[i].str)
				snprintf(to->goal, sizeof(to->goal), "%s (%s)", r->params[i].str,
					 r->target ? r->target : "not judged");
		to->goal_ratio = r->goal_ratio;
		to->judged = r->judged;
		to->met = r->met;
	}
}

static int grow(struct bench_plot *p)
{
	size_t cap = p->cap ? 2 * p->cap : 256;
	struct plot_row *rows;

	if (p->nrows < p->cap)
		return 0;
	rows = reallocarray(p->rows, cap, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	p->rows = rows;
	p->cap = cap;
	return 0;
}

void bench_plot_keep(struct bench_plot *p, const struct bench_row *r)
{
	struct plot_row *to;

	if (grow(p)) {
		p->dropped++;
		return;
	}
	to = &p->rows[p->nrows];
	copy_row(to, r);
	if (to->goal_id[0] || (to->timed && plot_row_used(to)))
		p->nrows++;
}

void bench_plot_free(struct bench_plot *p)
{
	if (!p)
		return;
	free(p->rows);
	free(p->dir);
	free(p);
}

const struct plot_field *plot_param(const struct plot_row *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->nparams; i++) {
		if (!strcmp(r->params[i].key, key))
			return &r->params[i];
	}
	return NULL;
}

bool plot_num(const struct plot_row *r, const char *key, double *out)
{
	const struct plot_field *f = plot_param(r, key);

	if (!f || f->is_str)
		return false;
	*out = f->num;
	return true;
}

const char *plot_str(const struct plot_row *r, const char *key)
{
	const struct plot_field *f = plot_param(r, key);

	return f && f->is_str ? f->str : NULL;
}
