"""The Data page, driven by Streamlit's AppTest: filter to the misclassified samples, fix a label, undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from airtype_core.recognition.ink import Ink
from airtype_core.storage.records import NewSample

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _sample(i: int, label: str, predicted: str) -> NewSample:
    kind = "confirmed" if label == predicted else "corrected"
    return NewSample(
        ink=Ink.from_strokes([[[i, 0], [i + 9, 20], [i, 30]]]),
        actual_char=label,
        correction_type=kind,
        predicted_char=predicted,
        confidence=0.6,
    )


@pytest.fixture
def page(app_storage):
    storage = app_storage
    storage.save_samples([_sample(i, "a", "a") for i in range(3)] + [_sample(10 + i, "b", "h") for i in range(2)])
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    yield at, storage


def _by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def _button(at: AppTest, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def test_filter_relabel_with_confirmation_and_undo(page):
    at, storage = page
    assert "**5** samples match" in at.caption[0].value
    _by_label(at.checkbox, "Misclassified only").check().run()
    assert "**2** samples match" in at.caption[0].value
    assert len(at.dataframe[0].value) == 2
    _by_label(at.checkbox, "Select all on this page").check().run()
    _by_label(at.selectbox, "Relabel as").set_value("h").run()
    _button(at, "Relabel 2").click().run()
    assert any("Relabel 2 samples as `h`?" in w.value for w in at.warning)
    assert {s.actual_char for s in storage.iter_samples()} == {"a", "b"}  # nothing yet: it asks first
    _button(at, "Yes, do it").click().run()
    assert not at.exception, at.exception
    assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "a", "a", "h", "h"]
    assert "**0** samples match" in at.caption[0].value or "No sample matches" in at.caption[0].value
    undo = next(b for b in at.button if b.label == "Undo" and not b.disabled)
    undo.click().run()
    assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "a", "a", "b", "b"]
    assert any("put back" in s.value for s in at.success)


def test_delete_asks_how_many_and_the_changes_tab_lists_it(page):
    at, storage = page
    _by_label(at.multiselect, "Character").set_value(["a"]).run()
    _by_label(at.checkbox, "Select all on this page").check().run()
    _button(at, "Delete 3").click().run()
    assert any("Delete 3 samples?" in w.value for w in at.warning)
    _button(at, "Yes, do it").click().run()
    assert [s.actual_char for s in storage.iter_samples()] == ["b", "b"]
    assert any("Deleted 3" in m.value for m in at.markdown)


def test_undo_of_a_change_made_over_later_says_why_it_is_refused(page):
    at, storage = page
    first = [s.id for s in storage.iter_samples() if s.actual_char == "b"]
    storage.relabel(first, "h")
    storage.relabel(first[:1], "k")
    newer, older = [e.id for e in storage.list_edits()]
    at.run()
    at.button(key=f"undo-{older}").click().run()
    assert not at.exception, at.exception
    assert any("changed again later" in e.value and "relabeled as `k`" in e.value for e in at.error)
    assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "a", "a", "h", "k"]


def test_the_delete_button_says_how_long_a_delete_can_be_undone(page, monkeypatch):
    at, storage = page
    _by_label(at.checkbox, "Select all on this page").check().run()
    assert any("undone for 30 days" in c.value and "erased" in c.value for c in at.caption)
    _button(at, "Delete 5").click().run()
    assert any("Delete 5 samples?" in w.value and "for 30 days" in w.value for w in at.warning)
