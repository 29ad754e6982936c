"""The training flow in a real browser: stored samples, Start, the live progress the page
polls, the verdict, and the Draw page using the model that is active afterwards."""

from __future__ import annotations

import re
import zipfile

import pytest
from browser_support import browser, streamlit_server  # noqa: F401
from model_files import copy_shipped_models
from playwright.sync_api import expect
from test_training_jobs import collect

from airtype_core.recognition.modelstore import ModelStore
from airtype_core.storage.store import Storage

WAIT_MS = 180_000  # a whole (small) run on a busy machine; nothing here measures speed


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-train")
    models = copy_shipped_models(root / "models")
    url = f"sqlite:///{root / 'airtype.db'}"
    storage = Storage(url)
    collect(storage, per_char=10)  # 60 samples of a-f: above the default minimum of 50
    storage.close()
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url, "AIRTYPE_MODEL_DIR": str(models)}) as server:
        yield server.url, url, ModelStore(models)


def test_run_started_in_the_browser_shows_live_progress_then_the_verdict_and_draw_uses_the_result(browser, app):  # noqa: F811
    server_url, db_url, store = app
    shipped = store.default_version()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server_url}/train")
    expect(page.get_by_text("60", exact=True).first).to_be_visible(timeout=WAIT_MS)  # the readiness count
    page.get_by_role("button", name="Start training").click()

    # live progress, drawn by the polling fragment while the run's process trains
    progress = page.get_by_text(re.compile(r"Epoch \d+/5 · batch \d+/\d+"))
    expect(progress).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Cancel training")).to_be_visible(timeout=WAIT_MS)

    verdict = page.get_by_text(re.compile(r"New version \S+ \(from " + re.escape(shipped) + r"\)"))
    expect(verdict).to_be_visible(timeout=WAIT_MS)
    text = verdict.inner_text()
    version = re.search(r"New version (\S+) \(from", text).group(1)
    storage = Storage(db_url)
    try:
        run = storage.list_training_sessions()[0]
    finally:
        storage.close()
    assert run.status == "completed" and run.model_version == version
    assert len(run.history) >= 1, "per-epoch history was recorded"
    activated = store.active_version() == version
    assert ("activated" in text) == activated, text

    # the version picker starts on the version in use; Download hands over its folder as a zip
    in_use = version if activated else shipped
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    assert download.value.failure() is None
    assert download.value.suggested_filename == f"airtype-{in_use}.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert sorted(archive.namelist()) == [f"{in_use}/manifest.json", f"{in_use}/model.pt"]

    page.get_by_role("link", name="Draw").click()
    expect(page.get_by_text("Draw a character on the canvas.")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stSidebar").get_by_text(in_use, exact=True)).to_be_visible(timeout=WAIT_MS)
    page.close()
