"""Which Iterable tables and columns a connection syncs (`schema_config`), and re-syncs on request (`resync`).

Offline first (check, diff and the pure rules: no HTTP), then the provider against the emulator, called the way
the engine calls it: declared with a new connection, read back, repaired after a dashboard change, adopted,
waiting for a Connect Card, and re-synced exactly once."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from pulumi_fivetran_iterable import schema_config as rules
from pulumi_fivetran_iterable.catalog import TABLES, column_locked_reason
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError

from fivetran_emulator import catalog as emulator_catalog
from tests.support.emulator import Emulator
from tests.support.failures import by_path
from tests.test_provider import checked, make_provider, program

# The user guide's example: block the table that raises MAR, hash a PII column.
DECLARED = {"tables": {"list_user_history": {"enabled": False},
                       "user_history": {"columns": {"email": {"hashed": True}}}}}
CANONICAL = {"tables": {"list_user_history": {"enabled": False},
                        "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}}


def failures(**overrides: Any) -> dict[str, str]:
    result = IterableConnectionProvider().check({}, program(**overrides))
    return by_path(result.failures)


def schemas_of(emulator: Emulator, connection_id: str) -> dict[str, Any] | None:
    status, body = emulator.api("GET", f"/connections/{connection_id}/schemas")
    return body["data"] if status == 200 else None


def tables_of(emulator: Emulator, connection_id: str) -> dict[str, Any]:
    data = schemas_of(emulator, connection_id)
    assert data is not None
    return data["schemas"]["iterable"]["tables"]  # type: ignore[no-any-return]


def requests_since(emulator: Emulator, count: int) -> list[tuple[str, str]]:
    return [(r["method"], r["path"].removeprefix("/v1")) for r in emulator.requests()[count:]]


def state(outs: dict[str, Any]) -> dict[str, Any]:
    return {**outs, "__provider": "serialized"}


def declare(provider: IterableConnectionProvider, **overrides: Any) -> dict[str, Any]:
    return checked(provider, program(**{"schema_config": DECLARED, **overrides}))


# -- offline: the catalog, the rules, the canonical form ---------------------------------------------------------
def test_the_provider_and_the_emulator_know_the_same_tables_columns_and_locks() -> None:
    assert {name: table.columns for name, table in TABLES.items()} == {
        table.name: table.all_columns for table in emulator_catalog.TABLES}
    for table in emulator_catalog.TABLES:
        assert TABLES[table.name].can_be_disabled == (emulator_catalog.table_locked(table) is None), table.name
        for column in table.all_columns:
            locked_here = column_locked_reason(TABLES[table.name], column) is not None
            assert locked_here == (emulator_catalog.column_locked(table, column) is not None), (table.name, column)


def test_every_problem_is_reported_at_once_naming_the_item_and_the_closest_real_name() -> None:
    found = failures(schema_config={
        "schema_change_handling": "ALLOW_SOME",
        "tables": {"user_hstory": {"enabled": False}, "channel": {"enabled": False},
                   "event": {"columns": {"emial": {"hashed": True}, "_fivetran_id": {"enabled": False},
                                         "ip": {"hashd": True}}},
                   "campaign_history": {"columns": {"id": {"hashed": True}}}}},
        resync={"trigger": " ", "tables": ["evnt"]})
    assert found == {
        "schema_config.schema_change_handling": "must be one of ALLOW_ALL, ALLOW_COLUMNS, BLOCK_ALL (got 'ALLOW_SOME')",
        "schema_config.tables.user_hstory": "is not a table of an Iterable connection; did you mean 'user_history'?",
        "schema_config.tables.channel.enabled":
            "cannot be false: other Iterable tables refer to it, so Fivetran keeps it enabled; remove the setting",
        "schema_config.tables.event.columns.emial":
            "is not a column of the Iterable table 'event'; did you mean 'email'?",
        "schema_config.tables.event.columns._fivetran_id.enabled":
            "cannot be false: it is part of the primary key of event, so Fivetran always syncs it",
        "schema_config.tables.event.columns.ip.hashd":
            "is not an input of an Iterable connection; did you mean 'schema_config.tables.event.columns.ip.hashed'?",
        "schema_config.tables.campaign_history.columns.id.hashed":
            "cannot be true: it is part of the primary key of campaign_history, so Fivetran never hashes it",
        "resync.trigger": "must not be blank; use any text that you change to request a re-sync, for example "
                          "today's date",
        "resync.tables[0]": "is not a table of an Iterable connection; did you mean 'event'?",
    }


def test_a_table_with_no_close_name_lists_the_real_ones() -> None:
    reason = failures(schema_config={"tables": {"zzz": {}}})["schema_config.tables.zzz"]
    assert "the tables are campaign_history, " in reason and "user_unsubscribed_message_type_history" in reason


def test_names_are_not_case_sensitive_but_one_name_twice_is_an_error() -> None:
    result = IterableConnectionProvider().check({}, program(schema_config={
        "schema_change_handling": "BLOCK_ALL",
        "tables": {"LIST_USER_HISTORY": {"enabled": False}, "User_History": {"columns": {"EMAIL": {"hashed": True}}}}}))
    assert result.failures == []
    assert result.inputs["schema_config"] == {"schema_change_handling": "BLOCK_ALL", **CANONICAL}
    twice = failures(schema_config={"tables": {"event": {}, "EVENT": {"enabled": False}}})
    assert twice == {"schema_config.tables": "names 'event' twice (names are not case-sensitive); keep one"}


def test_a_resync_of_a_table_the_program_disables_is_an_error() -> None:
    found = failures(schema_config=DECLARED, resync={"trigger": "1", "tables": ["event", "List_User_History"]})
    assert list(found) == ["resync.tables[1]"] and "disabled in schema_config" in found["resync.tables[1]"]


def test_an_empty_schema_config_manages_nothing() -> None:
    result = IterableConnectionProvider().check({}, program(schema_config={"tables": {}}))
    assert result.failures == [] and "schema_config" not in result.inputs


def test_changes_hold_only_what_differs_in_one_body() -> None:
    held = {"tables": {"list_user_history": {"enabled": True},
                       "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}}
    assert rules.changes(held, CANONICAL) == {"schemas": {"iterable": {"enabled": True, "tables": {
        "list_user_history": {"enabled": False}}}}}
    assert rules.changes(CANONICAL, CANONICAL) == {}
    assert rules.changes(None, {"schema_change_handling": "BLOCK_ALL", **CANONICAL}) == {
        "schema_change_handling": "BLOCK_ALL",
        "schemas": {"iterable": {"enabled": True, "tables": CANONICAL["tables"]}}}


def test_reading_back_looks_at_the_declared_items_only() -> None:
    live = {"schema_change_handling": "BLOCK_ALL", "schemas": {"iterable": {"tables": {
        "list_user_history": {"enabled": False, "columns": {}},
        "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True},
                                                      "phone_number": {"enabled": False, "hashed": False}}},
        "event": {"enabled": False, "columns": {}}}}}}
    assert rules.project(live, CANONICAL) == CANONICAL  # no handling declared, event and phone_number not looked at
    assert rules.project(live, None) is None
    assert rules.project(None, CANONICAL) == {}  # nothing in Fivetran: every declared item differs
    unlisted = {"tables": {"user_history": {"enabled": True, "columns": {"first_name": {"enabled": False,
                                                                                        "hashed": False}}}}}
    assert rules.unlisted_columns(live, unlisted) == ["user_history"]
    assert rules.project(live, unlisted)["tables"]["user_history"]["columns"]["first_name"] == {
        "enabled": True, "hashed": False}  # listed nowhere: Fivetran's defaults


def test_a_schema_config_change_is_an_update_not_a_replacement(capsys) -> None:
    provider = IterableConnectionProvider()
    olds = {**program(schema_config=CANONICAL), "service": "iterable"}
    news = checked(provider, program(schema_config={"tables": {"list_user_history": {"enabled": True}}}))
    result = provider.diff("conn", olds, news)
    assert result.changes is True and result.replaces == []
    assert capsys.readouterr().out == ""


def test_the_preview_says_when_a_resync_is_requested_and_when_a_replacement_resyncs_everything(capsys) -> None:
    provider = IterableConnectionProvider()
    olds = checked(provider, program(resync={"trigger": "a"}))
    news = checked(provider, program(resync={"trigger": "b", "tables": ["event", "list"]}))
    assert provider.diff("conn", olds, news).changes is True
    assert "historical re-sync of the tables event, list (once" in capsys.readouterr().out
    assert provider.diff("conn", news, news).changes is False
    assert capsys.readouterr().out == ""
    renamed = checked(provider, program(config={"schema": "iterable_renamed"}))
    assert provider.diff("conn", olds, renamed).replaces == ["config.schema"]
    said = capsys.readouterr().out
    assert "is replaced because config.schema changed" in said and "full historical sync" in said


# -- against the emulator: create -----------------------------------------------------------------------------------
def test_declared_with_a_new_connection_in_one_up_and_unchanged_after(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    news = declare(provider)
    created = provider.create(news)
    assert created.outs["schema_config"] == CANONICAL and created.outs["paused"] is False
    assert requests_since(emulator, 0) == [
        ("POST", "/connections"), ("POST", f"/connections/{created.id}/schemas"),
        ("PATCH", f"/connections/{created.id}")]
    live = emulator.connections()[0]
    assert live["paused"] is False
    # Created paused, so that no sync could read the schema before its settings were in place.
    # Fivetran applies them when it first reads the schema (the first sync):
    emulator.api("POST", f"/connections/{created.id}/sync", {})
    tables = tables_of(emulator, created.id)
    assert tables["list_user_history"]["enabled"] is False and tables["event"]["enabled"] is True
    assert tables["user_history"]["columns"]["email"]["hashed"] is True
    read = provider.read(created.id, state(created.outs))
    assert read.inputs["schema_config"] == CANONICAL
    assert provider.diff(created.id, state(read.outs), news).changes is False


def test_a_connection_declared_paused_is_created_paused_without_an_extra_request(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    created = provider.create(declare(provider, paused=True))
    assert [method for method, _ in requests_since(emulator, 0)] == ["POST", "POST"]
    assert emulator.connections()[0]["paused"] is True and created.outs["paused"] is True


def test_a_connect_card_connection_gets_its_schema_config_when_the_card_is_completed(emulator: Emulator,
                                                                                      capsys) -> None:
    provider = make_provider(emulator)
    props = program(schema_config=DECLARED, connect_card_config={"redirect_uri": "https://example.com/done"})
    del props["config"]["api_key"]
    news = checked(provider, props)
    created = provider.create(news)
    said = capsys.readouterr().out
    assert "is not set up yet" in said and "once its Connect Card is completed" in said
    assert created.outs["status"]["setup_state"] == "incomplete" and created.outs["schema_config"] == CANONICAL
    # The owner completes the card, then the first sync reads the schema.
    token = parse_qs(urlparse(created.outs["connect_card_uri"]).query)["auth"][0]
    emulator.complete_connect_card(token, "itbl-owner-typed-this")
    emulator.api("POST", f"/connections/{created.id}/sync", {})
    assert tables_of(emulator, created.id)["list_user_history"]["enabled"] is False
    read = provider.read(created.id, state(created.outs))
    assert read.outs["status"]["setup_state"] == "connected"
    assert provider.diff(created.id, state(read.outs), news).changes is False


def test_failing_setup_tests_under_warn_keep_the_schema_config_waiting(emulator: Emulator, capsys) -> None:
    provider = make_provider(emulator)
    created = provider.create(declare(provider, setup_test_policy="warn", config={"api_key": "invalid-key-1"}))
    assert "once its setup tests pass" in capsys.readouterr().out
    assert created.outs["status"]["setup_state"] == "incomplete"
    assert tables_of(emulator, created.id)["list_user_history"]["enabled"] is False  # pre-created, waiting


def test_a_schema_config_that_cannot_be_written_leaves_no_connection_behind(emulator: Emulator) -> None:
    emulator.fault(method="POST", path="/schemas$", status=500, count=10)
    provider = make_provider(emulator)
    with pytest.raises(ProviderError, match="was created but the create could not finish .* deleted again"):
        provider.create(declare(provider))
    assert emulator.connections() == []


def test_a_lost_reply_to_the_schema_config_is_settled_with_one_patch(emulator: Emulator) -> None:
    emulator.fault(method="POST", path="/schemas$", status=502, count=1, after_commit=True)
    provider = make_provider(emulator)
    created = provider.create(declare(provider))
    methods = [(method, path.rsplit("/", 1)[-1]) for method, path in requests_since(emulator, 0)]
    assert methods == [("POST", "connections"), ("POST", "schemas"), ("POST", "schemas"), ("PATCH", "schemas"),
                       ("PATCH", created.id)]
    assert created.outs["schema_config"] == CANONICAL


def test_a_lost_create_reply_still_gives_one_configured_unpaused_connection(emulator: Emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=502, count=1, after_commit=True)
    provider = make_provider(emulator)
    created = provider.create(declare(provider))
    live = emulator.connections()
    assert [c["id"] for c in live] == [created.id] and live[0]["paused"] is False
    assert schemas_of(emulator, created.id) is not None


# -- refresh and update -----------------------------------------------------------------------------------------------
def captured(emulator: Emulator, provider: IterableConnectionProvider, **overrides: Any
             ) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A connection created with the declared schema config and synced once (the schema is read)."""
    news = declare(provider, **overrides)
    created = provider.create(news)
    emulator.api("POST", f"/connections/{created.id}/sync", {})
    return created.id, state(created.outs), news


