"""Bad input, property-based: at least 1,000 invalid configurations across every input
and every cross-field rule, each rejected by `check` with a failure naming the field, with zero API requests
and no unhandled exception; and valid configurations, each passing `check` and round-tripping through
create and read with no diff.

An invalid configuration is a valid one (from `valid_inputs`) with exactly one rule broken; the rule says
which field the failure must name. Gaps that `check` lets through today are pinned in
`test_known_check_gaps` and left out of the generators, so a new failure here is a new finding.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_fivetran_iterable.catalog import TABLES, column_locked_reason
from pulumi_fivetran_iterable.enums import SchemaChangeHandling
from pulumi_fivetran_iterable.model import (
    CONFIG_FIELDS,
    SYNC_FREQUENCIES,
    AccountRegion,
    CustomEventSyncMode,
    DataDelaySensitivity,
    DestinationSchemaNames,
    HistoricalSyncLimit,
    HistoricSyncTimeFrame,
    NetworkingMethod,
    ScheduleType,
    SetupTestPolicy,
    SyncMode,
    SyncScheduleType,
    WebhookAuthType,
    WeekDay,
)

from tests.reliability.record import BAD_INPUT, scenario
from tests.reliability.support import PROVIDER_STRING, provider_for
from tests.support.emulator import Emulator
from tests.support.failures import by_path, paths

INVALID_EXAMPLES = 1100
VALID_EXAMPLES = 30
TODAY = dt.date.today()

# The external secrets manager and the secret the valid programs that keep their key there name; the round
# trip seeds it in the emulator.
MANAGER, SECRET_NAME = "esm_vault", "ITERABLE_API_KEY"

# -- value strategies ----------------------------------------------------------------------------------------

ident = st.from_regex(r"[a-z][a-z0-9_]{2,14}", fullmatch=True)
schemas = st.from_regex(r"[a-z_][a-z0-9_]{0,40}", fullmatch=True)
event_names = st.lists(st.text(string.ascii_letters + string.digits + "_.", min_size=1, max_size=12), min_size=1,
                       max_size=4)
api_keys = st.from_regex(r"itbl_[A-Za-z0-9]{8,24}", fullmatch=True)
past_dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=TODAY).map(dt.date.isoformat)
hours = st.integers(0, 23).map(lambda h: f"{h:02d}:00")
urls = st.builds(lambda scheme, path: f"{scheme}://example.com/{path}", st.sampled_from(["http", "https"]), ident)
# Values pydantic would not take for a string, a boolean, a whole number or an object.
small_json = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
lists_and_objects = st.one_of(st.lists(small_json, max_size=3), st.dictionaries(ident, small_json, max_size=3))
not_a_string = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False), lists_and_objects)
BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}
not_a_bool = st.one_of(
    st.integers().filter(lambda i: i not in (0, 1)),
    st.floats(allow_nan=False).filter(lambda f: f not in (0.0, 1.0)),
    st.text(max_size=10).filter(lambda s: s.lower() not in BOOL_WORDS),
    lists_and_objects,
)
not_whole = st.one_of(
    st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
    st.booleans(),
    st.text(max_size=10).filter(lambda s: not any(c.isdigit() for c in s)),
    lists_and_objects,
)
not_an_object = st.one_of(st.booleans(), st.integers(), st.text(max_size=10), st.lists(small_json, max_size=3))


def not_one_of(values: Any) -> st.SearchStrategy[Any]:
    allowed = {value.value if hasattr(value, "value") else value for value in values}
    return st.one_of(st.text(max_size=15).filter(lambda s: s not in allowed), not_a_string)


def maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    """A value from `strategy`, or None (left out)."""
    return draw(strategy) if draw(st.booleans()) else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@st.composite
def valid_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid program for one connection: every input optional but `group_id` and `config.schema`, every
    cross-field rule kept."""
    # Where the key comes from: mostly the program, now and then a Connect Card or a secrets manager.
    source = draw(st.sampled_from(["key"] * 4 + ["card", "manager"]))
    card = source == "card"
    sync_mode = maybe(draw, st.sampled_from(list(SyncMode)))
    custom_mode = maybe(draw, st.sampled_from(list(CustomEventSyncMode)))
    limit = maybe(draw, st.sampled_from(list(HistoricalSyncLimit)))
    config = _compact({
        "schema": draw(schemas),
        "api_key": draw(api_keys) if source == "key" else None,
        "account_region": maybe(draw, st.sampled_from(list(AccountRegion))),
        "sync_mode": sync_mode,
        "events": draw(event_names) if sync_mode is SyncMode.SELECTED_EVENTS else None,
        "custom_event_sync_mode": custom_mode,
        "custom_events": draw(event_names) if custom_mode is CustomEventSyncMode.SELECTED_EVENTS else None,
        "historical_sync_limit": limit,
        "historical_sync_limit_date": draw(past_dates) if limit is HistoricalSyncLimit.DATE_LIMIT else None,
        "historic_sync_time_frame": maybe(draw, st.sampled_from(list(HistoricSyncTimeFrame))),
        "webhook_auth_type": maybe(draw, st.sampled_from(list(WebhookAuthType))),
    })
    frequency = maybe(draw, st.sampled_from(SYNC_FREQUENCIES))
    sensitivity = maybe(draw, st.sampled_from(list(DataDelaySensitivity)))
    networking = maybe(draw, st.sampled_from(list(NetworkingMethod)))
    props = _compact({
        "group_id": "warehouse_main",
        "config": config,
        "paused": maybe(draw, st.booleans()),
        "pause_after_trial": maybe(draw, st.booleans()),
        "sync_frequency": frequency,
        "schedule_type": maybe(draw, st.sampled_from(list(ScheduleType))),
        "daily_sync_time": maybe(draw, hours) if frequency == 1440 else None,
        "data_delay_sensitivity": sensitivity,
        "data_delay_threshold": draw(st.integers(0, 10_000)) if sensitivity is DataDelaySensitivity.CUSTOM else None,
        "trust_certificates": maybe(draw, st.booleans()),
        "trust_fingerprints": maybe(draw, st.booleans()),
        "run_setup_tests": maybe(draw, st.booleans()),
        "networking_method": networking,
        "proxy_agent_id": draw(ident) if networking is NetworkingMethod.PROXY_AGENT else None,
        "private_link_id": draw(ident) if networking is NetworkingMethod.PRIVATE_LINK else None,
        "hybrid_deployment_agent_id": maybe(draw, ident),
        "destination_configuration": maybe(draw, st.builds(lambda w: {"virtual_warehouse": w}, ident)),
        "connect_card_config": _compact({"redirect_uri": draw(urls), "hide_setup_guide": maybe(draw, st.booleans())})
        if card or (source == "key" and draw(st.integers(0, 5)) == 0) else None,
        "destination_schema_names": maybe(draw, st.sampled_from(list(DestinationSchemaNames))),
        "external_secrets_manager_id": MANAGER if source == "manager" else None,
        "external_secrets_keys_config": {"api_key": SECRET_NAME} if source == "manager" else None,
        "setup_test_policy": maybe(draw, st.sampled_from(list(SetupTestPolicy))),
    })
    if draw(st.integers(0, 3)) == 0:  # now and then what the connection syncs, and a re-sync
        props["schema_config"] = draw(schema_configs())
    if draw(st.integers(0, 5)) == 0:
        props["resync"] = _compact({"trigger": draw(ident), "tables": maybe(draw, st.lists(
            st.sampled_from(sorted(_enabled_tables(props.get("schema_config")))), min_size=1, max_size=3))})
    if draw(st.integers(0, 4)) == 0:  # now and then a flexible schedule, which takes precedence
        props["schedule"] = draw(schedules())
        for name in ("sync_frequency", "schedule_type", "daily_sync_time"):
            props.pop(name, None)
    # The engine sends every number as a float (360.0): now and then, do the same.
    for name in ("sync_frequency", "data_delay_threshold"):
        if name in props and draw(st.booleans()):
            props[name] = float(props[name])
    # Plain strings, as the engine sends them (the enums above are StrEnums).
    return _plain(props)


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    """A complete, valid `schedule` of any type."""
    kind = draw(st.sampled_from(list(SyncScheduleType)))
    days = maybe(draw, st.lists(st.sampled_from(list(WeekDay)), min_size=1, max_size=7, unique=True))
    return _compact({
        "schedule_type": kind,
        "interval": draw(st.sampled_from(SYNC_FREQUENCIES)) if kind is SyncScheduleType.INTERVAL else None,
        "time_of_day": draw(hours) if kind is SyncScheduleType.TIME_OF_DAY else None,
        "cron": draw(st.sampled_from(["0 */6 * * *", "15 3 * * 1-5", "*/30 * * * *", "0 0 1 * *"]))
        if kind is SyncScheduleType.CRON else None,
        "days_of_week": days if kind in (SyncScheduleType.INTERVAL, SyncScheduleType.TIME_OF_DAY) else None,
    })


