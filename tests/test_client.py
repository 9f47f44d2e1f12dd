"""The Fivetran REST client: auth, headers, each method, paging, typed errors, retries, throttle, redaction.

Most tests run against the real emulator process (fixture `emulator`, reset per test) with its fault
injection; sleeps are injected so retries cost no wall time. A tiny local HTTP stub checks the exact
headers the client sends, which the emulator does not echo.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from pulumi_fivetran_iterable.client import (
    AuthenticationError,
    ConflictError,
    CreateThrottle,
    FivetranClient,
    FivetranCredentials,
    FivetranError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    TransportError,
)
from pulumi_fivetran_iterable.version import __version__

from tests.conftest import GROUPS
from tests.support.clients import GROUP, ITERABLE_KEY, Sleeps, connection_body, make_client, policy, statuses
from tests.support.emulator import Emulator, start_emulator


# -- credentials, errors, pickling (no server) ---------------------------------------------------------------
def test_credentials_repr_hides_key_and_secret() -> None:
    credentials = FivetranCredentials("key-abcdef123", "secret-xyz789", "https://api.fivetran.com/v1/")
    text = repr(credentials) + str(credentials)
    assert "key-abcdef123" not in text and "secret-xyz789" not in text
    assert credentials.key_fingerprint in text
    assert credentials.base_url == "https://api.fivetran.com/v1"
    assert FivetranCredentials("k", "s").base_url == "https://api.fivetran.com/v1"
    with pytest.raises(ValueError, match="apiUrl"):
        FivetranCredentials("k", "s", "api.fivetran.com/v1")


def test_error_text_names_operation_status_code_and_message() -> None:
    error = FivetranError("create connection", "Field 'schema' is required", status=400, code="InvalidInput")
    assert str(error) == "create connection failed: 400 InvalidInput: Field 'schema' is required"
    hinted = NotFoundError("read group 'g'", "Group not found", status=404, code="NotFound_Group", hint="check it")
    assert str(hinted) == "read group 'g' failed: 404 NotFound_Group: Group not found; check it"
    assert str(TransportError("read connection 'c'", "no reply")) == "read connection 'c' failed: no reply"
    copy = pickle.loads(pickle.dumps(RateLimitedError("op", "slow down", status=429, retry_after=3.0)))
    assert isinstance(copy, RateLimitedError) and copy.retry_after == 3.0 and str(copy) == "op failed: 429 slow down"


def test_pickling_the_client_fails_loudly() -> None:
    client = FivetranClient(FivetranCredentials("k", "s"))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)


def test_backoff_is_exponential_full_jitter_capped() -> None:
    ceiling = RetryPolicy(base_delay_s=0.5, max_wait_s=3.0, jitter=lambda: 1.0)
    assert [ceiling.backoff_s(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(jitter=lambda: 0.25).backoff_s(3) == 0.5


def test_redaction_covers_credentials_added_secrets_and_sent_config_secrets() -> None:
    client = FivetranClient(FivetranCredentials("fivetran-key-1", "fivetran-secret-2"), create_throttle=None)
    client.add_secret("extra secret/3")
    client._register_secrets(connection_body("s", api_key="iterable-key-4"))  # what every create/PATCH does
    text = "fivetran-key-1 fivetran-secret-2 extra secret/3 extra%20secret%2F3 iterable-key-4 schema"
    assert client.redact(text) == "*** *** *** *** *** schema"


# -- the throttle's arithmetic, with a fake clock ---------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


@pytest.mark.parametrize(("limit", "window", "creates"), [(3, 1.0, 9), (3, 1.0, 10), (20, 60.0, 45), (1, 2.0, 4)])
def test_throttle_burst_takes_the_floor_plus_margins(limit: int, window: float, creates: int) -> None:
    clock = FakeClock()
    throttle = CreateThrottle(limit, window, margin_s=0.05, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(creates):
        throttle.acquire()
        starts.append(clock.now - 1000.0)
    windows = math.ceil(creates / limit) - 1
    assert throttle.floor_s(creates) == windows * window
    assert starts[-1] == pytest.approx(windows * (window + 0.05))
    # Never more than `limit` starts in any window.
    assert all(starts[i + limit] - starts[i] >= window for i in range(len(starts) - limit))


def test_throttle_defer_holds_everyone_back() -> None:
    clock = FakeClock()
    throttle = CreateThrottle(5, 1.0, margin_s=0.0, clock=clock, sleep=clock.sleep)
    throttle.acquire()
    throttle.defer(7.0)
    assert throttle.acquire() == pytest.approx(7.0)
    assert throttle.acquire() == 0.0


def test_throttle_parse() -> None:
    throttle = CreateThrottle.parse("20/10")
    assert throttle is not None and (throttle.limit, throttle.window_s) == (20, 10.0)
    assert CreateThrottle.parse(" 3/1.5 ").window_s == 1.5  # type: ignore[union-attr]
    assert CreateThrottle.parse("0") is None and CreateThrottle.parse("0/60") is None
    for bad in ("", "20", "20/", "x/10", "20/0", "-1/10", "20/-5", "20/inf"):
        with pytest.raises(ValueError, match="COUNT/SECONDS"):
            CreateThrottle.parse(bad)


def test_throttle_is_thread_safe() -> None:
    throttle = CreateThrottle(4, 0.3, margin_s=0.01)
    started = time.monotonic()
    starts: list[float] = []
    with ThreadPoolExecutor(6) as pool:
        for _ in pool.map(lambda _: (throttle.acquire(), starts.append(time.monotonic())), range(12)):
            pass
    starts.sort()
    assert all(starts[i + 4] - starts[i] >= 0.3 for i in range(len(starts) - 4))
    assert time.monotonic() - started < 0.6 + 0.3


# -- headers and auth, seen by a local stub --------------------------------------------------------------
class Stub:
    """A loopback HTTP server answering every request with `reply` and recording what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply: tuple[int, dict[str, Any]] = (200, {"code": "Success", "data": {"id": "x"}})
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                status, payload = stub.reply
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_sends_basic_auth_accept_content_type_and_user_agent(stub: Stub) -> None:
    client = FivetranClient(
        FivetranCredentials("my-key", "my-secret", stub.base_url),
        retry=policy(),
        create_throttle=None,
        user_agent_suffix="stack/dev",
    )
    client.get_connection("abc")
    client.modify_connection("abc", {"paused": False})
    client.get_group("g1")
    get, patch, group = stub.received
    assert get["path"] == "/v1/connections/abc" and patch["method"] == "PATCH"
    assert get["headers"]["Authorization"] == "Basic " + base64.b64encode(b"my-key:my-secret").decode()
    assert get["headers"]["Accept"] == "application/json;version=2"
    assert group["headers"]["Accept"] == "application/json"
    assert "Content-Type" not in get["headers"]
    assert patch["headers"]["Content-Type"] == "application/json" and patch["body"] == {"paused": False}
    assert get["headers"]["User-Agent"] == (
        f"pulumi-fivetran-iterable/{__version__} python-requests/{requests.__version__} stack/dev"
    )


