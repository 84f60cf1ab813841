/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA API knows what it handed out (DECISIONS 24): an unmap or free
 * that does not name one live mapping exactly (bus address, size, the call
 * of its kind; for a scatter list every output segment) is -EINVAL and
 * changes nothing, on a bare DMA object and through a device of a host on
 * both platforms. Also: a mapping that cannot be recorded is unmapped again,
 * and a million mappings unmapped in random order stay exact.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tt_table.h"

#define REAL 0x40000000ULL

struct fixture {
	struct tce_ctx *ctx;
	struct tce_table *t;
	struct tce_dma *d;
	struct tce_dma_config cfg;
};

static int setup(struct fixture *f, uint64_t window)
{
	f->ctx = tt_ctx();
	if (tt_table(f->ctx, 0, window, 12, 2, false, &f->t))
		return -1;
	f->cfg = (struct tce_dma_config){ .table = f->t };
	return tce_dma_create(f->ctx, &f->cfg, &f->d);
}

/* Live mappings per the checker, which must pass. */
static uint64_t live(struct fixture *f)
{
	uint64_t n = ~0ULL;

	CHECK_RC(tce_dma_check(f->d, &n), 0);
	return n;
}

static void teardown(struct fixture *f)
{
	struct tce_table_stats st;

	CHECK_EQ(live(f), 0);
	tce_table_stats(f->t, &st);
	CHECK_EQ(st.populated, 0);
	tce_dma_destroy(f->d);
	tce_table_put(f->t);
	tt_ctx_done(f->ctx);
}

static uint64_t tce_at(struct fixture *f, uint64_t bus)
{
	uint64_t v = ~0ULL;

	CHECK_RC(tce_table_get(f->t, bus >> 12, &v), 0);
	return v;
}

/* A page mapping is undone only by its own bus address and size. */
static void page_unmaps_exact(void)
{
	struct fixture f;
	uint64_t bus, other, i;

	REQUIRE(setup(&f, 1ULL << 32) == 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL + 0x123, 0x2100, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 0x1000, TCE_DIR_TO_DEVICE, &other), 0);
	CHECK_EQ(live(&f), 2);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x2000), -EINVAL);  /* the same 3 pages, fewer bytes */
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x1000), -EINVAL);  /* the first pages only */
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x3000), -EINVAL);  /* more than mapped */
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, bus & ~0xfffULL, 0x2100), -EINVAL); /* the offset matters */
	CHECK_RC(tce_dma_unmap_page(f.d, bus + 0x1000, 0x1100), -EINVAL); /* its tail */
	CHECK_RC(tce_dma_unmap_page(f.d, bus, ~0ULL), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, ~0ULL, 0x2100), -EINVAL);
	CHECK_RC(tce_dma_free_coherent(f.d, 0x2100, (void *)(uintptr_t)REAL, bus), -EINVAL);
	for (i = 0; i < 3; i++) /* all three TCEs still there */
		CHECK_EQ(tce_at(&f, bus + (i << 12)), (REAL + (i << 12)) | TCE_PCI_READ);
	CHECK_EQ(live(&f), 2);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x2100), 0);
	CHECK_EQ(tce_at(&f, bus), 0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x2100), -EINVAL); /* twice */
	CHECK_EQ(tce_at(&f, other), REAL | TCE_PCI_READ);
	CHECK_RC(tce_dma_unmap_page(f.d, other, 0x1000), 0);
	/* A coherent mapping of an existing buffer is a page mapping too. */
	CHECK_RC(tce_dma_map_coherent(f.d, REAL, 0x5000, &bus), 0);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x4000), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, 0x5000), 0);
	teardown(&f);
}

