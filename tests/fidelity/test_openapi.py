"""The emulator against Fivetran's own OpenAPI definition: every answer it gives is checked against a schema
no one here wrote.

`open-api-spec.json.gz` is Fivetran's published spec (see SOURCE.md); `openapi.py` turns its response schemas into
strict JSON Schema (every `required`, every type, `null` only where declared), after the `SPEC_DEFECTS` patches,
each named and evidenced, each tested to still be needed.

1. Every operation the emulator serves (read from its werkzeug routing map, so a new route cannot slip by) must
   have a counterpart in the spec and a recipe here; the recipe sets up what the operation needs and sends one or
   more requests; each answer must have the spec's success status and satisfy the spec's schema for it, envelope
   and `data`. Connection answers are checked against the `iterable` variant the spec's discriminator maps
   `service` to. The legacy `/v1/connectors/...` spelling runs the same recipe against the same spec operation.
   A few error answers are checked too: their status must be one the spec declares for the operation, their body
   the error shape the spec documents.
2. The spec's own request-body examples for the operations served are sent to the emulator: one for service
   `iterable` or a service-independent one must be accepted and its answer must satisfy the schema; one for
   another service must be refused with 400 naming that service.
   Request examples found (spec commit 4a7e50e, 2026-06-30), per served operation:
     PATCH /v1/connections/{connectionId}/state: `update_connection_state_request`
       (`{"state": {"cursor": "2024-01-01T00:00:00Z"}}`, service-independent)
     POST /v1/connections/{connectionId}/schemas: `pre_create_schema_config_request`
     PATCH /v1/connections/{connectionId}/schemas: `modify_schema_config_request`
       (both name the schema, table and column with placeholders: `PLACEHOLDER_NAMES` puts Iterable's in)
   No other served operation documents a request example (POST /v1/connections has none in this version).

Where the emulator disagrees with the spec and the spec is right, the case is an `xfail(strict=True)` pinned to
exactly the known violations (`EMULATOR_BUGS`): any other violation fails the test outright, and a fix makes it
XPASS, which fails too, so the entry is removed.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from fivetran_emulator.app import EmulatorApp, Settings
from fivetran_emulator.store import Store
from tests.fidelity import openapi
from tests.support.emulator import Emulator, start_emulator

GROUP = "warehouse_main"
KEY = "itk_fidelity_0123456789"
LEGACY_KIND = "<any(connections, connectors):kind>"


# -- what the emulator serves, and where the spec has it ---------------------------------------------------------
def served_rules() -> list[tuple[str, str]]:
    """(METHOD, werkzeug rule) for every `/v1` operation the emulator's app routes, read from the app itself."""
    store = Store(None)
    try:
        app = EmulatorApp(store, Settings(groups=[(GROUP, "Main")], create_limit=None))
        return sorted({(method, rule.rule) for rule in app.routes.iter_rules()
                       for method in rule.methods or () if method not in ("HEAD", "OPTIONS")})
    finally:
        store.close()


def _shape(path: str) -> tuple[str, ...]:
    return tuple("*" if re.fullmatch(r"\{[^}]+\}|<[^>]+>", segment) else segment for segment in path.split("/"))


def spec_counterpart(method: str, rule: str) -> str | None:
    """The spec path template of the operation a rule serves (the legacy `connectors` spelling is `connections`)."""
    shape = _shape(rule.replace(LEGACY_KIND, "connections"))
    found = [path for m, path, _ in openapi.operations() if m == method and _shape(path) == shape]
    if len(found) > 1:
        raise AssertionError(f"{method} {rule} matches several spec paths: {found}")
    return found[0] if found else None


def canonical(method: str, rule: str) -> str:
    """`METHOD path`: the spec's path template when the spec has the operation, else the rule's own."""
    path = spec_counterpart(method, rule)
    if path is None:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.replace(LEGACY_KIND, "connections"))
    return f"{method} {path}"


@dataclass(frozen=True)
class EmulatorOnly:
    """A served operation the spec does not document, why it is served, and what spec operation it stands for:
    one of the current spec's, or (`legacy`) one the 2023-06 definition still documents."""

    reason: str
    validate_as: tuple[str, str]
    legacy: bool = False


_LEGACY_METADATA = ("A legacy source metadata endpoint, dropped from the spec after 2023-06 but still called by "
                    "clients: Airflow's Fivetran provider (`FivetranHook.get_metadata`) reads `tables` and `columns` "
                    "for lineage, and go-fivetran had a service for each until v1.x. Checked against the 2023-06 "
                    "definition that documents it (open-api-spec-2023-06.json.gz, see SOURCE.md).")


EMULATOR_ONLY: dict[str, EmulatorOnly] = {
    "POST /v1/connections/{connection_id}/force": EmulatorOnly(
        reason="The legacy sync endpoint. Fivetran's own Go SDK (go-fivetran v1.3.5, connections/connection_sync.go, "
        "pinned by the Terraform provider that publishes this spec) still sends `POST /connections/{id}/force` "
        "with no body; no version of the spec (2023-06 to 2026-06) documents it, only its successor `/sync`. "
        "Its answer is checked against the `/sync` operation's schema.",
        validate_as=("POST", "/v1/connections/{connectionId}/sync"),
    ),
    "POST /v1/connections/{connection_id}/schemas/{schema}/tables/{table}/resync": EmulatorOnly(
        reason="The per-table re-sync that go-fivetran v1.3.5's `ResyncTable` (connections/"
        "connection_resync_table.go) still sends, with no body, expecting 200 and `{code, message}`; the spec "
        "documents only its successor for several tables, `POST .../schemas/tables/resync`, whose answer schema it "
        "is checked against.",
        validate_as=("POST", "/v1/connections/{connectionId}/schemas/tables/resync"),
    ),
    **{f"GET /v1/metadata/connectors/{{connection_id}}/{what}": EmulatorOnly(
        reason=_LEGACY_METADATA, validate_as=("GET", f"/v1/metadata/connectors/{{connectorId}}/{what}"), legacy=True)
       for what in ("schemas", "tables", "columns")},
}


