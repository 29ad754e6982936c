#!/usr/bin/env bash
# Lint: ruff (rules and format) over the tree, mypy over airtype_core; settings in pyproject.toml.
# Runs every check and fails if any failed, so one run shows all that is wrong.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
python3 -m ruff check . || status=1
python3 -m ruff format --check --output-format concise . || status=1
python3 -m mypy || status=1
exit $status
