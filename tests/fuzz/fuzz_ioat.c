/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the I/OAT channel over descriptor rings. The input
 * writes up to 16 descriptors (operation, flags, size, source, destination
 * and next chosen among good, overlapping, read-only, misaligned, unmapped
 * and out-of-span addresses), the chain and completion addresses and a
 * DMACOUNT, and the channel runs them through PE 2's window (the built-in
 * pseries function 00:03.0, set to libtce,dma-fault = "freeze": the model
 * follows the freeze; test-unit-ioat covers "recover"). A shadow
 * model runs the same ring over a copy of the memory with the channel's
 * rules (in order, in chunks, the first error halts) and must agree with
 * the device on every byte of the span, CHANSTS, CHANERR, the completion
 * word and whether the PE froze.
 */
#include <endian.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <libfdt.h>
#include <tce.h>

#include "fuzz_input.h"

#define LIOBN 0x80000200ULL             /* PE 2's default window */
#define BASE 0x100000ULL
#define SPAN 0x30000ULL                /* mapped READ|WRITE, but the RO page READ only */
#define RING BASE
#define STATUS (BASE + 0x1000)
#define RO (BASE + 0x2000)
#define SRC (BASE + 0x10000)
#define DST (BASE + 0x20000)
#define UNMAPPED (BASE + SPAN + 0x1000)
#define CHUNK 0x8000ULL                /* the channel's bounce: one DMA each */
#define MAX_DESC 16

static struct tce_machine *m;
static struct tce_pci_dev *d;
static uint8_t *mem;                   /* the span's host memory */
static uint8_t shadow[SPAN];

/* ---- the machine, made once ---- */

static void build(void)
{
	static char blob[1 << 17];
	struct tce_machine *ref;
	uint64_t a[9], bus;
	int node;

	ENSURE(tce_machine_create_default(TCE_PLATFORM_PSERIES, &ref) == 0);
	ENSURE(fdt_open_into(tce_machine_fdt(ref), blob, sizeof(blob)) == 0);
	tce_machine_destroy(ref);
	node = fdt_path_offset(blob, "/pci@800000020000000/ioat@3");
	ENSURE(node >= 0 && !fdt_setprop_string(blob, node, "libtce,dma-fault", "freeze"));
	ENSURE(tce_machine_create_dtb(blob, fdt_totalsize(blob), &m) == 0);
	ENSURE(tce_machine_find_device(m, "0000:00:03.0", &d) == 0);
	for (bus = BASE; bus < BASE + SPAN; bus += 4096) {
		a[0] = LIOBN, a[1] = bus, a[2] = bus | TCE_PCI_READ;
		if (bus != RO)
			a[2] |= TCE_PCI_WRITE;
		ENSURE(tce_hv_hcall(m, TCE_H_PUT_TCE, a) == TCE_H_SUCCESS);
	}
	mem = tce_machine_ram_ptr(m, BASE, SPAN);
	ENSURE(mem != NULL);
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	ENSURE(tce_dev_bar_write(d, 0, off, size, v) == 0);
}

/* ---- the shadow model ---- */

struct model {
	uint32_t err;
	uint64_t last, sts;   /* last completed descriptor; CHANSTS */
	bool frozen;
};

static bool in_span(uint64_t a, uint64_t len)
{
	return a >= BASE && len <= SPAN && a - BASE <= SPAN - len;
}

