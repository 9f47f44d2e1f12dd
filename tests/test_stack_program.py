"""The stack program (`__main__.py`) under `pulumi.runtime.set_mocks`, and the provider's serialized form.

The program runs in-process against a mock monitor (reference: pulumi-dynamic-providers.md, 4.1) with the
config of `stacks/Pulumi.dev.yaml`. The secrets there are ciphertext, so plaintext test keys stand in for
`fivetran:apiSecret` and each `apiKeys.<name>`. The mock records what every resource registration carried:
type token, name, inputs (secrets still wrapped in the secret-signature dict) and
`additionalSecretOutputs`. The provider is never called by the mock monitor.

The serialization tests pin the provider's pickle: `__provider` is a short, constant reference to
`pulumi_fivetran_iterable.provider.IterableConnectionProvider`, with no secret in it even after `configure`
has run with secret credentials, and it loads in a fresh process started outside the repository (the
package is installed, not found next to the program).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import logging
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic as dynamic
import pytest
import yaml
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import mocks, rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime._serialization import _serialize
from pulumi_fivetran_iterable import IterableConnectionProvider
from pulumi_fivetran_iterable.group import DestinationGroupProvider

from tests.support.committed import committed_text, copy_committed

PROJECT = "iterable-connections"
CONNECTION_TYPE = "pulumi-python:dynamic/fivetran:IterableConnection"
GROUP_TYPE = "pulumi-python:dynamic/fivetran:DestinationGroup"

# Plaintext stand-ins for the dev stack's ciphertext, distinctive enough to search for.
FIVETRAN_SECRET = "ft-secret-canary-mock-93b1"
# The id the mocked group lookup returns: not `warehouse_eu`, so it can only come from the lookup's output.
LOOKED_UP_GROUP_ID = "mocked_group_from_lookup_41"
SECRET_SIG = {rpc._special_sig_key: rpc._special_secret_sig}


def iterable_key(name: str) -> str:
    return f"itbl-canary-{name}-mock-0c7e"


# ---------------------------------------------------------------------------------------------------------
# The mocked engine


@dataclass
class Registration:
    typ: str
    name: str
    custom: bool
    inputs: dict[str, Any]  # as the monitor received them: secrets are secret-signature dicts
    additional_secret_outputs: list[str]


class RecordingMocks(pulumi.runtime.Mocks):
    """Echoes inputs as outputs; the group lookup answers with LOOKED_UP_GROUP_ID."""

    def __init__(self) -> None:
        self.registrations: dict[str, Registration] = {}
        self.in_order: list[Registration] = []  # every registration, duplicates included

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == GROUP_TYPE:
            return LOOKED_UP_GROUP_ID, {**args.inputs, "group_id": LOOKED_UP_GROUP_ID}
        connection_id = f"mock_{args.name.replace('-', '_')}"
        status = {"setup_state": "connected", "sync_state": "scheduled"}
        return connection_id, {**args.inputs, "connection_id": connection_id, "status": status,
                               "webhook_endpoint": f"https://webhooks.example/{connection_id}"}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what `MockResourceArgs` leaves out (additionalSecretOutputs)."""

    mocks: RecordingMocks

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registration = Registration(
                typ=request.type,
                name=request.name,
                custom=request.custom,
                inputs=rpc.deserialize_properties(request.object),
                additional_secret_outputs=list(request.additionalSecretOutputs),
            )
            self.mocks.registrations[request.name] = registration
            self.mocks.in_order.append(registration)
        return response


@dataclass
class ProgramRun:
    registrations: dict[str, Registration]
    in_order: list[Registration]
    exports: dict[str, Any] = field(default_factory=dict)
    card_links: dict[str, Any] = field(default_factory=dict)
    card_links_secret: bool = False

    def connections(self) -> dict[str, Registration]:
        return {name: r for name, r in self.registrations.items() if r.typ == CONNECTION_TYPE}


def dev_stack_config() -> dict[str, Any]:
    """The `config:` block of stacks/Pulumi.dev.yaml, parsed."""
    return yaml.safe_load(committed_text("stacks/Pulumi.dev.yaml"))["config"]


