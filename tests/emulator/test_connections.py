"""Creating, reading, listing and deleting Iterable connections, under both path spellings."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from tests.emulator.conftest import GROUP, OTHER_GROUP, Api, create_body


def test_create_fills_the_real_apis_defaults(api: Api) -> None:
    response = api.post("/connections", create_body("iterable_prod"))
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["message"]) == ("Success", "Connection has been created")
    data = body["data"]
    assert re.fullmatch(r"[a-z]+_[a-z]+|[0-9a-f]{32}", data["id"])
    expected: dict[str, Any] = {
        "group_id": GROUP,
        "service": "iterable",
        "service_version": 1,
        "schema": "iterable_prod",
        "succeeded_at": None,
        "failed_at": None,
        "paused": False,
        "pause_after_trial": False,
        "sync_frequency": 360,
        "schedule_type": "auto",
        "daily_sync_time": None,
        "data_delay_sensitivity": "NORMAL",
        "data_delay_threshold": 0,
        "networking_method": "Directly",
        "proxy_agent_id": None,
        "private_link_id": None,
    }
    assert {k: data[k] for k in expected} == expected
    assert "hybrid_deployment_agent_id" not in data  # left out when unset, as Fivetran's own fixtures show
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", data["created_at"])
    assert re.fullmatch(r"[a-z]+_[a-z]+", data["connected_by"])
    assert data["status"] == {
        "setup_state": "connected",
        "schema_status": "ready",
        "sync_state": "scheduled",
        "update_state": "on_schedule",
        "is_historical_sync": True,
        "tasks": [],
        "warnings": [],
    }
    assert [t["status"] for t in data["setup_tests"]] == ["PASSED", "PASSED"]
    config = data["config"]
    assert re.fullmatch(r"https://webhooks\.fivetran\.com/webhooks/[0-9a-f-]{36}", config.pop("endpoint"))
    assert config == {
        "api_key": "******",
        "account_region": "US",
        "sync_mode": "AllEvents",
        "events": [],
        "custom_event_sync_mode": "AllEvents",
        "custom_events": [],
        "historical_sync_limit": "ALL_TIME",
        "webhook_auth_type": "NoAuth",
        "project_type": "EMAIL_BASED_PROJECT",
    }
    for absent in ("connect_card", "connect_card_config", "destination_configuration", "destination_schema_names"):
        assert absent not in data


def test_create_keeps_every_field_it_was_given(api: Api) -> None:
    data = api.create(
        "iterable_full",
        paused=True,
        pause_after_trial=True,
        sync_frequency=1440,
        daily_sync_time="03:00",
        schedule_type="manual",
        data_delay_sensitivity="CUSTOM",
        data_delay_threshold=90,
        networking_method="ProxyAgent",
        proxy_agent_id="agent_1",
        hybrid_deployment_agent_id="hybrid_1",
        destination_configuration={"virtual_warehouse": "WH"},
        destination_schema_names="SOURCE_NAMING",
        trust_certificates=True,
        trust_fingerprints=False,
        config={
            "account_region": "EU",
            "sync_mode": "SelectedEvents",
            "events": ["emailSend", "emailOpen"],
            "custom_event_sync_mode": "NoEvents",
            "historical_sync_limit": "DATE_LIMIT",
            "historical_sync_limit_date": "2024-01-01",
            "historic_sync_time_frame": "ONE_YEAR",
        },
    )
    assert data["paused"] and data["pause_after_trial"]
    assert data["status"]["sync_state"] == "paused"
    assert (data["sync_frequency"], data["daily_sync_time"], data["schedule_type"]) == (1440, "03:00", "manual")
    assert (data["data_delay_sensitivity"], data["data_delay_threshold"]) == ("CUSTOM", 90)
    assert (data["networking_method"], data["proxy_agent_id"]) == ("ProxyAgent", "agent_1")
    assert data["destination_configuration"] == {"virtual_warehouse": "WH"}
    assert data["destination_schema_names"] == "SOURCE_NAMING"
    config = data["config"]
    assert config["account_region"] == "EU"
    assert config["events"] == ["emailSend", "emailOpen"]
    assert config["custom_event_sync_mode"] == "NoEvents"
    assert (config["historical_sync_limit"], config["historical_sync_limit_date"]) == ("DATE_LIMIT", "2024-01-01")
    assert config["historic_sync_time_frame"] == "ONE_YEAR"
    assert "schema" not in config  # the newest API answers the schema only at the top level
    for ignored in ("run_setup_tests", "trust_certificates", "trust_fingerprints"):
        assert ignored not in data


def test_daily_sync_time_shows_only_with_a_daily_frequency(api: Api) -> None:
    data = api.create("iterable_hourly", sync_frequency=60, daily_sync_time="05:00")
    assert data["daily_sync_time"] is None
    daily = api.patch(f"/connections/{data['id']}", {"sync_frequency": 1440}).json()["data"]
    assert daily["daily_sync_time"] == "05:00"
    assert api.create("iterable_daily", sync_frequency=1440)["daily_sync_time"] is None


def test_null_delay_fields_from_the_go_sdk_are_accepted(api: Api) -> None:
    data = api.create("iterable_nulls", data_delay_sensitivity=None, data_delay_threshold=None, paused=None)
    assert (data["data_delay_sensitivity"], data["data_delay_threshold"], data["paused"]) == ("NORMAL", 0, False)


def test_project_type_is_derived_from_the_iterable_key(api: Api) -> None:
    hybrid = api.create("p_hybrid", config={"api_key": "key_hybrid_1"})
    user_id = api.create("p_userid", config={"api_key": "key_userid_1"})
    assert hybrid["config"]["project_type"] == "HYBRID_PROJECT"
    assert user_id["config"]["project_type"] == "USER_ID_BASED_PROJECT"


REMOVE = object()


@pytest.mark.parametrize(
    ("top", "config", "status", "code", "needle"),
    [
        ({"service": "hubspot"}, {}, 400, "InvalidInput", "Unsupported connector service 'hubspot'"),
        ({"service": REMOVE}, {}, 400, "InvalidInput", "Field 'service' is required"),
        ({"group_id": REMOVE}, {}, 400, "InvalidInput", "Field 'group_id' is required"),
        ({"group_id": "no_such_group"}, {}, 404, "NotFound_Group", "no_such_group"),
        ({}, {"schema": REMOVE}, 400, "InvalidInput", "Field 'schema' is required"),
        ({}, {"api_key": REMOVE}, 400, "InvalidInput", "config.api_key"),
        ({}, {"api_key": "******"}, 400, "InvalidInput", "mask"),
        ({"sync_frequency": 7}, {}, 400, "InvalidInput", "Invalid value for 'sync_frequency': 7"),
        ({"sync_frequency": "360"}, {}, 400, "InvalidInput", "Invalid value for 'sync_frequency'"),
        ({"schedule_type": "hourly"}, {}, 400, "InvalidInput", "'schedule_type'"),
        ({"data_delay_sensitivity": "MEDIUM"}, {}, 400, "InvalidInput", "'data_delay_sensitivity'"),
        ({"data_delay_threshold": -1}, {}, 400, "InvalidInput", "'data_delay_threshold'"),
        ({"networking_method": "Vpn"}, {}, 400, "InvalidInput", "'networking_method'"),
        ({"daily_sync_time": "3:30"}, {}, 400, "InvalidInput", "'daily_sync_time'"),
        ({"paused": "yes"}, {}, 400, "InvalidInput", "'paused'"),
        ({"run_setup_tests": 1}, {}, 400, "InvalidInput", "'run_setup_tests'"),
        ({"sync_freq": 60}, {}, 400, "InvalidInput", "Unknown field 'sync_freq'"),
        ({"auth": {"token": "x"}}, {}, 400, "InvalidInput", "config.api_key"),
        (
            {"connect_card_config": {"hide_setup_guide": True}},
            {},
            400,
            "InvalidInput",
            "connect_card_config.redirect_uri",
        ),
        (
            {"destination_configuration": {"warehouse": "x"}},
            {},
            400,
            "InvalidInput",
            "destination_configuration.warehouse",
        ),
        ({}, {"account_region": "APAC"}, 400, "InvalidInput", "'config.account_region'"),
        ({}, {"sync_mode": "NoEvents"}, 400, "InvalidInput", "'config.sync_mode'"),
        ({}, {"custom_event_sync_mode": "Some"}, 400, "InvalidInput", "'config.custom_event_sync_mode'"),
        ({}, {"historical_sync_limit": "LAST_YEAR"}, 400, "InvalidInput", "'config.historical_sync_limit'"),
        ({}, {"historic_sync_time_frame": "WEEK"}, 400, "InvalidInput", "'config.historic_sync_time_frame'"),
        ({}, {"historical_sync_limit_date": "2024-13-01"}, 400, "InvalidInput", "YYYY-MM-DD"),
        ({}, {"events": "emailOpen"}, 400, "InvalidInput", "'config.events'"),
        ({}, {"endpoint": "https://x"}, 400, "InvalidInput", "read-only"),
        ({}, {"region": "US"}, 400, "InvalidInput", "Unknown field 'config.region'"),
        ({}, {"sync_mode": "SelectedEvents"}, 400, "InvalidInput", "'config.events'"),
        ({}, {"custom_event_sync_mode": "SelectedEvents"}, 400, "InvalidInput", "'config.custom_events'"),
        ({}, {"historical_sync_limit": "DATE_LIMIT"}, 400, "InvalidInput", "'config.historical_sync_limit_date'"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(
    api: Api, top: dict[str, Any], config: dict[str, Any], status: int, code: str, needle: str
) -> None:
    body = create_body("bad_input")
    for target, changes in ((body, top), (body["config"], config)):
        for name, value in changes.items():
            if value is REMOVE:
                target.pop(name)
            else:
                target[name] = value
    response = api.post("/connections", body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert needle in response.json()["message"]
    assert "data" not in response.json()


def test_a_duplicate_schema_in_a_group_is_a_409_but_other_groups_are_free(api: Api) -> None:
    api.create("shared_schema")
    duplicate = api.post("/connections", create_body("shared_schema"))
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "code": "Conflict",
        "message": "Connection with schema 'shared_schema' already exists in group 'warehouse_main'",
    }
    assert api.create("shared_schema", group_id=OTHER_GROUP)["group_id"] == OTHER_GROUP


@pytest.mark.parametrize("kind", ["connections", "connectors"])
def test_get_patch_delete_under_both_spellings(api: Api, kind: str) -> None:
    created = api.post(f"/{kind}", create_body(f"spelling_{kind}"))
    assert created.status_code == 201
    noun = "Connector" if kind == "connectors" else "Connection"
    assert created.json()["message"] == f"{noun} has been created"
    connection_id = created.json()["data"]["id"]
    fetched = api.get(f"/{kind}/{connection_id}")
    assert fetched.status_code == 200
    assert fetched.json()["data"]["id"] == connection_id
    assert fetched.json()["data"]["config"]["api_key"] == "******"
    patched = api.patch(f"/{kind}/{connection_id}", {"paused": True})
    assert patched.json()["message"] == f"{noun} has been updated"
    deleted = api.delete(f"/{kind}/{connection_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"code": "Success", "message": f"{noun} with id '{connection_id}' has been deleted"}
    for method in ("GET", "PATCH", "DELETE"):
        gone = api.request(method, f"/{kind}/{connection_id}", {"paused": False} if method == "PATCH" else None)
        assert gone.status_code == 404
        assert gone.json()["code"] == f"NotFound_{noun}"
        assert connection_id in gone.json()["message"]


def test_the_api_key_is_masked_everywhere_it_is_shown(api: Api) -> None:
    secret = "itk_live_super_secret_value"
    created = api.post("/connections", create_body("masked", config={"api_key": secret}))
    connection_id = created.json()["data"]["id"]
    answers = [
        created,
        api.get(f"/connections/{connection_id}"),
        api.get("/connections"),
        api.get(f"/groups/{GROUP}/connections"),
        api.get("/connectors?schema=masked"),
        api.patch(f"/connections/{connection_id}", {"sync_frequency": 60}),
        api.post(f"/connections/{connection_id}/test", {}),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert secret not in answer.text
        assert '"api_key": "******"' in answer.text


def test_list_filters_by_group_and_exact_schema(api: Api) -> None:
    a = api.create("alpha")
    api.create("alpha_two")
    b = api.create("alpha", group_id=OTHER_GROUP)
    everything = api.get("/connections").json()
    assert everything["message"] == "Connections list retrieved successfully"
    assert len(everything["data"]["items"]) == 3
    assert "next_cursor" not in everything["data"]
    exact = api.get("/connections", params={"group_id": GROUP, "schema": "alpha"}).json()["data"]["items"]
    assert [c["id"] for c in exact] == [a["id"]]
    in_group = api.get(f"/groups/{OTHER_GROUP}/connections").json()["data"]["items"]
    assert [c["id"] for c in in_group] == [b["id"]]
    legacy = api.get(f"/groups/{OTHER_GROUP}/connectors", params={"schema": "alpha"}).json()["data"]["items"]
    assert [c["id"] for c in legacy] == [b["id"]]
    assert api.get("/connections", params={"schema": "alp"}).json()["data"]["items"] == []
    assert api.get("/connections", params={"group_id": "nowhere"}).json()["data"]["items"] == []
    unknown_group = api.get("/groups/nowhere/connections")
    assert unknown_group.status_code == 404 and unknown_group.json()["code"] == "NotFound_Group"


def test_pagination_walks_every_page_with_an_opaque_cursor(api: Api) -> None:
    created = [api.create(f"page_{n:02d}")["id"] for n in range(7)]
    seen: list[str] = []
    cursors = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = api.get("/connections", params=params).json()["data"]
        seen += [item["id"] for item in page["items"]]
        assert len(page["items"]) <= 3
        if "next_cursor" not in page:
            break
        cursors.append(page["next_cursor"])
        params["cursor"] = page["next_cursor"]
    assert seen == created
    assert len(cursors) == 2
    for cursor in cursors:
        assert "=" not in cursor
        json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    group_page = api.get(f"/groups/{GROUP}/connections", params={"limit": 5}).json()["data"]
    assert len(group_page["items"]) == 5 and group_page["next_cursor"]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=ten", "cursor=not-a-cursor"])
def test_bad_paging_arguments_are_400(api: Api, query: str) -> None:
    response = api.get(f"/connections?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["message"]


def test_groups_can_be_read_and_listed_page_by_page(api: Api) -> None:
    group = api.get(f"/groups/{GROUP}").json()
    assert group["message"] == "Group details retrieved successfully"
    assert set(group["data"]) == {"id", "name", "created_at"}
    missing = api.get("/groups/absent")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound_Group"
    first = api.get("/groups", params={"limit": 1}).json()["data"]
    second = api.get("/groups", params={"limit": 1, "cursor": first["next_cursor"]}).json()["data"]
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [GROUP, "warehouse_eu"]
    assert "next_cursor" not in second


def test_sync_and_legacy_force_trigger_a_sync(api: Api) -> None:
    connected = api.create("syncing")
    response = api.post(f"/connections/{connected['id']}/sync", {"force": True})
    assert response.status_code == 200
    assert response.json() == {
        "code": "Success",
        "message": f"Sync has been successfully triggered for connection with id '{connected['id']}'",
    }
    after = api.get(f"/connections/{connected['id']}").json()["data"]
    assert after["succeeded_at"] is not None
    assert after["status"]["is_historical_sync"] is False
    broken = api.create("sync_fails", config={"api_key": "invalid_key"})
    assert api.post(f"/connectors/{broken['id']}/force").status_code == 200
    assert api.get(f"/connections/{broken['id']}").json()["data"]["failed_at"] is not None
    assert api.post(f"/connections/{connected['id']}/sync", {"force": "yes"}).status_code == 400
    assert api.post("/connections/missing/sync", {}).status_code == 404
