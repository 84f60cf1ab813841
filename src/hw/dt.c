/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading a machine from its flattened device tree with libfdt: the
 * platform, RAM, PHBs with their PAPR (pseries) or OPAL-style (powernv)
 * DMA properties, and PCI functions with libtce's bindings (docs/machine.md).
 * Every malformed or hostile tree is refused with -EINVAL and a log line
 * naming the node and property; the blob is checked in full before any
 * property is read. Layer: hw.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/hw_int.h"
#include "util/arith.h"

#define MAX_RAM (1ULL << 46)    /* 64 TiB: anything larger is absurd here */
#define MAX_PHBS 16
#define MAX_DEVS 256
#define MAX_PE 255

/* Log why the tree is refused; always returns -EINVAL. */
static int dt_err(struct tce_machine *m, int node, const char *prop, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int dt_err(struct tce_machine *m, int node, const char *prop, const char *fmt, ...)
{
	char path[256] = "?", msg[256];
	va_list ap;

	if (node >= 0 && fdt_get_path(m->fdt, node, path, sizeof(path)))
		snprintf(path, sizeof(path), "(node at offset %d)", node);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tce__err(m->ctx, "device tree: %s: %s: %s", path, prop, msg);
	return -EINVAL;
}

/* A property made of 32-bit cells; NULL (and *n = 0) when absent. -EINVAL if ragged. */
static int cells(struct tce_machine *m, int node, const char *name, const fdt32_t **p,
		 unsigned *n)
{
	int len;

	*p = fdt_getprop(m->fdt, node, name, &len);
	*n = 0;
	if (!*p)
		return len == -FDT_ERR_NOTFOUND ? 0 : dt_err(m, node, name, "unreadable");
	if (len % 4)
		return dt_err(m, node, name, "length %d is not a whole number of cells", len);
	*n = (unsigned)len / 4;
	return 0;
}

/* A number of @ncells (1 or 2) cells. */
static uint64_t num(const fdt32_t *p, unsigned ncells)
{
	return ncells == 2 ? (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1])
			   : fdt32_to_cpu(p[0]);
}

/* A property of exactly @want cells (@must: required). */
static int exact(struct tce_machine *m, int node, const char *name, unsigned want, bool must,
		 const fdt32_t **p)
{
	unsigned n;
	int rc = cells(m, node, name, p, &n);

	if (rc)
		return rc;
	if (!*p)
		return must ? dt_err(m, node, name, "missing") : 0;
	if (n != want)
		return dt_err(m, node, name, "has %u cells, expected %u", n, want);
	return 0;
}

/* A one-cell property with a default, checked against [lo, hi]. */
static int u32_prop(struct tce_machine *m, int node, const char *name, uint32_t def,
		    uint32_t lo, uint32_t hi, uint32_t *out)
{
	const fdt32_t *p;
	int rc = exact(m, node, name, 1, false, &p);

	if (rc)
		return rc;
	*out = p ? fdt32_to_cpu(p[0]) : def;
	if (*out < lo || *out > hi)
		return dt_err(m, node, name, "%u is outside [%u, %u]", *out, lo, hi);
	return 0;
}

/* A two-cell (64-bit) property with a default. */
static int u64_prop(struct tce_machine *m, int node, const char *name, uint64_t def,
		    uint64_t *out)
{
	const fdt32_t *p;
	int rc = exact(m, node, name, 2, false, &p);

	if (!rc)
		*out = p ? num(p, 2) : def;
	return rc;
}

static int platform_of(struct tce_machine *m)
{
	if (!fdt_node_check_compatible(m->fdt, 0, "libtce,pseries"))
		m->platform = TCE_PLATFORM_PSERIES;
	else if (!fdt_node_check_compatible(m->fdt, 0, "libtce,powernv"))
		m->platform = TCE_PLATFORM_POWERNV;
	else
		return dt_err(m, 0, "compatible", "neither libtce,pseries nor libtce,powernv");
	return 0;
}

