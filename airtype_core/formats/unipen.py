"""UNIPEN: the 1990s exchange format of on-line handwriting, read into labeled `Ink`s.

    data = read_unipen("../shared/data/unipen-train")        # a file or a folder
    data.characters  -> [UnipenCharacter(label, writer "site/writer", ink (y down), source "file:line")]
    data.problems    -> [UnipenProblem(file, line, kind, message)]   bad input, counted, never raised
    data.skipped_labels -> Counter of labels outside the 62 classes

A UNIPEN file is a list of keywords (`.NAME arguments`), the arguments running
on until the next line that starts with a keyword. What this reader uses:
- `.INCLUDE name`: the named file is read in place (pen data usually lives in
  an `include/` folder beside `data/`). Only a file inside the folder being
  read is followed: an absolute name, a `..` or a symbolic link that leads out
  of it is refused (and never read, so none of its lines reach a message); a
  reader told `follow_includes=False` (an uploaded file) follows none;
- `.PEN_DOWN` / `.PEN_UP`: one component each, its points one per line. Both
  count: components are numbered from 0 over pen-down *and* pen-up streams
  (some tablets record the pen moving in the air), empty streams not counted;
  the count restarts with each top-level file and at `.START_SET`;
- `.SEGMENT CHARACTER <delineation> <quality> "<label>"`: a delineation is a
  comma list of ranges `A[:M]-[B[:N]]`, from component A (point M) to component
  B (point N), both ends included; only the pen-down traces of a range are ink;
- `.WRITER_ID`: the writer of the components that follow;
- `.COORD`: the columns of a point; x and y are the first two.
UNIPEN's y grows upward; `Ink` wants it downward, so y is negated (pass
`y_axis="down"` for files written in screen coordinates).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ..recognition.charset import CLASS_INDEX
from ..recognition.ink import Ink, InkError

# Keywords of the UNIPEN definition; anything else is reported (and its arguments ignored).
KNOWN_KEYWORDS = frozenset(
    """
    VERSION INCLUDE COMMENT RESERVED
    DATA_SOURCE DATA_ID DATA_CONTACT DATA_INFO SETUP PAD ALPHABET ALPHABET_FREQ
    LEXICON LEXICON_SOURCE LEXICON_ID LEXICON_CONTACT LEXICON_INFO LEXICON_FREQ HIERARCHY
    COORD X_DIM Y_DIM H_LINE V_LINE X_POINTS_PER_INCH Y_POINTS_PER_INCH Z_POINTS_PER_INCH
    X_POINTS_PER_MM Y_POINTS_PER_MM Z_POINTS_PER_MM POINTS_PER_GRAM POINTS_PER_SECOND
    WRITER_ID STYLE SKILL HAND SEX DATE AGE COUNTRY WRITER_INFO RECORDING_CONTEXT
    START_SET START_BOX PEN_DOWN PEN_UP DT SEGMENT
""".split()
)

CHARACTER_LEVEL = "CHARACTER"
_RANGE_END = re.compile(r"^(\d+)(?::(\d+))?$")  # "A" or "A:M"
_LABEL = re.compile(r'"((?:\\.|[^"\\])*)"')


class UnipenFormatError(ValueError):
    """A delineation or segment line this reader cannot make sense of."""


@dataclass(frozen=True)
class UnipenCharacter:
    label: str
    writer: str  # "site/writer"
    ink: Ink  # y grows downward, tablet units
    source: str  # "path:line" of the .SEGMENT

    @property
    def site(self) -> str:
        return self.writer.split("/", 1)[0]


@dataclass(frozen=True)
class UnipenProblem:
    file: str
    line: int
    kind: str  # missing-include, unknown-keyword, segment-out-of-range, bad-segment, latin-1, empty-component, ...
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class UnipenData:
    characters: list[UnipenCharacter] = field(default_factory=list)
    problems: list[UnipenProblem] = field(default_factory=list)
    skipped_labels: Counter = field(default_factory=Counter)  # labels outside the 62 classes
    files: int = 0  # top-level files read

    def problem_counts(self) -> Counter:
        return Counter(p.kind for p in self.problems)

    def sites(self) -> list[str]:
        return sorted({c.site for c in self.characters})

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.problem_counts().items())) or "none"
        skipped = sum(self.skipped_labels.values())
        return (
            f"{len(self.characters)} characters from {self.files} files, {len(self.sites())} sites; "
            f"{skipped} outside the 62 classes skipped; problems: {kinds}"
        )


@dataclass
class _Component:
    pen_down: bool
    points: np.ndarray  # (N, 2) x, y as written in the file
    writer: str


@dataclass
class _Segment:
    delineation: str
    label: str
    line: int
    file: str


def parse_delineation(text: str) -> list[tuple[int, int | None, int, int | None]]:
    """'2:1-2:25,4' -> [(2, 1, 2, 25), (4, None, 4, None)]: (A, M, B, N), None = whole end."""
    ranges = []
    for part in text.split(","):
        part = part.strip()
        start, sep, end = part.partition("-")
        a = _RANGE_END.match(start)
        b = _RANGE_END.match(end) if sep else a
        if not part or a is None or b is None:
            raise UnipenFormatError(f"cannot read the delineation {text!r}")
        m = int(a.group(2)) if a.group(2) is not None else None
        n = int(b.group(2)) if b.group(2) is not None else None
        if not sep and m is not None:  # "A:M" alone: one point
            n = m
        ranges.append((int(a.group(1)), m, int(b.group(1)), n))
    return ranges


def _site_of(path: Path, root: Path) -> str:
    """'data/1c/apa/apa19/x.dat' -> 'apa'; otherwise the first folder under root, or the file's stem."""
    parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts[-1:]
    if "data" in parts:
        i = parts.index("data")
        rest = parts[i + 1 :]
        if len(rest) >= 3 and re.fullmatch(r"\d+[a-z]?", rest[0]):  # data/<set>/<site>/...
            return rest[1]
        if len(rest) >= 2:
            return rest[0]
    return parts[0] if len(parts) > 1 else path.stem


