"""The typed model of a Fivetran connection of service `iterable`.

One `ConnectionSpec` holds everything a user declares: the connection-level settings of Fivetran's create
request, the Iterable `config`, and two project options (`adopt_existing`, `setup_test_policy`). The model
knows nothing of HTTP or Pulumi; it turns a property bag into a validated spec (or a list of `FieldError`s
that name the field and the fix), and a spec into the canonical property bag, the create body and the PATCH
body. Canonical means: defaults filled in, values that only matter with another setting removed without it,
lists sorted, so two specs that mean the same thing compare equal and an omitted field never shows as a diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

SERVICE = "iterable"

# Fivetran's allowed sync frequencies, in minutes (`1` is new in the 2026 API definition).
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
DAILY_FREQUENCY = 1440
DEFAULT_DAILY_SYNC_TIME = "00:00"

# Destination schema names Fivetran keeps as given: lowercase letters, digits and underscores, not starting
# with a digit. Anything else Fivetran would rename, so the name in the program would never match the
# connection's `schema`. 127 characters is the longest schema name the strictest common destination
# (Redshift) keeps; PostgreSQL destinations truncate after 63.
SCHEMA_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,126}")
DAILY_SYNC_TIME_PATTERN = re.compile(r"([01][0-9]|2[0-3]):00")


class AccountRegion(StrEnum):
    US = "US"
    EU = "EU"


class SyncMode(StrEnum):
    ALL_EVENTS = "AllEvents"
    SELECTED_EVENTS = "SelectedEvents"


class CustomEventSyncMode(StrEnum):
    ALL_EVENTS = "AllEvents"
    SELECTED_EVENTS = "SelectedEvents"
    NO_EVENTS = "NoEvents"


class HistoricalSyncLimit(StrEnum):
    ALL_TIME = "ALL_TIME"
    DATE_LIMIT = "DATE_LIMIT"


class HistoricSyncTimeFrame(StrEnum):
    """Fivetran's older way to bound history, superseded by `historical_sync_limit` in 2026."""

    THREE_MONTHS = "THREE_MONTHS"
    SIX_MONTHS = "SIX_MONTHS"
    ONE_YEAR = "ONE_YEAR"
    TWO_YEARS = "TWO_YEARS"
    FIVE_YEARS = "FIVE_YEARS"
    ALL_TIME = "ALL_TIME"


