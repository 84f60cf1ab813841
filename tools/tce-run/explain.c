/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --explain and the log: every refused ioctl as "REQUEST: ERRNO: reason"
 * (the reason the library logged at TCE_LOG_NOTICE on this thread during
 * the call, or one the shim knows when it refused the call itself), and
 * every fault of the machine as "DMA write fault at bus 0x...: why; PE N
 * frozen" from its fault callback. Also counts DMA faults and EEH
 * operations for --stats. Front end: the public header and shim.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio.h>

#include "shim.h"

/* The reason the library gave during the current ioctl of this thread ("" for none). */
static __thread char reason[512];

void shim_notice(const char *msg)
{
	if (!strncmp(msg, "vfio: ", 6))
		msg += 6;
	snprintf(reason, sizeof(reason), "%s", msg);
}

/* ---- request names: the kernel's, less "VFIO_" and "VFIO_IOMMU_"; numbers overlap by kind ---- */

struct req_name {
	unsigned long req;
	const char *name;
};

static const struct req_name container_reqs[] = {
	{ VFIO_GET_API_VERSION, "GET_API_VERSION" },
	{ VFIO_CHECK_EXTENSION, "CHECK_EXTENSION" },
	{ VFIO_SET_IOMMU, "SET_IOMMU" },
	{ VFIO_IOMMU_SPAPR_TCE_GET_INFO, "SPAPR_TCE_GET_INFO" },
	{ VFIO_IOMMU_MAP_DMA, "MAP_DMA" },
	{ VFIO_IOMMU_UNMAP_DMA, "UNMAP_DMA" },
	{ VFIO_IOMMU_ENABLE, "ENABLE" },
	{ VFIO_IOMMU_DISABLE, "DISABLE" },
	{ VFIO_IOMMU_SPAPR_REGISTER_MEMORY, "SPAPR_REGISTER_MEMORY" },
	{ VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, "SPAPR_UNREGISTER_MEMORY" },
	{ VFIO_IOMMU_SPAPR_TCE_CREATE, "SPAPR_TCE_CREATE" },
	{ VFIO_IOMMU_SPAPR_TCE_REMOVE, "SPAPR_TCE_REMOVE" },
	{ VFIO_EEH_PE_OP, "EEH_PE_OP" },
	{ VFIO_IOMMU_DIRTY_PAGES, "DIRTY_PAGES" },
	{ 0, NULL },
};

static const struct req_name group_reqs[] = {
	{ VFIO_GROUP_GET_STATUS, "GROUP_GET_STATUS" },
	{ VFIO_GROUP_SET_CONTAINER, "GROUP_SET_CONTAINER" },
	{ VFIO_GROUP_UNSET_CONTAINER, "GROUP_UNSET_CONTAINER" },
	{ VFIO_GROUP_GET_DEVICE_FD, "GROUP_GET_DEVICE_FD" },
	{ 0, NULL },
};

static const struct req_name device_reqs[] = {
	{ VFIO_DEVICE_GET_INFO, "DEVICE_GET_INFO" },
	{ VFIO_DEVICE_GET_REGION_INFO, "DEVICE_GET_REGION_INFO" },
	{ VFIO_DEVICE_GET_IRQ_INFO, "DEVICE_GET_IRQ_INFO" },
	{ VFIO_DEVICE_SET_IRQS, "DEVICE_SET_IRQS" },
	{ VFIO_DEVICE_RESET, "DEVICE_RESET" },
	{ VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "DEVICE_GET_PCI_HOT_RESET_INFO" },
	{ VFIO_DEVICE_PCI_HOT_RESET, "DEVICE_PCI_HOT_RESET" },
	{ VFIO_DEVICE_IOEVENTFD, "DEVICE_IOEVENTFD" },
	{ VFIO_DEVICE_FEATURE, "DEVICE_FEATURE" },
	{ 0, NULL },
};

/* The request's name on an fd of @kind, or NULL. */
const char *shim_request_name(int kind, unsigned long req)
{
	const struct req_name *t = kind == TCE_VFIO_CONTAINER ? container_reqs :
				   kind == TCE_VFIO_GROUP ? group_reqs : device_reqs;

	for (; t->name; t++)
		if (t->req == (uint32_t)req)
			return t->name;
	return NULL;
}

/* What the shim itself refused (the library never saw the call, or saw NULL). */
static const char *shim_reason(long rc)
{
	switch (rc) {
	case -EFAULT:
		return "the argument points at memory this process cannot read or write";
	case -EBADF:
		return "the fd passed is not open";
	default:
		return tce_strerror((int)rc);
	}
}

