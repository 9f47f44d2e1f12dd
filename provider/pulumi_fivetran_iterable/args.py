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
        """The destination schema the connection loads into: 1 to 127 lowercase letters, digits and `_`, not starting
        with a digit. Changing it replaces the connection (Fivetran cannot rename a schema), and the new connection
        starts with a full historical sync."""
        api_key: pulumi.Input[str] | None = None
        """The Iterable server-side API key (Iterable > Integrations > API keys, type "Server-side"). Always stored as a
        Pulumi secret. Required unless `connect_card_config` or `external_secrets_keys_config` is set. A change is an
        in-place key rotation, followed by the setup tests."""
        account_region: pulumi.Input[AccountRegion | AccountRegionLiteral] | None = None
        """Where the Iterable project lives: `EU` when its URL starts with `https://app.eu.iterable.com`."""
        sync_mode: pulumi.Input[SyncMode | SyncModeLiteral] | None = None
        """Which Iterable system events sync: `AllEvents` (the default) or the `events` listed with `SelectedEvents`."""
        events: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
        """The system events to sync (`emailSend`, `emailOpen`, ...): required, and not empty, with `sync_mode`
        `SelectedEvents`; not allowed otherwise. Order and duplicates do not matter."""
        custom_event_sync_mode: pulumi.Input[CustomEventSyncMode | CustomEventSyncModeLiteral] | None = None
        """Which custom events sync: `AllEvents` (the default), the `custom_events` listed with `SelectedEvents`, or
        `NoEvents`."""
        custom_events: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
        """The custom events to sync: required, and not empty, with `custom_event_sync_mode` `SelectedEvents`; not
        allowed otherwise."""
        historical_sync_limit: pulumi.Input[HistoricalSyncLimit | HistoricalSyncLimitLiteral] | None = None
        """How far back the first sync reads: `ALL_TIME` (the default), or from `historical_sync_limit_date` with
        `DATE_LIMIT`."""
        historical_sync_limit_date: pulumi.Input[str] | None = None
        """The first day the first sync reads, `YYYY-MM-DD`: a real calendar date, not in the future. Required with
        `historical_sync_limit` `DATE_LIMIT`, not allowed otherwise."""
        historic_sync_time_frame: pulumi.Input[HistoricSyncTimeFrame | HistoricSyncTimeFrameLiteral] | None = None
        """Fivetran's older field for the same, superseded by `historical_sync_limit` in 2026; sent only when set."""
        webhook_auth_type: pulumi.Input[WebhookAuthType | WebhookAuthTypeLiteral] | None = None
        """How Iterable authenticates its System Webhook calls: `NoAuth` (the default), `Basic` or `OAuth2`. With
        `Basic` or `OAuth2`, Fivetran gives the secret output `webhook_secret` to register in Iterable beside
        `webhook_endpoint`."""


@dataclass(kw_only=True)
class ConnectCardConfigArgs:
    """`connect_card_config` (or pass a `ConnectCardConfigArgsDict`)."""

    redirect_uri: pulumi.Input[str]
    """The http(s) page Fivetran sends the person to once they have completed the card."""
    hide_setup_guide: pulumi.Input[bool] | None = None
    """Hide Fivetran's setup guide in the card."""


@dataclass(kw_only=True)
class DestinationConfigurationArgs:
    """`destination_configuration` (or pass a `DestinationConfigurationArgsDict`)."""

    virtual_warehouse: pulumi.Input[str] | None = None
    """The Snowflake virtual warehouse the connection loads with (Snowflake destinations only)."""


@dataclass(kw_only=True)
class ExternalSecretsKeysConfigArgs:
    """`external_secrets_keys_config` (or pass an `ExternalSecretsKeysConfigArgsDict`): `api_key` is the name
    of the secret, in the manager `external_secrets_manager_id` names, that holds the Iterable API key."""

    api_key: pulumi.Input[str]
    """The name of the secret, in the secrets manager `external_secrets_manager_id` names, that holds the Iterable API
    key (the name, never the key)."""


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
        """`INTERVAL` (every `interval` minutes), `TIME_OF_DAY` (daily at `time_of_day`), `CRON` (by `cron`) or `MANUAL`
        (only when triggered). Each type needs its own field and takes no other."""
        interval: pulumi.Input[int] | None = None
        """Minutes between syncs, with `INTERVAL`: one of the sync frequencies (1, 5, 15, 30, 60, 120, 180, 360, 480,
        720, 1440)."""
        time_of_day: pulumi.Input[str] | None = None
        """The hour of the daily sync, `HH:00`, with `TIME_OF_DAY`."""
        days_of_week: pulumi.Input[Sequence[pulumi.Input[WeekDay | WeekDayLiteral]]] | None = None
        """The days an `INTERVAL` or `TIME_OF_DAY` schedule runs on (every day when none)."""
        cron: pulumi.Input[str] | None = None
        """A five-field cron expression, with `CRON`: for example `0 */6 * * *`."""


