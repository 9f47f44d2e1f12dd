"""Fault matrix: every operation against every fault the emulator can play.

Provider level: each of create, read (refresh), update, delete and a whole `up` of several connections
(creates, an update and a delete in parallel), under each fault of `support.FAULTS`, once transient (the
next request succeeds) and once persistent (every matching request fails until the fault is cleared):

- transient: the operation must succeed, with the emulator holding exactly the declared connections and the
  state matching them;
- persistent: the operation either succeeds the same way, or fails with an error that names the operation
  and the cause; then, with the fault gone, the next `up` converges with no duplicate and no orphan (when
  it tells the user to set `adopt_existing: true`, doing so must converge).

Where the key comes from and the webhook auth type are crossed with the faults too: moving the key to an
external secrets manager, to a secret whose key fails (from a declared key, from another secret, from a
completed Connect Card, whose key nothing could send back), and changing the webhook auth type, alone and with
a key that fails. A change whose key fails is never a success: it fails saying the key's tests failed or it was
refused ("Nothing was changed"), or naming the fault; then the program does what the message says (the key
source put back) and the next `up`, after the refresh the project runs first, converges. Under every fault:
- a connection an error reports as rolled back is as it was before: still `connected` when it was, its key read
  from where it was, its webhook auth type and webhook secret unchanged;
- a refused change sent nothing to the connection;
- once converged, the state's `key_source` agrees with the program, and the webhook secret the state holds is
  the one Fivetran holds.

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
    CREATE,
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

# Where the key comes from: two external secrets managers, one whose secret works and one whose secret fails its
# setup tests (seeded in the emulator by each test), and a Connect Card.
VAULT, STALE_VAULT, SECRET = "esm_vault", "esm_vault_stale", "ITERABLE_API_KEY"


def in_vault(schema: str, manager: str = VAULT, **settings: Any) -> dict[str, Any]:
    props = declared(schema, **settings)
    del props["config"]["api_key"]
    return {**props, "external_secrets_manager_id": manager, "external_secrets_keys_config": {"api_key": SECRET}}


def by_card(schema: str, **settings: Any) -> dict[str, Any]:
    props = declared(schema, **settings)
    del props["config"]["api_key"]
    return {**props, "connect_card_config": {"redirect_uri": "https://example.com/iterable-connected"}}


IN_VAULT = {"main": in_vault("iterable_main")}
IN_STALE_VAULT = {"main": in_vault("iterable_main", STALE_VAULT)}
BY_CARD = {"main": by_card("iterable_main")}
BASIC = {"main": declared("iterable_main", config={"webhook_auth_type": "Basic"})}
OAUTH2 = {"main": declared("iterable_main", sync_frequency=60, config={"webhook_auth_type": "OAuth2"})}
OAUTH2_FAILING_KEY = {"main": declared("iterable_main", api_key="invalid-rotated-key",
                                       config={"webhook_auth_type": "OAuth2"})}
OAUTH2_SAME_KEY = {"main": declared("iterable_main", config={"webhook_auth_type": "OAuth2"})}


def complete_the_card(emulator: Emulator) -> None:
    """The Iterable account owner completes the Connect Card with a working key (the state does not know yet)."""
    (connection,) = emulator.connections()
    emulator.complete_connect_card(connection["connect_card"]["token"], "itbl-typed-in-the-card")


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
    # For a change whose key fails (or that would replace a working key nothing could send back): the program
    # once the user did what the error says, the key source put back. None: the change itself converges.
    fixed: Mapping[str, Mapping[str, Any]] | None = None
    prepare: Callable[[Emulator], None] | None = None  # what happens in Fivetran after `before` was applied


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
    Operation("create from a secrets manager", (("POST", CREATE),), {}, IN_VAULT, r"create connection", _up),
    Operation("move to a secrets manager", (("PATCH", ONE_ID),), ONE, IN_VAULT, r"update connection '\w+'", _up),
    Operation("move to a failing secret", (("PATCH", ONE_ID),), ONE, IN_STALE_VAULT, r"update connection '\w+'",
              _up, fixed=ONE),
    Operation("move between secrets, to a failing one", (("PATCH", ONE_ID),), IN_VAULT, IN_STALE_VAULT,
              r"update connection '\w+'", _up, fixed=IN_VAULT),
    Operation("move off a completed card, to a failing secret", (("GET", ONE_ID), ("PATCH", ONE_ID)), BY_CARD,
              IN_STALE_VAULT, r"update connection '\w+'", _up, fixed=BY_CARD, prepare=complete_the_card),
    Operation("webhook auth type change", (("PATCH", ONE_ID),), BASIC, OAUTH2, r"update connection '\w+'", _up),
    Operation("webhook auth type change with a failing key", (("PATCH", ONE_ID),), BASIC, OAUTH2_FAILING_KEY,
              r"update connection '\w+'", _up, fixed=OAUTH2_SAME_KEY),
)

# An error that reports a complete rollback (a partial one says what could not be put back instead), and one
# that reports a change refused before anything was sent.
ROLLED_BACK = re.compile(r"so the change was rolled back|its previous settings were restored and")
REFUSED = "Nothing was changed"
KEY_FAILED = re.compile(rf"setup tests failed|{REFUSED}")

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
        emulator.add_external_secret(VAULT, SECRET, "itbl-key-in-the-vault")
        emulator.add_external_secret(STALE_VAULT, SECRET, "invalid-key-in-the-stale-vault")
        assert engine.up(operation.before) == {}
        if operation.prepare is not None:
            operation.prepare(emulator)
        before = {c["id"]: c for c in emulator.connections()}
        sent_before = len(emulator.requests())
        _arm(emulator, operation, fault, mode)

        errors = operation.act(engine, operation.after)
        wait_for_server(emulator, provider)  # the server may still work on what the client gave up on
        clear_faults(emulator)
        sc.notes["errors"] = {name: str(error)[:300] for name, error in errors.items()}
        _rollbacks_and_refusals_hold(emulator, before, errors, sent_before)

        program = operation.after
        if operation.fixed is not None:
            assert set(errors) == set(operation.after), f"a key that fails must not be a success: {errors}"
            for name, error in errors.items():
                _check_key_error(operation, fault, mode, name, error)
            sc.outcome, program = _converge_fixed(engine, operation, sc)
        elif mode == "transient":
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
        _key_sources_and_webhook_secrets_hold(engine, emulator, program)
        sc.audit(emulator, engine.ids())


def _check_key_error(operation: Operation, fault: Fault, mode: str, name: str, error: Exception) -> None:
    """A change whose key fails fails saying so, or (only when the fault persists) naming the fault."""
    message = str(error)
    assert re.search(operation.words, message), f"{name}: the error does not name the operation: {message}"
    assert "Traceback" not in message, message
    if mode == "transient":
        assert KEY_FAILED.search(message), f"{name}: a single {fault.name} must be absorbed: {message}"
    else:
        assert KEY_FAILED.search(message) or re.search(fault.cause, message), (
            f"{name}: the error names neither the failing key nor the cause: {message}")


def _rollbacks_and_refusals_hold(emulator: Emulator, before: Mapping[str, Mapping[str, Any]],
                                 errors: Mapping[str, Exception], sent_before: int) -> None:
    """What an error claims about the connection it names is true: rolled back means as it was (working if it
    worked, the key read from where it was, the same webhook auth type and secret); refused means untouched."""
    now = {c["id"]: c for c in emulator.connections()}
    written = [r["path"] for r in emulator.requests()[sent_before:] if r["method"] != "GET"]
    for name, error in errors.items():
        message = str(error)
        named = set(re.findall(r"connection '(\w+)'", message)) & set(before)
        for cid in named:
            was, is_ = before[cid], now.get(cid)
            if ROLLED_BACK.search(message):
                assert is_ is not None, f"{name}: reported rolled back, but connection {cid} is gone"
                if was["status"]["setup_state"] == "connected":
                    assert is_["status"]["setup_state"] == "connected", (
                        f"{name}: reported rolled back, but it is {is_['status']['setup_state']}: {message}")
                for key in ("external_secrets_manager_id", "external_secrets_keys_config"):
                    assert is_.get(key) == was.get(key), f"{name}: reported rolled back, but {key} changed"
                for key in ("webhook_auth_type", "webhook_secret"):  # compared, never printed
                    assert is_["config"].get(key) == was["config"].get(key), (
                        f"{name}: reported rolled back, but config.{key} changed")
            if REFUSED in message:
                assert not any(cid in path for path in written), f"{name}: refused, yet sent {written}"
                assert is_ == was, f"{name}: refused, yet the connection changed"


def _key_sources_and_webhook_secrets_hold(engine: MiniEngine, emulator: Emulator,
                                          program: Mapping[str, Mapping[str, Any]]) -> None:
    """The state's `key_source` agrees with the program, and its webhook secret is the one Fivetran holds."""
    live = {c["id"]: c for c in emulator.connections()}
    for name, entry in engine.state.items():
        props, outs = program[name], entry.outputs
        expected = ("declared" if props["config"].get("api_key") else
                    "secrets_manager" if props.get("external_secrets_keys_config") else "connect_card")
        assert outs.get("key_source") == expected, f"{name}: key_source {outs.get('key_source')} != {expected}"
        held = live[entry.id]["config"].get("webhook_secret")
        if props["config"].get("webhook_auth_type") in ("Basic", "OAuth2"):
            assert held and outs.get("webhook_secret") == held, f"{name}: the state's webhook secret is not Fivetran's"
        else:
            assert held is None and outs.get("webhook_secret") is None, f"{name}: a webhook secret without auth"


def _converge_fixed(engine: MiniEngine, operation: Operation, sc: Scenario
                    ) -> tuple[str, Mapping[str, Mapping[str, Any]]]:
    """The next run after a change whose key failed: the program does what the message says (the key source put
    back), and `up`, after the refresh the project runs first, converges."""
    assert operation.fixed is not None
    engine.next_run()  # a new `pulumi` command: a new provider process
    assert engine.refresh() == {}
    errors = engine.up(operation.fixed)
    sc.notes["next run"] = {name: str(error)[:300] for name, error in errors.items()}
    assert errors == {}, f"the key source put back did not converge: {errors}"
    return "failed clearly; the key source put back converged", operation.fixed


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
