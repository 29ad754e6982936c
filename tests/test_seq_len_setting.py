"""AIRTYPE_SEQ_LEN=64 is a valid setting that the shipped models (made for 50) cannot serve: the
command line says so in one line, the pages in one short message, and the Training page trains a
model for it, which the app then uses."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

from streamlit.testing.v1 import AppTest
from test_training_jobs import TINY, Env, collect, one_torch_thread  # noqa: F401
from test_training_page import APP, button, labeled

from airtype_core.learning.run import run_training
from airtype_core.recognition.predictor import Predictor
from airtype_core.settings import PROJECT_ROOT


def test_the_command_line_says_it_in_one_line(tmp_path):
    ink = tmp_path / "ink.json"
    ink.write_text('{"strokes": [[[0, 0], [10, 10], [20, 30], [40, 60]]]}')
    out = subprocess.run(
        [sys.executable, "-m", "airtype_core", "predict", "--ink", str(ink)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "AIRTYPE_SEQ_LEN": "64"},
        timeout=300,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "AIRTYPE_SEQ_LEN=64" in out.stderr and "made for 50" in out.stderr


def test_the_training_page_offers_to_train_a_model_for_the_setting(app_storage, monkeypatch):
    monkeypatch.setenv("AIRTYPE_SEQ_LEN", "64")
    collect(app_storage, per_char=9)  # 54 samples: above the default minimum of 50
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception and not at.error, at.error
    [message] = [w.value for w in at.warning]
    assert "AIRTYPE_SEQ_LEN=64" in message and "Training page" in message and "\n" not in message
    assert labeled(at.radio, "Kind of run").options == ["Full training from scratch"]
    assert not button(at, "Start training").disabled


def test_a_full_run_makes_the_first_model_for_the_setting_and_the_app_uses_it(tmp_path):
    env = Env(tmp_path)
    collect(env.storage)
    settings = env.settings.with_changes(seq_len=64)
    outcome = run_training(replace(TINY, mode="full"), env.storage, env.store, settings=settings)
    assert outcome.activated and outcome.parent_version is None
    assert "first model made for AIRTYPE_SEQ_LEN=64" in outcome.reason
    assert env.store.manifest(outcome.version).seq_len == 64
    assert Predictor(settings, env.store).version == outcome.version
    env.storage.close()
