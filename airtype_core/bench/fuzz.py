"""`bench-fuzz`: random inks through the predictor, random files of every format through `import_file`.

    python -m airtype_core bench-fuzz --inks 100000 --files 2000 [--seed S] [--json]

Inks: empty, one point, NaN, infinite, huge, degenerate (one point repeated, a
straight line, a speck), long, many strokes, odd clocks and plain random walks;
some are built past `Ink.from_strokes`' checks, as a bug elsewhere could. A
refusal (`InkError`, with its message for a person) is the right answer to a bad
ink; any other exception, or probabilities that are not finite and summing to 1,
is a crash. Files: for each format, a valid file written by the project's own
writers, then mutated (bytes replaced, inserted, cut, repeated), or random
bytes, or (JSON lines) a record whose fields are any JSON value; each is imported
into a temporary SQLite database. An exception out of `import_file`, or a reader
that failed inside it, is a crash; the rows the database holds must equal the
sum of what the reports say they stored. The command exits 1 on any crash or
mismatch.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..formats import READ_FORMATS
from ..formats.inkml import write_inkml
from ..formats.jsonl import write_jsonl
from ..formats.records import InkRecord
from ..formats.uji import write_uji
from ..recognition.charset import CLASSES
from ..recognition.features import featurize
from ..recognition.ink import Ink, InkError
from ..storage.store import Storage
from ..transfer.importer import import_file

BATCH = 64  # inks a forward pass, as an import with --predict
INK_KINDS = (
    "empty",
    "one point",
    "nan",
    "infinite",
    "huge",
    "same point",
    "straight line",
    "speck",
    "long",
    "many strokes",
    "odd clock",
    "random",
)
MUTATIONS = (
    b"[",
    b"]]]",
    b"NaN",
    b"1e999",
    b'"',
    b"\x00",
    b"<",
    b"-",
    b",",
    b"\n",
    b"\xff\xfe",
    b"\\ud800",
    b"[" * 3000,
    b"</trace>",
    b".PEN_DOWN\n",
    b"WORD",
    b"POINTS 3 #",
)


@dataclass
class FuzzReport:
    seed: int
    inks: int = 0
    inks_refused: int = 0  # InkError: the message a person sees
    ink_crashes: int = 0
    files: int = 0
    file_crashes: int = 0
    problems: int = 0  # reported by the imports
    records_read: int = 0
    records_stored: int = 0  # what the reports say
    rows_stored: int = 0  # what the database holds
    crashes: list[str] = field(default_factory=list)  # the first ten different ones
    seconds_inks: float = 0.0
    seconds_files: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def ok(self) -> bool:
        return self.ink_crashes == 0 and self.file_crashes == 0 and self.rows_stored == self.records_stored

    def crash(self, text: str) -> None:
        """Keep the first ten different crashes."""
        if len(self.crashes) < 10 and text not in self.crashes:
            self.crashes.append(text)


# --- inks -----------------------------------------------------------------------------------


def _walk(rng: np.random.Generator, n: int, scale: float = 10.0) -> np.ndarray:
    xy = np.cumsum(rng.normal(0, scale, size=(n, 2)), axis=0)
    return np.column_stack([xy, np.linspace(0, n / 60, n)])


def random_ink(rng: np.random.Generator, kind: str) -> Ink:
    """One ink of `kind`; raw inks (bypassing from_strokes' checks) for NaN, infinite and huge ones."""
    if kind == "empty":
        return Ink(())
    if kind == "one point":
        return Ink.from_strokes([[rng.uniform(-100, 100, 2).tolist()]])
    if kind in ("nan", "infinite", "huge"):
        stroke = _walk(rng, int(rng.integers(2, 40)))
        value = {"nan": np.nan, "infinite": np.inf, "huge": 1e300}[kind]
        stroke[rng.integers(0, len(stroke)), int(rng.integers(0, 2))] = value * rng.choice([-1, 1])
        return Ink((stroke,))
    if kind == "same point":
        return Ink.from_strokes([[[5.0, 5.0]] * int(rng.integers(2, 200))])
    if kind == "straight line":
        n = int(rng.integers(2, 100))
        return Ink.from_strokes([np.column_stack([np.linspace(0, 100, n), np.zeros(n)]).tolist()])
    if kind == "speck":
        return Ink.from_strokes([(rng.normal(0, 1e-9, size=(int(rng.integers(2, 30)), 2)) + 3).tolist()])
    if kind == "long":
        return Ink((_walk(rng, int(rng.integers(2000, 20000)), 2.0),))
    if kind == "many strokes":
        return Ink(tuple(_walk(rng, int(rng.integers(1, 4))) for _ in range(int(rng.integers(50, 400)))))
    if kind == "odd clock":
        stroke = _walk(rng, int(rng.integers(2, 60)))
        stroke[:, 2] = (
            rng.choice([np.nan, np.inf, -1.0, 1e300, 0.0]) if rng.random() < 0.5 else rng.normal(0, 1e6, len(stroke))
        )
        return Ink((stroke,))
    return Ink(
        tuple(_walk(rng, int(rng.integers(2, 80)), float(rng.uniform(0.1, 50))) for _ in range(int(rng.integers(1, 5))))
    )


def _check(probs: np.ndarray, count: int) -> str | None:
    if probs.shape != (count, len(CLASSES)):
        return f"probabilities of shape {probs.shape}"
    if not np.isfinite(probs).all() or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        return "probabilities that are not finite or do not sum to 1"
    return None


def fuzz_inks(predictor: Any, count: int, rng: np.random.Generator, report: FuzzReport) -> None:
    """Each ink is featurized alone (a refusal is counted), the usable ones read in batches, as an import
    does; every 50th also through `predict`, the path of the Draw page, test-time augmentation included."""
    config = predictor.feature_config
    for first in range(0, count, BATCH):
        usable: list[tuple[Ink, str]] = []
        for n in range(first, min(count, first + BATCH)):
            kind = INK_KINDS[int(rng.integers(0, len(INK_KINDS)))]
            report.inks += 1
            try:
                ink = random_ink(rng, kind)
                featurize(ink, config)
            except InkError:  # refused with a message a person sees: the right answer to a bad ink
                report.inks_refused += 1
                continue
            except Exception as exc:  # noqa: BLE001 - what this benchmark counts
                report.ink_crashes += 1
                report.crash(f"ink ({kind}): {type(exc).__name__}: {exc}")
                continue
            usable.append((ink, kind))
            if n % 50 == 0:
                _predict(predictor, ink, kind, report)
        if usable:
            _read_batch(predictor, usable, report)


def _read_batch(predictor: Any, usable: list[tuple[Ink, str]], report: FuzzReport) -> None:
    try:
        wrong = _check(predictor.probabilities([ink for ink, _ in usable]), len(usable))
    except Exception as exc:  # noqa: BLE001 - featurize took each of them, so any exception is a crash
        report.ink_crashes += len(usable)
        report.crash(f"a batch of {len(usable)} inks: {type(exc).__name__}: {exc}")
        return
    if wrong:
        report.ink_crashes += len(usable)
        report.crash(f"a batch of {len(usable)} inks ({', '.join(sorted({k for _, k in usable}))}): {wrong}")


def _predict(predictor: Any, ink: Ink, kind: str, report: FuzzReport) -> None:
    try:
        prediction = predictor.predict(ink, tta=True)
    except InkError:
        report.inks_refused += 1
        return
    except Exception as exc:  # noqa: BLE001 - what this benchmark counts
        report.ink_crashes += 1
        report.crash(f"ink ({kind}) through predict: {type(exc).__name__}: {exc}")
        return
    if not (np.isfinite(prediction.confidence) and 0.0 <= prediction.confidence <= 1.0):
        report.ink_crashes += 1
        report.crash(f"ink ({kind}) through predict: confidence {prediction.confidence}")


# --- files ----------------------------------------------------------------------------------


def _records(rng: np.random.Generator, count: int) -> list[InkRecord]:
    out = []
    for _ in range(count):
        strokes = [_walk(rng, int(rng.integers(2, 20))) for _ in range(int(rng.integers(1, 3)))]
        label = CLASSES[int(rng.integers(0, len(CLASSES)))]
        out.append(
            InkRecord(
                Ink.from_strokes([s.round(2).tolist() for s in strokes]),
                label,
                f"w{int(rng.integers(0, 5))}",
                predicted_char=label,
                confidence=0.5,
                model_version="v1",
                source="canvas",
            )
        )
    return out


def _unipen(records: list[InkRecord]) -> str:
    lines = [".VERSION 1.0", ".COORD X Y"]
    for n, record in enumerate(records):
        lines.append(f".WRITER_ID {record.writer}")
        for stroke in record.ink.to_lists():
            lines += [".PEN_DOWN", *(f"{int(p[0])} {int(p[1])}" for p in stroke), ".PEN_UP"]
        lines.append(f'.SEGMENT CHARACTER {n} ? "{record.label}"')  # a rough delineation: mutations do the rest
    return "\n".join(lines) + "\n"


def seed_file(fmt: str, rng: np.random.Generator) -> bytes:
    """A valid file of `fmt`, written by the project's own writers."""
    records = _records(rng, int(rng.integers(1, 6)))
    out = io.StringIO()
    writers: dict[str, Callable[..., int]] = {"jsonl": write_jsonl, "inkml": write_inkml, "uji": write_uji}
    if fmt in writers:
        writers[fmt](records, out)
        return out.getvalue().encode("utf-8")
    return _unipen(records).encode("utf-8")


def _any_json(rng: np.random.Generator, depth: int = 0) -> Any:
    choice = int(rng.integers(0, 9 if depth < 3 else 6))
    simple = [
        None,
        bool(rng.integers(0, 2)),
        int(rng.integers(-(2**62), 2**62)) * 1000,
        float(rng.choice([np.nan, np.inf, -np.inf, 1e308, -0.0, rng.normal()])),
        "".join(chr(int(c)) for c in rng.integers(0, 0x2FFF, int(rng.integers(0, 120)))),
        "x" * int(rng.integers(60, 130)),
    ]
    if choice < 6:
        return simple[choice]
    if choice < 8:
        return [_any_json(rng, depth + 1) for _ in range(int(rng.integers(0, 4)))]
    return {str(k): _any_json(rng, depth + 1) for k in range(int(rng.integers(0, 3)))}


def _wild_jsonl(rng: np.random.Generator) -> bytes:
    lines = []
    for record in json.loads("[" + ",".join(seed_file("jsonl", rng).decode().splitlines()) + "]"):
        for name in rng.choice(
            list(record) + ["writer", "model_version", "created_at", "collection_session", "alternatives", "source"],
            int(rng.integers(0, 4)),
        ):
            record[str(name)] = _any_json(rng)
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 8))):
        where = int(rng.integers(0, max(1, len(out))))
        chunk = (
            MUTATIONS[int(rng.integers(0, len(MUTATIONS)))]
            if rng.random() < 0.5
            else rng.bytes(int(rng.integers(1, 12)))
        )
        kind = int(rng.integers(0, 4))
        if kind == 0:
            out[where : where + len(chunk)] = chunk
        elif kind == 1:
            out[where:where] = chunk
        elif kind == 2:
            del out[where : where + int(rng.integers(1, 40))]
        else:
            out[where:where] = out[where : where + int(rng.integers(1, 200))]
    return bytes(out)