/* A coherent buffer is freed only whole, with its own call: no TCE outlives the memory. */
static void coherent_frees_exact(void)
{
	struct fixture f;
	size_t size = 3 << 16, i;
	uint64_t bus, pbus, real;
	uint8_t *cpu;

	REQUIRE(setup(&f, 1ULL << 32) == 0);
	CHECK_RC(tce_dma_alloc_coherent(f.d, size, (void **)&cpu, &bus), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 1 << 16, cpu, bus), -EINVAL);   /* a part */
	CHECK_RC(tce_dma_free_coherent(f.d, size - 1, cpu, bus), -EINVAL);  /* same pages */
	CHECK_RC(tce_dma_free_coherent(f.d, size, cpu + 4096, bus), -EINVAL);
	CHECK_RC(tce_dma_free_coherent(f.d, size, cpu, bus + 4096), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, bus, size), -EINVAL); /* not a page mapping */
	/* Still mapped, and the memory still ours (ASan would catch a free). */
	CHECK_RC(tce_table_translate(f.t, bus + size - 8, TCE_DIR_FROM_DEVICE, &real), 0);
	CHECK_EQ(real, (uint64_t)(uintptr_t)cpu + size - 8);
	for (i = 0; i < size; i++)
		cpu[i] = (uint8_t)i;
	CHECK_EQ(live(&f), 1);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &pbus), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, 4096, (void *)(uintptr_t)REAL, pbus), -EINVAL);
	CHECK_RC(tce_dma_unmap_page(f.d, pbus, 4096), 0);
	CHECK_RC(tce_dma_free_coherent(f.d, size, cpu, bus), 0);
	CHECK_EQ(tce_at(&f, bus), 0);
	teardown(&f);
}

static void fill_sg(struct tce_sg *sg, unsigned n, uint64_t len)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sg[i] = (struct tce_sg){ .real = REAL + i * len, .length = len };
}

/* A scatter list is unmapped only with every output segment of its map call. */
static void sg_unmaps_exact(void)
{
	struct fixture f;
	struct tce_sg sg[32], copy[32], b[4];
	unsigned out, outb, i;

	REQUIRE(setup(&f, 1ULL << 32) == 0);
	fill_sg(sg, 32, 4096); /* 128 KiB, merged into 64 KiB segments */
	CHECK_RC(tce_dma_map_sg(f.d, sg, 32, TCE_DIR_TO_DEVICE, &out), 0);
	REQUIRE(out >= 2 && out < 32);
	fill_sg(b, 4, 4096 + 8);
	CHECK_RC(tce_dma_map_sg(f.d, b, 4, TCE_DIR_TO_DEVICE, &outb), 0);
	CHECK_EQ(live(&f), 2);
	memcpy(copy, sg, sizeof(sg));
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 1), -EINVAL); /* the first segment only */
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, out - 1), -EINVAL);
	sg[out - 1].dma_length -= 4096;
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 32), -EINVAL); /* a shorter last segment */
	memcpy(sg, copy, sizeof(sg));
	sg[1].dma_address += 4096;
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 32), -EINVAL);
	memcpy(sg, copy, sizeof(sg));
	sg[out].dma_address = b[0].dma_address, sg[out].dma_length = b[0].dma_length;
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, out + 1), -EINVAL); /* a segment of another list */
	memcpy(sg, copy, sizeof(sg));
	CHECK_RC(tce_dma_unmap_page(f.d, sg[0].dma_address, sg[0].dma_length), -EINVAL);
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 0), -EINVAL);
	CHECK_RC(tce_dma_unmap_sg(f.d, &sg[1], 31), -EINVAL); /* starts mid-list */
	for (i = 0; i < out; i++)
		CHECK(tce_at(&f, sg[i].dma_address) != 0);
	CHECK_EQ(live(&f), 2);
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 32), 0);
	CHECK_RC(tce_dma_unmap_sg(f.d, sg, 32), -EINVAL); /* twice */
	CHECK_RC(tce_dma_unmap_sg(f.d, b, 4), 0);
	teardown(&f);
}

/*
 * A mapping that cannot be recorded is unmapped again: the 49th mapping in
 * one pool grows its shard past 64 slots, and that allocation fails once.
 */
static void record_failure_unwinds(void)
{
	struct fixture f;
	struct tce_pool_stats st;
	struct tce_table_stats ts;
	struct tce_sg sg[4];
	uint64_t bus[49], extra;
	unsigned out, i;

	REQUIRE(setup(&f, 1ULL << 28) == 0); /* below 1 GiB: one small pool */
	for (i = 0; i < 48; i++)
		CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus[i]), 0);
	tce_ctx_set_fail_nth(f.ctx, 2); /* the 1st fault point is the backend call */
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &extra), -ENOMEM);
	CHECK(!tce_ctx_fail_nth_armed(f.ctx));
	tce_pool_stats(tce_dma_pool(f.d), &st);
	CHECK_EQ(st.allocated, 48);
	tce_table_stats(f.t, &ts);
	CHECK_EQ(ts.populated, 48);
	CHECK_EQ(live(&f), 48);
	/*
	 * A scatter list of 4 ranges (4 backend calls) whose record (5th point)
	 * or the shard's growth for it (6th) fails: nothing stays mapped.
	 */
	for (i = 5; i <= 6; i++) {
		fill_sg(sg, 4, 4096 + 8);
		tce_ctx_set_fail_nth(f.ctx, i);
		CHECK_RC(tce_dma_map_sg(f.d, sg, 4, TCE_DIR_TO_DEVICE, &out), -ENOMEM);
		CHECK(!tce_ctx_fail_nth_armed(f.ctx));
		tce_table_stats(f.t, &ts);
		CHECK_EQ(ts.populated, 48);
		CHECK_EQ(live(&f), 48);
	}
	tce_ctx_set_fail_nth(f.ctx, 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 4096, TCE_DIR_TO_DEVICE, &bus[48]), 0);
	for (i = 0; i < 49; i++)
		CHECK_RC(tce_dma_unmap_page(f.d, bus[i], 4096), 0);
	teardown(&f);
}

