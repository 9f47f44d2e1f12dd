"""`fivetran:readByGroup`: a run's reads served from the group's connection list (`group_listing.py`), never a stale
answer, and each group listed once per run."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi_fivetran_iterable.errors import FivetranError, NotFoundError
from pulumi_fivetran_iterable.group_listing import (
    READ_CONFIG_FIELDS,
    READ_FIELDS,
    READ_NEEDS,
    GroupListings,
    differences,
)
from pulumi_fivetran_iterable.payloads import inputs_from_api
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError, outputs

from tests.support.emulator import Emulator
from tests.support.engine import EngineStandIn
from tests.test_provider import checked, make_provider, program

BY_GROUP = {"fivetran:readByGroup": "true"}
LIST_PATH = "/v1/connections"  # with ?group_id=warehouse_main


def with_provider(outs: dict[str, Any]) -> dict[str, Any]:
    return {**outs, "__provider": "serialized"}


def create_many(provider: IterableConnectionProvider, count: int) -> dict[str, dict[str, Any]]:
    """`count` connections made by the provider; their outputs by id."""
    made = {}
    for n in range(count):
        created = provider.create(checked(provider, program(config={"schema": f"iterable_list_{n}"},
                                                            sync_frequency=(60, 120, 360)[n % 3])))
        made[created.id] = with_provider(created.outs)
    return made


def gets(emulator: Emulator, since: int = 0) -> list[str]:
    return [r["path"] for r in emulator.requests()[since:] if r["method"] == "GET"]


# -- through the provider, against the emulator -----------------------------------------------------------------
def test_one_list_serves_every_read_of_a_refresh_with_the_same_answers(emulator: Emulator) -> None:
    made = create_many(make_provider(emulator), 6)
    emulator.create_connection("iterable_someone_elses", "itbl-other-key")  # in the group, not the stack's
    plain, listed = make_provider(emulator), make_provider(emulator, **BY_GROUP)
    expected = {id_: plain.read(id_, outs) for id_, outs in made.items()}
    before = len(emulator.requests())
    with ThreadPoolExecutor(8) as engine:  # the engine's reads arrive together
        found = dict(zip(made, engine.map(lambda item: listed.read(*item), made.items()), strict=True))
    assert gets(emulator, before) == [LIST_PATH]  # one request for six reads, the stranger listed once
    for id_, read in found.items():
        assert (read.id, read.outs, read.inputs) == (expected[id_].id, expected[id_].outs, expected[id_].inputs)


def test_a_write_of_the_run_makes_the_next_read_list_again_and_see_it(emulator: Emulator) -> None:
    provider = make_provider(emulator, **BY_GROUP)
    made = create_many(provider, 2)
    (first, first_outs), (second, second_outs) = made.items()
    before = len(emulator.requests())
    provider.read(first, first_outs)
    news = checked(provider, program(config={"schema": second_outs["config"]["schema"]}, sync_frequency=30))
    provider.update(second, second_outs, news)
    read = provider.read(second, second_outs)
    assert read.outs["sync_frequency"] == 30
    assert gets(emulator, before) == [LIST_PATH, LIST_PATH]


def test_a_connection_the_list_does_not_hold_is_read_with_its_own_get(emulator: Emulator) -> None:
    provider = make_provider(emulator, **BY_GROUP)
    made = create_many(provider, 2)
    (kept, kept_outs), (gone, gone_outs) = made.items()
    emulator.api("DELETE", f"/connections/{gone}")
    before = len(emulator.requests())
    assert provider.read(gone, gone_outs).id is None  # gone: the GET says so, not the list's silence
    assert provider.read(kept, kept_outs).id == kept
    assert gets(emulator, before) == [LIST_PATH, f"/v1/connections/{gone}"]


def test_a_read_with_a_schema_config_still_reads_it(emulator: Emulator) -> None:
    provider = make_provider(emulator, **BY_GROUP)
    news = checked(provider, program(schema_config={"tables": {"list_user_history": {"enabled": False}}}))
    created = provider.create(news)
    before = len(emulator.requests())
    read = provider.read(created.id, with_provider(created.outs))
    assert read.outs["schema_config"] == {"tables": {"list_user_history": {"enabled": False}}}
    assert sorted(gets(emulator, before)) == sorted([LIST_PATH, f"/v1/connections/{created.id}/schemas"])


def test_the_setting_is_checked(emulator: Emulator) -> None:
    provider = make_provider(emulator, **{"fivetran:readByGroup": "yes"})
    with pytest.raises(ProviderError, match="fivetran:readByGroup .* must be true or false, got 'yes'"):
        provider.read("any", with_provider({"group_id": "warehouse_main"}))


def test_off_by_default(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    (id_, outs), = create_many(provider, 1).items()
    before = len(emulator.requests())
    provider.read(id_, outs)
    assert gets(emulator, before) == [f"/v1/connections/{id_}"]


def test_the_engine_passes_the_setting_from_stack_config(emulator: Emulator) -> None:
    config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
              "fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": "0", **BY_GROUP}
    made = create_many(make_provider(emulator), 3)
    with EngineStandIn.start(config) as engine:
        before = len(emulator.requests())
        for n, (id_, outs) in enumerate(made.items()):
            assert engine.read(f"c{n}", id_, {**outs, "__provider": engine.provider_string}, {})[0] == id_
    assert gets(emulator, before) == [LIST_PATH]


# -- what the list must carry -----------------------------------------------------------------------------------
def test_the_emulators_list_items_are_the_connections_themselves(emulator: Emulator) -> None:
    made = create_many(make_provider(emulator), 2)
    status, body = emulator.api("GET", "/groups/warehouse_main/connections")
    assert status == 200
    for item in body["data"]["items"]:
        status, single = emulator.api("GET", f"/connections/{item['id']}")
        assert item["id"] in made and differences(single["data"], item) == []


def test_differences_name_what_a_read_would_see_differently() -> None:
    connection = {"id": "c", "data_delay_sensitivity": "HIGH", "config": {"events": ["a"], "endpoint": "u"}}
    listed = copy.deepcopy(connection)
    listed["data_delay_sensitivity"] = None
    listed["config"]["events"] = ["a", "b"]
    listed["config"]["not_read"] = 1
    assert differences(connection, listed) == ["data_delay_sensitivity", "config.events"]
    assert differences(connection, {k: v for k, v in connection.items() if k != "config"})[-1] == "config"


def test_a_read_takes_nothing_but_the_fields_named(emulator: Emulator) -> None:
    """If the read starts using another field, READ_FIELDS must name it (so `differences` compares it)."""
    provider = make_provider(emulator)
    created = provider.create(checked(provider, program(
        paused=True, sync_frequency=1440, daily_sync_time="03:00",
        config={"sync_mode": "SelectedEvents", "events": ["emailSend"], "webhook_auth_type": "Basic"})))
    status, body = emulator.api("GET", f"/connections/{created.id}")
    full = body["data"]
    trimmed = {key: value for key, value in full.items() if key in READ_FIELDS}
    trimmed["config"] = {key: value for key, value in full["config"].items() if key in READ_CONFIG_FIELDS}
    previous = with_provider(created.outs)
    assert set(full["config"]) - set(trimmed["config"])  # the masked key, at least, is not read
    assert inputs_from_api(trimmed, previous) == inputs_from_api(full, previous)
    assert outputs({}, trimmed, previous) == outputs({}, full, previous)


# -- the rules, with a stand-in client --------------------------------------------------------------------------
def connection(id_: str, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {name: f"{name}-value" for name in READ_NEEDS}
    item.update(id=id_, group_id="g", status={"setup_state": "connected"}, config={"schema": id_}, **changes)
    return item


class StandIn:
    """A client with a group list and single GETs, counting each; `write()` plays a write of the process."""

    def __init__(self, items: list[dict[str, Any]], *, fail_listing: bool = False) -> None:
        self.items = {item["id"]: item for item in items}
        self.fail_listing = fail_listing
        self.listed = 0
        self.got: list[str] = []
        self.mark = [0, 0]
        self.while_listing: Any = None  # called inside the list request
        self._lock = threading.Lock()

    def write_mark(self) -> tuple[int, int]:
        with self._lock:
            return self.mark[0], self.mark[1]

    def write(self, finished: bool = True) -> None:
        with self._lock:
            self.mark[0] += 1
            self.mark[1] += 1 if finished else 0

    def list_connections(self, group_id: str) -> list[dict[str, Any]]:
        with self._lock:
            self.listed += 1
        if self.while_listing:
            self.while_listing()
        if self.fail_listing:
            raise FivetranError("list connections of group 'g'", "forbidden", status=403)
        return [copy.deepcopy(item) for item in self.items.values()]

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            self.got.append(connection_id)
        if connection_id not in self.items:
            raise NotFoundError("read connection", "gone", status=404, code="NotFound_Connection")
        return copy.deepcopy(self.items[connection_id])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock()


def test_an_item_without_what_a_read_needs_is_read_with_its_own_get(clock: Clock) -> None:
    partial = connection("b")
    del partial["data_delay_sensitivity"]
    client = StandIn([connection("a"), partial])
    listings = GroupListings(clock=clock)
    assert listings.read(client, "g", "a") == connection("a")  # type: ignore[arg-type]
    assert listings.read(client, "g", "b") == partial  # type: ignore[arg-type]
    assert (client.listed, client.got) == (1, ["b"])


def test_a_list_older_than_its_age_is_listed_again(clock: Clock) -> None:
    client = StandIn([connection("a")])
    listings = GroupListings(clock=clock, max_age_s=30)
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    clock.now += 30
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    assert client.listed == 1
    client.items["a"]["paused"] = True  # changed in the dashboard meanwhile
    clock.now += 0.1
    assert listings.read(client, "g", "a")["paused"] is True  # type: ignore[arg-type, index]
    assert client.listed == 2


def test_a_write_under_way_while_listing_is_never_trusted(clock: Clock) -> None:
    client = StandIn([connection("a")])
    listings = GroupListings(clock=clock)
    client.while_listing = lambda: client.write(finished=False)  # a PATCH of another thread, not answered yet
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    assert client.got == ["a"]  # the list could not serve it
    client.while_listing = None
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    assert (client.listed, client.got) == (2, ["a", "a"])  # the write is still under way: not trusted either
    client.mark[1] += 1  # the write is answered
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    listings.read(client, "g", "a")  # type: ignore[arg-type]
    assert (client.listed, client.got) == (3, ["a", "a"])


def test_concurrent_reads_wait_for_one_list(clock: Clock) -> None:
    client = StandIn([connection(str(n)) for n in range(8)])
    listings = GroupListings(clock=clock)
    arrived = threading.Barrier(8, timeout=10)
    started = threading.Event()
    client.while_listing = lambda: (started.set(), __import__("time").sleep(0.2))

    def read(n: int) -> dict[str, Any] | None:
        arrived.wait()
        return listings.read(client, "g", str(n))  # type: ignore[arg-type]

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(read, range(8)))
    assert [item["id"] for item in found if item] == [str(n) for n in range(8)]
    assert (client.listed, client.got) == (1, [])


def test_a_group_that_cannot_be_listed_is_not_tried_again_in_the_run(clock: Clock) -> None:
    client = StandIn([connection("a"), connection("b")], fail_listing=True)
    listings = GroupListings(clock=clock)
    assert listings.read(client, "g", "a")["id"] == "a"  # type: ignore[arg-type, index]
    assert listings.read(client, "g", "b")["id"] == "b"  # type: ignore[arg-type, index]
    assert (client.listed, client.got) == (1, ["a", "b"])


def test_answers_are_copies(clock: Clock) -> None:
    client = StandIn([connection("a")])
    listings = GroupListings(clock=clock)
    listings.read(client, "g", "a")["config"]["schema"] = "changed"  # type: ignore[arg-type, index]
    assert listings.read(client, "g", "a")["config"]["schema"] == "a"  # type: ignore[arg-type, index]
