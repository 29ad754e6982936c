"""The pages at the widths people use, sidebar open, in a real Chromium: every button's label on one
line inside its button, the whole drawing canvas on screen; and the browser's dark preference followed.

One server and one browser for the module; each page is opened once and the window resized to each
size, as a person resizing it would (the layout reflows without a rerun).
"""

from __future__ import annotations

import browser_support
import pytest
from browser_support import CANVAS, browser, streamlit_server, wait_idle  # noqa: F401
from playwright.sync_api import expect

from airtype_core.bench.stats import seed_samples
from airtype_core.insight import collection
from airtype_core.storage.store import Storage

WAIT_MS = browser_support.WAIT_MS  # generous: a loaded 2-core machine; nothing here measures speed
SIZES = [(1024, 768), (1280, 800), (1440, 900), (1920, 1080)]
PAGES = ["draw", "collect", "air", "data", "stats", "train"]
CANVAS_PAGES = {"draw", "collect"}

# For every visible button: inside the window, each piece of its text on one line and inside the button's box.
BUTTON_PROBLEMS_JS = """
() => {
  const problems = [];
  for (const button of document.querySelectorAll('[data-testid="stApp"] button')) {
    const box = button.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(button).visibility === 'hidden') continue;
    if (box.right > document.documentElement.clientWidth + 1) {
      problems.push(`${JSON.stringify(button.innerText.trim())}: cut off by the right edge of the window`);
    }
    const walker = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      const label = JSON.stringify(button.innerText.replace(/\\s+/g, ' ').trim());
      if (lines.size > 1) problems.push(`${label}: "${node.textContent.trim()}" on ${lines.size} lines`);
      for (const r of rects) {
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
          problems.push(`${label}: "${node.textContent.trim()}" spills out of its button`);
          break;
        }
      }
    }
  }
  return problems;
}
"""

# The canvas is on screen when what the browser shows at each of its corners is the canvas (or its
# toolbar, which floats over it): a column too narrow for it clips it, and a corner then shows
# what is beside or behind it.
CANVAS_HIDDEN_CORNERS_JS = """
(canvas) => {
  canvas.scrollIntoView({block: 'center'});
  const root = canvas.getRootNode();  // the canvas component draws in a shadow root
  const component = canvas.closest('.dc-root') || canvas.parentElement;  // the canvas and its toolbar
  const r = canvas.getBoundingClientRect();
  const corners = [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2], [r.right - 2, r.bottom - 2]];
  return corners.filter(([x, y]) => {
    const seen = root.elementFromPoint(x, y);
    return !(seen && component.contains(seen));
  }).map(([x, y]) => `(${Math.round(x - r.left)}, ${Math.round(y - r.top)})`);
}
"""

BACKGROUND_JS = """() => getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A database with samples of several days and a collection session under way."""
    url = f"sqlite:///{tmp_path_factory.mktemp('layout') / 'airtype.db'}"
    storage = Storage(url)
    seed_samples(storage, 300, seed=4, days=20, features=False, ink_points=3)
    ada = storage.add_participant("Ada")
    session = collection.start_session(storage, ada.id, collection.plan_session("digits", 1, 0))
    storage.close()
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url}) as server:
        yield server.url, session.id


def open_page(browser, url: str, color_scheme: str = "light"):  # noqa: F811
    page = browser.new_page(viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, color_scheme=color_scheme)
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("aria-expanded", "true", timeout=WAIT_MS)
    expect(page.get_by_test_id("stSidebar").get_by_text("Model in use")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page, WAIT_MS)
    return page


def settle(page) -> None:
    """Two animation frames: the layout of the new window size is done."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


@pytest.mark.parametrize("name", PAGES)
def test_buttons_and_canvas_fit_at_every_width_with_the_sidebar_open(browser, app, name):  # noqa: F811
    server_url, session_id = app
    query = f"?participant=Ada&session={session_id}" if name == "collect" else ""
    page = open_page(browser, f"{server_url}/{name}{query}")
    if name == "collect":
        expect(page.get_by_role("button", name="Next")).to_be_visible(timeout=WAIT_MS)
    if name in CANVAS_PAGES:
        expect(page.locator(CANVAS).first).to_be_attached(timeout=WAIT_MS)
    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        problems += [f"{width}x{height} {p}" for p in page.evaluate(BUTTON_PROBLEMS_JS)]
        if name in CANVAS_PAGES:
            hidden = page.locator(CANVAS).first.evaluate(CANVAS_HIDDEN_CORNERS_JS)
            problems += [f"{width}x{height} canvas corner {c} is not on screen" for c in hidden]
    page.close()
    assert not problems, "\n".join(problems)


def _luminance(css_color: str) -> float:
    r, g, b = (int(v) for v in css_color[css_color.index("(") + 1 : css_color.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_the_app_follows_the_browsers_dark_preference(browser, app):  # noqa: F811
    server_url, _ = app
    dark = open_page(browser, f"{server_url}/stats", color_scheme="dark")
    light = open_page(browser, f"{server_url}/stats", color_scheme="light")
    assert _luminance(dark.evaluate(BACKGROUND_JS)) < 0.3, "a dark background in a browser that prefers dark"
    assert _luminance(light.evaluate(BACKGROUND_JS)) > 0.8, "a light background in one that prefers light"
    dark.set_viewport_size({"width": 1280, "height": 800})
    settle(dark)
    assert not dark.evaluate(BUTTON_PROBLEMS_JS)


def test_refused_settings_stop_the_app_with_every_problem_and_no_pages(browser, tmp_path):  # noqa: F811
    env = {
        "AIRTYPE_SEQ_LEN": "12x",
        "AIRTYPE_AIR_PINCH_DOWN": "0.9",
        "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}",
    }
    with streamlit_server("app.py", env=env) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(WAIT_MS)
        for address in (server.url, f"{server.url}/train"):
            page.goto(address)
            expect(page.get_by_text("AirType cannot start with these settings")).to_be_visible(timeout=WAIT_MS)
            wait_idle(page, WAIT_MS)
            problems = page.get_by_test_id("stCode").inner_text()
            assert "AIRTYPE_SEQ_LEN='12x' is not accepted" in problems
            assert "AIRTYPE_AIR_PINCH_DOWN (0.9) must be below AIRTYPE_AIR_PINCH_UP" in problems
            assert page.get_by_test_id("stSidebarNav").count() == 0, "no pages are offered"
            assert page.get_by_role("heading", name="Training").count() == 0
        page.close()
