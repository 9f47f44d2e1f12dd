"""Find the Pulumi CLI and run it hermetically against a local file backend.

The project's CLI (see the contract, "Layout and environment") is `pulumi` on PATH when present, otherwise
`.tools/bin/pulumi`, which `scripts/install-pulumi` builds from Go modules next to the language host and the
helper files a Python project needs.

    cli = PulumiCli.in_tmp(project_dir, tmp_path / "pulumi")
    cli.init_stack("dev", plaintext={"fivetran:apiUrl": url}, secret={"fivetran:apiKey": key})
    outputs = cli.stack_outputs()

Every run gets its own PULUMI_HOME, a `file://` backend, a passphrase, no update check, no plugin downloads
and `--non-interactive`; nothing from the caller's PULUMI_* environment leaks in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-pulumi"

DEFAULT_PASSPHRASE = "cli-test-passphrase"
DEFAULT_TIMEOUT_S = 300.0


class PulumiCliNotFound(RuntimeError):
    """Neither `pulumi` on PATH nor `.tools/bin/pulumi` exists."""


def find_pulumi() -> Path:
    """The CLI the project uses: `pulumi` on PATH first, else `.tools/bin/pulumi`."""
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path)
    built = TOOLS_BIN / "pulumi"
    if built.is_file() and os.access(built, os.X_OK):
        return built
    raise PulumiCliNotFound(
        f"No Pulumi CLI: `pulumi` is not on PATH and {built} does not exist. "
        f"Run `{INSTALL_SCRIPT.relative_to(REPO_ROOT)}` (it builds the CLI from Go modules into .tools/bin)."
    )


@dataclass(frozen=True)
class PulumiResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def check(self) -> PulumiResult:
        """Return self, or raise with the whole transcript if the command failed."""
        if not self.ok:
            raise AssertionError(f"{self.describe()} failed with exit code {self.returncode}\n{self.transcript()}")
        return self

    def describe(self) -> str:
        return "pulumi " + " ".join(self.args)

    def transcript(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


@dataclass
class PulumiCli:
    """Runs `pulumi` in one project directory with a hermetic environment."""

    project_dir: Path
    backend_dir: Path
    home_dir: Path
    passphrase: str = DEFAULT_PASSPHRASE
    pulumi: Path = field(default_factory=find_pulumi)
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def in_tmp(cls, project_dir: Path, tmp_dir: Path, **kwargs: Any) -> PulumiCli:
        """A CLI whose backend and PULUMI_HOME live under tmp_dir (created if needed)."""
        backend, home = tmp_dir / "backend", tmp_dir / "home"
        backend.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        return cls(project_dir=project_dir, backend_dir=backend, home_dir=home, **kwargs)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONHOME", None)
        # The CLI's own directory first, so the engine finds the language host that belongs to this CLI.
        env["PATH"] = os.pathsep.join([str(self.pulumi.parent), env.get("PATH", "")])
        env.update(
            {
                "PULUMI_BACKEND_URL": self.backend_dir.resolve().as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
                "PULUMI_HOME": str(self.home_dir.resolve()),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
                "NO_COLOR": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def run(self, *args: str, timeout: float = DEFAULT_TIMEOUT_S, stdin: str | None = None) -> PulumiResult:
        """Run `pulumi --non-interactive ARGS...` in the project directory; never raises on a non-zero exit."""
        cmd = [str(self.pulumi), "--non-interactive", *args]
        start = time.monotonic()
        proc = subprocess.run(
            cmd,
            cwd=self.project_dir,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return PulumiResult(
            args=tuple(args),
            returncode=proc.returncode,
            stdout=proc.stdout,
            stderr=proc.stderr,
            duration_s=time.monotonic() - start,
        )

    def init_stack(self, name: str, *, plaintext: Mapping[str, str] | None = None,
                   secret: Mapping[str, str] | None = None) -> None:
        """`stack init NAME`, then its config in one `config set-all` (the `secret` values encrypted)."""
        self.run("stack", "init", name).check()
        pairs = [arg for key, value in (plaintext or {}).items() for arg in ("--plaintext", f"{key}={value}")]
        pairs += [arg for key, value in (secret or {}).items() for arg in ("--secret", f"{key}={value}")]
        if pairs:
            self.run("config", "set-all", *pairs).check()

    def stack_outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).check().stdout)

    def stack_export(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The current stack's checkpoint (`pulumi stack export`)."""
        args = ["stack", "export"] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).check().stdout)
