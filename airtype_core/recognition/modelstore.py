"""Model versions on disk: one folder per version with `model.pt` + `manifest.json`.

    <model_dir>/<version>/model.pt        weights (state_dict)
    <model_dir>/<version>/manifest.json   what the weights need and how good they are
    <model_dir>/default.txt               the shipped version (committed)
    <model_dir>/active.txt                the user's choice (absent: the default)

Writes go to a temporary folder that is renamed into place, so a process killed
mid-save never leaves a half-written version behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import torch
from filelock import FileLock

from .charset import CLASSES
from .features import FeatureConfig
from .model import AirTypeNet, ModelConfig

WEIGHTS = "model.pt"  # the two files of a version's folder
MANIFEST = "manifest.json"


class ModelLoadError(RuntimeError):
    """A model version that cannot be used; the message says why."""


class PreprocessingMismatchError(ModelLoadError):
    pass


class VersionNameError(ModelLoadError):
    """A version name that cannot be a folder of the model folder."""


# One folder name on every system: letters, digits, `.`, `_`, `-`, starting with a letter or
# digit (no `..`, no hidden folder, no option-looking `-x`), at most 64 (the database's column).
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def check_version_name(name: object) -> str:
    """`name`, when it can be a model version: one safe folder name. Every version name that comes
    from outside (command line, manifest, pointer file, a page) goes through here before it
    becomes a path. Raises VersionNameError."""
    if (
        not isinstance(name, str)
        or not _SAFE_NAME.fullmatch(name)
        or name.endswith(".")
        or name.split(".")[0].upper() in _WINDOWS_DEVICES
    ):
        raise VersionNameError(
            f"{name!r} is not a model version name: a version name has 1 to 64 letters, digits, '.', '_' "
            "or '-', starts with a letter or digit and does not end with '.'"
        )
    return name


class NoModelForSeqLenError(ModelLoadError):
    """No version was made for the sequence length asked for (AIRTYPE_SEQ_LEN); they differ in that alone."""

    def __init__(self, root: Path, seq_len: int, theirs: list[int]):
        made_for = ", ".join(str(n) for n in sorted(set(theirs)))
        super().__init__(
            f"no model in {root} was made for AIRTYPE_SEQ_LEN={seq_len} (they were made for {made_for}): "
            f"unset AIRTYPE_SEQ_LEN, or train a model for {seq_len} (Training page, full training)"
        )
        self.seq_len = seq_len


@dataclass(frozen=True)
class Manifest:
    version: str
    created_at: str
    preprocessing: str
    classes: list[str]
    temperature: float
    seq_len: int
    model_config: dict
    metrics: dict = field(default_factory=dict)
    parent_version: str | None = None
    training: dict = field(default_factory=dict)
    # The model card: what it learned from (source, licence, sites, counts), the recipe,
    # its figures on held-out data. Credit for CC BY data travels with the weights.
    card: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class LoadedModel:
    model: AirTypeNet
    manifest: Manifest
    warning: str | None = None  # set when the active version failed and another was loaded


def new_version_name(prefix: str = "v") -> str:
    return f"{prefix}{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"


class ModelStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._switch: FileLock | None = None

    def switching(self) -> FileLock:
        """The lock held while the active version is checked and changed, across processes
        (`with store.switching(): ...`); re-entrant in one thread, so activate() inside is fine."""
        if self._switch is None:
            self._switch = FileLock(self.root / ".active.lock")
        return self._switch

    def folder(self, version: str) -> Path:
        """The folder of `version`, inside the model folder (VersionNameError for any other name)."""
        return self.root / check_version_name(version)

    # --- which version is active --------------------------------------------------
    def default_version(self) -> str | None:
        path = self.root / "default.txt"
        return path.read_text().strip() if path.exists() else None

    def active_version(self) -> str | None:
        path = self.root / "active.txt"
        if path.exists():
            name = path.read_text().strip()
            if name:
                return name
        return self.default_version()

    def activate(self, version: str) -> None:
        self.manifest(version)  # a version of this folder, whose manifest says so (before any lock file is made)
        with self.switching():
            self.manifest(version)  # still there
            _atomic_write_text(self.root / "active.txt", version + "\n")

    def pointer_stamp(self) -> tuple:
        """Changes whenever the active version may have changed (cheap to poll)."""
        path = self.root / "active.txt"
        return (path.stat().st_mtime_ns if path.exists() else None, self.active_version())

    # --- listing, saving, loading --------------------------------------------------
    def manifests(self) -> list[Manifest]:
        """Every readable version, newest first."""
        out = []
        for path in self.root.glob(f"*/{MANIFEST}"):
            try:
                out.append(self.manifest(path.parent.name))
            except ModelLoadError:
                continue  # not a usable version: load() says why when it is asked for
        return sorted(out, key=lambda m: m.created_at, reverse=True)

    def manifest(self, version: str) -> Manifest:
        """The manifest of `version`; refused when it names another version than its folder."""
        try:
            manifest = Manifest.from_dict(json.loads((self.folder(version) / MANIFEST).read_text()))
        except FileNotFoundError:
            raise ModelLoadError(f"there is no model version {version!r} (no {version}/{MANIFEST})") from None
        except (OSError, ValueError, TypeError) as exc:
            raise ModelLoadError(f"the manifest of {version!r} is unreadable: {exc}") from None
        if manifest.version != version:
            raise ModelLoadError(
                f"the manifest in folder {version!r} says it is version {manifest.version!r}: refused. "
                f"Name the folder {manifest.version!r} (or put the version's own folder back)."
            )
        return manifest

    def save(self, model: AirTypeNet, manifest: Manifest) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.folder(manifest.version)
        if final.exists():
            raise FileExistsError(f"model version {manifest.version!r} already exists")
        staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=self.root))
        try:
            torch.save(model.state_dict(), staging / WEIGHTS)
            (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
            staging.chmod(0o755)  # mkdtemp makes it private; a model folder is not
            os.replace(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return final

    def load(self, version: str, features: FeatureConfig | None = None) -> LoadedModel:
        manifest = self.manifest(version)
        features = features or FeatureConfig(manifest.seq_len)
        if manifest.preprocessing != features.signature:
            raise PreprocessingMismatchError(
                f"model {version!r} was trained with preprocessing {manifest.preprocessing!r}, "
                f"but this code computes {features.signature!r}; retrain it or use a matching version"
            )
        if list(manifest.classes) != list(CLASSES):
            raise ModelLoadError(f"model {version!r} predicts other classes than the 62 this code knows")
        try:
            model = AirTypeNet(ModelConfig(**manifest.model_config))
            state = torch.load(self.folder(version) / WEIGHTS, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as exc:  # corrupt or truncated file, wrong shapes
            raise ModelLoadError(f"the weights of model {version!r} cannot be loaded: {exc}") from None
        model.eval()
        return LoadedModel(model, manifest)

    def load_active(self, features: FeatureConfig | None = None) -> LoadedModel:
        """The active version or, if it fails, the previous good one (its parents, then newest first)."""
        wanted = self.active_version()
        candidates: list[str] = []
        if wanted:
            candidates.append(wanted)
            try:
                parent = self.manifest(wanted).parent_version
                while parent and parent not in candidates:
                    candidates.append(parent)
                    parent = self.manifest(parent).parent_version
            except ModelLoadError:
                pass
        default = self.default_version()
        candidates += [v for v in [default] + [m.version for m in self.manifests()] if v and v not in candidates]

        first_error, other_seq_lens = None, []
        for version in candidates:
            try:
                loaded = self.load(version, features)
            except ModelLoadError as exc:
                first_error = first_error or exc
                other_seq_lens.append(self._other_seq_len(version, exc, features))
                continue
            if version != wanted:
                reason = first_error or f"model {wanted!r} is missing"
                return LoadedModel(loaded.model, loaded.manifest, f"{reason}. Using {version!r} instead.")
            return loaded
        if features is not None and other_seq_lens and None not in other_seq_lens:
            raise NoModelForSeqLenError(self.root, features.seq_len, [n for n in other_seq_lens if n is not None])
        raise ModelLoadError(f"no usable model in {self.root}: {first_error or 'no versions'}")

    def _other_seq_len(self, version: str, exc: ModelLoadError, features: FeatureConfig | None) -> int | None:
        """The sequence length `version` was made for, when that alone kept it from loading."""
        if features is None or not isinstance(exc, PreprocessingMismatchError):
            return None
        manifest = self.manifest(version)
        same_otherwise = FeatureConfig(manifest.seq_len).signature == manifest.preprocessing
        return manifest.seq_len if same_otherwise and manifest.seq_len != features.seq_len else None


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