void shim_ioctl_done(int kind, unsigned long req, long rc)
{
	const char *name = shim_request_name(kind, req);
	char unknown[32];

	if (kind == TCE_VFIO_CONTAINER && (uint32_t)req == VFIO_EEH_PE_OP && rc >= 0)
		shim_count(ST_EEH, 1);
	if (rc < 0) {
		if (!name) {
			snprintf(unknown, sizeof(unknown), "ioctl %#lx", req);
			name = unknown;
		}
		shim_explain("%s: %s: %s", name, tce_err_name((int)rc),
			     reason[0] ? reason : shim_reason(rc));
	}
	reason[0] = 0;
}

/* ---- faults ---- */

/* "4 KiB", "2 GiB"; hex when not a whole unit. */
static void size_text(uint64_t v, char *buf, size_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = -1;

	while (u < 5 && v && !(v & 1023))
		v >>= 10, u++;
	if (u < 0)
		snprintf(buf, n, "%#" PRIx64, v);
	else
		snprintf(buf, n, "%" PRIu64 " %s", v, unit[u]);
}

/* "[0, 2 GiB) 4 KiB pages", "[2^59, 2^59 + 1 GiB) 64 KiB pages". */
static void window_text(const struct tce_window_info *w, char *buf, size_t n)
{
	char size[24], page[24];

	size_text(w->size, size, sizeof(size));
	size_text(1ull << w->page_shift, page, sizeof(page));
	if (w->real_mode)
		snprintf(buf, n, "[%#" PRIx64 ", +%s) bypass", w->bus_start, size);
	else if (!w->bus_start)
		snprintf(buf, n, "[0, %s) %s pages", size, page);
	else if (!(w->bus_start & (w->bus_start - 1)))
		snprintf(buf, n, "[2^%d, 2^%d + %s) %s pages", __builtin_ctzll(w->bus_start),
			 __builtin_ctzll(w->bus_start), size, page);
	else
		snprintf(buf, n, "[%#" PRIx64 ", +%s) %s pages", w->bus_start, size, page);
}

static void windows_text(const struct tce_fault_event *ev, char *buf, size_t n)
{
	char one[96];
	size_t len = 0;
	unsigned i, k = 0;

	buf[0] = 0;
	for (i = 0; i < ev->nslots && i < TCE_MAX_WINDOWS; i++) {
		if (!ev->slot[i].enabled)
			continue;
		window_text(&ev->slot[i], one, sizeof(one));
		len += (size_t)snprintf(buf + len, n - len, "%s%s", k++ ? " and " : "", one);
		if (len >= n)
			return;
	}
	if (!k)
		snprintf(buf, n, "none");
}

static void fault_why(const struct tce_fault_event *ev, char *buf, size_t n)
{
	char wins[240];
	uint64_t perm = ev->tce & (TCE_PCI_READ | TCE_PCI_WRITE);

	switch (ev->fault.reason) {
	case TCE_FAULT_NO_WINDOW:
		windows_text(ev, wins, sizeof(wins));
		snprintf(buf, n, "no DMA window; windows are %s", wins);
		break;
	case TCE_FAULT_NO_TCE:
		snprintf(buf, n, "the TCE is empty (nothing is mapped there)");
		break;
	case TCE_FAULT_PERMISSION:
		snprintf(buf, n, "TCE allows %s", perm == TCE_PCI_READ ? "READ only" :
			 perm == TCE_PCI_WRITE ? "WRITE only" : "neither READ nor WRITE");
		break;
	case TCE_FAULT_BAD_REAL:
		snprintf(buf, n, "the TCE points at real address %#" PRIx64 ", in no memory",
			 ev->real_addr);
		break;
	case TCE_FAULT_INJECTED:
		snprintf(buf, n, "an injected error matched (VFIO_EEH_PE_INJECT_ERR)");
		break;
	case TCE_FAULT_MASTER_ABORT:
		snprintf(buf, n, "master abort: the function's memory decode is off");
		break;
	default:
		snprintf(buf, n, "reason %d", (int)ev->fault.reason);
		break;
	}
}

void shim_fault(void *arg, const struct tce_fault_event *ev)
{
	char why[320];

	(void)arg;
	shim_bars_fault(ev->phb, ev->pe); /* loads through its BAR mappings read all ones now */
	if (ev->dma)
		shim_count(ST_DMA_FAULTS, 1);
	fault_why(ev, why, sizeof(why));
	shim_explain("%s %s fault at %s %#" PRIx64 ": %s; PE %u frozen (device %s)",
		     ev->dma ? "DMA" : "MMIO", ev->dma ? (ev->fault.write ? "write" : "read")
			     : (ev->fault.write ? "store" : "load"),
		     ev->dma ? "bus" : "address", ev->fault.bus_addr, why, ev->pe, ev->fault.device);
}
