/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/OAT (Crystal Beach DMA) channel: the registers of one CBDMA channel
 * (<tce/abi.h>) in the BAR memory dmatest.c manages, and the engine the
 * device thread runs: commands, the chain latched from CHAINADDR,
 * descriptors fetched through the PE's translation until the internal count
 * reaches DMACOUNT, copies and fills, the CHANSTS write-back and the halt
 * on an error with its CHANERR bit. Layer: hw.
 */
#include <errno.h>
#include <string.h>

#include "hw/hw_int.h"

/*
 * The bounce buffer: a copy or fill moves at most this much per DMA, so a
 * DMA touches at most 9 pages of 4 KiB and plans its chunks on the stack.
 */
#define CHUNK (32u << 10)
#define MAX_XFER (1ULL << TCE_IOAT_XFERCAP)

/* Descriptors a round runs before it looks at commands again. */
#define BATCH 64

#define rd(d, off, size) tce__bar_load(d, off, size)
#define wr(d, off, size, v) tce__bar_store(d, off, size, v)

int tce__ioat_init(struct tce_pci_dev *d)
{
	d->io.bounce = tce__malloc(d->m->ctx, CHUNK);
	return d->io.bounce ? 0 : -ENOMEM;
}

void tce__ioat_fini(struct tce_pci_dev *d)
{
	tce__free(d->m->ctx, d->io.bounce, CHUNK);
}

bool tce__ioat_readable(uint64_t off)
{
	return off < TCE_IOAT_REG_DMACAP + 4 ||
	       (off >= TCE_IOAT_REG_CHANCTRL && off < TCE_IOAT_REGS_END);
}

/* ---- reset ---- */

/*
 * A channel reset: nothing latched, the count and DMACOUNT 0, CHANSTS ARMED
 * with no descriptor, CHANERR clear. CHANCTRL, CHAINADDR and CHANCMP keep
 * what software wrote. Context: device lock; the thread or quiesced.
 */
static void chan_reset(struct tce_pci_dev *d)
{
	struct tce__ioat *io = &d->io;

	io->state = TCE_IOAT_CHANSTS_ARMED;
	io->latched = false;
	io->count = io->dmacount_seen = 0;
	io->cur = io->last_done = 0;
	io->cur_from_chain = false;
	atomic_store(&io->chain_written, false);
	wr(d, TCE_IOAT_REG_DMACOUNT, 2, 0);
	wr(d, TCE_IOAT_REG_CHANSTS, 8, TCE_IOAT_CHANSTS_ARMED);
	wr(d, TCE_IOAT_REG_CDAR, 8, 0);
	wr(d, TCE_IOAT_REG_CHANERR, 4, 0);
}

void tce__ioat_regs_init(struct tce_pci_dev *d)
{
	uint64_t off;

	for (off = 0; off < 0x100; off += 8)
		wr(d, off, 8, 0);
	wr(d, TCE_IOAT_REG_CHANCNT, 1, TCE_IOAT_CHANCNT);
	wr(d, TCE_IOAT_REG_XFERCAP, 1, TCE_IOAT_XFERCAP);
	wr(d, TCE_IOAT_REG_CBVER, 1, TCE_IOAT_CBVER);
	wr(d, TCE_IOAT_REG_DMACAP, 4, TCE_IOAT_DMACAP_BFILL);
	wr(d, TCE_IOAT_REG_DMA_COMP, 2, TCE_IOAT_DMA_COMP_V3);
	d->io.chain_seen = 0;
	chan_reset(d);
}

/* ---- stores through tce_dev_bar_write() ---- */

/* The bits of register byte @o that software may write (CHANERR is write-1-to-clear). */
static uint8_t wmask(uint64_t o)
{
	switch (o) {
	case TCE_IOAT_REG_GENCTRL: case TCE_IOAT_REG_INTRCTRL:
	case TCE_IOAT_REG_INTRDELAY: case TCE_IOAT_REG_INTRDELAY + 1:
	case TCE_IOAT_REG_CHANCTRL: case TCE_IOAT_REG_CHANCTRL + 1:
	case TCE_IOAT_REG_DMACOUNT: case TCE_IOAT_REG_DMACOUNT + 1:
		return 0xff;
	case TCE_IOAT_REG_CHANCMD:
		return 0x3f;
	}
	if ((o >= TCE_IOAT_REG_CHAINADDR && o < TCE_IOAT_REG_CDAR) ||
	    (o >= TCE_IOAT_REG_CHANERRMSK && o < TCE_IOAT_REGS_END))
		return 0xff;
	return 0;
}

