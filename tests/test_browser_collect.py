"""A collection session in a real Chromium: the prompted characters are drawn with the mouse,
the tab is closed halfway, the session is resumed in a new tab and its summary read; the
Stats page then shows the same total as the database."""

from __future__ import annotations

import re

import browser_support
import pytest
from browser_support import CANVAS, app_on_new_database, browser, draw_glyph, wait_idle  # noqa: F401
from playwright.sync_api import expect

from airtype_core.insight.collection import summarize
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage

WAIT_MS = browser_support.WAIT_MS  # generous: the machine may be busy; nothing here measures speed


@pytest.fixture
def app(tmp_path):
    with app_on_new_database(tmp_path, "Ada") as urls:
        yield urls


def open_collect(browser, server_url: str):  # noqa: F811
    """A new tab, as Ada (the participant in the address, as after a reload), on the Collect page."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server_url}/?participant=Ada")
    expect(page.get_by_role("combobox", name="Participant")).to_have_value("Ada", timeout=WAIT_MS)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Collect").click()
    expect(page.get_by_role("heading", name="Collect", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    return page


def draw_prompt(page, then: str) -> str:
    """Draw the character the page asks for, press Next and wait for `then` (a regex); returns it."""
    char = page.get_by_test_id("stMarkdownContainer").locator(".collect-prompt").inner_text().strip()
    # the canvas of this prompt (its key ends in the position): on a busy machine the previous
    # prompt's canvas may still be on screen, and strokes drawn on it are lost with it
    status = page.get_by_text(re.compile(r"^Ada · \d+ of \d+")).first.inner_text()
    position = int(re.search(r"· (\d+) of", status).group(1))
    canvas = f'[class*="-{position}-canvas"] {CANVAS}'
    page.locator(canvas).first.wait_for(state="visible", timeout=WAIT_MS)
    draw_glyph(page, char, canvas)
    expect(page.get_by_text(re.compile(r"^The model reads"))).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text(re.compile(then))).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    return char


def test_a_session_drawn_closed_halfway_resumed_and_summarized(browser, app):  # noqa: F811
    server_url, db_url = app
    page = open_collect(browser, server_url)
    page.get_by_text("characters you type").click()
    page.get_by_label("Characters to collect").fill("LT7")
    page.get_by_label("Characters to collect").press("Enter")
    wait_idle(page)
    page.get_by_label("Repetitions of each character").fill("1")
    page.get_by_label("Repetitions of each character").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Start the session").click()
    expect(page.get_by_text("Write this character:")).to_be_visible(timeout=WAIT_MS)
    drawn = [draw_prompt(page, r"Ada · 1 of 3 ")]
    page.context.close()  # the tab is closed halfway, without pausing

    page = open_collect(browser, server_url)
    page.get_by_role("button", name=re.compile(r"^Resume Ada's session #\d+: 1 of 3 done")).click()
    expect(page.get_by_text("Write this character:")).to_be_visible(timeout=WAIT_MS)
    drawn += [draw_prompt(page, r"Ada · 2 of 3 "), draw_prompt(page, r"Session #\d+ of Ada is finished")]
    assert sorted(drawn) == ["7", "L", "T"]

    storage = Storage(db_url)
    try:
        [session] = storage.list_collection_sessions()
        samples = storage.query_samples(SampleFilter(collection_session_id=session.id)).items
        summary = summarize(storage, session.id)
    finally:
        storage.close()
    assert sorted(s.actual_char for s in samples) == ["7", "L", "T"]
    assert all(s.correction_type == "prompted" and s.predicted_char for s in samples)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Model accuracy on these")
    expect(accuracy).to_contain_text(f"{summary.accuracy:.0%}", timeout=WAIT_MS)
    expect(page.get_by_test_id("stMetric").filter(has_text="Drawn / skipped")).to_contain_text("3 / 0", timeout=WAIT_MS)

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Stats").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Samples")).to_contain_text("3", timeout=WAIT_MS)
    # A click on a bar lists that character's samples, their ink drawn small.
    bar = page.locator(".js-plotly-plot .bars .point").first
    bar.wait_for(timeout=WAIT_MS)
    bar.click(force=True)
    expect(page.get_by_text(re.compile(r"^Samples of [7LT] · 1 sample$"))).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("figure svg polyline").first).to_be_visible(timeout=WAIT_MS)
    page.context.close()
