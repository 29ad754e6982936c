"""Pretraining the default model on synthetic handwriting: one reproducible command.

    python -m airtype_core pretrain --out data/models --minutes 30 --seed 0

`--minutes` is turned into a fixed number of training samples at a nominal
speed of the reference machine (2 CPU cores), so the same command gives the
same model everywhere; a faster machine simply finishes sooner.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timezone
from typing import Callable

import numpy as np
import torch

from ..recognition.calibration import MIN_TEMPERATURE, fit_temperature
from ..recognition.charset import CLASSES
from ..recognition.evaluation import summarize
from ..recognition.features import FeatureConfig
from ..recognition.modelstore import Manifest, ModelStore
from .synth import SynthConfig, synthetic_dataset
from .trainer import TrainConfig, Trainer, TrainProgress, evaluate_logits

NOMINAL_SAMPLES_PER_S = 330  # training throughput of the reference 2-core machine
EPOCHS = 3  # each synthetic sample is seen this many times
VAL_PER_CLASS = 40


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
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_chunk, jobs)
    else:
        parts = [_chunk(job) for job in jobs]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def pretrain(
    out_dir: str,
    minutes: float = 30.0,
    seed: int = 0,
    seq_len: int = 50,
    version: str | None = None,
    log: Callable[[str], None] = print,
    activate: bool = True,
    val_per_class: int = VAL_PER_CLASS,
) -> Manifest:
    started = time.perf_counter()
    total = int(minutes * 60 * NOMINAL_SAMPLES_PER_S)
    pool_size = max(len(CLASSES) * 4, total // EPOCHS)
    log(f"generating {pool_size} synthetic training samples + {val_per_class * len(CLASSES)} for validation ...")
    x_train, y_train = generate(pool_size, seed, seq_len)
    x_val, y_val = generate(val_per_class * len(CLASSES), seed + 7919, seq_len, workers=1)
    log(f"generated in {time.perf_counter() - started:.0f} s; training {EPOCHS} epochs")

    config = TrainConfig(epochs=EPOCHS, batch_size=128, max_lr=5e-3, patience=EPOCHS, seed=seed)
    last_print = [0.0]

    def progress(p: TrainProgress) -> None:
        if p.val_acc is not None or time.perf_counter() - last_print[0] > 30:
            last_print[0] = time.perf_counter()
            val = f" val_acc {p.val_acc:.3f}" if p.val_acc is not None else ""
            log(f"epoch {p.epoch}/{p.epochs} batch {p.batch}/{p.batches} loss {p.train_loss:.3f} "
                f"acc {p.train_acc:.3f}{val} eta {p.eta_s / 60:.1f} min")

    result = Trainer(config, device=torch.device("cpu")).fit(x_train, y_train, x_val, y_val, progress=progress)
    # Clean synthetic data is easier than real writers, so a temperature fitted on it
    # makes the model overconfident; a harder synthetic set stands in for the real world.
    x_cal, y_cal = generate(val_per_class * len(CLASSES), seed + 104_729, seq_len, workers=1,
                            cfg=SynthConfig().harder(CALIBRATION_HARDNESS))
    cal_logits = evaluate_logits(result.model, x_cal)
    fitted_temperature = fit_temperature(cal_logits, y_cal)
    temperature = max(MIN_TEMPERATURE, fitted_temperature)
    logits = evaluate_logits(result.model, x_val)
    probs = torch.softmax(torch.from_numpy(logits) / temperature, dim=1).numpy()
    val_metrics = summarize(probs, y_val)
    cal_metrics = summarize(torch.softmax(torch.from_numpy(cal_logits) / temperature, dim=1).numpy(), y_cal)
    features = FeatureConfig(seq_len)
    manifest = Manifest(
        version=version or f"hershey-{datetime.now(timezone.utc).strftime('%Y%m%d')}-s{seed}",
        created_at=datetime.now(timezone.utc).isoformat(),
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
    store = ModelStore(out_dir)
    store.save(result.model, manifest)
    if activate and store.default_version() is None:
        (store.root / "default.txt").write_text(manifest.version + "\n")
    log(f"saved {manifest.version}: synthetic val top1 {val_metrics['top1']:.3f}, T={temperature:.2f}, "
        f"{(time.perf_counter() - started) / 60:.1f} min")
    return manifest
