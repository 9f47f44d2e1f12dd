"""The whole lifecycle of Iterable connections through the real Pulumi CLI, against the Fivetran emulator.

One stack walks through create -> no-op -> update/replace -> drift and refresh -> destroy. Each phase is a
module-scoped fixture that runs its CLI commands once and keeps a snapshot of what happened: the CLI's exit
code and output, the requests the emulator logged during each command, and what the emulator and the state
held afterwards. The tests assert on those snapshots, one behaviour per test, so any single test can run on
its own (its fixture runs the phases before it) and the CLI runs each command only once per module.

The stack declares one connection per behaviour under test, so each is named after what happens to it:
`frequency`, `pausing`, `events` and `rotation` change in place, `schema-move` and `regroup` are replaced,
`eu-lookup` takes its group id from a `DestinationGroup` lookup (and, like `daily`, carries settings like
the dev stack's), `retired` is removed from the stack config, `drift` is changed and `vanish` deleted
behind Pulumi's back.

The module has its own emulator, started with a canary Fivetran API secret, and every Iterable key is a
canary too: the last tests check that none of them shows up in any CLI output, in the state or in the
stack file. Invalid-input tests at the end use their own throwaway stacks.

Needs the CLI (`pulumi` on PATH, or `.tools/bin/pulumi`): without it no test passes or skips; each fails
(or errors in its fixture) with PulumiCliNotFound, which says how to build the CLI.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import GROUPS
from tests.support.emulator import Emulator, start_emulator
from tests.support.pulumi_cli import PulumiCli, PulumiResult, find_pulumi
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

CONNECTION_TYPE = "pulumi-python:dynamic/fivetran:IterableConnection"
GROUP_TYPE = "pulumi-python:dynamic/fivetran:DestinationGroup"

# Canaries: distinctive strings that must never appear in plaintext outside the emulator.
FIVETRAN_SECRET = "ft-secret-canary-lifecycle-8e21"


def iterable_key(name: str) -> str:
    return f"itbl-canary-{name}-v1-3f9a"


# "userid" in a key makes the emulator report project_type USER_ID_BASED_PROJECT (first keys give
# EMAIL_BASED_PROJECT), so the rotated key is visible in Fivetran's view of the connection.
ROTATED_KEY = "itbl-canary-rotation-userid-v2-3f9a"

# Settings like the dev stack's marketing-eu and lifecycle-archive: these two stay as declared throughout,
# so every refresh and no-op preview also proves that richer settings read back without a spurious diff.
EU_SETTINGS: dict[str, Any] = {
    "group_name": "EU warehouse",
    "sync_frequency": 360,
    "data_delay_sensitivity": "HIGH",
    "config": {"account_region": "EU", "sync_mode": "AllEvents", "custom_event_sync_mode": "SelectedEvents",
               "custom_events": ["trialStarted", "planUpgraded"], "historical_sync_limit": "DATE_LIMIT",
               "historical_sync_limit_date": "2025-01-01"},
}
DAILY_SETTINGS: dict[str, Any] = {
    "paused": True,
    "sync_frequency": 1440,
    "daily_sync_time": "03:00",
    "config": {"account_region": "US", "sync_mode": "SelectedEvents",
               "events": ["emailSend", "emailOpen", "emailClick", "purchase"], "custom_event_sync_mode": "NoEvents"},
}

INITIAL = [
    connection("frequency", sync_frequency=60),
    connection("pausing"),
    connection("events"),
    connection("rotation"),
    connection("schema-move"),
    connection("regroup"),
    connection("eu-lookup", **EU_SETTINGS),
    connection("daily", **DAILY_SETTINGS),
    connection("drift"),
    connection("vanish"),
    connection("retired"),  # removed from the stack config below
]
CHANGED = [
    connection("frequency", sync_frequency=120),
    connection("pausing", paused=True),
    connection("events", config={"sync_mode": "SelectedEvents", "events": ["emailSend", "emailOpen"]}),
    connection("rotation"),  # its key changes in the secret config
    connection("schema-move", schema="schema_move_v2"),
    connection("regroup", group_id="warehouse_eu"),
    connection("eu-lookup", **EU_SETTINGS),
    connection("daily", **DAILY_SETTINGS),
    connection("drift"),
    connection("vanish"),
]
NAMES = [entry["name"] for entry in INITIAL]
KEPT = [entry["name"] for entry in CHANGED]
# The connections, the group lookup and the stack itself; before and after `retired` is removed.
RESOURCE_COUNT = len(INITIAL) + 2
KEPT_COUNT = len(CHANGED) + 2


# ---------------------------------------------------------------------------------------------------------
# Reading what the CLI printed


@dataclass
class DiffBlock:
    """One resource in `pulumi preview --diff`: `+ TYPE: (create)`, `~ ...: (update)`, `+-...: (replace)`."""

    type: str
    op: str
    marker: str
    name: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def changes(self, prop: str, old: str, new: str) -> bool:
        """Whether the block shows `~ prop: old => new`."""
        return re.search(rf"~ {re.escape(prop)}\s*: {re.escape(old)} => {re.escape(new)}$", self.text, re.M) is not None


_DIFF_HEADER = re.compile(r"^\s*(?P<marker>\+-|[-+~])?\s*(?P<type>pulumi[-\w]*:[\w/]*:\w+): \((?P<op>[\w-]+)\)$")
_URN = re.compile(r"^\s*\[urn=(?P<urn>[^\]]+)\]$")


def diff_blocks(stdout: str) -> dict[str, DiffBlock]:
    """The resources of a `preview --diff` output, by resource name."""
    blocks: dict[str, DiffBlock] = {}
    current: DiffBlock | None = None
    for line in stdout.splitlines():
        header = _DIFF_HEADER.match(line)
        if header:
            current = DiffBlock(header["type"], header["op"], header["marker"] or "", lines=[line])
            continue
        if current is None:
            continue
        if line.strip() == "--outputs:--" or line.startswith("Resources:"):
            current = None
            continue
        urn = _URN.match(line)
        if urn and current.name is None:
            current.name = urn["urn"].rsplit("::", 1)[-1]
            blocks[current.name] = current
        current.lines.append(line)
    return blocks


def progress(stdout: str, name: str) -> list[str]:
    """The progress lines of one resource in an `up`/`refresh`/`destroy` output, without the timings:
    e.g. `updated [diff: ~paused]`, `created replacement`, `deleted original`."""
    pattern = re.compile(rf"^\s*\S*\s+pulumi-python:dynamic/fivetran:\w+ {re.escape(name)}(?: (?P<status>.*))?$")
    lines = []
    for line in stdout.splitlines():
        match = pattern.match(line)
        if match and match["status"]:
            lines.append(re.sub(r" \([\d.]+s\)", "", match["status"]).strip())
    return lines


def did(stdout: str, name: str, status: str) -> bool:
    """Whether the output reports `status` (e.g. `deleted original`) for the resource, whatever its diff."""
    return any(s == status or s.startswith(f"{status} [") for s in progress(stdout, name))


def summaries(stdout: str) -> list[dict[str, int]]:
    """Every `Resources:` summary in the output (`up` without --skip-preview prints two: preview, update),
    e.g. `{"to update": 4, "to replace": 2, "changes": 6, "unchanged": 3}`."""
    found: list[dict[str, int]] = []
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line != "Resources:":
            continue
        counts: dict[str, int] = {}
        for item in lines[index + 1:]:
            if not item.strip():
                break
            for count, what in re.findall(r"(\d+) ([a-z][a-z ]*?)(?=\.|$)", item.strip()):
                counts[what] = int(count)
        found.append(counts)
    return found


def summary(stdout: str) -> dict[str, int]:
    """The last `Resources:` summary (what was done, or for a preview what would be done)."""
    found = summaries(stdout)
    return found[-1] if found else {}


# ---------------------------------------------------------------------------------------------------------
# The walk-through


@dataclass
class RecordingCli(PulumiCli):
    """The hermetic CLI, keeping every result, so the whole run's output can be searched for secrets."""

    results: list[PulumiResult] = field(default_factory=list)

    @classmethod
    def wrapping(cls, cli: PulumiCli) -> RecordingCli:
        return cls(**{f.name: getattr(cli, f.name) for f in fields(PulumiCli)})

    def run(self, *args: str, **kwargs: Any) -> PulumiResult:
        result = super().run(*args, **kwargs)
        self.results.append(result)
        return result


