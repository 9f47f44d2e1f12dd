"""`/v1/connections` (and the legacy `/v1/connectors`): create, read, update, delete and list connections,
their setup tests, syncs, Connect Cards and state.

Each operation takes an already authenticated, parsed request (`Call`) and returns a `Reply` in Fivetran's
envelope, or raises `ApiError`. HTTP concerns (auth, headers, routing, faults) live in `app.py`.
"""

from __future__ import annotations

import time
from typing import Any

from werkzeug.routing import Rule

from . import ids, rules, setup_tests
from .catalog import capture_schema
from .envelope import KIND, Call, Reply, decode_cursor, noun, optional_object, page, page_limit, require_object, success
from .errors import ApiError, invalid
from .fields import SERVICE, boolean, reject_unknown, validate_card_config
from .ratelimit import CreateLimit
from .store import Record, Store, group_not_found


class Connections:
    """The connection operations over one store."""

    def __init__(self, store: Store, create_limit: CreateLimit | None, api_key: str) -> None:
        self.store = store
        self.create_limit = create_limit
        self.connected_by = ids.user_id_for_key(api_key)

    def rules(self) -> list[Rule]:
        one = f"/v1/{KIND}/<connection_id>"
        return [
            Rule(f"/v1/{KIND}", methods=["GET"], endpoint=self.list),
            Rule(f"/v1/{KIND}", methods=["POST"], endpoint=self.create),
            Rule(one, methods=["GET"], endpoint=self.get),
            Rule(one, methods=["PATCH"], endpoint=self.patch),
            Rule(one, methods=["DELETE"], endpoint=self.delete),
            Rule(f"{one}/test", methods=["POST"], endpoint=self.test),
            Rule(f"{one}/sync", methods=["POST"], endpoint=self.sync),
            Rule(f"{one}/force", methods=["POST"], endpoint=self.sync),
            Rule(f"{one}/connect-card", methods=["POST"], endpoint=self.connect_card),
            Rule(f"{one}/state", methods=["GET"], endpoint=self.get_state),
            Rule(f"{one}/state", methods=["PATCH"], endpoint=self.patch_state),
            Rule(f"/v1/groups/<group_id>/{KIND}", methods=["GET"], endpoint=self.list_in_group),
        ]

    # -- shared -------------------------------------------------------------------------------------------------
    def not_found(self, kind: str, connection_id: str) -> ApiError:
        name = noun(kind)
        return ApiError(
            404,
            f"NotFound_{name}",
            f"{name} with id '{connection_id}' does not exist. Check the id, or find the connection with "
            "GET /v1/connections?group_id=<group>&schema=<schema>.",
        )

    def load(self, kind: str, connection_id: str) -> Record:
        record = self.store.get_connection(connection_id)
        if record is None:
            raise self.not_found(kind, connection_id)
        return record

    def update(self, kind: str, connection_id: str, change: Any) -> Record:
        record = self.store.update_connection(connection_id, change)
        if record is None:
            raise self.not_found(kind, connection_id)
        return record

    def run_setup_tests(self, record: Record) -> Record:
        """The setup tests, with the key wherever it lives: in the config, or in an external secrets manager."""
        where = rules.key_from_secrets_manager(record)
        if where is None:
            return setup_tests.run(record, record["config"].get("api_key"))
        manager_id, name = where
        key = self.store.get_secret(manager_id, name)
        missing = None if key is not None else (
            f"The external secrets manager '{manager_id}' holds no secret named '{name}'. Store the Iterable API "
            "key there under that name, or correct 'external_secrets_keys_config.api_key'.")
        return setup_tests.run(record, key, missing)

    def _known_manager(self, values: dict[str, Any]) -> None:
        manager_id = values.get("external_secrets_manager_id")
        if manager_id is not None and not self.store.has_secrets_manager(manager_id):
            raise ApiError(404, "NotFound_ExternalSecretsManager",
                           f"External secrets manager with id '{manager_id}' does not exist. Check "
                           "'external_secrets_manager_id' (GET /v1/external-secrets-managers).")

    # -- connections ---------------------------------------------------------------------------------------------
    def create(self, call: Call, kind: str) -> Reply:
        """`POST /v1/connections`: 201 with the new connection, setup tests run unless switched off."""
        create = rules.validate_create(require_object(call, '{"service": "iterable", "group_id": ..., "config": ...}'))
        self._known_manager(create.fields)
        record = rules.new_record(
            create, connected_by=self.connected_by, created_at=rules.timestamp(), endpoint=ids.webhook_endpoint()
        )
        card_config = create.fields.get("connect_card_config")
        if card_config is not None:
            record["connect_card"] = rules.connect_card(ids.card_token(), card_config)
        if create.run_setup_tests:  # asked for (the default) and run, also without a key: they fail then
            record = self.run_setup_tests(record)
        record = self.store.create_connection(record, self.create_limit, time.time())
        return success(f"{noun(kind)} has been created", rules.render(record), status=201)

    def get(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`GET /v1/connections/{id}`."""
        record = self.load(kind, connection_id)
        return success(f"{noun(kind)} details retrieved successfully", rules.render(record))

    def patch(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`PATCH /v1/connections/{id}`: shallow config merge, setup tests unless `run_setup_tests` is false."""
        body = require_object(call, '{"paused": true}')

        def change(current: Record) -> Record:
            patch = rules.validate_patch(body, current)
            self._known_manager(patch.fields)
            updated = rules.apply_patch(current, patch)
            return self.run_setup_tests(updated) if patch.run_setup_tests else updated

        record = self.update(kind, connection_id, change)
        return success(f"{noun(kind)} has been updated", rules.render(record))

    def delete(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`DELETE /v1/connections/{id}`: 200 with a message naming the id."""
        if not self.store.delete_connection(connection_id):
            raise self.not_found(kind, connection_id)
        return success(f"{noun(kind)} with id '{connection_id}' has been deleted")

    def list(self, call: Call, kind: str) -> Reply:
        """`GET /v1/connections?group_id=&schema=&cursor=&limit=`."""
        data = self._list(call, call.query.get("group_id"))
        return success(f"{noun(kind)}s list retrieved successfully", data)

    def list_in_group(self, call: Call, kind: str, group_id: str) -> Reply:
        """`GET /v1/groups/{id}/connections?schema=&cursor=&limit=`; 404 for an unknown group."""
        if self.store.get_group(group_id) is None:
            raise group_not_found(group_id)
        return success(f"Group {noun(kind).lower()}s retrieved successfully", self._list(call, group_id))

    def _list(self, call: Call, group_id: str | None) -> dict[str, Any]:
        limit, after = page_limit(call.query), decode_cursor(call.query.get("cursor"))
        records, next_position = self.store.list_connections(group_id, call.query.get("schema"), after, limit)
        return page([rules.render(r) for r in records], next_position)

    def test(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST /v1/connections/{id}/test`: runs the setup tests; a body (`{}` is fine) is required."""
        body = require_object(call, '{} or {"trust_certificates": true}')
        reject_unknown(body, {"trust_certificates", "trust_fingerprints"})
        for name, value in body.items():
            if value is not None:
                boolean(name, value)
        record = self.update(kind, connection_id, self.run_setup_tests)
        return success("Setup tests have been completed", rules.render(record))

    def sync(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST .../sync` (`{"force": bool}`, optional) and legacy `POST .../force`: a sync, done at once."""
        body = optional_object(call, '{"force": true}')
        reject_unknown(body, {"force"})
        if body.get("force") is not None:
            boolean("force", body["force"])

        def finish_sync(current: Record) -> Record:
            # The emulator syncs instantly: connected connections succeed (and their source schema is read, if
            # it was not yet), others fail.
            if current["status"]["setup_state"] == "connected":
                current["succeeded_at"] = rules.timestamp()
                current["status"]["is_historical_sync"] = False
                capture_schema(current)
            else:
                current["failed_at"] = rules.timestamp()
            return current

        self.update(kind, connection_id, finish_sync)
        return success(f"Sync has been successfully triggered for {noun(kind).lower()} with id '{connection_id}'")

    def connect_card(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`POST /v1/connections/{id}/connect-card`: issue a fresh Connect Card token and URI."""
        body = require_object(call, '{"connect_card_config": {"redirect_uri": "https://example.com/done"}}')
        reject_unknown(body, {"connect_card_config"})
        card_config = validate_card_config(body.get("connect_card_config"))

        def issue(current: Record) -> Record:
            current["connect_card_config"] = card_config
            current["connect_card"] = rules.connect_card(ids.card_token(), card_config)
            return current

        record = self.update(kind, connection_id, issue)
        data = {
            "connection_id": connection_id,
            "connector_id": connection_id,
            "connect_card": record["connect_card"],
            "connect_card_config": record["connect_card_config"],
        }
        return success("Connect Card has been created", data)

    def complete_connect_card(self, token: str, api_key: Any) -> Record:
        """Play the person completing a Connect Card: store the key, run the setup tests, return the view."""
        if not isinstance(api_key, str) or not api_key.strip():
            raise invalid("Field 'api_key' is required: the Iterable API key the person enters in the card.")
        connection_id = self.store.find_by_card_token(token)
        if connection_id is None:
            raise ApiError(404, "NotFound_ConnectCard", f"No Connect Card has token '{token}'.")

        def complete(current: Record) -> Record:
            current["config"]["api_key"] = api_key
            return self.run_setup_tests(current)

        return rules.render(self.update("connections", connection_id, complete))

    # -- state ---------------------------------------------------------------------------------------------------
    def get_state(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`GET /v1/connections/{id}/state`: only Function and Connector SDK connections keep a state there."""
        raise self._stateless(kind, connection_id)

    def patch_state(self, call: Call, kind: str, connection_id: str) -> Reply:
        """`PATCH /v1/connections/{id}/state`: likewise 400 for an Iterable connection."""
        raise self._stateless(kind, connection_id)

    def _stateless(self, kind: str, connection_id: str) -> ApiError:
        # 400, as Fivetran's current reference page for the state endpoints answers a connection that has no state
        # management (older pages, and the OpenAPI definition's list of statuses, also name 405 for it).
        self.load(kind, connection_id)  # an unknown id is a 404 first
        return ApiError(400, "NotFunctionConnector",
                        f"{noun(kind)} '{connection_id}' is of service '{SERVICE}', which does not support state "
                        "management; only Function and Connector SDK connectors support this operation.")
