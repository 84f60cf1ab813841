/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `tcectl demo` (what `make run` runs): the OS on both built-in machines.
 * (1) kernel DMA from two threads, each driving a DMA-test device that
 * copies kernel buffers through the IOMMU, verified with memcmp; the DMA
 * throughput is timed around the device's copy alone (buffers filled, so
 * faulted in, before; verification after) and shown beside a memcpy of the
 * same 64 KiB between the same buffers in the same run; (2) a 64-bit
 * DMA mask enables a dynamic (or bypass) window and DMA runs through it;
 * (3) PE 0 is handed to an external owner: the kernel's windows go, the
 * owner creates a window with the table-group ops, maps by exchange, DMAs,
 * clears and removes it, and gives the PE back: the default window returns
 * and kernel DMA works again; (4) the same for the SR-IOV virtual function;
 * (5) on a powernv machine whose real address space also holds this
 * process's own malloc'ed buffers (an identity region, as tce-run uses), an
 * owner maps them and the device copies between them; a TCE to an address
 * in no region faults; clearing releases the pages after the kill.
 * Every check is printed; the exit status is 1 if any failed; with --json
 * the last line is a summary. Layer: front end; uses only <tce.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcectl.h"

#define COPY_LEN (64u << 10)
#define ROUNDS 300
#define PAGE64K (64u << 10)

struct demo {
	bool json, tty;
	unsigned checks, failed;
};

struct run_stats {
	uint64_t bytes, tces;
	double seconds;
	double dma_seconds, memcpy_seconds; /* summed over the copies of both threads */
	struct tce_cache_stats cache;
};

/* What one thread's copies took: the device's copy alone, and memcpy of the same bytes. */
struct copy_times {
	double dma, memcpy;
};

static void check(struct demo *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	d->checks++;
	d->failed += !ok;
	if (d->json && ok)
		return;
	printf("    %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


/* Program the device's copy engine and return its status (TCE_DT_STATUS_DONE: done). */
static uint64_t device_copy(struct tce_pci_dev *pci, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t status = 0;

	tce_dev_config_write(pci, TCE_PCI_COMMAND, 2, TCE_PCI_COMMAND_MEMORY | TCE_PCI_COMMAND_MASTER);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_SRC, 8, src);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_DST, 8, dst);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_LEN, 8, len);
	tce_dev_bar_write(pci, 0, TCE_DT_REG_CMD, 4, TCE_DT_CMD_COPY);
	tce_dev_bar_read(pci, 0, TCE_DT_REG_STATUS, 4, &status);
	return status;
}

/* A 64 KiB-aligned kernel buffer (the largest IOMMU page the demo maps). */
struct kbuf {
	uint64_t real, alloc_real, alloc_len;
	uint8_t *p;
};

static int kbuf_get(struct tce_host *h, struct kbuf *b, size_t len)
{
	uint8_t *p;
	int rc = tce_host_alloc(h, len + PAGE64K, &b->alloc_real, (void **)&p);

	if (rc)
		return rc;
	b->alloc_len = len + PAGE64K;
	b->real = (b->alloc_real + PAGE64K - 1) & ~(uint64_t)(PAGE64K - 1);
	b->p = p + (b->real - b->alloc_real);
	return 0;
}

static void kbuf_put(struct tce_host *h, struct kbuf *b)
{
	tce_host_free(h, b->alloc_real, b->alloc_len);
}

/* The device's copy, timed alone into @ct (if any), then memcpy of the same bytes, timed. */
static bool timed_copy(struct tce_device *dev, uint64_t bs, uint64_t bd, struct kbuf *s,
		       struct kbuf *t, struct copy_times *ct)
{
	double t0 = now(), t1;
	bool ok = device_copy(tce_device_pci(dev), bs, bd, COPY_LEN) == TCE_DT_STATUS_DONE;

	t1 = now();
	ok = ok && memcmp(s->p, t->p, COPY_LEN) == 0;
	if (ct) {
		ct->dma += t1 - t0;
		t0 = now();
		memcpy(t->p, s->p, COPY_LEN);
		ct->memcpy += now() - t0;
	}
	return ok;
}

/*
 * One kernel copy: fill both buffers (so every page is faulted in before
 * anything is timed), map, the device copies, memcmp, unmap.
 */
static bool kernel_copy(struct tce_host *h, struct tce_device *dev, uint64_t seed, uint64_t *tces,
			struct copy_times *ct)
{
	struct tce_device_dma_info di;
	struct kbuf s, t;
	uint64_t bs, bd;
	bool ok = false;
	size_t i;

