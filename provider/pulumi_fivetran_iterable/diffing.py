"""The diff rules: which declared inputs changed between the state and the program, and which of those
force a new connection. Pure functions over canonical property bags, so they are tested without HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import CONFIG_FIELDS, IMMUTABLE_PATHS, TOP_LEVEL_FIELDS


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
    compared as declared then and now, never against Fivetran's masked value.
    """
    changed: list[str] = []
    for name in TOP_LEVEL_FIELDS:
        if name == "config":
            continue
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
