"""The typed model of a Fivetran connection of service `iterable`: its fields, enums, defaults and types.

One `ConnectionSpec` holds everything a user declares: the connection-level settings of Fivetran's create
request, the Iterable `config`, and the project's options (`adopt_existing`, `adopt_without_sending_key`,
`setup_test_policy`). The model
knows nothing of HTTP or Pulumi. `validation` turns a property bag into a spec (or errors that name the field
and the fix); `payloads` turns a spec into the canonical property bag and Fivetran's request bodies.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)

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
# A five-field cron expression: minute hour day-of-month month day-of-week, each `*`, a number or a range,
# optionally stepped (`*/6`), or a comma-separated list of those.
_CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
CRON_PATTERN = re.compile(rf"{_CRON_FIELD}( {_CRON_FIELD}){{4}}")


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
    webhook_auth_type: WebhookAuthType = WebhookAuthType.NO_AUTH

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


class ExternalSecretsKeysConfig(_Strict):
    """Which secret of the external secrets manager holds each key: for Iterable, the API key."""

    api_key: Identifier


class Schedule(_Strict):
    """The flexible sync schedule. It takes precedence over `sync_frequency`, `daily_sync_time` and
    `schedule_type`: see `schedule_implies`."""

    schedule_type: SyncScheduleType
    interval: WholeNumber | None = None
    time_of_day: str | None = None
    days_of_week: tuple[WeekDay, ...] | None = None
    cron: str | None = None

    @field_validator("days_of_week")
    @classmethod
    def _week_order(cls, value: tuple[WeekDay, ...] | None) -> tuple[WeekDay, ...] | None:
        if not value:
            return None  # an empty list means the same as none: every day
        return tuple(day for day in WeekDay if day in value)


def schedule_implies(schedule: Schedule) -> dict[str, Any]:
    """What a schedule means for the older fields: INTERVAL n syncs every n minutes (`sync_frequency` n),
    TIME_OF_DAY t daily at t, MANUAL only when triggered (`schedule_type` manual). A CRON schedule (and a
    MANUAL one, for the frequency) says nothing of `sync_frequency`, which is then not compared.

    Fivetran's Terraform provider documents only that the schedule "takes precedence over sync_frequency";
    how the two show in the API is this project's choice, the emulator's too (its README, "Choices").
    """
    if schedule.schedule_type is SyncScheduleType.INTERVAL:
        return {"sync_frequency": schedule.interval, "daily_sync_time": None, "schedule_type": ScheduleType.AUTO}
    if schedule.schedule_type is SyncScheduleType.TIME_OF_DAY:
        return {"sync_frequency": DAILY_FREQUENCY, "daily_sync_time": schedule.time_of_day,
                "schedule_type": ScheduleType.AUTO}
    if schedule.schedule_type is SyncScheduleType.MANUAL:
        return {"sync_frequency": None, "daily_sync_time": None, "schedule_type": ScheduleType.MANUAL}
    return {"sync_frequency": None, "daily_sync_time": None, "schedule_type": ScheduleType.AUTO}


def _lowercase_names(value: Any) -> Any:
    """Fivetran names Iterable's tables and columns in lowercase; accept any case, refuse two spellings of one."""
    if not isinstance(value, dict):
        return value
    lowered: dict[str, Any] = {}
    for name, item in value.items():
        key = name.lower() if isinstance(name, str) else name
        if key in lowered:
            raise ValueError(f"names {key!r} twice (names are not case-sensitive); keep one")
        lowered[key] = item
    return lowered


class ColumnConfig(_Strict):
    """A column of a table: synced (`enabled`) or blocked, and whether its values are hashed."""

    enabled: bool = True
    hashed: bool = False


class TableConfig(_Strict):
    """A table: synced (`enabled`) or blocked, and settings for some of its columns."""

    enabled: bool = True
    columns: Annotated[dict[str, ColumnConfig], BeforeValidator(_lowercase_names)] | None = None


