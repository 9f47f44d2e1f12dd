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
`connect_card_config` may go without an API key: the Iterable account owner enters it in a Connect Card,
whose link is the stack output `connect_card_uris` (a secret).

Every entry is checked before any resource is registered, with the provider's own offline rules, so one
`pulumi preview` reports every problem of every connection at once, without a Python traceback.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import json
import os
import re
from dataclasses import fields
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pulumi
from pulumi.runtime import rpc
from pulumi_fivetran_iterable import (
    DestinationGroup,
    IterableConnection,
    IterableConnectionArgs,
    IterableConnectionProvider,
)

PROJECT = pulumi.get_project()
STACK = pulumi.get_stack()
ENTRY_KEYS = {f.name for f in fields(IterableConnectionArgs)} | {"name", "group_name", "aliases"}
# The passphrase of the dev stack's dummy secrets, published in this repository (see stacks/Pulumi.dev.yaml).
DEV_PASSPHRASE = "dev-passphrase"
PLACEHOLDER_PREFIX = "REPLACE_WITH_"

config = pulumi.Config()
declared: Any = config.require_object("connections")
api_keys: pulumi.Output[dict[str, str]] = config.get_secret_object("apiKeys") or pulumi.Output.secret({})
# Which connections have a key, read without decrypting anything into the program's view.
names_with_keys = set(json.loads(pulumi.runtime.get_config(f"{PROJECT}:apiKeys") or "{}"))


# -- checking the stack config, all of it, before anything is registered ------------------------------------------


def stop(message: str) -> NoReturn:
    """End the program with one error and nothing registered: the message, no traceback, no second line.

    Exit status 32 tells the language host that the program has shown its error already (Pulumi's own
    convention); `pulumi.RunError` would add "the Python program exited with code 1" after it.
    """
    pulumi.log.error(message)
    raise SystemExit(32)


def refuse_the_dev_passphrase_for_a_real_account() -> None:
    """A stack that talks to a real Fivetran account must not keep its secrets under the published passphrase."""
    api_url = pulumi.Config("fivetran").get("apiUrl") or os.environ.get("FIVETRAN_API_URL") or "https://api.fivetran.com/v1"
    if is_loopback(api_url):
        return
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    passphrase_file = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if passphrase is None and passphrase_file and os.path.isfile(passphrase_file):
        with open(passphrase_file) as handle:
            passphrase = handle.read().strip()
    if passphrase == DEV_PASSPHRASE:
        stop(
            f"stack '{STACK}' talks to a real Fivetran account ({api_url}), but PULUMI_CONFIG_PASSPHRASE is this "
            f"repository's published dev passphrase, so its secrets (the Fivetran and Iterable keys) are encrypted "
            "with a passphrase anyone can read. Nothing was sent. Open a fresh shell (or `unset "
            "PULUMI_CONFIG_PASSPHRASE PULUMI_BACKEND_URL`), `pulumi login` to your own backend, create the stack "
            f"again with your secrets provider (`pulumi stack init {STACK} --secrets-provider ...`) and set its "
            "secrets again (docs/guide.md: A real Fivetran account)"
        )


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def placeholders(value: Any, path: str) -> list[str]:
    """Paths still holding the prod template's `REPLACE_WITH_...` values."""
    if isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX):
        return [f"{path} is still the template's placeholder '{value}'"]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in placeholders(item, f"{path}.{key}" if path else key)]
    return []


