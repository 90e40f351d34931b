# SPDX-License-Identifier: MIT
# Thin wrapper over CMake. The two supported commands (fresh Debian 12, root, clean clone):
#   make run    install missing packages, build, run the demo
#   make test   install missing packages, then gcc / clang / ASan+UBSan / TSan builds and a gcc build
#               on the POSIX-only OS backend (UMM_OS=posix), each with ctest, and the install test
#               (a Release build installed to a temporary prefix, used from there alone)
# Other targets: deps, build, clean, and the single test stages test-gcc, test-clang, test-asan,
# test-tsan, test-posix, test-install (each one assumes `make deps` has been run).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

JOBS      ?= 2
# How often each stage runs the tests labelled `repeat` (threaded ones, test_api) again after the
# full run: a race that fails one run in a hundred must not hide. (The label grew to twelve suites;
# one round (two under TSan, which sees the races the others only may) keeps CI under 20 minutes.
# The TSan stage runs every `threaded` suite once, the Redis ones included, then repeats the
# `repeat` ones. Deeper runs: make test REPEAT=20.)
REPEAT    ?= 1
REPEAT_CLANG ?= 1
REPEAT_ASAN ?= 1
REPEAT_SANITIZED ?= 2
DEMO_ARGS ?=
CMAKE     ?= cmake
CTEST     ?= ctest
# cmake --build runs its own make: keep this make's flags (-w, jobserver) out of it; -j is explicit.
BUILD     := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(CMAKE) --build

PACKAGES := build-essential cmake pkg-config clang libclang-rt-14-dev libuv1-dev libcmocka-dev \
            libjemalloc-dev libfiu-dev fiu-utils libxxhash-dev liblz4-dev python3 python3-pytest \
            python3-matplotlib python3-setuptools python3-wheel python3-venv pandoc \
            libhiredis-dev redis-server redis-tools
# The test builds: failure points compiled in (a Release build leaves them out), and the Python
# tests run by the system interpreter, which has pytest from python3-pytest.
TEST_FLAGS := -DUMM_FAILPOINTS=ON -DPython3_EXECUTABLE=/usr/bin/python3

# One place for the sanitizer runtime options used by `make test`.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_segv_handler=1:handle_segv=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

banner = printf '\n==================== %s ====================\n\n' "$(1)"

.PHONY: deps build run test test-gcc test-clang test-asan test-tsan test-posix test-install clean

# ---------------------------------------------------------------------------------------- deps
deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  st=$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null || true); \
	  [ "$$st" = "install ok installed" ] || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all packages are installed"; exit 0; fi; \
	echo "deps: installing:$$missing"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "deps: missing packages:$$missing; run as root or install sudo" >&2; exit 1; fi; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

# ---------------------------------------------------------------------------------------- build
# The tested build: gcc, optimized, with the internal UMM_ASSERT checks live (UMM_DEBUG=ON).
build: deps
	@$(call banner,build: gcc RelWithDebInfo in build/)
	$(CMAKE) -S . -B build -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUMM_DEBUG=ON $(TEST_FLAGS)
	$(BUILD) build -j$(JOBS)

run: build
	@if [ -x build/umm-demo ]; then \
	  echo "+ ./build/umm-demo $(DEMO_ARGS)"; UMM_PYTHON=$${UMM_PYTHON:-/usr/bin/python3} ./build/umm-demo $(DEMO_ARGS); \
	else \
	  echo "run: umm-demo was not built (hv/demo/umm_demo.c does not exist yet); the library is in build/"; \
	fi

# ---------------------------------------------------------------------------------------- test
# The stages run one after another in one recipe, so `make -jN test` keeps the order and the first
# failure stops everything with a non-zero exit.
test: deps
	@$(MAKE) --no-print-directory test-gcc
	@$(MAKE) --no-print-directory test-clang
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-posix
	@$(MAKE) --no-print-directory test-install
	@$(call banner,make test: all six stages passed)

test-gcc:
	@$(call banner,test 1/6: gcc RelWithDebInfo + UMM_DEBUG in build/ (all tests))
	$(CMAKE) -S . -B build -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUMM_DEBUG=ON $(TEST_FLAGS)
	$(BUILD) build -j$(JOBS)
	cd build && $(CTEST) --output-on-failure -j$(JOBS)
	cd build && $(CTEST) --output-on-failure -j$(JOBS) -L repeat --repeat until-fail:$(REPEAT)

test-clang:
	@$(call banner,test 2/6: clang RelWithDebInfo + UMM_DEBUG -Werror in build-clang/ (all but labels bench and slow))
	$(CMAKE) -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DUMM_DEBUG=ON -DUMM_WERROR=ON $(TEST_FLAGS)
	$(BUILD) build-clang -j$(JOBS)
	cd build-clang && $(CTEST) --output-on-failure -j$(JOBS) -LE "bench|slow"
	cd build-clang && $(CTEST) --output-on-failure -j$(JOBS) -L repeat --repeat until-fail:$(REPEAT_CLANG)

