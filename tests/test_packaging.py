"""AirType installs as a package: `pip install -e .` gives the `airtype` command beside
`python -m airtype_core`, for the interpreter that runs these tests."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


def _installed_script() -> Path:
    scripts = Path(sysconfig.get_path("scripts"))
    for name in ("airtype", "airtype.exe"):
        if (scripts / name).exists():
            return scripts / name
    message = f"no `airtype` command in {scripts}: install the project with `pip install -e .`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_the_installed_airtype_command_is_the_command_line(tmp_path):
    script = _installed_script()
    # from another folder: the command must not depend on being started in the project
    done = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    module = subprocess.run(
        [sys.executable, "-m", "airtype_core", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.stdout == module.stdout
    for command in ("predict", "train", "pretrain", "import", "export", "suggest"):
        assert command in done.stdout
