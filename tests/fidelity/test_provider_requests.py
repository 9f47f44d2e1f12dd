"""The provider's own schema-config and re-sync request bodies against Fivetran's OpenAPI definition: what the
emulator accepts, the spec must accept too (the emulator is checked against the spec's answers in
`test_openapi.py`; these are the requests)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_fivetran_iterable import schema_config

from bench.schema import full_declaration
from tests.fidelity import openapi

SCHEMAS = "/v1/connections/{connectionId}/schemas"
RESYNC = "/v1/connections/{connectionId}/resync"
BLOCKED = {"tables": {"list_user_history": {"enabled": False},
                      "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}}


def request_schema(method: str, path: str) -> dict[str, Any]:
    body = openapi.operation(method, path)["requestBody"]
    return openapi.to_json_schema(body["content"]["application/json"]["schema"])


def canonical_full() -> dict[str, Any]:
    declared = full_declaration()
    return {"schema_change_handling": declared["schema_change_handling"], "tables": {
        name: {"enabled": table["enabled"], "columns": table["columns"]} for name, table in declared["tables"].items()}}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(("held", "declared"), [
    (None, BLOCKED), (None, {"schema_change_handling": "BLOCK_ALL"}), (BLOCKED, {**BLOCKED, "tables": {
        **BLOCKED["tables"], "list_user_history": {"enabled": True}}}), (None, "full")],
    ids=["pre-create", "handling only", "one change", "every table and column"])
def test_schema_config_bodies_satisfy_the_spec(method: str, held: Any, declared: Any) -> None:
    declared = canonical_full() if declared == "full" else declared
    body = schema_config.pre_create_body(declared) if method == "POST" else schema_config.changes(held, declared)
    assert body
    assert openapi.violations(request_schema(method, SCHEMAS), body) == []


@pytest.mark.parametrize("resync", [{"trigger": "x"}, {"trigger": "x", "tables": ["event", "list_user_history"]}],
                         ids=["whole connection", "tables"])
def test_resync_bodies_satisfy_the_spec(resync: dict[str, Any]) -> None:
    assert openapi.violations(request_schema("POST", RESYNC), schema_config.resync_body(resync)) == []
