/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the OS handed out where no allocator remembers it (DECISIONS 24):
 * the kernel DMA API's mappings in direct and bypass modes (bus = base +
 * real, no TCE to find them by), coherent buffers and kernel memory
 * allocations. A multiset of (start, size, aux, kind) with a count each, so that the same buffer mapped
 * twice can be unmapped twice, and anything that does not match one record
 * exactly is refused. Layer: group.
 */
#ifndef TCE_GROUP_RECORD_H
#define TCE_GROUP_RECORD_H

#include "util/lock.h"
#include "util/util.h"

struct tce__rec {
	uint64_t start, size, aux; /* aux: what else must match (a coherent buffer's real address) */
	uint32_t kind;  /* 0: a free slot */
	uint32_t count;
};

/*
 * Open addressing with linear probing and backward-shift deletion: add and
 * take are O(1) expected; the table doubles at 3/4 load (an add may
 * -ENOMEM). The lock guards every field.
 */
struct tce__records {
	struct tce__lock lock;
	struct tce_ctx *ctx;
	struct tce__rec *slot;
	uint32_t shift;   /* 2^shift slots, 0 before the first add */
	uint64_t used;    /* distinct records */
};

int tce__records_init(struct tce__records *r, struct tce_ctx *ctx);
void tce__records_fini(struct tce__records *r);

/* One more of (@start, @size, @aux, @kind > 0): 0 or -ENOMEM. */
int tce__records_add(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind);

/* One fewer: 0, or -EINVAL when no such record is live. */
int tce__records_take(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind);

/* Is (@start, @size, @aux, @kind) live? */
bool tce__records_has(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind);

/* Records live (with their counts). */
uint64_t tce__records_count(struct tce__records *r);

#endif /* TCE_GROUP_RECORD_H */