/* The one RAM range: from real address 0, of a sane size. */
static int parse_memory(struct tce_machine *m)
{
	int node = fdt_node_offset_by_prop_value(m->fdt, -1, "device_type", "memory", 7);
	const fdt32_t *reg;
	int rc;

	if (node < 0)
		return dt_err(m, 0, "memory", "no node with device_type \"memory\"");
	rc = exact(m, node, "reg", 4, true, &reg);
	if (rc)
		return rc;
	if (num(reg, 2) != 0)
		return dt_err(m, node, "reg", "RAM must start at real address 0");
	m->ram_size = num(reg + 2, 2);
	if (!m->ram_size || m->ram_size > MAX_RAM || (m->ram_size & 0xfff))
		return dt_err(m, node, "reg", "RAM size 0x%llx is 0, unaligned or above 64 TiB",
			      (unsigned long long)m->ram_size);
	if (fdt_node_offset_by_prop_value(m->fdt, node, "device_type", "memory", 7) >= 0)
		return dt_err(m, node, "reg", "more than one memory node");
	return 0;
}

static bool is_phb(struct tce_machine *m, int node)
{
	const char *type = fdt_getprop(m->fdt, node, "device_type", NULL);
	const char *want = m->platform == TCE_PLATFORM_PSERIES ? "pci" : "pciex";
	int len;

	type = fdt_getprop(m->fdt, node, "device_type", &len);
	return type && len == (int)strlen(want) + 1 && !memcmp(type, want, (size_t)len);
}

/* A pseries ibm,dma-window: LIOBN, bus address, size (cell counts from the PHB). */
static int dma_window(struct tce_machine *m, int phb_node, int node, uint32_t *liobn,
		      uint64_t *bus, uint64_t *size)
{
	uint32_t ac, sc;
	const fdt32_t *p;
	uint64_t end;
	int rc = u32_prop(m, phb_node, "ibm,#dma-address-cells", 2, 1, 2, &ac);

	if (!rc)
		rc = u32_prop(m, phb_node, "ibm,#dma-size-cells", 2, 1, 2, &sc);
	if (!rc)
		rc = exact(m, node, "ibm,dma-window", 1 + ac + sc, true, &p);
	if (rc)
		return rc;
	*liobn = fdt32_to_cpu(p[0]);
	*bus = num(p + 1, ac);
	*size = num(p + 1 + ac, sc);
	if (!tce__is_pow2(*size) || *size < 4096 || (*bus & (*size - 1)) ||
	    tce__add_overflows(*bus, *size, &end) || end > TCE_PNV_WINDOW1_BASE ||
	    (*size >> 12) > UINT32_MAX)
		return dt_err(m, node, "ibm,dma-window",
			      "window 0x%llx+0x%llx is not a size-aligned power of two of at least 4 KiB below 2^59 with fewer than 2^32 TCEs",
			      (unsigned long long)*bus, (unsigned long long)*size);
	return 0;
}

/* What a function node says, before PEs are assembled. */
struct dt_fn {
	int node;
	uint8_t bus, devfn;
	uint32_t pe;
	bool vf;
	enum tce__dev_type type;
	bool recover;             /* libtce,dma-fault = "recover" */
	bool own_window;          /* pseries: its own ibm,dma-window; powernv: own dma32 size */
	uint32_t liobn;
	uint64_t win_bus, win_size;
	bool ddw;                 /* pseries: DDW properties beside its own window */
	uint32_t tok[4];          /* their RTAS tokens */
};

static int root_cells(struct tce_machine *m, uint32_t *ac, uint32_t *sc)
{
	int rc = u32_prop(m, 0, "#address-cells", 2, 1, 2, ac);

	return rc ? rc : u32_prop(m, 0, "#size-cells", 2, 1, 2, sc);
}

/* PCI binding: 3 address cells, 2 size cells, both required. */
static int pci_cells(struct tce_machine *m, int node)
{
	const fdt32_t *p;
	int rc = exact(m, node, "#address-cells", 1, true, &p);

	if (!rc && fdt32_to_cpu(p[0]) != 3)
		rc = dt_err(m, node, "#address-cells", "%u, the PCI binding needs 3", fdt32_to_cpu(p[0]));
	if (!rc)
		rc = exact(m, node, "#size-cells", 1, true, &p);
	if (!rc && fdt32_to_cpu(p[0]) != 2)
		rc = dt_err(m, node, "#size-cells", "%u, the PCI binding needs 2", fdt32_to_cpu(p[0]));
	return rc;
}

