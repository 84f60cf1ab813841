/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every benchmark does with its libtce context: route the library's
 * warnings to stderr, and check at the end that nothing is still allocated.
 * Layer: tools; uses <tce.h> only.
 */
#ifndef TCE_BENCH_CTX_H
#define TCE_BENCH_CTX_H

#include <tce.h>

/* A tce_log_fn printing "libtce: <msg>" on stderr. */
void bench_log_stderr(void *arg, enum tce_log_level level, const char *msg);

/* 0 if @ctx holds no allocation, else -EPROTO after saying so for benchmark @what. */
int bench_check_no_leak(struct tce_ctx *ctx, const char *what);

#endif /* TCE_BENCH_CTX_H */
