"""Settings: one validated object; a bad value is one clear line naming the variable, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from airtype_core.air.hand_tracking import AirConfig
from airtype_core.settings import Settings, SettingsError, get_settings

ROOT = Path(__file__).resolve().parent.parent

BAD = {
    "AIRTYPE_SEQ_LEN": ("abc", "AIRTYPE_SEQ_LEN='abc' is not accepted: it must be a whole number"),
    "AIRTYPE_AIR_PAUSE_S": ("-0.5", "AIRTYPE_AIR_PAUSE_S='-0.5' is not accepted: it must be seconds, more than 0"),
    "AIRTYPE_UNCERTAIN_THRESHOLD": ("2", "AIRTYPE_UNCERTAIN_THRESHOLD='2' is not accepted: it must be a confidence"),
    "AIRTYPE_TTA": ("maybe", "AIRTYPE_TTA='maybe' is not accepted: it must be 0 or 1"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_names_the_variable_and_what_it_accepts(monkeypatch, name):
    value, expected = BAD[name]
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value), "one problem, one line"


def test_pinch_down_above_pinch_up_is_refused(monkeypatch):
    monkeypatch.setenv("AIRTYPE_AIR_PINCH_DOWN", "0.6")
    with pytest.raises(SettingsError, match=r"AIRTYPE_AIR_PINCH_DOWN \(0.6\) must be below AIRTYPE_AIR_PINCH_UP"):
        get_settings()


def test_every_bad_value_is_listed_at_once(monkeypatch):
    monkeypatch.setenv("AIRTYPE_SEQ_LEN", "abc")
    monkeypatch.setenv("AIRTYPE_AIR_PAUSE_S", "-1")
    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert [line.split("=")[0] for line in str(caught.value).splitlines()] == ["AIRTYPE_SEQ_LEN", "AIRTYPE_AIR_PAUSE_S"]


def test_empty_variables_keep_the_defaults_and_good_ones_are_read(monkeypatch):
    monkeypatch.setenv("AIRTYPE_SEQ_LEN", "")
    monkeypatch.setenv("AIRTYPE_TTA", "1")
    monkeypatch.setenv("AIRTYPE_AIR_PINCH_UP", "0.5")
    settings = get_settings()
    assert (settings.seq_len, settings.tta, settings.air_pinch_up) == (50, True, 0.5)
    assert AirConfig.from_settings(settings).pinch_up == 0.5


def test_air_defaults_come_from_the_settings_alone():
    defaults, air = Settings(), AirConfig()
    assert (air.pause_s, air.pinch_down, air.pinch_up, air.beta) == (
        defaults.air_pause_s,
        defaults.air_pinch_down,
        defaults.air_pinch_up,
        defaults.one_euro_beta,
    )


def test_with_changes_checks_the_new_values():
    assert get_settings().with_changes(seq_len=64).seq_len == 64
    with pytest.raises(SettingsError, match="seq_len"):
        get_settings().with_changes(seq_len=-3)


def test_command_line_prints_the_problem_without_a_traceback():
    env = {"AIRTYPE_SEQ_LEN": "abc", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "airtype_core", "evaluate", "--data", "x.jsonl"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "AIRTYPE_SEQ_LEN='abc' is not accepted" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_app_says_which_setting_is_wrong_instead_of_failing(monkeypatch):
    monkeypatch.setenv("AIRTYPE_AIR_PINCH_DOWN", "0.9")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "cannot start with these settings" in at.error[0].value
    assert "AIRTYPE_AIR_PINCH_DOWN (0.9) must be below AIRTYPE_AIR_PINCH_UP" in at.code[0].value
