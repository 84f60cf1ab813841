/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: the last message a context logged at one level, for tests
 * that check a warning's or a refusal's text. Layer: tests.
 */
#ifndef TT_LOG_H
#define TT_LOG_H

#include <tce.h>

struct tt_log {
	enum tce_log_level level; /* the level kept; messages at others are ignored */
	char last[512];           /* the last message at that level, "" before one */
};

/* Keep @ctx's messages at @level in @l (emptied first) until tt_log_stop(). */
void tt_log_keep(struct tce_ctx *ctx, struct tt_log *l, enum tce_log_level level);

/* Back to the default log (warnings and errors to stderr). */
void tt_log_stop(struct tce_ctx *ctx);

#endif /* TT_LOG_H */
