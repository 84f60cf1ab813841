/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files of tce-bench --plot: per chart NAME.dat (one block per series:
 * x, the median and the fastest and slowest repetition, the variant) and
 * NAME.gp, which draws NAME.png (pngcairo, 800x500) and NAME.svg from it
 * with no smoothing; goals.dat lists the run's goal rows. gnuplot is found
 * in PATH and run in DIR, so `gnuplot NAME.gp` there redraws a chart.
 * Layer: tools; uses the C library only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_rows.h"

#define PLOT_SERIES_MAX 32

struct plot_point {
	size_t row;
	double x;
	unsigned int series;
};

struct plot_series {
	struct plot_key key;
	unsigned int npoints;
	bool dropped; /* every point also lies on another line */
	char title[256];
};

/* One chart's points, grouped into series, in the order the rows came. */
struct plot_set {
	const struct plot_chart *c;
	struct plot_point *pts;
	size_t npts;
	struct plot_series s[PLOT_SERIES_MAX];
	unsigned int ns;
};

static int series_of(struct plot_set *set, const struct plot_key *k)
{
	unsigned int i;

	for (i = 0; i < set->ns; i++) {
		if (!strcmp(set->s[i].key.group, k->group) && !strcmp(set->s[i].key.qual, k->qual))
			return (int)i;
	}
	if (set->ns == PLOT_SERIES_MAX)
		return -1;
	set->s[set->ns].key = *k;
	return (int)set->ns++;
}

static void add_points(struct plot_set *set, const struct bench_plot *p)
{
	struct plot_key keys[PLOT_KEYS_MAX];
	unsigned int n, i;
	size_t r;
	double x;
	int s;

	for (r = 0; r < p->nrows; r++) {
		if (!p->rows[r].timed)
			continue;
		n = set->c->place(&p->rows[r], &x, keys);
		for (i = 0; i < n; i++) {
			s = series_of(set, &keys[i]);
			if (s < 0)
				continue;
			set->pts[set->npts++] = (struct plot_point){ r, x, (unsigned int)s };
			set->s[s].npoints++;
		}
	}
}

/* Whether the row of point @i also lies on a series other than its own. */
static bool shared(const struct plot_set *set, size_t i)
{
	size_t j;

	for (j = 0; j < set->npts; j++) {
		if (set->pts[j].row == set->pts[i].row && set->pts[j].series != set->pts[i].series)
			return true;
	}
	return false;
}

/* A line made only of points that other lines draw (a lone 1-thread start) goes. */
static void drop_redundant(struct plot_set *set)
{
	unsigned int s;
	size_t i;
	bool own;

	for (s = 0; s < set->ns; s++) {
		own = false;
		for (i = 0; i < set->npts && !own; i++)
			own = set->pts[i].series == s && !shared(set, i);
		set->s[s].dropped = !own;
	}
}

static int by_series_x(const void *a, const void *b)
{
	const struct plot_point *p = a, *q = b;

	if (p->series != q->series)
		return p->series < q->series ? -1 : 1;
	return p->x < q->x ? -1 : p->x > q->x;
}

/* "LIB-1, LIB-64, LIB-512 (sPAPR v2, ...)": the exact variant names, then the qualifier. */
static void name_series(struct plot_set *set, const struct bench_plot *p)
{
	struct plot_series *s;
	const char *v;
	size_t i, used;

	for (i = 0; i < set->npts; i++) {
		s = &set->s[set->pts[i].series];
		v = p->rows[set->pts[i].row].variant;
		used = strlen(s->title);
		if (used && strstr(s->title, v))
			continue;
		snprintf(s->title + used, sizeof(s->title) - used, "%s%s", used ? ", " : "", v);
	}
	for (i = 0; i < set->ns; i++) {
		s = &set->s[i];
		used = strlen(s->title);
		if (s->key.qual[0])
			snprintf(s->title + used, sizeof(s->title) - used, " (%s)", s->key.qual);
	}
}

