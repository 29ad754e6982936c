"""Pretraining the default model: real handwriting (UNIPEN) and synthetic handwriting, one command.

    python -m airtype_core pretrain --out data/models --minutes 30 --seed 0                  # synthetic only
    python -m airtype_core pretrain --unipen DIR --init hershey-v3 --minutes 30 --seed 0     # + real writers

`--minutes` is turned into a fixed number of training samples at a nominal
speed of the reference machine (2 CPU cores), so the same command gives the
same model everywhere; a faster machine simply finishes sooner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import torch

from ..recognition.calibration import MIN_TEMPERATURE, calibrated, fit_temperature
from ..recognition.charset import CLASSES, category
from ..recognition.evaluation import summarize
from ..recognition.features import FeatureConfig
from ..recognition.modelstore import Manifest, ModelLoadError, ModelStore
from .realset import BalancedEpochs, features_of, featurize_pool, split_writers
from .synth import SynthConfig, synthetic_dataset
from .trainer import TrainConfig, Trainer, TrainProgress, evaluate_logits
from .workers import map_chunks

NOMINAL_SAMPLES_PER_S = 330  # training throughput of the reference 2-core machine
EPOCHS = 3  # each synthetic sample is seen this many times
VAL_PER_CLASS = 40

UNIPEN_SOURCE = {
    "name": "UNIPEN train_r01_v07",
    "author": "International Unipen Foundation (1999)",
    "licence": "CC BY 4.0",
    "doi": "10.5281/zenodo.1195803",
}
SYNTHETIC_SOURCE = {
    "name": "AirType synthetic handwriting (Hershey single-stroke fonts + glyphs.py allographs)",
    "licence": "no third-party data",
}


@dataclass(frozen=True)
class RealRecipe:
    """How real characters are used (`--unipen`)."""

    epochs: int = 8
    copies: int = (
        3  # distorted copies of each real ink, beside the ink itself: rare classes (271 inks) are drawn ~20 times
    )
    synthetic_share: float = 0.07  # of every epoch: keeps allographs the real sites lack
    synthetic_reuse: float = 2.0  # each synthetic ink is seen about this often
    held_out_fraction: float = 0.08  # of each site's writers (sites with >= 4 writers)
    max_lr: float = 3e-3  # from a pretrained model (`--init`); 5e-3 from scratch
    batch_size: int = 128


CALIBRATION_HARDNESS = 2.5  # temperature is fitted on distortions this much stronger than training's


def _chunk(args: tuple[int, int, int, SynthConfig]) -> tuple[np.ndarray, np.ndarray]:
    n, seed, seq_len, cfg = args
    return synthetic_dataset(n, seed, seq_len, cfg)


def generate(
    n: int, seed: int, seq_len: int, workers: int = 2, cfg: SynthConfig = SynthConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """`n` synthetic samples in fixed chunks (the result does not depend on `workers`)."""
    chunk = 5_000
    jobs = [(min(chunk, n - i), seed * 100_003 + i // chunk, seq_len, cfg) for i in range(0, n, chunk)]
    parts = map_chunks(_chunk, jobs, workers)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _progress_logger(log: Callable[[str], None]) -> Callable[[TrainProgress], None]:
    last_print = [0.0]

    def progress(p: TrainProgress) -> None:
        if p.val_acc is not None or time.perf_counter() - last_print[0] > 30:
            last_print[0] = time.perf_counter()
            val = f" val_acc {p.val_acc:.3f}" if p.val_acc is not None else ""
            log(
                f"epoch {p.epoch}/{p.epochs} batch {p.batch}/{p.batches} loss {p.train_loss:.3f} "
                f"acc {p.train_acc:.3f}{val} eta {p.eta_s / 60:.1f} min"
            )

    return progress


def _figures(logits: np.ndarray, labels: np.ndarray, temperature: float) -> dict:
    m = summarize(calibrated(logits, temperature), labels)
    return {k: m[k] for k in ("samples", "top1", "top1_folded", "top5", "ece", "per_category")}


def pretrain(
    out_dir: str,
    minutes: float = 30.0,
    seed: int = 0,
    seq_len: int = 50,
    version: str | None = None,
    log: Callable[[str], None] = print,
    activate: bool = True,
    val_per_class: int = VAL_PER_CLASS,
    unipen: str | None = None,
    sites: list[str] | None = None,
    exclude_sites: list[str] | None = None,
    init: str | None = None,
    recipe: RealRecipe = RealRecipe(),
) -> Manifest:
    """Train a model version and save it under `out_dir`; with `unipen`, on real characters too.
    The names are checked first (ModelLoadError), not after the training."""
    _check_names(out_dir, version, init)
    if unipen is None:
        return _pretrain_synthetic(out_dir, minutes, seed, seq_len, version, log, activate, val_per_class, init)
    return _pretrain_real(
        out_dir,
        minutes,
        seed,
        seq_len,
        version,
        log,
        activate,
        unipen,
        sites,
        exclude_sites,
        init,
        recipe,
        val_per_class,
    )


def _check_names(out_dir: str, version: str | None, init: str | None) -> None:
    store = ModelStore(out_dir)
    if version is not None and store.folder(version).exists():
        raise ModelLoadError(f"model version {version!r} already exists in {out_dir}")
    if init is not None:
        store.manifest(init)


def _initial_model(out_dir: str, init: str | None):
    if init is None:
        return None, None
    loaded = ModelStore(out_dir).load(init)
    return loaded.model, loaded.manifest


def _save(out_dir: str, model, manifest: Manifest, activate: bool) -> None:
    """Write the version; with `activate`, it becomes the default of a folder that has none yet."""
    store = ModelStore(out_dir)
    store.save(model, manifest)
    if activate and store.default_version() is None:
        (store.root / "default.txt").write_text(manifest.version + "\n")


def _pretrain_real(
    out_dir,
    minutes,
    seed,
    seq_len,
    version,
    log,
    activate,
    unipen,
    sites,
    exclude_sites,
    init,
    recipe: RealRecipe,
    val_per_class: int,
) -> Manifest:
    from ..formats.unipen import read_unipen

    started = time.perf_counter()
    data = read_unipen(unipen, sites=sites, exclude_sites=exclude_sites or ())
    log(f"UNIPEN: {data.summary()}")
    for problem in data.problems[:20]:
        log(f"  {problem}")
    if not data.characters:
        raise ValueError(f"no characters of the 62 classes found in {unipen} (sites {sites or 'all'})")
    split = split_writers(data.characters, seed, recipe.held_out_fraction)
    log(
        f"writers: {len({c.writer for c in split.train})} train, {len(split.select_writers)} select "
        f"(epoch + temperature), {len(split.report_writers)} report; "
        f"{len(split.train)} / {len(split.select)} / {len(split.report)} characters"
    )

    total = int(minutes * 60 * NOMINAL_SAMPLES_PER_S)  # samples seen in training, as for synthetic
    epoch_size = total // recipe.epochs
    x_real, y_real = featurize_pool(split.train, recipe.copies, seed, seq_len)
    n_syn = int(total * recipe.synthetic_share / recipe.synthetic_reuse)
    x_syn, y_syn = (
        generate(n_syn, seed, seq_len) if n_syn else (np.zeros((0, seq_len, 7), np.float32), np.zeros(0, np.int64))
    )
    x_sel, y_sel = features_of(split.select, seq_len)
    x_rep, y_rep = features_of(split.report, seq_len)
    if not len(y_sel):  # too few writers to hold any out: synthetic stand-ins, as without --unipen
        log("no held-out writers (every site has fewer than 4): epoch and temperature chosen on synthetic inks")
        x_sel, y_sel = generate(val_per_class * len(CLASSES), seed + 7919, seq_len, workers=1)
    log(
        f"featurized {len(y_real)} real rows ({recipe.copies} copies each), {len(y_syn)} synthetic, "
        f"in {time.perf_counter() - started:.0f} s; training {recipe.epochs} epochs of {epoch_size}"
    )

    order = BalancedEpochs(y_real, len(y_syn), epoch_size, recipe.synthetic_share)
    model, parent = _initial_model(out_dir, init)
    config = TrainConfig(
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        max_lr=recipe.max_lr if init else 5e-3,
        patience=recipe.epochs,
        seed=seed,
    )
    result = Trainer(config, device=torch.device("cpu")).fit(
        np.concatenate([x_real, x_syn]),
        np.concatenate([y_real, y_syn]),
        x_sel,
        y_sel,
        model=model,
        progress=_progress_logger(log),
        epoch_order=order,
    )

    # The temperature is fitted on the same held-out writers that chose the epoch; the
    # card's figures come from other writers that neither choice saw.
    # Real writers need no floor under T (MIN_TEMPERATURE is for synthetic stand-ins): label
    # smoothing leaves the model under-confident on them, and T < 1 corrects it.
    sel_logits = evaluate_logits(result.model, x_sel)
    fitted_temperature = fit_temperature(sel_logits, y_sel)
    temperature = fitted_temperature if split.select else max(MIN_TEMPERATURE, fitted_temperature)
    held_out = _figures(evaluate_logits(result.model, x_rep), y_rep, temperature) if len(y_rep) else {"samples": 0}
    chars = [c.label for c in split.train]
    name = version or f"unipen-{datetime.now(UTC).strftime('%Y%m%d')}-s{seed}"
    wall = time.perf_counter() - started
    card = {
        "data": [
            {
                **UNIPEN_SOURCE,
                "sites": data.sites(),
                "characters": len(data.characters),
                "characters_trained_on": len(split.train),
                "per_category": {k: sum(category(c) == k for c in chars) for k in ("digits", "upper", "lower")},
                "writers": len({c.writer for c in data.characters}),
                "held_out_writers": list(split.select_writers + split.report_writers),
                "read_problems": dict(data.problem_counts()),
            },
            {**SYNTHETIC_SOURCE, "share_of_training": recipe.synthetic_share, "inks": int(len(y_syn))},
        ],
        "initialized_from": init,
        "recipe": (
            f"{'fine-tuned from ' + init if init else 'from scratch'}: {recipe.epochs} epochs of "
            f"{epoch_size} inks drawn class-balanced (1/frequency) from the real inks and "
            f"{recipe.copies} distorted copies of each, {recipe.synthetic_share:.0%} synthetic; "
            f"epoch and temperature chosen on {len(split.select_writers)} held-out writers"
        ),
        "held_out": {
            "what": f"{len(split.report_writers)} held-out writers of the training sites, "
            "used by no choice made in training",
            **held_out,
        },
        "recipe_config": asdict(recipe),
    }
    manifest = Manifest(
        version=name,
        created_at=datetime.now(UTC).isoformat(),
        preprocessing=FeatureConfig(seq_len).signature,
        classes=list(CLASSES),
        temperature=temperature,
        seq_len=seq_len,
        model_config=result.model.config.to_dict(),
        metrics={
            "held_out_writers": held_out,
            "select_val_acc": result.best_val_acc,
            "fitted_temperature": fitted_temperature,
            "history": result.history,
        },
        parent_version=None,  # `init` is a starting point, not a version to fall back to
        training={
            "kind": "pretrain",
            "seed": seed,
            "minutes": minutes,
            "train_samples": total,
            "epochs": recipe.epochs,
            "best_epoch": result.best_epoch,
            "samples_per_s": result.samples_per_s,
            "wall_s": wall,
            "device": result.device,
            "unipen": True,
            "sites": sites,
            "exclude_sites": exclude_sites,
            "init": init,
        },
        card=card,
    )
    _save(out_dir, result.model, manifest, activate)
    figures = (
        f"held-out writers top1 {held_out['top1']:.3f} folded {held_out['top1_folded']:.3f} "
        f"top5 {held_out['top5']:.3f} ece {held_out['ece']:.3f}"
        if held_out["samples"]
        else "no held-out writers"
    )
    log(f"saved {manifest.version}: {figures}, T={temperature:.2f}, {wall / 60:.1f} min")
    return manifest


def _pretrain_synthetic(out_dir, minutes, seed, seq_len, version, log, activate, val_per_class, init) -> Manifest:
    started = time.perf_counter()
    total = int(minutes * 60 * NOMINAL_SAMPLES_PER_S)
    pool_size = max(len(CLASSES) * 4, total // EPOCHS)
    log(f"generating {pool_size} synthetic training samples + {val_per_class * len(CLASSES)} for validation ...")
    x_train, y_train = generate(pool_size, seed, seq_len)
    x_val, y_val = generate(val_per_class * len(CLASSES), seed + 7919, seq_len, workers=1)
    log(f"generated in {time.perf_counter() - started:.0f} s; training {EPOCHS} epochs")

    config = TrainConfig(epochs=EPOCHS, batch_size=128, max_lr=5e-3, patience=EPOCHS, seed=seed)
    model, _ = _initial_model(out_dir, init)
    result = Trainer(config, device=torch.device("cpu")).fit(
        x_train, y_train, x_val, y_val, model=model, progress=_progress_logger(log)
    )
    # Clean synthetic data is easier than real writers, so a temperature fitted on it
    # makes the model overconfident; a harder synthetic set stands in for the real world.
    x_cal, y_cal = generate(
        val_per_class * len(CLASSES), seed + 104_729, seq_len, workers=1, cfg=SynthConfig().harder(CALIBRATION_HARDNESS)
    )
    cal_logits = evaluate_logits(result.model, x_cal)
    fitted_temperature = fit_temperature(cal_logits, y_cal)
    temperature = max(MIN_TEMPERATURE, fitted_temperature)
    logits = evaluate_logits(result.model, x_val)
    val_metrics = summarize(calibrated(logits, temperature), y_val)
    cal_metrics = summarize(calibrated(cal_logits, temperature), y_cal)
    features = FeatureConfig(seq_len)
    manifest = Manifest(
        version=version or f"hershey-{datetime.now(UTC).strftime('%Y%m%d')}-s{seed}",
        created_at=datetime.now(UTC).isoformat(),
        preprocessing=features.signature,
        classes=list(CLASSES),
        temperature=temperature,
        seq_len=seq_len,
        model_config=result.model.config.to_dict(),
        metrics={
            "synthetic_val_top1": val_metrics["top1"],
            "synthetic_val_ece": val_metrics["ece"],
            "calibration_set_top1": cal_metrics["top1"],
            "calibration_set_ece": cal_metrics["ece"],
            "calibration_hardness": CALIBRATION_HARDNESS,
            "fitted_temperature": fitted_temperature,
            "history": result.history,
        },
        parent_version=None,
        card={
            "data": [SYNTHETIC_SOURCE],
            "initialized_from": init,
            "recipe": f"{pool_size} synthetic inks, {EPOCHS} epochs; temperature fitted on synthetic inks "
            f"distorted {CALIBRATION_HARDNESS} times harder, never below {MIN_TEMPERATURE}",
            "held_out": {"what": "synthetic validation inks", "top1": val_metrics["top1"], "ece": val_metrics["ece"]},
        },
        training={
            "kind": "pretrain",
            "seed": seed,
            "minutes": minutes,
            "train_samples": int(pool_size),
            "epochs": EPOCHS,
            "samples_per_s": result.samples_per_s,
            "wall_s": time.perf_counter() - started,
            "device": result.device,
        },
    )
    _save(out_dir, result.model, manifest, activate)
    log(
        f"saved {manifest.version}: synthetic val top1 {val_metrics['top1']:.3f}, T={temperature:.2f}, "
        f"{(time.perf_counter() - started) / 60:.1f} min"
    )
    return manifest
