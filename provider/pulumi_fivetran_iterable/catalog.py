"""The tables and columns Fivetran syncs from Iterable, and which of them Fivetran lets a user change.

`schema_config` is checked against this catalog offline, at `pulumi preview`: a name that is not here is an
error that suggests the closest real one, and disabling or hashing what Fivetran does not allow is an error
before anything is sent. The names follow Fivetran's public `fivetran/dbt_iterable_source` package (which
reads what the connector writes) plus `list_user_history`, which Fivetran's connector page names. What cannot
change: primary-key columns and Fivetran's own `_fivetran_*` columns (neither blocked nor hashed), and the
tables `channel` and `message_type`, which other tables refer to.

`config.events` is checked against Iterable's event types (`EVENT_TYPES`): an unknown name is a warning, not an
error, because Iterable adds event types and Fivetran's OpenAPI definition does not list them. Knows nothing of
HTTP or Pulumi.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import NamedTuple

# The one source schema of an Iterable connection, as the schema config names it.
SOURCE_SCHEMA = "iterable"
# Tables other tables refer to: Fivetran keeps them on.
REFERENCED_TABLES = frozenset({"channel", "message_type"})

# table: (primary-key columns, the other columns), space-separated.
_CATALOG = {
    "campaign_history": ("id updated_at",
        "name campaign_state type send_size start_at ended_at created_at recurring_campaign_id "
        "created_by_user_id updated_by_user_id template_id workflow_id message_medium _fivetran_synced"),
    "campaign_label_history": ("campaign_id label updated_at", "_fivetran_synced"),
    "campaign_list_history": ("campaign_id list_id updated_at", "_fivetran_synced"),
    "campaign_suppression_list_history": ("campaign_id suppressed_list_id updated_at", "_fivetran_synced"),
    "campaign_metrics": ("id date",
        "average_order_value purchases revenue total_complaints total_email_bounced total_email_clicked "
        "total_email_delivered total_email_opens total_email_sends total_purchases total_unsubscribes "
        "unique_email_clicks unique_email_opens_or_clicks unique_purchases unique_unsubscribes "
        "_fivetran_deleted _fivetran_synced"),
    "channel": ("id", "name channel_type message_medium _fivetran_deleted _fivetran_synced"),
    "event": ("_fivetran_id",
        "_fivetran_user_id campaign_id content_id created_at email event_name ip message_bus_id message_id "
        "message_type_id recipient_state status transactional_data additional_properties unsub_source "
        "user_agent user_agent_device _fivetran_synced"),
    "event_extension": ("_fivetran_id",
        "_fivetran_user_id app_already_running badge canonical_url_id city clicked_url content_available "
        "content_id country device email_id email_subject error_code experiment_id link_id link_url locale "
        "message_status payload platform_endpoint push_message reason region sms_message to_phone_number url "
        "workflow_id workflow_name _fivetran_synced"),
    "list": ("id", "name description list_type created_at _fivetran_deleted _fivetran_synced"),
    "list_user_history": ("list_id _fivetran_user_id updated_at", "email _fivetran_synced"),
    "message_type": ("id",
        "channel_id name created_at updated_at frequency_cap rate_limit_per_minute subscription_policy "
        "_fivetran_deleted _fivetran_synced"),
    "template_history": ("id updated_at",
        "name template_type client_template_id creator_user_id message_type_id created_at _fivetran_synced"),
    "user_history": ("_fivetran_id updated_at",
        "email user_id iterable_user_id first_name last_name phone_number phone_number_carrier "
        "phone_number_country_code_iso phone_number_line_type phone_number_updated_at signup_date "
        "signup_source email_list_ids _fivetran_synced"),
    "user_unsubscribed_channel": ("_fivetran_id", "channel_id email updated_at _fivetran_synced"),
    "user_unsubscribed_channel_history": ("email channel_id updated_at", "_fivetran_synced"),
    "user_unsubscribed_message_type": ("_fivetran_id", "message_type_id email updated_at _fivetran_synced"),
    "user_unsubscribed_message_type_history": ("email message_type_id updated_at", "_fivetran_synced"),
}


# Iterable's system event types, as Iterable's own API definition names them: the `dataTypeName` values of its
# export API (`GET /api/export/data.json`) in `api-docs.json` of the public `Iterable/api-client` repository
# (API version 1.8, commit 89d123baa436665173172cd92c87f3ad38dd7fed), less `user`, which exports profiles, not
# events. Fivetran's Iterable connector page lists the events its EVENT table holds by their display names
# ("Email Send", "InApp Send Skip", "Web Push Click", ...): all 33 are here (`FIVETRAN_LISTED_EVENTS`).
EVENT_TYPES = (
    "emailSend", "emailOpen", "emailClick", "hostedUnsubscribeClick", "emailComplaint", "emailBounce",
    "emailSendSkip", "pushSend", "pushOpen", "pushUninstall", "pushBounce", "pushSendSkip", "inAppSend",
    "inAppOpen", "inAppClick", "inAppClose", "inAppDelete", "inAppDelivery", "inAppSendSkip", "inAppRecall",
    "inboxSession", "inboxMessageImpression", "smsSend", "smsBounce", "smsClick", "smsReceived", "smsSendSkip",
    "webPushSend", "webPushClick", "webPushSendSkip", "rcsSend", "rcsSendSkip", "emailSubscribe",
    "emailUnSubscribe", "purchase", "customEvent", "smsUsageInfo", "embeddedSend", "embeddedSendSkip",
    "embeddedClick", "embeddedReceived", "embeddedImpression", "embeddedSession", "unknownSession", "journeyExit",
    "whatsAppBounce", "whatsAppClick", "whatsAppReceived", "whatsAppSeen", "whatsAppSend", "whatsAppSendSkip",
    "whatsAppUsageInfo",
)
# The events Fivetran's Iterable connector page says its EVENT table holds (its "Schema notes"), by type.
FIVETRAN_LISTED_EVENTS = frozenset({
    "customEvent", "emailSend", "emailSendSkip", "emailOpen", "emailClick", "emailUnSubscribe", "emailSubscribe",
    "emailBounce", "emailComplaint", "hostedUnsubscribeClick", "inAppSend", "inAppOpen", "inAppClick", "inAppClose",
    "inAppDelete", "inAppDelivery", "inAppSendSkip", "inboxMessageImpression", "inboxSession", "pushSend",
    "pushSendSkip", "pushBounce", "pushOpen", "pushUninstall", "purchase", "smsClick", "smsSend", "smsSendSkip",
    "smsBounce", "smsReceived", "webPushClick", "webPushSend", "webPushSendSkip",
})


class Table(NamedTuple):
    name: str
    primary_key: tuple[str, ...]
    columns: tuple[str, ...]  # every column, the primary key first

    @property
    def can_be_disabled(self) -> bool:
        return self.name not in REFERENCED_TABLES


TABLES = {name: Table(name, tuple(key.split()), (*key.split(), *others.split()))
          for name, (key, others) in _CATALOG.items()}


def table_locked_reason(table: Table) -> str | None:
    """Why the table cannot be disabled (None when it can)."""
    if table.can_be_disabled:
        return None
    return "other Iterable tables refer to it, so Fivetran keeps it enabled"


def column_locked_reason(table: Table, column: str) -> str | None:
    """Why the column can be neither blocked nor hashed (None when it can be both)."""
    if column in table.primary_key:
        return f"it is part of the primary key of {table.name}"
    if column.startswith("_fivetran_"):
        return "it is a column Fivetran itself writes"
    return None


def closest(name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The real name closest to a misspelled one, if any is close enough to suggest."""
    found = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def event_name_warnings(events: Sequence[object]) -> list[str]:
    """One warning for each name in `config.events` that is not one of Iterable's event types, naming it and the
    closest known type. Entries that are not strings (values not known yet) are skipped; custom events (the user's
    own names) belong in `config.custom_events`, which is never checked."""
    warnings = []
    for index, name in enumerate(events):
        if not isinstance(name, str) or name in EVENT_TYPES:
            continue
        nearest = difflib.get_close_matches(name, EVENT_TYPES, n=1, cutoff=0.0)[0]
        warnings.append(f"config.events[{index}]: '{name}' is not one of Iterable's event types; the closest known "
                        f"one is '{nearest}'. It is sent as written, since Iterable adds event types from time to "
                        "time; a custom event of yours belongs in config.custom_events")
    return warnings
