"""`IterableConnection`: the resource a Pulumi program declares.

Its type is `pulumi-python:dynamic/fivetran:IterableConnection`; the work happens in
`IterableConnectionProvider`, which the engine runs in its own process.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.dynamic as dynamic

from .args import IterableConnectionArgs

if TYPE_CHECKING:
    from .outputs import (
        ConnectCardConfigOutputs,
        ConnectionStatus,
        DestinationConfigurationOutputs,
        ExternalSecretsKeysConfigOutputs,
        IterableConfigOutputs,
        ResyncOutputs,
        ScheduleOutputs,
        SchemaConfigOutputs,
        SetupTestResult,
    )
from .provider import COMPUTED_OUTPUTS, SECRET_OUTPUTS, IterableConnectionProvider


class IterableConnection(dynamic.Resource, module="fivetran", name="IterableConnection"):
    """A Fivetran connection of service `iterable`.

    Every input is also an output (with Fivetran's defaults filled in), beside what Fivetran computes.
    """

    # Computed by Fivetran.
    connection_id: pulumi.Output[str]
    service: pulumi.Output[str]
    service_version: pulumi.Output[int]
    schema: pulumi.Output[str]
    connected_by: pulumi.Output[str]
    created_at: pulumi.Output[str]
    succeeded_at: pulumi.Output[str | None]
    failed_at: pulumi.Output[str | None]
    webhook_endpoint: pulumi.Output[str]
    project_type: pulumi.Output[str | None]
    connect_card_uri: pulumi.Output[str | None]
    webhook_secret: pulumi.Output[str | None]
    # The inputs, echoed.
    group_id: pulumi.Output[str]
    paused: pulumi.Output[bool]
    pause_after_trial: pulumi.Output[bool]
    sync_frequency: pulumi.Output[int]
    schedule_type: pulumi.Output[str]
    daily_sync_time: pulumi.Output[str | None]
    data_delay_sensitivity: pulumi.Output[str]
    data_delay_threshold: pulumi.Output[int | None]
    trust_certificates: pulumi.Output[bool]
    trust_fingerprints: pulumi.Output[bool]
    run_setup_tests: pulumi.Output[bool]
    networking_method: pulumi.Output[str]
    proxy_agent_id: pulumi.Output[str | None]
    private_link_id: pulumi.Output[str | None]
    hybrid_deployment_agent_id: pulumi.Output[str | None]
    destination_schema_names: pulumi.Output[str | None]
    external_secrets_manager_id: pulumi.Output[str | None]
    adopt_existing: pulumi.Output[bool]
    setup_test_policy: pulumi.Output[str]
    # Structured outputs: type checkers see their keys; at runtime Pulumi must see plain dicts (it would
    # try to build any other class it finds here from the engine's values).
    if TYPE_CHECKING:
        status: pulumi.Output[ConnectionStatus]
        setup_tests: pulumi.Output[list[SetupTestResult]]
        config: pulumi.Output[IterableConfigOutputs]
        destination_configuration: pulumi.Output[DestinationConfigurationOutputs | None]
        connect_card_config: pulumi.Output[ConnectCardConfigOutputs | None]
        external_secrets_keys_config: pulumi.Output[ExternalSecretsKeysConfigOutputs | None]
        schedule: pulumi.Output[ScheduleOutputs | None]
        schema_config: pulumi.Output[SchemaConfigOutputs | None]
        resync: pulumi.Output[ResyncOutputs | None]
    else:
        status: pulumi.Output[dict[str, Any]]
        setup_tests: pulumi.Output[list[dict[str, Any]]]
        config: pulumi.Output[dict[str, Any]]
        destination_configuration: pulumi.Output[dict[str, Any] | None]
        connect_card_config: pulumi.Output[dict[str, Any] | None]
        external_secrets_keys_config: pulumi.Output[dict[str, Any] | None]
        schedule: pulumi.Output[dict[str, Any] | None]
        schema_config: pulumi.Output[dict[str, Any] | None]
        resync: pulumi.Output[dict[str, Any] | None]

    def __init__(self, resource_name: str, args: IterableConnectionArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {name: None for name in COMPUTED_OUTPUTS}
        # Every input becomes an output attribute too, so a program can read back what it declared.
        props.update({f.name: None for f in fields(IterableConnectionArgs)})
        props.update(args.to_props())
        # The Connect Card URI lets whoever holds it set the connection's key, and the webhook secret lets
        # whoever holds it post events as Iterable: keep both encrypted.
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
        super().__init__(IterableConnectionProvider(), resource_name, props,
                         pulumi.ResourceOptions.merge(opts, secret_outputs))
