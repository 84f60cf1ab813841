/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/OAT channel through <tce.h> and <tce/abi.h>, as DPDK 22.11's ioat
 * driver drives it: the config space and power-on registers, copies, fills
 * and null descriptors, the completion write-back only where a descriptor
 * asks, fences (in-order), DMACOUNT wrapping at 16 bits, every CHANERR bit
 * the model sets with the halt and the error write-back, the built-in
 * function (PE 2, libtce,dma-fault = "recover"): faults through the IOMMU
 * recovered at once (counted, told, the halted status written back, the PE
 * running) while an injected error still freezes, and with "freeze" or no
 * property the same faults freezing the PE; the reset-and-rechain recovery, suspend and
 * resume, the doorbell and a new chain through the mapped BAR, a store
 * dropped by EEH, MSI-X on completion and on error, function-level reset
 * and fail-Nth over creating the channel.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <tce.h>

#include "harness.h"
#include "tt_ioat.h"
#include "tt_table.h"

#define RING(i) (TT_IOAT_RING + (uint64_t)(i) * TCE_IOAT_DESC_SIZE)
#define COPY_CU tt_ioat_ctl(TCE_IOAT_OP_COPY, TCE_IOAT_CTL_COMPL_UPDATE)
#define FILL_CU tt_ioat_ctl(TCE_IOAT_OP_FILL, TCE_IOAT_CTL_COMPL_UPDATE)
#define NULL_CU (TCE_IOAT_CTL_NULL | TCE_IOAT_CTL_COMPL_UPDATE)

static uint64_t rd(struct tt_ioat *t, uint64_t off, unsigned size)
{
	return tt_ioat_rd(t, off, size);
}

static void wr(struct tt_ioat *t, uint64_t off, unsigned size, uint64_t v)
{
	CHECK_RC(tt_ioat_wr(t, off, size, v), 0);
}

/* up_as(): the built-in tree unchanged (a marker, compared by address). */
static const char AS_BUILT[] = "as built";

/*
 * Open (the built-in tree when @dma_fault is AS_BUILT, else
 * tt_ioat_open_as(@dma_fault)) and start; false (and a failure) if that did
 * not work.
 */
static bool up_as(struct tt_ioat *t, const char *dma_fault)
{
	int rc = dma_fault == AS_BUILT ? tt_ioat_open(t, NULL) : tt_ioat_open_as(t, NULL, dma_fault);

	if (rc) {
		CHECK(!"tt_ioat_open");
		return false;
	}
	memset(tt_ioat_ptr(t, TT_IOAT_STATUS), 0, 8);
	if (tt_ioat_start(t, 0)) {
		CHECK(!"tt_ioat_start");
		tt_ioat_close(t);
		return false;
	}
	return true;
}

static bool up(struct tt_ioat *t)
{
	return up_as(t, AS_BUILT);
}

/* Submit DMACOUNT @n and wait for CHANSTS to read @sts. */
static void submit_wait(struct tt_ioat *t, uint16_t n, uint64_t sts)
{
	wr(t, TCE_IOAT_REG_DMACOUNT, 2, n);
	TT_WAIT_FOR(rd(t, TCE_IOAT_REG_CHANSTS, 8) == sts);
	CHECK_EQ(rd(t, TCE_IOAT_REG_CHANSTS, 8), sts);
}

static void fill_bytes(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static uint32_t cfg(struct tce_pci_dev *d, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	CHECK_RC(tce_dev_config_read(d, off, size, &v), 0);
	return v;
}

static void config_and_power_on(void)
{
	struct tt_ioat t;
	uint64_t size = 0;

	REQUIRE(tt_ioat_open(&t, NULL) == 0);
	CHECK_EQ(cfg(t.d, TCE_PCI_VENDOR_ID, 2), 0x8086);
	CHECK_EQ(cfg(t.d, TCE_PCI_DEVICE_ID, 2), 0x0b00);         /* DPDK's IOAT_DEVICE_ID_ICX */
	CHECK_EQ(cfg(t.d, TCE_PCI_CLASS_REVISION, 4) >> 8, 0x088000);
	CHECK_EQ(cfg(t.d, TCE_PCI_STATUS, 2) & TCE_PCI_STATUS_CAP_LIST, TCE_PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg(t.d, TCE_PCI_CAPABILITY_LIST, 1), TCE_DT_CFG_EXP_CAP);
	CHECK_EQ(cfg(t.d, TCE_DT_CFG_EXP_CAP + 1, 1), TCE_DT_CFG_MSIX_CAP);
	CHECK_EQ(cfg(t.d, TCE_DT_CFG_MSIX_CAP, 1), TCE_PCI_CAP_ID_MSIX);
	CHECK_EQ(cfg(t.d, TCE_DT_CFG_MSIX_CAP + TCE_PCI_MSIX_FLAGS, 2) & TCE_PCI_MSIX_FLAGS_QSIZE, 0);
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_BASE_ADDRESS_0, 4, 0xffffffff), 0);
	CHECK_EQ(cfg(t.d, TCE_PCI_BASE_ADDRESS_0, 4), 0xffff0004);   /* 64 KiB, 64-bit */
	CHECK_RC(tce_dev_bar_size(t.d, 0, &size), 0);
	CHECK_EQ(size, TCE_IOAT_BAR0_SIZE);
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCNT, 1), 1);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_XFERCAP, 1), 20);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CBVER, 1), 0x34);              /* >= 3.4: DPDK handles errors */
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACAP, 4) & TCE_IOAT_DMACAP_BFILL, TCE_IOAT_DMACAP_BFILL);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCTRL, 2), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0);
	CHECK_EQ(rd(&t, 0x40, 8), 0);                              /* no register */
	/* Read-only registers ignore stores; CHANERR ignores 0 bits. */
	wr(&t, TCE_IOAT_REG_CBVER, 1, 0x12);
	wr(&t, TCE_IOAT_REG_CHANSTS, 8, 0x1234);
	wr(&t, TCE_IOAT_REG_CHANERR, 4, 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CBVER, 1), 0x34);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), TCE_IOAT_CHANSTS_ARMED);
	wr(&t, TCE_IOAT_REG_CHANCMP, 8, 0x1122334455667788ULL);    /* RW */
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCMP, 8), 0x1122334455667788ULL);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCMP + 4, 4), 0x11223344);
	tt_ioat_close(&t);
}