def _decode(raw: bytes, file: str, problems: list[UnipenProblem]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(UnipenProblem(file, line, "latin-1", "not UTF-8: read as Latin-1"))
        return raw.decode("latin-1")


class _FileReader:
    """Reads one top-level file (and what it includes) into characters."""

    def __init__(self, path: Path, root: Path, out: UnipenData, y_axis: str, follow_includes: bool = True):
        self.root, self.out, self.flip = root, out, y_axis == "up"
        self.real_root = root.resolve()
        self.follow_includes = follow_includes
        self.site = _site_of(path, root)
        self.default_writer = path.stem
        self.writer: str | None = None
        self.components: list[_Component] = []
        self.segments: list[_Segment] = []
        self.reading: list[Path] = []  # include chain, to refuse cycles

    def problem(self, file: str, line: int, kind: str, message: str) -> None:
        self.out.problems.append(UnipenProblem(file, line, kind, message))

    def read(self, path: Path) -> None:
        self.reading.append(path.resolve())
        file = str(path)
        try:
            text = _decode(path.read_bytes(), file, self.out.problems)
        except OSError as exc:
            self.problem(file, 0, "unreadable-file", f"cannot read the file ({exc.strerror})")
            self.reading.pop()
            return
        for keyword, args, body, line in _keywords(text):
            self.keyword(path, keyword, args, body, line)
        self.reading.pop()

    def keyword(self, path: Path, keyword: str, args: str, body: list[str], line: int) -> None:
        file = str(path)
        if keyword in ("PEN_DOWN", "PEN_UP"):
            points = self.points(body, args, file, line)
            if len(points):
                self.components.append(_Component(keyword == "PEN_DOWN", points, self.writer or self.default_writer))
            elif keyword == "PEN_DOWN":  # an empty pen-up is a mere lift; an empty pen-down is a broken file
                self.problem(file, line, "empty-component", ".PEN_DOWN without points (not counted)")
        elif keyword == "SEGMENT":
            level, _, rest = args.partition(" ")
            if level.strip() != CHARACTER_LEVEL:
                return
            fields = rest.split()
            label = _LABEL.search(rest)
            if not fields or label is None:
                self.problem(
                    file, line, "bad-segment", f"a .SEGMENT CHARACTER needs a delineation and a quoted label: {args!r}"
                )
                return
            self.segments.append(_Segment(fields[0], label.group(1).replace('\\"', '"'), line, file))
        elif keyword == "INCLUDE":
            self.include(path, args.strip(), line)
        elif keyword == "WRITER_ID":
            self.writer = args.split()[0] if args.split() else None
        elif keyword == "START_SET":
            self.finish_set()
        elif keyword not in KNOWN_KEYWORDS:
            self.problem(file, line, "unknown-keyword", f"unknown keyword .{keyword} (ignored)")

    def points(self, body: list[str], args: str, file: str, line: int) -> np.ndarray:
        rows = []
        for k, text in enumerate([args, *body]):
            values = text.split()
            if not values:
                continue
            try:
                rows.append((float(values[0]), float(values[1])))
            except (ValueError, IndexError):
                self.problem(file, line + k, "bad-point", f"not a point: {text.strip()!r} (skipped)")
        return np.array(rows, dtype=np.float64).reshape(-1, 2)

    def include(self, path: Path, name: str, line: int) -> None:
        if not self.follow_includes:
            self.problem(
                str(path),
                line,
                "include-not-followed",
                f".INCLUDE {name!r} not followed: an uploaded file is read alone (import the folder "
                "from the command line, `python -m airtype_core import FOLDER`, to read its includes)",
            )
            return
        if _leaves_folder(name):
            self.problem(
                str(path),
                line,
                "include-refused",
                f".INCLUDE {name!r} refused: an included file must be inside the folder being imported",
            )
            return
        target = self.find_include(path, name)
        if target is not None and not target.resolve().is_relative_to(self.real_root):
            self.problem(
                str(path),
                line,
                "include-refused",
                f".INCLUDE {name!r} refused: it is a link to a file outside the folder being imported, "
                "and an included file must be inside it",
            )
        elif target is None:
            self.problem(str(path), line, "missing-include", f"included file {name!r} not found")
        elif target.resolve() in self.reading:
            self.problem(str(path), line, "include-cycle", f"{name!r} includes itself")
        else:
            self.read(target)

    def find_include(self, path: Path, name: str) -> Path | None:
        """Beside the including file, then in every `include/` folder (or folder) above it."""
        if not name:
            return None
        candidates = [path.parent / name]
        for folder in path.parents:
            candidates += [folder / "include" / name, folder / name]
            if folder == self.root:
                break
        return next((c for c in candidates if c.is_file()), None)

    def finish_set(self) -> None:
        """Resolve the set's segments against its components, then start counting anew."""
        for segment in self.segments:
            self.character(segment)
        self.components, self.segments = [], []

    def character(self, segment: _Segment) -> None:
        if segment.label not in CLASS_INDEX:
            self.out.skipped_labels[segment.label] += 1
            return
        try:
            ranges = parse_delineation(segment.delineation)
        except UnipenFormatError as exc:
            self.problem(segment.file, segment.line, "bad-segment", str(exc))
            return
        strokes, writer = [], None
        for a, m, b, n in ranges:
            if a > b or (a == b and m is not None and n is not None and m > n):
                self.problem(segment.file, segment.line, "bad-segment", f"{segment.delineation} runs backwards")
                return
            if b >= len(self.components):
                self.problem(
                    segment.file,
                    segment.line,
                    "segment-out-of-range",
                    f"{segment.delineation} points past the last component ({len(self.components) - 1})",
                )
                return
            for c in range(a, b + 1):
                comp = self.components[c]
                writer = writer or comp.writer
                lo = m if c == a and m is not None else 0
                hi = n + 1 if c == b and n is not None else len(comp.points)
                if comp.pen_down and hi > lo:
                    strokes.append(comp.points[lo:hi])
        strokes = [s for s in strokes if len(s)]
        if not strokes:
            self.problem(
                segment.file, segment.line, "empty-character", f"{segment.delineation} holds no pen-down points"
            )
            return
        if self.flip:
            strokes = [s * np.array([1.0, -1.0]) for s in strokes]
        try:
            ink = Ink.from_strokes(strokes)  # type: ignore[arg-type]  # (n, 2) arrays are point sequences
        except InkError as exc:
            self.problem(segment.file, segment.line, "bad-ink", str(exc))
            return
        self.out.characters.append(
            UnipenCharacter(segment.label, f"{self.site}/{writer}", ink, f"{segment.file}:{segment.line}")
        )


def _leaves_folder(name: str) -> bool:
    """True when an include name is absolute (on any system) or climbs with `..`."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or name.startswith(("/", "\\")):
        return True
    return ".." in posix.parts or ".." in windows.parts


def _keywords(text: str) -> Iterable[tuple[str, str, list[str], int]]:
    """(keyword, arguments on its line, following lines, 1-based line number) for each keyword."""
    current: tuple[str, str, list[str], int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("."):
            if current:
                yield current
            name, _, args = raw[1:].partition(" ")
            name, _, tab_args = name.partition("\t")  # ".COORD\tX Y"
            current = (name.strip(), (tab_args + " " + args).strip(), [], number)
        elif current:
            current[2].append(raw)
    if current:
        yield current


def unipen_files(path: str | os.PathLike) -> tuple[Path, list[Path]]:
    """(root, top-level files): a folder's `data/` files (or all of its files), or the one file given."""
    root = Path(path)
    if root.is_file():
        return root.parent, [root]
    data = root / "data"
    base = data if data.is_dir() else root
    files = sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))
    if base == root:  # no data/ folder: leave out what other files include
        files = [p for p in files if "include" not in p.relative_to(root).parts]
    return root, files


def read_unipen(
    path: str | os.PathLike,
    sites: Iterable[str] | None = None,
    exclude_sites: Iterable[str] = (),
    y_axis: str = "up",
    follow_includes: bool = True,
) -> UnipenData:
    """Every labeled character of the 62 classes under `path` (a UNIPEN file or folder).

    Files (and includes) are read only inside the folder: a link out of it is reported, not read.
    """
    if y_axis not in ("up", "down"):
        raise ValueError("y_axis is 'up' (UNIPEN's definition) or 'down'")
    root, files = unipen_files(path)
    keep = set(sites) if sites is not None else None
    drop = set(exclude_sites)
    out = UnipenData()
    real_root, folder = root.resolve(), Path(path).is_dir()
    for file in files:
        site = _site_of(file, root)
        if (keep is not None and site not in keep) or site in drop:
            continue
        if folder and not file.resolve().is_relative_to(real_root):
            out.problems.append(
                UnipenProblem(
                    str(file), 0, "link-refused", "a link to a file outside the folder being imported: not read"
                )
            )
            continue
        reader = _FileReader(file, root, out, y_axis, follow_includes)
        reader.read(file)
        reader.finish_set()
        out.files += 1
    return out
