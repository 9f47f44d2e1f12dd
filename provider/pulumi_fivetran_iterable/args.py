"""The inputs of an `IterableConnection`, typed for the user's editor and type checker.

Each object input has two forms, as Pulumi SDKs present theirs: a class (`IterableConfigArgs(schema=...)`)
and a `TypedDict` (`IterableConfigArgsDict`), so a misspelled key in a dict literal or an enum value that
does not exist is a type error before it is a `pulumi preview` error. Every value may be a plain value or a
Pulumi input (an output of another resource). What the values mean is checked again, at `preview`, by the
provider (see `validation`): types here catch typos, the provider catches everything else.

`config`, `schedule` and `schema_config` are typed as exactly their `TypedDict`, so that an inline dict literal
(`config={"schema": ..., "evnts": [...]}`) gets its misspelled key and wrong enum value named: mypy and pyright
check a dict literal against a `TypedDict` only when that is the whole expected type, not one member of a union
(`Input[X | XDict]` gets only "incompatible type dict[str, ...]"). For type checkers their classes
(`IterableConfigArgs`, `ScheduleArgs`, `SchemaConfigArgs`) are therefore `TypedDict`s too: calling one checks
its keywords the same way, and its value is accepted where the dict is. At run time they stay the classes
below. The price, for these three inputs only: an Output of the whole object, or an explicit `None`, needs
`typing.cast` for a type checker (both still work at run time); an Output as any value inside them is fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import pulumi

from .enums import (
    AccountRegion,
    AccountRegionLiteral,
    CustomEventSyncMode,
    CustomEventSyncModeLiteral,
    DataDelaySensitivity,
    DataDelaySensitivityLiteral,
    DestinationSchemaNames,
    DestinationSchemaNamesLiteral,
    HistoricalSyncLimit,
    HistoricalSyncLimitLiteral,
    HistoricSyncTimeFrame,
    HistoricSyncTimeFrameLiteral,
    NetworkingMethod,
    NetworkingMethodLiteral,
    ScheduleType,
    ScheduleTypeLiteral,
    SchemaChangeHandling,
    SchemaChangeHandlingLiteral,
    SetupTestPolicy,
    SetupTestPolicyLiteral,
    SyncMode,
    SyncModeLiteral,
    SyncScheduleType,
    SyncScheduleTypeLiteral,
    WebhookAuthType,
    WebhookAuthTypeLiteral,
    WeekDay,
    WeekDayLiteral,
)


class IterableConfigArgsDict(TypedDict):
    """The Iterable `config` of a connection, as a dict; `schema` is required."""

    schema: pulumi.Input[str]
    api_key: NotRequired[pulumi.Input[str] | None]
    account_region: NotRequired[pulumi.Input[AccountRegion | AccountRegionLiteral] | None]
    sync_mode: NotRequired[pulumi.Input[SyncMode | SyncModeLiteral] | None]
    events: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]] | None]
    custom_event_sync_mode: NotRequired[pulumi.Input[CustomEventSyncMode | CustomEventSyncModeLiteral] | None]
    custom_events: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]] | None]
    historical_sync_limit: NotRequired[pulumi.Input[HistoricalSyncLimit | HistoricalSyncLimitLiteral] | None]
    historical_sync_limit_date: NotRequired[pulumi.Input[str] | None]
    historic_sync_time_frame: NotRequired[pulumi.Input[HistoricSyncTimeFrame | HistoricSyncTimeFrameLiteral] | None]
    webhook_auth_type: NotRequired[pulumi.Input[WebhookAuthType | WebhookAuthTypeLiteral] | None]


class ConnectCardConfigArgsDict(TypedDict):
    """`connect_card_config`: the Iterable account owner enters the key in a Fivetran Connect Card."""

    redirect_uri: pulumi.Input[str]
    hide_setup_guide: NotRequired[pulumi.Input[bool] | None]


class DestinationConfigurationArgsDict(TypedDict):
    """`destination_configuration` (Snowflake destinations)."""

    virtual_warehouse: NotRequired[pulumi.Input[str] | None]


class ExternalSecretsKeysConfigArgsDict(TypedDict):
    """`external_secrets_keys_config`: the name of the secret that holds the Iterable API key."""

    api_key: pulumi.Input[str]


class ScheduleArgsDict(TypedDict):
    """`schedule`: the flexible sync schedule; it takes precedence over `sync_frequency`."""

    schedule_type: pulumi.Input[SyncScheduleType | SyncScheduleTypeLiteral]
    interval: NotRequired[pulumi.Input[int] | None]
    time_of_day: NotRequired[pulumi.Input[str] | None]
    days_of_week: NotRequired[pulumi.Input[Sequence[pulumi.Input[WeekDay | WeekDayLiteral]]] | None]
    cron: NotRequired[pulumi.Input[str] | None]


class ColumnConfigArgsDict(TypedDict):
    """A column's settings in `schema_config`: synced or blocked, hashed or not."""

    enabled: NotRequired[pulumi.Input[bool] | None]
    hashed: NotRequired[pulumi.Input[bool] | None]


