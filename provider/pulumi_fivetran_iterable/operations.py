"""What create, read, update and delete mean for an Iterable connection, in Fivetran API calls.

Each function takes a `FivetranClient` and canonical property bags (see `payloads.canonical_inputs`) and
returns Fivetran's view of the connection. This is where the promises live that the Pulumi side relies on:
a create never leaves a connection behind that the state would not know about (a lost reply is resolved by
looking the connection up, failed setup tests under the `fail` policy delete what was just created), a
change whose setup tests fail is rolled back, and deleting a connection that is already gone succeeds.
Nothing here knows about Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import FivetranClient
from .enums import SetupTestPolicy
from .errors import ConflictError, FivetranError, NotFoundError, OutcomeUnknownError
from .model import TEST_FLAGS
from .payloads import create_body, inputs_from_api, patch_body

# Setup-test statuses that mean the connection cannot sync (Fivetran also reports PASSED, SKIPPED, WARNING).
FAILING_TEST_STATUSES = frozenset({"FAILED", "JOB_FAILED"})
# How many times a create whose reply was lost is looked up and, when nothing was created, sent again.
CREATE_ATTEMPTS = 3


class IterableConnectionError(Exception):
    """Base of the errors this module raises; the message says what happened and what to do."""


class GroupNotFoundError(IterableConnectionError):
    pass


class ConnectionExistsError(IterableConnectionError):
    pass


class SetupTestsFailedError(IterableConnectionError):
    pass


def failing_tests(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The setup tests in a connection response that did not pass."""
    return [t for t in data.get("setup_tests") or [] if t.get("status") in FAILING_TEST_STATUSES]


def _describe_tests(tests: list[dict[str, Any]]) -> str:
    return "; ".join(f"'{t.get('title', '?')}' {t.get('status')}: {t.get('message') or 'no message'}"
                     for t in tests)


def create(client: FivetranClient, desired: Mapping[str, Any]) -> dict[str, Any]:
    """Create (or, with `adopt_existing`, adopt) the connection and return Fivetran's view of it.

    One POST in the common case. Fivetran itself refuses a second connection with the same schema in a
    group, so there is no lookup before it: a refusal is what sends us to the existing connection, to adopt
    it or to explain `adopt_existing`.
    """
    schema = desired["config"]["schema"]
    created = _create_exactly_once(client, desired)
    if isinstance(created, _Existing):
        return _adopt_or_refuse(client, created.connection, desired)
    data = created.connection
    try:
        if created.reply_lost:
            data = _fetch_after_lost_reply(client, data["id"], desired)
        failed = failing_tests(data)
        if failed and desired.get("setup_test_policy", SetupTestPolicy.FAIL) == SetupTestPolicy.FAIL:
            client.delete_connection(data["id"])
            raise SetupTestsFailedError(
                f"setup tests failed for the new connection '{schema}', so it was deleted again and nothing was "
                f"created: {_describe_tests(failed)}. Fix the cause (for an API key: an Iterable server-side key "
                "with the right region), or set setup_test_policy: warn to keep a connection that fails its tests"
            )
        # The card our POST made is in its reply, or in the connection fetched after a lost reply.
        return _with_connect_card(client, data["id"], data, desired, previous=None, reply_has_new_card=True) or data
    except SetupTestsFailedError:
        raise
    except Exception as error:
        # Never leave a connection behind that the state will not know about.
        client.delete_connection(data["id"])
        raise IterableConnectionError(
            f"the new connection '{schema}' was created but the create could not finish ({error}), so it was "
            "deleted again; run `pulumi up` again"
        ) from None


@dataclass(frozen=True)
class _Created:
    """The connection our POST made; `reply_lost` when it was found by lookup rather than in the reply."""

    connection: dict[str, Any]
    reply_lost: bool = False


@dataclass(frozen=True)
class _Existing:
    """A connection that another writer created with our schema while we were creating ours."""

    connection: dict[str, Any]


def _fetch_after_lost_reply(client: FivetranClient, connection_id: str, desired: Mapping[str, Any]
                            ) -> dict[str, Any]:
    if desired.get("run_setup_tests"):
        # The lost reply carried the setup-test results; ask for them again.
        return client.run_setup_tests(connection_id, bool(desired.get("trust_certificates")),
                                      bool(desired.get("trust_fingerprints")))
    return client.get_connection(connection_id)


