"""A seeded, randomized soak of the whole lifecycle through the real CLI, under faults, with invariants checked
after every round (`scripts/soak --seed N --rounds R [--connections K]`).

Each round, drawn from the seed (`soak_plan.py`, which also lists the scenarios where features meet that the
generator produces, and how):
- changes the program (this repository's stack program, its stack config): add or remove a connection, change
  an input (sync frequency, pause, events), change `config.schema`, `group_id` or `destination_schema_names`
  (replacements), rotate a key, move the key between a declared key, a Connect Card and an external secrets
  manager (one whose secret works, one whose secret fails its setup tests), declare a key that fails, change
  `config.webhook_auth_type` (alone, or with a key that fails), switch `setup_test_policy`, adopt a connection
  made outside Pulumi, change what a connection syncs (`schema_config`, also together with unpausing) or ask
  for a re-sync;
- changes something outside, as a person would (edit, pause, delete a connection in the dashboard, unhash a
  declared column, complete a Connect Card with a working key);
- arms faults for the round (429 with Retry-After, 5xx, dropped connections, slow replies, committed with the
  reply lost; a create's schema config write and then its clean-up failing), or kills the CLI or the provider
  process in the middle of a create;
- runs `preview`, `up` and sometimes `refresh`, which may fail.

Then, with the faults off, `up` must converge, doing what the project's own messages say when it fails (set
`adopt_existing: true` for the connection named, `pulumi cancel` after a kill, `pulumi refresh
--clear-pending-creates` for an interrupted create; for a key change refused under `setup_test_policy: fail`
because the working key could not be put back, or rolled back because the new key fails, put the key source
back as it was or set `setup_test_policy: warn`, as the round drew).

The invariants: every declared connection exists exactly once with exactly the declared settings (schema config,
webhook auth type, where the key is read from, the naming Fivetran fixed at creation), and a connection whose
key works is `connected`; nothing exists that the state does not know; no two connections share a group and
schema; `preview --expect-no-changes` passes (it refreshes first, so it compares with Fivetran); no canary key
(declared, typed into a card, or kept in a secrets manager) appears in plain text in the state, the CLI output
(which carries what the provider prints) or the emulator's request log. And where features meet:
- after every `up`, a connection it reported as rolled back ("so the change was rolled back", "its previous
  settings were restored") that was `connected` before is `connected` again, reads its key from where it did,
  and has the webhook auth type and webhook secret it had (a rollback never rotates the secret);
- the webhook secret Fivetran holds is the `webhook_secret` output in the state (compared decrypted, never
  printed) whenever the auth type is Basic or OAuth2, and there is none with NoAuth;
- the `key_source` the state records agrees with the program: `declared` for a declared key,
  `secrets_manager` for a secret, `connect_card` (or `adopted`, for an adopted connection) for a card;
- a preview that replaces a connection warns on the resource that it is replaced; declaring the naming a
  connection already has replaces nothing.

A failure prints the seed, the round and the history that reproduces it, shrunk by replaying it without each
earlier round in turn (`--replay FILE` runs a recorded history). The last line is always
`soak: R rounds, seed N, K connections: D duplicates, O orphans, V invariant violations, C canary hits`, and the
exit status is non-zero when any of those is not 0.
"""

from __future__ import annotations

import argparse
import json
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

from tests.reliability.soak_invariants import (  # noqa: E402
    Violation,
    connection_matches,
    plain,
    replacements_warned,
    rollbacks_hold,
)
from tests.reliability.soak_plan import GROUPS, SECRETS, Entry, ProgramModel, describe, plan  # noqa: E402
from tests.reliability.support import canary_forms, find_canaries, kill_up_mid_create  # noqa: E402
from tests.support.emulator import Emulator, start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiResult  # noqa: E402
from tests.support.stack import StackProject  # noqa: E402

__all__ = ["Soak", "Tally", "Violation", "main", "plan", "run_history", "shrink"]

# A key change that was not made, or was undone: what the program's fix answers.
REFUSED = "Nothing was changed"
KEY_CHANGE_FAILED = re.compile(rf"{REFUSED}|setup tests failed|it was not adopted")


def canary(seed: int, name: str, version: int, fails: bool = False) -> str:
    """The Iterable key a program declares; one that starts with `invalid` fails its setup tests."""
    return f"{'invalid' if fails else 'itbl'}-soak-canary-{seed}-{name}-v{version}"


# -- running a history -------------------------------------------------------------------------------------------
@dataclass
class Tally:
    duplicates: int = 0
    orphans: int = 0
    violations: int = 0
    canary_hits: int = 0
    found: list[str] = field(default_factory=list)
    # What the rounds exercised where features meet (for the log: a soak that never got there proves little).
    seen: Counter[str] = field(default_factory=Counter)


