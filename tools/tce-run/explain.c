/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --explain and the log: every refused ioctl as "REQUEST: ERRNO: reason"
 * (the reason the library logged at TCE_LOG_NOTICE on this thread during
 * the call, or one the shim knows when it refused the call itself), and
 * every fault of the machine as "DMA write fault at bus 0x...: why; PE N
 * frozen" from its fault callback. Also counts, for --stats, each request
 * by name and outcome, the IOMMU pages MAP_DMA and UNMAP_DMA cover, faults
 * and EEH operations. Front end: the public header and shim.h.
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
	int kind;
	unsigned long req;
	const char *name;
};

/* By kind, container first: a request's index here is its slot in the --stats counts. */
static const struct req_name reqs[] = {
	{ TCE_VFIO_CONTAINER, VFIO_GET_API_VERSION, "GET_API_VERSION" },
	{ TCE_VFIO_CONTAINER, VFIO_CHECK_EXTENSION, "CHECK_EXTENSION" },
	{ TCE_VFIO_CONTAINER, VFIO_SET_IOMMU, "SET_IOMMU" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_SPAPR_TCE_GET_INFO, "SPAPR_TCE_GET_INFO" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_MAP_DMA, "MAP_DMA" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_UNMAP_DMA, "UNMAP_DMA" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_ENABLE, "ENABLE" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_DISABLE, "DISABLE" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, "SPAPR_REGISTER_MEMORY" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, "SPAPR_UNREGISTER_MEMORY" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_SPAPR_TCE_CREATE, "SPAPR_TCE_CREATE" },
	{ TCE_VFIO_CONTAINER, VFIO_IOMMU_SPAPR_TCE_REMOVE, "SPAPR_TCE_REMOVE" },
	{ TCE_VFIO_CONTAINER, VFIO_EEH_PE_OP, "EEH_PE_OP" },
	{ SHIM_KIND_TYPE1, VFIO_IOMMU_GET_INFO, "GET_INFO" },
	{ SHIM_KIND_TYPE1, VFIO_IOMMU_DIRTY_PAGES, "DIRTY_PAGES" },
	{ TCE_VFIO_GROUP, VFIO_GROUP_GET_STATUS, "GROUP_GET_STATUS" },
	{ TCE_VFIO_GROUP, VFIO_GROUP_SET_CONTAINER, "GROUP_SET_CONTAINER" },
	{ TCE_VFIO_GROUP, VFIO_GROUP_UNSET_CONTAINER, "GROUP_UNSET_CONTAINER" },
	{ TCE_VFIO_GROUP, VFIO_GROUP_GET_DEVICE_FD, "GROUP_GET_DEVICE_FD" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_GET_INFO, "DEVICE_GET_INFO" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_GET_REGION_INFO, "DEVICE_GET_REGION_INFO" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_GET_IRQ_INFO, "DEVICE_GET_IRQ_INFO" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_SET_IRQS, "DEVICE_SET_IRQS" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_RESET, "DEVICE_RESET" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "DEVICE_GET_PCI_HOT_RESET_INFO" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_PCI_HOT_RESET, "DEVICE_PCI_HOT_RESET" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_IOEVENTFD, "DEVICE_IOEVENTFD" },
	{ TCE_VFIO_DEVICE, VFIO_DEVICE_FEATURE, "DEVICE_FEATURE" },
};

#define NREQS (int)(sizeof(reqs) / sizeof(reqs[0]))
_Static_assert(sizeof(reqs) / sizeof(reqs[0]) < SHIM_NREQ, "one slot stays for the others");

int shim_request_index(int kind, unsigned long req)
{
	int i;

	for (i = 0; kind == SHIM_KIND_TYPE1 && i < NREQS; i++)
		if (reqs[i].kind == kind && reqs[i].req == (uint32_t)req)
			return i;
	if (kind == SHIM_KIND_TYPE1) /* its other requests are the container's */
		kind = TCE_VFIO_CONTAINER;
	for (i = 0; i < NREQS; i++)
		if (reqs[i].kind == kind && reqs[i].req == (uint32_t)req)
			return i;
	return SHIM_NREQ - 1;
}

const char *shim_request_label(int idx)
{
	return idx >= 0 && idx < NREQS ? reqs[idx].name : idx == SHIM_NREQ - 1 ? "(other requests)"
										: NULL;
}

/* The request's name on an fd of @kind, or NULL. */
const char *shim_request_name(int kind, unsigned long req)
{
	int i = shim_request_index(kind, req);

	return i < NREQS ? reqs[i].name : NULL;
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
	shim_count_request(shim_request_index(kind, req), rc);
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

/* ---- TCEs mapped and cleared ---- */

/*
 * A MAP_DMA or UNMAP_DMA that succeeded, its struct (at least the argsz the
 * library accepted): its size in the IOMMU pages of the window holding its
 * iova. A window removed meanwhile by another thread leaves it uncounted.
 */
void shim_dma_done(int lib, unsigned long req, const void *arg)
{
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct tce_iommu_table_info w;
	uint64_t iova, size;
	int rc;

	if (req == VFIO_IOMMU_MAP_DMA) {
		memcpy(&map, arg, sizeof(map));
		iova = map.iova, size = map.size;
	} else if (req == VFIO_IOMMU_UNMAP_DMA) {
		memcpy(&unmap, arg, sizeof(unmap)); /* argsz, flags, iova, size */
		iova = unmap.iova, size = unmap.size;
	} else {
		return;
	}
	shim_enter();
	rc = tce_vfio_container_window(shim_mm(), lib, iova, &w);
	shim_leave();
	if (!rc)
		shim_count_tces(req == VFIO_IOMMU_MAP_DMA, size >> w.page_shift);
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
	if (!ev->recovered)
		shim_bars_fault(ev->phb, ev->pe); /* loads through its BAR mappings read all ones now */
	shim_count(ev->dma ? ST_DMA_FAULTS : ST_MMIO_FAULTS, 1);
	if (ev->recovered)
		shim_count(ST_DMA_RECOVERED, 1);
	fault_why(ev, why, sizeof(why));
	shim_explain("%s %s fault at %s %#" PRIx64 ": %s; PE %u %s (device %s)",
		     ev->dma ? "DMA" : "MMIO", ev->dma ? (ev->fault.write ? "write" : "read")
			     : (ev->fault.write ? "store" : "load"),
		     ev->dma ? "bus" : "address", ev->fault.bus_addr, why, ev->pe,
		     ev->recovered ? "recovered at once, the device reports the error itself "
				     "(libtce,dma-fault = \"recover\")" : "frozen",
		     ev->fault.device);
}
