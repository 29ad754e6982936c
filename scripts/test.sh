#!/usr/bin/env bash
# Install everything the tests need (Debian packages + Python packages) and run them.
# Browser tests drive Debian's Chromium; PostgreSQL tests start their own throwaway server.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

python3 -m pip install -q -r requirements-dev.txt
python3 -m pytest -q "$@"
