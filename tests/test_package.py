"""The installed package's public face: its names, enums, types, what importing it loads, and the provider
reference every stack's state holds (and the upgrade of the one stacks made by 0.1 hold)."""

from __future__ import annotations

import ast
import copy
import enum
import inspect
import json
import subprocess
import sys
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pulumi
import pulumi_fivetran_iterable as package
import pytest
from pulumi.runtime import rpc
from pulumi_fivetran_iterable import enums
from pulumi_fivetran_iterable.group import DestinationGroupProvider
from pulumi_fivetran_iterable.provider import COMPUTED_OUTPUTS, IterableConnectionProvider
from pulumi_fivetran_iterable.registration import serialized
from pulumi_fivetran_iterable.upgrade import pickled_elsewhere, upgrade_state

from tests.support.legacy import CONNECTION_PROVIDER, GROUP_PROVIDER, old_provider_string
from tests.test_provider import make_provider, program

PUBLIC = ("IterableConnection", "IterableConnectionArgs", "IterableConfigArgs", "IterableConfigArgsDict",
          "DestinationGroup", "IterableConnectionProvider", "SchemaConfigArgs", "TableConfigArgs",
          "ColumnConfigArgs", "ResyncArgs")


def test_the_public_names_import_from_the_package_root() -> None:
    for name in PUBLIC:
        assert name in package.__all__ and getattr(package, name) is not None, name
    assert package.__version__ == "0.2.0"


