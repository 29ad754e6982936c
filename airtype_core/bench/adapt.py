"""How much a writer's memory helps at once: `bench-adapt`.

    run_bench(data_path, per_writer=20) -> report with `before` and `after` (the keys of `evaluate`)

For every writer in the file with at least `2 * per_writer` inks, the first
`per_writer` in file order are stored as that participant's answers the way the
pages store them (read with the memory so far, then `save_sample` of the
writer's label), in a temporary SQLite database; the rest are read before any
answer is stored and again after, each ink on its own as the pages read it. The
time from storing an answer to the next answer shown is measured on every stored
answer. The inks of a file have no writing area, so their sizes are compared in
the file's own units (frame `import:raw`).
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import numpy as np

from ..formats.jsonl import read_jsonl
from ..learning.memoryfit import readable_by_writer
from ..recognition.charset import CLASS_INDEX
from ..recognition.evaluation import summarize
from ..recognition.ink import LabeledInk
from ..recognition.memory import InkSize
from ..recognition.predictor import Predictor
from ..storage.memory import MemoryBank, read_with_memory
from ..storage.records import NewSample
from ..storage.store import Storage

SOURCE = "import"


def writers_in_order(samples: list[LabeledInk], predictor: Predictor, per_writer: int) -> dict[str, list[LabeledInk]]:
    """Writer -> their readable inks in file order, for writers with at least `2 * per_writer`."""
    by_writer = readable_by_writer(samples, predictor)
    return {w: items for w, items in by_writer.items() if len(items) >= 2 * per_writer}


def _read(predictor: Predictor, bank: MemoryBank, who: int, items: list[LabeledInk]) -> np.ndarray:
    """(n, 62): each ink read on its own, with the participant's memory as it is now."""
    memory = bank.recall(who, predictor)
    return np.array(
        [predictor.predict_proba(item.ink, memory=memory, size=InkSize.of(item.ink, SOURCE)) for item in items]
    )


def _store_answers(
    storage: Storage, predictor: Predictor, bank: MemoryBank, who: int, answers: list[LabeledInk], next_ink: LabeledInk
) -> list[float]:
    """Store the answers as the pages do; ms from each stored answer to the next answer read."""
    latencies = []
    prediction = read_with_memory(predictor, bank, answers[0].ink, who, SOURCE, None)
    for item, following in zip(answers, answers[1:] + [next_ink]):
        start = time.perf_counter()
        storage.save_sample(
            NewSample.from_prediction(item.ink, prediction, item.label, source=SOURCE, participant_id=who)
        )
        prediction = read_with_memory(predictor, bank, following.ink, who, SOURCE, None)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def run_bench(data_path: str, per_writer: int = 20) -> dict[str, Any]:
    errors: list[str] = []
    predictor = Predictor()
    if predictor.memory_params is None:
        raise OSError(f"model {predictor.version!r} has no memory.json (or AIRTYPE_MEMORY is 0): nothing to measure")
    writers = writers_in_order(list(read_jsonl(data_path, errors)), predictor, per_writer)
    if not writers:
        raise OSError(f"no writer in {data_path} has {2 * per_writer} readable inks")
    load_before = os.getloadavg()
    before, after, labels, latencies, unchanged = [], [], [], [], True
    with tempfile.TemporaryDirectory(prefix="airtype-bench-adapt-") as tmp:
        storage = Storage(f"sqlite:///{tmp}/bench.db")
        try:
            bank = MemoryBank(storage)
            for name, items in writers.items():
                who = storage.add_participant(name[:100]).id
                answers, rest = items[:per_writer], items[per_writer:]
                plain = predictor.probabilities([item.ink for item in rest])
                before.append(_read(predictor, bank, who, rest))  # no answers stored yet
                unchanged &= bool(np.allclose(before[-1], plain, atol=1e-5))
                latencies += _store_answers(storage, predictor, bank, who, answers, rest[0])
                after.append(_read(predictor, bank, who, rest))
                labels += [CLASS_INDEX[item.label] for item in rest]
        finally:
            storage.close()
    y = np.array(labels)
    b, a = summarize(np.concatenate(before), y), summarize(np.concatenate(after), y)
    return {
        "model_version": predictor.version,
        "memory": {
            k: v for k, v in predictor.memory_params.__dict__.items() if k not in ("size_mean", "size_std", "fitted_on")
        },
        "writers": len(writers),
        "per_writer": per_writer,
        "stored_answers": len(latencies),
        "read": len(y),
        "unreadable_lines": len(errors),
        "before": b,
        "after": a,
        "top1_error_reduction": _reduction(b["top1"], a["top1"]),
        "top1_folded_error_reduction": _reduction(b["top1_folded"], a["top1_folded"]),
        "no_answers_reads_as_without_memory": unchanged,
        "answer_to_next_answer_ms": {
            "p50": float(np.percentile(latencies, 50)),
            "p95": float(np.percentile(latencies, 95)),
            "max": float(max(latencies)),
        },
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def _reduction(before: float, after: float) -> float:
    """The share of errors the memory removed (negative: it added errors)."""
    return 1.0 - (1.0 - after) / (1.0 - before) if before < 1.0 else 0.0


def format_report(r: dict[str, Any], data_path: str) -> str:
    lines = [
        (
            f"bench-adapt: {r['writers']} writers of {data_path}, the first {r['per_writer']} inks of each stored "
            f"as answers ({r['stored_answers']}), {r['read']} inks read before and after ({r['model_version']})"
        )
    ]
    for name, key in (("top-1", "top1"), ("folded", "top1_folded")):
        lines.append(
            f"  {name:7s} before {r['before'][key]:.3f}   after {r['after'][key]:.3f}   "
            f"errors down {r[key + '_error_reduction']:.0%}"
        )
    lines.append(
        f"  top-5   before {r['before']['top5']:.3f}   after {r['after']['top5']:.3f};  "
        f"ECE before {r['before']['ece']:.3f}   after {r['after']['ece']:.3f}"
    )
    t = r["answer_to_next_answer_ms"]
    lines.append(
        f"  stored answer -> next answer: {t['p50']:.0f} ms median, {t['p95']:.0f} ms p95, {t['max']:.0f} ms max"
    )
    lines.append(
        f"  before any answer, reads equal the model without memory: {r['no_answers_reads_as_without_memory']}"
    )
    lines.append(
        f"  load average {r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after (1 min), {r['cpus']} CPUs"
    )
    return "\n".join(lines)
