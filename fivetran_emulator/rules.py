"""The rules of an Iterable connection: create and PATCH validation, server defaults, merging, masking.

Pure functions over plain dicts: no HTTP, no SQL. Every error names the field and says how to fix it.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .errors import invalid
from .fields import (
    CONFIG,
    CONFIG_DEFAULTS,
    CONFIG_ORDER,
    CREATE_ONLY,
    FLAGS,
    MASK,
    READ_ONLY_CONFIG_FIELDS,
    SECRET_CONFIG_FIELDS,
    SERVICE,
    SERVICE_VERSION,
    TOP,
    TOP_DEFAULTS,
    boolean,
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
    if "api_key" not in config and "connect_card_config" not in values:
        raise invalid(
            "Field 'config.api_key' is required. Set it to an Iterable server-side API key, or send "
            "'connect_card_config' so the key is entered through a Connect Card."
        )
    flags = {k: values.pop(k) for k in FLAGS if k in values}
    return Create(group_id, values, config, flags.get("run_setup_tests", True))


def validate_patch(body: Any) -> Patch:
    """Check a `PATCH /v1/connections/{id}` body; comparisons with the current connection come later."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object with the fields to change.")
    if "connect_card_config" in body:
        raise invalid(
            "Field 'connect_card_config' can only be set when creating. For a new Connect Card, "
            "POST /v1/connections/{id}/connect-card."
        )
    if "destination_schema_names" in body:
        raise invalid("Field 'destination_schema_names' can only be set when creating the connection.")
    reject_unknown(body, {*TOP, *FLAGS, "is_historical_sync", "service", "group_id", "config", "auth"})
    _check_auth(body)
    patch = Patch(run_setup_tests=body.get("run_setup_tests") is not False)
    for name, value in body.items():
        if name in TOP:
            patch.fields[name] = None if value is None else TOP[name](name, value)
        elif name in FLAGS and value is not None:
            FLAGS[name](name, value)
        elif name == "is_historical_sync" and value is not None:
            patch.restart_historical_sync = boolean(name, value)
        elif name in ("service", "group_id") and value is not None:
            patch.same_as_current[name] = value
    config = body.get("config")
    patch.config = _validate_config({} if config is None else config, creating=False)
    if "schema" in patch.config:
        patch.same_as_current["schema"] = patch.config.pop("schema")
    if not (patch.fields or config or "is_historical_sync" in body):
        raise invalid(
            "Nothing to update: the body has no field to change. 'run_setup_tests' and 'trust_*' alone are "
            "not allowed; to re-run setup tests use POST /v1/connections/{id}/test."
        )
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


def new_record(create: Create, *, connected_by: str, created_at: str, endpoint: str) -> Record:
    """A stored connection (no id yet) with every server default filled and the key kept in clear."""
    config = {**CONFIG_DEFAULTS, **{k: v for k, v in create.config.items() if k != "schema"}}
    check_config_rules(config)
    config["endpoint"] = endpoint
    config["project_type"] = project_type(config.get("api_key"))
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
        **create.fields,
        "status": {
            "setup_state": "incomplete",
            "sync_state": "scheduled",
            "update_state": "on_schedule",
            "is_historical_sync": True,
            "tasks": [],
            "warnings": [],
        },
        "setup_tests": [],
        "config": config,
    }
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
    config = updated["config"]
    for name, value in patch.config.items():
        if value is None:
            config.pop(name, None)
            if name in CONFIG_DEFAULTS:
                config[name] = copy.deepcopy(CONFIG_DEFAULTS[name])
        else:
            config[name] = value
    check_config_rules(config)
    config["project_type"] = project_type(config.get("api_key"))
    if patch.restart_historical_sync:
        updated["status"]["is_historical_sync"] = True
    return updated


def timestamp() -> str:
    """Now as RFC 3339 UTC with microseconds, the API's timestamp format."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect_card(token: str, redirect_uri: str) -> dict[str, str]:
    """The `connect_card` object: the token and the URI a person opens to enter the Iterable key."""
    return {
        "token": token,
        "uri": f"https://fivetran.com/connect-card/setup?redirect_uri={quote(redirect_uri, safe='')}&auth={token}",
    }


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
    "data_delay_sensitivity",
    "data_delay_threshold",
    "networking_method",
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
    "destination_schema_names",
    "destination_configuration",
    "connect_card_config",
    "connect_card",
    "status",
    "setup_tests",
    "config",
)
_OMIT_WHEN_NULL = ("destination_schema_names", "destination_configuration", "connect_card_config", "connect_card")


def render(record: Record) -> Record:
    """The connection as the API shows it: secrets masked, `sync_state` and `daily_sync_time` derived."""
    shown = {name: copy.deepcopy(record.get(name)) for name in _ORDER}
    for name in _OMIT_WHEN_NULL:
        if shown[name] is None:
            del shown[name]
    if shown["sync_frequency"] != 1440:
        shown["daily_sync_time"] = None
    shown["status"]["sync_state"] = "paused" if shown["paused"] else "scheduled"
    config = record["config"]
    shown["config"] = {name: copy.deepcopy(config[name]) for name in CONFIG_ORDER if name in config}
    for name in SECRET_CONFIG_FIELDS:
        if shown["config"].get(name) is not None:
            shown["config"][name] = MASK
    return shown
