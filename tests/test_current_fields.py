"""The fields an Iterable connection has in Fivetran's current API: `destination_schema_names` (create-only),
`config.webhook_auth_type` with the read-only secret `webhook_secret`, a key kept in an external secrets
manager, and the flexible `schedule` with its precedence over `sync_frequency`.

Offline rules first (check and diff, no HTTP), then the provider against the emulator: each field is sent,
read back and diffed without a spurious change."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi_fivetran_iterable.diffing import declared_inputs
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError, is_unknown

from tests.support.emulator import Emulator
from tests.support.failures import by_path, paths
from tests.test_provider import checked, create, make_provider, program

ALL_DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
VAULT, SECRET_NAME, VAULT_KEY = "esm_vault", "ITERABLE_API_KEY", "itbl-key-kept-in-the-vault"


def failures(**overrides: Any) -> dict[str, str]:
    result = IterableConnectionProvider().check({}, program(**overrides))
    return by_path(result.failures)


def keyless(**overrides: Any) -> dict[str, Any]:
    props = program(**overrides)
    del props["config"]["api_key"]
    return props


def from_vault(**overrides: Any) -> dict[str, Any]:
    return keyless(**{"external_secrets_manager_id": VAULT, "external_secrets_keys_config": {"api_key": SECRET_NAME},
                      **overrides})


@pytest.fixture
def provider(emulator: Emulator) -> IterableConnectionProvider:
    emulator.add_external_secret(VAULT, SECRET_NAME, VAULT_KEY)
    return make_provider(emulator)


def round_trips(provider: IterableConnectionProvider, connection_id: str, outs: dict[str, Any],
                news: dict[str, Any]) -> dict[str, Any]:
    """Refresh, then preview: the read-back inputs equal the declared ones and the diff is empty."""
    read = provider.read(connection_id, outs)
    declared = {k: v for k, v in news.items() if k != "__provider"}
    assert read.inputs == declared, {k: (read.inputs.get(k), declared.get(k)) for k in set(read.inputs) | set(declared)
                                     if read.inputs.get(k) != declared.get(k)}
    assert provider.diff(connection_id, {**read.outs, "__provider": "serialized"}, news).changes is False
    return read.outs


# -- offline rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "path", "words"), [
    ({"destination_schema_names": "PRETTY_NAMING"}, "destination_schema_names", "FIVETRAN_NAMING, SOURCE_NAMING"),
    ({"config": {"webhook_auth_type": "Token"}}, "config.webhook_auth_type", "NoAuth, Basic, OAuth2"),
    ({"config": {"webhook_secret": "mine"}}, "config.webhook_secret", "is not an input"),
    ({"external_secrets_keys_config": {"api_key": SECRET_NAME}}, "config.api_key", "not allowed with external"),
    ({"external_secrets_manager_id": VAULT}, "external_secrets_keys_config", "is required with"),
    ({"schedule": {"schedule_type": "INTERVAL"}}, "schedule.interval", "is required when"),
    ({"schedule": {"schedule_type": "INTERVAL", "interval": 45}}, "schedule.interval", "must be one of"),
    ({"schedule": {"schedule_type": "TIME_OF_DAY", "time_of_day": "4pm"}}, "schedule.time_of_day", "HH:00"),
    ({"schedule": {"schedule_type": "CRON", "cron": "hourly"}}, "schedule.cron", "five-field cron"),
    ({"schedule": {"schedule_type": "CRON", "cron": "0 * * * *", "days_of_week": ["MONDAY"]}},
     "schedule.days_of_week", "is not used when"),
    ({"schedule": {"schedule_type": "INTERVAL", "interval": 60, "days_of_week": ["FUNDAY"]}},
     "schedule.days_of_week[0]", "must be one of MONDAY"),
    ({"schedule": {"schedule_type": "INTERVAL", "interval": 60}, "sync_frequency": 360}, "sync_frequency",
     "contradicts schedule, which takes precedence and means sync_frequency 60"),
    ({"schedule": {"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00"}, "sync_frequency": 1440,
      "daily_sync_time": "05:00"}, "daily_sync_time", "contradicts schedule"),
    ({"schedule": {"schedule_type": "MANUAL"}, "schedule_type": "auto"}, "schedule_type", "contradicts schedule"),
    ({"schedule": {"schedule_type": "CRON", "cron": "0 * * * *"}, "sync_frequency": 60}, "sync_frequency",
     "has no effect with a CRON schedule"),
    ({"schedule": {"schedule_type": "MANUAL", "when": "never"}}, "schedule.when", "is not an input"),
])
def test_the_new_fields_are_checked_at_preview(overrides: dict[str, Any], path: str, words: str) -> None:
    found = failures(**overrides)
    assert path in found and words in found[path], found


def test_a_key_from_a_secrets_manager_needs_no_api_key_and_no_card() -> None:
    assert IterableConnectionProvider().check({}, from_vault()).failures == []
    card_too = from_vault(connect_card_config={"redirect_uri": "https://example.com/back"})
    assert paths(IterableConnectionProvider().check({}, card_too).failures) == ["connect_card_config"]


def test_a_schedule_that_agrees_with_the_older_fields_is_fine_and_implies_them() -> None:
    news = checked(IterableConnectionProvider(), program(
        schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00", "days_of_week": ["FRIDAY", "MONDAY"]},
        sync_frequency=1440.0, daily_sync_time="04:00"))
    assert news["schedule"] == {"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00",
                                "days_of_week": ["MONDAY", "FRIDAY"]}
    assert (news["sync_frequency"], news["daily_sync_time"], news["schedule_type"]) == (1440, "04:00", "auto")
    cron = checked(IterableConnectionProvider(), program(schedule={"schedule_type": "CRON", "cron": "0 */6 * * *"}))
    assert "sync_frequency" not in cron and "daily_sync_time" not in cron


def test_a_changed_destination_schema_names_replaces_and_an_unknown_one_may() -> None:
    provider = IterableConnectionProvider()
    olds = {**checked(provider, program(destination_schema_names="FIVETRAN_NAMING")), "connection_id": "x"}
    renamed = checked(provider, program(destination_schema_names="SOURCE_NAMING"))
    assert provider.diff("x", olds, renamed).replaces == ["destination_schema_names"]
    unknown = {**renamed, "destination_schema_names": Unknown()}
    assert provider.diff("x", olds, unknown).replaces == ["destination_schema_names"]
    assert provider.diff("x", olds, checked(provider, program(destination_schema_names="FIVETRAN_NAMING"))
                         ).changes is False


def changing_with_one_unknown(declared: dict[str, Any], path: str) -> list[str]:
    """What a preview lists as changing when `path` of an applied program is not known yet (and no failure)."""
    provider = IterableConnectionProvider()
    olds = {**checked(provider, declared), "connection_id": "x"}
    news = copy.deepcopy(declared)
    *parents, leaf = path.split(".")
    target = news
    for part in parents:
        target = target[part]
    target[leaf] = Unknown()
    result = provider.check({}, news)
    assert result.failures == [], result.failures
    assert provider.diff("x", olds, result.inputs).changes is True
    return sorted(name for name, value in declared_inputs(result.inputs).items()
                  if is_unknown(value) or value != olds.get(name))


@pytest.mark.parametrize(("declared", "path", "changing"), [  # the inputs the preview shows changing
    (keyless(connect_card_config={"redirect_uri": "https://example.com/done"}), "connect_card_config.redirect_uri",
     ["connect_card_config"]),
    (from_vault(), "external_secrets_keys_config.api_key", ["external_secrets_keys_config"]),
    (program(schedule={"schedule_type": "INTERVAL", "interval": 60}), "schedule.schedule_type",
     ["daily_sync_time", "schedule", "schedule_type", "sync_frequency"]),
    (program(schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "06:00"}), "schedule",
     ["daily_sync_time", "schedule", "schedule_type", "sync_frequency"]),
])
def test_a_required_value_unknown_in_preview_changes_only_what_depends_on_it(declared, path, changing) -> None:
    """Not every input (a value required inside its object, left out, used to fail the whole check quietly),
    and not a made-up value (an unknown schedule used to read as the default frequency, or as removed)."""
    assert changing_with_one_unknown(declared, path) == changing


def test_taking_the_destination_schema_names_declaration_away_changes_nothing() -> None:
    provider = IterableConnectionProvider()
    olds = {**checked(provider, program(destination_schema_names="SOURCE_NAMING")), "connection_id": "x"}
    assert provider.diff("x", olds, checked(provider, program())).changes is False


# -- against the emulator ----------------------------------------------------------------------------------------


def test_destination_schema_names_is_sent_and_read_back_without_a_diff(provider, emulator) -> None:
    connection_id, outs = create(provider, destination_schema_names="SOURCE_NAMING")
    assert emulator.connections()[0]["destination_schema_names"] == "SOURCE_NAMING"
    round_trips(provider, connection_id, outs, checked(provider, program(destination_schema_names="SOURCE_NAMING")))
    # Undeclared, Fivetran's value is not compared.
    plain_id, plain_outs = create(provider, config={"schema": "iterable_plain"})
    round_trips(provider, plain_id, plain_outs, checked(provider, program(config={"schema": "iterable_plain"})))


def test_adopting_a_connection_with_another_naming_is_refused(provider, emulator) -> None:
    create(provider, destination_schema_names="SOURCE_NAMING")
    with pytest.raises(ProviderError, match="destination_schema_names: connection .* uses SOURCE_NAMING"):
        create(make_provider(emulator), adopt_existing=True, destination_schema_names="FIVETRAN_NAMING")
    assert not [r for r in emulator.requests() if r["method"] == "PATCH"]


def test_webhook_auth_gives_a_secret_output_that_follows_the_auth_type(provider, emulator) -> None:
    connection_id, outs = create(provider, config={"webhook_auth_type": "Basic"})
    live_secret = emulator.connections()[0]["config"]["webhook_secret"]
    assert outs["webhook_secret"] == live_secret
    assert provider.client.redact(f"leaked {live_secret}") == "leaked ***", "a webhook secret is never shown"
    outs = round_trips(provider, connection_id, outs, checked(provider, program(config={"webhook_auth_type": "Basic"})))
    assert outs["webhook_secret"] == live_secret

    news = checked(provider, program())  # back to NoAuth, the default
    updated = provider.update(connection_id, {**outs, "__provider": "serialized"}, news).outs
    assert "webhook_secret" not in updated and "webhook_secret" not in emulator.connections()[0]["config"]


def test_a_key_kept_in_a_secrets_manager_connects_and_never_diffs(provider, emulator) -> None:
    created = provider.create(checked(provider, from_vault()))
    assert created.outs["status"]["setup_state"] == "connected"
    (live,) = emulator.connections()
    assert live["external_secrets_keys_config"] == {"api_key": SECRET_NAME} and "api_key" not in live["config"]
    round_trips(provider, created.id, {**created.outs, "__provider": "serialized"}, checked(provider, from_vault()))


def test_moving_a_key_into_a_secrets_manager_is_an_update_that_runs_the_tests(provider, emulator) -> None:
    connection_id, outs = create(provider)
    news = checked(provider, from_vault())
    assert provider.diff(connection_id, outs, news).changes is True
    updated = provider.update(connection_id, outs, news).outs
    assert updated["setup_tests"] and updated["status"]["setup_state"] == "connected"
    assert "api_key" not in emulator.connections()[0]["config"]


def test_a_missing_secret_fails_the_create_and_leaves_nothing(provider, emulator) -> None:
    with pytest.raises(ProviderError) as raised:
        provider.create(checked(provider, from_vault(external_secrets_keys_config={"api_key": "NOT_THERE"})))
    assert "holds no secret named 'NOT_THERE'" in str(raised.value) and "deleted again" in str(raised.value)
    assert emulator.connections() == []


@pytest.mark.parametrize("schedule", [
    {"schedule_type": "INTERVAL", "interval": 60},
    {"schedule_type": "INTERVAL", "interval": 120, "days_of_week": ["SATURDAY", "SUNDAY"]},
    {"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00"},
    {"schedule_type": "CRON", "cron": "15 3 * * 1-5"},
    {"schedule_type": "MANUAL"},
], ids=["interval", "weekend interval", "time of day", "cron", "manual"])
def test_a_schedule_is_sent_alone_and_read_back_without_a_diff(provider, emulator, schedule) -> None:
    connection_id, outs = create(provider, schedule=schedule)
    (live,) = emulator.connections()
    assert live["schedule"]["schedule_type"] == schedule["schedule_type"]
    if schedule["schedule_type"] in ("INTERVAL", "TIME_OF_DAY"):
        assert live["schedule"]["days_of_week"] == schedule.get("days_of_week", ALL_DAYS)
    round_trips(provider, connection_id, outs, checked(provider, program(schedule=schedule)))


def test_a_schedule_is_changed_then_given_up_for_sync_frequency(provider, emulator) -> None:
    connection_id, outs = create(provider, schedule={"schedule_type": "INTERVAL", "interval": 60})
    moved = checked(provider, program(schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "06:00"}))
    outs = {**provider.update(connection_id, outs, moved).outs, "__provider": "serialized"}
    (live,) = emulator.connections()
    assert (live["sync_frequency"], live["daily_sync_time"]) == (1440, "06:00")

    plain = checked(provider, program(sync_frequency=360))
    provider.update(connection_id, outs, plain)
    (live,) = emulator.connections()
    assert "schedule" not in live and live["sync_frequency"] == 360
    assert [r["status"] for r in emulator.requests() if r["method"] == "PATCH"] == [200, 200]
