"""The fields of an Iterable connection request: value validators, allowed names and server defaults.

The Iterable `config` is declared once, in `ITERABLE_CONFIG`: each field's type, choices, default, and whether
it is read-only or secret. The request validators, the masking of responses and the connector-type metadata
(`GET /v1/metadata/connector-types/iterable`) are all derived from that one table, so what the metadata
describes is exactly what the emulator enforces.

A validator takes `(label, value)` and returns the value, or raises a 400 `InvalidInput` that names the
label and says what to send instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import invalid

Validator = Callable[[str, Any], Any]

SERVICE = "iterable"
SERVICE_VERSION = 1
MASK = "******"
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
WEEK_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


# -- value validators: (label, value) -> value, raising a 400 that names the label --------------------------
def one_of(*choices: Any) -> Validator:
    """A validator accepting exactly one of `choices` (same JSON type: 360 is not "360")."""

    def check(label: str, value: Any) -> Any:
        if type(value) is not type(choices[0]) or value not in choices:
            listed = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in choices)
            raise invalid(f"Invalid value for '{label}': {show(value)}. Use one of {listed}.")
        return value

    return check


def boolean(label: str, value: Any) -> bool:
    """JSON true or false."""
    if type(value) is not bool:
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use true or false.")
    return value


def text(label: str, value: Any) -> str:
    """A non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a non-empty string.")
    return value


def minutes(label: str, value: Any) -> int:
    """A whole number of minutes, 0 or more."""
    if type(value) is not int or value < 0:
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a whole number of minutes, 0 or more.")
    return value


def hour(label: str, value: Any) -> str:
    """A whole hour `HH:00`, as `daily_sync_time` takes."""
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):00", value):
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a whole hour as 'HH:00', e.g. '03:00'.")
    return value


def date(label: str, value: Any) -> str:
    """A calendar date `YYYY-MM-DD`."""
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(
            f"Invalid value for '{label}': {show(value)}. Use a date as YYYY-MM-DD, e.g. '2024-01-01'."
        ) from None
    return value


