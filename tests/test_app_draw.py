"""The Draw page and the shared sidebar, driven by Streamlit's AppTest (no browser).

The canvas is a browser component: a browser sends its strokes back with every
rerun, so `DrawPage` does the same, putting them into the canvas's session state
before each run. The model is the shipped one; each test gets its own SQLite
database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from model_files import copy_shipped_models
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from airtype_core.settings import get_settings
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120  # the first run in a test process imports torch and loads the model

# Paths as the 0.13 canvas (Fabric 7) sends them, in a 320 x 320 canvas.
L_SHAPE = [["M", 100, 50], ["Q", 100, 50, 100, 160], ["Q", 100, 270, 140, 270], ["L", 240, 270]]
SEVEN_BAR = [["M", 70, 60], ["L", 250, 60]]
SEVEN_LEG = [["M", 250, 60], ["L", 140, 280]]
CLICK = [["M", 29.988, 300], ["L", 30.012, 300]]  # a click without moving: a dot


class DrawPage:
    """The app on its Draw page, with a canvas that remembers its strokes like a browser's."""

    def __init__(self, at: AppTest):
        self.at = at
        self.paths: tuple[list, ...] = ()

    def run(self) -> DrawPage:
        generation = self.generation()
        if self.paths:
            objects = [{"type": "Path", "path": p, "scaleX": 1, "scaleY": 1} for p in self.paths]
            self.at.session_state[f"draw-{generation}-canvas"] = {
                "drawing": {"raw": {"version": "7.4.0", "objects": objects}, "data": None},
                "backgroundFit": None,
            }
        self.at.run()
        assert not self.at.exception, self.at.exception
        if self.generation() != generation:
            self.paths = ()  # a new canvas replaced the old one
        return self

    def generation(self) -> int:
        state = self.at.session_state
        return state["draw-generation"] if "draw-generation" in state else 0

    def draw(self, *paths: list) -> DrawPage:
        """Strokes on the canvas (all of them, as after the last mouse-up), then the rerun."""
        self.paths = paths
        return self.run()

    # what is on the page
    def texts(self) -> str:
        return "\n".join(m.value for m in self.at.markdown)

    def shows_prediction(self) -> bool:
        return "### Prediction:" in self.texts()

    def predicted(self) -> str:
        line = next(m.value for m in self.at.markdown if m.value.startswith("### Prediction:"))
        return line.split("`")[1]

    def errors(self) -> list[str]:
        return [e.value for e in self.at.error]

    # widgets
    def confirm(self) -> DrawPage:
        next(b for b in self.at.button if b.label.startswith("Yes, it is")).click()
        return self.run()

    def correct(self, text: str) -> DrawPage:
        type_entry(self.at.selectbox(key=f"draw-{self.generation()}-fix"), text)
        return self.run()

    def participant_box(self) -> Selectbox:
        return self.at.sidebar.selectbox(key="participant-name")

    def set_participant(self, name: str | None) -> DrawPage:
        type_entry(self.participant_box(), name)
        return self.run()


class _TypedSelectbox(Selectbox):
    @property
    def _widget_state(self) -> WidgetState:
        state = WidgetState(id=self.id)
        if self._value is not None:
            state.string_value = str(self._value)
        return state


def type_entry(box: Selectbox, text: str | None) -> Selectbox:
    """Type `text` into a select box and press Enter, as a browser sends it, also for a
    value that is not among the options (AppTest's set_value only knows listed ones)."""
    box.__class__ = _TypedSelectbox
    return box.set_value(text)


@pytest.fixture
def page(db_file) -> DrawPage:
    # Twice: the first view of a fresh process leaves the sidebar to a warm-up tick
    # that only a browser sends.
    return DrawPage(AppTest.from_file(APP, default_timeout=TIMEOUT)).run().run()


def stored(db_file: Path):
    storage = Storage(f"sqlite:///{db_file}")
    try:
        return storage.query_samples(SampleFilter()).items, storage.list_participants()
    finally:
        storage.close()


def test_prediction_appears_as_soon_as_the_pen_lifts(page):
    page.draw(L_SHAPE)
    assert page.shows_prediction()
    assert "Confidence **" in page.texts() and "1 stroke ·" in page.texts()
    assert [c.value for c in page.at.main.caption if c.value.startswith("Model `")]
    assert len(page.at.get("plotly_chart")) == 1  # the top-5 bar chart
    assert [b.label for b in page.at.button if b.label.startswith("Yes")] == [f"Yes, it is {page.predicted()}"]


def test_each_new_stroke_updates_the_prediction(page):
    page.draw(SEVEN_BAR)
    assert "1 stroke ·" in page.texts()
    page.draw(SEVEN_BAR, SEVEN_LEG)
    assert "2 strokes ·" in page.texts()
    page.draw(SEVEN_BAR)  # undo
    assert "1 stroke ·" in page.texts()
    page.draw()  # clear
    assert not page.shows_prediction()


