/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine object: creation from a tree (built-in, blob, .dtb or .dts
 * file), its RAM and memory model, lookups of devices, PEs and LIOBNs, and
 * the reset that puts every PE's window slots back as the tree describes.
 * Layer: hw.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/hw_int.h"
#include "util/arith.h"

extern const unsigned char tce__builtin_pseries_dtb[];
extern const size_t tce__builtin_pseries_dtb_size;
extern const unsigned char tce__builtin_powernv_dtb[];
extern const size_t tce__builtin_powernv_dtb_size;

#define MAX_DTB (1u << 20)

static void *ram_model(void *arg, uint64_t real, size_t len)
{
	struct tce_machine *m = arg;
	uint64_t end;

	if (tce__add_overflows(real, len, &end) || end > m->ram_size)
		return NULL;
	return m->ram + real;
}

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
		tce__free(m->ctx, phb->pes, phb->npes_alloc * sizeof(*phb->pes));
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
	tce__free(ctx, m->devs, (size_t)m->ndevs_alloc * sizeof(*m->devs));
	tce__pages_free(ctx, m->ram, m->ram ? m->ram_size : 0);
	tce__free(ctx, m->fdt, m->fdt_size);
	tce__free(ctx, m, sizeof(*m));
	if (own)
		tce_ctx_destroy(ctx);
}

/* RAM is reserved, not touched: pages appear when DMA or a test writes them. */
static int machine_memory(struct tce_machine *m, const struct tce_machine_config *cfg)
{
	if (cfg->mem) {
		m->mem = cfg->mem;
		m->mem_arg = cfg->mem_arg;
		return 0;
	}
	m->ram = tce__pages_alloc(m->ctx, m->ram_size);
	if (!m->ram)
		return -ENOMEM;
	m->mem = ram_model;
	m->mem_arg = m;
	return 0;
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
		rc = machine_memory(m, cfg);
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

/* Read a whole file of at most MAX_DTB bytes. */
static int read_file(const char *path, void **buf, size_t *size)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > MAX_DTB)
		rc = -EINVAL;
	*buf = rc ? NULL : malloc((size_t)st.st_size);
	if (!rc && !*buf)
		rc = -ENOMEM;
	if (!rc) {
		got = read(fd, *buf, (size_t)st.st_size);
		rc = got == st.st_size ? 0 : -EIO;
		*size = (size_t)st.st_size;
	}
	close(fd);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int tce_machine_create_dtb_file(const char *path, struct tce_ctx *ctx, struct tce_machine **out)
{
	struct tce_machine_config cfg = { .ctx = ctx };
	size_t size = 0;
	void *buf = NULL;
	int rc = read_file(path, &buf, &size);

	if (rc)
		return rc;
	cfg.dtb = buf, cfg.dtb_size = size;
	rc = tce_machine_create(&cfg, out);
	free(buf);
	return rc;
}

/* The child: dtc compiling @dts to a blob on the pipe's write end. */
static void exec_dtc(const char *dts, int out)
{
	int null = open("/dev/null", O_WRONLY);

	if (null >= 0)
		dup2(null, STDERR_FILENO);
	dup2(out, STDOUT_FILENO);
	execlp("dtc", "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", dts, (char *)NULL);
	_exit(127);
}

/* Read at most MAX_DTB bytes of the blob; -EINVAL if there are more. */
static int read_blob(int fd, void *buf, size_t *size)
{
	ssize_t got;

	*size = 0;
	while ((got = read(fd, (char *)buf + *size, MAX_DTB - *size)) > 0) {
		*size += (size_t)got;
		if (*size == MAX_DTB)
			return -EINVAL;
	}
	return got < 0 ? -errno : 0;
}

/*
 * Compile @dts with dtc, the blob read from a pipe (no temporary file).
 * -ENOENT when dtc cannot be run, -EINVAL when it refuses the source.
 */
static int run_dtc(const char *dts, void *buf, size_t *size)
{
	int fds[2], status, rc;
	pid_t pid;

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		exec_dtc(dts, fds[1]);
	}
	close(fds[1]);
	rc = pid < 0 ? -errno : read_blob(fds[0], buf, size);
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return pid < 0 ? rc : -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return !rc && WIFEXITED(status) && WEXITSTATUS(status) == 0 && *size ? rc : -EINVAL;
}

int tce_machine_create_dts_file(const char *path, struct tce_ctx *ctx, struct tce_machine **out)
{
	struct tce_machine_config cfg = { .ctx = ctx };
	void *buf;
	int rc;

	if (access(path, R_OK))
		return -errno;
	buf = malloc(MAX_DTB);
	if (!buf)
		return -ENOMEM;
	rc = run_dtc(path, buf, &cfg.dtb_size);
	if (rc == -EINVAL && ctx)
		tce__err(ctx, "device tree: %s: dtc could not compile it", path);
	if (!rc) {
		cfg.dtb = buf;
		rc = tce_machine_create(&cfg, out);
	}
	free(buf);
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

void *tce_machine_ram_ptr(struct tce_machine *m, uint64_t real_addr, size_t len)
{
	return len ? m->mem(m->mem_arg, real_addr, len) : NULL;
}

/* "DDDD:BB:DD.F": hex fields of exactly 4, 2, 2 and 1 digits. */
static int parse_pci_addr(const char *s, unsigned *dom, unsigned *bus, unsigned *dev,
			  unsigned *fn)
{
	char tail;

	if (!s || strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	if (sscanf(s, "%4x:%2x:%2x.%1x%c", dom, bus, dev, fn, &tail) != 4 || *dev > 31 || *fn > 7)
		return -EINVAL;
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
					  .nphbs = m->nphbs, .ndevs = m->ndevs };
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
				     .def_size = pe->def_size };
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
