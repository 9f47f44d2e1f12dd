"""Validation: a property bag from Pulumi in, a `ConnectionSpec` or every error out.

Each error names the property path (`config.events`) and says how to fix it; all problems are reported at
once, and during preview values that are not known yet (outputs of other resources) are skipped along with
every rule that depends on them. Knows nothing of HTTP or Pulumi (the caller says what "unknown" is).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from .enums import (
    AccountRegion,
    CustomEventSyncMode,
    DataDelaySensitivity,
    HistoricalSyncLimit,
    HistoricSyncTimeFrame,
    NetworkingMethod,
    ScheduleType,
    SetupTestPolicy,
    SyncMode,
)
from .model import DAILY_FREQUENCY, DAILY_SYNC_TIME_PATTERN, FIELDS_BY_SCOPE, SYNC_FREQUENCIES, ConnectionSpec
from .payloads import canonical_inputs


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the declared inputs: the property path (`config.events`) and how to fix it."""

    path: str
    reason: str
    # Other inputs the rule depends on: when any of them is unknown (preview), the rule cannot be judged.
    involves: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _enum_choices(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


_ENUM_BY_PATH: dict[str, type[StrEnum]] = {
    "config.account_region": AccountRegion,
    "config.sync_mode": SyncMode,
    "config.custom_event_sync_mode": CustomEventSyncMode,
    "config.historical_sync_limit": HistoricalSyncLimit,
    "config.historic_sync_time_frame": HistoricSyncTimeFrame,
    "schedule_type": ScheduleType,
    "data_delay_sensitivity": DataDelaySensitivity,
    "networking_method": NetworkingMethod,
    "setup_test_policy": SetupTestPolicy,
}


def _path_of(loc: tuple[int | str, ...]) -> str:
    parts = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append("schema" if item == "schema_name" else item)
    return ".".join(parts) or "(inputs)"


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"  # may hold the API key: never echoed
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(error: Mapping[str, Any], path: str, secret: bool) -> str:
    """A sentence a user can act on, in place of pydantic's generic message. Never echoes a secret."""
    kind = error["type"]
    got = "" if secret else f" (got {_describe(error.get('input'))})"
    if kind == "missing":
        hints = {
            "group_id": "set it to the id of the destination group the connection loads into",
            "config": "declare config with at least schema and api_key (or connect_card_config)",
            "config.schema": "set the destination schema name, for example 'iterable_marketing'",
            "connect_card_config.redirect_uri": "set the URL Fivetran sends the person back to",
        }
        return f"is required; {hints.get(path, 'set it')}"
    if kind == "extra_forbidden":
        scope, _, name = path.rpartition(".")
        candidates = FIELDS_BY_SCOPE.get(scope, ())
        close = difflib.get_close_matches(name, candidates, n=1)
        prefix = f"{scope}." if scope else ""
        known = ", ".join(candidates)
        hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; the known inputs here are {known}"
        return f"is not an input of an Iterable connection{hint}"
    if path in _ENUM_BY_PATH and kind in ("enum", "literal_error"):
        return f"must be one of {_enum_choices(_ENUM_BY_PATH[path])}{got}"
    if path == "sync_frequency" and kind != "value_error":
        return f"must be one of {', '.join(map(str, SYNC_FREQUENCIES))} (minutes){got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false{got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number{got}"
    if kind in ("string_type",):
        return f"must be a string{got}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list of strings{got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be an object{got}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"must be a real calendar date in the form YYYY-MM-DD{got}"
    if kind == "greater_than_equal":
        return f"must be 0 or more{got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    message = str(error["msg"])
    return message if secret else f"{message}{got}"


def _cross_field_errors(spec: ConnectionSpec) -> list[FieldError]:
    """The rules that tie one input to another."""
    errors: list[FieldError] = []
    config = spec.config

    def rule(ok: bool, path: str, reason: str, *involves: str) -> None:
        if not ok:
            errors.append(FieldError(path, reason, involves))

    def only_with(path: str, value: object, switch: str, choice: StrEnum, actual: StrEnum, required: str) -> None:
        """`path` must be set when `switch` is `choice` (`required` says what to do) and only then."""
        if actual is choice:
            rule(value is not None, path, required, switch)
        else:
            rule(value is None, path, f"is only allowed when {switch} is {choice}; remove it, or set {switch} "
                                      f"to {choice}", switch)

    only_with("config.events", config.events, "config.sync_mode", SyncMode.SELECTED_EVENTS, config.sync_mode,
              "must list at least one event when config.sync_mode is SelectedEvents; list the events to sync, "
              "or set config.sync_mode to AllEvents")
    only_with("config.custom_events", config.custom_events, "config.custom_event_sync_mode",
              CustomEventSyncMode.SELECTED_EVENTS, config.custom_event_sync_mode,
              "must list at least one custom event when config.custom_event_sync_mode is SelectedEvents; list "
              "them, or set config.custom_event_sync_mode to AllEvents or NoEvents")
    only_with("config.historical_sync_limit_date", config.historical_sync_limit_date,
              "config.historical_sync_limit", HistoricalSyncLimit.DATE_LIMIT, config.historical_sync_limit,
              "is required when config.historical_sync_limit is DATE_LIMIT; set the first day to sync, for "
              "example '2024-01-01'")
    only_with("data_delay_threshold", spec.data_delay_threshold, "data_delay_sensitivity",
              DataDelaySensitivity.CUSTOM, spec.data_delay_sensitivity,
              "is required when data_delay_sensitivity is CUSTOM; set the delay in minutes after which "
              "Fivetran warns")
    only_with("proxy_agent_id", spec.proxy_agent_id, "networking_method", NetworkingMethod.PROXY_AGENT,
              spec.networking_method, "is required when networking_method is ProxyAgent; set the id of the proxy "
              "agent")
    only_with("private_link_id", spec.private_link_id, "networking_method", NetworkingMethod.PRIVATE_LINK,
              spec.networking_method, "is required when networking_method is PrivateLink; set the id of the "
              "private link")
    if config.historical_sync_limit_date is not None:
        rule(config.historical_sync_limit_date <= dt.date.today(), "config.historical_sync_limit_date",
             "is in the future; use a date on or before today")
    rule(config.api_key is not None or spec.connect_card_config is not None, "config.api_key",
         "is required unless connect_card_config is set; set the Iterable server-side API key (as a Pulumi "
         "secret), or set connect_card_config so the account owner enters it in a Fivetran Connect Card",
         "connect_card_config")

    rule(spec.sync_frequency in SYNC_FREQUENCIES, "sync_frequency",
         f"must be one of {', '.join(map(str, SYNC_FREQUENCIES))} (minutes), got {spec.sync_frequency}")
    if spec.daily_sync_time is not None:
        rule(bool(DAILY_SYNC_TIME_PATTERN.fullmatch(spec.daily_sync_time)), "daily_sync_time",
             f"must be a whole hour in the form HH:00, from 00:00 to 23:00 (got {spec.daily_sync_time!r})")
        rule(spec.sync_frequency == DAILY_FREQUENCY, "daily_sync_time",
             f"is only allowed when sync_frequency is 1440 (daily); remove it, or set sync_frequency to 1440 "
             f"(it is {spec.sync_frequency})", "sync_frequency")
    return errors


def parse_spec(props: Mapping[str, Any]) -> tuple[ConnectionSpec | None, list[FieldError]]:
    """Validate a property bag (no unknown values) into a spec, or return every error found."""
    spec, errors = _analyse(props)
    return (None, errors) if errors else (spec, [])


def _analyse(props: Mapping[str, Any]) -> tuple[ConnectionSpec | None, list[FieldError]]:
    """Every error in `props`, and the spec when each field on its own is valid.

    When some fields are malformed, the rules between the remaining fields are still checked, so one
    `pulumi preview` lists every problem at once.
    """
    spec, errors = _validate_fields(props)
    if spec is not None:
        return spec, _cross_field_errors(spec)
    bad_paths = {re.sub(r"\[\d+\]", "", error.path) for error in errors}
    rest, _ = _validate_fields(_with_placeholders(_without_paths(props, bad_paths), bad_paths))
    if rest is not None:
        errors += [e for e in _cross_field_errors(rest) if not _touches(e, bad_paths)]
    return None, errors


# Stand-ins for required inputs that are malformed, so the other rules can still be judged.
_PLACEHOLDERS = {"group_id": "placeholder", "config.schema": "placeholder"}


def _with_placeholders(props: dict[str, Any], bad_paths: set[str]) -> dict[str, Any]:
    for path, value in _PLACEHOLDERS.items():
        if path in bad_paths:
            head, _, tail = path.partition(".")
            if not tail:
                props[head] = value
            elif isinstance(props.get(head), dict):
                props[head][tail] = value
    return props


def _validate_fields(props: Mapping[str, Any]) -> tuple[ConnectionSpec | None, list[FieldError]]:
    try:
        return ConnectionSpec.model_validate(dict(props)), []
    except ValidationError as invalid:
        errors = []
        for error in invalid.errors():
            path = _path_of(error["loc"])
            errors.append(FieldError(path, _reason(error, path, secret=path == "config.api_key")))
        return None, errors


def check_inputs(
    props: Mapping[str, Any], is_unknown: Callable[[Any], bool]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate what is known and canonicalise it; unknown values (preview) pass through untouched.

    Errors about an unknown value, or from a rule that depends on one, are dropped: they can only be
    judged once the value is known, and `create`/`update` validate again then.
    """
    unknown_paths = {path for path, value in _walk(props) if is_unknown(value)}
    known = _with_placeholders(_without_paths(props, unknown_paths), unknown_paths)
    spec, errors = _analyse(known)
    errors = [e for e in errors if not _touches(e, unknown_paths)]
    if spec is None:
        return dict(props), errors
    canonical = canonical_inputs(spec)
    for path, depends_on in _CANONICAL_DEPENDS_ON.items():
        if depends_on in unknown_paths:
            # Its canonical form needs the unknown value: keep it as declared until that is known.
            canonical.pop(path, None)
            if props.get(path) is not None:
                canonical[path] = props[path]
    return _restore_unknowns(canonical, props, unknown_paths), errors


# Inputs whose canonical form depends on another input (`daily_sync_time` exists only with daily syncs).
_CANONICAL_DEPENDS_ON = {"daily_sync_time": "sync_frequency"}


def canonical_state(props: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> dict[str, Any]:
    """The canonical form of inputs as the state holds them (the engine hands every number back as a float,
    `360.0`), so that olds and news are compared, and request bodies built, from the same form.

    What was stored passed `check` when it was stored; should it not pass today's rules, it is kept as stored,
    with whole floats turned back into the integers they were.
    """
    inputs, errors = check_inputs(props, is_unknown)
    return inputs if not errors else _whole_numbers(props)


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def _walk(props: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in props.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, Mapping):
            yield from _walk(value, f"{path}.")


def _without_paths(props: Mapping[str, Any], paths: set[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        path = f"{prefix}{key}"
        if path in paths:
            continue
        out[key] = _without_paths(value, paths, f"{path}.") if isinstance(value, Mapping) else value
    return out


def _restore_unknowns(canonical: dict[str, Any], props: Mapping[str, Any], paths: set[str]) -> dict[str, Any]:
    for path in paths:
        parts = path.split(".")
        source: Any = props
        for part in parts:
            source = source[part]
        target = canonical
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return canonical


def _touches(error: FieldError, unknown_paths: set[str]) -> bool:
    def under(path: str) -> bool:
        return any(path == u or path.startswith(u + ".") or u.startswith(path + ".") for u in unknown_paths)

    return under(error.path) or any(under(p) for p in error.involves)
