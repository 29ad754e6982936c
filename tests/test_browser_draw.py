"""The Draw page in a real Chromium against a real `streamlit run app.py`.

The mouse draws on the canvas, the test waits for what a person would see, and
the database is checked afterwards. One server and one browser for the module;
each test tags its samples with its own participants.

AIRTYPE_UPDATE_SCREENSHOT=1 also saves the page with a prediction as
docs/screenshot-draw.png (the README's picture); otherwise it goes to a temp dir.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import browser_support
import pytest
from browser_support import (  # noqa: F401
    GLYPHS,
    app_on_new_database,
    browser,
    draw,
    draw_glyph,
    wait_idle,
)
from playwright.sync_api import expect

from airtype_core.recognition.charset import CLASSES
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot-draw.png"
WAIT_MS = browser_support.WAIT_MS  # generous: the machine may be busy; nothing here measures speed


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with app_on_new_database(tmp_path_factory.mktemp("browser-draw")) as urls:
        yield urls


def open_draw_page(browser, server_url: str, participant: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server_url)
    page.get_by_text("Draw a character on the canvas.").wait_for()
    choose(page, "Participant", participant)
    expect(page.get_by_role("combobox", name="Participant")).to_have_value(participant)
    wait_idle(page)
    return page


def choose(page, label: str, text: str) -> None:
    """Type into a select box and take the option that is exactly `text` (or the typed entry)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box.locator("input").click()
    page.keyboard.type(text)
    option = page.get_by_role("option", name=text, exact=True)
    if option.count():
        option.first.click()
    else:
        page.keyboard.press("Enter")


def wait_prediction(page, strokes: int) -> str:
    """The character the page shows once it has read `strokes` strokes."""
    suffix = "stroke" if strokes == 1 else "strokes"
    page.get_by_text(re.compile(rf"Confidence \d+% · {strokes} {suffix} ·")).wait_for()
    heading = page.get_by_role("heading", name=re.compile("^Prediction:")).inner_text()
    return heading.split(":", 1)[1].strip()


def wait_stored(page) -> None:
    """Until a fresh canvas waits for the next character (the toast is too brief to wait for
    on a busy machine; the database is checked instead)."""
    page.get_by_text("Draw a character on the canvas.").wait_for()
    wait_idle(page)


def samples_of(db_url: str, participant: str):
    storage = Storage(db_url)
    try:
        [who] = [p for p in storage.list_participants() if p.name == participant]
        return sorted(storage.query_samples(SampleFilter(participant_id=who.id)).items, key=lambda s: s.id)
    finally:
        storage.close()


def test_drawn_character_is_confirmed_and_another_corrected(browser, app, tmp_path):
    server_url, db_url = app
    page = open_draw_page(browser, server_url, "Ada")

    draw_glyph(page, "L")
    first = wait_prediction(page, strokes=1)
    page.get_by_role("button", name=f"Yes, it is {first}").click()
    wait_stored(page)

    draw_glyph(page, "T")
    second = wait_prediction(page, strokes=2)
    wait_idle(page)
    update = os.environ.get("AIRTYPE_UPDATE_SCREENSHOT") == "1"
    page.screenshot(path=str(SCREENSHOT if update else tmp_path / SCREENSHOT.name))
    right = "T" if second != "T" else "t"
    choose(page, "Not right?", right)
    wait_stored(page)

    confirmed, corrected = samples_of(db_url, "Ada")
    assert (confirmed.correction_type, confirmed.actual_char, confirmed.predicted_char) == ("confirmed", first, first)
    assert (corrected.correction_type, corrected.actual_char, corrected.predicted_char) == ("corrected", right, second)
    assert {confirmed.source, corrected.source} == {"canvas"}
    assert [len(confirmed.ink.strokes), len(corrected.ink.strokes)] == [1, 2]
    page.context.close()


def test_a_click_on_the_canvas_is_a_dot_not_a_character(browser, app):
    page = open_draw_page(browser, app[0], "Dot")
    draw(page, [(40, 40)])
    page.get_by_text("The ink is a single dot: draw a whole character.").wait_for()
    draw_glyph(page, "L")  # the app keeps working
    assert wait_prediction(page, strokes=2) in CLASSES
    page.context.close()


def test_undo_and_clear_from_the_canvas_toolbar(browser, app):
    page = open_draw_page(browser, app[0], "Toolbar")
    draw_glyph(page, "T")
    wait_prediction(page, strokes=2)
    page.get_by_role("button", name="Undo", exact=True).click()
    wait_prediction(page, strokes=1)
    page.get_by_role("button", name="Reset canvas & history").click()
    page.get_by_text("Draw a character on the canvas.").wait_for()
    page.context.close()


def test_two_browser_sessions_storing_at_once_lose_nothing(browser, app):
    server_url, db_url = app
    pages = [open_draw_page(browser, server_url, name) for name in ("Left", "Right")]
    rounds = ["7", "1", "L"]
    for char in rounds:
        for page in pages:
            draw_glyph(page, char)
        predicted = [wait_prediction(page, len(GLYPHS[char])) for page in pages]
        for page in pages:
            wait_idle(page)
        for page, shown in zip(pages, predicted):  # both clicks before either answer comes back
            page.get_by_role("button", name=f"Yes, it is {shown}").click()
        for page in pages:
            wait_stored(page)

    for name in ("Left", "Right"):
        rows = samples_of(db_url, name)
        assert len(rows) == len(rounds)
        assert [len(r.ink.strokes) for r in rows] == [len(GLYPHS[c]) for c in rounds]
    for page in pages:
        page.context.close()
