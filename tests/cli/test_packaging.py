"""The two packages as a user gets them: built wheels, installed into a brand-new Pulumi project with its own
venv (no file of this repository copied), and a whole lifecycle through the real CLI against the emulator
started from its installed wheel.

The project's program declares a connection whose `group_id` comes from a `DestinationGroup` lookup (an
output of another resource), one whose config is an `IterableConfigArgs` holding a secret config value (an
Output), and exports outputs, including where the program found the package, so the test can prove it was
the project's venv and not this repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.emulator import Emulator, start_emulator
from tests.support.pulumi_cli import PulumiCli
from tests.support.wheels import install_wheels

pytestmark = pytest.mark.cli

ITERABLE_KEY = "itbl-canary-packaging-5c2e"

PULUMI_YAML = """\
name: data-platform
description: A user's own infrastructure project that adds an Iterable connection.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""

PROGRAM = '''\
"""Infrastructure of a data team: a warehouse group looked up by name, and an Iterable connection into it."""

import pulumi
import pulumi_fivetran_iterable
from pulumi_fivetran_iterable import (
    AccountRegion,
    DestinationGroup,
    IterableConfigArgs,
    IterableConnection,
    IterableConnectionArgs,
)

config = pulumi.Config()
warehouse = DestinationGroup("warehouse", name="Main warehouse")
marketing = IterableConnection(
    "marketing",
    IterableConnectionArgs(
        group_id=warehouse.group_id,
        sync_frequency=60,
        config={
            "schema": "iterable_marketing",
            "api_key": config.require_secret("iterableApiKey"),
            "account_region": AccountRegion.EU,
            "sync_mode": "SelectedEvents",
            "events": ["emailSend", "emailOpen"],
        },
    ),
)
archive = IterableConnection(
    "archive",
    IterableConnectionArgs(
        group_id="warehouse_main",
        paused=True,
        config=IterableConfigArgs(schema="iterable_archive", api_key=config.require_secret("iterableApiKey")),
    ),
)
pulumi.export("connection_id", marketing.connection_id)
pulumi.export("archive_id", archive.connection_id)
pulumi.export("webhook", marketing.webhook_endpoint)
pulumi.export("setup_state", marketing.status.apply(lambda status: status.get("setup_state")))
pulumi.export("package_file", pulumi_fivetran_iterable.__file__)
'''


@dataclass
class UserProject:
    root: Path
    python: Path
    cli: PulumiCli
    emulator: Emulator


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserProject]:
    tmp = tmp_path_factory.mktemp("packaging")
    root = tmp / "data-platform"
    root.mkdir()
    (root / "Pulumi.yaml").write_text(PULUMI_YAML)
    (root / "__main__.py").write_text(PROGRAM)
    python = install_wheels(tmp, venv=root / "venv").python

    # The emulator from its installed wheel, started from a directory that holds no code at all.
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    emulator = start_emulator("--group", "warehouse_main:Main warehouse", "--create-limit", "0",
                              python=str(python), cwd=elsewhere)
    cli = PulumiCli.in_tmp(root, tmp / "pulumi")
    try:
        cli.init_stack("dev", plaintext={"fivetran:apiUrl": emulator.base_url},
                       secret={"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
                               "iterableApiKey": ITERABLE_KEY})
        yield UserProject(root=root, python=python, cli=cli, emulator=emulator)
    finally:
        emulator.stop()


def test_nothing_of_this_repository_is_in_the_user_project(user_project: UserProject) -> None:
    files = sorted(p.name for p in user_project.root.iterdir())
    assert files == ["Pulumi.dev.yaml", "Pulumi.yaml", "__main__.py", "venv"], files
    assert not any(p.is_symlink() for p in user_project.root.rglob("*") if "venv" not in p.parts)
    code = "import pulumi_fivetran_iterable as p, fivetran_emulator as e; print(p.__file__); print(e.__file__)"
    done = subprocess.run([str(user_project.python), "-c", code], cwd="/", capture_output=True, text=True,
                          check=True, timeout=60)
    for path in done.stdout.splitlines():
        assert Path(path).is_relative_to(user_project.root / "venv"), path


def test_the_whole_lifecycle_runs_from_the_installed_wheels(user_project: UserProject) -> None:
    cli, emulator = user_project.cli, user_project.emulator

    preview = cli.run("preview").check()
    assert re.search(r"\+\s+4 to create", preview.stdout), preview.stdout
    assert emulator.writes() == []

    cli.run("up", "--yes").check()
    outputs = cli.stack_outputs()
    live, archive = sorted(emulator.connections(), key=lambda c: c["schema"] != "iterable_marketing")
    assert outputs["archive_id"] == archive["id"] and archive["paused"] is True
    assert outputs["connection_id"] == live["id"] and outputs["webhook"] == live["config"]["endpoint"]
    assert outputs["setup_state"] == "connected"
    assert live["group_id"] == "warehouse_main" and live["config"]["account_region"] == "EU"
    assert live["sync_frequency"] == 60 and sorted(live["config"]["events"]) == ["emailOpen", "emailSend"]
    assert Path(outputs["package_file"]).is_relative_to(user_project.root / "venv")

    logged = len(emulator.requests())
    cli.run("preview", "--expect-no-changes").check()
    cli.run("refresh", "--yes").check()
    cli.run("preview", "--expect-no-changes").check()
    # Only the refresh's reads of the group and the connections (in its preview pass and its update); the
    # previews send nothing.
    read = sorted(r["path"] for r in emulator.requests()[logged:] if r["method"] == "GET")
    assert read == sorted(2 * [f"/v1/connections/{live['id']}", f"/v1/connections/{archive['id']}",
                               "/v1/groups/warehouse_main"])
    assert len(emulator.requests()) - logged == len(read)

    cli.run("destroy", "--yes").check()
    assert emulator.connections() == []
    exported = cli.run("stack", "export").check().stdout + cli.run("stack", "output", "--json").stdout
    assert ITERABLE_KEY not in exported


def test_the_emulator_command_is_installed_with_its_wheel(user_project: UserProject) -> None:
    command = user_project.root / "venv" / "bin" / "fivetran-emulator"
    done = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60, check=True,
                          env={**os.environ, "PYTHONPATH": ""})
    assert textwrap.dedent(done.stdout).startswith("usage:") and "--create-limit" in done.stdout
