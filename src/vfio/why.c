/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The words of a refusal: sizes, bus addresses, windows and page-size sets
 * as a person reads them ("2 GiB", "2^59", "[2^59, 2^59 + 1 GiB) 64 KiB
 * pages"), for the reasons the VFIO layer logs at TCE_LOG_NOTICE when it
 * refuses a request (vfio_refuse()). Called only when a callback takes
 * notices. Layer: vfio.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vfio/vfio_int.h"

struct tce__vword tce__vsize(uint64_t bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	struct tce__vword t;
	int u = -1;

	while (u < 5 && bytes && !(bytes & 1023) && (bytes >> 10))
		bytes >>= 10, u++;
	if (u < 0)
		snprintf(t.s, sizeof(t.s), bytes < 1024 ? "%" PRIu64 : "%#" PRIx64, bytes);
	else
		snprintf(t.s, sizeof(t.s), "%" PRIu64 " %s", bytes, unit[u]);
	return t;
}

struct tce__vword tce__vaddr(uint64_t addr)
{
	struct tce__vword t;

	if (addr >= (1ull << 32) && !(addr & (addr - 1)))
		snprintf(t.s, sizeof(t.s), "2^%d", __builtin_ctzll(addr));
	else
		snprintf(t.s, sizeof(t.s), addr ? "%#" PRIx64 : "0", addr);
	return t;
}

struct tce__vwtext tce__vwindow(const struct tce_iommu_table_info *i)
{
	uint64_t start = i->first_idx << i->page_shift, size = i->entries << i->page_shift;
	struct tce__vwtext t;

	if (!start)
		snprintf(t.s, sizeof(t.s), "[0, %s)", tce__vsize(size).s);
	else if (!(start & (start - 1)))
		snprintf(t.s, sizeof(t.s), "[%s, %s + %s)", tce__vaddr(start).s,
			 tce__vaddr(start).s, tce__vsize(size).s);
	else
		snprintf(t.s, sizeof(t.s), "[%#" PRIx64 ", %#" PRIx64 ")", start, start + size);
	snprintf(t.s + strlen(t.s), sizeof(t.s) - strlen(t.s), " %s pages",
		 tce__vsize(1ull << i->page_shift).s);
	return t;
}

struct tce__vtext tce__vwindows(const struct tce__vcontainer *c)
{
	const struct tce__vwin *w0 = &c->win[0], *w1 = &c->win[1];
	struct tce__vtext t;

	if (w0->t && w1->t)
		snprintf(t.s, sizeof(t.s), "windows are %s and %s", tce__vwindow(&w0->info).s,
			 tce__vwindow(&w1->info).s);
	else if (w0->t || w1->t)
		snprintf(t.s, sizeof(t.s), "the only window is %s",
			 tce__vwindow(w0->t ? &w0->info : &w1->info).s);
	else
		snprintf(t.s, sizeof(t.s), "the container has no DMA window");
	return t;
}

struct tce__vtext tce__vpgsizes(uint64_t mask)
{
	struct tce__vtext t = { .s = "" };
	size_t n = 0;
	int b;

	for (b = 0; b < 64 && n < sizeof(t.s); b++)
		if (mask & (1ull << b))
			n += (size_t)snprintf(t.s + n, sizeof(t.s) - n, "%s%s", n ? ", " : "",
					      tce__vsize(1ull << b).s);
	if (!mask)
		snprintf(t.s, sizeof(t.s), "none");
	return t;
}
