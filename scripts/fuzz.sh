#!/bin/sh
# make fuzz: runs each libFuzzer target of fuzz/ for FUZZ_TIME seconds.
#   scripts/fuzz.sh run BUILD [TARGET...]     fuzz (all targets by default)
#   scripts/fuzz.sh merge BUILD [TARGET...]   add to fuzz/corpus/T the fewest inputs of a run that reach new code
#   scripts/fuzz.sh coverage BUILD [TARGET...] line coverage of each target's parsers by fuzz/corpus/T
# BUILD is a clang build made with -Dfuzz=true (run, merge), or with -fprofile-instr-generate
# -fcoverage-mapping (coverage; the Makefile sets both up).
# A run starts from the corpus in the tree and keeps what it finds in BUILD/fuzz-corpus/T;
# a crash or a broken promise leaves its input in BUILD/fuzz-crashes/ and fails the run.
set -eu

cmd=$1
build=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
time=${FUZZ_TIME:-180}
targets=${*:-$(sed -n "s/^  '\([a-z_]*\)',$/\1/p" "$src/fuzz/meson.build")}

# UBSan findings end the run as ASan's do; leaks are checked at every input's end
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1

case $cmd in
run)
	mkdir -p "$build/fuzz-crashes" "$build/fuzz-logs"
	failed=""
	for t in $targets; do
		work=$build/fuzz-corpus/$t
		log=$build/fuzz-logs/$t.log
		mkdir -p "$work"
		echo "fuzz $t: $time s (log: $log)"
		# -close_fd_mask=1: the targets' stdout (a command's output) is not wanted
		if "$build/fuzz/fuzz_$t" -max_total_time="$time" -print_final_stats=1 -close_fd_mask=1 \
			-artifact_prefix="$build/fuzz-crashes/$t-" "$work" "$src/fuzz/corpus/$t" >"$log" 2>&1; then
			execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
			rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
			last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^#[0-9]*[[:space:]]*[A-Z]*[[:space:]]*//')
			echo "fuzz $t: $execs execs, $rate/s; $last"
		else
			echo "fuzz $t: FAILED; the report:"
			grep -E -A 30 '^(==[0-9]+==ERROR|fuzz: |.*runtime error)' "$log" | head -n 60 || tail -n 40 "$log"
			ls "$build"/fuzz-crashes/"$t"-* 2>/dev/null || true
			failed="$failed $t"
		fi
	done
	if [ -n "$failed" ]; then
		echo "fuzz: broken:$failed (inputs in $build/fuzz-crashes/; add each to fuzz/corpus/T as regress-WHAT with its fix)"
		exit 1
	fi
	;;
merge)
	for t in $targets; do
		work=$build/fuzz-corpus/$t
		[ -d "$work" ] || continue
		before=$(ls "$src/fuzz/corpus/$t" | wc -l)
		"$build/fuzz/fuzz_$t" -set_cover_merge=1 -close_fd_mask=1 "$src/fuzz/corpus/$t" "$work" >"$build/fuzz-logs/$t.merge.log" 2>&1
		echo "fuzz $t: corpus $before -> $(ls "$src/fuzz/corpus/$t" | wc -l) inputs"
	done
	;;
coverage)
	python3 "$src/scripts/fuzz_coverage.py" "$build" $targets
	;;
*)
	echo "usage: $0 run|merge|coverage BUILD [TARGET...]" >&2
	exit 2
	;;
esac
