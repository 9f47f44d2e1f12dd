"""Connect Card: create without a key, complete the card through the control API, issue new cards."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.emulator.conftest import GROUP, Api
from tests.support.emulator import Emulator

CARD = {"redirect_uri": "https://example.com/done?x=1", "hide_setup_guide": True}


def create_with_card(api: Api, schema: str = "carded") -> dict:
    body = {"service": "iterable", "group_id": GROUP, "config": {"schema": schema}, "connect_card_config": CARD,
            "run_setup_tests": False}
    response = api.post("/connections", body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_a_card_created_connection_waits_for_its_key(api: Api) -> None:
    data = create_with_card(api)
    assert data["connect_card_config"] == CARD
    token, uri = data["connect_card"]["token"], data["connect_card"]["uri"]
    assert token
    query = parse_qs(urlparse(uri).query)
    assert uri.startswith("https://fivetran.com/connect-card/setup?")
    assert query == {"redirect_uri": [CARD["redirect_uri"]], "auth": [token], "hide_setup_guide": ["true"]}
    assert data["setup_tests"] == []
    assert data["status"]["setup_state"] == "incomplete"
    assert "api_key" not in data["config"]
    assert "project_type" not in data["config"]  # not known until there is a key
    fetched = api.get(f"/connections/{data['id']}").json()["data"]
    assert (fetched["connect_card"], fetched["connect_card_config"]) == (data["connect_card"], CARD)
    listed = api.get("/connections", params={"schema": "carded"}).json()["data"]["items"][0]
    assert listed["connect_card"] == data["connect_card"]


def test_a_card_create_that_asks_for_setup_tests_gets_them_failed_for_want_of_a_key(api: Api) -> None:
    body = {"service": "iterable", "group_id": GROUP, "config": {"schema": "tested"}, "connect_card_config": CARD}
    data = api.post("/connections", body).json()["data"]  # run_setup_tests defaults to true
    assert [t["status"] for t in data["setup_tests"]] == ["PASSED", "FAILED"]
    assert "No API key is set" in data["setup_tests"][1]["message"]
    assert data["status"]["setup_state"] == "incomplete"
    assert data["connect_card"]["uri"]


def test_completing_the_card_stores_the_key_and_runs_the_tests(api: Api, emulator: Emulator) -> None:
    data = create_with_card(api)
    answer = emulator.complete_connect_card(data["connect_card"]["token"], "itk_from_the_card")
    assert answer["data"]["status"]["setup_state"] == "connected"
    assert answer["data"]["config"]["api_key"] == "******"
    fetched = api.get(f"/connections/{data['id']}").json()["data"]
    assert fetched["status"]["setup_state"] == "connected"
    assert [t["status"] for t in fetched["setup_tests"]] == ["PASSED", "PASSED"]
    assert fetched["config"]["project_type"] == "EMAIL_BASED_PROJECT"
    assert fetched["connect_card"] == data["connect_card"]
    assert "itk_from_the_card" not in api.get(f"/connections/{data['id']}").text


def test_a_bad_key_in_the_card_leaves_it_incomplete(api: Api, emulator: Emulator) -> None:
    data = create_with_card(api)
    answer = emulator.complete_connect_card(data["connect_card"]["token"], "invalid_card_key")
    assert answer["data"]["status"]["setup_state"] == "incomplete"
    assert answer["data"]["setup_tests"][-1]["status"] == "FAILED"


def test_card_completion_errors(emulator: Emulator) -> None:
    url = emulator.root_url + "/__emulator/connect-card/"
    unknown = requests.post(url + "no-such-token", json={"api_key": "k"}, timeout=5)
    assert unknown.status_code == 404
    missing_key = requests.post(url + "whatever", json={}, timeout=5)
    assert missing_key.status_code == 400 and "api_key" in missing_key.json()["message"]


def test_a_card_and_a_key_together_run_the_tests_at_once(api: Api) -> None:
    data = api.create("card_and_key", connect_card_config={"redirect_uri": "https://example.com"})
    assert data["connect_card"]["token"]
    assert data["status"]["setup_state"] == "connected"


def test_the_connect_card_endpoint_issues_a_new_card(api: Api, emulator: Emulator) -> None:
    created = api.create("late_card")
    response = api.post(
        f"/connections/{created['id']}/connect-card",
        {"connect_card_config": {"redirect_uri": "https://example.com/back", "hide_setup_guide": False}},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["connection_id"] == data["connector_id"] == created["id"]
    assert set(data["connect_card"]) == {"token", "uri"}
    assert data["connect_card_config"] == {"redirect_uri": "https://example.com/back", "hide_setup_guide": False}
    fetched = api.get(f"/connections/{created['id']}").json()["data"]
    assert fetched["connect_card"] == data["connect_card"]
    rotated = emulator.complete_connect_card(data["connect_card"]["token"], "invalid_after_rotation")
    assert rotated["data"]["status"]["setup_state"] == "broken"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (None, "body is required"),
        ({}, "connect_card_config"),
        ({"connect_card_config": {}}, "connect_card_config.redirect_uri"),
        ({"connect_card_config": {"redirect_uri": "x", "hide_setup_guide": "no"}}, "hide_setup_guide"),
        ({"redirect_uri": "x"}, "Unknown field 'redirect_uri'"),
    ],
)
def test_the_connect_card_endpoint_validates_its_body(api: Api, body: dict | None, needle: str) -> None:
    created = api.create("card_errors")
    response = api.post(f"/connections/{created['id']}/connect-card", body)
    assert response.status_code == 400
    assert needle in response.json()["message"]
