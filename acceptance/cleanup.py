"""Removing what a run created: the sweep at the end of every run, and `--cleanup` for what an interrupted
earlier run left behind.

Both delete only connections in the run's group whose schema is one the suite makes
(`pulumi_acc_<run id>_<role>`, see `context.schema_pattern`), and only through the guard, which refuses
anything else. The sweep looks up each schema the run could have created (one filtered list each, so it reads
no other connection) and the ids the guard saw; `--cleanup` must list the whole group, since it does not know
the earlier run's id, but deletes only what has such a schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import RUN_ID, SUITE_PREFIX, Names, schema_pattern
from .fivetran import ApiError, FivetranApi
from .guard import Guard


@dataclass
class Swept:
    deleted: list[str] = field(default_factory=list)  # "schema (id)"
    failed: list[str] = field(default_factory=list)  # what could not be deleted, and why
    left: list[str] = field(default_factory=list)  # schemas of the run still found afterwards


def sweep(api: FivetranApi, guard: Guard, names: Names, gone: set[str]) -> Swept:
    """Delete everything of the run that is still in Fivetran (what the guard saw, but for the ids steps saw
    deleted, and whatever any of the run's schemas holds), then look again."""
    swept = Swept()
    found: dict[str, str] = {connection_id: "?" for connection_id in guard.known_ids() - gone}
    try:
        for schema in names.all():
            found.update({str(item["id"]): schema for item in api.find(schema)})
    except ApiError as error:
        swept.failed.append(f"looking the run's connections up: {error}")
    for connection_id, schema in sorted(found.items()):
        try:
            if api.delete(connection_id):
                swept.deleted.append(f"{schema} ({connection_id})")
        except ApiError as error:
            swept.failed.append(str(error))
    try:
        swept.left = [schema for schema in names.all() if api.find(schema)]
    except ApiError as error:
        swept.failed.append(f"checking that nothing is left: {error}")
    return swept


def cleanup_pattern(run: str | None) -> re.Pattern[str]:
    """The schemas `--cleanup` deletes: one run's (`--run ID`, or its prefix), else those of every run."""
    if not run:
        return schema_pattern()
    run_id = run.removeprefix(SUITE_PREFIX).strip("_")
    if not RUN_ID.fullmatch(run_id):
        raise ValueError(f"--run: not a run id: {run!r} (the report's second line names it, e.g. k3x9q2ab)")
    return schema_pattern(run_id)


def clean_group(api: FivetranApi, schemas: re.Pattern[str]) -> Swept:
    """Delete every connection of the group with a schema the suite makes (`--cleanup`)."""
    swept = Swept()
    for item in api.group_connections():
        schema = str(item.get("schema") or "")
        if not schemas.match(schema):
            continue
        try:
            if api.delete(str(item["id"])):
                swept.deleted.append(f"{schema} ({item['id']}, created {item.get('created_at', '?')})")
        except ApiError as error:
            swept.failed.append(str(error))
    return swept
