/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lineage (design §3): how the supervisor learns each new task of its tree
 * before any decision can involve it. One PERF_COUNT_SW_DUMMY event per
 * online CPU, opened by S on the held root child with inherit=1, so every
 * descendant carries it; FORK, EXIT and COMM(exec) side-band records land in
 * per-CPU rings that S drains, merged by time, before each notification.
 * perf_event_fork() runs in copy_process() and perf_event_comm(exec) in
 * begin_new_exec(), both before the new task runs or clone/exec returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kacs/internal.h"
#include "kacs/supervisor.h"

/*
 * At most this many sweeps over the rings in one pass (each reads what came
 * during the last; a pass left open fails closed if a record lacks its creator).
 */
#define MAX_SWEEPS 64

/* The largest record S reads (COMM: 8 + 8 + 16 + 24); bigger ones are skipped. */
#define MAX_RECORD 512

/* The sample_id trailer every record carries (sample_id_all, TID|TIME|CPU). */
struct id_trailer {
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu, res;
};

struct ring {
	int fd;
	int cpu;
	void *base;       /* the metadata page, then the data pages */
	size_t page;
	size_t data_size; /* a power of two */
	uint64_t lost;    /* PERF_FORMAT_LOST of this CPU's events (the ring's, every gen's) as last read */
	uint64_t retired; /* PERF_FORMAT_LOST of this CPU's events of gens closed since */
};

/*
 * A gen: the events S opened again on one task after the kernel removed the
 * inherited ones (a non-dumpable exec, §3), one per CPU, each writing into
 * that CPU's ring (PERF_EVENT_IOC_SET_OUTPUT). Held by every table process
 * that carries its inherited copies; closed with the last, since closing a
 * parent event frees its children.
 */
struct ck__lin_gen {
	int *fds; /* one per ring, same order */
	unsigned refs;
	struct ck__lin_gen *prev, *next;
};

/* One record copied out of a ring, waiting for the merge. */
struct pending {
	struct ck__lin_rec rec;
	size_t seq; /* its place in the pass: qsort is not stable */
};

struct ck__lineage {
	size_t nrings;
	size_t page;
	struct ring *rings;
	struct pending *buf; /* the records of one drain pass */
	size_t nbuf, capbuf;
	struct ck__lin_gen *gens;
};

/* wake: the bytes after which a ring wakes S's epoll (perf's own default is half the ring). */
static int perf_open(pid_t pid, int cpu, uint32_t wake)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
	a.task = 1;
	a.comm = 1;
	a.comm_exec = 1;
	a.inherit = 1;
	a.exclude_kernel = 1; /* what perf_event_paranoid 2 allows an unprivileged S */
	a.exclude_hv = 1;
	a.sample_id_all = 1;
	a.read_format = PERF_FORMAT_LOST; /* Linux 6.0: records the ring had no room for */
	a.watermark = 1;
	a.wakeup_watermark = wake;
	long fd = syscall(SYS_perf_event_open, &a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

static int paranoid_level(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int v = -100;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -100;
		fclose(f);
	}
	return v;
}

/* The online CPUs, from sysfs ("0-3,6"): a record made on a CPU without an event is dropped. */
static int online_cpus(int *out, size_t max, size_t *n)
{
	char text[512];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	*n = 0;
	if (!f) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < c && *n < max; i++)
			out[(*n)++] = (int)i;
		return c > 0 ? 0 : -ENODEV;
	}
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (char *p = text; *p && *p != '\n';) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p)
			return -EIO;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long i = lo; i <= hi; i++) {
			if (*n >= max)
				return -E2BIG;
			out[(*n)++] = (int)i;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return *n ? 0 : -ENODEV;
}

static void gen_close(struct ck__lineage *l, struct ck__lin_gen *g)
{
	for (size_t i = 0; i < l->nrings; i++) {
		uint64_t v[2];
		if (g->fds[i] < 0)
			continue;
		/* a record this gen could not write stays counted on its CPU's ring */
		if (read(g->fds[i], v, sizeof(v)) == (ssize_t)sizeof(v))
			l->rings[i].retired += v[1];
		else
			l->rings[i].retired++; /* cannot tell: fail closed */
		close(g->fds[i]);
	}
	if (g->prev)
		g->prev->next = g->next;
	else
		l->gens = g->next;
	if (g->next)
		g->next->prev = g->prev;
	free(g->fds);
	free(g);
}

