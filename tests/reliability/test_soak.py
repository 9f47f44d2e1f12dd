"""A short soak (`scripts/soak`) in every test run: a seeded, randomized history through the real CLI under
faults, every invariant checked after every round. Longer runs go by hand (README, "Reliability")."""

from __future__ import annotations

import re

import pytest

from tests.reliability import soak

pytestmark = pytest.mark.cli

SEED, ROUNDS, CONNECTIONS = 20261202, 8, 5
LAST_LINE = re.compile(r"soak: (\d+) rounds, seed (\d+), (\d+) connections: (\d+) duplicates, (\d+) orphans, "
                       r"(\d+) invariant violations, (\d+) canary hits")


def test_a_short_soak_keeps_every_invariant(capsys: pytest.CaptureFixture[str]) -> None:
    status = soak.main(["--seed", str(SEED), "--rounds", str(ROUNDS), "--connections", str(CONNECTIONS),
                        "--shrink-budget", "0"])
    output = capsys.readouterr().out
    last = output.rstrip().splitlines()[-1]
    found = LAST_LINE.fullmatch(last)
    assert found, last
    assert found.groups() == (str(ROUNDS), str(SEED), str(CONNECTIONS), "0", "0", "0", "0"), output
    assert status == 0


def test_the_same_seed_draws_the_same_history() -> None:
    assert soak.plan(SEED, 20, 6) == soak.plan(SEED, 20, 6)
    assert soak.plan(SEED, 20, 6) != soak.plan(SEED + 1, 20, 6)


def test_every_kind_of_change_is_drawn() -> None:
    """Over a long history, each program change, outside change and fault kind occurs."""
    history = soak.plan(7, 300, 20)
    ops = {action["op"] for actions in history for action in actions}
    fields = {action["field"] for actions in history for action in actions if action["op"] == "set"}
    assert ops >= {"add", "remove", "set", "rotate", "card", "adopt", "outside_edit", "outside_delete",
                   "outside_column", "fault", "kill", "run"}, ops
    assert fields >= {"sync_frequency", "paused", "events", "schema", "group", "blocked", "hashed", "resync"}
