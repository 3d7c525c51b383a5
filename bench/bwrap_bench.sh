#!/bin/sh
# A Flatpak-shaped launch of /bin/true — the host's /usr read-only, the
# /bin /lib /lib64 symlinks, a new /dev and /proc, a private /tmp, every
# namespace, die-with-parent, a new session, no capabilities — through
# clonekit called bwrap against the real bwrap, as root and as uid 65534,
# rounds interleaved (bench/launch_bench.c): medians and their ratio.
#
#   bench/bwrap_bench.sh BUILD [ROUNDS]
set -eu
build=$(cd "${1:-build}" && pwd)
rounds=${2:-300}
dir=$(mktemp -d /tmp/ck-bwrap-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
# argv[0] == "bwrap": the name Flatpak-style callers find
ln -s "$build/clonekit" "$dir/bwrap"
flatpak="--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
	--dev /dev --proc /proc --tmpfs /tmp --unshare-all --die-with-parent --new-session --cap-drop ALL"
cd /
for who in root nobody; do
	echo "== as $who: clonekit bwrap (first) against bwrap, $rounds interleaved rounds =="
	run=""
	[ "$who" = nobody ] && run="setpriv --reuid=65534 --regid=65534 --clear-groups"
	# shellcheck disable=SC2086 # the options are words
	$run "$build/bench/launch-bench" --rounds "$rounds" \
		"$dir/bwrap" $flatpak /bin/true ::: /usr/bin/bwrap $flatpak /bin/true
done
