/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator's oracle: a shadow of which entries are live, and checks
 * that each allocation is valid (in the window, under the mask, inside one
 * pool, not spanning a boundary, aligned, overlapping nothing live) and that
 * a failure happens only when no pool has a fitting free run (a naive
 * first-fit over each pool's range).
 */
#ifndef TCE_TESTS_TT_ALLOC_H
#define TCE_TESTS_TT_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include <tce.h>

struct alloc_oracle {
	struct tce_pool_config cfg; /* as granted */
	uint8_t *state;             /* per entry: 0 free, 1 live, 2 reserved */
};

int oracle_init(struct alloc_oracle *o, const struct tce_pool_config *granted);
void oracle_fini(struct alloc_oracle *o);

/* Check a successful allocation and mark it live; NULL or what is wrong. */
const char *oracle_alloc(struct alloc_oracle *o, const struct tce_alloc_req *req, uint64_t idx);

/* The pool allocator said -ENOSPC: NULL if no pool could fit @req. */
const char *oracle_enospc(const struct alloc_oracle *o, const struct tce_alloc_req *req);

/* Mark a range free (after a successful tce_pool_free) or reserved. */
void oracle_free(struct alloc_oracle *o, uint64_t idx, uint64_t npages);
void oracle_reserve(struct alloc_oracle *o, uint64_t idx, uint64_t npages);

/* The size the pool really allocates (caches round small sizes up). */
uint64_t oracle_size(const struct alloc_oracle *o, uint64_t npages);

#endif /* TCE_TESTS_TT_ALLOC_H */
