# Thin wrapper over CMake: every target installs what is missing first, so a
# fresh Debian 12 machine needs nothing but `make run` or `make test`.
#
#   make deps         install missing Debian packages (tools/debian-packages.txt)
#   make test-deps    and the ones only tests and benchmarks need (tools/debian-packages-test.txt: nats-server)
#   make build        configure + build (RelWithDebInfo, Ninja, ccache)
#   make run          build, then run configs/quickstart.yaml for a few seconds (status page on HTTP)
#   make test         build, then run the whole suite with ctest
#   make bench        build, then run the benchmarks (scaling curves as PNG in build/bench/)
#   make docs         the API reference (Doxygen, warnings are errors) into build/docs/api/
#   make lint         clang-format and clang-tidy on the tree; non-zero on any finding (docs/contributing.md)
#   make sanitize     the concurrency tests under ASan+UBSan and TSan (build-address, build-thread), as CI runs them
#   make soak         run an appliance SOAK_MINUTES with random kills, broker restarts, a full /dev/shm (docs/reliability.md)
#   make fuzz         build the fuzz targets with clang/libFuzzer (build-fuzz), run each FUZZ_SECONDS
#   make package      Debian packages pylabhub and pylabhub-dev (build-package, prefix /usr) into build-package/
#   make clean        remove the build directory
#
# Variables: SANITIZER=address|thread (own build dir), BUILD_TYPE=..., JOBS=N,
#            CTEST_ARGS="-R shm" (extra ctest arguments), RUN_SECONDS=5, FUZZ_SECONDS=60, SOAK_MINUTES=10,
#            HTTP=127.0.0.1:9464 (where `make run` serves its status page; HTTP= for none)

SANITIZER   ?=
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
RUN_SECONDS ?= 5
HTTP        ?= 127.0.0.1:9464
CTEST_ARGS  ?=
BUILD_DIR   ?= build$(if $(SANITIZER),-$(SANITIZER))
FUZZ_SECONDS ?= 60
SOAK_MINUTES ?= 10

CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPYLABHUB_SANITIZER=$(SANITIZER)

.PHONY: all deps test-deps configure build run test bench docs lint fuzz soak sanitize package clean help
all: build

help:
	@sed -n '2,21p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@./tools/install-deps.sh

test-deps: deps
	@./tools/install-deps.sh tools/debian-packages-test.txt

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/bin/pylabhub run configs/quickstart.yaml --duration $(RUN_SECONDS) $(if $(HTTP),--http $(HTTP))
	@$(BUILD_DIR)/bin/pylabhub verify /tmp/quickstart.plhrec

test: build test-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j2 $(CTEST_ARGS)

bench: build test-deps
	@$(BUILD_DIR)/bin/plh_bench $(BUILD_DIR)/bench/results.json
	@/usr/bin/python3 tools/bench_plots.py $(BUILD_DIR)/bench/results.json $(BUILD_DIR)/bench

docs: test-deps
	@PYLABHUB_DOCS_OUT=$(BUILD_DIR)/docs doxygen docs/Doxyfile && echo "docs: $(BUILD_DIR)/docs/api/index.html"

lint: configure test-deps
	@./tools/lint.sh . $(BUILD_DIR)

sanitize: deps
	@./tools/sanitize.sh .

soak: build
	@/usr/bin/python3 tools/soak.py $(BUILD_DIR) $(SOAK_MINUTES)

fuzz: deps
	@./tools/install-deps.sh tools/debian-packages-fuzz.txt
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYLABHUB_SANITIZER=address \
	  -DPYLABHUB_FUZZ=ON -DPYLABHUB_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@./tools/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

package: deps
	@./tools/build-packages.sh . build-package

clean:
	rm -rf $(BUILD_DIR)