test-asan:
	@$(call banner,test 3/6: clang Debug ASan+UBSan in build-asan/ (all C tests; no bench, no Python: ctypes cannot load an ASan libumm))
	$(CMAKE) -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DUMM_SANITIZE=address \
	  -DUMM_BUILD_BENCH=OFF -DUMM_BUILD_DEMO=OFF $(TEST_FLAGS)
	$(BUILD) build-asan -j$(JOBS)
	cd build-asan && $(ASAN_ENV) $(CTEST) --output-on-failure -j$(JOBS) -LE "bench|slow"
	cd build-asan && $(ASAN_ENV) $(CTEST) --output-on-failure -j$(JOBS) -L repeat \
	  --repeat until-fail:$(REPEAT_ASAN)

# TSan and ASLR: clang 14's TSan runtime aborts with "FATAL: ThreadSanitizer: unexpected memory
# mapping" when the kernel randomizes mappings with more entropy than it expects (vm.mmap_rnd_bits = 32,
# the default of some newer distribution kernels). Checked on the machine this was written on (Debian 12,
# kernel 6.18, vm.mmap_rnd_bits = 28): a threaded clang -fsanitize=thread program passed 50 times out of
# 50 without setarch. With vm.mmap_rnd_bits set to 32 for a moment it failed 10 times out of 10 with the
# error above, and passed 10 times out of 10 under `setarch $(uname -m) -R`. So this stage does not
# assume: it first builds and runs a tiny TSan probe. Only when the probe fails do the tests run under
# `setarch $(uname -m) -R` (ASLR off for the ctest process tree). When the probe fails under setarch
# too, the stage stops with a message.
test-tsan:
	@$(call banner,test 4/6: clang TSan in build-tsan/ (threaded tests))
	$(CMAKE) -S . -B build-tsan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DUMM_DEBUG=ON -DUMM_SANITIZE=thread -DUMM_BUILD_BENCH=OFF -DUMM_BUILD_DEMO=OFF $(TEST_FLAGS)
	$(BUILD) build-tsan -j$(JOBS)
	@printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; if (pthread_create(&t, 0, f, 0)) return 1; return pthread_join(t, 0); }\n' \
	  > build-tsan/tsan_probe.c
	@clang -fsanitize=thread -pthread build-tsan/tsan_probe.c -o build-tsan/tsan_probe
	@wrap=""; \
	if ! build-tsan/tsan_probe >/dev/null 2>&1; then \
	  if setarch "$$(uname -m)" -R build-tsan/tsan_probe >/dev/null 2>&1; then \
	    wrap="setarch $$(uname -m) -R"; echo "test-tsan: TSan needs ASLR off here; using: $$wrap"; \
	  else \
	    echo "test-tsan: a trivial TSan program fails on this machine, even with setarch -R:" >&2; \
	    build-tsan/tsan_probe || true; exit 1; \
	  fi; \
	fi; \
	cd build-tsan && echo "+ $(TSAN_ENV) $$wrap $(CTEST) --output-on-failure -j$(JOBS) -L threaded" && \
	  env $(TSAN_ENV) $$wrap $(CTEST) --output-on-failure -j$(JOBS) -L threaded && \
	  env $(TSAN_ENV) $$wrap $(CTEST) --output-on-failure -j$(JOBS) -L repeat \
	    --repeat until-fail:$(REPEAT_SANITIZED)

# The POSIX-only backend (mm/os_posix.c, docs/porting.md), proving that umm runs on what macOS and
# the BSDs offer: the C suites once, no repeat (the Linux stages repeat the races; this stage is
# about the OS calls). No bench, no demo; no Python either: the bindings reach the same library
# calls the C suites cover, and skipping them keeps the stage to a few minutes.
test-posix:
	@$(call banner,test 5/6: gcc RelWithDebInfo + UMM_DEBUG with UMM_OS=posix in build-posix/ (C tests; no bench, no Python))
	$(CMAKE) -S . -B build-posix -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUMM_DEBUG=ON \
	  -DUMM_OS=posix -DUMM_BUILD_BENCH=OFF -DUMM_BUILD_DEMO=OFF $(TEST_FLAGS)
	$(BUILD) build-posix -j$(JOBS)
	cd build-posix && $(CTEST) --output-on-failure -j$(JOBS) -LE "bench|python|slow"

# What users install: the Release defaults (no UMM_ASSERT checks, no failure points, no libfiu), no
# tests. tests/release/install_test.sh installs it to build-release/install-test/prefix and builds
# and runs docs/examples (pkg-config and CMake, shared and static) and the Python package from there.
test-install:
	@$(call banner,test 6/6: Release build in build-release/ installed to a temporary prefix and used from there)
	$(CMAKE) -S . -B build-release -DCMAKE_C_COMPILER=gcc -DUMM_BUILD_TESTS=OFF
	$(BUILD) build-release -j$(JOBS)
	tests/release/install_test.sh build-release /usr/bin/python3

# ---------------------------------------------------------------------------------------- clean
clean:
	rm -rf build build-clang build-asan build-tsan build-posix build-release
