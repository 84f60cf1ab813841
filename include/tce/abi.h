/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtce: numbers fixed by PAPR and by the POWER TCE format.
 *
 * This header holds constants only: the bits of a TCE, the hcall opcodes and
 * statuses, the RTAS tokens and statuses (DDW and EEH), the EEH states and
 * error-injection functions, the PCI config-space names libtce uses, the
 * DMA-test device's registers, and the I/OAT channel's registers and
 * descriptors. It has no dependencies and can be included on its own.
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

/*
 * RTAS EEH calls (tokens as QEMU numbers them; a machine names its own in
 * the /rtas node). A PE is named by the config address of one of its
 * functions (bus << 16 | devfn << 8) and its PHB's BUID:
 *
 *  | call                       | token  | inputs                                | outputs                                  |
 *  |----------------------------|--------|---------------------------------------|------------------------------------------|
 *  | ibm,set-eeh-option         | 0x2020 | config addr, BUID hi, BUID lo, option | status                                   |
 *  | ibm,read-slot-reset-state2 | 0x2022 | config addr, BUID hi, BUID lo         | status, state, EEH capable (1), unavailable info (ms) [, recovery info] |
 *  | ibm,set-slot-reset         | 0x2023 | config addr, BUID hi, BUID lo, function | status                                 |
 *  | ibm,configure-pe           | 0x2024 | config addr, BUID hi, BUID lo         | status                                   |
 */
#define TCE_RTAS_SET_EEH_OPTION 0x2020u
#define TCE_RTAS_READ_SLOT_RESET_STATE2 0x2022u
#define TCE_RTAS_SET_SLOT_RESET 0x2023u
#define TCE_RTAS_CONFIGURE_PE 0x2024u

/* ibm,set-eeh-option options. */
#define TCE_RTAS_EEH_DISABLE 0u
#define TCE_RTAS_EEH_ENABLE 1u
#define TCE_RTAS_EEH_THAW_MMIO 2u
#define TCE_RTAS_EEH_THAW_DMA 3u

/* ibm,set-slot-reset functions (also the kinds of tce_fw_eeh_reset()). */
#define TCE_EEH_RESET_DEACTIVATE 0u
#define TCE_EEH_RESET_HOT 1u
#define TCE_EEH_RESET_FUNDAMENTAL 3u

/* ibm,read-slot-reset-state2: the EEH-capable flag and the unavailable-time hint. */
#define TCE_RTAS_EEH_SUPPORTED 1u
#define TCE_RTAS_EEH_UNAVAIL_INFO 1000u

/*
 * PE states, as ibm,read-slot-reset-state2 reports them and as the kernel's
 * eeh_pe_get_state() (VFIO_EEH_PE_GET_STATE) returns them:
 *
 *  | state       | value | reset active | MMIO   | DMA    |
 *  |-------------|-------|--------------|--------|--------|
 *  | NORMAL      | 0     | no           | works  | works  |
 *  | RESET       | 1     | yes          | -      | -      |
 *  | STOPPED     | 2     | no           | frozen | frozen |
 *  | STOPPED_DMA | 4     | no           | works  | frozen |
 *  | UNAVAIL     | 5     | no           | frozen | works  |
 */
#define TCE_EEH_PE_STATE_NORMAL 0
#define TCE_EEH_PE_STATE_RESET 1
#define TCE_EEH_PE_STATE_STOPPED 2
#define TCE_EEH_PE_STATE_STOPPED_DMA 4
#define TCE_EEH_PE_STATE_UNAVAIL 5

/* Freeze bits (OPAL's freeze status and freeze-clear actions). */
#define TCE_EEH_FROZEN_MMIO 1u
#define TCE_EEH_FROZEN_DMA 2u

/* Error injection: the bus-error type and the 20 functions (Linux EEH_ERR_*). */
#define TCE_EEH_ERR_TYPE_32 0u
#define TCE_EEH_ERR_TYPE_64 1u

