"""`scripts/acceptance` as a user runs it, against an emulator this test starts with credentials and a group
the script did not choose, holding connections of someone else's in that group (one whose schema even looks
like the suite's). What Fivetran holds is checked in the emulator, and every request the script sent in its
request log:

- it refuses to start without `--group`, sending nothing;
- it passes, under a lost create reply and a transient 503, and its report counts every request it sent;
- it leaves nothing behind, and never sends a request that names someone else's connection;
- interrupted (SIGINT, SIGTERM) it cleans up and says so; killed, `--cleanup` removes what it left and nothing else;
- no credential or key it was given appears in anything it prints.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.support.emulator import REPO_ROOT, Emulator, start_emulator
from tests.support.pulumi_cli import find_pulumi

pytestmark = pytest.mark.cli

SCRIPT = REPO_ROOT / "scripts" / "acceptance"
GROUP = "team_warehouse"
FIVETRAN_KEY = "canary-fivetran-key-7f3a91"
FIVETRAN_SECRET = "canary-fivetran-secret-c2e84b"
ITERABLE_KEY = "canary-iterable-key-55d0e1"
CANARIES = (FIVETRAN_KEY, FIVETRAN_SECRET, ITERABLE_KEY)
LAST_LINE = re.compile(r"^acceptance: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
STEPS = 22
# The one product defect this test tolerates, by step and message: `up` unpauses a paused connection before
# it writes the schema config the same change gives it (a fix is under way). No other failure passes.
@dataclass
class Account:
    """The emulator as someone's Fivetran account: the run's group, with two connections of someone else's."""

    emulator: Emulator
    theirs: list[dict[str, Any]]
    start: int = 0  # where the request log stood when the script was started

    def script_starts(self) -> None:
        self.start = len(self.emulator.requests())

    def sent(self) -> list[dict[str, Any]]:
        """What reached the emulator since the script was started (the test's own calls included)."""
        return self.emulator.requests()[self.start:]

    def snapshot(self) -> list[Any]:
        return [self.emulator.api("GET", f"/connections/{c['id']}") for c in self.theirs]

    def connection_ids(self) -> set[str]:
        return {c["id"] for c in self.emulator.connections(GROUP)}

    def their_ids(self) -> set[str]:
        return {c["id"] for c in self.theirs}

    def naming_theirs(self, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The requests that name one of their connections."""
        return [r for r in sent for cid in self.their_ids() if f"/{cid}/" in r["path"] + "/"]


@pytest.fixture
def account() -> Iterator[Account]:
    with start_emulator("--api-key", FIVETRAN_KEY, "--api-secret", FIVETRAN_SECRET,
                        "--group", f"{GROUP}:Team warehouse", "--group", "elsewhere:Another team") as emulator:
        theirs = [emulator.create_connection("iterable_marketing", "their-key-1", group_id=GROUP, sync_frequency=60),
                  emulator.create_connection("pulumi_acc_marketing", "their-key-2", group_id=GROUP, paused=True)]
        yield Account(emulator, theirs)


def environment(account: Account | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIVETRAN_", "ACCEPTANCE_", "PULUMI_"))}
    env["PATH"] = os.pathsep.join([str(find_pulumi().parent), env.get("PATH", "")])
    env["TMPDIR"] = str(tmp_path)  # the run's throwaway project, also when a test kills the run
    if account is not None:
        env.update(FIVETRAN_API_URL=account.emulator.base_url, FIVETRAN_API_KEY=FIVETRAN_KEY,
                   FIVETRAN_API_SECRET=FIVETRAN_SECRET, ACCEPTANCE_ITERABLE_API_KEY=ITERABLE_KEY)
    env.update(extra)
    return env


def run_script(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def start_script(*args: str, env: dict[str, str], out: Path) -> subprocess.Popen[str]:
    with out.open("w") as sink:
        return subprocess.Popen([str(SCRIPT), *args], env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)


def wait_for_a_create(account: Account, process: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until the run has created a connection in the account."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it created anything"
        if any(r["method"] == "POST" and r["path"] == "/v1/connections" and r["status"] == 201
               for r in account.sent()):
            return
        time.sleep(0.2)
    raise AssertionError("the run created nothing in time")


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, "a credential or key was printed"


def test_refuses_without_group_and_sends_nothing(account: Account, tmp_path: Path) -> None:
    account.script_starts()
    for args in ((), ("--group", ""), ("--group", "  "), ("--cleanup",)):
        done = run_script(*args, env=environment(account, tmp_path))
        assert done.returncode == 2, done
        assert "without --group" in done.stderr and "Nothing was sent" in done.stderr
        assert done.stdout == ""
    assert account.sent() == []


def test_passes_leaves_nothing_and_never_touches_another_connection(account: Account, tmp_path: Path) -> None:
    before = account.snapshot()
    # A create whose reply is lost (Fivetran made it), and a transient 503 on the first update.
    account.emulator.fault(method="POST", path="^/v1/connections$", after_commit=True, drop_connection=True, count=1)
    account.emulator.fault(method="PATCH", path="^/v1/connections/[^/]+$", status=503, count=1)
    started = time.monotonic()
    account.script_starts()
    done = run_script("--group", GROUP, env=environment(account, tmp_path))
    took = time.monotonic() - started
    log = account.sent()
    lines = done.stdout.splitlines()
    failed = [line.split()[1:] for line in lines if line.startswith("failed ")]
    assert not failed, done.stdout + done.stderr
    assert lines[-1] == f"acceptance: {STEPS - len(failed)} passed, {len(failed)} failed", lines[-1]
    assert done.returncode == (1 if failed else 0)
    assert sum(1 for line in lines if line.startswith(("passed ", "failed "))) == STEPS
    assert "left behind: nothing" in lines
    assert "started by this run" not in done.stdout and account.emulator.base_url in lines[0]
    assert any(r["method"] == "POST" and r["status"] == 0 for r in log), "the lost create reply was not played"
    counted = re.search(r"^requests: (\d+) .*; refused by the guard: 0$", done.stdout, re.MULTILINE)
    assert counted and int(counted.group(1)) == len(log), "the report's request count is not what was sent"
    assert len(log) <= 200, "the run's request count grew: Fivetran's rate limits are per account"

    assert account.naming_theirs(log) == []
    assert account.connection_ids() == account.their_ids()
    assert account.snapshot() == before
    lists = [r for r in log if r["path"] in ("/v1/connections", f"/v1/groups/{GROUP}/connections")
             and r["method"] == "GET"]
    assert lists and all("schema=pulumi_acc_" in r["query"] for r in lists), "a list read the whole group"
    assert_no_canary(done.stdout + done.stderr)
    print(f"acceptance run against the emulator: {took:.1f} s, {len(log)} requests")


def test_without_a_working_iterable_key_only_the_steps_that_need_one_are_skipped(account: Account,
                                                                                  tmp_path: Path) -> None:
    env = environment(account, tmp_path)
    del env["ACCEPTANCE_ITERABLE_API_KEY"]
    account.script_starts()
    done = run_script("--group", GROUP, env=env)
    lines = done.stdout.splitlines()
    skipped = {line.split()[1] for line in lines if line.startswith("skipped ")}
    assert skipped == {"schema-read", "resync", "resync-tables", "key-rollback"}, done.stdout
    assert all("ACCEPTANCE_ITERABLE_API_KEY" in line for line in lines if line.startswith("skipped "))
    failed = [line.split()[1:] for line in lines if line.startswith("failed ")]
    assert not failed, done.stdout
    assert lines[-1] == f"acceptance: {STEPS - 4 - len(failed)} passed, {len(failed)} failed, 4 skipped"
    assert "left behind: nothing" in lines
    assert account.naming_theirs(account.sent()) == []
    assert account.connection_ids() == account.their_ids()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_cleans_up_and_says_so(account: Account, tmp_path: Path, stop: signal.Signals) -> None:
    before = account.snapshot()
    output = tmp_path / "run.out"
    account.script_starts()
    process = start_script("--group", GROUP, env=environment(account, tmp_path), out=output)
    try:
        wait_for_a_create(account, process)
        process.send_signal(stop)
        assert process.wait(timeout=120) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = output.read_text().splitlines()
    last = LAST_LINE.match(lines[-1])
    assert last and last.group(2) == "1", lines[-1]
    assert any(line.startswith("failed ") and f"interrupted by {stop.name}" in line for line in lines)
    assert "left behind: nothing" in lines
    assert account.naming_theirs(account.sent()) == []
    assert account.connection_ids() == account.their_ids()
    assert account.snapshot() == before
    assert_no_canary("\n".join(lines))


def test_cleanup_removes_what_a_killed_run_left_and_nothing_else(account: Account, tmp_path: Path) -> None:
    before = account.snapshot()
    output = tmp_path / "run.out"
    account.script_starts()
    process = start_script("--group", GROUP, env=environment(account, tmp_path), out=output)
    family = [process.pid]
    try:
        wait_for_a_create(account, process)
        # The run and what it started (the CLI, the provider), killed at once: nothing of it can clean up.
        family += [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    finally:
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()
    assert account.naming_theirs(account.sent()) == []
    run_id = re.search(r"^acceptance: run ([a-z0-9]{8}):", output.read_text(), re.MULTILINE)
    assert run_id, output.read_text()
    left = account.connection_ids() - account.their_ids()
    assert left, "the killed run left nothing to clean up"

    mark = len(account.emulator.requests())
    done = run_script("--group", GROUP, "--cleanup", "--run", run_id.group(1), env=environment(account, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"acceptance cleanup: {len(left)} deleted, 0 failed"
    everyone = run_script("--group", GROUP, "--cleanup", env=environment(account, tmp_path))
    assert everyone.returncode == 0 and everyone.stdout.splitlines()[-1] == "acceptance cleanup: 0 deleted, 0 failed"
    cleaning = account.emulator.requests()[mark:]
    assert account.naming_theirs(cleaning) == []
    assert {r["path"].rsplit("/", 1)[-1] for r in cleaning if r["method"] == "DELETE"} == left
    assert account.connection_ids() == account.their_ids()
    assert account.snapshot() == before
    assert_no_canary(done.stdout + done.stderr + everyone.stdout + everyone.stderr + output.read_text())


def test_without_a_url_it_never_leaves_this_machine(tmp_path: Path) -> None:
    env = environment(None, tmp_path, FIVETRAN_API_KEY=FIVETRAN_KEY, FIVETRAN_API_SECRET=FIVETRAN_SECRET)
    done = run_script("--group", GROUP, "--cleanup", env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert re.search(r"target http://127\.0\.0\.1:\d+/v1 \(fivetran-emulator [^)]*, started by this run\)", first)
    assert "FIVETRAN_API_URL=https://api.fivetran.com/v1" in done.stdout
    assert done.stdout.splitlines()[-1] == "acceptance cleanup: 0 deleted, 0 failed"
    assert_no_canary(done.stdout + done.stderr)

