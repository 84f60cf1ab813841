/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lock set-up and tear-down, and the word lock's contended paths; the fast
 * paths are inline in lock.h. Layer: util.
 */
#include <errno.h>

#include "util/lock.h"

#define WORD_SPINS 100 /* tries before sleeping: the critical sections are short */

int tce__lock_init_kind(struct tce__lock *l, enum tce__lock_kind kind)
{
	int rc = pthread_mutex_init(&l->mutex, NULL);

	if (rc)
		return -rc;
	if (kind == TCE__LOCK_WORD && (rc = pthread_cond_init(&l->cond, NULL)) != 0) {
		pthread_mutex_destroy(&l->mutex);
		return -rc;
	}
	atomic_init(&l->spin, 0);
	l->kind = (uint8_t)kind;
#ifndef NDEBUG
	atomic_init(&l->owner, 0);
#endif
	return 0;
}

int tce__lock_init(struct tce__lock *l, bool spin)
{
	return tce__lock_init_kind(l, spin ? TCE__LOCK_SPIN : TCE__LOCK_MUTEX);
}

void tce__lock_fini(struct tce__lock *l)
{
	if (l->kind == TCE__LOCK_WORD)
		pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->mutex);
}

/*
 * The word was not free: spin a little, then mark it 2 ("held, maybe waited
 * for") and sleep until an exchange finds it free. The mark is set under the
 * mutex before waiting, and the holder that sees it takes the mutex to
 * signal, so no wake-up is lost; whoever takes the lock from here leaves the
 * mark, so the next release wakes the next waiter.
 */
void tce__word_lock_slow(struct tce__lock *l)
{
	unsigned i;
	int free_;

	for (i = 0; i < WORD_SPINS; i++) {
		tce__cpu_relax();
		free_ = 0;
		if (atomic_load_explicit(&l->spin, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong_explicit(&l->spin, &free_, 1, memory_order_acquire,
							    memory_order_relaxed))
			return;
	}
	pthread_mutex_lock(&l->mutex);
	while (atomic_exchange_explicit(&l->spin, 2, memory_order_acquire) != 0)
		pthread_cond_wait(&l->cond, &l->mutex);
	pthread_mutex_unlock(&l->mutex);
}

/* A release found the mark: wake one sleeper. */
void tce__word_wake(struct tce__lock *l)
{
	pthread_mutex_lock(&l->mutex);
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->mutex);
}

int tce__rwlock_init(struct tce__rwlock *l)
{
	*l = (struct tce__rwlock){ 0 };
	return pthread_rwlock_init(&l->rw, NULL) ? -ENOMEM : 0;
}

void tce__rwlock_fini(struct tce__rwlock *l)
{
	pthread_rwlock_destroy(&l->rw);
}
