#!/bin/sh
# The sandbox part of the demo (scripts/demo.sh runs it; issue 14): a real
# program -- python3 running scripts/demo-sandbox-probe.py -- confined by
# clonekit run, printing what it could and could not do, each line the
# outcome of its attempt; then what the host saw. Argument: the clonekit
# binary of a build. Needs root (the cgroup limits are made under the
# caller's cgroup).
set -eu
ck=${1:-build/clonekit}
probe=$(dirname "$0")/demo-sandbox-probe.py
if [ -t 1 ]; then B='\033[1m'; N='\033[0m'; else B=; N=; fi
echo
echo "A sandbox around a real program: python3, with a read-only /usr and /etc,"
echo "a private /tmp and /dev, new namespaces (PID with an init as PID 1,"
echo "network with loopback only), no capabilities, 64 MiB of memory and 16"
echo "processes, and a seccomp policy refusing new user and network namespaces"
echo "with EACCES (an errno no missing capability gives). Where the limits live"
echo "on this host (clonekit run --help):"
"$ck" run --help | sed -n 's/^ *\(memory\|pids\) \{1,\}/  \1: /p'
set -- run --new pid,net,mnt,uts,ipc,cgroup \
	--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib \
	--symlink usr/lib64 /lib64 --symlink usr/sbin /sbin --ro-bind /etc /etc \
	--proc /proc --dev /dev --tmpfs /tmp --init --new-session --die-with-parent \
	--cap-drop ALL --memory-max 64M --pids-max 16 \
	--seccomp-deny newuser,newnet:EACCES
printf "\n${B}$ %s %s -- /usr/bin/python3 - < scripts/demo-sandbox-probe.py${N}\n" "$ck" "$*"
status=0
"$ck" "$@" -- /usr/bin/python3 - <"$probe" &
pid=$!
wait $pid || status=$?
echo "The program exited with $status. On the host afterwards:"
# the groups clonekit made for it are named after clonekit's pid (lib/sandbox/cgroup.c)
left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "clonekit-spawn-$pid-*" 2>/dev/null | wc -l)
echo "  $left of the cgroups clonekit made for it (clonekit-spawn-$pid-*) are left"
if [ -e /tmp/ck-demo ] || [ -e /etc/ck-demo ] || [ -e /usr/bin/ck-demo ]; then
	echo "  a file the program wrote is on the host"
else
	echo "  no file the program wrote is on the host (/tmp, /etc, /usr/bin)"
fi
exit "$status"
