/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's preregistered memory (mm.h; spec kernel.md §9), with the
 * kernel's order of checks on registration (the locked-memory account,
 * then the pages, then overlap) and its "mapped" protocol, without its
 * O(R) walks: the regions never overlap, so a sorted array and a binary
 * search find the one holding an address. Registering touches no page: the
 * default probe reads /proc/self/smaps to learn that the range is mapped
 * writable and its backing page size. Layer: vfio.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/arith.h"
#include "vfio/mm.h"

int tce__mm_init(struct tce__mm *mm, struct tce_ctx *ctx, uint32_t sys_page_shift,
		 uint64_t limit_bytes)
{
	*mm = (struct tce__mm){ .ctx = ctx, .sys_page_shift = sys_page_shift,
				.limit_pages = limit_bytes >> sys_page_shift,
				.probe = tce__mm_probe_self };
	return tce__rwlock_init(&mm->lock);
}

void tce__mm_fini(struct tce__mm *mm)
{
	uint32_t i;

	for (i = 0; i < mm->n; i++)
		tce__free(mm->ctx, mm->r[i], sizeof(*mm->r[i]));
	tce__free(mm->ctx, mm->r, mm->alloc * sizeof(*mm->r));
	tce__rwlock_fini(&mm->lock);
}

/* ---- the default probe: /proc/self/smaps, read without touching the range ---- */

struct smaps {
	int fd;
	char buf[4096];
	size_t len, pos;
};

/* The next line into @line (NUL-terminated, cut at @cap); false at the end. */
static bool next_line(struct smaps *s, char *line, size_t cap)
{
	size_t n = 0;
	ssize_t got;

	for (;;) {
		if (s->pos == s->len) {
			got = read(s->fd, s->buf, sizeof(s->buf));
			if (got <= 0)
				break;
			s->len = (size_t)got, s->pos = 0;
		}
		if (s->buf[s->pos] == '\n') {
			s->pos++;
			line[n] = 0;
			return true;
		}
		if (n + 1 < cap)
			line[n++] = s->buf[s->pos];
		s->pos++;
	}
	line[n] = 0;
	return n > 0;
}

/* Walk state: the part of the range still to be covered by writable mappings. */
struct cover {
	uint64_t next, end;   /* [next, end) not yet seen */
	bool in_range;        /* the current VMA overlaps the range */
	bool ok;              /* so far every overlapping VMA was contiguous and allowed it */
	char perm;            /* 'w' (written) or 'r' (read) */
	uint32_t shift;       /* the smallest page shift seen */
};

static void vma_header(struct cover *c, uint64_t start, uint64_t stop, const char *perms)
{
	c->in_range = start < c->end && stop > c->next;
	if (!c->in_range)
		return;
	if (start > c->next || perms[c->perm == 'w' ? 1 : 0] != c->perm)
		c->ok = false;
	c->next = stop < c->end ? stop : c->end;
}

static void vma_line(struct cover *c, const char *line)
{
	uint64_t kb, start, stop;
	char perms[8];

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &stop, perms) == 3)
		vma_header(c, start, stop, perms);
	else if (c->in_range && sscanf(line, "KernelPageSize: %" SCNu64 " kB", &kb) == 1 && kb)
		c->shift = tce__ilog2(kb << 10) < c->shift ? tce__ilog2(kb << 10) : c->shift;
}

/* No process maps anything at or above 2^63 (TASK_SIZE is at most 2^57): nor a wrapping range. */
static bool beyond_user(uint64_t ua, uint64_t size)
{
	return !size || ua >= (1ull << 63) || size > (1ull << 63) - ua;
}

int tce__mm_probe_smaps(uint64_t ua, uint64_t size, bool write, uint32_t *page_shift)
{
	struct smaps s = { .fd = -1 };
	struct cover c = { .next = ua, .end = ua + size, .ok = true, .shift = 63,
			   .perm = write ? 'w' : 'r' };
	char line[256];

	if (beyond_user(ua, size))
		return -EFAULT;
	s.fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (s.fd < 0)
		return -EFAULT;
	/* Until the first mapping past the range (a VMA's KernelPageSize follows its header). */
	while (c.ok && next_line(&s, line, sizeof(line))) {
		vma_line(&c, line);
		if (c.next >= c.end && !c.in_range)
			break;
	}
	close(s.fd);
	if (!c.ok || c.next < c.end)
		return -EFAULT;
	*page_shift = c.shift == 63 ? 12 : c.shift;
	return 0;
}

