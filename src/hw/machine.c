/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine object: creation from a tree (built-in, blob or .dtb file),
 * lookups of devices, PEs and LIOBNs, and the reset that puts every PE's
 * window slots back as the tree describes. Its real address space is in
 * mem.c. Layer: hw.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/hw_int.h"
#include "util/arith.h"

extern const unsigned char tce__builtin_pseries_dtb[];
extern const size_t tce__builtin_pseries_dtb_size;
extern const unsigned char tce__builtin_powernv_dtb[];
extern const size_t tce__builtin_powernv_dtb_size;

#define MAX_DTB (1u << 20)

static void destroy_phbs(struct tce_machine *m)
{
	uint32_t i, j;

	for (i = 0; i < m->nphbs; i++) {
		struct tce__phb *phb = &m->phbs[i];

		for (j = 0; j < phb->npes; j++) {
			tce__slot_disable(&phb->pes[j], 0);
			tce__slot_disable(&phb->pes[j], 1);
			tce__lock_fini(&phb->pes[j].lock);
		}
		tce__aligned_free(m->ctx, phb->pes, phb->npes_alloc * sizeof(*phb->pes),
				  _Alignof(struct tce__pe));
		tce__lock_fini(&phb->cache.lock);
	}
}

void tce_machine_destroy(struct tce_machine *m)
{
	struct tce_ctx *ctx;
	bool own;
	uint32_t i;

	if (!m)
		return;
	ctx = m->ctx;
	own = m->own_ctx;
	for (i = 0; i < m->ndevs; i++) /* device threads stop before the PEs go */
		tce__dev_fini(&m->devs[i]);
	destroy_phbs(m);
	tce__free(ctx, m->phbs, (size_t)m->nphbs_alloc * sizeof(*m->phbs));
	tce__aligned_free(ctx, m->devs, (size_t)m->ndevs_alloc * sizeof(*m->devs),
			  _Alignof(struct tce_pci_dev));
	tce__mem_fini(m);
	tce__free(ctx, m->fdt, m->fdt_size);
	tce__free(ctx, m, sizeof(*m));
	if (own)
		tce_ctx_destroy(ctx);
}

static int machine_reset(struct tce_machine *m)
{
	uint32_t i, j;
	int rc = 0;

	for (i = 0; i < m->nphbs && !rc; i++)
		for (j = 0; j < m->phbs[i].npes && !rc; j++)
			rc = tce__pe_reset(&m->phbs[i].pes[j]);
	return rc;
}

static int machine_build(struct tce_machine *m, const struct tce_machine_config *cfg)
{
	int rc;

	if (!cfg->dtb || !cfg->dtb_size || cfg->dtb_size > MAX_DTB)
		return -EINVAL;
	m->fdt = tce__malloc(m->ctx, cfg->dtb_size);
	if (!m->fdt)
		return -ENOMEM;
	memcpy(m->fdt, cfg->dtb, cfg->dtb_size);
	m->fdt_size = cfg->dtb_size;
	rc = tce__dt_parse(m);
	if (!rc)
		rc = tce__mem_init(m, cfg);
	return rc ? rc : machine_reset(m);
}

