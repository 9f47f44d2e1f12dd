"""Every problem of every connection a program declares, shown at once where the program declares them (under
`pulumi.runtime.set_mocks`): each problem on its resource's URN, worded as the engine words a failed check, then
the program ends (exit status 32). Values the program holds as Outputs are left to the provider's check. That
nothing reaches the engine is shown through the real CLI, in a project installed from wheels
(tests/cli/test_own_program.py): the mocked runtime's harness awaits every registration before it lets the program
end, the real one does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import engine_pb2
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs
from pulumi_fivetran_iterable.program_check import EXIT_ERROR_SHOWN, InvalidConnections

TYPE = "pulumi-python:dynamic/fivetran:IterableConnection"
KEY = "itbl-canary-program-check-7d21"


@dataclass
class Run:
    """What a program run under mocks showed and registered."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (urn, message)
    registered: list[str] = field(default_factory=list)
    ended: InvalidConnections | None = None


class _Engine:
    def __init__(self, run: Run) -> None:
        self._run = run

    def Log(self, request: Any) -> None:  # noqa: N802 (the engine's gRPC method name)
        if request.severity == engine_pb2.ERROR:
            self._run.errors.append((request.urn, request.message))


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, run: Run) -> None:
        self._run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self._run.registered.append(args.name)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def run_program(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], None]], Run]]:
    loops: list[asyncio.AbstractEventLoop] = []

    def run(program: Callable[[], None]) -> Run:
        # A loop of its own: a program that ends part-way leaves its loop mid-task, and no other test may share it.
        loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(loops[-1])
        loops[-1].set_exception_handler(_quiet_about_the_end)
        result = Run()
        runtime_settings.ROOT.set(None)
        pulumi.runtime.set_mocks(_Mocks(result), project="data-platform", stack="dev", preview=True)
        monkeypatch.setattr(runtime_settings, "get_engine", lambda: _Engine(result))

        @pulumi.runtime.test
        def body() -> Any:
            program()
            return pulumi.Output.from_input(None)

        try:
            body()
        except InvalidConnections as ended:
            result.ended = ended
        return result

    previous = asyncio.get_event_loop_policy().get_event_loop()
    try:
        yield run
    finally:
        for loop in loops:  # what the ended program left pending, cancelled, so nothing is reported at exit
            asyncio.set_event_loop(loop)
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
        asyncio.set_event_loop(previous)


def _quiet_about_the_end(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The task the program ended in holds its `InvalidConnections`, which nobody retrieves: that is the point."""
    if not isinstance(context.get("exception"), InvalidConnections):
        loop.default_exception_handler(context)


def connection(name: str, **inputs: Any) -> IterableConnection:
    config = {"schema": name.replace("-", "_"), "api_key": KEY, **inputs.pop("config", {})}
    return IterableConnection(name, IterableConnectionArgs(group_id="warehouse_main", config=config, **inputs))


def urn(name: str) -> str:
    return f"urn:pulumi:dev::data-platform::{TYPE}::{name}"


def test_every_problem_of_every_connection_shows_on_its_resource_and_nothing_is_registered(
        run_program: Callable[[Callable[[], None]], Run]) -> None:
    def program() -> None:
        connection("bad-events", config={"sync_mode": "SelectedEvents"})
        connection("bad-region", sync_frequency=45, config={"account_region": "XX"})
        connection("fine", sync_frequency=60)
        connection("bad-date", config={"historical_sync_limit": "DATE_LIMIT"})

    run = run_program(program)

    prefix = f"{TYPE} resource '{{}}' has a problem: "
    assert run.errors == [
        (urn("bad-events"), prefix.format("bad-events") + "config.events: must list at least one event when "
         "config.sync_mode is SelectedEvents; list the events to sync, or set config.sync_mode to AllEvents"),
        (urn("bad-region"), prefix.format("bad-region") + "config.account_region: must be one of US, EU (got 'XX')"),
        (urn("bad-region"), prefix.format("bad-region") + "sync_frequency: must be one of 1, 5, 15, 30, 60, 120, 180, "
         "360, 480, 720, 1440 (minutes), got 45"),
        (urn("bad-date"), prefix.format("bad-date") + "config.historical_sync_limit_date: is required when "
         "config.historical_sync_limit is DATE_LIMIT; set the first day to sync, for example '2024-01-01'"),
        ("", "4 problems in 3 IterableConnection resources, each shown with its resource; nothing was changed"),
    ]
    assert run.ended is not None and run.ended.code == EXIT_ERROR_SHOWN
    assert not any(KEY in message for _, message in run.errors)


def test_a_valid_program_shows_nothing_and_registers_everything(
        run_program: Callable[[Callable[[], None]], Run]) -> None:
    def program() -> None:
        connection("marketing", sync_frequency=60, config={"sync_mode": "SelectedEvents", "events": ["emailSend"]})
        connection("archive", paused=True, schema_config={"tables": {"list_user_history": {"enabled": False}}})

    run = run_program(program)

    assert run.errors == [] and run.ended is None
    assert sorted(run.registered) == ["archive", "marketing"]


def test_values_the_program_holds_as_outputs_are_left_to_the_provider(
        run_program: Callable[[Callable[[], None]], Run]) -> None:
    """An Output's value is not the program's to read where it declares the connection: the provider's check
    judges it when the engine knows it. What the program does hold is still judged, around it."""

    def program() -> None:
        connection("from-output", sync_frequency=pulumi.Output.from_input(45))
        connection("events-from-output", config={"sync_mode": "SelectedEvents",
                                                 "events": ["emailSend", pulumi.Output.from_input("")]})
        connection("around-output", sync_frequency=pulumi.Output.from_input(60), config={"account_region": "XX"})

    run = run_program(program)

    assert [(u, m.split("has a problem: ")[1]) for u, m in run.errors[:-1]] == [
        (urn("around-output"), "config.account_region: must be one of US, EU (got 'XX')")]
    assert run.ended is not None


def test_connections_declared_inside_an_apply_are_judged_too(
        run_program: Callable[[Callable[[], None]], Run]) -> None:
    def program() -> None:
        def declare(_: str) -> None:
            connection("later-a", sync_frequency=47)
            connection("later-b", sync_frequency=48)

        pulumi.Output.from_input("known").apply(declare)

    run = run_program(program)

    assert [u for u, _ in run.errors] == [urn("later-a"), urn("later-b"), ""]
    assert run.ended is not None and "2 problems in 2 IterableConnection resources" in str(run.ended)


def test_under_a_component_the_problems_show_on_the_stack_naming_the_resource(
        run_program: Callable[[Callable[[], None]], Run]) -> None:
    def program() -> None:
        team = pulumi.ComponentResource("acme:data:Team", "marketing-team")
        IterableConnection("nested", IterableConnectionArgs(
            group_id="warehouse_main", sync_frequency=45, config={"schema": "nested", "api_key": KEY}),
            pulumi.ResourceOptions(parent=team))

    run = run_program(program)

    assert run.errors[0] == ("", f"{TYPE} resource 'nested' has a problem: sync_frequency: must be one of 1, 5, 15, "
                                 "30, 60, 120, 180, 360, 480, 720, 1440 (minutes), got 45")
