"""The Fivetran REST client: session, auth, headers, timeouts, retries, throttle, typed errors, redaction.

It knows nothing of Pulumi: it sends the JSON bodies it is given and returns the `data` of Fivetran's
envelope as plain dicts. One client is meant to be shared by the threads of a provider process.

Retry rules (see the reference, section 10):
- 429 is retried for every method (nothing was done), after `Retry-After` (each wait capped at
  `max_wait_s`); when Fivetran asks for longer than the call's remaining budget, `RateLimitedError` at once.
  A 429 on anything but a create means the account's hourly request limit is used up: every thread of the
  process then holds back for the `Retry-After` (`RequestLimit`), as creates do after a create's 429
  (`CreateThrottle`), and a call that cannot wait that long fails at once instead of asking again.
- 500/502/503/504, dropped connections and read timeouts are retried, with exponential backoff and full
  jitter, for requests that are safe to repeat: GET, PATCH (absolute values), DELETE, and the POSTs that
  only run tests or issue a Connect Card.
- A create (POST /connections) is not safe to repeat: a server error or a lost reply raises
  `OutcomeUnknownError`, and the caller looks the connection up by group and schema.
- A request that never left (connection refused, connect timeout) is retried for every method.
- Other 4xx are not retried.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError

from .errors import (
    AuthenticationError,
    ConflictError,
    FivetranError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    Redactor,
    TransportError,
    error_from_response,
    retry_after_s,
)
from .request_limit import RequestLimit
from .throttle import CreateThrottle
from .version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CREATE_THROTTLE",
    "AuthenticationError",
    "ConflictError",
    "CreateThrottle",
    "FivetranClient",
    "FivetranCredentials",
    "FivetranError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RetryPolicy",
    "TransportError",
]

DEFAULT_BASE_URL = "https://api.fivetran.com/v1"
USER_AGENT = f"pulumi-fivetran-iterable/{__version__} python-requests/{requests.__version__}"
ACCEPT_CONNECTIONS = "application/json;version=2"
ACCEPT_OTHER = "application/json"  # the API declares plain JSON for /groups
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# Requests in flight at once that keep their connection open for the next: the provider process serves up to
# 64 calls at once (`server_threads`), a refresh's read with up to two requests out.
MAX_CONNECTIONS = 128
# Config keys whose values the client treats as secrets when it sends them.
SECRET_KEY_SUFFIXES = ("api_key", "secret", "password", "token")
ACCOUNT_LIMIT_HINT = (
    "a 429 on any call but a create means the account's API request limit is used up: 20,000 calls per rolling "
    "hour on paid plans, shared by every tool that uses the account"
)
OUTCOME_UNKNOWN_HINT = (
    "Fivetran may or may not have done it; look the connection up (by group and schema) before trying again"
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, repr=False)
class FivetranCredentials:
    """The Fivetran API key and secret, and the API's base URL (ending in `/v1`)."""

    api_key: str
    api_secret: str
    base_url: str = DEFAULT_BASE_URL

    def __post_init__(self) -> None:
        base_url = self.base_url.strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Fivetran API URL (fivetran:apiUrl) is not an http(s) URL: {base_url!r}")
        object.__setattr__(self, "base_url", base_url)

    @property
    def key_fingerprint(self) -> str:
        """A short, non-reversible tag of the API key, to tell credentials apart in logs."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:8]

    def __repr__(self) -> str:
        return (
            f"FivetranCredentials(api_key=<sha256:{self.key_fingerprint}>, api_secret=***, base_url={self.base_url!r})"
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts and retry limits for each client call.

    A call makes at most `max_attempts` requests and waits at most `budget_s` seconds in total (time spent
    in the create throttle, or held back by another call's 429, not counted; a hold longer than the budget
    fails the call at once). Backoff waits are random in `[0, min(max_wait_s, base_delay_s *
    2**n)]` (full jitter). `sleep`, `clock` and `jitter` are injectable so tests run fast.
    """

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_wait_s: float = 30.0
    budget_s: float = 300.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 90.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff_s(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based) when Fivetran gave no Retry-After."""
        return self.jitter() * min(self.max_wait_s, self.base_delay_s * 2 ** (attempt - 1))


DEFAULT_RETRY = RetryPolicy()
# Fivetran's creation limit is per account, so clients in one process share one throttle by default.
DEFAULT_CREATE_THROTTLE = CreateThrottle(20, 60.0)


class _Reply(NamedTuple):
    response: requests.Response
    maybe_applied_before: bool  # an earlier attempt may have reached Fivetran and done the work


class FivetranClient:
    """A thread-safe client of the Fivetran REST API for connections.

    Methods return the `data` object of Fivetran's reply and raise `FivetranError` subclasses. Every error
    message and log line is redacted: the API key and secret, values added with `add_secret`, and secret
    config values (`config.api_key`, ...) of every body the client sends never appear in them.
    """

    def __init__(
        self,
        credentials: FivetranCredentials,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        create_throttle: CreateThrottle | None = DEFAULT_CREATE_THROTTLE,
        request_limit: RequestLimit | None = None,
        user_agent_suffix: str = "",
    ) -> None:
        self.credentials = credentials
        self.retry = retry
        self.create_throttle = create_throttle
        self.request_limit = request_limit or RequestLimit()
        self.user_agent = f"{USER_AGENT} {user_agent_suffix}".strip()
        self._redactor = Redactor(credentials.api_key, credentials.api_secret)
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._request_count = 0
        # Writes (any request but a GET) started and finished: what a cached read must not have missed.
        self._writes_started = 0
        self._writes_finished = 0
        # The `Date` header of the latest reply, and our clock when it arrived (see `server_clock_offset_s`).
        self._last_date: tuple[str, float] | None = None

    # -- the API -------------------------------------------------------------------------------------------
    def get_group(self, group_id: str) -> dict[str, Any]:
        """`GET /groups/{id}`: the destination group (`id`, `name`, `created_at`)."""
        return self._call("GET", f"/groups/{_segment(group_id)}", f"read group '{group_id}'")

    def list_groups(self, *, page_size: int = 1000) -> list[dict[str, Any]]:
        """`GET /groups`: every destination group of the account, following every page."""
        return [item for page in self._pages("/groups", "list groups", {}, page_size) for item in page]

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        """`GET /connections/{id}`: the connection; `NotFoundError` when it does not exist."""
        path = f"/connections/{_segment(connection_id)}"
        return self._call("GET", path, f"read connection '{connection_id}'")

    def list_connections(
        self, group_id: str, schema: str | None = None, *, page_size: int = 1000
    ) -> list[dict[str, Any]]:
        """All connections of a group (only the one with `schema`, when given), following every page."""
        operation = f"list connections in group '{group_id}'" + (f" with schema '{schema}'" if schema else "")
        query = {"group_id": group_id, "schema": schema}
        return [item for page in self._pages("/connections", operation, query, page_size) for item in page]

    def create_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /connections` (throttled); raises `OutcomeUnknownError` when the outcome is unknown."""
        self._register_secrets(body)
        return self._call("POST", "/connections", "create connection", body=body, create=True)

    def modify_connection(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`PATCH /connections/{id}` with the given fields; returns the updated connection."""
        self._register_secrets(body)
        path = f"/connections/{_segment(connection_id)}"
        return self._call("PATCH", path, f"update connection '{connection_id}'", body=body)

    def delete_connection(self, connection_id: str) -> bool:
        """`DELETE /connections/{id}`: True when deleted, False when it was already gone.

        A 404 after an attempt whose reply was lost counts as deleted (that attempt did it). A 404 without
        a `NotFound_*` code (e.g. from a wrong `fivetran:apiUrl`) raises `NotFoundError`.
        """
        operation = f"delete connection '{connection_id}'"
        reply = self._send("DELETE", f"/connections/{_segment(connection_id)}", operation, idempotent=True)
        if reply.response.status_code == 404:
            missing = self._error_from_response(operation, reply.response)
            # Only Fivetran's own "no such connection" counts as gone, not a 404 from a wrong base URL.
            if (missing.code or "").startswith("NotFound_"):
                return reply.maybe_applied_before
            raise missing
        self._data(reply.response, operation)
        return True

    def run_setup_tests(
        self, connection_id: str, trust_certificates: bool = False, trust_fingerprints: bool = False
    ) -> dict[str, Any]:
        """`POST /connections/{id}/test`: runs the setup tests; the connection with `setup_tests`."""
        body = {"trust_certificates": trust_certificates, "trust_fingerprints": trust_fingerprints}
        path = f"/connections/{_segment(connection_id)}/test"
        operation = f"run setup tests of connection '{connection_id}'"
        return self._call("POST", path, operation, body=body, idempotent=True)

    def create_connect_card(
        self, connection_id: str, redirect_uri: str, hide_setup_guide: bool | None = None
    ) -> dict[str, Any]:
        """`POST /connections/{id}/connect-card`: a new Connect Card (`connect_card.token`, `.uri`)."""
        config: dict[str, Any] = {"redirect_uri": redirect_uri}
        if hide_setup_guide is not None:
            config["hide_setup_guide"] = hide_setup_guide
        path = f"/connections/{_segment(connection_id)}/connect-card"
        operation = f"create connect card for connection '{connection_id}'"
        return self._call("POST", path, operation, body={"connect_card_config": config}, idempotent=True)

    def get_schema_config(self, connection_id: str) -> dict[str, Any]:
        """`GET /connections/{id}/schemas`: which tables and columns sync; `NotFoundError` (code
        `NotFound_SchemaConfig`) before Fivetran read the connection's schema or settings were pre-created."""
        path = f"/connections/{_segment(connection_id)}/schemas"
        return self._call("GET", path, f"read schema config of connection '{connection_id}'")

    def pre_create_schema_config(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /connections/{id}/schemas`: settings Fivetran applies when it first reads the schema.

        Retried like an idempotent call: a repeat after a lost reply gets `ConflictError` (the config exists),
        which the caller answers with a PATCH of the same settings.
        """
        path = f"/connections/{_segment(connection_id)}/schemas"
        operation = f"create schema config of connection '{connection_id}'"
        return self._call("POST", path, operation, body=body, idempotent=True)

    def modify_schema_config(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`PATCH /connections/{id}/schemas`: the handling of new items and any tables and columns, at once."""
        path = f"/connections/{_segment(connection_id)}/schemas"
        return self._call("PATCH", path, f"update schema config of connection '{connection_id}'", body=body)

    def get_table_columns(self, connection_id: str, schema: str, table: str) -> dict[str, Any]:
        """`GET .../schemas/{schema}/tables/{table}/columns`: every column of the table with its settings."""
        path = f"/connections/{_segment(connection_id)}/schemas/{_segment(schema)}/tables/{_segment(table)}/columns"
        data = self._call("GET", path, f"read columns of table '{table}' of connection '{connection_id}'")
        columns: dict[str, Any] = data.get("columns") or {}
        return columns

    def resync(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /connections/{id}/resync`: a historical re-sync of the connection, or of `scope`'s tables.
        Never repeated blindly: an unknown outcome raises `OutcomeUnknownError`."""
        path = f"/connections/{_segment(connection_id)}/resync"
        return self._call("POST", path, f"re-sync connection '{connection_id}'", body=body, idempotent=False)

    # -- secrets, counting, lifetime -------------------------------------------------------------------------
    def add_secret(self, value: str | None) -> None:
        """Keep `value` out of every error message and log line from now on."""
        self._redactor.add(value)

    def redact(self, text: str) -> str:
        """`text` with every secret this client knows replaced by `***`."""
        return self._redactor.redact(text)

    def server_clock_offset_s(self) -> float | None:
        """How far Fivetran's clock is ahead of ours, in seconds, from the `Date` header of the latest reply
        (one-second resolution); None before any reply carried one."""
        last = self._last_date
        if last is None:
            return None
        try:
            return email.utils.parsedate_to_datetime(last[0]).timestamp() - last[1]
        except (TypeError, ValueError):
            return None

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (every attempt counts)."""
        with self._lock:
            return self._request_count

    def write_mark(self) -> tuple[int, int]:
        """(writes started, writes finished) so far: an answer read between two equal marks with no write in
        flight (both numbers equal) reflects every write this client has made, and none is under way."""
        with self._lock:
            return self._writes_started, self._writes_finished

    def close(self) -> None:
        """Close the HTTP session (a later call opens a new one)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    def __enter__(self) -> FivetranClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "FivetranClient cannot be pickled: it holds credentials and a live HTTP session. "
            "Create it inside the provider process (from its configuration), not in the program."
        )

    def __repr__(self) -> str:
        return f"FivetranClient({self.credentials!r})"

    # -- one call: request, retries, error mapping ----------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        create: bool = False,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        safe = (method != "POST") if idempotent is None else idempotent
        reply = self._send(method, path, operation, params=params, body=body, idempotent=safe, create=create)
        return self._data(reply.response, operation)

    def _pages(
        self, path: str, operation: str, query: dict[str, Any], page_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        params = {key: value for key, value in query.items() if value is not None}
        params["limit"] = page_size
        seen: set[str] = set()
        while True:
            data = self._call("GET", path, operation, params=params)
            yield list(data.get("items") or [])
            cursor = data.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise FivetranError(operation, "Fivetran returned the same page cursor twice; stopped paging")
            seen.add(cursor)
            params["cursor"] = cursor

    def _send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        idempotent: bool,
        create: bool = False,
    ) -> _Reply:
        """Send a request under the retry rules of the module docstring; the final, non-retryable reply."""
        with self._writing(method != "GET"):
            return self._attempts(method, path, operation, params=params, body=body, idempotent=idempotent,
                                  create=create)

    @contextlib.contextmanager
    def _writing(self, write: bool) -> Iterator[None]:
        """Count a write from before its first attempt until after its last (see `write_mark`)."""
        if not write:
            yield
            return
        with self._lock:
            self._writes_started += 1
        try:
            yield
        finally:
            with self._lock:
                self._writes_finished += 1

    def _attempts(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        idempotent: bool,
        create: bool,
    ) -> _Reply:
        policy = self.retry
        throttle = self.create_throttle if create else None
        headers = {"Accept": ACCEPT_CONNECTIONS if path.startswith("/connections") else ACCEPT_OTHER}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started, throttled_s = policy.clock(), 0.0

        def budget_left() -> float:
            return policy.budget_s - (policy.clock() - started - throttled_s)

        maybe_applied = False
        failure: FivetranError | None = None
        held_back = False  # this call's last attempt got the 429 that holds everyone back, and it waited
        for attempt in range(1, policy.max_attempts + 1):
            if throttle is not None:
                throttled_s += throttle.acquire()
            if not held_back:
                # Like the create throttle's, this wait is pacing, not a retry: it is not taken from the budget.
                throttled_s += self._wait_out_the_request_limit(operation, budget_left())
            held_back = False
            try:
                response = self._once(method, path, attempt, params=params, data=data, headers=headers)
            except requests.RequestException as exc:
                reached, cause = self._describe(exc)
                if reached is None:
                    raise self._error(TransportError, operation, cause) from None
                if reached and not idempotent:
                    hint = OUTCOME_UNKNOWN_HINT
                    raise self._error(OutcomeUnknownError, operation, cause, hint=hint) from None
                maybe_applied = maybe_applied or reached
                cause += f" (after {attempt} attempt{'s' if attempt > 1 else ''})"
                hint = self._unreachable_hint()
                failure = self._error(TransportError, operation, cause, hint=hint)
                wait = policy.backoff_s(attempt)
            else:
                status = response.status_code
                if status == 429:
                    retry_after = retry_after_s(response)
                    hold = policy.base_delay_s if retry_after is None else retry_after
                    if throttle is not None:
                        throttle.defer(hold)
                    if not create or response.headers.get("X-Rate-Limit-Remaining", "").strip() == "0":
                        # The account is out of calls: every thread waits as long as Fivetran asks (and a call
                        # that cannot wait that long fails before it sends anything).
                        self.request_limit.hold(hold)
                        held_back = True
                    if retry_after is not None and retry_after > budget_left():
                        left = max(budget_left(), 0)
                        hint = (
                            f"Fivetran asked to wait {retry_after:g} s, more than the {left:.0f} s this call "
                            "may still wait; run again after that time"
                            + (", or lower fivetran:createLimit" if create else f" ({ACCOUNT_LIMIT_HINT})")
                        )
                        raise self._error_from_response(operation, response, hint=hint)
                    hint = f"still rate limited after {attempt} attempts; try again later"
                    failure = self._error_from_response(operation, response, hint=hint)
                    wait = policy.backoff_s(attempt) if retry_after is None else retry_after
                    wait = min(wait, policy.max_wait_s)
                elif status in RETRYABLE_STATUSES:
                    if not idempotent:
                        unknown = OutcomeUnknownError
                        raise self._error_from_response(operation, response, kind=unknown, hint=OUTCOME_UNKNOWN_HINT)
                    failure = self._error_from_response(operation, response)
                    maybe_applied = True
                    wait = policy.backoff_s(attempt)
                else:
                    return _Reply(response, maybe_applied)
            if attempt == policy.max_attempts or wait > budget_left():
                break
            log.debug("retrying %s %s in %.2f s", method, self.redact(path), wait)
            policy.sleep(wait)
        assert failure is not None
        raise failure

    def _wait_out_the_request_limit(self, operation: str, budget_left_s: float) -> float:
        """Before a request: wait while the account is out of calls (another call got a 429), or fail at once
        when that is longer than this call may wait; the seconds waited."""
        held = self.request_limit.wait_s()
        if held <= 0:
            return 0.0
        if held > budget_left_s:
            raise self._error(
                RateLimitedError, operation,
                f"Fivetran answered 429 to another call of this run and asked to wait {held:.0f} s more, longer "
                f"than this call may wait", status=429, retry_after=held,
                hint=f"run again after that time ({ACCOUNT_LIMIT_HINT})")
        log.debug("holding %s back %.2f s: the account's request limit is used up", self.redact(operation), held)
        self.retry.sleep(held)
        return held

    def _once(self, method: str, path: str, attempt: int, **options: Any) -> requests.Response:
        """One HTTP request, counted and logged (method, path, status, time; never bodies or headers)."""
        policy = self.retry
        sent_at = policy.clock()
        try:
            response = self._http().request(
                method,
                self.credentials.base_url + path,
                timeout=(policy.connect_timeout_s, policy.read_timeout_s),
                **options,
            )
        except requests.RequestException as exc:
            self._count_request()
            log.debug("%s %s -> %s (attempt %d)", method, self.redact(path), type(exc).__name__, attempt)
            raise
        self._count_request()
        self.request_limit.record(response.headers)
        date = response.headers.get("Date")
        if date:
            self._last_date = (date, time.time())  # one assignment: threads never see half of it
        elapsed_ms = (policy.clock() - sent_at) * 1000
        status = response.status_code
        log.debug("%s %s -> %d in %.0f ms (attempt %d)", method, self.redact(path), status, elapsed_ms, attempt)
        return response

    def _data(self, response: requests.Response, operation: str) -> dict[str, Any]:
        """The `data` of a successful reply; a typed error for any other."""
        if not 200 <= response.status_code < 300:
            raise self._error_from_response(operation, response)
        try:
            envelope = response.json() if response.content else {}
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            problem = "Fivetran's reply was not a JSON object"
            raise self._error(FivetranError, operation, problem, status=response.status_code)
        data = envelope.get("data")
        if not isinstance(data, dict):
            return {}
        self._register_secrets(data)  # secrets Fivetran hands out (a webhook secret) stay out of messages too
        return data

    def _error(
        self, kind: type[FivetranError], operation: str, message: str, *, hint: str | None = None, **more: Any
    ) -> FivetranError:
        """Build an error whose texts have passed through redaction."""
        redact = self.redact
        return kind(redact(operation), redact(message), hint=redact(hint) if hint else None, **more)

    def _error_from_response(
        self,
        operation: str,
        response: requests.Response,
        *,
        hint: str | None = None,
        kind: type[FivetranError] | None = None,
    ) -> FivetranError:
        return error_from_response(operation, response, self.redact, hint=hint, kind=kind)

    def _unreachable_hint(self) -> str:
        where = urlsplit(self.credentials.base_url)
        if where.hostname in ("127.0.0.1", "localhost", "::1"):
            return (f"nothing answers at {where.netloc}: the API URL (fivetran:apiUrl or FIVETRAN_API_URL) points at "
                    "this machine, so if it is a local Fivetran emulator, start it first (the quick start's: "
                    "scripts/emulator start)")
        return f"check that {where.netloc} is reachable"

    def _describe(self, exc: requests.RequestException) -> tuple[bool | None, str]:
        """Whether a failed request may have reached Fivetran (None: retrying cannot help), and why."""
        policy = self.retry
        if isinstance(exc, requests.ConnectTimeout):
            return False, f"could not connect within {policy.connect_timeout_s:g} s"
        if isinstance(exc, requests.ReadTimeout):
            return True, f"no reply within {policy.read_timeout_s:g} s (read timeout)"
        if isinstance(exc, requests.exceptions.SSLError):
            return None, f"TLS error: {exc}"
        if isinstance(exc, requests.ConnectionError):
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ConnectTimeoutError):  # includes refused connections and DNS failures
                return False, f"could not connect: {type(reason).__name__}"
            return True, "the connection was closed before a reply arrived"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return True, "the reply was cut off"
        return None, f"{type(exc).__name__}: {exc}"

    # -- plumbing --------------------------------------------------------------------------------------------
    def _http(self) -> requests.Session:
        """The client's session, created on first use."""
        with self._lock:
            if self._session is None:
                session = requests.Session()
                session.auth = (self.credentials.api_key, self.credentials.api_secret)
                session.headers["User-Agent"] = self.user_agent
                # Retries are ours (above); urllib3 must not retry on its own. Every request in flight holds a
                # connection of its own, and a full pool drops the extra ones with a warning on stderr.
                adapter = HTTPAdapter(pool_connections=2, pool_maxsize=MAX_CONNECTIONS, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session = session
            return self._session

    def _count_request(self) -> None:
        with self._lock:
            self._request_count += 1

    def _register_secrets(self, value: Any, key: str = "") -> None:
        """Register secret-looking values of a request or reply (e.g. `config.api_key`) for redaction.

        `external_secrets_keys_config` holds the names of secrets kept elsewhere, not secrets: it is skipped.
        """
        if isinstance(value, dict):
            for child_key, child in value.items():
                if child_key != "external_secrets_keys_config":
                    self._register_secrets(child, str(child_key))
        elif isinstance(value, list):
            for child in value:
                self._register_secrets(child, key)
        elif isinstance(value, str) and key.lower().endswith(SECRET_KEY_SUFFIXES) and value.strip("*"):
            self.add_secret(value)


def _segment(value: str) -> str:
    """An id as one URL path segment (so an id can never reach another path)."""
    return quote(str(value), safe="")
