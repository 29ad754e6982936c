"""A run's verdict means something: too few held-out samples judge nothing, and every held-out
figure says what it was measured on (figures on different sets do not compare)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_training_jobs import TINY, Env, collect, one_torch_thread  # noqa: F401
from test_training_page import APP

from airtype_core.learning.run import MIN_JUDGED_SAMPLES, run_training, samples_to_judge
from airtype_core.learning.versions import activate_version, list_versions


@pytest.fixture(scope="module")
def few_samples_run(tmp_path_factory):
    """A fine-tune on 30 stored samples (6 characters, 5 each): a handful are held out."""
    env = Env(tmp_path_factory.mktemp("verdict"))
    collect(env.storage)
    outcome = run_training(TINY, env.storage, env.store, settings=env.settings)
    yield env, outcome
    env.storage.close()


def test_a_run_on_few_held_out_samples_is_not_judged_and_keeps_the_active_model(few_samples_run):
    env, outcome = few_samples_run
    assert not outcome.activated
    assert 0 < outcome.new_metrics["held_out_samples"] < MIN_JUDGED_SAMPLES
    assert "not judged" in outcome.reason and f"at least {MIN_JUDGED_SAMPLES}" in outcome.reason
    assert f"about {samples_to_judge(TINY.val_fraction)} stored samples (you have 30)" in outcome.reason
    assert env.store.active_version() == env.shipped


def test_a_version_not_judged_can_still_be_activated_by_hand(few_samples_run):
    env, outcome = few_samples_run
    activate_version(outcome.version, env.store, env.storage)
    try:
        assert env.store.active_version() == outcome.version
    finally:
        activate_version(env.shipped, env.store, env.storage)


def test_each_held_out_figure_says_what_it_was_measured_on(few_samples_run):
    env, outcome = few_samples_run
    versions = {v.version: v for v in list_versions(env.store)}
    n = outcome.new_metrics["held_out_samples"]
    parent = outcome.parent_metrics["held_out_top1"]
    assert versions[outcome.version].measured_on == (
        f"{n} of your held-out samples; {env.shipped} scored {parent:.1%} on the same"
    )
    shipped = env.store.manifest(env.shipped).card["held_out"]
    assert versions[env.shipped].measured_on == f"{shipped['samples']:,} inks: {shipped['what']}"


def test_the_versions_table_shows_whole_names_notes_and_what_each_figure_was_measured_on(few_samples_run, monkeypatch):
    env, outcome = few_samples_run
    monkeypatch.setenv("AIRTYPE_MODEL_DIR", str(env.models))
    monkeypatch.setenv("AIRTYPE_DATABASE_URL", env.url)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    assert "Best so far" not in [m.label for m in at.metric], "a best over figures measured on different sets"
    table = at.table[0].value.set_index("version")  # a static table: long text wraps, nothing is cut off
    assert table.loc[outcome.version, "note"] == outcome.reason
    assert table.loc[outcome.version, "measured on"].startswith(f"{outcome.new_metrics['held_out_samples']} of your")
    assert "held-out writers" in table.loc[env.shipped, "measured on"]
