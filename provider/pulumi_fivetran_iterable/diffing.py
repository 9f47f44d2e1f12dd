"""The diff rules: which declared inputs changed between the state and the program, and which of those
force a new connection. Pure functions over canonical property bags, so they are tested without HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .key_source import key_change, recorded_source
from .model import CONFIG_FIELDS, CREATE_ONLY_FIELDS, IMMUTABLE_PATHS, TOP_LEVEL_FIELDS
from .payloads import patch_bodies
from .schema_config import resync_requested
from .setup_tests import fails_hard

# Replaced inputs that give the new connection another place: it can be made before the old one is deleted.
_NEW_PLACE = ("group_id", "config.schema")


@dataclass(frozen=True)
class DiffPlan:
    """The changed property paths, and the subset of them that replaces the connection."""

    changed: tuple[str, ...]
    replaces: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # the changed paths whose new value is not known yet (preview)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)

    @property
    def delete_first(self) -> bool:
        """A replacement that keeps the group and the schema: Fivetran allows one connection per schema in a
        group, so the old connection must go before the new one can be made."""
        return bool(self.replaces) and not any(path in self.replaces for path in _NEW_PLACE)


def declared_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """Only the inputs a user declares: no `__provider`, no computed outputs."""
    return {key: value for key, value in props.items() if key in TOP_LEVEL_FIELDS}


def plan_diff(old: Mapping[str, Any], new: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> DiffPlan:
    """Compare old inputs (as echoed into the outputs) with new, checked inputs.

    An unknown new value (preview, before another resource exists) counts as a change, and as a replacement
    when the input is immutable: the preview must never promise less than `up` may do. The API key is
    compared as declared then and now, never against Fivetran's masked value. A create-only field the program
    leaves out is not compared: taking its declaration away changes nothing in Fivetran; nor is one the state
    does not know (a state written before it was recorded): the next refresh records it.
    """
    changed: list[str] = []
    unknown: list[str] = []
    for name in TOP_LEVEL_FIELDS:
        if name == "config" or (name in CREATE_ONLY_FIELDS and (new.get(name) is None or old.get(name) is None)):
            continue  # a create-only field is compared only when both sides know it
        if is_unknown(new.get(name)):
            unknown.append(name)
        if is_unknown(new.get(name)) or old.get(name) != new.get(name):
            changed.append(name)

    new_config = new.get("config")
    old_config = old.get("config") or {}
    if is_unknown(new_config):
        changed.extend(f"config.{name}" for name in CONFIG_FIELDS)
        unknown.extend(f"config.{name}" for name in CONFIG_FIELDS)
    else:
        new_config = new_config or {}
        for name in CONFIG_FIELDS:
            value = new_config.get(name)
            if is_unknown(value):
                unknown.append(f"config.{name}")
            if is_unknown(value) or old_config.get(name) != value:
                changed.append(f"config.{name}")

    replaces = tuple(path for path in changed if path in IMMUTABLE_PATHS)
    return DiffPlan(changed=tuple(changed), replaces=replaces, unknown=tuple(unknown))


def plan_warnings(connection_id: str, old_outputs: Mapping[str, Any], old: Mapping[str, Any],
                  new: Mapping[str, Any], plan: DiffPlan) -> list[str]:
    """What a preview warns of beside the diff: a replacement's consequences, a key that could not be put back,
    a requested re-sync."""
    schema = (old.get("config") or {}).get("schema", "?")
    if plan.replaces:
        return [_replacement_warning(connection_id, schema, old_outputs, new, plan)]
    warnings = []
    if plan.has_changes and (warning := key_verdict(connection_id, old_outputs, old, new)[1]):
        warnings.append(warning)
    resync = new.get("resync")
    if isinstance(resync, Mapping) and "resync" in plan.changed and resync_requested(old.get("resync"), resync):
        tables = resync.get("tables")
        what = f"of the tables {', '.join(map(str, tables))}" if isinstance(tables, list) else "of every table"
        warnings.append(f"connection '{connection_id}' (schema '{schema}'): `pulumi up` asks Fivetran for a "
                        f"historical re-sync {what} (once: the next `up` does not repeat it)")
    return warnings


def key_verdict(connection_id: str, old_outputs: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]
                ) -> tuple[str | None, str | None]:
    """An in-place change seen from the key (see `key_source`): (why it is refused, what to warn of).

    A change that would replace a working key that could not be put back is refused under `fail`, whose promise
    is to undo a change that fails its tests; under `warn` it is made, with a warning."""
    change = key_change(recorded_source(old_outputs), old_outputs, patch_bodies(old, new)[0], new)
    if not change.loses_working_key:
        return None, None
    if fails_hard(new):
        return change.refusal(connection_id), None
    return None, change.warning(connection_id)


def _replacement_warning(connection_id: str, schema: str, old_outputs: Mapping[str, Any], new: Mapping[str, Any],
                         plan: DiffPlan) -> str:
    """Everything a replacement costs, said before it happens."""
    config = new.get("config")
    config = config if isinstance(config, Mapping) else {}
    if all(path in plan.unknown for path in plan.replaces):
        text = (f"connection '{connection_id}' (schema '{schema}') may be replaced: {', '.join(plan.replaces)} is "
                "not known until `up`, and a new value replaces the connection. ")
    else:
        text = (f"connection '{connection_id}' (schema '{schema}') is replaced because {', '.join(plan.replaces)} "
                "changed. ")
    if plan.delete_first:
        text += ("Fivetran allows one connection per schema in a group, so the old connection is deleted first "
                 f"and the new one created after it: in between, nothing loads schema '{schema}', and should the "
                 "create fail, `pulumi up` leaves no connection until it is run again. ")
    else:
        text += "The new connection is created first, and the old one deleted at the end of `pulumi up`. "
    text += ("The new connection starts with a full historical sync, re-reading all of the Iterable project's data "
             "from the start (hours for a large project, and load on Iterable's API). Its webhook URL changes: "
             "after `up`, register the new webhook_endpoint output in Iterable's System Webhooks, "
             "or Iterable's events stop arriving")
    if config.get("webhook_auth_type") in ("Basic", "OAuth2"):
        text += ", together with the new webhook_secret"
    if new.get("connect_card_config") and not config.get("api_key") and not new.get("external_secrets_keys_config"):
        text += ". Its Connect Card must be completed again: the new connection gets a new card (connect_card_uri)"
    elif old_outputs.get("connect_card_uri") and not config.get("api_key"):
        text += ". Its key came from a Connect Card, which a new connection does not have"
    return text
