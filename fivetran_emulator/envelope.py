"""What every `/v1` operation shares: the parsed request, Fivetran's success envelope, and cursor paging."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid

MAX_PAGE = 1000
DEFAULT_PAGE = 100
# Paths that exist under both spellings: the API renamed connectors to connections, clients call both.
KIND = "<any(connections, connectors):kind>"


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


def success(message: str | None, data: Any = None, status: int = 200) -> Reply:
    """Fivetran's success envelope `{"code": "Success", "message", "data"}` (each left out when None)."""
    body: dict[str, Any] = {"code": "Success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return Reply(status, body)


def noun(kind: str) -> str:
    """`Connection` or, under the legacy `/connectors` spelling, `Connector`."""
    return "Connector" if kind == "connectors" else "Connection"


def require_object(call: Call, example: str) -> dict[str, Any]:
    if call.body is None:
        raise invalid(f"The request body is required: send a JSON object such as {example}.")
    if not isinstance(call.body, dict):
        raise invalid(f"The request body must be a JSON object such as {example}.")
    return call.body


def optional_object(call: Call, example: str) -> dict[str, Any]:
    """A body that may be left out (read as `{}`), or else must be a JSON object such as `example`."""
    if call.body is None:
        return {}
    if not isinstance(call.body, dict):
        raise invalid(f"The request body must be {{}} or a JSON object such as {example}.")
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


def page(items: list[Any], next_position: int | None) -> dict[str, Any]:
    """A page of a list: `{"items", "next_cursor"}` (the cursor left out on the last page)."""
    data: dict[str, Any] = {"items": items}
    if next_position is not None:
        data["next_cursor"] = encode_cursor(next_position)
    return data


def page_of(items: list[Any], call: Call) -> dict[str, Any]:
    """A page of an in-memory list, by the call's `cursor` and `limit`."""
    limit, after = page_limit(call.query), decode_cursor(call.query.get("cursor"))
    chunk = items[after:after + limit]
    return page(chunk, after + limit if after + limit < len(items) else None)
