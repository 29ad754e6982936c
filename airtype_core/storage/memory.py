"""A participant's memory, kept in the database: their stored answers are the memory.

    bank = MemoryBank(storage)                       # one per process
    memory = bank.recall(participant_id, predictor)  # recognition.memory.Memory of their answers
    prediction = read_with_memory(predictor, bank, ink, participant_id, "canvas", (320, 320))
    storage.save_sample(NewSample.from_prediction(..., area=(320, 320)))   # seen by the next recall
    reset_memory(storage, participant_id)           # samples kept, the memory starts empty

Every recall asks the database which samples the participant has now (ids and
labels: one indexed query), so an answer stored a moment ago, by this process or
by another instance on the same database, counts at once, and a relabel or a
delete too. Only the inks not seen before are read and embedded; embeddings are
cached per process, keyed by model version and sample id.
"""

from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import func, select

from ..recognition.charset import CLASS_INDEX
from ..recognition.features import featurize
from ..recognition.ink import Ink, InkError
from ..recognition.memory import InkSize, Memory, unit_rows
from ..recognition.predictor import Prediction, Predictor
from .records import NotFoundError
from .store import Storage
from .tables import Participant, TrainingSample

EMBED_BATCH = 256
CACHE_LIMIT = 50_000  # embedded inks kept per process (about 50 MB); beyond it the cache starts again


class MemoryBank:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int], tuple[np.ndarray, InkSize]] = {}

    def recall(self, participant_id: int, predictor: Predictor) -> Memory:
        """The participant's answers since their last reset, as `predictor`'s model sees them."""
        t = TrainingSample
        with self.storage.session() as s:
            after = s.scalar(select(Participant.memory_after_id).where(Participant.id == participant_id)) or 0
            rows = s.execute(
                select(t.id, t.actual_char).where(t.participant_id == participant_id, t.id > after).order_by(t.id)
            ).all()
        version = predictor.version
        with self._lock:
            missing = [i for i, _ in rows if (version, i) not in self._cache]
        if missing:
            self._embed(missing, predictor, version)
        with self._lock:
            known = [(self._cache[(version, i)], CLASS_INDEX[c]) for i, c in rows if (version, i) in self._cache]
        if not known:
            return Memory.empty()
        sizes = [size for (_, size), _ in known]
        return Memory(
            np.stack([e for (e, _), _ in known]),
            np.array([c for _, c in known]),
            np.array([size.log() for size in sizes]),
            tuple(size.frame for size in sizes),
        )

    def _embed(self, ids: list[int], predictor: Predictor, version: str) -> None:
        t = TrainingSample
        with self.storage.session() as s:
            rows = s.execute(select(t.id, t.raw_ink, t.source, t.ink_height, t.ink_width).where(t.id.in_(ids))).all()
        usable, inks, sizes = [], [], []
        for sample_id, strokes, source, height, width in rows:
            try:
                ink = Ink.from_strokes(strokes)
                featurize(ink, predictor.feature_config)
            except InkError:
                continue  # an ink the model cannot read (a dot) is simply not remembered
            usable.append(sample_id)
            inks.append(ink)
            sizes.append(
                InkSize.of(ink, source) if height is None or width is None else InkSize(height, width, f"{source}:area")
            )
        embeddings = [
            unit_rows(predictor.embeddings(inks[i : i + EMBED_BATCH])) for i in range(0, len(inks), EMBED_BATCH)
        ]
        with self._lock:
            if len(self._cache) + len(usable) > CACHE_LIMIT:
                self._cache.clear()
            for sample_id, embedding, size in zip(usable, np.concatenate(embeddings) if inks else [], sizes):
                self._cache[(version, sample_id)] = (embedding, size)


def read_with_memory(
    predictor: Predictor,
    bank: MemoryBank | None,
    ink: Ink,
    participant_id: int | None,
    source: str,
    area: tuple[float, float] | None,
) -> Prediction:
    """What the pages and `bench-adapt` read: the network's answer, changed by the participant's memory
    when there is a participant and the memory is on. `area` is (width, height) of the writing area."""
    size = InkSize.of(ink, source, area)
    if bank is None or participant_id is None or predictor.memory_params is None:
        return predictor.predict(ink, size=size)
    return predictor.predict(ink, memory=bank.recall(participant_id, predictor), size=size)


def reset_memory(storage: Storage, participant_id: int) -> int:
    """Start the participant's memory empty again (their samples are kept); returns how many it forgets."""
    t = TrainingSample
    with storage.session(write=True, failed="the memory was not reset") as s:
        row = s.get(Participant, participant_id)
        if row is None:
            raise NotFoundError(f"there is no participant number {participant_id}")
        last = s.scalar(select(func.max(t.id)).where(t.participant_id == participant_id)) or 0
        forgotten = (
            s.scalar(select(func.count()).where(t.participant_id == participant_id, t.id > (row.memory_after_id or 0)))
            or 0
        )
        row.memory_after_id = max(last, row.memory_after_id or 0)
        return forgotten


def memory_size(storage: Storage, participant_id: int) -> int:
    """How many stored answers the participant's memory holds now."""
    t = TrainingSample
    with storage.session() as s:
        after = s.scalar(select(Participant.memory_after_id).where(Participant.id == participant_id)) or 0
        return s.scalar(select(func.count()).where(t.participant_id == participant_id, t.id > after)) or 0
