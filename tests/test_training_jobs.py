"""Learning from stored samples: a run makes a version, the not-worse rule, rollback,
one run at a time, cancel, and a training process killed mid-run.

Every test works on a copy of the shipped model (data/models) and its own database,
with tiny runs (a few dozen samples, one epoch) so the whole file stays short.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from model_files import copy_shipped_models, tree_hashes

from airtype_core.learning.jobs import JobRunner, JobStatus, TrainingBusyError
from airtype_core.learning.options import NotEnoughSamplesError, TrainOptions
from airtype_core.learning.readiness import readiness
from airtype_core.learning.run import blend_with_parent, run_training
from airtype_core.learning.synth import sample
from airtype_core.learning.versions import (
    activate_version,
    list_versions,
    version_archive,
)
from airtype_core.recognition.model import AirTypeNet
from airtype_core.recognition.modelstore import ModelLoadError, ModelStore
from airtype_core.recognition.predictor import Predictor
from airtype_core.settings import Settings, get_settings
from airtype_core.storage.records import NewSample
from airtype_core.storage.store import INTERRUPTED, Storage

pytestmark = pytest.mark.slow  # real training runs, in process and in the background

CHARS = "abcdef"
JUDGED = 50  # samples per character where a test asserts a verdict: 20% held out, half of that judges,
# so 6 x 50 samples give 30 judged inks, enough for a verdict to be reached at all
TINY = TrainOptions(mode="finetune", epochs=1, augmentation_factor=1, synthetic_per_class=1, min_samples=10)
LONG = replace(TINY, epochs=50)  # a run that cannot end on its own while a test watches it
WAIT_S = 120  # ceiling for a background run to reach a state: a guard against hangs, not a speed test


def collect(storage: Storage, per_char: int = 5, seed: int = 1) -> None:
    """What a person leaves after drawing a few characters a few times."""
    rng = np.random.default_rng(seed)
    storage.save_samples([NewSample(sample(rng, c)[0], c, "manual") for c in CHARS for _ in range(per_char)])


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """In-process runs train on one thread, as the app's background runs do (jobs.TRAINING_ENV):
    faster for these small batches, and never stalled by OpenMP threads spinning against the
    rest of the suite."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def wait_until_free(runner: JobRunner) -> None:
    """The run's process lets go of the lock right after its last status."""
    deadline = time.monotonic() + WAIT_S
    while runner.is_running() and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for(runner: JobRunner, done, what: str) -> JobStatus:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        status = runner.status()
        if status is not None and done(status):
            return status
        time.sleep(0.1)
    log = next(runner.root.glob("*/output.log"), None)
    pytest.fail(f"the run never {what}; last status {runner.status()}; log: {log and log.read_text()[-2000:]}")


class Env:
    """A model folder + database + the settings that point at them."""

    def __init__(self, root: Path, url: str | None = None):
        self.models = copy_shipped_models(root / "models")
        self.url = url or f"sqlite:///{root / 'airtype.db'}"
        self.settings: Settings = get_settings().with_changes(model_dir=self.models, database_url=self.url)
        self.storage = Storage(self.url)
        self.store = ModelStore(self.models)
        self.runner = JobRunner(self.settings)
        self.shipped = self.store.default_version()


@pytest.fixture
def env(tmp_path):
    env = Env(tmp_path)
    collect(env.storage)
    yield env
    env.runner.cancel()
    env.storage.close()


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """One real fine-tuning run, shared by the tests that only look at what it left."""
    env = Env(tmp_path_factory.mktemp("finetuned"))
    collect(env.storage, per_char=JUDGED)  # clean inks of characters the active model reads well
    phases: list[str] = []
    # with the fine-tune's own share of synthetic ink, so the other 56 characters are not forgotten
    options = replace(TINY, synthetic_per_class=None)
    outcome = run_training(
        options, env.storage, env.store, progress=lambda p: phases.append(p.phase), settings=env.settings
    )
    yield env, outcome, phases
    env.storage.close()


