/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DMA-test device's BAR0 and engine (registers: <tce/abi.h>), and the
 * BAR memory, MSI-X and device thread the I/OAT channel (ioat.c) shares
 * with it: the registers live in page-aligned memory a client may map, so
 * every access is an atomic little-endian load or store. CMD copies in the writer's
 * thread; DOORBELL hands the copy to a per-device thread that polls the
 * mapping, publishes STATUS and raises MSI-X vector 0 through the
 * handler, or sets its PBA bit while masked. Lock order: the thread state
 * mutex, the device's lock, the PE's lock. Layer: hw.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hw/hw_int.h"

/* The device thread's poll interval: from POLL_MIN_NS after work, doubling to POLL_MAX_NS. */
#define POLL_MIN_NS 10000L
#define POLL_MAX_NS 1000000L
/*
 * The I/OAT's driver gives the channel a few microseconds to answer a
 * command (DPDK polls CHANSTS 200 times with a pause between), far less
 * than a nap: after work the thread spins this long before it naps again.
 */
#define SPIN_NS 2000000L
/* The nice value a device thread asks for (it keeps the inherited one if refused). */
#define DEV_THREAD_NICE (-10)

#define REGS_END (TCE_DT_REG_DOORBELL + 4)

/* The end of the MSI-X table in BAR0 (both kinds put it at TCE_DT_MSIX_TABLE). */
static uint64_t table_end(const struct tce_pci_dev *d)
{
	return TCE_DT_MSIX_TABLE + tce__dev_msix_vectors(d) * TCE_PCI_MSIX_ENTRY_SIZE;
}

/* ---- the register memory ---- */

/* Offsets that hold a register; the rest of BAR0 reads 0. */
static bool readable(const struct tce_pci_dev *d, uint64_t off)
{
	bool regs = d->type == TCE_DEV_IOAT ? tce__ioat_readable(off) : off < REGS_END;

	return regs || (off >= TCE_DT_MSIX_TABLE && off < table_end(d)) ||
	       (off >= TCE_DT_MSIX_PBA && off < TCE_DT_MSIX_PBA + 8);
}

void tce__dt_regs_init(struct tce_pci_dev *d)
{
	unsigned v;
	uint64_t off;

	if (d->type == TCE_DEV_IOAT) {
		tce__ioat_regs_init(d);
	} else {
		for (off = 0; off < REGS_END + 4; off += 8)
			tce__bar_store(d, off, 8, 0);
		tce__bar_store(d, TCE_DT_REG_ID, 4, TCE_DT_ID_MAGIC);
	}
	for (v = 0; v < tce__dev_msix_vectors(d); v++) {
		off = TCE_DT_MSIX_TABLE + v * TCE_PCI_MSIX_ENTRY_SIZE;
		tce__bar_store(d, off, 8, 0);
		tce__bar_store(d, off + TCE_PCI_MSIX_ENTRY_DATA, 8,
		      (uint64_t)TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT << 32);
	}
	tce__bar_store(d, TCE_DT_MSIX_PBA, 8, 0);
}

/* ---- MSI-X ---- */

