"""The schema configuration of an Iterable connection and the re-syncs: what exists when, what can be changed,
and what a re-sync during a sync gets."""

from __future__ import annotations

from typing import Any

import pytest

from fivetran_emulator.catalog import SOURCE_SCHEMA, TABLES, TABLES_BY_NAME
from tests.emulator.conftest import GROUP, Api
from tests.support.emulator import Emulator, start_emulator


def schemas_path(connection: dict[str, Any]) -> str:
    return f"/connections/{connection['id']}/schemas"


def tables_of(data: dict[str, Any]) -> dict[str, Any]:
    tables: dict[str, Any] = data["schemas"][SOURCE_SCHEMA]["tables"]
    return tables


def captured(api: Api, schema: str = "iterable_prod") -> dict[str, Any]:
    connection = api.create(schema)
    assert api.post(schemas_path(connection) + "/reload", {}).status_code == 200
    return connection


def change(tables: dict[str, Any], handling: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": {SOURCE_SCHEMA: {"enabled": True, "tables": tables}}}
    if handling:
        body["schema_change_handling"] = handling
    return body


# -- when a schema config exists -----------------------------------------------------------------------------------
def test_a_new_connection_has_no_schema_config_until_its_schema_is_read(api: Api) -> None:
    connection = api.create("fresh")
    response = api.get(schemas_path(connection))
    assert response.status_code == 404 and response.json()["code"] == "NotFound_SchemaConfig"
    assert "reload" in response.json()["message"]


def test_reload_reads_every_iterable_table_once_the_setup_succeeded(api: Api) -> None:
    connection = captured(api)
    data = api.get(schemas_path(connection)).json()["data"]
    assert set(tables_of(data)) == {table.name for table in TABLES}
    assert data["schema_change_handling"] == "ALLOW_ALL" and data["enable_new_by_default"] is True
    assert data["schemas"][SOURCE_SCHEMA]["name_in_destination"] == "iterable_prod"
    # Only columns whose state was ever set are shown; the full list has its own endpoint.
    assert all(table["columns"] == {} for table in tables_of(data).values())
    columns = api.get(schemas_path(connection) + "/iterable/tables/user_history/columns").json()["data"]["columns"]
    assert set(columns) == set(TABLES_BY_NAME["user_history"].all_columns)
    assert columns["_fivetran_id"]["is_primary_key"] is True
    assert columns["_fivetran_id"]["enabled_patch_settings"]["allowed"] is False
    assert columns["email"]["enabled_patch_settings"] == {"allowed": True}


def test_reload_is_refused_while_the_setup_has_not_succeeded(api: Api) -> None:
    broken = api.create("broken", config={"api_key": "invalid_key_0123"})
    response = api.post(schemas_path(broken) + "/reload", {})
    assert response.status_code == 409 and "setup is incomplete" in response.json()["message"]
    assert api.get(schemas_path(broken)).status_code == 404


def test_the_first_successful_sync_reads_the_schema(api: Api) -> None:
    connection = api.create("synced")
    assert api.post(f"/connections/{connection['id']}/sync", {}).status_code == 200
    assert set(tables_of(api.get(schemas_path(connection)).json()["data"])) == set(TABLES_BY_NAME)


# -- pre-created settings --------------------------------------------------------------------------------------------
def test_settings_pre_created_before_capture_apply_at_capture_except_what_cannot_change(api: Api,
                                                                                        emulator: Emulator) -> None:
    response = api.post("/connections", {"service": "iterable", "group_id": GROUP, "config": {"schema": "card"},
                                          "connect_card_config": {"redirect_uri": "https://example.com/done"},
                                          "run_setup_tests": False})
    card = response.json()["data"]
    body = change({
        "list_user_history": {"enabled": False},
        "channel": {"enabled": False},  # other tables refer to it: ignored at capture
        "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True},
                                                     "_fivetran_id": {"enabled": False}}},  # a key: ignored
        "not_an_iterable_table": {"enabled": False},
    }, "BLOCK_ALL")
    response = api.post(schemas_path(card), body)
    assert response.status_code == 200, response.text
    shown = tables_of(response.json()["data"])
    assert set(shown) == {"list_user_history", "channel", "user_history", "not_an_iterable_table"}  # as given
    assert api.post(schemas_path(card), body).status_code == 409  # once only

    emulator.complete_connect_card(card["connect_card"]["token"], "itk_from_the_card")
    assert api.post(f"/connections/{card['id']}/sync", {}).status_code == 200
    data = api.get(schemas_path(card)).json()["data"]
    tables = tables_of(data)
    assert data["schema_change_handling"] == "BLOCK_ALL"
    assert tables["list_user_history"]["enabled"] is False
    assert tables["channel"]["enabled"] is True
    assert tables["user_history"]["columns"] == {"email": {
        "name_in_destination": "email", "enabled": True, "hashed": True, "is_primary_key": False,
        "enabled_patch_settings": {"allowed": True}}}
    assert "not_an_iterable_table" not in tables


