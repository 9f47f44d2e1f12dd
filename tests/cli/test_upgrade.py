"""Upgrading a stack made with 0.1 (import name `provider`) to this package, through the real CLI, with the
three commands CHANGELOG.md gives.

A 0.1 state pickles `provider.resource.IterableConnectionProvider` (and `provider.group...`); `refresh` and
`destroy` load the provider from the state, so they fail until the references are rewritten. After
export, `python -m pulumi_fivetran_iterable.upgrade` and import, nothing shows as changed and nothing was sent
to Fivetran.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.emulator import Emulator
from tests.support.legacy import CONNECTION_PROVIDER, GROUP_PROVIDER, old_provider_string
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli


def make_it_a_0_1_state(project: StackProject) -> None:
    """Rewrite the stack's state as 0.1 wrote it: the same resources, the old provider references."""
    old = {"IterableConnection": old_provider_string(CONNECTION_PROVIDER),
           "DestinationGroup": old_provider_string(GROUP_PROVIDER)}
    state = project.export()
    rewritten = 0
    for resource in state["deployment"]["resources"]:
        kind = resource["type"].rpartition(":")[2]
        if kind in old:
            for side in ("inputs", "outputs"):
                resource[side]["__provider"] = old[kind]
                rewritten += 1
    assert rewritten == 4
    path = project.root / "state.json"
    path.write_text(json.dumps(state))
    project.run("stack", "import", "--file", str(path)).check()


def test_a_0_1_stack_is_upgraded_by_rewriting_its_state_and_nothing_else(tmp_path: Path, emulator: Emulator
                                                                          ) -> None:
    project = StackProject.create(tmp_path, emulator)
    project.declare([connection("marketing", group_name="Main warehouse")], api_keys={"marketing": "itbl-key-1"})
    project.up().check()
    writes = len(emulator.writes())
    make_it_a_0_1_state(project)

    stuck = project.run("refresh", "--yes")
    assert not stuck.ok and "No module named 'provider'" in stuck.stdout + stuck.stderr

    requests = len(emulator.requests())
    path = project.root / "upgraded.json"
    project.run("stack", "export", "--file", str(path)).check()
    python = project.root / "venv" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pulumi_fivetran_iterable.upgrade", str(path)], cwd=project.root,
                          capture_output=True, text=True, timeout=60, check=True)
    assert "rewrote 4 provider reference(s)" in done.stdout
    project.run("stack", "import", "--file", str(path)).check()
    assert len(emulator.requests()) == requests, "the upgrade itself talks to nobody"

    project.preview("--expect-no-changes").check()
    project.run("refresh", "--yes").check()
    project.preview("--expect-no-changes").check()
    assert len(emulator.writes()) == writes, "nothing was written to Fivetran since the create"
    project.run("destroy", "--yes").check()
    assert emulator.connections() == []
