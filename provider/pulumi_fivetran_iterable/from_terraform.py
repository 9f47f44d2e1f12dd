"""`python -m pulumi_fivetran_iterable.from_terraform STATE --out DIR [--stack NAME]`: from Terraform to Pulumi.

Reads a Terraform or OpenTofu state of Fivetran Iterable connections (see `terraform_state`) and writes a
Pulumi project into DIR (`Pulumi.yaml`, `requirements.txt`, `__main__.py`) that declares one
`IterableConnection` per connection, as the state holds it, with `adopt_existing=True`: the first `pulumi
up` finds each connection by group and schema and changes nothing. Terraform keeps each Iterable key in its
state in plain text; this tool never prints or writes one: with `--stack` it stores each as a secret of the
new stack (through `pulumi config set --secret`'s standard input), otherwise it prints the commands that do,
which read the key from the state when they run (`--key NAME` writes one key into a pipe, never to a terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .terraform_state import (
    CONFIG_FIELDS,
    CarriedConnection,
    Reading,
    StateError,
    config_key,
    identifier,
    read_state,
)
from .version import __version__

DISTRIBUTION = "pulumi-fivetran-iterable"

# This provider's defaults: an input whose value equals its default is left out of the program.
DEFAULTS: dict[str, Any] = {"paused": False, "pause_after_trial": False, "sync_frequency": 360,
                            "schedule_type": "auto", "account_region": "US", "sync_mode": "AllEvents",
                            "custom_event_sync_mode": "AllEvents", "historical_sync_limit": "ALL_TIME",
                            "webhook_auth_type": "NoAuth"}
ORDER = ("paused", "pause_after_trial", "sync_frequency", "schedule_type", "daily_sync_time", "schedule")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        reading = read_state(args.state)
    except StateError as error:
        print(f"from_terraform: {error}", file=sys.stderr)
        return 1
    if args.key is not None:
        return _write_key(reading, args.key)
    if args.out is None:
        print("from_terraform: --out DIR is required (the directory of the new Pulumi project)", file=sys.stderr)
        return 2
    write_project(reading, args.state, args.out)
    print(f"Wrote a Pulumi project for {len(reading.connections)} Iterable connection(s) to {args.out}:")
    for connection in reading.connections:
        print(f"  {connection.name}: group '{connection.group_id}', schema '{connection.schema}', from "
              f"{', '.join(connection.addresses)}")
    _print_left_over(reading)
    if args.stack:
        stored = create_stack(reading, args.out, args.stack)
        print(f"Created stack '{args.stack}' with {stored} Iterable key(s) from the state stored as secrets.")
    print(next_steps(reading, args.state, args.out, args.stack))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_fivetran_iterable.from_terraform",
        description="Turn a Terraform or OpenTofu state of Fivetran Iterable connections into a Pulumi project "
                    "that adopts them unchanged.")
    parser.add_argument("state", type=Path, help="terraform.tfstate, or the output of `terraform show -json`")
    parser.add_argument("--out", type=Path, help="the directory to write the Pulumi project into")
    parser.add_argument("--stack", help="create this stack in the current backend and store the keys in it")
    parser.add_argument("--key", metavar="NAME", help="write connection NAME's Iterable key to standard output, "
                        "for `| pulumi config set --secret ...`; refused when the output is a terminal")
    return parser


def _print_left_over(reading: Reading) -> None:
    notes = [(c.name, note) for c in reading.connections for note in c.notes]
    if not notes and not reading.left_behind:
        return
    print("Not carried over, or worth a look before `pulumi up`:")
    for name, note in notes:
        print(f"  {name}: {note}")
    for address in reading.left_behind:
        print(f"  {address}")


# ---------------------------------------------------------------------------------------------------------
# The project.


def write_project(reading: Reading, state: Path, out: Path) -> None:
    """`Pulumi.yaml`, `requirements.txt` and `__main__.py` in `out` (created when missing)."""
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", out.resolve().name).strip("-.") or "iterable-connections"
    (out / "Pulumi.yaml").write_text(
        f"name: {name}\n"
        "description: Fivetran Iterable connections, taken over from Terraform.\n"
        "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
        "# Every preview and up reads each connection first, so a change made in the Fivetran dashboard shows.\n"
        "options:\n  refresh: always\n")
    (out / "requirements.txt").write_text(requirements())
    (out / "__main__.py").write_text(program(reading, state.name))


def requirements(direct_url: str | None = None) -> str:
    """`requirements.txt`: the provider from where this copy of it was installed, so that `pip install -r` works
    as it stands: a package index (at this version), a git URL (at this commit), or a path of this machine (a
    clone or a wheel; then say so, for CI). `direct_url` is pip's record of a direct install (PEP 610's
    `direct_url.json`); by default, this installation's."""
    if direct_url is None:
        from importlib import metadata

        try:
            direct_url = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        except metadata.PackageNotFoundError:
            direct_url = None
    pinned = f"{DISTRIBUTION}=={__version__}"
    origin = json.loads(direct_url) if direct_url else {}
    url, vcs = origin.get("url", ""), origin.get("vcs_info") or {}
    subdirectory = f"#subdirectory={origin['subdirectory']}" if origin.get("subdirectory") else ""
    if vcs.get("vcs") == "git" and url:
        return ("# The provider, from the git repository this tool was installed from, at the same commit.\n"
                f"{DISTRIBUTION} @ git+{url}@{vcs.get('commit_id', '')}{subdirectory}\n")
    if url.startswith("file://"):
        return ("# The provider, from where this tool was installed on this machine (a clone or a wheel). Elsewhere\n"
                "# (CI), install it the same way from there, or from your package index:\n"
                f"#   {pinned}\n{DISTRIBUTION} @ {url}{subdirectory}\n")
    return f"# The provider, at the version that wrote this project.\n{pinned}\n"