@dataclass
class Step:
    """One CLI command: its result, the requests the emulator logged meanwhile, and its connections after."""

    result: PulumiResult
    requests: list[dict[str, Any]]
    connections: list[dict[str, Any]]

    @property
    def out(self) -> str:
        return self.result.stdout

    def writes(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests if r["method"] in ("POST", "PATCH", "DELETE")]

    def by_schema(self) -> dict[str, dict[str, Any]]:
        return {c["schema"]: c for c in self.connections}

    def ok(self) -> None:
        assert self.result.returncode == 0, f"{self.result.describe()} failed\n{self.result.transcript()}"


@dataclass
class Walk:
    root: Path
    project: StackProject
    emulator: Emulator
    exports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cli(self) -> RecordingCli:
        assert isinstance(self.project.cli, RecordingCli)
        return self.project.cli

    def run(self, *args: str) -> Step:
        before = len(self.emulator.requests())
        result = self.project.run(*args)
        return Step(result, self.emulator.requests()[before:], self.emulator.connections())

    def require(self, *args: str) -> Step:
        """Run a command the later phases build on: stop the walk-through right there if it fails."""
        step = self.run(*args)
        step.ok()
        return step

    def resources(self) -> dict[str, dict[str, Any]]:
        """The connections in the state by name (and keep the export for the secrets checks)."""
        export = self.project.export()
        self.exports.append(export)
        resources = export["deployment"].get("resources") or []
        return {r["urn"].rsplit("::", 1)[-1]: r for r in resources if r["type"] == CONNECTION_TYPE}


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    group_args = [arg for gid, name in GROUPS for arg in ("--group", f"{gid}:{name}")]
    with start_emulator("--api-secret", FIVETRAN_SECRET, *group_args, "--create-limit", "0") as emulator:
        assert emulator.api_secret == FIVETRAN_SECRET
        root = tmp_path_factory.mktemp("lifecycle")
        project = StackProject.create(root, emulator)
        project.cli = RecordingCli.wrapping(project.cli)
        yield Walk(root, project, emulator)


