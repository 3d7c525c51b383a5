#!/bin/sh
# The Flatpak-shaped launch of /bin/true (bench/bwrap_bench.sh's) with cgroup
# limits — memory 256 MiB, 64 tasks, half a CPU — as root: `clonekit run`
# (a fresh group per hierarchy, made by the library: CLONE_INTO_CGROUP on
# v2, the child joins before execve on v1) against systemd-run --scope where
# systemd is PID 1, else against bench/cgroup_hand.c (mkdir, limits, fork,
# write cgroup.procs, exec, rmdir) running the real bwrap. Then the same
# limits around a bare /bin/true, to show the cgroup's own cost. Rounds
# interleaved (bench/launch_bench.c): medians and their ratio.
#
#   bench/cgroup_bench.sh BUILD [ROUNDS]
set -eu
build=$(cd "${1:-build}" && pwd)
rounds=${2:-101}
ck="$build/clonekit"
limits="--memory-max 256M --pids-max 64 --cpu-max 50000"
flatpak="--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
	--dev /dev --proc /proc --tmpfs /tmp --die-with-parent --new-session --cap-drop ALL"
# bwrap's --unshare-all as root, and its reaper as PID 1, in run's spelling
run_ns="--new pid,net,mnt,uts,ipc,cgroup --init"
cd /

# The caller's own group in each v1 hierarchy (or the v2 one), where both make theirs.
own() {
	sed -n "s|^[0-9]*:$1:||p" /proc/self/cgroup | sed 's|^/$||'
}
mode=$("$ck" run --help | sed -n 's/^    pids *cgroup \(v[12]\).*/\1/p')
if [ "$(cat /proc/1/comm)" = systemd ] && systemd-run --scope -q true 2>/dev/null; then
	peer="systemd-run --scope -q -p MemoryMax=256M -p TasksMax=64 -p CPUQuota=50%"
	echo "peer: systemd-run --scope (systemd is PID 1)"
elif [ "$mode" = v1 ]; then
	peer="$build/bench/cgroup-hand /sys/fs/cgroup/memory$(own memory) /sys/fs/cgroup/pids$(own pids) /sys/fs/cgroup/cpu$(own cpu) --"
	echo "peer: a cgroup made by hand in the v1 hierarchies (systemd is not PID 1 here: $(cat /proc/1/comm); clonekit's path: v1)"
else
	v2=$(sed -n 's|^0::||p' /proc/self/cgroup)
	peer="$build/bench/cgroup-hand --v2 /sys/fs/cgroup$v2 /sys/fs/cgroup$v2 /sys/fs/cgroup$v2 --"
	echo "peer: a cgroup made by hand on cgroup v2 (systemd is not PID 1 here: $(cat /proc/1/comm); clonekit's path: v2)"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== Flatpak-shaped /bin/true with limits: clonekit run (first) against the peer + bwrap, $rounds rounds =="
# shellcheck disable=SC2086 # the options are words
"$build/bench/launch-bench" --rounds "$rounds" --warmup 3 \
	"$ck" run $run_ns $flatpak $limits -- /bin/true \
	::: $peer /usr/bin/bwrap --unshare-all $flatpak /bin/true \
	::: "$ck" run $run_ns $flatpak -- /bin/true

echo "== the limits alone around /bin/true: clonekit run (first) against the peer, $rounds rounds =="
# shellcheck disable=SC2086
"$build/bench/launch-bench" --rounds "$rounds" --warmup 3 \
	"$ck" run $limits -- /bin/true \
	::: $peer /bin/true \
	::: "$ck" run -- /bin/true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
