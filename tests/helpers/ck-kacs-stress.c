/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Workloads for the KACS supervisor's race tests (tests/kernel/
 * test_kacs_stress.c), run under the supervisor with fd 3 (write) and fd 4
 * (read) to the test. At each quiet point the workload writes "Q\n" to fd 3
 * ("Q PID\n", its pid) and waits for one byte on fd 4: meanwhile no task of it is being made or
 * ended, and every task that has ended has left /proc.
 *   threads N ALIVE   N threads in all, ALIVE at a time: each batch is held
 *                     alive at a quiet point, then joined
 *   spawn N ALIVE     N fork+execs of this program's "park" in all, ALIVE at
 *                     a time: each batch is held alive (parked on a pipe) at
 *                     a quiet point, then let go and reaped
 *   race N            forks N children that live 1 ms each, while a racer
 *                     thread scans /proc for children of this process and
 *                     kill(p, 0)s each once; prints "kills K ok O esrch E
 *                     other X" (X: any other errno, which would be a verdict
 *                     on a process the supervisor did not know)
 *   park              reads fd 0 until EOF (the spawn mode's children)
 * Every mode ends with a quiet point where only the workload's main thread is left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUIET_W 3
#define QUIET_R 4
#define MAX_ALIVE 64

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer's exit check clones and ptraces: work for the supervisor the tests do not count. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return 1;
}
#endif

