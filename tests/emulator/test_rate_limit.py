"""The connection-creation rate limit: 429 with Retry-After over COUNT creations per rolling window."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.emulator.conftest import Api, create_body
from tests.support.emulator import Emulator


def test_creations_over_the_limit_get_429_until_the_window_moves(launch: Callable[..., Emulator]) -> None:
    api = Api(launch("--group", "warehouse_main", "--create-limit", "2/1"))
    assert api.post("/connections", create_body("one")).status_code == 201
    assert api.post("/connections", create_body("one")).status_code == 409  # failures do not count
    assert api.post("/connections", create_body("two")).status_code == 201
    limited = api.post("/connections", create_body("three"))
    assert limited.status_code == 429
    assert limited.json() == {
        "code": "TooManyRequests",
        "message": "No more than 2 connections can be created in 1 seconds",
    }
    assert limited.headers["Retry-After"] == "1"
    assert "X-Rate-Limit-Remaining" in limited.headers
    assert api.get("/connections").status_code == 200  # only creation is limited
    time.sleep(int(limited.headers["Retry-After"]))
    assert api.post("/connections", create_body("three")).status_code == 201


def test_the_default_limit_is_20_per_60_seconds_and_retry_after_counts_down(launch: Callable[..., Emulator]) -> None:
    api = Api(launch("--group", "warehouse_main"))
    for n in range(20):
        assert api.post("/connections", create_body(f"s{n}")).status_code == 201
    limited = api.post("/connections", create_body("s20"))
    assert limited.status_code == 429
    assert limited.json()["message"] == "No more than 20 connections can be created in 60 seconds"
    assert 59 <= int(limited.headers["Retry-After"]) <= 60


def test_reset_forgets_the_creation_history(launch: Callable[..., Emulator]) -> None:
    emulator = launch("--group", "warehouse_main", "--create-limit", "1/60")
    api = Api(emulator)
    assert api.post("/connections", create_body("first")).status_code == 201
    assert api.post("/connections", create_body("second")).status_code == 429
    emulator.reset()
    assert api.post("/connections", create_body("second")).status_code == 201
