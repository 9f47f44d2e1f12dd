"""A throwaway copy of the project for real-CLI tests: the repository's own `Pulumi.yaml` and `__main__.py` (as
committed), its `venv/` (linked; the provider package is installed there, as in a user's project), and a stack whose
config a test writes.

    project = StackProject.create(tmp_path, emulator)
    project.declare([connection("marketing", schema="iterable_marketing")], api_keys={"marketing": KEY})
    project.cli.run("up", "--yes").check()

The stack talks to the test's emulator; secrets (the Fivetran API secret, the Iterable keys) are set with
`pulumi config set --secret`, so they are encrypted in the stack file, as a user would keep them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.committed import copy_committed
from tests.support.emulator import REPO_ROOT, Emulator
from tests.support.pulumi_cli import PulumiCli, PulumiResult

PROJECT = "iterable-connections"


def connection(name: str, *, schema: str | None = None, group_id: str = "warehouse_main",
               **settings: Any) -> dict[str, Any]:
    """One entry of the stack's `connections` list; `config` keys may be passed as `config={...}`."""
    config = {"schema": schema or name.replace("-", "_"), **settings.pop("config", {})}
    entry: dict[str, Any] = {"name": name, "config": config, **settings}
    if "group_name" not in settings:
        entry["group_id"] = group_id
    return entry


@dataclass
class StackProject:
    """The project copied into `root`, a hermetic CLI bound to it, and the stack `test` selected."""

    root: Path
    cli: PulumiCli
    emulator: Emulator
    stack: str = "test"

    @classmethod
    def create(cls, tmp_dir: Path, emulator: Emulator, *, stack: str = "test",
               create_limit: str = "0") -> StackProject:
        root = tmp_dir / "project"
        (root / "stacks").mkdir(parents=True)
        copy_committed("Pulumi.yaml", root / "Pulumi.yaml")
        copy_committed("__main__.py", root / "__main__.py")
        (root / "venv").symlink_to(REPO_ROOT / "venv")
        cli = PulumiCli.in_tmp(root, tmp_dir / "pulumi")
        project = cls(root=root, cli=cli, emulator=emulator, stack=stack)
        cli.init_stack(stack, plaintext={"fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": create_limit},
                       secret={"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret})
        return project

    @property
    def stack_file(self) -> Path:
        return self.root / "stacks" / f"Pulumi.{self.stack}.yaml"

    def set_config(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        args = ["config", "set", "--stack", self.stack]
        args += ["--secret"] if secret else ["--plaintext"]
        args += ["--path"] if path else []
        self.cli.run(*args, key, value).check()

    def declare(self, connections: Iterable[Mapping[str, Any]], api_keys: Mapping[str, str] | None = None) -> None:
        """Replace the stack's declared connections (and set the given API keys as secrets).

        The connections are written into the stack file as structured config, as a user would edit it.
        """
        document = yaml.safe_load(self.stack_file.read_text()) or {}
        document.setdefault("config", {})[f"{PROJECT}:connections"] = [dict(c) for c in connections]
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        for name, key in (api_keys or {}).items():
            self.set_config(f"apiKeys.{name}", key, secret=True, path=True)

    def declare_many(self, connections: Iterable[Mapping[str, Any]],
                     api_keys: Mapping[str, str] | None = None) -> None:
        """Like `declare`, for large stacks: every API key is set in one `pulumi config set-all --secret
        --path` call instead of one CLI call per key (~0.2 s each). Keys already set stay as they are."""
        self.declare(connections)
        if api_keys:
            args = ["config", "set-all", "--stack", self.stack, "--path"]
            for name, key in api_keys.items():
                args += ["--secret", f"apiKeys.{name}={key}"]
            self.cli.run(*args).check()

    def run(self, *args: str, timeout: float = 300.0) -> PulumiResult:
        """`pulumi ARGS --stack <stack>`; check the result yourself."""
        return self.cli.run(*args, "--stack", self.stack, timeout=timeout)

    def up(self, *extra: str) -> PulumiResult:
        return self.run("up", "--yes", *extra)

    def preview(self, *extra: str) -> PulumiResult:
        return self.run("preview", *extra)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "output", "--json").check().stdout)

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export").check().stdout)

    def resources(self, type_suffix: str = "IterableConnection") -> list[dict[str, Any]]:
        """The resources of a type in the stack's checkpoint."""
        resources = self.export()["deployment"].get("resources") or []
        return [r for r in resources if r["type"].endswith(type_suffix)]


def users_project(tmp_dir: Path, emulator: Emulator, program: str, *, stack: str = "dev",
                  name: str = "users-project", plaintext: Mapping[str, str] | None = None,
                  secret: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None) -> PulumiCli:
    """A user's own Pulumi project (not this repository's stack program) in `tmp_dir/project`: `program` as its
    `__main__.py` (and `files` beside it), the repository's venv (the package installed there, as a user installs
    it), a stack talking to `emulator`, with the given config besides the provider's."""
    root = tmp_dir / "project"
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime:\n  name: python\n  options:\n"
                                      "    virtualenv: venv\n")
    (root / "__main__.py").write_text(program)
    for file_name, text in (files or {}).items():
        (root / file_name).write_text(text)
    (root / "venv").symlink_to(REPO_ROOT / "venv")
    cli = PulumiCli.in_tmp(root, tmp_dir / "pulumi")
    cli.init_stack(stack, plaintext={"fivetran:apiUrl": emulator.base_url, **(plaintext or {})},
                   secret={"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
                           **(secret or {})})
    return cli
