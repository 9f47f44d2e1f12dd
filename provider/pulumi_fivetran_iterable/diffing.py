"""The diff rules: which declared inputs changed between the state and the program, and which of those
force a new connection. Pure functions over canonical property bags, so they are tested without HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import CONFIG_FIELDS, CREATE_ONLY_FIELDS, IMMUTABLE_PATHS, TOP_LEVEL_FIELDS
from .schema_config import resync_requested


@dataclass(frozen=True)
class DiffPlan:
    """The changed property paths, and the subset of them that replaces the connection."""

    changed: tuple[str, ...]
    replaces: tuple[str, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)


def declared_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """Only the inputs a user declares: no `__provider`, no computed outputs."""
    return {key: value for key, value in props.items() if key in TOP_LEVEL_FIELDS}


def plan_diff(old: Mapping[str, Any], new: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> DiffPlan:
    """Compare old inputs (as echoed into the outputs) with new, checked inputs.

    An unknown new value (preview, before another resource exists) counts as a change, and as a replacement
    when the input is immutable: the preview must never promise less than `up` may do. The API key is
    compared as declared then and now, never against Fivetran's masked value. A create-only field the program
    leaves out is not compared: taking its declaration away changes nothing in Fivetran.
    """
    changed: list[str] = []
    for name in TOP_LEVEL_FIELDS:
        if name == "config" or (name in CREATE_ONLY_FIELDS and new.get(name) is None):
            continue  # a create-only field left out is Fivetran's to keep: compared only when declared
        if is_unknown(new.get(name)) or old.get(name) != new.get(name):
            changed.append(name)

    new_config = new.get("config")
    old_config = old.get("config") or {}
    if is_unknown(new_config):
        changed.extend(f"config.{name}" for name in CONFIG_FIELDS)
    else:
        new_config = new_config or {}
        for name in CONFIG_FIELDS:
            value = new_config.get(name)
            if is_unknown(value) or old_config.get(name) != value:
                changed.append(f"config.{name}")

    replaces = tuple(path for path in changed if path in IMMUTABLE_PATHS)
    return DiffPlan(changed=tuple(changed), replaces=replaces)


def plan_notices(connection_id: str, old: Mapping[str, Any], new: Mapping[str, Any], plan: DiffPlan) -> list[str]:
    """What a preview should say beside the diff: a replacement's new historical sync, a requested re-sync."""
    schema = (old.get("config") or {}).get("schema", "?")
    if plan.replaces:
        return [f"connection '{connection_id}' (schema '{schema}') is replaced because {', '.join(plan.replaces)} "
                "changed: the new connection starts with a full historical sync, re-reading all of the Iterable "
                "project's data from the start (hours for a large project, and load on Iterable's API), "
                "and the old connection is deleted"]
    resync = new.get("resync")
    if isinstance(resync, Mapping) and "resync" in plan.changed and resync_requested(old.get("resync"), resync):
        tables = resync.get("tables")
        what = f"of the tables {', '.join(map(str, tables))}" if isinstance(tables, list) else "of every table"
        return [f"connection '{connection_id}' (schema '{schema}'): `pulumi up` asks Fivetran for a historical "
                f"re-sync {what} (once: the next `up` does not repeat it)"]
    return []
