/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tce-bench ioat`: copies by the emulated I/OAT channel through PE 2's
 * default window (every descriptor fetch, source read, destination write
 * and the completion write-back translated by the IOMMU) against memcpy()
 * of the same bytes between the same host buffers, for 64 B, 4 KiB and
 * 64 KiB copies. A repetition submits rings of 512 copy descriptors with
 * one DMACOUNT store each (tce_dev_bar_write(), which wakes the device
 * thread) and spins on the completion word of the ring's last descriptor;
 * the time includes that hand-off to the device thread. The machine is the
 * built-in pseries machine, whose function 0000:00:03.0 is the channel
 * (docs/machine.md). Layer: tools; uses <tce.h>.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench_ctx.h"
#include "harness.h"
#include "report.h"
#include "subcommands.h"

#define IB_LIOBN 0x80000200ULL         /* PE 2's default window */
#define IB_BASE (1ULL << 20)            /* bus = real for the mapped span */
#define IB_RING IB_BASE                 /* 512 descriptors: 32 KiB */
#define IB_STATUS (IB_BASE + 0x8000)
#define IB_SRC (IB_BASE + 0x10000)
#define IB_BUF (8ULL << 20)             /* source and destination buffers */
#define IB_DST (IB_SRC + IB_BUF)
#define IB_SPAN (IB_DST + IB_BUF - IB_BASE)
#define IB_RING_N 512u
#define IB_SIZES 3

static const uint32_t sizes[IB_SIZES] = { 64, 4096, 65536 };

struct ib_env {
	struct tce_machine *m;
	struct tce_pci_dev *d;
	uint8_t *mem;            /* host view of the span */
	uint16_t count;          /* DMACOUNT so far */
};

struct ib_arg {
	struct ib_env *e;
	uint32_t size;
	uint64_t rings;          /* rings of 512 copies per repetition */
};

static int ib_fail(const char *what, int rc)
{
	fprintf(stderr, "tce-bench: ioat: %s: %s (%s)\n", what, tce_strerror(rc), tce_err_name(rc));
	return rc;
}

static uint8_t *at(struct ib_env *e, uint64_t bus)
{
	return e->mem + (bus - IB_BASE);
}

/* Copy i of a ring of @size-byte copies: consecutive slots, wrapping in the buffers. */
static uint64_t slot(uint32_t size, unsigned i)
{
	return ((uint64_t)i * size) % IB_BUF;
}

static void put_desc(struct ib_env *e, unsigned i, uint32_t size)
{
	uint8_t *p = at(e, IB_RING + (uint64_t)i * TCE_IOAT_DESC_SIZE);
	uint32_t ctl = TCE_IOAT_OP_COPY << TCE_IOAT_CTL_OP_SHIFT;
	uint64_t v[4];

	if (i == IB_RING_N - 1)
		ctl |= TCE_IOAT_CTL_COMPL_UPDATE;
	v[0] = htole64((uint64_t)ctl << 32 | size);
	v[1] = htole64(IB_SRC + slot(size, i));
	v[2] = htole64(IB_DST + slot(size, i));
	v[3] = htole64(IB_RING + (uint64_t)((i + 1) % IB_RING_N) * TCE_IOAT_DESC_SIZE);
	memcpy(p, v, sizeof(v));
}

/* A spin-wait hint where the CPU has one. */
static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* One ring: DMACOUNT + 512, then spin until the last descriptor's write-back. */
static int one_ring(struct ib_env *e)
{
	uint64_t want = (IB_RING + (IB_RING_N - 1) * TCE_IOAT_DESC_SIZE) | TCE_IOAT_CHANSTS_IDLE;
	uint64_t *w = (uint64_t *)at(e, IB_STATUS), v;
	int rc;

	__atomic_store_n(w, 0, __ATOMIC_RELEASE);
	e->count = (uint16_t)(e->count + IB_RING_N);
	rc = tce_dev_bar_write(e->d, 0, TCE_IOAT_REG_DMACOUNT, 2, e->count);
	if (rc)
		return ib_fail("DMACOUNT", rc);
	while ((v = le64toh(__atomic_load_n(w, __ATOMIC_ACQUIRE))) != want) {
		if ((v & TCE_IOAT_CHANSTS_STATE) == TCE_IOAT_CHANSTS_HALTED)
			return ib_fail("the channel halted", -EIO);
		relax();
	}
	return 0;
}

static int run_ours(void *arg, double *ns_per_op)
{
	struct ib_arg *a = arg;
	uint64_t r, t0, t1;
	unsigned i;
	int rc = 0;

	for (i = 0; i < IB_RING_N; i++)
		put_desc(a->e, i, a->size);
	t0 = bench_now_ns();
	for (r = 0; r < a->rings && !rc; r++)
		rc = one_ring(a->e);
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)(a->rings * IB_RING_N);
	return rc;
}

static int run_floor(void *arg, double *ns_per_op)
{
	struct ib_arg *a = arg;
	uint64_t r, t0, t1;
	unsigned i;
	uint8_t *src = at(a->e, IB_SRC), *dst = at(a->e, IB_DST);

	t0 = bench_now_ns();
	for (r = 0; r < a->rings; r++) {
		for (i = 0; i < IB_RING_N; i++) {
			uint8_t *d = dst + slot(a->size, i);

			BENCH_OPAQUE(d);
			memcpy(d, src + slot(a->size, i), a->size);
		}
	}
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0) / (double)(a->rings * IB_RING_N);
	return 0;
}

static int map_span(struct ib_env *e)
{
	uint64_t bus, a[9];
	long st;

	for (bus = IB_BASE; bus < IB_BASE + IB_SPAN; bus += 4096) {
		a[0] = IB_LIOBN, a[1] = bus, a[2] = bus | TCE_PCI_READ | TCE_PCI_WRITE;
		st = tce_hv_hcall(e->m, TCE_H_PUT_TCE, a);
		if (st != TCE_H_SUCCESS)
			return ib_fail("H_PUT_TCE", -EIO);
	}
	return 0;
}

/* Bring the channel up as DPDK does; pre-fault the span. */
static int start(struct ib_env *e)
{
	int rc = tce_dev_config_write(e->d, TCE_PCI_COMMAND, 2,
				      TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
	uint64_t i;

	for (i = 0; i < IB_SPAN; i++)
		e->mem[i] = (uint8_t)(i * 31 + 7);
	if (!rc)
		rc = tce_dev_bar_write(e->d, 0, TCE_IOAT_REG_CHANCTRL, 2,
				       TCE_IOAT_CHANCTRL_ERR_COMPLETION_EN |
				       TCE_IOAT_CHANCTRL_ANY_ERR_ABORT_EN);
	if (!rc)
		rc = tce_dev_bar_write(e->d, 0, TCE_IOAT_REG_CHANCMP, 8, IB_STATUS);
	if (!rc)
		rc = tce_dev_bar_write(e->d, 0, TCE_IOAT_REG_CHAINADDR, 8, IB_RING);
	return rc ? ib_fail("starting the channel", rc) : 0;
}

static int setup(struct ib_env *e)
{
	int rc = tce_machine_create_default(TCE_PLATFORM_PSERIES, &e->m);

	if (rc)
		return ib_fail("tce_machine_create_default", rc);
	tce_ctx_set_log(tce_machine_ctx(e->m), bench_log_stderr, NULL, TCE_LOG_WARN);
	rc = tce_machine_find_device(e->m, "0000:00:03.0", &e->d);
	if (rc)
		return ib_fail("the ioat function", rc);
	e->mem = tce_machine_ram_ptr(e->m, IB_BASE, IB_SPAN);
	if (!e->mem)
		return ib_fail("RAM", -EFAULT);
	rc = map_span(e);
	return rc ? rc : start(e);
}

static void emit(const struct bench_opts *o, const struct ib_arg *a, const struct bench_variant *v,
		 unsigned int i)
{
	unsigned int floor = i | 1;
	struct bench_row r;

	bench_row_init(&r, "ioat.copy", v[i].name, &v[i]);
	bench_param_num(&r, "size_bytes", a[i].size);
	bench_param_json(&r, "copies", (double)(a[i].rings * IB_RING_N));
	r.ratio = v[floor].sum.median > 0 ? v[i].sum.median / v[floor].sum.median : 0;
	if (v[i].sum.median > 0)
		bench_extra(&r, "gb_per_s", a[i].size / v[i].sum.median);
	bench_emit(o, &r);
}

/* The last ring's copies arrived: every destination slot holds its source. */
static int check(struct ib_env *e, uint32_t size)
{
	unsigned i;

	for (i = 0; i < IB_RING_N; i++)
		if (memcmp(at(e, IB_DST + slot(size, i)), at(e, IB_SRC + slot(size, i)), size))
			return ib_fail("a copy's destination differs from its source", -EPROTO);
	return 0;
}

static int measure(const struct bench_opts *o, struct ib_env *e)
{
	static const char *const names[2 * IB_SIZES] = {
		"OURS-ioat-64B", "FLOOR-memcpy-64B", "OURS-ioat-4K", "FLOOR-memcpy-4K",
		"OURS-ioat-64K", "FLOOR-memcpy-64K" };
	struct ib_arg a[2 * IB_SIZES];
	struct bench_variant v[2 * IB_SIZES];
	uint64_t bytes = o->quick ? 1ULL << 20 : 64ULL << 20;
	unsigned int i;
	int rc = 0;

	memset(v, 0, sizeof(v));
	for (i = 0; i < 2 * IB_SIZES; i++) {
		uint32_t s = sizes[i / 2];
		uint64_t rings = bytes / ((uint64_t)s * IB_RING_N);

		a[i] = (struct ib_arg){ .e = e, .size = s, .rings = rings ? rings : 1 };
		if (s == 64 && !o->quick)
			a[i].rings = 64;   /* 32 Ki copies: the per-copy cost, not bandwidth */
		v[i] = (struct bench_variant){ .name = names[i], .run = i % 2 ? run_floor : run_ours,
					       .arg = &a[i] };
	}
	rc = bench_run_interleaved(v, 2 * IB_SIZES, o->reps);
	for (i = 0; i < IB_SIZES && !rc; i++) {
		uint64_t k;

		for (k = 0; k < IB_RING_N; k++)
			put_desc(e, (unsigned)k, sizes[i]);
		rc = one_ring(e);
		if (!rc)
			rc = check(e, sizes[i]);
	}
	for (i = 0; i < 2 * IB_SIZES && !rc; i++)
		emit(o, a, v, i);
	return rc;
}

int bench_ioat(const struct bench_opts *o)
{
	struct ib_env e = { 0 };
	int rc = setup(&e);

	bench_section(o, "ioat.copy: copies by the emulated I/OAT channel through the IOMMU\n"
		      "   (rings of 512 descriptors, one DMACOUNT store each, completion word\n"
		      "   polled) against memcpy() of the same bytes; ns per copy", "ns/copy");
	if (!rc)
		rc = measure(o, &e);
	tce_machine_destroy(e.m);
	return rc;
}
