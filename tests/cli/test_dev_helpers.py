"""The quick start's helpers where a newcomer steps off the happy path, through the real scripts and CLI in a fresh
clone:

- `scripts/dev-pulumi` refuses every other stack, in every form pulumi's flag parser accepts, before pulumi runs;
- `scripts/quickstart --clean` works from every state a quick start can leave, and leaves nothing running;
- `scripts/emulator start` never uses a port held by another program or served by another clone's emulator, and
  its pid file always names the emulator that runs.

(The documented way to another port, from a clone where 18765 is taken: test_journeys.py.)
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clone import Clone, free_port
from tests.support.emulator import start_emulator

pytestmark = pytest.mark.cli

DEV_ENV = {"PULUMI_CONFIG_PASSPHRASE": "dev-passphrase"}
REAL_KEY = "REAL-KEY-canary-dev-helper-51c3"
# Every way pulumi's flag parser (spf13/pflag) reads a stack, and the commands that name one as an argument.
REFUSED = [
    "stack init prod", "stack init", "stack new prod", "stack create prod", "stack select prod",
    "stack select -c prod", "stack select -csprod", "stack rm prod --yes", "stack remove prod --yes",
    "stack rename prod", "stack migrate file:///tmp/elsewhere", "stack change-secrets-provider passphrase",
    "preview -s prod", "preview -sprod", "preview -s=prod", "preview --stack prod", "preview --stack=prod",
    "-s prod preview", "preview -ysprod", "preview -ys prod", "preview -ys=prod", "preview --stack dev --stack prod",
    f"config set --secret fivetran:apiKey {REAL_KEY} -sprod",
    f"config set --secret fivetran:apiKey {REAL_KEY} --stack=prod",
    "config cp -d prod", "config cp --dest prod", "state move --source dev --dest prod urn",
    "cancel prod", "up https://github.com/pulumi/examples", "up -- prod", "stack rm -- prod",
    "new python --yes", "login file:///tmp", "logout", "--cwd /tmp preview", "-C /tmp preview",
    "preview --config-file /tmp/Pulumi.prod.yaml", "preview --stack", "preview -mships",
]
ALLOWED = ["stack output -sdev", "stack output -s dev", "stack output -s=dev", "stack output --stack dev",
           "stack output --stack=dev", "stack output -j -sdev", "stack select dev", "stack", "stack ls",
           "config get fivetran:apiKey -sdev", "preview --help"]


def test_dev_pulumi_refuses_every_other_stack_in_every_form(tmp_path: Path) -> None:
    clone = Clone.make(tmp_path / "clone")
    backend = clone.root / ".pulumi-state"
    backend.mkdir()
    made = clone.run("pulumi stack init dev", PULUMI_BACKEND_URL=backend.as_uri(), **DEV_ENV)
    assert made.returncode == 0, made.stderr

    for line in REFUSED:
        refused = clone.run(f"scripts/dev-pulumi {line}")
        assert refused.returncode == 1 and refused.stderr.startswith("dev-pulumi: "), (line, refused.stderr)
        assert "Traceback" not in refused.stderr and refused.stdout == "", line
    for line in ALLOWED:
        allowed = clone.run(f"scripts/dev-pulumi {line}")
        assert allowed.returncode == 0, (line, allowed.stdout, allowed.stderr)

    stacks = clone.run("pulumi stack ls --json", PULUMI_BACKEND_URL=backend.as_uri(), **DEV_ENV)
    assert [s["name"] for s in json.loads(stacks.stdout)] == ["dev"], stacks.stdout
    assert clone.changed_files() == []  # no stack file written, in particular stacks/Pulumi.prod.yaml
    made_here = [path for path in clone.root.rglob("*") if path.is_file() and "venv" not in path.parts
                 and ".tools" not in path.parts and str(path.relative_to(clone.root)) not in clone.committed]
    assert made_here and not any(REAL_KEY in path.read_text(errors="replace") for path in made_here)


def test_the_refusal_says_why_and_what_to_do(tmp_path: Path) -> None:
    clone = Clone.make(tmp_path / "clone")
    named = clone.run("scripts/dev-pulumi up -ysprod")
    assert "works on the dev stack only, not 'prod'" in named.stderr
    assert "an `s` in a group of one-letter flags" in named.stderr  # how -ysprod reads
    assert "run pulumi itself, in a fresh shell, with your own backend" in named.stderr
    message = clone.run("scripts/dev-pulumi up -mships")  # a message that pflag could read as -s hips
    assert "spell that flag out, e.g. --message" in message.stderr


# -- the clean-up, from every state ----------------------------------------------------------------------------


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Clone]:
    clone = Clone.make(tmp_path / "clone")
    yield clone
    clone.run("./scripts/quickstart --clean")


def transcript(result: object) -> str:
    return f"$ {result.args[-1]}\n{result.stdout}\n{result.stderr}"  # type: ignore[attr-defined]


def running(pid: int) -> bool:
    """The process runs (a process that exited is reaped by init within moments)."""
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        status = Path(f"/proc/{pid}/status")
        if status.exists() and re.search(r"State:\s+Z", status.read_text()):
            return False
        time.sleep(0.1)
    return True


def serving(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def emulator_pid(clone: Clone) -> int:
    return int((clone.root / ".quickstart" / "emulator.pid").read_text())


def clean_leaves_nothing(clone: Clone, *pids: int, ports: tuple[int, ...] = ()) -> str:
    """Run the documented clean-up; it succeeds, and nothing of the quick start is left, on disk or running."""
    cleaned = clone.run("./scripts/quickstart --clean")
    assert cleaned.returncode == 0, transcript(cleaned)
    assert not (clone.root / ".pulumi-state").exists() and not (clone.root / ".quickstart").exists()
    for pid in pids:
        assert not running(pid), f"the emulator {pid} still runs\n{transcript(cleaned)}"
    for port in ports:
        assert not serving(port), f"something still serves on {port}\n{transcript(cleaned)}"
    assert clone.changed_files() == []
    return cleaned.stderr


def test_clean_before_anything_was_started(clone: Clone) -> None:
    said = clean_leaves_nothing(clone)
    assert "there was no dev stack" in said
    assert "nothing left running" in clean_leaves_nothing(clone)  # and again


def test_clean_after_a_quick_start_that_found_its_port_taken(clone: Clone) -> None:
    with socket.socket() as holder:  # another program on the port
        holder.bind(("127.0.0.1", clone.port))
        holder.listen()
        failed = clone.run(clone.quickstart)
        assert failed.returncode != 0
        assert f"port {clone.port} is taken by another program" in failed.stderr, transcript(failed)
        assert "./scripts/quickstart --port PORT" in failed.stderr
        clean_leaves_nothing(clone)  # while it is still taken
        failed_again = clone.run(clone.quickstart)
        assert failed_again.returncode != 0
    # The port is free again: the clean-up does not start an emulator for a stack that never existed.
    assert "there was no dev stack" in clean_leaves_nothing(clone, ports=(clone.port,))
    assert "there was no dev stack" in clean_leaves_nothing(clone, ports=(clone.port,))


def test_a_taken_port_is_said_before_the_cli_is_installed(clone: Clone) -> None:
    """The CLI can take minutes to build: a port the quick start cannot use is said first, before the CLI is
    looked for (here the clone has none built and none is on PATH, so install-pulumi would say it builds one)."""
    (clone.root / ".tools").unlink(missing_ok=True)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", clone.port))
        holder.listen()
        failed = clone.run(clone.quickstart, PATH="/usr/bin:/bin")
    assert failed.returncode != 0
    assert f"port {clone.port} is taken by another program" in failed.stderr, transcript(failed)
    assert "install-pulumi" not in failed.stderr, transcript(failed)


def test_clean_after_a_quick_start_that_failed_half_way(clone: Clone) -> None:
    started = clone.run(f"scripts/emulator start --port {clone.port}")
    assert started.returncode == 0, transcript(started)
    assert clone.api("GET", "/groups")[0] == 200
    clone.control("POST", "/__emulator/faults", {"method": "POST", "path": "^/v1/connections$", "status": 500,
                                                 "count": 1000})

    failed = clone.run("./scripts/quickstart")  # the stack exists, its creates fail
    assert failed.returncode != 0 and "create connection failed" in failed.stdout + failed.stderr
    pid = emulator_pid(clone)
    assert running(pid)

    said = clean_leaves_nothing(clone, pid, ports=(clone.port,))
    assert "connections destroyed" in said


def test_clean_after_the_emulator_was_stopped_and_its_data_deleted(clone: Clone) -> None:
    done = clone.run(clone.quickstart)
    assert done.returncode == 0, transcript(done)
    assert clone.run("scripts/emulator stop").returncode == 0
    for data in (clone.root / ".quickstart").glob("fivetran.db*"):
        data.unlink()
    said = clean_leaves_nothing(clone, ports=(clone.port,))
    assert "connections destroyed" in said  # the refresh finds them gone: nothing to delete


def test_moving_the_emulator_to_another_port_loses_no_process(clone: Clone) -> None:
    done = clone.run(clone.quickstart)
    assert done.returncode == 0, transcript(done)
    first = emulator_pid(clone)
    second_port = free_port()

    moved = clone.run(f"scripts/emulator start --port {second_port}")
    assert moved.returncode == 0, transcript(moved)
    second = emulator_pid(clone)
    assert second != first and not running(first) and running(second)
    assert clone.base_url == f"http://127.0.0.1:{second_port}/v1"
    again = clone.run("scripts/dev-pulumi preview --expect-no-changes")  # its data moved with it
    assert again.returncode == 0, transcript(again)

    clean_leaves_nothing(clone, first, second, ports=(clone.port, second_port))


def test_an_emulator_another_clone_started_is_never_used_nor_stopped(clone: Clone, tmp_path: Path) -> None:
    other = start_emulator("--db", str(tmp_path / "other-clone.db"), port=clone.port)
    try:
        refused = clone.run(clone.quickstart)
        assert refused.returncode != 0
        said = (f"port {clone.port} is served by a Fivetran emulator that this clone did not start "
                f"(pid {other.process.pid}, data: {tmp_path / 'other-clone.db'})")
        assert said in refused.stderr, transcript(refused)
        assert other.requests() == []  # nothing of this clone reached it

        assert clone.run("scripts/emulator status").returncode != 0
        clean_leaves_nothing(clone)
        assert other.process.poll() is None and other.requests() == []  # still running, untouched
    finally:
        other.stop()
