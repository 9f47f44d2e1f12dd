"""Helpers shared by the reliability suite: providers with a short-timeout client, a small stand-in for the
engine's bookkeeping (state per resource, parallel steps), the fault catalogue, stack projects with many
connections, and the canary search."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import psutil
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_fivetran_iterable import schema_config
from pulumi_fivetran_iterable.client import FivetranClient, RetryPolicy
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.emulator import Emulator
from tests.support.stack import PROJECT, StackProject, connection

GROUP = "warehouse_main"
CREATE = r"^/v1/connections$"
PROVIDER_STRING = "serialized"

# Provider-level scenarios use a client with a short read timeout and quick backoff: a "slow reply" takes
# SLOW_S, twice the timeout. Under a persistent fault the call's budget is short too, so the retries give up
# within about half a second (the default policy does the same over five minutes).
READ_TIMEOUT_S = 0.25
SLOW_S = 0.5
FAST_RETRY = dict(read_timeout_s=READ_TIMEOUT_S, max_attempts=3, base_delay_s=0.05, max_wait_s=30.0, budget_s=1.5)
SHORT_BUDGET_RETRY = {**FAST_RETRY, "budget_s": 0.5}


def provider_for(emulator: Emulator, *, retry: Mapping[str, Any] | None = None, create_limit: str = "0",
                 api_key: str | None = None, api_secret: str | None = None) -> IterableConnectionProvider:
    """A configured provider, as the engine makes it; with `retry`, its client uses that retry policy."""
    provider = IterableConnectionProvider()
    raw = {
        "fivetran:apiKey": api_key or emulator.api_key,
        "fivetran:apiSecret": api_secret or emulator.api_secret,
        "fivetran:apiUrl": emulator.base_url,
        "fivetran:createLimit": create_limit,
    }
    provider.configure(ConfigureRequest(Config(raw, PROJECT)))
    if retry is not None:
        from pulumi_fivetran_iterable.throttle import CreateThrottle

        provider._client = FivetranClient(provider._settings.credentials(), retry=RetryPolicy(**retry),
                                          create_throttle=CreateThrottle.parse(create_limit))
    return provider


def declared(schema: str, *, api_key: str = "itbl-server-key-0000", group_id: str = GROUP,
             **settings: Any) -> dict[str, Any]:
    """A program's property bag for one connection (as the engine sends it, `__provider` included)."""
    config = {"schema": schema, "api_key": api_key, **settings.pop("config", {})}
    return {"group_id": group_id, "config": config, "__provider": PROVIDER_STRING, **settings}


def clear_faults(emulator: Emulator) -> None:
    emulator.control("DELETE", "/__emulator/faults")


# -- the fault catalogue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One kind of failure the emulator plays, and how the error must name its cause."""

    name: str
    spec: Mapping[str, Any]
    cause: str  # a regex the error message must match when the operation fails
    slow: bool = False  # the server is still busy with the request after the client gave up

    def arm(self, emulator: Emulator, method: str, path: str, count: int) -> None:
        emulator.fault(method=method, path=path, count=count, **self.spec)


FAULTS = (
    Fault("429 Retry-After", {"status": 429, "retry_after": 1}, r"429|rate limit"),
    Fault("500", {"status": 500}, r"\b500\b"),
    Fault("502", {"status": 502}, r"\b502\b"),
    Fault("503", {"status": 503}, r"\b503\b"),
    Fault("504", {"status": 504}, r"\b504\b"),
    Fault("dropped connection", {"drop_connection": True}, r"connection was closed|closed before a reply"),
    Fault("reply slower than timeout", {"delay_s": SLOW_S}, r"read timeout|no reply within", slow=True),
    Fault("committed, reply lost", {"drop_connection": True, "after_commit": True},
          r"connection was closed|closed before a reply"),
    Fault("committed, 504 reply", {"status": 504, "after_commit": True}, r"\b504\b"),
    Fault("committed, reply too slow", {"delay_s": SLOW_S, "after_commit": True}, r"read timeout|no reply within",
          slow=True),
)


# -- a small engine: state, parallel steps, errors per resource --------------------------------------------------


@dataclass
class Entry:
    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any]