class ScheduleType(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class DataDelaySensitivity(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CUSTOM = "CUSTOM"
    SYNC_FREQUENCY = "SYNC_FREQUENCY"


class NetworkingMethod(StrEnum):
    DIRECTLY = "Directly"
    PRIVATE_LINK = "PrivateLink"
    SSH_TUNNEL = "SshTunnel"
    PROXY_AGENT = "ProxyAgent"


class SetupTestPolicy(StrEnum):
    """What a failed setup test does: `fail` undoes the change and errors, `warn` keeps it and reports."""

    FAIL = "fail"
    WARN = "warn"


def _whole_number(value: Any) -> Any:
    """The engine sends every number as a float (1440.0); accept those when they are whole."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"must be a whole number, got {value}")
        return int(value)
    if isinstance(value, str) and not re.fullmatch(r"\d+", value.strip()):
        raise ValueError(f"must be a whole number, got {value!r}")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank; set the id, or leave the input out")
    return value


# An id Fivetran knows (a group, a proxy agent, a private link...): never blank.
Identifier = Annotated[str, BeforeValidator(_not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class IterableConfig(_Strict):
    """The Iterable part of the connection (`config` in Fivetran's create request)."""

    schema_name: str = Field(alias="schema")
    api_key: SecretStr | None = None
    account_region: AccountRegion = AccountRegion.US
    sync_mode: SyncMode = SyncMode.ALL_EVENTS
    events: tuple[str, ...] | None = None
    custom_event_sync_mode: CustomEventSyncMode = CustomEventSyncMode.ALL_EVENTS
    custom_events: tuple[str, ...] | None = None
    historical_sync_limit: HistoricalSyncLimit = HistoricalSyncLimit.ALL_TIME
    historical_sync_limit_date: dt.date | None = None
    historic_sync_time_frame: HistoricSyncTimeFrame | None = None

    @field_validator("schema_name")
    @classmethod
    def _schema_name(cls, value: str) -> str:
        if not SCHEMA_PATTERN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a destination schema name Fivetran keeps as given; use 1 to 127 lowercase "
                "letters, digits and underscores, not starting with a digit (for example 'iterable_marketing')"
            )
        return value

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty; set the Iterable server-side API key, or remove it and use "
                             "connect_card_config")
        return value

    @field_validator("events", "custom_events")
    @classmethod
    def _event_names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if not value:
            return None  # an empty list means the same as none
        if any(not name.strip() for name in value):
            raise ValueError("event names must not be empty strings")
        return tuple(sorted(set(value)))

    @field_validator("historical_sync_limit_date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD (for example '2024-01-01')")
        return value


class DestinationConfiguration(_Strict):
    virtual_warehouse: Identifier | None = None


class ConnectCardConfig(_Strict):
    redirect_uri: str
    hide_setup_guide: bool | None = None

    @field_validator("redirect_uri")
    @classmethod
    def _uri(cls, value: str) -> str:
        if not re.fullmatch(r"https?://\S+", value):
            raise ValueError(f"{value!r} is not an http(s) URL; set the page Fivetran sends the person back to")
        return value


class ConnectionSpec(_Strict):
    """Everything a user declares for one Iterable connection."""

    group_id: Identifier
    config: IterableConfig
    paused: bool = False
    pause_after_trial: bool = False
    sync_frequency: WholeNumber = 360
    schedule_type: ScheduleType = ScheduleType.AUTO
    daily_sync_time: str | None = None
    data_delay_sensitivity: DataDelaySensitivity = DataDelaySensitivity.NORMAL
    data_delay_threshold: WholeNumber | None = Field(default=None, ge=0)
    trust_certificates: bool = False
    trust_fingerprints: bool = False
    run_setup_tests: bool = True
    networking_method: NetworkingMethod = NetworkingMethod.DIRECTLY
    proxy_agent_id: Identifier | None = None
    private_link_id: Identifier | None = None
    hybrid_deployment_agent_id: Identifier | None = None
    destination_configuration: DestinationConfiguration | None = None
    connect_card_config: ConnectCardConfig | None = None
    adopt_existing: bool = False
    setup_test_policy: SetupTestPolicy = SetupTestPolicy.FAIL

    @property
    def schema_name(self) -> str:
        return self.config.schema_name


# ---------------------------------------------------------------------------------------------------------
# Field groups: which inputs live where.

# Connection-level inputs that Fivetran stores and PATCH can change.
PATCHABLE_FIELDS = (
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
    "destination_configuration",
)
# Test-control flags: sent with a request, never stored by Fivetran.
TEST_FLAGS = ("run_setup_tests", "trust_certificates", "trust_fingerprints")
# The project's own options: never sent to Fivetran.
PROJECT_OPTIONS = ("adopt_existing", "setup_test_policy")
# Inputs Fivetran cannot change: a new value means a new connection.
IMMUTABLE_PATHS = ("group_id", "config.schema")
CONFIG_FIELDS = tuple(field.alias or name for name, field in IterableConfig.model_fields.items())
CONFIG_PATCHABLE = tuple(name for name in CONFIG_FIELDS if name != "schema")
TOP_LEVEL_FIELDS = tuple(ConnectionSpec.model_fields)
# The inputs of each object, for "did you mean" hints.
_FIELDS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "": TOP_LEVEL_FIELDS,
    "config": CONFIG_FIELDS,
    "destination_configuration": tuple(DestinationConfiguration.model_fields),
    "connect_card_config": tuple(ConnectCardConfig.model_fields),
}


