"""The provider as the engine really runs it: `python -m pulumi.dynamic` from the repository root, driven
over gRPC with the engine's call sequences (reference: pulumi-dynamic-providers.md, section 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from tests.support.emulator import Emulator
from tests.support.engine import UNKNOWN, EngineStandIn

API_KEY = "itbl-engine-canary-51c0"
DIFF_NONE = provider_pb2.DiffResponse.DIFF_NONE
DIFF_SOME = provider_pb2.DiffResponse.DIFF_SOME


@pytest.fixture
def engine(emulator: Emulator) -> Iterator[EngineStandIn]:
    config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
              "fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": "0"}
    with EngineStandIn.start(config) as stand_in:
        yield stand_in


def program(**overrides: Any) -> dict[str, Any]:
    config = {"schema": "iterable_engine", "api_key": API_KEY, **overrides.pop("config", {})}
    return {"group_id": "warehouse_main", "config": config, **overrides}


def up_new(engine: EngineStandIn, name: str, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check then Create, as `pulumi up` does for a new resource; returns id, outputs, stored inputs."""
    checked = engine.check(name, {}, news)
    assert checked.failures == []
    id_, outs = engine.create(name, checked.inputs)
    return id_, outs, checked.inputs


def test_preview_of_a_new_resource_with_unknown_group_sends_no_request(engine, emulator) -> None:
    checked = engine.check("c", {}, program(group_id=UNKNOWN))
    assert checked.failures == []
    assert checked.inputs["group_id"] == UNKNOWN
    assert checked.inputs["sync_frequency"] == 360
    assert emulator.requests() == []


def test_preview_reports_invalid_inputs_with_paths_and_sends_no_request(engine, emulator) -> None:
    checked = engine.check("c", {}, program(sync_frequency=45, config={"account_region": "APAC"}))
    assert {path for path, _ in checked.failures} == {"sync_frequency", "config.account_region"}
    assert emulator.requests() == []


