"""The Terraform state reader and the project writer, offline, on the states OpenTofu and Fivetran's real
Terraform provider wrote (tests/from_terraform/), and on variations of them for what cannot be carried over."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pulumi_fivetran_iterable.from_terraform import main, program, requirements
from pulumi_fivetran_iterable.terraform_state import StateError, read_state
from pulumi_fivetran_iterable.validation import check_inputs
from pulumi_fivetran_iterable.version import __version__

from tests.support.emulator import REPO_ROOT

STATES = REPO_ROOT / "tests" / "from_terraform"
ALL_STATES = ["terraform.tfstate", "terraform.show.json", "opentofu.tfstate", "opentofu.show.json"]
KEYS = ("itbl-canary-tf-marketing-us-7f3a", "itbl-canary-tf-lifecycle-eu-41c9", "itbl-canary-tf-product-events-d20b")


def described(path: Path) -> list[dict[str, Any]]:
    return [{k: v for k, v in vars(c).items()} for c in read_state(path).connections]


def state_with(tmp_path: Path, change: Any) -> Path:
    """The Terraform-registry state, changed by `change(resources_by_address)`, written to a file."""
    document = json.loads((STATES / "terraform.tfstate").read_text())
    change({f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in document["resources"]}, document)
    path = tmp_path / "changed.tfstate"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("name", ALL_STATES[1:])
def test_both_formats_at_both_registry_addresses_read_the_same(name: str) -> None:
    assert described(STATES / name) == described(STATES / "terraform.tfstate")


def test_each_connection_is_what_main_tf_declares() -> None:
    by_name = {c.name: c for c in read_state(STATES / "opentofu.show.json").connections}
    assert set(by_name) == {"marketing_us", "lifecycle_eu", "product_events"}
    marketing, eu, events = by_name["marketing_us"], by_name["lifecycle_eu"], by_name["product_events"]
    assert (marketing.group_id, marketing.schema, marketing.settings["sync_frequency"]) == (
        "warehouse_main", "iterable_marketing_us", 60)
    assert marketing.config["events"] == ["emailClick", "emailOpen", "emailSend"]
    assert eu.settings["daily_sync_time"] == "03:00" and eu.config["historical_sync_limit_date"] == "2024-01-01"
    assert events.config["custom_events"] == ["checkoutStarted"], "fivetran_connection_config over the connection"
    assert len(events.addresses) == 4 and events.api_key == KEYS[2]
    for connection in by_name.values():
        assert connection.schema_config is not None
        assert connection.schema_config["tables"] == {"list_user_history": {"enabled": False},
                                                      "user_history": {"columns": {"email": {"hashed": True}}}}


def test_every_generated_connection_passes_the_providers_own_checks() -> None:
    for connection in read_state(STATES / "terraform.tfstate").connections:
        props = {"group_id": connection.group_id, **connection.settings, "adopt_existing": True,
                 "schema_config": connection.schema_config,
                 "config": {"schema": connection.schema, "api_key": connection.api_key, **connection.config}}
        _, errors = check_inputs(props, lambda value: False)
        assert errors == [], (connection.name, [str(e) for e in errors])


def test_the_generated_program_passes_mypy_strict(tmp_path: Path) -> None:
    program_file = tmp_path / "__main__.py"
    program_file.write_text(program(read_state(STATES / "terraform.tfstate"), "terraform.tfstate"))
    checked = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program_file)],
                             capture_output=True, text=True, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_tool_writes_the_project_and_no_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "migrated"
    assert main([str(STATES / "terraform.tfstate"), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["Pulumi.yaml", "__main__.py", "requirements.txt"]
    assert "virtualenv: venv" in (out / "Pulumi.yaml").read_text()
    assert (out / "requirements.txt").read_text() == requirements()  # where this copy was installed from
    written = "".join(p.read_text() for p in out.iterdir()) + printed.out + printed.err
    for key in KEYS:
        assert key not in written
    # Without --stack: the commands that store each key, reading it from the state as they run.
    assert "--key marketing_us | pulumi config set --secret marketing_us_api_key" in printed.out
    assert "terraform state rm fivetran_connector.lifecycle_eu" in printed.out and "destroy = false" in printed.out
    assert "Never run `terraform destroy`" in printed.out


def test_key_writes_into_a_pipe_and_refuses_a_terminal() -> None:
    tool = [sys.executable, "-m", "pulumi_fivetran_iterable.from_terraform", str(STATES / "terraform.tfstate")]
    piped = subprocess.run([*tool, "--key", "lifecycle_eu"], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stdout == KEYS[1]
    import pty  # a terminal on standard output

    controller, terminal = pty.openpty()
    refused = subprocess.run([*tool, "--key", "lifecycle_eu"], stdout=terminal, stderr=subprocess.PIPE, text=True)
    assert refused.returncode == 2 and "not a terminal" in refused.stderr


def test_a_state_without_an_iterable_connection_is_a_clear_error(tmp_path: Path, capsys) -> None:
    def other_service(resources: dict[str, Any], document: dict[str, Any]) -> None:
        for resource in document["resources"]:
            if resource["type"] in ("fivetran_connector", "fivetran_connection"):
                resource["instances"][0]["attributes"]["service"] = "salesforce"

    assert main([str(state_with(tmp_path, other_service)), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "no Fivetran connection of service 'iterable'" in error and "service 'salesforce'" in error
    assert not (tmp_path / "out").exists()
    garbage = tmp_path / "garbage.tfstate"
    garbage.write_text("{not json")
    with pytest.raises(StateError, match="cannot read it as a Terraform state"):
        read_state(garbage)


def test_what_cannot_be_carried_over_is_listed_with_its_reason(tmp_path: Path) -> None:
    def unusual(resources: dict[str, Any], document: dict[str, Any]) -> None:
        connector = resources["fivetran_connector.marketing_us"]
        connector["config"]["api_secret"] = "not-an-iterable-setting"
        connector["auth"] = {"client_access": None, "api_key": "x"}
        resources["fivetran_connector_schema_config.marketing_us"]["schemas"]["iterable"]["tables"][
            "user_history"]["sync_mode"] = "HISTORY"
        document["resources"] = [r for r in document["resources"]
                                 if (r["type"], r["name"]) != ("fivetran_connector_schedule", "lifecycle_eu")]
        group = copy.deepcopy(document["resources"][0])
        group.update(type="fivetran_group", name="main")
        document["resources"].append(group)

    reading = read_state(state_with(tmp_path, unusual))
    notes = {c.name: " | ".join(c.notes) for c in reading.connections}
    assert "config.api_secret is not an Iterable setting" in notes["marketing_us"]
    assert "auth (api_key) is not carried over" in notes["marketing_us"]
    assert "sync_mode HISTORY is not modelled" in notes["marketing_us"]
    assert "no fivetran_connector_schedule" in notes["lifecycle_eu"]
    assert {c.name: c for c in reading.connections}["lifecycle_eu"].settings["paused"] is True
    assert any("fivetran_group.main" in item and "stays with Terraform" in item for item in reading.left_behind)
    comments = " ".join(line.lstrip("# ") for line in program(reading, "changed.tfstate").splitlines()
                        if line.startswith("#"))
    assert "Note: fivetran_connector.marketing_us: auth (api_key) is not carried over" in comments


@pytest.mark.parametrize(("direct_url", "line"), [
    (None, "pulumi-fivetran-iterable==0.2.0"),  # from a package index: no direct_url.json
    ('{"url": "https://github.com/acme/iterable.git", "subdirectory": "provider",'
     ' "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}',
     "pulumi-fivetran-iterable @ git+https://github.com/acme/iterable.git@0123abc#subdirectory=provider"),
    ('{"url": "file:///home/me/iterable/provider", "dir_info": {"editable": true}}',
     "pulumi-fivetran-iterable @ file:///home/me/iterable/provider"),
    ('{"url": "file:///tmp/dist/pulumi_fivetran_iterable-0.2.0-py3-none-any.whl", "archive_info": {}}',
     "pulumi-fivetran-iterable @ file:///tmp/dist/pulumi_fivetran_iterable-0.2.0-py3-none-any.whl"),
], ids=["index", "git", "clone", "wheel"])
def test_requirements_name_where_the_provider_was_installed_from(direct_url: str | None, line: str) -> None:
    written = requirements(direct_url or "")
    requirement_lines = [entry for entry in written.splitlines() if entry and not entry.startswith("#")]
    assert requirement_lines == [line.replace("0.2.0", __version__)]

