"""Two app processes, one PostgreSQL database, one model folder: the scale path on one machine.

Both serve answers that land in the same tables; a training run started from one is
seen (progress, verdict) from the other, and the other cannot start a second one; the
new version is used by both without a restart; restarting one while the other trains
does not mark the live run failed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import browser, draw_glyph, start_streamlit, stop, wait_healthy  # noqa: F401
from model_files import copy_shipped_models
from playwright.sync_api import expect
from test_browser_draw import open_draw_page, wait_prediction, wait_stored
from test_training_jobs import JUDGED, collect

from airtype_core.learning.jobs import HOLD_FILE_ENV
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage

WAIT_MS = 240_000  # a whole small run on a busy machine; nothing here measures speed


@pytest.fixture(scope="module")
def apps(tmp_path_factory, postgres_server):
    root = tmp_path_factory.mktemp("two-instances")
    models = copy_shipped_models(root / "models")
    url = postgres_server.create_schema()
    storage = Storage(url)
    # clean inks of a-f, enough for the verdict to judge; the run is held by the test hook, not by its length
    collect(storage, per_char=JUDGED)
    storage.close()
    env = {"AIRTYPE_DATABASE_URL": url, "AIRTYPE_MODEL_DIR": str(models), HOLD_FILE_ENV: str(root / "hold")}
    servers = [start_streamlit("app.py", env), start_streamlit("app.py", env)]
    try:
        for server in servers:
            wait_healthy(server)
        yield servers, env, url, ModelStore(models)
    finally:
        for server in servers:
            stop(server)
        postgres_server.drop_schema(url)


def test_answers_from_both_instances_land_in_the_same_tables(browser, apps):  # noqa: F811
    servers, _, url, _ = apps
    pages = [open_draw_page(browser, server.url, name) for server, name in zip(servers, ("Ann", "Ben"))]
    for page in pages:
        draw_glyph(page, "L")
        shown = wait_prediction(page, strokes=1)
        page.get_by_role("button", name=f"Yes, it is {shown}").click()
        wait_stored(page)
    storage = Storage(url)
    try:
        ids = {p.name: p.id for p in storage.list_participants()}
        stored = {
            name: sum(storage.count_by_char(SampleFilter(participant_id=ids[name])).values()) for name in ("Ann", "Ben")
        }
    finally:
        storage.close()
    assert stored == {"Ann": 1, "Ben": 1}
    for page in pages:
        page.context.close()


def test_a_run_started_in_one_is_watched_from_the_other_and_both_use_its_result(browser, apps):  # noqa: F811
    servers, env, url, store = apps
    shipped = store.default_version()
    first, second = (browser.new_context(viewport={"width": 1280, "height": 1000}).new_page() for _ in servers)
    for page, server in zip((first, second), servers):
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server.url}/train")
        expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=WAIT_MS)
    hold = Path(env[HOLD_FILE_ENV])
    hold.touch()  # the run waits after its first batch until the other instance has restarted
    first.get_by_role("button", name="Start training").click()
    expect(first.get_by_text(re.compile(r"Epoch \d+/5 · batch \d+/\d+"))).to_be_visible(timeout=WAIT_MS)

    # restarting the other instance (its start-up recovery runs on its first page view) leaves the
    # live run alone; that instance then shows the live run, and offers no second one
    stop(servers[1])
    servers[1] = start_streamlit("app.py", env)
    wait_healthy(servers[1])
    second.goto(f"{servers[1].url}/train")
    expect(second.get_by_text(re.compile(r"Epoch \d+/5 · batch \d+/\d+"))).to_be_visible(timeout=WAIT_MS)
    expect(second.get_by_role("button", name="Start training")).to_be_disabled()
    hold.unlink()  # let the run finish

    verdict = re.compile(r"New version \S+ \(from " + re.escape(shipped) + r"\)")
    expect(first.get_by_text(verdict)).to_be_visible(timeout=WAIT_MS)
    expect(second.get_by_text(verdict)).to_be_visible(timeout=WAIT_MS)
    version = re.search(r"New version (\S+) \(from", second.get_by_text(verdict).inner_text()).group(1)
    storage = Storage(url)
    try:
        run = storage.list_training_sessions()[0]
    finally:
        storage.close()
    assert (run.status, run.model_version) == ("completed", version), "the restart did not mark the run failed"

    # a gentle fine-tune on inks the shipped model reads: not worse, so activated, and used by both
    in_use = store.active_version()
    assert in_use == version
    for page in (first, second):  # both draw pages name the active version, neither restarted since
        page.get_by_role("link", name="Draw").click()
        expect(page.get_by_test_id("stSidebar").get_by_text(in_use, exact=True)).to_be_visible(timeout=WAIT_MS)
        page.context.close()
