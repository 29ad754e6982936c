"""How long a person waits in the browser, against the floor of the stack itself.

    python benchmarks/ui_latency.py [--samples 30] [--startups 3]

The floor is benchmarks/bare_canvas_app.py: Streamlit with the same canvas, whose
script only echoes the stroke count back. Both apps run side by side and are
measured the same way, alternately, so a busy machine slows both alike:

- pen up -> result: from the `pointerup` that ends a stroke to the first frame in
  which the page shows the answer for it ("Echo: N strokes", or the prediction
  made from N strokes), both clocked inside the browser (performance.now(),
  checked every animation frame), so the figures carry no CDP round trips.
  The canvas's own 200 ms send debounce is in both.
- start -> canvas: from launching `streamlit run` to the canvas being visible in
  a new browser context (empty cache), the server process started fresh each time.

Prints median / p90 / mean for each and the difference AirType - floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from browser_support import (  # noqa: E402
    CANVAS,
    chromium,
    draw,
    start_streamlit,
    stop,
    wait_healthy,
    wait_idle,
)

STROKES = [  # varied single strokes inside the 320 x 320 canvas
    [(80, 60), (120, 160), (160, 260), (220, 120)],
    [(60, 80), (160, 70), (250, 90)],
    [(160, 40), (150, 150), (170, 280)],
    [(90, 250), (160, 60), (230, 250)],
]
STROKES_PER_PAGE = 4  # then the page is reloaded: a person starts a new character
WARMUP = 2  # first strokes per app, not counted: lazy imports and first-call costs of the stack
SETTLE_MS = 300  # pause between measurements

# Mark the pen-up time in the page, then report the first animation frame that shows the answer.
ARM = """() => {
  window.__up = undefined; window.__seen = undefined;
  window.addEventListener('pointerup', () => { window.__up = performance.now(); }, {capture: true, once: true});
}"""
SEEN = """(pattern) => {
  const re = new RegExp(pattern);
  const hit = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].some(e => re.test(e.innerText));
  if (hit && window.__seen === undefined) window.__seen = performance.now();
  return hit;
}"""


class App:
    def __init__(self, name: str, script: str, answer: str, env: dict[str, str]):
        self.name, self.script, self.answer, self.env = name, script, answer, env
        self.latencies: list[float] = []
        self.startups: list[float] = []

    def answer_pattern(self, strokes: int) -> str:
        return self.answer.format(n=strokes, s="" if strokes == 1 else "s")


def open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.locator(CANVAS).first.wait_for()
    settle(page)
    return page


def pen_up_to_answer(page, app: App, stroke, strokes_after: int) -> float:
    page.evaluate(ARM)
    draw(page, stroke)
    page.wait_for_function(SEEN, arg=app.answer_pattern(strokes_after), polling="raf")
    return page.evaluate("() => window.__seen - window.__up")


def measure_latency(browser, apps: list[App], urls: list[str], samples: int) -> None:
    pages = [open_page(browser, url) for url in urls]
    drawn = [0] * len(apps)
    for i in range(samples + WARMUP):
        for k, (app, page) in enumerate(zip(apps, pages)):
            if drawn[k] == STROKES_PER_PAGE:
                page.reload()
                page.locator(CANVAS).first.wait_for()
                settle(page)
                drawn[k] = 0
            drawn[k] += 1
            ms = pen_up_to_answer(page, app, STROKES[i % len(STROKES)], drawn[k])
            settle(page)
            if i >= WARMUP:
                app.latencies.append(ms)
    for page in pages:
        page.context.close()


def settle(page) -> None:
    """Let the browser finish what the last answer started (drawing a chart, say), so
    that it does not spill into the next measurement, on this app or the other."""
    wait_idle(page)
    page.evaluate("() => new Promise(done => requestIdleCallback(done, {timeout: 3000}))")
    page.wait_for_timeout(SETTLE_MS)


def measure_startup(browser, app: App) -> tuple[float, float]:
    """Seconds from launching the server to the canvas visible, and to the server answering."""
    start = time.monotonic()
    server = start_streamlit(app.script, app.env)
    try:
        wait_healthy(server)
        healthy = time.monotonic() - start
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(120_000)
        page.goto(server.url)
        page.locator(CANVAS).first.wait_for()
        elapsed = time.monotonic() - start
        page.context.close()
        return elapsed, healthy
    finally:
        stop(server)


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return statistics.median(ordered), p90, statistics.fmean(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="strokes timed per app")
    parser.add_argument("--startups", type=int, default=3, help="cold starts timed per app (0: skip)")
    parser.add_argument("--raw", action="store_true", help="also print every measurement")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="airtype-bench-"))
    bare = App("bare canvas (floor)", "benchmarks/bare_canvas_app.py", r"^Echo: {n} strokes$", {})
    airtype = App(
        "AirType Draw page",
        "app.py",
        r"Confidence \d+% · {n} stroke{s} ·",
        {"AIRTYPE_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"},
    )
    apps = [bare, airtype]

    with chromium() as browser:
        for _ in range(args.startups):
            for app in apps:
                app.env["AIRTYPE_DATABASE_URL"] = f"sqlite:///{workdir / f'start-{time.time_ns()}.db'}"
                canvas, healthy = measure_startup(browser, app)
                app.startups.append(canvas)
                print(
                    f"  {app.name}: server answering after {healthy:.2f} s, canvas visible after {canvas:.2f} s",
                    flush=True,
                )

        servers = [start_streamlit(app.script, app.env) for app in apps]
        try:
            for server in servers:
                wait_healthy(server)
            measure_latency(browser, apps, [s.url for s in servers], args.samples)
        finally:
            for server in servers:
                stop(server)

    report(apps, args)


def report(apps: list[App], args: argparse.Namespace) -> None:
    bare, airtype = apps
    print()
    print(f"pen up -> answer shown (ms), {args.samples} strokes each        median     p90    mean")
    for app in apps:
        print(f"  {app.name:<44}" + "".join(f"{v:8.0f}" for v in summary(app.latencies)))
    gap = [a - b for a, b in zip(summary(airtype.latencies), summary(bare.latencies))]
    print(f"  {'AirType - floor':<44}" + "".join(f"{v:+8.0f}" for v in gap) + "   (budget: median +100)")
    if args.raw:
        for app in apps:
            print(f"  {app.name}: " + " ".join(f"{v:.0f}" for v in app.latencies))
    if not args.startups:
        return
    print()
    print(f"streamlit run -> canvas visible (s), {args.startups} cold starts each  median     max")
    for app in apps:
        print(f"  {app.name:<44}{statistics.median(app.startups):8.2f}{max(app.startups):8.2f}")
    gap_s = statistics.median(airtype.startups) - statistics.median(bare.startups)
    print(f"  {'AirType - floor':<44}{gap_s:+8.2f}           (budget: +1.5)")


if __name__ == "__main__":
    main()
