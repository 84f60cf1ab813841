/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper: the last message a context logged at one level (tt_log.h). Layer: tests. */
#include <stdio.h>

#include "tt_log.h"

static void keep(void *arg, enum tce_log_level level, const char *msg)
{
	struct tt_log *l = arg;

	if (level == l->level)
		snprintf(l->last, sizeof(l->last), "%s", msg);
}

void tt_log_keep(struct tce_ctx *ctx, struct tt_log *l, enum tce_log_level level)
{
	l->level = level;
	l->last[0] = 0;
	tce_ctx_set_log(ctx, keep, l, level);
}

void tt_log_stop(struct tce_ctx *ctx)
{
	tce_ctx_set_log(ctx, NULL, NULL, TCE_LOG_WARN);
}
