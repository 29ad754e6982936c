"""Training: one plain loop used for pretraining, full training and fine-tuning.

    Trainer(config).fit(x_train, y_train, x_val, y_val, progress=callback) -> TrainResult

AdamW + OneCycleLR, gradient clipping, label smoothing, early stopping on
validation accuracy; the best epoch's weights are kept when the validation set
is large enough to tell epochs apart (else the last epoch's). `progress` receives a
`TrainProgress` every few batches and may raise `TrainingCancelled` (or return
True from `should_stop`) to stop between batches.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..recognition.model import AirTypeNet


def select_device() -> torch.device:
    """CUDA > MPS > CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type


class TrainingCancelled(Exception):
    pass


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3  # AdamW's base rate; OneCycleLR runs from max_lr / 25 up to max_lr and down
    max_lr: float = 1e-2
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    label_smoothing: float = 0.1
    patience: int = 3
    # Fewer held-out inks than this, and the trainer neither stops early nor goes back to
    # an earlier epoch: it keeps the weights the whole schedule ends with. On a few dozen
    # held-out inks one ink moves accuracy more than an epoch does, so "the best epoch"
    # would be a coin toss (docs/what-we-tried.md).
    min_val_for_selection: int = 200
    seed: int = 0

    @classmethod
    def fine_tune(cls, **overrides) -> TrainConfig:
        """Fine-tuning: the seed's 5 epochs and patience 2, and a peak learning rate a third
        of training from scratch (the seed says a tenth; a third measured best)."""
        return cls(**{"epochs": 5, "lr": 3e-4, "max_lr": 3e-3, "patience": 2, **overrides})


@dataclass(frozen=True)
class TrainProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    train_loss: float
    train_acc: float
    elapsed_s: float
    eta_s: float
    val_loss: float | None = None  # set on the last batch of an epoch
    val_acc: float | None = None

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)

    def epoch_record(self) -> dict[str, float | None]:
        """The finished epoch as one history row: for the progress of an epoch's last batch."""
        return {
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "train_acc": self.train_acc,
            "val_loss": self.val_loss,
            "val_acc": self.val_acc,
        }


@dataclass
class TrainResult:
    model: AirTypeNet
    history: list[dict] = field(default_factory=list)  # one dict per epoch
    best_val_acc: float = 0.0
    best_epoch: int = 0
    epochs_run: int = 0
    duration_s: float = 0.0
    samples_per_s: float = 0.0
    device: str = "cpu"
    stopped_early: bool = False


@torch.no_grad()
def evaluate_logits(model: nn.Module, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """(N, T, 7) features -> (N, 62) logits, in eval mode on the model's device."""
    model.eval()
    device = next(model.parameters()).device
    out = [model(torch.from_numpy(x[i : i + batch_size]).to(device)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, 62), np.float32)


class Trainer:
    def __init__(self, config: TrainConfig = TrainConfig(), device: torch.device | None = None):
        self.config = config
        self.device = device or select_device()

    def fit(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_val: np.ndarray,
        y_val: np.ndarray,
        model: AirTypeNet | None = None,
        progress: Callable[[TrainProgress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        epoch_order: Callable[[np.random.Generator], np.ndarray] | None = None,
    ) -> TrainResult:
        """`epoch_order(rng)`, when given, picks each epoch's rows of `x_train` (always as many):
        pretraining draws class-balanced epochs from a pool larger than one epoch."""
        cfg = self.config
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        model = (model or AirTypeNet()).to(self.device)
        next_order = epoch_order or (lambda generator: generator.permutation(len(x_train)))
        order = next_order(rng)
        batches = max(1, math.ceil(len(order) / cfg.batch_size))
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=cfg.max_lr, epochs=cfg.epochs, steps_per_epoch=batches
        )
        loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        x_val_t = x_val
        result = TrainResult(model=model, device=device_name(self.device))
        best_state, best_acc, stale = copy.deepcopy(model.state_dict()), -1.0, 0
        select = len(y_val) >= cfg.min_val_for_selection  # else: the last epoch, see TrainConfig
        start = time.perf_counter()
        seen = 0

        for epoch in range(1, cfg.epochs + 1):
            model.train()
            if epoch > 1:
                order = next_order(rng)
            total_loss = total_correct = total_n = 0.0
            for b in range(batches):
                if should_stop and should_stop():
                    raise TrainingCancelled("training was cancelled")
                idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
                xb_t = torch.from_numpy(x_train[idx]).to(self.device)  # (B, T, 7)
                yb_t = torch.from_numpy(y_train[idx]).to(self.device)  # (B,)
                logits = model(xb_t)
                loss = loss_fn(logits, yb_t)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                optimizer.step()
                scheduler.step()

                n = len(idx)
                seen += n
                total_loss += loss.item() * n
                total_correct += (logits.argmax(1) == yb_t).sum().item()
                total_n += n
                last = b == batches - 1
                val_loss = val_acc = None
                if last:
                    val_logits = torch.from_numpy(evaluate_logits(model, x_val_t))
                    val_loss = float(loss_fn(val_logits, torch.from_numpy(y_val)).item()) if len(y_val) else 0.0
                    val_acc = float((val_logits.argmax(1).numpy() == y_val).mean()) if len(y_val) else 0.0
                    model.train()
                if last or (progress and b % 5 == 0):
                    elapsed = time.perf_counter() - start
                    done = (epoch - 1) * batches + b + 1
                    now = TrainProgress(
                        epoch,
                        cfg.epochs,
                        b + 1,
                        batches,
                        total_loss / total_n,
                        total_correct / total_n,
                        elapsed,
                        elapsed / done * (cfg.epochs * batches - done),
                        val_loss,
                        val_acc,
                    )
                    if progress:
                        progress(now)

            result.history.append(now.epoch_record())  # `now` is the epoch's last batch
            result.epochs_run = epoch
            assert val_acc is not None  # measured on every epoch's last batch
            if val_acc > best_acc or not select:
                best_acc, best_state, stale, result.best_epoch = val_acc, copy.deepcopy(model.state_dict()), 0, epoch
            else:
                stale += 1
                if stale >= cfg.patience:
                    result.stopped_early = True
                    break

        model.load_state_dict(best_state)
        model.eval()
        result.best_val_acc = best_acc
        result.duration_s = time.perf_counter() - start
        result.samples_per_s = seen / max(result.duration_s, 1e-9)
        return result
