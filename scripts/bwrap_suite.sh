#!/bin/bash
# Runs bubblewrap's own test suite (tests/ of a bubblewrap checkout, fetched
# apart from this tree and never committed) against a bwrap binary, from
# outside both trees, and prints its TAP counts.
#
#   scripts/bwrap_suite.sh SRC BWRAP [USER]
#
# SRC    a bubblewrap checkout at the tag Debian ships (v0.8.0)
# BWRAP  the binary to test: /usr/bin/bwrap, or a symlink named bwrap to
#        clonekit (argv[0] == "bwrap")
# USER   run as this user instead (e.g. nobody, uid 65534), rootless
#
# Each script's TAP stream goes to $OUT/<script>.tap (OUT defaults to a new
# directory under /tmp); one summary line per script:
#   <script> planned N ok N skip N not-ok N (exit S)
# test-run.sh and test-specifying-*.sh run under `set -e`, so their first
# failure ends them: what follows is counted as neither ok nor not ok.
#
# One probe of test-run.sh is bwrap's implementation, not its behaviour:
# "pre-exec failure doesn't include exit-code in json-status" makes the 39th
# prctl(2) of the run fail (strace fault injection), which for bwrap 0.8 as
# root is one of its PR_CAP_AMBIENT_RAISE calls before execve (strace counts
# each process's calls apart); clonekit's child makes 2, so the 39th never
# comes and the command runs. For a binary other than /usr/bin/bwrap the
# suite runs from a copy of tests/ (in $OUT) where that number is the
# binary's own last prctl before execve, counted with strace on the same
# command line, as the same user, in the process that execs (the property
# tested -- a failure before execve writes no exit-code -- is the same). As
# root, the end of "can disable nested userns" assumes a caller that is not
# root and stops bwrap itself (see below): those 3 lines are not run, for
# either binary. Each "adapted" line says what was changed; ADAPT=0 runs the
# suite unchanged.
set -u

src=${1:?usage: bwrap_suite.sh SRC BWRAP [USER]}
bwrap=${2:?usage: bwrap_suite.sh SRC BWRAP [USER]}
user=${3:-}
src=$(cd "$src" && pwd)
out=${OUT:-$(mktemp -d /tmp/bwrap-suite.XXXXXX)}
mkdir -p "$out"
chmod 755 "$out"

# as USER: setpriv with the user's ids, no groups, a plain environment
as_user=""
if [ -n "$user" ]; then
	as_user="setpriv --reuid=$user --regid=$(id -g "$user") --clear-groups --reset-env"
fi

# the adapted copy (see above), made when something is to be adapted
adapt() {
	if [ "$src" != "$out/src" ]; then
		rm -rf "$out/src"
		mkdir -p "$out/src"
		cp -a "$src/tests" "$out/src/tests"
		src=$out/src
	fi
	echo "adapted: $1"
}
# the tested binary's last prctl before execve
if [ "${ADAPT:-1}" = 1 ] && [ "$(readlink -f "$bwrap")" != /usr/bin/bwrap ] && command -v strace >/dev/null; then
	# shellcheck disable=SC2086 # as_user is words
	n=$(cd /tmp && $as_user strace -f -e trace=prctl,execve "$bwrap" --bind / / --tmpfs /tmp \
		--die-with-parent --json-status-fd 42 true 2>&1 42>/dev/null >/dev/null |
		awk '{p = "first"; c = $1} /^\[pid / {p = $2; c = $3}
		     c ~ /^prctl\(/ {n[p]++} c ~ /^execve\(/ && / = 0$/ && n[p] {print n[p]; exit}')
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then
		adapt "test-run.sh injects its prctl fault at call $n (bwrap 0.8's 39th; $bwrap makes $n before execve)"
		sed -i "s/fault=prctl:when=39 /fault=prctl:when=$n /" "$src/tests/test-run.sh"
	fi
fi
# as root, for any binary: three checks of "can disable nested userns" need a caller that is not
# root -- inside, the command is uid 0 with every capability, and a nested bwrap (or clonekit)
# run as uid 0 makes no user namespace at all, so disabling them cannot stop it
if [ "${ADAPT:-1}" = 1 ] && [ -z "$user" ] && [ "$(id -u)" = 0 ]; then
	adapt "as root, the 3 nested-userns checks that expect a non-root caller are not run (both binaries)"
	sed -i '/max_user_namespaces || true; !\|--assert-userns-disabled -- true"/s/^\( *\)\$BWRAP/\1true || $BWRAP/' \
		"$src/tests/test-run.sh"
fi

# try-syscall is the suite's helper (test-seccomp.py); build it beside the logs
mkdir -p "$out/build/tests"
cc -O2 -o "$out/build/tests/try-syscall" "$src/tests/try-syscall.c" || exit 1

for t in test-run.sh test-seccomp.py test-specifying-pidns.sh test-specifying-userns.sh; do
	case $t in
	*.py) interp=/usr/bin/python3 ;; # Debian's, where python3-seccomp is
	*) interp=bash ;;
	esac
	# a session of its own, so that what a failed test leaves running (a sandbox
	# waiting on a FIFO the script never writes) is found and killed afterwards
	# shellcheck disable=SC2086 # as_user is words
	(cd / && exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$out/$t.sid" timeout 600 $as_user \
		env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin BWRAP="$bwrap" G_TEST_SRCDIR="$src" \
		G_TEST_BUILDDIR="$out/build" "$interp" "$src/tests/$t") >"$out/$t.tap" 2>"$out/$t.err"
	st=$?
	pkill -KILL -s "$(cat "$out/$t.sid")" 2>/dev/null
	planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out/$t.tap" | head -1)
	skip=$(grep -c -i '^ok .*# *skip' "$out/$t.tap")
	ok=$(grep -c '^ok ' "$out/$t.tap")
	notok=$(grep -c '^not ok ' "$out/$t.tap")
	echo "$t planned ${planned:-?} ok $((ok - skip)) skip $skip not-ok $notok (exit $st)"
done
echo "logs: $out"