@dataclass(frozen=True)
class Case:
    key: str  # canonical `METHOD path`
    method: str
    spelling: str | None  # "connections" / "connectors" for rules served under both, else None

    @property
    def id(self) -> str:
        return self.key + (" [legacy /connectors]" if self.spelling == "connectors" else "")

    @property
    def spec_operation(self) -> tuple[str, str]:
        if self.key in EMULATOR_ONLY:
            return EMULATOR_ONLY[self.key].validate_as
        method, path = self.key.split(" ", 1)
        return method, path


# The discriminator value each operation's answer is checked with: `service` is `iterable` for connections (the
# one service the emulator serves); the emulator's one destination is Snowflake (fivetran_emulator/destinations.py).
DISCRIMINATORS: dict[str, dict[str, str]] = {
    "GET /v1/destinations/{destinationId}": {"service": "snowflake"},
}

SERVED = served_rules()
SERVED_KEYS = {canonical(method, rule): (method, rule) for method, rule in SERVED}


# Served operations that answer an Iterable connection only with an error, as Fivetran documents: the state
# endpoints serve Function and Connector SDK connections. For any other, Fivetran's current reference page answers
# 400 ("does not support state management"); the spec declares both 400 and 405 (what older pages said).
ERROR_ONLY = {
    "GET /v1/connections/{connectionId}/state": "400 for a connection that is not a Function or SDK connector",
    "PATCH /v1/connections/{connectionId}/state": "400 for a connection that is not a Function or SDK connector",
}


def cases() -> list[Case]:
    found = []
    for key, (method, rule) in sorted(SERVED_KEYS.items(), key=lambda item: item[0].split(" ", 1)[::-1]):
        if key in ERROR_ONLY:
            continue  # checked among the error answers
        spellings = ("connections", "connectors") if LEGACY_KIND in rule else (None,)
        found += [Case(key, method, spelling) for spelling in spellings]
    return found


# -- talking to the emulator -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emulator_module() -> Iterator[Emulator]:
    with start_emulator("--group", f"{GROUP}:Main", "--create-limit", "0") as emulator:
        yield emulator


