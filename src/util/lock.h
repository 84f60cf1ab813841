/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's lock: a pthread mutex, a test-and-test-and-set spinlock
 * for short critical sections (2.4 ns against 7.5-10 ns uncontended on the
 * development machine, spec performance.md §4.2), or a word lock: one
 * compare-and-swap to take, one exchange to give back, and a pthread mutex
 * and condition variable where waiters sleep, touched only when a waiter
 * marked the word (the allocator's "mutex" flavour, issue 12). Debug builds
 * record the owner so code can assert that the lock guarding a field is held.
 * Layer: util. Includes util.h (for tce__assert) and the C library.
 */
#ifndef TCE_UTIL_LOCK_H
#define TCE_UTIL_LOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

enum tce__lock_kind {
	TCE__LOCK_MUTEX,
	TCE__LOCK_SPIN,
	TCE__LOCK_WORD,
};

/* The word and the kind first: a word lock's fast path reads nothing else. */
struct tce__lock {
	atomic_int spin;       /* spin: 1 held; word: 1 held, 2 held and maybe waited for */
	uint8_t kind;          /* enum tce__lock_kind */
	pthread_mutex_t mutex; /* the mutex; the word lock's sleep queue with cond */
	pthread_cond_t cond;   /* word lock only */
#ifndef NDEBUG
	atomic_uintptr_t owner;
#endif
};

/* Initialise; @spin selects the spinlock. Returns 0 or a negative errno. */
int tce__lock_init(struct tce__lock *l, bool spin);
/* Initialise a lock of @kind. Returns 0 or a negative errno. */
int tce__lock_init_kind(struct tce__lock *l, enum tce__lock_kind kind);
void tce__lock_fini(struct tce__lock *l);

/* The word lock's contended paths (lock.c). */
void tce__word_lock_slow(struct tce__lock *l);
void tce__word_wake(struct tce__lock *l);

static inline void tce__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__powerpc64__)
	__asm__ volatile("" ::: "memory");
#endif
}

static inline void tce__spin_acquire(atomic_int *s)
{
	for (;;) {
		if (!atomic_exchange_explicit(s, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(s, memory_order_relaxed))
			tce__cpu_relax();
	}
}

/*
 * Always inline: LTO kept tce__lock and tce__unlock out of line (a call, the
 * kind dispatch and, in the unlock, a frame) on every pool lock and unlock.
 * Inline, a 1-page alloc+free takes 211.5 instructions instead of 225.5
 * (bench-instr.sh, OURS-P16-mtx net) and 1.81x BL-ONELOCK's time instead of
 * 1.96x (tce-bench alloc, G1), for 16 KB more .text (release, LTO).
 */
static inline __attribute__((always_inline)) void tce__lock(struct tce__lock *l)
{
	int free_ = 0;

	if (l->kind == TCE__LOCK_WORD) {
		if (!atomic_compare_exchange_strong_explicit(&l->spin, &free_, 1, memory_order_acquire,
							     memory_order_relaxed))
			tce__word_lock_slow(l);
	} else if (l->kind == TCE__LOCK_SPIN) {
		tce__spin_acquire(&l->spin);
	} else {
		pthread_mutex_lock(&l->mutex);
	}
#ifndef NDEBUG
	atomic_store_explicit(&l->owner, (uintptr_t)pthread_self(), memory_order_relaxed);
#endif
}

/* Take @l if it is free, without waiting: true when taken. */
static inline bool tce__trylock(struct tce__lock *l)
{
	int free_ = 0;
	bool got;

	if (l->kind == TCE__LOCK_MUTEX)
		got = pthread_mutex_trylock(&l->mutex) == 0;
	else
		got = atomic_compare_exchange_strong_explicit(&l->spin, &free_, 1,
							      memory_order_acquire,
							      memory_order_relaxed);
#ifndef NDEBUG
	if (got)
		atomic_store_explicit(&l->owner, (uintptr_t)pthread_self(), memory_order_relaxed);
#endif
	return got;
}

/* Debug builds: true if the calling thread holds @l. Release builds: true. */
static inline bool tce__lock_held(struct tce__lock *l)
{
#ifndef NDEBUG
	return atomic_load_explicit(&l->owner, memory_order_relaxed) == (uintptr_t)pthread_self();
#else
	(void)l;
	return true;
#endif
}

static inline __attribute__((always_inline)) void tce__unlock(struct tce__lock *l)
{
#ifndef NDEBUG
	tce__assert(tce__lock_held(l)); /* debug builds: only its holder gives a lock back */
	atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
	if (l->kind == TCE__LOCK_WORD) {
		if (atomic_exchange_explicit(&l->spin, 0, memory_order_release) == 2)
			tce__word_wake(l);
	} else if (l->kind == TCE__LOCK_SPIN) {
		atomic_store_explicit(&l->spin, 0, memory_order_release);
	} else {
		pthread_mutex_unlock(&l->mutex);
	}
}


/*
 * A reader-writer lock (pthread's). Debug builds record the writer and count
 * readers, so code can assert that the lock guarding a field is held.
 */
struct tce__rwlock {
	pthread_rwlock_t rw;
#ifndef NDEBUG
	atomic_uintptr_t writer;
	atomic_int readers;
#endif
};

int tce__rwlock_init(struct tce__rwlock *l);
void tce__rwlock_fini(struct tce__rwlock *l);

/*
 * glibc answers EDEADLK when the writer takes its own lock again (a leaked
 * write lock); debug builds stop there instead of running on unlocked.
 */
static inline void tce__read_lock(struct tce__rwlock *l)
{
	int rc = pthread_rwlock_rdlock(&l->rw);

	tce__assert(rc == 0);
	(void)rc;
#ifndef NDEBUG
	atomic_fetch_add_explicit(&l->readers, 1, memory_order_relaxed);
#endif
}

static inline void tce__read_unlock(struct tce__rwlock *l)
{
#ifndef NDEBUG
	tce__assert(atomic_load_explicit(&l->readers, memory_order_relaxed) > 0); /* one is held */
	atomic_fetch_sub_explicit(&l->readers, 1, memory_order_relaxed);
#endif
	pthread_rwlock_unlock(&l->rw);
}

static inline void tce__write_lock(struct tce__rwlock *l)
{
	int rc = pthread_rwlock_wrlock(&l->rw);

	tce__assert(rc == 0);
	(void)rc;
#ifndef NDEBUG
	atomic_store_explicit(&l->writer, (uintptr_t)pthread_self(), memory_order_relaxed);
#endif
}

static inline void tce__write_unlock(struct tce__rwlock *l)
{
#ifndef NDEBUG
	atomic_store_explicit(&l->writer, 0, memory_order_relaxed);
#endif
	pthread_rwlock_unlock(&l->rw);
}

/* Debug builds: the calling thread holds @l for writing. Release builds: true. */
static inline bool tce__rwlock_held_write(struct tce__rwlock *l)
{
#ifndef NDEBUG
	return atomic_load_explicit(&l->writer, memory_order_relaxed) == (uintptr_t)pthread_self();
#else
	(void)l;
	return true;
#endif
}

/*
 * Debug builds: @l is held for writing by the caller, or for reading (by
 * some thread: readers are not named). Release builds: true.
 */
static inline bool tce__rwlock_held(struct tce__rwlock *l)
{
#ifndef NDEBUG
	return tce__rwlock_held_write(l) ||
	       atomic_load_explicit(&l->readers, memory_order_relaxed) > 0;
#else
	(void)l;
	return true;
#endif
}

#endif /* TCE_UTIL_LOCK_H */
