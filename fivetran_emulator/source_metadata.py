"""`/v1/metadata/connectors/{id}/schemas|tables|columns`: what a connection's source holds, for lineage tools.

Legacy endpoints (Fivetran's OpenAPI definition of 2023 declares them; the current one no longer does) that
clients still call: Airflow's Fivetran provider reads `tables` and `columns` to report lineage. Items have the
documented shape (`id`, `parent_id`, `name_in_source`, `name_in_destination`, and for columns the types and
key flags) in pages of `{"items", "next_cursor"}` like every other list. Ids are stable: the unpadded base64url
of the item's dotted source path. Before the source schema was read the connection has no source metadata,
so the lists are empty.
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.routing import Rule

from .catalog import COLUMN_TYPES, FOREIGN_KEYS, SOURCE_SCHEMA, TABLES
from .connections import Connections
from .envelope import Call, Reply, page_of, success
from .store import Record


def item_id(*path: str) -> str:
    """A stable, opaque id for a source schema, table or column."""
    return base64.urlsafe_b64encode(".".join(path).encode()).decode().rstrip("=")


class SourceMetadata:
    """The source schemas, tables and columns of a connection, as Fivetran's metadata API lists them."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def rules(self) -> list[Rule]:
        base = "/v1/metadata/connectors/<connection_id>"
        return [
            Rule(f"{base}/schemas", methods=["GET"], endpoint=self.schemas),
            Rule(f"{base}/tables", methods=["GET"], endpoint=self.tables),
            Rule(f"{base}/columns", methods=["GET"], endpoint=self.columns),
        ]

    def schemas(self, call: Call, connection_id: str) -> Reply:
        """`GET .../schemas`: the one source schema, named in the destination as the connection's schema."""
        record = self._read(connection_id)
        items = [{"id": item_id(SOURCE_SCHEMA), "name_in_source": SOURCE_SCHEMA,
                  "name_in_destination": record["schema"]}] if _captured(record) else []
        return success("Schemas metadata retrieved successfully", page_of(items, call))

    def tables(self, call: Call, connection_id: str) -> Reply:
        """`GET .../tables`: every table of the source schema (enabled or not: it is the source's)."""
        record = self._read(connection_id)
        items = [{"id": item_id(SOURCE_SCHEMA, table.name), "parent_id": item_id(SOURCE_SCHEMA),
                  "name_in_source": table.name, "name_in_destination": table.name}
                 for table in TABLES] if _captured(record) else []
        return success("Tables metadata retrieved successfully", page_of(items, call))

    def columns(self, call: Call, connection_id: str) -> Reply:
        """`GET .../columns`: every column of every table, with its type and whether it is a key."""
        record = self._read(connection_id)
        items: list[dict[str, Any]] = []
        if _captured(record):
            for table in TABLES:
                for column in table.all_columns:
                    kind = COLUMN_TYPES.get(column, "STRING")
                    items.append({"id": item_id(SOURCE_SCHEMA, table.name, column),
                                  "parent_id": item_id(SOURCE_SCHEMA, table.name),
                                  "name_in_source": column, "name_in_destination": column,
                                  "type_in_source": kind, "type_in_destination": kind,
                                  "is_primary_key": column in table.primary_key,
                                  "is_foreign_key": column in FOREIGN_KEYS})
        return success("Columns metadata retrieved successfully", page_of(items, call))

    def _read(self, connection_id: str) -> Record:
        # The metadata API names connections by their legacy word, connector (so do its 404s).
        return self.connections.load("connectors", connection_id)


def _captured(record: Record) -> bool:
    return bool((record.get("schema_config") or {}).get("captured"))
