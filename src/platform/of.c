/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OS's reading of the device tree, as Linux's of/pci code does it:
 * PHBs and their PCI functions, the PE of each function, the node that
 * holds a PE's ibm,dma-window (the function's own, else the PHB's: Linux
 * pci_dma_find) and the DDW properties on that same node, the PHB's 32-bit
 * MMIO range from its ranges, and the RAM the memory nodes describe. The
 * machine validated the tree's shape; this reader still refuses what it
 * cannot use with -EINVAL. Layer: platform (libfdt, no hw internals).
 */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "platform/platform.h"
#include "util/arith.h"

#define OF_MAX_FNS 4096

struct of_ctx {
	const void *fdt;
	struct tce__of *of;
	struct tce_ctx *ctx;
	uint32_t pes_alloc, fns_alloc;
};

static uint32_t cell(const void *p, unsigned i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t cells64(const void *p, unsigned i, unsigned n)
{
	return n == 2 ? (uint64_t)cell(p, i) << 32 | cell(p, i + 1) : cell(p, i);
}

/* A one-cell property, or @def. */
static uint32_t prop_u32(const void *fdt, int node, const char *name, uint32_t def)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 4 ? cell(p, 0) : def;
}

/* A two-cell property, or @def. */
static uint64_t prop_u64(const void *fdt, int node, const char *name, uint64_t def)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 8 ? cells64(p, 0, 2) : def;
}

static bool type_is(const void *fdt, int node, const char *want)
{
	int len;
	const char *t = fdt_getprop(fdt, node, "device_type", &len);

	return t && len == (int)strlen(want) + 1 && !memcmp(t, want, (size_t)len);
}

/* RAM: the sum of the memory nodes' ranges (the DDW direct mapping covers their end). */
static void scan_memory(struct of_ctx *c)
{
	int node = -1, len;
	uint32_t ac = prop_u32(c->fdt, 0, "#address-cells", 2), sc = prop_u32(c->fdt, 0, "#size-cells", 2);
	const void *reg;
	uint64_t end;

	while ((node = fdt_node_offset_by_prop_value(c->fdt, node, "device_type", "memory", 7)) >= 0) {
		reg = fdt_getprop(c->fdt, node, "reg", &len);
		if (!reg || (ac != 1 && ac != 2) || (sc != 1 && sc != 2) || len < (int)(4 * (ac + sc)))
			continue;
		if (!tce__add_overflows(cells64(reg, 0, ac), cells64(reg, ac, sc), &end) &&
		    end > c->of->ram_size)
			c->of->ram_size = end;
	}
}

/* The PHB's 32-bit memory space range (phys.hi space code 2) on the bus. */
static void mmio32(const void *fdt, int phb, struct tce__pe_desc *pe)
{
	uint32_t pac = 3, psc = 2, ac = prop_u32(fdt, 0, "#address-cells", 2), i, stride;
	int len;
	const void *r = fdt_getprop(fdt, phb, "ranges", &len);

	stride = pac + ac + psc;
	if (!r || (ac != 1 && ac != 2) || len <= 0 || len % (int)(4 * stride))
		return;
	for (i = 0; i + stride <= (uint32_t)len / 4; i += stride) {
		if (((cell(r, i) >> 24) & 3) != 2)
			continue;
		pe->mmio32_start = cells64(r, i + 1, 2);
		pe->mmio32_size = cells64(r, i + pac + ac, 2);
		return;
	}
}

/* ibm,dma-window of @node: LIOBN, bus, size (cell counts from the PHB). */
static int dma_window(const void *fdt, int phb, int node, struct tce__pe_desc *pe)
{
	uint32_t ac = prop_u32(fdt, phb, "ibm,#dma-address-cells", 2);
	uint32_t sc = prop_u32(fdt, phb, "ibm,#dma-size-cells", 2);
	int len;
	const void *p = fdt_getprop(fdt, node, "ibm,dma-window", &len);

	if (!p || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len != (int)(4 * (1 + ac + sc)))
		return -EINVAL;
	pe->def_liobn = cell(p, 0);
	pe->def_bus = cells64(p, 1, ac);
	pe->def_size = cells64(p, 1 + ac, sc);
	return 0;
}