static int build_set(struct plot_set *set, const struct bench_plot *p,
		     const struct plot_chart *c)
{
	memset(set, 0, sizeof(*set));
	set->c = c;
	set->pts = calloc(p->nrows * PLOT_KEYS_MAX + 1, sizeof(*set->pts));
	if (!set->pts)
		return -ENOMEM;
	add_points(set, p);
	drop_redundant(set);
	qsort(set->pts, set->npts, sizeof(*set->pts), by_series_x);
	name_series(set, p);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* NAME.dat                                                                 */
/* ------------------------------------------------------------------------ */

/* y, low and high of a row: ns per op, or Mops/s (low from the slowest repetition). */
static void row_y(const struct plot_chart *c, const struct plot_row *r, double y[3])
{
	if (!c->throughput) {
		y[0] = r->median, y[1] = r->min, y[2] = r->max;
		return;
	}
	y[0] = r->median > 0 ? 1e3 / r->median : 0;
	y[1] = r->max > 0 ? 1e3 / r->max : 0;
	y[2] = r->min > 0 ? 1e3 / r->min : 0;
}

static void write_dat(FILE *f, const struct plot_set *set, const struct bench_plot *p)
{
	unsigned int s, block = 0;
	const struct plot_row *r;
	double y[3];
	size_t i;

	fprintf(f, "# tce-bench --plot: %s\n# %s, %s\n", set->c->what, p->machine, p->date);
	fprintf(f, "# columns: x (%s), y median, y low, y high, variant; y is %s;\n"
		   "# low and high are the slowest and fastest measured repetition\n",
		set->c->xlabel, set->c->ylabel);
	for (s = 0; s < set->ns; s++) {
		if (set->s[s].dropped)
			continue;
		fprintf(f, "%s# series %u: %s\n", block ? "\n\n" : "\n", block, set->s[s].title);
		block++;
		for (i = 0; i < set->npts; i++) {
			if (set->pts[i].series != s)
				continue;
			r = &p->rows[set->pts[i].row];
			row_y(set->c, r, y);
			fprintf(f, "%.6g %.6g %.6g %.6g %s\n", set->pts[i].x, y[0], y[1], y[2],
				r->variant);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* NAME.gp                                                                  */
/* ------------------------------------------------------------------------ */

/* @s as a double-quoted gnuplot string; "\n" in @s stays a line break. */
static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void gp_set(FILE *f, const char *what, const char *s)
{
	fprintf(f, "set %s ", what);
	gp_str(f, s);
	fputc('\n', f);
}

static void write_plot_cmd(FILE *f, const struct plot_set *set)
{
	unsigned int s, block = 0;
	const char *sep = "plot ";

	for (s = 0; s < set->ns; s++) {
		if (set->s[s].dropped)
			continue;
		fprintf(f, "%s\"%s.dat\" index %u using 1:2:3:4 with yerrorlines title ", sep,
			set->c->name, block++);
		gp_str(f, set->s[s].title);
		sep = ", \\\n     ";
	}
	if (set->c->more)
		fprintf(f, "%s%s", sep, set->c->more);
	fputc('\n', f);
}

static void write_gp(FILE *f, const struct plot_set *set, const struct bench_plot *p,
		     const struct bench_opts *o)
{
	const struct plot_chart *c = set->c;
	char title[768];

	snprintf(title, sizeof(title), "%s\n%s, %s%s", c->what, p->machine, p->date,
		 o->quick ? " (--quick: tiny sizes, numbers not meaningful)" : "");
	fprintf(f, "# tce-bench --plot: redraw with `gnuplot %s.gp` in this directory.\n"
		   "# Medians as the rows report them, error bars from the fastest to the slowest\n"
		   "# repetition, points joined by straight lines: no smoothing.\n", c->name);
	fprintf(f, "set terminal pngcairo size 800,500 noenhanced font \"sans,8\"\n"
		   "set output \"%s.png\"\n", c->name);
	gp_set(f, "title", title);
	gp_set(f, "xlabel", c->xlabel);
	gp_set(f, "ylabel", c->ylabel);
	fprintf(f, "%s%sset grid\nset key below left Left reverse maxcols 2 samplen 2\n"
		   "set bars small\nset pointsize 0.8\nset offsets graph 0.03, graph 0.03, 0, 0\n",
		c->logx ? "set logscale x\n" : "", c->logy ? "set logscale y\n" : "");
	fputs(c->extra ? c->extra : "", f);
	write_plot_cmd(f, set);
	fprintf(f, "set terminal svg size 800,500 noenhanced font \"sans,8\"\n"
		   "set output \"%s.svg\"\nreplot\nunset output\n", c->name);
}

/* ------------------------------------------------------------------------ */
/* Files and gnuplot                                                        */
/* ------------------------------------------------------------------------ */

static FILE *open_in(const struct bench_plot *p, const char *name, const char *ext)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s", p->dir, name, ext);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "tce-bench: --plot: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

/* Close @f; a write error (a full disk) is reported like an open error. */
static int close_file(FILE *f, const char *name)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) || bad) {
		fprintf(stderr, "tce-bench: --plot: writing %s failed\n", name);
		return -EIO;
	}
	return 0;
}

static int write_chart(const struct plot_set *set, const struct bench_plot *p,
		       const struct bench_opts *o)
{
	FILE *f = open_in(p, set->c->name, ".dat");
	int rc;

	if (!f)
		return -errno;
	write_dat(f, set, p);
	rc = close_file(f, set->c->name);
	f = rc ? NULL : open_in(p, set->c->name, ".gp");
	if (!f)
		return rc ? rc : -errno;
	write_gp(f, set, p, o);
	return close_file(f, set->c->name);
}

static int write_goals(const struct bench_plot *p)
{
	const struct plot_row *r;
	FILE *f = open_in(p, "goals", ".dat");
	size_t i;

	if (!f)
		return -errno;
	fprintf(f, "# tce-bench --plot: the goal rows of this run (issue 12)\n# %s, %s\n"
		   "# goal_id\tbench\tvariant\tthreads\tratio\tmet\tgoal\n", p->machine, p->date);
	for (i = 0; i < p->nrows; i++) {
		r = &p->rows[i];
		if (r->goal_id[0])
			fprintf(f, "%s\t%s\t%s\t%u\t%.4g\t%s\t%s\n", r->goal_id, r->bench, r->variant,
				r->threads, r->goal_ratio, !r->judged ? "n/a" : r->met ? "yes" : "NO",
				r->goal);
	}
	return close_file(f, "goals.dat");
}

/* The first executable @name in PATH, in @buf; false if none. */
static bool find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *seg, *end;
	int n;

	for (seg = path; seg && *seg; seg = *end ? end + 1 : end) {
		end = seg + strcspn(seg, ":");
		if (end == seg)
			continue; /* an empty entry: not searched */
		n = snprintf(buf, len, "%.*s/%s", (int)(end - seg), seg, name);
		if (n > 0 && (size_t)n < len && !access(buf, X_OK))
			return true;
	}
	return false;
}