struct live_map {
	uint64_t bus, size;
};

/*
 * A million mappings (scaled), unmapped in random order: each wrong-size
 * unmap is refused, each exact one succeeds once, the checker agrees.
 */
static void many_mappings(void)
{
	uint64_t n = (uint64_t)((1 << 20) * tt_scale()), seed = tt_seed(), i, j;
	struct live_map *m, tmp;
	struct fixture f;

	REQUIRE(setup(&f, 1ULL << 33) == 0); /* 2 Mi entries */
	m = calloc(n, sizeof(*m));
	REQUIRE(m);
	for (i = 0; i < n && !tt_failed(); i++) {
		m[i].size = 1 + tt_below(&seed, 4096);
		CHECK_RC(tce_dma_map_page(f.d, REAL + (i << 12), m[i].size, TCE_DIR_TO_DEVICE,
					  &m[i].bus), 0);
	}
	CHECK_EQ(live(&f), n);
	for (i = n; i > 1; i--) { /* shuffle */
		j = tt_below(&seed, i);
		tmp = m[i - 1], m[i - 1] = m[j], m[j] = tmp;
	}
	for (i = 0; i < n && !tt_failed(); i++) {
		if (i % 97 == 0)
			CHECK_RC(tce_dma_unmap_page(f.d, m[i].bus, m[i].size + 1), -EINVAL);
		CHECK_RC(tce_dma_unmap_page(f.d, m[i].bus, m[i].size), 0);
		if (i % 100003 == 0) {
			CHECK_RC(tce_dma_unmap_page(f.d, m[i].bus, m[i].size), -EINVAL);
			CHECK_EQ(live(&f), n - i - 1);
		}
	}
	free(m);
	teardown(&f);
}

/*
 * Through a host's devices (the tce_device_* calls route translated modes
 * to the DMA API): a partial unmap or free is refused and the device's DMA
 * through the whole mapping keeps working.
 */
static void device_calls(enum tce_platform p)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_machine *m = tt_machine(ctx, p);
	uint64_t real, kreal, bus, cbus, v = 0x1122334455667788ULL;
	struct tce_device *d;
	struct tce_host *h;
	void *cpu, *kcpu;

	REQUIRE(m && tce_host_create(m, &h) == 0);
	REQUIRE(tce_host_find_device(h, "0000:00:01.0", &d) == 0);
	REQUIRE(tce_host_alloc(h, 3 * 4096, &kreal, &kcpu) == 0);
	CHECK_RC(tce_device_map_page(d, kreal, 3 * 4096, TCE_DIR_FROM_DEVICE, &bus), 0);
	CHECK_RC(tce_device_unmap_page(d, bus, 4096), -EINVAL);
	CHECK_RC(tce_dev_dma_write(tce_device_pci(d), bus + 2 * 4096, &v, 8), 0);
	CHECK_RC(tce_device_alloc_coherent(d, 1 << 16, &real, &cpu, &cbus), 0);
	CHECK_RC(tce_device_free_coherent(d, 4096, real, cbus), -EINVAL);
	CHECK_RC(tce_dev_dma_write(tce_device_pci(d), cbus + (1 << 16) - 8, &v, 8), 0);
	CHECK(!memcmp((uint8_t *)cpu + (1 << 16) - 8, &v, 8));
	CHECK_RC(tce_device_free_coherent(d, 1 << 16, real, cbus), 0);
	CHECK_RC(tce_device_free_coherent(d, 1 << 16, real, cbus), -EINVAL);
	CHECK_RC(tce_device_unmap_page(d, bus, 3 * 4096), 0);
	CHECK_RC(tce_dev_dma_write(tce_device_pci(d), bus, &v, 8), -EFAULT);
	CHECK_RC(tce_host_free(h, kreal, 3 * 4096), 0);
	tce_host_destroy(h);
	tce_machine_destroy(m);
	tt_ctx_done(ctx);
}

