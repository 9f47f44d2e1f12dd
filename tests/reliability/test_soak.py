"""A short soak (`scripts/soak`) in every test run: a seeded, randomized history through the real CLI under
faults, every invariant checked after every round. Longer runs go by hand (docs/testing.md, "Reliability")."""

from __future__ import annotations

import re

import pytest

from tests.reliability import soak, soak_plan

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
    """Over long histories, each program change, outside change and fault kind occurs, and so does each way of
    giving the key, each webhook auth type, and each scenario where features meet that the soak can produce
    (see `soak_plan`)."""
    history = soak.plan(7, 300, 20) + soak.plan(8, 300, 20)[1:]  # two seeds: the rarer draws need 600 rounds
    actions = [action for round_ in history for action in round_]
    ops = {action["op"] for action in actions}
    fields = {action["field"] for action in actions if action["op"] == "set"}
    assert ops >= {"add", "remove", "set", "rotate", "key", "adopt", "outside_edit", "outside_delete",
                   "outside_column", "outside_card", "fault", "kill", "run"}, ops
    assert fields >= {"sync_frequency", "paused", "events", "schema", "group", "blocked", "hashed", "resync", "auth",
                      "naming", "policy"}
    assert {a["to"] for a in actions if a["op"] == "key"} == {"declared", "card", "working", "failing"}
    assert {a["value"] for a in actions if a["op"] == "set" and a["field"] == "auth"} == {"NoAuth", "Basic", "OAuth2"}
    assert {a["key"] for a in actions if a["op"] == "adopt"} == {"declared", "card", "working", "failing"}
    rounds = [{(a["op"], a.get("field")): a for a in round_} for round_ in history]
    # 1: unpausing and a new schema config in one round
    assert any(("set", "paused") in r and not r[("set", "paused")]["value"] and ("set", "blocked") in r
               for r in rounds)
    # 3 and 4: a secret-to-secret move to a failing one, an auth type change with a failing key
    assert any(a["op"] == "key" and a["to"] == "failing" for a in actions)
    assert any(("set", "auth") in r and (r.get(("rotate", None), {}).get("fails") or
                                         r.get(("key", None), {}).get("to") == "failing") for r in rounds)
    # 5 and 6: a naming change (a replacement that deletes first) and a naming declared as Fivetran holds it
    model, replaced, same = soak_plan.ProgramModel(), set(), set()
    for round_ in history:
        model.start_round()
        for action in round_:
            if action["op"] not in ("fault", "kill", "run") and action["op"] not in soak_plan.OUTSIDE_ONLY:
                model.apply(action)
        naming = {a["name"] for a in round_ if a["op"] == "set" and a["field"] == "naming"}
        replaced |= naming & model.replaced
        same |= naming & model.same_naming
        model.end_round()
    assert replaced and same
    # An update that fails half-way: a settings change and a re-sync of one connection, the re-sync refused.
    assert any(("fault", None) in r and any(a["op"] == "fault" and a["spec"].get("status") == 409 for a in round_)
               and any(a["op"] == "set" and a["field"] == "sync_frequency" and
                       any(b["op"] == "set" and b["field"] == "resync" and b["name"] == a["name"] for b in round_)
                       for a in round_)
               for r, round_ in zip(rounds, history, strict=True))
    # 8: a create's schema config write failing, then its clean-up
    assert any(a["op"] == "fault" and a["spec"]["path"] == r"/schemas$" and a["spec"].get("status") == 400
               for a in actions)


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
