"""Fixtures for the emulator's own tests: an authenticated `requests` client and dedicated processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.support.emulator import Emulator, start_emulator

GROUP = "warehouse_main"
OTHER_GROUP = "warehouse_eu"
GOOD_KEY = "itk_live_0123456789abcdef"


class Api:
    """A thin `requests` client of the emulated `/v1` API with the emulator's credentials."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.base_url = emulator.base_url
        self.auth = (emulator.api_key, emulator.api_secret)

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        """Send one request; `body` goes out as JSON. Extra kwargs go to `requests.request`."""
        kwargs.setdefault("auth", self.auth)
        kwargs.setdefault("timeout", 10)
        if body is not None:
            kwargs["json"] = body
        return requests.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, schema: str = "iterable_prod", group_id: str = GROUP, **fields: Any) -> dict[str, Any]:
        """Create a connection (config keys via `config=`); asserts 201 and returns its `data`."""
        config = {"schema": schema, "api_key": GOOD_KEY, **fields.pop("config", {})}
        response = self.post("/connections", {"service": "iterable", "group_id": group_id, "config": config, **fields})
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


def create_body(schema: str = "iterable_prod", group_id: str = GROUP, **fields: Any) -> dict[str, Any]:
    """A valid create request body for an Iterable connection."""
    config = {"schema": schema, "api_key": GOOD_KEY, **fields.pop("config", {})}
    return {"service": "iterable", "group_id": group_id, "config": config, **fields}


@pytest.fixture
def api(emulator: Emulator) -> Api:
    """A client of the session's (reset) emulator."""
    return Api(emulator)


@pytest.fixture
def launch() -> Iterator[Callable[..., Emulator]]:
    """Start dedicated emulator processes with extra flags; every one is stopped after the test."""
    started: list[Emulator] = []

    def start(*args: str) -> Emulator:
        emulator = start_emulator(*args)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