static void copies_and_write_back(void)
{
	struct tt_ioat t;
	struct tce_dev_dma_stats st;
	unsigned i;

	REQUIRE(up(&t));
	fill_bytes(tt_ioat_ptr(&t, TT_IOAT_SRC), 3 * 4096, 1);
	memset(tt_ioat_ptr(&t, TT_IOAT_DST), 0, 3 * 4096);
	for (i = 0; i < 3; i++)
		tt_ioat_desc(&t, i, 1000 + i, COPY_CU, TT_IOAT_SRC + i * 4096 + i,
			     TT_IOAT_DST + i * 4096 + 3 * i, 0);
	submit_wait(&t, 3, RING(2) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(tt_ioat_status(&t), RING(2) | TCE_IOAT_CHANSTS_IDLE);
	for (i = 0; i < 3; i++)
		CHECK(!memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + i * 4096 + 3 * i),
			      tt_ioat_ptr(&t, TT_IOAT_SRC + i * 4096 + i), 1000 + i));
	CHECK_EQ(tt_ioat_ptr(&t, TT_IOAT_DST)[1000], 0);          /* nothing beyond the size */
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CDAR, 8), RING(2));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	tce_dev_dma_stats(t.d, &st);
	CHECK_EQ(st.read_bytes, 3 * 64 + 1000 + 1001 + 1002);      /* descriptors and sources */
	CHECK_EQ(st.write_bytes, 1000 + 1001 + 1002 + 3 * 8);      /* data and three write-backs */
	/* A large copy crosses the channel's chunks and IOMMU pages. */
	fill_bytes(tt_ioat_ptr(&t, TT_IOAT_SRC), 0x80000 + 5, 9);
	tt_ioat_desc(&t, 3, 0x80000 + 5, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST + 3, 0);
	submit_wait(&t, 4, RING(3) | TCE_IOAT_CHANSTS_IDLE);
	CHECK(!memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + 3), tt_ioat_ptr(&t, TT_IOAT_SRC), 0x80000 + 5));
	tt_ioat_close(&t);
}

static void fill_pattern(void)
{
	static const uint64_t pat = 0xfedcba9876543210ULL;
	struct tt_ioat t;
	uint8_t *dst, pb[8];
	uint64_t le = htole64(pat);
	size_t i, n = 0x10000 + 13;

	REQUIRE(up(&t));
	memcpy(pb, &le, 8);
	dst = tt_ioat_ptr(&t, TT_IOAT_DST);
	memset(dst, 0xee, n + 8);
	tt_ioat_desc(&t, 0, 13, FILL_CU, pat, TT_IOAT_DST, 0);
	tt_ioat_desc(&t, 1, (uint32_t)(n - 100), FILL_CU, pat, TT_IOAT_DST + 100, 0);
	submit_wait(&t, 2, RING(1) | TCE_IOAT_CHANSTS_IDLE);
	for (i = 0; i < 13; i++)
		CHECK_EQ(dst[i], pb[i % 8]);
	CHECK_EQ(dst[13], 0xee);
	for (i = 100; i < n && !tt_failed(); i++)
		CHECK_EQ(dst[i], pb[(i - 100) % 8]);
	CHECK_EQ(dst[n], 0xee);
	tt_ioat_close(&t);
}

/* Null descriptors move nothing; a write-back happens only where a descriptor asks. */
static void null_and_completion_flag(void)
{
	struct tt_ioat t;
	struct tce_dev_dma_stats st;

	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);                  /* size 0 is fine for null */
	submit_wait(&t, 1, RING(0) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(tt_ioat_status(&t), RING(0) | TCE_IOAT_CHANSTS_IDLE);
	tce_dev_dma_stats(t.d, &st);
	CHECK_EQ(st.read_bytes, 64);
	CHECK_EQ(st.write_bytes, 8);
	/* Descriptor 1 asks, 2 does not: the word names 1, ACTIVE (2 was still to run). */
	fill_bytes(tt_ioat_ptr(&t, TT_IOAT_SRC), 64, 3);
	tt_ioat_desc(&t, 1, 64, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
	tt_ioat_desc(&t, 2, 64, tt_ioat_ctl(TCE_IOAT_OP_COPY, 0), TT_IOAT_SRC, TT_IOAT_DST + 64, 0);
	submit_wait(&t, 3, RING(2) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(tt_ioat_status(&t), RING(1) | TCE_IOAT_CHANSTS_ACTIVE);
	CHECK(!memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + 64), tt_ioat_ptr(&t, TT_IOAT_SRC), 64));
	tt_ioat_close(&t);
}