def test_ids_cannot_escape_their_path_segment(stub: Stub) -> None:
    client = FivetranClient(FivetranCredentials("k", "s", stub.base_url), retry=policy(), create_throttle=None)
    client.get_connection("../groups/x?y")
    assert stub.received[0]["path"] == "/v1/connections/..%2Fgroups%2Fx%3Fy"


def test_setup_tests_and_connect_card_bodies(stub: Stub) -> None:
    client = FivetranClient(FivetranCredentials("k", "s", stub.base_url), retry=policy(), create_throttle=None)
    client.run_setup_tests("c1", trust_certificates=True)
    client.create_connect_card("c1", "https://example.com/done")
    client.create_connect_card("c1", "https://example.com/done", hide_setup_guide=True)
    tests, card, card_hidden = stub.received
    assert (tests["method"], tests["path"]) == ("POST", "/v1/connections/c1/test")
    assert tests["body"] == {"trust_certificates": True, "trust_fingerprints": False}
    assert card["path"] == "/v1/connections/c1/connect-card"
    assert card["body"] == {"connect_card_config": {"redirect_uri": "https://example.com/done"}}
    assert card_hidden["body"]["connect_card_config"]["hide_setup_guide"] is True


def test_a_non_json_error_reply_still_gives_a_typed_error(stub: Stub) -> None:
    client = FivetranClient(FivetranCredentials("k", "s", stub.base_url), retry=policy(), create_throttle=None)
    stub.reply = (418, ["not", "an", "envelope"])  # type: ignore[assignment]
    with pytest.raises(FivetranError) as caught:
        client.get_connection("c1")
    assert caught.value.status == 418 and caught.value.code is None


