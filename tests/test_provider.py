"""The dynamic provider's methods against a running emulator, called the way the engine calls them:
`check` first, outputs as olds, secrets in plain text inside the provider."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError

from tests.support.emulator import Emulator
from tests.support.failures import paths

API_KEY = "itbl-canary-7d1e"


def make_provider(emulator: Emulator, **extra: str) -> IterableConnectionProvider:
    provider = IterableConnectionProvider()
    raw = {
        "fivetran:apiKey": emulator.api_key,
        "fivetran:apiSecret": emulator.api_secret,
        "fivetran:apiUrl": emulator.base_url,
        "fivetran:createLimit": "0",
        **extra,
    }
    provider.configure(ConfigureRequest(Config(raw, "iterable-test")))
    return provider


@pytest.fixture
def provider(emulator: Emulator) -> IterableConnectionProvider:
    return make_provider(emulator)


def program(**overrides: Any) -> dict[str, Any]:
    config = {"schema": "iterable_marketing", "api_key": API_KEY, **overrides.pop("config", {})}
    return {"group_id": "warehouse_main", "config": config, "__provider": "serialized", **overrides}


def checked(provider: IterableConnectionProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert result.failures == [], [f.reason for f in result.failures]
    return {**result.inputs, "__provider": props["__provider"]}


def create(provider: IterableConnectionProvider, **overrides: Any) -> tuple[str, dict[str, Any]]:
    result = provider.create(checked(provider, program(**overrides)))
    return result.id, {**result.outs, "__provider": "serialized"}


# -- create ------------------------------------------------------------------------------------------------


def test_create_echoes_inputs_and_reports_fivetran_outputs(provider, emulator) -> None:
    connection_id, outs = create(provider, paused=True,
                                 config={"sync_mode": "SelectedEvents", "events": ["emailSend"]})
    assert outs["connection_id"] == connection_id
    assert outs["schema"] == "iterable_marketing" and outs["service"] == "iterable"
    assert outs["paused"] is True and outs["config"]["events"] == ["emailSend"]
    assert outs["config"]["api_key"] == API_KEY  # the input, echoed; the engine keeps it secret
    assert outs["status"]["setup_state"] == "connected"
    assert outs["status"]["sync_state"] == "paused"
    assert outs["setup_tests"] and all(t["status"] == "PASSED" for t in outs["setup_tests"])
    assert outs["webhook_endpoint"].startswith("https://")
    assert outs["project_type"]
    live = emulator.connections()
    assert [c["id"] for c in live] == [connection_id]
    assert live[0]["paused"] is True and live[0]["config"]["events"] == ["emailSend"]


def test_create_in_a_missing_group_names_the_group(provider, emulator) -> None:
    with pytest.raises(ProviderError, match="group_id: destination group 'nowhere' was not found"):
        create(provider, group_id="nowhere")
    assert emulator.connections() == []


def test_failing_setup_tests_under_fail_policy_leave_nothing_behind(provider, emulator) -> None:
    with pytest.raises(ProviderError) as raised:
        create(provider, config={"api_key": "invalid-key-123"})
    message = str(raised.value)
    assert "setup tests failed" in message and "deleted again" in message
    assert "invalid-key-123" not in message
    assert emulator.connections() == []


def test_failing_setup_tests_under_warn_policy_keep_the_connection(provider, emulator) -> None:
    connection_id, outs = create(provider, setup_test_policy="warn", config={"api_key": "invalid-key-123"})
    assert outs["status"]["setup_state"] == "incomplete"
    assert any(t["status"] == "FAILED" for t in outs["setup_tests"])
    assert [c["id"] for c in emulator.connections()] == [connection_id]


def test_existing_schema_is_refused_with_adopt_existing_explained(provider, emulator) -> None:
    create(provider)
    other = make_provider(emulator)
    with pytest.raises(ProviderError, match="adopt_existing: true"):
        create(other)
    assert len(emulator.connections()) == 1


def test_adopt_existing_takes_over_and_applies_the_declared_settings(provider, emulator) -> None:
    first_id, _ = create(provider, sync_frequency=360)
    second_id, outs = create(make_provider(emulator), adopt_existing=True, sync_frequency=60, paused=True)
    assert second_id == first_id
    live = emulator.connections()
    assert len(live) == 1 and live[0]["sync_frequency"] == 60 and live[0]["paused"] is True
    assert outs["sync_frequency"] == 60


def test_lost_create_reply_yields_exactly_one_connection(provider, emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=502, count=1, after_commit=True)
    connection_id, outs = create(provider)
    live = emulator.connections()
    assert [c["id"] for c in live] == [connection_id]
    assert outs["status"]["setup_state"] == "connected"


def test_dropped_create_reply_yields_exactly_one_connection(provider, emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", drop_connection=True, count=1, after_commit=True)
    connection_id, _ = create(provider)
    assert [c["id"] for c in emulator.connections()] == [connection_id]


def test_create_rejected_before_commit_is_sent_again(provider, emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=503, count=1)
    connection_id, _ = create(provider)
    assert [c["id"] for c in emulator.connections()] == [connection_id]


def test_create_retries_through_rate_limits(provider, emulator) -> None:
    emulator.fault(method="POST", path="^/v1/connections$", status=429, retry_after=1, count=1)
    connection_id, _ = create(provider)
    assert [c["id"] for c in emulator.connections()] == [connection_id]


# -- read --------------------------------------------------------------------------------------------------


def test_read_of_an_unchanged_connection_matches_the_inputs(provider) -> None:
    connection_id, outs = create(provider, sync_frequency=1440, daily_sync_time="03:00")
    result = provider.read(connection_id, outs)
    assert result.id == connection_id
    declared = {k: v for k, v in outs.items() if k in result.inputs}
    assert result.inputs == declared
    news = checked(provider, program(sync_frequency=1440, daily_sync_time="03:00"))
    assert provider.diff(connection_id, result.outs, news).changes is False


def test_read_reports_changes_made_outside_pulumi(provider, emulator) -> None:
    connection_id, outs = create(provider)
    status, _ = emulator.api("PATCH", f"/connections/{connection_id}",
                             {"paused": True, "config": {"account_region": "EU"}, "run_setup_tests": False})
    assert status == 200
    result = provider.read(connection_id, outs)
    assert result.inputs["paused"] is True and result.inputs["config"]["account_region"] == "EU"
    assert result.inputs["config"]["api_key"] == API_KEY  # carried forward, never the mask
    diff = provider.diff(connection_id, result.outs, checked(provider, program()))
    assert diff.changes is True and not diff.replaces


def test_read_of_a_deleted_connection_reports_it_gone(provider, emulator) -> None:
    connection_id, outs = create(provider)
    emulator.api("DELETE", f"/connections/{connection_id}")
    result = provider.read(connection_id, outs)
    assert result.id is None and result.outs == {}


# -- update ------------------------------------------------------------------------------------------------


def test_update_patches_only_what_changed(provider, emulator) -> None:
    connection_id, outs = create(provider)
    news = checked(provider, program(sync_frequency=60, paused=True))
    diff = provider.diff(connection_id, outs, news)
    assert diff.changes is True and not diff.replaces
    before = len(emulator.requests())
    result = provider.update(connection_id, outs, news)
    assert result.outs["sync_frequency"] == 60 and result.outs["paused"] is True
    assert result.outs["connection_id"] == connection_id and result.outs["status"]["sync_state"] == "paused"
    calls = emulator.requests()[before:]
    assert [(c["method"], c["status"]) for c in calls] == [("PATCH", 200)]
    live = emulator.connections()[0]
    assert live["sync_frequency"] == 60 and live["paused"] is True


def test_update_of_project_options_sends_nothing(provider, emulator) -> None:
    connection_id, outs = create(provider)
    before = len(emulator.requests())
    result = provider.update(connection_id, outs, checked(provider, program(setup_test_policy="warn")))
    assert emulator.requests()[before:] == []
    assert result.outs["setup_test_policy"] == "warn" and result.outs["connection_id"] == connection_id


def test_key_rotation_runs_setup_tests_and_keeps_the_new_key(provider, emulator) -> None:
    connection_id, outs = create(provider)
    result = provider.update(connection_id, outs, checked(provider, program(config={"api_key": "itbl-new"})))
    assert result.outs["config"]["api_key"] == "itbl-new"
    assert result.outs["status"]["setup_state"] == "connected"


def test_failing_setup_tests_on_update_roll_the_change_back(provider, emulator) -> None:
    connection_id, outs = create(provider)
    news = checked(provider, program(config={"api_key": "invalid-rotated", "account_region": "EU"}))
    with pytest.raises(ProviderError, match="rolled back"):
        provider.update(connection_id, outs, news)
    live = emulator.connections()[0]
    assert live["config"]["account_region"] == "US"
    # The old key is back, so the connection passes its tests again.
    status, body = emulator.api("POST", f"/connections/{connection_id}/test", {})
    assert status == 200 and body["data"]["status"]["setup_state"] in ("connected", "broken")
    assert all(t["status"] == "PASSED" for t in body["data"]["setup_tests"])


def test_update_of_a_missing_field_clears_it_remotely(provider, emulator) -> None:
    connection_id, outs = create(provider, config={"sync_mode": "SelectedEvents", "events": ["a", "b"]})
    result = provider.update(connection_id, outs, checked(provider, program()))
    assert "events" not in result.outs["config"]
    live = emulator.connections()[0]["config"]
    assert live["sync_mode"] == "AllEvents" and not live.get("events")


# -- delete ------------------------------------------------------------------------------------------------


def test_delete_removes_the_connection(provider, emulator) -> None:
    connection_id, outs = create(provider)
    provider.delete(connection_id, outs)
    assert emulator.connections() == []


def test_delete_of_a_connection_already_gone_succeeds(provider, emulator) -> None:
    connection_id, outs = create(provider)
    emulator.api("DELETE", f"/connections/{connection_id}")
    provider.delete(connection_id, outs)


# -- configuration -----------------------------------------------------------------------------------------


def test_missing_credentials_name_both_ways_to_set_them(emulator, monkeypatch) -> None:
    for name in ("FIVETRAN_API_KEY", "FIVETRAN_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    provider = IterableConnectionProvider()
    provider.configure(ConfigureRequest(Config({"fivetran:apiUrl": emulator.base_url}, "p")))
    assert provider.check({}, program()).failures == []  # check needs no credentials
    with pytest.raises(ProviderError) as raised:
        create(provider)
    assert "fivetran:apiSecret" in str(raised.value) and "FIVETRAN_API_SECRET" in str(raised.value)
    # Both as secrets: the engine keeps the stack config in the state, and only secrets are encrypted there.
    assert "config set --secret fivetran:apiKey" in str(raised.value)
    assert "config set --secret fivetran:apiSecret" in str(raised.value)


def test_credentials_fall_back_to_the_environment(emulator, monkeypatch) -> None:
    monkeypatch.setenv("FIVETRAN_API_KEY", emulator.api_key)
    monkeypatch.setenv("FIVETRAN_API_SECRET", emulator.api_secret)
    monkeypatch.setenv("FIVETRAN_API_URL", emulator.base_url)
    provider = IterableConnectionProvider()
    provider.configure(ConfigureRequest(Config({}, "p")))
    connection_id, _ = create(provider)
    assert emulator.connections()[0]["id"] == connection_id


def test_wrong_secret_fails_without_echoing_it(emulator) -> None:
    provider = make_provider(emulator, **{"fivetran:apiSecret": "wrong-secret-canary"})
    with pytest.raises(ProviderError) as raised:
        create(provider)
    assert "wrong-secret-canary" not in str(raised.value)
    assert "401" in str(raised.value)


def test_check_reports_every_failure_with_its_path(provider) -> None:
    result = provider.check({}, program(sync_frequency=7, config={"sync_mode": "SelectedEvents"}))
    assert set(paths(result.failures)) == {"sync_frequency", "config.events"}


def test_a_create_that_cannot_finish_leaves_nothing_behind(provider, emulator) -> None:
    # The POST commits but its reply is lost; fetching the setup-test results then fails for good.
    emulator.fault(method="POST", path="^/v1/connections$", status=502, count=1, after_commit=True)
    emulator.fault(method="POST", path="/test$", status=400, code="InvalidInput", message="no", count=1)
    with pytest.raises(ProviderError, match="deleted again"):
        create(provider)
    assert emulator.connections() == []


def test_a_connection_created_by_someone_else_meanwhile_is_not_taken(provider, emulator) -> None:
    """Between our lookup and our POST another writer takes the schema: we must not claim theirs."""
    import threading
    import time

    emulator.fault(method="POST", path="^/v1/connections$", delay_s=1.0, count=1)  # hold our POST
    errors: list[Exception] = []

    def ours() -> None:
        try:
            create(provider, config={"schema": "iterable_contested"})
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    thread = threading.Thread(target=ours)
    thread.start()
    deadline = time.monotonic() + 5
    while emulator.control("GET", "/__emulator/faults")["items"] and time.monotonic() < deadline:
        time.sleep(0.02)  # until our POST has taken the fault and sleeps in it
    status, _ = emulator.api("POST", "/connections", {
        "service": "iterable", "group_id": "warehouse_main", "run_setup_tests": False,
        "config": {"schema": "iterable_contested", "api_key": "theirs"}})
    thread.join(timeout=10)
    assert status == 201
    assert len(errors) == 1 and "adopt_existing: true" in str(errors[0])
    contested = [c for c in emulator.connections() if c["schema"] == "iterable_contested"]
    assert len(contested) == 1 and contested[0]["connected_by"]
