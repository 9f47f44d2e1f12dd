"""How the provider speaks to the user from the provider process: plain errors, and warnings on the resource.

Errors. Pulumi's Python dynamic-provider server (`python -m pulumi.dynamic`) turns any exception from a provider
method into the gRPC error text `traceback.format_exc()`, and the CLI prints that text as the resource's
error. For an error that is ours to explain (a `ProviderError`, whose message already names the operation,
the cause and the fix) the frames are noise in front of a user. So, inside the provider process only, the
server's `traceback` name is given a stand-in whose `format_exc` returns just the message for those errors
and the full traceback for anything else (a failure outside the provider's own methods, such as in the
SDK, which deserves its frames).

This touches nothing unless the running `__main__` is Pulumi's dynamic-provider server, and it leaves the
server unchanged if its shape ever differs from what is expected.

Warnings. A dynamic provider has no API for diagnostics (`pulumi.log` works only in the program), and what it
prints shows as a plain line under the stack. But the engine starts every provider plugin with the address of
its own gRPC service as the first argument, and that service's `Log` call attaches a message to a resource,
as native providers' warnings are. `warn` sends one there, with the URN of the resource whose call is being
served: the SDK's server holds it in its handler's `request` (`CheckRequest.urn`, `DiffRequest.urn`...), a few
frames up the calling thread's stack. Where either is missing (a test driving the server by hand), the warning
is printed instead, so it is never lost. Tests pin both facts of the SDK, so an upgrade that changes them
fails loudly.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import FrameType, ModuleType
from typing import Any


class _TracebackForUsers:
    """Stands in for the `traceback` module inside the provider server."""

    def __init__(self, plain_errors: tuple[type[BaseException], ...]) -> None:
        self._plain_errors = plain_errors

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, self._plain_errors):
            return str(error)
        return traceback.format_exc(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)


def show_plain_errors(*plain_errors: type[BaseException]) -> bool:
    """Install the stand-in in the running provider server; True when it was installed."""
    server = sys.modules.get("__main__")
    if not _is_provider_server(server):
        return False
    assert server is not None
    current = getattr(server, "traceback", None)
    if isinstance(current, _TracebackForUsers):
        return True
    server.traceback = _TracebackForUsers(plain_errors)  # type: ignore[attr-defined]
    return True


def _is_provider_server(module: ModuleType | None) -> bool:
    return (
        module is not None
        and hasattr(module, "DynamicResourceProviderServicer")
        and getattr(module, "traceback", None) is not None
        and hasattr(module, "_abort_with_traceback")
    )


# -- warnings on the resource ------------------------------------------------------------------------------
_engine_lock = threading.Lock()
_engine: Any = None  # the engine's Log stub, made on first use; False when there is no engine to talk to


def warn(message: str) -> None:
    """Show `message` as a warning on the resource whose call the provider is serving (preview and up)."""
    _log("warning", message)


def inform(message: str) -> None:
    """Show `message` as information on the resource whose call the provider is serving."""
    _log("info", message)


def _log(severity: str, message: str) -> None:
    stub = _engine_stub()
    urn = current_urn()
    if stub and urn:
        from pulumi.runtime.proto import engine_pb2

        level = engine_pb2.WARNING if severity == "warning" else engine_pb2.INFO
        try:
            stub.Log(engine_pb2.LogRequest(severity=level, message=message, urn=urn), timeout=10)
            return
        except Exception:  # noqa: BLE001 - the engine went away: say it the only other way there is
            pass
    print(f"{severity}: {message}" if severity == "warning" else message)


def current_urn() -> str:
    """The URN of the resource whose gRPC call this thread is serving ('' outside such a call)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        urn = getattr(request, "urn", None)
        if isinstance(urn, str) and urn:
            return urn
        frame = frame.f_back
    return ""


def _engine_stub() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _connect_to_engine()
        return _engine


def _connect_to_engine() -> Any:
    """A stub for the engine's `Log`, when this process is a provider plugin the engine started."""
    if not _is_provider_server(sys.modules.get("__main__")) or len(sys.argv) < 2 or ":" not in sys.argv[1]:
        return False
    import grpc
    from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
    from pulumi.runtime.proto import engine_pb2_grpc

    return engine_pb2_grpc.EngineStub(grpc.insecure_channel(sys.argv[1], options=_GRPC_CHANNEL_OPTIONS))