/* ibm,ddw-applicable and ibm,ddw-extensions of the window's node. */
static void ddw_props(const void *fdt, int node, struct tce__pe_desc *pe)
{
	int len, i;
	const void *p = fdt_getprop(fdt, node, "ibm,ddw-applicable", &len);

	if (!p || len != 12)
		return;
	pe->ddw = true;
	for (i = 0; i < 3; i++)
		pe->tok[i] = cell(p, (unsigned)i);
	p = fdt_getprop(fdt, node, "ibm,ddw-extensions", &len);
	if (!p || len < 8 || cell(p, 0) > (uint32_t)len / 4 - 1)
		return;
	pe->tok[TCE_DDW_RESET] = cell(p, 1);
	pe->query6 = cell(p, 0) >= 2 && len >= 12 && cell(p, 2) == 1;
}

/* The EEH tokens /rtas names (Linux's rtas_function_token()). */
static void eeh_tokens(const void *fdt, struct tce__pe_desc *pe)
{
	static const char *const name[TCE_EEH_NCALLS] = {
		"ibm,set-eeh-option", "ibm,read-slot-reset-state2", "ibm,set-slot-reset",
		"ibm,configure-pe" };
	int rtas = fdt_path_offset(fdt, "/rtas"), i;

	for (i = 0; rtas >= 0 && i < TCE_EEH_NCALLS; i++)
		pe->eeh_tok[i] = prop_u32(fdt, rtas, name[i], 0);
}

static void pseries_pe(const void *fdt, int phb, int fn, struct tce__pe_desc *pe)
{
	int win = fdt_getprop(fdt, fn, "ibm,dma-window", NULL) ? fn : phb;
	int len;
	const void *reg = fdt_getprop(fdt, phb, "reg", &len);
	uint32_t ac = prop_u32(fdt, 0, "#address-cells", 2);

	pe->buid = reg && (ac == 1 || ac == 2) && len >= (int)(4 * ac) ? cells64(reg, 0, ac) : 0;
	if (dma_window(fdt, phb, win, pe))
		pe->def_size = 0;
	ddw_props(fdt, win, pe);
	eeh_tokens(fdt, pe);
}

static void powernv_pe(const void *fdt, int phb, int fn, struct tce__pe_desc *pe)
{
	int len, i;
	const void *p = fdt_getprop(fdt, phb, "ibm,supported-tce-sizes", &len);

	pe->buid = prop_u64(fdt, phb, "ibm,opal-phbid", 0);
	pe->page_mask = p ? 0 : (1ULL << 12 | 1ULL << 16);
	for (i = 0; p && i < len / 4; i++)
		if (cell(p, (unsigned)i) >= TCE_PAGE_SHIFT_MIN && cell(p, (unsigned)i) <= TCE_PAGE_SHIFT_MAX)
			pe->page_mask |= 1ULL << cell(p, (unsigned)i);
	pe->max_levels = prop_u32(fdt, phb, "libtce,max-levels", TCE_LEVELS_MAX);
	pe->def_size = prop_u64(fdt, fn, "libtce,dma32-size",
				prop_u64(fdt, phb, "libtce,dma32-size", 0x80000000ULL));
}

static struct tce__pe_desc *find_pe(struct tce__of *of, uint32_t phb, uint32_t pe)
{
	uint32_t i;

	for (i = 0; i < of->npes; i++)
		if (of->pes[i].phb == phb && of->pes[i].pe == pe)
			return &of->pes[i];
	return NULL;
}

/* Grow an array of @size-byte elements through the context. */
static int grow(struct tce_ctx *ctx, void **arr, uint32_t *alloc, uint32_t n, size_t size)
{
	uint32_t want = *alloc ? *alloc * 2 : 8;
	void *p;

	if (n < *alloc)
		return 0;
	if (n >= OF_MAX_FNS)
		return -EINVAL;
	p = tce__calloc(ctx, want * size);
	if (!p)
		return -ENOMEM;
	if (*arr)
		memcpy(p, *arr, n * size);
	tce__free(ctx, *arr, *alloc * size);
	*arr = p;
	*alloc = want;
	return 0;
}

