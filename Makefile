# libtce: a thin front over meson + ninja. `make` installs missing Debian
# packages and builds; `make run` runs an unmodified VFIO program under tce-run,
# then the OS demo; `make check` runs every suite.

BUILD ?= build
FUZZ_SECONDS ?= 60
# FUZZ_RUNS=N: N executions per target instead of FUZZ_SECONDS; FUZZ_TARGETS: a subset.
FUZZ_RUNS ?=
FUZZ_TARGETS ?=
SANITIZER_SCALE ?= 0.2
MESON_SETUP = meson setup --wrap-mode=nodownload
SUMMARY = scripts/test-summary
# TSan needs a fixed address layout on kernels with high mmap entropy.
TSAN_RUN = setarch $(shell uname -m) -R

.PHONY: all deps build run check check-asan check-tsan fuzz bench bench-json bench-plot bench-instr clean

all: build

deps:
	@scripts/install-deps

build: deps
	@test -f $(BUILD)/build.ninja || $(MESON_SETUP) $(BUILD)
	@ninja -C $(BUILD)

run: build
	@scripts/run-journey $(BUILD)

check: build
	@meson test -C $(BUILD) --no-rebuild --print-errorlogs --quiet; $(SUMMARY) $(BUILD)

build-asan/build.ninja:
	$(MESON_SETUP) build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=undefined -Dtest_scale=$(SANITIZER_SCALE)

check-asan: deps build-asan/build.ninja
	@ninja -C build-asan
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		meson test -C build-asan --no-rebuild --print-errorlogs --quiet; \
		$(SUMMARY) build-asan asan

build-tsan/build.ninja:
	$(MESON_SETUP) build-tsan -Db_sanitize=thread -Db_lundef=false -Dtest_scale=$(SANITIZER_SCALE)

check-tsan: deps build-tsan/build.ninja
	@ninja -C build-tsan
	@TSAN_OPTIONS=halt_on_error=1 $(TSAN_RUN) meson test -C build-tsan --no-rebuild \
		--print-errorlogs --quiet --suite stress --suite unit; $(SUMMARY) build-tsan tsan

build-fuzz/build.ninja:
	CC=clang $(MESON_SETUP) build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined

fuzz: deps build-fuzz/build.ninja
	@ninja -C build-fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/run-fuzz build-fuzz $(FUZZ_TARGETS)

build-release/build.ninja:
	$(MESON_SETUP) build-release --buildtype=release -Db_lto=true

BENCHES ?= table alloc hv vfio domain shim ioat dev
# make bench-plot: the charts of one run (tce-bench --plot) into PLOT_DIR.
PLOT_DIR ?= bench-plots

bench: deps build-release/build.ninja
	@ninja -C build-release
	@for b in $(BENCHES); do build-release/tools/bench/tce-bench $$b || exit 1; done

bench-json: deps build-release/build.ninja
	@ninja -C build-release
	@for b in $(BENCHES); do build-release/tools/bench/tce-bench --json $$b || exit 1; done

bench-plot: deps build-release/build.ninja
	@ninja -C build-release
	build-release/tools/bench/tce-bench --plot $(PLOT_DIR) table alloc hv shim dev

bench-instr: deps build-release/build.ninja
	@ninja -C build-release
	tools/bench/bench-instr.sh build-release/tools/bench/tce-bench

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz build-release