def program_config(stack_config: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The config the language host would hand the program: every value a string (structured values as
    JSON), secrets decrypted (here: replaced by the plaintext stand-ins), and the list of secret keys."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in stack_config.items():
        if key == "fivetran:apiSecret":
            value = FIVETRAN_SECRET
            secret_keys.append(key)
        elif key == f"{PROJECT}:apiKeys":
            value = {name: iterable_key(name) for name in value}
            secret_keys.append(key)
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secret_keys


@pytest.fixture
def run_program(tmp_path: Path) -> Iterator[Any]:
    """Run `__main__.py` (as committed) under mocks with a given stack config; returns what the monitor saw."""
    program_file = copy_committed("__main__.py", tmp_path / "program" / "__main__.py")

    def run(stack_config: Mapping[str, Any]) -> ProgramRun:
        recorder = RecordingMocks()
        runtime_settings.ROOT.set(None)  # a fresh root stack, bound to this test's monitor
        pulumi.runtime.set_mocks(recorder, project=PROJECT, stack="dev", preview=False,
                                 monitor=RecordingMonitor(recorder))
        config, secret_keys = program_config(stack_config)
        pulumi.runtime.set_all_config(config, secret_keys)
        result = ProgramRun(recorder.registrations, recorder.in_order)

        @pulumi.runtime.test
        def program() -> Any:
            runpy.run_path(str(program_file), run_name="__main__")
            root = runtime_settings.get_root_resource()
            exported = root.outputs.get("connections", {})  # type: ignore[union-attr]
            links = root.outputs.get("connect_card_uris", {})  # type: ignore[union-attr]
            result.card_links_secret = isinstance(links, pulumi.Output)
            pulumi.Output.from_input(links).apply(result.card_links.update)
            return pulumi.Output.from_input(exported).apply(result.exports.update)

        program()
        return result

    yield run
    pulumi.runtime.set_all_config({}, [])
    runtime_settings.reset_options()


def refusal(run_program: Any, stack_config: Mapping[str, Any]) -> str:
    """Run the program expecting it to stop before registering anything; returns the one error it logged."""
    with pytest.raises(SystemExit) as stopped, _errors_logged() as logged:
        run_program(stack_config)
    assert stopped.value.code == 32  # "the program showed its error already": no second, crash-like line
    assert len(logged) == 1, logged
    return logged[0]


@contextlib.contextmanager
def _errors_logged() -> Iterator[list[str]]:
    """The messages of `pulumi.log.error` (the mock engine logs them to the root logger)."""
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                messages.append(record.getMessage())

    handler = Keep()
    logging.getLogger().addHandler(handler)
    try:
        yield messages
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture
def dev_run(run_program: Any) -> ProgramRun:
    return run_program(dev_stack_config())


def unwrap(value: Any) -> Any:
    """The value with every secret-signature dict replaced by its plaintext."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def without_secrets(value: Any) -> Any:
    """The value with every secret replaced by a marker: what is visible without decryption."""
    if rpc.is_rpc_secret(value):
        return "[secret]"
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def is_secret_at(value: Any, path: list[str]) -> bool:
    """True when the value at `path` is inside a secret wrapper (itself, or one of its enclosing objects)."""
    if rpc.is_rpc_secret(value):
        return True
    if not path or not isinstance(value, Mapping) or path[0] not in value:
        return False
    return is_secret_at(value[path[0]], path[1:])


def declared_entries() -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in dev_stack_config()[f"{PROJECT}:connections"]}


# The dev stack's connections authorized through a Connect Card (no key in the stack config).
CARD_ENTRIES = {name for name, entry in declared_entries().items() if entry.get("connect_card_config")}


# ---------------------------------------------------------------------------------------------------------
# The program under mocks


def test_program_declares_the_dev_stacks_four_connections_as_dynamic_resources(dev_run: ProgramRun) -> None:
    connections = dev_run.connections()
    assert sorted(connections) == ["lifecycle-archive", "marketing-eu", "marketing-us", "product-events"]
    for registration in connections.values():
        assert registration.typ == CONNECTION_TYPE
        assert registration.custom is True


def test_group_name_is_looked_up_once_through_a_destination_group(dev_run: ProgramRun) -> None:
    groups = {name: r for name, r in dev_run.registrations.items() if r.typ == GROUP_TYPE}
    assert list(groups) == ["group-eu-warehouse"]
    assert unwrap(groups["group-eu-warehouse"].inputs)["name"] == "EU warehouse"
    assert len(dev_run.registrations) == 5  # four connections and the one lookup, nothing else


def test_group_ids_come_from_the_entry_or_from_the_lookups_output(dev_run: ProgramRun) -> None:
    group_ids = {name: unwrap(r.inputs).get("group_id") for name, r in dev_run.connections().items()}
    assert group_ids == {
        "marketing-us": "warehouse_main",
        "marketing-eu": LOOKED_UP_GROUP_ID,
        "lifecycle-archive": "warehouse_main",
        "product-events": "warehouse_main",
    }


def test_connection_inputs_are_the_entries_of_the_stack_config(dev_run: ProgramRun) -> None:
    for name, entry in declared_entries().items():
        inputs = unwrap(dev_run.connections()[name].inputs)
        inputs.pop("__provider")
        config = inputs.pop("config")
        assert config.pop("api_key", None) == (None if name in CARD_ENTRIES else iterable_key(name)), name
        assert config == entry["config"], name
        expected = {k: v for k, v in entry.items() if k not in ("name", "group_name", "group_id", "config")}
        inputs.pop("group_id")
        assert inputs == expected, name  # numbers arrive as floats (60.0 == 60)


def test_lifecycle_archive_is_declared_paused_and_the_others_are_not(dev_run: ProgramRun) -> None:
    paused = {name: unwrap(r.inputs).get("paused") for name, r in dev_run.connections().items()}
    assert paused == {"lifecycle-archive": True, "marketing-us": None, "marketing-eu": None, "product-events": None}


def test_api_key_reaches_each_connection_only_as_a_secret(dev_run: ProgramRun) -> None:
    for name, registration in dev_run.connections().items():
        if name in CARD_ENTRIES:
            assert "api_key" not in unwrap(registration.inputs)["config"], "a card connection has no key"
            continue
        assert is_secret_at(registration.inputs, ["config", "api_key"]), (name, registration.inputs)
        assert unwrap(registration.inputs)["config"]["api_key"] == iterable_key(name)
        visible = json.dumps(without_secrets(registration.inputs))
        for key_name in declared_entries():
            assert iterable_key(key_name) not in visible, (name, visible)


def test_connect_card_uri_is_an_additional_secret_output(dev_run: ProgramRun) -> None:
    for name, registration in dev_run.connections().items():
        assert "connect_card_uri" in registration.additional_secret_outputs, name


def test_inputs_pass_the_providers_own_check(dev_run: ProgramRun) -> None:
    provider = IterableConnectionProvider()
    for name, registration in dev_run.connections().items():
        result = provider.check({}, unwrap(registration.inputs))
        assert [f.reason for f in result.failures] == [], name


def test_each_resource_carries_the_short_by_reference_provider_pickle(dev_run: ProgramRun) -> None:
    pickles = {name: unwrap(r.inputs)["__provider"] for name, r in dev_run.registrations.items()}
    connection_pickles = {pickles[name] for name in dev_run.connections()}
    assert len(connection_pickles) == 1, "every connection must carry the same provider string"
    (connection_pickle,) = connection_pickles
    assert len(connection_pickle) < 200, connection_pickle
    decoded = base64.b64decode(connection_pickle)
    assert b"pulumi_fivetran_iterable.provider" in decoded and b"IterableConnectionProvider" in decoded, decoded
    group_pickle = base64.b64decode(pickles["group-eu-warehouse"])
    assert b"pulumi_fivetran_iterable.group" in group_pickle, group_pickle
    assert b"DestinationGroupProvider" in group_pickle, group_pickle


def test_program_exports_each_connections_id_and_state(dev_run: ProgramRun) -> None:
    assert dev_run.exports == {
        name: {
            "id": f"mock_{name.replace('-', '_')}",
            "setup_state": "connected",
            "sync_state": "scheduled",
            "webhook_endpoint": f"https://webhooks.example/mock_{name.replace('-', '_')}",
        }
        for name in declared_entries()
    }


def test_distinct_group_names_get_distinct_lookup_resources(run_program: Any) -> None:
    """Two groups whose names differ only in case or in a space/hyphen must not share a resource name:
    the real engine rejects the second with "Duplicate resource URN" (the mock monitor does not check)."""
    stack_config = copy.deepcopy(dev_stack_config())
    entries = stack_config[f"{PROJECT}:connections"]
    entries[0]["group_name"] = "EU-warehouse"  # marketing-us; marketing-eu keeps "EU warehouse"
    del entries[0]["group_id"]
    entries[2]["group_name"] = "EU Warehouse"  # lifecycle-archive
    del entries[2]["group_id"]

    run = run_program(stack_config)

    lookups = [r for r in run.in_order if r.typ == GROUP_TYPE]
    assert sorted(unwrap(r.inputs)["name"] for r in lookups) == ["EU Warehouse", "EU warehouse", "EU-warehouse"]
    names = [r.name for r in lookups]
    assert len(set(names)) == len(names), f"lookup resources share a name (one URN): {names}"


def test_an_api_key_in_plain_stack_config_is_refused_with_a_clear_error(run_program: Any) -> None:
    plain_key = "itbl-plain-canary-never-echoed-5d"
    stack_config = copy.deepcopy(dev_stack_config())
    entries = stack_config[f"{PROJECT}:connections"]
    (entry,) = [e for e in entries if e["name"] == "marketing-eu"]
    entry["config"]["api_key"] = plain_key

    message = refusal(run_program, stack_config)
    assert "connection 'marketing-eu'" in message
    assert "apiKeys.marketing-eu" in message and "--secret" in message
    assert plain_key not in message


# ---------------------------------------------------------------------------------------------------------
# Serialization: what `dynamic.Resource` stores as `__provider`


def pickled(provider: dynamic.ResourceProvider) -> str:
    """The `__provider` string, made exactly as `dynamic.Resource.__init__` makes it."""
    text, contains_secrets = _serialize(True, serialize_provider, provider)
    assert contains_secrets is False
    return text


def secret_credentials(project: str = PROJECT) -> dynamic.ConfigureRequest:
    raw = {"fivetran:apiKey": "dev-key", "fivetran:apiSecret": FIVETRAN_SECRET,
           "fivetran:apiUrl": "http://127.0.0.1:9/v1", "fivetran:createLimit": "0"}
    return dynamic.ConfigureRequest(dynamic.Config(raw, project))


@pytest.mark.parametrize("provider_class, module", [
    (IterableConnectionProvider, b"pulumi_fivetran_iterable.provider"),
    (DestinationGroupProvider, b"pulumi_fivetran_iterable.group"),
])
def test_provider_pickles_by_reference_into_a_short_constant_string_without_secrets(
        provider_class: type[dynamic.ResourceProvider], module: bytes) -> None:
    fresh = pickled(provider_class())
    assert pickled(provider_class()) == fresh, "the pickle must be deterministic"
    assert len(fresh) < 200, fresh
    assert module in base64.b64decode(fresh)

    configured = provider_class()
    configured.configure(secret_credentials())
    # Make it build its HTTP client, too (holds the credentials); the Fivetran URL is never contacted.
    if isinstance(configured, IterableConnectionProvider):
        assert configured.client is not None
    else:
        assert configured._fivetran() is not None
    after = pickled(configured)

    assert after == fresh, "configure must leave nothing in the pickle"
    decoded = base64.b64decode(after)
    for secret in (FIVETRAN_SECRET, base64.b64encode(f"dev-key:{FIVETRAN_SECRET}".encode()).decode()):
        assert secret.encode() not in decoded and secret not in after


def test_provider_pickle_loads_in_a_fresh_process_started_outside_the_repository(tmp_path: Path) -> None:
    text = pickled(IterableConnectionProvider())
    code = (
        "import base64, sys, dill\n"
        "provider = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "print(type(provider).__module__, type(provider).__qualname__)\n"
        "result = provider.check({}, {'group_id': 'g', 'config': {'schema': 'iterable_x', 'api_key': 'k'}})\n"
        "print(len(result.failures), result.inputs['sync_frequency'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([sys.executable, "-c", code, text], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ["pulumi_fivetran_iterable.provider IterableConnectionProvider", "0 360"], done.stdout


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda e: e.update(sync_frequncy=60), "unknown key 'sync_frequncy'; did you mean 'sync_frequency'?"),
        (lambda e: e.update(group_name="EU warehouse"), "either group_id or group_name"),
        (lambda e: e.update(name="unkeyed"), "no Iterable API key: set it with pulumi config set --secret"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_connection_and_the_fix(run_program: Any, change: Any,
                                                                   words: str) -> None:
    stack_config = copy.deepcopy(dev_stack_config())
    entry = stack_config[f"{PROJECT}:connections"][0]  # marketing-us, with a group_id and a key
    change(entry)
    message = refusal(run_program, stack_config)
    assert words in message
    assert f"connection '{entry['name']}'" in message


def test_a_connect_card_entry_needs_no_key(run_program: Any) -> None:
    stack_config = copy.deepcopy(dev_stack_config())
    entry = stack_config[f"{PROJECT}:connections"][0]
    entry["name"] = "card-only"
    entry["connect_card_config"] = {"redirect_uri": "https://example.com/done"}
    run = run_program(stack_config)
    (card,) = [r for r in run.in_order if r.name == "card-only"]
    assert "api_key" not in unwrap(card.inputs)["config"]


def test_each_card_connections_link_is_exported_as_a_secret(dev_run: ProgramRun) -> None:
    assert set(dev_run.card_links) == CARD_ENTRIES == {"product-events"}
    assert dev_run.card_links_secret


def test_every_problem_of_every_connection_is_reported_at_once(run_program: Any) -> None:
    stack_config = copy.deepcopy(dev_stack_config())
    by_name = {entry["name"]: entry for entry in stack_config[f"{PROJECT}:connections"]}
    by_name["marketing-us"]["config"]["events"] = []  # SelectedEvents without events
    by_name["marketing-eu"]["config"]["account_region"] = "XX"
    by_name["marketing-eu"]["sync_frequency"] = 45
    by_name["lifecycle-archive"]["sync_frequncy"] = 60

    message = refusal(run_program, stack_config)

    assert "4 problems in 3 connections; nothing was changed" in message
    assert "connection 'marketing-us': config.events: must list at least one event" in message
    assert "connection 'marketing-eu': config.account_region: must be one of US, EU (got 'XX')" in message
    assert "connection 'marketing-eu': sync_frequency: must be one of" in message
    assert "connection 'lifecycle-archive': unknown key 'sync_frequncy'" in message
    assert "product-events" not in message


def prod_template() -> dict[str, Any]:
    """The config of stacks/Pulumi.prod.yaml with the secrets its steps set (as plaintext stand-ins)."""
    config = yaml.safe_load(committed_text("stacks/Pulumi.prod.yaml"))["config"]
    config["fivetran:apiKey"] = "ft-key"
    config["fivetran:apiSecret"] = "ft-secret"
    config[f"{PROJECT}:apiKeys"] = {"marketing": "k1", "marketing-eu": "k2"}
    return config


def test_the_prod_templates_placeholders_are_refused_each_by_name(run_program: Any) -> None:
    message = refusal(run_program, prod_template())
    assert "3 problems in 3 connections" in message
    assert "connection 'marketing': group_id is still the template's placeholder 'REPLACE_WITH_YOUR_GROUP_ID'" \
        in message
    assert "connection 'marketing-eu': group_name is still the template's placeholder" in message
    assert "connection 'product-events': group_id is still the template's placeholder" in message


def filled_prod_template() -> dict[str, Any]:
    config = prod_template()
    for entry in config[f"{PROJECT}:connections"]:
        entry.pop("group_name", None)
        entry["group_id"] = "warehouse_main"
    return config


def test_a_real_account_under_the_dev_passphrase_is_refused(run_program: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "dev-passphrase")
    message = refusal(run_program, filled_prod_template())
    assert "talks to a real Fivetran account (https://api.fivetran.com/v1)" in message
    assert "published dev passphrase" in message and "Nothing was sent" in message

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "the-teams-own-passphrase")
    assert len(run_program(filled_prod_template()).connections()) == 3
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "dev-passphrase")  # the emulator: dummy secrets, fine
    assert len(run_program({**filled_prod_template(), "fivetran:apiUrl": "http://127.0.0.1:9/v1"}).connections()) == 3


def test_a_key_whose_connection_was_removed_is_pointed_out(run_program: Any, caplog: Any) -> None:
    stack_config = copy.deepcopy(dev_stack_config())
    stack_config[f"{PROJECT}:connections"] = [e for e in stack_config[f"{PROJECT}:connections"]
                                               if e["name"] != "marketing-eu"]
    with caplog.at_level(logging.WARNING):
        run_program(stack_config)
    assert "apiKeys.marketing-eu belongs to no connection" in caplog.text
    assert "pulumi config rm --path 'apiKeys.marketing-eu' -s dev" in caplog.text
