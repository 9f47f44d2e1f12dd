"""What create, read, update and delete mean for an Iterable connection, in Fivetran API calls.

Each function takes a `FivetranClient` and canonical property bags (see `payloads.canonical_inputs`) and
returns Fivetran's view of the connection. This is where the promises live that the Pulumi side relies on:

- A create never leaves a connection behind that the state would not know about, and never takes one it
  cannot prove its own POST made: when the reply to the POST is lost, the connection found by group and
  schema counts as ours only if Fivetran created it after we sent the POST and it holds exactly the settings
  we sent; anything else is an existing connection, adopted only with `adopt_existing`.
- Failing setup tests under the `fail` policy delete what this create made, and roll an update back to what
  we hold of the previous settings. A previous Iterable key we never held (entered in a Connect Card, or a
  connection adopted) cannot be restored: the error says so, rather than claiming a restore.
- Setup tests are asked for only when there is a key to test.
- A connection created with a schema config is created paused and unpaused only once its schema config is
  in place, so its first sync never loads a table or column the program blocks (see `schema_operations`).
- Deleting a connection that is already gone succeeds.

Nothing here knows about Pulumi.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import schema_operations
from .client import FivetranClient
from .enums import SetupTestPolicy
from .errors import ConflictError, FivetranError, NotFoundError, OutcomeUnknownError
from .model import KEY_SOURCE_FIELDS, TEST_FLAGS
from .payloads import create_body, has_key, inputs_from_api, patch_body
from .schema_config import differences

# Setup-test statuses that mean the connection cannot sync (Fivetran also reports PASSED, SKIPPED, WARNING).
FAILING_TEST_STATUSES = frozenset({"FAILED", "JOB_FAILED"})
# Setup states of a connection that Fivetran has a key for (a Connect Card, once completed, leaves one).
_KEYED_SETUP_STATES = frozenset({"connected", "broken"})
# How many times a create whose reply was lost is looked up and, when nothing was created, sent again.
CREATE_ATTEMPTS = 3
# How much earlier than our POST (on Fivetran's clock) a connection may have been created and still be the
# one our POST made: the `Date` header that tells Fivetran's clock has a resolution of one second, and the
# request takes a moment to arrive.
CLOCK_TOLERANCE_S = 2.0


class IterableConnectionError(Exception):
    """Base of the errors this module raises; the message says what happened and what to do."""


class GroupNotFoundError(IterableConnectionError):
    """The connection's `group_id` names no destination group of the account."""


class ConnectionExistsError(IterableConnectionError):
    """The group already holds a connection with this schema that the program did not create: set
    `adopt_existing` to take it over (or it cannot be adopted, and the message says why)."""


class SetupTestsFailedError(IterableConnectionError):
    """Fivetran's setup tests failed under `setup_test_policy: fail`: the create was undone or the update rolled
    back (or, where a previous key cannot be restored, the message says what the connection holds now)."""


@dataclass(frozen=True)
class Created:
    """What `create` did: Fivetran's view of the connection, whether it was adopted rather than made, what
    Fivetran holds of the declared schema config, and what the user should be told."""

    connection: dict[str, Any]
    adopted: bool = False
    schema_config: dict[str, Any] | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Updated:
    """What `update` did: Fivetran's view of the connection (None when the connection itself was not sent
    anything), what Fivetran holds of the declared schema config, and what the user should be told."""

    connection: dict[str, Any] | None
    schema_config: dict[str, Any] | None = None
    notices: tuple[str, ...] = ()