def test_a_dashboard_change_to_a_declared_column_shows_after_refresh_and_up_repairs_it(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, news = captured(emulator, provider)
    emulator.api("PATCH", f"/connections/{connection_id}/schemas/iterable/tables/user_history/columns/email",
                 {"enabled": True, "hashed": False})
    read = provider.read(connection_id, outs)
    assert read.outs["schema_config"]["tables"]["user_history"]["columns"]["email"]["hashed"] is False
    diff = provider.diff(connection_id, state(read.outs), news)
    assert diff.changes is True and diff.replaces == []
    before = len(emulator.requests())
    updated = provider.update(connection_id, state(read.outs), news)
    assert requests_since(emulator, before) == [("PATCH", f"/connections/{connection_id}/schemas")]
    assert tables_of(emulator, connection_id)["user_history"]["columns"]["email"]["hashed"] is True
    assert updated.outs["schema_config"] == CANONICAL
    assert provider.diff(connection_id, state(updated.outs), news).changes is False


def test_a_dashboard_change_to_an_undeclared_table_or_column_is_not_a_difference(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, news = captured(emulator, provider)
    emulator.api("PATCH", f"/connections/{connection_id}/schemas", {
        "schema_change_handling": "BLOCK_ALL", "schemas": {"iterable": {"enabled": True, "tables": {
            "event": {"enabled": False},
            "user_history": {"enabled": True, "columns": {"phone_number": {"enabled": False}}}}}}})
    read = provider.read(connection_id, outs)
    assert read.outs["schema_config"] == CANONICAL
    assert provider.diff(connection_id, state(read.outs), news).changes is False


def test_refresh_reads_columns_fivetran_does_not_list(emulator: Emulator) -> None:
    """A declared column whose settings were never changed is absent from the schema config answer: its state
    comes from the table's column list, one request for the table."""
    provider = make_provider(emulator)
    news = checked(provider, program(schema_config={"tables": {"event": {"columns": {"ip": {}}}}}))
    created = provider.create(news)
    emulator.api("POST", f"/connections/{created.id}/sync", {})
    emulator.api("POST", f"/connections/{created.id}/schemas/reload", {})
    before = len(emulator.requests())
    read = provider.read(created.id, state(created.outs))
    assert read.outs["schema_config"] == {"tables": {"event": {"enabled": True, "columns": {
        "ip": {"enabled": True, "hashed": False}}}}}
    paths = [path for _, path in requests_since(emulator, before)]
    # The two GETs go out together, so either may be logged first; no column list: ip was set at create.
    assert sorted(paths) == [f"/connections/{created.id}", f"/connections/{created.id}/schemas"]


def test_only_the_changed_items_are_sent_in_one_request(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, _ = captured(emulator, provider)
    news = declare(provider, schema_config={
        "schema_change_handling": "ALLOW_COLUMNS",
        "tables": {"list_user_history": {"enabled": False},
                   "user_history": {"columns": {"email": {"hashed": True}, "phone_number": {"enabled": False}}},
                   "campaign_metrics": {"enabled": False}}})
    before = len(emulator.requests())
    updated = provider.update(connection_id, outs, news)
    assert requests_since(emulator, before) == [("PATCH", f"/connections/{connection_id}/schemas")]
    tables = tables_of(emulator, connection_id)
    assert tables["campaign_metrics"]["enabled"] is False
    assert tables["user_history"]["columns"]["phone_number"]["enabled"] is False
    assert schemas_of(emulator, connection_id)["schema_change_handling"] == "ALLOW_COLUMNS"  # type: ignore[index]
    assert provider.diff(connection_id, state(updated.outs), news).changes is False


def test_a_schema_config_removed_from_the_program_is_left_as_it_is(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, _ = captured(emulator, provider)
    news = checked(provider, program())
    before = len(emulator.requests())
    updated = provider.update(connection_id, outs, news)
    assert requests_since(emulator, before) == []
    assert "schema_config" not in updated.outs
    assert tables_of(emulator, connection_id)["list_user_history"]["enabled"] is False


def test_a_connection_without_a_schema_config_gets_it_pre_created_on_update(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program(paused=True)))
    news = declare(provider, paused=True)
    before = len(emulator.requests())
    updated = provider.update(created.id, state(created.outs), news)
    # A connection that ever synced has a schema config, so a PATCH comes first; this one never did.
    assert requests_since(emulator, before) == [("PATCH", f"/connections/{created.id}/schemas"),
                                                ("POST", f"/connections/{created.id}/schemas")]
    assert [r["status"] for r in emulator.requests()[before:]] == [404, 200]
    assert updated.outs["schema_config"] == CANONICAL


def test_a_failed_schema_change_is_the_first_write_so_nothing_else_changed(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, _ = captured(emulator, provider)
    news = declare(provider, sync_frequency=60, schema_config={"tables": {"event": {"enabled": False}}})
    emulator.fault(method="PATCH", path="/schemas$", status=500, count=10)
    with pytest.raises(ProviderError) as raised:
        provider.update(connection_id, outs, news)
    assert "settings were updated" not in str(raised.value)
    assert emulator.connections()[0]["sync_frequency"] == 360, "the schema config comes first: nothing else was sent"
    emulator.control("DELETE", "/__emulator/faults")
    updated = provider.update(connection_id, outs, news)  # the engine kept the old state: the retry converges
    assert tables_of(emulator, connection_id)["event"]["enabled"] is False
    assert emulator.connections()[0]["sync_frequency"] == 60
    assert provider.diff(connection_id, state(updated.outs), news).changes is False


def test_a_failure_after_the_settings_changed_says_what_was_done(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    connection_id, outs, _ = captured(emulator, provider)
    news = declare(provider, sync_frequency=60, resync={"trigger": "2026-12-04"})
    emulator.fault(method="POST", path="/resync$", status=400, count=1)
    with pytest.raises(ProviderError, match="settings were updated, but then: .*Run `pulumi up` again to finish"):
        provider.update(connection_id, outs, news)
    assert emulator.connections()[0]["sync_frequency"] == 60


# -- adoption ---------------------------------------------------------------------------------------------------------
def test_adopting_a_connection_whose_schema_config_matches_shows_no_difference(emulator: Emulator) -> None:
    connection_id, _, news = captured(emulator, make_provider(emulator))
    provider = make_provider(emulator)
    adopting = declare(provider, adopt_existing=True)
    before = len(emulator.requests())
    adopted = provider.create(adopting)
    assert adopted.id == connection_id
    assert not [r for r in requests_since(emulator, before) if "/schemas" in r[1] and r[0] != "GET"]
    assert provider.diff(connection_id, state(adopted.outs), adopting).changes is False


def test_adopting_a_connection_whose_schema_config_differs_changes_nothing_and_shows_the_differences(
        emulator: Emulator, capsys) -> None:
    first = make_provider(emulator)
    created = first.create(checked(first, program()))
    emulator.api("POST", f"/connections/{created.id}/sync", {})
    capsys.readouterr()
    provider = make_provider(emulator)
    adopting = declare(provider, adopt_existing=True)
    before = len(emulator.requests())
    adopted = provider.create(adopting)
    assert not [r for r in requests_since(emulator, before) if "/schemas" in r[1] and r[0] != "GET"]
    said = capsys.readouterr().out
    assert "its schema config differs from the program in 2 item(s)" in said
    assert "tables.list_user_history.enabled: true -> false" in said
    assert "tables.user_history.columns.email.hashed: false -> true" in said
    assert tables_of(emulator, created.id)["list_user_history"]["enabled"] is True  # nothing sent
    assert provider.diff(created.id, state(adopted.outs), adopting).changes is True  # the preview shows it
    updated = provider.update(created.id, state(adopted.outs), adopting)
    assert tables_of(emulator, created.id)["list_user_history"]["enabled"] is False
    assert provider.diff(created.id, state(updated.outs), adopting).changes is False


# -- re-syncs ---------------------------------------------------------------------------------------------------------
def resyncs(emulator: Emulator, since: int) -> list[tuple[str, str]]:
    return [r for r in requests_since(emulator, since) if r[1].endswith("/resync")]


def test_a_requested_resync_happens_once(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program(resync={"trigger": "2026-12-01"})))
    assert resyncs(emulator, 0) == []  # never at create: a new connection's first sync is historical already
    news = checked(provider, program(resync={"trigger": "2026-12-02", "tables": ["list_user_history"]}))
    before = len(emulator.requests())
    updated = provider.update(created.id, state(created.outs), news)
    assert resyncs(emulator, before) == [("POST", f"/connections/{created.id}/resync")]
    assert provider.diff(created.id, state(updated.outs), news).changes is False
    before = len(emulator.requests())
    provider.update(created.id, state(updated.outs), checked(provider, program(paused=True,
                                                                               resync=news["resync"])))
    assert resyncs(emulator, before) == []


def test_a_resync_during_a_sync_is_refused_and_requested_again_by_the_next_up(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program()))
    emulator.control("POST", f"/__emulator/connections/{created.id}/syncing", {"seconds": 60})
    news = checked(provider, program(resync={"trigger": "now"}))
    waiting = "a sync is running .* run `pulumi up` again once the sync has ended"
    with pytest.raises(ProviderError, match=waiting) as refused:
        provider.update(created.id, state(created.outs), news)
    assert str(refused.value).startswith(f"update connection '{created.id}': Fivetran refused the re-sync of the "
                                         "whole connection")
    emulator.control("POST", f"/__emulator/connections/{created.id}/syncing", {"seconds": 0})
    before = len(emulator.requests())
    provider.update(created.id, state(created.outs), news)
    assert len(resyncs(emulator, before)) == 1


def test_a_refused_table_resync_fails_the_update_after_everything_else_and_the_whole_one_follows(
        emulator: Emulator) -> None:
    """Fivetran answers 400 to a table-level re-sync for connector types without one. The re-sync is the last
    write, so the settings and schema config of the same update are in place; the error says what Fivetran
    answered and what to do, and the state keeps the previous `resync`, so the next `up` does what the program
    then says."""
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program(resync={"trigger": "1"})))
    emulator.control("POST", "/__emulator/table-resync", {"supported": False})
    news = checked(provider, program(paused=True, schema_config={"tables": {"list_user_history": {"enabled": False}}},
                                     resync={"trigger": "2", "tables": ["event"]}))
    before = len(emulator.requests())
    with pytest.raises(ProviderError) as refused:
        provider.update(created.id, state(created.outs), news)
    message = str(refused.value)
    assert message.startswith(f"update connection '{created.id}': Fivetran refused to re-sync only the tables event"
                              "; it answered 400 InvalidInput: Table-level re-sync is not supported"), message
    assert "The rest of this update was applied; only the re-sync did not start" in message
    assert "remove resync.tables and keep the new resync.trigger" in message
    writes = [r for r in requests_since(emulator, before) if r[0] != "GET"]
    assert writes[-1] == ("POST", f"/connections/{created.id}/resync"), "the re-sync is the last write"
    connection = emulator.api("GET", f"/connections/{created.id}")[1]["data"]
    assert connection["paused"] is True and tables_of(emulator, created.id)["list_user_history"]["enabled"] is False

    # The next `up` of the same program is refused the same way (and changes nothing more).
    with pytest.raises(ProviderError, match="refused to re-sync only the tables event"):
        provider.update(created.id, state(created.outs), news)
    # Without `tables`, the preview shows a re-sync of every table, and `up` requests exactly that, once.
    whole = checked(provider, {**news, "resync": {"trigger": "2"}})
    assert provider.diff(created.id, state(created.outs), whole).changes is True
    emulator.api("POST", f"/connections/{created.id}/sync", {})  # the first historical sync is over
    before = len(emulator.requests())
    updated = provider.update(created.id, state(created.outs), whole)
    assert resyncs(emulator, before) == [("POST", f"/connections/{created.id}/resync")]
    assert emulator.api("GET", f"/connections/{created.id}")[1]["data"]["status"]["is_historical_sync"] is True
    assert provider.diff(created.id, state(updated.outs), whole).changes is False


@pytest.mark.parametrize("tables", [None, ["event"]], ids=["whole", "tables"])
def test_a_resync_whose_outcome_is_unknown_is_never_sent_twice(emulator: Emulator, capsys,
                                                               tables: list[str] | None) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program()))
    emulator.fault(method="POST", path="/resync$", status=502, count=1, after_commit=True)
    resync = {"trigger": "x", **({"tables": tables} if tables else {})}
    before = len(emulator.requests())
    updated = provider.update(created.id, state(created.outs), checked(provider, program(resync=resync)))
    assert len(resyncs(emulator, before)) == 1
    assert updated.outs["resync"] == resync
    if tables:
        assert "may or may not have started" in capsys.readouterr().out