/* DPDK puts the fence on the descriptor before a dependent one: A->B, then B->C. */
static void fence_orders(void)
{
	struct tt_ioat t;

	REQUIRE(up(&t));
	fill_bytes(tt_ioat_ptr(&t, TT_IOAT_SRC), 4096, 5);
	memset(tt_ioat_ptr(&t, TT_IOAT_DST), 0, 8192);
	tt_ioat_desc(&t, 0, 4096, COPY_CU | TCE_IOAT_CTL_FENCE, TT_IOAT_SRC, TT_IOAT_DST, 0);
	tt_ioat_desc(&t, 1, 4096, COPY_CU, TT_IOAT_DST, TT_IOAT_DST + 4096, 0);
	submit_wait(&t, 2, RING(1) | TCE_IOAT_CHANSTS_IDLE);
	CHECK(!memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + 4096), tt_ioat_ptr(&t, TT_IOAT_SRC), 4096));
	tt_ioat_close(&t);
}

/* DMACOUNT is 16 bits: the channel follows it past 65535 round a ring of 8. */
static void dmacount_wraps(void)
{
	struct tt_ioat t;
	struct tce_dev_dma_stats st;
	unsigned i;

	REQUIRE(up(&t));
	for (i = 0; i < 8; i++)
		tt_ioat_desc(&t, i, 0, NULL_CU, 0, 0, i == 7 ? RING(0) : 0);
	submit_wait(&t, 65000, RING((65000 - 1) % 8) | TCE_IOAT_CHANSTS_IDLE);
	submit_wait(&t, (uint16_t)(65000 + 1003), RING((66003 - 1) % 8) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 467);
	tce_dev_dma_stats(t.d, &st);
	CHECK_EQ(st.read_bytes, 66003ULL * 64);
	tt_ioat_close(&t);
}

/*
 * An error that freezes nothing: CHANERR has its bit, CHANSTS reads HALTED
 * with the last completed descriptor, written back (ERR_COMPLETION_EN),
 * and a further DMACOUNT is ignored until a reset.
 */
static void halts_with(struct tt_ioat *t, unsigned bad, uint32_t bit)
{
	uint64_t last = bad ? RING(bad - 1) : 0;

	TT_WAIT_FOR((rd(t, TCE_IOAT_REG_CHANSTS, 8) & TCE_IOAT_CHANSTS_STATE) == TCE_IOAT_CHANSTS_HALTED);
	CHECK_EQ(rd(t, TCE_IOAT_REG_CHANSTS, 8), last | TCE_IOAT_CHANSTS_HALTED);
	CHECK_EQ(rd(t, TCE_IOAT_REG_CHANERR, 4), bit);
	CHECK_EQ(tt_ioat_status(t), last | TCE_IOAT_CHANSTS_HALTED);
	CHECK(!tce_dev_eeh_frozen(t->d, NULL));
}

/* Each descriptor error, at descriptor 1 of 2, with descriptor 0 good. */
static void descriptor_errors(void)
{
	static const struct { uint32_t size, ctl; uint64_t next; uint32_t bit; } c[] = {
		{ 0, 0, 0, TCE_IOAT_CHANERR_DESC_LENGTH },                 /* size 0 */
		{ (1u << 20) + 1, 0, 0, TCE_IOAT_CHANERR_DESC_LENGTH },    /* above XFERCAP */
		{ 64, 0x87u << 24, 0, TCE_IOAT_CHANERR_DESC_CONTROL },     /* XOR: not offered */
		{ 64, 0x02u << 24, 0, TCE_IOAT_CHANERR_DESC_CONTROL },
	};
	unsigned i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]) && !tt_failed(); i++) {
		struct tt_ioat t;

		REQUIRE(up(&t));
		tt_ioat_desc(&t, 0, 64, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
		tt_ioat_desc(&t, 1, c[i].size, c[i].ctl | TCE_IOAT_CTL_COMPL_UPDATE, TT_IOAT_SRC,
			     TT_IOAT_DST, 0);
		wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);
		halts_with(&t, 1, c[i].bit);
		tt_ioat_close(&t);
	}
}

static void alignment_and_command_errors(void)
{
	struct tt_ioat t;

	/* CHAINADDR not 64-byte aligned. */
	REQUIRE(tt_ioat_open(&t, NULL) == 0);
	REQUIRE(tt_ioat_start(&t, TT_IOAT_RING + 8) == 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 1);
	halts_with(&t, 0, TCE_IOAT_CHANERR_CHAIN_ADDR);
	tt_ioat_close(&t);
	/* A next address not 64-byte aligned. */
	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, RING(1) + 4);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);
	halts_with(&t, 1, TCE_IOAT_CHANERR_NEXT_DESC_ALIGN);
	tt_ioat_close(&t);
	/* Two command bits at once. */
	REQUIRE(up(&t));
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_SUSPEND | TCE_IOAT_CHANCMD_RESUME);
	halts_with(&t, 0, TCE_IOAT_CHANERR_CHANCMD);
	CHECK(tt_ioat_wait_cmd(&t));
	tt_ioat_close(&t);
	/* CHANCMP not 8-byte aligned: the descriptor completes, its write-back cannot. */
	REQUIRE(up(&t));
	wr(&t, TCE_IOAT_REG_CHANCMP, 8, TT_IOAT_STATUS + 4);
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 1);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_HALTED));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_HALTED);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), TCE_IOAT_CHANERR_COMPLETION_ADDR);
	tt_ioat_close(&t);
}

