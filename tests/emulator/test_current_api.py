"""The parts of Fivetran's current API around an Iterable connection: its newer fields (flexible schedule,
webhook authentication, external secrets managers, destination naming, schema status) and the endpoints
clients call beside connections (connector-type metadata, destinations, users, account, state,
certificates and fingerprints)."""

from __future__ import annotations

from typing import Any

import pytest

from fivetran_emulator.catalog import TABLES
from tests.emulator.conftest import GROUP, Api, create_body
from tests.support.emulator import Emulator

ALL_DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def error_of(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["message"]


# -- metadata: one source with what is enforced ------------------------------------------------------------------


def test_the_iterable_metadata_describes_the_config_the_emulator_enforces(api: Api) -> None:
    data = api.get("/metadata/connector-types/iterable").json()["data"]
    assert (data["id"], data["name"], data["type"]) == ("iterable", "Iterable", "Marketing")
    properties = data["config"]["properties"]
    assert data["config"]["required"] == ["schema"]
    for name, field in properties.items():
        if field.get("readOnly"):
            response = api.post("/connections", create_body(f"ro_{name}", config={name: "x"}))
            assert error_of(response)[:2] == (400, "InvalidInput") and f"config.{name}" in response.text, name
        elif "enum" in field:
            response = api.post("/connections", create_body(f"enum_{name}", config={name: "NotAChoice"}))
            status, _, message = error_of(response)
            assert status == 400 and f"config.{name}" in message, name
            for choice in field["enum"]:
                assert repr(choice) in message, (name, choice)
    assert {"endpoint", "project_type", "webhook_secret"} == {n for n, f in properties.items() if f.get("readOnly")}
    assert properties["api_key"]["format"] == "password"
    assert properties["webhook_auth_type"]["enum"] == ["NoAuth", "Basic", "OAuth2"]
    assert set(data["external_secrets_keys_config"]["properties"]) == {"api_key"}
    unknown = api.post("/connections", create_body("unknown_field", config={"not_a_field": "x"}))
    assert set(properties) - {"endpoint", "project_type", "webhook_secret"} <= set(
        error_of(unknown)[2].split("Known fields: ")[1].rstrip(".").split(", "))


def test_the_connector_type_list_and_an_unknown_type(api: Api) -> None:
    items = api.get("/metadata/connector-types").json()["data"]["items"]
    assert [item["id"] for item in items] == ["iterable"]
    assert error_of(api.get("/metadata/connector-types/google_ads"))[:2] == (404, "NotFound_Service")


# -- destinations, users, account ----------------------------------------------------------------------------------


def test_a_groups_destination_has_the_groups_id(api: Api) -> None:
    data = api.get(f"/destinations/{GROUP}").json()["data"]
    assert data["id"] == data["group_id"] == GROUP and data["setup_status"] == "connected"
    assert data["config"]["password"] == "******"
    assert error_of(api.get("/destinations/nowhere"))[:2] == (404, "NotFound_Destination")


def test_users_and_account_name_the_owner_of_the_api_key(api: Api) -> None:
    created = api.create("owned")
    (user,) = api.get("/users").json()["data"]["items"]
    assert user["id"] == created["connected_by"] and user["active"] is True
    assert api.get(f"/users/{user['id']}").json()["data"] == user
    assert api.get("/account/info").json()["data"]["user_id"] == user["id"]
    assert error_of(api.get("/users/someone_else"))[:2] == (404, "NotFound_User")


# -- state, certificates, fingerprints ----------------------------------------------------------------------------


def test_an_iterable_connection_has_no_state_the_api_reads_or_changes(api: Api) -> None:
    """Fivetran: the state endpoints serve only Function and Connector SDK connections; its current reference page
    answers 400 for any other ("does not support state management"), where older pages said 405."""
    connection = api.create("stateful")
    path = f"/connections/{connection['id']}/state"
    for answer in (api.get(path), api.patch(path, {"state": {"cursor": "2024-01-01"}})):
        status, code, message = error_of(answer)
        assert (status, code) == (400, "NotFunctionConnector")
        assert "does not support state management" in message and "Connector SDK" in message
    assert error_of(api.get("/connections/unknown_id/state"))[0] == 404


@pytest.mark.parametrize(("what", "value_name"), [("certificates", "encoded_cert"), ("fingerprints", "public_key")])
def test_certificates_and_fingerprints_are_approved_listed_and_revoked(api: Api, what: str, value_name: str) -> None:
    connection = api.create(f"trusting_{what}")
    base = f"/connections/{connection['id']}/{what}"
    assert api.get(base).json()["data"]["items"] == []
    answer = api.post(base, {"hash": "abc123", value_name: "MIID9DCC..."})
    approved = answer.json()["data"]
    assert answer.status_code == 201
    assert approved["hash"] == "abc123" and approved["validated_by"] == connection["connected_by"]
    assert [item["hash"] for item in api.get(base).json()["data"]["items"]] == ["abc123"]
    assert api.get(f"{base}/abc123").json()["data"] == approved
    assert api.delete(f"{base}/abc123").status_code == 200
    assert api.get(f"{base}/abc123").status_code == 404
    assert error_of(api.post(base, {"hash": "x"}))[0] == 400


# -- webhook authentication -----------------------------------------------------------------------------------------


def test_webhook_auth_gives_the_iterable_side_a_secret(api: Api) -> None:
    plain = api.create("webhook_plain")
    assert plain["config"]["webhook_auth_type"] == "NoAuth" and "webhook_secret" not in plain["config"]
    basic = api.create("webhook_basic", config={"webhook_auth_type": "Basic"})
    secret = basic["config"]["webhook_secret"]
    assert len(secret) >= 24 and secret != "******"
    fetched = api.get(f"/connections/{basic['id']}").json()["data"]["config"]
    assert fetched["webhook_secret"] == secret, "the secret stays until the auth type changes"
    back = api.patch(f"/connections/{basic['id']}", {"config": {"webhook_auth_type": "NoAuth"},
                                                      "run_setup_tests": False}).json()["data"]["config"]
    assert "webhook_secret" not in back
    oauth = api.patch(f"/connections/{basic['id']}", {"config": {"webhook_auth_type": "OAuth2"},
                                                       "run_setup_tests": False}).json()["data"]["config"]
    assert oauth["webhook_secret"] not in (None, secret)


def test_the_webhook_secret_stays_with_its_auth_type_and_changes_with_it(api: Api) -> None:
    basic = api.create("webhook_turn", config={"webhook_auth_type": "Basic"})
    secret, url = basic["config"]["webhook_secret"], f"/connections/{basic['id']}"
    same = api.patch(url, {"config": {"webhook_auth_type": "Basic"}, "paused": True}).json()["data"]["config"]
    assert same["webhook_secret"] == secret
    oauth = api.patch(url, {"config": {"webhook_auth_type": "OAuth2"}, "run_setup_tests": False}).json()
    assert oauth["data"]["config"]["webhook_secret"] not in (None, secret)


# -- external secrets managers ---------------------------------------------------------------------------------------


def test_a_key_kept_in_an_external_secrets_manager_is_read_by_the_setup_tests(api: Api, emulator: Emulator) -> None:
    emulator.add_external_secret("esm_vault", "ITERABLE_KEY", "itbl-from-the-vault")
    body = create_body("from_vault", external_secrets_manager_id="esm_vault",
                       external_secrets_keys_config={"api_key": "ITERABLE_KEY"})
    del body["config"]["api_key"]
    data = api.post("/connections", body).json()["data"]
    assert data["status"]["setup_state"] == "connected" and "api_key" not in data["config"]
    assert data["external_secrets_manager_id"] == "esm_vault"
    assert data["external_secrets_keys_config"] == {"api_key": "ITERABLE_KEY"}
    assert data["config"]["project_type"] == "EMAIL_BASED_PROJECT"

    missing = api.patch(f"/connections/{data['id']}", {"external_secrets_keys_config": {"api_key": "NOT_THERE"}})
    tests = missing.json()["data"]["setup_tests"]
    assert tests[-1]["status"] == "FAILED" and "holds no secret named 'NOT_THERE'" in tests[-1]["message"]
    assert error_of(api.patch(f"/connections/{data['id']}", {"config": {"api_key": "direct"}}))[0] == 400


def test_secrets_manager_fields_are_checked(api: Api, emulator: Emulator) -> None:
    unknown = create_body("vault_unknown", external_secrets_manager_id="esm_nowhere",
                          external_secrets_keys_config={"api_key": "K"})
    del unknown["config"]["api_key"]
    assert error_of(api.post("/connections", unknown))[:2] == (404, "NotFound_ExternalSecretsManager")
    keys_alone = create_body("vault_alone", external_secrets_keys_config={"api_key": "K"})
    assert "external_secrets_manager_id" in error_of(api.post("/connections", keys_alone))[2]
    emulator.add_external_secret("esm_v", "K", "v-key")
    both = create_body("vault_both", external_secrets_manager_id="esm_v", external_secrets_keys_config={"api_key": "K"})
    assert "both set the key" in error_of(api.post("/connections", both))[2]


# -- the flexible schedule and its precedence -----------------------------------------------------------------


def test_a_schedule_takes_precedence_and_sets_what_it_means(api: Api) -> None:
    interval = api.create("sched_interval", schedule={"schedule_type": "INTERVAL", "interval": 60})
    assert interval["schedule"] == {"schedule_type": "INTERVAL", "interval": 60, "days_of_week": ALL_DAYS}
    assert interval["sync_frequency"] == 60 and interval["schedule_type"] == "auto"
    daily = api.create("sched_daily", schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00",
                                                "days_of_week": ["FRIDAY", "MONDAY"]})
    assert daily["schedule"]["days_of_week"] == ["MONDAY", "FRIDAY"]
    assert (daily["sync_frequency"], daily["daily_sync_time"]) == (1440, "04:00")
    manual = api.create("sched_manual", schedule={"schedule_type": "MANUAL"})
    assert manual["schedule_type"] == "manual"
    by_cron = api.create("sched_cron", schedule={"schedule_type": "CRON", "cron": "0 */6 * * *"})
    assert by_cron["schedule"] == {"schedule_type": "CRON", "cron": "0 */6 * * *"}