def test_every_args_class_enum_and_output_shape_is_exported_from_the_root() -> None:
    """A user imports from `pulumi_fivetran_iterable` only: nothing public may need a submodule path."""
    from pulumi_fivetran_iterable import args, outputs

    public = {name for module in (args, enums, outputs) for name, value in vars(module).items()
              if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_")}
    assert public <= set(package.__all__), sorted(public - set(package.__all__))
    assert all(getattr(package, name) is not None for name in package.__all__)


def test_version_is_kept_in_one_place() -> None:
    pyproject = (Path(package.__file__).parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "pulumi_fivetran_iterable.version.__version__" in pyproject
    assert "0.2.0" not in pyproject


ENUMS = [(value, getattr(enums, f"{name}Literal")) for name, value in vars(enums).items()
         if isinstance(value, type) and issubclass(value, enum.StrEnum) and value is not enum.StrEnum]


@pytest.mark.parametrize(("enum", "literal"), ENUMS, ids=[e.__name__ for e, _ in ENUMS])
def test_each_enum_is_a_str_enum_with_a_literal_twin_of_the_same_values(enum: type, literal: object) -> None:
    assert issubclass(enum, str)
    assert typing.get_args(literal) == tuple(member.value for member in enum)


def test_enum_members_are_accepted_wherever_the_string_is(emulator) -> None:
    provider = make_provider(emulator)
    as_enums = provider.check({}, program(
        schedule_type=package.ScheduleType.MANUAL,
        config={"account_region": package.AccountRegion.EU, "sync_mode": package.SyncMode.SELECTED_EVENTS,
                "events": ["emailOpen"], "historical_sync_limit": package.HistoricalSyncLimit.ALL_TIME}))
    as_strings = provider.check({}, program(
        schedule_type="manual",
        config={"account_region": "EU", "sync_mode": "SelectedEvents", "events": ["emailOpen"]}))
    assert as_enums.failures == [] and as_enums.inputs == as_strings.inputs
    assert json.dumps(as_enums.inputs)  # plain JSON values, as the engine needs


def test_every_output_and_input_has_a_typed_attribute() -> None:
    """For type checkers: the annotations sit under `if TYPE_CHECKING:` (Pulumi would evaluate runtime ones for
    every resource), so they are read from the source."""
    (cls,) = ast.parse(inspect.getsource(package.IterableConnection)).body
    assert isinstance(cls, ast.ClassDef)
    (block,) = [node for node in cls.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    annotations = {node.target.id: ast.unparse(node.annotation) for node in block.body
                   if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)}
    inputs = {f.name for f in fields(package.IterableConnectionArgs)}
    assert set(COMPUTED_OUTPUTS) | inputs <= set(annotations)
    assert all(annotation.startswith("pulumi.Output[") for annotation in annotations.values())
    assert not vars(package.IterableConnection).get("__annotations__")  # nothing for Pulumi to evaluate


def test_the_provider_names_the_service_as_the_model_does() -> None:
    from pulumi_fivetran_iterable import model, provider

    assert provider.SERVICE == model.SERVICE == "iterable"


def test_the_provider_records_the_key_source_where_the_key_source_model_reads_it() -> None:
    from pulumi_fivetran_iterable import key_source, provider

    assert provider.KEY_SOURCE_OUTPUT == key_source.KEY_SOURCE_OUTPUT == "key_source"


def test_an_input_left_out_reads_as_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_fivetran_iterable.resource import _default_of

    declared = {"group_id": "g", "config": {"schema": "s", "api_key": "k"}, "sync_frequency": 1440}
    assert _default_of("paused", declared) is False
    assert _default_of("daily_sync_time", declared) == "00:00"  # follows the declared frequency
    assert _default_of("daily_sync_time", {**declared, "sync_frequency": 60}) is None
    assert _default_of("setup_test_policy", {}) == "fail"


def test_importing_the_package_loads_no_emulator_test_or_benchmark_code(tmp_path: Path) -> None:
    code = ("import sys, pulumi_fivetran_iterable\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"fivetran_emulator", "tests", "bench", "werkzeug", "hypothesis", "pytest"}, loaded
    # What only the provider process needs (validation, the HTTP client) is imported there, on first use:
    # a program pays for `pulumi` and a few small modules, not for pydantic and requests.
    assert not loaded & {"pydantic", "pydantic_core", "requests", "urllib3"}, loaded


# -- the provider reference in the state, and upgrading a 0.1 state ----------------------------------------


def test_this_packages_references_are_current_and_0_1_references_are_not() -> None:
    for provider_class in (IterableConnectionProvider, DestinationGroupProvider):
        assert not pickled_elsewhere({"__provider": serialized(provider_class)})
    for old in (CONNECTION_PROVIDER, GROUP_PROVIDER):
        assert pickled_elsewhere({"__provider": old_provider_string(old)})
    assert not pickled_elsewhere({}) and not pickled_elsewhere({"__provider": "not base64!"})


def exported_0_1_state() -> dict[str, Any]:
    def resource(kind: str, old: str) -> dict[str, Any]:
        props = {"name": "x", "__provider": old_provider_string(old)}
        return {"type": f"pulumi-python:dynamic/fivetran:{kind}", "inputs": dict(props), "outputs": dict(props)}

    other = {"type": "pulumi-python:dynamic:Resource", "inputs": {"__provider": old_provider_string("mine.P")}}
    return {"version": 3, "deployment": {"resources": [
        {"type": "pulumi:pulumi:Stack", "outputs": {}},
        resource("IterableConnection", CONNECTION_PROVIDER), resource("DestinationGroup", GROUP_PROVIDER), other]}}


def test_upgrading_a_0_1_state_rewrites_only_this_packages_references() -> None:
    state = exported_0_1_state()
    untouched = copy.deepcopy(state["deployment"]["resources"][3])

    assert upgrade_state(state) == 4
    _, connection, group, other = state["deployment"]["resources"]
    for resource, provider_class in ((connection, IterableConnectionProvider), (group, DestinationGroupProvider)):
        for side in ("inputs", "outputs"):
            assert resource[side] == {"name": "x", "__provider": serialized(provider_class)}
    assert other == untouched, "another program's dynamic resources are not ours to touch"
    assert upgrade_state(state) == 0, "a second run changes nothing"


def test_the_upgrade_command_rewrites_the_exported_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(exported_0_1_state()))
    done = subprocess.run([sys.executable, "-m", "pulumi_fivetran_iterable.upgrade", str(path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "rewrote 4 provider reference(s)" in done.stdout and "pulumi stack import --file" in done.stdout
    assert upgrade_state(json.loads(path.read_text())) == 0


# -- args: values are passed on as given -------------------------------------------------------------------


class EchoMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.name] = args.inputs
        return f"{args.name}_id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def test_config_args_take_outputs_and_the_key_travels_as_a_secret() -> None:
    """`IterableConfigArgs(api_key=config.require_secret(...))` must not deep-copy the Output (it raised
    "`__getstate__` can only be called during serialization" in 0.1)."""
    mocks = EchoMocks()
    pulumi.runtime.set_mocks(mocks, project="typed", stack="test", preview=False)
    key = pulumi.Output.secret("itbl-key-from-config")
    schema = pulumi.Output.from_input("iterable_from_output")
    connection = package.IterableConnection("typed", package.IterableConnectionArgs(
        group_id="warehouse_main",
        config=package.IterableConfigArgs(schema=schema, api_key=key, account_region=package.AccountRegion.EU),
        connect_card_config=package.ConnectCardConfigArgs(redirect_uri="https://example.com/done")))

    def check(values: list[Any]) -> None:
        config, card = values
        sent = mocks.inputs["typed"]
        assert rpc._special_secret_sig in json.dumps(sent["config"]), "the key must be registered as a secret"
        assert rpc.unwrap_rpc_secret(sent["config"]) == {
            "schema": "iterable_from_output", "api_key": "itbl-key-from-config", "account_region": "EU"}
        assert sent["connect_card_config"] == {"redirect_uri": "https://example.com/done"}
        assert config["api_key"] == "itbl-key-from-config" and card == {"redirect_uri": "https://example.com/done"}

    pulumi.runtime.test(lambda: pulumi.Output.all(connection.config, connection.connect_card_config).apply(check))()