@pytest.fixture
def emu(emulator_module: Emulator) -> Emulator:
    emulator_module.reset()
    return emulator_module


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def send(emu: Emulator, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
         raw: bytes | None = None, auth: tuple[str, str] | None = None) -> Answer:
    """One `/v1` request with the emulator's credentials (or `auth`), JSON body unless `raw` is given."""
    user, secret = auth or (emu.api_key, emu.api_secret)
    sent = {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode(),
            "Accept": "application/json"}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    request = urllib.request.Request(emu.base_url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text, got = response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, text, got = error.code, error.read().decode(), dict(error.headers)
    return Answer(status, json.loads(text) if text else None, got)


def ok(answer: Answer, status: int = 200) -> Any:
    """The body of a setup request, which must succeed (a failing setup is a broken test, not a finding)."""
    assert answer.status == status, f"setup request failed: {answer.status} {answer.body}"
    return answer.body


def create(emu: Emulator, schema: str, *, config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A new connection (setup), its `data`."""
    body = connection_body(schema, config=config, **fields)
    return ok(send(emu, "POST", "/connections", body), 201)["data"]  # type: ignore[no-any-return]


def connection_body(schema: str, *, config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base_config = {"schema": schema, "api_key": KEY} if config is None else {"schema": schema, **config}
    return {"service": "iterable", "group_id": GROUP, "config": base_config, **fields}


def seed_secret(emu: Emulator, manager_id: str = "esm_fidelity", name: str = "iterable_key",
                value: str = "itk_from_esm_0123") -> None:
    emu.add_external_secret(manager_id, name, value)


# Create bodies that together reach every part of the connection schema the emulator can produce.
def variant_bodies() -> dict[str, dict[str, Any]]:
    return {
        "minimal": connection_body("fid_minimal"),
        "everything set": connection_body(
            "fid_full",
            config={"api_key": "itk_hybrid_0123", "account_region": "EU", "sync_mode": "SelectedEvents",
                    "events": ["emailOpen"], "custom_event_sync_mode": "SelectedEvents", "custom_events": ["signup"],
                    "historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2024-01-01",
                    "webhook_auth_type": "Basic"},
            paused=True, pause_after_trial=True, sync_frequency=1440, daily_sync_time="03:00",
            schedule_type="manual", data_delay_sensitivity="CUSTOM", data_delay_threshold=30,
            networking_method="PrivateLink", private_link_id="link_fid", proxy_agent_id="agent_proxy",
            hybrid_deployment_agent_id="agent_hybrid", destination_schema_names="SOURCE_NAMING",
            destination_configuration={"virtual_warehouse": "WH_FID"},
            connect_card_config={"redirect_uri": "https://example.com/done", "hide_setup_guide": True,
                                 "all_fields": False},
        ),
        "failing setup tests": connection_body("fid_invalid", config={"api_key": "invalid_key_0123"}),
        "key-less Connect Card": connection_body(
            "fid_card", config={}, run_setup_tests=False,
            connect_card_config={"redirect_uri": "https://example.com/done"}),
        "key in a secrets manager": connection_body(
            "fid_esm", config={}, external_secrets_manager_id="esm_fidelity",
            external_secrets_keys_config={"api_key": "iterable_key"}),
    }


# -- recipes: one per served operation ------------------------------------------------------------------------------
Call = Callable[..., Any]  # call(label, method, path, body=None) -> parsed answer body
Recipe = Callable[[Emulator, str, Call], None]
RECIPES: dict[str, Recipe] = {}


def recipe(key: str) -> Callable[[Recipe], Recipe]:
    def register(function: Recipe) -> Recipe:
        assert key not in RECIPES, key
        RECIPES[key] = function
        return function

    return register


@recipe("POST /v1/connections")
def _create(emu: Emulator, kind: str, call: Call) -> None:
    seed_secret(emu)
    for label, body in variant_bodies().items():
        call(label, "POST", f"/{kind}", body)


@recipe("GET /v1/connections/{connectionId}")
def _details(emu: Emulator, kind: str, call: Call) -> None:
    seed_secret(emu)
    for label, body in variant_bodies().items():
        connection = ok(send(emu, "POST", "/connections", body), 201)["data"]
        call(label, "GET", f"/{kind}/{connection['id']}")
    synced = create(emu, "fid_synced")
    ok(send(emu, "POST", f"/connections/{synced['id']}/sync", {}))
    call("after a successful sync", "GET", f"/{kind}/{synced['id']}")
    failed = create(emu, "fid_failed_sync", config={"api_key": "invalid_key_0123"})
    ok(send(emu, "POST", f"/connections/{failed['id']}/sync", {}))
    call("after a failed sync", "GET", f"/{kind}/{failed['id']}")


@recipe("PATCH /v1/connections/{connectionId}")
def _modify(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_patch")
    path = f"/{kind}/{connection['id']}"
    call("pause", "PATCH", path, {"paused": True})
    call("daily schedule", "PATCH", path,
         {"sync_frequency": 1440, "daily_sync_time": "05:00", "run_setup_tests": False})
    call("config merge", "PATCH", path, {"config": {"sync_mode": "SelectedEvents", "events": ["emailClick"]}})
    call("schema status and historical resync", "PATCH", path,
         {"schema_status": "blocked_on_capture", "is_historical_sync": True})
    call("broken key", "PATCH", path, {"config": {"api_key": "invalid_key_0123"}})
    call("back to defaults", "PATCH", path, {"sync_frequency": None, "daily_sync_time": None, "paused": None})


@recipe("DELETE /v1/connections/{connectionId}")
def _delete(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_delete")
    call("delete", "DELETE", f"/{kind}/{connection['id']}")


def _pages(emu: Emulator, kind: str, call: Call, path: str) -> None:
    seed_secret(emu)
    for body in variant_bodies().values():
        ok(send(emu, "POST", "/connections", body), 201)
    sep = "&" if "?" in path else "?"
    first = call("first page of 2", "GET", f"{path}{sep}limit=2")
    cursor = (first or {}).get("data", {}).get("next_cursor")
    assert cursor, f"setup: expected a next_cursor, got {first}"
    while cursor:
        page = call("next page", "GET", f"{path}{sep}limit=2&cursor={cursor}")
        cursor = (page or {}).get("data", {}).get("next_cursor")
    call("filtered by schema", "GET", f"{path}{sep}schema=fid_full")
    call("empty", "GET", f"{path}{sep}schema=no_such_schema")


@recipe("GET /v1/connections")
def _list(emu: Emulator, kind: str, call: Call) -> None:
    _pages(emu, kind, call, f"/{kind}?group_id={GROUP}")


@recipe("GET /v1/groups/{groupId}/connections")
def _list_in_group(emu: Emulator, kind: str, call: Call) -> None:
    _pages(emu, kind, call, f"/groups/{GROUP}/{kind}")


@recipe("POST /v1/connections/{connectionId}/test")
def _setup_tests(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_test")
    call("empty body", "POST", f"/{kind}/{connection['id']}/test", {})
    call("trust flags", "POST", f"/{kind}/{connection['id']}/test", {"trust_certificates": True,
                                                                     "trust_fingerprints": False})
    broken = create(emu, "fid_test_broken", config={"api_key": "invalid_key_0123"})
    call("failing tests", "POST", f"/{kind}/{broken['id']}/test", {})


@recipe("POST /v1/connections/{connectionId}/sync")
def _sync(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_sync")
    call("force", "POST", f"/{kind}/{connection['id']}/sync", {"force": True})
    call("empty body", "POST", f"/{kind}/{connection['id']}/sync", {})
    call("no body", "POST", f"/{kind}/{connection['id']}/sync")


@recipe("POST /v1/connections/{connection_id}/force")
def _force(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_force")
    call("no body, as go-fivetran sends it", "POST", f"/{kind}/{connection['id']}/force")


@recipe("POST /v1/connections/{connectionId}/connect-card")
def _connect_card(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_card")
    path = f"/{kind}/{connection['id']}/connect-card"
    call("redirect only", "POST", path, {"connect_card_config": {"redirect_uri": "https://example.com/done"}})
    call("all options", "POST", path, {"connect_card_config": {"redirect_uri": "https://example.com/done",
                                                               "hide_setup_guide": True, "all_fields": True}})


CERTIFICATE = {"hash": "jhg5UI7fgrI6yy", "encoded_cert": "MIID9DCCAtygAwIBAgIBQjANBgkqhkiG9w0BAQUFADCBijEL"}
FINGERPRINT = {"hash": "eUtPirI6yy", "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC6 fivetran user key"}


def _approved(emu: Emulator, what: str) -> tuple[str, str]:
    connection = create(emu, f"fid_{what}")
    body = CERTIFICATE if what == "certificates" else FINGERPRINT
    answer = send(emu, "POST", f"/connections/{connection['id']}/{what}", body)
    assert answer.status in (200, 201), f"setup request failed: {answer.status} {answer.body}"
    return connection["id"], body["hash"]


for _what, _body in (("certificates", CERTIFICATE), ("fingerprints", FINGERPRINT)):
    def _register(what: str, body: dict[str, str]) -> None:
        @recipe(f"POST /v1/connections/{{connectionId}}/{what}")
        def _approve(emu: Emulator, kind: str, call: Call) -> None:
            connection = create(emu, f"fid_{what}")
            call("approve", "POST", f"/{kind}/{connection['id']}/{what}", body)
            call("approve again (replaces)", "POST", f"/{kind}/{connection['id']}/{what}", body)

        @recipe(f"GET /v1/connections/{{connectionId}}/{what}")
        def _list_approved(emu: Emulator, kind: str, call: Call) -> None:
            empty = create(emu, f"fid_{what}_none")
            call("none approved", "GET", f"/{kind}/{empty['id']}/{what}")
            connection_id, _ = _approved(emu, what)
            call("one approved", "GET", f"/{kind}/{connection_id}/{what}")

        @recipe(f"GET /v1/connections/{{connectionId}}/{what}/{{hash}}")
        def _details_approved(emu: Emulator, kind: str, call: Call) -> None:
            connection_id, hash_ = _approved(emu, what)
            call("details", "GET", f"/{kind}/{connection_id}/{what}/{hash_}")

        @recipe(f"DELETE /v1/connections/{{connectionId}}/{what}/{{hash}}")
        def _revoke(emu: Emulator, kind: str, call: Call) -> None:
            connection_id, hash_ = _approved(emu, what)
            call("revoke", "DELETE", f"/{kind}/{connection_id}/{what}/{hash_}")

    _register(_what, _body)


def captured(emu: Emulator, schema: str, **fields: Any) -> dict[str, Any]:
    """A connection whose source schema was read (setup passed, then reload), with a few settings made."""
    connection = create(emu, schema, **fields)
    ok(send(emu, "POST", f"/connections/{connection['id']}/schemas/reload", {}))
    ok(send(emu, "PATCH", f"/connections/{connection['id']}/schemas", {
        "schema_change_handling": "ALLOW_COLUMNS",
        "schemas": {"iterable": {"enabled": True, "tables": {
            "list_user_history": {"enabled": False},
            "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True},
                                                          "phone_number": {"enabled": False}}}}}}}))
    return connection


SCHEMAS = "/{kind}/{id}/schemas"


@recipe("GET /v1/connections/{connectionId}/schemas")
def _schema_config(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_schemas")
    call("captured, with settings", "GET", SCHEMAS.format(kind=kind, id=connection["id"]))
    pre = create(emu, "fid_schemas_pre", config={}, run_setup_tests=False,
                 connect_card_config={"redirect_uri": "https://example.com/done"})
    ok(send(emu, "POST", f"/connections/{pre['id']}/schemas", {"schemas": {"iterable": {"enabled": True, "tables": {
        "event": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}}}}))
    call("pre-created", "GET", SCHEMAS.format(kind=kind, id=pre["id"]))


@recipe("POST /v1/connections/{connectionId}/schemas")
def _pre_create(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_pre", config={}, run_setup_tests=False,
                        connect_card_config={"redirect_uri": "https://example.com/done"})
    call("pre-create", "POST", SCHEMAS.format(kind=kind, id=connection["id"]), {
        "schema_change_handling": "BLOCK_ALL", "schemas": {"iterable": {"enabled": True, "tables": {
            "list_user_history": {"enabled": False}, "user_history": {"enabled": True, "columns": {
                "email": {"enabled": True, "hashed": True}}}}}}})


@recipe("PATCH /v1/connections/{connectionId}/schemas")
def _modify_schemas(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_patch_schemas")
    path = SCHEMAS.format(kind=kind, id=connection["id"])
    call("handling only", "PATCH", path, {"schema_change_handling": "BLOCK_ALL"})
    call("tables and columns", "PATCH", path, {"schemas": {"iterable": {"enabled": True, "tables": {
        "event": {"enabled": True, "sync_mode": "SOFT_DELETE", "columns": {"ip": {"enabled": False, "hashed": False}}},
        "campaign_metrics": {"enabled": False}}}}})


@recipe("POST /v1/connections/{connectionId}/schemas/reload")
def _reload(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_reload")
    call("first read", "POST", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/reload", {})
    call("again, preserving", "POST", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/reload",
         {"exclude_mode": "PRESERVE"})


@recipe("PATCH /v1/connections/{connectionId}/schemas/{schemaName}")
def _modify_schema(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_patch_schema")
    call("one schema", "PATCH", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable",
         {"enabled": True, "tables": {"list": {"enabled": False}}})


@recipe("PATCH /v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}")
def _modify_table(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_patch_table")
    call("one table", "PATCH", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable/tables/event",
         {"enabled": True, "columns": {"user_agent": {"enabled": False}}})


@recipe("GET /v1/connections/{connectionId}/schemas/{schema}/tables/{table}/columns")
def _table_columns(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_columns")
    path = f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable/tables/user_history/columns"
    call("every column", "GET", path)


@recipe("PATCH /v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}")
def _modify_column(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_patch_column")
    call("hash a column", "PATCH",
         f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable/tables/event/columns/email",
         {"enabled": True, "hashed": True})


@recipe("DELETE /v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}")
def _drop_column(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_drop_column")
    call("a blocked column", "DELETE",
         f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable/tables/user_history/columns/phone_number")


@recipe("POST /v1/connections/{connectionId}/schemas/drop-columns")
def _drop_columns(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_drop_columns")
    call("blocked columns", "POST", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/drop-columns",
         {"schemas": {"iterable": {"tables": {"user_history": {"columns": ["phone_number"]}}}}})


@recipe("POST /v1/connections/{connectionId}/schemas/tables/resync")
def _resync_tables(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_resync_tables")
    call("two tables", "POST", f"{SCHEMAS.format(kind=kind, id=connection['id'])}/tables/resync",
         {"iterable": ["event", "user_history"]})


@recipe("POST /v1/connections/{connection_id}/schemas/{schema}/tables/{table}/resync")
def _resync_table(emu: Emulator, kind: str, call: Call) -> None:
    connection = captured(emu, "fid_resync_table")
    call("one table, no body, as go-fivetran sends it", "POST",
         f"{SCHEMAS.format(kind=kind, id=connection['id'])}/iterable/tables/user_history/resync")


def _source_metadata(what: str) -> Recipe:
    def recipe_(emu: Emulator, kind: str, call: Call) -> None:
        fresh = create(emu, f"fid_meta_{what}_fresh")
        call("before the schema was read", "GET", f"/metadata/connectors/{fresh['id']}/{what}")
        connection = captured(emu, f"fid_meta_{what}")
        first = call("first page", "GET", f"/metadata/connectors/{connection['id']}/{what}?limit=5")
        if first["data"].get("next_cursor"):
            call("next page", "GET", f"/metadata/connectors/{connection['id']}/{what}?limit=5&cursor="
                 f"{first['data']['next_cursor']}")
        call("all", "GET", f"/metadata/connectors/{connection['id']}/{what}?limit=1000")
    return recipe_


for _what in ("schemas", "tables", "columns"):
    recipe(f"GET /v1/metadata/connectors/{{connection_id}}/{_what}")(_source_metadata(_what))


@recipe("POST /v1/connections/{connectionId}/resync")
def _resync(emu: Emulator, kind: str, call: Call) -> None:
    connection = create(emu, "fid_resync")
    call("whole connection", "POST", f"/{kind}/{connection['id']}/resync", {})
    call("scoped", "POST", f"/{kind}/{connection['id']}/resync", {"scope": {"iterable": ["event"]}})
    call("no body", "POST", f"/{kind}/{connection['id']}/resync")


@recipe("GET /v1/groups")
def _groups(emu: Emulator, kind: str, call: Call) -> None:
    emu.add_group("warehouse_extra", "Extra")
    call("all", "GET", "/groups")
    first = call("first page of 1", "GET", "/groups?limit=1")
    call("next page", "GET", f"/groups?limit=1&cursor={first['data']['next_cursor']}")


@recipe("GET /v1/groups/{groupId}")
def _group(emu: Emulator, kind: str, call: Call) -> None:
    call("seeded group", "GET", f"/groups/{GROUP}")


@recipe("GET /v1/destinations/{destinationId}")
def _destination(emu: Emulator, kind: str, call: Call) -> None:
    call("the seeded group's destination", "GET", f"/destinations/{GROUP}")


@recipe("GET /v1/users")
def _users(emu: Emulator, kind: str, call: Call) -> None:
    call("all", "GET", "/users")
    call("page of 1", "GET", "/users?limit=1")


@recipe("GET /v1/users/{userId}")
def _user(emu: Emulator, kind: str, call: Call) -> None:
    user_id = ok(send(emu, "GET", "/users"))["data"]["items"][0]["id"]
    call("the key's owner", "GET", f"/users/{user_id}")


@recipe("GET /v1/account/info")
def _account(emu: Emulator, kind: str, call: Call) -> None:
    call("account", "GET", "/account/info")


@recipe("GET /v1/metadata/connector-types")
def _connector_types(emu: Emulator, kind: str, call: Call) -> None:
    call("all", "GET", "/metadata/connector-types")


@recipe("GET /v1/metadata/connector-types/{service}")
def _connector_type(emu: Emulator, kind: str, call: Call) -> None:
    call("iterable", "GET", "/metadata/connector-types/iterable")


# -- emulator mismatches: where the emulator is wrong and the spec right ---------------------------------------------
class EmulatorMismatch(Exception):  # noqa: N818 - the name says what the xfail expects
    """Raised when every violation a case found is a known emulator bug (so `xfail(raises=...)` accepts it)."""


@dataclass(frozen=True)
class Violation:
    request: str
    where: str  # "status" or a JSON path into the answer
    message: str

    def __str__(self) -> str:
        return f"[{self.request}] {self.where}: {self.message}"


@dataclass(frozen=True)
class EmulatorBug:
    """A known way the emulator's answer breaks the spec, for the cases (ids) it affects."""

    what: str
    cases: tuple[str, ...]
    where: str  # regex on Violation.where
    message: str = ""  # regex searched in Violation.message

    def covers(self, violation: Violation) -> bool:
        return bool(re.fullmatch(self.where, violation.where)) and bool(re.search(self.message, violation.message))


_CONNECTION_ANSWERS = ("POST /v1/connections", "GET /v1/connections/{connectionId}",
                       "PATCH /v1/connections/{connectionId}", "POST /v1/connections/{connectionId}/test",
                       "GET /v1/connections", "GET /v1/groups/{groupId}/connections")
# None known: each one found so far was fixed (`hybrid_deployment_agent_id` and `config.project_type` answered
# as null, certificate and fingerprint approval answering 200, the state endpoints answering for an Iterable
# connection). `_CONNECTION_ANSWERS` lists the cases a connection-wide bug would cover.
EMULATOR_BUGS: tuple[EmulatorBug, ...] = ()


def bugs_for(case_id: str) -> list[EmulatorBug]:
    key = case_id.removesuffix(" [legacy /connectors]")
    return [bug for bug in EMULATOR_BUGS if key in bug.cases or case_id in bug.cases]


def judge(case_id: str, found: list[Violation]) -> None:
    """Pass with no violation; xfail (EmulatorMismatch) when all are known emulator bugs; fail otherwise."""
    known = bugs_for(case_id)
    unknown = [v for v in found if not any(bug.covers(v) for bug in known)]
    if unknown:
        pytest.fail("answers break the spec:\n  " + "\n  ".join(map(str, unknown))
                    + ("\n(known: " + "; ".join(b.what for b in known) + ")" if known else ""), pytrace=False)
    if found:
        raise EmulatorMismatch("\n".join(map(str, found)))


def marks_for(case_id: str) -> list[pytest.MarkDecorator]:
    known = bugs_for(case_id)
    if not known:
        return []
    reason = "emulator: " + "; ".join(bug.what for bug in known)
    return [pytest.mark.xfail(strict=True, raises=EmulatorMismatch, reason=reason)]


def excerpt(body: Any) -> str:
    text = json.dumps(body)
    return text if len(text) <= 300 else text[:297] + "..."


# -- 1. every served operation ---------------------------------------------------------------------------------------
def test_every_served_operation_has_a_spec_counterpart_and_a_recipe() -> None:
    unmapped = sorted(key for key, (method, rule) in SERVED_KEYS.items()
                      if spec_counterpart(method, rule) is None and key not in EMULATOR_ONLY)
    assert not unmapped, f"served, but not in Fivetran's spec (and not listed in EMULATOR_ONLY): {unmapped}"
    stale_only = sorted(key for key in EMULATOR_ONLY
                        if key not in SERVED_KEYS or spec_counterpart(*SERVED_KEYS[key]) is not None)
    assert not stale_only, f"EMULATOR_ONLY lists operations not served, or now in the spec: {stale_only}"
    missing = sorted(set(SERVED_KEYS) - set(RECIPES) - set(ERROR_ONLY))
    assert not missing, f"served operations with no recipe in this file: {missing}"
    stale = sorted(set(RECIPES) - set(SERVED_KEYS))
    assert not stale, f"recipes for operations the emulator does not serve: {stale}"
    for key, only in EMULATOR_ONLY.items():
        spec = openapi.legacy_spec() if only.legacy else None
        assert only.validate_as[1] in {path for _m, path, _op in openapi.operations(spec)}, key


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=marks_for(c.id)) for c in cases()])
def test_answers_match_the_spec(emu: Emulator, case: Case) -> None:
    recipe_ = RECIPES.get(case.key)
    if recipe_ is None:
        pytest.fail(f"no recipe for the served operation {case.key}", pytrace=False)
    method, path = case.spec_operation
    if case.key in EMULATOR_ONLY and EMULATOR_ONLY[case.key].legacy:
        status, schema = 200, openapi.legacy_response_schema(method, path)
    else:
        status = openapi.success_status(method, path)
        schema = openapi.response_schema(method, path, status, DISCRIMINATORS.get(case.key, openapi.ITERABLE))
    found: list[Violation] = []
    calls = 0

    def call(label: str, verb: str, target: str, body: Any = None) -> Any:
        nonlocal calls
        calls += 1
        assert verb == case.method, f"recipe for {case.key} sent {verb} as its request under test"
        answer = send(emu, verb, target, body)
        if answer.status != status:
            found.append(Violation(label, "status", f"{verb} {target} answered {answer.status}, the spec says "
                                                    f"{status}: {excerpt(answer.body)}"))
        for where, message in openapi.violations(schema, answer.body):
            found.append(Violation(label, where, message))
        return answer.body

    recipe_(emu, case.spelling or "connections", call)
    assert calls, f"recipe for {case.key} sent no request under test"
    judge(case.id, found)


