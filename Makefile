# Two-command quick start: `make run` and `make test` (see README.md).
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
# ccache where installed (install-deps brings it): the build without DPDK compiles most sources
# exactly as the main build does, so CI's third build is mostly cache hits. Paths are taken
# relative to the checkout and the build directory is not hashed, so `build` and `build-nodpdk`
# share entries.
LAUNCHER = $$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1


.PHONY: all deps configure build run test test-asan test-nodpdk bench fuzz format lint clean fresh-check install \
	package package-check

all: build

deps:
	tools/install-deps

# Configure once; ninja when present (install-deps brings it), make otherwise.
configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) \
	  $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(LAUNCHER)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/src/rackbootd/rackbootd $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Every unit and integration test but the rack-sized runs, and but two DPDK twins whose every
# line past the backend is the control plane's, which their socket twins run here already (the
# DPDK backend itself runs under ASan in dpdk.golden and a dozen other *_dpdk integration tests).
ASAN_SKIP ?= ^integration\.(live_boards|api_live)_dpdk$$
test-asan: deps
	cmake -S . -B $(SAN_BUILD) $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_BUILD_TYPE=Debug -DRACKBOOT_SANITIZE=ON -DRACKBOOT_BENCH=OFF \
	  -DRACKBOOT_HEADER_CHECK=OFF
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|integration' -LE rack -E '$(ASAN_SKIP)'

# The socket backend alone, as a build without DPDK (-DRACKBOOT_DPDK=OFF) makes it: every unit
# test, and the integration tests that start, serve and refuse with the socket backend (the main
# pass runs the same code in every integration test; this pass proves the build without DPDK).
NODPDK_SMOKE ?= ^integration\.(clients\..*|security|dhcp_server|dhcp_proxy|bad_config|deploy|check_config|api_rest|identity)$$
NODPDK_BUILD ?= build-nodpdk
test-nodpdk: deps
	cmake -S . -B $(NODPDK_BUILD) $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DRACKBOOT_DPDK=OFF -DRACKBOOT_BENCH=OFF $(LAUNCHER)
	cmake --build $(NODPDK_BUILD) -j $(JOBS)
	cd $(NODPDK_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit
	cd $(NODPDK_BUILD) && ctest --output-on-failure -j $(JOBS) -R '$(NODPDK_SMOKE)'

bench: build
	$(BUILD)/bench/bench_tftp_engine
	bench/socket_vs_tftpd.sh $(BUILD)

# libFuzzer runs of every harness (tests/fuzz: tftp dhcp frames flags leases api pi_client), the libraries
# instrumented too; FUZZ_SECONDS bounds each, FUZZ_TARGETS picks some. The corpus grows in
# build-fuzz/corpus/NAME; each run's last line gives executions and coverage. The API's inputs may
# grow to 128 KiB (FUZZ_MAX_LEN_api), enough for bodies nested thousands deep; others keep
# libFuzzer's default, taken from their largest seed.
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN_api ?= 131072
FUZZ_TARGETS ?= tftp dhcp frames flags leases api pi_client
fuzz:
	tools/install-deps fuzz
	cmake -S . -B build-fuzz $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DRACKBOOT_FUZZ=ON -DRACKBOOT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && cp tests/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ && \
	  build-fuzz/tests/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $$([ $$t = api ] && echo -max_len=$(FUZZ_MAX_LEN_api)) \
	    build-fuzz/corpus/$$t 2> build-fuzz/$$t.log || { tail -n 60 build-fuzz/$$t.log; exit 1; }; \
	  echo "fuzz $$t: $$(grep -E '^stat::number_of_executed_units' build-fuzz/$$t.log | awk '{print $$2}') executions," \
	    "$$(grep -oE 'cov: [0-9]+' build-fuzz/$$t.log | tail -1) edges, $$(ls build-fuzz/corpus/$$t | wc -l) inputs in the corpus"; \
	done

# Binaries, units, configuration, man pages under PREFIX (default /usr/local; DESTDIR stages).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package (debian/): build-package/rackboot_VERSION_amd64.deb, lintian clean.
package:
	tools/install-deps package
	tools/package build-package

# Installs, upgrades, removes and purges that package on this machine, checking each step
# (tools/package-check): for `make fresh-check`'s bare root, not a machine you keep.
package-check: package
	tools/package-check build-package/rackboot_*_amd64.deb

# The README's quick start on a Debian 12 root that never had the project, then the package
# built, installed and checked there (needs root): see tools/fresh-check.
fresh-check:
	tools/fresh-check

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

# The tree is clang-format clean (.clang-format, 120 columns as STYLE.md) and clang-tidy clean
# (.clang-tidy: bugprone, performance, clang-analyzer) over src/; any finding fails. CI runs it.
lint: build
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror
	git ls-files 'src/*.cpp' | xargs -P $(JOBS) -n 8 clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*'

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(NODPDK_BUILD) build-fuzz