static bool is_chanerr(uint64_t o)
{
	return o >= TCE_IOAT_REG_CHANERR && o < TCE_IOAT_REG_CHANERR + 4;
}

static bool touches(uint64_t off, unsigned size, uint64_t reg, unsigned len)
{
	return off < reg + len && reg < off + size;
}

/*
 * Merge the store byte by byte and write it back whole, so that one store
 * is one atomic access; registers the thread changes (CHANCMD, DMACOUNT,
 * CHANERR) change under the device lock too, and an access wholly read-only
 * (CHANSTS, CDAR) writes nothing. A CHAINADDR store zeroes DMACOUNT now and
 * has the thread reset its count.
 */
bool tce__ioat_reg_store(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	uint64_t old, merged = 0;
	bool any = false;
	unsigned i;

	if (off >= TCE_IOAT_REGS_END)
		return false;
	old = rd(d, off, size);
	for (i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i)), ob = (uint8_t)(old >> (8 * i));
		uint8_t w = wmask(o), nb = is_chanerr(o) ? ob & ~b : (uint8_t)((ob & ~w) | (b & w));

		any |= w || is_chanerr(o);
		merged |= (uint64_t)nb << (8 * i);
	}
	if (!any)
		return false;
	wr(d, off, size, merged);
	if (touches(off, size, TCE_IOAT_REG_CHAINADDR, 8)) {
		wr(d, TCE_IOAT_REG_DMACOUNT, 2, 0);
		atomic_store(&d->io.chain_written, true);
	}
	return touches(off, size, TCE_IOAT_REG_CHANCMD, 1) ||
	       touches(off, size, TCE_IOAT_REG_DMACOUNT, 2) ||
	       touches(off, size, TCE_IOAT_REG_CHAINADDR, 8);
}

/* ---- the engine ---- */

static bool master(struct tce_pci_dev *d)
{
	return tce__dev_config16(d, TCE_PCI_COMMAND) & TCE_PCI_COMMAND_MASTER;
}

/* Does a store the thread found at @reg pass EEH and decode? Takes the device lock. */
static bool store_ok(struct tce_pci_dev *d, uint64_t reg)
{
	bool ok;

	tce__lock(&d->lock);
	ok = tce__pe_mmio(d->pe, d, TCE__ACC_MEM_ST, tce__dev_bar0_addr(d) + reg,
			  !(tce__dev_config16(d, TCE_PCI_COMMAND) & TCE_PCI_COMMAND_MEMORY));
	tce__unlock(&d->lock);
	return ok;
}

static void publish(struct tce_pci_dev *d, unsigned state)
{
	d->io.state = state;
	wr(d, TCE_IOAT_REG_CHANSTS, 8, (d->io.last_done & TCE_IOAT_CHANSTS_ADDR) | state);
}

/* Write CHANSTS's value @sts to CHANCMP through the IOMMU: 0 or COMPLETION_ADDR. */
static uint32_t write_back(struct tce_pci_dev *d, uint64_t sts)
{
	uint64_t at = rd(d, TCE_IOAT_REG_CHANCMP, 8), le = htole64(sts);

	if (at % 8 || !master(d) || tce_dev_dma_write(d, at, &le, 8))
		return TCE_IOAT_CHANERR_COMPLETION_ADDR;
	return 0;
}

/*
 * Halt on error @bit: CHANERR records it, the HALTED value (the last
 * completed descriptor) is written back when CHANCTRL asks (a failing error
 * write-back adds nothing), then CHANSTS reads it, so a poller of either
 * finds CHANERR set; the vector is raised when CHANCTRL asks.
 */
static void halt(struct tce_pci_dev *d, uint32_t bit, bool *irq)
{
	uint32_t ctrl = (uint32_t)rd(d, TCE_IOAT_REG_CHANCTRL, 2);
	uint64_t sts = (d->io.last_done & TCE_IOAT_CHANSTS_ADDR) | TCE_IOAT_CHANSTS_HALTED;

	tce__lock(&d->lock);
	wr(d, TCE_IOAT_REG_CHANERR, 4, rd(d, TCE_IOAT_REG_CHANERR, 4) | bit);
	tce__unlock(&d->lock);
	if ((ctrl & TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN) && bit != TCE_IOAT_CHANERR_COMPLETION_ADDR)
		write_back(d, sts);
	publish(d, TCE_IOAT_CHANSTS_HALTED);
	if (ctrl & TCE_IOAT_CHANCTRL_ERR_INT_EN)
		*irq = true;
}

/* Fill @len bytes of the bounce buffer with the 8 pattern bytes @pat. */
static void pattern(uint8_t *buf, const uint8_t *pat, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat[i % 8];
}

