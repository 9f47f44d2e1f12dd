"""The README's first command, `./scripts/quickstart`, in a fresh copy of the repository: it ends with the dev
stack's connections in the emulator and their outputs printed; run again, it changes nothing and sends no
POST, PATCH or DELETE. (The README's other journeys: test_journeys.py.)"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.clone import Clone

pytestmark = pytest.mark.cli


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    clone = Clone.make(tmp_path / "clone")
    yield clone.root
    clone.stop()


def quickstart(root: Path) -> subprocess.CompletedProcess[str]:
    return Clone(root).run("./scripts/quickstart")


def emulator_log(root: Path) -> list[dict[str, Any]]:
    url = yaml.safe_load((root / "stacks" / "Pulumi.dev.yaml").read_text())["config"]["fivetran:apiUrl"]
    with urllib.request.urlopen(url.removesuffix("/v1") + "/__emulator/requests", timeout=10) as reply:
        return json.loads(reply.read())["items"]


def test_quickstart_from_a_fresh_copy_then_again_as_a_no_op(repo: Path) -> None:
    first = quickstart(repo)
    assert first.returncode == 0, first.stdout + first.stderr
    printed = first.stdout[first.stdout.index("Outputs of the dev stack:"):]
    outputs = json.loads(printed[printed.index("{"):])
    connections = outputs["connections"]
    assert set(connections) == {"marketing-us", "marketing-eu", "lifecycle-archive", "product-events"}
    keyed = [c for name, c in connections.items() if name != "product-events"]
    assert all(c["setup_state"] == "connected" and c["webhook_endpoint"] for c in keyed)
    assert connections["product-events"]["setup_state"] == "incomplete"  # waits for its Connect Card
    assert connections["lifecycle-archive"]["sync_state"] == "paused"
    created = [r for r in emulator_log(repo) if r["method"] == "POST" and r["path"] == "/v1/connections"]
    assert len(created) == 4 and all(r["status"] == 201 for r in created)

    logged = len(emulator_log(repo))
    second = quickstart(repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "6 unchanged" in second.stdout
    writes = [r for r in emulator_log(repo)[logged:] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == []
    assert (repo / ".quickstart" / "fivetran.db").is_file() and (repo / ".pulumi-state").is_dir()