static void store16(void *bar, uint64_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)((uint8_t *)bar + off), htole16(v), __ATOMIC_RELEASE);
}

static void store64(void *bar, uint64_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)((uint8_t *)bar + off), htole64(v), __ATOMIC_RELEASE);
}

static uint16_t load16(void *bar, uint64_t off)
{
	return le16toh(__atomic_load_n((uint16_t *)((uint8_t *)bar + off), __ATOMIC_ACQUIRE));
}

static uint64_t load64(void *bar, uint64_t off)
{
	return le64toh(__atomic_load_n((uint64_t *)((uint8_t *)bar + off), __ATOMIC_ACQUIRE));
}

/* What the machine's fault callback was told (it runs on the device thread). */
struct faults_seen {
	int calls;
	struct tce_fault_event last;
};

static void on_fault(void *arg, const struct tce_fault_event *ev)
{
	struct faults_seen *s = arg;

	s->last = *ev;
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_ACQ_REL);
}

/* PE @num's fault counters (tce_pe_info), PHB 0. */
static void pe_counts(struct tce_machine *m, uint32_t num, uint64_t *faults, uint64_t *recovered)
{
	struct tce_phb_info phb;
	struct tce_pe_info pe;
	uint32_t j;

	*faults = *recovered = ~0ULL;
	REQUIRE(tce_machine_phb(m, 0, &phb) == 0);
	for (j = 0; j < phb.npes; j++) {
		CHECK_RC(tce_machine_pe(m, 0, j, &pe), 0);
		if (pe.num == num) {
			*faults = pe.faults;
			*recovered = pe.recovered;
		}
	}
}

/*
 * The told fault: a DMA of the channel in PE 2 at bus address @bad for
 * @why, @recovered or not.
 */
static void told(const struct faults_seen *s, uint64_t bad, enum tce_fault_reason why,
		 bool recovered)
{
	CHECK_EQ(__atomic_load_n(&s->calls, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(s->last.fault.reason, why);
	CHECK_EQ(s->last.fault.bus_addr, bad);
	CHECK(!strcmp(s->last.fault.device, TT_IOAT_NAME));
	CHECK_EQ(s->last.pe, TT_IOAT_PE);
	CHECK(s->last.dma);
	CHECK_EQ(s->last.recovered, recovered);
}

/*
 * A DMA fault through the IOMMU (@kind: 0 the source, 1 the destination,
 * 2 the next descriptor, 3 the completion address, all unmapped): its
 * CHANERR bit and the halt. With @dma_fault "freeze" (or no property, the
 * default) the PE is frozen at that bus address and refuses the error
 * write-back; recovered (the built-in tree), the PE runs on, the halted
 * status is written back (but not to a bad completion address) and the
 * channel runs again after the driver's reset, without a thaw.
 */
static void fault_case(unsigned kind, const char *dma_fault)
{
	static const uint32_t bit[] = { TCE_IOAT_CHANERR_SRC_ADDR, TCE_IOAT_CHANERR_DEST_ADDR,
					TCE_IOAT_CHANERR_READ_DATA,
					TCE_IOAT_CHANERR_COMPLETION_ADDR };
	uint64_t src = TT_IOAT_SRC, dst = TT_IOAT_DST, next = 0, bad = TT_IOAT_UNMAPPED + 0x40;
	bool recover = dma_fault == AS_BUILT;
	uint64_t halted = (kind >= 2 ? RING(0) : 0) | TCE_IOAT_CHANSTS_HALTED, nf, nr;
	struct faults_seen seen = { 0 };
	struct tce_fault f;
	struct tt_ioat t;
	void *bar = NULL;
	size_t size;

	REQUIRE(up_as(&t, dma_fault));
	tce_machine_set_fault_fn(t.m, on_fault, &seen);
	CHECK_RC(tce_dev_bar_map(t.d, 0, &bar, &size), 0);
	REQUIRE(bar != NULL);
	if (kind == 0)
		src = bad;
	else if (kind == 1)
		dst = bad;
	else if (kind == 2)
		next = bad;
	else
		wr(&t, TCE_IOAT_REG_CHANCMP, 8, bad);
	tt_ioat_desc(&t, 0, 64, COPY_CU, src, dst, next);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, kind == 2 ? 2 : 1);
	/* A frozen PE is MMIO-frozen too (loads read all ones): read through the mapping. */
	TT_WAIT_FOR((load64(bar, TCE_IOAT_REG_CHANSTS) & 7) == TCE_IOAT_CHANSTS_HALTED);
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANERR) & 0xffffffff, bit[kind]);
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANSTS), halted);
	told(&seen, bad, TCE_FAULT_NO_TCE, recover);
	pe_counts(t.m, TT_IOAT_PE, &nf, &nr);
	CHECK_EQ(nf, 1);
	CHECK_EQ(nr, recover ? 1 : 0);
	if (recover) {
		CHECK(!tce_dev_eeh_frozen(t.d, &f));
		CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), bit[kind]);
		CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), halted);
		/* The error write-back went through, but not to the bad completion address. */
		CHECK_EQ(tt_ioat_status(&t), kind == 3 ? 0 : halted);
		/* The driver's recovery alone restarts it. */
		wr(&t, TCE_IOAT_REG_CHANERR, 4, bit[kind]);
		wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET);
		CHECK(tt_ioat_wait_cmd(&t));
		wr(&t, TCE_IOAT_REG_CHANCMP, 8, TT_IOAT_STATUS);
		tt_ioat_desc(&t, 1, 0, NULL_CU, 0, 0, 0);
		wr(&t, TCE_IOAT_REG_CHAINADDR, 8, RING(1));
		submit_wait(&t, 1, RING(1) | TCE_IOAT_CHANSTS_IDLE);
		CHECK_EQ(tt_ioat_status(&t), RING(1) | TCE_IOAT_CHANSTS_IDLE);
	} else {
		CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0xffffffff);
		CHECK(tce_dev_eeh_frozen(t.d, &f));
		CHECK_EQ(f.bus_addr, bad);
		CHECK_EQ(f.reason, TCE_FAULT_NO_TCE);
		/*
		 * The frozen PE refused the error write-back: the word holds what
		 * came before (descriptor 0's, ACTIVE with one more to go, for the
		 * fetch).
		 */
		CHECK_EQ(tt_ioat_status(&t), kind == 2 ? RING(0) | TCE_IOAT_CHANSTS_ACTIVE : 0);
	}
	tce_machine_set_fault_fn(t.m, NULL, NULL);
	tt_ioat_close(&t);
}

