"""UNIPEN as records: `unipen.read_unipen` (the one reader, shared with pretraining) seen as a reader of Items.

UNIPEN files `.INCLUDE` others, so the reader needs a path; an upload is written
to a temporary file first and read alone: its includes are reported, never followed
(they would name files of the server, not of the uploader).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from .fields import FieldError, check_record
from .records import InkRecord, Item, Problem
from .sources import Source, open_binary, source_name
from .unipen import read_unipen


def read_records(source: Source) -> Iterator[Item]:
    if isinstance(source, (str, os.PathLike)):
        yield from _items(source, follow_includes=True)
        return
    with tempfile.TemporaryDirectory(prefix="airtype-unipen-") as folder:
        path = os.path.join(folder, os.path.basename(source_name(source)) or "upload.dat")
        with open_binary(source) as stream, open(path, "wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        yield from _items(path, follow_includes=False)


def _items(path: str | os.PathLike[str], follow_includes: bool) -> Iterator[Item]:
    data = read_unipen(path, follow_includes=follow_includes)
    for problem in data.problems:
        yield Problem(f"{os.path.basename(problem.file)}:{problem.line}", problem.message)
    for character in data.characters:
        record = InkRecord(
            ink=character.ink,
            label=character.label,
            writer=character.writer,
            source="unipen",
            where=os.path.basename(character.source),
        )
        try:
            check_record(record)
        except FieldError as exc:
            yield Problem(record.where, str(exc))
            continue
        yield record
    if data.skipped_labels:
        labels = ", ".join(f"{label!r} x{n}" for label, n in data.skipped_labels.most_common(10))
        yield Problem(
            "the file",
            f"{sum(data.skipped_labels.values())} characters with labels outside the 62 classes skipped ({labels})",
        )