@pytest.fixture
def trained_copy(finetuned, tmp_path):
    """A private copy of the trained model folder and a fresh database, so a test may break or switch them."""
    shutil.copytree(finetuned[0].models, tmp_path / "models", ignore=shutil.ignore_patterns(".jobs"))
    env = object.__new__(Env)
    env.models, env.url, env.shipped = tmp_path / "models", f"sqlite:///{tmp_path / 'airtype.db'}", finetuned[0].shipped
    env.settings = finetuned[0].settings.with_changes(model_dir=env.models, database_url=env.url)
    env.storage, env.store = Storage(env.url), ModelStore(env.models)
    yield env, finetuned[1].version
    env.storage.close()


# --- a run ----------------------------------------------------------------------------


def test_finetune_makes_a_new_version_with_its_parent_and_records_the_run(finetuned):
    env, outcome, phases = finetuned
    manifest = env.store.manifest(outcome.version)
    assert manifest.parent_version == env.shipped == outcome.parent_version
    assert manifest.training["kind"] == "finetune" and manifest.temperature >= 1.0
    assert (env.models / outcome.version / "model.pt").is_file()
    assert phases[0] == "preparing" and "training" in phases and phases[-1] == "saving"

    run = env.storage.get_training_session(outcome.session_id)
    assert run.status == "completed" and run.kind == "finetune"
    assert run.model_version == outcome.version and run.parent_version == env.shipped
    assert run.samples_used == len(CHARS) * JUDGED and run.device == "cpu"
    assert [e["epoch"] for e in run.history] == [1] and run.history[0]["val_acc"] is not None
    assert run.params["epochs"] == 1 and run.duration_s > 0
    # both models were scored on the same held-out samples, and the page can show both: one held out
    # a class, dealt in two halves; the other half chose the epoch and the temperature
    assert run.metrics["held_out_samples"] == run.metrics["parent"]["held_out_samples"] == len(CHARS) * JUDGED // 10
    assert {"held_out_top1", "synthetic_top1"} <= set(run.metrics) and run.metrics["reason"]

    # a gentle fine-tune on inks the active model already reads: not worse, so it is activated
    assert outcome.activated and outcome.reason.startswith("activated"), outcome.reason
    recorded = {v.version: v for v in env.storage.list_model_versions()}
    assert recorded[outcome.version].parent_version == env.shipped
    assert recorded[outcome.version].is_active and not recorded[env.shipped].is_active
    assert env.store.active_version() == outcome.version


def test_training_run_is_recorded_on_postgresql(postgres_server, tmp_path):
    env = Env(tmp_path, postgres_server.create_schema())
    try:
        collect(env.storage)
        outcome = run_training(TINY, env.storage, env.store, settings=env.settings)
        run = env.storage.get_training_session(outcome.session_id)
        assert run.status == "completed" and run.model_version == outcome.version and len(run.history) == 1
        assert {v.version for v in env.storage.list_model_versions()} == {env.shipped, outcome.version}
    finally:
        env.storage.close()
        postgres_server.drop_schema(env.url)


def test_worse_model_is_kept_back_with_the_reason(env):
    # one epoch from random weights cannot match the shipped model, judged on enough inks to tell
    collect(env.storage, per_char=JUDGED - 5, seed=2)
    outcome = run_training(replace(TINY, mode="full"), env.storage, env.store, settings=env.settings)
    assert not outcome.activated
    assert outcome.reason.startswith("kept back") and "active model" in outcome.reason
    assert outcome.new_metrics["held_out_top1"] < outcome.parent_metrics["held_out_top1"]
    assert env.store.active_version() == env.shipped
    assert Predictor(env.settings, env.store).version == env.shipped
    run = env.storage.get_training_session(outcome.session_id)
    assert run.status == "completed" and run.metrics["reason"] == outcome.reason and not run.metrics["activated"]
    kept = {v.version: v for v in list_versions(env.store)}[outcome.version]
    assert kept.reason == outcome.reason and not kept.is_active and kept.parent_version == env.shipped
    # "best so far" is the model still in use, not the lower score of the one kept back
    assert readiness(env.storage, TINY, env.settings).best_accuracy == outcome.parent_metrics["held_out_top1"]


