"""The Training page, driven by Streamlit's AppTest: readiness, options, a run started,
watched and cancelled from the page, one run at a time, and rollback.

Each test gets a copy of the shipped model and its own SQLite database, pointed at
through the environment as a user would.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_training_jobs import JUDGED, WAIT_S, collect, wait_until_free

from airtype_core.learning.jobs import JobRunner
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def page(app_storage):
    storage = app_storage
    collect(storage)  # 30 samples of a-f
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    yield at, ModelStore(get_settings().model_dir), JobRunner()
    JobRunner().cancel()
    wait_until_free(JobRunner())


def labeled(elements, label: str):
    return next(e for e in elements if e.label == label)


def button(at: AppTest, label: str):
    return labeled(at.button, label)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_page_shows_readiness_device_and_the_shipped_version(page):
    at, store, _ = page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Samples"] == "30" and metrics["Device"] == "cpu" and metrics["Runs"] == "0"
    assert any(t.startswith("Collect 20 more samples") for t in texts(at.info)), "below the default minimum of 50"
    assert button(at, "Start training").disabled

    labeled(at.number_input, "Minimum samples").set_value(10)
    at.run()
    assert any(t.startswith("Fine-tune: 30 samples are ready") for t in texts(at.success))
    assert not button(at, "Start training").disabled
    versions = at.table[0].value
    assert list(versions["version"]) == [store.default_version()] and list(versions["in use"]) == ["✓"]


def test_readiness_names_characters_and_the_chart_labels_every_one(page):
    import json

    at, _, _ = page
    assert any("(characters with the fewest samples: " in t for t in texts(at.info))
    chart = json.loads(next(c for c in at.get("plotly_chart") if "counts" in c.proto.id).proto.spec)
    bar, xaxis = chart["data"][0], chart["layout"]["xaxis"]
    assert len(bar["x"]) == 62
    assert (xaxis["type"], xaxis["tickmode"], xaxis["dtick"]) == ("category", "linear", 1)


@pytest.mark.slow  # a real training run
def test_run_started_from_the_page_shows_progress_and_cancel_stops_it(page):
    at, store, runner = page
    labeled(at.number_input, "Minimum samples").set_value(10)
    labeled(at.number_input, "Epochs").set_value(50)
    labeled(at.toggle, "Augmentation (distorted copies of each ink)").set_value(False)  # a quicker start
    at.run()
    button(at, "Start training").click().run()
    assert not at.error, texts(at.error)
    assert runner.status().active

    deadline = time.monotonic() + WAIT_S
    while not any(p.text and p.text.startswith("Epoch 1/50 · batch") for p in at.get("progress")):
        assert time.monotonic() < deadline, f"no training progress on the page; {runner.status()}"
        time.sleep(0.5)
        at.run()
    assert button(at, "Start training").disabled, "one run at a time"
    assert {"Elapsed", "Time left"} <= {m.label for m in at.metric}

    button(at, "Cancel training").click().run()
    while runner.status().active:
        assert time.monotonic() < deadline, "the run did not stop after cancel"
        time.sleep(0.2)
    at.run()
    assert "The last run was cancelled; the active model was not changed." in texts(at.info)
    assert store.active_version() == store.default_version()


def test_start_is_refused_while_another_run_holds_the_lock(page):
    at, _, runner = page
    labeled(at.number_input, "Minimum samples").set_value(10)
    at.run()
    with runner.hold():  # as `python -m airtype_core train` does
        button(at, "Start training").click().run()
    assert any("Only one training run at a time" in t for t in texts(at.error))
    assert runner.status() is None


def test_rollback_from_the_page_switches_the_model_in_use(page):
    at, store, _ = page
    shipped = store.default_version()
    loaded = store.load(shipped)
    store.save(
        loaded.model,
        replace(loaded.manifest, version="v-older", parent_version=shipped, created_at="2000-01-01T00:00:00+00:00"),
    )
    at.run()
    labeled(at.selectbox, "Version").select("v-older")
    at.run()
    button(at, "Use this version").click().run()
    assert not at.error, texts(at.error)
    assert store.active_version() == "v-older"
    in_use = at.table[0].value.set_index("version")["in use"]
    assert in_use["v-older"] == "✓" and in_use[shipped] == ""


@pytest.mark.slow  # a real training run
def test_run_to_the_end_shows_the_verdict_and_the_draw_pages_model_follows(page, app_storage):
    from ui.resources import get_predictor

    at, store, runner = page
    shipped = store.default_version()
    # enough clean inks of a-f, which the shipped model reads, for the verdict to judge: not worse, activated
    collect(app_storage, per_char=JUDGED - 5, seed=2)
    labeled(at.number_input, "Minimum samples").set_value(10)
    labeled(at.number_input, "Epochs").set_value(1)
    labeled(at.toggle, "Augmentation (distorted copies of each ink)").set_value(False)
    at.run()
    button(at, "Start training").click().run()
    deadline = time.monotonic() + WAIT_S
    while not any(t.startswith("New version") for t in texts(at.success) + texts(at.warning)):
        assert time.monotonic() < deadline, f"no verdict on the page; {runner.status()}"
        time.sleep(0.5)
        at.run()
    outcome = runner.status().outcome
    assert outcome.activated, outcome.reason
    verdict = next(t for t in texts(at.success) if t.startswith("New version"))
    assert outcome.version in verdict and outcome.reason in verdict
    shown = at.dataframe[0].value  # the new model against the active one, on the same held-out samples
    assert list(shown.columns) == ["measured on", "new model", "active model"] and len(shown) >= 2
    versions = at.table[0].value.set_index("version")
    assert set(versions.index) == {shipped, outcome.version}
    assert store.active_version() == outcome.version
    assert get_predictor().version == outcome.version, "the predictor the draw page uses follows"