# -- each method against the emulator ------------------------------------------------------------------------
def test_crud_round_trip(emulator: Emulator, client: FivetranClient) -> None:
    assert client.get_group(GROUP)["id"] == GROUP
    created = client.create_connection(connection_body("iterable_crud"))
    connection_id = created["id"]
    assert created["service"] == "iterable" and created["group_id"] == GROUP
    assert client.get_connection(connection_id)["id"] == connection_id
    modified = client.modify_connection(connection_id, {"paused": False, "run_setup_tests": False})
    assert modified["paused"] is False
    tested = client.run_setup_tests(connection_id)
    assert tested["setup_tests"] and all(t["status"] == "PASSED" for t in tested["setup_tests"])
    assert [c["id"] for c in client.list_connections(GROUP, "iterable_crud")] == [connection_id]
    assert client.delete_connection(connection_id) is True
    assert client.delete_connection(connection_id) is False
    with pytest.raises(NotFoundError) as caught:
        client.get_connection(connection_id)
    assert caught.value.status == 404 and caught.value.code.startswith("NotFound")  # type: ignore[union-attr]
    assert connection_id in str(caught.value)
    assert client.request_count == len(emulator.requests()) == 9


def test_connect_card(emulator: Emulator, client: FivetranClient) -> None:
    body = connection_body("iterable_card")
    del body["config"]["api_key"]
    created = client.create_connection({**body, "connect_card_config": {"redirect_uri": "https://example.com/back"}})
    assert created["connect_card"]["uri"]
    card = client.create_connect_card(created["id"], "https://example.com/back", hide_setup_guide=True)
    assert card["connect_card"]["token"] and card["connect_card"]["uri"].startswith("http")


def test_list_follows_every_page_and_filters(emulator: Emulator, client: FivetranClient) -> None:
    ids = {client.create_connection(connection_body(f"iterable_page_{n}"))["id"] for n in range(5)}
    client.create_connection(connection_body("iterable_elsewhere", group_id="warehouse_eu"))
    before = len(emulator.requests())
    listed = client.list_connections(GROUP, page_size=2)
    assert {c["id"] for c in listed} == ids and len(listed) == 5
    pages = emulator.requests()[before:]
    assert [r["path"] for r in pages] == ["/v1/connections"] * 3
    assert "limit=2" in pages[0]["query"] and "cursor=" in pages[1]["query"]
    assert [c["schema"] for c in client.list_connections(GROUP, "iterable_page_3")] == ["iterable_page_3"]
    assert client.list_connections(GROUP, "no_such_schema") == []
    assert "limit=1000" in emulator.requests()[-1]["query"]