TABLE_NAMES = sorted(TABLES)
DISABLEABLE = [name for name in TABLE_NAMES if TABLES[name].can_be_disabled]
LOCKED_TABLES = [name for name in TABLE_NAMES if not TABLES[name].can_be_disabled]
# (table, column) pairs Fivetran lets a user block and hash, and the ones it does not.
FREE_COLUMNS = [(t, c) for t in TABLE_NAMES for c in TABLES[t].columns if not column_locked_reason(TABLES[t], c)]
LOCKED_COLUMNS = [(t, c) for t in TABLE_NAMES for c in TABLES[t].columns if column_locked_reason(TABLES[t], c)]


@st.composite
def schema_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid `schema_config`: some of Iterable's tables, in any letter case, with settings Fivetran allows."""
    tables: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(TABLE_NAMES), max_size=4, unique=True)):
        free = [c for t, c in FREE_COLUMNS if t == name]
        columns = {column: _compact({"enabled": maybe(draw, st.booleans()), "hashed": maybe(draw, st.booleans())})
                   for column in draw(st.lists(st.sampled_from(free), max_size=3, unique=True))} if free else {}
        table = _compact({"enabled": maybe(draw, st.booleans()) if TABLES[name].can_be_disabled else None,
                          "columns": columns or None})
        tables[name.upper() if draw(st.integers(0, 5)) == 0 else name] = table
    return _compact({"schema_change_handling": maybe(draw, st.sampled_from(list(SchemaChangeHandling))),
                     "tables": tables or None})


