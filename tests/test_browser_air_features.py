"""Typing, calibrating and collecting on the Air-writing page, in a real Chromium.

No camera here: the demo hand (a generated landmark recording, replayed through
the page's own tracker, queue and recognizer) writes, swipes and calibrates. The
camera path itself is covered by test_browser_air.py with Chromium's fake camera.
"""

from __future__ import annotations

import re

import pytest
from browser_support import WAIT_MS, app_on_new_database, browser, wait_idle  # noqa: F401
from playwright.sync_api import expect

from airtype_core.storage.air_calibrations import air_calibration
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with app_on_new_database(tmp_path_factory.mktemp("air-features"), "Ada") as urls:
        yield urls


def open_air(browser, server_url: str, **context):  # noqa: F811
    """A new tab, as Ada, on the Air-writing page, reached through the app's navigation."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, **context).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server_url}/?participant=Ada")
    expect(page.get_by_role("combobox", name="Participant")).to_have_value("Ada", timeout=WAIT_MS)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Air writing").click()
    expect(page.get_by_role("heading", name="Write in the air")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page, WAIT_MS)
    return page


def click(page, name: str) -> None:
    page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(name)}$")).click()  # after an icon's name
    wait_idle(page, WAIT_MS)


def test_the_demo_hand_types_a_line_that_can_be_copied(browser, app):  # noqa: F811
    page = open_air(browser, app[0], permissions=["clipboard-read", "clipboard-write"])
    demo = page.get_by_role("textbox", name="Characters the demo hand writes")
    demo.fill("L7 T<L")  # a space is a swipe right, "<" a swipe left
    demo.press("Enter")
    wait_idle(page, WAIT_MS)
    click(page, "Run the replay demo")
    for _ in range(4):  # each character the model read, confirmed in turn, oldest first
        head = page.get_by_text(re.compile(r"^Character #\d+, replayed recording$")).first
        head.wait_for(timeout=WAIT_MS)
        shown = head.inner_text()
        page.get_by_role("button", name=re.compile(r"Yes, it is \S+")).first.click()
        expect(page.get_by_text(shown, exact=True)).to_have_count(0, timeout=WAIT_MS)  # the next one is up
        wait_idle(page, WAIT_MS)
    line = page.get_by_test_id("stCode").first
    expect(line).to_have_text("L7 L", timeout=WAIT_MS)
    line.hover()
    line.get_by_role("button").first.click()  # the code block's copy button
    assert page.evaluate("navigator.clipboard.readText()") == "L7 L"
    page.context.close()


def test_the_pinch_is_calibrated_kept_for_the_participant_and_reset(browser, app):  # noqa: F811
    server_url, db_url = app
    page = open_air(browser, server_url)
    page.get_by_text("Fit the pinch to your hand (calibration)").click()
    click(page, "Calibrate with the demo hand")
    expect(page.get_by_text(re.compile(r"^Calibrated for Ada: your pinch measured"))).to_be_visible(timeout=WAIT_MS)
    storage = Storage(db_url)
    try:
        ada = storage.find_participant("Ada")
        kept = air_calibration(storage, ada.id)
        assert kept is not None
        page.context.close()

        page = open_air(browser, server_url)  # a new tab: the calibration is Ada's, not the tab's
        page.get_by_text("Fit the pinch to your hand (calibration)").click()
        expect(
            page.get_by_text(re.compile(rf"below {kept.pinch_down:.2f} of your palm .*\(calibrated\)"))
        ).to_be_visible(timeout=WAIT_MS)
        click(page, "Reset my calibration")
        expect(page.get_by_text("Calibration reset: the pen uses the default pinch thresholds again.")).to_be_visible(
            timeout=WAIT_MS
        )
        assert air_calibration(storage, ada.id) is None
    finally:
        storage.close()
    page.context.close()


def prompt(page) -> str:
    return page.locator(".air-collect-prompt").inner_text().strip()


def test_a_collection_in_the_air_closed_halfway_resumes_and_stores_air_samples(browser, app):  # noqa: F811
    server_url, db_url = app
    page = open_air(browser, server_url)
    page.get_by_text("Collect in the air: a prompted session").click()
    chars = page.get_by_role("textbox", name="Characters to collect")
    chars.fill("L7T")
    chars.press("Enter")
    wait_idle(page, WAIT_MS)
    click(page, "Start collecting in the air")
    first = prompt(page)
    click(page, "Demo hand")  # the demo hand writes the prompt
    page.get_by_role("button", name=f"Keep it as {first}").click()
    expect(page.get_by_text(re.compile(r"Collecting in the air · Ada · 1 of 3"))).to_be_visible(timeout=WAIT_MS)
    second = prompt(page)
    page.context.close()  # the tab is closed halfway, without pausing

    page = open_air(browser, server_url)
    page.get_by_text("Collect in the air: a prompted session").click()
    expect(page.get_by_text(re.compile(r"Ada's session #\d+ in the air: 1 of 3 done"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name=re.compile(r"^Resume session #\d+")).click()
    expect(page.locator(".air-collect-prompt")).to_have_text(second, timeout=WAIT_MS)
    click(page, "Skip")
    expect(page.get_by_text(re.compile(r"Collecting in the air · Ada · 2 of 3"))).to_be_visible(timeout=WAIT_MS)
    click(page, "Redo the last")  # the skip is taken back
    expect(page.get_by_text(re.compile(r"Collecting in the air · Ada · 1 of 3"))).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".air-collect-prompt")).to_have_text(second, timeout=WAIT_MS)
    click(page, "Demo hand")
    page.get_by_role("button", name=f"Keep it as {second}").click()
    expect(page.get_by_text(re.compile(r"Collecting in the air · Ada · 2 of 3"))).to_be_visible(timeout=WAIT_MS)
    click(page, "Skip")
    expect(page.get_by_text(re.compile(r"^Session #\d+ finished: 2 written in the air, 1 skipped"))).to_be_visible(
        timeout=WAIT_MS
    )
    page.context.close()

    storage = Storage(db_url)
    try:
        [session] = storage.list_collection_sessions()
        samples = storage.query_samples(SampleFilter(collection_session_id=session.id)).items
    finally:
        storage.close()
    assert sorted((s.actual_char, s.source, s.correction_type) for s in samples) == sorted(
        [(first, "air", "prompted"), (second, "air", "prompted")]
    )