def test_unknown_group_is_not_found(client: FivetranClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_group("no_such_group")
    assert caught.value.code == "NotFound_Group"


def test_delete_through_a_wrong_base_url_is_not_taken_for_gone(emulator: Emulator) -> None:
    credentials = FivetranCredentials(emulator.api_key, emulator.api_secret, emulator.root_url + "/v1/v1")
    client = FivetranClient(credentials, retry=policy(), create_throttle=None)
    with pytest.raises(NotFoundError, match="apiUrl"):
        client.delete_connection("any")


def test_taken_schema_is_a_conflict(client: FivetranClient) -> None:
    client.create_connection(connection_body("iterable_twice"))
    with pytest.raises(ConflictError) as caught:
        client.create_connection(connection_body("iterable_twice"))
    assert caught.value.status == 409 and "create connection failed: 409" in str(caught.value)


def test_invalid_input_is_not_retried(emulator: Emulator, client: FivetranClient, sleeps: Sleeps) -> None:
    body = connection_body("x")
    del body["config"]["schema"]
    with pytest.raises(FivetranError) as caught:
        client.create_connection(body)
    assert caught.value.status == 400 and caught.value.code == "InvalidInput"
    assert str(caught.value).startswith("create connection failed: 400 InvalidInput: ")
    assert statuses(emulator, "POST") == [400] and sleeps == []


def test_wrong_secret_is_an_authentication_error_without_the_secret(emulator: Emulator) -> None:
    secret = "wrong-secret-5c1e9a"
    client = make_client(emulator, secret=secret)
    with pytest.raises(AuthenticationError) as caught:
        client.get_group(GROUP)
    text = str(caught.value)
    assert caught.value.status == 401 and "fivetran:apiKey" in text and "fivetran:apiSecret" in text
    assert secret not in text and secret not in repr(caught.value) and emulator.api_key not in text


def test_redaction_of_echoed_secrets(emulator: Emulator, client: FivetranClient) -> None:
    echo = f"key {ITERABLE_KEY} with {emulator.api_secret} rejected"
    emulator.fault(method="POST", path="^/v1/connections$", status=400, message=echo)
    with pytest.raises(FivetranError) as caught:
        client.create_connection(connection_body("iterable_echo"))
    texts = str(caught.value) + repr(caught.value) + caught.value.message + repr(caught.value.args)
    assert ITERABLE_KEY not in texts and emulator.api_secret not in texts
    assert "key *** with *** rejected" in str(caught.value)
    emulator.fault(method="GET", path="^/v1/connections/", status=500, count=10, message=echo)
    with pytest.raises(FivetranError) as caught:
        client.get_connection("any")
    assert ITERABLE_KEY not in str(caught.value) and emulator.api_secret not in str(caught.value)


def test_debug_log_names_requests_but_no_secrets_or_bodies(
    emulator: Emulator, client: FivetranClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pulumi_fivetran_iterable.client")
    emulator.fault(method="POST", path="^/v1/connections$", status=503, count=1, message=f"bad {ITERABLE_KEY}")
    with pytest.raises(OutcomeUnknownError):
        client.create_connection(connection_body("iterable_logged"))
    connection_id = client.create_connection(connection_body("iterable_logged"))["id"]
    emulator.fault(method="GET", path="^/v1/connections/", status=502, count=1)
    client.get_connection(connection_id)
    assert "POST /connections -> 503" in caplog.text and "retrying GET /connections/" in caplog.text
    for secret in (ITERABLE_KEY, emulator.api_secret, emulator.api_key, "iterable_logged"):
        assert secret not in caplog.text


def test_list_groups(client: FivetranClient) -> None:
    assert {group["id"] for group in client.list_groups(page_size=1)} == {gid for gid, _ in GROUPS}


# -- retries --------------------------------------------------------------------------------------------------
def test_429_honours_retry_after(emulator: Emulator, client: FivetranClient, sleeps: Sleeps) -> None:
    connection_id = client.create_connection(connection_body("iterable_429"))["id"]
    emulator.fault(method="GET", path="/connections/", status=429, count=2, retry_after=1)
    assert client.get_connection(connection_id)["id"] == connection_id
    assert sleeps == [1.0, 1.0]
    assert statuses(emulator, "GET") == [429, 429, 200]


def test_429_on_create_is_retried_and_creates_once(emulator: Emulator, client: FivetranClient, sleeps: Sleeps) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=429, count=1, retry_after=2)
    client.create_connection(connection_body("iterable_429_create"))
    assert sleeps == [2.0] and statuses(emulator, "POST") == [429, 201]
    assert len(emulator.connections()) == 1


def test_retry_after_is_capped_per_wait(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, max_wait_s=5.0))
    emulator.fault(method="GET", path="^/v1/groups/", status=429, count=1, retry_after=20)
    client.get_group(GROUP)
    assert sleeps == [5.0]


def test_retry_after_beyond_the_budget_fails_at_once(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, budget_s=300.0))
    emulator.fault(method="GET", path="^/v1/groups/", status=429, count=1, retry_after=3600)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        client.get_group(GROUP)
    assert time.monotonic() - started < 1.0 and sleeps == []
    assert caught.value.retry_after == 3600 and "3600 s" in str(caught.value) and "run again" in str(caught.value)


