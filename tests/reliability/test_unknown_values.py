"""Values not known at preview, property-based: the provider's one rule for them (`validation.check_inputs`) never
invents an error and never drops a real one.

A value is unknown during `pulumi preview` when it is the output of a resource not created yet. The provider
judges what is known, leaves what is unknown for `up`, and validates again then. Two properties, over the
programs of `test_bad_input.py`:

- never invent: a valid program (`valid_inputs`) with any set of its values made unknown (leaves, list elements,
  whole objects, in both forms the engine uses) passes `check`;
- never drop: an invalid program (one rule of `RULES` broken) with values made unknown that the rule cannot
  depend on still fails, naming the path the rule names. What a rule may depend on is said without trusting the
  code under test: every top-level input the mutation that broke the rule wrote (recorded as it writes them:
  the input it breaks and each one it sets to make the rule apply), and the input the failure names. Only
  values inside the other top-level inputs are made unknown.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.reliability.record import BAD_INPUT, scenario
from tests.reliability.support import PROVIDER_STRING
from tests.reliability.test_bad_input import RULES, Rule, names_field, valid_inputs
from tests.support.failures import by_path, paths

VALID_EXAMPLES = 1000
INVALID_EXAMPLES = 2000

Path = tuple[str | int, ...]
# The two forms of a value not known yet: the SDK's object, and the raw sentinel of the wire protocol.
UNKNOWNS = st.sampled_from(["object", "sentinel"])


def _unknown(form: str) -> Any:
    return Unknown() if form == "object" else rpc.UNKNOWN


def value_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a property bag that may hold a value: each object member and list element, at any depth
    (so whole objects and lists too)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*prefix, key)
        yield from value_paths(item, (*prefix, key))


def with_unknowns(props: dict[str, Any], chosen: list[tuple[Path, str]]) -> dict[str, Any]:
    """`props` with the value at each chosen path made unknown (a path inside one made unknown already is gone
    with it)."""
    out = copy.deepcopy(props)
    for path, form in sorted(chosen, key=lambda item: len(item[0])):
        target: Any = out
        for part in path[:-1]:
            if not isinstance(target, dict | list) or (isinstance(target, dict) and part not in target):
                break
            target = target[part]
        else:
            if isinstance(target, dict | list):
                target[path[-1]] = _unknown(form)
    return out


def _display(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def check(props: dict[str, Any]) -> list[Any]:
    """What `pulumi preview` asks the provider: `check`, with the inputs as the engine sends them."""
    return IterableConnectionProvider().check({}, {**props, "__provider": PROVIDER_STRING}).failures


@st.composite
def unknown_choice(draw: st.DrawFn, candidates: list[Path]) -> list[tuple[Path, str]]:
    if not candidates:
        return []
    return [(path, draw(UNKNOWNS)) for path in draw(st.sets(st.sampled_from(candidates), max_size=8))]


# -- never invent ------------------------------------------------------------------------------------------------


@st.composite
def valid_with_unknowns(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[Path, str]]]:
    props = draw(valid_inputs())
    return props, draw(unknown_choice(list(value_paths(props))))


def test_unknown_values_in_a_valid_program_never_invent_an_error() -> None:
    count = 0

    @settings(max_examples=VALID_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=valid_with_unknowns())
    def never_invent(case: tuple[dict[str, Any], list[tuple[Path, str]]]) -> None:
        nonlocal count
        props, chosen = case
        assert check(props) == [], "the program itself must be valid"
        failures = check(with_unknowns(props, chosen))
        unknown = sorted(_display(path) for path, _ in chosen)
        assert failures == [], f"unknown {unknown} invented {by_path(failures)} in {props!r}"
        count += 1

    with scenario(BAD_INPUT, "unknown values: a valid program with any values unknown passes check") as sc:
        never_invent()
        sc.notes["examples"] = count
    assert count == VALID_EXAMPLES


# -- never drop --------------------------------------------------------------------------------------------------


class WriteRecorder(dict):  # type: ignore[type-arg]
    """A property bag that notes every top-level input a mutation writes (sets, creates or removes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.written.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.written.add(key)
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.written.add(key)
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.written.add(key)
        return super().pop(key, *default)


@st.composite
def invalid_with_unknowns(draw: st.DrawFn) -> tuple[Rule, dict[str, Any], str, list[tuple[Path, str]]]:
    """A valid program with one rule broken, the path the failure must name, and values made unknown only in
    top-level inputs the mutation did not write and the failure does not name."""
    rule = draw(st.sampled_from(RULES))
    props = WriteRecorder(copy.deepcopy(draw(valid_inputs())))
    path = rule.mutate(draw, props) or rule.path
    depends_on = props.written | {path.split(".", 1)[0].split("[", 1)[0]}
    candidates = [p for p in value_paths(dict(props)) if p[0] not in depends_on]
    return rule, dict(props), path, draw(unknown_choice(candidates))


def test_unknown_values_elsewhere_never_drop_a_real_error() -> None:
    count = 0

    @settings(max_examples=INVALID_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(case=invalid_with_unknowns())
    def never_drop(case: tuple[Rule, dict[str, Any], str, list[tuple[Path, str]]]) -> None:
        nonlocal count
        rule, props, path, chosen = case
        assert any(names_field(p, path) for p in paths(check(props))), f"{rule.name}: not broken in {props!r}"
        named = paths(check(with_unknowns(props, chosen)))
        unknown = sorted(_display(p) for p, _ in chosen)
        assert any(names_field(p, path) for p in named), (
            f"{rule.name}: with {unknown} unknown, the failure naming {path} was dropped ({named}) in {props!r}")
        count += 1

    with scenario(BAD_INPUT, "unknown values: an invalid program keeps its error when other inputs are unknown") as sc:
        never_drop()
        sc.notes["examples"] = count
    assert count == INVALID_EXAMPLES
