/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The occupancy summary that follows every leaf block of a TCE tree: a
 * tiered bitmap of the live entries (tier 0 a bit per entry, each tier above
 * a bit per non-zero word below) with their count, and the lock that orders
 * the leaf's writers. Clears, next() and the cleaning of a leaf reused from
 * the context's block cache follow it to the live entries instead of
 * scanning the leaf. Layer: table.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "tce/table_int.h"
#include "util/lock.h"

#define SUM_NONE UINT64_MAX

void tce__sum_shape(struct tce_table *t)
{
	uint64_t bits = t->level_entries, words = 0;
	uint32_t k = 0, j;

	for (;;) {
		t->sum_bits[k++] = bits;
		if (bits <= 64)
			break;
		bits = (bits + 63) / 64;
	}
	t->sum_tiers = k;
	/* The top tier first: with the count and lock, the upper tiers share a line. */
	for (j = k; j-- > 0;) {
		t->sum_off[j] = words;
		words += (t->sum_bits[j] + 63) / 64;
	}
	t->leaf_bytes = t->block_bytes + sizeof(struct tce__leaf_sum) + words * 8;
}

/*
 * A spinlock that yields after a while: the leaf's writers hold it for a
 * run of stores only, but on an oversubscribed host its holder can be
 * preempted, and spinning on would burn the holder's CPU.
 */
void tce__sum_lock(struct tce__leaf_sum *s)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&s->lock, memory_order_relaxed)) {
			if (++spins % 128 == 0)
				sched_yield();
			else
				tce__cpu_relax();
		}
	}
}

static uint64_t *tier_word(const struct tce_table *t, struct tce__leaf_sum *s, uint32_t k,
			   uint64_t wi)
{
	return &s->words[t->sum_off[k] + wi];
}

/* Bit @bit of tier @k (k >= 1) becomes @on; carries an emptied or filled word up. */
static void tier_put(const struct tce_table *t, struct tce__leaf_sum *s, uint32_t k, uint64_t bit,
		     bool on)
{
	uint64_t *w, old, neu;

	for (; k < t->sum_tiers; k++, bit /= 64) {
		w = tier_word(t, s, k, bit / 64);
		old = __atomic_load_n(w, __ATOMIC_RELAXED);
		neu = on ? old | (1ULL << (bit % 64)) : old & ~(1ULL << (bit % 64));
		__atomic_store_n(w, neu, __ATOMIC_RELAXED);
		if (!old == !neu)
			return;
	}
}

void tce__sum_word_set(const struct tce_table *t, struct tce__leaf_sum *s, uint64_t wi,
		       uint64_t range, uint64_t bits)
{
	uint64_t *w = tier_word(t, s, 0, wi), old = __atomic_load_n(w, __ATOMIC_RELAXED);
	uint64_t neu = (old & ~range) | bits;

	if (neu == old)
		return;
	__atomic_store_n(w, neu, __ATOMIC_RELAXED);
	__atomic_store_n(&s->live,
			 __atomic_load_n(&s->live, __ATOMIC_RELAXED) +
				 (uint64_t)__builtin_popcountll(neu) - (uint64_t)__builtin_popcountll(old),
			 __ATOMIC_RELAXED);
	if (!old != !neu && t->sum_tiers > 1)
		tier_put(t, s, 1, wi, neu != 0);
}

void tce__sum_word_clear(const struct tce_table *t, struct tce__leaf_sum *s, uint64_t wi,
			 uint64_t bits, uint64_t n)
{
	uint64_t *w = tier_word(t, s, 0, wi), neu = __atomic_load_n(w, __ATOMIC_RELAXED) & ~bits;

	__atomic_store_n(w, neu, __ATOMIC_RELAXED);
	__atomic_store_n(&s->live, __atomic_load_n(&s->live, __ATOMIC_RELAXED) - n,
			 __ATOMIC_RELAXED);
	if (!neu && t->sum_tiers > 1)
		tier_put(t, s, 1, wi, false);
}

void tce__sum_reset(const struct tce_table *t, struct tce__leaf_sum *s)
{
	uint64_t wi, words = t->sum_off[0] + (t->sum_bits[0] + 63) / 64;

	for (wi = 0; wi < words; wi++)
		__atomic_store_n(&s->words[wi], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->live, 0, __ATOMIC_RELAXED);
}

