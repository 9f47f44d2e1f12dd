"""An update that fails half-way has the engine record what it wrote (`partial_state`): the facts of the SDK's
provider server and of gRPC this relies on, pinned so that an upgrade that changes one fails here. The behaviour
itself, through the real server and the real CLI, is in `tests/test_interactions.py` and
`tests/cli/test_interactions.py`."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from pulumi.runtime.proto import provider_pb2
from pulumi_fivetran_iterable import partial_state


def server_source() -> str:
    """The SDK's provider server, read (importing it would run it)."""
    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.submodule_search_locations
    return (Path(next(iter(spec.submodule_search_locations))) / "__main__.py").read_text()


def test_the_sdk_update_handler_holds_the_call_context_request_and_news() -> None:
    tree = ast.parse(server_source())
    (handler,) = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "Update"]
    assert [arg.arg for arg in handler.args.args] == ["self", "request", "context"]
    assigned = {target.id for node in ast.walk(handler) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert {"olds", "news"} <= assigned, assigned
    source = ast.get_source_segment(server_source(), handler) or ""
    # The handler serializes a successful update's outputs this way; `record` does the same for a failed one.
    assert "outs[PROVIDER_KEY] = news[PROVIDER_KEY]" in source and "rpc.serialize_properties(outs, {})" in source
    assert 'PROVIDER_KEY = "__provider"' in server_source()
    # Any exception becomes an UNKNOWN status set on the same context, which keeps the trailing metadata.
    assert "context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())" in server_source()


def test_the_status_detail_the_engine_reads_can_be_built() -> None:
    from google.rpc import status_pb2  # installed with pulumi (through its OpenTelemetry exporter)

    fields = {field.name for field in provider_pb2.ErrorResourceInitFailed.DESCRIPTOR.fields}
    assert {"id", "properties", "reasons", "inputs"} <= fields
    assert {field.name for field in status_pb2.Status.DESCRIPTOR.fields} == {"code", "message", "details"}


def test_outside_the_provider_server_nothing_is_recorded() -> None:
    assert partial_state.record({"paused": True}, "an update failed") is False
