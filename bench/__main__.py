"""Every benchmark in one run: a table on stdout and a JSON file of the results.

    uv run python -m bench            # the full run (about half an hour on 2 cores)
    uv run python -m bench --quick    # small sizes, about two minutes
    uv run python -m bench --json results.json

Ratios are measured side by side in one run; absolute numbers belong to the machine they came from,
which the JSON file records.
"""

import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    encryption,
    graphql_overhead,
    lookups,
    projection_catch_up,
    projection_lag,
    rebuild,
    round_trips,
    subscriptions,
    time_travel,
    workers,
    write_path,
)
from bench.report import Figures, arguments


def sections(quick: bool) -> list[tuple[str, Callable[[], Figures]]]:
    seconds = 3.0 if quick else 8.0
    return [
        ("round trips on MongoDB", round_trips.measure),
        ("GraphQL overhead", lambda: graphql_overhead.measure(8, seconds)),
        ("write path", lambda: write_path.compare([1, 8] if quick else [1, 8, 32], seconds)),
        ("wrk: 1 vs 2 workers, and the bare baselines", lambda: workers.compare(2, [8, 64], seconds)),
        (
            "encryption of personal data",
            lambda: encryption.compare(300 if quick else 2_000, [1, 8], 1 if quick else 3),
        ),
        (
            "projection catch-up",
            lambda: asyncio.run(projection_catch_up.measure(5_000 if quick else 100_000)),
        ),
        (
            "rebuild and projector processes",
            lambda: rebuild.measure(300 if quick else 2000, 3000 if quick else 20000),
        ),
        ("projection lag", lambda: projection_lag.measure(50 if quick else 100, seconds)),
        ("lookups", lambda: asyncio.run(lookups.measure(5_000 if quick else 50_000))),
        (
            "time travel",
            lambda: asyncio.run(time_travel.compare(500, 5_000 if quick else 100_000, 50 if quick else 200)),
        ),
        (
            "subscriptions",
            lambda: subscriptions.measure(
                [200, 1000] if quick else [1000, 5000, 10000], 5 if quick else 20, 10
            ),
        ),
    ]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a run of about two minutes")
    parser.add_argument(
        "--json", type=Path, default=Path("bench-results.json"), help="where to write the results"
    )
    args = parser.parse_args()
    results: dict[str, Figures] = {}
    for title, measure in sections(args.quick):
        started = time.monotonic()
        figures = measure()
        results[title] = figures
        print(f"\n{title} ({time.monotonic() - started:.0f} s)")
        width = max(len(name) for name in figures)
        for name, value in figures.items():
            print(f"  {name:<{width}}  {value:>12,.2f}")
    machine = {
        "when": datetime.now(UTC).isoformat(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "quick": args.quick,
    }
    args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
