"""The guard: a local reverse proxy between the run and the Fivetran API that counts every request and
refuses any that could touch what the run did not create.

Both the provider (through the Pulumi CLI) and the suite's own checks talk to the guard's loopback URL; it
forwards what it allows to the real API URL and answers the rest itself with 403 `AcceptanceGuard`. It allows:

- `GET /v1/groups/{group}` and the Iterable connector type's metadata;
- `POST /v1/connections` only into the run's group, with one of the run's schemas (`pulumi_acc_<run id>_<role>`);
- a list of connections only in the run's group and filtered to one of the run's schemas (the whole group's
  list only in `--cleanup`, which needs it to find what earlier runs left);
- `/v1/connections/{id}...` only for an id it has seen Fivetran answer with one of the run's schemas in the
  run's group (a create's reply, or a list found after a lost reply), never another connection's;
- at most `max_requests` requests in all (Fivetran's rate limits are per account).

So a retry, a lost reply or a defect cannot reach another connection: the guard never forwards it. It logs
method, path, query, status and Fivetran's error code, never a body or a header, so no key passes into it.
The loopback hop is plain HTTP on 127.0.0.1 only; the hop to Fivetran keeps the URL's own scheme (HTTPS).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

GUARD_CODE = "AcceptanceGuard"
SUITE_AGENT = "pulumi-fivetran-iterable-acceptance"
# Request headers passed on to Fivetran, and reply headers passed back (the `Date` header matters: the
# provider reads Fivetran's clock from it to tell its own lost create from someone else's connection).
REQUEST_HEADERS = ("Authorization", "Accept", "Content-Type", "User-Agent")
REPLY_HEADERS = ("Content-Type", "Date", "Retry-After", "X-Rate-Limit", "X-Rate-Limit-Remaining", "Allow")
UPSTREAM_TIMEOUT = (10.0, 150.0)  # longer than the provider's own read timeout (90 s), so it times out first
_CONNECTION_PATH = re.compile(r"^/v1/connections/([^/]+)(/.*)?$")


@dataclass(frozen=True)
class Entry:
    """One request as the guard saw it: never a body or a header."""

    method: str
    path: str
    query: str
    status: int  # 0: no reply (Fivetran dropped the connection, or the request never got one)
    by_suite: bool  # sent by the suite's own checks, not by the provider
    code: str | None = None  # Fivetran's error code, or GUARD_CODE when the guard refused it
    note: str = ""  # for writes: the top-level fields sent (never their values, except `paused`)

    @property
    def refused(self) -> bool:
        return self.code == GUARD_CODE

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PATCH", "DELETE")

    def names(self, connection_id: str) -> bool:
        """Whether the request is about that connection (its id is a segment of the path)."""
        return f"/{connection_id}/" in f"{self.path}/"

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.method} {self.path}{query} -> {self.status}{code}"


@dataclass
class Rules:
    """What the guard lets through: the run's group, the run's schemas (`schemas.match`), the ids learned."""

    group_id: str
    schemas: re.Pattern[str]
    list_whole_group: bool = False
    max_requests: int = 600
    known_ids: set[str] = field(default_factory=set)

    def ours(self, item: Any) -> bool:
        return (isinstance(item, dict) and isinstance(item.get("id"), str)
                and bool(self.schemas.match(str(item.get("schema") or ""))) and item.get("group_id") == self.group_id)

    def refusal(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> str | None:
        """Why the request may not go to Fivetran, or None when it may."""
        if path == f"/v1/groups/{self.group_id}" and method == "GET":
            return None
        if path == "/v1/metadata/connector-types/iterable" and method == "GET":
            return None
        if path == "/v1/connections":
            if method == "POST":
                return self._create_refusal(body)
            if method == "GET":
                return self._list_refusal(query, query.get("group_id", [None])[0])
        if path == f"/v1/groups/{self.group_id}/connections" and method == "GET":
            return self._list_refusal(query, self.group_id)
        match = _CONNECTION_PATH.match(path)
        if match:
            connection_id = unquote(match.group(1))
            if connection_id in self.known_ids:
                return None
            return f"connection '{connection_id}' was not created by this run"
        return f"{method} {path} is not something the acceptance suite sends"

    def _create_refusal(self, body: bytes) -> str | None:
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            return "a create whose body is not JSON"
        schema = str((sent.get("config") or {}).get("schema") or "")
        if sent.get("group_id") != self.group_id:
            return f"a create in group '{sent.get('group_id')}', not the run's group '{self.group_id}'"
        if not self.schemas.match(schema):
            return f"a create of schema '{schema}', which is not one of the run's ({self.schemas.pattern})"
        return None

    def _list_refusal(self, query: dict[str, list[str]], group_id: str | None) -> str | None:
        if group_id != self.group_id:
            return f"a list of group '{group_id}', not the run's group '{self.group_id}'"
        schema = query.get("schema", [""])[0]
        if (schema and self.schemas.match(schema)) or (not schema and self.list_whole_group):
            return None
        return "a list of connections not filtered to a schema of this run"

    def learn(self, reply: Any) -> None:
        """Remember the ids of the run's connections in a reply (one connection, or a list of them)."""
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            return
        for item in [data, *(data.get("items") or [])]:
            if self.ours(item):
                self.known_ids.add(item["id"])


