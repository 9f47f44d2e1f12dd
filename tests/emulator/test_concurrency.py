"""Parallel requests: one winner per schema, unique ids, no lost updates."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.emulator.conftest import Api, create_body


def in_parallel(count: int, work: Any) -> list[Any]:
    """Run `work(i)` for i in range(count) on `count` threads released together."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_parallel_creates_of_one_schema_have_exactly_one_winner(api: Api) -> None:
    responses = in_parallel(20, lambda i: api.post("/connections", create_body("contested")))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert len(api.get("/connections", params={"schema": "contested"}).json()["data"]["items"]) == 1


def test_parallel_creates_of_distinct_schemas_get_distinct_ids(api: Api) -> None:
    responses = in_parallel(50, lambda i: api.post("/connections", create_body(f"distinct_{i}")))
    assert all(r.status_code == 201 for r in responses)
    ids = {r.json()["data"]["id"] for r in responses}
    assert len(ids) == 50
    assert {c["id"] for c in api.emulator.connections()} == ids


def test_parallel_patches_of_different_fields_lose_nothing(api: Api) -> None:
    created = api.create("contended")
    changes: list[dict[str, Any]] = [
        {"config": {"account_region": "EU"}},
        {"config": {"events": ["emailOpen"]}},
        {"config": {"custom_events": ["signup"]}},
        {"config": {"custom_event_sync_mode": "NoEvents"}},
        {"config": {"historical_sync_limit_date": "2023-05-01"}},
        {"config": {"historic_sync_time_frame": "ONE_YEAR"}},
        {"config": {"webhook_auth_type": "Basic"}},
        {"paused": True},
        {"sync_frequency": 60},
        {"schedule_type": "manual"},
        {"data_delay_threshold": 45},
        {"private_link_id": "link_1"},
    ]
    for _ in range(3):
        responses = in_parallel(
            len(changes), lambda i: api.patch(f"/connections/{created['id']}", {**changes[i], "run_setup_tests": False})
        )
        assert all(r.status_code == 200 for r in responses)
    data = api.get(f"/connections/{created['id']}").json()["data"]
    config = data["config"]
    assert (config["account_region"], config["events"], config["custom_events"]) == ("EU", ["emailOpen"], ["signup"])
    assert (config["custom_event_sync_mode"], config["historical_sync_limit_date"]) == ("NoEvents", "2023-05-01")
    assert (config["historic_sync_time_frame"], config["webhook_auth_type"]) == ("ONE_YEAR", "Basic")
    assert (data["paused"], data["sync_frequency"], data["schedule_type"]) == (True, 60, "manual")
    assert (data["data_delay_threshold"], data["private_link_id"]) == (45, "link_1")
