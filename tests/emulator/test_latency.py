"""`--latency` and `/__emulator/latency`: every `/v1` request waits as it would at the real API's speed, control
requests never do, and the emulator counts how many requests a client keeps in flight."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
import requests

from tests.emulator.test_http import _non_loopback_address
from tests.support.emulator import REPO_ROOT, Emulator

AUTH = ("dev-key", "dev-secret")


def timed_get(url: str) -> float:
    started = time.perf_counter()
    assert requests.get(url, auth=AUTH, timeout=30).status_code == 200
    return time.perf_counter() - started


def test_a_fixed_latency_delays_every_api_request_and_no_control_request(launch: Callable[..., Emulator]) -> None:
    emulator = launch("--latency", "0.4")
    assert min(timed_get(emulator.base_url + "/groups") for _ in range(3)) >= 0.4
    started = time.perf_counter()
    assert emulator.latency()["latency"] == "0.4"
    emulator.requests()
    assert time.perf_counter() - started < 0.4  # two control requests, neither delayed


def test_a_jittered_latency_stays_in_its_range(launch: Callable[..., Emulator]) -> None:
    emulator = launch("--latency", "0.1-0.3")
    waits = [timed_get(emulator.base_url + "/groups") for _ in range(6)]
    assert min(waits) >= 0.1, waits
    assert emulator.latency()["latency"] == "0.1-0.3"


def test_the_control_endpoint_changes_it_and_counts_the_peak_in_flight(launch: Callable[..., Emulator]) -> None:
    emulator = launch()
    assert emulator.latency() == {"latency": "0", "in_flight": 0, "peak_in_flight": 0, "busy_s": 0, "request_s": 0}
    assert timed_get(emulator.base_url + "/groups") < 0.5
    assert emulator.set_latency("1") == {"latency": "1", "in_flight": 0, "peak_in_flight": 0, "busy_s": 0,
                                         "request_s": 0}
    start = threading.Barrier(6)

    def get() -> None:
        start.wait()
        timed_get(emulator.base_url + "/groups")

    threads = [threading.Thread(target=get) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Six requests sent at once, each held a second: all six were in flight together, six on average.
    report = emulator.latency()
    assert (report["latency"], report["in_flight"], report["peak_in_flight"]) == ("1", 0, 6)
    assert report["request_s"] >= 6 and 1 <= report["busy_s"] < report["request_s"] / 3
    emulator.set_latency("0")
    assert timed_get(emulator.base_url + "/groups") < 0.5
    assert emulator.latency()["peak_in_flight"] == 1


@pytest.mark.parametrize("body", [{"latency": "fast"}, {"latency": "0.3-0.1"}, {"latency": "61"}, {},
                                  {"latency": True}])
def test_bad_latency_settings_are_400s_that_say_what_to_send(launch: Callable[..., Emulator], body: dict) -> None:
    emulator = launch()
    reply = requests.post(emulator.root_url + "/__emulator/latency", json=body, timeout=5)
    assert reply.status_code == 400 and reply.json()["code"] == "InvalidInput"
    assert "0.2" in reply.json()["message"]
    assert emulator.latency()["latency"] == "0"


def test_bad_latency_flags_exit_with_a_usage_message() -> None:
    for value in ("slow", "-1", "0.3-0.1", "100"):
        result = subprocess.run([sys.executable, "-m", "fivetran_emulator", "--latency", value], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=10)
        assert result.returncode == 2, value
        assert "--latency" in result.stderr and "LOW-HIGH" in result.stderr


def test_the_latency_endpoint_answers_only_on_loopback(launch: Callable[..., Emulator]) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    emulator = launch("--host", "0.0.0.0")
    port = emulator.base_url.rsplit(":", 1)[1].removesuffix("/v1")
    remote = requests.post(f"http://{address}:{port}/__emulator/latency", json={"latency": "5"}, timeout=5)
    assert remote.status_code == 403 and remote.json()["code"] == "Forbidden"
    assert requests.get(f"http://127.0.0.1:{port}/__emulator/latency", timeout=5).json()["latency"] == "0"
