"""What create, read, update and delete mean for an Iterable connection, in Fivetran API calls.

Each function takes a `FivetranClient` and canonical property bags (see `payloads.canonical_inputs`) and
returns Fivetran's view of the connection. This is where the promises live that the Pulumi side relies on:

- A create never leaves a connection behind that the state would not know about without saying so, and never
  takes one it cannot prove its own POST made (`create_once`).
- Every write path keeps one order (`WRITE_ORDER`): nothing that lets data flow (unpausing, setup tests that
  pass on a connection that never synced, a re-sync) happens before the schema config that restricts it.
- Failing setup tests under the `fail` policy delete what this create made, and roll an update back to what
  the state held (`setup_tests`). Where the key came from decides what can be put back (`key_source`): a
  change that would lose a working key we could not send again is refused under `fail`, before anything is
  sent, and an adoption never replaces a working key.
- A change of the webhook auth type is never undone: Fivetran issues a new webhook secret for each one, so it
  is sent on its own, untested, after the tested change passed.
- Deleting a connection that is already gone succeeds.

Nothing here knows about Pulumi.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import schema_operations
from .client import FivetranClient
from .create_once import Existing, create_exactly_once, fetch_after_lost_reply
from .errors import FivetranError, IterableConnectionError, NotFoundError
from .key_source import KeyChange, KeySource, declared_source, key_change, key_works, recorded_source
from .model import TEST_FLAGS
from .payloads import inputs_from_api, patch_bodies
from .schema_config import differences
from .setup_tests import (
    Rollback,
    changes_what_tests_check,
    describe_tests,
    failing_tests,
    fails_hard,
    roll_back,
    test_flags,
)

# The one order of writes to a connection. Create starts with the POST (paused when a schema config is
# declared) and unpauses last; update and adoption follow the same order on an existing connection.
WRITE_ORDER = (
    "schema config",  # first: it restricts what any sync below may load
    "settings",  # one PATCH, with the setup tests when it changes what they check; rolled back under `fail`
    "webhook auth type",  # alone and untested: it rotates the webhook secret, which cannot be undone
    "re-sync",  # last: it starts a sync
)


class ConnectionExistsError(IterableConnectionError):
    """The group already holds a connection with this schema that the program did not create: set
    `adopt_existing` to take it over (or it cannot be adopted, and the message says why)."""


class SetupTestsFailedError(IterableConnectionError):
    """Fivetran's setup tests failed under `setup_test_policy: fail`: the create was undone or the update rolled
    back (or, where something could not be put back, the message says what the connection holds now)."""


class PartlyUpdated(Exception):
    """An update that failed after it wrote part of the change: the error to report (`error`), and what Fivetran
    holds now, so the state can record it (see `partial_state`): the inputs the connection has reached and what
    was written (its latest view, where its key comes from, its schema config)."""

    def __init__(self, error: Exception, reached: dict[str, Any], written: _Written) -> None:
        super().__init__(str(error))
        self.error, self.reached, self.written = error, reached, written


class KeyWouldBeLostError(IterableConnectionError):
    """Under `setup_test_policy: fail`, a change would replace a working key that only Fivetran holds (entered in a
    Connect Card, or there when the connection was adopted), which could not be put back should the new key fail:
    nothing was sent. Set `warn` to make the change anyway, or leave the key source as it is."""


@dataclass(frozen=True)
class Created:
    """What `create` did: Fivetran's view of the connection, whether it was adopted rather than made, what
    Fivetran holds of the declared schema config, where its key comes from, and what the user should be told."""

    connection: dict[str, Any]
    key_source: KeySource
    adopted: bool = False
    schema_config: dict[str, Any] | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Updated:
    """What `update` did: Fivetran's view of the connection (None when the connection itself was not sent
    anything), what Fivetran holds of the declared schema config, where the key comes from, and notices."""

    connection: dict[str, Any] | None
    key_source: KeySource
    schema_config: dict[str, Any] | None = None
    notices: tuple[str, ...] = ()


# -- create --------------------------------------------------------------------------------------------------
def create(client: FivetranClient, desired: Mapping[str, Any]) -> Created:
    """Create (or, with `adopt_existing`, adopt) the connection: one POST in the common case.

    Fivetran itself refuses a second connection with the same schema in a group, so a plain create does not
    look first: a refusal is what sends us to the existing connection, to adopt it or to explain
    `adopt_existing`. With `adopt_existing` the connection is looked up first (one GET), so taking one over
    sends Fivetran nothing it would have to refuse; one that appears between the lookup and the POST is still
    found by the refusal.
    """
    if desired.get("adopt_existing") and (found := client.list_connections(desired["group_id"],
                                                                              desired["config"]["schema"])):
        return _adopt(client, found[0], desired)
    creating = _paused_until_configured(desired)
    made = create_exactly_once(client, creating)
    if isinstance(made, Existing):
        return _adopt(client, made.connection, desired)
    data = made.connection
    try:
        if made.reply_lost:
            data = fetch_after_lost_reply(client, data["id"], creating)
        failed = failing_tests(data)
        if failed and fails_hard(desired):
            client.delete_connection(data["id"])
            raise SetupTestsFailedError(
                f"setup tests failed for the new connection '{desired['config']['schema']}', so it was deleted "
                f"again and nothing was created: {describe_tests(failed)}. Fix the cause (for an API key: an "
                "Iterable server-side key with the right region), or set setup_test_policy: warn to keep a "
                "connection that fails its tests"
            )
        # The card our POST made is in its reply, or in the connection fetched after a lost reply.
        data = _with_connect_card(client, data["id"], data, desired, previous=None, reply_has_new_card=True) or data
        held = schema_operations.create_schema_config(client, data["id"], desired.get("schema_config"))
        if creating is not desired:  # created paused for the schema config: now it may sync
            data = {**data, **client.modify_connection(data["id"], {"paused": False, **test_flags(desired, False)})}
        return Created(data, declared_source(desired), schema_config=held, notices=_waiting_notice(data, held))
    except SetupTestsFailedError:
        raise
    except Exception as error:
        _clean_up_failed_create(client, data, desired, error)
        raise  # not reached: the clean-up raises


def _clean_up_failed_create(client: FivetranClient, data: Mapping[str, Any], desired: Mapping[str, Any],
                            cause: Exception) -> None:
    """Delete the connection a create made but could not finish, and raise the error that says what happened:
    the first failure, and, when the delete fails too, what is left in Fivetran and how to finish the job."""
    schema, connection_id = desired["config"]["schema"], data["id"]
    try:
        client.delete_connection(connection_id)
    except FivetranError as cleanup:
        paused = data.get("paused", True)
        what = ("paused, so it does not sync" if paused else "not paused, so it syncs on its schedule")
        raise IterableConnectionError(
            f"the new connection '{schema}' (id '{connection_id}') was created, but the create could not finish: "
            f"{cause}. Deleting it again failed too ({cleanup}), so it is left in Fivetran, {what}, and this "
            "stack does not know it. To finish the job, set adopt_existing: true on this resource and run "
            "`pulumi up` (it takes the connection over and completes it: it holds the settings this program "
            f"sent), or delete connection '{connection_id}' in Fivetran and run `pulumi up` again"
        ) from None
    raise IterableConnectionError(
        f"the new connection '{schema}' was created but the create could not finish ({cause}), so it was deleted "
        "again; run `pulumi up` again"
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


# -- adoption ------------------------------------------------------------------------------------------------
def _adopt(client: FivetranClient, existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Created:
    """Adopt an existing connection and bring it to the declared settings, in the one write order.

    A schema config it has is read, never changed here: the state records what Fivetran holds, so the next
    `pulumi preview` shows exactly what differs from the program before anything is sent. One it does not have
    yet (it never synced) is given first, as a new connection's would be.

    Its key is never replaced when it works and could not be put back (Fivetran never returns a stored key):
    a declared `config.api_key` is taken to be the key it holds, and not sent; a declared secrets manager is
    refused under `fail` (see `KeyWouldBeLostError`). A connection whose key is read from a secrets manager, or
    whose setup does not work, gets the declared key source with the setup tests.
    """
    _check_adoptable(existing, desired)
    connection_id, declared = existing["id"], desired.get("schema_config")
    # Fivetran stores no test flags: taken as declared, so that adopting runs no tests for them alone.
    carried = {name: desired.get(name) for name in ("destination_schema_names", *TEST_FLAGS)}
    live = inputs_from_api(existing, previous=carried)
    before, assumed = _adopted_key(existing, desired)
    if assumed:
        live = {**live, "config": {**live["config"], "api_key": desired["config"]["api_key"]}}
    try:
        written = _write(client, connection_id, existing, live, desired, before, operation="adopting", fresh=True,
                         schema_step=lambda: schema_operations.adopt_schema_config(client, connection_id, declared))
    except PartlyUpdated as partly:  # not adopted: the state does not hold the connection, whatever was written
        raise partly.error from None
    data = {**existing, **(written.data or {})}  # the listed connection is the whole view, a reply the latest
    notices = list(written.notices)
    if assumed:
        notices.append(f"adopted connection '{connection_id}' holds a key that passes its setup tests; Fivetran "
                       "never returns a stored key, so the declared config.api_key is taken to be that key and was "
                       "not sent (sending a different one that failed could not be undone). A change of "
                       "config.api_key sends it")
    if declared is not None and (differing := differences(written.schema_config, declared)):
        notices.append(f"adopted connection '{connection_id}': its schema config differs from the program in "
                       f"{len(differing)} item(s) ({'; '.join(differing)}). Nothing of it was changed: review the "
                       "difference with `pulumi preview`, then apply it with `pulumi up`")
    return Created(data, written.key_source, adopted=True, schema_config=written.schema_config,
                   notices=tuple(notices))


def _adopted_key(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> tuple[KeySource, bool]:
    """Where the adopted connection's key comes from, and whether the declared key is taken to be it (a
    working key that only Fivetran holds, where the program declares `config.api_key`: from then on it counts
    as declared, and is what a failed key change puts back)."""
    if existing.get("external_secrets_keys_config"):
        return KeySource.SECRETS_MANAGER, False
    if key_works(existing) and declared_source(desired) is KeySource.DECLARED:
        return KeySource.DECLARED, True
    return KeySource.ADOPTED, False


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
            "manage yet (one made elsewhere, by an interrupted `pulumi up`, or left by a create whose clean-up "
            "failed), set adopt_existing: true: it is then brought to the declared settings; after an "
            "interrupted `up`, `pulumi refresh --clear-pending-creates` clears Pulumi's record of it. Otherwise "
            "choose another config.schema"
        )
    naming = desired.get("destination_schema_names")
    if naming and existing.get("destination_schema_names") not in (None, naming):
        raise ConnectionExistsError(
            f"destination_schema_names: connection '{connection_id}' (schema '{schema}') uses "
            f"{existing['destination_schema_names']}, which Fivetran fixes when a connection is created, so it "
            f"cannot be adopted with {naming}; declare destination_schema_names: "
            f"{existing['destination_schema_names']} to adopt it, or choose another config.schema"
        )


# -- read and delete -----------------------------------------------------------------------------------------
def read(client: FivetranClient, connection_id: str) -> dict[str, Any] | None:
    """Fivetran's view of the connection, or None when it no longer exists."""
    try:
        return client.get_connection(connection_id)
    except NotFoundError:
        return None


