"""The rules of an Iterable connection: create and PATCH validation, server defaults, merging, masking.

Pure functions over plain dicts: no HTTP, no SQL. Every error names the field and says how to fix it.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from . import ids
from .errors import invalid
from .fields import (
    CONFIG,
    CONFIG_DEFAULTS,
    CONFIG_ORDER,
    CREATE_ONLY,
    FLAGS,
    MASK,
    MASKED_CONFIG_FIELDS,
    READ_ONLY_CONFIG_FIELDS,
    SCHEMA_STATUSES,
    SERVICE,
    SERVICE_VERSION,
    TOP,
    TOP_DEFAULTS,
    WEBHOOK_AUTH_WITH_SECRET,
    WEEK_DAYS,
    boolean,
    one_of,
    reject_unknown,
    show,
    text,
)

Record = dict[str, Any]


@dataclass
class Create:
    """A validated create request."""

    group_id: str
    fields: dict[str, Any]
    config: dict[str, Any]
    run_setup_tests: bool


@dataclass
class Patch:
    """A validated PATCH: values to set (None = back to default) and identity fields to compare."""

    fields: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    same_as_current: dict[str, Any] = field(default_factory=dict)
    run_setup_tests: bool = True
    restart_historical_sync: bool = False
    schema_status: str | None = None


def _validate_config(config: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise invalid(f"Invalid value for 'config': {show(config)}. Use a JSON object of Iterable settings.")
    for name in config:
        if name in READ_ONLY_CONFIG_FIELDS:
            raise invalid(f"Field 'config.{name}' is read-only: Fivetran sets it. Remove it from the request.")
    reject_unknown(config, CONFIG, "config.")
    result: dict[str, Any] = {}
    for name, value in config.items():
        if value is None:
            if name == "api_key" and not creating:
                raise invalid("Field 'config.api_key' cannot be cleared. Send a new Iterable API key instead.")
            result[name] = None
        elif name == "api_key" and value == MASK:
            if creating:
                raise invalid("Field 'config.api_key' holds the mask '******', not a key. Send the real API key.")
            continue  # The client echoed the masked value back: keep the stored key.
        else:
            result[name] = CONFIG[name](f"config.{name}", value)
    return result


def _check_auth(body: dict[str, Any]) -> None:
    if body.get("auth") not in (None, {}):
        raise invalid("Field 'auth' is not used by service 'iterable'. Put the API key in 'config.api_key'.")


def validate_create(body: Any) -> Create:
    """Check a `POST /v1/connections` body; returns the persistent fields without defaults filled."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object with 'service', 'group_id' and 'config'.")
    reject_unknown(body, {*TOP, *CREATE_ONLY, *FLAGS, "service", "group_id", "config", "auth"})
    if body.get("service") is None:
        raise invalid(f"Field 'service' is required. Set it to '{SERVICE}'.")
    if body["service"] != SERVICE:
        raise invalid(f"Unsupported connector service '{body['service']}'. This API serves only '{SERVICE}'.")
    if body.get("group_id") is None:
        raise invalid("Field 'group_id' is required. Set it to the destination group id (GET /v1/groups).")
    group_id = text("group_id", body["group_id"])
    _check_auth(body)
    validators = {**TOP, **CREATE_ONLY, **FLAGS}
    values = {k: validators[k](k, v) for k, v in body.items() if k in validators and v is not None}
    config = _validate_config({} if body.get("config") is None else body["config"], creating=True)
    config = {k: v for k, v in config.items() if v is not None}
    if "schema" not in config:
        raise invalid("Field 'schema' is required. Set 'config.schema' to the destination schema name.")
    _check_secrets_manager(values)
    from_manager = "api_key" in (values.get("external_secrets_keys_config") or {})
    if "api_key" in config and from_manager:
        raise invalid("Field 'config.api_key' and 'external_secrets_keys_config.api_key' both set the key. Keep "
                      "one: the key itself, or the name of the secret that holds it in the secrets manager.")
    if "api_key" not in config and "connect_card_config" not in values and not from_manager:
        raise invalid(
            "Field 'config.api_key' is required. Set it to an Iterable server-side API key, send "
            "'connect_card_config' so the key is entered through a Connect Card, or name the secret that holds it "
            "in 'external_secrets_keys_config.api_key' (with 'external_secrets_manager_id')."
        )
    _check_schedule(values, current=None)
    flags = {k: values.pop(k) for k in FLAGS if k in values}
    return Create(group_id, values, config, flags.get("run_setup_tests", True))


