"""`/v1/groups`: the destination groups connections load into (seeded with `--group`, read-only here)."""

from __future__ import annotations

from werkzeug.routing import Rule

from .envelope import Call, Reply, decode_cursor, page, page_limit, success
from .store import Store, group_not_found


class Groups:
    def __init__(self, store: Store) -> None:
        self.store = store

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/groups", methods=["GET"], endpoint=self.list_groups),
            Rule("/v1/groups/<group_id>", methods=["GET"], endpoint=self.get_group),
        ]

    def get_group(self, call: Call, group_id: str) -> Reply:
        """`GET /v1/groups/{id}`: `{id, name, created_at}`; 404 `NotFound_Group` for an unknown id."""
        group = self.store.get_group(group_id)
        if group is None:
            raise group_not_found(group_id)
        return success("Group details retrieved successfully", group)

    def list_groups(self, call: Call) -> Reply:
        """`GET /v1/groups?cursor=&limit=`."""
        limit, after = page_limit(call.query), decode_cursor(call.query.get("cursor"))
        groups, next_position = self.store.list_groups(after, limit)
        return success("Groups retrieved successfully", page(groups, next_position))
