"""Fixtures of the reliability suite: the results recorder and dedicated emulators.

Every scenario appends a line to `$RELIABILITY_RESULTS` (default `.reliability/results.jsonl`); see
`record.py` and `scripts/reliability-report`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.reliability.record import start_results


@pytest.fixture(scope="session", autouse=True)
def _fresh_results() -> Iterator[None]:
    """One results file per pytest session (xdist workers append to the controller's)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        start_results()
    yield