	if (kbuf_get(h, &s, COPY_LEN))
		return false;
	if (kbuf_get(h, &t, COPY_LEN)) {
		kbuf_put(h, &s);
		return false;
	}
	for (i = 0; i < COPY_LEN; i++)
		s.p[i] = (uint8_t)((seed + i) * 2654435761u >> 13), t.p[i] = 0;
	if (!tce_device_map_page(dev, s.real, COPY_LEN, TCE_DIR_TO_DEVICE, &bs)) {
		if (!tce_device_map_page(dev, t.real, COPY_LEN, TCE_DIR_FROM_DEVICE, &bd)) {
			ok = timed_copy(dev, bs, bd, &s, &t, ct);
			ok &= tce_device_unmap_page(dev, bd, COPY_LEN) == 0;
		}
		ok &= tce_device_unmap_page(dev, bs, COPY_LEN) == 0;
	}
	tce_device_dma_info(dev, &di);
	if (tces && di.page_shift && di.mode != TCE_DMA_DIRECT && di.mode != TCE_DMA_BYPASS)
		*tces += 2 * (COPY_LEN >> di.page_shift);
	kbuf_put(h, &t);
	kbuf_put(h, &s);
	return ok;
}

struct worker {
	struct tce_host *h;
	struct tce_device *dev;
	atomic_uint done;
	unsigned bad;
	uint64_t tces;
	struct copy_times ct;
};

static void *copier(void *arg)
{
	struct worker *w = arg;
	unsigned i;

	for (i = 0; i < ROUNDS; i++) {
		w->bad += !kernel_copy(w->h, w->dev, i * 977 + (uintptr_t)w, &w->tces, &w->ct);
		atomic_fetch_add(&w->done, 1);
	}
	return NULL;
}

static void progress(const struct demo *d, struct worker *w)
{
	unsigned done;

	do {
		done = atomic_load(&w[0].done) + atomic_load(&w[1].done);
		if (d->tty && !d->json) {
			printf("\r    copying: %3u%%", done * 100 / (2 * ROUNDS));
			fflush(stdout);
		}
		if (done < 2 * ROUNDS)
			usleep(20000);
	} while (done < 2 * ROUNDS);
	if (d->tty && !d->json)
		printf("\r                 \r");
}

static double mb_per_s(uint64_t bytes, double seconds)
{
	return seconds > 0 ? bytes / seconds / 1e6 : 0;
}

/* DMA timed alone beside memcpy of the same copies, then the whole loop's rate. */
static void print_rates(const struct run_stats *st)
{
	double dma = mb_per_s(st->bytes, st->dma_seconds), mc = mb_per_s(st->bytes, st->memcpy_seconds);

	printf("        DMA %.0f MB/s a device (the copy engine's time only), memcpy of the same "
	       "64 KiB %.0f MB/s in this run: DMA takes %.2fx memcpy's time\n",
	       dma, mc, dma > 0 ? mc / dma : 0);
	printf("        whole loop (buffers, map, DMA, memcmp, unmap) %.0f MB/s; %" PRIu64
	       " TCEs written, TCE cache hit rate %.1f%% (each page is translated once a copy)\n",
	       mb_per_s(st->bytes, st->seconds), st->tces,
	       100.0 * st->cache.hits / (double)(st->cache.hits + st->cache.misses + !st->cache.hits));
}

/* (1) Two threads, one per PE's device, copying through the IOMMU. */
static void step_threads(struct demo *d, struct tce_host *h, struct tce_device *a,
			 struct tce_device *b, struct run_stats *st)
{
	struct worker w[2] = { { .h = h, .dev = a }, { .h = h, .dev = b } };
	struct tce_cache_stats c0, c1;
	pthread_t th[2];
	double t0 = now();
	unsigned i;

	tce_dev_cache_stats(tce_device_pci(a), &c0);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, copier, &w[i]);
	progress(d, w);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	st->seconds = now() - t0;
	tce_dev_cache_stats(tce_device_pci(a), &c1);
	st->bytes = 2ULL * ROUNDS * COPY_LEN;
	st->tces = w[0].tces + w[1].tces;
	st->cache = (struct tce_cache_stats){ c1.hits - c0.hits, c1.misses - c0.misses,
					      c1.kills - c0.kills };
	st->dma_seconds = w[0].ct.dma + w[1].ct.dma;
	st->memcpy_seconds = w[0].ct.memcpy + w[1].ct.memcpy;
	check(d, !w[0].bad && !w[1].bad,
	      "(1) kernel DMA, 2 threads: %u copies of 64 KiB through the IOMMU, memcmp equal",
	      2 * ROUNDS);
	if (!d->json)
		print_rates(st);
}

