/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering of result rows: an aligned, human-readable table with sizes in
 * binary units, or JSON lines with every number in base units (ns, bytes).
 * Every string printed comes from the benchmark itself or from
 * tce_err_name()/tce_strerror(), so none needs JSON escaping. Layer: tools.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tce.h>

#include "plot.h"
#include "report.h"

void bench_row_init(struct bench_row *r, const char *bench, const char *variant,
		    const struct bench_variant *v)
{
	memset(r, 0, sizeof(*r));
	r->bench = bench;
	r->variant = variant;
	r->v = v;
	r->threads = 1;
	r->ratio = -1.0;
}

static struct bench_field *add_field(struct bench_field *f, unsigned int *n, const char *key,
				     const char *str, double num)
{
	static struct bench_field dropped; /* past BENCH_FIELDS_MAX */

	if (*n >= BENCH_FIELDS_MAX)
		return &dropped;
	f[*n].key = key;
	f[*n].str = str;
	f[*n].num = num;
	f[*n].json_only = false;
	return &f[(*n)++];
}

struct bench_field *bench_param_str(struct bench_row *r, const char *key, const char *str)
{
	return add_field(r->params, &r->nparams, key, str, 0);
}

struct bench_field *bench_param_num(struct bench_row *r, const char *key, double num)
{
	return add_field(r->params, &r->nparams, key, NULL, num);
}

void bench_param_json(struct bench_row *r, const char *key, double num)
{
	add_field(r->params, &r->nparams, key, NULL, num)->json_only = true;
}

struct bench_field *bench_extra(struct bench_row *r, const char *key, double num)
{
	return add_field(r->extras, &r->nextras, key, NULL, num);
}

void bench_target(struct bench_row *r, const char *target, bool met)
{
	r->target = target;
	r->met = met;
}

void bench_goal(struct bench_row *r, const char *goal_id, double ratio, const char *goal,
		bool met, bool judged)
{
	r->goal_id = goal_id;
	r->goal_ratio = ratio;
	r->target = judged ? goal : "not judged: CPU busy";
	r->met = met && judged;
	r->judged = judged;
}

/* ------------------------------------------------------------------------ */
/* JSON lines                                                               */
/* ------------------------------------------------------------------------ */

/* Every double of magnitude 2^53 or more is a whole number. */
static bool is_integral(double v)
{
	if (v >= 0x1p53 || v <= -0x1p53)
		return true;
	return (double)(long long)v == v;
}

static void json_num(double v)
{
	if (is_integral(v))
		printf("%.0f", v);
	else
		printf("%.4f", v);
}

static void json_field(const struct bench_field *f)
{
	printf("\"%s\":", f->key);
	if (f->str)
		printf("\"%s\"", f->str);
	else
		json_num(f->num);
}

static void json_params(const struct bench_row *r)
{
	unsigned int i;

	printf("\"params\":{");
	for (i = 0; i < r->nparams; i++) {
		if (i)
			printf(",");
		json_field(&r->params[i]);
	}
	printf("}");
}

static void json_timing(const struct bench_row *r)
{
	const struct bench_variant *v = r->v;
	unsigned int i;

	printf(",\"reps\":%u,\"ns_per_op\":", v->nsamples);
	json_num(v->sum.median);
	printf(",\"ns_min\":");
	json_num(v->sum.min);
	printf(",\"ns_iqr\":");
	json_num(v->sum.iqr);
	printf(",\"mops\":");
	json_num(v->sum.median > 0 ? 1e3 / v->sum.median : 0);
	printf(",\"ratio_to_floor\":");
	if (r->ratio >= 0)
		json_num(r->ratio);
	else
		printf("null");
	printf(",\"samples\":[");
	for (i = 0; i < v->nsamples; i++) {
		printf(i ? "," : "");
		json_num(v->samples[i]);
	}
	printf("]");
}

