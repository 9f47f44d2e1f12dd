"""Reads served from the group's connection list: one request per 1,000 connections instead of one each.

Fivetran lists a group's connections, up to 1,000 per page (`GET /v1/connections?group_id=...`, the list this
provider already uses to find a connection by group and schema), and its OpenAPI definition declares the list's
items with the same connection objects as `GET /v1/connections/{id}`,
`config` included (`ConnectorResponse` against `ConnectorResponseV1`; the list does not mark
`data_delay_sensitivity` and `service_version` as always present). With `fivetran:readByGroup: true`, the
first read of a run in a group lists the group, and the reads after it take their connection from that list:
a refresh of 1,000 connections in one group sends one request instead of 1,000 (a schema config is still one
GET per connection: Fivetran lists none).

Never a stale answer:
- The list is this run's (a provider process serves one engine run) and at most `MAX_AGE_S` old, so an
  answer is never older than what a GET sent at the time of the list would have said, and a preview of many
  connections sees one moment of Fivetran rather than a moment per connection.
- It counts only if no write of this process (any POST, PATCH or DELETE, of any thread) was under way while
  it was fetched or has started since (`FivetranClient.write_mark`): after a write, the next read lists again.
- Only reads use it; creates, adoptions and the checks inside an update always ask Fivetran directly.
- An item that lacks anything a read needs (`READ_NEEDS`), or a connection the list does not hold (deleted,
  or listed elsewhere), is read with its own GET, which also tells a connection gone from one never listed.

Never more than needed of others: a group is listed once per run (again only after a write or `MAX_AGE_S`),
so the connections of other stacks and tools in it are read once, not once per read; a group that cannot
be listed is not tried again in the run.

Why it is off by default: the real API's list items are not verified to carry the same values as the
single GET (the emulator's do). `differences` names what differs between the two answers for one
connection; the acceptance suite against a real account settles it, and then the default can change.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .client import FivetranClient
from .errors import FivetranError, NotFoundError

MAX_AGE_S = 30.0

# What a read takes from Fivetran's answer (`payloads.inputs_from_api` and the provider's `outputs`); a test
# pins that the read depends on nothing else.
READ_FIELDS = (
    "id", "group_id", "service", "service_version", "schema", "connected_by", "created_at", "succeeded_at",
    "failed_at", "paused", "pause_after_trial", "sync_frequency", "daily_sync_time", "schedule_type", "schedule",
    "data_delay_sensitivity", "data_delay_threshold", "networking_method", "proxy_agent_id", "private_link_id",
    "hybrid_deployment_agent_id", "destination_configuration", "destination_schema_names",
    "external_secrets_manager_id", "external_secrets_keys_config", "status", "setup_tests", "connect_card",
    "config",
)
READ_CONFIG_FIELDS = (
    "schema", "account_region", "sync_mode", "events", "custom_event_sync_mode", "custom_events",
    "historical_sync_limit", "historical_sync_limit_date", "historic_sync_time_frame", "webhook_auth_type",
    "endpoint", "project_type", "webhook_secret",
)
# What a listed item must hold to stand in for the GET: what the GET's definition requires, with `config`.
READ_NEEDS = (
    "id", "group_id", "service", "service_version", "schema", "created_at", "paused", "pause_after_trial",
    "sync_frequency", "schedule_type", "data_delay_sensitivity", "status", "config",
)


def carries_what_a_read_needs(item: Mapping[str, Any]) -> bool:
    """Whether a listed connection holds everything a read takes from a GET of it."""
    return (all(name in item for name in READ_NEEDS) and isinstance(item.get("config"), Mapping)
            and isinstance(item.get("status"), Mapping))


def differences(from_get: Mapping[str, Any], from_list: Mapping[str, Any]) -> list[str]:
    """The fields a read uses whose values differ between the GET of a connection and its list item, by path
    (`config.events`); empty when the list item can stand in for the GET. For the acceptance suite."""
    found = [name for name in READ_FIELDS if name != "config" and from_get.get(name) != from_list.get(name)]
    get_config, list_config = from_get.get("config") or {}, from_list.get("config") or {}
    found += [f"config.{name}" for name in READ_CONFIG_FIELDS if get_config.get(name) != list_config.get(name)]
    if "config" in from_get and "config" not in from_list:
        found.append("config")
    return found


@dataclass(frozen=True)
class _Listing:
    items: dict[str, dict[str, Any]]  # by connection id
    listed_at: float
    mark: tuple[int, int]  # the client's write mark while it was fetched


class GroupListings:
    """The connection lists of the groups this run reads, shared by the process's threads."""

    def __init__(self, *, max_age_s: float = MAX_AGE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        self._changed = threading.Condition()
        self._listings: dict[str, _Listing] = {}
        self._listing_now: set[str] = set()  # groups some thread is listing
        self._unlistable: set[str] = set()

    def read(self, client: FivetranClient, group_id: str | None, connection_id: str) -> dict[str, Any] | None:
        """The connection as Fivetran shows it, from the group's list when it may stand in for a GET, else from
        a GET; None when the connection no longer exists."""
        listing = self._listing(client, group_id) if group_id else None
        item = listing.items.get(connection_id) if listing is not None else None
        if item is not None and carries_what_a_read_needs(item):
            return copy.deepcopy(item)
        try:
            return client.get_connection(connection_id)
        except NotFoundError:
            return None

    def _listing(self, client: FivetranClient, group_id: str) -> _Listing | None:
        waited = False
        with self._changed:
            while True:
                if group_id in self._unlistable:
                    return None
                current = self._listings.get(group_id)
                if current is not None and self._fresh(current, client):
                    return current
                if group_id not in self._listing_now:
                    if waited:
                        return None  # the list this read waited for cannot serve it (a write came): a GET will
                    self._listing_now.add(group_id)
                    break
                self._changed.wait()  # another thread is listing this group: its list serves this read too
                waited = True
        listing: _Listing | None = None
        try:
            mark = client.write_mark()
            listed_at = self._clock()
            items = client.list_connections(group_id)
            if client.write_mark() == mark and mark[0] == mark[1]:
                listing = _Listing({str(item.get("id")): item for item in items}, listed_at, mark)
        except FivetranError:
            with self._changed:
                self._unlistable.add(group_id)  # not allowed, or gone: GETs serve this run's reads
        finally:
            with self._changed:
                self._listing_now.discard(group_id)
                if listing is not None:
                    self._listings[group_id] = listing
                self._changed.notify_all()
        return listing

    def _fresh(self, listing: _Listing, client: FivetranClient) -> bool:
        return listing.mark == client.write_mark() and self._clock() - listing.listed_at <= self.max_age_s
