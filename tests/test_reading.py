"""A read's independent requests go out together (`reading.py`): the connection's GET beside its schema config's,
and the column lists a declared column needs beside each other.

The mechanism is pinned without timing: a stand-in client whose answers wait at a gate until the requests that
should be in flight together are (a read that sent them one after the other would break the gate), and, through
the provider against the emulator at a latency, the most requests the emulator saw in flight at once.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pulumi_fivetran_iterable.errors import NotFoundError
from pulumi_fivetran_iterable.reading import SideRequests, read_connection

from tests.support.emulator import Emulator
from tests.test_provider import checked, make_provider, program
from tests.test_schema_config import state

TABLES = {"event": {"enabled": True, "columns": {"ip": {"enabled": True, "hashed": False}}},
          "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}
LIVE = {"schemas": {"iterable": {"tables": {"event": {"enabled": True}, "user_history": {"enabled": True}}}}}


class GatedClient:
    """Answers a read's requests only once `together` of them are in flight at the same time."""

    def __init__(self, together: int, *, gone: bool = False) -> None:
        self.gate = threading.Barrier(together, timeout=10)
        self.gone = gone
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def _arrive(self, what: str) -> None:
        with self._lock:
            self.sent.append(what)
        self.gate.wait()

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        self._arrive("connection")
        if self.gone:
            raise NotFoundError("read connection", "gone", status=404, code="NotFound_Connection")
        return {"id": connection_id}

    def get_schema_config(self, connection_id: str) -> dict[str, Any]:
        self._arrive("schema config")
        if self.gone:
            raise NotFoundError("read schema config", "gone", status=404, code="NotFound_Connection")
        return LIVE

    def get_table_columns(self, connection_id: str, schema: str, table: str) -> dict[str, Any]:
        self._arrive(f"columns of {table}")
        return {}


def test_the_connection_and_its_schema_config_are_read_together() -> None:
    client = GatedClient(together=2)
    found = read_connection(client, "c1", "g", {"tables": {"event": {"enabled": False}}},  # type: ignore[arg-type]
                            SideRequests(4))
    assert found.connection == {"id": "c1"}
    assert found.schema_config == {"tables": {"event": {"enabled": True}}}
    assert sorted(client.sent) == ["connection", "schema config"]


def test_the_column_lists_a_read_needs_are_read_together() -> None:
    client = GatedClient(together=2)  # first the connection and the schema config, then the two tables
    found = read_connection(client, "c1", "g", {"tables": TABLES}, SideRequests(4))  # type: ignore[arg-type]
    assert sorted(client.sent[2:]) == ["columns of event", "columns of user_history"]
    assert found.schema_config == {"tables": {
        "event": {"enabled": True, "columns": {"ip": {"enabled": True, "hashed": False}}},
        "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": False}}}}}


def test_without_a_schema_config_a_read_is_one_request() -> None:
    client = GatedClient(together=1)
    assert read_connection(client, "c1", "g", None, SideRequests(4)).schema_config is None  # type: ignore[arg-type]
    assert client.sent == ["connection"]


def test_a_gone_connection_reads_as_gone_whatever_its_schema_config_answered() -> None:
    client = GatedClient(together=2, gone=True)
    found = read_connection(client, "c1", "g", {"tables": {"event": {"enabled": False}}},  # type: ignore[arg-type]
                            SideRequests(4))
    assert found.connection is None and found.schema_config is None


def test_a_failing_schema_config_read_fails_the_read() -> None:
    class Failing(GatedClient):
        def get_schema_config(self, connection_id: str) -> dict[str, Any]:
            self._arrive("schema config")
            raise NotFoundError("read schema config of connection 'c1'", "no such thing", status=404,
                                code="NotFound_Other")

    with pytest.raises(NotFoundError, match="read schema config"):
        read_connection(Failing(together=2), "c1", "g", {"tables": {}}, SideRequests(4))  # type: ignore[arg-type]


def test_a_refresh_through_the_provider_keeps_both_requests_in_flight(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    news = checked(provider, program(schema_config={"tables": {"list_user_history": {"enabled": False}}}))
    created = provider.create(news)
    emulator.set_latency("0.5")
    try:
        read = provider.read(created.id, state(created.outs))
        report = emulator.latency()
    finally:
        emulator.set_latency("0")
    assert read.outs["schema_config"] == {"tables": {"list_user_history": {"enabled": False}}}
    assert report["peak_in_flight"] == 2  # one after the other would never have two in flight
