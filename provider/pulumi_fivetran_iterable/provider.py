"""The dynamic provider of `IterableConnection`: what the engine calls in the provider process.

It translates between Pulumi property bags and the model once, at the edge, and leaves the Fivetran calls
to `operations`. It is pickled into the state by reference (`pulumi_fivetran_iterable.provider`
`IterableConnectionProvider`) and holds nothing when pickled: credentials and the HTTP client exist only in
the provider process, created in `configure` and on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi.dynamic as dynamic
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .diagnostics import inform, show_plain_errors, warn
from .enums import WebhookAuthType
from .server_threads import SERVER_WORKERS, serve_calls_in_parallel

if TYPE_CHECKING:
    from .client import FivetranClient
    from .group_listing import GroupListings
    from .reading import SideRequests
    from .settings import ProviderSettings

# The program process imports this module too (the resource pickles a reference to the provider class), but
# only the provider process runs its methods: what they need (pydantic, requests, the rules, the client) is
# imported there, on first use, so `import pulumi_fivetran_iterable` in a program stays cheap.

SERVICE = "iterable"  # as `model.SERVICE`, which this module does not import (a test keeps them equal)
# Outputs Fivetran computes; every input is echoed into the outputs beside them.
COMPUTED_OUTPUTS = (
    "connection_id",
    "service",
    "service_version",
    "schema",
    "connected_by",
    "created_at",
    "succeeded_at",
    "failed_at",
    "status",
    "setup_tests",
    "webhook_endpoint",
    "project_type",
    "connect_card_uri",
    "webhook_secret",
)
# Computed outputs that only their owner may read: the engine keeps them encrypted.
SECRET_OUTPUTS = ("connect_card_uri", "webhook_secret")
# Webhook authentication types for which Fivetran gives the Iterable side a `webhook_secret`.
WEBHOOK_AUTH_WITH_SECRET = (WebhookAuthType.BASIC, WebhookAuthType.OAUTH2)
STATUS_FIELDS = ("setup_state", "sync_state", "update_state", "is_historical_sync", "tasks", "warnings")
# Where the key Fivetran holds came from (`key_source.KEY_SOURCE_OUTPUT`): recorded in the state's outputs for
# the provider's own decisions, not registered as a program output (every registered output costs each program
# run its share: see the README's performance notes).
KEY_SOURCE_OUTPUT = "key_source"


def is_unknown(value: Any) -> bool:
    """True for a value that is not known yet (preview): the SDK's `Unknown`, or the raw sentinel."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


class ProviderError(Exception):
    """An error shown to the user as is: it names the operation or field, the cause and the fix."""


# In the provider process, the engine shows a ProviderError's message rather than a Python traceback, and as
# many calls are served at once as the engine sends (`--parallel`), not the SDK server's four.
show_plain_errors(ProviderError)
serve_calls_in_parallel()


