#!/bin/sh
# Installs the Debian packages clonekit's build, tests and demo need, when missing;
# `deps.sh fuzz` also those of make fuzz.
set -eu

pkgs="meson ninja-build gcc pkg-config libc6-dev libcriterion-dev libseccomp-dev strace python3 man-db binutils bash util-linux"
# lib/internal/json.c, the one JSON writer: json-c (exact 64-bit integers, members in order)
pkgs="$pkgs libjson-c-dev"
# lib/kacs/pip.c: SHA-256 and Ed25519 of PIP's signed binaries from OpenSSL's libcrypto (no hand-written crypto)
pkgs="$pkgs libssl-dev"
# tests/unit/test_kacs_pip.c: keys made and signatures checked by the openssl command, apart from the library
pkgs="$pkgs openssl"
# tests/arch: gcc -m32 (i386, run natively), a static aarch64 build and qemu-aarch64 to run it
pkgs="$pkgs libc6-dev-i386 lib32gcc-12-dev gcc-12-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
# tests/kernel/test_seccomp_export: the exported filters loaded by bwrap and crun (busybox-static fills the bundle)
pkgs="$pkgs bubblewrap crun busybox-static"
# scripts/bwrap_suite.sh: bubblewrap's own tests/test-seccomp.py imports libseccomp's Python binding
pkgs="$pkgs python3-seccomp"
# ck_spawn_attr_map_subids (sbx-proc): newuidmap/newgidmap write subordinate ranges for an unprivileged caller;
# iproute2: tests/kernel/test_sandbox_proc reads lo's state with ip
pkgs="$pkgs uidmap iproute2"
# lib/bpf and ck_watcher: clang -target bpf, bpftool (vmlinux.h, skeleton), libbpf
pkgs="$pkgs clang bpftool libbpf-dev"
# tests/vm: Debian's 6.1 kernel booted under qemu-system (TCG), an amd64 and an arm64 guest;
# the kernels themselves are downloaded by tests/vm/fetch-kernel.sh when the test runs
pkgs="$pkgs qemu-system-x86 qemu-system-arm"
# make fuzz: clang's libFuzzer and sanitizer runtimes, and llvm-cov/llvm-profdata
# for the line coverage of the corpus (the replay in make check needs neither)
if [ "${1:-}" = fuzz ]; then
	pkgs="$pkgs libclang-rt-14-dev llvm-14"
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "clonekit: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
