"""Drive the Air-writing page with Chromium's fake camera, inside a network namespace; print what was seen.

    unshare -n python3 tests/air_driver.py --video camera.y4m --report report.json

Run by tests/test_browser_air.py, as root, in a fresh network namespace (`unshare -n`)
so that no ICE candidate or mDNS packet of the WebRTC stream can leave the machine:
the namespace has the loopback interface only, and both the Streamlit server and
Chromium live in it. The driver brings `lo` up and gives it a second address,
127.0.0.2: aiortc gathers host candidates on every address except 127.0.0.1, so
without one it would answer the browser's offer with none and no media would flow.

The report is JSON: what the page said before START, the frame counters the page
shows (only the frame callback updates them), the tracker's status, whether the
annotated video came back, and what the video component says when the camera is
denied or missing. The test asserts on it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    start_streamlit,
    stop,
    wait_healthy,
    wait_idle,
)

WEBRTC_IFRAME = 'iframe[title*="webrtc_streamer"]'
COUNTERS = re.compile(r"(\d+) frames processed · hand tracking ran on (\d+), found a hand in (\d+)")
LOOPBACK_WEBRTC = "--allow-loopback-in-peer-connection"  # Chromium skips loopback candidates otherwise
BROWSER_LOG: list[str] = []  # connection states and errors the browser saw, for a failing test's message
TIMEOUT_S = 120  # a busy machine can take that long to start the stack or a stream


def log(line: str) -> None:
    BROWSER_LOG.append(f"{time.strftime('%H:%M:%S')} {line[:200]}")


def loopback_only_network() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=True)
    interfaces = subprocess.run(["ip", "-o", "link", "show"], check=True, capture_output=True, text=True).stdout
    names = {line.split(":")[1].strip() for line in interfaces.splitlines()}
    if names != {"lo"}:
        raise SystemExit(f"refusing to open a WebRTC stream outside a loopback-only namespace (interfaces: {names})")


def open_page(browser, url: str, permissions: tuple[str, ...] = ()):
    page = browser.new_context(permissions=list(permissions)).new_page()
    page.on("console", lambda m: (m.type == "error" or "connectionstate" in m.text) and log(m.text))
    page.on("response", lambda r: r.status >= 500 and log(f"HTTP {r.status} {r.url}"))
    page.goto(url)  # the app's front page, then its navigation: the way a person gets there
    page.get_by_role("link", name="Air writing").click(timeout=TIMEOUT_S * 1000)
    page.wait_for_selector(WEBRTC_IFRAME, timeout=TIMEOUT_S * 1000)
    wait_idle(page, TIMEOUT_S * 1000)
    return page


def press_start(page) -> None:
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start").click(timeout=TIMEOUT_S * 1000)


def page_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def camera_stream(browser, url: str, min_frames: int, report: dict) -> None:
    """START with the fake camera; wait until the page counts `min_frames` frames that went through MediaPipe.

    On a starved machine Chromium may call the connection lost and the component
    stops; the driver presses START again (counted in the report), as a person would.
    """
    page = open_page(browser, url, permissions=("camera",))
    page.get_by_text("Press START and allow the camera.").wait_for(timeout=TIMEOUT_S * 1000)
    report["before_start"] = "Press START and allow the camera." in page_text(page)
    component = page.frame_locator(WEBRTC_IFRAME)
    press_start(page)
    report.update(restarts=0, no_hand_notice="")
    deadline = time.monotonic() + TIMEOUT_S
    frames = tracked = hands = 0
    playing = False
    while time.monotonic() < deadline and (min(frames, tracked) < min_frames or not report["no_hand_notice"]):
        page.wait_for_timeout(1000)
        text = page_text(page)
        found = COUNTERS.search(text)
        if found:
            frames, tracked, hands = map(int, found.groups())
        notice = [line for line in text.splitlines() if line.startswith("No hand in view")]
        if notice:
            report["no_hand_notice"] = notice[0]
        video = component.locator("video")
        if "video" not in report and tracked and video.count():
            # The server's annotated frames, played back in the component: their size and a running clock.
            shown = video.first.evaluate("v => ({width: v.videoWidth, height: v.videoHeight, time: v.currentTime})")
            if shown["width"]:
                report["video"] = shown
        start = component.get_by_role("button", name="Start", exact=True)
        if component.get_by_role("button", name="Stop", exact=True).is_visible():
            playing = True
        elif playing and start.is_visible() and start.is_enabled():
            playing = False  # the stream was lost: start it again
            report["restarts"] += 1
            press_start(page)
    report.update(frames=frames, tracked=tracked, hands=hands, text=page_text(page))
    if component.get_by_role("button", name="Stop").is_visible():
        component.get_by_role("button", name="Stop").click()
    page.context.close()


def camera_error(browser, url: str, says: str) -> dict:
    """START where the browser cannot open the camera: what the video component and the page say.

    `says` is the start of the page's own notice the driver waits for (it comes a poll after the component's).
    """
    page = open_page(browser, url)
    press_start(page)
    frame = page.frame_locator(WEBRTC_IFRAME)
    frame.get_by_text(re.compile("Not(Allowed|Found|Readable)Error")).first.wait_for(timeout=TIMEOUT_S * 1000)
    try:
        page.get_by_text(re.compile(re.escape(says))).first.wait_for(timeout=TIMEOUT_S * 1000)  # case-sensitive
    except Exception:  # the report shows what the page said instead
        log(f"the page never said {says!r}")
    report = {"component": frame.locator("body").inner_text(), "page": page_text(page)}
    page.context.close()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True, help="a .y4m file the fake camera plays")
    parser.add_argument("--report", required=True, help="where to write the JSON report")
    parser.add_argument("--script", default="app.py")
    parser.add_argument("--min-frames", type=int, default=20)
    args = parser.parse_args()

    loopback_only_network()
    from playwright.sync_api import sync_playwright

    server = start_streamlit(args.script)
    report: dict = {}
    try:
        wait_healthy(server)
        url = server.url
        with sync_playwright() as pw:

            def launch(*extra: str):
                return pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, LOOPBACK_WEBRTC, *extra])

            started = time.monotonic()
            # A fake camera; whether the page may use it is up to each browser context.
            browser = launch("--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={args.video}")
            report["stream"] = {}
            camera_stream(browser, url, args.min_frames, report["stream"])
            report["stream"]["seconds"] = round(time.monotonic() - started, 1)
            # No permission granted: as if the person clicked "Block".
            report["denied"] = camera_error(browser, url, "The browser blocked the camera for this page")
            browser.close()
            # Allowed, but no camera at all (this machine has none, and the fake one is not asked for).
            browser = launch("--use-fake-ui-for-media-stream")
            report["no_camera"] = camera_error(browser, url, "No camera was found")
            browser.close()
            report["seconds"] = round(time.monotonic() - started, 1)
    except Exception as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        report["server_log"] = server.log()[-20000:]
        report["browser_log"] = BROWSER_LOG
        stop(server)
        Path(args.report).write_text(json.dumps(report, indent=1))
    return 1 if "error" in report else 0


if __name__ == "__main__":
    sys.exit(main())
