"""The source schema of an Iterable connection: the tables Fivetran syncs from Iterable, and their columns.

Tables and columns follow Fivetran's Iterable connector as its public dbt package
`fivetran/dbt_iterable_source` reads them (`models/src_iterable.yml` and the `get_*_columns` macros), plus
`list_user_history`, which Fivetran's connector page names (its notes warn it can raise MAR) and the dbt
package does not model. Which items cannot be disabled is the emulator's choice (see README, "Choices"):
primary keys and Fivetran's system columns (`_fivetran_*`), and two tables others refer to.

The provider carries the same catalog (`pulumi_fivetran_iterable/catalog.py`) to check a program offline; a
test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The one source schema of an Iterable connection, as the schema config names it (by analogy with the
# single-schema connectors the API documents, whose key is the service name).
SOURCE_SCHEMA = "iterable"
SYSTEM_COLUMNS = ("_fivetran_synced", "_fivetran_deleted", "_fivetran_id", "_fivetran_user_id")


@dataclass(frozen=True)
class Table:
    name: str
    primary_key: tuple[str, ...]
    columns: tuple[str, ...]  # besides the primary key
    required: bool = False  # other tables refer to it: it cannot be disabled

    @property
    def all_columns(self) -> tuple[str, ...]:
        return (*self.primary_key, *self.columns)


TABLES = (
    Table("campaign_history", ("id", "updated_at"), (
        "name", "campaign_state", "type", "send_size", "start_at", "ended_at", "created_at", "recurring_campaign_id",
        "created_by_user_id", "updated_by_user_id", "template_id", "workflow_id", "message_medium",
        "_fivetran_synced")),
    Table("campaign_label_history", ("campaign_id", "label", "updated_at"), ("_fivetran_synced",)),
    Table("campaign_list_history", ("campaign_id", "list_id", "updated_at"), ("_fivetran_synced",)),
    Table("campaign_suppression_list_history", ("campaign_id", "suppressed_list_id", "updated_at"),
          ("_fivetran_synced",)),
    Table("campaign_metrics", ("id", "date"), (
        "average_order_value", "purchases", "revenue", "total_complaints", "total_email_bounced",
        "total_email_clicked", "total_email_delivered", "total_email_opens", "total_email_sends", "total_purchases",
        "total_unsubscribes", "unique_email_clicks", "unique_email_opens_or_clicks", "unique_purchases",
        "unique_unsubscribes", "_fivetran_deleted", "_fivetran_synced")),
    Table("channel", ("id",), ("name", "channel_type", "message_medium", "_fivetran_deleted", "_fivetran_synced"),
          required=True),
    Table("event", ("_fivetran_id",), (
        "_fivetran_user_id", "campaign_id", "content_id", "created_at", "email", "event_name", "ip", "message_bus_id",
        "message_id", "message_type_id", "recipient_state", "status", "transactional_data", "additional_properties",
        "unsub_source", "user_agent", "user_agent_device", "_fivetran_synced")),
    Table("event_extension", ("_fivetran_id",), (
        "_fivetran_user_id", "app_already_running", "badge", "canonical_url_id", "city", "clicked_url",
        "content_available", "content_id", "country", "device", "email_id", "email_subject", "error_code",
        "experiment_id", "link_id", "link_url", "locale", "message_status", "payload", "platform_endpoint",
        "push_message", "reason", "region", "sms_message", "to_phone_number", "url", "workflow_id", "workflow_name",
        "_fivetran_synced")),
    Table("list", ("id",), ("name", "description", "list_type", "created_at", "_fivetran_deleted",
                            "_fivetran_synced")),
    Table("list_user_history", ("list_id", "_fivetran_user_id", "updated_at"), ("email", "_fivetran_synced")),
    Table("message_type", ("id",), (
        "channel_id", "name", "created_at", "updated_at", "frequency_cap", "rate_limit_per_minute",
        "subscription_policy", "_fivetran_deleted", "_fivetran_synced"), required=True),
    Table("template_history", ("id", "updated_at"), (
        "name", "template_type", "client_template_id", "creator_user_id", "message_type_id", "created_at",
        "_fivetran_synced")),
    Table("user_history", ("_fivetran_id", "updated_at"), (
        "email", "user_id", "iterable_user_id", "first_name", "last_name", "phone_number", "phone_number_carrier",
        "phone_number_country_code_iso", "phone_number_line_type", "phone_number_updated_at", "signup_date",
        "signup_source", "email_list_ids", "_fivetran_synced")),
    Table("user_unsubscribed_channel", ("_fivetran_id",), ("channel_id", "email", "updated_at", "_fivetran_synced")),
    Table("user_unsubscribed_channel_history", ("email", "channel_id", "updated_at"), ("_fivetran_synced",)),
    Table("user_unsubscribed_message_type", ("_fivetran_id",), (
        "message_type_id", "email", "updated_at", "_fivetran_synced")),
    Table("user_unsubscribed_message_type_history", ("email", "message_type_id", "updated_at"), ("_fivetran_synced",)),
)
TABLES_BY_NAME = {table.name: table for table in TABLES}

# Column types, by column name (a name has one type in every table), for the source metadata endpoints: what the
# `get_*_columns` macros of `fivetran/dbt_iterable_source` declare (`dbt.type_timestamp`, `type_int`,
# `type_numeric`, `type_boolean`), in Fivetran's type names; a column they do not type, or type as a string, is
# STRING.
COLUMN_TYPES = {
    **dict.fromkeys(("_fivetran_synced", "created_at", "updated_at", "start_at", "ended_at", "signup_date"),
                    "INSTANT"),
    **dict.fromkeys(("id", "campaign_id", "list_id", "suppressed_list_id", "recurring_campaign_id", "channel_id",
                     "message_type_id"), "INT"),
    **dict.fromkeys(("send_size", "template_id", "workflow_id", "content_id", "client_template_id"), "BIGDECIMAL"),
    **dict.fromkeys(("_fivetran_deleted", "app_already_running", "content_available"), "BOOLEAN"),
}
# Columns that refer to another table's key: the references that keep `channel` and `message_type` enabled.
FOREIGN_KEYS = {"channel_id": "channel", "message_type_id": "message_type"}


def column_locked(table: Table, column: str) -> str | None:
    """Why a column cannot be disabled or hashed (None when it can): a primary key, or a system column."""
    if column in table.primary_key:
        return "Primary key columns cannot be disabled or hashed"
    if column in SYSTEM_COLUMNS:
        return "Fivetran system columns cannot be disabled or hashed"
    return None


def table_locked(table: Table) -> str | None:
    """Why a table cannot be disabled (None when it can)."""
    return "Other tables of the connection refer to this table; it cannot be disabled" if table.required else None


def capture_schema(record: dict[str, Any]) -> None:
    """Read the source schema into the record: every table, settings pre-created for it applied if allowed."""
    current = record.get("schema_config") or {}
    if current.get("captured"):
        return
    tables: dict[str, Any] = {table.name: {"enabled": True, "columns": {}} for table in TABLES}
    for name, settings in (current.get("tables") or {}).items():
        table = TABLES_BY_NAME.get(name)
        if table is None:
            continue  # not in the source: the API ignores what it cannot apply
        if settings.get("enabled") is False and table_locked(table) is None:
            tables[name]["enabled"] = False
        for column, column_settings in (settings.get("columns") or {}).items():
            if column in table.all_columns and column_locked(table, column) is None:
                tables[name]["columns"][column] = {"enabled": column_settings.get("enabled", True),
                                                   "hashed": bool(column_settings.get("hashed", False))}
    record["schema_config"] = {"captured": True,
                               "schema_change_handling": current.get("schema_change_handling", "ALLOW_ALL"),
                               "tables": tables}
