"""Print the reliability table from a results file (one JSON line per scenario, see `record.py`).

    venv/bin/python -m tests.reliability.summary [RESULTS] [--seconds N]

One line per family: scenarios run, passed, duplicates found, orphans found, canary hits, connections the
run did not create that it deleted or modified ("others' touched"); then every
scenario that did not pass, with the first line of its failure. Only the lines of one pytest session are
counted: `$RELIABILITY_SESSION` when set, else the last session in the file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.reliability.record import FAMILIES, results_path

COLUMNS = ("Scenarios run", "Passed", "Duplicates found", "Orphans found", "Canary hits", "Others' touched")


def load(path: Path, session: str | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        return []
    wanted = session or rows[-1].get("session")
    return [row for row in rows if row.get("session") == wanted]


def table(rows: list[dict[str, Any]]) -> list[str]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for row in rows:
        figures = totals[row["family"]]
        figures[0] += 1
        figures[1] += bool(row["passed"])
        figures[2] += row["duplicates"]
        figures[3] += row["orphans"]
        figures[4] += row["canary_hits"]
        figures[5] += row.get("others_touched", 0)
    width = max(len(family) for family in FAMILIES)
    lines = [f"| {'Family':<{width}} | " + " | ".join(COLUMNS) + " |",
             f"|{'-' * (width + 2)}|" + "|".join("-" * (len(c) + 1) + ":" for c in COLUMNS) + "|"]
    for family in FAMILIES:
        figures = totals[family]
        cells = (f"{n:>{len(c)}}" for n, c in zip(figures, COLUMNS, strict=True))
        lines.append(f"| {family:<{width}} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="wall time of the run, to print")
    args = parser.parse_args(argv)
    path = args.results or results_path()
    if not path.exists():
        print(f"no results at {path}: run scripts/reliability-report", file=sys.stderr)
        return 1
    rows = load(path, os.environ.get("RELIABILITY_SESSION"))
    took = f", {args.seconds:.0f} s" if args.seconds is not None else ""
    print(f"Reliability suite (tests/reliability): {len(rows)} scenarios{took}")
    print()
    print("\n".join(table(rows)))
    failed = [row for row in rows if not row["passed"]]
    if failed:
        print()
        print("Not passed (each is a pinned known bug when pytest reports it as xfail):")
        for row in failed:
            first = (row.get("detail") or "").splitlines()[0] if row.get("detail") else ""
            print(f"- {row['family']}: {row['name']}: {first[:240]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
