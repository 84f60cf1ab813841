/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tcectl tour`: a walk through the layers one at a time: TCE tables of
 * several geometries (mapping, translating, exchanging and clearing
 * entries), the DMA API on a window (pages, a scatter list, a coherent
 * buffer) and the bare machines (tcectl-machine.c). Layer: front end; uses
 * only <tce.h>.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcectl.h"

struct demo_geometry {
	const char *what;
	uint64_t bus_offset;
	uint64_t window_size;
	uint32_t page_shift;
	uint32_t levels;
};

static const struct demo_geometry geometries[] = {
	{ "default 32-bit window", 0, 2ULL << 30, 12, 1 },
	{ "64 GiB window, 64 KiB pages", 1ULL << 59, 64ULL << 30, 16, 2 },
	{ "1 TiB window, 4 KiB pages", 1ULL << 59, 1ULL << 40, 12, 3 },
	{ "16 PiB window (largest), 16 MiB pages", 1ULL << 59, 1ULL << 54, 24, 2 },
	{ "1 TiB window, 16 GiB pages", 0, 1ULL << 40, 34, 1 },
};

static const char *dir_name(enum tce_dir dir)
{
	static const char *const names[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE" };

	return (unsigned)dir <= TCE_DIR_NONE ? names[dir] : "?";
}

static void show_stats(struct tce_table *t)
{
	struct tce_table_stats st;

	tce_table_stats(t, &st);
	printf("    populated %" PRIu64 " entries, %" PRIu64 " TCE levels + %" PRIu64
	       " mirror levels, %" PRIu64 " KiB allocated\n",
	       st.populated, st.levels_allocated, st.mirror_levels_allocated,
	       st.bytes_allocated >> 10);
}

/* Map 4 pages in the middle of the window, translate, exchange, clear. */
static int exercise(struct tce_table *t, const struct tce_table_config *cfg)
{
	uint64_t page = 1ULL << cfg->page_shift, idx = cfg->first_idx + cfg->entries / 2;
	uint64_t bus = idx << cfg->page_shift, real = 0x40000000ULL & ~(page - 1), out;
	enum tce_dir dir = TCE_DIR_NONE;
	int rc;

	if (!real)
		real = page;
	rc = tce_table_set(t, idx, 4, real, TCE_DIR_TO_DEVICE);
	if (rc)
		return tcectl_fail("set", rc);
	printf("    mapped 4 pages at bus 0x%" PRIx64 " -> real 0x%" PRIx64 " (TO_DEVICE)\n", bus,
	       real);
	rc = tce_table_translate(t, bus + page + 0x10, TCE_DIR_TO_DEVICE, &out);
	printf("    device read  at bus 0x%" PRIx64 ": %s, real 0x%" PRIx64 "\n", bus + page + 0x10,
	       rc ? tce_err_name(rc) : "ok", rc ? 0 : out);
	rc = tce_table_translate(t, bus + page + 0x10, TCE_DIR_FROM_DEVICE, &out);
	printf("    device write at bus 0x%" PRIx64 ": %s (the TCE has no WRITE)\n", bus + page + 0x10,
	       tce_err_name(rc));
	out = 0;
	rc = tce_table_xchg(t, idx + 1, &out, &dir);
	if (rc)
		return tcectl_fail("xchg", rc);
	printf("    exchange entry 0x%" PRIx64 " with NONE: old real 0x%" PRIx64 " %s\n", idx + 1, out,
	       dir_name(dir));
	show_stats(t);
	rc = tce_table_clear(t, cfg->first_idx, cfg->entries);
	if (rc)
		return tcectl_fail("clear", rc);
	printf("    cleared the whole window (%" PRIu64 " entries)\n", cfg->entries);
	show_stats(t);
	return 0;
}

static int demo_one(struct tce_ctx *ctx, const struct demo_geometry *g)
{
	struct tce_table_config cfg = {
		.bus_offset = g->bus_offset,
		.window_size = g->window_size,
		.page_shift = g->page_shift,
		.levels = g->levels,
		.mirror = true,
	};
	struct tce_table *t;
	int rc;

	printf("%s: bus 0x%" PRIx64 " size 0x%" PRIx64 ", %u KiB pages, %u level(s)\n", g->what,
	       g->bus_offset, g->window_size, 1u << (g->page_shift - 10), g->levels);
	rc = tce_table_create(ctx, &cfg, &t);
	if (rc)
		return tcectl_fail("create", rc);
	printf("    granted: %" PRIu64 " entries from 0x%" PRIx64 ", level block %" PRIu64
	       " entries, %" PRIu64 " KiB charged\n",
	       cfg.entries, cfg.first_idx, cfg.level_entries, cfg.charged_bytes >> 10);
	rc = exercise(t, &cfg);
	tce_table_put(t);
	return rc;
}

static void show_pool(struct tce_dma *d)
{
	struct tce_pool_stats st;

	tce_pool_stats(tce_dma_pool(d), &st);
	printf("    allocator: %" PRIu64 " entries allocated, %" PRIu64 " reserved\n", st.allocated,
	       st.reserved);
}

/* A driver's view: map a page and a scatter list, allocate a coherent buffer. */
static int dma_steps(struct tce_dma *d, struct tce_table *t)
{
	struct tce_sg sg[8];
	uint64_t bus, real, cbus;
	unsigned i, out;
	void *cpu;
	int rc;

	rc = tce_dma_map_page(d, 0x12345678, 6000, TCE_DIR_FROM_DEVICE, &bus);
	if (rc)
		return tcectl_fail("map page", rc);
	tce_table_translate(t, bus + 100, TCE_DIR_FROM_DEVICE, &real);
	printf("    map_page(real 0x12345678, 6000 bytes, FROM_DEVICE) -> bus 0x%" PRIx64
	       "; the device writes bus+100 at real 0x%" PRIx64 "\n", bus, real);
	for (i = 0; i < 8; i++)
		sg[i] = (struct tce_sg){ .real = 0x80000000ULL + i * 4096, .length = 4096 };
	rc = tce_dma_map_sg(d, sg, 8, TCE_DIR_TO_DEVICE, &out);
	if (rc)
		return tcectl_fail("map sg", rc);
	printf("    map_sg(8 pages) -> %u segment(s):", out);
	for (i = 0; i < out; i++)
		printf(" [0x%" PRIx64 ", +0x%" PRIx64 ")", sg[i].dma_address, sg[i].dma_length);
	printf("\n");
	rc = tce_dma_alloc_coherent(d, 40000, &cpu, &cbus);
	if (rc)
		return tcectl_fail("alloc coherent", rc);
	printf("    alloc_coherent(40000 bytes) -> bus 0x%" PRIx64 " (aligned to 64 KiB)\n", cbus);
	show_pool(d);
	tce_dma_unmap_page(d, bus, 6000);
	tce_dma_unmap_sg(d, sg, 8);
	tce_dma_free_coherent(d, 40000, cpu, cbus);
	show_pool(d);
	return 0;
}

static int demo_dma(struct tce_ctx *ctx)
{
	struct tce_table_config tc = { .window_size = 2ULL << 30, .page_shift = 12, .levels = 1 };
	struct tce_dma_config dc = { 0 };
	struct tce_table *t;
	struct tce_dma *d;
	int rc;

	printf("DMA API on a 2 GiB window at bus 0 with 4 KiB pages (in-memory backend)\n");
	rc = tce_table_create(ctx, &tc, &t);
	if (rc)
		return tcectl_fail("create", rc);
	dc.table = t;
	rc = tce_dma_create(ctx, &dc, &d);
	if (rc) {
		tce_table_put(t);
		return tcectl_fail("dma create", rc);
	}
	printf("    %u pools of %" PRIu64 " entries, large pool from entry 0x%" PRIx64 "\n",
	       dc.pool.nr_pools, dc.pool.pool_entries, dc.pool.large_start);
	rc = dma_steps(d, t);
	tce_dma_destroy(d);
	tce_table_put(t);
	return rc;
}

int tcectl_tour(void)
{
	struct tce_table_config bad = { .window_size = 1ULL << 55, .page_shift = 24, .levels = 2 };
	struct tce_table *t;
	struct tce_ctx *ctx;
	size_t i;
	int rc = 0;

	if (tce_ctx_create(&ctx))
		return tcectl_fail("context", -12);
	printf("libtce tour: TCE tables, the DMA API and the bare machines, layer by layer\n\n");
	for (i = 0; i < sizeof(geometries) / sizeof(geometries[0]) && !rc; i++) {
		rc = demo_one(ctx, &geometries[i]);
		printf("\n");
	}
	if (!rc) {
		rc = tce_table_create(ctx, &bad, &t);
		printf("a 2^55-byte window is refused (55-bit rule): %s\n",
		       tce_err_name(rc));
		rc = rc == 0;
		if (rc)
			tce_table_put(t);
	}
	if (!rc) {
		printf("\n");
		rc = demo_dma(ctx);
	}
	if (!rc) {
		printf("\n");
		rc = tcectl_demo_machine();
	}
	tce_ctx_destroy(ctx);
	return rc;
}

