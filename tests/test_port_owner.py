"""Who answers on a port, as the quick start's scripts ask before they start the emulator
(scripts/lib/port_owner.py): nobody, this clone's emulator (its data file), another emulator, another program."""

from __future__ import annotations

import socket
from pathlib import Path
from types import ModuleType

from tests.support.clone import free_port
from tests.support.emulator import start_emulator
from tests.support.modules import module_at


def port_owner() -> ModuleType:
    return module_at("scripts/lib/port_owner.py")


def test_each_kind_of_owner_is_told_apart(tmp_path: Path) -> None:
    owner = port_owner().owner
    ours = tmp_path / "ours.db"
    assert owner(free_port(), str(ours)) == "free"
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        assert owner(other_program.getsockname()[1], str(ours)) == "taken"
    with start_emulator("--db", str(ours)) as emulator:
        assert owner(int(emulator.root_url.rsplit(":", 1)[1]), str(ours)) == f"ours {emulator.process.pid}"
    elsewhere = tmp_path / "elsewhere.db"
    with start_emulator("--db", str(elsewhere)) as emulator:
        port = int(emulator.root_url.rsplit(":", 1)[1])
        assert owner(port, str(ours)) == f"emulator {emulator.process.pid} {elsewhere}"
    with start_emulator() as emulator:  # in memory
        assert owner(int(emulator.root_url.rsplit(":", 1)[1]), str(ours)) == f"emulator {emulator.process.pid} -"
