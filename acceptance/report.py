"""The run's report: one line per step as it finishes, then the open questions, what was left behind, the
versions, the request count and time, and the last line `acceptance: N passed, N failed[, N skipped]`.
Everything passes through the run's redactor before it is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .guard import Entry, summary

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Outcome:
    step: str
    status: str
    seconds: float
    detail: str

    def line(self) -> str:
        return f"{self.status:<8} {self.step:<19} {self.seconds:6.1f} s  {self.detail}"


class Report:
    def __init__(self, redact: Callable[[str], str], out: TextIO = sys.stdout) -> None:
        self.redact = redact
        self.out = out
        self.outcomes: list[Outcome] = []

    def say(self, text: str = "") -> None:
        print(self.redact(text), file=self.out, flush=True)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.say(outcome.line())

    def status_of(self) -> dict[str, str]:
        return {o.step: o.status for o in self.outcomes}

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for o in self.outcomes if o.status == status) for status in (PASSED, FAILED, SKIPPED)}

    def last_line(self) -> str:
        counts = self.counts()
        skipped = f", {counts[SKIPPED]} skipped" if counts[SKIPPED] else ""
        return f"acceptance: {counts[PASSED]} passed, {counts[FAILED]} failed{skipped}"


def requests_line(entries: list[Entry]) -> str:
    provider = sum(1 for e in entries if not e.by_suite)
    refused = [e for e in entries if e.refused]
    return (f"requests: {len(entries)} ({provider} by the provider, {len(entries) - provider} by the suite's checks; "
            f"{', '.join(summary(entries)) or 'none'}); refused by the guard: {len(refused)}")


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
