"""The control API under `/__emulator/`: loopback only, no auth, JSON, never logged.

Tests and the quick start use it to seed groups, read the request log, script faults, reset state,
complete Connect Cards and choose whether table-level re-syncs are refused. It acts on the parts of the
running emulator it is given (store, resources, fault book, request log), never on the WSGI app itself.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import rules
from .connections import Connections
from .errors import ApiError, invalid
from .faults import FaultBook, RequestLog, parse_fault
from .ratelimit import HourlyRequests
from .responses import error_response, http_error, json_response
from .schemas import Schemas
from .store import Store

ROUTES = Map(
    [
        Rule("/__emulator/info", methods=["GET"], endpoint="info"),
        Rule("/__emulator/groups", methods=["POST"], endpoint="add_group"),
        Rule("/__emulator/requests", methods=["GET"], endpoint="requests"),
        Rule("/__emulator/faults", methods=["GET"], endpoint="list_faults"),
        Rule("/__emulator/faults", methods=["POST"], endpoint="add_fault"),
        Rule("/__emulator/faults", methods=["DELETE"], endpoint="clear_faults"),
        Rule("/__emulator/reset", methods=["POST"], endpoint="reset"),
        Rule("/__emulator/connect-card/<token>", methods=["POST"], endpoint="complete_card"),
        Rule("/__emulator/external-secrets", methods=["POST"], endpoint="put_secret"),
        Rule("/__emulator/connections/<connection_id>/syncing", methods=["POST"], endpoint="start_sync"),
        Rule("/__emulator/table-resync", methods=["GET"], endpoint="table_resync"),
        Rule("/__emulator/table-resync", methods=["POST"], endpoint="set_table_resync"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class Control:
    """Handlers of the control endpoints, acting on the running emulator's parts."""

    def __init__(self, store: Store, connections: Connections, schemas: Schemas, faults: FaultBook,
                 log: RequestLog, hourly: HourlyRequests, seeded_groups: Sequence[tuple[str, str]],
                 db: str | None = None) -> None:
        self.store = store
        self.connections = connections
        self.schemas = schemas
        self.faults = faults
        self.log = log
        self.hourly = hourly
        self.seeded_groups = list(seeded_groups)
        self.db = db  # the data file, when the emulator keeps one (`--db`)

    def dispatch(self, request: Request) -> Response:
        """Answer one control request (403 unless it comes from the loopback interface)."""
        try:
            if not _is_loopback(request.remote_addr):
                raise ApiError(403, "Forbidden", "Control endpoints answer only on the loopback interface.")
            endpoint, values = ROUTES.bind_to_environ(request.environ).match()
            body = self._body(request)
            status, payload = getattr(self, endpoint)(body, **values)
            return json_response(status, payload)
        except ApiError as error:
            return error_response(error)
        except HTTPException as error:
            return error_response(http_error(error, request))

    @staticmethod
    def _body(request: Request) -> Any:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as error:
            raise invalid(f"The control request body is not valid JSON ({error}).") from None

    def info(self, body: Any) -> tuple[int, Any]:
        """`GET /__emulator/info`: which emulator answers here (its process id and data file), so a script that
        finds a port taken can tell its own emulator from someone else's."""
        return 200, {"pid": os.getpid(), "db": os.path.abspath(self.db) if self.db else None}

    def add_group(self, body: Any) -> tuple[int, Any]:
        """`POST /__emulator/groups {"id", "name"}`: add (or rename) a destination group."""
        group_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(group_id, str) or not group_id.strip():
            raise invalid('Field \'id\' is required: the group id, e.g. {"id": "warehouse_main"}.')
        name = body.get("name") or group_id
        if not isinstance(name, str):
            raise invalid("Invalid value for 'name': use a string.")
        return 201, {"code": "Success", "data": self.store.put_group(group_id, name, rules.timestamp())}

    def requests(self, body: Any) -> tuple[int, Any]:
        """`GET /__emulator/requests`: every `/v1` request since start or reset."""
        return 200, {"items": self.log.items()}

    def list_faults(self, body: Any) -> tuple[int, Any]:
        """`GET /__emulator/faults`: the faults still armed."""
        return 200, {"items": self.faults.pending()}

    def add_fault(self, body: Any) -> tuple[int, Any]:
        """`POST /__emulator/faults`: arm a fault for the next `count` matching `/v1` requests."""
        fault = parse_fault(body)
        self.faults.add(fault)
        return 201, {"code": "Success", "data": fault.to_json()}

    def clear_faults(self, body: Any) -> tuple[int, Any]:
        """`DELETE /__emulator/faults`: disarm every fault."""
        self.faults.clear()
        return 200, {"code": "Success", "message": "All faults cleared"}

    def reset(self, body: Any) -> tuple[int, Any]:
        """`POST /__emulator/reset`: forget connections, faults, rate-limit history, the log, added groups, and
        go back to the command line's choice about table-level re-syncs."""
        # These first: a request waiting out a fault sees the reset before it can touch the new store.
        self.faults.clear()
        self.log.clear()
        self.hourly.clear()
        self.schemas.table_resync_supported = self.schemas.table_resync_supported_at_start
        self.store.reset(self.seeded_groups, rules.timestamp())
        return 200, {"code": "Success", "message": "Emulator state reset"}

    def complete_card(self, body: Any, token: str) -> tuple[int, Any]:
        """`POST /__emulator/connect-card/{token} {"api_key"}`: complete a Connect Card; setup tests run."""
        api_key = body.get("api_key") if isinstance(body, dict) else None
        connection = self.connections.complete_connect_card(token, api_key)
        return 200, {"code": "Success", "message": "Connect Card completed", "data": connection}

    def put_secret(self, body: Any) -> tuple[int, Any]:
        """`POST /__emulator/external-secrets {"manager_id", "name", "value"}`: put a secret in a customer's
        external secrets manager, as its owner would; connections that name it read their key from there."""
        fields = {name: body.get(name) if isinstance(body, dict) else None for name in ("manager_id", "name", "value")}
        for name, value in fields.items():
            if not isinstance(value, str) or not value:
                raise invalid(f"Field '{name}' is required: a non-empty string (manager_id, name, value).")
        self.store.put_secret(fields["manager_id"], fields["name"], fields["value"])
        return 201, {"code": "Success", "message": f"Secret '{fields['name']}' stored in '{fields['manager_id']}'"}

    def start_sync(self, body: Any, connection_id: str) -> tuple[int, Any]:
        """`POST /__emulator/connections/{id}/syncing {"seconds"}`: a sync of the connection runs for that long
        (its `sync_state` is `syncing`, and a re-sync meanwhile is refused with 409)."""
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise invalid("Field 'seconds' is required: how long the sync runs, in seconds (0 ends it).")

        def run(current: dict[str, Any]) -> dict[str, Any]:
            current["sync_until"] = time.time() + seconds
            return current

        self.connections.update("connections", connection_id, run)
        return 200, {"code": "Success", "message": f"Connection '{connection_id}' syncs for {seconds} s"}

    def table_resync(self, body: Any) -> tuple[int, Any]:
        """`GET /__emulator/table-resync`: whether re-syncs of single tables are accepted now."""
        return 200, {"supported": self.schemas.table_resync_supported}

    def set_table_resync(self, body: Any) -> tuple[int, Any]:
        """`POST /__emulator/table-resync {"supported": false}`: refuse re-syncs of single tables from now on, as
        Fivetran refuses them for connector types without table-level re-sync (true accepts them again)."""
        supported = body.get("supported") if isinstance(body, dict) else None
        if not isinstance(supported, bool):
            raise invalid("Field 'supported' is required: true to accept re-syncs of single tables, false to refuse "
                          "them with 400 as an unsupported connector type.")
        self.schemas.table_resync_supported = supported
        return 200, {"supported": supported}
