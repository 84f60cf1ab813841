/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Two lifecycle costs of the v2 container on powernv. REGISTER_MEMORY of
 * 16 GiB of untouched anonymous memory (MAP_NORESERVE), which must fault no
 * page: its work is the page probe (one PROCMAP_QUERY per VMA of the range,
 * or, on kernels before 6.11, reading /proc/self/smaps up to it), so the
 * floor is that same probe (the smaps read is shown beside it), and spec
 * B7's mark is 2x the time to write a 32 MiB
 * hpas[] array (what the kernel fills for 16 GiB of 4 KiB pages). And the
 * release of a container (closing its group and container files) whose
 * sparse 1 TiB window maps 8 pages spread over it: the floor is the same
 * teardown of an owned table of the same geometry on another machine
 * (clear the whole window, unset it, drop the table, give the group back).
 * Layer: tools; uses <tce.h> through vfio.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio.h"

#define RG_BYTES (16 * VB_GiB)
#define RG_BYTES_QUICK VB_GiB
#define RG_HPAS (32 * VB_MiB) /* 16 GiB / 4 KiB pages * 8 bytes */
#define RL_WINDOW VB_TiB
#define RL_WINDOW_QUICK (64 * VB_GiB)
#define RL_PAGES 8u
#define RL_ARENA (64 * VB_MiB)

/* ---- REGISTER_MEMORY of 16 GiB ---- */

struct rg_arg {
	struct vb_client *c;
	struct vb_arena *a;
	unsigned char *hpas;
};

static int run_register(void *arg, double *ns_per_op)
{
	const struct rg_arg *r = arg;
	uint64_t t0, t1;
	int rc;

	t0 = bench_now_ns();
	rc = vb_register(r->c, r->a->ua, r->a->bytes);
	t1 = bench_now_ns();
	if (rc)
		return rc;
	*ns_per_op = (double)(t1 - t0);
	return vb_unregister(r->c, r->a->ua, r->a->bytes);
}

/* Whether the smaps line @line is a mapping's header that starts at or above @end. */
static bool header_past(const char *line, uint64_t end)
{
	char *dash;
	unsigned long long start = strtoull(line, &dash, 16);

	return dash != line && *dash == '-' && start >= end;
}

/* The floor: read /proc/self/smaps line by line until a mapping past the range. */
static int run_smaps(void *arg, double *ns_per_op)
{
	const struct rg_arg *r = arg;
	uint64_t end = r->a->ua + r->a->bytes, t0, t1;
	char buf[4096], line[256];
	size_t n = 0;
	ssize_t got, i;
	bool past = false;
	int fd;

	t0 = bench_now_ns();
	fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vb_fail("open /proc/self/smaps", -EIO);
	while (!past && (got = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < got && !past; i++) {
			if (buf[i] != '\n') {
				if (n + 1 < sizeof(line))
					line[n++] = buf[i];
				continue;
			}
			line[n] = 0;
			past = header_past(line, end);
			n = 0;
		}
	}
	close(fd);
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0);
	return 0;
}

/* PROCMAP_QUERY (Linux 6.11 <linux/fs.h>; the library's probe defines it the same way). */
struct pm_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PM_QUERY _IOWR('f', 17, struct pm_query)

/* One query per VMA of the range: 0, or -ENOTTY where the kernel lacks it. */
static int procmap_walk(uint64_t ua, uint64_t end)
{
	struct pm_query q;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return vb_fail("open /proc/self/maps", -EIO);
	while (!rc && ua < end) {
		q = (struct pm_query){ .size = sizeof(q), .query_addr = ua };
		if (ioctl(fd, PM_QUERY, &q))
			rc = -ENOTTY;
		else
			ua = q.vma_end;
	}
	close(fd);
	return rc;
}

/* The floor: what the library's probe does here (PROCMAP_QUERY, else the smaps read). */
static int run_probe(void *arg, double *ns_per_op)
{
	const struct rg_arg *r = arg;
	uint64_t t0 = bench_now_ns();
	int rc = procmap_walk(r->a->ua, r->a->ua + r->a->bytes);

	if (rc == -ENOTTY)
		return run_smaps(arg, ns_per_op);
	*ns_per_op = (double)(bench_now_ns() - t0);
	return rc;
}

/* Spec B7's mark: write a 32 MiB hpas[] array, warm. */
static int run_hpas(void *arg, double *ns_per_op)
{
	const struct rg_arg *r = arg;
	uint64_t t0, t1;

	t0 = bench_now_ns();
	memset(r->hpas, 0x5a, RG_HPAS);
	t1 = bench_now_ns();
	bench_sink += r->hpas[RG_HPAS / 3];
	*ns_per_op = (double)(t1 - t0);
	return 0;
}