static void die(const char *what)
{
	fprintf(stderr, "ck-kacs-stress: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Entries of /proc/self/task: the threads not yet released. */
static int threads_listed(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		die("/proc/self/task");
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Waits for kids[0..k); 0 when each exited 0, else 1 with what names it (a parked child, a child's thread). */
static int reap_all(const pid_t *kids, int k, const char *what)
{
	for (int i = 0; i < k; i++) {
		int st;
		while (waitpid(kids[i], &st, 0) < 0)
			if (errno != EINTR)
				die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "ck-kacs-stress: %s ended with status %#x\n", what, st);
			return 1;
		}
	}
	return 0;
}

/* Waits until exactly n threads are listed: the ended ones have left /proc. */
static void settle_threads(int n)
{
	while (threads_listed() != n)
		sched_yield();
}

static void quiet(void)
{
	char c, line[32];
	int n = snprintf(line, sizeof(line), "Q %d\n", (int)getpid());
	if (write(QUIET_W, line, (size_t)n) != n)
		die("write to fd 3");
	if (read(QUIET_R, &c, 1) != 1)
		die("read from fd 4");
}

static pthread_barrier_t hold;

static void *held(void *arg)
{
	pthread_barrier_wait(&hold);
	return arg;
}

static int threads(long n, int alive)
{
	pthread_t t[MAX_ALIVE];
	for (long done = 0; done < n;) {
		int k = n - done < alive ? (int)(n - done) : alive;
		if (pthread_barrier_init(&hold, NULL, (unsigned)k + 1))
			die("pthread_barrier_init");
		for (int i = 0; i < k; i++) {
			int r = pthread_create(&t[i], NULL, held, NULL);
			if (r) {
				errno = r;
				die("pthread_create");
			}
		}
		settle_threads(k + 1);
		quiet();
		pthread_barrier_wait(&hold);
		for (int i = 0; i < k; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&hold);
		done += k;
	}
	settle_threads(1);
	quiet();
	return 0;
}

static int spawn(long n, int alive, const char *self)
{
	pid_t kids[MAX_ALIVE];
	for (long done = 0; done < n;) {
		int k = n - done < alive ? (int)(n - done) : alive;
		int park[2];
		if (pipe2(park, O_CLOEXEC) < 0)
			die("pipe2");
		for (int i = 0; i < k; i++) {
			kids[i] = fork();
			if (kids[i] < 0)
				die("fork");
			if (kids[i] == 0) {
				char *const argv[] = { (char *)self, "park", NULL };
				/* dup2 onto itself would keep close-on-exec */
				if (park[0] == 0 ? fcntl(0, F_SETFD, 0) < 0 : dup2(park[0], 0) < 0)
					_exit(126);
				close(QUIET_W);
				close(QUIET_R);
				execv(self, argv);
				_exit(127);
			}
		}
		close(park[0]);
		quiet();
		close(park[1]);
		if (reap_all(kids, k, "a parked child"))
			return 1;
		done += k;
	}
	quiet();
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

/*
 * n children in batches of alive, each starting a thread as its first act:
 * no trapped call between the new process's FORK record and its thread's,
 * which may land in different CPUs' rings.
 */
static int fork_thread(long n, int alive)
{
	pid_t kids[MAX_ALIVE];
	for (long done = 0; done < n;) {
		int k = n - done < alive ? (int)(n - done) : alive;
		for (int i = 0; i < k; i++) {
			kids[i] = fork();
			if (kids[i] < 0)
				die("fork");
			if (kids[i] == 0) {
				pthread_t t;
				_exit(pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL) ? 1 : 0);
			}
		}
		if (reap_all(kids, k, "a child's thread (its process)"))
			return 1;
		done += k;
		quiet();
	}
	return 0;
}

static atomic_bool racing = true;
static long kills, kills_ok, kills_esrch, kills_other;

/* The pid's parent from /proc/PID/stat, or -1. */
static pid_t ppid_of(const char *pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	int ppid;
	return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? ppid : -1;
}

static void *racer(void *arg)
{
	pid_t me = getpid(), last = 0;
	(void)arg;
	while (atomic_load(&racing)) {
		DIR *d = opendir("/proc");
		if (!d)
			die("/proc");
		pid_t newest = last;
		for (struct dirent *e; (e = readdir(d));) {
			pid_t p = (pid_t)atoi(e->d_name);
			/* newborns only: each child once (pids grow until they wrap) */
			if (p <= last || p == me || ppid_of(e->d_name) != me)
				continue;
			kills++;
			if (syscall(SYS_kill, p, 0) == 0)
				kills_ok++;
			else if (errno == ESRCH)
				kills_esrch++;
			else
				kills_other++;
			if (p > newest)
				newest = p;
		}
		closedir(d);
		last = newest;
	}
	return NULL;
}

static int race(long n)
{
	pthread_t t;
	const struct timespec ms = { 0, 1000000 };
	if (pthread_create(&t, NULL, racer, NULL))
		die("pthread_create");
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			nanosleep(&ms, NULL);
			_exit(0);
		}
		while (waitpid(p, NULL, 0) < 0)
			if (errno != EINTR)
				die("waitpid");
	}
	atomic_store(&racing, false);
	pthread_join(t, NULL);
	printf("kills %ld ok %ld esrch %ld other %ld\n", kills, kills_ok, kills_esrch, kills_other);
	fflush(stdout);
	settle_threads(1);
	quiet();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "park") == 0) {
		char c;
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	long n = argc > 2 ? atol(argv[2]) : 0;
	int alive = argc > 3 ? atoi(argv[3]) : 0;
	if (argc == 4 && strcmp(argv[1], "threads") == 0 && n > 0 && alive > 0 && alive <= MAX_ALIVE)
		return threads(n, alive);
	if (argc == 4 && strcmp(argv[1], "spawn") == 0 && n > 0 && alive > 0 && alive <= MAX_ALIVE)
		return spawn(n, alive, "/proc/self/exe");
	if (argc == 3 && strcmp(argv[1], "race") == 0 && n > 0)
		return race(n);
	if (argc == 4 && strcmp(argv[1], "fork-thread") == 0 && n > 0 && alive > 0 && alive <= MAX_ALIVE)
		return fork_thread(n, alive);
	fprintf(stderr, "usage: ck-kacs-stress threads N ALIVE | spawn N ALIVE | race N | fork-thread N ALIVE | park\n");
	return 2;
}
