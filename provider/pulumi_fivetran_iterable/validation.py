"""Validation: a property bag from Pulumi in, a `ConnectionSpec` or every error out.

Each error names the property path (`config.events`) and says how to fix it; all problems are reported at
once, and during preview values that are not known yet (outputs of other resources) are skipped along with
every rule that depends on them. Knows nothing of HTTP or Pulumi (the caller says what "unknown" is).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from .enums import (
    AccountRegion,
    CustomEventSyncMode,
    DataDelaySensitivity,
    DestinationSchemaNames,
    HistoricalSyncLimit,
    HistoricSyncTimeFrame,
    NetworkingMethod,
    ScheduleType,
    SchemaChangeHandling,
    SetupTestPolicy,
    SyncMode,
    SyncScheduleType,
    WebhookAuthType,
    WeekDay,
)
from .model import (
    CRON_PATTERN,
    DAILY_FREQUENCY,
    DAILY_SYNC_TIME_PATTERN,
    FIELDS_BY_SCOPE,
    SYNC_FREQUENCIES,
    ConnectionSpec,
    schedule_implies,
)
from .payloads import canonical_inputs
from .schema_config import problems as schema_config_problems


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
    "config.webhook_auth_type": WebhookAuthType,
    "destination_schema_names": DestinationSchemaNames,
    "schedule.schedule_type": SyncScheduleType,
    "schedule.days_of_week": WeekDay,
    "schema_config.schema_change_handling": SchemaChangeHandling,
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
            "resync.trigger": "set any text (for example today's date), and change it to request another re-sync",
        }
        return f"is required; {hints.get(path, 'set it')}"
    if kind == "extra_forbidden":
        scope, _, name = path.rpartition(".")
        # Tables and columns are named by the user: `schema_config.tables.event` has the inputs of every table.
        generic = re.sub(r"^schema_config\.tables\.[^.]+", "schema_config.tables.*", scope)
        generic = re.sub(r"\.columns\.[^.]+$", ".columns.*", generic)
        candidates = FIELDS_BY_SCOPE.get(generic, ())
        close = difflib.get_close_matches(name, candidates, n=1)
        prefix = f"{scope}." if scope else ""
        known = ", ".join(candidates)
        hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; the known inputs here are {known}"
        return f"is not an input of an Iterable connection{hint}"
    enum = _ENUM_BY_PATH.get(re.sub(r"\[\d+\]$", "", path))
    if enum is not None and kind in ("enum", "literal_error"):
        return f"must be one of {_enum_choices(enum)}{got}"
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
    _key_source_errors(spec, rule)
    errors.extend(FieldError(path, reason) for path, reason in schema_config_problems(spec.schema_config, spec.resync))
    if spec.schedule is not None:
        _schedule_errors(spec, rule)

    rule(spec.sync_frequency in SYNC_FREQUENCIES, "sync_frequency",
         f"must be one of {', '.join(map(str, SYNC_FREQUENCIES))} (minutes), got {spec.sync_frequency}")
    if spec.daily_sync_time is not None:
        rule(bool(DAILY_SYNC_TIME_PATTERN.fullmatch(spec.daily_sync_time)), "daily_sync_time",
             f"must be a whole hour in the form HH:00, from 00:00 to 23:00 (got {spec.daily_sync_time!r})")
        rule(spec.sync_frequency == DAILY_FREQUENCY or spec.schedule is not None, "daily_sync_time",
             f"is only allowed when sync_frequency is 1440 (daily); remove it, or set sync_frequency to 1440 "
             f"(it is {spec.sync_frequency})", "sync_frequency")
    return errors


Rule = Callable[..., None]


def _key_source_errors(spec: ConnectionSpec, rule: Rule) -> None:
    """The Iterable key comes from exactly one place: the program, a Connect Card, or a secrets manager."""
    config = spec.config
    rule(config.api_key is not None or spec.connect_card_config is not None or spec.key_in_secrets_manager,
         "config.api_key", "is required unless connect_card_config or external_secrets_keys_config is set; set "
         "the Iterable server-side API key (as a Pulumi secret), set connect_card_config so the account owner "
         "enters it in a Fivetran Connect Card, or name the secret that holds it in your secrets manager "
         "(external_secrets_keys_config.api_key with external_secrets_manager_id)",
         "connect_card_config", "external_secrets_keys_config")
    if spec.key_in_secrets_manager:
        rule(config.api_key is None, "config.api_key", "is not allowed with external_secrets_keys_config.api_key: "
             "the key comes from your secrets manager; remove one of them", "external_secrets_keys_config")
        rule(spec.connect_card_config is None, "connect_card_config", "is not allowed with "
             "external_secrets_keys_config: the key comes from your secrets manager; remove one of them",
             "external_secrets_keys_config")
    rule((spec.external_secrets_manager_id is None) == (spec.external_secrets_keys_config is None),
         "external_secrets_manager_id" if spec.external_secrets_manager_id is None else "external_secrets_keys_config",
         "is required with " + ("external_secrets_keys_config: the id of the secrets manager that holds the key"
                                if spec.external_secrets_manager_id is None else
                                "external_secrets_manager_id: which secret holds the key, e.g. {api_key: "
                                "ITERABLE_API_KEY}"),
         "external_secrets_manager_id", "external_secrets_keys_config")


def _schedule_errors(spec: ConnectionSpec, rule: Rule) -> None:
    """A schedule is complete for its type and nothing else, and what it implies may not be contradicted."""
    schedule = spec.schedule
    assert schedule is not None
    kind = schedule.schedule_type
    needed = {SyncScheduleType.INTERVAL: "interval", SyncScheduleType.TIME_OF_DAY: "time_of_day",
              SyncScheduleType.CRON: "cron"}.get(kind)
    for name in ("interval", "time_of_day", "cron", "days_of_week"):
        value = getattr(schedule, name)
        if name == needed:
            rule(value is not None, f"schedule.{name}", f"is required when schedule.schedule_type is {kind}",
                 "schedule.schedule_type")
        elif name != "days_of_week" or kind in (SyncScheduleType.CRON, SyncScheduleType.MANUAL):
            rule(value is None, f"schedule.{name}", f"is not used when schedule.schedule_type is {kind}; remove it",
                 "schedule.schedule_type")
    if schedule.interval is not None:
        rule(schedule.interval in SYNC_FREQUENCIES, "schedule.interval",
             f"must be one of {', '.join(map(str, SYNC_FREQUENCIES))} (minutes), got {schedule.interval}")
    if schedule.time_of_day is not None:
        rule(bool(DAILY_SYNC_TIME_PATTERN.fullmatch(schedule.time_of_day)), "schedule.time_of_day",
             f"must be a whole hour in the form HH:00, from 00:00 to 23:00 (got {schedule.time_of_day!r})")
    if schedule.cron is not None:
        rule(bool(CRON_PATTERN.fullmatch(schedule.cron.strip())), "schedule.cron",
             f"must be a five-field cron expression such as '0 */6 * * *' (got {schedule.cron!r})")
    for name, implied in schedule_implies(schedule).items():
        declared = getattr(spec, name) if name in spec.model_fields_set else None
        if declared is None:
            continue
        if implied is None:
            rule(False, name, f"has no effect with a {kind} schedule, which takes precedence; remove it", "schedule")
        else:
            rule(declared == implied, name, f"contradicts schedule, which takes precedence and means {name} "
                 f"{implied}; remove {name}, or make them agree", "schedule")


def parse_spec(props: Mapping[str, Any]) -> tuple[ConnectionSpec | None, list[FieldError]]:
    """Validate a property bag (no unknown values) into a spec, or return every error found."""
    spec, errors = _analyse(props)
    return (None, errors) if errors else (spec, [])


def _analyse(props: Mapping[str, Any]) -> tuple[ConnectionSpec | None, list[FieldError]]:
    """Every error in `props`, and the spec when each field on its own is valid.

    When some fields are malformed, they are taken out (see `_without`) and the rules between the remaining
    fields are still checked, so one `pulumi preview` lists every problem at once; a rule that reads a malformed
    field is not judged (see `_reads`).
    """
    spec, errors = _validate_fields(props)
    if spec is not None:
        return spec, _cross_field_errors(spec)
    bad_paths = {error.path for error in errors}
    rest, _ = _validate_fields(_without(props, bad_paths))
    if rest is not None:
        errors += [e for e in _cross_field_errors(rest) if not _reads(e, bad_paths)]
    return None, errors


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

    One rule for values not known yet (outputs of other resources, in objects and lists alike): each is taken
    out of the inputs as a malformed value would be (`_without`), the rest is judged as a whole, and an error
    stands unless it reads an unknown value (`_reads`). So nothing is invented from a stand-in, and nothing
    known is let through; `create` and `update` validate again once every value is known.
    """
    unknown_paths = _unknown_paths(props, is_unknown)
    spec, errors = _analyse(_without(props, unknown_paths))
    errors = [e for e in errors if not _reads(e, unknown_paths)]
    if spec is None:
        return dict(props), errors
    canonical = canonical_inputs(spec)
    for path, depends_on in _CANONICAL_DEPENDS_ON.items():
        unknown = sorted(u for u in unknown_paths if any(_at_or_inside(u, d) or _at_or_inside(d, u)
                                                         for d in depends_on))
        if unknown:
            # Its canonical form needs the unknown value: keep it as declared until that is known, and when it is
            # not declared, it is not known either.
            canonical[path] = props[path] if props.get(path) is not None else _value_at(props, unknown[0])
    return _restore_unknowns(canonical, props, unknown_paths), errors


