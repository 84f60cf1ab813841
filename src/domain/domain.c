/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain's life: creation from a window configuration, attaching groups
 * (ownership taken, the tables made on the first group and set on every
 * one), detaching them (the last one takes the mappings and tables with it)
 * and the release callback that counts cleared TCEs and records writable
 * ones in the dirty log, after the kill. Layer: domain; includes its own
 * header, util and the group layer's public API (tce.h) only.
 */
#include <errno.h>
#include <string.h>

#include <tce/abi.h>

#include "domain/domain.h"
#include "util/arith.h"

#define WINDOW1_START (1ull << 59)
#define BLOCK_SHIFT_CAP 16 /* chosen levels keep table blocks within 64 KiB */

/* ---- creation ---- */

static int check_window(const struct tce_domain_window *w, uint64_t start)
{
	uint64_t end;

	if (w->page_shift < TCE_PAGE_SHIFT_MIN || w->page_shift > TCE_PAGE_SHIFT_MAX)
		return -EINVAL;
	if (!tce__is_pow2(w->size) || w->size < (1ull << w->page_shift))
		return -EINVAL;
	if (w->levels > TCE_LEVELS_MAX || tce__add_overflows(start, w->size - 1, &end))
		return -EINVAL;
	return 0;
}

int tce__domain_check_config(const struct tce_domain_config *cfg)
{
	int rc = check_window(&cfg->win[0], 0);

	if (!rc && cfg->win[1].size)
		rc = check_window(&cfg->win[1], WINDOW1_START);
	if (!rc && !cfg->win[1].size && (cfg->win[1].page_shift || cfg->win[1].levels))
		rc = -EINVAL;
	return rc;
}

int tce_domain_create(struct tce_ctx *ctx, const struct tce_domain_config *cfg,
		      struct tce_domain **out)
{
	struct tce_domain *d;
	uint32_t i;

	if (!ctx || !cfg || !out || tce__domain_check_config(cfg))
		return -EINVAL;
	d = tce__calloc(ctx, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	if (tce__lock_init(&d->lock, false)) {
		tce__free(ctx, d, sizeof(*d));
		return -ENOMEM;
	}
	d->nwin = cfg->win[1].size ? 2 : 1;
	for (i = 0; i < d->nwin; i++) {
		d->win[i] = (struct tce__dwin){ .d = d, .start = i ? WINDOW1_START : 0,
						.size = cfg->win[i].size,
						.page_shift = cfg->win[i].page_shift,
						.cfg_levels = cfg->win[i].levels };
		d->pgsizes |= 1ull << cfg->win[i].page_shift;
	}
	*out = d;
	return 0;
}

/* ---- the release callback: after the kill, once per cleared TCE ---- */

void tce__domain_gather(struct tce_domain *d, bool log_dirty)
{
	d->released = 0;
	d->log_dirty = log_dirty && !d->dirty_off;
	d->run_start = d->run_end = 0;
}

/*
 * The run joins the log, on room reserved for one run per mapping the
 * operation touches and one more (a clear that failed once splits one run
 * in two). A clear that failed more often may leave more runs than that:
 * then the log never grows here but widens its nearest extent, so no dirty
 * page is lost (clean ones between them read dirty).
 */
void tce__domain_flush(struct tce_domain *d)
{
	if (d->run_end > d->run_start && !tce__dset_add(&d->dirty, d->run_start, d->run_end))
		tce__warn(d->ctx, "domain: no room to log dirty [%#llx, %#llx) alone: it joins "
			  "its nearest logged range", (unsigned long long)d->run_start,
			  (unsigned long long)d->run_end);
	d->run_start = d->run_end = 0;
}

void tce__domain_release(void *arg, uint64_t idx, uint64_t real, bool dirty)
{
	struct tce__dwin *w = arg;
	struct tce_domain *d = w->d;
	uint64_t iova = idx << w->page_shift, end = iova + (1ull << w->page_shift);

	(void)real; /* the memory is the caller's: nothing is pinned */
	d->released++; /* under the domain's lock: every clear runs inside a domain call */
	if (!dirty || !d->log_dirty)
		return;
	if (iova != d->run_end || d->run_end == d->run_start)
		tce__domain_flush(d), d->run_start = iova;
	d->run_end = end;
}

/* ---- windows ---- */

struct tce__dwin *tce__domain_window(struct tce_domain *d, uint64_t iova, uint64_t size)
{
	uint64_t last;
	uint32_t i;

