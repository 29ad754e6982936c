"""Pretraining end to end (tiny), the CLI, and the shipped model on real handwriting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from model_files import copy_shipped_models, tree_hashes
from test_training_jobs import collect

from airtype_core.formats.jsonl import read_jsonl
from airtype_core.learning.jobs import JobRunner
from airtype_core.learning.pretrain import pretrain
from airtype_core.learning.synth import sample, synthetic_dataset
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import PROJECT_ROOT
from airtype_core.storage.store import Storage

DEV_FILE = PROJECT_ROOT.parent / "shared" / "data" / "unipen-dev.jsonl"
UNIPEN_FIXTURES = PROJECT_ROOT / "tests" / "data" / "unipen"


def test_synthetic_data_is_reproducible_and_balanced():
    x1, y1 = synthetic_dataset(124, seed=3)
    x2, y2 = synthetic_dataset(124, seed=3)
    np.testing.assert_array_equal(x1, x2)
    assert np.bincount(y1, minlength=62).tolist() == [2] * 62
    assert not np.array_equal(x1, synthetic_dataset(124, seed=4)[0])


def test_synthetic_inks_often_lift_the_pen_at_corners():
    rng = np.random.default_rng(0)
    strokes = [len(sample(rng, "E")[0].strokes) for _ in range(40)]
    assert max(strokes) >= 4 and min(strokes) <= 3, "stroke structure varies like real writers'"


@pytest.mark.slow  # real training
def test_tiny_pretrain_writes_a_loadable_versioned_model(tmp_path):
    manifest = pretrain(str(tmp_path), minutes=0.05, seed=1, version="tiny", log=lambda _: None, val_per_class=2)
    store = ModelStore(tmp_path)
    assert store.default_version() == "tiny"
    loaded = store.load("tiny")
    assert loaded.manifest.temperature == manifest.temperature >= 1.0
    assert loaded.manifest.metrics["history"], "per-epoch history is kept"
    assert loaded.manifest.training["train_samples"] > 0


def test_held_out_writers_are_never_trained_on():
    from types import SimpleNamespace

    from airtype_core.learning.realset import split_writers

    chars = [
        SimpleNamespace(writer=f"s{site}/w{w}", label="a") for site in range(4) for w in range(8) for _ in range(5)
    ]
    chars += [SimpleNamespace(writer="tiny/w0", label="b")]  # a site with one writer stays in training
    split = split_writers(chars, seed=0)
    writers = [{c.writer for c in part} for part in (split.train, split.select, split.report)]
    assert all(writers) and not (writers[0] & writers[1] or writers[0] & writers[2] or writers[1] & writers[2])
    assert "tiny/w0" in writers[0] and len(split.train) + len(split.select) + len(split.report) == len(chars)


def test_pretraining_epochs_draw_every_class_about_equally():
    from airtype_core.learning.realset import BalancedEpochs

    y_real = np.array([0] * 3000 + [1] * 30 + [2] * 300)  # a 100:1 imbalance, as e against J and more
    order = BalancedEpochs(y_real, n_synthetic=100, epoch_size=3000, synthetic_share=0.1)
    idx = order(np.random.default_rng(0))
    assert len(idx) == len(order) == 3000
    real = idx[idx < len(y_real)]
    counts = np.bincount(y_real[real], minlength=3)
    assert counts.min() > 0.8 * counts.max(), counts
    assert (idx >= len(y_real)).sum() == 300  # the synthetic share


@pytest.mark.slow  # real training
def test_pretrain_on_unipen_names_its_data_and_licence_and_is_reproducible(tmp_path):
    def build(out):
        return pretrain(
            str(out),
            minutes=0.02,
            seed=2,
            version="tiny-real",
            log=lambda _: None,
            val_per_class=1,
            unipen=str(UNIPEN_FIXTURES),
            exclude_sites=["bad"],
        )

    manifest = build(tmp_path / "a")
    unipen = manifest.card["data"][0]
    assert unipen["licence"] == "CC BY 4.0" and unipen["doi"] == "10.5281/zenodo.1195803"
    assert unipen["sites"] == ["demo"] and unipen["characters"] == 10
    assert manifest.card["data"][1]["share_of_training"] > 0  # the synthetic generator is in the mix
    assert ModelStore(tmp_path / "a").manifest("tiny-real").card == json.loads(json.dumps(manifest.card))
    build(tmp_path / "b")
    first, second = (ModelStore(tmp_path / d).load("tiny-real").model.state_dict() for d in "ab")
    assert all(torch.equal(first[k], second[k]) for k in first), "same command and seed, same weights"


def _cli(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airtype_core", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        timeout=300,
    )


@pytest.mark.slow  # real training
def test_cli_train_runs_in_the_foreground_as_a_recorded_job(tmp_path):
    models = copy_shipped_models(tmp_path / "models")
    env = {
        "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}",
        "AIRTYPE_MODEL_DIR": str(models),
        "OMP_NUM_THREADS": "1",
    }
    storage = Storage(env["AIRTYPE_DATABASE_URL"])
    collect(storage, per_char=4)  # 24 samples of a-f
    storage.close()
    tiny = (
        "--fine-tune",
        "--epochs",
        "1",
        "--augmentation-factor",
        "1",
        "--synthetic-per-class",
        "1",
        "--min-samples",
        "10",
    )
    nobody = _cli("train", *tiny, "--participant", "Nobody", **env)
    assert nobody.returncode == 2 and "there is no participant 'Nobody'" in nobody.stderr, nobody.stderr

    done = _cli("train", *tiny, "--json", **env)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert (models / outcome["version"] / "manifest.json").exists()
    status = JobRunner(root=models / ".jobs").status()  # what an app on the same folder shows
    assert status is not None and status.state == "completed" and status.outcome.version == outcome["version"]


def test_cli_predict_prints_json(tmp_path):
    ink = tmp_path / "seven.json"
    ink.write_text(json.dumps({"strokes": [[[0, 0], [40, 0], [12, 60]]]}))
    out = _cli("predict", "--ink", str(ink), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {"char", "confidence", "alternatives", "uncertain", "inference_ms", "model_version"} <= set(result)
    assert len(result["alternatives"]) == 5


def test_cli_predict_reports_bad_ink_without_a_traceback(tmp_path):
    ink = tmp_path / "dot.json"
    ink.write_text(json.dumps({"strokes": [[[1, 1]]]}))
    out = _cli("predict", "--ink", str(ink))
    assert out.returncode == 2
    assert "error:" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow  # evaluates a file in a fresh interpreter
def test_cli_evaluate_prints_the_documented_keys(tmp_path):
    data = tmp_path / "few.jsonl"
    rng = np.random.default_rng(5)
    lines = []
    for char in "0aZ":
        ink, _ = sample(rng, char)
        lines.append(json.dumps({"label": char, "strokes": ink.to_lists()}))
    data.write_text("\n".join(lines) + "\n")
    out = _cli("evaluate", "--data", str(data), "--json")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)
    for key in (
        "samples",
        "top1",
        "top1_folded",
        "top5",
        "per_category",
        "top_confusions",
        "ece",
        "latency_ms_p50",
        "latency_ms_p95",
        "model_version",
    ):
        assert key in metrics
    assert metrics["samples"] == 3
    assert 0 <= metrics["top1"] <= metrics["top1_folded"] <= 1


@pytest.mark.slow  # evaluates a file in a fresh interpreter
def test_cli_evaluate_reads_a_one_category_file_and_reports_unreadable_lines(tmp_path):
    data = tmp_path / "digits.jsonl"
    rng = np.random.default_rng(6)
    lines = [json.dumps({"label": c, "strokes": sample(rng, c)[0].to_lists()}) for c in "0123"]
    lines.insert(2, '{"label": "7", "strokes": oops}')
    data.write_text("\n".join(lines) + "\n")
    text = _cli("evaluate", "--data", str(data))
    assert text.returncode == 0, text.stderr
    assert "digits " in text.stdout and "upper -" in text.stdout and "lower -" in text.stdout
    assert "1 unreadable lines" in text.stdout and "line 3:" in text.stdout
    metrics = json.loads(_cli("evaluate", "--data", str(data), "--json").stdout)
    assert metrics["samples"] == 4 and metrics["per_category"]["upper"] is None
    assert metrics["unreadable_lines"] == 1 and metrics["unreadable"][0].startswith("line 3:")


@pytest.mark.slow  # real data, thousands of inks
@pytest.mark.skipif(not DEV_FILE.exists(), reason="the UNIPEN dev file is not on this machine")
def test_shipped_model_reads_real_handwriting_above_the_floor():
    """Real writers the model never saw (evaluation only): the issue's floor."""
    from airtype_core.recognition.charset import CLASS_INDEX
    from airtype_core.recognition.evaluation import summarize
    from airtype_core.recognition.predictor import Predictor

    predictor = Predictor()
    items = list(read_jsonl(str(DEV_FILE)))
    probs = np.concatenate(
        [predictor.probabilities([i.ink for i in items[k : k + 500]]) for k in range(0, len(items), 500)]
    )
    metrics = summarize(probs, np.array([CLASS_INDEX[i.label] for i in items]))
    assert metrics["samples"] == 4141  # two sites the model never saw (aga, imp)
    assert metrics["top1_folded"] >= 0.94  # issue 12's floor for the shipped model
    assert metrics["top5"] >= 0.99


