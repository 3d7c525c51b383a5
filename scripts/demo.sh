#!/bin/sh
# A short tour of clonekit's job: know every clone flag, print calls as strace
# does, and predict exactly what the kernel answers -- then ask the kernel.
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
exit 0
