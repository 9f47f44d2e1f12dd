"""The stack program: declares the Iterable connections of the selected stack from its config.

Stack config (see stacks/Pulumi.dev.yaml for a full example):

    iterable-connections:connections:      # one entry per connection
      - name: marketing-us                 # the Pulumi resource name
        group_id: warehouse_main           # or group_name: "EU warehouse" (looked up, see below)
        sync_frequency: 60                 # any input of IterableConnectionArgs
        config: {schema: iterable_marketing_us, account_region: US, ...}
        aliases: [marketing]               # optional: names this connection had before (a rename)
    iterable-connections:apiKeys:          # secret: one Iterable API key per connection name
      marketing-us: {secure: ...}          # pulumi config set --secret --path 'apiKeys.marketing-us' KEY

A connection that names its group by `group_name` gets its `group_id` from a `DestinationGroup` lookup, an
output of another resource, as infrastructure code usually passes ids around. A connection with
`connect_card_config` may go without an API key: the Iterable account owner enters it in a Connect Card.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import fields
from typing import Any

import pulumi
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs
from pulumi_fivetran_iterable.group import DestinationGroup

PROJECT = pulumi.get_project()
ARG_NAMES = {f.name for f in fields(IterableConnectionArgs)}
ENTRY_KEYS = ARG_NAMES | {"name", "group_name", "aliases"}

config = pulumi.Config()
declared: list[dict[str, Any]] = config.require_object("connections")
api_keys: pulumi.Output[dict[str, str]] = config.get_secret_object("apiKeys") or pulumi.Output.secret({})
# Which connections have a key, read without decrypting anything into the program's view.
names_with_keys = set(json.loads(pulumi.runtime.get_config(f"{PROJECT}:apiKeys") or "{}"))


def entry_error(name: str, problem: str) -> ValueError:
    return ValueError(f"stack config {PROJECT}:connections, connection '{name}': {problem}")


def check_entry(entry: dict[str, Any]) -> str:
    """The entry's name, after refusing what IterableConnectionArgs would not say clearly."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"stack config {PROJECT}:connections: every entry needs a `name` (the resource name)")
    for key in entry:
        if key not in ENTRY_KEYS:
            close = difflib.get_close_matches(key, sorted(ENTRY_KEYS), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"the known keys are {', '.join(sorted(ENTRY_KEYS))}"
            raise entry_error(name, f"unknown key '{key}'; {hint}")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise entry_error(name, "aliases must be a list of the names this connection had before, e.g. [marketing]")
    if "group_id" in entry and "group_name" in entry:
        raise entry_error(name, "set either group_id or group_name (looked up by name), not both")
    if "api_key" in (entry.get("config") or {}):
        raise entry_error(name, f"put the Iterable API key in the secret config 'apiKeys.{name}' (pulumi config "
                                f"set --secret --path 'apiKeys.{name}' KEY), never in plain text in the stack file")
    if name not in names_with_keys and not entry.get("connect_card_config"):
        raise entry_error(name, f"no Iterable API key: set it with pulumi config set --secret --path "
                                f"'apiKeys.{name}' KEY, or add connect_card_config so the account owner enters it")
    return name


groups: dict[str, DestinationGroup] = {}


def group_lookup(group_name: str) -> DestinationGroup:
    """One lookup per distinct group name, with a resource name that no other group name maps to."""
    if group_name not in groups:
        slug = re.sub(r"[^a-z0-9]+", "-", group_name.lower()).strip("-") or "group"
        resource_name = f"group-{slug}"
        taken = {g.pulumi_resource_name for g in groups.values()}
        if resource_name in taken:
            resource_name += "-" + hashlib.sha256(group_name.encode()).hexdigest()[:8]
        groups[group_name] = DestinationGroup(resource_name, name=group_name)
    return groups[group_name]


exports: dict[str, Any] = {}
for entry in declared:
    entry = dict(entry)
    name = check_entry(entry)
    del entry["name"]
    group_name = entry.pop("group_name", None)
    if group_name is not None:
        entry["group_id"] = group_lookup(group_name).group_id
    settings = dict(entry.pop("config", None) or {})
    if name in names_with_keys:
        settings["api_key"] = api_keys.apply(lambda keys, n=name: keys[n])
    # A renamed entry keeps managing the same connection when its old names are declared as aliases.
    options = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old) for old in entry.pop("aliases", None) or []])
    connection = IterableConnection(name, IterableConnectionArgs(config=settings, **entry), options)
    exports[name] = {
        "id": connection.connection_id,
        "setup_state": connection.status.apply(lambda s: (s or {}).get("setup_state")),
        "sync_state": connection.status.apply(lambda s: (s or {}).get("sync_state")),
        "webhook_endpoint": connection.webhook_endpoint,
    }

pulumi.export("connections", exports)
