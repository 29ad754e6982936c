"""Where a reader's bytes come from: a path, or an open binary stream (an upload)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Union

Source = Union[str, "os.PathLike[str]", IO[bytes]]


@contextmanager
def open_binary(source: Source) -> Iterator[IO[bytes]]:
    """A binary stream of `source`; a stream given by the caller is read from its start and left open."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
        return
    if hasattr(source, "seek"):
        source.seek(0)
    yield source


def source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source))
    return str(getattr(source, "name", "") or "upload")


def source_size(source: Source) -> int | None:
    """The size in bytes of a path or a seekable stream, None when it cannot be told."""
    if isinstance(source, (str, os.PathLike)):
        try:
            return os.path.getsize(source) if os.path.isfile(source) else None
        except OSError:
            return None
    size = getattr(source, "size", None)  # an upload knows its size
    if isinstance(size, int):
        return size
    if hasattr(source, "seek") and hasattr(source, "tell"):
        here = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(here)
        return int(end)
    return None
