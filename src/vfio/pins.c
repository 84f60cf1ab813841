/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pages VFIO v1 pins one TCE at a time (the kernel's
 * pin_user_pages_fast() per IOMMU page in tce_iommu_build()): a count per
 * page, kept in an open-addressing hash (linear probing, deletion by
 * backward shift) so that a front end can ask whether memory the program
 * unmaps is still pinned. Layer: vfio.
 */
#include <errno.h>
#include <string.h>

#include "vfio/pins.h"

#define EMPTY UINT64_MAX

int tce__pins_init(struct tce__pins *p, struct tce_ctx *ctx)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	return tce__lock_init(&p->lock, false);
}

void tce__pins_fini(struct tce__pins *p)
{
	tce__free(p->ctx, p->slot, p->cap * sizeof(*p->slot));
	tce__lock_fini(&p->lock);
}

static uint32_t home(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* The slot holding @key, or the empty one where it would go. Context: lock held, cap > 0. */
static struct tce__pin *find(struct tce__pin *slot, uint32_t cap, uint64_t key)
{
	uint32_t i = home(key, cap);

	while (slot[i].key != EMPTY && slot[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Room for @more keys at a load of at most 1/2. Context: lock held. */
static int room(struct tce__pins *p, uint64_t more)
{
	uint32_t cap = p->cap ? p->cap : 64, i;
	struct tce__pin *s;

	if (more > UINT32_MAX / 4 - p->n)
		return -ENOMEM;
	while ((p->n + more) * 2 > cap)
		cap *= 2;
	if (cap == p->cap)
		return 0;
	s = tce__malloc(p->ctx, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		s[i].key = EMPTY;
	for (i = 0; i < p->cap; i++)
		if (p->slot[i].key != EMPTY)
			*find(s, cap, p->slot[i].key) = p->slot[i];
	tce__free(p->ctx, p->slot, p->cap * sizeof(*p->slot));
	p->slot = s;
	p->cap = cap;
	return 0;
}

/* Take @key's slot out, shifting back the run after it. Context: lock held. */
static void erase(struct tce__pins *p, struct tce__pin *at)
{
	uint32_t i = (uint32_t)(at - p->slot), j = i, h;

	tce__assert(tce__lock_held(&p->lock));
	for (;;) {
		j = (j + 1) & (p->cap - 1);
		if (p->slot[j].key == EMPTY)
			break;
		h = home(p->slot[j].key, p->cap);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
			p->slot[i] = p->slot[j];
			i = j;
		}
	}
	p->slot[i].key = EMPTY;
	p->n--;
}

int tce__pins_add(struct tce__pins *p, uint64_t ua, uint64_t npages, uint32_t page_shift)
{
	struct tce__pin *s;
	uint64_t i;
	int rc;

	tce__lock(&p->lock);
	rc = room(p, npages);
	for (i = 0; !rc && i < npages; i++) {
		s = find(p->slot, p->cap, ua + (i << page_shift));
		if (s->key == EMPTY) {
			*s = (struct tce__pin){ .key = ua + (i << page_shift), .shift = page_shift };
			p->n++;
		}
		s->count++;
	}
	tce__unlock(&p->lock);
	return rc;
}

void tce__pins_drop(struct tce__pins *p, uint64_t ua, uint64_t npages, uint32_t page_shift)
{
	struct tce__pin *s;
	uint64_t i;

	tce__lock(&p->lock);
	for (i = 0; p->cap && i < npages; i++) {
		s = find(p->slot, p->cap, ua + (i << page_shift));
		if (s->key != EMPTY && --s->count == 0)
			erase(p, s);
	}
	tce__unlock(&p->lock);
}

/* Whether a pinned page overlaps [ua, ua + size). Context: lock held. */
static bool overlap_locked(struct tce__pins *p, uint64_t ua, uint64_t size)
{
	uint32_t i;

	tce__assert(tce__lock_held(&p->lock));
	for (i = 0; i < p->cap; i++) {
		uint64_t k = p->slot[i].key;

		if (k != EMPTY && k < ua + size && ua < k + (1ull << p->slot[i].shift))
			return true;
	}
	return false;
}

bool tce__pins_overlap(struct tce__pins *p, uint64_t ua, uint64_t size)
{
	bool hit;

	tce__lock(&p->lock);
	hit = overlap_locked(p, ua, size);
	tce__unlock(&p->lock);
	return hit;
}