# ---------------------------------------------------------------------------------------------------------
# Validation: property bag -> spec, or errors that name the field and the fix.


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
        candidates = _FIELDS_BY_SCOPE.get(scope, ())
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

    selected = config.sync_mode is SyncMode.SELECTED_EVENTS
    rule(not selected or bool(config.events), "config.events",
         "must list at least one event when config.sync_mode is SelectedEvents; list the events to sync, "
         "or set config.sync_mode to AllEvents", "config.sync_mode")
    rule(selected or config.events is None, "config.events",
         "is only allowed when config.sync_mode is SelectedEvents; remove it, or set config.sync_mode to "
         "SelectedEvents", "config.sync_mode")
    custom_selected = config.custom_event_sync_mode is CustomEventSyncMode.SELECTED_EVENTS
    rule(not custom_selected or bool(config.custom_events), "config.custom_events",
         "must list at least one custom event when config.custom_event_sync_mode is SelectedEvents; list them, "
         "or set config.custom_event_sync_mode to AllEvents or NoEvents", "config.custom_event_sync_mode")
    rule(custom_selected or config.custom_events is None, "config.custom_events",
         "is only allowed when config.custom_event_sync_mode is SelectedEvents; remove it, or set "
         "config.custom_event_sync_mode to SelectedEvents", "config.custom_event_sync_mode")
    date_limited = config.historical_sync_limit is HistoricalSyncLimit.DATE_LIMIT
    rule(not date_limited or config.historical_sync_limit_date is not None, "config.historical_sync_limit_date",
         "is required when config.historical_sync_limit is DATE_LIMIT; set the first day to sync, for example "
         "'2024-01-01'", "config.historical_sync_limit")
    rule(date_limited or config.historical_sync_limit_date is None, "config.historical_sync_limit_date",
         "is only allowed when config.historical_sync_limit is DATE_LIMIT; remove it, or set "
         "config.historical_sync_limit to DATE_LIMIT", "config.historical_sync_limit")
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
    custom_delay = spec.data_delay_sensitivity is DataDelaySensitivity.CUSTOM
    rule(not custom_delay or spec.data_delay_threshold is not None, "data_delay_threshold",
         "is required when data_delay_sensitivity is CUSTOM; set the delay in minutes after which Fivetran "
         "warns", "data_delay_sensitivity")
    rule(custom_delay or spec.data_delay_threshold is None, "data_delay_threshold",
         "is only allowed when data_delay_sensitivity is CUSTOM; remove it, or set data_delay_sensitivity to "
         "CUSTOM", "data_delay_sensitivity")
    proxy = spec.networking_method is NetworkingMethod.PROXY_AGENT
    rule(not proxy or bool(spec.proxy_agent_id), "proxy_agent_id",
         "is required when networking_method is ProxyAgent; set the id of the proxy agent", "networking_method")
    rule(proxy or spec.proxy_agent_id is None, "proxy_agent_id",
         "is only allowed when networking_method is ProxyAgent; remove it, or set networking_method to "
         "ProxyAgent", "networking_method")
    private = spec.networking_method is NetworkingMethod.PRIVATE_LINK
    rule(not private or bool(spec.private_link_id), "private_link_id",
         "is required when networking_method is PrivateLink; set the id of the private link", "networking_method")
    rule(private or spec.private_link_id is None, "private_link_id",
         "is only allowed when networking_method is PrivateLink; remove it, or set networking_method to "
         "PrivateLink", "networking_method")
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
    return _restore_unknowns(canonical_inputs(spec), props, unknown_paths), errors


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


# ---------------------------------------------------------------------------------------------------------
# Canonical form and request bodies.