def delete(client: FivetranClient, connection_id: str) -> None:
    """Delete the connection; one that is already gone counts as deleted."""
    client.delete_connection(connection_id)


# -- update --------------------------------------------------------------------------------------------------
def update(client: FivetranClient, connection_id: str, state: Mapping[str, Any], old: Mapping[str, Any],
           new: Mapping[str, Any]) -> Updated:
    """Bring the connection from `old` to `new` (canonical inputs), in the one write order; `state` is the
    state's outputs (Fivetran's last view: the setup state, where the key came from).

    A failure after something was written says so, and raises `PartlyUpdated` with what the connection holds
    now, for the state to record; the next `up` sends what is still missing (every step is safe to repeat).
    """
    written = _write(client, connection_id, state, old, new, recorded_source(state), operation="updating",
                     schema_step=lambda: schema_operations.apply_schema_config(
                         client, connection_id, old.get("schema_config"), new.get("schema_config")),
                     resync_step=lambda: schema_operations.request_resync(
                         client, connection_id, old.get("resync"), new.get("resync")))
    return Updated(written.data, written.key_source, schema_config=written.schema_config,
                   notices=written.notices)


@dataclass(frozen=True)
class _Written:
    data: dict[str, Any] | None  # Fivetran's latest view of the connection (None: the connection was not sent anything)
    key_source: KeySource
    schema_config: dict[str, Any] | None
    notices: tuple[str, ...] = ()