def _check_secrets_manager(values: dict[str, Any]) -> None:
    has_id, has_keys = "external_secrets_manager_id" in values, bool(values.get("external_secrets_keys_config"))
    if has_keys and not has_id:
        raise invalid("Field 'external_secrets_manager_id' is required with 'external_secrets_keys_config': the "
                      "id of the external secrets manager that holds the keys.")


def _check_schedule(values: dict[str, Any], current: Record | None) -> None:
    """The flexible `schedule` and its precedence over `sync_frequency`, `daily_sync_time`, `schedule_type`.

    A schedule is complete for its type and nothing else; the older fields may come with it only when they
    say the same thing (see `derived_from_schedule`), and may not change alone while a schedule is in force.
    """
    schedule = values.get("schedule")
    if schedule is None:  # none given, or `null`: back to the older fields
        if current is not None and current.get("schedule") and "schedule" not in values:
            changed = [n for n in ("sync_frequency", "daily_sync_time", "schedule_type")
                       if values.get(n) is not None and values[n] != current.get(n)]
            if changed:
                raise invalid(f"Field '{changed[0]}' cannot change while the connection has a 'schedule', which "
                              "takes precedence. Change 'schedule', or send 'schedule': null with it.")
        return
    kind = schedule["schedule_type"]
    needs = {"INTERVAL": {"interval"}, "TIME_OF_DAY": {"time_of_day"}, "CRON": {"cron"}, "MANUAL": set()}[kind]
    allowed = needs | ({"days_of_week"} if kind in ("INTERVAL", "TIME_OF_DAY") else set()) | {"schedule_type"}
    for name in needs - set(schedule):
        raise invalid(f"Field 'schedule.{name}' is required when 'schedule.schedule_type' is '{kind}'.")
    for name in set(schedule) - allowed:
        raise invalid(f"Field 'schedule.{name}' is not used when 'schedule.schedule_type' is '{kind}'. Remove it.")
    for name, value in derived_from_schedule(schedule).items():
        if values.get(name) is not None and values[name] != value:
            raise invalid(f"Field '{name}' ({show(values[name])}) contradicts 'schedule', which takes precedence "
                          f"and means {name} {show(value)}. Leave '{name}' out, or make them agree.")


def derived_from_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    """What a schedule means for the older fields (UNVERIFIED, see README): INTERVAL n is `sync_frequency` n,
    TIME_OF_DAY t is a daily sync at t, MANUAL is `schedule_type` manual; a CRON schedule says nothing of them."""
    kind = schedule["schedule_type"]
    if kind == "INTERVAL":
        return {"sync_frequency": schedule["interval"], "schedule_type": "auto"}
    if kind == "TIME_OF_DAY":
        return {"sync_frequency": 1440, "daily_sync_time": schedule["time_of_day"], "schedule_type": "auto"}
    if kind == "MANUAL":
        return {"schedule_type": "manual"}
    return {"schedule_type": "auto"}


def _stored_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule as stored and shown: days in week order, all seven when none were given (INTERVAL and
    TIME_OF_DAY run every day unless told otherwise)."""
    stored = dict(schedule)
    if stored["schedule_type"] in ("INTERVAL", "TIME_OF_DAY"):
        days = set(stored.get("days_of_week") or WEEK_DAYS)
        stored["days_of_week"] = [day for day in WEEK_DAYS if day in days]
    return stored


def validate_patch(body: Any, current: Record) -> Patch:
    """Check a `PATCH /v1/connections/{id}` body against the connection it changes."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object with the fields to change.")
    if "connect_card_config" in body:
        raise invalid(
            "Field 'connect_card_config' can only be set when creating. For a new Connect Card, "
            "POST /v1/connections/{id}/connect-card."
        )
    if "destination_schema_names" in body:
        raise invalid("Field 'destination_schema_names' can only be set when creating the connection.")
    reject_unknown(body, {*TOP, *FLAGS, "is_historical_sync", "schema_status", "service", "group_id", "config",
                          "auth"})
    _check_auth(body)
    patch = Patch(run_setup_tests=body.get("run_setup_tests") is not False)
    for name, value in body.items():
        if name in TOP:
            patch.fields[name] = None if value is None else TOP[name](name, value)
        elif name in FLAGS and value is not None:
            FLAGS[name](name, value)
        elif name == "is_historical_sync" and value is not None:
            patch.restart_historical_sync = boolean(name, value)
        elif name == "schema_status" and value is not None:
            patch.schema_status = one_of(*SCHEMA_STATUSES)(name, value)
        elif name in ("service", "group_id") and value is not None:
            patch.same_as_current[name] = value
    config = body.get("config")
    patch.config = _validate_config({} if config is None else config, creating=False)
    if "schema" in patch.config:
        patch.same_as_current["schema"] = patch.config.pop("schema")
    if not (patch.fields or config or "is_historical_sync" in body or patch.schema_status or "auth" in body):
        raise invalid(
            "Nothing to update: the body has no field to change. 'run_setup_tests' and 'trust_*' alone are "
            "not allowed; to re-run setup tests use POST /v1/connections/{id}/test."
        )
    merged = {k: v for k, v in {**current, **patch.fields}.items() if k in TOP and v is not None}
    _check_secrets_manager(merged)
    if patch.config.get("api_key") and "api_key" in (merged.get("external_secrets_keys_config") or {}) \
            and "api_key" not in (patch.fields.get("external_secrets_keys_config") or {}):
        raise invalid("Field 'config.api_key' cannot be set while 'external_secrets_keys_config.api_key' names the "
                      "secret that holds the key. Change the secret in the manager, or send "
                      "'external_secrets_keys_config': null with the new key.")
    _check_schedule(patch.fields, current=current)
    return patch


