/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_watcher: loads lib/bpf/watch.bpf.c, attaches it, and turns its records into ck_events. */
#include <clonekit/abi.h>
#include <clonekit/flags.h>
#include <clonekit/watch.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/watch_record.h"
#include "bpf/watch.skel.h"
#include "internal/util.h"

#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(WATCH_NS_COUNT, CK_NS__COUNT) && SAME(WATCH_NS_USER, CK_NS_USER) &&
		       SAME(WATCH_NS_PID, CK_NS_PID) && SAME(WATCH_NS_NET, CK_NS_NET) &&
		       SAME(WATCH_NS_MNT, CK_NS_MNT) && SAME(WATCH_NS_UTS, CK_NS_UTS) &&
		       SAME(WATCH_NS_IPC, CK_NS_IPC) && SAME(WATCH_NS_CGROUP, CK_NS_CGROUP) &&
		       SAME(WATCH_NS_TIME, CK_NS_TIME),
	       "watch_record.h namespace slots follow enum ck_ns_type");
_Static_assert(SAME(WATCH_NR_COUNT, CK_NR__COUNT) && SAME(WATCH_NR_CLONE, CK_NR_CLONE) &&
		       SAME(WATCH_NR_CLONE3, CK_NR_CLONE3) && SAME(WATCH_NR_FORK, CK_NR_FORK) &&
		       SAME(WATCH_NR_VFORK, CK_NR_VFORK) && SAME(WATCH_NR_UNSHARE, CK_NR_UNSHARE) &&
		       SAME(WATCH_NR_SETNS, CK_NR_SETNS),
	       "watch_record.h calls follow enum ck_nr");
_Static_assert(sizeof(((struct watch_record *)0)->clone3) == sizeof(struct ck_clone_args),
	       "the record holds a whole struct ck_clone_args");
_Static_assert(WATCH_EXE_MAX == CK_EXE_MAX && WATCH_EXE_TRUNCATED == CK_EXE_TRUNCATED &&
		       WATCH_EXE_DELETED == CK_EXE_DELETED && WATCH_EXE_OUTSIDE_ROOT == CK_EXE_OUTSIDE_ROOT,
	       "watch_record.h's executable follows CK_EXE_*");

#define MAX_LINKS 8
#define RING_BYTES (4u << 20)
/* Events wait in the ring this long at most, or until a quarter of it is full. */
#define FLUSH_MS 100

struct ck_watcher {
	struct watch_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	size_t nlinks;
	struct ring_buffer *rb;
	int epfd;
	bool no_exe;
	const struct ck_arch_info *native;
	const struct ck_arch_info *compat;
	int64_t realtime_offset;
	/* the poll in progress */
	void (*cb)(const struct ck_event *e, void *data);
	void *data;
	int delivered;
	int64_t deadline;          /* CLOCK_MONOTONIC ns; 0: none */
	uint64_t consumed;         /* records taken from the ring, ever */
};

static const enum ck_event_call calls[WATCH_NR_COUNT] = {
	[WATCH_NR_CLONE] = CK_CALL_CLONE,
	[WATCH_NR_CLONE3] = CK_CALL_CLONE3,
	[WATCH_NR_FORK] = CK_CALL_FORK,
	[WATCH_NR_VFORK] = CK_CALL_VFORK,
	[WATCH_NR_UNSHARE] = CK_CALL_UNSHARE,
	[WATCH_NR_SETNS] = CK_CALL_SETNS,
};

static int fail(struct ck_watch_error *err, const char *step, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct ck_watch_error *err, const char *step, int e, const char *fmt, ...)
{
	if (err && err->size >= sizeof(*err)) {
		va_list ap;
		size_t n;

		err->step = step;
		err->err = e;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
		n = strlen(err->message);
		snprintf(err->message + n, sizeof(err->message) - n, ": %s", strerror(e));
	}
	return -e;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_cgroup(const char *dir, struct ck_watch_error *err)
{
	struct statfs s;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, "cgroup", errno, "%s", dir);
	if (fstatfs(fd, &s) < 0 || s.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return fail(err, "cgroup", EMEDIUMTYPE, "%s is not a cgroup v2 directory", dir);
	}
	return fd;
}