@pytest.fixture(scope="module")
def new_stack(walk: Walk) -> Step:
    """Declare the connections in a new stack and preview."""
    walk.project.declare_many(INITIAL, api_keys={name: iterable_key(name) for name in NAMES})
    return walk.run("preview", "--diff")


@dataclass
class Created:
    up: Step
    outputs: dict[str, Any]
    resources: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def created(walk: Walk, new_stack: Step) -> Created:
    up = walk.require("up", "--yes", "--skip-preview")
    return Created(up, walk.project.outputs()["connections"], walk.resources())


@dataclass
class Unchanged:
    preview: Step
    up: Step
    refresh: Step


@pytest.fixture(scope="module")
def unchanged(walk: Walk, created: Created) -> Unchanged:
    """Preview, up (with its preview pass, as users run it) and refresh again without changing anything."""
    preview = walk.run("preview", "--diff")
    up = walk.run("up", "--yes", "--expect-no-changes")
    refresh = walk.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    return Unchanged(preview, up, refresh)


@dataclass
class Changed:
    before: dict[str, dict[str, Any]]  # the emulator's connections by schema, before the change
    preview: Step
    up: Step
    resources: dict[str, dict[str, Any]]
    revealed_state: str  # `stack export --show-secrets`: proves the keys are in the state, encrypted

    def block(self, name: str) -> DiffBlock:
        blocks = diff_blocks(self.preview.out)
        assert name in blocks, f"no diff for {name!r} in\n{self.preview.out}"
        return blocks[name]


@pytest.fixture(scope="module")
def changed(walk: Walk, unchanged: Unchanged) -> Changed:
    """Change one thing per connection (see CHANGED) and remove `retired`; preview with --diff, and up."""
    before = {c["schema"]: c for c in walk.emulator.connections()}
    walk.project.declare_many(CHANGED, api_keys={"rotation": ROTATED_KEY})
    preview = walk.run("preview", "--diff")
    up = walk.require("up", "--yes", "--skip-preview")
    revealed = walk.project.run("stack", "export", "--show-secrets").check().stdout
    return Changed(before, preview, up, walk.resources(), revealed)


