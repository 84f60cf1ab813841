/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI functions: device DMA through the PE's translation (split at IOMMU
 * page boundaries, checked in full before a byte moves), the 4 KiB PCIe
 * config space of the DMA-test device and the I/OAT channel (their IDs,
 * capability list with PCI Express and MSI-X, command register, a 64-bit
 * BAR, function-level reset) with EEH applied to every access, and setting
 * up and resetting a function; each function counts the bytes its DMA
 * moved. The BARs and the device thread are in dmatest.c, the channel in
 * ioat.c. Layer: hw.
 */
#include <errno.h>
#include <string.h>

#include "hw/hw_int.h"
#include "util/arith.h"

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
 * and region boundaries, and merged again where one run ends at the host
 * address the next begins. Both fall on 4 KiB boundaries of the bus
 * address, so max_chunks() bounds the runs; *@n gets how many. *@locked:
 * the region set's read lock was taken (a run above RAM); it is held until
 * the copy is done. Context: PE lock.
 */
static int dma_plan(struct tce_pci_dev *d, uint64_t bus, size_t len, bool write, struct chunk *c,
		    size_t *n, bool *locked)
{
	uint64_t real, avail, step;
	enum tce_fault_reason why;
	uint8_t *host;

	tce__assert(tce__lock_held(&d->pe->lock));
	*n = 0;
	while (len) {
		why = tce__pe_translate_run(d->pe, d, bus, len, write, &real, &avail);
		if (why)
			return why == TCE_FAULT_FROZEN ? -EIO : -EFAULT;
		for (avail = tce__min_u64(len, avail); avail; avail -= step) {
			step = avail;
			host = tce__mem_piece(d->m, real, &step, locked);
			if (!host) {
				tce__pe_fault_real(d->pe, d, bus, write, real);
				return -EFAULT;
			}
			if (*n && (uint8_t *)c[*n - 1].host + c[*n - 1].len == host)
				c[*n - 1].len += (size_t)step;
			else
				c[(*n)++] = (struct chunk){ host, (size_t)step };
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

/* The chunks of one access's plan: on the stack, or allocated when it has many pages. */
struct plan {
	struct chunk stack[STACK_CHUNKS];
	struct chunk *c;
	size_t n;      /* chunks planned */
	size_t bytes;  /* allocated, 0 for the stack */
};

/* Room for the plan of [bus, bus + len). 0 or -ENOMEM (nothing to undo). */
static int plan_init(struct tce_pci_dev *d, struct plan *p, uint64_t bus, size_t len)
{
	size_t n = max_chunks(bus, len);

	p->c = p->stack;
	p->n = p->bytes = 0;
	if (n <= STACK_CHUNKS)
		return 0;
	p->bytes = n * sizeof(*p->c);
	p->c = tce__malloc(d->m->ctx, p->bytes);
	return p->c ? 0 : -ENOMEM;
}

static void plan_fini(struct tce_pci_dev *d, struct plan *p)
{
	if (p->c != p->stack && p->c)
		tce__free(d->m->ctx, p->c, p->bytes);
}

/* The arguments of an access: length 1 byte to 1 GiB, its last byte not past 2^64 - 1. */
static bool dma_args_ok(uint64_t bus, size_t len)
{
	uint64_t last;

	return len && len <= DMA_MAX_LEN && !tce__add_overflows(bus, len - 1, &last);
}

static void count_bytes(struct tce_pci_dev *d, bool write, size_t len)
{
	atomic_fetch_add_explicit(write ? &d->dma_write_bytes : &d->dma_read_bytes, len,
				  memory_order_relaxed);
}

/* ---- the function's remembered translations (struct tce__dev_tlb) ---- */

static uint64_t tlb_key(uint64_t bus, bool write)
{
	return ((bus >> 12) << 1 | write) + 1; /* never 0 (empty): bus >> 12 < 2^52 */
}

/* Does the access lie in one 4 KiB page of the bus? */
static bool in_one_4k(uint64_t bus, size_t len)
{
	return len <= 4096 - (bus & 0xfff);
}

static struct tce__dev_tlb *tlb_entry(struct tce_pci_dev *d, uint64_t bus)
{
	return &d->tlb[(bus >> 12) % TCE_DEV_TLB_ENTRIES];
}

/*
 * The host address of @bus from @d's remembered translations, or NULL: a
 * one-page access in the same direction, the entry whole (its sequence
 * count even and unchanged), its TCE-cache set unchanged since and the PE's
 * generation the one it was made at. Context: none; lock-free.
 */
static uint8_t *tlb_lookup(struct tce_pci_dev *d, uint64_t bus, bool write)
{
	struct tce__dev_tlb *t = tlb_entry(d, bus);
	uint32_t seq = atomic_load_explicit(&t->seq, memory_order_acquire);
	uint64_t key = atomic_load_explicit(&t->key, memory_order_acquire);
	uintptr_t host = atomic_load_explicit(&t->host, memory_order_acquire);
	uintptr_t set = atomic_load_explicit(&t->set, memory_order_acquire);
	uint64_t set_seq = atomic_load_explicit(&t->set_seq, memory_order_acquire);
	uint64_t gen = atomic_load_explicit(&t->gen, memory_order_acquire);

	/* An empty entry's key (0) matches nothing, so @set is not read unfilled. */
	if ((seq & 1) || atomic_load_explicit(&t->seq, memory_order_acquire) != seq ||
	    key != tlb_key(bus, write) ||
	    gen != atomic_load_explicit(&d->pe->gen, memory_order_acquire) ||
	    atomic_load_explicit((_Atomic uint64_t *)set, memory_order_acquire) != set_seq)
		return NULL;
	return (uint8_t *)host + (bus & 0xfff);
}

/*
 * Remember the translation of a one-page access that @c planned from @bus
 * with the PE's generation @gen read before it: only into the machine's own
 * RAM (a caller's memory model or region is asked every time), not while an
 * injection is armed (it matches the full translation only), and only when
 * the TCE-cache set still shows the TCE it came from.
 * Context: PE lock (which serialises the fills of @d).
 */
static void tlb_fill(struct tce_pci_dev *d, uint64_t bus, bool write, const struct chunk *c,
		     uint64_t gen)
{
	struct tce__dev_tlb *t = tlb_entry(d, bus);
	uint32_t seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
	uint64_t real, set_seq;
	const _Atomic uint64_t *set;
	uint8_t *h = c->host;

	/* The whole 4 KiB page of the host must be RAM: the entry serves any access in it. */
	if (!d->m->ram || h < d->m->ram || h >= d->m->ram + d->m->ram_size || d->pe->inj.armed)
		return;
	real = (uint64_t)(h - d->m->ram);
	if (real < (bus & 0xfff) || real - (bus & 0xfff) + 4096 > d->m->ram_size ||
	    !tce__pe_tlb_stamp(d->pe, bus, write, real, &set, &set_seq))
		return;
	atomic_store_explicit(&t->seq, seq + 1, memory_order_relaxed);
	atomic_store_explicit(&t->key, tlb_key(bus, write), memory_order_release);
	atomic_store_explicit(&t->host, (uintptr_t)(h - (bus & 0xfff)), memory_order_release);
	atomic_store_explicit(&t->set, (uintptr_t)set, memory_order_release);
	atomic_store_explicit(&t->set_seq, set_seq, memory_order_release);
	atomic_store_explicit(&t->gen, gen, memory_order_release);
	atomic_store_explicit(&t->seq, seq + 2, memory_order_release);
}

/* Copy between @buf and @host (a word without a call); count the bytes. */
static void dma_move(struct tce_pci_dev *d, uint8_t *host, void *buf, size_t len, bool write)
{
	uint8_t *to = write ? host : buf;
	const uint8_t *from = write ? buf : host;
	uint64_t word;

	if (len == 8) {
		memcpy(&word, from, 8);
		memcpy(to, &word, 8);
	} else {
		memcpy(to, from, len);
	}
	count_bytes(d, write, len);
}

/*
 * An access inside one 4 KiB page of the bus: a remembered translation
 * when it still holds, else one full translation (which remembers it).
 * Measured: an 8-byte read on a TCE-cache hit was 365 instructions through
 * the general path, the PE's mutex 57 of them (docs/performance.md G4).
 */
static int dma_small(struct tce_pci_dev *d, uint64_t bus, void *buf, size_t len, bool write)
{
	bool locked = false;
	struct chunk c;
	uint64_t gen;
	size_t n;
	int rc;

	gen = atomic_load_explicit(&d->pe->gen, memory_order_acquire);
	tce__lock(&d->pe->lock);
	rc = dma_plan(d, bus, len, write, &c, &n, &locked);
	if (!rc)
		tlb_fill(d, bus, write, &c, gen);
	tce__unlock(&d->pe->lock);
	if (!rc)
		dma_move(d, c.host, buf, len, write);
	if (locked)
		tce__regions_read_unlock(d->m);
	return rc;
}

/* Every access but a remembered one (dma_remembered()). */
static __attribute__((noinline)) int dev_dma(struct tce_pci_dev *d, uint64_t bus, void *buf,
					     size_t len, bool write)
{
	struct plan p;
	uint8_t *b = buf;
	bool locked = false;
	size_t i;
	int rc;

	if (!dma_args_ok(bus, len))
		return -EINVAL;
	if (in_one_4k(bus, len))
		return dma_small(d, bus, buf, len, write);
	rc = plan_init(d, &p, bus, len);
	if (rc)
		return rc;
	tce__lock(&d->pe->lock);
	rc = dma_plan(d, bus, len, write, p.c, &p.n, &locked);
	tce__unlock(&d->pe->lock);
	for (i = 0; !rc && i < p.n; b += p.c[i].len, i++) {
		if (write)
			memcpy(p.c[i].host, b, p.c[i].len);
		else
			memcpy(b, p.c[i].host, p.c[i].len);
	}
	if (locked)
		tce__regions_read_unlock(d->m);
	plan_fini(d, &p);
	if (!rc)
		count_bytes(d, write, len);
	return rc;
}

/* ---- device-to-device copies (the copy engines) ---- */

/* The lowest and highest-plus-one host address of a plan. */
static void plan_span(const struct plan *p, uintptr_t *lo, uintptr_t *hi)
{
	size_t i;

	*lo = UINTPTR_MAX, *hi = 0;
	for (i = 0; i < p->n; i++) {
		uintptr_t a = (uintptr_t)p->c[i].host;

		*lo = a < *lo ? a : *lo;
		*hi = a + p->c[i].len > *hi ? a + p->c[i].len : *hi;
	}
}

/* Plans up to this many chunk pairs apart are compared pair by pair. */
#define OVERLAP_PAIRS_MAX 256

/* May a byte of @s's host memory be a byte of @t's? (false: surely not) */
static bool plans_overlap(const struct plan *s, const struct plan *t)
{
	uintptr_t slo, shi, tlo, thi;
	size_t i, j;

	plan_span(s, &slo, &shi);
	plan_span(t, &tlo, &thi);
	if (shi <= tlo || thi <= slo)
		return false;
	if (s->n * t->n > OVERLAP_PAIRS_MAX)
		return true;
	for (i = 0; i < s->n; i++) {
		uintptr_t a = (uintptr_t)s->c[i].host;

		for (j = 0; j < t->n; j++) {
			uintptr_t b = (uintptr_t)t->c[j].host;

			if (a < b + t->c[j].len && b < a + s->c[i].len)
				return true;
		}
	}
	return false;
}

/* Copy @len bytes from @s's chunks to @t's, pair by pair; they do not overlap. */
static void copy_pairs(const struct plan *s, const struct plan *t, size_t len)
{
	size_t i = 0, j = 0, oi = 0, oj = 0, step;

	while (len) {
		step = tce__min_u64(s->c[i].len - oi, t->c[j].len - oj);
		memcpy((uint8_t *)t->c[j].host + oj, (const uint8_t *)s->c[i].host + oi, step);
		oi += step, oj += step, len -= step;
		if (oi == s->c[i].len)
			i++, oi = 0;
		if (oj == t->c[j].len)
			j++, oj = 0;
	}
}

/*
 * Overlapping host ranges: one run each is a memmove; otherwise the whole
 * source is read into a bounce buffer first, as the device reads it all
 * before it writes. 0 or -ENOMEM (nothing written).
 */
static int copy_overlapping(struct tce_pci_dev *d, const struct plan *s, const struct plan *t,
			    size_t len)
{
	uint8_t *buf, *b;
	size_t i;

	if (s->n == 1 && t->n == 1) {
		memmove(t->c[0].host, s->c[0].host, len);
		return 0;
	}
	buf = tce__malloc(d->m->ctx, len);
	if (!buf)
		return -ENOMEM;
	for (i = 0, b = buf; i < s->n; b += s->c[i].len, i++)
		memcpy(b, s->c[i].host, s->c[i].len);
	for (i = 0, b = buf; i < t->n; b += t->c[i].len, i++)
		memcpy(t->c[i].host, b, t->c[i].len);
	tce__free(d->m->ctx, buf, len);
	return 0;
}

/*
 * Plan the source for reading, then the destination for writing, under one
 * hold of the PE's lock: a fault in the source stops before the destination
 * is translated, as a read followed by a write would.
 */
static int plan_both(struct tce_pci_dev *d, uint64_t src, uint64_t dst, size_t len,
		     struct plan *s, struct plan *t, bool *locked, bool *src_ok)
{
	int rc;

	tce__lock(&d->pe->lock);
	rc = dma_plan(d, src, len, false, s->c, &s->n, locked);
	*src_ok = !rc;
	if (!rc)
		rc = dma_plan(d, dst, len, true, t->c, &t->n, locked);
	tce__unlock(&d->pe->lock);
	return rc;
}

int tce__dev_dma_copy(struct tce_pci_dev *d, uint64_t src, uint64_t dst, size_t len)
{
	struct plan s, t;
	bool locked = false, src_ok = false;
	int rc;

	if (!dma_args_ok(src, len) || !dma_args_ok(dst, len))
		return -EINVAL;
	t.c = NULL;
	rc = plan_init(d, &s, src, len);
	if (!rc)
		rc = plan_init(d, &t, dst, len);
	if (!rc)
		rc = plan_both(d, src, dst, len, &s, &t, &locked, &src_ok);
	if (!rc && plans_overlap(&s, &t))
		rc = copy_overlapping(d, &s, &t, len);
	else if (!rc)
		copy_pairs(&s, &t, len);
	if (locked)
		tce__regions_read_unlock(d->m);
	/* As a read then a write: the read counts once its whole source translated. */
	if (src_ok && rc != -ENOMEM)
		count_bytes(d, false, len);
	if (!rc)
		count_bytes(d, true, len);
	plan_fini(d, &s);
	if (t.c)
		plan_fini(d, &t);
	return rc;
}

/*
 * A one-page access that a remembered translation serves: copied, counted,
 * true. Apart from dev_dma() so that the hit runs without its frame.
 */
static inline bool dma_remembered(struct tce_pci_dev *d, uint64_t bus, void *buf, size_t len,
				  bool write)
{
	uint8_t *host;

	if (!len || !in_one_4k(bus, len)) /* in one page: no wrap, no 1 GiB limit */
		return false;
	host = tlb_lookup(d, bus, write);
	if (!host)
		return false;
	atomic_fetch_add_explicit(&d->tlb_hits, 1, memory_order_relaxed);
	dma_move(d, host, buf, len, write);
	return true;
}

int tce_dev_dma_read(struct tce_pci_dev *d, uint64_t bus_addr, void *buf, size_t len)
{
	if (dma_remembered(d, bus_addr, buf, len, false))
		return 0;
	return dev_dma(d, bus_addr, buf, len, false);
}

int tce_dev_dma_write(struct tce_pci_dev *d, uint64_t bus_addr, const void *buf, size_t len)
{
	if (dma_remembered(d, bus_addr, (void *)buf, len, true))
		return 0;
	return dev_dma(d, bus_addr, (void *)buf, len, true);
}

void tce_dev_dma_stats(struct tce_pci_dev *d, struct tce_dev_dma_stats *out)
{
	out->read_bytes = atomic_load_explicit(&d->dma_read_bytes, memory_order_relaxed);
	out->write_bytes = atomic_load_explicit(&d->dma_write_bytes, memory_order_relaxed);
}

/* ---- translate-once mappings ---- */

/* A kill raced the plan this many times in a row: give up with -EAGAIN. */
#define MAP_TRIES 4

/*
 * Plan @map's range as one DMA would, while the map is linked (so a kill
 * meanwhile clears its valid flag): 0 once a plan gave one host run in RAM
 * and no kill came between; the DMA's error, -ERANGE (several runs),
 * -EOPNOTSUPP (memory above RAM) or -EAGAIN (kills kept racing).
 */
static int map_plan(struct tce_pci_dev *d, struct tce_dev_map *map, bool write)
{
	struct plan p;
	bool locked;
	unsigned tries;
	int rc = plan_init(d, &p, map->bus, (size_t)map->len);

	for (tries = 0; !rc && tries < MAP_TRIES; tries++) {
		locked = false;
		atomic_store_explicit(&map->valid, true, memory_order_relaxed);
		tce__lock(&d->pe->lock);
		rc = dma_plan(d, map->bus, (size_t)map->len, write, p.c, &p.n, &locked);
		tce__unlock(&d->pe->lock);
		if (locked)
			tce__regions_read_unlock(d->m);
		if (!rc && locked)
			rc = -EOPNOTSUPP;
		else if (!rc && p.n != 1)
			rc = -ERANGE;
		if (rc || atomic_load_explicit(&map->valid, memory_order_acquire))
			break;
		rc = tries + 1 < MAP_TRIES ? 0 : -EAGAIN;
	}
	map->host = p.n ? p.c[0].host : NULL;
	plan_fini(d, &p);
	return rc;
}

int tce_dev_dma_map(struct tce_pci_dev *d, uint64_t bus_addr, size_t len, bool write,
		    void **host, struct tce_dev_map **out)
{
	struct tce_dev_map *map;
	int rc;

	if (!d || !host || !out || !dma_args_ok(bus_addr, len))
		return -EINVAL;
	map = tce__calloc(d->m->ctx, sizeof(*map));
	if (!map)
		return -ENOMEM;
	*map = (struct tce_dev_map){ .m = d->m, .pe = d->pe, .bus = bus_addr, .len = len };
	tce__map_link(d->pe, map);
	rc = map_plan(d, map, write);
	if (rc) {
		tce__map_unlink(d->pe, map);
		tce__free(d->m->ctx, map, sizeof(*map));
		return rc;
	}
	*host = map->host;
	*out = map;
	return 0;
}

bool tce_dev_dma_map_valid(const struct tce_dev_map *map)
{
	return atomic_load_explicit(&map->valid, memory_order_acquire);
}

void tce_dev_dma_unmap(struct tce_dev_map *map)
{
	if (!map)
		return;
	tce__map_unlink(map->pe, map);
	tce__free(map->m->ctx, map, sizeof(*map));
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

#define EXP TCE_DT_CFG_EXP_CAP
#define MSIX TCE_DT_CFG_MSIX_CAP

/* The PCI Express capability of an endpoint with FLR, on a x1 2.5 GT/s link. */
static void exp_cap(uint8_t *c)
{
	c[EXP] = TCE_PCI_CAP_ID_EXP;
	c[EXP + 1] = MSIX;                                 /* next: MSI-X */
	put16(c + EXP + TCE_PCI_EXP_FLAGS, 0x0002);        /* version 2, endpoint */
	put32(c + EXP + TCE_PCI_EXP_DEVCAP, TCE_PCI_EXP_DEVCAP_FLR | 0x8000); /* FLR, role-based errors, 128 B */
	put16(c + EXP + TCE_PCI_EXP_DEVCTL, 0x2810);       /* relaxed ordering, no snoop, 512 B reads */
	put32(c + EXP + TCE_PCI_EXP_LNKCAP, 0x00000011);   /* 2.5 GT/s, x1 */
	put16(c + EXP + TCE_PCI_EXP_LNKSTA, 0x0011);
}

/* MSI-X: @n vectors, table and PBA in BAR0; disabled. */
static void msix_cap(uint8_t *c, unsigned n)
{
	c[MSIX] = TCE_PCI_CAP_ID_MSIX;
	c[MSIX + 1] = 0;                                   /* last */
	put16(c + MSIX + TCE_PCI_MSIX_FLAGS, (uint16_t)(n - 1));
	put32(c + MSIX + TCE_PCI_MSIX_TABLE, TCE_DT_MSIX_TABLE);   /* BAR indicator 0 */
	put32(c + MSIX + TCE_PCI_MSIX_PBA, TCE_DT_MSIX_PBA);
}

/* The identity of each device kind. */
struct dev_id {
	uint16_t vendor, device;
	uint32_t class_rev;
};

static const struct dev_id ids[] = {
	[TCE_DEV_DMA_TEST] = { TCE_DT_VENDOR, TCE_DT_DEVICE, TCE_DT_CLASS << 8 | TCE_DT_REVISION },
	[TCE_DEV_IOAT] = { TCE_IOAT_VENDOR, TCE_IOAT_DEVICE, TCE_IOAT_CLASS << 8 | TCE_IOAT_REVISION },
};

uint64_t tce__dev_bar0_size(const struct tce_pci_dev *d)
{
	switch (d->type) {
	case TCE_DEV_DMA_TEST: return TCE_DT_BAR0_SIZE;
	case TCE_DEV_IOAT: return TCE_IOAT_BAR0_SIZE;
	default: return 0;
	}
}

unsigned tce__dev_msix_vectors(const struct tce_pci_dev *d)
{
	return d->type == TCE_DEV_IOAT ? TCE_IOAT_MSIX_VECTORS : TCE_DT_MSIX_VECTORS;
}

/* Power-on config space. Context: the device's lock (or not yet shared). */
static void config_init(struct tce_pci_dev *d)
{
	uint8_t *c = d->config;
	const struct dev_id *id = &ids[d->type];

	if (d->type == TCE_DEV_NONE) {
		memset(c, 0xff, sizeof(d->config)); /* no emulated function: every read is a master abort */
		return;
	}
	memset(c, 0, sizeof(d->config));
	put16(c + TCE_PCI_VENDOR_ID, id->vendor);
	put16(c + TCE_PCI_DEVICE_ID, id->device);
	put16(c + TCE_PCI_STATUS, TCE_PCI_STATUS_CAP_LIST);
	put32(c + TCE_PCI_CLASS_REVISION, id->class_rev);
	put32(c + TCE_PCI_BASE_ADDRESS_0, TCE_PCI_BASE_ADDRESS_MEM_TYPE_64);
	put16(c + TCE_PCI_SUBSYSTEM_VENDOR_ID, id->vendor);
	put16(c + TCE_PCI_SUBSYSTEM_ID, id->device);
	c[TCE_PCI_CAPABILITY_LIST] = EXP;
	exp_cap(c);
	msix_cap(c, tce__dev_msix_vectors(d));
}

/* The bits of config byte @o that software may write. */
static uint8_t writable(uint32_t o)
{
	switch (o) {
	case TCE_PCI_COMMAND: return TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER;
	case TCE_PCI_COMMAND + 1: return TCE_PCI_COMMAND_INTX_DISABLE >> 8;
	case TCE_PCI_BASE_ADDRESS_0 + 2: case TCE_PCI_BASE_ADDRESS_0 + 3: /* 64 KiB: bits 31:16 */
	case 0x14: case 0x15: case 0x16: case 0x17:                          /* the upper half */
	case TCE_PCI_INTERRUPT_LINE:
	case EXP + TCE_PCI_EXP_DEVCTL:
		return 0xff;
	case EXP + TCE_PCI_EXP_DEVCTL + 1: return 0x7f;     /* bit 15 is FLR, not stored */
	case MSIX + TCE_PCI_MSIX_FLAGS + 1:
		return (TCE_PCI_MSIX_FLAGS_ENABLE | TCE_PCI_MSIX_FLAGS_MASKALL) >> 8;
	default: return 0;
	}
}

/* Store a config write byte by byte; true if it initiates an FLR. Context: device lock. */
static bool config_store(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	bool flr = false;
	unsigned i;

	for (i = 0; i < size; i++) {
		uint32_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i)), w = writable(o);

		if (o == EXP + TCE_PCI_EXP_DEVCTL + 1 && (b & (TCE_PCI_EXP_DEVCTL_BCR_FLR >> 8)))
			flr = true;
		d->config[o] = (uint8_t)((d->config[o] & ~w) | (b & w));
	}
	return flr;
}

/* The config address an injection matches: bus << 20 | devfn << 12 | offset. */
static uint64_t config_addr(const struct tce_pci_dev *d, uint32_t off)
{
	return (uint64_t)d->bus << 20 | (uint64_t)d->devfn << 12 | off;
}

int tce_dev_config_read(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t *val)
{
	if (size == 8 || !tce__access_ok(off, size, sizeof(d->config)))
		return -EINVAL;
	tce__lock(&d->lock);
	if (tce__pe_mmio(d->pe, d, TCE__ACC_CFG_LD, config_addr(d, off), false))
		*val = get(d->config + off, size);
	else
		*val = (uint32_t)tce__ones(size);
	tce__unlock(&d->lock);
	return 0;
}

int tce_dev_config_write(struct tce_pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	bool flr = false;

	if (size == 8 || !tce__access_ok(off, size, sizeof(d->config)))
		return -EINVAL;
	if (d->type == TCE_DEV_NONE)
		return 0;
	tce__lock(&d->lock);
	if (tce__pe_mmio(d->pe, d, TCE__ACC_CFG_ST, config_addr(d, off), false))
		flr = config_store(d, off, size, val);
	tce__unlock(&d->lock);
	return flr ? tce__dev_reset(d) : 0;
}

uint64_t tce__dev_bar0_addr(const struct tce_pci_dev *d)
{
	return (uint64_t)get(d->config + 0x14, 4) << 32 |
	       (get(d->config + TCE_PCI_BASE_ADDRESS_0, 4) & ~0xfu);
}

uint32_t tce__dev_config16(const struct tce_pci_dev *d, uint32_t off)
{
	return get(d->config + off, 2);
}

/* ---- setting up and resetting a function ---- */

int tce__dev_init(struct tce_pci_dev *d)
{
	int rc = tce__lock_init(&d->lock, false);

	if (rc)
		return rc;
	config_init(d);
	rc = d->type != TCE_DEV_NONE ? tce__dt_init(d) : 0;
	if (rc)
		tce__lock_fini(&d->lock);
	return rc;
}

void tce__dev_fini(struct tce_pci_dev *d)
{
	if (d->type != TCE_DEV_NONE)
		tce__dt_fini(d);
	tce__lock_fini(&d->lock);
}

int tce__dev_reset(struct tce_pci_dev *d)
{
	if (d->type == TCE_DEV_NONE)
		return -EINVAL;
	tce__dt_quiesce(d);
	tce__lock(&d->lock);
	config_init(d);
	tce__dt_regs_init(d);
	tce__unlock(&d->lock);
	tce__dt_resume(d);
	return 0;
}

int tce_dev_reset(struct tce_pci_dev *d)
{
	return tce__dev_reset(d);
}
