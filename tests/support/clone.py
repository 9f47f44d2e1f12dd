"""A fresh clone of the repository, as a user has it, for tests that run the docs' own commands.

The clone holds the last commit's tracked files (never the working tree's: an edit the docs invite must not change
what is tested), plus links to the built `venv/` and `.tools/` (so no test builds them again). Its quick start
runs on a free port (`./scripts/quickstart --port PORT`, as the docs say to when 18765 is taken), so it never meets
a developer's running quick start or another test's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.committed import export_committed
from tests.support.emulator import REPO_ROOT
from tests.support.pulumi_cli import find_pulumi

DEFAULT_PORT = 18765


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def digests(root: Path) -> dict[str, str]:
    """Each file under `root` (links to the shared venv and CLI, and what the quick start makes, left out)."""
    skipped = {"venv", ".tools", ".pulumi-state", ".quickstart", ".pulumi-home"}
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink() and path.relative_to(root).parts[0] not in skipped
            and "__pycache__" not in path.parts}


@dataclass
class Clone:
    root: Path
    port: int = field(default_factory=free_port)
    committed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, target: Path) -> Clone:
        export_committed(target)
        (target / "venv").symlink_to(REPO_ROOT / "venv")
        if (REPO_ROOT / ".tools").is_dir():  # the CLI built here; a `pulumi` on PATH needs nothing
            (target / ".tools").symlink_to(REPO_ROOT / ".tools")
        return cls(target, committed=digests(target))

    @property
    def quickstart(self) -> str:
        """The quick start on the clone's own free port."""
        return f"./scripts/quickstart --port {self.port}"

    @property
    def base_url(self) -> str:
        """Where the clone's emulator serves the Fivetran API (the port its scripts remember)."""
        remembered = self.root / ".quickstart" / "port"
        port = remembered.read_text().strip() if remembered.is_file() else DEFAULT_PORT
        return f"http://127.0.0.1:{port}/v1"

    def changed_files(self) -> list[str]:
        """Files of the clone that differ from the commit it was made from (a user's edits, or a script's)."""
        now = digests(self.root)
        return sorted(name for name in now.keys() | self.committed.keys() if now.get(name) != self.committed.get(name))

    def env(self, **extra: str) -> dict[str, str]:
        """A user's shell: no PULUMI_* of the test run, the project's CLI on PATH, a PULUMI_HOME of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env["PULUMI_HOME"] = str(self.root / ".pulumi-home")
        env["PATH"] = os.pathsep.join([str(find_pulumi().parent), env.get("PATH", "")])
        env.update(extra)
        return env

    def run(self, command: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess[str]:
        """One shell command line, as a user types it in the clone's root."""
        return subprocess.run(["bash", "-c", command], cwd=self.root, env=self.env(**extra), capture_output=True,
                              text=True, timeout=timeout)

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        """Call the clone's emulator as Fivetran's API (with the emulator's default credentials), as a person in the
        Fivetran dashboard would change things."""
        token = base64.b64encode(b"dev-key:dev-secret").decode()
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Basic {token}", "Accept": "application/json", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        """Call one of the clone's emulator's control endpoints (`/__emulator/...`)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url.removesuffix("/v1") + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read() or b"null")

    def emulator_log(self) -> list[dict[str, Any]]:
        """The clone's emulator's request log."""
        return self.control("GET", "/__emulator/requests")["items"]

    def stop(self) -> None:
        """Stop whatever emulator the clone's scripts started."""
        subprocess.run(["scripts/emulator", "stop"], cwd=self.root, env=self.env(), capture_output=True, timeout=60)
