"""The model, its validation and payloads: every rule names the field and the fix; the canonical form never
diffs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_fivetran_iterable.payloads import canonical_inputs, create_body, inputs_from_api, patch_body
from pulumi_fivetran_iterable.validation import check_inputs, parse_spec

SECRET = "itbl-canary-9f3b2c"


def minimal(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"group_id": "warehouse_main", "config": {"schema": "iterable_a", "api_key": SECRET}}
    config = overrides.pop("config", {})
    props.update(overrides)
    props["config"] = {**props["config"], **config}
    return {k: v for k, v in props.items() if v is not None}


def errors_of(props: dict[str, Any]) -> dict[str, str]:
    spec, errors = parse_spec(props)
    assert spec is None, "expected the inputs to be rejected"
    return {e.path: e.reason for e in errors}


def test_minimal_inputs_get_fivetran_defaults() -> None:
    spec, errors = parse_spec(minimal())
    assert errors == [] and spec is not None
    canonical = canonical_inputs(spec)
    assert canonical == {
        "group_id": "warehouse_main",
        "paused": False,
        "pause_after_trial": False,
        "sync_frequency": 360,
        "schedule_type": "auto",
        "data_delay_sensitivity": "NORMAL",
        "trust_certificates": False,
        "trust_fingerprints": False,
        "run_setup_tests": True,
        "networking_method": "Directly",
        "adopt_existing": False,
        "setup_test_policy": "fail",
        "config": {
            "schema": "iterable_a",
            "api_key": SECRET,
            "account_region": "US",
            "sync_mode": "AllEvents",
            "custom_event_sync_mode": "AllEvents",
            "historical_sync_limit": "ALL_TIME",
            "webhook_auth_type": "NoAuth",
        },
    }


def test_canonical_form_is_idempotent_and_order_free() -> None:
    props = minimal(sync_frequency=1440.0, config={"sync_mode": "SelectedEvents", "events": ["b", "a", "b"]})
    spec, _ = parse_spec(props)
    assert spec is not None
    once = canonical_inputs(spec)
    again, errors = parse_spec(once)
    assert errors == [] and again is not None
    assert canonical_inputs(again) == once
    assert once["sync_frequency"] == 1440 and isinstance(once["sync_frequency"], int)
    assert once["daily_sync_time"] == "00:00"
    assert once["config"]["events"] == ["a", "b"]


@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"group_id": None}, "group_id", "required"),
        ({"group_id": ""}, "group_id", "blank"),
        ({"config": {"schema": "Has-Caps"}}, "config.schema", "lowercase"),
        ({"config": {"schema": "1abc"}}, "config.schema", "not starting with a digit"),
        ({"config": {"schema": "a" * 128}}, "config.schema", "127"),
        ({"config": {"account_region": "APAC"}}, "config.account_region", "US, EU"),
        ({"config": {"sync_mode": "NoEvents"}}, "config.sync_mode", "AllEvents, SelectedEvents"),
        ({"config": {"custom_event_sync_mode": "Some"}}, "config.custom_event_sync_mode", "NoEvents"),
        ({"config": {"historical_sync_limit": "FOREVER"}}, "config.historical_sync_limit", "DATE_LIMIT"),
        ({"config": {"historic_sync_time_frame": "TEN_YEARS"}}, "config.historic_sync_time_frame", "FIVE_YEARS"),
        ({"config": {"sync_mode": "SelectedEvents"}}, "config.events", "at least one event"),
        ({"config": {"sync_mode": "SelectedEvents", "events": []}}, "config.events", "at least one event"),
        ({"config": {"events": ["emailSend"]}}, "config.events", "only allowed when config.sync_mode"),
        ({"config": {"events": [""] , "sync_mode": "SelectedEvents"}}, "config.events", "empty"),
        ({"config": {"custom_event_sync_mode": "SelectedEvents"}}, "config.custom_events", "at least one"),
        ({"config": {"custom_events": ["x"]}}, "config.custom_events", "only allowed"),
        ({"config": {"historical_sync_limit": "DATE_LIMIT"}}, "config.historical_sync_limit_date", "required"),
        ({"config": {"historical_sync_limit_date": "2024-01-01"}}, "config.historical_sync_limit_date",
         "only allowed"),
        ({"config": {"historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2024-02-30"}},
         "config.historical_sync_limit_date", "YYYY-MM-DD"),
        ({"config": {"historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "01/02/2024"}},
         "config.historical_sync_limit_date", "YYYY-MM-DD"),
        ({"config": {"historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2999-01-01"}},
         "config.historical_sync_limit_date", "future"),
        ({"config": {"api_key": None}}, "config.api_key", "connect_card_config"),
        ({"config": {"api_key": "  "}}, "config.api_key", "empty"),
        ({"config": {"evnts": ["x"]}}, "config.evnts", "did you mean 'config.events'"),
        ({"sync_frequncy": 60}, "sync_frequncy", "did you mean 'sync_frequency'"),
        ({"sync_frequency": 45}, "sync_frequency", "1440"),
        ({"sync_frequency": 60.5}, "sync_frequency", "whole number"),
        ({"sync_frequency": True}, "sync_frequency", "whole number"),
        ({"daily_sync_time": "03:00"}, "daily_sync_time", "only allowed when sync_frequency is 1440"),
        ({"sync_frequency": 1440, "daily_sync_time": "3:30"}, "daily_sync_time", "HH:00"),
        ({"sync_frequency": 1440, "daily_sync_time": "24:00"}, "daily_sync_time", "HH:00"),
        ({"schedule_type": "cron"}, "schedule_type", "auto, manual"),
        ({"data_delay_sensitivity": "EXTREME"}, "data_delay_sensitivity", "CUSTOM"),
        ({"data_delay_sensitivity": "CUSTOM"}, "data_delay_threshold", "required"),
        ({"data_delay_threshold": 30}, "data_delay_threshold", "only allowed"),
        ({"data_delay_sensitivity": "CUSTOM", "data_delay_threshold": -1}, "data_delay_threshold", "0 or more"),
        ({"networking_method": "Carrier"}, "networking_method", "ProxyAgent"),
        ({"networking_method": "ProxyAgent"}, "proxy_agent_id", "required"),
        ({"proxy_agent_id": "agent"}, "proxy_agent_id", "only allowed"),
        ({"networking_method": "PrivateLink"}, "private_link_id", "required"),
        ({"private_link_id": "pl"}, "private_link_id", "only allowed"),
        ({"paused": "maybe"}, "paused", "true or false"),
        ({"setup_test_policy": "ignore"}, "setup_test_policy", "fail, warn"),
        ({"connect_card_config": {"hide_setup_guide": True}}, "connect_card_config.redirect_uri", "required"),
        ({"connect_card_config": {"redirect_uri": "not a url"}}, "connect_card_config.redirect_uri", "http"),
        ({"destination_configuration": {"warehouse": "x"}}, "destination_configuration.warehouse",
         "virtual_warehouse"),
        ({"config": {"schema": None}}, "config.schema", "required"),
    ],
)
def test_each_rule_names_the_field_and_the_fix(overrides: dict[str, Any], path: str, words: str) -> None:
    props = minimal(**copy.deepcopy(overrides))
    if overrides.get("config", {}).get("api_key", "") is None:
        props["config"].pop("api_key", None)
    if overrides.get("config", {}).get("schema", "") is None:
        props["config"].pop("schema", None)
    errors = errors_of(props)
    assert path in errors, errors
    assert words in errors[path], errors[path]


def test_all_problems_are_reported_at_once() -> None:
    errors = errors_of(minimal(sync_frequency=45, config={"account_region": "us", "sync_mode": "SelectedEvents"}))
    assert set(errors) == {"sync_frequency", "config.account_region", "config.events"}


def test_api_key_never_appears_in_errors() -> None:
    _, errors = parse_spec(minimal(config={"api_key": 12345, "schema": "BAD"}))
    _, more = parse_spec({"config": {"api_key": SECRET}, "extra": 1})
    text = " ".join(str(e) for e in errors + more)
    assert SECRET not in text and "12345" not in text


def test_connect_card_makes_the_api_key_optional() -> None:
    props = minimal(connect_card_config={"redirect_uri": "https://example.com/done"})
    props["config"].pop("api_key")
    spec, errors = parse_spec(props)
    assert errors == [] and spec is not None
    assert "api_key" not in canonical_inputs(spec)["config"]


class Unknown:
    pass


def unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def test_check_skips_unknown_values_and_rules_that_depend_on_them() -> None:
    props = minimal(group_id=Unknown(), config={"sync_mode": Unknown(), "events": ["a"]})
    inputs, errors = check_inputs(props, unknown)
    assert errors == []
    assert isinstance(inputs["group_id"], Unknown)
    assert isinstance(inputs["config"]["sync_mode"], Unknown)
    assert inputs["config"]["events"] == ["a"]
    assert inputs["sync_frequency"] == 360  # defaults still filled in


def test_check_still_reports_errors_in_known_values_during_preview() -> None:
    props = minimal(group_id=Unknown(), sync_frequency=7)
    _, errors = check_inputs(props, unknown)
    assert [e.path for e in errors] == ["sync_frequency"]


def test_check_with_a_wholly_unknown_config() -> None:
    inputs, errors = check_inputs({"group_id": "g", "config": Unknown()}, unknown)
    assert errors == [] and isinstance(inputs["config"], Unknown)


def canonical(**overrides: Any) -> dict[str, Any]:
    spec, errors = parse_spec(minimal(**overrides))
    assert spec is not None, errors
    return canonical_inputs(spec)


def test_create_body_sends_every_setting_and_the_test_flags() -> None:
    body = create_body(canonical(paused=True))
    assert body["service"] == "iterable" and body["group_id"] == "warehouse_main"
    assert body["paused"] is True and body["run_setup_tests"] is True and body["sync_frequency"] == 360
    assert body["config"]["schema"] == "iterable_a" and body["config"]["api_key"] == SECRET
    assert "adopt_existing" not in body and "setup_test_policy" not in body


def test_patch_body_holds_only_what_changed_and_clears_with_null() -> None:
    old = canonical(config={"sync_mode": "SelectedEvents", "events": ["a"]})
    new = canonical(sync_frequency=60, config={"account_region": "EU"})
    assert patch_body(old, new) == {
        "sync_frequency": 60,
        "config": {"account_region": "EU", "sync_mode": "AllEvents", "events": None},
    }
    assert patch_body(old, old) == {}


def test_patch_body_never_clears_a_key_for_the_connect_card_path() -> None:
    old = canonical()
    new = canonical(connect_card_config={"redirect_uri": "https://example.com"})
    new["config"].pop("api_key")
    assert "config" not in patch_body(old, new)


def live_response(**config: Any) -> dict[str, Any]:
    return {
        "id": "abc", "group_id": "warehouse_main", "service": "iterable", "schema": "iterable_a",
        "paused": False, "pause_after_trial": False, "sync_frequency": 360, "schedule_type": "auto",
        "daily_sync_time": None, "data_delay_sensitivity": "NORMAL", "data_delay_threshold": 0,
        "networking_method": "Directly", "proxy_agent_id": None, "private_link_id": None,
        "hybrid_deployment_agent_id": None,
        "config": {"api_key": "******", "account_region": "US", "sync_mode": "AllEvents", "events": [],
                   "custom_event_sync_mode": "AllEvents", "custom_events": [], "historical_sync_limit": "ALL_TIME",
                   "endpoint": "https://webhooks.example/x", "project_type": "EMAIL_BASED_PROJECT", **config},
    }


def test_reading_back_an_unchanged_connection_gives_the_same_inputs() -> None:
    declared = canonical()
    assert inputs_from_api(live_response(), previous=declared) == declared


def test_reading_back_shows_drift_and_keeps_the_secret() -> None:
    declared = canonical()
    live = live_response(sync_mode="SelectedEvents", events=["emailOpen"])
    live["paused"] = True
    read = inputs_from_api(live, previous=declared)
    assert read["paused"] is True
    assert read["config"]["events"] == ["emailOpen"]
    assert read["config"]["api_key"] == SECRET  # never the mask