@dataclass(kw_only=True)
class ColumnConfigArgs:
    """A column's settings in `schema_config` (or pass a `ColumnConfigArgsDict`): `enabled` (default true)
    syncs it, `hashed` (default false) loads a hash of each value instead of the value."""

    enabled: pulumi.Input[bool] | None = None
    """Sync the column (default `true`) or block it (`false`). Primary-key columns and Fivetran's own `_fivetran_*`
    columns cannot be blocked."""
    hashed: pulumi.Input[bool] | None = None
    """Load a hash of each value instead of the value (default `false`). Primary-key columns and `_fivetran_*` columns
    cannot be hashed."""


@dataclass(kw_only=True)
class TableConfigArgs:
    """A table's settings in `schema_config` (or pass a `TableConfigArgsDict`): `enabled` (default true), and
    `columns` by name."""

    enabled: pulumi.Input[bool] | None = None
    """Sync the table (default `true`) or block it (`false`). `channel` and `message_type`, which other tables refer
    to, cannot be blocked."""
    columns: pulumi.Input[Mapping[str, pulumi.Input[ColumnConfigArgs | ColumnConfigArgsDict]]] | None = None
    """Settings for some of the table's columns, by name (Iterable's, any letter case). Columns left out keep what
    Fivetran holds for them."""


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
        """What Fivetran does with tables and columns it finds later: `ALLOW_ALL`, `ALLOW_COLUMNS` or `BLOCK_ALL`.
        Compared only when declared."""
        tables: pulumi.Input[Mapping[str, pulumi.Input[TableConfigArgs | TableConfigArgsDict]]] | None = None
        """Settings for some of the connection's tables, by name (Iterable's, any letter case: `list_user_history`,
        `user_history`, ...). A name Iterable does not have is an error that suggests the closest one. Tables left out
        keep what Fivetran holds for them."""