def entry_problems(entry: dict[str, Any]) -> list[str]:
    """What is wrong with one entry of `connections`: its own keys first, then the provider's rules."""
    problems = []
    for key in entry:
        if key not in ENTRY_KEYS:
            close = difflib.get_close_matches(key, sorted(ENTRY_KEYS), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"the known keys are {', '.join(sorted(ENTRY_KEYS))}"
            problems.append(f"unknown key '{key}'; {hint}")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        problems.append("aliases must be a list of the names this connection had before, e.g. [marketing]")
    if "group_id" in entry and "group_name" in entry:
        problems.append("set either group_id or group_name (looked up by name), not both")
    if "group_id" not in entry and "group_name" not in entry:
        problems.append("group_id is required; set the destination group's id, or group_name to look it up")
    found = placeholders({k: v for k, v in entry.items() if k != "name"}, "")
    if found:
        problems.extend(f"{p}: set your own value (group ids: Fivetran dashboard > Destinations, or GET /v1/groups)"
                        for p in found)
    name = entry["name"]
    settings = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    if "api_key" in settings:
        problems.append(f"put the Iterable API key in the secret config 'apiKeys.{name}' (pulumi config set --secret "
                        f"--path 'apiKeys.{name}' KEY), never in plain text in the stack file")
    elif name not in names_with_keys and not entry.get("connect_card_config") \
            and not entry.get("external_secrets_keys_config"):
        problems.append(f"no Iterable API key: set it with pulumi config set --secret --path 'apiKeys.{name}' KEY "
                        f"-s {STACK}, add connect_card_config so the account owner enters it, or name the secret "
                        "that holds it in your secrets manager (external_secrets_keys_config)")
    if problems:
        return problems
    # The provider's own rules, offline: a looked-up group id is not known yet, a key stands in for the secret.
    props = {k: v for k, v in entry.items() if k in ENTRY_KEYS - {"name", "group_name", "aliases"}}
    if "group_name" in entry:
        props["group_id"] = rpc.UNKNOWN
    if name in names_with_keys:
        props["config"] = {**settings, "api_key": "stands-for-the-secret-key"}
    failures = IterableConnectionProvider().check({}, props).failures
    return [failure.reason for failure in failures]  # each reads "<property path>: <what is wrong and the fix>"


def stack_problems(entries: Any) -> list[tuple[str | None, str]]:
    """Every problem of every entry, with the name of its connection (None for the list as a whole)."""
    if not isinstance(entries, list):
        return [(None, "it must be a list of connections (each with name, group_id or group_name, and config)")]
    problems: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            problems.append((None, f"entry {index + 1} has no `name` (the Pulumi resource name); give it one"))
            continue
        if name in seen:
            problems.append((name, "the name is used twice; each connection needs its own"))
        seen.add(name)
        problems.extend((name, problem) for problem in entry_problems(entry))
    return problems


def report(problems: list[tuple[str | None, str]]) -> None:
    """Stop the program with every problem listed: one error, no traceback."""
    names = {name for name, _ in problems if name is not None}
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    scope = f" in {len(names)} connection{'s' if len(names) > 1 else ''}" if names else ""
    lines = [f"  - connection '{name}': {problem}" if name else f"  - {problem}" for name, problem in problems]
    stop(f"stack config {PROJECT}:connections has {count}{scope}; nothing was changed:\n" + "\n".join(lines))


def warn_about_stray_keys(entries: list[dict[str, Any]]) -> None:
    """A key left behind by a removed connection still sits, encrypted, in the stack file."""
    for name in sorted(names_with_keys - {entry["name"] for entry in entries}):
        pulumi.log.warn(f"apiKeys.{name} belongs to no connection of this stack; if the connection was removed, "
                        f"delete its key too: pulumi config rm --path 'apiKeys.{name}' -s {STACK}")


# -- declaring the connections ------------------------------------------------------------------------------------

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


def declare(entry: dict[str, Any]) -> IterableConnection:
    entry = dict(entry)
    name = entry.pop("name")
    group_name = entry.pop("group_name", None)
    if group_name is not None:
        entry["group_id"] = group_lookup(group_name).group_id
    settings = dict(entry.pop("config", None) or {})
    if name in names_with_keys:
        settings["api_key"] = api_keys.apply(lambda keys: keys[name])
    # A renamed entry keeps managing the same connection when its old names are declared as aliases.
    options = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old) for old in entry.pop("aliases", None) or []])
    return IterableConnection(name, IterableConnectionArgs(config=settings, **entry), options)


refuse_the_dev_passphrase_for_a_real_account()
problems = stack_problems(declared)
if problems:
    report(problems)
warn_about_stray_keys(declared)

exports: dict[str, Any] = {}
card_links: dict[str, Any] = {}
for entry in declared:
    connection = declare(entry)
    exports[entry["name"]] = {
        "id": connection.connection_id,
        "setup_state": connection.status.apply(lambda s: (s or {}).get("setup_state")),
        "sync_state": connection.status.apply(lambda s: (s or {}).get("sync_state")),
        "webhook_endpoint": connection.webhook_endpoint,
    }
    if entry.get("connect_card_config"):
        card_links[entry["name"]] = connection.connect_card_uri

pulumi.export("connections", exports)
# The link the Iterable account owner opens to enter the key; whoever holds it can set the key, so: a secret.
pulumi.export("connect_card_uris", pulumi.Output.secret(card_links))