static const char *mode_name(enum tce_dma_mode m)
{
	static const char *const names[] = { "default", "dynamic", "direct", "bypass", "owned" };

	return (unsigned)m < 5 ? names[m] : "?";
}

/* (2) A 64-bit mask: a dynamic or bypass window, and DMA through it. */
static void step_ddw(struct demo *d, struct tce_host *h, struct tce_device *a)
{
	struct tce_device_dma_info di;
	unsigned i, bad = 0;

	check(d, tce_device_set_dma_mask(a, ~0ULL) == 0, "(2) 64-bit DMA mask accepted");
	tce_device_dma_info(a, &di);
	char pages[32] = "real mode";

	if (di.page_shift)
		snprintf(pages, sizeof(pages), "%llu KiB pages", (1ULL << di.page_shift) >> 10);
	check(d, di.mode == TCE_DMA_DIRECT || di.mode == TCE_DMA_DYNAMIC || di.mode == TCE_DMA_BYPASS,
	      "(2) %s window: bus 0x%" PRIx64 ", %" PRIu64 " MiB, %s, slot %u", mode_name(di.mode),
	      di.bus_start, di.size >> 20, pages, di.slot);
	for (i = 0; i < 50; i++)
		bad += !kernel_copy(h, a, i, NULL, NULL);
	check(d, !bad, "(2) 50 copies through the 64-bit window, memcmp equal");
	tce_device_set_dma_mask(a, 0xffffffffULL);
}

/* The owner's window: create, set, map two pages by exchange, kill. */
static struct tce_iommu_table *owner_window(struct demo *d, struct tce_group *g, const char *who)
{
	struct tce_window_req req = { .num = 0, .page_shift = 16, .window_size = 1ULL << 30,
				      .levels = 2 };
	struct tce_iommu_table_info ti;
	struct tce_iommu_table *t = NULL;
	struct tce_group_info gi;
	int rc;

	tce_group_info(g, &gi);
	if (gi.max_levels < 2)
		req.levels = 1;
	rc = tce_group_create_table(g, &req, &t);
	if (!rc)
		rc = tce_group_set_window(g, 0, t);
	if (!rc)
		tce_iommu_table_info(t, &ti);
	check(d, rc == 0, "(%s) owner created and set a window: bus 0x%" PRIx64 ", 1 GiB of 64 KiB pages",
	      who, rc ? 0 : ti.bus_offset);
	if (rc && t) {
		tce_iommu_table_put(t);
		t = NULL;
	}
	return t;
}

static bool owner_map(struct tce_iommu_table *t, uint64_t idx, uint64_t real, enum tce_dir dir)
{
	enum tce_dir old = dir;
	uint64_t a = real;

	return !tce_iommu_table_xchg(t, idx, &a, &old) && !tce_iommu_table_kill(t, idx, 1) && !a;
}

/* The owner DMAs through its window, then clears it. */
static void owner_dma(struct demo *d, struct tce_host *h, struct tce_device *dev,
		      struct tce_iommu_table *t, const char *who)
{
	struct tce_iommu_table_info ti;
	struct kbuf s, u;
	uint64_t bs, bd;
	uint8_t probe[8];
	bool ok;

	tce_iommu_table_info(t, &ti);
	if (kbuf_get(h, &s, COPY_LEN) || kbuf_get(h, &u, COPY_LEN)) {
		check(d, false, "(%s) kernel memory for the owner's buffers", who);
		return;
	}
	memset(s.p, 0x5a, COPY_LEN), memset(u.p, 0, COPY_LEN);
	ok = owner_map(t, ti.first_idx + 2, s.real, TCE_DIR_TO_DEVICE) &&
	     owner_map(t, ti.first_idx + 3, u.real, TCE_DIR_FROM_DEVICE);
	bs = (ti.first_idx + 2) << ti.page_shift, bd = (ti.first_idx + 3) << ti.page_shift;
	ok = ok && device_copy(tce_device_pci(dev), bs, bd, COPY_LEN) == TCE_DT_STATUS_DONE &&
	     memcmp(s.p, u.p, COPY_LEN) == 0;
	check(d, ok, "(%s) owner's DMA through its window: copy verified", who);
	ok = !tce_iommu_table_clear(t, ti.first_idx, ti.entries) &&
	     tce_dev_dma_read(tce_device_pci(dev), bs, probe, 8) != 0;
	tce_dev_eeh_thaw(tce_device_pci(dev));
	check(d, ok, "(%s) TCEs cleared: the device's access faults", who);
	kbuf_put(h, &u);
	kbuf_put(h, &s);
}