static bool writable(uint64_t a, uint64_t len)
{
	return in_span(a, len) && (a + len <= RO || a >= RO + 4096);
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A copy or fill in chunks, as the channel does: 0 or the CHANERR bit. */
static uint32_t model_transfer(unsigned op, uint64_t size, uint64_t src, const uint8_t *pat,
			       uint64_t dst, struct model *s)
{
	uint8_t buf[CHUNK];
	uint64_t done, len, i;

	if (op != TCE_IOAT_OP_COPY && op != TCE_IOAT_OP_FILL)
		return TCE_IOAT_CHANERR_DESC_CONTROL;
	if (!size || size > (1ULL << TCE_IOAT_XFERCAP))
		return TCE_IOAT_CHANERR_DESC_LENGTH;
	for (done = 0; done < size; done += len) {
		len = size - done < CHUNK ? size - done : CHUNK;
		if (op == TCE_IOAT_OP_COPY) {
			if (src + done < src || src + done + len < src + done)
				return TCE_IOAT_CHANERR_SRC_ADDR;   /* wraps: refused, no fault */
			if (!in_span(src + done, len))
				return s->frozen = true, TCE_IOAT_CHANERR_SRC_ADDR;
			memcpy(buf, shadow + (src + done - BASE), len);
		} else {
			for (i = 0; i < len; i++)
				buf[i] = pat[i % 8];
		}
		if (dst + done < dst || dst + done + len < dst + done)
			return TCE_IOAT_CHANERR_DEST_ADDR;
		if (!writable(dst + done, len))
			return s->frozen = true, TCE_IOAT_CHANERR_DEST_ADDR;
		memcpy(shadow + (dst + done - BASE), buf, len);
	}
	return 0;
}

static bool model_write_back(uint64_t at, uint64_t v, struct model *s)
{
	if (at % 8)
		return false;
	if (s->frozen || !writable(at, 8)) {
		s->frozen = true;
		return false;
	}
	v = htole64(v);
	memcpy(shadow + (at - BASE), &v, 8);
	return true;
}

/* One descriptor at *@cur: 0 or the CHANERR bit. */
static uint32_t model_desc(uint64_t *cur, bool first, uint16_t *count, uint16_t n, uint64_t cmp,
			   struct model *s)
{
	uint8_t p[64];     /* the descriptor as fetched: a transfer may overwrite it in memory */
	uint32_t ctl, err = 0;

	if (*cur % 64)
		return first ? TCE_IOAT_CHANERR_CHAIN_ADDR : TCE_IOAT_CHANERR_NEXT_DESC_ALIGN;
	if (!in_span(*cur, 64))
		return s->frozen = true, TCE_IOAT_CHANERR_READ_DATA;
	memcpy(p, shadow + (*cur - BASE), sizeof(p));
	ctl = (uint32_t)get_le(p + 4, 4);
	if (!(ctl & TCE_IOAT_CTL_NULL))
		err = model_transfer(ctl >> 24, get_le(p, 4), get_le(p + 8, 8), p + 8,
				     get_le(p + 16, 8), s);
	if (err)
		return err;
	s->last = *cur;
	*cur = get_le(p + 24, 8);   /* next, as fetched */
	(*count)++;
	s->sts = s->last | (*count == n ? TCE_IOAT_CHANSTS_IDLE : TCE_IOAT_CHANSTS_ACTIVE);
	if ((ctl & TCE_IOAT_CTL_COMPL_UPDATE) && !model_write_back(cmp, s->sts, s))
		return TCE_IOAT_CHANERR_COMPLETION_ADDR;
	return 0;
}

static void model_run(uint64_t chain, uint64_t cmp, uint16_t n, struct model *s)
{
	uint64_t cur = chain;
	uint16_t count = 0;
	uint32_t err = 0;

	while (count != n && !err)
		err = model_desc(&cur, count == 0, &count, n, cmp, s);
	s->err = err;
	if (!err)
		return;
	s->sts = s->last | TCE_IOAT_CHANSTS_HALTED;
	if (err != TCE_IOAT_CHANERR_COMPLETION_ADDR)
		model_write_back(cmp, s->sts, s);
}

/* ---- the input ---- */

static const uint32_t sizes[] = { 0, 1, 7, 64, 100, 4095, 4096, 5000, 0x8000, 0x8001,
				  0xffff, 0x10000, 1u << 20, (1u << 20) + 1 };

static uint64_t addr(uint8_t sel, uint8_t off)
{
	switch (sel % 8) {
	case 0: return SRC + off * 61u;
	case 1: return DST + off * 67u;
	case 2: return RING + (off % MAX_DESC) * 64u;
	case 3: return RING + (off % MAX_DESC) * 64u + 8;
	case 4: return RO + off;
	case 5: return UNMAPPED + off;
	case 6: return SRC + 0xfff0 - off;
	default: return BASE + SPAN - off;
	}
}

static void put_desc(struct input *in, unsigned i, unsigned ndesc)
{
	uint8_t *p = shadow + (RING - BASE) + i * 64;
	uint64_t v[4], next;
	uint32_t op = (uint32_t)take(in, 1), fl = (uint32_t)take(in, 1);
	uint8_t ns = (uint8_t)take(in, 1), no = (uint8_t)take(in, 1);

	v[0] = sizes[take(in, 1) % (sizeof(sizes) / sizeof(sizes[0]))];
	v[0] |= (uint64_t)((op & 0x80 ? op : op & 1) << 24 | (fl & 0x3f)) << 32;
	v[1] = op & 0x40 ? take(in, 8) : addr((uint8_t)take(in, 1), (uint8_t)take(in, 1));
	v[2] = addr((uint8_t)take(in, 1), (uint8_t)take(in, 1));
	next = ns < 160 ? RING + ((i + 1) % ndesc) * 64u : addr(ns, no);
	v[3] = next;
	for (i = 0; i < 4; i++)
		v[i] = htole64(v[i]);
	memcpy(p, v, sizeof(v));
}

/* Back to power-on: thawed, reset, decode and mastering on, memory as the shadow. */
static void restart(uint64_t chain, uint64_t cmp)
{
	tce_dev_eeh_thaw(d);
	ENSURE(tce_dev_reset(d) == 0);
	ENSURE(tce_dev_config_write(d, TCE_PCI_COMMAND, 2,
				    TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER) == 0);
	memcpy(mem, shadow, SPAN);
	wr(TCE_IOAT_REG_CHANCTRL, 2, TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN |
	   TCE_IOAT_CHANCTRL_ANY_ERR_ABORT_EN);
	wr(TCE_IOAT_REG_CHANCMP, 8, cmp);
	wr(TCE_IOAT_REG_CHAINADDR, 8, chain);
}

/* Wait for the channel to settle (IDLE or HALTED); the mapping reads past a freeze. */
static uint64_t settle(const uint8_t *bar)
{
	struct timespec ts = { 0, 20000 };
	uint64_t sts = 0;
	int i;

	for (i = 0; i < 500000; i++) {
		sts = le64toh(__atomic_load_n((const uint64_t *)(bar + TCE_IOAT_REG_CHANSTS),
					      __ATOMIC_ACQUIRE));
		if ((sts & 7) == TCE_IOAT_CHANSTS_IDLE || (sts & 7) == TCE_IOAT_CHANSTS_HALTED)
			return sts;
		if (i > 1000)
			nanosleep(&ts, NULL);
		else
			sched_yield();
	}
	ENSURE(!"the channel never settled");
	return sts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct model s = { 0 };
	unsigned i, ndesc = 1 + (unsigned)take(&in, 1) % MAX_DESC;
	uint16_t n = (uint16_t)(take(&in, 1) % 33);
	static const uint64_t cmps[] = { STATUS, STATUS + 4, RO + 8, UNMAPPED };
	uint64_t cmp = cmps[take(&in, 1) % 4], chain, sts, w;
	uint8_t cs = (uint8_t)take(&in, 1);
	void *bar;
	size_t bar_size;

	if (!m)
		build();
	chain = cs < 200 ? RING : addr(cs, (uint8_t)take(&in, 1));
	memset(shadow, 0, SPAN);
	for (i = 0; i < SPAN - (SRC - BASE); i++)
		shadow[SRC - BASE + i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < ndesc; i++)
		put_desc(&in, i, ndesc);
	restart(chain, cmp);
	ENSURE(tce_dev_bar_map(d, 0, &bar, &bar_size) == 0);
	model_run(chain, cmp, n, &s);
	if (n) {
		wr(TCE_IOAT_REG_DMACOUNT, 2, n);
		sts = settle(bar);
		ENSURE(sts == s.sts);
		w = le64toh(__atomic_load_n((uint64_t *)((uint8_t *)bar + TCE_IOAT_REG_CHANERR),
					    __ATOMIC_ACQUIRE));
		ENSURE((uint32_t)w == s.err);
	}
	ENSURE(tce_dev_eeh_frozen(d, NULL) == s.frozen);
	ENSURE(!memcmp(mem, shadow, SPAN));
	return 0;
}
