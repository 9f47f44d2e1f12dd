"""The `/v1` operations: create, read, update, delete and list connections, setup tests, syncs, groups.

Each operation takes an already authenticated, parsed request (`Call`) and returns a `Reply` in Fivetran's
envelope, or raises `ApiError`. HTTP concerns (auth, headers, routing, faults) live in `app.py`.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ids, rules, setup_tests
from .errors import ApiError, invalid
from .fields import validate_card_config
from .ratelimit import CreateLimit
from .store import Record, Store, group_not_found

MAX_PAGE = 1000
DEFAULT_PAGE = 100


@dataclass
class Call:
    """One parsed request: JSON body (None when empty) and query arguments."""

    body: Any = None
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """A success answer: status and JSON body."""

    status: int
    body: dict[str, Any]


def success(message: str, data: Any = None, status: int = 200) -> Reply:
    """Fivetran's success envelope `{"code": "Success", "message", "data"}` (`data` left out when None)."""
    body: dict[str, Any] = {"code": "Success", "message": message}
    if data is not None:
        body["data"] = data
    return Reply(status, body)


def _noun(kind: str) -> str:
    """`Connection` or, under the legacy `/connectors` spelling, `Connector`."""
    return "Connector" if kind == "connectors" else "Connection"


def _require_object(call: Call, example: str) -> dict[str, Any]:
    if call.body is None:
        raise invalid(f"The request body is required: send a JSON object such as {example}.")
    if not isinstance(call.body, dict):
        raise invalid(f"The request body must be a JSON object such as {example}.")
    return call.body


