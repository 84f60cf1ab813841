/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/OAT test machine (tt_ioat.h): the built-in pseries tree and its
 * "ioat" function (PE 2), the function's libtce,dma-fault changed on
 * request, its window span mapped by H_PUT_TCE, and register,
 * descriptor and wait helpers over the public API.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <libfdt.h>

#include "tt_ioat.h"
#include "tt_os.h"

#define IOAT_NODE "/pci@800000020000000/ioat@3"

/* The built-in pseries tree into @blob, its ioat function's libtce,dma-fault @dma_fault or none. */
static int ioat_tree(void *blob, int size, const char *dma_fault)
{
	int node, rc = tt_edit_tree(TCE_PLATFORM_PSERIES, blob, size);

	node = rc ? -1 : fdt_path_offset(blob, IOAT_NODE);
	if (node < 0)
		return -EINVAL;
	rc = dma_fault ? fdt_setprop_string(blob, node, "libtce,dma-fault", dma_fault) :
			 fdt_delprop(blob, node, "libtce,dma-fault");
	return rc ? -EINVAL : 0;
}

static int map_span(struct tce_machine *m)
{
	uint64_t bus, a[9];

	for (bus = TT_IOAT_BASE; bus < TT_IOAT_BASE + TT_IOAT_SPAN; bus += 4096) {
		a[0] = TT_IOAT_LIOBN, a[1] = bus, a[2] = bus | TCE_PCI_READ | TCE_PCI_WRITE;
		if (tce_hv_hcall(m, TCE_H_PUT_TCE, a) != TCE_H_SUCCESS)
			return -EIO;
	}
	return 0;
}

static char blob[1 << 17];

static int create_from(struct tce_ctx *ctx, struct tce_machine **m)
{
	struct tce_machine_config cfg = { .ctx = ctx, .dtb = blob,
					  .dtb_size = fdt_totalsize(blob) };

	return tce_machine_create(&cfg, m);
}

int tt_ioat_create_as(struct tce_ctx *ctx, const char *dma_fault, struct tce_machine **m)
{
	int rc = ioat_tree(blob, sizeof(blob), dma_fault);

	return rc ? rc : create_from(ctx, m);
}

int tt_ioat_create(struct tce_ctx *ctx, struct tce_machine **m)
{
	return tt_edit_tree(TCE_PLATFORM_PSERIES, blob, sizeof(blob)) ? -EINVAL :
									 create_from(ctx, m);
}

/* Find the channel, map the span; on failure the machine is destroyed. */
static int ioat_ready(struct tt_ioat *t, int rc)
{
	if (!rc)
		rc = tce_machine_find_device(t->m, TT_IOAT_NAME, &t->d);
	if (!rc)
		rc = map_span(t->m);
	t->mem = rc ? NULL : tce_machine_ram_ptr(t->m, TT_IOAT_BASE, TT_IOAT_SPAN);
	if (!rc && !t->mem)
		rc = -EFAULT;
	if (rc) {
		tce_machine_destroy(t->m);
		t->m = NULL;
	}
	return rc;
}

int tt_ioat_open(struct tt_ioat *t, struct tce_ctx *ctx)
{
	memset(t, 0, sizeof(*t));
	return ioat_ready(t, tt_ioat_create(ctx, &t->m));
}

int tt_ioat_open_as(struct tt_ioat *t, struct tce_ctx *ctx, const char *dma_fault)
{
	memset(t, 0, sizeof(*t));
	return ioat_ready(t, tt_ioat_create_as(ctx, dma_fault, &t->m));
}

void tt_ioat_close(struct tt_ioat *t)
{
	tce_machine_destroy(t->m);
	t->m = NULL;
}

uint64_t tt_ioat_rd(struct tt_ioat *t, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	return tce_dev_bar_read(t->d, 0, off, size, &v) ? 0 : v;
}

int tt_ioat_wr(struct tt_ioat *t, uint64_t off, unsigned size, uint64_t val)
{
	return tce_dev_bar_write(t->d, 0, off, size, val);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

void tt_ioat_desc(struct tt_ioat *t, unsigned i, uint32_t size, uint32_t ctl, uint64_t src,
		  uint64_t dst, uint64_t next)
{
	uint64_t at = TT_IOAT_RING + (uint64_t)i * TCE_IOAT_DESC_SIZE;
	uint8_t *p = tt_ioat_ptr(t, at);

	memset(p, 0, TCE_IOAT_DESC_SIZE);
	put_le32(p + TCE_IOAT_DESC_OFF_SIZE, size);
	put_le32(p + TCE_IOAT_DESC_OFF_CTL, ctl);
	put_le64(p + TCE_IOAT_DESC_OFF_SRC, src);
	put_le64(p + TCE_IOAT_DESC_OFF_DST, dst);
	put_le64(p + TCE_IOAT_DESC_OFF_NEXT, next ? next : at + TCE_IOAT_DESC_SIZE);
}

uint64_t tt_ioat_status(struct tt_ioat *t)
{
	return le64toh(__atomic_load_n((uint64_t *)tt_ioat_ptr(t, TT_IOAT_STATUS),
				       __ATOMIC_ACQUIRE));
}

int tt_ioat_start(struct tt_ioat *t, uint64_t chain)
{
	int rc = tce_dev_config_write(t->d, TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);

	if (!rc)
		rc = tt_ioat_wr(t, TCE_IOAT_REG_CHANCMD, 1, TCE_IOAT_CHANCMD_RESET);
	if (!rc && !tt_ioat_wait_cmd(t))
		rc = -ETIMEDOUT;
	if (!rc)
		rc = tt_ioat_wr(t, TCE_IOAT_REG_CHANCTRL, 2, TCE_IOAT_CHANCTRL_ANY_ERR_ABORT_EN |
				TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN);
	if (!rc)
		rc = tt_ioat_wr(t, TCE_IOAT_REG_CHANCMP, 8, TT_IOAT_STATUS);
	if (!rc)
		rc = tt_ioat_wr(t, TCE_IOAT_REG_CHAINADDR, 8, chain ? chain : TT_IOAT_RING);
	return rc;
}

bool tt_ioat_wait_state(struct tt_ioat *t, uint64_t state)
{
	TT_WAIT_FOR((tt_ioat_rd(t, TCE_IOAT_REG_CHANSTS, 8) & TCE_IOAT_CHANSTS_STATE) == state);
	return (tt_ioat_rd(t, TCE_IOAT_REG_CHANSTS, 8) & TCE_IOAT_CHANSTS_STATE) == state;
}

bool tt_ioat_wait_cmd(struct tt_ioat *t)
{
	TT_WAIT_FOR(tt_ioat_rd(t, TCE_IOAT_REG_CHANCMD, 1) == 0);
	return tt_ioat_rd(t, TCE_IOAT_REG_CHANCMD, 1) == 0;
}
