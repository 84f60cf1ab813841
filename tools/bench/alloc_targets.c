/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The closing summary of `tce-bench alloc`: every pass mark of spec
 * performance.md §6.4 B1-B4 that the run could judge, with what was
 * measured and whether it was met, and those it could not judge with the
 * reason. Targets are reported, never asserted: the exit status does not
 * depend on them. Layer: tools; uses the report only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define TARGETS_MAX 160

struct target {
	char bench[8];
	char what[128];
	char measured[128];
	int met; /* 1, 0, or -1 for not measurable */
};

static struct target targets[TARGETS_MAX];
static unsigned ntargets;

static struct target *next_target(const char *bench, const char *what, int met)
{
	struct target *t;

	if (ntargets >= TARGETS_MAX)
		return NULL;
	t = &targets[ntargets++];
	snprintf(t->bench, sizeof(t->bench), "%s", bench);
	snprintf(t->what, sizeof(t->what), "%s", what);
	t->met = met;
	return t;
}

void alloc_target(const char *bench, const char *target, bool met, const char *fmt, ...)
{
	struct target *t = next_target(bench, target, met);
	va_list ap;

	if (!t)
		return;
	va_start(ap, fmt);
	vsnprintf(t->measured, sizeof(t->measured), fmt, ap);
	va_end(ap);
}

void alloc_target_na(const char *bench, const char *target, const char *why)
{
	struct target *t = next_target(bench, target, -1);

	if (t)
		snprintf(t->measured, sizeof(t->measured), "not measured: %s", why);
}

static const char *met_word(int met, bool json)
{
	if (met < 0)
		return json ? "null" : "n/a";
	if (json)
		return met ? "true" : "false";
	return met ? "yes" : "NO";
}

static void print_json(const struct target *t)
{
	printf("{\"bench\":\"alloc.targets\",\"variant\":\"%s\",\"threads\":1,\"params\":{},"
	       "\"target\":\"%s\",\"measured\":\"%s\",\"met\":%s}\n",
	       t->bench, t->what, t->measured, met_word(t->met, true));
}

void alloc_targets_print(const struct bench_opts *o)
{
	unsigned i, met = 0, judged = 0;

	if (!o->json)
		printf("\n== targets of spec performance.md §6.4 (reported, never asserted)\n"
		       "%-5s %-4s %-68s %s\n", "bench", "met", "target", "measured");
	for (i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];

		judged += t->met >= 0;
		met += t->met > 0;
		if (o->json)
			print_json(t);
		else
			printf("%-5s %-4s %-68s %s\n", t->bench, met_word(t->met, false), t->what,
			       t->measured);
	}
	if (!o->json)
		printf("%u of %u judged targets met\n", met, judged);
	fflush(stdout);
	ntargets = 0;
}
