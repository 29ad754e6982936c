"""How long the Stats page takes to show its numbers and charts in Chromium, on a large database.

    python benchmarks/stats_page_latency.py --database-url sqlite:////tmp/stats.db [--samples 100000] [--views 3]

Seeds the database up to `--samples` (as `bench-stats` does) unless it has them,
starts the app on it, and times in Chromium, from a click on "Stats" in the menu
(after one warm-up view, as a user who already opened the app):

- numbers: the Samples metric shows the database's total;
- charts: every chart of the page is drawn (seven Plotly charts);
- suggestions: the "What to practise" list is there (the model re-reads the latest
  inks of each character the first time; later views use what it said).

Prints each view, the medians and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from browser_support import chromium, streamlit_server, wait_idle  # noqa: E402

from airtype_core.bench.stats import seed_samples  # noqa: E402
from airtype_core.insight.stats import totals  # noqa: E402
from airtype_core.storage.store import Storage  # noqa: E402

WAIT_MS = 120_000


def one_view(page, total: str) -> dict[str, float]:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Draw").click()
    page.get_by_text("Draw a character on the canvas.").wait_for(timeout=WAIT_MS)
    wait_idle(page)
    start = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Stats").click()
    page.get_by_test_id("stMetric").filter(has_text=total).first.wait_for(timeout=WAIT_MS)
    numbers = time.perf_counter() - start
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 7", timeout=WAIT_MS)
    charts = time.perf_counter() - start
    page.get_by_text("What to practise").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Practise these").or_(page.get_by_text("Nothing to practise")).first.wait_for(
        timeout=WAIT_MS
    )
    return {"numbers": numbers, "charts": charts, "suggestions": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=3)
    args = parser.parse_args()
    storage = Storage(args.database_url)
    have = totals(storage).samples
    if have < args.samples:
        seed_samples(storage, args.samples - have)
    total = f"{totals(storage).samples:,}"
    storage.close()

    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": args.database_url}) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(server.url)
        page.get_by_text("Draw a character on the canvas.").wait_for(timeout=WAIT_MS)
        wait_idle(page)
        first = one_view(page, total)  # the first view asks the model; later ones use its answer
        print(f"first view: numbers {first['numbers']:.2f} s, charts {first['charts']:.2f} s, "
              f"suggestions {first['suggestions']:.2f} s")  # fmt: skip
        views = [one_view(page, total) for _ in range(args.views)]
    for i, v in enumerate(views, 1):
        print(
            f"view {i}: numbers {v['numbers']:.2f} s, charts {v['charts']:.2f} s, suggestions {v['suggestions']:.2f} s"
        )
    medians = {k: statistics.median(v[k] for v in views) for k in views[0]}
    print("median: " + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()) + " (target: 2 s)")
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
