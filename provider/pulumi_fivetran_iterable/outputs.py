"""The shapes of an `IterableConnection`'s structured outputs, for type checkers and editors.

Outputs arrive in a program as plain dicts and lists; these `TypedDict`s say which keys they hold.
"""

from __future__ import annotations

from typing import TypedDict


class ConnectionStatus(TypedDict, total=False):
    """`status`: where the connection stands in Fivetran."""

    setup_state: str
    """`incomplete` (no key yet, for example a Connect Card not completed), `connected` or `broken`."""
    sync_state: str
    """`scheduled`, `syncing`, `paused` or `rescheduled`."""
    update_state: str
    """`on_schedule` or `delayed`."""
    is_historical_sync: bool
    """Whether the current or next sync is a historical one (the first, or a re-sync)."""
    tasks: list[dict[str, str]]
    """What Fivetran asks someone to do for the connection (`code`, `message`)."""
    warnings: list[dict[str, str]]
    """Fivetran's warnings about the connection (`code`, `message`)."""


class SetupTestResult(TypedDict):
    """One of `setup_tests`: a Fivetran setup test and how it ended."""

    title: str
    """The test's name, as Fivetran shows it."""
    status: str
    """`PASSED`, `FAILED`, `JOB_FAILED`, `WARNING` or `SKIPPED`."""
    message: str
    """What the test found (empty when it passed)."""


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
