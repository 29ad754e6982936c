#!/usr/bin/env bash
# Install everything the tests need (Debian packages + Python packages), lint, and run the tests.
# Arguments go to pytest, e.g. ./scripts/test.sh -m "not browser and not slow and not postgres".
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

# The whole tree from the lock, every file checked against its hash; then torch, which the lock
# leaves out (its right wheel depends on the machine, see scripts/lock.sh); then AirType itself.
python3 -m pip install -q -r requirements-dev.lock
python3 -m pip install -q torch==2.13.0
python3 -m pip install -q --no-deps --no-build-isolation -e .

lint=0
./scripts/lint.sh || lint=$?
python3 -m pytest -q "$@"
exit $lint