def test_429_without_end_gives_rate_limited_error(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, max_attempts=3))
    emulator.fault(method="GET", path="^/v1/groups/", status=429, count=5, retry_after=1)
    with pytest.raises(RateLimitedError, match="after 3 attempts"):
        client.get_group(GROUP)
    assert statuses(emulator, "GET") == [429, 429, 429] and sleeps == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_for_get_patch_delete(
    emulator: Emulator, client: FivetranClient, sleeps: Sleeps, status: int
) -> None:
    connection_id = client.create_connection(connection_body("iterable_5xx"))["id"]
    for method in ("GET", "PATCH", "DELETE"):
        emulator.fault(method=method, path="^/v1/connections/", status=status, count=2)
    assert client.get_connection(connection_id)["id"] == connection_id
    assert client.modify_connection(connection_id, {"paused": False, "run_setup_tests": False})["paused"] is False
    assert client.delete_connection(connection_id) is True
    for method in ("GET", "PATCH", "DELETE"):
        assert statuses(emulator, method) == [status, status, 200]
    assert sleeps == [0.5, 1.0] * 3  # exponential backoff (jitter pinned to its ceiling)
    assert emulator.connections() == []


def test_dropped_connections_are_retried_for_get_patch_delete(
    emulator: Emulator, client: FivetranClient, sleeps: Sleeps
) -> None:
    connection_id = client.create_connection(connection_body("iterable_drop"))["id"]
    for method in ("GET", "PATCH", "DELETE"):
        emulator.fault(method=method, path="^/v1/connections/", drop_connection=True, count=1)
    assert client.get_connection(connection_id)["id"] == connection_id
    assert client.modify_connection(connection_id, {"paused": False, "run_setup_tests": False})["paused"] is False
    assert client.delete_connection(connection_id) is True
    assert len(sleeps) == 3 and emulator.connections() == []


def test_server_errors_give_up_after_max_attempts(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, max_attempts=4))
    emulator.fault(method="GET", path="^/v1/groups/", status=503, count=10)
    with pytest.raises(FivetranError) as caught:
        client.get_group(GROUP)
    assert caught.value.status == 503 and caught.value.code == "ServiceUnavailable"
    assert len(statuses(emulator, "GET")) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_backoff_stops_at_the_budget(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, budget_s=1.2))
    emulator.fault(method="GET", path="^/v1/groups/", status=502, count=10)
    with pytest.raises(FivetranError):
        client.get_group(GROUP)
    assert sleeps == [0.5, 1.0]  # the third wait (2.0 s) would overrun what remains of 1.2 s


def test_delete_after_a_lost_reply_counts_as_deleted(emulator: Emulator, client: FivetranClient) -> None:
    connection_id = client.create_connection(connection_body("iterable_lost_delete"))["id"]
    emulator.fault(method="DELETE", path="^/v1/connections/", drop_connection=True, after_commit=True)
    assert client.delete_connection(connection_id) is True
    assert statuses(emulator, "DELETE") == [0, 404]
    assert emulator.connections() == []


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 500}, {"drop_connection": True}])
def test_create_with_unknown_outcome_is_not_repeated(
    emulator: Emulator, client: FivetranClient, fault: dict[str, Any]
) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", **fault)
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_connection(connection_body("iterable_unknown"))
    assert "look the connection up" in str(caught.value)
    assert len(statuses(emulator, "POST")) == 1
    assert len(emulator.connections()) <= 1


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop_connection": True}])
def test_create_committed_but_reply_lost(emulator: Emulator, client: FivetranClient, fault: dict[str, Any]) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", after_commit=True, **fault)
    with pytest.raises(OutcomeUnknownError):
        client.create_connection(connection_body("iterable_committed"))
    assert [c["schema"] for c in emulator.connections()] == ["iterable_committed"]
    assert [c["schema"] for c in client.list_connections(GROUP, "iterable_committed")] == ["iterable_committed"]


