/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw access to a table's entries for the layers above that validate
 * ranges and values themselves (the hypervisor's hcalls): storing whole runs
 * of host-order TCE values with one walk per leaf block. Layer: table.
 */
#ifndef TCE_TCE_TABLE_RAW_H
#define TCE_TCE_TABLE_RAW_H

#include "tce.h"

/*
 * Store @n host-order TCE values from absolute @idx (range checked by the
 * caller). Every level the range needs is allocated before the first store,
 * so -ENOMEM leaves every entry as it was; the stores are single 64-bit
 * atomic stores, one walk per leaf block. Context: lock-free.
 */
int tce__table_store_raw(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *tces);

/*
 * Store the host-order value @value in @n entries from absolute @idx (range
 * checked by the caller), as tce__table_store_raw() does: all levels first,
 * so -ENOMEM changes nothing. A value of 0 clears instead and allocates
 * nothing (absent levels already read as 0). Context: lock-free.
 */
int tce__table_fill_raw(struct tce_table *t, uint64_t idx, uint64_t n, uint64_t value);

#endif /* TCE_TCE_TABLE_RAW_H */
