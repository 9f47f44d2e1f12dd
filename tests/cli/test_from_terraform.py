"""Coming from Terraform, through the real CLI: the `from-terraform` journey of docs/from-terraform.md, run
line by line on a state written by OpenTofu and Fivetran's real Terraform provider (tests/from_terraform/).

The emulator holds the three connections the state describes, made through the API with the same group,
schema, settings and schema config (their ids differ: adoption finds a connection by group and schema). Then
the tool, with `--stack`, and in the generated project `pulumi preview` shows only the three adoptions, `pulumi
up` sends no POST, PATCH or DELETE, and `pulumi preview --expect-no-changes` passes. No Iterable key of the
state shows in anything the tool or the CLI printed, in the project's files or in the stack's state.

Two kinds of line are not run here: the venv line (the project links this repository's venv, which has the
package installed, instead of installing it from an index that does not have it) and the `terraform` lines
(CI has no Terraform; tests/from_terraform/README.md records that run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_journeys import journey
from tests.support.emulator import REPO_ROOT, Emulator
from tests.support.pulumi_cli import DEFAULT_PASSPHRASE, find_pulumi

pytestmark = pytest.mark.cli

STATES = REPO_ROOT / "tests" / "from_terraform"
KEYS = {"marketing_us": "itbl-canary-tf-marketing-us-7f3a", "lifecycle_eu": "itbl-canary-tf-lifecycle-eu-41c9",
        "product_events": "itbl-canary-tf-product-events-d20b"}
BLOCKED_AND_HASHED = {"list_user_history": {"enabled": False},
                      "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}
# What main.tf declares, as the API takes it.
CONNECTIONS: dict[str, dict[str, Any]] = {
    "marketing_us": {"group_id": "warehouse_main", "sync_frequency": 60, "schema_change_handling": "ALLOW_COLUMNS",
                     "config": {"schema": "iterable_marketing_us", "account_region": "US",
                                "sync_mode": "SelectedEvents", "events": ["emailSend", "emailOpen", "emailClick"]}},
    "lifecycle_eu": {"group_id": "warehouse_eu", "sync_frequency": 1440, "daily_sync_time": "03:00",
                     "config": {"schema": "iterable_lifecycle_eu", "account_region": "EU",
                                "historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2024-01-01"}},
    "product_events": {"group_id": "warehouse_main", "sync_frequency": 360,
                       "config": {"schema": "iterable_product_events", "account_region": "US",
                                  "sync_mode": "SelectedEvents", "events": ["pushSend", "pushOpen"],
                                  "custom_event_sync_mode": "SelectedEvents", "custom_events": ["checkoutStarted"]}},
}


def terraforms_connections(emulator: Emulator) -> dict[str, str]:
    """The connections as Terraform left them; their ids by name."""
    emulator.add_group("warehouse_eu", "EU warehouse")
    ids = {}
    for name, declared in CONNECTIONS.items():
        settings = {k: v for k, v in declared.items() if k not in ("config", "schema_change_handling")}
        status, body = emulator.api("POST", "/connections", {
            "service": "iterable", "paused": False, "run_setup_tests": True, **settings,
            "config": {**declared["config"], "api_key": KEYS[name]}})
        assert status == 201, body
        connection_id = body["data"]["id"]
        assert emulator.api("POST", f"/connections/{connection_id}/schemas/reload", {})[0] == 200
        change = {"schemas": {"iterable": {"enabled": True, "tables": BLOCKED_AND_HASHED}},
                  "schema_change_handling": declared.get("schema_change_handling", "ALLOW_ALL")}
        assert emulator.api("PATCH", f"/connections/{connection_id}/schemas", change)[0] == 200
        ids[name] = connection_id
    return ids


@pytest.mark.parametrize("state", ["terraform.tfstate", "opentofu.show.json"])
def test_the_from_terraform_journey_adopts_every_connection_unchanged(tmp_path: Path, emulator: Emulator,
                                                                      state: str) -> None:
    ids = terraforms_connections(emulator)
    terraform_project = tmp_path / "terraform"
    terraform_project.mkdir()
    shutil.copy(STATES / state, terraform_project / "terraform.tfstate")
    lines = journey("from-terraform")
    assert any(line.startswith("terraform state rm") for line in lines) and lines[-1].startswith("terraform plan")

    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update({
        "PATH": os.pathsep.join([str(find_pulumi().parent), str(Path(sys.executable).parent), env.get("PATH", "")]),
        "PULUMI_BACKEND_URL": (tmp_path / "backend").as_uri(), "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_CONFIG_PASSPHRASE": DEFAULT_PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true", "NO_COLOR": "1",
        "FIVETRAN_API_KEY": emulator.api_key, "FIVETRAN_API_SECRET": emulator.api_secret,
        "FIVETRAN_API_URL": emulator.base_url,
    })
    (tmp_path / "backend").mkdir()
    cwd, printed, results = terraform_project, [], {}
    before = len(emulator.requests())
    for line in lines:
        if line.startswith("terraform "):
            continue
        if line.startswith("cd "):
            cwd = (cwd / line.split()[1]).resolve()
            continue
        if "venv/bin/pip install" in line:
            (cwd / "venv").symlink_to(REPO_ROOT / "venv")
            continue
        command = line.split("  #")[0].strip()
        result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=300)
        printed.append(f"$ {command}\n{result.stdout}\n{result.stderr}")
        assert result.returncode == 0, printed[-1]
        results[command] = result.stdout

    preview = results["pulumi preview"]
    assert preview.count("pulumi-python:dynamic/fivetran:IterableConnection") == 3, preview
    assert "+ 4 to create" in preview and "to update" not in preview and "to delete" not in preview, preview
    writes = [r for r in emulator.requests()[before:] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == [], f"the adoption sent {writes}"
    project = terraform_project / "iterable-pulumi"
    shown = subprocess.run(["bash", "-c", "pulumi stack output connection_ids --json"], cwd=project, env=env,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr + "\n".join(printed)
    adopted = json.loads(shown.stdout)
    assert adopted == ids, "every connection adopted, none created"

    files = [Path(folder, name) for root in (project, tmp_path / "backend") for folder, _, names in os.walk(root)
             for name in names]  # os.walk does not follow the venv's link
    everything = "\n".join(printed) + "".join(path.read_text(errors="replace") for path in files)
    for key in KEYS.values():
        assert key not in everything, "an Iterable key in plain text"
