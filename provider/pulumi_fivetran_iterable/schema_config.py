"""Which Iterable tables and columns a connection syncs: the rules, the canonical form, the request bodies, and
Fivetran's schema config read back onto what the program declares.

Only what the program declares is managed. The canonical form holds exactly the declared items (tables with
their `enabled`, columns with `enabled` and `hashed`, and `schema_change_handling` when set), so Fivetran's
settings for everything else never show as a diff; reading back (`project`) looks at the same items only.
Knows nothing of HTTP or Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .catalog import SOURCE_SCHEMA, TABLES, closest, column_locked_reason, table_locked_reason
from .model import Resync, SchemaConfig

# A column Fivetran has no setting for syncs, unhashed.
DEFAULT_COLUMN = {"enabled": True, "hashed": False}

Problem = tuple[str, str]  # (property path, what is wrong and how to fix it)


# -- rules against the catalog -------------------------------------------------------------------------------------
def problems(config: SchemaConfig | None, resync: Resync | None) -> list[Problem]:
    """What the catalog says is wrong with the declared schema config and re-sync, every problem at once."""
    found: list[Problem] = []
    for name, table in ((config.tables or {}) if config else {}).items():
        path = f"schema_config.tables.{name}"
        known = TABLES.get(name)
        if known is None:
            found.append((path, _unknown_table(name)))
            continue
        if not table.enabled and (reason := table_locked_reason(known)):
            found.append((f"{path}.enabled", f"cannot be false: {reason}; remove the setting"))
        for column, settings in (table.columns or {}).items():
            column_path = f"{path}.columns.{column}"
            if column not in known.columns:
                suggestion = closest(column, known.columns)
                hint = f"did you mean '{suggestion}'?" if suggestion else f"its columns are {', '.join(known.columns)}"
                found.append((column_path, f"is not a column of the Iterable table '{name}'; {hint}"))
                continue
            reason = column_locked_reason(known, column)
            if reason and not settings.enabled:
                found.append((f"{column_path}.enabled", f"cannot be false: {reason}, so Fivetran always syncs it"))
            if reason and settings.hashed:
                found.append((f"{column_path}.hashed", f"cannot be true: {reason}, so Fivetran never hashes it"))
    for index, name in enumerate(resync.tables or () if resync else ()):
        path = f"resync.tables[{index}]"
        if name not in TABLES:
            found.append((path, _unknown_table(name)))
        elif config and config.tables and name in config.tables and not config.tables[name].enabled:
            found.append((path, f"'{name}' is disabled in schema_config, so there is nothing to re-sync; enable "
                                "it, or remove it from resync.tables"))
    return found


def _unknown_table(name: str) -> str:
    suggestion = closest(name, list(TABLES))
    hint = f"did you mean '{suggestion}'?" if suggestion else f"the tables are {', '.join(TABLES)}"
    return f"is not a table of an Iterable connection; {hint}"


# -- canonical form ---------------------------------------------------------------------------------------------------
def canonical(config: SchemaConfig | None) -> dict[str, Any] | None:
    """The declared schema config as a property bag; None when nothing is declared (nothing is managed)."""
    if config is None:
        return None
    out: dict[str, Any] = {}
    if config.schema_change_handling is not None:
        out["schema_change_handling"] = config.schema_change_handling.value
    tables = {}
    for name, table in (config.tables or {}).items():
        entry: dict[str, Any] = {"enabled": table.enabled}
        if table.columns:
            entry["columns"] = {column: {"enabled": settings.enabled, "hashed": settings.hashed}
                                for column, settings in table.columns.items()}
        tables[name] = entry
    if tables:
        out["tables"] = tables
    return out or None


def canonical_resync(resync: Resync | None) -> dict[str, Any] | None:
    if resync is None:
        return None
    return {"trigger": resync.trigger, **({"tables": sorted(set(resync.tables))} if resync.tables else {})}


# -- request bodies ---------------------------------------------------------------------------------------------------
def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The `PATCH .../schemas` body that takes the declared items from `old` (what Fivetran holds of them, as
    far as we know) to `new`: only what differs, in one request; `{}` when nothing does. With `old` None, every
    declared item (the body of a pre-create, too)."""
    old = old or {}
    body: dict[str, Any] = {}
    handling = new.get("schema_change_handling")
    if handling is not None and old.get("schema_change_handling") != handling:
        body["schema_change_handling"] = handling
    old_tables = old.get("tables") or {}
    tables: dict[str, Any] = {}
    for name, wanted in (new.get("tables") or {}).items():
        held = old_tables.get(name)
        held_columns = (held or {}).get("columns") or {}
        columns = {column: dict(settings) for column, settings in (wanted.get("columns") or {}).items()
                   if held is None or held_columns.get(column) != settings}
        if held is None or held.get("enabled") != wanted["enabled"] or columns:
            tables[name] = {"enabled": wanted["enabled"], **({"columns": columns} if columns else {})}
    if tables:
        body["schemas"] = {SOURCE_SCHEMA: {"enabled": True, "tables": tables}}
    return body


