"""Time the Stats page's queries on 100,000 samples, on SQLite and on a throwaway PostgreSQL.

    python benchmarks/stats_queries.py [--samples 100000] [--views 5]

Runs `python -m airtype_core bench-stats` against a new SQLite file and against
a new database on a PostgreSQL server started for the occasion from Debian's
binaries (as the tests do, tests/pg_server.py), or the one in
AIRTYPE_TEST_POSTGRES_URL. Prints each query's median time and one page view's
total; the load average is printed with them, since the figures mean little
without it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def bench(url: str, samples: int, views: int) -> None:
    command = [sys.executable, "-m", "airtype_core", "bench-stats", "--samples", str(samples),
               "--views", str(views), "--database-url", url]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database instead of both")
    args = parser.parse_args()

    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            bench(f"sqlite:///{folder}/stats.db", args.samples, args.views)
    if args.only == "sqlite":
        return 0

    import pg_server

    with pg_server.running() as server:
        url = server.create_database()
        try:
            bench(url, args.samples, args.views)
        finally:
            server.drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