def test_confirmation_is_stored_with_the_participant_and_the_canvas_clears(page, db_file):
    page.set_participant("Ada")
    char = page.draw(L_SHAPE).predicted()
    page.confirm()

    [sample], [ada] = stored(db_file)
    assert (sample.actual_char, sample.predicted_char, sample.correction_type) == (char, char, "confirmed")
    assert sample.source == "canvas" and sample.is_correct and sample.model_version
    assert ada.name == "Ada" and sample.participant_id == ada.id
    assert sample.features is not None and sample.features.shape == (50, 7)
    assert [t.value for t in page.at.toast] == [f"Confirmed {char}: stored as sample #{sample.id}"]
    assert page.generation() == 1  # a fresh canvas for the next character
    assert not page.shows_prediction()


def test_correction_is_stored(page, db_file):
    wrong = page.draw(L_SHAPE).predicted()
    right = "Z" if wrong != "Z" else "z"
    page.correct(right)

    [sample], _ = stored(db_file)
    assert (sample.actual_char, sample.predicted_char, sample.correction_type) == (right, wrong, "corrected")
    assert sample.is_correct is False and sample.participant_id is None
    assert page.at.toast[0].value.startswith(f"Corrected {wrong} → {right}: stored")


def test_the_last_answer_can_be_taken_back(page, db_file):
    char = page.draw(L_SHAPE).predicted()
    page.confirm()
    [sample], _ = stored(db_file)
    undo = next(b for b in page.at.button if b.label.startswith("Undo: take back the last answer"))
    assert f"sample #{sample.id}" in undo.label
    undo.click()
    page.run()
    assert stored(db_file)[0] == ()
    assert any(t.value == f"Taken back: sample #{sample.id} ({char})" for t in page.at.toast)
    assert not [b for b in page.at.button if b.label.startswith("Undo: take back")]


def test_answers_go_to_the_database_of_AIRTYPE_DATABASE_URL(db_url, monkeypatch):
    """On SQLite and on PostgreSQL (the `db_url` fixture runs the test on both)."""
    monkeypatch.setenv("AIRTYPE_DATABASE_URL", db_url)
    page = DrawPage(AppTest.from_file(APP, default_timeout=TIMEOUT)).run().run()
    page.set_participant("Lin")
    char = page.draw(L_SHAPE).predicted()
    page.confirm()
    page.draw(SEVEN_BAR, SEVEN_LEG).correct("7")

    storage = Storage(db_url)
    try:
        rows = sorted(storage.query_samples(SampleFilter()).items, key=lambda s: s.id)
        [lin] = storage.list_participants()
    finally:
        storage.close()
    assert [(r.actual_char, r.participant_id) for r in rows] == [(char, lin.id), ("7", lin.id)]


def test_correction_outside_the_62_classes_is_refused(page, db_file):
    page.draw(L_SHAPE).correct("#")

    assert stored(db_file)[0] == ()
    assert page.errors() == ["Not stored: '#' is not a character AirType knows: use one of 0-9, A-Z, a-z."]
    assert page.shows_prediction()  # still there: pick a real character instead
    page.correct("L")
    assert [s.actual_char for s in stored(db_file)[0]] == ["L"]


def test_predict_with_an_empty_canvas_asks_for_a_drawing(page, db_file):
    next(b for b in page.at.button if b.label == "Predict").click()
    page.run()
    assert [w.value for w in page.at.warning] == ["Draw a character first: the canvas is empty."]
    assert stored(db_file)[0] == ()


def test_a_single_dot_is_explained_not_predicted(page):
    page.draw(CLICK)
    assert page.errors() == ["The ink is a single dot: draw a whole character."]
    assert not page.shows_prediction()
    page.draw(CLICK, L_SHAPE)  # the app keeps working
    assert page.shows_prediction()


