"""`python -m airtype_core import`: a file that gives no sample is a failure (non-zero exit), and the
summary names the participants the file's writers became."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _import(tmp_path, path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}",
        "AIRTYPE_MODEL_DIR": str(tmp_path / "models"),
    }
    return subprocess.run(
        [sys.executable, "-m", "airtype_core", "import", str(path), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "name, content, args",
    [
        ("random.jsonl", os.urandom(2000), ()),
        ("garbage.bin", b"this is not XML at all\n" * 20, ("--format", "inkml")),
    ],
    ids=["random-bytes-as-jsonl", "garbage-as-inkml"],
)
def test_a_file_that_gives_no_sample_exits_non_zero(tmp_path, name, content, args):
    path = tmp_path / name
    path.write_bytes(content)
    done = _import(tmp_path, path, *args)
    assert done.returncode != 0
    assert "No sample could be read" in done.stdout


def test_an_empty_file_says_it_is_empty_and_exits_non_zero(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    done = _import(tmp_path, path)
    assert done.returncode != 0 and "empty.jsonl is empty" in done.stdout


def test_the_summary_names_the_participants_the_writers_became(tmp_path):
    path = tmp_path / "inks.jsonl"
    lines = [
        json.dumps({"label": "a", "strokes": [[[i, 0], [i + 9, 20]]], "writer": w})
        for i, w in enumerate(["ana", "bo", "ana"])
    ]
    path.write_text("\n".join(lines) + "\n")
    done = _import(tmp_path, path)
    assert done.returncode == 0, done.stderr
    assert "2 new participants created from the file's writers: ana, bo." in done.stdout
    again = _import(tmp_path, path)
    assert "participants created" not in again.stdout  # they exist now