def test_create_then_no_op_diff(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    assert outs["connection_id"] == id_ and outs["__provider"] == engine.provider_string
    assert [c["id"] for c in emulator.connections()] == [id_]
    before = len(emulator.requests())
    checked = engine.check("c", inputs, program())
    diff = engine.diff("c", id_, outs, checked.inputs, inputs)
    assert diff.changes == DIFF_NONE and list(diff.replaces) == []
    assert emulator.requests()[before:] == []


def test_update_in_place_returns_full_outputs(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    checked = engine.check("c", inputs, program(sync_frequency=60, paused=True))
    diff = engine.diff("c", id_, outs, checked.inputs, inputs)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == []
    new_outs = engine.update("c", id_, outs, checked.inputs, inputs)
    assert new_outs["sync_frequency"] == 60 and new_outs["paused"] is True
    for computed in ("connection_id", "status", "webhook_endpoint", "created_at", "setup_tests"):
        assert computed in new_outs, computed
    assert emulator.connections()[0]["sync_frequency"] == 60


def test_schema_change_replaces_create_before_delete(engine, emulator) -> None:
    old_id, outs, inputs = up_new(engine, "c", program())
    news = program(config={"schema": "iterable_engine_v2"})
    checked = engine.check("c", inputs, news)
    diff = engine.diff("c", old_id, outs, checked.inputs, inputs)
    assert list(diff.replaces) == ["config.schema"]
    assert not diff.deleteBeforeReplace
    new_id, new_outs, _ = up_new(engine, "c", news)  # Check(olds={}) again, then Create
    assert {c["id"] for c in emulator.connections()} == {old_id, new_id}
    engine.delete("c", old_id, outs, inputs)  # the old one goes last
    live = emulator.connections()
    assert [c["id"] for c in live] == [new_id] and live[0]["schema"] == "iterable_engine_v2"
    assert new_outs["schema"] == "iterable_engine_v2"


def test_group_change_and_unknown_group_are_replacements(engine) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    moved = engine.check("c", inputs, program(group_id="warehouse_eu"))
    assert list(engine.diff("c", id_, outs, moved.inputs, inputs).replaces) == ["group_id"]
    unknown = engine.check("c", inputs, program(group_id=UNKNOWN))
    diff = engine.diff("c", id_, outs, unknown.inputs, inputs)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == ["group_id"]


def test_refresh_shows_drift_and_the_next_preview_diffs(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    emulator.api("PATCH", f"/connections/{id_}", {"sync_frequency": 1440, "run_setup_tests": False})
    read_id, read_outs, read_inputs = engine.read("c", id_, outs, inputs)
    assert read_id == id_
    assert read_outs["sync_frequency"] == 1440 and read_inputs["sync_frequency"] == 1440
    assert read_inputs["config"]["api_key"] == API_KEY
    checked = engine.check("c", read_inputs, program())
    diff = engine.diff("c", id_, read_outs, checked.inputs, read_inputs)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == []


def test_refresh_after_out_of_band_deletion_drops_the_resource(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    emulator.api("DELETE", f"/connections/{id_}")
    read_id, _, _ = engine.read("c", id_, outs, inputs)
    assert read_id == ""


def test_destroy_deletes_and_tolerates_an_already_deleted_connection(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    engine.delete("c", id_, outs, inputs)
    assert emulator.connections() == []
    engine.delete("c", id_, outs, inputs)


def test_import_cannot_work_for_dynamic_resources(engine) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        engine.import_read("c", "some_connection_id")
    assert "__provider" in raised.value.details()


def test_errors_reach_the_engine_as_one_clear_line_without_secrets(engine, emulator) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        up_new(engine, "c", program(group_id="missing_group"))
    details = raised.value.details()
    assert details.startswith("create connection: group_id: destination group 'missing_group' was not found")
    assert "Traceback" not in details
    assert API_KEY not in details and emulator.api_secret not in details


def test_nothing_the_provider_prints_contains_a_secret(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    engine.update("c", id_, outs, engine.check("c", inputs, program(config={"api_key": "invalid-x"},
                                                                      setup_test_policy="warn")).inputs, inputs)
    printed = "".join(engine.printed)
    assert API_KEY not in printed and emulator.api_secret not in printed


# -- ownership and rollbacks with engine-shaped olds (every number a float, as the engine hands them back) ---


def test_engine_a_lost_create_reply_leaves_a_strangers_connection_alone(engine, emulator) -> None:
    theirs = emulator.create_connection("iterable_engine", "invalid-theirs", paused=True)
    emulator.fault(method="POST", path="^/v1/connections$", status=503, count=1)
    with pytest.raises(grpc.RpcError) as raised:
        up_new(engine, "c", program())
    assert "adopt_existing: true" in raised.value.details()
    (live,) = emulator.connections()
    assert live["id"] == theirs["id"] and live["paused"] is True and live["sync_frequency"] == 360
    assert not [r for r in emulator.requests() if r["method"] in ("PATCH", "DELETE")]


def test_engine_a_failing_key_over_a_card_key_never_sends_an_empty_revert(engine, emulator) -> None:
    card = program(connect_card_config={"redirect_uri": "https://example.com/done"})
    del card["config"]["api_key"]
    id_, outs, inputs = up_new(engine, "c", card)
    assert isinstance(outs["sync_frequency"], float)  # what the engine hands back as olds
    emulator.complete_connect_card(outs["connect_card_uri"].rsplit("auth=", 1)[1], "owners-working-key")
    checked = engine.check("c", inputs, program(config={"api_key": "invalid-declared"}))
    with pytest.raises(grpc.RpcError) as raised:
        engine.update("c", id_, outs, checked.inputs, inputs)
    assert "could not be restored" in raised.value.details() and "Nothing to update" not in raised.value.details()
    assert [r["status"] for r in emulator.requests() if r["method"] == "PATCH"] == [200]


def test_engine_a_rollback_restores_numbers_from_float_olds(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program(sync_frequency=360))
    checked = engine.check("c", inputs, program(sync_frequency=60, config={"api_key": "invalid-rotated"}))
    with pytest.raises(grpc.RpcError) as raised:
        engine.update("c", id_, outs, checked.inputs, inputs)
    assert "rolled back" in raised.value.details()
    (live,) = emulator.connections()
    assert live["sync_frequency"] == 360 and live["status"]["setup_state"] == "connected"


def test_engine_a_rename_with_adopt_existing_keeps_the_connection(engine, emulator) -> None:
    old_id, old_outs, old_inputs = up_new(engine, "old-name", program())
    new_id, _, _ = up_new(engine, "new-name", program(adopt_existing=True))
    assert new_id == old_id
    engine.delete("old-name", old_id, old_outs, old_inputs)  # the engine deletes the old resource last
    assert [c["id"] for c in emulator.connections()] == [new_id]
    assert "not deleted" in engine.printed_text("not deleted")


def test_engine_the_current_fields_round_trip_without_a_diff(engine, emulator) -> None:
    emulator.add_external_secret("esm_vault", "ITERABLE_API_KEY", "itbl-vault-key")
    news = program(schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00", "days_of_week": ["MONDAY"]},
                   external_secrets_manager_id="esm_vault",
                   external_secrets_keys_config={"api_key": "ITERABLE_API_KEY"},
                   destination_schema_names="SOURCE_NAMING", config={"webhook_auth_type": "OAuth2"})
    del news["config"]["api_key"]
    id_, outs, inputs = up_new(engine, "c", news)
    assert outs["webhook_secret"] and outs["status"]["setup_state"] == "connected"
    read_id, read_outs, read_inputs = engine.read("c", id_, outs, inputs)
    checked = engine.check("c", read_inputs, news)
    assert engine.diff("c", id_, read_outs, checked.inputs, read_inputs).changes == DIFF_NONE
    renamed = engine.check("c", read_inputs, {**news, "destination_schema_names": "FIVETRAN_NAMING"})
    assert list(engine.diff("c", id_, read_outs, renamed.inputs, read_inputs).replaces) == ["destination_schema_names"]


# -- what the connection syncs: schema config and re-syncs through the engine's own serialization ---------------

SCHEMA_CONFIG = {"schema_change_handling": "ALLOW_COLUMNS",
                 "tables": {"LIST_USER_HISTORY": {"enabled": False},
                            "user_history": {"columns": {"email": {"hashed": True}}}}}


def test_engine_schema_config_applies_with_the_connection_and_round_trips_without_a_diff(engine, emulator) -> None:
    news = program(schema_config=SCHEMA_CONFIG)
    id_, outs, inputs = up_new(engine, "c", news)
    assert outs["schema_config"]["tables"]["list_user_history"] == {"enabled": False}
    emulator.api("POST", f"/connections/{id_}/sync", {})  # Fivetran reads the schema, applying the settings
    emulator.api("PATCH", f"/connections/{id_}/schemas/iterable/tables/event", {"enabled": False})  # undeclared
    read_id, read_outs, read_inputs = engine.read("c", id_, outs, inputs)
    checked = engine.check("c", read_inputs, news)
    assert engine.diff("c", id_, read_outs, checked.inputs, read_inputs).changes == DIFF_NONE
    emulator.api("PATCH", f"/connections/{id_}/schemas/iterable/tables/list_user_history", {"enabled": True})
    _, drifted_outs, drifted_inputs = engine.read("c", id_, read_outs, read_inputs)
    checked = engine.check("c", drifted_inputs, news)
    diff = engine.diff("c", id_, drifted_outs, checked.inputs, drifted_inputs)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == []
    before = len(emulator.requests())
    engine.update("c", id_, drifted_outs, checked.inputs, drifted_inputs)
    assert [(r["method"], r["path"]) for r in emulator.requests()[before:]] == [
        ("PATCH", f"/v1/connections/{id_}/schemas")]


def test_engine_preview_rejects_unknown_and_locked_items_with_no_request(engine, emulator) -> None:
    checked = engine.check("c", {}, program(schema_config={"tables": {"list_user_histroy": {"enabled": False},
                                                                       "channel": {"enabled": False}}}))
    assert dict(checked.failures) == {
        "schema_config.tables.list_user_histroy":
            "is not a table of an Iterable connection; did you mean 'list_user_history'?",
        "schema_config.tables.channel.enabled":
            "cannot be false: other Iterable tables refer to it, so Fivetran keeps it enabled; remove the setting"}
    assert emulator.requests() == []


def test_engine_a_requested_resync_is_shown_in_preview_and_sent_once(engine, emulator) -> None:
    id_, outs, inputs = up_new(engine, "c", program())
    news = program(resync={"trigger": "2026-12-02", "tables": ["list_user_history"]})
    checked = engine.check("c", inputs, news)
    assert engine.diff("c", id_, outs, checked.inputs, inputs).changes == DIFF_SOME
    said = "historical re-sync of the tables list_user_history"
    assert said in engine.printed_text(said)
    new_outs = engine.update("c", id_, outs, checked.inputs, inputs)
    again = engine.check("c", checked.inputs, news)
    assert engine.diff("c", id_, new_outs, again.inputs, checked.inputs).changes == DIFF_NONE
    assert [r["path"] for r in emulator.requests() if r["path"].endswith("/resync")] == [
        f"/v1/connections/{id_}/resync"]
