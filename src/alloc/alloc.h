/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the layers above the allocator may use beyond the public API.
 * Layer: alloc. Includes the public header only.
 */
#ifndef TCE_ALLOC_ALLOC_H
#define TCE_ALLOC_ALLOC_H

#include "tce.h"

/*
 * Would tce_pool_free(@p, @idx, @npages) succeed? Lets a caller validate a
 * range before it clears the TCEs behind it. Returns 0 or -EINVAL.
 * Context: takes the owning pool's lock.
 */
int tce__pool_check_free(struct tce_pool *p, uint64_t idx, uint64_t npages);

/* True if absolute entries @a and @b belong to the same pool. */
bool tce__pool_same(const struct tce_pool *p, uint64_t a, uint64_t b);

/* True if the pool rounds request sizes (per-thread caches are on). */
bool tce__pool_rounds(const struct tce_pool *p);

#endif /* TCE_ALLOC_ALLOC_H */