@pytest.mark.slow  # real training
def test_cli_bench_finetune_compares_before_and_after_and_leaves_the_shipped_model_alone(tmp_path):
    """The benchmark's whole path (store, job runner, fine-tune, evaluate) on a small synthetic file,
    twice (--draws 2), with the summary over both draws."""
    from airtype_core.recognition.charset import CLASSES

    data = tmp_path / "two-per-class.jsonl"
    rng = np.random.default_rng(11)
    lines = [json.dumps({"label": c, "strokes": sample(rng, c)[0].to_lists()}) for c in CLASSES for _ in range(2)]
    data.write_text("\n".join(lines) + "\n{not json\n")
    shipped = PROJECT_ROOT / "data" / "models"
    before_files = tree_hashes(shipped)

    out = _cli("bench-finetune", "--data", str(data), "--per-class", "1", "--draws", "2", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for report in result["draws"]:
        assert report["fine_tune"]["stored_samples"] == 62
        assert report["fine_tune"]["evaluated_on"] == 62
        assert report["fine_tune"]["unreadable_lines"] == 1
        assert report["fine_tune"]["epochs_run"] >= 1
        assert report["fine_tune"]["time_to_first_update_s"] <= report["fine_tune"]["wall_s"]
        for key in ("top1", "top1_folded", "top5", "ece", "per_class_top1_folded"):
            assert key in report["before"] and key in report["after"]
        assert report["after"]["model_version"] != report["before"]["model_version"]
        assert report["worst_class_folded"] in CLASSES
    after = [r["after"]["top1_folded"] for r in result["draws"]]
    summary = result["summary"]["after"]["top1_folded"]
    assert summary == {"mean": pytest.approx(sum(after) / 2), "min": min(after), "max": max(after)}
    assert tree_hashes(shipped) == before_files, "the temporary model must not touch data/models"
