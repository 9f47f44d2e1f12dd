"""Fivetran's own Go SDK against the emulator: a client no one here wrote decodes the emulator's replies.

`tests/gofivetran/` is a small Go program built on `github.com/fivetran/go-fivetran` v1.3.5 (the SDK version
Fivetran's Terraform provider uses). It walks one iterable connection through create, details, update,
setup tests, list, sync, Connect Card, connector-type metadata, schema details, a re-sync of one table
(`ResyncTable`) and delete, decoding every
reply with the SDK's own types and checking the decoded fields, and prints `ok <step>` or
`FAIL <step>: <reason>` per step. These tests build it once per session, run it once against a dedicated
emulator, and check that every step passed and that the traffic really went to that emulator.

So they prove what the emulator's own contract tests cannot: that the request shapes Fivetran's client
sends are accepted (its `Accept`, `Content-Type`, `null` fields, the legacy `/force` and
`/connectors/{id}/connect-card` paths) and that the envelopes, status codes, timestamps and config values
the emulator answers decode into Fivetran's structs. Go is required: without it these tests fail, they are
never skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import REPO_ROOT, Emulator, start_emulator

PROGRAM_DIR = REPO_ROOT / "tests" / "gofivetran"
GROUP = "warehouse_main"
STEPS = [
    "create", "details", "update", "setup tests", "list", "sync",
    "connect card", "metadata", "schema details", "resync table", "delete",
]  # fmt: skip
# A cold build downloads go-fivetran (no other dependency) and compiles the standard library's net/http
# stack: about 20 to 30 s measured; a warm one takes well under 2 s. Generous for a loaded machine, but
# below pytest-timeout's 600 s, which also counts this fixture.
BUILD_TIMEOUT_S = 420
RUN_TIMEOUT_S = 120


@dataclass
class Run:
    """One run of the compatibility program and what the emulator logged meanwhile."""

    returncode: int
    output: str
    connection_id: str | None
    requests: list[dict[str, Any]]

    def verdicts(self) -> dict[str, str]:
        """`{step: "ok" | "FAIL: reason" | "skip"}` from the program's output lines."""
        found: dict[str, str] = {}
        for line in self.output.splitlines():
            if line.startswith("ok "):
                found[line[3:]] = "ok"
            elif line.startswith("FAIL "):
                step, _, reason = line[5:].partition(": ")
                found[step] = f"FAIL: {reason}"
            elif line.startswith("skip "):
                found[line[5:]] = "skip"
        return found


@pytest.fixture(scope="session")
def compat_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.fail("Go is not installed (no `go` on PATH): these tests build tests/gofivetran with it", pytrace=False)
    binary = tmp_path_factory.mktemp("gofivetran") / "gofivetran-compat"
    started = time.monotonic()
    # -mod=readonly: go.mod and go.sum are checked in and must be complete; the build never edits them.
    build = subprocess.run(
        [go, "build", "-mod=readonly", "-o", str(binary), "."],
        cwd=PROGRAM_DIR,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if build.returncode != 0:
        pytest.fail(f"go build in {PROGRAM_DIR} failed:\n{build.stdout}{build.stderr}", pytrace=False)
    print(f"built {binary.name} in {time.monotonic() - started:.1f} s")
    return binary


@pytest.fixture(scope="module")
def run(compat_binary: Path) -> Iterator[Run]:
    """Run the program once against a fresh in-memory emulator that knows only the group it needs."""
    with start_emulator("--group", f"{GROUP}:Main", "--create-limit", "0") as emulator:
        result = _run_program(compat_binary, emulator)
        yield result


def _run_program(binary: Path, emulator: Emulator) -> Run:
    completed = subprocess.run(
        [str(binary), "-url", emulator.base_url, "-key", emulator.api_key, "-secret", emulator.api_secret,
         "-group", GROUP],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    match = re.search(r"^# created connection (\S+)$", output, re.MULTILINE)
    return Run(completed.returncode, output, match and match.group(1), emulator.requests())


@pytest.mark.parametrize("step", STEPS)
def test_step_passes(run: Run, step: str) -> None:
    """Each step on its own, so a failure names the step (the whole output follows the reason)."""
    verdict = run.verdicts().get(step, "no line for this step")
    assert verdict == "ok", f"step {step!r}: {verdict}\n--- program output ---\n{run.output}"


def test_program_exits_zero(run: Run) -> None:
    assert run.returncode == 0, f"exit status {run.returncode}\n--- program output ---\n{run.output}"


def test_traffic_reached_the_emulator(run: Run) -> None:
    """The emulator's request log holds the SDK's requests, in order, on the paths v1.3.5 uses."""
    assert run.connection_id, f"the program did not report a created connection\n{run.output}"
    path = f"/v1/connections/{run.connection_id}"
    expected = [
        ("POST", "/v1/connections"),
        ("GET", path),
        ("PATCH", path),
        ("POST", f"{path}/test"),
        ("GET", "/v1/connections"),
        ("GET", f"/v1/groups/{GROUP}/connections"),
        ("POST", f"{path}/force"),  # the SDK's sync uses the legacy spelling
        ("POST", f"/v1/connectors/{run.connection_id}/connect-card"),  # v1.3.5 has only this one
        ("GET", "/v1/metadata/connector-types/iterable"),
        ("GET", f"{path}/schemas"),
        ("POST", f"{path}/schemas/iterable/tables/event/resync"),  # ResyncTable: the legacy per-table path
        ("DELETE", path),
        ("GET", path),
    ]
    logged = [(entry["method"], entry["path"]) for entry in run.requests]
    remaining = iter(logged)
    missing = [request for request in expected if request not in remaining]  # an in-order subsequence
    assert not missing, f"not in the request log (in this order): {missing}\nlog: {logged}"
    assert logged[0] == ("POST", "/v1/connections")
    assert logged[-1] == ("GET", path) and run.requests[-1]["status"] == 404, "details after delete must be 404"
