"""How many calls the provider process serves at once: as many as the engine sends, not four.

The engine sends up to `--parallel` resource operations at a time (its default is 4 per CPU: 8 on a 2-core CI
runner), and a refresh or a `preview` with drift detection reads every connection, each read waiting on
Fivetran for a hundred milliseconds or more. Pulumi's Python dynamic-provider server (`python -m
pulumi.dynamic`, the SDK's `pulumi/dynamic/__main__.py`) serves its gRPC calls from
`grpc.server(futures.ThreadPoolExecutor(max_workers=4))`: at most four at once, whatever `--parallel` says, so
a preview of many connections waits on four requests at a time.

The SDK offers no setting for it, and the executor is a local of the server's `main()`. But the provider's
own module is imported by one of that executor's worker threads (the server unpickles the provider inside a
call), and a `ThreadPoolExecutor` worker holds a weak reference to its executor as the first argument of its
thread. So, inside the provider process only, the executor's worker limit is raised to `SERVER_WORKERS`, and
the new workers are started at once (the executor starts a worker per submitted call only when it counts no
idle one, and it counts every finished call as idle, so a saturated pool would never grow by itself). That
is all: calls are still queued and served by the SDK's own code. The engine's `--parallel` stays the limit
that matters (a call the engine has not sent cannot be served), so `SERVER_WORKERS` only needs to be at least
the `--parallel` a user runs with.

Like `diagnostics.show_plain_errors`, this touches nothing unless the running `__main__` is the SDK's
provider server and the calling thread is a worker of a `ThreadPoolExecutor` shaped as expected; otherwise it
leaves the server unchanged and says so by returning False. `tests/test_server_threads.py` pins every fact
of the SDK and of `concurrent.futures` this relies on, against the real server, so an upgrade that changes
one fails loudly.

What the higher concurrency asks of the provider: one `FivetranClient` shared by all threads (a lock around
its session, counters and redaction; `requests`' connection pool sized for it), the create throttle and the
request limit behind their own locks, and the provider's own per-run state (the adopted set, the group
listings) behind locks. `tests/reliability/test_concurrency.py` drives one provider from many threads.
"""

from __future__ import annotations

import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import thread as executor_threads

from .diagnostics import _is_provider_server

# Enough for the engine's default `--parallel` (4 per CPU) on a machine of up to 16 CPUs; idle workers cost
# a blocked thread each.
SERVER_WORKERS = 64
_lock = threading.Lock()


def serve_calls_in_parallel(workers: int = SERVER_WORKERS) -> bool:
    """Let the SDK's provider server serve up to `workers` calls at once; True when it now does."""
    if not _is_provider_server(sys.modules.get("__main__")):
        return False
    executor = _executor_of(threading.current_thread())
    if executor is None:
        return False
    with _lock:
        if executor._max_workers >= workers:
            return True
        executor._max_workers = workers
        # Start the new workers now: each `_adjust_thread_count` uses up the count of one finished call (a few
        # calls were served before this import) or starts a worker. The bound only guards against a surprise.
        for _ in range(100 * workers):
            if len(executor._threads) >= workers:
                break
            executor._adjust_thread_count()
    return len(executor._threads) >= workers


def _executor_of(thread: threading.Thread) -> ThreadPoolExecutor | None:
    """The `ThreadPoolExecutor` whose worker `thread` is, when its shape is the one this relies on."""
    if getattr(thread, "_target", None) is not executor_threads._worker:
        return None
    args = getattr(thread, "_args", ())
    reference = args[0] if args else None
    executor = reference() if isinstance(reference, weakref.ReferenceType) else None
    if not isinstance(executor, ThreadPoolExecutor):
        return None
    shaped = (isinstance(getattr(executor, "_max_workers", None), int)
              and isinstance(getattr(executor, "_threads", None), set)
              and callable(getattr(executor, "_adjust_thread_count", None)))
    return executor if shaped else None
