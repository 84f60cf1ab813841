/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table geometry: which windows, page sizes and level counts are allowed,
 * how big a level block is on a host of 4 KiB or 64 KiB pages, the deepest
 * table a page size allows, and the worst-case byte count charged before a
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

/* The host page shift a caller means: 0 is the default (64 KiB); only 12 and 16 exist. */
static bool host_shift_of(uint32_t asked, uint32_t *shift)
{
	*shift = asked ? asked : TCE_HOST_PAGE_SHIFT;
	return *shift == 12 || *shift == 16;
}

/* Bytes of one level block: max(ceil(entries_shift / levels) + 3, host page shift). */
static uint32_t level_shift_of(uint32_t entries_shift, uint32_t levels, uint32_t host_shift)
{
	uint32_t per_level = (entries_shift + levels - 1) / levels;

	return tce__max_u32(per_level + 3, host_shift);
}

/* §3.1 step 4: the levels' index bits plus the page shift stay below 55 bits. */
static bool fits_55_bits(uint32_t level_shift, uint32_t levels, uint32_t page_shift)
{
	return (uint64_t)(level_shift - 3) * levels + page_shift < TCE_ADDR_BITS_LIMIT;
}

/*
 * §3.4: for each level add the level's bytes rounded up to whole blocks,
 * then shrink to the next level up (one 8-byte pointer per block below, at
 * least one block). Twice the sum with a mirror (the TCE tree and the
 * userspace-address tree), once without.
 */
uint64_t tce_table_size_bytes_ext(uint32_t page_shift, uint64_t window_size, uint32_t levels,
				  uint32_t host_page_shift, bool mirror)
{
	uint32_t entries_shift, host_shift, i;
	uint64_t level_bytes, block, bytes = 0, rounded;

	if (!params_valid(page_shift, window_size, levels) ||
	    !host_shift_of(host_page_shift, &host_shift))
		return 0;
	entries_shift = tce__ilog2(window_size) - page_shift;
	level_bytes = 1ULL << tce__max_u32(entries_shift + 3, 12);
	block = 1ULL << level_shift_of(entries_shift, levels, host_shift);
	for (i = 0; i < levels; i++) {
		rounded = tce__div_round_up(level_bytes, block) * block;
		if (tce__add_overflows(bytes, rounded, &bytes))
			return 0;
		level_bytes = (level_bytes / block) * 8;
		if (level_bytes < block)
			level_bytes = block;
	}
	if (mirror && tce__mul_overflows(bytes, 2, &bytes))
		return 0;
	return bytes;
}

uint64_t tce_table_size_bytes(uint32_t page_shift, uint64_t window_size, uint32_t levels)
{
	return tce_table_size_bytes_ext(page_shift, window_size, levels, TCE_HOST_PAGE_SHIFT, true);
}

/*
 * The smallest block is one host page, so L levels pass the 55-bit rule for
 * some window exactly when (host_shift - 3) * L + page_shift < 55.
 */
uint32_t tce_table_max_levels(uint32_t page_shift, uint32_t host_page_shift)
{
	uint32_t host_shift, levels;

	if (page_shift < TCE_PAGE_SHIFT_MIN || page_shift > TCE_PAGE_SHIFT_MAX ||
	    !host_shift_of(host_page_shift, &host_shift))
		return 0;
	for (levels = TCE_LEVELS_MAX; levels > 0; levels--)
		if (fits_55_bits(host_shift, levels, page_shift))
			return levels;
	return 0;
}

int tce__table_geometry(struct tce_table_config *cfg)
{
	uint32_t entries_shift, level_shift, host_shift;
	uint64_t page_mask, last;

	if (!params_valid(cfg->page_shift, cfg->window_size, cfg->levels) ||
	    !host_shift_of(cfg->host_page_shift, &host_shift))
		return -EINVAL;
	page_mask = tce__low_mask(cfg->page_shift);
	if ((cfg->bus_offset & page_mask) ||
	    tce__add_overflows(cfg->bus_offset, cfg->window_size - 1, &last))
		return -EINVAL;
	entries_shift = tce__ilog2(cfg->window_size) - cfg->page_shift;
	level_shift = level_shift_of(entries_shift, cfg->levels, host_shift);
	if (!fits_55_bits(level_shift, cfg->levels, cfg->page_shift))
		return -EINVAL;
	cfg->host_page_shift = host_shift;
	cfg->first_idx = cfg->bus_offset >> cfg->page_shift;
	cfg->entries = 1ULL << entries_shift;
	cfg->level_shift = level_shift;
	cfg->level_entries = 1ULL << (level_shift - 3);
	cfg->charged_bytes = tce_table_size_bytes_ext(cfg->page_shift, cfg->window_size,
						      cfg->levels, host_shift, cfg->mirror);
	return 0;
}