def pre_create_body(declared: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST .../schemas` body: every declared item; the spec requires `schemas`, also when no table is
    declared."""
    body = changes(None, declared)
    body.setdefault("schemas", {SOURCE_SCHEMA: {"enabled": True, "tables": {}}})
    return body


def resync_body(resync: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST .../resync` body: the whole connection, or the listed tables."""
    tables = resync.get("tables")
    return {"scope": {SOURCE_SCHEMA: list(tables)}} if tables else {}


def resync_requested(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """A re-sync is requested when the program's `resync` is new or changed (never when it is removed)."""
    return new is not None and new != old


# -- reading back -----------------------------------------------------------------------------------------------------
def live_tables(live: Mapping[str, Any] | None) -> dict[str, Any]:
    """The tables of Fivetran's schema config answer (the source schema's, or the only schema's)."""
    schemas = (live or {}).get("schemas") or {}
    schema = schemas.get(SOURCE_SCHEMA)
    if schema is None and len(schemas) == 1:
        schema = next(iter(schemas.values()))  # UNVERIFIED name of Iterable's one schema: take the only one
    return dict((schema or {}).get("tables") or {})


def unlisted_columns(live: Mapping[str, Any] | None, declared: Mapping[str, Any]) -> list[str]:
    """Tables with declared columns that Fivetran's answer leaves out: it lists only the columns whose settings
    were ever changed, so the state of the others must be read from the table's column list."""
    tables = live_tables(live)
    return [name for name, wanted in (declared.get("tables") or {}).items()
            if name in tables and set(wanted.get("columns") or {}) - set(tables[name].get("columns") or {})]


def project(live: Mapping[str, Any] | None, declared: Mapping[str, Any] | None,
            columns_of: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any] | None:
    """Fivetran's schema config seen through the declared items: the same shape as `canonical`, with the live
    values. A declared table Fivetran does not list is left out (so it differs, and is sent again);
    `columns_of` holds full column lists for the tables `unlisted_columns` named; a column listed nowhere has
    Fivetran's default settings."""
    if declared is None:
        return None
    out: dict[str, Any] = {}
    if "schema_change_handling" in declared and (live or {}).get("schema_change_handling"):
        out["schema_change_handling"] = live["schema_change_handling"]  # type: ignore[index]
    tables = live_tables(live)
    projected: dict[str, Any] = {}
    for name, wanted in (declared.get("tables") or {}).items():
        held = tables.get(name)
        if held is None:
            continue
        entry: dict[str, Any] = {"enabled": bool(held.get("enabled", True))}
        if wanted.get("columns"):
            listed = {**((columns_of or {}).get(name) or {}), **(held.get("columns") or {})}
            entry["columns"] = {column: _column(listed.get(column)) for column in wanted["columns"]}
        projected[name] = entry
    if projected:
        out["tables"] = projected
    return out


def _column(settings: Mapping[str, Any] | None) -> dict[str, bool]:
    if settings is None:
        return dict(DEFAULT_COLUMN)
    return {"enabled": bool(settings.get("enabled", True)), "hashed": bool(settings.get("hashed", False))}


def differences(held: Mapping[str, Any] | None, declared: Mapping[str, Any]) -> list[str]:
    """The declared items whose live value differs, as `tables.event.columns.email.hashed: true -> false` lines
    (the live value first), for messages."""
    held = held or {}
    lines = []
    if "schema_change_handling" in declared and held.get("schema_change_handling") != declared[
            "schema_change_handling"]:
        lines.append(f"schema_change_handling: {held.get('schema_change_handling', 'unknown')} -> "
                     f"{declared['schema_change_handling']}")
    held_tables = held.get("tables") or {}
    for name, wanted in (declared.get("tables") or {}).items():
        table = held_tables.get(name)
        if table is None:
            lines.append(f"tables.{name}: not in Fivetran's schema config -> enabled: {_flag(wanted['enabled'])}")
            continue
        if table.get("enabled") != wanted["enabled"]:
            lines.append(f"tables.{name}.enabled: {_flag(table.get('enabled'))} -> {_flag(wanted['enabled'])}")
        for column, settings in (wanted.get("columns") or {}).items():
            live = (table.get("columns") or {}).get(column) or DEFAULT_COLUMN
            for key in ("enabled", "hashed"):
                if live.get(key) != settings[key]:
                    lines.append(f"tables.{name}.columns.{column}.{key}: {_flag(live.get(key))} -> "
                                 f"{_flag(settings[key])}")
    return lines


def _flag(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)