#define TCE_EEH_ERR_FUNC_LD_MEM_ADDR 0u
#define TCE_EEH_ERR_FUNC_LD_MEM_DATA 1u
#define TCE_EEH_ERR_FUNC_LD_IO_ADDR 2u
#define TCE_EEH_ERR_FUNC_LD_IO_DATA 3u
#define TCE_EEH_ERR_FUNC_LD_CFG_ADDR 4u
#define TCE_EEH_ERR_FUNC_LD_CFG_DATA 5u
#define TCE_EEH_ERR_FUNC_ST_MEM_ADDR 6u
#define TCE_EEH_ERR_FUNC_ST_MEM_DATA 7u
#define TCE_EEH_ERR_FUNC_ST_IO_ADDR 8u
#define TCE_EEH_ERR_FUNC_ST_IO_DATA 9u
#define TCE_EEH_ERR_FUNC_ST_CFG_ADDR 10u
#define TCE_EEH_ERR_FUNC_ST_CFG_DATA 11u
#define TCE_EEH_ERR_FUNC_DMA_RD_ADDR 12u
#define TCE_EEH_ERR_FUNC_DMA_RD_DATA 13u
#define TCE_EEH_ERR_FUNC_DMA_RD_MASTER 14u
#define TCE_EEH_ERR_FUNC_DMA_RD_TARGET 15u
#define TCE_EEH_ERR_FUNC_DMA_WR_ADDR 16u
#define TCE_EEH_ERR_FUNC_DMA_WR_DATA 17u
#define TCE_EEH_ERR_FUNC_DMA_WR_MASTER 18u
#define TCE_EEH_ERR_FUNC_DMA_WR_TARGET 19u
#define TCE_EEH_ERR_FUNC_MAX 19u

/*
 * PCI config space (the offsets and bits libtce's functions use; names as
 * Linux's pci_regs.h with a TCE_ prefix). Little-endian.
 */
#define TCE_PCI_VENDOR_ID 0x00
#define TCE_PCI_DEVICE_ID 0x02
#define TCE_PCI_COMMAND 0x04
#define TCE_PCI_COMMAND_MEMORY 0x0002u  /* BAR decode */
#define TCE_PCI_COMMAND_MASTER 0x0004u  /* bus mastering: the function may DMA */
#define TCE_PCI_COMMAND_INTX_DISABLE 0x0400u
#define TCE_PCI_STATUS 0x06
#define TCE_PCI_STATUS_CAP_LIST 0x0010u
#define TCE_PCI_CLASS_REVISION 0x08     /* class << 8 | revision */
#define TCE_PCI_HEADER_TYPE 0x0e
#define TCE_PCI_BASE_ADDRESS_0 0x10
#define TCE_PCI_BASE_ADDRESS_MEM_TYPE_64 0x4u
#define TCE_PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define TCE_PCI_SUBSYSTEM_ID 0x2e
#define TCE_PCI_CAPABILITY_LIST 0x34
#define TCE_PCI_INTERRUPT_LINE 0x3c
#define TCE_PCI_INTERRUPT_PIN 0x3d
#define TCE_PCI_CFG_SPACE_SIZE 256
#define TCE_PCI_CFG_SPACE_EXP_SIZE 4096

/* A capability: ID at +0, next pointer at +1. */
#define TCE_PCI_CAP_ID_EXP 0x10
#define TCE_PCI_CAP_ID_MSIX 0x11

/* PCI Express capability registers (offsets from the capability). */
#define TCE_PCI_EXP_FLAGS 0x02          /* version 3:0, device/port type 7:4 */
#define TCE_PCI_EXP_DEVCAP 0x04
#define TCE_PCI_EXP_DEVCAP_FLR 0x10000000u
#define TCE_PCI_EXP_DEVCTL 0x08
#define TCE_PCI_EXP_DEVCTL_BCR_FLR 0x8000u /* write 1: function-level reset */
#define TCE_PCI_EXP_DEVSTA 0x0a
#define TCE_PCI_EXP_LNKCAP 0x0c
#define TCE_PCI_EXP_LNKSTA 0x12
#define TCE_PCI_EXP_SIZEOF 0x3c          /* a version 2 endpoint capability */

/* MSI-X capability registers (offsets from the capability) and table entries. */
#define TCE_PCI_MSIX_FLAGS 0x02
#define TCE_PCI_MSIX_FLAGS_QSIZE 0x07ffu  /* table size - 1 */
#define TCE_PCI_MSIX_FLAGS_MASKALL 0x4000u
#define TCE_PCI_MSIX_FLAGS_ENABLE 0x8000u
#define TCE_PCI_MSIX_TABLE 0x04          /* offset in the BAR | BAR indicator (2:0) */
#define TCE_PCI_MSIX_PBA 0x08
#define TCE_PCI_MSIX_ENTRY_SIZE 16
#define TCE_PCI_MSIX_ENTRY_LOWER_ADDR 0x0
#define TCE_PCI_MSIX_ENTRY_UPPER_ADDR 0x4
#define TCE_PCI_MSIX_ENTRY_DATA 0x8
#define TCE_PCI_MSIX_ENTRY_VECTOR_CTRL 0xc
#define TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1u

