"""This package's provider with a gated read (see `gate.py`): what the server serves once it is imported."""

from __future__ import annotations

from typing import Any

import pulumi.dynamic as dynamic
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.gate import pass_gate


class GatedConnectionProvider(IterableConnectionProvider):
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return pass_gate(id_)