def _note(method: str, path: str, body: bytes) -> str:
    """The top-level fields a write sent (values left out, but for `paused`), for checks of the order."""
    if method not in ("POST", "PATCH") or not body:
        return ""
    try:
        sent = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(sent, dict):
        return ""
    fields = ",".join(sorted(sent))
    return f"{fields};paused={sent['paused']}" if "paused" in sent else fields


class Guard:
    """The running guard: `url` is what clients use instead of Fivetran's; `log` what went through."""

    def __init__(self, upstream: str, rules: Rules) -> None:
        self.upstream = upstream.rstrip("/").removesuffix("/v1")
        self.rules = rules
        self._log: list[Entry] = []
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="acceptance-guard", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def entries(self, since: int = 0) -> list[Entry]:
        with self._lock:
            return self._log[since:]

    def mark(self) -> int:
        """A position in the log; `entries(mark)` is everything after it."""
        with self._lock:
            return len(self._log)

    def learn(self, connection_id: str) -> None:
        """Allow requests about a connection the suite itself just made (and saw Fivetran confirm)."""
        with self._lock:
            self.rules.known_ids.add(connection_id)

    def known_ids(self) -> set[str]:
        with self._lock:
            return set(self.rules.known_ids)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    # -- one request ------------------------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        method, path, query_text = handler.command, parts.path, parts.query
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        by_suite = SUITE_AGENT in (handler.headers.get("User-Agent") or "")
        note = _note(method, path, body)
        with self._lock:
            over = len(self._log) >= self.rules.max_requests
            why = (f"the run's budget of {self.rules.max_requests} requests is used up" if over
                   else self.rules.refusal(method, path, parse_qs(query_text), body))
        if why is not None:
            self._record(Entry(method, path, query_text, 403, by_suite, GUARD_CODE, note))
            _answer(handler, 403, {"Content-Type": "application/json"},
                    json.dumps({"code": GUARD_CODE, "message": f"refused by the acceptance guard: {why}"}).encode())
            return
        headers = {name: handler.headers[name] for name in REQUEST_HEADERS if handler.headers.get(name)}
        try:
            reply = self._session.request(method, self.upstream + handler.path, data=body or None, headers=headers,
                                          timeout=UPSTREAM_TIMEOUT, allow_redirects=False)
        except requests.RequestException:
            # Fivetran's reply was lost: lose it for the client too (close without a byte), so the provider
            # meets exactly what happened upstream.
            self._record(Entry(method, path, query_text, 0, by_suite, None, note))
            handler.close_connection = True
            return
        parsed = _json(reply.content)
        code = None if reply.ok else str((parsed or {}).get("code") or "") or None
        with self._lock:
            if reply.ok:
                self.rules.learn(parsed)
        self._record(Entry(method, path, query_text, reply.status_code, by_suite, code, note))
        passed = {name: reply.headers[name] for name in REPLY_HEADERS if name in reply.headers}
        _answer(handler, reply.status_code, passed, reply.content)

    def _record(self, entry: Entry) -> None:
        with self._lock:
            self._log.append(entry)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def _answer(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    # send_response_only: BaseHTTPRequestHandler.send_response would add our own Date and Server headers.
    handler.send_response_only(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _handler_for(guard: Guard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the clients expect of Fivetran

        def do_GET(self) -> None:
            guard.handle(self)

        do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass  # the guard's own log is `Guard.entries`

    return Handler


def summary(entries: list[Entry]) -> Iterator[str]:
    """`GET 12, POST 3, ...`, in a fixed order."""
    for method in ("GET", "POST", "PATCH", "DELETE"):
        count = sum(1 for e in entries if e.method == method)
        if count:
            yield f"{method} {count}"
