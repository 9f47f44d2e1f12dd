"""Regression check of the benchmark's cheap figures (the full benchmark is `python -m bench.run`).

- Requests per operation, through the provider against the emulator, with the exact requests the
  benchmark's overhead figures are measured on: create, read, update and delete send one request each
  (a create posts; it looks anything up only when Fivetran refuses or the reply is lost).
- Schema config: a create with one sends three requests (two when declared paused), any change one, a
  refresh two, a re-sync one, a preview none.
- A `pulumi preview` of an unchanged stack sends one GET per connection (the project's refresh) and
  nothing else, and with `--refresh=false` no request at all (marked `cli`: real CLI).
"""

from __future__ import annotations

import pytest

from bench.overhead import make_provider, requests_per_operation
from bench.schema import requests_per_schema_operation
from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection

EXPECTED = {
    "create": ["POST /v1/connections"],
    "read": ["GET /v1/connections/{id}"],
    "update": ["PATCH /v1/connections/{id}"],
    "delete": ["DELETE /v1/connections/{id}"],
}


def test_requests_per_operation(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    before = provider.client.request_count
    sent = requests_per_operation(provider)
    connection_id = sent["read"][0].path.rsplit("/", 1)[1]
    described = {op: [s.describe().replace(connection_id, "{id}") for s in requests] for op, requests in sent.items()}
    assert described == EXPECTED
    # The client's own count agrees (no request escaped the recording), and so does the emulator's log.
    assert provider.client.request_count - before == sum(len(r) for r in EXPECTED.values())
    assert len(emulator.requests()) == sum(len(r) for r in EXPECTED.values())
    assert emulator.connections() == []


def test_requests_per_schema_operation(emulator: Emulator) -> None:
    sent = requests_per_schema_operation(emulator)["requests"]
    assert {operation: len(requests) for operation, requests in sent.items()} == {
        "create with a full schema config": 3, "create with a full schema config, declared paused": 2,
        "change one column": 1, "change every column (111 items)": 1, "refresh": 2, "re-sync of one table": 1,
        "no change (preview)": 0}
    assert sent["change every column (111 items)"] == ["PATCH /connections/{id}/schemas"]


@pytest.mark.cli
def test_noop_preview_only_reads(tmp_path, emulator: Emulator) -> None:
    project = StackProject.create(tmp_path, emulator)
    connections = [connection(f"noop-{i}", sync_frequency=360) for i in range(3)]
    project.declare_many(connections, {c["name"]: f"itbl-key-{c['name']}" for c in connections})
    project.up().check()
    assert len(emulator.connections()) == 3
    ids = sorted(c["id"] for c in emulator.connections())
    logged = len(emulator.requests())
    preview = project.preview().check()
    assert "4 unchanged" in preview.stdout, preview.transcript()
    # The project refreshes first: one GET per connection, nothing else; without the refresh, nothing at all.
    assert sorted((r["method"], r["path"]) for r in emulator.requests()[logged:]) == [
        ("GET", f"/v1/connections/{connection_id}") for connection_id in ids]
    logged = len(emulator.requests())
    project.preview("--refresh=false").check()
    assert emulator.requests()[logged:] == []