/* (3)/(4) Hand a PE to an owner and back. */
static void step_hand_off(struct demo *d, struct tce_host *h, struct tce_device *dev,
			  const char *who)
{
	struct tce_group *g = tce_device_group(dev);
	struct tce_device_dma_info before, after;
	struct tce_iommu_table *t;
	uint64_t bus;
	uint8_t probe[8];

	tce_device_dma_info(dev, &before);
	check(d, tce_group_take_ownership(g) == 0, "(%s) external owner took the group", who);
	check(d, tce_device_map_page(dev, 0x100000, 4096, TCE_DIR_TO_DEVICE, &bus) == -EBUSY,
	      "(%s) the kernel's DMA API refuses to map", who);
	check(d, tce_dev_dma_read(tce_device_pci(dev), before.bus_start, probe, 8) != 0,
	      "(%s) the default window is gone", who);
	tce_dev_eeh_thaw(tce_device_pci(dev));
	t = owner_window(d, g, who);
	if (t) {
		owner_dma(d, h, dev, t, who);
		check(d, tce_group_unset_window(g, 0) == 0, "(%s) window removed", who);
		tce_iommu_table_put(t);
	}
	check(d, tce_group_release_ownership(g) == 0, "(%s) ownership released", who);
	tce_device_dma_info(dev, &after);
	check(d, after.mode == TCE_DMA_DEFAULT && after.bus_start == before.bus_start &&
		 after.size == before.size,
	      "(%s) default window back: bus 0x%" PRIx64 ", %" PRIu64 " MiB", who, after.bus_start,
	      after.size >> 20);
	check(d, kernel_copy(h, dev, 99, NULL, NULL), "(%s) kernel DMA works again", who);
}

static int platform_run(struct demo *d, enum tce_platform p, struct run_stats *st)
{
	struct tce_device *a, *b;
	struct tce_machine *m;
	struct tce_host *h;
	int rc;

	rc = tce_machine_create_default(p, &m);
	if (rc)
		return tcectl_fail("machine", rc);
	rc = tce_host_create(m, &h);
	if (rc) {
		tce_machine_destroy(m);
		return tcectl_fail("host", rc);
	}
	if (!d->json)
		printf("%s: the OS on the built-in machine (PE 0: 0000:00:01.0, PE 1 = SR-IOV VF: "
		       "0000:00:02.0)\n", p == TCE_PLATFORM_PSERIES ? "pseries" : "powernv");
	tce_host_find_device(h, "0000:00:01.0", &a);
	tce_host_find_device(h, "0000:00:02.0", &b);
	step_threads(d, h, a, b, st);
	step_ddw(d, h, a);
	step_hand_off(d, h, a, "3");
	step_hand_off(d, h, b, "4");
	tce_host_destroy(h);
	tce_machine_destroy(m);
	if (!d->json)
		printf("\n");
	return 0;
}

/* Releases the owner's callback saw (step 5). */
struct releases {
	unsigned n, dirty;
};

static void count_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct releases *r = arg;

	(void)idx, (void)real;
	r->n++;
	r->dirty += dirty;
}

/* (5) The owner's DMA into this process's own buffers, seen through an identity region. */
static void caller_copy(struct demo *d, struct tce_device *dev, struct tce_iommu_table *t,
			uint8_t *buf, size_t half)
{
	struct tce_iommu_table_info ti;
	struct releases rel = { 0 };
	struct tce_fault f;
	uint64_t bs, bd, bad;
	uint8_t probe[8];
	bool ok;

	tce_iommu_table_info(t, &ti);
	tce_iommu_table_set_release(t, count_release, &rel);
	memset(buf, 0xc3, half), memset(buf + half, 0, half);
	bs = (ti.first_idx + 2) << ti.page_shift, bd = (ti.first_idx + 3) << ti.page_shift;
	ok = !tce_iommu_table_update(t, ti.first_idx + 2, 1, (uintptr_t)buf, TCE_DIR_TO_DEVICE) &&
	     !tce_iommu_table_update(t, ti.first_idx + 3, 1, (uintptr_t)buf + half,
				     TCE_DIR_FROM_DEVICE) &&
	     device_copy(tce_device_pci(dev), bs, bd, COPY_LEN) == 1 &&
	     memcmp(buf, buf + half, COPY_LEN) == 0;
	check(d, ok, "(5) the device copied between two malloc'ed buffers of this process");
	bad = (uintptr_t)buf + 2 * half; /* just past the region: in no region */
	ok = !tce_iommu_table_update(t, ti.first_idx + 4, 1, bad, TCE_DIR_TO_DEVICE) &&
	     tce_dev_dma_read(tce_device_pci(dev), (ti.first_idx + 4) << ti.page_shift, probe, 8) ==
		     -EFAULT &&
	     tce_dev_eeh_frozen(tce_device_pci(dev), &f) && f.reason == TCE_FAULT_BAD_REAL;
	tce_dev_eeh_thaw(tce_device_pci(dev));
	check(d, ok, "(5) a TCE to an address in no region faults the PE (bad real address)");
	ok = !tce_iommu_table_clear(t, ti.first_idx, ti.entries) && rel.n == 3 && rel.dirty == 1;
	check(d, ok, "(5) cleared: %u pages released after the kill, %u of them dirty", rel.n,
	      rel.dirty);
}

