"""The suite's own view of Fivetran: plain HTTP requests with the run's credentials, through the guard.

Every step checks what Fivetran holds with these, not with what the provider says. Reads, patches and
deletes are retried on 429 (after `Retry-After`), 5xx and lost replies; a create is never repeated blindly:
after a lost reply it is looked up by its schema.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from .guard import SUITE_AGENT

ATTEMPTS = 4
MAX_WAIT_S = 60.0
TIMEOUT = (10.0, 90.0)


class ApiError(Exception):
    """Fivetran did not answer as a check needed; the message says which call and what came back."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def data(self) -> dict[str, Any]:
        data = self.body.get("data") if isinstance(self.body, dict) else None
        return data if isinstance(data, dict) else {}

    @property
    def code(self) -> str | None:
        return str(self.body.get("code")) if isinstance(self.body, dict) and self.body.get("code") else None

    @property
    def message(self) -> str:
        return str(self.body.get("message") or "") if isinstance(self.body, dict) else ""

    def describe(self) -> str:
        """`409 Conflict: <message>` (Fivetran's messages name schemas and fields, never keys)."""
        text = f"{self.status} {self.code or ''}".strip()
        return f"{text}: {self.message}" if self.message else text


def segment(value: str) -> str:
    return quote(value, safe="")


class FivetranApi:
    """Requests to the Fivetran API (the guard's URL) for one group."""

    def __init__(self, base_url: str, api_key: str, api_secret: str, group_id: str, version: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.group_id = group_id
        self._session = requests.Session()
        self._session.auth = (api_key, api_secret)
        self._session.headers["User-Agent"] = f"{SUITE_AGENT}/{version}"

    def call(self, method: str, path: str, body: Any = None, *, retry: bool = True,
             headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> Reply:
        """One call; retried (when `retry`) on 429, 5xx and lost replies. Never raises for an HTTP status."""
        sent_headers = {"Accept": "application/json;version=2" if path.startswith("/connections")
                        else "application/json", **(headers or {})}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._session.request(method, self.base_url + path, json=body, headers=sent_headers,
                                                 timeout=TIMEOUT, auth=auth)
            except requests.RequestException as error:
                if not retry or attempt == ATTEMPTS:
                    raise ApiError(f"{method} {path}: no reply ({type(error).__name__})") from None
                time.sleep(min(MAX_WAIT_S, 2.0**attempt))
                continue
            reply = Reply(response.status_code, _json(response), dict(response.headers))
            if retry and attempt < ATTEMPTS and (reply.status == 429 or reply.status >= 500):
                time.sleep(min(MAX_WAIT_S, _retry_after(response) or 2.0**attempt))
                continue
            return reply
        raise AssertionError("unreachable")

    def data(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """The `data` of a successful call; ApiError naming the call and the answer otherwise."""
        reply = self.call(method, path, body)
        if not reply.ok:
            raise ApiError(f"{method} {path} answered {reply.describe()}")
        return reply.data

    # -- what the checks read ---------------------------------------------------------------------------------
    def connection(self, connection_id: str) -> dict[str, Any] | None:
        """The connection as Fivetran holds it; None when Fivetran says it does not exist."""
        reply = self.call("GET", f"/connections/{segment(connection_id)}")
        if reply.status == 404:
            return None
        if not reply.ok:
            raise ApiError(f"GET connection '{connection_id}' answered {reply.describe()}")
        return reply.data

    def find(self, schema: str) -> list[dict[str, Any]]:
        """The connections of the group with exactly this schema (Fivetran filters; one request)."""
        data = self.data("GET", f"/connections?group_id={segment(self.group_id)}&schema={segment(schema)}&limit=100")
        return list(data.get("items") or [])

    def group_connections(self) -> list[dict[str, Any]]:
        """Every connection of the group, following every page (only `--cleanup` may ask this)."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            query = f"group_id={segment(self.group_id)}&limit=1000" + (f"&cursor={segment(cursor)}" if cursor else "")
            data = self.data("GET", f"/connections?{query}")
            items.extend(data.get("items") or [])
            cursor = str(data.get("next_cursor") or "")
            if not cursor:
                return items

    def schema_config(self, connection_id: str) -> Reply:
        return self.call("GET", f"/connections/{segment(connection_id)}/schemas")

    def delete(self, connection_id: str) -> bool:
        """Delete; True when deleted now, False when it was gone already."""
        reply = self.call("DELETE", f"/connections/{segment(connection_id)}")
        if reply.status == 404:
            return False
        if not reply.ok:
            raise ApiError(f"DELETE connection '{connection_id}' answered {reply.describe()}")
        return True

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a connection as someone outside Pulumi would; after a lost reply, find it by its schema."""
        schema = body["config"]["schema"]
        try:
            reply = self.call("POST", "/connections", body, retry=False)
        except ApiError:
            found = self.find(schema)
            if found:
                return found[0]
            raise
        if not reply.ok:
            raise ApiError(f"creating a connection with schema '{schema}' answered {reply.describe()}")
        return reply.data

    def close(self) -> None:
        self._session.close()


def _json(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