class IterableConnectionProvider(dynamic.ResourceProvider):
    """Create, read, update and delete Fivetran connections of service `iterable`."""

    # The pickle is a constant reference to this class with no state, so it needs no encryption.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._init_process_state()

    def _init_process_state(self) -> None:
        self._settings: ProviderSettings | None = None  # from `configure`; without it, the environment alone
        self._client: FivetranClient | None = None
        # The threads a read's side requests run on, and (with fivetran:readByGroup) this run's group lists.
        self._readers_made: tuple[SideRequests, GroupListings | None] | None = None
        self._lock = threading.Lock()
        # Connections adopted by a resource in this run: a resource the same run deletes (a rename) must not
        # delete them. One provider process serves every resource of a run.
        self._adopted: set[str] = set()

    # The provider is pickled into the state: keep it a bare class reference, whatever it holds at runtime.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._init_process_state()

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        from .settings import ProviderSettings

        self._settings = ProviderSettings.load(req.config.get)
        with self._lock:
            self._client = self._readers_made = None

    @property
    def client(self) -> FivetranClient:
        """The process's one client, created on first use (the engine calls from as many threads as its
        `--parallel`)."""
        with self._lock:
            if self._client is None:
                try:
                    self._client = self._current_settings().client()
                except Exception as error:
                    raise ProviderError(str(error)) from None
            return self._client

    def _readers(self) -> tuple[SideRequests, GroupListings | None]:
        """The threads a read's side requests run on, and this run's group lists when the settings allow them."""
        from .group_listing import GroupListings
        from .reading import SideRequests

        with self._lock:
            if self._readers_made is None:
                try:
                    by_group = self._current_settings().reads_by_group()
                except ValueError as error:
                    raise ProviderError(str(error)) from None
                self._readers_made = SideRequests(SERVER_WORKERS), GroupListings() if by_group else None
            return self._readers_made

    def _current_settings(self) -> ProviderSettings:
        from .settings import ProviderSettings

        return self._settings or ProviderSettings()

    # -- check and diff: no network --------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        from .diffing import declared_inputs
        from .validation import check_inputs

        declared = declared_inputs(news)
        inputs, errors = check_inputs(declared, is_unknown)
        # Resource-level failures, the path leading the reason: the engine prints a failure's `property` with its
        # value looked up as a top-level input, so a nested path (`config.events`) would print as `{<nil>}`.
        failures = [dynamic.CheckFailure("", str(error)) for error in errors]
        for warning in self._event_warnings(declared):  # as declared: the indexes are the program's
            warn(warning)
        return dynamic.CheckResult(inputs, failures)

    @staticmethod
    def _event_warnings(declared: Mapping[str, Any]) -> list[str]:
        """Warnings for the known names in `config.events` that are not Iterable event types (never an error)."""
        from .catalog import event_name_warnings

        config = declared.get("config")
        events = config.get("events") if isinstance(config, Mapping) else None
        if not isinstance(events, list | tuple):
            return []
        return event_name_warnings([None if is_unknown(name) else name for name in events])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        from .diffing import declared_inputs, key_verdict, plan_diff, plan_warnings

        old, new = self._state(olds), declared_inputs(news)
        plan = plan_diff(old, new, is_unknown)
        if plan.has_changes and not plan.replaces and not _holds_unknowns(new):
            refused, _ = key_verdict(id_, olds, old, new)
            if refused:
                raise ProviderError(f"update connection '{id_}': {refused}")
        for warning in plan_warnings(id_, olds, old, new, plan):
            warn(warning)
        return dynamic.DiffResult(changes=plan.has_changes, replaces=list(plan.replaces),
                                  delete_before_replace=plan.delete_first)

    # -- create, read, update, delete ------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        from . import operations

        desired = self._validated("create", props)
        created = self._call("create connection", operations.create, self.client, desired)
        data = created.connection
        if created.adopted:
            with self._lock:
                self._adopted.add(data["id"])
        for notice in created.notices:
            inform(self._redact(notice))
        held = {**desired, "schema_config": created.schema_config}
        return dynamic.CreateResult(data["id"], outputs(held, data, previous={}, key_source=created.key_source))

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        from .payloads import inputs_from_api
        from .reading import read_connection

        state = self._state(props)
        side, listings = self._readers()
        found = self._call(f"read connection '{id_}'", read_connection, self.client, id_, state.get("group_id"),
                           state.get("schema_config"), side, listings)
        data = found.connection
        if data is None:
            return dynamic.ReadResult(None, {})  # gone: refresh drops it, the next `up` creates it again
        inputs = inputs_from_api(data, previous=state)
        inputs["schema_config"] = found.schema_config
        inputs = {key: value for key, value in inputs.items() if value is not None}
        return dynamic.ReadResult(id_, outputs(inputs, data, previous=props), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        from . import operations

        desired = self._validated("update", news)

        def update_recording_what_was_written() -> operations.Updated:
            try:
                return operations.update(self.client, id_, olds, self._state(olds), desired)
            except operations.PartlyUpdated as partly:
                held = {**partly.reached, "schema_config": partly.written.schema_config}
                reached = outputs(held, partly.written.data or {}, previous=olds,
                                  key_source=partly.written.key_source)
                raise _PartlyWritten(partly.error, reached) from None

        updated = self._call(f"update connection '{id_}'", update_recording_what_was_written)
        for notice in updated.notices:
            inform(self._redact(notice))
        held = {**desired, "schema_config": updated.schema_config}
        return dynamic.UpdateResult(outputs(held, updated.connection or {}, previous=olds,
                                            key_source=updated.key_source))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with self._lock:
            adopted = id_ in self._adopted
        if adopted:
            # Another resource of this run took the connection over (a rename with adopt_existing): deleting
            # the old resource only drops it from the state.
            inform(f"connection '{id_}' is now managed by the resource that adopted it; not deleted")
            return
        from . import operations

        self._call(f"delete connection '{id_}'", operations.delete, self.client, id_)

    # -- helpers -----------------------------------------------------------------------------------------
    @staticmethod
    def _state(props: Mapping[str, Any]) -> dict[str, Any]:
        """The declared inputs of the state's outputs, in the same canonical form as checked news."""
        from .diffing import declared_inputs
        from .validation import canonical_state

        return canonical_state(declared_inputs(props), is_unknown)

    @staticmethod
    def _validated(operation: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Validate again at apply time: values unknown during preview are known now."""
        from .diffing import declared_inputs
        from .validation import check_inputs

        inputs, errors = check_inputs(declared_inputs(props), is_unknown)
        if errors:
            raise ProviderError(f"{operation}: invalid inputs: " + "; ".join(str(e) for e in errors))
        return inputs

    def _call(self, operation: str, function: Any, *args: Any) -> Any:
        """Run an operation; any failure surfaces as one clear line, redacted like the client's errors."""
        from . import partial_state, schema_operations
        from .errors import FivetranError, IterableConnectionError

        reached: Mapping[str, Any] | None = None
        try:
            return function(*args)
        except _PartlyWritten as partly:
            message, reached = f"{operation}: {partly.error}", partly.outputs
        except (IterableConnectionError, schema_operations.ResyncRefusedError, ProviderError) as error:
            message = f"{operation}: {error}"
        except FivetranError as error:
            # Its message starts with the operation it was doing; say ours only when that was a step of it.
            message = f"{error}" if error.operation == operation else f"{operation}: {error}"
        except Exception as error:  # a bug of ours: name it plainly rather than show a wall of frames
            message = f"{operation}: unexpected {type(error).__name__}: {error}"
        finally:
            self._tell_request_limit()
        message = self._redact(message)
        if reached is not None:
            partial_state.record(reached, message)  # the state holds what was written, not what was before
        raise ProviderError(message) from None

    def _tell_request_limit(self) -> None:
        """Warn, on the resource whose call this is, about this run's share of the account's request limit."""
        with self._lock:
            client = self._client
        for notice in client.request_limit.notices() if client is not None else ():
            warn(notice)

    def _redact(self, text: str) -> str:
        with self._lock:
            client = self._client
        return client.redact(text) if client is not None else text


class _PartlyWritten(Exception):
    """An update failed after writing part of the change: its error, and the outputs that describe what Fivetran
    holds now."""

    def __init__(self, error: Exception, outputs: Mapping[str, Any]) -> None:
        super().__init__(str(error))
        self.error, self.outputs = error, outputs


def _holds_unknowns(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_holds_unknowns(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_unknowns(item) for item in value)
    return is_unknown(value)


def outputs(inputs: Mapping[str, Any], data: Mapping[str, Any], previous: Mapping[str, Any],
            key_source: str | None = None) -> dict[str, Any]:
    """The resource's outputs: the declared inputs echoed, plus what Fivetran computes, plus where the key came
    from (`key_source`, for the provider's own decisions).

    Computed values missing from `data` (an update that needed no API call) are carried over from the
    previous outputs, and so is the key source when none is given (a read: reading does not move the key).
    `destination_schema_names`, fixed at creation, is recorded as Fivetran reports it when the program does not
    declare it, so that declaring the value a connection has is no change.
    """
    out: dict[str, Any] = {name: previous.get(name) for name in COMPUTED_OUTPUTS if previous.get(name) is not None}
    if data:
        config = data.get("config") or {}
        status = data.get("status")
        card = data.get("connect_card") or {}
        computed = {
            "connection_id": data.get("id"),
            "service": data.get("service"),
            "service_version": data.get("service_version"),
            "schema": data.get("schema"),
            "connected_by": data.get("connected_by"),
            "created_at": data.get("created_at"),
            "succeeded_at": data.get("succeeded_at"),
            "failed_at": data.get("failed_at"),
            "status": {k: status.get(k) for k in STATUS_FIELDS} if isinstance(status, Mapping) else None,
            "setup_tests": [{"title": t.get("title"), "status": t.get("status"), "message": t.get("message") or ""}
                            for t in data["setup_tests"]] if "setup_tests" in data else None,
            "webhook_endpoint": config.get("endpoint"),
            "project_type": config.get("project_type"),
            "connect_card_uri": card.get("uri"),
            "webhook_secret": config.get("webhook_secret"),
        }
        out.update({key: value for key, value in computed.items() if value is not None})
    if not inputs.get("connect_card_config"):
        out.pop("connect_card_uri", None)
    if (inputs.get("config") or {}).get("webhook_auth_type") not in WEBHOOK_AUTH_WITH_SECRET:
        out.pop("webhook_secret", None)  # NoAuth: Fivetran drops the secret, so must the outputs
    out.setdefault("service", SERVICE)
    naming = (data or {}).get("destination_schema_names") or previous.get("destination_schema_names")
    if naming:
        out["destination_schema_names"] = naming
    source = key_source or previous.get(KEY_SOURCE_OUTPUT)
    if source:
        out[KEY_SOURCE_OUTPUT] = str(source)
    out.update({key: value for key, value in inputs.items() if value is not None})
    return out