static void to_event(struct ck_watcher *w, const struct watch_event *ev, struct ck_event *e)
{
	const struct watch_record *r = &ev->rec;
	const struct ck_arch_info *arch = r->compat && w->compat ? w->compat : w->native;

	ck_event_init(e);
	e->source = CK_SOURCE_WATCH;
	e->time_ns = (uint64_t)((int64_t)r->time_ns + w->realtime_offset);
	e->pid = (int32_t)r->pid;
	e->tid = (int32_t)r->tid;
	e->ppid = (int32_t)r->ppid;
	e->uid = r->uid;
	memcpy(e->comm, r->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
	e->cgroup_id = r->cgroup_id;
	e->call = r->call < WATCH_NR_COUNT ? calls[r->call] : CK_CALL_CLONE;
	e->arch = arch->arch;
	e->in_container = r->in_container;
	e->traced = r->traced;
	e->has_result = true;
	e->result = r->result;
	e->pidfd = r->pidfd;
	memcpy(e->ns_before, r->ns_before, sizeof(e->ns_before));
	if (r->has_after)
		memcpy(e->ns_after, r->ns_after, sizeof(e->ns_after));

	switch (e->call) {
	case CK_CALL_CLONE: {
		enum ck_clone_order o = arch->clone_order;
		e->flags = r->args[ck_clone_arg_index(o, CK_CLONE_ARG_FLAGS)];
		e->stack = r->args[ck_clone_arg_index(o, CK_CLONE_ARG_STACK)];
		e->parent_tid = r->args[ck_clone_arg_index(o, CK_CLONE_ARG_PARENT_TID)];
		e->child_tid = r->args[ck_clone_arg_index(o, CK_CLONE_ARG_CHILD_TID)];
		e->tls = r->args[ck_clone_arg_index(o, CK_CLONE_ARG_TLS)];
		e->exit_signal = e->flags & CK_CSIGNAL;
		break;
	}
	case CK_CALL_CLONE3:
		e->args_addr = r->args[0];
		e->args_size = r->args[1];
		if (r->clone3_read) {
			memcpy(&e->args, r->clone3, r->clone3_read < sizeof(e->args) ? r->clone3_read
										 : sizeof(e->args));
			e->has_args = true;
			e->flags = e->args.flags;
			e->exit_signal = e->args.exit_signal;
		}
		break;
	case CK_CALL_UNSHARE:
		e->flags = r->args[0];
		break;
	case CK_CALL_SETNS:
		e->fd = (int32_t)r->args[0];
		e->flags = r->args[1];
		break;
	default:
		break;
	}
	ck_event_classify(e);
	memcpy(e->exe, ev->exe, ev->exe_len);
	e->exe[ev->exe_len] = '\0';
	e->exe_flags = ev->exe_flags;
}

/* What makes libbpf's ring_buffer__consume stop: this poll has done its share. */
#define POLL_DONE (-ECANCELED)

static int on_record(void *ctx, void *data, size_t size)
{
	struct ck_watcher *w = ctx;
	const struct watch_event *ev = data;
	struct ck_event e;

	w->consumed++;
	if (size >= offsetof(struct watch_event, exe) + 1 && ev->exe_len < CK_EXE_MAX &&
	    ev->exe_len < size - offsetof(struct watch_event, exe)) {
		to_event(w, ev, &e);
		w->delivered++;
		if (w->cb)
			w->cb(&e, w->data);
	}
	if (w->delivered >= CK_WATCH_POLL_MAX ||
	    (w->deadline && clock_ns(CLOCK_MONOTONIC) >= w->deadline))
		return POLL_DONE;
	return 0;
}

/* Fills the settings the programs read (rodata). */
static void configure(struct ck_watcher *w, bool filter_cgroup, size_t ring_bytes)
{
	struct watch_bpf *s = w->skel;
	const struct ck_arch_info *compat = w->compat;

	s->rodata->filter_cgroup = filter_cgroup;
	s->rodata->capture_exe = !w->no_exe;
	s->rodata->wakeup_bytes = ring_bytes / 4;
	s->rodata->pidfd_flag = CK_CLONE_PIDFD;
	s->rodata->clone_ptid_arg =
		(uint32_t)ck_clone_arg_index(w->native->clone_order, CK_CLONE_ARG_PARENT_TID);
	for (int i = 0; i < WATCH_NR_COUNT; i++) {
		s->rodata->native_nr[i] = w->native->nr[i];
		s->rodata->compat_nr[i] = compat ? compat->nr[i] : -1;
	}
}

/*
 * Exits and sched_process_fork first: a call that enters once its entry
 * program is attached then always finds the rest in place.
 */
static int attach_all(struct ck_watcher *w, struct ck_watch_error *err)
{
	struct bpf_program *p;

	for (int entries = 0; entries < 2; entries++) {
		bpf_object__for_each_program(p, w->skel->obj) {
			const char *sec = bpf_program__section_name(p);
			struct bpf_link *l;

			if (!bpf_program__autoload(p) || (strstr(sec, "sys_enter") != NULL) != entries)
				continue;
			if (w->nlinks == MAX_LINKS)
				return fail(err, "attach", E2BIG, "more than %d programs", MAX_LINKS);
			l = bpf_program__attach(p);
			if (!l)
				return fail(err, "attach", errno, "attach %s", sec);
			w->links[w->nlinks++] = l;
		}
	}
	return 0;
}

/*
 * libbpf prints its own diagnostics on stderr; a library must not, and the
 * failure comes back in struct ck_watch_error. CLONEKIT_DEBUG=1 lets them
 * through (to libbpf's previous printer) while ck_watcher_open runs.
 */
static libbpf_print_fn_t libbpf_previous;

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *debug = getenv("CLONEKIT_DEBUG");
	if (!debug || !*debug || strcmp(debug, "0") == 0 || !libbpf_previous)
		return 0;
	return libbpf_previous(level, fmt, ap);
}

