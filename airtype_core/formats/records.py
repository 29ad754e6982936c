"""What every reader yields and every writer takes: one labelled ink with what is known about it.

A reader streams `InkRecord`s and `Problem`s in file order, so that an import
can store the good records and report each bad one with where it was (a line
number or an element), without ever holding the whole file.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from ..recognition.charset import CLASS_INDEX
from ..recognition.ink import Ink


class FormatError(ValueError):
    """A whole file this format cannot read (wrong format, unsafe XML); the message is for a person."""


@dataclass(frozen=True, eq=False)
class InkRecord:
    ink: Ink
    label: str  # one of the 62 classes (readers skip the others, as a Problem)
    writer: str = ""  # who wrote it: becomes a participant on import
    predicted_char: str | None = None
    confidence: float | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    model_version: str | None = None
    inference_ms: float | None = None
    correction_type: str | None = None
    source: str | None = None  # where the sample came from before (canvas, air, import, a dataset)
    collection_session: int | None = None
    created_at: datetime | None = None
    where: str = ""  # "line 12", "traceGroup 3": for messages
    sample_id: int | None = None  # the stored sample it was exported from

    def key(self) -> tuple[str, str]:
        """(ink hash, label): two records with the same key are the same sample."""
        return self.ink.digest(), self.label


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Item = InkRecord | Problem


def label_problem(label: object) -> str | None:
    """Why `label` cannot be imported, or None when it is one of the 62 classes."""
    if isinstance(label, str) and label in CLASS_INDEX:
        return None
    return f"label {label!r} is not one of the 62 classes (0-9, A-Z, a-z)"


def finite_or_none(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def text_lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, text) of a byte stream: UTF-8 (a BOM is dropped), else each line read as Latin-1.

    Line by line, so a file that is UTF-8 but for one Latin-1 word loses nothing.
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text = utf8.decode(raw, final=True)
        except UnicodeDecodeError:
            utf8.reset()
            text = raw.decode("latin-1")
        yield number, text