# -- changes ---------------------------------------------------------------------------------------------------------
def test_a_patch_changes_only_what_it_names_and_shows_the_columns_ever_set(api: Api) -> None:
    connection = captured(api)
    response = api.patch(schemas_path(connection), change({
        "list_user_history": {"enabled": False},
        "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}},
        "ALLOW_COLUMNS"))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["schema_change_handling"], data["enable_new_by_default"]) == ("ALLOW_COLUMNS", False)
    tables = tables_of(data)
    assert tables["list_user_history"]["enabled"] is False and tables["event"]["enabled"] is True
    assert tables["user_history"]["columns"]["email"]["hashed"] is True
    # The column's own endpoint: the table stays as it is.
    api.patch(schemas_path(connection) + "/iterable/tables/list_user_history/columns/email", {"hashed": True,
                                                                                          "enabled": True})
    tables = tables_of(api.get(schemas_path(connection)).json()["data"])
    assert tables["list_user_history"]["enabled"] is False
    assert tables["list_user_history"]["columns"]["email"]["hashed"] is True


def test_what_cannot_change_is_refused_naming_it(api: Api) -> None:
    connection = captured(api)
    cases = {
        "channel": change({"channel": {"enabled": False}}),
        "_fivetran_id": change({"event": {"enabled": True, "columns": {"_fivetran_id": {"enabled": False}}}}),
        "updated_at": change({"user_history": {"enabled": True, "columns": {"updated_at": {"enabled": True,
                                                                                           "hashed": True}}}}),
        "nope": change({"nope": {"enabled": False}}),
        "schema_change_handling": {"schema_change_handling": "ALLOW_SOME"},
        "'other'": {"schemas": {"other": {"enabled": True, "tables": {}}}},
    }
    for named, body in cases.items():
        response = api.patch(schemas_path(connection), body)
        assert response.status_code == 400 and named in response.json()["message"], (named, response.text)
    # Nothing of a refused request was applied.
    tables = tables_of(api.get(schemas_path(connection)).json()["data"])
    assert tables["channel"]["enabled"] is True and tables["event"]["columns"] == {}


def test_a_patch_before_the_schema_exists_is_not_found(api: Api) -> None:
    connection = api.create("not_yet", paused=True, run_setup_tests=False)
    response = api.patch(schemas_path(connection), {"schema_change_handling": "BLOCK_ALL"})
    assert response.status_code == 404 and response.json()["code"] == "NotFound_SchemaConfig"


def test_blocked_columns_can_be_dropped_others_not(api: Api) -> None:
    connection = captured(api)
    base = schemas_path(connection)
    assert api.delete(base + "/iterable/tables/user_history/columns/phone_number").status_code == 409
    api.patch(base, change({"user_history": {"enabled": True, "columns": {"phone_number": {"enabled": False}}}}))
    assert api.delete(base + "/iterable/tables/user_history/columns/phone_number").status_code == 200
    assert api.delete(base + "/iterable/tables/user_history/columns/no_such").status_code == 404


def test_several_blocked_columns_drop_in_one_request_whose_shape_is_checked(api: Api) -> None:
    connection = captured(api)
    base = schemas_path(connection)
    api.patch(base, change({"user_history": {"enabled": True, "columns": {"phone_number": {"enabled": False}}}}))
    for body, named in (({"bogus": 1}, "bogus"), ({"schemas": {"iterable": "x"}}, "schemas.iterable"),
                        ({"schemas": {"iterable": {"tables": {"user_history": {"columns": "phone_number"}}}}},
                         "schemas.iterable.tables.user_history.columns")):
        response = api.post(base + "/drop-columns", body)
        assert response.status_code == 400 and named in response.json()["message"], (body, response.text)
    dropped = {"schemas": {"iterable": {"tables": {"user_history": {"columns": ["phone_number"]}}}}}
    assert api.post(base + "/drop-columns", dropped).status_code == 200


