#!/bin/sh
# The failing Criterion cases of meson test logs with their assertion
# messages, printed last so that the tail of a CI log names them:
#   scripts/failed-cases.sh BUILD/meson-logs/testlog.txt ...
for log in "$@"; do
	[ -f "$log" ] || continue
	echo "== failing cases in $log =="
	awk '
		/^test: / { test = $0 }
		/^\[----\] .*(Assertion Failed|Unexpected signal|Timed out)/ { print test; print; more = 1; next }
		more && /^\[----\]   / { print; next }
		{ more = 0 }
		/^\[FAIL\]|ERROR: AddressSanitizer|runtime error:/ { print test; print }
	' "$log" | uniq | head -n 200
done