/* Run gnuplot NAME.gp in the plot directory, its output on our stderr. */
static int run_gnuplot(const char *gnuplot, const struct bench_plot *p, const char *name)
{
	char script[PATH_MAX];
	int status;
	pid_t pid;

	snprintf(script, sizeof(script), "%s.gp", name);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (chdir(p->dir) || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);
		execl(gnuplot, "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	fprintf(stderr, "tce-bench: --plot: gnuplot %s/%s failed (%s %d)\n", p->dir, script,
		WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -EIO;
}

/* Write one chart and draw it with @gnuplot (NULL: not drawn). 1: no rows for it. */
static int do_chart(const struct plot_chart *c, const struct bench_plot *p,
		    const struct bench_opts *o, const char *gnuplot)
{
	struct plot_set set;
	int rc = build_set(&set, p, c);

	if (!rc && !set.npts) {
		bench_note(o, "plot: %s: no rows in this run (drawn from: %s)", c->name, c->needs);
		rc = 1;
	}
	if (!rc)
		rc = write_chart(&set, p, o);
	if (!rc && gnuplot)
		rc = run_gnuplot(gnuplot, p, c->name);
	if (!rc)
		bench_note(o, "plot: %s/%s.dat, .gp%s", p->dir, c->name,
			   gnuplot ? ", .png, .svg" : " (not drawn)");
	free(set.pts);
	return rc;
}

int bench_plot_draw(struct bench_plot *p, const struct bench_opts *o)
{
	char gnuplot[PATH_MAX];
	bool have = find_in_path("gnuplot", gnuplot, sizeof(gnuplot));
	unsigned int i, written = 0;
	int rc = 0;

	if (p->dropped) {
		fprintf(stderr, "tce-bench: --plot: out of memory: %u rows not kept\n", p->dropped);
		return -ENOMEM;
	}
	for (i = 0; i < plot_ncharts && !rc; i++) {
		rc = do_chart(&plot_charts[i], p, o, have ? gnuplot : NULL);
		written += rc == 0;
		if (rc == 1)
			rc = 0; /* no rows for it in this run */
	}
	if (!rc)
		rc = write_goals(p);
	if (!rc && !have)
		fprintf(stderr, "tce-bench: --plot: images not drawn: gnuplot is not in PATH "
				"(install gnuplot-nox); %u charts' .dat and .gp files are in %s\n",
			written, p->dir);
	return rc;
}
