"""Fault matrix through the real engine: whole `pulumi up` runs of several connections
under a representative subset of the faults, persistent failures followed by the next `up`, and a run
killed between the POST and the state write.

Each step is a scenario of its own in the results; a step builds on the stack the previous one left, so a
test stops at the first step that fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from pulumi_fivetran_iterable.settings import ProviderSettings

from tests.reliability.record import FAULT_MATRIX, Scenario, scenario
from tests.reliability.support import (
    CREATE,
    assert_stack_matches,
    clear_faults,
    kill_up_mid_create,
    set_api_keys,
    stack_project,
    state_connections,
    wait_until,
)
from tests.support.emulator import Emulator
from tests.support.pulumi_cli import PulumiResult
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

ONE_ID = r"^/v1/connections/[^/]+$"


def ok(result: PulumiResult) -> PulumiResult:
    return result.check()


def failed(result: PulumiResult, *patterns: str) -> str:
    """The transcript of a run that must have failed, naming everything in `patterns`."""
    assert not result.ok, f"{result.describe()} should have failed\n{result.transcript()}"
    text = result.stdout + result.stderr
    for pattern in patterns:
        assert re.search(pattern, text), f"{result.describe()}: no {pattern!r} in\n{result.transcript()}"
    return text


def expect(names: list[str], **values: Any) -> dict[str, dict[str, Any]]:
    return {name: dict(values) for name in names}


def test_lifecycle_of_several_connections_under_transient_faults(tmp_path: Path, emulator: Emulator) -> None:
    """create, update, refresh, replace-in-program and destroy, each `up` hit by faults it must absorb."""
    names = ["alpha", "beta", "gamma"]
    project = stack_project(tmp_path, emulator, names)

    with scenario(FAULT_MATRIX, "cli: up creating 3 x 429 Retry-After on 2 creates") as sc:
        emulator.fault(method="POST", path=CREATE, status=429, retry_after=1, count=2)
        ok(project.up("--skip-preview"))
        assert sum(r["status"] == 429 for r in emulator.requests()) == 2
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=360, paused=False))

    with scenario(FAULT_MATRIX, "cli: up updating 3 x PATCH committed, reply lost (2)") as sc:
        project.declare([connection(name, sync_frequency=60, paused=True) for name in names])
        emulator.fault(method="PATCH", path=ONE_ID, drop_connection=True, after_commit=True, count=2)
        ok(project.up("--skip-preview"))
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=60, paused=True))

    with scenario(FAULT_MATRIX, "cli: refresh of 3 x 503 on 2 reads") as sc:
        emulator.fault(method="GET", path=ONE_ID, status=503, count=2)
        ok(project.run("refresh", "--yes", "--skip-preview"))
        assert sum(r["status"] == 503 for r in emulator.requests()) == 2
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=60, paused=True))

    with scenario(FAULT_MATRIX, "cli: up deleting 1, creating 1 x DELETE committed/502, POST committed/dropped") as sc:
        names = ["alpha", "gamma", "delta"]
        project.declare([connection(name, sync_frequency=60, paused=True) for name in names])
        project.set_config("apiKeys.delta", "itbl-key-delta", secret=True, path=True)
        emulator.fault(method="DELETE", path=ONE_ID, status=502, after_commit=True, count=1)
        emulator.fault(method="POST", path=CREATE, drop_connection=True, after_commit=True, count=1)
        ok(project.up("--skip-preview"))
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=60, paused=True))

    with scenario(FAULT_MATRIX, "cli: destroy of 3 (one deleted outside Pulumi: 404) x 504 on 2 deletes") as sc:
        gone = state_connections(project)["gamma"]["id"]
        assert emulator.api("DELETE", f"/connections/{gone}")[0] == 200
        emulator.fault(method="DELETE", path=ONE_ID, status=504, count=2)
        ok(project.run("destroy", "--yes", "--skip-preview"))
        assert any(r["method"] == "DELETE" and r["status"] == 404 for r in emulator.requests())
        assert_stack_matches(project, emulator, sc, {})


def test_persistent_failures_name_operation_and_cause_and_the_next_up_converges(
        tmp_path: Path, emulator: Emulator) -> None:
    names = ["north", "south"]
    project = stack_project(tmp_path, emulator, names)

    with scenario(FAULT_MATRIX, "cli: up creating 2 x persistent 503, then up") as sc:
        emulator.fault(method="POST", path=CREATE, status=503, count=100)
        failed(project.up("--skip-preview"), r"create connection", r"\b503\b", r"ServiceUnavailable")
        assert emulator.connections() == [] and state_connections(project) == {}
        clear_faults(emulator)
        ok(project.up("--skip-preview"))
        sc.outcome = "failed clearly; next up converged"
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=360))

    with scenario(FAULT_MATRIX, "cli: up updating 2 x persistent 429 Retry-After beyond the budget, then up") as sc:
        project.declare([connection(name, sync_frequency=120) for name in names])
        emulator.fault(method="PATCH", path=ONE_ID, status=429, retry_after=3600, count=100)
        failed(project.up("--skip-preview"), r"update connection '\w+'", r"\b429\b", r"asked to wait 3600 s")
        clear_faults(emulator)
        ok(project.up("--skip-preview"))
        sc.outcome = "failed clearly; next up converged"
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=120))

    with scenario(FAULT_MATRIX, "cli: destroy of 2 x persistent 403, then destroy") as sc:
        emulator.fault(method="DELETE", path=ONE_ID, status=403, count=100)
        failed(project.run("destroy", "--yes", "--skip-preview"), r"delete connection '\w+'", r"\b403\b",
               r"fivetran:apiKey")
        assert len(state_connections(project)) == 2 and len(emulator.connections()) == 2
        clear_faults(emulator)
        ok(project.run("destroy", "--yes", "--skip-preview"))
        sc.outcome = "failed clearly; next destroy converged"
        assert_stack_matches(project, emulator, sc, {})


@pytest.mark.skipif("request_timeout" not in {f.name for f in fields(ProviderSettings)},
                    reason="needs the fivetran:requestTimeout setting to shorten the client's read timeout")
def test_a_create_reply_slower_than_the_request_timeout(tmp_path: Path, emulator: Emulator) -> None:
    """The first POST is answered after 2.5 s, the client gives up after 1 s: no duplicate, no orphan."""
    names = ["slowpoke", "other"]
    project = stack_project(tmp_path, emulator, names)
    project.set_config("fivetran:requestTimeout", "1")
    with scenario(FAULT_MATRIX, "cli: up creating 2 x first POST slower than fivetran:requestTimeout") as sc:
        emulator.fault(method="POST", path=CREATE, delay_s=2.5, count=1)
        ok(project.up("--skip-preview"))
        # The slow POST is still being worked on by the server: wait for its answer (a 409 or a 201).
        wait_until(lambda: sum(r["method"] == "POST" for r in emulator.requests()) >= 3, timeout_s=10)
        sc.notes["posts"] = [r["status"] for r in emulator.requests() if r["method"] == "POST"]
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=360))


# -- where the key comes from and the webhook auth type, under faults ----------------------------------------------

VAULT, STALE_VAULT, SECRET = "esm_vault", "esm_vault_stale", "ITERABLE_API_KEY"
ROLLED_BACK = r"so the change was rolled back"


def from_vault(name: str, manager: str = VAULT, **settings: Any) -> dict[str, Any]:
    return connection(name, external_secrets_manager_id=manager, external_secrets_keys_config={"api_key": SECRET},
                      **settings)


def with_auth(name: str, auth: str, **settings: Any) -> dict[str, Any]:
    return connection(name, config={"webhook_auth_type": auth}, **settings)


def live_by_schema(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {c["schema"]: c for c in emulator.connections()}


def assert_keys_and_webhook_secrets(project: StackProject, emulator: Emulator, sources: dict[str, str]) -> None:
    """The state's `key_source` of each connection is as expected, and wherever Fivetran holds a webhook secret
    the state holds the same one (compared decrypted, never printed); nowhere else is there one."""
    exported = project.cli.stack_export(show_secrets=True)["deployment"]["resources"]
    outputs = {r["urn"].rsplit("::", 1)[1]: r["outputs"] for r in exported if r["type"].endswith("Connection")}
    live = live_by_schema(emulator)
    for name, source in sources.items():
        outs = outputs[name]
        assert outs.get("key_source") == source, (name, outs.get("key_source"), source)
        held = live[name]["config"].get("webhook_secret")
        recorded = outs.get("webhook_secret")
        recorded = json.loads(recorded["plaintext"]) if isinstance(recorded, dict) else recorded
        assert recorded == held, f"{name}: the state's webhook secret is not the one Fivetran holds"


def test_key_sources_and_webhook_auth_under_faults(tmp_path: Path, emulator: Emulator) -> None:
    """Connections whose key is declared or kept in a secrets manager, with webhook auth, through `up`s hit by
    faults: a change whose key fails is rolled back to a working connection whose webhook secret did not move,
    the program does what the error says, and every webhook secret in the state is the one Fivetran holds."""
    emulator.add_external_secret(VAULT, SECRET, "itbl-key-in-the-vault")
    emulator.add_external_secret(STALE_VAULT, SECRET, "invalid-key-in-the-stale-vault")
    project = StackProject.create(tmp_path, emulator)

    with scenario(FAULT_MATRIX, "cli: up creating 3 (declared + Basic, secret, declared) x 503 on 2 creates") as sc:
        project.declare([with_auth("alpha", "Basic"), from_vault("beta"), connection("gamma")])
        set_api_keys(project, {"alpha": "itbl-key-alpha", "gamma": "itbl-key-gamma"})
        emulator.fault(method="POST", path=CREATE, status=503, count=2)
        ok(project.up("--skip-preview"))
        assert_stack_matches(project, emulator, sc, expect(["alpha", "beta", "gamma"], sync_frequency=360))
        assert_keys_and_webhook_secrets(project, emulator, {"alpha": "declared", "beta": "secrets_manager",
                                                            "gamma": "declared"})

    with scenario(FAULT_MATRIX, "cli: up with failing keys (auth type + key, secret to a failing secret) and a "
                                "move to a secret x PATCH committed, reply lost") as sc:
        before = live_by_schema(emulator)
        project.declare([with_auth("alpha", "OAuth2"), from_vault("beta", STALE_VAULT), from_vault("gamma")])
        set_api_keys(project, {"alpha": "invalid-rotated-key-alpha"})
        project.run("config", "rm", "--path", "apiKeys.gamma").check()
        emulator.fault(method="PATCH", path=ONE_ID, drop_connection=True, after_commit=True, count=2)
        text = failed(project.up("--skip-preview"), rf"'{before['alpha']['id']}'[^\n]*{ROLLED_BACK}",
                      rf"'{before['beta']['id']}'[^\n]*{ROLLED_BACK}")
        sc.notes["errors"] = _error_lines(text)
        now = live_by_schema(emulator)
        for name in ("alpha", "beta"):  # rolled back: working, the same key source, the same webhook secret
            assert now[name]["status"]["setup_state"] == "connected", name
            for key in ("external_secrets_manager_id", "external_secrets_keys_config"):
                assert now[name].get(key) == before[name].get(key), (name, key)
            for key in ("webhook_auth_type", "webhook_secret"):
                assert now[name]["config"].get(key) == before[name]["config"].get(key), (name, key)
        assert now["gamma"]["external_secrets_keys_config"] == {"api_key": SECRET}

        # As the errors say: a working key for alpha (its auth type change stays), beta's working secret back.
        clear_faults(emulator)
        project.declare([with_auth("alpha", "OAuth2"), from_vault("beta"), from_vault("gamma")])
        set_api_keys(project, {"alpha": "itbl-key-alpha-2"})
        ok(project.up("--skip-preview"))
        sc.outcome = "failing keys rolled back clearly; the fixed program converged"
        assert_stack_matches(project, emulator, sc, expect(["alpha", "beta", "gamma"], sync_frequency=360))
        assert live_by_schema(emulator)["alpha"]["config"]["webhook_auth_type"] == "OAuth2"
        assert_keys_and_webhook_secrets(project, emulator, {"alpha": "declared", "beta": "secrets_manager",
                                                            "gamma": "secrets_manager"})

    with scenario(FAULT_MATRIX, "cli: up changing the webhook auth type of 2 x persistent 502, then up") as sc:
        project.declare([with_auth("alpha", "NoAuth"), with_auth("beta", "Basic", external_secrets_manager_id=VAULT,
                                                                 external_secrets_keys_config={"api_key": SECRET}),
                         from_vault("gamma")])
        emulator.fault(method="PATCH", path=ONE_ID, status=502, count=100)
        failed(project.up("--skip-preview"), r"update connection '\w+'", r"\b502\b")
        clear_faults(emulator)
        ok(project.up("--skip-preview"))
        sc.outcome = "failed clearly; next up converged"
        assert_stack_matches(project, emulator, sc, expect(["alpha", "beta", "gamma"], sync_frequency=360))
        assert_keys_and_webhook_secrets(project, emulator, {"alpha": "declared", "beta": "secrets_manager",
                                                            "gamma": "secrets_manager"})


# -- a run killed between the POST and the state write --------------------------------------------------------


def interrupted_create(project: StackProject, emulator: Emulator, kill: str) -> str:
    """Run `up` for two connections whose first POST commits and then hangs; kill the provider (or the
    CLI) once the emulator holds both connections. Returns the killed run's transcript."""
    returncode, transcript = kill_up_mid_create(project, emulator, kill, lambda: len(emulator.connections()) == 2)
    clear_faults(emulator)
    assert returncode != 0
    return transcript


