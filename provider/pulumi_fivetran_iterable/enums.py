"""The enumerated inputs of an Iterable connection, by their Fivetran names.

Each is a `str` enum, so `AccountRegion.EU` is accepted wherever the plain string `"EU"` is, and each has a
`Literal` twin (`AccountRegionLiteral`) that the argument types use, so a type checker rejects `"XX"` as well
as `AccountRegion.XX`. This module imports nothing, so it costs nothing to import.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class AccountRegion(StrEnum):
    """Where the Iterable project lives: `EU` when its URL starts with `https://app.eu.iterable.com`."""

    US = "US"
    EU = "EU"


class SyncMode(StrEnum):
    """Which Iterable system events to sync."""

    ALL_EVENTS = "AllEvents"
    SELECTED_EVENTS = "SelectedEvents"


class CustomEventSyncMode(StrEnum):
    """Which Iterable custom events to sync."""

    ALL_EVENTS = "AllEvents"
    SELECTED_EVENTS = "SelectedEvents"
    NO_EVENTS = "NoEvents"


class HistoricalSyncLimit(StrEnum):
    """How far back the first sync goes: everything, or from `historical_sync_limit_date` on."""

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
    """`auto` syncs on `sync_frequency`; `manual` only when a sync is triggered."""

    AUTO = "auto"
    MANUAL = "manual"


class DataDelaySensitivity(StrEnum):
    """How late data may be before Fivetran warns (`CUSTOM`: after `data_delay_threshold` minutes)."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CUSTOM = "CUSTOM"
    SYNC_FREQUENCY = "SYNC_FREQUENCY"


class NetworkingMethod(StrEnum):
    """How Fivetran reaches the source."""

    DIRECTLY = "Directly"
    PRIVATE_LINK = "PrivateLink"
    SSH_TUNNEL = "SshTunnel"
    PROXY_AGENT = "ProxyAgent"


class WebhookAuthType(StrEnum):
    """How Iterable authenticates its webhook calls to Fivetran; `Basic` and `OAuth2` give it a secret
    (the `webhook_secret` output)."""

    NO_AUTH = "NoAuth"
    BASIC = "Basic"
    OAUTH2 = "OAuth2"


class DestinationSchemaNames(StrEnum):
    """How schema, table and column names appear in the destination; fixed when the connection is created."""

    FIVETRAN_NAMING = "FIVETRAN_NAMING"
    SOURCE_NAMING = "SOURCE_NAMING"


class SyncScheduleType(StrEnum):
    """The kind of a flexible `schedule`: every `interval` minutes, daily at `time_of_day`, by `cron`, or
    only when triggered."""

    INTERVAL = "INTERVAL"
    TIME_OF_DAY = "TIME_OF_DAY"
    CRON = "CRON"
    MANUAL = "MANUAL"


class WeekDay(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class SchemaChangeHandling(StrEnum):
    """What Fivetran does with tables and columns it finds in Iterable later: sync them all, sync only new
    columns of the tables already synced, or sync nothing new."""

    ALLOW_ALL = "ALLOW_ALL"
    ALLOW_COLUMNS = "ALLOW_COLUMNS"
    BLOCK_ALL = "BLOCK_ALL"


class SetupTestPolicy(StrEnum):
    """What a failed setup test does: `fail` undoes the change and errors, `warn` keeps it and reports."""

    FAIL = "fail"
    WARN = "warn"


# The same choices as plain strings, for type checkers (a test keeps each equal to its enum).
AccountRegionLiteral = Literal["US", "EU"]
SyncModeLiteral = Literal["AllEvents", "SelectedEvents"]
CustomEventSyncModeLiteral = Literal["AllEvents", "SelectedEvents", "NoEvents"]
HistoricalSyncLimitLiteral = Literal["ALL_TIME", "DATE_LIMIT"]
HistoricSyncTimeFrameLiteral = Literal["THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "TWO_YEARS", "FIVE_YEARS",
                                       "ALL_TIME"]
ScheduleTypeLiteral = Literal["auto", "manual"]
DataDelaySensitivityLiteral = Literal["LOW", "NORMAL", "HIGH", "CUSTOM", "SYNC_FREQUENCY"]
NetworkingMethodLiteral = Literal["Directly", "PrivateLink", "SshTunnel", "ProxyAgent"]
SetupTestPolicyLiteral = Literal["fail", "warn"]
WebhookAuthTypeLiteral = Literal["NoAuth", "Basic", "OAuth2"]
DestinationSchemaNamesLiteral = Literal["FIVETRAN_NAMING", "SOURCE_NAMING"]
SyncScheduleTypeLiteral = Literal["INTERVAL", "TIME_OF_DAY", "CRON", "MANUAL"]
SchemaChangeHandlingLiteral = Literal["ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL"]
WeekDayLiteral = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