def program(reading: Reading, state_name: str) -> str:
    """The `__main__.py` that declares every connection of `reading`."""
    lines = [
        f'"""Fivetran Iterable connections taken over from Terraform ({state_name}).',
        "",
        "Each connection declares what the Terraform state holds for it, with adopt_existing=True: the first",
        "`pulumi up` finds it in Fivetran by its group and schema and changes nothing. Its Iterable key is a",
        "secret of the stack's config: the key Terraform set, which an adoption takes to be the one a working",
        "connection holds (Fivetran never returns a stored key), so it is not sent again.",
        '"""',
        "",
        "import pulumi",
        "",
        "from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs",
        "",
        "config = pulumi.Config()",
    ]
    for connection in reading.connections:
        lines += ["", *_declaration(connection)]
    lines += ["", "pulumi.export(\"connection_ids\", {"]
    lines += [f"    {_literal(c.name)}: {identifier(c)}.connection_id," for c in reading.connections]
    lines += ["})", ""]
    return "\n".join(lines)


def _declaration(connection: CarriedConnection) -> list[str]:
    lines = _comment(f"From {_and(connection.addresses)}.")
    for note in connection.notes:
        lines += _comment(f"Note: {note}.")
    args: list[str] = [f"group_id={_literal(connection.group_id)},"]
    settings = dict(connection.settings)
    for name in ORDER:
        if name in settings and settings[name] != DEFAULTS.get(name, object()):
            args.append(f"{name}={_literal(settings[name], 8)},")
        settings.pop(name, None)
    args += [f"{name}={_literal(value, 8)}," for name, value in settings.items()]
    config_lines = [f'    "schema": {_literal(connection.schema)},',
                    f'    "api_key": config.require_secret({_literal(config_key(connection))}),']
    config_lines += [f"    {_literal(name)}: {_literal(connection.config[name], 12)},"
                     for name in CONFIG_FIELDS if name in connection.config
                     and connection.config[name] != DEFAULTS.get(name)]
    args += ["config={", *config_lines, "},"]
    if connection.schema_config:
        args.append(f"schema_config={_literal(connection.schema_config, 8)},")
    args.append("adopt_existing=True,")
    body = [f"        {line}" for line in args]
    return [*lines, f"{identifier(connection)} = IterableConnection(", f"    {_literal(connection.name)},",
            "    IterableConnectionArgs(", *body, "    ),", ")"]


