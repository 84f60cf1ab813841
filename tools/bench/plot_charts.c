/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The charts of tce-bench --plot, one entry each: which rows it draws (by
 * bench and params, as the subcommands emit them), the x of each point and
 * the series it belongs to. A series is named by the exact variant names of
 * its rows; the qualifier only adds what the name does not say. Layer:
 * tools.
 */
#include <stdio.h>
#include <string.h>

#include "plot_rows.h"

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

static unsigned int one_key(struct plot_key *k, const char *group, const char *qual)
{
	snprintf(k->group, sizeof(k->group), "%.*s", (int)sizeof(k->group) - 1, group);
	snprintf(k->qual, sizeof(k->qual), "%.*s", (int)sizeof(k->qual) - 1, qual);
	return 1;
}

/*
 * alloc.b2, the B1 FIFO loop on 1 and 2 threads ("pairs" mode), of one lock
 * kind. The library's 1-thread point starts both its disjoint-pools and its
 * one-pool line; the baselines' 2 threads share one allocator.
 */
static unsigned int place_alloc(const struct plot_row *r, double *x, struct plot_key *k,
				const char *lock)
{
	const char *pools = plot_str(r, "pools");

	if (!is(r->bench, "alloc.b2") || !is(plot_str(r, "mode"), "pairs"))
		return 0;
	if (!ends_with(r->variant, lock) && !is(r->variant, "FLOOR"))
		return 0;
	*x = r->threads;
	if (!pools)
		return one_key(k, r->variant, "");
	if (is(pools, "disjoint"))
		return one_key(k, r->variant, "disjoint pools");
	if (is(pools, "same"))
		return one_key(k, r->variant, "one pool");
	one_key(&k[0], r->variant, "disjoint pools");
	one_key(&k[1], r->variant, "one pool");
	return 2;
}

static unsigned int place_alloc_mtx(const struct plot_row *r, double *x, struct plot_key *k)
{
	return place_alloc(r, x, k, "-mtx");
}

static unsigned int place_alloc_spin(const struct plot_row *r, double *x, struct plot_key *k)
{
	return place_alloc(r, x, k, "-spin");
}

/*
 * table.lookup at each working set (entries); hv.translate's device DMA and
 * its load floor, each a line from the cache hit (1 page) to the miss.
 */
static unsigned int place_translate(const struct plot_row *r, double *x, struct plot_key *k)
{
	char group[PLOT_NAME_MAX];
	const char *dash;

	if (is(r->bench, "table.lookup") && plot_num(r, "entries", x))
		return one_key(k, r->variant, strncmp(r->variant, "FLOOR", 5) ?
			       "tce_table_get()" : "load from a flat array");
	if (!is(r->bench, "hv.translate") || !plot_num(r, "pages", x))
		return 0;
	dash = strrchr(r->variant, '-');
	snprintf(group, sizeof(group), "%.*s", dash ? (int)(dash - r->variant) : 0, r->variant);
	return one_key(k, group, strncmp(r->variant, "FLOOR", 5) ?
		       "device DMA read of 8 B, TCE cache hit and miss" : "plain load");
}

/* table.clear per populated entry (sparse and dense) and hv.stuff's H_STUFF_TCE. */
static unsigned int place_clear(const struct plot_row *r, double *x, struct plot_key *k)
{
	if (is(r->bench, "table.clear")) {
		if (!is(plot_str(r, "per"), "populated_entry") ||
		    !plot_num(r, "entries_populated", x) || *x <= 0)
			return 0;
		if (!strncmp(r->variant, "FLOOR-memset", 12))
			return one_key(k, "clear-memset", "memset of the populated leaves");
		if (strstr(r->variant, "teardown-nocache"))
			return one_key(k, r->variant, "table teardown, level cache off");
		if (strstr(r->variant, "teardown"))
			return one_key(k, r->variant, "table teardown");
		return one_key(k, "clear", "tce_table_clear");
	}
	if (is(r->bench, "hv.stuff") && plot_num(r, "tces", x) && *x > 0) {
		if (!strncmp(r->variant, "FLOOR-memset", 12))
			return one_key(k, "stuff-memset", "memset of the window's TCEs");
		return one_key(k, "stuff", "one H_STUFF_TCE over the window");
	}
	return 0;
}