@dataclass
class MiniEngine:
    """The engine's bookkeeping around a provider, for provider-level scenarios.

    `up` checks every declared resource, creates the new ones, diffs and updates the existing ones and
    deletes the ones no longer declared, up to `parallel` steps at a time (the engine runs resource
    operations in parallel, up to its `--parallel`). A failed step leaves that resource's state as it was, as
    the engine does. Each method returns the errors by resource name. `next_run` starts the next run's
    provider process: nothing of the last process (its client, its hold after a 429) carries over.
    """

    provider: IterableConnectionProvider
    parallel: int = 4
    state: dict[str, Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self, steps: Mapping[str, Callable[[], None]]) -> dict[str, Exception]:
        errors: dict[str, Exception] = {}

        def one(name: str, step: Callable[[], None]) -> None:
            try:
                step()
            except Exception as error:  # the engine reports it against the resource and carries on
                with self._lock:
                    errors[name] = error

        with ThreadPoolExecutor(self.parallel) as pool:
            for future in [pool.submit(one, name, step) for name, step in steps.items()]:
                future.result()
        return errors

    def next_run(self) -> None:
        """The next `pulumi` command: a new provider process, with the same settings and retry policy."""
        old = self.provider
        fresh = IterableConnectionProvider()
        fresh._settings = old._settings
        if old._client is not None:
            fresh._client = FivetranClient(old._client.credentials, retry=old._client.retry,
                                           create_throttle=old._client.create_throttle)
        self.provider = fresh

    def _set(self, name: str, entry: Entry | None) -> None:
        with self._lock:
            if entry is None:
                self.state.pop(name, None)
            else:
                self.state[name] = entry

    def up(self, program: Mapping[str, Mapping[str, Any]]) -> dict[str, Exception]:
        steps: dict[str, Callable[[], None]] = {}
        for name, props in program.items():
            steps[name] = lambda name=name, props=props: self._converge(name, props)
        for name in set(self.state) - set(program):
            steps[name] = lambda name=name: self._delete(name)
        return self._run(steps)

    def _converge(self, name: str, props: Mapping[str, Any]) -> None:
        old = self.state.get(name)
        result = self.provider.check(old.inputs if old else {}, dict(props))
        assert not result.failures, [f.reason for f in result.failures]
        news = {**result.inputs, "__provider": PROVIDER_STRING}
        if old is None:
            created = self.provider.create(news)
            self._set(name, Entry(created.id, {**created.outs, "__provider": PROVIDER_STRING}, news))
            return
        diff = self.provider.diff(old.id, old.outputs, news)
        if diff.replaces:
            raise AssertionError(f"unexpected replacement of {name}: {diff.replaces}")
        if diff.changes:
            updated = self.provider.update(old.id, old.outputs, news)
            self._set(name, Entry(old.id, {**updated.outs, "__provider": PROVIDER_STRING}, news))

    def _delete(self, name: str) -> None:
        entry = self.state[name]
        self.provider.delete(entry.id, entry.outputs)
        self._set(name, None)

    def refresh(self) -> dict[str, Exception]:
        def read(name: str) -> None:
            entry = self.state[name]
            result = self.provider.read(entry.id, entry.outputs)
            if not result.id:
                self._set(name, None)
            else:
                inputs = {**(result.inputs or entry.inputs), "__provider": PROVIDER_STRING}
                self._set(name, Entry(result.id, {**result.outs, "__provider": PROVIDER_STRING}, inputs))

        return self._run({name: (lambda name=name: read(name)) for name in list(self.state)})

    def destroy(self) -> dict[str, Exception]:
        return self._run({name: (lambda name=name: self._delete(name)) for name in list(self.state)})

    def ids(self) -> list[str]:
        return [entry.id for entry in self.state.values()]

    def assert_matches(self, emulator: Emulator, program: Mapping[str, Mapping[str, Any]]) -> None:
        """The state holds exactly the declared resources, and each matches the emulator and the program."""
        assert set(self.state) == set(program), (sorted(self.state), sorted(program))
        live = {c["id"]: c for c in emulator.connections()}
        for name, entry in self.state.items():
            remote = live[entry.id]
            outs = entry.outputs
            assert remote["schema"] == outs["config"]["schema"] == outs["schema"], name
            assert remote["group_id"] == outs["group_id"], name
            for key in ("sync_frequency", "paused"):
                assert remote[key] == outs[key], (name, key, remote[key], outs[key])
            checked = self.provider.check(entry.inputs, dict(program[name]))
            diff = self.provider.diff(entry.id, outs, {**checked.inputs, "__provider": PROVIDER_STRING})
            assert diff.changes is False, f"{name}: the state does not match the program"
            declared_config = checked.inputs.get("schema_config")
            if declared_config is not None:
                status, body = emulator.api("GET", f"/connections/{entry.id}/schemas")
                live = body["data"] if status == 200 else None
                assert schema_config.project(live, declared_config) == declared_config, (
                    f"{name}: Fivetran's schema config does not hold the declared one: {live}")


# -- stack projects ---------------------------------------------------------------------------------------------


def stack_project(tmp_path: Path, emulator: Emulator, names: Iterable[str], *, create_limit: str = "0",
                  key_of: Callable[[str], str] = lambda name: f"itbl-key-{name}", **settings: Any) -> StackProject:
    """A StackProject declaring one connection per name, their Iterable keys set in one CLI call."""
    project = StackProject.create(tmp_path, emulator, create_limit=create_limit)
    names = list(names)
    project.declare([connection(name, **settings) for name in names])
    set_api_keys(project, {name: key_of(name) for name in names})
    return project


def set_api_keys(project: StackProject, keys: Mapping[str, str]) -> None:
    args = ["config", "set-all", "--stack", project.stack, "--path"]
    for name, key in keys.items():
        args += ["--secret", f"apiKeys.{name}={key}"]
    project.cli.run(*args).check()


