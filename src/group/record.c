/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS's records of what it handed out without an allocator to remember
 * it: a counted multiset in an open-addressing hash table (record.h).
 * Layer: group.
 */
#include <errno.h>
#include <string.h>

#include "group/record.h"

#define MIN_SHIFT 4

int tce__records_init(struct tce__records *r, struct tce_ctx *ctx)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	return tce__lock_init(&r->lock, false);
}

void tce__records_fini(struct tce__records *r)
{
	tce__free(r->ctx, r->slot, r->shift ? sizeof(*r->slot) << r->shift : 0);
	tce__lock_fini(&r->lock);
}

static uint64_t home(uint64_t start, uint64_t size, uint64_t aux, uint32_t kind, uint32_t shift)
{
	uint64_t h = (start ^ (size * 0xff51afd7ed558ccdULL) ^ (aux * 0xc4ceb9fe1a85ec53ULL) ^ kind) *
		     0x9e3779b97f4a7c15ULL;

	return h >> (64 - shift);
}

static bool same(const struct tce__rec *e, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind)
{
	return e->kind == kind && e->start == start && e->size == size && e->aux == aux;
}

/* The slot of the record, or of the free slot where it would go. Context: lock. */
static uint64_t find(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind)
{
	uint64_t mask = (1ULL << r->shift) - 1, i = home(start, size, aux, kind, r->shift);

	tce__assert(tce__lock_held(&r->lock));
	while (r->slot[i].kind && !same(&r->slot[i], start, size, aux, kind))
		i = (i + 1) & mask;
	return i;
}

/* Double the table (or make the first one). Context: lock. */
static int grow(struct tce__records *r)
{
	uint32_t shift = r->shift ? r->shift + 1 : MIN_SHIFT, old = r->shift;
	struct tce__rec *slot = tce__calloc(r->ctx, sizeof(*slot) << shift), *prev = r->slot;
	uint64_t i;

	if (!slot)
		return -ENOMEM;
	r->slot = slot, r->shift = shift;
	for (i = 0; old && i < (1ULL << old); i++)
		if (prev[i].kind)
			r->slot[find(r, prev[i].start, prev[i].size, prev[i].aux, prev[i].kind)] = prev[i];
	tce__free(r->ctx, prev, old ? sizeof(*prev) << old : 0);
	return 0;
}

int tce__records_add(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind)
{
	uint64_t i;
	int rc = 0;

	tce__lock(&r->lock);
	if (!r->shift || (r->used + 1) * 4 > (3ULL << r->shift))
		rc = grow(r);
	if (!rc) {
		i = find(r, start, size, aux, kind);
		if (!r->slot[i].kind) {
			r->slot[i] = (struct tce__rec){ start, size, aux, kind, 0 };
			r->used++;
		}
		r->slot[i].count++;
	}
	tce__unlock(&r->lock);
	return rc;
}

/* Remove slot @i, shifting later members of its run back. Context: lock. */
static void erase(struct tce__records *r, uint64_t i)
{
	uint64_t mask = (1ULL << r->shift) - 1, j = i, h;

	for (;;) {
		r->slot[i].kind = 0;
		do {
			j = (j + 1) & mask;
			if (!r->slot[j].kind)
				return;
			h = home(r->slot[j].start, r->slot[j].size, r->slot[j].aux, r->slot[j].kind,
				 r->shift);
		} while (i <= j ? (i < h && h <= j) : (i < h || h <= j));
		r->slot[i] = r->slot[j];
		i = j;
	}
}

int tce__records_take(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind)
{
	uint64_t i;
	int rc = -EINVAL;

	tce__lock(&r->lock);
	if (r->shift) {
		i = find(r, start, size, aux, kind);
		if (r->slot[i].kind) {
			rc = 0;
			if (!--r->slot[i].count) {
				erase(r, i);
				r->used--;
			}
		}
	}
	tce__unlock(&r->lock);
	return rc;
}

bool tce__records_has(struct tce__records *r, uint64_t start, uint64_t size, uint64_t aux, uint32_t kind)
{
	bool has;

	tce__lock(&r->lock);
	has = r->shift && r->slot[find(r, start, size, aux, kind)].kind;
	tce__unlock(&r->lock);
	return has;
}

uint64_t tce__records_count(struct tce__records *r)
{
	uint64_t i, n = 0;

	tce__lock(&r->lock);
	for (i = 0; r->shift && i < (1ULL << r->shift); i++)
		n += r->slot[i].kind ? r->slot[i].count : 0;
	tce__unlock(&r->lock);
	return n;
}
