"""The Data page in a real browser: upload a JSON-lines file, import it, and download the export."""

from __future__ import annotations

import json

import pytest
from browser_support import browser, streamlit_server, wait_idle  # noqa: F401
from model_files import copy_shipped_models
from playwright.sync_api import expect

from airtype_core.storage.store import Storage

WAIT_MS = 120_000  # a busy machine; nothing here measures speed


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-data")
    models = copy_shipped_models(root / "models")
    url = f"sqlite:///{root / 'airtype.db'}"
    Storage(url).close()
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url, "AIRTYPE_MODEL_DIR": str(models)}) as server:
        yield server.url, url, root


def test_upload_imports_and_the_export_downloads(browser, app):  # noqa: F811
    server_url, db_url, root = app
    upload = root / "inks.jsonl"
    lines = [
        json.dumps({"label": c, "strokes": [[[i, 0], [i + 10, 25], [i, 40]]], "writer": "ana"})
        for i, c in enumerate("abc")
    ] + ["not json"]
    upload.write_text("\n".join(lines) + "\n")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server_url}/data")
    page.get_by_role("tab", name="Import").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    expect(page.get_by_text("line 4: not JSON", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("3 samples read, stored 3 new", exact=False)).to_be_visible()
    storage = Storage(db_url)
    try:
        assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "b", "c"]
    finally:
        storage.close()

    page.get_by_role("tab", name="Export").click()
    page.get_by_role("button", name="Prepare the 3 samples of the current filter").click()
    button = page.get_by_role("button", name="Download the 3 samples of the current filter")
    expect(button).to_be_enabled()
    wait_idle(page, WAIT_MS)
    with page.expect_download() as download:
        button.click()
    assert download.value.failure() is None
    assert download.value.suggested_filename == "airtype-samples.jsonl"
    exported = [json.loads(line) for line in open(download.value.path(), encoding="utf-8")]
    assert [(r["label"], r["writer"], r["source"]) for r in exported] == [
        ("a", "ana", "import"),
        ("b", "ana", "import"),
        ("c", "ana", "import"),
    ]