@pytest.mark.parametrize(("fields", "words"), [
    ({"schedule": {"schedule_type": "INTERVAL"}}, "schedule.interval' is required"),
    ({"schedule": {"schedule_type": "CRON", "cron": "0 * * * *", "interval": 60}}, "schedule.interval' is not used"),
    ({"schedule": {"schedule_type": "CRON", "cron": "every hour"}}, "five-field cron"),
    ({"schedule": {"schedule_type": "TIME_OF_DAY", "time_of_day": "04:30"}}, "schedule.time_of_day"),
    ({"schedule": {"schedule_type": "INTERVAL", "interval": 60, "days_of_week": ["FUNDAY"]}}, "days_of_week[0]"),
    ({"schedule": {"schedule_type": "INTERVAL", "interval": 60}, "sync_frequency": 360}, "contradicts 'schedule'"),
    ({"schedule": {"schedule_type": "MANUAL"}, "schedule_type": "auto"}, "contradicts 'schedule'"),
])
def test_a_schedule_that_is_incomplete_or_contradicted_is_refused(api: Api, fields: dict[str, Any],
                                                                  words: str) -> None:
    status, code, message = error_of(api.post("/connections", create_body("sched_bad", **fields)))
    assert (status, code) == (400, "InvalidInput") and words in message


