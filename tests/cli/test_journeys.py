"""The README's journeys, walked as a new user walks them: in a fresh copy of the repository, after the quick
start, running the commands of the README's code blocks marked `<!-- journey: NAME -->` exactly as they stand
(placeholders such as `<your backend>` filled in), then checking what they did.

- connect-card: from `up` through the card's completion to `setup_state: connected`;
- clean-up: after the emulator was stopped first, the documented clean-up removes everything;
- prod: after the dev quick start, in the same shell; the prod stack's secrets are not readable with the dev
  passphrase, and its template placeholders are refused by `preview`, each named; with the dev passphrase
  exported by hand, `preview` refuses the stack before anything is sent.

And one `preview` of a stack with three invalid connections names all three, without a Python traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clone import Clone
from tests.support.emulator import REPO_ROOT, Emulator
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

FIVETRAN_SECRET = "ft-secret-canary-journey-prod-77e3"
PROD_PASSPHRASE = "the-teams-own-prod-passphrase"


def journey(name: str) -> list[str]:
    """The command lines of the code block marked `<!-- journey: NAME -->` in the README or a guide in docs/."""
    for page in (REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))):
        found = re.search(rf"<!-- journey: {re.escape(name)} -->\n```sh\n(.*?)\n```", page.read_text(), re.S)
        if found:
            return [line for line in found[1].splitlines() if line.strip() and not line.lstrip().startswith("#")]
    raise AssertionError(f"neither the README nor docs/ has a journey '{name}'")


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
    first = clone.run("./scripts/quickstart")
    assert first.returncode == 0, transcript(first)
    yield clone
    clone.stop()


def test_the_connect_card_journey_ends_connected(quickstarted: Clone) -> None:
    lines = journey("connect-card")
    results = walk(quickstarted, lines)
    for result in results:
        assert result.returncode == 0, transcript(result)
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
    again = quickstarted.run("./scripts/quickstart")  # and the quick start works again from scratch
    assert again.returncode == 0, transcript(again)


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
