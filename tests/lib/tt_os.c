/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OS-side test helpers (tt_os.h). */
#include <libfdt.h>
#include <string.h>

#include "harness.h"
#include "tt_os.h"

int tt_dma_roundtrip(struct tce_device *d, uint64_t iova, const uint8_t *mem, uint64_t seed)
{
	struct tce_pci_dev *pci = tce_device_pci(d);
	uint8_t in[16], back[16];
	unsigned i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(seed * 31 + i);
	if (tce_dev_dma_write(pci, iova, in, sizeof(in)) || memcmp(mem, in, sizeof(in)))
		return -1;
	if (tce_dev_dma_read(pci, iova, back, sizeof(back)) || memcmp(back, in, sizeof(in)))
		return -1;
	return 0;
}

uint64_t tt_live(struct tce_machine *m)
{
	struct tce_mem_stats ms;

	tce_ctx_mem_stats(tce_machine_ctx(m), &ms);
	return ms.live_allocs;
}

/* A host with @cfg (NULL: tce_host_create()'s defaults) on @m, and its two devices. */
static int boot_host(struct tt_os *o, struct tce_machine *m, const struct tce_host_config *cfg)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->m = m;
	o->live_before = tt_live(m);
	rc = cfg ? tce_host_create_config(m, cfg, &o->h) : tce_host_create(m, &o->h);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:01.0", &o->a);
	if (!rc)
		rc = tce_host_find_device(o->h, "0000:00:02.0", &o->b);
	return rc;
}

int tt_os_boot_from(struct tt_os *o, struct tce_machine *m)
{
	return boot_host(o, m, NULL);
}

int tt_os_boot_config(struct tt_os *o, enum tce_platform p, const struct tce_host_config *cfg)
{
	struct tce_machine *m;
	int rc = tce_machine_create_default(p, &m);

	if (rc) {
		memset(o, 0, sizeof(*o));
		return rc;
	}
	return boot_host(o, m, cfg);
}

int tt_os_boot(struct tt_os *o, enum tce_platform p)
{
	return tt_os_boot_config(o, p, NULL);
}

void tt_os_shutdown(struct tt_os *o)
{
	tce_host_destroy(o->h);
	CHECK_EQ(tt_live(o->m), o->live_before);
	tce_machine_destroy(o->m);
}

void tt_os_kernel_copy(struct tt_os *o, struct tce_device *d, size_t len)
{
	struct tce_pci_dev *pci = tce_device_pci(d);
	uint64_t src, dst, bsrc, bdst, st = 0;
	uint8_t *ps, *pd;
	size_t i;

	REQUIRE(tce_host_alloc(o->h, len, &src, (void **)&ps) == 0);
	REQUIRE(tce_host_alloc(o->h, len, &dst, (void **)&pd) == 0);
	for (i = 0; i < len; i++)
		ps[i] = (uint8_t)(i * 13 + 1), pd[i] = 0;
	CHECK_RC(tce_device_map_page(d, src, len, TCE_DIR_TO_DEVICE, &bsrc), 0);
	CHECK_RC(tce_device_map_page(d, dst, len, TCE_DIR_FROM_DEVICE, &bdst), 0);
	tce_dev_config_write(pci, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_SRC, 8, bsrc);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_DST, 8, bdst);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_LEN, 8, len);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	tce_dev_bar_read(pci, 0, TCE_DT_REG_STATUS, 4, &st);
	CHECK_EQ(st, TCE_DT_STATUS_DONE);
	CHECK(!memcmp(ps, pd, len));
	CHECK_RC(tce_device_unmap_page(d, bsrc, len), 0);
	CHECK_RC(tce_device_unmap_page(d, bdst, len), 0);
	CHECK_RC(tce_host_free(o->h, src, len), 0);
	CHECK_RC(tce_host_free(o->h, dst, len), 0);
}

int tt_edit_tree(enum tce_platform p, void *blob, int size)
{
	struct tce_machine *ref;
	int rc = tce_machine_create_default(p, &ref);

	if (rc)
		return rc;
	rc = fdt_open_into(tce_machine_fdt(ref), blob, size);
	tce_machine_destroy(ref);
	return rc;
}