class SchemaConfig(_Strict):
    """Which Iterable tables and columns the connection syncs. Only what is declared here is managed:
    undeclared tables and columns keep whatever Fivetran (or a person in its dashboard) set."""

    schema_change_handling: SchemaChangeHandling | None = None
    tables: Annotated[dict[str, TableConfig], BeforeValidator(_lowercase_names)] | None = None


class Resync(_Strict):
    """A historical re-sync, of the whole connection or of `tables`, requested once each time `trigger`
    (any text, for example a date) or `tables` changes."""

    trigger: str
    tables: tuple[str, ...] | None = None

    @field_validator("trigger")
    @classmethod
    def _trigger(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank; use any text that you change to request a re-sync, for example "
                             "today's date")
        return value

    @field_validator("tables")
    @classmethod
    def _tables(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if not value:
            return None  # none listed: the whole connection
        return tuple(name.lower() for name in value)  # in the declared order, so errors point at the entry


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
    destination_schema_names: DestinationSchemaNames | None = None
    external_secrets_manager_id: Identifier | None = None
    external_secrets_keys_config: ExternalSecretsKeysConfig | None = None
    schedule: Schedule | None = None
    schema_config: SchemaConfig | None = None
    resync: Resync | None = None
    adopt_existing: bool = False
    # At adoption, take the declared key to be the one Fivetran holds (Terraform set it) instead of sending it.
    adopt_without_sending_key: bool = False
    setup_test_policy: SetupTestPolicy = SetupTestPolicy.FAIL

    @property
    def schema_name(self) -> str:
        return self.config.schema_name

    @property
    def key_in_secrets_manager(self) -> bool:
        return self.external_secrets_keys_config is not None


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
    "external_secrets_manager_id",
    "external_secrets_keys_config",
    "schedule",
)
# Connection-level inputs Fivetran takes only when creating: a new value means a new connection.
CREATE_ONLY_FIELDS = ("destination_schema_names",)
# Where the Iterable key comes from when it is not in `config`: a change of these runs the setup tests.
KEY_SOURCE_FIELDS = ("external_secrets_manager_id", "external_secrets_keys_config")
# What the connection syncs: managed with the schema-config and re-sync endpoints, never in a connection body.
SYNC_SCOPE_FIELDS = ("schema_config", "resync")
# Test-control flags: sent with a request, never stored by Fivetran.
TEST_FLAGS = ("run_setup_tests", "trust_certificates", "trust_fingerprints")
# The project's own options: never sent to Fivetran.
PROJECT_OPTIONS = ("adopt_existing", "adopt_without_sending_key", "setup_test_policy")
# Inputs Fivetran cannot change: a new value means a new connection.
IMMUTABLE_PATHS = ("group_id", "config.schema", *CREATE_ONLY_FIELDS)
CONFIG_FIELDS = tuple(field.alias or name for name, field in IterableConfig.model_fields.items())
CONFIG_PATCHABLE = tuple(name for name in CONFIG_FIELDS if name != "schema")
TOP_LEVEL_FIELDS = tuple(ConnectionSpec.model_fields)
# The inputs of each object, for "did you mean" hints.
FIELDS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "": TOP_LEVEL_FIELDS,
    "config": CONFIG_FIELDS,
    "destination_configuration": tuple(DestinationConfiguration.model_fields),
    "connect_card_config": tuple(ConnectCardConfig.model_fields),
    "external_secrets_keys_config": tuple(ExternalSecretsKeysConfig.model_fields),
    "schedule": tuple(Schedule.model_fields),
    "schema_config": tuple(SchemaConfig.model_fields),
    "schema_config.tables.*": tuple(TableConfig.model_fields),
    "schema_config.tables.*.columns.*": tuple(ColumnConfig.model_fields),
    "resync": tuple(Resync.model_fields),
}
