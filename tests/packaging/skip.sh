#!/bin/sh
# A test this build cannot run: skip loudly (meson's exit 77), or fail when
# CLONEKIT_NO_SKIP is set, as tests/support.h does for the C tests.
echo "skipped: $*"
if [ -n "${CLONEKIT_NO_SKIP:-}" ]; then
	echo "CLONEKIT_NO_SKIP is set: a skip is a failure"
	exit 1
fi
exit 77
