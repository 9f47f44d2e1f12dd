"""A Pulumi program as a user writes one against the package: the type-check test runs `mypy --strict` on it
(it must pass) and on a copy with two mistakes (each must be reported)."""

import pulumi
from pulumi_fivetran_iterable import (
    AccountRegion,
    ConnectionStatus,
    DestinationGroup,
    IterableConfigArgs,
    IterableConnection,
    IterableConnectionArgs,
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
    ),
)

archive = IterableConnection(
    "archive",
    IterableConnectionArgs(
        group_id="warehouse_main",
        connect_card_config={"redirect_uri": "https://example.com/connected"},
        config=IterableConfigArgs(schema="iterable_archive", account_region="US"),
    ),
)


def setup_state(status: ConnectionStatus) -> str:
    return status.get("setup_state", "unknown")


pulumi.export("webhook", marketing.webhook_endpoint)
pulumi.export("setup_state", marketing.status.apply(setup_state))
pulumi.export("frequency", marketing.sync_frequency.apply(lambda minutes: minutes * 60))
pulumi.export("card", archive.connect_card_uri)
