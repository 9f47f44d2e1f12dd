"""Typed errors of the Fivetran REST client, and the redactor that keeps secrets out of them.

Every error says which operation failed, what Fivetran answered (HTTP status, `code`, `message`) and, where
there is one, what to do next. Messages are redacted by the client before an error is built, so an error
never carries the Fivetran API key or secret, nor a connection's Iterable API key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    import requests

REDACTED = "***"
MIN_SECRET_LENGTH = 6
AUTH_HINT = ("check fivetran:apiKey and fivetran:apiSecret (or FIVETRAN_API_KEY / FIVETRAN_API_SECRET); if you "
             "changed them since the last update, a refresh (also the one `preview` and `up` run first when the "
             "project says `refresh: always`) still uses the old ones: run `pulumi up --refresh=false` once")


class Redactor:
    """A thread-safe set of secret strings, replaced by `***` wherever they appear in a text."""

    def __init__(self, *secrets: str | None) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a secret; its URL-encoded forms go too.

        Non-strings and values shorter than `MIN_SECRET_LENGTH` are ignored: no real key is that short, and
        blanking a two-letter "secret" would garble every word that contains it.
        """
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            return
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        with self._lock:
            # Longest first, so a secret that contains another is replaced whole.
            self._secrets = tuple(sorted(set(self._secrets) | forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """Return `text` with every registered secret replaced by `***`."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


class FivetranError(Exception):
    """A Fivetran API call failed.

    `operation` names what was attempted ("create connection", "read connection 'abc'"), `status` is the
    HTTP status (None when no reply arrived), `code` and `message` are what Fivetran answered, and `hint`
    says what to do next, when there is something to say.
    """

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.operation = operation
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        status = str(self.status) if self.status is not None else ""
        code = f"{self.code}:" if self.code else ""
        said = " ".join(part for part in (status, code, self.message) if part)
        text = f"{self.operation} failed: {said}"
        return f"{text}; {self.hint}" if self.hint else text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors picklable (they may cross a process boundary) despite the keyword-only fields.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[FivetranError], state: dict[str, Any]) -> FivetranError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class NotFoundError(FivetranError):
    """The connection (or group) does not exist: HTTP 404, or a `NotFound_*` code."""


class ConflictError(FivetranError):
    """Fivetran refused the change because of the current state (HTTP 409), e.g. the schema is taken."""


class AuthenticationError(FivetranError):
    """Fivetran rejected the credentials (HTTP 401) or their permissions (HTTP 403)."""


class RateLimitedError(FivetranError):
    """Fivetran kept answering 429, or asked to wait longer than the client's retry budget.

    `retry_after` is the wait Fivetran asked for, in seconds, when it said.
    """

    def __init__(self, operation: str, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(operation, message, **kw)


class OutcomeUnknownError(FivetranError):
    """A non-repeatable request (a create) was sent but its reply was lost or was a server error.

    The change may or may not have happened: look the connection up (by group and schema) before trying
    again, rather than creating a second one.
    """


class TransportError(FivetranError):
    """The request could not reach Fivetran, or no reply came back, even after retries."""


def error_from_response(
    operation: str,
    response: requests.Response,
    redact: Callable[[str], str],
    *,
    hint: str | None = None,
    kind: type[FivetranError] | None = None,
) -> FivetranError:
    """The typed error for a failed reply, by HTTP status and then Fivetran's `code`, its texts redacted.

    `kind` forces the error type (e.g. `OutcomeUnknownError` for a create that got a 503).
    """
    status = response.status_code
    code, message = _error_body(response)
    extra: dict[str, Any] = {}
    if kind is not None:
        pass
    elif status in (401, 403):
        kind = AuthenticationError
        hint = hint or (AUTH_HINT if status == 401 else f"{AUTH_HINT}, and the key's permissions")
    elif status == 404 or (code or "").startswith("NotFound"):
        kind = NotFoundError
        if not (code or "").startswith("NotFound_"):  # no entity named: maybe not Fivetran's API at all
            hint = hint or "if the id is right, check fivetran:apiUrl (e.g. https://api.fivetran.com/v1)"
    elif status == 409:
        kind = ConflictError
    elif status == 429:
        kind = RateLimitedError
        extra["retry_after"] = retry_after_s(response)
    else:
        kind = FivetranError
    texts = redact(operation), redact(message)
    return kind(*texts, status=status, code=code, hint=redact(hint) if hint else None, **extra)


def retry_after_s(response: requests.Response) -> float | None:
    """The `Retry-After` header in seconds (Fivetran sends whole seconds), or None when absent or odd."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None


def _error_body(response: requests.Response) -> tuple[str | None, str]:
    """Fivetran's error `code` and `message`; a short excerpt of the text when the body is not its JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("code" in body or "message" in body):
        code, message = body.get("code"), body.get("message")
        return (str(code) if code else None), (str(message) if message else response.reason or "")
    text = " ".join(response.text.split())[:200]
    return None, text or response.reason or "no message"


class IterableConnectionError(Exception):
    """An operation on the connection stopped short of what it promised (not an HTTP failure as such): the
    message says what happened, what is left in Fivetran, and what to do."""
