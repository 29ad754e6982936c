"""How good a predictor is on labeled inks: accuracy, calibration, confusions, latency."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .calibration import expected_calibration_error
from .charset import CLASS_INDEX, CLASSES, category, fold
from .ink import InkError, LabeledInk
from .predictor import Predictor


def summarize(probs: np.ndarray, labels: np.ndarray, latencies_ms: np.ndarray | None = None) -> dict:
    """Metrics from (N, 62) probabilities and (N,) class indices."""
    pred = probs.argmax(axis=1)
    top5 = np.argsort(probs, axis=1)[:, ::-1][:, :5]
    correct = pred == labels
    folded = np.array([fold(CLASSES[p]) == fold(CLASSES[t]) for p, t in zip(pred, labels)], dtype=bool)
    per_category = {}
    cats = np.array([category(CLASSES[t]) for t in labels])
    for name in ("digits", "upper", "lower"):
        mask = cats == name
        per_category[name] = float(correct[mask].mean()) if mask.any() else None
    confusions = Counter((CLASSES[t], CLASSES[p]) for p, t in zip(pred, labels) if p != t)
    present = [(i, c) for i, c in enumerate(CLASSES) if (labels == i).any()]
    per_class = {c: float(correct[labels == i].mean()) for i, c in present}
    per_class_folded = {c: float(folded[labels == i].mean()) for i, c in present}
    out = {
        "samples": int(len(labels)),
        "top1": float(correct.mean()) if len(labels) else 0.0,
        "top1_folded": float(folded.mean()) if len(labels) else 0.0,
        "top5": float((top5 == labels[:, None]).any(axis=1).mean()) if len(labels) else 0.0,
        "per_category": per_category,
        "per_class_top1": per_class,
        "per_class_top1_folded": per_class_folded,
        "top_confusions": [[a, p, n] for (a, p), n in confusions.most_common(15)],
        "ece": expected_calibration_error(probs.max(axis=1), correct) if len(labels) else 0.0,
    }
    if latencies_ms is not None and len(latencies_ms):
        out["latency_ms_p50"] = float(np.percentile(latencies_ms, 50))
        out["latency_ms_p95"] = float(np.percentile(latencies_ms, 95))
    return out


def evaluate(predictor: Predictor, samples: Iterable[LabeledInk], tta: bool = False) -> dict:
    """Predict each ink on its own (batch 1, as the app does) and summarize."""
    predictor = predictor.pinned()  # every answer, and the version named, from one model
    probs, labels, latencies, skipped = [], [], [], 0
    for item in samples:
        start = time.perf_counter()
        try:
            row = predictor.predict_proba(item.ink, tta=tta)
        except InkError:
            skipped += 1
            continue
        latencies.append((time.perf_counter() - start) * 1000)
        probs.append(row)
        labels.append(CLASS_INDEX[item.label])
    probs_arr = np.array(probs).reshape(-1, len(CLASSES))
    metrics = summarize(probs_arr, np.array(labels, dtype=np.int64), np.array(latencies))
    metrics["skipped_inks"] = skipped
    metrics["model_version"] = predictor.version
    metrics["tta"] = tta
    return metrics
