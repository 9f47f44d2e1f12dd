"""`/v1/destinations/{id}`: the destination of a group (a group's id is its destination's id).

Every seeded group has one destination, the same for all (a choice of the emulator, see README): a connected
Snowflake warehouse whose connection settings are not the emulator's to know, so its `config` holds only
masked placeholders.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from .envelope import Call, Reply, success
from .errors import ApiError
from .store import Store


def destination_of(group: dict[str, Any]) -> dict[str, Any]:
    """The destination of a group, as `GET /v1/destinations/{id}` shows it."""
    return {
        "id": group["id"],
        "group_id": group["id"],
        "service": "snowflake",
        "region": "GCP_US_EAST4",
        "time_zone_offset": "0",
        "setup_status": "connected",
        "daylight_saving_time_enabled": False,
        "networking_method": "Directly",
        "setup_tests": [],
        "config": {"host": "emulated-account.snowflakecomputing.com", "port": 443, "database": "fivetran",
                   "auth": "PASSWORD", "user": "fivetran_user", "password": "******"},
    }


class Destinations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def rules(self) -> list[Rule]:
        return [Rule("/v1/destinations/<destination_id>", methods=["GET"], endpoint=self.get_destination)]

    def get_destination(self, call: Call, destination_id: str) -> Reply:
        """`GET /v1/destinations/{id}`; 404 `NotFound_Destination` when no group has that id."""
        group = self.store.get_group(destination_id)
        if group is None:
            raise ApiError(404, "NotFound_Destination", f"Destination with id '{destination_id}' does not exist. A "
                                                        "destination's id is its group's id (GET /v1/groups).")
        return success(None, destination_of(group))