/* Set to "freeze", or without the property (the default): every fault freezes the PE. */
static void faults_freeze_the_pe(void)
{
	unsigned k;

	for (k = 0; k < 4 && !tt_failed(); k++)
		fault_case(k, "freeze");
	for (k = 0; k < 4 && !tt_failed(); k++)
		fault_case(k, NULL);
}

/* The built-in function (libtce,dma-fault = "recover"): the channel reports them itself. */
static void faults_recovered_as_built(void)
{
	unsigned k;

	for (k = 0; k < 4 && !tt_failed(); k++)
		fault_case(k, AS_BUILT);
}

/*
 * An injected DMA error is no translation fault: it freezes the recovering
 * function's PE too (powernv, whose firmware injects DMA errors).
 */
static void injected_error_freezes_as_built(void)
{
	struct faults_seen seen = { 0 };
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d = NULL;
	struct tce_fault f;
	uint64_t nf, nr;
	uint8_t buf[8];

	REQUIRE(tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) == 0);
	CHECK_RC(tce_machine_find_device(m, TT_IOAT_NAME, &d), 0);
	REQUIRE(d != NULL);
	tce_machine_set_fault_fn(m, on_fault, &seen);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, buf, sizeof(buf)), -EFAULT);  /* no window: recovered */
	CHECK(!tce_dev_eeh_frozen(d, NULL));
	CHECK(seen.last.recovered);
	CHECK_RC(tce_fw_eeh_inject(m, 0, TT_IOAT_PE, TCE_EEH_ERR_TYPE_64,
				   TCE_EEH_ERR_FUNC_DMA_RD_TARGET, 0, 0), 0);
	CHECK_RC(tce_dev_dma_read(d, 0x1000, buf, sizeof(buf)), -EFAULT);
	CHECK(tce_dev_eeh_frozen(d, &f));
	CHECK_EQ(f.reason, TCE_FAULT_INJECTED);
	CHECK_EQ(seen.calls, 2);
	CHECK_EQ(seen.last.fault.reason, TCE_FAULT_INJECTED);
	CHECK(seen.last.dma);
	CHECK(!seen.last.recovered);
	pe_counts(m, TT_IOAT_PE, &nf, &nr);
	CHECK_EQ(nf, 2);
	CHECK_EQ(nr, 1);
	tce_machine_destroy(m);
}

/*
 * A destination without WRITE in its TCE is a permission fault: frozen with
 * "freeze", recovered on the built-in function (the channel halts either way).
 */
static void read_only_case(const char *dma_fault)
{
	uint64_t a[9] = { TT_IOAT_LIOBN, TT_IOAT_DST, TT_IOAT_DST | TCE_PCI_READ };
	struct faults_seen seen = { 0 };
	struct tce_fault f;
	struct tt_ioat t;
	void *bar = NULL;
	size_t size;

	REQUIRE(up_as(&t, dma_fault));
	tce_machine_set_fault_fn(t.m, on_fault, &seen);
	CHECK_RC(tce_dev_bar_map(t.d, 0, &bar, &size), 0);
	REQUIRE(bar != NULL);
	CHECK_EQ(tce_hv_hcall(t.m, TCE_H_PUT_TCE, a), TCE_H_SUCCESS);
	tt_ioat_desc(&t, 0, 64, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 1);
	TT_WAIT_FOR((load64(bar, TCE_IOAT_REG_CHANSTS) & 7) == TCE_IOAT_CHANSTS_HALTED);
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANERR) & 0xffffffff, TCE_IOAT_CHANERR_DEST_ADDR);
	told(&seen, TT_IOAT_DST, TCE_FAULT_PERMISSION, dma_fault == AS_BUILT);
	CHECK_EQ(seen.last.tce, TT_IOAT_DST | TCE_PCI_READ);
	if (dma_fault == AS_BUILT) {
		CHECK(!tce_dev_eeh_frozen(t.d, NULL));
	} else {
		CHECK(tce_dev_eeh_frozen(t.d, &f));
		CHECK_EQ(f.reason, TCE_FAULT_PERMISSION);
	}
	tce_machine_set_fault_fn(t.m, NULL, NULL);
	tt_ioat_close(&t);
}

static void read_only_destination(void)
{
	read_only_case("freeze");
	read_only_case(AS_BUILT);
}

