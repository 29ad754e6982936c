"""Every knob a user may want to turn: one validated object, read from the environment.

Each field below is the environment variable `AIRTYPE_<FIELD NAME>` (for example
`seq_len` is `AIRTYPE_SEQ_LEN`); an unset or empty variable keeps the default.
A value that is not accepted raises `SettingsError`, whose message names the
variable, the value and what it accepts, one line each: the app shows it on the
page and the command line prints it, never a traceback.

    settings = get_settings()          # a fresh, checked read of the environment
    settings.with_changes(seq_len=64)  # a checked copy (tests, benchmarks)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL_DIR = PROJECT_ROOT / "data" / "models"
ENV_PREFIX = "AIRTYPE_"


class SettingsError(ValueError):
    """One or more settings were refused; the message is meant for a person."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore")

    # --- where things are kept ---------------------------------------------------------
    database_url: str = Field(
        f"sqlite:///{PROJECT_ROOT / 'data' / 'airtype.db'}",
        min_length=1,
        description="any SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@127.0.0.1/airtype",
    )
    model_dir: Path = Field(SHIPPED_MODEL_DIR, description="a folder of model versions")
    undo_days: int = Field(30, ge=1, le=3650, description="a whole number of days from 1 to 3650")  # a delete's undo

    # --- recognition ---------------------------------------------------------------------
    seq_len: int = Field(50, ge=8, le=1000, description="a whole number of points from 8 to 1000")
    uncertain_threshold: float = Field(0.5, ge=0.0, le=1.0, description="a confidence from 0 to 1")
    tta: bool = Field(False, description="0 or 1")
    memory: bool = Field(True, description="0 or 1")  # a participant's answers change their next prediction

    # --- learning ------------------------------------------------------------------------
    min_train_samples: int = Field(50, ge=1, le=1_000_000, description="a whole number of samples, at least 1")

    # --- air writing ---------------------------------------------------------------------
    air_pause_s: float = Field(0.8, gt=0.0, le=10.0, description="seconds, more than 0 and at most 10")
    one_euro_min_cutoff: float = Field(1.0, gt=0.0, le=100.0, description="Hz, more than 0")
    one_euro_beta: float = Field(0.02, ge=0.0, le=10.0, description="a number from 0 to 10")
    one_euro_d_cutoff: float = Field(1.0, gt=0.0, le=100.0, description="Hz, more than 0")
    air_pinch_down: float = Field(
        0.30, gt=0.0, lt=2.0, description="a fraction of hand size, below AIRTYPE_AIR_PINCH_UP"
    )
    air_pinch_up: float = Field(
        0.45, gt=0.0, lt=2.0, description="a fraction of hand size, above AIRTYPE_AIR_PINCH_DOWN"
    )
    air_debounce_frames: int = Field(2, ge=1, le=30, description="a whole number of frames from 1 to 30")
    air_lift_hold_s: float = Field(0.1, ge=0.0, le=2.0, description="seconds from 0 to 2")
    air_open_hand_frames: int = Field(2, ge=1, le=60, description="a whole number of frames from 1 to 60")
    air_glitch_jump: float = Field(
        0.35, gt=0.0, le=5.0, description="a fraction of hand size the fingertip may jump in one frame, more than 0"
    )
    air_glitch_frames: int = Field(5, ge=0, le=30, description="a whole number of frames from 0 to 30")
    air_min_points: int = Field(5, ge=2, le=1000, description="a whole number of points, at least 2")
    air_min_extent: float = Field(0.03, ge=0.0, lt=1.0, description="a fraction of the frame's shorter side")

    @model_validator(mode="after")
    def _pinch_has_hysteresis(self) -> Settings:
        if self.air_pinch_down >= self.air_pinch_up:
            raise ValueError(
                f"AIRTYPE_AIR_PINCH_DOWN ({self.air_pinch_down}) must be below AIRTYPE_AIR_PINCH_UP "
                f"({self.air_pinch_up}): the pen goes down below the first and up above the second"
            )
        return self

    def with_changes(self, **changes: Any) -> Settings:
        """A checked copy with some fields changed (environment not read again)."""
        return _checked(lambda: Settings(**{**self.model_dump(), **changes}), from_environment=False)


def default(field: str) -> Any:
    """The built-in default of one setting (for classes that take a setting as a parameter)."""
    return Settings.model_fields[field].default


def _checked(build, from_environment: bool = True) -> Settings:
    try:
        return build()
    except ValidationError as exc:
        problems = _explain(exc, from_environment)
        refused = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    if from_environment:  # pydantic checks the rules across fields only when every field is good
        problems += _rules_across_fields(refused)
    raise SettingsError("\n".join(problems))


def _rules_across_fields(refused: set[str]) -> list[str]:
    """The rules across fields broken by the accepted values, the refused ones set to their defaults."""
    if not refused:
        return []
    try:
        Settings(**{field: default(field) for field in refused})  # arguments take precedence over the environment
    except ValidationError as exc:
        return [line for line in _explain(exc, True) if line.startswith("Setting refused:")]
    return []


def _explain(exc: ValidationError, from_environment: bool) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if not field:  # a rule across fields: its message names the variables itself
            lines.append(f"Setting refused: {str(error['msg']).removeprefix('Value error, ')}")
            continue
        name = f"{ENV_PREFIX}{field.upper()}" if from_environment else field
        accepted = Settings.model_fields[field].description if field in Settings.model_fields else None
        lines.append(f"{name}={error.get('input')!r} is not accepted: it must be {accepted or error['msg']}.")
    return lines


def get_settings() -> Settings:
    """A fresh read of the environment (cheap; callers may keep the result). Raises SettingsError."""
    return _checked(Settings)
