/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reasons the VFIO layer gives for its refusals (TCE_LOG_NOTICE through
 * tce_ctx_set_log()): each refused request of a representative set logs
 * exactly one "vfio: " reason naming its values, with the errno unchanged;
 * a request that succeeds logs none; with the default level nothing reaches
 * the callback. The texts are the ones tce-run --explain prints.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include "harness.h"
#include "tt_vfio.h"

#define MiB (1ull << 20)

struct notes {
	unsigned n;       /* notices since the last forget() */
	unsigned other;   /* messages at other levels */
	char last[512];
};

struct fx {
	struct tt_vfio v;
	struct notes notes;
};

static void keep(void *arg, enum tce_log_level level, const char *msg)
{
	struct notes *n = arg;

	if (level != TCE_LOG_NOTICE) {
		n->other++;
		return;
	}
	n->n++;
	snprintf(n->last, sizeof(n->last), "%s", msg);
}

static int setup(struct fx *f, enum tce_platform p)
{
	memset(&f->notes, 0, sizeof(f->notes));
	if (tt_vfio_setup(&f->v, p, NULL))
		return -1;
	tce_ctx_set_log(tce_machine_ctx(f->v.o.m), keep, &f->notes, TCE_LOG_NOTICE);
	return 0;
}

static void teardown(struct fx *f)
{
	tce_ctx_set_log(tce_machine_ctx(f->v.o.m), NULL, NULL, TCE_LOG_WARN);
	tt_vfio_teardown(&f->v);
}

/* Forget the reasons logged so far: CHECK_WHY() sees only its own request's. */
static void forget(struct fx *f)
{
	f->notes.n = 0;
	f->notes.last[0] = 0;
}

/* The one reason logged since forget() ("" for none, "<n reasons>" for several). */
static const char *why(struct fx *f)
{
	static char many[512];

	if (f->notes.n > 1) {
		snprintf(many, sizeof(many), "<%u reasons>", f->notes.n);
		return many;
	}
	return f->notes.last;
}

#define CHECK_WHY(f, rc_expr, want_rc, want_why)                                            \
	do {                                                                                 \
		forget(f);                                                                   \
		CHECK_RC((rc_expr), (want_rc));                                              \
		if (strcmp(why(f), (want_why)))                                              \
			tt_fail(__FILE__, __LINE__, "reason \"%s\", want \"%s\"", why(f),    \
				(want_why));                                                 \
	} while (0)

/* A group's own refusals: a group fd as the container, devices left open at UNSET. */
static void group_reasons(void)
{
	int d1, d2;
	struct fx f;

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.gfd), -EINVAL,
		  "vfio: the fd is a group, not a container (open /dev/vfio/vfio)");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0, "");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU),
		  0, "");
	d1 = (int)tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	REQUIRE(d1 >= 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY,
		  "vfio: 1 device fd of the group is still open; close it first");
	d2 = (int)tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	REQUIRE(d2 >= 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY,
		  "vfio: 2 device fds of the group are still open; close them first");
	CHECK_RC(tce_vfio_close(f.v.mm, d1), 0);
	CHECK_RC(tce_vfio_close(f.v.mm, d2), 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), 0, "");
	teardown(&f);
}

/* The order of the calls: no type, no group, a type this host lacks. */
static void order(void)
{
	struct fx f;

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU,
				 (void *)VFIO_SPAPR_TCE_v2_IOMMU), -EINVAL,
		  "vfio: no group is set on this container; VFIO_GROUP_SET_CONTAINER must come "
		  "before VFIO_SET_IOMMU");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0, "");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0, 4096, VFIO_DMA_MAP_FLAG_READ), -EINVAL,
		  "vfio: no IOMMU type set on this container; VFIO_SET_IOMMU must follow "
		  "GROUP_SET_CONTAINER");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU,
				 (void *)VFIO_TYPE1v2_IOMMU), -ENODEV,
		  "vfio: type 3 (VFIO_TYPE1v2_IOMMU) is not offered: this POWER host has "
		  "VFIO_SPAPR_TCE_IOMMU (2) and VFIO_SPAPR_TCE_v2_IOMMU (7); tce-run --type1 "
		  "(TCE_VFIO_TYPE1) offers Type1");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU,
				 (void *)VFIO_SPAPR_TCE_IOMMU), -EPERM,
		  "vfio: PE 0 has dynamic DMA windows: this host takes VFIO_SPAPR_TCE_v2_IOMMU, "
		  "not v1");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0,
		  "");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0, 4096, VFIO_DMA_MAP_FLAG_READ), -EPERM,
		  "vfio: no memory is registered on this container yet; a v2 container maps only "
		  "after VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_ENABLE, NULL), -ENOTTY,
		  "vfio: the request is not one of VFIO_SPAPR_TCE_v2_IOMMU");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:07.0"), -ENODEV,
		  "vfio: \"0000:00:07.0\" is not a device of the group of PE 0 (names are "
		  "dddd:bb:dd.f in lower case)");
	CHECK_EQ(f.notes.other, 0);
	teardown(&f);
}

