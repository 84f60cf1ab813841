/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the hostile clients of the integration suite share: a TAP runner
 * with checks that name the errno they got, checks that say why they
 * failed, and small VFIO helpers. The
 * clients are third-party programs as far as libtce is concerned: they
 * include <linux/vfio.h> and libc only and run under tce-run.
 */
#ifndef TCE_INTEG_CLIENT_H
#define TCE_INTEG_CLIENT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

/* ---- the runner ---- */

struct ic_case {
	const char *name;
	void (*fn)(void);
};

#define IC_CASE(fn) { #fn, fn }

/* Run @n cases as TAP; argv[1], if given, selects cases whose name contains it. */
int ic_main(const struct ic_case *cases, size_t n, int argc, char **argv);

void ic_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool ic_failed(void);
const char *ic_errname(int e);
uint64_t ic_seed(void);
double ic_scale(void);

static inline uint64_t ic_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond))                                                      \
			ic_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);          \
	} while (0)

#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_)                                                            \
			ic_fail(__FILE__, __LINE__, "%s == %s: %#llx != %#llx", #a, #b, a_, b_); \
	} while (0)

/* A libc call that must fail with -1 and errno @e. */
#define CHECK_ERRNO(call, e)                                                             \
	do {                                                                             \
		long r_;                                                                 \
		errno = 0;                                                               \
		r_ = (long)(call);                                                       \
		if (r_ != -1 || errno != (e))                                            \
			ic_fail(__FILE__, __LINE__, "%s: got %ld (%s), want -1 (%s)", #call, \
				r_, r_ == -1 ? ic_errname(errno) : "no error", ic_errname(e)); \
	} while (0)

/* A libc call that must succeed (return >= 0). */
#define CHECK_OK(call)                                                                   \
	do {                                                                             \
		long r_;                                                                 \
		errno = 0;                                                               \
		r_ = (long)(call);                                                       \
		if (r_ < 0)                                                              \
			ic_fail(__FILE__, __LINE__, "%s: got %ld (%s)", #call, r_,       \
				ic_errname(errno));                                      \
	} while (0)

#define REQUIRE(cond)                                                             \
	do {                                                                      \
		if (!(cond)) {                                                    \
			ic_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);        \
			return;                                                   \
		}                                                                 \
	} while (0)

/* A check whose failure says @... (a format and its values). */
#define CHECK_WHY(cond, ...)                                                      \
	do {                                                                      \
		if (!(cond))                                                      \
			ic_fail(__FILE__, __LINE__, __VA_ARGS__);                 \
	} while (0)

/* ---- VFIO helpers ---- */

/* The DMA-test device (docs/machine.md) and the built-in machines' functions. */
#define DEV0 "0000:00:01.0"
#define DEV1 "0000:00:02.0"
#define REG_SRC 0x00
#define REG_DST 0x08
#define REG_LEN 0x10
#define REG_CMD 0x18
#define REG_STATUS 0x1c
#define REG_FAULT 0x20
#define REG_ID 0x28
#define REG_DOORBELL 0x30
#define DT_ID 0x7ce5d0a1u
#define DT_DONE 1u
#define DT_ERROR 2u
#define PCI_CMD 0x04

/* One client's view of one group: its fds and what SET_IOMMU chose. */
struct vf {
	int container, group, device;
	bool v2;    /* sPAPR TCE v2 (else v1), after ic_setup() */
	bool type1; /* Type1v2, after ic_setup_type1() */
	uint64_t bar0, config;
};

/* The group number of @bdf from its iommu_group link, or -1. */
int ic_group_of(const char *bdf);
/* open("/dev/vfio/<group of bdf>"). */
int ic_open_group(const char *bdf);
/* Container + group + SET_IOMMU (v2, else v1 + ENABLE); false on any failure (errno kept). */
bool ic_setup(struct vf *v, const char *bdf);
/* The device fd, its BAR0 and config offsets, memory decode and bus mastering on. */
bool ic_device(struct vf *v, const char *bdf);
/* Close whatever of @v is open. */
void ic_teardown(struct vf *v);

int ic_register(struct vf *v, void *va, uint64_t size);
int ic_unregister(struct vf *v, void *va, uint64_t size);
int ic_map(struct vf *v, uint64_t iova, void *va, uint64_t size, uint32_t flags);
int ic_unmap(struct vf *v, uint64_t iova, uint64_t size);
/* VFIO_EEH_PE_OP @op: its return value. */
int ic_pe_op(struct vf *v, uint32_t op);

uint32_t ic_rd32(struct vf *v, unsigned reg);
uint64_t ic_rd64(struct vf *v, unsigned reg);
void ic_wr64(struct vf *v, unsigned reg, uint64_t val);
/* A synchronous device copy (CMD): the STATUS read after it (all ones when frozen). */
uint32_t ic_copy(struct vf *v, uint64_t src, uint64_t dst, uint64_t len);
/* Thaw a frozen PE (UNFREEZE_IO, UNFREEZE_DMA) and turn decode and mastering back on. */
bool ic_thaw(struct vf *v);

/*
 * The machine the test runs on says a TCE with WRITE only also lets the
 * device read (the powernv PHB's rule, docs/design.md); TCE_INTEG_MACHINE
 * names the machine, else tce-run's TCE_RUN_MACHINE.
 */
bool ic_write_implies_read(void);

/* An address with nothing mapped at it (a page mapped and unmapped again). */
void *ic_unmapped_page(void);

/* ---- Type1v2 (tce-run --type1) ---- */

/* Container + group + SET_IOMMU(VFIO_TYPE1v2_IOMMU); false on any failure (errno kept). */
bool ic_setup_type1(struct vf *v, const char *bdf);
/*
 * VFIO_IOMMU_GET_INFO asked twice (bare struct, then the argsz it gave back):
 * a malloc'ed copy with its capabilities (free() it), or NULL with errno.
 */
struct vfio_iommu_type1_info *ic_type1_info(int container);
/*
 * Capability @id of @info's chain, or NULL; a chain that leaves the struct,
 * loops or is not 8-byte aligned fails the case and gives NULL.
 */
const struct vfio_info_cap_header *ic_type1_cap(const struct vfio_iommu_type1_info *info,
						uint16_t id);

/* The aperture as IOVA_RANGE gave it (inclusive ends) and the smallest IOMMU page. */
struct ic_aperture {
	uint32_t n;
	struct vfio_iova_range r[8];
	uint64_t min_page;
};
bool ic_type1_aperture(int container, struct ic_aperture *a);
/* UNMAP_DMA with @flags: the ioctl's return; *@unmapped = the size field after it. */
int ic_unmap_type1(struct vf *v, uint64_t iova, uint64_t size, uint32_t flags,
		   uint64_t *unmapped);

#endif /* TCE_INTEG_CLIENT_H */