/* Pages of the range that are resident (mincore): registration must have faulted none. */
static int resident_pages(const struct vb_arena *a, uint64_t *out)
{
	uint64_t pages = a->bytes / 4096, i, n = 0;
	unsigned char *vec = malloc(pages);

	if (!vec)
		return vb_fail("mincore vector", -ENOMEM);
	if (mincore((void *)(uintptr_t)a->ua, a->bytes, vec)) {
		free(vec);
		return vb_fail("mincore", -EIO);
	}
	for (i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	*out = n;
	return 0;
}

static void rg_emit(const struct bench_opts *o, const struct bench_variant *v, unsigned int i,
		    const struct vb_arena *a, uint64_t resident)
{
	struct bench_row r;
	double m = v[i].sum.median, hp = v[2].sum.median;

	bench_row_init(&r, "vfio.register", v[i].name, &v[i]);
	bench_param_num(&r, i == 2 ? "array_bytes" : "range_bytes", i == 2 ? RG_HPAS : a->bytes);
	r.ratio = v[1].sum.median > 0 ? m / v[1].sum.median : 0;
	bench_extra(&r, "ms", m / 1e6);
	if (i == 0) {
		bench_extra(&r, "x_hpas", hp > 0 ? m / hp : 0);
		bench_extra(&r, "resident_pages", (double)resident);
		bench_target(&r, "<=2x hpas,0 faults", m <= 2.0 * hp && !resident);
	}
	bench_emit(o, &r);
}

int vb_register_section(const struct bench_opts *o)
{
	struct vb_os os = { 0 };
	struct vb_client c = { .cfd = -1, .gfd = -1 };
	struct vb_arena a = { 0 };
	struct rg_arg arg = { .c = &c, .a = &a };
	struct bench_variant v[4] = {
		{ .name = "OURS-REGISTER", .run = run_register, .arg = &arg },
		{ .name = "FLOOR-probe", .run = run_probe, .arg = &arg },
		{ .name = "FLOOR-hpas-32M", .run = run_hpas, .arg = &arg },
		{ .name = "smaps-read", .run = run_smaps, .arg = &arg },
	};
	uint64_t resident = 0;
	unsigned int i;
	int rc;

	bench_section(o, "vfio.register (powernv, v2): REGISTER_MEMORY of untouched "
			 "MAP_NORESERVE memory, UNREGISTER untimed;\n"
			 "   ns per call; FLOOR-probe: the page probe registration makes "
			 "(PROCMAP_QUERY per VMA, else smaps);\n"
			 "   FLOOR-hpas-32M: B7's mark; smaps-read: reading /proc/self/smaps up to "
			 "the range (the probe before PROCMAP_QUERY)",
		      "ns/call");
	arg.hpas = malloc(RG_HPAS);
	rc = arg.hpas ? vb_arena_map(&a, o->quick ? RG_BYTES_QUICK : RG_BYTES)
		      : vb_fail("hpas array", -ENOMEM);
	if (!rc) {
		memset(arg.hpas, 0, RG_HPAS); /* faulted in: the mark is a warm write */
		rc = vb_os_up(&os, TCE_PLATFORM_POWERNV);
	}
	if (!rc)
		rc = vb_client_up(&c, &os);
	if (!rc)
		rc = bench_run_interleaved(v, 4, o->reps);
	if (!rc)
		rc = resident_pages(&a, &resident);
	for (i = 0; i < 4 && !rc; i++)
		rg_emit(o, v, i, &a, resident);
	vb_client_down(&c);
	vb_os_down(&os);
	vb_arena_unmap(&a, NULL);
	free(arg.hpas);
	return rc;
}

/* ---- release of a container with a sparse 1 TiB window ---- */

struct rl_geom {
	uint32_t shift, levels;
};

struct rl_arg {
	struct vb_client *c;   /* OURS: the process; each repetition opens a new container */
	struct vb_os *fos;     /* FLOOR: the owned group's OS */
	const struct vb_arena *a;
	struct rl_geom g;
	uint64_t bytes;
	char name[40];
};

/* The 8 pages: entry k * (entries / 8) of the window maps page k of the arena. */
static uint64_t rl_idx(const struct rl_arg *r, unsigned int k)
{
	return (uint64_t)k * ((r->bytes >> r->g.shift) / RL_PAGES);
}

static int rl_container(const struct rl_arg *r)
{
	struct vb_win w;
	unsigned int k;
	long rc = vb_client_reopen(r->c);

	if (!rc)
		rc = vb_register(r->c, r->a->ua, r->a->bytes);
	if (!rc && (rc = vb_create(r->c, r->g.shift, r->bytes, r->g.levels, &w)))
		return vb_fail("TCE_CREATE of the sparse window", rc);
	for (k = 0; k < RL_PAGES && !rc; k++)
		rc = vb_map(r->c, w.start + (rl_idx(r, k) << r->g.shift),
			    r->a->ua + ((uint64_t)k << r->g.shift), 1ULL << r->g.shift);
	return rc ? vb_fail("setting up the sparse window", rc) : 0;
}

static int run_release(void *arg, double *ns_per_op)
{
	const struct rl_arg *r = arg;
	uint64_t t0, t1;
	int rc = rl_container(r);

	if (rc)
		return rc;
	t0 = bench_now_ns();
	rc = vb_client_close(r->c);
	t1 = bench_now_ns();
	if (rc)
		return vb_fail("closing the container", rc);
	if (tce_group_owned(r->c->os->g) || tce_vfio_mm_locked(r->c->mm))
		return vb_fail("the release left the group owned or memory charged", -EPROTO);
	*ns_per_op = (double)(t1 - t0);
	return 0;
}

static int run_floor(void *arg, double *ns_per_op)
{
	const struct rl_arg *r = arg;
	struct vb_owned f;
	uint64_t t0, t1;
	unsigned int k;
	int rc = vb_owned_up(&f, r->fos, 0, r->g.shift, r->bytes, r->g.levels);

	for (k = 0; k < RL_PAGES && !rc; k++)
		rc = tce_iommu_table_update(f.t, f.info.first_idx + rl_idx(r, k), 1,
					    r->a->ua + ((uint64_t)k << r->g.shift),
					    TCE_DIR_BIDIRECTIONAL);
	if (rc) {
		vb_owned_down(&f);
		return vb_fail("setting up the floor's sparse table", rc);
	}
	t0 = bench_now_ns();
	rc = tce_iommu_table_clear(f.t, f.info.first_idx, f.info.entries);
	if (!rc)
		rc = tce_group_unset_window(r->fos->g, 0);
	tce_iommu_table_put(f.t);
	if (!rc)
		rc = tce_group_release_ownership(r->fos->g);
	t1 = bench_now_ns();
	*ns_per_op = (double)(t1 - t0);
	return rc ? vb_fail("the floor's teardown", rc) : 0;
}

static void rl_emit(const struct bench_opts *o, const struct bench_variant *v, unsigned int i,
		    const struct rl_arg *r)
{
	const struct bench_variant *fl = &v[i | 1];
	struct bench_row row;

	bench_row_init(&row, "vfio.release", v[i].name, &v[i]);
	vb_win_params(&row, r->bytes, r->g.shift, r->g.levels);
	bench_param_num(&row, "mapped_pages", RL_PAGES);
	bench_param_json(&row, "entries", (double)(r->bytes >> r->g.shift));
	row.ratio = fl->sum.median > 0 ? v[i].sum.median / fl->sum.median : 0;
	bench_extra(&row, "ms", v[i].sum.median / 1e6);
	bench_emit(o, &row);
}

int vb_release_section(const struct bench_opts *o)
{
	static const struct rl_geom geoms[2] = { { 16, 2 }, { 12, 3 } };
	struct vb_os os = { 0 }, fos = { 0 };
	struct vb_client c = { .cfd = -1, .gfd = -1 };
	struct vb_arena a = { 0 };
	struct rl_arg args[4];
	struct bench_variant v[4];
	unsigned int i;
	int rc;

	bench_section(o, "vfio.release (powernv, v2): closing the group and container files of a "
			 "container whose sparse window maps 8 pages far apart;\n"
			 "   ns per release; FLOOR: clear the whole window, unset it, put the table, "
			 "give the group back, on an owned table of the same geometry",
		      "ns/release");
	for (i = 0; i < 4; i++) {
		args[i] = (struct rl_arg){ .c = &c, .fos = &fos, .a = &a, .g = geoms[i / 2],
					   .bytes = o->quick ? RL_WINDOW_QUICK : RL_WINDOW };
		snprintf(args[i].name, sizeof(args[i].name), "%s-%s", i & 1 ? "FLOOR" : "OURS",
			 geoms[i / 2].shift == 16 ? "64K" : "4K");
		v[i] = (struct bench_variant){ .name = args[i].name,
					       .run = i & 1 ? run_floor : run_release,
					       .arg = &args[i] };
	}
	rc = vb_arena_map(&a, RL_ARENA);
	if (!rc)
		rc = vb_os_up(&os, TCE_PLATFORM_POWERNV);
	if (!rc)
		rc = vb_os_up(&fos, TCE_PLATFORM_POWERNV);
	if (!rc)
		rc = vb_arena_region(&a, &os);
	if (!rc)
		rc = vb_arena_region(&a, &fos);
	if (!rc)
		rc = vb_client_up(&c, &os);
	if (!rc)
		rc = vb_client_close(&c);
	if (!rc)
		rc = bench_run_interleaved(v, 4, o->reps);
	for (i = 0; i < 4 && !rc; i++)
		rl_emit(o, v, i, &args[i]);
	vb_client_down(&c);
	vb_os_give_back(&fos);
	if (os.m)
		tce_machine_remove_region(os.m, a.ua, a.bytes);
	vb_arena_unmap(&a, &fos);
	vb_os_down(&fos);
	vb_os_down(&os);
	return rc;
}
