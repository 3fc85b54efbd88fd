#!/bin/bash
# The benchmark suite: `make bench` (bench/run.sh full) and `make bench-quick` (bench/run.sh quick).
# Installs what it needs from Debian, builds SAIS in a Release tree of its own (build-bench/),
# starts the peers on loopback (a throwaway PostgreSQL 15 cluster, a bare libmicrohttpd
# handler), runs bench/bench.py, and stops everything it started, whatever happens.
set -euo pipefail
MODE="${1:-quick}"
ONLY="${2:-}"   # "medical" or "questions": those figures alone, put into the mode's existing results
case "$MODE" in full|quick) ;; *) echo "usage: bench/run.sh full|quick [medical|questions]" >&2; exit 2 ;; esac
case "$ONLY" in ""|medical|questions) ;; *) echo "usage: bench/run.sh full|quick [medical|questions]" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${SAIS_BENCH_BUILD:-$ROOT/build-bench}"
OUT="$ROOT/bench/results"
say() { echo "[bench] $*" >&2; }

# --- what it needs from Debian (quiet, idempotent; only what is missing)
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in postgresql-15 postgresql-client-15 wrk curl python3 libmicrohttpd-dev cmake; do
  have_pkg "$p" || need="$need $p"
done
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then say "need root to install:$need"; exit 1; fi
  say "installing$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
# optional: perf for the profile in docs/performance.md
have_pkg linux-perf || { [ "$(id -u)" = 0 ] && apt-get install -y -qq --no-install-recommends linux-perf >/dev/null 2>&1 || true; }

# --- disk: the full city is ~8.5 GB of NDJSON, SAIS's LMDB and PostgreSQL hold it again
mkdir -p "$BUILD"
avail_gb=$(df -P -BG "$BUILD" | awk 'NR==2 {gsub("G","",$4); print $4}')
want_gb=$([ "$MODE" = full ] && [ -z "$ONLY" ] && echo 60 || echo 3)
if [ "$avail_gb" -lt "$want_gb" ]; then
  say "only ${avail_gb} GB free under $BUILD; the $MODE suite needs about ${want_gb} GB"; exit 1
fi
say "$MODE suite; ${avail_gb} GB free under $BUILD"

# --- SAIS, Release, no sanitizers; and the bare handler
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" --target sais -j "$(nproc)" >/dev/null
cc -O2 -Wall -Wextra -Werror -std=gnu11 "$ROOT/bench/bare/bare_mhd.c" -o "$BUILD/bare_mhd" -lmicrohttpd

# --- PostgreSQL refuses to run as root: a system user owns the throwaway cluster
if [ "$(id -u)" = 0 ] && ! id saisbench >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin saisbench
fi

# --- stop everything this script started, even on failure or Ctrl-C
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  # a driver killed hard leaves its children: stop the ones whose files are in $BUILD
  for f in "$BUILD/pg/data/postmaster.pid"; do
    [ -f "$f" ] && kill -TERM "$(head -1 "$f")" 2>/dev/null || true
  done
  for p in $(pgrep -f "^$BUILD/(sais up|bare_mhd) " 2>/dev/null || true); do kill -TERM "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

python3 "$ROOT/bench/bench.py" --mode "$MODE" --build "$BUILD" --out "$OUT" --bare "$BUILD/bare_mhd" \
  ${ONLY:+--only "$ONLY"} &
pid=$!
wait "$pid"