class TableConfigArgsDict(TypedDict):
    """A table's settings in `schema_config`: synced or blocked, and settings for some of its columns."""

    enabled: NotRequired[pulumi.Input[bool] | None]
    columns: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[ColumnConfigArgs | ColumnConfigArgsDict]]] | None]


class SchemaConfigArgsDict(TypedDict):
    """`schema_config`: which Iterable tables and columns sync; only what is declared is managed."""

    schema_change_handling: NotRequired[pulumi.Input[SchemaChangeHandling | SchemaChangeHandlingLiteral] | None]
    tables: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[TableConfigArgs | TableConfigArgsDict]]] | None]


class ResyncArgsDict(TypedDict):
    """`resync`: a historical re-sync, requested once each time `trigger` (or `tables`) changes."""

    trigger: pulumi.Input[str]
    tables: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]] | None]


def _present(args: object) -> dict[str, Any]:
    """The fields of an args dataclass that are set, as a dict (values untouched: they may be Outputs)."""
    return {f.name: getattr(args, f.name) for f in fields(args)  # type: ignore[arg-type]
            if getattr(args, f.name) is not None}


if TYPE_CHECKING:
    class IterableConfigArgs(IterableConfigArgsDict):
        """The Iterable `config` of a connection (or pass an `IterableConfigArgsDict`)."""

else:
    @dataclass(kw_only=True)
    class IterableConfigArgs:
        """The Iterable `config` of a connection (or pass an `IterableConfigArgsDict`)."""

        schema: pulumi.Input[str]
        api_key: pulumi.Input[str] | None = None
        account_region: pulumi.Input[AccountRegion | AccountRegionLiteral] | None = None
        sync_mode: pulumi.Input[SyncMode | SyncModeLiteral] | None = None
        events: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
        custom_event_sync_mode: pulumi.Input[CustomEventSyncMode | CustomEventSyncModeLiteral] | None = None
        custom_events: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
        historical_sync_limit: pulumi.Input[HistoricalSyncLimit | HistoricalSyncLimitLiteral] | None = None
        historical_sync_limit_date: pulumi.Input[str] | None = None
        historic_sync_time_frame: pulumi.Input[HistoricSyncTimeFrame | HistoricSyncTimeFrameLiteral] | None = None
        webhook_auth_type: pulumi.Input[WebhookAuthType | WebhookAuthTypeLiteral] | None = None


@dataclass(kw_only=True)
class ConnectCardConfigArgs:
    """`connect_card_config` (or pass a `ConnectCardConfigArgsDict`)."""

    redirect_uri: pulumi.Input[str]
    hide_setup_guide: pulumi.Input[bool] | None = None


@dataclass(kw_only=True)
class DestinationConfigurationArgs:
    """`destination_configuration` (or pass a `DestinationConfigurationArgsDict`)."""

    virtual_warehouse: pulumi.Input[str] | None = None


@dataclass(kw_only=True)
class ExternalSecretsKeysConfigArgs:
    """`external_secrets_keys_config` (or pass an `ExternalSecretsKeysConfigArgsDict`): `api_key` is the name
    of the secret, in the manager `external_secrets_manager_id` names, that holds the Iterable API key."""

    api_key: pulumi.Input[str]


if TYPE_CHECKING:
    class ScheduleArgs(ScheduleArgsDict):
        """`schedule` (or pass a `ScheduleArgsDict`): every `interval` minutes, daily at `time_of_day`, by `cron`, or
    `MANUAL`, on `days_of_week` (every day when none). It takes precedence over `sync_frequency`,
    `daily_sync_time` and `schedule_type`, which may be left out."""

else:
    @dataclass(kw_only=True)
    class ScheduleArgs:
        """`schedule` (or pass a `ScheduleArgsDict`): every `interval` minutes, daily at `time_of_day`, by `cron`, or
        `MANUAL`, on `days_of_week` (every day when none). It takes precedence over `sync_frequency`,
        `daily_sync_time` and `schedule_type`, which may be left out."""

        schedule_type: pulumi.Input[SyncScheduleType | SyncScheduleTypeLiteral]
        interval: pulumi.Input[int] | None = None
        time_of_day: pulumi.Input[str] | None = None
        days_of_week: pulumi.Input[Sequence[pulumi.Input[WeekDay | WeekDayLiteral]]] | None = None
        cron: pulumi.Input[str] | None = None


@dataclass(kw_only=True)
class ColumnConfigArgs:
    """A column's settings in `schema_config` (or pass a `ColumnConfigArgsDict`): `enabled` (default true)
    syncs it, `hashed` (default false) loads a hash of each value instead of the value."""

    enabled: pulumi.Input[bool] | None = None
    hashed: pulumi.Input[bool] | None = None


@dataclass(kw_only=True)
class TableConfigArgs:
    """A table's settings in `schema_config` (or pass a `TableConfigArgsDict`): `enabled` (default true), and
    `columns` by name."""

    enabled: pulumi.Input[bool] | None = None
    columns: pulumi.Input[Mapping[str, pulumi.Input[ColumnConfigArgs | ColumnConfigArgsDict]]] | None = None


