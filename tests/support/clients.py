"""What the client's tests share: a client on the test emulator whose retries sleep for no wall time, and a
connection body to create with it. The fixtures `sleeps` and `client` built on these are in `tests/conftest.py`."""

from __future__ import annotations

from typing import Any

from pulumi_fivetran_iterable.client import FivetranClient, FivetranCredentials, RetryPolicy

from tests.support.emulator import Emulator

GROUP = "warehouse_main"
ITERABLE_KEY = "itk_live_7f3a9c2e5b1d4f608a"


class Sleeps(list[float]):
    """An injected sleep that records the waits it was asked for and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def policy(sleeps: Sleeps | None = None, **options: Any) -> RetryPolicy:
    """A retry policy for tests: no real sleeping, no jitter (waits are the backoff ceiling), short timeouts."""
    settings: dict[str, Any] = {"connect_timeout_s": 2.0, "read_timeout_s": 5.0, "jitter": lambda: 1.0}
    settings.update(options)
    return RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps(), **settings)


def make_client(emulator: Emulator, *, secret: str | None = None, **options: Any) -> FivetranClient:
    credentials = FivetranCredentials(emulator.api_key, secret or emulator.api_secret, emulator.base_url)
    options.setdefault("retry", policy())
    options.setdefault("create_throttle", None)
    return FivetranClient(credentials, **options)


def connection_body(schema: str, group_id: str = GROUP, api_key: str = ITERABLE_KEY, **fields: Any) -> dict[str, Any]:
    return {
        "service": "iterable",
        "group_id": group_id,
        "paused": True,
        "run_setup_tests": False,
        "config": {"schema": schema, "api_key": api_key, "account_region": "US"},
        **fields,
    }


def statuses(emulator: Emulator, method: str) -> list[int]:
    return [r["status"] for r in emulator.requests() if r["method"] == method]