def encode_cursor(position: int) -> str:
    """An opaque cursor: unpadded base64url JSON, like the real API's."""
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor continues from (0 for no cursor); 400 for a cursor this server did not issue."""
    if not cursor:
        return 0
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["after"]
        if type(position) is not int or position < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise invalid(
            f"Invalid value for 'cursor': '{cursor}'. Pass the 'next_cursor' of the previous page, or omit it "
            "for the first page."
        ) from None
    return position


def page_limit(query: Mapping[str, str]) -> int:
    """The `limit` query argument: 1..1000, default 100."""
    text = query.get("limit")
    if text is None or text == "":
        return DEFAULT_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise invalid(f"Invalid value for 'limit': '{text}'. Use a whole number from 1 to {MAX_PAGE}.")
    return int(text)


def _page(items: list[Any], next_position: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"items": items}
    if next_position is not None:
        data["next_cursor"] = encode_cursor(next_position)
    return data


class Api:
    """The emulated API's operations over one store."""

    def __init__(self, store: Store, create_limit: CreateLimit | None, api_key: str) -> None:
        self.store = store
        self.create_limit = create_limit
        self.connected_by = ids.user_id_for_key(api_key)

    def _not_found(self, kind: str, connection_id: str) -> ApiError:
        noun = _noun(kind)
        return ApiError(
            404,
            f"NotFound_{noun}",
            f"{noun} with id '{connection_id}' does not exist. Check the id, or find the connection with "
            "GET /v1/connections?group_id=<group>&schema=<schema>.",
        )

    def _load(self, kind: str, connection_id: str) -> Record:
        record = self.store.get_connection(connection_id)
        if record is None:
            raise self._not_found(kind, connection_id)
        return record

    def _update(self, kind: str, connection_id: str, change: Any) -> Record:
        record = self.store.update_connection(connection_id, change)
        if record is None:
            raise self._not_found(kind, connection_id)
        return record

    # -- connections -----------------------------------------------------------------------------------------
    def create(self, call: Call, kind: str) -> Reply:
        """`POST /v1/connections`: 201 with the new connection, setup tests run unless switched off."""
        create = rules.validate_create(_require_object(call, '{"service": "iterable", "group_id": ..., "config": ...}'))
        record = rules.new_record(
            create, connected_by=self.connected_by, created_at=rules.timestamp(), endpoint=ids.webhook_endpoint()
        )
        card_config = create.fields.get("connect_card_config")
        if card_config is not None:
            record["connect_card"] = rules.connect_card(ids.card_token(), card_config["redirect_uri"])
        if create.run_setup_tests:  # asked for (the default) and run, also without a key: they fail then
            record = setup_tests.run(record)
        record = self.store.create_connection(record, self.create_limit, time.time())
        return success(f"{_noun(kind)} has been created", rules.render(record), status=201)

    def get(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`GET /v1/connections/{id}`."""
        record = self._load(kind, connection_id)
        return success(f"{_noun(kind)} details retrieved successfully", rules.render(record))

    def patch(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`PATCH /v1/connections/{id}`: shallow config merge, setup tests unless `run_setup_tests` is false."""
        patch = rules.validate_patch(_require_object(call, '{"paused": true}'))

        def change(current: Record) -> Record:
            updated = rules.apply_patch(current, patch)
            return setup_tests.run(updated) if patch.run_setup_tests else updated

        record = self._update(kind, connection_id, change)
        return success(f"{_noun(kind)} has been updated", rules.render(record))

    def delete(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`DELETE /v1/connections/{id}`: 200 with a message naming the id."""
        if not self.store.delete_connection(connection_id):
            raise self._not_found(kind, connection_id)
        return success(f"{_noun(kind)} with id '{connection_id}' has been deleted")

    def list(self, call: Call, kind: str) -> Reply:
        """`GET /v1/connections?group_id=&schema=&cursor=&limit=`."""
        data = self._list(call, call.query.get("group_id"))
        return success(f"{_noun(kind)}s list retrieved successfully", data)

    def list_in_group(self, call: Call, kind: str, group_id: str) -> Reply:
        """`GET /v1/groups/{id}/connections?schema=&cursor=&limit=`; 404 for an unknown group."""
        if self.store.get_group(group_id) is None:
            raise group_not_found(group_id)
        return success(f"Group {_noun(kind).lower()}s retrieved successfully", self._list(call, group_id))

    def _list(self, call: Call, group_id: str | None) -> dict[str, Any]:
        limit, after = page_limit(call.query), decode_cursor(call.query.get("cursor"))
        records, next_position = self.store.list_connections(group_id, call.query.get("schema"), after, limit)
        return _page([rules.render(r) for r in records], next_position)

    def test(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST /v1/connections/{id}/test`: runs the setup tests; a body (`{}` is fine) is required."""
        body = _require_object(call, '{} or {"trust_certificates": true}')
        for name, value in body.items():
            if name not in ("trust_certificates", "trust_fingerprints"):
                raise invalid(f"Unknown field '{name}'. Known fields: trust_certificates, trust_fingerprints.")
            if type(value) is not bool and value is not None:
                raise invalid(f"Invalid value for '{name}': {value!r}. Use true or false.")
        record = self._update(kind, connection_id, setup_tests.run)
        return success("Setup tests have been completed", rules.render(record))

    def sync(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../sync` (`{"force": bool}`, optional) and legacy `POST .../force`: a sync, done at once."""
        body = call.body if call.body is not None else {}
        if not isinstance(body, dict) or set(body) - {"force"}:
            raise invalid('The sync body must be {} or {"force": true|false}.')
        if body.get("force") is not None and type(body["force"]) is not bool:
            raise invalid(f"Invalid value for 'force': {body['force']!r}. Use true or false.")

        def finish_sync(current: Record) -> Record:
            # The emulator syncs instantly: connected connections succeed, others fail.
            if current["status"]["setup_state"] == "connected":
                current["succeeded_at"] = rules.timestamp()
                current["status"]["is_historical_sync"] = False
            else:
                current["failed_at"] = rules.timestamp()
            return current

        self._update(kind, connection_id, finish_sync)
        return success(f"Sync has been successfully triggered for {_noun(kind).lower()} with id '{connection_id}'")

    def connect_card(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST /v1/connections/{id}/connect-card`: issue a fresh Connect Card token and URI."""
        body = _require_object(call, '{"connect_card_config": {"redirect_uri": "https://example.com/done"}}')
        for name in body:
            if name != "connect_card_config":
                raise invalid(f"Unknown field '{name}'. Known fields: connect_card_config.")
        card_config = validate_card_config(body.get("connect_card_config"))

        def issue(current: Record) -> Record:
            current["connect_card_config"] = card_config
            current["connect_card"] = rules.connect_card(ids.card_token(), card_config["redirect_uri"])
            return current

        record = self._update(kind, connection_id, issue)
        data = {
            "connection_id": connection_id,
            "connector_id": connection_id,
            "connect_card": record["connect_card"],
            "connect_card_config": record["connect_card_config"],
        }
        return success("Connect Card has been created", data)

    def complete_connect_card(self, token: str, api_key: Any) -> Record:
        """Play the person completing a Connect Card: store the key, run the setup tests, return the view."""
        if not isinstance(api_key, str) or not api_key.strip():
            raise invalid("Field 'api_key' is required: the Iterable API key the person enters in the card.")
        connection_id = self.store.find_by_card_token(token)
        if connection_id is None:
            raise ApiError(404, "NotFound_ConnectCard", f"No Connect Card has token '{token}'.")

        def complete(current: Record) -> Record:
            current["config"]["api_key"] = api_key
            current["config"]["project_type"] = rules.project_type(api_key)
            return setup_tests.run(current)

        return rules.render(self._update("connections", connection_id, complete))

    # -- groups ----------------------------------------------------------------------------------------------
    def get_group(self, call: Call, group_id: str) -> Reply:
        """`GET /v1/groups/{id}`: `{id, name, created_at}`; 404 `NotFound_Group` for an unknown id."""
        group = self.store.get_group(group_id)
        if group is None:
            raise group_not_found(group_id)
        return success("Group details retrieved successfully", group)

    def list_groups(self, call: Call) -> Reply:
        """`GET /v1/groups?cursor=&limit=`."""
        limit, after = page_limit(call.query), decode_cursor(call.query.get("cursor"))
        groups, next_position = self.store.list_groups(after, limit)
        return success("Groups retrieved successfully", _page(groups, next_position))
