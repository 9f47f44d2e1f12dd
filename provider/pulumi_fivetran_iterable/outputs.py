"""The shapes of an `IterableConnection`'s structured outputs, for type checkers and editors.

Outputs arrive in a program as plain dicts and lists; these `TypedDict`s say which keys they hold.
"""

from __future__ import annotations

from typing import TypedDict


class ConnectionStatus(TypedDict, total=False):
    """`status`: where the connection stands in Fivetran."""

    setup_state: str  # incomplete | connected | broken
    sync_state: str  # scheduled | syncing | paused | rescheduled
    update_state: str  # on_schedule | delayed
    is_historical_sync: bool
    tasks: list[dict[str, str]]
    warnings: list[dict[str, str]]


class SetupTestResult(TypedDict):
    """One of `setup_tests`: a Fivetran setup test and how it ended."""

    title: str
    status: str  # PASSED | FAILED | JOB_FAILED | WARNING | SKIPPED
    message: str


class IterableConfigOutputs(TypedDict, total=False):
    """`config` as echoed in the outputs: the declared Iterable settings with defaults filled in.

    `api_key` is a secret output (and absent for a connection whose key was entered in a Connect Card).
    """

    schema: str
    api_key: str
    account_region: str
    sync_mode: str
    events: list[str]
    custom_event_sync_mode: str
    custom_events: list[str]
    historical_sync_limit: str
    historical_sync_limit_date: str
    historic_sync_time_frame: str
    webhook_auth_type: str


class ConnectCardConfigOutputs(TypedDict, total=False):
    redirect_uri: str
    hide_setup_guide: bool


class DestinationConfigurationOutputs(TypedDict, total=False):
    virtual_warehouse: str


class ScheduleOutputs(TypedDict, total=False):
    """`schedule` as echoed in the outputs: days in week order, every day when none were named."""

    schedule_type: str
    interval: int
    time_of_day: str
    days_of_week: list[str]
    cron: str


class ExternalSecretsKeysConfigOutputs(TypedDict, total=False):
    api_key: str


class ColumnConfigOutputs(TypedDict):
    enabled: bool
    hashed: bool


class TableConfigOutputs(TypedDict, total=False):
    enabled: bool
    columns: dict[str, ColumnConfigOutputs]


class SchemaConfigOutputs(TypedDict, total=False):
    """`schema_config` as Fivetran holds it, for the declared tables and columns only (after `refresh`, a
    change made in the Fivetran dashboard shows here, and as a difference in the next preview)."""

    schema_change_handling: str
    tables: dict[str, TableConfigOutputs]


class ResyncOutputs(TypedDict, total=False):
    """`resync` as last requested."""

    trigger: str
    tables: list[str]