@dataclass(kw_only=True)
class ResyncArgs:
    """`resync` (or pass a `ResyncArgsDict`): `pulumi up` asks Fivetran for a historical re-sync of `tables`
    (every table when none) each time `trigger` changes, once; any text serves, a date reads best."""

    trigger: pulumi.Input[str]
    """Any text (a date reads best): each time it changes, `up` asks Fivetran for one historical re-sync."""
    tables: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """The tables to re-sync (every table when none). Changing the list also asks for a re-sync."""


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

    Every input is validated where the program declares it and by `pulumi preview` (docs/reference.md lists each
    input's type, default and rule).
    """

    group_id: pulumi.Input[str]
    """The id of the destination group the connection loads into (Fivetran dashboard > Destinations, or `GET
    /v1/groups`; `DestinationGroup` looks one up by its name). Changing it replaces the connection. `up` says so
    when the group does not exist."""
    # Exactly the TypedDict, for type checkers to name a wrong key or value in a dict literal (module docstring).
    config: IterableConfigArgsDict
    """The Iterable side: the destination schema, the API key, and which events sync."""
    paused: pulumi.Input[bool] | None = None
    """Pause syncing (`true`) or resume it, in place."""
    pause_after_trial: pulumi.Input[bool] | None = None
    """Pause the connection when its Fivetran free trial ends."""
    sync_frequency: pulumi.Input[int] | None = None
    """Minutes between syncs: 1, 5, 15, 30, 60, 120, 180, 360, 480, 720 or 1440. A whole number (the engine's `1440.0`
    is fine)."""
    schedule_type: pulumi.Input[ScheduleType | ScheduleTypeLiteral] | None = None
    """`auto` (the default: on schedule) or `manual` (only when triggered)."""
    daily_sync_time: pulumi.Input[str] | None = None
    """The hour of the daily sync, `HH:00`, only with `sync_frequency` 1440. Default `00:00` there."""
    data_delay_sensitivity: pulumi.Input[DataDelaySensitivity | DataDelaySensitivityLiteral] | None = None
    """How soon Fivetran warns that data is late: `LOW`, `NORMAL` (the default), `HIGH`, `CUSTOM` (after
    `data_delay_threshold`) or `SYNC_FREQUENCY`."""
    data_delay_threshold: pulumi.Input[int] | None = None
    """Minutes (0 or more) after which Fivetran warns that data is late: required with `data_delay_sensitivity`
    `CUSTOM`, not allowed otherwise."""
    trust_certificates: pulumi.Input[bool] | None = None
    """Trust the certificates the setup tests meet. Sent with the tests; Fivetran does not store it."""
    trust_fingerprints: pulumi.Input[bool] | None = None
    """Trust the SSH fingerprints the setup tests meet. Sent with the tests; Fivetran does not store it."""
    run_setup_tests: pulumi.Input[bool] | None = None
    """Run Fivetran's setup tests on create and whenever the key or the Iterable config changes."""
    networking_method: pulumi.Input[NetworkingMethod | NetworkingMethodLiteral] | None = None
    """How Fivetran reaches the source: `Directly` (the default), `PrivateLink`, `SshTunnel` or `ProxyAgent`."""
    proxy_agent_id: pulumi.Input[str] | None = None
    """The proxy agent's id: required with `networking_method` `ProxyAgent`, not allowed otherwise."""
    private_link_id: pulumi.Input[str] | None = None
    """The private link's id: required with `networking_method` `PrivateLink`, not allowed otherwise."""
    hybrid_deployment_agent_id: pulumi.Input[str] | None = None
    """The hybrid deployment agent that runs the connection's syncs."""
    destination_configuration: pulumi.Input[DestinationConfigurationArgs | DestinationConfigurationArgsDict] | None \
        = None
    """Settings that depend on the destination (Snowflake: the virtual warehouse)."""
    connect_card_config: pulumi.Input[ConnectCardConfigArgs | ConnectCardConfigArgsDict] | None = None
    """Authorize through a Fivetran Connect Card instead of `config.api_key`: the Iterable account owner types the key
    into a form Fivetran hosts, so it never passes through the program or the state. The card's link is the secret
    output `connect_card_uri`; the connection stays `incomplete` until the card is completed."""
    destination_schema_names: pulumi.Input[DestinationSchemaNames | DestinationSchemaNamesLiteral] | None = None
    """How names appear in the destination: `FIVETRAN_NAMING` or `SOURCE_NAMING`. Fixed at creation, so changing it
    replaces the connection; compared only when declared (Fivetran's default otherwise). Fivetran says it will soon
    be required: declaring it is recommended."""
    external_secrets_manager_id: pulumi.Input[str] | None = None
    """The id of your own secrets manager, from which Fivetran reads the Iterable key, so the key never passes through
    the program or the state. Both it and `external_secrets_keys_config`, or neither; not with `config.api_key` or
    `connect_card_config`."""
    external_secrets_keys_config: pulumi.Input[ExternalSecretsKeysConfigArgs | ExternalSecretsKeysConfigArgsDict] \
        | None = None
    """Which secret of that secrets manager holds the Iterable key."""
    schedule: ScheduleArgsDict = None  # type: ignore[assignment]  # left out: None (see the module docstring)
    """Fivetran's flexible schedule, which takes precedence over `sync_frequency`, `daily_sync_time` and
    `schedule_type`: leave those out (they then show what it implies); declared, they must agree with it."""
    schema_config: SchemaConfigArgsDict = None  # type: ignore[assignment]
    """Which Iterable tables and columns sync, and which columns are hashed. Only the declared tables and columns are
    managed and compared; a new connection is created paused until its schema config is in place, so its first sync
    never loads a table the program blocks."""
    resync: pulumi.Input[ResyncArgs | ResyncArgsDict] | None = None
    """Ask Fivetran for a historical re-sync, once each time `trigger` (or `tables`) changes; never at create (the
    first sync is historical already)."""
    adopt_existing: pulumi.Input[bool] | None = None
    """When a connection with this schema already exists in the group: `false` (the default) fails, saying so; `true`
    takes it over and brings it to the declared settings, never replacing a key that works (a declared key is taken
    to be the one a working connection holds, and is sent with the next change of `config.api_key`)."""
    setup_test_policy: pulumi.Input[SetupTestPolicy | SetupTestPolicyLiteral] | None = None
    """`fail` (the default): a create whose setup tests fail is deleted again, an update rolled back (key source
    included, then tested again), and `up` fails listing each failed test; a change that would replace a working key
    nothing can send back (a Connect Card's, an adopted connection's) is refused before anything is sent. `warn`:
    the change is kept and the results are in the output `setup_tests`."""

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