/*
 * PROCMAP_QUERY (Linux 6.11, <linux/fs.h>; defined here for older headers):
 * one VMA by address, with its permissions and its kernel page size, with
 * no walk of the page tables. The ABI is fixed by its size field.
 */
struct tce__procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define TCE_PROCMAP_QUERY _IOWR('f', 17, struct tce__procmap_query)
#define TCE_PROCMAP_READABLE 0x1ull
#define TCE_PROCMAP_WRITABLE 0x2ull

int tce__mm_probe_query(uint64_t ua, uint64_t size, bool write, uint32_t *page_shift)
{
	uint64_t need = write ? TCE_PROCMAP_WRITABLE : TCE_PROCMAP_READABLE, at = ua;
	struct tce__procmap_query q;
	uint32_t shift = 63;
	int fd, rc = 0;

	if (beyond_user(ua, size))
		return -EFAULT;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	while (!rc && at < ua + size) {
		q = (struct tce__procmap_query){ .size = sizeof(q), .query_addr = at };
		if (ioctl(fd, TCE_PROCMAP_QUERY, &q))
			rc = errno == ENOENT ? -EFAULT : -ENOSYS; /* a hole; or no such ioctl */
		else if (q.vma_start > at || !(q.vma_flags & need) || !q.vma_page_size)
			rc = -EFAULT;
		else
			at = q.vma_end, shift = (uint32_t)tce__min_u64(shift, tce__ilog2(q.vma_page_size));
	}
	close(fd);
	if (!rc)
		*page_shift = shift == 63 ? 12 : shift;
	return rc;
}

int tce__mm_probe_self(void *arg, uint64_t ua, uint64_t size, bool write, uint32_t *page_shift)
{
	int rc = tce__mm_probe_query(ua, size, write, page_shift);

	(void)arg;
	return rc == -ENOSYS ? tce__mm_probe_smaps(ua, size, write, page_shift) : rc;
}

/* ---- regions ---- */

/* The index of the first region ending after @ua. Context: lock held. */
static uint32_t first_after(const struct tce__mm *mm, uint64_t ua)
{
	uint32_t lo = 0, hi = mm->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mm->r[mid]->ua + mm->r[mid]->size <= ua)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct tce__mm_region *tce__mm_lookup(struct tce__mm *mm, uint64_t ua, uint64_t size)
{
	struct tce__mm_region *r = NULL;
	uint32_t i;

	tce__read_lock(&mm->lock);
	i = first_after(mm, ua);
	if (i < mm->n && mm->r[i]->ua <= ua && size <= mm->r[i]->size - (ua - mm->r[i]->ua))
		r = mm->r[i];
	tce__read_unlock(&mm->lock);
	return r;
}

static int account(struct tce__mm *mm, uint64_t pages)
{
	if (mm->limit_pages && pages > mm->limit_pages - tce__min_u64(mm->locked_pages,
								       mm->limit_pages))
		return -ENOMEM;
	mm->locked_pages += pages;
	return 0;
}

