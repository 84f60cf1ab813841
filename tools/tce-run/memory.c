/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's memory under the shim, as pinned pages behave in the kernel:
 * memory that is registered for VFIO stays alive for the device when the
 * program munmaps or mremaps it. munmap of a registered range leaves the
 * pages mapped (the program must not use them; the device still may) and
 * remembers the range; mremap of one gives the program new pages holding a
 * copy and leaves the old ones to the device. Remembered ranges are really
 * unmapped once no registration covers them (checked after each request
 * that can drop one). Front end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

struct kept {
	uintptr_t start;
	size_t len;
};

/* Guarded by the shim's lock. */
static struct kept *kept;
static size_t nkept, capkept;

static int (*real_munmap(void))(void *, size_t)
{
	return REAL(munmap, int (*)(void *, size_t));
}

static bool registered(const void *addr, size_t len)
{
	bool hit;

	shim_enter();
	hit = tce_vfio_mm_pinned(shim_mm(), (uintptr_t)addr, len);
	shim_leave();
	return hit;
}

static bool keep(void *addr, size_t len)
{
	struct kept *k;

	shim_lock();
	if (nkept == capkept) {
		k = realloc(kept, (capkept ? capkept * 2 : 16) * sizeof(*k));
		if (!k) {
			shim_unlock();
			return false;
		}
		kept = k;
		capkept = capkept ? capkept * 2 : 16;
	}
	kept[nkept++] = (struct kept){ (uintptr_t)addr, len };
	shim_unlock();
	return true;
}

void shim_release_kept(void)
{
	size_t i = 0;

	if (!shim_live())
		return;
	shim_lock();
	while (i < nkept) {
		if (registered((void *)kept[i].start, kept[i].len)) {
			i++;
			continue;
		}
		real_munmap()((void *)kept[i].start, kept[i].len);
		kept[i] = kept[--nkept];
	}
	shim_unlock();
}

int munmap(void *addr, size_t len)
{
	if (shim_live() && len)
		shim_bars_remove(addr, len);
	if (shim_live() && len && registered(addr, len)) {
		if (keep(addr, len))
			return 0; /* the pages stay for the device, as pinned pages do */
	}
	return real_munmap()(addr, len);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *(*real)(void *, size_t, size_t, int, ...) =
		REAL(mremap, void *(*)(void *, size_t, size_t, int, ...));
	void *want = NULL, *nw;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	if (!shim_live() || !old_len || !registered(old, old_len))
		return real(old, old_len, new_len, flags, want);
	if (!(flags & MREMAP_MAYMOVE)) {
		errno = ENOMEM; /* it cannot grow in place without moving pinned pages */
		return MAP_FAILED;
	}
	/* New pages for the program with the data; the old ones stay for the device. */
	nw = mmap(want, new_len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | ((flags & MREMAP_FIXED) ? MAP_FIXED : 0), -1, 0);
	if (nw == MAP_FAILED)
		return nw;
	memcpy(nw, old, old_len < new_len ? old_len : new_len);
	if (!keep(old, old_len)) {
		real_munmap()(nw, new_len);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return nw;
}