/* ibm,ddw-applicable (query, create, remove) and ibm,ddw-extensions (reset). */
static int ddw_tokens(struct tce_machine *m, int node, bool *ddw, uint32_t tok[4])
{
	const fdt32_t *p;
	unsigned n, i;
	int rc = exact(m, node, "ibm,ddw-applicable", 3, false, &p);

	if (rc || !p)
		return rc;
	*ddw = true;
	for (i = 0; i < 3; i++)
		tok[i] = fdt32_to_cpu(p[i]);
	rc = cells(m, node, "ibm,ddw-extensions", &p, &n);
	if (rc || !p)
		return rc;
	if (n == 0 || fdt32_to_cpu(p[0]) > n - 1)
		return dt_err(m, node, "ibm,ddw-extensions", "count %u but %u cells follow",
			      n ? fdt32_to_cpu(p[0]) : 0, n ? n - 1 : 0);
	if (fdt32_to_cpu(p[0]) >= 1)
		tok[3] = fdt32_to_cpu(p[1]);
	return 0;
}

/* The page sizes a PHB allows: bit n for 2^n bytes, only 12..34. */
static int check_page_mask(struct tce_machine *m, int node, const char *prop, uint64_t mask)
{
	uint64_t legal = tce__low_mask(TCE_PAGE_SHIFT_MAX + 1) & ~tce__low_mask(TCE_PAGE_SHIFT_MIN);

	if (!(mask & (1ULL << 12)) || (mask & ~legal))
		return dt_err(m, node, prop, "page sizes 0x%llx lack 4 KiB or go beyond 12..34",
			      (unsigned long long)mask);
	return 0;
}

/* pseries: the PHB's register range [buid, *@reg_end) (at least one byte); no wrap. */
static int pseries_reg(struct tce_machine *m, int node, struct tce__phb *phb, uint64_t *reg_end)
{
	uint32_t ac, sc;
	const fdt32_t *reg;
	uint64_t size;
	int rc = root_cells(m, &ac, &sc);

	if (!rc)
		rc = exact(m, node, "reg", ac + sc, true, &reg);
	if (rc)
		return rc;
	phb->buid = num(reg, ac);
	size = num(reg + ac, sc);
	if (tce__add_overflows(phb->buid, size ? size : 1, reg_end))
		return dt_err(m, node, "reg", "0x%llx+0x%llx wraps", (unsigned long long)phb->buid,
			      (unsigned long long)size);
	return 0;
}

static int pseries_phb(struct tce_machine *m, int node, struct tce__phb *phb, uint32_t tok[4],
		       uint64_t *reg_end)
{
	int rc = pseries_reg(m, node, phb, reg_end);

	if (rc)
		return rc;
	rc = ddw_tokens(m, node, &phb->ddw, tok);
	phb->reset_token = tok[3];
	if (!rc)
		rc = u64_prop(m, node, "libtce,dma-page-sizes", 0x1211000ULL, &phb->page_mask);
	if (!rc)
		rc = check_page_mask(m, node, "libtce,dma-page-sizes", phb->page_mask);
	if (!rc)
		rc = u64_prop(m, node, "libtce,largest-block", 1ULL << 31, &phb->largest_block);
	if (!rc && (!phb->largest_block || phb->largest_block > (1ULL << 32)))
		rc = dt_err(m, node, "libtce,largest-block", "must be 1..2^32 TCEs");
	phb->max_levels = 1;
	return rc;
}

static int powernv_phb(struct tce_machine *m, int node, struct tce__phb *phb)
{
	const fdt32_t *p;
	unsigned n, i;
	int rc = exact(m, node, "ibm,opal-phbid", 2, true, &p);

	if (rc)
		return rc;
	phb->buid = num(p, 2);
	rc = cells(m, node, "ibm,supported-tce-sizes", &p, &n);
	if (rc)
		return rc;
	phb->page_mask = p ? 0 : (1ULL << 12 | 1ULL << 16);
	for (i = 0; i < n; i++) {
		if (fdt32_to_cpu(p[i]) < 12 || fdt32_to_cpu(p[i]) > 34)
			return dt_err(m, node, "ibm,supported-tce-sizes", "shift %u", fdt32_to_cpu(p[i]));
		phb->page_mask |= 1ULL << fdt32_to_cpu(p[i]);
	}
	rc = check_page_mask(m, node, "ibm,supported-tce-sizes", phb->page_mask);
	return rc ? rc : u32_prop(m, node, "libtce,max-levels", 5, 1, 5, &phb->max_levels);
}

