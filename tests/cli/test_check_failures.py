"""How a bad input reads in the CLI, in a user's own program (not this repository's stack program, which
checks its entries itself): one line per problem, attached to the resource, naming the property path and the
fix, never `{<nil>}` (the engine's rendering of a nested path as a top-level input's value)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.emulator import Emulator
from tests.support.stack import users_project

pytestmark = pytest.mark.cli

PROGRAM = textwrap.dedent('''
    from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs

    IterableConnection("marketing", IterableConnectionArgs(
        group_id="warehouse_main",
        sync_frequency=45,
        config={"schema": "iterable_marketing", "api_key": "itbl-key-1", "account_region": "XX",
                "sync_mode": "SelectedEvents"},
        schema_config={"tables": {"list_user_histroy": {"enabled": False}}},
    ))
''')
PREFIX = "error: pulumi-python:dynamic/fivetran:IterableConnection resource 'marketing' has a problem: "
EXPECTED = [
    "config.account_region: must be one of US, EU (got 'XX')",
    "config.events: must list at least one event when config.sync_mode is SelectedEvents; list the events to "
    "sync, or set config.sync_mode to AllEvents",
    "schema_config.tables.list_user_histroy: is not a table of an Iterable connection; did you mean "
    "'list_user_history'?",
    "sync_frequency: must be one of 1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440 (minutes), got 45",
]


def test_a_failed_preview_names_each_path_and_fix(tmp_path: Path, emulator: Emulator) -> None:
    cli = users_project(tmp_path, emulator, PROGRAM)

    preview = cli.run("preview")
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0
    diagnostics = output.split("  pulumi-python:dynamic/fivetran:IterableConnection (marketing):\n", 1)[1]
    lines = [line.strip() for line in diagnostics.split("\n\n", 1)[0].splitlines()]
    assert lines == [PREFIX + reason for reason in EXPECTED], output
    assert "{<nil>}" not in output and "Traceback" not in output
    assert emulator.requests() == []  # checked offline