def random_file(fmt: str, rng: np.random.Generator) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.bytes(int(rng.integers(0, 2000)))
    if fmt == "jsonl" and roll < 0.4:
        return _wild_jsonl(rng)
    seed = seed_file(fmt, rng)
    return seed if roll < 0.2 else mutate(seed, rng)


def fuzz_files(storage: Storage, count: int, rng: np.random.Generator, report: FuzzReport) -> None:
    for n in range(count):
        fmt = READ_FORMATS[n % len(READ_FORMATS)]
        content = random_file(fmt, rng)
        upload = io.BytesIO(content)
        upload.name = f"fuzz-{n}.{fmt}"
        report.files += 1
        try:
            result = import_file(storage, upload, fmt)
        except Exception as exc:  # noqa: BLE001 - what this benchmark counts
            report.file_crashes += 1
            report.crash(
                f"file {n} ({fmt}): {type(exc).__name__}: {exc} {traceback.format_exc(limit=-1).splitlines()[-2:]}"
            )
            continue
        if result.crashed or result.error:
            report.file_crashes += 1
            report.crash(f"file {n} ({fmt}): {result.crashed or result.error}")
        report.problems += result.problem_count
        report.records_read += result.read
        report.records_stored += result.stored
    report.rows_stored = storage.query_samples(per_page=1).total


