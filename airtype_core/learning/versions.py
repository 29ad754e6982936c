"""Model versions: the folders on disk (the truth), mirrored in the database for the pages.

list_versions(store)                      -> [VersionInfo], newest first
activate_version(version, store, storage) -> a rollback, or training's activation
sync_versions(storage, store)             -> the database catches up with the disk
version_archive(store, version)           -> a zip of one version, for a download
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..recognition.modelstore import (
    MANIFEST,
    WEIGHTS,
    Manifest,
    ModelLoadError,
    ModelStore,
)
from ..storage.store import Storage


@dataclass(frozen=True)
class VersionInfo:
    version: str
    created_at: str
    parent_version: str | None
    kind: str  # pretrain | finetune | full
    held_out_top1: float | None  # on the held-out samples of the run that made it
    parent_top1: float | None  # the then-active model on the same samples
    reason: str | None  # why training activated it or kept it back
    is_active: bool
    is_default: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    learned_from: str = ""  # the model card's data, in one line: "UNIPEN train_r01_v07 (CC BY 4.0, ...) + ..."
    measured_on: str = ""  # what held_out_top1 was measured on: figures on different sets do not compare


def _measured_on(manifest: Manifest, metrics: dict[str, Any]) -> str:
    if (n := metrics.get("held_out_samples")) is not None:  # a training run's verdict
        parent = (metrics.get("parent") or {}).get("held_out_top1")
        same = f"; {manifest.parent_version} scored {parent:.1%} on the same" if parent is not None else ""
        return f"{n} of your held-out sample{'s' if n != 1 else ''}{same}"
    held_out = manifest.card.get("held_out") or {}
    count = f"{held_out['samples']:,} inks: " if held_out.get("samples") else ""
    return f"{count}{held_out.get('what', '')}".rstrip(": ")


def card_summary(card: dict[str, Any]) -> str:
    """One line naming what a version learned from, its licence and credit (from the model card)."""
    parts = []
    for source in card.get("data", []):
        details = [source.get("licence"), source.get("doi") and f"doi:{source['doi']}"]
        if source.get("characters"):
            details.append(f"{source['characters']:,} characters, {len(source.get('sites', []))} sites")
        if source.get("samples"):
            details.append(f"{source['samples']} samples")
        parts.append(f"{source.get('name', '?')} ({', '.join(d for d in details if d)})")
    return " + ".join(parts)


def _run_metrics(manifest: Manifest) -> dict[str, Any]:
    """What the run that made a version measured, without its per-epoch history."""
    return {k: v for k, v in manifest.metrics.items() if k != "history"}


def list_versions(store: ModelStore) -> list[VersionInfo]:
    """Every readable version, newest first."""
    active, default = store.active_version(), store.default_version()
    out = []
    for m in store.manifests():
        metrics = _run_metrics(m)
        # a pretrained version has no run verdict: its card's held-out figure stands in
        held_out = metrics.get("held_out_top1", (m.card.get("held_out") or {}).get("top1"))
        out.append(
            VersionInfo(
                m.version,
                m.created_at,
                m.parent_version,
                str(m.training.get("kind", "pretrain")),
                held_out,
                (metrics.get("parent") or {}).get("held_out_top1"),
                metrics.get("reason"),
                m.version == active,
                m.version == default,
                metrics,
                card_summary(m.card),
                _measured_on(m, metrics),
            )
        )
    return out


def sync_versions(storage: Storage, store: ModelStore) -> None:
    """Record in the database the versions found on disk (the shipped one, say) and which is active."""
    recorded = {v.version: v for v in storage.list_model_versions()}
    manifests = store.manifests()
    for m in manifests:
        if m.version not in recorded:
            storage.record_model_version(m.version, store.folder(m.version), m.parent_version, _run_metrics(m))
    active = store.active_version()
    if active in {m.version for m in manifests} and not (active in recorded and recorded[active].is_active):
        storage.set_active_model_version(active)


def activate_version(version: str, store: ModelStore, storage: Storage | None = None) -> None:
    """Make `version` the one every predictor uses (training, or a rollback). The pointer file is
    the truth (predictors poll it); the database row follows it."""
    store.load(version)  # refuse a version that cannot be loaded before anyone switches to it
    store.activate(version)
    if storage is not None:
        sync_versions(storage, store)


def version_archive(store: ModelStore, version: str) -> bytes:
    """`version` as a zip of its folder (weights and manifest), for a download: unpacked into
    another AirType's `data/models/`, it is a version that machine can activate."""
    store.manifest(version)  # a version of this folder, under its own name
    folder = store.folder(version)
    files = [folder / WEIGHTS, folder / MANIFEST]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ModelLoadError(f"model version {version!r} has no {' or '.join(missing)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.write(f, f"{version}/{f.name}")
    return buffer.getvalue()
