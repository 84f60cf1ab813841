/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the layers above the allocator may use beyond the public API.
 * Layer: alloc. Includes the public header only.
 */
#ifndef TCE_ALLOC_ALLOC_H
#define TCE_ALLOC_ALLOC_H

#include "tce.h"

/*
 * The pools, numbered 0..tce__pool_count() - 1 (the small pools, then the
 * large one, which may be empty): lets a layer above shard its own state
 * the way the allocator locks, so that two threads working in different
 * pools never share a lock. tce__pool_index() is the pool of absolute entry
 * @idx, which must be inside the window. Context: any; immutable layout.
 */
unsigned tce__pool_count(const struct tce_pool *p);
unsigned tce__pool_index(const struct tce_pool *p, uint64_t idx);

/* Entries a request of @npages really takes (caches round sizes up). */
uint64_t tce__pool_rounded(const struct tce_pool *p, uint64_t npages);

/* True if absolute entries @a and @b belong to the same pool. */
bool tce__pool_same(const struct tce_pool *p, uint64_t a, uint64_t b);

/* True if the pool rounds request sizes (per-thread caches are on). */
bool tce__pool_rounds(const struct tce_pool *p);

#endif /* TCE_ALLOC_ALLOC_H */
