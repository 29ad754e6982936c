#!/usr/bin/env bash
# Regenerate the lock files (every package of the tree, pinned, with hashes) from
# requirements.txt (the app) and requirements-dev.txt (the app + the tests and lint).
# Needs pip-tools (pip install pip-tools) in the Python 3.11 the app runs on, on Linux x86_64:
# the locks hold what that platform resolves.
#
# torch is left out of both locks on purpose (--unsafe-package torch): `torch==2.13.0` is
# installed on its own, before or after the lock, because the right wheel depends on the
# machine (the CPU build from PyTorch's index on a laptop, a CPU wheel kept on local disk on the
# test machines, PyPI's build elsewhere) and those files have different hashes. Its own
# dependencies (filelock, sympy, networkx, jinja2, fsspec, ...) stay in the locks, hashed.
# Versions already in a lock are kept unless an input asks for another (pip-compile's rule),
# so a regeneration moves only what changed; pass --upgrade to move everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CUSTOM_COMPILE_COMMAND="./scripts/lock.sh"
for name in requirements requirements-dev; do
  pip-compile --quiet --generate-hashes --strip-extras --unsafe-package torch \
    --no-emit-index-url --no-emit-find-links \
    --output-file "$name.lock" "$@" "$name.txt"
done
