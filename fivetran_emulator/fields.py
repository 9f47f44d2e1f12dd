"""The fields of an Iterable connection request: value validators, allowed names and server defaults.

A validator takes `(label, value)` and returns the value, or raises a 400 `InvalidInput` that names the
label and says what to send instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .errors import invalid

Validator = Callable[[str, Any], Any]

SERVICE = "iterable"
SERVICE_VERSION = 1
MASK = "******"
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
SECRET_CONFIG_FIELDS = ("api_key",)
READ_ONLY_CONFIG_FIELDS = ("endpoint", "project_type", "webhook_secret")


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


# -- the fields ---------------------------------------------------------------------------------------------
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
}
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
CONFIG_DEFAULTS: dict[str, Any] = {
    "account_region": "US",
    "sync_mode": "AllEvents",
    "events": [],
    "custom_event_sync_mode": "AllEvents",
    "custom_events": [],
    "historical_sync_limit": "ALL_TIME",
}
CONFIG: dict[str, Validator] = {
    "schema": text,
    "api_key": text,
    "account_region": one_of("US", "EU"),
    "sync_mode": one_of("AllEvents", "SelectedEvents"),
    "events": names,
    "custom_event_sync_mode": one_of("AllEvents", "SelectedEvents", "NoEvents"),
    "custom_events": names,
    "historical_sync_limit": one_of("ALL_TIME", "DATE_LIMIT"),
    "historical_sync_limit_date": date,
    "historic_sync_time_frame": one_of("THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "TWO_YEARS", "FIVE_YEARS", "ALL_TIME"),
    "webhook_auth_type": one_of("NoAuth", "Basic", "OAuth2"),
}
CONFIG_ORDER = (*CONFIG, *READ_ONLY_CONFIG_FIELDS)


def validate_card_config(value: Any) -> dict[str, Any]:
    """Check a `connect_card_config` object (for `POST /v1/connections/{id}/connect-card`)."""
    if value is None:
        raise invalid('Field \'connect_card_config\' is required, e.g. {"redirect_uri": "https://example.com/done"}.')
    result: dict[str, Any] = CREATE_ONLY["connect_card_config"]("connect_card_config", value)
    return result
