"""The canonical property bag, Fivetran's request bodies, and reading Fivetran's view back as inputs.

Canonical means: defaults filled in, values that only matter with another setting removed without it, lists
sorted, so two specs that mean the same thing compare equal and an omitted field never shows as a diff.
Knows nothing of HTTP or Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import schema_config
from .enums import (
    AccountRegion,
    CustomEventSyncMode,
    DataDelaySensitivity,
    HistoricalSyncLimit,
    NetworkingMethod,
    ScheduleType,
    SyncMode,
    SyncScheduleType,
    WebhookAuthType,
    WeekDay,
)
from .key_source import declared_source
from .model import (
    CONFIG_PATCHABLE,
    CREATE_ONLY_FIELDS,
    DAILY_FREQUENCY,
    DEFAULT_DAILY_SYNC_TIME,
    KEY_SOURCE_FIELDS,
    PATCHABLE_FIELDS,
    PROJECT_OPTIONS,
    SERVICE,
    SYNC_SCOPE_FIELDS,
    TEST_FLAGS,
    ConnectCardConfig,
    ConnectionSpec,
    Schedule,
    schedule_implies,
)


def canonical_inputs(spec: ConnectionSpec) -> dict[str, Any]:
    """The spec as a property bag in canonical form: what `check` stores and `diff` compares.

    The API key is plain text here: the resource marks it secret, and the engine keeps it encrypted.
    Absent values are left out (the engine drops `None` anyway).
    """
    config = spec.config
    timing = _timing(spec.sync_frequency, spec.daily_sync_time, spec.schedule_type.value,
                     _schedule(spec.schedule) if spec.schedule else None)
    out: dict[str, Any] = {
        "group_id": spec.group_id,
        "paused": spec.paused,
        "pause_after_trial": spec.pause_after_trial,
        **timing,
        "data_delay_sensitivity": spec.data_delay_sensitivity.value,
        "data_delay_threshold": spec.data_delay_threshold,
        "trust_certificates": spec.trust_certificates,
        "trust_fingerprints": spec.trust_fingerprints,
        "run_setup_tests": spec.run_setup_tests,
        "networking_method": spec.networking_method.value,
        "proxy_agent_id": spec.proxy_agent_id,
        "private_link_id": spec.private_link_id,
        "hybrid_deployment_agent_id": spec.hybrid_deployment_agent_id,
        "destination_configuration": _compact(spec.destination_configuration.model_dump(mode="json")) or None
        if spec.destination_configuration else None,
        "connect_card_config": _card_config(spec.connect_card_config) if spec.connect_card_config else None,
        "destination_schema_names": spec.destination_schema_names.value if spec.destination_schema_names else None,
        "external_secrets_manager_id": spec.external_secrets_manager_id,
        "external_secrets_keys_config": spec.external_secrets_keys_config.model_dump(mode="json")
        if spec.external_secrets_keys_config else None,
        "schema_config": schema_config.canonical(spec.schema_config),
        "resync": schema_config.canonical_resync(spec.resync),
        "adopt_existing": spec.adopt_existing,
        "setup_test_policy": spec.setup_test_policy.value,
        "config": _compact({
            "schema": config.schema_name,
            "api_key": config.api_key.get_secret_value() if config.api_key else None,
            "account_region": config.account_region.value,
            "sync_mode": config.sync_mode.value,
            "events": list(config.events) if config.events else None,
            "custom_event_sync_mode": config.custom_event_sync_mode.value,
            "custom_events": list(config.custom_events) if config.custom_events else None,
            "historical_sync_limit": config.historical_sync_limit.value,
            "historical_sync_limit_date": config.historical_sync_limit_date.isoformat()
            if config.historical_sync_limit_date else None,
            "historic_sync_time_frame": config.historic_sync_time_frame.value
            if config.historic_sync_time_frame else None,
            "webhook_auth_type": config.webhook_auth_type.value,
        }),
    }
    return _compact(out)


def _schedule(schedule: Schedule) -> dict[str, Any]:
    """A schedule in canonical form: days in week order, every day when none are named (as Fivetran keeps an
    INTERVAL or TIME_OF_DAY schedule that names none)."""
    out = _compact(schedule.model_dump(mode="json"))
    if schedule.schedule_type in (SyncScheduleType.INTERVAL, SyncScheduleType.TIME_OF_DAY):
        out["days_of_week"] = out.get("days_of_week") or [day.value for day in WeekDay]
    return out


def _timing(frequency: int | None, daily: str | None, schedule_type: str, schedule: dict[str, Any] | None
            ) -> dict[str, Any]:
    """`sync_frequency`, `daily_sync_time`, `schedule_type` and `schedule` in canonical form.

    A schedule takes precedence: the older fields then say what it implies (and `sync_frequency` is left out
    where it implies nothing), so a program that declares only the schedule never shows a diff on them.
    """
    if schedule is not None:
        implied = schedule_implies(Schedule.model_validate(schedule))
        frequency, daily, schedule_type = (implied["sync_frequency"], implied["daily_sync_time"],
                                           implied["schedule_type"].value)
    elif frequency == DAILY_FREQUENCY:
        daily = daily or DEFAULT_DAILY_SYNC_TIME
    else:
        daily = None
    return {"sync_frequency": frequency, "schedule_type": schedule_type, "daily_sync_time": daily,
            "schedule": schedule}


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _card_config(card: ConnectCardConfig) -> dict[str, Any]:
    """`connect_card_config`; `hide_setup_guide: false` is Fivetran's default, so it means the same as none."""
    values = _compact(card.model_dump(mode="json"))
    if values.get("hide_setup_guide") is False:
        del values["hide_setup_guide"]
    return values


