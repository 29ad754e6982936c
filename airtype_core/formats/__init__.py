"""Formats: handwriting files in and out (JSON lines, InkML, UJI Pen, UNIPEN, CSV of metadata).

Readers stream `records.InkRecord`s and `records.Problem`s (each bad record with
its line or element, never raised), keep only the 62 classes, and take UTF-8
(with or without BOM) or Latin-1; writers stream. Imports `recognition` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .records import FormatError, Item
from .sources import Source

READ_FORMATS = ("jsonl", "inkml", "uji", "unipen")
WRITE_FORMATS = ("jsonl", "csv", "inkml")
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".inkml": "inkml",
    ".xml": "inkml",
    ".txt": "uji",
    ".uji": "uji",
    ".dat": "unipen",
    ".unipen": "unipen",
}


def guess_format(name: str) -> str:
    """The format a file name suggests; FormatError when it suggests none."""
    lower = name.lower()
    for suffix, fmt in _SUFFIXES.items():
        if lower.endswith(suffix):
            return fmt
    raise FormatError(f"cannot tell the format of {name!r} from its name: say which ({', '.join(READ_FORMATS)})")


def reader(fmt: str) -> Callable[[Source], Iterator[Item]]:
    if fmt == "jsonl":
        from .jsonl import read_records
    elif fmt == "inkml":
        from .inkml import read_records
    elif fmt == "uji":
        from .uji import read_records
    elif fmt == "unipen":
        from .unipen_records import read_records
    else:
        raise FormatError(f"unknown format {fmt!r}: use one of {', '.join(READ_FORMATS)}")
    return read_records