@dataclass
class Drifted:
    before: dict[str, dict[str, Any]]
    refresh: Step
    resources: dict[str, dict[str, Any]]  # the state right after the refresh
    preview: Step
    up: Step


@pytest.fixture(scope="module")
def drifted(walk: Walk, changed: Changed) -> Drifted:
    """Pause `drift` and delete `vanish` in Fivetran directly; refresh, preview and up."""
    before = {c["schema"]: c for c in walk.emulator.connections()}
    status, body = walk.emulator.api("PATCH", f"/connections/{before['drift']['id']}",
                                     {"paused": True, "run_setup_tests": False})
    assert status == 200, body
    status, body = walk.emulator.api("DELETE", f"/connections/{before['vanish']['id']}")
    assert status == 200, body
    refresh = walk.require("refresh", "--yes", "--skip-preview")
    resources = walk.resources()
    preview = walk.run("preview", "--diff")
    up = walk.require("up", "--yes", "--skip-preview")
    return Drifted(before, refresh, resources, preview, up)


@dataclass
class Destroyed:
    before: dict[str, dict[str, Any]]
    destroy: Step
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]


@pytest.fixture(scope="module")
def destroyed(walk: Walk, drifted: Drifted) -> Destroyed:
    """Delete `frequency` in Fivetran directly, then destroy the stack."""
    before = {c["schema"]: c for c in walk.emulator.connections()}
    status, body = walk.emulator.api("DELETE", f"/connections/{before['frequency']['id']}")
    assert status == 200, body
    destroy = walk.run("destroy", "--yes", "--skip-preview")
    return Destroyed(before, destroy, walk.resources(), walk.project.outputs())


def schema(name: str, entries: list[dict[str, Any]] = INITIAL) -> str:
    (entry,) = [e for e in entries if e["name"] == name]
    return entry["config"]["schema"]


# ---------------------------------------------------------------------------------------------------------
# Create


def test_the_pulumi_cli_is_available() -> None:
    """Without a CLI every test here fails (the fixtures raise PulumiCliNotFound); this one says so first."""
    assert find_pulumi().is_file()


def test_preview_of_a_new_stack_lists_every_create(new_stack: Step) -> None:
    new_stack.ok()
    assert summary(new_stack.out) == {"to create": RESOURCE_COUNT}, new_stack.out
    blocks = diff_blocks(new_stack.out)
    for name in NAMES:
        assert (blocks[name].type, blocks[name].op, blocks[name].marker) == (CONNECTION_TYPE, "create", "+"), name


def test_preview_of_a_new_stack_sends_no_request(new_stack: Step) -> None:
    assert new_stack.requests == []  # neither the connections nor the group lookup call the API in preview
    assert new_stack.connections == []


def test_preview_leaves_a_looked_up_group_id_unknown(new_stack: Step) -> None:
    blocks = diff_blocks(new_stack.out)
    group = blocks["group-eu-warehouse"]
    assert (group.type, group.op) == (GROUP_TYPE, "create")
    assert re.search(r'^\s*name\s*: "EU warehouse"$', group.text, re.M), group.text
    assert re.search(r"^\s*group_id\s*: \[unknown\]$", blocks["eu-lookup"].text, re.M), blocks["eu-lookup"].text


def test_up_creates_every_declared_connection(created: Created) -> None:
    up = created.up
    assert summary(up.out) == {"created": RESOURCE_COUNT}, up.out
    for name in NAMES:
        assert did(up.out, name, "created"), (name, up.out)
    assert sorted(up.by_schema()) == sorted(schema(name) for name in NAMES)
    assert sorted(up.writes()) == [("POST", "/v1/connections")] * len(NAMES)  # one POST each, no retry
    assert {name: r["id"] for name, r in created.resources.items()} == {
        name: up.by_schema()[schema(name)]["id"] for name in NAMES
    }


def test_up_outputs_match_what_fivetran_holds(created: Created) -> None:
    held = created.up.by_schema()
    assert created.outputs == {
        name: {
            "id": held[schema(name)]["id"],
            "setup_state": held[schema(name)]["status"]["setup_state"],
            "sync_state": held[schema(name)]["status"]["sync_state"],
            "webhook_endpoint": held[schema(name)]["config"]["endpoint"],
        }
        for name in NAMES
    }
    assert all(output["setup_state"] == "connected" for output in created.outputs.values()), created.outputs


