"""The HTTP contract around every endpoint: auth, Accept, Content-Type, JSON errors, the request log."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest
import requests

from tests.emulator.conftest import Api, create_body
from tests.support.emulator import Emulator


def test_basic_auth_with_the_configured_key_is_required(api: Api) -> None:
    assert api.get("/groups").status_code == 200
    for auth_header in (None, "Bearer dev-key:dev-secret", "Basic not-base64!", "Digest username=dev-key"):
        headers = {} if auth_header is None else {"Authorization": auth_header}
        response = api.get("/groups", auth=None, headers=headers)
        assert response.status_code == 401, auth_header
        assert response.json()["code"] == "AuthFailed"
        assert "Basic" in response.json()["message"]
    wrong = api.get("/groups", auth=("dev-key", "wrong-secret"))
    assert wrong.status_code == 401
    assert "wrong-secret" not in wrong.text


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "application/json;version=2",
        "application/json; version=2",
        "text/html, application/json;q=0.5",
    ],
)
def test_json_accept_headers_are_served(api: Api, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    session = requests.Session()
    if accept is None:
        session.headers.pop("Accept")
    response = session.get(api.base_url + "/groups", auth=api.auth, headers=headers, timeout=5)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "application/json;version=3", "application/json;q=0"]
)
def test_other_accept_headers_get_406(api: Api, accept: str) -> None:
    response = api.get("/groups", headers={"Accept": accept})
    assert response.status_code == 406
    assert response.json()["code"] == "NotAcceptable"
    assert "application/json" in response.json()["message"]


def test_post_and_patch_need_a_json_content_type(api: Api) -> None:
    body = json.dumps(create_body("s_text"))
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = api.post("/connections", data=body, headers={"Content-Type": content_type})
        assert response.status_code == 415, content_type
        assert response.json()["code"] == "UnsupportedMediaType"
    no_type = api.post("/connections", data=body.encode())
    assert no_type.status_code == 415
    versioned = api.post("/connections", data=body, headers={"Content-Type": "application/json;version=2"})
    assert versioned.status_code == 201
    connection_id = versioned.json()["data"]["id"]
    patch = api.patch(f"/connections/{connection_id}", data='{"paused": true}', headers={"Content-Type": "text/plain"})
    assert patch.status_code == 415


def test_malformed_json_is_a_400_that_says_so(api: Api) -> None:
    response = api.post("/connections", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidInput"
    assert "not valid JSON" in response.json()["message"]
    array = api.post("/connections", [1, 2])
    assert array.status_code == 400
    assert "JSON object" in array.json()["message"]


def test_unknown_routes_and_wrong_methods_answer_json(api: Api) -> None:
    missing = api.get("/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound"
    assert "/v1/connections" in missing.json()["message"]
    outside = requests.get(api.emulator.root_url + "/favicon.ico", timeout=5)
    assert outside.status_code == 404 and outside.json()["code"] == "NotFound"
    wrong = api.request("PUT", "/connections/abc", {})
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "MethodNotAllowed"
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert "PATCH" in wrong.json()["message"]


def test_every_v1_answer_carries_rate_limit_headers(api: Api) -> None:
    first = api.get("/groups")
    second = api.get("/groups")
    unauthorized = api.get("/groups", auth=None)
    assert first.headers["X-Rate-Limit"] == "20000"
    assert int(second.headers["X-Rate-Limit-Remaining"]) == int(first.headers["X-Rate-Limit-Remaining"]) - 1
    assert "X-Rate-Limit-Remaining" in unauthorized.headers


def test_request_log_lists_v1_requests_in_order_without_bodies_or_credentials(api: Api, emulator: Emulator) -> None:
    connection = api.create("logged_schema")
    api.get("/connections?group_id=warehouse_main&schema=logged_schema")
    api.get("/groups", auth=("dev-key", "wrong"))
    emulator.add_group("not_logged")  # control endpoints are not logged
    items = emulator.requests()
    assert [(i["method"], i["path"], i["status"]) for i in items] == [
        ("POST", "/v1/connections", 201),
        ("GET", "/v1/connections", 200),
        ("GET", "/v1/groups", 401),
    ]
    assert items[1]["query"] == "group_id=warehouse_main&schema=logged_schema"
    text = json.dumps(items)
    for secret in ("dev-secret", "wrong", "itk_live", connection["id"]):
        assert secret not in text


def test_reset_forgets_connections_log_faults_and_added_groups(api: Api, emulator: Emulator) -> None:
    api.create("before_reset")
    emulator.add_group("temporary", "Temporary")
    emulator.fault(path="^/v1/groups$", status=503, count=5)
    emulator.reset()
    assert emulator.requests() == []
    assert api.get("/groups").status_code == 200  # the fault is gone
    assert emulator.connections() == []
    assert api.get("/groups/temporary").status_code == 404
    assert api.get("/groups/warehouse_main").json()["data"]["name"] == "Main warehouse"


def test_control_endpoints_add_groups_and_validate_input(api: Api, emulator: Emulator) -> None:
    emulator.add_group("analytics", "Analytics")
    group = api.get("/groups/analytics").json()["data"]
    assert (group["id"], group["name"]) == ("analytics", "Analytics")
    status = requests.post(emulator.root_url + "/__emulator/groups", json={"name": "no id"}, timeout=5)
    assert status.status_code == 400 and "'id'" in status.json()["message"]
    unknown = requests.get(emulator.root_url + "/__emulator/nothing", timeout=5)
    assert unknown.status_code == 404 and unknown.json()["code"] == "NotFound"


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it only picks the outgoing interface
        address: str = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_control_endpoints_answer_only_on_loopback(launch: Callable[..., Emulator]) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    emulator = launch("--host", "0.0.0.0")
    port = emulator.base_url.rsplit(":", 1)[1].removesuffix("/v1")
    remote = requests.get(f"http://{address}:{port}/__emulator/requests", timeout=5)
    assert remote.status_code == 403
    assert remote.json()["code"] == "Forbidden"
    assert requests.get(f"http://{address}:{port}/v1/groups", auth=("dev-key", "dev-secret"), timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{port}/__emulator/requests", timeout=5).ok


def test_oversized_bodies_are_a_json_413(api: Api) -> None:
    response = api.post("/connections", create_body("big", config={"events": ["e" * 1000] * 1100}))
    assert response.status_code == 413
    assert response.json()["code"] == "RequestEntityTooLarge"
