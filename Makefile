# A thin wrapper over CMake: the two commands a newcomer needs, and a few for developers.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all bootstrap build run test test-asan bench bench-quick clean

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
test: bootstrap
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSAIS_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 900

bench: build
	@bench/run.sh full

bench-quick: build
	@bench/run.sh quick

clean:
	rm -rf $(BUILD) build-asan
