"""UNIPEN as records: `unipen.read_unipen` (the one reader, shared with pretraining) seen as a reader of Items.

UNIPEN files `.INCLUDE` others, so the reader needs a path; an upload is written
to a temporary file first (its includes, if any, are then reported missing).
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterator

from .records import InkRecord, Item, Problem
from .sources import Source, open_binary, source_name
from .unipen import read_unipen


def read_records(source: Source) -> Iterator[Item]:
    if isinstance(source, (str, os.PathLike)):
        yield from _items(source)
        return
    with tempfile.TemporaryDirectory(prefix="airtype-unipen-") as folder:
        path = os.path.join(folder, os.path.basename(source_name(source)) or "upload.dat")
        with open_binary(source) as stream, open(path, "wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        yield from _items(path)


def _items(path: str | os.PathLike[str]) -> Iterator[Item]:
    data = read_unipen(path)
    for problem in data.problems:
        yield Problem(f"{os.path.basename(problem.file)}:{problem.line}", problem.message)
    for character in data.characters:
        yield InkRecord(ink=character.ink, label=character.label, writer=character.writer,
                        source="unipen", where=character.source)
    if data.skipped_labels:
        labels = ", ".join(f"{label!r} x{n}" for label, n in data.skipped_labels.most_common(10))
        yield Problem("the file", f"{sum(data.skipped_labels.values())} characters with labels outside the "
                                  f"62 classes skipped ({labels})")