/* vfio.shim.map (v2) and vfio.shim.type1: "LIB-64" and "T1-SHIM-512" by pages a call. */
static unsigned int place_map(const struct plot_row *r, double *x, struct plot_key *k)
{
	const char *container = plot_str(r, "container");
	char group[PLOT_NAME_MAX], qual[64];
	const char *dash;

	if (!is(r->bench, "vfio.shim.map") && !is(r->bench, "vfio.shim.type1"))
		return 0;
	if (!plot_num(r, "pages_per_call", x) || !container)
		return 0;
	dash = strrchr(r->variant, '-');
	snprintf(group, sizeof(group), "%.*s", dash ? (int)(dash - r->variant) : 0, r->variant);
	snprintf(qual, sizeof(qual), "%s, %s", is(container, "type1v2") ? "Type1v2" : "sPAPR v2",
		 strstr(group, "SHIM") ? "client under tce-run" : "tce_vfio_ioctl() in-process");
	return one_key(k, group, qual);
}

const struct plot_chart plot_charts[] = {
	{ .name = "alloc-threads-mtx", .needs = "alloc",
	  .what = "Allocator throughput against threads, -mtx variants (alloc.b2: B1 FIFO "
		  "alloc+free pairs; BL-*: one allocator shared by both threads)",
	  .xlabel = "threads", .ylabel = "throughput, all threads (Mops/s, log)",
	  .logy = true, .throughput = true,
	  .extra = "set xrange [0.8:2.2]\nset xtics 1\n",
	  .place = place_alloc_mtx },
	{ .name = "alloc-threads-spin", .needs = "alloc",
	  .what = "Allocator throughput against threads, -spin variants (alloc.b2: B1 FIFO "
		  "alloc+free pairs; BL-*: one allocator shared by both threads)",
	  .xlabel = "threads", .ylabel = "throughput, all threads (Mops/s, log)",
	  .logy = true, .throughput = true,
	  .extra = "set xrange [0.8:2.2]\nset xtics 1\n",
	  .place = place_alloc_spin },
	{ .name = "translate", .needs = "table, hv",
	  .what = "Translate cost against working set and levels (table.lookup: tce_table_get(); "
		  "hv.translate: device DMA, TCE cache hit/miss)",
	  .xlabel = "working set (populated 4 KiB TCEs; hv.translate: pages, log)",
	  .ylabel = "ns per lookup (log)", .logx = true, .logy = true,
	  .extra = "set logscale x 2\nset format x '2^%L'\n",
	  .place = place_translate },
	{ .name = "clear", .needs = "table, hv",
	  .what = "Clear cost against populated entries (table.clear: 1 per leaf, 1% and 100% "
		  "of leaves; hv.stuff: H_STUFF_TCE)",
	  .xlabel = "populated entries (log)", .ylabel = "ns per populated entry (log)",
	  .logx = true, .logy = true,
	  .extra = "set format x '10^%L'\n",
	  .more = "50 with lines dashtype 2 linecolor 'gray40' title 'G5: 50 ns per populated "
		  "entry (sparse)'",
	  .place = place_clear },
	{ .name = "map-dma", .needs = "shim",
	  .what = "MAP_DMA+UNMAP_DMA cost against pages a call (vfio.shim.map: v2; "
		  "vfio.shim.type1: Type1v2; powernv, 4 KiB pages)",
	  .xlabel = "pages a call (log)", .ylabel = "ns per page, map+unmap (log)",
	  .logx = true, .logy = true,
	  .extra = "set xtics (1, 8, 64, 512)\nset logscale x 2\n",
	  .place = place_map },
};

const unsigned int plot_ncharts = sizeof(plot_charts) / sizeof(plot_charts[0]);

bool plot_row_used(const struct plot_row *r)
{
	struct plot_key keys[PLOT_KEYS_MAX];
	unsigned int i;
	double x;

	for (i = 0; i < plot_ncharts; i++) {
		if (plot_charts[i].place(r, &x, keys))
			return true;
	}
	return false;
}
