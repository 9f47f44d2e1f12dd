"""The README's first command, `./scripts/quickstart`, in a fresh copy of the repository: it ends with the dev
stack's connections in the emulator and their outputs printed; run again, it changes nothing and sends no
POST, PATCH or DELETE."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.emulator import REPO_ROOT
from tests.support.pulumi_cli import find_pulumi

pytestmark = pytest.mark.cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_copy(target: Path) -> Path:
    """The tracked files of the repository, as a clone has them, plus links to the built venv and CLI."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "venv").symlink_to(REPO_ROOT / "venv")
    if (REPO_ROOT / ".tools").is_dir():  # the CLI built here; a `pulumi` on PATH needs nothing
        (target / ".tools").symlink_to(REPO_ROOT / ".tools")
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    root = fresh_copy(tmp_path / "clone")
    # Point the dev stack at a free port, so this test never meets a developer's running quick start.
    stack_file = root / "stacks" / "Pulumi.dev.yaml"
    port = free_port()
    text = stack_file.read_text().replace("http://127.0.0.1:18765/v1", f"http://127.0.0.1:{port}/v1")
    stack_file.write_text(text)
    yield root
    subprocess.run(["scripts/quickstart", "--stop"], cwd=root, capture_output=True, timeout=60)


def quickstart(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env["PULUMI_HOME"] = str(root / ".pulumi-home")
    env["PATH"] = os.pathsep.join([str(find_pulumi().parent), env.get("PATH", "")])
    return subprocess.run(["scripts/quickstart"], cwd=root, env=env, capture_output=True, text=True, timeout=600)


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
    assert set(connections) == {"marketing-us", "marketing-eu", "lifecycle-archive"}
    assert all(c["setup_state"] == "connected" and c["webhook_endpoint"] for c in connections.values())
    assert connections["lifecycle-archive"]["sync_state"] == "paused"
    created = [r for r in emulator_log(repo) if r["method"] == "POST" and r["path"] == "/v1/connections"]
    assert len(created) == 3 and all(r["status"] == 201 for r in created)

    logged = len(emulator_log(repo))
    second = quickstart(repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "5 unchanged" in second.stdout
    writes = [r for r in emulator_log(repo)[logged:] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == []
    assert (repo / ".quickstart" / "fivetran.db").is_file() and (repo / ".pulumi-state").is_dir()