def test_connection_answers_use_the_iterable_variant() -> None:
    """How the spec wires connection answers: the operations whose `data` is `ConnectorResponseV1` resolve its
    `service` discriminator to `iterable_ConnectorResponseV1`; the lists use `ConnectorResponse` (no discriminator)."""
    wired: dict[str, str] = {}
    for key in SERVED_KEYS:
        if key in EMULATOR_ONLY:
            continue
        method, path = key.split(" ", 1)
        status = openapi.success_status(method, path)
        raw = openapi.operation(method, path)["responses"][str(status)]["content"]["application/json"]["schema"]
        data = raw.get("properties", {}).get("data", {})
        items = data.get("properties", {}).get("items", {}).get("items", {})
        ref = data.get("$ref") or items.get("$ref")
        if ref in ("#/components/schemas/ConnectorResponseV1", "#/components/schemas/ConnectorResponse"):
            wired[key] = ref.rsplit("/", 1)[1]
    assert wired == {
        "POST /v1/connections": "ConnectorResponseV1",
        "GET /v1/connections/{connectionId}": "ConnectorResponseV1",
        "PATCH /v1/connections/{connectionId}": "ConnectorResponseV1",
        "POST /v1/connections/{connectionId}/test": "ConnectorResponseV1",
        "GET /v1/connections": "ConnectorResponse",
        "GET /v1/groups/{groupId}/connections": "ConnectorResponse",
    }
    mapping = openapi.at(openapi.raw_spec(), "/components/schemas/ConnectorResponseV1/discriminator")
    assert mapping["propertyName"] == "service"
    assert mapping["mapping"]["iterable"] == "#/components/schemas/iterable_ConnectorResponseV1"
    for key, name in wired.items():
        method, path = key.split(" ", 1)
        data = openapi.response_schema(method, path, openapi.success_status(method, path))["properties"]["data"]
        if name == "ConnectorResponseV1":
            assert data["properties"]["service"]["const"] == "iterable", key
            assert {"account_region", "sync_mode", "endpoint", "project_type"} <= set(
                data["properties"]["config"]["properties"]), key