/* powernv: a 32-bit window size, a power of two of 4 KiB to 4 GiB. */
static int dma32_size(struct tce_machine *m, int node, uint64_t def, bool *own, uint64_t *size)
{
	int rc = u64_prop(m, node, "libtce,dma32-size", def, size);

	*own = fdt_getprop(m->fdt, node, "libtce,dma32-size", NULL) != NULL;
	if (!rc && (!tce__is_pow2(*size) || *size < 4096 || *size > (1ULL << 32)))
		rc = dt_err(m, node, "libtce,dma32-size", "0x%llx is not a power of two in 4 KiB..4 GiB",
			    (unsigned long long)*size);
	return rc;
}

static int fn_type(struct tce_machine *m, int node, enum tce__dev_type *type)
{
	int len;
	const char *s = fdt_getprop(m->fdt, node, "libtce,device", &len);

	*type = TCE_DEV_NONE;
	if (!s)
		return 0;
	if (len == (int)sizeof("dma-test") && !memcmp(s, "dma-test", sizeof("dma-test")))
		*type = TCE_DEV_DMA_TEST;
	else if (len == (int)sizeof("ioat") && !memcmp(s, "ioat", sizeof("ioat")))
		*type = TCE_DEV_IOAT;
	else
		return dt_err(m, node, "libtce,device", "unknown emulated device");
	return 0;
}

/* libtce,dma-fault: "freeze" (the default) or "recover", on an emulated function only. */
static int fn_dma_fault(struct tce_machine *m, int node, enum tce__dev_type type, bool *recover)
{
	int len;
	const char *s = fdt_getprop(m->fdt, node, "libtce,dma-fault", &len);

	*recover = false;
	if (!s)
		return 0;
	if (type == TCE_DEV_NONE)
		return dt_err(m, node, "libtce,dma-fault", "needs libtce,device: nothing else does DMA");
	if (len == (int)sizeof("recover") && !memcmp(s, "recover", sizeof("recover")))
		*recover = true;
	else if (len != (int)sizeof("freeze") || memcmp(s, "freeze", sizeof("freeze")))
		return dt_err(m, node, "libtce,dma-fault", "must be \"freeze\" or \"recover\"");
	return 0;
}

static int parse_fn(struct tce_machine *m, int phb_node, int node, struct dt_fn *f)
{
	const fdt32_t *reg;
	unsigned n;
	uint32_t hi;
	int rc = cells(m, node, "reg", &reg, &n);

	if (rc)
		return rc;
	if (!reg || n < 5 || n % 5)
		return dt_err(m, node, "reg", "a PCI function needs 5-cell config addresses");
	hi = fdt32_to_cpu(reg[0]);
	if ((hi & 0xff) || (hi >> 24))
		return dt_err(m, node, "reg", "phys.hi 0x%08x is not a config-space address", hi);
	*f = (struct dt_fn){ .node = node, .bus = (uint8_t)(hi >> 16), .devfn = (uint8_t)(hi >> 8),
			     .vf = fdt_getprop(m->fdt, node, "libtce,sriov-vf", NULL) != NULL };
	rc = u32_prop(m, node, "libtce,pe", 0, 0, MAX_PE, &f->pe);
	if (!rc)
		rc = fn_type(m, node, &f->type);
	if (!rc)
		rc = fn_dma_fault(m, node, f->type, &f->recover);
	if (rc)
		return rc;
	if (m->platform == TCE_PLATFORM_POWERNV)
		return dma32_size(m, node, 0x80000000ULL, &f->own_window, &f->win_size);
	f->own_window = fdt_getprop(m->fdt, node, "ibm,dma-window", NULL) != NULL;
	if (!f->own_window)
		return 0;
	rc = dma_window(m, phb_node, node, &f->liobn, &f->win_bus, &f->win_size);
	/* As PowerVM (and Linux reads it): DDW properties sit on the node of the window. */
	return rc ? rc : ddw_tokens(m, node, &f->ddw, f->tok);
}

struct phb_scan {
	struct dt_fn fn[MAX_DEVS];
	unsigned nfn;
	bool has_window;        /* the PHB node's own default window */
	uint32_t liobn;
	uint64_t win_bus, win_size;
	uint64_t reg_end[MAX_PHBS]; /* pseries: end of each PHB's register range, by index */
};

