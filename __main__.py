"""The stack program: declares the Iterable connections of the selected stack from its config.

Stack config (see stacks/Pulumi.dev.yaml for a full example):

    iterable-connections:connections:      # one entry per connection
      - name: marketing-us                 # the Pulumi resource name
        group_id: warehouse_main           # or group_name: "EU warehouse" (looked up, see below)
        sync_frequency: 60                 # any input of IterableConnectionArgs
        config: {schema: iterable_marketing_us, account_region: US, ...}
    iterable-connections:apiKeys:          # secret: one Iterable API key per connection name
      marketing-us: {secure: ...}          # pulumi config set --secret --path 'apiKeys.marketing-us' KEY

A connection that names its group by `group_name` gets its `group_id` from a `DestinationGroup` lookup, an
output of another resource, as infrastructure code usually passes ids around.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provider import IterableConnection, IterableConnectionArgs
from provider.group import DestinationGroup

config = pulumi.Config()
declared: list[dict[str, Any]] = config.require_object("connections")
api_keys = config.get_secret_object("apiKeys") or pulumi.Output.secret({})

groups: dict[str, DestinationGroup] = {}
exports: dict[str, Any] = {}

for entry in declared:
    entry = dict(entry)
    name = entry.pop("name")
    group_name = entry.pop("group_name", None)
    if group_name is not None:
        if group_name not in groups:
            groups[group_name] = DestinationGroup(f"group-{group_name.lower().replace(' ', '-')}", name=group_name)
        entry["group_id"] = groups[group_name].group_id
    settings = dict(entry.pop("config", {}))
    if "api_key" in settings:
        raise ValueError(f"connection '{name}': put the Iterable API key in the secret config "
                         f"'apiKeys.{name}' (pulumi config set --secret --path 'apiKeys.{name}' KEY), "
                         "never in plain text in the stack file")
    settings["api_key"] = api_keys.apply(lambda keys, n=name: keys.get(n))
    connection = IterableConnection(name, IterableConnectionArgs(config=settings, **entry))
    exports[name] = {
        "id": connection.connection_id,
        "setup_state": connection.status.apply(lambda s: (s or {}).get("setup_state")),
        "sync_state": connection.status.apply(lambda s: (s or {}).get("sync_state")),
        "webhook_endpoint": connection.webhook_endpoint,
    }

pulumi.export("connections", exports)