/* Copy or fill @size bytes in chunks: 0 or the CHANERR bit of what failed. */
static uint32_t transfer(struct tce_pci_dev *d, unsigned op, uint64_t size, uint64_t src,
			 const uint8_t *pat, uint64_t dst)
{
	uint64_t done, len;

	if (op != TCE_IOAT_OP_COPY && op != TCE_IOAT_OP_FILL)
		return TCE_IOAT_CHANERR_DESC_CONTROL;
	if (!size || size > MAX_XFER)
		return TCE_IOAT_CHANERR_DESC_LENGTH;
	if (op == TCE_IOAT_OP_FILL)
		pattern(d->io.bounce, pat, size < CHUNK ? size : CHUNK);
	for (done = 0; done < size; done += len) {
		len = size - done < CHUNK ? size - done : CHUNK;
		if (op == TCE_IOAT_OP_COPY &&
		    tce_dev_dma_read(d, src + done, d->io.bounce, (size_t)len))
			return TCE_IOAT_CHANERR_SRC_ADDR;
		if (tce_dev_dma_write(d, dst + done, d->io.bounce, (size_t)len))
			return TCE_IOAT_CHANERR_DEST_ADDR;
	}
	return 0;
}

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/*
 * Run the descriptor at cur: fetch, check, transfer, complete (the count
 * moves on; its address with the state after it is written back when it
 * asks, then CHANSTS reads it). @n is the DMACOUNT being worked to. 0 or
 * the CHANERR bit.
 */
static uint32_t descriptor(struct tce_pci_dev *d, uint16_t n, bool *irq)
{
	struct tce__ioat *io = &d->io;
	uint8_t raw[TCE_IOAT_DESC_SIZE];
	uint64_t at = io->cur;
	uint32_t ctl, err = 0;
	unsigned state;

	if (at % TCE_IOAT_DESC_SIZE)
		return io->cur_from_chain ? TCE_IOAT_CHANERR_CHAIN_ADDR :
					    TCE_IOAT_CHANERR_NEXT_DESC_ALIGN;
	wr(d, TCE_IOAT_REG_CDAR, 8, at);
	if (!master(d) || tce_dev_dma_read(d, at, raw, sizeof(raw)))
		return TCE_IOAT_CHANERR_READ_DATA;
	ctl = le32_at(raw + TCE_IOAT_DESC_OFF_CTL);
	if (!(ctl & TCE_IOAT_CTL_NULL))
		err = transfer(d, ctl >> TCE_IOAT_CTL_OP_SHIFT, le32_at(raw + TCE_IOAT_DESC_OFF_SIZE),
			       le64_at(raw + TCE_IOAT_DESC_OFF_SRC), raw + TCE_IOAT_DESC_OFF_SRC,
			       le64_at(raw + TCE_IOAT_DESC_OFF_DST));
	if (err)
		return err;
	io->last_done = at;
	io->cur = le64_at(raw + TCE_IOAT_DESC_OFF_NEXT);
	io->cur_from_chain = false;
	io->count++;
	state = io->count == n ? TCE_IOAT_CHANSTS_IDLE : TCE_IOAT_CHANSTS_ACTIVE;
	if ((ctl & TCE_IOAT_CTL_COMPL_UPDATE) && (err = write_back(d, at | state)))
		return err;
	publish(d, state);        /* after the write-back: CHANSTS never runs ahead of memory */
	if (ctl & TCE_IOAT_CTL_INT_EN)
		*irq = true;
	return 0;
}