static bool vector_masked(struct tce_pci_dev *d, unsigned v)
{
	uint64_t ctrl = TCE_DT_MSIX_TABLE + v * TCE_PCI_MSIX_ENTRY_SIZE +
			TCE_PCI_MSIX_ENTRY_VECTOR_CTRL;

	return tce__bar_load(d, ctrl, 4) & TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static uint32_t msix_flags(struct tce_pci_dev *d)
{
	return tce__dev_config16(d, TCE_DT_CFG_MSIX_CAP + TCE_PCI_MSIX_FLAGS);
}

/*
 * Raise vector @v: returns @v when the message goes out now, else -1 (MSI-X
 * disabled: nothing; masked: its PBA bit is set). Context: device lock.
 */
static int raise_vector(struct tce_pci_dev *d, unsigned v)
{
	uint32_t f = msix_flags(d);

	if (!(f & TCE_PCI_MSIX_FLAGS_ENABLE))
		return -1;
	if (!(f & TCE_PCI_MSIX_FLAGS_MASKALL) && !vector_masked(d, v))
		return (int)v;
	__atomic_fetch_or((uint64_t *)(d->dt.bar + TCE_DT_MSIX_PBA), htole64(1ULL << v),
			  __ATOMIC_ACQ_REL);
	return -1;
}

/* A pending vector that is now unmasked: its PBA bit is cleared. Context: device lock. */
static int pending_vector(struct tce_pci_dev *d)
{
	uint64_t *pba = (uint64_t *)(d->dt.bar + TCE_DT_MSIX_PBA);
	uint32_t f = msix_flags(d);
	unsigned v;

	if (!(f & TCE_PCI_MSIX_FLAGS_ENABLE) || (f & TCE_PCI_MSIX_FLAGS_MASKALL))
		return -1;
	for (v = 0; v < tce__dev_msix_vectors(d); v++) {
		if (!(tce__bar_load(d, TCE_DT_MSIX_PBA, 8) & (1ULL << v)) || vector_masked(d, v))
			continue;
		__atomic_fetch_and(pba, htole64(~(1ULL << v)), __ATOMIC_ACQ_REL);
		return (int)v;
	}
	return -1;
}

/* ---- the copy engine ---- */

static bool command(struct tce_pci_dev *d, uint32_t bit)
{
	return tce__dev_config16(d, TCE_PCI_COMMAND) & bit;
}

/*
 * Copy @len bytes from @src to @dst through translation; needs bus
 * mastering. No bounce buffer unless the host ranges overlap: a 64 KiB copy
 * took 2.4x a memcpy of it with one (issue 12), see docs/performance.md G4.
 */
static int engine(struct tce_pci_dev *d, uint64_t src, uint64_t dst, uint64_t len, bool master)
{
	if (!master || !len || len > TCE_DT_MAX_COPY)
		return -EINVAL;
	return tce__dev_dma_copy(d, src, dst, (size_t)len);
}

/* STATUS and FAULT after a copy. Context: device lock. */
static void publish(struct tce_pci_dev *d, int rc)
{
	struct tce_fault f;

	tce__bar_store(d, TCE_DT_REG_FAULT, 8, rc && tce_dev_eeh_frozen(d, &f) ? f.bus_addr : 0);
	tce__bar_store(d, TCE_DT_REG_STATUS, 4, rc ? TCE_DT_STATUS_ERROR : TCE_DT_STATUS_DONE);
}

/* CMD: copy now, in the caller's thread; ignored while a doorbell copy runs. Context: device lock. */
static void sync_copy(struct tce_pci_dev *d)
{
	if (tce__bar_load(d, TCE_DT_REG_STATUS, 4) == TCE_DT_STATUS_BUSY)
		return;
	publish(d, engine(d, tce__bar_load(d, TCE_DT_REG_SRC, 8), tce__bar_load(d, TCE_DT_REG_DST, 8),
			  tce__bar_load(d, TCE_DT_REG_LEN, 8), command(d, TCE_PCI_COMMAND_MASTER)));
}

/*
 * A doorbell the thread took: the store it was passes the PE's EEH checks
 * now (master abort, injection, freeze), then the copy runs without the
 * device lock so that STATUS reads BUSY meanwhile. Returns the vector to
 * raise, or -1.
 */
static int doorbell_copy(struct tce_pci_dev *d)
{
	uint64_t src, dst, len, at;
	bool master;
	int rc, v;

	tce__lock(&d->lock);
	at = tce__dev_bar0_addr(d) + TCE_DT_REG_DOORBELL;
	if (!tce__pe_mmio(d->pe, d, TCE__ACC_MEM_ST, at,
			  !command(d, TCE_PCI_COMMAND_MEMORY))) {
		tce__unlock(&d->lock);
		return -1;
	}
	src = tce__bar_load(d, TCE_DT_REG_SRC, 8), dst = tce__bar_load(d, TCE_DT_REG_DST, 8);
	len = tce__bar_load(d, TCE_DT_REG_LEN, 8), master = command(d, TCE_PCI_COMMAND_MASTER);
	tce__bar_store(d, TCE_DT_REG_STATUS, 4, TCE_DT_STATUS_BUSY);
	tce__unlock(&d->lock);
	rc = engine(d, src, dst, len, master);
	tce__lock(&d->lock);
	publish(d, rc);
	v = raise_vector(d, TCE_DT_MSIX_VECTOR_DONE);
	tce__unlock(&d->lock);
	return v;
}

/* ---- the device thread ---- */

static bool on_thread(struct tce_pci_dev *d)
{
	return d->dt.thread_started && pthread_equal(pthread_self(), d->dt.thread);
}

/* Call the handler for vector @v. Context: mtx held; released during the call. */
static void deliver(struct tce_pci_dev *d, int v)
{
	tce_msi_fn fn = d->dt.msi_fn;
	void *arg = d->dt.msi_arg;

	if (v < 0 || !fn)
		return;
	d->dt.in_handler = true;
	pthread_mutex_unlock(&d->dt.mtx);
	fn(arg, (unsigned)v);
	pthread_mutex_lock(&d->dt.mtx);
	d->dt.in_handler = false;
	pthread_cond_broadcast(&d->dt.cond);
}

/* The DMA-test device's round: its doorbell. Returns the vector to raise or -1. */
static int dt_round(struct tce_pci_dev *d, bool *rang)
{
	uint32_t *db = (uint32_t *)(d->dt.bar + TCE_DT_REG_DOORBELL);

	*rang = le32toh(__atomic_exchange_n(db, 0, __ATOMIC_ACQ_REL)) & TCE_DT_DOORBELL_COPY;
	return *rang ? doorbell_copy(d) : -1;
}

/* The I/OAT channel's round; its MSI-X vector when it asked for one. */
static int ioat_round(struct tce_pci_dev *d, bool *did)
{
	bool irq = false;
	int v = -1;

	*did = tce__ioat_round(d, &irq);
	if (irq) {
		tce__lock(&d->lock);
		v = raise_vector(d, TCE_IOAT_MSIX_VECTOR);
		tce__unlock(&d->lock);
	}
	return v;
}

/*
 * One round of work: the device's own (a doorbell, the channel), else a
 * pending vector. The caller set busy (under mtx, not quiesced), so a
 * reset waits for the round to end. Context: mtx held; released while working.
 */
static bool work(struct tce_pci_dev *d)
{
	bool did;
	int v;

	d->dt.kick = false;
	pthread_mutex_unlock(&d->dt.mtx);
	v = d->type == TCE_DEV_IOAT ? ioat_round(d, &did) : dt_round(d, &did);
	if (v < 0) {
		tce__lock(&d->lock);
		v = pending_vector(d);
		tce__unlock(&d->lock);
	}
	pthread_mutex_lock(&d->dt.mtx);
	d->dt.busy = false;
	pthread_cond_broadcast(&d->dt.cond);
	deliver(d, v);
	return did || v >= 0;
}

/* Sleep until kicked or @ns pass (a kick while quiesced waits too). Context: mtx held. */
static void nap(struct tce_pci_dev *d, long ns)
{
	struct timespec t;

	if ((d->dt.kick && !d->dt.quiesce) || d->dt.stop)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += ns;
	if (t.tv_nsec >= 1000000000L)
		t.tv_sec++, t.tv_nsec -= 1000000000L;
	pthread_cond_timedwait(&d->dt.cond, &d->dt.mtx, &t);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__powerpc64__)
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * Spin without mtx until the channel has something to do, the spin time is
 * over, or about 50 us pass (then mtx is taken for a look at stop and
 * quiesce). It never yields: a yield hands the CPU to a busy neighbour for
 * a whole time slice, far longer than a driver waits. Context: mtx held.
 */
static void spin(struct tce_pci_dev *d, long long until)
{
	long long t = now_ns(), end = t + 50000;
	uint64_t seen = 0;

	pthread_mutex_unlock(&d->dt.mtx);
	(void)tce__ioat_quiet(d, &seen);
	while (tce__ioat_quiet(d, &seen) && t < end && t < until) {
		cpu_relax();
		t = now_ns();
	}
	pthread_mutex_lock(&d->dt.mtx);
}

static void *dt_thread(void *arg)
{
	struct tce_pci_dev *d = arg;
	long ns = POLL_MIN_NS;
	long long spin_until = 0;

	/*
	 * Hardware does not wait for a CPU: where the process may (root,
	 * CAP_SYS_NICE), the thread asks the scheduler to prefer it, so a
	 * busy machine delays its answer to a driver less. Best effort.
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), DEV_THREAD_NICE);
	pthread_mutex_lock(&d->dt.mtx);
	while (!d->dt.stop) {
		if (!d->dt.quiesce) {
			d->dt.busy = true;
			if (work(d)) {
				ns = POLL_MIN_NS;
				if (d->type == TCE_DEV_IOAT)
					spin_until = now_ns() + SPIN_NS;
				continue;
			}
			if (spin_until && now_ns() < spin_until) {
				spin(d, spin_until);
				continue;
			}
		}
		nap(d, ns);
		ns = ns * 2 > POLL_MAX_NS ? POLL_MAX_NS : ns * 2;
	}
	pthread_mutex_unlock(&d->dt.mtx);
	return NULL;
}

/*
 * The device is hardware beside the program: its thread runs on the CPUs of
 * the machine's creator, and away from the CPUs the starting thread pinned
 * itself to since, when others remain (DPDK pins its main lcore, then polls
 * there: a device thread sharing that CPU answers late). Best effort.
 */
static void place_thread(struct tce_pci_dev *d)
{
	cpu_set_t use = d->m->cpus, mine, both;

	if (!d->m->has_cpus)
		return;
	if (!pthread_getaffinity_np(pthread_self(), sizeof(mine), &mine)) {
		CPU_AND(&both, &mine, &d->m->cpus);
		if (CPU_EQUAL(&both, &mine) && CPU_COUNT(&mine) < CPU_COUNT(&d->m->cpus))
			CPU_XOR(&use, &d->m->cpus, &mine);
	}
	(void)pthread_setaffinity_np(d->dt.thread, sizeof(use), &use);
}

/* Start the device thread once. Returns 0, -ENOMEM (fault point) or -EAGAIN. */
static int thread_start(struct tce_pci_dev *d)
{
	int rc = 0;

	pthread_mutex_lock(&d->dt.mtx);
	if (!d->dt.thread_started) {
		if (tce__fault(d->m->ctx))
			rc = -ENOMEM;
		else if (pthread_create(&d->dt.thread, NULL, dt_thread, d))
			rc = -EAGAIN;
		d->dt.thread_started = !rc;
		if (!rc)
			place_thread(d);
	}
	pthread_mutex_unlock(&d->dt.mtx);
	return rc;
}

void tce__dt_quiesce(struct tce_pci_dev *d)
{
	pthread_mutex_lock(&d->dt.mtx);
	d->dt.quiesce++;
	while (d->dt.busy && !on_thread(d))
		pthread_cond_wait(&d->dt.cond, &d->dt.mtx);
	pthread_mutex_unlock(&d->dt.mtx);
}

void tce__dt_resume(struct tce_pci_dev *d)
{
	pthread_mutex_lock(&d->dt.mtx);
	d->dt.quiesce--;
	pthread_mutex_unlock(&d->dt.mtx);
}

static int cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int rc = pthread_condattr_init(&a);

	if (!rc) {
		rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		if (!rc)
			rc = pthread_cond_init(c, &a);
		pthread_condattr_destroy(&a);
	}
	return rc ? -ENOMEM : 0;
}

/* The BAR memory and the thread's mutex and condition. 0 or -ENOMEM (nothing left). */
static int dt_alloc(struct tce_pci_dev *d)
{
	d->dt.bar = tce__shared_pages_alloc(d->m->ctx, tce__dev_bar0_size(d));
	if (!d->dt.bar)
		return -ENOMEM;
	if (pthread_mutex_init(&d->dt.mtx, NULL)) {
		tce__shared_pages_free(d->m->ctx, d->dt.bar, tce__dev_bar0_size(d));
		return -ENOMEM;
	}
	if (cond_init(&d->dt.cond)) {
		pthread_mutex_destroy(&d->dt.mtx);
		tce__shared_pages_free(d->m->ctx, d->dt.bar, tce__dev_bar0_size(d));
		return -ENOMEM;
	}
	return 0;
}

static void dt_free(struct tce_pci_dev *d)
{
	pthread_cond_destroy(&d->dt.cond);
	pthread_mutex_destroy(&d->dt.mtx);
	tce__shared_pages_free(d->m->ctx, d->dt.bar, tce__dev_bar0_size(d));
}

int tce__dt_init(struct tce_pci_dev *d)
{
	int rc = dt_alloc(d);

	if (!rc && d->type == TCE_DEV_IOAT && (rc = tce__ioat_init(d)))
		dt_free(d);
	if (!rc)
		tce__dt_regs_init(d);
	return rc;
}

void tce__dt_fini(struct tce_pci_dev *d)
{
	bool started;

	pthread_mutex_lock(&d->dt.mtx);
	d->dt.stop = true;
	started = d->dt.thread_started;
	pthread_cond_broadcast(&d->dt.cond);
	pthread_mutex_unlock(&d->dt.mtx);
	if (started)
		pthread_join(d->dt.thread, NULL);
	if (d->type == TCE_DEV_IOAT)
		tce__ioat_fini(d);
	dt_free(d);
}

/* ---- BAR access ---- */

/* Sanitise what a store left in the MSI-X vector controls: only the mask bit. */
static void table_fixup(struct tce_pci_dev *d)
{
	uint64_t off = TCE_DT_MSIX_TABLE + TCE_PCI_MSIX_ENTRY_VECTOR_CTRL;

	for (; off < table_end(d); off += TCE_PCI_MSIX_ENTRY_SIZE)
		tce__bar_store(d, off, 4, tce__bar_load(d, off, 4) & TCE_PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* A BAR store that passed decode and EEH; true if it rang the doorbell. Context: device lock. */
static bool reg_store(struct tce_pci_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	if (off >= TCE_DT_MSIX_TABLE && off < table_end(d)) {
		tce__bar_store(d, off, size, val);
		table_fixup(d);
	} else if (d->type == TCE_DEV_IOAT) {
		return tce__ioat_reg_store(d, off, size, val);
	} else if (off < TCE_DT_REG_CMD) {
		tce__bar_store(d, off, size, val);
	} else if (off == TCE_DT_REG_CMD && (val & TCE_DT_CMD_COPY)) {
		sync_copy(d);
	} else if (off == TCE_DT_REG_DOORBELL && (val & TCE_DT_DOORBELL_COPY)) {
		tce__bar_store(d, off, 4, TCE_DT_DOORBELL_COPY);
		return true;
	}
	return false;
}

static bool has_bar(const struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
	return d->type != TCE_DEV_NONE && bar == 0 &&
	       tce__access_ok(off, size, tce__dev_bar0_size(d));
}

int tce_dev_bar_read(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t *val)
{
	bool ok;

	if (!has_bar(d, bar, off, size))
		return -EINVAL;
	tce__lock(&d->lock);
	ok = tce__pe_mmio(d->pe, d, TCE__ACC_MEM_LD, tce__dev_bar0_addr(d) + off,
			  !command(d, TCE_PCI_COMMAND_MEMORY));
	*val = !ok ? tce__ones(size) : readable(d, off) ? tce__bar_load(d, off, size) : 0;
	tce__unlock(&d->lock);
	return 0;
}

/* Does a store start work (and so the device thread)? */
static bool rings(const struct tce_pci_dev *d, uint64_t off, uint64_t val)
{
	if (d->type == TCE_DEV_IOAT)
		return off >= TCE_IOAT_REG_CHANCTRL && off < TCE_IOAT_REGS_END;
	return off == TCE_DT_REG_DOORBELL && (val & TCE_DT_DOORBELL_COPY);
}

int tce_dev_bar_write(struct tce_pci_dev *d, unsigned bar, uint64_t off, unsigned size,
		      uint64_t val)
{
	bool rang = false;
	int rc;

	if (!has_bar(d, bar, off, size))
		return -EINVAL;
	if (rings(d, off, val) && (rc = thread_start(d)))
		return rc;
	tce__lock(&d->lock);
	if (tce__pe_mmio(d->pe, d, TCE__ACC_MEM_ST, tce__dev_bar0_addr(d) + off,
			 !command(d, TCE_PCI_COMMAND_MEMORY)))
		rang = reg_store(d, off, size, val);
	tce__unlock(&d->lock);
	if (rang) {
		pthread_mutex_lock(&d->dt.mtx);
		d->dt.kick = true;
		pthread_cond_broadcast(&d->dt.cond);
		pthread_mutex_unlock(&d->dt.mtx);
	}
	return 0;
}

int tce_dev_bar_size(const struct tce_pci_dev *d, unsigned bar, uint64_t *size)
{
	if (bar > 5 || !size)
		return -EINVAL;
	*size = bar == 0 ? tce__dev_bar0_size(d) : 0;
	return 0;
}

int tce_dev_bar_map(struct tce_pci_dev *d, unsigned bar, void **ptr, size_t *size)
{
	int rc;

	if (d->type == TCE_DEV_NONE || bar != 0)
		return -EINVAL;
	rc = thread_start(d);
	if (rc)
		return rc;
	*ptr = d->dt.bar;
	*size = (size_t)tce__dev_bar0_size(d);
	return 0;
}

int tce_dev_set_msi_handler(struct tce_pci_dev *d, tce_msi_fn fn, void *arg)
{
	if (d->type == TCE_DEV_NONE)
		return -EINVAL;
	pthread_mutex_lock(&d->dt.mtx);
	while (d->dt.in_handler && !on_thread(d))
		pthread_cond_wait(&d->dt.cond, &d->dt.mtx);
	d->dt.msi_fn = fn;
	d->dt.msi_arg = arg;
	pthread_mutex_unlock(&d->dt.mtx);
	return 0;
}
