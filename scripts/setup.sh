#!/bin/sh
# Installs the Debian packages uiserve builds and runs with, when any is missing (idempotent).
# Usage: scripts/setup.sh [extra-package ...]   (the test script passes what the tests need)
set -eu
packages="pkg-config libarchive-dev libcurl4-openssl-dev libssl-dev libmagic-dev libmagic-mgc libbrotli-dev zlib1g-dev zstd tar openssl ca-certificates $*"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