def test_a_badly_shaped_schema_body_is_a_400_naming_where(api: Api) -> None:
    connection = captured(api)
    base = schemas_path(connection)
    for body, named in ((change({"event": {"enabled": True, "columns": ["ip"]}}), "tables.event.columns"),
                        ({"schemas": {"iterable": {"enabled": True, "tables": ["event"]}}}, "schemas.iterable.tables")):
        response = api.patch(base, body)
        assert response.status_code == 400 and named in response.json()["message"], (body, response.text)
    for scope in ({"iterable": [["event"]]}, {"iterable": [{"a": 1}]}, {"iterable": "event"}):
        response = api.post(f"/connections/{connection['id']}/resync", {"scope": scope})
        assert response.status_code == 400 and "scope.iterable" in response.json()["message"], (scope, response.text)


def test_the_column_endpoint_leaves_a_disabled_table_disabled(api: Api) -> None:
    connection = captured(api)
    base = schemas_path(connection)
    api.patch(base, change({"list_user_history": {"enabled": False}}))
    column = api.patch(base + "/iterable/tables/list_user_history/columns/email", {"hashed": True, "enabled": True})
    table = column.json()["data"]["schemas"]["iterable"]["tables"]["list_user_history"]
    assert column.status_code == 200 and table["enabled"] is False and table["columns"]["email"]["hashed"] is True



def test_what_a_change_leaves_out_stays_as_it_was(api: Api) -> None:
    """Fivetran's Terraform provider sends `enabled` only when it changes (the OpenAPI marks it required)."""
    connection = captured(api)
    base = schemas_path(connection)
    api.patch(base, change({"list_user_history": {"enabled": False},
                            "user_history": {"enabled": True, "columns": {"email": {"enabled": False}}}}))
    response = api.patch(base, change({"list_user_history": {"columns": {"email": {"hashed": True}}},
                                       "user_history": {"columns": {"email": {"hashed": True}}}}))
    assert response.status_code == 200, response.text
    tables = tables_of(response.json()["data"])
    assert tables["list_user_history"]["enabled"] is False, "a table change without enabled leaves it disabled"
    assert tables["list_user_history"]["columns"]["email"] == {**tables["list_user_history"]["columns"]["email"],
                                                               "enabled": True, "hashed": True}
    assert tables["user_history"]["columns"]["email"]["enabled"] is False, "a column change without enabled too"
    assert tables["user_history"]["columns"]["email"]["hashed"] is True
    fresh = api.create("precreated")
    assert api.post(schemas_path(fresh), change({"user_history": {"columns": {"email": {"hashed": True}}}}
                                                )).status_code == 200
    shown = tables_of(api.get(schemas_path(fresh)).json()["data"])["user_history"]
    assert shown["enabled"] is True and shown["columns"]["email"]["enabled"] is True

# -- re-syncs --------------------------------------------------------------------------------------------------------
def test_a_resync_during_a_sync_is_refused_with_409_and_accepted_after(api: Api, emulator: Emulator) -> None:
    connection = captured(api)
    emulator.control("POST", f"/__emulator/connections/{connection['id']}/syncing", {"seconds": 30})
    shown = api.get(f"/connections/{connection['id']}").json()["data"]
    assert shown["status"]["sync_state"] == "syncing"
    for path, body in ((f"/connections/{connection['id']}/resync", {}),
                       (schemas_path(connection) + "/tables/resync", {"iterable": ["list_user_history"]})):
        response = api.post(path, body)
        assert response.status_code == 409 and "in progress" in response.json()["message"], path
    emulator.control("POST", f"/__emulator/connections/{connection['id']}/syncing", {"seconds": 0})

    def historical() -> bool:
        return api.get(f"/connections/{connection['id']}").json()["data"]["status"]["is_historical_sync"]

    assert api.post(f"/connections/{connection['id']}/sync", {}).status_code == 200 and historical() is False
    assert api.post(f"/connections/{connection['id']}/resync", {"scope": {"iterable": ["event"]}}).status_code == 200
    assert historical() is False, "a re-sync of some tables leaves the connection's flag alone"
    assert api.post(f"/connections/{connection['id']}/resync", {}).status_code == 200
    assert historical() is True


def test_a_resync_names_existing_tables(api: Api) -> None:
    connection = captured(api)
    for body in ({"scope": {}}, {"scope": {"iterable": []}}, {"scope": {"iterable": ["nope"]}},
                 {"scope": {"other": ["event"]}}, {"tables": ["event"]}):
        response = api.post(f"/connections/{connection['id']}/resync", body)
        assert response.status_code == 400, (body, response.text)


