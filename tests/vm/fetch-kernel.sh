#!/bin/sh
# Debian 12's own 6.1 kernel for a test guest (tests/vm). Usage: fetch-kernel.sh ARCH CACHE
# ARCH is a Debian architecture (amd64, arm64). On first use the linux-image
# package is downloaded with apt-get and only its /boot is kept, in
# CACHE/ARCH/RELEASE; later runs use that copy. Prints, one per line:
#   release=6.1.0-57-amd64
#   package=linux-image-6.1.0-57-amd64 6.1.192-3
#   image=CACHE/amd64/6.1.0-57-amd64/vmlinuz
#   from=cache | from=mirror | from=cache, the mirror is out of reach
# The ABI in CK_VM_KERNEL_ABI (default 6.1.0-57, upstream 6.1.192) is taken
# while the mirror has it, else the newest linux-image-6.1.0-N-ARCH it has.
# apt works with a state of its own under CACHE (the lists of ARCH only), so
# nothing of the host's apt setup, architectures or lists changes.
set -eu

arch=$1
cache=$2
abi=${CK_VM_KERNEL_ABI:-6.1.0-57}
dir=$cache/$arch
state=$dir/apt

mkdir -p "$dir"
# another checkout's test may be fetching the same kernel
exec 9>"$dir/.lock"
flock 9

print_kernel() { # DIR FROM
	cat "$1/info"
	echo "image=$1/vmlinuz"
	echo "from=$2"
}

if [ -f "$dir/$abi-$arch/info" ]; then
	print_kernel "$dir/$abi-$arch" cache
	exit 0
fi

apt_() { # apt-get or apt-cache, as the package lists of ARCH under $state see it
	tool=$1
	shift
	"$tool" -q -o Dir::State="$state" -o Dir::State::Lists="$state/lists" \
		-o Dir::State::status="$state/status" -o Dir::Cache="$state" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		-o APT::Sandbox::User=root "$@"
}

mkdir -p "$state/lists/partial" "$state/archives/partial"
[ -f "$state/status" ] || : >"$state/status"
if ! apt_ apt-get update >"$state/update.log" 2>&1; then
	newest=$(find "$dir" -mindepth 2 -maxdepth 2 -name info -path "*/6.1.0-*-$arch/info" | sort -V | tail -n 1)
	if [ -n "$newest" ]; then
		print_kernel "$(dirname "$newest")" "cache, the mirror is out of reach"
		exit 0
	fi
	echo "fetch-kernel.sh: apt-get update for $arch failed and nothing is cached in $dir:" >&2
	tail -n 5 "$state/update.log" >&2
	exit 1
fi

pkg=linux-image-$abi-$arch
if ! apt_ apt-cache show "$pkg" >/dev/null 2>&1; then
	pkg=$(apt_ apt-cache pkgnames linux-image-6.1.0- | grep -E "^linux-image-6\.1\.0-[0-9]+-$arch\$" |
		sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		echo "fetch-kernel.sh: the mirror has neither linux-image-$abi-$arch nor any other linux-image-6.1.0-N-$arch" >&2
		exit 1
	fi
fi

tmp=$(mktemp -d "$dir/.download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt_ apt-get download "$pkg") >"$tmp/download.log" 2>&1; then
	echo "fetch-kernel.sh: apt-get download $pkg failed:" >&2
	tail -n 5 "$tmp/download.log" >&2
	exit 1
fi
deb=$(ls "$tmp"/*.deb)
version=$(dpkg-deb -f "$deb" Version)
mkdir "$tmp/x"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./boot
image=$(ls "$tmp"/x/boot/vmlinuz-*)
release=${image##*/vmlinuz-}

out=$dir/$release
rm -rf "$out"
mkdir "$tmp/keep"
mv "$image" "$tmp/keep/vmlinuz"
mv "$tmp/x/boot/config-$release" "$tmp/keep/config"
printf 'release=%s\npackage=%s %s\n' "$release" "$pkg" "$version" >"$tmp/keep/info"
mv "$tmp/keep" "$out"
# the lists are read again on the next miss anyway
rm -rf "$state/lists"
print_kernel "$out" mirror
