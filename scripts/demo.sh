#!/bin/sh
# A short tour of clonekit's job: know every clone flag, print calls as strace
# does, and predict exactly what the kernel answers -- then ask the kernel;
# then follow a process tree and watch the host, with alerts.
set -u
ck=${1:-build/clonekit}

if [ -t 1 ]; then B='\033[1m'; N='\033[0m'; else B=; N=; fi
step() { printf "\n${B}$ %s${N}\n" "$*"; "$@"; }

echo "clonekit $($ck --version | cut -d' ' -f2) on Linux $(uname -r)"

step "$ck" flags --group namespace
step "$ck" explain 0x1200011
step "$ck" check 'CLONE_THREAD|CLONE_VM'
step "$ck" check --syscall clone3 --kernel 6.8 pidfd,thread,sighand,vm
step "$ck" check --syscall clone3 pidfd,thread,sighand,vm

echo
echo "Predictions for an unprivileged caller, then the kernel's own answer"
echo "(util-linux unshare run as uid 65534 with no capabilities):"
for ns in net user,net mount user,mount pid; do
	printf '\n  %-11s clonekit: ' "$ns"
	"$ck" check --syscall unshare --unprivileged "$ns" | head -n 1
	printf '  %-11s kernel:   ' ""
	flags=$(echo "$ns" | sed 's/user/-U/; s/net/-n/; s/mount/-m/; s/pid/-p -f/; s/,/ /g')
	# shellcheck disable=SC2086
	if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		unshare $flags true 2>&1); then
		echo "OK"
	else
		echo "$out" | sed 's/.*: //'
	fi
done

printf "\n${B}$ printf ... | %s check -${N}\n" "$ck"
printf 'clone vm|sighand|thread SIGCHLD\nclone3 newtime 17\nclone newns|fs\nunshare user,net\nclone3 into_cgroup 0\n' |
	"$ck" check -

step "$ck" sysno clone --all

echo
echo "Launching through ck_spawn: new namespaces with the caller mapped to root;"
echo "then a failure explained (uid 65534 asks for a network namespace), and the"
echo "launch reported as JSON (on stderr: stdout stays the command's)."
step "$ck" run --new user,pid,uts,net,mnt --map-root --hostname box --mount-proc -- \
	sh -c 'echo "uid $(id -u), pid $$, host $(hostname)"'
step setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$ck" run --new net -- true
step "$ck" run --json --new user,pid --map-root -- true

echo
echo "Tracing a process tree (ptrace, stopping only at the six creation calls):"
echo "a shell that forks, a program made to run as uid 65534 that creates a"
echo "user namespace with a network namespace (the default rules alert on it)."
script='/bin/true & wait; setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true'
printf "\n${B}$ %s trace -- sh -c '%s'${N}\n" "$ck" "$script"
"$ck" trace -- sh -c "$script"

echo
echo "Watching the whole host with eBPF while two programs create namespaces,"
echo "one as root and one as uid 65534 (only the unshare lines and alerts shown):"
printf "\n${B}$ %s watch --duration 2 | grep -E 'unshare|ALERT|events'${N}\n" "$ck"
out=$(mktemp)
"$ck" watch --duration 2 >"$out" 2>&1 &
watcher=$!
i=0
until grep -q watching "$out" || [ $i -ge 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
unshare -U true
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true
wait $watcher
grep -E 'unshare|ALERT|events' "$out"
rm -f "$out"

echo
echo "The Peios security model (KACS): a process SD as fork makes it for a user,"
echo "asked by a Low-integrity copy of that user, then by SYSTEM with"
echo "SeDebugPrivilege against an unprotected and a PIP-protected target."
sd='O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;BA)(A;;GA;;;SY)(A;;0x1000;;;WD)'
other='O:S-1-5-21-1-2-3-1002G:S-1-5-21-1-2-3-1002D:(A;;GA;;;S-1-5-21-1-2-3-1002)(A;;0x1000;;;WD)'
step "$ck" kacs check --token low --sd "$sd" --desired TERMINATE
step "$ck" kacs check --token low --sd "$sd" --desired SIGNAL,VM_WRITE
step "$ck" kacs check --token system --enable SeDebugPrivilege --sd "$other" --desired VM_WRITE --pip none:0 --target-pip none:0
step "$ck" kacs check --token system --enable SeDebugPrivilege --sd "$other" --desired VM_WRITE --pip none:0 --target-pip protected:8192

# issue 14: a real program in a sandbox, what it could and could not do
"$(dirname "$0")/demo-sandbox.sh" "$ck" || { echo "the sandbox demo failed" >&2; exit 1; }

"$(dirname "$0")/demo-kacs.sh" "$ck"
