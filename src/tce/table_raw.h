/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw access to a table's entries for the layers above that validate
 * ranges and values themselves (the hypervisor's hcalls): storing a guest's
 * list of TCEs in one checking pass, and filling runs with one value, with
 * one walk per leaf block. Layer: table.
 */
#ifndef TCE_TCE_TABLE_RAW_H
#define TCE_TCE_TABLE_RAW_H

#include <stdbool.h>

#include "tce.h"

/* Entries one list store may cover: a 4 KiB list page of TCEs. */
#define TCE__LIST_MAX 512

/*
 * What makes a stored value valid, as the layer above defines it, given as
 * data so the store pass checks each value inline: a value without READ or
 * WRITE is always valid; otherwise its address part (the value without the
 * two permission bits) must have no bit of @addr_mask set, and a page of
 * @page_bytes there must lie below @fast_end or be accepted by @slow.
 */
struct tce__tce_check {
	uint64_t addr_mask;
	uint64_t page_bytes;
	uint64_t fast_end;
	bool (*slow)(void *arg, uint64_t addr);
	void *arg;
};

/*
 * Store @n (1..TCE__LIST_MAX) big-endian values read from @be_list in
 * entries from absolute @idx (range checked by the caller): the list is read
 * once into a private copy, every value of the copy is checked with @chk,
 * and only then is the copy stored, holding the locks of the (at most two)
 * leaves it writes, so no other writer sees part of it. Return: 0; -EINVAL
 * if value *@bad (0-based) is the first invalid one: nothing is stored and
 * no level allocated; -ENOMEM if a level cannot be allocated (nothing
 * stored; levels installed on the way stay). Context: lock-free for
 * readers; takes leaf locks; may allocate; @chk->slow is called without
 * any table lock.
 */
int tce__table_store_list(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *be_list,
			  const struct tce__tce_check *chk, uint64_t *bad);

/*
 * Store the host-order value @value in @n entries from absolute @idx (range
 * checked by the caller): all levels first, so -ENOMEM changes nothing. A
 * value of 0 clears instead and allocates nothing (absent levels already
 * read as 0). Context: lock-free for readers; takes leaf locks.
 */
int tce__table_fill_raw(struct tce_table *t, uint64_t idx, uint64_t n, uint64_t value);

#endif /* TCE_TCE_TABLE_RAW_H */