def _write(client: FivetranClient, connection_id: str, connection: Mapping[str, Any], old: Mapping[str, Any],
           new: Mapping[str, Any], before: KeySource, *, operation: str,
           schema_step: Callable[[], tuple[dict[str, Any] | None, bool]],
           resync_step: Callable[[], str | None] | None = None, fresh: bool = False) -> _Written:
    """Bring an existing connection from `old` to `new` in `WRITE_ORDER`. `connection` is Fivetran's view of it
    (for its setup state: `fresh` when just read, rather than the state's last view), `before` where its key
    came from."""
    settings, auth = patch_bodies(old, new)
    key = key_change(before, connection, settings, new)
    if key.replaces_key and not before.in_state and not fresh:
        # Whether there is a key to lose is Fivetran's to say: a Connect Card may have been completed since the
        # state was last read. One GET, only when a key that cannot be sent again is about to be replaced.
        connection = client.get_connection(connection_id)
        key = key_change(before, connection, settings, new)
    if key.loses_working_key and fails_hard(new):
        raise KeyWouldBeLostError(key.refusal(connection_id))
    held, schema_written = schema_step()
    data: dict[str, Any] | None = None
    reached, source, settings_written = dict(old), before, False  # what Fivetran holds, step by step
    try:
        data = _write_settings(client, connection_id, settings, old, new, key, operation, schema_written)
        if data is not None:
            reached, source, settings_written = _reached(old, new, auth_written=not auth), key.after, True
        if auth:
            data = {**(data or {}), **client.modify_connection(connection_id, {**auth, **test_flags(new, False)})}
            reached, settings_written = _reached(old, new, auth_written=True), True
        # Last; a refusal keeps its own message: it says the rest of the update is done.
        notice = resync_step() if resync_step else None
    except KeyWouldBeLostError:
        raise
    except SetupTestsFailedError as error:
        if not schema_written:
            raise
        # The settings went back (or the message says what they hold); the schema config written first stays.
        raise PartlyUpdated(error, dict(old), _Written(None, before, held)) from None
    except (FivetranError, schema_operations.ResyncRefusedError) as error:
        if not (schema_written or settings_written):
            raise
        reported: Exception = error
        if isinstance(error, FivetranError):
            done = "settings were updated" if settings_written else "schema config was written"
            reported = IterableConnectionError(
                f"the connection's {done}, but then: {error}. Run `pulumi up` again to finish")
        raise PartlyUpdated(reported, reached, _Written(data, source, held)) from None
    data = _with_connect_card(client, connection_id, data, new, previous=old)
    return _Written(data, key.after, held, (notice,) if notice else ())


