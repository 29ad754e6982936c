"""bench-adapt on a small file: each writer's first answers are stored, the rest read before and after."""

from __future__ import annotations

import json

import numpy as np

from airtype_core.bench.adapt import run_bench
from airtype_core.learning.memoryfit import size_statistics
from airtype_core.recognition.charset import CLASS_INDEX
from airtype_core.recognition.ink import Ink, LabeledInk


def _stroke(height: float, x: float = 0.0) -> list:
    return [[[x, 0.0], [x, height * 0.5], [x + 1.0, height]]]


def test_bench_adapt_reads_each_writer_before_and_after_their_answers(tmp_path):
    path = tmp_path / "writers.jsonl"
    lines = []
    for writer, scale in (("w/big", 300.0), ("w/small", 40.0)):
        for i in range(8):  # the first 4 are answers, the other 4 are read
            label = "l" if i % 2 else "1"
            lines.append({"label": label, "writer": writer, "strokes": _stroke(scale * (1 + 0.02 * i), x=i)})
    lines.append({"label": "a", "writer": "w/few", "strokes": _stroke(100.0)})  # too few inks: left out
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    report = run_bench(str(path), per_writer=4)

    assert report["writers"] == 2 and report["stored_answers"] == 8 and report["read"] == 8
    assert report["no_answers_reads_as_without_memory"] is True
    assert set(report["before"]) >= {"top1", "top1_folded"} and set(report["after"]) >= {"top1", "top1_folded"}
    assert report["after"]["top1"] >= report["before"]["top1"]
    assert report["answer_to_next_answer_ms"]["p50"] > 0


def test_class_sizes_are_measured_after_each_writers_own_scale():
    """Two writers, one three times the other's size: both write `o` at half their digits' height."""
    items = []
    for writer, scale in (("a", 1.0), ("b", 3.0)):
        for char, height in (("0", 100.0), ("1", 100.0), ("o", 50.0)):
            for jitter in (0.97, 1.0, 1.03):
                h = height * scale * jitter
                items.append(LabeledInk(Ink.from_strokes([[[0, 0], [h * 0.6, h * 0.5], [0, h]]]), char, writer))
    mean, std = size_statistics(items)
    assert np.isclose(mean[CLASS_INDEX["o"], 0] - mean[CLASS_INDEX["0"], 0], np.log(0.5), atol=0.02)
    assert std[CLASS_INDEX["o"], 0] < 0.1  # the writers' scales are not counted as spread
