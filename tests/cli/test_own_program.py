"""A user's own program, in a project outside the repository with both packages installed from their wheels:
one `pulumi preview` (and one `pulumi up`) shows every problem of every connection, each on its resource with
its property path and fix, and nothing reaches the engine or Fivetran. Problems only in values the program passes
as Outputs are the provider's to judge when the engine knows them, and the engine stops at the first such
resource: that limit is pinned here too, as the evidence for what the docs say about it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.emulator import Emulator, start_emulator
from tests.support.pulumi_cli import PulumiCli, PulumiResult
from tests.support.wheels import install_wheels

pytestmark = pytest.mark.cli

TYPE = "pulumi-python:dynamic/fivetran:IterableConnection"
HEADER = '''\
import pulumi
from pulumi_fivetran_iterable import DestinationGroup, IterableConnection, IterableConnectionArgs

key = pulumi.Config().require_secret("iterableApiKey")
warehouse = DestinationGroup("warehouse", name="Main warehouse")


def connection(name, **inputs):
    config = {"schema": name.replace("-", "_"), "api_key": key, **inputs.pop("config", {})}
    return IterableConnection(name, IterableConnectionArgs(group_id=warehouse.group_id, config=config, **inputs))

'''
THREE_INVALID = HEADER + textwrap.dedent('''\
    connection("bad-events", config={"sync_mode": "SelectedEvents"})
    connection("bad-region", sync_frequency=45, config={"account_region": "XX"})
    fine = connection("fine", sync_frequency=60)
    connection("bad-tables", schema_config={"tables": {"list_user_histroy": {"enabled": False}}})
    pulumi.export("fine", fine.connection_id)
''')
EXPECTED = {
    "bad-events": ["config.events: must list at least one event when config.sync_mode is SelectedEvents; list the "
                   "events to sync, or set config.sync_mode to AllEvents"],
    "bad-region": ["config.account_region: must be one of US, EU (got 'XX')",
                   "sync_frequency: must be one of 1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440 (minutes), got 45"],
    "bad-tables": ["schema_config.tables.list_user_histroy: is not a table of an Iterable connection; did you mean "
                   "'list_user_history'?"],
}
# Problems only in values the program holds as Outputs: the provider judges them, one resource per run.
INVALID_IN_OUTPUTS = HEADER + textwrap.dedent('''\
    connection("late-a", sync_frequency=pulumi.Output.from_input(45))
    connection("late-b", sync_frequency=pulumi.Output.from_input(46))
''')


@dataclass
class Project:
    root: Path
    cli: PulumiCli
    emulator: Emulator

    def preview(self, program: str) -> PulumiResult:
        (self.root / "__main__.py").write_text(program)
        return self.cli.run("preview")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    tmp = tmp_path_factory.mktemp("own-program")
    wheels = install_wheels(tmp)
    root = tmp / "data-platform"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: data-platform\nruntime:\n  name: python\n  options:\n"
                                      "    toolchain: pip\n    virtualenv: venv\n")
    (root / "venv").symlink_to(wheels.venv)
    emulator = start_emulator("--group", "warehouse_main:Main warehouse", "--create-limit", "0",
                              python=str(wheels.python), cwd=tmp)
    cli = PulumiCli.in_tmp(root, tmp / "pulumi")
    try:
        cli.init_stack("dev", plaintext={"fivetran:apiUrl": emulator.base_url},
                       secret={"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
                               "iterableApiKey": "itbl-canary-own-program-3f0e"})
        yield Project(root, cli, emulator)
    finally:
        emulator.stop()


def problems_by_resource(output: str) -> dict[str, list[str]]:
    """The `has a problem:` lines of the Diagnostics section, per resource heading."""
    diagnostics = output.split("Diagnostics:", 1)[1]
    found: dict[str, list[str]] = {}
    for heading, body in re.findall(rf"  {re.escape(TYPE)} \(([\w-]+)\):\n(.*?)(?:\n\n|\Z)", diagnostics, re.S):
        prefix = f"error: {TYPE} resource '{heading}' has a problem: "
        found[heading] = [line.strip().removeprefix(prefix) for line in body.splitlines() if prefix in line]
    return found


def test_one_preview_shows_every_problem_of_every_connection(project: Project) -> None:
    for _ in range(2):  # the same every time, whatever order the registrations would have reached the engine in
        preview = project.preview(THREE_INVALID)
        output = preview.stdout + preview.stderr
        assert preview.returncode != 0
        assert problems_by_resource(output) == EXPECTED, output
        assert "4 problems in 3 IterableConnection resources, each shown with its resource; nothing was changed" \
            in output
        for noise in ("Resource monitor has terminated", "Traceback", "{<nil>}", "exited with code", "never awaited"):
            assert noise not in output, output
    assert project.emulator.requests() == []


def test_up_changes_nothing_when_any_connection_has_a_problem(project: Project) -> None:
    (project.root / "__main__.py").write_text(THREE_INVALID)
    up = project.cli.run("up", "--yes")
    assert up.returncode != 0 and problems_by_resource(up.stdout + up.stderr) == EXPECTED
    assert project.emulator.writes() == [] and project.emulator.connections() == []  # not even "fine"
    assert project.cli.stack_export()["deployment"].get("resources") in (None, [])


def test_problems_only_in_outputs_are_judged_by_the_provider_one_resource_per_run(project: Project) -> None:
    """The engine's limit (pkg/resource/deploy/step_generator.go bails at the first resource whose check fails):
    of two connections whose problems are only in Output values, one preview shows one."""
    preview = project.preview(INVALID_IN_OUTPUTS)
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0
    shown = problems_by_resource(output)
    assert len(shown) == 1 and set(shown) <= {"late-a", "late-b"}, output
    assert "Resource monitor has terminated" in output
