"""A program with well over a thousand connections registers: the provider is serialized once per program.

Pulumi's Python SDK pickles a dynamic resource's provider for every resource and, doing so, wraps pickle's dict
writer once more each time without unwrapping it, so plain `pulumi.dynamic.Resource`s fail past about 970 in
one program (`RecursionError`). Each case runs in a fresh interpreter under `pulumi.runtime.set_mocks`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

MOCKED_PROGRAM = textwrap.dedent("""
    import pulumi
    import pulumi.dynamic as dynamic


    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return [args.name + "-id", args.inputs]

        def call(self, args):
            return {}


    pulumi.runtime.set_mocks(Mocks(), preview=False)
    from pulumi_fivetran_iterable import DestinationGroup, IterableConnection, IterableConnectionArgs


    class Plain(dynamic.ResourceProvider):
        serialize_as_secret_always = False


    class PlainResource(dynamic.Resource):
        def __init__(self, name):
            super().__init__(Plain(), name, {})


    @pulumi.runtime.test
    def program():
        made = [MAKE(i) for i in range(COUNT)]
        return pulumi.Output.all(*[r.urn for r in made[-3:]]).apply(lambda urns: print("registered", len(made)))


    program()
""")


def run(make: str, count: int) -> subprocess.CompletedProcess[str]:
    code = MOCKED_PROGRAM.replace("MAKE", make).replace("COUNT", str(count))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


def test_fifteen_hundred_connections_and_groups_register() -> None:
    done = run('(lambda i: IterableConnection(f"c{i}", IterableConnectionArgs(group_id="g", config={"schema": '
               'f"s{i}", "api_key": "k"})) if i % 100 else DestinationGroup(f"g{i}", name="Main"))', 1500)
    assert done.returncode == 0 and "registered 1500" in done.stdout, done.stderr[-3000:]


@pytest.mark.parametrize("count", [1500])
def test_plain_dynamic_resources_still_fail_there(count: int) -> None:
    """The SDK behaviour this works around (positive control: when Pulumi fixes it, this fails, and the
    workaround in `registration.py` can go)."""
    done = run('(lambda i: PlainResource(f"p{i}"))', count)
    assert done.returncode != 0 and "RecursionError" in done.stdout + done.stderr, done.stdout[-500:]