/*
 * DPDK's recovery: clear CHANERR (write back what was read), reset, chain
 * at the descriptor after the failed one, CHANSTS exactly ARMED, then a
 * DMACOUNT counted from 0 again.
 */
static void recover_after_error(void)
{
	struct tt_ioat t;
	uint32_t err;

	REQUIRE(up(&t));
	fill_bytes(tt_ioat_ptr(&t, TT_IOAT_SRC), 256, 7);
	memset(tt_ioat_ptr(&t, TT_IOAT_DST), 0, 256);
	tt_ioat_desc(&t, 0, 64, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
	tt_ioat_desc(&t, 1, 0, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);   /* bad length */
	tt_ioat_desc(&t, 2, 64, COPY_CU, TT_IOAT_SRC + 128, TT_IOAT_DST + 128, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 3);
	halts_with(&t, 1, TCE_IOAT_CHANERR_DESC_LENGTH);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 4);                               /* ignored: halted */
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_HALTED);
	err = (uint32_t)rd(&t, TCE_IOAT_REG_CHANERR, 4);
	wr(&t, TCE_IOAT_REG_CHANERR, 4, err);                              /* write 1 to clear */
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET);
	wr(&t, TCE_IOAT_REG_CHAINADDR, 8, RING(2));
	/* As DPDK: the reset is done when its bit clears; the channel is ARMED by then. */
	TT_WAIT_FOR(rd(&t, TCE_IOAT_REG_CHANCMD, 1) == 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCMD, 1), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0);
	CHECK(memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + 128), tt_ioat_ptr(&t, TT_IOAT_SRC + 128), 64));
	submit_wait(&t, 1, RING(2) | TCE_IOAT_CHANSTS_IDLE);
	CHECK(!memcmp(tt_ioat_ptr(&t, TT_IOAT_DST + 128), tt_ioat_ptr(&t, TT_IOAT_SRC + 128), 64));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	tt_ioat_close(&t);
}

/* After a fault that froze the PE: thaw it, reset the channel, and it runs again. */
static void restart_after_fault(void)
{
	struct tt_ioat t;

	REQUIRE(up_as(&t, "freeze"));
	tt_ioat_desc(&t, 0, 64, COPY_CU, TT_IOAT_UNMAPPED, TT_IOAT_DST, 0);
	tt_ioat_desc(&t, 1, 64, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);
	TT_WAIT_FOR(tce_dev_eeh_frozen(t.d, NULL));
	CHECK(tce_dev_eeh_frozen(t.d, NULL));
	tce_dev_eeh_thaw(t.d);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_HALTED));
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET);
	CHECK(tt_ioat_wait_cmd(&t));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);                  /* a reset clears it */
	wr(&t, TCE_IOAT_REG_CHAINADDR, 8, RING(1));
	submit_wait(&t, 1, RING(1) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(tt_ioat_status(&t), RING(1) | TCE_IOAT_CHANSTS_IDLE);
	tt_ioat_close(&t);
}

static void suspend_and_resume(void)
{
	struct tt_ioat t;

	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	tt_ioat_desc(&t, 1, 0, NULL_CU, 0, 0, 0);
	submit_wait(&t, 1, RING(0) | TCE_IOAT_CHANSTS_IDLE);
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_SUSPEND);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_SUSPENDED));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_SUSPENDED);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);
	CHECK(tt_ioat_wait_cmd(&t));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_SUSPENDED);
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESUME);
	TT_WAIT_FOR(rd(&t, TCE_IOAT_REG_CHANSTS, 8) == (RING(1) | TCE_IOAT_CHANSTS_IDLE));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(1) | TCE_IOAT_CHANSTS_IDLE);
	tt_ioat_close(&t);
}

/*
 * ABORT halts the channel where it stands (CHANSTS names the last completed
 * descriptor); a reset then clears everything a reset owns: CHANSTS reads
 * exactly ARMED (no address: DPDK compares the whole register), CDAR,
 * DMACOUNT and CHANERR read 0, CHAINADDR and CHANCMP keep what was written.
 */
static void abort_then_reset(void)
{
	struct tt_ioat t;

	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	submit_wait(&t, 1, RING(0) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CDAR, 8), RING(0));
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_ABORT);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_HALTED));
	CHECK(tt_ioat_wait_cmd(&t));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_HALTED);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);       /* a halted channel runs nothing */
	CHECK(tt_ioat_wait_cmd(&t));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), RING(0) | TCE_IOAT_CHANSTS_HALTED);
	wr(&t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET);
	CHECK(tt_ioat_wait_cmd(&t));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CDAR, 8), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHAINADDR, 8), TT_IOAT_RING);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCMP, 8), TT_IOAT_STATUS);
	tt_ioat_close(&t);
}

/*
 * A CHAINADDR store zeroes DMACOUNT at once and re-arms the channel: nothing
 * of the new chain runs until DMACOUNT is written again, counted from 0.
 */
