/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two lock flavours the baselines of `tce-bench alloc` take (spec
 * performance.md §6.2 "Lock flavour"): a pthread mutex, or a
 * test-and-test-and-set spinlock with a pause in the wait loop, built the way
 * the library builds its own so that a flavour costs the same on both sides.
 * Layer: tools; uses the C library only.
 */
#ifndef TCE_BENCH_ALLOC_LOCK_H
#define TCE_BENCH_ALLOC_LOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct bl_lock {
	pthread_mutex_t mutex;
	atomic_int spin;
	bool use_spin;
};

static inline int bl_lock_init(struct bl_lock *l, bool spin)
{
	int rc = pthread_mutex_init(&l->mutex, NULL);

	atomic_init(&l->spin, 0);
	l->use_spin = spin;
	return -rc;
}

static inline void bl_lock_fini(struct bl_lock *l)
{
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

static inline void bl_lock(struct bl_lock *l)
{
	if (!l->use_spin) {
		pthread_mutex_lock(&l->mutex);
		return;
	}
	while (atomic_exchange_explicit(&l->spin, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&l->spin, memory_order_relaxed))
			bl_cpu_relax();
	}
}

static inline void bl_unlock(struct bl_lock *l)
{
	if (l->use_spin)
		atomic_store_explicit(&l->spin, 0, memory_order_release);
	else
		pthread_mutex_unlock(&l->mutex);
}

#endif /* TCE_BENCH_ALLOC_LOCK_H */
