"""`bench-io`: import and export speed, peak memory, `--predict` throughput, the Data page's first query.

Makes N synthetic inks (two strokes of 20 points with times, labels cycling over
the 62 classes) as a JSON-lines file, imports it into a fresh SQLite database,
exports it again, imports a slice with the model predicting, and times the
Data page's first page of results. Figures only: the machine's load is printed
with them, since timings on a busy machine are not the machine's speed.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..recognition.charset import CLASSES
from ..storage.records import SampleFilter
from ..storage.store import Storage
from ..transfer.exporter import export_samples
from ..transfer.importer import import_file

PREDICT_SAMPLES = 5000  # enough for a steady inks/s without a long wait


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def write_synthetic(path: Path, count: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            strokes = []
            t = 0.0
            for _ in range(2):
                xy = np.cumsum(rng.normal(0, 4, size=(20, 2)), axis=0) + rng.uniform(0, 100, 2)
                times = t + np.arange(20) * 0.016
                t = float(times[-1]) + 0.2
                strokes.append([[round(float(x), 2), round(float(y), 2), float(s)] for (x, y), s in zip(xy, times)])
            out.write(
                json.dumps({"label": CLASSES[i % len(CLASSES)], "strokes": strokes, "writer": f"w{i % 50}"}) + "\n"
            )


def run_bench(samples: int, predict: bool = True, keep: str | None = None) -> dict[str, Any]:
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="airtype-bench-io-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "bench.jsonl"
    write_synthetic(source, samples)
    report: dict[str, Any] = {"samples": samples, "load_before": os.getloadavg(), "cpus": os.cpu_count()}
    storage = Storage(f"sqlite:///{folder / 'bench.db'}")
    rss0 = _peak_rss_mb()

    start = time.perf_counter()
    imported = import_file(storage, source)
    report["import_s"] = time.perf_counter() - start
    report["import_stored"] = imported.stored
    report["peak_rss_after_import_mb"] = _peak_rss_mb()

    start = time.perf_counter()
    with open(folder / "export.jsonl", "w", encoding="utf-8") as out:
        report["export_count"] = export_samples(storage, None, "jsonl", out)
    report["export_s"] = time.perf_counter() - start
    report["peak_rss_after_export_mb"] = _peak_rss_mb()
    report["peak_rss_at_start_mb"] = rss0

    timings = []
    for flt in (SampleFilter(), SampleFilter(chars=("a",)), SampleFilter(source="import", min_confidence=None)):
        start = time.perf_counter()
        storage.page_samples(flt, per_page=50)
        timings.append((time.perf_counter() - start) * 1000)
    report["first_page_ms"] = timings
    last = storage.page_samples(SampleFilter(), per_page=50)
    start = time.perf_counter()
    storage.page_samples(SampleFilter(), after=last.next_key, per_page=50)
    report["second_page_ms"] = (time.perf_counter() - start) * 1000
    storage.close()

    if predict:
        from ..recognition.predictor import Predictor

        n = min(samples, PREDICT_SAMPLES)
        part = folder / "predict.jsonl"
        with open(source, encoding="utf-8") as src, open(part, "w", encoding="utf-8") as out:
            for _, line in zip(range(n), src):
                out.write(line)
        predictor = Predictor()
        fresh = Storage(f"sqlite:///{folder / 'predict.db'}")
        start = time.perf_counter()
        done = import_file(fresh, part, predictor=predictor)
        seconds = time.perf_counter() - start
        fresh.close()
        report["predict_samples"] = done.predicted
        report["predict_inks_per_s"] = done.predicted / seconds
    report["load_after"] = os.getloadavg()
    report["folder"] = str(folder)
    return report


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"bench-io: {r['samples']} synthetic inks (2 strokes x 20 points, with times), SQLite, {r['cpus']} CPUs",
        f"  load average before {r['load_before'][0]:.2f}, after {r['load_after'][0]:.2f} (1 min)",
        f"  import JSON lines: {r['import_s']:.1f} s ({r['import_stored'] / r['import_s']:.0f} samples/s)",
        f"  export JSON lines: {r['export_s']:.1f} s ({r['export_count'] / r['export_s']:.0f} samples/s)",
        f"  peak RSS: {r['peak_rss_at_start_mb']:.0f} MB at start, {r['peak_rss_after_import_mb']:.0f} MB after "
        f"import, {r['peak_rss_after_export_mb']:.0f} MB after export",
        "  Data page first page (50 rows): "
        + ", ".join(f"{ms:.0f} ms" for ms in r["first_page_ms"])
        + f" (no filter, one character, source); next page {r['second_page_ms']:.0f} ms",
    ]
    if "predict_inks_per_s" in r:
        lines.append(
            f"  import --predict: {r['predict_inks_per_s']:.0f} inks/s over {r['predict_samples']} inks "
            "(model + storage)"
        )
    return "\n".join(lines)
