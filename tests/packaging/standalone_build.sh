#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libclonekit builds, installs and serves a consumer on a machine without
# Criterion, clang, bpftool, libbpf's headers or kernel BTF. In a private
# mount namespace an overlay over /usr deletes every file of the packages
# that provide them (dpkg -L) and an empty tmpfs covers /sys/kernel/btf;
# there Meson must: configure -Dwatch=auto without the watcher, refuse
# -Dwatch=enabled and -Dtests=true naming what is missing, and build
# -Dtests=false -Dbench=false -Dwatch=disabled, whose install
# tests/packaging/check_install.py then holds to the API, the man pages and a
# consumer built with pkg-config. `clonekit watch` must say it is not built in.
#
# Usage: standalone_build.sh SOURCE_DIR WORK_DIR (WORK_DIR is emptied first)
set -eu

src=$1
work=$2
here=$src/tests/packaging

skip() {
	exec "$here/skip.sh" "$@"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

if [ -z "${CK_STANDALONE_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || skip "hiding packages takes root (an overlay mount in a private mount namespace)"
	command -v dpkg >/dev/null || skip "dpkg is needed to find the files of the packages to hide"
	command -v unshare >/dev/null || skip "unshare(1) is needed for a private mount namespace"
	exec unshare --mount --propagation private env CK_STANDALONE_INSIDE=1 sh "$0" "$@"
fi

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CLONEKIT_DEBUG

# The packages that provide what must be missing, found from their files.
owners=""
own() {
	[ -e "$1" ] || return 0
	owners="$owners $(dpkg -S "$1" | sed 's/:.*//; s/,/ /g')"
}
for prog in clang bpftool; do
	p=$(command -v "$prog" || true)
	[ -n "$p" ] && own "$p" && own "$(readlink -f "$p")"
done
for pc in criterion libbpf; do
	if pkg-config --exists "$pc"; then
		own "$(pkg-config --variable=pcfiledir "$pc")/$pc.pc"
		own "$(pkg-config --variable=includedir "$pc")/$pc"
	fi
done
for lib in $(ldconfig -p | awk '/libcriterion\.so/ { print $NF }'); do
	own "$(readlink -f "$lib")"
done
owners=$(echo "$owners" | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "hiding the files of:$owners"

rm -rf "$work"
mkdir -p "$work/overlay"
mount -t tmpfs tmpfs "$work/overlay"
mkdir "$work/overlay/upper" "$work/overlay/work"
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$work/overlay/upper,workdir=$work/overlay/work" /usr
for pkg in $owners; do
	dpkg -L "$pkg" | while read -r f; do
		case $f in
		/usr/*) if [ -f "$f" ] || [ -L "$f" ]; then rm -f "$f"; fi ;;
		esac
	done
done
if [ -d /sys/kernel/btf ]; then
	mount -t tmpfs tmpfs /sys/kernel/btf
fi

# What a packager's machine lacks now, each checked the way a build looks for it.
! command -v clang >/dev/null || fail "clang is still reachable: $(command -v clang)"
! command -v bpftool >/dev/null || fail "bpftool is still reachable: $(command -v bpftool)"
! pkg-config --exists criterion || fail "pkg-config still finds criterion"
! pkg-config --exists libbpf || fail "pkg-config still finds libbpf"
[ ! -e /usr/include/criterion/criterion.h ] || fail "criterion's headers are still there"
[ ! -e /usr/include/bpf/libbpf.h ] || fail "libbpf's headers are still there"
[ ! -e /sys/kernel/btf/vmlinux ] || fail "/sys/kernel/btf/vmlinux is still there"
echo "gone: clang, bpftool, Criterion, libbpf's headers and pkg-config file, /sys/kernel/btf/vmlinux"

setup() {
	dir=$1
	shift
	meson setup "$work/$dir" "$src" "$@" >"$work/$dir.log" 2>&1
}

# auto: configures without the watcher, and says why.
setup auto -Dtests=false -Dbench=false || { cat "$work/auto.log"; fail "-Dwatch=auto did not configure"; }
grep -Eq "eBPF watcher .*: no: no kernel BTF" "$work/auto.log" ||
	{ cat "$work/auto.log"; fail "-Dwatch=auto does not say the watcher is left out for want of BTF"; }
echo "ok: -Dwatch=auto configures without the watcher"

# enabled: refused, naming what is missing.
if setup enabled -Dtests=false -Dbench=false -Dwatch=enabled; then
	fail "-Dwatch=enabled configured without BTF, clang or bpftool"
fi
grep -q "the eBPF watcher needs kernel BTF" "$work/enabled.log" ||
	{ cat "$work/enabled.log"; fail "-Dwatch=enabled failed without naming kernel BTF"; }
echo "ok: -Dwatch=enabled is refused: $(grep -o 'the eBPF watcher needs[^.]*' "$work/enabled.log" | head -1)"

# The tests need Criterion: refused, naming it.
if setup tests -Dbench=false -Dwatch=disabled; then
	fail "-Dtests=true configured without Criterion"
fi
grep -q 'Dependency "criterion" not found' "$work/tests.log" ||
	{ cat "$work/tests.log"; fail "-Dtests=true failed without naming criterion"; }
echo "ok: -Dtests=true is refused: Criterion not found"

# The library alone: built, installed and checked.
setup build -Dtests=false -Dbench=false -Dwatch=disabled -Dwerror=true ||
	{ cat "$work/build.log"; fail "the library alone did not configure"; }
ninja -C "$work/build" >"$work/ninja.log" 2>&1 || { cat "$work/ninja.log"; fail "the library alone did not build"; }
echo "ok: built with -Dtests=false -Dbench=false -Dwatch=disabled"
python3 "$here/check_install.py" "$work/build" "$here/consumer.c" || fail "the install of the library alone"

# The command stays, and says what it lacks.
set +e
"$work/build/clonekit" watch >"$work/watch.out" 2>"$work/watch.err"
status=$?
set -e
want="clonekit watch: this clonekit was built without the eBPF watcher (meson -Dwatch=disabled, or no clang, bpftool, libbpf or kernel BTF at build time)"
[ "$status" = 1 ] || fail "clonekit watch exited $status, not 1"
[ ! -s "$work/watch.out" ] || fail "clonekit watch printed on stdout: $(cat "$work/watch.out")"
[ "$(cat "$work/watch.err")" = "$want" ] || fail "clonekit watch said: $(cat "$work/watch.err")"
"$work/build/clonekit" watch --help >"$work/watch.out" || fail "clonekit watch --help failed"
tail -n 1 "$work/watch.out" | grep -qx "This clonekit was built without the eBPF watcher." ||
	fail "clonekit watch --help does not say the watcher is not built in"
echo "ok: clonekit watch exits 1: $want"
echo "the library builds and serves a consumer without Criterion, clang, bpftool, libbpf or kernel BTF"