int tce_machine_create(const struct tce_machine_config *cfg, struct tce_machine **out)
{
	struct tce_ctx *ctx = cfg->ctx;
	struct tce_machine *m;
	int rc;

	if (!ctx && tce_ctx_create(&ctx))
		return -ENOMEM;
	m = tce__calloc(ctx, sizeof(*m));
	if (!m) {
		if (!cfg->ctx)
			tce_ctx_destroy(ctx);
		return -ENOMEM;
	}
	m->ctx = ctx;
	m->own_ctx = !cfg->ctx;
	m->has_cpus = !sched_getaffinity(0, sizeof(m->cpus), &m->cpus);
	rc = machine_build(m, cfg);
	if (rc) {
		tce_machine_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}

int tce_machine_create_dtb(const void *dtb, size_t size, struct tce_machine **out)
{
	struct tce_machine_config cfg = { .dtb = dtb, .dtb_size = size };

	return tce_machine_create(&cfg, out);
}

int tce_machine_create_default(enum tce_platform platform, struct tce_machine **out)
{
	if (platform == TCE_PLATFORM_PSERIES)
		return tce_machine_create_dtb(tce__builtin_pseries_dtb, tce__builtin_pseries_dtb_size, out);
	if (platform == TCE_PLATFORM_POWERNV)
		return tce_machine_create_dtb(tce__builtin_powernv_dtb, tce__builtin_powernv_dtb_size, out);
	return -EINVAL;
}

/* Read all @size bytes of @fd: -EIO when the file ends early. */
static int read_all(int fd, uint8_t *buf, size_t size)
{
	ssize_t got;

	while (size) {
		got = read(fd, buf, size);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		buf += got;
		size -= (size_t)got;
	}
	return 0;
}

/* The size of the regular file behind @fd: -EISDIR, or -EINVAL unless 1..MAX_DTB bytes. */
static int file_size(int fd, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MAX_DTB)
		return -EINVAL;
	*size = (size_t)st.st_size;
	return 0;
}

/* Read a whole .dtb into memory from @ctx (free it with tce__free(ctx, *buf, *size)). */
static int read_file(struct tce_ctx *ctx, const char *path, void **buf, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = file_size(fd, size);
	*buf = rc ? NULL : tce__malloc(ctx, *size);
	if (!rc && !*buf)
		rc = -ENOMEM;
	if (!rc)
		rc = read_all(fd, *buf, *size);
	close(fd);
	if (rc && *buf)
		tce__free(ctx, *buf, *size);
	return rc;
}

/* With @ctx NULL the file is read through a fresh context the machine then owns. */
int tce_machine_create_dtb_file(const char *path, struct tce_ctx *ctx, struct tce_machine **out)
{
	struct tce_machine_config cfg = { .ctx = ctx };
	struct tce_ctx *own = NULL;
	void *buf = NULL;
	int rc;

	if (!path)
		return -EINVAL;
	if (!ctx && tce_ctx_create(&own))
		return -ENOMEM;
	cfg.ctx = ctx ? ctx : own;
	rc = read_file(cfg.ctx, path, &buf, &cfg.dtb_size);
	if (!rc) {
		cfg.dtb = buf;
		rc = tce_machine_create(&cfg, out);
		tce__free(cfg.ctx, buf, cfg.dtb_size);
	}
	if (!rc && own)
		(*out)->own_ctx = true;
	else if (own)
		tce_ctx_destroy(own);
	return rc;
}

const void *tce_machine_fdt(const struct tce_machine *m)
{
	return m->fdt;
}

size_t tce_machine_fdt_size(const struct tce_machine *m)
{
	return m->fdt_size;
}

struct tce_ctx *tce_machine_ctx(struct tce_machine *m)
{
	return m->ctx;
}

enum tce_platform tce_machine_platform(const struct tce_machine *m)
{
	return m->platform;
}