def test_locked_database_shows_a_message_and_nothing_is_half_stored(page, db_file):
    char = page.draw(L_SHAPE).predicted()
    locker = sqlite3.connect(db_file, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        page.confirm()
        [error] = page.errors()
        assert error.startswith("Not stored: The database") and "is busy" in error
        assert page.shows_prediction()  # the same click can be repeated
    finally:
        locker.rollback()
        locker.close()
    assert stored(db_file)[0] == ()
    page.confirm()
    assert [s.actual_char for s in stored(db_file)[0]] == [char]
    assert page.errors() == []


def test_deleted_database_shows_a_message_and_the_next_try_is_stored(page, db_file):
    page.set_participant("Ada")
    page.draw(L_SHAPE)
    for path in db_file.parent.glob(db_file.name + "*"):
        path.unlink()
    page.confirm()
    [error] = page.errors()
    assert "disappeared while AirType was running" in error
    assert page.shows_prediction()
    page.confirm()

    [sample], [ada] = stored(db_file)
    assert sample.participant_id == ada.id and ada.name == "Ada"  # the participant came back
    assert page.errors() == []


def test_participant_can_be_created_then_picked(page, db_file):
    page.set_participant("Grace")
    assert page.at.session_state["participant"].name == "Grace"
    page.participant_box().set_value(None)
    page.run()
    assert page.at.session_state["participant"] is None
    assert page.participant_box().options == ["Grace"]
    page.participant_box().set_value("Grace")
    page.run()
    assert page.at.session_state["participant"].name == "Grace"
    assert [p.name for p in stored(db_file)[1]] == ["Grace"]


def test_training_runs_left_running_by_a_dead_process_are_marked_at_start(db_file, tmp_path, monkeypatch):
    models = copy_shipped_models(tmp_path / "models")
    monkeypatch.setenv("AIRTYPE_MODEL_DIR", str(models))
    storage = Storage(f"sqlite:///{db_file}")
    dead = storage.start_training_session("finetune", {"epochs": 3})
    elsewhere = storage.start_training_session("finetune", {"epochs": 3})  # an app with another model folder
    storage.close()
    job = models / ".jobs" / "20260101-000000-000000"  # what a killed run leaves: its status says training
    job.mkdir(parents=True)
    (job / "status.json").write_text(json.dumps({"job_id": job.name, "state": "training", "session_id": dead}))
    (models / ".jobs" / "current.json").write_text(json.dumps({"job_id": job.name}))
    DrawPage(AppTest.from_file(APP, default_timeout=TIMEOUT)).run().run()

    storage = Storage(f"sqlite:///{db_file}")
    runs = {run_id: storage.get_training_session(run_id) for run_id in (dead, elsewhere)}
    storage.close()
    assert (runs[dead].status, runs[dead].error) == ("failed", "interrupted (the process stopped)")
    assert runs[elsewhere].status == "running", "a run this app knows nothing of is not its to mark"


def test_sidebar_shows_the_model_in_use(page):
    default = (get_settings().model_dir / "default.txt").read_text().strip()
    page.draw(L_SHAPE)  # the model is certainly loaded now
    assert f"Model in use: `{default}`" in [c.value for c in page.at.sidebar.caption]


def test_newly_activated_model_is_used_without_restart(tmp_path, monkeypatch, db_file):
    shipped, models = get_settings().model_dir, tmp_path / "models"
    default = (shipped / "default.txt").read_text().strip()
    shutil.copytree(shipped / default, models / default)
    (models / "default.txt").write_text(default + "\n")
    monkeypatch.setenv("AIRTYPE_MODEL_DIR", str(models))
    page = DrawPage(AppTest.from_file(APP, default_timeout=TIMEOUT)).draw(L_SHAPE)
    assert f"Model in use: `{default}`" in [c.value for c in page.at.sidebar.caption]

    shutil.copytree(models / default, models / "v-retrained")
    manifest = json.loads((models / "v-retrained" / "manifest.json").read_text())
    manifest.update(version="v-retrained", parent_version=default)
    (models / "v-retrained" / "manifest.json").write_text(json.dumps(manifest))
    (models / "active.txt").write_text("v-retrained\n")  # what activating a trained version does
    page.draw(L_SHAPE, SEVEN_BAR)
    assert "Model `v-retrained`" in [c.value for c in page.at.main.caption]
    assert "Model in use: `v-retrained`" in [c.value for c in page.at.sidebar.caption]


def test_reruns_reuse_the_loaded_model(page):
    from ui.resources import get_predictor

    first = get_predictor()
    page.draw(L_SHAPE)
    page.draw(L_SHAPE, SEVEN_BAR)
    assert get_predictor() is first


def _panel_alone(uncertain: bool) -> None:
    import numpy as np

    from airtype_core.recognition.ink import Ink
    from airtype_core.recognition.predictor import Prediction
    from ui.feedback import prediction_panel

    alternatives = (("7", 0.4), ("1", 0.3), ("T", 0.1), ("l", 0.1), ("I", 0.05))
    prediction = Prediction("7", 0.4, alternatives, uncertain, 3.0, "v-test")
    prediction_panel(prediction, Ink.from_strokes([np.array([[0.0, 0.0], [10.0, 0.0], [4.0, 20.0]])]), key="k")


def _place_of(node, kind: str, path: tuple[int, ...] = ()) -> tuple[int, ...] | None:
    """Where in the element tree the first `kind` element is, as child indices from the root."""
    if getattr(node, "type", None) == kind:
        return path
    for index, child in getattr(node, "children", {}).items():
        found = _place_of(child, kind, (*path, index))
        if found is not None:
            return found
    return None


def test_the_not_sure_warning_does_not_move_the_chart_and_buttons_below_it():
    # Streamlit matches elements between reruns by their place: one that moves is
    # rebuilt in the browser, which made every answer after a change of warning slow.
    places = {}
    for uncertain in (False, True):
        at = AppTest.from_function(_panel_alone, args=(uncertain,), default_timeout=TIMEOUT).run()
        assert not at.exception, at.exception
        assert len(at.warning) == int(uncertain)
        places[uncertain] = [_place_of(at.main, kind) for kind in ("plotly_chart", "button", "selectbox")]
    assert None not in places[True]
    assert places[False] == places[True]
