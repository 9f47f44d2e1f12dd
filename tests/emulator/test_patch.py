"""PATCH semantics and setup tests: shallow config merge, clearing, immutable fields, setup states."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import GROUP, Api


@pytest.fixture
def connection(api: Api) -> dict[str, Any]:
    """A connected connection with selected events and a date limit."""
    return api.create(
        "patched",
        config={
            "sync_mode": "SelectedEvents",
            "events": ["emailSend", "emailOpen"],
            "custom_event_sync_mode": "SelectedEvents",
            "custom_events": ["signup"],
            "historical_sync_limit": "DATE_LIMIT",
            "historical_sync_limit_date": "2024-01-01",
        },
    )


def patch(api: Api, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.patch(f"/connections/{connection_id}", body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_config_is_merged_by_top_level_key(api: Api, connection: dict[str, Any]) -> None:
    data = patch(api, connection["id"], {"config": {"account_region": "EU"}})
    assert data["config"]["account_region"] == "EU"
    assert data["config"]["events"] == ["emailSend", "emailOpen"]
    assert data["config"]["historical_sync_limit_date"] == "2024-01-01"
    assert data["config"]["endpoint"] == connection["config"]["endpoint"]
    assert api.get(f"/connections/{connection['id']}").json()["data"] == data


def test_arrays_are_replaced_whole(api: Api, connection: dict[str, Any]) -> None:
    data = patch(api, connection["id"], {"config": {"events": ["emailClick"]}})
    assert data["config"]["events"] == ["emailClick"]


def test_null_restores_the_default_or_clears(api: Api, connection: dict[str, Any]) -> None:
    data = patch(
        api,
        connection["id"],
        {
            "config": {
                "sync_mode": None,
                "events": None,
                "custom_event_sync_mode": "NoEvents",
                "historical_sync_limit": None,
                "historical_sync_limit_date": None,
            }
        },
    )
    assert data["config"]["sync_mode"] == "AllEvents"
    assert data["config"]["events"] == []
    assert data["config"]["historical_sync_limit"] == "ALL_TIME"
    assert "historical_sync_limit_date" not in data["config"]
    top = patch(api, connection["id"], {"sync_frequency": 60, "proxy_agent_id": "agent"})
    assert (top["sync_frequency"], top["proxy_agent_id"]) == (60, "agent")
    cleared = patch(api, connection["id"], {"sync_frequency": None, "proxy_agent_id": None})
    assert (cleared["sync_frequency"], cleared["proxy_agent_id"]) == (360, None)


def test_pausing_shows_in_sync_state(api: Api, connection: dict[str, Any]) -> None:
    assert patch(api, connection["id"], {"paused": True})["status"]["sync_state"] == "paused"
    assert patch(api, connection["id"], {"paused": False})["status"]["sync_state"] == "scheduled"


def test_the_echoed_mask_keeps_the_stored_key(api: Api) -> None:
    created = api.create("mask_echo", config={"api_key": "itk_good"})
    data = patch(api, created["id"], {"config": {"api_key": "******", "account_region": "EU"}})
    assert [t["status"] for t in data["setup_tests"]] == ["PASSED", "PASSED"]
    assert data["status"]["setup_state"] == "connected"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "Nothing to update"),
        ({"run_setup_tests": True}, "Nothing to update"),
        ({"trust_certificates": True, "trust_fingerprints": True}, "Nothing to update"),
        ({"group_id": GROUP}, "Nothing to update"),
        ({"group_id": "warehouse_eu", "paused": True}, "'group_id' cannot be changed"),
        ({"service": "hubspot", "paused": True}, "'service' cannot be changed"),
        ({"config": {"schema": "renamed"}}, "'config.schema' cannot be changed"),
        ({"config": {"schema": None}}, "'config.schema' cannot be changed"),
        ({"config": {"api_key": None}}, "'config.api_key' cannot be cleared"),
        ({"config": {"sync_mode": "SelectedEvents", "events": []}}, "'config.events'"),
        ({"sync_frequency": 2}, "'sync_frequency'"),
        ({"connect_card_config": {"redirect_uri": "https://x"}}, "'connect_card_config' can only be set when creating"),
        ({"destination_schema_names": "SOURCE_NAMING"}, "'destination_schema_names' can only be set when creating"),
        ({"config": {"project_type": "HYBRID_PROJECT"}}, "read-only"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(
    api: Api, connection: dict[str, Any], body: dict[str, Any], needle: str
) -> None:
    response = api.patch(f"/connections/{connection['id']}", body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidInput"
    assert needle in response.json()["message"]
    assert api.get(f"/connections/{connection['id']}").json()["data"] == connection


def test_unchanged_identity_fields_are_a_no_op(api: Api, connection: dict[str, Any]) -> None:
    body = {"service": "iterable", "group_id": GROUP, "config": {"schema": "patched"}, "paused": True}
    data = patch(api, connection["id"], body)
    assert (data["schema"], data["group_id"], data["paused"]) == ("patched", GROUP, True)


def test_setup_states_follow_the_test_outcomes(api: Api) -> None:
    created = api.create("states", config={"api_key": "invalid_from_the_start"})
    assert created["status"]["setup_state"] == "incomplete"
    failed = created["setup_tests"][-1]
    assert (failed["title"], failed["status"]) == ("Validating API key", "FAILED")
    assert "config.api_key" in failed["message"]
    fixed = patch(api, created["id"], {"config": {"api_key": "itk_valid"}})
    assert fixed["status"]["setup_state"] == "connected"
    broken = patch(api, created["id"], {"config": {"api_key": "invalid_rotated"}})
    assert broken["status"]["setup_state"] == "broken"
    assert patch(api, created["id"], {"config": {"api_key": "itk_again"}})["status"]["setup_state"] == "connected"


def test_setup_tests_can_be_switched_off(api: Api) -> None:
    quiet = api.create("quiet", run_setup_tests=False)
    assert quiet["setup_tests"] == []
    assert quiet["status"]["setup_state"] == "incomplete"
    untested = patch(api, quiet["id"], {"config": {"api_key": "invalid_unchecked"}, "run_setup_tests": False})
    assert (untested["setup_tests"], untested["status"]["setup_state"]) == ([], "incomplete")
    tested = patch(api, quiet["id"], {"config": {"api_key": "itk_checked"}})  # run_setup_tests defaults to true
    assert tested["status"]["setup_state"] == "connected"


def test_the_test_endpoint_runs_setup_tests_and_needs_a_body(api: Api) -> None:
    created = api.create("tested", run_setup_tests=False)
    response = api.post(f"/connections/{created['id']}/test", {})
    assert response.status_code == 200
    assert response.json()["message"] == "Setup tests have been completed"
    data = response.json()["data"]
    assert [t["title"] for t in data["setup_tests"]] == ["Connecting to Iterable", "Validating API key"]
    assert data["status"]["setup_state"] == "connected"
    assert data["config"]["api_key"] == "******"
    with_flags = api.post(f"/connectors/{created['id']}/test", {"trust_certificates": True})
    assert with_flags.status_code == 200
    no_body = api.post(f"/connections/{created['id']}/test")
    assert no_body.status_code == 400
    assert "body is required" in no_body.json()["message"]
    empty_json = api.post(f"/connections/{created['id']}/test", data=b"", headers={"Content-Type": "application/json"})
    assert empty_json.status_code == 400
    assert api.post("/connections/missing/test", {}).status_code == 404
    assert api.post(f"/connections/{created['id']}/test", {"force": True}).status_code == 400


def test_is_historical_sync_restarts_a_historical_sync(api: Api) -> None:
    created = api.create("resync")
    api.post(f"/connections/{created['id']}/sync", {})
    assert api.get(f"/connections/{created['id']}").json()["data"]["status"]["is_historical_sync"] is False
    data = patch(api, created["id"], {"is_historical_sync": True})
    assert data["status"]["is_historical_sync"] is True
