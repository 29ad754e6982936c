"""Calibration: confidences that mean what they say.

A prediction's confidence is `softmax(logits / T)`. `fit_temperature` finds the
`T` that makes held-out answers most likely; `expected_calibration_error` says
how far confidence and accuracy still differ (0 is perfect).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

# Label smoothing already softens the model; any synthetic or same-writer held-out
# set asks for T < 1 (sharper), which new writers, making mistakes the training data
# does not suggest, do not bear out. So a fitted temperature may soften, never sharpen.
MIN_TEMPERATURE = 1.0


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """(N, C) logits -> (N, C) probabilities, softmax(logits / T)."""
    return torch.softmax(torch.from_numpy(logits) / temperature, dim=1).numpy()


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T minimizing the NLL of softmax(logits / T) on held-out data."""
    logits_t = torch.from_numpy(np.asarray(logits, dtype=np.float32))
    labels_t = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(logits_t / log_t.exp(), labels_t)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))
