"""The Pulumi program of the acceptance suite's throwaway project (copied there as `__main__.py`).

It declares what the current step wrote into `spec.json` beside it: one `IterableConnection` per entry,
with the entry's inputs as given. Iterable keys never sit in that file: they come from the environment
variable `ACCEPTANCE_ITERABLE_KEYS` (a JSON object, connection name to key), which only the CLI processes of the
run receive, and are handed to the resource as Pulumi secrets.

Per connection it exports what a step checks beside what Fivetran holds: the id, status, setup tests and a
few facts about the Connect Card link (never the link itself, which is a secret).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pulumi
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs


def card_facts(uri: str | None) -> dict[str, Any]:
    """What a step may know of a Connect Card link without seeing it: whether there is one, its host, and
    what it says about the setup guide."""
    if not uri:
        return {"present": False}
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    return {"present": True, "host": parts.hostname, "has_token": bool(query.get("auth")),
            "hide_setup_guide": next(iter(query.get("hide_setup_guide") or []), None)}


def declare(name: str, inputs: dict[str, Any], key: str | None) -> IterableConnection:
    inputs = json.loads(json.dumps(inputs))  # a private copy
    if key is not None:
        inputs.setdefault("config", {})["api_key"] = pulumi.Output.secret(key)
    connection = IterableConnection(name, IterableConnectionArgs(**inputs))
    pulumi.export(name, {
        "connection_id": connection.connection_id,
        "schema": connection.schema,
        "status": connection.status,
        "setup_tests": connection.setup_tests,
        "webhook_endpoint": connection.webhook_endpoint,
        "connect_card": pulumi.Output.unsecret(connection.connect_card_uri.apply(card_facts)),
    })
    return connection


spec = json.loads((Path(__file__).parent / "spec.json").read_text())
keys: dict[str, str] = json.loads(os.environ.get("ACCEPTANCE_ITERABLE_KEYS") or "{}")
for connection_name, connection_inputs in spec["connections"].items():
    declare(connection_name, connection_inputs, keys.get(connection_name))