def test_the_legacy_per_table_resync_reaches_one_table_of_the_source(api: Api) -> None:
    """go-fivetran's `ResyncTable` posts `.../schemas/{schema}/tables/{table}/resync` with no body."""
    connection = captured(api)
    base = schemas_path(connection)
    assert api.post(f"/connections/{connection['id']}/sync", {}).status_code == 200  # the first sync ends
    answer = api.post(base + "/iterable/tables/user_history/resync")
    assert answer.status_code == 200 and answer.json() == {"code": "Success",
                                                           "message": "Re-sync has been triggered successfully"}
    shown = api.get(f"/connections/{connection['id']}").json()["data"]
    assert shown["status"]["is_historical_sync"] is False, "one table's re-sync leaves the connection's flag alone"
    for path, code in ((base + "/iterable/tables/no_such_table/resync", "NotFound_Table"),
                       (base + "/other/tables/event/resync", "NotFound_Schema"),
                       ("/connections/no_such_connection/schemas/iterable/tables/event/resync", "NotFound_Connection")):
        answer = api.post(path)
        assert (answer.status_code, answer.json()["code"]) == (404, code), path
    assert api.post(base + "/iterable/tables/event/resync", {"force": True}).status_code == 400


def table_resyncs(api: Api, connection: dict[str, Any]) -> list[tuple[str, Any]]:
    """The three ways to ask for a re-sync of single tables."""
    return [(f"/connections/{connection['id']}/resync", {"scope": {"iterable": ["event"]}}),
            (schemas_path(connection) + "/tables/resync", {"iterable": ["event"]}),
            (schemas_path(connection) + "/iterable/tables/event/resync", None)]


def test_table_resyncs_are_refused_as_for_an_unsupported_connector_type_when_told(api: Api,
                                                                                   emulator: Emulator) -> None:
    connection = captured(api)
    assert emulator.control("GET", "/__emulator/table-resync") == {"supported": True}
    assert emulator.control("POST", "/__emulator/table-resync", {"supported": False}) == {"supported": False}
    for path, body in table_resyncs(api, connection):
        answer = api.post(path, body)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["code"] == "InvalidInput" and "not supported" in answer.json()["message"], path
    # The whole connection still re-syncs, and an unknown connection is still a 404 first.
    assert api.post(f"/connections/{connection['id']}/resync", {}).status_code == 200
    assert api.post("/connections/nope/resync", {"scope": {"iterable": ["event"]}}).status_code == 404
    emulator.reset()  # back to what the command line said
    connection = captured(api)
    assert all(api.post(path, body).status_code == 200 for path, body in table_resyncs(api, connection))


def test_the_command_line_can_refuse_table_resyncs_from_the_start() -> None:
    with start_emulator("--group", f"{GROUP}:Main", "--refuse-table-resync") as refusing:
        api = Api(refusing)
        connection = captured(api)
        assert refusing.control("GET", "/__emulator/table-resync") == {"supported": False}
        assert [api.post(path, body).status_code for path, body in table_resyncs(api, connection)] == [400] * 3
        refusing.reset()
        assert refusing.control("GET", "/__emulator/table-resync") == {"supported": False}
    with pytest.raises(RuntimeError):
        start_emulator("--refuse-table-resync=yes")


def test_table_and_column_updates_are_partial(api: Api) -> None:
    """What Fivetran's own clients send: a table or column update without `enabled` keeps it as it is."""
    connection = captured(api)
    base = schemas_path(connection)
    api.patch(base, change({"user_history": {"enabled": False, "columns": {"email": {"enabled": False}}}}))
    table = api.patch(base + "/iterable/tables/user_history", {"columns": {"email": {"hashed": True}}})
    assert table.status_code == 200, table.text
    shown = tables_of(table.json()["data"])["user_history"]
    assert shown["enabled"] is False and shown["columns"]["email"] == {**shown["columns"]["email"],
                                                                       "enabled": False, "hashed": True}
    column = api.patch(base + "/iterable/tables/user_history/columns/email", {"enabled": True})
    assert tables_of(column.json()["data"])["user_history"]["columns"]["email"]["hashed"] is True
    whole = api.patch(base, change({"user_history": {"sync_mode": "SOFT_DELETE"}}))
    assert whole.status_code == 200 and tables_of(whole.json()["data"])["user_history"]["enabled"] is False
    refused = api.patch(base + "/iterable/tables/user_history", {"enabled": "no"})
    assert refused.status_code == 400 and "user_history.enabled" in refused.json()["message"]
