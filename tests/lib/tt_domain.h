/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the domain tests: a host booted on a built-in machine with an
 * identity region over an arena of this process (so a domain's real
 * addresses are the arena's own addresses and device DMA lands in it), a
 * domain of two windows (1 GiB of 4 KiB pages at 0, 1 GiB of 64 KiB pages
 * at 2^59), and reading a TCE back through a group's table.
 */
#ifndef TCE_TESTS_TT_DOMAIN_H
#define TCE_TESTS_TT_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <tce.h>

#include "tt_os.h"

#define TT_DOM_ARENA (8ull << 20) /* bytes, 2 MiB aligned */
#define TT_DOM_W1 (1ull << 59)

struct tt_dom {
	struct tt_os o;
	struct tce_domain *d;
	struct tce_group *g;  /* device a's group */
	uint8_t *arena;       /* its address is its real address */
	void *map;
};

/* The two-window configuration above. */
struct tce_domain_config tt_dom_config(void);

/* Boot @p, add the arena, create a domain of @cfg (NULL: tt_dom_config()); attach g if @attach. */
int tt_dom_setup(struct tt_dom *f, enum tce_platform p, const struct tce_domain_config *cfg,
		 bool attach);

/* Destroy the domain, the host, the machine; a leak is a failure. */
void tt_dom_teardown(struct tt_dom *f);

/* The raw TCE behind @iova in group @g's table of slot @slot: 0 or the errno. */
int tt_dom_tce(struct tce_group *g, uint32_t slot, uint64_t iova, uint64_t *tce);

/* Let device @d master the bus (DMA needs it). */
void tt_dom_enable_dma(struct tce_device *d);

#endif /* TCE_TESTS_TT_DOMAIN_H */