# -- building, merging and showing a connection -------------------------------------------------------------
def project_type(api_key: str | None) -> str | None:
    """The read-only `config.project_type`, derived from the key (emulator rule: see README)."""
    if not api_key:
        return None
    lowered = api_key.lower()
    if "hybrid" in lowered:
        return "HYBRID_PROJECT"
    if "userid" in lowered or "user_id" in lowered:
        return "USER_ID_BASED_PROJECT"
    return "EMAIL_BASED_PROJECT"


def check_config_rules(config: dict[str, Any]) -> None:
    """Cross-field rules Iterable's docs state as "should"; the emulator enforces them."""
    if config.get("sync_mode") == "SelectedEvents" and not config.get("events"):
        raise invalid("Field 'config.events' must list at least one event when 'config.sync_mode' is 'SelectedEvents'.")
    if config.get("custom_event_sync_mode") == "SelectedEvents" and not config.get("custom_events"):
        raise invalid(
            "Field 'config.custom_events' must list at least one event when 'config.custom_event_sync_mode' is "
            "'SelectedEvents'."
        )
    if config.get("historical_sync_limit") == "DATE_LIMIT" and not config.get("historical_sync_limit_date"):
        raise invalid(
            "Field 'config.historical_sync_limit_date' is required when 'config.historical_sync_limit' is "
            "'DATE_LIMIT'. Use a date as YYYY-MM-DD."
        )


def _read_only_config(record: Record, previous_auth: str | None = None) -> None:
    """Fill what Fivetran derives: the project type from the key, a webhook secret when auth asks for one (a
    new one when the auth type changes from `previous_auth`).

    A key kept in an external secrets manager is read when the setup tests run, which set the project type.
    """
    config = record["config"]
    if not key_from_secrets_manager(record):
        config["project_type"] = project_type(config.get("api_key"))
    auth = config.get("webhook_auth_type")
    if auth not in WEBHOOK_AUTH_WITH_SECRET:
        config.pop("webhook_secret", None)
    elif auth != previous_auth or "webhook_secret" not in config:
        config["webhook_secret"] = ids.webhook_secret()


def new_record(create: Create, *, connected_by: str, created_at: str, endpoint: str) -> Record:
    """A stored connection (no id yet) with every server default filled and the key kept in clear."""
    config = {**CONFIG_DEFAULTS, **{k: v for k, v in create.config.items() if k != "schema"}}
    check_config_rules(config)
    config["endpoint"] = endpoint
    fields = dict(create.fields)
    if fields.get("schedule") is not None:
        fields["schedule"] = _stored_schedule(fields["schedule"])
        fields.update(derived_from_schedule(fields["schedule"]))
    record: Record = {
        "group_id": create.group_id,
        "service": SERVICE,
        "service_version": SERVICE_VERSION,
        "schema": create.config["schema"],
        "connected_by": connected_by,
        "created_at": created_at,
        "succeeded_at": None,
        "failed_at": None,
        **TOP_DEFAULTS,
        **fields,
        "status": {
            "setup_state": "incomplete",
            "schema_status": "ready",
            "sync_state": "scheduled",
            "update_state": "on_schedule",
            "is_historical_sync": True,
            "tasks": [],
            "warnings": [],
        },
        "setup_tests": [],
        "config": config,
    }
    _read_only_config(record)
    return record


