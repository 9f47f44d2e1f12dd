"""An update that fails half-way records what it did write, as native providers' updates do.

An update writes in steps (see `operations.WRITE_ORDER`): the settings, say a new key, can be in Fivetran when
a later step fails (a re-sync refused while a sync runs, a webhook auth type change under a Fivetran outage).
If the engine then kept the state from before the update, the next run would start from a false picture of
the connection: the key move it made would look unmade, its source still the Connect Card it replaced, and the
next `up` would refuse to "drop" a working card key that is in fact the program's own.

The engine's protocol has the means to avoid that: an `Update` that fails with an `ErrorResourceInitFailed`
detail in its gRPC status carries the resource's properties, and the engine records them as the outputs,
marks the resource with the error (the command fails, naming it) and updates the resource again on the next
`up`. Pulumi's Python dynamic-provider server (`python -m pulumi.dynamic`) has no way to send one: it turns any
exception into a plain error. So, inside the provider process only, `record` finds the gRPC context of the
`Update` call being served (a local of the SDK's handler a few frames up, as `diagnostics` finds the call's
request) and sets the detail in the call's trailing metadata (`grpc-status-details-bin`); gRPC sends it with
the error status the server sets from the exception raised next. The properties are serialized as the SDK's
handler serializes a successful update's (with the same `__provider`), so the state holds them as it would
have.

Outside the SDK's server (a test calling the provider directly), or if the server's shape ever differs,
`record` does nothing and returns False: the update fails as before, with the state from before it.
`tests/test_partial_state.py` pins what this relies on in the SDK's server, and `tests/test_interactions.py` and
`tests/cli/test_interactions.py` show it through the real server and the real CLI.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any

from .diagnostics import _is_provider_server

_STATUS_DETAILS = "grpc-status-details-bin"  # the trailer gRPC clients read a status's details from
_UNKNOWN = 2  # google.rpc.Code.UNKNOWN: what the SDK's server answers for any exception


def record(outputs: Mapping[str, Any], message: str) -> bool:
    """Make the failing `Update` being served carry `outputs` as the resource's state; True when it will.
    Never raises: the update's own error matters more than its record (the state then keeps what it had)."""
    handler = _update_handler(sys._getframe(1))
    if handler is None:
        return False
    try:
        _set_details(handler, outputs, message)
    except Exception:  # noqa: BLE001 - see above
        return False
    return True


def _set_details(handler: FrameType, outputs: Mapping[str, Any], message: str) -> None:
    context, request, news = handler.f_locals["context"], handler.f_locals["request"], handler.f_locals["news"]
    from google.protobuf import any_pb2  # type: ignore[import-untyped]
    from google.rpc import status_pb2  # type: ignore[import-untyped]
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2

    provider_key = getattr(sys.modules["__main__"], "PROVIDER_KEY", "__provider")
    loop = asyncio.new_event_loop()
    try:
        properties = loop.run_until_complete(
            rpc.serialize_properties({**outputs, provider_key: news[provider_key]}, {}))
    finally:
        loop.close()
    detail = any_pb2.Any()
    detail.Pack(provider_pb2.ErrorResourceInitFailed(id=request.id, properties=properties, reasons=[message],
                                                     inputs=request.news))
    status = status_pb2.Status(code=_UNKNOWN, message=message, details=[detail])
    context.set_trailing_metadata(((_STATUS_DETAILS, status.SerializeToString()),))


def _update_handler(frame: FrameType | None) -> FrameType | None:
    """The frame of the SDK server's `Update` handler this thread is running, if that is where we are."""
    if not _is_provider_server(sys.modules.get("__main__")):
        return None
    while frame is not None:
        names = frame.f_locals
        if (frame.f_code.co_name == "Update" and "context" in names and "request" in names
                and isinstance(names.get("news"), Mapping) and hasattr(names["context"], "set_trailing_metadata")):
            return frame
        frame = frame.f_back
    return None
