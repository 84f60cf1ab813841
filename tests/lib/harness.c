/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TAP output, case selection, failure recording, seed and scale for the
 * in-tree harness.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool case_failed;

void tt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	case_failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

bool tt_failed(void)
{
	return case_failed;
}

uint64_t tt_seed(void)
{
	const char *s = getenv("TCE_TEST_SEED");

	return s && *s ? strtoull(s, NULL, 0) : 0x7ce5eed;
}

double tt_scale(void)
{
	const char *s = getenv("TCE_TEST_SCALE");
	double v = s && *s ? strtod(s, NULL) : 1.0;

	return v > 0 ? v : 1.0;
}

int tt_main(const struct tt_case *cases, size_t n, int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	size_t i, run = 0, failed = 0;

	for (i = 0; i < n; i++)
		run += !filter || strstr(cases[i].name, filter);
	printf("1..%zu\n# seed 0x%" PRIx64 "\n", run, tt_seed());
	run = 0;
	for (i = 0; i < n; i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		case_failed = false;
		cases[i].fn();
		failed += case_failed;
		printf("%s %zu - %s\n", case_failed ? "not ok" : "ok", ++run, cases[i].name);
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