# Inputs whose canonical form depends on others: `daily_sync_time` exists only with daily syncs, and a
# `schedule` decides the frequency, the time and the schedule type.
_CANONICAL_DEPENDS_ON = {"daily_sync_time": ("sync_frequency", "schedule"), "sync_frequency": ("schedule",),
                         "schedule_type": ("schedule",)}

# What stands in for a required input that is unknown or malformed, so that the rest can still be judged:
# any valid value does, since no error that reads it is kept. Other inputs are simply left out (their default
# applies), and an unknown element of a list is stood in for by a valid element.
_STAND_INS: dict[str, Any] = {
    "group_id": "stand_in",
    "config": {"schema": "stand_in"},
    "config.schema": "stand_in",
    "connect_card_config.redirect_uri": "https://stand-in.invalid/",
    "external_secrets_keys_config.api_key": "stand_in",
    "schedule.schedule_type": SyncScheduleType.MANUAL.value,
    "resync.trigger": "stand_in",
}
_LIST_STAND_INS: dict[str, Any] = {
    "config.events": "stand_in",
    "config.custom_events": "stand_in",
    "schedule.days_of_week": WeekDay.MONDAY.value,
    "resync.tables": "event",
}


def _reads(error: FieldError, paths: set[str]) -> bool:
    """Whether the rule behind `error` read a value at one of `paths` (unknown, or malformed): its own path, or
    a path it involves, is one of them or lies inside one. An error about an object that merely contains such a
    value (an unknown table name's error, when only its `enabled` is unknown) reads what is known, and stands."""
    return any(_at_or_inside(path, taken) for path in (error.path, *error.involves) for taken in paths)