	if (!size || tce__add_overflows(iova, size - 1, &last))
		return NULL;
	for (i = 0; i < d->nwin; i++)
		if (iova >= d->win[i].start && last - d->win[i].start < d->win[i].size)
			return &d->win[i];
	return NULL;
}

/* Levels for @w on @g: as configured, else the fewest whose blocks stay small. */
static uint32_t choose_levels(struct tce__dwin *w, struct tce_group *g)
{
	uint32_t entries_shift = tce__ilog2(w->size) - w->page_shift, l, last_ok = 1;
	struct tce_group_info gi;
	uint64_t bytes;

	if (w->cfg_levels)
		return w->cfg_levels;
	tce_group_info(g, &gi);
	for (l = 1; l <= gi.max_levels; l++) {
		if (tce_group_table_size(g, w->page_shift, w->size, l, &bytes))
			continue;
		if ((entries_shift + l - 1) / l + 3 <= BLOCK_SHIFT_CAP)
			return l;
		last_ok = l;
	}
	return last_ok;
}

/* The tables, made on the first group @g; each placed where the aperture says. */
static int make_tables(struct tce_domain *d, struct tce_group *g)
{
	struct tce_iommu_table_info ti;
	uint32_t i;
	int rc;

	for (i = 0; i < d->nwin; i++) {
		struct tce__dwin *w = &d->win[i];
		struct tce_window_req req = { .num = i, .page_shift = w->page_shift,
					      .window_size = w->size,
					      .levels = choose_levels(w, g) };

		rc = tce_group_create_table(g, &req, &w->t);
		if (rc)
			return rc;
		tce_iommu_table_info(w->t, &ti);
		if (ti.bus_offset != w->start || ti.window_size != w->size)
			return (int)tce__refuse(d->ctx, -EINVAL, "domain: the group placed window "
						"%u at %#llx, not %#llx", i,
						(unsigned long long)ti.bus_offset,
						(unsigned long long)w->start);
		w->levels = ti.levels;
		tce_iommu_table_set_release(w->t, tce__domain_release, w);
	}
	return 0;
}

/* Undo make_tables() (no TCE written yet): unset on @g, put. */
static void drop_tables(struct tce_domain *d, struct tce_group *g)
{
	uint32_t i;

	for (i = 0; i < d->nwin; i++) {
		if (!d->win[i].t)
			continue;
		tce_group_unset_window(g, i);
		tce_iommu_table_put(d->win[i].t);
		d->win[i].t = NULL;
	}
}

static int set_windows(struct tce_domain *d, struct tce_group *g)
{
	uint32_t i;
	int rc = 0;

	for (i = 0; i < d->nwin && !rc; i++)
		rc = tce_group_set_window(g, i, d->win[i].t);
	return rc;
}

static int group_room(struct tce_domain *d)
{
	uint32_t want = d->galloc ? d->galloc * 2 : 1; /* most domains have one group */
	struct tce_group **p;

	if (d->ngroups < d->galloc)
		return 0;
	p = tce__calloc(d->ctx, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (d->ngroups)
		memcpy(p, d->groups, d->ngroups * sizeof(*p));
	tce__free(d->ctx, d->groups, d->galloc * sizeof(*p));
	d->groups = p, d->galloc = want;
	return 0;
}

static int find_group(struct tce_domain *d, struct tce_group *g)
{
	uint32_t i;

	tce__assert(tce__lock_held(&d->lock));
	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i] == g)
			return (int)i;
	return -1;
}

/* Give @g back; one retry, as the container does (release may be retried). */
static int give_back(struct tce_domain *d, struct tce_group *g)
{
	int rc = tce_group_release_ownership(g);

	if (rc)
		rc = tce_group_release_ownership(g);
	if (rc)
		tce__warn(d->ctx, "domain: giving a group back to the kernel failed (%d)", rc);
	return rc;
}

/* The windows on the owned group @g: made on the first, set on the others. */
static int join(struct tce_domain *d, struct tce_group *g)
{
	uint32_t i;
	int rc;

	tce__assert(tce__lock_held(&d->lock));
	if (!d->ngroups) {
		rc = make_tables(d, g);
		if (!rc)
			rc = set_windows(d, g);
		if (rc)
			drop_tables(d, g);
		return rc;
	}
	if (tce_group_host(g) != tce_group_host(d->groups[0]))
		return -EPERM;
	rc = set_windows(d, g);
	if (rc)
		for (i = 0; i < d->nwin; i++)
			tce_group_unset_window(g, i);
	return rc;
}