def canonical_inputs(spec: ConnectionSpec) -> dict[str, Any]:
    """The spec as a property bag in canonical form: what `check` stores and `diff` compares.

    The API key is plain text here: the resource marks it secret, and the engine keeps it encrypted.
    Absent values are left out (the engine drops `None` anyway).
    """
    config = spec.config
    frequency = spec.sync_frequency
    out: dict[str, Any] = {
        "group_id": spec.group_id,
        "paused": spec.paused,
        "pause_after_trial": spec.pause_after_trial,
        "sync_frequency": frequency,
        "schedule_type": spec.schedule_type.value,
        "daily_sync_time": (spec.daily_sync_time or DEFAULT_DAILY_SYNC_TIME) if frequency == DAILY_FREQUENCY
        else None,
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
        "connect_card_config": _compact(spec.connect_card_config.model_dump(mode="json"))
        if spec.connect_card_config else None,
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
        }),
    }
    return _compact(out)


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def create_body(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST /v1/connections` body for a canonical property bag.

    Every setting is sent explicitly, defaults included, so the connection matches the program whatever
    Fivetran's own defaults are. Test-control flags are sent explicitly too (Fivetran defaults
    `run_setup_tests` to true).
    """
    body: dict[str, Any] = {"service": SERVICE, "group_id": canonical["group_id"]}
    for name in (*PATCHABLE_FIELDS, "pause_after_trial", *TEST_FLAGS, "connect_card_config"):
        if canonical.get(name) is not None:
            body[name] = canonical[name]
    body["config"] = dict(canonical["config"])
    return body


def patch_body(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The persistent part of a `PATCH /v1/connections/{id}` body: only what changed.

    `config` is merged by Fivetran key by key, so only changed keys are sent, and `null` clears a key that
    the program no longer sets. Immutable inputs never appear here (they replace the connection).
    """
    body: dict[str, Any] = {}
    for name in PATCHABLE_FIELDS:
        if old.get(name) != new.get(name):
            body[name] = new.get(name)
    old_config, new_config = old.get("config") or {}, new.get("config") or {}
    config = {
        key: new_config.get(key)
        for key in CONFIG_PATCHABLE
        if old_config.get(key) != new_config.get(key)
        # A key removed from the program with the card path in use stays as Fivetran holds it.
        and not (key == "api_key" and new_config.get(key) is None)
    }
    if config:
        body["config"] = config
    return body


# ---------------------------------------------------------------------------------------------------------
# Reading back: Fivetran's view of a connection, projected onto the inputs.


def inputs_from_api(data: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical inputs that describe the live connection, for refresh.

    Values Fivetran does not return (the API key, test-control flags, the project's options, the connect-card
    settings) are carried over from `previous`; everything Fivetran stores comes from `data`, so a change
    made outside Pulumi shows as drift in the next preview.
    """
    live_config = data.get("config") or {}
    previous_config = previous.get("config") or {}
    sync_mode = live_config.get("sync_mode") or previous_config.get("sync_mode") or SyncMode.ALL_EVENTS.value
    custom_mode = (live_config.get("custom_event_sync_mode") or previous_config.get("custom_event_sync_mode")
                   or CustomEventSyncMode.ALL_EVENTS.value)
    limit = (live_config.get("historical_sync_limit") or previous_config.get("historical_sync_limit")
             or HistoricalSyncLimit.ALL_TIME.value)
    frequency = _as_int(data.get("sync_frequency"), previous.get("sync_frequency", 360))
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
        "historic_sync_time_frame": live_config.get("historic_sync_time_frame")
        or previous_config.get("historic_sync_time_frame"),
    }
    destination = data.get("destination_configuration") or None
    out = {
        "group_id": data.get("group_id") or previous.get("group_id"),
        "paused": bool(data.get("paused", previous.get("paused", False))),
        "pause_after_trial": bool(data.get("pause_after_trial", previous.get("pause_after_trial", False))),
        "sync_frequency": frequency,
        "schedule_type": data.get("schedule_type") or ScheduleType.AUTO.value,
        "daily_sync_time": (data.get("daily_sync_time") or DEFAULT_DAILY_SYNC_TIME)
        if frequency == DAILY_FREQUENCY else None,
        "data_delay_sensitivity": sensitivity,
        "data_delay_threshold": _as_int(data.get("data_delay_threshold"), 0)
        if sensitivity == DataDelaySensitivity.CUSTOM else None,
        "networking_method": networking,
        "proxy_agent_id": data.get("proxy_agent_id") if networking == NetworkingMethod.PROXY_AGENT else None,
        "private_link_id": data.get("private_link_id") if networking == NetworkingMethod.PRIVATE_LINK else None,
        "hybrid_deployment_agent_id": data.get("hybrid_deployment_agent_id") or None,
        "destination_configuration": _compact(destination) or None if isinstance(destination, Mapping) else None,
        "config": _compact(config),
    }
    for name in (*TEST_FLAGS, *PROJECT_OPTIONS, "connect_card_config"):
        out[name] = previous.get(name)
    return _compact(out)


def _as_int(value: Any, default: int) -> int:
    if value is None:
        return default
    return int(value)


def _event_list(value: Any) -> list[str] | None:
    if not value:
        return None
    return sorted(set(value))
