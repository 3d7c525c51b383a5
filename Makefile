# The README's two commands: `make demo` and `make check`. Meson does the build.
BUILD ?= build
ASAN  ?= build-asan
FUZZ  ?= build-fuzz
FUZZ_COV ?= build-fuzz-cov
# seconds per fuzz target; FUZZ_TARGETS picks some (default: all of fuzz/meson.build)
FUZZ_TIME ?= 180
FUZZ_TARGETS ?=

.PHONY: demo check deps build asan clean bench fuzz fuzz-merge fuzz-coverage

deps:
	@./scripts/deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) -Dwerror=true
	ninja -C $(BUILD)

asan: deps
	@[ -f $(ASAN)/build.ninja ] || meson setup $(ASAN) -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN)

demo: build
	./scripts/demo.sh $(BUILD)/clonekit

# Every test, in the normal build and again under ASan+UBSan; the guests of
# tests/vm (Debian's 6.1 kernel under qemu-system) only in the normal build.
# A failure ends with the failing cases and their assertion messages
# (scripts/failed-cases.sh), so that the tail of a CI log names them.
check: build asan
	@rc=0; meson test -C $(BUILD) --print-errorlogs || rc=1; \
	meson test -C $(ASAN) --print-errorlogs || rc=1; \
	if [ $$rc != 0 ]; then ./scripts/failed-cases.sh $(BUILD)/meson-logs/testlog.txt \
		$(ASAN)/meson-logs/testlog.txt; exit 1; fi
	@echo "== test summaries (normal build, then ASan+UBSan) =="
	@grep -h "Synthesis:" $(BUILD)/meson-logs/testlog.txt $(ASAN)/meson-logs/testlog.txt
	@grep -h "^differential\|^clone3 differential\|^codec round trip\|^strace comparison\|^arch \|^fuzz replay" $(BUILD)/meson-logs/testlog.txt
	@grep -h "^vm [a-z0-9]*: booted\|^vm [a-z0-9]* [^ ]*: \(clone3 \)\?differential\|^vm [a-z0-9]*: .* tests of test_[a-z0-9_]* pass" \
		$(BUILD)/meson-logs/testlog.txt || true

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(FUZZ_COV)

# Benchmarks (not tests): spawn speed by parent size, and namespaced launch against peers.
bench: build
	./scripts/bench.sh $(BUILD)

# libFuzzer over every parser of untrusted text (fuzz/README.md): a clang
# build with ASan+UBSan and libFuzzer, each target FUZZ_TIME seconds from the
# corpus in the tree; what a run finds stays in $(FUZZ)/fuzz-corpus until
# fuzz-merge adds the inputs that reach new code to fuzz/corpus.
fuzz:
	@./scripts/deps.sh fuzz
	@[ -f $(FUZZ)/build.ninja ] || CC=clang meson setup $(FUZZ) -Dwerror=true -Dfuzz=true \
		-Dtests=false -Dbench=false -Dwatch=disabled -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(FUZZ)
	FUZZ_TIME=$(FUZZ_TIME) ./scripts/fuzz.sh run $(FUZZ) $(FUZZ_TARGETS)

fuzz-merge:
	./scripts/fuzz.sh merge $(FUZZ) $(FUZZ_TARGETS)

# The line coverage of each target's parsers by the corpus in the tree (llvm-cov on the replay).
fuzz-coverage:
	@./scripts/deps.sh fuzz
	@# LLVM_PROFILE_FILE: meson's compiler checks run instrumented programs, which would leave default.profraw here
	@[ -f $(FUZZ_COV)/build.ninja ] || CC=clang LLVM_PROFILE_FILE=/dev/null meson setup $(FUZZ_COV) -Dbench=false -Dwatch=disabled \
		-Dc_args='-fprofile-instr-generate -fcoverage-mapping' -Dc_link_args=-fprofile-instr-generate
	./scripts/fuzz.sh coverage $(FUZZ_COV) $(FUZZ_TARGETS)