/* MAP and UNMAP: windows, alignment, registered memory, argsz. */
static void mapping(void)
{
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = 16,
						  .window_size = 1ull << 30, .levels = 2 };
	struct vfio_iommu_type1_dma_map shortm = { .argsz = 8 };
	char want[256];
	struct fx f;

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 8 * MiB), 0, "");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0x1000000000ull, 4096, VFIO_DMA_MAP_FLAG_READ), -ENXIO,
		  "vfio: iova 0x1000000000 is in no DMA window; the only window is [0, 2 GiB) "
		  "4 KiB pages");
	cr.page_shift = 13;
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), -EINVAL,
		  "vfio: page_shift 13 is not an IOMMU page size of PE 0 (it offers 4 KiB, "
		  "64 KiB, 2 MiB, 1 GiB)");
	cr.page_shift = 16;
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), 0, "");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0x1000000000ull, 4096, VFIO_DMA_MAP_FLAG_READ), -ENXIO,
		  "vfio: iova 0x1000000000 is in no DMA window; windows are [0, 2 GiB) 4 KiB pages "
		  "and [2^59, 2^59 + 1 GiB) 64 KiB pages");
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), -ENOSPC,
		  "vfio: both DMA window slots are in use; windows are [0, 2 GiB) 4 KiB pages and "
		  "[2^59, 2^59 + 1 GiB) 64 KiB pages");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, (1ull << 59) + 4096, 65536,
				  VFIO_DMA_MAP_FLAG_READ), -EINVAL,
		  "vfio: iova 0x800000000001000 is not a multiple of the 64 KiB IOMMU page of "
		  "window [2^59, 2^59 + 1 GiB) 64 KiB pages");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0, 4096, 4), -EINVAL,
		  "vfio: flags 0x4 has bits other than READ (1) and WRITE (2)");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0, 0, VFIO_DMA_MAP_FLAG_READ), -EINVAL,
		  "vfio: size is 0");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, (2ull << 30) - 4096, 8192,
				  VFIO_DMA_MAP_FLAG_READ), -EINVAL,
		  "vfio: [0x7ffff000, +8 KiB) runs past the end of window [0, 2 GiB) 4 KiB pages");
	snprintf(want, sizeof(want), "vfio: vaddr %#llx is in no registered memory; "
		 "VFIO_IOMMU_SPAPR_REGISTER_MEMORY must cover every page MAP_DMA maps",
		 (unsigned long long)(uintptr_t)f.v.arena + 8 * MiB);
	CHECK_WHY(&f, tt_vfio_map(&f.v, 8 * MiB - 4096, 0, 8192, VFIO_DMA_MAP_FLAG_READ), -EINVAL,
		  want);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_MAP_DMA, &shortm), -EINVAL,
		  "vfio: argsz 8 is below the 32 bytes of struct vfio_iommu_type1_dma_map this "
		  "request reads");
	CHECK_WHY(&f, tt_vfio_map(&f.v, 0, 0, 4096, VFIO_DMA_MAP_FLAG_READ), 0, "");
	snprintf(want, sizeof(want), "vfio: TCEs still map pages of [%#llx, +8 MiB); UNMAP_DMA "
		 "them first (the region is kept)", (unsigned long long)(uintptr_t)f.v.arena);
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, 0, 8 * MiB), -EBUSY,
		  want);
	snprintf(want, sizeof(want), "vfio: [%#llx, +8 MiB) is already registered on this "
		 "container", (unsigned long long)(uintptr_t)f.v.arena);
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 8 * MiB), -EBUSY,
		  want);
	CHECK_EQ(f.notes.other, 0);
	teardown(&f);
}

