"""Fivetran's account-wide request limit (`request_limit.py`): a run is told what it has used of the hour before
the account runs out, and a 429 on a read holds every thread back as a create's 429 does."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pulumi_fivetran_iterable.client import FivetranClient, RateLimitedError
from pulumi_fivetran_iterable.request_limit import RUN_SHARES, RequestLimit

from tests.support.clients import GROUP, Sleeps, connection_body, make_client, policy, statuses
from tests.support.emulator import Emulator
from tests.support.engine import EngineStandIn


def answers(limit: RequestLimit, count: int, hourly: int, remaining: int | None = None) -> list[str]:
    told = []
    for n in range(count):
        headers = {"X-Rate-Limit": str(hourly)}
        if remaining is not None:
            headers["X-Rate-Limit-Remaining"] = str(remaining - n)
        limit.record(headers)
        told += limit.notices()
    return told


def test_a_run_is_told_as_it_passes_each_share_of_the_hourly_limit() -> None:
    limit = RequestLimit()
    told = answers(limit, 60, hourly=100)
    assert len(told) == len(RUN_SHARES) == 4
    assert told[0].startswith("this run has sent 5 requests to the Fivetran API, 5% of the 100 the account may "
                              "send in a rolling hour") and "20 runs like this one within an hour" in told[0]
    assert "10%" in told[1] and "25%" in told[2] and "50 requests" in told[3] and "2 runs like this one" in told[3]
    assert all("--refresh=false" in notice and "fivetran:readByGroup" in notice for notice in told)
    assert answers(limit, 100, hourly=100) == []  # each said once


def test_without_headers_the_paid_plans_limit_counts() -> None:
    limit = RequestLimit()
    for _ in range(999):
        limit.record({})
    assert limit.notices() == []
    limit.record({})
    (notice,) = limit.notices()
    assert notice.startswith("this run has sent 1,000 requests") and "of the 20,000" in notice


def test_the_run_is_told_when_the_account_runs_low() -> None:
    low = answers(RequestLimit(), 3, hourly=20_000, remaining=4_001)
    assert len(low) == 1 and low[0].startswith("Fivetran says the account has 3,999 of its 20,000 API requests")
    # Less left than this run alone has sent: a second run like it would not fit.
    limit = RequestLimit()
    for _ in range(8_000):
        limit.record({"X-Rate-Limit": "20000", "X-Rate-Limit-Remaining": "15000"})
    limit.notices()
    limit.record({"X-Rate-Limit": "20000", "X-Rate-Limit-Remaining": "7999"})
    assert [n for n in limit.notices() if "has 7,999 of its 20,000" in n and "sent 8,001 so far" in n]


def test_a_hold_makes_everyone_wait_until_it_ends() -> None:
    now = [100.0]
    limit = RequestLimit(clock=lambda: now[0])
    assert limit.wait_s() == 0
    limit.hold(30)
    limit.hold(10)  # a shorter hold never shortens a longer one
    now[0] += 5
    assert limit.wait_s() == 25
    now[0] += 25
    assert limit.wait_s() == 0


# -- in the client, against the emulator --------------------------------------------------------------------------
def test_a_429_on_a_read_holds_the_next_read_back(emulator: Emulator, client: FivetranClient, sleeps: Sleeps) -> None:
    first = client.create_connection(connection_body("iterable_held_1"))["id"]
    second = client.create_connection(connection_body("iterable_held_2"))["id"]
    emulator.fault(method="GET", path=f"/connections/{first}$", status=429, count=1, retry_after=20)
    client.get_connection(first)
    assert sleeps == [20.0]  # it waited for its own 429 once
    client.get_connection(second)  # another thread's read, in the same hold: it waits too, instead of a 429 of its own
    assert len(sleeps) == 2 and 19 < sleeps[1] <= 20
    assert statuses(emulator, "GET") == [429, 200, 200]


def test_a_hold_longer_than_a_call_may_wait_fails_it_before_it_sends(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, budget_s=300.0))
    emulator.fault(method="GET", path="^/v1/groups/", status=429, count=1, retry_after=3600,
                   message="Max 20000 api calls allowed in one-hour rolling time period")
    with pytest.raises(RateLimitedError) as first:
        client.get_group(GROUP)
    assert "Max 20000 api calls" in str(first.value) and "request limit is used up" in str(first.value)
    before = len(emulator.requests())
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as second:
        client.list_groups()
    assert time.monotonic() - started < 1.0 and sleeps == [] and len(emulator.requests()) == before
    assert "answered 429 to another call of this run" in str(second.value) and "run again after" in str(second.value)
    assert second.value.retry_after is not None and second.value.retry_after > 3590


def test_a_creates_429_does_not_hold_reads(emulator: Emulator, client: FivetranClient, sleeps: Sleeps) -> None:
    """A create's 429 is the creation limit (the account still has calls): only creates wait."""
    emulator.fault(method="POST", path="^/v1/connections$", status=429, count=1, retry_after=2)
    created = client.create_connection(connection_body("iterable_create_429"))["id"]
    client.get_connection(created)
    assert sleeps == [2.0]


# -- what the user sees: a warning on the resource being served ------------------------------------------------
class LimitedApi:
    """A stand-in for Fivetran that says the account's limit is 20 requests an hour, 3 of them left, and serves
    one connection."""

    def __init__(self, connection: dict[str, Any]) -> None:
        body = json.dumps({"code": "Success", "data": connection}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Rate-Limit", "20")
                self.send_header("X-Rate-Limit-Remaining", "3")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_notice_reaches_the_engine_as_a_warning_on_the_resource(emulator: Emulator) -> None:
    with make_client(emulator) as setup:
        connection = setup.get_connection(setup.create_connection(connection_body("iterable_limited"))["id"])
    api = LimitedApi(connection)
    config = {"fivetran:apiKey": "k" * 8, "fivetran:apiSecret": "s" * 8, "fivetran:apiUrl": api.base_url}
    try:
        with EngineStandIn.start(config) as engine:
            outs = {"group_id": GROUP, "config": {"schema": "iterable_limited"}, "__provider": engine.provider_string}
            engine.read("limited", connection["id"], outs, {})
            engine.read("other", connection["id"], outs, {})
            first, second = engine.warnings("limited"), engine.warnings("other")
    finally:
        api.stop()
    assert [w for w in first if w.startswith("this run has sent 1 request to the Fivetran API, 5% of the 20 ")]
    assert [w for w in first if w.startswith("Fivetran says the account has 3 of its 20 API requests")]
    assert [w for w in second if w.startswith("this run has sent 2 requests to the Fivetran API, 10%")]
