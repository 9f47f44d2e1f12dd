"""Fault matrix: every operation against every fault the emulator can play.

Provider level: each of create, read (refresh), update, delete and a whole `up` of several connections
(creates, an update and a delete in parallel), under each fault of `support.FAULTS`, once transient (the
next request succeeds) and once persistent (every matching request fails until the fault is cleared):

- transient: the operation must succeed, with the emulator holding exactly the declared connections and the
  state matching them;
- persistent: the operation either succeeds the same way, or fails with an error that names the operation
  and the cause; then, with the fault gone, the next `up` converges with no duplicate and no orphan (when
  it tells the user to set `adopt_existing: true`, doing so must converge).

The real engine's part (parallel steps, state writes, error display, an interrupted run) is covered by the
CLI scenarios in `test_fault_matrix_cli.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.record import FAULT_MATRIX, TAKEN_SCHEMA, Scenario, scenario
from tests.reliability.support import (
    FAST_RETRY,
    FAULTS,
    SHORT_BUDGET_RETRY,
    Fault,
    MiniEngine,
    clear_faults,
    declared,
    provider_for,
    wait_for_server,
)
from tests.support.emulator import Emulator

ONE = {"main": declared("iterable_main")}
ONE_CHANGED = {"main": declared("iterable_main", sync_frequency=60, paused=True)}
# A whole `up`: `keep` is updated, `old` deleted, `new1`/`new2` created, all in parallel.
MIXED_BEFORE = {"keep": declared("iterable_keep"), "old": declared("iterable_old")}
MIXED_AFTER = {
    "keep": declared("iterable_keep", sync_frequency=120),
    "new1": declared("iterable_new1"),
    "new2": declared("iterable_new2", paused=True),
}

ONE_ID = r"^/v1/connections/[^/]+$"
# What the connection syncs: created with it, changed, read back, and re-synced on request.
BLOCKED = {"tables": {"list_user_history": {"enabled": False},
                      "user_history": {"columns": {"email": {"hashed": True}}}}}
WITH_SCHEMA = {"main": declared("iterable_main", schema_config=BLOCKED)}
SCHEMA_CHANGED = {"main": declared("iterable_main", schema_config={
    "schema_change_handling": "BLOCK_ALL",
    "tables": {"list_user_history": {"enabled": True}, "event": {"enabled": False},
               "user_history": {"columns": {"email": {"hashed": False}, "phone_number": {"enabled": False}}}}})}
RESYNC_BEFORE = {"main": declared("iterable_main", resync={"trigger": "1"})}
RESYNC_AFTER = {"main": declared("iterable_main", resync={"trigger": "2", "tables": ["event"]})}
SCHEMAS = r"^/v1/connections/[^/]+/schemas$"


@dataclass(frozen=True)
class Operation:
    name: str
    targets: tuple[tuple[str, str], ...]  # (method, path regex) of the requests the fault hits
    before: Mapping[str, Mapping[str, Any]]  # what the state holds before (created without faults)
    after: Mapping[str, Mapping[str, Any]]  # the program the operation converges to
    words: str  # how the error must name the operation
    act: Callable[[MiniEngine, Mapping[str, Mapping[str, Any]]], dict[str, Exception]]


def _up(engine: MiniEngine, program: Mapping[str, Mapping[str, Any]]) -> dict[str, Exception]:
    return engine.up(program)


def _refresh(engine: MiniEngine, program: Mapping[str, Mapping[str, Any]]) -> dict[str, Exception]:
    return engine.refresh()


def _destroy(engine: MiniEngine, program: Mapping[str, Mapping[str, Any]]) -> dict[str, Exception]:
    return engine.destroy()


OPERATIONS = (
    Operation("create", (("POST", r"^/v1/connections$"),), {}, ONE, r"create connection", _up),
    Operation("read", (("GET", ONE_ID),), ONE, ONE, r"read connection '\w+'", _refresh),
    Operation("update", (("PATCH", ONE_ID),), ONE, ONE_CHANGED, r"update connection '\w+'", _up),
    Operation("delete", (("DELETE", ONE_ID),), ONE, {}, r"delete connection '\w+'", _destroy),
    Operation("up of several", (("POST", r"^/v1/connections$"), ("PATCH", ONE_ID), ("DELETE", ONE_ID)),
              MIXED_BEFORE, MIXED_AFTER, r"(create|update|delete) connection", _up),
    Operation("create with schema config", (("POST", SCHEMAS), ("PATCH", ONE_ID)), {}, WITH_SCHEMA,
              r"create connection", _up),
    Operation("schema config update", (("PATCH", SCHEMAS),), WITH_SCHEMA, SCHEMA_CHANGED,
              r"update schema config of connection '\w+'", _up),
    Operation("schema config read", (("GET", SCHEMAS),), WITH_SCHEMA, WITH_SCHEMA,
              r"read schema config of connection '\w+'", _refresh),
    Operation("re-sync", (("POST", r"/resync$"),), RESYNC_BEFORE, RESYNC_AFTER, r"re-sync connection '\w+'", _up),
)

# Cells that pin a known bug (strict xfail, so a fix shows up); none in the matrix itself at present.
KNOWN_BUGS: dict[tuple[str, str, str], pytest.MarkDecorator] = {}


def _cells() -> list[Any]:
    cells = []
    for operation in OPERATIONS:
        for fault in FAULTS:
            for mode in ("transient", "persistent"):
                marks = KNOWN_BUGS.get((operation.name, fault.name, mode), ())
                cells.append(pytest.param(operation, fault, mode, marks=marks,
                                          id=f"{operation.name}-{fault.name}-{mode}".replace(" ", "_")))
    return cells


def _arm(emulator: Emulator, operation: Operation, fault: Fault, mode: str) -> None:
    for method, path in operation.targets:
        fault.arm(emulator, method, path, count=1 if mode == "transient" else 50)


def _check_error(operation: Operation, fault: Fault, name: str, error: Exception) -> None:
    message = str(error)
    assert re.search(operation.words, message), f"{name}: the error does not name the operation: {message}"
    assert re.search(fault.cause, message), f"{name}: the error does not name the cause: {message}"
    assert "Traceback" not in message, message


def _nothing_created_claims_hold(emulator: Emulator, errors: Mapping[str, Exception],
                                 program: Mapping[str, Mapping[str, Any]]) -> None:
    """An error that says nothing was created must be true once the server has finished."""
    live = {c["schema"] for c in emulator.connections()}
    for name, error in errors.items():
        if "nothing was created" in str(error) and name in program:
            schema = program[name]["config"]["schema"]
            assert schema not in live, (f"{name}: the error says nothing was created, yet connection "
                                        f"'{schema}' exists: {error}")


@pytest.mark.parametrize(("operation", "fault", "mode"), _cells())
def test_operation_under_fault(emulator: Emulator, operation: Operation, fault: Fault, mode: str) -> None:
    with scenario(FAULT_MATRIX, f"provider: {operation.name} x {fault.name} ({mode})") as sc:
        provider = provider_for(emulator, retry=FAST_RETRY if mode == "transient" else SHORT_BUDGET_RETRY)
        engine = MiniEngine(provider)
        assert engine.up(operation.before) == {}
        _arm(emulator, operation, fault, mode)

        errors = operation.act(engine, operation.after)
        wait_for_server(emulator, provider)  # the server may still work on what the client gave up on
        clear_faults(emulator)
        sc.notes["errors"] = {name: str(error)[:300] for name, error in errors.items()}

        program = operation.after
        if mode == "transient":
            assert errors == {}, f"a single {fault.name} must be absorbed by the retries: {errors}"
            sc.outcome = "succeeded"
        elif not errors:
            sc.outcome = "succeeded"
        else:
            for name, error in errors.items():
                _check_error(operation, fault, name, error)
            _nothing_created_claims_hold(emulator, errors, operation.after)
            sc.outcome, program = _converge(engine, operation, sc)

        if operation.name == "read":
            assert engine.up(program) == {}  # the refreshed state needs no change
        engine.assert_matches(emulator, program)
        sc.audit(emulator, engine.ids())


def _converge(engine: MiniEngine, operation: Operation, sc: Scenario
              ) -> tuple[str, Mapping[str, Mapping[str, Any]]]:
    """The next run after a failure: `up` (or the failed refresh/destroy again) must converge."""
    program = dict(operation.after)
    engine.next_run()
    errors = operation.act(engine, program)
    if not errors:
        return "failed clearly; next run converged", program
    told = {name for name, error in errors.items() if "adopt_existing: true" in str(error)}
    sc.notes["next run"] = {name: str(error)[:300] for name, error in errors.items()}
    assert told == set(errors), f"the next run failed without saying what to do: {errors}"
    for name in told:
        program[name] = {**program[name], "adopt_existing": True}
    assert engine.up(program) == {}
    return "failed clearly; next run said to set adopt_existing: true, which converged", program


def test_create_whose_every_reply_times_out_does_not_claim_nothing_was_created(emulator: Emulator) -> None:
    """Every POST is answered after 2 s, the client waits 0.25 s: the three attempts and their lookups end
    before the first POST lands. The error must not claim nothing was created: the connection appears."""
    with scenario(FAULT_MATRIX, "provider: create x every POST slower than timeout, landing after the error") as sc:
        provider = provider_for(emulator, retry=SHORT_BUDGET_RETRY)
        engine = MiniEngine(provider)
        emulator.fault(method="POST", path=r"^/v1/connections$", delay_s=2.0, count=50)
        errors = engine.up(ONE)
        wait_for_server(emulator, provider)
        clear_faults(emulator)
        assert set(errors) == {"main"}
        sc.notes["errors"] = {name: str(error)[:400] for name, error in errors.items()}
        _check_error(OPERATIONS[0], FAULTS[6], "main", errors["main"])
        _nothing_created_claims_hold(emulator, errors, ONE)
        sc.outcome, program = _converge(engine, OPERATIONS[0], sc)
        engine.assert_matches(emulator, program)
        sc.audit(emulator, engine.ids())


# -- a connection with our schema already exists before our POST ----------------------------------------------------


def _strangers(emulator: Emulator, api_key: str) -> dict[str, Any]:
    """A connection someone else made with our group and schema (other settings), before the run."""
    return emulator.create_connection("iterable_main", api_key, config={"account_region": "EU"}, paused=True,
                                      sync_frequency=1440)


@pytest.mark.parametrize("mode", ["transient", "persistent"])
@pytest.mark.parametrize("their_key", ["invalid-their-key", "their-working-key"], ids=["broken key", "working key"])
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name.replace(" ", "_") for f in FAULTS])
def test_create_under_fault_when_the_schema_is_already_taken(emulator: Emulator, fault: Fault, their_key: str,
                                                             mode: str) -> None:
    """Whatever happens to our POST, a connection we did not create is neither claimed, changed nor deleted:
    the create fails saying the schema is taken (or naming the fault), and nothing else exists."""
    name = f"provider: create x {fault.name} ({mode}), schema taken by a connection with a {their_key}"
    with scenario(TAKEN_SCHEMA, name) as sc:
        theirs = _strangers(emulator, their_key)
        provider = provider_for(emulator, retry=FAST_RETRY if mode == "transient" else SHORT_BUDGET_RETRY)
        engine = MiniEngine(provider)
        fault.arm(emulator, "POST", r"^/v1/connections$", count=1 if mode == "transient" else 50)

        errors = engine.up(ONE)
        wait_for_server(emulator, provider)
        clear_faults(emulator)

        sc.notes["error"] = str(errors.get("main", ""))[:400]
        assert set(errors) == {"main"}, "the create must fail: the schema is someone else's"
        message = str(errors["main"])
        assert "already exists" in message or re.search(fault.cause, message), message
        assert "deleted again" not in message and "nothing was created" not in message, message
        sc.untouched(emulator, [theirs])
        sc.audit(emulator, [theirs["id"]])  # exactly theirs, and nothing of ours
        sc.outcome = "refused; their connection untouched"