/* REGISTER_MEMORY's reasons: over the limit, memory not there, and memory failing. */
static void register_reasons(void)
{
	struct tce_vfio_mm_config mc = { .memlock_limit = 1 * MiB };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	uint8_t *none, *at;
	char want[256];
	struct fx f;

	memset(&f, 0, sizeof(f));
	REQUIRE(tt_vfio_boot(&f.v, TCE_PLATFORM_POWERNV, NULL, 0) == 0);
	REQUIRE(tt_vfio_new_mm(&f.v, &mc) == 0);
	REQUIRE(tt_vfio_open_files(&f.v) == 0);
	tce_ctx_set_log(tce_machine_ctx(f.v.o.m), keep, &f.notes, TCE_LOG_NOTICE);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 2 * MiB), -ENOMEM,
		  "vfio: registering 2 MiB would go over RLIMIT_MEMLOCK (1 MiB, 0 locked "
		  "already)");
	none = mmap(NULL, 2 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(none != MAP_FAILED);
	at = (uint8_t *)(((uintptr_t)none + 0xffff) & ~(uintptr_t)0xffff);
	reg.vaddr = (uintptr_t)at, reg.size = 64 * 1024;
	snprintf(want, sizeof(want), "vfio: [%#llx, +64 KiB) is not all mapped writable memory",
		 (unsigned long long)reg.vaddr);
	CHECK_WHY(&f, tt_vfio_io(&f.v, f.v.cfd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg), -EFAULT,
		  want);
	/* memory failing inside the limit: not the limit's reason */
	tce_ctx_set_fail_nth(tce_machine_ctx(f.v.o.m), 1);
	snprintf(want, sizeof(want), "vfio: registering [%#llx, +64 KiB) failed: %s",
		 (unsigned long long)(uintptr_t)f.v.arena, tce_strerror(-ENOMEM));
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 64 * 1024), -ENOMEM,
		  want);
	tce_ctx_set_fail_nth(tce_machine_ctx(f.v.o.m), 0);
	CHECK_WHY(&f, tt_vfio_reg(&f.v, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 64 * 1024), 0, "");
	munmap(none, 2 * MiB);
	teardown(&f);
}

/* EEH_PE_OP's reasons: none for a success (GET_STATE's NORMAL is 0), then each refusal's. */
static long pe_op(struct fx *f, uint32_t op, uint32_t type, uint32_t func)
{
	struct vfio_eeh_pe_op e = { .argsz = sizeof(e), .op = op,
				    .err = { .type = type, .func = func } };

	return tt_vfio_io(&f->v, f->v.cfd, VFIO_EEH_PE_OP, &e);
}

static void eeh_reasons(void)
{
	struct fx f;
	char want[160];

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	CHECK_WHY(&f, pe_op(&f, VFIO_EEH_PE_GET_STATE, 0, 0), VFIO_EEH_PE_STATE_NORMAL, "");
	CHECK_WHY(&f, pe_op(&f, VFIO_EEH_PE_ENABLE, 0, 0), 0, "");
	CHECK_WHY(&f, pe_op(&f, VFIO_EEH_PE_INJECT_ERR, 99, 0), -EINVAL,
		  "vfio: error type 99 or function 0 is out of range");
	CHECK_WHY(&f, pe_op(&f, 77, 0, 0), -EINVAL, "vfio: op 77 is no VFIO_EEH_PE_* operation");
	teardown(&f);

	REQUIRE(setup(&f, TCE_PLATFORM_PSERIES) == 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	snprintf(want, sizeof(want), "vfio: pseries firmware injects only MMIO errors (functions "
		 "0, 1, 6 and 7), not function %u", 2u);
	CHECK_WHY(&f, pe_op(&f, VFIO_EEH_PE_INJECT_ERR, 0, 2), -ERANGE, want);
	teardown(&f);
}

/* SET_IRQS of an action vfio-pci has but the emulation does not: ENOTTY, with its reason. */
static void irq_reasons(void)
{
	struct vfio_irq_set mask = { .argsz = sizeof(mask), .index = VFIO_PCI_MSIX_IRQ_INDEX,
				     .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
				     .start = 0, .count = 1 };
	struct fx f;
	int dev;

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_v2_IOMMU), 0);
	dev = (int)tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	REQUIRE(dev >= 0);
	CHECK_WHY(&f, tt_vfio_io(&f.v, dev, VFIO_DEVICE_SET_IRQS, &mask), -ENOTTY,
		  "vfio: only ACTION_TRIGGER of MSI-X, ERR and REQ is emulated (index 2, flags "
		  "0x9)");
	CHECK_RC(tce_vfio_close(f.v.mm, dev), 0);
	teardown(&f);
}

/* The default level takes no notice, and the errno is the same either way. */
static void silent(void)
{
	struct fx f;

	REQUIRE(setup(&f, TCE_PLATFORM_POWERNV) == 0);
	tce_ctx_set_log(tce_machine_ctx(f.v.o.m), keep, &f.notes, TCE_LOG_WARN);
	CHECK_RC(tt_vfio_io(&f.v, f.v.gfd, VFIO_GROUP_SET_CONTAINER, &f.v.cfd), 0);
	CHECK_RC(tt_vfio_map(&f.v, 0, 0, 4096, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	CHECK_RC(tt_vfio_io(&f.v, f.v.cfd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), -ENODEV);
	CHECK_EQ(f.notes.n, 0);
	CHECK_EQ(f.notes.other, 0);
	teardown(&f);
}

static const struct tt_case cases[] = {
	TT_CASE(order),
	TT_CASE(group_reasons),
	TT_CASE(mapping),
	TT_CASE(silent),
	TT_CASE(register_reasons),
	TT_CASE(eeh_reasons),
	TT_CASE(irq_reasons),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
