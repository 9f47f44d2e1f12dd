"""What a connection's schema config and re-syncs mean in Fivetran API calls.

Each function returns what Fivetran holds of the declared items (see `schema_config.project`), so the state
records the truth: an item Fivetran did not take shows as a difference in the next preview, never as "done".

- At create, the settings are pre-created (`POST .../schemas`, one request): Fivetran applies them when it
  first reads the connection's schema, which it can do only once the setup succeeded. So a connection whose
  Connect Card is not completed yet, or whose setup tests fail under `warn`, gets its schema config too, and
  nothing waits for a later `up`.
- A refresh reads the schema config (`live_schema_config`, which needs nothing from the connection's own
  GET, so a refresh sends both at once) and, for declared columns that answer leaves out, their tables'
  column lists, side by side.
- An update sends one `PATCH .../schemas` with only what differs; a connection that has no schema config
  (an adopted one that never synced) gets it pre-created instead.
- A re-sync is requested at most once per change of `resync`: an outcome Fivetran leaves unknown is settled
  by reading the connection where it tells (a whole re-sync marks it `is_historical_sync`), and otherwise
  reported, not repeated (a second historical re-sync would read everything from Iterable once more).
- The re-sync is the last write of an update, so that it reads what the settings and schema config just
  declared. When Fivetran refuses it (a sync is running, or the connector type has no table-level re-sync),
  everything else of the update is done and the error says so; the state keeps the previous `resync`, so the
  next `up` asks again for what the program then declares.

Nothing here knows about Pulumi.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import SOURCE_SCHEMA
from .client import FivetranClient
from .errors import ConflictError, FivetranError, NotFoundError, OutcomeUnknownError
from .schema_config import (
    changes,
    live_tables,
    pre_create_body,
    project,
    resync_body,
    resync_requested,
    unlisted_columns,
)

# Runs a function over items and returns its results in order: one after another, or side by side (a refresh).
Together = Callable[[Callable[[str], Any], list[str]], list[Any]]


def one_after_another(function: Callable[[str], Any], items: list[str]) -> list[Any]:
    return [function(item) for item in items]


class ResyncRefusedError(Exception):
    """Fivetran refused a re-sync (a sync is running, or it does not re-sync single tables of this connection);
    the rest of the update was done. The message says what Fivetran answered and what to do."""


_DONE_BUT_RESYNC = "The rest of this update was applied; only the re-sync did not start"


def create_schema_config(client: FivetranClient, connection_id: str, declared: Mapping[str, Any] | None
                         ) -> dict[str, Any] | None:
    """Give a new connection its declared schema config; what Fivetran holds of it."""
    if declared is None:
        return None
    return _write_all(client, connection_id, declared)


def apply_schema_config(client: FivetranClient, connection_id: str, held: Mapping[str, Any] | None,
                        declared: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, bool]:
    """Bring the declared items from `held` (the state's view of them) to `declared`, in one request; what
    Fivetran then holds of them, and whether anything was written.

    Items the program stopped declaring are left as they are in Fivetran, and no longer tracked.
    """
    if declared is None:
        return None, False
    body = changes(held, declared)
    if not body:
        return dict(declared), False
    try:
        reply = client.modify_schema_config(connection_id, body)
    except NotFoundError as missing:
        if missing.code != "NotFound_SchemaConfig":
            raise
        return _write_all(client, connection_id, declared), True
    return _held(reply, declared, fallback=held), True


def adopt_schema_config(client: FivetranClient, connection_id: str, declared: Mapping[str, Any] | None
                        ) -> tuple[dict[str, Any] | None, bool]:
    """At adoption: a connection that has no schema config at all (it never synced: made by someone who did not
    get that far, or by an interrupted `up` of ours) gets the declared one, as a new connection would, since
    there is nothing of theirs to review; one that has a schema config is only read (see `operations`). What
    Fivetran holds of the declared items, and whether anything was written."""
    if declared is None:
        return None, False
    live = live_schema_config(client, connection_id)
    if live is None:
        return _write_all(client, connection_id, declared), True
    return read_schema_config(client, connection_id, declared, live), False


def live_schema_config(client: FivetranClient, connection_id: str) -> dict[str, Any] | None:
    """Fivetran's schema config of the connection; None when it has none yet."""
    try:
        return client.get_schema_config(connection_id)
    except NotFoundError as missing:
        if missing.code != "NotFound_SchemaConfig":
            raise
        return None


def read_schema_config(client: FivetranClient, connection_id: str, declared: Mapping[str, Any],
                       live: Mapping[str, Any] | None, together: Together = one_after_another) -> dict[str, Any] | None:
    """What Fivetran holds of the declared items, from its schema config `live` (`live_schema_config`); the
    column lists that answer leaves out are read `together` (a refresh sends them at once)."""
    def columns(table: str) -> dict[str, Any] | None:
        # Not found: the schema was not read yet, so the columns have no settings and Fivetran's defaults apply.
        with contextlib.suppress(NotFoundError):
            return client.get_table_columns(connection_id, SOURCE_SCHEMA, table)
        return None

    tables = unlisted_columns(live, declared)
    columns_of = {table: found for table, found in zip(tables, together(columns, tables), strict=True)
                  if found is not None}
    return project(live, declared, columns_of)


def request_resync(client: FivetranClient, connection_id: str, old: Mapping[str, Any] | None,
                   new: Mapping[str, Any] | None) -> str | None:
    """Ask for the re-sync `new` declares when it is new or changed; a notice when its outcome is unknown."""
    if not resync_requested(old, new):
        return None
    assert new is not None
    body = resync_body(new)
    what = f"the tables {', '.join(new['tables'])}" if new.get("tables") else "the whole connection"
    for attempt in (1, 2):
        try:
            client.resync(connection_id, body)
            return None
        except ConflictError as conflict:
            raise ResyncRefusedError(
                f"Fivetran refused the re-sync of {what} ({conflict.message}): a sync is running and could not "
                f"finish first. {_DONE_BUT_RESYNC}: run `pulumi up` again once the sync has ended"
            ) from None
        except OutcomeUnknownError as unknown:
            if body or attempt == 2 or _historical_sync_running(client, connection_id):
                return (f"the re-sync of {what} of connection '{connection_id}' may or may not have started "
                        f"({unknown.message}); it is not requested again, so that it cannot run twice. If the "
                        "Fivetran dashboard shows no re-sync, change resync.trigger and run `pulumi up`")
        except FivetranError as refused:
            if not body or refused.status != 400:
                raise
            # Fivetran's API reference: "Sending scope to an unsupported connector type ... returns 400". The
            # table names were checked against the catalog at preview, so this is that refusal.
            said = f"{refused.status} {refused.code + ': ' if refused.code else ''}{refused.message.rstrip('.')}"
            raise ResyncRefusedError(
                f"Fivetran refused to re-sync only {what}; it answered {said}. Fivetran answers 400 to a "
                f"table-level re-sync for connector types that do not support one. {_DONE_BUT_RESYNC}. Re-sync the "
                "whole connection instead: remove resync.tables and keep the new resync.trigger; `pulumi preview` "
                "then shows a historical re-sync of every table, and `pulumi up` requests it"
            ) from None
    return None


def _historical_sync_running(client: FivetranClient, connection_id: str) -> bool:
    """Whether the connection is in a historical sync now (what a whole re-sync starts)."""
    try:
        data = client.get_connection(connection_id)
    except FivetranError:
        return True  # cannot tell: count it as started, so that it is never sent twice
    return bool((data.get("status") or {}).get("is_historical_sync"))


def _write_all(client: FivetranClient, connection_id: str, declared: Mapping[str, Any]) -> dict[str, Any]:
    """Pre-create every declared item; where a schema config exists already (read meanwhile, or a repeat of
    our own pre-create whose reply was lost), PATCH the same items instead."""
    try:
        reply = client.pre_create_schema_config(connection_id, pre_create_body(declared))
    except ConflictError:
        reply = client.modify_schema_config(connection_id, changes(None, declared))
    return _held(reply, declared, fallback=None)


def _held(reply: Mapping[str, Any], declared: Mapping[str, Any], fallback: Mapping[str, Any] | None
          ) -> dict[str, Any]:
    """What a successful write's reply says Fivetran holds of the declared items.

    A reply without the schema config (an empty `data`) is taken at its word: the declared items. Columns the
    reply does not list keep what `fallback` held of them.
    """
    if not live_tables(reply) and "schema_change_handling" not in reply:
        return dict(declared)
    columns_of = {name: table.get("columns") or {} for name, table in ((fallback or {}).get("tables") or {}).items()}
    return project(reply, declared, columns_of) or {}