void ck__lineage_free(struct ck__lineage *l)
{
	if (!l)
		return;
	while (l->gens)
		gen_close(l, l->gens);
	for (size_t i = 0; i < l->nrings; i++) {
		if (l->rings[i].base)
			munmap(l->rings[i].base, l->page + l->rings[i].data_size);
		if (l->rings[i].fd >= 0)
			close(l->rings[i].fd);
	}
	free(l->rings);
	free(l->buf);
	free(l);
}

static int open_fail(struct ck__lineage *l, int rc, struct ck_kacs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int open_fail(struct ck__lineage *l, int rc, struct ck_kacs_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err) {
		err->offset = 0;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	va_end(ap);
	ck__lineage_free(l);
	return rc;
}

int ck__lineage_open(pid_t pid, unsigned pages, struct ck__lineage **out, struct ck_kacs_error *err)
{
	int cpus[1024];
	size_t ncpu;
	*out = NULL;
	if (pages == 0)
		pages = 32;
	if (pages & (pages - 1))
		return open_fail(NULL, -EINVAL, err, "perf pages %u: not a power of two", pages);
	int rc = online_cpus(cpus, sizeof(cpus) / sizeof(cpus[0]), &ncpu);
	if (rc)
		return open_fail(NULL, rc, err, "the online CPUs (/sys/devices/system/cpu/online): %s",
				 strerror(-rc));
	struct ck__lineage *l = calloc(1, sizeof(*l));
	if (!l || !(l->rings = calloc(ncpu, sizeof(*l->rings)))) {
		free(l);
		return open_fail(NULL, -ENOMEM, err, "out of memory");
	}
	l->page = (size_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < ncpu; i++)
		l->rings[i].fd = -1;
	l->nrings = ncpu;
	for (size_t i = 0; i < ncpu; i++) {
		struct ring *r = &l->rings[i];
		/*
		 * A quarter full wakes S: thread creations are not trapped (§3's
		 * pacing covers processes only), so S drains a ring that a
		 * thread storm fills with three quarters of it still free.
		 */
		int fd = perf_open(pid, cpus[i], (uint32_t)((size_t)pages * l->page / 4));
		if ((fd == -EACCES || fd == -EPERM) && paranoid_level() > 2)
			return open_fail(l, -EACCES, err,
					 "perf_event_open refused a task-record event (%s): "
					 "kernel.perf_event_paranoid is %d, the supervisor needs 2 or less "
					 "(or root)",
					 strerror(-fd), paranoid_level());
		if (fd == -EACCES || fd == -EPERM)
			return open_fail(l, -EACCES, err,
					 "perf_event_open on pid %d refused (%s): the supervisor must be "
					 "allowed to trace it (root, or the same uid and the child dumpable)",
					 (int)pid, strerror(-fd));
		if (fd < 0)
			return open_fail(l, fd, err, "perf_event_open (pid %d, cpu %d): %s", (int)pid, cpus[i],
					 strerror(-fd));
		r->fd = fd;
		r->cpu = cpus[i];
		r->page = l->page;
		r->data_size = (size_t)pages * l->page;
		void *m = mmap(NULL, l->page + r->data_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			return open_fail(l, -e, err,
					 "mmap of a perf ring of %u pages: %s%s", pages, strerror(e),
					 e == EPERM ? " (over kernel.perf_event_mlock_kb and RLIMIT_MEMLOCK: "
						      "fewer --perf-pages)"
						    : "");
		}
		r->base = m;
	}
	*out = l;
	return 0;
}

/* PERF_FORMAT_LOST of every event writing into ring i, closed gens' included; -EIO when one cannot be read. */
static int64_t ring_lost(const struct ck__lineage *l, size_t i)
{
	uint64_t v[2], total = l->rings[i].retired;
	if (read(l->rings[i].fd, v, sizeof(v)) != (ssize_t)sizeof(v))
		return -EIO;
	total += v[1];
	for (const struct ck__lin_gen *g = l->gens; g; g = g->next) {
		if (read(g->fds[i], v, sizeof(v)) != (ssize_t)sizeof(v))
			return -EIO;
		total += v[1];
	}
	return (int64_t)total;
}

int64_t ck__lineage_lost(const struct ck__lineage *l)
{
	int64_t total = 0;
	for (size_t i = 0; i < l->nrings; i++) {
		int64_t n = ring_lost(l, i);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int ck__lineage_attach(struct ck__lineage *l, pid_t pid, struct ck__lin_gen **out)
{
	*out = NULL;
	struct ck__lin_gen *g = calloc(1, sizeof(*g));
	if (!g || !(g->fds = malloc(l->nrings * sizeof(*g->fds)))) {
		free(g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->nrings; i++)
		g->fds[i] = -1;
	int rc = 0;
	for (size_t i = 0; i < l->nrings && !rc; i++) {
		/* its records go to the ring of its CPU (SET_OUTPUT), whose wake-up point is the ring's own */
		int fd = perf_open(pid, l->rings[i].cpu, (uint32_t)(l->rings[i].data_size / 4));
		if (fd < 0) {
			rc = fd;
			break;
		}
		g->fds[i] = fd;
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, l->rings[i].fd) < 0)
			rc = -errno;
	}
	if (rc) {
		for (size_t i = 0; i < l->nrings; i++)
			if (g->fds[i] >= 0)
				close(g->fds[i]);
		free(g->fds);
		free(g);
		return rc;
	}
	g->refs = 1;
	g->next = l->gens;
	if (g->next)
		g->next->prev = g;
	l->gens = g;
	*out = g;
	return 0;
}

struct ck__lin_gen *ck__lineage_gen_get(struct ck__lin_gen *g)
{
	if (g)
		g->refs++;
	return g;
}

void ck__lineage_gen_put(struct ck__lineage *l, struct ck__lin_gen *g)
{
	if (g && --g->refs == 0)
		gen_close(l, g);
}

size_t ck__lineage_nfds(const struct ck__lineage *l)
{
	return l->nrings;
}

int ck__lineage_fd(const struct ck__lineage *l, size_t i)
{
	return i < l->nrings ? l->rings[i].fd : -1;
}

/* Copies n bytes at offset off of r's data area (which wraps) into dst. */
static void ring_copy(const struct ring *r, uint64_t off, void *dst, size_t n)
{
	size_t start = (size_t)((const struct perf_event_mmap_page *)r->base)->data_offset;
	const uint8_t *data = (const uint8_t *)r->base + (start ? start : r->page);
	size_t at = (size_t)(off & (r->data_size - 1));
	size_t first = r->data_size - at < n ? r->data_size - at : n;
	memcpy(dst, data + at, first);
	if (first < n)
		memcpy((uint8_t *)dst + first, data, n - first);
}

static int push(struct ck__lineage *l, const struct ck__lin_rec *rec)
{
	if (l->nbuf == l->capbuf) {
		size_t cap = l->capbuf ? l->capbuf * 2 : 64;
		struct pending *b = realloc(l->buf, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		l->buf = b;
		l->capbuf = cap;
	}
	l->buf[l->nbuf].rec = *rec;
	l->buf[l->nbuf].seq = l->nbuf;
	l->nbuf++;
	return 0;
}

/* One record (raw bytes, header first) to a ck__lin_rec: 1 if it is one S wants, 0 to skip. */
static int decode(const uint8_t *raw, size_t size, struct ck__lin_rec *out)
{
	struct perf_event_header h;
	struct id_trailer id;

	memcpy(&h, raw, sizeof(h));
	if (size < sizeof(h) + sizeof(id))
		return 0;
	memcpy(&id, raw + size - sizeof(id), sizeof(id));
	memset(out, 0, sizeof(*out));
	out->time = id.time;
	const uint8_t *p = raw + sizeof(h);
	switch (h.type) {
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		uint32_t v[4];
		uint64_t t;
		if (size < sizeof(h) + sizeof(v) + sizeof(t) + sizeof(id))
			return 0;
		memcpy(v, p, sizeof(v));
		memcpy(&t, p + sizeof(v), sizeof(t));
		out->kind = h.type == PERF_RECORD_FORK ? CK__LIN_FORK : CK__LIN_EXIT;
		out->pid = (pid_t)v[0];
		out->ppid = (pid_t)v[1];
		out->tid = (pid_t)v[2];
		out->ptid = (pid_t)v[3];
		out->time = t;
		return 1;
	}
	case PERF_RECORD_COMM: {
		uint32_t v[2];
		if (!(h.misc & PERF_RECORD_MISC_COMM_EXEC) || size < sizeof(h) + sizeof(v) + sizeof(id))
			return 0; /* a rename (PR_SET_NAME), not an exec */
		memcpy(v, p, sizeof(v));
		out->kind = CK__LIN_EXEC;
		out->pid = (pid_t)v[0];
		out->tid = (pid_t)v[1];
		size_t room = size - sizeof(h) - sizeof(v) - sizeof(id);
		if (room > sizeof(out->comm) - 1)
			room = sizeof(out->comm) - 1;
		memcpy(out->comm, p + sizeof(v), room);
		out->comm[room] = '\0';
		return 1;
	}
	case PERF_RECORD_LOST: {
		uint64_t v[2];
		if (size < sizeof(h) + sizeof(v) + sizeof(id))
			return 0;
		memcpy(v, p, sizeof(v));
		out->kind = CK__LIN_LOST;
		out->lost = v[1];
		out->pid = (pid_t)id.pid;
		out->tid = (pid_t)id.tid;
		return 1;
	}
	default:
		return 0;
	}
}

/* Everything now in ring i into l->buf; the ring's tail moves past it. */
static int read_ring(struct ck__lineage *l, unsigned i)
{
	struct ring *r = &l->rings[i];
	struct perf_event_mmap_page *m = r->base;
	uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = m->data_tail;
	uint8_t raw[MAX_RECORD];
	int rc = 0;
	/* a record is dropped only when the ring has no room for it, so only a ring this full can have lost one */
	bool full = head - tail > r->data_size - MAX_RECORD;

	while (tail < head) {
		struct perf_event_header h;
		ring_copy(r, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail)
			break; /* cannot happen with a sane kernel; stop rather than loop */
		struct ck__lin_rec rec;
		if (h.size <= sizeof(raw)) {
			ring_copy(r, tail, raw, h.size);
			if (decode(raw, h.size, &rec) && (rc = push(l, &rec)))
				break;
		}
		tail += h.size;
	}
	__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
	if (rc == 0 && full) {
		/* PERF_RECORD_LOST would come only with the ring's next record: ask perf now */
		struct ck__lin_rec lost = { .kind = CK__LIN_LOST, .time = UINT64_MAX };
		int64_t n = ring_lost(l, i);
		uint64_t now = n < 0 ? r->lost + 1 : (uint64_t)n; /* cannot tell: fail closed */
		if (now != r->lost) {
			lost.lost = now - r->lost;
			r->lost = now;
			rc = push(l, &lost);
		}
	}
	return rc;
}

static int by_time(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->rec.time != y->rec.time)
		return x->rec.time < y->rec.time ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq); /* each ring's own order */
}