/* The value of @n hex digits at @s (digits only: no sign, space or 0x), or -1. */
static long hex_field(const char *s, unsigned n)
{
	long v = 0;
	unsigned i;
	int d;

	for (i = 0; i < n; i++) {
		d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
		    : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
		    : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* "DDDD:BB:DD.F": hex fields of exactly 4, 2, 2 and 1 digits, nothing else. */
static int parse_pci_addr(const char *s, unsigned *dom, unsigned *bus, unsigned *dev,
			  unsigned *fn)
{
	long f[4];

	if (!s || strnlen(s, 13) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	f[0] = hex_field(s, 4), f[1] = hex_field(s + 5, 2), f[2] = hex_field(s + 8, 2);
	f[3] = hex_field(s + 11, 1);
	if (f[0] < 0 || f[1] < 0 || f[2] < 0 || f[3] < 0 || f[2] > 31 || f[3] > 7)
		return -EINVAL;
	*dom = (unsigned)f[0], *bus = (unsigned)f[1], *dev = (unsigned)f[2], *fn = (unsigned)f[3];
	return 0;
}

int tce_machine_find_device(struct tce_machine *m, const char *pci_addr, struct tce_pci_dev **out)
{
	unsigned dom, bus, dev, fn;
	uint32_t i;

	if (parse_pci_addr(pci_addr, &dom, &bus, &dev, &fn))
		return -EINVAL;
	for (i = 0; i < m->ndevs; i++) {
		struct tce_pci_dev *d = &m->devs[i];

		if (d->phb->index == dom && d->bus == bus && d->devfn == (dev << 3 | fn)) {
			*out = d;
			return 0;
		}
	}
	return -ENODEV;
}

struct tce__pe *tce__phb_pe(struct tce__phb *phb, uint32_t num)
{
	uint32_t i;

	for (i = 0; i < phb->npes; i++)
		if (phb->pes[i].num == num)
			return &phb->pes[i];
	return NULL;
}

struct tce__pe *tce__find_liobn(struct tce_machine *m, uint32_t liobn, unsigned *slot)
{
	uint32_t i, j;

	for (i = 0; i < m->nphbs; i++) {
		for (j = 0; j < m->phbs[i].npes; j++) {
			struct tce__pe *pe = &m->phbs[i].pes[j];

			if (liobn == pe->def_liobn || (pe->nslots > 1 && liobn == pe->def_liobn + 1)) {
				*slot = liobn - pe->def_liobn;
				return pe;
			}
		}
	}
	return NULL;
}

void tce_machine_info(const struct tce_machine *m, struct tce_machine_info *out)
{
	*out = (struct tce_machine_info){ .platform = m->platform, .ram_size = m->ram_size,
					  .own_ram = m->ram != NULL, .nphbs = m->nphbs,
					  .ndevs = m->ndevs, .nregions = tce__regions_count(m) };
}

int tce_machine_phb(struct tce_machine *m, uint32_t i, struct tce_phb_info *out)
{
	const struct tce__phb *p = i < m->nphbs ? &m->phbs[i] : NULL;

	if (!p)
		return -EINVAL;
	*out = (struct tce_phb_info){ .index = p->index, .npes = p->npes, .buid = p->buid,
				      .page_mask = p->page_mask, .largest_block = p->largest_block,
				      .max_levels = p->max_levels, .ddw = p->ddw };
	return 0;
}

int tce_machine_pe(struct tce_machine *m, uint32_t phb, uint32_t j, struct tce_pe_info *out)
{
	struct tce__pe *pe;
	unsigned i;

	if (phb >= m->nphbs || j >= m->phbs[phb].npes)
		return -EINVAL;
	pe = &m->phbs[phb].pes[j];
	tce__lock(&pe->lock);
	*out = (struct tce_pe_info){ .num = pe->num, .nslots = pe->nslots, .frozen = pe->frozen,
				     .def_liobn = pe->def_liobn, .def_bus = pe->def_bus,
				     .def_size = pe->def_size, .faults = pe->faults,
				     .recovered = pe->recovered };
	for (i = 0; i < pe->nslots; i++)
		out->slot[i] = (struct tce_window_info){ .enabled = pe->slot[i].enabled,
							 .real_mode = pe->slot[i].real_mode,
							 .bus_start = pe->slot[i].bus_start,
							 .size = pe->slot[i].size,
							 .page_shift = pe->slot[i].page_shift,
							 .liobn = pe->slot[i].liobn };
	tce__unlock(&pe->lock);
	return 0;
}

int tce_machine_device(struct tce_machine *m, uint32_t i, struct tce_pci_dev **out)
{
	if (i >= m->ndevs)
		return -EINVAL;
	*out = &m->devs[i];
	return 0;
}
