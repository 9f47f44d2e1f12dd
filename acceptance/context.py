"""What every step shares: the run (its API view, guard, project, names and keys), the program it declares,
and the small vocabulary steps speak (`check`, `skip`, the CLI commands with their failures made readable).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .fivetran import FivetranApi
from .guard import Entry, Guard
from .project import CliResult, Preview, PulumiProject
from .questions import Answers

SUITE_PREFIX = "pulumi_acc_"
RUN_ID_LENGTH = 8
ROLES = ("main", "v2", "adopt", "badfail", "badwarn", "card", "naming", "probe", "invalid")
RUN_ID = re.compile(rf"[a-z0-9]{{{RUN_ID_LENGTH}}}")


def schema_pattern(run_id: str | None = None) -> re.Pattern[str]:
    """The schemas the suite creates: `pulumi_acc_<run id>_<role>` (a run's, or any run's). Anchored at the
    start only: a probe may find that Fivetran accepted a new schema with a suffix."""
    run = re.escape(run_id) if run_id else RUN_ID.pattern
    return re.compile(rf"{SUITE_PREFIX}{run}_({'|'.join(ROLES)})")


class StepFailed(Exception):
    """The product did not do what it promises; the message says what was expected and what was seen."""


class StepSkipped(Exception):
    """The step cannot run here (the message says why); nothing was checked."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def skip(message: str) -> None:
    raise StepSkipped(message)


def new_run_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(RUN_ID_LENGTH))


@dataclass(frozen=True)
class Names:
    """The schema of every connection the run may create: the run's prefix plus its role."""

    prefix: str  # `pulumi_acc_<run id>_`
    pattern: re.Pattern[str]  # every schema of the run

    @classmethod
    def for_run(cls, run_id: str) -> Names:
        return cls(f"{SUITE_PREFIX}{run_id}_", schema_pattern(run_id))

    def schema(self, role: str) -> str:
        assert role in ROLES, role
        return f"{self.prefix}{role}"

    def all(self) -> list[str]:
        return [self.schema(role) for role in ROLES]


class Redactor:
    """Replaces every secret the run knows with `***` in anything it prints."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, *values: str | None) -> None:
        self._secrets.update(v for v in values if v and len(v) >= 4)

    def __call__(self, text: str) -> str:
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, "***")
        return text


@dataclass
class Run:
    api: FivetranApi
    guard: Guard
    project: PulumiProject
    group_id: str
    names: Names
    working_key: str | None  # an Iterable key that passes Fivetran's setup tests, when the run has one
    placeholder_key: str  # a key for connections that run no setup tests, when there is no working key
    invalid_key: str  # a key that fails them
    redact: Redactor
    answers: Answers = field(default_factory=Answers)
    ids: dict[str, str] = field(default_factory=dict)  # role -> the connection id Fivetran gave
    gone: set[str] = field(default_factory=set)  # ids a step saw deleted (the final sweep skips them)
    program: dict[str, dict[str, Any]] = field(default_factory=dict)  # what the program declares now
    keys: dict[str, str] = field(default_factory=dict)  # resource name -> Iterable key
    source_schema: str = "iterable"

    # -- the program ------------------------------------------------------------------------------------------
    def declare(self, name: str, inputs: dict[str, Any] | None, key: str | None = None) -> None:
        """Set (or, with None, remove) one connection of the program; takes effect at the next command."""
        if inputs is None:
            self.program.pop(name, None)
            self.keys.pop(name, None)
        else:
            self.program[name] = inputs
            if key is None:
                self.keys.pop(name, None)
            else:
                self.keys[name] = key
        self.project.declare(self.program, self.keys)

    @property
    def key(self) -> str:
        """The key of connections that should be set up: the working one, else a placeholder (not tested)."""
        return self.working_key or self.placeholder_key

    @property
    def tests_key(self) -> bool:
        """Whether connections declared with `key` can run their setup tests."""
        return self.working_key is not None

    def needs_working_key(self) -> None:
        if self.working_key is None:
            skip("needs an Iterable key that passes Fivetran's setup tests: set ACCEPTANCE_ITERABLE_API_KEY")

    # -- commands ---------------------------------------------------------------------------------------------
    def up(self, *extra: str) -> CliResult:
        """`pulumi up`, which must succeed."""
        result = self.project.up(*extra)
        check(result.ok, f"`pulumi up` failed: {self.errors(result)}")
        return result

    def up_failing(self, *extra: str) -> CliResult:
        """`pulumi up`, which must fail."""
        result = self.project.up(*extra)
        check(not result.ok, "`pulumi up` succeeded, but it should have failed")
        return result

    def preview(self, *extra: str) -> Preview:
        """`pulumi preview --json`, which must succeed."""
        preview = self.project.preview(*extra)
        check(preview.result.ok, f"`pulumi preview` failed: {self.errors(preview.result, preview.messages)}")
        return preview

    def said(self, result: CliResult, messages: list[str] | None = None) -> str:
        """Everything a command printed (and its diagnostics), redacted: what checks search."""
        return self.redact(" ".join(messages or []) + "\n" + result.text)

    def errors(self, result: CliResult, messages: list[str] | None = None) -> str:
        """The error lines of a failed command, redacted and short."""
        lines = [m.strip() for m in messages or [] if m.strip()]
        lines += [line.strip() for line in result.text.splitlines() if "error:" in line]
        lines = list(dict.fromkeys(lines)) or [result.text.strip()[-400:] or f"exit code {result.returncode}"]
        return self.redact(" | ".join(line[:400] for line in lines[:4]))

    # -- what Fivetran holds ----------------------------------------------------------------------------------
    def connection(self, role: str) -> dict[str, Any]:
        found = self.api.connection(self.ids[role])
        check(found is not None, f"Fivetran has no connection '{self.ids[role]}' ({role}) any more")
        assert found is not None
        return found

    def answer(self, key: str, seen: str, same: bool | None = None) -> None:
        """Record an answer to an open question (the step that saw it fails when it differs from what the
        provider relies on: see `questions.Answers.differing`)."""
        self.answers.record(key, seen, same)

    def writes(self, since: int, *, by_suite: bool = False) -> list[Entry]:
        return [e for e in self.guard.entries(since) if e.writes and e.by_suite == by_suite]


def outputs_of(run: Run, name: str) -> dict[str, Any]:
    outputs = run.project.outputs().get(name)
    check(isinstance(outputs, dict), f"the stack has no outputs for '{name}'")
    assert isinstance(outputs, dict)
    return outputs


def described(entries: list[Entry]) -> str:
    return ", ".join(str(e) for e in entries) or "none"


def id_shape(connection_id: str) -> str:
    if re.fullmatch(r"[a-z]+_[a-z]+", connection_id):
        return "word_word"
    if re.fullmatch(r"[0-9a-f]{32}", connection_id):
        return "32 hex digits"
    return "other (" + re.sub(r"[a-z]", "a", re.sub(r"[0-9]", "9", connection_id)) + ")"


StepFunction = Callable[[Run], str | None]


@dataclass(frozen=True)
class Step:
    name: str
    does: str
    run: StepFunction
    needs: tuple[str, ...] = ()


STEPS: list[Step] = []


def step(name: str, does: str, needs: tuple[str, ...] = ()) -> Callable[[StepFunction], StepFunction]:
    """Register a step; they run in the order they are registered."""
    def register(function: StepFunction) -> StepFunction:
        STEPS.append(Step(name, does, function, needs))
        return function
    return register
