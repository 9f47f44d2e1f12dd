"""Renaming a connection's resource through the real CLI: the connection must survive.

A new resource name is a new URN, so Pulumi plans a create of the new resource and a delete of the old one.
With `aliases` (the way Pulumi renames a resource) nothing at all happens in Fivetran. With
`adopt_existing: true` (what the "already exists" error offers for a connection Pulumi does not manage),
the new resource adopts the connection and the old resource's delete, later in the same `up`, must not
delete what the new one now manages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

KEYS = {"marketing": "itbl-key-rename-1", "marketing-renamed": "itbl-key-rename-1"}


def renamed_stack(tmp_path: Path, emulator: Emulator) -> tuple[StackProject, str]:
    project = StackProject.create(tmp_path, emulator)
    project.declare([connection("marketing", schema="iterable_marketing")], api_keys=KEYS)
    project.up().check()
    (live,) = emulator.connections()
    return project, live["id"]


def state_names(project: StackProject) -> list[str]:
    return [r["urn"].rsplit("::", 1)[1] for r in project.resources()]


def test_a_rename_with_adopt_existing_keeps_the_connection(tmp_path: Path, emulator: Emulator) -> None:
    project, connection_id = renamed_stack(tmp_path, emulator)
    project.declare([connection("marketing-renamed", schema="iterable_marketing", adopt_existing=True)])

    result = project.up().check()

    assert [c["id"] for c in emulator.connections()] == [connection_id], result.transcript()
    assert not [r for r in emulator.requests() if r["method"] == "DELETE"]
    assert state_names(project) == ["marketing-renamed"]
    assert "not deleted" in result.stdout
    project.preview("--expect-no-changes").check()


def test_a_rename_with_an_alias_is_no_change_at_all(tmp_path: Path, emulator: Emulator) -> None:
    project, connection_id = renamed_stack(tmp_path, emulator)
    writes = len(emulator.writes())
    project.declare([connection("marketing-renamed", schema="iterable_marketing", aliases=["marketing"])])

    project.up().check()

    assert len(emulator.writes()) == writes
    assert [c["id"] for c in emulator.connections()] == [connection_id]
    assert state_names(project) == ["marketing-renamed"]


def test_a_rename_without_either_explains_aliases(tmp_path: Path, emulator: Emulator) -> None:
    project, connection_id = renamed_stack(tmp_path, emulator)
    project.declare([connection("marketing-renamed", schema="iterable_marketing")])

    result = project.up()

    assert not result.ok and "aliases" in result.stdout and "adopt_existing: true" in result.stdout
    assert [c["id"] for c in emulator.connections()] == [connection_id]
