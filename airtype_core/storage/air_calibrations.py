"""Each participant's air-writing pinch, as calibrated on the Air-writing page: kept, read, reset.

    save_air_calibration(storage, participant_id, pinch_down, pinch_up) -> AirCalibrationInfo
    air_calibration(storage, participant_id)                            -> AirCalibrationInfo | None
    reset_air_calibration(storage, participant_id)                      -> True if there was one

One row per participant (a new calibration replaces the old one); deleting the
participant deletes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete

from .records import InvalidInputError, NotFoundError
from .store import Storage
from .tables import AirCalibration, Participant, utcnow


@dataclass(frozen=True)
class AirCalibrationInfo:
    participant_id: int
    pinch_down: float  # pinch ratio (thumb-index gap over the palm) below which the pen goes down
    pinch_up: float  # ... and above which it comes up
    created_at: datetime


def save_air_calibration(
    storage: Storage, participant_id: int, pinch_down: float, pinch_up: float
) -> AirCalibrationInfo:
    """Keep the participant's thresholds, replacing any earlier calibration."""
    if not (math.isfinite(pinch_down) and math.isfinite(pinch_up) and 0 < pinch_down < pinch_up < 2):
        raise InvalidInputError(f"pinch thresholds need 0 < down < up < 2; got down {pinch_down}, up {pinch_up}")
    with storage.session(write=True, failed="the calibration was not saved") as s:
        if s.get(Participant, participant_id) is None:
            raise NotFoundError(f"there is no participant number {participant_id}")
        row = s.get(AirCalibration, participant_id) or AirCalibration(participant_id=participant_id)
        row.pinch_down, row.pinch_up, row.created_at = float(pinch_down), float(pinch_up), utcnow()
        s.add(row)
        s.flush()
        return _info(row)


def air_calibration(storage: Storage, participant_id: int) -> AirCalibrationInfo | None:
    """The participant's calibration, None if they have none."""
    with storage.session() as s:
        row = s.get(AirCalibration, participant_id)
        return None if row is None else _info(row)


def reset_air_calibration(storage: Storage, participant_id: int) -> bool:
    """Forget the participant's calibration (air writing falls back to the default thresholds)."""
    with storage.session(write=True, failed="the calibration was not reset") as s:
        gone = s.execute(delete(AirCalibration).where(AirCalibration.participant_id == participant_id)).rowcount  # type: ignore[attr-defined]  # DML: a CursorResult
        return bool(gone)


def _info(row: AirCalibration) -> AirCalibrationInfo:
    return AirCalibrationInfo(row.participant_id, row.pinch_down, row.pinch_up, row.created_at)