# -- error answers ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErrorCase:
    id: str
    operation: tuple[str, str]  # the spec operation whose declared statuses must include `status`
    status: int
    request: Callable[[Emulator], Answer]


def _unknown_hash(emu: Emulator) -> Answer:
    connection = create(emu, "fid_err_cert")
    return send(emu, "GET", f"/connections/{connection['id']}/certificates/no_such_hash")


def _state(method: str) -> Callable[[Emulator], Answer]:
    def request(emu: Emulator) -> Answer:
        connection = create(emu, "fid_err_state", paused=True)
        body = {"state": {"cursor": "x"}} if method == "PATCH" else None
        return send(emu, method, f"/connections/{connection['id']}/state", body)
    return request




def _refused_table_resync(emu: Emulator) -> Answer:
    connection = create(emu, "fid_err_resync")
    emu.control("POST", "/__emulator/table-resync", {"supported": False})
    return send(emu, "POST", f"/connections/{connection['id']}/resync", {"scope": {"iterable": ["event"]}})


def _duplicate(emu: Emulator) -> Answer:
    create(emu, "fid_dup")
    return send(emu, "POST", "/connections", connection_body("fid_dup"))


def _test_without_body(emu: Emulator) -> Answer:
    connection = create(emu, "fid_err_test")
    return send(emu, "POST", f"/connections/{connection['id']}/test")


