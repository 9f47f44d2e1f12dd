"""The diff rules, without HTTP: no-op, update, replacement, unknowns, secret rotation, defaults."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi_fivetran_iterable.diffing import declared_inputs, plan_diff
from pulumi_fivetran_iterable.payloads import canonical_inputs
from pulumi_fivetran_iterable.provider import is_unknown
from pulumi_fivetran_iterable.validation import parse_spec


def canonical(**overrides: Any) -> dict[str, Any]:
    config = {"schema": "iterable_a", "api_key": "key-1", **overrides.pop("config", {})}
    spec, errors = parse_spec({"group_id": "warehouse_main", "config": config, **overrides})
    assert spec is not None, errors
    return canonical_inputs(spec)


def as_outputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the state holds after create: inputs echoed beside computed outputs and the provider."""
    return {**inputs, "connection_id": "abc", "status": {"setup_state": "connected"}, "__provider": "x"}


def test_unchanged_program_has_no_changes() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(), is_unknown)
    assert not plan.has_changes and plan.replaces == ()


def test_declaring_a_default_explicitly_is_not_a_change() -> None:
    explicit = canonical(sync_frequency=360.0, paused=False, config={"account_region": "US"})
    assert not plan_diff(declared_inputs(as_outputs(canonical())), explicit, is_unknown).has_changes


def test_provider_and_computed_outputs_are_never_compared() -> None:
    old = as_outputs(canonical())
    old["__provider"] = "something-else"
    old["status"] = {"setup_state": "broken"}
    assert not plan_diff(declared_inputs(old), canonical(), is_unknown).has_changes


def test_schedule_change_is_an_update() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(sync_frequency=60), is_unknown)
    assert plan.changed == ("sync_frequency",) and plan.replaces == ()


def test_schema_change_replaces() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(config={"schema": "iterable_b"}),
                     is_unknown)
    assert plan.replaces == ("config.schema",)


def test_group_change_replaces() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(group_id="warehouse_eu"), is_unknown)
    assert plan.replaces == ("group_id",)


def test_api_key_rotation_is_an_update_compared_input_to_input() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(config={"api_key": "key-2"}), is_unknown)
    assert plan.changed == ("config.api_key",) and plan.replaces == ()


def test_unknown_mutable_value_is_a_possible_update() -> None:
    new = canonical()
    new["paused"] = Unknown()
    plan = plan_diff(declared_inputs(as_outputs(canonical())), new, is_unknown)
    assert plan.changed == ("paused",) and plan.replaces == ()


def test_unknown_immutable_value_is_a_possible_replacement() -> None:
    new = canonical()
    new["group_id"] = Unknown()
    assert plan_diff(declared_inputs(as_outputs(canonical())), new, is_unknown).replaces == ("group_id",)
    new = canonical()
    new["config"] = Unknown()
    assert "config.schema" in plan_diff(declared_inputs(as_outputs(canonical())), new, is_unknown).replaces


def test_project_options_are_updates_without_replacement() -> None:
    plan = plan_diff(declared_inputs(as_outputs(canonical())), canonical(setup_test_policy="warn"), is_unknown)
    assert plan.changed == ("setup_test_policy",) and plan.replaces == ()
