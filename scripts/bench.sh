#!/bin/sh
# Runs the benchmarks whose figures README.md reports. Needs root (namespaces, eBPF,
# 4 GiB of memory touched) and installs the peers (bubblewrap, util-linux) if missing.
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd) # the scripts run below are found from here after cd /tmp
for p in bubblewrap util-linux; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p"
done

echo "== spawn + exec + wait of /bin/true, by the parent's touched memory =="
"$build/bench/spawn-bench" --rounds 11 --iterations 40 64 1024 4096

echo
echo "== namespaced launch of /bin/true, 300 interleaved rounds =="
cd /tmp
"$build/bench/launch-bench" --rounds 300 \
	"$build/clonekit" run --new user,pid,net,mnt,uts,ipc --map-root --mount-proc -- /bin/true \
	::: unshare -Urpfnmiu --mount-proc /bin/true \
	::: bwrap --unshare-all --bind / / --proc /proc --dev /dev /bin/true

echo
echo "== seccomp filter cost on an unrelated syscall (getppid), 21 interleaved rounds of fresh children =="
"$build/bench/seccomp-bench"

echo
echo "== the same with the kernel's seccomp allow-cache defeated (every filter runs on every call) =="
"$build/bench/seccomp-bench" --uncached

echo
echo "== printing one event: JSON (the one writer) and strace's text, ns per event =="
"$build/bench/event-format-bench" --rounds 21

echo
echo "== observing process creation: trace, strace, watch and bpftrace against no observer =="
"$here/../bench/observe_bench.sh" "$build"

echo
echo "== PIP verification: a signed ELF file hashed and verified (ms per MiB), the cache's answer =="
"$build/bench/pip-bench" --rounds 11 1 16 64
echo "== one KACS decision: AccessCheck and the two-check rule, ns per decision, 21 interleaved rounds =="
"$build/bench/kacs-bench" --rounds 21

echo
echo "== the KACS supervisor's filter on the calls it does not send to the supervisor, 21 interleaved rounds =="
for call in getppid ioctl prctl sched_yield sched_getaffinity; do
	"$build/bench/seccomp-bench" --call $call
done

echo
echo "== the KACS supervisor's intercepted and emulated calls against a bare user-notification round trip =="
"$build/bench/kacs-run-bench" --rounds 11 --calls 20000

echo
echo "== fork+exec+wait of /bin/true (2000 from a bash loop) and 20000 threads (16 alive): unsupervised, kacs run, trace =="
loop='i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i + 1)); done'
"$build/bench/launch-bench" --rounds 11 --warmup 1 bash -c "$loop" \
	::: "$build/clonekit" kacs run -- bash -c "$loop" \
	::: "$build/clonekit" trace -o /dev/null -- bash -c "$loop"
"$build/bench/launch-bench" --rounds 11 --warmup 1 "$build/bench/thread-storm" 20000 \
	::: "$build/clonekit" kacs run -- "$build/bench/thread-storm" 20000 \
	::: "$build/clonekit" trace -o /dev/null -- "$build/bench/thread-storm" 20000

echo
echo "== a Flatpak-shaped launch with cgroup limits: clonekit run against systemd-run --scope or a cgroup made by hand =="
"$here/../bench/cgroup_bench.sh" "$build" 101

# bubblewrap's own tests/ (sbx-fix): from BWRAP_SRC, a checkout at v0.8.0 (Debian's), else cloned
# from GitHub; never kept in the tree. Counts for the real bwrap beside clonekit called bwrap.
echo
echo "== bubblewrap 0.8.0's tests/ against bwrap and clonekit bwrap, as root and as uid 65534 (scripts/bwrap_suite.sh) =="
src=${BWRAP_SRC:-}
if [ -z "$src" ]; then
	src=$(mktemp -d /tmp/bwrap-src.XXXXXX)
	git clone -q --depth 1 --branch v0.8.0 https://github.com/containers/bubblewrap "$src" 2>/dev/null || src=
fi
if [ -n "$src" ]; then
	link=$(mktemp -d /tmp/ck-bwrap-link.XXXXXX)
	ln -s "$build/clonekit" "$link/bwrap"
	for who in root nobody; do
		for b in /usr/bin/bwrap "$link/bwrap"; do
			echo "-- $b as $who"
			"$here/bwrap_suite.sh" "$src" "$b" "$([ $who = root ] || echo $who)" | sed 's/^/   /'
		done
	done
	rm -rf "$link"
else
	echo "not run: no bubblewrap checkout (set BWRAP_SRC to one at v0.8.0; cloning from GitHub failed)"
fi
