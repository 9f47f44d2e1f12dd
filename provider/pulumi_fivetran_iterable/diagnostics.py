"""Show the user our error message, not a Python traceback.

Pulumi's Python dynamic-provider server (`python -m pulumi.dynamic`) turns any exception from a provider
method into the gRPC error text `traceback.format_exc()`, and the CLI prints that text as the resource's
error. For an error that is ours to explain (a `ProviderError`, whose message already names the operation,
the cause and the fix) the frames are noise in front of a user. So, inside the provider process only, the
server's `traceback` name is given a stand-in whose `format_exc` returns just the message for those errors
and the full traceback for anything else (a failure outside the provider's own methods, such as in the
SDK, which deserves its frames).

This touches nothing unless the running `__main__` is Pulumi's dynamic-provider server, and it leaves the
server unchanged if its shape ever differs from what is expected.
"""

from __future__ import annotations

import sys
import traceback
from types import ModuleType
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