def _at_or_inside(path: str, container: str) -> bool:
    return path == container or path.startswith(container + ".") or path.startswith(container + "[")


def _unknown_paths(props: Mapping[str, Any], is_unknown: Callable[[Any], bool], prefix: str = "") -> set[str]:
    """The property paths whose value is not known yet, in objects and lists (`config.events[1]`): one pass,
    since a schema config has hundreds of paths."""
    found: set[str] = set()
    for key, value in props.items():
        found |= _unknowns_in(value, f"{prefix}{key}", is_unknown)
    return found


def _unknowns_in(value: Any, path: str, is_unknown: Callable[[Any], bool]) -> set[str]:
    kind = type(value)
    if kind in _NEVER_UNKNOWN:
        return set()
    if kind is dict or (kind is not str and isinstance(value, Mapping)):
        return _unknown_paths(value, is_unknown, f"{path}.")
    if kind is list or kind is tuple:
        return {found for index, item in enumerate(value) for found in _unknowns_in(item, f"{path}[{index}]",
                                                                                     is_unknown)}
    return {path} if is_unknown(value) else set()


# Values that cannot stand for an unknown (the engine's unknown is an `Unknown` object or a sentinel string).
_NEVER_UNKNOWN = frozenset({bool, int, float, type(None)})


def _without(props: Mapping[str, Any], paths: set[str], prefix: str = "") -> dict[str, Any]:
    """`props` with the values at `paths` taken out: a required input stood in for, a list element replaced by a
    valid one, anything else left out (so its default applies)."""
    if not paths:
        return dict(props)
    out: dict[str, Any] = {}
    for key, value in props.items():
        path = f"{prefix}{key}"
        if path in paths:
            if path in _STAND_INS:
                out[key] = _STAND_INS[path]
            continue
        if isinstance(value, Mapping):
            out[key] = _without(value, paths, f"{path}.")
        elif isinstance(value, list | tuple) and any(_at_or_inside(p, path) for p in paths):
            out[key] = [_LIST_STAND_INS.get(path, "stand_in") if f"{path}[{index}]" in paths else item
                        for index, item in enumerate(value)]
        else:
            out[key] = value
    for path in paths & _STAND_INS.keys():  # a required input that was missing altogether (malformed: absent)
        key = path.removeprefix(prefix)
        if path.startswith(prefix) and "." not in key and key not in out:
            out[key] = _STAND_INS[path]
    return out


def _value_at(props: Mapping[str, Any], path: str) -> Any:
    """The value at a property path, through objects and lists (`schedule.days_of_week[0]`)."""
    value: Any = props
    for part in path.split("."):
        name, *indexes = part.split("[")
        value = value[name]
        for index in indexes:
            value = value[int(index.rstrip("]"))]
    return value


def _restore_unknowns(canonical: dict[str, Any], props: Mapping[str, Any], paths: set[str]) -> dict[str, Any]:
    """Put each unknown value back where it was declared; a list holding one is kept as declared."""
    for path in {p.split("[", 1)[0] for p in paths}:
        parts = path.split(".")
        target = canonical
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = _value_at(props, path)
    return canonical


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
