"""How soon the training page shows a run's progress, and how long a run takes, seen in the browser.

    python benchmarks/train_page_latency.py [--samples 500] [--runs 2]

The app runs on a throw-away database holding `--samples` synthetic inks spread
over the 62 classes and on a copy of the shipped models. In Chromium, each run
clicks "Start training" with the page's default options (fine-tune, augmentation
factor 3, 5 epochs) and times, from the click (`pointerdown`, clocked inside the
page with performance.now()):

- first progress: the progress bar of the run is on screen;
- first batch: the bar reads "Epoch 1/5 · batch ...";
- verdict: the run's outcome ("New version ...") is on screen.

Prints each run, the medians and the load average: on a shared machine the
figures move with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from browser_support import chromium, streamlit_server, wait_idle  # noqa: E402
from model_files import copy_shipped_models  # noqa: E402

from airtype_core.learning.synth import sample  # noqa: E402
from airtype_core.recognition.charset import CLASSES  # noqa: E402
from airtype_core.storage.records import NewSample  # noqa: E402
from airtype_core.storage.store import Storage  # noqa: E402

WAIT_MS = 600_000  # a whole run on a busy machine

# Stamp the click, then every DOM change until the three moments have been seen.
# The verdict counts once it names another version than the last run's, still on screen at the click.
WATCH = """() => {
  const t = window.__train = {};
  const shown = () => (document.body.innerText.match(/New version (\\S+)/) || [])[1];
  const before = shown();
  document.addEventListener('pointerdown', () => { t.click = performance.now(); }, {capture: true, once: true});
  const seen = () => {
    const bar = document.querySelector('[data-testid="stProgress"]');
    if (bar && t.progress === undefined) t.progress = performance.now();
    if (bar && t.batch === undefined && /Epoch 1\\/\\d+ · batch/.test(bar.innerText)) t.batch = performance.now();
    if (t.verdict === undefined && t.progress !== undefined && shown() && shown() !== before) t.verdict = performance.now();
  };
  new MutationObserver(seen).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def stored_inks(url: str, total: int) -> None:
    rng = np.random.default_rng(0)
    storage = Storage(url)
    try:
        storage.save_samples(
            [
                NewSample(sample(rng, CLASSES[i % len(CLASSES)])[0], CLASSES[i % len(CLASSES)], "manual")
                for i in range(total)
            ]
        )
    finally:
        storage.close()


def one_run(page, url: str) -> dict[str, float]:
    page.goto(f"{url}/train")
    start = page.get_by_role("button", name="Start training")
    start.wait_for()
    wait_idle(page)
    page.evaluate(WATCH)
    start.click()
    page.wait_for_function("() => window.__train.verdict !== undefined", polling=100, timeout=WAIT_MS)
    t = page.evaluate("() => window.__train")
    return {name: (t[name] - t["click"]) / 1000 for name in ("progress", "batch", "verdict")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=500, help="stored inks to fine-tune on")
    parser.add_argument("--runs", type=int, default=2, help="runs started from the page, one after the other")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="airtype-bench-train-"))
    url = f"sqlite:///{work / 'airtype.db'}"
    stored_inks(url, args.samples)
    env = {"AIRTYPE_DATABASE_URL": url, "AIRTYPE_MODEL_DIR": str(copy_shipped_models(work / "models"))}
    results = []
    with streamlit_server("app.py", env=env) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        for k in range(args.runs):
            results.append(one_run(page, server.url))
            r = results[-1]
            print(
                f"  run {k + 1}: first progress {r['progress']:.2f} s, first batch {r['batch']:.2f} s, "
                f"verdict {r['verdict']:.1f} s",
                flush=True,
            )
    print(
        f"\nStart -> shown, median of {args.runs} runs on {args.samples} stored inks "
        f"(load average {os.getloadavg()[0]:.1f}):"
    )
    for name, label, target in (
        ("progress", "first progress", " (target <= 2 s)"),
        ("batch", "first batch", ""),
        ("verdict", "verdict (whole run)", " (target <= 60 s)"),
    ):
        print(f"  {label:<22}{statistics.median(r[name] for r in results):7.2f} s{target}")


if __name__ == "__main__":
    main()