def test_a_whole_resync_rejected_before_it_reached_fivetran_is_sent_once_more(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program()))
    emulator.api("POST", f"/connections/{created.id}/sync", {})  # the historical sync is over
    emulator.fault(method="POST", path="/resync$", status=502, count=1)
    before = len(emulator.requests())
    provider.update(created.id, state(created.outs), checked(provider, program(resync={"trigger": "x"})))
    assert [status for status in (r["status"] for r in emulator.requests()[before:]
                                  if r["path"].endswith("/resync"))] == [502, 200]


def test_adopting_a_connection_without_any_schema_config_gives_it_before_unpausing(emulator: Emulator) -> None:
    """Found by the soak (seed 3, round 12): an `up` killed after its POST leaves a connection created paused,
    without its schema config; the next `up` adopts it (as its error says to). Adoption used to unpause it with
    no schema config, so its first sync could load blocked tables. There is nothing of anyone's to review in a
    connection that never had one: it gets the declared one, before the adoption's PATCH."""
    connection_id = emulator.create_connection("iterable_marketing", "itbl-canary-7d1e", paused=True)["id"]
    provider = make_provider(emulator)
    adopting = declare(provider, adopt_existing=True)
    before = len(emulator.requests())
    adopted = provider.create(adopting)
    assert adopted.id == connection_id
    sent = [(method, path.rsplit("/", 1)[-1]) for method, path in requests_since(emulator, before)]
    assert sent.index(("POST", "schemas")) < sent.index(("PATCH", connection_id)), sent
    assert emulator.connections()[0]["paused"] is False
    assert tables_of(emulator, connection_id)["list_user_history"]["enabled"] is False
    assert adopted.outs["schema_config"] == CANONICAL
    assert provider.diff(connection_id, state(adopted.outs), adopting).changes is False


def test_a_refused_adoption_sends_nothing_to_the_connection(emulator: Emulator) -> None:
    theirs = emulator.create_connection("iterable_marketing", "itbl-theirs", paused=True)
    provider = make_provider(emulator)
    before = len(emulator.requests())
    with pytest.raises(ProviderError, match="adopt_existing: true"):
        provider.create(declare(provider))
    assert [r for r in emulator.requests()[before:] if r["method"] != "GET" and
            r["path"] != "/v1/connections"] == []
    assert schemas_of(emulator, theirs["id"]) is None
