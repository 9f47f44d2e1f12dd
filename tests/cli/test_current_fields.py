"""The current API's fields through the real CLI: a flexible schedule, a key from an external secrets manager,
webhook authentication and destination naming are created, read back by `refresh` and previewed with no
change; the webhook secret Fivetran hands out is never in plain text in the state or the CLI output; a
changed `destination_schema_names` is a replacement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

ENTRIES = [
    connection("scheduled", schedule={"schedule_type": "TIME_OF_DAY", "time_of_day": "04:00",
                                      "days_of_week": ["MONDAY", "THURSDAY"]},
               config={"webhook_auth_type": "Basic"}, destination_schema_names="SOURCE_NAMING"),
    connection("vaulted", external_secrets_manager_id="esm_vault",
               external_secrets_keys_config={"api_key": "ITERABLE_API_KEY"},
               schedule={"schedule_type": "CRON", "cron": "0 */6 * * *"}),
]


def test_the_current_fields_through_the_cli(tmp_path: Path, emulator: Emulator) -> None:
    emulator.add_external_secret("esm_vault", "ITERABLE_API_KEY", "itbl-vault-key-1")
    project = StackProject.create(tmp_path, emulator)
    project.declare(ENTRIES, api_keys={"scheduled": "itbl-key-scheduled"})

    up = project.up().check()
    live = {c["schema"]: c for c in emulator.connections()}
    scheduled, vaulted = live["scheduled"], live["vaulted"]
    assert scheduled["schedule"]["days_of_week"] == ["MONDAY", "THURSDAY"] and scheduled["daily_sync_time"] == "04:00"
    assert scheduled["destination_schema_names"] == "SOURCE_NAMING"
    assert vaulted["status"]["setup_state"] == "connected" and "api_key" not in vaulted["config"]
    webhook_secret = scheduled["config"]["webhook_secret"]

    project.preview("--expect-no-changes").check()
    refreshed = project.run("refresh", "--yes").check()
    project.preview("--expect-no-changes").check()

    state = json.dumps(project.export())
    outputs = project.run("stack", "output", "--json").check().stdout
    for text in (state, outputs, up.stdout + up.stderr, refreshed.stdout + refreshed.stderr):
        assert webhook_secret not in text
    (resource,) = [r for r in project.resources() if r["urn"].endswith("::scheduled")]
    assert "ciphertext" in resource["outputs"]["webhook_secret"], "an encrypted secret output"

    renamed = [dict(ENTRIES[0], destination_schema_names="FIVETRAN_NAMING"), ENTRIES[1]]
    project.declare(renamed)
    preview = project.preview("--diff").check()
    assert re.search(r"\+-1 to replace", preview.stdout), preview.stdout
