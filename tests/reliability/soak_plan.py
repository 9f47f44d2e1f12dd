"""What the soak (`soak.py`) declares and changes, round by round: the program model and the seeded planner.

No CLI and no emulator here: every action is plain data, so a history can be drawn ahead, recorded and replayed.

The generator can produce each of the scenarios where features meet that a review once found broken (the
soak then checks the invariants after the round; `soak.py` says which):

1. unpausing and a new schema config in one change: `unpause_schema` (a paused connection gets
   `paused: false` and a blocked table in the same round; the first `unpause_schema` of a running connection
   pauses it);
2. a failed move to a secrets manager from a key only Fivetran holds: `key` to `failing` for a connection whose
   key came from a Connect Card (`outside_card` completed it, or the key a program stopped declaring is still
   held) or whose key was adopted (`adopt` with `key: card`, then `key` to `failing`); under
   `setup_test_policy: fail` the change is refused before anything is sent;
3. a failed secret-to-secret move: `key` from `working` to `failing` (two managers: one whose secret works,
   one whose secret fails its setup tests);
4. a webhook auth type change together with a key that fails: `auth_fail` (both in one round);
5. a `destination_schema_names` change, a replacement that deletes first: `naming` to the other value for a
   connection created or adopted with one;
6. declaring the naming a connection already has: `naming` back to the value Fivetran holds after the
   declaration was dropped, or for an adopted connection made with one (no replacement may follow);
7. values not known at preview: not producible here. The soak runs this repository's stack program, whose only
   value unknown at preview is a `group_id` looked up by `group_name`, never one inside a list; the engine
   protocol tests (`tests/test_interactions.py`, unknown values inside lists and objects) and the property
   test `test_unknown_values.py` cover them;
8. a create whose clean-up fails: `cleanup` faults (the schema config POST fails, then every DELETE) on a round
   that adds a connection with a schema config; the next `up` is told to adopt what was left;
9. a replacement's warnings: every `schema`, `group` and replacing `naming` change; the soak checks the preview
   warns on the resource;
10. a plain-text key: not producible. The stack program refuses an `api_key` in the stack file before anything
   is registered (keys live in the secret `apiKeys` config), so a plain key never reaches the provider; the
   real-CLI tests in `tests/cli/test_interactions.py` cover a user's own program that passes one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

GROUPS = ("warehouse_main", "warehouse_eu")
FREQUENCIES = (60, 120, 360, 720)
EVENTS = ("emailSend", "emailOpen", "emailClick", "purchase", "smsSend")
TABLES = ("list_user_history", "event_extension", "campaign_metrics")
HASHABLE = (("user_history", "email"), ("event", "ip"), ("list_user_history", "email"))
NAMINGS = ("SOURCE_NAMING", "FIVETRAN_NAMING")
AUTH_TYPES = ("NoAuth", "Basic", "OAuth2")
# Where a connection's key comes from: a key declared in the program (the secret `apiKeys` config), a Connect
# Card, or a secret in one of two external secrets managers (`SECRETS`): one whose key works, one whose fails.
KEYS = ("declared", "card", "working", "failing")
SECRETS = {"working": ("soak_vault", "ITERABLE_API_KEY"), "failing": ("soak_vault_stale", "ITERABLE_API_KEY")}
# What the program does when a key change is refused or rolled back, as the message says: put the key source
# back as it was, or accept failing tests (setup_test_policy: warn).
FIXES = ("revert", "revert", "warn")

ONE_ID = r"^/v1/connections/[^/]+$"
CREATE = r"^/v1/connections$"
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
# Fivetran refuses a re-sync while a sync runs: the update's other steps are written by then, and recorded.
RESYNC_REFUSED = {"method": "POST", "path": r"/resync$", "status": 409, "count": 1, "message": "A sync is running"}
# A create whose schema config write fails, and whose clean-up DELETE fails too (Fivetran degraded for a while).
CLEANUP_FAULTS = ({"method": "POST", "path": r"/schemas$", "status": 400, "count": 1},
                  {"method": "DELETE", "path": ONE_ID, "status": 503, "count": 50})


# -- the program model -------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One declared connection, as the stack config holds it, and what Fivetran fixed at its creation."""

    name: str
    schema: str
    group: str = GROUPS[0]
    sync_frequency: int = 360
    paused: bool = False
    events: list[str] | None = None
    key: str = "declared"  # one of KEYS
    key_version: int = 1  # the declared key's version (a rotation makes a new one)
    key_fails: bool = False  # the declared key fails its setup tests
    adopt: bool = False
    blocked: list[str] = field(default_factory=list)  # tables declared disabled
    hashed: list[list[str]] = field(default_factory=list)  # [table, column] declared hashed
    resync: str | None = None
    auth: str | None = None  # config.webhook_auth_type, when declared
    policy: str = "fail"  # setup_test_policy
    naming: str | None = None  # destination_schema_names, when declared
    born: str | None = None  # the destination_schema_names Fivetran holds (fixed when the connection was made)
    fallback: dict[str, Any] | None = None  # the key source before this round's key change
    fix: str | None = None  # what to do should this round's key change be refused or rolled back (FIXES)

    @property
    def secret(self) -> tuple[str, str] | None:
        """(manager id, secret name) when the key is read from a secrets manager."""
        return SECRETS.get(self.key)

    @property
    def healthy(self) -> bool:
        """Whether the program gives Fivetran a key that passes its setup tests."""
        return (self.key == "declared" and not self.key_fails) or self.key == "working"

    def key_state(self) -> dict[str, Any]:
        return {"key": self.key, "key_version": self.key_version, "key_fails": self.key_fails}

    def stack_entry(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schema": self.schema}
        if self.events:
            config.update(sync_mode="SelectedEvents", events=list(self.events))
        if self.auth:
            config["webhook_auth_type"] = self.auth
        entry: dict[str, Any] = {"name": self.name, "group_id": self.group, "sync_frequency": self.sync_frequency,
                                 "paused": self.paused, "config": config}
        if self.key == "card":
            entry["connect_card_config"] = {"redirect_uri": "https://example.com/connected"}
        elif self.secret:
            manager, secret = self.secret
            entry.update(external_secrets_manager_id=manager, external_secrets_keys_config={"api_key": secret})
        if self.policy != "fail":
            entry["setup_test_policy"] = self.policy
        if self.naming:
            entry["destination_schema_names"] = self.naming
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


class ProgramModel:
    """The declared connections, and the program changes of a round applied to them (no CLI, no emulator).

    It also notes, per round, which connections the round's program changes replace (`replaced`) and which only
    declare the naming they already have (`same_naming`), for the soak's checks."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.replaced: set[str] = set()
        self.same_naming: set[str] = set()

    def start_round(self) -> None:
        self.replaced, self.same_naming = set(), set()

    def apply(self, action: dict[str, Any]) -> None:
        op, name = action["op"], action.get("name", "")
        entry = self.entries.get(name)
        if op == "add":
            naming = action.get("naming")
            self.entries[name] = Entry(name, action["schema"], action["group"], action["sync_frequency"],
                                       events=action.get("events"), key="card" if action["card"] else "declared",
                                       blocked=list(action.get("blocked") or []), naming=naming, born=naming)
        elif op == "adopt":
            key = action.get("key", "declared")
            adopted = Entry(name, f"soak_{name}", action["group"], action["sync_frequency"], adopt=True, key=key,
                            born=action.get("naming"))
            if key != "declared":  # a key source the adoption may refuse (a working key it would replace)
                adopted.fallback, adopted.fix = {"key": "declared", "key_version": 1, "key_fails": False}, \
                    action.get("fix", "revert")
            self.entries[name] = adopted
        elif entry is None:
            return
        elif op == "remove":
            del self.entries[name]
        elif op == "outside_delete":  # the next `up` makes it again, with the declared naming
            entry.born = entry.naming
            self.replaced.discard(name)
            self.same_naming.discard(name)
        elif op == "set":
            self._set(entry, action["field"], action["value"])
        elif op in ("rotate", "key"):
            if entry.fallback is None:
                entry.fallback, entry.fix = entry.key_state(), action.get("fix", "revert")
            if op == "rotate" or action["to"] == "declared":
                entry.key, entry.key_version, entry.key_fails = "declared", entry.key_version + 1, \
                    bool(action.get("fails"))
            else:
                entry.key = action["to"]

    def _set(self, entry: Entry, name: str, value: Any) -> None:
        if name == "policy" and value == "fail" and not entry.healthy:
            return  # `fail` again only once the key works: otherwise every tested change is rolled back
        if name in ("schema", "group"):
            entry.born = entry.naming  # a new connection
            self.replaced.add(entry.name)
            self.same_naming.discard(entry.name)
        if name == "naming" and value is not None and entry.born is not None:
            if value != entry.born:  # fixed at creation: a new connection, the old one deleted first
                entry.born = value
                self.replaced.add(entry.name)
                self.same_naming.discard(entry.name)
            elif entry.name not in self.replaced:
                self.same_naming.add(entry.name)
        setattr(entry, name, value)

    def revert_key(self, entry: Entry) -> None:
        """Do what a refused or rolled-back key change's message says: put the key source back as it was, or
        accept failing tests."""
        if entry.fix == "warn":
            entry.policy = "warn"
        elif entry.fallback is not None:
            for name, value in entry.fallback.items():
                setattr(entry, name, value)
        entry.fallback = entry.fix = None

    def end_round(self) -> None:
        for entry in self.entries.values():
            entry.fallback = entry.fix = None


# -- a round: what changes, outside and in, and the faults ------------------------------------------------------
# Each kind of program change a round may draw (moving the key, and a key that fails with an auth type change, are
# drawn more often: they meet the most other features).
PROGRAM_CHANGES = ("remove", "frequency", "pause", "events", "schema", "group", "rotate", "key", "key", "key", "adopt",
                   "block", "hash", "resync", "auth", "auth_fail", "auth_fail", "naming", "unpause_schema", "policy")


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
        action = {"op": "add", "name": name, "schema": f"soak_{name}", "group": rng.choice(GROUPS),
                  "sync_frequency": rng.choice(FREQUENCIES), "card": rng.random() < 0.15,
                  "events": sorted(rng.sample(EVENTS, 2)) if rng.random() < 0.4 else None}
        if rng.random() < 0.3:
            action["naming"] = rng.choice(NAMINGS)
        if rng.random() < 0.4:
            action["blocked"] = [rng.choice(TABLES)]
        return action

    def _fix(self) -> str:
        return self.rng.choice(FIXES)

    def round(self, program: dict[str, Entry]) -> list[dict[str, Any]]:
        rng = self.rng
        names = sorted(program)
        actions: list[dict[str, Any]] = []
        for _ in range(rng.choice((1, 1, 2))):
            actions.extend(self._program_change(program, names))
        if names and rng.random() < 0.5:
            actions.append(self._outside_change(program, names))
        creating = [a for a in actions if a["op"] == "add" or (a["op"] == "set" and a["field"] in ("schema", "group"))]
        if any(a.get("blocked") or (a["name"] in program and program[a["name"]].blocked) for a in creating) \
                and rng.random() < 0.5:  # a create with a schema config, whose write and then clean-up fail
            actions.extend({"op": "fault", "spec": dict(spec)} for spec in CLEANUP_FAULTS)
        elif creating and rng.random() < 0.3:  # a create in flight: kill the CLI or the provider in the middle of it
            actions.append({"op": "kill", "target": rng.choice(("provider", "cli"))})
        else:
            for _ in range(rng.choice((0, 1, 1, 2))):
                method, path = rng.choice(FAULT_TARGETS)
                actions.append({"op": "fault", "spec": {"method": method, "path": path, "count": rng.choice((1, 2)),
                                                        **rng.choice(FAULTS)}})
            if any(a["op"] == "set" and a["field"] == "resync" for a in actions) and rng.random() < 0.5:
                actions.append({"op": "fault", "spec": dict(RESYNC_REFUSED)})  # after the rest was written
        actions.append({"op": "run", "refresh": rng.random() < 0.3})
        return actions

    def _program_change(self, program: dict[str, Entry], names: list[str]) -> list[dict[str, Any]]:
        rng = self.rng
        if not names or (len(names) < self.target and rng.random() < 0.3):
            return [self._add()]
        name = rng.choice(names)
        entry = program[name]
        kind = rng.choice(PROGRAM_CHANGES)
        if kind == "remove":
            return [{"op": "remove", "name": name}]
        if kind == "frequency":
            others = [f for f in FREQUENCIES if f != entry.sync_frequency]
            return [self._set(name, "sync_frequency", rng.choice(others))]
        if kind == "pause":
            return [self._set(name, "paused", not entry.paused)]
        if kind == "events":
            return [self._set(name, "events", None if entry.events else sorted(rng.sample(EVENTS, 2)))]
        if kind == "schema":
            return [self._set(name, "schema", f"soak_{name}_{self.fresh_name()}")]
        if kind == "group":
            return [self._set(name, "group", GROUPS[1] if entry.group == GROUPS[0] else GROUPS[0])]
        if kind == "rotate" and entry.key == "declared":
            return [{"op": "rotate", "name": name, "fails": rng.random() < 0.2, "fix": self._fix()}]
        if kind in ("rotate", "key"):
            return [self._key_move(entry)]
        if kind == "adopt":
            action = {"op": "adopt", "name": self.fresh_name(), "group": rng.choice(GROUPS),
                      "sync_frequency": rng.choice(FREQUENCIES),
                      "key": rng.choice(("declared", "declared", "card", "working", "failing")), "fix": self._fix()}
            if rng.random() < 0.3:
                action["naming"] = rng.choice(NAMINGS)
            return [action]
        if kind == "block":
            return [self._set(name, "blocked", sorted(set(entry.blocked) ^ {rng.choice(TABLES)}))]
        if kind == "hash":
            pair = list(rng.choice(HASHABLE))
            hashed = [p for p in entry.hashed if p != pair] if pair in entry.hashed else [*entry.hashed, pair]
            return [self._set(name, "hashed", hashed)]
        if kind in ("auth", "auth_fail"):
            auth = self._set(name, "auth", rng.choice([a for a in AUTH_TYPES if a != (entry.auth or "NoAuth")]))
            if kind == "auth":
                return [auth]
            if entry.key == "declared":  # the auth type and a key that fails, in one change
                return [auth, {"op": "rotate", "name": name, "fails": True, "fix": self._fix()}]
            return [auth, {"op": "key", "name": name, "to": "failing", "fix": self._fix()} if entry.key != "failing"
                    else {"op": "key", "name": name, "to": "declared", "fails": True, "fix": self._fix()}]
        if kind == "naming" and entry.born is not None:
            if entry.naming is None or (entry.naming == entry.born and rng.random() < 0.3):
                # Declare the naming the connection has (no change), or take the declaration away (no change).
                return [self._set(name, "naming", entry.born if entry.naming is None else None)]
            return [self._set(name, "naming", next(n for n in NAMINGS if n != entry.born))]  # a replacement
        if kind == "unpause_schema":
            if not entry.paused:
                return [self._set(name, "paused", True)]
            return [self._set(name, "paused", False),
                    self._set(name, "blocked", sorted(set(entry.blocked) ^ {rng.choice(TABLES)}))]
        if kind == "policy":
            return [self._set(name, "policy", "fail" if entry.policy == "warn" else "warn")]
        resync = [self._set(name, "resync", f"r{self.fresh_name()}")]
        if rng.random() < 0.5:  # with a change of settings in the same update: written before the re-sync
            others = [f for f in FREQUENCIES if f != entry.sync_frequency]
            return [self._set(name, "sync_frequency", rng.choice(others)), *resync]
        return resync

    @staticmethod
    def _set(name: str, field_name: str, value: Any) -> dict[str, Any]:
        return {"op": "set", "name": name, "field": field_name, "value": value}

    def _key_move(self, entry: Entry) -> dict[str, Any]:
        """Move the key to another source: a declared key (now and then one that fails), a Connect Card, or a
        secret (one that works, one that fails)."""
        to = self.rng.choice([key for key in KEYS if key != entry.key])
        action: dict[str, Any] = {"op": "key", "name": entry.name, "to": to, "fix": self._fix()}
        if to == "declared":
            action["fails"] = self.rng.random() < 0.15
        return action

    def _outside_change(self, program: dict[str, Entry], names: list[str]) -> dict[str, Any]:
        rng = self.rng
        cards = [name for name in names if program[name].key == "card"]
        if cards and rng.random() < 0.25:  # the Iterable account owner completes a card
            return {"op": "outside_card", "name": rng.choice(cards)}
        name = rng.choice(names)
        kind = rng.choice(("edit", "edit", "delete", "column"))
        if kind == "delete":
            return {"op": "outside_delete", "name": name}
        if kind == "column" and program[name].hashed:
            table, column = program[name].hashed[0]
            return {"op": "outside_column", "name": name, "table": table, "column": column}
        return {"op": "outside_edit", "name": name, "body": rng.choice((
            {"sync_frequency": 1440}, {"paused": not program[name].paused}, {"sync_frequency": 15}))}


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
            if action["op"] not in ("fault", "kill", "run") and action["op"] not in OUTSIDE_ONLY:
                model.apply(action)
        model.end_round()
        history.append(actions)
    return history


# Outside changes that leave the program model as it is (an outside delete changes what Fivetran will hold).
OUTSIDE_ONLY = ("outside_edit", "outside_column", "outside_card")


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
        elif op in ("key", "rotate"):
            to = action.get("to", "declared")
            fails = " failing" if action.get("fails") else ""
            parts.append(f"{op} {action['name']} to{fails} {to} (if refused: {action.get('fix', 'revert')})")
        else:
            parts.append(" ".join(str(v) for k, v in action.items() if k in ("op", "name", "target", "key")))
    return "; ".join(parts) or "nothing"