def run_fuzz(inks: int, files: int, seed: int = 0, predictor: Any = None) -> FuzzReport:
    report = FuzzReport(seed=seed, load=os.getloadavg())
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if inks:
        if predictor is None:
            from ..recognition.predictor import Predictor

            predictor = Predictor()
        fuzz_inks(predictor, inks, rng, report)
    report.seconds_inks = time.perf_counter() - start
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="airtype-fuzz-") as folder:
        storage = Storage(f"sqlite:///{os.path.join(folder, 'fuzz.db')}")
        try:
            fuzz_files(storage, files, rng, report)
        finally:
            storage.close()
    report.seconds_files = time.perf_counter() - start
    return report


def format_report(report: FuzzReport) -> str:
    match = "match" if report.rows_stored == report.records_stored else "DO NOT MATCH"
    lines = [
        f"bench-fuzz, seed {report.seed} (load average {report.load[0]:.2f} {report.load[1]:.2f} "
        f"{report.load[2]:.2f} at start)",
        f"inks:  {report.inks} through the predictor in {report.seconds_inks:.1f} s: {report.inks_refused} refused "
        f"with a message, {report.ink_crashes} crashes",
        f"files: {report.files} through import_file in {report.seconds_files:.1f} s: {report.file_crashes} crashes, "
        f"{report.problems} problems reported, {report.records_read} records read",
        f"rows stored {report.rows_stored} versus records the reports stored {report.records_stored}: {match}",
    ]
    lines += [f"  crash: {text}" for text in report.crashes]
    return "\n".join(lines)


def report_json(report: FuzzReport) -> str:
    return json.dumps({**asdict(report), "ok": report.ok})