def test_provider_killed_between_the_post_and_the_state_write(tmp_path: Path, emulator: Emulator) -> None:
    names = ["steady", "stranded"]
    project = stack_project(tmp_path, emulator, names)
    with scenario(FAULT_MATRIX, "cli: provider process killed after the POST committed, then up") as sc:
        transcript = interrupted_create(project, emulator, kill="provider")
        sc.notes["killed run"] = _error_lines(transcript)
        recover(project, emulator, sc, names, pending_expected=False)


def test_cli_killed_between_the_post_and_the_state_write(tmp_path: Path, emulator: Emulator) -> None:
    names = ["steady", "stranded"]
    project = stack_project(tmp_path, emulator, names)
    with scenario(FAULT_MATRIX, "cli: pulumi killed (SIGKILL) after the POST committed, then up") as sc:
        interrupted_create(project, emulator, kill="cli")
        locked = project.up("--skip-preview")
        text = failed(locked, r"locked", r"pulumi cancel")
        sc.notes["next up"] = _error_lines(text)
        ok(project.run("cancel", "--yes"))
        recover(project, emulator, sc, names, pending_expected=True)


def recover(project: StackProject, emulator: Emulator, sc: Scenario, names: list[str],
            pending_expected: bool) -> None:
    """After the interrupted run: the next `up` must adopt or say to set `adopt_existing: true`, never
    create a second connection; doing as told converges."""
    known = state_connections(project)
    missing = sorted(set(names) - set(known))
    sc.notes["state after the kill"] = sorted(known)
    sc.notes["connections after the kill"] = len(emulator.connections())
    assert len(emulator.connections()) == 2
    pending = project.export()["deployment"].get("pending_operations") or []
    sc.notes["pending operations"] = [(p["type"], p["resource"]["urn"].rsplit("::", 1)[1]) for p in pending]
    assert bool(pending) == pending_expected, pending

    before = len(emulator.requests())
    result = project.up("--skip-preview")
    # The provider posts first and lets Fivetran refuse a taken schema (409): a refused create is fine,
    # one that Fivetran accepted would be a duplicate.
    posts = [r for r in emulator.requests()[before:] if r["method"] == "POST" and r["path"] == "/v1/connections"]
    assert all(r["status"] == 409 for r in posts), f"the next up created a connection: {posts}"
    assert len(emulator.connections()) == 2
    if result.ok:
        sc.outcome = "next up adopted the connection"
    else:
        text = failed(result, r"already exists", r"adopt_existing: true", *(rf"'{n}'" for n in missing))
        sc.notes["next up"] = _error_lines(text)
        if pending_expected:
            # The engine's own warning about the interrupted create comes only without the refresh this project
            # runs first; the create's error names the way out either way, and the state keeps the record.
            assert re.search(r"interrupted while creating|refresh --clear-pending-creates", text), text
            assert project.export()["deployment"].get("pending_operations")
        project.declare([connection(name, adopt_existing=name in missing) for name in names])
        ok(project.up("--skip-preview"))
        sc.outcome = "next up said to set adopt_existing: true; doing so converged"
    assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=360))
    if pending_expected:
        # The interrupted create stays a pending operation (a warning on every run) until cleared.
        pending = project.export()["deployment"].get("pending_operations") or []
        sc.notes["pending operations after adoption"] = len(pending)
        ok(project.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates"))
        assert not project.export()["deployment"].get("pending_operations")
        assert_stack_matches(project, emulator, sc, expect(names, sync_frequency=360))


def _error_lines(text: str) -> list[str]:
    return [line.strip()[:300] for line in text.splitlines()
            if re.search(r"error|warning|interrupted|adopt_existing", line, re.I)][:12]

