"""A page's address as the first request a fresh server gets (a bookmark, a reload after a
restart): the page opens inside the app, with the shared sidebar and the app's menu."""

from __future__ import annotations

import browser_support
import pytest
from browser_support import browser, streamlit_server  # noqa: F401
from playwright.sync_api import expect

WAIT_MS = browser_support.WAIT_MS  # generous: the machine may be busy; nothing here measures speed


@pytest.fixture
def fresh_server(tmp_path):
    """A server no browser has visited yet, on an empty database."""
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}"}) as server:
        yield server


@pytest.fixture
def page(browser, fresh_server):  # noqa: F811
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()


@pytest.mark.parametrize("path, title", [("air", "Write in the air"), ("train", "Training"), ("data", "Data")])
def test_first_visit_to_a_page_address_opens_it_inside_the_app(fresh_server, page, path, title):
    page.goto(f"{fresh_server.url}/{path}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Participant", exact=True)).to_be_visible(timeout=WAIT_MS)  # app.py's sidebar ran
    # the app's menu (its titled pages), not Streamlit's folder menu (app, air, data, draw, train, ...)
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    expect(links).to_have_count(7, timeout=WAIT_MS)
    for name in ("Draw", "Air writing", "Training", "Data", "Stats", "Collect", "Participants"):
        expect(links.filter(has_text=name)).to_have_count(1, timeout=WAIT_MS)
    assert page.url.rstrip("/").endswith(f"/{path}")


def test_the_pages_ask_nothing_of_the_internet_and_the_server_fails_no_request(fresh_server, page):
    """AirType runs offline: every request a page makes goes to its own server, and none of
    them fails there (an icon or a download once got a 500 from the server's gzip layer)."""
    own = (fresh_server.url, fresh_server.url.replace("http", "ws"))
    elsewhere: list[str] = []
    failed: list[str] = []
    page.on(
        "request", lambda r: r.url.startswith(("http", "ws")) and not r.url.startswith(own) and elsewhere.append(r.url)
    )
    page.on("response", lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"))
    page.goto(fresh_server.url)
    expect(page.get_by_text("Draw a character on the canvas.")).to_be_visible(timeout=WAIT_MS)
    for link, title in (
        ("Air writing", "Write in the air"),
        ("Training", "Training"),
        ("Data", "Data"),
        ("Stats", "Stats"),
        ("Collect", "Collect"),
        ("Participants", "Participants"),
    ):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=WAIT_MS)
    page.wait_for_load_state("networkidle")
    assert elsewhere == [] and failed == []
