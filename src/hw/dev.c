/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI functions: device DMA through the PE's translation (split at IOMMU
 * page boundaries, checked in full before a byte moves), config space with a
 * capability list, and the DMA-test device whose BAR0 drives a copy engine
 * (docs/machine.md). Layer: hw.
 */
#include <errno.h>
#include <string.h>

#include "hw/hw_int.h"
#include "util/arith.h"

#define DT_VENDOR 0x7ce5
#define DT_DEVICE 0x0001
#define DT_BAR_SIZE 4096
#define DT_MAX_COPY (1u << 20)
#define DT_MAGIC 0x7ce5d0a1u

enum { DT_SRC = 0x00, DT_DST = 0x08, DT_LEN = 0x10, DT_CMD = 0x18, DT_STATUS = 0x1c,
       DT_FAULT = 0x20, DT_ID = 0x28 };
enum { DT_IDLE = 0, DT_DONE = 1, DT_ERROR = 2 };

const char *tce_dev_name(const struct tce_pci_dev *d)
{
	return d->name;
}

uint32_t tce_dev_pe(const struct tce_pci_dev *d)
{
	return d->pe->num;
}

/* ---- DMA ---- */

struct chunk {
	void *host;
	size_t len;
};

/*
 * Translate every page of the access; host runs into @c, split at IOMMU page
 * and region boundaries. Both fall on 4 KiB boundaries of the bus address,
 * so max_chunks() bounds the runs. *@locked: the region set's read lock was
 * taken (a run above RAM); it is held until the copy is done.
 * Context: PE lock.
 */
static int dma_plan(struct tce_pci_dev *d, uint64_t bus, size_t len, bool write, struct chunk *c,
		    bool *locked)
{
	uint64_t real, avail, step;
	size_t n = 0;
	enum tce_fault_reason why;

	while (len) {
		why = tce__pe_translate(d->pe, d->name, bus, write, &real, &avail);
		if (why)
			return why == TCE_FAULT_FROZEN ? -EIO : -EFAULT;
		for (avail = tce__min_u64(len, avail); avail; avail -= step) {
			step = avail;
			c[n].host = tce__mem_piece(d->m, real, &step, locked);
			if (!c[n].host) {
				tce__pe_fault(d->pe, d->name, bus, write, TCE_FAULT_BAD_REAL);
				return -EFAULT;
			}
			c[n++].len = (size_t)step;
			real += step;
			bus += step;
			len -= (size_t)step;
		}
	}
	return 0;
}

#define DMA_MAX_LEN (1ULL << 30)

/* Pages an access touches at the smallest page size (4 KiB): an upper bound. */
static size_t max_chunks(uint64_t bus, size_t len)
{
	return (size_t)(((bus & 0xfff) + len + 0xfff) >> 12);
}

/* DMAs of up to this many pages plan on the stack instead of the heap. */
#define STACK_CHUNKS 16

static int dev_dma(struct tce_pci_dev *d, uint64_t bus, void *buf, size_t len, bool write)
{
	struct chunk stack[STACK_CHUNKS] = { { 0 } }, *c = stack;
	size_t i, n, bytes = 0;
	uint64_t end;
	uint8_t *p = buf;
	bool locked = false;
	int rc;

	if (!len || len > DMA_MAX_LEN || tce__add_overflows(bus, len, &end))
		return -EINVAL;
	n = max_chunks(bus, len);
	if (n > STACK_CHUNKS) {
		bytes = n * sizeof(*c);
		c = tce__calloc(d->m->ctx, bytes);
		if (!c)
			return -ENOMEM;
	}
	tce__lock(&d->pe->lock);
	rc = dma_plan(d, bus, len, write, c, &locked);
	tce__unlock(&d->pe->lock);
	for (i = 0; !rc && i < n && c[i].len; p += c[i].len, i++) {
		if (write)
			memcpy(c[i].host, p, c[i].len);
		else
			memcpy(p, c[i].host, c[i].len);
	}
	if (locked)
		tce__regions_read_unlock(d->m);
	if (c != stack)
		tce__free(d->m->ctx, c, bytes);
	return rc;
}

int tce_dev_dma_read(struct tce_pci_dev *d, uint64_t bus_addr, void *buf, size_t len)
{
	return dev_dma(d, bus_addr, buf, len, false);
}

int tce_dev_dma_write(struct tce_pci_dev *d, uint64_t bus_addr, const void *buf, size_t len)
{
	return dev_dma(d, bus_addr, (void *)buf, len, true);
}

/* ---- config space ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

void tce__dev_init(struct tce_pci_dev *d)
{
	uint8_t *c = d->config;

	memset(c, 0, sizeof(d->config));
	if (d->type != TCE_DEV_DMA_TEST) {
		put32(c, 0xffffffff); /* no emulated function: reads as absent */
		return;
	}
	put16(c + 0x00, DT_VENDOR);
	put16(c + 0x02, DT_DEVICE);
	put16(c + 0x06, 1u << 4);           /* status: capabilities list */
	put32(c + 0x08, 0xff000001);         /* class ff (unassigned), revision 1 */
	put32(c + 0x10, 0x4);                /* BAR0: 64-bit memory */
	c[0x34] = 0x40;                      /* capability pointer */
	c[0x40] = 0x10;                      /* PCI Express capability, last in the list */
	put16(c + 0x42, 0x0002);             /* version 2, endpoint */
}