static void new_chain_waits_for_dmacount(void)
{
	struct timespec ms5 = { 0, 5000000 };
	struct tt_ioat t;

	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	tt_ioat_desc(&t, 1, 0, NULL_CU, 0, 0, 0);
	submit_wait(&t, 2, RING(1) | TCE_IOAT_CHANSTS_IDLE);
	tt_ioat_desc(&t, 8, 0, NULL_CU, 0, 0, 0);
	tt_ioat_desc(&t, 9, 0, NULL_CU, 0, 0, 0);
	wr(&t, TCE_IOAT_REG_CHAINADDR, 8, RING(8));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0);
	TT_WAIT_FOR((rd(&t, TCE_IOAT_REG_CHANSTS, 8) & 7) == TCE_IOAT_CHANSTS_ARMED);
	nanosleep(&ms5, NULL);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8) & 7, TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(tt_ioat_status(&t), RING(1) | TCE_IOAT_CHANSTS_IDLE);   /* nothing ran */
	submit_wait(&t, 1, RING(8) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(tt_ioat_status(&t), RING(8) | TCE_IOAT_CHANSTS_IDLE);
	tt_ioat_close(&t);
}

/*
 * Offsets that hold no register read 0 through tce_dev_bar_read(), even after
 * a program stored there through its mapping; the registers' last bytes
 * around them read what was stored.
 */
static void unimplemented_offsets_read_zero(void)
{
	struct tt_ioat t;
	uint8_t *bar = NULL;
	size_t size = 0;

	REQUIRE(up(&t));
	CHECK_RC(tce_dev_bar_map(t.d, 0, (void **)&bar, &size), 0);
	REQUIRE(bar != NULL);
	__atomic_store_n(bar + TCE_IOAT_REG_DMACAP + 4, 0xaa, __ATOMIC_RELEASE);
	__atomic_store_n(bar + TCE_IOAT_REGS_END, 0x55, __ATOMIC_RELEASE);
	__atomic_store_n(bar + TCE_IOAT_REGS_END - 1, 0x66, __ATOMIC_RELEASE);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACAP + 4, 1), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACAP + 3, 1), TCE_IOAT_DMACAP_BFILL >> 24);
	CHECK_EQ(rd(&t, TCE_IOAT_REGS_END, 1), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REGS_END - 1, 1), 0x66);
	tt_ioat_close(&t);
}

/* Through the mapping: the doorbell, and a new chain noticed while idle. */
static void through_the_mapping(void)
{
	struct tt_ioat t;
	void *bar = NULL;
	size_t size = 0;

	REQUIRE(up(&t));
	CHECK_RC(tce_dev_bar_map(t.d, 0, &bar, &size), 0);
	REQUIRE(bar != NULL);
	CHECK_EQ(size, TCE_IOAT_BAR0_SIZE);
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	tt_ioat_desc(&t, 5, 0, NULL_CU, 0, 0, 0);
	store16(bar, TCE_IOAT_REG_DMACOUNT, 1);
	TT_WAIT_FOR(load64(bar, TCE_IOAT_REG_CHANSTS) == (RING(0) | TCE_IOAT_CHANSTS_IDLE));
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANSTS), RING(0) | TCE_IOAT_CHANSTS_IDLE);
	store64(bar, TCE_IOAT_REG_CHAINADDR, RING(5));
	TT_WAIT_FOR(load64(bar, TCE_IOAT_REG_CHANSTS) == TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANSTS), RING(0) | TCE_IOAT_CHANSTS_ARMED);
	store16(bar, TCE_IOAT_REG_DMACOUNT, 1);                    /* counted from 0 again */
	TT_WAIT_FOR(load64(bar, TCE_IOAT_REG_CHANSTS) == (RING(5) | TCE_IOAT_CHANSTS_IDLE));
	CHECK_EQ(load64(bar, TCE_IOAT_REG_CHANSTS), RING(5) | TCE_IOAT_CHANSTS_IDLE);
	tt_ioat_close(&t);
}

/* A DMACOUNT store found in the mapping while memory decode is off: a master abort. */
static void mapped_store_master_abort(void)
{
	struct tt_ioat t;
	struct tce_fault f;
	void *bar = NULL;
	size_t size = 0;

	REQUIRE(up(&t));
	CHECK_RC(tce_dev_bar_map(t.d, 0, &bar, &size), 0);
	REQUIRE(bar != NULL);
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MASTER), 0);
	store16(bar, TCE_IOAT_REG_DMACOUNT, 1);
	TT_WAIT_FOR(tce_dev_eeh_frozen(t.d, NULL));
	CHECK(tce_dev_eeh_frozen(t.d, &f));
	TT_WAIT_FOR(load16(bar, TCE_IOAT_REG_DMACOUNT) == 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0xffff);           /* MMIO-frozen: all ones */
	CHECK_EQ(load16(bar, TCE_IOAT_REG_DMACOUNT), 0);
	CHECK_EQ(tt_ioat_status(&t), 0);                               /* nothing ran */
	tt_ioat_close(&t);
}

struct msi_seen {
	int calls;
	unsigned vector;
};

static void on_msi(void *arg, unsigned vector)
{
	struct msi_seen *s = arg;

	s->vector = vector;
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_ACQ_REL);
}

