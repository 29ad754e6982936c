"""Where a reader's bytes come from: a path, or an open binary stream (an upload)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import IO, Iterator, Union

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
