"""The provider process serves as many calls at once as the engine sends (`server_threads`), and the facts of the
SDK's provider server and of `concurrent.futures` that this relies on, pinned against the real server
(`python -m pulumi.dynamic`, started as the CLI starts it) so that an upgrade that changes one fails here.

Each read waits at a gate until a given number of reads are in flight together (`tests/support/gate.py`): it
passes only when the server serves that many calls at once, whatever the machine's speed.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from pulumi_fivetran_iterable import server_threads
from pulumi_fivetran_iterable.server_threads import SERVER_WORKERS, serve_calls_in_parallel

from tests.support.engine import EngineStandIn
from tests.support.gate import PlainGatedProvider
from tests.support.gate_ours import GatedConnectionProvider

SDK_WORKERS = 4  # what the SDK's server serves at once, by itself


def read_together(engine: EngineStandIn, count: int) -> list[BaseException | dict]:
    """`count` Read calls sent at once, as the engine's `--parallel` does; each one's outputs or its error."""
    outputs = {"__provider": engine.provider_string}

    def read(n: int) -> BaseException | dict:
        try:
            return engine.read(f"c{n}", f"id{n}", outputs, {})[1]
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(count) as callers:
        return list(callers.map(read, range(count)))


@pytest.fixture
def start() -> Iterator:
    started: list[EngineStandIn] = []

    def start_with(provider: object, parties: int, timeout_s: float) -> EngineStandIn:
        env = {"GATE_PARTIES": str(parties), "GATE_TIMEOUT_S": str(timeout_s)}
        engine = EngineStandIn.start({}, env=env, provider=provider)  # type: ignore[arg-type]
        started.append(engine)
        return engine

    yield start_with
    for engine in started:
        engine.stop()


def test_the_provider_server_serves_sixteen_reads_at_once(start) -> None:
    engine = start(GatedConnectionProvider(), parties=16, timeout_s=60)
    replies = read_together(engine, 16)
    failures = [reply for reply in replies if isinstance(reply, BaseException)]
    assert not failures, ("the provider server did not serve 16 calls at once: the SDK's server or "
                          f"concurrent.futures changed shape (see server_threads.py): {failures[0]}")
    # Its workers were started at once, not one per call.
    assert all(reply["threads"] >= SERVER_WORKERS for reply in replies)  # type: ignore[index]


def test_by_itself_the_sdk_server_serves_four_calls_at_once(start) -> None:
    """Positive control: the limit `server_threads` lifts. If an SDK upgrade serves more calls by itself, this
    fails; the workaround may then go."""
    engine = start(PlainGatedProvider(), parties=SDK_WORKERS + 1, timeout_s=3)
    replies = read_together(engine, SDK_WORKERS + 1)
    assert all(isinstance(reply, grpc.RpcError) and "BrokenBarrierError" in reply.details()  # type: ignore[union-attr]
               for reply in replies), replies
    engine = start(PlainGatedProvider(), parties=SDK_WORKERS, timeout_s=30)
    assert not [reply for reply in read_together(engine, SDK_WORKERS) if isinstance(reply, BaseException)]


def test_the_sdk_server_source_still_makes_its_pool_as_expected() -> None:
    """The shape `server_threads` expects of `pulumi/dynamic/__main__.py`, read (importing it would run it)."""
    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.submodule_search_locations
    source = (Path(next(iter(spec.submodule_search_locations))) / "__main__.py").read_text()
    assert "futures.ThreadPoolExecutor(max_workers=4)" in source
    assert "def get_provider(" in source and "dill.loads" in source  # the provider is unpickled inside a call


def test_outside_the_provider_server_nothing_changes() -> None:
    """In a program, or a test, `__main__` is not the SDK's server: nothing is touched."""
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(serve_calls_in_parallel).result() is False
        assert pool._max_workers == 1


def test_a_thread_that_is_no_pool_worker_is_left_alone() -> None:
    assert server_threads._executor_of(threading.current_thread()) is None
    found: list[object] = []
    with ThreadPoolExecutor(2) as pool:
        pool.submit(lambda: found.append(server_threads._executor_of(threading.current_thread()))).result()
        assert found == [pool]


def test_raising_the_limit_starts_the_workers_even_while_every_worker_is_busy(monkeypatch) -> None:
    """The executor counts each finished call as an idle worker, so a busy pool never grows by itself: the
    workers must be started when the limit is raised. Driven with a pool shaped like the server's."""
    monkeypatch.setattr(server_threads, "_is_provider_server", lambda module: True)
    pool = futures.ThreadPoolExecutor(max_workers=4)
    gate = threading.Barrier(12, timeout=30)
    try:
        for _ in range(3):  # finished calls: counted as idle workers
            pool.submit(lambda: None).result()
        raised = pool.submit(serve_calls_in_parallel, 12)
        assert raised.result() is True and len(pool._threads) >= 12
        waiting = [pool.submit(gate.wait) for _ in range(12)]
        assert all(isinstance(w.result(timeout=30), int) for w in waiting)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
