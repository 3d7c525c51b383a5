#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cost of observing process creation (issue 6). Three workloads:
#   spawn    a shell loop that runs /bin/true N times (fork + exec + wait)
#   threads  bench/thread-storm: T threads, 16 alive at a time
#   getppid  bench/syscall-loop: an unrelated system call, ns per call (best
#            of 3 x 200,000 calls; under the observers that stop at every
#            call, trace and strace -f, 20,000 calls once)
# each run untraced and under every observer, in ROUNDS interleaved rounds
# (the order of the observers rotates every round, so slow drifts hit all):
#   trace           clonekit trace -o /dev/null -- WORKLOAD (syscall stops)
#   trace-seccomp   the same with --seccomp-bpf
#   strace          strace -f -e trace=<the six calls> -o /dev/null WORKLOAD
#   strace-seccomp  the same with --seccomp-bpf
#   watch           clonekit watch >/dev/null running host-wide meanwhile
#   watch-nocompat  the same with --no-compat (no raw_syscalls programs)
#   bpftrace        bpftrace printing every event of the same tracepoints
# Prints the median wall time of each and its ratio to the untraced median,
# and for the watches the fewest events seen in a round and the events lost.
# Needs root; installs strace and bpftrace when missing.
#   usage: bench/observe_bench.sh [BUILD_DIR] [N] [T] [ROUNDS]
set -eu
build=$(cd "${1:-build}" && pwd)
n=${2:-5000}
threads=${3:-20000}
rounds=${4:-5}
tmp=$(mktemp -d)
bg=
trap '[ -z "$bg" ] || kill -INT $bg 2>/dev/null; rm -rf "$tmp"' EXIT

for p in strace bpftrace; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
done

six=clone,clone3,fork,vfork,unshare,setns
bt_prog='
tracepoint:syscalls:sys_enter_clone { printf("%d %s clone %lx\n", tid, comm, args->clone_flags); }
tracepoint:syscalls:sys_enter_clone3 { printf("%d %s clone3 %lx\n", tid, comm, args->uargs); }
tracepoint:syscalls:sys_enter_unshare { printf("%d %s unshare %lx\n", tid, comm, args->unshare_flags); }
tracepoint:syscalls:sys_enter_setns { printf("%d %s setns %d %x\n", tid, comm, args->fd, args->flags); }
tracepoint:syscalls:sys_exit_clone,
tracepoint:syscalls:sys_exit_clone3,
tracepoint:syscalls:sys_exit_unshare,
tracepoint:syscalls:sys_exit_setns { printf("%d %s = %ld\n", tid, comm, args->ret); }
tracepoint:sched:sched_process_fork { printf("fork %d %d\n", args->parent_pid, args->child_pid); }'

# Waits until file holds pattern: the background observer has attached.
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "observe-bench: no '$2' in $1" >&2; cat "$1" >&2; exit 1; }
		sleep 0.05
	done
}

start() {
	bg=
	case $1 in
	watch | watch-nocompat)
		flag=
		[ "$1" = watch ] || flag=--no-compat
		"$build/clonekit" watch $flag >/dev/null 2>"$tmp/err" &
		bg=$!
		wait_for "$tmp/err" "watching" ;;
	bpftrace)
		bpftrace -e "$bt_prog" >"$tmp/bt" 2>&1 &
		bg=$!
		wait_for "$tmp/bt" "Attaching" ;;
	esac
}

stop() {
	[ -n "$bg" ] || return 0
	kill -INT $bg
	wait $bg || true
	bg=
	case $1 in
	watch | watch-nocompat)
		sed -n 's/.*: \([0-9]*\) events\{0,1\}, \([0-9]*\) lost.*/\1 \2/p' "$tmp/err" >>"$tmp/$1.$2.counts" ;;
	esac
}

# run OBSERVER WORKLOAD: appends the wall ms (or ns per getppid) to $tmp/OBSERVER.WORKLOAD
run() {
	obs=$1 wl=$2
	case $wl in
	spawn) set -- bash -c "i=0; while [ \$i -lt $n ]; do /bin/true; i=\$((i + 1)); done" ;;
	threads) set -- "$build/bench/thread-storm" "$threads" ;;
	getppid) set -- "$build/bench/syscall-loop" 200000 3 ;;
	esac
	# trace and strace -f stop at every call: a tenth of the calls, once, says as much
	case $wl.$obs in
	getppid.trace | getppid.strace) set -- "$build/bench/syscall-loop" 20000 1 ;;
	esac
	case $obs in
	trace) set -- "$build/clonekit" trace -o /dev/null -- "$@" ;;
	trace-seccomp) set -- "$build/clonekit" trace --seccomp-bpf -o /dev/null -- "$@" ;;
	strace) set -- strace -f -e trace=$six -o /dev/null "$@" ;;
	strace-seccomp) set -- strace -f --seccomp-bpf -e trace=$six -o /dev/null "$@" ;;
	esac
	if [ "$wl" = getppid ]; then
		"$@" >>"$tmp/$obs.$wl"
	else
		start=$(date +%s%N)
		"$@" >/dev/null
		end=$(date +%s%N)
		echo $(((end - start) / 1000000)) >>"$tmp/$obs.$wl"
	fi
}

observers="untraced trace trace-seccomp strace strace-seccomp watch watch-nocompat bpftrace"
for r in $(seq "$rounds"); do
	set -- $observers
	k=$(((r - 1) % $(echo $observers | wc -w)))
	while [ $k -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k - 1))
	done
	for o in "$@"; do
		for wl in spawn threads getppid; do
			start "$o"
			run "$o" "$wl"
			stop "$o" "$wl"
		done
	done
	echo "round $r of $rounds done" >&2
done

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "== observing process creation: medians of $rounds interleaved rounds =="
echo "   spawn: $n runs of /bin/true from a bash loop; threads: $threads threads; getppid: ns per call"
printf '%-15s %16s %17s %18s   %s\n' observer spawn threads getppid "watch: fewest events seen in a round (spawn, threads), lost"
for o in $observers; do
	line=$(printf '%-15s' "$o")
	for wl in spawn threads; do
		line="$line$(awk -v m="$(median "$tmp/$o.$wl")" -v b="$(median "$tmp/untraced.$wl")" \
			'BEGIN { printf " %7d ms %5.2fx", m, m / b }')"
	done
	line="$line$(awk -v m="$(median "$tmp/$o.getppid")" -v b="$(median "$tmp/untraced.getppid")" \
		'BEGIN { printf " %7.1f ns %+6.1f", m, m - b }')"
	if [ -f "$tmp/$o.spawn.counts" ]; then
		seen_s=$(awk 'NR == 1 || $1 < m { m = $1 } END { print m }' "$tmp/$o.spawn.counts")
		seen_t=$(awk 'NR == 1 || $1 < m { m = $1 } END { print m }' "$tmp/$o.threads.counts")
		lost=$(cat "$tmp/$o".*.counts | awk '{ l += $2 } END { print l + 0 }')
		line="$line   >= $seen_s, >= $seen_t, lost $lost"
	fi
	echo "$line"
done
