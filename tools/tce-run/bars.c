/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The program's mappings of device BARs, and EEH's view of them: while a
 * PE's MMIO is frozen (STOPPED, UNAVAIL, RESET), MMIO loads return all ones
 * and stores are dropped, which plain memory cannot do; so the shim swaps
 * each mapping of the PE's BARs for a page of all ones (stores land there
 * and are lost) and swaps the BAR back once MMIO works again. It looks after
 * every EEH request, a write to eeh_dev_break, a reset, and every
 * millisecond from a thread for freezes a device's DMA fault causes. Front end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

struct bar_map {
	uintptr_t addr;
	size_t len;
	void *bar;            /* the device's memory behind it */
	struct tce_group *g;
	bool swapped;
};

/*
 * Guarded by their own lock, never held while calling the library: the
 * machine's fault callback takes it with a PE's lock held.
 */
static pthread_mutex_t bl = PTHREAD_MUTEX_INITIALIZER;
static struct bar_map *maps;
static size_t nmaps, capmaps;
static pthread_t poller;
static bool polling, stop;

/* MMIO of @g's PE returns all ones. */
static bool mmio_frozen(struct tce_group *g)
{
	uint32_t state;

	if (tce_group_eeh_get_state(g, &state))
		return false;
	return state == TCE_EEH_PE_STATE_STOPPED || state == TCE_EEH_PE_STATE_UNAVAIL ||
	       state == TCE_EEH_PE_STATE_RESET;
}

/* Context: bl held. */
static void swap(struct bar_map *b, bool frozen)
{
	void *at;

	if (frozen == b->swapped)
		return;
	if (frozen) {
		at = mmap((void *)b->addr, b->len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (at == MAP_FAILED)
			return;
		memset(at, 0xff, b->len);
	} else {
		at = mremap(b->bar, 0, b->len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)b->addr);
		if (at == MAP_FAILED)
			return;
	}
	b->swapped = frozen;
}

/* The groups the mappings belong to, each once, in @out (at most @max). */
static size_t groups(struct tce_group **out, size_t max)
{
	size_t i, j, n = 0;

	pthread_mutex_lock(&bl);
	for (i = 0; i < nmaps; i++) {
		for (j = 0; j < n && out[j] != maps[i].g; j++)
			;
		if (j == n && n < max)
			out[n++] = maps[i].g;
	}
	pthread_mutex_unlock(&bl);
	return n;
}

static void set_group(struct tce_group *g, bool frozen)
{
	size_t i;

	pthread_mutex_lock(&bl);
	for (i = 0; i < nmaps; i++)
		if (maps[i].g == g)
			swap(&maps[i], frozen);
	pthread_mutex_unlock(&bl);
}

void shim_bars_sync(void)
{
	struct tce_group *g[64];
	size_t i, n;

	if (!shim_live())
		return;
	n = groups(g, 64);
	for (i = 0; i < n; i++) {
		bool frozen;

		shim_enter();
		frozen = mmio_frozen(g[i]);
		shim_leave();
		set_group(g[i], frozen);
	}
}

void shim_bars_fault(uint32_t phb, uint32_t pe)
{
	struct tce_group_info gi;
	size_t i;

	pthread_mutex_lock(&bl);
	for (i = 0; i < nmaps; i++) {
		tce_group_info(maps[i].g, &gi); /* fixed at boot: no lock */
		if (gi.phb == phb && gi.pe == pe)
			swap(&maps[i], true);
	}
	pthread_mutex_unlock(&bl);
}

static void *poll_thread(void *arg)
{
	struct timespec ms = { 0, 1000000 };

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		nanosleep(&ms, NULL);
		shim_bars_sync();
	}
	return NULL;
}

void shim_bars_add(void *addr, size_t len, void *bar, struct tce_group *g)
{
	struct bar_map *m;

	pthread_mutex_lock(&bl);
	if (nmaps == capmaps) {
		m = realloc(maps, (capmaps ? capmaps * 2 : 8) * sizeof(*m));
		if (!m) {
			pthread_mutex_unlock(&bl);
			return; /* not followed by EEH: the mapping still works */
		}
		maps = m;
		capmaps = capmaps ? capmaps * 2 : 8;
	}
	maps[nmaps++] = (struct bar_map){ (uintptr_t)addr, len, bar, g, false };
	if (!polling && !pthread_create(&poller, NULL, poll_thread, NULL))
		polling = true;
	pthread_mutex_unlock(&bl);
	shim_bars_sync(); /* a PE already frozen shows all ones at once */
}

bool shim_bars_remove(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	bool hit = false;
	size_t i = 0;

	pthread_mutex_lock(&bl);
	while (i < nmaps) {
		if (maps[i].addr < a + len && a < maps[i].addr + maps[i].len) {
			maps[i] = maps[--nmaps];
			hit = true;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&bl);
	return hit;
}

void shim_bars_stop(void)
{
	if (!polling)
		return;
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(poller, NULL);
	polling = false;
}
