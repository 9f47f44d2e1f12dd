"""Fault injection (scripted failures of `/v1` requests) and the request log the tests read."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid

# Fivetran-style error codes for the statuses a fault usually plays.
_CODES = {
    400: "InvalidInput",
    401: "AuthFailed",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_MESSAGES = {
    429: "Too many requests: the API rate limit is reached. Retry after the Retry-After seconds.",
    500: "Internal server error. The operation may or may not have been applied; read the resource before retrying.",
    502: "Bad gateway: the API did not answer in time. Retry later.",
    503: "Service temporarily unavailable. Retry later.",
    504: "Gateway timeout: the request took too long. The operation may still complete; read before retrying.",
}


@dataclass
class Fault:
    """One scripted failure: which requests it hits, how often, and what the client sees instead."""

    method: str | None
    path: re.Pattern[str]
    status: int | None
    count: int
    retry_after: int | None
    delay_s: float
    drop_connection: bool
    after_commit: bool
    code: str | None = None
    message: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """True if this fault applies to a request with this method and path (query excluded)."""
        return (self.method is None or self.method == method.upper()) and bool(self.path.search(path))

    @property
    def fails(self) -> bool:
        """True if the client gets a failure (an error status or a dropped connection), not just a delay."""
        return self.drop_connection or self.status is not None

    def error(self) -> ApiError:
        """The error answer this fault sends (only meaningful when `status` is set)."""
        assert self.status is not None
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        code = self.code or _CODES.get(self.status, "Error")
        message = self.message or _MESSAGES.get(self.status, f"Injected failure with HTTP status {self.status}.")
        return ApiError(self.status, code, message, headers)

    def to_json(self) -> dict[str, Any]:
        """The fault as the control endpoint shows it."""
        return {
            "method": self.method or "*",
            "path": self.path.pattern,
            "status": self.status,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay_s": self.delay_s,
            "drop_connection": self.drop_connection,
            "after_commit": self.after_commit,
            "code": self.code,
            "message": self.message,
        }


def parse_fault(spec: Any) -> Fault:
    """Validate a fault spec from `POST /__emulator/faults`; raises a 400 `ApiError` naming the bad field."""
    if not isinstance(spec, dict):
        raise invalid('The fault must be a JSON object such as {"path": "^/v1/connections$", "status": 503}')
    known = {
        "method",
        "path",
        "status",
        "count",
        "retry_after",
        "delay_s",
        "drop_connection",
        "after_commit",
        "code",
        "message",
    }
    unknown = sorted(set(spec) - known)
    if unknown:
        raise invalid(f"Unknown fault field '{unknown[0]}'. Known fields: {', '.join(sorted(known))}")
    method = spec.get("method")
    if method is not None and not isinstance(method, str):
        raise invalid('Invalid value for \'method\': use an HTTP method such as "POST", or "*" for any')
    try:
        path = re.compile(spec.get("path", ""))
    except (re.error, TypeError) as error:
        raise invalid(f"Invalid value for 'path': not a regular expression ({error})") from None
    status = spec.get("status")
    if status is not None and (type(status) is not int or not 400 <= status <= 599):
        raise invalid("Invalid value for 'status': use an HTTP error status from 400 to 599, or null")
    count = spec.get("count", 1)
    if type(count) is not int or count < 1:
        raise invalid("Invalid value for 'count': use a whole number of requests, at least 1")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (type(retry_after) is not int or retry_after < 0):
        raise invalid("Invalid value for 'retry_after': use whole seconds (0 or more), or null")
    delay = spec.get("delay_s", 0) or 0
    if type(delay) not in (int, float) or delay < 0:
        raise invalid("Invalid value for 'delay_s': use seconds (0 or more)")
    for flag in ("drop_connection", "after_commit"):
        if type(spec.get(flag, False)) is not bool:
            raise invalid(f"Invalid value for '{flag}': use true or false")
    for text in ("code", "message"):
        if spec.get(text) is not None and not isinstance(spec[text], str):
            raise invalid(f"Invalid value for '{text}': use a string, or null")
    fault = Fault(
        method=None if method in (None, "*", "") else method.upper(),
        path=path,
        status=status,
        count=count,
        retry_after=retry_after,
        delay_s=float(delay),
        drop_connection=spec.get("drop_connection", False),
        after_commit=spec.get("after_commit", False),
        code=spec.get("code"),
        message=spec.get("message"),
    )
    if not fault.fails and fault.delay_s == 0:
        raise invalid("The fault does nothing: set 'status', 'drop_connection' or 'delay_s'")
    if fault.status is not None and fault.drop_connection:
        raise invalid("Set either 'status' or 'drop_connection', not both: a dropped connection sends no status")
    return fault


class FaultBook:
    """The pending faults, consumed first-registered-first as matching requests arrive."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Arm a fault for its next `count` matching requests."""
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault matching this request, with one use consumed; None if none matches."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """The faults still armed, with their remaining counts."""
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()


class RequestLog:
    """Every `/v1` request's method, path, query string and answered status; never bodies or credentials."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """How many times the log was cleared: a request remembers it when it arrives."""
        with self._lock:
            return self._epoch

    def append(self, method: str, path: str, query: str, status: int, epoch: int) -> None:
        """Record one answered request (status 0 when the connection was dropped), unless the log was cleared
        since the request arrived (a reset forgets the requests in flight too)."""
        with self._lock:
            if epoch == self._epoch:
                self._items.append({"method": method, "path": path, "query": query, "status": status})

    def items(self) -> list[dict[str, Any]]:
        """A copy of the log, in the order the answers were decided."""
        with self._lock:
            return [dict(item) for item in self._items]

    def clear(self) -> None:
        """Forget every logged request, and every request still in flight."""
        with self._lock:
            self._items.clear()
            self._epoch += 1


class DroppedConnection(ConnectionAbortedError):
    """Raised out of the WSGI app after the socket is shut down; the server treats it as a dropped client."""


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's TCP connection without sending a single response byte, then abort the request."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # The client may be gone already; either way nothing is sent.
            sock.shutdown(socket.SHUT_RDWR)
    raise DroppedConnection("fault injection dropped the connection")