static void json_row(const struct bench_row *r)
{
	unsigned int i;

	printf("{\"bench\":\"%s\",\"variant\":\"%s\",\"threads\":%u,", r->bench, r->variant,
	       r->threads);
	json_params(r);
	if (r->refused)
		printf(",\"refused\":\"%s\",\"error\":\"%s\"", tce_err_name(r->refused),
		       tce_strerror(r->refused));
	else if (r->v)
		json_timing(r);
	for (i = 0; i < r->nextras; i++) {
		printf(",");
		json_field(&r->extras[i]);
	}
	if (r->goal_id) {
		printf(",\"goal_id\":\"%s\",\"ratio\":", r->goal_id);
		json_num(r->goal_ratio);
		printf(",\"goal\":\"%s\",\"judged\":%s,\"met\":%s", r->target,
		       r->judged ? "true" : "false",
		       !r->judged ? "null" : r->met ? "true" : "false");
	} else if (r->target) {
		printf(",\"target\":\"%s\",\"met\":%s", r->target, r->met ? "true" : "false");
	}
	printf("}\n");
}

/* ------------------------------------------------------------------------ */
/* Terminal table                                                           */
/* ------------------------------------------------------------------------ */

/* @bytes in binary units: "64GiB", "1.5MiB", "-128KiB". */
static void fmt_size(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double mag = bytes < 0 ? -bytes : bytes;
	unsigned int u = 0;

	while (mag >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		mag /= 1024;
		u++;
	}
	snprintf(buf, len, "%s%.4g%s", bytes < 0 ? "-" : "", mag, units[u]);
}

/* "key=value" with "_bytes" keys shortened and shown as sizes. */
static void fmt_field(char *buf, size_t len, const struct bench_field *f)
{
	size_t klen = strlen(f->key), slen = strlen("_bytes");
	char val[32];

	if (f->str) {
		snprintf(val, sizeof(val), "%s", f->str);
	} else if (klen > slen && !strcmp(f->key + klen - slen, "_bytes")) {
		fmt_size(val, sizeof(val), f->num);
		klen -= slen;
	} else if (is_integral(f->num) || f->num >= 100 || f->num <= -100) {
		snprintf(val, sizeof(val), "%.0f", f->num);
	} else {
		snprintf(val, sizeof(val), "%.3g", f->num);
	}
	snprintf(buf, len, "%.*s=%s", (int)klen, f->key, val);
}

static void fmt_fields(char *buf, size_t len, const struct bench_field *f, unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		if (f[i].json_only)
			continue;
		if (used)
			buf[used++] = ' ';
		fmt_field(buf + used, len - used, &f[i]);
		used += strlen(buf + used);
	}
}

static void human_row(const struct bench_row *r)
{
	const struct bench_summary *s = r->v ? &r->v->sum : NULL;
	char params[160], extras[200], ratio[16] = "-";

	fmt_fields(params, sizeof(params), r->params, r->nparams);
	fmt_fields(extras, sizeof(extras), r->extras, r->nextras);
	printf("%-19s %-42s ", r->variant, params);
	if (r->refused) {
		printf("refused: %s (%s)\n", tce_err_name(r->refused), tce_strerror(r->refused));
		return;
	}
	if (!s) {
		printf("-\n");
		return;
	}
	if (r->ratio >= 0)
		snprintf(ratio, sizeof(ratio), "%.2fx", r->ratio);
	else if (r->goal_id)
		snprintf(ratio, sizeof(ratio), "%.2fx", r->goal_ratio);
	printf("%10.3f %10.3f %8.3f %7s  %-16s %-4s %s%s%s\n", s->median, s->min, s->iqr, ratio,
	       r->target ? r->target : "-",
	       !r->target ? "-" : r->goal_id && !r->judged ? "n/a" : r->met ? "yes" : "NO",
	       r->goal_id ? r->goal_id : "", r->goal_id ? " " : "", extras);
}

void bench_section(const struct bench_opts *o, const char *title, const char *unit)
{
	char med[24];

	if (o->json)
		return;
	snprintf(med, sizeof(med), "med %s", unit);
	printf("\n== %s\n", title);
	printf("%-19s %-42s %10s %10s %8s %7s  %-16s %-4s %s\n", "variant", "params", med, "min",
	       "IQR", "ratio", "target", "met", "extra");
}

void bench_note(const struct bench_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void bench_emit(const struct bench_opts *o, const struct bench_row *r)
{
	if (o->json)
		json_row(r);
	else
		human_row(r);
	fflush(stdout);
	if (o->plot)
		bench_plot_keep(o->plot, r);
}
