"""A stand-in for the Pulumi engine: it starts `python -m pulumi.dynamic` as the CLI does (from the
repository root) and drives it over gRPC with the call sequences of the real engine.

The provider is pickled by the real `pulumi.dynamic.Resource` path; values go over the wire as protobuf
Structs, secrets already stripped (the Python provider server does not accept secrets), unknowns as the
engine's sentinel string.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.emulator import REPO_ROOT
from tests.support.failures import split

TYPE = "pulumi-python:dynamic/fivetran:IterableConnection"
PROJECT = "iterable-connections"
UNKNOWN = rpc.UNKNOWN


def serialized_provider(provider: ResourceProvider | None = None) -> str:
    """The `__provider` string exactly as `pulumi.dynamic.Resource` makes it (of this package's provider unless
    another is given)."""
    text, _ = _serialize(True, serialize_provider, provider or IterableConnectionProvider())
    return text


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def partial_outputs(error: grpc.RpcError) -> dict[str, Any] | None:
    """The outputs a failed call asked the engine to record (an `ErrorResourceInitFailed` in its status details,
    as the engine reads them), or None: then the engine keeps the state it had."""
    from google.rpc import status_pb2

    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                failed = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(failed):
                    return from_struct(failed.properties)
    return None


def urn(name: str) -> str:
    return f"urn:pulumi:test::{PROJECT}::{TYPE}::{name}"


@dataclass
class CheckReply:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass(frozen=True)
class Logged:
    """A diagnostic the provider sent to the engine's `Log` service."""

    severity: str
    urn: str
    message: str


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The engine's own gRPC service, as far as a provider uses it: `Log`, recorded."""

    def __init__(self) -> None:
        self.logged: list[Logged] = []

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        self.logged.append(Logged(engine_pb2.LogSeverity.Name(request.severity), request.urn, request.message))
        return empty_pb2.Empty()


@dataclass
class EngineStandIn:
    """One provider process, as the engine runs one per deployment, started with the address of an engine
    service that records what the provider logs (as the CLI passes its own address)."""

    process: subprocess.Popen[str]
    stub: provider_pb2_grpc.ResourceProviderStub
    channel: grpc.Channel
    engine_server: grpc.Server
    engine_log: _EngineLog
    printed: list[str] = field(default_factory=list)
    provider_string: str = field(default_factory=serialized_provider)

    @property
    def logged(self) -> list[Logged]:
        return list(self.engine_log.logged)

    def warnings(self, name: str | None = None) -> list[str]:
        """The warnings logged for the resource `name` (for any resource when None)."""
        return [entry.message for entry in self.logged
                if entry.severity == "WARNING" and (name is None or entry.urn == urn(name))]

    @classmethod
    def start(cls, config: dict[str, str], env: dict[str, str] | None = None,
              provider: ResourceProvider | None = None) -> EngineStandIn:
        engine_log = _EngineLog()
        engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(engine_log, engine_server)
        engine_port = engine_server.add_insecure_port("127.0.0.1:0")
        engine_server.start()
        environment = {**os.environ, "PULUMI_PROJECT": PROJECT, **(env or {})}
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", f"127.0.0.1:{engine_port}"],
            cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        engine = cls(process=process, stub=provider_pb2_grpc.ResourceProviderStub(channel), channel=channel,
                     engine_server=engine_server, engine_log=engine_log,
                     provider_string=serialized_provider(provider))
        threading.Thread(target=engine._drain, daemon=True).start()
        engine.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(config), acceptSecrets=True,
                                                            acceptResources=True))
        return engine

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.printed.append(line)

    def printed_text(self, containing: str, timeout: float = 10.0) -> str:
        """What the provider printed, once `containing` is in it (or the timeout passed): its lines arrive on a
        thread of their own, after the gRPC reply that caused them."""
        deadline = time.monotonic() + timeout
        while containing not in "".join(self.printed) and time.monotonic() < deadline:
            time.sleep(0.02)
        return "".join(self.printed)

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.engine_server.stop(0)

    def __enter__(self) -> EngineStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the gRPC calls, with `__provider` added as the engine does ---------------------------------------
    def _with_provider(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": self.provider_string} if props else {}

    def check(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> CheckReply:
        reply = self.stub.Check(provider_pb2.CheckRequest(
            urn=urn(name), type=TYPE, olds=to_struct(self._with_provider(olds)),
            news=to_struct(self._with_provider(news))))
        return CheckReply(from_struct(reply.inputs), [split(f) for f in reply.failures])

    def diff(self, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
             old_inputs: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self.stub.Diff(provider_pb2.DiffRequest(
            id=id_, urn=urn(name), type=TYPE, olds=to_struct(olds), news=to_struct(news),
            old_inputs=to_struct(old_inputs)))

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        reply = self.stub.Create(provider_pb2.CreateRequest(urn=urn(name), type=TYPE, properties=to_struct(inputs)))
        return reply.id, from_struct(reply.properties)

    def update(self, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
               old_inputs: dict[str, Any]) -> dict[str, Any]:
        reply = self.stub.Update(provider_pb2.UpdateRequest(
            id=id_, urn=urn(name), type=TYPE, olds=to_struct(olds), news=to_struct(news),
            old_inputs=to_struct(old_inputs)))
        return from_struct(reply.properties)

    def read(self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
             ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        reply = self.stub.Read(provider_pb2.ReadRequest(
            id=id_, urn=urn(name), type=TYPE, properties=to_struct(outputs), inputs=to_struct(inputs)))
        return reply.id, from_struct(reply.properties), from_struct(reply.inputs)

    def delete(self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(
            id=id_, urn=urn(name), type=TYPE, properties=to_struct(outputs), old_inputs=to_struct(old_inputs)))

    def import_read(self, name: str, id_: str) -> provider_pb2.ReadResponse:
        """What `pulumi import` does: Read with an id and nothing else."""
        return self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=urn(name), type=TYPE))
