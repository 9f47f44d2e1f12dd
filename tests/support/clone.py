"""A fresh copy of the repository, as a user's clone has it, for tests that run the README's own commands.

The copy holds the tracked files only, plus links to the built `venv/` and `.tools/` (so no test builds them
again); its dev stack points at a free port, so it never meets a developer's running quick start.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.emulator import REPO_ROOT
from tests.support.pulumi_cli import find_pulumi

DEV_URL = "http://127.0.0.1:18765/v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Clone:
    root: Path

    @classmethod
    def make(cls, target: Path) -> Clone:
        tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
        for name in filter(None, tracked.decode().split("\0")):
            source = REPO_ROOT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        (target / "venv").symlink_to(REPO_ROOT / "venv")
        if (REPO_ROOT / ".tools").is_dir():  # the CLI built here; a `pulumi` on PATH needs nothing
            (target / ".tools").symlink_to(REPO_ROOT / ".tools")
        stack_file = target / "stacks" / "Pulumi.dev.yaml"
        stack_file.write_text(stack_file.read_text().replace(DEV_URL, f"http://127.0.0.1:{free_port()}/v1"))
        return cls(target)

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
        """Call the clone's emulator as Fivetran's API (the dev stack's URL and the emulator's default credentials),
        as a person in the Fivetran dashboard would change things."""
        url = re.search(r"fivetran:apiUrl: (\S+)", (self.root / "stacks" / "Pulumi.dev.yaml").read_text())
        assert url, "the dev stack names no fivetran:apiUrl"
        token = base64.b64encode(b"dev-key:dev-secret").decode()
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url[1] + path, data=data, method=method, headers={
            "Authorization": f"Basic {token}", "Accept": "application/json", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> None:
        """Stop whatever emulator the clone's scripts started."""
        subprocess.run(["scripts/emulator", "stop"], cwd=self.root, env=self.env(), capture_output=True, timeout=60)
