#!/bin/sh
# Installs the Debian packages SAIS builds and tests with. Idempotent, and silent when
# everything is already there: it asks dpkg first and only calls apt-get for what is missing.
set -eu
PKGS="build-essential cmake pkg-config
libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
libmicrohttpd-dev libjansson-dev libsodium-dev libcurl4-openssl-dev libqrencode-dev
libcsv-dev libunistring-dev libcmocka-dev liblua5.4-dev libjemalloc-dev zlib1g-dev python3 curl openssl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bootstrap: installing$missing" >&2
if [ "$(id -u)" != 0 ]; then
  echo "bootstrap: need root to install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
