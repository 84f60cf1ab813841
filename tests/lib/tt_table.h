/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the table tests: a flat-array reference model of one
 * window (the oracle of the model, fault and fuzz tests), an accounting hook
 * that records its balance, and table creation shorthands.
 */
#ifndef TCE_TESTS_TT_TABLE_H
#define TCE_TESTS_TT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <tce.h>

/* The reference model: one host-order TCE per entry, nothing else. */
struct ref_table {
	uint64_t first_idx;
	uint64_t entries;
	uint32_t page_shift;
	uint64_t *tce;
};

int ref_init(struct ref_table *r, const struct tce_table_config *granted);
void ref_fini(struct ref_table *r);
/* Same contract as the library calls, written the obvious way. */
int ref_set(struct ref_table *r, uint64_t idx, uint64_t npages, uint64_t real, enum tce_dir dir);
int ref_clear(struct ref_table *r, uint64_t idx, uint64_t npages);
int ref_xchg(struct ref_table *r, uint64_t idx, uint64_t *real, enum tce_dir *dir);
int ref_get(const struct ref_table *r, uint64_t idx, uint64_t *tce);
int ref_next(const struct ref_table *r, uint64_t *idx, uint64_t *tce);
uint64_t ref_populated(const struct ref_table *r);

/* Compare every entry of @t with @r through tce_table_get; returns mismatches. */
uint64_t ref_diff(const struct ref_table *r, const struct tce_table *t);

/* An accounting hook over a balance with an optional limit (0: none). */
struct tt_account {
	int64_t balance;
	int64_t limit;
	uint64_t charges, refunds;
};

int tt_account_fn(void *arg, int64_t delta);

/* A new context (NULL on failure, recorded as a test failure). */
struct tce_ctx *tt_ctx(void);

/* Check that @ctx holds no allocation, then destroy it. */
void tt_ctx_done(struct tce_ctx *ctx);

/* Record a failure unless @ctx holds no allocation. */
void tt_no_leak(struct tce_ctx *ctx);

/* A built-in machine of platform @p on context @ctx (so faults and leaks show there), or NULL. */
struct tce_machine *tt_machine(struct tce_ctx *ctx, enum tce_platform p);

/* Create a table; returns the error code. */
int tt_table(struct tce_ctx *ctx, uint64_t bus, uint64_t window, uint32_t shift, uint32_t levels,
	     bool mirror, struct tce_table **out);

#endif /* TCE_TESTS_TT_TABLE_H */
