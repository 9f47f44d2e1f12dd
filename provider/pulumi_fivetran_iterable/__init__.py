"""Fivetran connections of service `iterable`, as a Pulumi resource.

    from pulumi_fivetran_iterable import AccountRegion, IterableConnection, IterableConnectionArgs

    IterableConnection("marketing", IterableConnectionArgs(
        group_id="warehouse_main",
        config={"schema": "iterable_marketing", "api_key": key, "account_region": AccountRegion.EU},
    ))
"""

from .args import (
    ConnectCardConfigArgs,
    ConnectCardConfigArgsDict,
    DestinationConfigurationArgs,
    DestinationConfigurationArgsDict,
    IterableConfigArgs,
    IterableConfigArgsDict,
    IterableConnectionArgs,
)
from .enums import (
    AccountRegion,
    CustomEventSyncMode,
    DataDelaySensitivity,
    HistoricalSyncLimit,
    HistoricSyncTimeFrame,
    NetworkingMethod,
    ScheduleType,
    SetupTestPolicy,
    SyncMode,
)
from .group import DestinationGroup, DestinationGroupProvider
from .outputs import ConnectionStatus, IterableConfigOutputs, SetupTestResult
from .provider import IterableConnectionProvider
from .resource import IterableConnection
from .version import __version__

__all__ = [
    "AccountRegion",
    "ConnectCardConfigArgs",
    "ConnectCardConfigArgsDict",
    "ConnectionStatus",
    "CustomEventSyncMode",
    "DataDelaySensitivity",
    "DestinationConfigurationArgs",
    "DestinationConfigurationArgsDict",
    "DestinationGroup",
    "DestinationGroupProvider",
    "HistoricSyncTimeFrame",
    "HistoricalSyncLimit",
    "IterableConfigArgs",
    "IterableConfigArgsDict",
    "IterableConfigOutputs",
    "IterableConnection",
    "IterableConnectionArgs",
    "IterableConnectionProvider",
    "NetworkingMethod",
    "ScheduleType",
    "SetupTestPolicy",
    "SetupTestResult",
    "SyncMode",
    "__version__",
]
