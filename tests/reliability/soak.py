"""A seeded, randomized soak of the whole lifecycle through the real CLI, under faults, with invariants checked
after every round (`scripts/soak --seed N --rounds R [--connections K]`).

Each round, drawn from the seed:
- changes the program (this repository's stack program, its stack config): add or remove a connection, change
  an input (sync frequency, pause, events), change `config.schema` or `group_id` (replacements), rotate a key,
  switch between a declared key and a Connect Card, adopt a connection made outside Pulumi, change what a
  connection syncs (`schema_config`) or ask for a re-sync;
- changes something outside, as a person in the Fivetran dashboard would (edit, pause, delete a connection,
  unhash a declared column);
- arms faults for the round (429 with Retry-After, 5xx, dropped connections, slow replies, committed with the
  reply lost), or kills the CLI or the provider process in the middle of a create;
- runs `preview`, `up` and sometimes `refresh`, which may fail.

Then, with the faults off, `up` must converge, doing what the project's own messages say when it fails (set
`adopt_existing: true` for the connection named, `pulumi cancel` after a kill, `pulumi refresh
--clear-pending-creates` for an interrupted create), and the invariants hold: every declared connection exists
exactly once with exactly the declared settings (and declared schema config); nothing exists that the state does
not know; no two connections share a group and schema; `preview --expect-no-changes` passes (it refreshes
first, so it compares with Fivetran); no canary key appears in plain text in the state, the CLI output (which
carries what the provider prints) or the emulator's request log.

A failure prints the seed, the round and the history that reproduces it, shrunk by replaying it without each
earlier round in turn (`--replay FILE` runs a recorded history). The last line is always
`soak: R rounds, seed N, K connections: D duplicates, O orphans, V invariant violations, C canary hits`, and the
exit status is non-zero when any of those is not 0.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_fivetran_iterable import schema_config as schema_rules  # noqa: E402

from tests.reliability.support import CREATE, canary_forms, find_canaries, kill_up_mid_create  # noqa: E402
from tests.support.emulator import Emulator, start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiResult  # noqa: E402
from tests.support.stack import StackProject  # noqa: E402

GROUPS = ("warehouse_main", "warehouse_eu")
FREQUENCIES = (60, 120, 360, 720)
EVENTS = ("emailSend", "emailOpen", "emailClick", "purchase", "smsSend")
TABLES = ("list_user_history", "event_extension", "campaign_metrics")
HASHABLE = (("user_history", "email"), ("event", "ip"), ("list_user_history", "email"))
ONE_ID = r"^/v1/connections/[^/]+$"
FAULTS = (
    {"status": 429, "retry_after": 1},
    {"status": 500},
    {"status": 502},
    {"status": 503},
    {"drop_connection": True},
    {"delay_s": 2.0},
    {"drop_connection": True, "after_commit": True},
    {"status": 504, "after_commit": True},
)
FAULT_TARGETS = (("POST", CREATE), ("PATCH", ONE_ID), ("DELETE", ONE_ID), ("GET", ONE_ID),
                 ("POST", r"/schemas$"), ("PATCH", r"/schemas$"), ("POST", r"/resync$"), ("*", r"^/v1/"))


class Violation(Exception):
    """An invariant that did not hold; `kind` groups violations when a history is shrunk."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


