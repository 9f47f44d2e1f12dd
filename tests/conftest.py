"""Shared fixtures: a real emulator process per test session, reset before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emulator import Emulator, start_emulator

# Destination groups every test emulator knows: (id, name).
GROUPS = [("warehouse_main", "Main warehouse"), ("warehouse_eu", "EU warehouse")]


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[Emulator]:
    group_args = [arg for gid, name in GROUPS for arg in ("--group", f"{gid}:{name}")]
    with start_emulator(*group_args, "--create-limit", "0") as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_process: Emulator) -> Emulator:
    """The session's emulator, with connections, faults and the request log forgotten."""
    emulator_process.reset()
    return emulator_process
