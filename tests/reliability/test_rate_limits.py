"""Rate limits: a burst of creates larger than the emulator's creation limit completes
with zero failures, by pacing (the provider's create throttle, `fivetran:createLimit`) and, without pacing,
by honouring `Retry-After`; and it never goes over the limit by more than the retries it needs.

The emulator here is a dedicated one with a creation limit of LIMIT per WINDOW_S seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.record import RATE_LIMITS, Scenario, scenario
from tests.reliability.support import MiniEngine, assert_stack_matches, declared, provider_for, stack_project
from tests.support.emulator import Emulator, start_emulator

LIMIT, WINDOW_S = 4, 1
CREATE_LIMIT = f"{LIMIT}/{WINDOW_S}"
BURST = 14  # 3.5 times the limit


@pytest.fixture(scope="module")
def limited_emulator() -> Iterator[Emulator]:
    with start_emulator("--group", "warehouse_main:Main", "--create-limit", CREATE_LIMIT) as emulator:
        yield emulator


@pytest.fixture
def limited(limited_emulator: Emulator) -> Emulator:
    limited_emulator.reset()  # also forgets the creation history of the rate limit
    return limited_emulator


def burst_program(count: int) -> dict[str, dict]:
    return {f"burst{n:02d}": declared(f"iterable_burst_{n:02d}") for n in range(count)}


def posts(emulator: Emulator) -> list[int]:
    return [r["status"] for r in emulator.requests() if r["method"] == "POST" and r["path"] == "/v1/connections"]


def boundaries(creates: int) -> int:
    """How many times a paced burst has to wait for the window to move."""
    return math.ceil(creates / LIMIT) - 1


def measure(sc: Scenario, emulator: Emulator, creates: int, elapsed_s: float) -> tuple[int, int]:
    """Record the POSTs, the 429s and the time taken; returns (429s, retries)."""
    statuses = posts(emulator)
    rejected = statuses.count(429)
    retries = len(statuses) - creates
    floor_s = (math.ceil(creates / LIMIT) - 1) * WINDOW_S
    sc.notes.update(creates=creates, posts=len(statuses), rejected_429=rejected, retries=retries,
                    elapsed_s=round(elapsed_s, 2), floor_s=floor_s)
    assert statuses.count(201) == creates, statuses
    # Every 429 is a create the emulator refused; each needs exactly one retry, and nothing else may fail.
    assert rejected == retries, statuses
    return rejected, retries


def test_burst_paced_by_the_create_throttle(limited: Emulator) -> None:
    with scenario(RATE_LIMITS, f"provider: {BURST} creates, 4 in parallel, createLimit {CREATE_LIMIT}") as sc:
        engine = MiniEngine(provider_for(limited, create_limit=CREATE_LIMIT), parallel=4)
        program = burst_program(BURST)
        started = time.monotonic()
        assert engine.up(program) == {}
        elapsed = time.monotonic() - started
        rejected, _ = measure(sc, limited, BURST, elapsed)
        # Paced to the limit: no 429, but for a rare edge between the client's clock and the server's (the
        # server counts a create when it commits, a few ms after the client sent it): at most one per window.
        assert rejected <= boundaries(BURST), sc.notes
        assert elapsed >= sc.notes["floor_s"]
        engine.assert_matches(limited, program)
        sc.audit(limited, engine.ids())


def test_burst_without_pacing_honours_retry_after(limited: Emulator) -> None:
    with scenario(RATE_LIMITS, f"provider: {BURST} creates, 4 in parallel, no throttle (Retry-After only)") as sc:
        engine = MiniEngine(provider_for(limited, create_limit="0"), parallel=4)
        program = burst_program(BURST)
        started = time.monotonic()
        assert engine.up(program) == {}
        elapsed = time.monotonic() - started
        rejected, retries = measure(sc, limited, BURST, elapsed)
        assert rejected > 0  # the burst did hit the limit
        # Retry-After is honoured: a thread refused at most once per window, never hammering.
        assert retries <= BURST, sc.notes
        engine.assert_matches(limited, program)
        sc.audit(limited, engine.ids())


@pytest.mark.cli
def test_pulumi_up_of_a_burst_paced_by_fivetran_create_limit(tmp_path: Path, limited: Emulator) -> None:
    count = 12
    names = [f"wave{n:02d}" for n in range(count)]
    project = stack_project(tmp_path, limited, names, create_limit=CREATE_LIMIT)
    with scenario(RATE_LIMITS, f"cli: up of {count} connections, fivetran:createLimit {CREATE_LIMIT}") as sc:
        started = time.monotonic()
        project.up("--skip-preview").check()
        rejected, _ = measure(sc, limited, count, time.monotonic() - started)
        assert rejected <= boundaries(count), sc.notes
        assert_stack_matches(project, limited, sc, {name: {"sync_frequency": 360} for name in names})