static int scan_fns(struct tce_machine *m, int phb_node, struct phb_scan *s)
{
	unsigned i;
	int node, rc;

	fdt_for_each_subnode(node, m->fdt, phb_node) {
		if (s->nfn == MAX_DEVS)
			return dt_err(m, node, "reg", "more than %d functions", MAX_DEVS);
		rc = parse_fn(m, phb_node, node, &s->fn[s->nfn]);
		if (rc)
			return rc;
		for (i = 0; i < s->nfn; i++)
			if (s->fn[i].bus == s->fn[s->nfn].bus && s->fn[i].devfn == s->fn[s->nfn].devfn)
				return dt_err(m, node, "reg", "two functions at the same address");
		s->nfn++;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return dt_err(m, phb_node, "(children)", "unreadable: %s", fdt_strerror(node));
	return 0;
}

/* The default window of PE @pe: its functions' own, else the PHB's. */
static int pe_window(struct tce_machine *m, int phb_node, const struct phb_scan *s,
		     struct tce__pe *pe)
{
	const struct dt_fn *own = NULL;
	unsigned i;

	for (i = 0; i < s->nfn; i++) {
		const struct dt_fn *f = &s->fn[i];

		if (f->pe != pe->num || !f->own_window)
			continue;
		if (own && (own->liobn != f->liobn || own->win_bus != f->win_bus ||
			    own->win_size != f->win_size))
			return dt_err(m, f->node, "ibm,dma-window", "differs within PE %u", pe->num);
		own = f;
	}
	if (own) {
		pe->def_liobn = own->liobn, pe->def_bus = own->win_bus, pe->def_size = own->win_size;
		pe->dt_node = own->node;
		pe->ddw = own->ddw;
		return 0;
	}
	if (!s->has_window)
		return dt_err(m, phb_node, m->platform == TCE_PLATFORM_PSERIES ? "ibm,dma-window"
										 : "libtce,dma32-size",
			      "PE %u has no default window", pe->num);
	pe->def_liobn = s->liobn, pe->def_bus = s->win_bus, pe->def_size = s->win_size;
	pe->dt_node = phb_node;
	pe->ddw = pe->phb->ddw;
	return 0;
}

/* Slots of PE @pe: one for a virtual function, two otherwise; all functions agree. */
static int pe_slots(struct tce_machine *m, const struct phb_scan *s, struct tce__pe *pe)
{
	int vf = -1;
	unsigned i;

	for (i = 0; i < s->nfn; i++) {
		if (s->fn[i].pe != pe->num)
			continue;
		if (vf >= 0 && vf != s->fn[i].vf)
			return dt_err(m, s->fn[i].node, "libtce,sriov-vf", "mixed within PE %u", pe->num);
		vf = s->fn[i].vf;
	}
	pe->nslots = vf == 1 ? 1 : TCE_MAX_WINDOWS;
	return 0;
}

static int build_pes(struct tce_machine *m, int phb_node, struct tce__phb *phb,
		     const struct phb_scan *s)
{
	uint8_t seen[MAX_PE + 1] = { 0 };
	uint32_t n = 0, pe;
	unsigned i;
	int rc = 0;

	for (i = 0; i < s->nfn; i++)
		n += !seen[s->fn[i].pe]++;
	/* Aligned: a PE's generation has a cache line of its own (struct tce__pe). */
	phb->pes = tce__aligned_zalloc(m->ctx, (size_t)(n ? n : 1) * sizeof(*phb->pes),
				       _Alignof(struct tce__pe));
	if (!phb->pes)
		return -ENOMEM;
	phb->npes_alloc = n ? n : 1;
	for (pe = 0; pe <= MAX_PE && !rc; pe++) {
		struct tce__pe *p = &phb->pes[phb->npes];

		if (!seen[pe])
			continue;
		*p = (struct tce__pe){ .phb = phb, .num = pe };
		rc = pe_slots(m, s, p);
		if (!rc)
			rc = pe_window(m, phb_node, s, p);
		if (!rc)
			rc = tce__lock_init(&p->lock, false);
		if (!rc)
			phb->npes++;
	}
	return rc;
}

static int phb_default(struct tce_machine *m, int node, struct phb_scan *s)
{
	bool own;

	if (m->platform == TCE_PLATFORM_POWERNV) {
		s->has_window = true;
		return dma32_size(m, node, 0x80000000ULL, &own, &s->win_size);
	}
	s->has_window = fdt_getprop(m->fdt, node, "ibm,dma-window", NULL) != NULL;
	return s->has_window ? dma_window(m, node, node, &s->liobn, &s->win_bus, &s->win_size) : 0;
}

/*
 * No two PHBs share an id: pseries register ranges (the BUID is their
 * start) are disjoint, powernv OPAL PHB ids differ.
 */
static int check_phb_id(struct tce_machine *m, int node, const struct tce__phb *phb,
			const struct phb_scan *s)
{
	const struct tce__phb *o;
	uint32_t i;

	for (i = 0; i < phb->index; i++) {
		o = &m->phbs[i];
		if (m->platform == TCE_PLATFORM_POWERNV && o->buid == phb->buid)
			return dt_err(m, node, "ibm,opal-phbid", "PHB id 0x%llx is another PHB's",
				      (unsigned long long)phb->buid);
		if (m->platform == TCE_PLATFORM_PSERIES && o->buid < s->reg_end[phb->index] &&
		    phb->buid < s->reg_end[i])
			return dt_err(m, node, "reg", "BUID 0x%llx overlaps another PHB's registers",
				      (unsigned long long)phb->buid);
	}
	return 0;
}

static int parse_phb(struct tce_machine *m, int node, struct tce__phb *phb, struct phb_scan *s,
		     uint32_t tok[4])
{
	int rc = pci_cells(m, node);

	if (rc)
		return rc;
	rc = m->platform == TCE_PLATFORM_PSERIES ? pseries_phb(m, node, phb, tok, &s->reg_end[phb->index])
						 : powernv_phb(m, node, phb);
	if (!rc)
		rc = check_phb_id(m, node, phb, s);
	if (!rc)
		rc = phb_default(m, node, s);
	if (!rc)
		rc = scan_fns(m, node, s);
	if (!rc && !s->nfn)
		rc = dt_err(m, node, "(children)", "a PHB without functions");
	return rc ? rc : build_pes(m, node, phb, s);
}

/* Do PEs @a and @b share a LIOBN (slot 0: the default; slot 1: the default + 1)? */
static bool liobns_clash(const struct tce__pe *a, const struct tce__pe *b)
{
	uint32_t i, j;

	for (i = 0; i < a->nslots; i++)
		for (j = 0; j < b->nslots; j++)
			if (a->def_liobn + i == b->def_liobn + j)
				return true;
	return false;
}

/* Every LIOBN of the machine is unique; the later PE's node is named. */
static int check_liobns(struct tce_machine *m)
{
	struct tce__pe *all[MAX_PHBS * (MAX_PE + 1)];
	uint32_t i, j, n = 0;

	for (i = 0; i < m->nphbs; i++)
		for (j = 0; j < m->phbs[i].npes; j++)
			all[n++] = &m->phbs[i].pes[j];
	for (i = 0; i < n; i++) {
		if (all[i]->def_liobn > UINT32_MAX - (all[i]->nslots - 1))
			return dt_err(m, all[i]->dt_node, "ibm,dma-window",
				      "LIOBN 0x%x leaves no room for the second window's",
				      all[i]->def_liobn);
		for (j = 0; j < i; j++)
			if (liobns_clash(all[j], all[i]))
				return dt_err(m, all[i]->dt_node, "ibm,dma-window",
					      "LIOBN 0x%x clashes with another PE's", all[i]->def_liobn);
	}
	return 0;
}

/* Every PHB with DDW names the same RTAS tokens. */
static int merge_tokens(struct tce_machine *m, int node, const uint32_t tok[4])
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (!tok[i])
			continue;
		if (m->rtas_token[i] && m->rtas_token[i] != tok[i])
			return dt_err(m, node, "ibm,ddw-applicable", "tokens differ between PHBs");
		m->rtas_token[i] = tok[i];
	}
	return 0;
}

