# A thin wrapper over CMake: the two commands a newcomer needs, and a few for developers.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all bootstrap build run test test-browser fuzz bench bench-quick clean

all: build

bootstrap:
	@tools/bootstrap.sh

$(BUILD)/CMakeCache.txt: | bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: bootstrap $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

# Every service in one process over inproc://, the demo city loaded, on 127.0.0.1:8080.
run: build
	@$(BUILD)/sais up --data data --demo

# Unit and integration tests, under AddressSanitizer and UBSan, in a build tree of their own.
# The optimised tree of `make run` is built first: -O2 sees warnings -O0 does not.
test: build
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSAIS_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 900

# The web console in headless Chromium against `sais up --demo`; not part of `make test`.
# Debian's chromium (and a CJK font, so screenshots are legible) is installed here only.
test-browser: build
	@missing=""; for p in chromium fonts-wqy-microhei; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "test-browser: installing$$missing" >&2; apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@SAIS_BIN=$(CURDIR)/$(BUILD)/sais SAIS_SOURCE_DIR=$(CURDIR) SAIS_BUILD_DIR=$(CURDIR)/$(BUILD) python3 tests/browser/test_console.py

# Coverage-guided fuzzing of the parsers of untrusted input (tests/fuzz/), FUZZ_SECONDS per
# target (default 60); clang is installed here only. Not part of `make test`, which replays
# the kept inputs of tests/fuzz/corpus/.
fuzz: bootstrap
	@tests/fuzz/run.sh

bench: build
	@bench/run.sh full

bench-quick: build
	@bench/run.sh quick

clean:
	rm -rf $(BUILD) build-asan build-fuzz
