"""End-to-end smoke test of the real Pulumi CLI with a Python dynamic provider.

Independent of the project's own provider: a throwaway project in a temp dir declares one tiny dynamic
resource whose provider lives in an importable module next to `__main__.py` (so it pickles by reference) and
keeps its "remote" objects as files in the project directory. The stack runs on a `file://` backend with a
passphrase, and goes through stack init, config set --secret, preview, up, stack output, a no-change up,
refresh and destroy.

It needs the CLI (`pulumi` on PATH, or `.tools/bin/pulumi` from `scripts/install-pulumi`); without one the
test fails and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.pulumi_cli import INSTALL_SCRIPT, REPO_ROOT, PulumiCli, find_pulumi

pytestmark = pytest.mark.cli

SECRET = "s3cr3t-token-value"
NOTE_TYPE = "pulumi-python:dynamic/smoke:Note"

PULUMI_YAML = """\
name: cli-smoke
description: Smoke test of the Pulumi CLI with a Python dynamic provider.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""

PROVIDER_PY = '''\
"""A dynamic provider whose remote objects are JSON files under ./store (the provider runs in the project dir)."""

import json
import uuid
from pathlib import Path

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

STORE = Path("store")


def _fields(props):
    return {"message": props.get("message")}


class NoteProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props):
        note_id = uuid.uuid4().hex[:12]
        STORE.mkdir(exist_ok=True)
        outs = {**_fields(props), "length": len(props["message"])}
        (STORE / f"{note_id}.json").write_text(json.dumps(outs))
        return CreateResult(note_id, outs)

    def diff(self, id_, olds, news):
        return DiffResult(changes=_fields(olds) != _fields(news))

    def update(self, id_, olds, news):
        outs = {**_fields(news), "length": len(news["message"])}
        (STORE / f"{id_}.json").write_text(json.dumps(outs))
        return UpdateResult(outs)

    def read(self, id_, props):
        path = STORE / f"{id_}.json"
        if not path.exists():
            return ReadResult(None, {})
        outs = json.loads(path.read_text())
        return ReadResult(id_, outs, inputs=_fields(outs))

    def delete(self, id_, props):
        (STORE / f"{id_}.json").unlink(missing_ok=True)


class Note(Resource, module="smoke", name="Note"):
    message: pulumi.Output[str]
    length: pulumi.Output[int]

    def __init__(self, name, message, opts=None):
        super().__init__(NoteProvider(), name, {"message": message, "length": None}, opts)
'''