def test_while_a_schedule_is_in_force_the_older_fields_change_only_with_it(api: Api) -> None:
    connection = api.create("sched_patch", schedule={"schedule_type": "INTERVAL", "interval": 60})
    path = f"/connections/{connection['id']}"
    refused = api.patch(path, {"sync_frequency": 360, "run_setup_tests": False})
    assert "cannot change while the connection has a 'schedule'" in error_of(refused)[2]
    moved = api.patch(path, {"schedule": {"schedule_type": "INTERVAL", "interval": 120}, "run_setup_tests": False})
    assert moved.json()["data"]["sync_frequency"] == 120
    cleared = api.patch(path, {"schedule": None, "sync_frequency": 360, "run_setup_tests": False}).json()["data"]
    assert "schedule" not in cleared and cleared["sync_frequency"] == 360


# -- destination naming, schema status, auth -------------------------------------------------------------------


def test_destination_schema_names_is_kept_and_create_only(api: Api) -> None:
    connection = api.create("naming", destination_schema_names="SOURCE_NAMING")
    assert connection["destination_schema_names"] == "SOURCE_NAMING"
    refused = api.patch(f"/connections/{connection['id']}", {"destination_schema_names": "FIVETRAN_NAMING"})
    assert "can only be set when creating" in error_of(refused)[2]


