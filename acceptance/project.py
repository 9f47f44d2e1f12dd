"""The run's throwaway Pulumi project: a temporary directory with `Pulumi.yaml`, the suite's program, the
connections the current step declares (`spec.json`), its own file backend, `PULUMI_HOME` and passphrase.

The CLI runs with a hermetic environment: nothing of the caller's `PULUMI_*` settings, the guard's URL as
`FIVETRAN_API_URL`, the run's credentials in `FIVETRAN_API_KEY`/`FIVETRAN_API_SECRET` (never on disk), and the
Iterable keys of the declared connections in `ACCEPTANCE_ITERABLE_KEYS`. Each command runs in its own process
group, so an interrupted run can stop it (and the provider it started) without touching anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROGRAM = Path(__file__).with_name("program.py")
STACK = "acceptance"
COMMAND_TIMEOUT_S = 600.0
STOP_GRACE_S = 30.0  # how long an interrupted command may take to stop on its own


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return f"{self.stdout}\n{self.stderr}"


@dataclass(frozen=True)
class Preview:
    """`pulumi preview --json`: the steps per resource name, and every diagnostic message."""

    result: CliResult
    steps: dict[str, list[dict[str, Any]]]
    messages: list[str]

    def ops(self, name: str) -> list[str]:
        return [step["op"] for step in self.steps.get(name, [])]

    def change(self, name: str) -> dict[str, Any] | None:
        """The resource's step that is not a refresh (create, update, replace, same, delete...)."""
        changes = [step for step in self.steps.get(name, []) if step["op"] not in ("refresh", "read")]
        return changes[-1] if changes else None


class PulumiProject:
    def __init__(self, root: Path, pulumi: str, env: dict[str, str]) -> None:
        self.root = root
        self.pulumi = pulumi
        self._env = env
        self._keys: dict[str, str] = {}

    @classmethod
    def create(cls, root: Path, *, api_url: str, api_key: str, api_secret: str) -> PulumiProject:
        """Write the project into `root` (an empty directory) and initialise its stack."""
        pulumi = shutil.which("pulumi")
        if pulumi is None:
            raise RuntimeError("no `pulumi` on PATH (scripts/acceptance puts the project's CLI there)")
        for name in ("backend", "home", "project"):
            (root / name).mkdir(parents=True, exist_ok=True)
        project = root / "project"
        shutil.copy(PROGRAM, project / "__main__.py")
        # The program runs in this very environment, where the provider package is installed.
        (project / "Pulumi.yaml").write_text(
            "name: fivetran-acceptance\n"
            "description: throwaway project of the provider's acceptance suite\n"
            "runtime:\n  name: python\n  options:\n    toolchain: pip\n"
            f"    virtualenv: {json.dumps(sys.prefix)}\n"
        )
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PULUMI_", "FIVETRAN_", "ACCEPTANCE_")) and k not in ("VIRTUAL_ENV", "PYTHONHOME")}
        env["PATH"] = os.pathsep.join([str(Path(pulumi).parent), env.get("PATH", "")])
        env.update({
            "PULUMI_BACKEND_URL": (root / "backend").resolve().as_uri(),
            "PULUMI_HOME": str((root / "home").resolve()),
            "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            "NO_COLOR": "1",
            "FIVETRAN_API_URL": api_url,
            "FIVETRAN_API_KEY": api_key,
            "FIVETRAN_API_SECRET": api_secret,
        })
        made = cls(project, pulumi, env)
        made.declare({})
        result = made.run("stack", "init", STACK)
        if not result.ok:
            raise RuntimeError(f"pulumi stack init failed: {result.stderr.strip()[-500:]}")
        return made

    @property
    def passphrase(self) -> str:
        return self._env["PULUMI_CONFIG_PASSPHRASE"]

    def declare(self, connections: Mapping[str, Mapping[str, Any]], keys: Mapping[str, str] | None = None) -> None:
        """The connections the program declares from now on (inputs as `IterableConnectionArgs` takes them),
        and the Iterable key of each that has one (handed over as a secret, never written to disk)."""
        (self.root / "spec.json").write_text(json.dumps({"connections": connections}, indent=2))
        self._keys = dict(keys or {})

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> CliResult:
        """`pulumi --non-interactive ARGS`; an interruption (KeyboardInterrupt, or the run's own signal
        exception) stops the command's whole process group first, then propagates."""
        env = {**self._env, "ACCEPTANCE_ITERABLE_KEYS": json.dumps(self._keys)}
        command = [self.pulumi, "--non-interactive", *args]
        process = subprocess.Popen(command, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return CliResult(tuple(args), -1, "", f"pulumi {' '.join(args)} did not finish within {timeout:.0f} s")
        except BaseException:
            _stop(process)
            raise
        return CliResult(tuple(args), process.returncode, stdout, stderr)

    def up(self, *extra: str) -> CliResult:
        return self.run("up", "--yes", "--skip-preview", "--stack", STACK, *extra)

    def preview(self, *extra: str) -> Preview:
        result = self.run("preview", "--json", "--stack", STACK, *extra)
        try:
            document = json.loads(result.stdout) if result.stdout.strip() else {}
        except ValueError:
            document = {}
        steps: dict[str, list[dict[str, Any]]] = {}
        for step in document.get("steps") or []:
            steps.setdefault(step["urn"].rsplit("::", 1)[-1], []).append(step)
        messages = [d.get("message", "") for d in document.get("diagnostics") or []]
        return Preview(result, steps, messages)

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs (secrets stay masked)."""
        result = self.run("stack", "output", "--json", "--stack", STACK)
        if not result.ok:
            raise RuntimeError(f"pulumi stack output failed: {result.stderr.strip()[-300:]}")
        parsed: dict[str, Any] = json.loads(result.stdout or "{}")
        return parsed

    def cli_version(self) -> str:
        result = self.run("version")
        return result.stdout.strip() or "unknown"


def _stop(process: subprocess.Popen[str]) -> None:
    """Ask the command's process group to stop as Ctrl-C would, then make sure it did."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_S
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # The provider process the engine started is in the same group; anything left of it goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)