int ck__lineage_drain(struct ck__lineage *l, int (*cb)(void *data, const struct ck__lin_rec *r), void *data)
{
	bool any = false;
	for (size_t i = 0; i < l->nrings; i++) {
		struct perf_event_mmap_page *m = l->rings[i].base;
		if (__atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE) != m->data_tail) {
			any = true;
			break;
		}
	}
	if (!any)
		return 0; /* the hot path: one data_head read per CPU */
	l->nbuf = 0;
	/*
	 * Sweeps until one finds every ring empty. A record read from a later
	 * ring can follow one committed to an earlier ring just after that ring
	 * was read (a new process's FORK, then its first thread's, which no
	 * trap holds back): once a sweep finds nothing, every record's
	 * predecessors were committed before it and are in this pass.
	 */
	for (unsigned sweep = 0; any && sweep < MAX_SWEEPS; sweep++) {
		any = false;
		for (unsigned i = 0; i < l->nrings; i++) {
			struct perf_event_mmap_page *m = l->rings[i].base;
			if (__atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE) == m->data_tail)
				continue;
			any = true;
			int rc = read_ring(l, i);
			if (rc)
				return rc;
		}
	}
	/* each ring is in time order already; the merge needs only a sort of the few records */
	if (l->nrings > 1 && l->nbuf > 1)
		qsort(l->buf, l->nbuf, sizeof(*l->buf), by_time);
	int n = 0;
	for (size_t i = 0; i < l->nbuf; i++) {
		int rc = cb(data, &l->buf[i].rec);
		if (rc)
			return rc;
		n++;
	}
	l->nbuf = 0;
	return n;
}