def test_misclassified_only_verdict_cannot_be_won_by_construction(tmp_path):
    """Trained on the samples the active model misread, a new model must not be judged on those
    alone: the active model scores 0% on them by construction, and anything would beat it."""
    from airtype_core.learning.synth import SynthConfig

    env = Env(tmp_path)
    predictor = Predictor(env.settings, env.store)
    rng, hard = np.random.default_rng(3), SynthConfig().harder(2.5)
    answers = []
    for _ in range(40):  # enough that the judged inks (misread ones held out, read ones beside them) pass 30
        for char in "abdegkqrty":
            ink = sample(rng, char, hard)[0]
            answers.append(NewSample.from_prediction(ink, predictor.predict(ink), char))
    env.storage.save_samples(answers)
    misread = sum(a.predicted_char != a.actual_char for a in answers)
    assert 20 <= misread <= len(answers) - 20, "the setup needs inks the model misreads and inks it reads"

    # one epoch from random weights: a useless model, which a fair verdict must keep back
    options = replace(TINY, mode="full", misclassified_only=True, min_samples=10)
    outcome = run_training(options, env.storage, env.store, settings=env.settings)
    assert outcome.samples_used == misread
    # judged beside inks the active model read right (and training never saw), it is not at 0%
    assert outcome.parent_metrics["held_out_top1"] > 0.3
    assert outcome.new_metrics["held_out_top1"] < outcome.parent_metrics["held_out_top1"]
    assert outcome.new_metrics["held_out_samples"] >= 30
    assert not outcome.activated and outcome.reason.startswith("kept back")
    assert env.store.active_version() == env.shipped
    env.storage.close()


def test_too_few_samples_are_refused_before_anything_starts(env):
    with pytest.raises(NotEnoughSamplesError, match="at least 50 samples.*there are 30"):
        env.runner.start(replace(TINY, min_samples=50), env.storage)
    assert env.runner.status() is None and env.storage.list_training_sessions() == []
    state = readiness(env.storage, replace(TINY, min_samples=50), env.settings)
    assert not state.ready and state.total == 30 and state.counts["a"] == 5 and state.counts["Z"] == 0
    assert state.recommendation.startswith("Collect 20 more samples")


def test_readiness_asks_first_for_the_characters_the_model_misreads(tmp_path):
    from airtype_core.recognition.charset import CLASSES
    from airtype_core.recognition.predictor import Prediction

    def answer(char: str, read_as: str) -> NewSample:
        ink = sample(np.random.default_rng(CLASSES.index(char)), char)[0]
        return NewSample.from_prediction(ink, Prediction(read_as, 0.6, ((read_as, 0.6),), False, 3.0, "v"), char)

    storage = Storage(f"sqlite:///{tmp_path / 'one-each.db'}")
    try:
        storage.save_samples([answer(c, {"q": "9", "g": "9"}.get(c, c)) for c in CLASSES])  # one of each
        state = readiness(storage, replace(TINY, min_samples=100))
    finally:
        storage.close()
    assert (
        state.recommendation
        == "Collect 38 more samples before training (characters with the fewest samples: g, q, 0, 1, 2)."
    )


# --- versions -------------------------------------------------------------------------------


def test_rollback_activates_an_old_version_and_the_predictor_follows(trained_copy):
    env, trained = trained_copy
    activate_version(trained, env.store, env.storage)
    predictor = Predictor(env.settings, env.store)
    assert predictor.version == trained

    activate_version(env.shipped, env.store, env.storage)  # the rollback
    assert predictor.refresh() and predictor.version == env.shipped
    assert env.storage.active_model_version().version == env.shipped
    assert [v.version for v in list_versions(env.store) if v.is_active] == [env.shipped]


def test_corrupted_trained_model_falls_back_to_its_parent_with_a_warning(trained_copy):
    env, trained = trained_copy
    activate_version(trained, env.store)
    (env.models / trained / "model.pt").write_bytes(b"not a model")
    predictor = Predictor(env.settings, env.store)
    assert predictor.version == env.shipped
    assert trained in predictor.warning and env.shipped in predictor.warning

    (env.models / trained / "model.pt").unlink()
    assert Predictor(env.settings, env.store).version == env.shipped