static void enable_msix(struct tt_ioat *t, struct msi_seen *s)
{
	CHECK_RC(tce_dev_set_msi_handler(t->d, on_msi, s), 0);
	CHECK_RC(tce_dev_config_write(t->d, TCE_DT_CFG_MSIX_CAP + TCE_PCI_MSIX_FLAGS, 2,
				      TCE_PCI_MSIX_FLAGS_ENABLE), 0);
	wr(t, TCE_DT_MSIX_TABLE + TCE_PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
}

static void interrupts(void)
{
	struct msi_seen s = { 0, 99 };
	struct tt_ioat t;

	REQUIRE(up(&t));
	enable_msix(&t, &s);
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);                        /* no INT_EN */
	tt_ioat_desc(&t, 1, 0, NULL_CU | TCE_IOAT_CTL_INT_EN, 0, 0, 0);
	submit_wait(&t, 1, RING(0) | TCE_IOAT_CHANSTS_IDLE);
	CHECK_EQ(__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE), 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 2);
	TT_WAIT_FOR(__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE) == 1);
	CHECK_EQ(__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(s.vector, TCE_IOAT_MSIX_VECTOR);
	/* An error raises it when CHANCTRL asks. */
	wr(&t, TCE_IOAT_REG_CHANCTRL, 2, TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN |
	   TCE_IOAT_CHANCTRL_ERR_INT_EN);
	tt_ioat_desc(&t, 2, 0, COPY_CU, TT_IOAT_SRC, TT_IOAT_DST, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 3);
	TT_WAIT_FOR(__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE) == 2);
	CHECK_EQ(__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE), 2);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), TCE_IOAT_CHANERR_DESC_LENGTH);
	CHECK_RC(tce_dev_set_msi_handler(t.d, NULL, NULL), 0);
	tt_ioat_close(&t);
}

/* No bus mastering: the channel cannot fetch; nothing reaches the bus, nothing freezes. */
static void no_bus_master(void)
{
	struct tt_ioat t;
	struct tce_dev_dma_stats st;

	REQUIRE(up(&t));
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY), 0);
	tt_ioat_desc(&t, 0, 0, NULL_CU, 0, 0, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 1);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_HALTED));
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), TCE_IOAT_CHANERR_READ_DATA);
	CHECK(!tce_dev_eeh_frozen(t.d, NULL));
	tce_dev_dma_stats(t.d, &st);
	CHECK_EQ(st.read_bytes + st.write_bytes, 0);
	tt_ioat_close(&t);
}

static void function_level_reset(void)
{
	struct tt_ioat t;

	REQUIRE(up(&t));
	tt_ioat_desc(&t, 0, 0, COPY_CU, 0, 0, 0);
	wr(&t, TCE_IOAT_REG_DMACOUNT, 2, 1);
	CHECK(tt_ioat_wait_state(&t, TCE_IOAT_CHANSTS_HALTED));
	CHECK_RC(tce_dev_reset(t.d), 0);
	CHECK_EQ(cfg(t.d, TCE_PCI_COMMAND, 2), 0);
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANSTS, 8), TCE_IOAT_CHANSTS_ARMED);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANERR, 4), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHANCTRL, 2), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CHAINADDR, 8), 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_CBVER, 1), 0x34);
	tt_ioat_close(&t);
}

/* Every allocation of creating the machine with a channel (its bounce buffer too). */
static void fail_nth_create(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine *m = NULL;
	struct tce_pci_dev *d;
	uint64_t n;
	int rc = -1;

	for (n = 1; n < 200; n++) {
		tce_ctx_set_fail_nth(ctx, n);
		rc = tt_ioat_create(ctx, &m);
		if (tce_ctx_fail_nth_armed(ctx))
			break;
		CHECK_RC(rc, -ENOMEM);
		tt_no_leak(ctx);
	}
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_RC(rc, 0);
	CHECK(n > 5);
	if (!rc) {
		CHECK_RC(tce_machine_find_device(m, "0000:00:03.0", &d), 0);
		tce_machine_destroy(m);
	}
	tt_ctx_done(ctx);
}

/* The device thread's start is a fault point: the doorbell store fails, nothing is stored. */
static void fail_nth_thread_start(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tt_ioat t;

	REQUIRE(tt_ioat_open(&t, ctx) == 0);
	CHECK_RC(tce_dev_config_write(t.d, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY), 0);
	tce_ctx_set_fail_nth(ctx, 1);
	CHECK_RC(tce_dev_bar_write(t.d, 0, TCE_IOAT_REG_DMACOUNT, 2, 5), -ENOMEM);
	tce_ctx_set_fail_nth(ctx, 0);
	CHECK_EQ(rd(&t, TCE_IOAT_REG_DMACOUNT, 2), 0);
	CHECK_RC(tce_dev_bar_write(t.d, 0, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET), 0);
	CHECK(tt_ioat_wait_cmd(&t));
	tt_ioat_close(&t);
	tt_ctx_done(ctx);
}

static const struct tt_case cases[] = {
	TT_CASE(config_and_power_on),
	TT_CASE(copies_and_write_back),
	TT_CASE(fill_pattern),
	TT_CASE(null_and_completion_flag),
	TT_CASE(fence_orders),
	TT_CASE(dmacount_wraps),
	TT_CASE(descriptor_errors),
	TT_CASE(alignment_and_command_errors),
	TT_CASE(faults_freeze_the_pe),
	TT_CASE(faults_recovered_as_built),
	TT_CASE(injected_error_freezes_as_built),
	TT_CASE(read_only_destination),
	TT_CASE(recover_after_error),
	TT_CASE(restart_after_fault),
	TT_CASE(suspend_and_resume),
	TT_CASE(abort_then_reset),
	TT_CASE(new_chain_waits_for_dmacount),
	TT_CASE(unimplemented_offsets_read_zero),
	TT_CASE(through_the_mapping),
	TT_CASE(mapped_store_master_abort),
	TT_CASE(interrupts),
	TT_CASE(no_bus_master),
	TT_CASE(function_level_reset),
	TT_CASE(fail_nth_create),
	TT_CASE(fail_nth_thread_start),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