# -- the program model -------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One declared connection, as the stack config holds it."""

    name: str
    schema: str
    group: str = GROUPS[0]
    sync_frequency: int = 360
    paused: bool = False
    events: list[str] | None = None
    key_version: int | None = 1  # None: authorized through a Connect Card
    adopt: bool = False
    blocked: list[str] = field(default_factory=list)  # tables declared disabled
    hashed: list[list[str]] = field(default_factory=list)  # [table, column] declared hashed
    resync: str | None = None

    def stack_entry(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schema": self.schema}
        if self.events:
            config.update(sync_mode="SelectedEvents", events=list(self.events))
        entry: dict[str, Any] = {"name": self.name, "group_id": self.group, "sync_frequency": self.sync_frequency,
                                 "paused": self.paused, "config": config}
        if self.key_version is None:
            entry["connect_card_config"] = {"redirect_uri": "https://example.com/connected"}
        if self.adopt:
            entry["adopt_existing"] = True
        if self.declared_schema_config():
            entry["schema_config"] = self.declared_schema_config()
        if self.resync:
            entry["resync"] = {"trigger": self.resync}
        return entry

    def declared_schema_config(self) -> dict[str, Any] | None:
        tables: dict[str, Any] = {name: {"enabled": False} for name in self.blocked}
        for table, column in self.hashed:
            tables.setdefault(table, {}).setdefault("columns", {})[column] = {"hashed": True}
        return {"tables": tables} if tables else None


def canary(seed: int, name: str, version: int) -> str:
    return f"itbl-soak-canary-{seed}-{name}-v{version}"


class ProgramModel:
    """The declared connections, and the program changes of a round applied to them (no CLI, no emulator)."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def apply(self, action: dict[str, Any]) -> None:
        op, name = action["op"], action.get("name", "")
        entry = self.entries.get(name)
        if op == "add":
            self.entries[name] = Entry(name, action["schema"], action["group"], action["sync_frequency"],
                                       events=action.get("events"), key_version=None if action["card"] else 1)
        elif op == "adopt":
            self.entries[name] = Entry(name, f"soak_{name}", action["group"], action["sync_frequency"], adopt=True)
        elif entry is None:
            return
        elif op == "remove":
            del self.entries[name]
        elif op == "set":
            setattr(entry, action["field"], action["value"])
        elif op == "rotate":
            entry.key_version = (entry.key_version or 0) + 1
        elif op == "card":
            entry.key_version = None if action["card"] else 1


# -- a round: what changes, outside and in, and the faults ------------------------------------------------------
class Planner:
    """Draws each round's actions from the seed; every action is plain data, so a history can be replayed."""

    def __init__(self, seed: int, connections: int) -> None:
        self.rng = random.Random(seed)
        self.target = connections
        self.counter = 0

    def fresh_name(self) -> str:
        self.counter += 1
        return f"c{self.counter}"

    def initial(self) -> list[dict[str, Any]]:
        return [self._add() for _ in range(self.target)]

    def _add(self) -> dict[str, Any]:
        name = self.fresh_name()
        rng = self.rng
        return {"op": "add", "name": name, "schema": f"soak_{name}", "group": rng.choice(GROUPS),
                "sync_frequency": rng.choice(FREQUENCIES), "card": rng.random() < 0.15,
                "events": sorted(rng.sample(EVENTS, 2)) if rng.random() < 0.4 else None}

    def round(self, program: dict[str, Entry]) -> list[dict[str, Any]]:
        rng = self.rng
        names = sorted(program)
        actions: list[dict[str, Any]] = []
        for _ in range(rng.choice((1, 1, 2))):
            actions.append(self._program_change(program, names))
        if names and rng.random() < 0.5:
            actions.append(self._outside_change(program, names))
        creates = any(a["op"] == "add" or (a["op"] == "set" and a["field"] in ("schema", "group")) for a in actions)
        if creates and rng.random() < 0.3:  # a create in flight: kill the CLI or the provider in the middle of it
            actions.append({"op": "kill", "target": rng.choice(("provider", "cli"))})
        else:
            for _ in range(rng.choice((0, 1, 1, 2))):
                method, path = rng.choice(FAULT_TARGETS)
                actions.append({"op": "fault", "spec": {"method": method, "path": path, "count": rng.choice((1, 2)),
                                                        **rng.choice(FAULTS)}})
        actions.append({"op": "run", "refresh": rng.random() < 0.3})
        return actions

    def _program_change(self, program: dict[str, Entry], names: list[str]) -> dict[str, Any]:
        rng = self.rng
        if not names or (len(names) < self.target and rng.random() < 0.3):
            return self._add()
        name = rng.choice(names)
        entry = program[name]
        kind = rng.choice(("remove", "frequency", "pause", "events", "schema", "group", "rotate", "card", "adopt",
                           "block", "hash", "resync"))
        if kind == "remove":
            return {"op": "remove", "name": name}
        if kind == "frequency":
            return {"op": "set", "name": name, "field": "sync_frequency",
                    "value": rng.choice([f for f in FREQUENCIES if f != entry.sync_frequency])}
        if kind == "pause":
            return {"op": "set", "name": name, "field": "paused", "value": not entry.paused}
        if kind == "events":
            return {"op": "set", "name": name, "field": "events",
                    "value": None if entry.events else sorted(rng.sample(EVENTS, 2))}
        if kind == "schema":
            return {"op": "set", "name": name, "field": "schema", "value": f"soak_{name}_{self.fresh_name()}"}
        if kind == "group":
            return {"op": "set", "name": name, "field": "group",
                    "value": GROUPS[1] if entry.group == GROUPS[0] else GROUPS[0]}
        if kind == "rotate":
            return {"op": "rotate", "name": name}
        if kind == "card":
            return {"op": "card", "name": name, "card": entry.key_version is not None}
        if kind == "adopt":
            return {"op": "adopt", "name": self.fresh_name(), "group": rng.choice(GROUPS),
                    "sync_frequency": rng.choice(FREQUENCIES)}
        if kind == "block":
            table = rng.choice(TABLES)
            blocked = sorted(set(entry.blocked) ^ {table})
            return {"op": "set", "name": name, "field": "blocked", "value": blocked}
        if kind == "hash":
            pair = list(rng.choice(HASHABLE))
            hashed = [p for p in entry.hashed if p != pair] if pair in entry.hashed else [*entry.hashed, pair]
            return {"op": "set", "name": name, "field": "hashed", "value": hashed}
        return {"op": "set", "name": name, "field": "resync", "value": f"r{self.fresh_name()}"}

    def _outside_change(self, program: dict[str, Entry], names: list[str]) -> dict[str, Any]:
        rng = self.rng
        name = rng.choice(names)
        kind = rng.choice(("edit", "edit", "delete", "column"))
        if kind == "delete":
            return {"op": "outside_delete", "name": name}
        if kind == "column" and program[name].hashed:
            table, column = program[name].hashed[0]
            return {"op": "outside_column", "name": name, "table": table, "column": column}
        return {"op": "outside_edit", "name": name, "body": rng.choice((
            {"sync_frequency": 1440}, {"paused": not program[name].paused}, {"sync_frequency": 15}))}


# -- running a history -------------------------------------------------------------------------------------------
@dataclass
class Tally:
    duplicates: int = 0
    orphans: int = 0
    violations: int = 0
    canary_hits: int = 0
    found: list[str] = field(default_factory=list)


class Soak:
    """One project and one emulator, the program model, and the checks."""

    def __init__(self, root: Path, emulator: Emulator, seed: int, log: Any) -> None:
        self.emulator, self.seed, self.log = emulator, seed, log
        self.project = StackProject.create(root, emulator)
        self.model = ProgramModel()
        self.outputs: list[str] = []  # every CLI output, for the canary search
        self.canaries: set[str] = set()  # every Iterable key the program ever declared
        self.failed: list[str] = []  # the commands of the current round that failed (under its faults)

    @property
    def program(self) -> dict[str, Entry]:
        return self.model.entries

    # -- applying actions --
    def apply(self, action: dict[str, Any]) -> None:
        op = action["op"]
        if op == "adopt":  # someone made it outside Pulumi first
            self._api("POST", "/connections", {"service": "iterable", "group_id": action["group"],
                                               "sync_frequency": action["sync_frequency"],
                                               "config": {"schema": f"soak_{action['name']}",
                                                          "api_key": "itbl-made-outside"}})
        if op.startswith("outside_"):
            if action["name"] in self.program:
                self._outside(action)
        elif op == "fault":
            self.emulator.fault(**action["spec"])
        else:
            self.model.apply(action)

    def _outside(self, action: dict[str, Any]) -> None:
        entry = self.program[action["name"]]
        live = self._live().get((entry.group, entry.schema))
        if live is None:
            return
        if action["op"] == "outside_delete":
            self._api("DELETE", f"/connections/{live['id']}")
        elif action["op"] == "outside_edit":
            self._api("PATCH", f"/connections/{live['id']}", {**action["body"], "run_setup_tests": False})
        else:
            self._api("PATCH", f"/connections/{live['id']}/schemas/iterable/tables/{action['table']}/columns/"
                               f"{action['column']}", {"enabled": True, "hashed": False})

    def declare(self) -> None:
        keys = {name: canary(self.seed, name, entry.key_version) for name, entry in self.program.items()
                if entry.key_version is not None}
        self.canaries |= set(keys.values())
        self.project.declare_many([entry.stack_entry() for entry in self.program.values()], keys)

    # -- running the CLI --
    def cli(self, *args: str) -> PulumiResult:
        result = self.project.run(*args, timeout=900)
        self.outputs.append(result.stdout + result.stderr)
        return result

    def run_round(self, actions: list[dict[str, Any]]) -> None:
        """Apply a round's actions, then preview, up (and refresh) with its faults armed."""
        kill = next((a for a in actions if a["op"] == "kill"), None)
        for action in actions:
            if action["op"] not in ("run", "kill"):
                self.apply(action)
        self.declare()
        run = next(a for a in actions if a["op"] == "run")
        self.failed = []
        if not self.cli("preview").ok:
            self.failed.append("preview")
        if kill:
            self._killed_up(kill["target"])
            self.failed.append(f"up (killed the {kill['target']})")
        elif not self.cli("up", "--yes", "--skip-preview").ok:
            self.failed.append("up")
        if run.get("refresh") and not self.cli("refresh", "--yes", "--skip-preview").ok:
            self.failed.append("refresh")
        self.emulator.control("DELETE", "/__emulator/faults")

    def _killed_up(self, target: str) -> None:
        """`up` whose first create commits and hangs; the CLI or the provider is killed once it landed."""
        before = len(self.emulator.connections())
        _, transcript = kill_up_mid_create(self.project, self.emulator, target,
                                           lambda: len(self.emulator.connections()) > before)
        self.outputs.append(transcript)

    # -- converging and checking --
    def converge(self) -> list[str]:
        """A clean `up`, and the recovery steps the project's messages name; the steps taken."""
        steps: list[str] = []
        for _ in range(5):
            result = self.cli("up", "--yes", "--skip-preview")
            if result.ok:
                break
            text = result.stdout + result.stderr
            if "pulumi cancel" in text or re.search(r"\blocked\b", text):
                self.cli("cancel", "--yes")
                steps.append("pulumi cancel")
            taken = [name for name, entry in self.program.items()
                     if re.search(rf"schema '{re.escape(entry.schema)}' already exists", text) and not entry.adopt]
            for name in taken:
                self.program[name].adopt = True
                steps.append(f"adopt_existing: true for {name}")
            if taken:
                self.declare()
            if not taken and "pulumi cancel" not in text:
                steps.append("up again")
        else:
            raise Violation("did not converge", self.outputs[-1][-3000:])
        if self.project.export()["deployment"].get("pending_operations"):
            self.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates").check()
            steps.append("refresh --clear-pending-creates")
        return steps

    def check(self, tally: Tally) -> None:
        """Every invariant; a violation raises after the counts are tallied."""
        live = list(self._all_connections())
        places = Counter((c["group_id"], c["schema"]) for c in live)
        duplicates = sum(n - 1 for n in places.values() if n > 1)
        state = {r["urn"].rsplit("::", 1)[-1]: r for r in self.project.resources()}
        state_ids = {r["id"] for r in state.values()}
        live_ids = {c["id"] for c in live}
        orphans = len(live_ids - state_ids) + len(state_ids - live_ids)
        hits = self._canary_hits()
        tally.duplicates += duplicates
        tally.orphans += orphans
        tally.canary_hits += hits
        if duplicates:
            raise Violation("duplicates", str([p for p, n in places.items() if n > 1]))
        if orphans:
            raise Violation("orphans", f"in Fivetran only {sorted(live_ids - state_ids)}, in the state only "
                                       f"{sorted(state_ids - live_ids)}")
        if hits:
            raise Violation("canary", f"{hits} canary key(s) in plain text")
        if set(state) != set(self.program):
            raise Violation("state", f"state {sorted(state)} != declared {sorted(self.program)}")
        by_place = {(c["group_id"], c["schema"]): c for c in live}
        for name, entry in self.program.items():
            self._matches(name, entry, by_place.get((entry.group, entry.schema)))
        preview = self.cli("preview", "--expect-no-changes")
        if not preview.ok:
            raise Violation("preview --expect-no-changes", (preview.stdout + preview.stderr)[-3000:])

    def _matches(self, name: str, entry: Entry, live: dict[str, Any] | None) -> None:
        if live is None:
            raise Violation("missing", f"{name} ({entry.group}/{entry.schema}) is not in Fivetran")
        want = {"sync_frequency": entry.sync_frequency, "paused": entry.paused}
        got = {key: live.get(key) for key in want}
        if got != want:
            raise Violation("settings", f"{name}: Fivetran holds {got}, the program declares {want}")
        events = live["config"].get("events") if live["config"].get("sync_mode") == "SelectedEvents" else None
        if sorted(events or []) != sorted(entry.events or []):
            raise Violation("settings", f"{name}: events {events} != {entry.events}")
        declared = entry.declared_schema_config()
        if declared is not None:
            canonical = {"tables": {t: {"enabled": s.get("enabled", True), **({"columns": {
                c: {"enabled": True, "hashed": True} for c in s["columns"]}} if "columns" in s else {})}
                for t, s in declared["tables"].items()}}
            status, body = self._api("GET", f"/connections/{live['id']}/schemas")
            held = schema_rules.project(body["data"] if status == 200 else None, canonical)
            if held != canonical:
                raise Violation("schema config", f"{name}: Fivetran holds {held}, the program declares {canonical}")

    def _canary_hits(self) -> int:
        forms = canary_forms(*sorted(self.canaries))
        texts = [json.dumps(self.project.export()), self.project.stack_file.read_text(),
                 json.dumps(self.emulator.requests()), *self.outputs]
        self.outputs.clear()
        return sum(len(find_canaries(text, forms)) for text in texts)

    def _all_connections(self) -> list[dict[str, Any]]:
        return self.emulator.connections()

    def _live(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(c["group_id"], c["schema"]): c for c in self._all_connections()}

    def _api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return self.emulator.api(method, path, body)


def run_history(history: list[list[dict[str, Any]]], seed: int, workdir: Path, log: Any,
                tally: Tally | None = None) -> tuple[Tally, int | None, Violation | None]:
    """Run rounds (round 0 declares the initial connections) in a fresh project and emulator; the tally, and the
    round and violation where an invariant first failed (None when all held)."""
    tally = tally or Tally()
    with start_emulator(*(arg for group in GROUPS for arg in ("--group", f"{group}:{group}")),
                        "--create-limit", "0") as emulator:
        soak = Soak(workdir, emulator, seed, log)
        for number, actions in enumerate(history):
            started = time.monotonic()
            try:
                soak.run_round(actions)
                steps = soak.converge()
                soak.check(tally)
            except Violation as violation:
                tally.violations += 1
                return tally, number, violation
            failed = f"; {', '.join(soak.failed)} failed" if soak.failed else ""
            log(f"round {number}: {describe(actions)}{failed}; converged"
                + (f" after {', '.join(steps)}" if steps else "") + f" ({time.monotonic() - started:.0f} s)")
    return tally, None, None


def describe(actions: list[dict[str, Any]]) -> str:
    parts = []
    for action in actions:
        op = action["op"]
        if op == "run":
            continue
        if op == "fault":
            spec = action["spec"]
            what = ", ".join(f"{k}={v}" for k, v in spec.items() if k not in ("method", "path", "count"))
            parts.append(f"fault {spec['method']} {spec['path']} x{spec['count']} ({what})")
        elif op == "set":
            parts.append(f"{action['name']}.{action['field']}={action['value']}")
        else:
            parts.append(" ".join(str(v) for k, v in action.items() if k in ("op", "name", "target")))
    return "; ".join(parts) or "nothing"


def plan(seed: int, rounds: int, connections: int) -> list[list[dict[str, Any]]]:
    """The whole history a seed draws: the initial connections, then `rounds` rounds (drawing a round needs the
    program as it will be then, so the model is advanced as the rounds are drawn)."""
    planner = Planner(seed, connections)
    model = ProgramModel()
    history = [[*planner.initial(), {"op": "run", "refresh": False}]]
    for actions in history:
        for action in actions:
            model.apply(action)
    for _ in range(rounds):
        actions = planner.round(model.entries)
        for action in actions:
            if not action["op"].startswith("outside_") and action["op"] not in ("fault", "kill", "run"):
                model.apply(action)
        history.append(actions)
    return history


def shrink(history: list[list[dict[str, Any]]], failing: int, kind: str, seed: int, base: Path, log: Any,
           budget: int) -> list[list[dict[str, Any]]]:
    """Drop earlier rounds one at a time while the same kind of violation still happens (at most `budget`
    replays)."""
    current = history[: failing + 1]
    index = len(current) - 2
    while index >= 1 and budget > 0:
        candidate = current[:index] + current[index + 1:]
        budget -= 1
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            _, where, violation = run_history(candidate, seed, Path(tmp), lambda _: None)
        if violation is not None and violation.kind == kind and where == len(candidate) - 1:
            log(f"shrink: round {index} is not needed")
            current = candidate
        index -= 1
    return current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--replay", type=Path, help="run a history recorded by an earlier failure instead")
    parser.add_argument("--shrink-budget", type=int, default=12, help="replays allowed to shrink a failure")
    parser.add_argument("--quiet", action="store_true", help="only the last line")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    if args.replay:
        recorded = json.loads(args.replay.read_text())
        history, seed = recorded["history"], recorded["seed"]
        connections = recorded.get("connections", args.connections)
    else:
        history, seed, connections = plan(args.seed, args.rounds, args.connections), args.seed, args.connections
    rounds = len(history) - 1
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="soak-"))
    tally, failing, violation = run_history(history, seed, base / "run", log)
    if violation is not None and failing is not None:
        log(f"\nFAILED at round {failing} of seed {seed}: {violation}")
        minimal = shrink(history, failing, violation.kind, seed, base, log, args.shrink_budget)
        record = {"seed": seed, "connections": connections, "failed_round": failing, "violation": str(violation),
                  "history": minimal}
        saved = Path(tempfile.gettempdir()) / f"soak-seed{seed}-round{failing}.json"
        saved.write_text(json.dumps(record, indent=1))
        log(f"minimal history ({len(minimal)} of {failing + 1} rounds), replay with scripts/soak --replay {saved}:")
        for number, actions in enumerate(minimal):
            log(f"  {number}: {describe(actions)}")
    log(f"({time.monotonic() - started:.0f} s)")
    print(f"soak: {rounds} rounds, seed {seed}, {connections} connections: {tally.duplicates} duplicates, "
          f"{tally.orphans} orphans, {tally.violations} invariant violations, {tally.canary_hits} canary hits")
    return 1 if (tally.duplicates or tally.orphans or tally.violations or tally.canary_hits) else 0


if __name__ == "__main__":
    sys.exit(main())


