"""Every knob a user may want to turn, read once from the environment.

| variable                      | default                      |
|-------------------------------|------------------------------|
| AIRTYPE_DATABASE_URL          | sqlite:///<root>/data/airtype.db |
| AIRTYPE_MODEL_DIR             | <root>/data/models           |
| AIRTYPE_SEQ_LEN               | 50                           |
| AIRTYPE_UNCERTAIN_THRESHOLD   | 0.5                          |
| AIRTYPE_TTA                   | 0 (1 turns on test-time augmentation) |
| AIRTYPE_MIN_TRAIN_SAMPLES     | 50                           |
| AIRTYPE_AIR_PAUSE_S           | 0.8 (pause that ends an air-written character) |
| AIRTYPE_ONE_EURO_MIN_CUTOFF   | 1.0                          |
| AIRTYPE_ONE_EURO_BETA         | 0.02                         |
| AIRTYPE_ONE_EURO_D_CUTOFF     | 1.0                          |
| AIRTYPE_AIR_PINCH_DOWN        | 0.30 (thumb-index gap / hand size that puts the pen down) |
| AIRTYPE_AIR_PINCH_UP          | 0.45 (gap that lifts it: hysteresis) |
| AIRTYPE_AIR_DEBOUNCE_FRAMES   | 2                            |
| AIRTYPE_AIR_OPEN_HAND_FRAMES  | 2                            |
| AIRTYPE_AIR_MIN_POINTS        | 5                            |
| AIRTYPE_AIR_MIN_EXTENT        | 0.03 (fraction of the frame's shorter side) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL_DIR = PROJECT_ROOT / "data" / "models"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env(
            "AIRTYPE_DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'data' / 'airtype.db'}"
        )
    )
    model_dir: Path = field(default_factory=lambda: Path(_env("AIRTYPE_MODEL_DIR", str(SHIPPED_MODEL_DIR))))
    seq_len: int = field(default_factory=lambda: int(_env("AIRTYPE_SEQ_LEN", "50")))
    uncertain_threshold: float = field(
        default_factory=lambda: float(_env("AIRTYPE_UNCERTAIN_THRESHOLD", "0.5"))
    )
    tta: bool = field(default_factory=lambda: _env("AIRTYPE_TTA", "0") == "1")
    min_train_samples: int = field(default_factory=lambda: int(_env("AIRTYPE_MIN_TRAIN_SAMPLES", "50")))
    air_pause_s: float = field(default_factory=lambda: float(_env("AIRTYPE_AIR_PAUSE_S", "0.8")))
    one_euro_min_cutoff: float = field(
        default_factory=lambda: float(_env("AIRTYPE_ONE_EURO_MIN_CUTOFF", "1.0"))
    )
    one_euro_beta: float = field(default_factory=lambda: float(_env("AIRTYPE_ONE_EURO_BETA", "0.02")))
    one_euro_d_cutoff: float = field(default_factory=lambda: float(_env("AIRTYPE_ONE_EURO_D_CUTOFF", "1.0")))
    air_pinch_down: float = field(default_factory=lambda: float(_env("AIRTYPE_AIR_PINCH_DOWN", "0.30")))
    air_pinch_up: float = field(default_factory=lambda: float(_env("AIRTYPE_AIR_PINCH_UP", "0.45")))
    air_debounce_frames: int = field(default_factory=lambda: int(_env("AIRTYPE_AIR_DEBOUNCE_FRAMES", "2")))
    air_open_hand_frames: int = field(default_factory=lambda: int(_env("AIRTYPE_AIR_OPEN_HAND_FRAMES", "2")))
    air_min_points: int = field(default_factory=lambda: int(_env("AIRTYPE_AIR_MIN_POINTS", "5")))
    air_min_extent: float = field(default_factory=lambda: float(_env("AIRTYPE_AIR_MIN_EXTENT", "0.03")))


def get_settings() -> Settings:
    """A fresh read of the environment (cheap; callers may keep the result)."""
    return Settings()
