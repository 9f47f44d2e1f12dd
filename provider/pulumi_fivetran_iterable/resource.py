"""`IterableConnection`: the resource a Pulumi program declares.

Its type is `pulumi-python:dynamic/fivetran:IterableConnection`; the work happens in
`IterableConnectionProvider`, which the engine runs in its own process.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from .program_check import check_declared
from .provider import COMPUTED_OUTPUTS, SECRET_OUTPUTS, IterableConnectionProvider
from .registration import register_dynamic


class IterableConnection(dynamic.Resource, module="fivetran", name="IterableConnection"):
    """A Fivetran connection of service `iterable`.

    Every input is also an output (with Fivetran's defaults filled in), beside what Fivetran computes.
    """

    # The attributes' types are for type checkers only. At runtime Pulumi evaluates a resource class's
    # annotations for every resource it registers (a fifth of a program's time at 300 connections), and it must
    # see the structured outputs as plain dicts anyway (it would try to build any other class it finds here).
    if TYPE_CHECKING:
        # Computed by Fivetran.
        connection_id: pulumi.Output[str]
        """Fivetran's id of the connection (also the resource's id)."""
        service: pulumi.Output[str]
        """Always `iterable`."""
        service_version: pulumi.Output[int]
        """The version of Fivetran's Iterable connector that the connection runs."""
        schema: pulumi.Output[str]
        """The destination schema, as Fivetran names the connection's schema (`config.schema`)."""
        connected_by: pulumi.Output[str]
        """The id of the Fivetran user (or API key) that created the connection."""
        created_at: pulumi.Output[str]
        """When Fivetran created the connection (RFC 3339, UTC)."""
        succeeded_at: pulumi.Output[str | None]
        """When the last sync succeeded, if one has."""
        failed_at: pulumi.Output[str | None]
        """When the last sync failed, if one has."""
        webhook_endpoint: pulumi.Output[str]
        """The URL to register in Iterable (Integrations > System Webhooks), so events reach Fivetran as they happen."""
        project_type: pulumi.Output[str | None]
        """The Iterable project's type, as Fivetran reads it (read-only)."""
        connect_card_uri: pulumi.Output[str | None]
        """The Connect Card's link, for the Iterable account owner to enter the key (a secret: whoever holds it can set
        the key). Only with `connect_card_config`."""
        webhook_secret: pulumi.Output[str | None]
        """The secret Iterable's System Webhook authenticates with (a secret). Only with `config.webhook_auth_type`
        `Basic` or `OAuth2`."""
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
        status: pulumi.Output[ConnectionStatus]
        """Where the connection stands in Fivetran."""
        setup_tests: pulumi.Output[list[SetupTestResult]]
        """The setup tests of the last run that had any: each one's title, status and message."""
        config: pulumi.Output[IterableConfigOutputs]
        destination_configuration: pulumi.Output[DestinationConfigurationOutputs | None]
        connect_card_config: pulumi.Output[ConnectCardConfigOutputs | None]
        external_secrets_keys_config: pulumi.Output[ExternalSecretsKeysConfigOutputs | None]
        schedule: pulumi.Output[ScheduleOutputs | None]
        schema_config: pulumi.Output[SchemaConfigOutputs | None]
        resync: pulumi.Output[ResyncOutputs | None]

    def __init__(self, resource_name: str, args: IterableConnectionArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        declared = args.to_props()
        # Every problem of every connection in one preview: the engine stops at the first failed check.
        check_declared(f"pulumi-python:{type(self)._resource_type_name}", resource_name, declared, opts)
        # Output attributes: what Fivetran computes, and the declared inputs (read back as the state holds them).
        # An input left out is not registered: Pulumi makes several Output objects and tasks per registered
        # property, which with every input registered was a third of a program's time. It reads as its default
        # (see `__getattr__`).
        props: dict[str, Any] = {name: None for name in COMPUTED_OUTPUTS}
        props.update(declared)
        self._declared_inputs = declared
        # The Connect Card URI lets whoever holds it set the connection's key, and the webhook secret lets
        # whoever holds it post events as Iterable: keep both encrypted.
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
        register_dynamic(self, IterableConnectionProvider, resource_name, props,
                         pulumi.ResourceOptions.merge(opts, secret_outputs))
        if isinstance(_declared_key(args), str):
            pulumi.log.warn(PLAIN_KEY_WARNING, resource=self)

    def __getattr__(self, name: str) -> Any:
        """An input the program left out: its default, as the provider fills it in for this connection."""
        if name.startswith("_") or name not in _INPUT_NAMES:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return pulumi.Output.from_input(_default_of(name, self.__dict__.get("_declared_inputs") or {}))


_INPUT_NAMES = frozenset(f.name for f in fields(IterableConnectionArgs))

PLAIN_KEY_WARNING = (
    "config.api_key is a plain string, not a Pulumi secret: the provider stores it encrypted in the state, but "
    "where it came from may hold it in plain text (a stack config value set without --secret sits in "
    "Pulumi.<stack>.yaml as it is). Store it with `pulumi config set --secret <name> <key>` and read it with "
    "`pulumi.Config().require_secret(\"<name>\")`, or pass any secret Output"
)


def _declared_key(args: IterableConnectionArgs) -> Any:
    """The Iterable key as the program passed it (before `to_props` makes it secret), when there is one to see."""
    config = args.config
    if isinstance(config, Mapping):
        return config.get("api_key")
    return getattr(config, "api_key", None)


def _default_of(name: str, declared: dict[str, Any]) -> Any:
    """The canonical value of an input left out, given the declared ones that are plain values (a default may
    depend on them: `daily_sync_time` is 00:00 only with daily syncs). Imports the rules on first use."""
    from pulumi.output import Output

    from .validation import check_inputs

    known = {key: value for key, value in declared.items() if not isinstance(value, Output)}
    known.setdefault("group_id", "unknown")
    config = known.get("config")
    known["config"] = {"schema": "unknown", "api_key": "unknown",
                       **({k: v for k, v in config.items() if not isinstance(v, Output)}
                          if isinstance(config, dict) else {})}
    inputs, _errors = check_inputs(known, lambda value: False)
    return inputs.get(name)
