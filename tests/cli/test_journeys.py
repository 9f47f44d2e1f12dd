"""The docs' journeys, walked as a new user walks them: in a fresh clone of the repository, after the quick start,
running the commands of every code block marked `<!-- journey: NAME -->` (found by name in the committed README,
docs/ or any other Markdown file) exactly as they stand (placeholders such as `<your backend>` filled in), then
checking what they did.

- connect-card: from `up` through the card's completion to `setup_state: connected`;
- clean-up: after the emulator was stopped first, the documented clean-up removes everything;
- another-port: a fresh clone on a machine where port 18765 is taken follows the docs to a finished quick start and
  a clean clean-up, without editing any tracked file;
- prod: after the dev quick start, in the same shell; the prod stack's secrets are not readable with the dev
  passphrase, and its template placeholders are refused by `preview`, each named; with the dev passphrase
  exported by hand, `preview` refuses the stack before anything is sent;
- dashboard (the emulator's README): changes made "in the Fivetran dashboard" show as drift and `up` repairs them.

And one `preview` of a stack with three invalid connections names all three, without a Python traceback.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clone import DEFAULT_PORT, Clone, free_port
from tests.support.committed import committed_paths, committed_text
from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

FIVETRAN_SECRET = "ft-secret-canary-journey-prod-77e3"
PROD_PASSPHRASE = "the-teams-own-prod-passphrase"
MARKER = "<!-- journey: {} -->\n```sh\n(.*?)\n```"


def journey_block(name: str) -> str:
    """The code block marked `<!-- journey: NAME -->`, wherever it is in the committed Markdown files."""
    found = [match[1] for path in committed_paths(".") if path.endswith(".md")
             for match in [re.search(MARKER.format(re.escape(name)), committed_text(path), re.S)] if match]
    assert len(found) == 1, f"{len(found)} journeys named '{name}' in the committed Markdown files"
    return found[0]


def journey(name: str) -> list[str]:
    """The command lines of the journey NAME (comment lines left out)."""
    return [line for line in journey_block(name).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def walk(clone: Clone, lines: list[str], fill: dict[str, str] | None = None, **env: str
         ) -> list[subprocess.CompletedProcess[str]]:
    """Run each line in the clone, placeholders filled; every line but an expected failure must succeed."""
    results = []
    for line in lines:
        for placeholder, value in (fill or {}).items():
            line = line.replace(placeholder, value)
        assert "<" not in line.split("#")[0], f"a placeholder is left in: {line}"
        results.append(clone.run(line, **env))
    return results


def transcript(result: subprocess.CompletedProcess[str]) -> str:
    return f"$ {result.args[-1]}\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def quickstarted(tmp_path: Path) -> Iterator[Clone]:
    clone = Clone.make(tmp_path / "clone")
    first = clone.run(clone.quickstart)
    assert first.returncode == 0, transcript(first)
    yield clone
    clone.run("./scripts/quickstart --clean")


def test_the_connect_card_journey_ends_connected(quickstarted: Clone) -> None:
    lines = journey("connect-card")
    results = walk(quickstarted, lines)
    for result in results:
        assert result.returncode == 0, transcript(result)
    # What the card's completion says to run next is the journey's next step.
    assert lines[2].split("#")[0].strip() in results[1].stderr, transcript(results[1])
    links = json.loads(results[0].stdout)
    assert set(links) == {"product-events"} and links["product-events"].startswith("https://")
    shown = quickstarted.run("scripts/dev-pulumi stack output connections --json")
    assert json.loads(shown.stdout)["product-events"]["setup_state"] == "connected", transcript(shown)
    assert "connected" in results[-1].stdout
    again = quickstarted.run("scripts/dev-pulumi preview --expect-no-changes")
    assert again.returncode == 0, transcript(again)


def test_a_change_made_in_fivetran_shows_in_the_next_preview_without_flags(quickstarted: Clone) -> None:
    """The project refreshes before every preview and up (`options: refresh: always` in Pulumi.yaml)."""
    status, body = quickstarted.api("GET", "/connections?limit=100")
    assert status == 200, body
    live = {c["schema"]: c for c in body["data"]["items"]}
    marketing, archive = live["iterable_marketing_us"], live["iterable_lifecycle_archive"]
    assert quickstarted.api("PATCH", f"/connections/{marketing['id']}",
                            {"sync_frequency": 1440, "run_setup_tests": False})[0] == 200
    assert quickstarted.api("DELETE", f"/connections/{archive['id']}")[0] == 200

    preview = quickstarted.run("scripts/dev-pulumi preview --diff")
    assert preview.returncode == 0, transcript(preview)
    out = preview.stdout
    assert re.search(r"~ sync_frequency +: 1440 => 60", out), out
    assert re.search(r"\+ pulumi-python:dynamic/fivetran:IterableConnection: \(create\)\n.*::lifecycle-archive\]",
                     out), out
    assert re.search(r"~ 1 to update", out) and re.search(r"\+ 1 to create", out), out

    repaired = quickstarted.run("scripts/dev-pulumi up --yes")
    assert repaired.returncode == 0, transcript(repaired)
    again = quickstarted.run("scripts/dev-pulumi preview --expect-no-changes")
    assert again.returncode == 0, transcript(again)


def test_clean_up_after_the_emulator_was_stopped(quickstarted: Clone) -> None:
    stopped = quickstarted.run("scripts/emulator stop")
    assert stopped.returncode == 0, transcript(stopped)

    for result in walk(quickstarted, journey("clean-up")):
        assert result.returncode == 0, transcript(result)

    root = quickstarted.root
    assert not (root / ".pulumi-state").exists() and not (root / ".quickstart").exists()
    assert (root / "stacks" / "Pulumi.dev.yaml").is_file(), "the dev stack's file is the repository's"
    assert quickstarted.run("scripts/emulator status").returncode != 0
    again = quickstarted.run(quickstarted.quickstart)  # and the quick start works again from scratch
    assert again.returncode == 0, transcript(again)
    assert quickstarted.changed_files() == []


def test_a_fresh_clone_with_port_18765_taken_follows_the_docs_to_a_clean_clean_up(tmp_path: Path) -> None:
    holder = socket.socket()
    try:
        try:  # some program holds 18765 (or something already does)
            holder.bind(("127.0.0.1", DEFAULT_PORT))
            holder.listen()
        except OSError:
            pass
        clone = Clone.make(tmp_path / "clone")
        first = clone.run("./scripts/quickstart")  # the README's first command
        assert first.returncode != 0
        assert f"port {DEFAULT_PORT} is" in first.stderr and "./scripts/quickstart --port PORT" in first.stderr, \
            transcript(first)
        assert "docs/guide.md" in first.stderr

        port = str(free_port())  # the docs' example port may be taken here too: any free one, as they say
        results = walk(clone, [line.replace("18766", port) for line in journey("another-port")])
        for result in results:
            assert result.returncode == 0, transcript(result)
        assert "Outputs of the dev stack:" in results[0].stdout
        assert not (clone.root / ".pulumi-state").exists() and not (clone.root / ".quickstart").exists()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(port))) != 0, "the emulator still serves"
        assert clone.changed_files() == [], "the docs' way needs no edit of a tracked file"
    finally:
        holder.close()


def prod_fill(clone: Clone) -> dict[str, str]:
    backend = clone.root.parent / "prod-backend"
    backend.mkdir(exist_ok=True)
    return {"<your backend>": backend.as_uri(),
            "<passphrase | awskms://... | gcpkms://... | azurekeyvault://...>": "passphrase"}


PROD_ENV = {"FIVETRAN_API_KEY": "ft-key-journey-prod", "FIVETRAN_API_SECRET": FIVETRAN_SECRET,
            "ITERABLE_KEY_MARKETING": "itbl-journey-marketing-key", "ITERABLE_KEY_MARKETING_EU": "itbl-journey-eu-key"}


def test_the_prod_journey_after_the_quick_start_keeps_dev_secrets_apart(quickstarted: Clone) -> None:
    lines = journey("prod")
    *steps, preview_line = lines
    env = {**PROD_ENV, "PULUMI_CONFIG_PASSPHRASE": PROD_PASSPHRASE}  # the passphrase secrets provider asks for one
    for result in walk(quickstarted, steps, prod_fill(quickstarted), **env):
        assert result.returncode == 0, transcript(result)

    stack_file = (quickstarted.root / "stacks" / "Pulumi.prod.yaml").read_text()
    assert FIVETRAN_SECRET not in stack_file and "itbl-journey" not in stack_file
    for key, value in (("fivetran:apiSecret", FIVETRAN_SECRET),
                       ("apiKeys.marketing", PROD_ENV["ITERABLE_KEY_MARKETING"]),
                       ("apiKeys.marketing-eu", PROD_ENV["ITERABLE_KEY_MARKETING_EU"])):
        # Every key the steps set is there under the prod passphrase, and unreadable under dev's.
        read = f"pulumi config get --path '{key}' -s prod"
        with_prod = quickstarted.run(read, PULUMI_CONFIG_PASSPHRASE=PROD_PASSPHRASE)
        assert with_prod.returncode == 0 and with_prod.stdout.strip() == value, transcript(with_prod)
        with_dev = quickstarted.run(read, PULUMI_CONFIG_PASSPHRASE="dev-passphrase")
        assert with_dev.returncode != 0 and value not in with_dev.stdout, transcript(with_dev)

    (preview,) = walk(quickstarted, [preview_line], **env)
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0 and "Traceback" not in output
    for name, placeholder in (("marketing", "group_id"), ("marketing-eu", "group_name"),
                              ("product-events", "group_id")):
        assert re.search(rf"connection '{name}': {placeholder} is still the template's placeholder", output), output
    assert "nothing was changed" in output


def test_the_prod_journey_refuses_the_dev_passphrase(quickstarted: Clone) -> None:
    env = {**PROD_ENV, "PULUMI_CONFIG_PASSPHRASE": "dev-passphrase"}  # exported by hand: the wrong path
    results = walk(quickstarted, journey("prod"), prod_fill(quickstarted), **env)
    preview = results[-1]
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0 and "published dev passphrase" in output and "Traceback" not in output
    assert "Open a fresh shell" in output
    refused = quickstarted.run("scripts/dev-pulumi preview -s prod")
    assert refused.returncode != 0 and "works on the dev stack only" in refused.stderr


def test_playing_the_fivetran_dashboard_shows_as_drift_and_up_repairs_it(quickstarted: Clone) -> None:
    block = journey_block("dashboard")
    *changes, up = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert up.startswith("scripts/dev-pulumi up")
    played = quickstarted.run("set -e\n" + "\n".join(changes))  # one shell: the block sets variables
    assert played.returncode == 0, transcript(played)
    assert re.search(r"~ sync_frequency +: 1440 => 60", played.stdout), played.stdout
    assert re.search(r"~ hashed +: false => true", played.stdout), played.stdout
    repaired = quickstarted.run(up)
    assert repaired.returncode == 0, transcript(repaired)
    again = quickstarted.run("scripts/dev-pulumi preview --expect-no-changes")
    assert again.returncode == 0, transcript(again)


def test_one_preview_names_every_invalid_connection(tmp_path: Path, emulator: Emulator) -> None:
    project = StackProject.create(tmp_path, emulator)
    project.declare([
        connection("bad-events", config={"sync_mode": "SelectedEvents"}),
        connection("bad-region", config={"account_region": "XX"}, sync_frequency=45),
        connection("bad-key", group_id="warehouse_main", sync_frequncy=60),
        connection("fine"),
    ], api_keys={name: f"itbl-{name}" for name in ("bad-events", "bad-region", "bad-key", "fine")})

    preview = project.preview()

    output = preview.stdout + preview.stderr
    assert preview.returncode != 0 and "Traceback" not in output, output
    assert "4 problems in 3 connections" in output, output
    assert "connection 'bad-events': config.events: must list at least one event" in output
    assert "connection 'bad-region': config.account_region: must be one of US, EU" in output
    assert "connection 'bad-region': sync_frequency: must be one of" in output
    assert "connection 'bad-key': unknown key 'sync_frequncy'; did you mean 'sync_frequency'?" in output
    assert "'fine'" not in output
    assert emulator.requests() == []
