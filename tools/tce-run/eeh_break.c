/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's EEH debugfs file /sys/kernel/debug/powerpc/eeh_dev_break
 * (what the POWER VFIO EEH tests write to): a write of a function's
 * "DDDD:BB:DD.F" freezes its PE at once, as eeh_pe_inject_mmio_error()
 * does: memory decode off, then a load from its BAR, which master-aborts.
 * Front end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

ssize_t shim_eeh_break(const void *buf, size_t len)
{
	unsigned dom, bus, dev, fn;
	char text[64], name[16];
	struct tce_device *d;
	struct tce_pci_dev *p;
	uint32_t cmd = 0;
	uint64_t v;
	int rc;

	if (len >= sizeof(text)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(text, buf, len);
	text[len] = 0;
	if (sscanf(text, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 || dom > 0xffff ||
	    bus > 0xff || dev > 31 || fn > 7) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	shim_enter();
	rc = tce_host_find_device(shim_host(), name, &d);
	if (!rc) {
		p = tce_device_pci(d);
		tce_dev_config_read(p, TCE_PCI_COMMAND, 2, &cmd);
		tce_dev_config_write(p, TCE_PCI_COMMAND, 2, cmd & ~(uint32_t)TCE_PCI_COMMAND_MEMORY);
		tce_dev_bar_read(p, 0, 0, 4, &v);
	}
	shim_leave();
	if (rc) {
		errno = ENODEV;
		return -1;
	}
	shim_count(ST_EEH, 1);
	shim_bars_sync();
	return (ssize_t)len;
}
