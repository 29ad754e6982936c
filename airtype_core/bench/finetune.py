"""How much do a few corrections help? Fine-tune a throw-away copy of the default model.

    run_bench(data_path, per_class=5) -> report with `before` and `after` (the keys of `evaluate`)

It lives what a user lives: `per_class` labeled inks of every class from the file
are stored the way the draw page stores them (the model's guess, then the
writer's answer), the training page's own job runner fine-tunes the active model
on them with the page's default options, and the model before and after is
evaluated on the rest of the file. Everything happens in a temporary folder and
database that are deleted afterwards; the shipped model is only read.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..formats.jsonl import read_jsonl
from ..learning.jobs import JobRunner
from ..learning.options import TrainOptions
from ..learning.records import TrainOutcome
from ..recognition.charset import CLASSES
from ..recognition.evaluation import evaluate
from ..recognition.ink import LabeledInk
from ..recognition.modelstore import ModelStore
from ..recognition.predictor import Predictor
from ..settings import get_settings
from ..storage.records import NewSample
from ..storage.store import Storage

DROP_LIMIT = 0.05  # the limit on what any one class may lose


def pick_per_class(
    samples: Sequence[LabeledInk], per_class: int, total: int = 0, seed: int = 0
) -> tuple[list[LabeledInk], list[LabeledInk]]:
    """(chosen, rest): `per_class` random samples of each class, or `total` spread evenly over the classes."""
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[int]] = {}
    for i, item in enumerate(samples):
        by_class.setdefault(item.label, []).append(i)
    chosen: set[int] = set()
    for rank, char in enumerate(c for c in CLASSES if c in by_class):
        want = per_class if not total else total // len(by_class) + (rank < total % len(by_class))
        chosen.update(rng.permutation(by_class[char])[:want].tolist())
    return [samples[i] for i in sorted(chosen)], [s for i, s in enumerate(samples) if i not in chosen]


def _fine_tune(runner: JobRunner, storage: Storage, seed: int) -> tuple[TrainOutcome, dict[str, float | None]]:
    """One run through the job runner, watched as the page watches it: (outcome, timings)."""
    started = time.perf_counter()
    runner.start(TrainOptions(mode="finetune", min_samples=1, seed=seed), storage)
    first_update = first_batch = None
    while True:
        status = runner.status()
        if status is None:
            raise OSError("the fine-tuning run left no status behind")
        elapsed = time.perf_counter() - started
        if first_update is None and status.state != "starting":
            first_update = elapsed
        if first_batch is None and status.batch:
            first_batch = elapsed
        if not status.active:
            break
        time.sleep(0.05)
    if status.state != "completed" or status.outcome is None:
        raise OSError(f"the fine-tuning run ended {status.state}: {status.error}")
    timings = {
        "wall_s": time.perf_counter() - started,
        "time_to_first_update_s": first_update,
        "time_to_first_batch_s": first_batch,
    }
    return status.outcome, timings


def _drops(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {c: before[c] - a for c, a in after.items()}


def run_bench(data_path: str, per_class: int = 5, samples: int = 0, seed: int = 0) -> dict[str, Any]:
    errors: list[str] = []
    chosen, rest = pick_per_class(list(read_jsonl(data_path, errors)), per_class, samples, seed)
    shipped = ModelStore(get_settings().model_dir)
    version = shipped.default_version()
    if version is None:
        raise OSError(f"there is no default model in {shipped.root}")
    with tempfile.TemporaryDirectory(prefix="airtype-bench-") as tmp:
        settings = get_settings().with_changes(model_dir=Path(tmp) / "models", database_url=f"sqlite:///{tmp}/bench.db")
        shutil.copytree(shipped.folder(version), settings.model_dir / version)
        (settings.model_dir / "default.txt").write_text(version + "\n")
        store, storage = ModelStore(settings.model_dir), Storage(settings.database_url)
        try:
            before_predictor = Predictor(settings, store)
            storage.save_samples(
                [NewSample.from_prediction(s.ink, before_predictor.predict(s.ink), s.label) for s in chosen]
            )
            before = evaluate(before_predictor, rest)
            outcome, timings = _fine_tune(JobRunner(settings), storage, seed)
            store.activate(outcome.version)  # measured even when the not-worse rule kept it back
            after = evaluate(Predictor(settings, store), rest)
        finally:
            storage.close()

    # Case pairs drawn alike (c/C, s/S) trade places on a whim, so the per-class check is given folded too.
    drops = _drops(before["per_class_top1"], after["per_class_top1"])
    folded_drops = _drops(before["per_class_top1_folded"], after["per_class_top1_folded"])
    worst, worst_folded = max(drops, key=drops.__getitem__), max(folded_drops, key=folded_drops.__getitem__)
    return {
        "model_version": version,
        "before": before,
        "after": after,
        "fine_tune": {
            "stored_samples": len(chosen),
            "evaluated_on": len(rest),
            "activated": outcome.activated,
            "reason": outcome.reason,
            "train_size": outcome.train_size,
            "epochs_run": len(outcome.history),
            "train_s": outcome.train_s,
            "samples_per_s": outcome.samples_per_s,
            "device": outcome.device,
            "unreadable_lines": len(errors),
            **timings,
        },
        "worst_class": worst,
        "worst_class_drop": drops[worst],
        "worst_class_folded": worst_folded,
        "worst_class_drop_folded": folded_drops[worst_folded],
        "classes_worse_by_over_5_points_folded": sorted(c for c, d in folded_drops.items() if d > DROP_LIMIT),
    }


def summarize_draws(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean, lowest and highest of the headline figures over several draws of the corrections."""

    def spread(values: list[float]) -> dict[str, float]:
        return {"mean": float(np.mean(values)), "min": min(values), "max": max(values)}

    out: dict[str, Any] = {"draws": len(reports)}
    for side in ("before", "after"):
        out[side] = {k: spread([r[side][k] for r in reports]) for k in ("top1", "top1_folded", "top5", "ece")}
    out["worst_class_drop_folded"] = spread([r["worst_class_drop_folded"] for r in reports])
    out["draws_with_a_class_worse_by_over_5_points_folded"] = sum(
        bool(r["classes_worse_by_over_5_points_folded"]) for r in reports
    )
    return out


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"over {summary['draws']} draws of the corrections: mean (lowest - highest)"]
    for name in ("top1", "top1_folded", "top5", "ece"):
        b, a = summary["before"][name], summary["after"][name]
        lines.append(
            f"  {name:12s} before {b['mean']:.3f} ({b['min']:.3f}-{b['max']:.3f})   "
            f"after {a['mean']:.3f} ({a['min']:.3f}-{a['max']:.3f})"
        )
    w = summary["worst_class_drop_folded"]
    lines.append(
        f"  worst class, folded: {w['mean']:.1%} lost on average, {w['max']:.1%} at most; "
        f"{summary['draws_with_a_class_worse_by_over_5_points_folded']} of {summary['draws']} draws "
        f"have a class more than 5 points worse"
    )
    return "\n".join(lines)


def format_report(report: dict[str, Any], data_path: str) -> str:
    ft, before, after = report["fine_tune"], report["before"], report["after"]
    lines = [
        f"fine-tuned {report['model_version']} on {ft['stored_samples']} inks from {data_path}, "
        f"evaluated on {ft['evaluated_on']}"
    ]
    lines += [
        f"  {name:12s} before {before[name]:.3f}   after {after[name]:.3f}"
        for name in ("top1", "top1_folded", "top5", "ece")
    ]
    lines.append(
        f"  worst class {report['worst_class']}: {report['worst_class_drop']:.1%} lost; folded, "
        f"{report['worst_class_folded']}: {report['worst_class_drop_folded']:.1%} lost"
    )
    lines.append(
        f"  {ft['wall_s']:.1f} s wall ({ft['train_s']:.1f} s training, {ft['samples_per_s']:.0f} samples/s, "
        f"{ft['train_size']} inks x {ft['epochs_run']} epochs); first update after "
        f"{ft['time_to_first_update_s']:.2f} s, first batch after {ft['time_to_first_batch_s']:.1f} s; "
        f"{ft['reason']}"
    )
    return "\n".join(lines)
