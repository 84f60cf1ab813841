/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the layer above the OS (vfio) uses of a group beyond the public
 * header. Layer: group (included by vfio). Includes the public header.
 */
#ifndef TCE_GROUP_GROUP_H
#define TCE_GROUP_GROUP_H

#include <stdbool.h>

#include "tce.h"

/*
 * The group's device file (/dev/vfio/<N>) is opened: false when it is open
 * already. Context: atomic; any thread.
 */
bool tce__group_claim_file(struct tce_group *g);
/* The file is closed. */
void tce__group_unclaim_file(struct tce_group *g);

#endif /* TCE_GROUP_GROUP_H */
