/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain tests' helpers (tt_domain.h). */
#include <string.h>
#include <sys/mman.h>

#include <tce/abi.h>

#include "harness.h"
#include "tt_domain.h"

struct tce_domain_config tt_dom_config(void)
{
	return (struct tce_domain_config){ .win = { { .size = 1ull << 30, .page_shift = 12 },
						    { .size = 1ull << 30, .page_shift = 16 } } };
}

static int add_arena(struct tt_dom *f)
{
	size_t len = TT_DOM_ARENA + (2u << 20);
	struct tce_mem_region r;
	uint64_t before;

	f->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->map == MAP_FAILED)
		return -1;
	f->arena = (uint8_t *)(((uint64_t)f->map + (2u << 20) - 1) & ~((2ull << 20) - 1));
	r = (struct tce_mem_region){ .real_start = (uint64_t)f->arena, .size = TT_DOM_ARENA,
				     .page_shift = 16 };
	before = tt_live(f->o.m);
	if (tce_machine_add_region(f->o.m, &r))
		return -1;
	f->o.live_before += tt_live(f->o.m) - before; /* the region table stays */
	return 0;
}

int tt_dom_setup(struct tt_dom *f, enum tce_platform p, const struct tce_domain_config *cfg,
		 bool attach)
{
	struct tce_domain_config def = tt_dom_config();
	int rc;

	memset(f, 0, sizeof(*f));
	rc = tt_os_boot(&f->o, p);
	if (rc)
		return rc;
	f->g = tce_device_group(f->o.a);
	if (add_arena(f))
		return -1;
	rc = tce_domain_create(tce_machine_ctx(f->o.m), cfg ? cfg : &def, &f->d);
	if (!rc && attach)
		rc = tce_domain_attach(f->d, f->g);
	return rc;
}

void tt_dom_teardown(struct tt_dom *f)
{
	tce_domain_destroy(f->d);
	if (f->o.h)
		tt_os_shutdown(&f->o);
	if (f->map && f->map != MAP_FAILED)
		munmap(f->map, TT_DOM_ARENA + (2u << 20));
}

int tt_dom_tce(struct tce_group *g, uint32_t slot, uint64_t iova, uint64_t *tce)
{
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t;
	int rc = tce_group_get_table(g, slot, &t);

	if (rc)
		return rc;
	tce_iommu_table_info(t, &ti);
	rc = tce_iommu_table_get(t, iova >> ti.page_shift, tce);
	tce_iommu_table_put(t);
	return rc;
}

void tt_dom_enable_dma(struct tce_device *d)
{
	tce_dev_config_write(tce_device_pci(d), TCE_PCI_COMMAND, 2,
			     TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
}