def test_connection_with_a_looked_up_group_lands_in_that_group(created: Created) -> None:
    held = created.up.by_schema()
    assert held[schema("eu-lookup")]["group_id"] == "warehouse_eu"
    assert {held[schema(name)]["group_id"] for name in NAMES if name != "eu-lookup"} == {"warehouse_main"}
    assert created.resources["eu-lookup"]["outputs"]["group_id"] == "warehouse_eu"


def test_up_creates_connections_with_their_declared_settings(created: Created) -> None:
    held = created.up.by_schema()
    eu = held[schema("eu-lookup")]
    assert (eu["sync_frequency"], eu["data_delay_sensitivity"]) == (360, "HIGH")
    assert {k: eu["config"][k] for k in ("account_region", "sync_mode", "custom_event_sync_mode",
                                         "historical_sync_limit", "historical_sync_limit_date")} == {
        "account_region": "EU", "sync_mode": "AllEvents", "custom_event_sync_mode": "SelectedEvents",
        "historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2025-01-01"}
    assert sorted(eu["config"]["custom_events"]) == ["planUpgraded", "trialStarted"]
    daily = held[schema("daily")]
    assert (daily["paused"], daily["sync_frequency"], daily["daily_sync_time"]) == (True, 1440, "03:00")
    assert daily["status"]["sync_state"] == "paused"
    assert sorted(daily["config"]["events"]) == ["emailClick", "emailOpen", "emailSend", "purchase"]
    assert created.outputs["daily"]["sync_state"] == "paused"


# ---------------------------------------------------------------------------------------------------------
# No change


def only_reads_each_connection_once(step: Step, before: list[dict[str, Any]]) -> bool:
    """What a preview or a no-change `up` sends now that the project refreshes first: one GET per connection
    in the state (this stack declares no schema config), the group lookup's GET, and nothing else."""
    connection_reads = sorted(r["path"] for r in step.requests if r["path"].startswith("/v1/connections/"))
    return ({r["method"] for r in step.requests} == {"GET"}
            and connection_reads == sorted(f"/v1/connections/{c['id']}" for c in before))


def test_second_preview_reports_no_changes_and_only_reads(unchanged: Unchanged, created: Created) -> None:
    preview = unchanged.preview
    preview.ok()
    assert summary(preview.out) == {"unchanged": RESOURCE_COUNT}, preview.out
    assert [b.op for b in diff_blocks(preview.out).values() if b.op != "same"] == [], preview.out
    assert only_reads_each_connection_once(preview, created.up.connections), preview.requests


def test_second_up_reports_no_changes_and_only_reads(unchanged: Unchanged, created: Created) -> None:
    up = unchanged.up
    up.ok()  # with --expect-no-changes: a change would fail the command
    assert summaries(up.out) == [{"unchanged": RESOURCE_COUNT}] * 2, up.out  # its preview pass and the update
    assert up.writes() == [] and {r["method"] for r in up.requests} == {"GET"}, up.requests
    assert up.connections == created.up.connections


def test_refresh_without_changes_in_fivetran_reports_none(unchanged: Unchanged, created: Created) -> None:
    refresh = unchanged.refresh
    refresh.ok()  # with --expect-no-changes: a difference between create's and read's view would fail it
    assert summary(refresh.out) == {"unchanged": RESOURCE_COUNT}, refresh.out
    assert refresh.writes() == []
    assert refresh.connections == created.up.connections


# ---------------------------------------------------------------------------------------------------------
# Updates in place