void tce__sum_scrub(const struct tce_table *t, uint64_t *block)
{
	struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t i;

	if (tce__sum_live(s) >= t->level_entries / 2) {
		memset(block, 0, t->block_bytes);
	} else {
		for (i = tce__sum_next(t, s, 0, 0); i != SUM_NONE; i = tce__sum_next(t, s, 0, i + 1))
			block[i] = 0;
	}
	tce__sum_reset(t, s);
	atomic_store_explicit(&s->lock, 0, memory_order_relaxed);
}

uint64_t tce__sum_next(const struct tce_table *t, const struct tce__leaf_sum *s, uint32_t k,
		       uint64_t bit)
{
	const uint64_t *tier = &s->words[t->sum_off[k]];
	uint64_t w, up;

	while (bit < t->sum_bits[k]) {
		w = __atomic_load_n(&tier[bit / 64], __ATOMIC_RELAXED) & (~0ULL << (bit % 64));
		if (w)
			return (bit & ~63ULL) + (uint64_t)__builtin_ctzll(w);
		if (k + 1 == t->sum_tiers)
			return SUM_NONE;
		up = tce__sum_next(t, s, k + 1, bit / 64 + 1);
		if (up == SUM_NONE)
			return SUM_NONE;
		bit = up * 64;
	}
	return SUM_NONE;
}

/* Bits of tier @k that must be set, recomputed from the tier below (or the entries). */
TCE_CHECKER
static uint64_t expected_word(const struct tce_table *t, const struct tce__leaf_sum *s,
			      const uint64_t *block, uint32_t k, uint64_t wi)
{
	uint64_t want = 0, b, lo = wi * 64, n = t->sum_bits[k];

	for (b = lo; b < lo + 64 && b < n; b++) {
		bool on = k == 0 ? tce__load_be(&block[b]) != 0
				 : s->words[t->sum_off[k - 1] + b] != 0;

		want |= (uint64_t)on << (b - lo);
	}
	return want;
}

/*
 * The summary's side only, from the top: every set bit of a tier has a
 * non-zero word below it, every set bit of tier 0 a live entry. Counts the
 * tier-0 bits into *@live and the wrong ones into *@bad. O(live entries).
 */
TCE_CHECKER
static void check_down(const struct tce_table *t, const struct tce__leaf_sum *s,
		       const uint64_t *block, uint32_t k, uint64_t wi, uint64_t *live, uint64_t *bad)
{
	uint64_t w = s->words[t->sum_off[k] + wi], b;

	for (; w; w &= w - 1) {
		b = wi * 64 + (uint64_t)__builtin_ctzll(w);
		if (b >= t->sum_bits[k]) {
			(*bad)++;
		} else if (k == 0) {
			(*live)++;
			*bad += tce__load_be(&block[b]) == 0;
		} else if (!s->words[t->sum_off[k - 1] + b]) {
			(*bad)++;
		} else {
			check_down(t, s, block, k - 1, b, live, bad);
		}
	}
}

/* Leaves up to this many entries are checked word by word against every entry. */
#define SUM_CHECK_FULL_MAX (1ULL << 16)

/* Every word of every tier recomputed from the tier below or the entries. */
TCE_CHECKER
static void check_full(const struct tce_table *t, const struct tce__leaf_sum *s,
		       const uint64_t *block, uint64_t *live, uint64_t *bad)
{
	uint64_t wi, got;
	uint32_t k;

	for (k = 0; k < t->sum_tiers; k++) {
		for (wi = 0; wi < (t->sum_bits[k] + 63) / 64; wi++) {
			got = s->words[t->sum_off[k] + wi];
			*bad += expected_word(t, s, block, k, wi) != got;
			*live += k == 0 ? (uint64_t)__builtin_popcountll(got) : 0;
		}
	}
}

TCE_CHECKER
bool tce__sum_check(const struct tce_table *t, const uint64_t *block)
{
	const struct tce__leaf_sum *s = tce__leaf_sum(t, block);
	uint64_t live = 0, bad = 0;

	/*
	 * A huge leaf (a flat table of a large window) is checked from the
	 * summary's side only: reading all its entries would fault in every page.
	 */
	if (t->level_entries <= SUM_CHECK_FULL_MAX)
		check_full(t, s, block, &live, &bad);
	else
		check_down(t, s, block, t->sum_tiers - 1, 0, &live, &bad);
	if (!bad && live == s->live && !atomic_load(&s->lock))
		return true;
	tce__err(t->ctx, "table check: leaf %p summary: %" PRIu64 " words wrong, live %" PRIu64
		 " against %" PRIu64 " counted, lock %d", (const void *)block, bad, s->live, live,
		 atomic_load(&s->lock));
	return false;
}
