"""Drive the real app in a real browser: a Streamlit server on 127.0.0.1 and Debian's Chromium.

    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url}) as server:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(server.url)
            draw(page, [(60, 60), (160, 260)])

Test modules import the fixtures they need (`from browser_support import browser`)
and build their own module-scoped server fixture with `streamlit_server(...)`.
Playwright's own browser download does not work offline, hence `executable_path`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from required import missing

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
CANVAS = "canvas.upper-canvas"  # Fabric's event layer: the 0.13 canvas renders in the page, no iframe
STARTUP_TIMEOUT_S = 120  # a busy machine can take long to import the stack the first time
# How long a test waits for the page to show something: a 2-core machine at load 8 (the whole suite
# beside other work) took over a minute for one rerun. A ceiling against hangs, never a speed test.
WAIT_MS = 180_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_streamlit(script: str | Path, env: dict[str, str] | None = None, port: int | None = None) -> StreamlitServer:
    """Start `streamlit run script` on 127.0.0.1 without waiting for it (see `wait_healthy`)."""
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() can end the server and anything it started
        )
    return StreamlitServer(f"http://127.0.0.1:{port}", process, log)


def wait_healthy(server: StreamlitServer, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"streamlit was not healthy after {timeout_s}s:\n{server.log()}")


def stop(server: StreamlitServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log_path.unlink(missing_ok=True)


@contextmanager
def streamlit_server(script: str | Path = "app.py", env: dict[str, str] | None = None) -> Iterator[StreamlitServer]:
    server = start_streamlit(script, env)
    try:
        wait_healthy(server)
        yield server
    finally:
        stop(server)


@contextmanager
def app_on_new_database(folder: Path, *participants: str) -> Iterator[tuple[str, str]]:
    """The app served on a new SQLite database in `folder` that holds these participants:
    yields (the server's URL, the database's URL)."""
    from airtype_core.storage.store import Storage

    url = f"sqlite:///{folder / 'airtype.db'}"
    if participants:
        storage = Storage(url)
        for name in participants:
            storage.add_participant(name)
        storage.close()
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": url}) as server:
        yield server.url, url


@contextmanager
def chromium() -> Iterator[playwright.sync_api.Browser]:  # noqa: F821
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the whole test module; give each test its own context or page."""
    with chromium() as b:
        yield b


# --- interacting with a Streamlit page ------------------------------------------------


def wait_idle(page, timeout_ms: float = WAIT_MS) -> None:
    """Until no script run is going on. Right after an interaction the rerun may not have
    started yet: wait for what the rerun shows first, then for this."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)


def draw(
    page, points: Sequence[tuple[float, float]], canvas: str = CANVAS, steps: int = 3, release: bool = True
) -> None:
    """One pen stroke through `points` (canvas pixels), pressed at the first, lifted at the last."""
    box = page.locator(canvas).first.bounding_box()
    assert box is not None, "the canvas is not on the page"
    (x0, y0), rest = points[0], points[1:]
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    for x, y in rest:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
    if release:
        page.mouse.up()


# Strokes a person might draw for a few characters, in a 320 x 320 canvas.
GLYPHS: dict[str, list[list[tuple[float, float]]]] = {
    "L": [[(100, 50), (100, 150), (100, 270), (180, 270), (240, 270)]],
    "T": [[(60, 60), (160, 60), (260, 60)], [(160, 60), (160, 160), (160, 280)]],
    "7": [[(70, 60), (170, 60), (250, 60), (200, 150), (140, 280)]],
    "1": [[(160, 40), (160, 120), (160, 200), (160, 280)]],
}


def draw_glyph(page, char: str, canvas: str = CANVAS) -> None:
    for stroke in GLYPHS[char]:
        draw(page, stroke, canvas)