def _card_without_config(emu: Emulator) -> Answer:
    connection = create(emu, "fid_err_card")
    return send(emu, "POST", f"/connections/{connection['id']}/connect-card", {})


ONE = "/v1/connections/{connectionId}"
ERROR_CASES = (
    ErrorCase("404 unknown connection (GET)", ("GET", ONE), 404,
              lambda emu: send(emu, "GET", "/connections/no_such_connection")),
    ErrorCase("404 unknown connection (legacy GET)", ("GET", ONE), 404,
              lambda emu: send(emu, "GET", "/connectors/no_such_connection")),
    ErrorCase("404 unknown connection (PATCH)", ("PATCH", ONE), 404,
              lambda emu: send(emu, "PATCH", "/connections/no_such_connection", {"paused": True})),
    ErrorCase("404 unknown connection (DELETE)", ("DELETE", ONE), 404,
              lambda emu: send(emu, "DELETE", "/connections/no_such_connection")),
    ErrorCase("400 create: sync_frequency as a string", ("POST", "/v1/connections"), 400,
              lambda emu: send(emu, "POST", "/connections", connection_body("fid_bad", sync_frequency="360"))),
    ErrorCase("400 create: no group_id", ("POST", "/v1/connections"), 400,
              lambda emu: send(emu, "POST", "/connections", {"service": "iterable", "config": {"schema": "x"}})),
    ErrorCase("400 create: malformed JSON", ("POST", "/v1/connections"), 400,
              lambda emu: send(emu, "POST", "/connections", raw=b"{not json",
                               headers={"Content-Type": "application/json"})),
    ErrorCase("404 create: unknown group", ("POST", "/v1/connections"), 404,
              lambda emu: send(emu, "POST", "/connections", {**connection_body("fid_nogroup"), "group_id": "nope"})),
    ErrorCase("409 create: schema taken", ("POST", "/v1/connections"), 409, _duplicate),
    ErrorCase("415 create: text/plain", ("POST", "/v1/connections"), 415,
              lambda emu: send(emu, "POST", "/connections", raw=b"hello", headers={"Content-Type": "text/plain"})),
    ErrorCase("406 list: Accept text/html", ("GET", "/v1/connections"), 406,
              lambda emu: send(emu, "GET", "/connections", headers={"Accept": "text/html"})),
    ErrorCase("401 list: wrong secret", ("GET", "/v1/connections"), 401,
              lambda emu: send(emu, "GET", "/connections", auth=(emu.api_key, "wrong"))),
    ErrorCase("401 account info: wrong key", ("GET", "/v1/account/info"), 401,
              lambda emu: send(emu, "GET", "/account/info", auth=("wrong", emu.api_secret))),
    ErrorCase("400 setup tests: no body", ("POST", ONE + "/test"), 400, _test_without_body),
    ErrorCase("400 connect card: no connect_card_config", ("POST", ONE + "/connect-card"), 400, _card_without_config),
    ErrorCase("400 state of an Iterable connection (GET)", ("GET", ONE + "/state"), 400, _state("GET")),
    ErrorCase("400 state of an Iterable connection (PATCH)", ("PATCH", ONE + "/state"), 400, _state("PATCH")),
    ErrorCase("400 re-sync of tables, refused as for an unsupported connector type", ("POST", ONE + "/resync"), 400,
              _refused_table_resync),
    ErrorCase("404 certificate: unknown hash", ("GET", ONE + "/certificates/{hash}"), 404, _unknown_hash),
    ErrorCase("404 user: unknown id", ("GET", "/v1/users/{userId}"), 404,
              lambda emu: send(emu, "GET", "/users/no_such_user")),
)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=marks_for(c.id)) for c in ERROR_CASES])
def test_error_answers_match_the_spec(emu: Emulator, case: ErrorCase) -> None:
    method, path = case.operation
    assert case.status in openapi.declared_statuses(method, path), \
        f"{method} {path} does not declare {case.status}: {sorted(openapi.declared_statuses(method, path))}"
    declared = openapi.operation(method, path)["responses"][str(case.status)]
    media = (declared.get("content") or {}).get("application/json")
    schema = openapi.to_json_schema(media["schema"]) if media and "schema" in media \
        else openapi.documented_error_shape()
    answer = case.request(emu)
    found = []
    if answer.status != case.status:
        found.append(Violation(case.id, "status", f"answered {answer.status}, the spec says {case.status}: "
                                                  f"{excerpt(answer.body)}"))
    else:
        found += [Violation(case.id, where, message) for where, message in openapi.violations(schema, answer.body)]
    judge(case.id, found)


