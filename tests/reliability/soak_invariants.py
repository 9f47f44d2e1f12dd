"""The soak's invariants about one connection and one CLI run, as pure checks of what Fivetran (the emulator),
the state and the CLI output say: no CLI, no emulator calls here (`soak.py` gathers what they read).

Each check raises a `Violation` naming what did not hold; none prints a key or a webhook secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.reliability.soak_plan import Entry

WITH_SECRET = ("Basic", "OAuth2")  # webhook auth types for which Fivetran issues a webhook secret
# The key sources the state may record for each way the program gives the key (`soak_plan.KEYS`).
RECORDED_SOURCES = {"declared": {"declared"}, "card": {"connect_card", "adopted"}, "working": {"secrets_manager"},
                    "failing": {"secrets_manager"}}
# A rollback the provider reports as complete (a partial one says what could not be put back instead).
ROLLED_BACK = r"so the change was rolled back|its previous settings were restored and"
# Pulumi's marker of a secret value in a checkpoint.
SECRET_SIG = "4dabf18193072939515e22adb298388d"

Connection = Mapping[str, Any]


class Violation(Exception):
    """An invariant that did not hold; `kind` groups violations when a history is shrunk."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def setup_state(connection: Connection) -> Any:
    return (connection.get("status") or {}).get("setup_state")


def plain(value: Any) -> Any:
    """An exported output as the program sees it: `export --show-secrets` keeps a secret as an object whose
    `plaintext` is the value's JSON."""
    if isinstance(value, dict) and "plaintext" in value and SECRET_SIG in value:
        return json.loads(value["plaintext"])
    return value


def rollbacks_hold(before: Mapping[str, Connection], after: Mapping[str, Connection], text: str) -> int:
    """Each connection an `up`'s output reports rolled back is as it was before that `up`: working if it
    worked, its key read from where it was, its webhook auth type and secret unchanged (a rollback never rotates
    the secret). How many were reported."""
    reported = 0
    for cid, was in before.items():
        if not re.search(rf"connection '{re.escape(cid)}'[^\n]*({ROLLED_BACK})", text):
            continue
        reported += 1
        now = after.get(cid)
        if now is None:
            raise Violation("rollback", f"connection {cid} was reported rolled back, and is gone")
        if setup_state(was) == "connected" and setup_state(now) != "connected":
            raise Violation("rollback", f"connection {cid} was reported rolled back, but its setup state is "
                                        f"{setup_state(now)} (it was connected)")
        for name in ("external_secrets_manager_id", "external_secrets_keys_config"):
            if was.get(name) != now.get(name):
                raise Violation("rollback", f"connection {cid} was reported rolled back, but {name} is "
                                            f"{now.get(name)} (it was {was.get(name)})")
        for name in ("webhook_auth_type", "webhook_secret"):  # compared, never printed
            if was["config"].get(name) != now["config"].get(name):
                raise Violation("rollback", f"connection {cid} was reported rolled back, but its config.{name} "
                                            "changed")
    return reported


def replacements_warned(text: str, replaced: Mapping[str, str]) -> int:
    """A preview that replaces connections (name -> id) warns on each that it is replaced; how many."""
    for name, cid in sorted(replaced.items()):
        if not re.search(rf"warning: connection '{re.escape(cid)}' \(schema '[^']*'\) is replaced because", text):
            raise Violation("replacement warning", f"{name}: the preview did not warn that connection {cid} is "
                                                   f"replaced\n{text[-3000:]}")
    return len(replaced)


def connection_matches(name: str, entry: Entry, live: Connection | None, outputs: Mapping[str, Any],
                       held_schema_config: Callable[[str, dict[str, Any]], Any]) -> None:
    """A declared connection exists with the declared settings; Fivetran holds the declared schema config
    (`held_schema_config(id, declared)` projects it); its key works when the program's does; the state records
    where its key comes from, and the webhook secret Fivetran holds."""
    if live is None:
        raise Violation("missing", f"{name} ({entry.group}/{entry.schema}) is not in Fivetran")
    want = {"sync_frequency": entry.sync_frequency, "paused": entry.paused,
            "webhook_auth_type": entry.auth or "NoAuth", "destination_schema_names": entry.born,
            "external_secrets_keys_config": {"api_key": entry.secret[1]} if entry.secret else None,
            "external_secrets_manager_id": entry.secret[0] if entry.secret else None}
    got = {key: live.get(key, live["config"].get(key)) for key in want}
    if got != want:
        raise Violation("settings", f"{name}: Fivetran holds {got}, the program declares {want}")
    events = live["config"].get("events") if live["config"].get("sync_mode") == "SelectedEvents" else None
    if sorted(events or []) != sorted(entry.events or []):
        raise Violation("settings", f"{name}: events {events} != {entry.events}")
    if entry.healthy and setup_state(live) != "connected":
        raise Violation("setup state", f"{name}: its key works, but Fivetran's setup state is {setup_state(live)}")
    if outputs.get("key_source") not in RECORDED_SOURCES[entry.key]:
        raise Violation("key source", f"{name}: the state records key_source {outputs.get('key_source')}, the "
                                      f"program gives the key as {entry.key}")
    webhook_secret_matches(name, entry, live, outputs)
    declared = entry.declared_schema_config()
    if declared is not None:
        canonical = {"tables": {t: {"enabled": s.get("enabled", True), **({"columns": {
            c: {"enabled": True, "hashed": True} for c in s["columns"]}} if "columns" in s else {})}
            for t, s in declared["tables"].items()}}
        held = held_schema_config(live["id"], canonical)
        if held != canonical:
            raise Violation("schema config", f"{name}: Fivetran holds {held}, the program declares {canonical}")


def webhook_secret_matches(name: str, entry: Entry, live: Connection, outputs: Mapping[str, Any]) -> None:
    """The secret registered in Iterable (the state's output) is the one Fivetran checks; neither is printed."""
    held, recorded = live["config"].get("webhook_secret"), outputs.get("webhook_secret")
    if (entry.auth or "NoAuth") in WITH_SECRET:
        if not held or recorded != held:
            what = "is missing from the state" if not recorded else "differs from the one Fivetran holds"
            raise Violation("webhook secret", f"{name}: with {entry.auth}, the webhook_secret output {what}")
    elif held or recorded:
        raise Violation("webhook secret", f"{name}: with NoAuth, a webhook secret is still held "
                                          f"({'by Fivetran' if held else 'in the state'})")