MAIN_PY = """\
import pulumi

from smoke_provider import Note

config = pulumi.Config()
note = Note("note", config.get("message") or "hello from the smoke test")
token = config.require_secret("token")

pulumi.export("note_id", note.id)
pulumi.export("message", note.message)
pulumi.export("length", note.length)
pulumi.export("token", token)
pulumi.export("token_length", token.apply(len))
# True only if the language host passed the secret keys on (PULUMI_CONFIG_SECRET_KEYS).
pulumi.export("token_is_secret_config", pulumi.runtime.is_config_secret("cli-smoke:token"))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "Pulumi.yaml").write_text(PULUMI_YAML)
    (project_dir / "smoke_provider.py").write_text(PROVIDER_PY)
    (project_dir / "__main__.py").write_text(MAIN_PY)
    # `virtualenv: venv` is relative to Pulumi.yaml: point it at the project's real virtualenv.
    (project_dir / "venv").symlink_to(REPO_ROOT / "venv", target_is_directory=True)
    return project_dir


def store_files(project_dir: Path) -> list[str]:
    store = project_dir / "store"
    return sorted(p.stem for p in store.glob("*.json")) if store.exists() else []


def assert_says(result, *needles: str) -> None:
    for needle in needles:
        assert needle in result.stdout, f"{result.describe()}: expected {needle!r} in its output\n{result.transcript()}"


def test_dynamic_provider_lifecycle_under_the_real_cli(project: Path, tmp_path: Path) -> None:
    cli = PulumiCli.in_tmp(project, tmp_path / "pulumi")

    cli.run("stack", "init", "smoke").check()
    cli.run("config", "set", "--secret", "token", SECRET).check()
    stack_config = (project / "Pulumi.smoke.yaml").read_text()
    assert "secure:" in stack_config and SECRET not in stack_config, stack_config

    preview = cli.run("preview", "--diff").check()
    assert_says(preview, NOTE_TYPE, "+ 2 to create")
    assert store_files(project) == [], "preview must not create anything"

    up = cli.run("up", "--yes", "--skip-preview").check()
    assert_says(up, "+ 2 created")
    (note_id,) = store_files(project)

    outputs = cli.stack_outputs()
    assert outputs == {
        "note_id": note_id,
        "message": "hello from the smoke test",
        "length": len("hello from the smoke test"),
        "token": "[secret]",
        "token_length": "[secret]",
        "token_is_secret_config": True,
    }, outputs
    revealed = cli.stack_outputs(show_secrets=True)
    assert (revealed["token"], revealed["token_length"]) == (SECRET, len(SECRET))
    # The secret is encrypted in the state checkpoint, never stored in plaintext.
    state_text = "\n".join(p.read_text() for p in cli.backend_dir.rglob("*.json"))
    assert note_id in state_text and SECRET not in state_text

    again = cli.run("up", "--yes", "--expect-no-changes").check()
    assert_says(again, "2 unchanged")
    assert store_files(project) == [note_id]

    # Refresh reads the remote object through the provider: no drift, then drift after an out-of-band change.
    cli.run("refresh", "--yes", "--expect-no-changes").check()
    remote = project / "store" / f"{note_id}.json"
    remote.write_text(json.dumps({"message": "changed behind pulumi's back", "length": 1}))
    drift = cli.run("refresh", "--yes").check()
    assert_says(drift, "~ 1 updated")
    (note_state,) = [r for r in cli.stack_export()["deployment"]["resources"] if r["type"] == NOTE_TYPE]
    assert note_state["outputs"]["message"] == "changed behind pulumi's back"

    # Updating back to the program's value goes through the provider's update.
    fix = cli.run("up", "--yes", "--skip-preview").check()
    assert_says(fix, "~ 1 updated")
    assert json.loads(remote.read_text())["message"] == "hello from the smoke test"

    destroy = cli.run("destroy", "--yes", "--skip-preview").check()
    assert_says(destroy, "- 2 deleted")
    assert store_files(project) == []
    assert cli.stack_outputs() == {}


def test_program_error_is_reported_once_and_fails_the_command(project: Path, tmp_path: Path) -> None:
    cli = PulumiCli.in_tmp(project, tmp_path / "pulumi")
    cli.run("stack", "init", "broken").check()
    (project / "__main__.py").write_text(
        textwrap.dedent(
            """\
            import pulumi

            raise ValueError("the program broke on purpose")
            """
        )
    )

    result = cli.run("preview")

    assert result.returncode != 0, result.transcript()
    combined = result.stdout + result.stderr
    assert "the program broke on purpose" in combined, result.transcript()
    # Exit code 32 from the exec script means "already reported": the host must not add a second error.
    assert "exited with code" not in combined, result.transcript()


def test_install_step_is_cached_and_never_calls_go_when_current(tmp_path: Path) -> None:
    pulumi = find_pulumi()
    fake_go = tmp_path / "bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text("#!/bin/sh\necho 'fake go: the install step must not build when current' >&2\nexit 97\n")
    fake_go.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_go.parent}{os.pathsep}{os.environ.get('PATH', '')}", "GO": str(fake_go)}

    start = time.monotonic()
    result = subprocess.run([str(INSTALL_SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - start

    assert result.returncode == 0, f"{INSTALL_SCRIPT} failed (stale .tools/bin?):\n{result.stderr}"
    assert result.stdout.splitlines()[-1] == str(pulumi.parent), result.stdout
    assert elapsed < 10, f"a current install took {elapsed:.1f}s"
    for name in ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
        helper = pulumi.parent / name
        assert os.access(helper, os.X_OK), f"{helper} is missing next to {pulumi}"
