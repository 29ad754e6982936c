"""The Stats, Collect and Participants pages, driven by Streamlit's AppTest (no browser).

Each test gets its own SQLite database (db_file). A canvas is a browser
component: the Collect tests put its strokes into session state before a run,
as a browser sends them (see test_app_draw.DrawPage).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from airtype_core.bench.stats import seed_samples
from airtype_core.insight import collection, stats
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
L_SHAPE = [["M", 100, 50], ["Q", 100, 50, 100, 160], ["Q", 100, 270, 140, 270], ["L", 240, 270]]


def open_storage(db_file: Path) -> Storage:
    return Storage(f"sqlite:///{db_file}")


def app_on(page: str, participant: str | None = None, session: int | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if participant:  # as in the address of a reloaded tab; AppTest drops them on a page switch, hence two runs
        at.query_params["participant"] = participant
        run(at)
    at.switch_page(page)
    if session is not None:
        at.query_params["session"] = str(session)
    at.run()
    assert not at.exception, at.exception
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(x.value) for kind in ("info", "warning", "error", "success") for x in at.get(kind)]
    return "\n".join(parts)


# --- Stats ------------------------------------------------------------------------------


def test_stats_page_with_an_empty_database_says_so(db_file):
    at = app_on("pages/stats.py")
    assert [m.value for m in at.metric] == ["0", "—", "—"]
    assert "No samples match these filters yet" in texts(at)
    assert not at.get("plotly_chart")


def test_stats_page_shows_the_numbers_of_the_core(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 400, seed=3, days=20, features=False, ink_points=3)
    expected = stats.page_stats(storage)
    ada = storage.find_participant("Ada")
    only_ada = stats.page_stats(storage, stats.StatsFilter(participant_id=ada.id, source="canvas"))
    storage.close()

    at = app_on("pages/stats.py")
    assert [m.value for m in at.metric] == [
        f"{expected.totals.samples:,}",
        f"{expected.totals.accuracy:.1%}",
        f"{expected.totals.misclassification_rate:.1%}",
    ]
    charts = at.get("plotly_chart")
    assert len(charts) == 7  # per character, confusion squares, 2 histograms, reliability, versions, per day
    top = at.dataframe[0].value
    assert [tuple(r) for r in top[["written", "read as", "times"]].values[:3]] == [
        (c.actual, c.predicted, c.count) for c in expected.top_confusions[:3]
    ]
    assert "What to practise" in [h.value for h in at.subheader][0]

    at.selectbox(key="stats-participant").set_value("Ada")
    at.selectbox(key="stats-source").set_value("canvas")
    run(at)
    assert at.metric[0].value == f"{only_ada.totals.samples:,}"


def test_a_date_range_with_no_data_is_an_empty_state(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 50, seed=1, days=5, features=False, ink_points=3)
    storage.close()
    at = app_on("pages/stats.py")
    from datetime import date

    at.date_input(key="stats-dates").set_value((date(2001, 1, 1), date(2001, 1, 2)))
    run(at)
    assert at.metric[0].value == "0" and "No samples match these filters yet" in texts(at)


def test_practise_these_starts_a_session_on_the_collect_page(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 200, seed=2, days=5, features=False, ink_points=3)
    storage.close()
    at = app_on("pages/stats.py", participant="Ada")
    button = next(b for b in at.button if b.label.startswith("Practise these:"))
    assert not button.disabled
    practice = button.label.split(":", 1)[1].split()
    button.click()
    run(at)
    assert "Write this character:" in texts(at)  # now on the Collect page
    storage = open_storage(db_file)
    [session] = collection.open_sessions(storage)
    storage.close()
    assert session.participant == "Ada" and sorted(session.prompts) == sorted(practice * 2)


# --- Collect ----------------------------------------------------------------------------


def draw_on_canvas(at: AppTest, paths: list) -> None:
    key = next(k for k in at.session_state.filtered_state if k.endswith("-canvas") and k.startswith("collect-"))
    objects = [{"type": "Path", "path": p, "scaleX": 1, "scaleY": 1} for p in paths]
    at.session_state[key] = {"drawing": {"raw": {"version": "7.4.0", "objects": objects}, "data": None},
                             "backgroundFit": None}  # fmt: skip


def progress(at: AppTest) -> int:
    """The progress bar, in percent."""
    return at.get("progress")[0].proto.value


def test_a_session_needs_a_participant(db_file):
    at = app_on("pages/collect.py")
    assert "Choose a participant in the sidebar first" in texts(at)
    assert at.button(key="collect-start").disabled


@pytest.mark.parametrize(
    "custom, repetitions, message",
    [("ab!", 1, "'!' is not among the 62"), ("aba", 1, "a appears more than once"), ("ab", 0, "repetitions must be")],
)
def test_bad_session_settings_are_explained_and_nothing_is_stored(db_file, custom, repetitions, message):
    storage = open_storage(db_file)
    storage.add_participant("Ada")
    storage.close()
    at = app_on("pages/collect.py", participant="Ada")
    at.radio(key="collect-target").set_value("custom")
    run(at)
    at.text_input(key="collect-custom").set_value(custom)
    at.number_input(key="collect-repetitions").set_value(repetitions)
    at.button(key="collect-start").click()
    run(at)
    assert message in texts(at)
    storage = open_storage(db_file)
    assert storage.list_collection_sessions() == []
    storage.close()


def test_a_session_is_drawn_paused_resumed_elsewhere_and_summarized(db_file):
    storage = open_storage(db_file)
    storage.add_participant("Ada")
    storage.close()
    at = app_on("pages/collect.py", participant="Ada")
    at.radio(key="collect-target").set_value("custom")
    run(at)
    at.text_input(key="collect-custom").set_value("LT")
    at.number_input(key="collect-repetitions").set_value(1)
    at.button(key="collect-start").click()
    run(at)
    assert progress(at) == 0
    session_id = at.session_state["collect-session"]
    assert at.query_params["session"] == [str(session_id)]

    draw_on_canvas(at, [L_SHAPE])
    run(at)
    assert "The model reads" in texts(at)
    next(b for b in at.button if b.label == "Next").click()
    run(at)
    assert progress(at) == 50
    next(b for b in at.button if b.label == "Pause").click()
    run(at)
    assert "is paused at 1 of 2" in texts(at)

    other = app_on("pages/collect.py", participant="Ada")  # another tab (or a restarted server)
    other.button(key=f"collect-resume-{session_id}").click()
    run(other)
    next(b for b in other.button if b.label == "Skip").click()
    run(other)
    assert "is finished" in texts(other)
    assert [m.value for m in other.metric][2] == "1 / 1"

    storage = open_storage(db_file)
    [sample] = storage.query_samples(SampleFilter(collection_session_id=session_id)).items
    summary = collection.summarize(storage, session_id)
    storage.close()
    assert sample.correction_type == "prompted" and sample.predicted_char is not None
    assert other.metric[0].value == f"{summary.accuracy:.0%}"


def test_a_session_whose_participant_was_deleted_says_so(db_file):
    storage = open_storage(db_file)
    ada = storage.add_participant("Ada")
    state = collection.start_session(storage, ada.id, collection.plan_session("digits", 1, 0))
    at = app_on("pages/collect.py", participant="Ada", session=state.id)
    assert "Write this character:" in texts(at)
    storage.delete_participant(ada.id)
    storage.close()
    draw_on_canvas(at, [L_SHAPE])
    run(at)
    assert "no longer exists" in texts(at)
    assert "New session" in [h.value for h in at.subheader]


# --- Participants and the sidebar -----------------------------------------------------


def test_participants_are_added_renamed_and_deleted_after_a_count(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 120, seed=4, days=5, features=False, ink_points=3)
    ada = storage.find_participant("Ada")
    count = storage.participant_sample_count(ada.id)
    storage.close()
    at = app_on("pages/participants.py")
    at.text_input(key=f"participants-rename-{ada.id}").set_value("Ada L.")
    at.button(key=f"participants-rename-button-{ada.id}").click()
    run(at)
    assert "Ada is now Ada L." in texts(at)
    at.button(key=f"participants-delete-{ada.id}").click()
    run(at)
    assert (
        f"Delete Ada L. and their {count} samples? Their handwriting is erased, with every copy kept "
        "for undo: this cannot be undone."
    ) in texts(at)
    at.button(key=f"participants-yes-{ada.id}").click()
    run(at)
    assert f"Ada L. and their {count} samples were deleted." in texts(at)
    storage = open_storage(db_file)
    assert "Ada L." not in [p.name for p in storage.list_participants()]
    assert storage.query_samples().total == 120 - count
    storage.close()


def test_the_sidebar_participant_survives_a_reload(db_file):
    storage = open_storage(db_file)
    storage.add_participant("Grace")
    storage.close()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["participant"] = "Grace"  # a reload: a new session, the same address
    run(run(at))
    assert at.sidebar.selectbox(key="participant-name").value == "Grace"
    assert at.session_state["participant"].name == "Grace"
    at.switch_page("pages/stats.py")  # switching pages drops the address's parameters: the app puts it back
    run(at)
    assert at.query_params["participant"] == ["Grace"]


def test_a_suggested_session_prompts_the_suggested_characters(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 150, seed=5, days=5, features=False, ink_points=3)
    storage.close()
    at = app_on("pages/collect.py", participant="Ada")
    at.radio(key="collect-target").set_value("suggested")
    at.number_input(key="collect-repetitions").set_value(1)
    at.button(key="collect-start").click()
    run(at)
    assert "Write this character:" in texts(at)
    from airtype_core.insight.suggestions import suggest
    from airtype_core.recognition.predictor import Predictor
    from airtype_core.settings import get_settings

    storage = open_storage(db_file)
    [session] = collection.open_sessions(storage)
    expected = suggest(storage, session.participant_id, reader=Predictor(),
                       threshold=get_settings().uncertain_threshold).practice_set  # fmt: skip
    storage.close()
    assert sorted(session.prompts) == sorted(expected) and len(expected) == 10  # the practice set, once each
    assert session.options["target"] == "suggested"


def test_a_row_of_the_top_confusions_lists_its_samples(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 300, seed=6, days=5, features=False, ink_points=3)
    top = stats.page_stats(storage).top_confusions[0]
    storage.close()
    at = app_on("pages/stats.py")
    at.session_state["stats-top"] = {"selection": {"rows": [0], "columns": [], "cells": []}}  # as a click sends it
    run(at)
    assert f"**Written {top.actual}, read {top.predicted}** · {top.count} sample" in texts(at)


def test_a_square_of_the_confusion_matrix_lists_its_samples(db_file):
    storage = open_storage(db_file)
    seed_samples(storage, 300, seed=6, days=5, features=False, ink_points=3)
    top = stats.page_stats(storage).top_confusions[0]
    storage.close()
    at = app_on("pages/stats.py")
    point = {"customdata": [top.actual, top.predicted, top.count], "x": top.predicted, "y": top.actual}
    at.session_state["stats-heatmap"] = {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}
    run(at)
    assert f"**Written {top.actual}, read {top.predicted}** · {top.count} sample" in texts(at)
    assert texts(at).count("<figure") == texts(at).count("<svg") == min(top.count, 48)  # one small ink each
