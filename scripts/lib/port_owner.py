"""Who answers on a loopback port: nobody, this clone's emulator, another Fivetran emulator, or another program.

The quick start's scripts ask before they start the emulator, so that two clones never share one emulator's data
and a port taken by something else is named instead of failing later.

    python3 scripts/lib/port_owner.py PORT OUR_DB_FILE

prints one line: `free`, `ours PID` (an emulator keeping its data in OUR_DB_FILE), `emulator PID DB` (another
Fivetran emulator: its process id and data file, `-` when unknown or in memory), or `taken`.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.error
import urllib.request
from typing import Any


def owner(port: int, our_db: str) -> str:
    info = _emulator_info(port)
    if info is not None:
        pid, db = info.get("pid", "-"), info.get("db")
        if db and os.path.realpath(db) == os.path.realpath(our_db):
            return f"ours {pid}"
        return f"emulator {pid} {db or '-'}"
    return "taken" if _listening(port) else "free"


def _emulator_info(port: int) -> dict[str, Any] | None:
    """The emulator's `/__emulator/info`, `{}` for an emulator too old to have it, None for anything else."""
    base = f"http://127.0.0.1:{port}/__emulator"
    try:
        with urllib.request.urlopen(f"{base}/info", timeout=2) as reply:
            info = json.loads(reply.read())
            return info if isinstance(info, dict) else None
    except urllib.error.HTTPError:
        pass
    except (OSError, ValueError):
        return None
    try:
        with urllib.request.urlopen(f"{base}/requests", timeout=2):
            return {}
    except (OSError, ValueError):
        return None


def _listening(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:PORT, or holds the address so that nothing else can bind it."""
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as probe:
        # SO_REUSEADDR as the emulator's server has it: connections closing (TIME_WAIT) do not make a port taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


if __name__ == "__main__":
    print(owner(int(sys.argv[1]), sys.argv[2]))
