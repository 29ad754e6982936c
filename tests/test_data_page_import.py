"""The Data page's Import tab, driven by Streamlit's AppTest: nothing that looks like success when it is not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _jsonl(*writers: str, dx: int = 0) -> bytes:
    lines = [
        json.dumps({"label": "a", "strokes": [[[i + dx, 0], [i + dx + 9, 20]]], "writer": w})
        for i, w in enumerate(writers)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def page(app_storage):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    return at, app_storage


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="import-file").set_value((name, content, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def _import(at: AppTest) -> AppTest:
    at.button(key="import-go").click().run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_a_file_that_gives_no_sample_is_a_warning_not_a_success(page):
    at, storage = page
    _import(_upload(at, "random.jsonl", os.urandom(3000)))
    assert not _texts(at.success)
    assert any("No sample could be read" in text for text in _texts(at.warning)), _texts(at.warning)


def test_an_empty_file_says_so_and_offers_no_import_button(page):
    at, _ = page
    _upload(at, "empty.jsonl", b"")
    assert any("empty.jsonl is empty" in text for text in _texts(at.warning)), _texts(at.warning)
    assert not [b for b in at.button if b.key == "import-go"]


def test_the_summary_names_the_participants_created_and_goes_with_its_file(page):
    at, storage = page
    _import(_upload(at, "first.jsonl", _jsonl("ana", "bo", "ana")))
    summary = " ".join(_texts(at.success))
    assert "first.jsonl" in summary and "2 new participants created from the file's writers: ana, bo" in summary
    assert sorted(p.name for p in storage.list_participants()) == ["ana", "bo"]


def test_the_previous_files_result_does_not_stay_under_the_next_files_preview(page):
    at, _ = page
    _import(_upload(at, "first.jsonl", _jsonl("ana")))
    assert any("first.jsonl" in text for text in _texts(at.success))
    _upload(at, "second.jsonl", _jsonl("cy", dx=50))
    shown = _texts(at.success) + _texts(at.warning) + _texts(at.error)
    assert not any("first.jsonl" in text for text in shown), shown