def _enabled_tables(config: dict[str, Any] | None) -> set[str]:
    disabled = {name.lower() for name, table in ((config or {}).get("tables") or {}).items()
                if table.get("enabled") is False}
    return set(TABLE_NAMES) - disabled


def _in_schema_config(draw: st.DrawFn, props: dict[str, Any], table: str, settings: dict[str, Any]) -> str:
    """Put `settings` for `table` into the program's schema config (made if needed); the table's path."""
    config = props.setdefault("schema_config", {})
    tables = config.setdefault("tables", {})
    for name in [name for name in tables if name.lower() == table]:
        del tables[name]
    tables[table] = settings
    return f"schema_config.tables.{table}"


def schema_table(build: Callable[[st.DrawFn], tuple[str, dict[str, Any], str]]) -> Mutation:
    """A mutation that declares one table with a broken setting; `build` gives (table, settings, path suffix)."""
    def mutate(draw: st.DrawFn, props: dict[str, Any]) -> str:
        table, settings, suffix = build(draw)
        return _in_schema_config(draw, props, table, settings) + suffix
    return mutate


def _unknown_table(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    return draw(ident.filter(lambda name: name not in TABLES)), {"enabled": False}, ""


def _locked_table(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    return draw(st.sampled_from(LOCKED_TABLES)), {"enabled": False}, ".enabled"


def _unknown_column(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    table = draw(st.sampled_from(TABLE_NAMES))
    column = draw(ident.filter(lambda name: name not in TABLES[table].columns))
    return table, {"columns": {column: {"hashed": True}}}, f".columns.{column}"


def _locked_column(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    table, column = draw(st.sampled_from(LOCKED_COLUMNS))
    setting_name = draw(st.sampled_from(["enabled", "hashed"]))
    return table, {"columns": {column: {setting_name: setting_name == "hashed"}}}, f".columns.{column}.{setting_name}"


def _table_flag_not_bool(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    return draw(st.sampled_from(DISABLEABLE)), {"enabled": draw(not_a_bool)}, ".enabled"


def _column_flag_not_bool(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    table, column = draw(st.sampled_from(FREE_COLUMNS))
    setting_name = draw(st.sampled_from(["enabled", "hashed"]))
    return table, {"columns": {column: {setting_name: draw(not_a_bool)}}}, f".columns.{column}.{setting_name}"


def _table_unknown_input(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    key = draw(ident.filter(lambda k: k not in ("enabled", "columns")))
    return draw(st.sampled_from(TABLE_NAMES)), {key: draw(small_json)}, f".{key}"


def _column_unknown_input(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    table, column = draw(st.sampled_from(FREE_COLUMNS))
    key = draw(ident.filter(lambda k: k not in ("enabled", "hashed")))
    return table, {"columns": {column: {key: draw(small_json)}}}, f".columns.{column}.{key}"


def _resync_of_a_disabled_table(draw: st.DrawFn, props: dict[str, Any]) -> str:
    table = draw(st.sampled_from(DISABLEABLE))
    _in_schema_config(draw, props, table, {"enabled": False})
    props["resync"] = {"trigger": "now", "tables": [table]}
    return "resync.tables[0]"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


# -- the rules: each breaks one thing in a valid program and names the field the failure must name ------------

# A mutation breaks one rule in place; it returns the path the failure must name when the rule's own `path`
# cannot say it in advance (an unknown input's generated name).
Mutation = Callable[[st.DrawFn, dict[str, Any]], "str | None"]
_ABSENT = object()  # as a value: leave the input out


@dataclass(frozen=True)
class Rule:
    name: str
    path: str  # the field the failure must name
    mutate: Mutation


def setting(path: str, strategy: st.SearchStrategy[Any], **also: Any) -> Mutation:
    """Set `path` (`a` or `a.b`) to a value from `strategy`; `also` sets other paths (`a__b` for `a.b`) to a
    fixed value or one drawn from a strategy."""
    def mutate(draw: st.DrawFn, props: dict[str, Any]) -> None:
        for other, value in also.items():
            _put(props, other.replace("__", "."), _resolve(draw, value))
        _put(props, path, draw(strategy))
    return mutate


def removing(path: str, **also: Any) -> Mutation:
    return setting(path, st.just(_ABSENT), **also)


def unknown_key(scope: str, known: tuple[str, ...], base: dict[str, Any]) -> Mutation:
    def mutate(draw: st.DrawFn, props: dict[str, Any]) -> str:
        # `schema_name` is left out: pydantic takes it as the field name behind the `schema` alias.
        key = draw(ident.filter(lambda k: k not in known and k != "schema_name"))
        props[scope] = {**(props.get(scope) or base), key: draw(small_json)}
        return f"{scope}.{key}"
    return mutate


def _resolve(draw: st.DrawFn, value: Any) -> Any:
    return draw(value) if isinstance(value, st.SearchStrategy) else value


def _put(props: dict[str, Any], path: str, value: Any) -> None:
    head, _, tail = path.partition(".")
    target, name = (props, head) if not tail else (props.setdefault(head, {}), tail)
    if not isinstance(target, dict):
        return
    if value is _ABSENT:
        target.pop(name, None)
    else:
        target[name] = value


BOOLEAN_FIELDS = ("paused", "pause_after_trial", "trust_certificates", "trust_fingerprints", "run_setup_tests",
                  "adopt_existing")
ID_FIELDS = ("proxy_agent_id", "private_link_id", "hybrid_deployment_agent_id")
# Text that is not a schema name Fivetran keeps.
bad_schemas = st.one_of(
    st.text(max_size=20).filter(lambda s: not re.fullmatch(r"[a-z_][a-z0-9_]{0,126}", s)),
    st.from_regex(r"[a-z_][a-z0-9_]{127,140}", fullmatch=True),
)
bad_hours = st.one_of(st.text(max_size=8), st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 99),
                                                     st.integers(0, 99))
                      ).filter(lambda s: not re.fullmatch(r"([01][0-9]|2[0-3]):00", s))
bad_dates = st.one_of(
    st.text(max_size=12).filter(lambda s: not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)),
    st.sampled_from(["2023-02-29", "2024-02-30", "2023-13-01", "2023-00-10", "2023-04-31", "0000-01-01"]),
    lists_and_objects,
)
future_dates = st.dates(min_value=TODAY + dt.timedelta(days=1)).map(dt.date.isoformat)
not_http_urls = st.text(max_size=30).filter(lambda s: not re.fullmatch(r"https?://\S+", s))

RULES: list[Rule] = [
    # -- required inputs and whole objects
    Rule("group_id missing", "group_id", removing("group_id")),
    Rule("group_id empty", "group_id", setting("group_id", st.just(""))),
    Rule("group_id not a string", "group_id", setting("group_id", not_a_string)),
    Rule("config missing", "config", removing("config")),
    Rule("config not an object", "config", setting("config", not_an_object)),
    Rule("config.schema missing", "config.schema", removing("config.schema")),
    Rule("config.schema not a schema name", "config.schema", setting("config.schema", bad_schemas)),
    Rule("config.schema not a string", "config.schema", setting("config.schema", not_a_string)),
    # -- the Iterable config
    Rule("config.api_key blank", "config.api_key", setting("config.api_key", st.sampled_from(["", " ", "\t\n"]))),
    Rule("config.api_key not a string", "config.api_key", setting("config.api_key", not_a_string)),
    Rule("config.api_key missing without connect_card_config or a secrets manager", "config.api_key",
         removing("config.api_key", connect_card_config=_ABSENT, external_secrets_keys_config=_ABSENT,
                  external_secrets_manager_id=_ABSENT)),
    Rule("config.account_region unknown", "config.account_region",
         setting("config.account_region", not_one_of(AccountRegion))),
    Rule("config.sync_mode unknown", "config.sync_mode", setting("config.sync_mode", not_one_of(SyncMode))),
    Rule("config.events not a list", "config.events",
         setting("config.events", st.one_of(st.text(min_size=1, max_size=8), st.integers(), st.dictionaries(
             ident, small_json, min_size=1, max_size=2)), config__sync_mode="SelectedEvents")),
    Rule("config.events with a blank name", "config.events",
         setting("config.events", st.builds(lambda names, blank: [*names, blank], event_names,
                                            st.sampled_from(["", " ", "\t"])), config__sync_mode="SelectedEvents")),
    Rule("config.events with a non-string", "config.events",
         setting("config.events", st.lists(st.one_of(st.integers(), st.booleans(), lists_and_objects), min_size=1,
                                           max_size=3), config__sync_mode="SelectedEvents")),
    Rule("config.events missing with SelectedEvents", "config.events",
         setting("config.events", st.sampled_from([_ABSENT, []]), config__sync_mode="SelectedEvents")),
    Rule("config.events without SelectedEvents", "config.events",
         setting("config.events", event_names, config__sync_mode=_ABSENT)),
    Rule("config.events with AllEvents", "config.events",
         setting("config.events", event_names, config__sync_mode="AllEvents")),
    Rule("config.custom_event_sync_mode unknown", "config.custom_event_sync_mode",
         setting("config.custom_event_sync_mode", not_one_of(CustomEventSyncMode))),
    Rule("config.custom_events with a blank name", "config.custom_events",
         setting("config.custom_events", st.builds(lambda names: [*names, " "], event_names),
                 config__custom_event_sync_mode="SelectedEvents")),
    Rule("config.custom_events not a list", "config.custom_events",
         setting("config.custom_events", st.one_of(st.text(min_size=1, max_size=8), st.integers()),
                 config__custom_event_sync_mode="SelectedEvents")),
    Rule("config.custom_events missing with SelectedEvents", "config.custom_events",
         setting("config.custom_events", st.sampled_from([_ABSENT, []]),
                 config__custom_event_sync_mode="SelectedEvents")),
    Rule("config.custom_events without SelectedEvents", "config.custom_events",
         setting("config.custom_events", event_names,
                 config__custom_event_sync_mode=st.sampled_from([_ABSENT, "AllEvents", "NoEvents"]))),
    Rule("config.historical_sync_limit unknown", "config.historical_sync_limit",
         setting("config.historical_sync_limit", not_one_of(HistoricalSyncLimit))),
    Rule("config.historical_sync_limit_date missing with DATE_LIMIT", "config.historical_sync_limit_date",
         removing("config.historical_sync_limit_date", config__historical_sync_limit="DATE_LIMIT")),
    Rule("config.historical_sync_limit_date without DATE_LIMIT", "config.historical_sync_limit_date",
         setting("config.historical_sync_limit_date", past_dates,
                 config__historical_sync_limit=st.sampled_from([_ABSENT, "ALL_TIME"]))),
    Rule("config.historical_sync_limit_date not a date", "config.historical_sync_limit_date",
         setting("config.historical_sync_limit_date", bad_dates, config__historical_sync_limit="DATE_LIMIT")),
    Rule("config.historical_sync_limit_date in the future", "config.historical_sync_limit_date",
         setting("config.historical_sync_limit_date", future_dates, config__historical_sync_limit="DATE_LIMIT")),
    Rule("config.historic_sync_time_frame unknown", "config.historic_sync_time_frame",
         setting("config.historic_sync_time_frame", not_one_of(HistoricSyncTimeFrame))),
    Rule("config.webhook_auth_type unknown", "config.webhook_auth_type",
         setting("config.webhook_auth_type", not_one_of(WebhookAuthType))),
    Rule("config.webhook_secret declared (Fivetran's, read-only)", "config.webhook_secret",
         setting("config.webhook_secret", st.text(min_size=1, max_size=10))),
    Rule("config unknown input", "config.*", unknown_key("config", CONFIG_FIELDS, {})),
    # -- connection settings
    *[Rule(f"{name} not true/false", name, setting(name, not_a_bool)) for name in BOOLEAN_FIELDS],
    Rule("sync_frequency not an allowed value", "sync_frequency",
         setting("sync_frequency", st.one_of(st.integers(), st.integers().map(float)).filter(
             lambda n: n not in SYNC_FREQUENCIES))),
    Rule("sync_frequency not a whole number", "sync_frequency", setting("sync_frequency", not_whole)),
    Rule("schedule_type unknown", "schedule_type", setting("schedule_type", not_one_of(ScheduleType))),
    Rule("daily_sync_time not HH:00", "daily_sync_time", setting("daily_sync_time", bad_hours, sync_frequency=1440)),
    Rule("daily_sync_time not a string", "daily_sync_time",
         setting("daily_sync_time", not_a_string, sync_frequency=1440)),
    Rule("daily_sync_time without daily frequency", "daily_sync_time",
         setting("daily_sync_time", hours, sync_frequency=st.sampled_from([f for f in SYNC_FREQUENCIES if f != 1440]),
                 schedule=_ABSENT)),  # a TIME_OF_DAY schedule would make the time legitimate
    Rule("data_delay_sensitivity unknown", "data_delay_sensitivity",
         setting("data_delay_sensitivity", not_one_of(DataDelaySensitivity))),
    Rule("data_delay_threshold missing with CUSTOM", "data_delay_threshold",
         removing("data_delay_threshold", data_delay_sensitivity="CUSTOM")),
    Rule("data_delay_threshold without CUSTOM", "data_delay_threshold",
         setting("data_delay_threshold", st.integers(0, 1000), data_delay_sensitivity=st.sampled_from(
             [_ABSENT, "LOW", "NORMAL", "HIGH", "SYNC_FREQUENCY"]))),
    Rule("data_delay_threshold negative", "data_delay_threshold",
         setting("data_delay_threshold", st.integers(max_value=-1), data_delay_sensitivity="CUSTOM")),
    Rule("data_delay_threshold not a whole number", "data_delay_threshold",
         setting("data_delay_threshold", not_whole, data_delay_sensitivity="CUSTOM")),
    Rule("networking_method unknown", "networking_method", setting("networking_method", not_one_of(NetworkingMethod))),
    Rule("proxy_agent_id missing with ProxyAgent", "proxy_agent_id",
         setting("proxy_agent_id", st.sampled_from([_ABSENT, ""]), networking_method="ProxyAgent")),
    Rule("proxy_agent_id without ProxyAgent", "proxy_agent_id",
         setting("proxy_agent_id", ident, networking_method=st.sampled_from(
             [_ABSENT, "Directly", "PrivateLink", "SshTunnel"]))),
    Rule("private_link_id missing with PrivateLink", "private_link_id",
         setting("private_link_id", st.sampled_from([_ABSENT, ""]), networking_method="PrivateLink")),
    Rule("private_link_id without PrivateLink", "private_link_id",
         setting("private_link_id", ident, networking_method=st.sampled_from(
             [_ABSENT, "Directly", "ProxyAgent", "SshTunnel"]))),
    *[Rule(f"{name} not a string", name, setting(name, not_a_string)) for name in ID_FIELDS],
    Rule("destination_configuration not an object", "destination_configuration",
         setting("destination_configuration", not_an_object)),
    Rule("destination_configuration.virtual_warehouse not a string", "destination_configuration.virtual_warehouse",
         setting("destination_configuration.virtual_warehouse", not_a_string)),
    Rule("destination_configuration unknown input", "destination_configuration.*",
         unknown_key("destination_configuration", ("virtual_warehouse",), {})),
    Rule("connect_card_config not an object", "connect_card_config", setting("connect_card_config", not_an_object)),
    Rule("connect_card_config.redirect_uri missing", "connect_card_config.redirect_uri",
         setting("connect_card_config", st.builds(lambda hide: {"hide_setup_guide": hide}, st.booleans()))),
    Rule("connect_card_config.redirect_uri not an http(s) URL", "connect_card_config.redirect_uri",
         setting("connect_card_config.redirect_uri", st.one_of(not_http_urls, not_a_string))),
    Rule("connect_card_config.hide_setup_guide not true/false", "connect_card_config.hide_setup_guide",
         setting("connect_card_config.hide_setup_guide", not_a_bool,
                 connect_card_config__redirect_uri="https://example.com/back")),
    Rule("connect_card_config unknown input", "connect_card_config.*",
         unknown_key("connect_card_config", ("redirect_uri", "hide_setup_guide"),
                     {"redirect_uri": "https://example.com/back"})),
    Rule("setup_test_policy unknown", "setup_test_policy", setting("setup_test_policy", not_one_of(SetupTestPolicy))),
    # -- destination naming (create-only)
    Rule("destination_schema_names unknown", "destination_schema_names",
         setting("destination_schema_names", not_one_of(DestinationSchemaNames))),
    # -- the key in an external secrets manager
    Rule("external_secrets_keys_config without a manager", "external_secrets_manager_id",
         setting("external_secrets_manager_id", st.just(_ABSENT), config__api_key=_ABSENT, connect_card_config=_ABSENT,
                 external_secrets_keys_config={"api_key": SECRET_NAME})),
    Rule("external_secrets_manager_id without keys", "external_secrets_keys_config",
         setting("external_secrets_keys_config", st.just(_ABSENT), external_secrets_manager_id=MANAGER)),
    Rule("external_secrets_keys_config with config.api_key", "config.api_key",
         setting("config.api_key", api_keys, external_secrets_manager_id=MANAGER, connect_card_config=_ABSENT,
                 external_secrets_keys_config={"api_key": SECRET_NAME})),
    Rule("external_secrets_keys_config with connect_card_config", "connect_card_config",
         setting("connect_card_config", st.just({"redirect_uri": "https://example.com/back"}), config__api_key=_ABSENT,
                 external_secrets_manager_id=MANAGER, external_secrets_keys_config={"api_key": SECRET_NAME})),
    Rule("external_secrets_keys_config.api_key blank", "external_secrets_keys_config.api_key",
         setting("external_secrets_keys_config.api_key", st.sampled_from(["", " "]), config__api_key=_ABSENT,
                 connect_card_config=_ABSENT, external_secrets_manager_id=MANAGER)),
    Rule("external_secrets_keys_config unknown input", "external_secrets_keys_config.*",
         unknown_key("external_secrets_keys_config", ("api_key",), {"api_key": SECRET_NAME})),
    # -- the flexible schedule
    Rule("schedule not an object", "schedule", setting("schedule", not_an_object)),
    Rule("schedule.schedule_type unknown", "schedule.schedule_type",
         setting("schedule", st.builds(lambda kind: {"schedule_type": kind}, not_one_of(SyncScheduleType)))),
    Rule("schedule.interval missing with INTERVAL", "schedule.interval",
         setting("schedule", st.just({"schedule_type": "INTERVAL"}))),
    Rule("schedule.interval not an allowed value", "schedule.interval",
         setting("schedule", st.builds(lambda n: {"schedule_type": "INTERVAL", "interval": n},
                                       st.integers().filter(lambda n: n not in SYNC_FREQUENCIES)))),
    Rule("schedule.time_of_day not HH:00", "schedule.time_of_day",
         setting("schedule", st.builds(lambda t: {"schedule_type": "TIME_OF_DAY", "time_of_day": t}, bad_hours))),
    Rule("schedule.cron not a cron expression", "schedule.cron",
         setting("schedule", st.builds(lambda c: {"schedule_type": "CRON", "cron": c},
                                       st.text(max_size=12).filter(lambda c: c.count(" ") != 4)))),
    Rule("schedule.days_of_week with an unknown day", "schedule.days_of_week",
         setting("schedule", st.builds(lambda day: {"schedule_type": "INTERVAL", "interval": 60,
                                                    "days_of_week": ["MONDAY", day]}, not_one_of(WeekDay)))),
    Rule("schedule with a field its type does not use", "schedule.interval",
         setting("schedule", st.builds(lambda kind: {"schedule_type": kind, "interval": 60, "cron": "0 * * * *"}
                                       if kind == "CRON" else {"schedule_type": kind, "interval": 60},
                                       st.sampled_from(["CRON", "MANUAL"])))),
    Rule("schedule contradicted by sync_frequency", "sync_frequency",
         setting("sync_frequency", st.sampled_from([f for f in SYNC_FREQUENCIES if f != 60]),
                 schedule={"schedule_type": "INTERVAL", "interval": 60}, daily_sync_time=_ABSENT)),
    Rule("schedule contradicted by schedule_type", "schedule_type",
         setting("schedule_type", st.just("auto"), schedule={"schedule_type": "MANUAL"})),
    Rule("schedule unknown input", "schedule.*",
         unknown_key("schedule", ("schedule_type", "interval", "time_of_day", "days_of_week", "cron"),
                     {"schedule_type": "MANUAL"})),
    # -- what the connection syncs, and re-syncs
    Rule("schema_config not an object", "schema_config", setting("schema_config", not_an_object)),
    Rule("schema_config.schema_change_handling unknown", "schema_config.schema_change_handling",
         setting("schema_config.schema_change_handling", not_one_of(SchemaChangeHandling))),
    Rule("schema_config.tables not an object", "schema_config.tables", setting("schema_config.tables", not_an_object)),
    Rule("schema_config unknown input", "schema_config.*",
         unknown_key("schema_config", ("schema_change_handling", "tables"), {})),
    Rule("schema_config table that Iterable has not", "schema_config.tables.*", schema_table(_unknown_table)),
    Rule("schema_config table Fivetran keeps enabled, disabled", "schema_config.tables.*",
         schema_table(_locked_table)),
    Rule("schema_config table enabled not true/false", "schema_config.tables.*", schema_table(_table_flag_not_bool)),
    Rule("schema_config table unknown input", "schema_config.tables.*", schema_table(_table_unknown_input)),
    Rule("schema_config column that the table has not", "schema_config.tables.*", schema_table(_unknown_column)),
    Rule("schema_config key or system column blocked or hashed", "schema_config.tables.*",
         schema_table(_locked_column)),
    Rule("schema_config column setting not true/false", "schema_config.tables.*",
         schema_table(_column_flag_not_bool)),
    Rule("schema_config column unknown input", "schema_config.tables.*", schema_table(_column_unknown_input)),
    Rule("resync not an object", "resync", setting("resync", not_an_object)),
    Rule("resync.trigger missing or blank", "resync.trigger",
         setting("resync", st.sampled_from([{}, {"trigger": ""}, {"trigger": "  "}, {"tables": ["event"]}]))),
    Rule("resync of a table Iterable has not", "resync.tables",
         setting("resync", st.builds(lambda name: {"trigger": "now", "tables": [name]},
                                     ident.filter(lambda name: name not in TABLES)))),
    Rule("resync of a table the program disables", "resync.tables", _resync_of_a_disabled_table),
]


EXAMPLES_PER_RULE = -(-INVALID_EXAMPLES // len(RULES))
assert len(RULES) * EXAMPLES_PER_RULE >= 1000


def invalid_case(rule: Rule) -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    """A valid program with `rule` broken, and the field the failure must name."""
    @st.composite
    def case(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
        props = copy.deepcopy(draw(valid_inputs()))
        path = rule.mutate(draw, props) or rule.path
        return props, path
    return case()


def names_field(property_path: str, field: str) -> bool:
    return property_path == field or property_path.startswith((field + "[", field + "."))


# -- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_invalid_configurations_are_rejected_by_check_naming_the_field(emulator: Emulator, rule: Rule) -> None:
    provider = provider_for(emulator)
    examples = []

    @settings(max_examples=EXAMPLES_PER_RULE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(case=invalid_case(rule))
    def rejected(case: tuple[dict[str, Any], str]) -> None:
        props, path = case
        with scenario(BAD_INPUT, f"invalid: {rule.name}") as sc:
            sc.notes["path"] = path
            try:
                result = provider.check({}, {**props, "__provider": PROVIDER_STRING})
            except Exception as error:  # an unhandled exception is a failure of its own
                raise AssertionError(f"check raised {type(error).__name__}: {error} for {props!r}") from error
            named = paths(result.failures)
            sc.notes["failures"] = named
            assert any(names_field(p, path) for p in named), f"{rule.name}: {named} does not name {path}: {props!r}"
            assert all(f.reason for f in result.failures)
            examples.append(path)

    rejected()
    assert len(examples) == EXAMPLES_PER_RULE
    assert emulator.requests() == [], "check sent API requests"
    assert provider._client is None, "check made a client"


def test_valid_configurations_pass_check_and_round_trip(emulator: Emulator) -> None:
    provider = provider_for(emulator)
    count = Counter[str]()

    @settings(max_examples=VALID_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(props=valid_inputs())
    def round_trip(props: dict[str, Any]) -> None:
        emulator.reset()
        emulator.add_external_secret(MANAGER, SECRET_NAME, "itbl_key_in_the_vault")
        with scenario(BAD_INPUT, "valid: check, create, read, diff") as sc:
            checked = provider.check({}, {**props, "__provider": PROVIDER_STRING})
            assert checked.failures == [], by_path(checked.failures)
            news = {**checked.inputs, "__provider": PROVIDER_STRING}
            created = provider.create(news)
            outs = {**created.outs, "__provider": PROVIDER_STRING}
            assert provider.diff(created.id, outs, news).changes is False
            read = provider.read(created.id, outs)
            assert read.id == created.id
            declared = {key: value for key, value in checked.inputs.items() if key != "__provider"}
            assert read.inputs == declared, _differences(read.inputs, declared)
            diff = provider.diff(created.id, {**read.outs, "__provider": PROVIDER_STRING}, news)
            assert diff.changes is False, _differences(read.inputs, declared)
            sc.audit(emulator, [created.id])
            count["examples"] += 1

    round_trip()
    assert count["examples"] >= VALID_EXAMPLES


def _differences(got: dict[str, Any], want: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    keys = set(got) | set(want)
    return {key: (got.get(key), want.get(key)) for key in sorted(keys) if got.get(key) != want.get(key)}


# -- values the API would reject, or Fivetran would not keep, that `check` must catch ---------------------------

EDGE_CASES = [
    pytest.param({"hybrid_deployment_agent_id": ""}, "hybrid_deployment_agent_id", id="blank hybrid agent id"),
    pytest.param({"destination_configuration": {"virtual_warehouse": " "}}, "destination_configuration",
                 id="blank virtual warehouse"),
    pytest.param({"networking_method": "ProxyAgent", "proxy_agent_id": " "}, "proxy_agent_id",
                 id="blank proxy agent id"),
    pytest.param({"networking_method": "PrivateLink", "private_link_id": " "}, "private_link_id",
                 id="blank private link id"),
    pytest.param({"group_id": " "}, "group_id", id="blank group id"),
    pytest.param({"config": {"schema": "iterable_x\n", "api_key": "itbl_key"}}, "config.schema",
                 id="schema with a trailing newline"),
    pytest.param({"sync_frequency": 1440, "daily_sync_time": "03:00\n"}, "daily_sync_time",
                 id="daily_sync_time with a trailing newline"),
    pytest.param({"connect_card_config": {"redirect_uri": "https://example.com/back\n"}},
                 "connect_card_config.redirect_uri", id="redirect_uri with a trailing newline"),
]


@pytest.mark.parametrize(("change", "field"), EDGE_CASES)
def test_check_catches_edge_cases(emulator: Emulator, change: dict[str, Any], field: str) -> None:
    with scenario(BAD_INPUT, f"edge case: {field}") as sc:
        provider = provider_for(emulator)
        props = {"group_id": "warehouse_main", "config": {"schema": "iterable_gap", "api_key": "itbl_key"},
                 **change, "__provider": PROVIDER_STRING}
        result = provider.check({}, props)
        sc.notes["failures"] = paths(result.failures)
        assert emulator.requests() == []
        assert any(names_field(path, field) for path in paths(result.failures)), f"check accepted {change}"


@pytest.mark.parametrize("value", [{}, {"virtual_warehouse": None}], ids=["empty", "null warehouse"])
def test_empty_destination_configuration_round_trips(emulator: Emulator, value: dict[str, Any]) -> None:
    with scenario(BAD_INPUT, "valid: empty destination_configuration round trip") as sc:
        provider = provider_for(emulator)
        props = {"group_id": "warehouse_main", "config": {"schema": "iterable_empty", "api_key": "itbl_key1234"},
                 "destination_configuration": value, "__provider": PROVIDER_STRING}
        checked = provider.check({}, props)
        assert checked.failures == []
        news = {**checked.inputs, "__provider": PROVIDER_STRING}
        created = provider.create(news)
        read = provider.read(created.id, {**created.outs, "__provider": PROVIDER_STRING})
        diff = provider.diff(created.id, {**read.outs, "__provider": PROVIDER_STRING}, news)
        sc.notes["read destination_configuration"] = read.inputs.get("destination_configuration")
        sc.audit(emulator, [created.id])
        assert diff.changes is False, "refresh then preview shows a change nobody made"