def test_setup_tests_and_connect_card_are_safe_to_repeat(
    emulator: Emulator, client: FivetranClient, sleeps: Sleeps
) -> None:
    connection_id = client.create_connection(connection_body("iterable_retest"))["id"]
    emulator.fault(method="POST", path="/test$", status=503, count=1)
    assert client.run_setup_tests(connection_id)["id"] == connection_id
    assert statuses(emulator, "POST")[-2:] == [503, 200]


def test_slow_reply_beyond_the_read_timeout_is_retried_for_get(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, read_timeout_s=0.5))
    connection_id = client.create_connection(connection_body("iterable_slow"))["id"]
    emulator.fault(method="GET", path="^/v1/connections/", delay_s=1.5, count=1)
    started = time.monotonic()
    assert client.get_connection(connection_id)["id"] == connection_id
    assert time.monotonic() - started < 1.4 and len(sleeps) == 1
    assert client.request_count == 3


def test_slow_create_is_an_unknown_outcome(emulator: Emulator, sleeps: Sleeps) -> None:
    client = make_client(emulator, retry=policy(sleeps, read_timeout_s=0.5))
    emulator.fault(method="POST", path="^/v1/connections$", delay_s=1.0, count=1)
    with pytest.raises(OutcomeUnknownError, match="read timeout"):
        client.create_connection(connection_body("iterable_slow_create"))
    assert sleeps == [] and client.request_count == 1


def test_unreachable_server_is_a_transport_error_retried_even_for_create(sleeps: Sleeps) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = FivetranClient(
        FivetranCredentials("k", "secret-1", f"http://127.0.0.1:{port}/v1"),
        retry=policy(sleeps, max_attempts=3),
        create_throttle=None,
    )
    with pytest.raises(TransportError) as caught:
        client.create_connection(connection_body("never_sent"))
    assert "could not connect" in str(caught.value) and "after 3 attempts" in str(caught.value)
    assert client.request_count == 3 and len(sleeps) == 2
    assert ITERABLE_KEY not in str(caught.value) and "secret-1" not in str(caught.value)


# -- the create throttle against an emulator enforcing the limit ---------------------------------------------
def test_create_burst_stays_under_the_limit_near_the_floor() -> None:
    group_args = [arg for gid, name in GROUPS for arg in ("--group", f"{gid}:{name}")]
    with start_emulator(*group_args, "--create-limit", "3/1") as limited:
        throttle = CreateThrottle(3, 1.0)
        client = make_client(limited, create_throttle=throttle)
        client.get_group(GROUP)  # open the connection pool first, so the burst measures only the throttle
        creates = 9
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: client.create_connection(connection_body(f"iterable_burst_{n}")), range(creates)))
        elapsed = time.monotonic() - started
        floor = throttle.floor_s(creates)
        assert 429 not in statuses(limited, "POST") and len(limited.connections()) == creates
        assert floor <= elapsed <= floor * 1.3 + 0.3, (floor, elapsed)
        # The emulator does enforce the limit: one more create at once, unthrottled, is refused.
        unthrottled = make_client(limited, retry=policy(max_attempts=1))
        with pytest.raises(RateLimitedError):
            unthrottled.create_connection(connection_body("iterable_burst_over"))


def test_429_on_create_pushes_the_throttle_back(emulator: Emulator, sleeps: Sleeps) -> None:
    throttle = CreateThrottle(100, 1.0)
    client = make_client(emulator, retry=policy(sleeps), create_throttle=throttle)
    emulator.fault(method="POST", path="^/v1/connections$", status=429, count=1, retry_after=1)
    started = time.monotonic()
    client.create_connection(connection_body("iterable_pushed"))
    # The retry's own sleep is injected (instant); the throttle, shared by every thread, still held it back.
    assert sleeps == [1.0] and 0.9 <= time.monotonic() - started <= 1.6
    assert statuses(emulator, "POST") == [429, 201]


# -- sharing one client between threads -----------------------------------------------------------------------
def test_eight_threads_share_one_client(emulator: Emulator, client: FivetranClient) -> None:
    connection_id = client.create_connection(connection_body("iterable_shared"))["id"]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: client.get_connection(connection_id)["id"], range(100)))
    assert results == [connection_id] * 100
    assert client.request_count == 101 == len(emulator.requests())