def _comment(text: str, width: int = 116) -> list[str]:
    words, lines, line = text.split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _literal(value: Any, indent: int = 0) -> str:
    """A Python literal that reads as written by hand: double quotes, one item a line for nested objects."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, Mapping):
        flat = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
        if len(flat) + indent <= 80 or not any(isinstance(v, Mapping) for v in value.values()):
            return flat
        pad = " " * (indent + 4)
        items = [f"{pad}{_literal(k)}: {_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


# ---------------------------------------------------------------------------------------------------------
# The keys: into the stack, never into the clear.


def create_stack(reading: Reading, out: Path, stack: str) -> int:
    """`pulumi stack init STACK` in `out` (the current backend), then each key as a secret; how many."""
    _pulumi(out, "stack", "init", stack)
    stored = 0
    for connection in reading.connections:
        if connection.api_key is not None:
            _pulumi(out, "config", "set", "--secret", "--stack", stack, config_key(connection),
                    stdin=connection.api_key)
            stored += 1
    return stored


def _pulumi(cwd: Path, *args: str, stdin: str | None = None) -> None:
    # The key goes through standard input: never on a command line, where `ps` would show it.
    result = subprocess.run(["pulumi", "--non-interactive", *args], cwd=cwd, input=stdin, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        # pulumi's own words; they never hold the key (it was never an argument).
        raise SystemExit(f"from_terraform: `pulumi {' '.join(args)}` failed: {result.stderr.strip()}")


def _write_key(reading: Reading, name: str) -> int:
    if os.isatty(sys.stdout.fileno()):
        print("from_terraform: --key writes the key for a pipe, not a terminal: append "
              "`| pulumi config set --secret KEY`", file=sys.stderr)
        return 2
    for connection in reading.connections:
        if connection.name == name and connection.api_key is not None:
            sys.stdout.write(connection.api_key)
            return 0
    print(f"from_terraform: no Iterable key for a connection named '{name}' in the state", file=sys.stderr)
    return 1


def next_steps(reading: Reading, state: Path, out: Path, stack: str | None) -> str:
    """What to run next, in order, and how to let go of the connections on the Terraform side."""
    here = shlex.quote(str(out))
    steps = ["", "Next steps:"]
    if stack is None:
        tool = f"python -m pulumi_fivetran_iterable.from_terraform {shlex.quote(str(state.resolve()))}"
        steps += [f"  cd {here}", "  pulumi stack init <stack>"]
        steps += [f"  {tool} --key {shlex.quote(c.name)} | pulumi config set --secret {config_key(c)}"
                  for c in reading.connections if c.api_key is not None]
    else:
        steps.append(f"  cd {here}")
    steps += [
        "  pulumi config set --secret fivetran:apiKey <FIVETRAN_API_KEY>       # or export FIVETRAN_API_KEY",
        "  pulumi config set --secret fivetran:apiSecret <FIVETRAN_API_SECRET> # or export FIVETRAN_API_SECRET",
        "  pulumi preview   # expected: every connection to create (each an adoption at `up`), nothing else",
        "  pulumi up        # adopts each connection: Fivetran is sent nothing",
        "  pulumi preview --expect-no-changes",
        "",
        "Then let go of them in Terraform, without destroying them, in the Terraform project:",
        "  terraform state rm " + " ".join(shlex.quote(a) for c in reading.connections for a in c.addresses),
        "and delete those resources from its .tf files (one left there would be planned as a new connection);",
        "or (Terraform 1.7+, OpenTofu 1.7+) replace each of those resources with a block like",
        f"  removed {{ from = {reading.connections[0].addresses[0].split('[')[0]}  lifecycle {{ destroy = false }} }}",
        "and run `terraform apply` (`tofu apply`): it forgets them. `terraform plan` then plans nothing for them.",
        "Never run `terraform destroy`, or `terraform apply` of the old configuration, afterwards: Terraform would",
        "delete or change the connections that Pulumi now manages.",
    ]
    return "\n".join(steps)


if __name__ == "__main__":
    sys.exit(main())
