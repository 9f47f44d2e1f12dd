"""Latency: every `/v1` request waits a fixed or random time before it is served, as Fivetran's API does.

On loopback the emulator answers in about a millisecond; the real API, seen from a CI runner, takes a hundred
milliseconds or more. `--latency 0.2` (or `--latency 0.1-0.3`, uniform in that range) makes every `/v1`
request wait that long before it is served, so a stack's tests and benchmarks see how a client behaves at
the real API's speed: how many requests it keeps in flight, and how long a `pulumi preview` of many
connections takes. Control endpoints are never delayed.

`GET /__emulator/latency` reports the setting and how many `/v1` requests are in flight now and were at most
at once (`peak_in_flight`), and, since start or the last `POST`, for how long at least one was in flight
(`busy_s`) and the sum of their times (`request_s`): `request_s / busy_s` is how many a client kept in flight on
average while it was waiting on the API. `POST /__emulator/latency {"latency": "0.2"}` changes the setting
(`"0"` turns it off) and starts the counts anew.

This is a WSGI wrapper around the app, so the rest of the emulator knows nothing of it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .control import _is_loopback

PATH = "/__emulator/latency"
_RANGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?")

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


@dataclass(frozen=True)
class Latency:
    """Seconds each `/v1` request waits: `low` when fixed, uniform in `[low, high]` when jittered."""

    low: float = 0.0
    high: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Latency:
        """`"0.2"` (fixed), `"0.1-0.3"` (jittered), `"0"` (none); seconds, at most 60."""
        match = _RANGE.fullmatch(text)
        low = float(match[1]) if match else -1.0
        high = float(match[2]) if match and match[2] is not None else low
        if not match or high < low or high > 60:
            raise ValueError(f"invalid latency {text!r}: use SECONDS (e.g. 0.2) or LOW-HIGH (e.g. 0.1-0.3), "
                             "at most 60 s; 0 turns it off")
        return cls(low, high)

    def sample(self) -> float:
        return self.low if self.high == self.low else random.uniform(self.low, self.high)

    def __str__(self) -> str:
        return f"{self.low:g}" if self.high == self.low else f"{self.low:g}-{self.high:g}"


class WithLatency:
    """The emulator app, with every `/v1` request delayed by the current latency and counted while in flight."""

    def __init__(self, app: WsgiApp, latency: Latency) -> None:
        self.app = app
        self.latency = latency
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0
        self._busy_since = 0.0
        self._busy_s = 0.0
        self._request_s = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == PATH:
            return self._control(environ, start_response)
        if not (path == "/v1" or path.startswith("/v1/")):
            return self.app(environ, start_response)
        started = time.monotonic()
        with self._lock:
            if self._in_flight == 0:
                self._busy_since = started
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            wait = self.latency.sample()
            if wait > 0:
                time.sleep(wait)
            # The body is built before returning (every answer of the app is a complete JSON document).
            return list(self.app(environ, start_response))
        finally:
            ended = time.monotonic()
            with self._lock:
                self._in_flight -= 1
                self._request_s += ended - started
                if self._in_flight == 0:
                    self._busy_s += ended - self._busy_since

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"latency": str(self.latency), "in_flight": self._in_flight, "peak_in_flight": self._peak,
                    "busy_s": round(self._busy_s, 4), "request_s": round(self._request_s, 4)}

    def _control(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if not _is_loopback(request.remote_addr):
            status, body = 403, {"code": "Forbidden",
                                 "message": "Control endpoints answer only on the loopback interface."}
        elif request.method == "GET":
            status, body = 200, self.report()
        elif request.method != "POST":
            status, body = 405, {"code": "MethodNotAllowed", "message": f"Use GET or POST on {PATH}."}
        else:
            status, body = self._change(request.get_json(force=True, silent=True))
        return Response(json.dumps(body), status=status, mimetype="application/json")(environ, start_response)

    def _change(self, body: Any) -> tuple[int, dict[str, Any]]:
        text = body.get("latency") if isinstance(body, dict) else None
        if not isinstance(text, str | int | float) or isinstance(text, bool):
            return 400, {"code": "InvalidInput", "message": 'Field \'latency\' is required: SECONDS or LOW-HIGH, '
                                                            'e.g. {"latency": "0.2"} or {"latency": "0.1-0.3"}.'}
        try:
            latency = Latency.parse(str(text))
        except ValueError as error:
            return 400, {"code": "InvalidInput", "message": str(error)}
        with self._lock:
            self.latency = latency
            self._peak = self._in_flight
            self._busy_s = self._request_s = 0.0
            self._busy_since = time.monotonic()
        return 200, self.report()
