/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lock set-up and tear-down; the fast paths are inline in lock.h.
 * Layer: util.
 */
#include <errno.h>

#include "util/lock.h"

int tce__lock_init(struct tce__lock *l, bool spin)
{
	int rc = pthread_mutex_init(&l->mutex, NULL);

	if (rc)
		return -rc;
	atomic_init(&l->spin, 0);
	l->use_spin = spin;
#ifndef NDEBUG
	atomic_init(&l->owner, 0);
#endif
	return 0;
}

void tce__lock_fini(struct tce__lock *l)
{
	pthread_mutex_destroy(&l->mutex);
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