def apply_patch(record: Record, patch: Patch) -> Record:
    """The connection after a PATCH: shallow merge of `config`, null restores defaults, arrays replaced."""
    for name, value in patch.same_as_current.items():
        current = record["schema"] if name == "schema" else record[name]
        if value != current:
            where = "config.schema" if name == "schema" else name
            raise invalid(
                f"Field '{where}' cannot be changed after creation (current: '{current}', requested: {show(value)}). "
                "Create a new connection with the new value and delete this one."
            )
    updated = copy.deepcopy(record)
    for name, value in patch.fields.items():
        updated[name] = TOP_DEFAULTS[name] if value is None else value
    if patch.fields.get("schedule") is not None:
        updated["schedule"] = _stored_schedule(updated["schedule"])
        updated.update(derived_from_schedule(updated["schedule"]))
    config = updated["config"]
    if "api_key" in (patch.fields.get("external_secrets_keys_config") or {}):
        config.pop("api_key", None)  # the key now lives in the secrets manager
    for name, value in patch.config.items():
        if value is None:
            config.pop(name, None)
            if name in CONFIG_DEFAULTS:
                config[name] = copy.deepcopy(CONFIG_DEFAULTS[name])
        else:
            config[name] = value
    check_config_rules(config)
    _read_only_config(updated, previous_auth=record["config"].get("webhook_auth_type"))
    if patch.restart_historical_sync:
        updated["status"]["is_historical_sync"] = True
    if patch.schema_status is not None:
        updated["status"]["schema_status"] = patch.schema_status
    return updated


def syncing(record: Record) -> bool:
    """Whether a sync of the connection is running now (the emulator plays one with the control API)."""
    return float(record.get("sync_until") or 0) > time.time()


def key_from_secrets_manager(record: Record) -> tuple[str, str] | None:
    """(manager id, secret name) when the connection's Iterable key lives in an external secrets manager."""
    name = (record.get("external_secrets_keys_config") or {}).get("api_key")
    return (record["external_secrets_manager_id"], name) if name else None


def timestamp() -> str:
    """Now as RFC 3339 UTC with microseconds, the API's timestamp format."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect_card(token: str, card_config: dict[str, Any]) -> dict[str, str]:
    """The `connect_card` object: the token and the URI a person opens to enter the Iterable key.

    The URI carries the setup-guide visibility, as the API's example shows (`...&hide_setup_guide=true`).
    """
    uri = f"https://fivetran.com/connect-card/setup?redirect_uri={quote(card_config['redirect_uri'], safe='')}" \
          f"&auth={token}"
    if card_config.get("hide_setup_guide") is not None:
        uri += f"&hide_setup_guide={str(card_config['hide_setup_guide']).lower()}"
    return {"token": token, "uri": uri}


_ORDER = (
    "id",
    "group_id",
    "service",
    "service_version",
    "schema",
    "connected_by",
    "created_at",
    "succeeded_at",
    "failed_at",
    "paused",
    "pause_after_trial",
    "sync_frequency",
    "schedule_type",
    "daily_sync_time",
    "schedule",
    "data_delay_sensitivity",
    "data_delay_threshold",
    "networking_method",
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
    "destination_schema_names",
    "destination_configuration",
    "external_secrets_manager_id",
    "external_secrets_keys_config",
    "connect_card_config",
    "connect_card",
    "status",
    "setup_tests",
    "config",
)
_OMIT_WHEN_NULL = ("hybrid_deployment_agent_id", "schedule", "destination_schema_names", "destination_configuration",
                   "external_secrets_manager_id", "external_secrets_keys_config", "connect_card_config",
                   "connect_card")


def render(record: Record) -> Record:
    """The connection as the API shows it: secrets masked, `sync_state` and `daily_sync_time` derived."""
    shown = {name: copy.deepcopy(record.get(name)) for name in _ORDER}
    for name in _OMIT_WHEN_NULL:
        if shown[name] is None:
            del shown[name]
    if shown["sync_frequency"] != 1440:
        shown["daily_sync_time"] = None
    shown["status"]["sync_state"] = "syncing" if syncing(record) else "paused" if shown["paused"] else "scheduled"
    config = record["config"]
    shown["config"] = {name: copy.deepcopy(config[name]) for name in CONFIG_ORDER if config.get(name) is not None}
    for name in MASKED_CONFIG_FIELDS:
        if shown["config"].get(name) is not None:
            shown["config"][name] = MASK
    return shown