/* Clear the command @cmd the thread took, unless software stored another since. */
static void command_done(struct tce_pci_dev *d, uint8_t cmd)
{
	uint8_t *p = d->dt.bar + TCE_IOAT_REG_CHANCMD;

	tce__lock(&d->lock);
	__atomic_compare_exchange_n(p, &cmd, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	tce__unlock(&d->lock);
}

/* Carry out CHANCMD @cmd (more than one bit is a CHANCMD error). */
static void command(struct tce_pci_dev *d, uint8_t cmd, bool *irq)
{
	struct tce__ioat *io = &d->io;

	if (!store_ok(d, TCE_IOAT_REG_CHANCMD)) {
		command_done(d, cmd);          /* the store was dropped */
		return;
	}
	if (cmd & (cmd - 1)) {
		halt(d, TCE_IOAT_CHANERR_CHANCMD, irq);
	} else if (cmd == TCE_IOAT_CHANCMD_RESET) {
		tce__lock(&d->lock);
		chan_reset(d);
		tce__unlock(&d->lock);
	} else if (cmd == TCE_IOAT_CHANCMD_SUSPEND && io->state != TCE_IOAT_CHANSTS_HALTED) {
		publish(d, TCE_IOAT_CHANSTS_SUSPENDED);
	} else if (cmd == TCE_IOAT_CHANCMD_RESUME && io->state == TCE_IOAT_CHANSTS_SUSPENDED) {
		publish(d, io->latched ? TCE_IOAT_CHANSTS_IDLE : TCE_IOAT_CHANSTS_ARMED);
	} else if (cmd == TCE_IOAT_CHANCMD_ABORT) {
		publish(d, TCE_IOAT_CHANSTS_HALTED);
	}                                      /* START, APPEND: CB v1/v2 commands, ignored */
	command_done(d, cmd);
}

/*
 * A new chain: a CHAINADDR store through tce_dev_bar_write(), or, through
 * a mapping, a CHAINADDR that changed while the channel was idle or
 * suspended. The count restarts at 0 and the channel is ARMED; a halted
 * channel needs a reset first.
 */
static bool rearm(struct tce_pci_dev *d)
{
	struct tce__ioat *io = &d->io;
	bool written = atomic_exchange(&io->chain_written, false);
	bool idle = io->state == TCE_IOAT_CHANSTS_IDLE || io->state == TCE_IOAT_CHANSTS_SUSPENDED;

	if (!written && !(idle && rd(d, TCE_IOAT_REG_CHAINADDR, 8) != io->chain_seen))
		return false;
	if (io->state == TCE_IOAT_CHANSTS_HALTED)
		return true;
	tce__lock(&d->lock);
	if (!written)
		wr(d, TCE_IOAT_REG_DMACOUNT, 2, 0);
	tce__unlock(&d->lock);
	io->count = io->dmacount_seen = 0;
	io->latched = false;
	io->chain_seen = rd(d, TCE_IOAT_REG_CHAINADDR, 8);
	publish(d, TCE_IOAT_CHANSTS_ARMED);
	return true;
}

/* A DMACOUNT store the thread found: accepted, or dropped (EEH) back to the last one. */
static bool accept_count(struct tce_pci_dev *d, uint16_t n)
{
	if (n == d->io.dmacount_seen)
		return true;
	if (!store_ok(d, TCE_IOAT_REG_DMACOUNT)) {
		tce__lock(&d->lock);
		wr(d, TCE_IOAT_REG_DMACOUNT, 2, d->io.dmacount_seen);
		tce__unlock(&d->lock);
		return false;
	}
	d->io.dmacount_seen = n;
	return true;
}

/* Work towards DMACOUNT, at most BATCH descriptors. True if anything ran. */
static bool run(struct tce_pci_dev *d, bool *irq)
{
	struct tce__ioat *io = &d->io;
	uint16_t n = (uint16_t)rd(d, TCE_IOAT_REG_DMACOUNT, 2);
	uint32_t err = 0;
	unsigned i;

	if (n == io->count)
		return false;
	if (!accept_count(d, n))
		return true;
	if (!io->latched) {
		io->cur = io->chain_seen = rd(d, TCE_IOAT_REG_CHAINADDR, 8);
		io->cur_from_chain = io->latched = true;
	}
	publish(d, TCE_IOAT_CHANSTS_ACTIVE);
	for (i = 0; i < BATCH && io->count != n && !err; i++) {
		if (atomic_load(&io->chain_written))
			return true;
		err = descriptor(d, n, irq);
	}
	if (err)
		halt(d, err, irq);      /* else the last descriptor published ACTIVE or IDLE */
	return true;
}

bool tce__ioat_quiet(struct tce_pci_dev *d, uint64_t *seen)
{
	uint64_t v = rd(d, TCE_IOAT_REG_CHAINADDR, 8) ^ rd(d, TCE_IOAT_REG_DMACOUNT, 2) << 48;
	bool same = v == *seen;

	*seen = v;
	return same && !rd(d, TCE_IOAT_REG_CHANCMD, 1) && !atomic_load(&d->io.chain_written);
}

bool tce__ioat_round(struct tce_pci_dev *d, bool *irq)
{
	uint8_t cmd = (uint8_t)rd(d, TCE_IOAT_REG_CHANCMD, 1);
	bool did = false;

	if (cmd) {
		command(d, cmd, irq);
		did = true;
	}
	did |= rearm(d);
	if (d->io.state == TCE_IOAT_CHANSTS_HALTED || d->io.state == TCE_IOAT_CHANSTS_SUSPENDED)
		return did;
	return run(d, irq) || did;
}
