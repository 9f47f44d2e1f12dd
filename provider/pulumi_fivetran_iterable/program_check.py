"""Every problem of every connection a program declares, in one `pulumi preview`.

The engine ends a deployment at the first resource whose provider check fails: it shows that resource's problems,
and the program's other registrations end with "Resource monitor has terminated" (pulumi/pulumi,
pkg/resource/deploy/step_generator.go, `generateSteps`: `return nil, false, result.BailErrorf("resource %s is
invalid", urn)`). Which resource that is depends on the order its registrations arrive in, so a program with
three invalid connections needed three previews, each showing a different one.

So `IterableConnection` judges its inputs where the program declares it, with the provider's own rules
(`validation.check_inputs`), on the values the program holds. A connection with problems logs each one on its
resource, worded as the engine words a failed check; then, on the program's first turn of its event loop after
its code ran (before any of its registrations can reach the engine), the program stops with exit status 32,
Pulumi's "the program has shown its error". Every problem of every connection declared so far is shown, and
nothing was sent.

A value the program does not hold yet, an Output (another resource's output, a secret, anything made with
`apply`), is judged by the provider's check when the engine knows it: in `preview` when it is known then,
otherwise at `up`. For those, the engine's rule above holds: one resource per run.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
import weakref
from collections.abc import Mapping
from typing import Any

import pulumi

# Pulumi's language hosts read this exit status as "the program has already shown its error" and add nothing.
EXIT_ERROR_SHOWN = 32
_PLAIN = (str, int, float, bool, type(None))
_NOT_HELD = object()  # stands for a value the program does not hold where it declares the connection


class InvalidConnections(SystemExit):
    """The program declared connections with problems, each already shown on its resource: the program ends."""

    def __init__(self, summary: str) -> None:
        super().__init__(EXIT_ERROR_SHOWN)
        self.summary = summary

    def __str__(self) -> str:
        return self.summary


# Per event loop (one per program run): how many problems, in how many connections, were shown.
_shown: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[int]] = weakref.WeakKeyDictionary()


def check_declared(resource_type: str, name: str, props: Mapping[str, Any],
                   opts: pulumi.ResourceOptions | None) -> None:
    """Show every problem the program's own values reveal in one connection's inputs, and end the program once its
    code has run. A connection without problems costs one pass of the provider's rules."""
    from .validation import check_inputs

    _, errors = check_inputs(_held(props), _is_not_held)
    if not errors:
        return
    urn = _urn(resource_type, name, opts)
    for error in errors:
        _log_error(f"{resource_type} resource '{name}' has a problem: {error}", urn)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # declared outside a Pulumi program: nothing to wait for
        raise InvalidConnections(_summary(len(errors), 1)) from None
    counts = _shown.get(loop)
    if counts is None:
        counts = _shown[loop] = [0, 0]
        # After the program's code: the connections it declares meanwhile are judged first, and no registration
        # has reached the engine yet (each waits for the stack's own registration, a later turn at the earliest).
        loop.call_soon(_stop, loop)
    counts[0] += len(errors)
    counts[1] += 1


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    problems, connections = _shown.pop(loop, [0, 0])
    summary = _summary(problems, connections)
    _log_error(summary, "")
    # The SDK's registrations that never ran are coroutines nobody awaits: Python would warn about each on exit.
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
    raise InvalidConnections(summary)


def _summary(problems: int, connections: int) -> str:
    return (f"{problems} problem{'s' if problems != 1 else ''} in {connections} IterableConnection "
            f"resource{'s' if connections != 1 else ''}, each shown with its resource; nothing was changed")


def _held(value: Any) -> Any:
    """The inputs as the program holds them: a value it does not hold yet (an Output, also inside a list) is
    `_NOT_HELD`, which the rules treat as the provider treats a value unknown in preview."""
    if isinstance(value, Mapping):
        return {key: _held(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_held(item) for item in value]
    return value if isinstance(value, _PLAIN) else _NOT_HELD


def _is_not_held(value: Any) -> bool:
    return value is _NOT_HELD


def _urn(resource_type: str, name: str, opts: pulumi.ResourceOptions | None) -> str:
    """The URN the engine will give the resource, so its problems show with it; "" (the stack) under a parent of
    the program's own, whose type the URN would need (each message names the resource anyway)."""
    from pulumi.runtime.settings import get_root_resource

    parent = opts.parent if opts is not None else None
    if parent is not None and parent is not get_root_resource():
        return ""
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{resource_type}::{name}"


def _log_error(message: str, urn: str) -> None:
    """An error for the CLI, on the resource `urn` names, sent at once (`pulumi.log.error(resource=...)` would wait
    for the resource's registration, which never comes)."""
    from pulumi.runtime.proto import engine_pb2
    from pulumi.runtime.settings import get_engine

    engine = get_engine()
    if engine is None:
        print(f"error: {message}", file=sys.stderr)
        return
    engine.Log(engine_pb2.LogRequest(severity=engine_pb2.ERROR, message=message, urn=urn, streamId=0,
                                     ephemeral=False))