class Soak:
    """One project and one emulator, the program model, and the checks."""

    def __init__(self, root: Path, emulator: Emulator, seed: int, log: Any) -> None:
        self.emulator, self.seed, self.log = emulator, seed, log
        self.project = StackProject.create(root, emulator)
        self.model = ProgramModel()
        self.outputs: list[str] = []  # every CLI output, for the canary search
        self.canaries: set[str] = set()  # every Iterable key the program declared, a card or a manager held
        self.keys: dict[str, str] = {}  # the `apiKeys` config as set: name -> key
        self.failed: list[str] = []  # the commands of the current round that failed (under its faults)
        self.seen: Counter[str] = Counter()  # what this round exercised
        self.fixes: list[str] = []  # the fixes the round's own `up` called for (see `_take_fixes`)
        self.before_ids: dict[str, str] = {}  # the state's ids when the round began
        for source, (manager, secret) in SECRETS.items():
            value = f"{'invalid' if source == 'failing' else 'itbl'}-soak-canary-{seed}-in-{manager}"
            emulator.add_external_secret(manager, secret, value)
            self.canaries.add(value)

    @property
    def program(self) -> dict[str, Entry]:
        return self.model.entries

    # -- applying actions --
    def apply(self, action: dict[str, Any]) -> None:
        op = action["op"]
        if op == "adopt":  # someone made it outside Pulumi first
            body = {"service": "iterable", "group_id": action["group"], "sync_frequency": action["sync_frequency"],
                    "config": {"schema": f"soak_{action['name']}", "api_key": "itbl-made-outside"}}
            if action.get("naming"):
                body["destination_schema_names"] = action["naming"]
            self._api("POST", "/connections", body)
        if op.startswith("outside_"):
            if action["name"] in self.program and self._outside(action) and op == "outside_delete":
                self.model.apply(action)
        elif op == "fault":
            self.emulator.fault(**action["spec"])
        else:
            self.model.apply(action)

    def _outside(self, action: dict[str, Any]) -> bool:
        """Play an outside change; whether there was a connection to change."""
        entry = self.program[action["name"]]
        live = self._live().get((entry.group, entry.schema))
        if live is None:
            return False
        if action["op"] == "outside_delete":
            self._api("DELETE", f"/connections/{live['id']}")
        elif action["op"] == "outside_edit":
            self._api("PATCH", f"/connections/{live['id']}", {**action["body"], "run_setup_tests": False})
        elif action["op"] == "outside_card":
            token = (live.get("connect_card") or {}).get("token")
            if token is None:
                return False
            typed = f"itbl-soak-canary-{self.seed}-{entry.name}-typed-in-its-card"
            self.canaries.add(typed)
            self.emulator.complete_connect_card(token, typed)
        else:
            self._api("PATCH", f"/connections/{live['id']}/schemas/iterable/tables/{action['table']}/columns/"
                               f"{action['column']}", {"enabled": True, "hashed": False})
        return True

    def declare(self) -> None:
        """Write the program into the stack config: the entries, and the `apiKeys` secrets of the connections
        whose key is declared (a connection whose key comes from elsewhere must not have one)."""
        keys = {name: canary(self.seed, name, entry.key_version, entry.key_fails)
                for name, entry in self.program.items() if entry.key == "declared"}
        self.canaries |= set(keys.values())
        changed = {name: key for name, key in keys.items() if self.keys.get(name) != key}
        self.project.declare_many([entry.stack_entry() for entry in self.program.values()], changed)
        stale = sorted(set(self.keys) - set(keys))
        if stale:
            self.project.run("config", "rm-all", "--path", *(f"apiKeys.{name}" for name in stale)).check()
        self.keys = keys

    # -- running the CLI --
    def cli(self, *args: str) -> PulumiResult:
        result = self.project.run(*args, timeout=900)
        self.outputs.append(result.stdout + result.stderr)
        return result

    def run_round(self, actions: list[dict[str, Any]]) -> None:
        """Apply a round's program and outside changes, then preview, up (and refresh) with its faults armed.
        What `up` reported as rolled back is checked once the faults are off."""
        self.model.start_round()
        self.failed, self.seen, self.fixes = [], Counter(), []
        self.before_ids = before_ids = self._state_ids()
        kill = next((a for a in actions if a["op"] == "kill"), None)
        for action in actions:
            if action["op"] not in ("run", "kill", "fault"):
                self.apply(action)
        self.declare()
        before = self._by_id()  # before the faults: the emulator's listing is an API call too
        for action in actions:
            if action["op"] == "fault":
                self.apply(action)
        run = next(a for a in actions if a["op"] == "run")
        preview = self.cli("preview")
        if preview.ok:
            self._check_replacement_warnings(preview, before_ids)
        else:
            self.failed.append("preview")
        up_text = ""
        if kill:
            self._killed_up(kill["target"])
            self.failed.append(f"up (killed the {kill['target']})")
        else:
            up = self.cli("up", "--yes", "--skip-preview")
            if not up.ok:
                self.failed.append("up")
                up_text = up.stdout + up.stderr
        if run.get("refresh") and not self.cli("refresh", "--yes", "--skip-preview").ok:
            self.failed.append("refresh")
        self.emulator.control("DELETE", "/__emulator/faults")
        if up_text:
            self._check_rollbacks(before, up_text)
            self._check_half_way(up_text)
            self.fixes = self._take_fixes(up_text)

    def _killed_up(self, target: str) -> None:
        """`up` whose first create commits and hangs; the CLI or the provider is killed once it landed."""
        before = len(self.emulator.connections())
        _, transcript = kill_up_mid_create(self.project, self.emulator, target,
                                           lambda: len(self.emulator.connections()) > before)
        self.outputs.append(transcript)

    # -- converging and checking --
    def converge(self) -> list[str]:
        """A clean `up`, and the recovery steps the project's messages name; the steps taken."""
        steps: list[str] = list(self.fixes)
        for _ in range(6):
            before = self._by_id()
            result = self.cli("up", "--yes", "--skip-preview")
            if result.ok:
                break
            text = result.stdout + result.stderr
            self._check_rollbacks(before, text)
            if "pulumi cancel" in text or re.search(r"\blocked\b", text):
                self.cli("cancel", "--yes")
                steps.append("pulumi cancel")
            taken = [name for name, entry in self.program.items()
                     if re.search(rf"schema '{re.escape(entry.schema)}' already exists", text) and not entry.adopt]
            for name in taken:
                self.program[name].adopt = True
                steps.append(f"adopt_existing: true for {name}")
            fixed = self._take_fixes(text)
            steps += fixed
            if taken:
                self.declare()
            if not taken and not fixed and "pulumi cancel" not in text:
                steps.append("up again")
        else:
            raise Violation("did not converge", self.outputs[-1][-3000:])
        if self.project.export()["deployment"].get("pending_operations"):
            self.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates").check()
            steps.append("refresh --clear-pending-creates")
        self.model.end_round()
        return steps

    def _take_fixes(self, text: str) -> list[str]:
        """For each connection whose key change the output reports refused or rolled back (its error names its
        id), do what the message says, as the round drew it: put the key source back, or set warn; the fixes
        taken (the program is declared again when there are any)."""
        taken = []
        ids = self._ids_by_name()
        for name, entry in self.program.items():
            if entry.fix is None:
                continue
            names = {f"'{cid}'" for cid in ids.get(name, ())} | {f"'{entry.schema}'"}  # a create's names the schema
            lines = [line for line in text.splitlines() if any(quoted in line for quoted in names)]
            if any(KEY_CHANGE_FAILED.search(line) for line in lines):
                self.seen["key changes refused" if any(REFUSED in line for line in lines)
                          else "key changes failing their tests"] += 1
                taken.append(f"{'setup_test_policy: warn' if entry.fix == 'warn' else 'key source put back'} "
                             f"for {name}")
                self.model.revert_key(entry)
        if taken:
            self.declare()
        return taken

    def _check_half_way(self, text: str) -> None:
        """A connection whose `up` failed with its re-sync refused had the rest of its update written first, and
        the state holds it (the engine recorded what the provider wrote): its schedule is the declared one."""
        refused = [line for line in text.splitlines() if "only the re-sync did not start" in line]
        if not refused:
            return
        resources = {r["urn"].rsplit("::", 1)[-1]: r for r in self.project.export()["deployment"]["resources"]
                     if r["type"].endswith("IterableConnection")}
        for name, connection_id in self._state_ids().items():
            if name not in self.program or not any(f"'{connection_id}'" in line for line in refused):
                continue
            held, declared = resources[name].get("outputs", {}).get("sync_frequency"), self.program[name].sync_frequency
            if held is None or int(held) != declared:
                raise Violation("half-way", f"{name}: its re-sync was refused after the rest of its update, yet the "
                                            f"state holds sync_frequency {held}, not the {declared} written")
            if resources[name].get("initErrors"):  # something was written before the refusal, and recorded
                self.seen["updates recorded half-way"] += 1

    def _check_rollbacks(self, before: dict[str, dict[str, Any]], text: str) -> None:
        self.seen["rollbacks checked"] += rollbacks_hold(before, self._by_id(), text)

    def _check_replacement_warnings(self, preview: PulumiResult, before_ids: dict[str, str]) -> None:
        replaced = {name: before_ids[name] for name in self.model.replaced & set(before_ids) & set(self.program)}
        self.seen["replacements warned of"] += replacements_warned(preview.stdout + preview.stderr, replaced)

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
        tally.seen.update(self.seen)
        if duplicates:
            raise Violation("duplicates", str([p for p, n in places.items() if n > 1]))
        if orphans:
            raise Violation("orphans", f"in Fivetran only {sorted(live_ids - state_ids)}, in the state only "
                                       f"{sorted(state_ids - live_ids)}")
        if hits:
            raise Violation("canary", f"{hits} canary key(s) in plain text")
        if set(state) != set(self.program):
            raise Violation("state", f"state {sorted(state)} != declared {sorted(self.program)}")
        for name in sorted(self.model.same_naming):
            if name in self.before_ids and state[name]["id"] != self.before_ids[name]:
                raise Violation("naming", f"{name}: declaring the naming its connection has replaced it")
        by_place = {(c["group_id"], c["schema"]): c for c in live}
        outputs = self._decrypted_outputs()
        for name, entry in self.program.items():
            connection_matches(name, entry, by_place.get((entry.group, entry.schema)), outputs.get(name, {}),
                               self._held_schema_config)
        preview = self.cli("preview", "--expect-no-changes")
        if not preview.ok:
            raise Violation("preview --expect-no-changes", (preview.stdout + preview.stderr)[-3000:])

    def _held_schema_config(self, connection_id: str, declared: dict[str, Any]) -> Any:
        status, body = self._api("GET", f"/connections/{connection_id}/schemas")
        return schema_rules.project(body["data"] if status == 200 else None, declared)

    def _decrypted_outputs(self) -> dict[str, dict[str, Any]]:
        """The resources' outputs, secrets decrypted: read here only, never printed nor searched for canaries."""
        exported = json.loads(self.project.run("stack", "export", "--show-secrets").check().stdout)
        return {r["urn"].rsplit("::", 1)[-1]: {key: plain(value) for key, value in (r.get("outputs") or {}).items()}
                for r in exported["deployment"].get("resources") or [] if r["type"].endswith("IterableConnection")}

    def _canary_hits(self) -> int:
        forms = canary_forms(*sorted(self.canaries))
        texts = [json.dumps(self.project.export()), self.project.stack_file.read_text(),
                 json.dumps(self.emulator.requests()), *self.outputs]
        self.outputs.clear()
        return sum(len(find_canaries(text, forms)) for text in texts)

    def _state_ids(self) -> dict[str, str]:
        return {r["urn"].rsplit("::", 1)[-1]: r["id"] for r in self.project.resources()}

    def _ids_by_name(self) -> dict[str, set[str]]:
        """Each declared connection's ids: the state's, and that of the connection at its place in Fivetran (an
        adoption's, before the state knows it)."""
        ids = {name: {cid} for name, cid in self._state_ids().items()}
        live = self._live()
        for name, entry in self.program.items():
            if (found := live.get((entry.group, entry.schema))) is not None:
                ids.setdefault(name, set()).add(found["id"])
        return ids

    def _all_connections(self) -> list[dict[str, Any]]:
        return self.emulator.connections()

    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self._all_connections()}

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
            counted = sorted((+soak.seen).items())  # `+` drops what a check counted 0 times
            seen = f"; {', '.join(f'{n} {what}' for what, n in counted)}" if counted else ""
            log(f"round {number}: {describe(actions)}{failed}{seen}; converged"
                + (f" after {', '.join(steps)}" if steps else "") + f" ({time.monotonic() - started:.0f} s)")
    return tally, None, None


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
    exercised = ", ".join(f"{n} {what}" for what, n in sorted((+tally.seen).items())) or "nothing"
    log(f"where features meet: {exercised}")
    log(f"({time.monotonic() - started:.0f} s)")
    print(f"soak: {rounds} rounds, seed {seed}, {connections} connections: {tally.duplicates} duplicates, "
          f"{tally.orphans} orphans, {tally.violations} invariant violations, {tally.canary_hits} canary hits")
    return 1 if (tally.duplicates or tally.orphans or tally.violations or tally.canary_hits) else 0


if __name__ == "__main__":
    sys.exit(main())


