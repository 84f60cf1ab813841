/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two lock flavours the baselines of `tce-bench alloc` take (spec
 * performance.md §6.2 "Lock flavour"): the "mutex", a word lock (one
 * compare-and-swap to take, one exchange to give back, waiters sleeping on a
 * pthread mutex and condition variable only once they marked the word), or a
 * test-and-test-and-set spinlock with a pause in the wait loop. Both are
 * built the way the library builds its allocator's locks (src/util/lock.h),
 * so that a flavour costs the same on both sides. Layer: tools; uses the C
 * library only.
 */
#ifndef TCE_BENCH_ALLOC_LOCK_H
#define TCE_BENCH_ALLOC_LOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define BL_WORD_SPINS 100

struct bl_lock {
	pthread_mutex_t mutex; /* with cond: where the word lock's waiters sleep */
	pthread_cond_t cond;
	atomic_int word; /* spin: 1 held; word: 1 held, 2 held and maybe waited for */
	bool use_spin;
};

static inline int bl_lock_init(struct bl_lock *l, bool spin)
{
	int rc = pthread_mutex_init(&l->mutex, NULL);

	if (!rc && (rc = pthread_cond_init(&l->cond, NULL)) != 0)
		pthread_mutex_destroy(&l->mutex);
	atomic_init(&l->word, 0);
	l->use_spin = spin;
	return -rc;
}

static inline void bl_lock_fini(struct bl_lock *l)
{
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->mutex);
}

static inline void bl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ volatile("" ::: "memory");
#endif
}

static inline bool bl_word_try(struct bl_lock *l)
{
	int free_ = 0;

	return atomic_compare_exchange_strong_explicit(&l->word, &free_, 1, memory_order_acquire,
						       memory_order_relaxed);
}

static __attribute__((noinline)) void bl_word_lock_slow(struct bl_lock *l)
{
	unsigned i;

	for (i = 0; i < BL_WORD_SPINS; i++) {
		bl_cpu_relax();
		if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 && bl_word_try(l))
			return;
	}
	pthread_mutex_lock(&l->mutex);
	while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
		pthread_cond_wait(&l->cond, &l->mutex);
	pthread_mutex_unlock(&l->mutex);
}

static __attribute__((noinline)) void bl_word_wake(struct bl_lock *l)
{
	pthread_mutex_lock(&l->mutex);
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->mutex);
}

static inline void bl_lock(struct bl_lock *l)
{
	if (!l->use_spin) {
		if (!bl_word_try(l))
			bl_word_lock_slow(l);
		return;
	}
	while (atomic_exchange_explicit(&l->word, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&l->word, memory_order_relaxed))
			bl_cpu_relax();
	}
}

static inline void bl_unlock(struct bl_lock *l)
{
	if (l->use_spin)
		atomic_store_explicit(&l->word, 0, memory_order_release);
	else if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
		bl_word_wake(l);
}

#endif /* TCE_BENCH_ALLOC_LOCK_H */
