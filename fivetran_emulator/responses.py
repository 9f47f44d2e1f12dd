"""HTTP answers in Fivetran's JSON, shared by the emulated API (`app.py`) and the control API (`control.py`)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from .errors import ApiError


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the given status and extra headers."""
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(error: ApiError) -> Response:
    """Fivetran's error body `{"code", "message"}` with the error's status and headers."""
    return json_response(error.status, error.body(), error.headers)


def http_error(error: HTTPException, request: Request) -> ApiError:
    """werkzeug's routing and size errors, in Fivetran's JSON shape with a useful message."""
    if isinstance(error, NotFound):
        return ApiError(
            404,
            "NotFound",
            f"No API endpoint at {request.method} {request.path}. Connections live under /v1/connections "
            "(or the legacy /v1/connectors), groups under /v1/groups; fivetran_emulator/README.md lists every "
            "endpoint served.",
        )
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(set(error.valid_methods or []) - {"HEAD", "OPTIONS"})
        return ApiError(
            405,
            "MethodNotAllowed",
            f"Method {request.method} is not allowed on {request.path}. Use one of: {', '.join(allowed)}.",
            {"Allow": ", ".join(allowed)},
        )
    code = (error.name or "Error").replace(" ", "")
    return ApiError(error.code or 500, code, error.description or code)