# -- 2. the spec's own request examples ----------------------------------------------------------------------------
EXPECTED_REQUEST_EXAMPLES = {
    "PATCH /v1/connections/{connectionId}/schemas": ["modify_schema_config_request"],
    "PATCH /v1/connections/{connectionId}/state": ["update_connection_state_request"],
    "POST /v1/connections/{connectionId}/schemas": ["pre_create_schema_config_request"],
}


def request_example_cases() -> list[tuple[str, str, Any]]:
    found = []
    for key in sorted(SERVED_KEYS):
        if key in EMULATOR_ONLY:
            continue
        method, path = key.split(" ", 1)
        found += [(key, name, value) for name, value in openapi.request_examples(method, path)]
    return found


def test_request_examples_found_are_the_ones_listed() -> None:
    found: dict[str, list[str]] = {}
    for key, name, _value in request_example_cases():
        found.setdefault(key, []).append(name)
    assert found == EXPECTED_REQUEST_EXAMPLES, "update the list here and in the module docstring"


def assert_refused_naming(answer: Answer, service: str) -> None:
    """Another service than `iterable`: 400, in the documented error shape, with a message naming the service."""
    assert answer.status == 400, f"service {service!r}: answered {answer.status} {excerpt(answer.body)}"
    assert not openapi.violations(openapi.documented_error_shape(), answer.body), answer.body
    assert f"'{service}'" in answer.body["message"], f"the 400 does not name '{service}': {answer.body}"


def other_services() -> list[str]:
    """A few services the spec's create discriminator maps, other than iterable (first, last, google_ads)."""
    mapping = openapi.at(openapi.raw_spec(), "/components/schemas/NewConnectorRequestV1/discriminator/mapping")
    names = sorted(name for name in mapping if name != "iterable")
    return sorted({names[0], names[-1], "google_ads"} & set(names))


@pytest.mark.parametrize("service", other_services())
def test_other_services_are_refused_naming_the_service(emu: Emulator, service: str) -> None:
    """What a spec example for another service must get (none is documented at this commit; see the docstring)."""
    body = {"service": service, "group_id": GROUP, "config": {"schema": f"fid_{service}"}}
    assert_refused_naming(send(emu, "POST", "/connections", body), service)


def concrete_path(emu: Emulator, method: str, path: str) -> str:
    """A spec path template with real ids: a fresh (paused) connection, an approved hash, the seeded group.

    A change to a schema config needs one: that connection's source schema is read first.
    """
    values: dict[str, str] = {"groupId": GROUP, "destinationId": GROUP, "service": "iterable"}
    if "{connectionId}" in path:
        values["connectionId"] = create(emu, "fid_example", paused=True)["id"]
        if method == "PATCH" and "/schemas" in path:
            ok(send(emu, "POST", f"/connections/{values['connectionId']}/schemas/reload", {}))
        if "{hash}" in path:
            what = "certificates" if "/certificates/" in path else "fingerprints"
            body = CERTIFICATE if what == "certificates" else FINGERPRINT
            send(emu, "POST", f"/connections/{values['connectionId']}/{what}", body)
            values["hash"] = body["hash"]
    if "{userId}" in path:
        values["userId"] = ok(send(emu, "GET", "/users"))["data"]["items"][0]["id"]
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path).removeprefix("/v1")