def test_a_downloaded_version_unzipped_into_another_model_folder_is_a_version_it_can_use(trained_copy, tmp_path):
    env, trained = trained_copy
    elsewhere = tmp_path / "elsewhere"
    with zipfile.ZipFile(io.BytesIO(version_archive(env.store, trained))) as archive:
        assert sorted(archive.namelist()) == [f"{trained}/manifest.json", f"{trained}/model.pt"]
        archive.extractall(elsewhere)
    other = ModelStore(elsewhere)
    activate_version(trained, other)

    activate_version(trained, env.store)
    here, there = Predictor(env.settings.with_changes(model_dir=elsewhere), other), Predictor(env.settings, env.store)
    assert here.version == there.version == trained and not here.warning
    ink = sample(np.random.default_rng(3), "k")[0]
    np.testing.assert_array_equal(here.predict_proba(ink, tta=False), there.predict_proba(ink, tta=False))

    (env.models / trained / "manifest.json").unlink()
    with pytest.raises(ModelLoadError, match="manifest.json"):
        version_archive(env.store, trained)


# --- the background runner ----------------------------------------------------------------------


def test_second_training_request_is_refused_then_cancel_stops_the_run(env):
    first = env.runner.start(LONG, env.storage)
    with pytest.raises(TrainingBusyError, match="Only one training run at a time"):
        env.runner.start(TINY, env.storage)
    with pytest.raises(TrainingBusyError):
        with env.runner.hold():  # the command line's foreground training is refused too
            pass

    wait_for(env.runner, lambda s: s.state == "training" and s.batch >= 1, "reached its first batch")
    assert env.runner.cancel()
    status = wait_for(env.runner, lambda s: not s.active, "stopped after cancel")
    assert status.job_id == first.job_id and status.state == "cancelled"
    run = env.storage.get_training_session(status.session_id)
    assert run.status == "cancelled" and run.model_version is None
    assert [v.version for v in list_versions(env.store)] == [env.shipped]
    wait_until_free(env.runner)
    with env.runner.hold():  # the next run may start
        pass


def test_elapsed_time_counts_on_while_a_run_is_silent_and_stops_when_it_ends():
    status = JobStatus("j", "preparing", started_at=1000.0, updated_at=1000.2, elapsed_s=0.2)
    assert status.elapsed_until(1004.0) == pytest.approx(4.0)  # loading torch writes nothing for seconds
    ended = replace(status, state="completed", elapsed_s=41.0)
    assert ended.elapsed_until(2000.0) == 41.0


def test_training_survives_kill(env):
    before = tree_hashes(env.models)
    samples = env.storage.count_by_char()
    status = env.runner.start(LONG, env.storage)
    status = wait_for(env.runner, lambda s: s.state == "training" and s.batch >= 1, "reached its first batch")
    os.kill(status.pid, signal.SIGKILL)
    wait_until_free(env.runner)  # the kernel frees the lock with the process

    assert tree_hashes(env.models) == before, "the model files are exactly as they were"
    assert not list(env.models.glob(".saving-*")) and [v.version for v in list_versions(env.store)] == [env.shipped]
    assert Predictor(env.settings, env.store).version == env.shipped
    with sqlite3.connect(env.url.removeprefix("sqlite:///")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert env.storage.count_by_char() == samples
    assert env.storage.get_training_session(status.session_id).status == "running"

    env.runner.recover(env.storage)  # what the app does on start
    run = env.storage.get_training_session(status.session_id)
    assert run.status == "failed" and run.error == INTERRUPTED
    assert env.runner.status().state == "failed"
    with env.runner.hold():
        pass


@pytest.mark.parametrize("share", [0.0, 0.2, 1.0])
def test_fine_tuned_weights_are_blended_with_the_parents(share):
    torch.manual_seed(0)
    tuned, parent = AirTypeNet(), AirTypeNet()
    before = {k: v.clone() for k, v in tuned.state_dict().items()}
    blend_with_parent(tuned, parent, share)
    for name, value in tuned.state_dict().items():
        expected = (1 - share) * before[name] + share * parent.state_dict()[name]
        assert torch.allclose(value, expected, atol=1e-6), name