/*
 * The DMA-test device (docs/machine.md): vendor 0x7ce5 (libtce's own, not
 * registered with the PCI-SIG), device 0x0001, class 0xff, revision 1; a
 * 4 KiB PCIe config space whose capability list holds the PCI Express
 * capability (endpoint, FLR) at 0x40 and MSI-X at 0x80; BAR0 is a 64 KiB
 * 64-bit memory BAR. Its registers (little-endian; aligned accesses of 1,
 * 2, 4 or 8 bytes; anything else in BAR0 reads 0 and ignores writes):
 *
 *  | offset | name     | bits | access | meaning                                           |
 *  |--------|----------|------|--------|---------------------------------------------------|
 *  | 0x0000 | SRC      | 64   | RW     | bus address the copy reads                        |
 *  | 0x0008 | DST      | 64   | RW     | bus address the copy writes                       |
 *  | 0x0010 | LEN      | 64   | RW     | bytes to copy, 1..1 MiB                           |
 *  | 0x0018 | CMD      | 32   | W      | 1: copy now, synchronously, in the writer's thread|
 *  | 0x001c | STATUS   | 32   | R      | IDLE 0, DONE 1, ERROR 2, BUSY 3                   |
 *  | 0x0020 | FAULT    | 64   | R      | bus address of the fault that froze the PE        |
 *  | 0x0028 | ID       | 32   | R      | 0x7ce5d0a1                                        |
 *  | 0x0030 | DOORBELL | 32   | RW     | 1: the device thread copies; reads 1 until taken  |
 *  | 0x2000 | MSI-X    | 4x128| RW     | MSI-X table: address lo, hi, data, vector control |
 *  | 0x3000 | PBA      | 64   | R      | MSI-X pending bits                                |
 *
 * A copy needs bus mastering (TCE_PCI_COMMAND_MASTER) and 1 <= LEN <= 1 MiB;
 * otherwise, or when a DMA faults, STATUS is ERROR.
 */
#define TCE_DT_VENDOR 0x7ce5u
#define TCE_DT_DEVICE 0x0001u
#define TCE_DT_CLASS 0xff0000u
#define TCE_DT_REVISION 1u
#define TCE_DT_CFG_EXP_CAP 0x40
#define TCE_DT_CFG_MSIX_CAP 0x80
#define TCE_DT_BAR0_SIZE 0x10000u

#define TCE_DT_REG_SRC 0x0000
#define TCE_DT_REG_DST 0x0008
#define TCE_DT_REG_LEN 0x0010
#define TCE_DT_REG_CMD 0x0018
#define TCE_DT_REG_STATUS 0x001c
#define TCE_DT_REG_FAULT 0x0020
#define TCE_DT_REG_ID 0x0028
#define TCE_DT_REG_DOORBELL 0x0030
#define TCE_DT_MSIX_TABLE 0x2000
#define TCE_DT_MSIX_PBA 0x3000

#define TCE_DT_CMD_COPY 1u
#define TCE_DT_DOORBELL_COPY 1u
#define TCE_DT_STATUS_IDLE 0u
#define TCE_DT_STATUS_DONE 1u
#define TCE_DT_STATUS_ERROR 2u
#define TCE_DT_STATUS_BUSY 3u
#define TCE_DT_ID_MAGIC 0x7ce5d0a1u
#define TCE_DT_MAX_COPY (1u << 20)
#define TCE_DT_MSIX_VECTORS 4u
#define TCE_DT_MSIX_VECTOR_DONE 0u /* the vector a doorbell copy's completion raises */

