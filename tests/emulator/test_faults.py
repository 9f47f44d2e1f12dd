"""Fault injection: error statuses, Retry-After, dropped connections, slow replies, after-commit failures."""

from __future__ import annotations

import time

import pytest
import requests

from tests.emulator.conftest import Api, create_body
from tests.support.emulator import Emulator


def wait_until_answered(emulator: Emulator, method: str, count: int = 1) -> None:
    """Wait for abandoned (timed-out) requests to finish server-side, so they cannot leak into later tests."""
    deadline = time.monotonic() + 5
    while sum(r["method"] == method for r in emulator.requests()) < count:
        assert time.monotonic() < deadline, emulator.requests()
        time.sleep(0.02)


def test_a_status_fault_fails_the_next_matching_requests_then_clears(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="GET", path="^/v1/groups$", status=503, count=2)
    for _ in range(2):
        failed = api.get("/groups")
        assert failed.status_code == 503
        assert failed.json()["code"] == "ServiceUnavailable"
        assert "X-Rate-Limit" in failed.headers
    assert api.get("/groups").status_code == 200
    assert api.get("/groups/warehouse_main").status_code == 200  # the regex did not match this path
    assert [r["status"] for r in emulator.requests()] == [503, 503, 200, 200]


def test_faults_match_method_and_path_regex(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="PATCH", path=r"^/v1/connections/[^/]+$", status=500)
    created = api.create("by_method")
    assert api.get(f"/connections/{created['id']}").status_code == 200
    failed = api.patch(f"/connections/{created['id']}", {"paused": True})
    assert (failed.status_code, failed.json()["code"]) == (500, "InternalServerError")
    assert api.get(f"/connections/{created['id']}").json()["data"]["paused"] is False  # nothing applied
    emulator.fault(method="*", path="connectors", status=502)
    assert api.get("/connectors").status_code == 502
    emulator.fault(path="connectors", status=504)  # no method: any
    assert api.delete("/connectors/x").status_code == 504


def test_a_429_fault_carries_retry_after(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=429, retry_after=7)
    response = api.post("/connections", create_body("throttled"))
    assert response.status_code == 429
    assert response.json()["code"] == "TooManyRequests"
    assert response.headers["Retry-After"] == "7"
    assert emulator.connections() == []


def test_code_and_message_can_be_scripted(api: Api, emulator: Emulator) -> None:
    emulator.fault(path="groups", status=409, code="Conflict", message="Optimistic lock conflict")
    assert api.get("/groups").json() == {"code": "Conflict", "message": "Optimistic lock conflict"}


def test_a_dropped_connection_sends_no_bytes(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        api.post("/connections", create_body("dropped"))
    assert emulator.connections() == []  # dropped before the work
    assert emulator.requests()[0] == {"method": "POST", "path": "/v1/connections", "query": "", "status": 0}
    assert api.post("/connections", create_body("dropped")).status_code == 201


def test_a_slow_reply_times_the_client_out(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="GET", path="^/v1/groups$", status=503, delay_s=0.5)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api.get("/groups", timeout=0.15)
    assert time.monotonic() - started < 0.45
    wait_until_answered(emulator, "GET")
    assert emulator.requests()[0]["status"] == 503


def test_a_delay_alone_sends_the_real_answer_late(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", delay_s=0.3)
    started = time.monotonic()
    response = api.post("/connections", create_body("late"))
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 201
    assert emulator.requests()[-1]["status"] == 201


def test_after_commit_the_work_is_done_although_the_reply_fails(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=500, after_commit=True)
    response = api.post("/connections", create_body("committed"))
    assert response.status_code == 500
    [stored] = emulator.connections()
    assert stored["schema"] == "committed"
    again = api.post("/connections", create_body("committed"))
    assert again.status_code == 409


def test_after_commit_with_a_dropped_reply(api: Api, emulator: Emulator) -> None:
    created = api.create("drop_after_commit")
    emulator.fault(method="DELETE", path="/connections/", drop_connection=True, after_commit=True)
    with pytest.raises(requests.ConnectionError):
        api.delete(f"/connections/{created['id']}")
    assert [r["status"] for r in emulator.requests() if r["method"] == "DELETE"] == [0]
    assert emulator.connections() == []
    emulator.fault(method="PATCH", path="/connections/", status=503, after_commit=True, delay_s=0.2)
    other = api.create("patch_after_commit")
    assert api.patch(f"/connections/{other['id']}", {"paused": True}).status_code == 503
    assert api.get(f"/connections/{other['id']}").json()["data"]["paused"] is True


def test_after_commit_with_a_slow_reply_commits_before_the_client_gives_up(api: Api, emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", delay_s=0.5, after_commit=True)
    with pytest.raises(requests.ReadTimeout):
        api.post("/connections", create_body("slow_commit"), timeout=0.2)
    assert [c["schema"] for c in emulator.connections()] == ["slow_commit"]
    wait_until_answered(emulator, "POST")


def test_faults_can_be_listed_and_cleared(emulator: Emulator) -> None:
    emulator.fault(path="x", status=500, count=3)
    url = emulator.root_url + "/__emulator/faults"
    [pending] = requests.get(url, timeout=5).json()["items"]
    assert (pending["path"], pending["count"], pending["method"]) == ("x", 3, "*")
    requests.delete(url, timeout=5)
    assert requests.get(url, timeout=5).json()["items"] == []


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"path": "("}, "'path'"),
        ({"path": "x", "status": 200}, "'status'"),
        ({"path": "x", "status": 500, "count": 0}, "'count'"),
        ({"path": "x", "status": 500, "delay_s": -1}, "'delay_s'"),
        ({"path": "x"}, "does nothing"),
        ({"path": "x", "status": 500, "drop_connection": True}, "not both"),
        ({"path": "x", "status": 500, "colour": "red"}, "Unknown fault field 'colour'"),
    ],
)
def test_bad_fault_specs_are_rejected(emulator: Emulator, spec: dict, needle: str) -> None:
    response = requests.post(emulator.root_url + "/__emulator/faults", json=spec, timeout=5)
    assert response.status_code == 400
    assert needle in response.json()["message"]


def test_a_reset_forgets_the_requests_still_in_flight(api: Api, emulator: Emulator) -> None:
    """A request that waits out a fault across a reset does nothing and leaves no trace in the new log, so a
    slow request of one test can never show up in the next one's."""
    import threading

    created = api.create("in_flight_patch")
    emulator.fault(method="POST", path="^/v1/connections$", delay_s=3.0)
    emulator.fault(method="PATCH", path="^/v1/connections/", delay_s=3.0, after_commit=True)
    answers: dict[str, int] = {}
    threads = [threading.Thread(target=lambda: answers.update(post=api.post("/connections", create_body(
                   "in_flight_create")).status_code)),
               threading.Thread(target=lambda: answers.update(patch=api.patch(
                   f"/connections/{created['id']}", {"paused": True}).status_code))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 2.5
    while emulator.control("GET", "/__emulator/faults")["items"] and time.monotonic() < deadline:
        time.sleep(0.02)  # until both requests have taken their fault and wait in it
    assert emulator.control("GET", "/__emulator/faults")["items"] == []
    time.sleep(0.2)  # the PATCH's work, done before it waits (a margin well inside the 3 s wait)
    emulator.reset()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == {"post": 503, "patch": 200}  # the create waited before its work; the patch after it
    assert emulator.requests() == [] and emulator.connections() == []
