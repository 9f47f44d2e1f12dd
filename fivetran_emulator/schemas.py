"""`/v1/connections/{id}/schemas...` and the re-syncs: which Iterable tables and columns a connection syncs.

A connection's schema config goes through three states (the record's `schema_config`):

- none: `GET .../schemas` is 404 `NotFound_SchemaConfig`, as the API answers a connection whose schema was
  never captured;
- pre-created (`captured: false`): `POST .../schemas` stored settings for the tables and columns it names,
  shown back as given (the API says "the exact settings provided");
- captured: the source schema was read, by `POST .../schemas/reload` or by the first sync, both only once the
  connection's setup succeeded. Every table is shown; columns only where a setting was made (the full list
  is `GET .../tables/{table}/columns`). Pre-created settings are applied then, except where an item cannot
  be changed (ignored, as the API says).

A re-sync (whole connection, or selected tables) is refused with 409 while a sync runs, as Fivetran documents
("If there is a data sync already in progress, we will try to complete it. If it fails, ... 409"). A re-sync of
selected tables (`scope`, `.../schemas/tables/resync`, or the legacy per-table `.../tables/{table}/resync` that
Fivetran's Go SDK still calls) is refused with 400 when the emulator plays a connector type without table-level
re-sync (`--refuse-table-resync`, or the control API): Fivetran's OpenAPI definition says "Sending scope to an
unsupported connector type ... returns 400", and no public page settles whether Iterable is one.

Table and column updates are partial: a field left out (`enabled`, `hashed`) keeps its value. Fivetran's OpenAPI
definition marks `enabled` required there, but Fivetran's own clients leave it out (go-fivetran sends it only when
set, `omitempty`) and the API takes that, so the emulator does too.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from . import rules
from .catalog import SOURCE_SCHEMA, TABLES_BY_NAME, Table, capture_schema, column_locked, table_locked
from .connections import Connections
from .envelope import KIND, Call, Reply, noun, optional_object, require_object, success
from .errors import ApiError, invalid
from .fields import boolean, one_of, reject_unknown, show
from .store import Record

SCHEMA_CHANGE_HANDLING = ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL")
TABLE_RESYNC_REFUSED = ("Table-level re-sync is not supported for connector type 'iterable': a re-sync 'scope' (or a "
                        "re-sync of single tables) is accepted only by connectors that support table-level re-sync. "
                        "Leave 'scope' out to re-sync the whole connection.")
SYNC_MODES = ("SOFT_DELETE", "HISTORY", "LIVE")


def render_config(record: Record) -> dict[str, Any]:
    """The schema config as the API shows it (`StandardConfigResponse`)."""
    config = record["schema_config"]
    handling = config.get("schema_change_handling", "ALLOW_ALL")
    tables = {}
    for name, settings in config["tables"].items():
        table = TABLES_BY_NAME.get(name)
        tables[name] = _render_table(name, table, settings, all_columns=False)
    return {
        "enable_new_by_default": handling == "ALLOW_ALL",
        "schema_change_handling": handling,
        "schemas": {SOURCE_SCHEMA: {"name_in_destination": record["schema"], "enabled": True, "tables": tables}},
    }


def _render_table(name: str, table: Table | None, settings: dict[str, Any], all_columns: bool) -> dict[str, Any]:
    locked = table_locked(table) if table else None
    shown_columns = (table.all_columns if table and all_columns else tuple(settings.get("columns") or {}))
    return {
        "name_in_destination": name,
        "enabled": settings.get("enabled", True),
        "sync_mode": "SOFT_DELETE",
        "supports_columns_config": True,
        "supports_history_mode": False,
        "enabled_patch_settings": _patch_settings(locked, "SYSTEM_TABLE"),
        "columns": {column: _render_column(table, column, (settings.get("columns") or {}).get(column) or {})
                    for column in shown_columns},
    }


def _render_column(table: Table | None, column: str, settings: dict[str, Any]) -> dict[str, Any]:
    locked = column_locked(table, column) if table else None
    return {
        "name_in_destination": column,
        "enabled": settings.get("enabled", True),
        "hashed": bool(settings.get("hashed", False)),
        "is_primary_key": bool(table and column in table.primary_key),
        "enabled_patch_settings": _patch_settings(locked, "SYSTEM_COLUMN"),
    }


def _patch_settings(reason: str | None, code: str) -> dict[str, Any]:
    return {"allowed": True} if reason is None else {"allowed": False, "reason_code": code, "reason": reason}


class Schemas:
    """The schema-config and re-sync operations, over the connections' records."""

    def __init__(self, connections: Connections, table_resync_supported: bool = True) -> None:
        self.connections = connections
        # Whether re-syncs of single tables are accepted (see the module docstring); the control API may change it.
        self.table_resync_supported_at_start = table_resync_supported
        self.table_resync_supported = table_resync_supported

    def rules(self) -> list[Rule]:
        base = f"/v1/{KIND}/<connection_id>"
        schemas = f"{base}/schemas"
        return [
            Rule(schemas, methods=["GET"], endpoint=self.get_config),
            Rule(schemas, methods=["POST"], endpoint=self.pre_create),
            Rule(schemas, methods=["PATCH"], endpoint=self.modify),
            Rule(f"{schemas}/reload", methods=["POST"], endpoint=self.reload),
            Rule(f"{schemas}/<schema>", methods=["PATCH"], endpoint=self.modify_schema),
            Rule(f"{schemas}/<schema>/tables/<table>", methods=["PATCH"], endpoint=self.modify_table),
            Rule(f"{schemas}/<schema>/tables/<table>/columns", methods=["GET"], endpoint=self.table_columns),
            Rule(f"{schemas}/<schema>/tables/<table>/resync", methods=["POST"], endpoint=self.resync_table),
            Rule(f"{schemas}/<schema>/tables/<table>/columns/<column>", methods=["PATCH"], endpoint=self.modify_column),
            Rule(f"{schemas}/<schema>/tables/<table>/columns/<column>", methods=["DELETE"], endpoint=self.drop_column),
            Rule(f"{schemas}/drop-columns", methods=["POST"], endpoint=self.drop_columns),
            Rule(f"{schemas}/tables/resync", methods=["POST"], endpoint=self.resync_tables),
            Rule(f"{base}/resync", methods=["POST"], endpoint=self.resync),
        ]

    # -- reading ---------------------------------------------------------------------------------------------------
    def get_config(self, call: Call, kind: str, connection_id: str) -> Reply:
        record = self.connections.load(kind, connection_id)
        self._existing(record, kind)
        return success("Schema configuration retrieved successfully", render_config(record))

    def table_columns(self, call: Call, kind: str, connection_id: str, schema: str, table: str) -> Reply:
        record = self._captured(self.connections.load(kind, connection_id), kind)
        settings = self._table(record, schema, table)
        shown = _render_table(table, TABLES_BY_NAME[table], settings, all_columns=True)
        return success("Column configuration retrieved successfully", {"columns": shown["columns"]})

    # -- writing -----------------------------------------------------------------------------------------------------
    def pre_create(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../schemas`: settings for a connection whose schema was not captured yet (409 after)."""
        body = require_object(call, '{"schemas": {"iterable": {"enabled": true, "tables": {...}}}}')
        reject_unknown(body, {"schemas", "schema_change_handling"})
        handling = self._handling(body)
        tables = _updates(body.get("schemas"), strict=False)

        def pre_create(current: Record) -> Record:
            if current.get("schema_config") is not None:
                raise ApiError(409, "Conflict", f"{noun(kind)} '{connection_id}' already has a schema config; change "
                                                "it with PATCH .../schemas.")
            current["schema_config"] = {"captured": False, "schema_change_handling": handling or "ALLOW_ALL",
                                        "tables": tables}
            return current

        record = self.connections.update(kind, connection_id, pre_create)
        return success("Schema configuration pre-created successfully", render_config(record))

    def modify(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`PATCH .../schemas`: change the handling of new items and any tables and columns, in one request."""
        body = require_object(call, '{"schema_change_handling": "ALLOW_COLUMNS"}')
        reject_unknown(body, {"schemas", "schema_change_handling", "is_type_locked"})
        if body.get("is_type_locked") is not None:
            boolean("is_type_locked", body["is_type_locked"])
        handling = self._handling(body)
        return self._apply(kind, connection_id, handling, body.get("schemas"), "Schema configuration has been modified")

    def modify_schema(self, call: Call, kind: str, connection_id: str, schema: str) -> Reply:
        body = require_object(call, '{"enabled": true, "tables": {...}}')
        return self._apply(kind, connection_id, None, {schema: body}, "Database schema configuration has been modified")

    def modify_table(self, call: Call, kind: str, connection_id: str, schema: str, table: str) -> Reply:
        body = require_object(call, '{"enabled": false}')
        return self._apply(kind, connection_id, None, {schema: {"enabled": True, "tables": {table: body}}},
                           "Table configuration has been modified")

    def modify_column(self, call: Call, kind: str, connection_id: str, schema: str, table: str, column: str) -> Reply:
        body = require_object(call, '{"enabled": true, "hashed": true}')
        # No `enabled` for the table: the column's own endpoint leaves it enabled or disabled as it is.
        tables = {table: {"columns": {column: body}}}
        return self._apply(kind, connection_id, None, {schema: {"enabled": True, "tables": tables}},
                           "Column configuration has been modified")

    def reload(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../schemas/reload`: read the source schema; only once the connection's setup succeeded."""
        body = optional_object(call, '{"exclude_mode": "PRESERVE"}')
        reject_unknown(body, {"exclude_mode"})
        if body.get("exclude_mode") is not None:
            one_of("PRESERVE", "EXCLUDE")("exclude_mode", body["exclude_mode"])

        def reload(current: Record) -> Record:
            if current["status"]["setup_state"] != "connected":
                raise ApiError(409, "Conflict", f"{noun(kind)} '{connection_id}' cannot read its source schema: its "
                                                f"setup is {current['status']['setup_state']}. Complete the setup "
                                                "(pass the setup tests, or complete the Connect Card) first.")
            capture_schema(current)
            return current

        record = self.connections.update(kind, connection_id, reload)
        return success("Schema configuration has been reloaded", render_config(record))

    def drop_column(self, call: Call, kind: str, connection_id: str, schema: str, table: str, column: str) -> Reply:
        record = self._captured(self.connections.load(kind, connection_id), kind)
        settings = self._table(record, schema, table)
        self._drop(settings, table, column)
        return success("Column successfully marked for deletion")

    def drop_columns(self, call: Call, kind: str, connection_id: str) -> Reply:
        body = require_object(call, '{"schemas": {"iterable": {"tables": {"event": {"columns": ["ip"]}}}}}')
        reject_unknown(body, {"schemas"})
        record = self._captured(self.connections.load(kind, connection_id), kind)
        for schema, schema_body in _object("schemas", body.get("schemas")).items():
            label = f"schemas.{schema}"
            schema_body = _object(label, schema_body)
            reject_unknown(schema_body, {"tables"}, label + ".")
            for table, table_body in _object(label + ".tables", schema_body.get("tables")).items():
                settings = self._table(record, schema, table)
                table_label = f"{label}.tables.{table}"
                table_body = _object(table_label, table_body)
                reject_unknown(table_body, {"columns"}, table_label + ".")
                for column in _names(table_label + ".columns", table_body.get("columns")):
                    self._drop(settings, table, column)
        return success("Column(s) successfully marked for deletion")

    # -- re-syncs ----------------------------------------------------------------------------------------------------
    def resync(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../resync`: a historical re-sync of the whole connection, or of `scope`'s tables."""
        body = optional_object(call, '{"scope": {"iterable": ["table", ...]}}')
        reject_unknown(body, {"scope"})
        scope = body.get("scope")
        if scope is not None and (not isinstance(scope, dict) or not scope):
            raise invalid("Field 'scope' must not be empty: name the tables per schema, or leave 'scope' out to "
                          "re-sync the whole connection.")
        return self._resync(kind, connection_id, scope)

    def resync_table(self, call: Call, kind: str, connection_id: str, schema: str, table: str) -> Reply:
        """`POST .../schemas/{schema}/tables/{table}/resync` (no body): re-sync one table. The legacy form that
        go-fivetran's `ResyncTable` calls; 404 for a schema or table the source does not have."""
        reject_unknown(optional_object(call, "{}"), set())
        self.connections.load(kind, connection_id)  # an unknown connection is a 404 first
        if schema != SOURCE_SCHEMA:
            raise ApiError(404, "NotFound_Schema", f"Schema '{schema}' does not exist; an Iterable connection has "
                                                   f"one source schema, '{SOURCE_SCHEMA}'.")
        if table not in TABLES_BY_NAME:
            raise ApiError(404, "NotFound_Table", f"Table '{table}' does not exist in schema '{schema}'.")
        return self._resync(kind, connection_id, {schema: [table]}, message="Re-sync has been triggered successfully")

    def resync_tables(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../schemas/tables/resync` `{"iterable": ["table", ...]}`: re-sync the named tables."""
        body = require_object(call, '{"iterable": ["list_user_history"]}')
        if not body:
            raise invalid('Name the tables to re-sync per schema, e.g. {"iterable": ["list_user_history"]}.')
        return self._resync(kind, connection_id, body, message="Re-sync has been triggered successfully")

    def _resync(self, kind: str, connection_id: str, scope: dict[str, Any] | None, message: str | None = None
                ) -> Reply:
        tables = _scope_tables(scope) if scope is not None else None

        def start(current: Record) -> Record:
            if tables is not None and not self.table_resync_supported:
                raise invalid(TABLE_RESYNC_REFUSED)
            if rules.syncing(current):
                raise ApiError(409, "Conflict", f"A sync of {noun(kind).lower()} '{connection_id}' is in progress and "
                                                "could not be completed before the re-sync; try again after it ends.")
            if tables is None:
                current["status"]["is_historical_sync"] = True
            return current

        self.connections.update(kind, connection_id, start)
        return success(message or f"Sync has been successfully triggered for {noun(kind).lower()} with id "
                                  f"'{connection_id}'")

    # -- helpers -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _handling(body: dict[str, Any]) -> str | None:
        value = body.get("schema_change_handling")
        return None if value is None else one_of(*SCHEMA_CHANGE_HANDLING)("schema_change_handling", value)

    def _apply(self, kind: str, connection_id: str, handling: str | None, schemas: Any, message: str) -> Reply:
        updates = _updates(schemas, strict=True)

        def apply(current: Record) -> Record:
            config = self._existing(current, kind)
            captured = config.get("captured")
            for name, update in updates.items():
                if captured:
                    _check_allowed(name, update)
                table = config["tables"].setdefault(name, {"enabled": True, "columns": {}})
                if "enabled" in update:
                    table["enabled"] = update["enabled"]
                for column, column_update in update["columns"].items():
                    table.setdefault("columns", {}).setdefault(column, {}).update(column_update)
            if handling is not None:
                config["schema_change_handling"] = handling
            return current

        record = self.connections.update(kind, connection_id, apply)
        return success(message, render_config(record))

    def _existing(self, record: Record, kind: str) -> dict[str, Any]:
        config = record.get("schema_config")
        if config is None:
            raise ApiError(404, "NotFound_SchemaConfig", f"{noun(kind)} with id '{record['id']}' doesn't have schema "
                                                         "config: it is read from the source after the setup "
                                                         "succeeds (POST .../schemas/reload), or pre-created with "
                                                         "POST .../schemas.")
        return config

    def _captured(self, record: Record, kind: str) -> Record:
        if not self._existing(record, kind).get("captured"):
            raise ApiError(404, "NotFound_SchemaConfig", f"The source schema of {noun(kind).lower()} "
                                                         f"'{record['id']}' has not been read yet.")
        return record

    @staticmethod
    def _table(record: Record, schema: str, table: str) -> dict[str, Any]:
        if schema != SOURCE_SCHEMA:
            raise ApiError(404, "NotFound_Schema", f"Schema '{schema}' does not exist; an Iterable connection has "
                                                   f"one source schema, '{SOURCE_SCHEMA}'.")
        settings = record["schema_config"]["tables"].get(table)
        if settings is None:
            raise ApiError(404, "NotFound_Table", f"Table '{table}' does not exist in schema '{schema}'.")
        return settings

    @staticmethod
    def _drop(settings: dict[str, Any], table: str, column: str) -> None:
        if column not in TABLES_BY_NAME[table].all_columns:
            raise ApiError(404, "NotFound_Column", f"Column '{column}' does not exist in table '{table}'.")
        if ((settings.get("columns") or {}).get(column) or {}).get("enabled", True):
            raise ApiError(409, "Conflict", f"Column '{table}.{column}' is not blocked; disable it first.")


def _updates(schemas: Any, *, strict: bool) -> dict[str, dict[str, Any]]:
    """Table updates from a `schemas` request object, checked; `strict`: names must be Iterable's (a captured
    schema), else any name is kept for when the schema is captured."""
    if schemas is None:
        return {}
    schemas = _object("schemas", schemas)
    tables: dict[str, dict[str, Any]] = {}
    for schema, schema_body in schemas.items():
        label = f"schemas.{schema}"
        if schema != SOURCE_SCHEMA:
            raise invalid(f"Unknown schema '{schema}'. An Iterable connection has one source schema, "
                          f"'{SOURCE_SCHEMA}'.")
        reject_unknown(_object(label, schema_body), {"enabled", "tables"}, label + ".")
        if schema_body.get("enabled") is False:
            raise invalid(f"Field '{label}.enabled' cannot be false: the only source schema of an Iterable "
                          "connection cannot be disabled; disable its tables instead.")
        for name, body in _object(label + ".tables", schema_body.get("tables")).items():
            tables[name] = _table_update(f"{label}.tables.{name}", name, body, strict)
    return tables


def _table_update(label: str, name: str, body: Any, strict: bool) -> dict[str, Any]:
    reject_unknown(_object(label, body), {"enabled", "columns", "sync_mode"}, label + ".")
    table = TABLES_BY_NAME.get(name)
    if strict and table is None:
        raise invalid(f"Table '{name}' does not exist in the source schema '{SOURCE_SCHEMA}'.")
    if body.get("sync_mode") is not None:
        one_of(*SYNC_MODES)(f"{label}.sync_mode", body["sync_mode"])
    columns = {}
    for column, column_body in _object(label + ".columns", body.get("columns")).items():
        column_label = f"{label}.columns.{column}"
        reject_unknown(_object(column_label, column_body), {"enabled", "hashed", "is_primary_key"},
                       column_label + ".")
        if strict and table is not None and column not in table.all_columns:
            raise invalid(f"Column '{column}' does not exist in table '{name}'.")
        columns[column] = _given(column_label, column_body, ("enabled", "hashed"))
    return {**_given(label, body, ("enabled",)), "columns": columns}


def _given(label: str, body: dict[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    """The boolean settings a table or column update names (a partial update: what is left out stays as it is;
    `null` counts as left out)."""
    return {name: boolean(f"{label}.{name}", body[name]) for name in names if body.get(name) is not None}


def _check_allowed(name: str, update: dict[str, Any]) -> None:
    table = TABLES_BY_NAME[name]
    if update.get("enabled") is False and (reason := table_locked(table)):
        raise invalid(f"Table '{name}' cannot be disabled: {reason}.")
    for column, settings in update["columns"].items():
        reason = column_locked(table, column)
        if reason and (settings.get("enabled") is False or settings.get("hashed")):
            raise invalid(f"Column '{name}.{column}' cannot be disabled or hashed: {reason}.")


def _scope_tables(scope: dict[str, Any]) -> list[str]:
    tables = []
    for schema, names in scope.items():
        if schema != SOURCE_SCHEMA:
            raise invalid(f"Unknown schema '{schema}' in the re-sync scope; an Iterable connection has one, "
                          f"'{SOURCE_SCHEMA}'.")
        if not names:
            raise invalid(f"Schema '{schema}' maps to no tables: list the tables to re-sync, e.g. "
                          '["list_user_history"].')
        for name in _names(f"scope.{schema}", names):
            if name not in TABLES_BY_NAME:
                raise invalid(f"Table '{name}' does not exist in the source schema '{schema}'.")
            tables.append(name)
    return sorted(set(tables))


def _object(label: str, value: Any) -> dict[str, Any]:
    """A JSON object in a request body (null reads as empty), or a 400 naming where."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use a JSON object.")
    return value


def _names(label: str, value: Any) -> list[str]:
    """A JSON array of names in a request body (null reads as empty), or a 400 naming where."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise invalid(f"Invalid value for '{label}': {show(value)}. Use an array of names.")
    return value