/*
 * The I/OAT (Crystal Beach DMA) channel (docs/machine.md): one channel of
 * Intel's CBDMA engine as the Ice Lake server part presents it, with the
 * register offsets, bits and the descriptor layout DPDK 22.11's ioat driver
 * uses (drivers/dma/ioat/ioat_hw_defs.h) and the Xeon datasheets describe.
 * Vendor 0x8086, device 0x0b00 (ICX), class 0x088000 (system peripheral,
 * other), CB version 3.4; a 4 KiB PCIe config space with the PCI Express
 * capability at 0x40 and MSI-X (1 vector) at 0x80; BAR0 is a 64 KiB 64-bit
 * memory BAR. The registers (little-endian):
 *
 *  | offset | name        | bits | access | meaning                                       |
 *  |--------|-------------|------|--------|-----------------------------------------------|
 *  | 0x00   | CHANCNT     | 8    | RO     | channels of this function: 1                  |
 *  | 0x01   | XFERCAP     | 8    | RO     | log2 of the largest transfer: 20 (1 MiB)      |
 *  | 0x02   | GENCTRL     | 8    | RW     | stored                                        |
 *  | 0x03   | INTRCTRL    | 8    | RW     | stored                                        |
 *  | 0x04   | ATTNSTATUS  | 32   | RO     | 0                                             |
 *  | 0x08   | CBVER       | 8    | RO     | 0x34 (3.4)                                    |
 *  | 0x0c   | INTRDELAY   | 16   | RW     | stored                                        |
 *  | 0x0e   | CS_STATUS   | 16   | RO     | 0                                             |
 *  | 0x10   | DMACAPABILITY | 32 | RO     | block fill (bit 6)                            |
 *  | 0x80   | CHANCTRL    | 16   | RW     | channel control (TCE_IOAT_CHANCTRL_*)         |
 *  | 0x82   | DMA_COMP    | 16   | RO     | compatible with CB version 3 (bit 2)          |
 *  | 0x84   | CHANCMD     | 8    | RW     | command (TCE_IOAT_CHANCMD_*); reads 0 when done |
 *  | 0x86   | DMACOUNT    | 16   | RW     | descriptors handed to the channel (wraps)     |
 *  | 0x88   | CHANSTS     | 64   | RO     | last completed descriptor (63:6) and state (2:0) |
 *  | 0x90   | CHAINADDR   | 64   | RW     | bus address of the first descriptor           |
 *  | 0x98   | CHANCMP     | 64   | RW     | bus address CHANSTS is written back to        |
 *  | 0xa0   | CDAR        | 64   | RO     | bus address of the current descriptor         |
 *  | 0xa8   | CHANERR     | 32   | RW1C   | errors (TCE_IOAT_CHANERR_*)                   |
 *  | 0xac   | CHANERRMSK  | 32   | RW     | stored                                        |
 *  | 0xb0   | DCACTRL     | 32   | RW     | stored                                        |
 *  | 0x2000 | MSI-X table | 128  | RW     | one entry                                     |
 *  | 0x3000 | MSI-X PBA   | 64   | R      | pending bit                                   |
 *
 * A descriptor is 64 bytes, little-endian, 64-byte aligned:
 *
 *  | offset | field   | copy                  | fill                      |
 *  |--------|---------|-----------------------|---------------------------|
 *  | 0x00   | size    | bytes                 | bytes                     |
 *  | 0x04   | control | flags, op in 31:24    | flags, op in 31:24        |
 *  | 0x08   | src     | source bus address    | 64-bit pattern            |
 *  | 0x10   | dst     | destination bus address | destination bus address |
 *  | 0x18   | next    | bus address of the next descriptor                |
 *  | 0x20   | (4 x 64 bits reserved / user fields, not read)                |
 */
#define TCE_IOAT_VENDOR 0x8086u
#define TCE_IOAT_DEVICE 0x0b00u   /* Ice Lake server CBDMA (DPDK's IOAT_DEVICE_ID_ICX) */
#define TCE_IOAT_CLASS 0x088000u
#define TCE_IOAT_REVISION 0u
#define TCE_IOAT_BAR0_SIZE 0x10000u
#define TCE_IOAT_MSIX_VECTORS 1u
#define TCE_IOAT_MSIX_VECTOR 0u

#define TCE_IOAT_REG_CHANCNT 0x00
#define TCE_IOAT_REG_XFERCAP 0x01
#define TCE_IOAT_REG_GENCTRL 0x02
#define TCE_IOAT_REG_INTRCTRL 0x03
#define TCE_IOAT_REG_ATTNSTATUS 0x04
#define TCE_IOAT_REG_CBVER 0x08
#define TCE_IOAT_REG_INTRDELAY 0x0c
#define TCE_IOAT_REG_CS_STATUS 0x0e
#define TCE_IOAT_REG_DMACAP 0x10
#define TCE_IOAT_REG_CHANCTRL 0x80
#define TCE_IOAT_REG_DMA_COMP 0x82
#define TCE_IOAT_REG_CHANCMD 0x84
#define TCE_IOAT_REG_DMACOUNT 0x86
#define TCE_IOAT_REG_CHANSTS 0x88
#define TCE_IOAT_REG_CHAINADDR 0x90
#define TCE_IOAT_REG_CHANCMP 0x98
#define TCE_IOAT_REG_CDAR 0xa0
#define TCE_IOAT_REG_CHANERR 0xa8
#define TCE_IOAT_REG_CHANERRMSK 0xac
#define TCE_IOAT_REG_DCACTRL 0xb0
#define TCE_IOAT_REGS_END 0xb4

