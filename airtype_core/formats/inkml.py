"""W3C InkML (https://www.w3.org/TR/InkML/): written one `<traceGroup>` per sample, read streaming.

    <ink xmlns="http://www.w3.org/2003/InkML">
      <traceFormat> X Y, T intermittent (only strokes that had a clock carry it) </traceFormat>
      <traceGroup xml:id="sample-12">
        <annotation type="truth">a</annotation>
        <annotation type="writer">ana</annotation> ... source, predicted, confidence, ...
        <trace>10 20 0.0, 11 22 0.016, ...</trace>     one per stroke
      </traceGroup>
    </ink>

The reader also takes files of other writers: a truth annotation on `<ink>`
over loose `<trace>`s (one character a file), and `<traceView traceDataRef>`
groups (CROHME-like). It parses with defusedxml, which refuses DTDs' entity
declarations, so an entity-expansion bomb is reported instead of eating memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .. import limits
from ..recognition.ink import Ink, InkError
from .fields import check_record, text_field, timestamp_field, writer_field
from .records import InkRecord, Item, Problem, finite_or_none, label_problem, text_lines
from .sources import Source, open_binary

NS = "http://www.w3.org/2003/InkML"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Utf8Lines:
    """A file-like `read()` over a byte stream whose lines are UTF-8 or Latin-1 (see text_lines), as UTF-8.

    Used only when the XML declaration names no other encoding: expat would stop at
    the first Latin-1 byte of a file that does not say it is Latin-1.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines = (text.encode("utf-8") for _, text in text_lines(stream))
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._lines, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _annotations(element: Element) -> dict[str, str]:
    return {child.get("type", ""): (child.text or "").strip() for child in element if _local(child.tag) == "annotation"}


def _trace_points(text: str) -> list[list[float]]:
    points = []
    for point in (text or "").split(","):
        values = point.split()
        if not values:
            continue
        if len(values) not in (2, 3):
            raise InkError(f"a point has {len(values)} values; this reader takes X Y or X Y T")
        try:
            points.append([float(v) for v in values])
        except ValueError:
            raise InkError(
                f"{point.strip()!r} is not a point of numbers (difference-encoded traces are not read)"
            ) from None
    return points


def _record(notes: dict[str, str], strokes: list[list[list[float]]], where: str) -> Item:
    label = notes.get("truth", "")
    if label_problem(label):
        return Problem(where, label_problem(label) or "")
    predicted = notes.get("predicted") or None
    try:
        ink = Ink.from_strokes(strokes)
        if ink.num_points == 0:
            return Problem(where, "the character has no points (empty traces)")
        if predicted is not None and label_problem(predicted):
            return Problem(where, f"predicted character {predicted!r} is not one of the 62 classes")
        record = InkRecord(
            ink=ink,
            label=label,
            writer=writer_field(notes.get("writer")),
            predicted_char=predicted,
            confidence=finite_or_none(notes.get("confidence") or None),
            model_version=text_field("model version", notes.get("model_version"), limits.MODEL_VERSION),
            correction_type=text_field("correction type", notes.get("correction_type"), limits.CORRECTION_TYPE),
            source=text_field("source", notes.get("source"), limits.SOURCE) or "inkml",
            created_at=timestamp_field(notes.get("created_at")),
            where=where,
        )
        check_record(record)
        return record
    except (InkError, ValueError) as exc:
        return Problem(where, str(exc))


def read_records(source: Source) -> Iterator[Item]:
    with open_binary(source) as stream:
        declared = _DECLARED.match(stream.read(200).lstrip(b"\xef\xbb\xbf"))
        stream.seek(0)
        utf8 = declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")
        yield from _parse(_Utf8Lines(stream) if utf8 else stream)


def _parse(stream: object) -> Iterator[Item]:
    depth_in_groups, groups, loose = 0, 0, {}
    loose_order: list[str] = []
    used: set[str] = set()
    root: Element | None = None
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=False):
            name = _local(element.tag)
            if event == "start":
                root = element if root is None else root
                depth_in_groups += name == "traceGroup"
                continue
            if name == "trace" and depth_in_groups == 0:
                key = element.get(XML_ID) or f"#{len(loose_order)}"
                loose[key] = element.text or ""
                loose_order.append(key)
            elif name == "traceGroup":
                depth_in_groups -= 1
                groups += 1
                item = _group(element, groups, loose, used)
                if item is not None:
                    yield item
                element.clear()
            elif name == "ink" and root is not None and element is root:
                notes = _annotations(root)
                rest = [k for k in loose_order if k not in used]
                if "truth" in notes and rest:
                    try:
                        strokes = [_trace_points(loose[k]) for k in rest]
                    except InkError as exc:
                        yield Problem("<ink>", str(exc))
                    else:
                        yield _record(notes, strokes, "<ink>")
    except DefusedXmlException as exc:
        yield Problem(
            "the file",
            f"refused: it declares XML entities or a DTD ({type(exc).__name__}); nothing after that point was read",
        )
    except (LookupError, ValueError) as exc:  # an encoding expat cannot use: unknown, multi-byte, not text
        yield Problem(
            "the file", f"cannot be read in the encoding its XML declaration names ({exc}); what came before was read"
        )
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        yield Problem(
            f"line {line}, column {column}",
            "the XML is broken here (is the file truncated?); what came before was read",
        )


def _group(element: Element, number: int, loose: dict[str, str], used: set[str]) -> Item | None:
    notes = _annotations(element)
    where = f"traceGroup {number}" + (f" ({element.get(XML_ID)})" if element.get(XML_ID) else "")
    texts = [child.text or "" for child in element if _local(child.tag) == "trace"]
    for child in element:
        if _local(child.tag) == "traceView":
            ref = (child.get("traceDataRef") or "").lstrip("#")
            if ref in loose:
                texts.append(loose[ref])
                used.add(ref)
    if "truth" not in notes:
        return None if not texts else Problem(where, "no truth annotation (the label): skipped")
    try:
        strokes = [_trace_points(text) for text in texts]
    except InkError as exc:
        return Problem(where, str(exc))
    return _record(notes, strokes, where)


# --- writing ---------------------------------------------------------------------

_HEADER = f"""<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="{NS}">
  <traceFormat>
    <channel name="X" type="decimal"/>
    <channel name="Y" type="decimal"/>
    <intermittentChannels>
      <channel name="T" type="decimal"/>
    </intermittentChannels>
  </traceFormat>
"""


def write_inkml(records: Iterable[InkRecord], out: IO[str]) -> int:
    """One traceGroup per record, its xml:id `sample-<id>` when it was a stored sample."""
    out.write(_HEADER)
    count = 0
    for record in records:
        count += 1
        xml_id = f"sample-{record.sample_id}" if record.sample_id is not None else f"r{count}"
        out.write(f'  <traceGroup xml:id="{escape(xml_id)}">\n')
        notes = {
            "truth": record.label,
            "writer": record.writer,
            "source": record.source,
            "predicted": record.predicted_char,
            "confidence": None if record.confidence is None else repr(record.confidence),
            "model_version": record.model_version,
            "correction_type": record.correction_type,
            "created_at": record.created_at.isoformat() if record.created_at else None,
        }
        for kind, value in notes.items():
            if value:
                out.write(f'    <annotation type="{kind}">{escape(value)}</annotation>\n')
        for stroke in record.ink.to_lists():
            out.write("    <trace>" + ", ".join(" ".join(repr(v) for v in p) for p in stroke) + "</trace>\n")
        out.write("  </traceGroup>\n")
    out.write("</ink>\n")
    return count