def _create_exactly_once(client: FivetranClient, desired: Mapping[str, Any]) -> _Created | _Existing:
    """POST the connection; when the outcome is unknown, find what the POST made instead of posting twice."""
    group_id, schema = desired["group_id"], desired["config"]["schema"]
    body = create_body(desired)
    last_error: FivetranError | None = None
    for _ in range(CREATE_ATTEMPTS):
        try:
            return _Created(client.create_connection(body))
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
            if last_error is None:
                return _Existing(found[0])  # there before us: someone else's until adopted
            return _Created(found[0], reply_lost=True)  # an earlier POST of ours landed after all
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
            return _Created(found[0], reply_lost=True)
    raise FivetranError(
        "create connection", f"the outcome stayed unknown after {CREATE_ATTEMPTS} attempts ({last_error}) and "
        f"no connection with schema '{schema}' showed up in group '{group_id}' yet",
        hint=f"a slow create may still land: run `pulumi up` again; if it then says schema '{schema}' already "
        "exists in the group, set adopt_existing: true to take it over",
    )


def _schema_taken(error: FivetranError) -> bool:
    """Fivetran's refusal of a second connection with the same schema in a group.

    The exact answer is not documented: 409 is what the API lists for create conflicts, and a 400 whose
    message says the schema exists is treated the same (fivetran-api.md, section 3).
    """
    if isinstance(error, ConflictError):
        return True
    text = error.message.lower()
    return error.status == 400 and "schema" in text and ("exist" in text or "already" in text)


def _adopt_or_refuse(client: FivetranClient, existing: Mapping[str, Any], desired: Mapping[str, Any]
                     ) -> dict[str, Any]:
    schema, group_id = desired["config"]["schema"], desired["group_id"]
    if not desired.get("adopt_existing"):
        raise ConnectionExistsError(
            f"config.schema: a connection with schema '{schema}' already exists in group '{group_id}' "
            f"(id '{existing['id']}', created {existing.get('created_at', 'earlier')}). To manage that connection "
            "with Pulumi, set adopt_existing: true (it is then brought to the declared settings). This is also "
            "how to recover a connection created by an interrupted `pulumi up`; afterwards `pulumi refresh "
            "--clear-pending-creates` clears Pulumi's record of the interrupted create. Otherwise choose another "
            "config.schema"
        )
    live = inputs_from_api(existing, previous={})
    body = patch_body(live, desired)
    if not body:
        # Already as declared: the listed connection is the whole view (list items carry every field).
        data = dict(existing)
        return _with_connect_card(client, existing["id"], data, desired, previous=None) or data
    tests = bool(desired.get("run_setup_tests")) and "config" in body
    data = client.modify_connection(existing["id"], {**body, **_test_flags(desired, tests)})
    failed = failing_tests(data) if tests else []
    if failed and desired.get("setup_test_policy") == SetupTestPolicy.FAIL:
        revert = patch_body(desired, live)
        revert.get("config", {}).pop("api_key", None)  # the previous key is unknown to us
        if revert.get("config") == {}:
            del revert["config"]
        if revert:
            client.modify_connection(existing["id"], {**revert, "run_setup_tests": False})
        raise SetupTestsFailedError(
            f"adopting connection '{existing['id']}' (schema '{schema}') failed its setup tests, so its previous "
            f"settings were restored and it was not adopted: {_describe_tests(failed)}"
        )
    return _with_connect_card(client, existing["id"], data, desired, previous=None) or data


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


def update(client: FivetranClient, connection_id: str, old: Mapping[str, Any], new: Mapping[str, Any]
           ) -> dict[str, Any] | None:
    """Bring the connection from `old` to `new` (canonical inputs); None when no API call was needed.

    Only what changed is sent. Setup tests run when the key or the Iterable config changed and
    `run_setup_tests` is set, or when a test flag was just switched on; under the `fail` policy a change whose
    tests fail is rolled back before the error is raised, so Fivetran keeps matching the state.
    """
    body = patch_body(old, new)
    policy = new.get("setup_test_policy", SetupTestPolicy.FAIL)
    data: dict[str, Any] | None = None
    if body:
        tests = bool(new.get("run_setup_tests")) and "config" in body
        data = client.modify_connection(connection_id, {**body, **_test_flags(new, tests)})
        failed = failing_tests(data) if tests else []
        if failed and policy == SetupTestPolicy.FAIL:
            client.modify_connection(connection_id, {**patch_body(new, old), "run_setup_tests": False})
            raise SetupTestsFailedError(
                f"setup tests failed after updating connection '{connection_id}', so the change was rolled "
                f"back: {_describe_tests(failed)}. Fix the cause, or set setup_test_policy: warn to keep a "
                "change that fails its tests"
            )
    elif _tests_switched_on(old, new):
        data = client.run_setup_tests(connection_id, bool(new.get("trust_certificates")),
                                      bool(new.get("trust_fingerprints")))
        failed = failing_tests(data)
        if failed and policy == SetupTestPolicy.FAIL:
            raise SetupTestsFailedError(
                f"setup tests failed for connection '{connection_id}': {_describe_tests(failed)}. Fix the cause, "
                "or set setup_test_policy: warn"
            )
    return _with_connect_card(client, connection_id, data, new, previous=old)


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