def _reached(old: Mapping[str, Any], new: Mapping[str, Any], *, auth_written: bool) -> dict[str, Any]:
    """The inputs a connection holds once its settings (and, if `auth_written`, its webhook auth type) are
    written, but not the steps after them: the re-sync, and a Connect Card to issue."""
    reached = {name: value for name, value in new.items() if name not in _AFTER_SETTINGS}
    reached.update({name: old[name] for name in _AFTER_SETTINGS if name in old})
    if not auth_written:
        config = {name: value for name, value in new["config"].items() if name != "webhook_auth_type"}
        if "webhook_auth_type" in (old.get("config") or {}):
            config["webhook_auth_type"] = old["config"]["webhook_auth_type"]
        reached["config"] = config
    return reached


_AFTER_SETTINGS = ("resync", "connect_card_config")


def _write_settings(client: FivetranClient, connection_id: str, body: Mapping[str, Any], old: Mapping[str, Any],
                    new: Mapping[str, Any], key: KeyChange, operation: str, schema_written: bool
                    ) -> dict[str, Any] | None:
    """PATCH the settings, with the setup tests when the change alters what they check and there is a key to
    test; under `fail`, a change whose tests fail is rolled back and the error says how that went. None when
    nothing was sent. Setup tests also run, alone, when a test flag was just switched on."""
    if not body:
        if _tests_switched_on(old, new) and (key.after.in_state or key.holds_key):
            data = client.run_setup_tests(connection_id, bool(new.get("trust_certificates")),
                                          bool(new.get("trust_fingerprints")))
            if (failed := failing_tests(data)) and fails_hard(new):
                raise SetupTestsFailedError(
                    f"setup tests failed for connection '{connection_id}': {describe_tests(failed)}. Fix the "
                    "cause, or set setup_test_policy: warn"
                )
            return data
        return None
    tests = bool(new.get("run_setup_tests")) and changes_what_tests_check(body) and key.can_test()
    data = client.modify_connection(connection_id, {**body, **test_flags(new, tests)})
    failed = failing_tests(data) if tests else []
    if failed and fails_hard(new):
        rollback = roll_back(client, connection_id, body, old, key)
        raise SetupTestsFailedError(_failure_message(connection_id, operation, failed, rollback, schema_written))
    return data


def _failure_message(connection_id: str, operation: str, failed: list[dict[str, Any]], rollback: Rollback,
                     schema_written: bool) -> str:
    if operation == "adopting":
        restored = "its previous settings were restored and " if rollback.complete else ""
        head = (f"adopting connection '{connection_id}' failed its setup tests, so {restored}it was not adopted: "
                f"{describe_tests(failed)}.")
    else:
        undone = ", so the change was rolled back" if rollback.complete else ""
        head = f"setup tests failed after updating connection '{connection_id}'{undone}: {describe_tests(failed)}."
    kept = (" Its schema config, written first, is kept (it restricts what syncs and does not depend on the "
            "key)." if schema_written else "")
    return (head + rollback.explain() + kept
            + " Fix the cause, or set setup_test_policy: warn to keep a change that fails its tests")


def _tests_switched_on(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    if not new.get("run_setup_tests"):
        return False
    return any(bool(new.get(flag)) and not bool(old.get(flag)) for flag in TEST_FLAGS)


# -- Connect Cards -------------------------------------------------------------------------------------------
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
