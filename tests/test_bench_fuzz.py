"""`bench-fuzz`, run small: no crash from random inks or files, and the rows stored are the records reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_fuzz_finds_no_crash_and_the_rows_match_what_was_reported(tmp_path):
    from model_files import copy_shipped_models

    env = {
        **os.environ,
        "AIRTYPE_MODEL_DIR": str(copy_shipped_models(tmp_path / "models")),
        "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "airtype_core", "bench-fuzz", "--inks", "400", "--files", "80", "--seed", "1", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["crashes"] == [] and done.returncode == 0, report["crashes"]
    assert report["inks"] == 400 and report["files"] == 80
    assert report["inks_refused"] > 0 and report["problems"] > 0  # the bad inputs were there, and were refused
    assert report["records_stored"] > 0 and report["rows_stored"] == report["records_stored"]
