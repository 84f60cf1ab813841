/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtce: numbers fixed by PAPR and by the POWER TCE format.
 *
 * This header holds constants only: the bits of a TCE as the PHB and the
 * hypervisor read them. Later layers add the hcall opcodes, H_* statuses and
 * RTAS tokens here. It has no dependencies and can be included on its own.
 */
#ifndef TCE_ABI_H
#define TCE_ABI_H

/*
 * A TCE (translation control entry) is 64 bits, stored big-endian:
 *
 *   63                          page_shift  page_shift-1      2    1     0
 *  +-------------------------------------+------------------+----+-----+------+
 *  | real page number (RPN)              | zero             |zero|WRITE| READ |
 *  +-------------------------------------+------------------+----+-----+------+
 *
 * READ:  the device may read memory (DMA to the device).
 * WRITE: the device may write memory (DMA from the device).
 * An entry with both clear grants no access; the entry value 0 is "empty".
 * A non-leaf entry of a multi-level table has the same shape: the real
 * address of the next level ORed with READ | WRITE.
 */
#define TCE_PCI_READ 0x1ULL
#define TCE_PCI_WRITE 0x2ULL
#define TCE_PERM_MASK (TCE_PCI_READ | TCE_PCI_WRITE)

/* Size in bytes of one entry. */
#define TCE_ENTRY_SIZE 8

/* Smallest and largest IOMMU page shift: 4 KiB to 16 GiB. */
#define TCE_PAGE_SHIFT_MIN 12
#define TCE_PAGE_SHIFT_MAX 34

/* Levels of a table: 1 (flat) to 5. */
#define TCE_LEVELS_MAX 5

/* A table must not translate 55 or more bits of bus address. */
#define TCE_ADDR_BITS_LIMIT 55

/* Window slots of one PE (IOMMU_TABLE_GROUP_MAX_TABLES). */
#define TCE_MAX_WINDOWS 2

#endif /* TCE_ABI_H */