static void device_calls_pseries(void)
{
	device_calls(TCE_PLATFORM_PSERIES);
}

static void device_calls_powernv(void)
{
	device_calls(TCE_PLATFORM_POWERNV);
}

/* Bytes a one-page coherent buffer takes on a host of @shift (0: the default). */
static uint64_t coherent_cost(struct tce_ctx *ctx, struct tce_table *t, uint32_t shift)
{
	struct tce_dma_config cfg = { .table = t, .host_page_shift = shift };
	struct tce_mem_stats before, after;
	uint64_t bus, pbus;
	struct tce_dma *d;
	void *cpu;

	if (tce_dma_create(ctx, &cfg, &d))
		return 0;
	CHECK_RC(tce_dma_map_page(d, REAL, 4096, TCE_DIR_TO_DEVICE, &pbus), 0); /* the record's table */
	tce_ctx_mem_stats(ctx, &before);
	CHECK_RC(tce_dma_alloc_coherent(d, 4096, &cpu, &bus), 0);
	tce_ctx_mem_stats(ctx, &after);
	CHECK_RC(tce_dma_free_coherent(d, 4096, cpu, bus), 0);
	tce_dma_destroy(d); /* the page mapping is forgotten, not leaked */
	tce_table_clear(t, pbus >> 12, 1);
	return after.live_bytes - before.live_bytes;
}

/* The host page shift of a DMA object: 12 or 16 (0 = 16), the unit of coherent buffers. */
static void host_page_shift(void)
{
	struct tce_ctx *ctx = tt_ctx();
	struct tce_dma_config cfg;
	struct tce_table *t;
	struct tce_dma *d;

	REQUIRE(tt_table(ctx, 0, 1ULL << 28, 12, 1, false, &t) == 0);
	cfg = (struct tce_dma_config){ .table = t, .host_page_shift = 13 };
	CHECK_RC(tce_dma_create(ctx, &cfg, &d), -EINVAL);
	cfg = (struct tce_dma_config){ .table = t };
	REQUIRE(tce_dma_create(ctx, &cfg, &d) == 0);
	CHECK_EQ(cfg.host_page_shift, 16);
	tce_dma_destroy(d);
	CHECK_EQ(coherent_cost(ctx, t, 12), 4096);
	CHECK_EQ(coherent_cost(ctx, t, 16), 1 << 16);
	CHECK_EQ(coherent_cost(ctx, t, 0), 1 << 16);
	tce_table_put(t);
	tt_ctx_done(ctx);
}

/*
 * Destroying a DMA object with mappings still live clears their TCEs (the
 * table outlives it here) and frees its coherent buffers: nothing leaks and
 * no TCE points at freed memory.
 */
static void destroy_with_live_mappings(void)
{
	struct fixture f;
	struct tce_table_stats st;
	struct tce_sg sg[3];
	uint64_t bus, cbus;
	unsigned n;
	void *cpu;

	REQUIRE(setup(&f, 1ULL << 30) == 0);
	CHECK_RC(tce_dma_map_page(f.d, REAL, 8192, TCE_DIR_TO_DEVICE, &bus), 0);
	CHECK_RC(tce_dma_alloc_coherent(f.d, 16384, &cpu, &cbus), 0);
	fill_sg(sg, 3, 4096);
	CHECK_RC(tce_dma_map_sg(f.d, sg, 3, TCE_DIR_FROM_DEVICE, &n), 0);
	tce_table_stats(f.t, &st);
	CHECK(st.populated >= 2 + 4 + 3);
	tce_dma_destroy(f.d);
	tce_table_stats(f.t, &st);
	CHECK_EQ(st.populated, 0);
	tce_table_put(f.t);
	tt_ctx_done(f.ctx); /* the coherent buffer was freed with it */
}

static const struct tt_case cases[] = {
	TT_CASE(page_unmaps_exact),
	TT_CASE(coherent_frees_exact),
	TT_CASE(sg_unmaps_exact),
	TT_CASE(record_failure_unwinds),
	TT_CASE(many_mappings),
	TT_CASE(device_calls_pseries),
	TT_CASE(device_calls_powernv),
	TT_CASE(host_page_shift),
	TT_CASE(destroy_with_live_mappings),
};

int main(int argc, char **argv)
{
	return tt_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