/* (5) A machine whose real address space also holds the caller's memory (what tce-run uses). */
static void step_caller_memory(struct demo *d)
{
	const size_t half = 1 << 16;
	struct tce_mem_region r = { .size = 2 * half, .page_shift = 12 };
	struct tce_iommu_table *t = NULL;
	struct tce_machine *m = NULL;
	struct tce_host *h = NULL;
	struct tce_device *dev;
	uint8_t *buf = aligned_alloc(half, 2 * half);
	int rc = buf ? tce_machine_create_default(TCE_PLATFORM_POWERNV, &m) : -ENOMEM;

	if (!d->json)
		printf("caller memory: an owner's DMA into this process's malloc'ed buffers "
		       "(identity region)\n");
	r.real_start = (uintptr_t)buf;
	if (!rc)
		rc = tce_machine_add_region(m, &r);
	if (!rc)
		rc = tce_host_create(m, &h);
	if (!rc)
		rc = tce_host_find_device(h, "0000:00:01.0", &dev);
	if (!rc)
		rc = tce_group_take_ownership(tce_device_group(dev));
	check(d, rc == 0, "(5) identity region [0x%" PRIx64 ", +128 KiB) added, group owned",
	      r.real_start);
	if (!rc)
		t = owner_window(d, tce_device_group(dev), "5");
	if (t) {
		caller_copy(d, dev, t, buf, half);
		check(d, tce_group_unset_window(tce_device_group(dev), 0) == 0, "(5) window removed");
		tce_iommu_table_put(t);
	}
	if (!rc)
		check(d, tce_group_release_ownership(tce_device_group(dev)) == 0 &&
			 tce_machine_remove_region(m, r.real_start, r.size) == 0,
		      "(5) ownership released, region removed");
	tce_host_destroy(h);
	tce_machine_destroy(m);
	free(buf);
	if (!d->json)
		printf("\n");
}

int tcectl_demo(int argc, char **argv)
{
	struct demo d = { .json = argc == 2 && !strcmp(argv[1], "--json"), .tty = isatty(1) };
	struct run_stats st[2] = { { 0 } };
	int rc;

	if (argc > 2 || (argc == 2 && !d.json)) {
		fprintf(stderr, "usage: tcectl demo [--json]\n");
		return 2;
	}
	if (!d.json)
		printf("libtce demo: the POWER sPAPR TCE IOMMU, OS side, on both platforms\n\n");
	rc = platform_run(&d, TCE_PLATFORM_PSERIES, &st[0]);
	if (!rc)
		rc = platform_run(&d, TCE_PLATFORM_POWERNV, &st[1]);
	if (!rc)
		step_caller_memory(&d);
	if (d.json)
		printf("{\"demo\":\"%s\",\"checks\":%u,\"failed\":%u,\"pseries\":{\"mb_per_s\":%.0f,"
		       "\"dma_mb_per_s\":%.0f,\"memcpy_mb_per_s\":%.0f,\"tces\":%" PRIu64 "},"
		       "\"powernv\":{\"mb_per_s\":%.0f,\"dma_mb_per_s\":%.0f,\"memcpy_mb_per_s\":%.0f,"
		       "\"tces\":%" PRIu64 "}}\n",
		       !rc && !d.failed ? "ok" : "failed", d.checks, d.failed,
		       mb_per_s(st[0].bytes, st[0].seconds), mb_per_s(st[0].bytes, st[0].dma_seconds),
		       mb_per_s(st[0].bytes, st[0].memcpy_seconds), st[0].tces,
		       mb_per_s(st[1].bytes, st[1].seconds), mb_per_s(st[1].bytes, st[1].dma_seconds),
		       mb_per_s(st[1].bytes, st[1].memcpy_seconds), st[1].tces);
	else
		printf("%u checks, %u failed\n", d.checks, d.failed);
	return rc || d.failed ? 1 : 0;
}