def names(label: str, value: Any) -> list[str]:
    """A list of non-blank strings (event names)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a list of names, e.g. [\"emailOpen\"].")
    return list(value)


def cron(label: str, value: Any) -> str:
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""
    field = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
    if not isinstance(value, str) or not re.fullmatch(rf"{field}( {field}){{4}}", value.strip()):
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a five-field cron expression, e.g. "
                      "'0 */6 * * *'.")
    return value.strip()


def json_object(fields: dict[str, Validator], required: tuple[str, ...] = ()) -> Validator:
    """A validator for an object with the given sub-fields (nulls dropped) and required names."""

    def check(label: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise invalid(f"Invalid value for '{label}': {show(value)}. Use a JSON object.")
        reject_unknown(value, fields, label + ".")
        result = {k: fields[k](f"{label}.{k}", v) for k, v in value.items() if v is not None}
        for name in required:
            if name not in result:
                raise invalid(f"Field '{label}.{name}' is required when '{label}' is set.")
        return result

    return check


def show(value: Any) -> str:
    """A value as an error message quotes it: JSON-ish, cut at 60 characters."""
    shown = repr(value) if not isinstance(value, bool | type(None)) else str(value).lower().replace("none", "null")
    return shown if len(shown) <= 60 else shown[:57] + "..."


def reject_unknown(body: dict[str, Any], known: dict[str, Any] | set[str], prefix: str = "") -> None:
    """400 for the first key of `body` not in `known`, listing the known names."""
    for name in body:
        if name not in known:
            raise invalid(f"Unknown field '{prefix}{name}'. Known fields: {', '.join(sorted(known))}.")


# -- the Iterable config: one table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigField:
    """One field of the Iterable `config`, as the API takes and shows it."""

    name: str
    kind: str  # "string", "enum", "list", "date"
    description: str
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False  # on create
    read_only: bool = False  # Fivetran sets it; a request may not
    secret: bool = False  # masked in responses (a read-only secret is shown: it is Fivetran's to give)

    def validator(self) -> Validator:
        if self.kind == "enum":
            return one_of(*self.choices)
        return {"string": text, "list": names, "date": date}[self.kind]

    def json_schema(self) -> dict[str, Any]:
        """The field as the connector-type metadata describes it (JSON Schema)."""
        schema: dict[str, Any] = {"type": "array" if self.kind == "list" else "string",
                                  "description": self.description}
        if self.kind == "list":
            schema["items"] = {"type": "string"}
        if self.kind == "enum":
            schema["enum"] = list(self.choices)
        if self.kind == "date":
            schema["format"] = "date"
        if self.secret:
            schema["format"] = "password"
        if self.default is not None:
            schema["default"] = self.default
        if self.read_only:
            schema["readOnly"] = True
        return schema


WEBHOOK_AUTH_TYPES = ("NoAuth", "Basic", "OAuth2")
# Webhook authentication types that give the Iterable side a secret to authenticate with.
WEBHOOK_AUTH_WITH_SECRET = ("Basic", "OAuth2")

ITERABLE_CONFIG = (
    ConfigField("schema", "string", "Destination schema name. Schema name is permanent and cannot be changed "
                "after connection creation.", required=True),
    ConfigField("api_key", "string", "Your Iterable API key.", secret=True),
    ConfigField("account_region", "enum", "If your Iterable account URL starts with `https://app.eu.iterable.com` "
                "then provide `EU` else `US`.", choices=("US", "EU"), default="US"),
    ConfigField("sync_mode", "enum", "Events Sync Mode.", choices=("AllEvents", "SelectedEvents"),
                default="AllEvents"),
    ConfigField("events", "list", "List of events to sync. Should be specified when `sync_mode` is "
                "`SelectedEvents`.", default=[]),
    ConfigField("custom_event_sync_mode", "enum", "Custom Events Sync Mode.",
                choices=("AllEvents", "SelectedEvents", "NoEvents"), default="AllEvents"),
    ConfigField("custom_events", "list", "List of custom events to sync. Should be specified when "
                "`custom_event_sync_mode` is `SelectedEvents`.", default=[]),
    ConfigField("historical_sync_limit", "enum", "The time range for which historical data should be synced.",
                choices=("ALL_TIME", "DATE_LIMIT"), default="ALL_TIME"),
    ConfigField("historical_sync_limit_date", "date", "The start date (YYYY-MM-DD) from which to sync historical "
                "data."),
    ConfigField("historic_sync_time_frame", "enum", "The older way to bound the historical sync, superseded by "
                "`historical_sync_limit`.",
                choices=("THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "TWO_YEARS", "FIVE_YEARS", "ALL_TIME")),
    ConfigField("webhook_auth_type", "enum", "The authentication method for the Iterable webhook.",
                choices=WEBHOOK_AUTH_TYPES, default="NoAuth"),
    ConfigField("endpoint", "string", "Register the following URL for webhooks on your Iterable dashboard.",
                read_only=True),
    ConfigField("project_type", "enum", "The type of Iterable project associated with the API key.",
                choices=("USER_ID_BASED_PROJECT", "HYBRID_PROJECT", "EMAIL_BASED_PROJECT"), read_only=True),
    ConfigField("webhook_secret", "string", "The secret token used to authenticate incoming webhook events from "
                "Iterable. Only applicable when `webhook_auth_type` is `Basic` or `OAuth2`.", read_only=True,
                secret=True),
)
CONFIG_FIELDS = {field.name: field for field in ITERABLE_CONFIG}
CONFIG: dict[str, Validator] = {f.name: f.validator() for f in ITERABLE_CONFIG if not f.read_only}
CONFIG_DEFAULTS: dict[str, Any] = {f.name: f.default for f in ITERABLE_CONFIG if f.default is not None}
CONFIG_ORDER = tuple(CONFIG_FIELDS)
READ_ONLY_CONFIG_FIELDS = tuple(f.name for f in ITERABLE_CONFIG if f.read_only)
# Secrets a response masks: what the user gave (a key); a read-only secret is Fivetran's, shown to its owner.
MASKED_CONFIG_FIELDS = tuple(f.name for f in ITERABLE_CONFIG if f.secret and not f.read_only)
# The config fields whose values may come from an external secrets manager instead of the request.
SECRET_CONFIG_FIELDS = MASKED_CONFIG_FIELDS


def config_json_schema() -> dict[str, Any]:
    """The Iterable config as JSON Schema, for the connector-type metadata."""
    return {
        "type": "object",
        "properties": {f.name: f.json_schema() for f in ITERABLE_CONFIG},
        "required": [f.name for f in ITERABLE_CONFIG if f.required],
    }


# -- the connection-level fields --------------------------------------------------------------------------------

# Persistent top-level fields with the value the server fills when a request leaves them out (or sends null).
TOP_DEFAULTS: dict[str, Any] = {
    "paused": False,
    "pause_after_trial": False,
    "sync_frequency": 360,
    "schedule_type": "auto",
    "daily_sync_time": None,
    "data_delay_sensitivity": "NORMAL",
    "data_delay_threshold": 0,
    "networking_method": "Directly",
    "proxy_agent_id": None,
    "private_link_id": None,
    "hybrid_deployment_agent_id": None,
    "destination_configuration": None,
    "external_secrets_manager_id": None,
    "external_secrets_keys_config": None,
    "schedule": None,
}
SCHEDULE = json_object({
    "schedule_type": one_of("INTERVAL", "TIME_OF_DAY", "CRON", "MANUAL"),
    "interval": one_of(*SYNC_FREQUENCIES),
    "time_of_day": hour,
    "days_of_week": lambda label, value: [one_of(*WEEK_DAYS)(f"{label}[{i}]", day)
                                         for i, day in enumerate(names(label, value))],
    "cron": cron,
}, required=("schedule_type",))
TOP: dict[str, Validator] = {
    "paused": boolean,
    "pause_after_trial": boolean,
    "sync_frequency": one_of(*SYNC_FREQUENCIES),
    "schedule_type": one_of("auto", "manual"),
    "daily_sync_time": hour,
    "data_delay_sensitivity": one_of("LOW", "NORMAL", "HIGH", "CUSTOM", "SYNC_FREQUENCY"),
    "data_delay_threshold": minutes,
    "networking_method": one_of("Directly", "PrivateLink", "SshTunnel", "ProxyAgent"),
    "proxy_agent_id": text,
    "private_link_id": text,
    "hybrid_deployment_agent_id": text,
    "destination_configuration": json_object({"virtual_warehouse": text}),
    "external_secrets_manager_id": text,
    "external_secrets_keys_config": json_object({name: text for name in SECRET_CONFIG_FIELDS}),
    "schedule": SCHEDULE,
}
CREATE_ONLY: dict[str, Validator] = {
    "destination_schema_names": one_of("FIVETRAN_NAMING", "SOURCE_NAMING"),
    "connect_card_config": json_object(
        {"redirect_uri": text, "hide_setup_guide": boolean, "all_fields": boolean}, required=("redirect_uri",)
    ),
}
FLAGS: dict[str, Validator] = {
    "run_setup_tests": boolean,
    "trust_certificates": boolean,
    "trust_fingerprints": boolean,
}
# `status.schema_status` as a PATCH may set it (the spec's enum).
SCHEMA_STATUSES = ("ready", "blocked_on_capture")


def validate_card_config(value: Any) -> dict[str, Any]:
    """Check a `connect_card_config` object (for `POST /v1/connections/{id}/connect-card`)."""
    if value is None:
        raise invalid('Field \'connect_card_config\' is required, e.g. {"redirect_uri": "https://example.com/done"}.')
    result: dict[str, Any] = CREATE_ONLY["connect_card_config"]("connect_card_config", value)
    return result