/* Attach @g; @take: take it from the kernel first (and give it back on failure). */
static int attach(struct tce_domain *d, struct tce_group *g, bool take)
{
	int rc;

	if (!d || !g)
		return -EINVAL;
	tce__lock(&d->lock);
	rc = find_group(d, g) >= 0 ? -EBUSY : group_room(d);
	if (!rc && take)
		rc = tce_group_take_ownership(g);
	if (!rc) {
		rc = join(d, g);
		if (rc && take)
			give_back(d, g);
		else if (!rc)
			d->groups[d->ngroups++] = g;
	}
	tce__unlock(&d->lock);
	return rc;
}

int tce_domain_attach(struct tce_domain *d, struct tce_group *g)
{
	return attach(d, g, true);
}

int tce__domain_attach_owned(struct tce_domain *d, struct tce_group *g)
{
	return attach(d, g, false);
}

/*
 * Unset the windows on group @i, which leaves; the last group takes the
 * mappings (cleared first, writable pages to the dirty log when
 * @log_dirty) and the tables with it.
 */
static void leave(struct tce_domain *d, uint32_t i, bool log_dirty)
{
	struct tce_group *g = d->groups[i];
	bool last = d->ngroups == 1;
	uint32_t n;
	int rc;

	tce__assert(tce__lock_held(&d->lock));
	tce__domain_gather(d, log_dirty);
	if (last)
		tce__domain_clear_all(d);
	for (n = 0; n < d->nwin; n++) {
		rc = tce_group_unset_window(g, n);
		if (rc)
			tce__warn(d->ctx, "domain: unset of window %u failed (%d)", n, rc);
		if (last) {
			tce_iommu_table_put(d->win[n].t);
			d->win[n].t = NULL;
		}
	}
	tce__domain_flush(d);
	memmove(&d->groups[i], &d->groups[i + 1], (d->ngroups - i - 1) * sizeof(*d->groups));
	d->ngroups--;
}

/* Take @g off the domain; @give: hand it back to the kernel then. */
static int detach(struct tce_domain *d, struct tce_group *g, bool give)
{
	bool log = true;
	int i, rc = 0;

	if (!d || !g)
		return -EINVAL;
	tce__lock(&d->lock);
	i = find_group(d, g);
	if (i < 0)
		rc = -ENOENT;
	else if (d->ngroups == 1)
		rc = tce__dset_reserve(d->ctx, &d->dirty, d->maps.n + 1);
	if (rc == -ENOMEM && !give) /* the owner's leave cannot fail: the log is dropped */
		rc = 0, log = false;
	if (!rc)
		leave(d, (uint32_t)i, log);
	tce__unlock(&d->lock);
	return rc || !give ? rc : give_back(d, g);
}

int tce_domain_detach(struct tce_domain *d, struct tce_group *g)
{
	return detach(d, g, true);
}

int tce__domain_detach_owned(struct tce_domain *d, struct tce_group *g)
{
	return detach(d, g, false);
}

void tce_domain_dirty_log(struct tce_domain *d, bool on)
{
	tce__lock(&d->lock);
	d->dirty_off = !on;
	d->dirty.n = 0;
	tce__unlock(&d->lock);
}

void tce_domain_destroy(struct tce_domain *d)
{
	struct tce_group *g;
	bool log;

	if (!d)
		return;
	while (d->ngroups) {
		g = d->groups[d->ngroups - 1];
		tce__lock(&d->lock);
		/* no room for the dirty log: it is going anyway */
		log = d->ngroups > 1 || !tce__dset_reserve(d->ctx, &d->dirty, d->maps.n + 1);
		leave(d, d->ngroups - 1, log);
		tce__unlock(&d->lock);
		give_back(d, g);
	}
	tce__dset_fini(d->ctx, &d->maps);
	tce__dset_fini(d->ctx, &d->dirty);
	tce__free(d->ctx, d->groups, d->galloc * sizeof(*d->groups));
	tce__lock_fini(&d->lock);
	tce__free(d->ctx, d, sizeof(*d));
}

void tce_domain_info(struct tce_domain *d, struct tce_domain_info *out)
{
	uint32_t i;

	memset(out, 0, sizeof(*out));
	tce__lock(&d->lock);
	out->pgsize_bitmap = d->pgsizes;
	out->nranges = d->nwin;
	out->ngroups = d->ngroups;
	for (i = 0; i < d->nwin; i++) {
		out->range[i].start = d->win[i].start;
		out->range[i].size = d->win[i].size;
		out->range[i].page_shift = d->win[i].page_shift;
		out->range[i].levels = d->win[i].t ? d->win[i].levels : 0;
	}
	tce__unlock(&d->lock);
}
