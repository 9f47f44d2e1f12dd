"""Shared fixtures: a real emulator process per test session, reset before each test that uses it, and a client
of it whose retries sleep for no wall time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi_fivetran_iterable.client import FivetranClient

from tests.support.clients import Sleeps, make_client, policy
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


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits a test's client was asked for (it returns at once)."""
    return Sleeps()


@pytest.fixture
def client(emulator: Emulator, sleeps: Sleeps) -> Iterator[FivetranClient]:
    """A client of the session's emulator whose retries record their waits in `sleeps`."""
    with make_client(emulator, retry=policy(sleeps)) as fivetran:
        yield fivetran