def failing_tests(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The setup tests in a connection response that did not pass."""
    return [t for t in data.get("setup_tests") or [] if t.get("status") in FAILING_TEST_STATUSES]


def _describe_tests(tests: list[dict[str, Any]]) -> str:
    return "; ".join(f"'{t.get('title', '?')}' {t.get('status')}: {(t.get('message') or 'no message').rstrip('.')}"
                     for t in tests)


def _declared_key(inputs: Mapping[str, Any]) -> str | None:
    return (inputs.get("config") or {}).get("api_key")


def _fails_hard(desired: Mapping[str, Any]) -> bool:
    return desired.get("setup_test_policy", SetupTestPolicy.FAIL) == SetupTestPolicy.FAIL


def create(client: FivetranClient, desired: Mapping[str, Any]) -> Created:
    """Create (or, with `adopt_existing`, adopt) the connection.

    One POST in the common case. Fivetran itself refuses a second connection with the same schema in a
    group, so there is no lookup before it: a refusal is what sends us to the existing connection, to adopt
    it or to explain `adopt_existing`.
    """
    schema = desired["config"]["schema"]
    creating = _paused_until_configured(desired)
    made = _create_exactly_once(client, creating)
    if isinstance(made, _Existing):
        return _adopt(client, made.connection, desired)
    data = made.connection
    try:
        if made.reply_lost:
            data = _fetch_after_lost_reply(client, data["id"], creating)
        failed = failing_tests(data)
        if failed and _fails_hard(desired):
            client.delete_connection(data["id"])
            raise SetupTestsFailedError(
                f"setup tests failed for the new connection '{schema}', so it was deleted again and nothing was "
                f"created: {_describe_tests(failed)}. Fix the cause (for an API key: an Iterable server-side key "
                "with the right region), or set setup_test_policy: warn to keep a connection that fails its tests"
            )
        # The card our POST made is in its reply, or in the connection fetched after a lost reply.
        data = _with_connect_card(client, data["id"], data, desired, previous=None, reply_has_new_card=True) or data
        held = schema_operations.create_schema_config(client, data["id"], desired.get("schema_config"))
        if creating is not desired:  # created paused for the schema config: now it may sync
            data = {**data, **client.modify_connection(data["id"], {"paused": False, **_test_flags(desired, False)})}
        return Created(data, schema_config=held, notices=_waiting_notice(data, held))
    except SetupTestsFailedError:
        raise
    except Exception as error:
        # Never leave a connection behind that the state will not know about (it is ours: see above).
        client.delete_connection(data["id"])
        raise IterableConnectionError(
            f"the new connection '{schema}' was created but the create could not finish ({error}), so it was "
            "deleted again; run `pulumi up` again"
        ) from None


def _paused_until_configured(desired: Mapping[str, Any]) -> Mapping[str, Any]:
    """What to create: `desired`, or it paused when it has a schema config and would otherwise sync at once
    (Fivetran starts the first sync of a connection that passes its tests, and that sync reads the schema)."""
    if desired.get("schema_config") and not desired.get("paused"):
        return {**desired, "paused": True}
    return desired


def _waiting_notice(data: Mapping[str, Any], held: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Say plainly when the schema config waits for the setup to succeed."""
    if held is None or (data.get("status") or {}).get("setup_state") == "connected":
        return ()
    how = ("its Connect Card is completed" if data.get("connect_card_config") or data.get("connect_card")
           else "its setup tests pass")
    return (f"connection '{data.get('id')}' is not set up yet, so Fivetran has not read its tables: its schema "
            f"config is stored, and Fivetran applies it when it first reads them, once {how}. `pulumi refresh` "
            "then shows what Fivetran holds",)


def _adopt(client: FivetranClient, existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Created:
    """Adopt an existing connection (see `_bring_to_declared`). A schema config it has is read, never changed
    here: the state records what Fivetran holds, so the next `pulumi preview` shows exactly what differs from
    the program before anything is sent, and the next `pulumi up` applies it. One it does not have yet is given
    first, before the adoption may unpause the connection (as for a new one)."""
    _check_adoptable(existing, desired)
    declared = desired.get("schema_config")
    # Before the settings, which may unpause it. Should the adoption then fail its setup tests, this schema
    # config stays: it applies only once the connection's tables are read, which needs passing tests.
    held = schema_operations.adopt_schema_config(client, existing["id"], declared)
    data = _bring_to_declared(client, existing, desired)
    notices: tuple[str, ...] = ()
    if declared is not None and (differing := differences(held, declared)):
        notices = (f"adopted connection '{data['id']}': its schema config differs from the program in "
                   f"{len(differing)} item(s) ({'; '.join(differing)}). Nothing of it was changed: review the "
                   "difference with `pulumi preview`, then apply it with `pulumi up`",)
    return Created(data, adopted=True, schema_config=held, notices=notices)


@dataclass(frozen=True)
class _Made:
    """The connection our POST made; `reply_lost` when it was found by lookup rather than in the reply."""

    connection: dict[str, Any]
    reply_lost: bool = False


@dataclass(frozen=True)
class _Existing:
    """A connection with our group and schema that our POST did not make (or cannot be shown to have made)."""

    connection: dict[str, Any]


def _fetch_after_lost_reply(client: FivetranClient, connection_id: str, desired: Mapping[str, Any]
                            ) -> dict[str, Any]:
    if create_body(desired)["run_setup_tests"]:
        # The lost reply carried the setup-test results; ask for them again.
        return client.run_setup_tests(connection_id, bool(desired.get("trust_certificates")),
                                      bool(desired.get("trust_fingerprints")))
    return client.get_connection(connection_id)


def _create_exactly_once(client: FivetranClient, desired: Mapping[str, Any]) -> _Made | _Existing:
    """POST the connection; when the outcome is unknown, find what the POST made instead of posting twice."""
    group_id, schema = desired["group_id"], desired["config"]["schema"]
    body = create_body(desired)
    last_error: FivetranError | None = None
    sent_at = time.time()  # our clock when the first POST left; `_made_by_our_post` converts it to Fivetran's
    for _ in range(CREATE_ATTEMPTS):
        try:
            return _Made(client.create_connection(body))
        except OutcomeUnknownError as unknown:
            last_error = unknown
        except NotFoundError as missing:
            if not (missing.code or "").startswith("NotFound_Group"):
                raise
            raise GroupNotFoundError(
                f"group_id: destination group '{group_id}' was not found in Fivetran ({missing.code}); set group_id "
                "to the id of an existing destination group (Fivetran dashboard > Destinations, or GET /v1/groups)"
            ) from None
        except FivetranError as refused:
            if not _schema_taken(refused):
                raise
            found = client.list_connections(group_id, schema)
            if not found:
                raise
            if last_error is not None and _made_by_our_post(client, found[0], desired, sent_at):
                return _Made(found[0], reply_lost=True)  # an earlier POST of ours landed after all
            return _Existing(found[0])
        try:
            found = client.list_connections(group_id, schema)
        except FivetranError as lookup:
            raise FivetranError(
                "create connection", f"the reply to the create was lost ({last_error}) and looking the connection "
                f"up failed too ({lookup.message})",
                hint=f"the connection may exist: run `pulumi up` again; if it then says schema '{schema}' already "
                "exists in the group, set adopt_existing: true to take it over",
            ) from None
        if found:
            if _made_by_our_post(client, found[0], desired, sent_at):
                return _Made(found[0], reply_lost=True)
            return _Existing(found[0])
    raise FivetranError(
        "create connection", f"the outcome stayed unknown after {CREATE_ATTEMPTS} attempts ({last_error}) and "
        f"no connection with schema '{schema}' showed up in group '{group_id}' yet",
        hint=f"a slow create may still land: run `pulumi up` again; if it then says schema '{schema}' already "
        "exists in the group, set adopt_existing: true to take it over",
    )


def _made_by_our_post(client: FivetranClient, found: Mapping[str, Any], desired: Mapping[str, Any],
                      sent_at: float) -> bool:
    """Whether a connection found after a lost reply can be shown to be the one our POST made.

    It must have been created no earlier than our first POST (on Fivetran's clock: ours corrected by the
    `Date` header of Fivetran's latest reply, which was the lookup) and hold exactly the settings we sent.
    A connection someone else made before us fails the first test; one they made at the same moment, unless
    it is identical to ours, the second.
    """
    created = _timestamp(found.get("created_at"))
    if created is None:
        return False
    offset = client.server_clock_offset_s() or 0.0
    if created < sent_at + offset - CLOCK_TOLERANCE_S:
        return False
    card = desired.get("connect_card_config")
    if card and (found.get("connect_card_config") or {}).get("redirect_uri") != card.get("redirect_uri"):
        return False
    live = inputs_from_api(found, previous=desired)
    return not patch_body(live, desired) and live.get("destination_schema_names") == desired.get(
        "destination_schema_names")


def _timestamp(text: Any) -> float | None:
    """An RFC 3339 timestamp (`2026-12-02T04:38:55.123456Z`) as seconds since the epoch, or None."""
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _schema_taken(error: FivetranError) -> bool:
    """Fivetran's refusal of a second connection with the same schema in a group.

    The exact answer is not documented: 409 is what the API lists for create conflicts, and a 400 whose
    message says the schema exists is treated the same.
    """
    if isinstance(error, ConflictError):
        return True
    text = error.message.lower()
    return error.status == 400 and "schema" in text and ("exist" in text or "already" in text)


def _check_adoptable(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> None:
    """Raise unless the program may adopt `existing`: it says `adopt_existing`, and nothing fixed at creation
    differs. Checked before anything is sent to the connection."""
    schema, group_id, connection_id = desired["config"]["schema"], desired["group_id"], existing["id"]
    if not desired.get("adopt_existing"):
        raise ConnectionExistsError(
            f"config.schema: a connection with schema '{schema}' already exists in group '{group_id}' "
            f"(id '{connection_id}', created {existing.get('created_at', 'earlier')}), and this resource did not "
            "create it. If you renamed this resource, keep its old name as an alias (pulumi.ResourceOptions("
            "aliases=[pulumi.Alias(name='<old name>')]), or `aliases: [<old name>]` in this project's stack "
            "config) so Pulumi goes on managing the same connection. To take over a connection Pulumi does not "
            "manage yet (also one created by an interrupted `pulumi up`), set adopt_existing: true: it is then "
            "brought to the declared settings; after an interrupted `up`, `pulumi refresh "
            "--clear-pending-creates` clears Pulumi's record of it. Otherwise choose another config.schema"
        )
    naming = desired.get("destination_schema_names")
    if naming and existing.get("destination_schema_names") not in (None, naming):
        raise ConnectionExistsError(
            f"destination_schema_names: connection '{connection_id}' (schema '{schema}') uses "
            f"{existing['destination_schema_names']}, which Fivetran fixes when a connection is created, so it "
            f"cannot be adopted with {naming}; declare destination_schema_names: "
            f"{existing['destination_schema_names']} to adopt it, or choose another config.schema"
        )


def _bring_to_declared(client: FivetranClient, existing: Mapping[str, Any], desired: Mapping[str, Any]
                     ) -> dict[str, Any]:
    """Bring an existing connection that `_check_adoptable` let through to the declared settings.

    With a declared key, adoption always sends it (and runs the setup tests): Fivetran never returns a
    stored key, so the connection's key cannot be compared with the program's.
    """
    schema, connection_id = desired["config"]["schema"], existing["id"]
    live = inputs_from_api(existing, previous={"destination_schema_names": desired.get("destination_schema_names")})
    body = patch_body(live, desired)
    if not body:
        # Already as declared: the listed connection is the whole view (list items carry every field).
        data = dict(existing)
        return _with_connect_card(client, connection_id, data, desired, previous=None) or data
    data, failed, rollback = _modify_and_test(client, connection_id, body, live, desired,
                                              has_key(desired) or key_in_fivetran(existing))
    if rollback is not None:
        restored = "its previous settings were restored and " if rollback.complete else ""
        raise SetupTestsFailedError(
            f"adopting connection '{connection_id}' (schema '{schema}') failed its setup tests, so {restored}it was "
            f"not adopted: {_describe_tests(failed)}."
            + rollback.explain("the connection was set up outside this program")
            + " Fix the cause, or set setup_test_policy: warn to adopt it with the results reported"
        )
    return _with_connect_card(client, connection_id, data, desired, previous=None) or data


@dataclass(frozen=True)
class _Rollback:
    """How putting the previous settings back went."""

    complete: bool  # everything the failed change altered is as it was
    key_lost: bool  # the change replaced a key we never held, so it could not be sent back
    reverted: bool = False  # a revert was sent (and succeeded)
    error: FivetranError | None = None  # the revert itself failed

    def explain(self, key_source: str) -> str:
        """What the user must know beyond "rolled back", as sentences ('' when the rollback is complete)."""
        if self.error is not None:
            return (f" Restoring the previous settings failed too ({self.error}), so the connection holds the new "
                    "ones: run `pulumi refresh` to see them, fix the cause and run `pulumi up` again.")
        if not self.key_lost:
            return ""
        others = "The other changes were rolled back, but its" if self.reverted else "Its"
        return (f" {others} previous Iterable key could not be restored: {key_source}, and Fivetran never returns a "
                "stored key. The connection now holds the declared key and cannot sync until its tests pass: fix "
                "config.api_key and run `pulumi up` again, or enter a working key in Fivetran (for a Connect "
                "Card: remove config.api_key, and complete the card issued by the next `pulumi up`).")


def _roll_back(client: FivetranClient, connection_id: str, applied: Mapping[str, Any],
               previous: Mapping[str, Any]) -> _Rollback:
    """Put back what we hold of `previous` after `applied` failed its setup tests.

    A key `previous` does not hold is left out of the revert (it cannot be sent); nothing is sent when
    nothing can be restored. The revert's own test results change nothing: it restores what was.
    """
    revert = patch_body(applied, previous)  # leaves out a key that `previous` does not hold
    key_lost = _declared_key(applied) is not None and not has_key(previous)
    if revert:
        # With the previous key back, its tests run again, so Fivetran's setup state is restored too.
        retest = "api_key" in revert.get("config", {})
        try:
            client.modify_connection(connection_id, {**revert, **_test_flags(previous, retest)})
        except FivetranError as error:
            return _Rollback(complete=False, key_lost=key_lost, error=error)
    return _Rollback(complete=not key_lost, key_lost=key_lost, reverted=bool(revert))


def _test_flags(desired: Mapping[str, Any], run: bool) -> dict[str, Any]:
    """The test-control flags for a PATCH: always explicit, because Fivetran runs tests unless told not to."""
    if not run:
        return {"run_setup_tests": False}
    return {name: bool(desired.get(name)) for name in TEST_FLAGS}


def read(client: FivetranClient, connection_id: str) -> dict[str, Any] | None:
    """Fivetran's view of the connection, or None when it no longer exists."""
    try:
        return client.get_connection(connection_id)
    except NotFoundError:
        return None


def update(client: FivetranClient, connection_id: str, old: Mapping[str, Any], new: Mapping[str, Any],
           key_held: bool = False) -> Updated:
    """Bring the connection from `old` to `new` (canonical inputs): its settings, then its schema config, then
    a re-sync if one is newly requested.

    A failure after the connection's settings changed says so: the state keeps `old`, and the next `up`
    sends what is still missing (every step is safe to repeat).
    """
    data = _update_connection(client, connection_id, old, new, key_held)
    try:
        held = schema_operations.apply_schema_config(client, connection_id, old.get("schema_config"),
                                                     new.get("schema_config"))
        notice = schema_operations.request_resync(client, connection_id, old.get("resync"), new.get("resync"))
    except (FivetranError, schema_operations.ResyncRefusedError) as error:
        if data is None:
            raise
        raise IterableConnectionError(
            f"the connection's settings were updated, but then: {error}. Run `pulumi up` again to finish"
        ) from None
    return Updated(data, schema_config=held, notices=(notice,) if notice else ())


def _update_connection(client: FivetranClient, connection_id: str, old: Mapping[str, Any],
                       new: Mapping[str, Any], key_held: bool) -> dict[str, Any] | None:
    """The connection's own settings from `old` to `new`; None when no API call was needed.

    Only what changed is sent. Setup tests run when the key or the Iterable config changed and
    `run_setup_tests` is set, or when a test flag was just switched on, provided there is a key to test (one
    declared, or `key_held` in Fivetran: entered through a Connect Card). Under the `fail` policy a change whose
    tests fail is rolled back to what we hold of `old` before the error is raised.
    """
    body = patch_body(old, new)
    keyed = has_key(new) or key_held
    data: dict[str, Any] | None = None
    if body:
        data, failed, rollback = _modify_and_test(client, connection_id, body, old, new, keyed)
        if rollback is not None:
            undone = ", so the change was rolled back" if rollback.complete else ""
            raise SetupTestsFailedError(
                f"setup tests failed after updating connection '{connection_id}'{undone}: "
                f"{_describe_tests(failed)}." + rollback.explain("it was entered in a Connect Card")
                + " Fix the cause, or set setup_test_policy: warn to keep a change that fails its tests"
            )
    elif _tests_switched_on(old, new) and keyed:
        data = client.run_setup_tests(connection_id, bool(new.get("trust_certificates")),
                                      bool(new.get("trust_fingerprints")))
        failed = failing_tests(data)
        if failed and _fails_hard(new):
            raise SetupTestsFailedError(
                f"setup tests failed for connection '{connection_id}': {_describe_tests(failed)}. Fix the cause, "
                "or set setup_test_policy: warn"
            )
    return _with_connect_card(client, connection_id, data, new, previous=old)


def _modify_and_test(client: FivetranClient, connection_id: str, body: Mapping[str, Any], old: Mapping[str, Any],
                     new: Mapping[str, Any], keyed: bool) -> tuple[dict[str, Any], list[Any], _Rollback | None]:
    """PATCH `body` (with the setup tests when it changes what they check and there is a key to test); the
    reply, the failed tests, and, when they fail under the `fail` policy, how rolling back to `old` went."""
    tests = bool(new.get("run_setup_tests")) and _changes_what_tests_check(body) and keyed
    data = client.modify_connection(connection_id, {**body, **_test_flags(new, tests)})
    failed = failing_tests(data) if tests else []
    rollback = _roll_back(client, connection_id, new, old) if failed and _fails_hard(new) else None
    return data, failed, rollback


def key_in_fivetran(connection: Mapping[str, Any]) -> bool:
    """Whether Fivetran holds a key for the connection (set up, or broken since), also one from a Connect Card."""
    return (connection.get("status") or {}).get("setup_state") in _KEYED_SETUP_STATES


def _changes_what_tests_check(body: Mapping[str, Any]) -> bool:
    """Whether a PATCH changes the Iterable config or where the key comes from: what setup tests check."""
    return "config" in body or any(name in body for name in KEY_SOURCE_FIELDS)


def _tests_switched_on(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    if not new.get("run_setup_tests"):
        return False
    return any(bool(new.get(flag)) and not bool(old.get(flag)) for flag in TEST_FLAGS)


def _card_requested(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    card = new.get("connect_card_config")
    return bool(card) and (old is None or card != old.get("connect_card_config"))


def _with_connect_card(client: FivetranClient, connection_id: str, data: dict[str, Any] | None,
                       desired: Mapping[str, Any], previous: Mapping[str, Any] | None,
                       reply_has_new_card: bool = False) -> dict[str, Any] | None:
    """Issue a Connect Card when `connect_card_config` is new or changed.

    A create's reply carries the card it made (`reply_has_new_card`); any other reply may show an older card,
    so a new one is asked for. Returns `data` with `connect_card` filled in; when `data` is None (nothing else
    was sent), a partial view holding only the card.
    """
    if not _card_requested(previous, desired):
        return data
    if reply_has_new_card and data is not None and (data.get("connect_card") or {}).get("uri"):
        return data
    card_config = desired["connect_card_config"]
    reply = client.create_connect_card(connection_id, card_config["redirect_uri"],
                                       card_config.get("hide_setup_guide"))
    merged = dict(data or {})
    merged["connect_card"] = reply.get("connect_card", reply)
    return merged


def delete(client: FivetranClient, connection_id: str) -> None:
    """Delete the connection; one that is already gone counts as deleted."""
    client.delete_connection(connection_id)
