/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the OS-side tests: a built-in machine with a host
 * booted on it and its two devices (PE 0 and the VF's PE 1), torn down with
 * a leak check; a kernel DMA round trip through the DMA-test device; and a
 * built-in tree opened for edits.
 */
#ifndef TCE_TESTS_TT_OS_H
#define TCE_TESTS_TT_OS_H

#include <stddef.h>
#include <stdint.h>

#include <tce.h>

struct tt_os {
	struct tce_machine *m;
	struct tce_host *h;
	struct tce_device *a, *b; /* 0000:00:01.0 (PE 0), 0000:00:02.0 (PE 1, the VF) */
	uint64_t live_before;      /* allocations of the bare machine */
};

/* Allocations the machine's context holds now. */
uint64_t tt_live(struct tce_machine *m);

/* Boot a host on @m (taken over: tt_os_shutdown() destroys it). Returns the first error. */
int tt_os_boot_from(struct tt_os *o, struct tce_machine *m);

/* Boot a host configured by @cfg (NULL: the defaults) on the built-in machine of @p. */
int tt_os_boot_config(struct tt_os *o, enum tce_platform p, const struct tce_host_config *cfg);

/* Boot a host on the built-in machine of @p. */
int tt_os_boot(struct tt_os *o, enum tce_platform p);

/* Destroy host and machine; a failure is recorded unless the host gave back every allocation. */
void tt_os_shutdown(struct tt_os *o);

/* Map two kernel buffers for @d, have its DMA-test device copy @len bytes, check, unmap. */
void tt_os_kernel_copy(struct tt_os *o, struct tce_device *d, size_t len);

/*
 * @d writes a 16-byte pattern of @seed by DMA at @iova and reads it back: 0
 * when it landed at @mem (the host bytes @iova maps) and came back; -1 else.
 */
int tt_dma_roundtrip(struct tce_device *d, uint64_t iova, const uint8_t *mem, uint64_t seed);

/* The built-in tree of @p, opened for edits into @blob of @size bytes: 0 or libfdt's error. */
int tt_edit_tree(enum tce_platform p, void *blob, int size);

#endif /* TCE_TESTS_TT_OS_H */
