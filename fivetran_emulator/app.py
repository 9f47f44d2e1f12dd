"""The HTTP face: a WSGI app that authenticates, negotiates, routes and answers in Fivetran's JSON.

`/v1/...` is the emulated API (faults applied, every request logged, rate-limit headers added);
`/__emulator/...` is the control API (see `control.py`). Routing is werkzeug's; no HTTP is parsed by hand.
"""

from __future__ import annotations

import hmac
import json
import sys
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import parse_list_header, parse_options_header
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from . import rules
from .certificates import Certificates
from .connections import Connections
from .control import Control
from .destinations import Destinations
from .envelope import Call, Reply
from .errors import ApiError
from .faults import Fault, FaultBook, RequestLog, drop_connection
from .groups import Groups
from .latency import Latency
from .metadata import Metadata
from .ratelimit import CreateLimit, HourlyRequests
from .responses import error_response, http_error, json_response
from .schemas import Schemas
from .source_metadata import SourceMetadata
from .store import Store
from .users import Users

MAX_BODY_BYTES = 1_048_576


@dataclass
class Settings:
    """What the command line decides."""

    host: str = "127.0.0.1"
    port: int = 0
    db: str | None = None
    api_key: str = "dev-key"
    api_secret: str = "dev-secret"
    groups: list[tuple[str, str]] = field(default_factory=list)
    create_limit: CreateLimit | None = CreateLimit(20, 60)
    refuse_table_resync: bool = False
    latency: Latency = Latency()
    verbose: bool = False


class _Request(Request):
    max_content_length = MAX_BODY_BYTES


def accepts_json(header: str | None) -> bool:
    """True if an `Accept` header allows `application/json` (version 2 or unversioned); missing is fine."""
    if header is None or not header.strip():
        return True
    for item in parse_list_header(header):
        mimetype, params = parse_options_header(item)
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if mimetype in ("*/*", "application/*"):
            return True
        if mimetype == "application/json" and params.get("version", "2").strip() == "2":
            return True
    return False


class EmulatorApp:
    """The WSGI application: the emulated `/v1` API and the `/__emulator` control API."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.settings = settings
        self.store = store
        self.connections = Connections(store, settings.create_limit, settings.api_key)
        schemas = Schemas(self.connections, table_resync_supported=not settings.refuse_table_resync)
        resources = (self.connections, schemas, Certificates(self.connections), Groups(store), Destinations(store),
                     Users(settings.api_key), Metadata(), SourceMetadata(self.connections))
        # Each resource declares its own routes; the endpoint of a rule is the bound method that answers it.
        self.routes = Map([rule for resource in resources for rule in resource.rules()],
                          strict_slashes=False, merge_slashes=False)
        self.faults = FaultBook()
        self.log = RequestLog()
        self.hourly = HourlyRequests()
        for group_id, name in settings.groups:
            store.put_group(group_id, name, rules.timestamp())
        self.control = Control(store, self.connections, schemas, self.faults, self.log, self.hourly, settings.groups,
                               settings.db)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = _Request(environ)
        if request.path == "/__emulator" or request.path.startswith("/__emulator/"):
            response = self.control.dispatch(request)
        elif request.path == "/v1" or request.path.startswith("/v1/"):
            response = self._serve_v1(request)
        else:
            response = error_response(http_error(NotFound(), request))
        return response(environ, start_response)

    # -- /v1 -------------------------------------------------------------------------------------------------
    def _serve_v1(self, request: Request) -> Response:
        epoch = self.log.epoch
        fault = self.faults.take(request.method, request.path)
        remaining = self.hourly.record(time.time())
        if fault is not None and not fault.after_commit:
            time.sleep(fault.delay_s)
        if self.log.epoch != epoch:
            # A reset happened while this request waited: it belongs to the forgotten past and does nothing.
            response = error_response(ApiError(503, "ServiceUnavailable", "The emulator was reset while this "
                                                                          "request waited; nothing was done."))
        elif fault is not None and fault.fails and not fault.after_commit:
            response = self._fail(request, fault, epoch)
        else:
            response = self._answer(request)
            if fault is not None and fault.after_commit:
                time.sleep(fault.delay_s)
                if fault.fails:
                    response = self._fail(request, fault, epoch)
        response.headers["X-Rate-Limit"] = str(self.hourly.limit)
        response.headers["X-Rate-Limit-Remaining"] = str(remaining)
        self._log(request, response.status_code, epoch)
        return response

    def _log(self, request: Request, status: int, epoch: int) -> None:
        self.log.append(request.method, request.path, request.query_string.decode("latin-1"), status, epoch)

    def _fail(self, request: Request, fault: Fault, epoch: int) -> Response:
        if fault.drop_connection:
            self._log(request, 0, epoch)
            drop_connection(request.environ)
        return error_response(fault.error())

    def _answer(self, request: Request) -> Response:
        try:
            reply = self._dispatch(request)
            return json_response(reply.status, reply.body)
        except ApiError as error:
            return error_response(error)
        except HTTPException as error:
            return error_response(http_error(error, request))
        except Exception:  # A bug in the emulator: answer like the real API would, and show it on stderr.
            traceback.print_exc(file=sys.stderr)
            return error_response(ApiError(500, "InternalServerError", "Internal server error in the emulator."))

    def _dispatch(self, request: Request) -> Reply:
        self._authenticate(request)
        endpoint, values = self.routes.bind_to_environ(request.environ).match()
        if not accepts_json(request.headers.get("Accept")):
            raise ApiError(
                406,
                "NotAcceptable",
                f"The Accept header '{request.headers.get('Accept')}' names no type this API returns. "
                "Send 'Accept: application/json' or 'application/json;version=2'.",
            )
        call = Call(query=request.args)
        if request.method in ("POST", "PATCH"):
            call.body = self._json_body(request)
        reply: Reply = endpoint(call, **values)
        return reply

    def _authenticate(self, request: Request) -> None:
        auth = request.authorization
        expected = (self.settings.api_key.encode(), self.settings.api_secret.encode())
        if auth is None:
            message = (
                "Authorization is missing or malformed. Send HTTP Basic auth: "
                "'Authorization: Basic base64(<api_key>:<api_secret>)'."
            )
        elif auth.type != "basic":
            message = f"Authorization scheme '{auth.type}' is not supported. Use HTTP Basic with the key and secret."
        elif hmac.compare_digest((auth.username or "").encode(), expected[0]) & hmac.compare_digest(
            (auth.password or "").encode(), expected[1]
        ):
            return
        else:
            message = "The API key or secret is not valid. Check both (Fivetran dashboard > API key) and retry."
        raise ApiError(401, "AuthFailed", message, {"WWW-Authenticate": 'Basic realm="Fivetran API"'})

    def _json_body(self, request: Request) -> Any:
        raw = request.get_data(cache=True)
        content_type = request.headers.get("Content-Type")
        if content_type is not None or raw:
            mimetype, _ = parse_options_header(content_type or "")
            if mimetype != "application/json":
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"Content-Type '{content_type or '(none)'}' is not supported. Send the body as JSON with "
                    "'Content-Type: application/json'.",
                )
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ApiError(
                400,
                "InvalidInput",
                f"The request body is not valid JSON ({error}). Send a JSON object.",
            ) from None
