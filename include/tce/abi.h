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

/*
 * PAPR TCE hcalls (opcode in r3, arguments from r4, status back in r3):
 *
 *  | hcall              | opcode | r4    | r5   | r6        | r7    | out    |
 *  |--------------------|--------|-------|------|-----------|-------|--------|
 *  | H_GET_TCE          | 0x1C   | LIOBN | IOBA |           |       | r4 TCE |
 *  | H_PUT_TCE          | 0x20   | LIOBN | IOBA | TCE       |       |        |
 *  | H_STUFF_TCE        | 0x138  | LIOBN | IOBA | TCE value | count |        |
 *  | H_PUT_TCE_INDIRECT | 0x13C  | LIOBN | IOBA | list addr | count |        |
 */
#define TCE_H_GET_TCE 0x1CULL
#define TCE_H_PUT_TCE 0x20ULL
#define TCE_H_STUFF_TCE 0x138ULL
#define TCE_H_PUT_TCE_INDIRECT 0x13CULL

/* H_PUT_TCE_INDIRECT: one 4 KiB-aligned page of at most 512 big-endian TCEs. */
#define TCE_INDIRECT_MAX 512
#define TCE_INDIRECT_ALIGN 4096

/* hcall statuses. */
#define TCE_H_SUCCESS 0L
#define TCE_H_BUSY 1L
#define TCE_H_HARDWARE (-1L)
#define TCE_H_FUNCTION (-2L)
#define TCE_H_PRIVILEGE (-3L)
#define TCE_H_PARAMETER (-4L)
#define TCE_H_NOT_ENOUGH_RESOURCES (-44L)

/*
 * RTAS dynamic DMA window calls (arguments and results are 32-bit cells):
 *
 *  | call                         | token  | inputs                                  | outputs                                      |
 *  |------------------------------|--------|-----------------------------------------|----------------------------------------------|
 *  | ibm,query-pe-dma-window      | 0x2026 | config addr, BUID hi, BUID lo           | status, windows available, largest block, page mask, migration (5); or status, available, block hi, block lo, page mask, migration (6) |
 *  | ibm,create-pe-dma-window     | 0x2027 | config addr, BUID hi, BUID lo, page shift, window shift | status, LIOBN, bus hi, bus lo |
 *  | ibm,remove-pe-dma-window     | 0x2028 | LIOBN                                   | status                                       |
 *  | ibm,reset-pe-dma-windows     | 0x2029 | config addr, BUID hi, BUID lo           | status                                       |
 */
#define TCE_RTAS_QUERY_PE_DMA_WINDOW 0x2026u
#define TCE_RTAS_CREATE_PE_DMA_WINDOW 0x2027u
#define TCE_RTAS_REMOVE_PE_DMA_WINDOW 0x2028u
#define TCE_RTAS_RESET_PE_DMA_WINDOWS 0x2029u

/* RTAS statuses. */
#define TCE_RTAS_SUCCESS 0
#define TCE_RTAS_HW_ERROR (-1)
#define TCE_RTAS_BUSY (-2)
#define TCE_RTAS_PARAM_ERROR (-3)

/*
 * ibm,query-pe-dma-window page-size mask (LoPAR):
 *  4K 0x1, 64K 0x2, 16M 0x4, 32M 0x8, 64M 0x10, 128M 0x20, 256M 0x40,
 *  16G 0x80, 2M 0x100.
 */
#define TCE_DDW_PGSIZE_4K 0x001u
#define TCE_DDW_PGSIZE_64K 0x002u
#define TCE_DDW_PGSIZE_16M 0x004u
#define TCE_DDW_PGSIZE_32M 0x008u
#define TCE_DDW_PGSIZE_64M 0x010u
#define TCE_DDW_PGSIZE_128M 0x020u
#define TCE_DDW_PGSIZE_256M 0x040u
#define TCE_DDW_PGSIZE_16G 0x080u
#define TCE_DDW_PGSIZE_2M 0x100u

/* PowerNV: window slot 1 is selected by bus address bit 59. */
#define TCE_PNV_WINDOW1_BASE (1ULL << 59)

#endif /* TCE_ABI_H */
