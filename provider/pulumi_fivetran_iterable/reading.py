"""What a refresh reads of one connection, with the requests that do not wait on each other sent together.

A read is the connection and, when the program declares a schema config, what Fivetran holds of it. The
connection's GET (or its group's list, `group_listing`) and the schema config's GET need nothing from each
other, so they go out at once, the schema config's on a side thread; the column lists a declared column may
need wait for the schema config's answer, then go out together. A read so takes one round trip (two with
such columns) instead of two (three or more): at Fivetran's hundred milliseconds or more per request, that
is most of a refresh's time.

Side requests run on a pool of their own, never on the provider server's threads, and never wait on each
other (only the thread serving the read waits on them), so they cannot deadlock however many reads are in
flight; the engine's `--parallel` bounds the reads, and each read has at most its own few requests out.

Nothing here knows about Pulumi.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from . import operations
from .client import FivetranClient
from .group_listing import GroupListings
from .schema_operations import live_schema_config, read_schema_config

T = TypeVar("T")


@dataclass(frozen=True)
class Read:
    """Fivetran's view of the connection (None: it no longer exists) and of its declared schema config."""

    connection: dict[str, Any] | None
    schema_config: dict[str, Any] | None


class SideRequests:
    """The threads a read's side requests run on: started as needed, up to `workers`, shared by the process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor().submit(function, *args)

    def together(self, function: Callable[[str], T], items: list[str]) -> list[T]:
        """`function` over `items`, side by side; the results in order (the first failure raised)."""
        if len(items) < 2:
            return [function(item) for item in items]
        return list(self._executor().map(function, items))

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="fivetran-read")
            return self._pool


def read_connection(client: FivetranClient, connection_id: str, group_id: str | None,
                    declared_schema_config: Mapping[str, Any] | None, side: SideRequests,
                    listings: GroupListings | None = None) -> Read:
    """Read the connection (from its group's list when `listings` is given) and, when declared, its schema
    config, the independent requests at once."""
    schema = side.submit(live_schema_config, client, connection_id) if declared_schema_config is not None else None
    try:
        if listings is not None:
            data = listings.read(client, group_id, connection_id)
        else:
            data = operations.read(client, connection_id)
    except BaseException:
        _settle(schema)
        raise
    if data is None:
        _settle(schema)  # a gone connection has no schema config: whatever that answer was, it means nothing
        return Read(None, None)
    if schema is None or declared_schema_config is None:
        return Read(data, None)
    held = read_schema_config(client, connection_id, declared_schema_config, schema.result(), side.together)
    return Read(data, held)


def _settle(future: Future[Any] | None) -> None:
    """Wait for a side request the read no longer needs, so none of its requests outlives it."""
    if future is not None:
        concurrent.futures.wait([future])
