"""UJI Pen Characters (version 2) text format: one character per `WORD` block.

    // comments
    WORD a trn_UJI_W01-01
      NUMSTROKES 2
      POINTS 19 # 362 408 364 404 ...
      POINTS 4 # 300 410 ...

`WORD label id`: the id is `[trn_|tst_]<writer>-<repetition>`, so the writer is
what is left once the set prefix and the repetition are taken off. Coordinates
are screen pixels (y down) with no clock. The dataset (CC BY 4.0) is not
shipped; tests use small files written for the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import IO

from ..recognition.ink import Ink, InkError
from .fields import FieldError, check_record
from .records import InkRecord, Item, Problem, label_problem, text_lines
from .sources import Source, open_binary

_SET_PREFIX = re.compile(r"^(trn|tst)_")
_REPETITION = re.compile(r"-\d+$")


def writer_of(word_id: str) -> str:
    return _REPETITION.sub("", _SET_PREFIX.sub("", word_id))


class _Block:
    def __init__(self, label: str, writer: str, line: int) -> None:
        self.label, self.writer, self.line = label, writer, line
        self.expected: int | None = None
        self.strokes: list[list[tuple[float, float]]] = []
        self.error: str | None = None


def _points(args: str) -> list[tuple[float, float]]:
    count_text, sep, numbers = args.partition("#")
    if not sep:
        raise ValueError("a POINTS line is 'POINTS n # x1 y1 x2 y2 ...'")
    values = [float(v) for v in numbers.split()]
    count = int(count_text)
    if len(values) != 2 * count:
        raise ValueError(f"POINTS says {count} points but gives {len(values) / 2:g}")
    return list(zip(values[0::2], values[1::2]))


def _finish(block: _Block) -> Item:
    where = f"line {block.line} (WORD {block.label})"
    if block.error:
        return Problem(where, block.error)
    if label_problem(block.label):
        return Problem(where, label_problem(block.label) or "")
    if block.expected is not None and len(block.strokes) < block.expected:
        return Problem(
            where,
            f"NUMSTROKES says {block.expected} strokes but only {len(block.strokes)} follow (is the file truncated?)",
        )
    try:
        ink = Ink.from_strokes(block.strokes)
    except InkError as exc:
        return Problem(where, str(exc))
    if ink.num_points == 0:
        return Problem(where, "the character has no points (empty strokes)")
    record = InkRecord(ink=ink, label=block.label, writer=block.writer, source="uji", where=where)
    try:
        check_record(record)
    except FieldError as exc:
        return Problem(where, str(exc))
    return record


def read_records(source: Source) -> Iterator[Item]:
    block: _Block | None = None
    with open_binary(source) as stream:
        for number, line in text_lines(stream):
            text = line.strip()
            if not text or text.startswith("//"):
                continue
            keyword, _, args = text.partition(" ")
            if keyword == "WORD":
                if block is not None:
                    yield _finish(block)
                label, _, word_id = args.strip().partition(" ")
                block = _Block(label, writer_of(word_id.strip()), number)
            elif block is None:
                yield Problem(f"line {number}", f"{keyword} before any WORD: ignored")
            elif block.error:
                continue
            elif keyword == "NUMSTROKES":
                try:
                    block.expected = int(args)
                except ValueError:
                    block.error = f"line {number}: NUMSTROKES {args.strip()!r} is not a whole number"
            elif keyword == "POINTS":
                try:
                    block.strokes.append(_points(args))
                except ValueError as exc:
                    block.error = f"line {number}: {exc}"
            else:
                yield Problem(f"line {number}", f"unknown keyword {keyword!r}: ignored")
    if block is not None:
        yield _finish(block)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def write_uji(records: Iterable[InkRecord], out: IO[str]) -> int:
    """UJI v2 text: the writer becomes the id (spaces made `_`); time is not kept (UJI has none)."""
    count = 0
    for record in records:
        writer = re.sub(r"\s+", "_", record.writer or "anonymous")
        count += 1
        out.write(f"WORD {record.label} {writer}-{count:02d}\n  NUMSTROKES {len(record.ink.strokes)}\n")
        for x_y in record.ink.to_lists():
            numbers = " ".join(f"{_number(p[0])} {_number(p[1])}" for p in x_y)
            out.write(f"  POINTS {len(x_y)} # {numbers}\n")
    return count
