"""The objects every browser session shares: one predictor and one storage per process.

    predictor = get_predictor()   # the active model, swapped in when another version is activated
    storage = get_storage()       # the database of AIRTYPE_DATABASE_URL, migrated on first use

Both raise `Unavailable` with a message for the page when there is no usable
model or database. They are cached per model folder and per database URL, the
settings read from the environment at each call (cheap), so the objects follow
AIRTYPE_MODEL_DIR and AIRTYPE_DATABASE_URL. Torch, SQLAlchemy and Alembic are imported inside the
factories, not at the top: a page can put its canvas on screen before paying for
them, and `st.cache_resource` makes sure they are paid once per process, never
on a rerun.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from airtype_core.settings import get_settings

if TYPE_CHECKING:
    from airtype_core.recognition.predictor import Predictor
    from airtype_core.storage.store import Storage


class Unavailable(Exception):
    """No usable model or database; the message says why, for a person."""


class NoModelForSetting(Unavailable):
    """No model was made for this AIRTYPE_SEQ_LEN: the Training page can train one."""


def user_errors() -> tuple[type[Exception], ...]:
    """The errors whose message is meant for a person: `except user_errors() as exc: st.error(exc)`.

    A function so that the core's modules are imported only when something failed.
    """
    from airtype_core.recognition.charset import LabelError
    from airtype_core.recognition.ink import InkError
    from airtype_core.settings import SettingsError
    from airtype_core.storage.records import StorageError

    return (Unavailable, StorageError, LabelError, InkError, SettingsError)


_loaded_model_dirs: set[str] = set()  # lets a page ask "ready?" without waiting for the load


@st.cache_resource(show_spinner="Loading the model…")
def _predictor(model_dir: str) -> Predictor:
    from airtype_core.recognition.modelstore import ModelStore
    from airtype_core.recognition.predictor import Predictor

    predictor = Predictor(store=ModelStore(model_dir))
    _loaded_model_dirs.add(model_dir)
    return predictor


def predictor_loaded() -> bool:
    """Whether `get_predictor()` would answer at once (the model is already in memory)."""

    return str(get_settings().model_dir) in _loaded_model_dirs


def get_predictor() -> Predictor:
    """The process's predictor, reloaded first if the active model version changed."""
    from airtype_core.recognition.modelstore import ModelLoadError, NoModelForSeqLenError

    try:
        predictor = _predictor(str(get_settings().model_dir))
        predictor.refresh()  # one stat() of the active pointer when nothing changed
    except NoModelForSeqLenError as exc:
        raise NoModelForSetting(
            f"No model here was made for AIRTYPE_SEQ_LEN={exc.seq_len}: unset it to use the shipped model, "
            f"or train a model for {exc.seq_len} points on the Training page."
        ) from exc
    except ModelLoadError as exc:
        raise Unavailable(f"No model can be used for recognition: {exc}") from exc
    return predictor


@st.cache_resource(show_spinner="Opening the database…")
def _storage(url: str) -> Storage:
    from airtype_core.learning.jobs import JobRunner
    from airtype_core.storage.store import Storage

    storage = Storage(url)
    try:
        # A training run still "running" whose process died is marked failed once,
        # before any page lists the runs; a run that outlived a server restart and
        # still holds the job lock is left alone.
        JobRunner().recover(storage)
    except Exception:
        storage.close()  # not cached: the next call opens a new one
        raise
    return storage


def get_storage() -> Storage:
    """The process's storage (an error is not cached: the next call tries again)."""
    from airtype_core.storage.records import StorageError

    try:
        return _storage(get_settings().database_url)
    except StorageError as exc:
        raise Unavailable(str(exc)) from exc
