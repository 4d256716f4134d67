# Two-command quick start: `make run` and `make test` (see README.md).
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)


.PHONY: all deps configure build run test test-asan bench fuzz format tidy clean fresh-check

all: build

deps:
	tools/install-deps

# Configure once; ninja when present (install-deps brings it), make otherwise.
configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) \
	  $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/src/rackbootd/rackbootd $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: deps
	cmake -S . -B $(SAN_BUILD) $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_BUILD_TYPE=Debug -DRACKBOOT_SANITIZE=ON -DRACKBOOT_BENCH=OFF
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

bench: build
	$(BUILD)/bench/bench_tftp_engine
	bench/socket_vs_tftpd.sh $(BUILD)

# libFuzzer runs of the TFTP and DHCP harnesses (clang); FUZZ_SECONDS bounds each.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S . -B build-fuzz $$(command -v ninja >/dev/null && echo -G Ninja) -DCMAKE_CXX_COMPILER=clang++ \
	  -DRACKBOOT_FUZZ=ON -DRACKBOOT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz --target tftp_fuzz dhcp_fuzz
	for t in tftp dhcp; do \
	  mkdir -p build-fuzz/corpus/$$t && cp tests/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ && \
	  build-fuzz/tests/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t || exit 1; \
	done

# The quick start on a Debian 12 root that never had the project (mmdebstrap minbase + make, git,
# ca-certificates; HEAD cloned into it; `make test` inside with chroot). Needs root; not part of
# `make test`. Run it before resolving an issue that adds a dependency.
fresh-check:
	tools/fresh-check

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: build
	git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
