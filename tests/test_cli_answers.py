"""The command line says what happened: which model it measured, and nothing that looks like a score
when there was nothing to measure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from airtype_core.learning.synth import sample
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import PROJECT_ROOT, get_settings


def _cli(*args: str, stdout=subprocess.PIPE, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airtype_core", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        timeout=300,
    )


@pytest.fixture(scope="module")
def few(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("evaluate") / "few.jsonl"
    rng = np.random.default_rng(5)
    path.write_text("".join(json.dumps({"label": c, "strokes": sample(rng, c)[0].to_lists()}) + "\n" for c in "0aZ"))
    return str(path)


def test_evaluate_measures_the_version_asked_for_without_activating_it(few):
    store = ModelStore(get_settings().model_dir)
    other = next(m.version for m in store.manifests() if m.version != store.active_version())
    out = _cli("evaluate", "--data", few, "--model", other, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["model_version"] == other
    assert store.active_version() != other


def test_evaluate_of_a_version_that_does_not_exist_is_one_line(few):
    out = _cli("evaluate", "--data", few, "--model", "no-such-version")
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.strip().count("\n") == 0 and "no-such-version" in out.stderr


def test_evaluate_honours_AIRTYPE_TTA_as_the_app_does(few):
    assert json.loads(_cli("evaluate", "--data", few, "--json", AIRTYPE_TTA="1").stdout)["tta"] is True
    assert json.loads(_cli("evaluate", "--data", few, "--json", AIRTYPE_TTA="0").stdout)["tta"] is False


@pytest.mark.parametrize(
    "content",
    [b"", os.urandom(300).replace(b"\n", b"x"), b'{"label": "a"}\n'],
    ids=["empty", "random-bytes", "no-strokes"],
)
def test_evaluate_of_a_file_with_nothing_to_measure_fails_in_one_line(tmp_path, content):
    data = tmp_path / "nothing.jsonl"
    data.write_bytes(content)
    out = _cli("evaluate", "--data", str(data))
    assert out.returncode != 0
    assert "top1" not in out.stdout and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0 and str(data) in out.stderr


def test_evaluate_of_a_missing_file_fails_in_one_line(tmp_path):
    out = _cli("evaluate", "--data", str(tmp_path / "missing.jsonl"))
    assert out.returncode != 0 and "Traceback" not in out.stderr and out.stderr.strip().count("\n") == 0


def test_output_read_by_a_reader_that_stops_early_ends_quietly(tmp_path):
    """`suggest --json | head`: the reader closes the pipe before the command has written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        out = _cli(
            "suggest",
            "--json",
            "--no-model",
            stdout=write_end,
            AIRTYPE_DATABASE_URL=f"sqlite:///{tmp_path / 'airtype.db'}",
        )
    finally:
        os.close(write_end)
    assert "Broken pipe" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_predict_honours_AIRTYPE_TTA_as_the_app_does(tmp_path):
    ink = tmp_path / "ink.json"
    ink.write_text(json.dumps({"strokes": sample(np.random.default_rng(7), "g")[0].to_lists()}))

    def confidence(*flags: str, **env: str) -> float:
        out = _cli("predict", "--ink", str(ink), "--json", *flags, **env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["confidence"]

    with_tta, without = confidence("--tta"), confidence(AIRTYPE_TTA="0")
    assert with_tta != without  # the variants change the answer's odds, so the two can be told apart
    assert confidence(AIRTYPE_TTA="1") == with_tta