def create_body(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST /v1/connections` body for a canonical property bag.

    Every setting is sent explicitly, defaults included, so the connection matches the program whatever
    Fivetran's own defaults are. Test-control flags are sent explicitly too (Fivetran defaults
    `run_setup_tests` to true), and tests are asked for only with a key: a connection authorized through a
    Connect Card has none until its card is completed, and its tests could only fail.
    """
    body: dict[str, Any] = {"service": SERVICE, "group_id": canonical["group_id"]}
    for name in (*PATCHABLE_FIELDS, *CREATE_ONLY_FIELDS, "pause_after_trial", *TEST_FLAGS, "connect_card_config"):
        if canonical.get(name) is not None and not (canonical.get("schedule") and name in SCHEDULE_IMPLIED):
            body[name] = canonical[name]
    body["config"] = dict(canonical["config"])
    body["run_setup_tests"] = bool(canonical.get("run_setup_tests")) and declared_source(canonical).in_state
    return body


# Fields a `schedule` implies: with a schedule, they are never sent (the schedule says it all).
SCHEDULE_IMPLIED = ("sync_frequency", "daily_sync_time", "schedule_type")


def patch_body(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The persistent part of a `PATCH /v1/connections/{id}` body: only what changed.

    `config` is merged by Fivetran key by key, so only changed keys are sent, and `null` clears a key that
    the program no longer sets. Immutable inputs never appear here (they replace the connection).
    """
    body: dict[str, Any] = {}
    for name in PATCHABLE_FIELDS:
        if old.get(name) != new.get(name) and not (new.get("schedule") and name in SCHEDULE_IMPLIED):
            body[name] = new.get(name)
    old_config, new_config = old.get("config") or {}, new.get("config") or {}
    config = {
        key: new_config.get(key)
        for key in CONFIG_PATCHABLE
        if old_config.get(key) != new_config.get(key)
        # A key removed from the program with the card path in use stays as Fivetran holds it.
        and not (key == "api_key" and new_config.get(key) is None)
    }
    if new_config.get("api_key") and any(name in body for name in KEY_SOURCE_FIELDS):
        # Leaving a secrets manager for the declared key: Fivetran dropped any stored key when the mapping was
        # set, so the key goes again even when the state already held it (a mapping set in the dashboard, or a
        # move whose reply was lost, that refresh recorded).
        config["api_key"] = new_config["api_key"]
    if config:
        body["config"] = config
    return body


def patch_bodies(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The PATCH bodies of a change from `old` to `new`: the settings, and the webhook auth type on its own.

    A new webhook auth type makes Fivetran issue a new webhook secret, which no later PATCH can undo, so it is
    never part of a change that setup tests may roll back (see `operations.WRITE_ORDER`).
    """
    body = patch_body(old, new)
    config = dict(body.get("config") or {})
    auth_type = config.pop("webhook_auth_type", None)
    if "config" in body:
        if config:
            body["config"] = config
        else:
            del body["config"]
    return body, ({"config": {"webhook_auth_type": auth_type}} if auth_type is not None else {})


# ---------------------------------------------------------------------------------------------------------
# Reading back: Fivetran's view of a connection, projected onto the inputs.


def inputs_from_api(data: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical inputs that describe the live connection, for refresh.

    Values Fivetran does not return (the API key, test-control flags, the project's options, the connect-card
    settings) are carried over from `previous`, and so are `schema_config` and `resync`, which the connection
    does not hold (the caller reads the schema config); everything Fivetran stores comes from `data`, so a change
    made outside Pulumi shows as drift in the next preview. `destination_schema_names` is compared only when
    the program declares it (Fivetran fixes it at creation; an older connection may not report it).
    """
    live_config = data.get("config") or {}
    previous_config = previous.get("config") or {}
    sync_mode = live_config.get("sync_mode") or previous_config.get("sync_mode") or SyncMode.ALL_EVENTS.value
    custom_mode = (live_config.get("custom_event_sync_mode") or previous_config.get("custom_event_sync_mode")
                   or CustomEventSyncMode.ALL_EVENTS.value)
    limit = (live_config.get("historical_sync_limit") or previous_config.get("historical_sync_limit")
             or HistoricalSyncLimit.ALL_TIME.value)
    schedule = data.get("schedule") or None
    timing = _timing(_as_int(data.get("sync_frequency"), previous.get("sync_frequency", 360)),
                     data.get("daily_sync_time"), data.get("schedule_type") or ScheduleType.AUTO.value,
                     _schedule(Schedule.model_validate(schedule)) if isinstance(schedule, Mapping) else None)
    sensitivity = data.get("data_delay_sensitivity") or DataDelaySensitivity.NORMAL.value
    networking = data.get("networking_method") or NetworkingMethod.DIRECTLY.value
    config = {
        "schema": data.get("schema") or live_config.get("schema") or previous_config.get("schema"),
        "api_key": previous_config.get("api_key"),
        "account_region": live_config.get("account_region") or previous_config.get("account_region")
        or AccountRegion.US.value,
        "sync_mode": sync_mode,
        "events": _event_list(live_config.get("events")) if sync_mode == SyncMode.SELECTED_EVENTS else None,
        "custom_event_sync_mode": custom_mode,
        "custom_events": _event_list(live_config.get("custom_events"))
        if custom_mode == CustomEventSyncMode.SELECTED_EVENTS else None,
        "historical_sync_limit": limit,
        "historical_sync_limit_date": live_config.get("historical_sync_limit_date")
        if limit == HistoricalSyncLimit.DATE_LIMIT else None,
        "historic_sync_time_frame": live_config.get("historic_sync_time_frame"),
        "webhook_auth_type": live_config.get("webhook_auth_type") or WebhookAuthType.NO_AUTH.value,
    }
    destination = data.get("destination_configuration") or None
    naming = previous.get("destination_schema_names")
    out = {
        "group_id": data.get("group_id") or previous.get("group_id"),
        "paused": bool(data.get("paused", previous.get("paused", False))),
        "pause_after_trial": bool(data.get("pause_after_trial", previous.get("pause_after_trial", False))),
        **timing,
        "data_delay_sensitivity": sensitivity,
        "data_delay_threshold": _as_int(data.get("data_delay_threshold"), 0)
        if sensitivity == DataDelaySensitivity.CUSTOM else None,
        "networking_method": networking,
        "proxy_agent_id": data.get("proxy_agent_id") if networking == NetworkingMethod.PROXY_AGENT else None,
        "private_link_id": data.get("private_link_id") if networking == NetworkingMethod.PRIVATE_LINK else None,
        "hybrid_deployment_agent_id": data.get("hybrid_deployment_agent_id") or None,
        "destination_configuration": _compact(destination) or None if isinstance(destination, Mapping) else None,
        "destination_schema_names": (data.get("destination_schema_names") or naming) if naming else None,
        "external_secrets_manager_id": data.get("external_secrets_manager_id") or None,
        "external_secrets_keys_config": data.get("external_secrets_keys_config") or None,
        "config": _compact(config),
    }
    for name in (*TEST_FLAGS, *PROJECT_OPTIONS, *SYNC_SCOPE_FIELDS, "connect_card_config"):
        out[name] = previous.get(name)
    return _compact(out)


def _as_int(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    return int(value)


def _event_list(value: Any) -> list[str] | None:
    if not value:
        return None
    return sorted(set(value))