static int watcher_open(struct ck_watcher **out, const struct ck_watch_opts *opts,
			struct ck_watch_error *err);

int ck_watcher_open(struct ck_watcher **out, const struct ck_watch_opts *opts,
		    struct ck_watch_error *err)
{
	libbpf_previous = libbpf_set_print(libbpf_quiet);
	int r = watcher_open(out, opts, err);
	libbpf_set_print(libbpf_previous);
	return r;
}

static int watcher_open(struct ck_watcher **out, const struct ck_watch_opts *opts,
			struct ck_watch_error *err)
{
	struct ck_watch_opts o = { .size = sizeof(o) };
	struct ck_watcher *w;
	int cgfd = -1, r;

	if (!out)
		return fail(err, "options", EINVAL, "no place for the watcher");
	*out = NULL;
	if (opts) {
		if (ck__opts_copy_in(&o, sizeof(o), opts, opts->size,
				     offsetof(struct ck_watch_opts, no_compat) + sizeof(opts->no_compat)) < 0)
			return fail(err, "options", EINVAL,
				    "opts->size %zu: too small, or bytes past the fields this library knows are not zero",
				    opts->size);
	}
	if (o.ring_bytes && (o.ring_bytes < (size_t)sysconf(_SC_PAGESIZE) ||
			     (o.ring_bytes & (o.ring_bytes - 1)) || o.ring_bytes > UINT32_MAX))
		return fail(err, "options", EINVAL, "ring_bytes %zu is not a power of two of at least a page",
			    o.ring_bytes);

	w = calloc(1, sizeof(*w));
	if (!w)
		return fail(err, "options", ENOMEM, "watcher");
	w->epfd = -1;
	w->no_exe = o.no_exe;
	w->native = ck_arch_native();
	if (!w->native) {
		free(w);
		return fail(err, "options", ENOTSUP, "an architecture clonekit has no ABI table for");
	}
#if defined(__x86_64__) && !defined(__ILP32__)
	if (!o.no_compat)
		w->compat = ck_arch_at(CK_ARCH_I386);
#endif

	if (o.cgroup && (r = cgfd = open_cgroup(o.cgroup, err)) < 0)
		goto out;

