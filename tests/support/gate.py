"""Dynamic providers whose reads wait at a gate until `GATE_PARTIES` reads are in flight at once, for tests
that see how many calls the SDK's provider server serves at the same time.

`PlainGatedProvider` is the SDK's server with nothing of this package in it; `gate_ours.GatedConnectionProvider`
is this package's provider (importing it makes the server serve in parallel). The gate gives up after
`GATE_TIMEOUT_S`: then every waiting read fails with `BrokenBarrierError`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pulumi.dynamic as dynamic

PARTIES = int(os.environ.get("GATE_PARTIES", "16"))
TIMEOUT_S = float(os.environ.get("GATE_TIMEOUT_S", "30"))
GATE = threading.Barrier(PARTIES, timeout=TIMEOUT_S)


def pass_gate(id_: str) -> dynamic.ReadResult:
    GATE.wait()
    return dynamic.ReadResult(id_, {"threads": threading.active_count()})


class PlainGatedProvider(dynamic.ResourceProvider):
    serialize_as_secret_always = False

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return pass_gate(id_)
