"""The step that has Fivetran read the connection's schema (a reload reads the table list from Iterable and
loads no data) and compares what it finds with what the provider assumes: the source schema's name, the
tables, what cannot change, and whether the settings pre-created before the first sync were applied.
"""

from __future__ import annotations

from typing import Any

from pulumi_fivetran_iterable.catalog import REFERENCED_TABLES, SOURCE_SCHEMA, TABLES, column_locked_reason

from .context import Run, check, skip, step
from .fivetran import segment
from .lifecycle import declared_items_held

# The table whose columns are read (one request): it holds the hashed column, a compound primary key and
# Fivetran's own columns.
COLUMNS_OF = "user_history"


def _locked(items: dict[str, Any]) -> list[str]:
    return sorted(name for name, item in items.items()
                  if not ((item or {}).get("enabled_patch_settings") or {}).get("allowed", True))


@step("schema-read", "once Fivetran reads the schema, the pre-created settings apply; what the schema holds",
      needs=("schema-config",))
def schema_read(run: Run) -> str:
    run.needs_working_key()
    path = f"/connections/{segment(run.ids['main'])}/schemas"
    reload = run.api.call("POST", f"{path}/reload", {"exclude_mode": "PRESERVE"})
    if not reload.ok:
        skip(f"Fivetran did not read the schema on request ({reload.describe()}); what it holds then is known only "
             "after a first sync, which the suite never starts")
    live = reload.data if reload.data.get("schemas") else run.api.data("GET", path)
    schemas = live.get("schemas") or {}
    names = sorted(schemas)
    run.answer("source-schema-name", ", ".join(names) or "no schema", same=names == [SOURCE_SCHEMA])
    if len(names) == 1:
        run.source_schema = names[0]
    source = schemas.get(run.source_schema) or {}
    tables: dict[str, Any] = source.get("tables") or {}
    extra, missing = sorted(set(tables) - set(TABLES)), sorted(set(TABLES) - set(tables))
    run.answer("tables", f"{len(tables)}; not in the provider's catalog: {extra or 'none'}; only in the catalog: "
                         f"{missing or 'none'}", same=not extra and not missing)
    held, seen = declared_items_held(live, run.source_schema)
    run.answer("pre-create-applied", "applied" if held else f"not applied: {seen}", same=held)

    columns_reply = run.api.call("GET", f"{path}/{segment(run.source_schema)}/tables/{COLUMNS_OF}/columns")
    columns: dict[str, Any] = columns_reply.data.get("columns") or {}
    table = TABLES[COLUMNS_OF]
    expected_columns = sorted(c for c in table.columns if column_locked_reason(table, c))
    locked_tables, locked_columns = _locked(tables), _locked(columns)
    run.answer("locked-items", f"tables {locked_tables or 'none'}; columns of {COLUMNS_OF}: "
                               f"{locked_columns if columns else columns_reply.describe()}",
               same=locked_tables == sorted(REFERENCED_TABLES) and locked_columns == expected_columns)
    listed = sorted((tables.get(COLUMNS_OF) or {}).get("columns") or {})
    run.answer("columns-listed", f"{COLUMNS_OF} lists {listed}", same=listed == ["email"])
    handling, new_items = live.get("schema_change_handling"), live.get("enable_new_by_default")
    run.answer("new-items-default", f"schema_change_handling {handling}, enable_new_by_default {new_items}",
               same=new_items == (handling == "ALLOW_ALL"))
    modes = sorted({str(t.get("sync_mode")) for t in tables.values()})
    run.answer("table-sync-mode", ", ".join(modes), same=modes == ["SOFT_DELETE"])
    check(held, f"the settings pre-created before the first sync were not applied when Fivetran read the schema: "
                f"{seen}")
    return f"schema '{run.source_schema}' read: {len(tables)} tables, the pre-created settings applied"