	w->skel = watch_bpf__open();
	if (!w->skel) {
		r = fail(err, "load", errno, "open the eBPF object");
		goto out;
	}
	if (!o.ring_bytes)
		o.ring_bytes = RING_BYTES;
	configure(w, cgfd >= 0, o.ring_bytes);
	if ((r = bpf_map__set_max_entries(w->skel->maps.events, (uint32_t)o.ring_bytes)) < 0) {
		r = fail(err, "options", -r, "ring_bytes %zu", o.ring_bytes);
		goto out;
	}
	if ((r = watch_bpf__load(w->skel)) < 0) {
		r = fail(err, "load", -r, "load the eBPF programs (needs CAP_BPF and CAP_PERFMON)");
		goto out;
	}
	if (cgfd >= 0) {
		uint32_t key = 0, val = (uint32_t)cgfd;
		if (bpf_map__update_elem(w->skel->maps.cgroup_filter, &key, sizeof(key), &val, sizeof(val),
					 BPF_ANY) < 0) {
			r = fail(err, "cgroup", errno, "%s", o.cgroup);
			goto out;
		}
	}
	w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events), on_record, w, NULL);
	if (!w->rb) {
		r = fail(err, "ring buffer", errno, "ring buffer");
		goto out;
	}
	w->epfd = ring_buffer__epoll_fd(w->rb);
	if ((r = attach_all(w, err)) < 0)
		goto out;
	w->realtime_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (cgfd >= 0)
		close(cgfd);
	*out = w;
	return 0;
out:
	if (cgfd >= 0)
		close(cgfd);
	ck_watcher_close(w);
	return r;
}

int ck_watcher_poll(struct ck_watcher *w, int timeout_ms,
		    void (*cb)(const struct ck_event *e, void *data), void *data)
{
	int64_t deadline = clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	int r;

	if (!w)
		return -EINVAL;
	w->cb = cb;
	w->data = data;
	w->delivered = 0;
	w->deadline = timeout_ms > 0 ? deadline : 0;
	for (;;) {
		struct epoll_event ev;
		int slice = FLUSH_MS;

		if (timeout_ms >= 0) {
			int64_t left = (deadline - clock_ns(CLOCK_MONOTONIC) + 999999) / 1000000;
			slice = left < 0 ? 0 : left < slice ? (int)left : slice;
		}
		if (slice > 0 && epoll_wait(w->epfd, &ev, 1, slice) < 0) {
			r = -errno;
			break;
		}
		w->realtime_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
		/* every ring, woken or not: the programs wake the reader only when it fills */
		r = ring_buffer__consume(w->rb);
		if (r < 0 && r != POLL_DONE)
			break;
		if (r == POLL_DONE || w->delivered > 0 || slice == 0 ||
		    (timeout_ms >= 0 && clock_ns(CLOCK_MONOTONIC) >= deadline)) {
			r = 0;
			break;
		}
	}
	w->cb = NULL;
	return r < 0 ? r : w->delivered;
}

int ck_watcher_fd(const struct ck_watcher *w)
{
	return w ? w->epfd : -EINVAL;
}

/* The sum over CPUs of the counters in [first, end). */
static uint64_t counted(const struct ck_watcher *w, uint32_t first, uint32_t end)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total = 0;

	if (!w || ncpu <= 0)
		return 0;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	for (uint32_t slot = first; slot < end; slot++) {
		if (bpf_map__lookup_elem(w->skel->maps.counters, &slot, sizeof(slot), v,
					 (size_t)ncpu * sizeof(*v), 0) < 0)
			continue;
		for (int i = 0; i < ncpu; i++)
			total += v[i];
	}
	free(v);
	return total;
}

uint64_t ck_watcher_drops(const struct ck_watcher *w)
{
	return counted(w, 0, WATCH_DROP_COUNT);
}

uint64_t ck_watcher_pending(const struct ck_watcher *w)
{
	uint64_t sent = counted(w, WATCH_SENT, WATCH_SENT + 1);

	return w && sent > w->consumed ? sent - w->consumed : 0;
}

void ck_watcher_close(struct ck_watcher *w)
{
	if (!w)
		return;
	for (size_t i = w->nlinks; i-- > 0;)
		bpf_link__destroy(w->links[i]);
	ring_buffer__free(w->rb);
	watch_bpf__destroy(w->skel);
	free(w);
}
