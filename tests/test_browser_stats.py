"""The Stats page of someone who drew on one day only, in a real Chromium: day ticks that are days,
chart titles that do not overlap, and a bar for a character the model never read right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import browser_support
import numpy as np
import pytest
from browser_support import browser, streamlit_server, wait_idle  # noqa: F401
from playwright.sync_api import expect

from airtype_core.learning.synth import sample
from airtype_core.storage.records import NewSample
from airtype_core.storage.store import Storage

WAIT_MS = browser_support.WAIT_MS  # generous: a loaded 2-core machine; nothing here measures speed
NEVER_RIGHT = "q"  # always read as "g"
ONE_DAY = datetime(2026, 12, 1, 9, tzinfo=UTC)


def one_days_samples() -> list[NewSample]:
    rng = np.random.default_rng(3)
    out = []
    for i, char in enumerate("abcdefghq" * 3):
        predicted = "g" if char == NEVER_RIGHT else char
        out.append(
            NewSample(
                sample(rng, char)[0],
                char,
                "confirmed" if predicted == char else "corrected",
                predicted_char=predicted,
                confidence=0.7,
                alternatives=((predicted, 0.7),),
                model_version="unipen-v1",
                created_at=ONE_DAY + timedelta(minutes=i),
            )
        )
    return out


@pytest.fixture(scope="module")
def stats_page(browser, tmp_path_factory):  # noqa: F811
    url = f"sqlite:///{tmp_path_factory.mktemp('stats') / 'airtype.db'}"
    storage = Storage(url)
    storage.save_samples(one_days_samples())
    storage.close()
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url}) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server.url}/stats")
        expect(page.get_by_text("Samples per day (UTC)")).to_be_attached(timeout=WAIT_MS)
        wait_idle(page, WAIT_MS)
        yield page
        page.close()


def chart(page, title: str):
    return page.locator(".js-plotly-plot", has=page.locator(".gtitle", has_text=title)).first


def test_one_day_of_data_is_ticked_in_days_not_hours(stats_page):
    ticks = (
        chart(stats_page, "Samples per day").locator(".xtick text").evaluate_all("els => els.map(e => e.textContent)")
    )
    assert ticks and all(":" not in t for t in ticks), ticks
    assert "01 Dec 2026" in ticks


def test_the_confusion_matrix_axis_title_does_not_overlap_the_chart_title(stats_page):
    matrix = chart(stats_page, "Confusion matrix")
    matrix.scroll_into_view_if_needed()
    title, axis = matrix.locator(".gtitle").bounding_box(), matrix.locator(".xtitle").bounding_box()
    apart = (
        title["y"] + title["height"] <= axis["y"]
        or axis["y"] + axis["height"] <= title["y"]
        or title["x"] + title["width"] <= axis["x"]
        or axis["x"] + axis["width"] <= title["x"]
    )
    assert apart, f"chart title {title} overlaps axis title {axis}"


def test_a_character_never_read_right_has_a_visible_bar(stats_page):
    bars = chart(stats_page, "Accuracy per character")
    index = bars.evaluate("(gd, char) => gd.data[0].x.findIndex(x => x.trim() === char)", NEVER_RIGHT)
    assert index >= 0
    height = bars.locator(".bars .point path").nth(index).evaluate("p => p.getBoundingClientRect().height")
    assert height >= 3, f"the bar of {NEVER_RIGHT!r} (0% right) is {height} px high"
