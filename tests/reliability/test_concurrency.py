"""Concurrency: many connections in one `pulumi up` (the engine runs resource steps in
parallel and the provider server serves them all at once with one provider instance), and one provider
instance driven from 8 threads directly: no lost update, no duplicate, thread-safe provider state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.record import CONCURRENCY, scenario
from tests.reliability.support import PROVIDER_STRING, assert_stack_matches, declared, provider_for, stack_project
from tests.support.emulator import Emulator
from tests.support.engine import EngineStandIn
from tests.support.stack import connection

MANY = 25


@pytest.mark.cli
def test_many_connections_in_one_up(tmp_path: Path, emulator: Emulator) -> None:
    names = [f"conn{n:02d}" for n in range(MANY)]
    project = stack_project(tmp_path, emulator, names)

    with scenario(CONCURRENCY, f"cli: one up creating {MANY} connections") as sc:
        project.up("--skip-preview").check()
        resources = assert_stack_matches(project, emulator, sc, {n: {"sync_frequency": 360} for n in names})
        exported = project.outputs()["connections"]
        assert {name: entry["id"] for name, entry in exported.items()} == {
            name: resource["id"] for name, resource in resources.items()}
        assert len({resource["id"] for resource in resources.values()}) == MANY

    with scenario(CONCURRENCY, f"cli: one up updating {MANY} connections (no lost update)") as sc:
        # Every connection gets its own settings, so a write landing on the wrong one would show.
        frequencies = (15, 30, 60, 120, 180)
        wanted = {name: {"sync_frequency": frequencies[n % 5], "paused": n % 2 == 0} for n, name in enumerate(names)}
        project.declare([connection(name, **values) for name, values in wanted.items()])
        project.up("--skip-preview").check()
        patches = [r for r in emulator.requests() if r["method"] == "PATCH"]
        assert len(patches) == MANY and all(r["status"] == 200 for r in patches)
        assert_stack_matches(project, emulator, sc, wanted)

    with scenario(CONCURRENCY, f"cli: destroy of {MANY} connections") as sc:
        project.run("destroy", "--yes", "--skip-preview").check()
        assert_stack_matches(project, emulator, sc, {})


def test_one_provider_instance_from_eight_threads(emulator: Emulator) -> None:
    """Eight threads start at once on a fresh provider (the client is created on first use), each creating,
    reading, updating, reading again and deleting its own five connections."""
    threads, per_thread = 8, 5
    with scenario(CONCURRENCY, f"provider: one instance, {threads} threads x {per_thread} connection lifecycles") as sc:
        provider = provider_for(emulator)
        start = threading.Barrier(threads)
        clients: set[int] = set()
        ids: dict[str, str] = {}
        lock = threading.Lock()

        def worker(t: int) -> None:
            start.wait()
            for n in range(per_thread):
                schema = f"iterable_t{t}_{n}"
                props = {**provider.check({}, declared(schema)).inputs, "__provider": PROVIDER_STRING}
                created = provider.create(props)
                with lock:
                    clients.add(id(provider.client))
                    ids[schema] = created.id
                outs = {**created.outs, "__provider": PROVIDER_STRING}
                assert provider.read(created.id, outs).outs["schema"] == schema
                news = {**provider.check(props, declared(schema, sync_frequency=60 if n % 2 else 120,
                                                          paused=bool(t % 2))).inputs,
                        "__provider": PROVIDER_STRING}
                updated = provider.update(created.id, outs, news)
                read = provider.read(created.id, {**updated.outs, "__provider": PROVIDER_STRING})
                assert read.outs["connection_id"] == created.id and read.outs["schema"] == schema
                assert read.outs["sync_frequency"] == news["sync_frequency"]
                assert read.outs["paused"] == news["paused"]
                if n < per_thread - 1:  # keep the last of each thread, to audit
                    provider.delete(created.id, read.outs)
                    with lock:
                        del ids[schema]

        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(worker, t) for t in range(threads)]:
                future.result()
        sc.notes["requests"] = provider.client.request_count
        assert len(clients) == 1, "the provider made more than one client"
        assert provider.client.request_count == len(emulator.requests()), "requests were miscounted"
        live = sc.audit(emulator, ids.values())
        for item in live:
            t, n = (int(x) for x in item["schema"].removeprefix("iterable_t").split("_"))
            assert ids[item["schema"]] == item["id"]
            assert item["sync_frequency"] == (60 if n % 2 else 120) and item["paused"] == bool(t % 2)


@pytest.fixture
def engine(emulator: Emulator) -> Iterator[EngineStandIn]:
    config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
              "fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": "0"}
    with EngineStandIn.start(config) as stand_in:
        yield stand_in


def test_provider_server_under_parallel_grpc_calls(engine: EngineStandIn, emulator: Emulator) -> None:
    """The real `python -m pulumi.dynamic` server (one provider instance, serving every call at once) receiving
    creates, then updates, from 8 callers at once, as the engine does with `--parallel`."""
    count = 24
    with scenario(CONCURRENCY, f"grpc: {count} creates then {count} updates from 8 callers") as sc:
        def program(n: int, **settings: Any) -> dict[str, Any]:
            config = {"schema": f"iterable_grpc_{n:02d}", "api_key": f"itbl-grpc-{n:02d}"}
            return {"group_id": "warehouse_main", "config": config, **settings}

        def create(n: int) -> tuple[int, str, dict[str, Any], dict[str, Any]]:
            checked = engine.check(f"c{n}", {}, program(n))
            assert checked.failures == []
            id_, outs = engine.create(f"c{n}", checked.inputs)
            return n, id_, outs, checked.inputs

        with ThreadPoolExecutor(8) as pool:
            created = list(pool.map(create, range(count)))

        def update(item: tuple[int, str, dict[str, Any], dict[str, Any]]) -> tuple[str, dict[str, Any]]:
            n, id_, outs, inputs = item
            checked = engine.check(f"c{n}", inputs, program(n, sync_frequency=(15, 30, 60)[n % 3]))
            return id_, engine.update(f"c{n}", id_, outs, checked.inputs, inputs)

        with ThreadPoolExecutor(8) as pool:
            updated = dict(pool.map(update, created))
        live = {c["id"]: c for c in sc.audit(emulator, updated)}
        for n, id_, _, _ in created:
            assert live[id_]["schema"] == f"iterable_grpc_{n:02d}"
            assert live[id_]["sync_frequency"] == updated[id_]["sync_frequency"] == (15, 30, 60)[n % 3]
