"""The recognizer: a BiLSTM + multi-head self-attention classifier over stroke features."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .charset import NUM_CLASSES
from .features import NUM_FEATURES


@dataclass(frozen=True)
class ModelConfig:
    in_features: int = NUM_FEATURES
    embed: int = 64
    lstm1: int = 64  # per direction
    lstm2: int = 128  # per direction
    heads: int = 4
    hidden: int = 128
    dropout: float = 0.3
    num_classes: int = NUM_CLASSES

    def to_dict(self) -> dict:
        return asdict(self)


class AirTypeNet(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        width = 2 * config.lstm2
        self.embed = nn.Linear(config.in_features, config.embed)
        self.lstm1 = nn.LSTM(config.embed, config.lstm1, batch_first=True, bidirectional=True)
        self.lstm2 = nn.LSTM(2 * config.lstm1, config.lstm2, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(config.dropout)
        self.attn = nn.MultiheadAttention(width, config.heads, dropout=0.1, batch_first=True)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Sequential(
            nn.Linear(width, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, config.num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 7) features -> (B, 62) logits."""
        return self.head(self.pooled(x))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 7) features -> (B, 256): what the classifier sees (a writer's memory compares these)."""
        h = self.embed(x)  # (B, T, 64)
        h, _ = self.lstm1(h)  # (B, T, 128)
        h = self.drop(h)
        h, _ = self.lstm2(h)  # (B, T, 256)
        h = self.drop(h)
        a, _ = self.attn(h, h, h, need_weights=False)  # (B, T, 256)
        h = self.norm(h + a)  # residual keeps the LSTM's view if attention adds little
        return h.mean(dim=1)  # global average pooling over time -> (B, 256)