/* Room for one more region pointer. Context: lock held for writing. */
static int room(struct tce__mm *mm)
{
	uint32_t want = mm->alloc ? mm->alloc * 2 : 8;
	struct tce__mm_region **p;

	if (mm->n < mm->alloc)
		return 0;
	p = tce__malloc(mm->ctx, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (mm->n)
		memcpy(p, mm->r, mm->n * sizeof(*p));
	tce__free(mm->ctx, mm->r, mm->alloc * sizeof(*p));
	mm->r = p, mm->alloc = want;
	return 0;
}

/* Insert @r at its sorted place unless it overlaps one. Context: lock held for writing. */
static int insert(struct tce__mm *mm, struct tce__mm_region *r)
{
	uint32_t i = first_after(mm, r->ua);

	if (i < mm->n && mm->r[i]->ua < r->ua + r->size)
		return -EINVAL;
	if (room(mm))
		return -ENOMEM;
	memmove(&mm->r[i + 1], &mm->r[i], (mm->n - i) * sizeof(*mm->r));
	mm->r[i] = r;
	mm->n++;
	return 0;
}

/* The usable IOMMU page: the backing page capped by the range's alignment. */
static uint32_t usable_shift(uint64_t ua, uint64_t size, uint32_t backing)
{
	uint32_t align = (uint32_t)__builtin_ctzll(ua | size);

	return align < backing ? align : backing;
}

int tce__mm_backing(struct tce__mm *mm, uint64_t ua, uint64_t size, bool write,
		    uint32_t *page_shift)
{
	uint32_t backing = 0;

	if (mm->probe(mm->probe_arg, ua, size, write, &backing))
		return -EFAULT; /* what a failed pin_user_pages() gives */
	/* Normal memory is the emulated host's system pages; hugetlb its huge pages. */
	*page_shift = backing < mm->sys_page_shift ? mm->sys_page_shift : backing;
	return 0;
}

/*
 * The kernel's order: the account, then the pages (probed without the lock,
 * as it pins outside its mutex, so maps and unmaps of the process go on),
 * then the overlap check and insertion under the lock.
 */
int tce__mm_new(struct tce__mm *mm, uint64_t ua, uint64_t size, struct tce__mm_region **out)
{
	uint64_t pages = size >> mm->sys_page_shift;
	struct tce__mm_region *r;
	uint32_t backing;
	int rc;

	tce__write_lock(&mm->lock);
	rc = account(mm, pages);
	tce__write_unlock(&mm->lock);
	if (rc)
		return rc;
	rc = tce__mm_backing(mm, ua, size, true, &backing);
	r = rc ? NULL : tce__calloc(mm->ctx, sizeof(*r));
	if (!rc && !r)
		rc = -ENOMEM;
	if (r) {
		*r = (struct tce__mm_region){ .ua = ua, .size = size, .used = 1,
					      .page_shift = usable_shift(ua, size, backing) };
		atomic_init(&r->mapped, 1);
	}
	tce__write_lock(&mm->lock);
	if (!rc && (rc = insert(mm, r)))
		tce__free(mm->ctx, r, sizeof(*r));
	if (rc)
		mm->locked_pages -= pages; /* refunded exactly (DECISIONS 9) */
	tce__write_unlock(&mm->lock);
	if (!rc)
		*out = r;
	return rc;
}

struct tce__mm_region *tce__mm_get(struct tce__mm *mm, uint64_t ua, uint64_t size)
{
	struct tce__mm_region *r = NULL;
	uint32_t i;

	tce__write_lock(&mm->lock);
	i = first_after(mm, ua);
	if (i < mm->n && mm->r[i]->ua == ua && mm->r[i]->size == size) {
		r = mm->r[i];
		r->used++;
	}
	tce__write_unlock(&mm->lock);
	return r;
}

/* Take @r out of the array and free it. Context: lock held for writing. */
static void remove_region(struct tce__mm *mm, struct tce__mm_region *r)
{
	uint32_t i = first_after(mm, r->ua);

	memmove(&mm->r[i], &mm->r[i + 1], (mm->n - i - 1) * sizeof(*mm->r));
	mm->n--;
	mm->locked_pages -= r->size >> mm->sys_page_shift;
	tce__free(mm->ctx, r, sizeof(*r));
}

int tce__mm_put(struct tce__mm *mm, struct tce__mm_region *r)
{
	uint_fast64_t one = 1;
	int rc = 0;

	tce__write_lock(&mm->lock);
	if (!r->used) {
		rc = -ENOENT;
	} else if (--r->used == 0) {
		if (atomic_compare_exchange_strong(&r->mapped, &one, 0))
			remove_region(mm, r);
		else {
			r->used++; /* TCEs still reference it (DECISIONS 7) */
			rc = -EBUSY;
		}
	}
	tce__write_unlock(&mm->lock);
	return rc;
}

int tce__mm_ua_to_real(const struct tce__mm_region *r, uint64_t ua, uint32_t page_shift,
		       uint64_t *real)
{
	if (ua < r->ua || ua - r->ua >= r->size || page_shift > r->page_shift)
		return -EFAULT;
	*real = ua; /* the identity model: a user address is its own real address */
	return 0;
}

int tce__mm_mapped_inc(struct tce__mm_region *r)
{
	uint_fast64_t v = atomic_load(&r->mapped);

	do {
		if (!v)
			return -ENXIO;
	} while (!atomic_compare_exchange_weak(&r->mapped, &v, v + 1));
	return 0;
}

void tce__mm_mapped_dec(struct tce__mm_region *r)
{
	uint_fast64_t v = atomic_load(&r->mapped);

	do {
		if (v <= 1)
			return; /* never below the bias */
	} while (!atomic_compare_exchange_weak(&r->mapped, &v, v - 1));
}

int tce__mm_charge(void *arg, int64_t delta_bytes)
{
	struct tce__mm *mm = arg;
	uint64_t pages;
	int rc = 0;

	tce__write_lock(&mm->lock);
	if (delta_bytes >= 0) {
		rc = account(mm, (uint64_t)delta_bytes >> mm->sys_page_shift);
	} else {
		pages = (uint64_t)-(delta_bytes + 1) + 1; /* no overflow at INT64_MIN */
		pages >>= mm->sys_page_shift;
		tce__assert(pages <= mm->locked_pages);
		mm->locked_pages -= pages;
	}
	tce__write_unlock(&mm->lock);
	return rc;
}

uint64_t tce__mm_locked_bytes(struct tce__mm *mm)
{
	uint64_t pages;

	tce__read_lock(&mm->lock);
	pages = mm->locked_pages;
	tce__read_unlock(&mm->lock);
	return pages << mm->sys_page_shift;
}

/* Drop @n mapped counts of the regions covering [ua, ua + n pages). Context: lock held. */
static void unmap_run(struct tce__mm *mm, uint64_t ua, uint64_t n, uint32_t page_shift)
{
	uint32_t i = first_after(mm, ua);

	while (n && i < mm->n && mm->r[i]->ua <= ua) {
		struct tce__mm_region *r = mm->r[i++];
		uint64_t k = tce__min_u64(n, (r->ua + r->size - ua) >> page_shift);

		atomic_fetch_sub(&r->mapped, k);
		ua += k << page_shift, n -= k;
	}
}

/* Add @k to @r's mapped count unless the region is being freed. */
static int mapped_add(struct tce__mm_region *r, uint64_t k)
{
	uint_fast64_t v = atomic_load(&r->mapped);

	do {
		if (!v)
			return -ENXIO;
	} while (!atomic_compare_exchange_weak(&r->mapped, &v, v + k));
	return 0;
}

int tce__mm_map_range(struct tce__mm *mm, uint64_t ua, uint64_t npages, uint32_t page_shift)
{
	uint64_t done = 0, at = ua, k;
	uint32_t i;
	int rc = 0;

	tce__read_lock(&mm->lock);
	i = first_after(mm, ua);
	while (done < npages) {
		struct tce__mm_region *r = i < mm->n ? mm->r[i] : NULL;

		if (!r || r->ua > at || r->page_shift < page_shift) {
			rc = -EINVAL; /* a page in no region, or in one of smaller pages */
			break;
		}
		k = tce__min_u64(npages - done, (r->ua + r->size - at) >> page_shift);
		if (!k || (rc = mapped_add(r, k))) {
			rc = rc ? rc : -EINVAL; /* a page straddling the region's end */
			break;
		}
		done += k, at += k << page_shift, i++;
	}
	if (rc && done)
		unmap_run(mm, ua, done, page_shift);
	tce__read_unlock(&mm->lock);
	return rc;
}

void tce__mm_unmap_range(struct tce__mm *mm, uint64_t ua, uint64_t npages, uint32_t page_shift)
{
	tce__read_lock(&mm->lock);
	unmap_run(mm, ua, npages, page_shift);
	tce__read_unlock(&mm->lock);
}

bool tce__mm_overlaps(struct tce__mm *mm, uint64_t ua, uint64_t size)
{
	bool hit;
	uint32_t i;

	if (!size)
		return false;
	tce__read_lock(&mm->lock);
	i = first_after(mm, ua);
	hit = i < mm->n && (mm->r[i]->ua <= ua || mm->r[i]->ua - ua < size);
	tce__read_unlock(&mm->lock);
	return hit;
}