static int add_pe(struct of_ctx *c, uint32_t phb_idx, int phb, int fn, uint32_t num,
		  uint32_t cfg)
{
	struct tce__pe_desc *pe;
	int rc = grow(c->ctx, (void **)&c->of->pes, &c->pes_alloc, c->of->npes, sizeof(*pe));

	if (rc)
		return rc;
	pe = &c->of->pes[c->of->npes++];
	*pe = (struct tce__pe_desc){ .phb = phb_idx, .pe = num, .cfg_addr = cfg,
				     .nslots = fdt_getprop(c->fdt, fn, "libtce,sriov-vf", NULL) ? 1
											: TCE_MAX_WINDOWS };
	mmio32(c->fdt, phb, pe);
	if (c->of->platform == TCE_PLATFORM_PSERIES)
		pseries_pe(c->fdt, phb, fn, pe);
	else
		powernv_pe(c->fdt, phb, fn, pe);
	return pe->def_size ? 0 : -EINVAL;
}

static int scan_fn(struct of_ctx *c, uint32_t phb_idx, int phb, int fn)
{
	int len, rc;
	const void *reg = fdt_getprop(c->fdt, fn, "reg", &len);
	uint32_t hi, num = prop_u32(c->fdt, fn, "libtce,pe", 0);
	struct tce__fn_desc *f;

	if (!reg || len < 20)
		return -EINVAL;
	hi = cell(reg, 0);
	if (!find_pe(c->of, phb_idx, num) && (rc = add_pe(c, phb_idx, phb, fn, num, hi & 0xffff00)))
		return rc;
	rc = grow(c->ctx, (void **)&c->of->fns, &c->fns_alloc, c->of->nfns, sizeof(*f));
	if (rc)
		return rc;
	f = &c->of->fns[c->of->nfns++];
	*f = (struct tce__fn_desc){ .phb = phb_idx, .pe = num, .bus = (uint8_t)(hi >> 16),
				    .devfn = (uint8_t)(hi >> 8) };
	return 0;
}

static int scan_phbs(struct of_ctx *c)
{
	const char *want = c->of->platform == TCE_PLATFORM_PSERIES ? "pci" : "pciex";
	uint32_t idx = 0;
	int phb, fn, rc;

	fdt_for_each_subnode(phb, c->fdt, 0) {
		if (!type_is(c->fdt, phb, want))
			continue;
		fdt_for_each_subnode(fn, c->fdt, phb) {
			rc = scan_fn(c, idx, phb, fn);
			if (rc)
				return rc;
		}
		idx++;
	}
	return c->of->npes ? 0 : -EINVAL;
}

int tce__of_scan(struct tce_machine *m, struct tce__of *out)
{
	struct of_ctx c = { .fdt = tce_machine_fdt(m), .of = out, .ctx = tce_machine_ctx(m) };
	int rc;

	*out = (struct tce__of){ .platform = tce_machine_platform(m) };
	scan_memory(&c);
	rc = scan_phbs(&c);
	if (rc) {
		tce__free(c.ctx, out->pes, c.pes_alloc * sizeof(*out->pes));
		tce__free(c.ctx, out->fns, c.fns_alloc * sizeof(*out->fns));
		*out = (struct tce__of){ 0 };
		return rc;
	}
	out->pes_alloc = c.pes_alloc;
	out->fns_alloc = c.fns_alloc;
	return 0;
}

void tce__of_free(struct tce_ctx *ctx, struct tce__of *of)
{
	tce__free(ctx, of->pes, of->pes_alloc * sizeof(*of->pes));
	tce__free(ctx, of->fns, of->fns_alloc * sizeof(*of->fns));
	*of = (struct tce__of){ 0 };
}
