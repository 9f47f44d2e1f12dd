"""Secrets: canary values for the Iterable API key and the Fivetran API key and secret,
through create, update, refresh, failures and destroy, must appear in none of: the exported stack state
(except as ciphertext), the CLI output, the provider's printed output and logs, error messages, the
emulator's request log, the pickled provider, the stack file and anything else the run leaves on disk.

Canaries are searched as is, URL-encoded, base64, and as the HTTP Basic token; each place has a positive
control where one is possible (the value is really there, encrypted or in memory), so an empty search means
"not leaked" rather than "not looked at".
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize
from pulumi_fivetran_iterable.provider import ProviderError

from tests.reliability.record import SECRETS, Scenario, scenario
from tests.reliability.support import (
    PROVIDER_STRING,
    basic_auth_form,
    canary_forms,
    clear_faults,
    declared,
    decoded_provider_strings,
    dumps,
    find_canaries,
    provider_for,
    set_api_keys,
    without_ciphertext,
)
from tests.support.emulator import Emulator, start_emulator
from tests.support.engine import EngineStandIn
from tests.support.pulumi_cli import PulumiResult
from tests.support.stack import StackProject, connection

ITERABLE_KEY = "itblCanaryKeyA1b2C3d4E5f6"
ITERABLE_KEY_2 = "itblCanaryKeyTwoQ9w8E7r6"
ITERABLE_ROTATED = "itblCanaryRotatedZ9y8X7w6"
ITERABLE_BAD = "invalid-itblCanaryBadK3y55"  # fails the setup tests
FIVETRAN_KEY = "ftCanaryApiKeyQ7w8e9r0t1y2"
FIVETRAN_SECRET = "ftCanaryApiSecretP0o9i8u7y6"
WRONG_SECRET = "ftCanaryWrongSecretM1n2b3v4"
ITERABLE_CANARIES = (ITERABLE_KEY, ITERABLE_KEY_2, ITERABLE_ROTATED, ITERABLE_BAD)
FIVETRAN_CANARIES = (FIVETRAN_KEY, FIVETRAN_SECRET, WRONG_SECRET)
FORMS = {
    **canary_forms(*ITERABLE_CANARIES, *FIVETRAN_CANARIES),
    **basic_auth_form(FIVETRAN_KEY, FIVETRAN_SECRET),
    **basic_auth_form(FIVETRAN_KEY, WRONG_SECRET),
}
FIVETRAN_FORMS = {name: form for name, form in FORMS.items() if any(c in name for c in FIVETRAN_CANARIES)
                  or name.startswith("basic auth")}
ONE_ID = r"^/v1/connections/[^/]+$"


@pytest.fixture(scope="module")
def canary_emulator() -> Iterator[Emulator]:
    with start_emulator("--group", "warehouse_main:Main", "--create-limit", "0",
                        "--api-key", FIVETRAN_KEY, "--api-secret", FIVETRAN_SECRET) as emulator:
        yield emulator


@pytest.fixture
def fivetran(canary_emulator: Emulator) -> Emulator:
    canary_emulator.reset()
    return canary_emulator


class Watched:
    """A stack project whose every CLI run is kept, to be searched for canaries."""

    def __init__(self, project: StackProject, tmp_path: Path) -> None:
        self.project = project
        self.tmp_path = tmp_path
        self.runs: list[PulumiResult] = []

    def run(self, *args: str) -> PulumiResult:
        result = self.project.run(*args)
        self.runs.append(result)
        return result

    def sweep(self, sc: Scenario, emulator: Emulator, current_keys: tuple[str, ...]) -> None:
        """Search every place; `current_keys` are Iterable keys the state must hold (encrypted)."""
        project = self.project
        export_result = project.cli.run("stack", "export", "--stack", project.stack).check()
        checkpoint = json.loads(export_result.stdout)
        plain = project.cli.run("stack", "export", "--show-secrets", "--stack", project.stack).check().stdout
        for key in current_keys:  # positive control: the key is in the state, encrypted
            assert key in plain, f"positive control: {key} is not in the decrypted state"
        outputs = project.cli.run("stack", "output", "--json", "--stack", project.stack).check().stdout
        places: dict[str, list[str]] = {
            "cli output": find_canaries("\n".join(r.stdout + r.stderr for r in self.runs), FORMS),
            "stack export (without ciphertext)": find_canaries(dumps(without_ciphertext(checkpoint)), FORMS),
            "stack export (raw)": find_canaries(export_result.stdout, FORMS),
            "pickled __provider in state": [name for blob in decoded_provider_strings(checkpoint)
                                            for name, form in FORMS.items() if form.encode() in blob],
            "stack outputs": find_canaries(outputs, FORMS),
            "stack file": find_canaries(project.stack_file.read_text(), FORMS),
            "emulator request log": find_canaries(dumps(emulator.requests()), FORMS),
            "files on disk": disk_hits(self.tmp_path),
        }
        sc.notes["places searched"] = sorted(places)
        sc.notes["cli runs searched"] = len(self.runs)
        sc.canaries(places)


def disk_hits(root: Path) -> list[str]:
    """Canary forms in any file under `root` (the project, the backend with its history, PULUMI_HOME)."""
    hits = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            if path.is_symlink() or path.stat().st_size > 20_000_000:
                continue
            data = path.read_bytes()
            hits += [f"{path.relative_to(root)}: {form_name}" for form_name, form in FORMS.items()
                     if form.encode() in data]
    return hits


@pytest.mark.cli
def test_canaries_through_a_stack_lifecycle(tmp_path: Path, fivetran: Emulator) -> None:
    project = StackProject.create(tmp_path, fivetran)
    project.set_config("fivetran:apiKey", FIVETRAN_KEY, secret=True)  # the key kept as a secret too
    watched = Watched(project, tmp_path)
    # `second` names its group, so the DestinationGroup lookup (its own provider) runs with the credentials too.
    project.declare([connection("first"), connection("second", group_name="Main")])
    set_api_keys(project, {"first": ITERABLE_KEY, "second": ITERABLE_KEY_2})

    with scenario(SECRETS, "cli: create (preview, up)") as sc:
        result = watched.run("up", "--yes")
        result.check()
        assert len(fivetran.connections()) == 2
        watched.sweep(sc, fivetran, (ITERABLE_KEY, ITERABLE_KEY_2))

    with scenario(SECRETS, "cli: update rotating an Iterable key (preview --diff, up)") as sc:
        project.declare([connection("first", sync_frequency=60), connection("second", group_name="Main")])
        set_api_keys(project, {"first": ITERABLE_ROTATED})
        diff = watched.run("preview", "--diff")
        diff.check()
        assert "[secret]" in diff.stdout  # the key's change is shown, masked
        watched.run("up", "--yes", "--skip-preview").check()
        assert {c["sync_frequency"] for c in fivetran.connections()} == {60, 360}
        watched.sweep(sc, fivetran, (ITERABLE_ROTATED, ITERABLE_KEY_2))

    with scenario(SECRETS, "cli: refresh") as sc:
        watched.run("refresh", "--yes").check()
        watched.sweep(sc, fivetran, (ITERABLE_ROTATED, ITERABLE_KEY_2))

    with scenario(SECRETS, "cli: failures (setup tests reject a key; 429; wrong Fivetran secret)") as sc:
        set_api_keys(project, {"second": ITERABLE_BAD})
        rejected = watched.run("up", "--yes", "--skip-preview")
        assert not rejected.ok and "rolled back" in rejected.stdout + rejected.stderr
        set_api_keys(project, {"second": ITERABLE_KEY})
        fivetran.fault(method="PATCH", path=ONE_ID, status=429, retry_after=3600, count=10)
        limited = watched.run("up", "--yes", "--skip-preview")
        assert not limited.ok and "429" in limited.stdout + limited.stderr
        clear_faults(fivetran)
        project.set_config("fivetran:apiSecret", WRONG_SECRET, secret=True)
        # --run-program: without it, refresh configures the provider from the state, with the old secret.
        denied = watched.run("refresh", "--yes", "--skip-preview", "--run-program")
        assert not denied.ok and "401" in denied.stdout + denied.stderr
        assert "pulumi up --refresh=false" in denied.stdout + denied.stderr  # what to do after fixing it
        project.set_config("fivetran:apiSecret", FIVETRAN_SECRET, secret=True)
        # The refresh `up` runs first would use the secret of the last update (the wrong one): as the error says.
        watched.run("up", "--yes", "--skip-preview", "--refresh=false").check()
        watched.sweep(sc, fivetran, (ITERABLE_ROTATED, ITERABLE_KEY))

    with scenario(SECRETS, "cli: destroy") as sc:
        watched.run("destroy", "--yes", "--skip-preview").check()
        assert fivetran.connections() == []
        watched.sweep(sc, fivetran, ())


@pytest.mark.cli
def test_a_webhook_secret_fivetran_hands_out_is_a_canary_too(tmp_path: Path, fivetran: Emulator) -> None:
    """Fivetran generates `webhook_secret` (webhook_auth_type Basic): read from the emulator, it must be found
    only as ciphertext in the state, and nowhere in the CLI's output, the stack outputs, the stack file or
    any file the CLI wrote."""
    project = StackProject.create(tmp_path, fivetran)
    project.set_config("fivetran:apiKey", FIVETRAN_KEY, secret=True)
    watched = Watched(project, tmp_path)
    project.declare([connection("hooked", config={"webhook_auth_type": "Basic"})])
    set_api_keys(project, {"hooked": ITERABLE_KEY})
    with scenario(SECRETS, "cli: webhook secret handed out by Fivetran (up, refresh, preview)") as sc:
        watched.run("up", "--yes").check()
        watched.run("refresh", "--yes").check()
        watched.run("preview", "--diff").check()
        (live,) = fivetran.connections()
        forms = canary_forms(live["config"]["webhook_secret"])
        plain = project.cli.run("stack", "export", "--show-secrets", "--stack", project.stack).check().stdout
        assert live["config"]["webhook_secret"] in plain, "positive control: the state holds it, encrypted"
        export = project.cli.run("stack", "export", "--stack", project.stack).check().stdout
        outputs = project.cli.run("stack", "output", "--json", "--stack", project.stack).check().stdout
        written = [str(path) for path in tmp_path.rglob("*") if path.is_file() and not path.is_symlink()
                   and any(form.encode() in path.read_bytes() for form in forms.values())]
        sc.canaries({
            "cli output": find_canaries("\n".join(r.stdout + r.stderr for r in watched.runs), forms),
            "stack export (raw)": find_canaries(export, forms),
            "stack outputs": find_canaries(outputs, forms),
            "stack file": find_canaries(project.stack_file.read_text(), forms),
            "files on disk": written,
        })


@pytest.mark.cli
def test_fivetran_api_key_set_as_the_project_sets_it_stays_out_of_the_state(tmp_path: Path, fivetran: Emulator
                                                                            ) -> None:
    # The engine keeps the whole stack config as the inputs of the default provider in the state, so the
    # project sets fivetran:apiKey (like the secret) with --secret everywhere.
    project = StackProject.create(tmp_path, fivetran)
    project.declare([connection("only")])
    set_api_keys(project, {"only": ITERABLE_KEY})
    with scenario(SECRETS, "cli: up with fivetran:apiKey as the project sets it (--secret)") as sc:
        project.up("--skip-preview").check()
        checkpoint = project.export()
        sc.notes["fivetran:apiKey in the stack file"] = FIVETRAN_KEY in project.stack_file.read_text()
        sc.canaries({"stack export (without ciphertext)":
                     find_canaries(dumps(without_ciphertext(checkpoint)), FIVETRAN_FORMS)})


def test_canaries_in_the_provider_process(fivetran: Emulator) -> None:
    """The real provider server: its printed output, the errors it returns over gRPC, and the request log."""
    config = {"fivetran:apiKey": FIVETRAN_KEY, "fivetran:apiSecret": FIVETRAN_SECRET,
              "fivetran:apiUrl": fivetran.base_url, "fivetran:createLimit": "0"}
    with scenario(SECRETS, "grpc: create, update, read, failures, check, delete in the provider server") as sc:
        errors: list[str] = []
        with EngineStandIn.start(config) as engine:
            def call(function: Any, *args: Any) -> Any:
                try:
                    return function(*args)
                except grpc.RpcError as error:
                    errors.append(error.details())
                    return None

            news = {"group_id": "warehouse_main", "config": {"schema": "iterable_grpc", "api_key": ITERABLE_KEY}}
            checked = engine.check("c", {}, news)
            id_, outs = engine.create("c", checked.inputs)
            rotated = {**news, "config": {**news["config"], "api_key": ITERABLE_ROTATED}}
            new_inputs = engine.check("c", checked.inputs, rotated).inputs
            outs = engine.update("c", id_, outs, new_inputs, checked.inputs)
            _, outs, inputs = engine.read("c", id_, outs, new_inputs)
            bad = {**news, "config": {**news["config"], "api_key": ITERABLE_BAD}}
            call(engine.update, "c", id_, outs, engine.check("c", inputs, bad).inputs, inputs)
            typo = {**news, "config": {"schema": "iterable_typo", "api_kye": ITERABLE_KEY_2}}
            failures = engine.check("t", {}, typo).failures
            errors += [reason for _, reason in failures]
            engine.delete("c", id_, outs, inputs)
            call(engine.create, "d", engine.check("d", {}, {**news, "group_id": "nowhere"}).inputs)
            # Last: a 429 that asks for an hour holds back every later call of this process, as Fivetran would.
            fivetran.fault(method="PATCH", path=ONE_ID, status=429, retry_after=3600, count=50)
            call(engine.update, "c", id_, outs, {**engine.check("c", inputs, rotated).inputs, "paused": True}, inputs)
            clear_faults(fivetran)
        with EngineStandIn.start({**config, "fivetran:apiSecret": WRONG_SECRET}) as wrong:
            call(wrong.read, "c", id_, outs, inputs)
            printed = engine.printed + wrong.printed + [e.message for e in engine.logged + wrong.logged]
        assert len(errors) >= 4, errors
        assert ITERABLE_KEY in dumps(checked.inputs)  # positive control: the key reached the provider
        sc.notes["errors"] = [e[:200] for e in errors]
        sc.canaries({
            "provider printed output": find_canaries("".join(printed), FORMS),
            "error messages": find_canaries("\n".join(errors), FORMS),
            "outputs (Fivetran credentials)": find_canaries(dumps(outs), FIVETRAN_FORMS),
            "emulator request log": find_canaries(dumps(fivetran.requests()), FORMS),
        })


def test_canaries_in_logs_errors_and_the_pickled_provider(fivetran: Emulator, caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    """The provider in this process, with the client's debug log on: what it logs, raises and pickles."""
    with scenario(SECRETS, "provider: debug log, error messages and pickles after use") as sc:
        caplog.set_level(logging.DEBUG)
        provider = provider_for(fivetran, api_key=FIVETRAN_KEY, api_secret=FIVETRAN_SECRET)
        errors: list[str] = []

        def attempt(function: Any, *args: Any) -> Any:
            try:
                return function(*args)
            except ProviderError as error:
                errors.append(str(error))
                return None

        props = {**provider.check({}, declared("iterable_logged", api_key=ITERABLE_KEY)).inputs,
                 "__provider": PROVIDER_STRING}
        created = provider.create(props)
        outs = {**created.outs, "__provider": PROVIDER_STRING}
        bad = {**provider.check(props, declared("iterable_logged", api_key=ITERABLE_BAD)).inputs,
               "__provider": PROVIDER_STRING}
        attempt(provider.update, created.id, outs, bad)
        attempt(provider.create, {**props, "config": {**props["config"], "schema": "iterable_logged"}})
        fivetran.fault(method="POST", path=r"^/v1/connections$", status=400, count=1,
                       message=f"echoing the body: {ITERABLE_KEY_2}")
        attempt(provider.create, {**props, "config": {**props["config"], "schema": "iterable_echo",
                                                     "api_key": ITERABLE_KEY_2}})
        provider.read(created.id, outs)
        provider.delete(created.id, outs)
        wrong = provider_for(fivetran, api_key=FIVETRAN_KEY, api_secret=WRONG_SECRET)
        attempt(wrong.read, created.id, outs)
        assert len(errors) == 4, errors
        assert provider.client.request_count > 0  # positive control: the client was used
        blobs = {
            "pickle.dumps(provider)": pickle.dumps(provider),
            "pickle.dumps(provider with a wrong secret)": pickle.dumps(wrong),
            "__provider as the SDK serializes it": _serialize(True, serialize_provider, provider)[0].encode(),
        }
        sc.notes["errors"] = [e[:200] for e in errors]
        sc.canaries({
            "client debug log": find_canaries(caplog.text, FORMS),
            "error messages": find_canaries("\n".join(errors), FORMS),
            "repr of the provider's client": find_canaries(repr(provider.client), FORMS),
            **{place: [name for name, form in FORMS.items() if form.encode() in blob] for place, blob in blobs.items()},
        })