#define TCE_IOAT_CHANCNT 1u
#define TCE_IOAT_XFERCAP 20u       /* log2: 1 MiB */
#define TCE_IOAT_CBVER 0x34u
#define TCE_IOAT_DMACAP_BFILL (1u << 6)
#define TCE_IOAT_DMA_COMP_V3 0x0004u

/* CHANCTRL. */
#define TCE_IOAT_CHANCTRL_INT_REARM 0x0001u
#define TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN 0x0004u  /* write CHANSTS back on an error */
#define TCE_IOAT_CHANCTRL_ANY_ERR_ABORT_EN 0x0008u
#define TCE_IOAT_CHANCTRL_ERR_INT_EN 0x0010u         /* raise the MSI-X vector on an error */
#define TCE_IOAT_CHANCTRL_DESC_ADDR_SNOOP 0x0020u
#define TCE_IOAT_CHANCTRL_IN_USE 0x0100u
#define TCE_IOAT_CHANCTRL_COMPL_DCA_EN 0x0200u

/* CHANCMD: one bit a write; more than one is a CHANCMD error. */
#define TCE_IOAT_CHANCMD_START 0x01u
#define TCE_IOAT_CHANCMD_APPEND 0x02u
#define TCE_IOAT_CHANCMD_SUSPEND 0x04u
#define TCE_IOAT_CHANCMD_ABORT 0x08u
#define TCE_IOAT_CHANCMD_RESUME 0x10u
#define TCE_IOAT_CHANCMD_RESET 0x20u

/* CHANSTS (and the completion write-back): state in 2:0, descriptor address in 63:6. */
#define TCE_IOAT_CHANSTS_STATE 0x7ULL
#define TCE_IOAT_CHANSTS_ACTIVE 0x0ULL
#define TCE_IOAT_CHANSTS_IDLE 0x1ULL
#define TCE_IOAT_CHANSTS_SUSPENDED 0x2ULL
#define TCE_IOAT_CHANSTS_HALTED 0x3ULL
#define TCE_IOAT_CHANSTS_ARMED 0x4ULL
#define TCE_IOAT_CHANSTS_ADDR (~0x3fULL)

/* CHANERR (write 1 to clear) and CHANERRMSK. DPDK names bit 8 "descriptor read error". */
#define TCE_IOAT_CHANERR_SRC_ADDR 0x0001u         /* a source read failed */
#define TCE_IOAT_CHANERR_DEST_ADDR 0x0002u        /* a destination write failed */
#define TCE_IOAT_CHANERR_NEXT_DESC_ALIGN 0x0008u  /* a next address not 64-byte aligned */
#define TCE_IOAT_CHANERR_CHAIN_ADDR 0x0010u       /* CHAINADDR not 64-byte aligned */
#define TCE_IOAT_CHANERR_CHANCMD 0x0020u          /* more than one CHANCMD bit */
#define TCE_IOAT_CHANERR_READ_DATA 0x0100u        /* a descriptor fetch failed */
#define TCE_IOAT_CHANERR_WRITE_DATA 0x0200u
#define TCE_IOAT_CHANERR_DESC_CONTROL 0x0400u     /* an operation the channel lacks */
#define TCE_IOAT_CHANERR_DESC_LENGTH 0x0800u      /* size 0 or above 2^XFERCAP */
#define TCE_IOAT_CHANERR_COMPLETION_ADDR 0x1000u  /* CHANCMP misaligned or its write failed */

/* Descriptors. */
#define TCE_IOAT_DESC_SIZE 64u
#define TCE_IOAT_DESC_OFF_SIZE 0x00
#define TCE_IOAT_DESC_OFF_CTL 0x04
#define TCE_IOAT_DESC_OFF_SRC 0x08
#define TCE_IOAT_DESC_OFF_DST 0x10
#define TCE_IOAT_DESC_OFF_NEXT 0x18
#define TCE_IOAT_CTL_INT_EN 0x01u
#define TCE_IOAT_CTL_SRC_SNOOP_DIS 0x02u
#define TCE_IOAT_CTL_DST_SNOOP_DIS 0x04u
#define TCE_IOAT_CTL_COMPL_UPDATE 0x08u
#define TCE_IOAT_CTL_FENCE 0x10u
#define TCE_IOAT_CTL_NULL 0x20u
#define TCE_IOAT_CTL_OP_SHIFT 24
#define TCE_IOAT_OP_COPY 0x00u
#define TCE_IOAT_OP_FILL 0x01u

#endif /* TCE_ABI_H */