/*
 * PHBs, and the functions the devices array must hold: each child of a PHB
 * is one (scan_fns refuses a PHB with more than MAX_DEVS before any is added).
 */
static int count_phbs(struct tce_machine *m, uint32_t *n, uint32_t *nfn)
{
	uint32_t fns;
	int node, child;

	*n = *nfn = 0;
	fdt_for_each_subnode(node, m->fdt, 0) {
		if (!is_phb(m, node))
			continue;
		(*n)++;
		fns = 0;
		fdt_for_each_subnode(child, m->fdt, node)
			fns += fns < MAX_DEVS;
		*nfn += fns;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return dt_err(m, 0, "(children)", "unreadable: %s", fdt_strerror(node));
	if (*n == 0 || *n > MAX_PHBS)
		return dt_err(m, 0, "(children)", "%u PHBs; 1..%d are supported", *n, MAX_PHBS);
	return 0;
}

static void name_dev(struct tce_pci_dev *d, uint32_t domain)
{
	snprintf(d->name, sizeof(d->name), "%04x:%02x:%02x.%x", domain, d->bus, d->devfn >> 3,
		 d->devfn & 7);
}

/* Functions of one PHB become devices. */
static int add_devs(struct tce_machine *m, struct tce__phb *phb, const struct phb_scan *s)
{
	struct tce_pci_dev *d;
	unsigned i;
	int rc;

	tce__assert(s->nfn <= m->ndevs_alloc - m->ndevs);
	for (i = 0; i < s->nfn; i++) {
		d = &m->devs[m->ndevs];
		*d = (struct tce_pci_dev){ .m = m, .phb = phb, .pe = tce__phb_pe(phb, s->fn[i].pe),
					   .bus = s->fn[i].bus, .devfn = s->fn[i].devfn,
					   .type = s->fn[i].type,
					   .recover_dma_faults = s->fn[i].recover };
		name_dev(d, phb->index);
		rc = tce__dev_init(d);
		if (rc)
			return rc;
		m->ndevs++;
	}
	return 0;
}

static int parse_phbs(struct tce_machine *m, struct phb_scan *s)
{
	uint32_t tok[4];
	unsigned i;
	int node, rc;

	fdt_for_each_subnode(node, m->fdt, 0) {
		struct tce__phb *phb = &m->phbs[m->nphbs];

		if (!is_phb(m, node))
			continue;
		memset(s, 0, offsetof(struct phb_scan, reg_end));
		memset(tok, 0, sizeof(tok));
		*phb = (struct tce__phb){ .m = m, .index = m->nphbs };
		rc = tce__lock_init(&phb->cache.lock, true); /* a few hundred instructions at most */
		if (rc)
			return rc;
		m->nphbs++;
		rc = parse_phb(m, node, phb, s, tok);
		if (!rc)
			rc = merge_tokens(m, node, tok);
		for (i = 0; !rc && i < s->nfn; i++)
			rc = merge_tokens(m, s->fn[i].node, s->fn[i].tok);
		if (!rc)
			rc = add_devs(m, phb, s);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the blob's header, checked before libfdt reads anything ---- */

/* Header field at byte @off (big-endian); the caller checked the header fits. */
static uint32_t hdr32(const struct tce_machine *m, size_t off)
{
	fdt32_t v;

	memcpy(&v, (const char *)m->fdt + off, sizeof(v));
	return fdt32_to_cpu(v);
}

/* A block [off, off + size) of a blob of @total bytes. */
struct blob_block {
	uint64_t off, end;
};

static bool blocks_overlap(const struct blob_block *a, const struct blob_block *b)
{
	return a->off < b->end && b->off < a->end;
}

/*
 * The memory reservation map: 16-byte (address, size) pairs ending with a
 * pair of zeros, all inside the blob. Returns false when no terminator is
 * found before @total.
 */
static bool rsvmap_block(const struct tce_machine *m, uint64_t total, struct blob_block *b)
{
	uint64_t off;

	for (off = b->off; off + 16 <= total; off += 16)
		if (!hdr32(m, off) && !hdr32(m, off + 4) && !hdr32(m, off + 8) &&
		    !hdr32(m, off + 12)) {
			b->end = off + 16;
			return true;
		}
	return false;
}

/*
 * Everything libfdt trusts in the header: magic, a version libfdt reads
 * (16 or 17, or a later one compatible with 17), the total size within the
 * buffer, and the reservation map, structure block and strings block
 * inside the blob, aligned and disjoint. A version-16 blob has no structure
 * block size; its block runs to the end of the blob. Returns 0 or -EINVAL.
 */
static int check_header(struct tce_machine *m)
{
	uint64_t total, hsize;
	uint32_t version, last_comp;
	struct blob_block rsv, st, str;

	if (m->fdt_size < FDT_V17_SIZE || hdr32(m, 0) != FDT_MAGIC)
		return dt_err(m, -1, "(blob)", "no device tree magic");
	total = hdr32(m, 4), version = hdr32(m, 20), last_comp = hdr32(m, 24);
	if (version < 16 || last_comp > FDT_LAST_SUPPORTED_VERSION || last_comp > version)
		return dt_err(m, -1, "(blob)", "format version %u (compatible with %u) is not 16 or 17",
			      version, last_comp);
	hsize = version >= 17 ? FDT_V17_SIZE : FDT_V16_SIZE;
	if (total < hsize || total > m->fdt_size)
		return dt_err(m, -1, "(blob)", "total size %llu outside [%llu, %zu]",
			      (unsigned long long)total, (unsigned long long)hsize, m->fdt_size);
	rsv.off = hdr32(m, 16), st.off = hdr32(m, 8), str.off = hdr32(m, 12);
	st.end = version >= 17 ? st.off + hdr32(m, 36) : total;
	str.end = str.off + hdr32(m, 32);
	if (rsv.off < hsize || rsv.off % 8 || !rsvmap_block(m, total, &rsv))
		return dt_err(m, -1, "(blob)", "memory reservation map at %llu is misplaced",
			      (unsigned long long)rsv.off);
	if (st.off < hsize || st.off % 4 || (version >= 17 && st.end % 4) || st.end > total ||
	    str.off < hsize || str.end > total)
		return dt_err(m, -1, "(blob)", "structure or strings block outside the blob");
	if (blocks_overlap(&rsv, &st) || blocks_overlap(&rsv, &str) ||
	    (version >= 17 && blocks_overlap(&st, &str)))
		return dt_err(m, -1, "(blob)", "blocks of the blob overlap");
	return 0;
}

/* The tokens of /rtas that name the EEH calls (absent: the call is unknown). */
static const char *const eeh_calls[4] = { "ibm,set-eeh-option", "ibm,read-slot-reset-state2",
					  "ibm,set-slot-reset", "ibm,configure-pe" };

/* Is @tok already a token of another call (DDW, or EEH before @upto)? */
static bool token_taken(const struct tce_machine *m, uint32_t tok, unsigned upto)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (m->rtas_token[i] == tok || (i < upto && m->eeh_token[i] == tok))
			return true;
	return false;
}

/* pseries: read the EEH tokens; each non-zero and unlike every other token. */
static int parse_eeh_tokens(struct tce_machine *m)
{
	int node = fdt_path_offset(m->fdt, "/rtas");
	const fdt32_t *p;
	unsigned i;
	int rc;

	for (i = 0; node >= 0 && i < 4; i++) {
		rc = exact(m, node, eeh_calls[i], 1, false, &p);
		if (rc)
			return rc;
		if (!p)
			continue;
		m->eeh_token[i] = fdt32_to_cpu(p[0]);
		if (!m->eeh_token[i] || token_taken(m, m->eeh_token[i], i))
			return dt_err(m, node, eeh_calls[i], "token 0x%x is 0 or names another call",
				      m->eeh_token[i]);
	}
	return 0;
}

int tce__dt_parse(struct tce_machine *m)
{
	struct phb_scan *s;
	uint32_t n, nfn;
	int rc;

	rc = check_header(m);
	if (rc)
		return rc;
	if (fdt_check_full(m->fdt, m->fdt_size))
		return dt_err(m, -1, "(blob)", "not a valid flattened device tree");
	rc = platform_of(m);
	if (!rc)
		rc = parse_memory(m);
	if (!rc)
		rc = count_phbs(m, &n, &nfn);
	if (rc)
		return rc;
	m->phbs = tce__calloc(m->ctx, n * sizeof(*m->phbs));
	m->nphbs_alloc = m->phbs ? n : 0;
	/* At least one slot: a PHB without functions is refused later, by name. */
	m->devs = tce__aligned_zalloc(m->ctx, (size_t)(nfn ? nfn : 1) * sizeof(*m->devs),
				      _Alignof(struct tce_pci_dev));
	m->ndevs_alloc = m->devs ? (nfn ? nfn : 1) : 0;
	s = tce__calloc(m->ctx, sizeof(*s));
	rc = m->phbs && m->devs && s ? parse_phbs(m, s) : -ENOMEM;
	tce__free(m->ctx, s, sizeof(*s));
	if (!rc && m->platform == TCE_PLATFORM_PSERIES)
		rc = check_liobns(m);
	if (!rc && m->platform == TCE_PLATFORM_PSERIES)
		rc = parse_eeh_tokens(m);
	return rc;
}
