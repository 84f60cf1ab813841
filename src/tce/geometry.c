/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table geometry: which windows, page sizes and level counts are allowed,
 * how big a level block is, and the worst-case byte count charged before a
 * table is allocated (spec kernel.md §3.1 and §3.4). Layer: table.
 */
#include <errno.h>

#include "tce/table_int.h"
#include "util/arith.h"

/* Basic parameter rules shared by the size formula and creation. */
static bool params_valid(uint32_t page_shift, uint64_t window_size, uint32_t levels)
{
	return levels >= 1 && levels <= TCE_LEVELS_MAX && page_shift >= TCE_PAGE_SHIFT_MIN &&
	       page_shift <= TCE_PAGE_SHIFT_MAX && tce__is_pow2(window_size) &&
	       tce__ilog2(window_size) >= page_shift;
}

/* Bytes of one level block: max(ceil(entries_shift / levels) + 3, host page shift). */
static uint32_t level_shift_of(uint32_t entries_shift, uint32_t levels)
{
	uint32_t per_level = (entries_shift + levels - 1) / levels;

	return tce__max_u32(per_level + 3, TCE_HOST_PAGE_SHIFT);
}

/*
 * §3.4: for each level add the level's bytes rounded up to whole blocks,
 * then shrink to the next level up (one 8-byte pointer per block below, at
 * least one block). Twice the sum: the TCE tree and its mirror.
 */
uint64_t tce_table_size_bytes(uint32_t page_shift, uint64_t window_size, uint32_t levels)
{
	uint32_t entries_shift, i;
	uint64_t level_bytes, block, bytes = 0, rounded;

	if (!params_valid(page_shift, window_size, levels))
		return 0;
	entries_shift = tce__ilog2(window_size) - page_shift;
	level_bytes = 1ULL << tce__max_u32(entries_shift + 3, 12);
	block = 1ULL << level_shift_of(entries_shift, levels);
	for (i = 0; i < levels; i++) {
		rounded = tce__div_round_up(level_bytes, block) * block;
		if (tce__add_overflows(bytes, rounded, &bytes))
			return 0;
		level_bytes = (level_bytes / block) * 8;
		if (level_bytes < block)
			level_bytes = block;
	}
	if (tce__mul_overflows(bytes, 2, &bytes))
		return 0;
	return bytes;
}

int tce__table_geometry(struct tce_table_config *cfg)
{
	uint32_t entries_shift, level_shift;
	uint64_t page_mask, last;

	if (!params_valid(cfg->page_shift, cfg->window_size, cfg->levels))
		return -EINVAL;
	page_mask = tce__low_mask(cfg->page_shift);
	if ((cfg->bus_offset & page_mask) ||
	    tce__add_overflows(cfg->bus_offset, cfg->window_size - 1, &last))
		return -EINVAL;
	entries_shift = tce__ilog2(cfg->window_size) - cfg->page_shift;
	level_shift = level_shift_of(entries_shift, cfg->levels);
	if ((uint64_t)(level_shift - 3) * cfg->levels + cfg->page_shift >= TCE_ADDR_BITS_LIMIT)
		return -EINVAL;
	cfg->first_idx = cfg->bus_offset >> cfg->page_shift;
	cfg->entries = 1ULL << entries_shift;
	cfg->level_shift = level_shift;
	cfg->level_entries = 1ULL << (level_shift - 3);
	cfg->charged_bytes = tce_table_size_bytes(cfg->page_shift, cfg->window_size, cfg->levels);
	return 0;
}
