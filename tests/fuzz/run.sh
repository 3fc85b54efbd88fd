#!/bin/bash
# make fuzz: builds the fuzz targets with clang and libFuzzer in build-fuzz/ and runs each for
# FUZZ_SECONDS (default 60). What libFuzzer learns goes to build-fuzz/corpus/<name>/, never
# into the tree; a failing input is written to build-fuzz/artifacts/ and the run stops. To
# keep a finding as a regression case, copy it into tests/fuzz/corpus/<name>/ (replayed by
# every `make test`).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
if ! command -v clang >/dev/null; then
  echo "fuzz: installing clang" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
fi
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSAIS_FUZZ=ON >/dev/null
targets=$(cd tests/fuzz && ls fuzz_*.c | grep -v fuzz_replay | sed 's/\.c$//')
cmake --build build-fuzz -j "$JOBS" --target $targets
mkdir -p build-fuzz/artifacts
for t in $targets; do
  short=${t#fuzz_}
  mkdir -p build-fuzz/corpus/$short
  echo "== $t: ${SECS}s" >&2
  log=build-fuzz/$short.log
  rc=0
  ASAN_OPTIONS=detect_leaks=1 build-fuzz/tests/$t -max_total_time="$SECS" -max_len=8192 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/$short- \
    build-fuzz/corpus/$short tests/fuzz/corpus/$short >"$log" 2>&1 || rc=$?
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" || true
  if [ $rc -ne 0 ]; then
    grep -E "^(fuzz_|==|SUMMARY|artifact_prefix|Test unit written)" "$log" | head -20 >&2
    echo "fuzz: $t found a failing input (build-fuzz/artifacts/, log $log)" >&2
    exit 1
  fi
done
echo "fuzz: every target ran ${SECS}s without a failure" >&2
