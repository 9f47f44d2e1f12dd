"""A create that happens exactly once, and never takes a connection it cannot prove it made.

Fivetran itself refuses a second connection with the same schema in a group, so there is no lookup before the
POST: a refusal is what sends the caller to the existing connection. When the reply to the POST is lost, the
connection found by group and schema counts as ours only if Fivetran created it after we sent the POST (on
Fivetran's own clock, read from its `Date` header) and it holds exactly the settings we sent; anything else is
an existing connection, for the caller to adopt (with `adopt_existing`) or to explain. Nothing here knows
about Pulumi.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import FivetranClient
from .errors import ConflictError, FivetranError, IterableConnectionError, NotFoundError, OutcomeUnknownError
from .payloads import create_body, inputs_from_api, patch_body

# How many times a create whose reply was lost is looked up and, when nothing was created, sent again.
CREATE_ATTEMPTS = 3
# How much earlier than our POST (on Fivetran's clock) a connection may have been created and still be the
# one our POST made: the `Date` header that tells Fivetran's clock has a resolution of one second, and the
# request takes a moment to arrive.
CLOCK_TOLERANCE_S = 2.0


class GroupNotFoundError(IterableConnectionError):
    """The connection's `group_id` names no destination group of the account."""


@dataclass(frozen=True)
class Made:
    """The connection our POST made; `reply_lost` when it was found by lookup rather than in the reply."""

    connection: dict[str, Any]
    reply_lost: bool = False


@dataclass(frozen=True)
class Existing:
    """A connection with our group and schema that our POST did not make (or cannot be shown to have made)."""

    connection: dict[str, Any]


def fetch_after_lost_reply(client: FivetranClient, connection_id: str, desired: Mapping[str, Any]
                            ) -> dict[str, Any]:
    if create_body(desired)["run_setup_tests"]:
        # The lost reply carried the setup-test results; ask for them again.
        return client.run_setup_tests(connection_id, bool(desired.get("trust_certificates")),
                                      bool(desired.get("trust_fingerprints")))
    return client.get_connection(connection_id)


def create_exactly_once(client: FivetranClient, desired: Mapping[str, Any]) -> Made | Existing:
    """POST the connection; when the outcome is unknown, find what the POST made instead of posting twice."""
    group_id, schema = desired["group_id"], desired["config"]["schema"]
    body = create_body(desired)
    last_error: FivetranError | None = None
    sent_at = time.time()  # our clock when the first POST left; `_made_by_our_post` converts it to Fivetran's
    for _ in range(CREATE_ATTEMPTS):
        try:
            return Made(client.create_connection(body))
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
                return Made(found[0], reply_lost=True)  # an earlier POST of ours landed after all
            return Existing(found[0])
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
                return Made(found[0], reply_lost=True)
            return Existing(found[0])
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