def test_schema_status_and_an_empty_auth_are_accepted_by_patch(api: Api) -> None:
    connection = api.create("patchable")
    path = f"/connections/{connection['id']}"
    blocked = api.patch(path, {"schema_status": "blocked_on_capture", "run_setup_tests": False}).json()["data"]
    assert blocked["status"]["schema_status"] == "blocked_on_capture"
    assert api.patch(path, {"auth": {}, "run_setup_tests": False}).status_code == 200
    assert error_of(api.patch(path, {"schema_status": "frozen"}))[0] == 400


# -- source metadata: what lineage tools read ------------------------------------------------------------------------


def all_items(api: Api, path: str, limit: int = 7) -> list[dict[str, Any]]:
    """Every item of a paged list, a few at a time (so paging is exercised too)."""
    items, cursor = [], ""
    while True:
        data = api.get(f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")).json()["data"]
        items += data["items"]
        cursor = data.get("next_cursor", "")
        if not cursor:
            return items


def test_source_metadata_lists_the_schema_tables_and_columns_once_the_schema_was_read(api: Api) -> None:
    """What Airflow's Fivetran provider reads for lineage: `GET /v1/metadata/connectors/{id}/tables|columns`."""
    connection = api.create("lineage")
    base = f"/metadata/connectors/{connection['id']}"
    assert [all_items(api, f"{base}/{what}") for what in ("schemas", "tables", "columns")] == [[], [], []]
    assert api.post(f"/connections/{connection['id']}/schemas/reload", {}).status_code == 200

    (schema,) = all_items(api, f"{base}/schemas")
    assert (schema["name_in_source"], schema["name_in_destination"]) == ("iterable", "lineage")
    tables = all_items(api, f"{base}/tables")
    assert [t["name_in_source"] for t in tables] == [t.name for t in TABLES]
    assert {t["parent_id"] for t in tables} == {schema["id"]}
    columns = all_items(api, f"{base}/columns", limit=1000)
    assert len(columns) == sum(len(t.all_columns) for t in TABLES)
    ids = [schema["id"], *(t["id"] for t in tables), *(c["id"] for c in columns)]
    assert len(set(ids)) == len(ids), "every item has its own id"
    by_table = {t["id"]: t["name_in_source"] for t in tables}
    email = next(c for c in columns if by_table[c["parent_id"]] == "event" and c["name_in_source"] == "email")
    key = next(c for c in columns if by_table[c["parent_id"]] == "event" and c["name_in_source"] == "_fivetran_id")
    channel = next(c for c in columns if by_table[c["parent_id"]] == "message_type" and c["name_in_source"] ==
                   "channel_id")
    assert (email["type_in_source"], email["is_primary_key"], email["is_foreign_key"]) == ("STRING", False, False)
    assert key["is_primary_key"] is True and (channel["type_in_source"], channel["is_foreign_key"]) == ("INT", True)
    assert all_items(api, f"{base}/tables") == tables, "ids are stable"


def test_source_metadata_of_an_unknown_connection_is_not_found(api: Api) -> None:
    for what in ("schemas", "tables", "columns"):
        status, code, _ = error_of(api.get(f"/metadata/connectors/no_such_connection/{what}"))
        assert (status, code) == (404, "NotFound_Connector"), what