# The spec's examples name schemas, tables and columns with placeholders: the Iterable names stand in.
PLACEHOLDER_NAMES = {"schema_name": "iterable", "table_name": "event", "column_name": "email"}


def with_real_ids(example: Any) -> Any:
    body = copy.deepcopy(example)
    if isinstance(body, dict) and "group_id" in body:
        body["group_id"] = GROUP
    return _real_names(body)


def _real_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {PLACEHOLDER_NAMES.get(key, key): _real_names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_real_names(item) for item in value]
    return value


def _example_params() -> list[Any]:
    return [pytest.param(key, name, value, id=f"{key} {name}", marks=marks_for(f"{key} example {name}"))
            for key, name, value in request_example_cases()]


@pytest.mark.parametrize(("key", "name", "example"), _example_params())
def test_spec_request_examples(emu: Emulator, key: str, name: str, example: Any) -> None:
    method, path = key.split(" ", 1)
    body = with_real_ids(example)
    answer = send(emu, method, concrete_path(emu, method, path), body)
    service = body.get("service") if isinstance(body, dict) else None
    case_id = f"{key} example {name}"
    if service is not None and service != "iterable":
        assert_refused_naming(answer, service)
        return
    if key in ERROR_ONLY:  # documented for other connectors only: refused as Fivetran refuses it
        assert answer.status == 400 and not openapi.violations(openapi.documented_error_shape(), answer.body)
        return
    status = openapi.success_status(method, path)
    found = []
    if answer.status != status:
        found.append(Violation(name, "status", f"answered {answer.status}, the spec says {status}: "
                                               f"{excerpt(answer.body)}"))
    else:
        schema = openapi.response_schema(method, path, status)
        found += [Violation(name, where, message) for where, message in openapi.violations(schema, answer.body)]
    judge(case_id, found)


# -- the spec itself and its patches ----------------------------------------------------------------------------------
def test_spec_file_is_the_recorded_snapshot() -> None:
    assert openapi.raw_sha256() == openapi.SPEC_SHA256
    assert openapi.raw_sha256(openapi.LEGACY_SPEC_FILE) == openapi.LEGACY_SPEC_SHA256
    source = openapi.SPEC_FILE.with_name("SOURCE.md").read_text()
    for fact in (openapi.SPEC_REPOSITORY, openapi.SPEC_COMMIT, openapi.SPEC_SHA256, "open-api-spec.json",
                 openapi.LEGACY_SPEC_COMMIT, openapi.LEGACY_SPEC_SHA256, openapi.LEGACY_SPEC_FILE.name):
        assert fact in source, fact


def test_source_metadata_items_carry_every_field_the_legacy_spec_documents(emu: Emulator) -> None:
    """The 2023-06 schemas of the metadata items require nothing: that every documented field is there (and no
    other) is pinned here."""
    connection = captured(emu, "fid_meta_fields")
    for what in ("schemas", "tables", "columns"):
        schema = openapi.legacy_response_schema("GET", f"/v1/metadata/connectors/{{connectorId}}/{what}")
        documented = set(schema["properties"]["data"]["properties"]["items"]["items"]["properties"])
        items = ok(send(emu, "GET", f"/metadata/connectors/{connection['id']}/{what}?limit=1000"))["data"]["items"]
        assert items and all(set(item) == documented for item in items), (what, documented, items[0])


def test_partial_table_and_column_updates_are_what_the_patched_spec_allows(emu: Emulator) -> None:
    """The `partial_table_and_column_updates` defect, seen from both sides: such a body breaks the spec as
    published, is valid once patched, and the emulator takes it (keeping what it leaves out)."""
    raw, patched = openapi.raw_spec(), openapi.patched_spec()
    bodies = {"table": ({"columns": {"email": {"hashed": True}}}, "TableUpdateRequest"),
              "column": ({"hashed": True}, "ColumnUpdateRequest")}
    connection = captured(emu, "fid_partial")
    for what, (body, name) in bodies.items():
        ref = {"$ref": f"#/components/schemas/{name}"}
        assert openapi.violations(openapi.to_json_schema(ref, spec=raw), body), f"the published spec takes {body}"
        assert not openapi.violations(openapi.to_json_schema(ref, spec=patched), body), body
        path = f"/connections/{connection['id']}/schemas/iterable/tables/list_user_history"
        answer = send(emu, "PATCH", path + ("/columns/email" if what == "column" else ""), body)
        assert answer.status == 200, (what, answer.body)
        table = answer.body["data"]["schemas"]["iterable"]["tables"]["list_user_history"]
        assert table["enabled"] is False and table["columns"]["email"]["hashed"] is True, (what, table)


@pytest.mark.parametrize("defect", [pytest.param(d, id=d.name) for d in openapi.SPEC_DEFECTS])
def test_spec_defect_is_still_there(defect: openapi.SpecDefect) -> None:
    """Each patch applies to a place that exists and still has the defect; once Fivetran fixes it, remove it."""
    spec = openapi.raw_spec()
    assert defect.locations and defect.wrong and defect.evidence
    for location in defect.locations:
        node = openapi.at(spec, location)
        assert defect.present(node), f"{defect.name}: {location} no longer has the defect: {excerpt(node)}"
        assert defect.patch(copy.deepcopy(node)) != node, f"{defect.name}: the patch changes nothing at {location}"


def test_spec_defect_patches_touch_only_their_locations() -> None:
    raw, patched = openapi.raw_spec(), openapi.patched_spec()
    for defect in openapi.SPEC_DEFECTS:
        for location in defect.locations:
            openapi._replace(raw, location, openapi.at(patched, location))
    assert raw == patched


def test_spec_response_examples_satisfy_the_patched_schemas() -> None:
    """The spec's own answer examples for the served operations are valid under the patched schemas."""
    checked = 0
    for key in SERVED_KEYS:
        if key in EMULATOR_ONLY:
            continue
        method, path = key.split(" ", 1)
        for status, name, value in openapi.response_examples(method, path):
            if not 200 <= status < 300:
                continue
            schema = openapi.response_schema(method, path, status, DISCRIMINATORS.get(key, openapi.ITERABLE))
            problems = openapi.violations(schema, value)
            assert not problems, f"{key} example {name}: {problems}"
            checked += 1
    assert checked >= 1

