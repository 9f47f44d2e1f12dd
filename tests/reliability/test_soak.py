"""A short soak (`scripts/soak`) in every test run: a seeded, randomized history through the real CLI under
faults, every invariant checked after every round. Longer runs go by hand (docs/testing.md, "Reliability")."""

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


def test_a_violation_fails_the_run_and_prints_the_seed_the_round_and_a_replayable_history(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    """The contract of the last line and the exit status when an invariant fails (the run itself replaced: the
    invariants are exercised by the soak above)."""
    def failing_run(history, seed, workdir, log, tally=None):
        return soak.Tally(orphans=1, violations=1), 2, soak.Violation("orphans", "in Fivetran only ['x']")

    monkeypatch.setattr(soak, "run_history", failing_run)
    monkeypatch.setattr(soak, "shrink", lambda history, failing, *rest: history[:1] + history[failing:failing + 1])
    monkeypatch.setattr(soak.tempfile, "gettempdir", lambda: str(tmp_path))
    status = soak.main(["--seed", "5", "--rounds", "4", "--connections", "3"])
    output = capsys.readouterr().out
    assert status == 1
    assert output.rstrip().splitlines()[-1] == ("soak: 4 rounds, seed 5, 3 connections: 0 duplicates, 1 orphans, "
                                                "1 invariant violations, 0 canary hits")
    assert "FAILED at round 2 of seed 5: orphans: in Fivetran only ['x']" in output
    saved = tmp_path / "soak-seed5-round2.json"
    assert f"scripts/soak --replay {saved}" in output
    assert soak.json.loads(saved.read_text())["history"] == soak.plan(5, 4, 3)[:1] + soak.plan(5, 4, 3)[2:3]
