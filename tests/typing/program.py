"""A Pulumi program as a user writes one against the package: the type-check test runs `mypy --strict` on it
(it must pass) and on copies with one mistake each (each must be reported, naming the key or the value)."""

import pulumi
from pulumi_fivetran_iterable import (
    AccountRegion,
    ConnectionStatus,
    DestinationGroup,
    IterableConfigArgs,
    IterableConnection,
    IterableConnectionArgs,
    ScheduleArgs,
    SetupTestPolicy,
    SyncMode,
)

config = pulumi.Config()
warehouse = DestinationGroup("warehouse", name="Main warehouse")

marketing = IterableConnection(
    "marketing",
    IterableConnectionArgs(
        group_id=warehouse.group_id,
        sync_frequency=60,
        data_delay_sensitivity="HIGH",
        setup_test_policy=SetupTestPolicy.WARN,
        config={
            "schema": "iterable_marketing",
            "api_key": config.require_secret("iterableApiKey"),
            "account_region": AccountRegion.EU,
            "sync_mode": SyncMode.SELECTED_EVENTS,
            "events": ["emailSend", "emailOpen"],
            "historical_sync_limit": "DATE_LIMIT",
            "historical_sync_limit_date": "2024-01-01",
        },
        schedule={"schedule_type": "INTERVAL", "interval": 360, "days_of_week": ["MONDAY", "THURSDAY"]},
        schema_config={
            "schema_change_handling": "ALLOW_COLUMNS",
            "tables": {"list_user_history": {"enabled": False}},
        },
    ),
)

archive = IterableConnection(
    "archive",
    IterableConnectionArgs(
        group_id="warehouse_main",
        connect_card_config={"redirect_uri": "https://example.com/connected"},
        config=IterableConfigArgs(schema="iterable_archive", account_region="US"),
        schedule=ScheduleArgs(schedule_type="TIME_OF_DAY", time_of_day="03:00"),
    ),
)


def setup_state(status: ConnectionStatus) -> str:
    return status.get("setup_state", "unknown")


pulumi.export("webhook", marketing.webhook_endpoint)
pulumi.export("setup_state", marketing.status.apply(setup_state))
pulumi.export("frequency", marketing.sync_frequency.apply(lambda minutes: minutes * 60))
pulumi.export("card", archive.connect_card_uri)