def assert_updated_in_place(changed: Changed, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The preview shows `~ (update)`, up updates it with a PATCH of the same connection; returns the
    connection as Fivetran holds it before and after."""
    block = changed.block(name)
    assert (block.op, block.marker) == ("update", "~"), block.text
    assert did(changed.up.out, name, "updated"), changed.up.out
    before = changed.before[schema(name)]
    after = changed.up.by_schema()[schema(name)]
    assert after["id"] == before["id"]
    writes = [w for w in changed.up.writes() if w[1] == f"/v1/connections/{before['id']}"]
    assert writes == [("PATCH", f"/v1/connections/{before['id']}")], changed.up.requests
    assert changed.resources[name]["id"] == before["id"]
    return before, after


def test_preview_of_changes_only_reads(changed: Changed) -> None:
    changed.preview.ok()
    assert only_reads_each_connection_once(changed.preview, list(changed.before.values())), changed.preview.requests
    assert summary(changed.preview.out) == {"to update": 4, "to replace": 2, "to delete": 1, "changes": 7,
                                            "unchanged": RESOURCE_COUNT - 7}, changed.preview.out


def test_sync_frequency_change_updates_in_place(changed: Changed) -> None:
    assert changed.block("frequency").changes("sync_frequency", "60", "120")
    before, after = assert_updated_in_place(changed, "frequency")
    assert (before["sync_frequency"], after["sync_frequency"]) == (60, 120)
    assert changed.resources["frequency"]["outputs"]["sync_frequency"] == 120


def test_paused_change_updates_in_place(changed: Changed) -> None:
    assert changed.block("pausing").changes("paused", "false", "true")
    before, after = assert_updated_in_place(changed, "pausing")
    assert (before["paused"], after["paused"]) == (False, True)
    assert changed.resources["pausing"]["outputs"]["paused"] is True


def test_selected_events_change_updates_in_place(changed: Changed) -> None:
    block = changed.block("events")
    assert block.changes("sync_mode", '"AllEvents"', '"SelectedEvents"'), block.text
    assert re.search(r'^\s*\+ events\s*: \[', block.text, re.M), block.text
    _, after = assert_updated_in_place(changed, "events")
    assert after["config"]["sync_mode"] == "SelectedEvents"
    assert sorted(after["config"]["events"]) == ["emailOpen", "emailSend"]
    assert changed.resources["events"]["outputs"]["config"]["events"] == ["emailOpen", "emailSend"]


def test_api_key_rotation_updates_in_place(changed: Changed) -> None:
    block = changed.block("rotation")
    assert re.search(r"^\s*~? ?api_key\s*: \[secret\]", block.text, re.M), block.text
    before, after = assert_updated_in_place(changed, "rotation")
    # The emulator derives project_type from the key: the new key reached Fivetran.
    assert (before["config"]["project_type"], after["config"]["project_type"]) == (
        "EMAIL_BASED_PROJECT", "USER_ID_BASED_PROJECT")
    assert changed.resources["rotation"]["outputs"]["project_type"] == "USER_ID_BASED_PROJECT"


def test_unchanged_connections_are_left_alone(changed: Changed) -> None:
    touched = {path for _, path in changed.up.writes()}
    for name in ("eu-lookup", "daily", "drift", "vanish"):
        assert f"/v1/connections/{changed.before[schema(name)]['id']}" not in touched, name
        assert name not in diff_blocks(changed.preview.out), name


def test_connection_removed_from_the_stack_config_is_deleted(changed: Changed) -> None:
    block = changed.block("retired")
    assert (block.op, block.marker) == ("delete", "-"), block.text
    assert did(changed.up.out, "retired", "deleted"), changed.up.out
    retired_id = changed.before[schema("retired")]["id"]
    assert ("DELETE", f"/v1/connections/{retired_id}") in changed.up.writes()
    assert schema("retired") not in changed.up.by_schema()
    assert "retired" not in changed.resources


# ---------------------------------------------------------------------------------------------------------
# Replacements


def assert_replaced(changed: Changed, name: str, new: dict[str, Any]) -> dict[str, Any]:
    """The preview shows `+- (replace)`; up creates the new connection and deletes the old one."""
    block = changed.block(name)
    assert (block.op, block.marker) == ("replace", "+-"), block.text
    assert did(changed.up.out, name, "created replacement"), changed.up.out
    assert did(changed.up.out, name, "deleted original"), changed.up.out
    old = changed.before[schema(name)]
    held = changed.up.connections
    assert old["id"] not in {c["id"] for c in held}, "the old connection must be gone"
    (replacement,) = [c for c in held if c["schema"] == new["schema"] and c["group_id"] == new["group_id"]]
    assert replacement["id"] != old["id"]
    assert ("DELETE", f"/v1/connections/{old['id']}") in changed.up.writes()
    assert changed.resources[name]["id"] == replacement["id"]
    return replacement


def test_schema_change_replaces_the_connection(changed: Changed) -> None:
    assert changed.block("schema-move").changes("schema", '"schema_move"', '"schema_move_v2"')
    assert_replaced(changed, "schema-move", {"schema": "schema_move_v2", "group_id": "warehouse_main"})
    assert "schema_move" not in changed.up.by_schema()


def test_group_change_replaces_the_connection(changed: Changed) -> None:
    assert changed.block("regroup").changes("group_id", '"warehouse_main"', '"warehouse_eu"')
    replacement = assert_replaced(changed, "regroup", {"schema": "regroup", "group_id": "warehouse_eu"})
    assert [c["group_id"] for c in changed.up.connections if c["schema"] == "regroup"] == ["warehouse_eu"]
    assert replacement["status"]["setup_state"] == "connected"


# ---------------------------------------------------------------------------------------------------------
# Changes made outside Pulumi


def test_refresh_reports_a_change_made_in_fivetran(drifted: Drifted) -> None:
    statuses = progress(drifted.refresh.out, "drift")
    assert "updated [diff: ~paused]" in statuses, drifted.refresh.out
    assert summary(drifted.refresh.out) == {"updated": 1, "deleted": 1, "changes": 2,
                                            "unchanged": KEPT_COUNT - 2}, drifted.refresh.out
    drift = drifted.resources["drift"]
    assert drift["outputs"]["paused"] is True
    assert drift["inputs"]["paused"] is True  # read() returns the live inputs too
    assert drift["id"] == drifted.before["drift"]["id"]


def test_refresh_only_reads(drifted: Drifted) -> None:
    assert drifted.refresh.writes() == []
    assert {r["method"] for r in drifted.refresh.requests} == {"GET"}


def test_preview_after_refresh_diffs_back_to_the_declared_value(drifted: Drifted) -> None:
    drifted.preview.ok()
    block = diff_blocks(drifted.preview.out)["drift"]
    assert (block.op, block.marker) == ("update", "~"), block.text
    assert block.changes("paused", "true", "false"), block.text
    assert drifted.preview.writes() == []


def test_up_after_refresh_restores_the_declared_value(drifted: Drifted) -> None:
    drift = drifted.up.by_schema()["drift"]
    assert drift["id"] == drifted.before["drift"]["id"]
    assert drift["paused"] is False
    assert ("PATCH", f"/v1/connections/{drift['id']}") in drifted.up.writes()


def test_refresh_drops_a_connection_deleted_in_fivetran(drifted: Drifted) -> None:
    assert did(drifted.refresh.out, "vanish", "deleted"), drifted.refresh.out
    assert "vanish" not in drifted.resources
    assert sorted(drifted.resources) == sorted(n for n in KEPT if n != "vanish")


def test_up_recreates_a_connection_deleted_in_fivetran(drifted: Drifted) -> None:
    block = diff_blocks(drifted.preview.out)["vanish"]
    assert (block.op, block.marker) == ("create", "+"), block.text
    assert did(drifted.up.out, "vanish", "created"), drifted.up.out
    recreated = drifted.up.by_schema()["vanish"]
    assert recreated["id"] != drifted.before["vanish"]["id"]
    assert summary(drifted.up.out) == {"created": 1, "updated": 1, "changes": 2,
                                       "unchanged": KEPT_COUNT - 2}, drifted.up.out


# ---------------------------------------------------------------------------------------------------------
# Destroy


def test_destroy_removes_everything_even_a_connection_already_deleted(destroyed: Destroyed) -> None:
    destroyed.destroy.ok()
    # The project refreshes first: the connection deleted in Fivetran is found gone and dropped, not deleted.
    assert summary(destroyed.destroy.out) == {"deleted": KEPT_COUNT - 1}, destroyed.destroy.out
    assert destroyed.destroy.connections == []
    assert destroyed.resources == {} and destroyed.outputs == {}
    deletes = [r for r in destroyed.destroy.requests if r["method"] == "DELETE"]
    gone_id = destroyed.before["frequency"]["id"]
    assert sorted(r["path"] for r in deletes) == sorted(f"/v1/connections/{c['id']}"
                                                        for c in destroyed.before.values() if c["id"] != gone_id)
    reads = [r for r in destroyed.destroy.requests if r["path"] == f"/v1/connections/{gone_id}"]
    assert [(r["method"], r["status"]) for r in reads] == [("GET", 404)]


# ---------------------------------------------------------------------------------------------------------
# Secrets


def canaries() -> list[str]:
    keys = [iterable_key(name) for name in NAMES] + [ROTATED_KEY]
    basic = base64.b64encode(f"dev-key:{FIVETRAN_SECRET}".encode()).decode()
    return [FIVETRAN_SECRET, basic, *keys]


def leaked(text: str) -> list[str]:
    return [canary for canary in canaries() if canary in text]


def test_no_secret_in_any_cli_output(walk: Walk, destroyed: Destroyed) -> None:
    walk.project.run("config").check()  # the stack's config as a user lists it
    results = [r for r in walk.cli.results if "--show-secrets" not in r.args]
    assert len(results) >= 15, [r.describe() for r in results]
    for result in results:
        assert leaked(result.stdout + result.stderr) == [], f"{result.describe()}\n{result.transcript()}"


def test_state_keeps_secrets_encrypted(walk: Walk, changed: Changed, destroyed: Destroyed) -> None:
    # The revealed export proves the canaries are in the state at all, so their absence below means encrypted.
    assert FIVETRAN_SECRET in changed.revealed_state and ROTATED_KEY in changed.revealed_state
    assert len(walk.exports) >= 4
    for export in walk.exports:
        assert leaked(json.dumps(export)) == []
    resources = changed.resources
    for name, resource in resources.items():
        for side in ("inputs", "outputs"):
            api_key = resource[side]["config"]["api_key"]
            assert isinstance(api_key, dict) and "ciphertext" in api_key, (name, side, api_key)
    providers = [r for export in walk.exports for r in export["deployment"].get("resources") or []
                 if r["type"] == "pulumi:providers:pulumi-python"]
    assert providers, "the default provider of the dynamic resources is in the state"
    for provider in providers:
        assert "ciphertext" in provider["inputs"]["fivetran:apiSecret"], provider["inputs"]
    # Everything the CLI wrote: backend checkpoints, their backups and history, PULUMI_HOME.
    written = [path for path in walk.root.rglob("*")
               if path.is_file() and not path.is_symlink() and "venv" not in path.parts]
    assert len([p for p in written if p.name.endswith(".checkpoint.json")]) >= 4, written
    for path in written:
        assert leaked(path.read_text(errors="replace")) == [], path


def test_stack_file_holds_only_ciphertext(walk: Walk, destroyed: Destroyed) -> None:
    text = walk.project.stack_file.read_text()
    assert leaked(text) == []
    config = yaml.safe_load(text)["config"]
    assert set(config["fivetran:apiSecret"]) == {"secure"}
    api_keys = config["iterable-connections:apiKeys"]
    assert sorted(api_keys) == sorted(NAMES)
    for name, value in api_keys.items():
        assert set(value) == {"secure"} and value["secure"].startswith("v1:"), name


# ---------------------------------------------------------------------------------------------------------
# Invalid inputs: each in a throwaway stack of its own


@pytest.mark.parametrize("entry, path, reason", [
    (connection("bad-frequency", sync_frequency=45), "sync_frequency", "must be one of 1, 5, 15, 30, 60"),
    (connection("bad-region", config={"account_region": "APAC"}), "config.account_region",
     "must be one of US, EU (got 'APAC')"),
], ids=["sync_frequency", "account_region"])
def test_invalid_input_fails_preview_naming_the_field(entry: dict[str, Any], path: str, reason: str,
                                                      tmp_path: Path, emulator: Emulator) -> None:
    name = entry["name"]
    project = StackProject.create(tmp_path, emulator)
    project.declare([entry], api_keys={name: iterable_key(name)})

    result = project.preview("--diff")

    assert result.returncode != 0, result.transcript()
    output = result.stdout + result.stderr
    # The stack program checks every entry with the provider's rules before registering anything.
    assert f"connection '{name}': {path}: {reason}" in output, result.transcript()
    assert "Traceback" not in output
    assert iterable_key(name) not in output
    assert emulator.requests() == []