if TYPE_CHECKING:
    class SchemaConfigArgs(SchemaConfigArgsDict):
        """`schema_config` (or pass a `SchemaConfigArgsDict`): `tables` by name (Iterable's, e.g.
    `list_user_history`), and what Fivetran does with tables and columns it finds later
    (`schema_change_handling`). Tables and columns left out keep the settings Fivetran has for them."""

else:
    @dataclass(kw_only=True)
    class SchemaConfigArgs:
        """`schema_config` (or pass a `SchemaConfigArgsDict`): `tables` by name (Iterable's, e.g.
        `list_user_history`), and what Fivetran does with tables and columns it finds later
        (`schema_change_handling`). Tables and columns left out keep the settings Fivetran has for them."""

        schema_change_handling: pulumi.Input[SchemaChangeHandling | SchemaChangeHandlingLiteral] | None = None
        tables: pulumi.Input[Mapping[str, pulumi.Input[TableConfigArgs | TableConfigArgsDict]]] | None = None


@dataclass(kw_only=True)
class ResyncArgs:
    """`resync` (or pass a `ResyncArgsDict`): `pulumi up` asks Fivetran for a historical re-sync of `tables`
    (every table when none) each time `trigger` changes, once; any text serves, a date reads best."""

    trigger: pulumi.Input[str]
    tables: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None


def _plain(value: Any) -> Any:
    """Args classes, at any depth of dicts and lists, as the plain dicts the engine takes (values untouched)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(item) for name, item in _present(value).items()}
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# The object inputs that may be given as an args class (at any depth), and become dicts for the engine.
_OBJECT_ARGS = ("destination_configuration", "connect_card_config", "external_secrets_keys_config", "schedule",
                "schema_config", "resync")


@dataclass(kw_only=True)
class IterableConnectionArgs:
    """The inputs of an `IterableConnection`: Fivetran's create-request names, plus two project options.

    Every input is validated by `pulumi preview` (the README lists each input's type, default and rule).
    """

    group_id: pulumi.Input[str]
    # Exactly the TypedDict, for type checkers to name a wrong key or value in a dict literal (module docstring).
    config: IterableConfigArgsDict
    paused: pulumi.Input[bool] | None = None
    pause_after_trial: pulumi.Input[bool] | None = None
    sync_frequency: pulumi.Input[int] | None = None
    schedule_type: pulumi.Input[ScheduleType | ScheduleTypeLiteral] | None = None
    daily_sync_time: pulumi.Input[str] | None = None
    data_delay_sensitivity: pulumi.Input[DataDelaySensitivity | DataDelaySensitivityLiteral] | None = None
    data_delay_threshold: pulumi.Input[int] | None = None
    trust_certificates: pulumi.Input[bool] | None = None
    trust_fingerprints: pulumi.Input[bool] | None = None
    run_setup_tests: pulumi.Input[bool] | None = None
    networking_method: pulumi.Input[NetworkingMethod | NetworkingMethodLiteral] | None = None
    proxy_agent_id: pulumi.Input[str] | None = None
    private_link_id: pulumi.Input[str] | None = None
    hybrid_deployment_agent_id: pulumi.Input[str] | None = None
    destination_configuration: pulumi.Input[DestinationConfigurationArgs | DestinationConfigurationArgsDict] | None \
        = None
    connect_card_config: pulumi.Input[ConnectCardConfigArgs | ConnectCardConfigArgsDict] | None = None
    destination_schema_names: pulumi.Input[DestinationSchemaNames | DestinationSchemaNamesLiteral] | None = None
    external_secrets_manager_id: pulumi.Input[str] | None = None
    external_secrets_keys_config: pulumi.Input[ExternalSecretsKeysConfigArgs | ExternalSecretsKeysConfigArgsDict] \
        | None = None
    schedule: ScheduleArgsDict = None  # type: ignore[assignment]  # left out: None (see the module docstring)
    schema_config: SchemaConfigArgsDict = None  # type: ignore[assignment]
    resync: pulumi.Input[ResyncArgs | ResyncArgsDict] | None = None
    adopt_existing: pulumi.Input[bool] | None = None
    setup_test_policy: pulumi.Input[SetupTestPolicy | SetupTestPolicyLiteral] | None = None

    def to_props(self) -> dict[str, Any]:
        """The property bag sent to the engine; the Iterable API key always travels as a secret.

        Values are passed on as they are (never copied), so Outputs of other resources keep their
        dependencies and secrecy.
        """
        props = _present(self)
        for name in _OBJECT_ARGS:
            if name in props:
                props[name] = _plain(props[name])
        config = props["config"]
        if is_dataclass(config) and not isinstance(config, type):  # an IterableConfigArgs
            config = _present(config)
        if isinstance(config, Mapping):
            config = {key: value for key, value in config.items() if value is not None}
            if config.get("api_key") is not None:
                config["api_key"] = pulumi.Output.secret(config["api_key"])
        else:  # an Output of the whole config: it may hold the key, so all of it is secret
            config = pulumi.Output.secret(config)
        props["config"] = config
        return props
