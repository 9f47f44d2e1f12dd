"""The README's first command, `./scripts/quickstart`, in a fresh clone (on a free port, with `--port`): it ends with
the dev stack's connections in the emulator and their outputs printed; run again, it changes nothing and sends no
POST, PATCH or DELETE. (The docs' other journeys: test_journeys.py; the helpers' edge cases: test_dev_helpers.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clone import Clone

pytestmark = pytest.mark.cli


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Clone]:
    clone = Clone.make(tmp_path / "clone")
    yield clone
    clone.stop()


def test_quickstart_from_a_fresh_clone_then_again_as_a_no_op(clone: Clone) -> None:
    first = clone.run(clone.quickstart)
    assert first.returncode == 0, first.stdout + first.stderr
    printed = first.stdout[first.stdout.index("Outputs of the dev stack:"):]
    outputs = json.loads(printed[printed.index("{"):])
    connections = outputs["connections"]
    assert set(connections) == {"marketing-us", "marketing-eu", "lifecycle-archive", "product-events"}
    keyed = [c for name, c in connections.items() if name != "product-events"]
    assert all(c["setup_state"] == "connected" and c["webhook_endpoint"] for c in keyed)
    assert connections["product-events"]["setup_state"] == "incomplete"  # waits for its Connect Card
    assert connections["lifecycle-archive"]["sync_state"] == "paused"
    created = [r for r in clone.emulator_log() if r["method"] == "POST" and r["path"] == "/v1/connections"]
    assert len(created) == 4 and all(r["status"] == 201 for r in created)

    logged = len(clone.emulator_log())
    second = clone.run("./scripts/quickstart")  # the port chosen first is remembered
    assert second.returncode == 0, second.stdout + second.stderr
    assert "6 unchanged" in second.stdout
    writes = [r for r in clone.emulator_log()[logged:] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == []
    assert (clone.root / ".quickstart" / "fivetran.db").is_file() and (clone.root / ".pulumi-state").is_dir()
    assert clone.changed_files() == []  # nothing tracked was written
