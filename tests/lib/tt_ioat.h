/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A machine with an I/OAT channel for the channel's tests: the built-in
 * pseries machine, whose function "ioat" at 0000:00:03.0 is PE 2 (its own
 * default window, LIOBN 0x80000200; libtce,dma-fault = "recover"), or the
 * same tree with that property changed, with bus addresses [TT_IOAT_BASE,
 * + TT_IOAT_SPAN) of PE 2's default window mapped read-write onto the same
 * real addresses of the machine's RAM; the
 * descriptor ring, the completion word and the source and destination
 * buffers live there. Register and descriptor helpers take the layout of
 * <tce/abi.h>.
 */
#ifndef TCE_TESTS_TT_IOAT_H
#define TCE_TESTS_TT_IOAT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <tce.h>

#define TT_IOAT_NAME "0000:00:03.0"
#define TT_IOAT_PE 2
#define TT_IOAT_LIOBN 0x80000200ULL
#define TT_IOAT_BASE 0x100000ULL
#define TT_IOAT_SPAN 0x400000ULL
#define TT_IOAT_RING TT_IOAT_BASE                 /* up to 1024 descriptors */
#define TT_IOAT_STATUS (TT_IOAT_BASE + 0x10000)   /* CHANCMP */
#define TT_IOAT_SRC (TT_IOAT_BASE + 0x100000)     /* 1 MiB */
#define TT_IOAT_DST (TT_IOAT_BASE + 0x200000)     /* 1 MiB */
#define TT_IOAT_UNMAPPED 0x10000000ULL            /* in the window, no TCE */

struct tt_ioat {
	struct tce_machine *m;
	struct tce_pci_dev *d;
	uint8_t *mem; /* host memory of [TT_IOAT_BASE, + TT_IOAT_SPAN) */
};

/* Poll until @cond holds, every 0.1 ms for at most 5 s (the device thread's pace). */
#define TT_WAIT_FOR(cond)                                                  \
	do {                                                               \
		struct timespec ts_ = { 0, 100000 };                      \
		int n_;                                                    \
		for (n_ = 0; n_ < 50000 && !(cond); n_++)                  \
			nanosleep(&ts_, NULL);                             \
	} while (0)

/* Only the built-in machine (in @ctx, or its own when NULL), nothing mapped. 0 or an error. */
int tt_ioat_create(struct tce_ctx *ctx, struct tce_machine **m);

/*
 * The built-in pseries tree with the ioat function's libtce,dma-fault set
 * to @dma_fault ("freeze", "recover", or any string, which the machine may
 * refuse), or removed when @dma_fault is NULL (the default, freeze).
 */
int tt_ioat_create_as(struct tce_ctx *ctx, const char *dma_fault, struct tce_machine **m);

/* Build the built-in machine (in @ctx, or its own when NULL) and map the span. 0 or an error. */
int tt_ioat_open(struct tt_ioat *t, struct tce_ctx *ctx);

/* The same on the tree of tt_ioat_create_as(@dma_fault). */
int tt_ioat_open_as(struct tt_ioat *t, struct tce_ctx *ctx, const char *dma_fault);
void tt_ioat_close(struct tt_ioat *t);

/* Host pointer of bus address @bus inside the span. */
static inline uint8_t *tt_ioat_ptr(struct tt_ioat *t, uint64_t bus)
{
	return t->mem + (bus - TT_IOAT_BASE);
}

/* Register access through tce_dev_bar_read/write (0 on error). */
uint64_t tt_ioat_rd(struct tt_ioat *t, uint64_t off, unsigned size);
int tt_ioat_wr(struct tt_ioat *t, uint64_t off, unsigned size, uint64_t val);

/* Write descriptor @i of the ring (little-endian); @next 0 links to @i + 1. */
void tt_ioat_desc(struct tt_ioat *t, unsigned i, uint32_t size, uint32_t ctl, uint64_t src,
		  uint64_t dst, uint64_t next);

/* The control word of an operation with flags. */
static inline uint32_t tt_ioat_ctl(unsigned op, uint32_t flags)
{
	return (uint32_t)op << TCE_IOAT_CTL_OP_SHIFT | flags;
}

/* The completion word the channel writes back (read atomically). */
uint64_t tt_ioat_status(struct tt_ioat *t);

/*
 * Bring the channel up as DPDK's driver does: bus mastering and decode on,
 * CHANCTRL error completion and abort, CHANCMP, a reset, CHAINADDR at the
 * ring (or @chain). 0 or an error.
 */
int tt_ioat_start(struct tt_ioat *t, uint64_t chain);

/* Wait up to 5 s for CHANSTS's state to be @state; true if it is. */
bool tt_ioat_wait_state(struct tt_ioat *t, uint64_t state);

/* Wait up to 5 s for CHANCMD to read 0 (a command was carried out). */
bool tt_ioat_wait_cmd(struct tt_ioat *t);

#endif /* TCE_TESTS_TT_IOAT_H */
