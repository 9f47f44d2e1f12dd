"""The reliability recorder: every scenario of the suite appends one JSON line with its outcome.

    with scenario("fault matrix", "create x 503 (persistent)") as sc:
        ...                      # drive the scenario, assert
        sc.audit(emulator, state_ids)   # counts duplicates and orphans, fails on any

A line is written whether the scenario passes or not (an exception marks it failed, and is re-raised), so
`scripts/reliability-report` counts what actually ran. The file is `$RELIABILITY_RESULTS`, by default
`.reliability/results.jsonl` at the repository root.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support.emulator import REPO_ROOT, Emulator

FAULT_MATRIX = "fault matrix"
TAKEN_SCHEMA = "taken schema"
RATE_LIMITS = "rate limits"
BAD_INPUT = "bad input"
SECRETS = "secrets"
CONCURRENCY = "concurrency"
FAMILIES = (FAULT_MATRIX, TAKEN_SCHEMA, RATE_LIMITS, BAD_INPUT, SECRETS, CONCURRENCY)

_write_lock = threading.Lock()


def results_path() -> Path:
    configured = os.environ.get("RELIABILITY_RESULTS")
    return Path(configured) if configured else REPO_ROOT / ".reliability" / "results.jsonl"


def start_results() -> None:
    """Begin a fresh results file (once per pytest session)."""
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")


def session_id() -> str:
    """Which pytest session wrote a line: `$RELIABILITY_SESSION`, else this process's id and start time."""
    return os.environ.get("RELIABILITY_SESSION") or _PROCESS_SESSION


_PROCESS_SESSION = f"pid{os.getpid()}-{int(time.time())}"


@dataclass
class Scenario:
    family: str
    name: str
    session: str = field(default_factory=session_id)
    passed: bool = False
    duplicates: int = 0
    orphans: int = 0
    canary_hits: int = 0
    others_touched: int = 0  # connections the run did not create that it deleted or modified
    outcome: str = ""  # "succeeded", "failed clearly, then converged", ...
    detail: str = ""
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    # -- measurements --------------------------------------------------------------------------------------
    def audit(self, emulator: Emulator, state_ids: Iterable[str], *, group_id: str | None = None) -> list[dict]:
        """Count duplicates and orphans between the emulator and what the state knows; assert there are none.

        duplicates: connections beyond the first that share a (group, schema);
        orphans: connections the state does not know, plus state entries the emulator lacks.
        Returns the emulator's connections.
        """
        live = emulator.connections(group_id)
        known = set(state_ids)
        by_place = Counter((c["group_id"], c["schema"]) for c in live)
        duplicates = sum(count - 1 for count in by_place.values() if count > 1)
        live_ids = {c["id"] for c in live}
        orphans = len(live_ids - known) + len(known - live_ids)
        self.duplicates += duplicates
        self.orphans += orphans
        assert duplicates == 0, f"duplicate connections: {sorted(p for p, n in by_place.items() if n > 1)}"
        assert orphans == 0, (f"orphans: in the emulator but not the state {sorted(live_ids - known)}, "
                              f"in the state but not the emulator {sorted(known - live_ids)}")
        return live

    def untouched(self, emulator: Emulator, others: Iterable[Mapping[str, Any]]) -> None:
        """Count connections the run did not create (as they were before it) that it deleted or modified, by
        what the emulator holds now and by any request other than a read that named them; assert there are
        none."""
        live = {c["id"]: c for c in emulator.connections()}
        # Any request but a read that names the connection: its settings, schema config, tests, syncs, card.
        written = {part for r in emulator.requests() if r["method"] != "GET" for part in r["path"].split("/")}
        touched = []
        for before in others:
            now = live.get(before["id"])
            settings_now = {k: v for k, v in (now or {}).items() if k != "status"}
            if now is None or settings_now != {k: v for k, v in before.items() if k != "status"} \
                    or before["id"] in written:
                touched.append(before["id"])
        self.others_touched += len(touched)
        assert not touched, f"connections the run did not create were deleted or modified: {touched}"

    def canaries(self, hits: Mapping[str, Iterable[str]]) -> None:
        """Add canary hits (place -> forms found); assert there are none."""
        found = {place: sorted(set(forms)) for place, forms in hits.items() if forms}
        self.canary_hits += sum(len(forms) for forms in found.values())
        assert not found, f"canaries found: {found}"


def _write(scenario: Scenario) -> None:
    line = json.dumps(asdict(scenario), default=str)
    path = results_path()
    with _write_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(line + "\n")


@contextmanager
def scenario(family: str, name: str) -> Iterator[Scenario]:
    """Run one scenario and record it, passed only when the block completes."""
    assert family in FAMILIES, family
    record = Scenario(family, name)
    started = time.monotonic()
    try:
        yield record
    except BaseException as error:
        record.passed = False
        record.detail = (record.detail + " | " if record.detail else "") + f"{type(error).__name__}: {error}"[:600]
        raise
    else:
        record.passed = True
    finally:
        record.seconds = round(time.monotonic() - started, 3)
        _write(record)