def state_connections(project: StackProject) -> dict[str, dict[str, Any]]:
    """The IterableConnection resources of the checkpoint, by resource name."""
    return {r["urn"].rsplit("::", 1)[1]: r for r in project.resources()}


def assert_stack_matches(project: StackProject, emulator: Emulator, scenario: Any,
                         expected: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Audit the emulator against the checkpoint; each declared connection exists once, with the declared
    settings (`expected`: name -> {field: value}), and nothing else."""
    resources = state_connections(project)
    live = {c["id"]: c for c in scenario.audit(emulator, [r["id"] for r in resources.values()])}
    assert set(resources) == set(expected), (sorted(resources), sorted(expected))
    for name, resource in resources.items():
        remote, outs = live[resource["id"]], resource["outputs"]
        assert outs["connection_id"] == resource["id"] and remote["schema"] == outs["schema"], name
        for key, value in expected[name].items():
            assert remote[key] == value == outs[key], (name, key, remote[key], outs[key], value)
    return resources


# -- canaries -----------------------------------------------------------------------------------------------------


def canary_forms(*secrets: str) -> dict[str, str]:
    """Every form in which a secret could leak: as is, URL-encoded, base64 (also as key:secret in Basic auth)."""
    forms: dict[str, str] = {}
    for secret in secrets:
        variants = {
            secret: secret,
            f"urlencoded {secret}": quote(secret, safe=""),
            f"form-encoded {secret}": quote_plus(secret),
            f"base64 {secret}": base64.b64encode(secret.encode()).decode().rstrip("="),
        }
        for name, form in variants.items():
            if form not in forms.values():  # one hit per distinct text, not per encoding that left it alone
                forms[name] = form
    return forms


def basic_auth_form(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {f"basic auth {key}:***": token}


def find_canaries(text: str, forms: Mapping[str, str]) -> list[str]:
    """The names of the forms present in `text`."""
    return [name for name, form in forms.items() if form and form in text]


def without_ciphertext(value: Any) -> Any:
    """A checkpoint with every secret (`{"4dabf18193072939515e22adb298388d": ..., "ciphertext": ...}`) dropped."""
    if isinstance(value, dict):
        if "ciphertext" in value and "4dabf18193072939515e22adb298388d" in value:
            return "[ciphertext]"
        return {key: without_ciphertext(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_ciphertext(item) for item in value]
    return value


def decoded_provider_strings(value: Any) -> list[bytes]:
    """The base64-decoded `__provider` pickles found anywhere in a checkpoint."""
    found: list[bytes] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "__provider" and isinstance(item, str):
                found.append(base64.b64decode(item))
            else:
                found.extend(decoded_provider_strings(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(decoded_provider_strings(item))
    return found


def wait_for_server(emulator: Emulator, provider: IterableConnectionProvider) -> None:
    """Wait until the emulator has answered every request the provider's client sent (a request the client
    gave up on is still being worked on by the server)."""
    sent = provider.client.request_count
    wait_until(lambda: len(emulator.requests()) >= sent, timeout_s=10)


def wait_until(condition: Callable[[], Any], timeout_s: float = 20.0, interval_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {condition}")
        time.sleep(interval_s)


def first_line_mentioning(text: str, pattern: str) -> str:
    for line in text.splitlines():
        if re.search(pattern, line):
            return line.strip()
    return ""


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- a run killed in the middle of a create -----------------------------------------------------------------------


def kill_up_mid_create(project: StackProject, emulator: Emulator, target: str,
                       landed: Callable[[], bool]) -> tuple[int, str]:
    """`pulumi up` whose first create commits and then hangs; once `landed()` (or the run ended), kill the
    `target`: the whole CLI ("cli") or its provider process ("provider"). Returns the killed run's exit code
    and transcript; what the kill left behind is reaped. The caller clears the fault."""
    emulator.fault(method="POST", path=CREATE, delay_s=60, after_commit=True, count=1)
    cli = project.cli
    run = subprocess.Popen(  # in its own session, so exactly it and its children can be killed
        [str(cli.pulumi), "--non-interactive", "up", "--yes", "--skip-preview", "--stack", project.stack],
        cwd=project.root, env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        wait_until(lambda: landed() or run.poll() is not None, timeout_s=120)
        if target == "cli":
            os.killpg(run.pid, signal.SIGKILL)
        elif run.poll() is None:
            for process in wait_until(lambda: _provider_processes(run), timeout_s=10):
                process.kill()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate(timeout=30)
        _reap(project)
    return run.returncode, stdout + stderr


def _provider_processes(run: subprocess.Popen[str]) -> list[psutil.Process]:
    """The `python -m pulumi.dynamic` processes the CLI started."""
    found = []
    for child in psutil.Process(run.pid).children(recursive=True):
        try:
            if "pulumi.dynamic" in child.cmdline():
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _reap(project: StackProject) -> None:
    """Kill what a killed run left behind: the engine starts plugins in process groups of their own, so
    killing the CLI's group leaves the provider running. They are found by the project's path."""
    root = str(project.root)
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(arg.startswith(root) for arg in process.info["cmdline"] or []):
                process.kill()
        except psutil.Error:
            pass
