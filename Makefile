# The README's two commands: `make demo` and `make check`. Meson does the build.
BUILD ?= build
ASAN  ?= build-asan

.PHONY: demo check deps build asan clean bench

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
check: build asan
	meson test -C $(BUILD) --print-errorlogs
	meson test -C $(ASAN) --print-errorlogs
	@echo "== test summaries (normal build, then ASan+UBSan) =="
	@grep -h "Synthesis:" $(BUILD)/meson-logs/testlog.txt $(ASAN)/meson-logs/testlog.txt
	@grep -h "^differential\|^clone3 differential\|^codec round trip\|^strace comparison\|^arch " $(BUILD)/meson-logs/testlog.txt
	@grep -h "^vm [a-z0-9]*: booted\|^vm [a-z0-9]* [^ ]*: \(clone3 \)\?differential\|^vm [a-z0-9]*: .* tests of test_[a-z0-9_]* pass" \
		$(BUILD)/meson-logs/testlog.txt || true

clean:
	rm -rf $(BUILD) $(ASAN)

# Benchmarks (not tests): spawn speed by parent size, and namespaced launch against peers.
bench: build
	./scripts/bench.sh $(BUILD)