static bool access_ok(uint64_t off, unsigned size, uint64_t limit)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && off % size == 0 &&
	       off < limit && size <= limit - off;
}

int tce_dev_config_read(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t *val)
{
	if (size == 8 || !access_ok(off, size, sizeof(d->config)))
		return -EINVAL;
	tce__lock(&d->lock);
	*val = get(d->config + off, size);
	tce__unlock(&d->lock);
	return 0;
}

/* BAR0 sizing: writing all ones reads back the size mask. */
static void write_bar(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	uint8_t tmp[4];

	unsigned i;

	put32(tmp, get(d->config + (off & ~3u), 4));
	for (i = 0; i < size; i++)
		tmp[(off & 3) + i] = (uint8_t)(val >> (8 * i));
	val = get(tmp, 4);
	if ((off & ~3u) == 0x10)
		val = (val & ~(uint32_t)(DT_BAR_SIZE - 1)) | 0x4;
	put32(d->config + (off & ~3u), val);
}

int tce_dev_config_write(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	if (size == 8 || !access_ok(off, size, sizeof(d->config)))
		return -EINVAL;
	if (d->type != TCE_DEV_DMA_TEST)
		return 0;
	tce__lock(&d->lock);
	if (off >= 0x04 && off < 0x06) /* command: memory space and bus master */
		d->config[off] = (uint8_t)(off == 0x04 ? val & 0x6 : 0);
	else if (off >= 0x10 && off < 0x18)
		write_bar(d, off, size, val);
	tce__unlock(&d->lock);
	return 0;
}

/* ---- the DMA-test device's BAR0 ---- */

static bool bus_master(const struct tce_pci_dev *d)
{
	return d->config[0x04] & 0x4;
}

/* The copy engine: LEN bytes from SRC to DST, both through translation. */
static void dt_copy(struct tce_pci_dev *d)
{
	struct tce_fault f;
	size_t len = (size_t)d->dt.len;
	void *buf;
	int rc = -EINVAL;

	d->dt.fault_addr = 0;
	buf = bus_master(d) && len && len <= DT_MAX_COPY ? tce__malloc(d->m->ctx, len) : NULL;
	if (buf) {
		rc = tce_dev_dma_read(d, d->dt.src, buf, len);
		if (!rc)
			rc = tce_dev_dma_write(d, d->dt.dst, buf, len);
		tce__free(d->m->ctx, buf, len);
	}
	if (rc && tce_dev_eeh_frozen(d, &f))
		d->dt.fault_addr = f.bus_addr;
	d->dt.status = rc ? DT_ERROR : DT_DONE;
}

static int dt_read(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t *val)
{
	uint64_t v;

	switch (off & ~7ULL) {
	case DT_SRC: v = d->dt.src; break;
	case DT_DST: v = d->dt.dst; break;
	case DT_LEN: v = d->dt.len; break;
	case DT_CMD: v = (uint64_t)d->dt.status << 32; break;
	case DT_FAULT: v = d->dt.fault_addr; break;
	case DT_ID: v = DT_MAGIC; break;
	default: v = 0; break;
	}
	v >>= 8 * (off & 7);
	*val = size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
	return 0;
}

static void set_reg(uint64_t *reg, uint64_t off, unsigned size, uint64_t val)
{
	uint64_t mask = size == 8 ? ~0ULL : ((1ULL << (8 * size)) - 1) << (8 * (off & 7));

	*reg = (*reg & ~mask) | ((val << (8 * (off & 7))) & mask);
}

static void dt_write(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	switch (off & ~7ULL) {
	case DT_SRC: set_reg(&d->dt.src, off, size, val); break;
	case DT_DST: set_reg(&d->dt.dst, off, size, val); break;
	case DT_LEN: set_reg(&d->dt.len, off, size, val); break;
	case DT_CMD:
		if (off == DT_CMD && (val & 1))
			dt_copy(d);
		break;
	default: break;
	}
}

int tce_dev_bar_read(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t *val)
{
	if (d->type != TCE_DEV_DMA_TEST || bar != 0 || !access_ok(off, size, DT_BAR_SIZE))
		return -EINVAL;
	tce__lock(&d->lock);
	dt_read(d, off, size, val);
	tce__unlock(&d->lock);
	return 0;
}

int tce_dev_bar_write(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
		      uint64_t val)
{
	if (d->type != TCE_DEV_DMA_TEST || bar != 0 || !access_ok(off, size, DT_BAR_SIZE))
		return -EINVAL;
	tce__lock(&d->lock);
	dt_write(d, off, size, val);
	tce__unlock(&d->lock);
	return 0;
}
