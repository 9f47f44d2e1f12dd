"""`--db PATH`: connections, groups and the creation history survive a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.emulator.conftest import Api, create_body
from tests.support.emulator import Emulator


def test_a_restart_with_the_same_db_keeps_everything(launch: Callable[..., Emulator], tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite")
    first = launch("--db", db, "--group", "warehouse_main:Main", "--create-limit", "3/60")
    first.add_group("added_later", "Added later")
    api = Api(first)
    created = api.create("persisted", config={"api_key": "itk_kept"})
    patched = api.patch(f"/connections/{created['id']}", {"paused": True}).json()["data"]
    api.create("second")
    first.stop()

    second = launch("--db", db, "--group", "warehouse_main:Main renamed", "--create-limit", "3/60")
    api = Api(second)
    assert api.get(f"/connections/{created['id']}").json()["data"] == patched
    assert api.get("/groups/added_later").json()["data"]["name"] == "Added later"
    assert api.get("/groups/warehouse_main").json()["data"]["name"] == "Main renamed"
    assert api.post(f"/connections/{created['id']}/test", {}).json()["data"]["status"]["setup_state"] == "connected"
    assert api.post("/connections", create_body("persisted")).status_code == 409
    assert api.post("/connections", create_body("third")).status_code == 201
    assert api.post("/connections", create_body("fourth")).status_code == 429  # the window survived too
    assert second.requests()[0]["path"] == f"/v1/connections/{created['id']}"  # the log starts afresh


def test_without_db_data_lives_in_memory(launch: Callable[..., Emulator]) -> None:
    first = launch("--group", "warehouse_main")
    Api(first).create("ephemeral")
    first.stop()
    assert launch("--group", "warehouse_main").connections() == []
