/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw access to a table's entries for the layers above that validate
 * ranges and values themselves (the hypervisor's hcalls): exchanging whole
 * runs of host-order TCE values with one walk per leaf block. Layer: table.
 */
#ifndef TCE_TCE_TABLE_RAW_H
#define TCE_TCE_TABLE_RAW_H

#include "tce.h"

/*
 * Exchange @n entries from absolute @idx with @tces (host order, stored as
 * given), putting the old values in @old. The caller has checked that the
 * range is inside the window. Levels are allocated on demand. Returns 0, or
 * -ENOMEM after exchanging the first *@done entries (the caller restores
 * them with another call). Context: lock-free.
 */
int tce__table_xchg_raw(struct tce_table *t, uint64_t idx, uint64_t n, const uint64_t *tces,
			uint64_t *old, uint64_t *done);

#endif /* TCE_TCE_TABLE_RAW_H */
