/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the firmware files share: the RTAS EEH calls that rtas.c dispatches
 * to eeh.c. Layer: fw. Includes the hw layer's header.
 */
#ifndef TCE_FW_FW_INT_H
#define TCE_FW_FW_INT_H

#include "hw/hw_int.h"

/*
 * The PE of the function at config address @cfg_addr under the PHB of BUID
 * @hi:@lo (how RTAS names a PE), or NULL.
 */
struct tce__pe *tce__rtas_pe(struct tce_machine *m, uint32_t cfg_addr, uint32_t hi, uint32_t lo);

/* Which EEH call @token is (an index of m->eeh_token), or -1. */
int tce__rtas_eeh_call(const struct tce_machine *m, uint32_t token);

/*
 * Run EEH call @call; returns the RTAS status for rets[0] and writes only
 * rets[1..nret-1]. Wrong argument or result counts give -3 and write nothing.
 */
int tce__rtas_eeh(struct tce_machine *m, int call, uint32_t nargs, const uint32_t *args,
		  uint32_t nret, uint32_t *rets);

#endif /* TCE_FW_FW_INT_H */
